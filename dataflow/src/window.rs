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
        Some(WindowArg::Const(v)) => v
            .as_i64()
            .ok_or(format!("{what} must be an int or long constant, found {v}")),
        Some(WindowArg::Attr(_)) => Err(format!("{what} must be a constant")),
        None => Err(format!("{what} is missing")),
    }
}

fn arity(args: &[WindowArg], allowed: &[usize]) -> Result<(), String> {
    if allowed.contains(&args.len()) {
        Ok(())
    } else {
        Err(format!(
            "takes {:?} parameters, found {}",
            allowed,
            args.len()
        ))
    }
}

/// Builds window `name` (classic name, lower-case namespace allowed) from its
/// arguments; `expects_expired` is true when the query outputs expired events.
pub fn window(
    name: &str,
    args: &[WindowArg],
    expects_expired: bool,
) -> Result<Box<dyn Window>, String> {
    Ok(match name.to_ascii_lowercase().as_str() {
        "length" => {
            arity(args, &[1])?;
            let n = const_i64(args, 0, "the length")?;
            if n < 0 {
                return Err("the length must not be negative".into());
            }
            Box::new(Length {
                n: n as usize,
                held: VecDeque::new(),
            })
        }
        "lengthbatch" => {
            arity(args, &[1, 2])?;
            let n = const_i64(args, 0, "the length")?;
            if n <= 0 {
                return Err("the length must be positive".into());
            }
            if args.len() == 2 {
                return Err("lengthBatch's stream.current.event flag is not built yet".into());
            }
            Box::new(LengthBatch {
                n: n as usize,
                current: Vec::new(),
                expired: Vec::new(),
                expects_expired,
            })
        }
        "time" => {
            arity(args, &[1])?;
            Box::new(Time {
                w: const_i64(args, 0, "the window time")?,
                held: VecDeque::new(),
                at: None,
            })
        }
        "externaltime" => {
            arity(args, &[2])?;
            let WindowArg::Attr(ts) = &args[0] else {
                return Err("the first parameter must be the timestamp attribute".into());
            };
            Box::new(Time {
                w: const_i64(args, 1, "the window time")?,
                held: VecDeque::new(),
                at: Some(ts.clone()),
            })
        }
        "timebatch" => {
            arity(args, &[1, 2])?;
            let w = const_i64(args, 0, "the window time")?;
            let start = if args.len() == 2 {
                Some(const_i64(args, 1, "the start time")?)
            } else {
                None
            };
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
        "batch" => {
            arity(args, &[0])?;
            Box::new(Batch {
                expired: Vec::new(),
                expects_expired,
            })
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
