//! Checking one query: its input, selection, rate limiting and output.

use super::expr::{plain_name, Ctx, InputScope, Scope};
use super::stream_functions::{self, tokenizer_output};
use super::Analyzer;
use super::{geo_streams, suggest, windows};
use crate::ast::*;
use crate::logical::*;

impl Analyzer {
    /// Checks query `q` (number `n`, for its default name); `inner` holds the
    /// partition's inner streams when inside a partition.
    pub(crate) fn query(
        &mut self,
        q: &Query,
        n: usize,
        inner: Option<&mut Vec<(String, Schema)>>,
    ) -> Option<QueryPlan> {
        let errors_before = self.diags.iter().filter(|d| d.is_error()).count();
        let name = q.name().map(str::to_string).unwrap_or_else(|| format!("query{n}"));
        let (input, scope) = match &q.input {
            InputStream::Single(s) => {
                let (plan, scope) = self.single_input(s, inner.as_deref(), true)?;
                (InputPlan::Single(plan), scope)
            }
            InputStream::Join(j) => {
                let (plan, scope) = self.join(j, inner.as_deref())?;
                (InputPlan::Join(Box::new(plan)), scope)
            }
            InputStream::State(st) => {
                let (plan, scope) = self.pattern(st, inner.as_deref())?;
                (InputPlan::Pattern(Box::new(plan)), scope)
            }
        };
        let mut input_len: usize = scope.inputs.iter().map(|i| i.schema.len()).sum();
        if scope.join {
            input_len += JOIN_PRESENCE_WIDTH;
        }
        // Select.
        let mut ctx = Ctx::aggregating();
        ctx.input_len = input_len;
        let mut projection = Vec::new();
        match &q.selector.items {
            None => {
                for (i, inp) in scope.inputs.iter().enumerate() {
                    for (p, (n, t)) in inp.schema.attrs.iter().enumerate() {
                        let kind = TypedExprKind::Attribute { input: i, position: p };
                        projection.push((n.clone(), TypedExpr { kind, ty: *t, span: q.span }));
                    }
                }
            }
            Some(items) => {
                for item in items {
                    let te = self.typed(&item.expr, &scope, &mut ctx);
                    let out_name = match (&item.alias, plain_name(&item.expr)) {
                        (Some(a), _) => a.name.clone(),
                        (None, Some(n)) => n,
                        (None, None) => {
                            self.error(item.expr.span, "give this expression a name with `as`");
                            continue;
                        }
                    };
                    projection.push((out_name, te));
                }
            }
        }
        let mut output_schema = Schema::default();
        for (n, e) in &projection {
            if output_schema.find(n).is_some() {
                self.error(q.span, format!("the query outputs two attributes named '{n}'; rename one with `as`"));
            }
            output_schema.attrs.push((n.clone(), e.ty));
        }
        if let InputPlan::Join(j) = &input {
            self.check_keyless_frequent_in_join(j, &projection, q.span);
        }
        let group_by: Vec<TypedExpr> =
            q.selector.group_by.iter().map(|g| self.typed(g, &scope, &mut Ctx::plain())).collect();
        let out_scope =
            Scope { inputs: scope_clone(&scope), current: None, output: Some(output_schema.clone()), join: scope.join };
        let having = q.selector.having.as_ref().map(|h| {
            let t = self.typed(h, &out_scope, &mut ctx);
            if t.ty != AttrType::Bool && !matches!(t.kind, TypedExprKind::Unsupported(_)) {
                self.error(h.span, format!("`having` must be bool, but this is {}", t.ty));
            }
            self.having_reads_output(&t);
            t
        });
        let order_by: Vec<(TypedExpr, bool)> = q
            .selector
            .order_by
            .iter()
            .map(|o| (self.typed(&o.expr, &out_scope, &mut Ctx::plain()), o.descending))
            .collect();
        let limit = q.selector.limit.as_ref().and_then(|e| self.count_constant(e, "limit"));
        let offset = q.selector.offset.as_ref().and_then(|e| self.count_constant(e, "offset"));
        let output_rate = q.output_rate.as_ref().and_then(|r| self.output_rate(r));
        let aggregates = ctx.aggregates.take().unwrap_or_default();
        let output = self.output(q, &output_schema, &scope, inner);
        let errors_after = self.diags.iter().filter(|d| d.is_error()).count();
        if errors_after > errors_before {
            return None;
        }
        Some(QueryPlan {
            name,
            input,
            projection,
            aggregates,
            group_by,
            having,
            order_by,
            limit,
            offset,
            output_rate,
            output: output?,
            output_schema,
            span: q.span,
        })
    }

