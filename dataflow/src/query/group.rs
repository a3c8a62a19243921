//! A group of queries that share tables or named windows, run as one processor.
//!
//! The reference delivers an event depth first: each query that reads a stream
//! processes it in definition order, and whatever a query inserts into a table,
//! window or stream is seen by the next reader before the event moves on. Queries
//! that write and read the same relation therefore run together here, against one
//! [`Relations`], and the group reproduces that delivery order among them. Every
//! member's output also leaves the node by its own port (its query callback, and
//! its target stream when it has one).

use super::expr::{has_error, keep_outputs, take_error, CExpr, Env};
use super::selector::{ChunkEvent, Selector};
use crate::relation::{NamedWindowFactory, Relations, TableFactory};
use crate::relation::{RelationRef, Verdict};
use crate::runtime::graph::{Emit, Forward, Processor};
use crate::runtime::message::{Kind, Msg, ON_DEMAND};
use crate::value::{Row, Value};
use crate::window::{Emitted, StreamEvent};
use sluice_frontend::logical::InputPlan;
use std::collections::HashMap;
use std::rc::Rc;
use std::sync::Arc;

/// Makes a member's processor over the group's relations.
pub type MemberFactory = Arc<dyn Fn(Option<Rc<Relations>>) -> Box<dyn Processor> + Send + Sync>;

/// What a table action does with each output event.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TableOp {
    /// `insert into T`.
    Insert,
    /// `delete T on …`.
    Delete,
    /// `update T set … on …`.
    Update,
    /// `update or insert into T set … on …`.
    UpdateOrInsert,
}

/// A compiled table action.
#[derive(Clone, Debug)]
pub struct TableAction {
    /// What it does.
    pub op: TableOp,
    /// Which rows, over `output row ++ table row` (none for inserts).
    pub on: Option<CExpr>,
    /// `set`: table position and new value over `output row ++ table row`.
    pub set: Vec<(usize, CExpr)>,
    /// An equality of `on` between an output attribute and a table attribute
    /// (their positions): when the latter is the primary key, rows are found by key.
    pub key: Option<(usize, usize)>,
}

/// Where a member's (forwarded) output goes inside the group.
#[derive(Clone, Debug)]
pub enum MemberSink {
    /// A stream; these `(member, input)` pairs of the group read it.
    Stream(Vec<(usize, usize)>),
    /// A table.
    Table(usize, Arc<TableAction>),
    /// A named window.
    Window(usize),
    /// Nowhere (the stream is read outside the group only, or `return`).
    Nothing,
}

/// One member query.
#[derive(Clone)]
pub struct MemberSpec {
    /// Its processor.
    pub make: MemberFactory,
    /// Which of its output events go to its sink.
    pub forward: Forward,
    /// Where they go.
    pub sink: MemberSink,
}

/// A named window hosted by the group.
#[derive(Clone)]
pub struct GroupWindow {
    /// Which events its readers receive.
    pub output: Forward,
    /// Whether it releases batches.
    pub is_batch: bool,
    /// The `(member, input)` pairs reading it.
    pub readers: Vec<(usize, usize)>,
}

/// The compiled form of a group.
#[derive(Clone)]
pub struct GroupSpec {
    /// The members, in definition order; member `m` emits by port `m`.
    pub members: Vec<MemberSpec>,
    /// For each input of the node: the `(member, input)` pairs reading it.
    pub external: Vec<Vec<(usize, usize)>>,
    /// The app's tables.
    pub tables: Vec<TableFactory>,
    /// The app's named windows.
    pub window_factories: Vec<NamedWindowFactory>,
    /// How the group uses each named window.
    pub windows: Vec<GroupWindow>,
    /// The app's named aggregations.
    pub aggregations: Vec<Arc<crate::aggregation::AggregationSpec>>,
    /// Relation names.
    pub names: HashMap<String, RelationRef>,
    /// The app's plan (on-demand queries are checked against it).
    pub plan: Arc<sluice_frontend::logical::AppPlan>,
    /// The relations whose on-demand queries this group answers.
    pub owned: Vec<String>,
}

