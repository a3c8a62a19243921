//! `from S join A on … within start, end per duration select …`: each event of
//! `S` reads aggregation `A` as it stands (every event before it counted), as
//! the reference's join with an aggregation does. The event's row is extended
//! with the range it read (`_START`, `_END`, which `select *` lists), each
//! aggregation row is joined to it and tested with `on`, and the joined rows go
//! to the selector as one chunk, followed by a reset (the stream side has no
//! window). A range or granularity the reference refuses drops the event with a
//! message, as the reference's runtime error does.

use crate::query::expr::{CExpr, Env};
use crate::query::rate::{RateLimiter, RateSpec};
use crate::query::selector::{ChunkEvent, Selected, Selector, SelectorSpec};
use crate::relation::Relations;
use crate::runtime::graph::{Emit, Processor};
use crate::runtime::message::{Kind, Msg};
use crate::value::{Row, Value};
use std::rc::Rc;
use std::sync::Arc;

/// A compiled join of a stream with an aggregation (the aggregation on the right).
#[derive(Clone)]
pub struct AggregationJoinSpec {
    /// Which aggregation of the group's relations.
    pub aggregation: usize,
    /// Filters on the stream's events (over its row).
    pub filters: Vec<CExpr>,
    /// `within`, over the stream's row.
    pub within: Vec<CExpr>,
    /// `per`, over the stream's row.
    pub per: CExpr,
    /// `on`, over the joined row.
    pub on: Option<CExpr>,
    /// The aggregation's width (`AGG_TIMESTAMP` included).
    pub right_width: usize,
    /// Whether an event without a match is output with nulls (`left outer join`).
    pub outer: bool,
    /// Whether the query outputs expired events too.
    pub expects_expired: bool,
    /// The selector.
    pub selector: Arc<SelectorSpec>,
    /// Rate limiting.
    pub rate: RateSpec,
}

/// A running join with an aggregation.
pub struct AggregationJoin {
    spec: Arc<AggregationJoinSpec>,
    selector: Selector,
    rate: RateLimiter,
    relations: Option<Rc<Relations>>,
    now: i64,
}

impl AggregationJoin {
    /// A join reading `relations`.
    pub fn new(spec: Arc<AggregationJoinSpec>, relations: Option<Rc<Relations>>) -> AggregationJoin {
        AggregationJoin {
            selector: Selector::new(spec.selector.clone()),
            rate: RateLimiter::new(spec.rate.clone()),
            spec,
            relations,
            now: i64::MIN,
        }
    }

    /// The joined rows of one stream event, of kind `kind`.
    fn joined(&self, row: &Row, ts: i64, kind: Kind) -> Result<Vec<ChunkEvent>, String> {
        let Some(relations) = &self.relations else { return Ok(Vec::new()) };
        let env = Env::new(ts, self.now, &self.relations);
        // The stream's row with `_START` and `_END`, unknown until `within` is read.
        let mut left: Vec<Value> = row.to_vec();
        left.extend([Value::Null, Value::Null]);
        let range: Vec<Value> = self.spec.within.iter().map(|e| e.eval(&left, &env)).collect();
        let per = self.spec.per.eval(&left, &env);
        let (start, end, rows) = super::read(relations, self.spec.aggregation, &range, &per, self.now)?;
        let width = left.len();
        left[width - 2] = Value::Long(start);
        left[width - 1] = Value::Long(end);
        let mut chunk = Vec::new();
        for r in rows {
            let present = [Value::Bool(true), Value::Bool(true)];
            let joined: Row = left.iter().chain(r.iter()).cloned().chain(present).collect();
            if self.spec.on.as_ref().is_none_or(|c| c.test(&joined, &env)) {
                chunk.push(ChunkEvent::Event { kind, row: joined, ts });
            }
        }
        if chunk.is_empty() && self.spec.outer {
            left.extend(std::iter::repeat_n(Value::Null, self.spec.right_width));
            left.extend([Value::Bool(true), Value::Null]);
            chunk.push(ChunkEvent::Event { kind, row: Arc::from(left), ts });
        }
        Ok(chunk)
    }

    fn select(&mut self, chunk: &[ChunkEvent], out: &mut Vec<Emit>) {
        let env = Env::new(self.now, self.now, &self.relations);
        let mut selected: Vec<Selected> = Vec::new();
        self.selector.process(chunk, true, &env, &mut selected);
        self.rate.process_into(selected, self.now, out);
    }
}

impl Processor for AggregationJoin {
    fn on_event(&mut self, _input: usize, msg: &Msg, out: &mut Vec<Emit>) {
        if msg.ts > self.now {
            self.on_tick(msg.ts, out);
        }
        self.now = self.now.max(msg.ts);
        self.rate.start(self.now);
        let env = Env::new(msg.ts, self.now, &self.relations);
        if msg.kind == Kind::Expired || !self.spec.filters.iter().all(|f| f.test(&msg.row, &env)) {
            return;
        }
        let mut kinds = vec![Kind::Current];
        if self.spec.expects_expired {
            kinds.push(Kind::Expired);
        }
        for kind in kinds {
            match self.joined(&msg.row, msg.ts, kind) {
                Ok(chunk) if !chunk.is_empty() => self.select(&chunk, out),
                Ok(_) => {}
                Err(e) => {
                    eprintln!("error: join with aggregation: {e}; event dropped");
                    return;
                }
            }
        }
        self.select(&[ChunkEvent::Reset], out);
    }

    fn on_tick(&mut self, ts: i64, out: &mut Vec<Emit>) {
        while let Some(end) = self.rate.period_end_by(ts) {
            self.rate.tick_into(end, out);
        }
        self.now = self.now.max(ts);
        self.rate.tick_into(self.now, out);
    }

    fn next_deadline(&self) -> Option<i64> {
        self.rate.next_deadline()
    }
}
