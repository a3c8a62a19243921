//! `unique:length(key, n)` (siddhi-execution-unique): a sliding window of events
//! with distinct keys. An event whose key (the key's text) was seen before expires
//! the event it replaces; once n distinct keys have been seen, each event with a
//! new key expires the oldest held event.
//!
//! As in the reference, seen keys are never forgotten (an expired key that comes
//! back expires its old event again) and the held events live in a
//! `ComplexEventChunk` whose iterator resumes where the previous event left it,
//! so a replaced event is not always found (and the window can then hold more than
//! n events). [`super::java::Chunk`] reproduces that list exactly.

use super::java::{same_event, Chunk};
use super::{Emitted, StreamEvent, Window, WindowArg};
use crate::value::Row;
use std::collections::HashMap;

/// The `unique:length` window state.
pub(super) struct UniqueLength {
    /// The unique key.
    pub(super) key: WindowArg,
    /// The window length.
    pub(super) n: usize,
    /// The latest event of every key seen.
    pub(super) map: HashMap<String, StreamEvent>,
    /// How many distinct keys have been seen.
    pub(super) count: usize,
    /// The held events.
    pub(super) held: Chunk,
}

impl Window for UniqueLength {
    fn on_event(&mut self, ev: StreamEvent, out: &mut Vec<Emitted>) {
        let now = ev.ts;
        let key = self.key.value(&ev.row).to_string();
        let old = self.map.insert(key, ev.clone());
        if old.is_none() {
            self.count += 1;
        }
        match old {
            None if self.count <= self.n => self.held.add(ev.clone()),
            Some(mut old) => {
                while self.held.has_next() {
                    let i = self.held.next();
                    if same_event(self.held.event(i), &old) {
                        self.held.remove();
                    }
                }
                self.held.add(ev.clone());
                old.ts = now;
                out.push(Emitted::Expired(old));
            }
            None => match self.held.poll() {
                Some(mut first) => {
                    first.ts = now;
                    out.push(Emitted::Expired(first));
                    self.held.add(ev.clone());
                }
                None => out.push(Emitted::Expired(ev.clone())),
            },
        }
        out.push(Emitted::Current(ev));
    }
    fn on_time(&mut self, _now: i64, _out: &mut Vec<Emitted>) {}
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
    use super::super::window;
    use super::super::WindowArg;
    use crate::value::Value;

    #[test]
    fn replaced_and_oldest_events_expire() {
        let mut w = window("unique:length", &[key0(), WindowArg::Const(Value::Int(2))], true).unwrap();
        let mut out = Vec::new();
        for (i, k) in ["a", "b", "a", "c"].iter().enumerate() {
            w.on_event(ev2(i as i64, k, i as i64), &mut out);
        }
        // a1 is replaced by a2; c is a third key: the oldest held event (b) expires.
        assert_eq!(kinds(&out), ["+a0", "+b1", "-a0", "+a2", "-b1", "+c3"]);
    }

    #[test]
    fn the_reference_loses_a_replacement_after_removing_the_tail() {
        // length 2: a, b, b. The tail b1 is removed through the iterator and
        // `last` stays on it, so the replacing b2 hangs off the removed node and
        // the window holds [a0] only; new keys then poll a0, then c3.
        let mut w = window("unique:length", &[key0(), WindowArg::Const(Value::Int(2))], true).unwrap();
        let mut out = Vec::new();
        for (i, k) in ["a", "b", "b", "c", "d"].iter().enumerate() {
            w.on_event(ev2(i as i64, k, i as i64), &mut out);
        }
        assert_eq!(kinds(&out), ["+a0", "+b1", "-b1", "+b2", "-a0", "+c3", "-c3", "+d4"]);
        assert_eq!(w.contents().len(), 1);
    }

    #[test]
    fn the_length_must_be_an_int() {
        assert!(window("unique:length", &[key0(), WindowArg::Const(Value::Long(2))], true).is_err());
        assert!(window("unique:length", &[key0()], true).is_err());
    }
}
