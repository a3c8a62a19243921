//! An app's sources at run time: one thread per source receives payloads from
//! its transport — `file` (line by line; with `tailing`, the default, it keeps
//! following the file as `tail -f` does), `inMemory` and `stream` (subscribed on
//! the process's [`Hub`]) — maps each with the source's mapper and hands the
//! events to the app's [`Door`], the same door HTTP ingestion uses. A payload the
//! mapper cannot read is logged with the reason and dropped.

use crate::check::schema_of;
use crate::hub::{Hub, Namespace};
use crate::mapper::{Payload, PropertyMapper};
use crate::mqtt::{MqttConfig, Polled, Reconnect};
use crate::sink::file_path;
use sluice_dataflow::value::Value;
use sluice_frontend::logical::{AppPlan, SourcePlan};
use std::io::BufRead;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

/// How often an idle source looks at its stop flag, and a tailing file source at its file.
const POLL: Duration = Duration::from_millis(100);

/// The longest wait between two attempts to open a file that is not there yet.
const MAX_BACKOFF: Duration = Duration::from_secs(5);

/// Where a source's events enter its app.
pub trait Door: Send + Sync {
    /// Hands `rows` of `stream` to the app, waiting while it is busy
    /// (back-pressure); false once the app has stopped taking input.
    fn push(&self, stream: &str, rows: Vec<Vec<Value>>) -> bool;
}

/// The running sources of an app.
#[derive(Debug)]
pub struct Sources {
    stop: Arc<AtomicBool>,
    threads: Vec<JoinHandle<()>>,
}

impl Sources {
    /// Starts a thread per source of `plan`; each holds `door` until it ends.
    pub fn start(plan: &AppPlan, hub: &Arc<Hub>, door: Arc<dyn Door>) -> Result<Sources, String> {
        let stop = Arc::new(AtomicBool::new(false));
        let mut threads = Vec::new();
        for source in &plan.sources {
            let mapper =
                PropertyMapper::new(&source.mapper, &schema_of(plan, &source.stream)).map_err(|e| e.message)?;
            let reader = Reader::new(source, &plan.name, hub)?;
            let (stop, door, stream) = (stop.clone(), door.clone(), source.stream.clone());
            let name = format!("source-{}", source.stream);
            let handle = std::thread::Builder::new()
                .name(name)
                .spawn(move || reader.run(Feed { stream, mapper, door, stop }))
                .map_err(|e| format!("cannot start a source thread: {e}"))?;
            threads.push(handle);
        }
        Ok(Sources { stop, threads })
    }

    /// Whether the app has any source.
    pub fn is_empty(&self) -> bool {
        self.threads.is_empty()
    }

    /// Stops every source and waits for their threads.
    pub fn stop(self) {
        self.stop.store(true, Ordering::Release);
        for t in self.threads {
            let _ = t.join();
        }
    }
}

/// What a source thread does with a payload.
pub(crate) struct Feed {
    stream: String,
    mapper: PropertyMapper,
    door: Arc<dyn Door>,
    stop: Arc<AtomicBool>,
}

impl Feed {
    /// Maps and pushes one payload; false when the source should end.
    fn offer(&mut self, payload: &Payload) -> bool {
        self.offer_telling(payload).unwrap_or(true)
    }

    /// Maps and pushes one payload: whether the source goes on, or why the
    /// payload was dropped (logged too).
    pub(crate) fn offer_telling(&mut self, payload: &Payload) -> Result<bool, String> {
        self.offer_with(payload, &|_: &str| None)
    }

    /// [`Feed::offer_telling`] for a transport that gives properties (`trp:`
    /// attributes): `property` answers each one by name.
    pub(crate) fn offer_with(
        &mut self,
        payload: &Payload,
        property: &dyn Fn(&str) -> Option<String>,
    ) -> Result<bool, String> {
        match self.mapper.map(payload, property) {
            Ok(rows) if rows.is_empty() => Ok(true),
            Ok(rows) => Ok(self.door.push(&self.stream, rows)),
            Err(reason) => {
                eprintln!("source on '{}': payload dropped: {reason}", self.stream);
                Err(reason)
            }
        }
    }

    pub(crate) fn stream(&self) -> &str {
        &self.stream
    }

    /// The flag that says the source should end.
    pub(crate) fn stop_flag(&self) -> Arc<AtomicBool> {
        self.stop.clone()
    }

    pub(crate) fn stopped(&self) -> bool {
        self.stop.load(Ordering::Acquire)
    }
}

/// A source's transport.
enum Reader {
    File { path: String, tailing: bool },
    Mqtt(MqttConfig),
    Http(crate::http_source::HttpSourceConfig),
    Tcp(crate::tcp::TcpSourceConfig),
    Sse(crate::sse::SseSourceConfig),
    Service(crate::http_service::ServiceConfig, Arc<Hub>),
    Topics(Vec<std::sync::mpsc::Receiver<Payload>>),
}