    fn count_constant(&mut self, e: &Expr, what: &str) -> Option<u64> {
        match &e.kind {
            ExprKind::Literal(Literal::Int(v)) if *v >= 0 => Some(*v as u64),
            ExprKind::Literal(Literal::Long(v)) if *v >= 0 => Some(*v as u64),
            _ => {
                self.error(e.span, format!("{what} must be a constant that is not negative"));
                None
            }
        }
    }

    fn time_constant(&mut self, e: &Expr, what: &str) -> Option<i64> {
        match &e.kind {
            ExprKind::Literal(Literal::Time(v) | Literal::Long(v)) if *v > 0 => Some(*v),
            ExprKind::Literal(Literal::Int(v)) if *v > 0 => Some(*v as i64),
            _ => {
                self.error(e.span, format!("{what} must be a positive time such as `5 sec`"));
                None
            }
        }
    }

    fn output_rate(&mut self, r: &OutputRate) -> Option<OutputRatePlan> {
        Some(match r {
            OutputRate::Events { which, count, .. } => OutputRatePlan::Events { which: *which, count: *count },
            OutputRate::Time { which, period, .. } => {
                OutputRatePlan::Time { which: *which, period_ms: self.time_constant(period, "the output period")? }
            }
            OutputRate::Snapshot { period, .. } => {
                OutputRatePlan::Snapshot { period_ms: self.time_constant(period, "the snapshot period")? }
            }
        })
    }

