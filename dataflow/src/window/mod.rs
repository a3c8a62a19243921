//! Windows: state machines that take arriving events (and the clock) and release
//! current, expired and reset events in the order the reference implementation's
//! window processors do, independent of the dataflow runtime.
//!
//! One file per kind; [`window`] builds one from its name and arguments. Constant
//! arguments arrive as values, attribute arguments (`externalTime(ts, …)`,
//! `sort(2, price)`, `session(5 sec, user)`) as per-event [`Extractor`]s.
//! Expired events carry the time at which they expired.

mod batch;
mod cron;
mod delay;
mod event_key;
mod expression;
mod expression_batch;
mod external_time_batch;
mod frequent;
mod java;
mod length;
mod length_batch;
mod lossy_frequent;
mod session;
mod sort;
mod time;
mod time_batch;
mod time_length;
mod unique_ever;
mod unique_external_time_batch;
mod unique_first;
mod unique_first_time_batch;
mod unique_length;
mod unique_length_batch;
mod unique_time;
mod unique_time_batch;
mod unique_time_length_batch;

pub use expression::{ConditionCompiler, ConditionSpec, PerEventCondition};

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
    /// The clock moved to `now` with no event. A window whose timer fires
    /// several times by `now` may release one firing per call (each firing is a
    /// chunk of its own in the reference); callers call again while
    /// [`more_due`] says so.
    fn on_time(&mut self, now: i64, out: &mut Vec<Emitted>);
    /// Whether it releases batches (the selector then emits one event per group).
    fn is_batch(&self) -> bool {
        false
    }
    /// The next time at which [`Window::on_time`] would release something, if any
    /// (so that the runtime can schedule a tick).
    fn next_deadline(&self) -> Option<i64> {
        None
    }
    /// The rows the window holds now (what joins and snapshot queries see).
    fn contents(&self) -> Vec<Row>;
    /// Whether what it holds may differ from what it released less what it
    /// expired (`frequent` replaces a key's event without expiring the old one;
    /// `lossyFrequent` holds events it does not release): a join then reads
    /// [`Window::contents`] instead of following the releases.
    fn holds_other_than_released(&self) -> bool {
        false
    }
}

/// Whether a window whose deadline was `before` an [`Window::on_time`] call at
/// `now` and is `after` it has another firing due by `now` (for its own chunk).
pub fn more_due(before: Option<i64>, after: Option<i64>, now: i64) -> bool {
    after.is_some_and(|d| d <= now) && after != before
}

/// An external-time window met an event whose timestamp attribute is null: the
/// reference's window fails on it (a `NullPointerException`), so the event fails
/// ([`crate::query::expr::raise`]) and the window does not take it.
fn null_timestamp(window: &str) {
    crate::query::expr::raise(|| format!("{window}(): the event's timestamp attribute is null"));
}

/// The rows of some held events.
fn rows<'a>(events: impl IntoIterator<Item = &'a StreamEvent>) -> Vec<Row> {
    events.into_iter().map(|e| e.row.clone()).collect()
}

/// Reads an attribute of an event.
pub type Extractor = Arc<dyn Fn(&[Value]) -> Value + Send + Sync>;

/// A window argument: a constant, or an attribute of each event.
#[derive(Clone)]
pub enum WindowArg {
    /// A constant (a number, a time, a string).
    Const(Value),
    /// A per-event value (an attribute, or an expression over the event), and
    /// the attribute's position in the row when it is a plain attribute.
    Attr(Extractor, Option<usize>),
    /// The compiled condition of an `expression` / `expressionBatch` window.
    Condition(Arc<ConditionSpec>),
    /// The condition of an `expression` / `expressionBatch` window, read from
    /// each event.
    PerEventCondition(PerEventCondition),
    /// The output data of the query's events (see `event_key`): what
    /// `frequent` and `lossyFrequent` key events by when given no key
    /// attributes. Per slot, the attribute's position, or `None` for a null.
    OutputData(Vec<Option<usize>>),
}

