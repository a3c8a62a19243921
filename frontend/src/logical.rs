//! The typed logical plan: what semantic analysis hands to the dataflow compiler.
//!
//! Names are resolved (every attribute is a position in the row the expression
//! will see), types are known, window names are the classic ones, and each query
//! knows its output schema.

use crate::ast::{AttrType, BinaryOp, Literal, OutputEventType, RateWhich, Span, UnaryOp};
use crate::diagnostic::Diagnostic;

mod sinks;
pub use sinks::{DistributionPlan, DistributionStrategy, SinkOnError};

/// A playback app's heartbeat: whenever no event (or heartbeat) has arrived for
/// `idle_ms` of wall-clock time, the app's clock moves forward by `increment_ms`,
/// as the reference's timestamp generator does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Heartbeat {
    /// Wall-clock milliseconds without input before the clock moves.
    pub idle_ms: i64,
    /// How far the clock moves each time (ms).
    pub increment_ms: i64,
}

/// An ordered list of named, typed attributes.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct Schema {
    /// `(name, type)` in order.
    pub attrs: Vec<(String, AttrType)>,
}

impl Schema {
    /// The attribute names.
    pub fn names(&self) -> Vec<String> {
        self.attrs.iter().map(|(n, _)| n.clone()).collect()
    }
    /// The attribute types.
    pub fn types(&self) -> Vec<AttrType> {
        self.attrs.iter().map(|(_, t)| *t).collect()
    }
    /// The position and type of attribute `name` (names are case-sensitive).
    pub fn find(&self, name: &str) -> Option<(usize, AttrType)> {
        self.attrs.iter().position(|(n, _)| n == name).map(|i| (i, self.attrs[i].1))
    }
    /// The number of attributes.
    pub fn len(&self) -> usize {
        self.attrs.len()
    }
    /// Whether it has no attributes.
    pub fn is_empty(&self) -> bool {
        self.attrs.is_empty()
    }
    /// `(a int, b string)`.
    pub fn describe(&self) -> String {
        let parts: Vec<String> = self.attrs.iter().map(|(n, t)| format!("{n} {t}")).collect();
        format!("({})", parts.join(", "))
    }
}

/// What kind of thing a name in the catalog is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EntryKind {
    /// A stream (defined, implicit from `insert into`, or a trigger's).
    Stream,
    /// A table.
    Table,
    /// A named window.
    Window,
    /// A named aggregation.
    Aggregation,
}

/// One named relation of an app.
#[derive(Clone, Debug, PartialEq)]
pub struct Entry {
    /// Its name.
    pub name: String,
    /// What it is.
    pub kind: EntryKind,
    /// Its attributes.
    pub schema: Schema,
    /// Where it was defined (or first inserted into).
    pub span: Span,
    /// Whether a `define`/`CREATE` declared it (rather than an `insert into`).
    pub declared: bool,
}

/// Everything an app defines, in definition order.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct Catalog {
    /// Streams, tables, windows and aggregations.
    pub entries: Vec<Entry>,
    /// Script functions, in definition order.
    pub functions: Vec<std::sync::Arc<ScriptFunction>>,
}

/// The index of [`TypedExprKind::Indexed`] that reads every matched event of a
/// counted pattern event (`e1.price` in `select`, for `e1=S<2:>`), as a list.
pub const ALL_EVENTS: i64 = i64::MIN;

/// The relation an on-demand query without `from` reads (`delete T on …`,
/// `select 1 as x insert into T`, …): one event with no attributes.
pub const UNIT_RELATION: &str = "#unit";

/// A script function an app defines (`define function f[javascript] return T
/// { … }`, `CREATE FUNCTION f[javascript] RETURN T AS '…'`): called with its
/// arguments in `data[]`, its result converted to `return_type`.
#[derive(Clone, Debug, PartialEq)]
pub struct ScriptFunction {
    /// Its name as defined.
    pub name: String,
    /// The declared return type.
    pub return_type: AttrType,
    /// The JavaScript body, verbatim (the inside of `function name(data) { … }`).
    pub body: String,
    /// The definition, for errors in the body.
    pub span: Span,
}

