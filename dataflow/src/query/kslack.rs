//! `#reorder:kslack(timestamp[, timeout][, max.k][, discard.late.arrival])`
//! (siddhi-execution-reorder's `KSlackExtension`): events are released in the
//! order of their `timestamp` attribute, held back by K, the largest lateness
//! seen so far (at most `max.k`).
//!
//! As the reference: an event whose timestamp is not greater than the greatest
//! seen waits; one that is greater moves every waiting event to the buffer, grows
//! K to the difference between it and the least waiting timestamp (up to
//! `max.k`) and releases, in timestamp order (ties in arrival order), the
//! buffered events whose timestamp + K is at most the greatest. With
//! `discard.late.arrival`, an event older than the last released timestamp is
//! dropped. The greatest timestamp starts at 0, so events stamped 0 or less
//! only wait.
//!
//! With a `timeout`, a timer flushes every buffered event whose timestamp is less
//! than the timer's time + `timeout`, and fires again a second later while the
//! buffer holds events; when it finds the buffer empty it stops, and the next
//! event starts it again on the next whole second of its schedule. The reference
//! starts the timer at the app's start + `timeout`; Sluice starts it at the
//! first event's time + `timeout` (an app's clock starts with its first event).
//! Released events keep the logical time they arrived at. What one event frees
//! is one batch chunk (an aggregating selector emits its last event, per
//! group), what the timer flushes a plain one, as in the reference.

use super::expr::{raise, CExpr, Env};
use super::stream_processor::StreamProcessor;
use crate::value::{Row, Value};
use std::collections::BTreeMap;

/// Events by timestamp, each list in arrival order.
pub(super) type Buffer = BTreeMap<i64, Vec<(i64, Row)>>;

/// The K-slack step both reordering processors share once K is set: moves the
/// events `waiting` into `buffer`, then releases from it, oldest first, those at
/// least `k` older than `greatest`, recording the last released timestamp in
/// `last_sent`.
pub(super) fn release_settled(
    waiting: &mut Buffer,
    buffer: &mut Buffer,
    (k, greatest): (i64, i64),
    last_sent: &mut i64,
    out: &mut Vec<(i64, Row)>,
) {
    for (t, events) in std::mem::take(waiting) {
        buffer.entry(t).or_default().extend(events);
    }
    while let Some(entry) = buffer.first_entry() {
        if entry.key().saturating_add(k) > greatest {
            break;
        }
        *last_sent = *entry.key();
        out.extend(entry.remove());
    }
}

/// The K-slack state.
pub struct KSlack {
    timestamp: CExpr,
    max_k: i64,
    discard: bool,
    /// Events that came since the greatest timestamp last grew.
    waiting: Buffer,
    /// Events moved on when it grew, released once older than greatest - K.
    buffer: Buffer,
    greatest: i64,
    k: i64,
    last_sent: i64,
    timer: Timer,
}

/// The flush timer of the reordering processors: started at the first event's
/// time + `timeout`, fired every second while events wait, stopped when none
/// does and started again by the next event on the next whole second of its
/// schedule (`timeout` -1: no timer).
#[derive(Debug)]
pub(super) struct Timer {
    timeout: i64,
    /// The next firing, once started.
    scheduled: Option<i64>,
    /// Whether it is stopped until the next event.
    stopped: bool,
}

