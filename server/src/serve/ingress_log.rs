//! The ingress log: every batch an app's front door accepts, appended to
//! `DATA_DIR/apps/<app>.log` and made durable before the client hears "accepted",
//! so that a restart (or deactivate/activate, or a crash) rebuilds the app's
//! state by replaying it: the engine is deterministic, so the same input in the
//! same order gives the same windows, tables, patterns and aggregates.
//!
//! Format: an 8-byte header (`SLUICEL1`), then records `[len: u32 LE]
//! [crc32 of payload: u32 LE][payload]`, each payload one batch in bincode.
//! Recovery reads records until the first one that is short (a torn write) or
//! whose checksum does not match (corruption), and cuts the file there: what
//! follows is never replayed as garbage.
//!
//! Group commit: appends go to a buffer under the ingress lock (so the log's
//! order is the queue's order); one writer thread writes whatever accumulated
//! and calls `fsync` once for all of it, then tells every waiting request.

use parking_lot::{Condvar, Mutex};
use serde::{Deserialize, Serialize};
use sluice_dataflow::app::InputItem;
use sluice_dataflow::value::Value;
use std::fs::{File, OpenOptions};
use std::io::{BufReader, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::thread::JoinHandle;

/// The first bytes of every log file.
const MAGIC: &[u8; 8] = b"SLUICEL1";

/// The largest record recovery believes (a longer length is corruption).
const MAX_RECORD: u32 = 1 << 30;

/// How many bytes may wait for the writer before appends are refused (the
/// client retries), so a slow disk pushes back instead of growing memory.
const MAX_PENDING: usize = 64 << 20;

/// How accepted input is kept (`--durability`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Durability {
    /// Logged and `fsync`ed before the answer: survives a crash of the machine.
    Fsync,
    /// Logged (written to the OS) before the answer, not `fsync`ed: survives a
    /// crash of the process, not of the machine.
    Write,
    /// Not logged: a restart starts every app's state empty.
    None,
}

/// One logged input item; on-demand queries are logged only when they write.
#[derive(Serialize)]
enum LoggedRef<'a> {
    Event { stream: &'a str, values: &'a [Value], ts: i64 },
    Tick(i64),
    Write(&'a str),
}

/// [`LoggedRef`] as read back (the same bincode shape).
#[derive(Deserialize)]
enum Logged {
    Event { stream: String, values: Vec<Value>, ts: i64 },
    Tick(i64),
    Write(String),
}

/// Why a batch cannot be appended.
#[derive(Debug, PartialEq, Eq)]
pub enum Unwritable {
    /// Too much waits for the disk: retry later.
    Busy,
    /// The log cannot be written (a full disk, an I/O error).
    Failed(String),
}

/// A batch as one log record's payload: its events, ticks and (when they
/// write) on-demand queries, in bincode.
pub fn encode(batch: &[InputItem], queries_write: bool) -> Result<Vec<u8>, String> {
    let logged: Vec<LoggedRef> = batch
        .iter()
        .filter_map(|item| match item {
            InputItem::Event { stream, values, ts } => Some(LoggedRef::Event { stream, values, ts: *ts }),
            InputItem::Tick(ts) => Some(LoggedRef::Tick(*ts)),
            InputItem::Query { text, .. } if queries_write => Some(LoggedRef::Write(text)),
            InputItem::Query { .. } | InputItem::Flush => None,
        })
        .collect();
    bincode::serialize(&logged).map_err(|e| format!("cannot log a batch: {e}"))
}

/// A place in the log: durable once the writer has made this many bytes durable.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Ticket(u64);

/// What the log holds and how its recovery went, for `GET /v1/apps/{app}`.
#[derive(Clone, Debug, Default, serde::Serialize)]
pub struct LogStats {
    /// Bytes in the log file (durable).
    pub log_bytes: u64,
    /// Records (batches) in it.
    pub records: u64,
    /// Events replayed at the last start.
    pub recovered_events: u64,
    /// Milliseconds the last replay took.
    pub recovery_ms: u64,
    /// Bytes of a torn or corrupt tail cut at the last start.
    pub cut_bytes: u64,
    /// Why the log cannot be written, if it cannot (the app takes no more input).
    pub failure: Option<String>,
}

