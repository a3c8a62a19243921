//! Server-Sent Events: the `sse` source, a client of a remote SSE endpoint, and
//! the `sse-server` sink, an SSE endpoint of its own that clients subscribe to
//! (Macrometa's SSE source and sink).
//!
//! The source sends `GET receiver.url` (`Accept: text/event-stream`, its
//! `headers`) and hands the data of each event of the response to its mapper
//! (the lines of a multi-line `data` joined by `\n`; the event type is not
//! looked at). When the request fails or the stream ends it logs it and asks
//! again with back-off (the server's `retry:` sets the first wait), sending the
//! last event id it saw as `Last-Event-ID`.
//!
//! The sink listens on `0.0.0.0:server.port` at `server.path` (warp); each
//! event is sent to every client subscribed at that moment, with an increasing
//! `id`. An event no client is subscribed to is gone, and a client too slow to
//! take 1,024 waiting events misses the oldest (logged).

use crate::mapper::Payload;
use crate::source::Feed;
use futures_util::StreamExt;
use sluice_frontend::logical::ConnectorPlan;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;
use warp::hyper;
use warp::Filter;

/// The options Sluice reads for an `sse` source.
pub const SOURCE_OPTIONS: &[&str] = &["receiver.url", "headers"];

/// The options Sluice reads for an `sse-server` sink.
pub const SINK_OPTIONS: &[&str] = &["server.port", "server.path"];

/// How often a waiting source or server looks at its stop flag.
const POLL: Duration = Duration::from_millis(100);

/// The longest wait between two attempts to connect or to listen.
const MAX_BACKOFF: Duration = Duration::from_secs(5);

/// How many events a slow subscriber of an `sse-server` sink may fall behind.
const BACKLOG: usize = 1024;

/// An `sse` source's settings.
#[derive(Clone, Debug, PartialEq)]
pub struct SseSourceConfig {
    /// `receiver.url` (http only).
    pub url: String,
    /// `headers`: `'Name:value','Name:value'`.
    pub headers: Vec<(String, String)>,
}

impl SseSourceConfig {
    /// Reads the options of an `sse` source, or says which one is wrong.
    pub fn of(plan: &ConnectorPlan) -> Result<SseSourceConfig, String> {
        let url = plan.option("receiver.url").unwrap_or_default().to_string();
        if !url.starts_with("http://") {
            return Err(format!("receiver.url '{url}': Sluice subscribes to `http://…` URLs (https is not built)"));
        }
        url.parse::<hyper::Uri>().map_err(|e| format!("receiver.url '{url}' is not a URL: {e}"))?;
        Ok(SseSourceConfig { url, headers: crate::http::headers(plan.option("headers").unwrap_or_default())? })
    }
}

/// The events of a text/event-stream, line by line.
#[derive(Debug, Default)]
pub struct EventParser {
    line: Vec<u8>,
    after_cr: bool,
    data: String,
    has_data: bool,
    /// The last event id seen (sent back as `Last-Event-ID`).
    pub last_id: Option<String>,
    /// The reconnection time the server asked for.
    pub retry: Option<Duration>,
}

impl EventParser {
    /// Feeds `bytes`; returns the data of each event they complete.
    pub fn push(&mut self, bytes: &[u8]) -> Vec<String> {
        let mut events = Vec::new();
        for &b in bytes {
            if self.after_cr && b == b'\n' {
                self.after_cr = false;
                continue;
            }
            self.after_cr = b == b'\r';
            if b == b'\n' || b == b'\r' {
                let line = String::from_utf8_lossy(&std::mem::take(&mut self.line)).into_owned();
                events.extend(self.line_done(&line));
            } else {
                self.line.push(b);
            }
        }
        events
    }

    fn line_done(&mut self, line: &str) -> Option<String> {
        if line.is_empty() {
            let data = std::mem::take(&mut self.data);
            return std::mem::take(&mut self.has_data).then(|| data.strip_suffix('\n').unwrap_or(&data).to_string());
        }
        if line.starts_with(':') {
            return None;
        }
        let (field, value) = line.split_once(':').unwrap_or((line, ""));
        let value = value.strip_prefix(' ').unwrap_or(value);
        match field {
            "data" => {
                self.data.push_str(value);
                self.data.push('\n');
                self.has_data = true;
            }
            "id" if !value.contains('\0') => self.last_id = Some(value.to_string()),
            "retry" => {
                if let Ok(ms) = value.parse::<u64>() {
                    self.retry = Some(Duration::from_millis(ms));
                }
            }
            _ => {}
        }
        None
    }

    /// Forgets a half-read event (the connection ended).
    fn reset(&mut self) {
        (self.line, self.after_cr, self.data, self.has_data) = (Vec::new(), false, String::new(), false);
    }
}

