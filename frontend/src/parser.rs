//! The parser for both spellings of the stream-worker language.
//!
//! A hand-written recursive-descent parser over [`crate::lexer`] tokens. Statements
//! may be written in the classic spelling (`define stream …`, `from … insert into …`)
//! or Macrometa's (`CREATE STREAM …`, `INSERT INTO … SELECT … FROM …`), mixed freely;
//! both produce the same [`ast`](crate::ast) nodes. Keywords are matched
//! case-insensitively and only where the grammar expects them, so they stay usable as
//! names. After an error the parser skips to the next `;` and carries on, so one run
//! reports every broken statement.

mod definition;
pub(crate) mod expr;
mod input;
mod query;

use crate::ast::*;
use crate::diagnostic::Diagnostic;
use crate::lexer::{tokenize, Token, TokenKind};

pub use expr::unit_ms;

/// Parses app text in either spelling into an [`App`], or returns every error found.
pub fn parse(text: &str) -> Result<App, Vec<Diagnostic>> {
    let tokens = tokenize(text).map_err(|e| vec![e])?;
    let mut parser = Parser { tokens, pos: 0, errors: Vec::new(), depth: 0 };
    let app = parser.app();
    if parser.errors.is_empty() {
        Ok(app)
    } else {
        Err(parser.errors)
    }
}

/// Parses an on-demand (store) query: `from T [as a] [on cond] [select …] [group by …]
/// [having …] [order by …] [limit …] [offset …]`, optionally followed by an output
/// action, or the SQL-like `SELECT … FROM T [WHERE …] …`.
pub fn parse_on_demand(text: &str) -> Result<Query, Vec<Diagnostic>> {
    let tokens = tokenize(text).map_err(|e| vec![e])?;
    let mut parser = Parser { tokens, pos: 0, errors: Vec::new(), depth: 0 };
    let query = parser.on_demand_query().map_err(|e| vec![e])?;
    parser.eat_sym(";");
    if !parser.at_eof() {
        let span = parser.peek().span;
        return Err(vec![Diagnostic::error(span, "unexpected text after the on-demand query")]);
    }
    Ok(query)
}

/// Parses one expression (the text of an `expression` window's condition).
pub fn parse_expression(text: &str) -> Result<Expr, Vec<Diagnostic>> {
    let tokens = tokenize(text).map_err(|e| vec![e])?;
    let mut parser = Parser { tokens, pos: 0, errors: Vec::new(), depth: 0 };
    let e = parser.expr().map_err(|e| vec![e])?;
    if !parser.at_eof() {
        let span = parser.peek().span;
        return Err(vec![Diagnostic::error(span, "unexpected text after the expression")]);
    }
    Ok(e)
}

/// The result of one parsing step.
pub(crate) type PResult<T> = Result<T, Diagnostic>;

/// How deeply expressions and patterns may nest before the parser refuses (keeps
/// hostile input from overflowing the parser's own stack).
const MAX_DEPTH: usize = 64;

/// The deepest expression tree the parser builds (a leaf is depth 1; each binary
/// operator, `in`, `is null`, `not`, `-` or call is one deeper than its deepest
/// operand). A flat chain such as `a + a + … + a` or `x == 1 or x == 2 or …` costs
/// the parser no recursion, but its tree nests one level per operator, and the
/// analyser, the printer, the compiler, the evaluator and the tree's drop all
/// recurse on it. Deeper expressions are refused with an error at the operator past
/// the limit. 64 is over three times the deepest expression of the golden corpus
/// (19); at 64, every walk after parsing needs under 300 KiB of stack even in a
/// debug build, a seventh of a 2 MiB worker thread's (measurements in
/// `docs/architecture.md`).
pub const MAX_EXPR_DEPTH: usize = 64;

/// The deepest pattern or sequence tree the parser builds: `A -> B -> C` nests one
/// level per item (as do `every`, `within`, `and`, `or`), and analysis and
/// compilation recurse on it, analysing each event's filter at the bottom. The
/// golden corpus's longest chain has four items; 32 steps over a 64-deep filter
/// need 160 KiB of stack to analyse in a debug build.
pub const MAX_PATTERN_DEPTH: usize = 32;

/// Parser state: the tokens, the cursor, and the errors of abandoned statements.
pub(crate) struct Parser {
    tokens: Vec<Token>,
    pos: usize,
    errors: Vec<Diagnostic>,
    depth: usize,
}

impl Parser {
    // ---- token access -------------------------------------------------------------

    pub(crate) fn peek(&self) -> &Token {
        &self.tokens[self.pos]
    }

