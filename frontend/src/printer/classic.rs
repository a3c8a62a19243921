//! The canonical printer behind `sluice fmt`: any AST back to app text in the
//! classic spelling (Macrometa-only forms such as `CREATE INDEX` and global tables
//! keep their `CREATE` form), with one clause per line and the fewest parentheses
//! that re-parse to the same tree.

use crate::ast::*;
use std::fmt::Write;

/// Prints a whole app.
pub fn print_app(app: &App) -> String {
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
        match e {
            Element::Definition(d) => out.push_str(&definition(d)),
            Element::Query(q) => out.push_str(&query(q, "")),
            Element::Partition(p) => out.push_str(&partition(p)),
        }
        out.push_str(";\n");
    }
    out
}

/// Prints an expression with the fewest parentheses that keep its tree.
pub fn print_expr(e: &Expr) -> String {
    expr(e, 0)
}

fn name(n: &str) -> String {
    let plain = n.chars().next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && n.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    if plain {
        n.to_string()
    } else {
        format!("`{n}`")
    }
}

fn quote(s: &str) -> String {
    if !s.contains('\'') && !s.contains('\n') {
        format!("'{s}'")
    } else if !s.contains('"') && !s.contains('\n') {
        format!("\"{s}\"")
    } else {
        format!("\"\"\"{s}\"\"\"")
    }
}

fn annotation(a: &Annotation) -> String {
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

fn annotations(list: &[Annotation], indent: &str) -> String {
    list.iter().map(|a| format!("{indent}{}\n", annotation(a))).collect()
}

fn attributes(list: &[AttributeDef]) -> String {
    let parts: Vec<String> = list.iter().map(|a| format!("{} {}", name(&a.name.name), a.ty)).collect();
    format!("({})", parts.join(", "))
}

fn call(c: &FunctionCall) -> String {
    let args: Vec<String> = c.args.iter().map(|a| expr(a, 0)).collect();
    match &c.namespace {
        Some(ns) => format!("{}:{}({})", name(&ns.name), name(&c.name.name), args.join(", ")),
        None => format!("{}({})", name(&c.name.name), args.join(", ")),
    }
}

fn event_type(t: OutputEventType) -> &'static str {
    match t {
        OutputEventType::Current => "current events",
        OutputEventType::Expired => "expired events",
        OutputEventType::All => "all events",
    }
}

fn definition(d: &Definition) -> String {
    match d {
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
                call(&w.window)
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
                select_items(&a.selector.items)
            );
            if !a.selector.group_by.is_empty() {
                let _ = write!(s, "\ngroup by {}", list(&a.selector.group_by));
            }
            s.push_str("\naggregate");
            if let Some(by) = &a.aggregate_by {
                let _ = write!(s, " by {}", expr(by, 0));
            }
            match &a.durations {
                AggregationDurations::Range(x, y) => {
                    let _ = write!(s, " every {} ... {}", x.name, y.name);
                }
                AggregationDurations::List(l) => {
                    let names: Vec<&str> = l.iter().map(|d| d.name.as_str()).collect();
                    let _ = write!(s, " every {}", names.join(", "));
                }
            }
            s
        }
        Definition::Index(ix) => {
            let attrs: Vec<String> = ix.attributes.iter().map(|a| name(&a.name)).collect();
            format!(
                "create {}index {} on table {} ({})",
                if ix.unique { "unique " } else { "" },
                name(&ix.name.name),
                name(&ix.table.name),
                attrs.join(", ")
            )
        }
    }
}

fn list(exprs: &[Expr]) -> String {
    exprs.iter().map(|e| expr(e, 0)).collect::<Vec<_>>().join(", ")
}

fn select_items(items: &Option<Vec<OutputAttribute>>) -> String {
    match items {
        None => "*".to_string(),
        Some(items) => items
            .iter()
            .map(|i| match &i.alias {
                Some(a) => format!("{} as {}", expr(&i.expr, 0), name(&a.name)),
                None => expr(&i.expr, 0),
            })
            .collect::<Vec<_>>()
            .join(", "),
    }
}

fn single(s: &SingleInput) -> String {
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
                let _ = write!(out, "#window.{}", call(w));
            }
        }
    }
    if let Some(a) = &s.alias {
        let _ = write!(out, " as {}", name(&a.name));
    }
    out
}

