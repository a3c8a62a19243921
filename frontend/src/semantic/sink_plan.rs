//! A sink's `on.error` and `@distribution` (Macrometa spells the latter as the
//! options `distribution.strategy`, `partitionKey` and `destination.key`, a key
//! written again starting the next destination). Each destination becomes a
//! transport of the sink's type with the destination's options over the sink's;
//! the mandatory options of the type are checked on every destination.

use super::io::SINK_TRANSPORTS;
use super::Analyzer;
use crate::ast::{Annotation, AnnotationElement, AttrType, Span};
use crate::logical::{ConnectorOption, ConnectorPlan, DistributionPlan, DistributionStrategy, SinkOnError};

/// The strategies a `@distribution` takes.
const STRATEGIES: &[(&str, DistributionStrategy)] = &[
    ("roundRobin", DistributionStrategy::RoundRobin),
    ("partitioned", DistributionStrategy::Partitioned),
    ("broadcast", DistributionStrategy::Broadcast),
];

/// Whether a sink annotation distributes its events over destinations.
pub(super) fn is_distributed(a: &Annotation) -> bool {
    a.nested("distribution").next().is_some() || a.property("distribution.strategy").is_some()
}

/// The `key = 'value'` properties of an annotation, as options.
fn properties(a: &Annotation) -> Vec<ConnectorOption> {
    a.elements
        .iter()
        .filter_map(|e| match e {
            AnnotationElement::Property { key: Some(k), value, span } => {
                Some(ConnectorOption { key: k.clone(), value: value.clone(), span: *span })
            }
            _ => None,
        })
        .collect()
}

/// What a distribution says before it is checked.
struct Written {
    strategy: Option<ConnectorOption>,
    partition_key: Option<ConnectorOption>,
    destinations: Vec<(Vec<ConnectorOption>, Span)>,
    span: Span,
}

impl Analyzer {
    /// A sink's `on.error` (`None` after an error): LOG or WAIT; STREAM is refused
    /// as not built.
    pub(super) fn sink_on_error(&mut self, transport: &ConnectorPlan) -> Option<SinkOnError> {
        let Some(o) = transport.options.iter().find(|o| o.key.eq_ignore_ascii_case("on.error")) else {
            return Some(SinkOnError::Log);
        };
        match o.value.to_ascii_uppercase().as_str() {
            "LOG" => Some(SinkOnError::Log),
            "WAIT" if matches!(transport.kind.as_str(), "tcp" | "sse-server" | "http-service-response") => {
                self.not_built(
                    o.span,
                    format!(
                        "on.error 'WAIT' on a {} sink (it logs and drops what it cannot send); LOG is built",
                        transport.kind
                    ),
                );
                None
            }
            "WAIT" => Some(SinkOnError::Wait),
            "STREAM" => {
                self.not_built(
                    o.span,
                    "on.error 'STREAM' on a sink (its failed events into the fault stream); LOG and WAIT are built",
                );
                None
            }
            other => {
                self.error(o.span, format!("on.error '{other}' is not one of LOG, WAIT, STREAM"));
                None
            }
        }
    }

    /// The distribution of a sink, if it has one: `Err` after an error. The
    /// Macrometa options of a distribution are taken out of `transport`.
    pub(super) fn sink_distribution(
        &mut self,
        a: &Annotation,
        transport: &mut ConnectorPlan,
        stream: &str,
        attrs: &[(String, AttrType)],
    ) -> Result<Option<DistributionPlan>, ()> {
        let Some(written) = self.written_distribution(a, transport)? else { return Ok(None) };
        let mut ok = true;
        let strategy = match &written.strategy {
            None => {
                self.error(written.span, "a distribution needs a `strategy` (roundRobin, partitioned or broadcast)");
                None
            }
            Some(o) => match STRATEGIES.iter().find(|(n, _)| n.eq_ignore_ascii_case(&o.value)) {
                Some((_, s)) => Some(*s),
                None => {
                    self.error(
                        o.span,
                        format!("distribution strategy '{}' is not one of roundRobin, partitioned, broadcast", o.value),
                    );
                    None
                }
            },
        };
        let mut partition_key = None;
        match (strategy, &written.partition_key) {
            (Some(DistributionStrategy::Partitioned), None) => {
                self.error(
                    written.span,
                    "the partitioned strategy needs a `partitionKey` (an attribute of the stream)",
                );
                ok = false;
            }
            (Some(DistributionStrategy::Partitioned), Some(key)) => {
                partition_key = attrs.iter().position(|(n, _)| *n == key.value);
                if partition_key.is_none() {
                    let names: Vec<&str> = attrs.iter().map(|(n, _)| n.as_str()).collect();
                    self.error(
                        key.span,
                        format!(
                            "partitionKey '{}' is not an attribute of stream '{stream}' (it has: {})",
                            key.value,
                            names.join(", ")
                        ),
                    );
                    ok = false;
                }
            }
            (Some(_), Some(key)) => {
                self.warn(key.span, "partitionKey is read by the partitioned strategy only");
            }
            _ => {}
        }
        if written.destinations.is_empty() {
            self.error(written.span, "a distribution needs at least one destination (`@destination(…)`)");
            ok = false;
        }
        let mandatory = SINK_TRANSPORTS.iter().find(|(n, _)| *n == transport.kind).map_or(&[][..], |(_, m)| *m);
        let mut destinations = Vec::new();
        for (options, span) in written.destinations {
            let mut merged: Vec<ConnectorOption> = transport
                .options
                .iter()
                .filter(|s| !options.iter().any(|d| d.key.eq_ignore_ascii_case(&s.key)))
                .cloned()
                .collect();
            merged.extend(options);
            let plan = ConnectorPlan { kind: transport.kind.clone(), options: merged, span };
            for key in mandatory {
                if plan.option(key).is_none_or(|v| v.trim().is_empty()) {
                    let kind = &transport.kind;
                    self.error(
                        span,
                        format!("sink type '{kind}' needs the option `{key}` (on the sink or this destination)"),
                    );
                    ok = false;
                }
            }
            destinations.push(plan);
        }
        match strategy {
            Some(strategy) if ok => {
                Ok(Some(DistributionPlan { strategy, partition_key, destinations, span: written.span }))
            }
            _ => Err(()),
        }
    }

