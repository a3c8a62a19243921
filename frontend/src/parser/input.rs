//! What a query reads: a single stream with its handlers, a join, or a pattern or
//! sequence.

use super::{PResult, Parser, MAX_PATTERN_DEPTH};
use crate::ast::*;
use crate::diagnostic::Diagnostic;
use crate::lexer::TokenKind;

impl Parser {
    /// The input after `from` / `FROM`.
    pub(crate) fn input_stream(&mut self) -> PResult<InputStream> {
        let start = self.peek().span;
        if self.starts_state_input() {
            return self.state_input(start);
        }
        let first = self.single_input(true)?;
        if self.is_sym("->")
            || self.is_sym(",")
            || self.is_sym("<")
            || self.is_kw("and")
            || self.is_kw("or")
            || self.is_kw("within")
        {
            return self.state_input_after(first, start);
        }
        if self.starts_join() {
            return self.join(first, start);
        }
        Ok(InputStream::Single(first))
    }

    /// Whether the input is certainly a pattern or sequence: `every …`, `not …`,
    /// `( … )`, or `e1 = S`.
    fn starts_state_input(&self) -> bool {
        self.is_kw("every")
            || (self.is_kw("not") && self.is_ident_at(1))
            || self.is_sym("(")
            || (self.is_ident() && self.is_sym_at(1, "="))
    }

    fn starts_join(&self) -> bool {
        self.is_kw("join")
            || self.is_kw("unidirectional")
            || (self.is_kw("inner") && self.is_kw_at(1, "join"))
            || ((self.is_kw("left") || self.is_kw("right") || self.is_kw("full"))
                && (self.is_kw_at(1, "outer") || self.is_kw_at(1, "join")))
    }

    /// `[#|!]S[filter]#fn(…)#window.x(…) WINDOW X(…) [as alias]`.
    pub(crate) fn single_input(&mut self, allow_alias: bool) -> PResult<SingleInput> {
        let start = self.peek().span;
        let inner = self.eat_sym("#");
        let fault = !inner && self.eat_sym("!");
        let stream = self.ident("a stream name")?;
        let mut handlers = Vec::new();
        loop {
            if self.is_sym("[") {
                self.advance();
                let cond = self.expr()?;
                self.expect_sym("]", "to close the filter")?;
                handlers.push(StreamHandler::Filter(cond));
            } else if self.is_sym("#") {
                self.advance();
                if self.is_kw("window") && self.is_sym_at(1, ".") {
                    self.advance();
                    self.advance();
                    handlers.push(StreamHandler::Window(self.function_call("a window name after `#window.`")?));
                } else {
                    handlers.push(StreamHandler::Function(self.function_call("a stream function after `#`")?));
                }
            } else if self.is_kw("window") && self.is_ident_at(1) && (self.is_sym_at(2, "(") || self.is_sym_at(2, ":"))
            {
                self.advance();
                handlers.push(StreamHandler::Window(self.function_call("a window name after WINDOW")?));
            } else {
                break;
            }
        }
        let mut alias = None;
        if allow_alias && self.eat_kw("as") {
            alias = Some(self.ident("an alias after `as`")?);
        }
        Ok(SingleInput { inner, fault, stream, handlers, alias, span: start.to(self.prev_span()) })
    }

    /// `name(args)` or `ns:name(args)`.
    pub(crate) fn function_call(&mut self, what: &str) -> PResult<FunctionCall> {
        let first = self.ident(what)?;
        if self.eat_sym(":") {
            let name = self.ident("a function name after `:`")?;
            return self.call_args(Some(first), name);
        }
        self.call_args(None, first)
    }

