//! Expressions and literals, the same in both spellings.

use super::{call, name, quote};
use crate::ast::*;
use std::fmt::Write;

pub(crate) fn literal(l: &Literal) -> String {
    match l {
        Literal::String(s) => quote(s),
        Literal::Int(v) => v.to_string(),
        Literal::Long(v) => format!("{v}L"),
        Literal::Float(v) => {
            let s = format!("{v:?}");
            format!("{s}f")
        }
        Literal::Double(v) => {
            let s = format!("{v:?}");
            if s.contains('.') || s.contains('e') || s.contains("inf") || s.contains("NaN") {
                s
            } else {
                format!("{s}.0")
            }
        }
        Literal::Bool(b) => b.to_string(),
        Literal::Null => "null".to_string(),
        Literal::Time(ms) => time(*ms),
    }
}

/// `90000` → `1 min 30 sec`.
fn time(ms: i64) -> String {
    const UNITS: [(i64, &str); 8] = [
        (365 * 86_400_000, "years"),
        (30 * 86_400_000, "months"),
        (7 * 86_400_000, "weeks"),
        (86_400_000, "days"),
        (3_600_000, "hours"),
        (60_000, "min"),
        (1000, "sec"),
        (1, "milliseconds"),
    ];
    if ms <= 0 {
        return format!("{ms} milliseconds");
    }
    let mut rest = ms;
    let mut parts = Vec::new();
    for (size, unit) in UNITS {
        if rest >= size {
            parts.push(format!("{} {unit}", rest / size));
            rest %= size;
        }
    }
    parts.join(" ")
}

/// Prints `e` so that it binds at least as tightly as `min_prec` requires.
pub(crate) fn expr(e: &Expr, min_prec: u8) -> String {
    let (text, prec) = match &e.kind {
        ExprKind::Literal(Literal::Time(ms)) => (literal(&Literal::Time(*ms)), 9),
        ExprKind::Literal(l) => {
            let negative = match l {
                Literal::Int(v) => *v < 0,
                Literal::Long(v) => *v < 0,
                Literal::Float(v) => v.is_sign_negative(),
                Literal::Double(v) => v.is_sign_negative(),
                _ => false,
            };
            (literal(l), if negative { UNARY_PRECEDENCE } else { 10 })
        }
        // `maximum(*)`'s argument.
        ExprKind::Attribute { stream: None, name: n } if n.name == "*" => ("*".into(), 10),
        ExprKind::Attribute { stream, name: n } => {
            let prefix = stream.as_ref().map(|s| format!("{}.", stream_ref(s))).unwrap_or_default();
            (format!("{prefix}{}", name(&n.name)), 10)
        }
        ExprKind::StreamRef(s) => (stream_ref(s), 10),
        ExprKind::Call(c) => (call(c), 10),
        ExprKind::Unary(UnaryOp::Not, x) => (format!("not {}", expr(x, UNARY_PRECEDENCE)), UNARY_PRECEDENCE),
        ExprKind::Unary(UnaryOp::Neg, x) => {
            // `- -5` must not print as `--5` (a comment).
            let inner = expr(x, UNARY_PRECEDENCE + 1);
            let inner = if inner.starts_with('-') { format!("({inner})") } else { inner };
            (format!("-{inner}"), UNARY_PRECEDENCE)
        }
        ExprKind::Binary(op, l, r) => {
            let p = op.precedence();
            let right = expr(r, p + 1);
            let right =
                if right.starts_with('-') && matches!(op, BinaryOp::Sub) { format!("({right})") } else { right };
            (format!("{} {} {}", expr(l, p), op.symbol(), right), p)
        }
        // `is null` chains (`a is null is null`) need no parentheses.
        ExprKind::IsNull(x) => (format!("{} is null", expr(x, 9)), 9),
        ExprKind::In(x, t) => (format!("{} in {}", expr(x, IN_PRECEDENCE), name(&t.name)), IN_PRECEDENCE),
    };
    if prec < min_prec {
        format!("({text})")
    } else {
        text
    }
}

fn stream_ref(s: &StreamRef) -> String {
    let mut out = String::new();
    if s.inner {
        out.push('#');
    }
    out.push_str(&name(&s.name.name));
    match s.index {
        Some(EventIndex::Nth(n)) => {
            let _ = write!(out, "[{n}]");
        }
        Some(EventIndex::Last(0)) => out.push_str("[last]"),
        Some(EventIndex::Last(n)) => {
            let _ = write!(out, "[last - {n}]");
        }
        None => {}
    }
    out
}