/// A running group.
pub struct GroupProcessor {
    spec: Arc<GroupSpec>,
    relations: Rc<Relations>,
    members: Vec<Box<dyn Processor>>,
    now: i64,
}

impl GroupProcessor {
    /// A group with empty tables and windows.
    pub fn new(spec: Arc<GroupSpec>) -> GroupProcessor {
        let relations =
            Rc::new(Relations::new(&spec.tables, &spec.window_factories, &spec.aggregations, spec.names.clone()));
        let members = spec.members.iter().map(|m| (m.make)(Some(relations.clone()))).collect();
        GroupProcessor { spec, relations, members, now: i64::MIN }
    }

    /// The relations (for on-demand queries).
    pub fn relations(&self) -> &Rc<Relations> {
        &self.relations
    }

    fn deliver(&mut self, member: usize, input: usize, msg: &Msg, out: &mut Vec<Emit>) {
        let mut emitted = Vec::new();
        self.members[member].on_event(input, msg, &mut emitted);
        if has_error() {
            // The event failed in this member: nothing of it leaves the member
            // (no table or window write), and whoever handed the event over
            // decides what becomes of it (`runtime/fault.rs`, or `route`).
            return;
        }
        self.route(member, emitted, msg, out);
    }

    /// Sends member `m`'s output out of the node and on to its sink.
    fn route(&mut self, m: usize, emitted: Vec<Emit>, cause: &Msg, out: &mut Vec<Emit>) {
        let spec = self.spec.clone();
        let member = &spec.members[m];
        for e in emitted {
            out.push(Emit { port: m, ..e.clone() });
            if !member.forward.accepts(e.kind) {
                continue;
            }
            match &member.sink {
                MemberSink::Stream(readers) => {
                    let msg = Msg {
                        time: cause.time,
                        stream: cause.stream,
                        order: Vec::new(),
                        ts: e.ts,
                        kind: Kind::Current,
                        row: e.row.clone(),
                    };
                    for &(r, input) in readers {
                        self.deliver(r, input, &msg, out);
                        if let Some(e) = take_error() {
                            // An event of a stream inside the group failed: it is
                            // logged and dropped there, and the readers after the
                            // failed one do not get it, as in the reference (a
                            // fault stream is refused for such streams, `compile`).
                            let values: Vec<String> = msg.row.iter().map(Value::to_string).collect();
                            eprintln!("error: {e}; the event [{}] is dropped", values.join(", "));
                            break;
                        }
                    }
                }
                MemberSink::Table(t, action) => self.apply(*t, action, &e.row, e.ts),
                MemberSink::Window(w) => {
                    let mut chunk = Vec::new();
                    self.relations.windows[*w].borrow_mut().on_event(StreamEvent { ts: e.ts, row: e.row }, &mut chunk);
                    self.window_released(*w, chunk, cause, out);
                }
                MemberSink::Nothing => {}
            }
        }
    }

    /// Hands what named window `w` released to its readers.
    fn window_released(&mut self, w: usize, chunk: Vec<Emitted>, cause: &Msg, out: &mut Vec<Emit>) {
        let spec = self.spec.clone();
        let window = &spec.windows[w];
        let chunk: Vec<Emitted> = chunk
            .into_iter()
            .filter(|e| match e {
                Emitted::Current(_) => window.output.accepts(Kind::Current),
                Emitted::Expired(_) => window.output.accepts(Kind::Expired),
                Emitted::Reset => true,
            })
            .collect();
        if !chunk.iter().any(|e| !matches!(e, Emitted::Reset)) {
            return;
        }
        for &(r, input) in &window.readers {
            let mut emitted = Vec::new();
            self.members[r].on_window_output(input, self.now, chunk.clone(), window.is_batch, &mut emitted);
            if has_error() {
                return;
            }
            self.route(r, emitted, cause, out);
        }
    }

