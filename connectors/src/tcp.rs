//! The `tcp` source and sink, in Siddhi's siddhi-io-tcp framing (tokio's TCP).
//!
//! Every message is one frame: a protocol byte `2`, then big-endian 32-bit
//! integers giving the size of the rest of the frame, the length of the
//! sender's session id and the session id, the length of the channel id and the
//! channel id, the length of the data and the data (the mapper's payload, UTF-8
//! text). The channel id is the source's `context` (default `<app>/<stream>`,
//! as in Siddhi) and the path of the sink's `url` (`tcp://host:port/context`).
//!
//! Sources on the same `host:port` (Siddhi's system parameters, read here as
//! source options; default `0.0.0.0:9892`) share one listener, which hands each
//! frame to the source whose context is its channel id; a frame for an unknown
//! channel is logged and dropped. A full source waits for its app's door, and
//! the connection stops being read meanwhile (back-pressure reaches the sender).
//! A port that cannot be bound is retried with back-off, logged.
//!
//! A sink connects to its URL, sends each payload as a frame and, when the
//! connection cannot be made or breaks, logs it and tries again with back-off;
//! what it is given meanwhile is logged and dropped, as Siddhi's default
//! `on.error='LOG'` does.

use crate::flag;
use crate::source::Feed;
use sluice_frontend::logical::ConnectorPlan;
use std::collections::HashMap;
use std::net::{SocketAddr, ToSocketAddrs};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc::{sync_channel, Receiver, RecvTimeoutError, SyncSender, TrySendError};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// The options Sluice reads for a `tcp` source.
pub const SOURCE_OPTIONS: &[&str] = &["context", "host", "port"];

/// The options Sluice reads for a `tcp` sink.
pub const SINK_OPTIONS: &[&str] = &["url", "sync", "tcp.no.delay", "keep.alive"];

/// The largest frame a source accepts (a bigger one closes the connection).
const MAX_FRAME: usize = 64 << 20;

/// How many frames wait for a source's app before its connections stop being read.
const QUEUE: usize = 1024;

/// How often an idle source or listener looks at its stop flag.
const POLL: Duration = Duration::from_millis(100);

/// The longest wait between two attempts to listen or to connect.
const MAX_BACKOFF: Duration = Duration::from_secs(5);

/// The frame of `data` on channel `channel` from session `session`.
pub fn frame(session: &str, channel: &str, data: &[u8]) -> Vec<u8> {
    let size = 12 + session.len() + channel.len() + data.len();
    let mut out = Vec::with_capacity(5 + size);
    out.push(2);
    out.extend_from_slice(&(size as u32).to_be_bytes());
    for part in [session.as_bytes(), channel.as_bytes(), data] {
        out.extend_from_slice(&(part.len() as u32).to_be_bytes());
        out.extend_from_slice(part);
    }
    out
}

/// A `tcp` source's settings.
#[derive(Clone, Debug, PartialEq)]
pub struct TcpSourceConfig {
    /// Where to listen (`host`, `port`).
    pub address: SocketAddr,
    /// The channel id the source takes (`context`).
    pub context: String,
}

fn address(host: &str, port: u16) -> Result<SocketAddr, String> {
    let host = if host == "localhost" { "127.0.0.1" } else { host };
    (host, port)
        .to_socket_addrs()
        .ok()
        .and_then(|mut a| a.next())
        .ok_or_else(|| format!("host '{host}' is not an address Sluice can listen on or connect to"))
}

impl TcpSourceConfig {
    /// Reads the options of the `tcp` source of `stream` in app `app`, or says which is wrong.
    pub fn of(plan: &ConnectorPlan, app: &str, stream: &str) -> Result<TcpSourceConfig, String> {
        let port = match plan.option("port") {
            None => 9892,
            Some(p) => p.trim().parse::<u16>().map_err(|_| format!("port '{p}' is not a port number"))?,
        };
        let context = match plan.option("context") {
            Some(c) => c.trim_start_matches('/').to_string(),
            None => format!("{app}/{stream}"),
        };
        Ok(TcpSourceConfig { address: address(plan.option("host").unwrap_or("0.0.0.0"), port)?, context })
    }
}

/// A listener shared by the sources of one address: their queues by context.
#[derive(Default)]
struct Listener {
    channels: Mutex<HashMap<String, SyncSender<Vec<u8>>>>,
    stop: AtomicBool,
}

type Listeners = Mutex<HashMap<SocketAddr, Arc<Listener>>>;

fn listeners() -> &'static Listeners {
    static LISTENERS: OnceLock<Listeners> = OnceLock::new();
    LISTENERS.get_or_init(Listeners::default)
}

