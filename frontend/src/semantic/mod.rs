//! Semantic analysis: builds the catalog of an app, resolves and types every
//! expression, checks what users get wrong (undefined names, wrong arity, type
//! mismatches, duplicate definitions, conflicting `insert into` schemas, bad
//! window parameters …) and produces the typed [`logical`](crate::logical) plan.
//!
//! Errors are collected, not thrown: one run reports every mistake it can find,
//! each at the span of the offending node.

mod aggregation;
mod expr;
mod faults;
pub mod functions;
mod geo_streams;
pub mod io;
mod purge;
mod query;
mod sink_plan;
mod stream_functions;
mod suggest;
pub mod window_condition;
pub mod windows;

pub use aggregation::granularity;

use crate::ast::*;
use crate::diagnostic::Diagnostic;
use crate::logical::*;

/// Checks `app` with the core functions only; see [`analyze_with`].
pub fn analyze(app: &App) -> Result<AppPlan, Vec<Diagnostic>> {
    analyze_with(app, None)
}

/// Checks `app` and returns its plan, or every error found (warnings ride along
/// in the plan). `functions` adds the engine's function library (`str:`, `math:` …)
/// to the core functions.
pub fn analyze_with(app: &App, functions: Option<functions::FunctionLookup>) -> Result<AppPlan, Vec<Diagnostic>> {
    let mut a = Analyzer::new(Catalog::default(), functions, false);
    a.definitions(app);
    let mut queries = Vec::new();
    let mut partitions = Vec::new();
    // Queries may read streams that later queries create with `insert into`:
    // analyse those later queries first by deferring, up to a fixed point.
    let mut pending: Vec<(usize, &Element)> =
        app.elements.iter().enumerate().filter(|(_, e)| !matches!(e, Element::Definition(_))).collect();
    let mut results: Vec<(usize, Option<QueryPlan>, Option<PartitionPlan>)> = Vec::new();
    let mut numbers = std::collections::HashMap::new();
    for (i, _) in &pending {
        a.query_count += 1;
        numbers.insert(*i, a.query_count);
    }
    loop {
        let before = pending.len();
        let mut still = Vec::new();
        for (i, element) in pending {
            let deferrable = before > 0;
            match element {
                Element::Query(q) => {
                    if deferrable && a.reads_unknown_stream(q) {
                        still.push((i, element));
                        continue;
                    }
                    results.push((i, a.query(q, numbers[&i], None), None));
                }
                Element::Partition(p) => {
                    if deferrable
                        && p.queries.iter().any(|q| a.reads_unknown_stream(q))
                        && !p.queries.iter().any(query_reads_inner)
                    {
                        still.push((i, element));
                        continue;
                    }
                    results.push((i, None, Some(a.partition(p))));
                }
                Element::Definition(_) => {}
            }
        }
        if still.is_empty() {
            break;
        }
        if still.len() == before {
            // No progress: analyse the rest in order so their errors are reported.
            for (i, element) in still {
                match element {
                    Element::Query(q) => results.push((i, a.query(q, numbers[&i], None), None)),
                    Element::Partition(p) => results.push((i, None, Some(a.partition(p)))),
                    Element::Definition(_) => {}
                }
            }
            break;
        }
        pending = still;
    }
    results.sort_by_key(|r| r.0);
    for (_, q, p) in results {
        if let Some(q) = q {
            queries.push(q);
        }
        if let Some(p) = p {
            partitions.push(p);
        }
    }
    a.check_fault_streams(app, &queries, &partitions);
    let errors: Vec<Diagnostic> = a.diags.iter().filter(|d| d.is_error()).cloned().collect();
    if !errors.is_empty() {
        return Err(errors);
    }
    let name = find_annotation(&app.annotations, "app:name")
        .and_then(|an| an.positional().first().map(|s| s.to_string()))
        .unwrap_or_else(|| "SluiceApp".to_string());
    let playback = find_annotation(&app.annotations, "app:playback").is_some();
    Ok(AppPlan {
        name,
        playback,
        heartbeat: a.heartbeat,
        catalog: a.catalog,
        tables: a.tables,
        windows: a.windows,
        aggregations: a.aggregations,
        queries,
        partitions,
        triggers: a.triggers,
        sources: a.sources,
        sinks: a.sinks,
        warnings: a.diags,
    })
}

