//! A compiled app: the graph built from a logical plan, its stream ids and
//! schemas, and running it over a finite input.

use crate::runtime::build::Dest;
use crate::runtime::deadlines::DeadlineBoard;
use crate::runtime::execute::{run_streaming_with_idle, Step, Workers};
use crate::runtime::graph::Graph;
use crate::runtime::message::{Kind, Msg, StreamId, FLUSH, ON_DEMAND, TICK};
use crate::runtime::time::{Sequencer, Time};
use crate::value::{Row, Value};
use sluice_frontend::ast::AttrType;
use sluice_frontend::logical::AppPlan;
use std::collections::HashMap;
use std::sync::Arc;

pub use crate::compile::compile;

/// One item of input.
#[derive(Clone, Debug)]
pub enum InputItem {
    /// An event of a stream, with its timestamp (ms).
    Event {
        /// The stream name.
        stream: String,
        /// Its values, typed as the stream declares.
        values: Vec<Value>,
        /// Its timestamp.
        ts: i64,
    },
    /// The clock moves to this time (ms) with no event.
    Tick(i64),
    /// Not an event: closes the current batch of input so that what came before
    /// leaves the dataflow now; takes no logical time. A live feeder sends one when
    /// its queue runs dry.
    Flush,
    /// An on-demand query, answered as of this point of the input (see
    /// [`OutputSource::Answer`]); check it first with [`CompiledApp::check_on_demand`].
    Query {
        /// Identifies the answer.
        id: u64,
        /// The query text (`from T on … select …`).
        text: String,
    },
}

impl InputItem {
    /// The logical time `sequencer` hands this item (none for a flush, which takes
    /// no time). [`CompiledApp::run_streaming`] stamps its input with this; a feeder
    /// that calls it on its own sequencer, for the same items in the same order,
    /// knows the times the dataflow uses.
    pub fn sequence(&self, sequencer: &mut Sequencer) -> Option<Time> {
        match self {
            InputItem::Event { ts, .. } | InputItem::Tick(ts) => Some(sequencer.next(*ts)),
            InputItem::Query { .. } => Some(sequencer.next(sequencer.now())),
            InputItem::Flush => None,
        }
    }
}

/// Where an output event was observed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum OutputSource {
    /// Inserted into this stream.
    Stream(String),
    /// Emitted by this query (as its callback sees it).
    Query(String),
    /// A row of the answer to on-demand query `id`; the answer ends with an
    /// expired event whose row is empty, or holds the error message.
    Answer(u64),
}

/// An output event.
#[derive(Clone, Debug)]
pub struct OutputEvent {
    /// Where it was observed.
    pub source: OutputSource,
    /// Current or expired.
    pub kind: Kind,
    /// The values.
    pub row: Row,
    /// The timestamp it carries.
    pub ts: i64,
    /// The logical time it was emitted at (its input's, or just before the
    /// event that released it): what a recovering server compares with the end
    /// of the replayed input to hold back outputs it already delivered.
    pub time: crate::runtime::time::Time,
}

/// An app ready to run.
pub struct CompiledApp {
    /// The plan it came from.
    pub plan: AppPlan,
    /// Its dataflow graph.
    pub graph: Graph,
    /// Ids of every stream by name.
    pub stream_ids: HashMap<String, StreamId>,
    /// Schemas of the streams events may be sent to.
    pub input_types: HashMap<String, Vec<AttrType>>,
    /// Names of the queries, by query number.
    pub query_names: Vec<String>,
    /// Attribute names of every stream.
    pub attribute_names: HashMap<String, Vec<String>>,
    /// The streams queries insert into, in definition order.
    pub output_streams: Vec<String>,
    /// Its triggers' schedules, not started: whoever admits input (`sluice run`,
    /// `sluice test`, the server's ingress) takes a copy and inserts the trigger
    /// events due before each item ([`crate::trigger::with_triggers`]).
    pub triggers: crate::trigger::TriggerClock,
}

impl CompiledApp {
    /// The attribute types of stream `name`, if events can be sent to it.
    pub fn input_schema(&self, name: &str) -> Option<&[AttrType]> {
        self.input_types.get(name).map(|v| v.as_slice())
    }

    /// Runs the app over `items` on `workers` threads and returns what `observe`
    /// names produced (`"S"` for a stream, `"query:q"` for a query's own output).
    pub fn run(
        &self,
        items: Vec<InputItem>,
        workers: impl Into<Workers>,
        observe: &[String],
    ) -> Result<Vec<OutputEvent>, String> {
        let mut outputs = Vec::new();
        self.run_streaming(items.into_iter(), workers, observe, |o| outputs.push(o))?;
        Ok(outputs)
    }

