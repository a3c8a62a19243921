//! `@OnError(action='STORE')` through a real `sluice serve` on 127.0.0.1: failed
//! events are kept in the app's error store, listed, replayed into their stream
//! and discarded over HTTP; the other readers and the outputs are as with `LOG`.

mod common;

use common::{call, json, start};

const APP: &str = "@app:name('stored')\n\
@OnError(action='STORE')\n\
define stream S (a string, b int);\n\
from S select a, cast(a, 'int') + b as d insert into O;\n\
@OnError(action='STORE')\n\
define stream T (x int);\n\
from T select x insert into P;\n";

#[test]
fn failed_events_are_stored_listed_replayed_and_discarded() {
    let dir = common::data_dir("error-store");
    let server = start(&dir, &["--durability", "none"]);
    let base = &server.base;
    let (status, body) = call("POST", &format!("{base}/v1/apps"), Some(("text/plain", APP)), None);
    assert_eq!(status, 201, "{body}");
    let events = "{\"a\":\"x\",\"b\":1}\n{\"a\":null,\"b\":2}\n{\"a\":\"y\",\"b\":3}";
    let (status, body) =
        call("POST", &format!("{base}/v1/apps/stored/streams/S"), Some(("application/x-ndjson", events)), None);
    assert_eq!(status, 200, "{body}");
    // The two failed events ("x" and "y": `+` meets a string) are stored, in order.
    let mut listed = serde_json::Value::Null;
    for _ in 0..100 {
        let (status, body) = call("GET", &format!("{base}/v1/apps/stored/errors"), None, None);
        assert_eq!(status, 200, "{body}");
        listed = json(&body);
        if listed["errors"].as_array().is_some_and(|e| e.len() == 2) {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let errors = listed["errors"].as_array().expect("a list").clone();
    assert_eq!(errors.len(), 2, "{listed}");
    assert_eq!(errors[0]["stream"], "S");
    assert_eq!(errors[0]["event"], serde_json::json!({"a": "x", "b": 1}));
    assert_eq!(errors[1]["event"], serde_json::json!({"a": "y", "b": 3}));
    assert!(errors[0]["error"].as_str().is_some_and(|e| e.contains("needs numbers")), "{listed}");
    assert_eq!(listed["dropped"], 0);
    // Filtering by stream, discarding one, and replaying one (it fails again and
    // comes back as a new entry).
    let (_, body) = call("GET", &format!("{base}/v1/apps/stored/errors?stream=T"), None, None);
    assert_eq!(json(&body)["errors"], serde_json::json!([]));
    let first = errors[0]["id"].as_u64().expect("an id");
    let second = errors[1]["id"].as_u64().expect("an id");
    let (status, body) = call("DELETE", &format!("{base}/v1/apps/stored/errors/{first}"), None, None);
    assert_eq!((status, json(&body)["discarded"].clone()), (200, serde_json::json!(1)));
    let (status, _) = call("DELETE", &format!("{base}/v1/apps/stored/errors/{first}"), None, None);
    assert_eq!(status, 404);
    let (status, body) = call("POST", &format!("{base}/v1/apps/stored/errors/{second}/replay"), None, None);
    assert_eq!(status, 200, "{body}");
    let mut ids = Vec::new();
    for _ in 0..100 {
        let (_, body) = call("GET", &format!("{base}/v1/apps/stored/errors"), None, None);
        ids = json(&body)["errors"].as_array().expect("a list").iter().map(|e| e["id"].as_u64()).collect();
        if !ids.is_empty() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    assert_eq!(ids, vec![Some(second + 1)], "the replayed event failed again and was stored anew");
    let (status, body) = call("DELETE", &format!("{base}/v1/apps/stored/errors"), None, None);
    assert_eq!((status, json(&body)["discarded"].clone()), (200, serde_json::json!(1)));
    let (status, _) = call("GET", &format!("{base}/v1/apps/nope/errors"), None, None);
    assert_eq!(status, 404);
    let _ = std::fs::remove_dir_all(&dir);
}
