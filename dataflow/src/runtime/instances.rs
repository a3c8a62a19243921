//! The processors one node runs on one worker (one, or one per partition key),
//! fed one logical time's messages in order, and the clock advances between them.

use super::deadlines::{DeadlineSlot, Deadlines, KeyedProcessor};
use super::graph::{Emit, Processor, ProcessorFactory};
use super::message::{Msg, Order, StreamId};
use super::time::Time;
use crate::value::Value;
use sluice_frontend::logical::PurgePlan;
use std::collections::BTreeMap;
use std::hash::{Hash, Hasher};

/// The hash that spreads keys over workers and orders keyed outputs.
pub fn hash_of<T: Hash>(v: &T) -> u64 {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    v.hash(&mut h);
    h.finish()
}

/// Bits of a routed input number above which the rank of the partition key
/// travels: an event in several partitions (overlapping range partitions) is
/// routed once per key, and the rank — the key's place among the event's keys, in
/// declaration order — orders the copies' outputs as the reference emits them.
const RANK_SHIFT: u32 = 24;

/// The routed input number of the copy of an event on input `slot` for its
/// `rank`-th partition key.
pub fn with_rank(slot: u32, rank: usize) -> u32 {
    slot | ((rank as u32) << RANK_SHIFT)
}

/// The input number and key rank of a routed input number.
fn split_rank(routed: u32) -> (u32, u32) {
    (routed & ((1 << RANK_SHIFT) - 1), routed >> RANK_SHIFT)
}

/// A node's processors on this worker.
pub struct Instances {
    factory: ProcessorFactory,
    node_index: u32,
    keyed: bool,
    /// Inputs whose events go to every key's processor.
    broadcast_slots: Vec<u32>,
    single: Option<Box<dyn Processor>>,
    /// The next deadline of the single processor, as of its last call.
    single_deadline: Option<i64>,
    per_key: BTreeMap<Value, KeyedProcessor>,
    /// The next deadline of each key's processor.
    deadlines: Deadlines<Value>,
    /// The latest clock tick: keys with nothing due skip it, and catch up on it
    /// before their next event (see [`Instances::feed`]).
    ticked: i64,
    emitted: Vec<Emit>,
    /// Numbers the outputs of one epoch (the last part of their order).
    k: u32,
    /// Where the earliest deadline of these processors is published.
    board: DeadlineSlot,
    /// `@purge`: when idle keys' processors are dropped.
    purge: Option<IdlePurge>,
}

/// A partition's `@purge`: every `interval_ms` of the app's clock (from its first
/// event), the keys whose latest event is more than `idle_ms` old are dropped
/// with their state, as the reference's partition purger does.
struct IdlePurge {
    interval_ms: i64,
    idle_ms: i64,
    /// When the next look for idle keys is due (none before the first key).
    next: Option<i64>,
}

impl Instances {
    /// No processor yet; they are made on first use.
    pub fn new(
        factory: ProcessorFactory,
        node_index: u32,
        keyed: bool,
        broadcast_slots: Vec<u32>,
        board: DeadlineSlot,
        purge: Option<PurgePlan>,
    ) -> Instances {
        Instances {
            factory,
            node_index,
            keyed,
            broadcast_slots,
            single: None,
            single_deadline: None,
            per_key: BTreeMap::new(),
            deadlines: Deadlines::default(),
            ticked: i64::MIN,
            emitted: Vec::new(),
            k: 0,
            board,
            purge: purge.map(|p| IdlePurge { interval_ms: p.interval_ms, idle_ms: p.idle_ms, next: None }),
        }
    }

    /// Publishes the earliest deadline of these processors (after each call that
    /// may have changed it).
    fn publish(&mut self) {
        let purge = self.purge.as_ref().and_then(|p| p.next);
        let earliest = [self.single_deadline, self.deadlines.first(), purge].into_iter().flatten().min();
        self.board.publish(earliest);
    }

    /// A new epoch starts: output numbering restarts.
    pub fn start_epoch(&mut self) {
        self.k = 0;
    }

