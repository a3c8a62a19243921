//! Errors and warnings about app text, located by byte span and rendered with
//! `line:col`, the source line and a caret.

use crate::ast::Span;
use std::fmt::Write;

/// How serious a diagnostic is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Severity {
    /// The app is refused.
    Error,
    /// The app runs, but something in it is not honoured (e.g. a source type that
    /// is not available yet).
    Warning,
    /// The app is refused: it is valid in the language, but Sluice does not run
    /// that feature yet (rather than accept it and silently ignore it).
    NotBuilt,
}

/// One message about the app text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    /// Error or warning.
    pub severity: Severity,
    /// A plain sentence saying what is wrong.
    pub message: String,
    /// Where.
    pub span: Span,
}

impl Diagnostic {
    /// An error at `span`.
    pub fn error(span: Span, message: impl Into<String>) -> Diagnostic {
        Diagnostic { severity: Severity::Error, message: message.into(), span }
    }
    /// A warning at `span`.
    pub fn warning(span: Span, message: impl Into<String>) -> Diagnostic {
        Diagnostic { severity: Severity::Warning, message: message.into(), span }
    }
    /// A refusal at `span` of something valid that Sluice does not run yet.
    pub fn not_built(span: Span, message: impl Into<String>) -> Diagnostic {
        Diagnostic { severity: Severity::NotBuilt, message: message.into(), span }
    }
    /// Whether this refuses the app (an error, or a feature not built yet).
    pub fn is_error(&self) -> bool {
        self.severity != Severity::Warning
    }
    /// Whether this refuses a valid feature that is not built yet.
    pub fn is_not_built(&self) -> bool {
        self.severity == Severity::NotBuilt
    }
    /// `(line, column)` of the start, both 1-based; columns count characters.
    pub fn line_col(&self, source: &str) -> (usize, usize) {
        line_col(source, self.span.start)
    }
    /// Renders `file:line:col: error: message`, the source line and a caret under the span.
    pub fn render(&self, file: &str, source: &str) -> String {
        let (line, col) = self.line_col(source);
        let kind = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::NotBuilt => "error: not built yet",
        };
        let mut out = format!("{file}:{line}:{col}: {kind}: {}\n", self.message);
        let start = self.span.start.min(source.len());
        let line_start = source[..start].rfind('\n').map_or(0, |i| i + 1);
        let line_end = source[start..].find('\n').map_or(source.len(), |i| start + i);
        let text = &source[line_start..line_end];
        let width = source[start..line_end.max(start)]
            .chars()
            .take(self.span.end.saturating_sub(self.span.start).max(1))
            .count()
            .max(1);
        let _ = writeln!(out, "{:>5} | {}", line, text.replace('\t', " "));
        let _ = writeln!(out, "      | {}{}", " ".repeat(col - 1), "^".repeat(width));
        out
    }
}

/// `(line, column)` of byte offset `at`, both 1-based; columns count characters.
pub fn line_col(source: &str, at: usize) -> (usize, usize) {
    let mut at = at.min(source.len());
    while !source.is_char_boundary(at) {
        at -= 1;
    }
    let before = &source[..at];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    (line, before[line_start..].chars().count() + 1)
}

/// Whether any of `diagnostics` is an error.
pub fn has_errors(diagnostics: &[Diagnostic]) -> bool {
    diagnostics.iter().any(Diagnostic::is_error)
}
