//! An in-memory table: rows kept in the order the reference implementation
//! iterates them, with a primary-key index that refuses duplicates.
//!
//! The reference keeps a table without a primary key as a list (insertion
//! order), one with a single numeric primary key in a sorted map, and one with a
//! string or composite key in a Java `HashMap`. Joins and on-demand queries list
//! rows in that order, so it is reproduced here: [`java_hash_order`] places a key
//! in the bucket a `HashMap` of the same history would use.

use crate::value::{Row, Value};
use std::collections::BTreeMap;

/// Where a row sits in iteration order: `(bucket, insertion number, key)`, of
/// which each order uses what it needs.
type Slot = (u64, u64, Vec<Value>);

/// What [`Table::apply`] does to one row.
#[derive(Clone, Debug)]
pub enum Verdict {
    /// Leave it.
    Keep,
    /// Delete it.
    Delete,
    /// Replace it by this row.
    Replace(Row),
}

/// How a table orders its rows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum RowOrder {
    /// As inserted (no primary key).
    Insertion,
    /// By the (single, numeric) primary key.
    Key,
    /// As a Java `HashMap` of the key's text iterates (string or composite keys).
    JavaHash,
}

/// The rows of one table.
#[derive(Clone, Debug)]
pub struct Table {
    name: String,
    primary_key: Vec<usize>,
    order: RowOrder,
    rows: BTreeMap<Slot, Row>,
    /// Primary key → slot.
    keys: BTreeMap<Vec<Value>, Slot>,
    /// Next insertion number.
    seq: u64,
    /// The capacity a Java `HashMap` holding these keys would have reached.
    capacity: u64,
}

impl Table {
    /// An empty table; `primary_key` holds attribute positions, `numeric_key`
    /// whether the key is one numeric attribute.
    pub fn new(name: &str, primary_key: Vec<usize>, numeric_key: bool) -> Table {
        let order = match (primary_key.len(), numeric_key) {
            (0, _) => RowOrder::Insertion,
            (1, true) => RowOrder::Key,
            _ => RowOrder::JavaHash,
        };
        Table {
            name: name.to_string(),
            primary_key,
            order,
            rows: BTreeMap::new(),
            keys: BTreeMap::new(),
            seq: 0,
            capacity: 16,
        }
    }

    /// How many rows it holds.
    pub fn len(&self) -> usize {
        self.rows.len()
    }

    /// Whether it holds no rows.
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// The positions of the primary key attributes (empty: none).
    pub fn primary_key(&self) -> &[usize] {
        &self.primary_key
    }

    /// The row with primary key `key`, if any.
    pub fn get(&self, key: &[Value]) -> Option<&Row> {
        self.keys.get(key).and_then(|slot| self.rows.get(slot))
    }

    /// The rows, in the reference's iteration order.
    pub fn rows(&self) -> impl Iterator<Item = &Row> {
        self.rows.values()
    }

    fn key_of(&self, row: &[Value]) -> Vec<Value> {
        self.primary_key.iter().map(|&i| row.get(i).cloned().unwrap_or(Value::Null)).collect()
    }

    fn slot_for(&mut self, key: &[Value]) -> Slot {
        self.seq += 1;
        match self.order {
            RowOrder::Insertion => (0, self.seq, Vec::new()),
            RowOrder::Key => (0, 0, key.to_vec()),
            RowOrder::JavaHash => (java_hash_order(key, self.capacity), self.seq, Vec::new()),
        }
    }

    /// Inserts `row`; a row whose primary key is already present is refused with
    /// the reason (the reference drops it and logs an error).
    pub fn insert(&mut self, row: Row) -> Result<(), String> {
        if self.primary_key.is_empty() {
            let slot = self.slot_for(&[]);
            self.rows.insert(slot, row);
            return Ok(());
        }
        let key = self.key_of(&row);
        if self.keys.contains_key(&key) {
            let shown: Vec<String> = key.iter().map(|v| v.to_string()).collect();
            return Err(format!(
                "table '{}' dropped an event: there is already a row with primary key '{}'",
                self.name,
                shown.join(", ")
            ));
        }
        self.grow_for_one_more();
        let slot = self.slot_for(&key);
        self.keys.insert(key, slot.clone());
        self.rows.insert(slot, row);
        Ok(())
    }

