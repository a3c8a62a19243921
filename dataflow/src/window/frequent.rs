//! `frequent(n[, attr…])`: the Misra–Gries frequent-items window. It keeps at most
//! n keys (the texts of the given attributes appended, or of the event's output
//! data: see `event_key`) with a counter each. An event
//! of a kept key counts up, replaces the key's held event and passes. An event of
//! a new key, when n keys are held, counts every held key down; keys reaching 0
//! expire (their held event, stamped with the arrival time, comes out before the
//! arrival); if that made room the arrival is kept and passes, else it is dropped.

use super::event_key::EventKey;
use super::{Emitted, StreamEvent, Window};
use crate::value::Row;

/// The frequent-items window state.
pub(super) struct Frequent {
    /// How many keys to keep.
    pub(super) n: usize,
    /// Where an event's key comes from.
    pub(super) keys: EventKey,
    /// Held keys in arrival order: key, count, latest event.
    pub(super) held: Vec<(String, u64, StreamEvent)>,
}

impl Window for Frequent {
    fn on_event(&mut self, ev: StreamEvent, out: &mut Vec<Emitted>) {
        let key = self.keys.text(&ev.row);
        if let Some(slot) = self.held.iter_mut().find(|(k, _, _)| *k == key) {
            slot.1 += 1;
            slot.2 = ev.clone();
            out.push(Emitted::Current(ev));
            return;
        }
        if self.held.len() >= self.n {
            let now = ev.ts;
            let mut kept = Vec::with_capacity(self.held.len());
            for (k, c, e) in self.held.drain(..) {
                if c <= 1 {
                    let mut e = e;
                    e.ts = now;
                    out.push(Emitted::Expired(e));
                } else {
                    kept.push((k, c - 1, e));
                }
            }
            self.held = kept;
            if self.held.len() >= self.n {
                return;
            }
        }
        self.held.push((key, 1, ev.clone()));
        out.push(Emitted::Current(ev));
    }
    fn on_time(&mut self, _now: i64, _out: &mut Vec<Emitted>) {}
    fn contents(&self) -> Vec<Row> {
        self.held.iter().map(|(_, _, e)| e.row.clone()).collect()
    }
}
