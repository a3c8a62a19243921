//! Mappers: a source mapper turns a payload into events of a stream, a sink
//! mapper turns an event into a payload. They are pure (no I/O): built once from
//! the app's [`MapperPlan`] and the stream's schema, then used per payload.

mod csv;
mod json;
mod keyvalue;
pub mod properties;
mod template;
mod text;
mod xml;
mod xpath;

pub use properties::PropertyMapper;
pub use template::Template;

use serde_json::Value as J;
use sluice_dataflow::value::Value;
use sluice_frontend::ast::{AttrType, Span};
use sluice_frontend::logical::MapperPlan;

/// What a transport carries.
#[derive(Clone, Debug, PartialEq)]
pub enum Payload {
    /// Text (a line of a file, an MQTT message, a log line …).
    Text(String),
    /// Named values (what `keyvalue` reads and writes).
    Map(serde_json::Map<String, serde_json::Value>),
    /// An event as it is (what `passThrough` reads and writes in process).
    Event {
        /// Its values, in its stream's attribute order.
        row: Vec<Value>,
        /// Its timestamp (ms).
        ts: i64,
    },
}

/// A stream's attributes, as mappers see them.
#[derive(Clone, Debug, PartialEq)]
pub struct Schema {
    /// The stream's name.
    pub stream: String,
    /// Attribute names, in order.
    pub names: Vec<String>,
    /// Attribute types, in the same order.
    pub types: Vec<AttrType>,
}

impl Schema {
    /// The position of attribute `name`.
    pub fn position(&self, name: &str) -> Option<usize> {
        self.names.iter().position(|n| n == name)
    }

    /// The text of a payload, as a text-reading mapper sees it.
    fn text_of(&self, payload: &Payload) -> String {
        match payload {
            Payload::Text(t) => t.clone(),
            Payload::Map(m) => serde_json::Value::Object(m.clone()).to_string(),
            Payload::Event { row, ts } => event_json(self, row, *ts),
        }
    }
}

/// `{"stream":…,"ts":…,"data":{…}}`: how an event is written as text where a
/// transport needs text and the mapper passes events through.
pub fn event_json(schema: &Schema, row: &[Value], ts: i64) -> String {
    format!("{{\"stream\":{},\"ts\":{ts},\"data\":{}}}", J::String(schema.stream.clone()), data_text(schema, row))
}

/// The event's attributes as a JSON object's text, in the stream's order.
fn data_text(schema: &Schema, row: &[Value]) -> String {
    let fields: Vec<String> =
        schema.names.iter().zip(row).map(|(n, v)| format!("{}:{}", J::String(n.clone()), v.to_json())).collect();
    format!("{{{}}}", fields.join(","))
}

/// The event's attributes as a JSON map.
fn data_object(schema: &Schema, row: &[Value]) -> serde_json::Map<String, J> {
    schema.names.iter().zip(row).map(|(n, v)| (n.clone(), v.to_json())).collect()
}

/// Reads text as a value of type `ty`.
fn value_from_text(text: &str, ty: AttrType) -> Result<Value, String> {
    Value::from_json(&serde_json::Value::String(text.to_string()), ty)
}

/// A mapper that cannot be built: where and why.
#[derive(Clone, Debug, PartialEq)]
pub struct MapperError {
    /// The option or annotation at fault.
    pub span: Span,
    /// Why.
    pub message: String,
    /// Whether it asks for something Sluice has not built (rather than something wrong).
    pub not_built: bool,
}

impl MapperError {
    fn at(span: Span, message: impl Into<String>) -> MapperError {
        MapperError { span, message: message.into(), not_built: false }
    }

    fn not_built(span: Span, message: impl Into<String>) -> MapperError {
        MapperError { span, message: message.into(), not_built: true }
    }
}

/// Refuses every option of `plan` not in `allowed` (a trailing `.` allows a prefix).
fn only_options(plan: &MapperPlan, allowed: &[&str]) -> Result<(), MapperError> {
    for o in &plan.options {
        let known = allowed.iter().any(|a| {
            if a.ends_with('.') {
                o.key.len() > a.len() && o.key.get(..a.len()).is_some_and(|p| p.eq_ignore_ascii_case(a))
            } else {
                o.key.eq_ignore_ascii_case(a)
            }
        });
        if !known {
            let list = if allowed.is_empty() { "none".to_string() } else { allowed.join(", ") };
            return Err(MapperError::at(
                o.span,
                format!("mapper '{}' has no option '{}' (the options Sluice reads: {list})", plan.kind, o.key),
            ));
        }
    }
    Ok(())
}

/// A boolean option (`'true'`/`'false'`), or `default`.
fn flag(plan: &MapperPlan, key: &str, default: bool) -> Result<bool, MapperError> {
    let Some(o) = plan.options.iter().find(|o| o.key.eq_ignore_ascii_case(key)) else { return Ok(default) };
    match o.value.to_ascii_lowercase().as_str() {
        "true" => Ok(true),
        "false" => Ok(false),
        _ => Err(MapperError::at(o.span, format!("option '{key}' is 'true' or 'false', not '{}'", o.value))),
    }
}