    /// Runs the app over the items an iterator yields (consumed lazily on worker 0)
    /// and calls `on_output` for every observed output event, in logical-time order.
    pub fn run_streaming<I>(
        &self,
        items: I,
        workers: impl Into<Workers>,
        observe: &[String],
        on_output: impl FnMut(OutputEvent),
    ) -> Result<(), String>
    where
        I: Iterator<Item = InputItem> + Send + 'static,
    {
        self.run_streaming_with_idle(items, workers, observe, on_output, || {})
    }

    /// [`CompiledApp::run_streaming`], calling `on_idle` whenever no output is
    /// waiting for `on_output` (where a writer flushes).
    pub fn run_streaming_with_idle<I>(
        &self,
        items: I,
        workers: impl Into<Workers>,
        observe: &[String],
        on_output: impl FnMut(OutputEvent),
        on_idle: impl FnMut(),
    ) -> Result<(), String>
    where
        I: Iterator<Item = InputItem> + Send + 'static,
    {
        self.run_streaming_watched(items, workers, observe, on_output, on_idle, DeadlineBoard::default())
    }

    /// [`CompiledApp::run_streaming_with_idle`], publishing on `deadlines` the
    /// earliest clock time at which any processor would release something, so
    /// that whoever drives a live app's clock ticks it only when that matters.
    pub fn run_streaming_watched<I>(
        &self,
        items: I,
        workers: impl Into<Workers>,
        observe: &[String],
        mut on_output: impl FnMut(OutputEvent),
        on_idle: impl FnMut(),
        deadlines: DeadlineBoard,
    ) -> Result<(), String>
    where
        I: Iterator<Item = InputItem> + Send + 'static,
    {
        let mut graph = self.graph.clone();
        graph.deadlines = deadlines;
        graph.observed_streams.clear();
        graph.observed_queries.clear();
        for o in observe {
            match o.strip_prefix("query:") {
                Some(q) => {
                    let idx = self.query_names.iter().position(|n| n == q).ok_or(format!("no query named '{q}'"))?;
                    graph.observed_queries.push(idx);
                }
                None => {
                    let id = self.stream_ids.get(o).ok_or(format!("no stream named '{o}'"))?;
                    graph.observed_streams.push(*id);
                }
            }
        }
        let ids = self.stream_ids.clone();
        let mut sequencer = Sequencer::new();
        let steps = items.filter_map(move |item| {
            let stream = match &item {
                InputItem::Event { stream, .. } => *ids.get(stream)?,
                InputItem::Query { .. } => ON_DEMAND,
                InputItem::Flush => FLUSH,
                InputItem::Tick(_) => TICK,
            };
            let time = item.sequence(&mut sequencer).unwrap_or(0);
            let (ts, row): (i64, Row) = match item {
                InputItem::Event { values, ts, .. } => (ts, Arc::from(values)),
                InputItem::Query { id, text } => {
                    (sequencer.now(), Arc::from(vec![Value::Long(id as i64), Value::String(Arc::from(text.as_str()))]))
                }
                InputItem::Flush => (sequencer.now(), Arc::from(Vec::new())),
                InputItem::Tick(ts) => (ts, Arc::from(Vec::new())),
            };
            Some(Step { time, msg: Msg { time, stream, order: Vec::new(), ts, kind: Kind::Current, row } })
        });
        let stream_names: HashMap<StreamId, String> = self.stream_ids.iter().map(|(k, v)| (*v, k.clone())).collect();
        let query_names = self.query_names.clone();
        run_streaming_with_idle(
            graph,
            steps,
            workers,
            |o| {
                let (source, row) = match o.dest {
                    Dest::Stream(s) => {
                        (OutputSource::Stream(stream_names.get(&s).cloned().unwrap_or_default()), o.msg.row)
                    }
                    Dest::Query(n) => (OutputSource::Query(query_names[n].clone()), o.msg.row),
                    Dest::Answer => {
                        let id = o.msg.row.first().and_then(Value::as_i64).unwrap_or(-1) as u64;
                        (OutputSource::Answer(id), Arc::from(o.msg.row.get(1..).unwrap_or(&[]).to_vec()))
                    }
                };
                on_output(OutputEvent { source, kind: o.msg.kind, row, ts: o.msg.ts, time: o.msg.time })
            },
            on_idle,
        )
    }

    /// Checks an on-demand query against this app; the error is rendered with the
    /// query's line and column.
    pub fn check_on_demand(&self, text: &str) -> Result<sluice_frontend::logical::QueryPlan, String> {
        crate::compile::plan_on_demand(&self.plan, text).map(|(plan, _)| plan)
    }

    /// The attribute names of stream `name` (empty when unknown).
    pub fn attribute_names(&self, name: &str) -> Vec<String> {
        self.attribute_names.get(name).cloned().unwrap_or_default()
    }
}
