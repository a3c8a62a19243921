//! The plan compiler: turns a typed logical plan into the runtime's [`Graph`].
//!
//! Each query becomes one node, except queries that share a table or named
//! window: those run together as one [group](crate::query::group) node, which
//! keeps the relations and delivers events among its members in the reference's
//! depth-first order.
//!
//! What is not built yet is refused here with a one-line reason, never run wrongly:
//! patterns and sequences, partitions, most stream functions, `output snapshot`.

use crate::app::CompiledApp;
use crate::query::expr::{CExpr, Env, ScalarImpl};
use crate::query::group::{
    GroupProcessor, GroupSpec, GroupWindow, MemberFactory, MemberSink, MemberSpec, TableAction, TableOp,
};
use crate::query::join::{JoinQuery, JoinQuerySpec, JoinSideSpec};
use crate::query::keyed::KeyedMember;
use crate::query::pattern::{self, EventSpec, PatternQuery, PatternSpec};
use crate::query::rate::{RateSpec, Which};
use crate::query::selector::{AggregateSpec, SelectorSpec};
use crate::query::single::{RowMap, SingleQuery, SingleQuerySpec, Stage, WindowFactory};
use crate::query::snapshot::{SnapshotShape, SnapshotSpec};
use crate::relation::{table_factory, NamedWindowFactory, RelationRef, TableFactory};
use crate::runtime::graph::{Forward, Graph, KeyFn, Node, Placement, Port, Processor};
use crate::runtime::message::{StreamId, ON_DEMAND};
use crate::value::Value;
use sluice_frontend::ast::{JoinKind, JoinSide, Literal, OutputEventType};
use sluice_frontend::logical::{
    AppPlan, EntryKind, HandlerPlan, InputPlan, JoinPlan, OutputPlan, OutputRatePlan, PartitionKeyKind, PartitionPlan,
    PatternPlan, QueryPlan, SingleInputPlan, TableActionKind, TypedExpr, TypedExprKind,
};
use std::collections::HashMap;
use std::sync::Arc;

mod aggregation;
mod expr;
mod graph;
mod on_demand;
mod windows;

use expr::*;
pub use expr::{compile_expr, compile_over, literal};
use graph::*;
use on_demand::*;
pub use on_demand::{compile_on_demand, plan_on_demand, OnDemand};
use windows::*;

