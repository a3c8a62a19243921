//! The graph the plan compiler hands to the runtime: which nodes read and write
//! which streams, where each runs, and the processor doing its work.

use super::message::{Kind, Msg, StreamId};
use crate::value::Row;
use crate::window::Emitted;
use std::sync::Arc;

/// An event a processor emits.
#[derive(Clone, Debug, PartialEq)]
pub struct Emit {
    /// Current or expired.
    pub kind: Kind,
    /// The output row.
    pub row: Row,
    /// The timestamp it carries.
    pub ts: i64,
    /// Which of the node's outputs it leaves by (see [`Node::outputs`]).
    pub port: usize,
}

impl Emit {
    /// An event leaving by output 0.
    pub fn new(kind: Kind, row: Row, ts: i64) -> Emit {
        Emit { kind, row, ts, port: 0 }
    }
}

/// The stateful (or stateless) work of one node, fed in logical-time order.
pub trait Processor {
    /// Event `msg` arrived on the node's input number `input`.
    fn on_event(&mut self, input: usize, msg: &Msg, out: &mut Vec<Emit>);
    /// The clock moved to `ts` (ms) with no event.
    fn on_tick(&mut self, _ts: i64, _out: &mut Vec<Emit>) {}
    /// The earliest clock time (ms) at which [`Processor::on_tick`] would release
    /// something: a window expiring or flushing, a rate-limit period ending, an
    /// absence period ending. When any event of the app moves the clock to or past
    /// it, the runtime ticks the processor at that event's logical time, as the
    /// reference's scheduler fires every due timer whenever the clock moves.
    /// `None`: nothing is waiting for the clock.
    fn next_deadline(&self) -> Option<i64> {
        None
    }
    /// A named window released `chunk` (at clock `now`) to input number `input`;
    /// `is_batch` says whether it is a batch. By default each event arrives alone.
    fn on_window_output(&mut self, input: usize, now: i64, chunk: Vec<Emitted>, is_batch: bool, out: &mut Vec<Emit>) {
        let _ = (now, is_batch);
        for e in chunk {
            let (kind, ev) = match e {
                Emitted::Current(ev) => (Kind::Current, ev),
                Emitted::Expired(ev) => (Kind::Expired, ev),
                Emitted::Reset => continue,
            };
            let msg = Msg { time: 0, stream: 0, order: Vec::new(), ts: ev.ts, kind, row: ev.row };
            self.on_event(input, &msg, out);
        }
    }
}

/// Makes a fresh processor (one per worker, or one per partition key).
pub type ProcessorFactory = Arc<dyn Fn() -> Box<dyn Processor> + Send + Sync>;

/// The partition keys of an event on input number `usize`: pushes one key per
/// partition the event belongs to (none: it belongs to no partition).
pub type KeyFn = Arc<dyn Fn(usize, &Msg, &mut Vec<crate::value::Value>) + Send + Sync>;

/// Where a node's instances run.
#[derive(Clone)]
pub enum Placement {
    /// Stateless: wherever its input is; ticks are not delivered.
    Anywhere,
    /// On one worker, chosen by the node's index.
    Single,
    /// One processor per key, spread over workers by the key's hash; the function
    /// gives the keys of an event (a copy goes to each). With a purge plan, keys
    /// idle for its period are dropped (`@purge` on a partition).
    Keyed(KeyFn, Option<sluice_frontend::logical::PurgePlan>),
}

/// Which of a node's output events go to its target stream.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Forward {
    /// Current events only.
    Current,
    /// Expired events only (delivered as current events).
    Expired,
    /// Both (delivered as current events).
    All,
}

impl Forward {
    /// Whether events of `kind` go through.
    pub fn accepts(self, kind: Kind) -> bool {
        match self {
            Forward::Current => kind == Kind::Current,
            Forward::Expired => kind == Kind::Expired,
            Forward::All => true,
        }
    }
}

