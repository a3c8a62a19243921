//! The crash test of issue 17: a load generator posts numbered events to a real
//! `sluice serve` whose app has a table, a time window, a pattern and an
//! aggregation; the server is `kill -9`ed at random moments and restarted,
//! `--rounds` times. At the end:
//!
//! * every event that got a 2xx answer is in the table, and the table holds
//!   nothing that was not sent (no event twice: its primary key is the number);
//! * the state equals that of an uninterrupted run over the same events: a
//!   second server (`--durability none`, never killed) gets exactly the events
//!   the first one holds, then both get the same probe events, and the outputs
//!   the probes cause (window sums, running totals, pattern matches) must be
//!   equal.
//!
//! `cargo build --release -p sluice-server && cargo run --release -p
//! sluice-benchmarks --bin crash-test -- --rounds 50` (CI runs a few rounds).

mod serve_process;

use serve_process::Server;
use std::collections::BTreeSet;
use std::hash::{BuildHasher, Hasher};
use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc};
use std::time::Duration;

const APP: &str = "@app:name('Crash')
@app:playback
define stream S (id long, k string, v long);
@primaryKey('id')
define table T (id long, k string, v long);
from S insert into T;
from S#window.time(2 sec) select k, count() as n, sum(v) as total group by k insert into Windowed;
from S select k, count() as n, sum(v) as total group by k insert into Totals;
from every e1=S[v == 0] -> e2=S[k == e1.k and v == 9] within 1 sec select e1.id as a, e2.id as b insert into Pairs;
";

const KEYS: u64 = 7;
const BATCH: u64 = 50;

/// Event `id`: its key, value and timestamp are functions of the number.
fn event(id: u64) -> String {
    format!("{{\"event\":{{\"id\":{id},\"k\":\"k{}\",\"v\":{}}},\"ts\":{}}}\n", id % KEYS, id % 10, 1_000 + id * 10)
}

/// A random number (the test's randomness needs no seed: kill times depend on
/// the wall clock anyway).
fn random(below: u64) -> u64 {
    std::collections::hash_map::RandomState::new().build_hasher().finish() % below.max(1)
}

/// A request to the server under test: 30 s at most.
fn post(base: &str, path: &str, ct: &str, body: &str) -> Result<(u16, String), String> {
    serve_process::post(base, path, ct, body, Duration::from_secs(30))
}

/// Posts batches of new numbers from `next` until a request fails (the server
/// was killed) or `stop`; returns the numbers acknowledged and the next unused.
fn generate(base: String, mut next: u64, stop: Arc<AtomicBool>) -> (Vec<u64>, u64) {
    let mut acked = Vec::new();
    while !stop.load(Ordering::Acquire) {
        let ids: Vec<u64> = (next..next + BATCH).collect();
        next += BATCH;
        let body: String = ids.iter().map(|i| event(*i)).collect();
        match post(&base, "/v1/apps/Crash/streams/S", "application/x-ndjson", &body) {
            Ok((200, _)) => acked.extend(ids),
            Ok((429, _)) => std::thread::sleep(Duration::from_millis(5)),
            // Numbers of a batch without an answer are never sent again.
            Ok((code, text)) => panic!("ingest answered {code}: {text}"),
            Err(_) => break,
        }
    }
    (acked, next)
}

/// The ids the table holds.
fn table_ids(s: &Server) -> Vec<u64> {
    let (code, text) = post(&s.base, "/v1/apps/Crash/query", "text/plain", "from T select id").expect("query");
    assert_eq!(code, 200, "{text}");
    let v: serde_json::Value = serde_json::from_str(&text).expect("JSON");
    v["rows"].as_array().expect("rows").iter().filter_map(|r| r[0].as_u64()).collect()
}

/// Follows `stream` of the app over SSE.
fn follow(s: &Server, stream: &str) -> mpsc::Receiver<String> {
    let (tx, rx) = mpsc::channel();
    let url = format!("{}/v1/apps/Crash/streams/{stream}/events", s.base);
    let resp = ureq::get(&url).set("accept", "text/event-stream").call().expect("subscribe");
    std::thread::spawn(move || {
        for line in BufReader::new(resp.into_reader()).lines().map_while(Result::ok) {
            if let Some(data) = line.strip_prefix("data:") {
                let v: serde_json::Value = serde_json::from_str(data).expect("JSON event");
                if tx.send(format!("{} {}", v["ts"], v["data"])).is_err() {
                    break;
                }
            }
        }
    });
    rx
}

