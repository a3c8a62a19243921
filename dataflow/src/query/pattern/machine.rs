//! The nodes' lists of partial matches and how partial matches move between
//! them (the reference's `addState`, `addEveryState`, `updateState`,
//! `resetState`, `init`, `expireEvents` and post-state processors).

use super::{NodeKind, PatternSpec, Runtime};
use crate::query::expr::Env;
use crate::relation::Relations;
use crate::value::{Row, Value};
use std::cell::RefCell;
use std::collections::BTreeMap;
use std::rc::Rc;
use std::sync::Arc;

/// The events one slot holds (a count's are shared by the copies of a match, as
/// the reference's chained stream events are): each row with its time.
pub(super) type Chain = Rc<RefCell<Vec<(Row, i64)>>>;

/// A partial match: the events of each slot, its time (-1 before any event).
#[derive(Clone, Debug)]
pub(super) struct StateEvent {
    pub slots: Vec<Option<Chain>>,
    pub ts: i64,
    pub expired: bool,
}

/// A shared partial match.
pub(super) type Se = Rc<RefCell<StateEvent>>;

/// A completed match as the selector reads it: the flat row (the last event of
/// each slot) and every slot's events.
pub(super) type Snapshot = (Vec<Value>, Vec<Vec<Row>>);

/// A match sent to the selector: its snapshot and whether it was marked expired
/// (the reference sends such a state event on as an expired event).
pub(super) type Done = (Snapshot, bool);

impl StateEvent {
    /// Replaces slot `e` with one event, or clears it.
    pub fn set(&mut self, e: usize, event: Option<(Row, i64)>) {
        self.slots[e] = event.map(|ev| Rc::new(RefCell::new(vec![ev])));
    }

    /// Appends an event to slot `e`'s chain.
    pub fn add(&mut self, e: usize, event: (Row, i64)) {
        match &self.slots[e] {
            Some(chain) => chain.borrow_mut().push(event),
            None => self.set(e, Some(event)),
        }
    }

    /// Drops the last event of slot `e`.
    pub fn remove_last(&mut self, e: usize) {
        if let Some(chain) = &self.slots[e] {
            if chain.borrow().len() > 1 {
                chain.borrow_mut().pop();
            } else {
                self.slots[e] = None;
            }
        }
    }

    /// The time of slot `e`'s first event.
    pub fn head_ts(&self, e: usize) -> Option<i64> {
        self.slots[e].as_ref().map(|c| c.borrow()[0].1)
    }

    /// How many events slot `e` holds.
    pub fn len(&self, e: usize) -> usize {
        self.slots[e].as_ref().map_or(0, |c| c.borrow().len())
    }
}

/// A node's lists and flags.
#[derive(Default)]
pub(super) struct NodeState {
    pub pending: Vec<Se>,
    pub new: Vec<Se>,
    pub state_changed: bool,
    pub success: bool,
    pub start_reset: bool,
    pub initialized: bool,
    /// The post-state processor's "event returned" flag.
    pub returned: bool,
    pub inactive: bool,
    pub last_scheduled: i64,
    pub last_arrival: i64,
    /// Due times of the absence timer, with duplicates.
    pub timers: BTreeMap<i64, usize>,
}

/// The running state machine.
pub(super) struct Machine {
    pub spec: Arc<PatternSpec>,
    pub st: Vec<NodeState>,
    pub now: i64,
    pub relations: Option<Rc<Relations>>,
}

impl Machine {
    /// A machine with empty lists.
    pub fn new(spec: Arc<PatternSpec>) -> Machine {
        let st = spec.nodes.iter().map(|_| NodeState::default()).collect();
        Machine { spec, st, now: i64::MIN, relations: None }
    }

    /// Whether this is a sequence.
    pub fn seq(&self) -> bool {
        self.spec.sequence
    }

    /// A partial match with no events.
    pub fn fresh(&self) -> Se {
        Rc::new(RefCell::new(StateEvent { slots: vec![None; self.spec.events.len()], ts: -1, expired: false }))
    }

