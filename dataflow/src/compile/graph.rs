//! Placing compiled queries in the graph: which queries share a group node
//! (they touch the same table or window), partition nodes and their keys.

use super::*;

/// Which group each query belongs to (queries touching the same relation share one).
pub(super) fn groups(queries: &[CompiledQuery]) -> Vec<Option<usize>> {
    let n = queries.len();
    let mut parent: Vec<usize> = (0..n).collect();
    fn find(parent: &mut [usize], i: usize) -> usize {
        let mut r = i;
        while parent[r] != r {
            r = parent[r];
        }
        parent[i] = r;
        r
    }
    let mut first: HashMap<&str, usize> = HashMap::new();
    for (i, q) in queries.iter().enumerate() {
        for name in &q.touches {
            match first.get(name.as_str()) {
                Some(&j) => {
                    let (a, b) = (find(&mut parent, i), find(&mut parent, j));
                    parent[a.max(b)] = a.min(b);
                }
                None => {
                    first.insert(name, i);
                }
            }
        }
    }
    let mut numbers: HashMap<usize, usize> = HashMap::new();
    (0..n)
        .map(|i| {
            if queries[i].touches.is_empty() {
                return None;
            }
            let root = find(&mut parent, i);
            let next = numbers.len();
            Some(*numbers.entry(root).or_insert(next))
        })
        .collect()
}

/// Builds the graph: one node per ungrouped query, one per group. Every table and
/// window belongs to one group, which answers on-demand queries about it.
pub(super) fn build(
    queries: &[CompiledQuery],
    group_of: &[Option<usize>],
    relations: &RelationSet,
    plan: &Arc<AppPlan>,
) -> Graph {
    let mut graph = Graph::default();
    let group_count = group_of.iter().flatten().max().map_or(0, |g| g + 1);
    let mut emitted_groups = vec![false; group_count];
    let mut owned: Vec<Vec<String>> = vec![Vec::new(); group_count.max(1)];
    for (i, q) in queries.iter().enumerate() {
        if let Some(g) = group_of[i] {
            owned[g].extend(q.touches.iter().cloned());
        }
    }
    for name in relations.names.keys() {
        if !owned.iter().flatten().any(|n| n == name) {
            owned[0].push(name.clone());
        }
    }
    for (i, q) in queries.iter().enumerate() {
        match group_of[i] {
            None => {
                let make = q.make.clone();
                let inputs = q
                    .inputs
                    .iter()
                    .map(|r| match r {
                        InputRef::Stream(s) => *s,
                        _ => unreachable!("queries reading relations are grouped"),
                    })
                    .collect();
                let target = match q.output {
                    QueryOutput::Stream(s) => Some((s, q.forward)),
                    _ => None,
                };
                graph.nodes.push(Node {
                    name: q.name.clone(),
                    inputs,
                    outputs: vec![Port { target, query: Some(i), answers: false }],
                    placement: if q.stateless { Placement::Anywhere } else { Placement::Single },
                    factory: Arc::new(move || make(None)),
                    broadcast: Vec::new(),
                });
            }
            Some(g) if !emitted_groups[g] => {
                emitted_groups[g] = true;
                let members: Vec<usize> = (0..queries.len()).filter(|&j| group_of[j] == Some(g)).collect();
                graph.nodes.push(group_node(queries, &members, relations, plan, std::mem::take(&mut owned[g])));
            }
            Some(_) => {}
        }
    }
    if group_count == 0 && !relations.names.is_empty() {
        // Relations no query touches still answer on-demand queries.
        graph.nodes.push(group_node(queries, &[], relations, plan, std::mem::take(&mut owned[0])));
    }
    graph
}

/// The node of a group of queries (global numbers `members`, in order).
pub(super) fn group_node(
    queries: &[CompiledQuery],
    members: &[usize],
    relations: &RelationSet,
    plan: &Arc<AppPlan>,
    owned: Vec<String>,
) -> Node {
    group_node_with(queries, members, relations, plan, owned, true)
}

