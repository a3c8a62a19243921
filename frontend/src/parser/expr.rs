//! Expressions, with Siddhi's precedence: `or` < `and` < `in` < `== !=` <
//! `< <= > >=` < `+ -` < `* / %` < unary `not`/`-` < postfix `is null`.
//!
//! Every step returns the expression with the depth of its tree, and no tree
//! deeper than [`MAX_EXPR_DEPTH`] is ever built: a flat chain `a + a + … + a`
//! costs the parser no recursion but nests one level per operator, and the later
//! stages (and the tree's drop) recurse on that nesting.

use super::{PResult, Parser, MAX_EXPR_DEPTH};
use crate::ast::*;
use crate::diagnostic::Diagnostic;
use crate::lexer::{Token, TokenKind};

/// Milliseconds in one unit of a time-unit word (`sec`, `minutes`, …), if it is one.
pub(crate) fn time_unit_ms(token: &Token) -> Option<i64> {
    let TokenKind::Word(w) = &token.kind else {
        return None;
    };
    unit_ms(w)
}

/// Milliseconds in one unit named `word` (case-insensitive).
pub fn unit_ms(word: &str) -> Option<i64> {
    const SEC: i64 = 1000;
    Some(match word.to_ascii_lowercase().as_str() {
        "millisecond" | "milliseconds" | "millisec" | "millis" | "ms" => 1,
        "second" | "seconds" | "sec" => SEC,
        "minute" | "minutes" | "min" => 60 * SEC,
        "hour" | "hours" => 3600 * SEC,
        "day" | "days" => 86_400 * SEC,
        "week" | "weeks" => 7 * 86_400 * SEC,
        "month" | "months" => 30 * 86_400 * SEC,
        "year" | "years" => 365 * 86_400 * SEC,
        _ => return None,
    })
}

/// An expression and the depth of its tree (a leaf is 1).
pub(crate) type Deep = (Expr, usize);

/// The depth of `e`'s tree. Recursive, so only for trees the parser built (those
/// are at most [`MAX_EXPR_DEPTH`] deep).
pub(crate) fn depth(e: &Expr) -> usize {
    match &e.kind {
        ExprKind::Literal(_) | ExprKind::Attribute { .. } | ExprKind::StreamRef(_) => 1,
        ExprKind::Call(c) => 1 + c.args.iter().map(depth).max().unwrap_or(0),
        ExprKind::Unary(_, x) | ExprKind::IsNull(x) | ExprKind::In(x, _) => 1 + depth(x),
        ExprKind::Binary(_, l, r) => 1 + depth(l).max(depth(r)),
    }
}

/// The depth of a node over children as deep as `below`, or the error at `at` (the
/// operator) when that passes [`MAX_EXPR_DEPTH`].
pub(crate) fn nest(below: usize, at: Span) -> PResult<usize> {
    if below >= MAX_EXPR_DEPTH {
        return Err(Diagnostic::error(
            at,
            format!(
                "expression too deep: more than {MAX_EXPR_DEPTH} nested operations; split it (e.g. into several \
                 queries, or an `in` table instead of a long `or` chain)"
            ),
        ));
    }
    Ok(below + 1)
}

/// `l op r`, refused at `op_span` when too deep. Out of [`Parser::expr_bp`], whose
/// frame stays small for the recursion.
fn binary(op: BinaryOp, op_span: Span, (l, l_depth): Deep, (r, r_depth): Deep) -> PResult<Deep> {
    let depth = nest(l_depth.max(r_depth), op_span)?;
    let span = l.span.to(r.span);
    Ok((Expr::new(ExprKind::Binary(op, Box::new(l), Box::new(r)), span), depth))
}

impl Parser {
    /// A full expression.
    pub(crate) fn expr(&mut self) -> PResult<Expr> {
        self.deep_expr().map(|(e, _)| e)
    }

    /// A full expression and its depth.
    pub(crate) fn deep_expr(&mut self) -> PResult<Deep> {
        self.expr_bp(0)
    }

