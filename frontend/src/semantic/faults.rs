//! Where a fault stream (`@OnError(action='STREAM')`) can run.
//!
//! The reference hands an event of `S` to `S`'s readers (queries, join sides,
//! patterns, aggregations, partitions) one after the other and stops at the first
//! that fails: the later readers never see the event. Sluice's readers run apart,
//! so a fault stream is built only for a stream that exactly one query input reads,
//! outside partitions and aggregations; otherwise `@OnError(action='STREAM')` is
//! refused as not built, at the annotation.

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
    /// Refuses `@OnError(action='STREAM')` on a stream that more than one query
    /// input, a partition or an aggregation reads (see the module doc).
    pub(super) fn check_fault_streams(&mut self, app: &App, queries: &[QueryPlan], partitions: &[PartitionPlan]) {
        let mut top = Vec::new();
        for q in queries {
            inputs_of(q, &mut top);
        }
        let mut inside = Vec::new();
        for q in partitions.iter().flat_map(|p| &p.queries) {
            inputs_of(q, &mut inside);
        }
        for element in &app.elements {
            let Element::Definition(Definition::Stream(s)) = element else { continue };
            let name = &s.name.name;
            if s.fault || self.catalog.get(&format!("!{name}")).is_none() {
                continue;
            }
            let Some(a) = s.annotations.iter().find(|a| a.name.eq_ignore_ascii_case("onerror")) else { continue };
            let aggregated = app
                .elements
                .iter()
                .any(|e| matches!(e, Element::Definition(Definition::Aggregation(g)) if g.input.stream.name == *name));
            let readers = top.iter().filter(|r| *r == name).count();
            let why = if readers > 1 {
                "more than one query reads"
            } else if inside.contains(name) {
                "a partition reads"
            } else if aggregated {
                "an aggregation reads"
            } else {
                continue;
            };
            let span = a.span;
            self.not_built(
                span,
                format!(
                    "@OnError(action='STREAM') on stream '{name}', which {why} (the reference stops handing a \
                     failed event to the readers after the one that failed)"
                ),
            );
        }
    }
}
