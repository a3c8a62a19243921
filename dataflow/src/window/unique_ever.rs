//! `unique:ever(key…)` (siddhi-execution-unique): keeps the latest event of every
//! key ever seen (the keys' texts appended). An event whose key is held expires
//! the held one (stamped with the arrival time) before it passes.

use super::java::{JavaKey, JavaMap, MapKind};
use super::{Emitted, StreamEvent, Window, WindowArg};
use crate::value::{Row, Value};

/// The `unique:ever` window state.
pub(super) struct UniqueEver {
    /// The key parts.
    pub(super) keys: Vec<WindowArg>,
    /// The latest event of every key (a `ConcurrentHashMap` in the reference).
    pub(super) map: JavaMap<StreamEvent>,
}

/// The reference's key for a list of key expressions: their texts appended.
pub(super) fn appended_key(keys: &[WindowArg], row: &[Value]) -> String {
    let mut text = String::new();
    for k in keys {
        text.push_str(&k.value(row).to_string());
    }
    text
}

impl UniqueEver {
    /// An empty window over `keys`.
    pub(super) fn new(keys: Vec<WindowArg>) -> UniqueEver {
        UniqueEver { keys, map: JavaMap::new(MapKind::Concurrent) }
    }
}

impl Window for UniqueEver {
    fn on_event(&mut self, ev: StreamEvent, out: &mut Vec<Emitted>) {
        let text = appended_key(&self.keys, &ev.row);
        let hv = Value::string(&text);
        if let Some(mut old) = self.map.put(JavaKey::string(text), &hv, ev.clone()) {
            old.ts = ev.ts;
            out.push(Emitted::Expired(old));
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
        super::rows(self.map.values())
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests_support::{ev2, key0, kinds};
    use super::super::window;

    #[test]
    fn a_key_seen_again_expires_its_previous_event() {
        let mut w = window("unique:ever", &[key0()], true).unwrap();
        let mut out = Vec::new();
        for (i, k) in ["a", "a", "b", "a"].iter().enumerate() {
            w.on_event(ev2(i as i64, k, i as i64), &mut out);
        }
        assert_eq!(kinds(&out), ["+a0", "-a0", "+a1", "+b2", "-a1", "+a3"]);
        assert_eq!(w.contents().len(), 2);
    }
}