    /// Feeds `msg` (an event on input `slot`, with its partition `key`, or a
    /// tick); each output goes to `give`.
    /// A tick reaches only the keys with something due (see [`KeyedProcessor`]).
    pub fn feed(&mut self, slot: u32, key: Value, msg: &Msg, give: &mut impl FnMut(Msg)) {
        let base: &[u32] = if msg.is_tick() { &[] } else { &msg.order };
        let (slot, rank) = if msg.is_tick() { (slot, 0) } else { split_rank(slot) };
        if !self.keyed {
            let p = self.single.get_or_insert_with(|| (self.factory)());
            match msg.is_tick() {
                true => p.on_tick(msg.ts, &mut self.emitted),
                false => p.on_event(slot as usize, msg, &mut self.emitted),
            }
            self.single_deadline = p.next_deadline();
            Self::give_all(&mut self.emitted, msg.time, base, self.node_index, None, &mut self.k, give);
        } else if msg.is_tick() {
            self.ticked = self.ticked.max(msg.ts);
            self.tick_due_keys(msg.time, msg.ts, give);
            self.drop_idle_keys(msg.ts);
        } else if self.broadcast_slots.contains(&slot) {
            for (key, state) in self.per_key.iter_mut() {
                state.catch_up(self.ticked, &mut self.emitted);
                state.processor.on_event(slot as usize, msg, &mut self.emitted);
                state.record(key, &mut self.deadlines);
                let mut k = 0;
                Self::give_all(&mut self.emitted, msg.time, base, self.node_index, Some((key, 0)), &mut k, give);
            }
        } else {
            let ticked = self.ticked;
            let factory = &self.factory;
            // A new key's processor starts with the clock as it stands.
            let state = self.per_key.entry(key.clone()).or_insert_with(|| KeyedProcessor::new(factory(), ticked));
            state.catch_up(ticked, &mut self.emitted);
            state.last_event = state.last_event.max(msg.ts);
            state.processor.on_event(slot as usize, msg, &mut self.emitted);
            state.record(&key, &mut self.deadlines);
            if let Some(purge) = self.purge.as_mut().filter(|p| p.next.is_none()) {
                purge.next = Some(msg.ts.saturating_add(purge.interval_ms));
            }
            Self::give_all(&mut self.emitted, msg.time, base, self.node_index, Some((&key, rank)), &mut self.k, give);
        }
        self.publish();
    }

    /// The event at logical `time` moved the app's clock to `ts`: the processors
    /// whose deadline has come are ticked. What they release is stamped just
    /// before `time`, so that every node sees it before that event and what the
    /// event causes, as the reference fires due timers when the clock moves,
    /// before the event that moved it goes anywhere.
    pub fn advance(&mut self, time: Time, ts: i64, give: &mut impl FnMut(Msg)) {
        let before = time.saturating_sub(1);
        if self.keyed {
            self.tick_due_keys(before, ts, give);
            self.drop_idle_keys(ts);
            self.publish();
            return;
        }
        if self.single_deadline.is_none_or(|d| d > ts) {
            return;
        }
        let Some(p) = self.single.as_mut() else { return };
        p.on_tick(ts, &mut self.emitted);
        self.single_deadline = p.next_deadline();
        Self::give_all(&mut self.emitted, before, &[], self.node_index, None, &mut self.k, give);
        self.publish();
    }

    /// Ticks the keys whose deadline is at or before `ts`; their outputs are
    /// stamped `time`.
    fn tick_due_keys(&mut self, time: Time, ts: i64, give: &mut impl FnMut(Msg)) {
        for key in self.deadlines.take_due(ts) {
            let Some(state) = self.per_key.get_mut(&key) else { continue };
            state.tick_due(ts, &mut self.emitted);
            state.record(&key, &mut self.deadlines);
            let mut k = 0;
            Self::give_all(&mut self.emitted, time, &[], self.node_index, Some((&key, 0)), &mut k, give);
        }
    }

    /// With `@purge`, when a look for idle keys is due at clock `now`: drops the
    /// processors (and all state) of the keys without an event for longer than the
    /// idle period. The next look is due an interval after the one that was due,
    /// or after `now` when the clock jumped past several.
    fn drop_idle_keys(&mut self, now: i64) {
        let Some(purge) = self.purge.as_mut() else { return };
        let Some(due) = purge.next.filter(|&due| due <= now) else { return };
        let missed = (now - due) / purge.interval_ms;
        purge.next = Some(due.saturating_add((missed + 1).saturating_mul(purge.interval_ms)));
        let idle_ms = purge.idle_ms;
        let idle: Vec<Value> = self
            .per_key
            .iter()
            .filter(|(_, state)| state.last_event.saturating_add(idle_ms) < now)
            .map(|(key, _)| key.clone())
            .collect();
        for key in idle {
            if let Some(mut state) = self.per_key.remove(&key) {
                state.forget(&key, &mut self.deadlines);
            }
        }
    }

    /// Turns a processor's outputs into messages: the cause's order, then the
    /// node, the key's rank and hash, and a counter.
    fn give_all(
        emitted: &mut Vec<Emit>,
        time: Time,
        base: &[u32],
        node_index: u32,
        key: Option<(&Value, u32)>,
        k: &mut u32,
        give: &mut impl FnMut(Msg),
    ) {
        for e in emitted.drain(..) {
            let mut order: Order = Vec::with_capacity(base.len() + 4);
            order.extend_from_slice(base);
            order.push(node_index);
            if let Some((key, rank)) = key {
                order.push(rank);
                let h = hash_of(key);
                order.push((h >> 32) as u32);
                order.push(h as u32);
            }
            order.push(*k);
            *k += 1;
            // Until forwarded, a node's output carries its port as `stream`.
            give(Msg { time, stream: e.port as StreamId, order, ts: e.ts, kind: e.kind, row: e.row });
        }
    }
}
