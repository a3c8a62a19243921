//! Ad hoc queries over an app's tables and named windows: the stream-worker
//! on-demand forms (`from T on … select …`, `update`/`delete`/upsert …) go to the
//! engine as they are; a standard SQL `SELECT … FROM T WHERE … GROUP BY … HAVING …
//! ORDER BY … LIMIT … OFFSET …` is parsed with `sqlparser` and rewritten into the
//! on-demand form, so both are answered by the same code at one logical time.
//!
//! Hostile SQL must not overflow a stack or hold a thread. `sqlparser` builds a
//! flat chain (`a + a + … + a`) into a tree one level deeper per operator without
//! recursing, but dropping that tree recurses, and so does the rewrite. Its own
//! recursion (parentheses, `NOT`, calls, subqueries) stops at a recursion limit,
//! but an unoptimised build spends up to 80 KiB of stack a level, and some nestings
//! (`CAST(CAST(…`) backtrack, doubling the work with each level. So the text is
//! refused when its tokens allow a tree deeper than [`MAX_SQL_RUN`], the parser
//! stops at [`SQL_RECURSION_LIMIT`], the rewrite stops past [`MAX_EXPR_DEPTH`]
//! levels and [`MAX_REWRITE_BYTES`] of text, and all of it runs on a thread of its
//! own with a [`SQL_STACK`] stack.

use sluice_frontend::parser::MAX_EXPR_DEPTH;
use sqlparser::ast::{
    BinaryOperator, Expr, FunctionArg, FunctionArgExpr, FunctionArguments, GroupByExpr, LimitClause, ObjectName,
    ObjectNamePart, OrderByKind, SelectItem, SetExpr, Statement, TableFactor, UnaryOperator, Value,
};
use sqlparser::dialect::GenericDialect;
use sqlparser::parser::{Parser, ParserError};
use sqlparser::tokenizer::{Token, TokenWithSpan, Tokenizer};

/// The most tokens a tree path can cross: tokens between commas, plus those of the
/// deepest bracketed group among them, and so on inwards. Every node of
/// `sqlparser`'s tree owns a token, so this bounds the tree's depth, and so what
/// dropping the tree costs (about 100 bytes of stack a level unoptimised). A query
/// the engine could run has expressions at most [`MAX_EXPR_DEPTH`] deep, a few
/// tokens a level.
pub const MAX_SQL_RUN: usize = 4096;

/// `sqlparser`'s recursion limit (its default is 50): levels of parentheses, `NOT`,
/// calls and subqueries, counting the statement's own three, so a condition may
/// nest 13 deep. Measured at this limit, the worst nestings found
/// (`POSITION(POSITION(…`, `CAST(CAST(…`) take under 0.1 s; at 24 they took 15 s
/// unoptimised, and each level more doubles that.
pub const SQL_RECURSION_LIMIT: usize = 16;

/// The stack SQL is parsed and rewritten on. At [`SQL_RECURSION_LIMIT`] the
/// hungriest nesting needs 1.3 MiB unoptimised (more than a quarter of a 2 MiB
/// worker's stack), 250 KiB optimised.
pub const SQL_STACK: usize = 8 * 1024 * 1024;

/// The longest on-demand text a rewrite may produce (`BETWEEN` and `IN` repeat their
/// left side, so nested ones would grow it exponentially).
pub const MAX_REWRITE_BYTES: usize = 1024 * 1024;

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
    std::thread::scope(|scope| {
        let worker = std::thread::Builder::new().name("sql".into()).stack_size(SQL_STACK);
        match worker.spawn_scoped(scope, || rewrite_sql(sql)) {
            Ok(handle) => handle.join().unwrap_or_else(|_| Err("SQL: the query could not be read".into())),
            Err(e) => Err(format!("SQL: no thread to read the query on: {e}")),
        }
    })
}

/// An upper bound on the depth of the tree `sqlparser` builds from `tokens` (see
/// [`MAX_SQL_RUN`]), found without recursion.
fn depth_bound(tokens: &[TokenWithSpan]) -> usize {
    /// One bracketed group: the tokens of its current comma-separated run, the
    /// deepest group inside that run, and the deepest run so far.
    #[derive(Default)]
    struct Group {
        run: usize,
        inner: usize,
        deepest: usize,
    }
    impl Group {
        fn end_run(&mut self) {
            self.deepest = self.deepest.max(self.run + self.inner);
            (self.run, self.inner) = (0, 0);
        }
        fn close(mut self) -> usize {
            self.end_run();
            self.deepest
        }
    }
    let mut open = vec![Group::default()];
    for t in tokens {
        let nested = open.len() > 1;
        let top = open.last_mut().expect("the outermost group stays");
        match t.token {
            Token::Whitespace(_) | Token::EOF => {}
            Token::Comma | Token::SemiColon => top.end_run(),
            Token::LParen | Token::LBracket | Token::LBrace => {
                top.run += 1;
                open.push(Group::default());
            }
            Token::RParen | Token::RBracket | Token::RBrace if nested => {
                let inner = open.pop().expect("an open group").close();
                let top = open.last_mut().expect("the outermost group stays");
                top.inner = top.inner.max(inner);
            }
            _ => top.run += 1,
        }
    }
    while open.len() > 1 {
        let inner = open.pop().expect("an open group").close();
        let top = open.last_mut().expect("the outermost group stays");
        top.inner = top.inner.max(inner);
    }
    open.pop().expect("the outermost group").close()
}

