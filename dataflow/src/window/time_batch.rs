//! `timeBatch(t[, start][, stream])`: tumbling batches of t ms by the clock, aligned
//! to the first event or to `start`; at each period end the previous batch expires,
//! a reset follows, then the events of the period come out as current. With
//! `stream` true (Macrometa's `TUMBLING_TIME(t, true)`) each event comes out as it
//! arrives, and at each period end the period's events expire, then the reset.

use super::{Emitted, StreamEvent, Window};
use crate::value::Row;

/// `timeBatch(t[, start][, stream])`: releases the events of each period of t ms
/// together, or streams them and expires them together.
pub(super) struct TimeBatch {
    pub(super) w: i64,
    pub(super) start: Option<i64>,
    pub(super) stream_current: bool,
    pub(super) next_emit: Option<i64>,
    pub(super) current: Vec<StreamEvent>,
    pub(super) expired: Vec<StreamEvent>,
    pub(super) expects_expired: bool,
    pub(super) reset_due: bool,
}

impl TimeBatch {
    fn flush(&mut self, now: i64, out: &mut Vec<Emitted>) {
        // What expires now: the period's events when they were streamed as they
        // came (they expire together), else the batch released last time.
        let expiring = std::mem::take(if self.stream_current { &mut self.current } else { &mut self.expired });
        if self.expects_expired {
            out.extend(expiring.into_iter().map(|mut e| {
                e.ts = now;
                Emitted::Expired(e)
            }));
        }
        if self.reset_due {
            out.push(Emitted::Reset);
            self.reset_due = false;
        }
        if self.stream_current {
            return;
        }
        if !self.current.is_empty() {
            // The released batch stays as the window's contents until the next one.
            self.expired = self.current.clone();
            out.extend(self.current.drain(..).map(Emitted::Current));
        }
    }

    fn due(&mut self, now: i64) -> bool {
        let next = *self.next_emit.get_or_insert_with(|| match self.start {
            Some(s) if self.w > 0 => s + ((now - s).div_euclid(self.w) + 1) * self.w,
            _ => now + self.w,
        });
        if now >= next {
            self.next_emit = Some(next + self.w.max(1));
            true
        } else {
            false
        }
    }
}

impl Window for TimeBatch {
    fn contents(&self) -> Vec<Row> {
        super::rows(if self.stream_current { &self.current } else { &self.expired })
    }
    fn next_deadline(&self) -> Option<i64> {
        self.next_emit
    }
    fn on_event(&mut self, ev: StreamEvent, out: &mut Vec<Emitted>) {
        let now = ev.ts;
        let send = self.due(now);
        self.reset_due = true;
        if self.stream_current {
            out.push(Emitted::Current(ev.clone()));
        }
        self.current.push(ev);
        if send {
            self.flush(now, out);
        }
    }
    fn on_time(&mut self, now: i64, out: &mut Vec<Emitted>) {
        if self.next_emit.is_none() {
            return;
        }
        // One period per call: each period's flush is a chunk of its own.
        if self.next_emit.is_some_and(|n| now >= n) {
            self.due(now);
            self.flush(now, out);
        }
    }
    fn is_batch(&self) -> bool {
        true
    }
}
