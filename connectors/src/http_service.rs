//! The `http-service` source and the `http-service-response` sink (Siddhi's
//! siddhi-io-http `HttpServiceSource`/`HttpServiceResponseSink`): the caller of
//! the source's endpoint waits for the app's reply.
//!
//! The source listens at `receiver.url` as the `http` source does (same URL
//! rules, same `basic.auth.username`/`password`). Each POST gets a fresh
//! `messageId` (UUID-shaped), which the mapper hands to an attribute mapped to
//! `trp:messageId`; `trp:<header>` takes a request header. The request is held
//! under the source's `source.id` until an `http-service-response` sink with
//! the same `source.id` sends an event whose `message.id` (a `{{attr}}`
//! template, usually `'{{messageId}}'`) names it: the caller then gets 200 with
//! the sink's mapped payload, its `Content-Type` chosen by the mapper
//! (`application/json` for json and keyvalue, `application/xml` for xml,
//! `plain/text` otherwise, as the docs say) unless the sink's `headers` name one.
//! A request nobody answers within `connection.timeout` ms (default 120000) gets
//! 504 and frees its slot, as Siddhi does. A source holds at most
//! [`MAX_WAITING`] requests: beyond that a request gets 503 at once. An empty
//! body gets 405 (as Siddhi), a body the mapper cannot read 400 with the
//! reason, a request while the app stops 503. An answer for a request that is no
//! longer held (timed out, or answered already) is logged and dropped.

use crate::http_source::HttpSourceConfig;
use crate::hub::Hub;
use crate::mapper::{Payload, Schema, Template};
use crate::source::Feed;
use sluice_dataflow::value::Value;
use sluice_frontend::logical::ConnectorPlan;
use std::collections::hash_map::RandomState;
use std::collections::HashMap;
use std::hash::BuildHasher;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::oneshot;
use warp::http::{Response, StatusCode};
use warp::Filter;

/// The options Sluice reads for an `http-service` source.
pub const OPTIONS: &[&str] = &[
    "receiver.url",
    "source.id",
    "connection.timeout",
    "basic.auth.enabled",
    "basic.auth.username",
    "basic.auth.password",
];

/// The options Sluice reads for an `http-service-response` sink.
pub const RESPONSE_OPTIONS: &[&str] = &["source.id", "message.id", "headers"];

/// How many requests one `source.id` holds at once (503 beyond).
pub const MAX_WAITING: usize = 1024;

/// An `http-service` source's settings.
#[derive(Clone, Debug, PartialEq)]
pub struct ServiceConfig {
    /// Where it listens, and the credentials it asks for.
    pub http: HttpSourceConfig,
    /// `source.id`: the sinks that answer.
    pub source_id: String,
    /// `connection.timeout`: how long a request waits for its answer.
    pub timeout: Duration,
}

impl ServiceConfig {
    /// Reads the options of the `http-service` source of `stream` in `app`, or
    /// says which one is wrong.
    pub fn of(plan: &ConnectorPlan, app: &str, stream: &str) -> Result<ServiceConfig, String> {
        let http = HttpSourceConfig::of(plan, app, stream)?;
        let timeout = match plan.option("connection.timeout") {
            None => Duration::from_millis(120_000),
            Some(t) => match t.trim().parse::<u64>() {
                Ok(ms) if ms > 0 => Duration::from_millis(ms),
                _ => return Err(format!("connection.timeout '{t}' is not a positive number of milliseconds")),
            },
        };
        match plan.option("basic.auth.enabled").map(str::to_ascii_lowercase).as_deref() {
            None | Some("false") => {}
            Some("true") if http.authorization.is_some() => {}
            Some("true") => {
                return Err("basic.auth.enabled: Sluice has no user store; give the credentials with \
                            basic.auth.username and basic.auth.password"
                    .into())
            }
            Some(other) => return Err(format!("basic.auth.enabled is 'true' or 'false', not '{other}'")),
        }
        let source_id = plan.option("source.id").unwrap_or_default().to_string();
        Ok(ServiceConfig { http, source_id, timeout })
    }
}

