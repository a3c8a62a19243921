//! `keyvalue`: a map of named values (or a JSON object in text) is an event;
//! `@attributes(attr='key')` reads an attribute from another key.

use super::{flag, only_options, MapperError, Payload, Schema};
use sluice_dataflow::value::Value;
use sluice_frontend::logical::MapperPlan;

/// The `keyvalue` source mapper.
#[derive(Debug)]
pub struct KeyValueSource {
    schema: Schema,
    /// The key each attribute is read from.
    keys: Vec<String>,
    fail_on_missing: bool,
}

impl KeyValueSource {
    /// Builds the mapper (options: `fail.on.missing.attribute`, default true).
    pub fn new(plan: &MapperPlan, schema: &Schema) -> Result<KeyValueSource, MapperError> {
        only_options(plan, &["fail.on.missing.attribute"])?;
        let keys = super::json::attribute_sources(plan, schema, true, |name| name.to_string())?;
        Ok(KeyValueSource {
            schema: schema.clone(),
            keys,
            fail_on_missing: flag(plan, "fail.on.missing.attribute", true)?,
        })
    }

    /// The event in `payload`.
    pub fn map(&self, payload: &Payload) -> Result<Vec<Vec<Value>>, String> {
        let parsed;
        let map = match payload {
            Payload::Map(m) => m,
            Payload::Text(t) => match serde_json::from_str(t) {
                Ok(serde_json::Value::Object(m)) => {
                    parsed = m;
                    &parsed
                }
                _ => return Err("the keyvalue mapper reads a map (or a JSON object in text)".into()),
            },
            Payload::Event { .. } => return Err("the keyvalue mapper reads a map, not an event".into()),
        };
        let mut row = Vec::with_capacity(self.keys.len());
        for ((key, ty), name) in self.keys.iter().zip(&self.schema.types).zip(&self.schema.names) {
            match map.get(key) {
                Some(v) => row.push(Value::from_json(v, *ty).map_err(|e| format!("attribute '{name}': {e}"))?),
                None if self.fail_on_missing => return Err(format!("key '{key}' (attribute '{name}') is missing")),
                None => row.push(Value::Null),
            }
        }
        Ok(vec![row])
    }
}

/// The row of a JSON object holding the stream's attributes by name.
pub(super) fn row_of_object(
    schema: &Schema,
    map: &serde_json::Map<String, serde_json::Value>,
    fail_on_missing: bool,
) -> Result<Vec<Value>, String> {
    let mut row = Vec::with_capacity(schema.names.len());
    for (name, ty) in schema.names.iter().zip(&schema.types) {
        match map.get(name) {
            Some(v) => row.push(Value::from_json(v, *ty).map_err(|e| format!("attribute '{name}': {e}"))?),
            None if fail_on_missing => return Err(format!("attribute '{name}' is missing")),
            None => row.push(Value::Null),
        }
    }
    Ok(row)
}

#[cfg(test)]
mod tests {
    use super::super::test_support::*;
    use super::super::{SinkMapper, SourceMapper};
    use super::*;

    #[test]
    fn reads_maps_by_key_and_writes_them() {
        let mut m = SourceMapper::new(
            &plan("keyvalue", &[], &[("symbol", "s"), ("price", "p"), ("volume", "v")], None),
            &stock(),
        )
        .unwrap();
        let map = serde_json::json!({"s": "IBM", "p": 75.5, "v": 100});
        let serde_json::Value::Object(map) = map else { unreachable!() };
        assert_eq!(m.map(&Payload::Map(map.clone())).unwrap(), vec![ibm()]);
        let mut short = map.clone();
        short.remove("v");
        assert!(m.map(&Payload::Map(short.clone())).unwrap_err().contains("key 'v'"));
        let mut lenient =
            SourceMapper::new(&plan("keyvalue", &[("fail.on.missing.attribute", "false")], &[], None), &stock())
                .unwrap();
        let text = Payload::Text(r#"{"symbol":"IBM","price":75.5}"#.into());
        assert_eq!(lenient.map(&text).unwrap(), vec![vec![Value::string("IBM"), Value::Double(75.5), Value::Null]]);
        let mut sink = SinkMapper::new(&plan("keyvalue", &[], &[], None), &stock()).unwrap();
        let Payload::Map(out) = sink.map(&ibm(), 0) else { panic!("not a map") };
        assert_eq!(serde_json::Value::Object(out), serde_json::json!({"symbol": "IBM", "price": 75.5, "volume": 100}));
    }
}
