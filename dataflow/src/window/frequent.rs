//! `frequent(n[, attr…])`: the Misra–Gries frequent-items window. It keeps at most
//! n keys (the texts of the given attributes appended, or of the event's output
//! data: see `event_key`) with a counter each. An event
//! of a kept key counts up, replaces the key's held event and passes. An event of
//! a new key, when n keys are held, counts every held key down; keys reaching 0
//! expire in the order of the reference's key map (a Java `ConcurrentHashMap`;
//! their held event, stamped with the arrival time, comes out before the
//! arrival); if that made room the arrival is kept and passes, else it is dropped.

use super::event_key::EventKey;
use super::java::{JavaKey, JavaMap, MapKind};
use super::{Emitted, StreamEvent, Window};
use crate::value::{Row, Value};

/// The frequent-items window state.
pub(super) struct Frequent {
    /// How many keys to keep.
    pub(super) n: usize,
    /// Where an event's key comes from.
    pub(super) keys: EventKey,
    /// Per key: its counter (the reference's `countMap`).
    pub(super) counts: JavaMap<u64>,
    /// Per key: its latest event (the reference's `map`).
    pub(super) held: JavaMap<StreamEvent>,
}

impl Frequent {
    /// A fresh window.
    pub(super) fn new(n: usize, keys: EventKey) -> Frequent {
        Frequent { n, keys, counts: JavaMap::new(MapKind::Concurrent), held: JavaMap::new(MapKind::Concurrent) }
    }
}

impl Window for Frequent {
    fn on_event(&mut self, ev: StreamEvent, out: &mut Vec<Emitted>) {
        let text = self.keys.text(&ev.row);
        let hv = Value::string(&text);
        let key = JavaKey::string(text);
        if self.held.put(key.clone(), &hv, ev.clone()).is_some() {
            if let Some(c) = self.counts.get_mut(&key) {
                *c += 1;
            }
            out.push(Emitted::Current(ev));
            return;
        }
        if self.held.len() > self.n {
            // Every held key counts down, in the key map's order; keys reaching
            // 0 expire, stamped with the arrival time.
            for k in self.counts.keys().into_iter().take(self.n) {
                let Some(c) = self.counts.get_mut(&k) else { continue };
                *c = c.saturating_sub(1);
                if *c == 0 {
                    self.counts.remove(&k);
                    if let Some(mut e) = self.held.remove(&k) {
                        e.ts = ev.ts;
                        out.push(Emitted::Expired(e));
                    }
                }
            }
            if self.held.len() > self.n {
                // No room was made: the arrival is dropped.
                self.held.remove(&key);
                return;
            }
        }
        self.counts.put(key, &hv, 1);
        out.push(Emitted::Current(ev));
    }
    fn on_time(&mut self, _now: i64, _out: &mut Vec<Emitted>) {}
    fn holds_other_than_released(&self) -> bool {
        true
    }
    fn contents(&self) -> Vec<Row> {
        super::rows(self.held.values())
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests_support::{ev2, key0, kinds};
    use super::super::{window, WindowArg};
    use crate::value::Value;

    #[test]
    fn evictions_come_out_in_java_hash_order() {
        // A fourth key evicts the three held ones in the order of the
        // reference's ConcurrentHashMap ("A", "C", "x" by String hash), not in
        // arrival order.
        let args = [WindowArg::Const(Value::Int(3)), key0()];
        let mut w = window("frequent", &args, true).unwrap();
        let mut out = Vec::new();
        for (i, k) in ["C", "A", "x", "y"].iter().enumerate() {
            w.on_event(ev2(i as i64, k, 0), &mut out);
        }
        assert_eq!(kinds(&out), ["+C0", "+A0", "+x0", "-A0", "-C0", "-x0", "+y0"]);
        assert_eq!(w.contents().len(), 1);
    }
}