    fn binary_op(&self) -> Option<(BinaryOp, usize)> {
        let op = match &self.peek().kind {
            TokenKind::Word(w) if w.eq_ignore_ascii_case("or") => BinaryOp::Or,
            TokenKind::Word(w) if w.eq_ignore_ascii_case("and") => BinaryOp::And,
            TokenKind::Sym("==") | TokenKind::Sym("=") => BinaryOp::Eq,
            TokenKind::Sym("!=") | TokenKind::Sym("<>") => BinaryOp::Ne,
            TokenKind::Sym("<") => BinaryOp::Lt,
            TokenKind::Sym("<=") => BinaryOp::Le,
            TokenKind::Sym(">") => BinaryOp::Gt,
            TokenKind::Sym(">=") => BinaryOp::Ge,
            TokenKind::Sym("+") => BinaryOp::Add,
            TokenKind::Sym("-") => BinaryOp::Sub,
            TokenKind::Sym("*") => BinaryOp::Mul,
            TokenKind::Sym("/") => BinaryOp::Div,
            TokenKind::Sym("%") => BinaryOp::Mod,
            _ => return None,
        };
        Some((op, 1))
    }

    /// Operators binding tighter than `min_prec`, left to right in a loop: a flat
    /// chain costs no recursion, only depth.
    pub(crate) fn expr_bp(&mut self, min_prec: u8) -> PResult<Deep> {
        self.enter()?;
        let mut lhs = self.unary()?;
        loop {
            if self.is_kw("in") && IN_PRECEDENCE > min_prec {
                lhs = self.in_table(lhs)?;
                continue;
            }
            let Some((op, len)) = self.binary_op() else {
                break;
            };
            let prec = op.precedence();
            if prec <= min_prec {
                break;
            }
            // Refused before the right operand is read, so the error names the
            // first operator past the limit.
            nest(lhs.1, self.peek().span)?;
            let op_span = self.peek().span;
            for _ in 0..len {
                self.advance();
            }
            let rhs = self.expr_bp(prec)?;
            lhs = binary(op, op_span, lhs, rhs)?;
        }
        self.leave();
        Ok(lhs)
    }

    /// `lhs in T`.
    fn in_table(&mut self, (lhs, depth): Deep) -> PResult<Deep> {
        let depth = nest(depth, self.advance().span)?;
        let table = self.ident("a table name after `in`")?;
        let span = lhs.span.to(table.span);
        Ok((Expr::new(ExprKind::In(Box::new(lhs), table), span), depth))
    }

    /// A unary operator, parentheses, a call, or a literal or name, each with any
    /// `is null` after it. Only a dispatcher: the forms that nest recurse through
    /// small frames of their own, since unoptimised builds give every local of a
    /// function its own slot.
    fn unary(&mut self) -> PResult<Deep> {
        if self.is_kw("not") {
            return self.negated(UnaryOp::Not);
        }
        if self.is_sym("-") || self.is_sym("+") {
            if matches!(self.peek_at(1).kind, TokenKind::Number(_)) && time_unit_ms(self.peek_at(2)).is_none() {
                return self.signed_number();
            }
            return self.negated(UnaryOp::Neg);
        }
        let operand = if self.is_sym("(") {
            self.parenthesized()?
        } else if self.is_call() {
            self.call()?
        } else {
            (self.primary()?, 1)
        };
        self.postfix(operand)
    }

    /// `not x`, `-x`, or `+x` (which is `x`).
    fn negated(&mut self, op: UnaryOp) -> PResult<Deep> {
        let start = self.peek().span;
        let plus = self.is_sym("+");
        self.advance();
        self.enter()?;
        let (operand, d) = self.unary()?;
        self.leave();
        if plus {
            return Ok((operand, d));
        }
        let span = start.to(operand.span);
        Ok((Expr::new(ExprKind::Unary(op, Box::new(operand)), span), nest(d, start)?))
    }

    /// `-5`, `+2.5`: a number literal with its sign.
    fn signed_number(&mut self) -> PResult<Deep> {
        let start = self.advance();
        let mut lit = self.number(matches!(start.kind, TokenKind::Sym("-")))?;
        lit.span = start.span.to(lit.span);
        self.postfix((lit, 1))
    }

    /// `( expr )`.
    fn parenthesized(&mut self) -> PResult<Deep> {
        self.advance();
        let inner = self.deep_expr()?;
        self.expect_sym(")", "to close the parenthesis")?;
        Ok(inner)
    }

    /// Whether a call (`f(` or `ns:f(`) starts here.
    fn is_call(&self) -> bool {
        matches!(self.peek().kind, TokenKind::Word(_))
            && (self.is_sym_at(1, "(") || (self.is_sym_at(1, ":") && self.is_ident_at(2) && self.is_sym_at(3, "(")))
    }

