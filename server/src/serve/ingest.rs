//! Turns a request body into typed events of one stream: a JSON object, a JSON
//! array, NDJSON, or CSV, and Siddhi's `{"event": {…}}` shape. Every event is
//! checked against the stream's schema; the first bad one refuses the batch with
//! its index, field and reason.

use super::running::NewEvent;
use sluice_dataflow::value::Value;
use sluice_frontend::ast::AttrType;

/// The body formats.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BodyFormat {
    /// One JSON object or array of objects; NDJSON when the body is several JSON
    /// values, one per line.
    Json,
    /// One JSON value per line.
    Ndjson,
    /// Comma-separated values in attribute order; a header row naming the
    /// attributes (in any order) is allowed.
    Csv,
}

impl BodyFormat {
    /// The format a `Content-Type` names (JSON when absent or unknown).
    pub fn from_content_type(ct: Option<&str>) -> BodyFormat {
        let ct = ct.unwrap_or("").split(';').next().unwrap_or("").trim().to_ascii_lowercase();
        match ct.as_str() {
            "text/csv" | "application/csv" => BodyFormat::Csv,
            "application/x-ndjson" | "application/ndjson" | "application/jsonl" | "application/x-jsonlines" => {
                BodyFormat::Ndjson
            }
            _ => BodyFormat::Json,
        }
    }
}

/// What is wrong with one event of a batch.
#[derive(Debug, PartialEq, Eq)]
pub struct BadEvent {
    /// Its place in the batch (0-based).
    pub index: usize,
    /// The attribute at fault, if one is.
    pub field: Option<String>,
    /// Why.
    pub reason: String,
}

impl std::fmt::Display for BadEvent {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.field {
            Some(field) => write!(f, "event {}: field `{field}`: {}", self.index, self.reason),
            None => write!(f, "event {}: {}", self.index, self.reason),
        }
    }
}

/// The stream events are decoded for.
pub struct Target<'a> {
    /// Its name.
    pub stream: &'a str,
    /// Attribute names in order.
    pub names: &'a [String],
    /// Attribute types in order.
    pub types: &'a [AttrType],
}

/// Decodes a whole body; all events or the first error.
pub fn decode(body: &[u8], format: BodyFormat, target: &Target<'_>) -> Result<Vec<NewEvent>, BadEvent> {
    let text = std::str::from_utf8(body).map_err(|e| BadEvent {
        index: 0,
        field: None,
        reason: format!("the body is not UTF-8 ({e})"),
    })?;
    match format {
        BodyFormat::Csv => decode_csv(text, target),
        BodyFormat::Ndjson => decode_lines(text, target),
        BodyFormat::Json => match serde_json::from_str::<serde_json::Value>(text) {
            // An array of plain values is one event in attribute order.
            Ok(item @ serde_json::Value::Array(_))
                if item
                    .as_array()
                    .is_some_and(|a| !a.is_empty() && a.iter().all(|v| !v.is_object() && !v.is_array())) =>
            {
                Ok(vec![decode_json_event(&item, 0, target)?])
            }
            Ok(serde_json::Value::Array(items)) => {
                items.iter().enumerate().map(|(i, item)| decode_json_event(item, i, target)).collect()
            }
            Ok(item) => Ok(vec![decode_json_event(&item, 0, target)?]),
            Err(_) if text.trim().contains('\n') => decode_lines(text, target),
            Err(e) => Err(BadEvent { index: 0, field: None, reason: format!("not JSON: {e}") }),
        },
    }
}

fn decode_lines(text: &str, target: &Target<'_>) -> Result<Vec<NewEvent>, BadEvent> {
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .enumerate()
        .map(|(i, line)| {
            let item: serde_json::Value = serde_json::from_str(line).map_err(|e| BadEvent {
                index: i,
                field: None,
                reason: format!("not JSON: {e}"),
            })?;
            decode_json_event(&item, i, target)
        })
        .collect()
}

/// One event: `{attr: value…}`, `{"event": {attr: value…}, "ts": ms}`, or
/// `[value…]` in attribute order.
fn decode_json_event(item: &serde_json::Value, index: usize, target: &Target<'_>) -> Result<NewEvent, BadEvent> {
    use serde_json::Value as J;
    let bad = |field: Option<&str>, reason: String| BadEvent { index, field: field.map(str::to_string), reason };
    let wrapped = match item {
        J::Object(m) if !target.names.iter().any(|n| n == "event") => m.get("event").map(|e| (e, m)),
        _ => None,
    };
    let (data, ts) = match wrapped {
        Some((event, outer)) => {
            if let Some(k) = outer.keys().find(|k| !matches!(k.as_str(), "event" | "ts" | "timestamp")) {
                return Err(bad(Some(k), "unexpected beside `event` (allowed: `ts`, `timestamp`)".into()));
            }
            let ts = match outer.get("ts").or_else(|| outer.get("timestamp")) {
                None | Some(J::Null) => None,
                Some(t) => Some(t.as_i64().ok_or_else(|| bad(Some("ts"), "must be an integer (ms)".into()))?),
            };
            (event, ts)
        }
        None => (item, None),
    };
    let mut values = Vec::with_capacity(target.types.len());
    match data {
        J::Object(map) => {
            if let Some(extra) = map.keys().find(|k| !target.names.contains(k)) {
                return Err(bad(Some(extra), format!("stream '{}' has no such attribute", target.stream)));
            }
            for (name, ty) in target.names.iter().zip(target.types) {
                let v = map.get(name).unwrap_or(&J::Null);
                values.push(Value::from_json(v, *ty).map_err(|e| bad(Some(name), e))?);
            }
        }
        J::Array(items) => {
            if items.len() != target.types.len() {
                return Err(bad(
                    None,
                    format!("stream '{}' has {} attributes, got {}", target.stream, target.types.len(), items.len()),
                ));
            }
            for ((v, name), ty) in items.iter().zip(target.names).zip(target.types) {
                values.push(Value::from_json(v, *ty).map_err(|e| bad(Some(name), e))?);
            }
        }
        other => return Err(bad(None, format!("an event is a JSON object or array, got {other}"))),
    }
    Ok(NewEvent { stream: target.stream.to_string(), values, ts })
}

