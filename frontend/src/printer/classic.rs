//! The classic spelling: `define stream …`, `from … select … insert into …`.

use super::{annotations, attributes, call, event_type, expr, list, name, quote, state, window_call, Spelling};
use crate::ast::*;
use std::fmt::Write;

/// A definition in the classic spelling.
pub(crate) fn definition(d: &Definition) -> String {
    match d {
        // The classic spelling cannot declare a fault stream; Macrometa's can.
        Definition::Stream(s) if s.fault => super::macrometa::definition(d),
        Definition::Stream(s) => {
            format!(
                "{}define stream {} {}",
                annotations(&s.annotations, ""),
                name(&s.name.name),
                attributes(&s.attributes)
            )
        }
        Definition::Table(t) if t.global => {
            format!(
                "{}create table global {} {}",
                annotations(&t.annotations, ""),
                name(&t.name.name),
                attributes(&t.attributes)
            )
        }
        Definition::Table(t) => {
            format!(
                "{}define table {} {}",
                annotations(&t.annotations, ""),
                name(&t.name.name),
                attributes(&t.attributes)
            )
        }
        Definition::Window(w) => {
            let mut s = format!(
                "{}define window {} {} {}",
                annotations(&w.annotations, ""),
                name(&w.name.name),
                attributes(&w.attributes),
                window_call(&w.window, Spelling::Classic)
            );
            if let Some(o) = w.output {
                let _ = write!(s, " output {}", event_type(o));
            }
            s
        }
        Definition::Trigger(t) => {
            let at = match &t.at {
                TriggerAt::Every(e) => format!("every {}", expr(e, 0)),
                TriggerAt::Start => "'start'".to_string(),
                TriggerAt::Cron(c) => quote(c),
            };
            format!("{}define trigger {} at {at}", annotations(&t.annotations, ""), name(&t.name.name))
        }
        Definition::Function(f) => format!(
            "{}define function {}[{}] return {} {{{}}}",
            annotations(&f.annotations, ""),
            name(&f.name.name),
            f.language.name,
            f.return_type,
            f.body
        ),
        Definition::Aggregation(a) => {
            let mut s = format!(
                "{}define aggregation {}\nfrom {}\nselect {}",
                annotations(&a.annotations, ""),
                name(&a.name.name),
                single(&a.input),
                select_items(&a.selector.items, "as")
            );
            s.push_str(&aggregation_tail(a, false));
            s
        }
        Definition::Index(ix) => index(ix, false),
    }
}

/// The selected attributes, `as` spelt `as_keyword`.
pub(crate) fn select_items(items: &Option<Vec<OutputAttribute>>, as_keyword: &str) -> String {
    match items {
        None => "*".to_string(),
        Some(items) => items
            .iter()
            .map(|i| match &i.alias {
                Some(a) => format!("{} {as_keyword} {}", expr(&i.expr, 0), name(&a.name)),
                None => expr(&i.expr, 0),
            })
            .collect::<Vec<_>>()
            .join(", "),
    }
}

/// One input, `S[filter]#window.length(5) as a`.
pub(crate) fn single(s: &SingleInput) -> String {
    let mut out = String::new();
    if s.inner {
        out.push('#');
    }
    if s.fault {
        out.push('!');
    }
    out.push_str(&name(&s.stream.name));
    for h in &s.handlers {
        match h {
            StreamHandler::Filter(f) => {
                let _ = write!(out, "[{}]", expr(f, 0));
            }
            StreamHandler::Function(f) => {
                let _ = write!(out, "#{}", call(f));
            }
            StreamHandler::Window(w) => {
                let _ = write!(out, "#window.{}", window_call(w, Spelling::Classic));
            }
            StreamHandler::Within { range, per, .. } => {
                let _ = write!(out, " within {} per {}", list(range), expr(per, 0));
            }
        }
    }
    if let Some(a) = &s.alias {
        let _ = write!(out, " as {}", name(&a.name));
    }
    out
}