    /// `f(args)` or `ns:f(args)`.
    fn call(&mut self) -> PResult<Deep> {
        let name = self.ident("a function name")?;
        let (namespace, name) =
            if self.eat_sym(":") { (Some(name), self.ident("a function name")?) } else { (None, name) };
        let (call, depth) = self.deep_call_args(namespace, name)?;
        let span = call.span;
        Ok((Expr::new(ExprKind::Call(call), span), depth))
    }

    /// `x is null`.
    fn postfix(&mut self, (mut e, mut d): Deep) -> PResult<Deep> {
        while self.is_kw("is") {
            d = nest(d, self.advance().span)?;
            self.expect_kw("null", "after `is`")?;
            let span = e.span.to(self.prev_span());
            e = Expr::new(ExprKind::IsNull(Box::new(e)), span);
        }
        Ok((e, d))
    }

    /// Whether the next tokens are `<number> <time unit>`.
    fn is_time_constant(&self) -> bool {
        matches!(self.peek().kind, TokenKind::Number(_)) && time_unit_ms(self.peek_at(1)).is_some()
    }

    /// A literal or a name: what nests no further (see [`Parser::unary`]).
    fn primary(&mut self) -> PResult<Expr> {
        let token = self.peek().clone();
        match &token.kind {
            TokenKind::Number(_) if self.is_time_constant() => self.time_constant(),
            TokenKind::Number(_) => self.number(false),
            TokenKind::Str(s) => {
                self.advance();
                Ok(Expr::new(ExprKind::Literal(Literal::String(s.clone())), token.span))
            }
            TokenKind::Sym("#") => {
                self.advance();
                let name = self.ident("an inner stream name after `#`")?;
                self.reference(name, true, token.span)
            }
            TokenKind::Word(w) => {
                let lower = w.to_ascii_lowercase();
                let next_is_call = self.is_sym_at(1, "(")
                    || self.is_sym_at(1, ".")
                    || self.is_sym_at(1, "[")
                    || self.is_sym_at(1, ":");
                if !next_is_call {
                    let literal = match lower.as_str() {
                        "true" => Some(Literal::Bool(true)),
                        "false" => Some(Literal::Bool(false)),
                        "null" => Some(Literal::Null),
                        _ => None,
                    };
                    if let Some(l) = literal {
                        self.advance();
                        return Ok(Expr::new(ExprKind::Literal(l), token.span));
                    }
                }
                let name = self.ident("a name")?;
                self.reference(name, false, token.span)
            }
            TokenKind::QuotedName(_) => {
                let name = self.ident("a name")?;
                self.reference(name, false, token.span)
            }
            _ => Err(self.unexpected("an expression")),
        }
    }

    /// After a name: `name`, `name.attr`, `name[i].attr`, `name[last]`.
    fn reference(&mut self, name: Ident, inner: bool, start: Span) -> PResult<Expr> {
        let mut index = None;
        if self.is_sym("[") {
            self.advance();
            index = Some(self.event_index()?);
            self.expect_sym("]", "to close the event index")?;
        }
        if self.eat_sym(".") {
            let attr = self.ident("an attribute name after `.`")?;
            let span = start.to(attr.span);
            let stream = StreamRef { inner, name, index };
            return Ok(Expr::new(ExprKind::Attribute { stream: Some(stream), name: attr }, span));
        }
        let span = start.to(self.prev_span());
        if inner || index.is_some() {
            return Ok(Expr::new(ExprKind::StreamRef(StreamRef { inner, name, index }), span));
        }
        Ok(Expr::new(ExprKind::Attribute { stream: None, name }, span))
    }

    /// `0`, `last`, `last - 1`.
    fn event_index(&mut self) -> PResult<EventIndex> {
        if self.eat_kw("last") {
            if self.eat_sym("-") {
                return Ok(EventIndex::Last(self.small_int("a number after `last -`")?));
            }
            return Ok(EventIndex::Last(0));
        }
        Ok(EventIndex::Nth(self.small_int("an event index (a number or `last`)")?))
    }

    /// A non-negative integer that fits `u32`.
    pub(crate) fn small_int(&mut self, what: &str) -> PResult<u32> {
        match &self.peek().kind {
            TokenKind::Number(n) => {
                let span = self.peek().span;
                let v = n.parse::<u32>().map_err(|_| Diagnostic::error(span, format!("expected {what}, found {n}")))?;
                self.advance();
                Ok(v)
            }
            _ => Err(self.unexpected(what)),
        }
    }

