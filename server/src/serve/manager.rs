//! The app manager: creates apps from their text (checked first, errors with
//! line:column), keeps their definitions and active flag on disk so that they
//! survive a restart, and starts and stops their dataflows.

use super::cluster::{self, ClusterPlan};
use super::error::ApiError;
use super::ingress_log::Durability;
use super::limits::{self, Limits};
use super::metrics::AppCounters;
use super::running::{LogPlan, RunningApp};
use super::ServeArgs;
use parking_lot::{Mutex, RwLock};
use sluice_dataflow::app::CompiledApp;
use sluice_dataflow::runtime::execute::{Cluster, Workers};
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;
use warp::http::StatusCode;

/// One app the server knows, running or not.
pub struct ManagedApp {
    /// Its name (`@app:name`).
    pub name: String,
    /// Its text as created.
    pub text: String,
    /// The compiled dataflow and schemas.
    pub compiled: Arc<CompiledApp>,
    /// Warnings the checker gave.
    pub warnings: Vec<serde_json::Value>,
    /// Counters, kept across deactivation.
    pub counters: Arc<AppCounters>,
    /// Its number among the apps: in a cluster, where its timely ports are.
    pub slot: usize,
    /// The dataflow, while active.
    pub(super) running: Mutex<Option<Arc<RunningApp>>>,
    /// Whether its dataflow is starting and replaying its ingress log.
    recovering: std::sync::atomic::AtomicBool,
    /// In a cluster: the app should run, but a process of the cluster is lost
    /// (or not yet back); why. Its dataflow is stopped until the leader heals it.
    pub(super) degraded: Mutex<Option<String>>,
}

impl ManagedApp {
    /// The running dataflow, if the app is active.
    pub fn running(&self) -> Option<Arc<RunningApp>> {
        self.running.lock().clone()
    }

    /// Whether the app is starting and replaying its ingress log (it takes no
    /// input meanwhile).
    pub fn is_recovering(&self) -> bool {
        self.recovering.load(std::sync::atomic::Ordering::Acquire)
    }

    /// Why the app waits for a lost cluster process, if it does.
    pub fn degraded(&self) -> Option<String> {
        self.degraded.lock().clone()
    }
}

/// A located problem in app text.
fn located(d: &sluice_frontend::Diagnostic, text: &str) -> serde_json::Value {
    let (line, column) = d.line_col(text);
    serde_json::json!({
        "line": line,
        "column": column,
        "message": d.message,
        "rendered": d.render("app", text),
    })
}

/// Checks app text and compiles it; the error lists every problem with its place.
pub fn validate(text: &str, max_queries: usize) -> Result<(CompiledApp, Vec<serde_json::Value>), ApiError> {
    let invalid = |errors: Vec<serde_json::Value>| {
        let first = errors.first().and_then(|e| e["rendered"].as_str()).unwrap_or("invalid app").trim_end().to_string();
        ApiError::new(StatusCode::BAD_REQUEST, "invalid_app", first).with("errors", serde_json::Value::Array(errors))
    };
    if text.trim().is_empty() {
        return Err(ApiError::new(StatusCode::BAD_REQUEST, "invalid_app", "the body is empty: send the app's text"));
    }
    let ast = sluice_frontend::parse(text).map_err(|es| invalid(es.iter().map(|e| located(e, text)).collect()))?;
    limits::check_query_count(&ast, max_queries)?;
    let plan = crate::cli::analyze(&ast).map_err(|es| invalid(es.iter().map(|e| located(e, text)).collect()))?;
    let warnings = plan.warnings.iter().map(|w| located(w, text)).collect();
    let compiled = sluice_dataflow::app::compile(&plan)
        .map_err(|e| invalid(vec![serde_json::json!({"message": e, "rendered": format!("app: error: {e}")})]))?;
    let name = &compiled.plan.name;
    if !valid_name(name) {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "invalid_app",
            format!("app name '{name}' must be letters, digits, '_', '-' or '.'; set it with @app:name('…')"),
        ));
    }
    Ok((compiled, warnings))
}

/// Whether a name can be a path segment and a file name.
fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 128
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-' || c == '.')
        && !name.starts_with('.')
}

