//! The next clock deadline of each of many processors (one per partition key),
//! so that a clock advance finds the due ones without visiting the others.

use std::collections::{BTreeSet, HashMap};
use std::hash::Hash;

/// Deadlines (ms) by key, ordered by time.
#[derive(Debug)]
pub struct Deadlines<K> {
    by_time: BTreeSet<(i64, K)>,
    of: HashMap<K, i64>,
}

impl<K> Default for Deadlines<K> {
    fn default() -> Self {
        Deadlines { by_time: BTreeSet::new(), of: HashMap::new() }
    }
}

impl<K: Ord + Hash + Clone> Deadlines<K> {
    /// Records `key`'s next deadline (`None`: it waits for nothing).
    pub fn set(&mut self, key: &K, deadline: Option<i64>) {
        let old = self.of.get(key).copied();
        if old == deadline {
            return;
        }
        if let Some(old) = old {
            self.by_time.remove(&(old, key.clone()));
            self.of.remove(key);
        }
        if let Some(new) = deadline {
            self.by_time.insert((new, key.clone()));
            self.of.insert(key.clone(), new);
        }
    }

    /// The earliest deadline of any key.
    pub fn first(&self) -> Option<i64> {
        self.by_time.first().map(|(t, _)| *t)
    }

    /// Removes and returns the keys whose deadline is at or before `now`, earliest
    /// first; the caller ticks them and records their new deadlines.
    pub fn take_due(&mut self, now: i64) -> Vec<K> {
        let mut due = Vec::new();
        while let Some((t, _)) = self.by_time.first() {
            if *t > now {
                break;
            }
            let (_, key) = self.by_time.pop_first().expect("present");
            self.of.remove(&key);
            due.push(key);
        }
        due
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_due_keys_and_follows_updates() {
        let mut d = Deadlines::default();
        d.set(&"a", Some(30));
        d.set(&"b", Some(10));
        d.set(&"c", None);
        d.set(&"a", Some(5));
        assert_eq!(d.first(), Some(5));
        assert_eq!(d.take_due(10), vec!["a", "b"]);
        assert_eq!(d.first(), None);
        d.set(&"b", Some(40));
        d.set(&"b", None);
        assert!(d.take_due(100).is_empty());
    }
}
