//! On-demand (snapshot) queries: checked against a running app's relations and
//! compiled into what the snapshot processor runs.

use super::*;

/// Checks and compiles an on-demand query against `plan`; errors are rendered
/// with the query's line and column.
pub fn plan_on_demand(plan: &AppPlan, text: &str) -> Result<(QueryPlan, OnDemand), String> {
    let render = |errors: Vec<sluice_frontend::Diagnostic>| {
        errors.first().map(|d| d.render("query", text)).unwrap_or_else(|| "invalid query".into())
    };
    let ast = sluice_frontend::parse_on_demand(text).map_err(render)?;
    let query = sluice_frontend::analyze_on_demand(plan, &ast, Some(crate::functions::signature)).map_err(render)?;
    let compiled = compile_on_demand(&query, &relation_names(plan))?;
    Ok((query, compiled))
}

/// An on-demand query, compiled against the relations of a running app.
pub struct OnDemand {
    /// The table or window it reads.
    pub source: RelationRef,
    /// `on`, over the relation's rows.
    pub filters: Vec<CExpr>,
    /// `select …` over the matching rows (as one batch).
    pub selector: Arc<SelectorSpec>,
    /// For a writing query: the table and what is done to it with each selected row.
    pub sink: Option<(usize, Arc<TableAction>)>,
    /// Reading an aggregation: `within` and `per`.
    pub within: Option<(Vec<CExpr>, CExpr)>,
}

/// Compiles a checked on-demand query (see `sluice_frontend::analyze_on_demand`).
pub fn compile_on_demand(query: &QueryPlan, names: &HashMap<String, RelationRef>) -> Result<OnDemand, String> {
    let what = "the on-demand query";
    let InputPlan::Single(input) = &query.input else {
        return Err(format!("{what} must read one table or window"));
    };
    let source = match names.get(&input.name) {
        Some(r) => *r,
        None if input.name == sluice_frontend::logical::UNIT_RELATION => RelationRef::Unit,
        None => return Err(format!("{what}: '{}' is not a table or window", input.name)),
    };
    let mut filters = Vec::new();
    let mut within = None;
    for h in &input.handlers {
        match h {
            HandlerPlan::Filter(e) => filters.push(compile_expr(e)?),
            HandlerPlan::Within { range, per } => {
                within = Some((range.iter().map(compile_expr).collect::<Result<_, _>>()?, compile_expr(per)?));
            }
            _ => return Err(format!("{what}: only `on` conditions may follow the table")),
        }
    }
    if matches!(source, RelationRef::Aggregation(_)) != within.is_some() {
        return Err(format!("{what}: `within … per …` reads an aggregation, and only that"));
    }
    let table_of = |name: &str| match names.get(name) {
        Some(RelationRef::Table(t)) => Ok(*t),
        _ => Err(format!("{what}: '{name}' is not a table")),
    };
    let sink = match &query.output {
        OutputPlan::Return { .. } => None,
        OutputPlan::Insert { target, .. } => Some((
            table_of(target)?,
            Arc::new(TableAction { op: TableOp::Insert, on: None, set: Vec::new(), key: None }),
        )),
        OutputPlan::TableAction { table, .. } => Some((table_of(table)?, Arc::new(table_action(query)?))),
    };
    let selector = selector_spec(query, OutputEventType::Current, &[0], what)?;
    Ok(OnDemand { source, filters, selector: Arc::new(selector), sink, within })
}

/// Calls `f` on every expression of a query.
pub(super) fn visit_query_exprs(query: &QueryPlan, f: &mut dyn FnMut(&TypedExpr)) {
    let handlers = |input: &SingleInputPlan, f: &mut dyn FnMut(&TypedExpr)| {
        for h in &input.handlers {
            match h {
                HandlerPlan::Filter(e) => f(e),
                HandlerPlan::Window { args, .. } | HandlerPlan::StreamFunction { args, .. } => {
                    args.iter().for_each(&mut *f)
                }
                HandlerPlan::Within { range, per } => {
                    range.iter().for_each(&mut *f);
                    f(per);
                }
            }
        }
    };
    match &query.input {
        InputPlan::Single(input) => handlers(input, f),
        InputPlan::Join(join) => {
            handlers(&join.left, f);
            handlers(&join.right, f);
            if let Some(on) = &join.on {
                f(on);
            }
        }
        InputPlan::Pattern(p) => p.events.iter().flat_map(|e| e.filters.iter()).for_each(&mut *f),
    }
    query.projection.iter().for_each(|(_, e)| f(e));
    query.aggregates.iter().flat_map(|a| a.args.iter()).for_each(&mut *f);
    query.group_by.iter().for_each(&mut *f);
    query.having.iter().for_each(&mut *f);
    query.order_by.iter().for_each(|(e, _)| f(e));
    if let OutputPlan::TableAction { on, set, .. } = &query.output {
        f(on);
        set.iter().for_each(|(_, e)| f(e));
    }
}

/// Collects the tables `in` reads within `e`.
pub(super) fn in_tables(e: &TypedExpr, out: &mut Vec<String>) {
    match &e.kind {
        TypedExprKind::In { table, cond, .. } => {
            out.push(table.clone());
            in_tables(cond, out);
        }
        TypedExprKind::Call { args, .. } | TypedExprKind::Script { args, .. } => {
            args.iter().for_each(|a| in_tables(a, out))
        }
        TypedExprKind::Unary(_, x) | TypedExprKind::IsNull(x) => in_tables(x, out),
        TypedExprKind::Binary(_, l, r) => {
            in_tables(l, out);
            in_tables(r, out);
        }
        _ => {}
    }
}
