//! The subcommands of the `sluice` binary, one file each.

pub mod check;
pub mod fmt;
pub mod known_failures;
pub mod run;
pub mod test;

use sluice_dataflow::runtime::execute::{Cluster, Workers};
use std::path::{Path, PathBuf};

/// timely's cluster options: several processes run every app's workers together.
#[derive(Clone, Debug, Default, clap::Args)]
pub struct ClusterArgs {
    /// A file with one `host:port` per line, one per process: where the processes'
    /// timely workers connect to each other. Every process gets the same file.
    #[arg(long, requires = "process")]
    pub hostfile: Option<PathBuf>,
    /// This process's index in the host file (0 feeds the input and prints outputs).
    #[arg(long, requires = "hostfile")]
    pub process: Option<usize>,
}

impl ClusterArgs {
    /// The worker placement for `threads` threads per process.
    pub fn workers(&self, threads: usize) -> Result<Workers, String> {
        let (Some(file), Some(process)) = (&self.hostfile, self.process) else {
            return Ok(Workers::from(threads));
        };
        let text = std::fs::read_to_string(file).map_err(|e| format!("{}: cannot read: {e}", file.display()))?;
        let addresses: Vec<String> =
            text.lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with('#')).map(str::to_string).collect();
        if process >= addresses.len() {
            return Err(format!("--process {process}: {} lists {} processes", file.display(), addresses.len()));
        }
        Ok(Workers { threads, cluster: Some(Cluster { process, addresses }) })
    }
}

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

/// Checks an app against the core functions and the engine's function library,
/// and builds its sources' and sinks' mappers (a bad JSONPath, regex or payload
/// template is refused at its line and column).
pub fn analyze(
    app: &sluice_frontend::ast::App,
) -> Result<sluice_frontend::logical::AppPlan, Vec<sluice_frontend::Diagnostic>> {
    let mut plan = sluice_frontend::analyze_with(app, Some(sluice_dataflow::functions::signature))?;
    let mut found = sluice_connectors::check::check(&plan);
    found.extend(sluice_dataflow::functions::script::check(&plan));
    let (errors, warnings): (Vec<_>, Vec<_>) = found.into_iter().partition(sluice_frontend::Diagnostic::is_error);
    if !errors.is_empty() {
        return Err(errors);
    }
    plan.warnings.extend(warnings);
    Ok(plan)
}
