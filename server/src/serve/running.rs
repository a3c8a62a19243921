//! A running app: its timely workers on a thread of their own, the bounded
//! ingress queue that feeds them, and the fan-out of their outputs to
//! subscribers, counters and waiting snapshot queries.

use super::metrics::AppCounters;
use parking_lot::Mutex;
use sluice_dataflow::app::{CompiledApp, InputItem, OutputEvent, OutputSource};
use sluice_dataflow::runtime::deadlines::DeadlineBoard;
use sluice_dataflow::runtime::execute::Workers;
use sluice_dataflow::runtime::message::Kind;
use sluice_dataflow::runtime::time::{self, Sequencer};
use sluice_dataflow::trigger::TriggerClock;
use sluice_dataflow::value::{Row, Value};
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, AtomicUsize, Ordering};
use std::sync::mpsc::{Receiver, SyncSender, TrySendError};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;
use tokio::sync::{broadcast, oneshot};

/// How often a live app's clock ticks (ms), so that time windows expire with no
/// new events.
const TICK_MS: u64 = 100;

/// How many output events a subscriber may fall behind before it loses some.
const SUBSCRIBER_BUFFER: usize = 4096;

/// How many batches the ingress queue holds (the event limit is the real bound).
const QUEUE_BATCHES: usize = 4096;

/// A logical time as the HTTP API shows it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub struct LogicalTime {
    /// Milliseconds.
    pub ts: i64,
    /// The app-wide arrival number.
    pub seq: u64,
}

impl LogicalTime {
    fn of(t: time::Time) -> LogicalTime {
        LogicalTime { ts: time::millis(t), seq: time::seq(t) }
    }
}

/// Why the ingress refused a batch.
#[derive(Debug, PartialEq, Eq)]
pub enum Refused {
    /// The queue is full: try again later (429).
    Busy,
    /// The batch is larger than the whole queue: split it (413).
    TooLarge {
        /// Events in the batch.
        events: usize,
        /// The queue's capacity in events.
        capacity: usize,
    },
    /// The app is not running (409).
    Stopped,
}

/// One event for the ingress: stream, typed values, and its own timestamp if it
/// brought one.
pub struct NewEvent {
    /// The stream.
    pub stream: String,
    /// Values in the stream's attribute order.
    pub values: Vec<Value>,
    /// The event's timestamp (ms), if given.
    pub ts: Option<i64>,
}

/// The front door of a running app: hands out logical times and queues input.
///
/// Every item pushed here gets its `(ts, seq)` from a [`Sequencer`] under one
/// lock, in the order it enters the queue; the runtime's own sequencer sees the
/// same items in the same order, so the times reported to clients are the times
/// the dataflow uses.
pub struct Ingress {
    state: Mutex<IngressState>,
    /// Events queued and not yet taken by the dataflow.
    in_flight: Arc<AtomicUsize>,
    capacity: usize,
    playback: bool,
}

struct IngressState {
    sequencer: Sequencer,
    /// The app's triggers: their events are queued before the item that makes
    /// them due, so they take logical times at the door like any event.
    triggers: TriggerClock,
    tx: Option<SyncSender<Vec<InputItem>>>,
    /// When the last event batch (or playback heartbeat) was queued; `None`
    /// until the first event.
    last_input: Option<std::time::Instant>,
    /// The wall-clock time of the last tick queued (live apps; `i64::MIN` before
    /// the first).
    last_tick_ms: i64,
}

fn wall_clock_ms() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_millis() as i64)
}