fn query(q: &Query, indent: &str) -> String {
    let mut s = annotations(&q.annotations, indent);
    let _ = write!(s, "{indent}from {}", input(&q.input));
    let sel = &q.selector;
    let _ = write!(s, "\n{indent}select {}", select_items(&sel.items));
    if !sel.group_by.is_empty() {
        let _ = write!(s, "\n{indent}group by {}", list(&sel.group_by));
    }
    if let Some(h) = &sel.having {
        let _ = write!(s, "\n{indent}having {}", expr(h, 0));
    }
    if !sel.order_by.is_empty() {
        let items: Vec<String> = sel
            .order_by
            .iter()
            .map(|o| format!("{}{}", expr(&o.expr, 0), if o.descending { " desc" } else { "" }))
            .collect();
        let _ = write!(s, "\n{indent}order by {}", items.join(", "));
    }
    if let Some(l) = &sel.limit {
        let _ = write!(s, "\n{indent}limit {}", expr(l, 0));
    }
    if let Some(o) = &sel.offset {
        let _ = write!(s, "\n{indent}offset {}", expr(o, 0));
    }
    if let Some(r) = &q.output_rate {
        let which = |w: RateWhich| match w {
            RateWhich::All => "all ",
            RateWhich::First => "first ",
            RateWhich::Last => "last ",
        };
        let text = match r {
            OutputRate::Events { which: w, count, .. } => format!("output {}every {count} events", which(*w)),
            OutputRate::Time { which: w, period, .. } => format!("output {}every {}", which(*w), expr(period, 0)),
            OutputRate::Snapshot { period, .. } => format!("output snapshot every {}", expr(period, 0)),
        };
        let _ = write!(s, "\n{indent}{text}");
    }
    let _ = write!(s, "\n{indent}{}", output(&q.output));
    s
}

fn output(o: &OutputAction) -> String {
    let events = |e: &Option<OutputEventType>| e.map(|t| format!("{} ", event_type(t))).unwrap_or_default();
    let for_events = |e: &Option<OutputEventType>| e.map(|t| format!(" for {}", event_type(t))).unwrap_or_default();
    let set = |s: &[SetAssignment]| {
        if s.is_empty() {
            String::new()
        } else {
            let parts: Vec<String> =
                s.iter().map(|a| format!("{} = {}", expr(&a.target, 0), expr(&a.value, 0))).collect();
            format!(" set {}", parts.join(", "))
        }
    };
    match o {
        OutputAction::Insert { events: e, target, inner, fault } => {
            let prefix = if *inner {
                "#"
            } else if *fault {
                "!"
            } else {
                ""
            };
            format!("insert {}into {prefix}{}", events(e), name(&target.name))
        }
        OutputAction::Delete { events: e, table, on } => {
            format!("delete {}{} on {}", name(&table.name), for_events(e), expr(on, 0))
        }
        OutputAction::Update { events: e, table, set: s, on } => {
            format!("update {}{}{} on {}", name(&table.name), for_events(e), set(s), expr(on, 0))
        }
        OutputAction::UpdateOrInsert { events: e, table, set: s, on } => {
            format!("update or insert into {}{}{} on {}", name(&table.name), for_events(e), set(s), expr(on, 0))
        }
        OutputAction::Return { events: e } => match e {
            Some(t) => format!("return {}", event_type(*t)),
            None => "return".to_string(),
        },
    }
}

fn input(i: &InputStream) -> String {
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
        InputStream::State(st) => {
            let sep = match st.kind {
                StateKind::Pattern => " -> ",
                StateKind::Sequence => ", ",
            };
            state(&st.element, sep, true)
        }
    }
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

fn partition(p: &Partition) -> String {
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
        s.push_str(&query(q, "    "));
        s.push_str(";\n");
    }
    s.push_str("end");
    s
}

fn literal(l: &Literal) -> String {
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
fn expr(e: &Expr, min_prec: u8) -> String {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse;

    fn round_trip(text: &str) -> String {
        let app = parse(text).unwrap_or_else(|e| panic!("{text}: {e:?}"));
        let printed = print_app(&app);
        let again = parse(&printed).unwrap_or_else(|e| panic!("printed text does not parse:\n{printed}\n{e:?}"));
        assert_eq!(app, again, "round trip changed the tree:\n{printed}");
        printed
    }

    #[test]
    fn precedence_and_literals() {
        let p = round_trip(
            "define stream S (a int, b double); from S select (a + 2) * 3 as x, a - (2 - 3) as y, not (a > 1 and b < 2.0) as z, -5 as n, 10L as l, 1.5f as f, 2 hours 5 sec as t, \"it's\" as s insert into O;",
        );
        assert!(p.contains("(a + 2) * 3 as x"), "{p}");
        assert!(p.contains("a - (2 - 3) as y"), "{p}");
        assert!(p.contains("2 hours 5 sec as t"), "{p}");
        assert!(p.contains("\"it's\" as s"), "{p}");
    }

    #[test]
    fn patterns_and_macrometa_forms() {
        round_trip("define stream S (p double); from every (e1=S[p > 1] -> e2=S[p > e1.p]<2:5>) within 10 min -> not S for 5 sec select e1.p, e2[last].p as l insert into O;");
        round_trip("define stream S (p double); from every e1=S, e2=S[p > e1.p]+, e3=S? within 1 sec select e1.p insert into O;");
        let p = round_trip("CREATE SOURCE S WITH (type='http', map.type='json') (x int); CREATE TABLE GLOBAL T (x int); CREATE UNIQUE INDEX ix ON TABLE T (x); INSERT INTO O SELECT x FROM S WINDOW TUMBLING_LENGTH(4);");
        assert!(p.contains("@source(type = 'http', @map(type = 'json'))"), "{p}");
        assert!(p.contains("#window.TUMBLING_LENGTH(4)"), "{p}");
    }
}