/// Compiles `plan` into a runnable app, or says what is not built yet.
pub fn compile(plan: &AppPlan) -> Result<CompiledApp, String> {
    let mut stream_ids: HashMap<String, StreamId> = HashMap::new();
    let mut input_types = HashMap::new();
    let mut attribute_names = HashMap::new();
    for (name, schema) in plan.catalog.streams() {
        let id = stream_ids.len() as StreamId;
        stream_ids.insert(name.to_string(), id);
        input_types.insert(name.to_string(), schema.types());
        attribute_names.insert(name.to_string(), schema.names());
    }
    let relations = RelationSet::of(plan)?;
    // Each aggregation's feeder comes first: the reference subscribes an
    // aggregation to its stream when it is defined, before any query.
    let mut compiled: Vec<CompiledQuery> = plan
        .aggregations
        .iter()
        .enumerate()
        .map(|(i, a)| aggregation::feeder(i, a, &stream_ids))
        .collect::<Result<_, _>>()?;
    for q in &plan.queries {
        compiled.push(compile_query(q, &stream_ids, &relations)?);
    }
    // Partitions that use tables or named windows: their queries join the
    // relations' groups as members with an instance per key (`query/keyed.rs`),
    // numbered right after the top-level queries.
    let mut next_id = stream_ids.len() as StreamId;
    let mut spread = Vec::new();
    for p in &plan.partitions {
        aggregation::refuse_in_partition(p)?;
        let mut ids = stream_ids.clone();
        for (name, _) in &p.inner {
            ids.insert(name.clone(), next_id);
            next_id += 1;
        }
        let queries: Vec<CompiledQuery> =
            p.queries.iter().map(|q| compile_query(q, &ids, &relations)).collect::<Result<_, _>>()?;
        if queries.iter().all(|c| c.touches.is_empty()) {
            spread.push((p, queries));
            continue;
        }
        if let (false, Some(q)) = (p.inner.is_empty(), p.queries.first()) {
            return Err(format!(
                "query '{}': a partition that uses tables or named windows cannot have inner streams yet",
                q.name
            ));
        }
        for c in queries {
            compiled.push(keyed_member(c, p, &stream_ids)?);
        }
    }
    // The other partitions: one keyed node each, spread over the workers by key;
    // inner streams get ids of their own.
    let top = compiled.len();
    let mut partition_members = Vec::new();
    for (_, queries) in &mut spread {
        let first = compiled.len();
        compiled.append(queries);
        partition_members.push((first..compiled.len()).collect::<Vec<usize>>());
    }
    let mut group_of = groups(&compiled[..top]);
    let shared_plan = Arc::new(plan.clone());
    let mut graph = build(&compiled[..top], &group_of, &relations, &shared_plan);
    if graph.topological_order().is_err() && group_of.iter().any(Option::is_some) {
        // A cycle through a group: run every query in one group.
        group_of = vec![Some(0); top];
        graph = build(&compiled[..top], &group_of, &relations, &shared_plan);
    }
    for ((p, _), members) in spread.iter().zip(&partition_members) {
        graph.nodes.push(partition_node(p, &compiled, members, &shared_plan, &stream_ids)?);
    }
    graph.topological_order().map_err(|n| format!("query '{n}' is part of a cycle of streams"))?;
    let fault_of = fault_streams(&stream_ids);
    refuse_faults_inside_groups(&compiled[..top], plan.aggregations.len(), &group_of, &fault_of, &stream_ids)?;
    let names: HashMap<StreamId, String> = stream_ids.iter().map(|(n, &id)| (id, n.clone())).collect();
    crate::runtime::fault::guard(&mut graph, &names, &fault_of, next_id)?;
    graph.topological_order().map_err(|n| {
        format!("query '{n}': @OnError(action='STREAM') on a stream whose readers feed each other is not built yet")
    })?;
    let mut output_streams = Vec::new();
    for q in &compiled {
        // A partition's inner streams (`#S`) have no name outside it: they are
        // neither printed nor observable.
        if let QueryOutput::Stream(target) = q.output {
            let Some(name) = names.get(&target) else { continue };
            if !output_streams.contains(name) {
                output_streams.push(name.clone());
            }
        }
    }
    // Fault streams are written by the engine (`runtime/fault.rs`), not fed.
    let mut faults: Vec<String> = fault_of.values().filter_map(|f| names.get(f).cloned()).collect();
    faults.sort();
    output_streams.extend(faults);
    let query_names = compiled.iter().map(|q| q.name.clone()).collect();
    let triggers = crate::trigger::TriggerClock::new(&plan.triggers)?;
    Ok(CompiledApp {
        plan: plan.clone(),
        graph,
        stream_ids,
        input_types,
        query_names,
        attribute_names,
        output_streams,
        triggers,
    })
}

/// The fault stream (`!S`) of each stream with `@OnError(action='STREAM')`, or its
/// error-store stream (`!!S`) with `STORE`, which the front end puts in the catalog
/// (and refuses where a partition reads the stream besides other readers:
/// `semantic/faults.rs`).
fn fault_streams(ids: &HashMap<String, StreamId>) -> HashMap<StreamId, StreamId> {
    ids.iter()
        .filter_map(|(name, &fault)| {
            let base = sluice_frontend::logical::stored_errors_of(name).or_else(|| name.strip_prefix('!'))?;
            Some((*ids.get(base)?, fault))
        })
        .collect()
}

