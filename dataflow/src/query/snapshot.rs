//! `output snapshot every <time>`: at the end of every period the query outputs
//! the state it holds, not the events that arrived. What that state is depends on
//! the query's shape, as in the reference implementation's snapshot rate limiters
//! (`query/output/ratelimit/snapshot/` in siddhi-core):
//!
//! | query | state output each period |
//! |---|---|
//! | no window, no `group by` | the last current event |
//! | no window, `group by` | the last current event of every group, in order of first arrival |
//! | window, no aggregate | the events in the window (an expired event removes the first equal one) |
//! | window, only aggregates, no `group by` | the last current event, none after an expiry |
//! | window, only aggregates, `group by` | the last event of every group that still has events |
//! | window, some aggregates | the window's events, one per group with `group by`, each with its group's latest aggregate values |
//!
//! A join counts as windowed; a pattern does not. The selector does not reduce batch
//! chunks under a snapshot (every event updates the state). Two departures from
//! the reference, both where it contradicts its own intent: an expired event is
//! matched ignoring *every* aggregate column (the reference's comparator skips the
//! wrong positions once there are two), and the period clock starts at the first
//! time the query sees rather than at the wall clock of app start, as for
//! `output … every <time>`.

use super::selector::Selected;
use crate::runtime::message::Kind;
use crate::value::Value;
use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::Arc;

/// What a snapshot holds, chosen from the query's shape.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SnapshotShape {
    /// No window, no `group by`: the last current event.
    Last,
    /// No window, `group by`: the last current event per group.
    LastPerGroup,
    /// A window and no aggregates: the window's events.
    WindowEvents,
    /// A window, only aggregates, no `group by`: the last current event until an expiry.
    WindowAggregates,
    /// A window, only aggregates, `group by`: the last event of each group with events.
    WindowAggregatesPerGroup,
    /// A window and some aggregates: the window's events with the latest aggregates
    /// (one per group with `group by`).
    WindowEventsWithAggregates {
        /// Whether the query groups.
        grouped: bool,
    },
}

impl SnapshotShape {
    /// The shape of a query: whether it reads a window (or joins), groups, and
    /// how many of its `outputs` are aggregate calls.
    pub fn of(windowed: bool, grouped: bool, aggregate_columns: usize, outputs: usize) -> SnapshotShape {
        match (windowed, grouped) {
            (false, false) => SnapshotShape::Last,
            (false, true) => SnapshotShape::LastPerGroup,
            (true, _) if aggregate_columns == 0 => SnapshotShape::WindowEvents,
            (true, false) if aggregate_columns == outputs => SnapshotShape::WindowAggregates,
            (true, true) if aggregate_columns == outputs => SnapshotShape::WindowAggregatesPerGroup,
            (true, grouped) => SnapshotShape::WindowEventsWithAggregates { grouped },
        }
    }
}

/// The compiled `output snapshot every …` of one query.
#[derive(Clone, Debug)]
pub struct SnapshotSpec {
    /// The period (ms).
    pub period: i64,
    /// What the snapshot holds.
    pub shape: SnapshotShape,
    /// The output columns that are aggregate calls, ascending.
    pub aggregate_columns: Arc<[usize]>,
}

/// The state one query's snapshots are taken from.
pub struct Snapshot {
    spec: Arc<SnapshotSpec>,
    /// The last event (`Last`, `WindowAggregates`).
    last: Option<Selected>,
    /// Per group in order of first arrival: the group's last event and how many of
    /// its events are in the window (`LastPerGroup`, `WindowAggregatesPerGroup`).
    groups: Vec<(Selected, i64)>,
    group_index: HashMap<Vec<Value>, usize>,
    /// The window's events (`WindowEvents`, `WindowEventsWithAggregates`).
    events: VecDeque<Selected>,
    /// The latest aggregate values, per group (`WindowEventsWithAggregates`).
    aggregates: HashMap<Vec<Value>, Vec<Value>>,
}

impl Snapshot {
    /// An empty state.
    pub fn new(spec: Arc<SnapshotSpec>) -> Snapshot {
        Snapshot {
            spec,
            last: None,
            groups: Vec::new(),
            group_index: HashMap::new(),
            events: VecDeque::new(),
            aggregates: HashMap::new(),
        }
    }

