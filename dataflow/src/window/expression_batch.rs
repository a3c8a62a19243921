//! `expressionBatch(condition[, include.triggering.event[, stream.current.event]])`
//! (ExpressionBatchWindowProcessor): a tumbling window that gathers events while
//! a condition over the batch holds; the first event for which it fails closes
//! the batch. The condition sees the event (bare attributes), `first` (the
//! batch's first event, or the event itself) and `last` (the event), and its
//! aggregates count the batch's events.
//!
//! When the condition fails, its aggregates start over with the closing event
//! alone, and one chunk comes out (no reset event): the previous batch's events
//! as expired, then the batch as current events, all stamped with the closing
//! event's time. The closing event starts the next batch, or with
//! `include.triggering.event = true` is released with this one. A failure with
//! nothing gathered releases the closing event as expired, then as current.
//!
//! With `stream.current.event = true` events come out as current as they arrive;
//! the failing event releases the previous ones as expired.
//!
//! A condition read from each event (see [`super::expression`]) that changes takes
//! the events gathered so far in again under the new condition, stamped with the
//! arrival's time: batches they close come out at once; with
//! `stream.current.event = true` what they release waits, as expired events, to
//! come out first with the arrival's own output, as in the reference.

use super::expression::{Condition, Pass};
use super::{Emitted, StreamEvent, Window};
use crate::value::Row;

/// The `expressionBatch` window state.
pub(super) struct ExpressionBatch {
    /// The condition.
    pub(super) condition: Condition,
    /// Whether the closing event belongs to the batch it closes.
    pub(super) include_triggering: bool,
    /// Whether events come out as they arrive.
    pub(super) stream_current: bool,
    /// The gathered batch.
    pub(super) current: Vec<StreamEvent>,
    /// The released batch, to expire next.
    pub(super) expired: Vec<StreamEvent>,
    /// With `stream.current.event`, what taking events in again released, to
    /// come out first with the next arrival's output.
    pub(super) pending: Vec<Emitted>,
}

impl ExpressionBatch {
    fn gathered(&mut self, ev: StreamEvent, now: i64, out: &mut Vec<Emitted>) {
        let first = self.current.first().cloned().unwrap_or_else(|| ev.clone());
        if self.condition.eval(Pass::Current, &ev, &first, &ev) {
            self.current.push(ev);
            return;
        }
        self.condition.eval(Pass::Reset, &ev, &first, &ev);
        self.condition.eval(Pass::Current, &ev, &first, &ev);
        out.extend(self.expired.drain(..).map(|mut e| {
            e.ts = now;
            Emitted::Expired(e)
        }));
        if self.current.is_empty() {
            alone(ev, now, out);
            return;
        }
        for mut e in self.current.drain(..) {
            e.ts = now;
            self.expired.push(e.clone());
            out.push(Emitted::Current(e));
        }
        if self.include_triggering {
            let mut gone = ev.clone();
            gone.ts = now;
            self.expired.push(gone);
            out.push(Emitted::Current(ev));
        } else {
            self.current.push(ev);
        }
    }

    fn streamed(&mut self, ev: StreamEvent, out: &mut Vec<Emitted>) {
        let now = ev.ts;
        out.append(&mut self.pending);
        let first = self.expired.first().cloned().unwrap_or_else(|| ev.clone());
        if self.condition.eval(Pass::Current, &ev, &first, &ev) {
            self.expired.push(ev.clone());
            out.push(Emitted::Current(ev));
            return;
        }
        self.condition.eval(Pass::Reset, &ev, &first, &ev);
        self.condition.eval(Pass::Current, &ev, &first, &ev);
        if self.expired.is_empty() {
            alone(ev, now, out);
            return;
        }
        let previous: Vec<Emitted> = self
            .expired
            .drain(..)
            .map(|mut e| {
                e.ts = now;
                Emitted::Expired(e)
            })
            .collect();
        if self.include_triggering {
            let mut gone = ev.clone();
            gone.ts = now;
            out.push(Emitted::Current(ev));
            out.extend(previous);
            out.push(Emitted::Expired(gone));
        } else {
            out.extend(previous);
            // The closing event starts the next batch (its expiry keeps its time).
            self.expired.push(ev.clone());
            out.push(Emitted::Current(ev));
        }
    }

    /// Takes a streamed batch's event in again under a new condition (the
    /// reference's `processStreamEventAsStream` without output): nothing comes
    /// out now; what it releases waits in `pending`.
    fn restreamed(&mut self, ev: StreamEvent, now: i64) {
        let first = self.expired.first().cloned().unwrap_or_else(|| ev.clone());
        if self.condition.eval(Pass::Current, &ev, &first, &ev) {
            self.expired.push(ev);
            return;
        }
        self.condition.eval(Pass::Reset, &ev, &first, &ev);
        self.condition.eval(Pass::Current, &ev, &first, &ev);
        if self.expired.is_empty() {
            self.pending.push(Emitted::Expired(ev));
            return;
        }
        self.pending.extend(self.expired.drain(..).map(|mut e| {
            e.ts = now;
            Emitted::Expired(e)
        }));
        if self.include_triggering {
            self.pending.push(Emitted::Expired(ev));
        } else {
            self.expired.push(ev);
        }
    }

    /// The condition changed at an arrival at `now`: the batch so far is taken in
    /// again under it.
    fn retake(&mut self, now: i64, out: &mut Vec<Emitted>) {
        if self.stream_current {
            for e in std::mem::take(&mut self.expired) {
                self.restreamed(e, now);
            }
        } else {
            for e in std::mem::take(&mut self.current) {
                self.gathered(e, now, out);
            }
        }
    }
}

impl Window for ExpressionBatch {
    fn on_event(&mut self, ev: StreamEvent, out: &mut Vec<Emitted>) {
        match self.condition.follow(&ev) {
            Err(e) => {
                eprintln!("error: window expressionBatch: {e}; the event is dropped");
                return;
            }
            Ok(true) => self.retake(ev.ts, out),
            Ok(false) => {}
        }
        if self.stream_current {
            self.streamed(ev, out);
        } else {
            let now = ev.ts;
            self.gathered(ev, now, out);
        }
    }
    fn on_time(&mut self, _now: i64, _out: &mut Vec<Emitted>) {}
    fn is_batch(&self) -> bool {
        true
    }
    fn contents(&self) -> Vec<Row> {
        if self.stream_current {
            super::rows(&self.expired)
        } else {
            super::rows(&self.current)
        }
    }
}

/// An event that fails the condition with nothing gathered before it leaves as a
/// batch of its own: expired, then current, both stamped `now`.
fn alone(mut ev: StreamEvent, now: i64, out: &mut Vec<Emitted>) {
    ev.ts = now;
    out.push(Emitted::Expired(ev.clone()));
    out.push(Emitted::Current(ev));
}
