//! `unique:firstTimeBatch(key, t[, start])` (siddhi-execution-unique): tumbling
//! batches of t ms by the clock, keeping the *first* event of each key (keys
//! compare as their text); a later event whose key is already in the batch is
//! not taken into the window at all.
//!
//! The reference's `UniqueFirstTimeBatchWindowProcessor` extends
//! `UniqueTimeBatchWindowProcessor` and overrides only `addUniqueEvent` (put the
//! event under `key.toString()` unless that key is present), so this window is
//! the [`UniqueTimeBatch`] state with a batch that keeps the first event: the
//! first event (or clock tick) sets the first release time (`now + t`, or aligned
//! to `start`); at each release the previous batch expires, a reset follows (not
//! before the first batch), then the gathered events come out in the iteration
//! order of the reference's `HashMap` (keyed by the key's text), stamped with the
//! release time.

use super::unique_length_batch::UniqueBatch;
use super::unique_time_batch::{Periods, UniqueTimeBatch};
use super::WindowArg;

/// The `unique:firstTimeBatch` window over `key` with period `t` (ms), aligned to
/// `start` when given.
pub(super) fn unique_first_time_batch(key: WindowArg, t: i64, start: Option<i64>) -> UniqueTimeBatch {
    UniqueTimeBatch { periods: Periods::new(t, start), batch: UniqueBatch::new(key, true) }
}

#[cfg(test)]
mod tests {
    use super::super::tests_support::{ev2, key0, kinds};
    use super::super::{window, WindowArg};
    use crate::value::Value;

    #[test]
    fn keeps_the_first_event_of_each_key_per_period() {
        let mut w = window("unique:firstTimeBatch", &[key0(), WindowArg::Const(Value::Long(100))], true).unwrap();
        let mut out = Vec::new();
        w.on_event(ev2(0, "b", 0), &mut out);
        w.on_event(ev2(10, "b", 1), &mut out);
        w.on_event(ev2(20, "a", 2), &mut out);
        assert_eq!(w.next_deadline(), Some(100));
        w.on_time(100, &mut out);
        w.on_event(ev2(150, "a", 3), &mut out);
        w.on_event(ev2(160, "a", 4), &mut out);
        w.on_time(200, &mut out);
        // "a" hashes before "b"; b1, a4 never enter the window; no reset before
        // the first batch.
        assert_eq!(kinds(&out), ["+a2", "+b0", "-a2", "-b0", "reset", "+a3"]);
        assert_eq!(w.contents().len(), 1);
    }

    #[test]
    fn a_start_time_aligns_the_periods() {
        let args = [key0(), WindowArg::Const(Value::Long(100)), WindowArg::Const(Value::Int(30))];
        let mut w = window("unique:firstTimeBatch", &args, true).unwrap();
        let mut out = Vec::new();
        w.on_event(ev2(50, "a", 0), &mut out);
        w.on_event(ev2(60, "a", 1), &mut out);
        assert_eq!(w.next_deadline(), Some(130));
        w.on_time(130, &mut out);
        assert_eq!(kinds(&out), ["+a0"]);
        assert_eq!(w.next_deadline(), Some(230));
    }

    #[test]
    fn keys_compare_as_text() {
        // The reference keys the map by `toString()`: 1 (int) and "1" are one key.
        let mut w = window("unique:firstTimeBatch", &[key0(), WindowArg::Const(Value::Long(100))], true).unwrap();
        let mut out = Vec::new();
        let ev = |ts: i64, k: Value, v: i64| super::super::StreamEvent {
            ts,
            row: std::sync::Arc::from(vec![k, Value::Long(v)]),
        };
        w.on_event(ev(0, Value::Int(1), 0), &mut out);
        w.on_event(ev(10, Value::string("1"), 1), &mut out);
        w.on_time(100, &mut out);
        assert_eq!(kinds(&out), ["+10"]);
    }
}
