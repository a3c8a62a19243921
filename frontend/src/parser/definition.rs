//! Definitions in both spellings: `define stream|table|window|aggregation|function|
//! trigger …` and `CREATE STREAM|SOURCE|SINK|TABLE|STORE|[UNIQUE|SECONDARY] INDEX|
//! WINDOW|AGGREGATION|TRIGGER|FUNCTION …`; `CREATE TABLE|STREAM X (…) AS SELECT …`
//! is the definition and the query `INSERT INTO X SELECT …` that feeds it.
//!
//! Macrometa's `WITH (…)` options become the annotations the classic spelling would
//! have written: `CREATE SOURCE S WITH (type='http', map.type='json')` is
//! `@source(type='http', @map(type='json')) define stream S`.

use super::{PResult, Parser};
use crate::ast::*;
use crate::diagnostic::Diagnostic;
use crate::lexer::TokenKind;

/// One `key = value` of a `WITH (…)` clause.
struct WithOption {
    key: String,
    value: String,
    value_expr: Option<Expr>,
    span: Span,
}

impl Parser {
    /// `define …`.
    pub(crate) fn define(&mut self, annotations: Vec<Annotation>) -> PResult<Definition> {
        let start = annotations.first().map_or(self.peek().span, |a| a.span);
        self.expect_kw("define", "")?;
        if self.eat_kw("stream") {
            if self.is_sym("!") {
                return Err(Diagnostic::error(
                    self.peek().span,
                    "fault streams cannot be defined with `define stream`: @OnError(action='STREAM') on the stream \
                     defines its fault stream",
                ));
            }
            let name = self.ident("a stream name")?;
            return self.stream_def(annotations, name, false, start);
        }
        if self.eat_kw("table") {
            let name = self.ident("a table name")?;
            return self.table_def(annotations, name, false, start);
        }
        if self.eat_kw("window") {
            return self.window_def(annotations, start);
        }
        if self.eat_kw("trigger") {
            let name = self.ident("a trigger name")?;
            self.expect_kw("at", "after the trigger name (`at every 5 sec`, `at 'start'`)")?;
            let at = if self.eat_kw("every") {
                TriggerAt::Every(self.expr()?)
            } else {
                match &self.peek().kind {
                    TokenKind::Str(s) if s.eq_ignore_ascii_case("start") => {
                        self.advance();
                        TriggerAt::Start
                    }
                    TokenKind::Str(s) => {
                        let s = s.clone();
                        self.advance();
                        TriggerAt::Cron(s)
                    }
                    _ => return Err(self.unexpected("`every <time>`, `'start'` or a quoted cron expression")),
                }
            };
            return Ok(Definition::Trigger(TriggerDef { annotations, name, at, span: start.to(self.prev_span()) }));
        }
        if self.eat_kw("function") {
            return self.function_def(annotations, start);
        }
        if self.eat_kw("aggregation") {
            let name = self.ident("an aggregation name")?;
            self.expect_kw("from", "after the aggregation name")?;
            let input = self.single_input(false)?;
            self.expect_kw("select", "in the aggregation")?;
            return self.aggregation_rest(annotations, name, input, start);
        }
        Err(self.unexpected("`stream`, `table`, `window`, `aggregation`, `function` or `trigger` after `define`"))
    }

    /// The attribute list of a stream (or source/sink) named `name`, in either spelling.
    fn stream_def(
        &mut self,
        annotations: Vec<Annotation>,
        name: Ident,
        fault: bool,
        start: Span,
    ) -> PResult<Definition> {
        let attributes = self.attribute_list()?;
        Ok(Definition::Stream(StreamDef { annotations, name, fault, attributes, span: start.to(self.prev_span()) }))
    }

    /// The attribute list of a table named `name`, in either spelling.
    fn table_def(
        &mut self,
        annotations: Vec<Annotation>,
        name: Ident,
        global: bool,
        start: Span,
    ) -> PResult<Definition> {
        let attributes = self.attribute_list()?;
        Ok(Definition::Table(TableDef { annotations, name, attributes, global, span: start.to(self.prev_span()) }))
    }

    /// After `define aggregation A from S select`: the selection, `group by`,
    /// `aggregate [by attr] every …`.
    fn aggregation_rest(
        &mut self,
        annotations: Vec<Annotation>,
        name: Ident,
        input: SingleInput,
        start: Span,
    ) -> PResult<Definition> {
        let items = self.select_items()?;
        let mut selector = Selector { items, ..Selector::default() };
        if self.is_kw("group") && self.is_kw_at(1, "by") {
            self.advance();
            self.advance();
            selector.group_by = self.expr_list()?;
        }
        self.aggregation_tail(annotations, name, input, selector, start)
    }

