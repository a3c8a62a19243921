//! The HTTP routes (documented in `docs/http-api.md` and `docs/openapi.yaml`).

use super::auth::{self, Keys, Refusal, Role};
use super::error::ApiError;
use super::follow::{deliveries, pump_ws, relay_ws};
use super::ingest::{self, BodyFormat, Target};
use super::ingress::Durable;
use super::limits::{SubscriberPass, Subscribers};
use super::manager::{self, AppManager, ManagedApp};
use super::metrics::{self, AppSample};
use super::outputs::Subscription;
use super::query;
use super::running::{Accepted, QueryFailure, Refused};
use futures_util::StreamExt;
use sluice_frontend::logical::EntryKind;
use std::convert::Infallible;
use std::sync::Arc;
use warp::filters::BoxedFilter;
use warp::http::StatusCode;
use warp::hyper::body::Bytes;
use warp::reply::Response;
use warp::{Filter, Rejection, Reply};

pub(super) fn answer(result: Result<Response, ApiError>) -> Result<Response, Infallible> {
    Ok(result.unwrap_or_else(|e| e.reply().into_response()))
}

pub(super) fn json(status: StatusCode, value: serde_json::Value) -> Response {
    warp::reply::with_status(warp::reply::json(&value), status).into_response()
}

/// Every route, with authentication, size limits and JSON errors.
pub fn routes(manager: Arc<AppManager>, keys: Arc<Keys>, max_body: u64) -> BoxedFilter<(Response,)> {
    let follower = manager.is_follower();
    let leader_url = manager.cluster().map(|c| c.leader().to_string()).unwrap_or_default();
    let health =
        warp::path!("health").and(warp::get()).map(|| json(StatusCode::OK, serde_json::json!({"status": "ok"})));
    let subscribers = Subscribers::new(manager.limits().max_subscribers);
    let secret = manager.secret().map(|s| Arc::new(s.to_string()));
    // The health check and the console (page and assets) need no API key.
    let health = health.or(super::console::routes()).unify();
    let m = warp::any().map(move || manager.clone());
    let auth = auth::authorized(keys.clone());
    let role = auth::role(keys);
    let subs = warp::any().map(move || subscribers.clone());
    let body = warp::body::content_length_limit(max_body).and(warp::body::bytes());

    let metrics = warp::path!("metrics").and(warp::get()).and(m.clone()).and(subs.clone()).map(
        |m: Arc<AppManager>, subs: Arc<Subscribers>| {
            let apps = m.list();
            let running: Vec<_> = apps.iter().map(|a| a.running()).collect();
            let samples: Vec<AppSample<'_>> = apps
                .iter()
                .zip(&running)
                .map(|(a, r)| AppSample {
                    name: &a.name,
                    active: r.as_ref().is_some_and(|r| r.failure.lock().is_none()),
                    counters: &a.counters,
                    queue_depth: r.as_ref().map_or(0, |r| r.ingress.depth()),
                    frontier_lag_ms: r
                        .as_ref()
                        .map_or(0, |r| (r.ingress.now() - r.fed_ts.load(std::sync::atomic::Ordering::Acquire)).max(0)),
                })
                .collect();
            let mut text = metrics::render(&samples);
            text.push_str(&metrics::gauge("sluice_subscribers", "Open SSE and WebSocket subscriptions.", subs.open()));
            warp::reply::with_header(text, "content-type", "text/plain; version=0.0.4").into_response()
        },
    );
    let create = warp::path!("v1" / "apps").and(warp::post()).and(m.clone()).and(body).and_then(
        |m: Arc<AppManager>, body: Bytes| async move {
            answer(
                async {
                    let text = utf8(&body)?;
                    let app = tokio::task::spawn_blocking(move || m.create(text)).await.map_err(internal)??;
                    Ok(json(
                        StatusCode::CREATED,
                        serde_json::json!({"name": app.name, "state": "active", "warnings": app.warnings}),
                    ))
                }
                .await,
            )
        },
    );
    let validate = warp::path!("v1" / "validate").and(warp::post()).and(m.clone()).and(body).and_then(
        |m: Arc<AppManager>, body: Bytes| async move {
            answer(
                async {
                    let text = utf8(&body)?;
                    let max_queries = m.limits().max_queries;
                    // Checking a large app takes a while: off the async threads.
                    let (compiled, warnings) =
                        tokio::task::spawn_blocking(move || manager::validate(&text, max_queries))
                            .await
                            .map_err(internal)??;
                    Ok(json(
                        StatusCode::OK,
                        serde_json::json!({"valid": true, "name": compiled.plan.name, "warnings": warnings}),
                    ))
                }
                .await,
            )
        },
    );
    let list = warp::path!("v1" / "apps").and(warp::get()).and(m.clone()).map(|m: Arc<AppManager>| {
        let apps: Vec<serde_json::Value> =
            m.list().iter().map(|a| serde_json::json!({"name": a.name, "state": state(a)})).collect();
        json(StatusCode::OK, serde_json::json!({ "apps": apps }))
    });
    let show =
        warp::path!("v1" / "apps" / String).and(warp::get()).and(m.clone()).map(|name: String, m: Arc<AppManager>| {
            match m.get(&name) {
                Ok(app) => json(StatusCode::OK, describe(&app)),
                Err(e) => e.reply().into_response(),
            }
        });
    let activate = warp::path!("v1" / "apps" / String / "activate")
        .and(warp::post())
        .and(m.clone())
        .and_then(|name: String, m: Arc<AppManager>| async move { answer(lifecycle(move || m.activate(&name)).await) });
    let deactivate = warp::path!("v1" / "apps" / String / "deactivate").and(warp::post()).and(m.clone()).and_then(
        |name: String, m: Arc<AppManager>| async move { answer(lifecycle(move || m.deactivate(&name)).await) },
    );
    let delete = warp::path!("v1" / "apps" / String).and(warp::delete()).and(m.clone()).and_then(delete_app);
    let ingest = warp::path!("v1" / "apps" / String / "streams" / String)
        .and(warp::post())
        .and(m.clone())
        .and(warp::header::optional::<String>("content-type"))
        .and(body)
        .and_then(|name: String, stream: String, m: Arc<AppManager>, ct: Option<String>, body: Bytes| async move {
            // The answer leaves once the batch is durable (`--durability`).
            answer(match ingest_events(&m, &name, &stream, ct.as_deref(), &body) {
                Ok((reply, Some(durable))) => durable.wait().await.map(|()| reply).map_err(storage),
                Ok((reply, None)) => Ok(reply),
                Err(e) => Err(e),
            })
        });
    let subscribe_ws = warp::path!("v1" / "apps" / String / "streams" / String / "events")
        .and(warp::get())
        .and(m.clone())
        .and(subs.clone())
        .and(warp::ws())
        .map(|name: String, stream: String, m: Arc<AppManager>, subs: Arc<Subscribers>, ws: warp::ws::Ws| {
            match subscription(&m, &subs, &name, &stream, None) {
                Ok((sub, pass)) => ws.on_upgrade(move |socket| pump_ws(socket, deliveries(sub, pass))).into_response(),
                Err(e) => e.reply().into_response(),
            }
        });
    let subscribe_sse = warp::path!("v1" / "apps" / String / "streams" / String / "events")
        .and(warp::get())
        .and(m.clone())
        .and(subs.clone())
        .and(warp::header::optional::<String>("last-event-id"))
        .map(|name: String, stream: String, m: Arc<AppManager>, subs: Arc<Subscribers>, last: Option<String>| {
            let resumed =
                last_event_id(last.as_deref()).and_then(|after| subscription(&m, &subs, &name, &stream, after));
            match resumed {
                Ok((sub, pass)) => {
                    let events = deliveries(sub, pass).map(|d| Ok::<_, Infallible>(d.sse()));
                    warp::sse::reply(warp::sse::keep_alive().stream(events)).into_response()
                }
                Err(e) => e.reply().into_response(),
            }
        });
    let ad_hoc = warp::path!("v1" / "apps" / String / "query")
        .and(warp::post())
        .and(m.clone())
        .and(role)
        .and(warp::header::optional::<String>("content-type"))
        .and(body)
        .and_then(|name: String, m: Arc<AppManager>, role: Role, ct: Option<String>, body: Bytes| async move {
            answer(run_query(&m, &name, role, ct.as_deref(), &body).await)
        });

    let guarded = metrics
        .clone()
        .or(create)
        .unify()
        .or(validate)
        .unify()
        .or(list)
        .unify()
        .or(show)
        .unify()
        .or(activate)
        .unify()
        .or(deactivate)
        .unify()
        .or(delete)
        .unify()
        .or(ingest)
        .unify()
        .or(subscribe_ws)
        .unify()
        .or(subscribe_sse)
        .unify()
        .or(ad_hoc)
        .unify()
        .or(super::error_store::routes(m.clone().boxed()))
        .unify();
    if let (true, Some(secret)) = (follower, secret) {
        // Only a cluster's followers take orders from a leader, which shows the
        // cluster secret.
        let under_internal = || warp::path("v1").and(warp::path("internal"));
        let internal = under_internal().and(auth::has_secret(secret)).and(super::internal::routes(m.clone(), body));
        // Whatever else is under /v1/internal stops here, never reaching the leader.
        let refused = under_internal().map(|| {
            ApiError::new(StatusCode::UNAUTHORIZED, "unauthorized", "internal routes need the cluster secret")
                .reply()
                .into_response()
        });
        let internal = internal.or(refused).unify();
        let proxied = warp::path("v1").and(proxy_routes(leader_url, body, subs));
        let outside = auth.and(metrics.or(proxied).unify());
        health.or(internal).unify().or(outside).unify().recover(recover).unify().boxed()
    } else {
        health.or(auth.and(guarded)).unify().recover(recover).unify().boxed()
    }
}

