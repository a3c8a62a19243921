//! The buckets of one named aggregation: per granularity, per bucket start, per
//! group, the running base values of each selected attribute (sum, count, sum
//! and count for avg, min, max, the distinct values, the latest value). Every
//! event updates its bucket at every granularity, so a read at any granularity
//! looks the buckets up instead of rolling finer ones up (except at the edges of
//! a range read on event timestamps, see [`Aggregation::read`]).

use super::time::{bucket_end, bucket_start, NAMES};
use super::{AggKind, AggregationSpec, ColumnSpec};
use crate::query::expr::Env;
use crate::relation::table::java_hash_order;
use crate::value::{Row, Value};
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

/// The running base value of one selected attribute in one bucket.
#[derive(Clone, Debug)]
enum Acc {
    /// A sum: integral (`Long`) or not (`Double`); `any` once a value was added.
    Sum {
        integral: bool,
        long: i64,
        double: f64,
        any: bool,
    },
    Count(i64),
    Avg {
        sum: f64,
        count: i64,
    },
    Min(Value),
    Max(Value),
    Distinct(HashMap<Value, u64>),
    /// A plain attribute: the value of the latest event (by timestamp).
    Last {
        value: Value,
        ts: i64,
    },
}

impl Acc {
    fn new(column: &ColumnSpec) -> Acc {
        match column {
            ColumnSpec::Value(_) => Acc::Last { value: Value::Null, ts: i64::MIN },
            ColumnSpec::Aggregate { kind, integral, .. } => match kind {
                AggKind::Sum => Acc::Sum { integral: *integral, long: 0, double: 0.0, any: false },
                AggKind::Count => Acc::Count(0),
                AggKind::Avg => Acc::Avg { sum: 0.0, count: 0 },
                AggKind::Min => Acc::Min(Value::Null),
                AggKind::Max => Acc::Max(Value::Null),
                AggKind::DistinctCount => Acc::Distinct(HashMap::new()),
            },
        }
    }

    /// Adds one event's value `v` (its timestamp `ts`).
    fn add(&mut self, v: &Value, ts: i64) {
        match self {
            Acc::Count(n) => *n += 1,
            Acc::Last { value, ts: at } => {
                if ts >= *at {
                    *value = v.clone();
                    *at = ts;
                }
            }
            _ if matches!(v, Value::Null) => {}
            Acc::Sum { integral, long, double, any } => {
                if *integral {
                    *long = long.wrapping_add(v.as_i64().unwrap_or(0));
                } else {
                    *double += v.as_f64().unwrap_or(0.0);
                }
                *any = true;
            }
            Acc::Avg { sum, count } => {
                *sum += v.as_f64().unwrap_or(0.0);
                *count += 1;
            }
            Acc::Min(m) => {
                if matches!(m, Value::Null) || v < m {
                    *m = v.clone();
                }
            }
            Acc::Max(m) => {
                if matches!(m, Value::Null) || v > m {
                    *m = v.clone();
                }
            }
            Acc::Distinct(seen) => *seen.entry(v.clone()).or_insert(0) += 1,
        }
    }

    /// Adds another bucket's base value (rolling buckets up).
    fn merge(&mut self, other: &Acc) {
        match (self, other) {
            (Acc::Sum { long, double, any, .. }, Acc::Sum { long: l, double: d, any: a, .. }) => {
                *long = long.wrapping_add(*l);
                *double += d;
                *any |= a;
            }
            (Acc::Count(n), Acc::Count(m)) => *n += m,
            (Acc::Avg { sum, count }, Acc::Avg { sum: s, count: c }) => {
                *sum += s;
                *count += c;
            }
            (me @ (Acc::Min(_) | Acc::Max(_)), Acc::Min(v) | Acc::Max(v)) => me.add(v, 0),
            (Acc::Distinct(seen), Acc::Distinct(other)) => {
                for (v, n) in other {
                    *seen.entry(v.clone()).or_insert(0) += n;
                }
            }
            (me @ Acc::Last { .. }, Acc::Last { value, ts }) => me.add(value, *ts),
            _ => {}
        }
    }

    fn value(&self) -> Value {
        match self {
            Acc::Sum { any: false, .. } => Value::Null,
            Acc::Sum { integral: true, long, .. } => Value::Long(*long),
            Acc::Sum { double, .. } => Value::Double(*double),
            Acc::Count(n) => Value::Long(*n),
            Acc::Avg { count: 0, .. } => Value::Null,
            Acc::Avg { sum, count } => Value::Double(sum / *count as f64),
            Acc::Min(v) | Acc::Max(v) | Acc::Last { value: v, .. } => v.clone(),
            Acc::Distinct(seen) => Value::Long(seen.len() as i64),
        }
    }
}

/// One group's base values in one bucket; `seq` numbers groups by first event.
#[derive(Clone, Debug)]
struct Bucket {
    accs: Vec<Acc>,
    seq: u64,
}

/// The groups of one bucket.
type Groups = HashMap<Vec<Value>, Bucket>;

/// A running named aggregation.
#[derive(Debug)]
pub struct Aggregation {
    spec: Arc<AggregationSpec>,
    /// Per granularity of `spec.granularities`: bucket start → groups.
    levels: Vec<BTreeMap<i64, Groups>>,
    seq: u64,
}

impl Aggregation {
    /// An empty aggregation.
    pub fn new(spec: Arc<AggregationSpec>) -> Aggregation {
        let levels = spec.granularities.iter().map(|_| BTreeMap::new()).collect();
        Aggregation { spec, levels, seq: 0 }
    }

