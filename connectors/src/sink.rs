//! An app's sinks at run time: each event inserted into a stream with sinks is
//! mapped by each sink's mapper and sent by its transport — `log` (standard
//! error, `prefix : payload`), `file` (appended, one payload per line),
//! `inMemory` and `stream` (published to the process's [`Hub`]), `mqtt`, `http`, `tcp`,
//! `sse-server`, `http-service-response` (the answer to a request an `http-service`
//! source holds). The caller hands
//! events over in logical-time order (the runtime's output order).

use crate::check::schema_of;
use crate::distribution::{Distributor, Pick};
use crate::hub::{Hub, Namespace};
use crate::mapper::{event_json, Payload, Schema, SinkMapper};
use crate::mqtt::{MqttConfig, Polled, Reconnect};
use crate::sink_error::{GiveUp, OnError};
use sluice_dataflow::value::Value;
use sluice_frontend::logical::{AppPlan, ConnectorPlan, SinkOnError, SinkPlan};
use std::collections::HashMap;
use std::io::Write;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// Where a sink's payloads go.
#[derive(Debug)]
enum Transport {
    Log { prefix: String },
    File { path: String, writer: std::io::BufWriter<std::fs::File>, failed: bool },
    Topic { hub: Arc<Hub>, namespace: Namespace, topic: String },
    Mqtt(MqttSink),
    Http(crate::http::HttpSink),
    Tcp(crate::tcp::TcpSink),
    Sse(crate::sse::SseSink),
    Service(crate::http_service::ResponseSink),
}

/// A sink's MQTT client, and the thread that keeps its connection (reconnecting
/// with back-off) and sends what it publishes.
struct MqttSink {
    client: rumqttc::Client,
    config: MqttConfig,
    closing: Arc<AtomicBool>,
    /// Whether the last connection attempt failed (and none succeeded since).
    down: Arc<AtomicBool>,
    driver: Option<std::thread::JoinHandle<()>>,
}

impl std::fmt::Debug for MqttSink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MqttSink").field("config", &self.config).finish_non_exhaustive()
    }
}

impl MqttSink {
    fn start(config: MqttConfig, stream: &str) -> Result<MqttSink, String> {
        let (client, mut connection) = config.connect(false);
        let closing = Arc::new(AtomicBool::new(false));
        let who = format!("sink on '{stream}' (mqtt {})", config.url);
        let stop = closing.clone();
        let down = Arc::new(AtomicBool::new(false));
        let is_down = down.clone();
        let driver = std::thread::Builder::new()
            .name(format!("sink-{stream}"))
            .spawn(move || {
                let mut reconnect = Reconnect::new(who);
                while !stop.load(Ordering::Acquire) {
                    if let Polled::Done = crate::mqtt::poll(&mut connection, Duration::from_millis(100), &mut reconnect)
                    {
                        return;
                    }
                    is_down.store(reconnect.retrying(), Ordering::Release);
                }
                // Closing: what was published goes out before the disconnection.
                crate::mqtt::drain(&mut connection, Duration::from_secs(5));
            })
            .map_err(|e| format!("cannot start a sink thread: {e}"))?;
        Ok(MqttSink { client, config, closing, down, driver: Some(driver) })
    }

    /// Publishes a payload; waits while the client's queue is full (back-pressure).
    /// While the connection is down (after an attempt failed), the publish fails
    /// and `on_error` decides; before the first attempt ends, it is queued.
    fn publish(&self, text: String, on_error: &OnError) {
        let c = &self.config;
        on_error.publish(|| {
            if self.down.load(Ordering::Acquire) {
                return Err("not connected to the broker".into());
            }
            self.client.publish(c.topic.clone(), c.qos, c.retain, text.clone().into_bytes()).map_err(|e| e.to_string())
        });
    }
}

impl Drop for MqttSink {
    fn drop(&mut self) {
        let _ = self.client.try_disconnect();
        self.closing.store(true, Ordering::Release);
        if let Some(driver) = self.driver.take() {
            let _ = driver.join();
        }
    }
}

#[derive(Debug)]
struct Sink {
    schema: Schema,
    mapper: SinkMapper,
    /// The sink's transport, or one per destination of a distributed sink.
    transports: Vec<Transport>,
    /// What each transport does with an event it cannot publish.
    on_error: Vec<OnError>,
    distributor: Option<Distributor>,
}

/// The path of a `file.uri` (`file:/x`, `file:///x` or a plain path).
pub fn file_path(uri: &str) -> &str {
    uri.strip_prefix("file://").or_else(|| uri.strip_prefix("file:")).unwrap_or(uri)
}

