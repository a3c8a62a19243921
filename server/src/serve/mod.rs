//! `sluice serve`: the HTTP server in front of the engine. Apps are created,
//! listed, activated, deactivated and deleted over HTTP; events are pushed to their
//! streams; outputs are followed over Server-Sent Events or WebSocket; tables and
//! named windows answer snapshot queries. See `docs/http-api.md`.
//!
//! Threads: warp and tokio on their own runtime; each active app runs its timely
//! workers on threads of its own, fed through a bounded ingress queue
//! ([`running::Ingress`]), and hands its outputs to subscribers through broadcast
//! channels that drop what a slow subscriber cannot take.

pub mod auth;
pub mod cluster;
pub mod connectors;
pub mod console;
pub mod error;
pub mod error_store;
pub mod follow;
pub mod healing;
pub mod ingest;
pub mod ingress;
pub mod ingress_log;
pub mod internal;
pub mod limits;
pub mod manager;
pub mod metrics;
pub mod outputs;
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
    /// An API key with the `write` role; with any key configured, every route but
    /// `/health` needs `Authorization: Bearer <key>`. Repeat for several keys.
    /// Keys on the command line show in `ps`: prefer `--api-key-file` or the
    /// `SLUICE_API_KEYS` environment variable (`read:KEY,write:KEY,…`).
    #[arg(long = "api-key")]
    pub api_keys: Vec<String>,
    /// An API key with the `read` role: list, show, follow, metrics and queries
    /// that only read. Repeat for several keys.
    #[arg(long = "read-key")]
    pub read_keys: Vec<String>,
    /// A file of API keys, one per line: `read:KEY`, `write:KEY` or `KEY` (write).
    #[arg(long)]
    pub api_key_file: Option<PathBuf>,
    /// The secret the processes of a cluster present to each other's internal
    /// routes (at least 16 characters; or `--cluster-secret-file`, or the
    /// `SLUICE_CLUSTER_SECRET` environment variable). A cluster needs one.
    #[arg(long)]
    pub cluster_secret: Option<String>,
    /// A file holding the cluster secret.
    #[arg(long)]
    pub cluster_secret_file: Option<PathBuf>,
    /// The most apps the server keeps; creating one more answers 422.
    #[arg(long, default_value_t = 100)]
    pub max_apps: usize,
    /// The most queries an app may have (partitions' included); a larger app is
    /// refused with 422 before it is compiled.
    #[arg(long, default_value_t = 10_000)]
    pub max_queries_per_app: usize,
    /// The most open SSE and WebSocket subscriptions, over all apps; one more
    /// answers 503.
    #[arg(long, default_value_t = 1024)]
    pub max_subscribers: usize,
    /// Seconds an on-demand query may wait for its answer before 504.
    #[arg(long, default_value_t = 30)]
    pub query_timeout: u64,
    /// The largest request body accepted, in bytes.
    #[arg(long, default_value_t = 16 * 1024 * 1024)]
    pub max_body_bytes: u64,
    /// How many events may wait in an app's ingress queue; a batch that does not
    /// fit is refused with 429 (the client retries later) instead of growing memory.
    #[arg(long, default_value_t = 200_000)]
    pub queue_events: usize,
    /// How accepted events are kept: `fsync` (logged and made durable before the
    /// answer; state survives a crash), `write` (logged, not `fsync`ed: survives
    /// a process crash, not a power loss) or `none` (a restart starts apps empty).
    #[arg(long, value_enum, default_value_t = ingress_log::Durability::Fsync)]
    pub durability: ingress_log::Durability,
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
    /// The limits the flags set.
    pub fn limits(&self) -> limits::Limits {
        limits::Limits {
            max_apps: self.max_apps,
            max_queries: self.max_queries_per_app,
            max_subscribers: self.max_subscribers,
            query_timeout: std::time::Duration::from_secs(self.query_timeout.max(1)),
        }
    }

    /// The API keys from the flags, the key file and `SLUICE_API_KEYS`.
    pub fn keys(&self) -> Result<auth::Keys, String> {
        let env = std::env::var(auth::KEYS_ENV).ok();
        auth::Keys::gather(&self.api_keys, &self.read_keys, self.api_key_file.as_deref(), env.as_deref())
    }

    /// The cluster secret from the flags or `SLUICE_CLUSTER_SECRET`.
    pub fn secret(&self) -> Result<Option<String>, String> {
        let env = std::env::var(auth::SECRET_ENV).ok();
        auth::cluster_secret(self.cluster_secret.as_deref(), self.cluster_secret_file.as_deref(), env.as_deref())
    }

    /// The cluster this process belongs to, if any.
    pub fn cluster_plan(&self) -> Result<Option<cluster::ClusterPlan>, String> {
        match (&self.cluster.hostfile, self.cluster.process) {
            (Some(file), Some(process)) => cluster::ClusterPlan::new(process, file, &self.peers).map(Some),
            _ => Ok(None),
        }
    }
}

/// The stack of the server's async and blocking threads (the default is 2 MiB).
const THREAD_STACK_BYTES: usize = 16 * 1024 * 1024;

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
    let keys = match args.keys() {
        Ok(k) => Arc::new(k),
        Err(e) => {
            eprintln!("sluice serve: {e}");
            return ExitCode::FAILURE;
        }
    };
    let manager = match manager::AppManager::open(&args) {
        Ok(m) => Arc::new(m),
        Err(e) => {
            eprintln!("sluice serve: {e}");
            return ExitCode::FAILURE;
        }
    };
    healing::watch(manager.clone());
    // Parsing and checking app and query text recurse (bounded by the parsers' depth
    // limits): the threads get room for the deepest text those limits let through.
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_stack_size(THREAD_STACK_BYTES)
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("sluice serve: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let routes = routes::routes(manager.clone(), keys, args.max_body_bytes);
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