    pub(crate) fn peek_at(&self, ahead: usize) -> &Token {
        &self.tokens[(self.pos + ahead).min(self.tokens.len() - 1)]
    }

    pub(crate) fn advance(&mut self) -> Token {
        let t = self.tokens[self.pos].clone();
        if self.pos + 1 < self.tokens.len() {
            self.pos += 1;
        }
        t
    }

    /// The span of the token just consumed.
    pub(crate) fn prev_span(&self) -> Span {
        self.tokens[self.pos.saturating_sub(1)].span
    }

    pub(crate) fn at_eof(&self) -> bool {
        matches!(self.peek().kind, TokenKind::Eof)
    }

    /// Whether the token `ahead` positions on is the keyword `kw`.
    pub(crate) fn is_kw_at(&self, ahead: usize, kw: &str) -> bool {
        matches!(&self.peek_at(ahead).kind, TokenKind::Word(w) if w.eq_ignore_ascii_case(kw))
    }

    pub(crate) fn is_kw(&self, kw: &str) -> bool {
        self.is_kw_at(0, kw)
    }

    pub(crate) fn is_sym_at(&self, ahead: usize, sym: &str) -> bool {
        matches!(&self.peek_at(ahead).kind, TokenKind::Sym(s) if *s == sym)
    }

    pub(crate) fn is_sym(&self, sym: &str) -> bool {
        self.is_sym_at(0, sym)
    }

    pub(crate) fn eat_kw(&mut self, kw: &str) -> bool {
        if self.is_kw(kw) {
            self.advance();
            true
        } else {
            false
        }
    }

    pub(crate) fn eat_sym(&mut self, sym: &str) -> bool {
        if self.is_sym(sym) {
            self.advance();
            true
        } else {
            false
        }
    }

    pub(crate) fn expect_kw(&mut self, kw: &str, context: &str) -> PResult<Span> {
        if self.is_kw(kw) {
            Ok(self.advance().span)
        } else {
            Err(self.unexpected(&format!("`{kw}` {context}")))
        }
    }

    pub(crate) fn expect_sym(&mut self, sym: &str, context: &str) -> PResult<Span> {
        if self.is_sym(sym) {
            Ok(self.advance().span)
        } else {
            Err(self.unexpected(&format!("`{sym}` {context}")))
        }
    }

    /// An error "expected `what`, found <next token>" at the next token.
    pub(crate) fn unexpected(&self, what: &str) -> Diagnostic {
        let t = self.peek();
        Diagnostic::error(t.span, format!("expected {what}, found {}", t.describe()))
    }

    /// A name (a word or a backquoted name).
    pub(crate) fn ident(&mut self, what: &str) -> PResult<Ident> {
        match &self.peek().kind {
            TokenKind::Word(w) | TokenKind::QuotedName(w) => {
                let name = w.clone();
                let span = self.advance().span;
                Ok(Ident::new(name, span))
            }
            _ => Err(self.unexpected(what)),
        }
    }

    /// Whether the next token can start a name.
    pub(crate) fn is_ident(&self) -> bool {
        self.is_ident_at(0)
    }

    pub(crate) fn is_ident_at(&self, ahead: usize) -> bool {
        matches!(self.peek_at(ahead).kind, TokenKind::Word(_) | TokenKind::QuotedName(_))
    }

