//! Variable-length walks: trail enumeration, breadth-first reachability and
//! bidirectional shortest paths.

use super::eval::{eval, slot_node};
use super::ops::{Sink, adjacency, edge_taken, emit, for_each_input, malformed, reverse};
use super::values::{edge_struct, equals, node_val, path_from_edges};
use super::{Ctx, Flow, Row};
use crate::plan::{Op, OpKind, Walk};
use crate::{QueryError, QueryResult};
use lodestone_model::{Direction, EdgeId, EdgeValue, NodeId, Value};
use lodestone_store::Adjacent;
use rustc_hash::{FxHashMap, FxHashSet};
use std::collections::hash_map::Entry;

/// The property map every walked relationship must match, evaluated for this row.
fn edge_filter(walk: &Walk, ctx: &mut Ctx, row: &mut Row) -> QueryResult<Option<Vec<(String, Value)>>> {
    let Some(e) = &walk.edge_props else {
        return Ok(None);
    };
    match eval(e, ctx, row)? {
        Value::Map(m) => Ok(Some(m.into_iter().collect())),
        Value::Null => Ok(Some(vec![(String::new(), Value::Null)])),
        other => Err(QueryError::Type {
            message: format!("expected a map of properties, got {}", other.kind().name()),
            span: None,
        }),
    }
}

fn edge_ok(ctx: &mut Ctx, edge: EdgeId, filter: &Option<Vec<(String, Value)>>) -> QueryResult<bool> {
    if !ctx.edge_visible(edge)? {
        return Ok(false);
    }
    if let Some(props) = filter {
        for (k, want) in props {
            let have = ctx.edge_prop(edge, k)?;
            if equals(&have, want)? != Some(true) {
                return Ok(false);
            }
        }
    }
    Ok(true)
}

fn step_edge(from: NodeId, x: &Adjacent) -> EdgeValue {
    if x.outgoing {
        edge_struct(x.edge, from, x.other)
    } else {
        edge_struct(x.edge, x.other, from)
    }
}

fn edge_list(edges: &[EdgeValue], reverse: bool) -> Value {
    let mut out: Vec<Value> = edges.iter().map(|e| Value::Edge(Box::new(e.clone()))).collect();
    if reverse {
        out.reverse();
    }
    Value::List(out)
}

pub(super) fn run<'g>(op: &Op, ctx: &mut Ctx<'g>, row: &mut Row, sink: &mut Sink<'_, 'g>) -> QueryResult<Flow> {
    match &op.kind {
        OpKind::VarExpand { .. } => op_var_expand(op, ctx, row, sink),
        OpKind::Reach { .. } => op_reach(op, ctx, row, sink),
        OpKind::Shortest { .. } => op_shortest(op, ctx, row, sink),
        _ => Err(QueryError::Unsupported {
            what: "malformed plan".into(),
            span: None,
        }),
    }
}

/// Runs one `VarExpand` operator.
#[inline(never)]
fn op_var_expand<'g>(op: &Op, ctx: &mut Ctx<'g>, row: &mut Row, sink: &mut Sink<'_, 'g>) -> QueryResult<Flow> {
    match &op.kind {
        OpKind::VarExpand {
            from,
            rel,
            to,
            walk,
            min,
            max,
            into,
            unique,
            reverse,
        } => {
            let types: Vec<&str> = walk.types.iter().map(String::as_str).collect();
            let back = Walk {
                dir: super::ops::reverse(walk.dir),
                ..walk.clone()
            };
            for_each_input(op, ctx, row, &mut |ctx, row| {
                let Some(a) = slot_node(row, *from) else {
                    return Ok(Flow::Go);
                };
                let target = if *into {
                    match slot_node(row, *to) {
                        Some(t) => Some(t),
                        None => return Ok(Flow::Go),
                    }
                } else {
                    None
                };
                let filter = edge_filter(walk, ctx, row)?;
                // Both ends bound: walk from the end with fewer relationships.
                if let Some(b) = target
                    && a != b
                    && ctx.read().degree(b, back.dir, &types)? < ctx.read().degree(a, walk.dir, &types)?
                {
                    return trails(
                        op.id,
                        ctx,
                        row,
                        sink,
                        b,
                        Some(a),
                        *rel,
                        *to,
                        &back,
                        &types,
                        *min,
                        *max,
                        unique,
                        !*reverse,
                        &filter,
                    );
                }
                trails(
                    op.id, ctx, row, sink, a, target, *rel, *to, walk, &types, *min, *max, unique, *reverse, &filter,
                )
            })
        }
        _ => Err(malformed()),
    }
}

