//! A stream's `@source`/`@sink` annotations (and Macrometa's `CREATE SOURCE`/
//! `CREATE SINK`, which the parser turns into them): the transports and mappers
//! Sluice runs become [`SourcePlan`]s and [`SinkPlan`]s; every other transport or
//! mapper is refused at its line and column with the list of those that work.
//! The mapper's own options (JSONPaths, regular expressions) are checked by the
//! connectors crate, which builds the mappers.

use super::Analyzer;
use crate::ast::{Annotation, AnnotationElement, AttrType};
use crate::logical::{ConnectorOption, ConnectorPlan, MappedAttribute, MapperPlan, SinkPlan, SourcePlan};

/// The source transports Sluice runs, each with its mandatory options (a
/// `stream` source without `stream.list`, or sink without `stream`, uses the
/// Macrometa stream of its own name).
pub const SOURCE_TRANSPORTS: &[(&str, &[&str])] = &[
    ("file", &["file.uri"]),
    ("inMemory", &["topic"]),
    ("stream", &[]),
    ("mqtt", &["url", "topic"]),
    ("http", &[]),
    ("http-call-response", &["sink.id"]),
    ("tcp", &[]),
    ("sse", &["receiver.url"]),
    ("http-service", &["source.id"]),
];

/// The sink transports Sluice runs, each with its mandatory options.
pub const SINK_TRANSPORTS: &[(&str, &[&str])] = &[
    ("log", &[]),
    ("file", &["file.uri"]),
    ("inMemory", &["topic"]),
    ("stream", &[]),
    ("mqtt", &["url", "topic"]),
    ("http", &["publisher.url"]),
    ("http-call", &["publisher.url", "sink.id"]),
    ("tcp", &["url"]),
    ("sse-server", &["server.port"]),
    ("http-service-response", &["source.id", "message.id"]),
];

/// The mappers Sluice runs (for sources and sinks alike).
pub const MAPPERS: &[&str] = &["json", "csv", "text", "keyvalue", "xml", "passThrough"];

/// Whether an annotation is a source or a sink.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Direction {
    Source,
    Sink,
}

impl Direction {
    fn word(self) -> &'static str {
        match self {
            Direction::Source => "source",
            Direction::Sink => "sink",
        }
    }
    fn transports(self) -> &'static [(&'static str, &'static [&'static str])] {
        match self {
            Direction::Source => SOURCE_TRANSPORTS,
            Direction::Sink => SINK_TRANSPORTS,
        }
    }
}

fn names(list: impl IntoIterator<Item = &'static str>) -> String {
    list.into_iter().collect::<Vec<_>>().join(", ")
}

/// The `key = 'value'` options of an annotation other than `type`.
fn options(a: &Annotation) -> Vec<ConnectorOption> {
    a.elements
        .iter()
        .filter_map(|e| match e {
            AnnotationElement::Property { key: Some(k), value, span } if !k.eq_ignore_ascii_case("type") => {
                Some(ConnectorOption { key: k.clone(), value: value.clone(), span: *span })
            }
            _ => None,
        })
        .collect()
}

impl Analyzer {
    /// A stream's annotations: each `@source`/`@sink` becomes a plan when its
    /// transport and mapper are built; `@OnError` is checked.
    /// Returns where the stream's failed events go when not logged
    /// (`@OnError(action='STREAM'|'STORE')`).
    pub(super) fn io_annotations(
        &mut self,
        stream: &str,
        attrs: &[(String, AttrType)],
        annotations: &[Annotation],
    ) -> Option<FaultAction> {
        let mut fault_stream = None;
        for a in annotations {
            let kind = a.name.to_ascii_lowercase();
            if kind == "onerror" {
                fault_stream = self.on_error(a).or(fault_stream);
                continue;
            }
            let direction = match kind.as_str() {
                "source" => Direction::Source,
                "sink" => Direction::Sink,
                _ => continue,
            };
            let Some(mut transport) = self.transport(direction, a) else { continue };
            let Some(mapper) = self.mapper(direction, a) else { continue };
            match direction {
                Direction::Source => self.sources.push(SourcePlan { stream: stream.to_string(), transport, mapper }),
                Direction::Sink => {
                    let distribution = self.sink_distribution(a, &mut transport, stream, attrs);
                    let (Ok(distribution), Some(on_error)) = (distribution, self.sink_on_error(&transport)) else {
                        continue;
                    };
                    let stream = stream.to_string();
                    self.sinks.push(SinkPlan { stream, transport, mapper, on_error, distribution });
                }
            }
        }
        fault_stream
    }