    /// Arms the start states (`initPartition`).
    pub fn start(&mut self) {
        let rt = self.spec.runtime.clone();
        self.init_rt(&rt);
    }

    fn init_rt(&mut self, rt: &Runtime) {
        match rt {
            Runtime::Node(n) => self.init(*n),
            Runtime::Next(a, b) => {
                self.init_rt(a);
                self.init_rt(b);
            }
            Runtime::Every(inner, _) => self.init_rt(inner),
            Runtime::Logical(first, second) => {
                self.init(*second);
                self.init(*first);
            }
        }
    }

    /// Resets the chain before a sequence's event.
    pub fn reset_rt(&mut self, rt: &Runtime) {
        match rt {
            Runtime::Node(n) | Runtime::Every(_, n) | Runtime::Logical(_, n) => self.reset_state(*n),
            Runtime::Next(a, b) => {
                self.reset_rt(b);
                self.reset_rt(a);
            }
        }
    }

    /// Moves new partial matches to pending across the chain (sequences).
    pub fn update_rt(&mut self, rt: &Runtime) {
        match rt {
            Runtime::Node(n) | Runtime::Every(_, n) | Runtime::Logical(_, n) => self.update_state(*n),
            Runtime::Next(a, b) => {
                self.update_rt(a);
                self.update_rt(b);
            }
        }
    }

    /// `init`: a start state takes a fresh partial match (once, unless it ends an
    /// `every` group or a sequence goes on to an absence).
    pub fn init(&mut self, n: usize) {
        let node = &self.spec.nodes[n];
        let next_absent = node.next.is_some_and(|x| {
            matches!(self.spec.nodes[x].kind, NodeKind::Absent { .. } | NodeKind::AbsentLogical { .. })
        });
        if node.start && (!self.st[n].initialized || node.next_every.is_some() || (self.seq() && next_absent)) {
            let se = self.fresh();
            self.add_state(n, se);
            self.st[n].initialized = true;
        }
    }

    /// Whether a sequence without `every` keeps its start state idle because the
    /// next state still waits with a match.
    fn next_waits(&self, n: usize) -> bool {
        let node = &self.spec.nodes[n];
        self.seq() && node.next_every.is_none() && node.next.is_some_and(|x| !self.st[x].pending.is_empty())
    }

    /// `resetState`.
    pub fn reset_state(&mut self, n: usize) {
        let node = self.spec.nodes[n].clone();
        match node.kind {
            NodeKind::Logical { and, partner } | NodeKind::AbsentLogical { and, partner, .. } => {
                if !and || self.st[n].pending.len() == self.st[partner].pending.len() {
                    self.st[n].pending.clear();
                    self.st[partner].pending.clear();
                    if node.start && self.st[n].new.is_empty() && !self.next_waits(n) {
                        self.init(n);
                    }
                }
            }
            NodeKind::Absent { .. } => {
                self.st[n].pending.clear();
                if node.start && !self.next_waits(n) {
                    self.init(n);
                }
            }
            _ => {
                self.st[n].pending.clear();
                if node.start && self.st[n].new.is_empty() && !self.next_waits(n) {
                    self.init(n);
                }
            }
        }
    }

    fn sort_move(&mut self, n: usize) {
        let mut new = std::mem::take(&mut self.st[n].new);
        new.sort_by_key(|se| {
            let ts = se.borrow().ts;
            if ts == -1 {
                (1, 0)
            } else {
                (0, ts)
            }
        });
        self.st[n].pending.extend(new);
    }

    /// `updateState`: new partial matches become pending.
    pub fn update_state(&mut self, n: usize) {
        match self.spec.nodes[n].kind {
            NodeKind::Count { .. } => {
                if self.st[n].start_reset {
                    self.st[n].start_reset = false;
                    self.init(n);
                }
                self.sort_move(n);
            }
            NodeKind::Logical { partner, .. } | NodeKind::AbsentLogical { partner, .. } => {
                self.sort_move(n);
                self.sort_move(partner);
            }
            _ => self.sort_move(n),
        }
    }

