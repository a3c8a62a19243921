//! `unique:externalTimeBatch(key, ts, t[, start[, timeout[, replace]]])`
//! (siddhi-execution-unique): tumbling batches by a timestamp attribute, keeping
//! the latest event of each key (in first-arrival order of the keys). An event at
//! or past the batch end releases the batch: the previous batch expires (when the
//! query outputs expired events), a reset, then the batch. With a timeout the
//! clock releases a batch no later event has closed, and events that then arrive
//! for it are released again together with it. With `replace = true` each event's
//! timestamp attribute is set to its batch's end time.

use super::java::{JavaKey, LinkedMap};
use super::{Emitted, Extractor, StreamEvent, Window, WindowArg};
use crate::value::{Row, Value};
use std::sync::Arc;

/// The `unique:externalTimeBatch` window state.
pub(super) struct UniqueExternalTimeBatch {
    /// The unique key.
    pub(super) key: WindowArg,
    /// The timestamp attribute.
    pub(super) ts: Extractor,
    /// The timestamp attribute's position in the row (for `replace`).
    pub(super) ts_position: Option<usize>,
    /// The batch length (ms).
    pub(super) keep: i64,
    /// The start time given as the fourth parameter.
    pub(super) start: Option<i64>,
    /// The timeout (ms; 0: none).
    pub(super) timeout: i64,
    /// Whether the batch's end time replaces the timestamp attribute.
    pub(super) replace_ts: bool,
    /// Whether the query outputs expired events.
    pub(super) expects_expired: bool,
    /// The events of the open batch by key.
    pub(super) current: LinkedMap<StreamEvent>,
    /// The released batch (kept when expired events are output or with a timeout).
    pub(super) expired: Option<LinkedMap<StreamEvent>>,
    /// The open batch's end time, once the first event came.
    pub(super) end_time: Option<i64>,
    /// The time batches are aligned to.
    pub(super) start_time: i64,
    /// When the timeout fires next.
    pub(super) last_scheduled: i64,
    /// The greatest timestamp seen.
    pub(super) last_event_time: i64,
    /// Whether the timeout released the open batch.
    pub(super) flushed: bool,
}

impl UniqueExternalTimeBatch {
    fn find_end(&self, now: i64) -> i64 {
        now + (self.keep - (now - self.start_time) % self.keep)
    }

    fn append_event(&mut self, ev: StreamEvent) {
        let mut ev = ev;
        if self.replace_ts {
            if let (Some(p), Some(end)) = (self.ts_position, self.end_time) {
                let mut values = ev.row.to_vec();
                if p < values.len() {
                    values[p] = Value::Long(end);
                    ev.row = Arc::from(values);
                }
            }
        }
        let k = self.key.value(&ev.row);
        self.current.put(JavaKey::object(&k), ev);
    }

    fn keeps_expired(&self, preserve: bool) -> bool {
        preserve || self.expects_expired
    }

    /// The reference's `flushToOutputChunk`.
    fn flush(&mut self, preserve: bool, out: &mut Vec<Emitted>) {
        let at = self.last_event_time;
        if let Some(exp) = &mut self.expired {
            if self.expects_expired {
                for e in exp.values_mut() {
                    e.ts = at;
                    out.push(Emitted::Expired(e.clone()));
                }
            }
            exp.clear();
        }
        if self.current.len() > 0 {
            out.push(Emitted::Reset);
            self.keep_current(preserve);
            out.extend(self.current.iter().map(|(_, e)| Emitted::Current(e.clone())));
        }
        self.current.clear();
    }

    /// The batch being released stays as the next batch's expired events, when
    /// anyone needs them.
    fn keep_current(&mut self, preserve: bool) {
        if !self.keeps_expired(preserve) {
            return;
        }
        if let Some(exp) = &mut self.expired {
            for (k, e) in self.current.iter() {
                exp.put(k.clone(), e.clone());
            }
        }
    }

