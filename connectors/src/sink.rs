//! An app's sinks at run time: each event inserted into a stream with sinks is
//! mapped by each sink's mapper and sent by its transport — `log` (standard
//! error, `prefix : payload`), `file` (appended, one payload per line),
//! `inMemory` and `stream` (published to the process's [`Hub`]), `mqtt`, `http`,
//! `http-service-response` (the answer to a request an `http-service` source holds). The caller hands
//! events over in logical-time order (the runtime's output order).

use crate::check::schema_of;
use crate::hub::{Hub, Namespace};
use crate::mapper::{event_json, Payload, Schema, SinkMapper};
use crate::mqtt::{MqttConfig, Polled, Reconnect};
use sluice_dataflow::value::Value;
use sluice_frontend::logical::AppPlan;
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
    Service(crate::http_service::ResponseSink),
}

/// A sink's MQTT client, and the thread that keeps its connection (reconnecting
/// with back-off) and sends what it publishes.
struct MqttSink {
    client: rumqttc::Client,
    config: MqttConfig,
    closing: Arc<AtomicBool>,
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
        let driver = std::thread::Builder::new()
            .name(format!("sink-{stream}"))
            .spawn(move || {
                let mut reconnect = Reconnect::new(who);
                while !stop.load(Ordering::Acquire) {
                    if let Polled::Done = crate::mqtt::poll(&mut connection, Duration::from_millis(100), &mut reconnect)
                    {
                        return;
                    }
                }
                // Closing: what was published goes out before the disconnection.
                crate::mqtt::drain(&mut connection, Duration::from_secs(5));
            })
            .map_err(|e| format!("cannot start a sink thread: {e}"))?;
        Ok(MqttSink { client, config, closing, driver: Some(driver) })
    }

    /// Publishes a payload; waits while the client's queue is full (back-pressure).
    fn publish(&self, stream: &str, text: String) {
        let c = &self.config;
        if let Err(e) = self.client.publish(c.topic.clone(), c.qos, c.retain, text.into_bytes()) {
            eprintln!("sink on '{stream}' (mqtt {}): event not sent: {e}", c.url);
        }
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
    transport: Transport,
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
}

impl Sinks {
    /// Builds `plan`'s sinks (opening their files); `hub` carries `inMemory` and
    /// `stream` payloads.
    pub fn start(plan: &AppPlan, hub: &Arc<Hub>) -> Result<Sinks, String> {
        let mut by_stream: HashMap<String, Vec<Sink>> = HashMap::new();
        for plan_sink in &plan.sinks {
            let schema = schema_of(plan, &plan_sink.stream);
            let mapper = SinkMapper::new(&plan_sink.mapper, &schema).map_err(|e| e.message)?;
            let t = &plan_sink.transport;
            let option = |key: &str| t.option(key).unwrap_or_default().to_string();
            let transport = match t.kind.as_str() {
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
                "inMemory" => {
                    Transport::Topic { hub: hub.clone(), namespace: Namespace::InMemory, topic: option("topic") }
                }
                "http" | "http-call" => {
                    let config =
                        crate::http::HttpConfig::of(t).map_err(|e| format!("sink on '{}': {e}", plan_sink.stream))?;
                    let content_type = match plan_sink.mapper.kind.as_str() {
                        "json" | "keyvalue" | "passThrough" => "application/json",
                        "csv" => "text/csv",
                        _ => "text/plain",
                    };
                    // An `http-call` sink hands each response to the `http-call-response`
                    // sources of its `sink.id`.
                    let responses = (t.kind == "http-call").then(|| (hub.clone(), option("sink.id")));
                    Transport::Http(crate::http::HttpSink::start(config, &plan_sink.stream, content_type, responses)?)
                }
                "http-service-response" => Transport::Service(
                    crate::http_service::ResponseSink::new(t, &plan_sink.mapper.kind, &schema, hub)
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
            };
            by_stream.entry(plan_sink.stream.clone()).or_default().push(Sink { schema, mapper, transport });
        }
        Ok(Sinks { by_stream })
    }

    /// Whether `stream` has a sink.
    pub fn has(&self, stream: &str) -> bool {
        self.by_stream.contains_key(stream)
    }

    /// Sends one event of `stream` through each of its sinks.
    pub fn send(&mut self, stream: &str, row: &[Value], ts: i64) {
        let Some(sinks) = self.by_stream.get_mut(stream) else { return };
        for sink in sinks {
            let payload = sink.mapper.map(row, ts);
            match &mut sink.transport {
                Transport::Log { prefix } => eprintln!("{prefix} : {}", payload_text(&sink.schema, &payload)),
                Transport::File { path, writer, failed } => {
                    let mut text = payload_text(&sink.schema, &payload);
                    text.push('\n');
                    match writer.write_all(text.as_bytes()) {
                        Ok(()) => *failed = false,
                        Err(e) if !*failed => {
                            *failed = true;
                            eprintln!(
                                "sink on '{stream}': cannot write to '{path}': {e}; events are lost until it can"
                            );
                        }
                        Err(_) => {}
                    }
                }
                Transport::Topic { hub, namespace, topic } => {
                    hub.publish(*namespace, topic, payload);
                }
                Transport::Mqtt(mqtt) => mqtt.publish(stream, payload_text(&sink.schema, &payload)),
                Transport::Http(http) => http.send(payload_text(&sink.schema, &payload)),
                Transport::Service(service) => service.send(row, payload_text(&sink.schema, &payload)),
            }
        }
    }

    /// Writes out what file sinks buffer (call when no output is waiting).
    pub fn flush(&mut self) {
        for sink in self.by_stream.values_mut().flatten() {
            if let Transport::File { writer, .. } = &mut sink.transport {
                let _ = writer.flush();
            }
        }
    }
}

impl Drop for Sinks {
    fn drop(&mut self) {
        self.flush();
    }
}
