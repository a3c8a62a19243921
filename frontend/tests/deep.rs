//! Long flat chains of operators (`a + a + … + a`, `x == 1 or x == 2 or …`) build
//! trees one level deeper per operator; the front end refuses them past
//! `MAX_EXPR_DEPTH` with an error at the operator, and never overflows a stack.

use sluice_frontend::parser::{parse_expression, MAX_EXPR_DEPTH};
use sluice_frontend::{parse, parse_on_demand, Diagnostic};

const TERMS: usize = 100_000;

/// Runs `f` on a thread with a 512 KiB stack, a quarter of a tokio or timely worker's.
fn on_small_stack(f: impl FnOnce() + Send + 'static) {
    std::thread::Builder::new().stack_size(512 * 1024).spawn(f).unwrap().join().unwrap();
}

/// `TERMS` terms made by `term`, joined by ` op `.
fn chain(op: &str, term: &dyn Fn(usize) -> String) -> String {
    (0..TERMS).map(term).collect::<Vec<_>>().join(&format!(" {op} "))
}

/// The byte offset of the `n`th (1-based) ` op ` in `text` after `from`.
fn nth_operator(text: &str, from: usize, op: &str, n: usize) -> usize {
    let needle = format!(" {op} ");
    let mut at = from;
    for _ in 0..n {
        at = at + text[at..].find(&needle).expect("the operator") + 1;
    }
    at
}

fn assert_too_deep(errors: &[Diagnostic], text: &str, at: usize) {
    let e = &errors[0];
    let expected = format!("expression too deep: more than {MAX_EXPR_DEPTH} nested operations; split it");
    assert!(e.message.starts_with(&expected), "{}", e.message);
    assert_eq!(e.span.start, at, "the error names the first operator past the limit");
    let (line, col) = e.line_col(text);
    assert!(e.render("app", text).contains(&format!("app:{line}:{col}: error: expression too deep")));
}

#[test]
fn a_long_sum_is_refused_at_the_operator_past_the_limit() {
    on_small_stack(|| {
        let prefix = "define stream S (a int);\nfrom S\nselect ";
        let text = format!("{prefix}{} as x insert into O;", chain("+", &|_| "a".into()));
        let errors = parse(&text).unwrap_err();
        // Term k + 1 makes the tree k + 1 deep: the 64th `+` is one too many.
        let at = nth_operator(&text, prefix.len(), "+", MAX_EXPR_DEPTH);
        assert_too_deep(&errors, &text, at);
        assert_eq!(errors[0].line_col(&text), (3, 8 + 4 * MAX_EXPR_DEPTH - 2));
    });
}

#[test]
fn a_long_or_chain_and_a_long_comparison_chain_are_refused() {
    on_small_stack(|| {
        // `a == i` is 2 deep, so the 63rd `or` is one too many.
        let prefix = "define stream S (a int);\nfrom S[";
        let text = format!("{prefix}{}] select a insert into O;", chain("or", &|i| format!("a == {i}")));
        let at = nth_operator(&text, prefix.len(), "or", MAX_EXPR_DEPTH - 1);
        assert_too_deep(&parse(&text).unwrap_err(), &text, at);

        let prefix = "define stream S (a bool);\nfrom S[";
        let text = format!("{prefix}{}] select a insert into O;", chain("==", &|_| "a".into()));
        let at = nth_operator(&text, prefix.len(), "==", MAX_EXPR_DEPTH);
        assert_too_deep(&parse(&text).unwrap_err(), &text, at);
    });
}

#[test]
fn every_statement_with_a_long_chain_is_reported_and_the_rest_parse() {
    on_small_stack(|| {
        let sum = chain("+", &|_| "a".into());
        let text = format!(
            "define stream S (a int);\nfrom S select {sum} as x insert into O;\nfrom S select a insert into P;\n\
             from S select maximum(a, {sum}) as y insert into Q;\nfrom S[a is null{}] select a insert into R;",
            " is null".repeat(TERMS)
        );
        let errors = parse(&text).unwrap_err();
        assert_eq!(errors.len(), 3, "{:?}", errors.iter().map(|e| &e.message).collect::<Vec<_>>());
        let lines: Vec<usize> = errors.iter().map(|e| e.line_col(&text).0).collect();
        assert_eq!(lines, [2, 4, 5]);
        assert!(errors.iter().all(|e| e.message.starts_with("expression too deep")));
    });
}

#[test]
fn on_demand_queries_and_window_conditions_are_bounded_too() {
    on_small_stack(|| {
        let text = format!("from T on {} select a", chain("or", &|i| format!("a == {i}")));
        let at = nth_operator(&text, 0, "or", MAX_EXPR_DEPTH - 1);
        assert_too_deep(&parse_on_demand(&text).unwrap_err(), &text, at);

        let text = format!("SELECT * FROM T WHERE {}", chain("+", &|_| "a".into()));
        let at = nth_operator(&text, 0, "+", MAX_EXPR_DEPTH);
        assert_too_deep(&parse_on_demand(&text).unwrap_err(), &text, at);

        let text = chain("-", &|_| "count()".into());
        let at = nth_operator(&text, 0, "-", MAX_EXPR_DEPTH);
        assert_too_deep(&parse_expression(&text).unwrap_err(), &text, at);
    });
}

#[test]
fn a_wide_expression_is_not_a_deep_one() {
    on_small_stack(|| {
        let args = (0..TERMS).map(|_| "a").collect::<Vec<_>>().join(", ");
        let text = format!("define stream S (a int);\nfrom S select maximum({args}) as m insert into O;");
        let app = parse(&text).unwrap_or_else(|e| panic!("{}", e[0].message));
        sluice_frontend::analyze(&app).unwrap_or_else(|e| panic!("{}", e[0].message));
    });
}

#[test]
fn a_long_pattern_or_sequence_is_refused_at_the_step_past_the_limit() {
    use sluice_frontend::parser::MAX_PATTERN_DEPTH;
    on_small_stack(|| {
        for sep in ["->", ","] {
            let prefix = "define stream S (a int);\nfrom ";
            let events = (0..TERMS).map(|i| format!("e{i}=S[a > {i}]")).collect::<Vec<_>>().join(&format!(" {sep} "));
            let text = format!("{prefix}{events} select e0.a insert into O;");
            let errors = parse(&text).unwrap_err();
            assert!(errors[0].message.starts_with("pattern too deep"), "{}", errors[0].message);
            // The 33rd event is one too many: the error is at the separator before it.
            assert_eq!(errors[0].span.start, nth_operator(&text, prefix.len(), sep, MAX_PATTERN_DEPTH));
            assert_eq!(errors[0].line_col(&text).0, 2);
        }
    });
}
