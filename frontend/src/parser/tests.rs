//! Parser unit tests: each spelling's forms, and located errors.

use super::parse;
use crate::ast::*;

fn app(text: &str) -> App {
    match parse(text) {
        Ok(a) => a,
        Err(e) => panic!("{text}\n{e:?}"),
    }
}

fn only_query(text: &str) -> Query {
    app(text)
        .elements
        .into_iter()
        .find_map(|e| match e {
            Element::Query(q) => Some(q),
            _ => None,
        })
        .expect("a query")
}

#[test]
fn classic_filter_window_query() {
    let q = only_query(
        "define stream S (symbol string, price float);\n@info(name='q1') from S[price > 10]#window.time(1 min) select symbol, avg(price) as p group by symbol having p > 2 order by p desc limit 3 output last every 5 sec insert expired events into Out;",
    );
    assert_eq!(q.name(), Some("q1"));
    let InputStream::Single(s) = &q.input else { panic!() };
    assert_eq!(s.handlers.len(), 2);
    assert!(matches!(&q.output_rate, Some(OutputRate::Time { which: RateWhich::Last, .. })));
    assert!(matches!(&q.output, OutputAction::Insert { events: Some(OutputEventType::Expired), .. }));
    assert_eq!(q.selector.order_by.len(), 1);
}

#[test]
fn macrometa_spelling_is_the_same_tree() {
    let classic = app("define stream S (a int, b double);\nfrom S[a > 1]#window.length(5) select a, sum(b) as t group by a insert into O;");
    let sql = app("CREATE STREAM S (a int, b double);\nINSERT INTO O SELECT a, sum(b) AS t FROM S[a > 1] WINDOW SLIDING_LENGTH(5) GROUP BY a;");
    let (Element::Query(c), Element::Query(s)) = (&classic.elements[1], &sql.elements[1]) else { panic!() };
    assert_eq!(c.selector, s.selector);
    assert_eq!(c.output, s.output);
}

#[test]
fn create_source_becomes_annotations() {
    let a = app("CREATE SOURCE S WITH (type='http', map.type='json', map.attributes.x='$.x') (x int);");
    let Element::Definition(Definition::Stream(s)) = &a.elements[0] else { panic!() };
    let source = &s.annotations[0];
    assert_eq!(source.name, "source");
    assert_eq!(source.property("type"), Some("http"));
    let map = source.nested("map").next().unwrap();
    assert_eq!(map.property("type"), Some("json"));
    assert_eq!(map.nested("attributes").next().unwrap().property("x"), Some("$.x"));
}

#[test]
fn map_attributes_as_one_list_of_pairs() {
    let a = app(
        r#"CREATE SOURCE S WITH (type='http', map.type='json', map.attributes="id='trp:messageId', x = '$.a,b'") (id string, x int);"#,
    );
    let Element::Definition(Definition::Stream(s)) = &a.elements[0] else { panic!() };
    let attributes = s.annotations[0].nested("map").next().unwrap().nested("attributes").next().unwrap();
    assert_eq!(attributes.property("id"), Some("trp:messageId"));
    assert_eq!(attributes.property("x"), Some("$.a,b"));
    // Not a list of pairs: it stays a mapper option (which the mapper refuses).
    for bad in ["x", "x='a' y='b'", "x='a',", "='a'"] {
        let a = app(&format!("CREATE SOURCE S WITH (type='http', map.type='json', map.attributes=\"{bad}\") (x int);"));
        let Element::Definition(Definition::Stream(s)) = &a.elements[0] else { panic!() };
        assert_eq!(s.annotations[0].nested("map").next().unwrap().property("attributes"), Some(bad), "{bad}");
    }
}

#[test]
fn patterns_sequences_and_counts() {
    let q = only_query("define stream S (p double); from every e1=S[p > 1] -> e2=S[p > e1.p]<2:5> -> not S for 5 sec within 10 min select e1.p, e2[last].p as l insert into O;");
    let InputStream::State(st) = &q.input else { panic!() };
    assert_eq!(st.kind, StateKind::Pattern);
    assert!(matches!(st.element, StateElement::Within(..)));
    let q =
        only_query("define stream S (p double); from every e1=S, e2=S[p > e1.p]+, e3=S? select e1.p insert into O;");
    let InputStream::State(st) = &q.input else { panic!() };
    assert_eq!(st.kind, StateKind::Sequence);
}