/// Turns payloads into events of one stream.
#[derive(Debug)]
pub enum SourceMapper {
    /// `json`.
    Json(json::JsonSource),
    /// `csv`.
    Csv(csv::CsvSource),
    /// `text`.
    Text(text::TextSource),
    /// `keyvalue`.
    KeyValue(keyvalue::KeyValueSource),
    /// `xml`.
    Xml(xml::XmlSource),
    /// `passThrough`: events as they are (text is read as a JSON object or array).
    PassThrough(Schema),
}

impl SourceMapper {
    /// The mapper `plan` names, for events of `schema`.
    pub fn new(plan: &MapperPlan, schema: &Schema) -> Result<SourceMapper, MapperError> {
        if plan.payload.is_some() {
            return Err(MapperError::at(plan.span, "@payload is for sinks; a source's mapper reads @attributes"));
        }
        Ok(match plan.kind.as_str() {
            "json" => SourceMapper::Json(json::JsonSource::new(plan, schema)?),
            "csv" => SourceMapper::Csv(csv::CsvSource::new(plan, schema)?),
            "text" => SourceMapper::Text(text::TextSource::new(plan, schema)?),
            "keyvalue" => SourceMapper::KeyValue(keyvalue::KeyValueSource::new(plan, schema)?),
            "xml" => SourceMapper::Xml(xml::XmlSource::new(plan, schema)?),
            _ => {
                only_options(plan, &[])?;
                if let Some(a) = plan.attributes.first() {
                    return Err(MapperError::at(a.span, "the passThrough mapper takes no @attributes"));
                }
                SourceMapper::PassThrough(schema.clone())
            }
        })
    }

    /// The events (rows) in `payload`, or why it cannot be read (the payload is
    /// then dropped by the caller, with the reason in the log).
    pub fn map(&mut self, payload: &Payload) -> Result<Vec<Vec<Value>>, String> {
        match self {
            SourceMapper::Json(m) => m.map(payload),
            SourceMapper::Csv(m) => m.map(payload),
            SourceMapper::Text(m) => m.map(payload),
            SourceMapper::KeyValue(m) => m.map(payload),
            SourceMapper::Xml(m) => m.map(payload),
            SourceMapper::PassThrough(schema) => pass_through(schema, payload),
        }
    }
}

/// `passThrough`: an event keeps its values (converted to the stream's types); text
/// is read as a JSON object of attributes or an array of values.
fn pass_through(schema: &Schema, payload: &Payload) -> Result<Vec<Vec<Value>>, String> {
    let json = match payload {
        Payload::Event { row, .. } => {
            if row.len() != schema.names.len() {
                return Err(format!(
                    "an event of {} values for a stream of {} attributes",
                    row.len(),
                    schema.names.len()
                ));
            }
            let mut out = Vec::with_capacity(row.len());
            for (v, ty) in row.iter().zip(&schema.types) {
                out.push(Value::from_json(&v.to_json(), *ty)?);
            }
            return Ok(vec![out]);
        }
        Payload::Map(m) => serde_json::Value::Object(m.clone()),
        Payload::Text(t) => serde_json::from_str(t).map_err(|e| format!("not JSON: {e}"))?,
    };
    let row = match &json {
        serde_json::Value::Object(m) => keyvalue::row_of_object(schema, m, true)?,
        serde_json::Value::Array(items) if items.len() == schema.types.len() => {
            items.iter().zip(&schema.types).map(|(v, ty)| Value::from_json(v, *ty)).collect::<Result<_, _>>()?
        }
        _ => return Err(format!("expected a JSON object or an array of {} values", schema.types.len())),
    };
    Ok(vec![row])
}

/// Turns events of one stream into payloads.
#[derive(Debug)]
pub enum SinkMapper {
    /// `json`.
    Json(json::JsonSink),
    /// `csv`.
    Csv(csv::CsvSink),
    /// `text`.
    Text(text::TextSink),
    /// `keyvalue`.
    KeyValue(Schema),
    /// `xml` (its own `@payload` handling: inside `enclosing.element`, values escaped).
    Xml(xml::XmlSink),
    /// `passThrough`: the event itself.
    PassThrough,
    /// Any text-like mapper with `@payload("…{{attr}}…")`.
    Template(Template),
}

impl SinkMapper {
    /// The mapper `plan` names, for events of `schema`.
    pub fn new(plan: &MapperPlan, schema: &Schema) -> Result<SinkMapper, MapperError> {
        if let Some(a) = plan.attributes.first() {
            return Err(MapperError::at(a.span, "@attributes are for sources; a sink's mapper takes @payload"));
        }
        if plan.kind == "xml" {
            return Ok(SinkMapper::Xml(xml::XmlSink::new(plan, schema)?));
        }
        if let Some(p) = &plan.payload {
            if plan.kind == "passThrough" || plan.kind == "keyvalue" {
                return Err(MapperError::at(
                    p.span,
                    format!("the {} mapper writes no text; @payload needs json, csv, text or xml", plan.kind),
                ));
            }
            only_options(plan, if plan.kind == "json" { &["validate.json"] } else { &[] })?;
            return Ok(SinkMapper::Template(
                Template::parse(&p.value, schema).map_err(|m| MapperError::at(p.span, m))?,
            ));
        }
        Ok(match plan.kind.as_str() {
            "json" => SinkMapper::Json(json::JsonSink::new(plan, schema)?),
            "csv" => SinkMapper::Csv(csv::CsvSink::new(plan, schema)?),
            "text" => {
                only_options(plan, &[])?;
                SinkMapper::Text(text::TextSink::new(schema))
            }
            "keyvalue" => {
                only_options(plan, &[])?;
                SinkMapper::KeyValue(schema.clone())
            }
            _ => {
                only_options(plan, &[])?;
                SinkMapper::PassThrough
            }
        })
    }

