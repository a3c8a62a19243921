//! `math:percentile(x, p)`: the p-th percentile of the values in the window, a
//! double, as the reference's math extension computes it over the sorted
//! values: with `i = p · n / 100`, a whole `i` gives the mean of the i-th and
//! the next value (the last value when `i = n`), else the value at `round(i)`
//! (the first when that is 0). `p` is a constant, `0 < p ≤ 100`, checked by the
//! front end. Null values are skipped; empty: null.
//!
//! Differences from the reference: it keeps one list for every group of a
//! query and converts int and long values through a float; here each group has
//! its own values and they are converted to double directly.

use super::Aggregator;
use crate::value::Value;

/// The sorted values.
#[derive(Debug, Default)]
pub struct Percentile {
    p: f64,
    sorted: Vec<f64>,
}

impl Percentile {
    /// The p-th percentile (`params[0]`).
    pub fn new(params: &[Value]) -> Percentile {
        let p = params.first().and_then(Value::as_f64).unwrap_or(100.0);
        Percentile { p, sorted: Vec::new() }
    }

    fn place(&self, x: f64) -> usize {
        self.sorted.partition_point(|v| v.total_cmp(&x).is_lt())
    }
}

impl Aggregator for Percentile {
    fn add(&mut self, v: &Value) {
        if let Some(x) = v.as_f64() {
            let at = self.place(x);
            self.sorted.insert(at, x);
        }
    }
    fn remove(&mut self, v: &Value) {
        if let Some(x) = v.as_f64() {
            let at = self.place(x);
            if self.sorted.get(at).is_some_and(|y| y.total_cmp(&x).is_eq()) {
                self.sorted.remove(at);
            }
        }
    }
    fn value(&self) -> Value {
        let n = self.sorted.len();
        if n == 0 {
            return Value::Null;
        }
        let at = self.p * n as f64 / 100.0;
        let v = if at % 1.0 == 0.0 {
            let i = (at as usize).clamp(1, n);
            if i == n {
                self.sorted[i - 1]
            } else {
                (self.sorted[i - 1] + self.sorted[i]) / 2.0
            }
        } else {
            // Java's Math.round: floor(x + 0.5).
            let i = ((at + 0.5).floor() as usize).min(n);
            self.sorted[i.saturating_sub(1)]
        };
        Value::Double(v)
    }
    fn reset(&mut self) {
        self.sorted.clear()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles() {
        let mut p = Percentile::new(&[Value::Double(50.0)]);
        for x in [4, 1, 3, 2] {
            p.add(&Value::Int(x));
        }
        // i = 2: the mean of the 2nd and 3rd values.
        assert_eq!(p.value(), Value::Double(2.5));
        p.remove(&Value::Int(4));
        // i = 1.5: the value at round(1.5) = 2.
        assert_eq!(p.value(), Value::Double(2.0));
        let mut top = Percentile::new(&[Value::Double(100.0)]);
        top.add(&Value::Double(7.0));
        top.add(&Value::Double(9.0));
        assert_eq!(top.value(), Value::Double(9.0));
        top.reset();
        assert_eq!(top.value(), Value::Null);
    }
}
