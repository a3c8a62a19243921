//! The README's 5-minute tour, run verbatim: its `sh` block, with `sluice` on the
//! `PATH` as the built binary and the tour's port replaced by a free one, from the
//! root of the repository; then its outputs are checked.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// The first ```sh block after the tour's heading.
fn tour_block(readme: &str) -> String {
    let after = readme.split_once("## A 5-minute tour").expect("README has a 5-minute tour").1;
    let body = after.split_once("```sh\n").expect("the tour has an sh block").1;
    body.split_once("```").expect("the block is closed").0.to_string()
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

#[test]
fn the_readme_tour_runs_as_written() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let readme = std::fs::read_to_string(root.join("README.md")).unwrap();
    let block = tour_block(&readme);
    assert!(block.contains("18080"), "the tour uses port 18080:\n{block}");
    let script = format!("set -e\n{}", block.replace("18080", &free_port().to_string()));
    let bin_dir = Path::new(env!("CARGO_BIN_EXE_sluice")).parent().unwrap();
    let path = format!("{}:{}", bin_dir.display(), std::env::var("PATH").unwrap_or_default());
    let mut child = Command::new("bash")
        .arg("-c")
        .arg(&script)
        .current_dir(&root)
        .env("PATH", path)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let started = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if started.elapsed() > Duration::from_secs(120) {
            let _ = child.kill();
            panic!("the tour did not finish in 120 s");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let out = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "exit {:?}\nstdout:\n{stdout}\nstderr:\n{stderr}", out.status);
    let first_trade = r#""data":{"symbol":"ACME","price":55.5,"volume":100}}"#;
    assert_eq!(stdout.matches(first_trade).count(), 2, "`run` and SSE each print the first trade:\n{stdout}");
    let followed = stdout.lines().filter(|l| l.starts_with(r#"data:{"stream":"HighStream""#)).count();
    assert_eq!(followed, 2, "SSE gives both trades above 10:\n{stdout}");
    assert!(stdout.contains(r#""rows":[["ACME",57.0,150]]"#), "the query's answer:\n{stdout}");
    assert!(!stdout.contains("TINY"), "the filter drops TINY:\n{stdout}");
}
