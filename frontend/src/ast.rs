//! The abstract syntax tree shared by both spellings of the language.
//!
//! The classic spelling (`define stream …`, `from … select … insert into …`) and
//! Macrometa's SQL-like spelling (`CREATE STREAM …`, `INSERT INTO … SELECT … FROM …`)
//! parse into these same types, so everything after the parser is spelling-blind.
//! Every node that a diagnostic may point at carries a byte [`Span`] into the app text.
//!
//! Equality of nodes ignores spans (see [`Span`]'s `PartialEq`), so "parse, print,
//! parse" round trips can be checked with `==`.

// AST nodes are built once per app and read a few times; boxing the larger
// variants would only add noise to every constructor and pattern.
#![allow(clippy::large_enum_variant)]

use std::fmt;

/// A byte range `start..end` in the app text.
///
/// Two spans always compare equal: spans locate nodes for diagnostics but are not
/// part of a node's meaning, so ASTs of the same app printed differently are `==`.
#[derive(Clone, Copy, Debug, Default, Eq)]
pub struct Span {
    /// Offset of the first byte.
    pub start: usize,
    /// Offset one past the last byte.
    pub end: usize,
}

impl PartialEq for Span {
    fn eq(&self, _: &Span) -> bool {
        true
    }
}

impl std::hash::Hash for Span {
    fn hash<H: std::hash::Hasher>(&self, _: &mut H) {}
}

impl Span {
    /// The span from `start` to `end`.
    pub fn new(start: usize, end: usize) -> Span {
        Span { start, end }
    }
    /// The smallest span covering both.
    pub fn to(self, other: Span) -> Span {
        Span::new(self.start.min(other.start), self.end.max(other.end))
    }
}

/// A name as written, with where it was written.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Ident {
    /// The name (backquotes removed).
    pub name: String,
    /// Where it is in the text.
    pub span: Span,
}

impl Ident {
    /// A name at `span`.
    pub fn new(name: impl Into<String>, span: Span) -> Ident {
        Ident { name: name.into(), span }
    }
}

impl fmt::Display for Ident {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name)
    }
}

/// A whole stream app.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct App {
    /// `@app:name(…)`, `@app:playback(…)` and the other app-level annotations.
    pub annotations: Vec<Annotation>,
    /// Definitions, queries and partitions in the order written.
    pub elements: Vec<Element>,
}

/// One top-level statement of an app.
#[derive(Clone, Debug, PartialEq)]
pub enum Element {
    /// `define …` / `CREATE …`.
    Definition(Definition),
    /// A query.
    Query(Query),
    /// `partition with (…) begin … end`.
    Partition(Partition),
}

/// An annotation such as `@info(name = 'q1')` or `@source(type='http', @map(type='json'))`.
#[derive(Clone, Debug, PartialEq)]
pub struct Annotation {
    /// The name, including any namespace (`app:name`, `info`, `primaryKey`).
    pub name: String,
    /// Its elements in order.
    pub elements: Vec<AnnotationElement>,
    /// Where it is.
    pub span: Span,
}

/// One element of an annotation.
#[derive(Clone, Debug, PartialEq)]
pub enum AnnotationElement {
    /// `key = 'value'` or a bare `'value'`.
    Property {
        /// The key, dotted (`map.type`), if any.
        key: Option<String>,
        /// The value as text (string quotes removed).
        value: String,
        /// Where it is.
        span: Span,
    },
    /// A nested annotation (`@map(…)` inside `@source(…)`).
    Nested(Annotation),
}

impl Annotation {
    /// The value of property `key` (case-insensitive), if present.
    pub fn property(&self, key: &str) -> Option<&str> {
        self.elements.iter().find_map(|e| match e {
            AnnotationElement::Property { key: Some(k), value, .. } if k.eq_ignore_ascii_case(key) => {
                Some(value.as_str())
            }
            _ => None,
        })
    }
    /// The values of the key-less properties, in order (`@primaryKey('a', 'b')`).
    pub fn positional(&self) -> Vec<&str> {
        self.elements
            .iter()
            .filter_map(|e| match e {
                AnnotationElement::Property { key: None, value, .. } => Some(value.as_str()),
                _ => None,
            })
            .collect()
    }
    /// The nested annotations named `name` (case-insensitive).
    pub fn nested<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Annotation> + 'a {
        self.elements.iter().filter_map(move |e| match e {
            AnnotationElement::Nested(a) if a.name.eq_ignore_ascii_case(name) => Some(a),
            _ => None,
        })
    }
}

