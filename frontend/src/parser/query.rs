//! Queries in both spellings, their selection, rate limiting and output, and
//! partitions.
//!
//! Classic: `from IN select … group by … having … order by … limit … offset …
//! output … insert into O`. Macrometa: `INSERT INTO O [SELECT …] FROM IN [WHERE …]
//! [GROUP BY …] [HAVING|WHERE …] [ORDER BY …] [LIMIT …] [OFFSET …] [OUTPUT …]`, and the
//! same with `UPDATE T SET … ON …`, `DELETE T ON …`, `UPDATE OR INSERT INTO T …`
//! or no output clause at all (`SELECT … FROM …` returns its events).

use super::{PResult, Parser};
use crate::ast::*;
use crate::diagnostic::Diagnostic;
use crate::lexer::TokenKind;

impl Parser {
    /// A query in either spelling.
    pub(crate) fn query(&mut self, annotations: Vec<Annotation>) -> PResult<Query> {
        let start = annotations.first().map_or(self.peek().span, |a| a.span);
        if self.eat_kw("from") {
            let input = self.input_stream()?;
            let selector = self.selector(true)?;
            let output_rate = self.output_rate()?;
            let output = self.output_action()?;
            return Ok(Query { annotations, input, selector, output_rate, output, span: start.to(self.prev_span()) });
        }
        // Macrometa spelling: the output clause comes first.
        let output = if self.is_kw("select") { OutputAction::Return { events: None } } else { self.output_action()? };
        self.select_from(annotations, output, start)
    }

    /// Macrometa's query after its output clause: `[SELECT …] FROM IN [WHERE …]
    /// [GROUP BY …] [WHERE|HAVING …] …`. Without `SELECT` every attribute is
    /// selected. `WHERE` filters the input events, except where Macrometa makes it
    /// `HAVING` (`query-guide/having-where.md`): after `GROUP BY`, or after a
    /// window when no `GROUP BY` follows, it filters the selected rows.
    pub(crate) fn select_from(
        &mut self,
        annotations: Vec<Annotation>,
        output: OutputAction,
        start: Span,
    ) -> PResult<Query> {
        let items = if self.is_kw("from") {
            None
        } else {
            self.expect_kw("select", "after the output clause (`INSERT INTO S SELECT … FROM …`)")?;
            self.select_items()?
        };
        self.expect_kw("from", "after the selected attributes")?;
        let mut input = self.input_stream()?;
        let mut having = None;
        if self.is_kw("where") {
            let where_span = self.advance().span;
            let cond = self.expr()?;
            let after_window = matches!(&input, InputStream::Single(s)
                if matches!(s.handlers.last(), Some(StreamHandler::Window(_))));
            let grouped = self.is_kw("group") && self.is_kw_at(1, "by");
            match &mut input {
                InputStream::Single(_) if after_window && !grouped => having = Some((where_span, cond)),
                InputStream::Single(single) => single.handlers.push(StreamHandler::Filter(cond)),
                InputStream::Join(join) => {
                    join.on = Some(match join.on.take() {
                        Some(on) => {
                            // `on and where` nests one level over both.
                            super::expr::nest(super::expr::depth(&on).max(super::expr::depth(&cond)), where_span)?;
                            let span = on.span.to(cond.span);
                            Expr::new(ExprKind::Binary(BinaryOp::And, Box::new(on), Box::new(cond)), span)
                        }
                        None => cond,
                    })
                }
                InputStream::State(_) => {
                    return Err(Diagnostic::error(
                        where_span,
                        "WHERE cannot follow a pattern or sequence; filter each event with `S[condition]`",
                    ))
                }
            }
        }
        let mut selector = self.selector(false)?;
        if let Some((where_span, cond)) = having {
            if selector.having.is_some() {
                return Err(Diagnostic::error(
                    where_span,
                    "WHERE after a window filters the selected rows, as HAVING does: write one of them",
                ));
            }
            selector.having = Some(cond);
        }
        selector.items = items;
        let output_rate = self.output_rate()?;
        Ok(Query { annotations, input, selector, output_rate, output, span: start.to(self.prev_span()) })
    }