struct State {
    pending: Vec<u8>,
    /// Bytes appended (written or pending), header included.
    appended: u64,
    /// Bytes known durable.
    durable: u64,
    records: u64,
    failed: Option<String>,
    closed: bool,
}

struct Shared {
    state: Mutex<State>,
    wake_writer: Condvar,
    wake_waiters: Condvar,
    /// `(durable bytes, failed)` for waiters on the async runtime.
    progress: tokio::sync::watch::Sender<(u64, bool)>,
}

/// An app's ingress log, open for appending.
pub struct IngressLog {
    shared: Arc<Shared>,
    writer: Mutex<Option<JoinHandle<()>>>,
    stats: Mutex<LogStats>,
}

/// Reads a log's records for replay and finds where its good part ends.
pub struct Replay {
    reader: BufReader<File>,
    path: PathBuf,
    /// The end of the last good record.
    good_end: u64,
    len: u64,
    records: u64,
    events: u64,
    buf: Vec<u8>,
}

impl Replay {
    /// Opens the log at `path` for replay (an absent log replays nothing).
    pub fn open(path: &Path) -> Result<Replay, String> {
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(path)
            .map_err(|e| format!("cannot open {}: {e}", path.display()))?;
        let len = file.metadata().map_err(|e| format!("cannot read {}: {e}", path.display()))?.len();
        let mut reader = BufReader::with_capacity(1 << 20, file);
        let mut head = [0u8; 8];
        let good_end = if len >= 8 && reader.read_exact(&mut head).is_ok() && &head == MAGIC { 8 } else { 0 };
        Ok(Replay { reader, path: path.to_path_buf(), good_end, len, records: 0, events: 0, buf: Vec::new() })
    }

    /// The next good batch, or `None` at the end of the good part.
    pub fn next_batch(&mut self) -> Option<Vec<InputItem>> {
        if self.good_end == 0 {
            return None;
        }
        let mut head = [0u8; 8];
        self.reader.read_exact(&mut head).ok()?;
        let len = u32::from_le_bytes([head[0], head[1], head[2], head[3]]);
        let crc = u32::from_le_bytes([head[4], head[5], head[6], head[7]]);
        if len > MAX_RECORD || self.good_end + 8 + len as u64 > self.len {
            return None;
        }
        self.buf.resize(len as usize, 0);
        self.reader.read_exact(&mut self.buf).ok()?;
        if crc32fast::hash(&self.buf) != crc {
            return None;
        }
        let logged: Vec<Logged> = bincode::deserialize(&self.buf).ok()?;
        self.good_end += 8 + len as u64;
        self.records += 1;
        let batch: Vec<InputItem> = logged
            .into_iter()
            .map(|l| match l {
                Logged::Event { stream, values, ts } => InputItem::Event { stream, values, ts },
                Logged::Tick(ts) => InputItem::Tick(ts),
                // Id 0 answers nobody: the write happens again, its rows go nowhere.
                Logged::Write(text) => InputItem::Query { id: 0, text },
            })
            .collect();
        self.events += batch.iter().filter(|i| matches!(i, InputItem::Event { .. })).count() as u64;
        Some(batch)
    }

    /// Ends the replay: cuts a torn or corrupt tail and opens the log for
    /// appending after the good part, written by a thread of its own.
    pub fn into_log(self, durability: Durability, started: std::time::Instant) -> Result<IngressLog, String> {
        let Replay { reader, path, good_end, len, records, events, .. } = self;
        let mut file = reader.into_inner();
        let fail = |e: std::io::Error| format!("cannot prepare {}: {e}", path.display());
        let cut = len.saturating_sub(good_end.max(8));
        if cut > 0 || good_end == 0 {
            if cut > 0 {
                eprintln!(
                    "sluice serve: {}: cut {cut} bytes of a torn or corrupt tail at byte {}",
                    path.display(),
                    good_end.max(8)
                );
            }
            if good_end == 0 {
                file.set_len(0).map_err(fail)?;
                file.seek(SeekFrom::Start(0)).map_err(fail)?;
                file.write_all(MAGIC).map_err(fail)?;
            }
            file.set_len(good_end.max(8)).map_err(fail)?;
            file.sync_all().map_err(fail)?;
        }
        file.seek(SeekFrom::Start(good_end.max(8))).map_err(fail)?;
        let end = good_end.max(8);
        let stats = LogStats {
            log_bytes: end,
            records,
            recovered_events: events,
            recovery_ms: started.elapsed().as_millis() as u64,
            cut_bytes: cut,
            failure: None,
        };
        Ok(IngressLog::start(file, end, records, durability, stats, path))
    }
}

