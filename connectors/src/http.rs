//! The `http` and `http-call` sinks (Siddhi's siddhi-io-http options): each
//! payload is sent as the body of a request to `publisher.url` (`ureq`, on a
//! thread of the sink's own, so the app's output path only queues it; a full
//! queue of 1,024 payloads makes the output path wait). An `http` sink logs a
//! request that fails (no connection, or a status of 400 or more) with the reason
//! and drops the payload, as Siddhi's default `on.error='LOG'` does. An
//! `http-call` sink hands each response's body, whatever its status, to the
//! `http-call-response` sources with its `sink.id` whose `http.status.code`
//! (a regular expression, default `200`) matches; a response no source takes, or
//! a request that gets no response, is logged.

use crate::hub::Hub;
use crate::mapper::Payload;
use base64::Engine;
use sluice_frontend::logical::ConnectorPlan;
use std::sync::mpsc::{sync_channel, SyncSender};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

/// The options Sluice reads for an `http` sink.
pub const OPTIONS: &[&str] =
    &["publisher.url", "method", "headers", "basic.auth.username", "basic.auth.password", "content.type"];

/// The options Sluice reads for an `http-call` sink.
pub const CALL_OPTIONS: &[&str] =
    &["publisher.url", "method", "headers", "basic.auth.username", "basic.auth.password", "content.type", "sink.id"];

/// The options Sluice reads for an `http-call-response` source.
pub const RESPONSE_OPTIONS: &[&str] = &["sink.id", "http.status.code"];

/// The status codes an `http-call-response` source takes: its `http.status.code`
/// (default `200`) as a regular expression matching the whole code.
pub fn response_codes(plan: &ConnectorPlan) -> Result<regex::Regex, String> {
    let codes = plan.option("http.status.code").unwrap_or("200");
    regex::Regex::new(&format!("^(?:{codes})$"))
        .map_err(|e| format!("http.status.code '{codes}' is not a regular expression: {e}"))
}

/// The `headers` option (`'Name:value','Name:value'`) as name and value pairs.
pub fn headers(plan: &ConnectorPlan) -> Result<Vec<(String, String)>, String> {
    let mut headers = Vec::new();
    for header in plan.option("headers").unwrap_or_default().split(',').map(str::trim).filter(|h| !h.is_empty()) {
        let header = header.trim_matches(|c| c == '\'' || c == '"');
        let (name, value) = header.split_once(':').ok_or_else(|| format!("header '{header}' is not `Name:value`"))?;
        headers.push((name.trim().to_string(), value.trim().to_string()));
    }
    Ok(headers)
}

/// How many payloads wait for their request before the output path waits.
const QUEUE: usize = 1024;

/// An `http` sink's settings.
#[derive(Clone, Debug, PartialEq)]
pub struct HttpConfig {
    /// `publisher.url` (http only).
    pub url: String,
    /// `method` (default POST).
    pub method: String,
    /// `headers`: `'Name:value','Name:value'`.
    pub headers: Vec<(String, String)>,
    /// `basic.auth.username` and `basic.auth.password`.
    pub basic_auth: Option<(String, String)>,
}

impl HttpConfig {
    /// Reads the options of an `http` sink, or says which one is wrong.
    pub fn of(plan: &ConnectorPlan) -> Result<HttpConfig, String> {
        let url = plan.option("publisher.url").unwrap_or_default().to_string();
        if !url.starts_with("http://") {
            return Err(format!("publisher.url '{url}': Sluice sends to `http://…` URLs (https is not built)"));
        }
        let method = plan.option("method").unwrap_or("POST").to_ascii_uppercase();
        if !["POST", "PUT", "PATCH", "DELETE", "GET"].contains(&method.as_str()) {
            return Err(format!("method '{method}' is not one of POST, PUT, PATCH, DELETE, GET"));
        }
        let mut headers = headers(plan)?;
        if let Some(ct) = plan.option("content.type") {
            headers.push(("Content-Type".into(), ct.to_string()));
        }
        let basic_auth = match (plan.option("basic.auth.username"), plan.option("basic.auth.password")) {
            (Some(u), p) => Some((u.to_string(), p.unwrap_or_default().to_string())),
            (None, Some(_)) => return Err("option 'basic.auth.password' needs 'basic.auth.username'".into()),
            (None, None) => None,
        };
        Ok(HttpConfig { url, method, headers, basic_auth })
    }
}