/// Refuses a fault stream for a stream that queries of one group (sharing a table
/// or named window) write and read: the group hands such events from member to
/// member itself, and a failure there is logged and dropped (`query/group.rs`).
/// Also refuses, where several nodes read it, a group among them that is not an
/// aggregation's feeder alone.
fn refuse_faults_inside_groups(
    queries: &[CompiledQuery],
    feeders: usize,
    group_of: &[Option<usize>],
    fault_of: &HashMap<StreamId, StreamId>,
    ids: &HashMap<String, StreamId>,
) -> Result<(), String> {
    for (i, q) in queries.iter().enumerate() {
        let QueryOutput::Stream(s) = q.output else { continue };
        if group_of[i].is_none() || !fault_of.contains_key(&s) {
            continue;
        }
        let inside = queries
            .iter()
            .enumerate()
            .any(|(j, r)| group_of[j] == group_of[i] && r.inputs.contains(&InputRef::Stream(s)));
        if inside {
            let name = ids.iter().find(|(_, id)| **id == s).map_or("?", |(n, _)| n.as_str());
            return Err(format!(
                "stream '{name}': @OnError(action='STREAM') on a stream that queries sharing a table or named \
                 window write and read is not built yet"
            ));
        }
    }
    // Readers are chained node by node (`runtime/fault.rs`); a group hands an event
    // to its members itself, so a group is one link of several only where one
    // member reads the stream and the group's node stands where that member does
    // in the reference's order: an aggregation's feeder (the first `feeders`
    // queries), which comes before every query.
    for &s in fault_of.keys() {
        let readers: Vec<usize> =
            (0..queries.len()).filter(|&i| queries[i].inputs.contains(&InputRef::Stream(s))).collect();
        let nodes: std::collections::BTreeSet<(usize, Option<usize>)> =
            readers.iter().map(|&i| (if group_of[i].is_some() { usize::MAX } else { i }, group_of[i])).collect();
        let alone = |i: usize| readers.iter().filter(|&&j| group_of[j] == group_of[i]).count() == 1;
        let refused = readers.iter().find(|&&i| group_of[i].is_some() && !(i < feeders && alone(i)));
        if let Some(&i) = refused.filter(|_| nodes.len() > 1) {
            let name = ids.iter().find(|(_, id)| **id == s).map_or("?", |(n, _)| n.as_str());
            return Err(format!(
                "query '{}': @OnError(action='STREAM') on stream '{name}', which other queries read too, in a query \
                 that shares a table or named window is not built yet",
                queries[i].name
            ));
        }
    }
    Ok(())
}

/// The app's tables and named windows: numbers, factories and how windows emit.
struct RelationSet {
    names: HashMap<String, RelationRef>,
    tables: Vec<TableFactory>,
    windows: Vec<NamedWindowFactory>,
    /// Per named window: which events readers get, and whether it is a batch window.
    window_output: Vec<(Forward, bool)>,
    /// The named aggregations.
    aggregations: Vec<Arc<crate::aggregation::AggregationSpec>>,
}

impl RelationSet {
    fn of(plan: &AppPlan) -> Result<RelationSet, String> {
        let tables = plan.tables.iter().map(table_factory).collect();
        let mut windows = Vec::new();
        let mut window_output = Vec::new();
        for w in &plan.windows {
            let expects_expired = w.output != OutputEventType::Current;
            let (factory, is_batch) =
                window_factory(&w.window.0, &w.window.1, expects_expired, (&w.name, &w.schema), None)?;
            windows.push(factory);
            window_output.push((forward_of(w.output), is_batch));
        }
        let aggregations = plan
            .aggregations
            .iter()
            .map(|a| aggregation::aggregation_spec(a).map(Arc::new))
            .collect::<Result<_, String>>()?;
        Ok(RelationSet { names: relation_names(plan), tables, windows, window_output, aggregations })
    }

    /// No relations (what a partition's groups hold).
    fn none() -> RelationSet {
        RelationSet {
            names: HashMap::new(),
            tables: Vec::new(),
            windows: Vec::new(),
            window_output: Vec::new(),
            aggregations: Vec::new(),
        }
    }

    fn table(&self, name: &str, what: &str) -> Result<usize, String> {
        match self.names.get(name) {
            Some(RelationRef::Table(i)) => Ok(*i),
            _ => Err(format!("{what}: '{name}' is not a table")),
        }
    }

    fn window(&self, name: &str, what: &str) -> Result<usize, String> {
        match self.names.get(name) {
            Some(RelationRef::Window(i)) => Ok(*i),
            _ => Err(format!("{what}: '{name}' is not a named window")),
        }
    }
}

/// The numbers of an app's tables and named windows, by name.
pub fn relation_names(plan: &AppPlan) -> HashMap<String, RelationRef> {
    let tables = plan.tables.iter().enumerate().map(|(i, t)| (t.name.clone(), RelationRef::Table(i)));
    let windows = plan.windows.iter().enumerate().map(|(i, w)| (w.name.clone(), RelationRef::Window(i)));
    let aggregations = plan.aggregations.iter().enumerate().map(|(i, a)| (a.name.clone(), RelationRef::Aggregation(i)));
    tables.chain(windows).chain(aggregations).collect()
}

