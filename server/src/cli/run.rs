//! `sluice run APP [--input FILE|-] [--workers N] [--format jsonl|csv]`: runs an
//! app on the embedded defaults over events from a file or stdin and prints every
//! event its queries insert into streams as a JSON line.

use sluice_dataflow::app::{InputItem, OutputSource};
use sluice_dataflow::runtime::execute::Workers;
use sluice_dataflow::value::Value;
use std::io::{BufRead, Write};
use std::path::Path;
use std::process::ExitCode;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;

/// The input formats.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// One JSON object per line: `{"stream": "S", "data": {...} | [...], "ts": 123}`.
    Jsonl,
    /// CSV rows of the app's single input stream (a header row naming attributes is skipped).
    Csv,
}

/// How often the live clock ticks when no input arrives (ms).
const TICK_MS: u64 = 100;

fn wall_clock_ms() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_millis() as i64)
}

/// Runs the app; bad input lines are reported (line and field) and skipped, and
/// the run then ends with exit code [`SKIPPED_LINES_EXIT`].
///
/// Without `@app:playback` the app runs live: events are stamped with the wall
/// clock as they are read, and the clock ticks every 100 ms while input is idle,
/// so time windows expire and batches flush without new events. With
/// `@app:playback`, each event's `ts` (or the clock + 1 ms) is the clock, and a
/// heartbeat, when the app asks for one, moves it while input pauses.
pub fn run(app_path: &Path, input: Option<&Path>, workers: Workers, format: Format) -> ExitCode {
    let Some(text) = super::read_app(app_path) else { return ExitCode::FAILURE };
    let file = app_path.display().to_string();
    let ast = match sluice_frontend::parse(&text) {
        Ok(a) => a,
        Err(errors) => {
            for e in errors {
                eprint!("{}", e.render(&file, &text));
            }
            return ExitCode::FAILURE;
        }
    };
    let plan = match super::analyze(&ast) {
        Ok(p) => p,
        Err(errors) => {
            for e in errors {
                eprint!("{}", e.render(&file, &text));
            }
            return ExitCode::FAILURE;
        }
    };
    for w in &plan.warnings {
        eprint!("{}", w.render(&file, &text));
    }
    let app = match sluice_dataflow::app::compile(&plan) {
        Ok(a) => a,
        Err(e) => {
            eprintln!("{file}: {e}");
            return ExitCode::FAILURE;
        }
    };
    if !workers.is_leader() {
        // Another process of the cluster: run this share of the workers; process 0
        // reads the input and prints the outputs.
        return match app.run_streaming(std::iter::empty(), workers, &app.output_streams, |_| {}) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("{file}: {e}");
                ExitCode::FAILURE
            }
        };
    }
    // Without `--input`, an app with sources runs on them alone (until they end
    // or Ctrl-C); an app without sources reads standard input.
    let reader: Option<Box<dyn BufRead + Send>> = match input {
        None if !plan.sources.is_empty() => None,
        None => Some(Box::new(std::io::BufReader::new(std::io::stdin()))),
        Some(p) if p == Path::new("-") => Some(Box::new(std::io::BufReader::new(std::io::stdin()))),
        Some(p) => match std::fs::File::open(p) {
            Ok(f) => Some(Box::new(std::io::BufReader::new(f))),
            Err(e) => {
                eprintln!("{}: cannot read: {e}", p.display());
                return ExitCode::FAILURE;
            }
        },
    };
    let inputs: Vec<String> =
        app.input_types.keys().filter(|s| !app.output_streams.contains(s)).cloned().collect::<Vec<_>>();
    if format == Format::Csv && inputs.len() != 1 {
        eprintln!("--format csv needs an app with exactly one input stream");
        return ExitCode::FAILURE;
    }
    let parser = LineParser {
        types: app.input_types.clone(),
        names: app.input_types.keys().map(|k| (k.clone(), app.attribute_names(k))).collect(),
        single_input: inputs.first().cloned(),
        format,
    };
    let playback = plan.playback;
    let (tx, rx) = std::sync::mpsc::sync_channel::<InputItem>(1024);
    // The playback clock as the reader sees it (a heartbeat moves it too), for
    // events that bring no `ts`.
    let shared_clock = Arc::new(AtomicI64::new(0));
    let reader_clock = shared_clock.clone();
    let skipped = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let reader_skipped = skipped.clone();
    // The app's sources feed the same channel as the input file.
    let hub = Arc::new(sluice_connectors::hub::Hub::default());
    let mut sinks = match sluice_connectors::sink::Sinks::start(&plan, &hub) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("{file}: {e}");
            return ExitCode::FAILURE;
        }
    };
    let door = Arc::new(ChannelDoor { tx: tx.clone(), playback, clock: shared_clock.clone() });
    let sources = match sluice_connectors::source::Sources::start(&plan, &hub, door) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("{file}: {e}");
            return ExitCode::FAILURE;
        }
    };
    // The reader thread parses lines; a full channel blocks it (back-pressure).
    let Some(reader) = reader else {
        drop(tx);
        return finish(&app, &plan, workers, rx, shared_clock, &mut sinks, sources, skipped, &file);
    };
    std::thread::spawn(move || {
        for (n, line) in reader.lines().enumerate() {
            let line_no = n + 1;
            let Ok(line) = line else {
                eprintln!("input line {line_no}: not valid UTF-8; skipped");
                reader_skipped.fetch_add(1, Ordering::AcqRel);
                continue;
            };
            if line.trim().is_empty() {
                continue;
            }
            let default_ts = if playback { reader_clock.load(Ordering::Acquire) + 1 } else { wall_clock_ms() };
            match parser.parse(&line, default_ts) {
                Ok(Some(item)) => {
                    if let InputItem::Event { ts, .. } = &item {
                        reader_clock.fetch_max(*ts, Ordering::AcqRel);
                    }
                    if tx.send(item).is_err() {
                        break;
                    }
                }
                Ok(None) => {}
                Err(e) => {
                    eprintln!("input line {line_no}: {e}; skipped");
                    reader_skipped.fetch_add(1, Ordering::AcqRel);
                }
            }
        }
    });
    finish(&app, &plan, workers, rx, shared_clock, &mut sinks, sources, skipped, &file)
}

