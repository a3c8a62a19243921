//! `lengthBatch(n[, stream.current.event])`: tumbling batches of n events. At the
//! n-th arrival the previous batch expires, a reset follows, then the new batch is
//! released as current events. With `stream.current.event = true` events pass
//! through as they arrive and the expiry/reset happens when the next batch starts.

use super::{Emitted, StreamEvent, Window};
use crate::value::Row;

/// `lengthBatch(n)`: releases every n events together; the previous batch expires
/// first, then a reset, then the new batch.
pub(super) struct LengthBatch {
    pub(super) n: usize,
    pub(super) current: Vec<StreamEvent>,
    pub(super) expired: Vec<StreamEvent>,
    pub(super) expects_expired: bool,
}

impl Window for LengthBatch {
    fn contents(&self) -> Vec<Row> {
        super::rows(&self.expired)
    }
    fn on_event(&mut self, ev: StreamEvent, out: &mut Vec<Emitted>) {
        let now = ev.ts;
        self.current.push(ev);
        if self.current.len() < self.n {
            return;
        }
        if self.expects_expired {
            out.extend(self.expired.drain(..).map(|mut e| {
                e.ts = now;
                Emitted::Expired(e)
            }));
        }
        self.expired.clear();
        out.push(Emitted::Reset);
        // The released batch stays as the window's contents until the next one.
        self.expired = self.current.clone();
        out.extend(self.current.drain(..).map(Emitted::Current));
    }
    fn on_time(&mut self, _now: i64, _out: &mut Vec<Emitted>) {}
    fn is_batch(&self) -> bool {
        true
    }
}

/// `lengthBatch(n, true)`: events pass through as they arrive; every n events the
/// previous batch expires and aggregates reset.
pub(super) struct LengthBatchStreaming {
    pub(super) n: usize,
    pub(super) count: usize,
    pub(super) expired: Vec<StreamEvent>,
    pub(super) expects_expired: bool,
}

impl Window for LengthBatchStreaming {
    fn contents(&self) -> Vec<Row> {
        super::rows(&self.expired)
    }
    fn on_event(&mut self, ev: StreamEvent, out: &mut Vec<Emitted>) {
        self.count += 1;
        if self.count == self.n + 1 {
            if self.expects_expired {
                out.extend(self.expired.drain(..).map(|mut e| {
                    e.ts = ev.ts;
                    Emitted::Expired(e)
                }));
            }
            self.expired.clear();
            out.push(Emitted::Reset);
            self.count = 1;
        }
        self.expired.push(ev.clone());
        out.push(Emitted::Current(ev));
    }
    fn on_time(&mut self, _now: i64, _out: &mut Vec<Emitted>) {}
    fn is_batch(&self) -> bool {
        true
    }
}

/// `lengthBatch(0)`: every event is a batch of its own, released at once as the
/// current event, then (when the query outputs expired events) expired at the
/// same time, then a reset; nothing is held (`LengthBatchWindowProcessor.processLengthZeroBatch`).
pub(super) struct LengthBatchZero {
    pub(super) expects_expired: bool,
}

impl Window for LengthBatchZero {
    fn contents(&self) -> Vec<Row> {
        Vec::new()
    }
    fn on_event(&mut self, ev: StreamEvent, out: &mut Vec<Emitted>) {
        let expired = self.expects_expired.then(|| ev.clone());
        out.push(Emitted::Current(ev));
        out.extend(expired.map(Emitted::Expired));
        out.push(Emitted::Reset);
    }
    fn on_time(&mut self, _now: i64, _out: &mut Vec<Emitted>) {}
    fn is_batch(&self) -> bool {
        true
    }
}
