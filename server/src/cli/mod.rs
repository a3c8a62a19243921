//! The subcommands of the `sluice` binary, one file each.

pub mod check;
pub mod fmt;
pub mod run;
pub mod test;

use std::path::Path;

/// Reads an app file, or prints why not.
pub fn read_app(path: &Path) -> Option<String> {
    match std::fs::read_to_string(path) {
        Ok(text) => Some(text),
        Err(e) => {
            eprintln!("{}: cannot read: {e}", path.display());
            None
        }
    }
}

/// Checks an app against the core functions and the engine's function library.
pub fn analyze(
    app: &sluice_frontend::ast::App,
) -> Result<sluice_frontend::logical::AppPlan, Vec<sluice_frontend::Diagnostic>> {
    sluice_frontend::analyze_with(app, Some(sluice_dataflow::functions::signature))
}
