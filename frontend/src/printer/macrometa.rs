//! Macrometa's spelling: `CREATE STREAM …`, `INSERT INTO O SELECT … FROM S WINDOW
//! SLIDING_TIME(1 min) WHERE …`. What has no such form is printed classically
//! (the parser reads both spellings in one app).

use super::classic::{self, clauses, select_items};
use super::{annotations, attributes, call, event_type, expr, list, name, quote, state, window_call, Spelling};
use crate::ast::*;
use std::fmt::Write;

/// A definition in Macrometa's spelling.
pub(crate) fn definition(d: &Definition) -> String {
    match d {
        Definition::Stream(s) => {
            // `CREATE SOURCE/SINK S WITH (…)` holds the last annotation, as the parser adds it.
            if let Some((last, before)) = s.annotations.split_last() {
                if let Some(with) = with_options(last) {
                    return format!(
                        "{}CREATE {} {}{with} {}",
                        annotations(before, ""),
                        last.name.to_ascii_uppercase(),
                        name(&s.name.name),
                        attributes(&s.attributes)
                    );
                }
            }
            format!(
                "{}CREATE STREAM {}{} {}",
                annotations(&s.annotations, ""),
                if s.fault { "!" } else { "" },
                name(&s.name.name),
                attributes(&s.attributes)
            )
        }
        Definition::Table(t) => format!(
            "{}CREATE TABLE {}{} {}",
            annotations(&t.annotations, ""),
            if t.global { "GLOBAL " } else { "" },
            name(&t.name.name),
            attributes(&t.attributes)
        ),
        Definition::Window(w) => {
            let mut s = format!(
                "{}CREATE WINDOW {} {} {}",
                annotations(&w.annotations, ""),
                name(&w.name.name),
                attributes(&w.attributes),
                window_call(&w.window, Spelling::Macrometa)
            );
            if let Some(o) = w.output {
                let _ = write!(s, " OUTPUT {}", event_type(o).to_ascii_uppercase());
            }
            s
        }
        Definition::Trigger(t) => {
            let with = match &t.at {
                TriggerAt::Every(e) => {
                    let period = expr(e, 0);
                    // `interval = …` reads an expression only when it starts with a number.
                    if !period.starts_with(|c: char| c.is_ascii_digit()) {
                        return classic::definition(d);
                    }
                    format!("interval = {period}")
                }
                TriggerAt::Start => "expression = 'start'".to_string(),
                TriggerAt::Cron(c) if c.eq_ignore_ascii_case("start") => return classic::definition(d),
                TriggerAt::Cron(c) => format!("expression = {}", quote(c)),
            };
            format!("{}CREATE TRIGGER {} WITH ({with})", annotations(&t.annotations, ""), name(&t.name.name))
        }
        Definition::Function(f) => format!(
            "{}CREATE FUNCTION {}[{}] RETURN {} {{{}}}",
            annotations(&f.annotations, ""),
            name(&f.name.name),
            f.language.name,
            f.return_type,
            f.body
        ),
        Definition::Aggregation(a) => {
            let mut s = format!(
                "{}CREATE AGGREGATION {}\nSELECT {}\nFROM {}",
                annotations(&a.annotations, ""),
                name(&a.name.name),
                select_items(&a.selector.items, "AS"),
                classic::single(&a.input)
            );
            s.push_str(&classic::aggregation_tail(a, true));
            s
        }
        Definition::Index(ix) => classic::index(ix, true),
    }
}

/// `WITH (type = 'http', map.type = 'json', …)` for a `@source`/`@sink` annotation
/// shaped as the parser builds it from such options (plain options, then `@map`
/// with its options, `@attributes` and `@payload`); `None` for any other shape.
fn with_options(a: &Annotation) -> Option<String> {
    if a.name != "source" && a.name != "sink" {
        return None;
    }
    let mut options = Vec::new();
    let mut seen_map = false;
    for e in &a.elements {
        match e {
            AnnotationElement::Property { key: Some(k), value, .. } if !seen_map && is_option_key(k) => {
                options.push(format!("{k} = {}", quote(value)));
            }
            AnnotationElement::Nested(m) if !seen_map && m.name == "map" => {
                seen_map = true;
                map_options(m, &mut options)?;
            }
            _ => return None,
        }
    }
    Some(if options.is_empty() { String::new() } else { format!(" WITH ({})", options.join(", ")) })
}

/// The `map.…` options of a `@map` annotation, in the parser's order.
fn map_options(m: &Annotation, options: &mut Vec<String>) -> Option<()> {
    // 0: plain map options, 1: after @attributes, 2: after @payload.
    let mut stage = 0;
    for e in &m.elements {
        match e {
            AnnotationElement::Property { key: Some(k), value, .. } if stage == 0 && is_option_key(k) => {
                if k.to_ascii_lowercase().starts_with("attributes.") || k.eq_ignore_ascii_case("payload") {
                    return None;
                }
                options.push(format!("map.{k} = {}", quote(value)));
            }
            AnnotationElement::Nested(n) if stage == 0 && n.name == "attributes" => {
                stage = 1;
                for p in &n.elements {
                    match p {
                        AnnotationElement::Property { key: Some(k), value, .. } if is_option_key(k) => {
                            options.push(format!("map.attributes.{k} = {}", quote(value)));
                        }
                        _ => return None,
                    }
                }
            }
            AnnotationElement::Nested(n) if stage < 2 && n.name == "payload" => {
                stage = 2;
                match n.elements.as_slice() {
                    [AnnotationElement::Property { key: None, value, .. }] => {
                        options.push(format!("map.payload = {}", quote(value)));
                    }
                    _ => return None,
                }
            }
            _ => return None,
        }
    }
    Some(())
}

