//! `cargo run --release -p sluice-benchmarks --bin engine-bench [-- --events N]`
//!
//! Runs the engine benchmarks over generated trade events
//! (`Trades (symbol string, price double, volume long)`, 1,000 symbols, one event
//! per millisecond of event time) and prints, per app and worker count, events/s
//! and the peak resident memory of the process that ran it. Each configuration
//! runs in a fresh child process so that peak memory is its own.
//!
//! `partition-ticks` has 100,000 partition keys and a clock tick after every
//! 1,000 events (a live app's idle clock): it shows that a tick visits only the
//! keys with something due, not every key.
//!
//! `partition-purge` gives every event a partition key of its own (`K0`, `K1` …,
//! one per millisecond) in a partition with `@purge(interval='1 sec',
//! idle.period='1 sec')`: its peak memory stays flat however many keys pass
//! (`partition-no-purge`, the same app without `@purge`, grows with them).
//!
//! `aggregation-ingest` feeds a named aggregation (`every sec ... year`, 1,000
//! groups) and reads nothing (its `Out` is a filter no event passes): the cost
//! of keeping its buckets.
//!
//! The join apps read two streams, `Trades` and `Quotes` (same schema), whose
//! events alternate (both at each millisecond): N events are N/2 of each.

use sluice_dataflow::app::InputItem;
use sluice_dataflow::value::Value;
use std::process::Command;
use std::sync::Arc;
use std::time::Instant;

/// The allocator `sluice` itself uses, so that the figures are the server's.
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

/// The benchmark apps: name and text.
fn apps() -> Vec<(&'static str, String)> {
    let head = "@app:playback define stream Trades (symbol string, price double, volume long);\n";
    let two = "@app:playback define stream Trades (symbol string, price double, volume long);\n\
               define stream Quotes (symbol string, price double, volume long);\n";
    let mut apps = vec![
        ("filter", format!("{head}from Trades[price > 90.0] select symbol, price insert into Out;")),
        (
            "time-window-sum",
            format!("{head}from Trades#window.time(1 sec) select symbol, sum(volume) as total group by symbol insert into Out;"),
        ),
    ];
    for n in [100, 1000, 100_000] {
        let name: &'static str = Box::leak(format!("length-{n}-avg").into_boxed_str());
        apps.push((
            name,
            format!("{head}from Trades#window.length({n}) select symbol, avg(price) as avgPrice group by symbol insert into Out;"),
        ));
    }
    apps.push((
        "pattern-partitioned",
        format!(
            "{head}partition with (symbol of Trades) begin \
             from every e1=Trades[price > 90.0] -> e2=Trades[symbol == e1.symbol and price > e1.price * 1.05] \
             within 5 sec select e1.symbol as symbol, e1.price as p1, e2.price as p2 insert into Out; end;"
        ),
    ));
    // 100,000 partition keys and a clock tick every 1,000 events, as a live
    // app's idle clock ticks between batches: a tick must not visit every key.
    apps.push((
        "partition-ticks",
        format!(
            "{head}partition with (symbol of Trades) begin \
             from Trades#window.length(2) select symbol, sum(volume) as total insert into Out; end;"
        ),
    ));
    // A key per event: with @purge, idle keys' instances are dropped.
    let per_key = "partition with (symbol of Trades) begin \
                   from Trades#window.length(2) select symbol, sum(volume) as total insert into Out; end;";
    apps.push((
        "partition-purge",
        format!("{head}@purge(enable='true', interval='1 sec', idle.period='1 sec') {per_key}"),
    ));
    apps.push(("partition-no-purge", format!("{head}{per_key}")));
    // Functions per event: a date formatted from milliseconds, and a string read
    // from JSON text (built per event, so `json-concat-only` is its baseline).
    apps.push((
        "time-dateformat",
        format!("{head}from Trades select symbol, time:dateFormat(volume * 86400000L, 'yyyy-MM-dd HH:mm:ss') as day insert into Out;"),
    ));
    let json_text = r#"str:concat('{"symbol":"', symbol, '","price":', convert(price, 'string'), '}')"#;
    apps.push(("json-concat-only", format!("{head}from Trades select {json_text} as text insert into Out;")));
    apps.push((
        "json-getstring",
        format!("{head}from Trades select json:getString({json_text}, '$.symbol') as s insert into Out;"),
    ));
    // A JavaScript function per event, against the same expression in the language.
    apps.push((
        "js-function",
        format!(
            "{head}define function label[javascript] return string {{ return data[0] + '-' + data[1]; }};\n\
             from Trades select label(symbol, volume) as s insert into Out;"
        ),
    ));
    apps.push((
        "js-same-expression",
        format!("{head}from Trades select str:concat(symbol, '-', convert(volume, 'string')) as s insert into Out;"),
    ));
    // A named aggregation on event time, every granularity, one group per symbol
    // (1,000): each event updates its bucket at six granularities.
    apps.push((
        "aggregation-ingest",
        format!(
            "{head}define aggregation TradeStats from Trades \
             select symbol, sum(volume) as total, avg(price) as avgPrice, count() as n, max(price) as high \
             group by symbol aggregate every sec ... year;\n\
             from Trades[price > 1000.0] select symbol insert into Out;"
        ),
    ));
    apps.push((
        "stream-join",
        format!(
            "{two}from Trades#window.time(1 sec) as t join Quotes#window.time(1 sec) as q on t.symbol == q.symbol \
             select t.symbol as symbol, t.price as price, q.price as bid insert into Out;"
        ),
    ));
    apps.push((
        "table-join",
        format!(
            "{two}@primaryKey('symbol') define table QuoteTable (symbol string, price double, volume long);\n\
             from Quotes update or insert into QuoteTable on QuoteTable.symbol == symbol;\n\
             from Trades join QuoteTable as q on Trades.symbol == q.symbol \
             select Trades.symbol as symbol, Trades.price as price, q.price as bid insert into Out;"
        ),
    ));
    apps
}

