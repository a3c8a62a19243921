//! `json:group(json[, enclosing.element][, distinct])` and
//! `json:groupAsObject(…)`: the JSON objects in the window as one array, kept in
//! the order each object first came in with every copy next to the others (once
//! with `distinct`), inside `{"<enclosing.element>": […]}` when one is given, as
//! the reference's JSON extension builds it. `json:group` gives its text (a
//! string), `json:groupAsObject` the JSON (an `object`). A string argument is
//! read as JSON text; what is not a JSON object is an error (the event fails, as
//! the reference's cast does) and is not counted; a null is counted as `null`.
//! The parameters are constants (the front end refuses ones read from each
//! event). Empty: `[]` (or `{"e":[]}`).

use super::Aggregator;
use crate::functions::json::document;
use crate::query::expr::raise;
use crate::value::Value;
use serde_json::Value as J;
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

/// The running group.
#[derive(Debug, Default)]
pub struct JsonGroup {
    enclosing: Option<String>,
    distinct: bool,
    as_object: bool,
    /// Compact text → (the JSON, count, arrival number).
    counts: HashMap<String, (J, u64, u64)>,
    arrival: BTreeMap<u64, String>,
    next: u64,
}

impl JsonGroup {
    /// A group with the call's constant parameters (`[distinct]`,
    /// `[enclosing]` or `[enclosing, distinct]`); `as_object` for
    /// `json:groupAsObject`.
    pub fn new(params: &[Value], as_object: bool) -> JsonGroup {
        let (enclosing, distinct) = match params {
            [Value::Bool(d)] => (None, *d),
            [e] => (Some(e.to_string()), false),
            [e, d] => (Some(e.to_string()), matches!(d, Value::Bool(true))),
            _ => (None, false),
        };
        JsonGroup { enclosing, distinct, as_object, ..JsonGroup::default() }
    }

    /// The object `v` holds (JSON null for a null), or why not.
    fn object(v: &Value) -> Result<J, String> {
        if matches!(v, Value::Null) {
            return Ok(J::Null);
        }
        match document(v)? {
            o @ J::Object(_) => Ok(o),
            other => Err(format!("json:group() aggregates JSON objects, found {other}")),
        }
    }
}

impl Aggregator for JsonGroup {
    fn add(&mut self, v: &Value) {
        let json = match JsonGroup::object(v) {
            Ok(j) => j,
            Err(m) => return raise(|| m),
        };
        let key = json.to_string();
        match self.counts.get_mut(&key) {
            Some((_, n, _)) => *n += 1,
            None => {
                self.arrival.insert(self.next, key.clone());
                self.counts.insert(key, (json, 1, self.next));
                self.next += 1;
            }
        }
    }
    fn remove(&mut self, v: &Value) {
        let Ok(json) = JsonGroup::object(v) else { return };
        let key = json.to_string();
        if let Some((_, n, at)) = self.counts.get_mut(&key) {
            *n -= 1;
            if *n == 0 {
                let at = *at;
                self.counts.remove(&key);
                self.arrival.remove(&at);
            }
        }
    }
    fn value(&self) -> Value {
        let mut array = Vec::new();
        for key in self.arrival.values() {
            if let Some((json, n, _)) = self.counts.get(key) {
                let n = if self.distinct { 1 } else { *n };
                array.extend(std::iter::repeat_n(json, n as usize).cloned());
            }
        }
        let json = match &self.enclosing {
            Some(e) => {
                let mut o = serde_json::Map::new();
                o.insert(e.clone(), J::Array(array));
                J::Object(o)
            }
            None => J::Array(array),
        };
        if self.as_object {
            Value::Json(Arc::new(json))
        } else {
            Value::string(&json.to_string())
        }
    }
    fn reset(&mut self) {
        self.counts.clear();
        self.arrival.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups() {
        let a = Value::string(r#"{"date":"2013-11-19","time":"10:30"}"#);
        let b = Value::string(r#"{"date":"2013-11-19","time":"12:20"}"#);
        let mut g = JsonGroup::new(&[], false);
        g.add(&a);
        g.add(&b);
        g.add(&a);
        let expected = r#"[{"date":"2013-11-19","time":"10:30"},{"date":"2013-11-19","time":"10:30"},{"date":"2013-11-19","time":"12:20"}]"#;
        assert_eq!(g.value(), Value::string(expected));
        let mut d = JsonGroup::new(&[Value::string("result"), Value::Bool(true)], false);
        d.add(&a);
        d.add(&a);
        assert_eq!(d.value(), Value::string(r#"{"result":[{"date":"2013-11-19","time":"10:30"}]}"#));
        d.remove(&a);
        d.remove(&a);
        assert_eq!(d.value(), Value::string(r#"{"result":[]}"#));
    }
}
