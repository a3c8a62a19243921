//! `unique:timeLengthBatch(key, t[, start], n)` (siddhi-execution-unique):
//! tumbling batches that close when t ms have passed on the clock or when n
//! distinct keys are gathered, whichever comes first, keeping the latest event of
//! each key. Follows `UniqueTimeLengthBatchWindowProcessor` line by line:
//!
//! * The first event (or clock tick) sets the first period end (`now + t`, or
//!   aligned to `start`); every period end moves it on by t.
//! * At a period end the gathered events are released; when the n-th distinct key
//!   arrives they are released at once. A release expires the previous batch
//!   (stamped with the release time), then a reset (not before the first batch),
//!   then the batch in the iteration order of the reference's `HashMap`, stamped
//!   with the release time.
//! * After a release by length, the window takes no event until the next period
//!   end, and that period end releases nothing (it only re-opens the window): the
//!   batch released by length expires at the release after that.

use super::unique_length_batch::UniqueBatch;
use super::unique_time_batch::{ClockedBatch, Periods};
use super::{Emitted, StreamEvent, WindowArg};

/// The `unique:timeLengthBatch` window state.
pub(super) struct UniqueTimeLengthBatch {
    /// The period ends.
    pub(super) periods: Periods,
    /// The number of distinct keys that closes a batch (below 1: never).
    pub(super) length: i64,
    /// Whether a batch was released by length in this period (the reference's
    /// `eventSent`): events are skipped until the period ends.
    pub(super) event_sent: bool,
    /// The gathered events and the released batch.
    pub(super) batch: UniqueBatch,
}

impl UniqueTimeLengthBatch {
    /// An empty window over `key`.
    pub(super) fn new(key: WindowArg, t: i64, start: Option<i64>, length: i64) -> UniqueTimeLengthBatch {
        UniqueTimeLengthBatch {
            periods: Periods::new(t, start),
            length,
            event_sent: false,
            batch: UniqueBatch::new(key, false),
        }
    }
}

impl ClockedBatch for UniqueTimeLengthBatch {
    fn periods(&self) -> &Periods {
        &self.periods
    }
    fn periods_mut(&mut self) -> &mut Periods {
        &mut self.periods
    }
    fn batch(&self) -> &UniqueBatch {
        &self.batch
    }
    fn idle(&self) -> bool {
        !self.event_sent && self.batch.map.len() == 0 && self.batch.expired.is_empty()
    }
    fn step(&mut self, now: i64, ev: Option<StreamEvent>, out: &mut Vec<Emitted>) {
        let by_time = self.periods.due(now);
        if self.event_sent {
            // Skipped until the period ends; the period after a release by length
            // releases nothing.
            if by_time {
                self.event_sent = false;
            }
            return;
        }
        let mut by_length = false;
        if let Some(ev) = ev {
            self.batch.gather(ev);
            by_length = self.batch.map.len() as i64 == self.length;
        }
        if by_time || by_length {
            self.batch.release(now, out);
        }
        if by_length {
            self.event_sent = true;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests_support::{ev2, key0, kinds};
    use super::super::{window, WindowArg};
    use crate::value::Value;

    fn args(t: i64, start: Option<i64>, n: i32) -> Vec<WindowArg> {
        let mut a = vec![key0(), WindowArg::Const(Value::Long(t))];
        a.extend(start.map(|s| WindowArg::Const(Value::Long(s))));
        a.push(WindowArg::Const(Value::Int(n)));
        a
    }

    #[test]
    fn releases_by_time_when_the_length_is_not_reached() {
        let mut w = window("unique:timeLengthBatch", &args(100, None, 5), true).unwrap();
        let mut out = Vec::new();
        w.on_event(ev2(0, "b", 0), &mut out);
        w.on_event(ev2(10, "a", 1), &mut out);
        w.on_event(ev2(20, "b", 2), &mut out);
        assert_eq!(w.next_deadline(), Some(100));
        w.on_time(100, &mut out);
        w.on_time(250, &mut out);
        assert_eq!(kinds(&out), ["+a1", "+b2", "-a1", "-b2"]);
        assert_eq!(w.next_deadline(), Some(300));
    }

    #[test]
    fn a_release_by_length_closes_the_window_until_the_period_ends() {
        let mut w = window("unique:timeLengthBatch", &args(100, None, 2), true).unwrap();
        let mut out = Vec::new();
        w.on_event(ev2(0, "b", 0), &mut out);
        w.on_event(ev2(10, "b", 1), &mut out);
        w.on_event(ev2(20, "a", 2), &mut out);
        // Skipped: a batch went out by length in this period.
        w.on_event(ev2(30, "c", 3), &mut out);
        assert_eq!(kinds(&out), ["+a2", "+b1"]);
        // The period end only re-opens the window: the batch stays.
        w.on_time(100, &mut out);
        assert_eq!(out.len(), 2);
        assert_eq!(w.contents().len(), 2);
        w.on_event(ev2(150, "d", 4), &mut out);
        w.on_time(200, &mut out);
        assert_eq!(kinds(&out), ["+a2", "+b1", "-a2", "-b1", "reset", "+d4"]);
    }

    #[test]
    fn a_batch_released_by_length_expires_at_the_second_period_end() {
        // The timer at 100 only re-opens; the one at 200 releases by time.
        let mut w = window("unique:timeLengthBatch", &args(100, None, 1), true).unwrap();
        let mut out = Vec::new();
        w.on_event(ev2(0, "a", 0), &mut out);
        w.on_time(250, &mut out);
        assert_eq!(kinds(&out), ["+a0", "-a0"]);
        assert_eq!(w.next_deadline(), Some(300));
    }

    #[test]
    fn a_start_time_aligns_the_periods() {
        let mut w = window("unique:timeLengthBatch", &args(100, Some(30), 3), true).unwrap();
        let mut out = Vec::new();
        w.on_event(ev2(50, "a", 0), &mut out);
        assert_eq!(w.next_deadline(), Some(130));
        w.on_time(130, &mut out);
        assert_eq!(kinds(&out), ["+a0"]);
        assert_eq!(w.next_deadline(), Some(230));
    }
}
