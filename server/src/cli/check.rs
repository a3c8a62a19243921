//! `sluice check APP...`: validate apps and summarise them.

use sluice_frontend::ast::{App, Definition, Element};
use std::path::Path;
use std::process::ExitCode;

/// Checks every app; prints a summary for valid ones and located errors for the
/// rest. Fails when any app has an error.
pub fn run(paths: &[impl AsRef<Path>]) -> ExitCode {
    let mut failed = false;
    for path in paths {
        let path = path.as_ref();
        let Some(text) = super::read_app(path) else {
            failed = true;
            continue;
        };
        let file = path.display().to_string();
        match sluice_frontend::parse(&text) {
            Ok(app) => println!("{file}: ok\n{}", summary(&app)),
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

fn summary(app: &App) -> String {
    let mut out = String::new();
    for element in &app.elements {
        match element {
            Element::Definition(d) => {
                let kind = match d {
                    Definition::Stream(_) => "stream",
                    Definition::Table(_) => "table",
                    Definition::Window(_) => "window",
                    Definition::Aggregation(_) => "aggregation",
                    Definition::Function(_) => "function",
                    Definition::Trigger(_) => "trigger",
                    Definition::Index(_) => "index",
                };
                out.push_str(&format!("  {kind} {}\n", d.name()));
            }
            Element::Query(q) => out.push_str(&format!("  query {}\n", q.name().unwrap_or("(unnamed)"))),
            Element::Partition(p) => out.push_str(&format!("  partition with {} queries\n", p.queries.len())),
        }
    }
    out
}
