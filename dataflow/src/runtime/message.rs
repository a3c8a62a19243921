//! What travels on the dataflow's edges.

use crate::value::{Row, Value};
use serde::{Deserialize, Serialize};

/// Identifies a stream (or a table/window junction) within one app's graph.
pub type StreamId = u32;

/// The pseudo-stream of clock ticks.
pub const TICK: StreamId = StreamId::MAX;

/// The pseudo-stream of on-demand queries: a row `[id, query text]`, answered by
/// the node that holds the table or window the query reads.
pub const ON_DEMAND: StreamId = StreamId::MAX - 1;

/// Not a stream: a step on this id carries no event and takes no logical time; it
/// closes the current epoch and lets the dataflow catch up, so that what was sent
/// before it leaves without waiting for more input (a live server sends one when
/// its ingress queue runs dry).
pub const FLUSH: StreamId = StreamId::MAX - 2;

/// The pseudo-stream of clock advances: one message per epoch that lists the
/// logical times at which an event moved the app's clock forward (see
/// [`clock_row`]). Stateful nodes receive it like a tick and, at each of those
/// times, tick the processors whose [`super::graph::Processor::next_deadline`]
/// has come, as the reference's scheduler fires every due timer whenever any
/// event moves the clock.
pub const CLOCK: StreamId = StreamId::MAX - 3;

/// The row of a [`CLOCK`] message: each time as its `(ts, seq)` pair of longs.
pub fn clock_row(times: &[super::time::Time]) -> Row {
    let mut row = Vec::with_capacity(times.len() * 2);
    for &t in times {
        row.push(Value::Long(super::time::millis(t)));
        row.push(Value::Long(super::time::seq(t) as i64));
    }
    Row::from(row)
}

/// Appends the `(time, ts)` advances a [`CLOCK`] message's row lists to `out`.
pub fn read_clock_row(row: &Row, out: &mut Vec<(super::time::Time, i64)>) {
    for pair in row.chunks_exact(2) {
        if let (Value::Long(ts), Value::Long(seq)) = (&pair[0], &pair[1]) {
            out.push((super::time::pack(*ts, *seq as u64), *ts));
        }
    }
}

/// Orders messages that share a logical time: the events a query emits for one
/// input get the input's order plus `[node, k]`, which reproduces the depth-first
/// order in which the reference implementation delivers derived events.
pub type Order = Vec<u32>;

/// Whether an event enters or leaves a window.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Kind {
    /// An arriving event (Siddhi's CURRENT).
    Current,
    /// An event leaving a window (Siddhi's EXPIRED).
    Expired,
}

/// One message: an event of a stream, or a clock tick (`stream == TICK`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Msg {
    /// Its logical time `(ts, seq)` (see [`super::time`]); messages a query derives
    /// from an input keep the input's time.
    pub time: super::time::Time,
    /// The stream it belongs to.
    pub stream: StreamId,
    /// Its place among messages of the same logical time.
    pub order: Order,
    /// The event's own timestamp (ms); for a tick, the time the clock moved to.
    pub ts: i64,
    /// Current or expired.
    pub kind: Kind,
    /// The attribute values (empty for ticks).
    pub row: Row,
}

impl Msg {
    /// Whether this is a clock tick.
    pub fn is_tick(&self) -> bool {
        self.stream == TICK
    }
}
