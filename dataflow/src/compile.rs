//! The plan compiler: turns a typed logical plan into the runtime's [`Graph`] of
//! query processors, one node per query.
//!
//! What is not built yet is refused here with a one-line reason, never run wrongly:
//! joins, patterns and sequences, partitions, tables and named windows as query
//! targets, stream functions, `output snapshot`.

use crate::app::CompiledApp;
use crate::query::expr::{CExpr, Env, ScalarImpl};
use crate::query::join::{JoinQuery, JoinQuerySpec, JoinSideSpec};
use crate::query::rate::{RateSpec, Which};
use crate::query::selector::{AggregateSpec, SelectorSpec};
use crate::query::single::{RowMap, SingleQuery, SingleQuerySpec, Stage, WindowFactory};
use crate::runtime::graph::{Forward, Graph, Node, Placement, Processor};
use crate::runtime::message::StreamId;
use crate::value::Value;
use sluice_frontend::ast::{JoinKind, JoinSide, Literal, OutputEventType};
use sluice_frontend::logical::{
    AppPlan, HandlerPlan, InputPlan, JoinPlan, OutputPlan, OutputRatePlan, QueryPlan, SingleInputPlan, TypedExpr,
    TypedExprKind,
};
use std::collections::HashMap;
use std::sync::Arc;

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
    if !plan.partitions.is_empty() {
        return Err("partitions are not built yet".into());
    }
    let mut graph = Graph::default();
    let mut node_names = Vec::new();
    let mut output_streams = Vec::new();
    for query in &plan.queries {
        let node = compile_query(query, &stream_ids)?;
        if let Some((target, _)) = node.target {
            let name = stream_ids.iter().find(|(_, v)| **v == target).map(|(k, _)| k.clone()).unwrap_or_default();
            if !output_streams.contains(&name) {
                output_streams.push(name);
            }
        }
        node_names.push(query.name.clone());
        graph.nodes.push(node);
    }
    graph.topological_order().map_err(|n| format!("query '{n}' is part of a cycle of streams"))?;
    Ok(CompiledApp { plan: plan.clone(), graph, stream_ids, input_types, node_names, attribute_names, output_streams })
}

fn compile_query(query: &QueryPlan, ids: &HashMap<String, StreamId>) -> Result<Node, String> {
    let what = format!("query '{}'", query.name);
    let (target, events) = match &query.output {
        OutputPlan::Insert { target, events, .. } => {
            let id = *ids
                .get(target)
                .ok_or(format!("{what}: '{target}' is a table or window; writing to those is not built yet"))?;
            (Some(id), *events)
        }
        OutputPlan::Return { events } => (None, *events),
        _ => return Err(format!("{what}: delete/update outputs need tables, which are not built yet")),
    };
    let forward = match events {
        OutputEventType::Current => Forward::Current,
        OutputEventType::Expired => Forward::Expired,
        OutputEventType::All => Forward::All,
    };
    let rate = rate_spec(query, &what)?;
    let target = target.map(|t| (t, forward));
    match &query.input {
        InputPlan::Single(input) => compile_single(query, input, ids, &what, target, events, rate),
        InputPlan::Join(join) => compile_join(query, join, ids, &what, target, events, rate),
        InputPlan::Pattern => Err(format!("{what}: patterns and sequences are not built yet")),
    }
}

/// The stream a side reads, or why it cannot be read yet.
fn stream_id(input: &SingleInputPlan, ids: &HashMap<String, StreamId>, what: &str) -> Result<StreamId, String> {
    let stream =
        input.source_stream().ok_or(format!("{what}: reading tables, windows or aggregations is not built yet"))?;
    ids.get(stream).copied().ok_or(format!("{what}: unknown stream '{stream}'"))
}

fn compile_single(
    query: &QueryPlan,
    input: &SingleInputPlan,
    ids: &HashMap<String, StreamId>,
    what: &str,
    target: Option<(StreamId, Forward)>,
    events: OutputEventType,
    rate: RateSpec,
) -> Result<Node, String> {
    let input_id = stream_id(input, ids, what)?;
    let mut pre = Vec::new();
    let mut post_filters = Vec::new();
    let mut window: Option<(WindowFactory, bool)> = None;
    for h in &input.handlers {
        match h {
            HandlerPlan::Filter(e) => {
                let c = compile_expr(e)?;
                if window.is_some() {
                    post_filters.push(c)
                } else {
                    pre.push(Stage::Filter(c))
                }
            }
            HandlerPlan::Window { name, args } => {
                if window.is_some() {
                    return Err(format!("{what}: only one window per input"));
                }
                window = Some(compile_window(name, args, query)?);
            }
            HandlerPlan::StreamFunction { name, args } if name == "pol2cart" && window.is_none() => {
                pre.push(Stage::Map(pol2cart(args)?));
            }
            HandlerPlan::StreamFunction { name, .. } => {
                return Err(format!("{what}: stream function '{name}' is not built yet"));
            }
        }
    }
    let selector = selector_spec(query, events, &[0], what)?;
    let stateless = window.is_none() && query.aggregates.is_empty() && matches!(rate, RateSpec::PassThrough);
    let spec = Arc::new(SingleQuerySpec { pre, window, post_filters, selector: Arc::new(selector), rate });
    let factory = Arc::new(move || Box::new(SingleQuery::new(spec.clone())) as Box<dyn Processor>);
    Ok(Node {
        name: query.name.clone(),
        inputs: vec![input_id],
        target,
        placement: if stateless { Placement::Anywhere } else { Placement::Single },
        factory,
    })
}

