//! Counters the server keeps and their Prometheus text rendering (`GET /metrics`).

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::atomic::{AtomicU64, Ordering};

/// Events in and out of one stream.
#[derive(Default)]
pub struct StreamCounters {
    /// Events accepted by the ingress for this stream.
    pub events_in: AtomicU64,
    /// Events the app inserted into this stream.
    pub events_out: AtomicU64,
}

/// The counters of one app; the stream set is fixed when the app is created, so
/// counting needs no lock.
#[derive(Default)]
pub struct AppCounters {
    /// Per stream, by name.
    pub streams: BTreeMap<String, StreamCounters>,
    /// Snapshot queries answered.
    pub queries: AtomicU64,
    /// Their total latency, in microseconds.
    pub query_micros: AtomicU64,
    /// Batches refused because the queue was full.
    pub refused_batches: AtomicU64,
}

impl AppCounters {
    /// Counters for these streams, all zero.
    pub fn new<'a>(streams: impl IntoIterator<Item = &'a String>) -> AppCounters {
        AppCounters {
            streams: streams.into_iter().map(|s| (s.clone(), StreamCounters::default())).collect(),
            ..AppCounters::default()
        }
    }

    /// Counts `n` events accepted into `stream`.
    pub fn count_in(&self, stream: &str, n: u64) {
        if let Some(c) = self.streams.get(stream) {
            c.events_in.fetch_add(n, Ordering::Relaxed);
        }
    }

    /// Counts `n` events inserted into `stream`.
    pub fn count_out(&self, stream: &str, n: u64) {
        if let Some(c) = self.streams.get(stream) {
            c.events_out.fetch_add(n, Ordering::Relaxed);
        }
    }

    /// Counts one answered query that took `micros`.
    pub fn count_query(&self, micros: u64) {
        self.queries.fetch_add(1, Ordering::Relaxed);
        self.query_micros.fetch_add(micros, Ordering::Relaxed);
    }
}

/// What `/metrics` reports of one app.
pub struct AppSample<'a> {
    /// The app's name.
    pub name: &'a str,
    /// Whether it runs.
    pub active: bool,
    /// Its counters.
    pub counters: &'a AppCounters,
    /// Events waiting in its ingress queue.
    pub queue_depth: usize,
    /// How far (ms) the dataflow's input lags behind the latest time handed out.
    pub frontier_lag_ms: i64,
}

/// One unlabelled gauge in the text exposition format.
pub fn gauge(name: &str, help: &str, value: usize) -> String {
    format!("# HELP {name} {help}\n# TYPE {name} gauge\n{name} {value}\n")
}

/// Renders the samples in Prometheus' text exposition format.
pub fn render(apps: &[AppSample<'_>]) -> String {
    let mut out = String::new();
    let mut family = |name: &str, kind: &str, help: &str, rows: &mut dyn Iterator<Item = (String, String)>| {
        let _ = writeln!(out, "# HELP {name} {help}");
        let _ = writeln!(out, "# TYPE {name} {kind}");
        for (labels, value) in rows {
            let _ = writeln!(out, "{name}{{{labels}}} {value}");
        }
    };
    let label = |v: &str| v.replace('\\', "\\\\").replace('"', "\\\"");
    family(
        "sluice_app_active",
        "gauge",
        "1 when the app runs, 0 when it is deactivated.",
        &mut apps.iter().map(|a| (format!("app=\"{}\"", label(a.name)), u8::from(a.active).to_string())),
    );
    family(
        "sluice_events_in_total",
        "counter",
        "Events accepted into a stream over HTTP.",
        &mut apps.iter().flat_map(|a| {
            a.counters.streams.iter().map(move |(s, c)| {
                (
                    format!("app=\"{}\",stream=\"{}\"", label(a.name), label(s)),
                    c.events_in.load(Ordering::Relaxed).to_string(),
                )
            })
        }),
    );
    family(
        "sluice_events_out_total",
        "counter",
        "Events the app's queries inserted into a stream.",
        &mut apps.iter().flat_map(|a| {
            a.counters.streams.iter().map(move |(s, c)| {
                (
                    format!("app=\"{}\",stream=\"{}\"", label(a.name), label(s)),
                    c.events_out.load(Ordering::Relaxed).to_string(),
                )
            })
        }),
    );
    family(
        "sluice_ingress_queue_events",
        "gauge",
        "Events waiting in the app's ingress queue.",
        &mut apps.iter().map(|a| (format!("app=\"{}\"", label(a.name)), a.queue_depth.to_string())),
    );
    family(
        "sluice_ingress_refused_batches_total",
        "counter",
        "Batches refused with 429 because the ingress queue was full.",
        &mut apps.iter().map(|a| {
            (format!("app=\"{}\"", label(a.name)), a.counters.refused_batches.load(Ordering::Relaxed).to_string())
        }),
    );
    family(
        "sluice_frontier_lag_milliseconds",
        "gauge",
        "How far the time the dataflow has taken in lags behind the latest time handed out.",
        &mut apps.iter().map(|a| (format!("app=\"{}\"", label(a.name)), a.frontier_lag_ms.to_string())),
    );
    // A summary without quantiles: total time and count of snapshot queries.
    let _ = writeln!(out, "# HELP sluice_query_duration_seconds Time spent answering snapshot queries.");
    let _ = writeln!(out, "# TYPE sluice_query_duration_seconds summary");
    for a in apps {
        let micros = a.counters.query_micros.load(Ordering::Relaxed);
        let n = a.counters.queries.load(Ordering::Relaxed);
        let _ =
            writeln!(out, "sluice_query_duration_seconds_sum{{app=\"{}\"}} {:.6}", label(a.name), micros as f64 / 1e6);
        let _ = writeln!(out, "sluice_query_duration_seconds_count{{app=\"{}\"}} {n}", label(a.name));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_counters_with_labels() {
        let c = AppCounters::new(&["In".to_string(), "Out".to_string()]);
        c.count_in("In", 3);
        c.count_out("Out", 2);
        c.count_in("Nope", 1);
        let text = render(&[AppSample { name: "A", active: true, counters: &c, queue_depth: 5, frontier_lag_ms: 0 }]);
        assert!(text.contains("sluice_events_in_total{app=\"A\",stream=\"In\"} 3\n"), "{text}");
        assert!(text.contains("sluice_events_out_total{app=\"A\",stream=\"Out\"} 2\n"), "{text}");
        assert!(text.contains("sluice_ingress_queue_events{app=\"A\"} 5\n"), "{text}");
        assert!(text.contains("# TYPE sluice_events_in_total counter\n"), "{text}");
    }
}
