//! `#reorder:akslack(timestamp, correlation.field[, batch.size[, timeout[,
//! max.k[, discard.late.arrival[, error.threshold, confidence.level]]]]])`
//! (siddhi-execution-reorder's `AlphaKSlackExtension`): K-slack reordering
//! (`kslack.rs`) whose K is scaled by α, tuned every `batch.size` + 1 events
//! from the correlation field's values and how many recent events the buffer
//! covered, as the reference computes it:
//!
//! * the window coverage threshold solves the reference's two quadratics in
//!   the batch's mean and (squared) variance, the critical value of the
//!   confidence level (the standard normal's quantile) and the error threshold;
//! * the runtime coverage counts the timestamps between `now - l - 10^10` and
//!   `now - l` (the reference's fixed window size), 1 when there are none;
//! * α = |α' + 0.5 e + 0.8 (e - e')| with e the threshold minus the coverage
//!   (1 on the first tuning), and `l = round(α K)` at most K;
//! * when the greatest timestamp grows by a lateness d over K, K becomes
//!   `round(d α)` (or `max.k`).
//!
//! The timer flushes both buffers (events stamped before its time + timeout).
//! What it releases at once, on an event or on the timer, is one batch chunk.
//! The reference keeps α and `l` per query (shared by partition keys); Sluice
//! keeps them with the rest of the state, per key. Like the reference, it keeps
//! every timestamp within the coverage window (10^10 ms).

use super::expr::{raise, CExpr, Env};
use super::kslack::{release_settled, Buffer, Timer};
use super::stream_processor::StreamProcessor;
use crate::value::{Row, Value};

/// The reference's coverage window, in milliseconds.
const WINDOW_SIZE: i64 = 10_000_000_000;

/// The constant parameters.
#[derive(Clone, Debug)]
pub struct AKSlackParams {
    /// Events per tuning of α (one more than this).
    pub batch_size: i64,
    /// Flush timeout (-1: none).
    pub timeout: i64,
    /// The largest K.
    pub max_k: i64,
    /// Whether events older than the last released are dropped.
    pub discard: bool,
    /// The error threshold.
    pub error_threshold: f64,
    /// The confidence level.
    pub confidence: f64,
}

/// The AQ-K-slack state.
pub struct AKSlack {
    timestamp: CExpr,
    correlation: CExpr,
    p: AKSlackParams,
    critical: f64,
    alpha: f64,
    l: i64,
    k: i64,
    largest: i64,
    last_sent: i64,
    previous_alpha: f64,
    previous_error: f64,
    counter: i64,
    primary: Buffer,
    secondary: Buffer,
    data: Vec<f64>,
    stamps: Vec<i64>,
    timer: Timer,
}

impl AKSlack {
    /// Orders by `timestamp`, tuned on `correlation`.
    pub fn new(timestamp: CExpr, correlation: CExpr, p: AKSlackParams) -> AKSlack {
        let critical = normal_quantile((1.0 - p.confidence) / 2.0).abs();
        AKSlack {
            timestamp,
            correlation,
            critical,
            alpha: 1.0,
            l: 0,
            k: 0,
            largest: 0,
            last_sent: -1,
            previous_alpha: 0.0,
            previous_error: 0.0,
            counter: 0,
            primary: Buffer::new(),
            secondary: Buffer::new(),
            data: Vec::new(),
            stamps: Vec::new(),
            timer: Timer::new(p.timeout),
            p,
        }
    }

    fn tune(&mut self, timestamp: i64) {
        let threshold = coverage_threshold(self.critical, &self.data, self.p.error_threshold);
        let runtime = if self.l == 0 { 1.0 } else { runtime_coverage(timestamp, &mut self.stamps, self.l) };
        let error = threshold - runtime;
        let delta = 0.5 * error + 0.8 * (error - self.previous_error);
        self.alpha = (self.previous_alpha + delta).abs();
        self.previous_error = error;
        self.previous_alpha = self.alpha;
        self.l = java_round(self.alpha * self.k as f64).min(self.k);
        self.counter = 0;
        self.data.clear();
    }
}

/// Java's `Math.round` of a double.
fn java_round(x: f64) -> i64 {
    (x + 0.5).floor() as i64
}

