//! `sluice fmt APP`: print the app in canonical form.

use std::path::Path;
use std::process::ExitCode;

/// Parses the app and prints it back; errors are printed located, exit code 1.
pub fn run(path: &Path) -> ExitCode {
    let Some(text) = super::read_app(path) else {
        return ExitCode::FAILURE;
    };
    match sluice_frontend::parse(&text) {
        Ok(app) => {
            print!("{}", sluice_frontend::printer::print_app(&app));
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
