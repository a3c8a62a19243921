//! HTTP ingestion benchmark: a load generator on loopback posts NDJSON batches
//! into a filter app of a real `sluice serve` process and follows the output over
//! Server-Sent Events. Prints, per worker count and batch size, events/s, p50/p99
//! request latency, p50/p99 event-in to output-out latency and the server's peak
//! memory; then runs a sustained overload and prints the server's memory each
//! second (it must plateau: a full queue answers 429 instead of growing).
//!
//! ```text
//! cargo build --release -p sluice-server
//! cargo run --release -p sluice-benchmarks --bin http-bench [-- --events N --clients C --overload-secs S --rate R
//!     --durability fsync|write|none (the server's `--durability`, default fsync) --workers W (default: 1 and 2)]
//! ```

mod serve_process;

use serve_process::{percentile, Server};
use std::io::{BufRead, BufReader};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const APP: &str = "@app:name('HttpBench')
define stream In (id long, symbol string, price double, sent long);
from In[price > 99.0] select id, symbol, price, sent insert into Out;
";

/// The NDJSON body of one batch; `price > 99` holds for 1 event in 100.
fn batch(first_id: u64, n: u64, sent_us: u64) -> String {
    let mut body = String::with_capacity(n as usize * 64);
    for id in first_id..first_id + n {
        let price = (id * 7919 % 10_000) as f64 / 100.0;
        body.push_str(&format!(
            "{{\"id\":{id},\"symbol\":\"S{}\",\"price\":{price:.2},\"sent\":{sent_us}}}\n",
            id % 1000
        ));
    }
    body
}

fn expected_outputs(total: u64) -> u64 {
    (0..total).filter(|id| (id * 7919 % 10_000) as f64 / 100.0 > 99.0).count() as u64
}

/// Posts `body`, retrying while the server answers 429; returns the latency of
/// the accepted request and how many 429s came first.
fn post(agent: &ureq::Agent, url: &str, body: &str) -> (Duration, u64) {
    let mut refused = 0;
    loop {
        let started = Instant::now();
        match agent.post(url).set("content-type", "application/x-ndjson").send_string(body) {
            Ok(_) => return (started.elapsed(), refused),
            Err(ureq::Error::Status(429, _)) => {
                refused += 1;
                std::thread::sleep(Duration::from_millis(2));
            }
            Err(e) => panic!("POST {url}: {e}"),
        }
    }
}

/// One measurement; `rate` > 0 paces the clients to that many events/s in all
/// (latency below saturation), 0 posts as fast as the server takes them.
fn run(
    sluice: &std::path::Path,
    workers: usize,
    batch_size: u64,
    total: u64,
    clients: usize,
    rate: u64,
    durability: &str,
) {
    let server = Server::start(sluice, workers, &["--durability", durability]);
    ureq::post(&format!("{}/v1/apps", server.base)).send_string(APP).expect("create the app");
    let epoch = Instant::now();
    // Follow the output over SSE; each event carries the time its batch was sent.
    let latencies = Arc::new(Mutex::new(Vec::new()));
    {
        let resp = ureq::get(&format!("{}/v1/apps/HttpBench/streams/Out/events", server.base))
            .set("accept", "text/event-stream")
            .call()
            .expect("subscribe");
        let latencies = latencies.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(resp.into_reader()).lines().map_while(Result::ok) {
                if let Some(data) = line.strip_prefix("data:") {
                    let now = epoch.elapsed().as_micros() as u64;
                    let v: serde_json::Value = serde_json::from_str(data).unwrap_or_default();
                    if let Some(sent) = v["data"]["sent"].as_u64() {
                        latencies.lock().expect("latencies").push(now.saturating_sub(sent));
                    }
                }
            }
        });
    }
    std::thread::sleep(Duration::from_millis(200));
    let url = format!("{}/v1/apps/HttpBench/streams/In", server.base);
    let next_batch = Arc::new(AtomicU64::new(0));
    let batches = total / batch_size;
    let started = Instant::now();
    let handles: Vec<_> = (0..clients)
        .map(|_| {
            let url = url.clone();
            let next_batch = next_batch.clone();
            std::thread::spawn(move || {
                let agent = ureq::AgentBuilder::new().build();
                let mut request_us = Vec::new();
                let mut refused = 0;
                loop {
                    let b = next_batch.fetch_add(1, Ordering::Relaxed);
                    if b >= batches {
                        break;
                    }
                    if rate > 0 {
                        let due = started + Duration::from_secs_f64((b * batch_size) as f64 / rate as f64);
                        std::thread::sleep(due.saturating_duration_since(Instant::now()));
                    }
                    let body = batch(b * batch_size, batch_size, epoch.elapsed().as_micros() as u64);
                    let (took, r) = post(&agent, &url, &body);
                    request_us.push(took.as_micros() as u64);
                    refused += r;
                }
                (request_us, refused)
            })
        })
        .collect();
    let mut request_us = Vec::new();
    let mut refused = 0;
    for h in handles {
        let (r, n) = h.join().expect("client");
        request_us.extend(r);
        refused += n;
    }
    let posted = started.elapsed();
    let want = expected_outputs(batches * batch_size);
    let deadline = Instant::now() + Duration::from_secs(300);
    while server.metric("sluice_events_out_total{app=\"HttpBench\",stream=\"Out\"}") < want && Instant::now() < deadline
    {
        std::thread::sleep(Duration::from_millis(20));
    }
    let done = started.elapsed();
    std::thread::sleep(Duration::from_millis(300));
    request_us.sort_unstable();
    let mut e2e = latencies.lock().expect("latencies").clone();
    e2e.sort_unstable();
    let n = batches * batch_size;
    let pace = if rate > 0 { format!("paced at {rate} events/s") } else { "unpaced".to_string() };
    println!(
        "durability {durability}  workers {workers}  batch {batch_size:>6}  {pace}  {n} events  {:>9.0} events/s  request p50 {:>7.2} ms p99 {:>7.2} ms  \
         in→out p50 {:>7.2} ms p99 {:>7.2} ms ({} of {want} outputs seen)  peak {:.1} MiB  (posting took {:.2} s, {refused} × 429)",
        n as f64 / done.as_secs_f64(),
        percentile(&request_us, 0.5) as f64 / 1000.0,
        percentile(&request_us, 0.99) as f64 / 1000.0,
        percentile(&e2e, 0.5) as f64 / 1000.0,
        percentile(&e2e, 0.99) as f64 / 1000.0,
        e2e.len(),
        server.status_kib("VmHWM:") as f64 / 1024.0,
        posted.as_secs_f64(),
    );
}

