//! `unique:lengthBatch(key, n)` and `unique:firstLengthBatch(key, n)`
//! (siddhi-execution-unique): tumbling batches of n distinct keys. Events are
//! gathered by key (`lengthBatch` keeps the latest event of a key, and
//! `firstLengthBatch` the first); when n keys are gathered, the previous batch
//! expires, a reset follows (not before the first batch), then the batch comes
//! out as current events in the iteration order of the reference's `HashMap`,
//! all stamped with the time of the event that completed the batch.

use super::java::{JavaKey, JavaMap, MapKind};
use super::{Emitted, StreamEvent, Window, WindowArg};
use crate::value::{Row, Value};

/// The events of a unique batch window between two releases, and the release.
pub(super) struct UniqueBatch {
    /// The unique key.
    pub(super) key: WindowArg,
    /// `true`: the first event of a key is kept (keys compare as text);
    /// `false`: the latest (keys compare as values).
    pub(super) keep_first: bool,
    /// The gathered events by key.
    pub(super) map: JavaMap<StreamEvent>,
    /// The previous batch, to expire at the next release.
    pub(super) expired: Vec<StreamEvent>,
    /// Whether a batch was released before (the reference's reset event exists).
    pub(super) released: bool,
}

impl UniqueBatch {
    /// An empty batch over `key`.
    pub(super) fn new(key: WindowArg, keep_first: bool) -> UniqueBatch {
        UniqueBatch { key, keep_first, map: JavaMap::new(MapKind::Hash), expired: Vec::new(), released: false }
    }

    /// Gathers an arriving event.
    pub(super) fn gather(&mut self, ev: StreamEvent) {
        let v = self.key.value(&ev.row);
        if self.keep_first {
            let text = v.to_string();
            let key = JavaKey::string(text.clone());
            if !self.map.contains(&key) {
                self.map.put(key, &Value::string(&text), ev);
            }
        } else {
            self.map.put(JavaKey::object(&v), &v, ev);
        }
    }

    /// Releases: the previous batch expires, a reset, the gathered events.
    pub(super) fn release(&mut self, now: i64, out: &mut Vec<Emitted>) {
        let current = self.map.drain_values();
        out.extend(self.expired.drain(..).map(|mut e| {
            e.ts = now;
            Emitted::Expired(e)
        }));
        if current.is_empty() {
            return;
        }
        if self.released {
            out.push(Emitted::Reset);
        }
        self.released = true;
        for mut e in current {
            e.ts = now;
            self.expired.push(e.clone());
            out.push(Emitted::Current(e));
        }
    }
}

/// The `unique:lengthBatch` / `unique:firstLengthBatch` window state.
pub(super) struct UniqueLengthBatch {
    /// The batch length (distinct keys).
    pub(super) n: usize,
    /// The gathered events.
    pub(super) batch: UniqueBatch,
}

impl Window for UniqueLengthBatch {
    fn on_event(&mut self, ev: StreamEvent, out: &mut Vec<Emitted>) {
        let now = ev.ts;
        self.batch.gather(ev);
        if self.batch.map.len() == self.n {
            self.batch.release(now, out);
        }
    }
    fn on_time(&mut self, _now: i64, _out: &mut Vec<Emitted>) {}
    fn is_batch(&self) -> bool {
        true
    }
    fn contents(&self) -> Vec<Row> {
        super::rows(&self.batch.expired)
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests_support::{ev2, key0, kinds};
    use super::super::{window, WindowArg};
    use crate::value::Value;

    #[test]
    fn batches_of_distinct_keys_in_hash_map_order() {
        let mut w = window("unique:lengthBatch", &[key0(), WindowArg::Const(Value::Int(2))], true).unwrap();
        let mut out = Vec::new();
        for (i, k) in ["b", "b", "a", "c", "d"].iter().enumerate() {
            w.on_event(ev2(i as i64, k, i as i64), &mut out);
        }
        // "a" hashes before "b": the batch {b1, a2} comes out a first; no reset
        // before the first batch.
        assert_eq!(kinds(&out), ["+a2", "+b1", "-a2", "-b1", "reset", "+c3", "+d4"]);
    }

    #[test]
    fn first_length_batch_keeps_the_first_event_of_a_key() {
        let mut w = window("unique:firstLengthBatch", &[key0(), WindowArg::Const(Value::Int(2))], true).unwrap();
        let mut out = Vec::new();
        for (i, k) in ["b", "b", "a"].iter().enumerate() {
            w.on_event(ev2(i as i64, k, i as i64), &mut out);
        }
        assert_eq!(kinds(&out), ["+a2", "+b0"]);
    }
}
