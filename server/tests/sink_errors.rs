//! Sinks that fail and sinks with several destinations, through the `sluice`
//! binary: `on.error='LOG'` drops what an HTTP endpoint nobody listens on
//! refuses, `on.error='WAIT'` holds the events until a server comes up (and a
//! stopping app gives up), a file that cannot be written is said; a
//! `@distribution` spreads events over file and HTTP destinations; bad values
//! are refused at their line and column.

use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

fn sluice() -> Command {
    Command::new(env!("CARGO_BIN_EXE_sluice"))
}

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("sluice-sinkerr-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Input lines for `sluice run`: events `(sym, v)` of stream `In`.
fn events(dir: &Path, rows: &[(&str, i32)]) -> PathBuf {
    let path = dir.join("in.jsonl");
    let text: String =
        rows.iter().map(|(s, v)| format!("{{\"stream\":\"In\",\"data\":{{\"sym\":\"{s}\",\"v\":{v}}}}}\n")).collect();
    std::fs::write(&path, text).unwrap();
    path
}

/// Answers every request on `listener` with 200 and hands its body over.
fn collector(listener: std::net::TcpListener) -> mpsc::Receiver<String> {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut length = 0;
            loop {
                let mut line = String::new();
                if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                    break;
                }
                if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                    length = v.trim().parse().unwrap_or(0);
                }
            }
            let mut body = vec![0; length];
            if reader.read_exact(&mut body).is_err() {
                continue;
            }
            let _ = write!(stream, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
            if tx.send(String::from_utf8_lossy(&body).into_owned()).is_err() {
                return;
            }
        }
    });
    rx
}

/// A port nobody listens on (for now).
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// The `v` of each JSON body received within 20 s, until `n` came.
fn values(rx: &mpsc::Receiver<String>, n: usize) -> Vec<i64> {
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut out = Vec::new();
    while out.len() < n && Instant::now() < deadline {
        if let Ok(body) = rx.recv_timeout(Duration::from_millis(100)) {
            let json: serde_json::Value = serde_json::from_str(&body).unwrap();
            out.push(json["event"]["v"].as_i64().unwrap());
        }
    }
    out
}