/// A running `http` sink: a queue and the thread that sends what is in it.
#[derive(Debug)]
pub struct HttpSink {
    queue: Option<SyncSender<String>>,
    sender: Option<JoinHandle<()>>,
}

impl HttpSink {
    /// Starts the sender thread for the sink on `stream`; `content_type` is the
    /// mapper's (unless the options name one).
    /// With `responses` (an `http-call` sink: the hub and its `sink.id`), each
    /// response goes to the sources that take its status code.
    pub fn start(
        config: HttpConfig,
        stream: &str,
        content_type: &'static str,
        responses: Option<(Arc<Hub>, String)>,
    ) -> Result<HttpSink, String> {
        let (tx, rx) = sync_channel::<String>(QUEUE);
        let kind = if responses.is_some() { "http-call" } else { "http" };
        let who = format!("sink on '{stream}' ({kind} {})", config.url);
        let caller = who.clone();
        let respond = move |code: u16, body: String| {
            let Some((hub, id)) = &responses else { return false };
            if hub.publish_response(id, code, Payload::Text(body)) == 0 {
                eprintln!("{caller}: a response with status {code} for sink.id '{id}' matched no http-call-response source; dropped");
            }
            true
        };
        let agent = ureq::AgentBuilder::new().timeout(Duration::from_secs(30)).build();
        let authorization = config
            .basic_auth
            .as_ref()
            .map(|(u, p)| format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(format!("{u}:{p}"))));
        let sender = std::thread::Builder::new()
            .name(format!("sink-{stream}"))
            .spawn(move || {
                for body in rx {
                    let mut request = agent.request(&config.method, &config.url).set("Content-Type", content_type);
                    for (name, value) in &config.headers {
                        request = request.set(name, value);
                    }
                    if let Some(auth) = &authorization {
                        request = request.set("Authorization", auth);
                    }
                    match request.send_string(&body) {
                        Ok(response) => {
                            let code = response.status();
                            match response.into_string() {
                                Ok(text) => {
                                    respond(code, text);
                                }
                                Err(e) => eprintln!("{who}: the response could not be read: {e}"),
                            }
                        }
                        Err(ureq::Error::Status(code, response)) => {
                            let text = response.into_string().unwrap_or_default();
                            if !respond(code, text.clone()) {
                                eprintln!("{who}: event dropped: status {code}: {}", text.trim());
                            }
                        }
                        Err(e) => eprintln!("{who}: event dropped: {e}"),
                    }
                }
            })
            .map_err(|e| format!("cannot start a sink thread: {e}"))?;
        Ok(HttpSink { queue: Some(tx), sender: Some(sender) })
    }

    /// Queues one payload (waits while the queue is full).
    pub fn send(&self, body: String) {
        if let Some(queue) = &self.queue {
            let _ = queue.send(body);
        }
    }
}

impl Drop for HttpSink {
    /// Sends what is queued, then ends the thread.
    fn drop(&mut self) {
        self.queue.take();
        if let Some(sender) = self.sender.take() {
            let _ = sender.join();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan(options: &[(&str, &str)]) -> ConnectorPlan {
        crate::test_plan("http", options)
    }

    #[test]
    fn reads_url_method_headers_and_basic_auth() {
        let c = HttpConfig::of(&plan(&[
            ("publisher.url", "http://127.0.0.1:8080/x"),
            ("method", "put"),
            ("headers", "'X-A:1','X-B: two'"),
            ("basic.auth.username", "u"),
            ("basic.auth.password", "p"),
        ]))
        .unwrap();
        assert_eq!(c.method, "PUT");
        assert_eq!(c.headers, [("X-A".to_string(), "1".to_string()), ("X-B".to_string(), "two".to_string())]);
        assert_eq!(c.basic_auth, Some(("u".into(), "p".into())));
        for (options, error) in [
            (vec![("publisher.url", "https://h/x")], "https is not built"),
            (vec![("publisher.url", "http://h/x"), ("method", "FETCH")], "not one of"),
            (vec![("publisher.url", "http://h/x"), ("headers", "'nocolon'")], "Name:value"),
            (vec![("publisher.url", "http://h/x"), ("basic.auth.password", "p")], "needs 'basic.auth.username'"),
        ] {
            let e = HttpConfig::of(&plan(&options)).unwrap_err();
            assert!(e.contains(error), "{e}");
        }
    }
}
