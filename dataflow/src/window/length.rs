//! `length(n)`: a sliding window of the last n events. Each arrival past n expires the
//! oldest event (stamped with the arrival time) before the arrival is released.

use super::{Emitted, StreamEvent, Window};
use crate::value::Row;
use std::collections::VecDeque;

/// `length(n)`: the last n events; each arrival past n expires the oldest first.
pub(super) struct Length {
    pub(super) n: usize,
    pub(super) held: VecDeque<StreamEvent>,
}

impl Window for Length {
    fn contents(&self) -> Vec<Row> {
        super::rows(&self.held)
    }
    fn on_event(&mut self, ev: StreamEvent, out: &mut Vec<Emitted>) {
        if self.held.len() >= self.n {
            match self.held.pop_front() {
                Some(mut old) => {
                    old.ts = ev.ts;
                    out.push(Emitted::Expired(old));
                }
                None => out.push(Emitted::Expired(ev.clone())),
            }
        }
        if self.n > 0 {
            self.held.push_back(ev.clone());
        }
        out.push(Emitted::Current(ev));
    }
    fn on_time(&mut self, _now: i64, _out: &mut Vec<Emitted>) {}
}
