//! Compiled expressions: a small tree evaluated over a flat row of values.
//!
//! The plan compiler resolves every attribute to a position in the row the
//! expression will see (an input row, `input ++ aggregates` for projections, or the
//! output row for `having`/`order by`), so evaluation never looks names up.

use crate::relation::Relations;
use crate::value::{Row, Value};
use sluice_frontend::ast::{BinaryOp, UnaryOp};
use std::cell::RefCell;
use std::rc::Rc;
use std::sync::Arc;

thread_local! {
    /// The first error raised while the current event was processed on this
    /// thread (see [`raise`]); the runtime clears it before an event and reads it
    /// after (`runtime::fault`).
    static EVENT_ERROR: RefCell<Option<String>> = const { RefCell::new(None) };
    /// How many of a node's outputs for the failed event stand (see [`keep_outputs`]).
    static KEPT_OUTPUTS: std::cell::Cell<Option<usize>> = const { std::cell::Cell::new(None) };
}

/// Notes, for an event that failed in one of several readers inside one node (a
/// group's or a partition's queries), that the first `len` outputs the node
/// produced for it come from readers that handled it before the failure: they
/// stand, as the reference's earlier readers have emitted already, and only what
/// follows is dropped (`runtime::fault`).
pub fn keep_outputs(len: usize) {
    KEPT_OUTPUTS.with(|k| k.set(Some(len)));
}

/// Takes what [`keep_outputs`] noted since the last call, if anything.
pub fn take_kept_outputs() -> Option<usize> {
    KEPT_OUTPUTS.with(|k| k.take())
}

/// Notes that processing the current event failed with `message`, where the
/// reference throws (a function's error, a value of the wrong type under an
/// operator): the value in hand becomes null and processing goes on, and the
/// runtime then drops what the event produced and logs it, or sends it to the
/// stream's fault stream (`@OnError(action='STREAM')`). Only the first error of
/// an event is kept.
pub fn raise(message: impl FnOnce() -> String) {
    EVENT_ERROR.with(|e| {
        let mut e = e.borrow_mut();
        if e.is_none() {
            *e = Some(message());
        }
    });
}

/// Whether an error was [`raise`]d and not yet taken.
pub fn has_error() -> bool {
    EVENT_ERROR.with(|e| e.borrow().is_some())
}

/// Takes the error [`raise`]d since the last call, if any.
pub fn take_error() -> Option<String> {
    EVENT_ERROR.with(|e| e.borrow_mut().take())
}

/// What an expression may read besides its row: the event's timestamp, the clock,
/// the app's tables and windows (for `in T`) and the table row being probed.
#[derive(Clone, Debug, Default)]
pub struct Env {
    /// The timestamp of the event being evaluated (ms).
    pub event_ts: i64,
    /// The app's current time (ms).
    pub now: i64,
    /// The tables and named windows `in` reads, when the query has them.
    pub relations: Option<Rc<Relations>>,
    /// The row of a table being probed by `in`.
    pub probe: Option<Row>,
    /// The events a pattern has matched so far, by event number (for `e[n].x`).
    pub captured: Option<Rc<Vec<Vec<Row>>>>,
}

impl Env {
    /// An environment at `event_ts` with the clock at `now`, reading `relations`.
    pub fn new(event_ts: i64, now: i64, relations: &Option<Rc<Relations>>) -> Env {
        Env { event_ts, now, relations: relations.clone(), probe: None, captured: None }
    }
    /// This environment for an event at `ts`.
    pub fn at(&self, ts: i64) -> Env {
        Env {
            event_ts: ts,
            now: self.now.max(ts),
            relations: self.relations.clone(),
            probe: None,
            captured: self.captured.clone(),
        }
    }
}

/// A scalar function: arguments and environment to value, or an error message.
pub type ScalarImpl = Arc<dyn Fn(&[Value], &Env) -> Result<Value, String> + Send + Sync>;

/// A compiled expression.
#[derive(Clone)]
pub enum CExpr {
    /// A constant.
    Const(Value),
    /// The value at a position of the row.
    Col(usize),
    /// A function call.
    Call(ScalarImpl, Vec<CExpr>),
    /// `not`, `-`.
    Unary(UnaryOp, Box<CExpr>),
    /// Arithmetic, comparison, `and`, `or`.
    Binary(BinaryOp, Box<CExpr>, Box<CExpr>),
    /// `x is null`.
    IsNull(Box<CExpr>),
    /// `cond in T`: some row of the named table or window satisfies `cond`.
    In(Arc<str>, Box<CExpr>),
    /// The value at a position of the table row `in` is probing.
    ProbeCol(usize),
    /// `e[n].x`: event number, index (`-1 - n` for `last - n`) and position.
    Indexed(usize, i64, usize),
}

