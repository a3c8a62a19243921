//! `unique:first(key…)` (siddhi-execution-unique): only the first event of every
//! key (the keys' texts appended) passes; later events of a held key are dropped.
//! Nothing ever expires.

use super::java::{JavaKey, JavaMap, MapKind};
use super::unique_ever::appended_key;
use super::{Emitted, StreamEvent, Window, WindowArg};
use crate::value::{Row, Value};

/// The `unique:first` window state.
pub(super) struct UniqueFirst {
    /// The key parts.
    pub(super) keys: Vec<WindowArg>,
    /// The first event of every key (a `ConcurrentHashMap` in the reference).
    pub(super) map: JavaMap<StreamEvent>,
}

impl UniqueFirst {
    /// An empty window over `keys`.
    pub(super) fn new(keys: Vec<WindowArg>) -> UniqueFirst {
        UniqueFirst { keys, map: JavaMap::new(MapKind::Concurrent) }
    }
}

impl Window for UniqueFirst {
    fn on_event(&mut self, ev: StreamEvent, out: &mut Vec<Emitted>) {
        let text = appended_key(&self.keys, &ev.row);
        let key = JavaKey::string(text.clone());
        if self.map.contains(&key) {
            return;
        }
        self.map.put(key, &Value::string(&text), ev.clone());
        out.push(Emitted::Current(ev));
    }
    fn on_time(&mut self, _now: i64, _out: &mut Vec<Emitted>) {}
    fn is_batch(&self) -> bool {
        // Every chunk is a batch in the reference (siddhi 5.1: "consider all
        // chunks as batches"), and these windows' processing mode is BATCH.
        true
    }
    fn contents(&self) -> Vec<Row> {
        super::rows(self.map.values())
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests_support::{ev2, key0, kinds};
    use super::super::window;

    #[test]
    fn only_the_first_event_of_a_key_passes() {
        let mut w = window("unique:first", &[key0()], true).unwrap();
        let mut out = Vec::new();
        for (i, k) in ["a", "a", "b", "a"].iter().enumerate() {
            w.on_event(ev2(i as i64, k, i as i64), &mut out);
        }
        assert_eq!(kinds(&out), ["+a0", "+b2"]);
    }
}