/// What one input of a compiled query reads.
#[derive(Clone, Copy, Debug, PartialEq)]
enum InputRef {
    /// A stream.
    Stream(StreamId),
    /// What a named window releases.
    Window(usize),
    /// Nothing arrives (a table side of a join).
    Nothing,
}

/// Where a compiled query's output goes.
#[derive(Clone, Debug)]
enum QueryOutput {
    Stream(StreamId),
    Table(usize, Arc<TableAction>),
    Window(usize),
    Nothing,
}

/// One query, compiled but not yet placed in a node.
struct CompiledQuery {
    name: String,
    inputs: Vec<InputRef>,
    output: QueryOutput,
    forward: Forward,
    stateless: bool,
    /// The tables and windows it reads or writes.
    touches: Vec<String>,
    make: MemberFactory,
}

fn compile_query(
    query: &QueryPlan,
    ids: &HashMap<String, StreamId>,
    rel: &RelationSet,
) -> Result<CompiledQuery, String> {
    let what = format!("query '{}'", query.name);
    let mut touches = Vec::new();
    let output = match &query.output {
        OutputPlan::Insert { target, kind: EntryKind::Stream, .. } => {
            QueryOutput::Stream(*ids.get(target).ok_or(format!("{what}: unknown stream '{target}'"))?)
        }
        OutputPlan::Insert { target, kind: EntryKind::Table, .. } => {
            touches.push(target.clone());
            let action = TableAction { op: TableOp::Insert, on: None, set: Vec::new(), key: None };
            QueryOutput::Table(rel.table(target, &what)?, Arc::new(action))
        }
        OutputPlan::Insert { target, kind: EntryKind::Window, .. } => {
            touches.push(target.clone());
            QueryOutput::Window(rel.window(target, &what)?)
        }
        OutputPlan::Insert { target, .. } => return Err(format!("{what}: '{target}' cannot be inserted into")),
        OutputPlan::TableAction { table, .. } => {
            touches.push(table.clone());
            QueryOutput::Table(rel.table(table, &what)?, Arc::new(table_action(query)?))
        }
        OutputPlan::Return { .. } => QueryOutput::Nothing,
    };
    let events = query.output.events();
    let rate = rate_spec(query);
    visit_query_exprs(query, &mut |e| in_tables(e, &mut touches));
    let cx = QueryCx { query, ids, rel, what: &what, events, rate: &rate };
    let (inputs, make, stateless) = match &query.input {
        InputPlan::Single(input) => compile_single(&cx, input, &mut touches)?,
        InputPlan::Join(join) => compile_join(&cx, join, &mut touches)?,
        InputPlan::Pattern(pattern) => compile_pattern(&cx, pattern)?,
    };
    touches.sort();
    touches.dedup();
    Ok(CompiledQuery {
        name: query.name.clone(),
        inputs,
        output,
        forward: forward_of(events),
        stateless,
        touches,
        make,
    })
}

/// The compiled delete/update/upsert of a query whose output is a table action.
fn table_action(query: &QueryPlan) -> Result<TableAction, String> {
    let OutputPlan::TableAction { action, on, set, .. } = &query.output else {
        return Ok(TableAction { op: TableOp::Insert, on: None, set: Vec::new(), key: None });
    };
    let offsets = [0, query.output_schema.len()];
    let op = match action {
        TableActionKind::Delete => TableOp::Delete,
        TableActionKind::Update => TableOp::Update,
        TableActionKind::UpdateOrInsert => TableOp::UpdateOrInsert,
    };
    Ok(TableAction {
        op,
        on: Some(compile_over(on, &offsets)?),
        set: set.iter().map(|(p, e)| Ok((*p, compile_over(e, &offsets)?))).collect::<Result<_, String>>()?,
        key: equi_keys(on).map(|[out, table]| (out, table)),
    })
}

/// What compiling an input gives: the inputs, the processor factory, and whether
/// the query is stateless.
type Compiled = (Vec<InputRef>, MemberFactory, bool);

