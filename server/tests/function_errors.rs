//! `sluice check` refuses a function call with the wrong number or types of
//! arguments, or a function that is not built, at the call's line and column.

use std::path::PathBuf;
use std::process::Command;

/// Each case: a select-list expression over `S (s string, n int, l long, d double, b bool)`
/// and the message `sluice check` must give for it at line 2, column 15.
const CASES: &[(&str, &str)] = &[
    ("time:dateDiff(s, s, s)", "time:dateDiff() takes 2 or 4 arguments, found 3"),
    ("time:dateFormat(l, s, s)", "time:dateFormat() takes no date format after a date in milliseconds"),
    ("time:dateAdd(s, s, 'YEAR')", "argument 2 of time:dateAdd() must be int or long, found string"),
    ("time:currentDate(s)", "time:currentDate() takes 0 arguments, found 1"),
    ("time:extract(b, s)", "argument 1 of time:extract() must be string, found bool"),
    ("time:dayOfWeek(d)", "argument 1 of time:dayOfWeek() must be string, found double"),
    ("json:getString(s)", "json:getString() takes 2 arguments, found 1"),
    ("json:getInt(s, n)", "argument 2 of json:getInt() must be string, found int"),
    ("json:setElement(d, '$', 1)", "argument 1 of json:setElement() must be string, found double"),
    ("json:toString(s, s)", "argument 2 of json:toString() must be bool, found string"),
    ("regex:find(s, s, s)", "argument 3 of regex:find() must be int or long, found string"),
    ("regex:group(s, s)", "regex:group() takes 3 arguments, found 2"),
    ("regex:matches(n, s)", "argument 1 of regex:matches() must be string, found int"),
    (
        "unitconversion:cmToft(s)",
        "argument 1 of unitconversion:cmToft() must be int or long or float or double, found string",
    ),
    ("unitconversion:kmTom(n, n)", "unitconversion:kmTom() takes 1 argument, found 2"),
    ("geo:distance(d, d, d)", "geo:distance() takes 4 arguments, found 3"),
    ("geo:distance(d, d, d, s)", "argument 4 of geo:distance() must be int or long or float or double, found string"),
    ("geo:contains(d, s)", "geo:contains() takes (longitude, latitude, fence string), found 2 arguments"),
    ("geo:touches(s, d)", "argument 2 of geo:touches() must be string, found double"),
    (
        "geo:withinDistance(s, s, s)",
        "argument 3 of geo:withinDistance() must be int or long or float or double, found string",
    ),
    ("geo:intersects(b, s)", "argument 1 of geo:intersects() must be string, found bool"),
];

fn check(app: &str, dir: &std::path::Path, i: usize) -> String {
    let path: PathBuf = dir.join(format!("case{i}.siddhi"));
    std::fs::write(&path, app).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_sluice")).arg("check").arg(&path).output().unwrap();
    assert!(!out.status.success(), "accepted: {app}");
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn wrong_function_calls_are_refused_with_their_place() {
    let dir = std::env::temp_dir().join(format!("sluice-fn-errors-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    for (i, (call, message)) in CASES.iter().enumerate() {
        let app = format!(
            "define stream S (s string, n int, l long, d double, b bool);\nfrom S select {call} as x insert into Out;\n"
        );
        let err = check(&app, &dir, i);
        let want = format!("case{i}.siddhi:2:15: error: {message}");
        assert!(err.contains(&want), "{call}: expected {want}\ngot {err}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// `#log(...)` writes each event on standard error (priority, message, values)
/// and passes it on unchanged; `OFF` logs nothing.
#[test]
fn log_stream_function_logs_and_passes_events_on() {
    let dir = std::env::temp_dir().join(format!("sluice-fn-log-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let app = dir.join("log.siddhi");
    std::fs::write(
        &app,
        concat!(
            "define stream FooStream (symbol string, price double);\n",
            "@info(name = 'query1')\n",
            "from FooStream#log('DEBUG', 'Sample Event :', true) select * insert into BarStream;\n",
            "@info(name = 'query2')\n",
            "from FooStream#log('Event Arrived', false) select symbol insert into Symbols;\n",
            "@info(name = 'quiet')\n",
            "from FooStream#log('OFF', 'never shown') select price insert into Prices;\n",
            "@info(name = 'plain')\n",
            "from FooStream#log() select price insert into Prices2;\n",
        ),
    )
    .unwrap();
    let input = dir.join("events.jsonl");
    std::fs::write(&input, "{\"stream\": \"FooStream\", \"data\": [\"IBM\", 75.5]}\n").unwrap();
    let out =
        Command::new(env!("CARGO_BIN_EXE_sluice")).arg("run").arg(&app).arg("--input").arg(&input).output().unwrap();
    let (stdout, stderr) = (String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "{stderr}");
    assert!(stderr.contains("DEBUG Sample Event : [IBM, 75.5]"), "{stderr}");
    assert!(stderr.lines().any(|l| l == "INFO Event Arrived"), "{stderr}");
    assert!(stderr.contains("INFO query 'plain' [IBM, 75.5] at "), "{stderr}");
    assert!(!stderr.contains("never shown"), "{stderr}");
    assert!(stdout.contains("BarStream") && stdout.contains("Symbols") && stdout.contains("Prices"), "{stdout}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// A tokenizing stream function with the wrong arguments is refused at its place.
#[test]
fn tokenizers_with_wrong_arguments_are_refused() {
    let dir = std::env::temp_dir().join(format!("sluice-fn-tokenize-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let cases = [
        (
            "from S#str:tokenize(n, ',') select token insert into Out;",
            "2:8: error: #str:tokenize takes (input string, regex string[, bool])",
        ),
        (
            "from S#json:tokenize(s) select jsonElement insert into Out;",
            "2:8: error: #json:tokenize takes (input string, path string[, bool])",
        ),
        (
            "from S#geo:crosses(s, n, s) select crosses insert into Out;",
            "2:8: error: #geo:crosses takes (id, longitude, latitude, fence string) or (id, geometry string, \
             fence string), found (string, int, string)",
        ),
        (
            "from S#geo:locationApproximate(s, n, n, s, s, n) select averageExist insert into Out;",
            "2:8: error: #geo:locationApproximate takes (location.recorder, latitude, longitude",
        ),
    ];
    for (i, (query, want)) in cases.iter().enumerate() {
        let err = check(&format!("define stream S (s string, n int);\n{query}\n"), &dir, 100 + i);
        assert!(err.contains(want), "{query}: expected {want}\ngot {err}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}
