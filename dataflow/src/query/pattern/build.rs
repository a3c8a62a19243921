//! From a planned state tree to the nodes of the state machine, wired as the
//! reference's `StateInputStreamParser` wires its processors.

use super::{NodeKind, NodeSpec, Runtime};
use sluice_frontend::ast::LogicalOp;
use sluice_frontend::logical::StatePlan;

/// What a parsed part of the tree offers its parent.
struct Part {
    first: usize,
    last: usize,
    rt: Runtime,
}

/// The nodes built so far.
struct Builder {
    nodes: Vec<NodeSpec>,
    sequence: bool,
    within: Option<i64>,
}

/// The nodes, runtime tree and `within` (ms) of a state tree, or why it is not
/// built yet.
pub fn build(state: &StatePlan, sequence: bool) -> Result<(Vec<NodeSpec>, Runtime, Option<i64>), String> {
    let mut b = Builder { nodes: Vec::new(), sequence, within: None };
    let mut all = Vec::new();
    let part = b.parse(state, true, &mut all)?;
    b.nodes[part.first].this_last = part.last;
    b.set_last(part.last);
    for n in &b.nodes {
        let starts_absent = matches!(n.kind, NodeKind::Absent { .. } | NodeKind::AbsentLogical { wait: Some(_), .. });
        if n.start && starts_absent {
            return Err("a pattern that starts with `not … for` is not built yet".into());
        }
    }
    Ok((b.nodes, part.rt, b.within))
}

impl Builder {
    fn node(&mut self, event: usize, kind: NodeKind, start: bool, list: &mut Vec<usize>) -> usize {
        let n = self.nodes.len();
        self.nodes.push(NodeSpec {
            event,
            kind,
            start,
            next: None,
            next_every: None,
            callback: None,
            within_every: None,
            last: false,
            this_last: n,
        });
        list.push(n);
        n
    }

    /// The partner of a logical node.
    fn partner(&self, n: usize) -> Option<usize> {
        match self.nodes[n].kind {
            NodeKind::Logical { partner, .. } | NodeKind::AbsentLogical { partner, .. } => Some(partner),
            _ => None,
        }
    }

    /// Marks `n` (and its partner) as feeding the selector.
    fn set_last(&mut self, n: usize) {
        self.nodes[n].last = true;
        if let Some(p) = self.partner(n) {
            self.nodes[p].last = true;
        }
    }

    fn parse(&mut self, state: &StatePlan, start: bool, list: &mut Vec<usize>) -> Result<Part, String> {
        let single = |n: usize| Part { first: n, last: n, rt: Runtime::Node(n) };
        match state {
            StatePlan::Stream(e) => Ok(single(self.node(*e, NodeKind::Stream, start, list))),
            StatePlan::Count(e, min, max) => {
                let kind = NodeKind::Count { min: *min, max: max.unwrap_or(u32::MAX) };
                Ok(single(self.node(*e, kind, start, list)))
            }
            StatePlan::Absent(e, Some(wait)) => {
                Ok(single(self.node(*e, NodeKind::Absent { wait: *wait }, start, list)))
            }
            StatePlan::Absent(_, None) => Err("`not` without `for` outside `and` is not built yet".into()),
            StatePlan::Within(x, ms) => {
                let part = self.parse(x, start, list)?;
                self.within = Some(self.within.map_or(*ms, |w| w.min(*ms)));
                Ok(part)
            }
            StatePlan::Next(a, b) => {
                let pa = self.parse(a, start, list)?;
                let pb = self.parse(b, false, list)?;
                self.nodes[pa.last].next = Some(pb.first);
                if let Some(p) = self.partner(pa.last) {
                    self.nodes[p].next = Some(pb.first);
                }
                if let NodeKind::Count { min: 0, .. } = self.nodes[pa.last].kind {
                    if self.nodes[pa.last].start && self.sequence {
                        self.nodes[pb.first].callback = Some(pa.last);
                    }
                }
                Ok(Part { first: pa.first, last: pb.last, rt: Runtime::Next(Box::new(pa.rt), Box::new(pb.rt)) })
            }
            StatePlan::Every(x) => {
                let mut inner = Vec::new();
                let part = self.parse(x, start, &mut inner)?;
                self.nodes[part.last].next_every = Some(part.first);
                if let Some(p) = self.partner(part.last) {
                    self.nodes[p].next_every = Some(part.first);
                }
                for &n in &inner {
                    self.nodes[n].within_every = Some(part.first);
                }
                list.extend(inner);
                Ok(Part { first: part.first, last: part.last, rt: Runtime::Every(Box::new(part.rt), part.first) })
            }
            StatePlan::Logical(op, a, b) => {
                let and = *op == LogicalOp::And;
                // The reference numbers the second side first.
                let (n2, n1) = (self.nodes.len(), self.nodes.len() + 1);
                let side = |s: &StatePlan, partner: usize| match s {
                    StatePlan::Stream(e) => Ok((*e, NodeKind::Logical { and, partner })),
                    StatePlan::Absent(e, wait) => Ok((*e, NodeKind::AbsentLogical { and, partner, wait: *wait })),
                    _ => Err("`and`/`or` of nested parts is not built yet".to_string()),
                };
                let (e2, k2) = side(b, n1)?;
                let (e1, k1) = side(a, n2)?;
                let both_absent =
                    matches!(k1, NodeKind::AbsentLogical { .. }) && matches!(k2, NodeKind::AbsentLogical { .. });
                if both_absent {
                    return Err("`and`/`or` of two `not` is not built yet".into());
                }
                self.node(e2, k2, start, list);
                self.node(e1, k1, start, list);
                Ok(Part { first: n1, last: n2, rt: Runtime::Logical(n1, n2) })
            }
        }
    }
}
