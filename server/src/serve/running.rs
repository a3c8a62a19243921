//! A running app: its timely workers on a thread of their own, the bounded
//! ingress queue that feeds them, and the fan-out of their outputs to
//! subscribers, counters and waiting snapshot queries.

pub use super::ingress::{Accepted, Ingress, LogicalTime, NewEvent, Refused};
use super::ingress::{QUEUE_BATCHES, TICK_MS};
use super::ingress_log::{Durability, IngressLog, LogStats, Replay};
use super::metrics::AppCounters;
pub use super::outputs::Outputs;
use super::outputs::PendingAnswer;
use parking_lot::Mutex;
use sluice_dataflow::app::{CompiledApp, InputItem};
use sluice_dataflow::runtime::deadlines::DeadlineBoard;
use sluice_dataflow::runtime::execute::Workers;
use sluice_dataflow::runtime::time::Time;
use sluice_dataflow::value::Row;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, AtomicUsize, Ordering};
use std::sync::mpsc::Receiver;
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;
use tokio::sync::oneshot;

/// How long stopping a cluster app waits for its threads to end.
const CLUSTER_STOP_WAIT: Duration = Duration::from_secs(5);

/// Where a running app's accepted input is logged, and how.
#[derive(Clone, Debug)]
pub struct LogPlan {
    /// The log file.
    pub path: PathBuf,
    /// `fsync` or only write.
    pub durability: Durability,
    /// A new app: a log left by an earlier app of the same name is discarded.
    pub fresh: bool,
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
    /// Whether the app's workers span several processes.
    spans_processes: bool,
    /// Where accepted input is logged.
    log: Option<Arc<IngressLog>>,
}

impl RunningApp {
    /// Starts `app` on `workers` timely threads, with its sources and sinks on
    /// `hub` (the server's `inMemory` topics and streams), after replaying the
    /// input `log` kept (outputs already delivered are not sent again).
    /// In a cluster, only the leader feeds input and sees outputs; the other
    /// processes run their share of the workers until the leader's input ends.
    pub fn start(
        app: Arc<CompiledApp>,
        workers: Workers,
        queue_events: usize,
        counters: Arc<AppCounters>,
        hub: &Arc<sluice_connectors::hub::Hub>,
        log: Option<LogPlan>,
    ) -> RunningApp {
        let leader = workers.is_leader();
        let spans_processes = workers.cluster.is_some();
        let (tx, rx) = std::sync::mpsc::sync_channel::<Vec<InputItem>>(QUEUE_BATCHES);
        let tx = leader.then_some(tx);
        let in_flight = Arc::new(AtomicUsize::new(0));
        let playback = app.plan.playback;
        let heartbeat = app.plan.heartbeat;
        let failure = Arc::new(Mutex::new(None));
        let ingress = Arc::new(Ingress::new(
            tx,
            app.triggers.clone(),
            in_flight.clone(),
            queue_events,
            playback,
            failure.clone(),
        ));
        let json = crate::json_lines::JsonLines::of_app(&app, app.stream_ids.keys());
        // Sinks run where outputs arrive: the leader (a follower opens no files).
        let (sinks, sink_failure) = match leader.then(|| sluice_connectors::sink::Sinks::start(&app.plan, hub)) {
            Some(Ok(s)) => (s, None),
            Some(Err(e)) => (Default::default(), Some(e)),
            None => (Default::default(), None),
        };
        let outputs = Arc::new(Outputs::new(counters, app.output_streams.iter().cloned().collect(), json, sinks));
        let stop = Arc::new(AtomicBool::new(false));
        *failure.lock() = sink_failure;
        let fed_ts = Arc::new(AtomicI64::new(0));
        let deadlines = DeadlineBoard::default();
        let mut threads = Vec::new();
        {
            let board = deadlines.clone();
            let outputs = outputs.clone();
            let app = app.clone();
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
        // The log is replayed before anything new comes in, so the log's order
        // stays the queue's order.
        let log = log.filter(|_| leader).and_then(|plan| match recover(&ingress, &outputs, &plan) {
            Ok(log) => Some(log),
            Err(e) => {
                eprintln!("sluice serve: app '{}': {e}", app.plan.name);
                *failure.lock() = Some(e);
                ingress.close();
                None
            }
        });
        let sources = leader.then(|| super::connectors::start_sources(&app.plan, hub, &ingress, &failure)).flatten();
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
            spans_processes,
            failure,
            fed_ts,
            log,
        }
    }

    /// What the ingress log holds and how its recovery went (none without a log).
    pub fn log_stats(&self) -> Option<LogStats> {
        self.log.as_ref().map(|l| l.stats())
    }

    /// Runs an on-demand query (already checked) at the next logical time and
    /// waits for its rows; a query that `writes` is logged and its answer waits
    /// until it is durable.
    pub async fn query(&self, text: String, writes: bool) -> Result<(LogicalTime, Vec<Row>), QueryFailure> {
        let id = self.next_query.fetch_add(1, Ordering::Relaxed);
        let (reply, answer) = oneshot::channel();
        self.outputs.answers.lock().insert(id, PendingAnswer { rows: Vec::new(), reply });
        let (as_of, durable) = match self.ingress.push_query(id, text, writes) {
            Ok(t) => t,
            Err(r) => {
                self.outputs.answers.lock().remove(&id);
                return Err(QueryFailure::Refused(r));
            }
        };
        let answer = answer.await;
        if let Some(d) = durable {
            d.wait().await.map_err(|e| QueryFailure::Refused(Refused::Storage(e)))?;
        }
        match answer {
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
        // A sink waiting on a transport that is down (`on.error='WAIT'`) would hold
        // the workers forever: from now on it drops what fails, and says so.
        self.outputs.sinks_give_up.give_up();
        // A follower's workers end when the leader closes its input; it does not
        // wait for that (the leader may be gone). A leader waits, but in a cluster
        // only so long: a computation still connecting to a process that is gone
        // never ends (timely waits for its peers without a timeout).
        for h in self.threads.lock().drain(..) {
            if !self.leader {
                continue;
            }
            let deadline = std::time::Instant::now() + CLUSTER_STOP_WAIT;
            while self.spans_processes && !h.is_finished() && std::time::Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(10));
            }
            if h.is_finished() || !self.spans_processes {
                let _ = h.join();
            } else {
                eprintln!("sluice serve: an app's thread did not end within {CLUSTER_STOP_WAIT:?}; left behind");
            }
        }
        // Subscribers have had everything; their streams end now.
        self.outputs.close();
        self.outputs.sinks.lock().flush();
        if let Some(log) = &self.log {
            log.close();
        }
    }
}

/// Replays the log `plan` names into `ingress` (its outputs held back from
/// `outputs`), then logs new input there.
fn recover(ingress: &Ingress, outputs: &Outputs, plan: &LogPlan) -> Result<Arc<IngressLog>, String> {
    let started = std::time::Instant::now();
    if plan.fresh {
        match std::fs::remove_file(&plan.path) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                return Err(format!("cannot remove an old log {}: {e}", plan.path.display()))
            }
            _ => {}
        }
    }
    let mut replay = Replay::open(&plan.path)?;
    *outputs.replayed_until.lock() = Time::MAX;
    let replayed = ingress.replay(&mut replay);
    *outputs.replayed_until.lock() = *replayed.as_ref().unwrap_or(&0);
    replayed.map_err(|r| format!("the replay of {} stopped: {r:?}", plan.path.display()))?;
    let log = Arc::new(replay.into_log(plan.durability, started)?);
    ingress.start_logging(log.clone());
    Ok(log)
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
