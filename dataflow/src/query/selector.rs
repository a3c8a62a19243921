//! The selector of a query: projection, aggregation per group, `having`,
//! `order by`, `limit` and `offset`, applied to one chunk of events at a time —
//! the events a window released for one arrival or one clock tick — exactly as the
//! reference implementation's `QuerySelector` does (including its batch rule: for
//! a batch window with aggregates only the last event of the chunk, per group, is
//! emitted).

use super::expr::{CExpr, Env};
use crate::aggregate::Aggregator;
use crate::runtime::message::Kind;
use crate::value::{Row, Value};
use std::collections::HashMap;
use std::sync::Arc;

/// One event of a chunk entering the selector.
#[derive(Clone, Debug)]
pub enum ChunkEvent {
    /// An arriving or expiring event with its (flat) input row.
    Event {
        /// Current or expired.
        kind: Kind,
        /// The input row.
        row: Row,
        /// Its timestamp.
        ts: i64,
    },
    /// A batch window starts over: aggregates reset.
    Reset,
}

/// An output event of the selector, with its group key for group-aware rate limiting.
#[derive(Clone, Debug)]
pub struct Selected {
    /// Current or expired.
    pub kind: Kind,
    /// The output row.
    pub row: Row,
    /// The timestamp.
    pub ts: i64,
    /// The group key (empty without `group by`).
    pub group: Vec<Value>,
}

/// Makes an aggregator for one aggregate call.
pub type AggregatorFactory = Arc<dyn Fn() -> Box<dyn Aggregator> + Send + Sync>;

/// One aggregate call of the select clause.
#[derive(Clone)]
pub struct AggregateSpec {
    /// Makes a fresh aggregator.
    pub factory: AggregatorFactory,
    /// Its argument (`None`: no argument, as `count()`).
    pub arg: Option<CExpr>,
    /// Its further arguments (`map:collect(key, value)`, `list:collect(v, distinct)`),
    /// handed with the first to [`Aggregator::add_all`]; empty for most aggregates.
    pub more: Vec<CExpr>,
}

/// The compiled select clause (shared by every processor of the query).
#[derive(Clone)]
pub struct SelectorSpec {
    /// Output attribute expressions over `input row ++ aggregate values`.
    pub projection: Vec<CExpr>,
    /// Aggregate calls.
    pub aggregates: Vec<AggregateSpec>,
    /// `group by` expressions over the input row.
    pub group_by: Vec<CExpr>,
    /// `having` over the output row.
    pub having: Option<CExpr>,
    /// `order by` over the output row: expression and descending.
    pub order_by: Vec<(CExpr, bool)>,
    /// `limit`.
    pub limit: Option<usize>,
    /// `offset`.
    pub offset: Option<usize>,
    /// Whether current events are output.
    pub current_on: bool,
    /// Whether expired events are output.
    pub expired_on: bool,
    /// Whether batch chunks are reduced to their last event (off under `output snapshot`).
    pub batching: bool,
}

/// The selector's state: aggregators per group.
pub struct Selector {
    spec: Arc<SelectorSpec>,
    groups: HashMap<Vec<Value>, Vec<Box<dyn Aggregator>>>,
    scratch: Vec<Value>,
}

impl Selector {
    /// A selector with no state yet.
    pub fn new(spec: Arc<SelectorSpec>) -> Selector {
        Selector { spec, groups: HashMap::new(), scratch: Vec::new() }
    }

