//! Builds the timely operators of a [`Graph`] inside one worker.
//!
//! Every node becomes one operator that buffers its input until the frontier has
//! passed a logical time, then hands that time's messages to its processor sorted
//! by `(time, order)`: the processor sees events exactly in sequencer order, whatever
//! the number of workers. Stateless nodes run where their data is; stateful ones on
//! one worker (by node index) or, when keyed, one processor per key spread by the
//! key's hash, with clock ticks broadcast to every worker.

use super::graph::{Graph, Placement};
use super::instances::{hash_of, with_rank, Instances};
use super::message::{read_clock_row, Kind, Msg, StreamId, CLOCK};
use super::time::{Epoch, Time};
use crate::value::Value;
use std::collections::{BTreeMap, HashMap};
use std::sync::mpsc::SyncSender;
use timely::dataflow::channels::pact::{Exchange, Pipeline};
use timely::dataflow::operators::generic::operator::Operator;
use timely::dataflow::operators::vec::{Broadcast, Filter, Map, Partition};
use timely::dataflow::operators::{Concatenate, Probe};
use timely::dataflow::{InputHandleVec, ProbeHandle, Scope, StreamVec};

/// Where a collected output came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
pub enum Dest {
    /// Events inserted into a stream.
    Stream(StreamId),
    /// A query's own output (its callback), by query number.
    Query(usize),
    /// Answers to on-demand queries: rows `[id, values…]`, then an expired
    /// `[id]` (or `[id, error]`) that ends the answer.
    Answer,
}

/// One collected output event, in logical-time order.
#[derive(Clone, Debug)]
pub struct Output {
    /// Where it came from.
    pub dest: Dest,
    /// The logical time of the input that caused it.
    pub time: Time,
    /// The event.
    pub msg: Msg,
}

/// Messages of one logical time waiting for the frontier, with their capability and
/// input numbers.
type Pending = (timely::dataflow::operators::Capability<Epoch>, Vec<(u32, Value, Msg)>);