    /// Resolves a single input and checks its handlers.
    fn single_input(
        &mut self,
        s: &SingleInput,
        inner: Option<&Vec<(String, Schema)>>,
        allow_window: bool,
    ) -> Option<(SingleInputPlan, Scope)> {
        let (kind, schema) = if s.inner {
            match inner.and_then(|v| v.iter().find(|(n, _)| *n == s.stream.name)) {
                Some((_, schema)) => (EntryKind::Stream, schema.clone()),
                None => {
                    self.error(
                        s.stream.span,
                        format!("inner stream '#{}' is not defined in this partition", s.stream.name),
                    );
                    return None;
                }
            }
        } else {
            let looked_up = if s.fault { format!("!{}", s.stream.name) } else { s.stream.name.clone() };
            match self.catalog.get(&looked_up) {
                Some(e) => (e.kind, e.schema.clone()),
                None if s.fault && self.catalog.get(&s.stream.name).is_some() => {
                    self.error(
                        s.span,
                        format!(
                            "fault stream '!{0}' is not defined: stream '{0}' needs @OnError(action='STREAM')",
                            s.stream.name
                        ),
                    );
                    return None;
                }
                None => {
                    let hint =
                        suggest::did_you_mean(&s.stream.name, self.catalog.entries.iter().map(|e| e.name.as_str()));
                    self.error(s.stream.span, format!("stream '{}' is not defined{hint}", s.stream.name));
                    return None;
                }
            }
        };
        let mut schema = schema;
        let mut scope = Scope::single(&s.stream.name, s.alias.as_ref().map(|a| a.name.as_str()), &schema);
        let mut handlers = Vec::new();
        let mut windows_seen = 0;
        for h in &s.handlers {
            match h {
                StreamHandler::Filter(f) => handlers.push(HandlerPlan::Filter(self.condition(f, &scope))),
                StreamHandler::Within { range, per, span } => {
                    if kind != EntryKind::Aggregation || !self.on_demand {
                        self.error(*span, "`within … per …` reads an aggregation");
                    }
                    let range: Vec<TypedExpr> =
                        range.iter().map(|e| self.typed(e, &scope, &mut Ctx::plain())).collect();
                    let per = self.typed(per, &scope, &mut Ctx::plain());
                    self.check_within(&range, &per, *span);
                    handlers.push(HandlerPlan::Within { range, per });
                }
                StreamHandler::Window(w) if stream_functions::is_stream_processor(&w.qualified_name()) => {
                    // Macrometa writes `WINDOW unique:deduplicate(…)`: a stream processor.
                    let (name, args) = (w.qualified_name(), self.typed_args(w, &scope));
                    self.check_stream_processor(w, &name, &args);
                    handlers.push(HandlerPlan::StreamFunction { name, args });
                }
                StreamHandler::Window(w) => {
                    windows_seen += 1;
                    if !allow_window {
                        self.error(w.span, "a window is not allowed here");
                    } else if kind == EntryKind::Window {
                        self.error(
                            w.span,
                            format!("'{}' is a named window; it cannot take another window", s.stream.name),
                        );
                    } else if windows_seen > 1 {
                        self.error(w.span, "an input takes at most one window");
                    }
                    if let Some((name, args)) = self.window_call(w, &scope) {
                        handlers.push(HandlerPlan::Window { name, args });
                    }
                }
                StreamHandler::Function(f) => {
                    let name = f.qualified_name();
                    let args: Vec<TypedExpr> =
                        f.args.iter().map(|a| self.typed(a, &scope, &mut Ctx::plain())).collect();
                    if name == "log" {
                        self.check_log(f, &args);
                    } else if name == "pol2cart" {
                        // pol2Cart(theta, rho[, elevation]) adds x, y[, z].
                        let n = if f.args.len() == 1 && matches!(f.args[0].kind, ExprKind::Attribute { .. }) {
                            2
                        } else {
                            f.args.len()
                        };
                        if !(2..=3).contains(&n) && !f.args.is_empty() {
                            self.error(f.span, "pol2Cart takes (theta, rho[, elevation])");
                        }
                        for axis in ["x", "y", "z"].iter().take(n.max(2)) {
                            schema.attrs.push((axis.to_string(), AttrType::Double));
                        }
                        scope = Scope::single(&s.stream.name, s.alias.as_ref().map(|a| a.name.as_str()), &schema);
                    } else if let Some(checked) =
                        geo_streams::geo_stream_output(&name, &args.iter().map(|a| a.ty).collect::<Vec<_>>())
                    {
                        let (added, wrong) = checked;
                        if let Some(m) = wrong {
                            self.error(f.span, m);
                        }
                        schema.attrs.extend(added.into_iter().map(|(a, t)| (a.to_string(), t)));
                        scope = Scope::single(&s.stream.name, s.alias.as_ref().map(|a| a.name.as_str()), &schema);
                    } else if stream_functions::is_stream_processor(&name) {
                        self.check_stream_processor(f, &name, &args);
                    } else if let Some(added) = tokenizer_output(&name) {
                        self.check_tokenizer(f, &name, &args);
                        schema.attrs.extend(added.iter().map(|(attr, ty)| (attr.to_string(), *ty)));
                        scope = Scope::single(&s.stream.name, s.alias.as_ref().map(|a| a.name.as_str()), &schema);
                    } else {
                        self.error(f.span, format!("stream function '{name}' is not defined"));
                    }
                    handlers.push(HandlerPlan::StreamFunction { name, args });
                }
            }
        }
        if kind == EntryKind::Table && allow_window && !self.on_demand {
            // Tables are read by joins and on-demand queries, not as a query's stream.
            self.error(
                s.stream.span,
                format!("'{}' is a table; a query can read it only in a join (or an on-demand query)", s.stream.name),
            );
        }
        if kind == EntryKind::Aggregation
            && self.on_demand
            && !handlers.iter().any(|h| matches!(h, HandlerPlan::Within { .. }))
        {
            self.error(s.stream.span, format!("reading aggregation '{}' needs `within … per …`", s.stream.name));
        }
        if kind == EntryKind::Aggregation && allow_window && !self.on_demand {
            self.error(
                s.stream.span,
                format!("'{}' is an aggregation; read it with a join `… within … per …`", s.stream.name),
            );
        }
        // Inner streams are named `#S` in the plan, apart from app streams.
        let name = match (s.inner, s.fault) {
            (true, _) => format!("#{}", s.stream.name),
            (_, true) => format!("!{}", s.stream.name),
            _ => s.stream.name.clone(),
        };
        Some((SingleInputPlan { name, kind, schema, handlers }, scope))
    }

