//! `unique:time(key, t)` (siddhi-execution-unique): a sliding window of the last
//! t ms holding the latest event of each key (the key's text). An arriving event
//! whose key was seen before expires the event it replaces; events older than t
//! expire on the clock, stamped with the time they leave.
//!
//! As in the reference, seen keys are never forgotten: a key whose event already
//! expired by time finds nothing to replace. While an arrival looks for the event
//! it replaces, the older events due to expire wait for the next expiry pass.

use super::java::{same_event, Chunk};
use super::{Emitted, StreamEvent, Window, WindowArg};
use crate::value::Row;
use std::collections::HashMap;

/// The `unique:time` window state.
pub(super) struct UniqueTime {
    /// The unique key.
    pub(super) key: WindowArg,
    /// The window time (ms).
    pub(super) t: i64,
    /// The latest event of every key seen.
    pub(super) map: HashMap<String, StreamEvent>,
    /// The held events, oldest first.
    pub(super) held: Chunk,
}

impl UniqueTime {
    /// The reference's pass over the held events at `now`, looking for `old`
    /// (the event an arrival replaces) or else for events due to expire.
    fn expire(&mut self, now: i64, mut old: Option<StreamEvent>, out: &mut Vec<Emitted>) {
        self.held.reset();
        while self.held.has_next() {
            let i = self.held.next();
            let due = self.held.event(i).ts - now + self.t <= 0;
            if !due && old.is_none() {
                break;
            }
            match old.take() {
                Some(mut o) => {
                    if same_event(self.held.event(i), &o) {
                        self.held.remove();
                        o.ts = now;
                        out.push(Emitted::Expired(o));
                    } else {
                        old = Some(o);
                    }
                }
                None => {
                    let mut e = self.held.event(i).clone();
                    self.held.remove();
                    e.ts = now;
                    out.push(Emitted::Expired(e));
                    self.held.reset();
                }
            }
        }
        self.held.reset();
    }
}

impl Window for UniqueTime {
    fn on_event(&mut self, ev: StreamEvent, out: &mut Vec<Emitted>) {
        let now = ev.ts;
        let old = self.map.insert(self.key.value(&ev.row).to_string(), ev.clone());
        self.held.add(ev.clone());
        self.expire(now, old, out);
        out.push(Emitted::Current(ev));
    }
    fn on_time(&mut self, now: i64, out: &mut Vec<Emitted>) {
        self.expire(now, None, out);
    }
    fn next_deadline(&self) -> Option<i64> {
        self.held.iter().next().map(|e| e.ts + self.t)
    }
    fn is_batch(&self) -> bool {
        // Every chunk is a batch in the reference (siddhi 5.1: "consider all
        // chunks as batches"), and these windows' processing mode is BATCH.
        true
    }
    fn contents(&self) -> Vec<Row> {
        super::rows(self.held.iter())
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests_support::{ev2, key0, kinds};
    use super::super::{window, WindowArg};
    use crate::value::Value;

    #[test]
    fn replaced_events_expire_at_once_and_others_on_the_clock() {
        let mut w = window("unique:time", &[key0(), WindowArg::Const(Value::Long(100))], true).unwrap();
        let mut out = Vec::new();
        w.on_event(ev2(0, "a", 0), &mut out);
        w.on_event(ev2(10, "b", 1), &mut out);
        w.on_event(ev2(20, "a", 2), &mut out);
        assert_eq!(w.next_deadline(), Some(110));
        w.on_time(120, &mut out);
        // a's key comes back after its event expired: nothing is replaced.
        w.on_event(ev2(200, "a", 3), &mut out);
        assert_eq!(kinds(&out), ["+a0", "+b1", "-a0", "+a2", "-b1", "-a2", "+a3"]);
    }
}
