//! What the HTTP benchmarks share: a `sluice serve` process on loopback, its
//! memory and metrics, a POST helper, and percentiles.
#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

/// A `sluice serve` process on a free port of 127.0.0.1, killed (and its data
/// directory removed) when dropped.
pub struct Server {
    /// The process.
    pub child: Child,
    /// `http://host:port`.
    pub base: String,
    dir: std::path::PathBuf,
    /// Whether dropping the server removes its data directory.
    owns_dir: bool,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        if self.owns_dir {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }
}

impl Server {
    /// Starts `sluice serve` with `workers` workers per app and `extra` arguments,
    /// on a data directory of its own (removed when dropped).
    pub fn start(sluice: &std::path::Path, workers: usize, extra: &[&str]) -> Server {
        let dir = std::env::temp_dir().join(format!("sluice-http-bench-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let workers = workers.to_string();
        let mut args = vec!["--workers", &workers];
        args.extend_from_slice(extra);
        let mut server = Server::start_in(sluice, &dir, &args);
        server.owns_dir = true;
        server
    }

    /// Starts `sluice serve` on the data directory `dir` (kept when dropped),
    /// with `extra` arguments.
    pub fn start_in(sluice: &std::path::Path, dir: &std::path::Path, extra: &[&str]) -> Server {
        let mut child = Command::new(sluice)
            .args(["serve", "--listen", "127.0.0.1:0", "--data-dir"])
            .arg(dir)
            .args(extra)
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", sluice.display()));
        let stderr = child.stderr.take().expect("stderr");
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if let Some(addr) = line.split("listening on http://").nth(1) {
                    let _ = tx.send(addr.split_whitespace().next().unwrap_or_default().to_string());
                }
            }
        });
        let addr = rx.recv_timeout(Duration::from_secs(30)).expect("server address");
        Server { child, base: format!("http://{addr}"), dir: dir.to_path_buf(), owns_dir: false }
    }

    /// A `/proc/PID/status` field in KiB (`VmRSS:`, `VmHWM:`).
    pub fn status_kib(&self, field: &str) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).unwrap_or_default();
        status
            .lines()
            .find(|l| l.starts_with(field))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
    }

    /// The value of the first `/metrics` line starting with `name`.
    pub fn metric(&self, name: &str) -> u64 {
        let text = ureq::get(&format!("{}/metrics", self.base)).call().ok().and_then(|r| r.into_string().ok());
        text.unwrap_or_default()
            .lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.rsplit(' ').next())
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
    }
}

/// The `p` quantile of sorted samples.
pub fn percentile(sorted: &[u64], p: f64) -> u64 {
    if sorted.is_empty() {
        return 0;
    }
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

/// POSTs `body` as `content_type` to `base` + `path`: the status and body of any
/// HTTP answer, or why there was none (the server died, or no answer within
/// `timeout`).
pub fn post(
    base: &str,
    path: &str,
    content_type: &str,
    body: &str,
    timeout: Duration,
) -> Result<(u16, String), String> {
    match ureq::post(&format!("{base}{path}")).set("content-type", content_type).timeout(timeout).send_string(body) {
        Ok(r) => Ok((r.status(), r.into_string().unwrap_or_default())),
        Err(ureq::Error::Status(code, r)) => Ok((code, r.into_string().unwrap_or_default())),
        Err(e) => Err(e.to_string()),
    }
}