/// Runs one `Reach` operator.
#[inline(never)]
fn op_reach<'g>(op: &Op, ctx: &mut Ctx<'g>, row: &mut Row, sink: &mut Sink<'_, 'g>) -> QueryResult<Flow> {
    let to = match &op.kind {
        OpKind::Reach { to, into, .. } => (!*into).then_some(*to),
        _ => return Err(malformed()),
    };
    reach_each(op, ctx, row, &mut |ctx, row, n| {
        if let Some(to) = to {
            row[to] = node_val(n);
        }
        emit(op.id, ctx, row, sink)
    })
}

/// Runs a `Reach` operator's search for each input row and calls `each` with every
/// node it yields (each node once per input row; the operator's row is counted).
pub(super) fn reach_each<'g>(
    op: &Op,
    ctx: &mut Ctx<'g>,
    row: &mut Row,
    each: &mut dyn FnMut(&mut Ctx<'g>, &mut Row, NodeId) -> QueryResult<Flow>,
) -> QueryResult<Flow> {
    match &op.kind {
        OpKind::Reach {
            from,
            to,
            walk,
            min,
            max,
            into,
        } => {
            let types: Vec<&str> = walk.types.iter().map(String::as_str).collect();
            let back = Walk {
                dir: super::ops::reverse(walk.dir),
                ..walk.clone()
            };
            for_each_input(op, ctx, row, &mut |ctx, row| {
                let Some(a) = slot_node(row, *from) else {
                    return Ok(Flow::Go);
                };
                let target = if *into {
                    match slot_node(row, *to) {
                        Some(t) => Some(t),
                        None => return Ok(Flow::Go),
                    }
                } else {
                    None
                };
                let filter = edge_filter(walk, ctx, row)?;
                let found = match target {
                    // Both ends bound: search from the end with fewer relationships.
                    Some(b)
                        if a != b
                            && ctx.read().degree(b, back.dir, &types)? < ctx.read().degree(a, walk.dir, &types)? =>
                    {
                        reachable(ctx, b, &back, &types, *min, *max, Some(a), &filter)?
                            .into_iter()
                            .map(|_| b)
                            .collect()
                    }
                    _ => reachable(ctx, a, walk, &types, *min, *max, target, &filter)?,
                };
                for n in found {
                    if target.is_none() && !ctx.has_labels(n, &walk.to_labels)? {
                        continue;
                    }
                    if each(ctx, row, n)? == Flow::Stop {
                        return Ok(Flow::Stop);
                    }
                }
                Ok(Flow::Go)
            })
        }
        _ => Err(malformed()),
    }
}

/// Runs one `Shortest` operator.
#[inline(never)]
fn op_shortest<'g>(op: &Op, ctx: &mut Ctx<'g>, row: &mut Row, sink: &mut Sink<'_, 'g>) -> QueryResult<Flow> {
    match &op.kind {
        OpKind::Shortest {
            from,
            to,
            rel,
            path,
            walk,
            min,
            max,
            all,
        } => {
            let types: Vec<&str> = walk.types.iter().map(String::as_str).collect();
            for_each_input(op, ctx, row, &mut |ctx, row| {
                let (Some(a), Some(b)) = (slot_node(row, *from), slot_node(row, *to)) else {
                    return Ok(Flow::Go);
                };
                let filter = edge_filter(walk, ctx, row)?;
                let paths = shortest(ctx, a, b, walk, &types, *min, *max, *all, &filter)?;
                for edges in paths {
                    row[*rel] = edge_list(&edges, false);
                    if let Some(p) = path {
                        row[*p] = Value::Path(Box::new(path_from_edges(a, &edges)));
                    }
                    if emit(op.id, ctx, row, sink)? == Flow::Stop {
                        return Ok(Flow::Stop);
                    }
                }
                Ok(Flow::Go)
            })
        }
        _ => Err(malformed()),
    }
}

