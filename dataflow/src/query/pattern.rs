//! The processor of a pattern or sequence query: partial matches advance through
//! a chain of steps as events arrive in logical-time order.
//!
//! The state machine is a chain (`a -> b -> c`, or `a, b, c` for a sequence) of
//! steps: one event, a count (`<n:m>`, `+`, `*`, `?`), `and`/`or` of two events,
//! or an absence (`not S for t`). `every` may wrap a run of steps: that group
//! re-arms each time a partial match completes it (at the start, every event that
//! can start the group starts a new match; later in the chain, a fresh instance
//! keeps the events matched before the group). A pattern's partial match ignores events
//! that do not fit it; a sequence's dies on them. Matches older than `within` are
//! dropped, so memory is bounded by what can still complete. An event never
//! advances a partial match it has just created.

use super::expr::{CExpr, Env};
use super::rate::{RateLimiter, RateSpec};
use super::selector::{ChunkEvent, Selected, Selector, SelectorSpec};
use crate::relation::Relations;
use crate::runtime::graph::{Emit, Processor};
use crate::runtime::message::{Kind, Msg};
use crate::value::{Row, Value};
use sluice_frontend::ast::LogicalOp;
use std::rc::Rc;
use std::sync::Arc;

/// One step of the chain.
#[derive(Clone, Debug)]
pub enum Step {
    /// One event (event number).
    One(usize),
    /// Between `min` and `max` events of one event number.
    Count(usize, u32, Option<u32>),
    /// Both (`and`) or either (`or`) of two event numbers.
    Logical(LogicalOp, usize, usize),
    /// No event of this number for this long (ms).
    Absent(usize, i64),
    /// `not a and b`: `b` arrives before any `a`.
    NotAnd(usize, usize),
}

/// One pattern event: the input it arrives on and its filters.
#[derive(Clone, Debug)]
pub struct EventSpec {
    /// The query input number of its stream.
    pub input: usize,
    /// Its filters, over the flat row of all events.
    pub filters: Vec<CExpr>,
    /// Whether the filters read counted events by index (`e2[last].price`).
    pub indexed: bool,
    /// How many attributes it has.
    pub width: usize,
}

/// The compiled form of a pattern query.
#[derive(Clone)]
pub struct PatternSpec {
    /// The events.
    pub events: Vec<EventSpec>,
    /// The chain.
    pub steps: Vec<Step>,
    /// The first and last steps of the `every` group, if there is one.
    pub every: Option<(usize, usize)>,
    /// A sequence (strict) rather than a pattern.
    pub sequence: bool,
    /// `within`, ms.
    pub within: Option<i64>,
    /// The selector over the flat row of all events.
    pub selector: Arc<SelectorSpec>,
    /// Rate limiting.
    pub rate: RateSpec,
}

/// A partial match.
#[derive(Clone, Debug)]
struct Partial {
    /// The step it waits at.
    step: usize,
    /// The events matched so far, by event number.
    events: Vec<Vec<Row>>,
    /// When its first event arrived.
    start: i64,
    /// When it reached its current step.
    entered: i64,
}

/// A running pattern query.
pub struct PatternQuery {
    spec: Arc<PatternSpec>,
    partials: Vec<Partial>,
    /// Whether the first step may start a match.
    armed: bool,
    selector: Selector,
    rate: RateLimiter,
    now: i64,
    relations: Option<Rc<Relations>>,
}

/// What a partial does with an event.
enum Outcome {
    /// Unchanged.
    Stay,
    /// Replaced by these (advanced or still collecting).
    Become(Partial),
    /// Gone.
    Die,
}

impl PatternQuery {
    /// A pattern with no partial matches.
    pub fn new(spec: Arc<PatternSpec>) -> PatternQuery {
        PatternQuery {
            selector: Selector::new(spec.selector.clone()),
            rate: RateLimiter::new(spec.rate.clone()),
            spec,
            partials: Vec::new(),
            armed: true,
            now: i64::MIN,
            relations: None,
        }
    }

    /// The same pattern reading `relations` (for `in T`).
    pub fn with_relations(mut self, relations: Option<Rc<Relations>>) -> PatternQuery {
        self.relations = relations;
        self
    }

    fn empty(&self, ts: i64) -> Partial {
        Partial { step: 0, events: vec![Vec::new(); self.spec.events.len()], start: ts, entered: ts }
    }

