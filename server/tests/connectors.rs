//! Sources, sinks and mappers through the `sluice` binary: a file source feeding
//! a file sink in `sluice run` (whole files and `tail -f`), mapper options refused
//! at their place by `sluice check`, and two apps of one `sluice serve` chained
//! through a Macrometa-style `stream` (and an `inMemory` topic) on 127.0.0.1.

mod common;

use common::Server;
use std::io::{BufRead, BufReader, Write};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

fn sluice() -> Command {
    Command::new(env!("CARGO_BIN_EXE_sluice"))
}

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("sluice-connectors-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Waits until `path` holds `lines` lines (or 10 s pass); returns its lines.
fn wait_for_lines(path: &std::path::Path, lines: usize) -> Vec<String> {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let text = std::fs::read_to_string(path).unwrap_or_default();
        let got: Vec<String> = text.lines().map(str::to_string).collect();
        if got.len() >= lines || Instant::now() > deadline {
            return got;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn a_file_source_feeds_an_app_whose_sinks_append_to_a_file_and_log() {
    let dir = temp_dir("file");
    let input = dir.join("in.jsonl");
    let output = dir.join("out.csv");
    std::fs::write(
        &input,
        "{\"event\":{\"symbol\":\"IBM\",\"price\":75.5,\"volume\":100}}\n\
         not json\n\
         [{\"symbol\":\"WSO2\",\"price\":10,\"volume\":5},{\"symbol\":\"BIG\",\"price\":500,\"volume\":1}]\n\
         {\"event\":{\"symbol\":\"ORCL\",\"price\":\"cheap\",\"volume\":1}}\n",
    )
    .unwrap();
    // The file sink appends: what was there stays.
    std::fs::write(&output, "symbol;price\n").unwrap();
    let app = dir.join("app.siddhi");
    std::fs::write(
        &app,
        format!(
            "@app:name('FileChain')\n\
             @source(type='file', file.uri='file:{}', tailing='false', @map(type='json'))\n\
             define stream StockIn (symbol string, price double, volume long);\n\
             @sink(type='file', file.uri='{}', @map(type='csv', delimiter=';'))\n\
             @sink(type='log', prefix='CHEAP', @map(type='text', @payload(\"{{{{symbol}}}} costs {{{{price}}}}\")))\n\
             define stream Cheap (symbol string, price double);\n\
             from StockIn[price < 100] select symbol, price insert into Cheap;\n",
            input.display(),
            output.display()
        ),
    )
    .unwrap();
    // No --input: the app runs on its own source until the file ends.
    let out = sluice().arg("run").arg(&app).stdin(Stdio::null()).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert_eq!(std::fs::read_to_string(&output).unwrap(), "symbol;price\nIBM;75.5\nWSO2;10.0\n");
    let logged: Vec<&str> = stderr.lines().filter(|l| l.starts_with("CHEAP : ")).collect();
    assert_eq!(logged, ["CHEAP : IBM costs 75.5", "CHEAP : WSO2 costs 10.0"]);
    // Payloads the mapper cannot read are logged with the reason and dropped.
    assert!(stderr.contains("source on 'StockIn': payload dropped: not JSON"), "{stderr}");
    assert!(stderr.contains("attribute 'price'"), "{stderr}");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(stdout.lines().count(), 2, "{stdout}");
}

#[test]
fn an_xml_file_source_feeds_an_xml_file_sink_through_xpaths() {
    let dir = temp_dir("xml");
    let input = dir.join("in.xml");
    let output = dir.join("out.xml");
    std::fs::write(
        &input,
        "<portfolio xmlns:dt=\"urn:dt\"><stock exchange=\"nasdaq\"><company><symbol>IBM</symbol></company>\
         <price dt:type=\"number\">75.5</price></stock><stock exchange=\"nyse\"><company><symbol>A&amp;B</symbol>\
         </company><price dt:type=\"number\">10</price></stock></portfolio>\n\
         <portfolio><stock/>\n\
         <portfolio><stock><company><symbol>ORCL</symbol></company><price>500</price></stock></portfolio>\n",
    )
    .unwrap();
    let app = dir.join("app.siddhi");
    std::fs::write(
        &app,
        format!(
            "@app:name('XmlChain')\n\
             @source(type='file', file.uri='file:{}', tailing='false', @map(type='xml', namespaces='dt=urn:dt',\n\
                 enclosing.element='/portfolio', @attributes(symbol='company/symbol', price='price[@dt:type=\"number\"]',\n\
                 exchange='@exchange')))\n\
             define stream StockIn (symbol string, price double, exchange string);\n\
             @sink(type='file', file.uri='{}', @map(type='xml'))\n\
             @sink(type='log', prefix='CHEAP', @map(type='xml', enclosing.element='<portfolio>',\n\
                 @payload(\"<stock symbol='{{{{symbol}}}}'>{{{{price}}}}</stock>\")))\n\
             define stream Cheap (symbol string, price double);\n\
             from StockIn[price < 100] select symbol, price insert into Cheap;\n",
            input.display(),
            output.display()
        ),
    )
    .unwrap();
    let out = sluice().arg("run").arg(&app).stdin(Stdio::null()).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert_eq!(
        std::fs::read_to_string(&output).unwrap(),
        "<events><event><symbol>IBM</symbol><price>75.5</price></event></events>\n\
         <events><event><symbol>A&amp;B</symbol><price>10.0</price></event></events>\n"
    );
    let logged: Vec<&str> = stderr.lines().filter(|l| l.starts_with("CHEAP : ")).collect();
    assert_eq!(
        logged,
        [
            "CHEAP : <portfolio><stock symbol='IBM'>75.5</stock></portfolio>",
            "CHEAP : <portfolio><stock symbol='A&amp;B'>10.0</stock></portfolio>"
        ]
    );
    // A payload that is not XML, and one without the attributes, are dropped with the reason.
    assert!(stderr.contains("source on 'StockIn': payload dropped: not well-formed XML"), "{stderr}");
    // The third line has no price typed in the dt namespace: with fail.on.missing.attribute on, it is dropped.
    assert!(stderr.contains("XPath 'price[@dt:type=\"number\"]' (attribute 'price') selects nothing"), "{stderr}");
}

/// A running `sluice run`, killed when dropped.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn a_tailing_file_source_follows_appended_lines_into_an_in_memory_topic() {
    let dir = temp_dir("tail");
    let input = dir.join("in.csv");
    let output = dir.join("out.txt");
    std::fs::write(&input, "a,1\n").unwrap();
    let app = dir.join("app.siddhi");
    // The file source tails (the default); its events go through an inMemory
    // topic to a second source of the same app, then to the file sink.
    std::fs::write(
        &app,
        format!(
            "@source(type='file', file.uri='{}', @map(type='csv'))\n\
             define stream Lines (name string, n int);\n\
             @sink(type='inMemory', topic='doubled', @map(type='passThrough'))\n\
             define stream Doubled (name string, n int);\n\
             @source(type='inMemory', topic='doubled')\n\
             define stream Back (name string, n int);\n\
             @sink(type='file', file.uri='{}', @map(type='json'))\n\
             define stream Out (name string, n int);\n\
             from Lines select name, n * 2 as n insert into Doubled;\n\
             from Back select name, n insert into Out;\n",
            input.display(),
            output.display()
        ),
    )
    .unwrap();
    let child = sluice().arg("run").arg(&app).stdin(Stdio::null()).stdout(Stdio::null()).spawn().unwrap();
    let _running = Running(child);
    assert_eq!(wait_for_lines(&output, 1), [r#"{"event":{"name":"a","n":2}}"#]);
    let mut f = std::fs::OpenOptions::new().append(true).open(&input).unwrap();
    // A line written in two pieces is read once it is whole.
    f.write_all(b"b,").unwrap();
    f.flush().unwrap();
    std::thread::sleep(Duration::from_millis(300));
    f.write_all(b"20\nc,300\n").unwrap();
    f.flush().unwrap();
    assert_eq!(
        wait_for_lines(&output, 3),
        [r#"{"event":{"name":"a","n":2}}"#, r#"{"event":{"name":"b","n":40}}"#, r#"{"event":{"name":"c","n":600}}"#]
    );
}

#[test]
fn check_refuses_bad_mapper_options_and_unbuilt_transports_at_their_place() {
    let dir = temp_dir("check");
    let cases = [
        (
            "@source(type='inMemory', topic='t', @map(type='json', @attributes(a='$.a', b='$..[')))\n\
             define stream S (a int, b int);\nfrom S select a insert into Out;\n",
            "app.siddhi:1:76: error: '$..[' is not a JSONPath",
        ),
        (
            "define stream S (a int);\n@sink(type='log', @map(type='text', @payload('{{a}} {{c}}')))\n\
             define stream Out (a int);\nfrom S select a insert into Out;\n",
            "app.siddhi:2:46: error: @payload names '{{c}}', but stream 'Out' has no attribute 'c'",
        ),
        (
            "@source(type='kafka', topic='t')\ndefine stream S (a int);\n",
            "app.siddhi:1:1: error: not built yet: source type 'kafka': the sources Sluice runs are file, inMemory, stream, mqtt, http, http-call-response, tcp, sse, http-service",
        ),
        (
            "CREATE SOURCE STREAM S (a int);\n@sink(type='stream', stream='S')\n@source(type='inMemory', topic='x')\n\
             define stream T (a int);\n@source(type='stream')\n@sink(type='stream')\ndefine stream S2 (a int);\n",
            "app.siddhi:6:1: error: this sink publishes to the stream topic that a source of the same stream 'S2' reads",
        ),
        (
            "@sink(type='mqtt', url='ssl://127.0.0.1:8883', topic='t')\ndefine stream S (a int);\n",
            "app.siddhi:1:1: error: url 'ssl://127.0.0.1:8883': Sluice connects to `tcp://host:port`",
        ),
        (
            "@source(type='file', file.uri='x', @map(type='bogus'))\ndefine stream S (a int);\n",
            "app.siddhi:1:36: error: not built yet: mapper 'bogus': the mappers Sluice runs are json, csv, text, keyvalue, xml, passThrough",
        ),
        (
            "@source(type='file', file.uri='x', @map(type='xml', @attributes(a='count(//a)')))\ndefine stream S (a int);\n",
            "app.siddhi:1:65: error: not built yet: XPath 'count(//a)': 'count(' is not built",
        ),
    ];
    for (text, expected) in cases {
        let app = dir.join("app.siddhi");
        std::fs::write(&app, text).unwrap();
        let out = sluice().arg("check").arg(&app).output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "accepted: {text}");
        assert!(stderr.contains(expected), "{expected}\nnot in:\n{stderr}");
    }
}

fn serve(dir: &std::path::Path) -> Server {
    common::serve(&["--listen", "127.0.0.1:0", "--data-dir", dir.to_str().expect("UTF-8 path")])
}

fn post(url: &str, content_type: &str, body: &str) -> u16 {
    match ureq::post(url).set("content-type", content_type).send_string(body) {
        Ok(r) => r.status(),
        Err(ureq::Error::Status(code, r)) => panic!("POST {url}: {code} {}", r.into_string().unwrap_or_default()),
        Err(e) => panic!("POST {url}: {e}"),
    }
}

/// The first `n` events of an SSE subscription (10 s at most).
fn sse_events(url: &str, n: usize) -> mpsc::Receiver<serde_json::Value> {
    let (tx, rx) = mpsc::channel();
    let resp = ureq::get(url).set("accept", "text/event-stream").call().expect("subscribe over SSE");
    std::thread::spawn(move || {
        for line in BufReader::new(resp.into_reader()).lines().map_while(Result::ok).take(10 * n + 10) {
            if let Some(data) = line.strip_prefix("data:") {
                let Ok(v) = serde_json::from_str(data) else { continue };
                if tx.send(v).is_err() {
                    break;
                }
            }
        }
    });
    rx
}

#[test]
fn two_served_apps_chain_through_a_stream_and_an_in_memory_topic() {
    let dir = temp_dir("serve");
    let server = serve(&dir);
    // The consumer first, so that it is subscribed when the producer publishes.
    let consumer = "@app:name('Consumer')\n\
         CREATE SOURCE Prices WITH (type='stream', stream.list='HighPrices', map.type='json') (symbol string, price double);\n\
         @source(type='inMemory', topic='counts', @map(type='keyvalue'))\n\
         define stream Counts (symbol string, total long);\n\
         INSERT INTO Doubled SELECT symbol, price * 2 AS price FROM Prices;\n\
         INSERT INTO Totals SELECT symbol, total FROM Counts;\n";
    let producer = "@app:name('Producer')\n\
         CREATE STREAM Trades (symbol string, price double);\n\
         CREATE SINK HighPrices WITH (type='stream', stream='HighPrices', map.type='json') (symbol string, price double);\n\
         @sink(type='inMemory', topic='counts', @map(type='keyvalue'))\n\
         define stream Counts (symbol string, total long);\n\
         INSERT INTO HighPrices SELECT symbol, price FROM Trades[price > 10.0];\n\
         INSERT INTO Counts SELECT symbol, count() AS total FROM Trades GROUP BY symbol;\n";
    for app in [consumer, producer] {
        assert_eq!(post(&format!("{}/v1/apps", server.base), "text/plain", app), 201);
    }
    let doubled = sse_events(&format!("{}/v1/apps/Consumer/streams/Doubled/events", server.base), 3);
    let totals = sse_events(&format!("{}/v1/apps/Consumer/streams/Totals/events", server.base), 4);
    std::thread::sleep(Duration::from_millis(300));
    let trades = "{\"symbol\":\"IBM\",\"price\":75.5}\n{\"symbol\":\"IBM\",\"price\":5}\n\
                  {\"symbol\":\"WSO2\",\"price\":11}\n{\"symbol\":\"IBM\",\"price\":20}";
    post(&format!("{}/v1/apps/Producer/streams/Trades", server.base), "application/x-ndjson", trades);
    let take = |rx: &mpsc::Receiver<serde_json::Value>, n: usize| -> Vec<serde_json::Value> {
        (0..n)
            .map(|i| rx.recv_timeout(Duration::from_secs(10)).unwrap_or_else(|_| panic!("event {i} of {n}")))
            .collect()
    };
    let got: Vec<(String, f64)> = take(&doubled, 3)
        .iter()
        .map(|e| (e["data"]["symbol"].as_str().unwrap().to_string(), e["data"]["price"].as_f64().unwrap()))
        .collect();
    assert_eq!(got, [("IBM".to_string(), 151.0), ("WSO2".to_string(), 22.0), ("IBM".to_string(), 40.0)]);
    let got: Vec<(String, i64)> = take(&totals, 4)
        .iter()
        .map(|e| (e["data"]["symbol"].as_str().unwrap().to_string(), e["data"]["total"].as_i64().unwrap()))
        .collect();
    let expected = [("IBM", 1), ("IBM", 2), ("WSO2", 1), ("IBM", 3)].map(|(s, n)| (s.to_string(), n));
    assert_eq!(got, expected);
}

#[test]
fn an_http_sink_posts_each_event_to_another_servers_ingestion_route() {
    let dir = temp_dir("http");
    let server = serve(&dir.join("data"));
    let receiver = "@app:name('Receiver')\ndefine stream Prices (symbol string, price double);\n\
                    from Prices select symbol, price * 10 AS price insert into Scaled;\n";
    assert_eq!(post(&format!("{}/v1/apps", server.base), "text/plain", receiver), 201);
    let scaled = sse_events(&format!("{}/v1/apps/Receiver/streams/Scaled/events", server.base), 2);
    let input = dir.join("in.csv");
    std::fs::write(&input, "IBM,7.5\nWSO2,1.5\n").unwrap();
    let app = dir.join("sender.sql");
    std::fs::write(
        &app,
        format!(
            "CREATE SOURCE Prices WITH (type='file', file.uri='{}', tailing='false', map.type='csv') (symbol string, price double);\n\
             CREATE SINK Posted WITH (type='http', publisher.url='{}/v1/apps/Receiver/streams/Prices', method='POST', \
               headers=\"'X-Trace:on'\", map.type='json') (symbol string, price double);\n\
             CREATE SINK Lost WITH (type='http', publisher.url='{}/v1/apps/Nobody/streams/Prices', map.type='json') (symbol string, price double);\n\
             INSERT INTO Posted SELECT symbol, price FROM Prices;\n\
             INSERT INTO Lost SELECT symbol, price FROM Prices[symbol == 'IBM'];\n",
            input.display(),
            server.base,
            server.base
        ),
    )
    .unwrap();
    let out = sluice().arg("run").arg(&app).stdin(Stdio::null()).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    // A request the other side refuses is logged with its status, and dropped.
    assert!(stderr.contains("sink on 'Lost' (http ") && stderr.contains("event dropped: status 404"), "{stderr}");
    let got: Vec<(String, f64)> = (0..2)
        .map(|_| scaled.recv_timeout(Duration::from_secs(10)).expect("an event posted by the sink"))
        .map(|e| (e["data"]["symbol"].as_str().unwrap().to_string(), e["data"]["price"].as_f64().unwrap()))
        .collect();
    assert_eq!(got, [("IBM".to_string(), 75.0), ("WSO2".to_string(), 15.0)]);
}

#[test]
fn an_http_source_takes_posted_events_with_basic_auth_and_answers_bad_ones() {
    let dir = temp_dir("http-source");
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let output = dir.join("out.jsonl");
    let app = dir.join("app.sql");
    std::fs::write(
        &app,
        format!(
            "CREATE SOURCE Orders WITH (type='http', receiver.url='http://127.0.0.1:{port}/orders', \
               basic.auth.username='shop', basic.auth.password='s3cret', map.type='json') (id string, amount double);\n\
             CREATE SINK Big WITH (type='file', file.uri='{}', map.type='passThrough') (id string, amount double);\n\
             INSERT INTO Big SELECT id, amount FROM Orders[amount >= 100.0];\n",
            output.display()
        ),
    )
    .unwrap();
    let child = sluice().arg("run").arg(&app).stdin(Stdio::null()).stdout(Stdio::null()).spawn().unwrap();
    let _running = Running(child);
    let url = format!("http://127.0.0.1:{port}/orders");
    let send = |auth: Option<&str>, body: &str| -> u16 {
        let mut request = ureq::post(&url).set("content-type", "application/json");
        if let Some(a) = auth {
            request = request.set("authorization", a);
        }
        match request.send_string(body) {
            Ok(r) => r.status(),
            Err(ureq::Error::Status(code, _)) => code,
            Err(e) => panic!("{e}"),
        }
    };
    // Until the source listens, connections are refused.
    let deadline = Instant::now() + Duration::from_secs(15);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "the http source never listened");
        std::thread::sleep(Duration::from_millis(50));
    }
    let auth = "Basic c2hvcDpzM2NyZXQ="; // shop:s3cret
    assert_eq!(send(None, r#"{"event":{"id":"o0","amount":500}}"#), 401);
    assert_eq!(send(Some("Basic d3Jvbmc6d3Jvbmc="), r#"{"event":{"id":"o0","amount":500}}"#), 401);
    assert_eq!(send(Some(auth), "not json"), 400);
    assert_eq!(send(Some(auth), r#"{"event":{"id":"o1","amount":150}}"#), 200);
    assert_eq!(send(Some(auth), r#"[{"id":"o2","amount":5},{"id":"o3","amount":100}]"#), 200);
    let lines = wait_for_lines(&output, 2);
    let ids: Vec<String> = lines
        .iter()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap()["data"]["id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(ids, ["o1", "o3"]);
}

#[test]
fn a_sink_on_an_input_stream_sends_every_event_of_it_in_sluice_run() {
    let dir = temp_dir("input-sink");
    let output = dir.join("copy.txt");
    let app = dir.join("app.sql");
    std::fs::write(
        &app,
        format!(
            "CREATE SINK Readings WITH (type='file', file.uri='{}', map.type='csv') (id string, v double);\n\
             INSERT INTO High SELECT id, v FROM Readings[v > 1.0];\n",
            output.display()
        ),
    )
    .unwrap();
    let input = "{\"stream\":\"Readings\",\"data\":{\"id\":\"a\",\"v\":0.5}}\n{\"stream\":\"Readings\",\"data\":{\"id\":\"b\",\"v\":2.0}}\n";
    let input_file = dir.join("in.jsonl");
    std::fs::write(&input_file, input).unwrap();
    let out = sluice().arg("run").arg(&app).arg("--input").arg(&input_file).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(std::fs::read_to_string(&output).unwrap(), "a,0.5\nb,2.0\n");
    // Only what queries insert is printed.
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(stdout.lines().count(), 1, "{stdout}");
    assert!(stdout.contains("\"stream\":\"High\""), "{stdout}");
}

/// Answers `n` HTTP requests on `listener`: a JSON body `{"symbol", "price"}`
/// (or `{"event": …}`) gets 200 with the price doubled, symbol `BAD` gets 404.
fn quote_server(listener: std::net::TcpListener, n: usize) {
    use std::io::Read;
    std::thread::spawn(move || {
        for stream in listener.incoming().take(n) {
            let Ok(mut stream) = stream else { continue };
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut length = 0;
            loop {
                let mut line = String::new();
                if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                    break;
                }
                if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                    length = v.trim().parse().unwrap_or(0);
                }
            }
            let mut body = vec![0; length];
            reader.read_exact(&mut body).unwrap();
            let json: serde_json::Value = serde_json::from_slice(&body).unwrap();
            let event = json.get("event").unwrap_or(&json);
            let symbol = event["symbol"].as_str().unwrap_or("?").to_string();
            let price = event["price"].as_f64().unwrap_or(0.0);
            let (status, answer) = if symbol == "BAD" {
                ("404 Not Found", serde_json::json!({"symbol": symbol, "price": -1.0}))
            } else {
                ("200 OK", serde_json::json!({"symbol": symbol, "price": price * 2.0}))
            };
            let answer = answer.to_string();
            let _ = write!(
                stream,
                "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{answer}",
                answer.len()
            );
        }
    });
}

#[test]
fn an_http_call_sink_hands_each_response_to_the_response_source_of_its_status() {
    let dir = temp_dir("http-call");
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    quote_server(listener, 3);
    let requests = dir.join("requests.jsonl");
    std::fs::write(
        &requests,
        "{\"symbol\":\"IBM\",\"price\":10}\n{\"symbol\":\"BAD\",\"price\":1}\n{\"symbol\":\"WSO2\",\"price\":2.5}\n",
    )
    .unwrap();
    let app = dir.join("quotes.sql");
    std::fs::write(
        &app,
        format!(
            "@App:name('Quotes')\n\
             CREATE SOURCE Requests WITH (type='file', file.uri='{}', tailing='false', map.type='json') (symbol string, price double);\n\
             CREATE SINK Calls WITH (type='http-call', publisher.url='http://127.0.0.1:{port}/quote', method='POST', sink.id='quote', map.type='json') (symbol string, price double);\n\
             CREATE SOURCE Quotes WITH (type='http-call-response', sink.id='quote', http.status.code='2\\d+', map.type='json') (symbol string, price double);\n\
             CREATE SOURCE Failures WITH (type='http-call-response', sink.id='quote', http.status.code='4\\d+|5\\d+', map.type='json') (symbol string, price double);\n\
             INSERT INTO Calls SELECT symbol, price FROM Requests;\n\
             INSERT INTO Out SELECT symbol, price FROM Quotes;\n\
             INSERT INTO Bad SELECT symbol FROM Failures;\n",
            requests.display()
        ),
    )
    .unwrap();
    let mut child = sluice().arg("run").arg(&app).stdout(Stdio::piped()).stderr(Stdio::null()).spawn().unwrap();
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let mut answers = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(20);
    while answers.len() < 3 && Instant::now() < deadline {
        if let Ok(line) = rx.recv_timeout(Duration::from_millis(200)) {
            let v: serde_json::Value = serde_json::from_str(&line).unwrap();
            if v["stream"] != "Calls" {
                answers.push((v["stream"].as_str().unwrap().to_string(), v["data"].clone()));
            }
        }
    }
    let _ = child.kill();
    let _ = child.wait();
    answers.sort_by_key(|(s, d)| (s.clone(), d.to_string()));
    assert_eq!(
        answers,
        vec![
            ("Bad".to_string(), serde_json::json!({"symbol": "BAD"})),
            ("Out".to_string(), serde_json::json!({"symbol": "IBM", "price": 20.0})),
            ("Out".to_string(), serde_json::json!({"symbol": "WSO2", "price": 5.0})),
        ]
    );
    let _ = std::fs::remove_dir_all(&dir);
}
