//! The processor of a join of two inputs, as the reference's `JoinProcessor`
//! behaves: an arrival on one side passes that side's window; each event the window
//! releases (current or expired) looks up the other side's window contents with the
//! `on` condition and yields joined rows of the same kind (`left ++ right ++
//! presence`, the markers `t is null` reads), or — for an outer side with no
//! match — the row with nulls for the other side. Each event's results are one
//! chunk for the selector. `unidirectional` limits which side's arrivals trigger.
//!
//! When `on` holds an equality between a left and a right attribute, each side's
//! window contents are also kept by that key and an arrival looks up only its
//! key's rows (in arrival order, as the scan would find them), and a table side
//! whose primary key is that attribute is probed by key; `on` is still evaluated
//! in full on every candidate. Other conditions scan the other side.

use super::expr::{CExpr, Env};
use super::rate::{RateLimiter, RateSpec};
use super::selector::{ChunkEvent, Selected, Selector, SelectorSpec};
use super::single::WindowFactory;
use crate::relation::{RelationRef, Relations};
use crate::runtime::graph::{Emit, Processor};
use crate::runtime::message::{Kind, Msg};
use crate::value::{Row, Value};
use crate::window::{self, Emitted, StreamEvent, Window};
use std::collections::{HashMap, VecDeque};
use std::rc::Rc;
use std::sync::Arc;

/// A side's presence marker in a joined row: `true`, or null where it has no event.
fn presence(side: Option<&Row>) -> Value {
    if side.is_some() {
        Value::Bool(true)
    } else {
        Value::Null
    }
}

/// One side of a join.
#[derive(Clone)]
pub struct JoinSideSpec {
    /// Filters on arriving events (over this side's row).
    pub filters: Vec<CExpr>,
    /// The window; without one, arrivals are joined but not kept.
    pub window: Option<WindowFactory>,
    /// How many attributes this side has.
    pub width: usize,
    /// Whether this side's arrivals produce output.
    pub triggers: bool,
    /// Whether an unmatched event of this side is output with nulls (outer join).
    pub outer: bool,
    /// The table or named window this side reads, whose rows it looks up.
    pub shared: Option<RelationRef>,
}

/// The compiled form of a join query.
#[derive(Clone)]
pub struct JoinQuerySpec {
    /// Left and right.
    pub sides: [JoinSideSpec; 2],
    /// `on`, over the joined row.
    pub on: Option<CExpr>,
    /// An equality of `on`: the attribute positions in the left and right rows.
    pub keys: Option<[usize; 2]>,
    /// The selector.
    pub selector: Arc<SelectorSpec>,
    /// Rate limiting.
    pub rate: RateSpec,
    /// Whether the query outputs expired events (`insert all|expired events`).
    pub expects_expired: bool,
}

/// A running join.
pub struct JoinQuery {
    spec: Arc<JoinQuerySpec>,
    windows: [Option<Box<dyn Window>>; 2],
    contents: [VecDeque<Row>; 2],
    by_key: [HashMap<Value, VecDeque<Row>>; 2],
    selector: Selector,
    rate: RateLimiter,
    now: i64,
    relations: Option<Rc<Relations>>,
}

impl JoinQuery {
    /// A join with empty windows.
    pub fn new(spec: Arc<JoinQuerySpec>) -> JoinQuery {
        JoinQuery {
            windows: [spec.sides[0].window.as_ref().map(|f| f()), spec.sides[1].window.as_ref().map(|f| f())],
            contents: [VecDeque::new(), VecDeque::new()],
            by_key: [HashMap::new(), HashMap::new()],
            selector: Selector::new(spec.selector.clone()),
            rate: RateLimiter::new(spec.rate.clone()),
            now: i64::MIN,
            spec,
            relations: None,
        }
    }

    /// The same join reading `relations` (table and named-window sides, `in T`).
    pub fn with_relations(mut self, relations: Option<Rc<Relations>>) -> JoinQuery {
        self.relations = relations;
        self
    }