    /// The flat row of a partial's events (the last of each counted event), with
    /// `candidate` as the latest event of its number.
    fn flat(&self, p: &Partial, candidate: Option<(usize, &Row)>) -> Vec<Value> {
        let mut row = Vec::new();
        for (e, spec) in self.spec.events.iter().enumerate() {
            let latest = match candidate {
                Some((c, r)) if c == e => Some(r),
                _ => p.events[e].last(),
            };
            match latest {
                Some(r) => row.extend(r.iter().cloned()),
                None => row.extend(std::iter::repeat_n(Value::Null, spec.width)),
            }
        }
        row
    }

    /// Whether event number `e` accepts `row` (arriving on `input`) given `p`.
    fn accepts(&self, p: &Partial, e: usize, input: usize, row: &Row, ts: i64) -> bool {
        let spec = &self.spec.events[e];
        if spec.input != input {
            return false;
        }
        if spec.filters.is_empty() {
            return true;
        }
        // The candidate is the current event (`price`); indexed references
        // (`e2[last].price`) see only the events already matched.
        let flat = self.flat(p, Some((e, row)));
        let mut env = Env::new(ts, self.now, &self.relations);
        if spec.indexed {
            env.captured = Some(Rc::new(p.events.clone()));
        }
        spec.filters.iter().all(|f| f.test(&flat, &env))
    }

    /// A fresh instance of the `every` group (steps `start..=end`) after `q`
    /// completed it: `q`'s earlier events, waiting at the group's first step.
    fn rearmed(&self, q: &Partial, start: usize, end: usize, ts: i64) -> Partial {
        let mut fresh = q.clone();
        for step in &self.spec.steps[start..=end] {
            let slots = match step {
                Step::One(e) | Step::Count(e, ..) | Step::Absent(e, _) => vec![*e],
                Step::Logical(_, a, b) | Step::NotAnd(a, b) => vec![*a, *b],
            };
            for e in slots {
                fresh.events[e].clear();
            }
        }
        for later in &self.spec.steps[end + 1..] {
            if let Step::One(e) | Step::Count(e, ..) | Step::Absent(e, _) = later {
                fresh.events[*e].clear();
            }
        }
        fresh.step = start;
        fresh.entered = ts;
        fresh
    }

    /// `p` moves past its step at `ts`.
    fn advanced(&self, mut p: Partial, ts: i64) -> Partial {
        p.step += 1;
        p.entered = ts;
        // A final count that needs no events completes the match at once.
        if p.step + 1 == self.spec.steps.len() && matches!(self.spec.steps[p.step], Step::Count(_, 0, _)) {
            p.step += 1;
        }
        p
    }

    /// What partial `p` does with an event; a completed match is pushed to `done`.
    fn offer(&self, p: &Partial, input: usize, row: &Row, ts: i64) -> Outcome {
        let steps = &self.spec.steps;
        let with = |e: usize| {
            let mut q = p.clone();
            q.events[e].push(row.clone());
            q
        };
        let fits_next = |q: &Partial| -> Option<Partial> {
            match steps.get(q.step + 1) {
                Some(Step::One(n)) if self.accepts(q, *n, input, row, ts) => {
                    let mut r = q.clone();
                    r.events[*n].push(row.clone());
                    Some(self.advanced(self.advanced(r, ts), ts))
                }
                _ => None,
            }
        };
        match &steps[p.step] {
            Step::One(e) => {
                if self.accepts(p, *e, input, row, ts) {
                    return Outcome::Become(self.advanced(with(*e), ts));
                }
            }
            Step::Count(e, min, max) => {
                let n = p.events[*e].len() as u32;
                if n >= *min {
                    if let Some(next) = fits_next(p) {
                        return Outcome::Become(next);
                    }
                }
                if max.is_none_or(|m| n < m) && self.accepts(p, *e, input, row, ts) {
                    let q = with(*e);
                    let last = p.step + 1 == steps.len();
                    let full = max.is_some_and(|m| n + 1 >= m) || (last && n + 1 >= *min);
                    return Outcome::Become(if full { self.advanced(q, ts) } else { q });
                }
            }
            Step::Logical(op, a, b) => {
                for (mine, other) in [(*a, *b), (*b, *a)] {
                    if p.events[mine].is_empty() && self.accepts(p, mine, input, row, ts) {
                        let q = with(mine);
                        let complete = *op == LogicalOp::Or || !q.events[other].is_empty();
                        return Outcome::Become(if complete { self.advanced(q, ts) } else { q });
                    }
                }
            }
            Step::Absent(e, _) => {
                if self.accepts(p, *e, input, row, ts) {
                    return Outcome::Die;
                }
            }
            Step::NotAnd(absent, present) => {
                if self.accepts(p, *present, input, row, ts) {
                    return Outcome::Become(self.advanced(with(*present), ts));
                }
                if self.accepts(p, *absent, input, row, ts) {
                    return Outcome::Die;
                }
            }
        }
        if self.spec.sequence {
            Outcome::Die
        } else {
            Outcome::Stay
        }
    }

