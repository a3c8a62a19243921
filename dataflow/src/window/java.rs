//! Models of the two Java collections whose quirks show in the `unique:` and
//! `lossyFrequent` windows' outputs, so that those windows release what the
//! reference releases.
//!
//! * [`Chunk`] is the reference's `ComplexEventChunk`: a singly linked list with
//!   an iterator whose position survives between calls, whose `remove` does not
//!   move `last` back, and whose `poll` does not touch the iterator. The
//!   `unique:length` window relies on all three.
//! * [`JavaMap`] is a `java.util.HashMap` (or `ConcurrentHashMap`) as far as its
//!   iteration order goes: by bucket of the key's Java hash, then insertion order.

use super::StreamEvent;
use crate::relation::table::java_hash_order;
use crate::value::Value;
use std::collections::HashMap;

/// One node of a [`Chunk`].
struct Node {
    ev: StreamEvent,
    next: Option<usize>,
}

/// The reference's `ComplexEventChunk`, node for node. Nodes live in an arena;
/// nodes no pointer can reach any more are recycled.
#[derive(Default)]
pub(super) struct Chunk {
    nodes: Vec<Option<Node>>,
    free: Vec<usize>,
    first: Option<usize>,
    last: Option<usize>,
    last_returned: Option<usize>,
    previous_to_last_returned: Option<usize>,
    live_after_gc: usize,
}

impl Chunk {
    fn alloc(&mut self, ev: StreamEvent) -> usize {
        let in_use = self.nodes.len() - self.free.len();
        if in_use >= 64 && in_use >= 2 * self.live_after_gc {
            self.collect();
        }
        let node = Some(Node { ev, next: None });
        match self.free.pop() {
            Some(i) => {
                self.nodes[i] = node;
                i
            }
            None => {
                self.nodes.push(node);
                self.nodes.len() - 1
            }
        }
    }

    /// Frees the nodes no root (first, last, the iterator) leads to.
    fn collect(&mut self) {
        let mut marked = vec![false; self.nodes.len()];
        let roots = [self.first, self.last, self.last_returned, self.previous_to_last_returned];
        for root in roots {
            let mut at = root;
            while let Some(i) = at {
                if marked[i] {
                    break;
                }
                marked[i] = true;
                at = self.nodes[i].as_ref().and_then(|n| n.next);
            }
        }
        self.free.clear();
        let mut live = 0;
        for (i, m) in marked.into_iter().enumerate() {
            if m {
                live += 1;
            } else {
                self.nodes[i] = None;
                self.free.push(i);
            }
        }
        self.live_after_gc = live;
    }

    fn next_of(&self, i: usize) -> Option<usize> {
        self.nodes[i].as_ref().and_then(|n| n.next)
    }

    fn set_next(&mut self, i: usize, next: Option<usize>) {
        if let Some(n) = self.nodes[i].as_mut() {
            n.next = next;
        }
    }

    /// The event of node `i`.
    pub(super) fn event(&self, i: usize) -> &StreamEvent {
        &self.nodes[i].as_ref().expect("live node").ev
    }

    /// `add`: appends after `last` (which may be a node already removed).
    pub(super) fn add(&mut self, ev: StreamEvent) {
        let i = self.alloc(ev);
        match (self.first, self.last) {
            (None, _) => self.first = Some(i),
            (Some(_), Some(last)) => self.set_next(last, Some(i)),
            // `first` set with `last` unset cannot arise from these operations.
            (Some(_), None) => {}
        }
        self.last = Some(i);
    }

    /// `hasNext`.
    pub(super) fn has_next(&self) -> bool {
        if let Some(l) = self.last_returned {
            self.next_of(l).is_some()
        } else if let Some(p) = self.previous_to_last_returned {
            self.next_of(p).is_some()
        } else {
            self.first.is_some()
        }
    }

    /// `next`: the node returned (call only when [`Chunk::has_next`]).
    pub(super) fn next(&mut self) -> usize {
        let r = if let Some(l) = self.last_returned {
            self.previous_to_last_returned = Some(l);
            self.next_of(l)
        } else if let Some(p) = self.previous_to_last_returned {
            self.next_of(p)
        } else {
            self.first
        };
        let r = r.expect("has_next was checked");
        self.last_returned = Some(r);
        r
    }

    /// `remove`: unlinks the node last returned (`last` is left as it was).
    pub(super) fn remove(&mut self) {
        let Some(l) = self.last_returned else { return };
        let after = self.next_of(l);
        match self.previous_to_last_returned {
            Some(p) => self.set_next(p, after),
            None => {
                self.first = after;
                if after.is_none() {
                    self.last = None;
                }
            }
        }
        self.set_next(l, None);
        self.last_returned = None;
    }