/// Finds the first annotation named `name` (case-insensitive) in a list.
pub fn find_annotation<'a>(annotations: &'a [Annotation], name: &str) -> Option<&'a Annotation> {
    annotations.iter().find(|a| a.name.eq_ignore_ascii_case(name))
}

/// The attribute types of the language.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum AttrType {
    /// `string`
    String,
    /// `int` (32-bit)
    Int,
    /// `long` (64-bit)
    Long,
    /// `float` (32-bit)
    Float,
    /// `double` (64-bit)
    Double,
    /// `bool`
    Bool,
    /// `object`: any value.
    Object,
}

impl AttrType {
    /// Parses a type name (case-insensitive; `boolean` is accepted for `bool`).
    pub fn parse(name: &str) -> Option<AttrType> {
        Some(match name.to_ascii_lowercase().as_str() {
            "string" => AttrType::String,
            "int" | "integer" => AttrType::Int,
            "long" => AttrType::Long,
            "float" => AttrType::Float,
            "double" => AttrType::Double,
            "bool" | "boolean" => AttrType::Bool,
            "object" => AttrType::Object,
            _ => return None,
        })
    }
    /// The canonical name.
    pub fn name(self) -> &'static str {
        match self {
            AttrType::String => "string",
            AttrType::Int => "int",
            AttrType::Long => "long",
            AttrType::Float => "float",
            AttrType::Double => "double",
            AttrType::Bool => "bool",
            AttrType::Object => "object",
        }
    }
    /// Whether it is one of the four numeric types.
    pub fn is_numeric(self) -> bool {
        matches!(self, AttrType::Int | AttrType::Long | AttrType::Float | AttrType::Double)
    }
}

impl fmt::Display for AttrType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// `name type` in a definition.
#[derive(Clone, Debug, PartialEq)]
pub struct AttributeDef {
    /// The attribute name.
    pub name: Ident,
    /// Its type.
    pub ty: AttrType,
    /// Where the type name is.
    pub ty_span: Span,
}

/// A `define …` / `CREATE …` statement.
#[derive(Clone, Debug, PartialEq)]
pub enum Definition {
    /// A stream (also sources and sinks: they are streams with `@source`/`@sink`).
    Stream(StreamDef),
    /// A table.
    Table(TableDef),
    /// A named window.
    Window(WindowDef),
    /// A named (incremental) aggregation.
    Aggregation(AggregationDef),
    /// A script function.
    Function(FunctionDef),
    /// A trigger.
    Trigger(TriggerDef),
    /// `CREATE [UNIQUE|SECONDARY] INDEX name ON TABLE T (a, …)`.
    Index(IndexDef),
}

impl Definition {
    /// The defined name.
    pub fn name(&self) -> &Ident {
        match self {
            Definition::Stream(d) => &d.name,
            Definition::Table(d) => &d.name,
            Definition::Window(d) => &d.name,
            Definition::Aggregation(d) => &d.name,
            Definition::Function(d) => &d.name,
            Definition::Trigger(d) => &d.name,
            Definition::Index(d) => &d.name,
        }
    }
    /// The annotations written before it.
    pub fn annotations(&self) -> &[Annotation] {
        match self {
            Definition::Stream(d) => &d.annotations,
            Definition::Table(d) => &d.annotations,
            Definition::Window(d) => &d.annotations,
            Definition::Aggregation(d) => &d.annotations,
            Definition::Function(d) => &d.annotations,
            Definition::Trigger(d) => &d.annotations,
            Definition::Index(_) => &[],
        }
    }
}

