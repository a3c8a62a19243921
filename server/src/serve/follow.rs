//! Following a stream's outputs: Server-Sent Events and WebSocket subscribers,
//! fed from an app's broadcast channel (or, on a cluster's follower, from the
//! leader's SSE stream), each holding a place among the server's subscribers.

use super::limits::SubscriberPass;
use super::outputs::Subscription;
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

/// What a subscriber receives: an event's number in its stream (when known) and
/// JSON text, or how many events it lost by falling behind.
pub enum Delivery {
    /// An output event's number (the SSE `id:`) and JSON text.
    Event(Option<u64>, Arc<str>),
    /// How many events the subscriber lost.
    Lagged(u64),
}

impl Delivery {
    /// As a Server-Sent Event.
    pub fn sse(self) -> warp::sse::Event {
        match self {
            Delivery::Event(Some(n), line) => warp::sse::Event::default().id(n.to_string()).data(&*line),
            Delivery::Event(None, line) => warp::sse::Event::default().data(&*line),
            Delivery::Lagged(n) => warp::sse::Event::default().event("lagged").data(n.to_string()),
        }
    }
    /// As a WebSocket text message.
    pub fn ws_text(self) -> String {
        match self {
            Delivery::Event(_, line) => line.to_string(),
            Delivery::Lagged(n) => serde_json::json!({"lagged": n}).to_string(),
        }
    }
}

/// A stream's events as a subscriber receives them: first, for a subscriber that
/// resumes, how many missed events are no longer kept and the kept ones, then the
/// live events; ends when the app stops. The subscriber's `pass` is held until
/// the stream is dropped.
pub fn deliveries(
    sub: Subscription,
    pass: SubscriberPass,
) -> impl futures_util::Stream<Item = Delivery> + Send + Unpin {
    let Subscription { rx, after, backlog, lost } = sub;
    // Live events up to here were sent from the backlog (or seen before).
    let seen = backlog.last().map(|b| b.n).or(after);
    let missed = (lost > 0).then_some(Delivery::Lagged(lost)).into_iter();
    let missed = missed.chain(backlog.into_iter().map(|b| Delivery::Event(Some(b.n), b.line)));
    let live = futures_util::stream::unfold((rx, pass), move |(mut rx, pass)| async move {
        loop {
            let d = match rx.recv().await {
                // A replay's events are for subscribers that resume, and only
                // those they have not seen.
                Ok(e) if e.replayed && after.is_none() => continue,
                Ok(e) if seen.is_some_and(|seen| e.n <= seen) => continue,
                Ok(e) => Delivery::Event(Some(e.n), e.line),
                Err(RecvError::Lagged(n)) => Delivery::Lagged(n),
                Err(RecvError::Closed) => return None,
            };
            return Some((d, (rx, pass)));
        }
    });
    Box::pin(futures_util::stream::iter(missed).chain(live))
}

/// The fields of one SSE event read so far.
#[derive(Default)]
struct SseFields {
    lagged: bool,
    data: Option<String>,
    id: Option<u64>,
}

/// The deliveries carried by an SSE body (the leader's, read by a follower): an
/// event's fields (`event:`, `data:`, `id:`, in any order) end at a blank line.
fn sse_deliveries(body: warp::hyper::Body) -> impl futures_util::Stream<Item = Delivery> + Send + Unpin {
    Box::pin(futures_util::stream::unfold(
        (body, String::new(), SseFields::default()),
        |(mut body, mut pending, mut fields)| async move {
            loop {
                while let Some(end) = pending.find('\n') {
                    let line: String = pending.drain(..=end).collect();
                    let line = line.trim_end();
                    if line.is_empty() {
                        let SseFields { lagged, data, id } = std::mem::take(&mut fields);
                        let Some(data) = data else { continue };
                        let d = if lagged {
                            Delivery::Lagged(data.trim().parse().unwrap_or(0))
                        } else {
                            Delivery::Event(id, Arc::from(data))
                        };
                        return Some((d, (body, pending, fields)));
                    } else if line == "event:lagged" {
                        fields.lagged = true;
                    } else if let Some(n) = line.strip_prefix("id:") {
                        fields.id = n.trim().parse().ok();
                    } else if let Some(data) = line.strip_prefix("data:") {
                        fields.data = Some(data.to_string());
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