/// What compiling one query's input needs to know about the query.
#[derive(Clone, Copy)]
struct QueryCx<'a> {
    query: &'a QueryPlan,
    ids: &'a HashMap<String, StreamId>,
    rel: &'a RelationSet,
    /// `query 'name'`, for messages.
    what: &'a str,
    events: OutputEventType,
    rate: &'a RateSpec,
}

fn compile_single(cx: &QueryCx, input: &SingleInputPlan, touches: &mut Vec<String>) -> Result<Compiled, String> {
    let QueryCx { query, ids, rel, what, events, rate } = *cx;
    let (input_ref, from_window) = match input.kind {
        EntryKind::Stream => (InputRef::Stream(stream_id(input, ids, what)?), false),
        EntryKind::Window => {
            touches.push(input.name.clone());
            (InputRef::Window(rel.window(&input.name, what)?), true)
        }
        EntryKind::Table => {
            return Err(format!(
                "{what}: table '{}' is read by joins and on-demand queries, not as a stream",
                input.name
            ))
        }
        EntryKind::Aggregation => {
            return Err(format!("{what}: an aggregation is read by joins (`within … per …`) and on-demand queries"))
        }
    };
    let mut pre = Vec::new();
    let mut processors = Vec::new();
    let mut post_filters = Vec::new();
    let mut window: Option<(WindowFactory, bool)> = None;
    for h in &input.handlers {
        match h {
            HandlerPlan::Filter(e) => {
                let c = compile_expr(e)?;
                if window.is_some() || from_window {
                    post_filters.push(c)
                } else {
                    pre.push(Stage::Filter(c))
                }
            }
            HandlerPlan::Window { .. } if from_window => {
                return Err(format!("{what}: a window over a named window is not built yet"));
            }
            HandlerPlan::Window { name, args } => {
                if window.is_some() {
                    return Err(format!("{what}: only one window per input"));
                }
                window = Some(compile_window(name, args, query, (&input.name, &input.schema), None)?);
            }
            HandlerPlan::StreamFunction { name, args } if window.is_none() && !from_window => {
                // Stream functions with state are processors of the query's own;
                // the others are stages its processors share.
                let compiled = args.iter().map(compile_expr).collect::<Result<_, String>>()?;
                match crate::query::stream_processor::stream_processor(name, compiled, what) {
                    Some(factory) => {
                        pre.push(Stage::Process(processors.len()));
                        processors.push(factory?);
                    }
                    None => pre.push(stream_stage(name, args, what)?),
                }
            }
            HandlerPlan::StreamFunction { name, .. } => {
                return Err(format!("{what}: stream function '{name}' is not built yet"));
            }
            HandlerPlan::Within { .. } => return Err(format!("{what}: `within … per …` reads an aggregation")),
        }
    }
    let selector = selector_spec(query, events, &[0], what)?;
    let stateless = window.is_none()
        && processors.is_empty()
        && !from_window
        && query.aggregates.is_empty()
        && matches!(rate, RateSpec::PassThrough);
    let selector = Arc::new(selector);
    let spec = Arc::new(SingleQuerySpec { pre, window, post_filters, selector, rate: rate.clone(), processors });
    let make: MemberFactory =
        Arc::new(move |r| Box::new(SingleQuery::new(spec.clone()).with_relations(r)) as Box<dyn Processor>);
    Ok((vec![input_ref], make, stateless))
}