impl Timer {
    /// A timer for `timeout` (-1: none).
    pub(super) fn new(timeout: i64) -> Timer {
        Timer { timeout, scheduled: None, stopped: false }
    }
    /// Whether there is a timeout.
    pub(super) fn on(&self) -> bool {
        self.timeout != -1
    }
    /// An event came at logical time `ts`.
    pub(super) fn on_event(&mut self, ts: i64) {
        if !self.on() {
            return;
        }
        match self.scheduled {
            None => self.scheduled = Some(ts.saturating_add(self.timeout)),
            Some(last) if self.stopped => {
                let seconds = (ts.saturating_sub(last) as f64 / 1000.0).ceil() as i64;
                self.scheduled = Some(last.saturating_add(seconds.saturating_mul(1000)));
                self.stopped = false;
            }
            Some(_) => {}
        }
    }
    /// The limit below which a firing at `at` flushes, if `at` is a firing.
    pub(super) fn limit(&self, at: i64) -> Option<i64> {
        (self.on() && self.scheduled == Some(at) && !self.stopped).then(|| at.saturating_add(self.timeout))
    }
    /// After the firing at `at`: again a second later while events wait.
    pub(super) fn fired(&mut self, at: i64, waiting: bool) {
        if waiting {
            self.scheduled = Some(at.saturating_add(1000));
        } else {
            self.stopped = true;
        }
    }
    /// The next firing.
    pub(super) fn next_deadline(&self) -> Option<i64> {
        self.scheduled.filter(|_| self.on() && !self.stopped)
    }
}

impl KSlack {
    /// Orders by `timestamp`; `timeout` -1 is none.
    pub fn new(timestamp: CExpr, timeout: i64, max_k: i64, discard: bool) -> KSlack {
        KSlack {
            timestamp,
            max_k,
            discard,
            waiting: Buffer::new(),
            buffer: Buffer::new(),
            greatest: 0,
            k: 0,
            last_sent: -1,
            timer: Timer::new(timeout),
        }
    }
}

impl StreamProcessor for KSlack {
    fn on_event(&mut self, ts: i64, row: Row, env: &Env, out: &mut Vec<(i64, Row)>) {
        let timestamp = match self.timestamp.eval(&row, env) {
            Value::Long(t) => t,
            Value::Int(t) => i64::from(t),
            _ => {
                raise(|| "#reorder:kslack: the timestamp is null".to_string());
                return;
            }
        };
        if self.discard && timestamp < self.last_sent {
            return;
        }
        self.timer.on_event(ts);
        self.waiting.entry(timestamp).or_default().push((ts, row));
        if timestamp <= self.greatest {
            return;
        }
        self.greatest = timestamp;
        let least = self.waiting.keys().next().copied().unwrap_or(timestamp);
        let difference = self.greatest.saturating_sub(least);
        if difference > self.k {
            self.k = difference.min(self.max_k);
        }
        release_settled(&mut self.waiting, &mut self.buffer, (self.k, self.greatest), &mut self.last_sent, out);
    }

    fn on_time(&mut self, at: i64, out: &mut Vec<(i64, Row)>) {
        let Some(limit) = self.timer.limit(at) else { return };
        while let Some(entry) = self.buffer.first_entry() {
            if *entry.key() >= limit {
                break;
            }
            out.extend(entry.remove());
        }
        self.timer.fired(at, !self.buffer.is_empty());
    }

    fn next_deadline(&self) -> Option<i64> {
        self.timer.next_deadline()
    }

    fn batch(&self, timer: bool) -> bool {
        // The reference releases what an event frees as a batch, what its timer
        // flushes as a plain chunk.
        !timer
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    fn feed(k: &mut KSlack, stamps: &[i64]) -> Vec<i64> {
        let env = Env::new(0, 0, &None);
        let mut out = Vec::new();
        for (i, t) in stamps.iter().enumerate() {
            k.on_event(i as i64, Arc::from(vec![Value::Long(*t)]), &env, &mut out);
        }
        out.iter().map(|(_, r)| r[0].as_i64().unwrap_or(0)).collect()
    }

    #[test]
    fn reorders_within_k() {
        let mut k = KSlack::new(CExpr::Col(0), -1, i64::MAX, false);
        // K is 0 until 3 and 2 come late: 4 went at once; at 5, K grows to 3.
        assert_eq!(feed(&mut k, &[1, 4, 3, 2, 5, 9]), vec![1, 4, 2, 3, 5]);
    }

    #[test]
    fn discards_late_arrivals() {
        let mut k = KSlack::new(CExpr::Col(0), -1, i64::MAX, true);
        assert_eq!(feed(&mut k, &[5, 7, 2, 9]), vec![5, 7, 9]);
    }
}
