//! Following a stream's outputs: Server-Sent Events and WebSocket subscribers,
//! fed from an app's broadcast channel (or, on a cluster's follower, from the
//! leader's SSE stream), each holding a place among the server's subscribers.

use super::limits::SubscriberPass;
use futures_util::{SinkExt, StreamExt};
use std::sync::Arc;
use tokio::sync::broadcast::error::RecvError;

/// Follows the leader's SSE stream and sends each event over a WebSocket.
/// The subscriber's `pass` is held until the relay ends.
pub async fn relay_ws(socket: warp::ws::WebSocket, url: String, auth: Option<String>, pass: SubscriberPass) {
    let _pass = pass;
    let mut req = warp::http::Request::get(url).header("accept", "text/event-stream");
    if let Some(a) = auth {
        req = req.header("authorization", a);
    }
    let body = match req.body(warp::hyper::Body::empty()) {
        Ok(req) => warp::hyper::Client::new().request(req).await.ok().map(|r| r.into_body()),
        Err(_) => None,
    };
    match body {
        Some(body) => pump_ws(socket, sse_deliveries(body)).await,
        None => {
            let _ = socket.close().await;
        }
    }
}

/// What a subscriber receives: an event's JSON text, or how many events it lost
/// by falling behind.
pub enum Delivery {
    /// An output event's JSON text.
    Event(Arc<str>),
    /// How many events the subscriber lost.
    Lagged(u64),
}

impl Delivery {
    /// As a Server-Sent Event.
    pub fn sse(self) -> warp::sse::Event {
        match self {
            Delivery::Event(line) => warp::sse::Event::default().data(&*line),
            Delivery::Lagged(n) => warp::sse::Event::default().event("lagged").data(n.to_string()),
        }
    }
    /// As a WebSocket text message.
    pub fn ws_text(self) -> String {
        match self {
            Delivery::Event(line) => line.to_string(),
            Delivery::Lagged(n) => serde_json::json!({"lagged": n}).to_string(),
        }
    }
}

/// A stream's events as a subscriber receives them; ends when the app stops.
/// The subscriber's `pass` is held until the stream is dropped.
pub fn deliveries(
    rx: tokio::sync::broadcast::Receiver<Arc<str>>,
    pass: SubscriberPass,
) -> impl futures_util::Stream<Item = Delivery> + Send + Unpin {
    Box::pin(futures_util::stream::unfold((rx, pass), |(mut rx, pass)| async move {
        let d = match rx.recv().await {
            Ok(line) => Delivery::Event(line),
            Err(RecvError::Lagged(n)) => Delivery::Lagged(n),
            Err(RecvError::Closed) => return None,
        };
        Some((d, (rx, pass)))
    }))
}

/// The deliveries carried by an SSE body (the leader's, read by a follower).
fn sse_deliveries(body: warp::hyper::Body) -> impl futures_util::Stream<Item = Delivery> + Send + Unpin {
    Box::pin(futures_util::stream::unfold(
        (body, String::new(), false),
        |(mut body, mut pending, mut lagged)| async move {
            loop {
                while let Some(end) = pending.find('\n') {
                    let line: String = pending.drain(..=end).collect();
                    let line = line.trim_end();
                    if line == "event:lagged" {
                        lagged = true;
                    } else if let Some(data) = line.strip_prefix("data:") {
                        let d = if std::mem::take(&mut lagged) {
                            Delivery::Lagged(data.trim().parse().unwrap_or(0))
                        } else {
                            Delivery::Event(Arc::from(data))
                        };
                        return Some((d, (body, pending, lagged)));
                    }
                }
                match body.next().await {
                    Some(Ok(chunk)) => pending.push_str(&String::from_utf8_lossy(&chunk)),
                    _ => return None,
                }
            }
        },
    ))
}

/// Sends deliveries over a WebSocket until either side closes; a subscriber that
/// falls behind gets `{"lagged": n}` and loses those events.
pub async fn pump_ws(socket: warp::ws::WebSocket, mut source: impl futures_util::Stream<Item = Delivery> + Unpin) {
    let (mut tx, mut incoming) = socket.split();
    loop {
        tokio::select! {
            next = source.next() => {
                let Some(d) = next else { break };
                if tx.send(warp::ws::Message::text(d.ws_text())).await.is_err() {
                    break;
                }
            }
            msg = incoming.next() => match msg {
                Some(Ok(m)) if !m.is_close() => {}
                _ => break,
            }
        }
    }
    let _ = tx.close().await;
}