/// Runs the app over what arrives on `rx` (the input reader and the sources)
/// until every sender has gone, writing outputs to standard output and sinks.
#[allow(clippy::too_many_arguments)]
fn finish(
    app: &sluice_dataflow::app::CompiledApp,
    plan: &sluice_frontend::logical::AppPlan,
    workers: Workers,
    rx: std::sync::mpsc::Receiver<InputItem>,
    shared_clock: Arc<AtomicI64>,
    sinks: &mut sluice_connectors::sink::Sinks,
    sources: sluice_connectors::source::Sources,
    skipped: Arc<std::sync::atomic::AtomicUsize>,
    file: &str,
) -> ExitCode {
    let playback = plan.playback;
    // When the input pauses, a flush lets what was read leave at once instead of
    // waiting for a full batch or the next tick.
    let mut flushed = true;
    let mut heartbeat = plan.heartbeat.map(|h| PlaybackHeartbeat::new(h, shared_clock));
    // A live app's clock starts now, so `at 'start'` triggers fire at once.
    let mut start = (!playback && !app.triggers.is_empty()).then(|| InputItem::Tick(wall_clock_ms()));
    let items = std::iter::from_fn(move || {
        if let Some(tick) = start.take() {
            return Some(tick);
        }
        let item = next_item(&rx, &mut flushed, playback, heartbeat.as_mut());
        if let (Some(hb), Some(item)) = (heartbeat.as_mut(), &item) {
            hb.saw(item);
        }
        item
    });
    let items = sluice_dataflow::trigger::with_triggers(items, app.triggers.clone());
    let sinks = std::cell::RefCell::new(sinks);
    // Sinks see every event of their stream, input streams' included; only what
    // queries insert is printed.
    let mut observe: Vec<String> = app.output_streams.clone();
    for sink in &plan.sinks {
        if !observe.contains(&sink.stream) {
            observe.push(sink.stream.clone());
        }
    }
    let printed: std::collections::HashSet<String> = app.output_streams.iter().cloned().collect();
    let json = crate::json_lines::JsonLines::of_app(app, &observe);
    // One buffered writer, flushed whenever no output is waiting: a burst costs one
    // write, and a live output still leaves at once.
    let stdout = std::cell::RefCell::new(std::io::BufWriter::with_capacity(64 * 1024, std::io::stdout()));
    let mut line = Vec::with_capacity(256);
    let result = app.run_streaming_with_idle(
        items,
        workers,
        &observe,
        |o| {
            let OutputSource::Stream(stream) = &o.source else { return };
            if let Some(failed) = sluice_frontend::logical::stored_errors_of(stream) {
                // `sluice run` keeps no error store: the stored event is reported.
                let values: Vec<String> = o.row.iter().map(|v| v.to_string()).collect();
                eprintln!("error stored: stream '{failed}' at {}: [{}]", o.ts, values.join(", "));
                return;
            }
            if sinks.borrow().has(stream) {
                sinks.borrow_mut().send(stream, &o.row, o.ts);
            }
            if !printed.contains(stream) {
                return;
            }
            line.clear();
            json.event(&mut line, stream, &o.row, o.ts);
            line.push(b'\n');
            let _ = stdout.borrow_mut().write_all(&line);
        },
        || {
            let _ = stdout.borrow_mut().flush();
            sinks.borrow_mut().flush();
        },
    );
    sources.stop();
    match result {
        Ok(()) => match skipped.load(Ordering::Acquire) {
            0 => ExitCode::SUCCESS,
            n => {
                eprintln!("{file}: {n} input line(s) skipped; exit code {SKIPPED_LINES_EXIT}");
                ExitCode::from(SKIPPED_LINES_EXIT)
            }
        },
        Err(e) => {
            eprintln!("{file}: {e}");
            ExitCode::FAILURE
        }
    }
}