    /// The arguments of `f`, typed over `scope`.
    fn typed_args(&mut self, f: &FunctionCall, scope: &Scope) -> Vec<TypedExpr> {
        f.args.iter().map(|a| self.typed(a, scope, &mut Ctx::plain())).collect()
    }

    /// Checks a window call; returns its classic name and typed arguments.
    pub(crate) fn window_call(&mut self, w: &FunctionCall, scope: &Scope) -> Option<(String, Vec<TypedExpr>)> {
        let written = w.qualified_name();
        let Some(name) = windows::classic_name(&written) else {
            let shown = match &w.namespace {
                Some(ns) => format!("{}:{}", ns.name, w.name.name),
                None => w.name.name.clone(),
            };
            let hint = suggest::did_you_mean(&shown, windows::WINDOW_NAMES.iter().copied());
            self.error(w.span, format!("'{shown}' is not a window{hint}"));
            return None;
        };
        let typed: Vec<TypedExpr> = w.args.iter().map(|a| self.typed(a, scope, &mut Ctx::plain())).collect();
        let args: Vec<windows::Arg<'_>> =
            w.args.iter().zip(&typed).map(|(expr, t)| windows::Arg { expr, ty: t.ty }).collect();
        if let Err((i, m)) = windows::check(name, &args) {
            let span = w.args.get(i).map_or(w.span, |a| a.span);
            self.error(span, m);
            return None;
        }
        if name == "expression" || name == "expressionBatch" {
            // The condition is text: parse and type it as the engine will.
            if let (Some(a), Some(input)) = (w.args.first(), scope.inputs.first()) {
                if let ExprKind::Literal(Literal::String(text)) = &a.kind {
                    let checked =
                        super::window_condition::window_condition(text, &input.name, &input.schema, self.functions);
                    if let Err(m) = checked {
                        self.error(a.span, m);
                        return None;
                    }
                }
            }
        }
        Some((name.to_string(), typed))
    }

