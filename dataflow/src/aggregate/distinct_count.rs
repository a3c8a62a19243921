//! `distinctCount(x)`: the number of distinct values in the window, a long; null
//! counts as a value of its own, as in the reference.

use super::{Aggregator, Multiset};
use crate::value::Value;

/// The running count of distinct values.
#[derive(Debug, Default)]
pub struct DistinctCount(Multiset);

impl Aggregator for DistinctCount {
    fn add(&mut self, v: &Value) {
        self.0.insert(v)
    }
    fn remove(&mut self, v: &Value) {
        self.0.remove(v)
    }
    fn value(&self) -> Value {
        Value::Long(self.0.distinct() as i64)
    }
    fn reset(&mut self) {
        self.0.clear()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distinct() {
        let mut d = DistinctCount::default();
        for v in ["a", "b", "a"] {
            d.add(&Value::string(v));
        }
        assert_eq!(d.value(), Value::Long(2));
        d.remove(&Value::string("a"));
        assert_eq!(d.value(), Value::Long(2));
        d.remove(&Value::string("a"));
        assert_eq!(d.value(), Value::Long(1));
    }
}