    /// The transport of a `@source`/`@sink`, if it is built and has its mandatory options.
    fn transport(&mut self, direction: Direction, a: &Annotation) -> Option<ConnectorPlan> {
        let word = direction.word();
        let Some(ty) = a.property("type") else {
            self.error(a.span, format!("@{} needs a `type`", a.name));
            return None;
        };
        let built = direction.transports().iter().find(|(name, _)| name.eq_ignore_ascii_case(ty));
        let Some((name, mandatory)) = built else {
            self.not_built(
                a.span,
                format!(
                    "{word} type '{ty}': the {word}s Sluice runs are {}",
                    names(direction.transports().iter().map(|(n, _)| *n))
                ),
            );
            return None;
        };
        let plan = ConnectorPlan { kind: name.to_string(), options: options(a), span: a.span };
        let mut complete = true;
        // A distributed sink's mandatory options are checked on each destination.
        let distributed = direction == Direction::Sink && super::sink_plan::is_distributed(a);
        for key in mandatory.iter().filter(|_| !distributed) {
            if plan.option(key).is_none_or(|v| v.trim().is_empty()) {
                self.error(a.span, format!("{word} type '{name}' needs the option `{key}`"));
                complete = false;
            }
        }
        complete.then_some(plan)
    }

    /// The mapper of a `@source`/`@sink` (`passThrough` without `@map`), if built.
    fn mapper(&mut self, direction: Direction, a: &Annotation) -> Option<MapperPlan> {
        let mut maps = a.nested("map");
        let Some(map) = maps.next() else {
            return Some(MapperPlan {
                kind: "passThrough".into(),
                options: Vec::new(),
                attributes: Vec::new(),
                payload: None,
                span: a.span,
            });
        };
        if let Some(second) = maps.next() {
            self.error(second.span, format!("a {} has one @map", direction.word()));
            return None;
        }
        let ty = map.property("type").unwrap_or("passThrough");
        let Some(kind) = MAPPERS.iter().find(|m| m.eq_ignore_ascii_case(ty)) else {
            self.not_built(
                map.span,
                format!("mapper '{ty}': the mappers Sluice runs are {}", names(MAPPERS.iter().copied())),
            );
            return None;
        };
        let mut plan = MapperPlan {
            kind: kind.to_string(),
            options: options(map),
            attributes: Vec::new(),
            payload: None,
            span: map.span,
        };
        let mut ok = true;
        for e in &map.elements {
            let AnnotationElement::Nested(inner) = e else { continue };
            let name = inner.name.to_ascii_lowercase();
            match (name.as_str(), direction) {
                ("attributes", Direction::Source) => plan.attributes = self.mapped_attributes(inner),
                ("payload", Direction::Sink) => match inner.elements.as_slice() {
                    [AnnotationElement::Property { value, span, .. }] => {
                        plan.payload =
                            Some(ConnectorOption { key: "payload".into(), value: value.clone(), span: *span })
                    }
                    _ => {
                        self.error(inner.span, "@payload takes one template text");
                        ok = false;
                    }
                },
                _ => {
                    let allowed = match direction {
                        Direction::Source => "@attributes",
                        Direction::Sink => "@payload",
                    };
                    self.error(
                        inner.span,
                        format!("@{} in a {}'s @map: it takes {allowed}", inner.name, direction.word()),
                    );
                    ok = false;
                }
            }
        }
        ok.then_some(plan)
    }

    /// The elements of `@attributes(…)`: all named or all positional.
    fn mapped_attributes(&mut self, a: &Annotation) -> Vec<MappedAttribute> {
        let mut out = Vec::new();
        for e in &a.elements {
            match e {
                AnnotationElement::Property { key, value, span } => {
                    out.push(MappedAttribute { name: key.clone(), path: value.clone(), span: *span })
                }
                AnnotationElement::Nested(n) => self.error(n.span, "@attributes holds `name = 'path'` pairs"),
            }
        }
        let named = out.iter().filter(|m| m.name.is_some()).count();
        if named != 0 && named != out.len() {
            self.error(a.span, "@attributes are either all named (`name = 'path'`) or all positional");
        }
        out
    }

    /// `@OnError(action='LOG')` (the default: an event whose processing fails is
    /// reported and dropped), `STREAM` (it goes to the fault stream `!S`, with
    /// `_error`) or `STORE` (it is kept in the app's error store, which the
    /// server lists, replays and discards); `None` for `LOG`.
    pub(super) fn on_error(&mut self, a: &Annotation) -> Option<FaultAction> {
        match a.property("action") {
            Some(action) if action.eq_ignore_ascii_case("LOG") => None,
            Some(action) if action.eq_ignore_ascii_case("STREAM") => Some(FaultAction::Stream),
            Some(action) if action.eq_ignore_ascii_case("STORE") => Some(FaultAction::Store),
            Some(action) => {
                self.error(a.span, format!("@OnError action '{action}' is not one of LOG, STREAM, STORE"));
                None
            }
            None => {
                self.error(a.span, "@OnError needs an `action` (LOG, STREAM or STORE)");
                None
            }
        }
    }
}

/// Where a stream's failed events go when they are not logged and dropped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum FaultAction {
    /// To the fault stream `!S`.
    Stream,
    /// To the app's error store (an internal stream named by
    /// [`crate::logical::error_store_stream`]).
    Store,
}