    /// `poll`: takes the first event off (the iterator is not told).
    pub(super) fn poll(&mut self) -> Option<StreamEvent> {
        let f = self.first?;
        self.first = self.next_of(f);
        self.set_next(f, None);
        Some(self.event(f).clone())
    }

    /// `reset`: the iterator starts again from the first node.
    pub(super) fn reset(&mut self) {
        self.last_returned = None;
        self.previous_to_last_returned = None;
    }

    /// The events from `first` on.
    pub(super) fn iter(&self) -> impl Iterator<Item = &StreamEvent> + '_ {
        let mut at = self.first;
        std::iter::from_fn(move || {
            let i = at?;
            at = self.next_of(i);
            Some(self.event(i))
        })
    }
}

/// The identity of a Java map key: equal keys are `equals` in Java (same type
/// and value; a string key built with `toString()` is a string).
#[derive(Clone, PartialEq, Eq, Hash, Debug)]
pub(super) struct JavaKey {
    tag: u8,
    text: String,
}

impl JavaKey {
    /// The key a value is as itself (`map.put(value, …)`).
    pub(super) fn object(v: &Value) -> JavaKey {
        let tag = match v {
            Value::Null => 0,
            Value::Bool(_) => 1,
            Value::Int(_) => 2,
            Value::Long(_) => 3,
            Value::Float(_) => 4,
            Value::Double(_) => 5,
            Value::String(_) => 6,
            Value::Set(_) => 7,
            Value::Json(_) => 8,
        };
        JavaKey { tag, text: v.to_string() }
    }

    /// A string key (`toString()` of a value, or several appended).
    pub(super) fn string(text: String) -> JavaKey {
        JavaKey { tag: 6, text }
    }

    /// The value whose Java `hashCode` places the key.
    fn hash_value(&self, original: &Value) -> Value {
        if self.tag == 6 {
            Value::string(&self.text)
        } else {
            original.clone()
        }
    }
}

/// Java's `equals` on two values: same type and value (`Double.equals`: NaN
/// equals NaN, `-0.0` differs from `0.0`).
pub(super) fn java_equals(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Float(x), Value::Float(y)) => x.to_bits() == y.to_bits() || (x.is_nan() && y.is_nan()),
        (Value::Double(x), Value::Double(y)) => x.to_bits() == y.to_bits() || (x.is_nan() && y.is_nan()),
        _ => std::mem::discriminant(a) == std::mem::discriminant(b) && a == b,
    }
}

/// `StreamEvent.equals` as the windows use it: same timestamp, same values.
pub(super) fn same_event(a: &StreamEvent, b: &StreamEvent) -> bool {
    a.ts == b.ts && a.row.len() == b.row.len() && a.row.iter().zip(b.row.iter()).all(|(x, y)| java_equals(x, y))
}

/// A `LinkedHashMap` without removal: iteration in first-insertion order;
/// `put` on a present key replaces the value in place.
pub(super) struct LinkedMap<V> {
    entries: Vec<(JavaKey, V)>,
    index: HashMap<JavaKey, usize>,
}

impl<V> Default for LinkedMap<V> {
    fn default() -> Self {
        LinkedMap { entries: Vec::new(), index: HashMap::new() }
    }
}

impl<V> LinkedMap<V> {
    /// `put`.
    pub(super) fn put(&mut self, key: JavaKey, v: V) {
        match self.index.get(&key) {
            Some(&i) => self.entries[i].1 = v,
            None => {
                self.index.insert(key.clone(), self.entries.len());
                self.entries.push((key, v));
            }
        }
    }
    /// `size`.
    pub(super) fn len(&self) -> usize {
        self.entries.len()
    }
    /// `clear`.
    pub(super) fn clear(&mut self) {
        self.entries.clear();
        self.index.clear();
    }
    /// The entries in order.
    pub(super) fn iter(&self) -> impl Iterator<Item = (&JavaKey, &V)> + '_ {
        self.entries.iter().map(|(k, v)| (k, v))
    }
    /// The values in order, for update.
    pub(super) fn values_mut(&mut self) -> impl Iterator<Item = &mut V> + '_ {
        self.entries.iter_mut().map(|(_, v)| v)
    }
}

/// Which Java map is modelled: they resize at slightly different sizes.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum MapKind {
    /// `java.util.HashMap`: doubles when the size passes ¾ of the capacity.
    Hash,
    /// `java.util.concurrent.ConcurrentHashMap`: doubles when the size reaches ¾.
    Concurrent,
}

/// A Java hash map's contents and iteration order.
pub(super) struct JavaMap<V> {
    kind: MapKind,
    capacity: u64,
    seq: u64,
    entries: HashMap<JavaKey, (Value, u64, V)>,
}