    /// `(args)` after a function name.
    pub(crate) fn call_args(&mut self, namespace: Option<Ident>, name: Ident) -> PResult<FunctionCall> {
        self.deep_call_args(namespace, name).map(|(c, _)| c)
    }

    /// `(args)` after a function name, and the depth of the call as an expression.
    fn deep_call_args(&mut self, namespace: Option<Ident>, name: Ident) -> PResult<(FunctionCall, usize)> {
        let start = namespace.as_ref().map_or(name.span, |n| n.span);
        self.expect_sym("(", "to open the arguments")?;
        let mut args = Vec::new();
        let mut below = 0;
        if !self.is_sym(")") {
            loop {
                let every_attribute = namespace.is_none()
                    && (name.name.eq_ignore_ascii_case("maximum") || name.name.eq_ignore_ascii_case("minimum"));
                if self.is_sym("*") && (self.is_sym_at(1, ")")) && every_attribute {
                    // `maximum(*)`: over every attribute (the analyser expands it).
                    let star = self.advance().span;
                    let name = Ident { name: "*".into(), span: star };
                    args.push(Expr::new(ExprKind::Attribute { stream: None, name }, star));
                } else if self.is_sym("*") && (self.is_sym_at(1, ")")) {
                    // `count(*)` is `count()`.
                    self.advance();
                } else {
                    let (arg, d) = self.deep_expr()?;
                    below = below.max(nest(d, start)?);
                    args.push(arg);
                }
                if !self.eat_sym(",") {
                    break;
                }
            }
        }
        self.expect_sym(")", "to close the arguments")?;
        let depth = below.max(1);
        Ok((FunctionCall { namespace, name, args, span: start.to(self.prev_span()) }, depth))
    }

    /// `1 min 30 sec`: one or more `<int> <unit>` pairs.
    pub(crate) fn time_constant(&mut self) -> PResult<Expr> {
        let start = self.peek().span;
        let mut total: i64 = 0;
        while self.is_time_constant() {
            let t = self.advance();
            let TokenKind::Number(n) = &t.kind else { unreachable!() };
            let value: i64 = n
                .parse()
                .map_err(|_| Diagnostic::error(t.span, format!("a time constant needs a whole number, found {n}")))?;
            let unit = time_unit_ms(self.peek()).unwrap_or(1);
            self.advance();
            total = value
                .checked_mul(unit)
                .and_then(|v| total.checked_add(v))
                .ok_or_else(|| Diagnostic::error(start.to(self.prev_span()), "this time constant is too large"))?;
        }
        Ok(Expr::new(ExprKind::Literal(Literal::Time(total)), start.to(self.prev_span())))
    }

    /// A number literal, typed by its form and suffix.
    fn number(&mut self, negative: bool) -> PResult<Expr> {
        let t = self.advance();
        let TokenKind::Number(text) = &t.kind else {
            return Err(Diagnostic::error(t.span, "expected a number"));
        };
        let (body, suffix) = match text.chars().last() {
            Some(c) if c.is_ascii_alphabetic() && !text.ends_with(['e', 'E']) => {
                (&text[..text.len() - 1], Some(c.to_ascii_lowercase()))
            }
            _ => (text.as_str(), None),
        };
        let signed = if negative { format!("-{body}") } else { body.to_string() };
        let is_float = body.contains(['.', 'e', 'E']);
        let bad = |what: &str| Diagnostic::error(t.span, format!("{text} is not a valid {what}"));
        let lit = match suffix {
            Some('l') if !is_float => Literal::Long(signed.parse().map_err(|_| bad("long"))?),
            Some('l') => return Err(bad("long")),
            Some('f') => Literal::Float(signed.parse().map_err(|_| bad("float"))?),
            Some('d') => Literal::Double(signed.parse().map_err(|_| bad("double"))?),
            _ if is_float => Literal::Double(signed.parse().map_err(|_| bad("double"))?),
            _ => match signed.parse::<i32>() {
                Ok(v) => Literal::Int(v),
                Err(_) => Literal::Long(signed.parse().map_err(|_| bad("number (it is too large)"))?),
            },
        };
        Ok(Expr::new(ExprKind::Literal(lit), t.span))
    }
}
