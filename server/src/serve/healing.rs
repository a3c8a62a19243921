//! A cluster heals: the leader watches the other processes and restarts the
//! apps a lost process took down.
//!
//! Each app is one timely computation spanning every process, and timely
//! cannot replace a lost process inside a running computation: when one dies,
//! the others' workers fail ("MergeQueue poisoned"). So the leader polls every
//! other process's shares (`GET /v1/internal/shares`) twice a second:
//!
//! * a process that does not answer degrades every app: its dataflow stops, and
//!   requests to it answer `503 degraded` with the reason, until
//! * every process answers again: then each degraded app starts anew on every
//!   process (the others are told to start a fresh share, the leader replays
//!   the app's ingress log into its own), so its state is what it was when the
//!   process was lost: every event that was acknowledged is in it.
//! * An app whose share another process lacks or runs failed (that process
//!   restarted between two polls, or lost a connection) is restarted the same way.
//! * A share of an app the leader does not run (deleted or deactivated while
//!   that process was away) is deleted there.
//!
//! A restarted leader starts its apps the same way, once every process answers.

use super::cluster;
use super::error::ApiError;
use super::manager::{AppManager, ManagedApp};
use std::collections::BTreeMap;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// How often the leader asks the other processes what they run.
const POLL_EVERY: Duration = Duration::from_millis(500);
/// How long one process may take to answer the poll.
const POLL_TIMEOUT: Duration = Duration::from_secs(2);
/// How soon an app that was restarted may be restarted again (a share that
/// keeps failing does not make the cluster spin).
const RESTART_AT_MOST_EVERY: Duration = Duration::from_secs(2);

/// One share another process runs.
#[derive(serde::Deserialize)]
struct Share {
    name: String,
    slot: usize,
    healthy: bool,
}

#[derive(serde::Deserialize)]
struct Shares {
    shares: Vec<Share>,
}

/// What every other process runs, or why one of them did not say.
type Survey = Result<Vec<Vec<Share>>, String>;

/// Starts the leader's watch over the other processes (nothing outside a
/// cluster or on a follower). It ends when the server shuts down.
pub fn watch(manager: Arc<AppManager>) {
    if !manager.cluster().is_some_and(|c| c.is_leader()) {
        return;
    }
    let spawned = std::thread::Builder::new().name("cluster-watch".into()).spawn(move || {
        let mut restarted: BTreeMap<String, Instant> = BTreeMap::new();
        let mut lost_before = false;
        while !manager.closing.load(Ordering::Acquire) {
            let survey = survey(&manager);
            if let Err(reason) = &survey {
                if !lost_before {
                    eprintln!("sluice serve: {reason}; apps wait for it (503 degraded)");
                }
            } else if lost_before {
                eprintln!("sluice serve: every cluster process answers again; apps restart");
            }
            lost_before = survey.is_err();
            if needs_action(&manager, &survey, &restarted) {
                manager.reconcile(&mut restarted);
            }
            std::thread::sleep(POLL_EVERY);
        }
    });
    if let Err(e) = spawned {
        eprintln!("sluice serve: cannot start the cluster watch: {e}");
    }
}

/// Asks every other process for its shares.
fn survey(manager: &AppManager) -> Survey {
    let Some(c) = manager.cluster() else { return Ok(Vec::new()) };
    c.followers()
        .enumerate()
        .map(|(i, peer)| {
            let lost = |e: String| format!("cluster process {} ({peer}) is lost: {e}", i + 1);
            let body = cluster::tell(peer, "GET", "/v1/internal/shares", "", manager.secret(), POLL_TIMEOUT)
                .map_err(|e| lost(e.to_string()))?;
            serde_json::from_str::<Shares>(&body).map(|s| s.shares).map_err(|e| lost(format!("bad answer: {e}")))
        })
        .collect()
}

/// Whether the survey shows something to do (checked without the lifecycle
/// lock; [`AppManager::reconcile`] looks again under it).
fn needs_action(manager: &AppManager, survey: &Survey, restarted: &BTreeMap<String, Instant>) -> bool {
    let apps = manager.list();
    match survey {
        Err(_) => apps.iter().any(|a| a.running().is_some()),
        Ok(peers) => {
            apps.iter().any(|a| a.degraded().is_some() || wants_restart(a, peers, restarted).is_some())
                || peers.iter().flatten().any(|s| stale(manager, s))
        }
    }
}

