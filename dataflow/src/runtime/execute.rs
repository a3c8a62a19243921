//! Runs a [`Graph`] over a finite, already sequenced input on N workers, handing
//! what the observed streams and nodes produce to a callback in logical-time order.

use super::build::{build_graph, Output};
use super::graph::Graph;
use super::message::{clock_row, Kind, Msg, CLOCK, FLUSH, ON_DEMAND};
use super::time::{millis, Epoch, Time};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use timely::dataflow::InputHandleVec;

/// One input step: an event or a clock tick, at its logical time.
#[derive(Clone, Debug)]
pub struct Step {
    /// Its logical time (strictly increasing along the input).
    pub time: Time,
    /// The message (`stream == TICK` for a tick).
    pub msg: Msg,
}

/// How many input steps share one timely epoch.
const EPOCH_SIZE: usize = 1024;

/// How many epochs worker 0 sends before letting the dataflow catch up, which
/// bounds the memory held in flight.
const CATCH_UP_EVERY: u64 = 4;

/// Runs `graph` over `steps` with `workers` threads; returns the observed outputs
/// in logical-time order.
pub fn run_to_completion(graph: Graph, steps: Vec<Step>, workers: impl Into<Workers>) -> Result<Vec<Output>, String> {
    let mut outputs = Vec::new();
    run_streaming(graph, steps.into_iter(), workers, |o| outputs.push(o))?;
    Ok(outputs)
}

/// Where a dataflow's timely workers run: threads in this process and, for a
/// cluster, this process's place among the others (timely's own cluster mode).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Workers {
    /// Worker threads in this process.
    pub threads: usize,
    /// The cluster, when the workers span several processes.
    pub cluster: Option<Cluster>,
}

/// A timely cluster: every process runs the same dataflow; process 0 owns the
/// input (worker 0 sequences it) and receives the observed outputs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cluster {
    /// This process's index into `addresses`.
    pub process: usize,
    /// `host:port` of every process, where timely's processes connect to each other.
    pub addresses: Vec<String>,
}

impl From<usize> for Workers {
    fn from(threads: usize) -> Workers {
        Workers { threads, cluster: None }
    }
}

impl Workers {
    /// Whether this process feeds the input and sees the outputs (worker 0 is here).
    pub fn is_leader(&self) -> bool {
        self.cluster.as_ref().is_none_or(|c| c.process == 0)
    }

    fn timely_config(&self) -> timely::Config {
        let threads = self.threads.max(1);
        match &self.cluster {
            None => timely::Config::process(threads),
            Some(c) => timely::Config {
                communication: timely::CommunicationConfig::Cluster {
                    threads,
                    process: c.process,
                    addresses: c.addresses.clone(),
                    report: false,
                    zerocopy: false,
                },
                worker: timely::WorkerConfig::default(),
            },
        }
    }
}

/// How many observed outputs may wait for the caller's callback: when it falls
/// behind, worker 0 waits (back-pressure) instead of queueing without bound.
const OUTPUT_QUEUE: usize = 16 * 1024;

/// Runs `graph` over the steps an iterator produces (lazily, on worker 0) and calls
/// `on_output` for each observed output, in logical-time order, on this thread.
/// In a cluster, only process 0 consumes `steps` and sees outputs; the others
/// run their share of the workers and return when process 0's input ends.
pub fn run_streaming<I>(
    graph: Graph,
    steps: I,
    workers: impl Into<Workers>,
    on_output: impl FnMut(Output),
) -> Result<(), String>
where
    I: Iterator<Item = Step> + Send + 'static,
{
    run_streaming_with_idle(graph, steps, workers, on_output, || {})
}