/// [`sql_to_on_demand`] on the current thread.
fn rewrite_sql(sql: &str) -> Result<String, String> {
    let dialect = GenericDialect {};
    let tokens =
        Tokenizer::new(&dialect, sql).tokenize_with_location().map_err(|e| format!("SQL: {}", ParserError::from(e)))?;
    if depth_bound(&tokens) > MAX_SQL_RUN {
        return Err(format!(
            "SQL: expression too deep or too long: more than {MAX_SQL_RUN} tokens without a comma between them \
             (an expression may nest at most {MAX_EXPR_DEPTH} operations); split it"
        ));
    }
    let statements = Parser::new(&dialect)
        .with_recursion_limit(SQL_RECURSION_LIMIT)
        .with_tokens_with_locations(tokens)
        .parse_statements()
        .map_err(|e| format!("SQL: {e}"))?;
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
        out.push_str(&format!(" on {}", expr(cond, 1)?));
    }
    let items = joined(&select.projection, |item| {
        Ok(Some(match item {
            SelectItem::UnnamedExpr(e) => expr(e, 1)?,
            SelectItem::ExprWithAlias { expr: e, alias } => format!("{} as {}", expr(e, 1)?, alias.value),
            SelectItem::Wildcard(_) => "*".to_string(),
            SelectItem::QualifiedWildcard(..) => return Err("SQL: `alias.*` is not supported; use `*`".into()),
        }))
    })?;
    out.push_str(&format!(" select {items}"));
    match &select.group_by {
        GroupByExpr::Expressions(exprs, modifiers) if modifiers.is_empty() => {
            if !exprs.is_empty() {
                out.push_str(&format!(" group by {}", joined(exprs, |e| expr(e, 1).map(Some))?));
            }
        }
        _ => return Err("SQL: GROUP BY ALL and grouping modifiers are not supported".into()),
    }
    if let Some(h) = &select.having {
        out.push_str(&format!(" having {}", expr(h, 1)?));
    }
    if let Some(order) = &query.order_by {
        let OrderByKind::Expressions(keys) = &order.kind else {
            return Err("SQL: ORDER BY ALL is not supported".into());
        };
        let keys = joined(keys, |k| {
            let dir = if k.options.asc == Some(false) { " desc" } else { "" };
            Ok(Some(format!("{}{dir}", expr(&k.expr, 1)?)))
        })?;
        out.push_str(&format!(" order by {keys}"));
    }
    match &query.limit_clause {
        None => {}
        Some(LimitClause::LimitOffset { limit, offset, limit_by }) if limit_by.is_empty() => {
            if let Some(l) = limit {
                out.push_str(&format!(" limit {}", expr(l, 1)?));
            }
            if let Some(o) = offset {
                out.push_str(&format!(" offset {}", expr(&o.value, 1)?));
            }
        }
        Some(LimitClause::OffsetCommaLimit { offset, limit }) => {
            out.push_str(&format!(" limit {} offset {}", expr(limit, 1)?, expr(offset, 1)?));
        }
        Some(_) => return Err("SQL: LIMIT BY is not supported".into()),
    }
    bounded(out)
}

fn object_name(name: &ObjectName) -> Result<String, String> {
    match name.0.last() {
        Some(ObjectNamePart::Identifier(id)) => Ok(id.value.clone()),
        _ => Err(format!("SQL: `{name}` is not a table name")),
    }
}

/// What `each` makes of `items` (`None` for nothing), joined with `, `; refused as
/// soon as it passes [`MAX_REWRITE_BYTES`].
fn joined<T>(items: &[T], mut each: impl FnMut(&T) -> Result<Option<String>, String>) -> Result<String, String> {
    let mut out = String::new();
    let mut first = true;
    for item in items {
        let Some(piece) = each(item)? else { continue };
        if !first {
            out.push_str(", ");
        }
        first = false;
        out.push_str(&piece);
        if out.len() > MAX_REWRITE_BYTES {
            return Err(too_large());
        }
    }
    Ok(out)
}