/// An answer for a held request: the body and the headers to send with it.
#[derive(Debug)]
pub(crate) struct Reply {
    body: String,
    headers: Vec<(String, String)>,
}

/// The held requests of each `source.id`, by message id.
type Slots = HashMap<String, HashMap<String, oneshot::Sender<Reply>>>;

/// The requests `http-service` sources of one process hold for their answers.
#[derive(Debug, Default)]
pub struct Waiting {
    slots: Mutex<Slots>,
    issued: AtomicU64,
    seed: RandomState,
}

impl Waiting {
    /// Holds a new request of `source_id` under a fresh message id, or `None`
    /// when the source holds [`MAX_WAITING`] already.
    fn hold(&self, source_id: &str) -> Option<(String, oneshot::Receiver<Reply>)> {
        let mut slots = self.lock();
        let held = slots.entry(source_id.to_string()).or_default();
        if held.len() >= MAX_WAITING {
            return None;
        }
        let n = self.issued.fetch_add(1, Ordering::Relaxed);
        let (a, b) = (self.seed.hash_one(n), self.seed.hash_one((n, source_id)));
        let id = format!(
            "{:08x}-{:04x}-4{:03x}-{:04x}-{:012x}",
            a >> 32,
            (a >> 16) & 0xffff,
            a & 0xfff,
            0x8000 | (b >> 48) & 0x3fff,
            b & 0xffff_ffff_ffff
        );
        let (tx, rx) = oneshot::channel();
        held.insert(id.clone(), tx);
        Some((id, rx))
    }

    /// Forgets a held request (answered elsewhere, timed out or failed).
    fn release(&self, source_id: &str, message_id: &str) {
        if let Some(held) = self.lock().get_mut(source_id) {
            held.remove(message_id);
        }
    }

    /// Answers a held request; false when no such request is held.
    fn answer(&self, source_id: &str, message_id: &str, reply: Reply) -> bool {
        let sender = self.lock().get_mut(source_id).and_then(|held| held.remove(message_id));
        sender.is_some_and(|s| s.send(reply).is_ok())
    }

