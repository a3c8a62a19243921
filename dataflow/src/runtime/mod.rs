//! The runtime: turns a graph of query processors into a timely dataflow on N
//! workers, feeds it sequenced events, and collects outputs in logical-time order.
//!
//! * [`time`]: the logical time `(ts, seq)` of every event, packed into a `u128`.
//! * [`message`]: what travels on the dataflow's edges.
//! * [`graph`]: what the plan compiler hands over: nodes, the streams they read and
//!   write, where they run, and the [`graph::Processor`] that does their work.
//! * [`build`]: builds the timely operators of a graph in one worker.
//! * [`deadlines`]: the next clock deadline of each of many keyed processors.
//! * [`instances`]: the processors of one node on one worker, and its clock advances.
//! * [`execute`]: runs a graph over a finite input (files, golden cases).
//! * [`fault`]: what happens to an event whose processing fails (`@OnError`).

pub mod build;
pub mod deadlines;
pub mod execute;
pub mod fault;
pub mod graph;
pub mod instances;
pub mod message;
pub mod time;

#[cfg(test)]
mod tests;
