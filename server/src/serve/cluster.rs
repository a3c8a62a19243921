//! `sluice serve` on several processes, with timely's own cluster mode.
//!
//! Every process runs every app's dataflow: each app is one timely computation
//! whose workers span all processes (exchanges by key cross processes). Process 0
//! is the leader: it owns each app's ingress sequencer (timely worker 0 feeds the
//! input), keeps the definitions on disk, receives the outputs, and tells the
//! other processes to start and stop their share of an app. The other processes
//! accept the same HTTP routes and pass them to the leader, so a client may talk
//! to any process and gets the same answers as from one process.

use std::path::Path;
use std::time::Duration;

/// This process's place in the cluster.
#[derive(Clone, Debug)]
pub struct ClusterPlan {
    /// This process's index (0 leads).
    pub process: usize,
    /// Each process's base timely address (`host:port`), from the host file.
    pub timely: Vec<String>,
    /// Each process's HTTP base URL (`http://host:port`), in the same order.
    pub peers: Vec<String>,
}

impl ClusterPlan {
    /// Reads the host file and the peer list.
    pub fn new(process: usize, hostfile: &Path, peers: &[String]) -> Result<ClusterPlan, String> {
        let text =
            std::fs::read_to_string(hostfile).map_err(|e| format!("{}: cannot read: {e}", hostfile.display()))?;
        let timely: Vec<String> =
            text.lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with('#')).map(str::to_string).collect();
        if timely.len() < 2 {
            return Err(format!("{}: a cluster needs at least two processes", hostfile.display()));
        }
        if peers.len() != timely.len() {
            return Err(format!(
                "--peers names {} processes, {} names {}; give every process's HTTP address in host-file order",
                peers.len(),
                hostfile.display(),
                timely.len()
            ));
        }
        if process >= timely.len() {
            return Err(format!("--process {process}: {} lists {} processes", hostfile.display(), timely.len()));
        }
        for a in &timely {
            port_of(a)?;
        }
        let peers = peers
            .iter()
            .map(|p| if p.starts_with("http://") { p.trim_end_matches('/').to_string() } else { format!("http://{p}") })
            .collect();
        Ok(ClusterPlan { process, timely, peers })
    }

    /// Whether this process leads.
    pub fn is_leader(&self) -> bool {
        self.process == 0
    }

    /// The leader's HTTP base URL.
    pub fn leader(&self) -> &str {
        &self.peers[0]
    }

    /// The other processes' HTTP base URLs.
    pub fn followers(&self) -> impl Iterator<Item = &String> {
        self.peers.iter().skip(1)
    }

    /// The timely addresses of the app in `slot`: each process's base port plus
    /// `slot × processes`, so that apps never share a port when the base ports
    /// are consecutive (or on different hosts).
    pub fn app_addresses(&self, slot: usize) -> Vec<String> {
        let n = self.timely.len();
        self.timely
            .iter()
            .map(|a| {
                let (host, port) = a.rsplit_once(':').unwrap_or((a, "0"));
                let port: usize = port.parse().unwrap_or(0);
                format!("{host}:{}", port + slot * n)
            })
            .collect()
    }
}

fn port_of(address: &str) -> Result<u16, String> {
    address.rsplit_once(':').and_then(|(_, p)| p.parse().ok()).ok_or_else(|| format!("'{address}' is not host:port"))
}

/// Why another process did not do what it was told.
#[derive(Debug)]
pub enum TellError {
    /// It could not be reached (down, restarting, or too slow): the cluster is degraded.
    Unreachable(String),
    /// It answered with an error status.
    Refused(String),
}

impl std::fmt::Display for TellError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            TellError::Unreachable(m) | TellError::Refused(m) => f.write_str(m),
        }
    }
}

/// How long a control request (start a share, stop it) may take.
pub const TELL_TIMEOUT: Duration = Duration::from_secs(30);

/// Sends a control request to another process and returns its answer's body;
/// the error names the process. It carries the cluster `secret` that internal
/// routes ask for.
pub fn tell(
    peer: &str,
    method: &str,
    path: &str,
    body: &str,
    secret: Option<&str>,
    timeout: Duration,
) -> Result<String, TellError> {
    let agent = ureq::AgentBuilder::new().timeout(timeout).build();
    let mut req = agent.request(method, &format!("{peer}{path}"));
    if let Some(s) = secret {
        req = req.set(super::auth::SECRET_HEADER, s);
    }
    match req.send_string(body) {
        Ok(r) => r.into_string().map_err(|e| TellError::Unreachable(format!("{peer}: {e}"))),
        Err(ureq::Error::Status(code, r)) => {
            Err(TellError::Refused(format!("{peer} answered {code}: {}", r.into_string().unwrap_or_default())))
        }
        Err(e) => Err(TellError::Unreachable(format!("{peer}: {e}"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn apps_get_ports_that_never_collide() {
        let plan = ClusterPlan {
            process: 0,
            timely: vec!["127.0.0.1:9000".into(), "127.0.0.1:9001".into()],
            peers: vec!["http://a".into(), "http://b".into()],
        };
        assert_eq!(plan.app_addresses(0), ["127.0.0.1:9000", "127.0.0.1:9001"]);
        assert_eq!(plan.app_addresses(1), ["127.0.0.1:9002", "127.0.0.1:9003"]);
        assert_eq!(plan.app_addresses(2), ["127.0.0.1:9004", "127.0.0.1:9005"]);
    }
}
