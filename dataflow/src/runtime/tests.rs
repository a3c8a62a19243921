//! Runtime tests with hand-made processors: ordering, placement and ticks.

use super::execute::{run_to_completion, Step};
use super::graph::{Emit, Forward, Graph, Node, Placement, Port, Processor};
use super::message::{Kind, Msg, TICK};
use super::time::Sequencer;
use crate::value::{Row, Value};
use std::sync::Arc;

/// Emits a running count of the events (and ticks) it has seen.
struct Counter(i64);

impl Processor for Counter {
    fn on_event(&mut self, _input: usize, msg: &Msg, out: &mut Vec<Emit>) {
        self.0 += 1;
        let row: Row = Arc::from(vec![msg.row[0].clone(), Value::Long(self.0)]);
        out.push(Emit::new(Kind::Current, row, msg.ts));
    }
    fn on_tick(&mut self, ts: i64, out: &mut Vec<Emit>) {
        out.push(Emit::new(Kind::Expired, Arc::from(vec![Value::Long(-1), Value::Long(self.0)]), ts));
    }
}

fn graph(placement: Placement) -> Graph {
    let counter = Node {
        name: "count".into(),
        inputs: vec![0],
        outputs: vec![Port { target: Some((1, Forward::Current)), query: Some(1), answers: false }],
        placement,
        factory: Arc::new(|| Box::new(Counter(0)) as Box<dyn Processor>),
        broadcast: Vec::new(),
    };
    let chained = Node {
        name: "chained".into(),
        inputs: vec![1],
        outputs: vec![Port { target: Some((2, Forward::All)), query: Some(0), answers: false }],
        placement: Placement::Single,
        factory: Arc::new(|| Box::new(Counter(100)) as Box<dyn Processor>),
        broadcast: Vec::new(),
    };
    Graph { nodes: vec![chained, counter], observed_streams: vec![1, 2], observed_queries: vec![1], ..Graph::default() }
}

fn steps() -> Vec<Step> {
    let mut seq = Sequencer::new();
    let mut steps = Vec::new();
    for i in 0..50i64 {
        let row: Row = Arc::from(vec![Value::Long(i % 7)]);
        steps.push(Step {
            time: seq.next(i),
            msg: Msg { time: 0, stream: 0, order: vec![], ts: i, kind: Kind::Current, row },
        });
        if i % 10 == 9 {
            let row: Row = Arc::from(Vec::new());
            steps.push(Step {
                time: seq.next(i),
                msg: Msg { time: 0, stream: TICK, order: vec![], ts: i, kind: Kind::Current, row },
            });
        }
    }
    steps
}

fn render(graph: Graph, workers: usize) -> Vec<String> {
    run_to_completion(graph, steps(), workers)
        .unwrap()
        .into_iter()
        .map(|o| format!("{:?} {:?} {:?}", o.dest, o.msg.kind, o.msg.row))
        .collect()
}

#[test]
fn same_output_in_the_same_order_for_any_number_of_workers() {
    let one = render(graph(Placement::Single), 1);
    // 50 inputs counted, 5 ticks seen by the counter (observed as a node), and the chain.
    assert_eq!(one.iter().filter(|l| l.starts_with("Query(1)")).count(), 55);
    assert_eq!(one.iter().filter(|l| l.starts_with("Stream(1)")).count(), 50);
    assert_eq!(one.iter().filter(|l| l.starts_with("Stream(2)")).count(), 55);
    for workers in [2, 3] {
        assert_eq!(render(graph(Placement::Single), workers), one, "workers = {workers}");
    }
}

#[test]
fn keyed_processors_count_per_key() {
    let keyed = Placement::Keyed(Arc::new(|_, m: &Msg, keys: &mut Vec<Value>| keys.push(m.row[0].clone())), None);
    let one = render(graph(keyed.clone()), 1);
    let last_of_key_0 = one.iter().rfind(|l| l.starts_with("Stream(1)") && l.contains("[Long(0),")).unwrap().clone();
    assert!(last_of_key_0.ends_with("Long(8)]"), "{last_of_key_0}");
    assert_eq!(render(graph(keyed), 2), one);
}
