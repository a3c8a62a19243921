//! The front door of a running app: the bounded queue in front of its dataflow,
//! where every event, tick and on-demand query gets its logical time.

use super::ingress_log::{self, IngressLog, Replay, Ticket, Unwritable};
use parking_lot::Mutex;
use sluice_dataflow::app::InputItem;
use sluice_dataflow::runtime::time::{self, Sequencer};
use sluice_dataflow::trigger::TriggerClock;
use sluice_dataflow::value::Value;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{SyncSender, TrySendError};
use std::sync::Arc;
use std::time::Duration;

/// How often a live app's clock ticks (ms), so that time windows expire with no
/// new events.
pub(super) const TICK_MS: u64 = 100;

/// How many batches the ingress queue holds (the event limit is the real bound).
pub(super) const QUEUE_BATCHES: usize = 4096;

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
    /// The ingress log cannot be written (507): the app takes no more input
    /// until it is deactivated and activated, which recovers what was durable.
    Storage(String),
}

/// A batch the door accepted.
pub struct Accepted {
    /// The logical times of its first and last event (none for an empty batch).
    pub range: Option<(LogicalTime, LogicalTime)>,
    /// What to wait for before telling the client (none without a log).
    pub durable: Option<Durable>,
}

/// A logged batch on its way to the disk.
pub struct Durable {
    log: Arc<IngressLog>,
    ticket: Ticket,
}

impl Durable {
    /// Waits on the async runtime until the batch is durable.
    pub async fn wait(self) -> Result<(), String> {
        self.log.wait(self.ticket).await
    }
}

/// How a batch enters the queue.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Entry {
    /// New input: logged, refused when the queue is full.
    New {
        /// Whether its on-demand queries write (and so are logged).
        queries_write: bool,
    },
    /// Input read back from the log: not logged again, waits for room.
    Replay,
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
    /// Why the app stopped taking input on its own (shared with the running app).
    failure: Arc<Mutex<Option<String>>>,
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
    /// Where accepted batches are logged (none: `--durability none`, a
    /// follower, or while the log is replayed).
    log: Option<Arc<IngressLog>>,
}

fn wall_clock_ms() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_millis() as i64)
}

impl Ingress {
    /// A door feeding `tx` (`None`: a cluster follower, fed by the leader), with
    /// the app's `triggers`, holding at most `capacity` events (counted in
    /// `in_flight`, which the dataflow's feeder decrements).
    pub(super) fn new(
        tx: Option<SyncSender<Vec<InputItem>>>,
        triggers: TriggerClock,
        in_flight: Arc<AtomicUsize>,
        capacity: usize,
        playback: bool,
        failure: Arc<Mutex<Option<String>>>,
    ) -> Ingress {
        Ingress {
            state: Mutex::new(IngressState {
                sequencer: Sequencer::new(),
                triggers,
                tx,
                last_input: None,
                last_tick_ms: i64::MIN,
                log: None,
            }),
            in_flight,
            capacity: capacity.max(1),
            playback,
            failure,
        }
    }

    /// Feeds what `replay` reads from the log through the door as it first came
    /// (same logical times, same trigger firings), then logs new input to `log`.
    /// Returns the last logical time replayed and how many batches.
    pub(super) fn replay(&self, replay: &mut Replay) -> Result<time::Time, Refused> {
        let mut state = self.state.lock();
        while let Some(batch) = replay.next_batch() {
            let events = batch.iter().filter(|i| matches!(i, InputItem::Event { .. })).count();
            self.enqueue(&mut state, batch, events, Entry::Replay)?;
        }
        Ok(state.sequencer.last())
    }

    /// From now on, accepted batches are logged to `log`.
    pub(super) fn start_logging(&self, log: Arc<IngressLog>) {
        self.state.lock().log = Some(log);
    }

    /// Stamps `batch` with logical times and queues it, whole or not at all, and
    /// logs it; a refused batch takes no time. `events` of its items count
    /// against the queue.
    fn enqueue(
        &self,
        state: &mut IngressState,
        batch: Vec<InputItem>,
        events: usize,
        entry: Entry,
    ) -> Result<(Vec<time::Time>, Option<Durable>), Refused> {
        let Some(tx) = &state.tx else { return Err(Refused::Stopped) };
        // The batch as it came (before triggers fire: replay fires them again).
        let logged = match (&state.log, entry) {
            (Some(log), Entry::New { queries_write }) => {
                match log.admit() {
                    Ok(()) => {}
                    Err(Unwritable::Busy) => return Err(Refused::Busy),
                    Err(Unwritable::Failed(reason)) => {
                        // What the dataflow took since the last durable write is not
                        // in the log: the app fails, and an activation replays the log.
                        state.tx = None;
                        *self.failure.lock() = Some(reason.clone());
                        return Err(Refused::Storage(reason));
                    }
                }
                Some((log.clone(), ingress_log::encode(&batch, queries_write).map_err(Refused::Storage)?))
            }
            _ => None,
        };
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
        let sent = match entry {
            Entry::Replay => tx.send(items).map_err(|_| Refused::Stopped),
            Entry::New { .. } => tx.try_send(items).map_err(|e| match e {
                TrySendError::Full(_) => Refused::Busy,
                TrySendError::Disconnected(_) => Refused::Stopped,
            }),
        };
        if let Err(refused) = sent {
            self.in_flight.fetch_sub(events, Ordering::AcqRel);
            return Err(refused);
        }
        state.sequencer = sequencer;
        if let Some(clock) = triggers {
            state.triggers = clock;
        }
        let Some((log, payload)) = logged else { return Ok((times, None)) };
        match log.commit(&payload) {
            Ok(ticket) => Ok((times, Some(Durable { log, ticket }))),
            Err(reason) => {
                // The dataflow has a batch the log lacks: no more input until a
                // restart replays what is durable.
                state.tx = None;
                *self.failure.lock() = Some(reason.clone());
                Err(Refused::Storage(reason))
            }
        }
    }