    /// The reference's `appendToOutputChunk`: late events join the released batch.
    fn append(&mut self, preserve: bool, out: &mut Vec<Emitted>) {
        let at = self.last_event_time;
        if self.current.len() > 0 {
            let mut sent: LinkedMap<StreamEvent> = LinkedMap::default();
            if let Some(exp) = &self.expired {
                for (k, e) in exp.iter() {
                    if self.expects_expired {
                        let mut x = e.clone();
                        x.ts = at;
                        out.push(Emitted::Expired(x));
                    }
                    sent.put(k.clone(), e.clone());
                }
            }
            out.push(Emitted::Reset);
            self.keep_current(preserve);
            for (k, e) in self.current.iter() {
                sent.put(k.clone(), e.clone());
            }
            out.extend(sent.iter().map(|(_, e)| Emitted::Current(e.clone())));
        }
        self.current.clear();
    }
}

impl Window for UniqueExternalTimeBatch {
    fn on_event(&mut self, ev: StreamEvent, out: &mut Vec<Emitted>) {
        let t = match (self.ts)(&ev.row).as_i64() {
            Some(t) => t,
            None => return,
        };
        if self.end_time.is_none() {
            self.end_time = Some(match self.start {
                Some(s) => {
                    self.start_time = s;
                    self.find_end(t)
                }
                None => {
                    self.start_time = t;
                    t + self.keep
                }
            });
            if self.timeout > 0 {
                self.last_scheduled = ev.ts + self.timeout;
            }
        }
        if self.last_event_time < t {
            self.last_event_time = t;
        }
        if t < self.end_time.unwrap_or(i64::MAX) {
            self.append_event(ev);
            return;
        }
        if self.flushed {
            self.append(false, out);
            self.flushed = false;
        } else {
            self.flush(false, out);
        }
        self.end_time = Some(self.find_end(self.last_event_time));
        self.append_event(ev.clone());
        if self.timeout > 0 {
            self.last_scheduled = ev.ts + self.timeout;
        }
    }
    fn on_time(&mut self, now: i64, out: &mut Vec<Emitted>) {
        if self.timeout <= 0 || self.end_time.is_none() || self.last_scheduled > now {
            return;
        }
        if !self.flushed {
            self.flush(true, out);
            self.flushed = true;
        } else if self.current.len() > 0 {
            self.append(true, out);
        }
        self.last_scheduled = now + self.timeout;
    }
    fn next_deadline(&self) -> Option<i64> {
        (self.timeout > 0 && self.end_time.is_some()).then_some(self.last_scheduled)
    }
    fn is_batch(&self) -> bool {
        true
    }
    fn contents(&self) -> Vec<Row> {
        self.expired.as_ref().map_or_else(Vec::new, |m| m.iter().map(|(_, e)| e.row.clone()).collect())
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests_support::kinds;
    use super::super::{window, Extractor, StreamEvent, WindowArg};
    use crate::value::Value;
    use std::sync::Arc;

    fn ev(ts: i64, key: &str) -> StreamEvent {
        StreamEvent { ts, row: Arc::from(vec![Value::string(key), Value::Long(ts)]) }
    }

    fn args(extra: &[Value]) -> Vec<WindowArg> {
        let key: Extractor = Arc::new(|r: &[Value]| r[0].clone());
        let ts: Extractor = Arc::new(|r: &[Value]| r[1].clone());
        let mut a =
            vec![WindowArg::Attr(key, Some(0)), WindowArg::Attr(ts, Some(1)), WindowArg::Const(Value::Long(100))];
        a.extend(extra.iter().cloned().map(WindowArg::Const));
        a
    }

    #[test]
    fn batches_by_attribute_time_keeping_the_latest_event_per_key() {
        let mut w = window("unique:externalTimeBatch", &args(&[]), true).unwrap();
        let mut out = Vec::new();
        for (t, k) in [(0, "a"), (10, "b"), (20, "a"), (100, "c"), (210, "d")] {
            w.on_event(ev(t, k), &mut out);
        }
        assert_eq!(kinds(&out), ["reset", "+a20", "+b10", "-a20", "-b10", "reset", "+c100"]);
    }

    #[test]
    fn replace_sets_the_timestamp_attribute_to_the_batch_end() {
        let a = args(&[Value::Long(0), Value::Long(0), Value::Bool(true)]);
        let mut w = window("unique:externalTimeBatch", &a, false).unwrap();
        let mut out = Vec::new();
        w.on_event(ev(5, "a"), &mut out);
        w.on_event(ev(150, "b"), &mut out);
        let Some(super::super::Emitted::Current(e)) = out.get(1) else { panic!("{out:?}") };
        assert_eq!(e.row[1], Value::Long(100));
    }
}