    /// Applies a table action for one output row.
    fn apply(&mut self, t: usize, action: &TableAction, row: &Row, ts: i64) {
        let env = Env::new(ts, self.now.max(ts), &Some(self.relations.clone()));
        let joined = |trow: &Row| -> Vec<Value> { row.iter().chain(trow.iter()).cloned().collect() };
        let matches = |trow: &Row| action.on.as_ref().is_none_or(|c| c.test(&joined(trow), &env));
        let updated = |trow: &Row| -> Row {
            let both = joined(trow);
            let mut new: Vec<Value> = trow.to_vec();
            for (pos, value) in &action.set {
                if let Some(slot) = new.get_mut(*pos) {
                    *slot = value.eval(&both, &env);
                }
            }
            Arc::from(new)
        };
        let keyed = action.key.filter(|(_, tpos)| self.relations.tables[t].borrow().primary_key() == [*tpos]);
        if let (Some((opos, _)), true) = (keyed, action.op != TableOp::Insert) {
            let key = [row.get(opos).cloned().unwrap_or(Value::Null)];
            let existing = self.relations.tables[t].borrow().get(&key).cloned().filter(|r| matches(r));
            let mut table = self.relations.tables[t].borrow_mut();
            let result = match (action.op, existing) {
                (TableOp::Delete, Some(_)) => {
                    table.delete_key(&key);
                    Ok(())
                }
                (TableOp::Update | TableOp::UpdateOrInsert, Some(old)) => table.update_key(&key, updated(&old)),
                (TableOp::UpdateOrInsert, None) => table.insert(row.clone()),
                _ => Ok(()),
            };
            if let Err(e) = result {
                eprintln!("error: {e}");
            }
            return;
        }
        let result = match action.op {
            TableOp::Insert => self.relations.tables[t].borrow_mut().insert(row.clone()),
            op => {
                // Decide first, while conditions may still read the table (`in T`).
                let verdicts: Vec<Verdict> = self.relations.with_rows(RelationRef::Table(t), |rows| {
                    rows.map(|r| match (matches(r), op) {
                        (false, _) => Verdict::Keep,
                        (true, TableOp::Delete) => Verdict::Delete,
                        (true, _) => Verdict::Replace(updated(r)),
                    })
                    .collect()
                });
                let mut table = self.relations.tables[t].borrow_mut();
                match table.apply(verdicts) {
                    Ok(0) if op == TableOp::UpdateOrInsert => table.insert(row.clone()),
                    result => result.map(|_| ()),
                }
            }
        };
        if let Err(e) = result {
            eprintln!("error: {e}");
        }
    }

    /// Moves named windows' clocks to `ts`, delivering what they release.
    fn advance_windows(&mut self, ts: i64, cause: &Msg, out: &mut Vec<Emit>) {
        self.now = self.now.max(ts);
        for w in 0..self.spec.windows.len() {
            loop {
                let mut chunk = Vec::new();
                let (before, after) = {
                    let mut window = self.relations.windows[w].borrow_mut();
                    let before = window.next_deadline();
                    window.on_time(self.now, &mut chunk);
                    (before, window.next_deadline())
                };
                if !chunk.is_empty() {
                    self.window_released(w, chunk, cause, out);
                }
                if !crate::window::more_due(before, after, self.now) {
                    break;
                }
            }
        }
    }
}

impl GroupProcessor {
    /// Answers an on-demand query `[id, text]` about a relation this group owns:
    /// its rows, then an expired `[id]` (or `[id, error]`) that ends the answer.
    fn answer(&mut self, msg: &Msg, out: &mut Vec<Emit>) {
        let port = self.spec.members.len();
        let id = msg.row.first().cloned().unwrap_or(Value::Null);
        let text = match msg.row.get(1) {
            Some(Value::String(s)) => s.clone(),
            _ => return,
        };
        let end = |extra: Option<String>| {
            let mut row = vec![id.clone()];
            row.extend(extra.map(|e| Value::String(Arc::from(e.as_str()))));
            Emit { kind: Kind::Expired, row: Arc::from(row), ts: msg.ts, port }
        };
        take_error();
        let result = match (self.evaluate(&text, msg.ts), take_error()) {
            // The reference refuses an on-demand query whose expressions fail.
            (Ok(Some(_)), Some(e)) => Err(e),
            (result, _) => result,
        };
        match result {
            Ok(None) => {}
            Ok(Some(rows)) => {
                for r in rows {
                    let row: Vec<Value> = std::iter::once(id.clone()).chain(r.iter().cloned()).collect();
                    out.push(Emit { kind: Kind::Current, row: Arc::from(row), ts: msg.ts, port });
                }
                out.push(end(None));
            }
            Err(e) => out.push(end(Some(e))),
        }
    }

