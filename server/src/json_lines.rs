//! Output events as JSON text, written straight from rows: `{"stream":…,"ts":…,
//! "data":{…}}` with the attributes in the stream's order, as `sluice run` prints
//! them, the server streams them to subscribers and log sinks write them. No JSON
//! tree is built per event: each stream's keys are escaped once, values are
//! formatted in place (`itoa`, `ryu`, serde_json's string escaping).

use sluice_dataflow::app::CompiledApp;
use sluice_dataflow::value::Value;
use std::collections::HashMap;

/// How each stream's events are written.
#[derive(Debug, Default)]
pub struct JsonLines {
    streams: HashMap<String, StreamFormat>,
}

#[derive(Debug)]
struct StreamFormat {
    /// `{"stream":"S","ts":`
    head: String,
    /// `"a":`, `"b":` … in the stream's attribute order.
    keys: Vec<String>,
}

impl JsonLines {
    /// The format of every stream, from each stream's attribute names.
    pub fn new<'a>(streams: impl IntoIterator<Item = (&'a str, &'a [String])>) -> JsonLines {
        let streams = streams
            .into_iter()
            .map(|(name, attrs)| {
                let head = format!("{{\"stream\":{},\"ts\":", quoted(name));
                let keys = attrs.iter().map(|a| format!("{}:", quoted(a))).collect();
                (name.to_string(), StreamFormat { head, keys })
            })
            .collect();
        JsonLines { streams }
    }

    /// The format of `streams` of a compiled app (their attribute names).
    pub fn of_app<'a>(app: &CompiledApp, streams: impl IntoIterator<Item = &'a String>) -> JsonLines {
        let names: Vec<(&str, Vec<String>)> =
            streams.into_iter().map(|s| (s.as_str(), app.attribute_names(s))).collect();
        JsonLines::new(names.iter().map(|(s, n)| (*s, n.as_slice())))
    }

    /// Appends `{"stream":…,"ts":…,"data":{…}}` (no newline) to `out`.
    pub fn event(&self, out: &mut Vec<u8>, stream: &str, row: &[Value], ts: i64) {
        match self.streams.get(stream) {
            Some(f) => out.extend_from_slice(f.head.as_bytes()),
            None => {
                out.extend_from_slice(b"{\"stream\":");
                out.extend_from_slice(quoted(stream).as_bytes());
                out.extend_from_slice(b",\"ts\":");
            }
        }
        out.extend_from_slice(itoa::Buffer::new().format(ts).as_bytes());
        out.extend_from_slice(b",\"data\":");
        self.data(out, stream, row);
        out.push(b'}');
    }

    /// Appends the event's attributes as one JSON object, in the stream's order.
    pub fn data(&self, out: &mut Vec<u8>, stream: &str, row: &[Value]) {
        let keys = self.streams.get(stream).map_or(&[][..], |f| f.keys.as_slice());
        out.push(b'{');
        for (i, v) in row.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            match keys.get(i) {
                Some(k) => out.extend_from_slice(k.as_bytes()),
                None => out.extend_from_slice(format!("\"_{i}\":").as_bytes()),
            }
            value(out, v);
        }
        out.push(b'}');
    }
}

/// `s` as a JSON string.
fn quoted(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_else(|_| "\"\"".into())
}

/// Appends one value as JSON, as `Value::to_json` would print it.
fn value(out: &mut Vec<u8>, v: &Value) {
    match v {
        Value::Null => out.extend_from_slice(b"null"),
        Value::Bool(b) => out.extend_from_slice(if *b { b"true" } else { b"false" }),
        Value::Int(x) => out.extend_from_slice(itoa::Buffer::new().format(*x).as_bytes()),
        Value::Long(x) => out.extend_from_slice(itoa::Buffer::new().format(*x).as_bytes()),
        // The shortest text that reads back as the same float, as Java prints it.
        Value::Float(x) if x.is_finite() => out.extend_from_slice(ryu::Buffer::new().format_finite(*x).as_bytes()),
        Value::Float(_) => out.extend_from_slice(b"null"),
        Value::Double(x) => double(out, *x),
        Value::String(s) => {
            let _ = serde_json::to_writer(&mut *out, &**s);
        }
        Value::Set(_) | Value::Json(_) => {
            let _ = serde_json::to_writer(&mut *out, &v.to_json());
        }
    }
}

fn double(out: &mut Vec<u8>, x: f64) {
    if x.is_finite() {
        out.extend_from_slice(ryu::Buffer::new().format_finite(x).as_bytes());
    } else {
        out.extend_from_slice(b"null");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    #[test]
    fn writes_attributes_in_stream_order_as_to_json_would() {
        let names = vec!["zeta".to_string(), "alpha \"q\"".to_string(), "n".to_string()];
        let lines = JsonLines::new([("Out", names.as_slice())]);
        let row = [Value::String(Arc::from("a\nb")), Value::Double(25.0), Value::Null];
        let mut out = Vec::new();
        lines.event(&mut out, "Out", &row, 1_500);
        let text = String::from_utf8(out).unwrap();
        assert_eq!(text, r#"{"stream":"Out","ts":1500,"data":{"zeta":"a\nb","alpha \"q\"":25.0,"n":null}}"#);
        let mut out = Vec::new();
        value(&mut out, &Value::Float(194.3));
        assert_eq!(String::from_utf8(out).unwrap(), "194.3");
        for v in [
            Value::Float(194.3),
            Value::Float(50.0),
            Value::Float(1e-7),
            Value::Double(f64::NAN),
            Value::Long(-7),
            Value::Bool(true),
            Value::Int(3),
        ] {
            let mut out = Vec::new();
            value(&mut out, &v);
            assert_eq!(String::from_utf8(out).unwrap(), v.to_json().to_string());
        }
    }
}