    /// The joined row `left ++ right ++ presence` (the markers `t is null` reads,
    /// [`sluice_frontend::logical::JOIN_PRESENCE`]); an absent side is nulls.
    fn joined(&self, side: usize, mine: Option<&Row>, other: Option<&Row>) -> Row {
        let (left, right) = if side == 0 { (mine, other) } else { (other, mine) };
        let mut out = Vec::with_capacity(self.spec.sides[0].width + self.spec.sides[1].width + 2);
        match left {
            Some(r) => out.extend(r.iter().cloned()),
            None => out.extend(std::iter::repeat_n(Value::Null, self.spec.sides[0].width)),
        }
        match right {
            Some(r) => out.extend(r.iter().cloned()),
            None => out.extend(std::iter::repeat_n(Value::Null, self.spec.sides[1].width)),
        }
        out.extend([left, right].map(presence));
        Arc::from(out)
    }

    /// Keeps an arriving row of a side.
    fn keep(&mut self, side: usize, row: &Row) {
        match self.spec.keys {
            Some(keys) => {
                let key = row.get(keys[side]).cloned().unwrap_or(Value::Null);
                self.by_key[side].entry(key).or_default().push_back(row.clone());
            }
            None => self.contents[side].push_back(row.clone()),
        }
    }

    /// Reads side `side`'s rows from its window when they are not what it
    /// released less what it expired (`frequent`, `lossyFrequent`: the
    /// reference's join finds over the window's own map).
    fn resync(&mut self, side: usize) {
        let rows = match &self.windows[side] {
            Some(w) if w.holds_other_than_released() && self.spec.sides[side].shared.is_none() => w.contents(),
            _ => return,
        };
        self.contents[side].clear();
        self.by_key[side].clear();
        for row in &rows {
            self.keep(side, row);
        }
    }

    /// Forgets an expired row of a side.
    fn forget(&mut self, side: usize, row: &Row) {
        match self.spec.keys {
            Some(keys) => {
                let key = row.get(keys[side]).cloned().unwrap_or(Value::Null);
                if let Some(rows) = self.by_key[side].get_mut(&key) {
                    if let Some(i) = rows.iter().position(|r| r == row) {
                        rows.remove(i);
                    }
                    if rows.is_empty() {
                        self.by_key[side].remove(&key);
                    }
                }
            }
            None => {
                if let Some(i) = self.contents[side].iter().position(|r| r == row) {
                    self.contents[side].remove(i);
                }
            }
        }
    }

    /// Calls `f` on each row of side `other` that an event of side `side` with
    /// `row` may join, in the order a scan would find them.
    fn for_each_candidate(&self, side: usize, other: usize, row: &Row, f: impl FnMut(&Row)) {
        let key = self.spec.keys.map(|k| row.get(k[side]).cloned().unwrap_or(Value::Null));
        match (self.spec.sides[other].shared, &self.relations) {
            (Some(RelationRef::Table(t)), Some(relations)) => {
                let table = relations.tables[t].borrow();
                match (key, self.spec.keys) {
                    (Some(key), Some(k)) if table.primary_key() == [k[other]] => {
                        table.get(&[key]).into_iter().for_each(f)
                    }
                    _ => table.rows().for_each(f),
                }
            }
            (Some(r), Some(relations)) => relations.with_rows(r, |rows| rows.for_each(f)),
            _ => match key {
                Some(key) => self.by_key[other].get(&key).into_iter().flatten().for_each(f),
                None => self.contents[other].iter().for_each(f),
            },
        }
    }

    /// Handles what side `side`'s window released.
    fn released(&mut self, side: usize, emitted: Vec<Emitted>, out: &mut Vec<Emit>) {
        let other = 1 - side;
        let env = Env::new(self.now, self.now, &self.relations);
        let shared = self.spec.sides[side].shared.is_some();
        let keeps = self.windows[side].is_some() && !shared;
        for e in emitted {
            let (kind, ev) = match e {
                Emitted::Reset => {
                    self.contents[side].clear();
                    self.by_key[side].clear();
                    // The reference's join passes a reset to the selector only
                    // from a side whose arrivals trigger output.
                    if self.spec.sides[side].triggers {
                        self.select(&[ChunkEvent::Reset], out);
                    }
                    continue;
                }
                Emitted::Current(ev) => {
                    if keeps {
                        self.keep(side, &ev.row);
                    }
                    (Kind::Current, ev)
                }
                Emitted::Expired(ev) => {
                    if keeps {
                        self.forget(side, &ev.row);
                    }
                    (Kind::Expired, ev)
                }
            };
            if !self.spec.sides[side].triggers {
                continue;
            }
            let env = env.at(ev.ts);
            let mut chunk = Vec::new();
            self.for_each_candidate(side, other, &ev.row, |candidate| {
                let row = self.joined(side, Some(&ev.row), Some(candidate));
                if self.spec.on.as_ref().is_none_or(|c| c.test(&row, &env)) {
                    chunk.push(ChunkEvent::Event { kind, row, ts: ev.ts });
                }
            });
            if chunk.is_empty() && self.spec.sides[side].outer {
                chunk.push(ChunkEvent::Event { kind, row: self.joined(side, Some(&ev.row), None), ts: ev.ts });
            }
            if !chunk.is_empty() {
                self.select(&chunk, out);
            }
        }
    }