#[test]
fn joins() {
    let q = only_query("define stream A (x int); define stream B (x int); from A#window.length(5) as a unidirectional left outer join B#window.time(1 sec) as b on a.x == b.x select a.x insert into O;");
    let InputStream::Join(j) = &q.input else { panic!() };
    assert_eq!(j.kind, JoinKind::LeftOuter);
    assert_eq!(j.unidirectional, Some(JoinSide::Left));
}

#[test]
fn literals_and_precedence() {
    let q = only_query("define stream S (a int); from S select 10L as l, 1.5f as f, 2.0d as d, -3 as n, 2 hours 5 sec as t, \"\"\"x'y\"\"\" as s, a + 2 * 3 == 7 or not true as b insert into O;");
    let items = q.selector.items.unwrap();
    assert_eq!(items[0].expr.kind, ExprKind::Literal(Literal::Long(10)));
    assert_eq!(items[1].expr.kind, ExprKind::Literal(Literal::Float(1.5)));
    assert_eq!(items[2].expr.kind, ExprKind::Literal(Literal::Double(2.0)));
    assert_eq!(items[3].expr.kind, ExprKind::Literal(Literal::Int(-3)));
    assert_eq!(items[4].expr.kind, ExprKind::Literal(Literal::Time(7_205_000)));
    assert_eq!(items[5].expr.kind, ExprKind::Literal(Literal::String("x'y".into())));
    let ExprKind::Binary(BinaryOp::Or, l, _) = &items[6].expr.kind else { panic!() };
    assert!(matches!(l.kind, ExprKind::Binary(BinaryOp::Eq, ..)));
}

#[test]
fn partitions_and_tables() {
    let a = app("define stream S (sym string, p double); @primaryKey('sym') define table T (sym string, p double);\npartition with (sym of S) begin from S select sym, p insert into #I; from #I select sym, p update or insert into T set T.p = p on T.sym == sym; end;\npartition with (p < 10 as 'low' or p >= 10 as 'high' of S) begin from S select p insert into O; end;");
    assert_eq!(a.elements.len(), 4);
}

#[test]
fn errors_name_line_and_column() {
    let text = "define stream S (a int);\nfrom S select a insert into;\nfrom S selec a insert into O;";
    let errors = parse(text).unwrap_err();
    assert_eq!(errors.len(), 2, "{errors:?}");
    assert_eq!(errors[0].line_col(text), (2, 28));
    assert_eq!(errors[1].line_col(text), (3, 8));
}

#[test]
fn deep_nesting_does_not_overflow() {
    let text = format!(
        "define stream S (a int); from S select {}1{} as x insert into O;",
        "(".repeat(10_000),
        ")".repeat(10_000)
    );
    assert!(parse(&text).is_err());
}

/// Runs `f` on a thread with a 512 KiB stack: a quarter of the 2 MiB that tokio's
/// and timely's worker threads get.
fn on_small_stack(f: impl FnOnce() + Send + 'static) {
    let worker = std::thread::Builder::new().stack_size(512 * 1024).spawn(f).expect("a thread");
    worker.join().expect("the work on the small stack panicked");
}

