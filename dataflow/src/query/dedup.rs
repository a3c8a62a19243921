//! `#unique:deduplicate(key, interval)` (siddhi-execution-unique's
//! `DeduplicateStreamProcessor`): an event goes on unless an event with the same
//! key went on at most `interval` milliseconds before it. A key is remembered
//! from the event that went on (a dropped duplicate does not extend it) until an
//! event comes more than `interval` after it. Keys are compared as values (the
//! reference compares their text; one key expression has one type, so the two
//! agree). A null key is an error, as the reference's `toString` fails on it.

use super::expr::{raise, CExpr, Env};
use super::stream_processor::StreamProcessor;
use crate::value::{Row, Value};
use std::collections::{HashMap, VecDeque};

/// The keys that went on, with when.
pub struct Deduplicate {
    key: CExpr,
    interval: i64,
    seen: HashMap<Value, i64>,
    /// The same keys in the order they went on (their times never decrease).
    order: VecDeque<(i64, Value)>,
}

impl Deduplicate {
    /// Drops repeats of `key` within `interval` ms.
    pub fn new(key: CExpr, interval: i64) -> Deduplicate {
        Deduplicate { key, interval, seen: HashMap::new(), order: VecDeque::new() }
    }
}

impl StreamProcessor for Deduplicate {
    fn on_event(&mut self, ts: i64, row: Row, env: &Env, out: &mut Vec<(i64, Row)>) {
        while let Some((at, _)) = self.order.front() {
            if ts.saturating_sub(*at) <= self.interval {
                break;
            }
            if let Some((_, key)) = self.order.pop_front() {
                self.seen.remove(&key);
            }
        }
        let key = self.key.eval(&row, env);
        if matches!(key, Value::Null) {
            raise(|| "#unique:deduplicate: the unique key is null".to_string());
            return;
        }
        if self.seen.contains_key(&key) {
            return;
        }
        self.seen.insert(key.clone(), ts);
        self.order.push_back((ts, key));
        out.push((ts, row));
    }

    fn on_time(&mut self, _at: i64, _out: &mut Vec<(i64, Row)>) {}

    fn next_deadline(&self) -> Option<i64> {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    #[test]
    fn drops_repeats_within_the_interval() {
        let mut d = Deduplicate::new(CExpr::Col(0), 30_000);
        let env = Env::new(0, 0, &None);
        let mut out = Vec::new();
        for (ts, k) in [(1_000, "a"), (2_000, "b"), (31_000, "a"), (31_001, "a"), (32_000, "b")] {
            d.on_event(ts, Arc::from(vec![Value::string(k)]), &env, &mut out);
        }
        let times: Vec<i64> = out.iter().map(|(t, _)| *t).collect();
        assert_eq!(times, vec![1_000, 2_000, 31_001]);
    }
}