/// What the probe events cause on every output stream of `s`.
fn probe(s: &Server, after: u64) -> Vec<String> {
    let streams = ["Windowed", "Totals", "Pairs"];
    let followers: Vec<_> = streams.iter().map(|st| follow(s, st)).collect();
    let body: String = (after..after + KEYS * 2).map(event).collect();
    let (code, text) = post(&s.base, "/v1/apps/Crash/streams/S", "application/x-ndjson", &body).expect("probe");
    assert_eq!(code, 200, "{text}");
    std::thread::sleep(Duration::from_millis(800));
    let mut out = Vec::new();
    for (st, rx) in streams.iter().zip(followers) {
        out.extend(rx.try_iter().map(|e| format!("{st} {e}")));
    }
    out
}

fn create(s: &Server) {
    let (code, text) = post(&s.base, "/v1/apps", "text/plain", APP).expect("create");
    assert!(code == 201 || code == 409, "create answered {code}: {text}");
}

fn main() {
    let mut rounds = 50u64;
    let mut sluice = PathBuf::from("target/release/sluice");
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--rounds" => rounds = args.next().and_then(|v| v.parse().ok()).expect("--rounds N"),
            "--sluice" => sluice = args.next().map(PathBuf::from).expect("--sluice PATH"),
            other => panic!("unknown argument {other} (--rounds N, --sluice PATH)"),
        }
    }
    let dir = std::env::temp_dir().join(format!("sluice-crash-test-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let mut acked = BTreeSet::new();
    let mut next = 0u64;
    for round in 0..rounds {
        let s = Server::start_in(&sluice, &dir, &[]);
        create(&s);
        let stop = Arc::new(AtomicBool::new(false));
        let generator = {
            let (base, stop) = (s.base.clone(), stop.clone());
            std::thread::spawn(move || generate(base, next, stop))
        };
        std::thread::sleep(Duration::from_millis(50 + random(400)));
        drop(s); // kill -9
        stop.store(true, Ordering::Release);
        let (got, after) = generator.join().expect("generator");
        acked.extend(got);
        next = after;
        eprintln!("round {round}: {} events acknowledged so far, {next} sent", acked.len());
    }
    let s = Server::start_in(&sluice, &dir, &[]);
    let held: BTreeSet<u64> = table_ids(&s).into_iter().collect();
    let missing: Vec<&u64> = acked.difference(&held).collect();
    assert!(
        missing.is_empty(),
        "{} acknowledged events are not in the table: {:?}",
        missing.len(),
        &missing[..10.min(missing.len())]
    );
    assert!(held.iter().all(|id| *id < next), "the table holds numbers never sent");
    let crashed = probe(&s, next);

    // The uninterrupted run: the same events, in the same order, on a server never killed.
    let clean_dir = dir.with_extension("clean");
    let _ = std::fs::remove_dir_all(&clean_dir);
    let clean = Server::start_in(&sluice, &clean_dir, &["--durability", "none"]);
    create(&clean);
    let ids: Vec<u64> = held.iter().copied().collect();
    for chunk in ids.chunks(1000) {
        let body: String = chunk.iter().map(|i| event(*i)).collect();
        let (code, text) = post(&clean.base, "/v1/apps/Crash/streams/S", "application/x-ndjson", &body).expect("post");
        assert_eq!(code, 200, "{text}");
    }
    // A query is answered after everything queued before it.
    assert_eq!(table_ids(&clean).len(), ids.len());
    let uninterrupted = probe(&clean, next);
    assert!(!crashed.is_empty(), "the probes caused no output");
    if crashed != uninterrupted {
        let only =
            |a: &[String], b: &[String]| a.iter().filter(|x| !b.contains(x)).take(10).cloned().collect::<Vec<_>>();
        panic!(
            "the recovered state differs from an uninterrupted run's:\nonly after crashes: {:?}\nonly uninterrupted: {:?}",
            only(&crashed, &uninterrupted),
            only(&uninterrupted, &crashed)
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
    let _ = std::fs::remove_dir_all(&clean_dir);
    println!(
        "crash-test: {rounds} kill -9 rounds, {} events acknowledged, {} held (unacknowledged but durable: {}), \
         {} probe outputs equal to an uninterrupted run's",
        acked.len(),
        held.len(),
        held.len() - acked.len(),
        crashed.len()
    );
}
