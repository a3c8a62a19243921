//! The next clock deadline of each of many processors (one per partition key),
//! so that a clock advance or tick finds the due ones without visiting the
//! others, and the clock each of them has seen.

use super::graph::{Emit, Processor};
use std::collections::BTreeSet;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;

/// The earliest clock deadline of a whole running app, across every node on every
/// worker: each node's processors publish theirs into a slot of their own, and
/// whoever drives a live app's clock reads the minimum to tell whether a tick
/// would release anything. An idle app (nothing waiting for the clock) then gets
/// no ticks and costs no CPU.
#[derive(Clone, Default)]
pub struct DeadlineBoard {
    slots: Arc<parking_lot::Mutex<Vec<Arc<AtomicI64>>>>,
}

/// A published "no deadline".
const NO_DEADLINE: i64 = i64::MAX;

impl DeadlineBoard {
    /// A new slot, holding no deadline, for one node's processors on one worker.
    pub fn slot(&self) -> DeadlineSlot {
        let slot = Arc::new(AtomicI64::new(NO_DEADLINE));
        self.slots.lock().push(slot.clone());
        DeadlineSlot { slot, published: NO_DEADLINE }
    }

    /// The earliest deadline (ms) any processor waits for, if any.
    pub fn earliest(&self) -> Option<i64> {
        let min = self.slots.lock().iter().map(|s| s.load(Ordering::Acquire)).min().unwrap_or(NO_DEADLINE);
        (min != NO_DEADLINE).then_some(min)
    }
}

/// One node's place on a [`DeadlineBoard`].
pub struct DeadlineSlot {
    slot: Arc<AtomicI64>,
    published: i64,
}

impl DeadlineSlot {
    /// Publishes the node's earliest deadline (a store only when it changed).
    pub fn publish(&mut self, deadline: Option<i64>) {
        let d = deadline.unwrap_or(NO_DEADLINE);
        if d != self.published {
            self.published = d;
            self.slot.store(d, Ordering::Release);
        }
    }
}

/// One key's processor, the latest clock tick it has seen and its deadline as
/// recorded in its [`Deadlines`].
///
/// Ticks reach only the keys with something due, since the others' ticks would
/// release nothing; but a tick also moves a processor's own clock (what
/// `currentTimeMillis()`, `output first every` and `within` read), so a key that
/// skipped the latest tick gets it before its next input ([`KeyedProcessor::catch_up`]),
/// as if it had been ticked then.
pub struct KeyedProcessor {
    /// The processor.
    pub processor: Box<dyn Processor>,
    /// The timestamp of the latest event it was given (`@purge` drops a key's
    /// processor that has had none for its idle period).
    pub last_event: i64,
    ticked: i64,
    deadline: Option<i64>,
}

impl KeyedProcessor {
    /// A new key's processor, starting with the clock's latest tick.
    pub fn new(processor: Box<dyn Processor>, ticked: i64) -> KeyedProcessor {
        KeyedProcessor { processor, last_event: i64::MIN, ticked, deadline: None }
    }

    /// Takes the processor's deadline out of `deadlines` (it is being dropped).
    pub fn forget<K: Ord + Clone>(&mut self, key: &K, deadlines: &mut Deadlines<K>) {
        deadlines.update(key, &mut self.deadline, None);
    }

    /// Brings the processor to the latest tick `ticked` if it skipped it.
    pub fn catch_up(&mut self, ticked: i64, out: &mut Vec<Emit>) {
        if self.ticked < ticked {
            self.ticked = ticked;
            self.processor.on_tick(ticked, out);
        }
    }

    /// Ticks the processor at `ts`, its key having been taken from the index by
    /// [`Deadlines::take_due`]; record its new deadline afterwards.
    pub fn tick_due(&mut self, ts: i64, out: &mut Vec<Emit>) {
        self.deadline = None;
        self.ticked = self.ticked.max(ts);
        self.processor.on_tick(ts, out);
    }

    /// Records the processor's next deadline under `key` in `deadlines`.
    pub fn record<K: Ord + Clone>(&mut self, key: &K, deadlines: &mut Deadlines<K>) {
        deadlines.update(key, &mut self.deadline, self.processor.next_deadline());
    }
}

/// Keys ordered by their deadline (ms). Each key's current deadline is kept by
/// the caller beside its processor ([`KeyedProcessor`]) and passed to
/// [`Deadlines::update`], so the index needs no map of its own and an unchanged
/// deadline costs no lookup.
#[derive(Debug)]
pub struct Deadlines<K> {
    by_time: BTreeSet<(i64, K)>,
}

impl<K> Default for Deadlines<K> {
    fn default() -> Self {
        Deadlines { by_time: BTreeSet::new() }
    }
}

impl<K: Ord + Clone> Deadlines<K> {
    /// Moves `key` from its recorded deadline `recorded` to `deadline` (`None`:
    /// it waits for nothing), and records the new one.
    pub fn update(&mut self, key: &K, recorded: &mut Option<i64>, deadline: Option<i64>) {
        if *recorded == deadline {
            return;
        }
        if let Some(old) = recorded.take() {
            self.by_time.remove(&(old, key.clone()));
        }
        if let Some(new) = deadline {
            self.by_time.insert((new, key.clone()));
        }
        *recorded = deadline;
    }

    /// The earliest deadline of any key.
    pub fn first(&self) -> Option<i64> {
        self.by_time.first().map(|(t, _)| *t)
    }

    /// Removes and returns the keys whose deadline is at or before `now`, earliest
    /// first. Their recorded deadlines no longer hold: the caller ticks them
    /// ([`KeyedProcessor::tick_due`]) and records the new ones.
    pub fn take_due(&mut self, now: i64) -> Vec<K> {
        let mut due = Vec::new();
        while self.by_time.first().is_some_and(|(t, _)| *t <= now) {
            let (_, key) = self.by_time.pop_first().expect("present");
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
        let (mut a, mut b, mut c) = (None, None, None);
        d.update(&"a", &mut a, Some(30));
        d.update(&"b", &mut b, Some(10));
        d.update(&"c", &mut c, None);
        d.update(&"a", &mut a, Some(5));
        assert_eq!(d.first(), Some(5));
        assert_eq!(d.take_due(10), vec!["a", "b"]);
        assert_eq!(d.first(), None);
        let mut b = None;
        d.update(&"b", &mut b, Some(40));
        d.update(&"b", &mut b, None);
        assert!(d.take_due(100).is_empty());
    }

    #[test]
    fn the_board_holds_the_minimum_of_its_slots() {
        let board = DeadlineBoard::default();
        let (mut a, mut b) = (board.slot(), board.slot());
        assert_eq!(board.earliest(), None);
        a.publish(Some(50));
        b.publish(Some(20));
        assert_eq!(board.earliest(), Some(20));
        b.publish(None);
        assert_eq!(board.earliest(), Some(50));
        a.publish(None);
        assert_eq!(board.earliest(), None);
    }
}
