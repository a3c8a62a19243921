//! `expression(condition)`: a sliding window that holds events while a condition
//! over the window holds (ExpressionWindowProcessor). The condition is evaluated
//! with three events in scope — the event (bare attributes), `first` (the oldest
//! held event) and `last` (the arriving event) — and may use aggregates over the
//! window (`count() <= 20`, `sum(volume) < 100`), which count an event in when it
//! is evaluated as arriving and out when it is evaluated as leaving.
//!
//! An arrival is held and the condition evaluated; if it fails, held events leave
//! oldest first (stamped with the arrival time), the condition being evaluated
//! after each with the leaving event, the new first event (or the leaving one when
//! none is left) and the arrival, until it holds again. The leaving events come
//! out before the arrival (which itself leaves at once if the condition fails
//! with it alone).
//!
//! The condition may be read from each event (`expression(rule)` with `rule` a
//! string attribute). When an event's text differs from the condition in force,
//! the text is compiled (as the front end checks a constant one), its aggregates
//! start empty and the held events are taken in again one by one under it, oldest
//! first, leaving as they would on arrival; then the event itself arrives. An
//! event whose text does not compile is reported and dropped (the reference
//! throws), and the condition in force stays.

use super::{Emitted, Extractor, StreamEvent, Window};
use crate::aggregate::Aggregator;
use crate::query::expr::{CExpr, Env};
use crate::query::selector::AggregatorFactory;
use crate::value::{Row, Value};
use std::collections::{HashMap, VecDeque};
use std::sync::Arc;

/// A compiled window condition (see `sluice_frontend::semantic::window_condition`):
/// it reads the event's, the first event's and the last event's values and
/// timestamps (`width` values each), then the aggregates' values.
pub struct ConditionSpec {
    /// The condition.
    pub condition: CExpr,
    /// The aggregates: factory and argument (over the event's values).
    pub aggregates: Vec<(AggregatorFactory, Option<CExpr>)>,
    /// Values per event (attributes and timestamp).
    pub width: usize,
}

/// How an evaluation counts in the aggregates (the reference's event type).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(super) enum Pass {
    /// The event enters: aggregates add it.
    Current,
    /// The event leaves: aggregates remove it.
    Expired,
    /// The aggregates start over.
    Reset,
}

/// Compiles the text of a condition read from an event.
pub type ConditionCompiler = Arc<dyn Fn(&str) -> Result<Arc<ConditionSpec>, String> + Send + Sync>;

/// A condition read from each event: the string attribute (or expression) that
/// holds its text, and how to compile a text.
#[derive(Clone)]
pub struct PerEventCondition {
    /// Reads the condition's text from an event.
    pub text: Extractor,
    /// Compiles a text over the window's input.
    pub compile: ConditionCompiler,
}

/// How many compiled texts a per-event condition keeps for reuse.
const COMPILED_TEXTS_KEPT: usize = 64;

/// The per-event source of a condition and the text in force.
struct PerEventState {
    source: PerEventCondition,
    text: Option<String>,
    compiled: HashMap<String, Arc<ConditionSpec>>,
}

/// A window condition with its aggregates' state.
pub(super) struct Condition {
    /// `None` only for a per-event condition before its first event.
    spec: Option<Arc<ConditionSpec>>,
    aggregates: Vec<Box<dyn Aggregator>>,
    per_event: Option<PerEventState>,
}

impl Condition {
    /// A fresh condition state.
    pub(super) fn new(spec: Arc<ConditionSpec>) -> Condition {
        let aggregates = spec.aggregates.iter().map(|(f, _)| f()).collect();
        Condition { spec: Some(spec), aggregates, per_event: None }
    }

    /// A condition read from each event; it has none until the first event.
    pub(super) fn per_event(source: PerEventCondition) -> Condition {
        Condition {
            spec: None,
            aggregates: Vec::new(),
            per_event: Some(PerEventState { source, text: None, compiled: HashMap::new() }),
        }
    }

    /// For a condition read from each event, takes `ev`'s text: `Ok(true)` when it
    /// replaced the condition in force (its aggregates start empty, and the window
    /// takes what it holds in again), `Err` when it cannot be used. A fixed
    /// condition always gives `Ok(false)`.
    pub(super) fn follow(&mut self, ev: &StreamEvent) -> Result<bool, String> {
        let Some(state) = &mut self.per_event else {
            return Ok(false);
        };
        let text = match (state.source.text)(&ev.row) {
            Value::String(t) => t,
            Value::Null => return Err("the event's condition is null".into()),
            other => return Err(format!("the event's condition is not a string: {other}")),
        };
        if state.text.as_deref() == Some(&*text) {
            return Ok(false);
        }
        let spec = match state.compiled.get(&*text) {
            Some(spec) => spec.clone(),
            None => {
                let spec = (state.source.compile)(&text).map_err(|e| format!("condition '{text}': {e}"))?;
                if state.compiled.len() >= COMPILED_TEXTS_KEPT {
                    state.compiled.clear();
                }
                state.compiled.insert(text.to_string(), spec.clone());
                spec
            }
        };
        state.text = Some(text.to_string());
        self.aggregates = spec.aggregates.iter().map(|(f, _)| f()).collect();
        self.spec = Some(spec);
        Ok(true)
    }