/// `define stream S (a int, …)`.
#[derive(Clone, Debug, PartialEq)]
pub struct StreamDef {
    /// Annotations (`@source`, `@sink`, `@OnError`, `@async` …).
    pub annotations: Vec<Annotation>,
    /// The stream name.
    pub name: Ident,
    /// `CREATE STREAM !S (…)`: Macrometa's declaration of the fault stream of `S`
    /// (which `@OnError(action='STREAM')` on `S` defines).
    pub fault: bool,
    /// Its attributes.
    pub attributes: Vec<AttributeDef>,
    /// The whole statement.
    pub span: Span,
}

/// `define table T (a int, …)`.
#[derive(Clone, Debug, PartialEq)]
pub struct TableDef {
    /// Annotations (`@primaryKey`, `@index`, `@store` …).
    pub annotations: Vec<Annotation>,
    /// The table name.
    pub name: Ident,
    /// Its attributes.
    pub attributes: Vec<AttributeDef>,
    /// `CREATE TABLE GLOBAL` (Macrometa): a table replicated everywhere.
    pub global: bool,
    /// The whole statement.
    pub span: Span,
}

/// `define window W (…) time(1 min) output all events`.
#[derive(Clone, Debug, PartialEq)]
pub struct WindowDef {
    /// Annotations.
    pub annotations: Vec<Annotation>,
    /// The window name.
    pub name: Ident,
    /// Its attributes.
    pub attributes: Vec<AttributeDef>,
    /// The window function (`time(1 min)`, `unique:length(ip, 5)`).
    pub window: FunctionCall,
    /// `output current|expired|all events`, if written.
    pub output: Option<OutputEventType>,
    /// The whole statement.
    pub span: Span,
}

/// `define aggregation A from S select … group by … aggregate by ts every sec … year`.
#[derive(Clone, Debug, PartialEq)]
pub struct AggregationDef {
    /// Annotations (`@store`, `@purge` …).
    pub annotations: Vec<Annotation>,
    /// The aggregation name.
    pub name: Ident,
    /// The input stream (filters allowed).
    pub input: SingleInput,
    /// `select …`, `group by …`.
    pub selector: Selector,
    /// `aggregate by attr`; `None` means event arrival time.
    pub aggregate_by: Option<Expr>,
    /// The granularities.
    pub durations: AggregationDurations,
    /// The whole statement.
    pub span: Span,
}

/// The granularities of a named aggregation.
#[derive(Clone, Debug, PartialEq)]
pub enum AggregationDurations {
    /// `every sec ... year`: every granularity from one to the other.
    Range(Ident, Ident),
    /// `every sec, min, hour`.
    List(Vec<Ident>),
}

/// `define function f[javascript] return string { … }`.
#[derive(Clone, Debug, PartialEq)]
pub struct FunctionDef {
    /// Annotations.
    pub annotations: Vec<Annotation>,
    /// The function name.
    pub name: Ident,
    /// The script language (`javascript`).
    pub language: Ident,
    /// The declared return type.
    pub return_type: AttrType,
    /// The body between the braces, verbatim.
    pub body: String,
    /// The whole statement.
    pub span: Span,
}

/// `define trigger T at every 5 sec | at 'start' | at '<cron>'`.
#[derive(Clone, Debug, PartialEq)]
pub struct TriggerDef {
    /// Annotations.
    pub annotations: Vec<Annotation>,
    /// The trigger (and its output stream) name.
    pub name: Ident,
    /// When it fires.
    pub at: TriggerAt,
    /// The whole statement.
    pub span: Span,
}

/// When a trigger fires.
#[derive(Clone, Debug, PartialEq)]
pub enum TriggerAt {
    /// `at every <time>`: periodically (milliseconds).
    Every(Expr),
    /// `at 'start'`: once, when the app starts.
    Start,
    /// `at '<cron expression>'`.
    Cron(String),
}

