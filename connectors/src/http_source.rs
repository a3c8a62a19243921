//! The `http` source: an endpoint of its own at `receiver.url`
//! (`http://host:port/path`, warp on a small tokio runtime on the source's
//! thread). Each request body is a payload for the source's mapper; the answer
//! is 200 once the app's door has taken the events (so a client that waits for
//! it gets back-pressure), 400 with the reason when the mapper cannot read the
//! body, 401 without the `basic.auth.username`/`password` credentials when the
//! source has them, 503 once the app is stopping. A port that cannot be bound is
//! retried with back-off, logged.

use crate::mapper::Payload;
use crate::source::Feed;
use base64::Engine;
use sluice_frontend::logical::ConnectorPlan;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use warp::http::StatusCode;
use warp::Filter;

/// The options Sluice reads for an `http` source.
pub const OPTIONS: &[&str] = &["receiver.url", "basic.auth.username", "basic.auth.password"];

/// An `http` source's settings.
#[derive(Clone, Debug, PartialEq)]
pub struct HttpSourceConfig {
    /// `receiver.url`, as written.
    pub url: String,
    /// Where to listen.
    pub address: SocketAddr,
    /// The path requests go to (`/` when the URL has none).
    pub path: String,
    /// The `Authorization` header a request must carry, if the source asks for one.
    pub authorization: Option<String>,
}

impl HttpSourceConfig {
    /// Reads the options of the `http` source of `stream` in app `app`, or says
    /// which one is wrong. Without `receiver.url` it listens, as Siddhi does, at
    /// `http://0.0.0.0:9763/<app>/<stream>`.
    pub fn of(plan: &ConnectorPlan, app: &str, stream: &str) -> Result<HttpSourceConfig, String> {
        let url = match plan.option("receiver.url") {
            Some(u) => u.to_string(),
            None => format!("http://0.0.0.0:9763/{app}/{stream}"),
        };
        let rest = url.strip_prefix("http://").ok_or_else(|| {
            format!("receiver.url '{url}': Sluice listens on `http://host:port/path` (https is not built)")
        })?;
        let (authority, path) = match rest.find('/') {
            Some(i) => (&rest[..i], &rest[i..]),
            None => (rest, "/"),
        };
        let authority = authority.replace("localhost", "127.0.0.1");
        let address: SocketAddr = authority
            .parse()
            .map_err(|_| format!("receiver.url '{url}': '{authority}' is not an IP address and port"))?;
        let authorization = match (plan.option("basic.auth.username"), plan.option("basic.auth.password")) {
            (Some(u), p) => Some(format!(
                "Basic {}",
                base64::engine::general_purpose::STANDARD.encode(format!("{u}:{}", p.unwrap_or_default()))
            )),
            (None, Some(_)) => return Err("option 'basic.auth.password' needs 'basic.auth.username'".into()),
            (None, None) => None,
        };
        let path = path.trim_end_matches('/').to_string();
        Ok(HttpSourceConfig { url, address, path, authorization })
    }
}

fn answer(status: StatusCode, text: String) -> warp::reply::WithStatus<String> {
    warp::reply::with_status(text, status)
}

/// Serves the source's endpoint until the source stops.
pub(crate) fn serve(config: &HttpSourceConfig, feed: Feed) {
    serve_route(config, feed, "http", endpoint);
}

/// Serves the filter `route` makes at `config`'s address until the source stops
/// (a port that cannot be bound is retried with back-off); `kind` names the
/// transport in the log.
pub(crate) fn serve_route<F, R>(
    config: &HttpSourceConfig,
    feed: Feed,
    kind: &str,
    route: impl Fn(HttpSourceConfig, Arc<Mutex<Feed>>) -> F,
) where
    F: Filter<Extract = (R,), Error = std::convert::Infallible> + Clone + Send + Sync + 'static,
    R: warp::Reply,
{
    let who = format!("source on '{}' ({kind} {})", feed.stream(), config.url);
    let runtime = match tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("{who}: cannot start: {e}");
            return;
        }
    };
    let feed = Arc::new(Mutex::new(feed));
    let mut backoff = Duration::from_millis(100);
    loop {
        if feed.lock().map(|f| f.stopped()).unwrap_or(true) {
            return;
        }
        let route = route(config.clone(), feed.clone());
        let stopping = feed.clone();
        let bound = runtime.block_on(async {
            let shutdown = async move {
                while !stopping.lock().map(|f| f.stopped()).unwrap_or(true) {
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            };
            warp::serve(route).try_bind_with_graceful_shutdown(config.address, shutdown).map(|(_, server)| server)
        });
        match bound {
            Ok(server) => {
                runtime.block_on(server);
                return;
            }
            Err(e) => {
                eprintln!("{who}: cannot listen: {e}; retrying in {backoff:?}");
                std::thread::sleep(backoff);
                backoff = (backoff * 2).min(Duration::from_secs(5));
            }
        }
    }
}

/// The endpoint's filter: checks path and credentials, then offers the body.
fn endpoint(
    config: HttpSourceConfig,
    feed: Arc<Mutex<Feed>>,
) -> impl Filter<Extract = (warp::reply::WithStatus<String>,), Error = std::convert::Infallible> + Clone {
    let config = Arc::new(config);
    warp::path::full()
        .and(warp::method())
        .and(warp::header::optional::<String>("authorization"))
        .and(warp::body::bytes())
        .then(
            move |path: warp::path::FullPath,
                  method: warp::http::Method,
                  auth: Option<String>,
                  body: warp::hyper::body::Bytes| {
                let (config, feed) = (config.clone(), feed.clone());
                async move {
                    if path.as_str().trim_end_matches('/') != config.path {
                        return answer(StatusCode::NOT_FOUND, format!("no source listens on {}", path.as_str()));
                    }
                    if method != warp::http::Method::POST {
                        return answer(StatusCode::METHOD_NOT_ALLOWED, "send events with POST".into());
                    }
                    if config.authorization.is_some() && auth != config.authorization {
                        return answer(StatusCode::UNAUTHORIZED, "basic authentication required".into());
                    }
                    let Ok(text) = String::from_utf8(body.to_vec()) else {
                        return answer(StatusCode::BAD_REQUEST, "the body is not UTF-8".into());
                    };
                    let offered = tokio::task::spawn_blocking(move || match feed.lock() {
                        Ok(mut f) => f.offer_telling(&Payload::Text(text)),
                        Err(_) => Ok(false),
                    })
                    .await;
                    match offered {
                        Ok(Ok(true)) => answer(StatusCode::OK, String::new()),
                        Ok(Err(reason)) => answer(StatusCode::BAD_REQUEST, reason),
                        _ => answer(StatusCode::SERVICE_UNAVAILABLE, "the app is stopping".into()),
                    }
                }
            },
        )
        .recover(|_| async { Ok::<_, std::convert::Infallible>(answer(StatusCode::BAD_REQUEST, "bad request".into())) })
        .unify()
}