/// A query in the classic spelling, each clause on a line starting with `indent`.
pub(crate) fn query(q: &Query, indent: &str) -> String {
    let mut s = annotations(&q.annotations, indent);
    let _ = write!(s, "{indent}from {}", input(&q.input));
    let _ = write!(s, "\n{indent}select {}", select_items(&q.selector.items, "as"));
    s.push_str(&clauses(q, indent, false));
    let _ = write!(s, "\n{indent}{}", output(&q.output));
    s
}

/// Keyword `k` in capitals when `upper` (Macrometa's style), else as written.
pub(crate) fn keyword(k: &str, upper: bool) -> String {
    if upper {
        k.to_ascii_uppercase()
    } else {
        k.to_string()
    }
}

/// An aggregation's clauses after its input: `group by …`, then `aggregate
/// [by …] every …`; keywords in capitals when `upper`.
pub(crate) fn aggregation_tail(a: &AggregationDef, upper: bool) -> String {
    let kw = |k: &str| keyword(k, upper);
    let mut s = String::new();
    if !a.selector.group_by.is_empty() {
        let _ = write!(s, "\n{} {}", kw("group by"), list(&a.selector.group_by));
    }
    let _ = write!(s, "\n{}", kw("aggregate"));
    if let Some(by) = &a.aggregate_by {
        let _ = write!(s, " {} {}", kw("by"), expr(by, 0));
    }
    match &a.durations {
        AggregationDurations::Range(x, y) => {
            let _ = write!(s, " {} {} ... {}", kw("every"), x.name, y.name);
        }
        AggregationDurations::List(l) => {
            let names: Vec<&str> = l.iter().map(|d| d.name.as_str()).collect();
            let _ = write!(s, " {} {}", kw("every"), names.join(", "));
        }
    }
    s
}

/// `create [unique] index I on table T (a, …)`; keywords in capitals when `upper`.
pub(crate) fn index(ix: &IndexDef, upper: bool) -> String {
    let kw = |k: &str| keyword(k, upper);
    let attrs: Vec<String> = ix.attributes.iter().map(|a| name(&a.name)).collect();
    let mut kind = String::new();
    if ix.unique {
        kind = format!("{} ", kw("unique"));
    }
    if ix.secondary {
        kind.push_str(&format!("{} ", kw("secondary")));
    }
    let with = if ix.options.is_empty() {
        String::new()
    } else {
        let options: Vec<String> = ix.options.iter().map(|o| format!("{} = {}", o.key, quote(&o.value))).collect();
        format!(" {} ({})", kw("with"), options.join(", "))
    };
    format!(
        "{} {kind}{} {} {} {}{with} ({})",
        kw("create"),
        kw("index"),
        name(&ix.name.name),
        kw(if ix.secondary { "on store" } else { "on table" }),
        name(&ix.table.name),
        attrs.join(", ")
    )
}

/// The clauses after the selection, from `group by` to the rate limit, each on a
/// line of its own; keywords in capitals when `upper` (Macrometa's style).
pub(crate) fn clauses(q: &Query, indent: &str, upper: bool) -> String {
    let kw = |k: &str| keyword(k, upper);
    let mut s = String::new();
    let sel = &q.selector;
    if !sel.group_by.is_empty() {
        let _ = write!(s, "\n{indent}{} {}", kw("group by"), list(&sel.group_by));
    }
    if let Some(h) = &sel.having {
        let _ = write!(s, "\n{indent}{} {}", kw("having"), expr(h, 0));
    }
    if !sel.order_by.is_empty() {
        let items: Vec<String> = sel
            .order_by
            .iter()
            .map(|o| format!("{}{}", expr(&o.expr, 0), if o.descending { kw(" desc") } else { String::new() }))
            .collect();
        let _ = write!(s, "\n{indent}{} {}", kw("order by"), items.join(", "));
    }
    if let Some(l) = &sel.limit {
        let _ = write!(s, "\n{indent}{} {}", kw("limit"), expr(l, 0));
    }
    if let Some(o) = &sel.offset {
        let _ = write!(s, "\n{indent}{} {}", kw("offset"), expr(o, 0));
    }
    if let Some(r) = &q.output_rate {
        let which = |w: RateWhich| match w {
            RateWhich::All => "all ",
            RateWhich::First => "first ",
            RateWhich::Last => "last ",
        };
        let text = match r {
            OutputRate::Events { which: w, count, .. } => kw(&format!("output {}every {count} events", which(*w))),
            OutputRate::Time { which: w, period, .. } => {
                format!("{} {}", kw(&format!("output {}every", which(*w))), expr(period, 0))
            }
            OutputRate::Snapshot { period, .. } => format!("{} {}", kw("output snapshot every"), expr(period, 0)),
        };
        let _ = write!(s, "\n{indent}{text}");
    }
    s
}