    /// An on-demand query (see [`crate::parser::parse_on_demand`]).
    pub(crate) fn on_demand_query(&mut self) -> PResult<Query> {
        let start = self.peek().span;
        if !self.eat_kw("from") {
            // Writes without `from`: `delete T on …`, `update T set … on …`.
            let names_table = matches!(&self.peek_at(1).kind, TokenKind::Word(w) if !w.eq_ignore_ascii_case("or"));
            let then = |kws: &[&str]| kws.iter().any(|k| self.is_kw_at(2, k));
            if names_table
                && ((self.is_kw("delete") && then(&["on", "for"]))
                    || (self.is_kw("update") && then(&["set", "on", "for"])))
            {
                // Unless a `select … from …` follows: Macrometa's spelling with the
                // output clause first (`DELETE T ON … SELECT … FROM …`).
                let (pos, errors) = (self.pos, self.errors.len());
                if let Ok(q) = self.unit_query(start, Selector::default()) {
                    if self.at_eof() || self.is_sym(";") {
                        return Ok(q);
                    }
                }
                self.pos = pos;
                self.errors.truncate(errors);
            }
            // `SELECT … FROM T WHERE …` and the other Macrometa forms; or, with no
            // `from`, `select <values> insert into T` (or `update …`, `delete …`).
            let (pos, errors, select) = (self.pos, self.errors.len(), self.is_kw("select"));
            let full = self.query(Vec::new());
            if full.is_err() && select {
                self.pos = pos + 1;
                self.errors.truncate(errors);
                let items = self.select_items()?;
                if self.is_kw("insert") || self.is_kw("update") || self.is_kw("delete") {
                    let selector = Selector { items, ..Selector::default() };
                    return self.unit_query(start, selector);
                }
            }
            return full;
        }
        let stream = self.ident("the table or window to query")?;
        let alias = if self.eat_kw("as") { Some(self.ident("an alias")?) } else { None };
        let mut handlers = Vec::new();
        if self.eat_kw("on") {
            handlers.push(StreamHandler::Filter(self.expr()?));
        }
        if self.is_kw("within") {
            // `within start[, end] per duration`: reading an aggregation.
            let at = self.peek().span;
            self.advance();
            let mut range = vec![self.expr()?];
            if self.eat_sym(",") {
                range.push(self.expr()?);
            }
            if !self.eat_kw("per") {
                return Err(Diagnostic::error(self.peek().span, "expected `per` after `within …`"));
            }
            let per = self.expr()?;
            handlers.push(StreamHandler::Within { range, per, span: at.to(self.prev_span()) });
        }
        let span = start.to(self.prev_span());
        let input = InputStream::Single(SingleInput { inner: false, fault: false, stream, handlers, alias, span });
        let selector = self.selector(true)?;
        let output = if self.at_eof() || self.is_sym(";") {
            OutputAction::Return { events: None }
        } else {
            self.output_action()?
        };
        Ok(self.on_demand(start, input, selector, output))
    }

    /// An on-demand query of its parts, spanning from `start` to here.
    fn on_demand(&self, start: Span, input: InputStream, selector: Selector, output: OutputAction) -> Query {
        Query { annotations: Vec::new(), input, selector, output_rate: None, output, span: start.to(self.prev_span()) }
    }

    /// An on-demand write without `from`: `selector` over one event with no
    /// attributes ([`crate::logical::UNIT_RELATION`]), then the output action.
    fn unit_query(&mut self, start: Span, selector: Selector) -> PResult<Query> {
        let output = self.output_action()?;
        let stream = Ident { name: crate::logical::UNIT_RELATION.into(), span: start };
        let input = InputStream::Single(SingleInput {
            inner: false,
            fault: false,
            stream,
            handlers: Vec::new(),
            alias: None,
            span: start,
        });
        Ok(self.on_demand(start, input, selector, output))
    }

    /// `select …` (classic only) and the clauses after it.
    fn selector(&mut self, classic: bool) -> PResult<Selector> {
        let mut selector = Selector::default();
        if classic && self.eat_kw("select") {
            selector.items = self.select_items()?;
        }
        if self.is_kw("group") && self.is_kw_at(1, "by") {
            self.advance();
            self.advance();
            selector.group_by = self.expr_list()?;
        }
        // Macrometa's `GROUP BY … WHERE …` is `HAVING`.
        let where_as_having = !classic && !selector.group_by.is_empty() && self.is_kw("where");
        if self.eat_kw("having") || (where_as_having && self.eat_kw("where")) {
            selector.having = Some(self.expr()?);
        }
        if self.is_kw("order") && self.is_kw_at(1, "by") {
            self.advance();
            self.advance();
            loop {
                let expr = self.expr()?;
                let descending = if self.eat_kw("desc") {
                    true
                } else {
                    self.eat_kw("asc");
                    false
                };
                selector.order_by.push(OrderItem { expr, descending });
                if !self.eat_sym(",") {
                    break;
                }
            }
        }
        if self.eat_kw("limit") {
            selector.limit = Some(self.expr()?);
        }
        if self.eat_kw("offset") {
            selector.offset = Some(self.expr()?);
        }
        Ok(selector)
    }