    /// Deletes the row with primary key `key`; whether there was one.
    pub fn delete_key(&mut self, key: &[Value]) -> bool {
        match self.keys.get(key).cloned() {
            Some(slot) => self.remove_at(&slot),
            None => false,
        }
    }

    /// Replaces the row with primary key `key` by `new` (which may change the key,
    /// unless that key is taken).
    pub fn update_key(&mut self, key: &[Value], new: Row) -> Result<(), String> {
        match self.keys.get(key).cloned() {
            Some(slot) => self.replace_at(&slot, new),
            None => Ok(()),
        }
    }

    /// Deletes or replaces rows: `verdicts` holds one [`Verdict`] per row, in
    /// iteration order (decided beforehand, so that the decisions may read the
    /// table). Returns how many rows were deleted or replaced. Replacements that
    /// would leave two rows with one primary key fail as a whole, as the
    /// reference's update does: no row changes.
    pub fn apply(&mut self, verdicts: Vec<Verdict>) -> Result<usize, String> {
        let slots: Vec<Slot> = self.rows.keys().cloned().collect();
        if !self.primary_key.is_empty() && verdicts.iter().any(|v| matches!(v, Verdict::Replace(_))) {
            let mut keys = std::collections::HashSet::new();
            for (slot, verdict) in slots.iter().zip(&verdicts) {
                let key = match verdict {
                    Verdict::Keep => self.rows.get(slot).map(|r| self.key_of(r)),
                    Verdict::Delete => None,
                    Verdict::Replace(new) => Some(self.key_of(new)),
                };
                if key.is_some_and(|k| !keys.insert(k)) {
                    return Err(format!(
                        "table '{}': an update would give two rows the same primary key; no row updated",
                        self.name
                    ));
                }
            }
        }
        let (mut touched, mut error) = (0, None);
        for (slot, verdict) in slots.iter().zip(verdicts) {
            match verdict {
                Verdict::Keep => continue,
                Verdict::Delete => {
                    self.remove_at(slot);
                }
                Verdict::Replace(new) => {
                    if let Err(e) = self.replace_at(slot, new) {
                        error = Some(e);
                    }
                }
            }
            touched += 1;
        }
        error.map_or(Ok(touched), Err)
    }

    /// Replaces every row `matches` accepts by `update(row)` (see [`Table::apply`]).
    pub fn update_where(
        &mut self,
        mut matches: impl FnMut(&Row) -> bool,
        mut update: impl FnMut(&Row) -> Row,
    ) -> Result<usize, String> {
        let verdicts =
            self.rows.values().map(|r| if matches(r) { Verdict::Replace(update(r)) } else { Verdict::Keep }).collect();
        self.apply(verdicts)
    }

    /// Removes the row at `slot`; whether there was one.
    fn remove_at(&mut self, slot: &Slot) -> bool {
        let Some(row) = self.rows.remove(slot) else { return false };
        if !self.primary_key.is_empty() {
            let key = self.key_of(&row);
            self.keys.remove(&key);
        }
        true
    }

    /// Puts `new` in place of the row at `slot`, moving it when its key changes.
    fn replace_at(&mut self, slot: &Slot, new: Row) -> Result<(), String> {
        let Some(old) = self.rows.get(slot) else { return Ok(()) };
        if self.primary_key.is_empty() || self.key_of(old) == self.key_of(&new) {
            self.rows.insert(slot.clone(), new);
            return Ok(());
        }
        let new_key = self.key_of(&new);
        if self.keys.contains_key(&new_key) {
            return Err(format!("table '{}': an update would duplicate a primary key; row kept", self.name));
        }
        self.remove_at(slot);
        let slot = self.slot_for(&new_key);
        self.keys.insert(new_key, slot.clone());
        self.rows.insert(slot, new);
        Ok(())
    }

