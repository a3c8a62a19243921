//! The processor of a query over one stream: filters, at most one window, the
//! selector and the rate limiter, fed one event (or tick) at a time.

use super::expr::{CExpr, Env};
use super::rate::{RateLimiter, RateSpec};
use super::selector::{ChunkEvent, Selected, Selector, SelectorSpec};
use super::stream_processor::{StreamProcessor, StreamProcessorFactory};
use crate::relation::Relations;
use crate::runtime::graph::{Emit, Processor};
use crate::runtime::message::{Kind, Msg};
use crate::value::Row;
use crate::window::{self, Emitted, StreamEvent, Window};
use std::rc::Rc;
use std::sync::Arc;

/// Makes a fresh window for a processor.
pub type WindowFactory = Arc<dyn Fn() -> Box<dyn Window> + Send + Sync>;

/// A row-to-row stream function (`#pol2Cart(theta, rho)`).
pub type RowMap = Arc<dyn Fn(&Row, &Env) -> Row + Send + Sync>;

/// What happens to an arriving event before the window, in order.
#[derive(Clone)]
pub enum Stage {
    /// Keep it only if the condition holds.
    Filter(CExpr),
    /// Replace its row (stream functions that add attributes).
    Map(RowMap),
    /// Replace it by any number of rows (the tokenizing stream functions).
    FlatMap(super::tokenize::RowFlatMap),
    /// Hand it to stateful stream processor number `n` of the query
    /// (`#unique:deduplicate`, `#reorder:kslack`), which lets through, holds
    /// back or releases events.
    Process(usize),
}

/// The compiled form of a single-input query.
#[derive(Clone)]
pub struct SingleQuerySpec {
    /// Filters and stream functions applied to arriving events before the window.
    pub pre: Vec<Stage>,
    /// The window, and whether it releases batches.
    pub window: Option<(WindowFactory, bool)>,
    /// Filters applied to what the window releases.
    pub post_filters: Vec<CExpr>,
    /// The selector.
    pub selector: Arc<SelectorSpec>,
    /// The rate limiting.
    pub rate: RateSpec,
    /// Makes the stateful stream processors [`Stage::Process`] names.
    pub processors: Vec<StreamProcessorFactory>,
}

/// A running single-input query.
pub struct SingleQuery {
    spec: Arc<SingleQuerySpec>,
    window: Option<Box<dyn Window>>,
    selector: Selector,
    rate: RateLimiter,
    now: i64,
    emitted: Vec<Emitted>,
    relations: Option<Rc<Relations>>,
    processors: Vec<Box<dyn StreamProcessor>>,
}

impl SingleQuery {
    /// A query with empty state.
    pub fn new(spec: Arc<SingleQuerySpec>) -> SingleQuery {
        SingleQuery {
            window: spec.window.as_ref().map(|(f, _)| f()),
            processors: spec.processors.iter().map(|f| f()).collect(),
            selector: Selector::new(spec.selector.clone()),
            rate: RateLimiter::new(spec.rate.clone()),
            spec,
            now: i64::MIN,
            emitted: Vec::new(),
            relations: None,
        }
    }

    /// The same query reading `relations` (for `in T`).
    pub fn with_relations(mut self, relations: Option<Rc<Relations>>) -> SingleQuery {
        self.relations = relations;
        self
    }

    /// Runs what the window released through post-filters, selector and limiter.
    fn release(&mut self, out: &mut Vec<Emit>) {
        let is_batch = self.spec.window.as_ref().is_some_and(|(_, b)| *b);
        self.release_chunk(is_batch, out);
    }

    fn release_chunk(&mut self, is_batch: bool, out: &mut Vec<Emit>) {
        let env = Env::new(self.now, self.now, &self.relations);
        let mut chunk = Vec::with_capacity(self.emitted.len());
        for e in self.emitted.drain(..) {
            let (kind, ev) = match e {
                Emitted::Current(ev) => (Kind::Current, ev),
                Emitted::Expired(ev) => (Kind::Expired, ev),
                Emitted::Reset => {
                    chunk.push(ChunkEvent::Reset);
                    continue;
                }
            };
            let env = env.at(ev.ts);
            if self.spec.post_filters.iter().all(|f| f.test(&ev.row, &env)) {
                chunk.push(ChunkEvent::Event { kind, row: ev.row, ts: ev.ts });
            }
        }
        self.emit_chunk(&chunk, is_batch, out);
    }