/// `CREATE [UNIQUE] INDEX name ON TABLE T [WITH (type = 'hash', …)] (a, …)`, or
/// `CREATE SECONDARY INDEX name ON STORE T WITH (type = 'global') (a, …)`.
#[derive(Clone, Debug, PartialEq)]
pub struct IndexDef {
    /// The index name.
    pub name: Ident,
    /// `UNIQUE`.
    pub unique: bool,
    /// `SECONDARY` (Macrometa's index of a DynamoDB store).
    pub secondary: bool,
    /// The indexed table.
    pub table: Ident,
    /// The `WITH (…)` options, in the order written.
    pub options: Vec<IndexOption>,
    /// The indexed attributes.
    pub attributes: Vec<Ident>,
    /// The whole statement.
    pub span: Span,
}

/// One `key = value` of an index's `WITH (…)`.
#[derive(Clone, Debug, PartialEq)]
pub struct IndexOption {
    /// The option's name (`type`, `sparse`, `minLength`, …).
    pub key: String,
    /// Its value, unquoted.
    pub value: String,
    /// `key = value`.
    pub span: Span,
}

/// A query: input, selection, rate limiting and output.
#[derive(Clone, Debug, PartialEq)]
pub struct Query {
    /// Annotations (`@info(name=…)`, …).
    pub annotations: Vec<Annotation>,
    /// `from …`.
    pub input: InputStream,
    /// `select … group by … having … order by … limit … offset …`.
    pub selector: Selector,
    /// `output … every …`.
    pub output_rate: Option<OutputRate>,
    /// `insert into …`, `delete …`, `update …`, `return`.
    pub output: OutputAction,
    /// The whole statement.
    pub span: Span,
}

impl Query {
    /// The name given by `@info(name = '…')`, if any.
    pub fn name(&self) -> Option<&str> {
        find_annotation(&self.annotations, "info").and_then(|a| a.property("name"))
    }
}

/// What a query reads.
#[derive(Clone, Debug, PartialEq)]
pub enum InputStream {
    /// One stream, table or window, with filters, stream functions and a window.
    Single(SingleInput),
    /// A join of two inputs.
    Join(Box<JoinInput>),
    /// A pattern or sequence.
    State(Box<StateInput>),
}

/// `S[cond]#window.time(1 min)#str:tokenize(x) as a`.
#[derive(Clone, Debug, PartialEq)]
pub struct SingleInput {
    /// `#Inner`: a partition-local inner stream.
    pub inner: bool,
    /// `!S`: the fault stream of `S`.
    pub fault: bool,
    /// The stream, table, window or aggregation name.
    pub stream: Ident,
    /// Filters, stream functions and the window, in order.
    pub handlers: Vec<StreamHandler>,
    /// `as a`.
    pub alias: Option<Ident>,
    /// Where it is.
    pub span: Span,
}

/// One step applied to the events of a single input.
#[derive(Clone, Debug, PartialEq)]
pub enum StreamHandler {
    /// `[condition]`.
    Filter(Expr),
    /// `#ns:function(args)`: a stream function.
    Function(FunctionCall),
    /// `#window.name(args)` / `WINDOW NAME(args)`.
    Window(FunctionCall),
    /// `within start[, end] per duration` (an on-demand read of an aggregation).
    Within {
        /// The range.
        range: Vec<Expr>,
        /// The granularity.
        per: Expr,
        /// Where it is.
        span: Span,
    },
}

/// A function call: `ns:name(args)`.
#[derive(Clone, Debug, PartialEq)]
pub struct FunctionCall {
    /// The namespace before `:`, if any.
    pub namespace: Option<Ident>,
    /// The function name.
    pub name: Ident,
    /// The arguments.
    pub args: Vec<Expr>,
    /// Where it is.
    pub span: Span,
}

impl FunctionCall {
    /// `ns:name` or `name`, lower-cased, for registry lookups.
    pub fn qualified_name(&self) -> String {
        match &self.namespace {
            Some(ns) => format!("{}:{}", ns.name.to_ascii_lowercase(), self.name.name.to_ascii_lowercase()),
            None => self.name.name.to_ascii_lowercase(),
        }
    }
}

