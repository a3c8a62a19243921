//! The server's error answers: JSON `{"error": {"code": …, "message": …}}` with
//! an HTTP status, plus details (located app errors, the bad event's index and
//! field) where they help.

use warp::http::StatusCode;

/// An error answer.
#[derive(Debug)]
pub struct ApiError {
    /// The HTTP status.
    pub status: StatusCode,
    /// A stable, machine-readable code (`invalid_app`, `bad_event`, `not_found` …).
    pub code: &'static str,
    /// A plain sentence.
    pub message: String,
    /// Extra fields merged into the error object.
    pub details: serde_json::Map<String, serde_json::Value>,
}

impl ApiError {
    /// An error with no details.
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError { status, code, message: message.into(), details: serde_json::Map::new() }
    }

    /// Adds a detail field.
    pub fn with(mut self, key: &str, value: serde_json::Value) -> ApiError {
        self.details.insert(key.to_string(), value);
        self
    }

    /// 404 for a missing app.
    pub fn no_app(name: &str) -> ApiError {
        ApiError::new(StatusCode::NOT_FOUND, "not_found", format!("no app named '{name}'"))
    }

    /// The JSON body.
    pub fn body(&self) -> serde_json::Value {
        let mut error = serde_json::Map::new();
        error.insert("code".into(), self.code.into());
        error.insert("message".into(), self.message.clone().into());
        error.extend(self.details.clone());
        serde_json::json!({ "error": error })
    }

    /// The warp reply.
    pub fn reply(&self) -> warp::reply::WithStatus<warp::reply::Json> {
        warp::reply::with_status(warp::reply::json(&self.body()), self.status)
    }
}