    fn join(&mut self, left: SingleInput, start: Span) -> PResult<InputStream> {
        let mut unidirectional = None;
        if self.eat_kw("unidirectional") {
            unidirectional = Some(JoinSide::Left);
        }
        let kind = if self.eat_kw("join") {
            JoinKind::Inner
        } else if self.eat_kw("inner") {
            self.expect_kw("join", "after `inner`")?;
            JoinKind::Inner
        } else {
            let kind = if self.eat_kw("left") {
                JoinKind::LeftOuter
            } else if self.eat_kw("right") {
                JoinKind::RightOuter
            } else if self.eat_kw("full") {
                JoinKind::FullOuter
            } else {
                return Err(self.unexpected("`join`"));
            };
            self.eat_kw("outer");
            self.expect_kw("join", "in the outer join")?;
            kind
        };
        let right = self.single_input(true)?;
        if self.eat_kw("unidirectional") {
            if unidirectional.is_some() {
                return Err(Diagnostic::error(self.prev_span(), "only one side of a join can be `unidirectional`"));
            }
            unidirectional = Some(JoinSide::Right);
        }
        let on = if self.eat_kw("on") { Some(self.expr()?) } else { None };
        let mut within = Vec::new();
        if self.eat_kw("within") {
            within.push(self.expr()?);
            if self.eat_sym(",") {
                within.push(self.expr()?);
            }
        }
        let per = if self.eat_kw("per") { Some(self.expr()?) } else { None };
        let span = start.to(self.prev_span());
        Ok(InputStream::Join(Box::new(JoinInput { left, kind, right, unidirectional, on, within, per, span })))
    }

    // ---- patterns and sequences ----------------------------------------------------

    fn state_input(&mut self, start: Span) -> PResult<InputStream> {
        let (element, kind, _) = self.state_chain(None)?;
        Ok(InputStream::State(Box::new(StateInput { kind, element, span: start.to(self.prev_span()) })))
    }

    /// A pattern whose first stream was already read as a plain input.
    fn state_input_after(&mut self, first: SingleInput, start: Span) -> PResult<InputStream> {
        if first.alias.is_some() {
            return Err(Diagnostic::error(first.span, "in a pattern, name an event with `e1=S`, not `S as e1`"));
        }
        let first = self.state_unit_tail(StateStream { alias: None, input: first })?;
        let (element, kind, _) = self.state_chain(Some(first))?;
        Ok(InputStream::State(Box::new(StateInput { kind, element, span: start.to(self.prev_span()) })))
    }

    /// Items separated by `->` (pattern) or `,` (sequence), then an optional `within`
    /// for the whole chain. `first` is an already-parsed first unit. Also returns
    /// the depth of the tree, bounded as it grows: a flat chain nests one level per
    /// item.
    fn state_chain(&mut self, first: Option<StateElement>) -> PResult<(StateElement, StateKind, usize)> {
        self.enter()?;
        let (item, d) = self.state_item(first)?;
        let mut items = vec![item];
        // The chain nests to the right: item `i` sits under `i + 1` `Next` nodes, the
        // last one (`n - 1`) under `n - 1`. `inner` is the deepest reach of the items
        // before the last, `last` the depth of the last item.
        let (mut inner, mut last) = (0, d);
        let mut kind = None;
        loop {
            let this = if self.is_sym("->") {
                StateKind::Pattern
            } else if self.is_sym(",") {
                StateKind::Sequence
            } else {
                break;
            };
            if kind.is_some_and(|k| k != this) {
                return Err(Diagnostic::error(
                    self.peek().span,
                    "a pattern (`->`) and a sequence (`,`) cannot be mixed; use parentheses",
                ));
            }
            kind = Some(this);
            let at = self.advance().span;
            let i = items.len();
            inner = inner.max(i + last);
            let (item, d) = self.state_item(None)?;
            last = d;
            pattern_depth(inner.max(i + last), at)?;
            items.push(item);
        }
        let mut depth = inner.max(items.len() - 1 + last);
        let mut element = items.pop().expect("one item");
        while let Some(prev) = items.pop() {
            element = StateElement::Next(Box::new(prev), Box::new(element));
        }
        if self.is_kw("within") {
            depth = pattern_depth(depth + 1, self.advance().span)?;
            let time = self.expr()?;
            element = StateElement::Within(Box::new(element), time);
        }
        self.leave();
        Ok((element, kind.unwrap_or(StateKind::Pattern), depth))
    }

    /// `every unit`, or a unit possibly combined with `and`/`or`; a `within` after it
    /// binds to it when the chain goes on.
    fn state_item(&mut self, first: Option<StateElement>) -> PResult<(StateElement, usize)> {
        let (mut element, mut depth) = if first.is_none() && self.is_kw("every") {
            let at = self.advance().span;
            let (unit, d) = self.state_logical(None)?;
            (StateElement::Every(Box::new(unit)), pattern_depth(d + 1, at)?)
        } else {
            self.state_logical(first)?
        };
        if self.is_kw("within") {
            // `within` binds to this item only when the chain continues after it.
            let save = self.pos;
            let at = self.advance().span;
            let time = self.expr()?;
            if self.is_sym("->") || self.is_sym(",") {
                depth = pattern_depth(depth + 1, at)?;
                element = StateElement::Within(Box::new(element), time);
            } else {
                self.pos = save;
            }
        }
        Ok((element, depth))
    }