/// `left join right on … within … per …`.
#[derive(Clone, Debug, PartialEq)]
pub struct JoinInput {
    /// The left side.
    pub left: SingleInput,
    /// The kind of join.
    pub kind: JoinKind,
    /// The right side.
    pub right: SingleInput,
    /// Which side alone triggers output (`unidirectional`).
    pub unidirectional: Option<JoinSide>,
    /// `on condition`.
    pub on: Option<Expr>,
    /// `within start[, end]` (joins with aggregations).
    pub within: Vec<Expr>,
    /// `per duration` (joins with aggregations).
    pub per: Option<Expr>,
    /// Where it is.
    pub span: Span,
}

/// The kinds of join.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum JoinKind {
    /// `join`, `inner join`.
    Inner,
    /// `left outer join`.
    LeftOuter,
    /// `right outer join`.
    RightOuter,
    /// `full outer join`.
    FullOuter,
}

/// A side of a join.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum JoinSide {
    /// The first input.
    Left,
    /// The second input.
    Right,
}

/// A pattern (`->`) or sequence (`,`) input.
#[derive(Clone, Debug, PartialEq)]
pub struct StateInput {
    /// Pattern or sequence.
    pub kind: StateKind,
    /// The state machine.
    pub element: StateElement,
    /// Where it is.
    pub span: Span,
}

/// Pattern or sequence.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StateKind {
    /// `->`: other events may come between matches.
    Pattern,
    /// `,`: matches must be consecutive.
    Sequence,
}

/// One node of a pattern or sequence.
#[derive(Clone, Debug, PartialEq)]
pub enum StateElement {
    /// `e1=S[filter]`.
    Stream(StateStream),
    /// `not S[filter] for 5 sec` (`for` optional when combined with `and`).
    Absent {
        /// The stream that must not arrive.
        stream: StateStream,
        /// How long it must stay away.
        for_time: Option<Expr>,
    },
    /// `a and b`, `a or b`.
    Logical {
        /// `and` or `or`.
        op: LogicalOp,
        /// The left side.
        left: Box<StateElement>,
        /// The right side.
        right: Box<StateElement>,
    },
    /// `e1=S<2:5>`, `e1=S+`, `e1=S*`, `e1=S?`.
    Count {
        /// The counted stream.
        stream: StateStream,
        /// The least number of events.
        min: u32,
        /// The greatest number of events (`None`: unbounded).
        max: Option<u32>,
        /// How it was written.
        syntax: CountSyntax,
    },
    /// `a -> b` or `a, b`.
    Next(Box<StateElement>, Box<StateElement>),
    /// `every a`.
    Every(Box<StateElement>),
    /// `(a) within 5 sec`, or a whole pattern's `within`.
    Within(Box<StateElement>, Expr),
}

/// `and` / `or` in patterns.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LogicalOp {
    /// Both must arrive.
    And,
    /// Either may arrive.
    Or,
}

/// How a count was written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CountSyntax {
    /// `<n:m>`, `<n:>`, `<:m>`, `<n>`.
    Range,
    /// `+`
    Plus,
    /// `*`
    Star,
    /// `?`
    Question,
}

/// `e1=S[filter]` in a pattern.
#[derive(Clone, Debug, PartialEq)]
pub struct StateStream {
    /// The event reference (`e1`).
    pub alias: Option<Ident>,
    /// The stream and its filters.
    pub input: SingleInput,
}

/// `select … group by … having … order by … limit … offset …`.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct Selector {
    /// The output attributes; `None` is `select *` (or no select at all).
    pub items: Option<Vec<OutputAttribute>>,
    /// `group by`.
    pub group_by: Vec<Expr>,
    /// `having`.
    pub having: Option<Expr>,
    /// `order by`.
    pub order_by: Vec<OrderItem>,
    /// `limit`.
    pub limit: Option<Expr>,
    /// `offset`.
    pub offset: Option<Expr>,
}

/// `expr as name` in `select`.
#[derive(Clone, Debug, PartialEq)]
pub struct OutputAttribute {
    /// The value.
    pub expr: Expr,
    /// The name given with `as`.
    pub alias: Option<Ident>,
}

