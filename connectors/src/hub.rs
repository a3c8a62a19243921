//! The in-process broker behind the `inMemory` transport (Siddhi's topics between
//! apps of one process) and the `stream` transport (Macrometa's server-level
//! named streams): a sink publishes a payload to a topic, and every source
//! subscribed to it receives a copy. Publishing never blocks (a subscriber's
//! queue is unbounded), so an app that feeds itself through a topic cannot
//! deadlock; each subscriber's thread applies back-pressure when it hands the
//! events to its app's door.

use crate::mapper::Payload;
use std::collections::HashMap;
use std::sync::mpsc::{channel, Receiver, Sender};
use std::sync::Mutex;

/// Which namespace a topic belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Namespace {
    /// `inMemory` topics.
    InMemory,
    /// Macrometa streams (`type='stream'`).
    Stream,
    /// Responses of `http-call` sinks, by `sink.id`, for `http-call-response`
    /// sources (each with the status codes it takes).
    HttpCallResponse,
}

/// A subscriber, with the status codes it takes (`http-call-response` only).
type Subscriber = (Sender<Payload>, Option<regex::Regex>);

/// Each topic's subscribers.
type Topics = HashMap<(Namespace, String), Vec<Subscriber>>;

/// The topics of one process.
#[derive(Debug, Default)]
pub struct Hub {
    topics: Mutex<Topics>,
    /// The requests `http-service` sources hold for their replies.
    pub(crate) waiting: crate::http_service::Waiting,
}

impl Hub {
    /// A receiver of every payload published to `topic` from now on.
    pub fn subscribe(&self, namespace: Namespace, topic: &str) -> Receiver<Payload> {
        let (tx, rx) = channel();
        self.lock().entry((namespace, topic.to_string())).or_default().push((tx, None));
        rx
    }

    /// A receiver of the responses to `http-call` sink `sink_id` whose status
    /// code `codes` matches (whole).
    pub fn subscribe_responses(&self, sink_id: &str, codes: regex::Regex) -> Receiver<Payload> {
        let (tx, rx) = channel();
        self.lock().entry((Namespace::HttpCallResponse, sink_id.to_string())).or_default().push((tx, Some(codes)));
        rx
    }

    /// Sends the response `payload` (status `code`) of `http-call` sink `sink_id`
    /// to each source that takes that code. Returns how many received it.
    pub fn publish_response(&self, sink_id: &str, code: u16, payload: Payload) -> usize {
        let mut topics = self.lock();
        let Some(subscribers) = topics.get_mut(&(Namespace::HttpCallResponse, sink_id.to_string())) else { return 0 };
        let code = code.to_string();
        let mut sent = 0;
        subscribers.retain(|(s, codes)| {
            if !codes.as_ref().is_none_or(|c| c.is_match(&code)) {
                return true;
            }
            let alive = s.send(payload.clone()).is_ok();
            sent += usize::from(alive);
            alive
        });
        sent
    }

    /// Sends `payload` to every subscriber of `topic`; subscribers that went away
    /// are forgotten. Returns how many received it.
    pub fn publish(&self, namespace: Namespace, topic: &str, payload: Payload) -> usize {
        let mut topics = self.lock();
        let Some(subscribers) = topics.get_mut(&(namespace, topic.to_string())) else { return 0 };
        subscribers.retain(|(s, _)| s.send(payload.clone()).is_ok());
        subscribers.len()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Topics> {
        self.topics.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delivers_to_every_subscriber_of_a_topic_and_forgets_dropped_ones() {
        let hub = Hub::default();
        let a = hub.subscribe(Namespace::Stream, "X");
        let b = hub.subscribe(Namespace::Stream, "X");
        let other = hub.subscribe(Namespace::InMemory, "X");
        assert_eq!(hub.publish(Namespace::Stream, "X", Payload::Text("1".into())), 2);
        drop(b);
        assert_eq!(hub.publish(Namespace::Stream, "X", Payload::Text("2".into())), 1);
        assert_eq!(a.try_iter().count(), 2);
        assert!(other.try_recv().is_err());
        assert_eq!(hub.publish(Namespace::Stream, "Y", Payload::Text("3".into())), 0);
    }
}
