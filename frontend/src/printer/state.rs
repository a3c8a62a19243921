//! Patterns and sequences, written alike in both spellings.

use super::{classic::single, expr, name};
use crate::ast::*;

/// A pattern or sequence, `e1=S[…] -> e2=S[…] within 5 sec`.
pub(crate) fn state_input(st: &StateInput) -> String {
    let sep = match st.kind {
        StateKind::Pattern => " -> ",
        StateKind::Sequence => ", ",
    };
    state(&st.element, sep, true)
}

fn state_stream(s: &StateStream) -> String {
    match &s.alias {
        Some(a) => format!("{}={}", name(&a.name), single(&s.input)),
        None => single(&s.input),
    }
}

/// Prints a state element; `top` is true for the whole pattern (where a trailing
/// `within` binds to everything).
fn state(e: &StateElement, sep: &str, top: bool) -> String {
    match e {
        StateElement::Next(..) => {
            let mut items = Vec::new();
            let mut cur = e;
            while let StateElement::Next(a, b) = cur {
                items.push(state_item(a, sep));
                cur = b;
            }
            items.push(state_item(cur, sep));
            let joined = items.join(sep);
            if top {
                joined
            } else {
                format!("({joined})")
            }
        }
        StateElement::Within(x, t) if top => {
            let inner = match x.as_ref() {
                StateElement::Next(..) => state(x, sep, true),
                other => state_item(other, sep),
            };
            format!("{inner} within {}", expr(t, 0))
        }
        other => state_item(other, sep),
    }
}

/// One item of a chain: anything but a bare chain prints without parentheses.
fn state_item(e: &StateElement, sep: &str) -> String {
    match e {
        StateElement::Stream(s) => state_stream(s),
        StateElement::Absent { stream, for_time } => match for_time {
            Some(t) => format!("not {} for {}", single(&stream.input), expr(t, 0)),
            None => format!("not {}", single(&stream.input)),
        },
        StateElement::Logical { op, left, right } => {
            let op = match op {
                LogicalOp::And => "and",
                LogicalOp::Or => "or",
            };
            format!("{} {op} {}", state_unit(left, sep), state_unit(right, sep))
        }
        StateElement::Count { stream, min, max, syntax } => {
            let count = match syntax {
                CountSyntax::Plus => "+".to_string(),
                CountSyntax::Star => "*".to_string(),
                CountSyntax::Question => "?".to_string(),
                CountSyntax::Range => match max {
                    Some(m) if m == min => format!("<{min}>"),
                    Some(m) if *min == 0 => format!("<:{m}>"),
                    Some(m) => format!("<{min}:{m}>"),
                    None => format!("<{min}:>"),
                },
            };
            format!("{}{count}", state_stream(stream))
        }
        StateElement::Every(x) => format!("every {}", state_unit(x, sep)),
        StateElement::Within(x, t) => format!("({}) within {}", state(x, sep, true), expr(t, 0)),
        StateElement::Next(..) => state(e, sep, false),
    }
}

/// An operand of `every`, `and`, `or`: chains, logicals and withins get parentheses.
fn state_unit(e: &StateElement, sep: &str) -> String {
    match e {
        StateElement::Next(..) | StateElement::Logical { .. } | StateElement::Every(_) => {
            format!("({})", state(e, sep, true))
        }
        StateElement::Within(..) => state_item(e, sep),
        other => state_item(other, sep),
    }
}