impl Catalog {
    /// The entry named `name`.
    pub fn get(&self, name: &str) -> Option<&Entry> {
        self.entries.iter().find(|e| e.name == name)
    }
    /// The streams with their schemas, in definition order.
    pub fn streams(&self) -> impl Iterator<Item = (&str, &Schema)> {
        self.entries.iter().filter(|e| e.kind == EntryKind::Stream).map(|e| (e.name.as_str(), &e.schema))
    }
}

/// A whole app, checked.
#[derive(Clone, Debug)]
pub struct AppPlan {
    /// `@app:name`, or `SluiceApp`.
    pub name: String,
    /// `@app:playback`: event timestamps drive the clock.
    pub playback: bool,
    /// `@app:playback(idle.time = …, increment = …)`: the heartbeat that moves a
    /// playback clock while no event arrives.
    pub heartbeat: Option<Heartbeat>,
    /// What it defines.
    pub catalog: Catalog,
    /// Its tables, in definition order.
    pub tables: Vec<TablePlan>,
    /// Its named windows, in definition order.
    pub windows: Vec<NamedWindowPlan>,
    /// Its named aggregations, in definition order.
    pub aggregations: Vec<AggregationPlan>,
    /// Its top-level queries, in order.
    pub queries: Vec<QueryPlan>,
    /// Its partitions (each with its queries).
    pub partitions: Vec<PartitionPlan>,
    /// Its triggers, in definition order.
    pub triggers: Vec<TriggerPlan>,
    /// Its sources (`@source(type=…)`), in definition order.
    pub sources: Vec<SourcePlan>,
    /// Its sinks (`@sink(type=…)`, `log` included), in definition order.
    pub sinks: Vec<SinkPlan>,
    /// Things the app asks for that are accepted but not honoured yet.
    pub warnings: Vec<Diagnostic>,
}

/// A `@source(type=…)` on a stream: a transport that brings payloads, and the
/// mapper that turns each payload into events of the stream.
#[derive(Clone, Debug, PartialEq)]
pub struct SourcePlan {
    /// The stream the events go into.
    pub stream: String,
    /// How payloads arrive.
    pub transport: ConnectorPlan,
    /// How a payload becomes events.
    pub mapper: MapperPlan,
}

/// A `@sink(type=…)` on a stream: the mapper that turns each event inserted into
/// the stream into a payload, and the transport that sends it.
#[derive(Clone, Debug, PartialEq)]
pub struct SinkPlan {
    /// The stream whose events are sent.
    pub stream: String,
    /// Where payloads go.
    pub transport: ConnectorPlan,
    /// How an event becomes a payload.
    pub mapper: MapperPlan,
    /// What happens to an event the transport cannot publish.
    pub on_error: SinkOnError,
    /// Several destinations, when the sink has a `@distribution`.
    pub distribution: Option<DistributionPlan>,
}

/// A transport as the app names it: its type (the canonical spelling of a built
/// transport, e.g. `inMemory`) and its options, in order.
#[derive(Clone, Debug, PartialEq)]
pub struct ConnectorPlan {
    /// The transport type, canonically spelt (`file`, `inMemory`, `log`, `stream`).
    pub kind: String,
    /// Its options other than `type`, in order.
    pub options: Vec<ConnectorOption>,
    /// Where the annotation is.
    pub span: Span,
}

impl ConnectorPlan {
    /// The value of option `key` (case-insensitive), if given.
    pub fn option(&self, key: &str) -> Option<&str> {
        self.options.iter().find(|o| o.key.eq_ignore_ascii_case(key)).map(|o| o.value.as_str())
    }
}

/// One `key = 'value'` option of a transport or a mapper.
#[derive(Clone, Debug, PartialEq)]
pub struct ConnectorOption {
    /// The key, dotted (`file.uri`, `enclosing.element`).
    pub key: String,
    /// The value.
    pub value: String,
    /// Where it is.
    pub span: Span,
}