/// How long a follower waits for the leader's answer to a request it passes on.
const PROXY_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(60);

/// A cluster follower passes every app request to the leader and streams the
/// answer back (Server-Sent Events included); WebSocket subscriptions are served
/// here from the leader's event stream.
fn proxy_routes(
    leader: String,
    body: impl Filter<Extract = (Bytes,), Error = Rejection> + Clone + Send + Sync + 'static,
    subs: impl Filter<Extract = (Arc<Subscribers>,), Error = Infallible> + Clone + Send + Sync + 'static,
) -> BoxedFilter<(Response,)> {
    let client = warp::hyper::Client::new();
    let ws_leader = leader.clone();
    let ws = warp::path!("apps" / String / "streams" / String / "events")
        .and(warp::get())
        .and(warp::ws())
        .and(warp::header::optional::<String>("authorization"))
        .and(subs)
        .map(move |app: String, stream: String, ws: warp::ws::Ws, auth: Option<String>, subs: Arc<Subscribers>| {
            let url = format!("{ws_leader}/v1/apps/{app}/streams/{stream}/events");
            match subs.admit() {
                Ok(pass) => ws.on_upgrade(move |socket| relay_ws(socket, url, auth, pass)).into_response(),
                Err(e) => e.reply().into_response(),
            }
        });
    // GET and DELETE carry no body (and no Content-Length to check).
    let body = warp::get().or(warp::delete()).unify().map(Bytes::new).or(body).unify();
    let forward = warp::method()
        .and(warp::path::full())
        .and(warp::query::raw().or(warp::any().map(String::new)).unify())
        .and(warp::header::headers_cloned())
        .and(body)
        .and_then(
            move |method, path: warp::path::FullPath, query: String, headers: warp::http::HeaderMap, body: Bytes| {
                let client = client.clone();
                let leader = leader.clone();
                async move {
                    let uri = if query.is_empty() {
                        format!("{leader}{}", path.as_str())
                    } else {
                        format!("{leader}{}?{query}", path.as_str())
                    };
                    let mut req = warp::http::Request::builder().method(method).uri(uri);
                    for (k, v) in headers.iter().filter(|(k, _)| *k != warp::http::header::HOST) {
                        req = req.header(k, v);
                    }
                    // The leader's answer must start within the timeout (a followed
                    // stream then flows for as long as it lasts).
                    let result = match req.body(warp::hyper::Body::from(body)) {
                        Ok(req) => match tokio::time::timeout(PROXY_TIMEOUT, client.request(req)).await {
                            // A leader that cannot be reached is down or restarting: retry.
                            Ok(answer) => answer.map_err(|e| {
                                let status = if e.is_connect() {
                                    StatusCode::SERVICE_UNAVAILABLE
                                } else {
                                    StatusCode::BAD_GATEWAY
                                };
                                (status, e.to_string())
                            }),
                            Err(_) => Err((StatusCode::GATEWAY_TIMEOUT, format!("no answer within {PROXY_TIMEOUT:?}"))),
                        },
                        Err(e) => Err((StatusCode::BAD_GATEWAY, e.to_string())),
                    };
                    Ok::<_, Infallible>(match result {
                        Ok(resp) => resp.into_response(),
                        Err((status, e)) => ApiError::new(status, "cluster", format!("the leader did not answer: {e}"))
                            .reply()
                            .into_response(),
                    })
                }
            },
        );
    ws.or(forward).unify().boxed()
}