impl Ingress {
    /// Stamps `batch` with logical times and queues it, whole or not at all; a
    /// refused batch takes no time. `events` of its items count against the queue.
    fn enqueue(
        &self,
        state: &mut IngressState,
        batch: Vec<InputItem>,
        events: usize,
    ) -> Result<Vec<time::Time>, Refused> {
        let Some(tx) = &state.tx else { return Err(Refused::Stopped) };
        let mut sequencer = state.sequencer.clone();
        // Trigger events due before an item go in just before it, with times of
        // their own; the times returned are those of `batch`'s items.
        // Copied (to commit only if the batch is queued) only when something is due.
        let latest = batch.iter().filter_map(|item| match item {
            InputItem::Event { ts, .. } | InputItem::Tick(ts) => Some(*ts),
            _ => None,
        });
        let mut triggers = latest.max().filter(|t| state.triggers.due_by(*t)).map(|_| state.triggers.clone());
        let mut items = Vec::with_capacity(batch.len());
        let mut times = Vec::with_capacity(batch.len());
        let mut events = events;
        for item in batch {
            if let (Some(clock), InputItem::Event { ts, .. } | InputItem::Tick(ts)) = (triggers.as_mut(), &item) {
                let first = items.len();
                clock.fire_until(*ts, &mut items);
                for fired in &items[first..] {
                    fired.sequence(&mut sequencer);
                }
                events += items.len() - first;
            }
            times.extend(item.sequence(&mut sequencer));
            items.push(item);
        }
        self.in_flight.fetch_add(events, Ordering::AcqRel);
        match tx.try_send(items) {
            Ok(()) => {
                state.sequencer = sequencer;
                if let Some(clock) = triggers {
                    state.triggers = clock;
                }
                Ok(times)
            }
            Err(e) => {
                self.in_flight.fetch_sub(events, Ordering::AcqRel);
                Err(match e {
                    TrySendError::Full(_) => Refused::Busy,
                    TrySendError::Disconnected(_) => Refused::Stopped,
                })
            }
        }
    }

    /// Queues `events` as one batch, whole or not at all; returns the logical times
    /// of the first and last.
    pub fn push(&self, events: Vec<NewEvent>) -> Result<Option<(LogicalTime, LogicalTime)>, Refused> {
        if events.is_empty() {
            return Ok(None);
        }
        let n = events.len();
        let mut state = self.state.lock();
        if state.tx.is_none() {
            return Err(Refused::Stopped);
        }
        if n > self.capacity {
            return Err(Refused::TooLarge { events: n, capacity: self.capacity });
        }
        if self.in_flight.load(Ordering::Acquire) + n > self.capacity {
            return Err(Refused::Busy);
        }
        // Live events carry the wall clock; under playback their own time, or the
        // clock as it stands.
        let now = wall_clock_ms();
        let mut clock = state.sequencer.now();
        // A live app idle for a while got no ticks (nothing waited for the
        // clock): the clock moves to now first, as a regular tick would have.
        let catch_up = !self.playback && now.saturating_sub(state.last_tick_ms) >= TICK_MS as i64;
        let mut batch = Vec::with_capacity(n + usize::from(catch_up));
        if catch_up {
            batch.push(InputItem::Tick(now.max(clock)));
        }
        batch.extend(events.into_iter().map(|e| {
            let ts = if self.playback { e.ts.unwrap_or(clock) } else { now };
            clock = clock.max(ts);
            InputItem::Event { stream: e.stream, values: e.values, ts }
        }));
        let times = self.enqueue(&mut state, batch, n)?;
        if catch_up {
            state.last_tick_ms = now;
        }
        let times = &times[usize::from(catch_up)..];
        state.last_input = Some(std::time::Instant::now());
        Ok(times.first().zip(times.last()).map(|(a, b)| (LogicalTime::of(*a), LogicalTime::of(*b))))
    }

    /// Queues an on-demand query; returns the logical time it is answered at.
    fn push_query(&self, id: u64, text: String) -> Result<LogicalTime, Refused> {
        let mut state = self.state.lock();
        let mut batch = Vec::with_capacity(2);
        // A live app's snapshot is as of now: the clock moves first, so time
        // windows have expired what they should and `as_of` names the wall clock.
        let ticked = (!self.playback).then(wall_clock_ms);
        if let Some(now) = ticked {
            batch.push(InputItem::Tick(now.max(state.sequencer.now())));
        }
        batch.push(InputItem::Query { id, text });
        let times = self.enqueue(&mut state, batch, 0)?;
        if let Some(now) = ticked {
            state.last_tick_ms = now;
        }
        Ok(LogicalTime::of(times.last().copied().unwrap_or_default()))
    }

