//! What a sink does when its transport cannot publish an event (`on.error`):
//! `LOG` (the default) logs the failure and drops the event; `WAIT` retries with
//! back-off (0.1 s doubling to 5 s) and holds the sink — and so the app's
//! outputs, whose queues are bounded — until the publish succeeds. A stopping
//! app gives up: from then on a failed publish is dropped at once (counted, the
//! count logged when the sink ends), so stopping never waits on an endpoint
//! that is down.

use sluice_frontend::logical::SinkOnError;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// The first wait before a publish is tried again; it doubles up to [`MAX_BACKOFF`].
const FIRST_BACKOFF: Duration = Duration::from_millis(100);

/// The longest wait between two attempts.
const MAX_BACKOFF: Duration = Duration::from_secs(5);

/// How often a waiting sink looks at its stop flag.
const NAP: Duration = Duration::from_millis(20);

/// Set when the app stops: waiting sinks give up (shared by all the sinks of an app).
#[derive(Clone, Debug, Default)]
pub struct GiveUp(Arc<AtomicBool>);

impl GiveUp {
    /// From now on, a failed publish is dropped at once.
    pub fn give_up(&self) {
        self.0.store(true, Ordering::Release);
    }

    /// Whether the app is stopping.
    pub fn given_up(&self) -> bool {
        self.0.load(Ordering::Acquire)
    }

    /// Sleeps up to `d`, waking early when the app stops; false if it did.
    pub fn nap(&self, d: Duration) -> bool {
        let deadline = std::time::Instant::now() + d;
        while !self.given_up() {
            let now = std::time::Instant::now();
            if now >= deadline {
                return true;
            }
            std::thread::sleep(NAP.min(deadline - now));
        }
        false
    }
}

/// A sink's failure policy, with the name its messages start with.
#[derive(Clone, Debug)]
pub struct OnError {
    /// `LOG` or `WAIT`.
    pub policy: SinkOnError,
    /// E.g. `sink on 'S' (http http://…)`.
    pub who: String,
    /// The app's stop flag.
    pub give_up: GiveUp,
    /// Events dropped, once the app was stopping, without a line each.
    pub dropped: Arc<AtomicUsize>,
}

impl OnError {
    /// The policy `policy` for the sink named `who`, stopped by `give_up`.
    pub fn new(policy: SinkOnError, who: String, give_up: GiveUp) -> OnError {
        OnError { policy, who, give_up, dropped: Arc::default() }
    }

    /// Logs how many events were dropped without a line each (the app stopping).
    pub fn report(&self) {
        let n = self.dropped.swap(0, Ordering::AcqRel);
        if n > 0 {
            eprintln!("{}: the app stopped while the sink was failing: {n} events dropped", self.who);
        }
    }

    /// Publishes with `attempt`, applying the policy to its failures; true once
    /// published, false when the event was dropped (and logged).
    pub fn publish(&self, mut attempt: impl FnMut() -> Result<(), String>) -> bool {
        let mut error = match attempt() {
            Ok(()) => return true,
            Err(e) => e,
        };
        if self.policy == SinkOnError::Log {
            eprintln!("{}: event dropped: {error}", self.who);
            return false;
        }
        if self.give_up.given_up() {
            self.dropped.fetch_add(1, Ordering::AcqRel);
            return false;
        }
        let mut backoff = FIRST_BACKOFF;
        let mut tries = 1;
        eprintln!("{}: publish failed: {error}; on.error='WAIT': retrying", self.who);
        loop {
            if !self.give_up.nap(backoff) {
                eprintln!("{}: the app is stopping: event dropped after {tries} attempts: {error}", self.who);
                return false;
            }
            backoff = (backoff * 2).min(MAX_BACKOFF);
            tries += 1;
            match attempt() {
                Ok(()) => {
                    eprintln!("{}: published again after {tries} attempts", self.who);
                    return true;
                }
                Err(e) => error = e,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(policy: SinkOnError) -> OnError {
        OnError::new(policy, "test".into(), GiveUp::default())
    }

    #[test]
    fn log_drops_at_once_and_wait_retries_until_it_works() {
        let mut calls = 0;
        assert!(!policy(SinkOnError::Log).publish(|| {
            calls += 1;
            Err("down".into())
        }));
        assert_eq!(calls, 1);
        let mut calls = 0;
        assert!(policy(SinkOnError::Wait).publish(|| {
            calls += 1;
            if calls < 3 {
                Err("down".into())
            } else {
                Ok(())
            }
        }));
        assert_eq!(calls, 3);
    }

    #[test]
    fn wait_gives_up_when_the_app_stops() {
        let on_error = policy(SinkOnError::Wait);
        let give_up = on_error.give_up.clone();
        let stopper = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(300));
            give_up.give_up();
        });
        let started = std::time::Instant::now();
        assert!(!on_error.publish(|| Err("down".into())));
        assert!(started.elapsed() < Duration::from_secs(3));
        stopper.join().unwrap();
    }
}