/// Turns every rejection into a JSON error.
async fn recover(r: Rejection) -> Result<Response, Infallible> {
    let e = if let Some(Refusal(e)) = r.find::<Refusal>() {
        ApiError::new(e.status, e.code, e.message.clone())
    } else if r.is_not_found() {
        ApiError::new(StatusCode::NOT_FOUND, "not_found", "no such route")
    } else if r.find::<warp::reject::PayloadTooLarge>().is_some() {
        ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, "too_large", "the request body is larger than the server accepts")
    } else if r.find::<warp::reject::LengthRequired>().is_some() {
        ApiError::new(StatusCode::LENGTH_REQUIRED, "length_required", "send a Content-Length")
    } else if r.find::<warp::reject::MethodNotAllowed>().is_some() {
        ApiError::new(StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed", "this route does not take that method")
    } else {
        ApiError::new(StatusCode::BAD_REQUEST, "bad_request", format!("{r:?}"))
    };
    Ok(e.reply().into_response())
}

/// Runs a lifecycle change off the async threads (stopping joins the workers).
/// Deletes app `name` off the async threads: `204`, or why not.
pub(super) async fn delete_app(name: String, m: Arc<AppManager>) -> Result<Response, Infallible> {
    answer(
        async {
            tokio::task::spawn_blocking(move || m.delete(&name)).await.map_err(internal)??;
            Ok(StatusCode::NO_CONTENT.into_response())
        }
        .await,
    )
}