    fn aggregation_tail(
        &mut self,
        annotations: Vec<Annotation>,
        name: Ident,
        input: SingleInput,
        selector: Selector,
        start: Span,
    ) -> PResult<Definition> {
        self.expect_kw("aggregate", "(`aggregate by ts every sec ... year`)")?;
        let aggregate_by = if self.eat_kw("by") { Some(self.expr()?) } else { None };
        self.expect_kw("every", "before the aggregation's durations")?;
        let first = self.duration()?;
        let durations = if self.eat_sym("...") {
            AggregationDurations::Range(first, self.duration()?)
        } else {
            let mut list = vec![first];
            while self.eat_sym(",") {
                list.push(self.duration()?);
            }
            AggregationDurations::List(list)
        };
        Ok(Definition::Aggregation(AggregationDef {
            annotations,
            name,
            input,
            selector,
            aggregate_by,
            durations,
            span: start.to(self.prev_span()),
        }))
    }

    /// A granularity word (`sec`, `minutes`, `year` …).
    fn duration(&mut self) -> PResult<Ident> {
        if super::expr::time_unit_ms(self.peek()).is_none() {
            return Err(self.unexpected("a duration (`sec`, `min`, `hours`, `days`, `months`, `years`)"));
        }
        self.ident("a duration")
    }

    /// `W (attrs) fn(args) [output … events]` after `define window`.
    fn window_def(&mut self, annotations: Vec<Annotation>, start: Span) -> PResult<Definition> {
        let name = self.ident("a window name")?;
        let attributes = self.attribute_list()?;
        self.eat_kw("window");
        let window = self.function_call("the window function (`time(1 min)`, `length(10)`)")?;
        let mut output = None;
        if self.eat_kw("output") {
            output = Some(if self.eat_kw("current") {
                OutputEventType::Current
            } else if self.eat_kw("expired") {
                OutputEventType::Expired
            } else if self.eat_kw("all") {
                OutputEventType::All
            } else {
                return Err(self.unexpected("`current`, `expired` or `all` after `output`"));
            });
            self.expect_kw("events", "after the output event type")?;
        }
        Ok(Definition::Window(WindowDef {
            annotations,
            name,
            attributes,
            window,
            output,
            span: start.to(self.prev_span()),
        }))
    }

    /// `f[lang] return type { body }` (or `AS 'body'`) after `define function` /
    /// `CREATE FUNCTION`.
    fn function_def(&mut self, annotations: Vec<Annotation>, start: Span) -> PResult<Definition> {
        let name = self.ident("a function name")?;
        self.expect_sym("[", "before the script language (`[javascript]`)")?;
        let language = self.ident("a script language")?;
        self.expect_sym("]", "after the script language")?;
        self.expect_kw("return", "and the return type")?;
        let return_type = self.attr_type()?.0;
        // `{ body }`, or Macrometa's `AS 'body'`.
        let quoted = self.eat_kw("as");
        let body = match &self.peek().kind {
            TokenKind::Block(b) if !quoted => b.clone(),
            TokenKind::Str(b) if quoted => b.clone(),
            _ if quoted => return Err(self.unexpected("the function body as a string after `AS`")),
            _ => return Err(self.unexpected("the function body in `{ … }` (or `AS '…'`)")),
        };
        self.advance();
        Ok(Definition::Function(FunctionDef {
            annotations,
            name,
            language,
            return_type,
            body,
            span: start.to(self.prev_span()),
        }))
    }

    /// `(name type, …)`.
    fn attribute_list(&mut self) -> PResult<Vec<AttributeDef>> {
        self.expect_sym("(", "before the attributes")?;
        let mut attributes = Vec::new();
        if !self.is_sym(")") {
            loop {
                let name = self.ident("an attribute name")?;
                let (ty, ty_span) = self.attr_type()?;
                attributes.push(AttributeDef { name, ty, ty_span });
                if !self.eat_sym(",") {
                    break;
                }
            }
        }
        self.expect_sym(")", "after the attributes")?;
        Ok(attributes)
    }

