//! `sum(x)`: a long for int/long arguments (wrapping like Java's), a double for
//! float/double ones; null when nothing (non-null) is in the window. The count
//! is signed, as the reference's: a window that expires an event it never
//! released (`lossyFrequent`) takes it out all the same.

use super::Aggregator;
use crate::value::Value;

/// The running sum.
#[derive(Debug, Default)]
pub struct Sum {
    long: bool,
    int_sum: i64,
    float_sum: f64,
    count: i64,
    /// Whether the last update was the addition of a value: the reference's
    /// `processAdd` returns the sum even where the count comes back to 0 (from
    /// below), its `processRemove` and a null argument return null at 0.
    added: bool,
}

impl Sum {
    /// A sum that returns a long (`true`) or a double.
    pub fn new(long: bool) -> Sum {
        Sum { long, ..Sum::default() }
    }
}

impl Aggregator for Sum {
    fn add(&mut self, v: &Value) {
        if let Some(x) = v.as_f64() {
            self.int_sum = self.int_sum.wrapping_add(v.as_i64().unwrap_or(0));
            self.float_sum += x;
            self.count += 1;
        }
        self.added = v.as_f64().is_some();
    }
    fn remove(&mut self, v: &Value) {
        if let Some(x) = v.as_f64() {
            self.int_sum = self.int_sum.wrapping_sub(v.as_i64().unwrap_or(0));
            self.float_sum -= x;
            self.count -= 1;
        }
        self.added = false;
    }
    fn value(&self) -> Value {
        match (self.count, self.long) {
            (0, _) if !self.added => Value::Null,
            (_, true) => Value::Long(self.int_sum),
            (_, false) => Value::Double(self.float_sum),
        }
    }
    fn reset(&mut self) {
        *self = Sum::new(self.long);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sums() {
        let mut s = Sum::new(true);
        s.add(&Value::Int(5));
        s.add(&Value::Null);
        s.add(&Value::Long(7));
        assert_eq!(s.value(), Value::Long(12));
        s.remove(&Value::Int(5));
        s.remove(&Value::Long(7));
        assert_eq!(s.value(), Value::Null);
        s.remove(&Value::Long(6652));
        assert_eq!(s.value(), Value::Long(-6652));
        s.add(&Value::Int(3));
        assert_eq!(s.value(), Value::Long(-6649));
        s.add(&Value::Null);
        assert_eq!(s.value(), Value::Null);
        let mut d = Sum::new(false);
        d.add(&Value::Float(1.5));
        assert_eq!(d.value(), Value::Double(1.5));
        d.reset();
        assert_eq!(d.value(), Value::Null);
    }
}
