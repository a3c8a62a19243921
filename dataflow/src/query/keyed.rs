//! A partitioned query that reads or writes the app's tables or named windows:
//! one instance of the query per partition key, all inside the group that owns
//! those relations, so that every key's instance sees the same tables.
//!
//! Partitions that touch no relation run as keyed nodes spread over the workers
//! (see `compile::partition_node`); a partition whose queries touch a table or a
//! named window cannot, because the relation lives in one group. Its queries then
//! join that group as members that keep an instance per key and route each event
//! to its key's instance (to every existing instance when its stream has no key,
//! and on clock ticks), as the reference's partitions do.

use super::group::MemberFactory;
use crate::relation::Relations;
use crate::runtime::deadlines::{Deadlines, KeyedProcessor};
use crate::runtime::graph::{Emit, KeyFn, Processor};
use crate::runtime::message::Msg;
use crate::value::Value;
use crate::window::Emitted;
use std::collections::HashMap;
use std::rc::Rc;
use std::sync::Arc;

/// One partitioned query inside a group: an instance per key.
pub struct KeyedMember {
    make: MemberFactory,
    relations: Option<Rc<Relations>>,
    /// The keys of an event on an input; none for an input without a key.
    key_of: KeyFn,
    /// Inputs whose stream the partition does not key: every instance gets them.
    unkeyed: Arc<[bool]>,
    /// The instances in order of creation, and where each key's is.
    instances: Vec<KeyedProcessor>,
    index: HashMap<Value, usize>,
    /// The next clock deadline of each instance.
    deadlines: Deadlines<usize>,
    /// The latest tick: instances with nothing due skip it, and catch up on it
    /// before their next input (see [`KeyedProcessor`]).
    ticked: i64,
    scratch: Vec<Value>,
}

impl KeyedMember {
    /// A member with no instance yet; `unkeyed[i]` says whether input `i` has no key.
    pub fn new(make: MemberFactory, relations: Option<Rc<Relations>>, key_of: KeyFn, unkeyed: Arc<[bool]>) -> Self {
        KeyedMember {
            make,
            relations,
            key_of,
            unkeyed,
            instances: Vec::new(),
            index: HashMap::new(),
            deadlines: Deadlines::default(),
            ticked: i64::MIN,
            scratch: Vec::new(),
        }
    }

    /// Where the instance for `key` is, made on first use.
    fn instance(&mut self, key: Value) -> usize {
        let next = self.instances.len();
        let at = *self.index.entry(key).or_insert(next);
        if at == next {
            self.instances.push(KeyedProcessor::new((self.make)(self.relations.clone()), self.ticked));
        }
        at
    }

    /// Records every instance's next deadline (after all of them saw something).
    fn refresh_all(&mut self) {
        for (i, p) in self.instances.iter_mut().enumerate() {
            p.record(&i, &mut self.deadlines);
        }
    }
}

impl Processor for KeyedMember {
    fn on_event(&mut self, input: usize, msg: &Msg, out: &mut Vec<Emit>) {
        if self.unkeyed.get(input).copied().unwrap_or(true) {
            for p in &mut self.instances {
                p.catch_up(self.ticked, out);
                p.processor.on_event(input, msg, out);
            }
            self.refresh_all();
            return;
        }
        let mut keys = std::mem::take(&mut self.scratch);
        keys.clear();
        (self.key_of)(input, msg, &mut keys);
        for key in keys.drain(..) {
            let at = self.instance(key);
            let p = &mut self.instances[at];
            p.catch_up(self.ticked, out);
            p.processor.on_event(input, msg, out);
            p.record(&at, &mut self.deadlines);
        }
        self.scratch = keys;
    }

    fn on_tick(&mut self, ts: i64, out: &mut Vec<Emit>) {
        self.ticked = self.ticked.max(ts);
        // Only the instances with something due (the others' ticks would do
        // nothing), in order of creation as the reference's schedulers fire.
        let mut due = self.deadlines.take_due(ts);
        due.sort_unstable();
        for at in due {
            let p = &mut self.instances[at];
            p.tick_due(ts, out);
            p.record(&at, &mut self.deadlines);
        }
    }

    fn next_deadline(&self) -> Option<i64> {
        self.deadlines.first()
    }

    fn on_window_output(&mut self, input: usize, now: i64, chunk: Vec<Emitted>, is_batch: bool, out: &mut Vec<Emit>) {
        // A named window has no partition key: every instance reads it.
        for p in &mut self.instances {
            p.catch_up(self.ticked, out);
            p.processor.on_window_output(input, now, chunk.clone(), is_batch, out);
        }
        self.refresh_all();
    }
}
