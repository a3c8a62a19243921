//! `unionSet(s)`: the union of the sets (made by `createSet`) in the window, as a
//! set; each element is counted so that it leaves only with the last set that
//! held it. Empty: the empty set.

use super::{Aggregator, Multiset};
use crate::value::Value;
use std::sync::Arc;

/// The running union.
#[derive(Debug, Default)]
pub struct UnionSet(Multiset);

impl Aggregator for UnionSet {
    fn add(&mut self, v: &Value) {
        if let Value::Set(s) = v {
            s.iter().for_each(|x| self.0.insert(x));
        }
    }
    fn remove(&mut self, v: &Value) {
        if let Value::Set(s) = v {
            s.iter().for_each(|x| self.0.remove(x));
        }
    }
    fn value(&self) -> Value {
        Value::Set(Arc::new(self.0.keys().cloned().collect()))
    }
    fn reset(&mut self) {
        self.0.clear()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    fn set(xs: &[i32]) -> Value {
        Value::Set(Arc::new(xs.iter().map(|x| Value::Int(*x)).collect::<BTreeSet<_>>()))
    }

    #[test]
    fn union() {
        let mut u = UnionSet::default();
        u.add(&set(&[1, 2]));
        u.add(&set(&[2, 3]));
        assert_eq!(u.value(), set(&[1, 2, 3]));
        u.remove(&set(&[1, 2]));
        assert_eq!(u.value(), set(&[2, 3]));
    }
}
