//! Soak benchmark: a real `sluice serve` under steady load for a long time, with
//! everything a server sees at once — paced NDJSON ingestion into an app with a
//! table, a time window, a pattern and a group-by, SSE subscribers on its outputs,
//! snapshot queries, and lifecycle churn (a second app created, fed, queried and
//! deleted over and over). Every interval it prints the server's RSS and the p50/p99
//! latency of ingestion and queries in that interval; at the end, the first and
//! last intervals side by side. Flat is the goal: no growth in memory or latency.
//!
//! ```text
//! cargo build --release -p sluice-server
//! cargo run --release -p sluice-benchmarks --bin soak -- [--secs 1800] [--rate 50000] [--subscribers 4] [--interval 30]
//! ```
//! `--rate` is events/s; measure the maximum first (`http-bench`) and soak at half.

mod serve_process;

use serve_process::{percentile, Server};
use std::io::{BufRead, BufReader};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const APP: &str = "@app:name('Soak')
define stream Trades (id long, symbol string, price double, volume long);
@primaryKey('symbol')
define table Latest (symbol string, price double, volume long);
from Trades select symbol, price, volume update or insert into Latest on Latest.symbol == symbol;
from Trades#window.time(10 sec) select symbol, avg(price) as avgPrice, count() as n group by symbol insert into Averages;
partition with (symbol of Trades)
begin
  from every a=Trades[price > 99.5] -> b=Trades[price < 1.0] within 5 sec
  select a.symbol, a.price as high, b.price as low insert into Swings;
end;
from Trades[volume > 990] select id, symbol, volume insert into Big;
";

const CHURN_APP: &str = "@app:name('Churn')
define stream S (k string, v long);
define table T (k string, v long);
from S select k, v insert into T;
from S#window.length(100) select k, sum(v) as total group by k insert into Sums;
";

/// Interval figures, reset every interval.
#[derive(Default)]
struct Samples {
    ingest_us: Vec<u64>,
    query_us: Vec<u64>,
}

struct Options {
    secs: u64,
    rate: u64,
    subscribers: usize,
    interval: u64,
    workers: usize,
}

fn options() -> Options {
    let mut o = Options { secs: 1800, rate: 50_000, subscribers: 4, interval: 30, workers: 1 };
    let args: Vec<String> = std::env::args().skip(1).collect();
    for pair in args.chunks(2) {
        let value = pair.get(1).and_then(|v| v.parse::<u64>().ok()).unwrap_or_else(|| panic!("{pair:?}: a number"));
        match pair[0].as_str() {
            "--secs" => o.secs = value,
            "--rate" => o.rate = value,
            "--subscribers" => o.subscribers = value as usize,
            "--interval" => o.interval = value.max(1),
            "--workers" => o.workers = value as usize,
            other => panic!("unknown option {other}"),
        }
    }
    o
}

fn batch(first_id: u64, n: u64) -> String {
    let mut body = String::with_capacity(n as usize * 64);
    for id in first_id..first_id + n {
        let price = (id * 7919 % 10_000) as f64 / 100.0;
        let volume = id * 104_729 % 1000;
        body.push_str(&format!(
            "{{\"id\":{id},\"symbol\":\"S{}\",\"price\":{price:.2},\"volume\":{volume}}}\n",
            id % 500
        ));
    }
    body
}

/// Posts, retrying on 429; the latency of the accepted request (µs).
fn post(agent: &ureq::Agent, url: &str, ct: &str, body: &str) -> Result<u64, String> {
    loop {
        let started = Instant::now();
        match agent.post(url).set("content-type", ct).send_string(body) {
            Ok(_) => return Ok(started.elapsed().as_micros() as u64),
            Err(ureq::Error::Status(429, _)) => std::thread::sleep(Duration::from_millis(2)),
            Err(e) => return Err(format!("POST {url}: {e}")),
        }
    }
}

/// Follows a stream over SSE and counts its events until `stop`.
fn subscribe(url: String, received: Arc<AtomicU64>) {
    std::thread::spawn(move || {
        let Ok(resp) = ureq::get(&url).set("accept", "text/event-stream").call() else { return };
        for line in BufReader::new(resp.into_reader()).lines().map_while(Result::ok) {
            if line.starts_with("data:") {
                received.fetch_add(1, Ordering::Relaxed);
            }
        }
    });
}

