//! Stateful stream processors: between a query's input and its window, they
//! keep, drop, hold back and release events, each with the logical time it
//! arrived at, and may release held events when the clock passes a deadline of
//! theirs. `#unique:deduplicate` (`dedup.rs`), `#reorder:kslack` (`kslack.rs`)
//! and `#reorder:akslack` (`akslack.rs`) are built; each query (and each
//! partition key) has its own.

use super::akslack::AKSlack;
use super::dedup::Deduplicate;
use super::expr::{CExpr, Env};
use super::kslack::KSlack;
use crate::value::{Row, Value};
use std::sync::Arc;

/// A stream processor with state.
pub trait StreamProcessor: Send {
    /// An arriving event at logical time `ts`: what it lets through now, each
    /// row with the time it arrived at, in order.
    fn on_event(&mut self, ts: i64, row: Row, env: &Env, out: &mut Vec<(i64, Row)>);
    /// The clock reached the processor's deadline `at`: what it releases then.
    fn on_time(&mut self, at: i64, out: &mut Vec<(i64, Row)>);
    /// When it next wants [`StreamProcessor::on_time`], if ever.
    fn next_deadline(&self) -> Option<i64>;
    /// Whether what it releases at once is one batch chunk, as the reference's
    /// `ComplexEventChunk(true)` (a selector with aggregates or `group by` then
    /// emits the last event, per group); `timer` for what a timer released.
    fn batch(&self, _timer: bool) -> bool {
        false
    }
}

/// Makes a fresh processor (one per query, or per partition key).
pub type StreamProcessorFactory = Arc<dyn Fn() -> Box<dyn StreamProcessor> + Send + Sync>;

/// The processor `#name(args)` of query `what`, if `name` is one; an error for
/// parameters it cannot take. Arguments after the first of each are constants
/// (checked by the front end).
pub fn stream_processor(name: &str, args: Vec<CExpr>, what: &str) -> Option<Result<StreamProcessorFactory, String>> {
    let constant = |i: usize| match args.get(i) {
        Some(CExpr::Const(v)) => Ok(v.clone()),
        Some(_) => Err(format!("{what}: #{name}: argument {} must be a constant", i + 1)),
        None => Ok(Value::Null),
    };
    Some(match name {
        "unique:deduplicate" => (|| {
            let key = args.first().cloned().ok_or(format!("{what}: #{name} needs a key"))?;
            let interval = constant(1)?.as_i64().ok_or(format!("{what}: #{name} needs a time interval"))?;
            let f: StreamProcessorFactory = Arc::new(move || Box::new(Deduplicate::new(key.clone(), interval)));
            Ok(f)
        })(),
        "reorder:kslack" => (|| {
            let timestamp = args.first().cloned().ok_or(format!("{what}: #{name} needs a timestamp"))?;
            let params: Vec<Value> = (1..args.len()).map(constant).collect::<Result<_, _>>()?;
            let (mut timeout, mut max_k, mut discard) = (-1, i64::MAX, false);
            match params.as_slice() {
                [] => {}
                [Value::Bool(d)] => discard = *d,
                [t] => timeout = t.as_i64().unwrap_or(-1),
                [t, Value::Bool(d)] => (timeout, discard) = (t.as_i64().unwrap_or(-1), *d),
                [t, k] => (timeout, max_k) = (t.as_i64().unwrap_or(-1), k.as_i64().unwrap_or(i64::MAX)),
                [t, k, d] => {
                    (timeout, max_k, discard) =
                        (t.as_i64().unwrap_or(-1), k.as_i64().unwrap_or(i64::MAX), matches!(d, Value::Bool(true)))
                }
                _ => return Err(format!("{what}: #{name} takes at most four arguments")),
            }
            let f: StreamProcessorFactory =
                Arc::new(move || Box::new(KSlack::new(timestamp.clone(), timeout, max_k, discard)));
            Ok(f)
        })(),
        "reorder:akslack" => (|| {
            let (Some(timestamp), Some(correlation)) = (args.first().cloned(), args.get(1).cloned()) else {
                return Err(format!("{what}: #{name} needs a timestamp and a correlation field"));
            };
            let constants: Vec<Value> = (2..args.len()).map(constant).collect::<Result<_, _>>()?;
            let p = super::akslack::params(&constants);
            let f: StreamProcessorFactory =
                Arc::new(move || Box::new(AKSlack::new(timestamp.clone(), correlation.clone(), p.clone())));
            Ok(f)
        })(),
        _ if super::geo_stream::NAMES.contains(&name) => super::geo_stream::geo_processor(name, args)
            .ok_or_else(|| format!("{what}: stream function '{name}' is not built yet")),
        _ => return None,
    })
}
