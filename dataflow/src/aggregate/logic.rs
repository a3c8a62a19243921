//! `and(b)` and `or(b)`: counts of true and false values in the window.
//! `and` is true when at least one true and no false value are present; `or` when
//! at least one true is. Both are false for an empty window; nulls are skipped.
//! The counts are signed, as the reference's: a window that expires an event it
//! never released (`lossyFrequent`) takes it out all the same.

use super::Aggregator;
use crate::value::Value;

/// The running conjunction or disjunction.
#[derive(Debug)]
pub struct Logic {
    and: bool,
    trues: i64,
    falses: i64,
}

impl Logic {
    /// `and` (`true`) or `or`.
    pub fn new(and: bool) -> Logic {
        Logic { and, trues: 0, falses: 0 }
    }
}

impl Aggregator for Logic {
    fn add(&mut self, v: &Value) {
        match v {
            Value::Bool(true) => self.trues += 1,
            Value::Bool(false) => self.falses += 1,
            _ => {}
        }
    }
    fn remove(&mut self, v: &Value) {
        match v {
            Value::Bool(true) => self.trues -= 1,
            Value::Bool(false) => self.falses -= 1,
            _ => {}
        }
    }
    fn value(&self) -> Value {
        if self.and {
            Value::Bool(self.trues > 0 && self.falses == 0)
        } else {
            Value::Bool(self.trues > 0)
        }
    }
    fn reset(&mut self) {
        self.trues = 0;
        self.falses = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn and_or() {
        let mut a = Logic::new(true);
        let mut o = Logic::new(false);
        for b in [true, false] {
            a.add(&Value::Bool(b));
            o.add(&Value::Bool(b));
        }
        assert_eq!(a.value(), Value::Bool(false));
        assert_eq!(o.value(), Value::Bool(true));
        a.remove(&Value::Bool(false));
        assert_eq!(a.value(), Value::Bool(true));
        o.remove(&Value::Bool(true));
        assert_eq!(o.value(), Value::Bool(false));
    }
}