impl IngressLog {
    fn start(file: File, end: u64, records: u64, durability: Durability, stats: LogStats, path: PathBuf) -> IngressLog {
        let shared = Arc::new(Shared {
            state: Mutex::new(State {
                pending: Vec::new(),
                appended: end,
                durable: end,
                records,
                failed: None,
                closed: false,
            }),
            wake_writer: Condvar::new(),
            wake_waiters: Condvar::new(),
            progress: tokio::sync::watch::channel((end, false)).0,
        });
        let writer = {
            let shared = shared.clone();
            let sync = durability == Durability::Fsync;
            std::thread::Builder::new()
                .name("app-log".into())
                .spawn(move || write_loop(&shared, file, sync, &path))
                .ok()
        };
        IngressLog { shared, writer: Mutex::new(writer), stats: Mutex::new(stats) }
    }

    /// Whether a batch may be appended now: not when the log failed (the app
    /// takes no more input) or when too much waits for the disk (retry later).
    pub fn admit(&self) -> Result<(), Unwritable> {
        let state = self.shared.state.lock();
        match &state.failed {
            Some(f) => Err(Unwritable::Failed(f.clone())),
            None if state.pending.len() > MAX_PENDING => Err(Unwritable::Busy),
            None => Ok(()),
        }
    }

    /// Appends one batch as [`encode`]d; the ticket is durable once
    /// [`IngressLog::wait`] says so.
    pub fn commit(&self, payload: &[u8]) -> Result<Ticket, String> {
        let mut state = self.shared.state.lock();
        if let Some(f) = &state.failed {
            return Err(f.clone());
        }
        state.pending.extend_from_slice(&(payload.len() as u32).to_le_bytes());
        state.pending.extend_from_slice(&crc32fast::hash(payload).to_le_bytes());
        state.pending.extend_from_slice(payload);
        state.appended += 8 + payload.len() as u64;
        state.records += 1;
        let ticket = Ticket(state.appended);
        drop(state);
        self.shared.wake_writer.notify_one();
        Ok(ticket)
    }

    /// Why the log cannot be written, if it cannot.
    pub fn failure(&self) -> Option<String> {
        self.shared.state.lock().failed.clone()
    }

    /// Waits, on the async runtime, until `ticket` is durable.
    pub async fn wait(&self, ticket: Ticket) -> Result<(), String> {
        let mut rx = self.shared.progress.subscribe();
        let reached = rx.wait_for(|(durable, failed)| *durable >= ticket.0 || *failed).await.map(|p| p.0 >= ticket.0);
        match reached {
            Ok(true) => Ok(()),
            _ => Err(self.failure().unwrap_or_else(|| "the ingress log closed".into())),
        }
    }

    /// Waits, blocking the thread, until `ticket` is durable.
    #[cfg(test)]
    pub fn wait_blocking(&self, ticket: Ticket) -> Result<(), String> {
        let mut state = self.shared.state.lock();
        while state.durable < ticket.0 {
            if let Some(f) = &state.failed {
                return Err(f.clone());
            }
            if state.closed && state.pending.is_empty() {
                return Err("the ingress log closed".into());
            }
            self.shared.wake_waiters.wait(&mut state);
        }
        Ok(())
    }

    /// What the log holds and how its recovery went.
    pub fn stats(&self) -> LogStats {
        let state = self.shared.state.lock();
        let mut stats = self.stats.lock().clone();
        stats.log_bytes = state.durable;
        stats.records = state.records;
        stats.failure = state.failed.clone();
        stats
    }

    /// Writes what is pending, makes it durable and stops the writer.
    pub fn close(&self) {
        self.shared.state.lock().closed = true;
        self.shared.wake_writer.notify_one();
        if let Some(h) = self.writer.lock().take() {
            let _ = h.join();
        }
    }
}

impl Drop for IngressLog {
    fn drop(&mut self) {
        self.close();
    }
}