/// The exit code of a run that completed but skipped bad input lines (each one
/// reported on standard error), so that a script can tell.
pub const SKIPPED_LINES_EXIT: u8 = 3;

/// The next input item: what the reader parsed, a flush when it pauses, and
/// when it stays idle a clock tick (live) or a heartbeat (playback, if asked for).
fn next_item(
    rx: &std::sync::mpsc::Receiver<InputItem>,
    flushed: &mut bool,
    playback: bool,
    heartbeat: Option<&mut PlaybackHeartbeat>,
) -> Option<InputItem> {
    use std::sync::mpsc::{RecvTimeoutError, TryRecvError};
    match rx.try_recv() {
        Ok(item) => {
            *flushed = false;
            return Some(item);
        }
        Err(TryRecvError::Empty) if !*flushed => {
            *flushed = true;
            return Some(InputItem::Flush);
        }
        Err(TryRecvError::Disconnected) => return None,
        Err(TryRecvError::Empty) => {}
    }
    let wait = match (playback, &heartbeat) {
        (false, _) => Some(std::time::Duration::from_millis(TICK_MS)),
        (true, Some(hb)) => hb.wait(),
        (true, None) => None,
    };
    let Some(wait) = wait else {
        return rx.recv().ok().inspect(|_| *flushed = false);
    };
    match rx.recv_timeout(wait) {
        Ok(item) => {
            *flushed = false;
            Some(item)
        }
        Err(RecvTimeoutError::Timeout) => match heartbeat {
            Some(hb) if playback => Some(InputItem::Tick(hb.beat())),
            _ => Some(InputItem::Tick(wall_clock_ms())),
        },
        Err(RecvTimeoutError::Disconnected) => None,
    }
}

/// `@app:playback(idle.time, increment)`: while no event arrives for `idle` of
/// wall-clock time, the playback clock moves by `increment` (the reference's
/// `TimestampGeneratorImpl` heartbeat), so time windows expire and batches flush
/// in a replay that pauses. It starts with the first event.
struct PlaybackHeartbeat {
    idle: std::time::Duration,
    increment: i64,
    /// The app's clock, once an event has set it.
    clock: Option<i64>,
    /// When the last event or heartbeat arrived.
    last: std::time::Instant,
    /// The clock the input reader stamps events without `ts` from.
    reader_clock: Arc<AtomicI64>,
}

impl PlaybackHeartbeat {
    fn new(h: sluice_frontend::logical::Heartbeat, reader_clock: Arc<AtomicI64>) -> PlaybackHeartbeat {
        PlaybackHeartbeat {
            idle: std::time::Duration::from_millis(h.idle_ms as u64),
            increment: h.increment_ms,
            clock: None,
            last: std::time::Instant::now(),
            reader_clock,
        }
    }

    /// How long to wait for input before the next heartbeat (none before the
    /// first event).
    fn wait(&self) -> Option<std::time::Duration> {
        self.clock?;
        Some(self.idle.saturating_sub(self.last.elapsed()))
    }

    /// An event went into the app: it moves the clock and restarts the idle time.
    fn saw(&mut self, item: &InputItem) {
        if let InputItem::Event { ts, .. } = item {
            self.clock = Some(self.clock.map_or(*ts, |c| c.max(*ts)));
            self.last = std::time::Instant::now();
        }
    }

    /// The input stayed idle: the time the clock moves to.
    fn beat(&mut self) -> i64 {
        let next = self.clock.unwrap_or(0).saturating_add(self.increment);
        self.clock = Some(next);
        self.last = std::time::Instant::now();
        self.reader_clock.fetch_max(next, Ordering::AcqRel);
        next
    }
}

/// Turns input lines into events of the app's streams.
struct LineParser {
    types: std::collections::HashMap<String, Vec<sluice_frontend::ast::AttrType>>,
    names: std::collections::HashMap<String, Vec<String>>,
    single_input: Option<String>,
    format: Format,
}