fn decode_csv(text: &str, target: &Target<'_>) -> Result<Vec<NewEvent>, BadEvent> {
    let mut reader = csv::ReaderBuilder::new().has_headers(false).trim(csv::Trim::All).from_reader(text.as_bytes());
    let mut events = Vec::new();
    // Column i of the body holds attribute order[i].
    let mut order: Vec<usize> = (0..target.names.len()).collect();
    for (row_no, record) in reader.records().enumerate() {
        let index = events.len();
        let record = record.map_err(|e| BadEvent { index, field: None, reason: format!("bad CSV: {e}") })?;
        if row_no == 0 && record.iter().all(|f| target.names.iter().any(|n| n == f)) && record.len() == order.len() {
            order = record.iter().map(|f| target.names.iter().position(|n| n == f).unwrap_or(0)).collect();
            continue;
        }
        if record.len() != target.types.len() {
            return Err(BadEvent {
                index,
                field: None,
                reason: format!(
                    "stream '{}' has {} attributes, the row has {}",
                    target.stream,
                    target.types.len(),
                    record.len()
                ),
            });
        }
        let mut values = vec![Value::Null; target.types.len()];
        for (col, field) in record.iter().enumerate() {
            let attr = order[col];
            let ty = target.types[attr];
            values[attr] = csv_value(field, ty).map_err(|reason| BadEvent {
                index,
                field: Some(target.names[attr].clone()),
                reason,
            })?;
        }
        events.push(NewEvent { stream: target.stream.to_string(), values, ts: None });
    }
    Ok(events)
}

/// A CSV field as a value of `ty`; an empty field is null.
fn csv_value(field: &str, ty: AttrType) -> Result<Value, String> {
    if field.is_empty() {
        return Ok(Value::Null);
    }
    let json = match ty {
        AttrType::String | AttrType::Object => serde_json::Value::String(field.to_string()),
        _ => serde_json::from_str(field).map_err(|_| format!("expected {ty}, got {field:?}"))?,
    };
    Value::from_json(&json, ty)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn target() -> (Vec<String>, Vec<AttrType>) {
        (
            vec!["symbol".into(), "price".into(), "volume".into()],
            vec![AttrType::String, AttrType::Double, AttrType::Long],
        )
    }

    fn decode_text(body: &str, format: BodyFormat) -> Result<Vec<Vec<Value>>, BadEvent> {
        let (names, types) = target();
        let t = Target { stream: "S", names: &names, types: &types };
        decode(body.as_bytes(), format, &t).map(|evs| evs.into_iter().map(|e| e.values).collect())
    }

    #[test]
    fn every_shape_decodes_to_the_same_event() {
        let want = vec![vec![Value::String("IBM".into()), Value::Double(75.5), Value::Long(10)]];
        for (body, format) in [
            (r#"{"symbol":"IBM","price":75.5,"volume":10}"#, BodyFormat::Json),
            (r#"[{"symbol":"IBM","price":75.5,"volume":10}]"#, BodyFormat::Json),
            (r#"{"event":{"symbol":"IBM","price":75.5,"volume":10}}"#, BodyFormat::Json),
            (r#"["IBM",75.5,10]"#, BodyFormat::Json),
            ("[[\"IBM\",75.5,10]]", BodyFormat::Json),
            ("{\"symbol\":\"IBM\",\"price\":75.5,\"volume\":10}\n", BodyFormat::Ndjson),
            ("symbol,price,volume\nIBM,75.5,10\n", BodyFormat::Csv),
            ("volume,symbol,price\n10,IBM,75.5\n", BodyFormat::Csv),
            ("IBM, 75.5, 10", BodyFormat::Csv),
        ] {
            assert_eq!(decode_text(body, format).unwrap(), want, "{body}");
        }
    }

    #[test]
    fn ndjson_without_content_type_is_detected() {
        let body = "{\"symbol\":\"A\",\"price\":1,\"volume\":1}\n{\"symbol\":\"B\",\"price\":2,\"volume\":2}\n";
        assert_eq!(decode_text(body, BodyFormat::Json).unwrap().len(), 2);
    }

    #[test]
    fn errors_name_the_event_and_field() {
        let body = r#"[{"symbol":"A","price":1,"volume":1},{"symbol":"B","price":"cheap","volume":2}]"#;
        let e = decode_text(body, BodyFormat::Json).unwrap_err();
        assert_eq!((e.index, e.field.as_deref()), (1, Some("price")));
        let e = decode_text(r#"{"symbol":"A","prize":1}"#, BodyFormat::Json).unwrap_err();
        assert_eq!(e.field.as_deref(), Some("prize"));
        let e = decode_text("A,1,1\nB,x,2\n", BodyFormat::Csv).unwrap_err();
        assert_eq!((e.index, e.field.as_deref()), (1, Some("price")));
        let e = decode_text("{\"symbol\":\"A\"}\nnot json\n", BodyFormat::Ndjson).unwrap_err();
        assert_eq!(e.index, 1);
    }
}
