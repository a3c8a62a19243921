//! Output rate limiting (`output [all|first|last] every N events | <time>`,
//! `output snapshot every <time>`), as the reference implementation's per-event,
//! per-time and snapshot rate limiters behave.

use super::selector::Selected;
use super::snapshot::{Snapshot, SnapshotSpec};
use crate::runtime::graph::Emit;
use crate::value::Value;
use std::collections::HashMap;
use std::sync::Arc;

/// Which events of each period go out.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Which {
    /// All of them, together, at the end of the period.
    All,
    /// The first (per group, with `group by`).
    First,
    /// The last (per group, with `group by`).
    Last,
}

/// The rate limiting of one query.
#[derive(Clone, Debug)]
pub enum RateSpec {
    /// No limiting: everything passes.
    PassThrough,
    /// Every N events.
    Events {
        /// Which events.
        which: Which,
        /// N.
        n: u64,
        /// Whether the query groups (first/last then work per group).
        grouped: bool,
    },
    /// Every period (ms).
    Time {
        /// Which events.
        which: Which,
        /// The period.
        period: i64,
        /// Whether the query groups.
        grouped: bool,
    },
    /// Every period (ms), the state the query holds (see [`super::snapshot`]).
    Snapshot(Arc<SnapshotSpec>),
}

/// The rate limiter's state.
pub struct RateLimiter {
    spec: RateSpec,
    counter: u64,
    buffer: Vec<Selected>,
    last_per_group: Vec<(Vec<Value>, Selected)>,
    first_seen: HashMap<Vec<Value>, u64>,
    /// `output first every <time>` with `group by`: when each group last went out.
    group_output_time: HashMap<Vec<Value>, i64>,
    next_emit: Option<i64>,
    last_output_time: Option<i64>,
    snapshot: Option<Snapshot>,
}

impl RateLimiter {
    /// A fresh limiter.
    pub fn new(spec: RateSpec) -> RateLimiter {
        let snapshot = match &spec {
            RateSpec::Snapshot(s) => Some(Snapshot::new(s.clone())),
            _ => None,
        };
        RateLimiter {
            snapshot,
            spec,
            counter: 0,
            buffer: Vec::new(),
            last_per_group: Vec::new(),
            first_seen: HashMap::new(),
            group_output_time: HashMap::new(),
            next_emit: None,
            last_output_time: None,
        }
    }

    /// Starts the period clock at `now` (the first time the query sees).
    pub fn start(&mut self, now: i64) {
        let period = match &self.spec {
            RateSpec::Time { period, .. } => *period,
            RateSpec::Snapshot(s) => s.period,
            _ => return,
        };
        if self.next_emit.is_none() {
            self.next_emit = Some(now + period);
        }
    }