/// Why a running app must start anew, if it must: another process lacks its
/// share, or a share failed (its own, when a connection broke).
fn wants_restart(app: &ManagedApp, peers: &[Vec<Share>], restarted: &BTreeMap<String, Instant>) -> Option<String> {
    let running = app.running()?;
    if restarted.get(&app.name).is_some_and(|t| t.elapsed() < RESTART_AT_MOST_EVERY) {
        return None;
    }
    for (i, shares) in peers.iter().enumerate() {
        match shares.iter().find(|s| s.name == app.name && s.slot == app.slot) {
            None => return Some(format!("cluster process {} lost its share of the app (it restarted)", i + 1)),
            Some(s) if !s.healthy => return Some(format!("cluster process {}'s share of the app failed", i + 1)),
            Some(_) => {}
        }
    }
    let failure = running.failure.lock().clone()?;
    // Workers fail with "MergeQueue poisoned" when a connection breaks; a start
    // fails while a stopped computation still holds the app's port.
    ["MergeQueue poisoned", "timely communication", "could not start"]
        .iter()
        .any(|m| failure.contains(m))
        .then(|| format!("its computation across the cluster broke ({failure})"))
}

/// A share another process runs for an app the leader does not run.
fn stale(manager: &AppManager, share: &Share) -> bool {
    match manager.get(&share.name) {
        Ok(app) => app.slot != share.slot || (app.running().is_none() && app.degraded().is_none()),
        Err(_) => true,
    }
}

impl AppManager {
    /// Under the lifecycle lock, surveys the other processes again and acts:
    /// degrades every app when one is lost, heals degraded apps when all answer,
    /// restarts apps whose shares are missing, deletes stale shares.
    fn reconcile(&self, restarted: &mut BTreeMap<String, Instant>) {
        let _lifecycle = self.lifecycle.lock();
        if self.closing.load(Ordering::Acquire) {
            return;
        }
        match survey(self) {
            Err(reason) => {
                for app in self.list() {
                    self.degrade_locked(&app, &reason);
                }
            }
            Ok(peers) => {
                for app in self.list() {
                    if let Some(reason) = wants_restart(&app, &peers, restarted) {
                        eprintln!("sluice serve: app '{}' restarts: {reason}", app.name);
                        self.degrade_locked(&app, &reason);
                    }
                    if app.degraded().is_some() {
                        restarted.insert(app.name.clone(), Instant::now());
                        match self.heal_locked(&app) {
                            Ok(()) => eprintln!("sluice serve: app '{}' runs on every cluster process again", app.name),
                            Err(e) => eprintln!("sluice serve: app '{}' still waits: {}", app.name, e.message),
                        }
                    }
                }
                let peers_urls: Vec<String> =
                    self.cluster().map(|c| c.followers().cloned().collect()).unwrap_or_default();
                for (peer, shares) in peers_urls.iter().zip(&peers) {
                    for share in shares.iter().filter(|s| stale(self, s)) {
                        let path = format!("/v1/internal/apps/{}", share.name);
                        if let Err(e) = cluster::tell(peer, "DELETE", &path, "", self.secret(), POLL_TIMEOUT) {
                            eprintln!("sluice serve: cannot delete a stale share of '{}' on {peer}: {e}", share.name);
                        }
                    }
                }
            }
        }
    }

    /// Stops `app`'s dataflow, which cannot go on without a lost process, and
    /// notes why (requests answer 503 until it heals). The caller holds the
    /// lifecycle lock. An app that is not running (deactivated) stays as it is.
    fn degrade_locked(&self, app: &ManagedApp, reason: &str) {
        let running = app.running.lock().take();
        if let Some(r) = running {
            *app.degraded.lock() = Some(reason.to_string());
            r.stop();
        } else if let Some(d) = app.degraded.lock().as_mut() {
            *d = reason.to_string();
        }
    }

    /// Starts a degraded app anew on every process: the others start a fresh
    /// share, then this one replays the app's ingress log into its own. The
    /// caller holds the lifecycle lock.
    pub(super) fn heal_locked(&self, app: &ManagedApp) -> Result<(), ApiError> {
        if let Err(e) = self.tell_followers("POST", &format!("/v1/internal/apps/{}", app.slot), &app.text) {
            *app.degraded.lock() = Some(e.message.clone());
            return Err(e);
        }
        self.start(app, false);
        *app.degraded.lock() = None;
        Ok(())
    }
}