/// Checks an on-demand query (from [`crate::parser::parse_on_demand`]) against a
/// running app's plan: it reads one table or named window and returns rows, or
/// deletes, updates or upserts rows of a table.
pub fn analyze_on_demand(
    plan: &AppPlan,
    q: &Query,
    functions: Option<functions::FunctionLookup>,
) -> Result<QueryPlan, Vec<Diagnostic>> {
    let mut a = Analyzer::new(plan.catalog.clone(), functions, true);
    let source = match &q.input {
        InputStream::Single(s) => Some(s),
        _ => None,
    };
    if let Some(s) = source.filter(|s| s.stream.name == crate::logical::UNIT_RELATION) {
        // A write without `from` reads one event with no attributes.
        if matches!(q.output, OutputAction::Return { .. }) {
            a.error(q.span, "an on-demand query without `from` must write to a table (insert, update or delete)");
        }
        a.catalog.entries.push(crate::logical::Entry {
            name: s.stream.name.clone(),
            kind: EntryKind::Table,
            schema: Default::default(),
            span: s.span,
            declared: true,
        });
    }
    match source.and_then(|s| a.catalog.get(&s.stream.name).map(|e| (s, e.kind))) {
        Some((_, EntryKind::Table | EntryKind::Window | EntryKind::Aggregation)) => {}
        Some((s, _)) => {
            a.error(s.stream.span, format!("'{}' is not a table, named window or aggregation", s.stream.name))
        }
        None => {
            if let Some(s) = source {
                a.error(s.stream.span, format!("'{}' is not defined", s.stream.name));
            } else {
                a.error(q.span, "an on-demand query reads one table or named window");
            }
        }
    }
    if let OutputAction::Insert { target, .. } = &q.output {
        if a.catalog.get(&target.name).is_none_or(|e| e.kind != EntryKind::Table) {
            a.error(target.span, "an on-demand query can insert into a table only");
        }
    }
    let errors: Vec<Diagnostic> = a.diags.iter().filter(|d| d.is_error()).cloned().collect();
    if !errors.is_empty() {
        return Err(errors);
    }
    let plan = a.query(q, 1, None);
    let errors: Vec<Diagnostic> = a.diags.into_iter().filter(|d| d.is_error()).collect();
    match plan {
        Some(p) if errors.is_empty() => Ok(p),
        _ => Err(errors),
    }
}

fn query_reads_inner(q: &Query) -> bool {
    match &q.input {
        InputStream::Single(s) => s.inner,
        _ => false,
    }
}

/// The analysis state.
pub(crate) struct Analyzer {
    pub(crate) catalog: Catalog,
    tables: Vec<TablePlan>,
    windows: Vec<NamedWindowPlan>,
    aggregations: Vec<AggregationPlan>,
    pub(crate) diags: Vec<Diagnostic>,
    query_count: usize,
    pub(crate) functions: Option<functions::FunctionLookup>,
    /// Checking an on-demand query: tables may be read directly.
    pub(crate) on_demand: bool,
    /// The playback heartbeat, if `@app:playback` asks for one.
    heartbeat: Option<Heartbeat>,
    /// The triggers, in definition order.
    triggers: Vec<TriggerPlan>,
    /// The sources, in definition order.
    sources: Vec<SourcePlan>,
    /// The sinks, in definition order.
    sinks: Vec<SinkPlan>,
}

impl Analyzer {
    /// An analyzer over `catalog`; `on_demand` lets queries read tables directly.
    fn new(catalog: Catalog, functions: Option<functions::FunctionLookup>, on_demand: bool) -> Analyzer {
        Analyzer {
            catalog,
            tables: Vec::new(),
            windows: Vec::new(),
            aggregations: Vec::new(),
            diags: Vec::new(),
            query_count: 0,
            functions,
            on_demand,
            heartbeat: None,
            triggers: Vec::new(),
            sources: Vec::new(),
            sinks: Vec::new(),
        }
    }

    pub(crate) fn error(&mut self, span: Span, message: impl Into<String>) {
        self.diags.push(Diagnostic::error(span, message));
    }

    /// Refuses something valid in the language that Sluice does not run yet.
    pub(crate) fn not_built(&mut self, span: Span, message: impl Into<String>) {
        self.diags.push(Diagnostic::not_built(span, message));
    }

    fn warn(&mut self, span: Span, message: impl Into<String>) {
        self.diags.push(Diagnostic::warning(span, message));
    }

    /// Registers a named relation, refusing a second definition of the name.
    pub(crate) fn define(&mut self, name: &Ident, kind: EntryKind, schema: Schema, declared: bool) {
        if let Some(prev) = self.catalog.get(&name.name) {
            let what = match prev.kind {
                EntryKind::Stream => "stream",
                EntryKind::Table => "table",
                EntryKind::Window => "window",
                EntryKind::Aggregation => "aggregation",
            };
            self.error(name.span, format!("'{}' is already defined as a {what}", name.name));
            return;
        }
        self.catalog.entries.push(Entry { name: name.name.clone(), kind, schema, span: name.span, declared });
    }

