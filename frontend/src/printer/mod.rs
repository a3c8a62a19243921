//! The canonical printer behind `sluice fmt`: any AST back to app text in either
//! spelling, one clause per line and the fewest parentheses that re-parse to the
//! same tree.
//!
//! [`Spelling::Classic`] (`define stream …`, `from … select … insert into …`) prints
//! windows by their classic names (`#window.length(5)`, also for an app written
//! with `WINDOW SLIDING_LENGTH(5)`); Macrometa-only forms such as `CREATE INDEX` and
//! global tables keep their `CREATE` form. [`Spelling::Macrometa`] (`CREATE STREAM …`,
//! `INSERT INTO … SELECT … FROM … WINDOW SLIDING_TIME(…)`) prints what has no
//! Macrometa form in the classic spelling, which the parser accepts in the same
//! app: a query returning expired or all events (`return all events`), and
//! patterns, partitions and expressions, which both spellings write alike.

mod classic;
mod expr;
mod macrometa;
mod state;
#[cfg(test)]
mod tests;

use crate::ast::*;
use crate::semantic::windows;
use std::fmt::Write;

pub(crate) use expr::expr;

/// Which spelling of the language to print.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Spelling {
    /// Siddhi's: `define stream …`, `from S#window.time(1 min) select … insert into O`.
    Classic,
    /// Macrometa's: `CREATE STREAM …`, `INSERT INTO O SELECT … FROM S WINDOW SLIDING_TIME(1 min)`.
    Macrometa,
}

/// Prints a whole app in the classic spelling.
pub fn print_app(app: &App) -> String {
    print_app_in(app, Spelling::Classic)
}

/// Prints a whole app in `spelling`.
pub fn print_app_in(app: &App, spelling: Spelling) -> String {
    let mut out = String::new();
    for a in &app.annotations {
        let _ = writeln!(out, "{}", annotation(a));
    }
    if !app.annotations.is_empty() {
        out.push('\n');
    }
    for (i, e) in app.elements.iter().enumerate() {
        if i > 0 {
            out.push('\n');
        }
        let text = match (e, spelling) {
            (Element::Definition(d), Spelling::Classic) => classic::definition(d),
            (Element::Definition(d), Spelling::Macrometa) => macrometa::definition(d),
            (Element::Query(q), Spelling::Classic) => classic::query(q, ""),
            (Element::Query(q), Spelling::Macrometa) => macrometa::query(q, ""),
            (Element::Partition(p), _) => partition(p, spelling),
        };
        out.push_str(&text);
        out.push_str(";\n");
    }
    out
}

/// Prints an expression with the fewest parentheses that keep its tree.
pub fn print_expr(e: &Expr) -> String {
    expr(e, 0)
}

pub(crate) fn name(n: &str) -> String {
    let plain = n.chars().next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && n.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    if plain {
        n.to_string()
    } else {
        format!("`{n}`")
    }
}

pub(crate) fn quote(s: &str) -> String {
    if !s.contains('\'') && !s.contains('\n') {
        format!("'{s}'")
    } else if !s.contains('"') && !s.contains('\n') {
        format!("\"{s}\"")
    } else {
        format!("\"\"\"{s}\"\"\"")
    }
}

pub(crate) fn annotation(a: &Annotation) -> String {
    let mut s = format!("@{}", a.name);
    if !a.elements.is_empty() || a.name.eq_ignore_ascii_case("primaryKey") {
        let parts: Vec<String> = a
            .elements
            .iter()
            .map(|e| match e {
                AnnotationElement::Property { key: Some(k), value, .. } => format!("{k} = {}", quote(value)),
                AnnotationElement::Property { key: None, value, .. } => quote(value),
                AnnotationElement::Nested(n) => annotation(n),
            })
            .collect();
        let _ = write!(s, "({})", parts.join(", "));
    }
    s
}

pub(crate) fn annotations(list: &[Annotation], indent: &str) -> String {
    list.iter().map(|a| format!("{indent}{}\n", annotation(a))).collect()
}

pub(crate) fn attributes(list: &[AttributeDef]) -> String {
    let parts: Vec<String> = list.iter().map(|a| format!("{} {}", name(&a.name.name), a.ty)).collect();
    format!("({})", parts.join(", "))
}

pub(crate) fn call(c: &FunctionCall) -> String {
    let args: Vec<String> = c.args.iter().map(|a| expr(a, 0)).collect();
    match &c.namespace {
        Some(ns) => format!("{}:{}({})", name(&ns.name), name(&c.name.name), args.join(", ")),
        None => format!("{}({})", name(&c.name.name), args.join(", ")),
    }
}

pub(crate) fn event_type(t: OutputEventType) -> &'static str {
    match t {
        OutputEventType::Current => "current events",
        OutputEventType::Expired => "expired events",
        OutputEventType::All => "all events",
    }
}

pub(crate) fn list(exprs: &[Expr]) -> String {
    exprs.iter().map(|e| expr(e, 0)).collect::<Vec<_>>().join(", ")
}

/// A window call under its name in `spelling` (a window with no Macrometa name,
/// such as `session` or `unique:length`, keeps its classic name); an unknown
/// window prints as written.
pub(crate) fn window_call(c: &FunctionCall, spelling: Spelling) -> String {
    let written = match &c.namespace {
        Some(ns) => format!("{}:{}", ns.name, c.name.name),
        None => c.name.name.clone(),
    };
    let Some(classic) = windows::classic_name(&written) else {
        return call(c);
    };
    let shown = match spelling {
        Spelling::Classic => classic,
        Spelling::Macrometa => windows::macrometa_name(classic).unwrap_or(classic),
    };
    let args: Vec<String> = c.args.iter().map(|a| expr(a, 0)).collect();
    format!("{shown}({})", args.join(", "))
}

/// `partition with (…) begin … end`, its queries in `spelling`.
fn partition(p: &Partition, spelling: Spelling) -> String {
    let keys: Vec<String> = p
        .keys
        .iter()
        .map(|k| match k {
            PartitionKey::Value { expr: e, stream } => format!("{} of {}", expr(e, 0), name(&stream.name)),
            PartitionKey::Range { ranges, stream } => {
                let parts: Vec<String> = ranges
                    .iter()
                    .map(|(c, l)| format!("{} as {}", expr(c, BinaryOp::Or.precedence()), quote(l)))
                    .collect();
                format!("{} of {}", parts.join(" or "), name(&stream.name))
            }
        })
        .collect();
    let mut s = format!("{}partition with ({})\nbegin\n", annotations(&p.annotations, ""), keys.join(", "));
    for q in &p.queries {
        s.push_str(&match spelling {
            Spelling::Classic => classic::query(q, "    "),
            Spelling::Macrometa => macrometa::query(q, "    "),
        });
        s.push_str(";\n");
    }
    s.push_str("end");
    s
}