impl std::fmt::Debug for CExpr {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CExpr::Const(v) => write!(f, "{v:?}"),
            CExpr::Col(i) => write!(f, "${i}"),
            CExpr::Call(_, a) => write!(f, "call{a:?}"),
            CExpr::Unary(op, e) => write!(f, "{op:?}({e:?})"),
            CExpr::Binary(op, l, r) => write!(f, "({l:?} {op:?} {r:?})"),
            CExpr::IsNull(e) => write!(f, "({e:?} is null)"),
            CExpr::In(t, e) => write!(f, "({e:?} in {t})"),
            CExpr::ProbeCol(i) => write!(f, "$probe{i}"),
            CExpr::Indexed(e, i, p) => write!(f, "$e{e}[{i}].{p}"),
        }
    }
}

impl CExpr {
    /// Evaluates over `row`. A function's error, or an operand of the wrong type
    /// (a `cast` that only relabelled a value, as the reference's does), yields
    /// null and is [`raise`]d: the reference throws there, failing the event.
    pub fn eval(&self, row: &[Value], env: &Env) -> Value {
        match self {
            CExpr::Const(v) => v.clone(),
            CExpr::Col(i) => row.get(*i).cloned().unwrap_or(Value::Null),
            CExpr::Call(f, args) => {
                let values: Vec<Value> = args.iter().map(|a| a.eval(row, env)).collect();
                f(&values, env).unwrap_or_else(|e| {
                    raise(|| e);
                    Value::Null
                })
            }
            CExpr::Unary(UnaryOp::Not, e) => crate::eval::not(&e.eval(row, env)),
            CExpr::Unary(UnaryOp::Neg, e) => crate::eval::neg(&e.eval(row, env)),
            CExpr::Binary(BinaryOp::And, l, r) => {
                if l.eval(row, env) != Value::Bool(true) {
                    return Value::Bool(false);
                }
                Value::Bool(r.eval(row, env) == Value::Bool(true))
            }
            CExpr::Binary(BinaryOp::Or, l, r) => {
                if l.eval(row, env) == Value::Bool(true) {
                    return Value::Bool(true);
                }
                Value::Bool(r.eval(row, env) == Value::Bool(true))
            }
            CExpr::Binary(op, l, r) => {
                let (l, r) = (l.eval(row, env), r.eval(row, env));
                crate::eval::check_operands(*op, &l, &r);
                crate::eval::binary(*op, &l, &r)
            }
            CExpr::IsNull(e) => Value::Bool(e.eval(row, env) == Value::Null),
            CExpr::In(table, cond) => {
                let Some(relations) = &env.relations else { return Value::Bool(false) };
                let Some(r) = relations.lookup(table) else { return Value::Bool(false) };
                let mut probing = env.clone();
                let found = relations.with_rows(r, |rows| {
                    for t in rows {
                        probing.probe = Some(t.clone());
                        if cond.test(row, &probing) {
                            return true;
                        }
                    }
                    false
                });
                Value::Bool(found)
            }
            CExpr::ProbeCol(i) => env.probe.as_ref().and_then(|p| p.get(*i).cloned()).unwrap_or(Value::Null),
            CExpr::Indexed(e, i, p) => {
                let Some(rows) = env.captured.as_ref().and_then(|c| c.get(*e)) else { return Value::Null };
                if *i == sluice_frontend::logical::ALL_EVENTS {
                    // Every matched event's value, as a list (none matched: null).
                    if rows.is_empty() {
                        return Value::Null;
                    }
                    let list = rows.iter().map(|r| r.get(*p).map_or(serde_json::Value::Null, Value::to_json)).collect();
                    return Value::Json(std::sync::Arc::new(serde_json::Value::Array(list)));
                }
                let at = if *i >= 0 { Some(*i as usize) } else { rows.len().checked_sub((-*i) as usize) };
                let event = at.and_then(|a| rows.get(a));
                if *p == usize::MAX {
                    return if event.is_some() { Value::Bool(true) } else { Value::Null };
                }
                event.and_then(|r| r.get(*p).cloned()).unwrap_or(Value::Null)
            }
        }
    }

    /// Whether it reads a pattern's counted events by index ([`CExpr::Indexed`]).
    pub fn reads_indexed(&self) -> bool {
        match self {
            CExpr::Indexed(..) => true,
            CExpr::Const(_) | CExpr::Col(_) | CExpr::ProbeCol(_) => false,
            CExpr::Call(_, args) => args.iter().any(CExpr::reads_indexed),
            CExpr::Unary(_, e) | CExpr::IsNull(e) | CExpr::In(_, e) => e.reads_indexed(),
            CExpr::Binary(_, l, r) => l.reads_indexed() || r.reads_indexed(),
        }
    }

    /// Whether it evaluates to `true` (filters: null and false both reject).
    pub fn test(&self, row: &[Value], env: &Env) -> bool {
        self.eval(row, env) == Value::Bool(true)
    }
}