    fn join(&mut self, j: &JoinInput, inner: Option<&Vec<(String, Schema)>>) -> Option<(JoinPlan, Scope)> {
        let (mut lp, mut ls) = self.single_input_for_join(&j.left, inner)?;
        let (rp, rs) = self.single_input_for_join(&j.right, inner)?;
        let right_is_aggregation = rp.kind == EntryKind::Aggregation;
        if right_is_aggregation && lp.kind == EntryKind::Stream {
            // The reference adds the range read to the stream side's event
            // (`select *` lists them).
            for extra in ["_START", "_END"] {
                lp.schema.attrs.push((extra.to_string(), AttrType::Long));
                if let Some(input) = ls.inputs.first_mut() {
                    input.schema.attrs.push((extra.to_string(), AttrType::Long));
                }
            }
        }
        let mut inputs = ls.inputs;
        inputs.extend(rs.inputs);
        if inputs.len() == 2
            && inputs[0].alias.is_none()
            && inputs[1].alias.is_none()
            && inputs[0].name == inputs[1].name
        {
            self.error(j.right.span, "joining a stream with itself needs an alias on each side (`as a`, `as b`)");
        }
        let scope = Scope { inputs, current: None, output: None, join: true };
        let on = j.on.as_ref().map(|on| self.condition(on, &scope));
        if !j.within.is_empty() && !right_is_aggregation {
            if lp.kind == EntryKind::Aggregation {
                self.not_built(j.span, "a join with the aggregation on the left (write it on the right)");
            } else {
                self.error(j.span, "`within … per …` applies to joins with an aggregation");
            }
        }
        if right_is_aggregation && (j.within.is_empty() || j.per.is_none()) {
            self.error(j.span, "a join with an aggregation needs `within … per …`");
        }
        let within: Vec<TypedExpr> = j.within.iter().map(|e| self.typed(e, &scope, &mut Ctx::plain())).collect();
        let per = j.per.as_ref().map(|p| self.typed(p, &scope, &mut Ctx::plain()));
        if let Some(p) = &per {
            self.check_within(&within, p, j.span);
        }
        let plan = JoinPlan {
            left: lp,
            right: rp,
            kind: j.kind,
            unidirectional: j.unidirectional,
            on,
            aggregation: !j.within.is_empty(),
            within,
            per,
        };
        Some((plan, scope))
    }

    /// Checks the types of `within start[, end] per duration`.
    fn check_within(&mut self, range: &[TypedExpr], per: &TypedExpr, span: Span) {
        match range {
            [one] if one.ty != AttrType::String => {
                self.error(one.span, "a single `within` value is a pattern string such as '2017-06-** **:**:**'")
            }
            [_] => {}
            [start, end] => {
                for e in [start, end] {
                    if e.ty != AttrType::Long && e.ty != AttrType::String {
                        self.error(e.span, format!("`within` takes a long or a string, found {}", e.ty));
                    }
                }
            }
            _ => self.error(span, "`within` takes a start and an end, or one pattern string"),
        }
        if per.ty != AttrType::String {
            self.error(per.span, format!("`per` takes a string such as 'hours', found {}", per.ty));
        }
        if let TypedExprKind::Literal(Literal::String(word)) = &per.kind {
            if super::granularity(word).is_none() {
                self.error(
                    per.span,
                    format!("per '{word}' is not one of seconds, minutes, hours, days, months, years"),
                );
            }
        }
    }

    fn single_input_for_join(
        &mut self,
        s: &SingleInput,
        inner: Option<&Vec<(String, Schema)>>,
    ) -> Option<(SingleInputPlan, Scope)> {
        // Tables, windows and aggregations may be joined.
        let entry = if s.inner || s.fault { None } else { self.catalog.get(&s.stream.name).cloned() };
        if let Some(e) = &entry {
            if e.kind != EntryKind::Stream {
                let scope = Scope::single(&s.stream.name, s.alias.as_ref().map(|a| a.name.as_str()), &e.schema);
                for h in &s.handlers {
                    match h {
                        StreamHandler::Filter(f) => {
                            self.condition(f, &scope);
                        }
                        StreamHandler::Window(w) if e.kind == EntryKind::Window => {
                            self.error(
                                w.span,
                                format!("'{}' is a named window; it cannot take another window", s.stream.name),
                            );
                        }
                        StreamHandler::Window(w) => {
                            self.window_call(w, &scope);
                        }
                        StreamHandler::Function(_) => {}
                        StreamHandler::Within { span, .. } => {
                            self.error(*span, "`within … per …` follows the join's `on` condition")
                        }
                    }
                }
                let plan = SingleInputPlan {
                    name: e.name.clone(),
                    kind: e.kind,
                    schema: e.schema.clone(),
                    handlers: Vec::new(),
                };
                return Some((plan, scope));
            }
        }
        self.single_input(s, inner, true)
    }

