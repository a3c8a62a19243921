//! `http-service` with `http-service-response` through the `sluice` binary on
//! 127.0.0.1: a client posts a request and gets the app's computed answer (a
//! lookup in a table fed by a file source), with a request header reaching the
//! event as `trp:User-Agent`; a request the app never answers gets 504 after
//! `connection.timeout` and its slot is freed; `trp:` on a source whose
//! transport gives no properties is refused by `sluice check`; the examples of
//! Macrometa's docs (`tests/apps/macrometa/http_service*.sql`) are accepted.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

fn sluice() -> Command {
    Command::new(env!("CARGO_BIN_EXE_sluice"))
}

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("sluice-http-service-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Kills the `sluice` process when the test ends, however it ends.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Posts `body` to `url`: the status, the content type and the body of the answer.
fn post(url: &str, agent: &str, body: &str) -> (u16, String, String) {
    let request = ureq::post(url).set("content-type", "application/json").set("user-agent", agent);
    match request.send_string(body) {
        Ok(r) => (r.status(), r.content_type().to_string(), r.into_string().unwrap_or_default()),
        Err(ureq::Error::Status(code, r)) => (code, String::new(), r.into_string().unwrap_or_default()),
        Err(e) => panic!("POST {url}: {e}"),
    }
}

#[test]
fn a_caller_gets_the_apps_computed_answer_and_an_unanswered_request_times_out() {
    let dir = temp_dir("quotes");
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let prices = dir.join("prices.jsonl");
    std::fs::write(&prices, "{\"symbol\":\"IBM\",\"price\":75.5}\n{\"symbol\":\"WSO2\",\"price\":10}\n").unwrap();
    let app = dir.join("quotes.sql");
    std::fs::write(
        &app,
        format!(
            "@App:name('Quotes')\n\
             CREATE SOURCE PriceFeed WITH (type='file', file.uri='{}', tailing='false', map.type='json') (symbol string, price double);\n\
             CREATE TABLE Prices (symbol string, price double);\n\
             CREATE SOURCE QuoteRequests WITH (type='http-service', receiver.url='http://127.0.0.1:{port}/quote', \
               source.id='quoter', connection.timeout='700', map.type='json', map.attributes.messageId='trp:messageId', \
               map.attributes.symbol='$.event.symbol', map.attributes.agent='trp:User-Agent') \
               (messageId string, symbol string, agent string);\n\
             CREATE SINK Quotes WITH (type='http-service-response', source.id='quoter', message.id='{{{{messageId}}}}', \
               map.type='json') (messageId string, symbol string, price double, agent string);\n\
             INSERT INTO Prices SELECT symbol, price FROM PriceFeed;\n\
             INSERT INTO Quotes SELECT r.messageId, p.symbol, p.price * 2 AS price, r.agent \
               FROM QuoteRequests AS r JOIN Prices AS p ON r.symbol == p.symbol;\n",
            prices.display()
        ),
    )
    .unwrap();
    let check = sluice().arg("check").arg(&app).output().unwrap();
    assert!(check.status.success(), "{}", String::from_utf8_lossy(&check.stderr));
    let child = sluice().arg("run").arg(&app).stdin(Stdio::null()).stdout(Stdio::null()).spawn().unwrap();
    let _running = Running(child);
    let url = format!("http://127.0.0.1:{port}/quote");
    let deadline = Instant::now() + Duration::from_secs(15);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "the http-service source never listened");
        std::thread::sleep(Duration::from_millis(50));
    }
    // The table is filled from the file as the app starts: ask until IBM is known.
    let deadline = Instant::now() + Duration::from_secs(15);
    let (status, content_type, body) = loop {
        let answer = post(&url, "tester/1", r#"{"event":{"symbol":"IBM"}}"#);
        if answer.0 != 504 || Instant::now() > deadline {
            break answer;
        }
    };
    assert_eq!((status, content_type.as_str()), (200, "application/json"), "{body}");
    let answer: serde_json::Value = serde_json::from_str(&body).unwrap();
    let event = &answer["event"];
    assert_eq!((event["symbol"].as_str(), event["price"].as_f64()), (Some("IBM"), Some(151.0)), "{body}");
    assert_eq!(event["agent"], "tester/1");
    let id = event["messageId"].as_str().unwrap().to_string();
    assert_eq!(id.len(), 36, "{id}");
    // Each request gets its own answer, several at once.
    let asks: Vec<_> = ["WSO2", "IBM", "WSO2"]
        .into_iter()
        .enumerate()
        .map(|(i, symbol)| {
            let url = url.clone();
            std::thread::spawn(move || {
                (symbol, post(&url, &format!("client-{i}"), &format!("{{\"event\":{{\"symbol\":\"{symbol}\"}}}}")))
            })
        })
        .collect();
    for (i, ask) in asks.into_iter().enumerate() {
        let (symbol, (status, _, body)) = ask.join().unwrap();
        assert_eq!(status, 200, "{body}");
        let event = serde_json::from_str::<serde_json::Value>(&body).unwrap()["event"].clone();
        let price = if symbol == "IBM" { 151.0 } else { 20.0 };
        assert_eq!((event["symbol"].as_str(), event["price"].as_f64()), (Some(symbol), Some(price)));
        assert_eq!(event["agent"], format!("client-{i}"));
        assert_ne!(event["messageId"].as_str(), Some(id.as_str()));
    }
    // No price for NONE: the app never answers, the caller gets 504 after the timeout.
    let started = Instant::now();
    let (status, _, body) = post(&url, "t", r#"{"event":{"symbol":"NONE"}}"#);
    assert_eq!(status, 504, "{body}");
    assert!(started.elapsed() >= Duration::from_millis(650), "{:?}", started.elapsed());
    // The slot is freed: the next request is answered.
    assert_eq!(post(&url, "t", r#"{"event":{"symbol":"WSO2"}}"#).0, 200);
    // An empty body gets 405 (as Siddhi), one the mapper cannot read 400 with the reason.
    assert_eq!(post(&url, "t", "").0, 405);
    let (status, _, body) = post(&url, "t", "nope");
    assert_eq!(status, 400);
    assert!(body.contains("not JSON"), "{body}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn transport_properties_where_the_transport_gives_none_are_refused() {
    let dir = temp_dir("refused");
    let app = dir.join("app.sql");
    std::fs::write(
        &app,
        "CREATE SOURCE In WITH (type='file', file.uri='in.txt', map.type='json', map.attributes.id='trp:messageId', \
           map.attributes.x='$.x') (id string, x int);\n\
         CREATE SINK Out WITH (type='http-service-response', source.id='s', message.id='{{nope}}', map.type='json') (id string, x int);\n\
         INSERT INTO Out SELECT id, x FROM In;\n",
    )
    .unwrap();
    let out = sluice().arg("check").arg(&app).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        stderr.contains(
            "error: not built yet: transport property 'trp:messageId' of a file source: the sources that give \
             transport properties are http-service"
        ),
        "{stderr}"
    );
    assert!(stderr.contains("message.id: message.id names '{{nope}}'"), "{stderr}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn the_documented_examples_are_accepted() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/apps/macrometa");
    for name in ["http_service.sql", "http_service_response.sql"] {
        let out = sluice().arg("check").arg(root.join(name)).output().unwrap();
        assert!(out.status.success(), "{name}: {}", String::from_utf8_lossy(&out.stderr));
    }
}