    /// Processes one chunk; `is_batch` when a batch window released it.
    pub fn process(&mut self, chunk: &[ChunkEvent], is_batch: bool, env: &Env, out: &mut Vec<Selected>) {
        let spec = self.spec.clone();
        let grouped = !spec.group_by.is_empty();
        let batch_mode = is_batch && spec.batching && (grouped || !spec.aggregates.is_empty());
        let mut selected: Vec<Selected> = Vec::new();
        let mut last_per_group: Vec<(Vec<Value>, Selected)> = Vec::new();
        for event in chunk {
            match event {
                ChunkEvent::Reset => {
                    for aggs in self.groups.values_mut() {
                        for a in aggs.iter_mut() {
                            a.reset();
                        }
                    }
                }
                ChunkEvent::Event { kind, row, ts } => {
                    let env = env.at(*ts);
                    let key: Vec<Value> = spec.group_by.iter().map(|g| g.eval(row, &env)).collect();
                    let Some(out_row) = self.project(&spec, &key, *kind, row, &env) else {
                        continue;
                    };
                    let wanted = match kind {
                        Kind::Current => spec.current_on,
                        Kind::Expired => spec.expired_on,
                    };
                    if !wanted {
                        continue;
                    }
                    if let Some(h) = &spec.having {
                        if h.eval(&out_row, &env) != Value::Bool(true) {
                            continue;
                        }
                    }
                    let s = Selected { kind: *kind, row: out_row, ts: *ts, group: key.clone() };
                    if batch_mode {
                        match last_per_group.iter_mut().find(|(k, _)| *k == key) {
                            Some(slot) => slot.1 = s,
                            None => last_per_group.push((key, s)),
                        }
                    } else {
                        selected.push(s);
                    }
                }
            }
        }
        if batch_mode {
            selected = last_per_group.into_iter().map(|(_, s)| s).collect();
            if !grouped {
                // One event per chunk; limit/offset only decide whether it goes out.
                let keep = spec.offset.unwrap_or(0) == 0 && spec.limit.is_none_or(|l| l > 0);
                if keep {
                    out.extend(selected);
                }
                return;
            }
        }
        // The reference implementation orders and offsets only ungrouped (or batch)
        // output; for grouped per-event output it applies just the limit.
        if grouped && !batch_mode {
            if let Some(l) = spec.limit {
                selected.truncate(l);
            }
            out.extend(selected);
            return;
        }
        if !spec.order_by.is_empty() {
            let env = env.clone();
            // The reference sorts each run of events of one kind on its own
            // (`orderEventChunk`), so expired events stay before the current ones.
            let mut run = 0usize;
            let mut last_kind = None;
            let mut keyed: Vec<(usize, Vec<Value>, Selected)> = selected
                .into_iter()
                .map(|s| {
                    if last_kind.is_some_and(|k| k != s.kind) {
                        run += 1;
                    }
                    last_kind = Some(s.kind);
                    (run, spec.order_by.iter().map(|(e, _)| e.eval(&s.row, &env)).collect(), s)
                })
                .collect();
            keyed.sort_by(|a, b| {
                if a.0 != b.0 {
                    return a.0.cmp(&b.0);
                }
                for (i, (_, desc)) in spec.order_by.iter().enumerate() {
                    let o = a.1[i].cmp(&b.1[i]);
                    let o = if *desc { o.reverse() } else { o };
                    if o != std::cmp::Ordering::Equal {
                        return o;
                    }
                }
                std::cmp::Ordering::Equal
            });
            selected = keyed.into_iter().map(|(_, _, s)| s).collect();
        }
        let offset = spec.offset.unwrap_or(0);
        let iter = selected.into_iter().skip(offset);
        match spec.limit {
            // The reference's `limitEventChunk` keeps every expired event (an
            // operator-precedence slip in `limit > n && current || expired`), and
            // counts it towards the limit of the current ones.
            Some(l) => {
                let mut taken = 0;
                out.extend(iter.filter(|s| {
                    let keep = s.kind == Kind::Expired || taken < l;
                    taken += usize::from(keep);
                    keep
                }));
            }
            None => out.extend(iter),
        }
    }

    /// Updates the group's aggregates with the event and computes the output row.
    fn project(&mut self, spec: &SelectorSpec, key: &[Value], kind: Kind, row: &Row, env: &Env) -> Option<Row> {
        self.scratch.clear();
        self.scratch.extend(row.iter().cloned());
        if !spec.aggregates.is_empty() {
            let aggs = self
                .groups
                .entry(key.to_vec())
                .or_insert_with(|| spec.aggregates.iter().map(|a| (a.factory)()).collect());
            for (agg, a) in aggs.iter_mut().zip(&spec.aggregates) {
                let v = a.arg.as_ref().map_or(Value::Bool(true), |e| e.eval(row, env));
                if a.more.is_empty() {
                    match kind {
                        Kind::Current => agg.add(&v),
                        Kind::Expired => agg.remove(&v),
                    }
                } else {
                    let all: Vec<Value> = std::iter::once(v).chain(a.more.iter().map(|e| e.eval(row, env))).collect();
                    match kind {
                        Kind::Current => agg.add_all(&all),
                        Kind::Expired => agg.remove_all(&all),
                    }
                }
            }
            for agg in aggs.iter() {
                self.scratch.push(agg.value());
            }
        }
        let out: Vec<Value> = spec.projection.iter().map(|p| p.eval(&self.scratch, env)).collect();
        Some(Arc::from(out))
    }
}
