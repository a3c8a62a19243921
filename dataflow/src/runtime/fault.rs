//! What happens to an event whose processing fails, as the reference's stream
//! junctions decide it (`@OnError` on the stream the event came from).
//!
//! Evaluation raises errors where the reference throws (`query::expr::raise`: a
//! function's error, an operand a `cast` only relabelled). Every processor is
//! wrapped in a [`Guarded`] that clears the error before each event and looks at
//! it after: a failed event produces nothing, and it is either reported on
//! standard error and dropped (`@OnError(action='LOG')`, the default) or sent to
//! the fault stream `!S` of its stream, with its attributes and `_error` (the
//! message) (`@OnError(action='STREAM')`). What the processor did to its state
//! before the error stays done, as in the reference (a window keeps an event whose
//! selector failed); in a node of several queries (a group, a partition), what
//! the queries before the failing one emitted stands (`query::expr::keep_outputs`). A failure while the clock moves (a batch flushed by a timer,
//! a named window's release) is reported and its outputs dropped.
//!
//! The reference hands an event to its stream's readers one after the other, in
//! the order they were defined, and stops at the first that fails: the later
//! readers never see the event. Sluice's readers are nodes of their own, so for a
//! stream with a fault stream and several readers, [`guard`] chains them: the
//! first reader reads the stream, and each reader hands every event it handled
//! without error on to the next through a stream of the chain's own (same logical
//! time and timestamp, ordered after what the reader emitted for it), so an event
//! that fails reaches the fault stream once and no later reader.

use super::graph::{Emit, Graph, Port, Processor};
use super::message::{Kind, Msg, StreamId, ON_DEMAND};
use crate::query::expr::{take_error, take_kept_outputs};
use crate::value::{Row, Value};
use crate::window::Emitted;
use std::collections::HashMap;
use std::sync::Arc;

/// Wraps every node's processor in a [`Guarded`]. `names` names the streams;
/// `fault_of` gives the fault stream of each stream with
/// `@OnError(action='STREAM')`: a node reading such a stream gets an output port
/// to its fault stream, and the readers of such a stream are chained (see the
/// module doc) through streams numbered from `spare` up. Refuses a chain through a
/// node that reads the stream more than once (a join of the stream with itself).
pub fn guard(
    graph: &mut Graph,
    names: &HashMap<StreamId, String>,
    fault_of: &HashMap<StreamId, StreamId>,
    spare: StreamId,
) -> Result<(), String> {
    let mut fault_of = fault_of.clone();
    let mut names = names.clone();
    let forwards = chain_readers(graph, &mut fault_of, &mut names, spare)?;
    for (index, node) in graph.nodes.iter_mut().enumerate() {
        let mut inputs = Vec::with_capacity(node.inputs.len());
        for (slot, s) in node.inputs.iter().enumerate() {
            let fault_port = fault_of.get(s).map(|&f| {
                let port = Port { target: Some((f, super::graph::Forward::Current)), query: None, answers: false };
                match node.outputs.iter().position(|p| *p == port) {
                    Some(i) => i,
                    None => {
                        node.outputs.push(port);
                        node.outputs.len() - 1
                    }
                }
            });
            let stream = names.get(s).cloned().unwrap_or_else(|| format!("#{s}"));
            let forward_port = forwards.get(&(index, slot)).copied();
            inputs.push(InputFaults { stream, fault_port, forward_port });
        }
        let inputs: Arc<[InputFaults]> = inputs.into();
        let name: Arc<str> = node.name.as_str().into();
        let inner = node.factory.clone();
        node.factory = Arc::new(move || Box::new(Guarded::new(inner(), name.clone(), inputs.clone())));
    }
    Ok(())
}

