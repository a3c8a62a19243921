//! The processors one node runs on one worker (one, or one per partition key),
//! fed one logical time's messages in order, and the clock advances between them.

use super::deadlines::Deadlines;
use super::graph::{Emit, Processor, ProcessorFactory};
use super::message::{Msg, Order, StreamId};
use super::time::Time;
use crate::value::Value;
use std::collections::BTreeMap;
use std::hash::{Hash, Hasher};

/// The hash that spreads keys over workers and orders keyed outputs.
pub fn hash_of<T: Hash>(v: &T) -> u64 {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    v.hash(&mut h);
    h.finish()
}

/// The order of the cause of what a clock advance releases (see `give_all`).
const ADVANCE: [u32; 1] = [0];

/// A node's processors on this worker.
pub struct Instances {
    factory: ProcessorFactory,
    node_index: u32,
    keyed: bool,
    /// Inputs whose events go to every key's processor.
    broadcast_slots: Vec<u32>,
    single: Option<Box<dyn Processor>>,
    per_key: BTreeMap<Value, Box<dyn Processor>>,
    /// The next deadline of each key's processor.
    deadlines: Deadlines<Value>,
    emitted: Vec<Emit>,
    /// Numbers the outputs of one epoch (the last part of their order).
    k: u32,
}

impl Instances {
    /// No processor yet; they are made on first use.
    pub fn new(factory: ProcessorFactory, node_index: u32, keyed: bool, broadcast_slots: Vec<u32>) -> Instances {
        Instances {
            factory,
            node_index,
            keyed,
            broadcast_slots,
            single: None,
            per_key: BTreeMap::new(),
            deadlines: Deadlines::default(),
            emitted: Vec::new(),
            k: 0,
        }
    }

    /// A new epoch starts: output numbering restarts.
    pub fn start_epoch(&mut self) {
        self.k = 0;
    }

    /// Feeds `msg` (an event on input `slot`, with its partition `key`, or a
    /// tick); each output goes to `give`.
    pub fn feed(&mut self, slot: u32, key: Value, msg: &Msg, give: &mut impl FnMut(Msg)) {
        let base: &[u32] = if msg.is_tick() { &[] } else { &msg.order };
        let run = |p: &mut Box<dyn Processor>, emitted: &mut Vec<Emit>| {
            if msg.is_tick() {
                p.on_tick(msg.ts, emitted);
            } else {
                p.on_event(slot as usize, msg, emitted);
            }
        };
        if !self.keyed {
            let p = self.single.get_or_insert_with(|| (self.factory)());
            run(p, &mut self.emitted);
            Self::give_all(&mut self.emitted, msg.time, base, self.node_index, None, &mut self.k, give);
        } else if msg.is_tick() {
            // Only the keys with something due: the others' ticks would do nothing.
            self.advance_keys(msg.time, msg.ts, &[], give);
        } else if self.broadcast_slots.contains(&slot) {
            for (key, p) in self.per_key.iter_mut() {
                run(p, &mut self.emitted);
                self.deadlines.set(key, p.next_deadline());
                let mut k = 0;
                Self::give_all(&mut self.emitted, msg.time, base, self.node_index, Some(key), &mut k, give);
            }
        } else {
            let p = self.per_key.entry(key.clone()).or_insert_with(|| (self.factory)());
            run(p, &mut self.emitted);
            self.deadlines.set(&key, p.next_deadline());
            Self::give_all(&mut self.emitted, msg.time, base, self.node_index, Some(&key), &mut self.k, give);
        }
    }

    /// An event at logical `time` moved the app's clock to `ts`: the processors
    /// whose deadline has come are ticked, their outputs stamped with `time`.
    pub fn advance(&mut self, time: Time, ts: i64, give: &mut impl FnMut(Msg)) {
        if !self.keyed {
            let Some(p) = self.single.as_mut().filter(|p| p.next_deadline().is_some_and(|d| d <= ts)) else {
                return;
            };
            p.on_tick(ts, &mut self.emitted);
            Self::give_all(&mut self.emitted, time, &ADVANCE, self.node_index, None, &mut self.k, give);
            return;
        }
        self.advance_keys(time, ts, &ADVANCE, give);
    }

    /// Ticks the keys whose deadline is at or before `ts`; their outputs follow
    /// the cause order `base` at `time`.
    fn advance_keys(&mut self, time: Time, ts: i64, base: &[u32], give: &mut impl FnMut(Msg)) {
        for key in self.deadlines.take_due(ts) {
            let Some(p) = self.per_key.get_mut(&key) else { continue };
            p.on_tick(ts, &mut self.emitted);
            self.deadlines.set(&key, p.next_deadline());
            let mut k = 0;
            Self::give_all(&mut self.emitted, time, base, self.node_index, Some(&key), &mut k, give);
        }
    }

    /// Turns a processor's outputs into messages: the cause's order, then the
    /// node (numbered from 1), the key's hash and a counter. Outputs of a clock
    /// advance at `time` take the cause's order `[0]`, before every event derived
    /// at `time` (those start with a node number), as the reference fires due
    /// timers when the clock moves, before the event that moved it goes anywhere.
    fn give_all(
        emitted: &mut Vec<Emit>,
        time: Time,
        base: &[u32],
        node_index: u32,
        key: Option<&Value>,
        k: &mut u32,
        give: &mut impl FnMut(Msg),
    ) {
        for e in emitted.drain(..) {
            let mut order: Order = Vec::with_capacity(base.len() + 4);
            order.extend_from_slice(base);
            order.push(node_index + 1);
            if let Some(key) = key {
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
