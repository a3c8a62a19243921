//! Window factories for queries and named windows: constant arguments, per-event
//! extractors, expression-window conditions, and the output data `frequent` /
//! `lossyFrequent` key events by when given no key attributes.

use super::*;

/// Builds a query's window factory; `input` is the input's name and schema,
/// `join_side` which side of a join it is on (`None`: a single input).
pub(super) fn compile_window(
    name: &str,
    args: &[TypedExpr],
    query: &QueryPlan,
    input: (&str, &sluice_frontend::logical::Schema),
    join_side: Option<usize>,
) -> Result<(WindowFactory, bool), String> {
    let output_data = output_data(query, join_side);
    window_factory(name, args, query.output.events() != OutputEventType::Current, input, Some(output_data))
}

/// The output data of the events a query's window holds, as the reference lays
/// it out (what `frequent` / `lossyFrequent` key events by when given no key
/// attributes): for a single input, one slot per `select` item, the attribute's
/// position for a plain attribute and `None` (a null) for anything else; for a
/// join side, the distinct plain attributes of that side the `select` reads, in
/// order.
fn output_data(query: &QueryPlan, join_side: Option<usize>) -> Vec<Option<usize>> {
    let plain = |e: &TypedExpr| match e.kind {
        TypedExprKind::Attribute { input, position } if input == join_side.unwrap_or(0) => Some(position),
        _ => None,
    };
    let mut slots = Vec::new();
    for (_, e) in &query.projection {
        let slot = plain(e);
        match join_side {
            None => slots.push(slot),
            Some(_) if slot.is_some() && !slots.contains(&slot) => slots.push(slot),
            Some(_) => {}
        }
    }
    slots
}

/// Compiles the condition of an `expression` / `expressionBatch` window over
/// `input` (its name and schema).
fn window_condition(
    text: &str,
    input: (&str, &sluice_frontend::logical::Schema),
) -> Result<crate::window::ConditionSpec, String> {
    let c = sluice_frontend::semantic::window_condition::window_condition(
        text,
        input.0,
        input.1,
        Some(crate::functions::signature),
    )?;
    let offsets = [0, c.width, 2 * c.width];
    let condition = compile_over(&c.condition, &offsets)?;
    let mut aggregates = Vec::new();
    for a in &c.aggregates {
        let (factory, arg, more) = aggregate_factory(a, |e| compile_over(e, &offsets), "window condition")?;
        if !more.is_empty() {
            return Err(format!(
                "aggregate '{}' of more than one argument in a window's condition is not built yet",
                a.name
            ));
        }
        aggregates.push((factory, arg));
    }
    Ok(crate::window::ConditionSpec { condition, aggregates, width: c.width })
}

/// Builds a window factory: constant arguments are evaluated once, attribute
/// arguments become per-event extractors, and the condition of an expression
/// window is compiled over `input` (the input's name and schema). Returns it and
/// whether it is a batch window. `output_data` (see [`output_data`]) keys a
/// `frequent` / `lossyFrequent` window given no key attributes; `None` (a named
/// window) keys it by all the event's values.
pub(super) fn window_factory(
    name: &str,
    args: &[TypedExpr],
    expects_expired: bool,
    input: (&str, &sluice_frontend::logical::Schema),
    output_data: Option<Vec<Option<usize>>>,
) -> Result<(WindowFactory, bool), String> {
    let mut compiled = Vec::new();
    for a in args {
        compiled.push(compile_expr(a)?);
    }
    let condition = match (name, compiled.first()) {
        ("expression" | "expressionBatch", Some(CExpr::Const(Value::String(text)))) => {
            Some(crate::window::WindowArg::Condition(Arc::new(
                window_condition(text, input).map_err(|e| format!("window {name}: {e}"))?,
            )))
        }
        ("expression" | "expressionBatch", Some(text)) => {
            // Read from each event: compiled when an event brings a new text.
            let text = text.clone();
            let (input_name, schema) = (input.0.to_string(), input.1.clone());
            let compile: crate::window::ConditionCompiler =
                Arc::new(move |t: &str| window_condition(t, (&input_name, &schema)).map(Arc::new));
            let text: crate::window::Extractor = Arc::new(move |row: &[Value]| text.eval(row, &Env::default()));
            Some(crate::window::WindowArg::PerEventCondition(crate::window::PerEventCondition { text, compile }))
        }
        _ => None,
    };
    let name = name.to_string();
    let mut window_args: Vec<crate::window::WindowArg> = compiled
        .into_iter()
        .map(|c| match c {
            CExpr::Const(v) => crate::window::WindowArg::Const(v),
            other => {
                let column = match &other {
                    CExpr::Col(i) => Some(*i),
                    _ => None,
                };
                crate::window::WindowArg::Attr(Arc::new(move |row: &[Value]| other.eval(row, &Env::default())), column)
            }
        })
        .collect();
    if let Some(c) = condition {
        window_args[0] = c;
    }
    let constants = match name.to_ascii_lowercase().as_str() {
        "frequent" => 1,
        "lossyfrequent" => 2,
        _ => usize::MAX,
    };
    if let (true, Some(slots)) = (window_args.len() == constants, output_data) {
        window_args.push(crate::window::WindowArg::OutputData(slots));
    }
    // Build one now so that bad parameters are refused before the app starts.
    let first =
        crate::window::window(&name, &window_args, expects_expired).map_err(|e| format!("window {name}: {e}"))?;
    let is_batch = first.is_batch();
    let factory: WindowFactory =
        Arc::new(move || crate::window::window(&name, &window_args, expects_expired).expect("checked at compile time"));
    Ok((factory, is_batch))
}
