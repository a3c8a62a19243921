//! `sluice serve`: the HTTP server in front of the engine. Apps are created,
//! listed, activated, deactivated and deleted over HTTP; events are pushed to their
//! streams; outputs are followed over Server-Sent Events or WebSocket; tables and
//! named windows answer snapshot queries. See `docs/http-api.md`.
//!
//! Threads: warp and tokio on their own runtime; each active app runs its timely
//! workers on threads of its own, fed through a bounded ingress queue
//! ([`running::Ingress`]), and hands its outputs to subscribers through broadcast
//! channels that drop what a slow subscriber cannot take.

pub mod cluster;
pub mod connectors;
pub mod error;
pub mod ingest;
pub mod manager;
pub mod metrics;
pub mod query;
pub mod routes;
pub mod running;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

/// What `sluice serve` is told on its command line.
#[derive(Clone, Debug, clap::Args)]
pub struct ServeArgs {
    /// Address to listen on (loopback unless told otherwise).
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,
    /// Where app definitions are kept, so that apps survive a restart.
    #[arg(long, default_value = "sluice-data")]
    pub data_dir: PathBuf,
    /// Timely worker threads per app.
    #[arg(long, default_value_t = 1)]
    pub workers: usize,
    /// An API key; with any configured, every route but `/health` needs
    /// `Authorization: Bearer <key>`. Repeat for several keys.
    #[arg(long = "api-key")]
    pub api_keys: Vec<String>,
    /// The largest request body accepted, in bytes.
    #[arg(long, default_value_t = 16 * 1024 * 1024)]
    pub max_body_bytes: u64,
    /// How many events may wait in an app's ingress queue; a batch that does not
    /// fit is refused with 429 (the client retries later) instead of growing memory.
    #[arg(long, default_value_t = 200_000)]
    pub queue_events: usize,
    /// Seconds a graceful shutdown (SIGTERM, Ctrl-C) may take: apps finish what is
    /// queued and subscriptions close; past this, or at a second signal, the
    /// server exits at once.
    #[arg(long, default_value_t = 10)]
    pub shutdown_timeout: u64,
    /// timely's cluster options (every app's workers span the processes).
    #[command(flatten)]
    pub cluster: crate::cli::ClusterArgs,
    /// In a cluster: every process's HTTP address (`host:port`), in host-file
    /// order, comma-separated. Process 0 leads; the others pass requests to it.
    #[arg(long, value_delimiter = ',', requires = "hostfile")]
    pub peers: Vec<String>,
}

impl ServeArgs {
    /// The cluster this process belongs to, if any.
    pub fn cluster_plan(&self) -> Result<Option<cluster::ClusterPlan>, String> {
        match (&self.cluster.hostfile, self.cluster.process) {
            (Some(file), Some(process)) => cluster::ClusterPlan::new(process, file, &self.peers).map(Some),
            _ => Ok(None),
        }
    }
}

/// Resolves on Ctrl-C (SIGINT) or SIGTERM.
async fn shutdown_signal() {
    #[cfg(unix)]
    {
        let mut term = match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(s) => s,
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
                return;
            }
        };
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

/// Runs the server until Ctrl-C or SIGTERM; active apps finish what is queued.
pub fn run(args: ServeArgs) -> ExitCode {
    let manager = match manager::AppManager::open(&args) {
        Ok(m) => Arc::new(m),
        Err(e) => {
            eprintln!("sluice serve: {e}");
            return ExitCode::FAILURE;
        }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("sluice serve: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let routes = routes::routes(manager.clone(), Arc::new(args.api_keys.clone()), args.max_body_bytes);
    let role = match manager.cluster() {
        Some(c) if c.is_leader() => format!(", leading a cluster of {}", c.peers.len()),
        Some(c) => format!(", process {} of a cluster led by {}", c.process, c.leader()),
        None => String::new(),
    };
    let stopping = Arc::new(tokio::sync::Notify::new());
    let on_signal = (stopping.clone(), manager.clone());
    let timeout = std::time::Duration::from_secs(args.shutdown_timeout);
    let result = runtime.block_on(async move {
        let (addr, server) = warp::serve(routes)
            .try_bind_with_graceful_shutdown(args.listen, async move {
                shutdown_signal().await;
                let (stopping, manager) = on_signal;
                stopping.notify_one();
                // Apps stop first (they finish what is queued); that closes their
                // subscriptions, so SSE and WebSocket followers end and the server
                // is not held open by them.
                let _ = tokio::task::spawn_blocking(move || manager.shutdown()).await;
            })
            .map_err(|e| format!("cannot listen on {}: {e}", args.listen))?;
        eprintln!("sluice serve: listening on http://{addr} ({} workers per app{role})", args.workers);
        tokio::pin!(server);
        tokio::select! {
            _ = &mut server => {}
            _ = async {
                stopping.notified().await;
                tokio::select! {
                    _ = tokio::time::sleep(timeout) => {
                        eprintln!("sluice serve: shutdown took over {timeout:?}; exiting");
                    }
                    _ = shutdown_signal() => eprintln!("sluice serve: second signal; exiting"),
                }
            } => {}
        }
        Ok::<(), String>(())
    });
    manager.shutdown();
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("sluice serve: {e}");
            ExitCode::FAILURE
        }
    }
}