/// Registers `context` on the listener of `address` (starting it), or says why not.
fn register(config: &TcpSourceConfig) -> Result<Receiver<Vec<u8>>, String> {
    let mut all = listeners().lock().unwrap_or_else(|p| p.into_inner());
    let listener = all.entry(config.address).or_default().clone();
    let mut channels = listener.channels.lock().unwrap_or_else(|p| p.into_inner());
    if channels.contains_key(&config.context) {
        return Err(format!("another tcp source already takes context '{}' on {}", config.context, config.address));
    }
    let (tx, rx) = sync_channel(QUEUE);
    channels.insert(config.context.clone(), tx);
    if channels.len() == 1 {
        let (listening, address) = (listener.clone(), config.address);
        std::thread::Builder::new()
            .name(format!("tcp-{address}"))
            .spawn(move || listen(address, &listening))
            .map_err(|e| format!("cannot start a tcp listener thread: {e}"))?;
    }
    Ok(rx)
}

/// Takes `context` off its listener, which stops when it has no source left.
fn unregister(config: &TcpSourceConfig) {
    let mut all = listeners().lock().unwrap_or_else(|p| p.into_inner());
    let Some(listener) = all.get(&config.address).cloned() else { return };
    let mut channels = listener.channels.lock().unwrap_or_else(|p| p.into_inner());
    channels.remove(&config.context);
    if channels.is_empty() {
        listener.stop.store(true, Ordering::Release);
        all.remove(&config.address);
    }
}

/// Receives the frames of the source's context until the source stops.
pub(crate) fn serve(config: &TcpSourceConfig, mut feed: Feed) {
    let frames = match register(config) {
        Ok(rx) => rx,
        Err(e) => {
            eprintln!("source on '{}' (tcp): {e}", feed.stream());
            return;
        }
    };
    while !feed.stopped() {
        match frames.recv_timeout(POLL) {
            Ok(data) => match String::from_utf8(data) {
                Ok(text) => {
                    // A payload the mapper cannot read is logged by the feed.
                    if let Ok(false) = feed.offer_telling(&crate::mapper::Payload::Text(text)) {
                        break;
                    }
                }
                Err(_) => eprintln!("source on '{}' (tcp): payload dropped: it is not UTF-8 text", feed.stream()),
            },
            Err(RecvTimeoutError::Timeout) => {}
            Err(RecvTimeoutError::Disconnected) => break,
        }
    }
    unregister(config);
}

/// Listens on `address` (retrying with back-off) until `listener` stops.
fn listen(address: SocketAddr, listener: &Arc<Listener>) {
    let runtime = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(r) => r,
        Err(e) => return eprintln!("tcp listener on {address}: cannot start: {e}"),
    };
    runtime.block_on(async {
        let mut backoff = POLL;
        let socket = loop {
            if listener.stop.load(Ordering::Acquire) {
                return;
            }
            match tokio::net::TcpListener::bind(address).await {
                Ok(s) => break s,
                Err(e) => {
                    eprintln!("tcp source on {address}: cannot listen: {e}; retrying in {backoff:?}");
                    tokio::time::sleep(backoff).await;
                    backoff = (backoff * 2).min(MAX_BACKOFF);
                }
            }
        };
        while !listener.stop.load(Ordering::Acquire) {
            match tokio::time::timeout(POLL, socket.accept()).await {
                Ok(Ok((stream, peer))) => {
                    let _ = stream.set_nodelay(true);
                    tokio::spawn(connection(stream, peer, listener.clone()));
                }
                Ok(Err(e)) => eprintln!("tcp source on {address}: cannot accept a connection: {e}"),
                Err(_) => {}
            }
        }
    });
}

/// Reads the frames of one connection and hands each to its source.
async fn connection(mut stream: tokio::net::TcpStream, peer: SocketAddr, listener: Arc<Listener>) {
    loop {
        let mut head = [0u8; 5];
        if stream.read_exact(&mut head).await.is_err() {
            return; // closed by the peer
        }
        let size = u32::from_be_bytes([head[1], head[2], head[3], head[4]]) as usize;
        if head[0] != 2 || size > MAX_FRAME {
            eprintln!(
                "tcp source: connection from {peer} closed: not a Siddhi tcp frame (protocol {}, size {size})",
                head[0]
            );
            return;
        }
        let mut body = vec![0u8; size];
        if let Err(e) = stream.read_exact(&mut body).await {
            eprintln!("tcp source: connection from {peer} closed in the middle of a frame: {e}");
            return;
        }
        let Some((channel, data)) = split_frame(&body) else {
            eprintln!("tcp source: connection from {peer} closed: a frame's lengths do not add up");
            return;
        };
        let sender = listener.channels.lock().unwrap_or_else(|p| p.into_inner()).get(&channel).cloned();
        let Some(sender) = sender else {
            eprintln!("tcp source: events on unknown channel '{channel}' from {peer} dropped");
            continue;
        };
        let mut data = data.to_vec();
        loop {
            match sender.try_send(data) {
                Ok(()) => break,
                Err(TrySendError::Full(back)) => {
                    data = back;
                    tokio::time::sleep(Duration::from_millis(1)).await;
                }
                Err(TrySendError::Disconnected(_)) => break,
            }
        }
    }
}