/// Depth-first enumeration of every trail of `min..=max` hops from `a`.
#[allow(clippy::too_many_arguments)]
fn trails<'g>(
    id: usize,
    ctx: &mut Ctx<'g>,
    row: &mut Row,
    sink: &mut Sink<'_, 'g>,
    a: NodeId,
    target: Option<NodeId>,
    rel: usize,
    to: usize,
    walk: &Walk,
    types: &[&str],
    min: u64,
    max: u64,
    unique: &[usize],
    reverse_list: bool,
    filter: &Option<Vec<(String, Value)>>,
) -> QueryResult<Flow> {
    let mut edges: Vec<EdgeValue> = Vec::new();
    if min == 0 && target.is_none_or(|t| t == a) && ctx.has_labels(a, &walk.to_labels)? {
        row[rel] = Value::List(Vec::new());
        if target.is_none() {
            row[to] = node_val(a);
        }
        if emit(id, ctx, row, sink)? == Flow::Stop {
            return Ok(Flow::Stop);
        }
    }
    if max == 0 {
        return Ok(Flow::Go);
    }
    let mut first = Vec::new();
    adjacency(ctx, a, walk.dir, types, &mut first)?;
    // Each frame: the node, its adjacency and the next index to try.
    let mut stack: Vec<(NodeId, Vec<Adjacent>, usize)> = vec![(a, first, 0)];
    while let Some(frame) = stack.last_mut() {
        if frame.2 >= frame.1.len() {
            stack.pop();
            if !stack.is_empty() {
                edges.pop();
            }
            continue;
        }
        let x = frame.1[frame.2];
        let here = frame.0;
        frame.2 += 1;
        ctx.tick()?;
        if edges.iter().any(|e| e.id == x.edge) || edge_taken(row, unique, x.edge) {
            continue;
        }
        if !edge_ok(ctx, x.edge, filter)? || !ctx.node_visible(x.other)? {
            continue;
        }
        edges.push(step_edge(here, &x));
        let depth = edges.len() as u64;
        if depth >= min && target.is_none_or(|t| t == x.other) && ctx.has_labels(x.other, &walk.to_labels)? {
            row[rel] = edge_list(&edges, reverse_list);
            if target.is_none() {
                row[to] = node_val(x.other);
            }
            if emit(id, ctx, row, sink)? == Flow::Stop {
                return Ok(Flow::Stop);
            }
        }
        if depth < max {
            let mut next = Vec::new();
            adjacency(ctx, x.other, walk.dir, types, &mut next)?;
            stack.push((x.other, next, 0));
        } else {
            edges.pop();
        }
    }
    Ok(Flow::Go)
}

/// The nodes a breadth-first search has reached. Undirected searches keep each
/// node's depth and branch (the first edge of its tree path) for their cycle checks;
/// directed ones need only membership. A set starts as a map, so the many small
/// searches of a multi-start pattern allocate little; a directed search that grows
/// large turns it into a bit per node id (when the view bounds its ids).
enum Seen {
    /// Depth and branch per node; `bits_bound` is the id bound a directed set may
    /// turn into bits with.
    Map {
        map: FxHashMap<NodeId, (u64, Option<EdgeId>)>,
        bits_bound: Option<u64>,
    },
    /// A bit per node id.
    Bits(Vec<u64>),
}

/// Frontier nodes a breadth-first search expands in one call to the store.
const FRONTIER_CHUNK: usize = 1024;

/// Largest id bound for which a search allocates a bit per id (16 MiB of bits).
const MAX_BIT_IDS: u64 = 1 << 27;

