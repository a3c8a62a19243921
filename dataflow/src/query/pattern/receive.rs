//! An event offered to the nodes of its stream (the reference's stream receivers
//! and `processAndReturn`), and absence timers firing.

use super::machine::{Done, Machine, Se};
use super::NodeKind;
use crate::value::{Row, Value};
use std::rc::Rc;

impl Machine {
    /// An event of query input `input` at `ts`: the matches it completes.
    pub fn receive(&mut self, input: usize, row: &Row, ts: i64) -> Vec<Done> {
        let spec = self.spec.clone();
        let Some(nodes) = spec.by_input.get(input).filter(|n| !n.is_empty()) else { return Vec::new() };
        for n in 0..spec.nodes.len() {
            self.expire_events(n, ts);
        }
        if spec.sequence {
            self.reset_rt(&spec.runtime);
            self.update_rt(&spec.runtime);
        } else {
            for &n in nodes {
                self.update_state(n);
            }
        }
        // The reference's receiver of a stream that several states read sends
        // matches to the selector only when the last of those states (in its order)
        // ends the pattern; otherwise what the states return is dropped (a trailing
        // count passed over at its zero minimum completes a match only through an
        // event of its own stream).
        let emits = nodes.len() == 1 || nodes.last().is_some_and(|&n| spec.nodes[n].last);
        let mut done = Vec::new();
        for &n in nodes.iter().rev() {
            for se in self.process_and_return(n, row, ts) {
                if emits {
                    done.push(self.done(&se));
                }
            }
        }
        done
    }

    /// Runs node `n`'s filters and, when they pass, its post-state processor.
    fn process(&mut self, n: usize, se: &Se, ts: i64) {
        self.st[n].state_changed = false;
        if self.accepts(n, se, ts) {
            self.post(n, se);
        }
    }

    /// Whether node `n`'s event completed a match (and clears the flag).
    fn take_returned(&mut self, n: usize) -> bool {
        let last = self.spec.nodes[n].this_last;
        std::mem::take(&mut self.st[last].returned)
    }

    /// Offers the event at `(row, ts)` to pending partial match `i` of node `n`
    /// (in the node's event slot): a match it completes joins `ret`. Returns
    /// whether the match moved on (it leaves `pending`); otherwise the slot is
    /// emptied again.
    fn offer(&mut self, n: usize, i: usize, se: &Se, (row, ts): (&Row, i64), ret: &mut Vec<Se>) -> bool {
        let e = self.spec.nodes[n].event;
        se.borrow_mut().set(e, Some((row.clone(), ts)));
        self.process(n, se, ts);
        if self.take_returned(n) {
            ret.push(se.clone());
        }
        if self.st[n].state_changed {
            self.st[n].pending.remove(i);
            return true;
        }
        se.borrow_mut().set(e, None);
        false
    }