    fn schema_of(&mut self, attributes: &[AttributeDef]) -> Schema {
        let mut schema = Schema::default();
        for a in attributes {
            if schema.find(&a.name.name).is_some() {
                self.error(a.name.span, format!("attribute '{}' is defined twice", a.name.name));
                continue;
            }
            schema.attrs.push((a.name.name.clone(), a.ty));
        }
        schema
    }

    /// The heartbeat `@app:playback` asks for: `idle.time` and `increment` both
    /// or neither (the reference's rule), each a time; nothing else is accepted.
    fn playback_heartbeat(&mut self, a: &Annotation) -> Option<Heartbeat> {
        let mut times = [None, None];
        let mut refused = false;
        for e in &a.elements {
            let AnnotationElement::Property { key, value, span } = e else {
                self.error(a.span, "@app:playback takes only idle.time and increment".to_string());
                continue;
            };
            let slot = match key.as_deref() {
                Some(k) if k.eq_ignore_ascii_case("idle.time") => 0,
                Some(k) if k.eq_ignore_ascii_case("increment") => 1,
                other => {
                    let found = other.map_or_else(|| format!("'{value}'"), str::to_string);
                    self.error(*span, format!("@app:playback takes only idle.time and increment, found {found}"));
                    continue;
                }
            };
            match crate::semantic::expr::parse_duration(value) {
                Some(ms) if ms > 0 => times[slot] = Some(ms),
                _ => {
                    let key = ["idle.time", "increment"][slot];
                    self.error(*span, format!("@app:playback {key} '{value}' is not a time such as '100 millisec'"));
                    refused = true;
                }
            }
        }
        match times {
            _ if refused => None,
            [Some(idle_ms), Some(increment_ms)] => Some(Heartbeat { idle_ms, increment_ms }),
            [Some(_), None] => {
                self.error(a.span, "@app:playback needs increment as well as idle.time".to_string());
                None
            }
            [None, Some(_)] => {
                self.error(a.span, "@app:playback needs idle.time as well as increment".to_string());
                None
            }
            [None, None] => None,
        }
    }

