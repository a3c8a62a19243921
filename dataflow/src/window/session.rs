//! `session(gap[, key[, allowed.latency]])`: groups events per key into sessions
//! that stay open while events keep arriving within `gap` ms of the last one.
//! Arrivals pass through as current events; a session whose `last event + gap`
//! has passed expires whole (its events, with their own timestamps). A late event
//! (older than the session start) joins the session if within `gap` of its start,
//! else it is dropped. With an allowed latency, a closed session is kept `latency`
//! ms more for late events before it expires.

use super::{Emitted, Extractor, StreamEvent, Window};
use crate::value::{Row, Value};
use std::collections::BTreeMap;

/// One session: its events and bounds.
#[derive(Default)]
pub(super) struct Session {
    events: Vec<StreamEvent>,
    start: i64,
    end: i64,
}

/// The sessions of one key.
#[derive(Default)]
pub(super) struct Sessions {
    current: Session,
    previous: Session,
    /// When the previous session expires (end + allowed latency).
    previous_alive: i64,
}

/// The session window state.
pub(super) struct SessionWindow {
    /// The gap that closes a session (ms).
    pub(super) gap: i64,
    /// The session key (none: one session for all).
    pub(super) key: Option<Extractor>,
    /// How long a closed session still takes late events (ms).
    pub(super) latency: i64,
    /// Sessions by key.
    pub(super) sessions: BTreeMap<Value, Sessions>,
}

impl SessionWindow {
    fn expire(&mut self, now: i64, out: &mut Vec<Emitted>) {
        let latency = self.latency;
        let mut due: Vec<(i64, Value)> = self
            .sessions
            .iter()
            .filter(|(_, s)| !s.current.events.is_empty() && now >= s.current.end)
            .map(|(k, s)| (s.current.end, k.clone()))
            .collect();
        due.sort();
        for (_, k) in due {
            let s = self.sessions.get_mut(&k).expect("present");
            let closed = std::mem::take(&mut s.current);
            if latency > 0 {
                if !s.previous.events.is_empty() {
                    out.extend(std::mem::take(&mut s.previous.events).into_iter().map(Emitted::Expired));
                }
                s.previous_alive = closed.end + latency;
                s.previous = closed;
            } else {
                out.extend(closed.events.into_iter().map(Emitted::Expired));
            }
        }
        if latency > 0 {
            let mut due: Vec<(i64, Value)> = self
                .sessions
                .iter()
                .filter(|(_, s)| !s.previous.events.is_empty() && now >= s.previous_alive)
                .map(|(k, s)| (s.previous_alive, k.clone()))
                .collect();
            due.sort();
            for (_, k) in due {
                let s = self.sessions.get_mut(&k).expect("present");
                out.extend(std::mem::take(&mut s.previous).events.into_iter().map(Emitted::Expired));
            }
        }
        self.sessions.retain(|_, s| !s.current.events.is_empty() || !s.previous.events.is_empty());
    }
}

impl Window for SessionWindow {
    fn on_event(&mut self, ev: StreamEvent, out: &mut Vec<Emitted>) {
        self.expire(ev.ts, out);
        let key = self.key.as_ref().map_or(Value::Null, |k| k(&ev.row));
        let (gap, latency) = (self.gap, self.latency);
        let s = self.sessions.entry(key).or_default();
        let t = ev.ts;
        let cur = &mut s.current;
        if cur.events.is_empty() {
            cur.events.push(ev.clone());
            cur.start = t;
            cur.end = t + gap;
        } else if t >= cur.start {
            // Within the session (an event past its end was expired above).
            cur.events.push(ev.clone());
            cur.end = cur.end.max(t + gap);
        } else if t >= cur.start - gap {
            cur.events.insert(0, ev.clone());
            cur.start = t;
            if latency > 0 && !s.previous.events.is_empty() && s.previous.end >= cur.start - gap {
                let mut merged = std::mem::take(&mut s.previous.events);
                merged.append(&mut cur.events);
                cur.events = merged;
                cur.start = s.previous.start;
            }
        } else if latency > 0 && !s.previous.events.is_empty() && t >= s.previous.start - gap {
            s.previous.events.push(ev.clone());
            s.previous.start = s.previous.start.min(t);
        } else {
            // Too late for any session: dropped.
            return;
        }
        out.push(Emitted::Current(ev));
    }
    fn on_time(&mut self, now: i64, out: &mut Vec<Emitted>) {
        self.expire(now, out);
    }
    fn next_deadline(&self) -> Option<i64> {
        self.sessions
            .values()
            .flat_map(|s| {
                let cur = (!s.current.events.is_empty()).then_some(s.current.end);
                let prev = (!s.previous.events.is_empty()).then_some(s.previous_alive);
                cur.into_iter().chain(prev)
            })
            .min()
    }
    fn contents(&self) -> Vec<Row> {
        self.sessions
            .values()
            .flat_map(|s| s.previous.events.iter().chain(&s.current.events).map(|e| e.row.clone()))
            .collect()
    }
}