    fn attr_type(&mut self) -> PResult<(AttrType, Span)> {
        let t = self.peek().clone();
        if let TokenKind::Word(w) = &t.kind {
            if let Some(ty) = AttrType::parse(w) {
                self.advance();
                return Ok((ty, t.span));
            }
            return Err(Diagnostic::error(
                t.span,
                format!("unknown type `{w}`; the types are string, int, long, float, double, bool and object"),
            ));
        }
        Err(self.unexpected("an attribute type"))
    }

    // ---- Macrometa's CREATE … --------------------------------------------------------

    /// `CREATE …`, with the query of `CREATE TABLE|STREAM X (…) AS SELECT … FROM …`
    /// (X fed by `INSERT INTO X SELECT … FROM …`).
    pub(crate) fn create(&mut self, annotations: Vec<Annotation>) -> PResult<(Definition, Option<Query>)> {
        let definition = self.create_definition(annotations)?;
        if !self.is_kw("as") || !matches!(definition, Definition::Table(_) | Definition::Stream(_)) {
            return Ok((definition, None));
        }
        let as_span = self.advance().span;
        if !self.is_kw("select") {
            return Err(self.unexpected("SELECT after AS (`CREATE TABLE T (…) AS SELECT … FROM …`)"));
        }
        let target = definition.name().clone();
        if let Definition::Stream(s) = &definition {
            if s.fault {
                return Err(Diagnostic::error(as_span, "a fault stream cannot be fed by `AS SELECT`"));
            }
        }
        let output = OutputAction::Insert { events: None, target, inner: false, fault: false };
        let query = self.select_from(Vec::new(), output, as_span)?;
        Ok((definition, Some(query)))
    }

