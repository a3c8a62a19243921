//! `cron('expr')`: a batch window released on a Quartz-style schedule
//! (`sec min hour day-of-month month day-of-week [year]`, e.g. `*/5 * * * * ?`),
//! read on the app's clock in UTC. At each firing, if events arrived since the
//! last one, the previous batch expires (stamped with the firing time) and the new
//! batch comes out as current; a firing with no new events releases nothing, as in
//! the reference's `CronWindowProcessor`.

use super::{Emitted, StreamEvent, Window};
use crate::value::Row;
use chrono::{DateTime, Utc};
use std::str::FromStr;

/// The `cron` window's state.
pub(super) struct Cron {
    schedule: cron::Schedule,
    /// The next firing (ms), once the clock has been seen.
    next_fire: Option<i64>,
    current: Vec<StreamEvent>,
    expired: Vec<StreamEvent>,
}

impl Cron {
    /// A window firing on `expr`; the error says why the expression is refused.
    pub(super) fn new(expr: &str) -> Result<Cron, String> {
        let schedule = cron::Schedule::from_str(expr)
            .map_err(|e| format!("'{expr}' is not a cron expression (sec min hour day month weekday [year]): {e}"))?;
        Ok(Cron { schedule, next_fire: None, current: Vec::new(), expired: Vec::new() })
    }

    /// The first firing strictly after `ms`.
    fn fire_after(&self, ms: i64) -> Option<i64> {
        let at = DateTime::<Utc>::from_timestamp_millis(ms)?;
        self.schedule.after(&at).next().map(|t| t.timestamp_millis())
    }

    fn fire(&mut self, at: i64, out: &mut Vec<Emitted>) {
        if self.current.is_empty() {
            return;
        }
        // The reference sends the expired batch whatever the query outputs: with no
        // reset event, that is how aggregates over the window forget it.
        out.extend(std::mem::take(&mut self.expired).into_iter().map(|mut e| {
            e.ts = at;
            Emitted::Expired(e)
        }));
        self.expired = self.current.clone();
        out.extend(self.current.drain(..).map(Emitted::Current));
    }
}

impl Window for Cron {
    fn on_event(&mut self, ev: StreamEvent, out: &mut Vec<Emitted>) {
        // Firings due by the event's time happened before it arrived.
        self.on_time(ev.ts, out);
        if self.next_fire.is_none() {
            self.next_fire = self.fire_after(ev.ts);
        }
        self.current.push(ev);
    }
    fn on_time(&mut self, now: i64, out: &mut Vec<Emitted>) {
        while let Some(at) = self.next_fire.filter(|at| *at <= now) {
            self.fire(at, out);
            self.next_fire = self.fire_after(at);
        }
    }
    fn is_batch(&self) -> bool {
        true
    }
    fn next_deadline(&self) -> Option<i64> {
        self.next_fire
    }
    fn contents(&self) -> Vec<Row> {
        super::rows(&self.expired)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    fn ev(ts: i64, v: i64) -> StreamEvent {
        StreamEvent { ts, row: Arc::from(vec![crate::value::Value::Long(v)]) }
    }

    fn show(out: &[Emitted]) -> Vec<String> {
        out.iter()
            .map(|e| match e {
                Emitted::Current(e) => format!("+{}@{}", e.row[0], e.ts),
                Emitted::Expired(e) => format!("-{}@{}", e.row[0], e.ts),
                Emitted::Reset => "reset".into(),
            })
            .collect()
    }

    #[test]
    fn batches_leave_at_each_firing_and_expire_at_the_next_one() {
        let mut w = Cron::new("*/5 * * * * ?").unwrap();
        let mut out = Vec::new();
        w.on_event(ev(1_000, 1), &mut out);
        w.on_event(ev(3_000, 2), &mut out);
        assert!(out.is_empty());
        assert_eq!(w.next_deadline(), Some(5_000));
        w.on_time(5_000, &mut out);
        assert_eq!(show(&out), ["+1@1000", "+2@3000"]);
        out.clear();
        // No events in the next period: nothing happens at 10 s.
        w.on_time(10_000, &mut out);
        assert!(out.is_empty());
        // An event at 12 s, released at 15 s with the first batch expiring.
        w.on_event(ev(12_000, 3), &mut out);
        w.on_event(ev(16_000, 4), &mut out);
        assert_eq!(show(&out), ["-1@15000", "-2@15000", "+3@12000"]);
        out.clear();
        w.on_time(20_000, &mut out);
        assert_eq!(show(&out), ["-3@20000", "+4@16000"]);
    }

    #[test]
    fn bad_expressions_are_refused_with_the_reason() {
        let refused = Cron::new("every five seconds").err().unwrap_or_default();
        assert!(refused.contains("not a cron expression"), "{refused}");
    }
}
