//! Where a fault stream (`@OnError(action='STREAM')`) can run.
//!
//! The reference hands an event of `S` to `S`'s readers (aggregations first, as
//! they are defined before any query, then queries and partitions in the order
//! they are written) one after the other and stops at the first that fails: the
//! later readers never see the event. Sluice chains the nodes that read such a
//! stream in that order (`runtime/fault.rs` in the dataflow crate). A partition
//! is one node spread over the workers by key, and it drops events without a key
//! (as the reference does), so it cannot hand every event on to a next reader:
//! `@OnError(action='STREAM')` on a stream that a partition reads besides other
//! readers is refused as not built, at the annotation. A partition (or an
//! aggregation) that is the stream's only reader runs, and inside a partition
//! the queries are readers in order like any others.

use super::Analyzer;
use crate::ast::{App, Definition, Element};
use crate::logical::{InputPlan, PartitionPlan, QueryPlan};

/// The streams each query input reads (a pattern's streams once each).
fn inputs_of(q: &QueryPlan, out: &mut Vec<String>) {
    match &q.input {
        InputPlan::Single(s) => out.push(s.name.clone()),
        InputPlan::Join(j) => {
            out.push(j.left.name.clone());
            out.push(j.right.name.clone());
        }
        InputPlan::Pattern(p) => {
            let mut seen: Vec<&str> = Vec::new();
            for e in &p.events {
                if !seen.contains(&e.stream.as_str()) {
                    seen.push(&e.stream);
                    out.push(e.stream.clone());
                }
            }
        }
    }
}

impl Analyzer {
    /// Refuses `@OnError(action='STREAM')` on a stream that a partition reads
    /// besides other readers (see the module doc).
    pub(super) fn check_fault_streams(&mut self, app: &App, queries: &[QueryPlan], partitions: &[PartitionPlan]) {
        let read_by = |q: &QueryPlan, name: &str| {
            let mut inputs = Vec::new();
            inputs_of(q, &mut inputs);
            inputs.iter().any(|i| i == name)
        };
        for element in &app.elements {
            let Element::Definition(Definition::Stream(s)) = element else { continue };
            let name = &s.name.name;
            let faults = self.catalog.get(&format!("!{name}")).is_some()
                || self.catalog.get(&crate::logical::error_store_stream(name)).is_some();
            if s.fault || !faults {
                continue;
            }
            let Some(a) = s.annotations.iter().find(|a| a.name.eq_ignore_ascii_case("onerror")) else { continue };
            let partitioned = partitions.iter().filter(|p| p.queries.iter().any(|q| read_by(q, name))).count();
            if partitioned == 0 {
                continue;
            }
            let aggregated = app
                .elements
                .iter()
                .filter(
                    |e| matches!(e, Element::Definition(Definition::Aggregation(g)) if g.input.stream.name == *name),
                )
                .count();
            let others = queries.iter().filter(|q| read_by(q, name)).count() + aggregated + partitioned - 1;
            if others == 0 {
                continue;
            }
            self.not_built(
                a.span,
                format!(
                    "@OnError(action='{}') on stream '{name}', which a partition reads besides other queries, \
                     partitions or aggregations (the reference stops handing a failed event to the readers after \
                     the one that failed; a partition cannot hand events on yet)",
                    a.property("action").unwrap_or("STREAM").to_ascii_uppercase()
                ),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::ast::AttrType;
    use crate::diagnostic::Diagnostic;
    use crate::logical::{AppPlan, InputPlan};
    use crate::printer::{print_app_in, Spelling};

    fn analyze(text: &str) -> Result<AppPlan, Vec<Diagnostic>> {
        crate::semantic::analyze(&crate::parser::parse(text).expect("parses"))
    }

    fn errors(text: &str) -> Vec<(Diagnostic, (usize, usize))> {
        let diags = analyze(text).expect_err("refused");
        diags.into_iter().map(|d| (d.clone(), d.line_col(text))).collect()
    }

    #[test]
    fn on_error_stream_defines_the_fault_stream() {
        let plan = analyze(
            "@OnError(action='STREAM') define stream S (a string, b int);\n\
             from S select a insert into O;\n\
             from !S select b, _error insert into F;",
        )
        .expect("accepted");
        let fault = plan.catalog.get("!S").expect("!S in the catalog");
        let attrs: Vec<(&str, AttrType)> = fault.schema.attrs.iter().map(|(n, t)| (n.as_str(), *t)).collect();
        assert_eq!(attrs, [("a", AttrType::String), ("b", AttrType::Int), ("_error", AttrType::Object)]);
        let InputPlan::Single(input) = &plan.queries[1].input else { panic!("a single input") };
        assert_eq!(input.name, "!S");
    }

    #[test]
    fn no_fault_stream_without_on_error_stream() {
        for annotation in ["", "@OnError(action='LOG') "] {
            let text = format!("{annotation}define stream S (a string);\nfrom !S select a insert into F;");
            let found = errors(&text);
            assert_eq!(found.len(), 1, "{found:?}");
            assert!(found[0].0.message.contains("stream 'S' needs @OnError(action='STREAM')"), "{found:?}");
            assert_eq!(found[0].1, (2, 6));
            assert!(!found[0].0.is_not_built());
        }
    }

    #[test]
    fn a_partition_reader_among_others_is_not_built() {
        analyze(
            "define stream T (a string);\n@OnError(action='STREAM') define stream S (a string);\n\
             from S select a insert into O;\nfrom S join T#window.length(1) on S.a == T.a select S.a insert into P;",
        )
        .expect("two queries read S");
        analyze(
            "@OnError(action='STREAM') define stream S (a string);\n\
             partition with (a of S) begin from S select a insert into O; from S select a insert into P; end;",
        )
        .expect("a partition is the only reader of S");
        let partitioned = errors(
            "@OnError(action='STREAM') define stream S (a string);\nfrom S select a insert into Q;\n\
             partition with (a of S) begin from S select a insert into O; end;",
        );
        assert!(partitioned[0].0.is_not_built() && partitioned[0].0.message.contains("a partition reads"));
        assert_eq!(partitioned[0].1, (1, 1));
    }

    #[test]
    fn macrometa_spells_on_error_as_an_option_and_may_declare_the_fault_stream() {
        let text = "CREATE STREAM S WITH (OnError.action = 'stream') (a string);\n\
                    CREATE STREAM !S (a string, _error object);\n\
                    INSERT INTO F SELECT a, _error FROM !S;";
        let app = crate::parser::parse(text).expect("parses");
        assert!(crate::semantic::analyze(&app).is_ok());
        for spelling in [Spelling::Classic, Spelling::Macrometa] {
            let printed = print_app_in(&app, spelling);
            assert!(printed.contains("CREATE STREAM !S (a string, _error object)"), "{printed}");
            assert_eq!(crate::parser::parse(&printed).expect("reparses"), app, "{printed}");
        }
        let wrong =
            errors("CREATE STREAM S WITH (OnError.action = 'stream') (a string);\nCREATE STREAM !S (a string);");
        assert!(wrong[0].0.message.contains("is (a string, _error object), not (a string)"), "{wrong:?}");
        let undeclared = errors("CREATE STREAM S (a string);\nCREATE STREAM !S (a string, _error object);");
        assert!(undeclared[0].0.message.contains("needs @OnError"), "{undeclared:?}");
    }

    #[test]
    fn the_classic_spelling_cannot_define_a_fault_stream() {
        let diags = crate::parser::parse("define stream !S (a string, _error object);").expect_err("refused");
        assert!(diags[0].message.contains("fault streams cannot be defined"), "{diags:?}");
    }
}
