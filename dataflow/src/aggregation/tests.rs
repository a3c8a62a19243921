//! Bucket maintenance and reads of one aggregation, without a dataflow.

use super::state::Aggregation;
use super::{resolve, AggKind, AggregationSpec, ColumnSpec};
use crate::query::expr::{CExpr, Env};
use crate::value::Value;
use std::sync::Arc;

/// `select k, sum(v), count() group by k aggregate [by ts] every sec ... hour`
/// over rows `(k string, v long, ts long)`.
fn aggregation(by_ts: bool) -> Aggregation {
    let sum = ColumnSpec::Aggregate { kind: AggKind::Sum, arg: Some(CExpr::Col(1)), integral: true };
    let count = ColumnSpec::Aggregate { kind: AggKind::Count, arg: None, integral: true };
    Aggregation::new(Arc::new(AggregationSpec {
        name: "A".into(),
        filters: Vec::new(),
        timestamp: by_ts.then_some(CExpr::Col(2)),
        group_by: vec![CExpr::Col(0)],
        columns: vec![ColumnSpec::Value(CExpr::Col(0)), sum, count],
        granularities: vec![0, 1, 2],
    }))
}

fn feed(a: &mut Aggregation, k: &str, v: i64, ts: i64) {
    a.ingest(&[Value::string(k), Value::Long(v), Value::Long(ts)], ts, &Env::default());
}

fn rows(a: &Aggregation, start: i64, end: i64, g: usize) -> Vec<Vec<Value>> {
    a.read(start, end, g, i64::MAX).unwrap().iter().map(|r| r.to_vec()).collect()
}

#[test]
fn late_events_land_in_their_own_bucket() {
    let mut a = aggregation(true);
    feed(&mut a, "a", 1, 60_010_000);
    feed(&mut a, "a", 2, 60_020_000);
    feed(&mut a, "a", 4, 60_005_000);
    let seconds = rows(&a, 0, 100_000_000, 0);
    let total = |b: i64| seconds.iter().find(|r| r[0] == Value::Long(b)).map(|r| r[2].clone());
    assert_eq!(total(60_005_000), Some(Value::Long(4)));
    assert_eq!(total(60_010_000), Some(Value::Long(1)));
    assert_eq!(
        rows(&a, 0, 100_000_000, 1),
        vec![vec![Value::Long(60_000_000), Value::string("a"), Value::Long(7), Value::Long(3)]]
    );
}

#[test]
fn on_event_timestamps_a_straddling_bucket_counts_its_seconds_in_range() {
    let mut a = aggregation(true);
    feed(&mut a, "a", 1, 60_010_000);
    feed(&mut a, "a", 2, 60_020_000);
    // The minute 60,000,000 straddles the start: only the second at 60,020,000 counts.
    let r = rows(&a, 60_015_000, 60_100_000, 1);
    assert_eq!(r.len(), 1);
    assert_eq!(r[0][2], Value::Long(2));
    assert!(rows(&a, 60_025_000, 60_100_000, 1).is_empty());
    // On event time the minute is in the range only when its start is.
    let mut e = aggregation(false);
    feed(&mut e, "a", 1, 60_010_000);
    feed(&mut e, "a", 2, 60_020_000);
    assert!(rows(&e, 60_015_000, 60_100_000, 1).is_empty());
    assert_eq!(rows(&e, 60_000_000, 60_100_000, 1)[0][2], Value::Long(3));
}

#[test]
fn a_granularity_not_kept_is_refused() {
    let a = aggregation(true);
    let err = a.read(0, 1, 3, 0).unwrap_err();
    assert!(err.contains("DAYS"), "{err}");
    assert_eq!(resolve(&[Value::Long(5), Value::Long(10)], &Value::string("minutes")), Ok((5, 10, 1)));
    assert!(resolve(&[Value::Long(10), Value::Long(5)], &Value::string("sec")).is_err());
    assert!(resolve(&[Value::Long(1), Value::Long(5)], &Value::string("weeks")).is_err());
}
