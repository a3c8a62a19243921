//! `sluice fmt` keeps an app's meaning in both spellings: every golden case of
//! `tests/cases` and `../shared/conformance`, its app replaced by what `fmt
//! --spelling X` prints, gives the same outputs (`sluice test --fmt-spelling X`
//! against the same list of known failures as the corpus run).

use std::path::{Path, PathBuf};
use std::process::Command;

fn repo(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join(path)
}

fn corpus_passes_with(spelling: &str) {
    let out = Command::new(env!("CARGO_BIN_EXE_sluice"))
        .args(["test", "--workers", "2", "--fmt-spelling", spelling, "--known-failures"])
        .arg(repo("tests/known-failures.txt"))
        .arg(repo("tests/cases"))
        .arg(repo("../shared/conformance"))
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let summary = stdout.lines().last().unwrap_or_default();
    assert!(out.status.success(), "--fmt-spelling {spelling}: {summary}\n{stdout}");
    let passed: usize = summary.split(' ').next().and_then(|n| n.parse().ok()).unwrap_or(0);
    assert!(passed > 400, "--fmt-spelling {spelling}: too few cases ran: {summary}");
}

#[test]
fn the_corpus_gives_the_same_outputs_after_fmt_in_classic_spelling() {
    corpus_passes_with("classic");
}

#[test]
fn the_corpus_gives_the_same_outputs_after_fmt_in_macrometa_spelling() {
    corpus_passes_with("macrometa");
}

#[test]
fn fmt_prints_either_spelling_of_an_example() {
    let fmt = |spelling: &str| {
        let out = Command::new(env!("CARGO_BIN_EXE_sluice"))
            .args(["fmt", "--spelling", spelling])
            .arg(repo("examples/temperature.sql"))
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8(out.stdout).unwrap()
    };
    let classic = fmt("classic");
    assert!(classic.contains("from TempStream[temp < 150.0]#window.length(5)"), "{classic}");
    let macrometa = fmt("macrometa");
    assert!(macrometa.contains("FROM TempStream[temp < 150.0] WINDOW SLIDING_LENGTH(5)"), "{macrometa}");
    assert!(macrometa.contains("CREATE STREAM TempStream (deviceID long, roomNo int, temp double);"), "{macrometa}");
}