fn events(n: u64, streams: &'static [&'static str]) -> impl Iterator<Item = InputItem> + Send + 'static {
    let symbols: Vec<Arc<str>> = (0..1000).map(|i| Arc::from(format!("S{i:03}"))).collect();
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
    (0..n).map(move |i| {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        let symbol = symbols[(state % 1000) as usize].clone();
        let price = (state >> 20) % 10_000;
        let k = streams.len() as u64;
        InputItem::Event {
            stream: streams[(i % k) as usize].to_string(),
            values: vec![Value::String(symbol), Value::Double(price as f64 / 100.0), Value::Long((state % 500) as i64)],
            ts: (i / k) as i64,
        }
    })
}

/// N events over 100,000 symbols (`K0`…), one per millisecond, with a clock tick
/// after every 1,000.
fn ticked_events(n: u64) -> impl Iterator<Item = InputItem> + Send + 'static {
    (0..n).flat_map(|i| {
        let event = InputItem::Event {
            stream: "Trades".to_string(),
            values: vec![Value::String(Arc::from(format!("K{}", i % 100_000))), Value::Double(1.0), Value::Long(1)],
            ts: i as i64,
        };
        let tick = (i % 1000 == 999).then_some(InputItem::Tick(i as i64));
        std::iter::once(event).chain(tick)
    })
}

/// N events, each with a symbol of its own (`K0`…), one per millisecond.
fn distinct_key_events(n: u64) -> impl Iterator<Item = InputItem> + Send + 'static {
    (0..n).map(|i| InputItem::Event {
        stream: "Trades".to_string(),
        values: vec![Value::String(Arc::from(format!("K{i}"))), Value::Double(1.0), Value::Long(1)],
        ts: i as i64,
    })
}

fn peak_rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

/// Runs one configuration in this process and prints one result line.
fn run_one(app_name: &str, workers: usize, n: u64) {
    let (_, text) = apps().into_iter().find(|(a, _)| *a == app_name).expect("known app");
    let ast = sluice_frontend::parse(&text).expect("benchmark app parses");
    let plan =
        sluice_frontend::analyze_with(&ast, Some(sluice_dataflow::functions::signature)).expect("benchmark app checks");
    let app = sluice_dataflow::app::compile(&plan).expect("benchmark app compiles");
    let start = Instant::now();
    let mut outputs = 0u64;
    let streams: &'static [&'static str] = if app_name.contains("join") { &["Trades", "Quotes"] } else { &["Trades"] };
    let observe = ["Out".to_string()];
    let mut count = |_| outputs += 1;
    match app_name {
        "partition-ticks" => app.run_streaming(ticked_events(n), workers, &observe, &mut count),
        "partition-purge" | "partition-no-purge" => {
            app.run_streaming(distinct_key_events(n), workers, &observe, &mut count)
        }
        _ => app.run_streaming(events(n, streams), workers, &observe, &mut count),
    }
    .expect("runs");
    let secs = start.elapsed().as_secs_f64();
    println!(
        "{app_name:<18} workers={workers} events={n} outputs={outputs} {:>12.0} events/s  peak {:>7.1} MiB  ({secs:.2} s)",
        n as f64 / secs,
        peak_rss_kib() as f64 / 1024.0
    );
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let arg = |name: &str| args.iter().position(|a| a == name).and_then(|i| args.get(i + 1)).cloned();
    let n: u64 = arg("--events").and_then(|v| v.parse().ok()).unwrap_or(5_000_000);
    if let (Some(app), Some(workers)) = (arg("--app"), arg("--workers")) {
        run_one(&app, workers.parse().expect("--workers N"), n);
        return;
    }
    let only = arg("--only");
    let exe = std::env::current_exe().expect("own path");
    for (app, _) in apps() {
        if only.as_deref().is_some_and(|o| !app.contains(o)) {
            continue;
        }
        for workers in [1, 2] {
            let status = Command::new(&exe)
                .args(["--app", app, "--workers", &workers.to_string(), "--events", &n.to_string()])
                .status()
                .expect("child runs");
            if !status.success() {
                println!("{app:<18} workers={workers} failed: {status}");
            }
        }
    }
}
