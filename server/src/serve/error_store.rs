//! The error store of an app: the events of streams with
//! `@OnError(action='STORE')` whose processing failed, kept so that a user can
//! list them, send them again and discard them, as the reference's error store
//! (`ErrorStore`, `ErrorOccurrence.STORE_ON_STREAM_ERROR`) keeps them for its
//! tooling.
//!
//! The engine writes each failed event, with its error, to the stream's internal
//! stream `!!S` ([`sluice_frontend::logical::error_store_stream`]); the app's
//! outputs hand those to this store instead of to subscribers and sinks. The
//! store is in memory and bounded ([`CAPACITY`] entries per app; when full, the
//! oldest entry goes and `dropped` counts it). After a restart it holds again the
//! failures of the replayed ingress log (discarded entries included: the log
//! holds the events, not what was done with their errors).
//!
//! Routes (write role for changes): `GET /v1/apps/{app}/errors`,
//! `DELETE /v1/apps/{app}/errors`, `DELETE /v1/apps/{app}/errors/{id}`,
//! `POST /v1/apps/{app}/errors/{id}/replay` (the event goes to its stream again,
//! through the ingress log, and leaves the store).

use super::error::ApiError;
use super::manager::AppManager;
use super::routes::{answer, json};
use parking_lot::Mutex;
use sluice_dataflow::value::{Row, Value};
use std::collections::VecDeque;
use std::sync::Arc;
use warp::filters::BoxedFilter;
use warp::http::StatusCode;
use warp::reply::Response;
use warp::Filter;

/// How many failed events an app's store keeps.
pub const CAPACITY: usize = 10_000;

/// One failed event.
#[derive(Clone, Debug)]
pub struct StoredError {
    /// Its number in the store (from 1).
    pub id: u64,
    /// The stream it was sent to.
    pub stream: String,
    /// Its timestamp (ms).
    pub ts: i64,
    /// Its attributes.
    pub row: Row,
    /// Why it failed.
    pub error: String,
}

/// An app's failed events, oldest first.
#[derive(Default)]
pub struct ErrorStore {
    inner: Mutex<Entries>,
}

#[derive(Default)]
struct Entries {
    kept: VecDeque<StoredError>,
    next_id: u64,
    dropped: u64,
}

impl ErrorStore {
    /// Keeps the failed event `row` of `stream` (its last value is the error).
    pub fn store(&self, stream: &str, row: &Row, ts: i64) {
        let (error, values) = match row.split_last() {
            Some((Value::String(e), values)) => (e.to_string(), values),
            Some((e, values)) => (e.to_string(), values),
            None => (String::new(), &row[..]),
        };
        let mut e = self.inner.lock();
        e.next_id += 1;
        let id = e.next_id;
        if e.kept.len() == CAPACITY {
            e.kept.pop_front();
            e.dropped += 1;
        }
        e.kept.push_back(StoredError { id, stream: stream.to_string(), ts, row: values.into(), error });
    }

    /// The kept entries (of `stream` only, when given), oldest first, and how many
    /// were dropped for room.
    pub fn list(&self, stream: Option<&str>) -> (Vec<StoredError>, u64) {
        let e = self.inner.lock();
        (e.kept.iter().filter(|x| stream.is_none_or(|s| x.stream == s)).cloned().collect(), e.dropped)
    }

    /// Removes entry `id`, returning it.
    pub fn take(&self, id: u64) -> Option<StoredError> {
        let mut e = self.inner.lock();
        let at = e.kept.iter().position(|x| x.id == id)?;
        e.kept.remove(at)
    }

    /// Puts back an entry taken with [`ErrorStore::take`] (its replay was refused).
    pub fn put_back(&self, entry: StoredError) {
        let mut e = self.inner.lock();
        let at = e.kept.iter().position(|x| x.id > entry.id).unwrap_or(e.kept.len());
        e.kept.insert(at, entry);
    }

    /// Discards every entry; returns how many there were.
    pub fn clear(&self) -> usize {
        let mut e = self.inner.lock();
        let n = e.kept.len();
        e.kept.clear();
        n
    }
}

/// An entry as the API shows it, with the stream's attribute names.
fn entry_json(x: &StoredError, names: &[String]) -> serde_json::Value {
    let event: serde_json::Map<String, serde_json::Value> =
        names.iter().cloned().zip(x.row.iter().map(Value::to_json)).collect();
    serde_json::json!({"id": x.id, "stream": x.stream, "ts": x.ts, "event": event, "error": x.error})
}