    /// Evaluates the condition for `ev` with `first` and `last` in scope, after
    /// the aggregates take the pass. Null counts as false.
    pub(super) fn eval(&mut self, pass: Pass, ev: &StreamEvent, first: &StreamEvent, last: &StreamEvent) -> bool {
        let Some(spec) = self.spec.clone() else {
            return false;
        };
        let w = spec.width;
        let mut row: Vec<Value> = Vec::with_capacity(3 * w + self.aggregates.len());
        for e in [ev, first, last] {
            row.extend(e.row.iter().take(w - 1).cloned());
            row.resize(row.len() + (w - 1).saturating_sub(e.row.len()), Value::Null);
            row.push(Value::Long(e.ts));
        }
        let env = Env { event_ts: ev.ts, now: last.ts, ..Env::default() };
        for (agg, (_, arg)) in self.aggregates.iter_mut().zip(&spec.aggregates) {
            let v = arg.as_ref().map_or(Value::Bool(true), |a| a.eval(&row, &env));
            match pass {
                Pass::Current => agg.add(&v),
                Pass::Expired => agg.remove(&v),
                Pass::Reset => agg.reset(),
            }
        }
        row.extend(self.aggregates.iter().map(|a| a.value()));
        spec.condition.eval(&row, &env) == Value::Bool(true)
    }
}

/// The `expression` window state.
pub(super) struct ExpressionWindow {
    /// The condition.
    pub(super) condition: Condition,
    /// The held events, oldest first.
    pub(super) held: VecDeque<StreamEvent>,
}

impl ExpressionWindow {
    /// Holds `ev` and lets events leave (stamped `now`) until the condition holds.
    fn hold(&mut self, ev: &StreamEvent, now: i64, out: &mut Vec<Emitted>) {
        self.held.push_back(ev.clone());
        let first = self.held.front().cloned().unwrap_or_else(|| ev.clone());
        if !self.condition.eval(Pass::Current, ev, &first, ev) {
            while let Some(mut gone) = self.held.pop_front() {
                gone.ts = now;
                let first = self.held.front().cloned().unwrap_or_else(|| gone.clone());
                let holds = self.condition.eval(Pass::Expired, &gone, &first, ev);
                out.push(Emitted::Expired(gone));
                if holds {
                    break;
                }
            }
        }
    }
}