/// Whether `k` reads back as an option name (`a.b.c`, words joined by dots).
fn is_option_key(k: &str) -> bool {
    !k.is_empty()
        && k.split('.').all(|w| {
            w.chars().next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
                && w.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        })
}

/// A query in Macrometa's spelling, each clause on a line starting with `indent`.
pub(crate) fn query(q: &Query, indent: &str) -> String {
    let output = match &q.output {
        OutputAction::Return { events: None } => None,
        // `return expired events` has no Macrometa form.
        OutputAction::Return { .. } => return classic::query(q, indent),
        other => Some(output(other)),
    };
    let mut s = annotations(&q.annotations, indent);
    if let Some(o) = output {
        let _ = writeln!(s, "{indent}{o}");
    }
    let _ = write!(s, "{indent}SELECT {}", select_items(&q.selector.items, "AS"));
    let _ = write!(s, "\n{indent}FROM {}", input(&q.input, indent, !q.selector.group_by.is_empty()));
    s.push_str(&clauses(q, indent, true));
    s
}

/// The output clause, `INSERT INTO O`, `UPDATE T SET … ON …`, ….
fn output(o: &OutputAction) -> String {
    classic::output_in(o, true)
}

/// The input after `FROM`: a single input's last filter becomes `WHERE` (after a
/// window, only when `GROUP BY` follows: there, alone, `WHERE` is `HAVING`).
fn input(i: &InputStream, indent: &str, grouped: bool) -> String {
    match i {
        InputStream::Single(s) => {
            let (text, filter) = single(s, grouped);
            match filter {
                Some(f) => format!("{text}\n{indent}WHERE {}", expr(f, 0)),
                None => text,
            }
        }
        InputStream::Join(j) => {
            let kind = match j.kind {
                JoinKind::Inner => "JOIN",
                JoinKind::LeftOuter => "LEFT OUTER JOIN",
                JoinKind::RightOuter => "RIGHT OUTER JOIN",
                JoinKind::FullOuter => "FULL OUTER JOIN",
            };
            let uni = |side| if j.unidirectional == Some(side) { " UNIDIRECTIONAL" } else { "" };
            let (left, right) = (whole(&j.left), whole(&j.right));
            let mut s = format!("{left}{}\n{indent}{kind} {right}{}", uni(JoinSide::Left), uni(JoinSide::Right));
            if let Some(on) = &j.on {
                let _ = write!(s, "\n{indent}ON {}", expr(on, 0));
            }
            if !j.within.is_empty() {
                let _ = write!(s, "\n{indent}WITHIN {}", list(&j.within));
            }
            if let Some(p) = &j.per {
                let _ = write!(s, "\n{indent}PER {}", expr(p, 0));
            }
            s
        }
        InputStream::State(st) => state::state_input(st),
    }
}

/// A join side: every handler in place (a `WHERE` would join the `ON` condition).
fn whole(s: &SingleInput) -> String {
    let mut text = handlers_text(s, s.handlers.len());
    if let Some(a) = &s.alias {
        let _ = write!(text, " AS {}", name(&a.name));
    }
    text
}

/// A single input and its last handler when that is a filter that reads back from
/// `WHERE` (printed after the alias, where the parser puts it back last); a filter
/// after a window without `GROUP BY` stays in place, `WINDOW X(…)[…]`.
fn single(s: &SingleInput, grouped: bool) -> (String, Option<&Expr>) {
    let filter = match s.handlers.as_slice() {
        [.., StreamHandler::Window(_), StreamHandler::Filter(_)] if !grouped => None,
        [.., StreamHandler::Filter(f)] => Some(f),
        _ => None,
    };
    let shown = s.handlers.len() - usize::from(filter.is_some());
    let mut text = handlers_text(s, shown);
    if let Some(a) = &s.alias {
        let _ = write!(text, " AS {}", name(&a.name));
    }
    (text, filter)
}

/// `S[…]#fn(…) WINDOW SLIDING_TIME(…)` with the first `count` handlers.
fn handlers_text(s: &SingleInput, count: usize) -> String {
    let mut out = String::new();
    if s.inner {
        out.push('#');
    }
    if s.fault {
        out.push('!');
    }
    out.push_str(&name(&s.stream.name));
    for h in &s.handlers[..count] {
        match h {
            StreamHandler::Filter(f) => {
                let _ = write!(out, "[{}]", expr(f, 0));
            }
            StreamHandler::Function(f) => {
                let _ = write!(out, "#{}", call(f));
            }
            StreamHandler::Window(w) => {
                let _ = write!(out, " WINDOW {}", window_call(w, Spelling::Macrometa));
            }
            StreamHandler::Within { range, per, .. } => {
                let _ = write!(out, " WITHIN {} PER {}", list(range), expr(per, 0));
            }
        }
    }
    out
}
