//! The `mqtt` transport (Siddhi's siddhi-io-mqtt options) on `rumqttc`: a source
//! subscribes to `topic` and hands each message to its mapper, acknowledging a
//! QoS 1 message only once the app's door has taken its events; a sink
//! publishes each payload. Both reconnect with back-off (0.1 s doubling to 5 s)
//! and say so on standard error; the app keeps running meanwhile.

use crate::flag;
use rumqttc::{Client, Connection, ConnectionError, Event, MqttOptions, Packet, QoS};
use sluice_frontend::logical::ConnectorPlan;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

/// The first wait before reconnecting; it doubles up to [`MAX_BACKOFF`].
pub const FIRST_BACKOFF: Duration = Duration::from_millis(100);

/// The longest wait between two connection attempts.
pub const MAX_BACKOFF: Duration = Duration::from_secs(5);

/// The options Sluice reads for `mqtt`.
pub const OPTIONS: &[&str] = &[
    "url",
    "topic",
    "quality.of.service",
    "client.id",
    "clean.session",
    "username",
    "password",
    "keep.alive",
    "message.retain",
];

/// How many requests a client queues before publishing waits (back-pressure).
const REQUEST_QUEUE: usize = 1024;

/// An `mqtt` source's or sink's settings.
#[derive(Clone, Debug, PartialEq)]
pub struct MqttConfig {
    /// `url`, as written (for messages).
    pub url: String,
    /// The broker's host.
    pub host: String,
    /// The broker's port.
    pub port: u16,
    /// `topic`.
    pub topic: String,
    /// `quality.of.service`: 0 or 1 (default 1, as Siddhi).
    pub qos: QoS,
    /// `client.id` (a generated one by default).
    pub client_id: String,
    /// `clean.session` (default true).
    pub clean_session: bool,
    /// `username` and `password`.
    pub credentials: Option<(String, String)>,
    /// `keep.alive` in seconds (default 60).
    pub keep_alive: u64,
    /// `message.retain` (sinks; default false).
    pub retain: bool,
}

static CLIENTS: AtomicUsize = AtomicUsize::new(0);

impl MqttConfig {
    /// Reads the options of an `mqtt` transport, or says which one is wrong.
    pub fn of(plan: &ConnectorPlan) -> Result<MqttConfig, String> {
        let url = plan.option("url").unwrap_or_default().to_string();
        let address = url.strip_prefix("tcp://").or_else(|| url.strip_prefix("mqtt://")).ok_or_else(|| {
            format!("url '{url}': Sluice connects to `tcp://host:port` (TLS and WebSocket brokers are not built)")
        })?;
        let (host, port) = match address.trim_end_matches('/').rsplit_once(':') {
            Some((h, p)) => (h, p.parse::<u16>().map_err(|_| format!("url '{url}': '{p}' is not a port"))?),
            None => (address.trim_end_matches('/'), 1883),
        };
        if host.is_empty() {
            return Err(format!("url '{url}' names no host"));
        }
        let qos = match plan.option("quality.of.service").unwrap_or("1").trim() {
            "0" => QoS::AtMostOnce,
            "1" => QoS::AtLeastOnce,
            other => return Err(format!("quality.of.service '{other}': Sluice runs MQTT at QoS 0 or 1")),
        };
        let keep_alive = match plan.option("keep.alive") {
            None => 60,
            Some(v) => v
                .trim()
                .parse::<u64>()
                .ok()
                .filter(|k| *k >= 1)
                .ok_or_else(|| format!("keep.alive '{v}' is not a number of seconds (1 or more)"))?,
        };
        let client_id = match plan.option("client.id").filter(|c| !c.is_empty()) {
            Some(c) => c.to_string(),
            None => format!("sluice-{}-{}", std::process::id(), CLIENTS.fetch_add(1, Ordering::Relaxed)),
        };
        let credentials = match (plan.option("username"), plan.option("password")) {
            (Some(u), p) => Some((u.to_string(), p.unwrap_or_default().to_string())),
            (None, Some(_)) => return Err("option 'password' needs 'username'".into()),
            (None, None) => None,
        };
        Ok(MqttConfig {
            host: host.to_string(),
            port,
            topic: plan.option("topic").unwrap_or_default().to_string(),
            qos,
            client_id,
            clean_session: flag(plan, "clean.session", true)?,
            credentials,
            keep_alive,
            retain: flag(plan, "message.retain", false)?,
            url,
        })
    }

    /// A client and its connection (the connection is made when it is polled).
    pub fn connect(&self, manual_acks: bool) -> (Client, Connection) {
        let mut options = MqttOptions::new(self.client_id.clone(), self.host.clone(), self.port);
        // The client id is never empty, so an unclean session is allowed.
        options.set_clean_session(self.clean_session);
        options.set_keep_alive(Duration::from_secs(self.keep_alive.max(1)));
        options.set_manual_acks(manual_acks);
        if let Some((user, password)) = &self.credentials {
            options.set_credentials(user.clone(), password.clone());
        }
        Client::new(options, REQUEST_QUEUE)
    }
}

