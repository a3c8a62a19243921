//! Compiling named aggregations: the definition into an [`AggregationSpec`], and
//! a join that reads one into an [`AggregationJoinSpec`]. What is not built is
//! refused with a one-line reason.

use super::{
    compile_expr, compile_over, selector_spec, stream_id, Compiled, CompiledQuery, InputRef, QueryCx, QueryOutput,
};
use crate::aggregation::join::AggregationJoinSpec;
use crate::aggregation::{AggKind, AggregationSpec, ColumnSpec};
use crate::query::group::MemberFactory;
use crate::query::rate::RateSpec;
use crate::query::selector::SelectorSpec;
use crate::relation::RelationRef;
use crate::runtime::graph::{Forward, Processor};
use crate::runtime::message::StreamId;
use sluice_frontend::ast::OutputEventType;
use sluice_frontend::ast::{AttrType, JoinKind};
use sluice_frontend::logical::{AggregationPlan, EntryKind, HandlerPlan, JoinPlan, TypedExpr, TypedExprKind};
use std::collections::HashMap;
use std::sync::Arc;

/// Compiles `define aggregation …`.
pub(super) fn aggregation_spec(plan: &AggregationPlan) -> Result<AggregationSpec, String> {
    let what = format!("aggregation '{}'", plan.name);
    let mut columns = Vec::new();
    for (name, e) in &plan.projection {
        let column = match &e.kind {
            TypedExprKind::Aggregate { index, .. } => {
                let call = plan.aggregates.get(*index).ok_or(format!("{what}: unknown aggregate"))?;
                let kind = AggKind::of(&call.name)
                    .ok_or(format!("{what}: '{}' in an aggregation is not built yet", call.name))?;
                let arg = call.args.first().map(compile_expr).transpose()?;
                let integral = call.args.first().is_some_and(|a| matches!(a.ty, AttrType::Int | AttrType::Long));
                ColumnSpec::Aggregate { kind, arg, integral }
            }
            _ if reads_aggregate(e, 0) => {
                return Err(format!("{what}: '{name}': an expression over aggregates is not built yet"));
            }
            _ => ColumnSpec::Value(compile_expr(e)?),
        };
        columns.push(column);
    }
    Ok(AggregationSpec {
        name: plan.name.clone(),
        filters: plan.filters.iter().map(compile_expr).collect::<Result<_, _>>()?,
        timestamp: plan.timestamp.as_ref().map(compile_expr).transpose()?,
        group_by: plan.group_by.iter().map(compile_expr).collect::<Result<_, _>>()?,
        columns,
        granularities: plan.granularities.clone(),
    })
}

/// Whether `e` reads an aggregate value (depth-bounded: the parser limits
/// expressions to 64 levels).
fn reads_aggregate(e: &TypedExpr, depth: usize) -> bool {
    if depth > 256 {
        return true;
    }
    match &e.kind {
        TypedExprKind::Aggregate { .. } => true,
        TypedExprKind::Call { args, .. } | TypedExprKind::Script { args, .. } => {
            args.iter().any(|a| reads_aggregate(a, depth + 1))
        }
        TypedExprKind::Unary(_, x) | TypedExprKind::IsNull(x) => reads_aggregate(x, depth + 1),
        TypedExprKind::Binary(_, l, r) => reads_aggregate(l, depth + 1) || reads_aggregate(r, depth + 1),
        _ => false,
    }
}

/// Compiles a join of a stream (left) with aggregation number `aggregation` (right).
fn join_spec(
    join: &JoinPlan,
    aggregation: usize,
    selector: SelectorSpec,
    rate: &RateSpec,
    expects_expired: bool,
    what: &str,
) -> Result<AggregationJoinSpec, String> {
    if join.left.kind != EntryKind::Stream {
        return Err(format!("{what}: a join of an aggregation with a {:?} is not built yet", join.left.kind));
    }
    if join.unidirectional.is_some() {
        return Err(format!("{what}: `unidirectional` in a join with an aggregation is not built yet"));
    }
    let outer = match join.kind {
        JoinKind::Inner => false,
        JoinKind::LeftOuter => true,
        _ => return Err(format!("{what}: this outer join with an aggregation is not built yet")),
    };
    let mut filters = Vec::new();
    for h in &join.left.handlers {
        match h {
            HandlerPlan::Filter(e) => filters.push(compile_expr(e)?),
            _ => {
                return Err(format!(
                    "{what}: windows and stream functions in a join with an aggregation are not built yet"
                ))
            }
        }
    }
    let per = join.per.as_ref().ok_or(format!("{what}: a join with an aggregation needs `per`"))?;
    let offsets = join.offsets();
    Ok(AggregationJoinSpec {
        aggregation,
        filters,
        within: join.within.iter().map(|e| compile_over(e, &offsets)).collect::<Result<_, _>>()?,
        per: compile_over(per, &offsets)?,
        on: join.on.as_ref().map(|c| compile_over(c, &offsets)).transpose()?,
        right_width: join.right.schema.len(),
        outer,
        expects_expired,
        selector: Arc::new(selector),
        rate: rate.clone(),
    })
}

/// The member that feeds aggregation number `index` with its stream's events.
pub(super) fn feeder(
    index: usize,
    plan: &AggregationPlan,
    ids: &HashMap<String, StreamId>,
) -> Result<CompiledQuery, String> {
    let stream =
        *ids.get(&plan.stream).ok_or(format!("aggregation '{}': unknown stream '{}'", plan.name, plan.stream))?;
    let make: MemberFactory =
        Arc::new(move |r| Box::new(crate::aggregation::Feed::new(index, r)) as Box<dyn Processor>);
    Ok(CompiledQuery {
        name: format!("#aggregation:{}", plan.name),
        inputs: vec![InputRef::Stream(stream)],
        output: QueryOutput::Nothing,
        forward: Forward::Current,
        stateless: false,
        touches: vec![plan.name.clone()],
        make,
    })
}

/// Compiles a query reading `join`, whose right side is a named aggregation.
pub(super) fn compile_join(cx: &QueryCx, join: &JoinPlan, touches: &mut Vec<String>) -> Result<Compiled, String> {
    let QueryCx { query, ids, rel, what, events, rate } = *cx;
    let Some(RelationRef::Aggregation(a)) = rel.names.get(&join.right.name).copied() else {
        return Err(format!("{what}: '{}' is not an aggregation", join.right.name));
    };
    touches.push(join.right.name.clone());
    let offsets = join.offsets();
    let selector = selector_spec(query, events, &offsets, what)?;
    let expired = events != OutputEventType::Current;
    let spec = Arc::new(join_spec(join, a, selector, rate, expired, what)?);
    let make: MemberFactory = Arc::new(move |r| {
        Box::new(crate::aggregation::join::AggregationJoin::new(spec.clone(), r)) as Box<dyn Processor>
    });
    let input = InputRef::Stream(stream_id(&join.left, ids, what)?);
    Ok((vec![input, InputRef::Nothing], make, false))
}

/// Refuses a partition whose queries join a named aggregation: the reference
/// (5.1.7) accepts such an app but its partitioned join outputs nothing.
pub(super) fn refuse_in_partition(p: &sluice_frontend::logical::PartitionPlan) -> Result<(), String> {
    for q in &p.queries {
        if let sluice_frontend::logical::InputPlan::Join(j) = &q.input {
            if j.left.kind == EntryKind::Aggregation || j.right.kind == EntryKind::Aggregation {
                return Err(format!(
                    "query '{}': a join with a named aggregation inside a partition is not built yet",
                    q.name
                ));
            }
        }
    }
    Ok(())
}