/// One output of a node.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Port {
    /// The stream its events go to, if any, and which events.
    pub target: Option<(StreamId, Forward)>,
    /// The query whose callback sees its events (current and expired), if any.
    pub query: Option<usize>,
    /// Whether it carries answers to on-demand queries (always collected).
    pub answers: bool,
}

/// One node: a query, or a group of queries sharing tables and windows.
#[derive(Clone)]
pub struct Node {
    /// A name for logs.
    pub name: String,
    /// The streams it reads; input number `i` is `inputs[i]`.
    pub inputs: Vec<StreamId>,
    /// Its outputs; an emitted event leaves by output [`Emit::port`].
    pub outputs: Vec<Port>,
    /// Where it runs.
    pub placement: Placement,
    /// Makes its processor.
    pub factory: ProcessorFactory,
    /// For a keyed node: inputs whose events go to every key's processor that
    /// exists (streams read inside a partition without a key).
    pub broadcast: Vec<usize>,
}

/// A whole app's graph.
#[derive(Clone, Default)]
pub struct Graph {
    /// The nodes; a node may read the streams other nodes write.
    pub nodes: Vec<Node>,
    /// Streams whose events are collected as outputs.
    pub observed_streams: Vec<StreamId>,
    /// Queries whose own output (current and expired) is collected (query callbacks).
    pub observed_queries: Vec<usize>,
    /// Where the nodes publish their clock deadlines while running (a fresh board
    /// per run: see [`crate::app::CompiledApp::run_streaming_watched`]).
    pub deadlines: super::deadlines::DeadlineBoard,
}

impl Graph {
    /// The nodes in an order where every node comes after the producers of the
    /// streams it reads; `Err(name)` names a node on a cycle (or downstream of one).
    ///
    /// The order is that of repeated scans by index, taking each node whose
    /// producers are all taken: node `i` is taken in scan `p(i)`, the largest over
    /// its producers `j` of `p(j)` (when `j < i`, taken earlier in the same scan) or
    /// `p(j) + 1`; the order sorts by scan, then index. Computed in one pass over
    /// the edges (Kahn's algorithm), linear in the graph's size.
    pub fn topological_order(&self) -> Result<Vec<usize>, String> {
        let n = self.nodes.len();
        let mut producers: std::collections::HashMap<StreamId, Vec<usize>> = std::collections::HashMap::new();
        for (j, node) in self.nodes.iter().enumerate() {
            for s in node.outputs.iter().filter_map(|o| o.target.map(|t| t.0)) {
                let list = producers.entry(s).or_default();
                if list.last() != Some(&j) {
                    list.push(j);
                }
            }
        }
        // consumers[j]: the nodes reading a stream node j writes (each once).
        let mut consumers: Vec<Vec<usize>> = vec![Vec::new(); n];
        let mut waiting = vec![0usize; n];
        for (i, node) in self.nodes.iter().enumerate() {
            let mut deps: Vec<usize> = node
                .inputs
                .iter()
                .flat_map(|s| producers.get(s).into_iter().flatten().copied())
                .filter(|&j| j != i)
                .collect();
            deps.sort_unstable();
            deps.dedup();
            waiting[i] = deps.len();
            for j in deps {
                consumers[j].push(i);
            }
        }
        let mut scan = vec![0usize; n];
        let mut ready: Vec<usize> = (0..n).filter(|&i| waiting[i] == 0).collect();
        let mut taken = 0;
        while let Some(j) = ready.pop() {
            taken += 1;
            for &i in &consumers[j] {
                let at = if j < i { scan[j] } else { scan[j] + 1 };
                scan[i] = scan[i].max(at);
                waiting[i] -= 1;
                if waiting[i] == 0 {
                    ready.push(i);
                }
            }
        }
        if taken < n {
            let stuck = (0..n).find(|&i| waiting[i] > 0).unwrap_or(0);
            return Err(self.nodes[stuck].name.clone());
        }
        let mut order: Vec<usize> = (0..n).collect();
        order.sort_by_key(|&i| (scan[i], i));
        Ok(order)
    }
}
