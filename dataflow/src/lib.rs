//! Values, expression evaluation and the timely dataflow that runs Sluice apps.
//!
//! * [`value`], [`eval`], [`functions`], [`aggregate`], [`window`]: the language's
//!   values, operators, functions, aggregates and windows, independent of timely.
//! * [`query`]: per-query processors with the reference per-event semantics.
//! * [`runtime`]: the timely dataflow that feeds processors in logical-time order.
//! * [`compile`] and [`app`]: from a logical plan to a runnable app.

pub mod aggregate;
pub mod aggregation;
pub mod app;
pub mod compile;
pub mod eval;
pub mod functions;
pub mod query;
pub mod relation;
pub mod runtime;
pub mod trigger;
pub mod value;
pub mod window;