    /// `*` or `expr [as name], …`.
    pub(crate) fn select_items(&mut self) -> PResult<Option<Vec<OutputAttribute>>> {
        if self.eat_sym("*") {
            return Ok(None);
        }
        let mut items = Vec::new();
        loop {
            let expr = self.expr()?;
            let alias = if self.eat_kw("as") { Some(self.ident("a name after `as`")?) } else { None };
            items.push(OutputAttribute { expr, alias });
            if !self.eat_sym(",") {
                break;
            }
        }
        Ok(Some(items))
    }

    pub(crate) fn expr_list(&mut self) -> PResult<Vec<Expr>> {
        let mut list = vec![self.expr()?];
        while self.eat_sym(",") {
            list.push(self.expr()?);
        }
        Ok(list)
    }

    /// `output [all|first|last|snapshot] every (N events | <time>)`.
    fn output_rate(&mut self) -> PResult<Option<OutputRate>> {
        if !self.is_kw("output") {
            return Ok(None);
        }
        let start = self.advance().span;
        let mut which = RateWhich::All;
        let mut snapshot = false;
        if self.eat_kw("all") {
        } else if self.eat_kw("first") {
            which = RateWhich::First;
        } else if self.eat_kw("last") {
            which = RateWhich::Last;
        } else if self.eat_kw("snapshot") {
            snapshot = true;
        }
        self.expect_kw("every", "in the output rate (`output every 5 events`)")?;
        let is_events = matches!(self.peek().kind, TokenKind::Number(_))
            && (self.is_kw_at(1, "events") || self.is_kw_at(1, "event"));
        if is_events {
            let count = self.small_int("a number of events")? as u64;
            self.advance();
            let span = start.to(self.prev_span());
            if snapshot {
                return Err(Diagnostic::error(span, "`output snapshot` needs a time period, not a number of events"));
            }
            if count == 0 {
                return Err(Diagnostic::error(span, "the output rate must be at least 1 event"));
            }
            return Ok(Some(OutputRate::Events { which, count, span }));
        }
        let period = self.expr()?;
        let span = start.to(self.prev_span());
        Ok(Some(if snapshot {
            OutputRate::Snapshot { period, span }
        } else {
            OutputRate::Time { which, period, span }
        }))
    }

    /// `current events` / `expired events` / `all events` (`events` optional).
    fn event_type(&mut self) -> Option<OutputEventType> {
        let t = if self.is_kw("current") {
            OutputEventType::Current
        } else if self.is_kw("expired") {
            OutputEventType::Expired
        } else if self.is_kw("all") {
            OutputEventType::All
        } else {
            return None;
        };
        self.advance();
        self.eat_kw("raw");
        if !self.eat_kw("events") {
            self.eat_kw("event");
        }
        Some(t)
    }

    /// `insert … into`, `delete … on`, `update … on`, `update or insert into …`, `return`.
    fn output_action(&mut self) -> PResult<OutputAction> {
        if self.eat_kw("insert") {
            let events = self.event_type();
            self.expect_kw("into", "after `insert`")?;
            let inner = self.eat_sym("#");
            let fault = !inner && self.eat_sym("!");
            let target = self.ident("the stream to insert into")?;
            return Ok(OutputAction::Insert { events, target, inner, fault });
        }
        if self.eat_kw("delete") {
            let table = self.ident("the table to delete from")?;
            let events = self.for_events();
            self.expect_kw("on", "with the condition of the rows to delete")?;
            let on = self.expr()?;
            return Ok(OutputAction::Delete { events, table, on });
        }
        if self.eat_kw("update") {
            let or_insert = self.is_kw("or") && self.is_kw_at(1, "insert");
            if or_insert {
                self.advance();
                self.advance();
                self.expect_kw("into", "after `update or insert`")?;
            }
            let table = self.ident("the table to update")?;
            let events = self.for_events();
            let mut set = Vec::new();
            if self.eat_kw("set") {
                loop {
                    let target = self.assignment_target()?;
                    self.expect_sym("=", "in the assignment")?;
                    let value = self.expr()?;
                    set.push(SetAssignment { target, value });
                    if !self.eat_sym(",") {
                        break;
                    }
                }
            }
            self.expect_kw("on", "with the condition of the rows to update")?;
            let on = self.expr()?;
            return Ok(if or_insert {
                OutputAction::UpdateOrInsert { events, table, set, on }
            } else {
                OutputAction::Update { events, table, set, on }
            });
        }
        if self.eat_kw("return") {
            return Ok(OutputAction::Return { events: self.event_type() });
        }
        Err(self.unexpected("the query output (`insert into S`, `delete T on …`, `update T … on …`, `return`)"))
    }

