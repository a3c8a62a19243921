//! The `sluice` binary through its command line: golden cases, located errors,
//! formatting and running an app end to end.

use std::path::{Path, PathBuf};
use std::process::Command;

fn sluice() -> Command {
    Command::new(env!("CARGO_BIN_EXE_sluice"))
}

fn repo(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join(path)
}

fn last_line(out: &[u8]) -> String {
    String::from_utf8_lossy(out).lines().last().unwrap_or_default().to_string()
}

/// `N passed, M failed` → (N, M).
fn counts(line: &str) -> (usize, usize) {
    let nums: Vec<usize> = line.split(|c: char| !c.is_ascii_digit()).filter_map(|s| s.parse().ok()).collect();
    (nums[0], nums[1])
}

/// The golden corpus as CI runs it: the project's cases and, beside the
/// checkout, `../shared/conformance`, against `tests/known-failures.txt` (a
/// listed case must fail, every other must pass).
#[test]
fn golden_cases_pass_with_one_and_four_workers() {
    let conformance = repo("../shared/conformance");
    if !conformance.is_dir() {
        eprintln!("skipped: {} is not there (CI has it)", conformance.display());
        return;
    }
    for workers in ["1", "4"] {
        let out = sluice()
            .args(["test", "--workers", workers, "--known-failures"])
            .arg(repo("tests/known-failures.txt"))
            .arg(repo("tests/cases"))
            .arg(&conformance)
            .output()
            .unwrap();
        let summary = last_line(&out.stdout);
        let (passed, failed) = counts(&summary);
        assert_eq!(failed, 0, "workers {workers}:\n{}", String::from_utf8_lossy(&out.stdout));
        assert!(passed >= 500, "{summary}");
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stdout));
    }
}

#[test]
fn check_reports_line_and_column_and_fails() {
    let out = sluice().arg("check").arg(repo("tests/invalid/undefined_attribute.siddhi")).output().unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("undefined_attribute.siddhi:3:12: error: 'prise' is not an attribute of Trade"), "{err}");
    assert!(err.contains("^^^^^"), "{err}");
}

