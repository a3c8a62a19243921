//! Ad hoc queries over an app's tables and named windows: the stream-worker
//! on-demand forms (`from T on … select …`, `update`/`delete`/upsert …) go to the
//! engine as they are; a standard SQL `SELECT … FROM T WHERE … GROUP BY … HAVING …
//! ORDER BY … LIMIT … OFFSET …` is parsed with `sqlparser` and rewritten into the
//! on-demand form, so both are answered by the same code at one logical time.

use sqlparser::ast::{
    BinaryOperator, Expr, FunctionArg, FunctionArgExpr, FunctionArguments, GroupByExpr, LimitClause, ObjectName,
    ObjectNamePart, OrderByKind, SelectItem, SetExpr, Statement, TableFactor, UnaryOperator, Value,
};
use sqlparser::dialect::GenericDialect;
use sqlparser::parser::Parser;

/// The on-demand text for an ad hoc query: SQL `SELECT`s are rewritten, anything
/// else is passed through for the engine's own parser.
pub fn on_demand_text(text: &str) -> Result<String, String> {
    let trimmed = text.trim_start();
    let first_word: String = trimmed.chars().take_while(|c| c.is_ascii_alphabetic()).collect();
    if first_word.eq_ignore_ascii_case("select") || first_word.eq_ignore_ascii_case("with") {
        sql_to_on_demand(text)
    } else {
        Ok(text.to_string())
    }
}

/// Rewrites one SQL `SELECT` over one table or named window into the on-demand form.
pub fn sql_to_on_demand(sql: &str) -> Result<String, String> {
    let statements = Parser::parse_sql(&GenericDialect {}, sql).map_err(|e| format!("SQL: {e}"))?;
    let [Statement::Query(query)] = statements.as_slice() else {
        return Err("SQL: send exactly one SELECT statement".into());
    };
    if query.with.is_some() || query.fetch.is_some() || !query.locks.is_empty() {
        return Err("SQL: WITH, FETCH and locking clauses are not supported".into());
    }
    let SetExpr::Select(select) = query.body.as_ref() else {
        return Err("SQL: only a plain SELECT is supported (no UNION, VALUES or subquery)".into());
    };
    if select.distinct.is_some() || select.top.is_some() {
        return Err("SQL: DISTINCT and TOP are not supported; use GROUP BY".into());
    }
    let [from] = select.from.as_slice() else {
        return Err("SQL: FROM must name exactly one table or named window".into());
    };
    if !from.joins.is_empty() {
        return Err("SQL: joins are not supported in snapshot queries".into());
    }
    let TableFactor::Table { name, alias, args: None, .. } = &from.relation else {
        return Err("SQL: FROM must name a table or named window".into());
    };
    let mut out = format!("from {}", object_name(name)?);
    if let Some(alias) = alias {
        out.push_str(&format!(" as {}", alias.name.value));
    }
    if let Some(cond) = &select.selection {
        out.push_str(&format!(" on {}", expr(cond)?));
    }
    let mut items = Vec::new();
    for item in &select.projection {
        items.push(match item {
            SelectItem::UnnamedExpr(e) => expr(e)?,
            SelectItem::ExprWithAlias { expr: e, alias } => format!("{} as {}", expr(e)?, alias.value),
            SelectItem::Wildcard(_) => "*".to_string(),
            SelectItem::QualifiedWildcard(..) => return Err("SQL: `alias.*` is not supported; use `*`".into()),
        });
    }
    out.push_str(&format!(" select {}", items.join(", ")));
    match &select.group_by {
        GroupByExpr::Expressions(exprs, modifiers) if modifiers.is_empty() => {
            if !exprs.is_empty() {
                out.push_str(&format!(" group by {}", list(exprs)?));
            }
        }
        _ => return Err("SQL: GROUP BY ALL and grouping modifiers are not supported".into()),
    }
    if let Some(h) = &select.having {
        out.push_str(&format!(" having {}", expr(h)?));
    }
    if let Some(order) = &query.order_by {
        let OrderByKind::Expressions(keys) = &order.kind else {
            return Err("SQL: ORDER BY ALL is not supported".into());
        };
        let mut parts = Vec::new();
        for k in keys {
            let dir = if k.options.asc == Some(false) { " desc" } else { "" };
            parts.push(format!("{}{dir}", expr(&k.expr)?));
        }
        out.push_str(&format!(" order by {}", parts.join(", ")));
    }
    match &query.limit_clause {
        None => {}
        Some(LimitClause::LimitOffset { limit, offset, limit_by }) if limit_by.is_empty() => {
            if let Some(l) = limit {
                out.push_str(&format!(" limit {}", expr(l)?));
            }
            if let Some(o) = offset {
                out.push_str(&format!(" offset {}", expr(&o.value)?));
            }
        }
        Some(LimitClause::OffsetCommaLimit { offset, limit }) => {
            out.push_str(&format!(" limit {} offset {}", expr(limit)?, expr(offset)?));
        }
        Some(_) => return Err("SQL: LIMIT BY is not supported".into()),
    }
    Ok(out)
}

fn object_name(name: &ObjectName) -> Result<String, String> {
    match name.0.last() {
        Some(ObjectNamePart::Identifier(id)) => Ok(id.value.clone()),
        _ => Err(format!("SQL: `{name}` is not a table name")),
    }
}

fn list(exprs: &[Expr]) -> Result<String, String> {
    Ok(exprs.iter().map(expr).collect::<Result<Vec<_>, _>>()?.join(", "))
}

/// A string literal in the stream-worker language.
fn string_literal(s: &str) -> String {
    if s.contains('\'') {
        format!("\"{s}\"")
    } else {
        format!("'{s}'")
    }
}