pub(super) async fn lifecycle(
    change: impl FnOnce() -> Result<Arc<ManagedApp>, ApiError> + Send + 'static,
) -> Result<Response, ApiError> {
    let app = tokio::task::spawn_blocking(change).await.map_err(internal)??;
    Ok(json(StatusCode::OK, serde_json::json!({"name": app.name, "state": state(&app)})))
}

pub(super) fn internal(e: impl std::fmt::Display) -> ApiError {
    ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", e.to_string())
}

pub(super) fn utf8(body: &[u8]) -> Result<String, ApiError> {
    String::from_utf8(body.to_vec())
        .map_err(|_| ApiError::new(StatusCode::BAD_REQUEST, "bad_request", "the body is not UTF-8 text"))
}

fn state(app: &ManagedApp) -> &'static str {
    if app.degraded().is_some() {
        return "degraded";
    }
    match app.running() {
        Some(r) if r.failure.lock().is_some() => "failed",
        Some(_) => "active",
        None => "inactive",
    }
}

/// `GET /v1/apps/{app}`: definition, state, and every stream with its schema
/// and counters.
fn describe(app: &ManagedApp) -> serde_json::Value {
    let c = &app.compiled;
    let running = app.running();
    let entries: Vec<serde_json::Value> = c
        .plan
        .catalog
        .entries
        .iter()
        .filter(|e| !e.name.starts_with('#') && sluice_frontend::logical::stored_errors_of(&e.name).is_none())
        .map(|e| {
            let attributes: Vec<serde_json::Value> =
                e.schema.attrs.iter().map(|(n, t)| serde_json::json!({"name": n, "type": t.to_string()})).collect();
            let kind = match e.kind {
                EntryKind::Stream => "stream",
                EntryKind::Table => "table",
                EntryKind::Window => "window",
                EntryKind::Aggregation => "aggregation",
            };
            let mut v = serde_json::json!({"name": e.name, "kind": kind, "attributes": attributes});
            if e.kind == EntryKind::Stream {
                v["accepts_events"] = c.input_types.contains_key(&e.name).into();
                if let Some(sc) = app.counters.streams.get(&e.name) {
                    v["events_in"] = sc.events_in.load(std::sync::atomic::Ordering::Relaxed).into();
                    v["events_out"] = sc.events_out.load(std::sync::atomic::Ordering::Relaxed).into();
                }
            }
            v
        })
        .collect();
    serde_json::json!({
        "name": app.name,
        "state": state(app),
        "failure": running.as_ref().and_then(|r| r.failure.lock().clone()),
        "degraded": app.degraded(),
        "queue_depth": running.as_ref().map_or(0, |r| r.ingress.depth()),
        "ingress_log": running.as_ref().and_then(|r| r.log_stats()),
        "definition": app.text,
        "warnings": app.warnings,
        "streams": entries.iter().filter(|e| e["kind"] == "stream").collect::<Vec<_>>(),
        "relations": entries.iter().filter(|e| e["kind"] != "stream").collect::<Vec<_>>(),
        "queries": c.query_names,
    })
}

