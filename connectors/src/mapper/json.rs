//! `json`: Siddhi's JSON mapper. A source reads `{"event":{…}}`, a bare object of
//! attributes, or an array of either; with `@attributes(attr='$.path')` each
//! attribute is read by a JSONPath (`serde_json_path`, RFC 9535) from each
//! element `enclosing.element` selects. A sink writes `{"event":{…}}`.

use super::{flag, only_options, MapperError, Payload, Schema};
use serde_json::Value as J;
use serde_json_path::JsonPath;
use sluice_dataflow::value::Value;
use sluice_frontend::logical::MapperPlan;

/// Where each attribute is read from: the `@attributes` paths by attribute
/// (named, or positional in the stream's order), or `default(name)` without them;
/// with `fill_unmapped`, an attribute `@attributes` leaves out is read from
/// `default(name)` too (json, keyvalue), else it is an error (csv, text).
pub(super) fn attribute_sources(
    plan: &MapperPlan,
    schema: &Schema,
    fill_unmapped: bool,
    default: impl Fn(&str) -> String,
) -> Result<Vec<String>, MapperError> {
    if plan.attributes.is_empty() {
        return Ok(schema.names.iter().map(|n| default(n)).collect());
    }
    let mut sources: Vec<Option<String>> = vec![None; schema.names.len()];
    for (i, a) in plan.attributes.iter().enumerate() {
        let position = match &a.name {
            Some(name) => schema.position(name).ok_or_else(|| {
                MapperError::at(a.span, format!("stream '{}' has no attribute '{name}'", schema.stream))
            })?,
            None if i < sources.len() => i,
            None => {
                return Err(MapperError::at(
                    a.span,
                    format!("@attributes lists more values than stream '{}' has attributes", schema.stream),
                ))
            }
        };
        if sources[position].replace(a.path.clone()).is_some() {
            return Err(MapperError::at(a.span, format!("attribute '{}' is mapped twice", schema.names[position])));
        }
    }
    if fill_unmapped {
        return Ok(sources.into_iter().zip(&schema.names).map(|(s, n)| s.unwrap_or_else(|| default(n))).collect());
    }
    match sources.iter().position(Option::is_none) {
        Some(missing) => Err(MapperError::at(
            plan.span,
            format!("@attributes does not say where attribute '{}' is read from", schema.names[missing]),
        )),
        None => Ok(sources.into_iter().flatten().collect()),
    }
}

/// The `json` source mapper.
#[derive(Debug)]
pub struct JsonSource {
    schema: Schema,
    /// `enclosing.element`: where the events are in the document.
    enclosing: Option<JsonPath>,
    /// `@attributes`: a JSONPath per attribute (custom mapping).
    paths: Option<Vec<JsonPath>>,
    fail_on_missing: bool,
}

fn json_path(text: &str, span: sluice_frontend::ast::Span) -> Result<JsonPath, MapperError> {
    JsonPath::parse(text).map_err(|e| MapperError::at(span, format!("'{text}' is not a JSONPath: {e}")))
}

impl JsonSource {
    /// Builds the mapper (options `enclosing.element`, `fail.on.missing.attribute`).
    pub fn new(plan: &MapperPlan, schema: &Schema) -> Result<JsonSource, MapperError> {
        only_options(plan, &["enclosing.element", "fail.on.missing.attribute"])?;
        let enclosing = match plan.options.iter().find(|o| o.key.eq_ignore_ascii_case("enclosing.element")) {
            Some(o) => Some(json_path(&o.value, o.span)?),
            None => None,
        };
        let paths = if plan.attributes.is_empty() {
            None
        } else {
            let texts = attribute_sources(plan, schema, true, |n| format!("$.{n}"))?;
            let spans = schema.names.iter().map(|n| {
                plan.attributes.iter().find(|a| a.name.as_deref() == Some(n.as_str())).map_or(plan.span, |a| a.span)
            });
            Some(texts.iter().zip(spans).map(|(t, span)| json_path(t, span)).collect::<Result<_, _>>()?)
        };
        Ok(JsonSource {
            schema: schema.clone(),
            enclosing,
            paths,
            fail_on_missing: flag(plan, "fail.on.missing.attribute", true)?,
        })
    }

    /// The events in `payload`; an element that cannot be read fails the payload.
    pub fn map(&self, payload: &Payload) -> Result<Vec<Vec<Value>>, String> {
        let document: J = match payload {
            Payload::Text(t) => serde_json::from_str(t).map_err(|e| format!("not JSON: {e}"))?,
            Payload::Map(m) => J::Object(m.clone()),
            Payload::Event { .. } => return Err("the json mapper reads JSON text, not an event".into()),
        };
        let elements: Vec<&J> = match &self.enclosing {
            None => match &document {
                J::Array(items) => items.iter().collect(),
                other => vec![other],
            },
            Some(path) => {
                let nodes = path.query(&document).all();
                match nodes.as_slice() {
                    [] => return Err(format!("the enclosing element {path} is not in the document")),
                    [J::Array(items)] => items.iter().collect(),
                    _ => nodes,
                }
            }
        };
        elements.into_iter().map(|e| self.event(e)).collect()
    }