    /// Moves a live app's clock to the wall clock when that releases something:
    /// at the first call (`at 'start'` triggers), when the earliest deadline of
    /// the app's processors (`earliest`, from its [`DeadlineBoard`]) has come, or
    /// when a trigger is due. An idle app is not ticked, so it costs no CPU; its
    /// next batch of events moves the clock first ([`Ingress::push`]). Skipped
    /// when the queue is full (the events in it move the clock anyway). False
    /// once the queue is closed.
    fn tick_if_due(&self, earliest: Option<i64>) -> bool {
        let mut state = self.state.lock();
        if state.tx.is_none() {
            return false;
        }
        let now = wall_clock_ms();
        let due = state.last_tick_ms == i64::MIN || earliest.is_some_and(|d| d <= now) || state.triggers.due_by(now);
        if !due {
            return true;
        }
        match self.enqueue(&mut state, vec![InputItem::Tick(now)], 0) {
            Err(Refused::Stopped) => false,
            Ok(_) => {
                state.last_tick_ms = now;
                true
            }
            Err(_) => true,
        }
    }

    /// A playback heartbeat (`@app:playback(idle.time, increment)`): when no event
    /// has been queued for `idle`, moves the clock forward by `increment_ms`.
    /// Returns how long to wait before asking again, or `None` once the queue is
    /// closed. Nothing happens before the first event, as in the reference.
    fn heartbeat(&self, idle: Duration, increment_ms: i64) -> Option<Duration> {
        let mut state = self.state.lock();
        let Some(last) = state.last_input else { return Some(idle) };
        let quiet = last.elapsed();
        if quiet < idle {
            return Some(idle - quiet);
        }
        let to = state.sequencer.now().saturating_add(increment_ms);
        match self.enqueue(&mut state, vec![InputItem::Tick(to)], 0) {
            Err(Refused::Stopped) => None,
            // A full queue holds events that move the clock anyway.
            _ => {
                state.last_input = Some(std::time::Instant::now());
                Some(idle)
            }
        }
    }

    /// Closes the queue: the dataflow finishes what is queued and stops.
    fn close(&self) {
        self.state.lock().tx = None;
    }

    /// Events waiting in the queue.
    /// How many events the queue holds at most.
    pub fn capacity(&self) -> usize {
        self.capacity
    }

    pub fn depth(&self) -> usize {
        self.in_flight.load(Ordering::Acquire)
    }

    /// The milliseconds of the latest logical time handed out.
    pub fn now(&self) -> i64 {
        self.state.lock().sequencer.now()
    }
}

/// The rows of an answer being collected, and who waits for them.
struct PendingAnswer {
    rows: Vec<Row>,
    reply: oneshot::Sender<Result<Vec<Row>, String>>,
}

/// Where a running app's outputs go.
pub struct Outputs {
    /// One broadcast channel per stream that has (or had) subscribers.
    channels: Mutex<HashMap<String, broadcast::Sender<Arc<str>>>>,
    answers: Mutex<HashMap<u64, PendingAnswer>>,
    /// Per-stream counters.
    pub counters: Arc<AppCounters>,
    /// The streams queries insert into (what `events_out` counts).
    produced: std::collections::HashSet<String>,
    /// How output events are written as JSON.
    json: crate::json_lines::JsonLines,
    /// The app's sinks (`log`, `file`, `inMemory`, `stream`).
    sinks: Mutex<sluice_connectors::sink::Sinks>,
}

impl Outputs {
    /// A receiver of every event inserted into `stream` from now on, as JSON text
    /// `{"stream":…,"ts":…,"data":{…}}`.
    pub fn subscribe(&self, stream: &str) -> broadcast::Receiver<Arc<str>> {
        self.channels
            .lock()
            .entry(stream.to_string())
            .or_insert_with(|| broadcast::channel(SUBSCRIBER_BUFFER).0)
            .subscribe()
    }

    /// Ends every subscription (the app stopped): SSE and WebSocket followers get
    /// the end of their stream.
    pub fn close(&self) {
        self.channels.lock().clear();
    }