/// A payload as text, for transports that carry text.
pub fn payload_text(schema: &Schema, payload: &Payload) -> String {
    match payload {
        Payload::Text(t) => t.clone(),
        Payload::Map(m) => serde_json::Value::Object(m.clone()).to_string(),
        Payload::Event { row, ts } => event_json(schema, row, *ts),
    }
}

/// The sinks of an app, by stream.
#[derive(Debug, Default)]
pub struct Sinks {
    by_stream: HashMap<String, Vec<Sink>>,
    give_up: GiveUp,
}

impl Sinks {
    /// Builds `plan`'s sinks (opening their files); `hub` carries `inMemory` and
    /// `stream` payloads.
    pub fn start(plan: &AppPlan, hub: &Arc<Hub>) -> Result<Sinks, String> {
        let give_up = GiveUp::default();
        let mut by_stream: HashMap<String, Vec<Sink>> = HashMap::new();
        for plan_sink in &plan.sinks {
            let schema = schema_of(plan, &plan_sink.stream);
            let mapper = SinkMapper::new(&plan_sink.mapper, &schema).map_err(|e| e.message)?;
            let plans = match &plan_sink.distribution {
                Some(d) => d.destinations.iter().collect(),
                None => vec![&plan_sink.transport],
            };
            let (mut transports, mut on_error) = (Vec::new(), Vec::new());
            for t in plans {
                let who = format!("sink on '{}' ({} {})", plan_sink.stream, t.kind, destination_name(t));
                let policy = OnError::new(plan_sink.on_error, who, give_up.clone());
                transports.push(transport(plan_sink, t, &schema, hub, &policy)?);
                on_error.push(policy);
            }
            let distributor = plan_sink.distribution.as_ref().map(Distributor::new);
            by_stream.entry(plan_sink.stream.clone()).or_default().push(Sink {
                schema,
                mapper,
                transports,
                on_error,
                distributor,
            });
        }
        Ok(Sinks { by_stream, give_up })
    }

    /// The flag that makes the sinks stop waiting on failing transports (set it
    /// when the app stops, before waiting for its outputs to be written).
    pub fn give_up(&self) -> GiveUp {
        self.give_up.clone()
    }

    /// Whether `stream` has a sink.
    pub fn has(&self, stream: &str) -> bool {
        self.by_stream.contains_key(stream)
    }

    /// Sends one event of `stream` through each of its sinks (to the
    /// destinations its distribution picks).
    pub fn send(&mut self, stream: &str, row: &[Value], ts: i64) {
        let Some(sinks) = self.by_stream.get_mut(stream) else { return };
        for sink in sinks {
            let payload = sink.mapper.map(row, ts);
            let picked = match sink.distributor.as_mut().map(|d| d.pick(row)) {
                None => 0..1,
                Some(Pick::One(at)) => at..at + 1,
                Some(Pick::All) => 0..sink.transports.len(),
            };
            for at in picked {
                let (Some(transport), Some(on_error)) = (sink.transports.get_mut(at), sink.on_error.get(at)) else {
                    continue;
                };
                transport.send(stream, row, &sink.schema, &payload, on_error);
            }
        }
    }

    /// Writes out what file sinks buffer (call when no output is waiting).
    pub fn flush(&mut self) {
        for sink in self.by_stream.values_mut().flatten() {
            for (transport, on_error) in sink.transports.iter_mut().zip(&sink.on_error) {
                if let Transport::File { path, writer, .. } = transport {
                    on_error.publish(|| writer.flush().map_err(|e| format!("cannot write to '{path}': {e}")));
                }
            }
        }
    }
}

/// What names a destination in messages: its URL, file, topic or stream.
fn destination_name(t: &ConnectorPlan) -> &str {
    ["publisher.url", "url", "file.uri", "topic", "stream", "prefix"]
        .iter()
        .find_map(|k| t.option(k))
        .unwrap_or_default()
}