impl Window for ExpressionWindow {
    fn on_event(&mut self, ev: StreamEvent, out: &mut Vec<Emitted>) {
        let now = ev.ts;
        match self.condition.follow(&ev) {
            Err(e) => {
                eprintln!("error: window expression: {e}; the event is dropped");
                return;
            }
            Ok(true) => {
                let held: Vec<StreamEvent> = self.held.drain(..).collect();
                for h in &held {
                    self.hold(h, now, out);
                }
            }
            Ok(false) => {}
        }
        self.hold(&ev, now, out);
        out.push(Emitted::Current(ev));
    }
    fn on_time(&mut self, _now: i64, _out: &mut Vec<Emitted>) {}
    fn is_batch(&self) -> bool {
        // Every chunk is a batch in the reference (siddhi 5.1 "considers all
        // chunks as batches"): an aggregating query emits a chunk's last event.
        true
    }
    fn contents(&self) -> Vec<Row> {
        super::rows(&self.held)
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests_support::kinds;
    use super::*;
    use crate::query::selector::AggregatorFactory;
    use sluice_frontend::ast::BinaryOp;

    fn ev(ts: i64, v: i64) -> StreamEvent {
        StreamEvent { ts, row: Arc::from(vec![Value::Long(v)]) }
    }

    /// `count() <= n` over rows of one long attribute (width 2).
    fn count_at_most(n: i64) -> Arc<ConditionSpec> {
        let count: AggregatorFactory = Arc::new(|| crate::aggregate::aggregator("count", &[]).expect("count exists"));
        let condition = CExpr::Binary(BinaryOp::Le, Box::new(CExpr::Col(6)), Box::new(CExpr::Const(Value::Long(n))));
        Arc::new(ConditionSpec { condition, aggregates: vec![(count, None)], width: 2 })
    }

    /// `eventTimestamp(last) - eventTimestamp(first) <= d`.
    fn span_at_most(d: i64) -> Arc<ConditionSpec> {
        let span = CExpr::Binary(BinaryOp::Sub, Box::new(CExpr::Col(5)), Box::new(CExpr::Col(3)));
        let condition = CExpr::Binary(BinaryOp::Le, Box::new(span), Box::new(CExpr::Const(Value::Long(d))));
        Arc::new(ConditionSpec { condition, aggregates: vec![], width: 2 })
    }

    #[test]
    fn count_bounded_window_expires_the_oldest() {
        let mut w = ExpressionWindow { condition: Condition::new(count_at_most(2)), held: VecDeque::new() };
        let mut out = Vec::new();
        for i in 0..4 {
            w.on_event(ev(i, i), &mut out);
        }
        assert_eq!(kinds(&out), ["+0", "+1", "-0", "+2", "-1", "+3"]);
        assert_eq!(w.contents().len(), 2);
    }

    #[test]
    fn first_and_last_timestamps_bound_the_span() {
        let mut w = ExpressionWindow { condition: Condition::new(span_at_most(2)), held: VecDeque::new() };
        let mut out = Vec::new();
        for i in 0..5 {
            w.on_event(ev(i, i), &mut out);
        }
        assert_eq!(kinds(&out), ["+0", "+1", "+2", "-0", "+3", "-1", "+4"]);
        let Some(Emitted::Expired(e)) = out.get(3) else { panic!("{out:?}") };
        // The leaving event carries the arrival's time.
        assert_eq!(e.ts, 3);
    }

    #[test]
    fn an_event_failing_alone_leaves_at_once() {
        let mut w = ExpressionWindow { condition: Condition::new(count_at_most(0)), held: VecDeque::new() };
        let mut out = Vec::new();
        w.on_event(ev(0, 7), &mut out);
        assert_eq!(kinds(&out), ["-7", "+7"]);
        assert!(w.contents().is_empty());
    }

    /// An expression window whose condition is the text in column 1: `"n"`
    /// means `count() <= n`; anything else does not compile.
    fn per_event_window() -> ExpressionWindow {
        let compile: ConditionCompiler = Arc::new(|t: &str| t.parse().map(count_at_most).map_err(|_| "no".to_string()));
        let text: Extractor = Arc::new(|row: &[Value]| row[1].clone());
        ExpressionWindow { condition: Condition::per_event(PerEventCondition { text, compile }), held: VecDeque::new() }
    }

    fn ev_with(ts: i64, v: i64, condition: &str) -> StreamEvent {
        StreamEvent { ts, row: Arc::from(vec![Value::Long(v), Value::String(Arc::from(condition))]) }
    }

    #[test]
    fn a_new_condition_from_an_event_retakes_the_held_events() {
        let mut w = per_event_window();
        let mut out = Vec::new();
        for i in 0..3 {
            w.on_event(ev_with(i, i, "3"), &mut out);
        }
        // (`kinds` shows every column: the value, then the condition's text.)
        assert_eq!(kinds(&out), ["+03", "+13", "+23"]);
        out.clear();
        // Under `count() <= 1` the held 0, 1, 2 are taken in again: 0 and 1 leave;
        // then 3 arrives and 2 leaves.
        w.on_event(ev_with(3, 3, "1"), &mut out);
        assert_eq!(kinds(&out), ["-03", "-13", "-23", "+31"]);
        assert!(out.iter().all(|e| matches!(e, Emitted::Expired(e) | Emitted::Current(e) if e.ts == 3)));
    }

    #[test]
    fn an_event_whose_condition_does_not_compile_is_dropped() {
        let mut w = per_event_window();
        let mut out = Vec::new();
        w.on_event(ev_with(0, 0, "1"), &mut out);
        w.on_event(ev_with(1, 1, "not a condition"), &mut out);
        w.on_event(ev_with(2, 2, "1"), &mut out);
        assert_eq!(kinds(&out), ["+01", "-01", "+21"]);
    }

    #[test]
    fn batches_close_on_the_failing_event() {
        let mut w = crate::window::expression_batch::ExpressionBatch {
            condition: Condition::new(count_at_most(2)),
            include_triggering: false,
            stream_current: false,
            current: Vec::new(),
            expired: Vec::new(),
            pending: Vec::new(),
        };
        let mut out = Vec::new();
        for i in 0..5 {
            w.on_event(ev(i, i), &mut out);
        }
        assert_eq!(kinds(&out), ["+0", "+1", "-0", "-1", "+2", "+3"]);
        assert_eq!(w.contents().len(), 1);
    }

    #[test]
    fn streamed_batches_pass_events_at_once() {
        let mut w = crate::window::expression_batch::ExpressionBatch {
            condition: Condition::new(count_at_most(2)),
            include_triggering: false,
            stream_current: true,
            current: Vec::new(),
            expired: Vec::new(),
            pending: Vec::new(),
        };
        let mut out = Vec::new();
        for i in 0..3 {
            w.on_event(ev(i, i), &mut out);
        }
        assert_eq!(kinds(&out), ["+0", "+1", "-0", "-1", "+2"]);
    }
}