    /// `addState`: a partial match arrives from the previous state.
    pub fn add_state(&mut self, n: usize, se: Se) {
        let node = self.spec.nodes[n].clone();
        let seq = self.seq();
        match node.kind {
            NodeKind::Stream | NodeKind::Count { .. } => {
                if !seq || self.st[n].new.is_empty() {
                    self.st[n].new.push(se.clone());
                }
                if let NodeKind::Count { min: 0, .. } = node.kind {
                    if se.borrow().slots[node.event].is_none() {
                        self.min_count_reached(n, &se);
                    }
                }
            }
            NodeKind::Logical { partner, .. } | NodeKind::AbsentLogical { partner, .. } => {
                if matches!(node.kind, NodeKind::AbsentLogical { .. }) && self.st[n].inactive {
                    return;
                }
                if node.start || seq {
                    if self.st[n].new.is_empty() {
                        self.st[n].new.push(se.clone());
                    }
                    if self.st[partner].new.is_empty() {
                        self.st[partner].new.push(se.clone());
                    }
                } else {
                    self.st[n].new.push(se.clone());
                    self.st[partner].new.push(se.clone());
                }
                if let NodeKind::AbsentLogical { wait: Some(w), .. } = node.kind {
                    if !node.start {
                        let ts = se.borrow().ts;
                        self.notify(n, ts + w);
                        if let NodeKind::AbsentLogical { wait: Some(pw), .. } = self.spec.nodes[partner].kind {
                            self.notify(partner, ts + pw);
                        }
                    }
                }
            }
            NodeKind::Absent { wait } => {
                if self.st[n].inactive {
                    return;
                }
                if seq {
                    self.st[n].new.clear();
                }
                self.st[n].new.push(se.clone());
                if !node.start {
                    let at = se.borrow().ts + wait;
                    self.st[n].last_scheduled = at;
                    self.notify(n, at);
                }
            }
        }
    }

    /// A copy of `se` with the slots of node `n` and later cleared.
    fn copy_from(&self, se: &Se, n: usize) -> StateEvent {
        let mut c = se.borrow().clone();
        c.expired = false;
        for later in &self.spec.nodes[n..] {
            c.slots[later.event] = None;
        }
        c
    }

    /// `addEveryState`: the `every` group starting at `n` starts again after `se`.
    pub fn add_every_state(&mut self, n: usize, se: &Se) {
        let node = &self.spec.nodes[n];
        match node.kind {
            NodeKind::Stream | NodeKind::Count { .. } => {
                let c = self.copy_from(se, n);
                self.st[n].new.push(Rc::new(RefCell::new(c)));
            }
            NodeKind::Logical { partner, .. } => {
                let mut c = self.copy_from(se, n);
                c.slots[self.spec.nodes[partner].event] = None;
                let c = Rc::new(RefCell::new(c));
                self.st[n].new.push(c.clone());
                self.st[partner].new.push(c);
            }
            NodeKind::Absent { wait } => {
                let c = self.copy_from(se, n);
                self.st[n].new.push(Rc::new(RefCell::new(c)));
                let at = se.borrow().ts + wait;
                self.st[n].last_scheduled = at;
                self.notify(n, at);
            }
            NodeKind::AbsentLogical { partner, .. } => {
                let mut c = se.borrow().clone();
                c.expired = false;
                if let Some(ts) = c.head_ts(node.event) {
                    c.ts = ts;
                }
                c.slots[node.event] = None;
                c.slots[self.spec.nodes[partner].event] = None;
                let c = Rc::new(RefCell::new(c));
                self.st[n].new.push(c.clone());
                self.st[partner].new.push(c);
            }
        }
    }

    /// Whether `se` started longer than `within` before `ts`.
    pub fn is_expired(&self, se: &Se, ts: i64) -> bool {
        let Some(within) = self.spec.within else { return false };
        let se = se.borrow();
        self.spec.nodes.iter().filter(|n| n.start).any(|n| se.head_ts(n.event).is_some_and(|h| (h - ts).abs() > within))
    }