    fn deliver(&self, o: OutputEvent) {
        match o.source {
            OutputSource::Stream(stream) => {
                if self.produced.contains(&stream) {
                    self.counters.count_out(&stream, 1);
                }
                let channels = self.channels.lock();
                let tx = channels.get(&stream).filter(|tx| tx.receiver_count() > 0);
                {
                    let mut sinks = self.sinks.lock();
                    if sinks.has(&stream) {
                        sinks.send(&stream, &o.row, o.ts);
                    }
                }
                let Some(tx) = tx else { return };
                let mut line = Vec::with_capacity(128);
                self.json.event(&mut line, &stream, &o.row, o.ts);
                {
                    // An error only means nobody listens any more.
                    let _ = tx.send(Arc::from(String::from_utf8_lossy(&line)));
                }
            }
            OutputSource::Answer(id) => {
                let mut answers = self.answers.lock();
                if o.kind == Kind::Current {
                    if let Some(p) = answers.get_mut(&id) {
                        p.rows.push(o.row);
                    }
                } else if let Some(p) = answers.remove(&id) {
                    let result = match o.row.first() {
                        None => Ok(p.rows),
                        Some(v) => Err(v.to_string()),
                    };
                    let _ = p.reply.send(result);
                }
            }
            OutputSource::Query(_) => {}
        }
    }
}

/// An app whose dataflow is running.
pub struct RunningApp {
    /// Its front door.
    pub ingress: Arc<Ingress>,
    /// Its outputs.
    pub outputs: Arc<Outputs>,
    /// Its sources, while they run.
    sources: Mutex<Option<sluice_connectors::source::Sources>>,
    next_query: AtomicU64,
    stop: Arc<AtomicBool>,
    threads: Mutex<Vec<JoinHandle<()>>>,
    /// Why the dataflow stopped on its own, if it did.
    pub failure: Arc<Mutex<Option<String>>>,
    /// The latest logical time (ms) the dataflow has taken from the queue.
    pub fed_ts: Arc<AtomicI64>,
    /// Whether this process feeds the dataflow (always, but in a cluster's followers).
    leader: bool,
}

