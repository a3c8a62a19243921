//! Aggregate functions, incremental in both directions: an event entering a window
//! is added, one leaving it is removed, and a batch window's reset clears them.
//!
//! `sum`, `count`, `avg` and `stdDev` keep running sums (O(1)); `min`, `max` and
//! `distinctCount` keep an ordered multiset (O(log n) per update, never a rescan);
//! `minForever`/`maxForever` ignore removals and resets; `and`/`or` count trues
//! and falses; `unionSet` counts the elements of the sets it has seen;
//! `map:collect`, `map:merge`, `list:collect` and `list:merge` keep the map or
//! list they build (`collect.rs`).
//!
//! Empty aggregates, as in the reference: `sum`, `avg`, `min`, `max`, `stdDev`
//! are null; `count` and `distinctCount` are 0; `and` and `or` are false;
//! `unionSet` is the empty set. Null arguments are skipped by `sum`, `avg`,
//! `min`, `max`, `stdDev`, `and`, `or`; `count` counts every event (its argument is
//! not looked at); `distinctCount` counts null as one distinct value.
//!
//! Aggregates of the extensions, and Macrometa's `frequency`, each in a file of
//! its own: `str:groupConcat`, `math:percentile`, `json:group`,
//! `json:groupAsObject` and `frequency` keep what they need to take a value out
//! again. Their parameters (a separator, a percentile, an enclosing element …)
//! are constants given when the aggregator is made ([`aggregator_with`]).

mod collect;
mod count;
mod distinct_count;
mod extreme;
mod forever;
mod frequency;
mod group_concat;
mod json_group;
mod logic;
mod mean;
mod percentile;
mod stddev;
mod sum;
mod union_set;

use crate::value::Value;
use sluice_frontend::ast::AttrType;
use std::collections::BTreeMap;

/// One running aggregate for one group.
pub trait Aggregator: Send {
    /// An event entered with argument value `v` (`Value::Bool(true)` when the
    /// aggregate has no argument, as `count()`).
    fn add(&mut self, v: &Value);
    /// An event left.
    fn remove(&mut self, v: &Value);
    /// An event entered with the values of all the aggregate's arguments (called
    /// instead of [`Aggregator::add`] for a call of more than one argument).
    fn add_all(&mut self, args: &[Value]) {
        self.add(args.first().unwrap_or(&Value::Null))
    }
    /// An event left, with the values of all the aggregate's arguments.
    fn remove_all(&mut self, args: &[Value]) {
        self.remove(args.first().unwrap_or(&Value::Null))
    }
    /// The current value.
    fn value(&self) -> Value;
    /// A batch window starts a new batch: back to empty (forever aggregates keep
    /// their value).
    fn reset(&mut self);
}

/// Whether `name` (any case) is an aggregate function.
pub fn is_aggregate(name: &str) -> bool {
    sluice_frontend::semantic::functions::is_aggregate(&name.to_ascii_lowercase())
}

/// The result type of aggregate `name` over arguments of `args`, or why it cannot
/// apply: the front end's signature table, so the checker and the engine agree.
pub fn aggregate_return_type(name: &str, args: &[AttrType]) -> Result<AttrType, String> {
    sluice_frontend::semantic::functions::aggregate_type(&name.to_ascii_lowercase(), args)
}

/// The same as [`aggregate_return_type`] (the older name).
pub fn return_type(name: &str, args: &[AttrType]) -> Result<AttrType, String> {
    aggregate_return_type(name, args)
}

/// The position from which the arguments of aggregate `name` are constant
/// parameters (see [`aggregator_with`]), `None` when it takes none.
pub fn parameters_from(name: &str) -> Option<usize> {
    sluice_frontend::semantic::functions::aggregate_parameters_from(&name.to_ascii_lowercase())
}

/// A fresh aggregator for `name` over arguments of `args`, if it exists and applies.
pub fn aggregator(name: &str, args: &[AttrType]) -> Option<Box<dyn Aggregator>> {
    aggregator_with(name, args, &[])
}