    /// One `CREATE …` definition.
    fn create_definition(&mut self, mut annotations: Vec<Annotation>) -> PResult<Definition> {
        let start = annotations.first().map_or(self.peek().span, |a| a.span);
        self.expect_kw("create", "")?;
        let shortcut = ["sink", "source"].into_iter().find(|k| self.is_kw(k) && self.is_kw_at(1, "stream"));
        if self.is_kw("stream") || shortcut.is_some() {
            // `CREATE SINK STREAM S` / `CREATE SOURCE STREAM S`: a stream that
            // publishes to (or subscribes to) Macrometa's stream of its own name.
            let shortcut_span = self.peek().span;
            if let Some(kind) = shortcut {
                self.advance();
                let element = AnnotationElement::Property {
                    key: Some("type".into()),
                    value: "stream".into(),
                    span: shortcut_span,
                };
                annotations.push(Annotation { name: kind.into(), elements: vec![element], span: shortcut_span });
            }
            self.advance();
            let fault = shortcut.is_none() && self.eat_sym("!");
            let name = self.ident("a stream name")?;
            if self.is_kw("with") {
                let mut options = self.with_options()?;
                let on_error = on_error_annotation(&mut options);
                if !options.is_empty() || on_error.is_none() {
                    annotations.push(options_to_annotation(
                        "store",
                        options,
                        Span::new(name.span.start, self.prev_span().end),
                    ));
                }
                annotations.extend(on_error);
            }
            return self.stream_def(annotations, name, fault, start);
        }
        if self.is_kw("source") || self.is_kw("sink") {
            let kind = if self.is_kw("source") { "source" } else { "sink" };
            self.advance();
            let name = self.ident(&format!("a {kind} name"))?;
            let with_start = self.peek().span;
            let options = if self.is_kw("with") { self.with_options()? } else { Vec::new() };
            annotations.push(options_to_annotation(kind, options, with_start.to(self.prev_span())));
            return self.stream_def(annotations, name, false, start);
        }
        // `CREATE STORE T WITH (type = 'database', …) (…)`: a table of any collection type.
        let store = self.is_kw("store") && self.is_ident_at(1);
        if self.eat_kw("table") || store {
            if store {
                self.advance();
            }
            let global = !store && self.eat_kw("global");
            if !store && !global && self.is_kw("local") && self.is_ident_at(1) {
                // `CREATE TABLE LOCAL T`: kept in this region only, as every Sluice table is.
                self.advance();
            }
            let name = self.ident(if store { "a store name" } else { "a table name" })?;
            if self.is_kw("with") {
                let with_start = self.peek().span;
                let options = self.with_options()?;
                annotations.push(options_to_annotation("store", options, with_start.to(self.prev_span())));
            }
            let attributes = self.attribute_list()?;
            // `CREATE TABLE T (…) WITH (…) AS SELECT …` writes the options after the attributes.
            if self.is_kw("with") && !annotations.iter().any(|a| a.name == "store") {
                let with_start = self.peek().span;
                let options = self.with_options()?;
                annotations.push(options_to_annotation("store", options, with_start.to(self.prev_span())));
            }
            return Ok(Definition::Table(TableDef {
                annotations,
                name,
                attributes,
                global,
                span: start.to(self.prev_span()),
            }));
        }
        let secondary = self.is_kw("secondary") && self.is_kw_at(1, "index");
        if self.is_kw("index") || (self.is_kw("unique") && self.is_kw_at(1, "index")) || secondary {
            let unique = self.eat_kw("unique");
            if secondary {
                self.advance();
            }
            self.advance();
            let name = self.ident("an index name")?;
            self.expect_kw("on", "and the indexed table (`ON TABLE T (a)`)")?;
            if (self.is_kw("table") || self.is_kw("store")) && self.is_ident_at(1) {
                self.advance();
            }
            let table = self.ident("the indexed table")?;
            let options = if self.is_kw("with") {
                self.with_options()?
                    .into_iter()
                    .map(|o| IndexOption { key: o.key, value: o.value, span: o.span })
                    .collect()
            } else {
                Vec::new()
            };
            self.expect_sym("(", "before the indexed attributes")?;
            let mut attributes = vec![self.ident("an attribute name")?];
            while self.eat_sym(",") {
                attributes.push(self.ident("an attribute name")?);
            }
            self.expect_sym(")", "after the indexed attributes")?;
            return Ok(Definition::Index(IndexDef {
                name,
                unique,
                secondary,
                table,
                options,
                attributes,
                span: start.to(self.prev_span()),
            }));
        }
        if self.eat_kw("window") {
            return self.window_def(annotations, start);
        }
        if self.eat_kw("function") {
            return self.function_def(annotations, start);
        }
        if self.eat_kw("trigger") {
            let name = self.ident("a trigger name")?;
            let options = self.with_options()?;
            let mut at = None;
            for o in options {
                match o.key.to_ascii_lowercase().as_str() {
                    "interval" => {
                        at =
                            Some(TriggerAt::Every(o.value_expr.unwrap_or_else(|| {
                                Expr::new(ExprKind::Literal(Literal::String(o.value.clone())), o.span)
                            })))
                    }
                    "expression" if o.value.eq_ignore_ascii_case("start") => at = Some(TriggerAt::Start),
                    "expression" => at = Some(TriggerAt::Cron(o.value)),
                    other => {
                        return Err(Diagnostic::error(
                            o.span,
                            format!("unknown trigger option `{other}`; use `interval` or `expression`"),
                        ))
                    }
                }
            }
            let span = start.to(self.prev_span());
            let at = at.ok_or_else(|| {
                Diagnostic::error(span, "a trigger needs `interval = <time>` or `expression = 'start' | '<cron>'`")
            })?;
            return Ok(Definition::Trigger(TriggerDef { annotations, name, at, span }));
        }
        if self.eat_kw("aggregation") {
            let name = self.ident("an aggregation name")?;
            if self.is_kw("with") {
                let with_start = self.peek().span;
                let options = self.with_options()?;
                annotations.push(options_to_annotation("store", options, with_start.to(self.prev_span())));
            }
            self.expect_kw("select", "in the aggregation (`CREATE AGGREGATION A SELECT … FROM S …`)")?;
            let items = self.select_items()?;
            self.expect_kw("from", "after the aggregation's selection")?;
            let input = self.single_input(false)?;
            let mut selector = Selector { items, ..Selector::default() };
            if self.is_kw("group") && self.is_kw_at(1, "by") {
                self.advance();
                self.advance();
                selector.group_by = self.expr_list()?;
            }
            return self.aggregation_tail(annotations, name, input, selector, start);
        }
        Err(self.unexpected(
            "STREAM, SOURCE, SINK, TABLE, STORE, INDEX, WINDOW, AGGREGATION, TRIGGER or FUNCTION after CREATE",
        ))
    }