/// Chains the readers of every stream in `fault_of` that more than one node
/// reads: reader `k + 1` reads a new stream instead, which reader `k` writes.
/// Returns, per `(node, input)`, the output port that hands the input's events
/// on; the new streams join `fault_of` (with the stream's fault stream) and
/// `names` (with the stream's name).
fn chain_readers(
    graph: &mut Graph,
    fault_of: &mut HashMap<StreamId, StreamId>,
    names: &mut HashMap<StreamId, String>,
    mut spare: StreamId,
) -> Result<HashMap<(usize, usize), usize>, String> {
    let mut forwards = HashMap::new();
    let mut streams: Vec<(StreamId, StreamId)> = fault_of.iter().map(|(&s, &f)| (s, f)).collect();
    streams.sort_unstable();
    for (stream, fault) in streams {
        let mut readers = Vec::new();
        for (index, node) in graph.nodes.iter().enumerate() {
            let slots: Vec<usize> = (0..node.inputs.len()).filter(|&i| node.inputs[i] == stream).collect();
            match slots[..] {
                [] => {}
                [slot] => readers.push((index, slot)),
                _ => {
                    let name = names.get(&stream).map_or("?", String::as_str);
                    return Err(format!(
                        "query '{}': @OnError(action='STREAM') on stream '{name}', which it reads twice (a join of \
                         the stream with itself, or queries sharing a table or named window), is not built yet",
                        node.name
                    ));
                }
            }
        }
        for pair in readers.windows(2) {
            let ((from, from_slot), (to, to_slot)) = (pair[0], pair[1]);
            let link = spare;
            spare += 1;
            let name = names.get(&stream).cloned().unwrap_or_default();
            names.insert(link, name);
            fault_of.insert(link, fault);
            graph.nodes[to].inputs[to_slot] = link;
            let outputs = &mut graph.nodes[from].outputs;
            outputs.push(Port { target: Some((link, super::graph::Forward::Current)), query: None, answers: false });
            forwards.insert((from, from_slot), outputs.len() - 1);
        }
    }
    Ok(forwards)
}

/// Where one input's failed events go.
#[derive(Clone, Debug)]
pub struct InputFaults {
    /// The input stream's name (for messages).
    pub stream: String,
    /// The node's output port leading to the stream's fault stream, when the
    /// stream has `@OnError(action='STREAM')`.
    pub fault_port: Option<usize>,
    /// The node's output port that hands each event handled without error on to
    /// the stream's next reader, when readers are chained.
    pub forward_port: Option<usize>,
}

/// A processor whose failed events are dropped or sent to a fault stream.
pub struct Guarded {
    inner: Box<dyn Processor>,
    node: Arc<str>,
    inputs: Arc<[InputFaults]>,
}

impl Guarded {
    /// Wraps `inner`, the processor of node `node` whose inputs are `inputs`.
    pub fn new(inner: Box<dyn Processor>, node: Arc<str>, inputs: Arc<[InputFaults]>) -> Guarded {
        take_error();
        Guarded { inner, node, inputs }
    }

    /// Drops what a failed clock step produced, with a message.
    fn after_step(&self, what: &str, out: &mut Vec<Emit>, mark: usize) {
        if let Some(e) = take_error() {
            out.truncate(mark);
            eprintln!("error: query '{}': {e} ({what}); its output is dropped", self.node);
        }
    }
}

impl Processor for Guarded {
    fn on_event(&mut self, input: usize, msg: &Msg, out: &mut Vec<Emit>) {
        let mark = out.len();
        take_error();
        take_kept_outputs();
        self.inner.on_event(input, msg, out);
        let kept = take_kept_outputs();
        if msg.stream == ON_DEMAND {
            // An on-demand query is answered whatever its expressions met (a
            // failed value is null); it is no event of a stream.
            take_error();
            return;
        }
        let faults = self.inputs.get(input);
        let Some(e) = take_error() else {
            if let Some(port) = faults.and_then(|f| f.forward_port) {
                out.push(Emit { kind: Kind::Current, row: msg.row.clone(), ts: msg.ts, port });
            }
            return;
        };
        out.truncate(kept.map_or(mark, |k| k.max(mark)));
        match faults.and_then(|f| f.fault_port) {
            Some(port) => out.push(Emit { kind: Kind::Current, row: with_error(&msg.row, e), ts: msg.ts, port }),
            None => {
                let stream = faults.map_or("?", |f| f.stream.as_str());
                let values: Vec<String> = msg.row.iter().map(Value::to_string).collect();
                eprintln!(
                    "error: query '{}' on stream '{stream}': {e}; the event [{}] is dropped",
                    self.node,
                    values.join(", ")
                );
            }
        }
    }