/// A mapper: `@map(type=…, options…, @attributes(…), @payload(…))`.
#[derive(Clone, Debug, PartialEq)]
pub struct MapperPlan {
    /// The mapper type, canonically spelt (`json`, `csv`, `text`, `keyvalue`,
    /// `passThrough`).
    pub kind: String,
    /// Its options other than `type`, in order.
    pub options: Vec<ConnectorOption>,
    /// `@attributes(…)`: where each attribute is read from (a source's custom mapping).
    pub attributes: Vec<MappedAttribute>,
    /// `@payload("…{{attr}}…")`: a sink's payload template.
    pub payload: Option<ConnectorOption>,
    /// Where the `@map` is (the transport's annotation without one).
    pub span: Span,
}

impl MapperPlan {
    /// The value of option `key` (case-insensitive), if given.
    pub fn option(&self, key: &str) -> Option<&str> {
        self.options.iter().find(|o| o.key.eq_ignore_ascii_case(key)).map(|o| o.value.as_str())
    }
}

/// One element of `@attributes(…)`: `name = 'path'`, or a bare `'path'` taken in
/// the stream's attribute order.
#[derive(Clone, Debug, PartialEq)]
pub struct MappedAttribute {
    /// The attribute's name, when given.
    pub name: Option<String>,
    /// Where its value is read from (a JSONPath, a CSV column, a regex group …).
    pub path: String,
    /// Where it is.
    pub span: Span,
}

/// A trigger: a stream of one `triggered_time long` attribute that receives an
/// event whenever its schedule fires on the app's clock.
#[derive(Clone, Debug, PartialEq)]
pub struct TriggerPlan {
    /// The trigger's (and its stream's) name.
    pub name: String,
    /// When it fires.
    pub schedule: TriggerSchedule,
    /// Where it is defined.
    pub span: Span,
}

/// When a trigger fires.
#[derive(Clone, Debug, PartialEq)]
pub enum TriggerSchedule {
    /// `at 'start'`: once, when the app's clock starts.
    Start,
    /// `at every <time>`: every this many milliseconds (> 0) after the clock starts.
    Every(i64),
    /// `at '<cron expression>'`: a Quartz schedule, in UTC.
    Cron(String),
}

/// A table: its name, schema and keys.
#[derive(Clone, Debug)]
pub struct TablePlan {
    /// Its name.
    pub name: String,
    /// Its attributes.
    pub schema: Schema,
    /// Positions of the `@primaryKey` attributes (empty: no primary key).
    pub primary_key: Vec<usize>,
    /// Positions of the `@index` attributes.
    pub indexes: Vec<usize>,
}

/// A named window (`define window W (…) time(1 min) output all events`).
#[derive(Clone, Debug)]
pub struct NamedWindowPlan {
    /// Its name.
    pub name: String,
    /// Its attributes.
    pub schema: Schema,
    /// The window kind (classic name) and its arguments over the window's row.
    pub window: (String, Vec<TypedExpr>),
    /// Which events readers of the window receive.
    pub output: OutputEventType,
}

/// A partition and its queries.
#[derive(Clone, Debug)]
pub struct PartitionPlan {
    /// How each partitioned stream's events are assigned to partitions.
    pub keys: Vec<PartitionKeyPlan>,
    /// Its inner streams (`#S`) and their schemas.
    pub inner: Vec<(String, Schema)>,
    /// The queries inside.
    pub queries: Vec<QueryPlan>,
    /// `@purge(enable='true', …)`: when idle instances are dropped.
    pub purge: Option<PurgePlan>,
}

/// The internal stream that carries the failed events of stream `stream` to the
/// app's error store (`@OnError(action='STORE')`): `!!S`, a name no query can
/// spell, so only the engine writes it and only the server reads it.
pub fn error_store_stream(stream: &str) -> String {
    format!("!!{stream}")
}

/// The stream whose failed events internal stream `name` carries to the error
/// store, if `name` is one ([`error_store_stream`]).
pub fn stored_errors_of(name: &str) -> Option<&str> {
    name.strip_prefix("!!")
}

/// When a partition's idle instances are dropped (`@purge`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PurgePlan {
    /// How often the idle instances are looked for (ms of the app's clock).
    pub interval_ms: i64,
    /// How long an instance may go without an event before it is dropped (ms).
    pub idle_ms: i64,
}

