//! Where a running app's outputs go: counters, sinks, subscribers' broadcast
//! channels and waiting snapshot queries; and, per stream, the numbered recent
//! outputs a subscriber that reconnects with `Last-Event-ID` resumes from.
//!
//! Output numbers are per stream, counted from the app's first output. The
//! engine is deterministic and a restart replays the ingress log, so the replay
//! numbers the same outputs the same way: a client that saw output 41 before a
//! crash asks for what follows 41 and gets exactly that (what the replay
//! regenerated is kept, not sent again).

use super::metrics::AppCounters;
use parking_lot::Mutex;
use sluice_dataflow::app::{OutputEvent, OutputSource};
use sluice_dataflow::runtime::message::Kind;
use sluice_dataflow::runtime::time::Time;
use sluice_dataflow::value::Row;
use std::collections::{HashMap, VecDeque};
use std::sync::Arc;
use tokio::sync::{broadcast, oneshot};

/// How many output events a subscriber may fall behind before it loses some,
/// and how many recent outputs of each stream are kept for resuming.
pub const SUBSCRIBER_BUFFER: usize = 4096;

/// An output as subscribers receive it.
#[derive(Clone, Debug)]
pub struct Numbered {
    /// Its number in its stream.
    pub n: u64,
    /// Whether a restart's replay regenerated it (only resuming subscribers,
    /// who may have missed it, take it).
    pub replayed: bool,
    /// Its JSON text `{"stream":…,"ts":…,"data":{…}}`.
    pub line: Arc<str>,
}

/// The rows of an answer being collected, and who waits for them.
pub(super) struct PendingAnswer {
    pub(super) rows: Vec<Row>,
    pub(super) reply: oneshot::Sender<Result<Vec<Row>, String>>,
}

/// One stream's outputs: its subscribers and its recent history.
#[derive(Default)]
struct StreamOutputs {
    /// Present once someone subscribed.
    tx: Option<broadcast::Sender<Numbered>>,
    /// The number the next output gets.
    next: u64,
    /// The latest outputs: number, timestamp, values.
    recent: VecDeque<(u64, i64, Row)>,
}

/// What a new subscriber gets: the live channel, and, when it resumes, the
/// outputs it missed that are still kept and how many are not.
pub struct Subscription {
    /// Outputs from now on.
    pub rx: broadcast::Receiver<Numbered>,
    /// The number of the last event a resuming subscriber saw.
    pub after: Option<u64>,
    /// Missed outputs still kept, oldest first.
    pub backlog: Vec<Numbered>,
    /// Missed outputs no longer kept.
    pub lost: u64,
}

/// Where a running app's outputs go.
pub struct Outputs {
    streams: Mutex<HashMap<String, StreamOutputs>>,
    pub(super) answers: Mutex<HashMap<u64, PendingAnswer>>,
    /// Per-stream counters.
    pub counters: Arc<AppCounters>,
    /// The streams queries insert into (what `events_out` counts).
    produced: std::collections::HashSet<String>,
    /// How output events are written as JSON.
    json: crate::json_lines::JsonLines,
    /// The app's sinks (`log`, `file`, `inMemory`, `stream`).
    pub(super) sinks: Mutex<sluice_connectors::sink::Sinks>,
    /// Makes sinks that wait on a failing transport give up (the app stopping).
    pub(super) sinks_give_up: sluice_connectors::sink_error::GiveUp,
    /// Outputs at or before this logical time come from replaying the ingress
    /// log: they were delivered before the restart; they are numbered and kept,
    /// not sent again.
    pub(super) replayed_until: Mutex<Time>,
    /// The failed events of streams with `@OnError(action='STORE')`.
    pub errors: Arc<super::error_store::ErrorStore>,
}

impl Outputs {
    /// Outputs of an app whose queries insert into `produced`, written as `json`.
    pub(super) fn new(
        counters: Arc<AppCounters>,
        produced: std::collections::HashSet<String>,
        json: crate::json_lines::JsonLines,
        sinks: sluice_connectors::sink::Sinks,
    ) -> Outputs {
        Outputs {
            streams: Mutex::new(HashMap::new()),
            answers: Mutex::new(HashMap::new()),
            counters,
            produced,
            json,
            sinks_give_up: sinks.give_up(),
            sinks: Mutex::new(sinks),
            replayed_until: Mutex::new(0),
            errors: Arc::default(),
        }
    }

    /// Every event inserted into `stream` from now on; with `after`, first the
    /// kept outputs numbered above it (a reconnecting SSE client's
    /// `Last-Event-ID`).
    pub fn subscribe(&self, stream: &str, after: Option<u64>) -> Subscription {
        let mut streams = self.streams.lock();
        let s = streams.entry(stream.to_string()).or_default();
        let rx = s.tx.get_or_insert_with(|| broadcast::channel(SUBSCRIBER_BUFFER).0).subscribe();
        let Some(seen) = after else { return Subscription { rx, after, backlog: Vec::new(), lost: 0 } };
        let oldest = s.recent.front().map_or(s.next, |r| r.0);
        let lost = oldest.saturating_sub(seen.saturating_add(1));
        let backlog = s
            .recent
            .iter()
            .filter(|r| r.0 > seen)
            .map(|(n, ts, row)| Numbered { n: *n, replayed: false, line: self.line(stream, row, *ts) })
            .collect();
        Subscription { rx, after, backlog, lost }
    }

    /// Ends every subscription (the app stopped): SSE and WebSocket followers get
    /// the end of their stream.
    pub fn close(&self) {
        for s in self.streams.lock().values_mut() {
            s.tx = None;
        }
    }

    fn line(&self, stream: &str, row: &Row, ts: i64) -> Arc<str> {
        let mut line = Vec::with_capacity(128);
        self.json.event(&mut line, stream, row, ts);
        Arc::from(String::from_utf8_lossy(&line))
    }

    /// Takes one output of the dataflow.
    pub(super) fn deliver(&self, o: OutputEvent) {
        match o.source {
            OutputSource::Stream(stream) => {
                if let Some(failed) = sluice_frontend::logical::stored_errors_of(&stream) {
                    // A replay stores again what the store lost with the restart.
                    self.errors.store(failed, &o.row, o.ts);
                    return;
                }
                let replayed = o.time <= *self.replayed_until.lock();
                let (n, tx) = {
                    let mut streams = self.streams.lock();
                    let s = match streams.get_mut(&stream) {
                        Some(s) => s,
                        None => streams.entry(stream.clone()).or_default(),
                    };
                    let n = s.next;
                    s.next += 1;
                    if s.recent.len() == SUBSCRIBER_BUFFER {
                        s.recent.pop_front();
                    }
                    s.recent.push_back((n, o.ts, o.row.clone()));
                    (n, s.tx.clone().filter(|tx| tx.receiver_count() > 0))
                };
                if replayed {
                    // Sent only for subscribers that resume while the replay runs.
                    if let Some(tx) = tx {
                        let _ = tx.send(Numbered { n, replayed, line: self.line(&stream, &o.row, o.ts) });
                    }
                    return;
                }
                if self.produced.contains(&stream) {
                    self.counters.count_out(&stream, 1);
                }
                {
                    let mut sinks = self.sinks.lock();
                    if sinks.has(&stream) {
                        sinks.send(&stream, &o.row, o.ts);
                    }
                }
                if let Some(tx) = tx {
                    // An error only means nobody listens any more.
                    let _ = tx.send(Numbered { n, replayed, line: self.line(&stream, &o.row, o.ts) });
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