    /// Checks a pattern or sequence; the scope has one input per event alias (or
    /// stream) in order of appearance.
    fn pattern(&mut self, st: &StateInput, inner: Option<&Vec<(String, Schema)>>) -> Option<(PatternPlan, Scope)> {
        let mut scope = Scope { inputs: Vec::new(), current: None, output: None, join: false };
        let mut events = Vec::new();
        let state = self.state_element(&st.element, &mut scope, &mut events, inner)?;
        Some((PatternPlan { kind: st.kind, events, state }, scope))
    }

    fn state_element(
        &mut self,
        e: &StateElement,
        scope: &mut Scope,
        events: &mut Vec<PatternEventPlan>,
        inner: Option<&Vec<(String, Schema)>>,
    ) -> Option<StatePlan> {
        Some(match e {
            StateElement::Stream(s) => StatePlan::Stream(self.state_stream(s, scope, events, inner)?),
            StateElement::Absent { stream, for_time } => {
                let i = self.state_stream(stream, scope, events, inner)?;
                let ms = for_time.as_ref().and_then(|t| self.time_constant(t, "`for`"));
                StatePlan::Absent(i, ms)
            }
            StateElement::Logical { op, left, right } => {
                let l = self.state_element(left, scope, events, inner);
                let r = self.state_element(right, scope, events, inner);
                StatePlan::Logical(*op, Box::new(l?), Box::new(r?))
            }
            StateElement::Count { stream, min, max, .. } => {
                let event = self.state_stream(stream, scope, events, inner)?;
                if let Some(input) = scope.inputs.last_mut() {
                    input.counted = true;
                }
                StatePlan::Count(event, *min, *max)
            }
            StateElement::Next(a, b) => {
                let a = self.state_element(a, scope, events, inner);
                let b = self.state_element(b, scope, events, inner);
                StatePlan::Next(Box::new(a?), Box::new(b?))
            }
            StateElement::Every(x) => StatePlan::Every(Box::new(self.state_element(x, scope, events, inner)?)),
            StateElement::Within(x, t) => {
                let x = self.state_element(x, scope, events, inner);
                let ms = self.time_constant(t, "`within`");
                StatePlan::Within(Box::new(x?), ms.unwrap_or(0))
            }
        })
    }

    fn state_stream(
        &mut self,
        s: &StateStream,
        scope: &mut Scope,
        events: &mut Vec<PatternEventPlan>,
        inner: Option<&Vec<(String, Schema)>>,
    ) -> Option<usize> {
        let prefix = if s.input.fault { "!" } else { "" };
        let schema = if s.input.inner {
            inner.and_then(|v| v.iter().find(|(n, _)| *n == s.input.stream.name)).map(|(_, sc)| sc.clone())
        } else {
            self.catalog.get(&format!("{prefix}{}", s.input.stream.name)).map(|e| e.schema.clone())
        };
        let Some(schema) = schema else {
            self.error(s.input.stream.span, format!("stream '{prefix}{}' is not defined", s.input.stream.name));
            return None;
        };
        let name = s.alias.as_ref().map_or(s.input.stream.name.clone(), |a| a.name.clone());
        scope.inputs.push(InputScope { name, alias: None, schema: schema.clone(), indexable: true, counted: false });
        let current = scope.inputs.len() - 1;
        scope.current = Some(current);
        let mut filters = Vec::new();
        for h in &s.input.handlers {
            match h {
                StreamHandler::Filter(f) => filters.push(self.condition(f, scope)),
                StreamHandler::Window(w) => self.error(w.span, "a pattern's streams cannot have windows"),
                StreamHandler::Within { span, .. } => self.error(*span, "`within … per …` reads an aggregation"),
                StreamHandler::Function(_) => {}
            }
        }
        scope.current = None;
        let stream = if s.input.inner {
            format!("#{}", s.input.stream.name)
        } else {
            format!("{prefix}{}", s.input.stream.name)
        };
        events.push(PatternEventPlan { stream, schema, filters });
        Some(current)
    }

