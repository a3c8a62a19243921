//! Triggers (`define trigger T at 'start' | at every 5 sec | at '<cron>'`): their
//! events enter an app through the same door as every other input, on the app's
//! clock. Before an item moves the clock to `now` (an event's timestamp, a tick),
//! [`TriggerClock::fire_until`] yields every firing due by `now`, each an event
//! `(triggered_time long)` of the trigger's stream stamped with its firing time.
//! So a trigger fires on the wall clock in a live app (through the idle ticks), on
//! event time in playback, and at `{time}` steps in golden cases, and the same
//! input gives the same trigger events on any number of workers.
//!
//! The reference fires periodic triggers from a wall-clock executor even in
//! playback; Sluice reads the app's clock for every trigger, as its timers do.

use crate::app::InputItem;
use crate::value::Value;
use chrono::{DateTime, Utc};
use sluice_frontend::logical::{TriggerPlan, TriggerSchedule};
use std::str::FromStr;

/// At most this many firings of one trigger are produced for one move of the
/// clock; past that the trigger skips to its latest firing (a playback clock that
/// jumps a year with a 1 ms trigger would otherwise produce 3·10¹⁰ events).
pub const MAX_FIRINGS_PER_MOVE: usize = 100_000;

/// The schedules of an app's triggers and where each one is.
#[derive(Clone, Debug, Default)]
pub struct TriggerClock {
    triggers: Vec<Trigger>,
    /// The clock, once something has moved it.
    now: Option<i64>,
}

#[derive(Clone, Debug)]
struct Trigger {
    stream: String,
    when: When,
    /// The next firing (ms), once the clock has started.
    next: Option<i64>,
}

#[derive(Clone, Debug)]
enum When {
    Start,
    Every(i64),
    Cron(Box<cron::Schedule>),
}

impl TriggerClock {
    /// The clock of `triggers`; a cron expression that does not parse is refused
    /// with the trigger's name and the reason.
    pub fn new(triggers: &[TriggerPlan]) -> Result<TriggerClock, String> {
        let mut out = Vec::with_capacity(triggers.len());
        for t in triggers {
            let when = match &t.schedule {
                TriggerSchedule::Start => When::Start,
                TriggerSchedule::Every(ms) => When::Every((*ms).max(1)),
                TriggerSchedule::Cron(expr) => When::Cron(Box::new(cron::Schedule::from_str(expr).map_err(|e| {
                    format!(
                        "trigger '{}': '{expr}' is not a cron expression (sec min hour day month weekday [year]): {e}",
                        t.name
                    )
                })?)),
            };
            out.push(Trigger { stream: t.name.clone(), when, next: None });
        }
        Ok(TriggerClock { triggers: out, now: None })
    }

    /// Whether the app has no trigger.
    pub fn is_empty(&self) -> bool {
        self.triggers.is_empty()
    }

    /// Whether moving the clock to `now` would fire anything (the first move
    /// always starts the clock).
    pub fn due_by(&self, now: i64) -> bool {
        !self.triggers.is_empty()
            && (self.now.is_none() || self.triggers.iter().any(|t| t.next.is_some_and(|at| at <= now)))
    }

    /// Moves the clock to `now` (never back) and appends to `out` the trigger
    /// events due by then, in firing order (ties in definition order). The first
    /// move starts the clock: `at 'start'` fires then, periodic triggers count
    /// their periods from then, cron triggers fire at their next time after it.
    pub fn fire_until(&mut self, now: i64, out: &mut Vec<InputItem>) {
        if self.triggers.is_empty() || self.now.is_some_and(|n| now <= n) {
            return;
        }
        if self.now.is_none() {
            for t in &mut self.triggers {
                t.next = match &t.when {
                    When::Start => Some(now),
                    When::Every(p) => now.checked_add(*p),
                    When::Cron(s) => cron_after(s, now - 1),
                };
            }
        }
        self.now = Some(now);
        let start = out.len();
        for t in &mut self.triggers {
            let mut fired = 0;
            while let Some(at) = t.next.filter(|at| *at <= now) {
                if fired == MAX_FIRINGS_PER_MOVE {
                    t.next = t.first_after(now);
                    eprintln!(
                        "trigger '{}': the clock jumped to {now}; skipped firings after the first {fired}",
                        t.stream
                    );
                    break;
                }
                fired += 1;
                out.push(InputItem::Event { stream: t.stream.clone(), values: vec![Value::Long(at)], ts: at });
                t.next = match &t.when {
                    When::Start => None,
                    When::Every(p) => at.checked_add(*p),
                    When::Cron(s) => cron_after(s, at),
                };
            }
        }
        // Firing order across triggers: by time, then definition order (stable sort).
        out[start..].sort_by_key(|item| match item {
            InputItem::Event { ts, .. } => *ts,
            _ => i64::MAX,
        });
    }
}