/// Every app the server knows.
pub struct AppManager {
    apps: RwLock<BTreeMap<String, Arc<ManagedApp>>>,
    dir: PathBuf,
    workers: usize,
    queue_events: usize,
    /// How accepted input is logged (`--durability`).
    durability: Durability,
    cluster: Option<ClusterPlan>,
    /// The secret the processes of a cluster present to each other.
    secret: Option<String>,
    /// How many apps, queries, subscribers; how long a query.
    limits: Limits,
    /// Held through each lifecycle operation (create, delete, activate,
    /// deactivate, follow), files included, so that operations racing on one app
    /// leave exactly one outcome on disk and in memory, and no orphan dataflow.
    pub(super) lifecycle: Mutex<()>,
    /// The server's `inMemory` topics and Macrometa-style named streams, shared by
    /// every app's sources and sinks (apps chain through them).
    hub: Arc<sluice_connectors::hub::Hub>,
    /// Set once the server shuts down: nothing starts again.
    pub(super) closing: std::sync::atomic::AtomicBool,
}

impl AppManager {
    /// Opens the data directory and brings back the apps kept there (active ones
    /// start again).
    pub fn open(args: &ServeArgs) -> Result<AppManager, String> {
        let dir = args.data_dir.join("apps");
        std::fs::create_dir_all(&dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
        let manager = AppManager {
            apps: RwLock::new(BTreeMap::new()),
            dir,
            workers: args.workers.max(1),
            queue_events: args.queue_events,
            durability: args.durability,
            cluster: args.cluster_plan()?,
            secret: args.secret()?,
            limits: args.limits(),
            lifecycle: Mutex::new(()),
            hub: Arc::default(),
            closing: Default::default(),
        };
        if manager.cluster.is_some() && manager.secret.is_none() {
            return Err("a cluster needs a secret its processes share: --cluster-secret-file FILE, \
                        SLUICE_CLUSTER_SECRET or --cluster-secret"
                .into());
        }
        if manager.cluster.as_ref().is_some_and(|c| !c.is_leader()) {
            // Followers keep nothing: the leader tells them what to run.
            return Ok(manager);
        }
        let mut entries: Vec<PathBuf> = std::fs::read_dir(&manager.dir)
            .map_err(|e| format!("cannot read {}: {e}", manager.dir.display()))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "app"))
            .collect();
        entries.sort();
        // A cluster's apps start once every process answers (`healing.rs`).
        let clustered = manager.cluster.is_some();
        for path in entries {
            let restored = std::fs::read_to_string(&path).map_err(|e| e.to_string()).and_then(|text| {
                let active =
                    std::fs::read_to_string(path.with_extension("state")).map_or(true, |s| s.trim() != "inactive");
                let app = manager.install(text, active && !clustered, false, None).map_err(|e| e.message)?;
                if active && clustered {
                    *app.degraded.lock() = Some("waiting for every process of the cluster to answer".into());
                }
                Ok(app)
            });
            match restored {
                Ok(app) => eprintln!("sluice serve: restored app '{}'", app.name),
                Err(e) => eprintln!("sluice serve: cannot restore {}: {e}", path.display()),
            }
        }
        Ok(manager)
    }

    /// The cluster this process belongs to.
    pub fn cluster(&self) -> Option<&ClusterPlan> {
        self.cluster.as_ref()
    }

    /// The limits this server applies.
    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    /// The cluster secret, in a cluster.
    pub fn secret(&self) -> Option<&str> {
        self.secret.as_deref()
    }

    /// Whether this process passes app requests to a leader.
    pub fn is_follower(&self) -> bool {
        self.cluster.as_ref().is_some_and(|c| !c.is_leader())
    }

    /// A leader tells every other process to do the same (start an app's share,
    /// stop it, forget it); the first failure is the answer.
    /// A process that cannot be reached answers 503 (the cluster is degraded),
    /// one that refuses 502.
    pub(super) fn tell_followers(&self, method: &str, path: &str, body: &str) -> Result<(), ApiError> {
        let Some(c) = self.cluster.as_ref().filter(|c| c.is_leader()) else { return Ok(()) };
        for peer in c.followers() {
            cluster::tell(peer, method, path, body, self.secret.as_deref(), cluster::TELL_TIMEOUT).map_err(|e| {
                let status = match e {
                    cluster::TellError::Unreachable(_) => StatusCode::SERVICE_UNAVAILABLE,
                    cluster::TellError::Refused(_) => StatusCode::BAD_GATEWAY,
                };
                ApiError::new(status, "cluster", format!("a cluster process did not follow: {e}"))
            })?;
        }
        Ok(())
    }

    /// A follower starts its share of an app the leader created in `slot`. A
    /// share it already runs under that name is replaced: the leader starts the
    /// app's computation anew (it was created, or it is healing after a process
    /// was lost), and the old share belongs to a computation that is gone.
    pub fn follow(&self, text: String, slot: usize) -> Result<Arc<ManagedApp>, ApiError> {
        let _lifecycle = self.lifecycle.lock();
        let (compiled, warnings) = validate(&text, self.limits.max_queries)?;
        let old = self.apps.write().remove(&compiled.plan.name);
        if let Some(r) = old.and_then(|o| o.running.lock().take()) {
            r.stop();
        }
        self.install_checked(text, compiled, warnings, true, false, Some(slot))
    }

    /// What a follower runs, for its leader: each app's name, slot and whether
    /// its share is running without failure.
    pub fn shares(&self) -> Vec<(String, usize, bool)> {
        self.list()
            .iter()
            .map(|a| (a.name.clone(), a.slot, a.running().is_some_and(|r| r.failure.lock().is_none())))
            .collect()
    }

    /// Creates an app from its text and starts it.
    pub fn create(&self, text: String) -> Result<Arc<ManagedApp>, ApiError> {
        let _lifecycle = self.lifecycle.lock();
        let app = self.install(text, true, true, None)?;
        if let Err(e) = self.tell_followers("POST", &format!("/v1/internal/apps/{}", app.slot), &app.text) {
            let _ = self.remove(&app.name);
            return Err(e);
        }
        Ok(app)
    }

    fn install(
        &self,
        text: String,
        active: bool,
        persist: bool,
        slot: Option<usize>,
    ) -> Result<Arc<ManagedApp>, ApiError> {
        let (compiled, warnings) = validate(&text, self.limits.max_queries)?;
        self.install_checked(text, compiled, warnings, active, persist, slot)
    }

    /// [`AppManager::install`] of text already checked and compiled.
    fn install_checked(
        &self,
        text: String,
        compiled: CompiledApp,
        warnings: Vec<serde_json::Value>,
        active: bool,
        persist: bool,
        slot: Option<usize>,
    ) -> Result<Arc<ManagedApp>, ApiError> {
        let name = compiled.plan.name.clone();
        let mut apps = self.apps.write();
        // Apps restored at start-up are all kept, whatever the limit.
        if persist && apps.len() >= self.limits.max_apps {
            return Err(limits::exceeded(format!(
                "this server keeps at most {} apps (--max-apps); delete one first",
                self.limits.max_apps
            )));
        }
        if apps.contains_key(&name) {
            return Err(ApiError::new(
                StatusCode::CONFLICT,
                "app_exists",
                format!("an app named '{name}' exists; delete it first or choose another @app:name"),
            ));
        }
        if persist && !self.is_follower() {
            self.write_file(&name, "app", &text)?;
            self.write_file(&name, "state", "active")?;
        }
        let compiled = Arc::new(compiled);
        let counters = Arc::new(AppCounters::new(compiled.stream_ids.keys()));
        let slot = slot.unwrap_or_else(|| (0..).find(|s| !apps.values().any(|a| a.slot == *s)).unwrap_or(0));
        let app = Arc::new(ManagedApp {
            name: name.clone(),
            text,
            compiled,
            warnings,
            counters,
            slot,
            running: Mutex::new(None),
            recovering: Default::default(),
            degraded: Mutex::new(None),
        });
        if active {
            self.start(&app, persist);
        }
        apps.insert(name, app.clone());
        Ok(app)
    }

    /// Starts `app`'s dataflow, replaying its ingress log (a `fresh` app starts
    /// a new log).
    pub(super) fn start(&self, app: &ManagedApp, fresh: bool) {
        let mut running = app.running.lock();
        // A failed dataflow is replaced by a fresh one.
        if let Some(failed) = running.take_if(|r| r.failure.lock().is_some()) {
            failed.stop();
        }
        if running.is_none() {
            // The replay may take a while: requests meanwhile hear "recovering"
            // instead of waiting on this lock (lifecycle calls wait on theirs).
            drop(running);
            app.recovering.store(true, std::sync::atomic::Ordering::Release);
            let workers = Workers {
                threads: self.workers,
                cluster: self
                    .cluster
                    .as_ref()
                    .map(|c| Cluster { process: c.process, addresses: c.app_addresses(app.slot) }),
            };
            let path = self.dir.join(format!("{}.log", app.name));
            let log = match self.durability {
                _ if self.is_follower() => None,
                Durability::None => {
                    // Input now is not logged: an older log no longer matches the state.
                    let _ = std::fs::remove_file(&path);
                    None
                }
                durability => Some(LogPlan { path, durability, fresh }),
            };
            let started = Arc::new(RunningApp::start(
                app.compiled.clone(),
                workers,
                self.queue_events,
                app.counters.clone(),
                &self.hub,
                log,
            ));
            *app.running.lock() = Some(started);
            app.recovering.store(false, std::sync::atomic::Ordering::Release);
        }
    }

    fn write_file(&self, name: &str, ext: &str, contents: &str) -> Result<(), ApiError> {
        let path = self.dir.join(format!("{name}.{ext}"));
        let tmp = self.dir.join(format!(".{name}.{ext}.tmp"));
        std::fs::write(&tmp, contents).and_then(|()| std::fs::rename(&tmp, &path)).map_err(|e| {
            ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "storage", format!("cannot write {}: {e}", path.display()))
        })
    }

    /// The app named `name`.
    pub fn get(&self, name: &str) -> Result<Arc<ManagedApp>, ApiError> {
        self.apps.read().get(name).cloned().ok_or_else(|| ApiError::no_app(name))
    }

    /// Every app, by name.
    pub fn list(&self) -> Vec<Arc<ManagedApp>> {
        self.apps.read().values().cloned().collect()
    }

    /// Starts a deactivated app; its state comes back from its ingress log.
    pub fn activate(&self, name: &str) -> Result<Arc<ManagedApp>, ApiError> {
        let _lifecycle = self.lifecycle.lock();
        let app = self.get(name)?;
        if !self.is_follower() {
            self.write_file(name, "state", "active")?;
        }
        if app.degraded().is_some() {
            // Waiting for the cluster: activating tries to heal it now.
            self.heal_locked(&app)?;
            return Ok(app);
        }
        self.tell_followers("POST", &format!("/v1/internal/apps/{name}/activate"), "")?;
        self.start(&app, false);
        Ok(app)
    }

    /// Stops an app; what was queued is processed first. Its definition stays.
    pub fn deactivate(&self, name: &str) -> Result<Arc<ManagedApp>, ApiError> {
        let _lifecycle = self.lifecycle.lock();
        let app = self.get(name)?;
        if !self.is_follower() {
            self.write_file(name, "state", "inactive")?;
        }
        // An app waiting for a lost process has no share running there.
        if app.degraded.lock().take().is_none() {
            self.tell_followers("POST", &format!("/v1/internal/apps/{name}/deactivate"), "")?;
        }
        let running = app.running.lock().take();
        if let Some(r) = running {
            r.stop();
        }
        Ok(app)
    }

    /// Stops and forgets an app.
    pub fn delete(&self, name: &str) -> Result<(), ApiError> {
        let _lifecycle = self.lifecycle.lock();
        self.remove(name)
    }

    /// [`AppManager::delete`], with the lifecycle lock held by the caller: the app
    /// leaves the map, stops, and its files go, before another operation starts.
    fn remove(&self, name: &str) -> Result<(), ApiError> {
        let app = self.apps.write().remove(name).ok_or_else(|| ApiError::no_app(name))?;
        // A process that cannot be reached forgets the app when it is back: the
        // leader's watch deletes shares of apps it does not run.
        let told = self.tell_followers("DELETE", &format!("/v1/internal/apps/{name}"), "").or_else(|e| {
            if e.status == StatusCode::SERVICE_UNAVAILABLE {
                Ok(())
            } else {
                Err(e)
            }
        });
        let running = app.running.lock().take();
        if let Some(r) = running {
            r.stop();
        }
        if !self.is_follower() {
            for ext in ["app", "state", "log"] {
                let _ = std::fs::remove_file(self.dir.join(format!("{name}.{ext}")));
            }
        }
        told
    }

    /// Stops every app (the server is going down; definitions stay on disk).
    pub fn shutdown(&self) {
        self.closing.store(true, std::sync::atomic::Ordering::Release);
        let _lifecycle = self.lifecycle.lock();
        for app in self.list() {
            let running = app.running.lock().take();
            if let Some(r) = running {
                r.stop();
            }
        }
    }
}
