//! Every app under `examples/` runs in both spellings (`NAME.siddhi` and
//! `NAME.sql`) over its events (`NAME.jsonl`) through `sluice run`, and both print
//! exactly the outputs in `examples/expected/NAME.jsonl`. An expected line with no
//! `ts` (an app that runs live, stamped by the wall clock) is compared without it.

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;

fn examples_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples")
}

/// The output lines of `sluice run APP --input EVENTS`, parsed; the run must succeed.
fn run(app: &Path, events: &Path) -> Vec<Value> {
    let out =
        Command::new(env!("CARGO_BIN_EXE_sluice")).arg("run").arg(app).arg("--input").arg(events).output().unwrap();
    assert!(out.status.success(), "{}: {}", app.display(), String::from_utf8_lossy(&out.stderr));
    parse_lines(&String::from_utf8_lossy(&out.stdout), app)
}

fn parse_lines(text: &str, from: &Path) -> Vec<Value> {
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{}: {l}: {e}", from.display())))
        .collect()
}

/// `actual` without the fields `expected` lacks (only `ts` may be left out).
fn as_expected(mut actual: Value, expected: &Value) -> Value {
    if let (Some(a), Some(e)) = (actual.as_object_mut(), expected.as_object()) {
        if !e.contains_key("ts") {
            a.remove("ts");
        }
    }
    actual
}

#[test]
fn every_example_gives_its_expected_outputs_in_both_spellings() {
    let dir = examples_dir();
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .filter_map(|e| e.ok()?.file_name().to_str()?.strip_suffix(".siddhi").map(str::to_string))
        .collect();
    names.sort();
    assert!(names.len() >= 5, "examples found: {names:?}");
    for name in &names {
        let events = dir.join(format!("{name}.jsonl"));
        if !events.exists() {
            // An app that runs on its own sources (MQTT) is run where its broker
            // is: server/tests/mqtt.rs.
            continue;
        }
        let expected_path = dir.join(format!("expected/{name}.jsonl"));
        let expected = parse_lines(&std::fs::read_to_string(&expected_path).unwrap(), &expected_path);
        assert!(!expected.is_empty(), "{name}: no expected outputs");
        for spelling in ["siddhi", "sql"] {
            let app = dir.join(format!("{name}.{spelling}"));
            assert!(app.exists(), "{name} has no .{spelling} spelling");
            let actual: Vec<Value> =
                run(&app, &events).into_iter().zip(&expected).map(|(a, e)| as_expected(a, e)).collect();
            assert_eq!(actual.len(), expected.len(), "{}: number of outputs", app.display());
            assert_eq!(actual, expected, "{}", app.display());
        }
    }
}

#[test]
fn the_examples_readme_lists_every_example() {
    let dir = examples_dir();
    let readme = std::fs::read_to_string(dir.join("README.md")).unwrap();
    for entry in std::fs::read_dir(&dir).unwrap() {
        let file = entry.unwrap().file_name().to_string_lossy().to_string();
        if file.ends_with(".siddhi") || file.ends_with(".sql") {
            assert!(readme.contains(&format!("`{file}`")), "examples/README.md does not mention {file}");
        }
    }
}
