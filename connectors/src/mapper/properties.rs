//! Transport properties in a source's `@attributes`: an attribute mapped to
//! `'trp:name'` (Siddhi's spelling, e.g. `messageId='trp:messageId'`) takes the
//! value of the transport's property `name` for the payload (the `messageId` an
//! `http-service` source gives each request, or one of its request headers)
//! instead of reading it from the payload. The stream's other attributes are
//! read by the source's mapper as if the `trp:` ones were not in the stream.

use super::{value_from_text, MapperError, Payload, Schema, SourceMapper};
use sluice_dataflow::value::Value;
use sluice_frontend::ast::{AttrType, Span};
use sluice_frontend::logical::MapperPlan;

/// The prefix of an attribute path that names a transport property.
pub const PREFIX: &str = "trp:";

/// A transport property one attribute takes.
#[derive(Debug, Clone, PartialEq)]
struct Property {
    /// The attribute's position in the stream.
    position: usize,
    /// The property's name (after `trp:`).
    name: String,
    /// The attribute's type.
    ty: AttrType,
}

/// A source's mapper together with the attributes it takes from transport
/// properties.
#[derive(Debug)]
pub struct PropertyMapper {
    mapper: SourceMapper,
    /// By ascending position.
    properties: Vec<Property>,
}

/// The `trp:` properties `plan`'s `@attributes` name, each with where it is
/// written (for refusing them where the transport gives none).
pub fn requested(plan: &MapperPlan) -> Vec<(String, Span)> {
    plan.attributes.iter().filter_map(|a| a.path.strip_prefix(PREFIX).map(|name| (name.to_string(), a.span))).collect()
}

/// The source transports that give transport properties.
pub const GIVEN_BY: &[&str] = &["http-service"];

/// A `trp:` attribute of a source whose transport gives no properties is refused
/// (it would always be null).
pub fn refused(source: &sluice_frontend::logical::SourcePlan) -> Vec<sluice_frontend::Diagnostic> {
    if GIVEN_BY.contains(&source.transport.kind.as_str()) {
        return Vec::new();
    }
    requested(&source.mapper)
        .into_iter()
        .map(|(name, span)| {
            sluice_frontend::Diagnostic::not_built(
                span,
                format!(
                    "transport property 'trp:{name}' of a {} source: the sources that give transport properties are {}",
                    source.transport.kind,
                    GIVEN_BY.join(", ")
                ),
            )
        })
        .collect()
}

impl PropertyMapper {
    /// The mapper `plan` names for events of `schema`, with its `trp:` attributes
    /// taken out.
    pub fn new(plan: &MapperPlan, schema: &Schema) -> Result<PropertyMapper, MapperError> {
        let mut properties = Vec::new();
        let mut rest = plan.clone();
        rest.attributes.clear();
        for (i, a) in plan.attributes.iter().enumerate() {
            let Some(name) = a.path.strip_prefix(PREFIX) else {
                rest.attributes.push(a.clone());
                continue;
            };
            if plan.kind == "passThrough" {
                return Err(MapperError::at(a.span, "the passThrough mapper takes no @attributes"));
            }
            let position = match &a.name {
                Some(attr) => schema.position(attr).ok_or_else(|| {
                    MapperError::at(a.span, format!("stream '{}' has no attribute '{attr}'", schema.stream))
                })?,
                None if i < schema.names.len() => i,
                None => {
                    return Err(MapperError::at(
                        a.span,
                        format!("@attributes lists more values than stream '{}' has attributes", schema.stream),
                    ))
                }
            };
            if name.is_empty() {
                return Err(MapperError::at(a.span, "'trp:' names no transport property"));
            }
            if properties.iter().any(|p: &Property| p.position == position) {
                return Err(MapperError::at(a.span, format!("attribute '{}' is mapped twice", schema.names[position])));
            }
            properties.push(Property { position, name: name.to_string(), ty: schema.types[position] });
        }
        properties.sort_by_key(|p| p.position);
        if properties.is_empty() {
            return Ok(PropertyMapper { mapper: SourceMapper::new(plan, schema)?, properties });
        }
        // The mapper reads the stream without its property attributes.
        let keep = |i: &usize| !properties.iter().any(|p| p.position == *i);
        let reduced = Schema {
            stream: schema.stream.clone(),
            names: (0..schema.names.len()).filter(keep).map(|i| schema.names[i].clone()).collect(),
            types: (0..schema.types.len()).filter(keep).map(|i| schema.types[i]).collect(),
        };
        if rest.attributes.is_empty() && !plan.attributes.is_empty() && !reduced.names.is_empty() && plan.kind != "json"
        {
            return Err(MapperError::at(
                plan.span,
                format!("@attributes does not say where attribute '{}' is read from", reduced.names[0]),
            ));
        }
        Ok(PropertyMapper { mapper: SourceMapper::new(&rest, &reduced)?, properties })
    }

    /// The events in `payload`, with each property attribute set from
    /// `property` (null when the transport has no such property).
    pub fn map(
        &mut self,
        payload: &Payload,
        property: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Vec<Vec<Value>>, String> {
        let mut rows = self.mapper.map(payload)?;
        if self.properties.is_empty() {
            return Ok(rows);
        }
        let mut values = Vec::with_capacity(self.properties.len());
        for p in &self.properties {
            values.push(match property(&p.name) {
                Some(text) => value_from_text(&text, p.ty)
                    .map_err(|e| format!("transport property '{}' for attribute {}: {e}", p.name, p.position))?,
                None => Value::Null,
            });
        }
        for row in &mut rows {
            for (p, v) in self.properties.iter().zip(&values) {
                row.insert(p.position.min(row.len()), v.clone());
            }
        }
        Ok(rows)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mapper::test_support::{plan, stock};

    #[test]
    fn a_trp_attribute_takes_the_transport_property_and_the_rest_come_from_the_payload() {
        let p = plan("json", &[], &[("symbol", "trp:messageId"), ("price", "$.event.price")], None);
        let mut m = PropertyMapper::new(&p, &stock()).unwrap();
        let body = Payload::Text(r#"{"event":{"price":12.5},"volume":3}"#.into());
        let props = |name: &str| (name == "messageId").then(|| "m-1".to_string());
        let rows = m.map(&body, &props).unwrap();
        assert_eq!(rows, vec![vec![Value::string("m-1"), Value::Double(12.5), Value::Long(3)]]);
        // Without the property, the attribute is null.
        let rows = m.map(&body, &|_: &str| None).unwrap();
        assert_eq!(rows[0][0], Value::Null);
        assert_eq!(requested(&p), vec![("messageId".to_string(), Span::default())]);
        // A property that is not of the attribute's type is a reason to drop the payload.
        let p = plan("json", &[], &[("volume", "trp:count")], None);
        let mut m = PropertyMapper::new(&p, &stock()).unwrap();
        let body = Payload::Text(r#"{"symbol":"A","price":1.0}"#.into());
        assert!(m.map(&body, &|_: &str| Some("many".into())).is_err());
        assert_eq!(m.map(&body, &|_: &str| Some("7".into())).unwrap()[0][2], Value::Long(7));
        // passThrough takes no @attributes, trp: or not.
        assert!(PropertyMapper::new(&plan("passThrough", &[], &[("symbol", "trp:x")], None), &stock()).is_err());
    }
}
