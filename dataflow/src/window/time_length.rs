//! `timeLength(t, n)`: the events of the last t ms, at most n of them; time
//! expirations come first, then the one pushed out by count, then the arrival.

use super::{Emitted, StreamEvent, Window};
use crate::value::Row;
use std::collections::VecDeque;

/// `timeLength(t, n)`: at most the last n events of the last t ms.
pub(super) struct TimeLength {
    pub(super) w: i64,
    pub(super) n: usize,
    pub(super) held: VecDeque<StreamEvent>,
}

impl TimeLength {
    fn expire(&mut self, now: i64, out: &mut Vec<Emitted>) {
        while self.held.front().is_some_and(|e| e.ts + self.w <= now) {
            let mut e = self.held.pop_front().expect("present");
            e.ts = now;
            out.push(Emitted::Expired(e));
        }
    }
}

impl Window for TimeLength {
    fn contents(&self) -> Vec<Row> {
        super::rows(&self.held)
    }
    fn next_deadline(&self) -> Option<i64> {
        self.held.front().map(|e| e.ts + self.w)
    }
    fn on_event(&mut self, ev: StreamEvent, out: &mut Vec<Emitted>) {
        self.expire(ev.ts, out);
        if self.held.len() >= self.n {
            if let Some(mut old) = self.held.pop_front() {
                old.ts = ev.ts;
                out.push(Emitted::Expired(old));
            }
        }
        if self.n > 0 {
            self.held.push_back(ev.clone());
        }
        out.push(Emitted::Current(ev));
    }
    fn on_time(&mut self, now: i64, out: &mut Vec<Emitted>) {
        self.expire(now, out);
    }
}