/// Sets `id`'s bit; whether it was clear. Ids past the end grow the vector.
fn set_bit(bits: &mut Vec<u64>, id: u64) -> bool {
    let (word, bit) = ((id / 64) as usize, 1u64 << (id % 64));
    if word >= bits.len() {
        bits.resize(word + 1, 0);
    }
    match bits.get_mut(word) {
        Some(w) if *w & bit == 0 => {
            *w |= bit;
            true
        }
        _ => false,
    }
}

impl Seen {
    fn new(bound: Option<u64>, undirected: bool) -> Self {
        Seen::Map {
            map: FxHashMap::default(),
            bits_bound: bound.filter(|n| !undirected && *n <= MAX_BIT_IDS),
        }
    }

    /// Marks `n` as reached at `depth` on `branch`: `None` when it is new, else what is
    /// known of it (only a map knows depth and branch; bits answer `(0, None)`).
    fn insert(&mut self, n: NodeId, depth: u64, branch: Option<EdgeId>) -> Option<(u64, Option<EdgeId>)> {
        match self {
            Seen::Bits(bits) => (!set_bit(bits, n.0)).then_some((0, None)),
            Seen::Map { map, bits_bound } => {
                match map.entry(n) {
                    Entry::Occupied(known) => return Some(*known.get()),
                    Entry::Vacant(slot) => {
                        slot.insert((depth, branch));
                    }
                }
                // A bit per id costs less than the map once the map holds more
                // than one node per 128 ids.
                if let Some(bound) = *bits_bound
                    && map.len() as u64 > bound / 128 + 64
                {
                    let mut bits = vec![0u64; bound.div_ceil(64) as usize];
                    for id in map.keys() {
                        set_bit(&mut bits, id.0);
                    }
                    *self = Seen::Bits(bits);
                }
                None
            }
        }
    }
}

/// Nodes at the end of some trail of `min..=max` hops (`min` is 0 or 1) from `a`, by
/// breadth-first search. `a` itself counts for `min = 1` only when a cycle through it
/// fits in `max` hops. Every node is listed once.
#[allow(clippy::too_many_arguments)]
fn reachable(
    ctx: &mut Ctx,
    a: NodeId,
    walk: &Walk,
    types: &[&str],
    min: u64,
    max: u64,
    target: Option<NodeId>,
    filter: &Option<Vec<(String, Value)>>,
) -> QueryResult<Vec<NodeId>> {
    let undirected = walk.dir == Direction::Both;
    let mut seen = Seen::new(ctx.read().node_id_bound(), undirected);
    seen.insert(a, 0, None);
    let mut out = Vec::new();
    let mut start_found = min == 0;
    if min == 0 {
        out.push(a);
        if target == Some(a) {
            return Ok(out);
        }
    }
    // Without AS OF and without a property filter every edge and node qualifies.
    let check = ctx.as_of.is_some() || filter.is_some();
    // Frontier entries: the node, its branch and its tree edge.
    let mut frontier: Vec<(NodeId, Option<EdgeId>, Option<EdgeId>)> = vec![(a, None, None)];
    let mut next = Vec::new();
    let mut ids = Vec::new();
    let mut batch = Vec::new();
    let mut depth = 0u64;
    while depth < max && !frontier.is_empty() {
        next.clear();
        // The frontier expands in chunks, so the store can overlap its memory reads
        // while a chunk's edges stay few.
        for chunk in frontier.chunks(FRONTIER_CHUNK) {
            ids.clear();
            ids.extend(chunk.iter().map(|f| f.0));
            ctx.read().neighbors_of(&ids, walk.dir, types, &mut batch)?;
            for &(i, x) in &batch {
                let Some(&(u, u_branch, u_tree)) = chunk.get(i) else {
                    continue;
                };
                ctx.tick()?;
                if check && (!edge_ok(ctx, x.edge, filter)? || !ctx.node_visible(x.other)?) {
                    continue;
                }
                let branch = if u == a { Some(x.edge) } else { u_branch };
                match seen.insert(x.other, depth + 1, branch) {
                    None => {
                        next.push((x.other, branch, Some(x.edge)));
                        out.push(x.other);
                        if target == Some(x.other) {
                            return Ok(vec![x.other]);
                        }
                    }
                    Some((d, v_branch)) if !start_found => {
                        // A cycle through `a` that is a trail: back to `a` directly (directed),
                        // or across two different branches of the search tree (undirected).
                        let closes = if undirected {
                            Some(x.edge) != u_tree && (v_branch != u_branch || (u == a && x.other == a))
                        } else {
                            x.other == a
                        };
                        let len = if undirected { depth + d + 1 } else { depth + 1 };
                        if closes && len <= max {
                            start_found = true;
                            out.push(a);
                            if target == Some(a) {
                                return Ok(vec![a]);
                            }
                        }
                    }
                    Some(_) => {}
                }
            }
        }
        std::mem::swap(&mut frontier, &mut next);
        depth += 1;
    }
    if let Some(t) = target {
        return Ok(if out.contains(&t) { vec![t] } else { Vec::new() });
    }
    Ok(out)
}

