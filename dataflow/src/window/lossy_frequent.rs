//! `lossyFrequent(support, error[, attr…])` (LossyFrequentWindowProcessor): the
//! lossy-counting frequent-items window. Every event counts for its key (the given
//! attributes' texts appended, or its output data's: see `event_key`); an event passes only when its
//! key's count reaches `(support - error) × events seen`. The stream is cut into
//! buckets of `⌈1/error⌉` events; at each bucket boundary the keys whose count
//! plus starting bucket does not exceed the current bucket are dropped, and their
//! latest event expires (after the arrival, in the reference's
//! `ConcurrentHashMap` order). What one arrival releases is one chunk, not a batch.

use super::event_key::EventKey;
use super::java::{JavaKey, JavaMap, MapKind};
use super::{Emitted, StreamEvent, Window};
use crate::value::{Row, Value};

/// The `lossyFrequent` window state.
pub(super) struct LossyFrequent {
    /// The support threshold.
    pub(super) support: f64,
    /// The error bound.
    pub(super) error: f64,
    /// `⌈1/error⌉`: events per bucket.
    pub(super) width: f64,
    /// Where an event's key comes from.
    pub(super) keys: EventKey,
    /// Events seen (a Java `int`).
    pub(super) total: i32,
    /// The current bucket.
    pub(super) bucket: f64,
    /// Per key: count and the bucket it started in.
    pub(super) counts: JavaMap<(i32, i32)>,
    /// Per key: the latest event.
    pub(super) latest: JavaMap<StreamEvent>,
}

impl LossyFrequent {
    /// A fresh window.
    pub(super) fn new(support: f64, error: f64, keys: EventKey) -> LossyFrequent {
        LossyFrequent {
            support,
            error,
            width: (1.0 / error).ceil(),
            keys,
            total: 0,
            bucket: 1.0,
            counts: JavaMap::new(MapKind::Concurrent),
            latest: JavaMap::new(MapKind::Concurrent),
        }
    }
}

impl Window for LossyFrequent {
    fn on_event(&mut self, ev: StreamEvent, out: &mut Vec<Emitted>) {
        let now = ev.ts;
        self.total = self.total.wrapping_add(1);
        if self.total != 1 {
            self.bucket = (self.total as f64 / self.width).ceil();
        }
        let text = self.keys.text(&ev.row);
        let hv = Value::string(&text);
        let key = JavaKey::string(text);
        if self.latest.put(key.clone(), &hv, ev.clone()).is_some() {
            if let Some(c) = self.counts.get_mut(&key) {
                c.0 += 1;
            }
        } else {
            self.counts.put(key.clone(), &hv, (1, self.bucket as i32 - 1));
        }
        let count = self.counts.get(&key).map_or(0, |c| c.0);
        if count as f64 >= (self.support - self.error) * self.total as f64 {
            out.push(Emitted::Current(ev));
        }
        if self.total as f64 % self.width == 0.0 {
            for k in self.counts.keys() {
                let Some(&(c, b)) = self.counts.get(&k) else { continue };
                if (c + b) as f64 <= self.bucket {
                    self.counts.remove(&k);
                    if let Some(mut e) = self.latest.remove(&k) {
                        e.ts = now;
                        out.push(Emitted::Expired(e));
                    }
                }
            }
        }
    }
    fn on_time(&mut self, _now: i64, _out: &mut Vec<Emitted>) {}
    fn holds_other_than_released(&self) -> bool {
        true
    }
    // Not a batch (the default `is_batch`): the reference hands the window the
    // arriving chunk, which a stream's receiver makes with `isBatch` false, and
    // adds what it releases to that same chunk, so an aggregating query emits
    // every event of it (both keys expired at a bucket boundary, each row of a
    // `limit`/`offset`), not only the last.
    fn contents(&self) -> Vec<Row> {
        super::rows(self.latest.values())
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests_support::{ev2, kinds};
    use super::super::{window, Extractor, WindowArg};
    use crate::value::Value;
    use std::sync::Arc;

    #[test]
    fn rare_keys_are_dropped_at_bucket_boundaries() {
        // support 0.5, error 0.25: buckets of 4 events.
        let args = [WindowArg::Const(Value::Double(0.5)), WindowArg::Const(Value::Double(0.25))];
        let mut w = window("lossyFrequent", &args, true).unwrap();
        let mut out = Vec::new();
        for (i, k) in ["a", "a", "b", "a"].iter().enumerate() {
            w.on_event(ev2(i as i64, k, 0), &mut out);
        }
        // b passes (1 ≥ (0.5 - 0.25) × 3); at the 4th event (bucket 1) b's count
        // 1 plus its start bucket 0 is ≤ 1: b's event expires after the arrival.
        assert_eq!(kinds(&out), ["+a0", "+a0", "+b0", "+a0", "-b0"]);
        assert_eq!(w.contents().len(), 1);
    }

    #[test]
    fn keys_may_be_attributes() {
        let key: Extractor = Arc::new(|r: &[Value]| r[0].clone());
        let args =
            [WindowArg::Const(Value::Double(0.5)), WindowArg::Const(Value::Double(0.1)), WindowArg::Attr(key, Some(0))];
        let mut w = window("lossyFrequent", &args, true).unwrap();
        let mut out = Vec::new();
        w.on_event(ev2(0, "a", 1), &mut out);
        w.on_event(ev2(1, "a", 2), &mut out);
        assert_eq!(kinds(&out), ["+a1", "+a2"]);
        assert!(window("lossyFrequent", &args[..1], true).is_err());
    }
}