    /// Offers the event to node `n`'s pending partial matches.
    fn process_and_return(&mut self, n: usize, row: &Row, ts: i64) -> Vec<Se> {
        let node = self.spec.nodes[n].clone();
        let e = node.event;
        let seq = self.seq();
        let mut ret = Vec::new();
        if self.st[n].inactive {
            return ret;
        }
        let absent = matches!(node.kind, NodeKind::Absent { .. } | NodeKind::AbsentLogical { .. });
        let mut i = 0;
        while i < self.st[n].pending.len() {
            let se = self.st[n].pending[i].clone();
            match node.kind {
                NodeKind::Stream | NodeKind::Absent { .. } => {
                    if self.offer(n, i, &se, (row, ts), &mut ret) {
                        continue;
                    }
                    if seq {
                        if !absent {
                            self.st[n].pending.remove(i);
                        }
                        if let Some(cb) = node.callback {
                            self.st[cb].start_reset = true;
                        }
                        if !absent {
                            continue;
                        }
                    }
                }
                NodeKind::Count { .. } => {
                    let filled = |k: usize| spec_event(self, n + k).is_some_and(|ev| se.borrow().slots[ev].is_some());
                    if filled(1) || filled(2) {
                        self.st[n].pending.remove(i);
                        continue;
                    }
                    se.borrow_mut().add(e, (row.clone(), ts));
                    self.st[n].success = false;
                    self.process(n, &se, ts);
                    if self.take_returned(n) {
                        ret.push(se.clone());
                    }
                    let mut removed = false;
                    if self.st[n].state_changed {
                        self.st[n].pending.remove(i);
                        removed = true;
                    }
                    if !self.st[n].success {
                        se.borrow_mut().remove_last(e);
                        if seq && !removed {
                            self.st[n].pending.remove(i);
                            removed = true;
                        }
                    }
                    if removed {
                        continue;
                    }
                }
                NodeKind::Logical { and, partner } => {
                    if !and && se.borrow().slots[self.spec.nodes[partner].event].is_some() {
                        self.st[n].pending.remove(i);
                        continue;
                    }
                    if self.offer(n, i, &se, (row, ts), &mut ret) {
                        continue;
                    }
                    if seq {
                        self.st[n].pending.remove(i);
                        continue;
                    }
                }
                NodeKind::AbsentLogical { and, partner, wait } => {
                    if !and && se.borrow().slots[self.spec.nodes[partner].event].is_some() {
                        self.st[n].pending.remove(i);
                        continue;
                    }
                    let before = se.borrow().slots[e].clone();
                    se.borrow_mut().set(e, Some((row.clone(), ts)));
                    self.process(n, &se, ts);
                    if wait.is_some() || (seq && and && node.next_every.is_some()) {
                        se.borrow_mut().slots[e] = before.clone();
                    }
                    let mut removed = false;
                    if self.take_returned(n) {
                        // It passed the filter: no longer a candidate for absence.
                        self.st[n].pending.remove(i);
                        removed = true;
                        if seq {
                            self.st[partner].pending.retain(|p| !Rc::ptr_eq(p, &se));
                        }
                    }
                    if !self.st[n].state_changed {
                        se.borrow_mut().slots[e] = before;
                        if seq && !removed {
                            self.st[n].pending.remove(i);
                            removed = true;
                        }
                    }
                    if removed {
                        continue;
                    }
                }
            }
            i += 1;
        }
        if absent {
            // An absence never completes a match with an event.
            ret.clear();
        }
        ret
    }

    /// Node `n`'s absence timer fires at `at`: the matches it completes.
    pub fn fire(&mut self, n: usize, at: i64) -> Vec<Done> {
        let mut out = Vec::new();
        match self.spec.nodes[n].kind {
            NodeKind::Absent { wait } => self.fire_absent(n, at, wait, &mut out),
            NodeKind::AbsentLogical { wait: Some(wait), and, partner } => {
                self.fire_absent_logical(n, at, wait, and, partner, &mut out)
            }
            _ => {}
        }
        out
    }

    /// `AbsentStreamPreStateProcessor.process` on a timer.
    fn fire_absent(&mut self, n: usize, at: i64, wait: i64, out: &mut Vec<Done>) {
        if self.st[n].inactive {
            return;
        }
        let node = self.spec.nodes[n].clone();
        let seq = self.seq();
        let mut initialize = node.start && self.st[n].new.is_empty() && self.st[n].pending.is_empty();
        if initialize && seq && node.next_every.is_none() && self.st[n].last_scheduled > 0 {
            initialize = false;
        }
        if initialize {
            let se = self.fresh();
            self.add_state(n, se);
        } else if seq && !self.st[n].new.is_empty() {
            self.reset_state(n);
        }
        self.update_state(n);
        let mut ret = Vec::new();
        let mut i = 0;
        while i < self.st[n].pending.len() {
            let se = self.st[n].pending[i].clone();
            if self.is_expired(&se, at) {
                self.st[n].pending.remove(i);
                if node.within_every.is_some() && node.next_every != Some(n) {
                    match node.next_every {
                        Some(every) => self.add_every_state(every, &se),
                        // The reference fails here (no `every` after the absence)
                        // and drops the rest of this timer's work.
                        None => return,
                    }
                }
                continue;
            }
            let ts = se.borrow().ts;
            if (ts == -1 && at >= self.st[n].last_scheduled) || (ts != -1 && at >= ts + wait) {
                self.st[n].pending.remove(i);
                se.borrow_mut().ts = at;
                ret.push(se);
                continue;
            }
            i += 1;
        }
        if let Some(every) = node.within_every {
            self.update_state(every);
        }
        let none = ret.is_empty();
        for se in ret {
            self.send_event(n, &se, out);
        }
        if self.now > wait + at {
            self.st[n].last_scheduled = self.now + wait;
        }
        if none && self.st[n].last_scheduled < at {
            self.st[n].last_scheduled = at + wait;
            self.notify(n, at + wait);
        }
    }