impl<V> JavaMap<V> {
    /// An empty map of the default capacity (16).
    pub(super) fn new(kind: MapKind) -> JavaMap<V> {
        JavaMap { kind, capacity: 16, seq: 0, entries: HashMap::new() }
    }

    /// `put`: returns the value replaced (the key keeps its place).
    pub(super) fn put(&mut self, key: JavaKey, original: &Value, v: V) -> Option<V> {
        if let Some(slot) = self.entries.get_mut(&key) {
            return Some(std::mem::replace(&mut slot.2, v));
        }
        let hv = key.hash_value(original);
        self.seq += 1;
        self.entries.insert(key, (hv, self.seq, v));
        let size = self.entries.len() as u64;
        let grow = match self.kind {
            MapKind::Hash => size * 4 > self.capacity * 3,
            MapKind::Concurrent => size * 4 >= self.capacity * 3,
        };
        if grow {
            self.capacity *= 2;
        }
        None
    }

    /// `get`.
    pub(super) fn get(&self, key: &JavaKey) -> Option<&V> {
        self.entries.get(key).map(|e| &e.2)
    }

    /// `get` for update.
    pub(super) fn get_mut(&mut self, key: &JavaKey) -> Option<&mut V> {
        self.entries.get_mut(key).map(|e| &mut e.2)
    }

    /// `containsKey`.
    pub(super) fn contains(&self, key: &JavaKey) -> bool {
        self.entries.contains_key(key)
    }

    /// `remove`.
    pub(super) fn remove(&mut self, key: &JavaKey) -> Option<V> {
        self.entries.remove(key).map(|e| e.2)
    }

    /// `size`.
    pub(super) fn len(&self) -> usize {
        self.entries.len()
    }

    /// The keys in iteration order.
    pub(super) fn keys(&self) -> Vec<JavaKey> {
        self.ordered().into_iter().map(|(k, _)| k.clone()).collect()
    }

    /// The values in iteration order.
    pub(super) fn values(&self) -> Vec<&V> {
        self.ordered().into_iter().map(|(_, v)| v).collect()
    }

    /// Takes every value out, in iteration order (`values()` then `clear()`).
    pub(super) fn drain_values(&mut self) -> Vec<V> {
        let keys = self.keys();
        keys.iter().filter_map(|k| self.entries.remove(k).map(|e| e.2)).collect()
    }

    fn ordered(&self) -> Vec<(&JavaKey, &V)> {
        let mut all: Vec<(u64, u64, &JavaKey, &V)> = self
            .entries
            .iter()
            .map(|(k, (hv, seq, v))| (java_hash_order(std::slice::from_ref(hv), self.capacity), *seq, k, v))
            .collect();
        all.sort_by_key(|(b, s, _, _)| (*b, *s));
        all.into_iter().map(|(_, _, k, v)| (k, v)).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    fn ev(v: i64) -> StreamEvent {
        StreamEvent { ts: v, row: Arc::from(vec![Value::Long(v)]) }
    }

    fn list(c: &Chunk) -> Vec<i64> {
        c.iter().map(|e| e.ts).collect()
    }

    #[test]
    fn remove_of_the_tail_leaves_last_behind() {
        // As in Java: removing the tail through the iterator keeps `last` on the
        // removed node, so the next `add` hangs off it, out of the list.
        let mut c = Chunk::default();
        c.add(ev(1));
        c.add(ev(2));
        while c.has_next() {
            let i = c.next();
            if c.event(i).ts == 2 {
                c.remove();
            }
        }
        c.add(ev(3));
        assert_eq!(list(&c), [1]);
    }

    #[test]
    fn poll_and_iteration_resume() {
        let mut c = Chunk::default();
        for v in 1..=3 {
            c.add(ev(v));
        }
        assert!(c.has_next());
        c.next();
        assert_eq!(c.poll().map(|e| e.ts), Some(1));
        // The iterator stands on the polled node, now detached.
        assert!(!c.has_next());
        c.reset();
        assert_eq!(list(&c), [2, 3]);
    }

    #[test]
    fn hash_map_iterates_by_bucket() {
        let mut m = JavaMap::new(MapKind::Hash);
        for s in ["WSO2", "IBM", "GOOG"] {
            m.put(JavaKey::object(&Value::string(s)), &Value::string(s), s);
        }
        assert_eq!(m.values(), [&"GOOG", &"IBM", &"WSO2"]);
        let mut n = JavaMap::new(MapKind::Hash);
        for i in [17, 1, 16] {
            n.put(JavaKey::object(&Value::Int(i)), &Value::Int(i), i);
        }
        assert_eq!(n.values(), [&16, &17, &1]);
    }

    #[test]
    fn unreachable_nodes_are_recycled() {
        let mut c = Chunk::default();
        for v in 0..10_000 {
            c.add(ev(v));
            c.poll();
        }
        assert!(c.nodes.len() < 200);
    }
}