impl Trigger {
    /// The first firing strictly after `now` (after a jump too long to fire whole).
    fn first_after(&self, now: i64) -> Option<i64> {
        match &self.when {
            When::Start => None,
            When::Every(p) => {
                let next = self.next?;
                let periods = (now - next) / p + 1;
                next.checked_add(periods.checked_mul(*p)?)
            }
            When::Cron(s) => cron_after(s, now),
        }
    }
}

/// The first firing of `schedule` strictly after `ms`.
fn cron_after(schedule: &cron::Schedule, ms: i64) -> Option<i64> {
    let at = DateTime::<Utc>::from_timestamp_millis(ms)?;
    schedule.after(&at).next().map(|t| t.timestamp_millis())
}

/// `items` with the trigger events each one's clock move makes due inserted
/// before it (events and ticks move the clock; queries and flushes do not).
pub fn with_triggers<I>(items: I, mut clock: TriggerClock) -> impl Iterator<Item = InputItem>
where
    I: Iterator<Item = InputItem>,
{
    let mut pending = Vec::new();
    items.flat_map(move |item| {
        pending.clear();
        if let InputItem::Event { ts, .. } | InputItem::Tick(ts) = &item {
            clock.fire_until(*ts, &mut pending);
        }
        pending.push(item);
        std::mem::take(&mut pending)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use sluice_frontend::ast::Span;

    fn plan(name: &str, schedule: TriggerSchedule) -> TriggerPlan {
        TriggerPlan { name: name.into(), schedule, span: Span::default() }
    }

    fn fired(clock: &mut TriggerClock, now: i64) -> Vec<(String, i64)> {
        let mut out = Vec::new();
        clock.fire_until(now, &mut out);
        out.into_iter()
            .map(|i| match i {
                InputItem::Event { stream, ts, values } => {
                    assert_eq!(values, vec![Value::Long(ts)]);
                    (stream, ts)
                }
                other => panic!("not an event: {other:?}"),
            })
            .collect()
    }

    #[test]
    fn start_fires_once_and_periods_count_from_the_first_clock() {
        let mut c =
            TriggerClock::new(&[plan("P", TriggerSchedule::Every(500)), plan("S", TriggerSchedule::Start)]).unwrap();
        assert!(c.due_by(0), "the first move starts the clock");
        assert_eq!(fired(&mut c, 1000), vec![("S".into(), 1000)]);
        assert!(!c.due_by(1499) && c.due_by(1500));
        assert_eq!(fired(&mut c, 1499), vec![]);
        assert_eq!(fired(&mut c, 2000), vec![("P".into(), 1500), ("P".into(), 2000)]);
        assert_eq!(fired(&mut c, 1900), vec![], "the clock never goes back");
        assert_eq!(fired(&mut c, 2499), vec![]);
    }

    #[test]
    fn cron_fires_on_its_schedule_and_ties_keep_definition_order() {
        let mut c = TriggerClock::new(&[
            plan("C", TriggerSchedule::Cron("*/2 * * * * ?".into())),
            plan("P", TriggerSchedule::Every(1000)),
        ])
        .unwrap();
        assert_eq!(fired(&mut c, 0), vec![("C".into(), 0)]);
        assert_eq!(fired(&mut c, 2000), vec![("P".into(), 1000), ("C".into(), 2000), ("P".into(), 2000)]);
    }

    #[test]
    fn a_bad_cron_expression_is_refused_by_name() {
        let e = TriggerClock::new(&[plan("T", TriggerSchedule::Cron("every day".into()))]).unwrap_err();
        assert!(e.contains("trigger 'T'") && e.contains("not a cron expression"), "{e}");
    }

    #[test]
    fn a_long_jump_is_bounded() {
        let mut c = TriggerClock::new(&[plan("P", TriggerSchedule::Every(1))]).unwrap();
        fired(&mut c, 0);
        let n = fired(&mut c, 10 * MAX_FIRINGS_PER_MOVE as i64);
        assert_eq!(n.len(), MAX_FIRINGS_PER_MOVE);
        assert_eq!(fired(&mut c, 10 * MAX_FIRINGS_PER_MOVE as i64 + 1).len(), 1);
    }
}
