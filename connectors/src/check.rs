//! What `sluice check` adds to the front end's analysis for sources and sinks:
//! every mapper is built against its stream's schema (JSONPaths, regular
//! expressions, `@payload` templates, column numbers), so a bad one is refused at
//! its line and column before the app runs.

use crate::mapper::{PropertyMapper, Schema, SinkMapper};
use sluice_frontend::logical::AppPlan;
use sluice_frontend::Diagnostic;

/// The schema mappers see for `stream` of `plan`.
pub fn schema_of(plan: &AppPlan, stream: &str) -> Schema {
    let attrs = plan.catalog.get(stream).map(|e| e.schema.attrs.clone()).unwrap_or_default();
    Schema {
        stream: stream.to_string(),
        names: attrs.iter().map(|(n, _)| n.clone()).collect(),
        types: attrs.iter().map(|(_, t)| *t).collect(),
    }
}

/// The errors of `plan`'s mappers and transport options (none when all can be
/// built), and warnings for transport options Sluice does not read.
pub fn check(plan: &AppPlan) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for source in &plan.sources {
        if let Err(e) = PropertyMapper::new(&source.mapper, &schema_of(plan, &source.stream)) {
            out.push(mapper_diagnostic(e));
        }
        out.extend(transport_errors(&source.transport, Some((&plan.name, &source.stream))));
        out.extend(crate::mapper::properties::refused(source));
    }
    for sink in &plan.sinks {
        let fed_back = plan.sources.iter().filter(|source| source.stream == sink.stream).find(|source| {
            let published = topics(&sink.transport, &sink.stream, false);
            topics(&source.transport, &source.stream, true).iter().any(|t| published.contains(t))
        });
        if let Some(source) = fed_back {
            out.push(Diagnostic::error(
                sink.transport.span,
                format!(
                    "this sink publishes to the {} topic that a source of the same stream '{}' reads: every event \
                     would come back to it forever",
                    source.transport.kind, sink.stream
                ),
            ));
        }
        if let Err(e) = SinkMapper::new(&sink.mapper, &schema_of(plan, &sink.stream)) {
            out.push(mapper_diagnostic(e));
        }
        match &sink.distribution {
            None => out.extend(transport_errors(&sink.transport, None)),
            Some(d) => {
                // Each destination is a transport of its own; a sink's option
                // not read is said once.
                for t in &d.destinations {
                    for e in transport_errors(t, None) {
                        if !out.contains(&e) {
                            out.push(e);
                        }
                    }
                }
            }
        }
        if sink.transport.kind == "http-service-response" {
            let hub = std::sync::Arc::default();
            let built = crate::http_service::ResponseSink::new(
                &sink.transport,
                &sink.mapper.kind,
                &schema_of(plan, &sink.stream),
                &hub,
            );
            out.extend(built.err().map(|e| Diagnostic::error(sink.transport.span, e)));
        }
    }
    out
}

/// A mapper that cannot be built, as a diagnostic (not built, or an error).
fn mapper_diagnostic(e: crate::mapper::MapperError) -> Diagnostic {
    if e.not_built {
        Diagnostic::not_built(e.span, e.message)
    } else {
        Diagnostic::error(e.span, e.message)
    }
}

/// The in-process topics (`inMemory:t`, `stream:s`) a source reads or a sink writes.
fn topics(transport: &sluice_frontend::logical::ConnectorPlan, stream: &str, source: bool) -> Vec<String> {
    match transport.kind.as_str() {
        "inMemory" => vec![format!("inMemory:{}", transport.option("topic").unwrap_or_default())],
        "stream" if source => transport
            .option("stream.list")
            .unwrap_or(stream)
            .split(',')
            .map(|s| format!("stream:{}", s.trim()))
            .collect(),
        "stream" => vec![format!("stream:{}", transport.option("stream").unwrap_or(stream))],
        _ => Vec::new(),
    }
}

/// The options each transport reads.
fn options_read(kind: &str, source: bool) -> &'static [&'static str] {
    match kind {
        "http" if source => crate::http_source::OPTIONS,
        "log" => &["prefix", "priority"],
        "file" => &["file.uri", "mode", "tailing", "append"],
        "inMemory" => &["topic"],
        "mqtt" => crate::mqtt::OPTIONS,
        "tcp" if source => crate::tcp::SOURCE_OPTIONS,
        "tcp" => crate::tcp::SINK_OPTIONS,
        "sse" => crate::sse::SOURCE_OPTIONS,
        "sse-server" => crate::sse::SINK_OPTIONS,
        "http" => crate::http::OPTIONS,
        "http-call" => crate::http::CALL_OPTIONS,
        "http-call-response" => crate::http::RESPONSE_OPTIONS,
        "http-service" => crate::http_service::OPTIONS,
        "http-service-response" => crate::http_service::RESPONSE_OPTIONS,
        _ => &["stream", "stream.list"],
    }
}

/// Values of transport options that Sluice reads and that are wrong (errors), and
/// options it does not read (warnings: e.g. Macrometa's replication and consumer
/// tuning, which mean nothing inside one process).
fn transport_errors(
    transport: &sluice_frontend::logical::ConnectorPlan,
    source: Option<(&str, &str)>,
) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    let config = match transport.kind.as_str() {
        "mqtt" => crate::mqtt::MqttConfig::of(transport).err(),
        "http" => match source {
            Some((app, stream)) => crate::http_source::HttpSourceConfig::of(transport, app, stream).err(),
            None => crate::http::HttpConfig::of(transport).err(),
        },
        "http-call" => crate::http::HttpConfig::of(transport).err(),
        "tcp" => match source {
            Some((app, stream)) => crate::tcp::TcpSourceConfig::of(transport, app, stream).err(),
            None => crate::tcp::TcpSinkConfig::of(transport).err(),
        },
        "sse" => crate::sse::SseSourceConfig::of(transport).err(),
        "sse-server" => crate::sse::SseSinkConfig::of(transport).err(),
        "http-call-response" => crate::http::response_codes(transport).err(),
        "http-service" => {
            source.and_then(|(app, stream)| crate::http_service::ServiceConfig::of(transport, app, stream).err())
        }
        _ => None,
    };
    if let Some(e) = config {
        out.push(Diagnostic::error(transport.span, e));
    }
    for o in &transport.options {
        let key = o.key.to_ascii_lowercase();
        if source.is_none() && key == "on.error" {
            continue; // every sink reads it (checked by the front end)
        }
        let read = options_read(&transport.kind, source.is_some());
        if !read.iter().any(|r| r.eq_ignore_ascii_case(&key)) {
            out.push(Diagnostic::warning(
                o.span,
                format!("{} option '{}' is not read by Sluice (it reads: {})", transport.kind, o.key, read.join(", ")),
            ));
        }
        let flag = matches!(key.as_str(), "tailing" | "append");
        if flag && !o.value.eq_ignore_ascii_case("true") && !o.value.eq_ignore_ascii_case("false") {
            out.push(Diagnostic::error(o.span, format!("option '{}' is 'true' or 'false', not '{}'", o.key, o.value)));
        }
        if transport.kind == "file" && key == "mode" && !o.value.eq_ignore_ascii_case("line") {
            out.push(Diagnostic::not_built(
                o.span,
                format!("file mode '{}': Sluice reads files line by line (mode 'line')", o.value),
            ));
        }
    }
    out
}
