//! The `tcp` and `sse` transports through `sluice run`, the test acting as the
//! remote peers on 127.0.0.1: a tcp source fed Siddhi-framed events and a tcp
//! sink that connects (after retrying) to the test's listener; an `sse` source
//! following the test's SSE endpoint across a reconnection (with
//! `Last-Event-ID`) and an `sse-server` sink the test subscribes to.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn run(name: &str, app: &str) -> Running {
    let dir = std::env::temp_dir().join(format!("sluice-netio-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("app.sql");
    std::fs::write(&path, app).unwrap();
    let check = Command::new(env!("CARGO_BIN_EXE_sluice")).arg("check").arg(&path).output().unwrap();
    assert!(check.status.success(), "{}", String::from_utf8_lossy(&check.stderr));
    let child = Command::new(env!("CARGO_BIN_EXE_sluice"))
        .arg("run")
        .arg(&path)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    Running(child)
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

fn wait_listening(port: u16) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "nothing listens on {port}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// A Siddhi tcp frame, written out by hand from the protocol's description.
fn frame(channel: &str, data: &str) -> Vec<u8> {
    let session = "test-session";
    let mut out = vec![2u8];
    out.extend(((12 + session.len() + channel.len() + data.len()) as u32).to_be_bytes());
    for part in [session, channel, data] {
        out.extend((part.len() as u32).to_be_bytes());
        out.extend(part.as_bytes());
    }
    out
}

/// Reads one frame: (channel, data).
fn read_frame(stream: &mut TcpStream) -> (String, String) {
    let mut head = [0u8; 5];
    stream.read_exact(&mut head).unwrap();
    assert_eq!(head[0], 2);
    let mut body = vec![0u8; u32::from_be_bytes(head[1..5].try_into().unwrap()) as usize];
    stream.read_exact(&mut body).unwrap();
    let mut parts = Vec::new();
    let mut rest = &body[..];
    for _ in 0..3 {
        let len = u32::from_be_bytes(rest[..4].try_into().unwrap()) as usize;
        parts.push(String::from_utf8(rest[4..4 + len].to_vec()).unwrap());
        rest = &rest[4 + len..];
    }
    assert!(rest.is_empty());
    (parts[1].clone(), parts[2].clone())
}

#[test]
fn a_tcp_source_takes_framed_events_and_a_tcp_sink_connects_after_retrying() {
    let (source_port, sink_port) = (free_port(), free_port());
    let _app = run(
        "tcp",
        &format!(
            "CREATE SOURCE Orders WITH (type='tcp', host='127.0.0.1', port='{source_port}', context='orders', \
               map.type='json') (id string, amount double);\n\
             CREATE SINK Big WITH (type='tcp', url='tcp://127.0.0.1:{sink_port}/big', sync='true', \
               tcp.no.delay='true', keep.alive='true', map.type='json') (id string, amount double);\n\
             INSERT INTO Big SELECT id, amount FROM Orders[amount >= 100.0];\n"
        ),
    );
    wait_listening(source_port);
    // The sink could not connect so far; it keeps trying with back-off.
    std::thread::sleep(Duration::from_millis(500));
    let listener = TcpListener::bind(("127.0.0.1", sink_port)).unwrap();
    let (mut peer, _) = listener.accept().unwrap();
    peer.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let mut client = TcpStream::connect(("127.0.0.1", source_port)).unwrap();
    let mut bytes = Vec::new();
    bytes.extend(frame("orders", r#"{"event":{"id":"o1","amount":150}}"#));
    bytes.extend(frame("elsewhere", r#"{"event":{"id":"x","amount":900}}"#));
    bytes.extend(frame("orders", "not json"));
    bytes.extend(frame("orders", r#"{"event":{"id":"o2","amount":5}}"#));
    // A frame split across two writes is still one frame.
    let last = frame("orders", r#"{"event":{"id":"o3","amount":100}}"#);
    bytes.extend(&last[..7]);
    client.write_all(&bytes).unwrap();
    client.flush().unwrap();
    std::thread::sleep(Duration::from_millis(100));
    client.write_all(&last[7..]).unwrap();
    let got: Vec<(String, String)> = (0..2).map(|_| read_frame(&mut peer)).collect();
    let ids: Vec<(String, String)> = got
        .into_iter()
        .map(|(c, d)| (c, serde_json::from_str::<serde_json::Value>(&d).unwrap()["event"]["id"].to_string()))
        .collect();
    assert_eq!(ids, [("big".to_string(), "\"o1\"".to_string()), ("big".to_string(), "\"o3\"".to_string())]);
}

/// Serves text/event-stream on `listener`: the first connection gets `first`
/// and is closed; the second's request is sent back through the channel, then
/// it gets `second` and stays open.
fn sse_endpoint(
    listener: TcpListener,
    go: mpsc::Receiver<()>,
    first: String,
    second: String,
) -> mpsc::Receiver<String> {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for (n, events) in [first, second].into_iter().enumerate() {
            let (mut stream, _) = listener.accept().unwrap();
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut request = String::new();
            loop {
                let mut line = String::new();
                if reader.read_line(&mut line).unwrap() == 0 || line == "\r\n" {
                    break;
                }
                request.push_str(&line);
            }
            if n == 0 {
                go.recv().unwrap();
            }
            let _ = tx.send(request);
            let head = "HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\nconnection: close\r\n\r\n";
            stream.write_all(head.as_bytes()).unwrap();
            stream.write_all(events.as_bytes()).unwrap();
            stream.flush().unwrap();
            if n == 1 {
                std::thread::sleep(Duration::from_secs(30));
            }
        }
    });
    rx
}

#[test]
fn an_sse_source_follows_an_endpoint_across_reconnections_into_an_sse_server_sink() {
    let (remote_port, sink_port) = (free_port(), free_port());
    let remote = TcpListener::bind(("127.0.0.1", remote_port)).unwrap();
    let (go, wait) = mpsc::channel();
    let requests = sse_endpoint(
        remote,
        wait,
        ": welcome\nretry: 200\nid: 1\ndata: {\"event\":{\"name\":\"a\",\"n\":1}}\n\n\
         id: 2\ndata: {\"event\":\ndata: {\"name\":\"b\",\"n\":2}}\n\n"
            .into(),
        "id: 3\r\ndata: {\"event\":{\"name\":\"c\",\"n\":3}}\r\n\r\n".into(),
    );
    let _app = run(
        "sse",
        &format!(
            "CREATE SOURCE Ticks WITH (type='sse', receiver.url='http://127.0.0.1:{remote_port}/ticks', \
               headers=\"'X-Token:abc'\", map.type='json') (name string, n int);\n\
             CREATE SINK Doubled WITH (type='sse-server', server.port='{sink_port}', server.path='doubled', \
               map.type='json') (name string, n int);\n\
             INSERT INTO Doubled SELECT name, n * 2 AS n FROM Ticks;\n"
        ),
    );
    wait_listening(sink_port);
    let subscription = ureq::get(&format!("http://127.0.0.1:{sink_port}/doubled")).call().expect("subscribe");
    assert_eq!(subscription.header("content-type"), Some("text/event-stream"));
    let (events_tx, events) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(subscription.into_reader()).lines().map_while(Result::ok) {
            if let Some(data) = line.strip_prefix("data:") {
                let _ = events_tx.send(data.trim().to_string());
            }
        }
    });
    go.send(()).unwrap();
    let first = requests.recv_timeout(Duration::from_secs(10)).unwrap().to_ascii_lowercase();
    assert!(first.starts_with("get /ticks ") && first.contains("x-token: abc"), "{first}");
    assert!(first.contains("accept: text/event-stream") && !first.contains("last-event-id"), "{first}");
    let second = requests.recv_timeout(Duration::from_secs(10)).unwrap().to_ascii_lowercase();
    assert!(second.contains("last-event-id: 2"), "{second}");
    let got: Vec<String> = (0..3).map(|_| events.recv_timeout(Duration::from_secs(10)).unwrap()).collect();
    assert_eq!(
        got,
        [r#"{"event":{"name":"a","n":2}}"#, r#"{"event":{"name":"b","n":4}}"#, r#"{"event":{"name":"c","n":6}}"#]
    );
}

#[test]
fn check_refuses_bad_tcp_and_sse_options_at_their_place() {
    let dir = std::env::temp_dir().join(format!("sluice-netio-check-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let cases = [
        (
            "CREATE SINK S WITH (type='tcp', url='tcp://h:1', map.type='json') (a int);\n",
            "1:15: error: url 'tcp://h:1' has no context",
        ),
        (
            "@sink(type='tcp', map.type='json')\ndefine stream S (a int);\n",
            "1:1: error: sink type 'tcp' needs the option `url`",
        ),
        ("@source(type='tcp', port='x')\ndefine stream S (a int);\n", "1:1: error: port 'x' is not a port number"),
        (
            "@source(type='sse', receiver.url='https://h/x')\ndefine stream S (a int);\n",
            "1:1: error: receiver.url 'https://h/x': Sluice subscribes to `http://…` URLs (https is not built)",
        ),
        (
            "CREATE SINK S WITH (type='sse-server', server.port='p') (a int);\n",
            "1:15: error: server.port 'p' is not a port number",
        ),
        (
            "@source(type='tcp', worker.threads='4')\ndefine stream S (a int);\n",
            "1:21: warning: tcp option 'worker.threads' is not read",
        ),
    ];
    for (text, expected) in cases {
        let app = dir.join("app.siddhi");
        std::fs::write(&app, text).unwrap();
        let out = Command::new(env!("CARGO_BIN_EXE_sluice")).arg("check").arg(&app).output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains(expected), "{expected}\nnot in:\n{stderr}");
    }
}
