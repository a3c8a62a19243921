//! The condition of an `expression` / `expressionBatch` window: a string parsed
//! and typed as the reference does (`SiddhiCompiler.parseExpression` over three
//! events: the event itself, `first` and `last`), with aggregates allowed.

use super::expr::{Ctx, InputScope, Scope};
use super::functions::FunctionLookup;
use super::Analyzer;
use crate::ast::*;
use crate::logical::*;

/// The hidden attribute that carries an event's timestamp in the condition's rows
/// (`@` cannot start a name, so no stream attribute can clash with it).
pub const TIMESTAMP_ATTR: &str = "@timestamp";

/// A typed window condition. It reads a flat row: the event's attributes and its
/// timestamp, then the same for the window's first event and for its last event
/// (`width` values each), then the values of `aggregates`.
#[derive(Clone, Debug)]
pub struct WindowCondition {
    /// The condition (bool).
    pub condition: TypedExpr,
    /// The aggregate calls in it, over the event's row.
    pub aggregates: Vec<AggregateCall>,
    /// Values per event: the stream's attributes and the timestamp.
    pub width: usize,
}

/// Rewrites `eventTimestamp()` / `eventTimestamp(first)` / `eventTimestamp(last)`
/// into reads of the hidden timestamp attribute.
fn rewrite_timestamps(e: &mut Expr) {
    let span = e.span;
    let replacement = match &e.kind {
        ExprKind::Call(call) if call.namespace.is_none() && call.name.name.eq_ignore_ascii_case("eventTimestamp") => {
            let stream = match call.args.as_slice() {
                [] => None,
                [a] => match &a.kind {
                    ExprKind::Attribute { stream: None, name } => {
                        Some(StreamRef { inner: false, name: name.clone(), index: None })
                    }
                    ExprKind::StreamRef(r) => Some(r.clone()),
                    _ => return,
                },
                _ => return,
            };
            Some(ExprKind::Attribute { stream, name: Ident { name: TIMESTAMP_ATTR.to_string(), span } })
        }
        _ => None,
    };
    if let Some(k) = replacement {
        e.kind = k;
        return;
    }
    match &mut e.kind {
        ExprKind::Call(call) => call.args.iter_mut().for_each(rewrite_timestamps),
        ExprKind::Unary(_, x) | ExprKind::IsNull(x) | ExprKind::In(x, _) => rewrite_timestamps(x),
        ExprKind::Binary(_, l, r) => {
            rewrite_timestamps(l);
            rewrite_timestamps(r);
        }
        _ => {}
    }
}

/// Parses and types the condition `text` of an expression window over a stream
/// named `stream` with `schema`; `functions` adds the engine's function library.
/// Errors come back as one message.
pub fn window_condition(
    text: &str,
    stream: &str,
    schema: &Schema,
    functions: Option<FunctionLookup>,
) -> Result<WindowCondition, String> {
    let mut e = crate::parser::parse_expression(text).map_err(|d| {
        let m: Vec<String> = d.into_iter().map(|d| d.message).collect();
        format!("cannot parse the expression '{text}': {}", m.join("; "))
    })?;
    rewrite_timestamps(&mut e);
    let mut with_ts = schema.clone();
    with_ts.attrs.push((TIMESTAMP_ATTR.to_string(), AttrType::Long));
    let width = with_ts.len();
    let input = |name: &str| InputScope {
        name: name.to_string(),
        alias: None,
        schema: with_ts.clone(),
        indexable: false,
        counted: false,
    };
    let scope = Scope {
        inputs: vec![input(stream), input("first"), input("last")],
        current: Some(0),
        output: None,
        join: false,
    };
    let mut a = Analyzer::new(Catalog::default(), functions, false);
    let mut ctx = Ctx { aggregates: Some(Vec::new()), input_len: 3 * width };
    let condition = a.typed(&e, &scope, &mut ctx);
    let errors: Vec<String> = a.diags.iter().filter(|d| d.is_error()).map(|d| d.message.clone()).collect();
    if !errors.is_empty() {
        return Err(format!("the expression '{text}': {}", errors.join("; ")));
    }
    if condition.ty != AttrType::Bool {
        return Err(format!("the expression '{text}' does not return bool (it returns {})", condition.ty));
    }
    Ok(WindowCondition { condition, aggregates: ctx.aggregates.unwrap_or_default(), width })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn schema() -> Schema {
        Schema { attrs: vec![("symbol".into(), AttrType::String), ("volume".into(), AttrType::Int)] }
    }

    #[test]
    fn first_last_timestamps_and_aggregates_resolve() {
        let c = window_condition(
            "eventTimestamp(last) - eventTimestamp(first) < 3000 and count() <= 20 and last.volume > volume",
            "S",
            &schema(),
            None,
        )
        .unwrap();
        assert_eq!(c.width, 3);
        assert_eq!(c.aggregates.len(), 1);
        assert_eq!(c.condition.ty, AttrType::Bool);
    }

    #[test]
    fn bad_conditions_are_refused() {
        assert!(window_condition("count() + 1", "S", &schema(), None).unwrap_err().contains("does not return bool"));
        assert!(window_condition("price > 1", "S", &schema(), None).is_err());
        assert!(window_condition("count( <= 2", "S", &schema(), None).is_err());
    }
}
