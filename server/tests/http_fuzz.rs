//! A bounded fuzz test of `sluice serve` over real HTTP on 127.0.0.1: mutated
//! requests to every route (methods, paths, headers, bodies: app texts, events,
//! queries, random bytes, deep nesting) and lifecycle churn. No answer may be a
//! 5xx, no request may hang, and the server must answer `/health` at the end.
//!
//! CI runs a fixed count (`SLUICE_HTTP_FUZZ_REQUESTS`, default 1,500); a longer
//! run by hand: `SLUICE_HTTP_FUZZ_SECS=600 cargo test -p sluice-server --test http_fuzz`.
//! The seed is printed (`SLUICE_HTTP_FUZZ_SEED` replays a run; `SLUICE_HTTP_FUZZ_TRACE=1`
//! prints each request).

mod common;

use common::*;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

/// A small deterministic generator (xorshift64*).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

const APPS: &[&str] = &[
    "@app:name('Fz')\ndefine stream S (k string, v int, d double);\n@primaryKey('k')\ndefine table T (k string, v int);\n\
     from S[v > 1]#window.length(3) select k, sum(v) as s group by k insert into Out;\n\
     from S select k, v update or insert into T on T.k == k;\n",
    "CREATE STREAM S (k string, v int, d double);\nINSERT INTO Out SELECT k, avg(d) AS a FROM S WINDOW SLIDING_TIME(1 sec) GROUP BY k;\n",
    "@app:name('Fz2') define stream S (k string, v int); from every e1=S[v>1] -> e2=S[v>e1.v] within 1 sec select e1.k, e2.v insert into P;",
    "@app:name('Fz3') define stream S (v int); define trigger Tr at every 50 ms; from Tr select triggered_time insert into Ticks;",
];

const EVENTS: &[&str] = &[
    r#"{"k":"a","v":3,"d":1.5}"#,
    r#"[{"k":"a","v":3,"d":1.5},{"k":"b","v":9,"d":-2}]"#,
    "{\"k\":\"a\",\"v\":3,\"d\":1.5}\n{\"k\":\"c\",\"v\":4,\"d\":0}\n",
    "a,3,1.5\nb,4,2\n",
    r#"{"k":null,"v":"x","d":1e400}"#,
    r#"{"k":"a","v":2147483648,"d":1}"#,
    r#"{"stream":"S","data":{"k":"a","v":1,"d":2}}"#,
];

const QUERIES: &[&str] = &[
    "SELECT k, v FROM T WHERE v > 1 ORDER BY k",
    "from T on v > 1 select k, v",
    "from T on T.k == 'a' select k delete T on T.k == k",
    "SELECT COUNT(*) FROM T GROUP BY k HAVING COUNT(*) > 0",
    "from T select k, v update T set T.v = v + 1 on T.k == k",
    "SELECT * FROM Nope",
];

const CONTENT_TYPES: &[&str] = &[
    "application/json",
    "application/x-ndjson",
    "text/csv",
    "text/plain",
    "application/xml",
    "",
    "multipart/form-data",
];

/// Mutates `text`: cut, repeat, flip bytes, insert specials, nest deeply.
fn mutate(rng: &mut Rng, text: &str) -> Vec<u8> {
    let mut b = text.as_bytes().to_vec();
    for _ in 0..rng.below(4) {
        let at = rng.below(b.len() + 1);
        match rng.below(8) {
            0 => b.truncate(at),
            1 if !b.is_empty() => {
                let i = rng.below(b.len());
                b[i] = rng.next() as u8;
            }
            2 => {
                const SPECIAL: &[u8] = b"()\"'{}\\\0\xff,";
                let special = SPECIAL[rng.below(SPECIAL.len())];
                b.insert(at, special);
            }
            3 => {
                let deep = "(".repeat(rng.below(5000)) + &"a+".repeat(rng.below(5000));
                b.splice(at..at, deep.bytes());
            }
            4 => {
                let copy = b.clone();
                b.extend_from_slice(&copy);
            }
            5 => b.splice(at..at, "[".repeat(rng.below(20_000)).bytes()).for_each(drop),
            6 => b.splice(at..at, (0..rng.below(64)).map(|_| rng.next() as u8)).for_each(drop),
            _ => {}
        }
    }
    b
}

/// One raw HTTP/1.1 request; the status, or `None` if the connection closed
/// without an answer (allowed: the server may refuse malformed HTTP outright).
fn send(addr: &str, method: &str, path: &str, ct: &str, key: Option<&str>, body: &[u8]) -> Option<u16> {
    let mut stream = TcpStream::connect(addr).expect("the server accepts connections");
    stream.set_read_timeout(Some(Duration::from_secs(30))).expect("timeout");
    let mut head = format!("{method} {path} HTTP/1.1\r\nhost: {addr}\r\nconnection: close\r\n");
    if !ct.is_empty() {
        head.push_str(&format!("content-type: {ct}\r\n"));
    }
    if let Some(k) = key {
        head.push_str(&format!("authorization: Bearer {k}\r\n"));
    }
    head.push_str(&format!("content-length: {}\r\n\r\n", body.len()));
    let _ = stream.write_all(head.as_bytes()).and_then(|()| stream.write_all(body));
    let mut status = [0u8; 12];
    let mut got = 0;
    while got < status.len() {
        match stream.read(&mut status[got..]) {
            Ok(0) => break,
            Ok(n) => got += n,
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock || e.kind() == std::io::ErrorKind::TimedOut => {
                panic!("{method} {path}: no answer within 30 s")
            }
            Err(_) => break,
        }
    }
    std::str::from_utf8(&status[..got]).ok()?.strip_prefix("HTTP/1.1 ")?.get(..3)?.parse().ok()
}