    fn on_tick(&mut self, ts: i64, out: &mut Vec<Emit>) {
        let mark = out.len();
        take_error();
        self.inner.on_tick(ts, out);
        self.after_step("as the clock moved", out, mark);
    }

    fn next_deadline(&self) -> Option<i64> {
        self.inner.next_deadline()
    }

    fn on_window_output(&mut self, input: usize, now: i64, chunk: Vec<Emitted>, is_batch: bool, out: &mut Vec<Emit>) {
        let mark = out.len();
        take_error();
        self.inner.on_window_output(input, now, chunk, is_batch, out);
        self.after_step("on a named window's release", out, mark);
    }
}

/// `row` with `_error` (the message) appended: an event of a fault stream.
fn with_error(row: &Row, error: String) -> Row {
    row.iter().cloned().chain(std::iter::once(Value::string(&error))).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::query::expr::raise;
    use crate::runtime::graph::{Forward, Node, Placement};

    /// Emits each event's first value twice, and fails on a negative one after
    /// emitting once.
    struct Fails;

    impl Processor for Fails {
        fn on_event(&mut self, _input: usize, msg: &Msg, out: &mut Vec<Emit>) {
            out.push(Emit::new(Kind::Current, msg.row.clone(), msg.ts));
            if msg.row[0].as_i64().is_some_and(|v| v < 0) {
                raise(|| "negative".into());
                raise(|| "only the first error is kept".into());
            }
            out.push(Emit::new(Kind::Current, msg.row.clone(), msg.ts));
        }
    }

    fn msg(v: i64) -> Msg {
        Msg { time: 0, stream: 0, order: Vec::new(), ts: 7, kind: Kind::Current, row: Arc::from(vec![Value::Long(v)]) }
    }

    fn guarded(fault_port: Option<usize>) -> Box<dyn Processor> {
        let node = Node {
            name: "q".into(),
            inputs: vec![0],
            outputs: vec![Port { target: Some((1, Forward::Current)), query: Some(0), answers: false }],
            placement: Placement::Single,
            factory: Arc::new(|| Box::new(Fails) as Box<dyn Processor>),
            broadcast: Vec::new(),
        };
        let mut graph = Graph { nodes: vec![node], ..Graph::default() };
        let names = HashMap::from([(0, "S".to_string()), (2, "!S".to_string())]);
        let fault_of = match fault_port {
            Some(_) => HashMap::from([(0, 2)]),
            None => HashMap::new(),
        };
        guard(&mut graph, &names, &fault_of, 3).expect("one reader");
        let port = Port { target: Some((2, Forward::Current)), query: None, answers: false };
        assert_eq!(graph.nodes[0].outputs.get(1), fault_port.map(|_| &port));
        (graph.nodes[0].factory)()
    }

    #[test]
    fn a_failed_event_goes_to_the_fault_stream_with_its_error() {
        let mut p = guarded(Some(1));
        let mut out = Vec::new();
        p.on_event(0, &msg(1), &mut out);
        assert_eq!(out.len(), 2);
        p.on_event(0, &msg(-1), &mut out);
        assert_eq!(out.len(), 3, "the failed event's own outputs are cut off");
        let fault = &out[2];
        assert_eq!((fault.port, fault.ts, fault.kind), (1, 7, Kind::Current));
        assert_eq!(&fault.row[..], &[Value::Long(-1), Value::string("negative")]);
        p.on_event(0, &msg(2), &mut out);
        assert_eq!(out.len(), 5, "the error does not outlive its event");
    }

    #[test]
    fn without_a_fault_stream_a_failed_event_is_dropped() {
        let mut p = guarded(None);
        let mut out = Vec::new();
        p.on_event(0, &msg(-1), &mut out);
        p.on_event(0, &msg(3), &mut out);
        assert_eq!(out.len(), 2);
        assert!(out.iter().all(|e| e.port == 0 && e.row[0] == Value::Long(3)));
        assert_eq!(take_error(), None);
    }
}