    /// Checks the output clause against the target's schema, creating implicit
    /// streams.
    fn output(
        &mut self,
        q: &Query,
        schema: &Schema,
        scope: &Scope,
        inner: Option<&mut Vec<(String, Schema)>>,
    ) -> Option<OutputPlan> {
        // `output snapshot` works on current and expired events alike: the
        // reference makes its default `all events` and refuses anything else.
        let snapshot = match &q.output_rate {
            Some(OutputRate::Snapshot { span, .. }) => Some(*span),
            _ => None,
        };
        if let Some(span) = snapshot {
            let explicit = match &q.output {
                OutputAction::Insert { events, .. }
                | OutputAction::Return { events }
                | OutputAction::Delete { events, .. }
                | OutputAction::Update { events, .. }
                | OutputAction::UpdateOrInsert { events, .. } => *events,
            };
            if let Some(e @ (OutputEventType::Current | OutputEventType::Expired)) = explicit {
                let which = if e == OutputEventType::Current { "current" } else { "expired" };
                self.error(
                    span,
                    format!("a query with `output snapshot` outputs all events; `{which} events` cannot be chosen"),
                );
            }
        }
        let default = if snapshot.is_some() { OutputEventType::All } else { OutputEventType::Current };
        let events_of = |e: &Option<OutputEventType>| e.unwrap_or(default);
        match &q.output {
            OutputAction::Insert { events, target, inner: is_inner, fault } => {
                if *is_inner {
                    let Some(inner) = inner else {
                        self.error(target.span, "inner streams (`#S`) exist only inside a partition");
                        return None;
                    };
                    match inner.iter().find(|(n, _)| *n == target.name) {
                        Some((_, existing)) => self.same_schema(target, existing, schema),
                        None => inner.push((target.name.clone(), schema.clone())),
                    }
                    return Some(OutputPlan::Insert {
                        target: format!("#{}", target.name),
                        kind: EntryKind::Stream,
                        events: events_of(events),
                    });
                }
                if *fault {
                    self.not_built(target.span, format!("fault stream '!{}'", target.name));
                    return Some(OutputPlan::Insert {
                        target: format!("!{}", target.name),
                        kind: EntryKind::Stream,
                        events: events_of(events),
                    });
                }
                let kind = match self.catalog.get(&target.name).cloned() {
                    Some(existing) => {
                        if existing.kind == EntryKind::Aggregation {
                            self.error(
                                target.span,
                                format!("'{}' is an aggregation; it cannot be inserted into", target.name),
                            );
                            return None;
                        }
                        self.same_schema(target, &existing.schema, schema);
                        existing.kind
                    }
                    None => {
                        self.define(target, EntryKind::Stream, schema.clone(), false);
                        EntryKind::Stream
                    }
                };
                Some(OutputPlan::Insert { target: target.name.clone(), kind, events: events_of(events) })
            }
            OutputAction::Return { events } => Some(OutputPlan::Return { events: events_of(events) }),
            OutputAction::Delete { events, table, on } => {
                let (_, on) = self.table_condition(table, on, schema)?;
                Some(OutputPlan::TableAction {
                    table: table.name.clone(),
                    events: events_of(events),
                    action: TableActionKind::Delete,
                    on,
                    set: Vec::new(),
                })
            }
            OutputAction::Update { events, table, set, on }
            | OutputAction::UpdateOrInsert { events, table, set, on } => {
                let (tschema, on) = self.table_condition(table, on, schema)?;
                if matches!(q.output, OutputAction::UpdateOrInsert { .. }) && tschema.types() != schema.types() {
                    self.error(
                        table.span,
                        format!(
                            "update or insert into '{}' inserts the query's output {} into a table of {}",
                            table.name,
                            schema.describe(),
                            tschema.describe()
                        ),
                    );
                }
                let both = Scope {
                    inputs: vec![
                        InputScope {
                            name: String::new(),
                            alias: Some("\u{0}output".into()),
                            schema: schema.clone(),
                            indexable: false,
                            counted: false,
                        },
                        InputScope {
                            name: table.name.clone(),
                            alias: None,
                            schema: tschema,
                            indexable: false,
                            counted: false,
                        },
                    ],
                    current: Some(0),
                    output: None,
                    join: false,
                };
                let mut assignments = Vec::new();
                for a in set {
                    let target =
                        self.typed(&a.target, &Scope { current: Some(1), ..scope_with(&both) }, &mut Ctx::plain());
                    let value = self.typed(&a.value, &both, &mut Ctx::plain());
                    match &target.kind {
                        TypedExprKind::Attribute { input: 1, position } => assignments.push((*position, value.clone())),
                        _ => self.error(a.target.span, format!("`set` assigns attributes of table '{}'", table.name)),
                    }
                    if target.ty != value.ty
                        && !(target.ty.is_numeric() && value.ty.is_numeric())
                        && target.ty != AttrType::Object
                    {
                        self.error(a.value.span, format!("cannot set a {} attribute to a {}", target.ty, value.ty));
                    }
                }
                let _ = scope;
                if set.is_empty() {
                    // Without `set`, every table attribute the output also has (by name) is set.
                    for (position, (name, _)) in both.inputs[1].schema.attrs.iter().enumerate() {
                        if let Some((i, ty)) = schema.find(name) {
                            let value = TypedExpr {
                                kind: TypedExprKind::Attribute { input: 0, position: i },
                                ty,
                                span: table.span,
                            };
                            assignments.push((position, value));
                        }
                    }
                }
                let action = if matches!(q.output, OutputAction::UpdateOrInsert { .. }) {
                    TableActionKind::UpdateOrInsert
                } else {
                    TableActionKind::Update
                };
                Some(OutputPlan::TableAction {
                    table: table.name.clone(),
                    events: events_of(events),
                    action,
                    on,
                    set: assignments,
                })
            }
        }
    }