/// `expr asc|desc` in `order by`.
#[derive(Clone, Debug, PartialEq)]
pub struct OrderItem {
    /// The sort key.
    pub expr: Expr,
    /// `desc`.
    pub descending: bool,
}

/// `output [first|last|all|snapshot] every …`.
#[derive(Clone, Debug, PartialEq)]
pub enum OutputRate {
    /// `output [first|last|all] every N events`.
    Events {
        /// Which events of each group of N.
        which: RateWhich,
        /// N.
        count: u64,
        /// Where it is.
        span: Span,
    },
    /// `output [first|last|all] every <time>`.
    Time {
        /// Which events of each period.
        which: RateWhich,
        /// The period (milliseconds).
        period: Expr,
        /// Where it is.
        span: Span,
    },
    /// `output snapshot every <time>`.
    Snapshot {
        /// The period (milliseconds).
        period: Expr,
        /// Where it is.
        span: Span,
    },
}

/// `first`, `last` or `all` in output rate limiting.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RateWhich {
    /// `all` (the default).
    All,
    /// `first`
    First,
    /// `last`
    Last,
}

/// `current`, `expired` or `all` events.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OutputEventType {
    /// Events entering (the default).
    Current,
    /// Events leaving windows.
    Expired,
    /// Both.
    All,
}

/// Where a query's output goes.
#[derive(Clone, Debug, PartialEq)]
pub enum OutputAction {
    /// `insert [events] into S`, `#S` (inner) or `!S` (fault).
    Insert {
        /// Which events.
        events: Option<OutputEventType>,
        /// The target.
        target: Ident,
        /// `#S`.
        inner: bool,
        /// `!S`.
        fault: bool,
    },
    /// `delete T [for events] on cond`.
    Delete {
        /// Which events.
        events: Option<OutputEventType>,
        /// The table.
        table: Ident,
        /// Rows to delete.
        on: Expr,
    },
    /// `update T [for events] [set …] on cond`.
    Update {
        /// Which events.
        events: Option<OutputEventType>,
        /// The table.
        table: Ident,
        /// `set T.a = expr, …` (empty: every attribute by name).
        set: Vec<SetAssignment>,
        /// Rows to update.
        on: Expr,
    },
    /// `update or insert into T [for events] [set …] on cond`.
    UpdateOrInsert {
        /// Which events.
        events: Option<OutputEventType>,
        /// The table.
        table: Ident,
        /// `set T.a = expr, …`.
        set: Vec<SetAssignment>,
        /// Rows to update; inserts when none match.
        on: Expr,
    },
    /// `return [events]`: the query's own output only (on-demand queries, partitions).
    Return {
        /// Which events.
        events: Option<OutputEventType>,
    },
}

/// `T.a = expr` in `set`.
#[derive(Clone, Debug, PartialEq)]
pub struct SetAssignment {
    /// The table attribute assigned.
    pub target: Expr,
    /// The new value.
    pub value: Expr,
}

/// `partition with (key of S, …) begin … end`.
#[derive(Clone, Debug, PartialEq)]
pub struct Partition {
    /// Annotations.
    pub annotations: Vec<Annotation>,
    /// One key per partitioned stream.
    pub keys: Vec<PartitionKey>,
    /// The queries inside.
    pub queries: Vec<Query>,
    /// Where it is.
    pub span: Span,
}

/// How one stream is partitioned.
#[derive(Clone, Debug, PartialEq)]
pub enum PartitionKey {
    /// `expr of S`: one partition per value.
    Value {
        /// The key.
        expr: Expr,
        /// The stream.
        stream: Ident,
    },
    /// `cond as 'label' or … of S`: one partition per label.
    Range {
        /// The conditions and their labels.
        ranges: Vec<(Expr, String)>,
        /// The stream.
        stream: Ident,
    },
}

/// An expression with its span.
#[derive(Clone, Debug, PartialEq)]
pub struct Expr {
    /// What it is.
    pub kind: ExprKind,
    /// Where it is.
    pub span: Span,
}

impl Expr {
    /// An expression of `kind` at `span`.
    pub fn new(kind: ExprKind, span: Span) -> Expr {
        Expr { kind, span }
    }
}