/// Why a running app takes no more input: it failed, or it is being stopped.
fn stopped(app: &ManagedApp) -> ApiError {
    match app.running().and_then(|r| r.failure.lock().clone()) {
        Some(reason) => ApiError::new(
            StatusCode::CONFLICT,
            "failed",
            format!("app '{}' failed ({reason}); deactivate and activate it to restart", app.name),
        ),
        None => inactive(&app.name),
    }
}

/// The app's dataflow, or why it takes no input: deactivated (409), or still
/// replaying its ingress log (503, retry).
pub(super) fn running(app: &ManagedApp) -> Result<Arc<super::running::RunningApp>, ApiError> {
    match app.running() {
        Some(r) => Ok(r),
        None if app.is_recovering() => Err(ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "recovering",
            format!("app '{}' is replaying its ingress log; retry shortly", app.name),
        )),
        None => match app.degraded() {
            Some(reason) => Err(ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "degraded",
                format!("app '{}' waits for the cluster ({reason}); retry when the process is back", app.name),
            )),
            None => Err(inactive(&app.name)),
        },
    }
}

fn inactive(name: &str) -> ApiError {
    ApiError::new(StatusCode::CONFLICT, "inactive", format!("app '{name}' is deactivated; activate it first"))
}

/// The ingress log cannot be written (a full disk, an I/O error).
pub(super) fn storage(reason: String) -> ApiError {
    ApiError::new(
        StatusCode::INSUFFICIENT_STORAGE,
        "storage",
        format!("{reason}; the app takes no more input until it is deactivated and activated"),
    )
}

/// `POST /v1/apps/{app}/streams/{stream}`: the answer, and what to wait for
/// before giving it.
pub(super) fn ingest_events(
    m: &AppManager,
    name: &str,
    stream: &str,
    ct: Option<&str>,
    body: &[u8],
) -> Result<(Response, Option<Durable>), ApiError> {
    let app = m.get(name)?;
    // The error store's internal streams take no events from outside.
    let input =
        app.compiled.input_schema(stream).filter(|_| sluice_frontend::logical::stored_errors_of(stream).is_none());
    let Some(types) = input else {
        return Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "not_found",
            format!("app '{name}' has no stream '{stream}' that accepts events"),
        ));
    };
    let names = app.compiled.attribute_names(stream);
    let target = Target { stream, names: &names, types };
    let events = ingest::decode(body, BodyFormat::from_content_type(ct), &target).map_err(|e| {
        ApiError::new(StatusCode::BAD_REQUEST, "bad_event", e.to_string())
            .with("index", e.index.into())
            .with("field", e.field.clone().into())
            .with("reason", e.reason.clone().into())
    })?;
    let running = running(&app)?;
    let n = events.len();
    match running.ingress.push(events) {
        Ok(Accepted { range, durable }) => {
            app.counters.count_in(stream, n as u64);
            let (from, to) = range.map_or((None, None), |(a, b)| (Some(a), Some(b)));
            Ok((json(StatusCode::OK, serde_json::json!({"accepted": n, "from": from, "to": to})), durable))
        }
        Err(Refused::Busy) => {
            app.counters.refused_batches.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            let e = ApiError::new(
                StatusCode::TOO_MANY_REQUESTS,
                "busy",
                format!("app '{name}' has {} events queued; retry later", running.ingress.depth()),
            );
            Ok((warp::reply::with_header(e.reply(), "retry-after", "1").into_response(), None))
        }
        Err(Refused::TooLarge { events, capacity }) => Err(ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "batch_too_large",
            format!("a batch of {events} events can never fit the ingress queue of {capacity}; split it"),
        )),
        Err(Refused::Stopped) => Err(stopped(&app)),
        Err(Refused::Storage(reason)) => Err(storage(reason)),
    }
}

