//! `batch()`: each arriving chunk of events is a batch of its own.

use super::{Emitted, StreamEvent, Window};
use crate::value::Row;

/// `batch()`: each arriving chunk is a batch of its own.
pub(super) struct Batch {
    pub(super) expired: Vec<StreamEvent>,
    pub(super) expects_expired: bool,
}

impl Window for Batch {
    fn contents(&self) -> Vec<Row> {
        super::rows(&self.expired)
    }
    fn on_event(&mut self, ev: StreamEvent, out: &mut Vec<Emitted>) {
        let previous = std::mem::replace(&mut self.expired, vec![ev.clone()]);
        if self.expects_expired {
            out.extend(previous.into_iter().map(|mut e| {
                e.ts = ev.ts;
                Emitted::Expired(e)
            }));
        }
        out.push(Emitted::Reset);
        out.push(Emitted::Current(ev));
    }
    fn on_time(&mut self, _now: i64, _out: &mut Vec<Emitted>) {}
    fn is_batch(&self) -> bool {
        true
    }
}
