//! `min(x)` and `max(x)`: typed as the argument; an ordered multiset of the
//! window's values, so an expiring value is removed in O(log n) and the extreme
//! is read off either end. Null when the window holds no non-null value.

use super::{Aggregator, Multiset};
use crate::value::Value;

/// The running minimum or maximum.
#[derive(Debug)]
pub struct Extreme {
    values: Multiset,
    max: bool,
}

impl Extreme {
    /// A maximum (`true`) or a minimum.
    pub fn new(max: bool) -> Extreme {
        Extreme { values: Multiset::default(), max }
    }
}

impl Aggregator for Extreme {
    fn add(&mut self, v: &Value) {
        if !matches!(v, Value::Null) {
            self.values.insert(v)
        }
    }
    fn remove(&mut self, v: &Value) {
        self.values.remove(v)
    }
    fn value(&self) -> Value {
        let v = if self.max { self.values.last() } else { self.values.first() };
        v.cloned().unwrap_or(Value::Null)
    }
    fn reset(&mut self) {
        self.values.clear()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sliding_extremes() {
        let mut min = Extreme::new(false);
        let mut max = Extreme::new(true);
        for v in [5, 3, 9, 3] {
            min.add(&Value::Int(v));
            max.add(&Value::Int(v));
        }
        min.remove(&Value::Int(3));
        assert_eq!(min.value(), Value::Int(3));
        min.remove(&Value::Int(3));
        assert_eq!(min.value(), Value::Int(5));
        max.remove(&Value::Int(9));
        assert_eq!(max.value(), Value::Int(5));
        max.reset();
        assert_eq!(max.value(), Value::Null);
    }
}