impl StreamProcessor for AKSlack {
    fn on_event(&mut self, ts: i64, row: Row, env: &Env, out: &mut Vec<(i64, Row)>) {
        let Some(timestamp) = self.timestamp.eval(&row, env).as_i64() else {
            return raise(|| "#reorder:akslack: the timestamp is null".to_string());
        };
        self.stamps.push(timestamp);
        let Some(value) = self.correlation.eval(&row, env).as_f64() else {
            return raise(|| "#reorder:akslack: the correlation field is null".to_string());
        };
        self.data.push(value);
        if self.p.discard && timestamp < self.last_sent {
            return;
        }
        self.timer.on_event(ts);
        self.primary.entry(timestamp).or_default().push((ts, row));
        self.counter += 1;
        if self.counter > self.p.batch_size {
            self.tune(timestamp);
        }
        if timestamp <= self.largest {
            return;
        }
        self.largest = timestamp;
        let least = self.primary.keys().next().copied().unwrap_or(timestamp);
        let difference = self.largest.saturating_sub(least);
        if difference > self.k {
            self.k = if difference < self.p.max_k { java_round(difference as f64 * self.alpha) } else { self.p.max_k };
        }
        release_settled(&mut self.primary, &mut self.secondary, (self.k, self.largest), &mut self.last_sent, out);
    }

    fn on_time(&mut self, at: i64, out: &mut Vec<(i64, Row)>) {
        let Some(limit) = self.timer.limit(at) else { return };
        for buffer in [&mut self.secondary, &mut self.primary] {
            while let Some(entry) = buffer.first_entry() {
                if *entry.key() >= limit {
                    break;
                }
                out.extend(entry.remove());
            }
        }
        let waiting = !self.secondary.is_empty() || !self.primary.is_empty();
        self.timer.fired(at, waiting);
    }

    fn next_deadline(&self) -> Option<i64> {
        self.timer.next_deadline()
    }

    fn batch(&self, _timer: bool) -> bool {
        true
    }
}

/// The reference's window coverage threshold of a batch of values.
fn coverage_threshold(critical: f64, data: &[f64], e: f64) -> f64 {
    let n = data.len() as f64;
    let mean = data.iter().sum::<f64>() / n;
    let variance = data.iter().map(|x| (mean - x).powi(2)).sum::<f64>() / n;
    let temp1 = ((mean.powi(2) + variance.powi(2)) / (n * mean.powi(2))).sqrt();
    let temp2 = critical.powi(2) * temp1.powi(2);
    let a1 = 1.0 + temp2;
    let b1 = 2.0 * e - 2.0 - temp2;
    let c1 = (1.0 - e).powi(2);
    let b2 = -(2.0 + 2.0 * e + temp2);
    let c2 = (1.0 + e).powi(2);
    let sq1 = b1.powi(2) - 4.0 * a1 * c1;
    let sq2 = b2.powi(2) - 4.0 * a1 * c2;
    let roots = |b: f64, sq: f64| ((-b - sq.sqrt()) / (2.0 * a1), (-b + sq.sqrt()) / (2.0 * a1));
    let (t1, t2) = if sq1 >= 0.0 { roots(b1, sq1) } else { (0.0, 0.0) };
    let (t3, t4) = if sq2 >= 0.0 { roots(b2, sq2) } else { (0.0, 0.0) };
    match (sq1 >= 0.0, sq2 >= 0.0) {
        (true, false) => t1.min(t2),
        (false, true) => t3.min(t4),
        (false, false) => 0.0,
        (true, true) => t1.min(t2).min(t3.min(t4)),
    }
}

/// The share of the timestamps in `[now - l - WINDOW_SIZE, now - l]` seen
/// before the first at or after `now - l` (1 when none is in it); drops those
/// at or before the window's start, as the reference does.
fn runtime_coverage(now: i64, stamps: &mut Vec<i64>, l: i64) -> f64 {
    let high = now.saturating_sub(l);
    let low = high.saturating_sub(WINDOW_SIZE);
    let (mut covered, mut total) = (0u64, 0u64);
    let (mut low_met, mut high_met) = (false, false);
    for &t in stamps.iter() {
        low_met |= low <= t;
        high_met |= high <= t;
        if low_met && low <= t && t <= high {
            if !high_met {
                covered += 1;
            }
            total += 1;
        }
    }
    stamps.retain(|t| *t > low);
    if total == 0 {
        1.0
    } else {
        covered as f64 / total as f64
    }
}