    /// Keeps the capacity a Java `HashMap` would have after one more key, and
    /// re-buckets the rows when it doubles (a resize keeps each bucket's order).
    fn grow_for_one_more(&mut self) {
        match self.order {
            RowOrder::JavaHash => {
                let size = self.keys.len() as u64 + 1;
                if size * 4 > self.capacity * 3 {
                    self.capacity *= 2;
                    let rows = std::mem::take(&mut self.rows);
                    for ((_, seq, _), row) in rows {
                        let key = self.key_of(&row);
                        let slot = (java_hash_order(&key, self.capacity), seq, Vec::new());
                        self.keys.insert(key, slot.clone());
                        self.rows.insert(slot, row);
                    }
                }
            }
            RowOrder::Key => {}
            RowOrder::Insertion => {}
        }
    }
}

/// The bucket a Java `HashMap` of `capacity` puts this key in: the key's Java
/// text hashed as `String.hashCode` (a composite key is its parts joined by
/// `:-:`, as the reference builds it), spread as `HashMap.hash` does.
pub fn java_hash_order(key: &[Value], capacity: u64) -> u64 {
    let h = match key {
        [Value::String(s)] => java_string_hash(s),
        [single] => java_object_hash(single),
        parts => {
            let mut text = String::new();
            for p in parts {
                text.push_str(&p.to_string());
                text.push_str(":-:");
            }
            java_string_hash(&text)
        }
    };
    let spread = h ^ (h >> 16);
    (spread as u64) & (capacity - 1)
}

fn java_string_hash(s: &str) -> u32 {
    s.encode_utf16().fold(0u32, |h, c| h.wrapping_mul(31).wrapping_add(c as u32))
}

fn java_object_hash(v: &Value) -> u32 {
    match v {
        Value::Int(i) => *i as u32,
        Value::Long(l) => (*l ^ (*l >> 32)) as u32,
        Value::Bool(b) => {
            if *b {
                1231
            } else {
                1237
            }
        }
        Value::Float(f) => f.to_bits(),
        Value::Double(d) => {
            let b = d.to_bits();
            (b ^ (b >> 32)) as u32
        }
        Value::String(s) => java_string_hash(s),
        Value::Null | Value::Set(_) | Value::Json(_) => 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    fn row(s: &str, n: i64) -> Row {
        Arc::from(vec![Value::string(s), Value::Long(n)])
    }

    #[test]
    fn duplicate_primary_keys_are_refused() {
        let mut t = Table::new("T", vec![0], false);
        t.insert(row("a", 1)).unwrap();
        assert!(t.insert(row("a", 2)).unwrap_err().contains("primary key 'a'"));
        assert_eq!(t.len(), 1);
    }

    #[test]
    fn string_keys_iterate_in_java_hash_map_order() {
        // java.util.HashMap with keys WSO2, IBM, GOOG iterates IBM, GOOG, WSO2 here.
        let mut t = Table::new("T", vec![0], false);
        for (i, s) in ["WSO2", "IBM", "GOOG"].iter().enumerate() {
            t.insert(row(s, i as i64)).unwrap();
        }
        let order: Vec<String> = t.rows().map(|r| r[0].to_string()).collect();
        let mut expected: Vec<(u64, String)> =
            ["WSO2", "IBM", "GOOG"].iter().map(|s| (java_hash_order(&[Value::string(s)], 16), s.to_string())).collect();
        expected.sort_by_key(|(b, _)| *b);
        assert_eq!(order, expected.into_iter().map(|(_, s)| s).collect::<Vec<_>>());
    }

    #[test]
    fn updates_that_change_the_key_move_the_row() {
        let mut t = Table::new("T", vec![0], false);
        t.insert(row("a", 1)).unwrap();
        t.insert(row("b", 2)).unwrap();
        let n = t.update_where(|r| r[0] == Value::string("a"), |_| row("c", 3)).unwrap();
        assert_eq!(n, 1);
        assert!(t.insert(row("a", 9)).is_ok(), "the old key is free again");
        assert!(t.insert(row("c", 9)).is_err(), "the new key is taken");
        assert!(t.update_where(|r| r[0] == Value::string("b"), |_| row("c", 4)).is_err());
    }
}