fn compile_join(cx: &QueryCx, join: &JoinPlan, touches: &mut Vec<String>) -> Result<Compiled, String> {
    let QueryCx { query, ids, rel, what, events, rate } = *cx;
    if join.right.kind == EntryKind::Aggregation {
        return aggregation::compile_join(cx, join, touches);
    }
    let offsets = join.offsets();
    let mut sides = Vec::new();
    let mut inputs = Vec::new();
    for (i, side) in [&join.left, &join.right].into_iter().enumerate() {
        let (input, shared) = match side.kind {
            EntryKind::Stream => (InputRef::Stream(stream_id(side, ids, what)?), None),
            EntryKind::Table => {
                touches.push(side.name.clone());
                (InputRef::Nothing, Some(RelationRef::Table(rel.table(&side.name, what)?)))
            }
            EntryKind::Window => {
                touches.push(side.name.clone());
                let w = rel.window(&side.name, what)?;
                (InputRef::Window(w), Some(RelationRef::Window(w)))
            }
            EntryKind::Aggregation => {
                return Err(format!("{what}: a join with the aggregation on the left is not built yet"))
            }
        };
        inputs.push(input);
        let mut filters = Vec::new();
        let mut window = None;
        for h in &side.handlers {
            match h {
                HandlerPlan::Filter(e) if window.is_none() => filters.push(compile_expr(e)?),
                HandlerPlan::Window { name, args } if window.is_none() && shared.is_none() => {
                    window = Some(compile_window(name, args, query, (&side.name, &side.schema), Some(i))?.0)
                }
                _ => return Err(format!("{what}: this join input's handlers are not built yet")),
            }
        }
        let me = if i == 0 { JoinSide::Left } else { JoinSide::Right };
        let outer = match join.kind {
            JoinKind::Inner => false,
            JoinKind::LeftOuter => me == JoinSide::Left,
            JoinKind::RightOuter => me == JoinSide::Right,
            JoinKind::FullOuter => true,
        };
        let is_table = side.kind == EntryKind::Table;
        // A named window joined with itself delivers each release once, to the
        // triggering side (the left one unless `unidirectional` names the right).
        let same_window = side.kind == EntryKind::Window && join.left.name == join.right.name;
        let triggers = !is_table
            && match join.unidirectional {
                Some(u) => u == me,
                None => !same_window || me == JoinSide::Left,
            };
        sides.push(JoinSideSpec { filters, window, width: side.schema.len(), triggers, outer, shared });
    }
    let on = join.on.as_ref().map(|c| compile_over(c, &offsets)).transpose()?;
    let selector = selector_spec(query, events, &offsets, what)?;
    let right = sides.pop().expect("two sides");
    let left = sides.pop().expect("two sides");
    let keys = join.on.as_ref().and_then(equi_keys);
    let spec = Arc::new(JoinQuerySpec {
        sides: [left, right],
        on,
        keys,
        selector: Arc::new(selector),
        rate: rate.clone(),
        expects_expired: events != OutputEventType::Current,
    });
    let make: MemberFactory =
        Arc::new(move |r| Box::new(JoinQuery::new(spec.clone()).with_relations(r)) as Box<dyn Processor>);
    Ok((inputs, make, false))
}

/// An equality between a left and a right attribute among the `and`-ed terms of
/// a join condition: their positions in the left and right rows.
fn equi_keys(on: &TypedExpr) -> Option<[usize; 2]> {
    use sluice_frontend::ast::BinaryOp;
    match &on.kind {
        TypedExprKind::Binary(BinaryOp::And, l, r) => equi_keys(l).or_else(|| equi_keys(r)),
        TypedExprKind::Binary(BinaryOp::Eq, l, r) => match (&l.kind, &r.kind) {
            (
                TypedExprKind::Attribute { input: a, position: pa },
                TypedExprKind::Attribute { input: b, position: pb },
            ) if a != b && l.ty == r.ty => {
                if *a == 0 {
                    Some([*pa, *pb])
                } else {
                    Some([*pb, *pa])
                }
            }
            _ => None,
        },
        _ => None,
    }
}

/// Compiles a pattern or sequence into a chain of steps (see [`crate::query::pattern`]).
fn compile_pattern(cx: &QueryCx, pattern: &PatternPlan) -> Result<Compiled, String> {
    let QueryCx { query, ids, what, events, rate, .. } = *cx;
    let mut offsets = Vec::new();
    let mut width = 0;
    for e in &pattern.events {
        offsets.push(width);
        width += e.schema.len();
    }
    let mut inputs: Vec<InputRef> = Vec::new();
    let mut specs = Vec::new();
    for e in &pattern.events {
        let id = *ids.get(&e.stream).ok_or(format!("{what}: unknown stream '{}'", e.stream))?;
        let input = match inputs.iter().position(|r| *r == InputRef::Stream(id)) {
            Some(i) => i,
            None => {
                inputs.push(InputRef::Stream(id));
                inputs.len() - 1
            }
        };
        let filters: Vec<CExpr> = e.filters.iter().map(|f| compile_over(f, &offsets)).collect::<Result<_, _>>()?;
        let indexed = filters.iter().any(CExpr::reads_indexed);
        specs.push(EventSpec { input, filters, indexed, width: e.schema.len() });
    }
    let sequence = pattern.kind == sluice_frontend::ast::StateKind::Sequence;
    let (nodes, runtime, within) = pattern::build(&pattern.state, sequence).map_err(|e| format!("{what}: {e}"))?;
    let mut by_input = vec![Vec::new(); inputs.len()];
    for (n, node) in nodes.iter().enumerate() {
        by_input[specs[node.event].input].push(n);
    }
    let selector = selector_spec(query, events, &offsets, what)?;
    let spec = Arc::new(PatternSpec {
        events: specs,
        nodes,
        runtime,
        by_input,
        sequence,
        within,
        selector: Arc::new(selector),
        rate: rate.clone(),
    });
    let make: MemberFactory =
        Arc::new(move |r| Box::new(PatternQuery::new(spec.clone()).with_relations(r)) as Box<dyn Processor>);
    Ok((inputs, make, false))
}