    /// `expireEvents`: drops partial matches past `within`; the `every` group
    /// they are in starts again.
    pub fn expire_events(&mut self, n: usize, ts: i64) {
        if self.spec.within.is_none() {
            return;
        }
        let mut expired: Option<Se> = None;
        let note = |se: &Se, expired: &mut Option<Se>| {
            let mut b = se.borrow_mut();
            if !b.expired {
                b.expired = true;
                *expired = Some(se.clone());
            }
        };
        while let Some(se) = self.st[n].pending.first().cloned() {
            if !self.is_expired(&se, ts) {
                break;
            }
            self.st[n].pending.remove(0);
            note(&se, &mut expired);
        }
        let new = std::mem::take(&mut self.st[n].new);
        let mut kept = Vec::with_capacity(new.len());
        for se in new {
            if self.is_expired(&se, ts) {
                note(&se, &mut expired);
            } else {
                kept.push(se);
            }
        }
        self.st[n].new = kept;
        if let (Some(se), Some(every)) = (expired, self.spec.nodes[n].within_every) {
            self.add_every_state(every, &se);
            self.update_state(every);
        }
    }

    /// The count at `n` has its minimum: the match goes on (and to the selector
    /// when the count is last).
    pub fn min_count_reached(&mut self, n: usize, se: &Se) {
        let node = self.spec.nodes[n].clone();
        if node.last {
            self.st[n].state_changed = true;
            self.st[n].returned = true;
        }
        if let Some(next) = node.next {
            self.add_state(next, se.clone());
        }
        if let Some(every) = node.next_every {
            self.add_every_state(every, se);
        }
    }

    /// The post-state processor of node `n`: `se` just took its event.
    pub fn post(&mut self, n: usize, se: &Se) {
        let node = self.spec.nodes[n].clone();
        match node.kind {
            NodeKind::Stream => self.stream_post(n, se),
            NodeKind::Count { min, max } => {
                let len = se.borrow().len(node.event) as u32;
                self.st[n].success = true;
                let last_ts = se.borrow().slots[node.event].as_ref().map(|c| c.borrow().last().map(|e| e.1));
                if let Some(Some(ts)) = last_ts {
                    se.borrow_mut().ts = ts;
                }
                if len >= min {
                    if self.seq() {
                        if let Some(next) = node.next {
                            self.add_state(next, se.clone());
                        }
                        if len != max {
                            self.add_state(n, se.clone());
                        }
                    } else if len == min {
                        self.min_count_reached(n, se);
                    }
                    if len == max {
                        self.st[n].state_changed = true;
                    }
                }
            }
            NodeKind::Logical { and, partner } => {
                if and {
                    let proceed = match self.spec.nodes[partner].kind {
                        NodeKind::AbsentLogical { .. } => self.partner_can_proceed(partner, se),
                        _ => se.borrow().slots[self.spec.nodes[partner].event].is_some(),
                    };
                    if proceed {
                        self.stream_post(n, se);
                    } else {
                        self.st[n].state_changed = true;
                    }
                } else {
                    self.stream_post(n, se);
                    if self.spec.nodes[partner].last && node.this_last == partner {
                        self.st[partner].returned = true;
                    }
                }
            }
            NodeKind::Absent { wait } => {
                self.st[n].state_changed = true;
                let ts = se.borrow().head_ts(node.event).unwrap_or(-1);
                se.borrow_mut().ts = ts;
                self.st[n].returned = true;
                if node.start && node.next_every == Some(n) {
                    self.add_every_state(n, se);
                }
                self.st[n].last_scheduled = ts + wait;
                self.notify(n, ts + wait);
            }
            NodeKind::AbsentLogical { .. } => {
                self.st[n].state_changed = true;
                self.st[n].returned = true;
                self.st[n].last_arrival = se.borrow().head_ts(node.event).unwrap_or(-1);
            }
        }
    }