/// The number of the last event an SSE client saw (its `Last-Event-ID`).
fn last_event_id(header: Option<&str>) -> Result<Option<u64>, ApiError> {
    header.map(str::trim).filter(|h| !h.is_empty()).map_or(Ok(None), |h| {
        h.parse().map(Some).map_err(|_| {
            ApiError::new(
                StatusCode::BAD_REQUEST,
                "bad_request",
                format!("Last-Event-ID: '{h}' is not an event number this server gave"),
            )
        })
    })
}

/// A subscriber's channel on `stream` of app `name` (with the kept events after
/// `after` when it resumes), and its place among the server's subscribers.
fn subscription(
    m: &AppManager,
    subs: &Arc<Subscribers>,
    name: &str,
    stream: &str,
    after: Option<u64>,
) -> Result<(Subscription, SubscriberPass), ApiError> {
    let app = m.get(name)?;
    if !app.compiled.stream_ids.contains_key(stream) || stream.starts_with('#') {
        return Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "not_found",
            format!("app '{name}' has no stream '{stream}'"),
        ));
    }
    let running = running(&app)?;
    let pass = subs.admit()?;
    Ok((running.outputs.subscribe(stream, after), pass))
}

/// `POST /v1/apps/{app}/query`: the body is the query text, or JSON `{"query": …}`.
async fn run_query(
    m: &AppManager,
    name: &str,
    role: Role,
    ct: Option<&str>,
    body: &[u8],
) -> Result<Response, ApiError> {
    let started = std::time::Instant::now();
    let app = m.get(name)?;
    let raw = utf8(body)?;
    let text = if ct.is_some_and(|c| c.starts_with("application/json")) {
        let v: serde_json::Value = serde_json::from_str(&raw)
            .map_err(|e| ApiError::new(StatusCode::BAD_REQUEST, "bad_query", format!("not JSON: {e}")))?;
        v.get("query")
            .and_then(|q| q.as_str())
            .ok_or_else(|| {
                ApiError::new(StatusCode::BAD_REQUEST, "bad_query", "field `query` is missing or not a string")
            })?
            .to_string()
    } else {
        raw
    };
    // A `select …` that is not SQL may be the stream-worker language's own form
    // (`select … update T on …`): the engine's parser gets a turn before refusing.
    let on_demand = match query::on_demand_text(&text) {
        Ok(t) => t,
        Err(sql) => match app.compiled.check_on_demand(&text) {
            Ok(_) => text,
            Err(own) => {
                return Err(ApiError::new(
                    StatusCode::BAD_REQUEST,
                    "bad_query",
                    format!("{sql}\nas an on-demand query: {own}"),
                ))
            }
        },
    };
    let plan = app
        .compiled
        .check_on_demand(&on_demand)
        .map_err(|e| ApiError::new(StatusCode::BAD_REQUEST, "bad_query", e).with("query", on_demand.clone().into()))?;
    let writes = !matches!(plan.output, sluice_frontend::logical::OutputPlan::Return { .. });
    auth::may_run(role, writes)?;
    let running = running(&app)?;
    let timeout = m.limits().query_timeout;
    let answered = tokio::time::timeout(timeout, running.query(on_demand, writes)).await.map_err(|_| {
        ApiError::new(
            StatusCode::GATEWAY_TIMEOUT,
            "timeout",
            format!("the query had no answer within {timeout:?} (--query-timeout)"),
        )
    })?;
    let (as_of, rows) = answered.map_err(|f| match f {
        QueryFailure::Refused(Refused::Busy | Refused::TooLarge { .. }) => {
            ApiError::new(StatusCode::TOO_MANY_REQUESTS, "busy", "the app's queue is full; retry later")
        }
        QueryFailure::Refused(Refused::Stopped) => stopped(&app),
        QueryFailure::Refused(Refused::Storage(reason)) => storage(reason),
        QueryFailure::Failed(e) => ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "query_failed", e),
    })?;
    app.counters.count_query(started.elapsed().as_micros() as u64);
    let rows: Vec<Vec<serde_json::Value>> = rows.iter().map(|r| r.iter().map(|v| v.to_json()).collect()).collect();
    Ok(json(StatusCode::OK, serde_json::json!({"as_of": as_of, "columns": plan.output_schema.names(), "rows": rows})))
}