/// How the events of one stream are assigned to partitions.
#[derive(Clone, Debug)]
pub struct PartitionKeyPlan {
    /// The stream.
    pub stream: String,
    /// The key.
    pub key: PartitionKeyKind,
}

/// A value key or range conditions.
#[derive(Clone, Debug)]
pub enum PartitionKeyKind {
    /// One partition per value of this expression over the stream's row.
    Value(TypedExpr),
    /// One partition per label; an event goes to every partition whose condition holds.
    Range(Vec<(TypedExpr, String)>),
}

/// One query, checked.
#[derive(Clone, Debug)]
pub struct QueryPlan {
    /// `@info(name)` or `query<N>`.
    pub name: String,
    /// What it reads.
    pub input: InputPlan,
    /// Output attributes over `input row ++ aggregate values`.
    pub projection: Vec<(String, TypedExpr)>,
    /// Aggregate calls, in order of appearance.
    pub aggregates: Vec<AggregateCall>,
    /// `group by` over the input row.
    pub group_by: Vec<TypedExpr>,
    /// `having` over the output row.
    pub having: Option<TypedExpr>,
    /// `order by` over the output row, descending flag.
    pub order_by: Vec<(TypedExpr, bool)>,
    /// `limit`.
    pub limit: Option<u64>,
    /// `offset`.
    pub offset: Option<u64>,
    /// `output … every …`.
    pub output_rate: Option<OutputRatePlan>,
    /// Where the output goes.
    pub output: OutputPlan,
    /// The output attributes.
    pub output_schema: Schema,
    /// Where the query is.
    pub span: Span,
}

/// What a query reads.
#[derive(Clone, Debug)]
pub enum InputPlan {
    /// One stream, table or window with its handlers.
    Single(SingleInputPlan),
    /// A join of two inputs.
    Join(Box<JoinPlan>),
    /// A pattern or sequence.
    Pattern(Box<PatternPlan>),
}

/// A pattern or sequence: its events (the inputs expressions refer to, in order of
/// appearance) and the state machine over them.
#[derive(Clone, Debug)]
pub struct PatternPlan {
    /// `->` (pattern) or `,` (sequence).
    pub kind: crate::ast::StateKind,
    /// The events.
    pub events: Vec<PatternEventPlan>,
    /// The state machine.
    pub state: StatePlan,
}

/// One event of a pattern: `e1=S[filter]`.
#[derive(Clone, Debug)]
pub struct PatternEventPlan {
    /// The stream.
    pub stream: String,
    /// Its attributes.
    pub schema: Schema,
    /// The filters, over all events (this one is the input of its own number).
    pub filters: Vec<TypedExpr>,
}

/// A node of a pattern's state machine; numbers are event numbers.
#[derive(Clone, Debug)]
pub enum StatePlan {
    /// One event.
    Stream(usize),
    /// No such event for a time (ms), or until the other side of an `and`.
    Absent(usize, Option<i64>),
    /// Both or either.
    Logical(crate::ast::LogicalOp, Box<StatePlan>, Box<StatePlan>),
    /// Between `min` and `max` events.
    Count(usize, u32, Option<u32>),
    /// One after the other.
    Next(Box<StatePlan>, Box<StatePlan>),
    /// Restarts whenever it completes.
    Every(Box<StatePlan>),
    /// Must complete within this many ms of its first event.
    Within(Box<StatePlan>, i64),
}

/// A join: both sides, the kind, which side triggers, and the condition over the
/// joined row (`left ++ right ++ presence`; attributes carry input 0 or 1, and
/// the two presence markers input [`JOIN_PRESENCE`]).
#[derive(Clone, Debug)]
pub struct JoinPlan {
    /// The first input.
    pub left: SingleInputPlan,
    /// The second input.
    pub right: SingleInputPlan,
    /// Inner or outer.
    pub kind: crate::ast::JoinKind,
    /// The only side whose arrivals trigger output, if one is.
    pub unidirectional: Option<crate::ast::JoinSide>,
    /// `on`.
    pub on: Option<TypedExpr>,
    /// Whether it reads a named aggregation with `within … per …`.
    pub aggregation: bool,
    /// `within start[, end]`, over the joined row (the stream side's attributes).
    pub within: Vec<TypedExpr>,
    /// `per duration`, over the joined row.
    pub per: Option<TypedExpr>,
}

