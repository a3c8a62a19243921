//! `str:groupConcat(key[, separator[, distinct[, order]]])`: the keys in the
//! window joined by `separator` (default `,`), as the reference's string
//! extension builds them. Keys are counted in a map kept in the order each key
//! first came in (a key that left entirely and comes back goes last), or sorted
//! (`'ASC'`, `'DESC'`); every copy of a key is written next to the others
//! (`A`, `B`, `A` gives `A,A,B`), or once with `distinct`. With only `key`, a
//! null key is skipped; with parameters it is the text `null`, as the
//! reference's `String.valueOf`. Empty: the empty string.
//!
//! Differences from the reference: the one-argument form there removes the key
//! `"0"` instead of the expired key (and fails); here it removes the key. The
//! separator is a constant (the front end refuses one read from each event).

use super::Aggregator;
use crate::value::Value;
use std::collections::{BTreeMap, HashMap};

/// The running concatenation.
#[derive(Debug, Default)]
pub struct GroupConcat {
    separator: String,
    distinct: bool,
    /// `None`: first-arrival order; `Some(descending)`: sorted.
    order: Option<bool>,
    /// Whether parameters were given (then a null key counts as `null`).
    with_parameters: bool,
    counts: HashMap<String, (u64, u64)>,
    /// Arrival number → key (first-arrival order).
    arrival: BTreeMap<u64, String>,
    next: u64,
}

impl GroupConcat {
    /// A concatenation with the call's constant parameters (`params[0]` the
    /// separator, `params[1]` distinct, `params[2]` the order).
    pub fn new(params: &[Value]) -> GroupConcat {
        let separator = match params.first() {
            Some(Value::String(s)) => s.to_string(),
            Some(Value::Null) => "null".to_string(),
            _ => ",".to_string(),
        };
        let distinct = matches!(params.get(1), Some(Value::Bool(true)));
        let order = match params.get(2) {
            Some(Value::String(s)) => Some(s.eq_ignore_ascii_case("desc")),
            _ => None,
        };
        GroupConcat { separator, distinct, order, with_parameters: !params.is_empty(), ..GroupConcat::default() }
    }

    fn key(&self, v: &Value) -> Option<String> {
        match v {
            Value::Null if !self.with_parameters => None,
            Value::Null => Some("null".into()),
            Value::String(s) => Some(s.to_string()),
            other => Some(other.to_string()),
        }
    }
}

impl Aggregator for GroupConcat {
    fn add(&mut self, v: &Value) {
        let Some(key) = self.key(v) else { return };
        match self.counts.get_mut(&key) {
            Some((n, _)) => *n += 1,
            None => {
                self.arrival.insert(self.next, key.clone());
                self.counts.insert(key, (1, self.next));
                self.next += 1;
            }
        }
    }
    fn remove(&mut self, v: &Value) {
        let Some(key) = self.key(v) else { return };
        if let Some((n, at)) = self.counts.get_mut(&key) {
            *n -= 1;
            if *n == 0 {
                let at = *at;
                self.counts.remove(&key);
                self.arrival.remove(&at);
            }
        }
    }
    fn value(&self) -> Value {
        let mut keys: Vec<&String> = self.arrival.values().collect();
        match self.order {
            Some(false) => keys.sort(),
            Some(true) => keys.sort_by(|a, b| b.cmp(a)),
            None => {}
        }
        let mut out = String::new();
        let mut first = true;
        for k in keys {
            let n = if self.distinct { 1 } else { self.counts.get(k).map_or(0, |c| c.0) };
            for _ in 0..n {
                if !first {
                    out.push_str(&self.separator);
                }
                out.push_str(k);
                first = false;
            }
        }
        Value::string(&out)
    }
    fn reset(&mut self) {
        self.counts.clear();
        self.arrival.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(params: &[Value], keys: &[&str]) -> GroupConcat {
        let mut g = GroupConcat::new(params);
        keys.iter().for_each(|k| g.add(&Value::string(k)));
        g
    }

    #[test]
    fn orders() {
        let keys = ["A", "B", "S", "C", "A"];
        assert_eq!(run(&[], &keys).value(), Value::string("A,A,B,S,C"));
        let asc = [Value::string("-"), Value::Bool(true), Value::string("ASC")];
        assert_eq!(run(&asc, &keys).value(), Value::string("A-B-C-S"));
        let desc = [Value::string("-"), Value::Bool(false), Value::string("DESC")];
        assert_eq!(run(&desc, &keys).value(), Value::string("S-C-B-A-A"));
    }

    #[test]
    fn removal_and_return() {
        let mut g = run(&[], &["A", "B"]);
        g.remove(&Value::string("A"));
        g.add(&Value::string("A"));
        assert_eq!(g.value(), Value::string("B,A"));
        g.add(&Value::Null);
        assert_eq!(g.value(), Value::string("B,A"));
        g.reset();
        assert_eq!(g.value(), Value::string(""));
    }
}
