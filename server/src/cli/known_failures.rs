//! `sluice test --known-failures FILE`: the list of golden cases allowed to fail,
//! each with its reason, so that CI fails on any *new* failure and on any listed
//! case that now passes (the list only shrinks).
//!
//! The file holds one case a line, `case_name: reason`, where `case_name` is the
//! case's `name:` field; `#` starts a comment line and blank lines are skipped.

use std::collections::BTreeMap;
use std::path::Path;

/// The cases allowed to fail, by case name, with the reason given for each.
#[derive(Debug, Default)]
pub struct KnownFailures {
    reasons: BTreeMap<String, String>,
}

impl KnownFailures {
    /// Reads the list; a line without a reason is an error naming its line.
    pub fn load(path: &Path) -> Result<KnownFailures, String> {
        let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
        Self::parse(&text).map_err(|e| format!("{}:{e}", path.display()))
    }

    fn parse(text: &str) -> Result<KnownFailures, String> {
        let mut reasons = BTreeMap::new();
        for (n, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let Some((name, reason)) = line.split_once(':') else {
                return Err(format!("{}: expected `case_name: reason`", n + 1));
            };
            let (name, reason) = (name.trim(), reason.trim());
            if name.is_empty() || reason.is_empty() {
                return Err(format!("{}: a known failure needs a case name and a reason", n + 1));
            }
            if reasons.insert(name.to_string(), reason.to_string()).is_some() {
                return Err(format!("{}: '{name}' is listed twice", n + 1));
            }
        }
        Ok(KnownFailures { reasons })
    }

    /// Whether the case named `name` is allowed to fail.
    pub fn contains(&self, name: &str) -> bool {
        self.reasons.contains_key(name)
    }

    /// The listed cases that are not in `failed`: each either passed or was not
    /// run at all, and either way its entry must go.
    pub fn stale<'a>(&'a self, failed: &'a [String]) -> impl Iterator<Item = &'a str> + 'a {
        self.reasons.keys().map(String::as_str).filter(|name| !failed.iter().any(|f| f == name))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_names_and_reasons() {
        let k = KnownFailures::parse("# why\n\ncase_a: the reference is wrong\ncase_b: not built: x\n").unwrap();
        assert!(k.contains("case_a") && k.contains("case_b") && !k.contains("case_c"));
        let failed = vec!["case_a".to_string()];
        assert_eq!(k.stale(&failed).collect::<Vec<_>>(), vec!["case_b"]);
    }

    #[test]
    fn refuses_entries_without_a_reason_or_listed_twice() {
        assert_eq!(KnownFailures::parse("a\n").unwrap_err(), "1: expected `case_name: reason`");
        assert!(KnownFailures::parse("a:\n").is_err());
        assert!(KnownFailures::parse("a: x\na: y\n").unwrap_err().contains("twice"));
    }
}
