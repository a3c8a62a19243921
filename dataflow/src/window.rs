//! Windows: state machines that take arriving events (and the clock) and release
//! current, expired and reset events in the order the reference implementation's
//! window processors do. Each kind is one struct below; [`window`] builds one from
//! its name and arguments.

use crate::value::{Row, Value};
use std::collections::VecDeque;
use std::sync::Arc;

/// An event held by a window.
#[derive(Clone, Debug)]
pub struct StreamEvent {
    /// Its timestamp (ms).
    pub ts: i64,
    /// Its values.
    pub row: Row,
}

/// What a window releases.
#[derive(Clone, Debug)]
pub enum Emitted {
    /// An event entering (as the query sees it).
    Current(StreamEvent),
    /// An event leaving.
    Expired(StreamEvent),
    /// A batch window starts a new batch: aggregates reset.
    Reset,
}

/// A window's state.
pub trait Window: Send {
    /// An event arrives; what the window releases is appended to `out`.
    fn on_event(&mut self, ev: StreamEvent, out: &mut Vec<Emitted>);
    /// The clock moved to `now` with no event.
    fn on_time(&mut self, now: i64, out: &mut Vec<Emitted>);
    /// Whether it releases batches (the selector then emits one event per group).
    fn is_batch(&self) -> bool {
        false
    }
}

/// Reads an attribute of an event.
pub type Extractor = Arc<dyn Fn(&[Value]) -> Value + Send + Sync>;

/// A window argument: a constant, or an attribute of each event.
#[derive(Clone)]
pub enum WindowArg {
    /// A constant (a number, a time, a string).
    Const(Value),
    /// A per-event attribute.
    Attr(Extractor),
}

fn const_i64(args: &[WindowArg], i: usize, what: &str) -> Result<i64, String> {
    match args.get(i) {
        Some(WindowArg::Const(v)) => v.as_i64().ok_or(format!("{what} must be an int or long constant, found {v}")),
        Some(WindowArg::Attr(_)) => Err(format!("{what} must be a constant")),
        None => Err(format!("{what} is missing")),
    }
}

fn arity(args: &[WindowArg], allowed: &[usize]) -> Result<(), String> {
    if allowed.contains(&args.len()) {
        Ok(())
    } else {
        Err(format!("takes {:?} parameters, found {}", allowed, args.len()))
    }
}