/// Follows the source's endpoint until the source stops.
pub(crate) fn follow(config: &SseSourceConfig, mut feed: Feed) {
    let who = format!("source on '{}' (sse {})", feed.stream(), config.url);
    let runtime = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(r) => r,
        Err(e) => return eprintln!("{who}: cannot start: {e}"),
    };
    let client = hyper::Client::new();
    let mut parser = EventParser::default();
    let mut backoff = POLL;
    while !feed.stopped() {
        let Some(problem) = runtime.block_on(subscribe(&client, config, &mut parser, &mut feed, &mut backoff)) else {
            return;
        };
        if feed.stopped() {
            return;
        }
        parser.reset();
        let first = parser.retry.unwrap_or(POLL);
        backoff = backoff.max(first);
        eprintln!("{who}: {problem}; reconnecting in {backoff:?}");
        let until = std::time::Instant::now() + backoff;
        while std::time::Instant::now() < until && !feed.stopped() {
            std::thread::sleep(POLL.min(backoff));
        }
        backoff = (backoff * 2).min(MAX_BACKOFF);
    }
}

/// One subscription: sends the request and offers each event until the stream
/// ends (saying why) or the source stops (`None`).
async fn subscribe(
    client: &hyper::Client<hyper::client::HttpConnector>,
    config: &SseSourceConfig,
    parser: &mut EventParser,
    feed: &mut Feed,
    backoff: &mut Duration,
) -> Option<String> {
    let mut request = hyper::Request::get(&config.url).header("accept", "text/event-stream");
    for (name, value) in &config.headers {
        request = request.header(name.as_str(), value.as_str());
    }
    if let Some(id) = &parser.last_id {
        request = request.header("last-event-id", id.as_str());
    }
    let request = match request.body(hyper::Body::empty()) {
        Ok(r) => r,
        Err(e) => return Some(format!("the request cannot be made: {e}")),
    };
    let response = match tokio::time::timeout(Duration::from_secs(10), client.request(request)).await {
        Ok(Ok(r)) => r,
        Ok(Err(e)) => return Some(format!("cannot connect: {e}")),
        Err(_) => return Some("no answer within 10 s".into()),
    };
    if response.status() != hyper::StatusCode::OK {
        return Some(format!("the endpoint answered {}", response.status()));
    }
    *backoff = POLL;
    let mut body = response.into_body();
    loop {
        let chunk = tokio::select! {
            chunk = hyper::body::HttpBody::data(&mut body) => chunk,
            () = tokio::time::sleep(POLL) => {
                if feed.stopped() {
                    return None;
                }
                continue;
            }
        };
        match chunk {
            None => return Some("the endpoint ended the stream".into()),
            Some(Err(e)) => return Some(format!("connection lost: {e}")),
            Some(Ok(bytes)) => {
                for data in parser.push(&bytes) {
                    // A payload the mapper cannot read is logged by the feed and dropped.
                    if let Ok(false) = feed.offer_telling(&Payload::Text(data)) {
                        return None;
                    }
                }
            }
        }
    }
}

/// An `sse-server` sink's settings.
#[derive(Clone, Debug, PartialEq)]
pub struct SseSinkConfig {
    /// Where to listen: `0.0.0.0:server.port`.
    pub address: SocketAddr,
    /// `server.path` without its slashes (empty: the root).
    pub path: String,
}

impl SseSinkConfig {
    /// Reads the options of an `sse-server` sink, or says which one is wrong.
    pub fn of(plan: &ConnectorPlan) -> Result<SseSinkConfig, String> {
        let port = plan.option("server.port").unwrap_or_default();
        let port = port.trim().parse::<u16>().map_err(|_| format!("server.port '{port}' is not a port number"))?;
        let path = plan.option("server.path").unwrap_or_default().trim_matches('/').to_string();
        Ok(SseSinkConfig { address: SocketAddr::from(([0, 0, 0, 0], port)), path })
    }
}

/// A running `sse-server` sink: the channel to its subscribers and its server's thread.
#[derive(Debug)]
pub struct SseSink {
    events: Option<tokio::sync::broadcast::Sender<(u64, String)>>,
    sent: u64,
    closing: Arc<AtomicBool>,
    server: Option<std::thread::JoinHandle<()>>,
}

impl SseSink {
    /// Starts the endpoint of the sink on `stream` (retrying a port it cannot bind).
    pub fn start(config: SseSinkConfig, stream: &str) -> Result<SseSink, String> {
        let (events, _) = tokio::sync::broadcast::channel::<(u64, String)>(BACKLOG);
        let closing = Arc::new(AtomicBool::new(false));
        let who = format!("sink on '{stream}' (sse-server {}/{})", config.address, config.path);
        let (subscribe, stop) = (events.clone(), closing.clone());
        let server = std::thread::Builder::new()
            .name(format!("sink-{stream}"))
            .spawn(move || serve(config, who, subscribe, stop))
            .map_err(|e| format!("cannot start a sink thread: {e}"))?;
        Ok(SseSink { events: Some(events), sent: 0, closing, server: Some(server) })
    }

