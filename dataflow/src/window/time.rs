//! `time(t)` and `externalTime(ts, t)`: a sliding window of the last t ms, by the
//! clock or by a timestamp attribute. An event expires once `its time + t <= now`;
//! expirations due by an arrival come out before it.

use super::{Emitted, Extractor, StreamEvent, Window};
use crate::value::Row;
use std::collections::VecDeque;

/// `time(t)` and `externalTime(ts, t)`: events of the last t ms; an event expires
/// once `its time + t <= now`.
pub(super) struct Time {
    pub(super) w: i64,
    pub(super) held: VecDeque<(i64, StreamEvent)>,
    pub(super) at: Option<Extractor>,
}

impl Time {
    fn expire(&mut self, now: i64, out: &mut Vec<Emitted>) {
        while let Some((t, _)) = self.held.front() {
            if t + self.w > now {
                break;
            }
            let (_, mut e) = self.held.pop_front().expect("present");
            e.ts = now;
            out.push(Emitted::Expired(e));
        }
    }
}

impl Window for Time {
    fn contents(&self) -> Vec<Row> {
        super::rows(self.held.iter().map(|(_, e)| e))
    }
    fn next_deadline(&self) -> Option<i64> {
        if self.at.is_some() {
            return None;
        }
        self.held.front().map(|(t, _)| t + self.w)
    }
    fn on_event(&mut self, ev: StreamEvent, out: &mut Vec<Emitted>) {
        let t = match &self.at {
            Some(f) => match f(&ev.row).as_i64() {
                Some(t) => t,
                None => return super::null_timestamp("externalTime"),
            },
            None => ev.ts,
        };
        self.expire(t, out);
        self.held.push_back((t, ev.clone()));
        out.push(Emitted::Current(ev));
    }
    fn on_time(&mut self, now: i64, out: &mut Vec<Emitted>) {
        if self.at.is_none() {
            self.expire(now, out);
        }
    }
}