    /// Checks `on` of delete/update against the table and the query output.
    fn table_condition(&mut self, table: &Ident, on: &Expr, schema: &Schema) -> Option<(Schema, TypedExpr)> {
        let tschema = match self.catalog.get(&table.name) {
            Some(e) if e.kind == EntryKind::Table => e.schema.clone(),
            _ => {
                self.error(table.span, format!("'{}' is not a defined table", table.name));
                return None;
            }
        };
        let scope = Scope {
            inputs: vec![
                InputScope {
                    name: String::new(),
                    alias: Some("\u{0}output".into()),
                    schema: schema.clone(),
                    indexable: false,
                    counted: false,
                },
                InputScope {
                    name: table.name.clone(),
                    alias: None,
                    schema: tschema.clone(),
                    indexable: false,
                    counted: false,
                },
            ],
            current: Some(0),
            output: None,
            join: false,
        };
        let on = self.condition(on, &scope);
        Some((tschema, on))
    }

    /// An `insert into` must match the target's attribute types in order.
    fn same_schema(&mut self, target: &Ident, existing: &Schema, produced: &Schema) {
        let types_match = existing.len() == produced.len() && existing.types() == produced.types();
        if !types_match {
            self.error(
                target.span,
                format!("'{}' is {} but the query produces {}", target.name, existing.describe(), produced.describe()),
            );
        }
    }
}

fn scope_clone(s: &Scope) -> Vec<InputScope> {
    s.inputs
        .iter()
        .map(|i| InputScope {
            name: i.name.clone(),
            alias: i.alias.clone(),
            schema: i.schema.clone(),
            indexable: i.indexable,
            counted: i.counted,
        })
        .collect()
}

fn scope_with(s: &Scope) -> Scope {
    Scope { inputs: scope_clone(s), current: s.current, output: s.output.clone(), join: s.join }
}
