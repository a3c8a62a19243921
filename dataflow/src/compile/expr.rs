//! Typed expressions compiled into the runtime's [`CExpr`].

use super::*;

/// Compiles a typed expression over a single input's row.
pub fn compile_expr(e: &TypedExpr) -> Result<CExpr, String> {
    compile_over(e, &[0])
}

/// Compiles a typed expression over a flat row made of several inputs' rows laid
/// end to end; `offsets[i]` is where input `i` starts.
pub fn compile_over(e: &TypedExpr, offsets: &[usize]) -> Result<CExpr, String> {
    compile_probing(e, offsets, None)
}

/// [`compile_over`], where attributes of input `probe` (the table an `in` probes)
/// read the probed row.
pub(super) fn compile_probing(e: &TypedExpr, offsets: &[usize], probe: Option<usize>) -> Result<CExpr, String> {
    let compile_expr = |x: &TypedExpr| compile_probing(x, offsets, probe);
    Ok(match &e.kind {
        TypedExprKind::Literal(l) => CExpr::Const(literal(l)),
        TypedExprKind::Attribute { input, position } if Some(*input) == probe => CExpr::ProbeCol(*position),
        TypedExprKind::Attribute { input, position } => {
            CExpr::Col(offsets.get(*input).copied().unwrap_or(0) + position)
        }
        TypedExprKind::Indexed { input, index, position } => CExpr::Indexed(*input, *index, *position),
        TypedExprKind::In { table, input, cond } => {
            CExpr::In(Arc::from(table.as_str()), Box::new(compile_probing(cond, offsets, Some(*input))?))
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
        TypedExprKind::Script { function, args } => {
            let f = crate::functions::script::callable(function.clone());
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

/// The stage of stream function `#name(args)` before a window, for query `what`:
/// `#pol2Cart`, `#log`, the tokenizers and the `#geo:` stream functions.
pub(super) fn stream_stage(name: &str, args: &[TypedExpr], what: &str) -> Result<Stage, String> {
    let compiled = || args.iter().map(compile_expr).collect::<Result<Vec<_>, String>>();
    match name {
        "pol2cart" => Ok(Stage::Map(pol2cart(args)?)),
        "log" => {
            let typed = args.iter().map(|a| Ok((compile_expr(a)?, a.ty))).collect::<Result<_, String>>()?;
            Ok(Stage::Map(crate::query::log_events::log_events(typed, what)?))
        }
        _ if crate::query::tokenize::tokenizer(name, Vec::new(), what).is_some() => {
            crate::query::tokenize::tokenizer(name, compiled()?, what)
                .map(Stage::FlatMap)
                .ok_or_else(|| format!("{what}: stream function '{name}' is not built yet"))
        }
        _ => Err(format!("{what}: stream function '{name}' is not built yet")),
    }
}

/// `#pol2Cart(theta, rho[, elevation])`: appends `x`, `y` (and `z`) to the row,
/// with theta in degrees.
pub(super) fn pol2cart(args: &[TypedExpr]) -> Result<RowMap, String> {
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

/// The factory of aggregate call `a`, its argument and its further arguments read
/// per event (`map:collect(key, value)`), compiled by `over`; the arguments that
/// are parameters (`str:groupConcat`'s separator …) must be constants and are
/// given to the aggregator when it is made.
pub(super) fn aggregate_factory(
    a: &sluice_frontend::logical::AggregateCall,
    over: impl Fn(&TypedExpr) -> Result<CExpr, String>,
    what: &str,
) -> Result<(crate::query::selector::AggregatorFactory, Option<CExpr>, Vec<CExpr>), String> {
    let arg_types: Vec<_> = a.args.iter().map(|e| e.ty).collect();
    let name = a.name.clone();
    let parameters_from = crate::aggregate::parameters_from(&name).unwrap_or(usize::MAX);
    let mut params = Vec::new();
    for e in a.args.iter().skip(parameters_from) {
        match compile_expr(e)? {
            CExpr::Const(v) => params.push(v),
            _ => return Err(format!("{what}: a parameter of '{name}' read from each event is not built yet")),
        }
    }
    crate::aggregate::aggregator_with(&name, &arg_types, &params)
        .ok_or(format!("{what}: aggregate '{name}' is not built yet"))?;
    let arg = a.args.first().map(&over).transpose()?;
    let more = a.args.iter().take(parameters_from).skip(1).map(&over).collect::<Result<_, _>>()?;
    let factory: crate::query::selector::AggregatorFactory = Arc::new(move || {
        crate::aggregate::aggregator_with(&name, &arg_types, &params).expect("checked at compile time")
    });
    Ok((factory, arg, more))
}
