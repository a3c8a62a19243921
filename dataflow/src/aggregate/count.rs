//! `count()` / `count(x)`: the number of events in the window, a long. As in the
//! reference, the argument is not inspected: events whose argument is null count.

use super::Aggregator;
use crate::value::Value;

/// The running count.
#[derive(Debug, Default)]
pub struct Count(i64);

impl Aggregator for Count {
    fn add(&mut self, _v: &Value) {
        self.0 += 1;
    }
    fn remove(&mut self, _v: &Value) {
        self.0 -= 1;
    }
    fn value(&self) -> Value {
        Value::Long(self.0)
    }
    fn reset(&mut self) {
        self.0 = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_nulls_too() {
        let mut c = Count::default();
        c.add(&Value::Null);
        c.add(&Value::Int(1));
        assert_eq!(c.value(), Value::Long(2));
        c.remove(&Value::Int(1));
        assert_eq!(c.value(), Value::Long(1));
        c.reset();
        assert_eq!(c.value(), Value::Long(0));
    }
}