/// Builds `graph` in `scope` reading `input`; observed outputs go to `sink` (on
/// worker 0 only, in logical-time order). Returns the probe that tells when all
/// outputs up to a time have been produced.
pub fn build_graph<'s>(
    scope: &Scope<'s, Epoch>,
    input: &mut InputHandleVec<Epoch, Msg>,
    graph: &Graph,
    sink: Option<SyncSender<Output>>,
) -> Result<ProbeHandle<Epoch>, String> {
    let ingress: StreamVec<'s, Epoch, Msg> = input.to_stream(*scope);
    let order = graph.topological_order().map_err(|n| format!("query '{n}' is part of a cycle of streams"))?;
    // The producers of every stream: the ingress, then node outputs.
    let mut producers: HashMap<StreamId, Vec<StreamVec<'s, Epoch, Msg>>> = HashMap::new();
    let mut observed: Vec<StreamVec<'s, Epoch, (Dest, Msg)>> = Vec::new();
    // Clock ticks and advances reach every stateful node.
    let ticks = ingress.clone().filter(|m| m.is_tick() || m.stream == CLOCK);
    for &index in &order {
        let node = &graph.nodes[index];
        let mut sources = Vec::new();
        for (i, s) in node.inputs.iter().enumerate() {
            let wanted = *s;
            let slot = i as u32;
            // Each message travels with its input number (and a partition key).
            let from_ingress = ingress.clone().filter(move |m| m.stream == wanted).map(move |m| (slot, Value::Null, m));
            sources.push(from_ingress);
            for p in producers.get(s).into_iter().flatten() {
                sources.push(p.clone().map(move |m| (slot, Value::Null, m)));
            }
        }
        let data = scope.concatenate(sources);
        let node_index = index as u32;
        let placement = node.placement.clone();
        let factory = node.factory.clone();
        let keyed = matches!(placement, Placement::Keyed(..));
        let purge = match &placement {
            Placement::Keyed(_, purge) => *purge,
            _ => None,
        };
        // Every message travels with its input number and partition key (null
        // outside keyed nodes).
        let routed: StreamVec<'s, Epoch, (u32, Value, Msg)> = match &placement {
            // Stateless work spreads over workers by logical time.
            Placement::Anywhere if scope.peers() > 1 => data.exchange_by(|(_, _, m): &(u32, Value, Msg)| m.time as u64),
            Placement::Anywhere => data,
            Placement::Single => {
                let ticks = ticks.clone().map(|m| (u32::MAX, Value::Null, m));
                scope.concatenate([data, ticks]).exchange_by(move |_| index as u64)
            }
            Placement::Keyed(key_of, _) => {
                let key_of = key_of.clone();
                let broadcast: Vec<u32> = node.broadcast.iter().map(|i| *i as u32).collect();
                let to_all = broadcast.clone();
                let everywhere =
                    data.clone().filter(move |(slot, _, _): &(u32, Value, Msg)| to_all.contains(slot)).broadcast();
                let data = data
                    .filter(move |(slot, _, _): &(u32, Value, Msg)| !broadcast.contains(slot))
                    .flat_map(move |(slot, _, m): (u32, Value, Msg)| {
                        let mut keys = Vec::new();
                        key_of(slot as usize, &m, &mut keys);
                        keys.into_iter().enumerate().map(move |(rank, k)| (with_rank(slot, rank), k, m.clone()))
                    })
                    .exchange_by(|(_, k, _): &(u32, Value, Msg)| hash_of(k));
                let ticks = ticks.clone().broadcast().map(|m| (u32::MAX, Value::Null, m));
                scope.concatenate([data, everywhere, ticks])
            }
        };
        let broadcast_slots: Vec<u32> = node.broadcast.iter().map(|i| *i as u32).collect();
        let slot = graph.deadlines.slot();
        let out = routed.unary_frontier(Pipeline, &node.name, move |_cap, _info| {
            let mut pending: BTreeMap<Epoch, Pending> = BTreeMap::new();
            let mut instances = Instances::new(factory, node_index, keyed, broadcast_slots, slot, purge);
            let mut advances = Vec::new();
            move |(input, frontier), output| {
                input.for_each_stamp(|cap, data| {
                    if let Some(cap) = cap.retain_least(output.output_index()) {
                        let time = *cap.time();
                        let entry = pending.entry(time).or_insert_with(|| (cap, Vec::new()));
                        for batch in data {
                            entry.1.append(batch);
                        }
                    }
                });
                while let Some((&time, _)) = pending.iter().next() {
                    if frontier.less_equal(&time) {
                        break;
                    }
                    let (cap, mut msgs) = pending.remove(&time).expect("present");
                    // The epoch's clock advances are not messages for the processor:
                    // they interleave with the others by logical time.
                    advances.clear();
                    msgs.retain(|(_, _, m): &(u32, Value, Msg)| match m.stream == CLOCK {
                        true => {
                            read_clock_row(&m.row, &mut advances);
                            false
                        }
                        false => true,
                    });
                    advances.sort_unstable();
                    msgs.sort_by(|a, b| {
                        a.2.time
                            .cmp(&b.2.time)
                            .then_with(|| a.2.order.cmp(&b.2.order))
                            .then(a.0.cmp(&b.0))
                            .then_with(|| a.1.cmp(&b.1))
                    });
                    let mut session = output.session(&cap);
                    let mut give = |m: Msg| session.give(m);
                    instances.start_epoch();
                    let mut next = advances.iter().peekable();
                    for (slot, key, msg) in msgs {
                        while let Some(&&(at, ts)) = next.peek() {
                            if at > msg.time {
                                break;
                            }
                            instances.advance(at, ts, &mut give);
                            next.next();
                        }
                        instances.feed(slot, key, &msg, &mut give);
                    }
                    for &(at, ts) in next {
                        instances.advance(at, ts, &mut give);
                    }
                }
            }
        });
        // One stream per port: a node with several outputs splits its output once.
        let ports = match node.outputs.len() {
            1 => vec![out],
            n => out.partition(n as u64, |m| (m.stream as u64, m)),
        };
        for (p, port) in node.outputs.iter().zip(ports) {
            if p.answers {
                observed.push(port.clone().map(|m| (Dest::Answer, m)));
            }
            if let Some(q) = p.query.filter(|q| graph.observed_queries.contains(q)) {
                observed.push(port.clone().map(move |m| (Dest::Query(q), m)));
            }
            let Some((target, forward)) = p.target else { continue };
            let forwarded = port.filter(move |m| forward.accepts(m.kind)).map(move |mut m| {
                // As in the reference, an event inserted into a stream arrives
                // there as a current event, whatever it was in the query.
                m.stream = target;
                m.kind = Kind::Current;
                m
            });
            producers.entry(target).or_default().push(forwarded);
        }
    }
    for s in &graph.observed_streams {
        let s = *s;
        observed.push(ingress.clone().filter(move |m| m.stream == s).map(move |m| (Dest::Stream(s), m)));
        for p in producers.get(&s).into_iter().flatten() {
            observed.push(p.clone().map(move |m| (Dest::Stream(s), m)));
        }
    }
    let all = scope.concatenate(observed);
    let collected = all.unary_frontier::<timely::container::CapacityContainerBuilder<Vec<()>>, _, _, _>(
        Exchange::new(|_: &(Dest, Msg)| 0u64),
        "Collect",
        move |_cap, _info| {
            let mut pending: BTreeMap<Epoch, Vec<(Dest, Msg)>> = BTreeMap::new();
            move |(input, frontier), _output| {
                input.for_each_stamp(|cap, data| {
                    let Some(&time) = cap.least() else { return };
                    let entry = pending.entry(time).or_default();
                    for batch in data {
                        entry.append(batch);
                    }
                });
                while let Some((&time, _)) = pending.iter().next() {
                    if frontier.less_equal(&time) {
                        break;
                    }
                    let mut msgs = pending.remove(&time).expect("present");
                    msgs.sort_by(|a, b| {
                        a.1.time.cmp(&b.1.time).then_with(|| a.1.order.cmp(&b.1.order)).then(a.0.cmp(&b.0))
                    });
                    if let Some(sink) = &sink {
                        for (dest, msg) in msgs {
                            let _ = sink.send(Output { dest, time: msg.time, msg });
                        }
                    }
                }
            }
        },
    );
    let (probe, _) = collected.probe();
    Ok(probe)
}

/// Exchanges a stream by a routing function.
trait ExchangeBy<D> {
    fn exchange_by(self, route: impl Fn(&D) -> u64 + 'static) -> Self;
}

impl<D: timely::ExchangeData> ExchangeBy<D> for StreamVec<'_, Epoch, D> {
    fn exchange_by(self, route: impl Fn(&D) -> u64 + 'static) -> Self {
        use timely::dataflow::operators::Exchange as _;
        self.exchange(move |d: &D| route(d))
    }
}