    /// `AbsentLogicalPreStateProcessor.process` on a timer.
    fn fire_absent_logical(&mut self, n: usize, at: i64, wait: i64, and: bool, partner: usize, out: &mut Vec<Done>) {
        if self.st[n].inactive {
            return;
        }
        let node = self.spec.nodes[n].clone();
        let seq = self.seq();
        let e = node.event;
        let pe = self.spec.nodes[partner].event;
        let mut none = true;
        if at >= self.st[n].last_arrival + wait {
            if node.start && seq && self.st[n].new.is_empty() && self.st[n].pending.is_empty() {
                let se = self.fresh();
                self.add_state(n, se);
            } else if seq && !self.st[n].new.is_empty() {
                self.reset_state(n);
            }
            self.update_state(n);
            let mut expired = None;
            let mut ret = Vec::new();
            let mut i = 0;
            while i < self.st[n].pending.len() {
                let se = self.st[n].pending[i].clone();
                if self.is_expired(&se, at) {
                    expired = Some(se);
                    self.st[n].pending.remove(i);
                    continue;
                }
                let passed = match se.borrow().head_ts(e) {
                    None => at >= se.borrow().ts + wait,
                    Some(ts) => at >= ts + wait,
                };
                if passed {
                    self.st[n].pending.remove(i);
                    let partner_in = se.borrow().slots[pe].is_some();
                    if !and && !partner_in {
                        se.borrow_mut().add(e, (self.placeholder(e), -1));
                        ret.push(se);
                    } else if and && partner_in {
                        ret.push(se);
                    } else if and {
                        se.borrow_mut().add(e, (self.placeholder(e), -1));
                    }
                    continue;
                }
                i += 1;
            }
            if let (Some(se), Some(every)) = (expired, node.within_every) {
                self.add_every_state(every, &se);
                self.update_state(every);
            }
            none = ret.is_empty();
            for se in ret {
                se.borrow_mut().ts = at;
                self.send_event(n, &se, out);
            }
            self.st[n].last_arrival = 0;
        }
        if node.next_every.is_some() || (none && node.start) {
            let last = self.st[n].last_arrival;
            let next = if last == 0 { self.now + wait } else { last + wait };
            self.notify(n, next);
        }
    }

    /// An event of `e`'s stream with no values (the reference's empty stream event).
    fn placeholder(&self, e: usize) -> Row {
        std::iter::repeat_n(Value::Null, self.spec.events[e].width).collect()
    }

    /// An absence completed `se`: it goes on (and to the selector when last).
    fn send_event(&mut self, n: usize, se: &Se, out: &mut Vec<Done>) {
        let node = self.spec.nodes[n].clone();
        if node.last {
            out.push(self.done(se));
        }
        if let Some(next) = node.next {
            self.add_state(next, se.clone());
        }
        if let Some(every) = node.next_every {
            self.add_every_state(every, se);
        } else if node.start {
            self.st[n].inactive = true;
            if let NodeKind::AbsentLogical { and: false, partner, .. } = node.kind {
                if matches!(self.spec.nodes[partner].kind, NodeKind::AbsentLogical { .. }) {
                    self.st[partner].inactive = true;
                }
            }
        }
        if let Some(cb) = node.callback {
            self.st[cb].start_reset = true;
        }
    }
}

/// The event (slot) of node `n`, if there is such a node.
fn spec_event(m: &Machine, n: usize) -> Option<usize> {
    m.spec.nodes.get(n).map(|x| x.event)
}
