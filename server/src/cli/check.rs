//! `sluice check APP...`: validate apps and summarise them.

use sluice_frontend::logical::{AppPlan, EntryKind, OutputPlan};
use std::path::Path;
use std::process::ExitCode;

/// Checks every app; prints a summary for valid ones and located errors for the
/// rest (warnings too). Fails when any app has an error.
pub fn run(paths: &[impl AsRef<Path>]) -> ExitCode {
    let mut failed = false;
    for path in paths {
        let path = path.as_ref();
        let Some(text) = super::read_app(path) else {
            failed = true;
            continue;
        };
        let file = path.display().to_string();
        match sluice_frontend::parse(&text).and_then(|app| super::analyze(&app)) {
            Ok(plan) => {
                for w in &plan.warnings {
                    eprint!("{}", w.render(&file, &text));
                }
                println!("{file}: ok\n{}", summary(&plan));
            }
            Err(errors) => {
                failed = true;
                for e in errors {
                    eprint!("{}", e.render(&file, &text));
                }
            }
        }
    }
    if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

/// One line per relation and per query, with schemas.
fn summary(plan: &AppPlan) -> String {
    let mut out = format!("  app {}{}\n", plan.name, if plan.playback { " (playback)" } else { "" });
    for e in &plan.catalog.entries {
        let kind = match e.kind {
            EntryKind::Stream if sluice_frontend::logical::stored_errors_of(&e.name).is_some() => continue,
            EntryKind::Stream if e.declared => "stream",
            EntryKind::Stream => "stream (implicit)",
            EntryKind::Table => "table",
            EntryKind::Window => "window",
            EntryKind::Aggregation => "aggregation",
        };
        out.push_str(&format!("  {kind} {} {}\n", e.name, e.schema.describe()));
    }
    let partitioned = plan.partitions.iter().flat_map(|p| p.queries.iter());
    for q in plan.queries.iter().chain(partitioned) {
        let target = match &q.output {
            OutputPlan::Insert { target, .. } => format!(" -> {target}"),
            OutputPlan::TableAction { table, .. } => format!(" -> table {table}"),
            OutputPlan::Return { .. } => String::new(),
        };
        out.push_str(&format!("  query {}{target} {}\n", q.name, q.output_schema.describe()));
    }
    out
}
