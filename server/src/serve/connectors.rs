//! An app's sources in `sluice serve`: their events enter through the app's
//! [`Ingress`], the same door (sequencing, bounded queue) as HTTP ingestion; a
//! full queue makes the source wait (back-pressure) instead of refusing events.

use super::running::{Ingress, NewEvent, Refused};
use parking_lot::Mutex;
use sluice_connectors::hub::Hub;
use sluice_connectors::source::{Door, Sources};
use sluice_dataflow::value::Value;
use sluice_frontend::logical::AppPlan;
use std::sync::Arc;
use std::time::Duration;

/// How long a source waits before offering events to a full queue again.
const BUSY_WAIT: Duration = Duration::from_millis(2);

/// A source's door into a running app.
struct IngressDoor {
    ingress: Arc<Ingress>,
}

impl Door for IngressDoor {
    fn push(&self, stream: &str, rows: Vec<Vec<Value>>) -> bool {
        // A batch larger than the queue goes in pieces of what the queue holds.
        for chunk in rows.chunks(self.ingress.capacity()) {
            loop {
                let batch = chunk.iter().map(|values| NewEvent {
                    stream: stream.to_string(),
                    values: values.clone(),
                    ts: None,
                });
                match self.ingress.push(batch.collect()) {
                    // Logged like any batch; the source does not wait for the
                    // disk (its transports acknowledge on receipt).
                    Ok(_) => break,
                    Err(Refused::Busy) => std::thread::sleep(BUSY_WAIT),
                    Err(Refused::Stopped | Refused::TooLarge { .. } | Refused::Storage(_)) => return false,
                }
            }
        }
        true
    }
}

/// Starts `plan`'s sources on `ingress`; a source that cannot start is the app's
/// failure (shown by `GET /v1/apps/{app}`).
pub fn start_sources(
    plan: &AppPlan,
    hub: &Arc<Hub>,
    ingress: &Arc<Ingress>,
    failure: &Arc<Mutex<Option<String>>>,
) -> Option<Sources> {
    if plan.sources.is_empty() {
        return None;
    }
    match Sources::start(plan, hub, Arc::new(IngressDoor { ingress: ingress.clone() })) {
        Ok(sources) => Some(sources),
        Err(e) => {
            *failure.lock() = Some(e);
            None
        }
    }
}