/// The stream a side reads.
fn stream_id(input: &SingleInputPlan, ids: &HashMap<String, StreamId>, what: &str) -> Result<StreamId, String> {
    ids.get(&input.name).copied().ok_or(format!("{what}: unknown stream '{}'", input.name))
}

/// The rate limiting of `query`.
fn rate_spec(query: &QueryPlan) -> RateSpec {
    let grouped = !query.group_by.is_empty();
    match &query.output_rate {
        None => RateSpec::PassThrough,
        Some(OutputRatePlan::Events { which, count }) => {
            RateSpec::Events { which: which_of(*which), n: *count, grouped }
        }
        Some(OutputRatePlan::Time { which, period_ms }) => {
            RateSpec::Time { which: which_of(*which), period: *period_ms, grouped }
        }
        Some(OutputRatePlan::Snapshot { period_ms }) => {
            let windowed = match &query.input {
                InputPlan::Single(s) => s.handlers.iter().any(|h| matches!(h, HandlerPlan::Window { .. })),
                InputPlan::Join(_) => true,
                InputPlan::Pattern(_) => false,
            };
            let aggregate_columns: Arc<[usize]> = query
                .projection
                .iter()
                .enumerate()
                .filter(|(_, (_, e))| matches!(e.kind, TypedExprKind::Aggregate { .. }))
                .map(|(i, _)| i)
                .collect();
            let shape = SnapshotShape::of(windowed, grouped, aggregate_columns.len(), query.projection.len());
            RateSpec::Snapshot(Arc::new(SnapshotSpec { period: (*period_ms).max(1), shape, aggregate_columns }))
        }
    }
}

/// The selector of a query whose input row is laid out by `offsets`.
pub(crate) fn selector_spec(
    query: &QueryPlan,
    events: OutputEventType,
    offsets: &[usize],
    what: &str,
) -> Result<SelectorSpec, String> {
    let over = |e: &TypedExpr| compile_over(e, offsets);
    Ok(SelectorSpec {
        projection: query.projection.iter().map(|(_, e)| over(e)).collect::<Result<_, _>>()?,
        aggregates: query
            .aggregates
            .iter()
            .map(|a| aggregate_factory(a, over, what).map(|(factory, arg, more)| AggregateSpec { factory, arg, more }))
            .collect::<Result<_, String>>()?,
        group_by: query.group_by.iter().map(over).collect::<Result<_, _>>()?,
        having: query.having.as_ref().map(over).transpose()?,
        order_by: query.order_by.iter().map(|(e, d)| Ok((over(e)?, *d))).collect::<Result<_, String>>()?,
        limit: query.limit.map(|l| l as usize),
        offset: query.offset.map(|o| o as usize),
        current_on: events != OutputEventType::Expired,
        expired_on: events != OutputEventType::Current,
        // Under a snapshot every event of a batch updates the state it reports.
        batching: !matches!(query.output_rate, Some(OutputRatePlan::Snapshot { .. })),
    })
}

fn which_of(w: sluice_frontend::ast::RateWhich) -> Which {
    match w {
        sluice_frontend::ast::RateWhich::All => Which::All,
        sluice_frontend::ast::RateWhich::First => Which::First,
        sluice_frontend::ast::RateWhich::Last => Which::Last,
    }
}