impl WindowArg {
    /// The argument's value for an event.
    pub fn value(&self, row: &[Value]) -> Value {
        match self {
            WindowArg::Const(v) => v.clone(),
            WindowArg::Attr(f, _) => f(row),
            WindowArg::Condition(_) | WindowArg::OutputData(_) => Value::Null,
            WindowArg::PerEventCondition(c) => (c.text)(row),
        }
    }
}

fn const_i64(args: &[WindowArg], i: usize, what: &str) -> Result<i64, String> {
    match args.get(i) {
        Some(WindowArg::Const(v)) => v.as_i64().ok_or(format!("{what} must be an int or long constant, found {v}")),
        Some(
            WindowArg::Attr(..) | WindowArg::Condition(_) | WindowArg::PerEventCondition(_) | WindowArg::OutputData(_),
        ) => Err(format!("{what} must be a constant")),
        None => Err(format!("{what} is missing")),
    }
}

/// A bool constant, or `default` when the argument is absent.
fn const_bool(args: &[WindowArg], i: usize, what: &str, default: bool) -> Result<bool, String> {
    match args.get(i) {
        Some(WindowArg::Const(Value::Bool(b))) => Ok(*b),
        Some(_) => Err(format!("{what} must be a bool constant")),
        None => Ok(default),
    }
}

/// An `int` constant (the reference casts these parameters to `Integer`).
fn const_int(args: &[WindowArg], i: usize, what: &str) -> Result<i64, String> {
    match args.get(i) {
        Some(WindowArg::Const(Value::Int(v))) => Ok(*v as i64),
        Some(WindowArg::Const(v)) => Err(format!("{what} must be an int constant, found {v}")),
        Some(
            WindowArg::Attr(..) | WindowArg::Condition(_) | WindowArg::PerEventCondition(_) | WindowArg::OutputData(_),
        ) => Err(format!("{what} must be a constant")),
        None => Err(format!("{what} is missing")),
    }
}