/// The writer thread: writes what accumulated, makes it durable, tells waiters.
fn write_loop(shared: &Shared, mut file: File, sync: bool, path: &Path) {
    let mut spare = Vec::new();
    loop {
        let (mut chunk, end) = {
            let mut state = shared.state.lock();
            while state.pending.is_empty() && !state.closed {
                shared.wake_writer.wait(&mut state);
            }
            if state.pending.is_empty() {
                break;
            }
            (std::mem::replace(&mut state.pending, std::mem::take(&mut spare)), state.appended)
        };
        let written = file.write_all(&chunk).and_then(|()| if sync { file.sync_data() } else { Ok(()) });
        chunk.clear();
        spare = chunk;
        let mut state = shared.state.lock();
        match written {
            Ok(()) => state.durable = end,
            Err(e) => {
                let reason = format!("cannot write the ingress log {}: {e}", path.display());
                eprintln!("sluice serve: {reason}");
                state.failed = Some(reason);
            }
        }
        let progress = (state.durable, state.failed.is_some());
        let failed = state.failed.is_some();
        drop(state);
        shared.progress.send_replace(progress);
        shared.wake_waiters.notify_all();
        if failed {
            break;
        }
    }
    // Whoever still waits learns that nothing more will be written.
    shared.wake_waiters.notify_all();
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(i: i64) -> InputItem {
        InputItem::Event { stream: "S".into(), values: vec![Value::Long(i), Value::String("x".into())], ts: i }
    }

    fn replay_all(path: &Path) -> (Vec<Vec<InputItem>>, IngressLog) {
        let mut replay = Replay::open(path).unwrap();
        let mut batches = Vec::new();
        while let Some(b) = replay.next_batch() {
            batches.push(b);
        }
        (batches, replay.into_log(Durability::Fsync, std::time::Instant::now()).unwrap())
    }

    fn events_of(batches: &[Vec<InputItem>]) -> Vec<i64> {
        batches
            .iter()
            .flatten()
            .filter_map(|i| match i {
                InputItem::Event { ts, .. } => Some(*ts),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn batches_come_back_in_order_and_a_torn_or_flipped_tail_is_cut() {
        let dir = std::env::temp_dir().join(format!("sluice-log-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("a.log");
        let _ = std::fs::remove_file(&path);
        let (none, log) = replay_all(&path);
        assert!(none.is_empty());
        for i in 0..10 {
            let batch = [event(2 * i), InputItem::Tick(2 * i + 1), InputItem::Query { id: 9, text: "q".into() }];
            let ticket = log.commit(&encode(&batch, i == 0).unwrap()).unwrap();
            log.wait_blocking(ticket).unwrap();
        }
        log.close();
        let (batches, log) = replay_all(&path);
        assert_eq!(batches.len(), 10);
        assert_eq!(events_of(&batches), (0..10).map(|i| 2 * i).collect::<Vec<_>>());
        // Only the first batch logged its query (it wrote); replayed queries answer nobody.
        assert!(matches!(&batches[0][2], InputItem::Query { id: 0, text } if text == "q"));
        assert_eq!(batches[1].len(), 2);
        log.close();
        drop(log);
        // A torn tail: the last record loses its last byte.
        let len = std::fs::metadata(&path).unwrap().len();
        OpenOptions::new().write(true).open(&path).unwrap().set_len(len - 1).unwrap();
        let (batches, log) = replay_all(&path);
        assert_eq!(batches.len(), 9);
        assert!(log.stats().cut_bytes > 0);
        drop(log);
        // A flipped bit in the (new) last record: it and nothing after is replayed.
        let mut bytes = std::fs::read(&path).unwrap();
        let n = bytes.len();
        bytes[n - 3] ^= 0x10;
        std::fs::write(&path, &bytes).unwrap();
        let (batches, log) = replay_all(&path);
        assert_eq!(events_of(&batches), (0..8).map(|i| 2 * i).collect::<Vec<_>>());
        // Appending after a cut continues the good part.
        let t = log.commit(&encode(&[event(100)], false).unwrap()).unwrap();
        log.wait_blocking(t).unwrap();
        drop(log);
        let (batches, _log) = replay_all(&path);
        assert_eq!(events_of(&batches).last(), Some(&100));
        assert_eq!(batches.len(), 9);
    }
}
