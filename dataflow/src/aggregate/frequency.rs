//! `frequency(x)` (Macrometa's core aggregate): how many events in the window
//! have the value of `x` of the event being processed, without `group by x`; a
//! long. An arriving event counts itself; an expiring one is counted out first
//! (what is left of its value). Null is a value of its own. Macrometa documents
//! it in one sentence and the reference has no such function, so this reading
//! is Sluice's.

use super::{Aggregator, Multiset};
use crate::value::Value;

/// The counts per value and the value last added or removed.
#[derive(Debug, Default)]
pub struct Frequency {
    counts: Multiset,
    last: Option<Value>,
}

impl Aggregator for Frequency {
    fn add(&mut self, v: &Value) {
        self.counts.insert(v);
        self.last = Some(v.clone());
    }
    fn remove(&mut self, v: &Value) {
        self.counts.remove(v);
        self.last = Some(v.clone());
    }
    fn value(&self) -> Value {
        Value::Long(self.last.as_ref().map_or(0, |v| self.counts.count(v)) as i64)
    }
    fn reset(&mut self) {
        self.counts.clear();
        self.last = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_the_current_value() {
        let mut f = Frequency::default();
        f.add(&Value::string("a"));
        f.add(&Value::string("b"));
        f.add(&Value::string("a"));
        assert_eq!(f.value(), Value::Long(2));
        f.remove(&Value::string("a"));
        assert_eq!(f.value(), Value::Long(1));
        f.add(&Value::string("b"));
        assert_eq!(f.value(), Value::Long(2));
    }
}
