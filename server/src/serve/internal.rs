//! The routes a cluster's leader calls on the other processes (under
//! `/v1/internal`, with the cluster secret): start an app's share in a slot,
//! activate, deactivate, delete it, and list the shares this process runs (the
//! leader's watch, `healing.rs`, compares them with its own apps).

use super::error::ApiError;
use super::manager::AppManager;
use super::routes::{answer, delete_app, internal, json, lifecycle, utf8};
use std::convert::Infallible;
use std::sync::Arc;
use warp::filters::BoxedFilter;
use warp::http::StatusCode;
use warp::hyper::body::Bytes;
use warp::reply::Response;
use warp::{Filter, Rejection};

/// What a cluster's leader tells the other processes: start an app's share in a
/// slot, activate, deactivate, delete.
pub fn routes(
    m: impl Filter<Extract = (Arc<AppManager>,), Error = Infallible> + Clone + Send + Sync + 'static,
    body: impl Filter<Extract = (Bytes,), Error = Rejection> + Clone + Send + Sync + 'static,
) -> BoxedFilter<(Response,)> {
    let follow = warp::path!("apps" / usize).and(warp::post()).and(m.clone()).and(body).and_then(
        |slot: usize, m: Arc<AppManager>, body: Bytes| async move {
            answer(
                async {
                    let text = utf8(&body)?;
                    let app = tokio::task::spawn_blocking(move || m.follow(text, slot)).await.map_err(internal)??;
                    Ok(json(StatusCode::CREATED, serde_json::json!({"name": app.name, "slot": slot})))
                }
                .await,
            )
        },
    );
    let change = warp::path!("apps" / String / String).and(warp::post()).and(m.clone()).and_then(
        |name: String, action: String, m: Arc<AppManager>| async move {
            answer(match action.as_str() {
                "activate" => lifecycle(move || m.activate(&name)).await,
                "deactivate" => lifecycle(move || m.deactivate(&name)).await,
                _ => Err(ApiError::new(StatusCode::NOT_FOUND, "not_found", "no such route")),
            })
        },
    );
    let forget = warp::path!("apps" / String).and(warp::delete()).and(m.clone()).and_then(delete_app);
    let shares = warp::path!("shares").and(warp::get()).and(m.clone()).map(|m: Arc<AppManager>| {
        let shares: Vec<serde_json::Value> = m
            .shares()
            .into_iter()
            .map(|(name, slot, healthy)| serde_json::json!({"name": name, "slot": slot, "healthy": healthy}))
            .collect();
        json(StatusCode::OK, serde_json::json!({ "shares": shares }))
    });
    follow.or(change).unify().or(forget).unify().or(shares).unify().boxed()
}
