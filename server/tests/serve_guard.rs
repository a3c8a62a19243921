//! The server's guards through a real `sluice serve` on 127.0.0.1: API keys from
//! a file and the environment with `read` and `write` roles, the limits on apps,
//! queries and subscribers, and a live app's clock that ticks only when a tick
//! releases something (an idle app costs no CPU, yet its windows still expire).

mod common;

use common::*;
use std::time::{Duration, Instant};

const APP: &str = "@app:name('Guarded')
define stream S (k string, v int);
@primaryKey('k')
define table T (k string, v int);
from S select k, v insert into Out;
from S select k, v update or insert into T on T.k == k;
";

#[test]
fn read_keys_read_and_write_keys_write() {
    let dir = data_dir("roles");
    std::fs::create_dir_all(&dir).expect("dir");
    let file = dir.join("keys");
    std::fs::write(&file, "# the operators\nwrite:w-file\nread:r-file\n").expect("key file");
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_sluice"));
    child.env("SLUICE_API_KEYS", "read:r-env");
    let server = serve_with(
        child,
        &["--listen", "127.0.0.1:0", "--data-dir", dir.to_str().unwrap(), "--api-key-file", file.to_str().unwrap()],
    );
    let b = &server.base;
    let (w, r, r2) = (Some("w-file"), Some("r-file"), Some("r-env"));
    assert_eq!(call("POST", &format!("{b}/v1/apps"), Some(("text/plain", APP)), r).0, 403);
    assert_eq!(call("POST", &format!("{b}/v1/apps"), Some(("text/plain", APP)), None).0, 401);
    assert_eq!(call("POST", &format!("{b}/v1/apps"), Some(("text/plain", APP)), w).0, 201);
    let ingest = format!("{b}/v1/apps/Guarded/streams/S");
    let events = Some(("application/x-ndjson", "{\"k\":\"a\",\"v\":1}\n{\"k\":\"b\",\"v\":2}"));
    assert_eq!(call("POST", &ingest, events, r).0, 403);
    assert_eq!(call("POST", &ingest, events, w).0, 200);
    for key in [r, r2] {
        assert_eq!(call("GET", &format!("{b}/v1/apps"), None, key).0, 200);
        assert_eq!(call("GET", &format!("{b}/v1/apps/Guarded"), None, key).0, 200);
        assert_eq!(call("GET", &format!("{b}/metrics"), None, key).0, 200);
    }
    let query = format!("{b}/v1/apps/Guarded/query");
    let read = Some(("text/plain", "SELECT k, v FROM T ORDER BY k"));
    let (status, body) = call("POST", &query, read, r);
    assert_eq!((status, json(&body)["rows"].clone()), (200, serde_json::json!([["a", 1], ["b", 2]])), "{body}");
    let delete = Some(("text/plain", "from T on T.k == 'a' select k delete T on T.k == k"));
    let (status, body) = call("POST", &query, delete, r);
    assert_eq!((status, json(&body)["error"]["code"].as_str()), (403, Some("forbidden")), "{body}");
    assert_eq!(call("POST", &query, delete, w).0, 200);
    assert_eq!(json(&call("POST", &query, read, r2).1)["rows"], serde_json::json!([["b", 2]]));
    assert_eq!(call("POST", &format!("{b}/v1/apps/Guarded/deactivate"), Some(("text/plain", "")), r).0, 403);
    assert_eq!(call("DELETE", &format!("{b}/v1/apps/Guarded"), None, r).0, 403);
    assert_eq!(call("DELETE", &format!("{b}/v1/apps/Guarded"), None, w).0, 204);
    drop(server);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn limits_refuse_at_once_and_the_server_lives_on() {
    let dir = data_dir("limits");
    let server = start(&dir, &["--max-apps", "1", "--max-queries-per-app", "3", "--max-subscribers", "1"]);
    let b = &server.base;
    // An app over the query limit is refused before it is compiled.
    let mut big = String::from("@app:name('Big')\ndefine stream S (a int);\n");
    for i in 0..4 {
        big.push_str(&format!("from S[a > {i}] select a insert into O{i};\n"));
    }
    for route in ["validate", "apps"] {
        let (status, body) = call("POST", &format!("{b}/v1/{route}"), Some(("text/plain", &big)), None);
        assert_eq!((status, json(&body)["error"]["code"].as_str()), (422, Some("limit_exceeded")), "{body}");
        assert!(body.contains("--max-queries-per-app"), "{body}");
    }
    assert_eq!(call("POST", &format!("{b}/v1/apps"), Some(("text/plain", APP)), None).0, 201);
    let other = APP.replace("Guarded", "Second");
    let (status, body) = call("POST", &format!("{b}/v1/apps"), Some(("text/plain", &other)), None);
    assert_eq!((status, json(&body)["error"]["code"].as_str()), (422, Some("limit_exceeded")), "{body}");
    // One subscriber is the limit: a second one is refused with 503.
    let events = format!("{b}/v1/apps/Guarded/streams/Out/events");
    let first = follow_sse(events.clone());
    let (status, body) = call("GET", &events, None, None);
    assert_eq!((status, json(&body)["error"]["code"].as_str()), (503, Some("too_many_subscribers")), "{body}");
    let metrics = call("GET", &format!("{b}/metrics"), None, None).1;
    assert!(metrics.contains("\nsluice_subscribers 1\n"), "{metrics}");
    // The admitted subscriber still gets its events.
    let sent = Some(("application/json", r#"{"k":"a","v":1}"#));
    assert_eq!(call("POST", &format!("{b}/v1/apps/Guarded/streams/S"), sent, None).0, 200);
    assert_eq!(take(&first, 1)[0]["data"]["k"], "a");
    drop(server);
    let _ = std::fs::remove_dir_all(&dir);
}

/// A live app gets no clock ticks while nothing waits for the clock, but a time
/// window holding events still expires them on time with no further input.
#[test]
fn an_idle_live_window_still_expires_on_time() {
    let dir = data_dir("idle");
    let server = start(&dir, &[]);
    let b = &server.base;
    let app = "@app:name('Expiry')
define stream S (k string);
from S#window.time(300 ms) select k insert expired events into Gone;
";
    assert_eq!(call("POST", &format!("{b}/v1/apps"), Some(("text/plain", app)), None).0, 201);
    let gone = follow_sse(format!("{b}/v1/apps/Expiry/streams/Gone/events"));
    // Idle for a while first: the next event must still see the clock move.
    std::thread::sleep(Duration::from_millis(400));
    let sent = Instant::now();
    let event = Some(("application/json", r#"{"k":"x"}"#));
    assert_eq!(call("POST", &format!("{b}/v1/apps/Expiry/streams/S"), event, None).0, 200);
    let got = take(&gone, 1);
    let after = sent.elapsed();
    assert_eq!(got[0]["data"]["k"], "x", "{got:?}");
    assert!(after >= Duration::from_millis(250) && after < Duration::from_secs(3), "expired after {after:?}");
    drop(server);
    let _ = std::fs::remove_dir_all(&dir);
}