fn main() {
    let o = options();
    let sluice = std::env::var("SLUICE").unwrap_or_else(|_| "target/release/sluice".into());
    let server = Server::start(std::path::Path::new(&sluice), o.workers, &[]);
    let base = server.base.clone();
    ureq::post(&format!("{base}/v1/apps")).send_string(APP).expect("create the soak app");
    let received = Arc::new(AtomicU64::new(0));
    let outputs = ["Averages", "Swings", "Big"];
    for i in 0..o.subscribers {
        subscribe(format!("{base}/v1/apps/Soak/streams/{}/events", outputs[i % outputs.len()]), received.clone());
    }
    let samples = Arc::new(Mutex::new(Samples::default()));
    let stop = Arc::new(AtomicBool::new(false));
    let sent = Arc::new(AtomicU64::new(0));
    let errors = Arc::new(Mutex::new(Vec::<String>::new()));
    let mut threads = Vec::new();
    // Ingestion, paced: batches of 500 events.
    {
        let (samples, stop, sent, errors, base) =
            (samples.clone(), stop.clone(), sent.clone(), errors.clone(), base.clone());
        let rate = o.rate.max(1);
        threads.push(std::thread::spawn(move || {
            let agent = ureq::AgentBuilder::new().timeout(Duration::from_secs(30)).build();
            let url = format!("{base}/v1/apps/Soak/streams/Trades");
            let started = Instant::now();
            let mut next_id = 0u64;
            while !stop.load(Ordering::Relaxed) {
                let due = Duration::from_secs_f64(next_id as f64 / rate as f64);
                if let Some(wait) = due.checked_sub(started.elapsed()) {
                    std::thread::sleep(wait);
                }
                match post(&agent, &url, "application/x-ndjson", &batch(next_id, 500)) {
                    Ok(us) => samples.lock().unwrap().ingest_us.push(us),
                    Err(e) => errors.lock().unwrap().push(e),
                }
                next_id += 500;
                sent.store(next_id, Ordering::Relaxed);
            }
        }));
    }
    // Snapshot queries, ten a second, both forms.
    {
        let (samples, stop, errors, base) = (samples.clone(), stop.clone(), errors.clone(), base.clone());
        threads.push(std::thread::spawn(move || {
            let agent = ureq::AgentBuilder::new().timeout(Duration::from_secs(30)).build();
            let url = format!("{base}/v1/apps/Soak/query");
            let queries = [
                "SELECT symbol, price FROM Latest WHERE volume > 500 ORDER BY price DESC LIMIT 10",
                "from Latest on price > 50.0 select symbol, volume",
            ];
            let mut i = 0;
            while !stop.load(Ordering::Relaxed) {
                match post(&agent, &url, "text/plain", queries[i % 2]) {
                    Ok(us) => samples.lock().unwrap().query_us.push(us),
                    Err(e) => errors.lock().unwrap().push(e),
                }
                i += 1;
                std::thread::sleep(Duration::from_millis(100));
            }
        }));
    }
    // Lifecycle churn: create, feed, query, deactivate, activate, delete; again.
    let churned = Arc::new(AtomicU64::new(0));
    {
        let (stop, errors, base, churned) = (stop.clone(), errors.clone(), base.clone(), churned.clone());
        threads.push(std::thread::spawn(move || {
            let agent = ureq::AgentBuilder::new().timeout(Duration::from_secs(30)).build();
            while !stop.load(Ordering::Relaxed) {
                let steps: [(&str, String, &str, &str); 6] = [
                    ("POST", format!("{base}/v1/apps"), "text/plain", CHURN_APP),
                    ("POST", format!("{base}/v1/apps/Churn/streams/S"), "text/csv", "a,1\nb,2\nc,3\n"),
                    ("POST", format!("{base}/v1/apps/Churn/query"), "text/plain", "SELECT k, v FROM T"),
                    ("POST", format!("{base}/v1/apps/Churn/deactivate"), "text/plain", ""),
                    ("POST", format!("{base}/v1/apps/Churn/activate"), "text/plain", ""),
                    ("DELETE", format!("{base}/v1/apps/Churn"), "text/plain", ""),
                ];
                for (method, url, ct, body) in steps {
                    if let Err(e) = agent.request(method, &url).set("content-type", ct).send_string(body) {
                        errors.lock().unwrap().push(format!("{method} {url}: {e}"));
                    }
                }
                churned.fetch_add(1, Ordering::Relaxed);
                std::thread::sleep(Duration::from_millis(500));
            }
        }));
    }
    println!(
        "soak: {} s at {} events/s, {} subscribers, {} worker(s); every {} s:",
        o.secs, o.rate, o.subscribers, o.workers, o.interval
    );
    println!(
        "{:>6} {:>10} {:>12} {:>10} {:>10} {:>10} {:>10} {:>10} {:>8}",
        "t (s)", "RSS (MiB)", "events", "ev/s", "ingest p50", "ingest p99", "query p50", "query p99", "churns"
    );
    let started = Instant::now();
    let mut rows = Vec::new();
    let mut last_sent = 0;
    while started.elapsed() < Duration::from_secs(o.secs) {
        std::thread::sleep(Duration::from_secs(o.interval));
        let Samples { mut ingest_us, mut query_us } = std::mem::take(&mut *samples.lock().unwrap());
        ingest_us.sort_unstable();
        query_us.sort_unstable();
        let now_sent = sent.load(Ordering::Relaxed);
        let row = (
            started.elapsed().as_secs(),
            server.status_kib("VmRSS:") as f64 / 1024.0,
            now_sent,
            (now_sent - last_sent) / o.interval,
            percentile(&ingest_us, 0.5) as f64 / 1000.0,
            percentile(&ingest_us, 0.99) as f64 / 1000.0,
            percentile(&query_us, 0.5) as f64 / 1000.0,
            percentile(&query_us, 0.99) as f64 / 1000.0,
        );
        last_sent = now_sent;
        println!(
            "{:>6} {:>10.1} {:>12} {:>10} {:>8.2}ms {:>8.2}ms {:>8.2}ms {:>8.2}ms {:>8}",
            row.0,
            row.1,
            row.2,
            row.3,
            row.4,
            row.5,
            row.6,
            row.7,
            churned.load(Ordering::Relaxed)
        );
        rows.push(row);
    }
    stop.store(true, Ordering::Relaxed);
    for t in threads {
        let _ = t.join();
    }
    let errors = errors.lock().unwrap();
    println!(
        "subscribers received {} events; {} errors{}",
        received.load(Ordering::Relaxed),
        errors.len(),
        errors.first().map(|e| format!(" (first: {e})")).unwrap_or_default()
    );
    if let (Some(first), Some(last)) = (rows.first(), rows.last()) {
        println!(
            "first interval: RSS {:.1} MiB, ingest p99 {:.2} ms, query p99 {:.2} ms; last: RSS {:.1} MiB, ingest p99 {:.2} ms, query p99 {:.2} ms; peak RSS {:.1} MiB",
            first.1, first.5, first.7, last.1, last.5, last.7,
            server.status_kib("VmHWM:") as f64 / 1024.0
        );
    }
}