/// The forms of expression.
#[derive(Clone, Debug, PartialEq)]
pub enum ExprKind {
    /// A constant.
    Literal(Literal),
    /// `attr`, `S.attr`, `e1.attr`, `e2[0].attr`, `e2[last].attr`.
    Attribute {
        /// The stream or event reference before the dot.
        stream: Option<StreamRef>,
        /// The attribute.
        name: Ident,
    },
    /// A bare event reference (`e1 is null`, `e2[last] is null`).
    StreamRef(StreamRef),
    /// `ns:f(args)`.
    Call(FunctionCall),
    /// `not x`, `-x`.
    Unary(UnaryOp, Box<Expr>),
    /// `a op b`.
    Binary(BinaryOp, Box<Expr>, Box<Expr>),
    /// `x is null`.
    IsNull(Box<Expr>),
    /// `x in Table`.
    In(Box<Expr>, Ident),
}

/// `S`, `e1`, `e2[0]`, `e2[last]`, `e2[last-1]`, `#Inner`.
#[derive(Clone, Debug, PartialEq)]
pub struct StreamRef {
    /// `#`: an inner stream.
    pub inner: bool,
    /// The stream or event name.
    pub name: Ident,
    /// `[index]`.
    pub index: Option<EventIndex>,
}

/// The index of a counted event.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EventIndex {
    /// `[n]` from the first.
    Nth(u32),
    /// `[last]` or `[last - n]`.
    Last(u32),
}

/// Constants.
#[derive(Clone, Debug, PartialEq)]
pub enum Literal {
    /// `'text'`, `"text"`, `"""text"""`.
    String(String),
    /// `12`
    Int(i32),
    /// `12L`
    Long(i64),
    /// `1.5f`
    Float(f32),
    /// `1.5`, `1.5d`
    Double(f64),
    /// `true`, `false`
    Bool(bool),
    /// `null`
    Null,
    /// `1 min 30 sec`: milliseconds, typed `long`.
    Time(i64),
}

/// Unary operators.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UnaryOp {
    /// `not`
    Not,
    /// `-`
    Neg,
}

/// Binary operators, loosest first.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BinaryOp {
    /// `or`
    Or,
    /// `and`
    And,
    /// `==`
    Eq,
    /// `!=`
    Ne,
    /// `<`
    Lt,
    /// `<=`
    Le,
    /// `>`
    Gt,
    /// `>=`
    Ge,
    /// `+`
    Add,
    /// `-`
    Sub,
    /// `*`
    Mul,
    /// `/`
    Div,
    /// `%`
    Mod,
}

impl BinaryOp {
    /// The operator as written in canonical form.
    pub fn symbol(self) -> &'static str {
        match self {
            BinaryOp::Or => "or",
            BinaryOp::And => "and",
            BinaryOp::Eq => "==",
            BinaryOp::Ne => "!=",
            BinaryOp::Lt => "<",
            BinaryOp::Le => "<=",
            BinaryOp::Gt => ">",
            BinaryOp::Ge => ">=",
            BinaryOp::Add => "+",
            BinaryOp::Sub => "-",
            BinaryOp::Mul => "*",
            BinaryOp::Div => "/",
            BinaryOp::Mod => "%",
        }
    }
    /// Binding strength: higher binds tighter (Siddhi's precedence).
    pub fn precedence(self) -> u8 {
        match self {
            BinaryOp::Or => 1,
            BinaryOp::And => 2,
            BinaryOp::Eq | BinaryOp::Ne => 4,
            BinaryOp::Lt | BinaryOp::Le | BinaryOp::Gt | BinaryOp::Ge => 5,
            BinaryOp::Add | BinaryOp::Sub => 6,
            BinaryOp::Mul | BinaryOp::Div | BinaryOp::Mod => 7,
        }
    }
}

/// The precedence of `x in T` (between `and` and `==`).
pub const IN_PRECEDENCE: u8 = 3;
/// The precedence of unary `not` and `-` (tighter than every binary operator).
pub const UNARY_PRECEDENCE: u8 = 8;
