//! What the end-to-end tests of `sluice serve` share: the real binary on a free
//! port of 127.0.0.1, HTTP calls, and SSE/WebSocket followers.
#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// A running server, killed when dropped.
pub struct Server {
    pub child: Child,
    pub base: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A fresh temporary data directory for test `name`.
pub fn data_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("sluice-serve-test-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

/// Starts `sluice serve` on a free port and waits until it listens.
pub fn start(dir: &Path, extra: &[&str]) -> Server {
    let mut args = vec!["--listen", "127.0.0.1:0", "--data-dir"];
    args.push(dir.to_str().expect("UTF-8 path"));
    args.extend_from_slice(extra);
    serve(&args)
}

/// Runs `sluice serve ARGS` and waits for the address it reports.
pub fn serve(args: &[&str]) -> Server {
    serve_with(Command::new(env!("CARGO_BIN_EXE_sluice")), args)
}

/// [`serve`] with a command prepared by the caller (its environment, say).
pub fn serve_with(mut command: Command, args: &[&str]) -> Server {
    let mut child = command
        .arg("serve")
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start sluice serve");
    let stderr = child.stderr.take().expect("stderr");
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if let Some(addr) = line.split("listening on http://").nth(1) {
                let _ = tx.send(addr.split_whitespace().next().unwrap_or_default().to_string());
            } else if line.contains("panicked") || line.contains("overflow") {
                // What the server says when it dies shows in the test's output.
                eprintln!("sluice serve: {line}");
            }
        }
    });
    let addr = rx.recv_timeout(Duration::from_secs(30)).expect("the server reports its address");
    Server { child, base: format!("http://{addr}") }
}

/// Sends a request; returns the status and body (4xx/5xx included).
pub fn call(method: &str, url: &str, body: Option<(&str, &str)>, key: Option<&str>) -> (u16, String) {
    let mut req = ureq::request(method, url);
    if let Some(k) = key {
        req = req.set("authorization", &format!("Bearer {k}"));
    }
    let result = match body {
        Some((ct, text)) => req.set("content-type", ct).send_string(text),
        None => req.call(),
    };
    match result {
        Ok(r) => (r.status(), r.into_string().unwrap_or_default()),
        Err(ureq::Error::Status(code, r)) => (code, r.into_string().unwrap_or_default()),
        Err(e) => panic!("{method} {url}: {e}"),
    }
}

/// Parses JSON text or fails the test showing it.
pub fn json(text: &str) -> serde_json::Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
}

/// Collects `data:` lines of an SSE subscription on a thread.
pub fn follow_sse(url: String) -> mpsc::Receiver<serde_json::Value> {
    let (tx, rx) = mpsc::channel();
    let resp = ureq::get(&url).set("accept", "text/event-stream").call().expect("subscribe over SSE");
    assert_eq!(resp.header("content-type"), Some("text/event-stream"));
    std::thread::spawn(move || {
        for line in BufReader::new(resp.into_reader()).lines().map_while(Result::ok) {
            if let Some(data) = line.strip_prefix("data:") {
                if tx.send(json(data)).is_err() {
                    break;
                }
            }
        }
    });
    rx
}

/// Follows an SSE stream on a thread, resuming after event `last_id` when given
/// (`Last-Event-ID`): each event's `id:` and data.
pub fn follow_sse_ids(url: String, last_id: Option<u64>) -> mpsc::Receiver<(Option<u64>, serde_json::Value)> {
    let (tx, rx) = mpsc::channel();
    let mut req = ureq::get(&url).set("accept", "text/event-stream");
    if let Some(id) = last_id {
        req = req.set("last-event-id", &id.to_string());
    }
    let resp = req.call().expect("subscribe over SSE");
    std::thread::spawn(move || {
        let (mut id, mut data) = (None, None);
        for line in BufReader::new(resp.into_reader()).lines().map_while(Result::ok) {
            if let Some(d) = line.strip_prefix("data:") {
                data = Some(json(d));
            } else if let Some(n) = line.strip_prefix("id:") {
                id = n.trim().parse().ok();
            } else if line.is_empty() {
                if let Some(d) = data.take() {
                    if tx.send((id.take(), d)).is_err() {
                        break;
                    }
                }
            }
        }
    });
    rx
}

/// Collects the text messages of a WebSocket subscription on a thread.
pub fn follow_ws(url: String) -> mpsc::Receiver<serde_json::Value> {
    let (tx, rx) = mpsc::channel();
    let (mut socket, _) = tungstenite::connect(url).expect("subscribe over WebSocket");
    std::thread::spawn(move || {
        while let Ok(msg) = socket.read() {
            if let tungstenite::Message::Text(t) = msg {
                if tx.send(json(&t)).is_err() {
                    break;
                }
            }
        }
    });
    rx
}

/// Waits (up to 10 s) for `n` followed events.
pub fn take<T: std::fmt::Debug>(rx: &mpsc::Receiver<T>, n: usize) -> Vec<T> {
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut got = Vec::new();
    while got.len() < n {
        let left = deadline.saturating_duration_since(Instant::now());
        match rx.recv_timeout(left) {
            Ok(v) => got.push(v),
            Err(_) => panic!("expected {n} events, got {}: {got:?}", got.len()),
        }
    }
    got
}

/// A free TCP port on 127.0.0.1.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map(|a| a.port()).expect("free port")
}

/// Starts process `index` of a cluster whose processes listen on `http` and
/// connect their timely workers over `hostfile`.
pub fn start_process(dir: &Path, hostfile: &Path, index: usize, http: &[u16]) -> Server {
    let peers: Vec<String> = http.iter().map(|p| format!("127.0.0.1:{p}")).collect();
    let (process, peer_list) = (index.to_string(), peers.join(","));
    serve(&[
        "--workers",
        "2",
        "--listen",
        &peers[index],
        "--data-dir",
        dir.to_str().expect("UTF-8 path"),
        "--hostfile",
        hostfile.to_str().expect("UTF-8 path"),
        "--process",
        &process,
        "--peers",
        &peer_list,
        "--cluster-secret",
        CLUSTER_SECRET,
    ])
}

/// What the test cluster's processes share.
pub const CLUSTER_SECRET: &str = "test-secret-0123456789";