/// A flat chain of 100,000 terms nests one level per operator: `check`, `fmt` and
/// `run` refuse it with the place of the operator past the limit, not a crash.
#[test]
fn a_long_flat_chain_is_refused_with_its_place() {
    let dir = std::env::temp_dir().join(format!("sluice-deep-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let (app, input) = (dir.join("deep.siddhi"), dir.join("none.jsonl"));
    let sum = vec!["a"; 100_000].join(" + ");
    std::fs::write(&app, format!("define stream S (a int);\nfrom S select {sum} as x insert into O;\n")).unwrap();
    std::fs::write(&input, "").unwrap();
    // `from S select ` is 14 characters; the 64th `+` (k) is at column 13 + 4k.
    let place = format!("deep.siddhi:2:{}: error: expression too deep: more than 64 nested operations", 13 + 4 * 64);
    for args in [vec!["check"], vec!["fmt"], vec!["run", "--input", input.to_str().unwrap()]] {
        let out = sluice().arg(args[0]).arg(&app).args(&args[1..]).output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {}", err.chars().take(300).collect::<String>());
        assert!(err.contains(&place), "{args:?}: {}", err.chars().take(300).collect::<String>());
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn check_summarises_valid_apps_in_both_spellings() {
    let out = sluice()
        .arg("check")
        .arg(repo("examples/temperature.siddhi"))
        .arg(repo("examples/temperature.sql"))
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("query room-average -> RoomAverageStream (roomNo int, avgTemp double, readings long)"),
        "{text}"
    );
    assert_eq!(text.matches(": ok").count(), 2);
}

#[test]
fn fmt_output_checks_and_is_stable() {
    let out = sluice().arg("fmt").arg(repo("examples/temperature.sql")).output().unwrap();
    assert!(out.status.success());
    let printed = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(printed.contains("define stream TempStream"), "{printed}");
    let dir = std::env::temp_dir().join(format!("sluice-fmt-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("app.siddhi");
    std::fs::write(&file, &printed).unwrap();
    let again = sluice().arg("fmt").arg(&file).output().unwrap();
    assert_eq!(String::from_utf8_lossy(&again.stdout), printed);
}

#[test]
fn run_prints_outputs_and_survives_bad_lines() {
    let dir = std::env::temp_dir().join(format!("sluice-run-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let input = dir.join("events.jsonl");
    std::fs::write(
        &input,
        concat!(
            "{\"stream\": \"TempStream\", \"data\": {\"deviceID\": 1, \"roomNo\": 7, \"temp\": 20.0}}\n",
            "{\"stream\": \"TempStream\", \"data\": {\"deviceID\": 1, \"roomNo\": \"seven\", \"temp\": 20.0}}\n",
            "not json\n",
            "{\"stream\": \"TempStream\", \"data\": [2, 7, 30.0]}\n",
        ),
    )
    .unwrap();
    let out = sluice().arg("run").arg(repo("examples/temperature.siddhi")).arg("--input").arg(&input).output().unwrap();
    // Skipped lines make the exit code 3, so that a script can tell.
    assert_eq!(out.status.code(), Some(3));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("2 input line(s) skipped; exit code 3"), "{stderr}");
    assert!(stderr.contains("input line 2: field `data.roomNo`: expected int"), "{stderr}");
    assert!(stderr.contains("input line 3: not JSON"), "{stderr}");
    let averages: Vec<&str> = stdout.lines().filter(|l| l.contains("RoomAverageStream")).collect();
    assert_eq!(averages.len(), 2, "{stdout}");
    assert!(averages[1].contains("\"avgTemp\":25.0"), "{stdout}");
}

/// A partition whose query inserts into an inner stream (`#PerCarrier`) runs under
/// `sluice run` as under `serve`: inner streams are neither printed nor observed
/// (they used to make `run` fail with "no stream named ''").
#[test]
fn run_takes_partitions_with_inner_streams() {
    let app = repo("tests/apps/macrometa/partition_range.sql");
    let out = sluice().arg("run").arg(&app).arg("--input").arg("/dev/null").output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let dir = std::env::temp_dir().join(format!("sluice-partition-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let input = dir.join("events.jsonl");
    std::fs::write(
        &input,
        concat!(
            "{\"stream\": \"Shipment\", \"data\": [\"dhl\", 5.0]}\n",
            "{\"stream\": \"Shipment\", \"data\": [\"ups\", 12.0]}\n",
            "{\"stream\": \"Shipment\", \"data\": [\"dhl\", 7.0]}\n",
        ),
    )
    .unwrap();
    let out = sluice().arg("run").arg(&app).arg("--input").arg(&input).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let maxima: Vec<&str> = stdout.lines().filter(|l| l.contains("\"CarrierMax\"")).collect();
    assert_eq!(maxima.len(), 3, "{stdout}");
    assert!(maxima[2].contains("\"carrier\":\"dhl\",\"heaviest\":7.0"), "{stdout}");
    assert!(!stdout.contains("PerCarrier"), "{stdout}");
}

/// Runs `app` live (`sluice run`, wall clock), sends one input line and keeps stdin
/// open; returns the first output line and how long it took to come.
fn first_live_output(name: &str, app: &str, input: &str) -> (String, std::time::Duration) {
    use std::io::{BufRead, BufReader, Write};
    let dir = std::env::temp_dir().join(format!("sluice-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("app.siddhi");
    std::fs::write(&path, app).unwrap();
    let mut child = sluice()
        .arg("run")
        .arg(&path)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    writeln!(stdin, "{input}").unwrap();
    stdin.flush().unwrap();
    let started = std::time::Instant::now();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    // The output must come while stdin is still open and nothing else arrives.
    let line = lines.next().unwrap().unwrap();
    let waited = started.elapsed();
    drop(stdin);
    assert!(child.wait().unwrap().success());
    (line, waited)
}

/// Live mode: with no further input, the wall clock expires a time window.
#[test]
fn live_run_expires_time_windows_without_new_events() {
    let (line, waited) = first_live_output(
        "live",
        "define stream Taps (who string);\nfrom Taps#window.time(300 milliseconds) select who insert expired events into Gone;\n",
        r#"{"stream": "Taps", "data": ["ann"]}"#,
    );
    assert!(line.contains("\"stream\":\"Gone\"") && line.contains("ann"), "{line}");
    assert!(waited >= std::time::Duration::from_millis(250), "expired too early: {waited:?}");
    assert!(waited < std::time::Duration::from_secs(5), "expired too late: {waited:?}");
}

/// Live mode: an absence pattern fires when its `for` period passes on the wall
/// clock, with no further event.
#[test]
fn live_run_fires_absence_patterns_without_new_events() {
    let (line, waited) = first_live_output(
        "absent",
        "define stream Beats (host string);\n\
         from every e1=Beats -> not Beats[host == e1.host] for 400 milliseconds\n\
         select e1.host as host insert into Silent;\n",
        r#"{"stream": "Beats", "data": ["web-1"]}"#,
    );
    assert!(line.contains("\"stream\":\"Silent\"") && line.contains("web-1"), "{line}");
    assert!(waited >= std::time::Duration::from_millis(350), "fired too early: {waited:?}");
    assert!(waited < std::time::Duration::from_secs(5), "fired too late: {waited:?}");
}

/// Live mode: a periodic trigger fires on the wall clock with no input at all,
/// and a start trigger fires as the app starts.
#[test]
fn live_run_fires_triggers_on_the_wall_clock() {
    let app = "define trigger Every300 at every 300 milliseconds;\n\
               define stream S (v int);\n\
               from Every300 select triggered_time as t insert into Fired;\n";
    let (line, waited) = first_live_output("trigger", app, r#"{"stream": "S", "data": [1]}"#);
    assert!(line.contains("\"stream\":\"Fired\""), "{line}");
    assert!(waited >= std::time::Duration::from_millis(250), "fired too early: {waited:?}");
    assert!(waited < std::time::Duration::from_secs(5), "fired too late: {waited:?}");
    let app = "define trigger Boot at 'start';\nfrom Boot select triggered_time as t insert into Booted;\n";
    let (line, waited) = first_live_output("start-trigger", app, "");
    assert!(line.contains("\"stream\":\"Booted\""), "{line}");
    assert!(waited < std::time::Duration::from_secs(2), "fired too late: {waited:?}");
}

/// Playback with a heartbeat: while the replay pauses, every `idle.time` of wall
/// clock moves the app's clock by `increment`, so a time window expires with no
/// further event (two beats: 1000 -> 2000 -> 3000, past 1000 + 1500).
#[test]
fn playback_heartbeat_moves_the_clock_while_input_pauses() {
    let (line, waited) = first_live_output(
        "heartbeat",
        "@app:playback(idle.time = '200 millisec', increment = '1 sec')\n\
         define stream Taps (who string);\n\
         from Taps#window.time(1500 milliseconds) select who insert expired events into Gone;\n",
        r#"{"stream": "Taps", "data": ["ann"], "ts": 1000}"#,
    );
    assert!(line.contains("\"stream\":\"Gone\"") && line.contains("ann"), "{line}");
    assert!(line.contains("\"ts\":3000"), "expired at the second beat: {line}");
    assert!(waited >= std::time::Duration::from_millis(350), "beat too early: {waited:?}");
    assert!(waited < std::time::Duration::from_secs(5), "beat too late: {waited:?}");
}

/// `sluice run` on a timely cluster of two processes prints exactly what one
/// process prints (partition keys are exchanged between the processes).
#[test]
fn run_on_two_processes_matches_one() {
    let dir = std::env::temp_dir().join(format!("sluice-run-cluster-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let app = dir.join("app.siddhi");
    std::fs::write(
        &app,
        "@app:playback\ndefine stream S (symbol string, price double);\npartition with (symbol of S)\nbegin\n  \
         from S#window.length(3) select symbol, avg(price) as a, count() as n insert into Out;\nend;\n",
    )
    .unwrap();
    let input = dir.join("in.jsonl");
    let lines: Vec<String> = (0..5000)
        .map(|i| {
            format!(
                "{{\"stream\":\"S\",\"ts\":{},\"data\":{{\"symbol\":\"K{}\",\"price\":{}.0}}}}",
                1000 + i,
                i % 37,
                i % 101
            )
        })
        .collect();
    std::fs::write(&input, lines.join("\n")).unwrap();
    let ports: Vec<u16> =
        (0..2).map(|_| std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()).collect();
    let hosts = dir.join("hosts");
    std::fs::write(&hosts, format!("127.0.0.1:{}\n127.0.0.1:{}\n", ports[0], ports[1])).unwrap();
    let one = sluice().arg("run").arg(&app).arg("--input").arg(&input).args(["--workers", "2"]).output().unwrap();
    let follower = sluice()
        .arg("run")
        .arg(&app)
        .args(["--workers", "2", "--process", "1", "--hostfile"])
        .arg(&hosts)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let leader = sluice()
        .arg("run")
        .arg(&app)
        .arg("--input")
        .arg(&input)
        .args(["--workers", "2", "--process", "0", "--hostfile"])
        .arg(&hosts)
        .output()
        .unwrap();
    let follower = follower.wait_with_output().unwrap();
    assert!(leader.status.success() && follower.status.success(), "{}", String::from_utf8_lossy(&leader.stderr));
    // timely reports its connection progress on stdout; events are the JSON lines.
    let events = |out: &[u8]| -> Vec<String> {
        String::from_utf8_lossy(out).lines().filter(|l| l.starts_with('{')).map(str::to_string).collect()
    };
    let (a, b) = (events(&one.stdout), events(&leader.stdout));
    assert_eq!(a.len(), 5000);
    assert_eq!(a, b);
    let _ = std::fs::remove_dir_all(&dir);
}

/// `@sink(type='log')` writes each event of its stream to standard error (the
/// JSON mapper as `{"event":{…}}`); outputs stay on standard output.
#[test]
fn run_writes_log_sinks_to_stderr() {
    let dir = std::env::temp_dir().join(format!("sluice-log-sink-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let app = dir.join("app.sql");
    std::fs::write(
        &app,
        "CREATE STREAM S (v int);\n\
         CREATE SINK Alerts WITH (type='log', prefix='ALERT', map.type='json') (v int);\n\
         INSERT INTO Alerts SELECT v FROM S WHERE v > 1;\n",
    )
    .unwrap();
    let input = dir.join("in.jsonl");
    std::fs::write(&input, "{\"stream\":\"S\",\"data\":[1]}\n{\"stream\":\"S\",\"data\":[2]}\n").unwrap();
    let out = sluice().arg("run").arg(&app).arg("--input").arg(&input).output().unwrap();
    assert!(out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        stderr.lines().filter(|l| l.starts_with("ALERT : ")).collect::<Vec<_>>(),
        vec![r#"ALERT : {"event":{"v":2}}"#]
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(stdout.lines().count(), 1, "{stdout}");
}

/// What is valid in the language but not built is refused with its place, by
/// `sluice check` and `sluice run` alike, never run with the feature ignored.
#[test]
fn unbuilt_features_are_refused_with_their_place() {
    let app = repo("tests/invalid/not_built_kafka_source.sql");
    for cmd in ["check", "run"] {
        let out = sluice().arg(cmd).arg(&app).stdin(std::process::Stdio::null()).output().unwrap();
        assert!(!out.status.success(), "{cmd} accepted it");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            stderr.contains("not_built_kafka_source.sql:2:30: error: not built yet: source type 'kafka'"),
            "{cmd}: {stderr}"
        );
    }
}

/// A failed event is logged and dropped (`LOG`), or printed as an event of the
/// fault stream with its error (`STREAM`); a fault stream is no input stream.
#[test]
fn run_logs_or_streams_failed_events() {
    let dir = std::env::temp_dir().join(format!("sluice-faults-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let input = dir.join("in.jsonl");
    std::fs::write(&input, "{\"stream\":\"S\",\"data\":[\"x\", 1]}\n{\"stream\":\"S\",\"data\":[null, 2]}\n").unwrap();
    for (action, app) in [
        ("LOG", "define stream S (a string, b int);\n"),
        ("STREAM", "@OnError(action='STREAM') define stream S (a string, b int);\n"),
    ] {
        let path = dir.join(format!("{action}.siddhi"));
        std::fs::write(&path, format!("{app}from S select a, cast(a, 'int') + b as c insert into O;\n")).unwrap();
        let out = sluice().arg("run").arg(&path).arg("--input").arg(&input).output().unwrap();
        assert!(out.status.success(), "{action}: {}", String::from_utf8_lossy(&out.stderr));
        let stdout = String::from_utf8_lossy(&out.stdout);
        let stderr = String::from_utf8_lossy(&out.stderr);
        let lines: Vec<&str> = stdout.lines().collect();
        if action == "LOG" {
            assert_eq!(lines.len(), 1, "{stdout}");
            assert!(
                stderr.contains("on stream 'S': '+' needs numbers, found string 'x'; the event [x, 1] is dropped"),
                "{stderr}"
            );
        } else {
            assert_eq!(lines.len(), 2, "{stdout}");
            assert!(lines[0].contains("\"!S\"") && lines[0].contains("\"_error\":\"'+' needs numbers"), "{stdout}");
            assert!(lines[1].contains("\"O\""), "{stdout}");
            assert!(!stderr.contains("dropped"), "{stderr}");
        }
    }
}

#[test]
fn output_into_a_closed_pipe_ends_quietly() {
    use std::io::{BufRead, BufReader};
    use std::os::unix::process::ExitStatusExt;
    // `sluice test tests/cases | head -1`: the reader goes away after one line.
    let mut child = sluice()
        .args(["test", "--verbose"])
        .arg(repo("tests/cases"))
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = String::new();
    BufReader::new(child.stdout.take().unwrap()).read_line(&mut first).unwrap();
    // The reader is dropped here.
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(out.status.success() || out.status.signal() == Some(13), "{:?}", out.status);
}

/// `map:` and `list:` calls are typed by `sluice check`: a wrong argument is an
/// error at the call (`map:toXML`'s root element must be a constant).
#[test]
fn map_and_list_calls_are_checked_at_their_place() {
    let dir = std::env::temp_dir().join(format!("sluice-maplist-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let app = dir.join("maps.siddhi");
    std::fs::write(
        &app,
        "define stream S (name string, m object, o string);\n\
         from S select map:size(name) as n, list:sort(m, o) as s, map:toXML(m, o) as x, list:get(m, 1L) as g\n\
         insert into Out;\n",
    )
    .unwrap();
    let out = sluice().arg("check").arg(&app).output().unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    for expected in [
        "maps.siddhi:2:15: error: argument 1 of map:size() must be a map (object), found string",
        "maps.siddhi:2:36: error: list:sort()'s order must be a constant string",
        "maps.siddhi:2:58: error: map:toXML()'s root element name must be a constant string",
        "maps.siddhi:2:80: error: argument 2 of list:get() must be int, found long",
    ] {
        assert!(err.contains(expected), "{expected}\n{err}");
    }
}
