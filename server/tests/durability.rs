//! Durability of `sluice serve`: what was accepted is logged before the answer,
//! and a restart (even after `kill -9`), or deactivate and activate, rebuilds
//! every table, window, aggregate and pending pattern match from that log.

mod common;

use common::{call, data_dir, follow_sse, follow_sse_ids, json, start, take, Server};
use std::path::Path;

const APP: &str = "@app:name('Durable')
define stream S (id long, k string, v double);
@primaryKey('id')
define table T (id long, k string, v double);
from S insert into T;
from S#window.length(1000000) select k, count() as n, sum(v) as total group by k insert into Totals;
from every e1=S[v > 50.0] -> e2=S[k == e1.k] select e1.id as a, e2.id as b insert into Pairs;
";

fn create(s: &Server) {
    let (code, text) = call("POST", &format!("{}/v1/apps", s.base), Some(("text/plain", APP)), None);
    assert_eq!(code, 201, "{text}");
}

fn push(s: &Server, rows: &[(i64, &str, f64)]) {
    let body: String = rows.iter().map(|(id, k, v)| format!("{{\"id\":{id},\"k\":\"{k}\",\"v\":{v}}}\n")).collect();
    let (code, text) =
        call("POST", &format!("{}/v1/apps/Durable/streams/S", s.base), Some(("application/x-ndjson", &body)), None);
    assert_eq!(code, 200, "{text}");
}

fn table_count(s: &Server) -> i64 {
    let (code, text) = call(
        "POST",
        &format!("{}/v1/apps/Durable/query", s.base),
        Some(("text/plain", "from T select count() as n")),
        None,
    );
    assert_eq!(code, 200, "{text}");
    json(&text)["rows"][0][0].as_i64().unwrap_or(0)
}

fn log_stats(s: &Server) -> serde_json::Value {
    let (code, text) = call("GET", &format!("{}/v1/apps/Durable", s.base), None, None);
    assert_eq!(code, 200, "{text}");
    json(&text)["ingress_log"].clone()
}

fn batches(from: i64, n: i64, k: &str) -> Vec<(i64, &str, f64)> {
    (from..from + n).map(|i| (i, k, (i % 10) as f64)).collect()
}

#[test]
fn state_survives_kill_9_and_deactivate_activate() {
    let dir = data_dir("durable-kill");
    let s = start(&dir, &[]);
    create(&s);
    for b in 0..10 {
        push(&s, &batches(b * 100, 100, "a"));
    }
    // A pattern's first half: waits for another event of key 'x'.
    push(&s, &[(5000, "x", 99.0)]);
    assert_eq!(table_count(&s), 1001);
    // kill -9: nothing is flushed on the way out.
    drop(s);

    let s = start(&dir, &[]);
    assert_eq!(table_count(&s), 1001, "every accepted event is back in the table");
    let stats = log_stats(&s);
    assert_eq!(stats["recovered_events"], 1001, "{stats}");
    assert_eq!(stats["cut_bytes"], 0, "{stats}");
    let totals = follow_sse(format!("{}/v1/apps/Durable/streams/Totals/events", s.base));
    let pairs = follow_sse(format!("{}/v1/apps/Durable/streams/Pairs/events", s.base));
    push(&s, &[(6000, "a", 1.0), (6001, "x", 2.0)]);
    // The window's count continues where it was; the pending match completes.
    let got = take(&totals, 2);
    assert_eq!(got[0]["data"]["n"], 1001, "{got:?}");
    assert_eq!(got[1]["data"]["n"], 2, "{got:?}");
    let got = take(&pairs, 1);
    assert_eq!((got[0]["data"]["a"].as_i64(), got[0]["data"]["b"].as_i64()), (Some(5000), Some(6001)));
    // Replayed outputs were not sent again: the first Totals event seen is the new one.

    for action in ["deactivate", "activate"] {
        let (code, text) = call("POST", &format!("{}/v1/apps/Durable/{action}", s.base), None, None);
        assert_eq!(code, 200, "{text}");
    }
    assert_eq!(table_count(&s), 1003, "deactivate/activate keeps the state");
}