/// An SQL expression in the stream-worker language's spelling.
fn expr(e: &Expr) -> Result<String, String> {
    Ok(match e {
        Expr::Identifier(id) => id.value.clone(),
        Expr::CompoundIdentifier(ids) => ids.iter().map(|i| i.value.as_str()).collect::<Vec<_>>().join("."),
        Expr::Value(v) => match &v.value {
            Value::Number(n, _) => n.to_string(),
            Value::SingleQuotedString(s) | Value::DoubleQuotedString(s) => string_literal(s),
            Value::Boolean(b) => b.to_string(),
            Value::Null => "null".to_string(),
            other => return Err(format!("SQL: the literal `{other}` is not supported")),
        },
        Expr::Nested(inner) => format!("({})", expr(inner)?),
        Expr::IsNull(inner) => format!("{} is null", expr(inner)?),
        Expr::IsNotNull(inner) => format!("not ({} is null)", expr(inner)?),
        Expr::UnaryOp { op, expr: inner } => match op {
            UnaryOperator::Not => format!("not ({})", expr(inner)?),
            UnaryOperator::Minus => format!("-{}", expr(inner)?),
            UnaryOperator::Plus => expr(inner)?,
            other => return Err(format!("SQL: the operator `{other}` is not supported")),
        },
        Expr::BinaryOp { left, op, right } => {
            let op = match op {
                BinaryOperator::Eq => "==",
                BinaryOperator::NotEq => "!=",
                BinaryOperator::Lt => "<",
                BinaryOperator::LtEq => "<=",
                BinaryOperator::Gt => ">",
                BinaryOperator::GtEq => ">=",
                BinaryOperator::And => "and",
                BinaryOperator::Or => "or",
                BinaryOperator::Plus => "+",
                BinaryOperator::Minus => "-",
                BinaryOperator::Multiply => "*",
                BinaryOperator::Divide => "/",
                BinaryOperator::Modulo => "%",
                other => return Err(format!("SQL: the operator `{other}` is not supported")),
            };
            format!("{} {op} {}", expr(left)?, expr(right)?)
        }
        Expr::Between { expr: inner, negated, low, high } => {
            let (x, lo, hi) = (expr(inner)?, expr(low)?, expr(high)?);
            let test = format!("({x} >= {lo} and {x} <= {hi})");
            if *negated {
                format!("not {test}")
            } else {
                test
            }
        }
        Expr::InList { expr: inner, list: items, negated } => {
            let x = expr(inner)?;
            let tests: Vec<String> =
                items.iter().map(|i| Ok(format!("{x} == {}", expr(i)?))).collect::<Result<_, String>>()?;
            let any = format!("({})", tests.join(" or "));
            if *negated {
                format!("not {any}")
            } else {
                any
            }
        }
        Expr::Function(f) => {
            if f.filter.is_some() || f.over.is_some() || !f.within_group.is_empty() {
                return Err(format!("SQL: `{f}`: FILTER, OVER and WITHIN GROUP are not supported"));
            }
            let name = object_name(&f.name)?;
            let args = match &f.args {
                FunctionArguments::None => Vec::new(),
                FunctionArguments::List(l) => {
                    if l.duplicate_treatment.is_some() || !l.clauses.is_empty() {
                        return Err(format!("SQL: `{f}`: DISTINCT and clauses inside calls are not supported"));
                    }
                    let mut args = Vec::new();
                    for a in &l.args {
                        match a {
                            FunctionArg::Unnamed(FunctionArgExpr::Expr(e)) => args.push(expr(e)?),
                            // `count(*)` is the stream-worker language's `count()`.
                            FunctionArg::Unnamed(FunctionArgExpr::Wildcard) => {}
                            _ => return Err(format!("SQL: `{f}`: named or qualified arguments are not supported")),
                        }
                    }
                    args
                }
                FunctionArguments::Subquery(_) => return Err("SQL: subqueries are not supported".into()),
            };
            format!("{name}({})", args.join(", "))
        }
        other => return Err(format!("SQL: `{other}` is not supported in snapshot queries")),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn select_becomes_the_on_demand_form() {
        assert_eq!(
            sql_to_on_demand(
                "SELECT symbol, sum(volume) AS total FROM StockTable WHERE price > 10 AND symbol <> 'X' \
                 GROUP BY symbol HAVING sum(volume) >= 5 ORDER BY total DESC LIMIT 3 OFFSET 1"
            )
            .unwrap(),
            "from StockTable on price > 10 and symbol != 'X' select symbol, sum(volume) as total group by symbol \
             having sum(volume) >= 5 order by total desc limit 3 offset 1"
        );
        assert_eq!(sql_to_on_demand("select count(*) as n from T").unwrap(), "from T select count() as n");
        assert_eq!(sql_to_on_demand("select * from T where a = 1").unwrap(), "from T on a == 1 select *");
        assert_eq!(
            sql_to_on_demand("select * from T where a in (1, 2) and b is not null").unwrap(),
            "from T on (a == 1 or a == 2) and not (b is null) select *"
        );
    }

    #[test]
    fn what_cannot_be_answered_is_refused_with_a_reason() {
        assert!(sql_to_on_demand("select * from A join B on A.x = B.x").unwrap_err().contains("joins"));
        assert!(sql_to_on_demand("select * from A; select * from B").unwrap_err().contains("exactly one"));
        assert!(sql_to_on_demand("select * frm A").unwrap_err().starts_with("SQL:"));
        assert!(sql_to_on_demand("select (select 1) from A").unwrap_err().contains("not supported"));
    }

    #[test]
    fn on_demand_text_passes_the_stream_worker_forms_through() {
        assert_eq!(on_demand_text("from T on a > 1 select a").unwrap(), "from T on a > 1 select a");
        assert_eq!(on_demand_text("  SELECT a FROM T").unwrap(), "from T select a");
    }
}
