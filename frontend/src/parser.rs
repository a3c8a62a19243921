//! The parser for both spellings (work in progress).
use crate::ast::App;
use crate::diagnostic::Diagnostic;

/// Parses app text in either spelling into an [`App`], or returns every error found.
pub fn parse(_text: &str) -> Result<App, Vec<Diagnostic>> {
    Err(vec![])
}