    /// The period (ms).
    pub fn period(&self) -> i64 {
        self.spec.period
    }

    /// Takes one selected event into the state.
    pub fn observe(&mut self, s: Selected) {
        match self.spec.shape {
            SnapshotShape::Last => {
                if s.kind == Kind::Current {
                    self.last = Some(s);
                }
            }
            SnapshotShape::WindowAggregates => {
                self.last = (s.kind == Kind::Current).then_some(s);
            }
            SnapshotShape::LastPerGroup => {
                if s.kind == Kind::Current {
                    self.set_group_last(s, 0);
                }
            }
            SnapshotShape::WindowAggregatesPerGroup => {
                let delta = if s.kind == Kind::Current { 1 } else { -1 };
                self.set_group_last(s, delta);
            }
            SnapshotShape::WindowEvents => match s.kind {
                Kind::Current => self.events.push_back(s),
                Kind::Expired => {
                    if let Some(i) = self.events.iter().position(|e| e.row == s.row) {
                        self.events.remove(i);
                    }
                }
            },
            SnapshotShape::WindowEventsWithAggregates { .. } => {
                let latest = self.spec.aggregate_columns.iter().map(|&c| s.row[c].clone()).collect();
                match s.kind {
                    Kind::Current => {
                        self.aggregates.insert(s.group.clone(), latest);
                        self.events.push_back(s);
                    }
                    Kind::Expired => {
                        let columns = &self.spec.aggregate_columns;
                        let same = |e: &Selected| {
                            e.row.len() == s.row.len()
                                && (0..e.row.len()).all(|i| columns.contains(&i) || e.row[i] == s.row[i])
                        };
                        if let Some(i) = self.events.iter().position(same) {
                            self.events.remove(i);
                            self.aggregates.insert(s.group.clone(), latest);
                        }
                    }
                }
            }
        }
    }

    /// Records `s` as its group's last event, adding `delta` to the group's count.
    fn set_group_last(&mut self, s: Selected, delta: i64) {
        match self.group_index.get(&s.group) {
            Some(&i) => {
                let slot = &mut self.groups[i];
                slot.1 += delta;
                slot.0 = s;
            }
            None => {
                self.group_index.insert(s.group.clone(), self.groups.len());
                self.groups.push((s, delta));
            }
        }
    }

    /// Appends the snapshot taken at `now` to `out`.
    pub fn take(&mut self, now: i64, out: &mut Vec<Selected>) {
        let at = |s: &Selected| Selected { ts: now, ..s.clone() };
        match self.spec.shape {
            SnapshotShape::Last | SnapshotShape::WindowAggregates => out.extend(self.last.as_ref().map(at)),
            SnapshotShape::LastPerGroup => out.extend(self.groups.iter().map(|(s, _)| at(s))),
            SnapshotShape::WindowAggregatesPerGroup => {
                // Groups whose events all left the window are forgotten.
                if self.groups.iter().any(|(_, n)| *n <= 0) {
                    self.groups.retain(|(_, n)| *n > 0);
                    self.group_index = self.groups.iter().enumerate().map(|(i, (s, _))| (s.group.clone(), i)).collect();
                }
                out.extend(self.groups.iter().map(|(s, _)| at(s)));
            }
            SnapshotShape::WindowEvents => out.extend(self.events.iter().map(at)),
            SnapshotShape::WindowEventsWithAggregates { grouped } => {
                let columns = &self.spec.aggregate_columns;
                let mut seen: HashSet<&Vec<Value>> = HashSet::new();
                for e in &self.events {
                    if grouped && !seen.insert(&e.group) {
                        continue;
                    }
                    let mut row: Vec<Value> = e.row.to_vec();
                    if let Some(latest) = self.aggregates.get(&e.group) {
                        for (&c, v) in columns.iter().zip(latest) {
                            row[c] = v.clone();
                        }
                    }
                    out.push(Selected { kind: e.kind, row: Arc::from(row), ts: now, group: e.group.clone() });
                }
            }
        }
    }
}
