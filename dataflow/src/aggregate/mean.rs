//! `avg(x)`: the mean as a double; null when the window holds no non-null value.

use super::Aggregator;
use crate::value::Value;

/// The running mean.
#[derive(Debug, Default)]
pub struct Avg {
    sum: f64,
    count: u64,
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
            self.count = self.count.saturating_sub(1);
            if self.count == 0 {
                self.sum = 0.0;
            }
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
    }
}