#[test]
fn mutated_requests_to_every_route_get_no_5xx() {
    let seed = std::env::var("SLUICE_HTTP_FUZZ_SEED").ok().and_then(|s| s.parse().ok()).unwrap_or_else(|| {
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(1, |d| d.as_nanos() as u64) | 1
    });
    let count: usize = std::env::var("SLUICE_HTTP_FUZZ_REQUESTS").ok().and_then(|s| s.parse().ok()).unwrap_or(1500);
    let secs: Option<u64> = std::env::var("SLUICE_HTTP_FUZZ_SECS").ok().and_then(|s| s.parse().ok());
    eprintln!("http fuzz seed {seed}");
    let mut rng = Rng(seed);
    let dir = data_dir("http-fuzz");
    let server = start(
        &dir,
        &["--api-key", "w-key", "--read-key", "r-key", "--max-body-bytes", "1000000", "--queue-events", "5000"],
    );
    let addr = server.base.trim_start_matches("http://").to_string();
    let keys = [Some("w-key"), Some("w-key"), Some("w-key"), Some("r-key"), None, Some("bad")];
    let names = ["Fz", "Fz2", "Fz3", "Nope", "..", "%2e%2e", "a%00b", "S"];
    let streams = ["S", "Out", "T", "Ticks", "P", "Nope", "!S", "#S"];
    let started = Instant::now();
    let (mut sent, mut statuses) = (0usize, std::collections::BTreeMap::<u16, usize>::new());
    loop {
        let done = match secs {
            Some(s) => started.elapsed() >= Duration::from_secs(s),
            None => sent >= count,
        };
        if done {
            break;
        }
        let (app, stream) = (*rng.pick(&names), *rng.pick(&streams));
        let (app_text, events, query) = (*rng.pick(APPS), *rng.pick(EVENTS), *rng.pick(QUERIES));
        let (method, path, body): (&str, String, Vec<u8>) = match rng.below(12) {
            0 | 1 => ("POST", "/v1/apps".into(), mutate(&mut rng, app_text)),
            2 => ("POST", "/v1/validate".into(), mutate(&mut rng, app_text)),
            3..=5 => ("POST", format!("/v1/apps/{app}/streams/{stream}"), mutate(&mut rng, events)),
            6 | 7 => ("POST", format!("/v1/apps/{app}/query"), mutate(&mut rng, query)),
            8 => {
                let action = *rng.pick(&["activate", "deactivate", "nope"]);
                ("POST", format!("/v1/apps/{app}/{action}"), Vec::new())
            }
            9 => ("DELETE", format!("/v1/apps/{app}"), Vec::new()),
            10 => {
                let path = *rng.pick(&["/v1/apps", "/metrics", "/health", "/", "/v1/apps/Fz", "/v1/internal/apps/0"]);
                (*rng.pick(&["GET", "PUT", "PATCH", "HEAD", "OPTIONS"]), path.into(), Vec::new())
            }
            _ => {
                let raw = String::from_utf8_lossy(&mutate(&mut rng, &format!("/v1/apps/{app}/streams/{stream}")))
                    .replace(|c: char| c.is_whitespace() || c.is_control(), "_");
                let raw = if raw.starts_with('/') { raw } else { format!("/{raw}") };
                (*rng.pick(&["GET", "POST", "DELETE"]), raw, mutate(&mut rng, "{}"))
            }
        };
        let ct = *rng.pick(CONTENT_TYPES);
        let key = *rng.pick(&keys);
        if std::env::var("SLUICE_HTTP_FUZZ_TRACE").is_ok() {
            eprintln!("{method} {path} {ct:?} {key:?} {}", String::from_utf8_lossy(&body[..body.len().min(300)]));
        }
        // Following a stream never ends by itself: only its status is read.
        if let Some(status) = send(&addr, method, &path, ct, key, &body) {
            assert!(status < 500, "{method} {path} (content-type {ct:?}) answered {status}; seed {seed}");
            *statuses.entry(status).or_default() += 1;
        }
        sent += 1;
    }
    assert_eq!(send(&addr, "GET", "/health", "", None, b""), Some(200), "the server is alive");
    eprintln!("http fuzz: {sent} requests in {:?}, statuses {statuses:?}", started.elapsed());
    drop(server);
    let _ = std::fs::remove_dir_all(&dir);
}