    fn emit_chunk(&mut self, chunk: &[ChunkEvent], is_batch: bool, out: &mut Vec<Emit>) {
        if chunk.is_empty() {
            return;
        }
        let env = Env::new(self.now, self.now, &self.relations);
        let mut selected: Vec<Selected> = Vec::new();
        self.selector.process(chunk, is_batch, &env, &mut selected);
        self.rate.process_into(selected, self.now, out);
    }

    /// Moves the clock to `ts` and releases what the window expires by then.
    fn advance_window(&mut self, ts: i64, out: &mut Vec<Emit>) {
        self.now = self.now.max(ts);
        while let Some(w) = &mut self.window {
            let before = w.next_deadline();
            w.on_time(self.now, &mut self.emitted);
            let after = w.next_deadline();
            self.release(out);
            if !window::more_due(before, after, self.now) {
                break;
            }
        }
    }
}

impl Processor for SingleQuery {
    fn on_event(&mut self, _input: usize, msg: &Msg, out: &mut Vec<Emit>) {
        // Timers due by this event's time fire first, in a chunk of their own, as
        // the reference's scheduler does when the clock moves to the event's time.
        if msg.ts > self.now {
            self.on_tick(msg.ts, out);
        }
        self.now = self.now.max(msg.ts);
        self.rate.start(self.now);
        let env = Env::new(msg.ts, self.now, &self.relations);
        let mut row = msg.row.clone();
        for (i, stage) in self.spec.pre.iter().enumerate() {
            match stage {
                Stage::Filter(f) => {
                    if !f.test(&row, &env) {
                        return;
                    }
                }
                Stage::Map(m) => row = m(&row, &env),
                Stage::FlatMap(m) => {
                    let rows = m(&row, &env).into_iter().map(|r| (msg.ts, r)).collect();
                    self.after_stage(msg.kind, (rows, false), i + 1, &env, out);
                    return;
                }
                Stage::Process(n) => {
                    let mut released = Vec::new();
                    self.processors[*n].on_event(msg.ts, row, &env, &mut released);
                    let batch = self.processors[*n].batch(false);
                    self.after_stage(msg.kind, (released, batch), i + 1, &env, out);
                    return;
                }
            }
        }
        self.accept(msg.kind, msg.ts, row, &env, out);
    }

    fn on_window_output(&mut self, _input: usize, now: i64, chunk: Vec<Emitted>, is_batch: bool, out: &mut Vec<Emit>) {
        if now > self.now {
            self.on_tick(now, out);
        }
        self.rate.start(self.now);
        self.emitted = chunk;
        self.release_chunk(is_batch, out);
    }

    fn on_tick(&mut self, ts: i64, out: &mut Vec<Emit>) {
        while let Some(end) = self.rate.period_end_by(ts) {
            self.advance_processors(end - 1, out);
            self.advance_window(end - 1, out);
            self.rate.tick_into(end, out);
        }
        self.advance_processors(ts, out);
        self.advance_window(ts, out);
        self.rate.tick_into(self.now, out);
    }

    fn next_deadline(&self) -> Option<i64> {
        let window = self.window.as_ref().and_then(|w| w.next_deadline());
        let processors = self.processors.iter().filter_map(|p| p.next_deadline()).min();
        earliest(earliest(window, processors), self.rate.next_deadline())
    }
}

