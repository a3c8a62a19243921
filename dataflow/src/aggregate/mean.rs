//! `avg(x)`: the mean as a double; null when the window holds no non-null value.
//! As the reference's: the count is signed (a window that expires an event it
//! never released, `lossyFrequent`, takes it out all the same, and the mean goes on
//! from there) and the sum is not cleared when the count comes back to 0.

use super::Aggregator;
use crate::value::Value;

/// The running mean.
#[derive(Debug, Default)]
pub struct Avg {
    sum: f64,
    count: i64,
}

impl Aggregator for Avg {
    fn add(&mut self, v: &Value) {
        if let Some(x) = v.as_f64() {
            self.sum += x;
            self.count += 1;
        }
    }
    fn remove(&mut self, v: &Value) {
        if let Some(x) = v.as_f64() {
            self.sum -= x;
            self.count -= 1;
        }
    }
    fn value(&self) -> Value {
        if self.count == 0 {
            Value::Null
        } else {
            Value::Double(self.sum / self.count as f64)
        }
    }
    fn reset(&mut self) {
        *self = Avg::default();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn averages() {
        let mut a = Avg::default();
        a.add(&Value::Int(1));
        a.add(&Value::Int(2));
        a.add(&Value::Null);
        assert_eq!(a.value(), Value::Double(1.5));
        a.remove(&Value::Int(1));
        assert_eq!(a.value(), Value::Double(2.0));
        // Removing what was never added (lossyFrequent): the count goes negative.
        a.remove(&Value::Int(2));
        assert_eq!(a.value(), Value::Null);
        a.remove(&Value::Int(6652));
        assert_eq!(a.value(), Value::Double(6652.0));
    }
}
