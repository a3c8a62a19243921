//! The collecting aggregates of the map and list extensions:
//!
//! * `map:collect(key, value)`: a map of the events' keys to their values; a later
//!   event's value for a key replaces the earlier one, and an event leaving the
//!   window takes its key out (whatever value the key holds then), as the
//!   reference's `HashMap` does.
//! * `map:merge(map)`: the maps put into one, later entries replacing earlier ones;
//!   a leaving map takes every one of its keys out.
//! * `list:collect(value[, is.distinct])`: the events' values in arrival order (an
//!   equal value is skipped when `is.distinct` is true); a leaving event takes out
//!   the first equal element.
//! * `list:merge(list[, is.distinct])`: the lists' elements, one after the other
//!   (with `is.distinct`, only elements not yet held); a leaving list takes out
//!   every element equal to one of its own (Java's `removeAll`).
//!
//! Maps and lists are JSON objects and arrays, keys as `functions/map.rs` says.
//! Empty: the empty map or list. A `map:merge`/`list:merge` argument that is not a
//! map/list fails the event, as in the reference.

use super::Aggregator;
use crate::functions::map::{element, found, key_text, list_value, map_value, JMap};
use crate::query::expr::raise;
use crate::value::Value;
use serde_json::Value as J;

/// Which of the four.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// `map:collect`
    MapCollect,
    /// `map:merge`
    MapMerge,
    /// `list:collect`
    ListCollect,
    /// `list:merge`
    ListMerge,
}

/// The running map or list.
#[derive(Debug)]
pub struct Collect {
    kind: Kind,
    map: JMap,
    list: Vec<J>,
}

impl Collect {
    /// An empty one.
    pub fn new(kind: Kind) -> Collect {
        Collect { kind, map: JMap::new(), list: Vec::new() }
    }

    /// The map argument of `map:merge`, or the event fails.
    fn map_arg(v: &Value) -> Option<&JMap> {
        match v {
            Value::Json(j) if j.is_object() => j.as_object(),
            other => {
                raise(|| format!("map:merge(): the argument must be a map, found {}", found(Some(other))));
                None
            }
        }
    }

    /// The list argument of `list:merge`, or the event fails.
    fn list_arg(v: &Value) -> Option<&Vec<J>> {
        match v {
            Value::Json(j) if j.is_array() => j.as_array(),
            other => {
                raise(|| format!("list:merge(): the argument must be a list, found {}", found(Some(other))));
                None
            }
        }
    }

    /// Whether `is.distinct` (argument 2) is true; a null fails the event.
    fn distinct(args: &[Value]) -> bool {
        match args.get(1) {
            None => false,
            Some(Value::Bool(b)) => *b,
            Some(_) => {
                raise(|| "is.distinct must be a bool, found null".into());
                false
            }
        }
    }
}

impl Aggregator for Collect {
    fn add(&mut self, v: &Value) {
        self.add_all(std::slice::from_ref(v));
    }

    fn remove(&mut self, v: &Value) {
        self.remove_all(std::slice::from_ref(v));
    }

    fn add_all(&mut self, args: &[Value]) {
        let first = args.first().unwrap_or(&Value::Null);
        match self.kind {
            Kind::MapCollect => {
                self.map.insert(key_text(first), args.get(1).map_or(J::Null, element));
            }
            Kind::MapMerge => {
                if let Some(m) = Self::map_arg(first) {
                    self.map.extend(m.iter().map(|(k, v)| (k.clone(), v.clone())));
                }
            }
            Kind::ListCollect => {
                let e = element(first);
                if !Self::distinct(args) || !self.list.contains(&e) {
                    self.list.push(e);
                }
            }
            Kind::ListMerge => {
                let distinct = Self::distinct(args);
                if let Some(items) = Self::list_arg(first) {
                    for e in items {
                        if !distinct || !self.list.contains(e) {
                            self.list.push(e.clone());
                        }
                    }
                }
            }
        }
    }

    fn remove_all(&mut self, args: &[Value]) {
        let first = args.first().unwrap_or(&Value::Null);
        match self.kind {
            Kind::MapCollect => {
                self.map.shift_remove(&key_text(first));
            }
            Kind::MapMerge => {
                if let Some(m) = Self::map_arg(first) {
                    m.keys().for_each(|k| {
                        self.map.shift_remove(k);
                    });
                }
            }
            Kind::ListCollect => {
                let e = element(first);
                if let Some(i) = self.list.iter().position(|x| *x == e) {
                    self.list.remove(i);
                }
            }
            Kind::ListMerge => {
                if let Some(items) = Self::list_arg(first) {
                    self.list.retain(|x| !items.contains(x));
                }
            }
        }
    }

    fn value(&self) -> Value {
        match self.kind {
            Kind::MapCollect | Kind::MapMerge => map_value(self.map.clone()),
            Kind::ListCollect | Kind::ListMerge => list_value(self.list.clone()),
        }
    }

    fn reset(&mut self) {
        self.map.clear();
        self.list.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(text: &str) -> Value {
        Value::string(text)
    }

    #[test]
    fn map_collect_and_merge() {
        let mut c = Collect::new(Kind::MapCollect);
        c.add_all(&[s("IBM"), Value::Double(100.0)]);
        c.add_all(&[s("WSO2"), Value::Double(50.0)]);
        c.add_all(&[s("IBM"), Value::Double(120.0)]);
        assert_eq!(c.value().to_string(), r#"{"IBM":120.0,"WSO2":50.0}"#);
        c.remove_all(&[s("IBM"), Value::Double(100.0)]);
        assert_eq!(c.value().to_string(), r#"{"WSO2":50.0}"#);
        let mut m = Collect::new(Kind::MapMerge);
        m.add(&c.value());
        m.add(&map_value(serde_json::from_str(r#"{"WSO2": 1, "X": 2}"#).unwrap()));
        assert_eq!(m.value().to_string(), r#"{"WSO2":1,"X":2}"#);
        m.remove(&c.value());
        assert_eq!(m.value().to_string(), r#"{"X":2}"#);
        m.reset();
        assert_eq!(m.value().to_string(), "{}");
    }

    #[test]
    fn list_collect_and_merge() {
        let mut c = Collect::new(Kind::ListCollect);
        for x in ["a", "b", "a"] {
            c.add(&s(x));
        }
        assert_eq!(c.value().to_string(), r#"["a","b","a"]"#);
        c.remove(&s("a"));
        assert_eq!(c.value().to_string(), r#"["b","a"]"#);
        let mut d = Collect::new(Kind::ListCollect);
        for x in ["a", "b", "a"] {
            d.add_all(&[s(x), Value::Bool(true)]);
        }
        assert_eq!(d.value().to_string(), r#"["a","b"]"#);
        let mut m = Collect::new(Kind::ListMerge);
        m.add(&c.value());
        m.add(&d.value());
        assert_eq!(m.value().to_string(), r#"["b","a","a","b"]"#);
        m.remove(&list_value(vec![J::String("a".into())]));
        assert_eq!(m.value().to_string(), r#"["b","b"]"#);
    }
}