/// The channel id and data of a frame's body (after the protocol byte and size).
fn split_frame(body: &[u8]) -> Option<(String, &[u8])> {
    let mut rest = body;
    let mut part = || -> Option<&[u8]> {
        let len = u32::from_be_bytes(rest.get(..4)?.try_into().ok()?) as usize;
        let (p, r) = rest.get(4..)?.split_at_checked(len)?;
        rest = r;
        Some(p)
    };
    let _session = part()?;
    let channel = String::from_utf8_lossy(part()?).into_owned();
    let data = part()?;
    Some((channel, data))
}

/// A `tcp` sink's settings.
#[derive(Clone, Debug, PartialEq)]
pub struct TcpSinkConfig {
    /// `url`, as written.
    pub url: String,
    /// `host:port` of the URL.
    pub authority: String,
    /// The URL's path without its first `/`: the channel id.
    pub channel: String,
    /// `sync`: wait until each frame is written before taking the next event.
    pub sync: bool,
    /// `tcp.no.delay` (default true).
    pub no_delay: bool,
    /// `keep.alive` (default true).
    pub keep_alive: bool,
}

impl TcpSinkConfig {
    /// Reads the options of a `tcp` sink, or says which one is wrong.
    pub fn of(plan: &ConnectorPlan) -> Result<TcpSinkConfig, String> {
        let url = plan.option("url").unwrap_or_default().to_string();
        let form = "expected in the form `tcp://<host>:<port>/<context>`";
        let rest = url.strip_prefix("tcp://").ok_or_else(|| format!("url '{url}': {form}"))?;
        let (authority, channel) = rest.split_once('/').ok_or_else(|| format!("url '{url}' has no context: {form}"))?;
        let Some((host, port)) = authority.rsplit_once(':') else {
            return Err(format!("url '{url}' has no port: {form}"));
        };
        if host.is_empty() || port.parse::<u16>().is_err() || channel.is_empty() {
            return Err(format!("url '{url}': {form}"));
        }
        Ok(TcpSinkConfig {
            authority: authority.to_string(),
            channel: channel.to_string(),
            sync: flag(plan, "sync", false)?,
            no_delay: flag(plan, "tcp.no.delay", true)?,
            keep_alive: flag(plan, "keep.alive", true)?,
            url,
        })
    }
}

static SESSIONS: AtomicUsize = AtomicUsize::new(0);

/// A running `tcp` sink: a queue and the thread that keeps the connection and sends.
#[derive(Debug)]
pub struct TcpSink {
    queue: Option<SyncSender<(String, Option<SyncSender<()>>)>>,
    sync: bool,
    sender: Option<std::thread::JoinHandle<()>>,
}

impl TcpSink {
    /// Starts the sender thread for the sink on `stream` (it connects at once).
    pub fn start(config: TcpSinkConfig, stream: &str) -> Result<TcpSink, String> {
        let (tx, rx) = sync_channel::<(String, Option<SyncSender<()>>)>(QUEUE);
        let who = format!("sink on '{stream}' (tcp {})", config.url);
        let sync = config.sync;
        let sender = std::thread::Builder::new()
            .name(format!("sink-{stream}"))
            .spawn(move || {
                let runtime = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
                    Ok(r) => r,
                    Err(e) => return eprintln!("{who}: cannot start: {e}"),
                };
                runtime.block_on(send_all(config, who, rx));
            })
            .map_err(|e| format!("cannot start a sink thread: {e}"))?;
        Ok(TcpSink { queue: Some(tx), sync, sender: Some(sender) })
    }

    /// Queues one payload (waits while the queue is full; with `sync`, until it is written).
    pub fn send(&self, text: String) {
        let Some(queue) = &self.queue else { return };
        if self.sync {
            let (done, written) = sync_channel(1);
            if queue.send((text, Some(done))).is_ok() {
                let _ = written.recv();
            }
        } else {
            let _ = queue.send((text, None));
        }
    }
}

impl Drop for TcpSink {
    /// Sends what is queued, then ends the thread.
    fn drop(&mut self) {
        self.queue.take();
        if let Some(sender) = self.sender.take() {
            let _ = sender.join();
        }
    }
}

