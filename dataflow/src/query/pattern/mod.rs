//! The processor of a pattern or sequence query, a port of the reference's state
//! machine (Siddhi's `StreamPreStateProcessor` and its kin).
//!
//! Each state of the pattern (`e1=S`, a count `e1=S<n:m>`, each side of an
//! `and`/`or`, an absence `not S for t`) is a node with two lists of partial
//! matches ("state events"): `pending`, which the node's next event is offered to,
//! and `new`, where other nodes put partial matches for it; an event of a stream
//! first moves each of its nodes' `new` into `pending` (a sequence resets and
//! updates the whole chain instead), then offers itself to those nodes, the last
//! state first. A node that takes the event hands the partial match on to the next
//! node, to the first node of its `every` group (a copy with the group's events
//! cleared) and, at the end, to the selector. Partial matches are shared, as the
//! reference's objects are: both sides of an `and` hold the same one, and a
//! count keeps taking events into the match it has already handed on. Partial
//! matches older than `within` are dropped when an event arrives (re-arming the
//! `every` group they belong to); absences end on timers, in order, each at its
//! own time.

mod build;
mod machine;
mod receive;

pub use build::build;

use super::expr::{CExpr, Env};
use super::rate::{RateLimiter, RateSpec};
use super::selector::{ChunkEvent, Selected, Selector, SelectorSpec};
use crate::relation::Relations;
use crate::runtime::graph::{Emit, Processor};
use crate::runtime::message::{Kind, Msg};
use crate::value::Row;
use machine::{Done, Machine};
use std::rc::Rc;
use std::sync::Arc;

/// One pattern event: the input it arrives on and its filters.
#[derive(Clone, Debug)]
pub struct EventSpec {
    /// The query input number of its stream.
    pub input: usize,
    /// Its filters, over the flat row of all events.
    pub filters: Vec<CExpr>,
    /// Whether the filters read counted events by index (`e2[last].price`).
    pub indexed: bool,
    /// How many attributes it has.
    pub width: usize,
}

/// What kind of state a node is.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum NodeKind {
    /// One event.
    Stream,
    /// Between `min` and `max` events (`u32::MAX`: no bound).
    Count {
        /// The fewest events.
        min: u32,
        /// The most events.
        max: u32,
    },
    /// One side of an `and` (`and: true`) or `or`; `partner` is the other side.
    Logical {
        /// `and` rather than `or`.
        and: bool,
        /// The node of the other side.
        partner: usize,
    },
    /// `not S for wait` on its own.
    Absent {
        /// The period, ms.
        wait: i64,
    },
    /// `not S [for wait]` as one side of an `and`/`or`.
    AbsentLogical {
        /// `and` rather than `or`.
        and: bool,
        /// The node of the other side.
        partner: usize,
        /// The period, ms, if it has one.
        wait: Option<i64>,
    },
}

/// One node of the state machine, numbered as the reference numbers its states.
#[derive(Clone, Debug)]
pub struct NodeSpec {
    /// The pattern event (slot) it fills.
    pub event: usize,
    /// What it is.
    pub kind: NodeKind,
    /// Whether it is a start state (a match may begin at it).
    pub start: bool,
    /// The node a partial match moves on to.
    pub next: Option<usize>,
    /// The first node of the `every` group this node ends.
    pub next_every: Option<usize>,
    /// The zero-minimum start count of a sequence to restart when this node takes
    /// an event (or refuses one).
    pub callback: Option<usize>,
    /// The first node of the `every` group this node is in.
    pub within_every: Option<usize>,
    /// Whether a partial match it completes goes to the selector.
    pub last: bool,
    /// The node whose "returned" flag says this node's event completed a match.
    pub this_last: usize,
}

/// How nodes are reset and updated before each event of a sequence, and started.
#[derive(Clone, Debug)]
pub enum Runtime {
    /// One node.
    Node(usize),
    /// One after the other.
    Next(Box<Runtime>, Box<Runtime>),
    /// `every`: the inner runtime and its first node.
    Every(Box<Runtime>, usize),
    /// `and`/`or`: the nodes of the first and second sides.
    Logical(usize, usize),
}

/// The compiled form of a pattern query.
#[derive(Clone)]
pub struct PatternSpec {
    /// The events.
    pub events: Vec<EventSpec>,
    /// The nodes, in the reference's order of states.
    pub nodes: Vec<NodeSpec>,
    /// The runtime tree.
    pub runtime: Runtime,
    /// The nodes of each query input, in order.
    pub by_input: Vec<Vec<usize>>,
    /// A sequence (strict) rather than a pattern.
    pub sequence: bool,
    /// `within`, ms.
    pub within: Option<i64>,
    /// The selector over the flat row of all events.
    pub selector: Arc<SelectorSpec>,
    /// Rate limiting.
    pub rate: RateSpec,
}

/// A running pattern query.
pub struct PatternQuery {
    machine: Machine,
    selector: Selector,
    rate: RateLimiter,
}

impl PatternQuery {
    /// A pattern with its start states armed.
    pub fn new(spec: Arc<PatternSpec>) -> PatternQuery {
        let selector = Selector::new(spec.selector.clone());
        let rate = RateLimiter::new(spec.rate.clone());
        let mut machine = Machine::new(spec);
        machine.start();
        PatternQuery { machine, selector, rate }
    }

    /// The same pattern reading `relations` (for `in T`).
    pub fn with_relations(mut self, relations: Option<Rc<Relations>>) -> PatternQuery {
        self.machine.relations = relations;
        self
    }

    /// Sends completed matches through the selector and rate limiter.
    fn emit(&mut self, done: Vec<Done>, ts: i64, out: &mut Vec<Emit>) {
        if done.is_empty() {
            return;
        }
        let env = Env::new(ts, self.machine.now, &self.machine.relations);
        let mut selected: Vec<Selected> = Vec::new();
        for ((flat, captured), expired) in done {
            let flat: Row = Arc::from(flat);
            let mut env = env.clone();
            env.captured = Some(Rc::new(captured));
            let kind = if expired { Kind::Expired } else { Kind::Current };
            self.selector.process(&[ChunkEvent::Event { kind, row: flat, ts }], false, &env, &mut selected);
        }
        self.rate.process_into(selected, self.machine.now, out);
    }

    /// Fires the absence timers due by `ts`, each at its own time.
    fn advance(&mut self, ts: i64, out: &mut Vec<Emit>) {
        self.machine.now = self.machine.now.max(ts);
        while let Some((node, at)) = self.machine.due_timer(ts) {
            let done = self.machine.fire(node, at);
            self.emit(done, at, out);
        }
    }
}

impl Processor for PatternQuery {
    fn on_event(&mut self, input: usize, msg: &Msg, out: &mut Vec<Emit>) {
        if msg.ts > self.machine.now {
            self.on_tick(msg.ts, out);
        }
        self.machine.now = self.machine.now.max(msg.ts);
        self.rate.start(self.machine.now);
        let done = self.machine.receive(input, &msg.row, msg.ts);
        self.emit(done, msg.ts, out);
    }

    fn on_tick(&mut self, ts: i64, out: &mut Vec<Emit>) {
        while let Some(end) = self.rate.period_end_by(ts) {
            self.advance(end - 1, out);
            self.rate.tick_into(end, out);
        }
        self.advance(ts, out);
        self.rate.tick_into(self.machine.now, out);
    }

    fn next_deadline(&self) -> Option<i64> {
        super::single::earliest(self.machine.next_timer(), self.rate.next_deadline())
    }
}
