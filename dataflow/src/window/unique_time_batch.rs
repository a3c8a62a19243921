//! `unique:timeBatch(key, t[, start])` (siddhi-execution-unique): tumbling
//! batches of t ms by the clock, keeping the latest event of each key. The first
//! event (or clock tick) sets the first release time (`now + t`, or aligned to
//! `start`); at each release the previous batch expires, a reset follows (not
//! before the first batch), then the gathered events come out in the iteration
//! order of the reference's `HashMap`, stamped with the release time.

use super::unique_length_batch::UniqueBatch;
use super::{Emitted, StreamEvent, Window};
use crate::value::Row;

/// The release times of a unique batch window by the clock: every `t` ms, the
/// first one set by the first event or tick (`now + t`, or aligned to `start` as
/// the extension computes it).
pub(super) struct Periods {
    /// The period (ms).
    t: i64,
    /// The start time the periods are aligned to, if given.
    start: Option<i64>,
    /// The next release time, once known (the reference's `nextEmitTime`).
    next: Option<i64>,
}

impl Periods {
    /// Periods of `t` ms, aligned to `start` when given; none set yet.
    pub(super) fn new(t: i64, start: Option<i64>) -> Periods {
        Periods { t, start, next: None }
    }

    /// Whether a release is due at `now` (the first call sets the first release
    /// time from `now`); when it is, the next one moves on by a period.
    pub(super) fn due(&mut self, now: i64) -> bool {
        let (t, start) = (self.t, self.start);
        let next = *self.next.get_or_insert_with(|| match start {
            Some(s) if t != 0 => now + (t - (now - s) % t),
            _ => now + t,
        });
        if now >= next {
            self.next = Some(next + t);
        }
        now >= next
    }

    /// The next release time, once known.
    pub(super) fn next(&self) -> Option<i64> {
        self.next
    }
}

/// A unique batch window released by the clock at its [`Periods`]: every such
/// window is a [`Window`] through its step.
pub(super) trait ClockedBatch: Send {
    /// Its release times.
    fn periods(&self) -> &Periods;
    /// Its release times, to move on.
    fn periods_mut(&mut self) -> &mut Periods;
    /// Its gathered events and released batch.
    fn batch(&self) -> &UniqueBatch;
    /// Whether nothing is gathered, held or pending: a timer would release nothing.
    fn idle(&self) -> bool;
    /// The reference's `processEventChunk` for a chunk of at most one event at
    /// `now` (`None`: a timer).
    fn step(&mut self, now: i64, ev: Option<StreamEvent>, out: &mut Vec<Emitted>);

    /// Fires the timers due by `now`, one per period passed, as the reference's
    /// scheduler fires them; once the window is idle, the periods left only move
    /// the release time.
    fn fire_due(&mut self, now: i64, out: &mut Vec<Emitted>) {
        let Some(mut next) = self.periods().next else { return };
        while next <= now {
            let t = self.periods().t;
            if self.idle() && t > 0 {
                let skipped = (now - next) / t + 1;
                self.periods_mut().next = Some(next + skipped * t);
                return;
            }
            self.step(now, None, out);
            match self.periods().next {
                Some(n) if n > next => next = n,
                _ => return,
            }
        }
    }
}

/// The `unique:timeBatch` window state.
pub(super) struct UniqueTimeBatch {
    /// The release times.
    pub(super) periods: Periods,
    /// The gathered events.
    pub(super) batch: UniqueBatch,
}

impl ClockedBatch for UniqueTimeBatch {
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
        self.batch.map.len() == 0 && self.batch.expired.is_empty()
    }
    /// Sets the first release time, then releases if due.
    fn step(&mut self, now: i64, ev: Option<StreamEvent>, out: &mut Vec<Emitted>) {
        let send = self.periods.due(now);
        if let Some(ev) = ev {
            self.batch.gather(ev);
        }
        if send {
            self.batch.release(now, out);
        }
    }
}

impl<W: ClockedBatch> Window for W {
    fn on_event(&mut self, ev: StreamEvent, out: &mut Vec<Emitted>) {
        self.step(ev.ts, Some(ev), out);
    }
    fn on_time(&mut self, now: i64, out: &mut Vec<Emitted>) {
        self.fire_due(now, out);
    }
    fn next_deadline(&self) -> Option<i64> {
        self.periods().next()
    }
    fn is_batch(&self) -> bool {
        true
    }
    fn contents(&self) -> Vec<Row> {
        super::rows(&self.batch().expired)
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests_support::{ev2, key0, kinds};
    use super::super::{window, WindowArg};
    use crate::value::Value;

    #[test]
    fn releases_the_latest_event_of_each_key_per_period() {
        let mut w = window("unique:timeBatch", &[key0(), WindowArg::Const(Value::Long(100))], true).unwrap();
        let mut out = Vec::new();
        w.on_event(ev2(0, "a", 0), &mut out);
        w.on_event(ev2(10, "a", 1), &mut out);
        assert_eq!(w.next_deadline(), Some(100));
        w.on_time(100, &mut out);
        w.on_time(250, &mut out);
        assert_eq!(kinds(&out), ["+a1", "-a1"]);
        assert_eq!(w.next_deadline(), Some(300));
    }

    #[test]
    fn a_start_time_aligns_the_periods() {
        let args = [key0(), WindowArg::Const(Value::Long(100)), WindowArg::Const(Value::Long(30))];
        let mut w = window("unique:timeBatch", &args, true).unwrap();
        let mut out = Vec::new();
        w.on_event(ev2(50, "a", 0), &mut out);
        assert_eq!(w.next_deadline(), Some(130));
    }
}