    fn event(&self, element: &J) -> Result<Vec<Value>, String> {
        let Some(paths) = &self.paths else {
            let object = match element {
                J::Object(m) => match m.get("event") {
                    Some(J::Object(inner)) => inner,
                    _ => m,
                },
                _ => return Err(format!("expected a JSON object with the attributes, got {element}")),
            };
            return super::keyvalue::row_of_object(&self.schema, object, self.fail_on_missing);
        };
        let mut row = Vec::with_capacity(paths.len());
        for ((path, ty), name) in paths.iter().zip(&self.schema.types).zip(&self.schema.names) {
            let nodes = path.query(element).all();
            let value = match nodes.as_slice() {
                [] if self.fail_on_missing => return Err(format!("{path} (attribute '{name}') is not in {element}")),
                [] => Value::Null,
                [one] => from_json_node(one, *ty).map_err(|e| format!("attribute '{name}' ({path}): {e}"))?,
                many => {
                    let list = J::Array(many.iter().map(|n| (*n).clone()).collect());
                    from_json_node(&list, *ty).map_err(|e| format!("attribute '{name}' ({path}): {e}"))?
                }
            };
            row.push(value);
        }
        Ok(row)
    }
}

/// A JSON value as a value of type `ty`; an object or array read into a string
/// attribute is its JSON text, as the reference gives it.
fn from_json_node(json: &J, ty: sluice_frontend::ast::AttrType) -> Result<Value, String> {
    match json {
        J::Object(_) | J::Array(_) => Value::from_json(&J::String(json.to_string()), ty),
        _ => Value::from_json(json, ty),
    }
}

/// The `json` sink mapper: `{"event":{…}}`.
#[derive(Debug)]
pub struct JsonSink {
    schema: Schema,
}

impl JsonSink {
    /// Builds the mapper (option `validate.json` is accepted: the JSON it writes is valid).
    pub fn new(plan: &MapperPlan, schema: &Schema) -> Result<JsonSink, MapperError> {
        only_options(plan, &["validate.json"])?;
        Ok(JsonSink { schema: schema.clone() })
    }

    /// `{"event":{…}}` for one event.
    pub fn map(&self, row: &[Value]) -> String {
        format!("{{\"event\":{}}}", super::data_text(&self.schema, row))
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::*;
    use super::super::{SinkMapper, SourceMapper};
    use super::*;

    fn text(t: &str) -> Payload {
        Payload::Text(t.into())
    }

    #[test]
    fn default_mapping_reads_event_objects_bare_objects_and_arrays() {
        let mut m = SourceMapper::new(&plan("json", &[], &[], None), &stock()).unwrap();
        let one = r#"{"event":{"symbol":"IBM","price":75.5,"volume":100}}"#;
        assert_eq!(m.map(&text(one)).unwrap(), vec![ibm()]);
        assert_eq!(m.map(&text(r#"{"symbol":"IBM","price":"75.5","volume":100}"#)).unwrap(), vec![ibm()]);
        let two = format!("[{one},{one}]");
        assert_eq!(m.map(&text(&two)).unwrap(), vec![ibm(), ibm()]);
        let missing = r#"{"event":{"symbol":"IBM","price":75.5}}"#;
        assert!(m.map(&text(missing)).unwrap_err().contains("'volume' is missing"));
        assert!(m
            .map(&text(r#"{"event":{"symbol":"IBM","price":"cheap","volume":1}}"#))
            .unwrap_err()
            .contains("price"));
        let mut lenient =
            SourceMapper::new(&plan("json", &[("fail.on.missing.attribute", "false")], &[], None), &stock()).unwrap();
        assert_eq!(lenient.map(&text(missing)).unwrap()[0][2], Value::Null);
    }

    #[test]
    fn custom_mapping_reads_json_paths_under_the_enclosing_element() {
        let attributes = [("symbol", "$.stock.symbol"), ("price", "$.stock.price"), ("volume", "$.volume")];
        let p = plan("json", &[("enclosing.element", "$.portfolio")], &attributes, None);
        let mut m = SourceMapper::new(&p, &stock()).unwrap();
        let doc = r#"{"portfolio":[{"stock":{"symbol":"IBM","price":75.5},"volume":100},
                                   {"stock":{"symbol":"WSO2","price":55.6},"volume":20}]}"#;
        let rows = m.map(&text(doc)).unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0], ibm());
        assert_eq!(rows[1][0], Value::string("WSO2"));
        assert!(m.map(&text(r#"{"other":1}"#)).unwrap_err().contains("enclosing element"));
        let missing = r#"{"portfolio":{"stock":{"symbol":"IBM","price":75.5}}}"#;
        assert!(m.map(&text(missing)).unwrap_err().contains("$.volume"));
    }

    #[test]
    fn bad_paths_and_incomplete_attributes_are_refused() {
        let bad = [("symbol", "$..["), ("price", "$.p"), ("volume", "$.v")];
        let e = SourceMapper::new(&plan("json", &[], &bad, None), &stock()).unwrap_err();
        assert!(e.message.contains("not a JSONPath"), "{}", e.message);
        // Attributes @attributes leaves out are read from `$.<name>`.
        let mut partial = SourceMapper::new(&plan("json", &[], &[("symbol", "$.s")], None), &stock()).unwrap();
        assert_eq!(partial.map(&text(r#"{"s":"IBM","price":75.5,"volume":100}"#)).unwrap(), vec![ibm()]);
        let e = SourceMapper::new(&plan("json", &[], &[("nope", "$.s")], None), &stock()).unwrap_err();
        assert!(e.message.contains("no attribute 'nope'"), "{}", e.message);
        let positional = [("", "$.a"), ("", "$.b"), ("", "$.c")];
        assert!(SourceMapper::new(&plan("json", &[], &positional, None), &stock()).is_ok());
    }

    #[test]
    fn sink_writes_event_objects() {
        let mut m = SinkMapper::new(&plan("json", &[], &[], None), &stock()).unwrap();
        assert_eq!(m.map(&ibm(), 0), text(r#"{"event":{"symbol":"IBM","price":75.5,"volume":100}}"#));
    }
}