    /// Moves partials whose absence period has passed by `ts`.
    fn expire(&mut self, ts: i64, done: &mut Vec<Partial>) {
        if let Some(w) = self.spec.within {
            self.partials.retain(|p| ts - p.start <= w);
        }
        let mut i = 0;
        while i < self.partials.len() {
            let p = &self.partials[i];
            let due = matches!(self.spec.steps[p.step], Step::Absent(_, period) if ts >= p.entered + period);
            if due {
                let p = self.partials.remove(i);
                let q = self.advanced(p, ts);
                self.place(q, done);
                continue;
            }
            i += 1;
        }
    }

    /// Keeps a partial, or records it as complete.
    fn place(&mut self, p: Partial, done: &mut Vec<Partial>) {
        if p.step >= self.spec.steps.len() {
            done.push(p);
        } else {
            self.partials.push(p);
        }
    }

    fn emit(&mut self, done: Vec<Partial>, ts: i64, out: &mut Vec<Emit>) {
        if done.is_empty() {
            return;
        }
        let env = Env::new(ts, self.now, &self.relations);
        let mut selected: Vec<Selected> = Vec::new();
        for p in done {
            let flat: Row = Arc::from(self.flat(&p, None));
            let mut env = env.clone();
            env.captured = Some(Rc::new(p.events));
            self.selector.process(
                &[ChunkEvent::Event { kind: Kind::Current, row: flat, ts }],
                false,
                &env,
                &mut selected,
            );
        }
        self.rate.process_into(selected, self.now, out);
    }

    /// Moves the clock to `ts` and ends the partial matches that time out by then.
    fn advance(&mut self, ts: i64, out: &mut Vec<Emit>) {
        self.now = self.now.max(ts);
        let mut done = Vec::new();
        self.expire(self.now, &mut done);
        self.emit(done, self.now, out);
    }
}

impl Processor for PatternQuery {
    fn on_event(&mut self, input: usize, msg: &Msg, out: &mut Vec<Emit>) {
        if msg.ts > self.now {
            self.on_tick(msg.ts, out);
        }
        self.now = self.now.max(msg.ts);
        self.rate.start(self.now);
        let ts = msg.ts;
        let mut done = Vec::new();
        self.expire(ts, &mut done);
        let existing = std::mem::take(&mut self.partials);
        let mut group_completed = false;
        let mut consumed = false;
        let mut rearmed = Vec::new();
        let mut kept = Vec::with_capacity(existing.len());
        for p in existing {
            match self.offer(&p, input, &msg.row, ts) {
                Outcome::Stay => kept.push(p),
                Outcome::Die => {}
                Outcome::Become(q) => {
                    consumed |= q.step < self.spec.steps.len();
                    if let Some((start, end)) = self.spec.every {
                        if p.step <= end && q.step > end {
                            if start == 0 {
                                group_completed = true;
                            } else {
                                rearmed.push(self.rearmed(&q, start, end, ts));
                            }
                        }
                    }
                    if q.step >= self.spec.steps.len() {
                        done.push(q);
                    } else {
                        kept.push(q);
                    }
                }
            }
        }
        kept.append(&mut rearmed);
        // A new match may start with this event; in a sequence, not with an event
        // a running match took and still waits after.
        if self.armed && !(self.spec.sequence && consumed) {
            let fresh = self.empty(ts);
            if let Outcome::Become(q) = self.offer(&fresh, input, &msg.row, ts) {
                match self.spec.every.filter(|(start, _)| *start == 0).map(|(_, end)| end) {
                    Some(end) if q.step > end => group_completed = true,
                    Some(_) => self.armed = false,
                    None => self.armed = false,
                }
                if q.step >= self.spec.steps.len() {
                    done.push(q);
                } else {
                    kept.push(q);
                }
            }
        }
        if group_completed {
            self.armed = true;
        }
        self.partials = kept;
        self.emit(done, ts, out);
    }

    fn on_tick(&mut self, ts: i64, out: &mut Vec<Emit>) {
        while let Some(end) = self.rate.period_end_by(ts) {
            self.advance(end - 1, out);
            self.rate.tick_into(end, out);
        }
        self.advance(ts, out);
        self.rate.tick_into(self.now, out);
    }

    fn next_deadline(&self) -> Option<i64> {
        let absence = self
            .partials
            .iter()
            .filter_map(|p| match self.spec.steps[p.step] {
                Step::Absent(_, period) => Some(p.entered + period),
                _ => None,
            })
            .min();
        super::single::earliest(absence, self.rate.next_deadline())
    }
}
