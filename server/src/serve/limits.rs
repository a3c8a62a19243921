//! The server's limits: how many apps, how large an app, how many subscribers,
//! how long a query may take. Each has a flag of `sluice serve` and a default
//! that a single machine serves comfortably; past a limit a request is refused
//! at once (422, 503 or 504) instead of being processed for minutes.

use super::error::ApiError;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;
use warp::http::StatusCode;

/// The limits a server applies.
#[derive(Clone, Debug)]
pub struct Limits {
    /// Apps the server keeps (active or not).
    pub max_apps: usize,
    /// Queries in one app, partitions' included.
    pub max_queries: usize,
    /// Open SSE and WebSocket subscriptions, over all apps.
    pub max_subscribers: usize,
    /// How long an on-demand query may wait for its answer.
    pub query_timeout: Duration,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits { max_apps: 100, max_queries: 10_000, max_subscribers: 1024, query_timeout: Duration::from_secs(30) }
    }
}

/// 422 for a request past a limit.
pub fn exceeded(message: String) -> ApiError {
    ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "limit_exceeded", message)
}

/// Refuses an app with more queries than `max` (counted on the parsed app,
/// before the costlier checks).
pub fn check_query_count(app: &sluice_frontend::ast::App, max: usize) -> Result<(), ApiError> {
    use sluice_frontend::ast::Element;
    let count: usize = app
        .elements
        .iter()
        .map(|e| match e {
            Element::Query(_) => 1,
            Element::Partition(p) => p.queries.len(),
            Element::Definition(_) => 0,
        })
        .sum();
    if count > max {
        return Err(exceeded(format!(
            "the app has {count} queries; this server takes at most {max} per app (--max-queries-per-app)"
        )));
    }
    Ok(())
}

/// The open subscriptions, bounded.
#[derive(Debug)]
pub struct Subscribers {
    open: AtomicUsize,
    max: usize,
}

/// One admitted subscription; dropping it frees its place.
#[derive(Debug)]
pub struct SubscriberPass(Arc<Subscribers>);

impl Drop for SubscriberPass {
    fn drop(&mut self) {
        self.0.open.fetch_sub(1, Ordering::AcqRel);
    }
}

impl Subscribers {
    /// Room for `max` subscriptions.
    pub fn new(max: usize) -> Arc<Subscribers> {
        Arc::new(Subscribers { open: AtomicUsize::new(0), max })
    }

    /// A place for one more subscription, or 503 when all are taken.
    pub fn admit(self: &Arc<Self>) -> Result<SubscriberPass, ApiError> {
        let taken = self.open.fetch_add(1, Ordering::AcqRel);
        let pass = SubscriberPass(self.clone());
        if taken >= self.max {
            return Err(ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "too_many_subscribers",
                format!("this server has {} open subscriptions, its limit (--max-subscribers)", self.max),
            ));
        }
        Ok(pass)
    }

    /// Open subscriptions.
    pub fn open(&self) -> usize {
        self.open.load(Ordering::Acquire)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subscriptions_free_their_place_when_dropped() {
        let subs = Subscribers::new(2);
        let a = subs.admit().unwrap();
        let _b = subs.admit().unwrap();
        assert_eq!(subs.admit().unwrap_err().status, StatusCode::SERVICE_UNAVAILABLE);
        drop(a);
        assert!(subs.admit().is_ok());
        assert_eq!(subs.open(), 1);
    }

    #[test]
    fn apps_with_too_many_queries_are_refused() {
        let app = sluice_frontend::parse(
            "define stream S (a int); from S select a insert into T; from S select a insert into U;",
        )
        .unwrap();
        assert!(check_query_count(&app, 2).is_ok());
        assert_eq!(check_query_count(&app, 1).unwrap_err().status, StatusCode::UNPROCESSABLE_ENTITY);
    }
}
