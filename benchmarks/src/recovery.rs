//! Recovery benchmark of issue 17: posts N events into an app of a real
//! `sluice serve`, kills it (`kill -9`), restarts it on the same data directory
//! and measures how long until the app answers again, that is until its whole
//! ingress log has been replayed; prints events/s of replay and the log's size.
//!
//! ```text
//! cargo build --release -p sluice-server
//! cargo run --release -p sluice-benchmarks --bin recovery-bench [-- --events N ...]
//! ```

mod serve_process;

use serve_process::Server;
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// The apps replayed: `window` keeps a sliding average per symbol in a table
/// (two outputs and a table write per event: what the app itself costs bounds
/// its replay); `filter` keeps one event in a thousand (what replay itself costs).
const APPS: [(&str, &str); 2] = [
    (
        "window",
        "@app:name('Recover')
define stream In (id long, symbol string, price double);
@primaryKey('symbol')
define table Last (symbol string, a double, n long);
from In#window.length(1000) select symbol, avg(price) as a, count() as n group by symbol insert into Out;
from Out select * update or insert into Last on Last.symbol == symbol;
",
    ),
    (
        "filter",
        "@app:name('Recover')
define stream In (id long, symbol string, price double);
define table Last (symbol string, a double, n long);
from In[price > 998.0] select symbol, price as a, id as n insert into Last;
",
    ),
];

fn body(first: u64, n: u64) -> String {
    let mut b = String::with_capacity(n as usize * 48);
    for id in first..first + n {
        b.push_str(&format!("{{\"id\":{id},\"symbol\":\"s{}\",\"price\":{}.5}}\n", id % 100, id % 1000));
    }
    b
}

/// A request that must get an answer; a replay of millions of events may take
/// minutes before a query is answered.
fn post(base: &str, path: &str, ct: &str, text: &str) -> (u16, String) {
    serve_process::post(base, path, ct, text, Duration::from_secs(3600)).unwrap_or_else(|e| panic!("POST {path}: {e}"))
}

fn measure(sluice: &std::path::Path, (name, app): (&str, &str), events: u64) {
    let dir = std::env::temp_dir().join(format!("sluice-recovery-bench-{}-{events}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let s = Server::start_in(sluice, &dir, &["--durability", "write"]);
    assert_eq!(post(&s.base, "/v1/apps", "text/plain", app).0, 201);
    let started = Instant::now();
    let batch = 10_000;
    let mut sent = 0;
    while sent < events {
        let n = batch.min(events - sent);
        match post(&s.base, "/v1/apps/Recover/streams/In", "application/x-ndjson", &body(sent, n)).0 {
            200 => sent += n,
            429 => std::thread::sleep(Duration::from_millis(2)),
            c => panic!("ingest answered {c}"),
        }
    }
    let ingest = started.elapsed();
    let log_bytes = std::fs::metadata(dir.join("apps/Recover.log")).map(|m| m.len()).unwrap_or(0);
    drop(s); // kill -9
    let restarted = Instant::now();
    let s = Server::start_in(sluice, &dir, &["--durability", "write"]);
    let listening = restarted.elapsed();
    // A query is answered after everything queued before it: the whole replay.
    let (code, text) = post(&s.base, "/v1/apps/Recover/query", "text/plain", "from Last select count() as n");
    let answered = restarted.elapsed();
    let (c, show) = ureq::get(&format!("{}/v1/apps/Recover", s.base))
        .call()
        .map(|r| (r.status(), r.into_string().unwrap_or_default()))
        .expect("GET app");
    assert_eq!(c, 200);
    let stats: serde_json::Value = serde_json::from_str(&show).expect("JSON");
    println!(
        "{name}: {events} events ({:.1} MiB of log, ingested at {:.0} events/s): restart to listening {:.2} s, to first answer \
         {:.2} s = {:.0} events/s replayed; recovered_events {} (query: {code} {})",
        log_bytes as f64 / (1 << 20) as f64,
        events as f64 / ingest.as_secs_f64(),
        listening.as_secs_f64(),
        answered.as_secs_f64(),
        events as f64 / answered.as_secs_f64(),
        stats["ingress_log"]["recovered_events"],
        text.chars().take(60).collect::<String>(),
    );
    drop(s);
    let _ = std::fs::remove_dir_all(&dir);
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let mut counts = Vec::new();
    let mut sluice = std::env::current_exe().expect("current exe").with_file_name("sluice");
    let mut only = None;
    let mut i = 1;
    while i < args.len() {
        match args[i].as_str() {
            "--app" => only = args.get(i + 1).cloned(),
            "--events" => counts.push(args.get(i + 1).and_then(|v| v.parse().ok()).expect("--events N")),
            "--sluice" => sluice = PathBuf::from(args.get(i + 1).expect("--sluice PATH")),
            other => panic!("unknown argument {other} (--events N, repeatable; --app window|filter; --sluice PATH)"),
        }
        i += 2;
    }
    if counts.is_empty() {
        counts = vec![1_000_000, 10_000_000];
    }
    for app in APPS.into_iter().filter(|(name, _)| only.as_deref().is_none_or(|o| o == *name)) {
        for &n in &counts {
            measure(&sluice, app, n);
        }
    }
}