/// A connection attempt: a socket with the sink's options, connected.
async fn connect(config: &TcpSinkConfig) -> std::io::Result<tokio::net::TcpStream> {
    let address = tokio::net::lookup_host(config.authority.replace("localhost", "127.0.0.1"))
        .await?
        .next()
        .ok_or_else(|| std::io::Error::new(std::io::ErrorKind::NotFound, "the host has no address"))?;
    let socket = if address.is_ipv4() { tokio::net::TcpSocket::new_v4()? } else { tokio::net::TcpSocket::new_v6()? };
    socket.set_keepalive(config.keep_alive)?;
    socket.set_nodelay(config.no_delay)?;
    tokio::time::timeout(Duration::from_secs(5), socket.connect(address))
        .await
        .map_err(|_| std::io::Error::new(std::io::ErrorKind::TimedOut, "connection timed out"))?
}

/// A sink's connection, and when to try again while there is none.
struct Link {
    stream: Option<tokio::net::TcpStream>,
    backoff: Duration,
    next_attempt: Instant,
    retrying: bool,
    dropped: usize,
}

impl Link {
    /// Connects unless connected or waiting out a back-off; logs failures and recoveries.
    async fn ensure(&mut self, config: &TcpSinkConfig, who: &str) {
        if self.stream.is_some() || Instant::now() < self.next_attempt {
            return;
        }
        match connect(config).await {
            Ok(s) => {
                if self.retrying {
                    eprintln!("{who}: connected again ({} events dropped meanwhile)", self.dropped);
                }
                (self.stream, self.backoff, self.retrying, self.dropped) = (Some(s), POLL, false, 0);
            }
            Err(e) => {
                eprintln!("{who}: cannot connect: {e}; retrying in {:?}", self.backoff);
                self.next_attempt = Instant::now() + self.backoff;
                self.backoff = (self.backoff * 2).min(MAX_BACKOFF);
                self.retrying = true;
            }
        }
    }
}

/// Keeps the connection (reconnecting with back-off) and sends each queued payload.
async fn send_all(config: TcpSinkConfig, who: String, rx: Receiver<(String, Option<SyncSender<()>>)>) {
    let session =
        format!("sluice-{}-{}-{}", std::process::id(), SESSIONS.fetch_add(1, Ordering::Relaxed), config.authority);
    let mut link = Link { stream: None, backoff: POLL, next_attempt: Instant::now(), retrying: false, dropped: 0 };
    loop {
        link.ensure(&config, &who).await;
        // The queue is a std channel; nothing else runs on this thread's runtime.
        let (text, done) = match rx.recv_timeout(POLL) {
            Ok(item) => item,
            Err(RecvTimeoutError::Timeout) => continue,
            Err(RecvTimeoutError::Disconnected) => break,
        };
        link.ensure(&config, &who).await;
        match link.stream.as_mut() {
            Some(s) => {
                let bytes = frame(&session, &config.channel, text.as_bytes());
                let written = async { s.write_all(&bytes).await.and(s.flush().await) };
                if let Err(e) = written.await {
                    eprintln!("{who}: connection lost: {e}; event dropped, reconnecting");
                    (link.stream, link.retrying) = (None, true);
                }
            }
            None => link.dropped += 1,
        }
        if let Some(done) = done {
            let _ = done.send(());
        }
    }
    if let Some(mut s) = link.stream {
        let _ = s.shutdown().await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_round_trip_and_options_are_read() {
        let f = frame("s1", "app/S", b"{\"a\":1}");
        assert_eq!(f[0], 2);
        assert_eq!(u32::from_be_bytes(f[1..5].try_into().unwrap()) as usize, f.len() - 5);
        assert_eq!(split_frame(&f[5..]), Some(("app/S".to_string(), &b"{\"a\":1}"[..])));
        assert_eq!(split_frame(&f[5..f.len() - 1]), None);
        let c = TcpSinkConfig::of(&crate::test_plan("tcp", &[("url", "tcp://localhost:8080/abc"), ("sync", "true")]))
            .unwrap();
        assert_eq!(
            (c.authority.as_str(), c.channel.as_str(), c.sync, c.no_delay),
            ("localhost:8080", "abc", true, true)
        );
        for url in ["http://h:1/a", "tcp://h:1", "tcp://h/a", "tcp://h:x/a"] {
            assert!(TcpSinkConfig::of(&crate::test_plan("tcp", &[("url", url)])).is_err(), "{url}");
        }
        let s = TcpSourceConfig::of(&crate::test_plan("tcp", &[("context", "abc")]), "App", "Foo").unwrap();
        assert_eq!((s.address.port(), s.context.as_str()), (9892, "abc"));
        let s = TcpSourceConfig::of(&crate::test_plan("tcp", &[("port", "1234")]), "App", "Foo").unwrap();
        assert_eq!(s.context, "App/Foo");
        assert!(TcpSourceConfig::of(&crate::test_plan("tcp", &[("port", "x")]), "App", "Foo").is_err());
    }
}
