//! `sort(n, attr ['asc'|'desc'], …)`: keeps the n first events in the given order;
//! when an arrival makes it n + 1, the last in order expires after the arrival
//! is released.

use super::{Emitted, Extractor, StreamEvent, Window};
use crate::value::Row;

/// `sort(n, attr ['asc'|'desc'], …)`: keeps the n smallest events by the keys;
/// the event that falls out expires after the arriving one.
pub(super) struct Sort {
    pub(super) n: usize,
    pub(super) keys: Vec<(Extractor, bool)>,
    pub(super) held: Vec<StreamEvent>,
}

impl Window for Sort {
    fn contents(&self) -> Vec<Row> {
        super::rows(&self.held)
    }
    fn on_event(&mut self, ev: StreamEvent, out: &mut Vec<Emitted>) {
        self.held.push(ev.clone());
        out.push(Emitted::Current(ev.clone()));
        if self.held.len() > self.n {
            let keys = &self.keys;
            self.held.sort_by(|a, b| {
                for (f, desc) in keys {
                    let o = f(&a.row).cmp(&f(&b.row));
                    let o = if *desc { o.reverse() } else { o };
                    if o != std::cmp::Ordering::Equal {
                        return o;
                    }
                }
                std::cmp::Ordering::Equal
            });
            if let Some(mut last) = self.held.pop() {
                last.ts = ev.ts;
                out.push(Emitted::Expired(last));
            }
        }
    }
    fn on_time(&mut self, _now: i64, _out: &mut Vec<Emitted>) {}
}