/// Clients post as fast as they can for `secs`; prints the server's memory every
/// second and how many batches were refused.
fn overload(sluice: &std::path::Path, workers: usize, secs: u64, clients: usize) {
    let server = Server::start(sluice, workers, &[]);
    ureq::post(&format!("{}/v1/apps", server.base)).send_string(APP).expect("create the app");
    let url = format!("{}/v1/apps/HttpBench/streams/In", server.base);
    let stop = Arc::new(AtomicBool::new(false));
    let accepted = Arc::new(AtomicU64::new(0));
    let refused = Arc::new(AtomicU64::new(0));
    let body = Arc::new(batch(0, 10_000, 0));
    let handles: Vec<_> = (0..clients)
        .map(|_| {
            let (url, stop, accepted, refused, body) =
                (url.clone(), stop.clone(), accepted.clone(), refused.clone(), body.clone());
            std::thread::spawn(move || {
                let agent = ureq::AgentBuilder::new().build();
                while !stop.load(Ordering::Relaxed) {
                    match agent.post(&url).set("content-type", "application/x-ndjson").send_string(&body) {
                        Ok(_) => accepted.fetch_add(1, Ordering::Relaxed),
                        Err(ureq::Error::Status(429, _)) => refused.fetch_add(1, Ordering::Relaxed),
                        Err(e) => panic!("POST: {e}"),
                    };
                }
            })
        })
        .collect();
    let mut series = Vec::new();
    for _ in 0..secs {
        std::thread::sleep(Duration::from_secs(1));
        series.push(server.status_kib("VmRSS:") / 1024);
    }
    stop.store(true, Ordering::Relaxed);
    for h in handles {
        let _ = h.join();
    }
    let half = &series[series.len() / 2..];
    println!(
        "overload, workers {workers}, {clients} clients, {secs} s: {} batches of 10,000 accepted, {} refused with 429; \
         RSS MiB each second {series:?}; peak {:.1} MiB; max of the second half {} MiB vs first half {} MiB",
        accepted.load(Ordering::Relaxed),
        refused.load(Ordering::Relaxed),
        server.status_kib("VmHWM:") as f64 / 1024.0,
        half.iter().max().unwrap_or(&0),
        series[..series.len() / 2].iter().max().unwrap_or(&0),
    );
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let arg = |name: &str, default: u64| -> u64 {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1))
            .and_then(|v| v.parse().ok())
            .unwrap_or(default)
    };
    let total = arg("--events", 2_000_000);
    let clients = arg("--clients", 4) as usize;
    let overload_secs = arg("--overload-secs", 20);
    let rate = arg("--rate", 0);
    let sluice = args
        .iter()
        .position(|a| a == "--sluice")
        .and_then(|i| args.get(i + 1))
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| {
            let exe = std::env::current_exe().expect("current exe");
            exe.with_file_name("sluice")
        });
    if !sluice.exists() {
        eprintln!("{} not found: run `cargo build --release -p sluice-server` first", sluice.display());
        std::process::exit(2);
    }
    let durability = args.iter().position(|a| a == "--durability").and_then(|i| args.get(i + 1)).map_or("fsync", |s| s);
    let workers_list: Vec<usize> = match arg("--workers", 0) {
        0 => vec![1, 2],
        w => vec![w as usize],
    };
    for &workers in &workers_list {
        for batch_size in [1_000, 10_000] {
            run(&sluice, workers, batch_size, total, clients, rate, durability);
        }
    }
    if overload_secs > 0 {
        for workers in [1, 2] {
            overload(&sluice, workers, overload_secs, 8);
        }
    }
}
