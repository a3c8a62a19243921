//! `@purge(enable='true', interval='…', idle.period='…')` on a partition: the
//! partition instances (every query's state for one key) that received no event
//! for longer than the idle period are dropped, checked every interval.
//!
//! As in the reference, `enable` and `idle.period` are required, `enable` is `true`
//! or `false`, and `interval` defaults to 5 minutes. Periods are spelled as the
//! reference's `Expression.Time.timeToLong` reads them: a number of milliseconds or
//! a number and a unit (`500 millisec`, `10 sec`, `1 min` …).

use super::Analyzer;
use crate::ast::{Annotation, AnnotationElement, Partition, Span};
use crate::logical::PurgePlan;

/// The reference's default check interval (ms).
const DEFAULT_INTERVAL_MS: i64 = 5 * 60 * 1000;

/// A period as `timeToLong` reads it, in ms.
fn period_ms(text: &str) -> Option<i64> {
    let text = text.trim();
    let split = text.find(|c: char| !c.is_ascii_digit()).unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let number: i64 = number.parse().ok()?;
    let unit = unit.trim();
    let per = if unit.is_empty() { 1 } else { crate::parser::expr::unit_ms(&unit.to_ascii_lowercase())? };
    number.checked_mul(per).filter(|ms| *ms > 0)
}

impl Analyzer {
    /// The purge settings of partition `p`, if purging is enabled; errors at the
    /// annotation otherwise.
    pub(super) fn partition_purge(&mut self, p: &Partition) -> Option<PurgePlan> {
        let mut plan = None;
        for a in p.annotations.iter().filter(|a| a.name.eq_ignore_ascii_case("purge")) {
            plan = self.purge(a);
        }
        plan
    }

    /// One `@purge` annotation.
    fn purge(&mut self, a: &Annotation) -> Option<PurgePlan> {
        let enabled = match a.property("enable") {
            Some(v) if v.eq_ignore_ascii_case("true") => true,
            Some(v) if v.eq_ignore_ascii_case("false") => false,
            Some(v) => return self.purge_error(a.span, format!("@purge: enable is '{v}'; use 'true' or 'false'")),
            None => return self.purge_error(a.span, "@purge needs enable='true' or 'false'".to_string()),
        };
        let idle_ms = match a.property("idle.period") {
            Some(v) => match period_ms(v) {
                Some(ms) => ms,
                None => return self.purge_error(a.span, format!("@purge: idle.period '{v}' is not a period")),
            },
            None => return self.purge_error(a.span, "@purge needs idle.period (e.g. idle.period='10 min')".into()),
        };
        let interval_ms = match a.property("interval") {
            Some(v) => match period_ms(v) {
                Some(ms) => ms,
                None => return self.purge_error(a.span, format!("@purge: interval '{v}' is not a period")),
            },
            None => DEFAULT_INTERVAL_MS,
        };
        for e in &a.elements {
            match e {
                AnnotationElement::Property { key: Some(key), .. }
                    if ["enable", "idle.period", "interval"].iter().any(|k| key.eq_ignore_ascii_case(k)) => {}
                AnnotationElement::Property { key, span, .. } => {
                    let key = key.as_deref().unwrap_or("(no name)");
                    self.error(*span, format!("@purge has no option '{key}' (it takes enable, interval, idle.period)"));
                }
                AnnotationElement::Nested(n) => self.error(n.span, "@purge takes no nested annotation"),
            }
        }
        enabled.then_some(PurgePlan { interval_ms, idle_ms })
    }

    /// Reports `message` at `span`; no purge plan.
    fn purge_error(&mut self, span: Span, message: String) -> Option<PurgePlan> {
        self.error(span, message);
        None
    }
}

#[cfg(test)]
mod tests {
    use super::period_ms;

    #[test]
    fn periods_read_as_the_reference_reads_them() {
        assert_eq!(period_ms("1 sec"), Some(1000));
        assert_eq!(period_ms("10 min"), Some(600_000));
        assert_eq!(period_ms("250"), Some(250));
        assert_eq!(period_ms("2 hours"), Some(7_200_000));
        assert_eq!(period_ms("soon"), None);
        assert_eq!(period_ms("0 sec"), None);
        assert_eq!(period_ms("99999999999999999 years"), None);
    }
}