    /// Runs an on-demand query; `Ok(None)` when another group owns its relation.
    fn evaluate(&mut self, text: &str, ts: i64) -> Result<Option<Vec<Row>>, String> {
        let (plan, query) = crate::compile::plan_on_demand(&self.spec.plan, text)?;
        if let InputPlan::Single(input) = &plan.input {
            // A write without `from` is answered where the table it writes is.
            let owner = match &plan.output {
                _ if input.name != sluice_frontend::logical::UNIT_RELATION => &input.name,
                sluice_frontend::logical::OutputPlan::Insert { target, .. } => target,
                sluice_frontend::logical::OutputPlan::TableAction { table, .. } => table,
                sluice_frontend::logical::OutputPlan::Return { .. } => &input.name,
            };
            if !self.spec.owned.contains(owner) {
                return Ok(None);
            }
        }
        self.now = self.now.max(ts);
        let env = Env::new(ts, self.now, &Some(self.relations.clone()));
        let rows = match (&query.within, query.source) {
            (Some((range, per)), RelationRef::Aggregation(a)) => {
                let range: Vec<Value> = range.iter().map(|e| e.eval(&[], &env)).collect();
                let per = per.eval(&[], &env);
                crate::aggregation::read(&self.relations, a, &range, &per, self.now)?.2
            }
            _ => self.relations.rows(query.source),
        };
        let chunk: Vec<ChunkEvent> = rows
            .into_iter()
            .filter(|r| query.filters.iter().all(|f| f.test(r, &env)))
            .map(|row| ChunkEvent::Event { kind: Kind::Current, row, ts })
            .collect();
        let mut selected = Vec::new();
        if !chunk.is_empty() {
            Selector::new(query.selector.clone()).process(&chunk, true, &env, &mut selected);
        }
        let rows: Vec<Row> = selected.into_iter().filter(|s| s.kind == Kind::Current).map(|s| s.row).collect();
        if let Some((t, action)) = &query.sink {
            for r in &rows {
                self.apply(*t, action, r, ts);
            }
        }
        Ok(Some(rows))
    }
}

impl Processor for GroupProcessor {
    fn on_event(&mut self, input: usize, msg: &Msg, out: &mut Vec<Emit>) {
        if msg.stream == ON_DEMAND {
            self.answer(msg, out);
            return;
        }
        if msg.ts > self.now {
            self.advance_windows(msg.ts, msg, out);
            if let Some(e) = take_error() {
                eprintln!("error: {e} (as a named window's clock moved); that output is dropped");
            }
        }
        let spec = self.spec.clone();
        for &(m, slot) in spec.external.get(input).into_iter().flatten() {
            self.deliver(m, slot, msg, out);
            if has_error() {
                // The members before this one handled the event: what they
                // emitted stands; the later ones never see it.
                keep_outputs(out.len());
                break;
            }
        }
    }

    fn on_tick(&mut self, ts: i64, out: &mut Vec<Emit>) {
        let tick = Msg { time: 0, stream: 0, order: Vec::new(), ts, kind: Kind::Current, row: Arc::from(Vec::new()) };
        self.advance_windows(ts, &tick, out);
        for m in 0..self.members.len() {
            let mut emitted = Vec::new();
            self.members[m].on_tick(ts, &mut emitted);
            if has_error() {
                return;
            }
            self.route(m, emitted, &tick, out);
        }
    }

    fn next_deadline(&self) -> Option<i64> {
        let windows = self.relations.windows.iter().map(|w| w.borrow().next_deadline());
        let members = self.members.iter().map(|m| m.next_deadline());
        windows.chain(members).fold(None, super::single::earliest)
    }
}
