//! `sluice`: check, format, run and test stream apps.

mod cli;

use clap::{Parser, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;

/// Sluice runs stream apps (Siddhi / Macrometa Stream Workers language) on
/// timely and differential dataflow.
#[derive(Parser)]
#[command(name = "sluice", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Check apps: print a summary of each valid app, or every error with its
    /// `file:line:col`; exits non-zero when any app has errors.
    Check {
        /// App files (either spelling).
        #[arg(required = true)]
        apps: Vec<PathBuf>,
    },
    /// Print an app back in canonical (classic) form.
    Fmt {
        /// The app file.
        app: PathBuf,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Check { apps } => cli::check::run(&apps),
        Command::Fmt { app } => cli::fmt::run(&app),
    }
}
