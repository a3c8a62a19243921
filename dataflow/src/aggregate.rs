//! Aggregate functions, incremental in both directions: an event entering a window
//! is added, one leaving it is removed, and a batch window's reset clears them.
//! `sum`, `count`, `avg` and `stdDev` keep running sums (O(1)); `min`, `max` and
//! `distinctCount` keep an ordered multiset (O(log n)); nothing rescans a group.
//! Null arguments are ignored, and an empty aggregate is null (count: 0), as in the
//! reference implementation.

use crate::value::Value;
use sluice_frontend::ast::AttrType;
use std::collections::BTreeMap;

/// One running aggregate.
pub trait Aggregator: Send {
    /// An event entered.
    fn add(&mut self, v: &Value);
    /// An event left.
    fn remove(&mut self, v: &Value);
    /// The current value.
    fn value(&self) -> Value;
    /// Back to empty.
    fn reset(&mut self);
}

/// The result type of aggregate `name` over `args`, or why it cannot apply.
pub fn return_type(name: &str, args: &[AttrType]) -> Result<AttrType, String> {
    let one = || -> Result<AttrType, String> {
        match args {
            [t] => Ok(*t),
            _ => Err(format!("{name}() takes one argument, found {}", args.len())),
        }
    };
    let numeric = |t: AttrType| -> Result<AttrType, String> {
        if t.is_numeric() {
            Ok(t)
        } else {
            Err(format!("{name}() needs a numeric argument, found {t}"))
        }
    };
    Ok(match name.to_ascii_lowercase().as_str() {
        "sum" => match numeric(one()?)? {
            AttrType::Int | AttrType::Long => AttrType::Long,
            _ => AttrType::Double,
        },
        "avg" | "stddev" => {
            numeric(one()?)?;
            AttrType::Double
        }
        "count" => {
            if args.len() > 1 {
                return Err(format!("count() takes at most one argument, found {}", args.len()));
            }
            AttrType::Long
        }
        "distinctcount" => {
            one()?;
            AttrType::Long
        }
        "min" | "max" | "minforever" | "maxforever" => numeric(one()?)?,
        "and" | "or" => {
            if one()? != AttrType::Bool {
                return Err(format!("{name}() needs a bool argument"));
            }
            AttrType::Bool
        }
        "unionset" => {
            one()?;
            AttrType::Object
        }
        _ => return Err(format!("'{name}' is not an aggregate function")),
    })
}

/// Whether `name` is an aggregate function.
pub fn is_aggregate(name: &str) -> bool {
    matches!(
        name.to_ascii_lowercase().as_str(),
        "sum"
            | "avg"
            | "stddev"
            | "count"
            | "distinctcount"
            | "min"
            | "max"
            | "minforever"
            | "maxforever"
            | "and"
            | "or"
            | "unionset"
    )
}

/// A fresh aggregator for `name` over `args`, if it exists and applies.
pub fn aggregator(name: &str, args: &[AttrType]) -> Option<Box<dyn Aggregator>> {
    let out = return_type(name, args).ok()?;
    Some(match name.to_ascii_lowercase().as_str() {
        "sum" => Box::new(Sum { long: out == AttrType::Long, ..Sum::default() }),
        "avg" => Box::new(Avg::default()),
        "stddev" => Box::new(StdDev::default()),
        "count" => Box::new(Count(0)),
        "distinctcount" => Box::new(Distinct(BTreeMap::new())),
        "min" => Box::new(Extreme { values: BTreeMap::new(), max: false, forever: false }),
        "max" => Box::new(Extreme { values: BTreeMap::new(), max: true, forever: false }),
        "minforever" => Box::new(Extreme { values: BTreeMap::new(), max: false, forever: true }),
        "maxforever" => Box::new(Extreme { values: BTreeMap::new(), max: true, forever: true }),
        "and" => Box::new(Logic { and: true, trues: 0, falses: 0 }),
        "or" => Box::new(Logic { and: false, trues: 0, falses: 0 }),
        "unionset" => Box::new(Union(BTreeMap::new())),
        _ => return None,
    })
}

#[derive(Default)]
struct Sum {
    long: bool,
    int_sum: i64,
    float_sum: f64,
    count: u64,
}

impl Aggregator for Sum {
    fn add(&mut self, v: &Value) {
        if let Some(x) = v.as_f64() {
            self.int_sum = self.int_sum.wrapping_add(v.as_i64().unwrap_or(0));
            self.float_sum += x;
            self.count += 1;
        }
    }
    fn remove(&mut self, v: &Value) {
        if let Some(x) = v.as_f64() {
            self.int_sum = self.int_sum.wrapping_sub(v.as_i64().unwrap_or(0));
            self.float_sum -= x;
            self.count = self.count.saturating_sub(1);
        }
    }
    fn value(&self) -> Value {
        match (self.count, self.long) {
            (0, _) => Value::Null,
            (_, true) => Value::Long(self.int_sum),
            (_, false) => Value::Double(self.float_sum),
        }
    }
    fn reset(&mut self) {
        *self = Sum { long: self.long, ..Sum::default() };
    }
}