    fn state_logical(&mut self, first: Option<StateElement>) -> PResult<(StateElement, usize)> {
        let (left, left_depth) = match first {
            Some(f) => (f, 1),
            None => self.state_unit()?,
        };
        let op = if self.is_kw("and") {
            LogicalOp::And
        } else if self.is_kw("or") {
            LogicalOp::Or
        } else {
            return Ok((left, left_depth));
        };
        let at = self.advance().span;
        let (right, right_depth) = self.state_unit()?;
        let depth = pattern_depth(1 + left_depth.max(right_depth), at)?;
        Ok((StateElement::Logical { op, left: Box::new(left), right: Box::new(right) }, depth))
    }

    /// `( chain )`, `not S[…] [for t]`, or `[e=]S[…]` with an optional count.
    fn state_unit(&mut self) -> PResult<(StateElement, usize)> {
        if self.eat_sym("(") {
            let (inner, _, depth) = self.state_chain(None)?;
            self.expect_sym(")", "to close the parenthesised pattern")?;
            return Ok((inner, depth));
        }
        if self.eat_kw("not") {
            let input = self.single_input(false)?;
            // `not S for 1 sec and e=T`: the time stops before `and`/`or`.
            let for_time = if self.eat_kw("for") { Some(self.expr_bp(BinaryOp::And.precedence())?.0) } else { None };
            return Ok((StateElement::Absent { stream: StateStream { alias: None, input }, for_time }, 1));
        }
        let alias = if self.is_ident() && self.is_sym_at(1, "=") {
            let a = self.ident("an event name")?;
            self.advance();
            Some(a)
        } else {
            None
        };
        let input = self.single_input(false)?;
        Ok((self.state_unit_tail(StateStream { alias, input })?, 1))
    }

    /// An optional count after a pattern stream: `<2:5>`, `<3:>`, `<:4>`, `<2>`,
    /// `+`, `*`, `?`.
    fn state_unit_tail(&mut self, stream: StateStream) -> PResult<StateElement> {
        let (min, max, syntax) = if self.eat_sym("+") {
            (1, None, CountSyntax::Plus)
        } else if self.eat_sym("*") {
            (0, None, CountSyntax::Star)
        } else if self.eat_sym("?") {
            (0, Some(1), CountSyntax::Question)
        } else if self.is_sym("<") {
            let open = self.advance().span;
            let min =
                if matches!(self.peek().kind, TokenKind::Number(_)) { Some(self.small_int("a count")?) } else { None };
            let max = if self.eat_sym(":") {
                if matches!(self.peek().kind, TokenKind::Number(_)) {
                    Some(self.small_int("a count")?)
                } else {
                    None
                }
            } else {
                if min.is_none() {
                    return Err(self.unexpected("a count such as `<2:5>`"));
                }
                min
            };
            self.expect_sym(">", "to close the count")?;
            if let (Some(a), Some(b)) = (min, max) {
                if a > b {
                    return Err(Diagnostic::error(
                        open.to(self.prev_span()),
                        format!("the count <{a}:{b}> has its least above its greatest"),
                    ));
                }
            }
            (min.unwrap_or(0), max, CountSyntax::Range)
        } else {
            return Ok(StateElement::Stream(stream));
        };
        Ok(StateElement::Count { stream, min, max, syntax })
    }
}

/// `depth`, or the error at `at` when a pattern's tree would be deeper than
/// [`MAX_PATTERN_DEPTH`]: a chain `A -> B -> …` nests one level per item, and
/// analysis and compilation recurse on it.
fn pattern_depth(depth: usize, at: Span) -> PResult<usize> {
    if depth > MAX_PATTERN_DEPTH {
        return Err(Diagnostic::error(
            at,
            format!("pattern too deep: more than {MAX_PATTERN_DEPTH} nested steps; split it into several queries"),
        ));
    }
    Ok(depth)
}