    /// Passes one chunk of selected events; what may go out now is appended to `out`.
    pub fn process(&mut self, chunk: Vec<Selected>, now: i64, out: &mut Vec<Selected>) {
        match self.spec {
            RateSpec::PassThrough => out.extend(chunk),
            RateSpec::Snapshot(_) => {
                self.start(now);
                self.on_tick(now, out);
                if let Some(state) = &mut self.snapshot {
                    for s in chunk {
                        state.observe(s);
                    }
                }
            }
            RateSpec::Events { which, n, grouped } => {
                for s in chunk {
                    match (which, grouped) {
                        (Which::All, _) => {
                            self.buffer.push(s);
                            self.counter += 1;
                            if self.counter == n {
                                out.append(&mut self.buffer);
                                self.counter = 0;
                            }
                        }
                        (Which::First, false) => {
                            self.counter += 1;
                            if self.counter == 1 {
                                out.push(s);
                            } else if self.counter == n {
                                self.counter = 0;
                            }
                            if n == 1 {
                                self.counter = 0;
                            }
                        }
                        (Which::First, true) => match self.first_seen.get(&s.group).copied() {
                            None => {
                                if n > 1 {
                                    self.first_seen.insert(s.group.clone(), 1);
                                }
                                out.push(s);
                            }
                            Some(c) if c == n - 1 => {
                                self.first_seen.remove(&s.group);
                            }
                            Some(c) => {
                                self.first_seen.insert(s.group.clone(), c + 1);
                            }
                        },
                        (Which::Last, false) => {
                            self.counter += 1;
                            if self.counter == n {
                                out.push(s);
                                self.counter = 0;
                            }
                        }
                        (Which::Last, true) => {
                            match self.last_per_group.iter_mut().find(|(k, _)| *k == s.group) {
                                Some(slot) => slot.1 = s,
                                None => self.last_per_group.push((s.group.clone(), s)),
                            }
                            self.counter += 1;
                            if self.counter == n {
                                self.counter = 0;
                                out.extend(self.last_per_group.drain(..).map(|(_, s)| s));
                            }
                        }
                    }
                }
            }
            RateSpec::Time { which, period, grouped } => {
                self.start(now);
                self.on_tick(now, out);
                for s in chunk {
                    match (which, grouped) {
                        (Which::All, _) => self.buffer.push(s),
                        (Which::First, false) => {
                            if self.last_output_time.is_none_or(|t| t + period <= now) {
                                self.last_output_time = Some(now);
                                out.push(s);
                            }
                        }
                        // Each group is timed from its own last output, as the
                        // reference's FirstGroupByPerTimeOutputRateLimiter does.
                        (Which::First, true) => {
                            if self.group_output_time.get(&s.group).is_none_or(|t| t + period <= now) {
                                self.group_output_time.insert(s.group.clone(), now);
                                out.push(s);
                            }
                        }
                        (Which::Last, false) => {
                            self.buffer.clear();
                            self.buffer.push(s);
                        }
                        (Which::Last, true) => match self.last_per_group.iter_mut().find(|(k, _)| *k == s.group) {
                            Some(slot) => slot.1 = s,
                            None => self.last_per_group.push((s.group.clone(), s)),
                        },
                    }
                }
            }
        }
    }

    /// The end of the next period if it falls at or before `now`: a processor
    /// whose clock jumps to `now` first brings its state to just before that end
    /// (windows expire what was due), then calls [`RateLimiter::on_tick`] with it,
    /// so each period sees exactly what happened before it ended.
    pub fn period_end_by(&self, now: i64) -> Option<i64> {
        self.next_deadline().filter(|&due| due <= now)
    }

    /// When the current period ends, for time-based limiting that has started.
    /// `output first every <time>` has no periods: as the reference's
    /// `FirstPerTimeOutputRateLimiter` (and its group-by form) does, it compares
    /// each event's clock with the time of the last output and schedules nothing,
    /// so it never moves a window's clock on its own.
    pub fn next_deadline(&self) -> Option<i64> {
        match &self.spec {
            RateSpec::Time { which: Which::First, .. } => None,
            RateSpec::Time { .. } | RateSpec::Snapshot(_) => self.next_emit,
            _ => None,
        }
    }

    /// [`RateLimiter::process`], with what goes out appended to a processor's output.
    pub fn process_into(&mut self, chunk: Vec<Selected>, now: i64, out: &mut Vec<Emit>) {
        let mut limited = Vec::new();
        self.process(chunk, now, &mut limited);
        out.extend(limited.into_iter().map(|s| Emit::new(s.kind, s.row, s.ts)));
    }

    /// [`RateLimiter::on_tick`], with what goes out appended to a processor's output.
    pub fn tick_into(&mut self, now: i64, out: &mut Vec<Emit>) {
        let mut limited = Vec::new();
        self.on_tick(now, &mut limited);
        out.extend(limited.into_iter().map(|s| Emit::new(s.kind, s.row, s.ts)));
    }

    /// The clock moved to `now`: periods that ended release their events.
    pub fn on_tick(&mut self, now: i64, out: &mut Vec<Selected>) {
        let period = match &self.spec {
            RateSpec::Time { which: Which::First, .. } => return,
            RateSpec::Time { period, .. } => *period,
            RateSpec::Snapshot(s) => s.period,
            _ => return,
        };
        while let Some(due) = self.next_emit {
            if due > now {
                break;
            }
            if let Some(state) = &mut self.snapshot {
                state.take(due, out);
            }
            out.append(&mut self.buffer);
            out.extend(self.last_per_group.drain(..).map(|(_, s)| s));
            self.first_seen.clear();
            self.next_emit = Some(due + period.max(1));
        }
    }
}
