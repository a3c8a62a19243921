//! What a sink does beyond its transport and mapper: what happens to an event
//! whose publish fails (`on.error`), and how its events are spread over several
//! destinations (`@distribution`).

use super::ConnectorPlan;
use crate::ast::Span;

/// A sink's `on.error`: what happens to an event its transport cannot publish.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum SinkOnError {
    /// `LOG` (the default): the failure is logged and the event dropped.
    #[default]
    Log,
    /// `WAIT`: the sink retries with back-off and holds the app's outputs back
    /// until the publish succeeds (or the app stops, which drops and logs it).
    Wait,
}

/// How a distributed sink picks the destinations of an event.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DistributionStrategy {
    /// `roundRobin`: one destination per event, in turn.
    RoundRobin,
    /// `partitioned`: the destination chosen by a stable hash of the partition
    /// key's value (the same value always goes to the same destination).
    Partitioned,
    /// `broadcast`: every destination gets every event.
    Broadcast,
}

/// `@distribution(strategy=…, partitionKey=…, @destination(…), …)` (or
/// Macrometa's `distribution.strategy`, `partitionKey`, `destination.key`
/// options) on a sink.
#[derive(Clone, Debug, PartialEq)]
pub struct DistributionPlan {
    /// How destinations are picked.
    pub strategy: DistributionStrategy,
    /// The position of the partition key among the stream's attributes
    /// (`partitioned` only).
    pub partition_key: Option<usize>,
    /// One transport per destination: the sink's type and options, with the
    /// destination's options over them; its span is the destination's.
    pub destinations: Vec<ConnectorPlan>,
    /// Where the distribution is written.
    pub span: Span,
}
