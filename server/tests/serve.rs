//! End-to-end tests of `sluice serve`: the real binary on 127.0.0.1, driven over
//! HTTP, Server-Sent Events and WebSocket.

mod common;

use common::*;
use std::process::Command;
use std::time::{Duration, Instant};

const APP: &str = "@app:name('Stocks')
define stream StockStream (symbol string, price double, volume long);
@primaryKey('symbol')
define table StockTable (symbol string, price double, volume long);
@info(name = 'filter')
from StockStream[price > 10] select symbol, price, volume insert into HighStream;
from StockStream select symbol, price, volume update or insert into StockTable on StockTable.symbol == symbol;
";

#[test]
fn an_app_over_http_from_creation_to_queries() {
    let dir = data_dir("e2e");
    let server = start(&dir, &["--workers", "2"]);
    let b = &server.base;
    assert_eq!(call("GET", &format!("{b}/health"), None, None).0, 200);

    // A bad app is refused with its place.
    let (status, body) = call(
        "POST",
        &format!("{b}/v1/apps"),
        Some(("text/plain", "define stream S (a int);\nfrom S select b insert into T;")),
        None,
    );
    assert_eq!(status, 400, "{body}");
    let e = json(&body);
    assert_eq!(
        (e["error"]["errors"][0]["line"].as_u64(), e["error"]["errors"][0]["column"].as_u64()),
        (Some(2), Some(15)),
        "{body}"
    );
    assert_eq!(call("POST", &format!("{b}/v1/validate"), Some(("text/plain", APP)), None).0, 200);

    let (status, body) = call("POST", &format!("{b}/v1/apps"), Some(("text/plain", APP)), None);
    assert_eq!((status, json(&body)["name"].as_str()), (201, Some("Stocks")), "{body}");
    assert_eq!(call("POST", &format!("{b}/v1/apps"), Some(("text/plain", APP)), None).0, 409);

    let events_url = format!("{b}/v1/apps/Stocks/streams/HighStream/events");
    let sse = follow_sse(events_url.clone());
    let ws = follow_ws(events_url.replace("http://", "ws://"));
    std::thread::sleep(Duration::from_millis(200));

    let post =
        |ct: &str, body: &str| call("POST", &format!("{b}/v1/apps/Stocks/streams/StockStream"), Some((ct, body)), None);
    let (status, body) = post("application/json", r#"{"symbol":"IBM","price":75.5,"volume":10}"#);
    assert_eq!(status, 200, "{body}");
    let first = json(&body);
    assert_eq!(first["accepted"], 1);
    post(
        "application/json",
        r#"[{"symbol":"WSO2","price":5,"volume":3},{"event":{"symbol":"ORCL","price":20,"volume":7}}]"#,
    );
    post("application/x-ndjson", "{\"symbol\":\"MSFT\",\"price\":30,\"volume\":1}\n[\"AAPL\", 40, 2]\n");
    let (status, body) = post("text/csv", "symbol,price,volume\nGOOG,50,5\nTINY,1,1\n");
    let last = json(&body);
    assert_eq!((status, last["accepted"].as_u64()), (200, Some(2)), "{body}");
    // Logical times are handed out in order.
    assert!(last["from"]["seq"].as_u64() > first["to"]["seq"].as_u64(), "{first} {last}");

    // A bad event refuses its whole batch and names index and field.
    let (status, body) = post(
        "application/json",
        r#"[{"symbol":"OK","price":99,"volume":1},{"symbol":"BAD","price":"high","volume":1}]"#,
    );
    let e = json(&body);
    assert_eq!(
        (status, e["error"]["index"].as_u64(), e["error"]["field"].as_str()),
        (400, Some(1), Some("price")),
        "{body}"
    );
    assert_eq!(
        call("POST", &format!("{b}/v1/apps/Stocks/streams/Nope"), Some(("application/json", "{}")), None).0,
        404
    );

    let want = ["IBM", "ORCL", "MSFT", "AAPL", "GOOG"];
    for (how, rx) in [("SSE", &sse), ("WebSocket", &ws)] {
        let got: Vec<String> =
            take(rx, 5).iter().map(|e| e["data"]["symbol"].as_str().unwrap_or("?").to_string()).collect();
        assert_eq!(got, want, "{how}");
    }

    // Both query forms read the table at one logical time.
    let query = |q: &str| call("POST", &format!("{b}/v1/apps/Stocks/query"), Some(("text/plain", q)), None);
    let (status, body) = query("from StockTable on price > 25 select symbol, price order by price desc");
    let a = json(&body);
    assert_eq!(status, 200, "{body}");
    assert_eq!(a["columns"], serde_json::json!(["symbol", "price"]));
    assert_eq!(a["rows"], serde_json::json!([["IBM", 75.5], ["GOOG", 50.0], ["AAPL", 40.0], ["MSFT", 30.0]]));
    assert!(a["as_of"]["seq"].as_u64() > last["to"]["seq"].as_u64(), "{a}");
    let (status, body) = query(
        "SELECT symbol, volume FROM StockTable WHERE volume >= 5 AND symbol <> 'IBM' ORDER BY volume DESC LIMIT 2",
    );
    assert_eq!((status, json(&body)["rows"].clone()), (200, serde_json::json!([["ORCL", 7], ["GOOG", 5]])), "{body}");
    let (status, body) = query("SELECT count(*) AS n, sum(volume) AS v FROM StockTable");
    assert_eq!((status, json(&body)["rows"].clone()), (200, serde_json::json!([[7, 29]])), "{body}");
    let (status, body) =
        query("from StockTable on symbol == 'TINY' select symbol delete StockTable on StockTable.symbol == symbol");
    assert_eq!(status, 200, "{body}");
    assert_eq!(json(&query("SELECT count(*) AS n FROM StockTable").1)["rows"], serde_json::json!([[6]]));
    let (status, body) = query("from Nope select *");
    assert_eq!((status, json(&body)["error"]["code"].as_str()), (400, Some("bad_query")), "{body}");

    let (_, body) = call("GET", &format!("{b}/metrics"), None, None);
    assert!(body.contains("sluice_events_in_total{app=\"Stocks\",stream=\"StockStream\"} 7"), "{body}");
    assert!(body.contains("sluice_events_out_total{app=\"Stocks\",stream=\"HighStream\"} 5"), "{body}");
    let (_, body) = call("GET", &format!("{b}/v1/apps/Stocks"), None, None);
    let shown = json(&body);
    assert_eq!(shown["state"], "active");
    assert!(
        shown["streams"]
            .as_array()
            .is_some_and(|s| s.iter().any(|s| s["name"] == "StockStream" && s["events_in"] == 7)),
        "{body}"
    );

    // Lifecycle: deactivated apps refuse events; definitions survive a restart.
    assert_eq!(call("POST", &format!("{b}/v1/apps/Stocks/deactivate"), None, None).0, 200);
    assert_eq!(post("application/json", r#"{"symbol":"X","price":1,"volume":1}"#).0, 409);
    assert_eq!(call("POST", &format!("{b}/v1/apps/Stocks/activate"), None, None).0, 200);
    drop(server);
    let server = start(&dir, &[]);
    let (_, body) = call("GET", &format!("{}/v1/apps", server.base), None, None);
    assert_eq!(json(&body)["apps"], serde_json::json!([{"name": "Stocks", "state": "active"}]));
    assert_eq!(call("DELETE", &format!("{}/v1/apps/Stocks", server.base), None, None).0, 204);
    assert_eq!(call("GET", &format!("{}/v1/apps/Stocks", server.base), None, None).0, 404);
    drop(server);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn keys_limits_and_back_pressure() {
    let dir = data_dir("guard");
    let server = start(&dir, &["--api-key", "s3cret", "--max-body-bytes", "2000", "--queue-events", "10"]);
    let b = &server.base;
    assert_eq!(call("GET", &format!("{b}/health"), None, None).0, 200);
    assert_eq!(call("GET", &format!("{b}/v1/apps"), None, None).0, 401);
    assert_eq!(call("GET", &format!("{b}/v1/apps"), None, Some("wrong")).0, 401);
    assert_eq!(call("GET", &format!("{b}/v1/apps"), None, Some("s3cret")).0, 200);
    assert_eq!(call("POST", &format!("{b}/v1/apps"), Some(("text/plain", APP)), Some("s3cret")).0, 201);
    let url = format!("{b}/v1/apps/Stocks/streams/StockStream");
    // More events than the queue holds: refused whole, nothing grows.
    let eleven: Vec<String> = (0..11).map(|i| format!("{{\"symbol\":\"S{i}\",\"price\":1,\"volume\":1}}")).collect();
    let (status, body) = call("POST", &url, Some(("application/x-ndjson", &eleven.join("\n"))), Some("s3cret"));
    assert_eq!((status, json(&body)["error"]["code"].as_str()), (413, Some("batch_too_large")), "{body}");
    // Only a cluster's followers take orders from a leader.
    assert_eq!(call("POST", &format!("{b}/v1/internal/apps/0"), Some(("text/plain", APP)), Some("s3cret")).0, 404);
    let (status, _) = call("POST", &url, Some(("application/x-ndjson", &eleven[..3].join("\n"))), Some("s3cret"));
    assert_eq!(status, 200);
    let big = format!("[{}]", vec![r#"{"symbol":"S","price":1,"volume":1}"#; 100].join(","));
    assert_eq!(call("POST", &url, Some(("application/json", &big)), Some("s3cret")).0, 413);
    drop(server);
    let _ = std::fs::remove_dir_all(&dir);
}

/// Flat chains of operators (`a + a + …`, `x == 1 or x == 2 or …`) nest one level
/// per operator; sent to every route that reads app or query text they are refused
/// with 400 and the place of the operator past the limit, and the server lives on.
#[test]
fn long_flat_chains_are_refused_and_the_server_lives_on() {
    use sluice_frontend::parser::MAX_EXPR_DEPTH;
    let dir = data_dir("deep");
    let server = start(&dir, &[]);
    let b = &server.base;
    assert_eq!(call("POST", &format!("{b}/v1/apps"), Some(("text/plain", APP)), None).0, 201);
    let alive = || {
        assert_eq!(call("GET", &format!("{b}/health"), None, None).0, 200);
        let (status, body) = call(
            "POST",
            &format!("{b}/v1/apps/Stocks/query"),
            Some(("text/plain", "SELECT symbol FROM StockTable")),
            None,
        );
        assert_eq!((status, json(&body)["rows"].clone()), (200, serde_json::json!([])), "{body}");
    };
    for n in [3_000, 100_000] {
        let terms = |term: &dyn Fn(usize) -> String, op: &str| (0..n).map(term).collect::<Vec<_>>().join(op);
        let or = terms(&|i| format!("volume == {i}"), " or ");
        let sum = terms(&|_| "price".into(), " + ");
        // `volume == i` is two deep, so the 63rd `or` is one too many.
        let col = 7 + or.match_indices(" or ").nth(MAX_EXPR_DEPTH - 2).expect("enough terms").0 + 2;
        let app =
            format!("define stream S (price double, volume long);\nfrom S[{or}] select {sum} as x insert into O;");
        for route in ["validate", "apps"] {
            let (status, body) = call("POST", &format!("{b}/v1/{route}"), Some(("text/plain", &app)), None);
            assert_eq!(status, 400, "{route}, {n} terms");
            let e = &json(&body)["error"];
            assert_eq!(e["code"], "invalid_app");
            let first = &e["errors"][0];
            assert_eq!((first["line"].as_u64(), first["column"].as_u64()), (Some(2), Some(col as u64)));
            let message = first["message"].as_str().unwrap_or_default();
            assert!(message.starts_with("expression too deep: more than 64 nested operations"), "{message}");
            alive();
        }
        let sql_or = terms(&|i| format!("volume = {i}"), " OR ");
        let queries = [
            (format!("from StockTable on {or} select symbol"), "query:1:"),
            (format!("from StockTable select {sum} as x"), "query:1:"),
            (format!("SELECT symbol FROM StockTable WHERE {sql_or}"), "SQL: expression too deep or too long"),
            (format!("SELECT {sum} AS x FROM StockTable"), "SQL: expression too deep or too long"),
        ];
        for (query, starts) in queries {
            let (status, body) = call("POST", &format!("{b}/v1/apps/Stocks/query"), Some(("text/plain", &query)), None);
            assert_eq!(status, 400, "{}…", &query[..40]);
            let e = &json(&body)["error"];
            let message = e["message"].as_str().unwrap_or_default();
            assert_eq!(e["code"], "bad_query");
            let head: String = message.chars().take(300).collect();
            assert!(message.starts_with(starts) && message.contains("expression too deep"), "{head}");
            alive();
        }
    }
    drop(server);
    let _ = std::fs::remove_dir_all(&dir);
}

/// A port nobody listens on now.
/// A playback app with a heartbeat: the clock moves while no event arrives, so
/// a subscriber sees the window expire without sending anything more.
#[test]
fn playback_heartbeat_over_http() {
    let dir = data_dir("heartbeat");
    let server = start(&dir, &[]);
    let b = &server.base;
    let app = "@app:name('Beat')\n@app:playback(idle.time = '150 millisec', increment = '1 sec')\n\
               define stream In (k string);\n\
               from In#window.time(1500 milliseconds) select k insert expired events into Gone;\n";
    let (status, body) = call("POST", &format!("{b}/v1/apps"), Some(("text/plain", app)), None);
    assert_eq!(status, 201, "{body}");
    let gone = follow_sse(format!("{b}/v1/apps/Beat/streams/Gone/events"));
    std::thread::sleep(Duration::from_millis(200));
    let url = format!("{b}/v1/apps/Beat/streams/In");
    let (status, body) = call("POST", &url, Some(("application/json", r#"{"event":{"k":"a"},"ts":1000}"#)), None);
    assert_eq!(status, 200, "{body}");
    let got = take(&gone, 1);
    assert_eq!(got[0]["data"]["k"], "a", "{got:?}");
    assert_eq!(got[0]["ts"], 3000, "{got:?}");
}

#[test]
fn a_cluster_of_two_processes_answers_like_one() {
    let dir = data_dir("cluster");
    std::fs::create_dir_all(&dir).expect("dir");
    let hostfile = dir.join("hosts");
    std::fs::write(&hostfile, format!("127.0.0.1:{}\n127.0.0.1:{}\n", free_port(), free_port())).expect("hostfile");
    let http = [free_port(), free_port()];
    let leader = start_process(&dir.join("p0"), &hostfile, 0, &http);
    let follower = start_process(&dir.join("p1"), &hostfile, 1, &http);
    let (l, f) = (&leader.base, &follower.base);

    // Created through the follower, the app runs on both processes' workers.
    let (status, body) = call("POST", &format!("{f}/v1/apps"), Some(("text/plain", APP)), None);
    assert_eq!(status, 201, "{body}");
    let events = |b: &str| format!("{b}/v1/apps/Stocks/streams/HighStream/events");
    let sse = follow_sse(events(f));
    let ws = follow_ws(events(f).replace("http://", "ws://"));
    let sse_leader = follow_sse(events(l));
    std::thread::sleep(Duration::from_millis(300));

    // A follower's internal routes take orders only with the cluster secret (had
    // this one stopped the follower's share, the events below would not flow).
    let order = format!("{f}/v1/internal/apps/Stocks/deactivate");
    assert_eq!(call("POST", &order, Some(("text/plain", "")), None).0, 401);
    let post = |b: &str, ct: &str, body: &str| {
        let (status, text) = call("POST", &format!("{b}/v1/apps/Stocks/streams/StockStream"), Some((ct, body)), None);
        assert_eq!(status, 200, "{text}");
    };
    post(f, "application/json", r#"{"symbol":"IBM","price":75.5,"volume":10}"#);
    post(l, "text/csv", "WSO2,5,3\nORCL,20,7\n");
    post(f, "application/x-ndjson", "{\"symbol\":\"MSFT\",\"price\":30,\"volume\":1}\n");
    let want = ["IBM", "ORCL", "MSFT"];
    for (how, rx) in [("SSE via process 1", &sse), ("WebSocket via process 1", &ws), ("SSE via process 0", &sse_leader)]
    {
        let got: Vec<String> =
            take(rx, 3).iter().map(|e| e["data"]["symbol"].as_str().unwrap_or("?").to_string()).collect();
        assert_eq!(got, want, "{how}");
    }
    for b in [l, f] {
        let (status, body) = call(
            "POST",
            &format!("{b}/v1/apps/Stocks/query"),
            Some(("text/plain", "SELECT symbol, volume FROM StockTable WHERE volume > 1 ORDER BY volume DESC")),
            None,
        );
        assert_eq!(
            (status, json(&body)["rows"].clone()),
            (200, serde_json::json!([["IBM", 10], ["ORCL", 7], ["WSO2", 3]])),
            "{body}"
        );
        let (_, body) = call(
            "POST",
            &format!("{b}/v1/apps/Stocks/query"),
            Some(("text/plain", "from StockTable on price < 10 select symbol")),
            None,
        );
        assert_eq!(json(&body)["rows"], serde_json::json!([["WSO2"]]), "{body}");
    }
    assert_eq!(call("DELETE", &format!("{f}/v1/apps/Stocks"), None, None).0, 204);
    assert_eq!(json(&call("GET", &format!("{l}/v1/apps"), None, None).1)["apps"], serde_json::json!([]));
    drop(follower);
    drop(leader);
    let _ = std::fs::remove_dir_all(&dir);
}

/// Lifecycle operations racing on one app leave one consistent outcome: a
/// re-create that answered 201 after a racing delete survives a restart, and
/// racing activate/delete leave no app behind that no route can reach.
#[test]
fn racing_lifecycle_calls_leave_one_outcome_on_disk_and_in_memory() {
    let dir = data_dir("race");
    let app = "@app:name('Race')\ndefine stream S (v int);\nfrom S select v insert into Out;\n";
    let server = start(&dir, &[]);
    let base = server.base.clone();
    for round in 0..8 {
        assert_eq!(call("POST", &format!("{base}/v1/apps"), Some(("text/plain", app)), None).0, 201, "round {round}");
        let deleter = {
            let base = base.clone();
            std::thread::spawn(move || call("DELETE", &format!("{base}/v1/apps/Race"), None, None).0)
        };
        let activator = {
            let base = base.clone();
            std::thread::spawn(move || call("POST", &format!("{base}/v1/apps/Race/activate"), None, None).0)
        };
        let creator = {
            let base = base.clone();
            std::thread::spawn(move || call("POST", &format!("{base}/v1/apps"), Some(("text/plain", app)), None).0)
        };
        let (deleted, _activated, created) =
            (deleter.join().unwrap(), activator.join().unwrap(), creator.join().unwrap());
        assert_eq!(deleted, 204, "round {round}");
        // Whatever the order, the app exists now exactly when the re-create won.
        let exists = call("GET", &format!("{base}/v1/apps/Race"), None, None).0 == 200;
        assert_eq!(exists, created == 201, "round {round}: create answered {created}");
        let on_disk = dir.join("apps").join("Race.app").exists();
        assert_eq!(on_disk, exists, "round {round}: on disk {on_disk}, in memory {exists}");
        if exists {
            assert_eq!(call("DELETE", &format!("{base}/v1/apps/Race"), None, None).0, 204);
        }
    }
    drop(server);
    let again = start(&dir, &[]);
    assert_eq!(call("GET", &format!("{}/v1/apps/Race", again.base), None, None).0, 404);
}

/// SIGTERM ends the server promptly even while an SSE subscriber stays
/// connected: stopping the apps closes their subscriptions.
#[test]
fn sigterm_finishes_while_an_sse_subscriber_is_connected() {
    let dir = data_dir("sigterm");
    let mut server = start(&dir, &["--shutdown-timeout", "30"]);
    let app = "@app:name('Quit')\ndefine stream S (v int);\nfrom S select v insert into Out;\n";
    assert_eq!(call("POST", &format!("{}/v1/apps", server.base), Some(("text/plain", app)), None).0, 201);
    let events = follow_sse(format!("{}/v1/apps/Quit/streams/Out/events", server.base));
    let pushed =
        call("POST", &format!("{}/v1/apps/Quit/streams/S", server.base), Some(("application/json", "[[1]]")), None);
    assert_eq!(pushed.0, 200, "{}", pushed.1);
    assert_eq!(take(&events, 1).len(), 1);
    let started = Instant::now();
    let killed = Command::new("kill").args(["-TERM", &server.child.id().to_string()]).status().unwrap();
    assert!(killed.success());
    let status = loop {
        if let Some(status) = server.child.try_wait().unwrap() {
            break status;
        }
        assert!(started.elapsed() < Duration::from_secs(20), "still running with a subscriber after SIGTERM");
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(status.success(), "{status:?}");
    assert!(started.elapsed() < Duration::from_secs(10), "took {:?}", started.elapsed());
}

/// A live app's periodic trigger fires on the wall clock under `serve`, with no
/// event pushed: its events enter through the ingress like any other.
#[test]
fn triggers_fire_in_a_served_app() {
    let dir = data_dir("trigger");
    let server = start(&dir, &[]);
    let app = "@app:name('Beat')\ndefine trigger Every200 at every 200 milliseconds;\n\
               from Every200 select triggered_time as t insert into Beats;\n";
    assert_eq!(call("POST", &format!("{}/v1/apps", server.base), Some(("text/plain", app)), None).0, 201);
    let beats = follow_sse(format!("{}/v1/apps/Beat/streams/Beats/events", server.base));
    let got = take(&beats, 2);
    assert_eq!(got.len(), 2, "{got:?}");
    let t = |v: &serde_json::Value| v["data"]["t"].as_i64().unwrap();
    assert_eq!(t(&got[1]) - t(&got[0]), 200, "{got:?}");
}
