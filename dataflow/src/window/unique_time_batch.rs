//! `unique:timeBatch(key, t[, start])` (siddhi-execution-unique): tumbling
//! batches of t ms by the clock, keeping the latest event of each key. The first
//! event (or clock tick) sets the first release time (`now + t`, or aligned to
//! `start`); at each release the previous batch expires, a reset follows (not
//! before the first batch), then the gathered events come out in the iteration
//! order of the reference's `HashMap`, stamped with the release time.

use super::unique_length_batch::UniqueBatch;
use super::{Emitted, StreamEvent, Window};
use crate::value::Row;

/// The `unique:timeBatch` window state.
pub(super) struct UniqueTimeBatch {
    /// The period (ms).
    pub(super) t: i64,
    /// The start time the periods are aligned to, if given.
    pub(super) start: Option<i64>,
    /// The next release time, once known.
    pub(super) next_emit: Option<i64>,
    /// The gathered events.
    pub(super) batch: UniqueBatch,
}

impl UniqueTimeBatch {
    /// The reference's step: sets the first release time, then releases if due.
    fn step(&mut self, now: i64, ev: Option<StreamEvent>, out: &mut Vec<Emitted>) {
        let next = *self.next_emit.get_or_insert_with(|| match self.start {
            Some(s) if self.t != 0 => now + (self.t - (now - s) % self.t),
            _ => now + self.t,
        });
        let send = now >= next;
        if send {
            self.next_emit = Some(next + self.t);
        }
        if let Some(ev) = ev {
            self.batch.gather(ev);
        }
        if send {
            self.batch.release(now, out);
        }
    }
}

impl Window for UniqueTimeBatch {
    fn on_event(&mut self, ev: StreamEvent, out: &mut Vec<Emitted>) {
        self.step(ev.ts, Some(ev), out);
    }
    fn on_time(&mut self, now: i64, out: &mut Vec<Emitted>) {
        let Some(mut next) = self.next_emit else { return };
        // One timer per period passed, as the reference's scheduler fires them;
        // once nothing is held, the periods left only move the release time.
        while next <= now {
            if self.batch.map.len() == 0 && self.batch.expired.is_empty() && self.t > 0 {
                let skipped = (now - next) / self.t + 1;
                self.next_emit = Some(next + skipped * self.t);
                return;
            }
            self.step(now, None, out);
            match self.next_emit {
                Some(n) if n > next => next = n,
                _ => return,
            }
        }
    }
    fn next_deadline(&self) -> Option<i64> {
        self.next_emit
    }
    fn is_batch(&self) -> bool {
        true
    }
    fn contents(&self) -> Vec<Row> {
        super::rows(&self.batch.expired)
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