/// Builds window `name` (classic name, lower-case namespace allowed) from its
/// arguments; `expects_expired` is true when the query outputs expired events.
pub fn window(name: &str, args: &[WindowArg], expects_expired: bool) -> Result<Box<dyn Window>, String> {
    Ok(match name.to_ascii_lowercase().as_str() {
        "length" => {
            arity(args, &[1])?;
            let n = const_i64(args, 0, "the length")?;
            if n < 0 {
                return Err("the length must not be negative".into());
            }
            Box::new(Length { n: n as usize, held: VecDeque::new() })
        }
        "lengthbatch" => {
            arity(args, &[1, 2])?;
            let n = const_i64(args, 0, "the length")?;
            if n <= 0 {
                return Err("the length must be positive".into());
            }
            let stream_current = match args.get(1) {
                Some(WindowArg::Const(Value::Bool(b))) => *b,
                Some(_) => return Err("stream.current.event must be a bool constant".into()),
                None => false,
            };
            if stream_current {
                Box::new(LengthBatchStreaming { n: n as usize, count: 0, expired: Vec::new(), expects_expired })
            } else {
                Box::new(LengthBatch { n: n as usize, current: Vec::new(), expired: Vec::new(), expects_expired })
            }
        }
        "time" => {
            arity(args, &[1])?;
            Box::new(Time { w: const_i64(args, 0, "the window time")?, held: VecDeque::new(), at: None })
        }
        "externaltime" => {
            arity(args, &[2])?;
            let WindowArg::Attr(ts) = &args[0] else {
                return Err("the first parameter must be the timestamp attribute".into());
            };
            Box::new(Time { w: const_i64(args, 1, "the window time")?, held: VecDeque::new(), at: Some(ts.clone()) })
        }
        "timebatch" => {
            arity(args, &[1, 2])?;
            let w = const_i64(args, 0, "the window time")?;
            let start = if args.len() == 2 { Some(const_i64(args, 1, "the start time")?) } else { None };
            Box::new(TimeBatch {
                w,
                start,
                next_emit: None,
                current: Vec::new(),
                expired: Vec::new(),
                expects_expired,
                reset_due: false,
            })
        }
        "externaltimebatch" => {
            arity(args, &[2, 3, 4, 5])?;
            let WindowArg::Attr(ts) = &args[0] else {
                return Err("the first parameter must be the timestamp attribute".into());
            };
            let keep = const_i64(args, 1, "the window time")?;
            if keep <= 0 {
                return Err("the window time must be positive".into());
            }
            let start = match args.get(2) {
                None => StartTime::None,
                Some(WindowArg::Const(v)) => {
                    StartTime::Const(v.as_i64().ok_or("the start time must be an int or long")?)
                }
                Some(WindowArg::Attr(f)) => StartTime::Attr(f.clone()),
            };
            let timeout = if args.len() >= 4 { const_i64(args, 3, "the timeout")? } else { 0 };
            if let Some(WindowArg::Const(Value::Bool(true))) = args.get(4) {
                return Err("replacing the timestamp with the batch end time is not built yet".into());
            }
            Box::new(ExternalTimeBatch {
                ts: ts.clone(),
                keep,
                start,
                timeout,
                expects_expired,
                current: Vec::new(),
                expired: (expects_expired || timeout > 0).then(Vec::new),
                end_time: None,
                start_time: 0,
                last_scheduled: 0,
                last_event_time: 0,
                flushed: false,
            })
        }
        "sort" => {
            if args.is_empty() {
                return Err("sort needs the number of events to keep".into());
            }
            let n = const_i64(args, 0, "the length")?;
            let mut keys = Vec::new();
            let mut i = 1;
            while i < args.len() {
                let WindowArg::Attr(f) = &args[i] else {
                    return Err(format!("parameter {} must be an attribute", i + 1));
                };
                let mut descending = false;
                if let Some(WindowArg::Const(Value::String(o))) = args.get(i + 1) {
                    descending = o.eq_ignore_ascii_case("desc");
                    i += 1;
                }
                keys.push((f.clone(), descending));
                i += 1;
            }
            Box::new(Sort { n: n.max(0) as usize, keys, held: Vec::new() })
        }
        "timelength" => {
            arity(args, &[2])?;
            let w = const_i64(args, 0, "the window time")?;
            let n = const_i64(args, 1, "the length")?;
            Box::new(TimeLength { w, n: n.max(0) as usize, held: VecDeque::new() })
        }
        "delay" => {
            arity(args, &[1])?;
            Box::new(Delay { w: const_i64(args, 0, "the delay")?, held: VecDeque::new() })
        }
        "batch" => {
            arity(args, &[0])?;
            Box::new(Batch { expired: Vec::new(), expects_expired })
        }
        other => return Err(format!("the window '{other}' is not built yet")),
    })
}

/// `length(n)`: the last n events; each arrival past n expires the oldest first.
struct Length {
    n: usize,
    held: VecDeque<StreamEvent>,
}

impl Window for Length {
    fn on_event(&mut self, ev: StreamEvent, out: &mut Vec<Emitted>) {
        if self.held.len() >= self.n {
            match self.held.pop_front() {
                Some(mut old) => {
                    old.ts = ev.ts;
                    out.push(Emitted::Expired(old));
                }
                None => out.push(Emitted::Expired(ev.clone())),
            }
        }
        if self.n > 0 {
            self.held.push_back(ev.clone());
        }
        out.push(Emitted::Current(ev));
    }
    fn on_time(&mut self, _now: i64, _out: &mut Vec<Emitted>) {}
}

/// `lengthBatch(n)`: releases every n events together; the previous batch expires
/// first, then a reset, then the new batch.
struct LengthBatch {
    n: usize,
    current: Vec<StreamEvent>,
    expired: Vec<StreamEvent>,
    expects_expired: bool,
}

impl Window for LengthBatch {
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
        if self.expects_expired {
            self.expired = self.current.clone();
        }
        out.extend(self.current.drain(..).map(Emitted::Current));
    }
    fn on_time(&mut self, _now: i64, _out: &mut Vec<Emitted>) {}
    fn is_batch(&self) -> bool {
        true
    }
}

/// `time(t)` and `externalTime(ts, t)`: events of the last t ms; an event expires
/// once `its time + t <= now`.
struct Time {
    w: i64,
    held: VecDeque<(i64, StreamEvent)>,
    at: Option<Extractor>,
}

impl Time {
    fn expire(&mut self, now: i64, out: &mut Vec<Emitted>) {
        while let Some((t, _)) = self.held.front() {
            if t + self.w > now {
                break;
            }
            let (_, mut e) = self.held.pop_front().expect("present");
            e.ts = now;
            out.push(Emitted::Expired(e));
        }
    }
}