impl RunningApp {
    /// Starts `app` on `workers` timely threads, with its sources and sinks on
    /// `hub` (the server's `inMemory` topics and streams).
    /// In a cluster, only the leader feeds input and sees outputs; the other
    /// processes run their share of the workers until the leader's input ends.
    pub fn start(
        app: Arc<CompiledApp>,
        workers: Workers,
        queue_events: usize,
        counters: Arc<AppCounters>,
        hub: &Arc<sluice_connectors::hub::Hub>,
    ) -> RunningApp {
        let leader = workers.is_leader();
        let spans_processes = workers.cluster.is_some();
        let (tx, rx) = std::sync::mpsc::sync_channel::<Vec<InputItem>>(QUEUE_BATCHES);
        let tx = leader.then_some(tx);
        let in_flight = Arc::new(AtomicUsize::new(0));
        let playback = app.plan.playback;
        let heartbeat = app.plan.heartbeat;
        let ingress = Arc::new(Ingress {
            state: Mutex::new(IngressState {
                sequencer: Sequencer::new(),
                triggers: app.triggers.clone(),
                tx,
                last_input: None,
                last_tick_ms: i64::MIN,
            }),
            in_flight: in_flight.clone(),
            capacity: queue_events.max(1),
            playback,
        });
        let json = crate::json_lines::JsonLines::of_app(&app, app.stream_ids.keys());
        // Sinks run where outputs arrive: the leader (a follower opens no files).
        let (sinks, sink_failure) = match leader.then(|| sluice_connectors::sink::Sinks::start(&app.plan, hub)) {
            Some(Ok(s)) => (s, None),
            Some(Err(e)) => (Default::default(), Some(e)),
            None => (Default::default(), None),
        };
        let outputs = Arc::new(Outputs {
            channels: Mutex::new(HashMap::new()),
            answers: Mutex::new(HashMap::new()),
            counters,
            produced: app.output_streams.iter().cloned().collect(),
            json,
            sinks: Mutex::new(sinks),
        });
        let stop = Arc::new(AtomicBool::new(false));
        let failure = Arc::new(Mutex::new(sink_failure));
        // Sources start before the workers: what they bring waits in the queue.
        let sources = leader.then(|| super::connectors::start_sources(&app.plan, hub, &ingress, &failure)).flatten();
        let fed_ts = Arc::new(AtomicI64::new(0));
        let deadlines = DeadlineBoard::default();
        let mut threads = Vec::new();
        {
            let board = deadlines.clone();
            let outputs = outputs.clone();
            let failed = failure.clone();
            let fed_ts = fed_ts.clone();
            let observe: Vec<String> = app.stream_ids.keys().cloned().collect();
            let feeder = Feeder { rx, current: Vec::new().into_iter(), flushed: true, in_flight, fed_ts };
            let spawned = std::thread::Builder::new().name(format!("app-{}", app.plan.name)).spawn(move || {
                let result = app.run_streaming_watched(feeder, workers, &observe, |o| outputs.deliver(o), || {}, board);
                if let Err(e) = result {
                    *failed.lock() = Some(e);
                }
                // Whoever still waits for an answer learns that none will come.
                for (_, p) in outputs.answers.lock().drain() {
                    let _ = p.reply.send(Err("the app stopped before answering".into()));
                }
            });
            match spawned {
                Ok(h) => threads.push(h),
                Err(e) => *failure.lock() = Some(format!("cannot start the app's thread: {e}")),
            }
        }
        if !playback && leader {
            let ingress = ingress.clone();
            let stop = stop.clone();
            // In a cluster the other processes' deadlines are not on this board:
            // the clock ticks regularly there, as if something always waited.
            let deadlines = deadlines.clone();
            let whole = !spans_processes;
            if let Ok(h) = std::thread::Builder::new().name("app-clock".into()).spawn(move || {
                // The first tick starts the clock at once (`at 'start'` triggers fire).
                while !stop.load(Ordering::Acquire) {
                    let earliest = if whole { deadlines.earliest() } else { Some(i64::MIN) };
                    if !ingress.tick_if_due(earliest) {
                        break;
                    }
                    std::thread::sleep(Duration::from_millis(TICK_MS));
                }
            }) {
                threads.push(h);
            }
        }
        if let Some(hb) = heartbeat.filter(|_| playback && leader) {
            let ingress = ingress.clone();
            let stop = stop.clone();
            let idle = Duration::from_millis(hb.idle_ms as u64);
            if let Ok(h) = std::thread::Builder::new().name("app-heartbeat".into()).spawn(move || {
                let mut wait = idle;
                while !stop.load(Ordering::Acquire) {
                    // Short naps, so that stopping the app is not held up.
                    std::thread::sleep(wait.min(Duration::from_millis(TICK_MS)));
                    match ingress.heartbeat(idle, hb.increment_ms) {
                        Some(next) => wait = next,
                        None => break,
                    }
                }
            }) {
                threads.push(h);
            }
        }
        RunningApp {
            sources: Mutex::new(sources),
            ingress,
            outputs,
            next_query: AtomicU64::new(1),
            stop,
            threads: Mutex::new(threads),
            leader,
            failure,
            fed_ts,
        }
    }

    /// Runs an on-demand query (already checked) at the next logical time and
    /// waits for its rows.
    pub async fn query(&self, text: String) -> Result<(LogicalTime, Vec<Row>), QueryFailure> {
        let id = self.next_query.fetch_add(1, Ordering::Relaxed);
        let (reply, answer) = oneshot::channel();
        self.outputs.answers.lock().insert(id, PendingAnswer { rows: Vec::new(), reply });
        let as_of = match self.ingress.push_query(id, text) {
            Ok(t) => t,
            Err(r) => {
                self.outputs.answers.lock().remove(&id);
                return Err(QueryFailure::Refused(r));
            }
        };
        match answer.await {
            Ok(Ok(rows)) => Ok((as_of, rows)),
            Ok(Err(e)) => Err(QueryFailure::Failed(e)),
            Err(_) => Err(QueryFailure::Failed("the app stopped before answering".into())),
        }
    }