fn cut_last_bytes(path: &Path, n: u64) {
    let f = std::fs::OpenOptions::new().write(true).open(path).expect("open the log");
    let len = f.metadata().expect("log size").len();
    f.set_len(len - n).expect("truncate the log");
}

#[test]
fn a_torn_tail_is_cut_and_the_rest_recovers() {
    let dir = data_dir("durable-torn");
    let s = start(&dir, &[]);
    create(&s);
    for b in 0..5 {
        push(&s, &batches(b * 10, 10, "a"));
    }
    drop(s);
    // Power lost in the middle of the last batch's record.
    cut_last_bytes(&dir.join("apps/Durable.log"), 7);
    let s = start(&dir, &[]);
    assert_eq!(table_count(&s), 40, "the four whole batches are back, the torn one is not");
    let stats = log_stats(&s);
    assert!(stats["cut_bytes"].as_u64().unwrap_or(0) > 0, "{stats}");
    // New input is appended after the good part and survives the next restart.
    push(&s, &batches(100, 10, "b"));
    drop(s);
    let s = start(&dir, &[]);
    assert_eq!(table_count(&s), 50);
}

#[test]
fn without_durability_a_restart_starts_empty() {
    let dir = data_dir("durable-none");
    let s = start(&dir, &["--durability", "none"]);
    create(&s);
    push(&s, &batches(0, 10, "a"));
    assert!(log_stats(&s).is_null());
    drop(s);
    let s = start(&dir, &["--durability", "none"]);
    assert_eq!(table_count(&s), 0);
    assert!(!dir.join("apps/Durable.log").exists());
}

#[test]
fn an_sse_subscriber_resumes_after_a_crash_with_last_event_id() {
    let dir = data_dir("durable-resume");
    let s = start(&dir, &[]);
    create(&s);
    let url = format!("{}/v1/apps/Durable/streams/Totals/events", s.base);
    let first = follow_sse_ids(url, None);
    push(&s, &batches(0, 5, "a"));
    let seen = take(&first, 5);
    let ids: Vec<_> = seen.iter().map(|(id, _)| *id).collect();
    assert_eq!(ids, [Some(0), Some(1), Some(2), Some(3), Some(4)], "each event carries its number");
    // The client processed events 0..=2 when the server died.
    drop(s);

    let s = start(&dir, &[]);
    let url = format!("{}/v1/apps/Durable/streams/Totals/events", s.base);
    let resumed = follow_sse_ids(url.clone(), Some(2));
    push(&s, &batches(5, 2, "a"));
    let got = take(&resumed, 4);
    let ids: Vec<_> = got.iter().map(|(id, _)| *id).collect();
    assert_eq!(ids, [Some(3), Some(4), Some(5), Some(6)], "exactly what it missed, then the new ones");
    assert_eq!(got[0].1, seen[3].1, "the replay regenerated the same event 3");
    assert_eq!(got[1].1, seen[4].1);
    assert_eq!(got[3].1["data"]["n"], 7, "{got:?}");
    // A client that saw everything gets nothing old.
    let caught_up = follow_sse_ids(url.clone(), Some(6));
    push(&s, &batches(7, 1, "a"));
    let got = take(&caught_up, 1);
    assert_eq!(got[0].0, Some(7), "{got:?}");
    // A Last-Event-ID that is not a number is refused, naming the header.
    let resp = ureq::get(&url).set("last-event-id", "abc").call();
    match resp {
        Err(ureq::Error::Status(400, r)) => {
            let text = r.into_string().unwrap_or_default();
            assert!(text.contains("Last-Event-ID"), "{text}");
        }
        other => panic!("expected 400, got {other:?}"),
    }
}
