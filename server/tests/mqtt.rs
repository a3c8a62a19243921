//! The `mqtt` source and sink against a real mosquitto broker on 127.0.0.1,
//! started by the test (`.ci/run` installs it): events published to the input
//! topic reach the app through its source, its outputs come back on the output
//! topic, and when the broker is killed and restarted the app reconnects (saying
//! so in its log) and goes on.

use rumqttc::{Client, Event, MqttOptions, Packet, QoS};
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// A child process killed when dropped.
struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// Starts mosquitto on `port` and waits until it accepts connections.
fn broker(port: u16) -> Killed {
    let child = Command::new("mosquitto")
        .args(["-p", &port.to_string()])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("mosquitto is installed (apt-get install mosquitto; .ci/run does)");
    let deadline = Instant::now() + Duration::from_secs(10);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "mosquitto does not listen on {port}");
        std::thread::sleep(Duration::from_millis(50));
    }
    Killed(child)
}

/// A test client: subscribes to `topic` (again after each reconnection) and sends
/// what arrives there on a channel; publishes with the returned client.
fn client(port: u16, id: &str, topic: &'static str) -> (Client, mpsc::Receiver<String>) {
    let mut options = MqttOptions::new(id, "127.0.0.1", port);
    options.set_keep_alive(Duration::from_secs(5));
    let (client, mut connection) = Client::new(options, 100);
    let (tx, rx) = mpsc::channel();
    let subscriber = client.clone();
    std::thread::spawn(move || {
        for event in connection.iter() {
            match event {
                Ok(Event::Incoming(Packet::ConnAck(_))) => {
                    let _ = subscriber.try_subscribe(topic, QoS::AtLeastOnce);
                }
                Ok(Event::Incoming(Packet::Publish(p))) => {
                    if tx.send(String::from_utf8_lossy(&p.payload).into_owned()).is_err() {
                        return;
                    }
                }
                Ok(_) => {}
                Err(_) => std::thread::sleep(Duration::from_millis(100)),
            }
        }
    });
    (client, rx)
}

fn receive(rx: &mpsc::Receiver<String>, n: usize) -> Vec<String> {
    (0..n).map(|i| rx.recv_timeout(Duration::from_secs(15)).unwrap_or_else(|_| panic!("message {i} of {n}"))).collect()
}

/// Waits until a line of the app's log contains `text`.
fn wait_for_log(log: &mpsc::Receiver<String>, text: &str) {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match log.recv_timeout(left) {
            Ok(line) if line.contains(text) => return,
            Ok(_) => {}
            Err(_) => panic!("the app never logged '{text}'"),
        }
    }
}

/// Runs `sluice run APP` on its own sources; its log lines come on the channel.
fn run_app(app: &std::path::Path) -> (Killed, mpsc::Receiver<String>) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_sluice"))
        .arg("run")
        .arg(app)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let (log_tx, log) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            eprintln!("app: {line}");
            let _ = log_tx.send(line);
        }
    });
    (Killed(child), log)
}

/// Until the app has subscribed, what is published reaches nobody: publishes a
/// probe (`{"sensor":"probe","temp":99}`) to `topic` until `answer` comes back on
/// `out`, then drains `out`.
fn wait_until_answering(publisher: &Client, topic: &str, out: &mpsc::Receiver<String>, answer: &str) {
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        publisher.publish(topic, QoS::AtLeastOnce, false, r#"{"sensor":"probe","temp":99}"#).unwrap();
        if let Ok(m) = out.recv_timeout(Duration::from_millis(300)) {
            assert_eq!(m, answer);
            break;
        }
        assert!(Instant::now() < deadline, "the app never answered");
    }
    while out.recv_timeout(Duration::from_millis(500)).is_ok() {}
}

/// `examples/mqtt_pipeline.{siddhi,sql}`, with the broker's port of this test.
#[test]
fn the_mqtt_example_runs_in_both_spellings() {
    let port = free_port();
    let _mosquitto = broker(port);
    let dir = std::env::temp_dir().join(format!("sluice-mqtt-example-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let examples = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples");
    for spelling in ["siddhi", "sql"] {
        let text = std::fs::read_to_string(examples.join(format!("mqtt_pipeline.{spelling}"))).unwrap();
        let app = dir.join(format!("mqtt_pipeline.{spelling}"));
        std::fs::write(&app, text.replace("127.0.0.1:1883", &format!("127.0.0.1:{port}"))).unwrap();
        let (_app, _log) = run_app(&app);
        let (publisher, hot) = client(port, &format!("example-{spelling}"), "hot");
        wait_until_answering(&publisher, "readings", &hot, "probe is at 99.0");
        for (sensor, temp) in [("s1", 35.5), ("s2", 21.0), ("s3", 30.5)] {
            let payload = format!(r#"{{"sensor":"{sensor}","temp":{temp}}}"#);
            publisher.publish("readings", QoS::AtLeastOnce, false, payload).unwrap();
        }
        assert_eq!(receive(&hot, 2), ["s1 is at 35.5", "s3 is at 30.5"], "{spelling}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn mqtt_source_to_filter_to_mqtt_sink_survives_a_broker_restart() {
    let port = free_port();
    let mut mosquitto = broker(port);
    let dir = std::env::temp_dir().join(format!("sluice-mqtt-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let app = dir.join("app.sql");
    std::fs::write(
        &app,
        format!(
            "CREATE SOURCE Readings WITH (type='mqtt', url='tcp://127.0.0.1:{port}', topic='in', \
               quality.of.service='1', client.id='sluice-test-in', map.type='json') (sensor string, temp double);\n\
             CREATE SINK Hot WITH (type='mqtt', url='tcp://127.0.0.1:{port}', topic='out', quality.of.service='1', \
               map.type='text', map.payload='{{{{sensor}}}} is at {{{{temp}}}}') (sensor string, temp double);\n\
             INSERT INTO Hot SELECT sensor, temp FROM Readings[temp > 30.0];\n"
        ),
    )
    .unwrap();
    let (_app, log) = run_app(&app);
    let (publisher, out) = client(port, "test-client", "out");
    wait_until_answering(&publisher, "in", &out, "probe is at 99.0");
    while out.recv_timeout(Duration::from_millis(500)).is_ok() {}
    for (sensor, temp) in [("a", 31.5), ("b", 12.0), ("c", 40.0)] {
        let payload = format!(r#"{{"event":{{"sensor":"{sensor}","temp":{temp}}}}}"#);
        publisher.publish("in", QoS::AtLeastOnce, false, payload).unwrap();
    }
    publisher.publish("in", QoS::AtLeastOnce, false, "not json").unwrap();
    assert_eq!(receive(&out, 2), ["a is at 31.5", "c is at 40.0"]);
    wait_for_log(&log, "payload dropped: not JSON");

    // The broker goes away: the app says it is retrying, and reconnects when it is back.
    drop(mosquitto);
    wait_for_log(&log, "retrying in");
    mosquitto = broker(port);
    wait_for_log(&log, "connected again");
    // Both of the app's clients (source and sink) are back once one is; give the
    // other a moment, then the pipeline works again.
    std::thread::sleep(Duration::from_millis(500));
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        publisher.publish("in", QoS::AtLeastOnce, false, r#"{"sensor":"d","temp":50}"#).unwrap();
        if let Ok(m) = out.recv_timeout(Duration::from_millis(500)) {
            assert_eq!(m, "d is at 50.0");
            break;
        }
        assert!(Instant::now() < deadline, "nothing came back after the broker restarted");
    }
    drop(mosquitto);
}