impl SingleQuery {
    /// The rows (each with its arrival time) a stage made, and whether they are
    /// one batch, through the stages after it (from `next`), then accepted as
    /// arriving events: one by one, or as one batch chunk.
    fn after_stage(&mut self, kind: Kind, made: (Vec<(i64, Row)>, bool), next: usize, env: &Env, out: &mut Vec<Emit>) {
        let spec = self.spec.clone();
        let (mut rows, mut batch) = made;
        for stage in &spec.pre[next..] {
            match stage {
                Stage::Filter(f) => rows.retain(|(t, r)| f.test(r, &env.at(*t))),
                Stage::Map(m) => rows.iter_mut().for_each(|(t, r)| *r = m(r, &env.at(*t))),
                Stage::FlatMap(m) => {
                    rows = rows.iter().flat_map(|(t, r)| m(r, &env.at(*t)).into_iter().map(|x| (*t, x))).collect()
                }
                Stage::Process(n) => {
                    let mut released = Vec::new();
                    for (t, r) in rows {
                        self.processors[*n].on_event(t, r, &env.at(t), &mut released);
                    }
                    rows = released;
                    batch = self.processors[*n].batch(false);
                }
            }
        }
        if batch {
            return self.accept_batch(kind, rows, env, out);
        }
        for (t, row) in rows {
            self.accept(kind, t, row, &env.at(t), out);
        }
    }

    /// Arriving events released together as one batch chunk: into the window
    /// and released as one chunk, or filtered and selected as one.
    fn accept_batch(&mut self, kind: Kind, rows: Vec<(i64, Row)>, env: &Env, out: &mut Vec<Emit>) {
        if rows.is_empty() {
            return;
        }
        match &mut self.window {
            Some(_) if kind == Kind::Expired => {}
            Some(w) => {
                for (ts, row) in rows {
                    w.on_event(StreamEvent { ts, row }, &mut self.emitted);
                }
                self.release_chunk(true, out);
            }
            None => {
                let chunk: Vec<ChunkEvent> = rows
                    .into_iter()
                    .filter(|(t, row)| self.spec.post_filters.iter().all(|f| f.test(row, &env.at(*t))))
                    .map(|(ts, row)| ChunkEvent::Event { kind, row, ts })
                    .collect();
                self.emit_chunk(&chunk, true, out);
            }
        }
    }

    /// Fires the stream processors whose deadlines come by `ts`, in order; what
    /// each releases goes through the stages after it.
    fn advance_processors(&mut self, ts: i64, out: &mut Vec<Emit>) {
        let Some(stages) = self.spec.pre.iter().position(|s| matches!(s, Stage::Process(_))) else {
            return;
        };
        let spec = self.spec.clone();
        for (i, stage) in spec.pre.iter().enumerate().skip(stages) {
            let Stage::Process(n) = stage else { continue };
            // Each firing moves the deadline on or stops it; bounded for safety.
            for _ in 0..100_000 {
                match self.processors[*n].next_deadline() {
                    Some(at) if at <= ts => {
                        let mut released = Vec::new();
                        self.processors[*n].on_time(at, &mut released);
                        if !released.is_empty() {
                            self.advance_window(at, out);
                            let env = Env::new(at, self.now, &self.relations);
                            let batch = self.processors[*n].batch(true);
                            self.after_stage(Kind::Current, (released, batch), i + 1, &env, out);
                        }
                    }
                    _ => break,
                }
            }
        }
    }

    /// An arriving event's row, after the stages: into the window, or filtered
    /// and selected.
    fn accept(&mut self, kind: Kind, ts: i64, row: Row, env: &Env, out: &mut Vec<Emit>) {
        match &mut self.window {
            // Windows take arriving events only.
            Some(_) if kind == Kind::Expired => {}
            Some(w) => {
                w.on_event(StreamEvent { ts, row }, &mut self.emitted);
                self.release(out);
            }
            None => {
                if self.spec.post_filters.iter().all(|f| f.test(&row, env)) {
                    let chunk = [ChunkEvent::Event { kind, row, ts }];
                    self.emit_chunk(&chunk, false, out);
                }
            }
        }
    }
}

/// The earlier of two optional deadlines.
pub(crate) fn earliest(a: Option<i64>, b: Option<i64>) -> Option<i64> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}