    /// `WITH (key = value, …)`.
    fn with_options(&mut self) -> PResult<Vec<WithOption>> {
        self.expect_kw("with", "")?;
        self.expect_sym("(", "after WITH")?;
        let mut options = Vec::new();
        if !self.is_sym(")") {
            loop {
                let start = self.peek().span;
                let mut key = self.ident("an option name")?.name;
                while self.eat_sym(".") {
                    key.push('.');
                    key.push_str(&self.ident("the rest of the option name")?.name);
                }
                self.expect_sym("=", &format!("after option `{key}`"))?;
                let value_start = self.pos;
                let value_expr = match &self.peek().kind {
                    TokenKind::Number(_) | TokenKind::Sym("-") => Some(self.expr()?),
                    _ => None,
                };
                let value = match &value_expr {
                    Some(_) => self.tokens[value_start..self.pos]
                        .iter()
                        .map(|t| match &t.kind {
                            TokenKind::Number(n) | TokenKind::Word(n) => n.clone(),
                            TokenKind::Sym(s) => s.to_string(),
                            _ => String::new(),
                        })
                        .collect::<Vec<_>>()
                        .join(" ")
                        .replace("- ", "-"),
                    None => self.property_value()?,
                };
                options.push(WithOption { key, value, value_expr, span: start.to(self.prev_span()) });
                if !self.eat_sym(",") {
                    break;
                }
            }
        }
        self.expect_sym(")", "to close WITH (…)")?;
        Ok(options)
    }
}

/// Takes Macrometa's `OnError.action = '…'` out of a stream's `WITH` options as
/// the `@OnError(action = '…')` annotation the classic spelling writes.
fn on_error_annotation(options: &mut Vec<WithOption>) -> Option<Annotation> {
    let at = options.iter().position(|o| o.key.eq_ignore_ascii_case("OnError.action"))?;
    let o = options.remove(at);
    let element = AnnotationElement::Property { key: Some("action".into()), value: o.value, span: o.span };
    Some(Annotation { name: "OnError".into(), elements: vec![element], span: o.span })
}

/// The `name='value'` pairs of a `map.attributes` text (`a='$.x', b="$.y"`),
/// or `None` when it is not such a list. Values are quoted, so they may hold commas.
fn attribute_pairs(text: &str) -> Option<Vec<(String, String)>> {
    let mut out = Vec::new();
    let mut rest = text.trim();
    while !rest.is_empty() {
        let (name, after) = rest.split_once('=')?;
        let name = name.trim();
        if name.is_empty() || !name.chars().all(|c| c.is_alphanumeric() || c == '_') {
            return None;
        }
        let after = after.trim_start();
        let quote = after.chars().next().filter(|c| *c == '\'' || *c == '"')?;
        let close = after[1..].find(quote)? + 1;
        out.push((name.to_string(), after[1..close].to_string()));
        rest = after[close + 1..].trim_start();
        if let Some(next) = rest.strip_prefix(',') {
            rest = next.trim_start();
            if rest.is_empty() {
                return None;
            }
        } else if !rest.is_empty() {
            return None;
        }
    }
    (!out.is_empty()).then_some(out)
}

/// Turns `WITH` options into the annotation the classic spelling writes:
/// `map.type` → `@map(type)`, `map.payload` → `@map(@payload(…))`,
/// `map.attributes.x` → `@map(@attributes(x = …))`, the rest stay on `@kind(…)`.
fn options_to_annotation(kind: &str, options: Vec<WithOption>, span: Span) -> Annotation {
    let mut elements = Vec::new();
    let mut map = Vec::new();
    let mut attributes = Vec::new();
    let mut payload = Vec::new();
    for o in options {
        let lower = o.key.to_ascii_lowercase();
        let property = |key: Option<String>| AnnotationElement::Property { key, value: o.value.clone(), span: o.span };
        if let Some(attr) = lower.strip_prefix("map.attributes.") {
            let _ = attr;
            attributes.push(property(Some(o.key["map.attributes.".len()..].to_string())));
        } else if let Some(pairs) = (lower == "map.attributes").then(|| attribute_pairs(&o.value)).flatten() {
            // `map.attributes = "a='$.x',b='trp:y'"`, as Macrometa's docs write it.
            for (key, value) in pairs {
                attributes.push(AnnotationElement::Property { key: Some(key), value, span: o.span });
            }
        } else if lower == "map.payload" {
            payload.push(property(None));
        } else if lower.starts_with("map.") {
            map.push(property(Some(o.key["map.".len()..].to_string())));
        } else {
            elements.push(property(Some(o.key.clone())));
        }
    }
    if !attributes.is_empty() {
        map.push(AnnotationElement::Nested(Annotation { name: "attributes".into(), elements: attributes, span }));
    }
    if !payload.is_empty() {
        map.push(AnnotationElement::Nested(Annotation { name: "payload".into(), elements: payload, span }));
    }
    if !map.is_empty() {
        elements.push(AnnotationElement::Nested(Annotation { name: "map".into(), elements: map, span }));
    }
    Annotation { name: kind.to_string(), elements, span }
}