#[derive(Default)]
struct Avg {
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

#[derive(Default)]
struct StdDev {
    sum: f64,
    squares: f64,
    count: u64,
}

impl Aggregator for StdDev {
    fn add(&mut self, v: &Value) {
        if let Some(x) = v.as_f64() {
            self.sum += x;
            self.squares += x * x;
            self.count += 1;
        }
    }
    fn remove(&mut self, v: &Value) {
        if let Some(x) = v.as_f64() {
            self.sum -= x;
            self.squares -= x * x;
            self.count = self.count.saturating_sub(1);
        }
    }
    fn value(&self) -> Value {
        match self.count {
            0 => Value::Null,
            1 => Value::Double(0.0),
            n => {
                let mean = self.sum / n as f64;
                Value::Double((self.squares / n as f64 - mean * mean).max(0.0).sqrt())
            }
        }
    }
    fn reset(&mut self) {
        *self = StdDev::default();
    }
}

struct Count(i64);

impl Aggregator for Count {
    fn add(&mut self, v: &Value) {
        if *v != Value::Null {
            self.0 += 1;
        }
    }
    fn remove(&mut self, v: &Value) {
        if *v != Value::Null {
            self.0 -= 1;
        }
    }
    fn value(&self) -> Value {
        Value::Long(self.0)
    }
    fn reset(&mut self) {
        self.0 = 0;
    }
}

/// Adds or removes one occurrence of `v` in a multiset.
fn bump(set: &mut BTreeMap<Value, u64>, v: &Value, add: bool) {
    if *v == Value::Null {
        return;
    }
    if add {
        *set.entry(v.clone()).or_insert(0) += 1;
    } else if let Some(n) = set.get_mut(v) {
        *n -= 1;
        if *n == 0 {
            set.remove(v);
        }
    }
}

struct Distinct(BTreeMap<Value, u64>);

impl Aggregator for Distinct {
    fn add(&mut self, v: &Value) {
        bump(&mut self.0, v, true)
    }
    fn remove(&mut self, v: &Value) {
        bump(&mut self.0, v, false)
    }
    fn value(&self) -> Value {
        Value::Long(self.0.len() as i64)
    }
    fn reset(&mut self) {
        self.0.clear()
    }
}

struct Extreme {
    values: BTreeMap<Value, u64>,
    max: bool,
    forever: bool,
}

impl Aggregator for Extreme {
    fn add(&mut self, v: &Value) {
        bump(&mut self.values, v, true)
    }
    fn remove(&mut self, v: &Value) {
        if !self.forever {
            bump(&mut self.values, v, false)
        }
    }
    fn value(&self) -> Value {
        let v = if self.max { self.values.keys().next_back() } else { self.values.keys().next() };
        v.cloned().unwrap_or(Value::Null)
    }
    fn reset(&mut self) {
        if !self.forever {
            self.values.clear()
        }
    }
}

struct Logic {
    and: bool,
    trues: u64,
    falses: u64,
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
            Value::Bool(true) => self.trues = self.trues.saturating_sub(1),
            Value::Bool(false) => self.falses = self.falses.saturating_sub(1),
            _ => {}
        }
    }
    fn value(&self) -> Value {
        if self.and {
            Value::Bool(self.falses == 0)
        } else {
            Value::Bool(self.trues > 0)
        }
    }
    fn reset(&mut self) {
        self.trues = 0;
        self.falses = 0;
    }
}

struct Union(BTreeMap<Value, u64>);

impl Aggregator for Union {
    fn add(&mut self, v: &Value) {
        if let Value::Set(s) = v {
            for x in s.iter() {
                bump(&mut self.0, x, true);
            }
        }
    }
    fn remove(&mut self, v: &Value) {
        if let Value::Set(s) = v {
            for x in s.iter() {
                bump(&mut self.0, x, false);
            }
        }
    }
    fn value(&self) -> Value {
        Value::Set(std::sync::Arc::new(self.0.keys().cloned().collect()))
    }
    fn reset(&mut self) {
        self.0.clear()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sliding_sum_min_max() {
        let mut sum = aggregator("sum", &[AttrType::Int]).unwrap();
        let mut min = aggregator("min", &[AttrType::Int]).unwrap();
        for v in [5, 3, 9] {
            sum.add(&Value::Int(v));
            min.add(&Value::Int(v));
        }
        sum.remove(&Value::Int(3));
        min.remove(&Value::Int(3));
        assert_eq!(sum.value(), Value::Long(14));
        assert_eq!(min.value(), Value::Int(5));
        sum.reset();
        assert_eq!(sum.value(), Value::Null);
    }
}