/// A fresh aggregator for `name` over arguments of `args` whose constant
/// parameters (the arguments from [`parameters_from`] on) are `params`; the
/// aggregator is then given only the first argument of each event.
pub fn aggregator_with(name: &str, args: &[AttrType], params: &[Value]) -> Option<Box<dyn Aggregator>> {
    let out = aggregate_return_type(name, args).ok()?;
    Some(match name.to_ascii_lowercase().as_str() {
        "frequency" => Box::new(frequency::Frequency::default()),
        "str:groupconcat" => Box::new(group_concat::GroupConcat::new(params)),
        "math:percentile" => Box::new(percentile::Percentile::new(params)),
        "json:group" => Box::new(json_group::JsonGroup::new(params, false)),
        "json:groupasobject" => Box::new(json_group::JsonGroup::new(params, true)),
        "sum" => Box::new(sum::Sum::new(out == AttrType::Long)),
        "avg" => Box::new(mean::Avg::default()),
        "stddev" => Box::new(stddev::StdDev::default()),
        "count" => Box::new(count::Count::default()),
        "distinctcount" => Box::new(distinct_count::DistinctCount::default()),
        "min" => Box::new(extreme::Extreme::new(false)),
        "max" => Box::new(extreme::Extreme::new(true)),
        "minforever" => Box::new(forever::Forever::new(false)),
        "maxforever" => Box::new(forever::Forever::new(true)),
        "and" => Box::new(logic::Logic::new(true)),
        "or" => Box::new(logic::Logic::new(false)),
        "unionset" => Box::new(union_set::UnionSet::default()),
        "map:collect" => Box::new(collect::Collect::new(collect::Kind::MapCollect)),
        "map:merge" => Box::new(collect::Collect::new(collect::Kind::MapMerge)),
        "list:collect" => Box::new(collect::Collect::new(collect::Kind::ListCollect)),
        "list:merge" => Box::new(collect::Collect::new(collect::Kind::ListMerge)),
        _ => return None,
    })
}

/// A multiset of values: value → how many times it is present.
#[derive(Default, Debug, Clone)]
pub(crate) struct Multiset(BTreeMap<Value, u64>);

impl Multiset {
    /// One more `v`.
    pub(crate) fn insert(&mut self, v: &Value) {
        *self.0.entry(v.clone()).or_insert(0) += 1;
    }
    /// One less `v` (nothing if absent).
    pub(crate) fn remove(&mut self, v: &Value) {
        if let Some(n) = self.0.get_mut(v) {
            *n -= 1;
            if *n == 0 {
                self.0.remove(v);
            }
        }
    }
    /// How many times `v` is present.
    pub(crate) fn count(&self, v: &Value) -> u64 {
        self.0.get(v).copied().unwrap_or(0)
    }
    /// The number of distinct values.
    pub(crate) fn distinct(&self) -> usize {
        self.0.len()
    }
    /// The least value.
    pub(crate) fn first(&self) -> Option<&Value> {
        self.0.keys().next()
    }
    /// The greatest value.
    pub(crate) fn last(&self) -> Option<&Value> {
        self.0.keys().next_back()
    }
    /// The distinct values in order.
    pub(crate) fn keys(&self) -> impl Iterator<Item = &Value> {
        self.0.keys()
    }
    /// Empties it.
    pub(crate) fn clear(&mut self) {
        self.0.clear()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn types() {
        use AttrType::*;
        assert_eq!(aggregate_return_type("sum", &[Int]), Ok(Long));
        assert_eq!(aggregate_return_type("SUM", &[Float]), Ok(Double));
        assert_eq!(aggregate_return_type("avg", &[Int]), Ok(Double));
        assert_eq!(aggregate_return_type("max", &[Float]), Ok(Float));
        assert_eq!(aggregate_return_type("count", &[]), Ok(Long));
        assert!(aggregate_return_type("sum", &[String]).is_err());
        assert!(aggregate_return_type("nope", &[]).is_err());
        assert!(is_aggregate("distinctCount"));
        assert!(aggregator("and", &[Bool]).is_some());
    }

    #[test]
    fn empty_values() {
        use AttrType::*;
        let empty = |n: &str, t: &[AttrType]| aggregator(n, t).unwrap().value();
        assert_eq!(empty("sum", &[Int]), Value::Null);
        assert_eq!(empty("avg", &[Int]), Value::Null);
        assert_eq!(empty("min", &[Int]), Value::Null);
        assert_eq!(empty("stddev", &[Int]), Value::Null);
        assert_eq!(empty("count", &[]), Value::Long(0));
        assert_eq!(empty("distinctcount", &[Int]), Value::Long(0));
        assert_eq!(empty("and", &[Bool]), Value::Bool(false));
        assert_eq!(empty("or", &[Bool]), Value::Bool(false));
    }
}
