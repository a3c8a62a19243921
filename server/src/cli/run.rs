//! `sluice run APP [--input FILE|-] [--workers N] [--format jsonl|csv]`: runs an
//! app on the embedded defaults over events from a file or stdin and prints every
//! event its queries insert into streams as a JSON line.

use sluice_dataflow::app::{InputItem, OutputSource};
use sluice_dataflow::value::Value;
use std::io::{BufRead, Write};
use std::path::Path;
use std::process::ExitCode;

/// The input formats.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// One JSON object per line: `{"stream": "S", "data": {...} | [...], "ts": 123}`.
    Jsonl,
    /// CSV rows of the app's single input stream (a header row naming attributes is skipped).
    Csv,
}

/// Runs the app; bad input lines are reported (line and field) and skipped.
pub fn run(app_path: &Path, input: Option<&Path>, workers: usize, format: Format) -> ExitCode {
    let Some(text) = super::read_app(app_path) else {
        return ExitCode::FAILURE;
    };
    let file = app_path.display().to_string();
    let plan = match sluice_frontend::parse(&text).and_then(|a| sluice_frontend::analyze(&a)) {
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
    let reader: Box<dyn BufRead> = match input {
        None => Box::new(std::io::BufReader::new(std::io::stdin())),
        Some(p) if p == Path::new("-") => Box::new(std::io::BufReader::new(std::io::stdin())),
        Some(p) => match std::fs::File::open(p) {
            Ok(f) => Box::new(std::io::BufReader::new(f)),
            Err(e) => {
                eprintln!("{}: cannot read: {e}", p.display());
                return ExitCode::FAILURE;
            }
        },
    };
    let single_input = app.input_types.keys().filter(|s| !app.output_streams.contains(s)).cloned().collect::<Vec<_>>();
    let mut items = Vec::new();
    let mut clock = 0i64;
    let start = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_millis() as i64);
    for (n, line) in reader.lines().enumerate() {
        let line_no = n + 1;
        let Ok(line) = line else {
            eprintln!("input line {line_no}: not valid UTF-8; skipped");
            continue;
        };
        if line.trim().is_empty() {
            continue;
        }
        clock += 1;
        let parsed = match format {
            Format::Jsonl => parse_json_line(&app, &line, start + clock),
            Format::Csv => {
                if single_input.len() != 1 {
                    eprintln!("--format csv needs an app with exactly one input stream");
                    return ExitCode::FAILURE;
                }
                parse_csv_line(&app, &single_input[0], &line, start + clock)
            }
        };
        match parsed {
            Ok(Some(item)) => items.push(item),
            Ok(None) => {}
            Err(e) => eprintln!("input line {line_no}: {e}; skipped"),
        }
    }
    let observe: Vec<String> = app.output_streams.clone();
    let outputs = match app.run(items, workers, &observe) {
        Ok(o) => o,
        Err(e) => {
            eprintln!("{file}: {e}");
            return ExitCode::FAILURE;
        }
    };
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    for o in outputs {
        let OutputSource::Stream(stream) = &o.source else {
            continue;
        };
        let names = app.attribute_names(stream);
        let mut data = serde_json::Map::new();
        for (i, v) in o.row.iter().enumerate() {
            let name = names.get(i).cloned().unwrap_or_else(|| format!("_{i}"));
            data.insert(name, v.to_json());
        }
        let line = serde_json::json!({"stream": stream, "ts": o.ts, "data": data});
        if writeln!(out, "{line}").is_err() {
            break;
        }
    }
    ExitCode::SUCCESS
}

/// `{"stream": "S", "data": {...}|[...], "ts": 1}` → an event; errors name the field.
fn parse_json_line(
    app: &sluice_dataflow::app::CompiledApp,
    line: &str,
    default_ts: i64,
) -> Result<Option<InputItem>, String> {
    let v: serde_json::Value = serde_json::from_str(line).map_err(|e| format!("not JSON: {e}"))?;
    let stream = v.get("stream").and_then(|s| s.as_str()).ok_or("field `stream` is missing or not a string")?;
    let types = app.input_schema(stream).ok_or(format!("field `stream`: no stream named '{stream}'"))?;
    let names = app.attribute_names(stream);
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
fn parse_csv_line(
    app: &sluice_dataflow::app::CompiledApp,
    stream: &str,
    line: &str,
    ts: i64,
) -> Result<Option<InputItem>, String> {
    let types = app.input_schema(stream).ok_or("no input stream")?;
    let names = app.attribute_names(stream);
    let fields: Vec<&str> = line.split(',').map(str::trim).collect();
    if fields.iter().zip(&names).all(|(f, n)| f == n) {
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