/// The condition of an expression window: its first argument, compiled, or read
/// from each event.
fn condition_of(args: &[WindowArg]) -> Result<expression::Condition, String> {
    match args.first() {
        Some(WindowArg::Condition(c)) => Ok(expression::Condition::new(c.clone())),
        Some(WindowArg::PerEventCondition(c)) => Ok(expression::Condition::per_event(c.clone())),
        _ => Err("the condition must be a string".into()),
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
            Box::new(length::Length { n: n as usize, held: VecDeque::new() })
        }
        "lengthbatch" => {
            arity(args, &[1, 2])?;
            let n = const_i64(args, 0, "the length")?;
            if n < 0 {
                return Err("the length must not be negative".into());
            }
            let stream_current = match args.get(1) {
                Some(WindowArg::Const(Value::Bool(b))) => *b,
                Some(_) => return Err("stream.current.event must be a bool constant".into()),
                None => false,
            };
            if n == 0 {
                Box::new(length_batch::LengthBatchZero { expects_expired })
            } else if stream_current {
                Box::new(length_batch::LengthBatchStreaming {
                    n: n as usize,
                    count: 0,
                    expired: Vec::new(),
                    expects_expired,
                })
            } else {
                Box::new(length_batch::LengthBatch {
                    n: n as usize,
                    current: Vec::new(),
                    expired: Vec::new(),
                    expects_expired,
                })
            }
        }
        "time" => {
            arity(args, &[1])?;
            Box::new(time::Time { w: const_i64(args, 0, "the window time")?, held: VecDeque::new(), at: None })
        }
        "externaltime" => {
            arity(args, &[2])?;
            let WindowArg::Attr(ts, _) = &args[0] else {
                return Err("the first parameter must be the timestamp attribute".into());
            };
            Box::new(time::Time {
                w: const_i64(args, 1, "the window time")?,
                held: VecDeque::new(),
                at: Some(ts.clone()),
            })
        }
        "timebatch" => {
            arity(args, &[1, 2, 3])?;
            let w = const_i64(args, 0, "the window time")?;
            // (t), (t, start), (t, stream current events) or (t, start, stream …).
            let stream_current = match args.last() {
                Some(WindowArg::Const(Value::Bool(b))) if args.len() > 1 => Some(*b),
                _ if args.len() == 3 => return Err("the third parameter must be a bool constant".into()),
                _ => None,
            };
            let timed = args.len() - usize::from(stream_current.is_some());
            let start = if timed == 2 { Some(const_i64(args, 1, "the start time")?) } else { None };
            Box::new(time_batch::TimeBatch {
                w,
                start,
                stream_current: stream_current.unwrap_or(false),
                next_emit: None,
                current: Vec::new(),
                expired: Vec::new(),
                expects_expired,
                reset_due: false,
            })
        }
        "externaltimebatch" => {
            arity(args, &[2, 3, 4, 5])?;
            let WindowArg::Attr(ts, ts_position) = &args[0] else {
                return Err("the first parameter must be the timestamp attribute".into());
            };
            let keep = const_i64(args, 1, "the window time")?;
            if keep <= 0 {
                return Err("the window time must be positive".into());
            }
            let start = match args.get(2) {
                None => external_time_batch::StartTime::None,
                Some(WindowArg::Const(v)) => {
                    external_time_batch::StartTime::Const(v.as_i64().ok_or("the start time must be an int or long")?)
                }
                Some(WindowArg::Attr(f, _)) => external_time_batch::StartTime::Attr(f.clone()),
                Some(WindowArg::Condition(_) | WindowArg::PerEventCondition(_) | WindowArg::OutputData(_)) => {
                    return Err("the start time must be an int or long".into())
                }
            };
            let timeout = if args.len() >= 4 { const_i64(args, 3, "the timeout")? } else { 0 };
            let replace_ts = match args.get(4) {
                None => false,
                Some(WindowArg::Const(Value::Bool(b))) => *b,
                Some(_) => return Err("the fifth parameter (replace the timestamp) must be a bool constant".into()),
            };
            Box::new(external_time_batch::ExternalTimeBatch {
                ts: ts.clone(),
                ts_position: *ts_position,
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
                replace_ts,
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
                let WindowArg::Attr(f, _) = &args[i] else {
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
            Box::new(sort::Sort { n: n.max(0) as usize, keys, held: Vec::new() })
        }
        "timelength" => {
            arity(args, &[2])?;
            let w = const_i64(args, 0, "the window time")?;
            let n = const_i64(args, 1, "the length")?;
            Box::new(time_length::TimeLength { w, n: n.max(0) as usize, held: VecDeque::new() })
        }
        "delay" => {
            arity(args, &[1])?;
            Box::new(delay::Delay { w: const_i64(args, 0, "the delay")?, held: VecDeque::new() })
        }
        "batch" => {
            // `batch(n)` cuts an arriving chunk into batches of n; a chunk here is
            // one event, which every n >= 0 keeps whole.
            arity(args, &[0, 1])?;
            if args.len() == 1 {
                const_i64(args, 0, "the batch length")?;
            }
            Box::new(batch::Batch { expired: Vec::new(), expects_expired })
        }
        "session" => {
            arity(args, &[1, 2, 3])?;
            let gap = const_i64(args, 0, "the session gap")?;
            let key = match args.get(1) {
                Some(WindowArg::Attr(f, _)) => Some(f.clone()),
                Some(WindowArg::Const(_)) if args.len() == 2 => None,
                Some(WindowArg::Const(v)) => return Err(format!("the session key must be an attribute, found {v}")),
                Some(WindowArg::Condition(_) | WindowArg::PerEventCondition(_) | WindowArg::OutputData(_)) => {
                    return Err("the session key must be an attribute".into())
                }
                None => None,
            };
            let latency = match args.len() {
                3 => const_i64(args, 2, "the allowed latency")?,
                2 if key.is_none() => const_i64(args, 1, "the allowed latency")?,
                _ => 0,
            };
            if latency > gap {
                return Err("the allowed latency must not exceed the session gap".into());
            }
            Box::new(session::SessionWindow { gap, key, latency, sessions: Default::default() })
        }
        "frequent" => {
            if args.is_empty() {
                return Err("frequent needs the number of most frequent events".into());
            }
            let n = const_i64(args, 0, "the event count")?;
            let keys = event_key::EventKey::from_args(&args[1..], |a| match a {
                WindowArg::Attr(f, _) => Ok(f.clone()),
                WindowArg::Const(v) => Err(format!("frequent's keys must be attributes, found {v}")),
                _ => Err("frequent's keys must be attributes".into()),
            })?;
            Box::new(frequent::Frequent::new(n.max(0) as usize, keys))
        }
        "unique:length" => {
            arity(args, &[2])?;
            let n = const_int(args, 1, "the window length")?;
            Box::new(unique_length::UniqueLength {
                key: args[0].clone(),
                n: n.max(0) as usize,
                map: Default::default(),
                count: 0,
                held: Default::default(),
            })
        }
        "unique:lengthbatch" | "unique:firstlengthbatch" => {
            arity(args, &[2])?;
            let n = const_int(args, 1, "the window length")?;
            let keep_first = name.eq_ignore_ascii_case("unique:firstLengthBatch");
            Box::new(unique_length_batch::UniqueLengthBatch {
                // A length below 1 is never reached: nothing is ever released.
                n: if n < 1 { usize::MAX } else { n as usize },
                batch: unique_length_batch::UniqueBatch::new(args[0].clone(), keep_first),
            })
        }
        "unique:time" => {
            arity(args, &[2])?;
            Box::new(unique_time::UniqueTime {
                key: args[0].clone(),
                t: const_i64(args, 1, "the window time")?,
                map: Default::default(),
                held: Default::default(),
            })
        }
        "unique:timebatch" => {
            arity(args, &[2, 3])?;
            let t = const_i64(args, 1, "the window time")?;
            let start = if args.len() == 3 { Some(const_i64(args, 2, "the start time")?) } else { None };
            Box::new(unique_time_batch::UniqueTimeBatch {
                periods: unique_time_batch::Periods::new(t, start),
                batch: unique_length_batch::UniqueBatch::new(args[0].clone(), false),
            })
        }
        "unique:firsttimebatch" => {
            arity(args, &[2, 3])?;
            let t = const_i64(args, 1, "the window time")?;
            let start = if args.len() == 3 { Some(const_i64(args, 2, "the start time")?) } else { None };
            Box::new(unique_first_time_batch::unique_first_time_batch(args[0].clone(), t, start))
        }
        "unique:timelengthbatch" => {
            // (key, window.time, window.length) or (key, window.time, start.time,
            // window.length); the reference's overloads take the length as an int.
            arity(args, &[3, 4])?;
            let t = const_i64(args, 1, "the window time")?;
            let start = if args.len() == 4 { Some(const_i64(args, 2, "the start time")?) } else { None };
            let length = const_int(args, args.len() - 1, "the window length")?;
            Box::new(unique_time_length_batch::UniqueTimeLengthBatch::new(args[0].clone(), t, start, length))
        }
        "unique:ever" => Box::new(unique_ever::UniqueEver::new(args.to_vec())),
        "unique:first" => Box::new(unique_first::UniqueFirst::new(args.to_vec())),
        "unique:externaltimebatch" => {
            arity(args, &[3, 4, 5, 6])?;
            let WindowArg::Attr(ts, ts_position) = &args[1] else {
                return Err("the second parameter must be the timestamp attribute".into());
            };
            let keep = const_i64(args, 2, "the window time")?;
            if keep == 0 {
                return Err("the window time must not be 0".into());
            }
            let start = if args.len() >= 4 { Some(const_i64(args, 3, "the start time")?) } else { None };
            let timeout = if args.len() >= 5 { const_i64(args, 4, "the timeout")? } else { 0 };
            let replace_ts = match args.get(5) {
                None => false,
                Some(WindowArg::Const(Value::Bool(b))) => *b,
                Some(_) => return Err("the sixth parameter (replace the timestamp) must be a bool constant".into()),
            };
            Box::new(unique_external_time_batch::UniqueExternalTimeBatch {
                key: args[0].clone(),
                ts: ts.clone(),
                ts_position: *ts_position,
                keep,
                start,
                timeout,
                replace_ts,
                expects_expired,
                current: Default::default(),
                expired: (expects_expired || timeout > 0).then(Default::default),
                end_time: None,
                start_time: 0,
                last_scheduled: 0,
                last_event_time: 0,
                flushed: false,
            })
        }
        "expression" => {
            arity(args, &[1])?;
            Box::new(expression::ExpressionWindow { condition: condition_of(args)?, held: VecDeque::new() })
        }
        "expressionbatch" => {
            arity(args, &[1, 2, 3])?;
            Box::new(expression_batch::ExpressionBatch {
                condition: condition_of(args)?,
                include_triggering: const_bool(args, 1, "include.triggering.event", false)?,
                stream_current: const_bool(args, 2, "stream.current.event", false)?,
                current: Vec::new(),
                expired: Vec::new(),
                pending: Vec::new(),
            })
        }
        "lossyfrequent" => {
            if args.len() < 2 {
                return Err("lossyFrequent takes (support, error bound[, attribute…]); the reference cannot \
                            create it with the support alone"
                    .into());
            }
            let number = |i: usize, what: &str| match &args[i] {
                WindowArg::Const(v) => v.as_f64().ok_or(format!("the {what} must be a number, found {v}")),
                _ => Err(format!("the {what} must be a constant")),
            };
            let support = number(0, "support")?;
            let error = number(1, "error bound")?;
            let keys = event_key::EventKey::from_args(&args[2..], |a| match a {
                WindowArg::Attr(f, Some(_)) => Ok(f.clone()),
                _ => Err("lossyFrequent's keys must be attributes".to_string()),
            })?;
            Box::new(lossy_frequent::LossyFrequent::new(support, error, keys))
        }
        "cron" => {
            arity(args, &[1])?;
            let Some(WindowArg::Const(Value::String(expr))) = args.first() else {
                return Err("cron needs the schedule as a string, e.g. cron('*/5 * * * * ?')".into());
            };
            Box::new(cron::Cron::new(expr)?)
        }
        "unique:firstlength" => {
            return Err("'unique:firstLength' does not exist in the reference's unique extension \
                        (it has unique:firstLengthBatch and unique:first)"
                .into())
        }
        other => return Err(format!("the window '{other}' is not built yet")),
    })
}

/// Helpers for the windows' unit tests.
#[cfg(test)]
pub(crate) mod tests_support {
    use super::{Emitted, Extractor, StreamEvent, WindowArg};
    use crate::value::Value;
    use std::sync::Arc;

    /// An event `(key string, value long)` at `ts`.
    pub(crate) fn ev2(ts: i64, key: &str, v: i64) -> StreamEvent {
        StreamEvent { ts, row: Arc::from(vec![Value::string(key), Value::Long(v)]) }
    }

    /// The first column as a key.
    pub(crate) fn key0() -> WindowArg {
        let f: Extractor = Arc::new(|r: &[Value]| r[0].clone());
        WindowArg::Attr(f, Some(0))
    }

    /// `+x`, `-x`, `reset`, where x is the row's values joined.
    pub(crate) fn kinds(out: &[Emitted]) -> Vec<String> {
        let text = |e: &StreamEvent| e.row.iter().map(|v| v.to_string()).collect::<String>();
        out.iter()
            .map(|e| match e {
                Emitted::Current(e) => format!("+{}", text(e)),
                Emitted::Expired(e) => format!("-{}", text(e)),
                Emitted::Reset => "reset".into(),
            })
            .collect()
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

    /// Drives a window and a `sum` over column 0 by hand, as a query would:
    /// returns (kind, sum after the event) for each released event.
    fn sums(w: &mut dyn Window, steps: &[(i64, Option<i64>)]) -> Vec<String> {
        let mut sum = crate::aggregate::aggregator("sum", &[sluice_frontend::ast::AttrType::Long]).unwrap();
        let mut seen = Vec::new();
        for (ts, v) in steps {
            let mut out = Vec::new();
            match v {
                Some(v) => w.on_event(ev(*ts, *v), &mut out),
                None => w.on_time(*ts, &mut out),
            }
            for e in out {
                match e {
                    Emitted::Current(e) => {
                        sum.add(&e.row[0]);
                        seen.push(format!("+{}", sum.value()));
                    }
                    Emitted::Expired(e) => {
                        sum.remove(&e.row[0]);
                        seen.push(format!("-{}", sum.value()));
                    }
                    Emitted::Reset => sum.reset(),
                }
            }
        }
        seen
    }

    #[test]
    fn length_window_sum_golden() {
        // window_length_sum: length(2) over volumes 100, 200, 300.
        let mut w = window("length", &[WindowArg::Const(Value::Int(2))], true).unwrap();
        let got = sums(w.as_mut(), &[(1, Some(100)), (2, Some(200)), (3, Some(300))]);
        assert_eq!(got, ["+100", "+300", "-200", "+500"]);
        assert_eq!(w.contents().len(), 2);
    }

    #[test]
    fn time_window_expires_on_the_clock() {
        let mut w = window("time", &[WindowArg::Const(Value::Long(1000))], true).unwrap();
        let got = sums(w.as_mut(), &[(0, Some(1)), (500, Some(2)), (1000, None), (1600, Some(4))]);
        assert_eq!(got, ["+1", "+3", "-2", "-null", "+4"]);
        assert_eq!(w.next_deadline(), Some(2600));
    }

    #[test]
    fn time_batch_flushes_periods() {
        let mut w = window("timeBatch", &[WindowArg::Const(Value::Long(1000))], true).unwrap();
        let got = sums(w.as_mut(), &[(0, Some(1)), (10, Some(2)), (1000, None), (1500, Some(5)), (2000, None)]);
        assert_eq!(got, ["+1", "+3", "-2", "-null", "+5"]);
        assert_eq!(w.contents().len(), 1);
    }

    #[test]
    fn session_expires_after_the_gap() {
        let attr: Extractor = Arc::new(|r: &[Value]| r[0].clone());
        let mut w =
            window("session", &[WindowArg::Const(Value::Long(100)), WindowArg::Attr(attr, Some(0))], true).unwrap();
        let mut out = Vec::new();
        w.on_event(ev(0, 1), &mut out);
        w.on_event(ev(50, 1), &mut out);
        w.on_event(ev(60, 2), &mut out);
        assert_eq!(w.next_deadline(), Some(150));
        w.on_time(150, &mut out);
        assert_eq!(kinds(&out), ["+1", "+1", "+2", "-1", "-1"]);
        w.on_time(160, &mut out);
        assert_eq!(kinds(&out).last().map(String::as_str), Some("-2"));
        assert!(w.contents().is_empty());
    }

    #[test]
    fn frequent_keeps_the_most_frequent() {
        let mut w = window("frequent", &[WindowArg::Const(Value::Int(2))], true).unwrap();
        let mut out = Vec::new();
        for v in [1, 1, 2, 3, 3] {
            w.on_event(ev(0, v), &mut out);
        }
        // 3 arrives with {1:2, 2:1} held: 2 expires, 1 drops to 1, 3 is kept.
        assert_eq!(kinds(&out), ["+1", "+1", "+2", "-2", "+3", "+3"]);
        assert_eq!(w.contents().len(), 2);
    }
}