/// One parent link of a node reached by the search: the edge, the parent at its
/// other end, and whether the edge starts at the parent.
#[derive(Clone, Copy)]
struct Parent {
    edge: EdgeId,
    prev: NodeId,
    outgoing: bool,
}

impl Parent {
    /// The edge with its real direction, seen from `node` (the child).
    fn edge(&self, node: NodeId) -> EdgeValue {
        if self.outgoing {
            edge_struct(self.edge, self.prev, node)
        } else {
            edge_struct(self.edge, node, self.prev)
        }
    }
}

/// The first parent of each node reached by one side of the search (`None` for its root).
type Parents = FxHashMap<NodeId, Option<Parent>>;
/// Further parents of the same depth, kept only when every shortest path is wanted.
type MoreParents = FxHashMap<NodeId, Vec<Parent>>;

/// Shortest paths from `a` to `b` as edge lists, by bidirectional breadth-first search.
#[allow(clippy::too_many_arguments)]
fn shortest(
    ctx: &mut Ctx,
    a: NodeId,
    b: NodeId,
    walk: &Walk,
    types: &[&str],
    min: u64,
    max: u64,
    all: bool,
    filter: &Option<Vec<(String, Value)>>,
) -> QueryResult<Vec<Vec<EdgeValue>>> {
    if a == b {
        return Ok(if min == 0 { vec![Vec::new()] } else { Vec::new() });
    }
    if !ctx.node_visible(a)? || !ctx.node_visible(b)? {
        return Ok(Vec::new());
    }
    let check = ctx.as_of.is_some() || filter.is_some();
    let mut fwd: Parents = FxHashMap::default();
    let mut bwd: Parents = FxHashMap::default();
    let mut fwd_more: MoreParents = FxHashMap::default();
    let mut bwd_more: MoreParents = FxHashMap::default();
    fwd.insert(a, None);
    bwd.insert(b, None);
    let mut ff = vec![a];
    let mut bf = vec![b];
    let (mut df, mut db) = (0u64, 0u64);
    let back = reverse(walk.dir);
    let mut buf = Vec::new();
    // Nodes first met on the current level (only needed to keep every shortest path).
    let mut level: FxHashSet<NodeId> = FxHashSet::default();
    while df + db < max {
        let forward = ff.len() <= bf.len();
        let (frontier, parents, more, other, dir) = if forward {
            (&ff, &mut fwd, &mut fwd_more, &bwd, walk.dir)
        } else {
            (&bf, &mut bwd, &mut bwd_more, &fwd, back)
        };
        let mut next: Vec<NodeId> = Vec::new();
        level.clear();
        for &u in frontier {
            adjacency(ctx, u, dir, types, &mut buf)?;
            for x in &buf {
                ctx.tick()?;
                let v = x.other;
                let link = Parent {
                    edge: x.edge,
                    prev: u,
                    outgoing: x.outgoing,
                };
                if !all {
                    if let Entry::Vacant(slot) = parents.entry(v) {
                        if check && (!edge_ok(ctx, x.edge, filter)? || !ctx.node_visible(v)?) {
                            continue;
                        }
                        slot.insert(Some(link));
                        next.push(v);
                    }
                    continue;
                }
                // A node met on an earlier level already has its shortest parents.
                let known = parents.contains_key(&v);
                if known && !level.contains(&v) {
                    continue;
                }
                if check && (!edge_ok(ctx, x.edge, filter)? || !ctx.node_visible(v)?) {
                    continue;
                }
                if known {
                    more.entry(v).or_default().push(link);
                } else {
                    parents.insert(v, Some(link));
                    level.insert(v);
                    next.push(v);
                }
            }
        }
        if forward {
            df += 1;
        } else {
            db += 1;
        }
        let meet: Vec<NodeId> = next.iter().copied().filter(|v| other.contains_key(v)).collect();
        if !meet.is_empty() {
            let mut out = Vec::new();
            for m in meet {
                let left = unwind(ctx, &fwd, &fwd_more, a, m, all)?;
                let right = unwind(ctx, &bwd, &bwd_more, b, m, all)?;
                for l in &left {
                    for r in &right {
                        ctx.tick()?;
                        let mut p = l.clone();
                        p.extend(r.iter().rev().cloned());
                        out.push(p);
                        if !all {
                            return Ok(out);
                        }
                    }
                }
            }
            return Ok(out);
        }
        if next.is_empty() {
            return Ok(Vec::new());
        }
        if forward {
            ff = next;
        } else {
            bf = next;
        }
    }
    Ok(Vec::new())
}

