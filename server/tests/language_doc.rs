//! `docs/language.md` shows its examples as golden cases: each block after a
//! `<!-- case: PATH -->` line must equal the file at PATH, every case under
//! `tests/cases/language/` must be shown, and every case must pass `sluice test`.

use std::path::{Path, PathBuf};
use std::process::Command;

fn repo(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join(path)
}

/// `(path, block text)` for every case embedded in the guide.
fn embedded_cases(doc: &str) -> Vec<(String, String)> {
    let mut found = Vec::new();
    let mut lines = doc.lines();
    while let Some(line) = lines.next() {
        let Some(path) = line.strip_prefix("<!-- case: ").and_then(|r| r.strip_suffix(" -->")) else { continue };
        assert_eq!(lines.next(), Some("```yaml"), "the block after `{line}` must open with ```yaml");
        let mut body = String::new();
        for l in lines.by_ref() {
            if l == "```" {
                break;
            }
            body.push_str(l);
            body.push('\n');
        }
        found.push((path.to_string(), body));
    }
    found
}

#[test]
fn the_guide_shows_every_language_case_exactly() {
    let doc = std::fs::read_to_string(repo("docs/language.md")).unwrap();
    let shown = embedded_cases(&doc);
    for (path, body) in &shown {
        let file = std::fs::read_to_string(repo(path)).unwrap_or_else(|e| panic!("{path}: {e}"));
        assert_eq!(body, &file, "docs/language.md's block for {path} differs from the file");
    }
    let mut on_disk: Vec<String> = std::fs::read_dir(repo("tests/cases/language"))
        .unwrap()
        .map(|e| format!("tests/cases/language/{}", e.unwrap().file_name().to_string_lossy()))
        .collect();
    on_disk.sort();
    let mut listed: Vec<String> = shown.iter().map(|(p, _)| p.clone()).collect();
    listed.sort();
    assert_eq!(listed, on_disk, "the guide must show every case of tests/cases/language once");
}

#[test]
fn every_language_case_passes() {
    let cases = std::fs::read_dir(repo("tests/cases/language")).unwrap().count();
    let out = Command::new(env!("CARGO_BIN_EXE_sluice"))
        .args(["test", "--workers", "2"])
        .arg(repo("tests/cases/language"))
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}");
    let summary = stdout.lines().last().unwrap_or_default();
    assert_eq!(summary, format!("{cases} passed, 0 failed"), "{stdout}");
}

/// GitHub's anchor for a heading: lower case, spaces to `-`, other punctuation dropped.
fn anchor(heading: &str) -> String {
    heading
        .trim()
        .to_lowercase()
        .chars()
        .filter_map(|c| match c {
            ' ' => Some('-'),
            c if c.is_alphanumeric() || c == '-' || c == '_' => Some(c),
            _ => None,
        })
        .collect()
}

#[test]
fn links_into_the_guide_name_its_sections() {
    let doc = std::fs::read_to_string(repo("docs/language.md")).unwrap();
    let anchors: Vec<String> = doc.lines().filter_map(|l| l.strip_prefix("## ")).map(anchor).collect();
    let readme = std::fs::read_to_string(repo("README.md")).unwrap();
    let links = readme
        .split("docs/language.md#")
        .skip(1)
        .chain(doc.split("](#").skip(1))
        .map(|rest| rest.split(')').next().unwrap_or_default().to_string());
    let mut count = 0;
    for link in links {
        assert!(anchors.contains(&link), "no section #{link} in docs/language.md (sections: {anchors:?})");
        count += 1;
    }
    assert!(count >= 20, "only {count} links checked");
}