    /// The distribution as written, either spelling (`Err` after an error).
    fn written_distribution(&mut self, a: &Annotation, transport: &mut ConnectorPlan) -> Result<Option<Written>, ()> {
        let mut nested = a.nested("distribution");
        let classic = nested.next();
        if let Some(second) = nested.next() {
            self.error(second.span, "a sink has one @distribution");
            return Err(());
        }
        let macrometa = transport.options.iter().any(|o| o.key.eq_ignore_ascii_case("distribution.strategy"));
        if let Some(d) = classic {
            if macrometa {
                self.error(
                    d.span,
                    "a sink has one distribution: this @distribution, or the `distribution.strategy` option",
                );
                return Err(());
            }
            let mut written = Written { strategy: None, partition_key: None, destinations: Vec::new(), span: d.span };
            let mut ok = true;
            for e in &d.elements {
                match e {
                    AnnotationElement::Property { key: Some(k), value, span } if k.eq_ignore_ascii_case("strategy") => {
                        written.strategy = Some(ConnectorOption { key: k.clone(), value: value.clone(), span: *span })
                    }
                    AnnotationElement::Property { key: Some(k), value, span }
                        if k.eq_ignore_ascii_case("partitionKey") =>
                    {
                        written.partition_key =
                            Some(ConnectorOption { key: k.clone(), value: value.clone(), span: *span })
                    }
                    AnnotationElement::Nested(n) if n.name.eq_ignore_ascii_case("destination") => {
                        let options = properties(n);
                        if let Some(t) = options.iter().find(|o| o.key.eq_ignore_ascii_case("type")) {
                            self.error(t.span, "a destination has its sink's type");
                            ok = false;
                        }
                        if n.elements.len() != options.len() {
                            self.error(n.span, "@destination holds `key = 'value'` options");
                            ok = false;
                        }
                        written.destinations.push((options, n.span));
                    }
                    AnnotationElement::Property { span, .. } => {
                        self.error(*span, "@distribution takes `strategy`, `partitionKey` and @destination(…)s");
                        ok = false;
                    }
                    AnnotationElement::Nested(n) => {
                        self.error(n.span, format!("@{} in a @distribution: it takes @destination(…)s", n.name));
                        ok = false;
                    }
                }
            }
            return if ok { Ok(Some(written)) } else { Err(()) };
        }
        if !macrometa {
            return Ok(None);
        }
        let mut written = Written { strategy: None, partition_key: None, destinations: Vec::new(), span: a.span };
        let mut current: Vec<ConnectorOption> = Vec::new();
        let mut rest = Vec::new();
        for o in std::mem::take(&mut transport.options) {
            let lower = o.key.to_ascii_lowercase();
            if lower == "distribution.strategy" {
                written.span = o.span;
                written.strategy = Some(o);
            } else if lower == "partitionkey" {
                written.partition_key = Some(o);
            } else if let Some(key) = o.key.get("destination.".len()..).filter(|_| lower.starts_with("destination.")) {
                if current.iter().any(|c| c.key.eq_ignore_ascii_case(key)) {
                    let span = current[0].span.to(current[current.len() - 1].span);
                    written.destinations.push((std::mem::take(&mut current), span));
                }
                current.push(ConnectorOption { key: key.to_string(), value: o.value, span: o.span });
            } else {
                rest.push(o);
            }
        }
        if !current.is_empty() {
            let span = current[0].span.to(current[current.len() - 1].span);
            written.destinations.push((current, span));
        }
        transport.options = rest;
        Ok(Some(written))
    }
}