/// Starts the transport `t` of `plan_sink` (its own, or one destination's).
fn transport(
    plan_sink: &SinkPlan,
    t: &ConnectorPlan,
    schema: &Schema,
    hub: &Arc<Hub>,
    on_error: &OnError,
) -> Result<Transport, String> {
    let option = |key: &str| t.option(key).unwrap_or_default().to_string();
    Ok(match t.kind.as_str() {
        "log" => Transport::Log { prefix: t.option("prefix").unwrap_or(&plan_sink.stream).to_string() },
        "file" => {
            let path = file_path(&option("file.uri")).to_string();
            let append = !t.option("append").is_some_and(|a| a.eq_ignore_ascii_case("false"));
            let file = std::fs::OpenOptions::new()
                .create(true)
                .append(append)
                .write(true)
                .truncate(!append)
                .open(&path)
                .map_err(|e| format!("sink on '{}': cannot open file '{path}': {e}", plan_sink.stream))?;
            Transport::File { path, writer: std::io::BufWriter::new(file), failed: false }
        }
        "inMemory" => Transport::Topic { hub: hub.clone(), namespace: Namespace::InMemory, topic: option("topic") },
        "http" | "http-call" => {
            let config = crate::http::HttpConfig::of(t).map_err(|e| format!("sink on '{}': {e}", plan_sink.stream))?;
            let content_type = match plan_sink.mapper.kind.as_str() {
                "json" | "keyvalue" | "passThrough" => "application/json",
                "csv" => "text/csv",
                _ => "text/plain",
            };
            // An `http-call` sink hands each response to the `http-call-response`
            // sources of its `sink.id`.
            let responses = (t.kind == "http-call").then(|| (hub.clone(), option("sink.id")));
            Transport::Http(crate::http::HttpSink::start(config, content_type, responses, on_error.clone())?)
        }
        "tcp" => {
            let config =
                crate::tcp::TcpSinkConfig::of(t).map_err(|e| format!("sink on '{}': {e}", plan_sink.stream))?;
            Transport::Tcp(crate::tcp::TcpSink::start(config, &plan_sink.stream)?)
        }
        "sse-server" => {
            let config =
                crate::sse::SseSinkConfig::of(t).map_err(|e| format!("sink on '{}': {e}", plan_sink.stream))?;
            Transport::Sse(crate::sse::SseSink::start(config, &plan_sink.stream)?)
        }
        "http-service-response" => Transport::Service(
            crate::http_service::ResponseSink::new(t, &plan_sink.mapper.kind, schema, hub)
                .map_err(|e| format!("sink on '{}': {e}", plan_sink.stream))?,
        ),
        "mqtt" => {
            let config = MqttConfig::of(t).map_err(|e| format!("sink on '{}': {e}", plan_sink.stream))?;
            Transport::Mqtt(MqttSink::start(config, &plan_sink.stream)?)
        }
        _ => {
            let topic = t.option("stream").unwrap_or(&plan_sink.stream).to_string();
            Transport::Topic { hub: hub.clone(), namespace: Namespace::Stream, topic }
        }
    })
}

impl Transport {
    /// Publishes one payload, applying `on_error` to a failure.
    fn send(&mut self, stream: &str, row: &[Value], schema: &Schema, payload: &Payload, on_error: &OnError) {
        match self {
            Transport::Log { prefix } => eprintln!("{prefix} : {}", payload_text(schema, payload)),
            Transport::File { path, writer, failed } => {
                let mut text = payload_text(schema, payload);
                text.push('\n');
                if on_error.policy == SinkOnError::Wait {
                    on_error.publish(|| {
                        writer.write_all(text.as_bytes()).map_err(|e| format!("cannot write to '{path}': {e}"))
                    });
                    return;
                }
                // LOG: a file that cannot be written is said once, not per event.
                match writer.write_all(text.as_bytes()) {
                    Ok(()) => *failed = false,
                    Err(e) if !*failed => {
                        *failed = true;
                        eprintln!("sink on '{stream}': cannot write to '{path}': {e}; events are lost until it can");
                    }
                    Err(_) => {}
                }
            }
            Transport::Topic { hub, namespace, topic } => {
                hub.publish(*namespace, topic, payload.clone());
            }
            Transport::Mqtt(mqtt) => mqtt.publish(payload_text(schema, payload), on_error),
            Transport::Http(http) => http.send(payload_text(schema, payload)),
            // Both log and drop what they cannot send (`on.error='WAIT'` is refused on them).
            Transport::Tcp(tcp) => tcp.send(payload_text(schema, payload)),
            Transport::Sse(sse) => sse.send(payload_text(schema, payload)),
            // An answer for a request that no longer waits is logged and dropped.
            Transport::Service(service) => service.send(row, payload_text(schema, payload)),
        }
    }
}

impl Drop for Sinks {
    fn drop(&mut self) {
        self.give_up.give_up();
        self.flush();
        for sink in self.by_stream.values_mut().flatten() {
            // Each transport ends (an http sink's thread sends what it holds first).
            sink.transports.clear();
            sink.on_error.iter().for_each(OnError::report);
        }
    }
}
