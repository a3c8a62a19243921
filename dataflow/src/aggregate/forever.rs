//! `minForever(x)` and `maxForever(x)`: the extreme of every value ever seen;
//! removals and batch resets leave it unchanged, as in the reference.

use super::Aggregator;
use crate::value::Value;

/// The all-time minimum or maximum.
#[derive(Debug)]
pub struct Forever {
    best: Value,
    max: bool,
}

impl Forever {
    /// A maximum (`true`) or a minimum.
    pub fn new(max: bool) -> Forever {
        Forever { best: Value::Null, max }
    }
}

impl Aggregator for Forever {
    fn add(&mut self, v: &Value) {
        if matches!(v, Value::Null) {
            return;
        }
        let better = match &self.best {
            Value::Null => true,
            b if self.max => v > b,
            b => v < b,
        };
        if better {
            self.best = v.clone();
        }
    }
    fn remove(&mut self, v: &Value) {
        // The reference treats a removed value like an added one; it was added
        // before, so this never changes the result except after a restart.
        self.add(v)
    }
    fn value(&self) -> Value {
        self.best.clone()
    }
    fn reset(&mut self) {}
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_forever() {
        let mut m = Forever::new(true);
        m.add(&Value::Int(3));
        m.add(&Value::Int(9));
        m.remove(&Value::Int(9));
        m.reset();
        assert_eq!(m.value(), Value::Int(9));
        let mut n = Forever::new(false);
        n.add(&Value::Null);
        assert_eq!(n.value(), Value::Null);
        n.add(&Value::Double(2.5));
        n.add(&Value::Double(1.5));
        assert_eq!(n.value(), Value::Double(1.5));
    }
}