    /// Takes one event of the aggregation's stream (`ts`: its event time).
    pub fn ingest(&mut self, row: &[Value], ts: i64, env: &Env) {
        let spec = self.spec.clone();
        if !spec.filters.iter().all(|f| f.test(row, env)) {
            return;
        }
        let at = match &spec.timestamp {
            None => ts,
            Some(e) => match e.eval(row, env) {
                Value::Long(t) => t,
                Value::Int(t) => t as i64,
                Value::String(s) => match super::time::parse_time(&s) {
                    Some(t) => t,
                    None => {
                        eprintln!("error: aggregation '{}': cannot read the timestamp '{s}'; event dropped", spec.name);
                        return;
                    }
                },
                other => {
                    eprintln!("error: aggregation '{}': no timestamp in the event ({other}); event dropped", spec.name);
                    return;
                }
            },
        };
        let key: Vec<Value> = spec.group_by.iter().map(|g| g.eval(row, env)).collect();
        let values: Vec<Value> = spec
            .columns
            .iter()
            .map(|c| match c {
                ColumnSpec::Value(e) => e.eval(row, env),
                ColumnSpec::Aggregate { arg: Some(e), .. } => e.eval(row, env),
                ColumnSpec::Aggregate { arg: None, .. } => Value::Null,
            })
            .collect();
        for (level, &g) in self.levels.iter_mut().zip(&spec.granularities) {
            let groups = level.entry(bucket_start(at, g)).or_default();
            let bucket = match groups.get_mut(&key) {
                Some(b) => b,
                None => {
                    self.seq += 1;
                    let accs = spec.columns.iter().map(Acc::new).collect();
                    groups.entry(key.clone()).or_insert(Bucket { accs, seq: self.seq })
                }
            };
            for (acc, v) in bucket.accs.iter_mut().zip(&values) {
                acc.add(v, at);
            }
        }
    }

    /// The rows (`AGG_TIMESTAMP` and the selected attributes) of granularity `g`
    /// within `[start, end)`, as the reference lists them at clock `now`.
    ///
    /// On event time a bucket is in the range when its start is. On event
    /// timestamps (`aggregate by`) the reference filters the finest buckets and
    /// rolls them up, so a bucket that straddles an end of the range counts only
    /// its finest buckets inside the range.
    pub fn read(&self, start: i64, end: i64, g: usize, now: i64) -> Result<Vec<Row>, String> {
        let Some(li) = self.spec.granularities.iter().position(|x| *x == g) else {
            return Err(format!(
                "the aggregate values for {} granularity cannot be provided since aggregation definition {} \
                 does not contain {} duration",
                NAMES[g], self.spec.name, NAMES[g]
            ));
        };
        let mut found: BTreeMap<i64, Groups> = BTreeMap::new();
        let external = self.spec.timestamp.is_some();
        if external && li > 0 {
            for (&b, groups) in self.levels[li].range(bucket_start(start, g)..end.max(start)) {
                let b_end = bucket_end(b, g);
                if start <= b && b_end <= end {
                    found.insert(b, groups.clone());
                    continue;
                }
                let from = start.max(b);
                let to = end.min(b_end);
                if from >= to {
                    continue;
                }
                for fine in self.levels[0].range(from..to).map(|(_, f)| f) {
                    let into = found.entry(b).or_default();
                    for (key, bucket) in fine {
                        match into.get_mut(key) {
                            Some(have) => {
                                have.seq = have.seq.min(bucket.seq);
                                have.accs.iter_mut().zip(&bucket.accs).for_each(|(a, o)| a.merge(o));
                            }
                            None => {
                                into.insert(key.clone(), bucket.clone());
                            }
                        }
                    }
                }
            }
        } else {
            for (&b, groups) in self.levels[li].range(start..end.max(start)) {
                found.insert(b, groups.clone());
            }
        }
        Ok(self.listed(found, g, now, external))
    }

    /// The rows of `found` in the order the reference lists them: as a Java
    /// `HashMap` keyed by `"bucket:-:group…:-:"` iterates; on event time the
    /// closed buckets (from its tables) come before the open ones (in memory).
    fn listed(&self, found: BTreeMap<i64, Groups>, g: usize, now: i64, external: bool) -> Vec<Row> {
        let mut entries = Vec::new();
        for (b, groups) in found {
            let open = !external && bucket_end(b, g) > now;
            let group_cap = capacity(groups.len());
            for (key, bucket) in groups {
                let tie = java_hash_order(&[Value::string(&group_text(&key))], group_cap);
                entries.push((open, b, key, bucket, tie));
            }
        }
        let mut rows = Vec::new();
        for part in [false, true] {
            let mut these: Vec<_> = entries.iter().filter(|e| e.0 == part).collect();
            let cap = capacity(these.len());
            these.sort_by_cached_key(|(_, b, key, bucket, tie)| {
                let text = format!("{b}:-:{}", group_text(key));
                (java_hash_order(&[Value::string(&text)], cap), *b, *tie, bucket.seq)
            });
            for (_, b, _, bucket, _) in these {
                let mut row = Vec::with_capacity(bucket.accs.len() + 1);
                row.push(Value::Long(*b));
                row.extend(bucket.accs.iter().map(Acc::value));
                rows.push(Arc::from(row));
            }
        }
        rows
    }
}

/// A group's key as the reference writes it: each value followed by `:-:`.
fn group_text(key: &[Value]) -> String {
    key.iter().map(|v| format!("{v}:-:")).collect()
}

/// The capacity a Java `HashMap` reaches holding `n` keys.
fn capacity(n: usize) -> u64 {
    let mut cap = 16u64;
    while n as u64 * 4 > cap * 3 {
        cap *= 2;
    }
    cap
}