impl LineParser {
    fn parse(&self, line: &str, default_ts: i64) -> Result<Option<InputItem>, String> {
        match self.format {
            Format::Jsonl => parse_json_line(self, line, default_ts),
            Format::Csv => parse_csv_line(self, self.single_input.as_deref().unwrap_or_default(), line, default_ts),
        }
    }
    fn schema(&self, stream: &str) -> Option<(&[sluice_frontend::ast::AttrType], &[String])> {
        Some((self.types.get(stream)?.as_slice(), self.names.get(stream)?.as_slice()))
    }
}

/// `{"stream": "S", "data": {...}|[...], "ts": 1}` → an event; errors name the field.
fn parse_json_line(app: &LineParser, line: &str, default_ts: i64) -> Result<Option<InputItem>, String> {
    let v: serde_json::Value = serde_json::from_str(line).map_err(|e| format!("not JSON: {e}"))?;
    let stream = v.get("stream").and_then(|s| s.as_str()).ok_or("field `stream` is missing or not a string")?;
    let (types, names) = app.schema(stream).ok_or(format!("field `stream`: no stream named '{stream}'"))?;
    let ts = match v.get("ts") {
        None | Some(serde_json::Value::Null) => default_ts,
        Some(t) => t.as_i64().ok_or("field `ts` must be an integer (milliseconds)")?,
    };
    let data = v.get("data").ok_or("field `data` is missing")?;
    let mut values = Vec::with_capacity(types.len());
    match data {
        serde_json::Value::Array(items) => {
            if items.len() != types.len() {
                return Err(format!(
                    "field `data`: stream '{stream}' has {} attributes, got {}",
                    types.len(),
                    items.len()
                ));
            }
            for (i, (item, ty)) in items.iter().zip(types).enumerate() {
                let name = names.get(i).cloned().unwrap_or_default();
                values.push(Value::from_json(item, *ty).map_err(|e| format!("field `data.{name}`: {e}"))?);
            }
        }
        serde_json::Value::Object(map) => {
            for (name, ty) in names.iter().zip(types) {
                let item = map.get(name).unwrap_or(&serde_json::Value::Null);
                values.push(Value::from_json(item, *ty).map_err(|e| format!("field `data.{name}`: {e}"))?);
            }
            if let Some(extra) = map.keys().find(|k| !names.contains(k)) {
                return Err(format!("field `data.{extra}`: stream '{stream}' has no such attribute"));
            }
        }
        _ => return Err("field `data` must be an object or an array".into()),
    }
    Ok(Some(InputItem::Event { stream: stream.to_string(), values, ts }))
}

/// A CSV row of the single input stream; a header row is skipped.
fn parse_csv_line(app: &LineParser, stream: &str, line: &str, ts: i64) -> Result<Option<InputItem>, String> {
    let (types, names) = app.schema(stream).ok_or("no input stream")?;
    let fields: Vec<&str> = line.split(',').map(str::trim).collect();
    if fields.iter().zip(names).all(|(f, n)| f == n) {
        return Ok(None);
    }
    if fields.len() != types.len() {
        return Err(format!("stream '{stream}' has {} attributes, the row has {}", types.len(), fields.len()));
    }
    let mut values = Vec::with_capacity(types.len());
    for (i, (f, ty)) in fields.iter().zip(types).enumerate() {
        let json = serde_json::from_str::<serde_json::Value>(f)
            .unwrap_or_else(|_| serde_json::Value::String(f.trim_matches('"').to_string()));
        values.push(Value::from_json(&json, *ty).map_err(|e| format!("field `{}`: {e}", names[i]))?);
    }
    Ok(Some(InputItem::Event { stream: stream.to_string(), values, ts }))
}

/// `sluice run`'s door for the app's sources: events go into the input channel
/// (a full channel blocks the source: back-pressure), stamped like input lines
/// without `ts` (the wall clock live, the playback clock + 1 ms in playback).
struct ChannelDoor {
    tx: std::sync::mpsc::SyncSender<InputItem>,
    playback: bool,
    clock: Arc<AtomicI64>,
}

impl sluice_connectors::source::Door for ChannelDoor {
    fn push(&self, stream: &str, rows: Vec<Vec<Value>>) -> bool {
        for values in rows {
            let ts = if self.playback { self.clock.load(Ordering::Acquire) + 1 } else { wall_clock_ms() };
            self.clock.fetch_max(ts, Ordering::AcqRel);
            if self.tx.send(InputItem::Event { stream: stream.to_string(), values, ts }).is_err() {
                return false;
            }
        }
        true
    }
}