/// Tracks a connection's state for the log: says when it is lost (with the
/// reason and the wait before the next attempt) and when it is back.
#[derive(Debug)]
pub struct Reconnect {
    who: String,
    backoff: Duration,
    retrying: bool,
}

impl Reconnect {
    /// For messages that start with `who` (e.g. `source on 'S' (mqtt tcp://…)`).
    pub fn new(who: String) -> Reconnect {
        Reconnect { who, backoff: FIRST_BACKOFF, retrying: false }
    }

    /// The connection failed: logs it and waits before the next attempt.
    pub fn failed(&mut self, error: &ConnectionError) {
        eprintln!("{}: {error}; retrying in {:?}", self.who, self.backoff);
        std::thread::sleep(self.backoff);
        self.backoff = (self.backoff * 2).min(MAX_BACKOFF);
        self.retrying = true;
    }

    /// Whether the last attempt failed and none has succeeded since.
    pub fn retrying(&self) -> bool {
        self.retrying
    }

    /// The broker accepted the connection.
    pub fn connected(&mut self) {
        if self.retrying {
            eprintln!("{}: connected again", self.who);
        }
        self.backoff = FIRST_BACKOFF;
        self.retrying = false;
    }
}

/// What a polled event means to its owner.
pub enum Polled {
    /// The broker accepted the connection (subscribe now).
    Connected,
    /// A message arrived.
    Message(rumqttc::Publish),
    /// Nothing for the owner.
    Other,
    /// The client went away: the connection is over.
    Done,
}

/// Polls `connection` for up to `wait`, handling failures with `reconnect`.
pub fn poll(connection: &mut Connection, wait: Duration, reconnect: &mut Reconnect) -> Polled {
    match connection.recv_timeout(wait) {
        Ok(Ok(Event::Incoming(Packet::ConnAck(_)))) => {
            reconnect.connected();
            Polled::Connected
        }
        Ok(Ok(Event::Incoming(Packet::Publish(p)))) => Polled::Message(p),
        Ok(Ok(Event::Outgoing(rumqttc::Outgoing::Disconnect))) => Polled::Done,
        Ok(Ok(_)) => Polled::Other,
        Ok(Err(e)) => {
            reconnect.failed(&e);
            Polled::Other
        }
        Err(rumqttc::RecvTimeoutError::Timeout) => Polled::Other,
        Err(rumqttc::RecvTimeoutError::Disconnected) => Polled::Done,
    }
}

/// After a disconnect request: polls until it has gone out (or the connection
/// fails, or `within` passes), without reconnecting.
pub fn drain(connection: &mut Connection, within: Duration) {
    let deadline = std::time::Instant::now() + within;
    while std::time::Instant::now() < deadline {
        match connection.recv_timeout(Duration::from_millis(100)) {
            Ok(Ok(Event::Outgoing(rumqttc::Outgoing::Disconnect)))
            | Ok(Err(_))
            | Err(rumqttc::RecvTimeoutError::Disconnected) => return,
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan(options: &[(&str, &str)]) -> ConnectorPlan {
        crate::test_plan("mqtt", options)
    }

    #[test]
    fn reads_urls_qos_and_session_options() {
        let c = MqttConfig::of(&plan(&[("url", "tcp://127.0.0.1:1884"), ("topic", "t"), ("quality.of.service", "0")]))
            .unwrap();
        assert_eq!((c.host.as_str(), c.port, c.qos, c.clean_session), ("127.0.0.1", 1884, QoS::AtMostOnce, true));
        assert!(c.client_id.starts_with("sluice-"));
        let c = MqttConfig::of(&plan(&[("url", "mqtt://broker"), ("client.id", "me"), ("clean.session", "false")]))
            .unwrap();
        assert_eq!((c.port, c.qos, c.client_id.as_str(), c.clean_session), (1883, QoS::AtLeastOnce, "me", false));
        for (options, error) in [
            (vec![("url", "ssl://h:1")], "tcp://host:port"),
            (vec![("url", "tcp://h:x")], "not a port"),
            (vec![("url", "tcp://h"), ("quality.of.service", "2")], "QoS 0 or 1"),
            (vec![("url", "tcp://h"), ("clean.session", "maybe")], "'true' or 'false'"),
            (vec![("url", "tcp://h"), ("keep.alive", "0")], "keep.alive"),
            (vec![("url", "tcp://h"), ("password", "p")], "needs 'username'"),
        ] {
            let e = MqttConfig::of(&plan(&options)).unwrap_err();
            assert!(e.contains(error), "{e}");
        }
    }
}
