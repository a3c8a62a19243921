//! Named aggregations (`define aggregation A from S select … group by …
//! aggregate [by ts] every sec … year`): buckets per granularity and group kept
//! by the group node that owns `A` ([`state::Aggregation`]), fed by a member
//! that reads `S` ([`Feed`]), and read by joins (`from S join A on … within …
//! per …`, [`join::AggregationJoin`]) and on-demand queries at their logical
//! time, so a reader sees exactly the events before it.

pub mod join;
pub mod state;
pub mod time;

#[cfg(test)]
mod tests;

use crate::query::expr::{CExpr, Env};
use crate::relation::Relations;
use crate::runtime::graph::{Emit, Processor};
use crate::runtime::message::Msg;
use crate::value::Value;
use std::rc::Rc;
use std::sync::Arc;

/// An aggregate an aggregation keeps.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AggKind {
    /// `sum(x)`.
    Sum,
    /// `count()`.
    Count,
    /// `avg(x)`.
    Avg,
    /// `min(x)`.
    Min,
    /// `max(x)`.
    Max,
    /// `distinctCount(x)`.
    DistinctCount,
}

impl AggKind {
    /// The aggregate a (lower-case) function name calls, if an aggregation keeps it.
    pub fn of(name: &str) -> Option<AggKind> {
        Some(match name {
            "sum" => AggKind::Sum,
            "count" => AggKind::Count,
            "avg" => AggKind::Avg,
            "min" => AggKind::Min,
            "max" => AggKind::Max,
            "distinctcount" => AggKind::DistinctCount,
            _ => return None,
        })
    }
}

/// One selected attribute of an aggregation.
#[derive(Clone, Debug)]
pub enum ColumnSpec {
    /// A plain value over the stream's row: the latest event's.
    Value(CExpr),
    /// An aggregate of `arg` (over the stream's row); `integral` when a sum is a long.
    Aggregate {
        /// Which aggregate.
        kind: AggKind,
        /// Its argument.
        arg: Option<CExpr>,
        /// Whether its sum is integral.
        integral: bool,
    },
}

/// A compiled aggregation definition.
#[derive(Clone, Debug)]
pub struct AggregationSpec {
    /// Its name.
    pub name: String,
    /// Filters on the stream's events.
    pub filters: Vec<CExpr>,
    /// `aggregate by`: the event's timestamp; `None`: event time.
    pub timestamp: Option<CExpr>,
    /// `group by`.
    pub group_by: Vec<CExpr>,
    /// The selected attributes (after `AGG_TIMESTAMP`).
    pub columns: Vec<ColumnSpec>,
    /// The granularities kept, finest first (0 sec … 5 year).
    pub granularities: Vec<usize>,
}

/// The member of a group that feeds aggregation number `index` with its stream.
pub struct Feed {
    index: usize,
    relations: Option<Rc<Relations>>,
    now: i64,
}

impl Feed {
    /// A feeder of aggregation `index` of `relations`.
    pub fn new(index: usize, relations: Option<Rc<Relations>>) -> Feed {
        Feed { index, relations, now: i64::MIN }
    }
}

impl Processor for Feed {
    fn on_event(&mut self, _input: usize, msg: &Msg, _out: &mut Vec<Emit>) {
        self.now = self.now.max(msg.ts);
        let Some(relations) = &self.relations else { return };
        let env = Env::new(msg.ts, self.now, &self.relations);
        if let Some(a) = relations.aggregations.get(self.index) {
            a.borrow_mut().ingest(&msg.row, msg.ts, &env);
        }
    }
}

/// What a read asks for: `within` evaluated (`range`: one pattern string, or a
/// start and an end, each a long or a string) and `per` evaluated. Gives the
/// range `[start, end)` and the granularity, or why the reference refuses it.
pub fn resolve(range: &[Value], per: &Value) -> Result<(i64, i64, usize), String> {
    let instant = |v: &Value| match v {
        Value::Long(t) => Ok(*t),
        Value::Int(t) => Ok(*t as i64),
        Value::String(s) => time::parse_time(s).ok_or(format!("'{s}' is not a time (yyyy-MM-dd HH:mm:ss[ +hh:mm])")),
        other => Err(format!("`within` takes a long or a string, not {other}")),
    };
    let (start, end) = match range {
        [Value::String(s)] => time::parse_pattern(s)?,
        [a, b] => (instant(a)?, instant(b)?),
        _ => return Err("`within` takes a start and an end, or one pattern string".into()),
    };
    if start >= end {
        return Err(format!(
            "the start time must be less than the end time in the within clause (start {start}, end {end})"
        ));
    }
    let per = match per {
        Value::String(s) => sluice_frontend::semantic::granularity(s)
            .ok_or(format!("per value '{s}' is not one of seconds, minutes, hours, days, months, years"))?,
        other => return Err(format!("per value {other} is not one of seconds, minutes, hours, days, months, years")),
    };
    Ok((start, end, per))
}

/// Reads aggregation `index` of `relations` for `within` / `per` values.
pub fn read(
    relations: &Relations,
    index: usize,
    range: &[Value],
    per: &Value,
    now: i64,
) -> Result<(i64, i64, Vec<crate::value::Row>), String> {
    let (start, end, g) = resolve(range, per)?;
    let a = relations.aggregations.get(index).ok_or("no such aggregation")?;
    let rows = a.borrow().read(start, end, g, now)?;
    Ok((start, end, rows))
}

/// Shares a spec (for factories).
pub type SpecRef = Arc<AggregationSpec>;
