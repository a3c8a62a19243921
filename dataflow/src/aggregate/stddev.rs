//! `stdDev(x)`: the population standard deviation as a double, kept with
//! Welford's running mean and sum of squared deviations (the reference's
//! algorithm, so results agree to the last bits); 0 for one value, null for none.
//! The count is signed and nothing is clamped, as in the reference: a window that
//! expires an event it never released (`lossyFrequent`) takes it out all the same,
//! and a negative sum of squares gives NaN.

use super::Aggregator;
use crate::value::Value;

/// The running standard deviation.
#[derive(Debug, Default)]
pub struct StdDev {
    mean: f64,
    sum: f64,
    m2: f64,
    count: i64,
}

impl Aggregator for StdDev {
    fn add(&mut self, v: &Value) {
        let Some(x) = v.as_f64() else { return };
        self.count += 1;
        match self.count {
            // Back from -1 (after removals of values never added): the reference
            // returns null and leaves its sums as they are.
            0 => {}
            1 => {
                self.sum = x;
                self.mean = x;
                self.m2 = 0.0;
            }
            n => {
                let old = self.mean;
                self.sum += x;
                self.mean = self.sum / n as f64;
                self.m2 += (x - old) * (x - self.mean);
            }
        }
    }
    fn remove(&mut self, v: &Value) {
        let Some(x) = v.as_f64() else { return };
        self.count -= 1;
        if self.count == 0 {
            *self = StdDev::default();
        } else {
            let old = self.mean;
            self.sum -= x;
            self.mean = self.sum / self.count as f64;
            self.m2 -= (x - old) * (x - self.mean);
        }
    }
    fn value(&self) -> Value {
        match self.count {
            0 => Value::Null,
            1 => Value::Double(0.0),
            n => Value::Double((self.m2 / n as f64).sqrt()),
        }
    }
    fn reset(&mut self) {
        *self = StdDev::default();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deviation() {
        let mut s = StdDev::default();
        for x in [2, 4, 4, 4, 5, 5, 7, 9] {
            s.add(&Value::Int(x));
        }
        assert_eq!(s.value(), Value::Double(2.0));
        s.add(&Value::Int(100));
        s.remove(&Value::Int(100));
        let Value::Double(d) = s.value() else { panic!() };
        assert!((d - 2.0).abs() < 1e-9);
        for x in [2, 4, 4, 4, 5, 5, 7] {
            s.remove(&Value::Int(x));
        }
        assert_eq!(s.value(), Value::Double(0.0));
    }

    #[test]
    fn removing_what_was_never_added_goes_on_like_the_reference() {
        // lossyFrequent expires events it never released: the count goes below
        // the values held and the sum of squares may turn negative (NaN).
        let mut s = StdDev::default();
        for x in [1, 2, 3] {
            s.add(&Value::Long(x));
        }
        s.remove(&Value::Long(1000));
        let Value::Double(d) = s.value() else { panic!() };
        assert!(d.is_nan());
        s.remove(&Value::Long(1));
        s.remove(&Value::Long(1));
        assert_eq!(s.value(), Value::Null);
        s.remove(&Value::Long(4));
        let Value::Double(d) = s.value() else { panic!() };
        assert_eq!(d, 0.0);
        s.add(&Value::Long(4));
        assert_eq!(s.value(), Value::Null);
    }
}