/// [`group_node`]; `answers` says whether it answers on-demand queries.
pub(super) fn group_node_with(
    queries: &[CompiledQuery],
    members: &[usize],
    relations: &RelationSet,
    plan: &Arc<AppPlan>,
    owned: Vec<String>,
    answers: bool,
) -> Node {
    let produced: Vec<StreamId> = members
        .iter()
        .filter_map(|&m| match queries[m].output {
            QueryOutput::Stream(s) => Some(s),
            _ => None,
        })
        .collect();
    let mut inputs: Vec<StreamId> = Vec::new();
    let mut external: Vec<Vec<(usize, usize)>> = Vec::new();
    let mut internal: HashMap<StreamId, Vec<(usize, usize)>> = HashMap::new();
    let mut windows: Vec<GroupWindow> = relations
        .window_output
        .iter()
        .map(|&(output, is_batch)| GroupWindow { output, is_batch, readers: Vec::new() })
        .collect();
    for (local, &m) in members.iter().enumerate() {
        for (slot, input) in queries[m].inputs.iter().enumerate() {
            match *input {
                InputRef::Stream(s) if produced.contains(&s) => internal.entry(s).or_default().push((local, slot)),
                InputRef::Stream(s) => {
                    let at = match inputs.iter().position(|x| *x == s) {
                        Some(at) => at,
                        None => {
                            inputs.push(s);
                            external.push(Vec::new());
                            inputs.len() - 1
                        }
                    };
                    external[at].push((local, slot));
                }
                InputRef::Window(w) => windows[w].readers.push((local, slot)),
                InputRef::Nothing => {}
            }
        }
    }
    let mut specs = Vec::new();
    let mut outputs = Vec::new();
    for &m in members {
        let q = &queries[m];
        let (sink, target) = match &q.output {
            QueryOutput::Stream(s) => {
                (MemberSink::Stream(internal.get(s).cloned().unwrap_or_default()), Some((*s, q.forward)))
            }
            QueryOutput::Table(t, action) => (MemberSink::Table(*t, action.clone()), None),
            QueryOutput::Window(w) => (MemberSink::Window(*w), None),
            QueryOutput::Nothing => (MemberSink::Nothing, None),
        };
        specs.push(MemberSpec { make: q.make.clone(), forward: q.forward, sink });
        outputs.push(Port { target, query: Some(m), answers: false });
    }
    if answers {
        inputs.push(ON_DEMAND);
        external.push(Vec::new());
        outputs.push(Port { target: None, query: None, answers: true });
    }
    let spec = Arc::new(GroupSpec {
        members: specs,
        external,
        tables: relations.tables.clone(),
        window_factories: relations.windows.clone(),
        windows,
        aggregations: relations.aggregations.clone(),
        names: relations.names.clone(),
        plan: plan.clone(),
        owned,
    });
    let names: Vec<&str> = members.iter().map(|&m| queries[m].name.as_str()).collect();
    Node {
        name: format!("group({})", names.join(", ")),
        inputs,
        outputs,
        placement: Placement::Single,
        factory: Arc::new(move || Box::new(GroupProcessor::new(spec.clone())) as Box<dyn Processor>),
        broadcast: Vec::new(),
    }
}

/// The node of a partition: its queries run as one group per partition key,
/// spread over workers by the key.
pub(super) fn partition_node(
    p: &PartitionPlan,
    queries: &[CompiledQuery],
    members: &[usize],
    plan: &Arc<AppPlan>,
    ids: &HashMap<String, StreamId>,
) -> Result<Node, String> {
    // These partitions touch no tables or windows (those that do run as keyed
    // members of the relations' groups), so each key's group holds none:
    // thousands of keys cost no copies of the app's relations.
    let mut node = group_node_with(queries, members, &RelationSet::none(), plan, Vec::new(), false);
    let inputs: Vec<Option<StreamId>> = node.inputs.iter().map(|s| Some(*s)).collect();
    let (key_of, unkeyed) = partition_keys(p, ids, &inputs)?;
    for (i, _) in unkeyed.iter().enumerate().filter(|(_, u)| **u) {
        // Read inside the partition without a key: every partition gets it.
        node.broadcast.push(i);
    }
    node.placement = Placement::Keyed(key_of, p.purge);
    node.name = format!("partition{}", node.name.trim_start_matches("group"));
    Ok(node)
}