    /// The payload of one event.
    pub fn map(&mut self, row: &[Value], ts: i64) -> Payload {
        match self {
            SinkMapper::Json(m) => Payload::Text(m.map(row)),
            SinkMapper::Csv(m) => Payload::Text(m.map(row)),
            SinkMapper::Text(m) => Payload::Text(m.map(row)),
            SinkMapper::Xml(m) => Payload::Text(m.map(row)),
            SinkMapper::KeyValue(schema) => Payload::Map(data_object(schema, row)),
            SinkMapper::PassThrough => Payload::Event { row: row.to_vec(), ts },
            SinkMapper::Template(t) => Payload::Text(t.render(row)),
        }
    }
}

#[cfg(test)]
pub(crate) mod test_support {
    use super::*;
    use sluice_frontend::logical::{ConnectorOption, MappedAttribute};

    /// A schema `S (symbol string, price double, volume long)`.
    pub fn stock() -> Schema {
        Schema {
            stream: "S".into(),
            names: vec!["symbol".into(), "price".into(), "volume".into()],
            types: vec![AttrType::String, AttrType::Double, AttrType::Long],
        }
    }

    /// A mapper plan of `kind` with `options` and named `attributes`.
    pub fn plan(
        kind: &str,
        options: &[(&str, &str)],
        attributes: &[(&str, &str)],
        payload: Option<&str>,
    ) -> MapperPlan {
        let span = Span::default();
        MapperPlan {
            kind: kind.into(),
            options: options
                .iter()
                .map(|(k, v)| ConnectorOption { key: k.to_string(), value: v.to_string(), span })
                .collect(),
            attributes: attributes
                .iter()
                .map(|(n, p)| MappedAttribute {
                    name: (!n.is_empty()).then(|| n.to_string()),
                    path: p.to_string(),
                    span,
                })
                .collect(),
            payload: payload.map(|p| ConnectorOption { key: "payload".into(), value: p.into(), span }),
            span,
        }
    }

    /// The row `('IBM', 75.5, 100)`.
    pub fn ibm() -> Vec<Value> {
        vec![Value::string("IBM"), Value::Double(75.5), Value::Long(100)]
    }
}

#[cfg(test)]
mod tests {
    use super::test_support::*;
    use super::*;

    #[test]
    fn pass_through_keeps_events_and_reads_json_text() {
        let mut m = SourceMapper::new(&plan("passThrough", &[], &[], None), &stock()).unwrap();
        let event = Payload::Event { row: vec![Value::string("IBM"), Value::Int(75), Value::Int(100)], ts: 1 };
        assert_eq!(m.map(&event).unwrap(), vec![vec![Value::string("IBM"), Value::Double(75.0), Value::Long(100)]]);
        let text = Payload::Text(r#"{"symbol":"IBM","price":75.5,"volume":100}"#.into());
        assert_eq!(m.map(&text).unwrap(), vec![ibm()]);
        assert!(m.map(&Payload::Text("nope".into())).unwrap_err().contains("not JSON"));
        let mut sink = SinkMapper::new(&plan("passThrough", &[], &[], None), &stock()).unwrap();
        assert_eq!(sink.map(&ibm(), 5), Payload::Event { row: ibm(), ts: 5 });
    }

    #[test]
    fn unknown_options_and_misplaced_annotations_are_refused() {
        let e = SourceMapper::new(&plan("json", &[("bogus", "1")], &[], None), &stock()).unwrap_err();
        assert!(e.message.contains("no option 'bogus'"), "{}", e.message);
        let e = SinkMapper::new(&plan("json", &[], &[("symbol", "$.s")], None), &stock()).unwrap_err();
        assert!(e.message.contains("@attributes are for sources"));
        let e = SourceMapper::new(&plan("text", &[], &[], Some("x")), &stock()).unwrap_err();
        assert!(e.message.contains("@payload is for sinks"));
        let e = SinkMapper::new(&plan("keyvalue", &[], &[], Some("{{symbol}}")), &stock()).unwrap_err();
        assert!(e.message.contains("writes no text"));
    }

    #[test]
    fn a_payload_template_works_for_every_text_mapper() {
        for kind in ["json", "csv", "text", "xml"] {
            let mut m = SinkMapper::new(&plan(kind, &[], &[], Some("{{symbol}} at {{price}}")), &stock()).unwrap();
            assert_eq!(m.map(&ibm(), 0), Payload::Text("IBM at 75.5".into()));
        }
    }
}