    /// Enters one level of nesting, refusing input nested absurdly deep.
    pub(crate) fn enter(&mut self) -> PResult<()> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(Diagnostic::error(self.peek().span, "the app nests too deeply here"));
        }
        Ok(())
    }

    pub(crate) fn leave(&mut self) {
        self.depth -= 1;
    }

    // ---- the app ------------------------------------------------------------------

    fn app(&mut self) -> App {
        let mut app = App::default();
        loop {
            while self.eat_sym(";") {}
            if self.at_eof() {
                break;
            }
            let start = self.pos;
            match self.element(&mut app) {
                Ok(Some(element)) => {
                    app.elements.push(element);
                    if !self.at_eof() && !self.is_sym(";") {
                        let e = self.unexpected("`;` after the statement");
                        self.recover(e, start);
                    }
                }
                Ok(None) => {}
                Err(e) => self.recover(e, start),
            }
        }
        app
    }

    /// Records `error` and skips to the next `;` outside `begin … end`.
    fn recover(&mut self, error: Diagnostic, start: usize) {
        self.errors.push(error);
        self.depth = 0;
        if self.pos == start {
            self.advance();
        }
        let mut nesting = 0i32;
        while !self.at_eof() {
            if self.is_kw("begin") {
                nesting += 1;
            } else if self.is_kw("end") {
                nesting -= 1;
            } else if self.is_sym(";") && nesting <= 0 {
                break;
            }
            self.advance();
        }
    }

    /// One statement, with the annotations before it. App annotations (`@app:…`)
    /// go to `app.annotations`; `Ok(None)` when only those were written.
    fn element(&mut self, app: &mut App) -> PResult<Option<Element>> {
        let mut annotations = Vec::new();
        while self.is_sym("@") {
            let a = self.annotation()?;
            if a.name.to_ascii_lowercase().starts_with("app:") {
                app.annotations.push(a);
            } else {
                annotations.push(a);
            }
        }
        if self.is_sym(";") || self.at_eof() {
            if let Some(a) = annotations.first() {
                return Err(Diagnostic::error(
                    a.span,
                    format!("annotation @{} is not followed by a definition or query", a.name),
                ));
            }
            return Ok(None);
        }
        let element = if self.is_kw("define") {
            Element::Definition(self.define(annotations)?)
        } else if self.is_kw("create") {
            match self.create(annotations)? {
                (definition, None) => Element::Definition(definition),
                (definition, Some(feed)) => {
                    app.elements.push(Element::Definition(definition));
                    Element::Query(feed)
                }
            }
        } else if self.is_kw("partition") {
            Element::Partition(self.partition(annotations)?)
        } else if self.is_kw("from")
            || self.is_kw("insert")
            || self.is_kw("update")
            || self.is_kw("delete")
            || self.is_kw("select")
        {
            Element::Query(self.query(annotations)?)
        } else {
            return Err(self.unexpected(
                "a definition (`define …`, `CREATE …`), a query (`from …`, `INSERT INTO …`) or `partition`",
            ));
        };
        Ok(Some(element))
    }

    /// `@name(elements)` or `@name`.
    pub(crate) fn annotation(&mut self) -> PResult<Annotation> {
        self.enter()?;
        let start = self.expect_sym("@", "to start an annotation")?;
        let mut name = self.ident("an annotation name")?.name;
        while self.is_sym(":") || self.is_sym(".") {
            let sep = if self.is_sym(":") { ":" } else { "." };
            self.advance();
            name.push_str(sep);
            name.push_str(&self.ident("the rest of the annotation name")?.name);
        }
        let mut elements = Vec::new();
        if self.eat_sym("(") {
            if !self.is_sym(")") {
                loop {
                    if self.is_sym("@") {
                        elements.push(AnnotationElement::Nested(self.annotation()?));
                    } else {
                        elements.push(self.annotation_property()?);
                    }
                    if !self.eat_sym(",") {
                        break;
                    }
                }
            }
            self.expect_sym(")", "to close the annotation")?;
        }
        self.leave();
        Ok(Annotation { name, elements, span: start.to(self.prev_span()) })
    }

    /// `key = 'value'`, `key.sub = 'value'` or `'value'`.
    fn annotation_property(&mut self) -> PResult<AnnotationElement> {
        let start = self.peek().span;
        let mut key = None;
        if self.is_ident() {
            let mut k = self.ident("a property name")?.name;
            while self.is_sym(".") || self.is_sym("-") || self.is_sym(":") {
                let sep = match &self.advance().kind {
                    TokenKind::Sym(s) => *s,
                    _ => ".",
                };
                k.push_str(sep);
                k.push_str(&self.ident("the rest of the property name")?.name);
            }
            self.expect_sym("=", &format!("after property name `{k}`"))?;
            key = Some(k);
        }
        let value = self.property_value()?;
        Ok(AnnotationElement::Property { key, value, span: start.to(self.prev_span()) })
    }

    /// A property value: a string, or leniently a number, word or time constant.
    pub(crate) fn property_value(&mut self) -> PResult<String> {
        let negative = self.eat_sym("-");
        let mut value = match &self.peek().kind {
            TokenKind::Str(s) => s.clone(),
            TokenKind::Number(n) => n.clone(),
            TokenKind::Word(w) => w.clone(),
            _ => return Err(self.unexpected("a property value (a quoted string)")),
        };
        let was_number = matches!(self.peek().kind, TokenKind::Number(_));
        self.advance();
        if was_number && self.is_ident() && expr::time_unit_ms(self.peek()).is_some() {
            if let TokenKind::Word(w) = &self.advance().kind {
                value = format!("{value} {w}");
            }
        }
        Ok(if negative { format!("-{value}") } else { value })
    }
}

#[cfg(test)]
mod tests;