/// [`run_streaming`], calling `on_idle` whenever no output is waiting (a writer
/// flushes its buffer there, rather than after every output).
pub fn run_streaming_with_idle<I>(
    graph: Graph,
    steps: I,
    workers: impl Into<Workers>,
    mut on_output: impl FnMut(Output),
    mut on_idle: impl FnMut(),
) -> Result<(), String>
where
    I: Iterator<Item = Step> + Send + 'static,
{
    let workers: Workers = workers.into();
    let graph = Arc::new(GraphCell(graph));
    let steps = Arc::new(Mutex::new(Some(steps)));
    let (tx, rx) = mpsc::sync_channel(OUTPUT_QUEUE);
    let tx = Mutex::new(Some(tx));
    let errors = Arc::new(Mutex::new(None::<String>));
    let worker_errors = errors.clone();
    let config = workers.timely_config();
    let guards = timely::execute(config, move |worker| {
        let index = worker.index();
        let sink = if index == 0 { tx.lock().expect("sender").take() } else { None };
        let mut input = InputHandleVec::new();
        let built = worker.dataflow::<Epoch, _, _>(|scope| build_graph(&scope, &mut input, &graph.0, sink));
        let probe = match built {
            Ok(p) => p,
            Err(e) => {
                *worker_errors.lock().expect("errors") = Some(e);
                return;
            }
        };
        if index == 0 {
            let iter = steps.lock().expect("steps").take();
            let mut in_epoch = 0usize;
            let mut clock = ClockAdvances::default();
            for step in iter.into_iter().flatten() {
                if step.msg.stream == FLUSH {
                    clock.send(&mut input);
                    let next = *input.time() + 1;
                    input.advance_to(next);
                    in_epoch = 0;
                    while probe.less_than(input.time()) {
                        worker.step();
                    }
                    continue;
                }
                let tick = step.msg.is_tick();
                clock.observe(step.time, &step.msg);
                let mut msg = step.msg;
                msg.time = step.time;
                input.send(msg);
                in_epoch += 1;
                // An epoch closes after EPOCH_SIZE steps, or at a clock tick so that
                // live outputs leave without waiting for more input.
                if in_epoch == EPOCH_SIZE || tick {
                    clock.send(&mut input);
                    let next = *input.time() + 1;
                    input.advance_to(next);
                    in_epoch = 0;
                    if tick || next.is_multiple_of(CATCH_UP_EVERY) {
                        while probe.less_than(input.time()) {
                            worker.step();
                        }
                    }
                }
            }
            clock.send(&mut input);
        }
        input.close();
        // Workers other than 0 spend the run here: parked until messages arrive,
        // rather than spinning while a live input is idle.
        while worker.step_or_park(None) {}
    })
    .map_err(|e| format!("the dataflow could not start: {e}"))?;
    loop {
        match rx.try_recv() {
            Ok(output) => on_output(output),
            Err(mpsc::TryRecvError::Empty) => {
                on_idle();
                match rx.recv() {
                    Ok(output) => on_output(output),
                    Err(_) => break,
                }
            }
            Err(mpsc::TryRecvError::Disconnected) => break,
        }
    }
    on_idle();
    let results = guards.join();
    if let Some(e) = errors.lock().expect("errors").take() {
        return Err(e);
    }
    for r in results {
        r.map_err(|e| format!("a worker failed: {e}"))?;
    }
    Ok(())
}

/// The logical times at which events of the current epoch moved the clock
/// forward, sent as one [`CLOCK`] message when the epoch closes.
#[derive(Default)]
struct ClockAdvances {
    last_ms: Option<i64>,
    times: Vec<Time>,
}

impl ClockAdvances {
    /// Notes the step at `time`: an event later than the clock advances it (a
    /// tick moves the clock too, but reaches every stateful node itself).
    fn observe(&mut self, time: Time, msg: &Msg) {
        let ms = millis(time);
        if self.last_ms.is_some_and(|last| ms <= last) {
            return;
        }
        self.last_ms = Some(ms);
        if !msg.is_tick() && msg.stream != ON_DEMAND {
            self.times.push(time);
        }
    }

    /// Sends the epoch's advances, if any.
    fn send(&mut self, input: &mut InputHandleVec<Epoch, Msg>) {
        let Some(&first) = self.times.first() else { return };
        input.send(Msg {
            time: first,
            stream: CLOCK,
            order: Vec::new(),
            ts: millis(first),
            kind: Kind::Current,
            row: clock_row(&self.times),
        });
        self.times.clear();
    }
}

/// Lets a graph (whose processor factories are `Send + Sync`) cross into workers.
struct GraphCell(Graph);