impl Reader {
    /// Subscribes at once (so nothing published after the app starts is missed).
    fn new(source: &SourcePlan, app: &str, hub: &Arc<Hub>) -> Result<Reader, String> {
        let t = &source.transport;
        Ok(match t.kind.as_str() {
            "file" => Reader::File {
                path: file_path(t.option("file.uri").unwrap_or_default()).to_string(),
                tailing: !t.option("tailing").is_some_and(|v| v.eq_ignore_ascii_case("false")),
            },
            "inMemory" => {
                Reader::Topics(vec![hub.subscribe(Namespace::InMemory, t.option("topic").unwrap_or_default())])
            }
            "http" => Reader::Http(
                crate::http_source::HttpSourceConfig::of(t, app, &source.stream)
                    .map_err(|e| format!("source on '{}': {e}", source.stream))?,
            ),
            "tcp" => Reader::Tcp(
                crate::tcp::TcpSourceConfig::of(t, app, &source.stream)
                    .map_err(|e| format!("source on '{}': {e}", source.stream))?,
            ),
            "sse" => Reader::Sse(
                crate::sse::SseSourceConfig::of(t).map_err(|e| format!("source on '{}': {e}", source.stream))?,
            ),
            "http-service" => Reader::Service(
                crate::http_service::ServiceConfig::of(t, app, &source.stream)
                    .map_err(|e| format!("source on '{}': {e}", source.stream))?,
                hub.clone(),
            ),
            "mqtt" => Reader::Mqtt(MqttConfig::of(t).map_err(|e| format!("source on '{}': {e}", source.stream))?),
            "http-call-response" => {
                let codes =
                    crate::http::response_codes(t).map_err(|e| format!("source on '{}': {e}", source.stream))?;
                Reader::Topics(vec![hub.subscribe_responses(t.option("sink.id").unwrap_or_default(), codes)])
            }
            _ => Reader::Topics(
                t.option("stream.list")
                    .unwrap_or(&source.stream)
                    .split(',')
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(|s| hub.subscribe(Namespace::Stream, s))
                    .collect(),
            ),
        })
    }

    fn run(self, mut feed: Feed) {
        match self {
            Reader::File { path, tailing } => read_file(&path, tailing, &mut feed),
            Reader::Topics(receivers) => follow_topics(&receivers, &mut feed),
            Reader::Mqtt(config) => follow_mqtt(&config, &mut feed),
            Reader::Http(config) => crate::http_source::serve(&config, feed),
            Reader::Tcp(config) => crate::tcp::serve(&config, feed),
            Reader::Sse(config) => crate::sse::follow(&config, feed),
            Reader::Service(config, hub) => crate::http_service::serve(&config, &hub, feed),
        }
    }
}

/// Reads `path` line by line (each non-empty line is a payload); with `tailing`
/// it waits for the file to appear (retrying with back-off, logged) and then
/// follows what is appended until the source stops.
fn read_file(path: &str, tailing: bool, feed: &mut Feed) {
    let mut backoff = POLL;
    let file = loop {
        match std::fs::File::open(path) {
            Ok(f) => break f,
            Err(e) if tailing && !feed.stopped() => {
                eprintln!("source on '{}': cannot open '{path}': {e}; retrying in {backoff:?}", feed.stream);
                std::thread::sleep(backoff);
                backoff = (backoff * 2).min(MAX_BACKOFF);
            }
            Err(e) => {
                if !feed.stopped() {
                    eprintln!("source on '{}': cannot open '{path}': {e}", feed.stream);
                }
                return;
            }
        }
    };
    let mut reader = std::io::BufReader::new(file);
    let mut line = String::new();
    while !feed.stopped() {
        match reader.read_line(&mut line) {
            Ok(0) if tailing => std::thread::sleep(POLL),
            Ok(0) => return,
            // A tailed line without its end may still be growing: wait for the rest.
            Ok(_) if tailing && !line.ends_with('\n') => std::thread::sleep(POLL),
            Ok(_) => {
                let text = line.trim_end_matches(['\n', '\r']);
                if !text.trim().is_empty() && !feed.offer(&Payload::Text(text.to_string())) {
                    return;
                }
                line.clear();
            }
            Err(e) => {
                eprintln!("source on '{}': cannot read '{path}': {e}", feed.stream);
                return;
            }
        }
    }
}

/// Receives what is published to the source's topics until the source stops.
fn follow_topics(receivers: &[std::sync::mpsc::Receiver<Payload>], feed: &mut Feed) {
    use std::sync::mpsc::RecvTimeoutError;
    let [single] = receivers else {
        // Several streams: poll each in turn.
        while !feed.stopped() {
            let mut idle = true;
            for rx in receivers {
                while let Ok(payload) = rx.try_recv() {
                    idle = false;
                    if !feed.offer(&payload) {
                        return;
                    }
                }
            }
            if idle {
                std::thread::sleep(Duration::from_millis(5));
            }
        }
        return;
    };
    while !feed.stopped() {
        match single.recv_timeout(POLL) {
            Ok(payload) => {
                if !feed.offer(&payload) {
                    return;
                }
            }
            Err(RecvTimeoutError::Timeout) => {}
            Err(RecvTimeoutError::Disconnected) => return,
        }
    }
}

/// Subscribes to the source's MQTT topic (again at each reconnection) and hands
/// each message on; a QoS 1 message is acknowledged once the door has its events.
fn follow_mqtt(config: &MqttConfig, feed: &mut Feed) {
    let (client, mut connection) = config.connect(true);
    let mut reconnect = Reconnect::new(format!("source on '{}' (mqtt {})", feed.stream, config.url));
    while !feed.stopped() {
        match crate::mqtt::poll(&mut connection, POLL, &mut reconnect) {
            Polled::Connected => {
                if let Err(e) = client.try_subscribe(config.topic.clone(), config.qos) {
                    eprintln!("source on '{}': cannot subscribe to '{}': {e}", feed.stream, config.topic);
                }
            }
            Polled::Message(message) => {
                let text = String::from_utf8_lossy(&message.payload).into_owned();
                let go_on = feed.offer(&Payload::Text(text));
                let _ = client.try_ack(&message);
                if !go_on {
                    break;
                }
            }
            Polled::Other => {}
            Polled::Done => return,
        }
    }
    let _ = client.try_disconnect();
    // Let the acknowledgements and the disconnection go out.
    crate::mqtt::drain(&mut connection, Duration::from_secs(1));
}