/// The output clause (`insert into O`, `update T set … on …`, …).
pub(crate) fn output(o: &OutputAction) -> String {
    output_in(o, false)
}

/// The output clause with its keywords in upper case (`upper`: Macrometa's
/// spelling, `INSERT INTO O`) or lower; `return` has no Macrometa form and stays
/// classic.
pub(crate) fn output_in(o: &OutputAction, upper: bool) -> String {
    let kw = |k: &str| keyword(k, upper);
    let events = |e: &Option<OutputEventType>| e.map(|t| format!("{} ", kw(event_type(t)))).unwrap_or_default();
    let for_events =
        |e: &Option<OutputEventType>| e.map(|t| format!(" {} {}", kw("for"), kw(event_type(t)))).unwrap_or_default();
    let set = |s: &[SetAssignment]| {
        if s.is_empty() {
            String::new()
        } else {
            let parts: Vec<String> =
                s.iter().map(|a| format!("{} = {}", expr(&a.target, 0), expr(&a.value, 0))).collect();
            format!(" {} {}", kw("set"), parts.join(", "))
        }
    };
    let on = |e: &Expr| format!(" {} {}", kw("on"), expr(e, 0));
    match o {
        OutputAction::Insert { events: e, target, inner, fault } => {
            let prefix = if *inner {
                "#"
            } else if *fault {
                "!"
            } else {
                ""
            };
            format!("{} {}{} {prefix}{}", kw("insert"), events(e), kw("into"), name(&target.name))
        }
        OutputAction::Delete { events: e, table, on: cond } => {
            format!("{} {}{}{}", kw("delete"), name(&table.name), for_events(e), on(cond))
        }
        OutputAction::Update { events: e, table, set: s, on: cond } => {
            format!("{} {}{}{}{}", kw("update"), name(&table.name), for_events(e), set(s), on(cond))
        }
        OutputAction::UpdateOrInsert { events: e, table, set: s, on: cond } => {
            let head = kw("update or insert into");
            format!("{head} {}{}{}{}", name(&table.name), for_events(e), set(s), on(cond))
        }
        OutputAction::Return { events: e } => match e {
            Some(t) => format!("return {}", event_type(*t)),
            None => "return".to_string(),
        },
    }
}

/// The input: one stream, a join, or a pattern or sequence.
pub(crate) fn input(i: &InputStream) -> String {
    match i {
        InputStream::Single(s) => single(s),
        InputStream::Join(j) => {
            let kind = match j.kind {
                JoinKind::Inner => "join",
                JoinKind::LeftOuter => "left outer join",
                JoinKind::RightOuter => "right outer join",
                JoinKind::FullOuter => "full outer join",
            };
            let uni = |side| if j.unidirectional == Some(side) { " unidirectional" } else { "" };
            let mut s = format!(
                "{}{} {kind} {}{}",
                single(&j.left),
                uni(JoinSide::Left),
                single(&j.right),
                uni(JoinSide::Right)
            );
            if let Some(on) = &j.on {
                let _ = write!(s, " on {}", expr(on, 0));
            }
            if !j.within.is_empty() {
                let _ = write!(s, " within {}", list(&j.within));
            }
            if let Some(p) = &j.per {
                let _ = write!(s, " per {}", expr(p, 0));
            }
            s
        }
        InputStream::State(st) => state::state_input(st),
    }
}
