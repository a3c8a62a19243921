//! A cluster of two `sluice serve` processes on 127.0.0.1 loses one (`kill -9`)
//! and heals when it comes back: while a process is lost the apps answer 503
//! `degraded`, and afterwards they run on both processes again with every
//! acknowledged event in their state (the leader replays its ingress log).

mod common;

use common::*;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

const APP: &str = "@app:name('Heal')
define stream In (k string, v long);
@primaryKey('k')
define table Totals (k string, total long);
from In#window.length(1000) select k, sum(v) as total group by k update or insert into Totals on Totals.k == k;
";

/// A two-process cluster's files and addresses.
struct Cluster {
    dir: PathBuf,
    hostfile: PathBuf,
    http: [u16; 2],
}

impl Cluster {
    fn new(name: &str) -> Cluster {
        let dir = data_dir(name);
        std::fs::create_dir_all(&dir).expect("dir");
        let hostfile = dir.join("hosts");
        std::fs::write(&hostfile, format!("127.0.0.1:{}\n127.0.0.1:{}\n", free_port(), free_port())).expect("hosts");
        Cluster { dir, hostfile, http: [free_port(), free_port()] }
    }

    /// Starts process `index` (again), on the same data directory as before.
    fn start(&self, index: usize) -> Server {
        start_process(&self.dir.join(format!("p{index}")), &self.hostfile, index, &self.http)
    }
}

fn post_event(base: &str, k: &str, v: i64) -> (u16, String) {
    let body = format!(r#"{{"k":"{k}","v":{v}}}"#);
    call("POST", &format!("{base}/v1/apps/Heal/streams/In"), Some(("application/json", &body)), None)
}

fn totals(base: &str) -> serde_json::Value {
    let (status, body) =
        call("POST", &format!("{base}/v1/apps/Heal/query"), Some(("text/plain", "from Totals select k, total")), None);
    assert_eq!(status, 200, "{body}");
    json(&body)["rows"].clone()
}

fn state(base: &str) -> serde_json::Value {
    json(&call("GET", &format!("{base}/v1/apps/Heal"), None, None).1)
}

/// Waits until the app's state on `base` is `want`; returns how long it took.
fn wait_for_state(base: &str, want: &str, within: Duration) -> Duration {
    let started = Instant::now();
    loop {
        let got = state(base);
        if got["state"] == want {
            return started.elapsed();
        }
        assert!(started.elapsed() < within, "app not {want} within {within:?}: {got}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn shares(follower: &str) -> serde_json::Value {
    let agent = ureq::AgentBuilder::new().timeout(Duration::from_secs(5)).build();
    let answer =
        agent.get(&format!("{follower}/v1/internal/shares")).set("x-sluice-cluster-secret", CLUSTER_SECRET).call();
    json(&answer.expect("shares").into_string().expect("body"))["shares"].clone()
}

fn remove(dir: &Path) {
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn a_lost_follower_degrades_the_apps_and_they_heal_when_it_returns() {
    let cluster = Cluster::new("heal-follower");
    let leader = cluster.start(0);
    let mut follower = cluster.start(1);
    let (l, f) = (leader.base.clone(), follower.base.clone());
    let (status, body) = call("POST", &format!("{l}/v1/apps"), Some(("text/plain", APP)), None);
    assert_eq!(status, 201, "{body}");
    for v in [1, 2, 3] {
        assert_eq!(post_event(&f, "a", v).0, 200);
    }
    assert_eq!(totals(&l), serde_json::json!([["a", 6]]));

    // kill -9: the leader notices within a poll or two and refuses work with 503.
    drop(follower);
    let noticed = wait_for_state(&l, "degraded", Duration::from_secs(10));
    eprintln!("degraded {noticed:?} after the follower was killed");
    assert!(state(&l)["degraded"].as_str().is_some_and(|r| r.contains("cluster process 1")), "{}", state(&l));
    let (status, body) = post_event(&l, "a", 10);
    assert_eq!((status, json(&body)["error"]["code"].clone()), (503, "degraded".into()), "{body}");
    let (status, _) =
        call("POST", &format!("{l}/v1/apps/Heal/query"), Some(("text/plain", "from Totals select k")), None);
    assert_eq!(status, 503);

    // Back (empty: a follower keeps nothing), it gets a fresh share and the
    // state is the acknowledged events', through either process.
    follower = cluster.start(1);
    let f = follower.base.clone();
    let healed = wait_for_state(&l, "active", Duration::from_secs(30));
    eprintln!("active again {healed:?} after the follower restarted");
    assert_eq!(post_event(&f, "a", 100).0, 200);
    assert_eq!(post_event(&l, "b", 7).0, 200);
    assert_eq!(totals(&l), serde_json::json!([["a", 106], ["b", 7]]));
    assert_eq!(totals(&f), serde_json::json!([["a", 106], ["b", 7]]));

    // Deleted while the follower is away: the delete succeeds, and the share
    // the follower gets back is gone once it returns; the name can be used again.
    drop(follower);
    wait_for_state(&l, "degraded", Duration::from_secs(10));
    assert_eq!(call("DELETE", &format!("{l}/v1/apps/Heal"), None, None).0, 204);
    let follower = cluster.start(1);
    let f = follower.base.clone();
    assert_eq!(shares(&f), serde_json::json!([]));
    let (status, body) = call("POST", &format!("{f}/v1/apps"), Some(("text/plain", APP)), None);
    assert_eq!(status, 201, "{body}");
    assert_eq!(post_event(&f, "c", 5).0, 200);
    assert_eq!(totals(&l), serde_json::json!([["c", 5]]));
    drop(follower);
    drop(leader);
    remove(&cluster.dir);
}

#[test]
fn a_restarted_leader_brings_its_apps_back_on_every_process() {
    let cluster = Cluster::new("heal-leader");
    let mut leader = cluster.start(0);
    let follower = cluster.start(1);
    let (l, f) = (leader.base.clone(), follower.base.clone());
    let (status, body) = call("POST", &format!("{l}/v1/apps"), Some(("text/plain", APP)), None);
    assert_eq!(status, 201, "{body}");
    for v in [1, 2, 3] {
        assert_eq!(post_event(&l, "a", v).0, 200);
    }

    // While the leader is down the follower cannot pass requests on: 503, retry.
    drop(leader);
    let (status, body) = post_event(&f, "a", 10);
    assert_eq!(status, 503, "{body}");

    // The restarted leader restores the app, starts it on both processes once
    // the follower answers (replacing the follower's broken share) and replays
    // its log.
    leader = cluster.start(0);
    let l = leader.base.clone();
    let healed = wait_for_state(&l, "active", Duration::from_secs(30));
    eprintln!("active {healed:?} after the leader restarted");
    assert_eq!(post_event(&f, "a", 100).0, 200);
    assert_eq!(totals(&f), serde_json::json!([["a", 106]]));
    assert_eq!(shares(&f), serde_json::json!([{"name": "Heal", "slot": 0, "healthy": true}]));
    drop(follower);
    drop(leader);
    remove(&cluster.dir);
}