    fn stream_post(&mut self, n: usize, se: &Se) {
        let node = self.spec.nodes[n].clone();
        self.st[n].state_changed = true;
        let head = se.borrow().head_ts(node.event);
        if let Some(ts) = head {
            se.borrow_mut().ts = ts;
        }
        if node.last {
            self.st[n].returned = true;
        }
        if let Some(next) = node.next {
            self.add_state(next, se.clone());
        }
        if let Some(every) = node.next_every {
            self.add_every_state(every, se);
        }
        if let Some(cb) = node.callback {
            self.st[cb].start_reset = true;
        }
    }

    /// Whether the present side of `not S and e` may complete, asked of the
    /// absent side `n`.
    pub fn partner_can_proceed(&mut self, n: usize, se: &Se) -> bool {
        let node = self.spec.nodes[n].clone();
        let NodeKind::AbsentLogical { wait, .. } = node.kind else { return true };
        if self.seq() && node.next_every.is_none() && self.st[n].last_arrival > 0 {
            return false;
        }
        match wait {
            None if node.next_every.is_none() => se.borrow().slots[node.event].is_none(),
            None if self.st[n].last_arrival > 0 => {
                self.st[n].last_arrival = 0;
                self.init(n);
                false
            }
            None => true,
            Some(_) => se.borrow().slots[node.event].is_some(),
        }
    }

    /// Asks for node `n`'s timer at `at`.
    pub fn notify(&mut self, n: usize, at: i64) {
        *self.st[n].timers.entry(at).or_insert(0) += 1;
    }

    /// The earliest timer due.
    pub fn next_timer(&self) -> Option<i64> {
        self.st.iter().filter_map(|s| s.timers.keys().next().copied()).min()
    }

    /// Takes the earliest timer due by `ts`: its node and time.
    pub fn due_timer(&mut self, ts: i64) -> Option<(usize, i64)> {
        let (n, at) = self
            .st
            .iter()
            .enumerate()
            .filter_map(|(n, s)| s.timers.keys().next().map(|at| (n, *at)))
            .filter(|(_, at)| *at <= ts)
            .min_by_key(|(n, at)| (*at, *n))?;
        let count = self.st[n].timers.get_mut(&at).expect("timer");
        *count -= 1;
        if *count == 0 {
            self.st[n].timers.remove(&at);
        }
        Some((n, at))
    }

    /// Whether node `n`'s filters accept its slot's latest event in `se`.
    pub fn accepts(&self, n: usize, se: &Se, ts: i64) -> bool {
        let e = self.spec.nodes[n].event;
        let spec = &self.spec.events[e];
        if spec.filters.is_empty() {
            return true;
        }
        let (flat, mut captured) = self.snapshot(se);
        let mut env = Env::new(ts, self.now, &self.relations);
        if spec.indexed {
            // Indexed references (`e2[last].price`) see the events taken before.
            captured[e].pop();
            env.captured = Some(Rc::new(captured));
        }
        spec.filters.iter().all(|f| f.test(&flat, &env))
    }

    /// `se` as the selector reads it, expired if `within` dropped it from a node
    /// while another node still held it.
    pub fn done(&self, se: &Se) -> Done {
        (self.snapshot(se), se.borrow().expired)
    }

    /// The flat row and the events of `se`.
    pub fn snapshot(&self, se: &Se) -> Snapshot {
        let se = se.borrow();
        let mut row = Vec::new();
        let mut captured = Vec::with_capacity(self.spec.events.len());
        for (e, spec) in self.spec.events.iter().enumerate() {
            let events: Vec<Row> =
                se.slots[e].as_ref().map_or(Vec::new(), |c| c.borrow().iter().map(|x| x.0.clone()).collect());
            match events.last() {
                Some(r) => row.extend(r.iter().cloned()),
                None => row.extend(std::iter::repeat_n(Value::Null, spec.width)),
            }
            captured.push(events);
        }
        (row, captured)
    }
}
