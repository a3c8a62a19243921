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

use super::{Emitted, StreamEvent, Window};
use crate::aggregate::Aggregator;
use crate::query::expr::{CExpr, Env};
use crate::query::selector::AggregatorFactory;
use crate::value::{Row, Value};
use std::collections::VecDeque;
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

/// A window condition with its aggregates' state.
pub(super) struct Condition {
    spec: Arc<ConditionSpec>,
    aggregates: Vec<Box<dyn Aggregator>>,
}

impl Condition {
    /// A fresh condition state.
    pub(super) fn new(spec: Arc<ConditionSpec>) -> Condition {
        let aggregates = spec.aggregates.iter().map(|(f, _)| f()).collect();
        Condition { spec, aggregates }
    }

    /// Evaluates the condition for `ev` with `first` and `last` in scope, after
    /// the aggregates take the pass. Null counts as false.
    pub(super) fn eval(&mut self, pass: Pass, ev: &StreamEvent, first: &StreamEvent, last: &StreamEvent) -> bool {
        let w = self.spec.width;
        let mut row: Vec<Value> = Vec::with_capacity(3 * w + self.aggregates.len());
        for e in [ev, first, last] {
            row.extend(e.row.iter().take(w - 1).cloned());
            row.resize(row.len() + (w - 1).saturating_sub(e.row.len()), Value::Null);
            row.push(Value::Long(e.ts));
        }
        let env = Env { event_ts: ev.ts, now: last.ts, ..Env::default() };
        for (agg, (_, arg)) in self.aggregates.iter_mut().zip(&self.spec.aggregates) {
            let v = arg.as_ref().map_or(Value::Bool(true), |a| a.eval(&row, &env));
            match pass {
                Pass::Current => agg.add(&v),
                Pass::Expired => agg.remove(&v),
                Pass::Reset => agg.reset(),
            }
        }
        row.extend(self.aggregates.iter().map(|a| a.value()));
        self.spec.condition.eval(&row, &env) == Value::Bool(true)
    }
}

/// The `expression` window state.
pub(super) struct ExpressionWindow {
    /// The condition.
    pub(super) condition: Condition,
    /// The held events, oldest first.
    pub(super) held: VecDeque<StreamEvent>,
}

impl Window for ExpressionWindow {
    fn on_event(&mut self, ev: StreamEvent, out: &mut Vec<Emitted>) {
        let now = ev.ts;
        self.held.push_back(ev.clone());
        let first = self.held.front().cloned().unwrap_or_else(|| ev.clone());
        if !self.condition.eval(Pass::Current, &ev, &first, &ev) {
            while let Some(mut gone) = self.held.pop_front() {
                gone.ts = now;
                let first = self.held.front().cloned().unwrap_or_else(|| gone.clone());
                let holds = self.condition.eval(Pass::Expired, &gone, &first, &ev);
                out.push(Emitted::Expired(gone));
                if holds {
                    break;
                }
            }
        }
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

    #[test]
    fn batches_close_on_the_failing_event() {
        let mut w = crate::window::expression_batch::ExpressionBatch {
            condition: Condition::new(count_at_most(2)),
            include_triggering: false,
            stream_current: false,
            current: Vec::new(),
            expired: Vec::new(),
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
        };
        let mut out = Vec::new();
        for i in 0..3 {
            w.on_event(ev(i, i), &mut out);
        }
        assert_eq!(kinds(&out), ["+0", "+1", "-0", "-1", "+2"]);
    }
}
