//! `sluice fmt APP [--spelling classic|macrometa]`: print the app in canonical form.

use sluice_frontend::printer::{print_app_in, Spelling};
use std::path::Path;
use std::process::ExitCode;

/// The spelling `fmt` prints, as the command line names it.
#[derive(Clone, Copy, Debug, clap::ValueEnum)]
pub enum SpellingArg {
    /// `define stream …`, `from … select … insert into …`, `#window.length(5)`.
    Classic,
    /// `CREATE STREAM …`, `INSERT INTO … SELECT … FROM …`, `WINDOW SLIDING_LENGTH(5)`.
    Macrometa,
}

impl From<SpellingArg> for Spelling {
    fn from(s: SpellingArg) -> Spelling {
        match s {
            SpellingArg::Classic => Spelling::Classic,
            SpellingArg::Macrometa => Spelling::Macrometa,
        }
    }
}

/// Parses the app and prints it back in `spelling`; errors are printed located,
/// exit code 1.
pub fn run(path: &Path, spelling: Spelling) -> ExitCode {
    let Some(text) = super::read_app(path) else {
        return ExitCode::FAILURE;
    };
    match sluice_frontend::parse(&text) {
        Ok(app) => {
            print!("{}", print_app_in(&app, spelling));
            ExitCode::SUCCESS
        }
        Err(errors) => {
            for e in errors {
                eprint!("{}", e.render(&path.display().to_string(), &text));
            }
            ExitCode::FAILURE
        }
    }
}