    /// First pass: every definition, so queries can refer to any of them.
    fn definitions(&mut self, app: &App) {
        for a in &app.annotations {
            if a.name.eq_ignore_ascii_case("app:playback") {
                self.heartbeat = self.playback_heartbeat(a);
            }
        }
        let mut fault_defs = Vec::new();
        for element in &app.elements {
            let Element::Definition(d) = element else {
                continue;
            };
            match d {
                Definition::Stream(s) if s.fault => fault_defs.push(s),
                Definition::Stream(s) => {
                    let schema = self.schema_of(&s.attributes);
                    if let Some(action) = self.io_annotations(&s.name.name, &schema.attrs, &s.annotations) {
                        // `@OnError(action='STREAM')` defines `!S`: S's attributes and
                        // `_error`; `STORE` the same under a name no query can read.
                        let mut fault = schema.clone();
                        fault.attrs.push(("_error".into(), AttrType::Object));
                        let name = match action {
                            io::FaultAction::Stream => format!("!{}", s.name.name),
                            io::FaultAction::Store => crate::logical::error_store_stream(&s.name.name),
                        };
                        self.define(&Ident::new(name, s.name.span), EntryKind::Stream, fault, false);
                    }
                    self.define(&s.name, EntryKind::Stream, schema, true);
                }
                Definition::Table(t) => {
                    let schema = self.schema_of(&t.attributes);
                    let (primary_key, indexes) = self.table_annotations(t, &schema);
                    self.define(&t.name, EntryKind::Table, schema.clone(), true);
                    self.tables.push(TablePlan { name: t.name.name.clone(), schema, primary_key, indexes });
                }
                Definition::Window(w) => {
                    let schema = self.schema_of(&w.attributes);
                    self.define(&w.name, EntryKind::Window, schema.clone(), true);
                    let scope = expr::Scope::single(&w.name.name, None, &schema);
                    if let Some(window) = self.window_call(&w.window, &scope) {
                        self.windows.push(NamedWindowPlan {
                            name: w.name.name.clone(),
                            schema,
                            window,
                            output: w.output.unwrap_or(OutputEventType::All),
                        });
                    }
                }
                Definition::Trigger(t) => {
                    let schedule = match &t.at {
                        TriggerAt::Start => Some(TriggerSchedule::Start),
                        TriggerAt::Cron(expr) => Some(TriggerSchedule::Cron(expr.clone())),
                        TriggerAt::Every(e) => match e.kind {
                            ExprKind::Literal(Literal::Time(ms) | Literal::Long(ms)) if ms > 0 => {
                                Some(TriggerSchedule::Every(ms))
                            }
                            ExprKind::Literal(Literal::Int(ms)) if ms > 0 => Some(TriggerSchedule::Every(ms.into())),
                            _ => {
                                self.error(e.span, "a trigger's period must be a positive time such as `5 sec`");
                                None
                            }
                        },
                    };
                    if let Some(schedule) = schedule {
                        self.triggers.push(TriggerPlan { name: t.name.name.clone(), schedule, span: t.span });
                    }
                    let schema = Schema { attrs: vec![("triggered_time".into(), AttrType::Long)] };
                    self.define(&t.name, EntryKind::Stream, schema, true);
                }
                Definition::Function(f) => {
                    if !f.language.name.eq_ignore_ascii_case("javascript") {
                        self.not_built(
                            f.language.span,
                            format!("script language '{}' (only javascript runs)", f.language.name),
                        );
                    }
                    if self.catalog.functions.iter().any(|s| s.name.eq_ignore_ascii_case(&f.name.name)) {
                        self.error(f.name.span, format!("function '{}' is already defined", f.name.name));
                    }
                    self.catalog.functions.push(std::sync::Arc::new(crate::logical::ScriptFunction {
                        name: f.name.name.clone(),
                        return_type: f.return_type,
                        body: f.body.clone(),
                        span: f.span,
                    }));
                }
                Definition::Aggregation(agg) => self.aggregation(agg),
                Definition::Index(_) => {}
            }
        }
        // Indexes refer to tables, which may be defined after them.
        for element in &app.elements {
            if let Element::Definition(Definition::Index(ix)) = element {
                match self.catalog.get(&ix.table.name).cloned() {
                    Some(e) if e.kind == EntryKind::Table => {
                        for a in &ix.attributes {
                            if e.schema.find(&a.name).is_none() {
                                self.error(a.span, format!("table '{}' has no attribute '{}'", ix.table.name, a.name));
                            }
                        }
                    }
                    _ => self.error(ix.table.span, format!("'{}' is not a defined table", ix.table.name)),
                }
                self.index_options(ix);
            }
        }
        for s in fault_defs {
            self.fault_stream_declaration(s);
        }
    }

    /// An index's `WITH (…)`: its `type` must be one Macrometa documents. The
    /// plain kinds only speed lookups up (Sluice's tables answer the same without
    /// them); a `ttl` index deletes rows as they age, which is not built.
    fn index_options(&mut self, ix: &crate::ast::IndexDef) {
        for o in &ix.options {
            if !o.key.eq_ignore_ascii_case("type") {
                continue;
            }
            let ty = o.value.to_ascii_lowercase();
            let known: &[&str] = if ix.secondary {
                &["global", "local"]
            } else {
                &["hash", "persistent", "skiplist", "fulltext", "geo", "ttl"]
            };
            if ty == "ttl" {
                self.not_built(o.span, "a ttl index (rows that expire)");
            } else if !known.contains(&ty.as_str()) {
                self.error(o.span, format!("unknown index type '{}'; the types are {}", o.value, known.join(", ")));
            }
        }
    }

    /// Macrometa's `CREATE STREAM !S (…)`: it declares the fault stream that
    /// `@OnError(action='STREAM')` on `S` defines, so it must spell the same
    /// attributes (S's and `_error object`) and take no options.
    fn fault_stream_declaration(&mut self, s: &StreamDef) {
        let schema = self.schema_of(&s.attributes);
        let fault = format!("!{}", s.name.name);
        let Some(existing) = self.catalog.get(&fault).map(|e| e.schema.clone()) else {
            let why = match self.catalog.get(&s.name.name) {
                Some(_) => {
                    format!("stream '{}' needs @OnError(action='STREAM') (OnError.action = 'stream')", s.name.name)
                }
                None => format!("stream '{}' is not defined", s.name.name),
            };
            self.error(s.name.span, format!("fault stream '{fault}' cannot be declared: {why}"));
            return;
        };
        if existing != schema {
            self.error(s.span, format!("fault stream '{fault}' is {}, not {}", existing.describe(), schema.describe()));
        }
        if let Some(a) = s.annotations.first() {
            self.not_built(a.span, format!("options on the fault stream '{fault}'"));
        }
    }