    /// Queues `events` as one batch, whole or not at all; returns the logical times
    /// of the first and last.
    pub fn push(&self, events: Vec<NewEvent>) -> Result<Accepted, Refused> {
        if events.is_empty() {
            return Ok(Accepted { range: None, durable: None });
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
        let (times, durable) = self.enqueue(&mut state, batch, n, Entry::New { queries_write: false })?;
        if catch_up {
            state.last_tick_ms = now;
        }
        let times = &times[usize::from(catch_up)..];
        state.last_input = Some(std::time::Instant::now());
        let range = times.first().zip(times.last()).map(|(a, b)| (LogicalTime::of(*a), LogicalTime::of(*b)));
        Ok(Accepted { range, durable })
    }

    /// Queues an on-demand query (logged when it `writes`); returns the logical
    /// time it is answered at.
    pub(super) fn push_query(
        &self,
        id: u64,
        text: String,
        writes: bool,
    ) -> Result<(LogicalTime, Option<Durable>), Refused> {
        let mut state = self.state.lock();
        let mut batch = Vec::with_capacity(2);
        // A live app's snapshot is as of now: the clock moves first, so time
        // windows have expired what they should and `as_of` names the wall clock.
        let ticked = (!self.playback).then(wall_clock_ms);
        if let Some(now) = ticked {
            batch.push(InputItem::Tick(now.max(state.sequencer.now())));
        }
        batch.push(InputItem::Query { id, text });
        let (times, durable) = self.enqueue(&mut state, batch, 0, Entry::New { queries_write: writes })?;
        if let Some(now) = ticked {
            state.last_tick_ms = now;
        }
        Ok((LogicalTime::of(times.last().copied().unwrap_or_default()), durable))
    }

    /// Moves a live app's clock to the wall clock when that releases something:
    /// at the first call (`at 'start'` triggers), when the earliest deadline of
    /// the app's processors (`earliest`, from its [`DeadlineBoard`]) has come, or
    /// when a trigger is due. An idle app is not ticked, so it costs no CPU; its
    /// next batch of events moves the clock first ([`Ingress::push`]). Skipped
    /// when the queue is full (the events in it move the clock anyway). False
    /// once the queue is closed.
    pub(super) fn tick_if_due(&self, earliest: Option<i64>) -> bool {
        let mut state = self.state.lock();
        if state.tx.is_none() {
            return false;
        }
        let now = wall_clock_ms();
        let due = state.last_tick_ms == i64::MIN || earliest.is_some_and(|d| d <= now) || state.triggers.due_by(now);
        if !due {
            return true;
        }
        match self.enqueue(&mut state, vec![InputItem::Tick(now)], 0, Entry::New { queries_write: false }) {
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
    pub(super) fn heartbeat(&self, idle: Duration, increment_ms: i64) -> Option<Duration> {
        let mut state = self.state.lock();
        let Some(last) = state.last_input else { return Some(idle) };
        let quiet = last.elapsed();
        if quiet < idle {
            return Some(idle - quiet);
        }
        let to = state.sequencer.now().saturating_add(increment_ms);
        match self.enqueue(&mut state, vec![InputItem::Tick(to)], 0, Entry::New { queries_write: false }) {
            Err(Refused::Stopped) => None,
            // A full queue holds events that move the clock anyway.
            _ => {
                state.last_input = Some(std::time::Instant::now());
                Some(idle)
            }
        }
    }

    /// Closes the queue: the dataflow finishes what is queued and stops.
    pub(super) fn close(&self) {
        self.state.lock().tx = None;
    }

    /// How many events the queue holds at most.
    pub fn capacity(&self) -> usize {
        self.capacity
    }

    /// Events waiting in the queue.
    pub fn depth(&self) -> usize {
        self.in_flight.load(Ordering::Acquire)
    }

    /// The milliseconds of the latest logical time handed out.
    pub fn now(&self) -> i64 {
        self.state.lock().sequencer.now()
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
        let ingress =
            Ingress::new(Some(tx), TriggerClock::default(), Arc::new(AtomicUsize::new(0)), 10, true, Arc::default());
        let (from, to) = ingress.push(events(7)).unwrap().range.unwrap();
        assert_eq!((from.seq, to.seq, to.ts), (1, 7, 6));
        assert_eq!(ingress.push(events(7)).err(), Some(Refused::Busy));
        assert_eq!(ingress.push(events(11)).err(), Some(Refused::TooLarge { events: 11, capacity: 10 }));
        assert_eq!(ingress.depth(), 7);
        // A refused batch takes no logical time.
        let (from, _) = ingress.push(events(3)).unwrap().range.unwrap();
        assert_eq!(from.seq, 8);
        assert_eq!(rx.try_iter().map(|b| b.len()).collect::<Vec<_>>(), [7, 3]);
        ingress.close();
        assert_eq!(ingress.push(events(1)).err(), Some(Refused::Stopped));
    }
}