/// Every parent chain from `root` to `node` (edges in order from root), or the first only.
/// There may be very many: the work counts against the statement's budgets.
fn unwind(
    ctx: &mut Ctx,
    parents: &Parents,
    more: &MoreParents,
    root: NodeId,
    node: NodeId,
    all: bool,
) -> QueryResult<Vec<Vec<EdgeValue>>> {
    if node == root {
        return Ok(vec![Vec::new()]);
    }
    let mut out = Vec::new();
    let first = parents.get(&node).copied().flatten();
    let rest = more.get(&node).map(Vec::as_slice).unwrap_or(&[]);
    for link in first.iter().chain(rest) {
        for mut chain in unwind(ctx, parents, more, root, link.prev, all)? {
            ctx.tick()?;
            chain.push(link.edge(node));
            out.push(chain);
            if !all {
                return Ok(out);
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seen_sets_answer_alike_and_bits_grow_past_their_bound() {
        let mut directed = Seen::new(Some(1_000), false);
        let mut map = Seen::new(Some(1_000), true);
        // Both start as maps; the directed one turns into bits once it holds more
        // than one node per 128 ids, and bits grow for an id past the bound.
        let ids: Vec<u64> = (0..200).map(|i| i * 7 % 1_000).chain([3, 5_000, 64, 5_000]).collect();
        let mut promoted_at = None;
        for (k, n) in ids.iter().enumerate() {
            let d = directed.insert(NodeId(*n), 1, None).is_some();
            let m = map.insert(NodeId(*n), 1, None).is_some();
            assert_eq!(d, m, "node {n}");
            if promoted_at.is_none() && matches!(directed, Seen::Bits(_)) {
                promoted_at = Some(k);
            }
        }
        assert_eq!(promoted_at, Some(71));
        assert!(matches!(map, Seen::Map { .. }));
        // The bits still know every node inserted before and after the change.
        for n in ids.iter().chain([&5_000]) {
            assert!(directed.insert(NodeId(*n), 2, None).is_some(), "node {n}");
        }
        assert!(directed.insert(NodeId(999), 2, None).is_none());
        // Depth and branch are kept by the map.
        assert_eq!(map.insert(NodeId(7), 5, None), Some((1, None)));
        // Without a bound, or past the largest one, a directed set stays a map.
        assert!(matches!(Seen::new(None, false), Seen::Map { bits_bound: None, .. }));
        assert!(matches!(
            Seen::new(Some(MAX_BIT_IDS + 1), false),
            Seen::Map { bits_bound: None, .. }
        ));
    }
}