    /// Sends one payload to every subscriber.
    pub fn send(&mut self, text: String) {
        if let Some(events) = &self.events {
            self.sent += 1;
            let _ = events.send((self.sent, text));
        }
    }
}

impl Drop for SseSink {
    /// Ends every subscription and stops the server.
    fn drop(&mut self) {
        self.events.take();
        self.closing.store(true, Ordering::Release);
        if let Some(server) = self.server.take() {
            let _ = server.join();
        }
    }
}

/// Serves the sink's endpoint until it closes.
fn serve(
    config: SseSinkConfig,
    who: String,
    events: tokio::sync::broadcast::Sender<(u64, String)>,
    closing: Arc<AtomicBool>,
) {
    let runtime = match tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build() {
        Ok(r) => r,
        Err(e) => return eprintln!("{who}: cannot start: {e}"),
    };
    let segments: Vec<String> = config.path.split('/').filter(|s| !s.is_empty()).map(str::to_string).collect();
    // The routes subscribe through this copy of the sender; the shutdown drops it
    // (the sink drops its own), so every open stream ends.
    let events = Arc::new(std::sync::Mutex::new(Some(events)));
    let mut backoff = POLL;
    while !closing.load(Ordering::Acquire) {
        let (segments, shared, who_route) = (segments.clone(), events.clone(), who.clone());
        let route = warp::get().and(warp::path::full()).and_then(move |full: warp::path::FullPath| {
            let matches = full.as_str().split('/').filter(|s| !s.is_empty()).eq(segments.iter().map(String::as_str));
            let receiver = shared.lock().ok().and_then(|e| e.as_ref().map(|e| e.subscribe()));
            let who = who_route.clone();
            async move {
                let (true, Some(receiver)) = (matches, receiver) else { return Err(warp::reject::not_found()) };
                let stream = futures_util::stream::unfold(receiver, move |mut rx| {
                    let who = who.clone();
                    async move {
                        loop {
                            match rx.recv().await {
                                Ok((id, text)) => {
                                    let event = warp::sse::Event::default().id(id.to_string()).data(text);
                                    return Some((Ok::<_, std::convert::Infallible>(event), rx));
                                }
                                Err(tokio::sync::broadcast::error::RecvError::Lagged(n)) => {
                                    eprintln!("{who}: a slow subscriber missed {n} events");
                                }
                                Err(tokio::sync::broadcast::error::RecvError::Closed) => return None,
                            }
                        }
                    }
                });
                Ok(warp::sse::reply(warp::sse::keep_alive().stream(stream.boxed())))
            }
        });
        let (stop, holder) = (closing.clone(), events.clone());
        let bound = runtime.block_on(async {
            let shutdown = async move {
                while !stop.load(Ordering::Acquire) {
                    tokio::time::sleep(POLL).await;
                }
                // Dropping our sender too ends the open streams.
                if let Ok(mut e) = holder.lock() {
                    e.take();
                }
            };
            warp::serve(route).try_bind_with_graceful_shutdown(config.address, shutdown).map(|(_, server)| server)
        });
        match bound {
            Ok(server) => return runtime.block_on(server),
            Err(e) => {
                eprintln!("{who}: cannot listen: {e}; retrying in {backoff:?}");
                std::thread::sleep(backoff);
                backoff = (backoff * 2).min(MAX_BACKOFF);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_events_across_chunks_with_ids_comments_and_retry() {
        let mut p = EventParser::default();
        assert!(p.push(b": hello\r\nid: 7\r\ndata: {\"a\"").is_empty());
        assert_eq!(p.push(b":1}\r\n\r\nretry: 250\ndata:x\ndata: y\n\nevent: e\n\n"), ["{\"a\":1}", "x\ny"]);
        assert_eq!((p.last_id.as_deref(), p.retry), (Some("7"), Some(Duration::from_millis(250))));
        let c = SseSourceConfig::of(&crate::test_plan("sse", &[("receiver.url", "https://h/x")]));
        assert!(c.unwrap_err().contains("https is not built"));
        let s = SseSinkConfig::of(&crate::test_plan("sse-server", &[("server.port", "8020"), ("server.path", "/t/")]));
        assert_eq!(s.unwrap().path, "t");
        assert!(SseSinkConfig::of(&crate::test_plan("sse-server", &[("server.path", "t")])).is_err());
    }
}