impl JoinPlan {
    /// Where each input starts in the joined row: the left side, the right side
    /// and the presence markers ([`JOIN_PRESENCE`]).
    pub fn offsets(&self) -> [usize; 3] {
        let left = self.left.schema.len();
        [0, left, left + self.right.schema.len()]
    }
}

/// The input number of a joined row's two presence markers, which follow both
/// sides' attributes: position 0 for the left side, 1 for the right, each `true`
/// when that side has an event and null when an outer join found none. `t is
/// null` on a whole join side reads its marker, as the reference tests whether
/// the joined event has that side.
pub const JOIN_PRESENCE: usize = 2;

/// How many presence markers end a joined row ([`JOIN_PRESENCE`]).
pub const JOIN_PRESENCE_WIDTH: usize = 2;

/// `define aggregation A from S select … group by … aggregate [by ts] every …`.
#[derive(Clone, Debug)]
pub struct AggregationPlan {
    /// The aggregation's name.
    pub name: String,
    /// The stream it reads.
    pub stream: String,
    /// Filters on the stream's events (over the stream's row).
    pub filters: Vec<TypedExpr>,
    /// The selected attributes over `stream row ++ aggregate values`, in order
    /// (the aggregation's attributes after `AGG_TIMESTAMP`).
    pub projection: Vec<(String, TypedExpr)>,
    /// The aggregate calls of `projection`.
    pub aggregates: Vec<AggregateCall>,
    /// `group by`, over the stream's row.
    pub group_by: Vec<TypedExpr>,
    /// `aggregate by ts` (a long, or a `yyyy-MM-dd HH:mm:ss[ Z]` string); `None`: event time.
    pub timestamp: Option<TypedExpr>,
    /// The granularities kept, finest first: 0 sec, 1 min, 2 hour, 3 day, 4 month, 5 year.
    pub granularities: Vec<usize>,
    /// `AGG_TIMESTAMP` and the selected attributes.
    pub schema: Schema,
}

/// A single input.
#[derive(Clone, Debug)]
pub struct SingleInputPlan {
    /// The name read.
    pub name: String,
    /// What it is.
    pub kind: EntryKind,
    /// Its attributes.
    pub schema: Schema,
    /// Filters, stream functions and the window, in order.
    pub handlers: Vec<HandlerPlan>,
}

impl SingleInputPlan {
    /// The stream read, when the input is a stream.
    pub fn source_stream(&self) -> Option<&str> {
        (self.kind == EntryKind::Stream).then_some(self.name.as_str())
    }
}

/// One handler of a single input.
#[derive(Clone, Debug)]
pub enum HandlerPlan {
    /// A filter over the input row.
    Filter(TypedExpr),
    /// A window: classic name and arguments (over the input row).
    Window {
        /// The classic name (`time`, `lengthBatch`, `unique:time` …).
        name: String,
        /// The arguments.
        args: Vec<TypedExpr>,
    },
    /// A stream function.
    StreamFunction {
        /// Its qualified name.
        name: String,
        /// Its arguments.
        args: Vec<TypedExpr>,
    },
    /// `within start[, end] per duration` of an on-demand read of an aggregation.
    Within {
        /// The range (one pattern string, or a start and an end).
        range: Vec<TypedExpr>,
        /// The granularity.
        per: TypedExpr,
    },
}

/// A typed expression.
#[derive(Clone, Debug)]
pub struct TypedExpr {
    /// What it is.
    pub kind: TypedExprKind,
    /// Its type.
    pub ty: AttrType,
    /// Where it is.
    pub span: Span,
}