    /// How many requests `source_id` holds.
    pub fn held(&self, source_id: &str) -> usize {
        self.lock().get(source_id).map_or(0, HashMap::len)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Slots> {
        self.slots.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// Serves the source's endpoint until the source stops.
pub(crate) fn serve(config: &ServiceConfig, hub: &Arc<Hub>, feed: Feed) {
    let service = Arc::new(config.clone());
    let hub = hub.clone();
    let stop = feed.stop_flag();
    crate::http_source::serve_route(&config.http, feed, "http-service", move |_, feed| {
        endpoint(service.clone(), hub.clone(), feed, stop.clone())
    });
}

fn answer(status: StatusCode, text: impl Into<String>) -> Response<String> {
    let mut response = Response::new(text.into());
    *response.status_mut() = status;
    response
}

/// The reply the caller gets for `reply`.
fn replied(reply: Reply) -> Response<String> {
    let mut response = Response::builder().status(StatusCode::OK);
    for (name, value) in &reply.headers {
        response = response.header(name.as_str(), value.as_str());
    }
    response.body(reply.body).unwrap_or_else(|e| answer(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))
}

/// The endpoint's filter: checks path and credentials, holds the request,
/// offers the body and waits for the answer.
fn endpoint(
    service: Arc<ServiceConfig>,
    hub: Arc<Hub>,
    feed: Arc<Mutex<Feed>>,
    stop: Arc<AtomicBool>,
) -> impl Filter<Extract = (Response<String>,), Error = std::convert::Infallible> + Clone {
    warp::path::full()
        .and(warp::method())
        .and(warp::header::headers_cloned())
        .and(warp::body::bytes())
        .then(
            move |path: warp::path::FullPath,
                  method: warp::http::Method,
                  headers: warp::http::HeaderMap,
                  body: warp::hyper::body::Bytes| {
                let (service, hub, feed, stop) = (service.clone(), hub.clone(), feed.clone(), stop.clone());
                async move {
                    let config = &service.http;
                    if path.as_str().trim_end_matches('/') != config.path {
                        return answer(StatusCode::NOT_FOUND, format!("no source listens on {}", path.as_str()));
                    }
                    if method != warp::http::Method::POST {
                        return answer(StatusCode::METHOD_NOT_ALLOWED, "send events with POST");
                    }
                    let auth = headers.get("authorization").and_then(|v| v.to_str().ok());
                    if config.authorization.is_some() && auth != config.authorization.as_deref() {
                        return answer(StatusCode::UNAUTHORIZED, "basic authentication required");
                    }
                    let Ok(text) = String::from_utf8(body.to_vec()) else {
                        return answer(StatusCode::BAD_REQUEST, "the body is not UTF-8");
                    };
                    if text.trim().is_empty() {
                        return answer(StatusCode::METHOD_NOT_ALLOWED, "the body is empty");
                    }
                    let Some((id, reply)) = hub.waiting.hold(&service.source_id) else {
                        return answer(
                            StatusCode::SERVICE_UNAVAILABLE,
                            format!("{MAX_WAITING} requests are waiting for their answers already"),
                        );
                    };
                    let message_id = id.clone();
                    let offered = tokio::task::spawn_blocking(move || {
                        let property = |name: &str| {
                            if name.eq_ignore_ascii_case("messageId") {
                                return Some(message_id.clone());
                            }
                            headers.get(name).and_then(|v| v.to_str().ok()).map(str::to_string)
                        };
                        match feed.lock() {
                            Ok(mut f) => f.offer_with(&Payload::Text(text), &property),
                            Err(_) => Ok(false),
                        }
                    })
                    .await;
                    match offered {
                        Ok(Ok(true)) => {}
                        Ok(Err(reason)) => {
                            hub.waiting.release(&service.source_id, &id);
                            return answer(StatusCode::BAD_REQUEST, reason);
                        }
                        _ => {
                            hub.waiting.release(&service.source_id, &id);
                            return answer(StatusCode::SERVICE_UNAVAILABLE, "the app is stopping");
                        }
                    }
                    let stopping = async {
                        while !stop.load(Ordering::Acquire) {
                            tokio::time::sleep(Duration::from_millis(100)).await;
                        }
                    };
                    let outcome = tokio::select! {
                        r = reply => r.ok(),
                        _ = tokio::time::sleep(service.timeout) => None,
                        _ = stopping => None,
                    };
                    match outcome {
                        Some(reply) => replied(reply),
                        None => {
                            hub.waiting.release(&service.source_id, &id);
                            if stop.load(Ordering::Acquire) {
                                answer(StatusCode::SERVICE_UNAVAILABLE, "the app is stopping")
                            } else {
                                answer(
                                    StatusCode::GATEWAY_TIMEOUT,
                                    format!("the app did not answer within {} ms", service.timeout.as_millis()),
                                )
                            }
                        }
                    }
                }
            },
        )
        .recover(|_| async { Ok::<_, std::convert::Infallible>(answer(StatusCode::BAD_REQUEST, "bad request")) })
        .unify()
}

/// A running `http-service-response` sink.
#[derive(Debug)]
pub struct ResponseSink {
    hub: Arc<Hub>,
    source_id: String,
    message_id: Template,
    headers: Vec<(String, String)>,
    who: String,
}

/// The `Content-Type` an answer gets from the sink's mapper.
fn content_type(mapper: &str) -> &'static str {
    match mapper {
        "json" | "keyvalue" | "passThrough" => "application/json",
        "xml" => "application/xml",
        _ => "plain/text",
    }
}

impl ResponseSink {
    /// Reads the sink's options for events of `schema` sent with mapper
    /// `mapper` (its kind), or says which one is wrong.
    pub fn new(plan: &ConnectorPlan, mapper: &str, schema: &Schema, hub: &Arc<Hub>) -> Result<ResponseSink, String> {
        let source_id = plan.option("source.id").unwrap_or_default().to_string();
        let message_id = Template::parse(plan.option("message.id").unwrap_or_default(), schema)
            .map_err(|e| format!("message.id: {}", e.replace("@payload", "message.id")))?;
        let mut headers = vec![("Content-Type".to_string(), content_type(mapper).to_string())];
        for (name, value) in crate::http::headers(plan.option("headers").unwrap_or_default())? {
            warp::http::HeaderName::from_bytes(name.as_bytes())
                .map_err(|_| format!("header name '{name}' is not a valid HTTP header name"))?;
            warp::http::HeaderValue::from_str(&value)
                .map_err(|_| format!("header '{name}' has a value that cannot be sent: '{value}'"))?;
            headers.retain(|(n, _)| !n.eq_ignore_ascii_case(&name));
            headers.push((name, value));
        }
        let who = format!("sink on '{}' (http-service-response, source.id '{source_id}')", schema.stream);
        Ok(ResponseSink { hub: hub.clone(), source_id, message_id, headers, who })
    }

    /// Answers the request that `row`'s `message.id` names with `body`.
    pub fn send(&self, row: &[Value], body: String) {
        let message_id = self.message_id.render(row);
        let reply = Reply { body, headers: self.headers.clone() };
        if !self.hub.waiting.answer(&self.source_id, &message_id, reply) {
            eprintln!(
                "{}: no request with message id '{message_id}' is waiting (answered or timed out); dropped",
                self.who
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_options_and_refuses_wrong_ones() {
        let plan = |options: &[(&str, &str)]| crate::test_plan("http-service", options);
        let c = ServiceConfig::of(
            &plan(&[
                ("receiver.url", "http://127.0.0.1:5005/add"),
                ("source.id", "adder"),
                ("connection.timeout", "250"),
            ]),
            "App",
            "S",
        )
        .unwrap();
        assert_eq!(
            (c.source_id.as_str(), c.timeout, c.http.path.as_str()),
            ("adder", Duration::from_millis(250), "/add")
        );
        for (options, error) in [
            (vec![("connection.timeout", "soon")], "positive number"),
            (vec![("basic.auth.enabled", "true")], "no user store"),
            (vec![("basic.auth.enabled", "yes")], "'true' or 'false'"),
        ] {
            let e = ServiceConfig::of(&plan(&options), "App", "S").unwrap_err();
            assert!(e.contains(error), "{e}");
        }
    }

    #[test]
    fn holds_requests_up_to_the_bound_and_answers_each_once() {
        let waiting = Waiting::default();
        let (a, mut reply) = waiting.hold("s").unwrap();
        let (b, _) = waiting.hold("s").unwrap();
        assert_ne!(a, b);
        assert_eq!(a.len(), 36);
        assert!(waiting.answer("s", &a, Reply { body: "x".into(), headers: Vec::new() }));
        assert_eq!(reply.try_recv().unwrap().body, "x");
        assert!(!waiting.answer("s", &a, Reply { body: "y".into(), headers: Vec::new() }));
        assert!(!waiting.answer("other", &b, Reply { body: "y".into(), headers: Vec::new() }));
        waiting.release("s", &b);
        assert_eq!(waiting.held("s"), 0);
        let held: Vec<_> = (0..MAX_WAITING).map(|_| waiting.hold("s").unwrap()).collect();
        assert!(waiting.hold("s").is_none());
        waiting.release("s", &held[0].0);
        assert!(waiting.hold("s").is_some());
    }
}