fn compile_join(
    query: &QueryPlan,
    join: &JoinPlan,
    ids: &HashMap<String, StreamId>,
    what: &str,
    target: Option<(StreamId, Forward)>,
    events: OutputEventType,
    rate: RateSpec,
) -> Result<Node, String> {
    if join.aggregation {
        return Err(format!("{what}: joins with named aggregations are not built yet"));
    }
    let offsets = [0, join.left.schema.len()];
    let mut sides = Vec::new();
    let mut inputs = Vec::new();
    for (i, side) in [&join.left, &join.right].into_iter().enumerate() {
        inputs.push(stream_id(side, ids, what)?);
        let mut filters = Vec::new();
        let mut window = None;
        for h in &side.handlers {
            match h {
                HandlerPlan::Filter(e) if window.is_none() => filters.push(compile_expr(e)?),
                HandlerPlan::Window { name, args } if window.is_none() => {
                    window = Some(compile_window(name, args, query)?.0)
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
        let triggers = join.unidirectional.is_none_or(|u| u == me);
        sides.push(JoinSideSpec { filters, window, width: side.schema.len(), triggers, outer });
    }
    let on = join.on.as_ref().map(|c| compile_over(c, &offsets)).transpose()?;
    let selector = selector_spec(query, events, &offsets, what)?;
    let right = sides.pop().expect("two sides");
    let left = sides.pop().expect("two sides");
    let spec = Arc::new(JoinQuerySpec { sides: [left, right], on, selector: Arc::new(selector), rate });
    let factory = Arc::new(move || Box::new(JoinQuery::new(spec.clone())) as Box<dyn Processor>);
    Ok(Node { name: query.name.clone(), inputs, target, placement: Placement::Single, factory })
}

fn rate_spec(query: &QueryPlan, what: &str) -> Result<RateSpec, String> {
    let grouped = !query.group_by.is_empty();
    Ok(match &query.output_rate {
        None => RateSpec::PassThrough,
        Some(OutputRatePlan::Events { which, count }) => {
            RateSpec::Events { which: which_of(*which), n: *count, grouped }
        }
        Some(OutputRatePlan::Time { which, period_ms }) => {
            RateSpec::Time { which: which_of(*which), period: *period_ms, grouped }
        }
        Some(OutputRatePlan::Snapshot { .. }) => return Err(format!("{what}: `output snapshot` is not built yet")),
    })
}

/// The selector of a query whose input row is laid out by `offsets`.
fn selector_spec(
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
            .map(|a| {
                let arg_types: Vec<_> = a.args.iter().map(|e| e.ty).collect();
                let name = a.name.clone();
                crate::aggregate::aggregator(&name, &arg_types)
                    .ok_or(format!("{what}: aggregate '{name}' is not built yet"))?;
                let arg = a.args.first().map(over).transpose()?;
                let factory: crate::query::selector::AggregatorFactory =
                    Arc::new(move || crate::aggregate::aggregator(&name, &arg_types).expect("checked at compile time"));
                Ok(AggregateSpec { factory, arg })
            })
            .collect::<Result<_, String>>()?,
        group_by: query.group_by.iter().map(over).collect::<Result<_, _>>()?,
        having: query.having.as_ref().map(over).transpose()?,
        order_by: query.order_by.iter().map(|(e, d)| Ok((over(e)?, *d))).collect::<Result<_, String>>()?,
        limit: query.limit.map(|l| l as usize),
        offset: query.offset.map(|o| o as usize),
        current_on: events != OutputEventType::Expired,
        expired_on: events != OutputEventType::Current,
        batching: true,
    })
}

fn which_of(w: sluice_frontend::ast::RateWhich) -> Which {
    match w {
        sluice_frontend::ast::RateWhich::All => Which::All,
        sluice_frontend::ast::RateWhich::First => Which::First,
        sluice_frontend::ast::RateWhich::Last => Which::Last,
    }
}

/// Builds the window factory: constant arguments are evaluated once, attribute
/// arguments become per-event extractors.
fn compile_window(name: &str, args: &[TypedExpr], query: &QueryPlan) -> Result<(WindowFactory, bool), String> {
    let mut compiled = Vec::new();
    for a in args {
        compiled.push(compile_expr(a)?);
    }
    let name = name.to_string();
    let expects_expired = query.output.events() != OutputEventType::Current;
    let window_args: Vec<crate::window::WindowArg> = compiled
        .into_iter()
        .map(|c| match c {
            CExpr::Const(v) => crate::window::WindowArg::Const(v),
            other => crate::window::WindowArg::Attr(Arc::new(move |row: &[Value]| other.eval(row, &Env::default()))),
        })
        .collect();
    // Build one now so that bad parameters are refused before the app starts.
    let first =
        crate::window::window(&name, &window_args, expects_expired).map_err(|e| format!("window {name}: {e}"))?;
    let is_batch = first.is_batch();
    let factory: WindowFactory =
        Arc::new(move || crate::window::window(&name, &window_args, expects_expired).expect("checked at compile time"));
    Ok((factory, is_batch))
}

/// Compiles a typed expression over a single input's row.
pub fn compile_expr(e: &TypedExpr) -> Result<CExpr, String> {
    compile_over(e, &[0])
}

/// Compiles a typed expression over a flat row made of several inputs' rows laid
/// end to end; `offsets[i]` is where input `i` starts.
pub fn compile_over(e: &TypedExpr, offsets: &[usize]) -> Result<CExpr, String> {
    let compile_expr = |x: &TypedExpr| compile_over(x, offsets);
    Ok(match &e.kind {
        TypedExprKind::Literal(l) => CExpr::Const(literal(l)),
        TypedExprKind::Attribute { input, position } => {
            CExpr::Col(offsets.get(*input).copied().unwrap_or(0) + position)
        }
        TypedExprKind::OutputAttribute(i) => CExpr::Col(*i),
        TypedExprKind::Aggregate { position, .. } => CExpr::Col(*position),
        TypedExprKind::Call { name, args } => {
            let arg_types: Vec<_> = args.iter().map(|a| a.ty).collect();
            let f = crate::functions::scalar(name, &arg_types).ok_or(format!("function '{name}' is not built yet"))?;
            let f: ScalarImpl = Arc::new(move |vals: &[Value], env: &Env| {
                let ctx = crate::functions::FnContext { event_ts: env.event_ts, now: env.now };
                f(vals, &ctx)
            });
            CExpr::Call(f, args.iter().map(&compile_expr).collect::<Result<_, _>>()?)
        }
        TypedExprKind::Unary(op, x) => CExpr::Unary(*op, Box::new(compile_expr(x)?)),
        TypedExprKind::Binary(op, l, r) => CExpr::Binary(*op, Box::new(compile_expr(l)?), Box::new(compile_expr(r)?)),
        TypedExprKind::IsNull(x) => CExpr::IsNull(Box::new(compile_expr(x)?)),
        other => return Err(format!("expression {other:?} is not built yet")),
    })
}

/// The value of a literal.
pub fn literal(l: &Literal) -> Value {
    match l {
        Literal::String(s) => Value::String(Arc::from(s.as_str())),
        Literal::Int(v) => Value::Int(*v),
        Literal::Long(v) => Value::Long(*v),
        Literal::Float(v) => Value::Float(*v),
        Literal::Double(v) => Value::Double(*v),
        Literal::Bool(v) => Value::Bool(*v),
        Literal::Null => Value::Null,
        Literal::Time(ms) => Value::Long(*ms),
    }
}

/// `#pol2Cart(theta, rho[, elevation])`: appends `x`, `y` (and `z`) to the row,
/// with theta in degrees.
fn pol2cart(args: &[TypedExpr]) -> Result<RowMap, String> {
    let args: Vec<CExpr> = if args.is_empty() {
        vec![CExpr::Col(0), CExpr::Col(1)]
    } else {
        args.iter().map(compile_expr).collect::<Result<_, _>>()?
    };
    Ok(Arc::new(move |row: &crate::value::Row, env: &Env| {
        let v: Vec<Value> = args.iter().map(|a| a.eval(row, env)).collect();
        let (theta, rho) = (v[0].as_f64().unwrap_or(f64::NAN), v[1].as_f64().unwrap_or(f64::NAN));
        let mut out: Vec<Value> = row.to_vec();
        out.push(Value::Double(rho * theta.to_radians().cos()));
        out.push(Value::Double(rho * theta.to_radians().sin()));
        if let Some(z) = v.get(2) {
            out.push(z.clone());
        }
        Arc::from(out)
    }))
}