impl Window for Time {
    fn on_event(&mut self, ev: StreamEvent, out: &mut Vec<Emitted>) {
        let t = match &self.at {
            Some(f) => f(&ev.row).as_i64().unwrap_or(ev.ts),
            None => ev.ts,
        };
        self.expire(t, out);
        self.held.push_back((t, ev.clone()));
        out.push(Emitted::Current(ev));
    }
    fn on_time(&mut self, now: i64, out: &mut Vec<Emitted>) {
        if self.at.is_none() {
            self.expire(now, out);
        }
    }
}

/// `timeBatch(t[, start])`: releases the events of each period of t ms together.
struct TimeBatch {
    w: i64,
    start: Option<i64>,
    next_emit: Option<i64>,
    current: Vec<StreamEvent>,
    expired: Vec<StreamEvent>,
    expects_expired: bool,
    reset_due: bool,
}

impl TimeBatch {
    fn flush(&mut self, now: i64, out: &mut Vec<Emitted>) {
        if self.expects_expired {
            out.extend(self.expired.drain(..).map(|mut e| {
                e.ts = now;
                Emitted::Expired(e)
            }));
        }
        if self.reset_due {
            out.push(Emitted::Reset);
            self.reset_due = false;
        }
        if !self.current.is_empty() {
            if self.expects_expired {
                self.expired = self.current.clone();
            }
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
    fn on_event(&mut self, ev: StreamEvent, out: &mut Vec<Emitted>) {
        let now = ev.ts;
        let send = self.due(now);
        self.reset_due = true;
        self.current.push(ev);
        if send {
            self.flush(now, out);
        }
    }
    fn on_time(&mut self, now: i64, out: &mut Vec<Emitted>) {
        if self.next_emit.is_none() {
            return;
        }
        while self.next_emit.is_some_and(|n| now >= n) {
            self.due(now);
            self.flush(now, out);
        }
    }
    fn is_batch(&self) -> bool {
        true
    }
}

/// `batch()`: each arriving chunk is a batch of its own.
struct Batch {
    expired: Vec<StreamEvent>,
    expects_expired: bool,
}

impl Window for Batch {
    fn on_event(&mut self, ev: StreamEvent, out: &mut Vec<Emitted>) {
        if self.expects_expired {
            out.extend(self.expired.drain(..).map(Emitted::Expired));
            self.expired.push(ev.clone());
        }
        out.push(Emitted::Reset);
        out.push(Emitted::Current(ev));
    }
    fn on_time(&mut self, _now: i64, _out: &mut Vec<Emitted>) {}
    fn is_batch(&self) -> bool {
        true
    }
}

/// `lengthBatch(n, true)`: events pass through as they arrive; every n events the
/// previous batch expires and aggregates reset.
struct LengthBatchStreaming {
    n: usize,
    count: usize,
    expired: Vec<StreamEvent>,
    expects_expired: bool,
}

impl Window for LengthBatchStreaming {
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
        if self.expects_expired {
            self.expired.push(ev.clone());
        }
        out.push(Emitted::Current(ev));
    }
    fn on_time(&mut self, _now: i64, _out: &mut Vec<Emitted>) {}
    fn is_batch(&self) -> bool {
        true
    }
}

/// Where an `externalTimeBatch` window's periods start.
enum StartTime {
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
struct ExternalTimeBatch {
    ts: Extractor,
    keep: i64,
    start: StartTime,
    timeout: i64,
    expects_expired: bool,
    current: Vec<StreamEvent>,
    expired: Option<Vec<StreamEvent>>,
    end_time: Option<i64>,
    start_time: i64,
    last_scheduled: i64,
    last_event_time: i64,
    flushed: bool,
}

impl ExternalTimeBatch {
    fn find_end(&self, now: i64) -> i64 {
        let elapsed = (now - self.start_time).rem_euclid(self.keep);
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
    fn on_event(&mut self, ev: StreamEvent, out: &mut Vec<Emitted>) {
        let t = (self.ts)(&ev.row).as_i64().unwrap_or(ev.ts);
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
            self.current.push(ev);
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
        self.current.push(ev.clone());
        if self.timeout > 0 {
            self.last_scheduled = ev.ts + self.timeout;
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

/// `sort(n, attr ['asc'|'desc'], …)`: keeps the n smallest events by the keys;
/// the event that falls out expires after the arriving one.
struct Sort {
    n: usize,
    keys: Vec<(Extractor, bool)>,
    held: Vec<StreamEvent>,
}

impl Window for Sort {
    fn on_event(&mut self, ev: StreamEvent, out: &mut Vec<Emitted>) {
        self.held.push(ev.clone());
        out.push(Emitted::Current(ev.clone()));
        if self.held.len() > self.n {
            let keys = &self.keys;
            self.held.sort_by(|a, b| {
                for (f, desc) in keys {
                    let o = f(&a.row).cmp(&f(&b.row));
                    let o = if *desc { o.reverse() } else { o };
                    if o != std::cmp::Ordering::Equal {
                        return o;
                    }
                }
                std::cmp::Ordering::Equal
            });
            if let Some(mut last) = self.held.pop() {
                last.ts = ev.ts;
                out.push(Emitted::Expired(last));
            }
        }
    }
    fn on_time(&mut self, _now: i64, _out: &mut Vec<Emitted>) {}
}

/// `timeLength(t, n)`: at most the last n events of the last t ms.
struct TimeLength {
    w: i64,
    n: usize,
    held: VecDeque<StreamEvent>,
}

impl TimeLength {
    fn expire(&mut self, now: i64, out: &mut Vec<Emitted>) {
        while self.held.front().is_some_and(|e| e.ts + self.w <= now) {
            let mut e = self.held.pop_front().expect("present");
            e.ts = now;
            out.push(Emitted::Expired(e));
        }
    }
}

impl Window for TimeLength {
    fn on_event(&mut self, ev: StreamEvent, out: &mut Vec<Emitted>) {
        self.expire(ev.ts, out);
        if self.held.len() >= self.n {
            if let Some(mut old) = self.held.pop_front() {
                old.ts = ev.ts;
                out.push(Emitted::Expired(old));
            }
        }
        if self.n > 0 {
            self.held.push_back(ev.clone());
        }
        out.push(Emitted::Current(ev));
    }
    fn on_time(&mut self, now: i64, out: &mut Vec<Emitted>) {
        self.expire(now, out);
    }
}

/// `delay(t)`: every event comes out, as a current event, t ms after it arrived.
struct Delay {
    w: i64,
    held: VecDeque<StreamEvent>,
}

impl Window for Delay {
    fn on_event(&mut self, ev: StreamEvent, out: &mut Vec<Emitted>) {
        self.on_time(ev.ts, out);
        self.held.push_back(ev);
    }
    fn on_time(&mut self, now: i64, out: &mut Vec<Emitted>) {
        while self.held.front().is_some_and(|e| e.ts + self.w <= now) {
            let mut e = self.held.pop_front().expect("present");
            e.ts = now;
            out.push(Emitted::Current(e));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(ts: i64, v: i64) -> StreamEvent {
        StreamEvent { ts, row: Arc::from(vec![Value::Long(v)]) }
    }

    fn kinds(out: &[Emitted]) -> Vec<String> {
        out.iter()
            .map(|e| match e {
                Emitted::Current(e) => format!("+{}", e.row[0]),
                Emitted::Expired(e) => format!("-{}", e.row[0]),
                Emitted::Reset => "reset".into(),
            })
            .collect()
    }

    #[test]
    fn length_batch_releases_expired_reset_current() {
        let mut w = window("lengthBatch", &[WindowArg::Const(Value::Int(2))], true).unwrap();
        let mut out = Vec::new();
        for (i, v) in [1, 2, 3, 4].into_iter().enumerate() {
            w.on_event(ev(i as i64, v), &mut out);
        }
        assert_eq!(kinds(&out), ["reset", "+1", "+2", "-1", "-2", "reset", "+3", "+4"]);
    }

    #[test]
    fn time_length_expires_by_time_and_by_count() {
        let mut w =
            window("timeLength", &[WindowArg::Const(Value::Long(100)), WindowArg::Const(Value::Int(2))], true).unwrap();
        let mut out = Vec::new();
        w.on_event(ev(0, 1), &mut out);
        w.on_event(ev(10, 2), &mut out);
        w.on_event(ev(20, 3), &mut out);
        w.on_time(200, &mut out);
        assert_eq!(kinds(&out), ["+1", "+2", "-1", "+3", "-2", "-3"]);
    }

    #[test]
    fn delay_releases_after_the_delay() {
        let mut w = window("delay", &[WindowArg::Const(Value::Long(50))], false).unwrap();
        let mut out = Vec::new();
        w.on_event(ev(0, 1), &mut out);
        w.on_event(ev(30, 2), &mut out);
        assert!(out.is_empty());
        w.on_time(60, &mut out);
        assert_eq!(kinds(&out), ["+1"]);
    }
}