#[test]
fn the_deepest_expression_allowed_fits_a_quarter_of_a_worker_stack() {
    use super::expr::depth;
    use super::MAX_EXPR_DEPTH as N;
    fn terms(n: usize, term: impl Fn(usize) -> String, sep: &str) -> String {
        (0..n).map(term).collect::<Vec<_>>().join(sep)
    }
    /// Builds an expression `d` deep.
    type Shape = fn(usize) -> String;
    // Each in a select item or a filter.
    let shapes: [(&str, Shape); 6] = [
        ("select", |d| format!("{} as x", terms(d, |_| "a".into(), " + "))),
        ("filter", |d| terms(d - 1, |i| format!("a == {i}"), " or ")),
        ("filter", |d| format!("a{}", " is null".repeat(d - 1))),
        ("select", |d| format!("maximum(b, {}) * 2.0 as x", terms(d - 2, |_| "b".into(), " / "))),
        ("filter", |d| format!("{}b is null", "not ".repeat(d - 2))),
        ("select", |d| {
            format!(
                "{}{}{} as x",
                "coalesce(".repeat(d / 2),
                terms(d - d / 2, |_| "a".into(), " - "),
                ")".repeat(d / 2)
            )
        }),
    ];
    for (place, shape) in shapes {
        let app = |d: usize| match place {
            "select" => format!("define stream S (a int, b double);\nfrom S select {} insert into O;", shape(d)),
            _ => format!("define stream S (a int, b double);\nfrom S[{}] select a insert into O;", shape(d)),
        };
        let (text, deeper) = (app(N), app(N + 1));
        on_small_stack(move || {
            let parsed = parse(&text).unwrap_or_else(|e| panic!("{}\n{text}", e[0].message));
            let Element::Query(q) = &parsed.elements[1] else { panic!() };
            let e = match &q.input {
                InputStream::Single(s) if !s.handlers.is_empty() => match &s.handlers[0] {
                    StreamHandler::Filter(e) => e,
                    _ => panic!(),
                },
                _ => &q.selector.items.as_ref().unwrap()[0].expr,
            };
            assert_eq!(depth(e), N, "{text}");
            let plan = crate::semantic::analyze(&parsed).unwrap_or_else(|e| panic!("{}\n{text}", e[0].message));
            let printed = crate::printer::print_app(&parsed);
            assert_eq!(parse(&printed).as_ref(), Ok(&parsed), "{printed}");
            drop((plan, parsed));
            let errors = parse(&deeper).unwrap_err();
            assert!(errors[0].message.starts_with("expression too deep: more than 64"), "{errors:?}");
            assert_eq!(errors[0].line_col(&deeper).0, 2);
        });
    }
}

#[test]
fn the_deepest_pattern_allowed_with_the_deepest_filter_fits_a_quarter_of_a_worker_stack() {
    use super::{MAX_EXPR_DEPTH, MAX_PATTERN_DEPTH as N};
    // `N` events, the last one's filter as deep as expressions may be.
    let filter = (0..MAX_EXPR_DEPTH - 1).map(|i| format!("a == {i}")).collect::<Vec<_>>().join(" or ");
    let app = |n: usize, sep: &str| {
        let events: Vec<String> = (0..n - 1).map(|i| format!("e{i}=S[a > {i}]")).collect();
        format!("define stream S (a int);\nfrom {}{sep}e{n}=S[{filter}] select e0.a insert into O;", events.join(sep))
    };
    for sep in [" -> ", ", "] {
        let (text, deeper) = (app(N, sep), app(N + 1, sep));
        on_small_stack(move || {
            let parsed = parse(&text).unwrap_or_else(|e| panic!("{}\n{text}", e[0].message));
            let plan = crate::semantic::analyze(&parsed).unwrap_or_else(|e| panic!("{}\n{text}", e[0].message));
            let printed = crate::printer::print_app(&parsed);
            assert_eq!(parse(&printed).as_ref(), Ok(&parsed), "{printed}");
            drop((plan, parsed));
            let errors = parse(&deeper).unwrap_err();
            assert!(errors[0].message.starts_with("pattern too deep: more than 32 nested steps"), "{errors:?}");
            // At the separator before the event past the limit.
            let at = deeper.match_indices(sep.trim()).nth(N - 1).unwrap().0;
            assert_eq!(errors[0].span.start, at);
        });
    }
}