    /// Checks a table's annotations; returns the positions of its primary key and
    /// indexed attributes.
    fn table_annotations(&mut self, t: &TableDef, schema: &Schema) -> (Vec<usize>, Vec<usize>) {
        let mut primary = 0;
        let mut primary_key = Vec::new();
        let mut indexed: Vec<String> = Vec::new();
        for a in &t.annotations {
            let name = a.name.to_ascii_lowercase();
            if name == "primarykey" || name == "index" {
                let values = a.positional();
                if values.is_empty() || values.iter().any(|v| v.is_empty()) {
                    self.error(a.span, format!("@{} needs attribute names", a.name));
                    continue;
                }
                for v in &values {
                    if schema.find(v).is_none() {
                        self.error(
                            a.span,
                            format!("table '{}' has no attribute '{v}' (names are case-sensitive)", t.name.name),
                        );
                    }
                }
                if name == "primarykey" {
                    if primary == 0 {
                        primary_key = values.iter().filter_map(|v| schema.find(v).map(|(i, _)| i)).collect();
                    }
                    primary += 1;
                    if primary > 1 {
                        self.error(a.span, "a table has at most one @primaryKey");
                    }
                } else {
                    if values.len() > 1 {
                        self.error(a.span, "@index takes one attribute; write one @index per attribute");
                    }
                    for v in values {
                        if indexed.iter().any(|x| x == v) {
                            self.error(a.span, format!("attribute '{v}' is indexed twice"));
                        }
                        indexed.push(v.to_string());
                    }
                }
            } else if name == "store" {
                match a.property("type") {
                    Some(ty) if ty.eq_ignore_ascii_case("inMemory") => {}
                    Some(ty) => self
                        .warn(a.span, format!("store type '{ty}' is not available yet; the table is kept in memory")),
                    None => self.error(a.span, "@store needs a `type` (a store `ref` is not configured in Sluice)"),
                }
            }
        }
        let indexes = indexed.iter().filter_map(|v| schema.find(v).map(|(i, _)| i)).collect();
        (primary_key, indexes)
    }

    /// Whether a query reads a stream nobody has defined yet.
    fn reads_unknown_stream(&self, q: &Query) -> bool {
        let names: Vec<&SingleInput> = match &q.input {
            InputStream::Single(s) => vec![s],
            InputStream::Join(j) => vec![&j.left, &j.right],
            InputStream::State(_) => return false,
        };
        names.iter().any(|s| !s.inner && !s.fault && self.catalog.get(&s.stream.name).is_none())
    }

    /// `partition with (…) begin … end`.
    fn partition(&mut self, p: &Partition) -> PartitionPlan {
        let purge = self.partition_purge(p);
        let mut keys = Vec::new();
        for key in &p.keys {
            let (stream, exprs): (&Ident, Vec<&Expr>) = match key {
                PartitionKey::Value { expr, stream } => (stream, vec![expr]),
                PartitionKey::Range { ranges, stream } => (stream, ranges.iter().map(|(e, _)| e).collect()),
            };
            match self.catalog.get(&stream.name).cloned() {
                Some(e) if e.kind == EntryKind::Stream => {
                    let scope = expr::Scope::single(&e.name, None, &e.schema);
                    let mut typed = Vec::new();
                    for x in exprs {
                        let te = self.typed(x, &scope, &mut expr::Ctx::plain());
                        if matches!(key, PartitionKey::Range { .. }) && te.ty != AttrType::Bool {
                            self.error(x.span, "a range partition's condition must be bool");
                        }
                        typed.push(te);
                    }
                    let kind = match key {
                        PartitionKey::Value { .. } => PartitionKeyKind::Value(typed.remove(0)),
                        PartitionKey::Range { ranges, .. } => PartitionKeyKind::Range(
                            typed.into_iter().zip(ranges.iter().map(|(_, l)| l.clone())).collect(),
                        ),
                    };
                    keys.push(PartitionKeyPlan { stream: stream.name.clone(), key: kind });
                }
                _ => self.error(stream.span, format!("stream '{}' is not defined", stream.name)),
            }
        }
        let mut inner: Vec<(String, Schema)> = Vec::new();
        let mut queries = Vec::new();
        for q in &p.queries {
            self.query_count += 1;
            let n = self.query_count;
            if let Some(plan) = self.query(q, n, Some(&mut inner)) {
                queries.push(plan);
            }
        }
        let inner = inner.into_iter().map(|(n, s)| (format!("#{n}"), s)).collect();
        PartitionPlan { keys, inner, queries, purge }
    }
}