/// How partition `p` keys the events of each of `inputs` (streams; `None` for an
/// input that is not a stream): the key function by input number, and which
/// inputs have no key (their events go to every partition).
pub(super) fn partition_keys(
    p: &PartitionPlan,
    ids: &HashMap<String, StreamId>,
    inputs: &[Option<StreamId>],
) -> Result<(KeyFn, Vec<bool>), String> {
    let mut keys: HashMap<StreamId, PartitionKeyExec> = HashMap::new();
    for k in &p.keys {
        let id = *ids.get(&k.stream).ok_or(format!("partition: unknown stream '{}'", k.stream))?;
        let exec = match &k.key {
            PartitionKeyKind::Value(e) => PartitionKeyExec::Value(compile_expr(e)?),
            PartitionKeyKind::Range(ranges) => PartitionKeyExec::Range(
                ranges
                    .iter()
                    .map(|(c, label)| Ok((compile_expr(c)?, Value::String(Arc::from(label.as_str())))))
                    .collect::<Result<_, String>>()?,
            ),
        };
        keys.insert(id, exec);
    }
    let per_input: Vec<Option<PartitionKeyExec>> =
        inputs.iter().map(|s| s.and_then(|s| keys.get(&s).cloned())).collect();
    let unkeyed = per_input.iter().map(Option::is_none).collect();
    let per_input = Arc::new(per_input);
    let key_of: KeyFn = Arc::new(move |input: usize, msg: &crate::runtime::message::Msg, out: &mut Vec<Value>| {
        let env = Env::default();
        match per_input.get(input).and_then(Option::as_ref) {
            // The reference drops an event whose partition key is null.
            Some(PartitionKeyExec::Value(e)) => match e.eval(&msg.row, &env) {
                Value::Null => {}
                key => out.push(key),
            },
            Some(PartitionKeyExec::Range(ranges)) => {
                for (cond, label) in ranges {
                    if cond.test(&msg.row, &env) {
                        out.push(label.clone());
                    }
                }
            }
            None => {}
        }
    });
    Ok((key_of, unkeyed))
}

/// A query of partition `p` (which uses tables or named windows) as a member
/// with an instance per key, to run inside the group that owns the relations.
pub(super) fn keyed_member(
    mut c: CompiledQuery,
    p: &PartitionPlan,
    ids: &HashMap<String, StreamId>,
) -> Result<CompiledQuery, String> {
    if p.purge.is_some() {
        return Err(format!(
            "query '{}': @purge on a partition that uses tables or named windows is not built yet",
            c.name
        ));
    }
    let inputs: Vec<Option<StreamId>> = c
        .inputs
        .iter()
        .map(|r| match r {
            InputRef::Stream(s) => Some(*s),
            _ => None,
        })
        .collect();
    let (key_of, unkeyed) = partition_keys(p, ids, &inputs)?;
    let unkeyed: Arc<[bool]> = unkeyed.into();
    let make = c.make.clone();
    c.make = Arc::new(move |relations| {
        Box::new(KeyedMember::new(make.clone(), relations, key_of.clone(), unkeyed.clone())) as Box<dyn Processor>
    });
    // Per-key state: never spread by logical time.
    c.stateless = false;
    Ok(c)
}

/// How a partition assigns one stream's events to keys.
#[derive(Clone, Debug)]
pub(super) enum PartitionKeyExec {
    Value(CExpr),
    Range(Vec<(CExpr, Value)>),
}

pub(super) fn forward_of(events: OutputEventType) -> Forward {
    match events {
        OutputEventType::Current => Forward::Current,
        OutputEventType::Expired => Forward::Expired,
        OutputEventType::All => Forward::All,
    }
}