/// A string literal in the stream-worker language.
fn string_literal(s: &str) -> String {
    if s.contains('\'') {
        format!("\"{s}\"")
    } else {
        format!("'{s}'")
    }
}

/// Why a rewrite longer than [`MAX_REWRITE_BYTES`] is refused.
fn too_large() -> String {
    format!(
        "SQL: the query is too large once rewritten (over {} KiB; BETWEEN and IN repeat their left side); \
         simplify it",
        MAX_REWRITE_BYTES / 1024
    )
}

/// `text`, unless it is longer than [`MAX_REWRITE_BYTES`].
fn bounded(text: String) -> Result<String, String> {
    if text.len() > MAX_REWRITE_BYTES {
        return Err(too_large());
    }
    Ok(text)
}

/// `tests` joined with `or` as a balanced tree, parenthesised when more than one:
/// as deep as the log of their number, where a chain would nest once per test.
fn any_of(tests: &[String], out: &mut String) {
    match tests {
        [one] => out.push_str(one),
        _ => {
            let (left, right) = tests.split_at(tests.len() / 2);
            out.push('(');
            any_of(left, out);
            out.push_str(" or ");
            any_of(right, out);
            out.push(')');
        }
    }
}

/// An SQL expression in the stream-worker language's spelling; `depth` is how many
/// expressions enclose it, plus one.
fn expr(e: &Expr, depth: usize) -> Result<String, String> {
    if depth > MAX_EXPR_DEPTH {
        return Err(format!("SQL: expression too deep: more than {MAX_EXPR_DEPTH} nested operations; split it"));
    }
    let sub = |x: &Expr| expr(x, depth + 1);
    bounded(match e {
        Expr::Identifier(id) => id.value.clone(),
        Expr::CompoundIdentifier(ids) => ids.iter().map(|i| i.value.as_str()).collect::<Vec<_>>().join("."),
        Expr::Value(v) => match &v.value {
            Value::Number(n, _) => n.to_string(),
            Value::SingleQuotedString(s) | Value::DoubleQuotedString(s) => string_literal(s),
            Value::Boolean(b) => b.to_string(),
            Value::Null => "null".to_string(),
            other => return Err(format!("SQL: the literal `{other}` is not supported")),
        },
        Expr::Nested(inner) => format!("({})", sub(inner)?),
        Expr::IsNull(inner) => format!("{} is null", sub(inner)?),
        Expr::IsNotNull(inner) => format!("not ({} is null)", sub(inner)?),
        Expr::UnaryOp { op, expr: inner } => match op {
            UnaryOperator::Not => format!("not ({})", sub(inner)?),
            UnaryOperator::Minus => format!("-{}", sub(inner)?),
            UnaryOperator::Plus => sub(inner)?,
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
            format!("{} {op} {}", sub(left)?, sub(right)?)
        }
        Expr::Between { expr: inner, negated, low, high } => {
            let (x, lo, hi) = (sub(inner)?, sub(low)?, sub(high)?);
            let test = format!("({x} >= {lo} and {x} <= {hi})");
            if *negated {
                format!("not {test}")
            } else {
                test
            }
        }
        Expr::InList { expr: inner, list: items, negated } => {
            if items.is_empty() {
                return Err("SQL: an IN list needs at least one value".into());
            }
            let x = sub(inner)?;
            // Each value repeats `x`: refused before it is copied too often.
            if items.len().saturating_mul(x.len() + 8) > MAX_REWRITE_BYTES {
                return Err(too_large());
            }
            let (mut tests, mut total) = (Vec::with_capacity(items.len()), 0);
            for i in items {
                let test = format!("{x} == {}", sub(i)?);
                total += test.len() + 8;
                if total > MAX_REWRITE_BYTES {
                    return Err(too_large());
                }
                tests.push(test);
            }
            let mut any = String::with_capacity(total);
            if let [one] = tests.as_slice() {
                any = format!("({one})");
            } else {
                any_of(&tests, &mut any);
            }
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
                FunctionArguments::None => String::new(),
                FunctionArguments::List(l) => {
                    if l.duplicate_treatment.is_some() || !l.clauses.is_empty() {
                        return Err(format!("SQL: `{f}`: DISTINCT and clauses inside calls are not supported"));
                    }
                    joined(&l.args, |a| match a {
                        FunctionArg::Unnamed(FunctionArgExpr::Expr(e)) => sub(e).map(Some),
                        // `count(*)` is the stream-worker language's `count()`.
                        FunctionArg::Unnamed(FunctionArgExpr::Wildcard) => Ok(None),
                        _ => Err(format!("SQL: `{f}`: named or qualified arguments are not supported")),
                    })?
                }
                FunctionArguments::Subquery(_) => return Err("SQL: subqueries are not supported".into()),
            };
            format!("{name}({args})")
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

    /// `n` terms made by `term`, joined by ` op `.
    fn chain(n: usize, op: &str, term: impl Fn(usize) -> String) -> String {
        (0..n).map(term).collect::<Vec<_>>().join(&format!(" {op} "))
    }

    #[test]
    fn long_flat_chains_are_refused_not_overflowed() {
        for n in [3_000, 100_000] {
            for (op, term) in [("+", "a".to_string()), ("OR", "a = 1".into()), ("=", "a".into())] {
                let sql = format!("SELECT * FROM T WHERE {}", chain(n, op, |_| term.clone()));
                let e = sql_to_on_demand(&sql).unwrap_err();
                assert!(e.starts_with("SQL: expression too deep or too long: more than 4096 tokens"), "{e}");
            }
        }
        // Short enough for sqlparser's tree to stay small, too deep for the engine.
        let sql = format!("SELECT {} AS x FROM T", chain(MAX_EXPR_DEPTH + 1, "+", |_| "a".into()));
        let e = sql_to_on_demand(&sql).unwrap_err();
        assert_eq!(e, "SQL: expression too deep: more than 64 nested operations; split it");
        // The deepest the engine takes goes through.
        let sql = format!("SELECT * FROM T WHERE {}", chain(MAX_EXPR_DEPTH - 1, "OR", |i| format!("a = {i}")));
        let text = sql_to_on_demand(&sql).unwrap();
        sluice_frontend::parse_on_demand(&text).unwrap_or_else(|e| panic!("{}", e[0].message));
    }

    #[test]
    fn deep_nesting_stops_at_the_recursion_limit() {
        let nest = |open: &str, close: &str, n| format!("SELECT * FROM T WHERE {}a{}", open.repeat(n), close.repeat(n));
        let shapes = [("NOT (", ")"), ("(", ")"), ("f(", ")"), ("- ", ""), ("(SELECT ", ")"), ("CAST(", ")")];
        for (open, close) in shapes {
            // At sqlparser's default limit, 40 `CAST(` would backtrack for weeks.
            let e = sql_to_on_demand(&nest(open, close, 40)).unwrap_err();
            assert!(e.contains("recursion limit exceeded"), "{open}: {e}");
        }
        let text = sql_to_on_demand(&nest("NOT (", ")", 13)).unwrap();
        sluice_frontend::parse_on_demand(&text).unwrap_or_else(|e| panic!("{}", e[0].message));
    }

    #[test]
    fn repeated_left_sides_cannot_blow_the_rewrite_up() {
        let between = format!("SELECT * FROM T WHERE a{}", " BETWEEN 1 AND 2".repeat(60));
        assert!(sql_to_on_demand(&between).unwrap_err().contains("too large once rewritten"));
        let within = format!("SELECT * FROM T WHERE a{}", " IN (1, 2, 3)".repeat(60));
        assert!(sql_to_on_demand(&within).unwrap_err().contains("too large once rewritten"));
        let wide = format!("SELECT * FROM T WHERE a IN ({})", chain(200_000, ",", |i| i.to_string()));
        assert!(sql_to_on_demand(&wide).unwrap_err().contains("too large once rewritten"));
    }

    #[test]
    fn a_long_in_list_becomes_a_balanced_or() {
        let sql = format!("SELECT * FROM T WHERE a IN ({}) AND b = 1", chain(1_000, ",", |i| i.to_string()));
        let text = sql_to_on_demand(&sql).unwrap();
        // 1,000 values nest ten deep, where a chain would be a thousand long.
        let nesting = text.chars().scan(0i32, |open, c| {
            *open += match c {
                '(' => 1,
                ')' => -1,
                _ => 0,
            };
            Some(*open)
        });
        assert_eq!(nesting.max(), Some(10));
        sluice_frontend::parse_on_demand(&text).unwrap_or_else(|e| panic!("{}", e[0].message));
        assert_eq!(
            sql_to_on_demand("select * from T where a in (1, 2, 3) or a not in (4)").unwrap(),
            "from T on (a == 1 or (a == 2 or a == 3)) or not (a == 4) select *"
        );
    }

    #[test]
    fn the_token_bound_follows_brackets_and_commas() {
        let bound = |sql: &str| depth_bound(&Tokenizer::new(&GenericDialect {}, sql).tokenize_with_location().unwrap());
        assert_eq!(bound("a + b"), 3);
        assert_eq!(bound("f(a + b, c) * 2"), 2 + 3 + 2);
        assert_eq!(bound("a, b + c, d"), 3);
        assert_eq!(bound("((a"), 3);
        assert_eq!(bound("a) + b"), 4);
    }
}
