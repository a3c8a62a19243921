//! `externalTimeBatch(ts, t[, start[, timeout[, replace]]])`: tumbling batches by a
//! timestamp attribute. An event at or past the batch end flushes the batch; with
//! a timeout, the clock flushes a batch no later event has closed, and events that
//! arrive for it afterwards are appended to the released batch.

use super::{Emitted, Extractor, StreamEvent, Window};
use crate::value::{Row, Value};
use std::sync::Arc;

/// Where an `externalTimeBatch` window's periods start.
pub(super) enum StartTime {
    /// At the first event's timestamp.
    None,
    /// At a fixed time (periods are aligned to it).
    Const(i64),
    /// At the value of an attribute of the first event.
    Attr(Extractor),
}

/// `externalTimeBatch(ts, t[, start[, timeout]])`: batches by an attribute's time;
/// an event at or past the batch end flushes the batch; with a timeout, the clock
/// flushes a batch whose end no event has crossed.
pub(super) struct ExternalTimeBatch {
    pub(super) ts: Extractor,
    pub(super) keep: i64,
    pub(super) start: StartTime,
    pub(super) timeout: i64,
    pub(super) expects_expired: bool,
    pub(super) current: Vec<StreamEvent>,
    pub(super) expired: Option<Vec<StreamEvent>>,
    pub(super) end_time: Option<i64>,
    pub(super) start_time: i64,
    pub(super) last_scheduled: i64,
    pub(super) last_event_time: i64,
    pub(super) flushed: bool,
    /// The timestamp attribute's position in the row, when it is a plain attribute.
    pub(super) ts_position: Option<usize>,
    /// The fifth parameter: each event's timestamp attribute is replaced by the end
    /// of the batch it joins (the reference's `replaceTimestampWithBatchEndTime`).
    pub(super) replace_ts: bool,
}

impl ExternalTimeBatch {
    fn find_end(&self, now: i64) -> i64 {
        // Java's `%` (truncated, negative before the start), as the reference's findEndTime.
        let elapsed = (now - self.start_time) % self.keep;
        now + (self.keep - elapsed)
    }

    /// Releases the batch: previous batch expired, reset, the batch as current.
    fn flush(&mut self, at: i64, preserve: bool, out: &mut Vec<Emitted>) {
        if self.expects_expired {
            if let Some(exp) = &mut self.expired {
                out.extend(exp.drain(..).map(|mut e| {
                    e.ts = at;
                    Emitted::Expired(e)
                }));
            }
        }
        if let Some(exp) = &mut self.expired {
            exp.clear();
        }
        if !self.current.is_empty() {
            out.push(Emitted::Reset);
            if preserve || self.expired.is_some() {
                self.expired.get_or_insert_with(Vec::new).extend(self.current.iter().cloned());
            }
            out.extend(self.current.drain(..).map(Emitted::Current));
        }
    }

    /// Takes an event into the batch being filled (`cloneAppend`).
    fn hold(&mut self, ev: StreamEvent) {
        let mut ev = ev;
        if let (true, Some(p), Some(end)) = (self.replace_ts, self.ts_position, self.end_time) {
            let mut values = ev.row.to_vec();
            if p < values.len() {
                values[p] = Value::Long(end);
                ev.row = Arc::from(values);
            }
        }
        self.current.push(ev);
    }

    /// After a timeout flush: the late events join the already released batch.
    fn append(&mut self, at: i64, preserve: bool, out: &mut Vec<Emitted>) {
        if self.current.is_empty() {
            return;
        }
        let mut resend = Vec::new();
        if let Some(exp) = &self.expired {
            for e in exp {
                if self.expects_expired {
                    let mut x = e.clone();
                    x.ts = at;
                    out.push(Emitted::Expired(x));
                }
                resend.push(Emitted::Current(e.clone()));
            }
        }
        out.push(Emitted::Reset);
        out.extend(resend);
        if preserve || self.expired.is_some() {
            self.expired.get_or_insert_with(Vec::new).extend(self.current.iter().cloned());
        }
        out.extend(self.current.drain(..).map(Emitted::Current));
    }
}

impl Window for ExternalTimeBatch {
    fn contents(&self) -> Vec<Row> {
        self.expired.as_ref().map_or_else(Vec::new, super::rows)
    }
    fn next_deadline(&self) -> Option<i64> {
        (self.timeout > 0 && self.end_time.is_some()).then_some(self.last_scheduled)
    }
    fn on_event(&mut self, ev: StreamEvent, out: &mut Vec<Emitted>) {
        let Some(t) = (self.ts)(&ev.row).as_i64() else {
            return super::null_timestamp("externalTimeBatch");
        };
        if self.end_time.is_none() {
            let end = match &self.start {
                StartTime::None => {
                    self.start_time = t;
                    t + self.keep
                }
                StartTime::Const(s) => {
                    self.start_time = *s;
                    self.find_end(t)
                }
                StartTime::Attr(f) => {
                    self.start_time = f(&ev.row).as_i64().unwrap_or(t);
                    self.start_time + self.keep
                }
            };
            self.end_time = Some(end);
            if self.timeout > 0 {
                self.last_scheduled = ev.ts + self.timeout;
            }
        }
        self.last_event_time = self.last_event_time.max(t);
        if t < self.end_time.unwrap_or(i64::MAX) {
            self.hold(ev);
            return;
        }
        let at = self.last_event_time;
        if self.flushed {
            self.append(at, false, out);
            self.flushed = false;
        } else {
            self.flush(at, false, out);
        }
        self.end_time = Some(self.find_end(self.last_event_time));
        let ts = ev.ts;
        self.hold(ev);
        if self.timeout > 0 {
            self.last_scheduled = ts + self.timeout;
        }
    }
    fn on_time(&mut self, now: i64, out: &mut Vec<Emitted>) {
        if self.timeout <= 0 || self.end_time.is_none() || self.last_scheduled > now {
            return;
        }
        let at = self.last_event_time;
        if !self.flushed {
            self.flush(at, true, out);
            self.flushed = true;
        } else {
            self.append(at, true, out);
        }
        self.last_scheduled = now + self.timeout;
    }
    fn is_batch(&self) -> bool {
        true
    }
}