/// The forms of typed expression.
#[derive(Clone, Debug)]
pub enum TypedExprKind {
    /// A constant.
    Literal(Literal),
    /// An input attribute: input number (join side / pattern event) and position.
    Attribute {
        /// Which input.
        input: usize,
        /// Its position in that input's row.
        position: usize,
    },
    /// An output attribute (in `having` / `order by`).
    OutputAttribute(usize),
    /// The value of aggregate call number `index`, at `position` of the
    /// `input ++ aggregates` row.
    Aggregate {
        /// Which aggregate.
        index: usize,
        /// Its position in the extended row.
        position: usize,
    },
    /// A scalar function call (lower-case qualified name).
    Call {
        /// The name.
        name: String,
        /// The arguments.
        args: Vec<TypedExpr>,
    },
    /// A unary operator.
    Unary(UnaryOp, Box<TypedExpr>),
    /// A binary operator.
    Binary(BinaryOp, Box<TypedExpr>, Box<TypedExpr>),
    /// `x is null`.
    IsNull(Box<TypedExpr>),
    /// `e[n].attr` / `e[last - n].attr` of a counted pattern event (or, with
    /// [`ALL_EVENTS`], the list of every matched event's `attr`).
    Indexed {
        /// The event number.
        input: usize,
        /// `n` from the first (`>= 0`), `-1 - n` for `last - n`, or [`ALL_EVENTS`].
        index: i64,
        /// The attribute's position (`usize::MAX`: the event itself, which is
        /// null when there is none, as in `e2[last - 1] is null`).
        position: usize,
    },
    /// `cond in T`: whether some row of table (or named window) `table` satisfies
    /// `cond`, where the table's attributes are input number `input`.
    In {
        /// The table or window.
        table: String,
        /// The input number of the table's row in `cond`.
        input: usize,
        /// The condition.
        cond: Box<TypedExpr>,
    },
    /// A call of a script function the app defines.
    Script {
        /// The function.
        function: std::sync::Arc<ScriptFunction>,
        /// The arguments, passed in `data[]`.
        args: Vec<TypedExpr>,
    },
    /// Something checked but not compilable yet (event references).
    Unsupported(String),
}

/// One aggregate call.
#[derive(Clone, Debug)]
pub struct AggregateCall {
    /// The lower-case name.
    pub name: String,
    /// Its arguments over the input row.
    pub args: Vec<TypedExpr>,
    /// Its result type.
    pub ty: AttrType,
}

/// Output rate limiting.
#[derive(Clone, Debug)]
pub enum OutputRatePlan {
    /// Every N events.
    Events {
        /// Which events.
        which: RateWhich,
        /// N.
        count: u64,
    },
    /// Every period.
    Time {
        /// Which events.
        which: RateWhich,
        /// The period in ms.
        period_ms: i64,
    },
    /// Snapshot every period.
    Snapshot {
        /// The period in ms.
        period_ms: i64,
    },
}

/// Where a query's output goes.
#[derive(Clone, Debug)]
pub enum OutputPlan {
    /// Into a stream, table or window.
    Insert {
        /// The target name.
        target: String,
        /// What the target is.
        kind: EntryKind,
        /// Which events.
        events: OutputEventType,
    },
    /// Delete, update or upsert on a table.
    TableAction {
        /// The table.
        table: String,
        /// Which events.
        events: OutputEventType,
        /// What is done to the matching rows.
        action: TableActionKind,
        /// Which rows: a condition over `output row` (input 0) and `table row` (input 1).
        on: TypedExpr,
        /// `set`: table attribute position and its new value over the same two inputs.
        set: Vec<(usize, TypedExpr)>,
    },
    /// The query's own output only.
    Return {
        /// Which events.
        events: OutputEventType,
    },
}

/// What a table action does to the rows its condition matches.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TableActionKind {
    /// `delete`.
    Delete,
    /// `update`.
    Update,
    /// `update or insert into`: inserts the output row when nothing matches.
    UpdateOrInsert,
}

impl OutputPlan {
    /// Which events the output takes.
    pub fn events(&self) -> OutputEventType {
        match self {
            OutputPlan::Insert { events, .. }
            | OutputPlan::TableAction { events, .. }
            | OutputPlan::Return { events } => *events,
        }
    }
}