#[test]
fn check_refuses_bad_on_error_strategy_and_partition_key_at_their_place() {
    let dir = temp_dir("check");
    let app = dir.join("bad.siddhi");
    std::fs::write(
        &app,
        "@app:name('Bad')\n\
         define stream In (sym string, v int);\n\
         @sink(type='log', @distribution(strategy='random', @destination(prefix='a')))\n\
         @sink(type='log', @distribution(strategy='partitioned', partitionKey='nope', @destination(prefix='a')))\n\
         @sink(type='log', on.error='RETRY')\n\
         @sink(type='http', publisher.url='http://127.0.0.1:1/x', on.error='STREAM')\n\
         @sink(type='mqtt', url='tcp://127.0.0.1:1', @distribution(strategy='broadcast', @destination(topic='t'), @destination(client.id='c')))\n\
         define stream Out (sym string, v int);\n\
         from In select * insert into Out;\n",
    )
    .unwrap();
    let out = sluice().arg("check").arg(&app).output().unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    for expected in [
        "bad.siddhi:3:33: error: distribution strategy 'random' is not one of roundRobin, partitioned, broadcast",
        "bad.siddhi:4:57: error: partitionKey 'nope' is not an attribute of stream 'Out' (it has: sym, v)",
        "bad.siddhi:5:19: error: on.error 'RETRY' is not one of LOG, WAIT, STREAM",
        "bad.siddhi:6:58: error: not built yet: on.error 'STREAM' on a sink",
        "bad.siddhi:7:106: error: sink type 'mqtt' needs the option `topic` (on the sink or this destination)",
    ] {
        assert!(stderr.contains(expected), "{expected}\n{stderr}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn distributions_spread_events_over_file_destinations_in_both_spellings() {
    let dir = temp_dir("files");
    let rows = [("IBM", 1), ("WSO2", 2), ("IBM", 3), ("ORCL", 4), ("WSO2", 5), ("IBM", 6)];
    let input = events(&dir, &rows);
    let f = |name: &str| dir.join(name).display().to_string();
    let app = dir.join("spread.siddhi");
    std::fs::write(
        &app,
        format!(
            "@app:name('Spread')\n\
             define stream In (sym string, v int);\n\
             @sink(type='file', append='false', @map(type='csv'), @distribution(strategy='roundRobin', @destination(file.uri='{}'), @destination(file.uri='{}'), @destination(file.uri='{}')))\n\
             @sink(type='file', append='false', @map(type='csv'), @distribution(strategy='partitioned', partitionKey='sym', @destination(file.uri='{}'), @destination(file.uri='{}')))\n\
             @sink(type='file', append='false', file.uri='{}', @map(type='csv'), @distribution(strategy='broadcast', @destination(), @destination(file.uri='{}')))\n\
             define stream Out (sym string, v int);\n\
             from In select * insert into Out;\n",
            f("rr0"), f("rr1"), f("rr2"), f("p0"), f("p1"), f("b0"), f("b1")
        ),
    )
    .unwrap();
    let out = sluice().arg("run").arg(&app).arg("--input").arg(&input).stdout(Stdio::null()).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let read = |name: &str| std::fs::read_to_string(dir.join(name)).unwrap();
    assert_eq!(read("rr0"), "IBM,1\nORCL,4\n");
    assert_eq!(read("rr1"), "WSO2,2\nWSO2,5\n");
    assert_eq!(read("rr2"), "IBM,3\nIBM,6\n");
    let all: String = rows.iter().map(|(s, v)| format!("{s},{v}\n")).collect();
    assert_eq!(read("b0"), all);
    assert_eq!(read("b1"), all);
    // Partitioned: every event once, each symbol in one file only.
    let (p0, p1) = (read("p0"), read("p1"));
    assert_eq!(p0.lines().count() + p1.lines().count(), rows.len());
    for (sym, _) in rows {
        let prefix = format!("{sym},");
        assert!(!(p0.contains(&prefix) && p1.contains(&prefix)), "{sym} in both: {p0:?} {p1:?}");
    }
    // Macrometa's spelling: a destination key written again starts the next destination.
    let app = dir.join("spread.sql");
    std::fs::write(
        &app,
        format!(
            "@App:name('SpreadSql')\n\
             CREATE STREAM In (sym string, v int);\n\
             CREATE SINK Out WITH (type='file', append='false', map.type='csv', distribution.strategy='roundRobin', destination.file.uri='{}', destination.file.uri='{}') (sym string, v int);\n\
             INSERT INTO Out SELECT * FROM In;\n",
            f("m0"), f("m1")
        ),
    )
    .unwrap();
    let out = sluice().arg("run").arg(&app).arg("--input").arg(&input).stdout(Stdio::null()).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(read("m0"), "IBM,1\nIBM,3\nWSO2,5\n");
    assert_eq!(read("m1"), "WSO2,2\nORCL,4\nIBM,6\n");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn an_http_sink_broadcasts_and_round_robins_to_servers_the_test_started() {
    let dir = temp_dir("http-spread");
    let (a, b) =
        (std::net::TcpListener::bind("127.0.0.1:0").unwrap(), std::net::TcpListener::bind("127.0.0.1:0").unwrap());
    let (pa, pb) = (a.local_addr().unwrap().port(), b.local_addr().unwrap().port());
    let (ra, rb) = (collector(a), collector(b));
    let input = events(&dir, &[("A", 1), ("B", 2), ("C", 3), ("D", 4)]);
    let app = dir.join("spread.siddhi");
    std::fs::write(
        &app,
        format!(
            "@app:name('HttpSpread')\n\
             define stream In (sym string, v int);\n\
             @sink(type='http', method='POST', @map(type='json'), @distribution(strategy='roundRobin', @destination(publisher.url='http://127.0.0.1:{pa}/x'), @destination(publisher.url='http://127.0.0.1:{pb}/y')))\n\
             define stream Out (sym string, v int);\n\
             @sink(type='http', publisher.url='http://127.0.0.1:{pa}/z', @map(type='json'), @distribution(strategy='broadcast', @destination(), @destination(publisher.url='http://127.0.0.1:{pb}/z')))\n\
             define stream All (sym string, v int);\n\
             from In select * insert into Out;\n\
             from In[v > 2] select * insert into All;\n"
        ),
    )
    .unwrap();
    let out = sluice().arg("run").arg(&app).arg("--input").arg(&input).stdout(Stdio::null()).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let (mut got_a, mut got_b) = (values(&ra, 4), values(&rb, 4));
    got_a.sort();
    got_b.sort();
    assert_eq!((got_a, got_b), (vec![1, 3, 3, 4], vec![2, 3, 4, 4]));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn on_error_log_drops_what_an_endpoint_nobody_listens_on_refuses() {
    let dir = temp_dir("log");
    let port = free_port();
    let input = events(&dir, &[("A", 1), ("B", 2)]);
    let app = dir.join("log.siddhi");
    std::fs::write(
        &app,
        format!(
            "@app:name('Lost')\n\
             define stream In (sym string, v int);\n\
             @sink(type='http', publisher.url='http://127.0.0.1:{port}/x', on.error='LOG', @map(type='json'))\n\
             define stream Out (sym string, v int);\n\
             from In select * insert into Out;\n"
        ),
    )
    .unwrap();
    let started = Instant::now();
    let out = sluice().arg("run").arg(&app).arg("--input").arg(&input).stdout(Stdio::null()).output().unwrap();
    assert!(out.status.success());
    assert!(started.elapsed() < Duration::from_secs(10));
    let stderr = String::from_utf8_lossy(&out.stderr);
    let prefix = format!("sink on 'Out' (http http://127.0.0.1:{port}/x): event dropped:");
    assert_eq!(stderr.matches(&prefix).count(), 2, "{stderr}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn on_error_wait_holds_events_until_the_server_comes_up() {
    let dir = temp_dir("wait");
    let port = free_port();
    let source = dir.join("in.jsonl");
    let lines: String = (1..=5).map(|v| format!("{{\"sym\":\"S\",\"v\":{v}}}\n")).collect();
    std::fs::write(&source, lines).unwrap();
    let app = dir.join("wait.siddhi");
    std::fs::write(
        &app,
        format!(
            "@app:name('Patient')\n\
             @source(type='file', file.uri='{}', @map(type='json'))\n\
             define stream In (sym string, v int);\n\
             @sink(type='http', publisher.url='http://127.0.0.1:{port}/x', on.error='WAIT', @map(type='json'))\n\
             define stream Out (sym string, v int);\n\
             from In select * insert into Out;\n",
            source.display()
        ),
    )
    .unwrap();
    let mut child = sluice()
        .arg("run")
        .arg(&app)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let (tx, log) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    // The first publish fails and is retried…
    let line = log.recv_timeout(Duration::from_secs(10)).unwrap();
    assert!(line.contains("publish failed") && line.contains("on.error='WAIT': retrying"), "{line}");
    std::thread::sleep(Duration::from_millis(700));
    // …until the server is there: every event arrives, in order.
    let received = collector(std::net::TcpListener::bind(("127.0.0.1", port)).unwrap());
    assert_eq!(values(&received, 5), vec![1, 2, 3, 4, 5]);
    let _ = child.kill();
    let _ = child.wait();
    let said: Vec<String> = log.try_iter().collect();
    assert!(said.iter().any(|l| l.contains("published again after")), "{said:?}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_stopping_app_gives_up_waiting_and_says_what_it_dropped() {
    let dir = temp_dir("give-up");
    let port = free_port();
    let input = events(&dir, &[("A", 1), ("B", 2), ("C", 3)]);
    let app = dir.join("stop.siddhi");
    std::fs::write(
        &app,
        format!(
            "@app:name('GiveUp')\n\
             define stream In (sym string, v int);\n\
             @sink(type='http', publisher.url='http://127.0.0.1:{port}/x', on.error='WAIT', @map(type='json'))\n\
             define stream Out (sym string, v int);\n\
             from In select * insert into Out;\n"
        ),
    )
    .unwrap();
    let started = Instant::now();
    let out = sluice().arg("run").arg(&app).arg("--input").arg(&input).stdout(Stdio::null()).output().unwrap();
    assert!(out.status.success());
    assert!(started.elapsed() < Duration::from_secs(10), "{:?}", started.elapsed());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("3 events dropped") || stderr.contains("event dropped after"), "{stderr}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_file_sink_that_cannot_write_says_so() {
    if !Path::new("/dev/full").exists() {
        return;
    }
    let dir = temp_dir("full");
    let input = events(&dir, &[("A", 1)]);
    let app = dir.join("full.siddhi");
    std::fs::write(
        &app,
        "@app:name('Full')\n\
         define stream In (sym string, v int);\n\
         @sink(type='file', file.uri='/dev/full', @map(type='csv'))\n\
         define stream Out (sym string, v int);\n\
         from In select * insert into Out;\n",
    )
    .unwrap();
    let out = sluice().arg("run").arg(&app).arg("--input").arg(&input).stdout(Stdio::null()).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("cannot write to '/dev/full'"), "{stderr}");
    let _ = std::fs::remove_dir_all(&dir);
}
