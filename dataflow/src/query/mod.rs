//! Query processors: the per-event semantics of queries, independent of timely.
//! The runtime feeds them events in logical-time order; they keep window,
//! aggregate and rate-limit state and emit output events.

pub mod akslack;
pub mod dedup;
pub mod expr;
pub mod geo_stream;
pub mod group;
pub mod join;
pub mod keyed;
pub mod kslack;
pub mod log_events;
pub mod pattern;
pub mod rate;
pub mod selector;
pub mod single;
pub mod snapshot;
pub mod stream_processor;
pub mod tokenize;