    /// Stops the app: sources stop first, queued input is processed, then the
    /// workers end and the sinks write out what they hold.
    pub fn stop(&self) {
        if let Some(sources) = self.sources.lock().take() {
            sources.stop();
        }
        self.stop.store(true, Ordering::Release);
        self.ingress.close();
        // A follower's workers end when the leader closes its input; it does not
        // wait for that (the leader may be gone).
        for h in self.threads.lock().drain(..) {
            if self.leader {
                let _ = h.join();
            }
        }
        // Subscribers have had everything; their streams end now.
        self.outputs.close();
        self.outputs.sinks.lock().flush();
    }
}

/// Why a snapshot query got no rows.
#[derive(Debug)]
pub enum QueryFailure {
    /// The ingress refused it.
    Refused(Refused),
    /// The engine answered with an error.
    Failed(String),
}

/// The dataflow's input: takes batches off the queue, and sends a flush whenever
/// the queue runs dry so that outputs leave without waiting for more input.
struct Feeder {
    rx: Receiver<Vec<InputItem>>,
    current: std::vec::IntoIter<InputItem>,
    flushed: bool,
    in_flight: Arc<AtomicUsize>,
    fed_ts: Arc<AtomicI64>,
}

impl Iterator for Feeder {
    type Item = InputItem;
    fn next(&mut self) -> Option<InputItem> {
        loop {
            if let Some(item) = self.current.next() {
                match &item {
                    InputItem::Event { ts, .. } => {
                        self.in_flight.fetch_sub(1, Ordering::AcqRel);
                        self.fed_ts.fetch_max(*ts, Ordering::AcqRel);
                    }
                    InputItem::Tick(ts) => {
                        self.fed_ts.fetch_max(*ts, Ordering::AcqRel);
                    }
                    _ => {}
                }
                self.flushed = false;
                return Some(item);
            }
            match self.rx.try_recv() {
                Ok(batch) => self.current = batch.into_iter(),
                Err(std::sync::mpsc::TryRecvError::Empty) if !self.flushed => {
                    self.flushed = true;
                    return Some(InputItem::Flush);
                }
                Err(std::sync::mpsc::TryRecvError::Empty) => match self.rx.recv() {
                    Ok(batch) => self.current = batch.into_iter(),
                    Err(_) => return None,
                },
                Err(std::sync::mpsc::TryRecvError::Disconnected) => return None,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn events(n: usize) -> Vec<NewEvent> {
        (0..n)
            .map(|i| NewEvent { stream: "S".into(), values: vec![Value::Long(i as i64)], ts: Some(i as i64) })
            .collect()
    }

    #[test]
    fn a_full_queue_refuses_whole_batches_and_times_follow_the_queue_order() {
        let (tx, rx) = std::sync::mpsc::sync_channel(QUEUE_BATCHES);
        let ingress = Ingress {
            state: Mutex::new(IngressState {
                sequencer: Sequencer::new(),
                triggers: TriggerClock::default(),
                tx: Some(tx),
                last_input: None,
                last_tick_ms: i64::MIN,
            }),
            in_flight: Arc::new(AtomicUsize::new(0)),
            capacity: 10,
            playback: true,
        };
        let (from, to) = ingress.push(events(7)).unwrap().unwrap();
        assert_eq!((from.seq, to.seq, to.ts), (1, 7, 6));
        assert_eq!(ingress.push(events(7)), Err(Refused::Busy));
        assert_eq!(ingress.push(events(11)), Err(Refused::TooLarge { events: 11, capacity: 10 }));
        assert_eq!(ingress.depth(), 7);
        // A refused batch takes no logical time.
        let (from, _) = ingress.push(events(3)).unwrap().unwrap();
        assert_eq!(from.seq, 8);
        assert_eq!(rx.try_iter().map(|b| b.len()).collect::<Vec<_>>(), [7, 3]);
        ingress.close();
        assert_eq!(ingress.push(events(1)), Err(Refused::Stopped));
    }
}