#[test]
fn the_deepest_nesting_the_parser_allows_fits_half_a_worker_stack() {
    // The parser's own recursion, bounded by MAX_DEPTH: unoptimised, 63 nested
    // calls need about 680 KiB of stack (optimised, a sixth of that).
    let nested = |open: &str, close: &str, n: usize| {
        format!(
            "define stream S (a int, b double);\nfrom S[{}b is null{}] select a insert into O;",
            open.repeat(n),
            close.repeat(n)
        )
    };
    for (open, close, most) in [("(", ")", 63), ("coalesce(", ")", 62), ("not ", "", 62), ("not (", ")", 31)] {
        let (text, deeper) = (nested(open, close, most), nested(open, close, most + 1));
        let worker = std::thread::Builder::new().stack_size(1024 * 1024).spawn(move || {
            let parsed = parse(&text).unwrap_or_else(|e| panic!("{}\n{text}", e[0].message));
            crate::semantic::analyze(&parsed).unwrap_or_else(|e| panic!("{}\n{text}", e[0].message));
            let printed = crate::printer::print_app(&parsed);
            assert_eq!(parse(&printed).as_ref(), Ok(&parsed), "{printed}");
            // One more is refused: too deep a nesting or too deep a tree.
            let errors = parse(&deeper).unwrap_err();
            assert!(errors[0].message.contains("too deep"), "{open}: {errors:?}");
        });
        worker.expect("a thread").join().expect("the work on the stack panicked");
    }
}

#[test]
fn macrometa_where_is_having_after_group_by_or_alone_after_a_window() {
    let same = |sql: &str, classic: &str| {
        let (s, c) = (only_query(sql), only_query(classic));
        assert_eq!((&s.input, &s.selector), (&c.input, &c.selector), "{sql}");
    };
    let s = "CREATE STREAM S (a int, b double);\n";
    same(
        &format!("{s}INSERT INTO O SELECT a, sum(b) AS t FROM S WINDOW SLIDING_LENGTH(5) GROUP BY a WHERE t > 1.0;"),
        &format!("{s}from S#window.SLIDING_LENGTH(5) select a, sum(b) as t group by a having t > 1.0 insert into O;"),
    );
    same(
        &format!("{s}INSERT INTO O SELECT a, sum(b) AS t FROM S WINDOW SLIDING_LENGTH(5) WHERE t > 1.0;"),
        &format!("{s}from S#window.SLIDING_LENGTH(5) select a, sum(b) as t having t > 1.0 insert into O;"),
    );
    // Before GROUP BY, or without a window, WHERE filters the input events.
    same(
        &format!("{s}INSERT INTO O SELECT a, sum(b) AS t FROM S WINDOW SLIDING_LENGTH(5) WHERE b > 1.0 GROUP BY a;"),
        &format!("{s}from S#window.SLIDING_LENGTH(5)[b > 1.0] select a, sum(b) as t group by a insert into O;"),
    );
    same(
        &format!("{s}INSERT INTO O SELECT a FROM S WHERE b > 1.0;"),
        &format!("{s}from S[b > 1.0] select a insert into O;"),
    );
    same(&format!("{s}INSERT INTO O FROM S;"), &format!("{s}from S select * insert into O;"));
    let both = parse(&format!("{s}INSERT INTO O SELECT a FROM S WINDOW SLIDING_LENGTH(5) WHERE a > 1 HAVING a < 9;"));
    let errors = both.expect_err("WHERE and HAVING both filter the selected rows");
    assert!(errors[0].message.contains("write one of them"), "{errors:?}");
}

#[test]
fn create_table_as_select_is_a_table_and_its_feeding_query() {
    let a = app(
        "CREATE STREAM S (k string, v double);\nCREATE TABLE T (k string, v double) AS SELECT k, v FROM S[v > 1.0];",
    );
    let Element::Definition(Definition::Table(t)) = &a.elements[1] else { panic!("{:?}", a.elements[1]) };
    assert_eq!(t.name.name, "T");
    let Element::Query(q) = &a.elements[2] else { panic!("{:?}", a.elements[2]) };
    assert!(matches!(&q.output, OutputAction::Insert { target, .. } if target.name == "T"));
    let local = app("CREATE TABLE LOCAL T (k string); CREATE STORE U WITH (type = 'database') (k string);");
    let Element::Definition(Definition::Table(u)) = &local.elements[1] else { panic!() };
    assert_eq!(u.annotations[0].property("type"), Some("database"));
}