/// The store of running app `name`.
fn store_of(m: &AppManager, name: &str) -> Result<(Arc<super::manager::ManagedApp>, Arc<ErrorStore>), ApiError> {
    let app = m.get(name)?;
    let running = super::routes::running(&app)?;
    let store = running.outputs.errors.clone();
    Ok((app, store))
}

fn no_entry(name: &str, id: u64) -> ApiError {
    ApiError::new(StatusCode::NOT_FOUND, "not_found", format!("app '{name}' has no stored error {id}"))
}

/// The error store's routes (see the module doc).
pub fn routes(m: BoxedFilter<(Arc<AppManager>,)>) -> BoxedFilter<(Response,)> {
    let list = warp::path!("v1" / "apps" / String / "errors")
        .and(warp::get())
        .and(m.clone())
        .and(warp::query::<std::collections::HashMap<String, String>>())
        .map(|name: String, m: Arc<AppManager>, q: std::collections::HashMap<String, String>| {
            answer(store_of(&m, &name).map(|(app, store)| {
                let (entries, dropped) = store.list(q.get("stream").map(String::as_str));
                let shown: Vec<serde_json::Value> =
                    entries.iter().map(|x| entry_json(x, &app.compiled.attribute_names(&x.stream))).collect();
                json(StatusCode::OK, serde_json::json!({"errors": shown, "dropped": dropped}))
            }))
            .unwrap_or_else(|never| match never {})
        });
    let clear = warp::path!("v1" / "apps" / String / "errors").and(warp::delete()).and(m.clone()).map(
        |name: String, m: Arc<AppManager>| {
            answer(
                store_of(&m, &name)
                    .map(|(_, store)| json(StatusCode::OK, serde_json::json!({"discarded": store.clear()}))),
            )
            .unwrap_or_else(|never| match never {})
        },
    );
    let discard = warp::path!("v1" / "apps" / String / "errors" / u64).and(warp::delete()).and(m.clone()).map(
        |name: String, id: u64, m: Arc<AppManager>| {
            answer(store_of(&m, &name).and_then(|(_, store)| match store.take(id) {
                Some(_) => Ok(json(StatusCode::OK, serde_json::json!({"discarded": 1}))),
                None => Err(no_entry(&name, id)),
            }))
            .unwrap_or_else(|never| match never {})
        },
    );
    let replay = warp::path!("v1" / "apps" / String / "errors" / u64 / "replay").and(warp::post()).and(m).and_then(
        |name: String, id: u64, m: Arc<AppManager>| async move {
            let taken = store_of(&m, &name).and_then(|(app, store)| match store.take(id) {
                Some(x) => Ok((app, store, x)),
                None => Err(no_entry(&name, id)),
            });
            let result = match taken {
                Ok((app, store, x)) => {
                    let names = app.compiled.attribute_names(&x.stream);
                    let body = entry_json(&x, &names)["event"].to_string();
                    match super::routes::ingest_events(&m, &name, &x.stream, Some("application/json"), body.as_bytes())
                    {
                        Ok((_, durable)) => {
                            let done = match durable {
                                Some(d) => d.wait().await.map_err(super::routes::storage),
                                None => Ok(()),
                            };
                            done.map(|()| json(StatusCode::OK, serde_json::json!({"replayed": id, "stream": x.stream})))
                        }
                        Err(e) => {
                            store.put_back(x);
                            Err(e)
                        }
                    }
                }
                Err(e) => Err(e),
            };
            answer(result)
        },
    );
    list.or(clear).unify().or(discard).unify().or(replay).unify().boxed()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(v: i64, e: &str) -> Row {
        Arc::from(vec![Value::Long(v), Value::string(e)])
    }

    #[test]
    fn keeps_lists_takes_and_bounds_entries() {
        let s = ErrorStore::default();
        s.store("S", &row(1, "boom"), 10);
        s.store("T", &row(2, "bang"), 11);
        let (all, dropped) = s.list(None);
        assert_eq!((all.len(), dropped), (2, 0));
        assert_eq!((all[0].id, all[0].error.as_str(), &all[0].row[..]), (1, "boom", &[Value::Long(1)][..]));
        assert_eq!(s.list(Some("T")).0[0].id, 2);
        let taken = s.take(1).expect("entry 1");
        assert!(s.take(1).is_none());
        s.put_back(taken);
        assert_eq!(s.list(None).0.iter().map(|x| x.id).collect::<Vec<_>>(), vec![1, 2]);
        for i in 0..CAPACITY as i64 {
            s.store("S", &row(i, "e"), i);
        }
        let (all, dropped) = s.list(None);
        assert_eq!((all.len(), dropped, all[0].id), (CAPACITY, 2, 3));
        assert_eq!(s.clear(), CAPACITY);
    }
}
