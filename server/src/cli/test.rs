//! `sluice test CASE_OR_DIR...`: runs golden YAML cases (format in
//! `shared/conformance/README.md`) and ends with `N passed, M failed`.

use super::known_failures::KnownFailures;
use serde_yaml::Value as Yaml;
use sluice_dataflow::app::{InputItem, OutputEvent, OutputSource};
use sluice_dataflow::runtime::message::Kind;
use sluice_dataflow::value::Value;
use sluice_frontend::printer::{print_app_in, Spelling};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// The clock of cases that give no `ts`: events 1 ms apart from here.
const FIXED_CLOCK_START: i64 = 1_000;

/// How `sluice test` runs cases.
pub struct Options {
    /// Timely worker threads.
    pub workers: usize,
    /// Also list the cases that pass.
    pub verbose: bool,
    /// Run each app as the printer prints it in this spelling.
    pub fmt_spelling: Option<Spelling>,
}

/// Runs every case under `paths`; prints a diff per failure and the totals.
/// With `known`, the listed cases may fail (and must: a listed case that passes
/// fails the run), and only the others count as failures.
pub fn run(paths: &[PathBuf], options: &Options, known: Option<&Path>) -> ExitCode {
    let (workers, verbose) = (options.workers, options.verbose);
    let known = match known.map(KnownFailures::load).transpose() {
        Ok(k) => k,
        Err(e) => {
            eprintln!("sluice test: {e}");
            return ExitCode::FAILURE;
        }
    };
    let mut files = Vec::new();
    for p in paths {
        collect(p, &mut files);
    }
    files.sort();
    let (mut passed, mut failed, mut expected_failures) = (0, 0, Vec::new());
    for file in &files {
        let text = std::fs::read_to_string(file).map_err(|e| format!("cannot read: {e}"));
        let name = case_name(file, text.as_deref().unwrap_or_default());
        let outcome = std::panic::catch_unwind(|| run_case(text?.as_str(), workers, options.fmt_spelling));
        let outcome = outcome.unwrap_or_else(|_| Err("the engine panicked on this case".into()));
        match outcome {
            Ok(()) => {
                passed += 1;
                if verbose {
                    println!("PASS {}", file.display());
                }
            }
            Err(why) if known.as_ref().is_some_and(|k| k.contains(&name)) => {
                if verbose {
                    println!("KNOWN {}: {}", file.display(), why.trim_end());
                }
                expected_failures.push(name);
            }
            Err(why) => {
                failed += 1;
                println!("FAIL {}: {}", file.display(), why.trim_end());
            }
        }
    }
    if let Some(known) = &known {
        for name in known.stale(&expected_failures) {
            failed += 1;
            println!("STALE {name}: listed as a known failure, but it passed or was not run; remove it from the list");
        }
        println!("{} known failures, each listed with its reason", expected_failures.len());
    }
    println!("{passed} passed, {failed} failed");
    if failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

/// A case's `name:` (unique across the corpus), or its file name without one.
fn case_name(file: &Path, text: &str) -> String {
    let named = text.lines().find_map(|l| l.strip_prefix("name:")).map(|n| n.trim().trim_matches(['"', '\'']));
    match named {
        Some(n) if !n.is_empty() => n.to_string(),
        _ => file.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default(),
    }
}

fn collect(path: &Path, out: &mut Vec<PathBuf>) {
    if path.is_dir() {
        if let Ok(entries) = std::fs::read_dir(path) {
            for e in entries.flatten() {
                collect(&e.path(), out);
            }
        }
    } else if path.extension().is_some_and(|e| e == "yaml" || e == "yml") {
        out.push(path.to_path_buf());
    }
}

/// Runs one case, given its text; with `fmt_spelling`, runs its app as printed
/// in that spelling.
fn run_case(text: &str, workers: usize, fmt_spelling: Option<Spelling>) -> Result<(), String> {
    let case: Yaml = serde_yaml::from_str(text).map_err(|e| format!("not a case: {e}"))?;
    let written = case.get("app").and_then(Yaml::as_str).ok_or("the case has no `app`")?;
    let printed =
        fmt_spelling.and_then(|spelling| sluice_frontend::parse(written).ok().map(|app| print_app_in(&app, spelling)));
    let app_text = printed.as_deref().unwrap_or(written);
    let expect_error = case.get("error").and_then(Yaml::as_bool).unwrap_or(false);
    let plan = match sluice_frontend::parse(app_text).and_then(|app| super::analyze(&app)) {
        Ok(plan) => plan,
        Err(errors) => {
            if expect_error {
                return Ok(());
            }
            let first = errors.first().map(|e| e.render("app", app_text)).unwrap_or_default();
            return Err(format!("the app was refused:\n{first}"));
        }
    };
    let compiled = sluice_dataflow::app::compile(&plan);
    if expect_error {
        return match compiled {
            Err(_) => Ok(()),
            Ok(_) => Err("the app should have been refused, but it was accepted".into()),
        };
    }
    let compiled = compiled.map_err(|e| format!("not built yet: {e}"))?;
    let expect = case.get("expect").cloned().unwrap_or(Yaml::Null);
    let mut observed = Vec::new();
    if let Yaml::Mapping(m) = &expect {
        for (k, _) in m {
            observed.push(k.as_str().unwrap_or_default().to_string());
        }
    }
    // Inputs.
    let steps = case.get("input").and_then(Yaml::as_sequence).cloned().unwrap_or_default();
    let playback = steps.iter().any(|s| s.get("ts").is_some() || s.get("time").is_some());
    let mut items = Vec::new();
    let mut queries = Vec::new();
    let mut clock = FIXED_CLOCK_START;
    for (i, step) in steps.iter().enumerate() {
        if let Some(text) = step.get("query").and_then(Yaml::as_str) {
            let must_fail = step.get("error").and_then(Yaml::as_bool).unwrap_or(false);
            match compiled.check_on_demand(text) {
                Err(_) if must_fail => continue,
                Err(e) => return Err(format!("input {i}: the on-demand query was refused:\n{e}")),
                Ok(_) => {}
            }
            items.push(InputItem::Query { id: i as u64, text: text.to_string() });
            queries.push((i, step.clone()));
            continue;
        }
        if let Some(t) = step.get("time").and_then(Yaml::as_i64) {
            items.push(InputItem::Tick(t));
            continue;
        }
        let stream = step.get("stream").and_then(Yaml::as_str).ok_or(format!("input {i} has no stream"))?;
        let data = step.get("data").and_then(Yaml::as_sequence).ok_or(format!("input {i} has no data"))?;
        let ts = if playback {
            step.get("ts").and_then(Yaml::as_i64).unwrap_or(clock)
        } else {
            clock += 1;
            clock
        };
        clock = clock.max(ts);
        let schema = compiled.input_schema(stream).ok_or(format!("input {i}: no stream '{stream}'"))?;
        // Like the reference's input handler, a short event leaves the last attributes null.
        if schema.len() < data.len() {
            return Err(format!(
                "input {i}: stream '{stream}' has {} attributes, the case gives {}",
                schema.len(),
                data.len()
            ));
        }
        let mut values = Vec::with_capacity(schema.len());
        for (v, ty) in data.iter().zip(schema) {
            let json = serde_json::to_value(v).map_err(|e| e.to_string())?;
            values.push(Value::from_json(&json, *ty).map_err(|e| format!("input {i}: {e}"))?);
        }
        values.resize(schema.len(), Value::Null);
        items.push(InputItem::Event { stream: stream.to_string(), values, ts });
    }
    let items = sluice_dataflow::trigger::with_triggers(items.into_iter(), compiled.triggers.clone()).collect();
    let outputs = compiled.run(items, workers, &observed)?;
    let answers = compare_answers(&queries, &outputs);
    let streams = compare(&expect, &outputs);
    match (answers, streams) {
        (Ok(()), Ok(())) => Ok(()),
        (Err(a), Err(b)) => Err(format!("{a}{b}")),
        (Err(e), _) | (_, Err(e)) => Err(e),
    }
}

/// Compares the answers to the case's `query:` steps with their `count` / `rows`.
fn compare_answers(queries: &[(usize, Yaml)], outputs: &[OutputEvent]) -> Result<(), String> {
    let mut problems = String::new();
    for (i, step) in queries {
        let source = OutputSource::Answer(*i as u64);
        let rows: Vec<&OutputEvent> =
            outputs.iter().filter(|o| o.source == source && o.kind == Kind::Current).collect();
        let end = outputs.iter().find(|o| o.source == source && o.kind == Kind::Expired);
        if step.get("error").and_then(Yaml::as_bool).unwrap_or(false) {
            if end.is_none_or(|e| e.row.is_empty()) {
                problems.push_str(&format!("  query at input {i}: should have been refused, but it was answered\n"));
            }
            continue;
        }
        match end {
            None => problems.push_str(&format!("  query at input {i}: no answer\n")),
            Some(e) if !e.row.is_empty() => {
                problems.push_str(&format!("  query at input {i}: failed: {}\n", e.row[0]));
            }
            Some(_) => {}
        }
        if let Some(n) = step.get("count").and_then(Yaml::as_u64) {
            if rows.len() as u64 != n {
                problems.push_str(&format!(
                    "  query at input {i}: expected {n} rows, got {}\n{}",
                    rows.len(),
                    show(&rows)
                ));
            }
        }
        if let Some(expected) = step.get("rows").and_then(Yaml::as_sequence) {
            let text = step.get("query").and_then(Yaml::as_str).unwrap_or_default().to_ascii_lowercase();
            let ordered = text.contains("order by");
            if let Err(diff) = compare_rows(expected, &rows, !ordered) {
                problems.push_str(&format!("  query at input {i}: {diff}\n{}", show(&rows)));
            }
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(format!("\n{problems}"))
    }
}

/// Compares every expectation; returns a readable diff of the first mismatches.
fn compare(expect: &Yaml, outputs: &[OutputEvent]) -> Result<(), String> {
    let Yaml::Mapping(m) = expect else {
        return Ok(());
    };
    let mut problems = String::new();
    for (key, e) in m {
        let key = key.as_str().unwrap_or_default();
        let source = match key.strip_prefix("query:") {
            Some(q) => OutputSource::Query(q.to_string()),
            None => OutputSource::Stream(key.to_string()),
        };
        let of_kind = |kind: Kind| -> Vec<&OutputEvent> {
            outputs.iter().filter(|o| o.source == source && o.kind == kind).collect()
        };
        let current = of_kind(Kind::Current);
        let expired = of_kind(Kind::Expired);
        let unordered = e.get("unordered").and_then(Yaml::as_bool).unwrap_or(false);
        if let Some(n) = e.get("count").and_then(Yaml::as_u64) {
            if current.len() as u64 != n {
                problems.push_str(&format!(
                    "  {key}: expected {n} current events, got {}\n{}",
                    current.len(),
                    show(&current)
                ));
            }
        }
        if let Some(n) = e.get("expired_count").and_then(Yaml::as_u64) {
            if expired.len() as u64 != n {
                problems.push_str(&format!(
                    "  {key}: expected {n} expired events, got {}\n{}",
                    expired.len(),
                    show(&expired)
                ));
            }
        }
        for (field, events) in [("current", &current), ("expired", &expired)] {
            if let Some(rows) = e.get(field).and_then(Yaml::as_sequence) {
                if let Err(diff) = compare_rows(rows, events, unordered) {
                    problems.push_str(&format!("  {key} ({field}): {diff}\n{}", show(events)));
                }
            }
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(format!("\n{problems}"))
    }
}

fn show(events: &[&OutputEvent]) -> String {
    let mut s = String::new();
    for e in events.iter().take(12) {
        s.push_str(&format!("      got {}\n", render_row(&e.row)));
    }
    if events.len() > 12 {
        s.push_str(&format!("      … {} more\n", events.len() - 12));
    }
    s
}

fn render_row(row: &[Value]) -> String {
    let parts: Vec<String> = row.iter().map(|v| v.to_string()).collect();
    format!("[{}]", parts.join(", "))
}

fn compare_rows(expected: &[Yaml], actual: &[&OutputEvent], unordered: bool) -> Result<(), String> {
    if expected.len() != actual.len() {
        return Err(format!("expected {} rows, got {}", expected.len(), actual.len()));
    }
    if unordered {
        let mut used = vec![false; actual.len()];
        for (i, exp) in expected.iter().enumerate() {
            let hit = (0..actual.len()).find(|j| !used[*j] && row_matches(exp, &actual[*j].row));
            match hit {
                Some(j) => used[j] = true,
                None => return Err(format!("expected row {i} {} is missing", yaml_str(exp))),
            }
        }
        return Ok(());
    }
    for (i, (exp, act)) in expected.iter().zip(actual).enumerate() {
        if !row_matches(exp, &act.row) {
            return Err(format!("row {i}: expected {}, got {}", yaml_str(exp), render_row(&act.row)));
        }
    }
    Ok(())
}

fn yaml_str(y: &Yaml) -> String {
    serde_json::to_string(y).unwrap_or_default()
}

fn row_matches(expected: &Yaml, actual: &[Value]) -> bool {
    match expected {
        Yaml::Sequence(values) => {
            values.len() == actual.len() && values.iter().zip(actual).all(|(e, a)| value_matches(e, a))
        }
        Yaml::Mapping(m) => m.iter().all(|(k, e)| {
            let idx = k.as_u64().map(|i| i as usize);
            idx.and_then(|i| actual.get(i)).is_some_and(|a| value_matches(e, a))
        }),
        _ => false,
    }
}

fn value_matches(expected: &Yaml, actual: &Value) -> bool {
    match (expected, actual) {
        (Yaml::Null, Value::Null) => true,
        (Yaml::Bool(b), Value::Bool(a)) => b == a,
        (Yaml::String(s), Value::String(a)) => s.as_str() == &**a,
        (Yaml::Number(n), a) => {
            let Some(x) = n.as_f64() else { return false };
            let (y, tolerance) = match a {
                Value::Int(v) => (*v as f64, 0.0),
                Value::Long(v) => (*v as f64, 0.0),
                Value::Float(v) => (*v as f64, 1e-4),
                Value::Double(v) => (*v, 1e-6),
                _ => return false,
            };
            if tolerance == 0.0 {
                return x == y;
            }
            // As `../shared/reference/compare.py`: NaN matches NaN (`.nan` in YAML),
            // an infinity only itself.
            if x.is_nan() || y.is_nan() {
                return x.is_nan() && y.is_nan();
            }
            if x.is_infinite() || y.is_infinite() {
                return x == y;
            }
            (x - y).abs() <= tolerance * x.abs().max(y.abs()).max(1e-12) || (x - y).abs() < 1e-9
        }
        (Yaml::Mapping(_) | Yaml::Sequence(_), Value::Json(a)) => {
            serde_json::to_value(expected).is_ok_and(|e| e == **a)
        }
        (e, Value::String(a)) => match e {
            Yaml::Number(n) => n.to_string() == **a,
            Yaml::Bool(b) => b.to_string() == **a,
            _ => false,
        },
        _ => false,
    }
}