    /// `for current|expired|all events` after a table name.
    fn for_events(&mut self) -> Option<OutputEventType> {
        if self.is_kw("for") && (self.is_kw_at(1, "current") || self.is_kw_at(1, "expired") || self.is_kw_at(1, "all"))
        {
            self.advance();
            return self.event_type();
        }
        None
    }

    /// `T.attr` or `attr` on the left of `=` in `set`.
    fn assignment_target(&mut self) -> PResult<Expr> {
        let first = self.ident("a table attribute to set")?;
        if self.eat_sym(".") {
            let attr = self.ident("an attribute name after `.`")?;
            let span = first.span.to(attr.span);
            let stream = StreamRef { inner: false, name: first, index: None };
            return Ok(Expr::new(ExprKind::Attribute { stream: Some(stream), name: attr }, span));
        }
        let span = first.span;
        Ok(Expr::new(ExprKind::Attribute { stream: None, name: first }, span))
    }

    /// `partition with (key of S, …) begin query; … end`.
    pub(crate) fn partition(&mut self, annotations: Vec<Annotation>) -> PResult<Partition> {
        let start = annotations.first().map_or(self.peek().span, |a| a.span);
        self.expect_kw("partition", "")?;
        self.expect_kw("with", "after `partition`")?;
        self.expect_sym("(", "before the partition keys")?;
        let mut keys = Vec::new();
        loop {
            keys.push(self.partition_key()?);
            if !self.eat_sym(",") {
                break;
            }
        }
        self.expect_sym(")", "after the partition keys")?;
        self.expect_kw("begin", "to start the partition's queries")?;
        let mut queries = Vec::new();
        loop {
            while self.eat_sym(";") {}
            if self.eat_kw("end") {
                break;
            }
            if self.at_eof() {
                return Err(self.unexpected("`end` to close the partition"));
            }
            let mut q_annotations = Vec::new();
            while self.is_sym("@") {
                q_annotations.push(self.annotation()?);
            }
            if !(self.is_kw("from")
                || self.is_kw("insert")
                || self.is_kw("update")
                || self.is_kw("delete")
                || self.is_kw("select"))
            {
                return Err(self.unexpected("a query or `end` inside the partition"));
            }
            queries.push(self.query(q_annotations)?);
            if !self.is_sym(";") && !self.is_kw("end") {
                return Err(self.unexpected("`;` after the query"));
            }
        }
        Ok(Partition { annotations, keys, queries, span: start.to(self.prev_span()) })
    }

    /// `expr of S` or `cond as 'label' or cond as 'label' … of S`.
    fn partition_key(&mut self) -> PResult<PartitionKey> {
        let first = self.expr()?;
        if self.eat_kw("as") {
            let mut ranges = Vec::new();
            let mut cond = first;
            loop {
                let label = match &self.peek().kind {
                    TokenKind::Str(s) => s.clone(),
                    _ => return Err(self.unexpected("a quoted label after `as`")),
                };
                self.advance();
                ranges.push((cond, label));
                if !self.eat_kw("or") {
                    break;
                }
                cond = self.expr_no_or()?;
                self.expect_kw("as", "and a label for the range")?;
            }
            self.expect_kw("of", "and the partitioned stream")?;
            let stream = self.ident("the partitioned stream")?;
            return Ok(PartitionKey::Range { ranges, stream });
        }
        self.expect_kw("of", "and the partitioned stream (`symbol of StockStream`)")?;
        let stream = self.ident("the partitioned stream")?;
        Ok(PartitionKey::Value { expr: first, stream })
    }

    /// A condition that stops before `or` (range partitions use `or` between ranges).
    fn expr_no_or(&mut self) -> PResult<Expr> {
        self.expr_bp(BinaryOp::Or.precedence()).map(|(e, _)| e)
    }
}