    fn select(&mut self, chunk: &[ChunkEvent], out: &mut Vec<Emit>) {
        let env = Env::new(self.now, self.now, &self.relations);
        let mut selected: Vec<Selected> = Vec::new();
        // The reference selects each event's join results as one batch.
        self.selector.process(chunk, true, &env, &mut selected);
        self.rate.process_into(selected, self.now, out);
    }

    /// Moves the clock to `ts` and joins what the windows expire by then.
    fn advance_windows(&mut self, ts: i64, out: &mut Vec<Emit>) {
        self.now = self.now.max(ts);
        for side in 0..2 {
            while let Some(w) = &mut self.windows[side] {
                let mut emitted = Vec::new();
                let before = w.next_deadline();
                w.on_time(self.now, &mut emitted);
                let after = w.next_deadline();
                if !emitted.is_empty() {
                    self.released(side, emitted, out);
                }
                if !window::more_due(before, after, self.now) {
                    break;
                }
            }
        }
    }
}

impl Processor for JoinQuery {
    fn on_event(&mut self, input: usize, msg: &Msg, out: &mut Vec<Emit>) {
        if msg.ts > self.now {
            self.on_tick(msg.ts, out);
        }
        self.now = self.now.max(msg.ts);
        self.rate.start(self.now);
        let side = input.min(1);
        let env = Env::new(msg.ts, self.now, &self.relations);
        if msg.kind == Kind::Expired || !self.spec.sides[side].filters.iter().all(|f| f.test(&msg.row, &env)) {
            return;
        }
        let ev = StreamEvent { ts: msg.ts, row: msg.row.clone() };
        let mut emitted = Vec::new();
        match &mut self.windows[side] {
            Some(w) => w.on_event(ev, &mut emitted),
            // A stream side without a window behaves as the reference's
            // EmptyWindowProcessor: the event, its expired copy at once when the
            // query outputs expired events, then a reset (aggregates restart).
            None => {
                let expired = StreamEvent { ts: self.now, row: ev.row.clone() };
                emitted.push(Emitted::Current(ev));
                if self.spec.expects_expired {
                    emitted.push(Emitted::Expired(expired));
                }
                emitted.push(Emitted::Reset);
            }
        }
        self.released(side, emitted, out);
        self.resync(side);
    }

    fn on_window_output(&mut self, input: usize, now: i64, chunk: Vec<Emitted>, _batch: bool, out: &mut Vec<Emit>) {
        if now > self.now {
            self.on_tick(now, out);
        }
        self.rate.start(self.now);
        let side = input.min(1);
        let env = Env::new(now, self.now, &self.relations);
        let filters = &self.spec.sides[side].filters;
        let chunk: Vec<Emitted> = chunk
            .into_iter()
            .filter(|e| match e {
                Emitted::Current(ev) | Emitted::Expired(ev) => filters.iter().all(|f| f.test(&ev.row, &env)),
                Emitted::Reset => false,
            })
            .collect();
        self.released(side, chunk, out);
    }

    fn on_tick(&mut self, ts: i64, out: &mut Vec<Emit>) {
        while let Some(end) = self.rate.period_end_by(ts) {
            self.advance_windows(end - 1, out);
            self.rate.tick_into(end, out);
        }
        self.advance_windows(ts, out);
        self.rate.tick_into(self.now, out);
    }

    fn next_deadline(&self) -> Option<i64> {
        self.windows
            .iter()
            .flatten()
            .map(|w| w.next_deadline())
            .fold(self.rate.next_deadline(), super::single::earliest)
    }
}
