//! `delay(t)`: every event comes out, as a current event, t ms after it arrived.

use super::{Emitted, StreamEvent, Window};
use crate::value::Row;
use std::collections::VecDeque;

/// `delay(t)`: every event comes out, as a current event, t ms after it arrived.
pub(super) struct Delay {
    pub(super) w: i64,
    pub(super) held: VecDeque<StreamEvent>,
}

impl Window for Delay {
    fn contents(&self) -> Vec<Row> {
        super::rows(&self.held)
    }
    fn next_deadline(&self) -> Option<i64> {
        self.held.front().map(|e| e.ts + self.w)
    }
    fn on_event(&mut self, ev: StreamEvent, out: &mut Vec<Emitted>) {
        self.on_time(ev.ts, out);
        self.held.push_back(ev);
    }
    fn on_time(&mut self, now: i64, out: &mut Vec<Emitted>) {
        while self.held.front().is_some_and(|e| e.ts + self.w <= now) {
            let mut e = self.held.pop_front().expect("present");
            e.ts = now;
            out.push(Emitted::Current(e));
        }
    }
}