/// The standard normal distribution's quantile (Acklam's rational
/// approximation, relative error below 1.2e-9).
fn normal_quantile(p: f64) -> f64 {
    const A: [f64; 6] = [
        -3.969683028665376e1,
        2.209460984245205e2,
        -2.759285104469687e2,
        1.38357751867269e2,
        -3.066479806614716e1,
        2.506628277459239,
    ];
    const B: [f64; 5] =
        [-5.447609879822406e1, 1.615858368580409e2, -1.556989798598866e2, 6.680131188771972e1, -1.328068155288572e1];
    const C: [f64; 6] = [
        -7.784894002430293e-3,
        -3.223964580411365e-1,
        -2.400758277161838,
        -2.549732539343734,
        4.374664141464968,
        2.938163982698783,
    ];
    const D: [f64; 4] = [7.784695709041462e-3, 3.224671290700398e-1, 2.445134137142996, 3.754408661907416];
    if !(p > 0.0 && p < 1.0) {
        return if p <= 0.0 { f64::NEG_INFINITY } else { f64::INFINITY };
    }
    let tail = |q: f64| {
        (((((C[0] * q + C[1]) * q + C[2]) * q + C[3]) * q + C[4]) * q + C[5])
            / ((((D[0] * q + D[1]) * q + D[2]) * q + D[3]) * q + 1.0)
    };
    if p < 0.02425 {
        tail((-2.0 * p.ln()).sqrt())
    } else if p > 1.0 - 0.02425 {
        -tail((-2.0 * (1.0 - p).ln()).sqrt())
    } else {
        let q = p - 0.5;
        let r = q * q;
        (((((A[0] * r + A[1]) * r + A[2]) * r + A[3]) * r + A[4]) * r + A[5]) * q
            / (((((B[0] * r + B[1]) * r + B[2]) * r + B[3]) * r + B[4]) * r + 1.0)
    }
}

/// The parameters of a call from its constants after the correlation field.
pub fn params(constants: &[Value]) -> AKSlackParams {
    let long = |i: usize, default: i64| constants.get(i).and_then(Value::as_i64).unwrap_or(default);
    let double = |i: usize, default: f64| constants.get(i).and_then(Value::as_f64).unwrap_or(default);
    let max_k = match long(2, i64::MAX) {
        -1 => i64::MAX,
        k => k,
    };
    AKSlackParams {
        batch_size: long(0, 10_000),
        timeout: long(1, -1),
        max_k,
        discard: matches!(constants.get(3), Some(Value::Bool(true))),
        error_threshold: double(4, 0.03),
        confidence: double(5, 0.95),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    #[test]
    fn quantile() {
        assert!((normal_quantile(0.025) + 1.959963984540054).abs() < 1e-8);
        assert!((normal_quantile(0.5)).abs() < 1e-12);
    }

    #[test]
    fn reorders_like_kslack_before_the_first_tuning() {
        let mut a = AKSlack::new(CExpr::Col(0), CExpr::Col(1), params(&[Value::Long(20)]));
        let env = Env::new(0, 0, &None);
        let mut out = Vec::new();
        for (i, t) in [1, 4, 3, 2, 5, 9].into_iter().enumerate() {
            a.on_event(i as i64, Arc::from(vec![Value::Long(t), Value::Double(1.0)]), &env, &mut out);
        }
        let order: Vec<i64> = out.iter().filter_map(|(_, r)| r[0].as_i64()).collect();
        assert_eq!(order, vec![1, 4, 2, 3, 5]);
    }

    #[test]
    fn tunes_alpha_every_batch() {
        let mut a = AKSlack::new(CExpr::Col(0), CExpr::Col(1), params(&[Value::Long(2)]));
        let env = Env::new(0, 0, &None);
        let mut out = Vec::new();
        for (i, t) in [10, 30, 20, 40].into_iter().enumerate() {
            a.on_event(i as i64, Arc::from(vec![Value::Long(t), Value::Double(5.0)]), &env, &mut out);
        }
        // Constant values: variance 0, and the threshold is below 1, so α < 1.
        assert!(a.alpha > 0.0 && a.alpha < 1.0);
    }
}
