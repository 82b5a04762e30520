//! The read operators and the dispatcher.

use super::eval::{eval, eval_pred, slot_node};
use super::values::{Key, edge_val, node_val, path_from_edges};
use super::{Ctx, Flow, Row, varlen, write};
use crate::plan::{AggFunc, AggSpec, CExpr, Op, OpKind, PathStep};
use crate::{QueryError, QueryResult};
use lodestone_model::{Direction, EdgeId, NodeId, PathValue, Value, normalize_name};
use rustc_hash::{FxHashMap, FxHashSet};
use std::cmp::Ordering;

/// Where an operator sends its rows.
pub(crate) type Sink<'a, 'g> = dyn FnMut(&mut Ctx<'g>, &mut Row) -> QueryResult<Flow> + 'a;

pub(super) fn malformed() -> QueryError {
    QueryError::Unsupported {
        what: "malformed plan: an operator lacks its input".into(),
        span: None,
    }
}

pub(super) fn input_of(op: &Op) -> QueryResult<&Op> {
    op.input.as_deref().ok_or_else(malformed)
}

/// Runs `op` on the argument `row`, pushing every result row to `sink`.
pub(crate) fn run_op<'g>(op: &Op, ctx: &mut Ctx<'g>, row: &mut Row, sink: &mut Sink<'_, 'g>) -> QueryResult<Flow> {
    let prev = ctx.enter(op.id);
    let r = run_inner(op, ctx, row, sink);
    ctx.leave(prev);
    r
}

/// Runs the input of `op`, calling `body` per input row with profiling attributed to `op`.
pub(super) fn for_each_input<'g>(
    op: &Op,
    ctx: &mut Ctx<'g>,
    row: &mut Row,
    body: &mut dyn FnMut(&mut Ctx<'g>, &mut Row) -> QueryResult<Flow>,
) -> QueryResult<Flow> {
    let id = op.id;
    let input = input_of(op)?;
    run_op(input, ctx, row, &mut |c: &mut Ctx<'g>, r: &mut Row| {
        let prev = c.enter(id);
        let res = body(c, r);
        c.leave(prev);
        res
    })
}

/// Emits the current row from operator `id`.
#[inline]
pub(super) fn emit<'g>(id: usize, ctx: &mut Ctx<'g>, row: &mut Row, sink: &mut Sink<'_, 'g>) -> QueryResult<Flow> {
    ctx.emitted(id)?;
    sink(ctx, row)
}

/// Collects the adjacency of `node` into `buf`.
pub(super) fn adjacency(
    ctx: &Ctx,
    node: NodeId,
    dir: Direction,
    types: &[&str],
    buf: &mut Vec<lodestone_store::Adjacent>,
) -> QueryResult<()> {
    ctx.read().neighbors(node, dir, types, buf)?;
    Ok(())
}

/// The reverse of a direction.
pub(crate) fn reverse(dir: Direction) -> Direction {
    match dir {
        Direction::Outgoing => Direction::Incoming,
        Direction::Incoming => Direction::Outgoing,
        Direction::Both => Direction::Both,
    }
}

/// Whether a relationship slot already holds `edge` (relationship uniqueness within a MATCH).
pub(super) fn edge_taken(row: &Row, unique: &[usize], edge: EdgeId) -> bool {
    unique.iter().any(|s| match &row[*s] {
        Value::Edge(e) => e.id == edge,
        Value::List(items) => items.iter().any(|v| matches!(v, Value::Edge(e) if e.id == edge)),
        _ => false,
    })
}

/// The (first, last) nodes of every way to walk a list of relationships in order.
fn list_walks(ends: &[(NodeId, NodeId)], dir: Direction) -> Vec<(NodeId, NodeId)> {
    let Some(&(s0, e0)) = ends.first() else {
        return Vec::new();
    };
    let starts: Vec<NodeId> = match dir {
        Direction::Outgoing => vec![s0],
        Direction::Incoming => vec![e0],
        Direction::Both if s0 == e0 => vec![s0],
        Direction::Both => vec![s0, e0],
    };
    let mut out = Vec::new();
    'start: for start in starts {
        let mut cur = start;
        for &(s, e) in ends {
            cur = match dir {
                Direction::Outgoing if s == cur => e,
                Direction::Incoming if e == cur => s,
                Direction::Both if s == cur => e,
                Direction::Both if e == cur => s,
                _ => continue 'start,
            };
        }
        out.push((start, cur));
    }
    out
}

fn node_ok(ctx: &mut Ctx, id: NodeId, labels: &[String]) -> QueryResult<bool> {
    Ok(ctx.has_labels(id, labels)? && ctx.node_visible(id)?)
}

fn emit_nodes<'g>(
    id: usize,
    ids: &[NodeId],
    slot: usize,
    labels: &[String],
    ctx: &mut Ctx<'g>,
    row: &mut Row,
    sink: &mut Sink<'_, 'g>,
) -> QueryResult<Flow> {
    for &n in ids {
        ctx.tick()?;
        if !node_ok(ctx, n, labels)? {
            continue;
        }
        row[slot] = node_val(n);
        if emit(id, ctx, row, sink)? == Flow::Stop {
            return Ok(Flow::Stop);
        }
    }
    Ok(Flow::Go)
}

fn name_keys(v: &Value, out: &mut Vec<String>) -> bool {
    match v {
        Value::String(s) => {
            out.push(normalize_name(s));
            true
        }
        Value::List(items) => items.iter().all(|i| i.is_null() || name_keys(i, out)),
        Value::Null => true,
        _ => false,
    }
}

fn sort_keys(keys: &[(CExpr, bool)], ctx: &mut Ctx, row: &mut Row) -> QueryResult<Vec<Value>> {
    let mut out = Vec::with_capacity(keys.len());
    for (e, _) in keys {
        out.push(eval(e, ctx, row)?);
    }
    Ok(out)
}

fn cmp_keys(a: &[Value], b: &[Value], keys: &[(CExpr, bool)]) -> Ordering {
    for ((x, y), (_, desc)) in a.iter().zip(b).zip(keys) {
        let o = x.total_cmp(y);
        let o = if *desc { o.reverse() } else { o };
        if o != Ordering::Equal {
            return o;
        }
    }
    Ordering::Equal
}

fn build_path(row: &Row, start: usize, steps: &[PathStep]) -> Option<Value> {
    let first = slot_node(row, start)?;
    let mut edges = Vec::new();
    for step in steps {
        match step {
            PathStep::Edge { rel, .. } => match &row[*rel] {
                Value::Edge(e) => edges.push((**e).clone()),
                _ => return None,
            },
            PathStep::Edges { rel, .. } => match &row[*rel] {
                Value::List(items) => {
                    for i in items {
                        match i {
                            Value::Edge(e) => edges.push((**e).clone()),
                            _ => return None,
                        }
                    }
                }
                _ => return None,
            },
        }
    }
    let p: PathValue = path_from_edges(first, &edges);
    Some(Value::Path(Box::new(p)))
}

fn run_inner<'g>(op: &Op, ctx: &mut Ctx<'g>, row: &mut Row, sink: &mut Sink<'_, 'g>) -> QueryResult<Flow> {
    let id = op.id;
    match &op.kind {
        OpKind::Start => emit(id, ctx, row, sink),
        OpKind::AllNodes { .. } => op_all_nodes(op, ctx, row, sink),
        OpKind::LabelScan { .. } => op_label_scan(op, ctx, row, sink),
        OpKind::LabelUnionScan { .. } => op_label_union_scan(op, ctx, row, sink),
        OpKind::NameSeek { .. } => op_name_seek(op, ctx, row, sink),
        OpKind::PropSeek { .. } => op_prop_seek(op, ctx, row, sink),
        OpKind::IdSeek { .. } => op_id_seek(op, ctx, row, sink),
        OpKind::Expand { .. } => op_expand(op, ctx, row, sink),
        OpKind::BoundRel { .. } => op_bound_rel(op, ctx, row, sink),
        OpKind::VarExpand { .. } | OpKind::Reach { .. } | OpKind::Shortest { .. } => varlen::run(op, ctx, row, sink),
        OpKind::Filter { .. } => op_filter(op, ctx, row, sink),
        OpKind::BindPath { .. } => op_bind_path(op, ctx, row, sink),
        OpKind::Optional { .. } => op_optional(op, ctx, row, sink),
        OpKind::Project { .. } => op_project(op, ctx, row, sink),
        OpKind::Aggregate { keys, aggs } => run_aggregate(op, keys, aggs, ctx, row, sink),
        OpKind::Distinct { .. } => op_distinct(op, ctx, row, sink),
        OpKind::Sort { .. } => op_sort(op, ctx, row, sink),
        OpKind::TopK { .. } => op_top_k(op, ctx, row, sink),
        OpKind::Skip { .. } => op_skip(op, ctx, row, sink),
        OpKind::Limit { .. } => op_limit(op, ctx, row, sink),
        OpKind::Unwind { .. } => op_unwind(op, ctx, row, sink),
        OpKind::Eager => op_eager(op, ctx, row, sink),
        OpKind::Create { .. }
        | OpKind::Merge { .. }
        | OpKind::Set { .. }
        | OpKind::Remove { .. }
        | OpKind::Delete { .. }
        | OpKind::Cite { .. } => write::run(op, ctx, row, sink),
    }
}

/// Runs one `AllNodes` operator.
#[inline(never)]
fn op_all_nodes<'g>(op: &Op, ctx: &mut Ctx<'g>, row: &mut Row, sink: &mut Sink<'_, 'g>) -> QueryResult<Flow> {
    let id = op.id;
    match &op.kind {
        OpKind::AllNodes { slot, labels } => for_each_input(op, ctx, row, &mut |ctx, row| {
            let ids = ctx.read().all_nodes()?;
            emit_nodes(id, &ids, *slot, labels, ctx, row, sink)
        }),
        _ => Err(malformed()),
    }
}

/// Runs one `LabelScan` operator.
#[inline(never)]
fn op_label_scan<'g>(op: &Op, ctx: &mut Ctx<'g>, row: &mut Row, sink: &mut Sink<'_, 'g>) -> QueryResult<Flow> {
    let id = op.id;
    match &op.kind {
        OpKind::LabelScan { slot, label, labels } => for_each_input(op, ctx, row, &mut |ctx, row| {
            let ids = ctx.read().nodes_with_label(label)?;
            emit_nodes(id, &ids, *slot, labels, ctx, row, sink)
        }),
        _ => Err(malformed()),
    }
}

/// Runs one `LabelUnionScan` operator.
#[inline(never)]
fn op_label_union_scan<'g>(op: &Op, ctx: &mut Ctx<'g>, row: &mut Row, sink: &mut Sink<'_, 'g>) -> QueryResult<Flow> {
    let id = op.id;
    match &op.kind {
        OpKind::LabelUnionScan { slot, any, labels } => for_each_input(op, ctx, row, &mut |ctx, row| {
            let mut ids = Vec::new();
            for label in any {
                ids.extend(ctx.read().nodes_with_label(label)?);
            }
            // A node with several of the labels is emitted once.
            ids.sort_unstable();
            ids.dedup();
            emit_nodes(id, &ids, *slot, labels, ctx, row, sink)
        }),
        _ => Err(malformed()),
    }
}

/// Runs one `NameSeek` operator.
#[inline(never)]
fn op_name_seek<'g>(op: &Op, ctx: &mut Ctx<'g>, row: &mut Row, sink: &mut Sink<'_, 'g>) -> QueryResult<Flow> {
    let id = op.id;
    match &op.kind {
        OpKind::NameSeek { slot, value, labels } => for_each_input(op, ctx, row, &mut |ctx, row| {
            let v = eval(value, ctx, row)?;
            let mut keys = Vec::new();
            let ids = if name_keys(&v, &mut keys) {
                let mut ids = Vec::new();
                for k in &keys {
                    ids.extend(ctx.read().lookup_name(k)?);
                }
                ids.sort_unstable();
                ids.dedup();
                ids
            } else {
                // Only strings are name-indexed: look at every node and let the filter decide.
                ctx.read().all_nodes()?
            };
            emit_nodes(id, &ids, *slot, labels, ctx, row, sink)
        }),
        _ => Err(malformed()),
    }
}

/// Runs one `PropSeek` operator.
#[inline(never)]
fn op_prop_seek<'g>(op: &Op, ctx: &mut Ctx<'g>, row: &mut Row, sink: &mut Sink<'_, 'g>) -> QueryResult<Flow> {
    let id = op.id;
    match &op.kind {
        OpKind::PropSeek {
            slot,
            label,
            key,
            value,
            labels,
        } => for_each_input(op, ctx, row, &mut |ctx, row| {
            let v = eval(value, ctx, row)?;
            if v.is_null() {
                return Ok(Flow::Go);
            }
            let ids = match ctx.read().find_by_property(label, key, &v)? {
                Some(ids) => ids,
                None => ctx.read().nodes_with_label(label)?,
            };
            emit_nodes(id, &ids, *slot, labels, ctx, row, sink)
        }),
        _ => Err(malformed()),
    }
}

/// Runs one `IdSeek` operator.
#[inline(never)]
fn op_id_seek<'g>(op: &Op, ctx: &mut Ctx<'g>, row: &mut Row, sink: &mut Sink<'_, 'g>) -> QueryResult<Flow> {
    let id = op.id;
    match &op.kind {
        OpKind::IdSeek { slot, value, labels } => for_each_input(op, ctx, row, &mut |ctx, row| {
            let v = eval(value, ctx, row)?;
            let mut ids = Vec::new();
            let mut push = |v: &Value| {
                if let Value::Int(i) = v
                    && *i >= 0
                {
                    ids.push(NodeId(*i as u64));
                }
            };
            match &v {
                Value::List(items) => items.iter().for_each(&mut push),
                other => push(other),
            }
            let ids: Vec<NodeId> = ids.into_iter().filter(|n| ctx.read().has_node(*n)).collect();
            emit_nodes(id, &ids, *slot, labels, ctx, row, sink)
        }),
        _ => Err(malformed()),
    }
}

/// Runs one `Expand` operator.
#[inline(never)]
fn op_expand<'g>(op: &Op, ctx: &mut Ctx<'g>, row: &mut Row, sink: &mut Sink<'_, 'g>) -> QueryResult<Flow> {
    let id = op.id;
    match &op.kind {
        OpKind::Expand {
            from,
            rel,
            to,
            walk,
            into,
            unique,
        } => {
            let types: Vec<&str> = walk.types.iter().map(String::as_str).collect();
            let mut buf = Vec::new();
            for_each_input(op, ctx, row, &mut |ctx, row| {
                let Some(a) = slot_node(row, *from) else {
                    return Ok(Flow::Go);
                };
                // Walk from `a`, or into `a` from the far end when that end has fewer edges.
                let mut from_far = false;
                let target = if *into { slot_node(row, *to) } else { None };
                if *into {
                    let Some(b) = target else {
                        return Ok(Flow::Go);
                    };
                    let rd = reverse(walk.dir);
                    if a != b && ctx.read().degree(b, rd, &types)? < ctx.read().degree(a, walk.dir, &types)? {
                        from_far = true;
                        adjacency(ctx, b, rd, &types, &mut buf)?;
                    } else {
                        adjacency(ctx, a, walk.dir, &types, &mut buf)?;
                    }
                } else {
                    adjacency(ctx, a, walk.dir, &types, &mut buf)?;
                }
                for x in &buf {
                    ctx.tick()?;
                    // `x` is seen from `origin`; `reached` is the node at its other end.
                    let (origin, reached) = match (from_far, target) {
                        (true, Some(b)) => (b, x.other),
                        _ => (a, x.other),
                    };
                    if *into {
                        let want = if from_far { Some(a) } else { target };
                        if Some(reached) != want {
                            continue;
                        }
                    }
                    if edge_taken(row, unique, x.edge) || !ctx.edge_visible(x.edge)? {
                        continue;
                    }
                    if !*into && !node_ok(ctx, reached, &walk.to_labels)? {
                        continue;
                    }
                    let (s, e) = if x.outgoing {
                        (origin, reached)
                    } else {
                        (reached, origin)
                    };
                    row[*rel] = edge_val(x.edge, s, e);
                    if !*into {
                        row[*to] = node_val(reached);
                    }
                    if emit(id, ctx, row, sink)? == Flow::Stop {
                        return Ok(Flow::Stop);
                    }
                }
                Ok(Flow::Go)
            })
        }
        _ => Err(malformed()),
    }
}

/// Runs one `BoundRel` operator.
#[inline(never)]
fn op_bound_rel<'g>(op: &Op, ctx: &mut Ctx<'g>, row: &mut Row, sink: &mut Sink<'_, 'g>) -> QueryResult<Flow> {
    let id = op.id;
    match &op.kind {
        OpKind::BoundRel {
            rel,
            left,
            right,
            left_bound,
            right_bound,
            dir,
            types,
            left_labels,
            right_labels,
            hops,
        } => for_each_input(op, ctx, row, &mut |ctx, row| {
            let options = match hops {
                None => {
                    let Value::Edge(e) = &row[*rel] else {
                        return Ok(Flow::Go);
                    };
                    let Some((t, s, en)) = ctx.read().edge_ends(e.id)? else {
                        return Ok(Flow::Go);
                    };
                    if !types.is_empty() && !types.contains(&t) {
                        return Ok(Flow::Go);
                    }
                    let mut options = Vec::with_capacity(2);
                    match dir {
                        Direction::Outgoing => options.push((s, en)),
                        Direction::Incoming => options.push((en, s)),
                        Direction::Both => {
                            options.push((s, en));
                            if s != en {
                                options.push((en, s));
                            }
                        }
                    }
                    options
                }
                Some((min, max)) => {
                    let Value::List(items) = &row[*rel] else {
                        return Ok(Flow::Go);
                    };
                    let n = items.len() as u64;
                    if n < *min || n > *max || items.is_empty() {
                        return Ok(Flow::Go);
                    }
                    let mut ends = Vec::with_capacity(items.len());
                    for item in items {
                        let Value::Edge(e) = item else {
                            return Ok(Flow::Go);
                        };
                        let Some((t, s, en)) = ctx.read().edge_ends(e.id)? else {
                            return Ok(Flow::Go);
                        };
                        if !types.is_empty() && !types.contains(&t) {
                            return Ok(Flow::Go);
                        }
                        ends.push((s, en));
                    }
                    list_walks(&ends, *dir)
                }
            };
            for (l, r) in options {
                if *left_bound && slot_node(row, *left) != Some(l) {
                    continue;
                }
                if *right_bound && slot_node(row, *right) != Some(r) {
                    continue;
                }
                if !node_ok(ctx, l, left_labels)? || !node_ok(ctx, r, right_labels)? {
                    continue;
                }
                row[*left] = node_val(l);
                row[*right] = node_val(r);
                if emit(id, ctx, row, sink)? == Flow::Stop {
                    return Ok(Flow::Stop);
                }
            }
            Ok(Flow::Go)
        }),
        _ => Err(malformed()),
    }
}

/// Runs one `Filter` operator.
#[inline(never)]
fn op_filter<'g>(op: &Op, ctx: &mut Ctx<'g>, row: &mut Row, sink: &mut Sink<'_, 'g>) -> QueryResult<Flow> {
    let id = op.id;
    match &op.kind {
        OpKind::Filter { pred } => for_each_input(op, ctx, row, &mut |ctx, row| {
            if eval_pred(pred, ctx, row)? {
                emit(id, ctx, row, sink)
            } else {
                Ok(Flow::Go)
            }
        }),
        _ => Err(malformed()),
    }
}

/// Runs one `BindPath` operator.
#[inline(never)]
fn op_bind_path<'g>(op: &Op, ctx: &mut Ctx<'g>, row: &mut Row, sink: &mut Sink<'_, 'g>) -> QueryResult<Flow> {
    let id = op.id;
    match &op.kind {
        OpKind::BindPath { slot, start, steps } => for_each_input(op, ctx, row, &mut |ctx, row| {
            row[*slot] = build_path(row, *start, steps).unwrap_or(Value::Null);
            emit(id, ctx, row, sink)
        }),
        _ => Err(malformed()),
    }
}

/// Runs one `Optional` operator.
#[inline(never)]
fn op_optional<'g>(op: &Op, ctx: &mut Ctx<'g>, row: &mut Row, sink: &mut Sink<'_, 'g>) -> QueryResult<Flow> {
    let id = op.id;
    match &op.kind {
        OpKind::Optional { sub, nulls } => for_each_input(op, ctx, row, &mut |ctx, row| {
            let mut found = false;
            let flow = run_op(sub, ctx, row, &mut |ctx, row| {
                found = true;
                emit(id, ctx, row, sink)
            })?;
            if flow == Flow::Stop {
                return Ok(Flow::Stop);
            }
            if found {
                return Ok(Flow::Go);
            }
            for s in nulls {
                row[*s] = Value::Null;
            }
            emit(id, ctx, row, sink)
        }),
        _ => Err(malformed()),
    }
}

/// Runs one `Project` operator.
#[inline(never)]
fn op_project<'g>(op: &Op, ctx: &mut Ctx<'g>, row: &mut Row, sink: &mut Sink<'_, 'g>) -> QueryResult<Flow> {
    let id = op.id;
    match &op.kind {
        OpKind::Project { items } => for_each_input(op, ctx, row, &mut |ctx, row| {
            for (slot, e) in items {
                let v = eval(e, ctx, row)?;
                row[*slot] = v;
            }
            emit(id, ctx, row, sink)
        }),
        _ => Err(malformed()),
    }
}

/// Runs one `Distinct` operator.
#[inline(never)]
fn op_distinct<'g>(op: &Op, ctx: &mut Ctx<'g>, row: &mut Row, sink: &mut Sink<'_, 'g>) -> QueryResult<Flow> {
    let id = op.id;
    match &op.kind {
        OpKind::Distinct { slots } => {
            let mut seen: FxHashSet<Key> = FxHashSet::default();
            for_each_input(op, ctx, row, &mut |ctx, row| {
                let key = Key(slots.iter().map(|s| row[*s].clone()).collect());
                if seen.insert(key) {
                    emit(id, ctx, row, sink)
                } else {
                    Ok(Flow::Go)
                }
            })
        }
        _ => Err(malformed()),
    }
}

/// Runs one `Sort` operator.
#[inline(never)]
fn op_sort<'g>(op: &Op, ctx: &mut Ctx<'g>, row: &mut Row, sink: &mut Sink<'_, 'g>) -> QueryResult<Flow> {
    let id = op.id;
    match &op.kind {
        OpKind::Sort { keys } => {
            let mut rows: Vec<(Vec<Value>, Row)> = Vec::new();
            let flow = for_each_input(op, ctx, row, &mut |ctx, row| {
                let k = sort_keys(keys, ctx, row)?;
                rows.push((k, row.clone()));
                ctx.tick()?;
                Ok(Flow::Go)
            })?;
            if flow == Flow::Stop {
                return Ok(Flow::Stop);
            }
            rows.sort_by(|a, b| cmp_keys(&a.0, &b.0, keys));
            for (_, mut r) in rows {
                if emit(id, ctx, &mut r, sink)? == Flow::Stop {
                    return Ok(Flow::Stop);
                }
            }
            Ok(Flow::Go)
        }
        _ => Err(malformed()),
    }
}

/// Runs one `TopK` operator.
#[inline(never)]
fn op_top_k<'g>(op: &Op, ctx: &mut Ctx<'g>, row: &mut Row, sink: &mut Sink<'_, 'g>) -> QueryResult<Flow> {
    let id = op.id;
    match &op.kind {
        OpKind::TopK { keys, skip, limit } => {
            let k = skip.saturating_add(*limit) as usize;
            let mut rows: Vec<(Vec<Value>, Row)> = Vec::new();
            // Once `k` rows are kept, a row that sorts at or after the last of them
            // cannot enter (the sort is stable, so a tie keeps the earlier row).
            let mut full = false;
            // The sort key of the row at hand; taken only when the row is kept.
            let mut key: Vec<Value> = Vec::new();
            // Whether the keys from position `i` on only read slots (so they cannot fail
            // and need not be evaluated for a row already known to stay out).
            let reads_only: Vec<bool> = (0..keys.len())
                .map(|i| keys[i..].iter().all(|(e, _)| matches!(e, CExpr::Slot(_))))
                .collect();
            if k > 0 {
                for_each_input(op, ctx, row, &mut |ctx, row| {
                    key.clear();
                    let last = if full { rows.get(k - 1) } else { None };
                    let mut order = Ordering::Equal;
                    for (i, (e, desc)) in keys.iter().enumerate() {
                        if order == Ordering::Greater && reads_only[i] {
                            break;
                        }
                        key.push(eval(e, ctx, row)?);
                        if order == Ordering::Equal
                            && let Some(l) = last
                            && let Some(v) = l.0.get(i)
                        {
                            let o = key[i].total_cmp(v);
                            order = if *desc { o.reverse() } else { o };
                        }
                    }
                    if last.is_some() && order != Ordering::Less {
                        return Ok(Flow::Go);
                    }
                    rows.push((std::mem::take(&mut key), row.clone()));
                    if rows.len() >= k.saturating_mul(2).max(64) {
                        rows.sort_by(|a, b| cmp_keys(&a.0, &b.0, keys));
                        rows.truncate(k);
                        full = true;
                    }
                    Ok(Flow::Go)
                })?;
            }
            rows.sort_by(|a, b| cmp_keys(&a.0, &b.0, keys));
            rows.truncate(k);
            for (_, mut r) in rows.into_iter().skip(*skip as usize) {
                if emit(id, ctx, &mut r, sink)? == Flow::Stop {
                    return Ok(Flow::Stop);
                }
            }
            Ok(Flow::Go)
        }
        _ => Err(malformed()),
    }
}

/// Runs one `Skip` operator.
#[inline(never)]
fn op_skip<'g>(op: &Op, ctx: &mut Ctx<'g>, row: &mut Row, sink: &mut Sink<'_, 'g>) -> QueryResult<Flow> {
    let id = op.id;
    match &op.kind {
        OpKind::Skip { count } => {
            let mut seen = 0u64;
            for_each_input(op, ctx, row, &mut |ctx, row| {
                if seen < *count {
                    seen += 1;
                    return Ok(Flow::Go);
                }
                emit(id, ctx, row, sink)
            })
        }
        _ => Err(malformed()),
    }
}

/// Runs one `Limit` operator.
#[inline(never)]
fn op_limit<'g>(op: &Op, ctx: &mut Ctx<'g>, row: &mut Row, sink: &mut Sink<'_, 'g>) -> QueryResult<Flow> {
    let id = op.id;
    match &op.kind {
        OpKind::Limit { count } => {
            if *count == 0 {
                // The input still runs (its updates happen), but no row passes.
                for_each_input(op, ctx, row, &mut |_, _| Ok(Flow::Stop))?;
                return Ok(Flow::Go);
            }
            let mut n = 0u64;
            let mut stopped_above = false;
            for_each_input(op, ctx, row, &mut |ctx, row| {
                n += 1;
                if emit(id, ctx, row, sink)? == Flow::Stop {
                    stopped_above = true;
                    return Ok(Flow::Stop);
                }
                Ok(if n >= *count { Flow::Stop } else { Flow::Go })
            })?;
            Ok(if stopped_above { Flow::Stop } else { Flow::Go })
        }
        _ => Err(malformed()),
    }
}

/// Runs one `Unwind` operator.
#[inline(never)]
fn op_unwind<'g>(op: &Op, ctx: &mut Ctx<'g>, row: &mut Row, sink: &mut Sink<'_, 'g>) -> QueryResult<Flow> {
    let id = op.id;
    match &op.kind {
        OpKind::Unwind { expr, slot } => for_each_input(op, ctx, row, &mut |ctx, row| match eval(expr, ctx, row)? {
            Value::Null => Ok(Flow::Go),
            Value::List(items) => {
                for item in items {
                    row[*slot] = item;
                    if emit(id, ctx, row, sink)? == Flow::Stop {
                        return Ok(Flow::Stop);
                    }
                }
                Ok(Flow::Go)
            }
            other => {
                row[*slot] = other;
                emit(id, ctx, row, sink)
            }
        }),
        _ => Err(malformed()),
    }
}

/// Runs one `Eager` operator.
#[inline(never)]
fn op_eager<'g>(op: &Op, ctx: &mut Ctx<'g>, row: &mut Row, sink: &mut Sink<'_, 'g>) -> QueryResult<Flow> {
    let id = op.id;
    match &op.kind {
        OpKind::Eager => {
            let mut rows: Vec<Row> = Vec::new();
            let flow = for_each_input(op, ctx, row, &mut |ctx, row| {
                rows.push(row.clone());
                ctx.tick()?;
                Ok(Flow::Go)
            })?;
            if flow == Flow::Stop {
                return Ok(Flow::Stop);
            }
            for mut r in rows {
                if emit(id, ctx, &mut r, sink)? == Flow::Stop {
                    return Ok(Flow::Stop);
                }
            }
            Ok(Flow::Go)
        }
        _ => Err(malformed()),
    }
}

/// The running state of one aggregate in one group.
enum Acc {
    Count(i64),
    Sum(Option<Value>),
    Avg(Option<Value>, i64),
    Min(Option<Value>),
    Max(Option<Value>),
    Collect(Vec<Value>),
    /// Numbers for stDev (sample when true) and stDevP.
    Spread(Vec<f64>, bool),
    /// Values and the percentile for percentileCont (continuous when true) and percentileDisc.
    Percentile(Vec<Value>, f64, bool),
}

impl Acc {
    fn new(f: AggFunc) -> Acc {
        match f {
            AggFunc::StDev => Acc::Spread(Vec::new(), true),
            AggFunc::StDevP => Acc::Spread(Vec::new(), false),
            AggFunc::PercentileCont => Acc::Percentile(Vec::new(), 0.0, true),
            AggFunc::PercentileDisc => Acc::Percentile(Vec::new(), 0.0, false),
            AggFunc::Count | AggFunc::CountStar => Acc::Count(0),
            AggFunc::Sum => Acc::Sum(None),
            AggFunc::Avg => Acc::Avg(None, 0),
            AggFunc::Min => Acc::Min(None),
            AggFunc::Max => Acc::Max(None),
            AggFunc::Collect => Acc::Collect(Vec::new()),
        }
    }

    /// [`Acc::add`] of a lent value: counts and sums of money take it without a copy.
    fn add_ref(&mut self, v: &Value) -> QueryResult<()> {
        match (self, v) {
            (Acc::Count(n), _) => *n += 1,
            (Acc::Sum(Some(Value::Money(sum))), Value::Money(m)) => sum.checked_add_assign(m)?,
            (acc, v) => acc.add(v.clone())?,
        }
        Ok(())
    }

    fn add(&mut self, v: Value) -> QueryResult<()> {
        use super::values::{Arith, arith};
        match self {
            Acc::Count(n) => *n += 1,
            Acc::Sum(s) => {
                check_summable("sum", &v)?;
                *s = Some(match s.take() {
                    None => v,
                    Some(prev) => arith(Arith::Add, prev, v)?,
                });
            }
            Acc::Avg(s, n) => {
                check_summable("avg", &v)?;
                let v = match v {
                    Value::Int(i) => Value::Float(i as f64),
                    other => other,
                };
                *s = Some(match s.take() {
                    None => v,
                    Some(prev) => arith(Arith::Add, prev, v)?,
                });
                *n += 1;
            }
            Acc::Min(_) | Acc::Max(_) => {
                let want = if matches!(self, Acc::Min(_)) {
                    Ordering::Less
                } else {
                    Ordering::Greater
                };
                let (Acc::Min(m) | Acc::Max(m)) = self else {
                    return Ok(());
                };
                let replace = match m.as_ref() {
                    None => true,
                    Some(cur) => {
                        let o = match (cur, &v) {
                            (Value::Money(a), Value::Money(b)) => b.compare(a)?,
                            _ => match v.compare(cur)? {
                                Some(o) => o,
                                None => v.total_cmp(cur),
                            },
                        };
                        o == want
                    }
                };
                if replace {
                    *m = Some(v);
                }
            }
            Acc::Collect(items) => {
                super::limits::check_item(&v)?;
                super::limits::check_list_len(items.len() + 1)?;
                items.push(v)
            }
            Acc::Spread(xs, _) => match v.as_f64() {
                Some(x) if !matches!(v, Value::Percent(_)) => xs.push(x),
                _ => {
                    return Err(QueryError::Type {
                        message: format!("stDev() expects numbers, got {}", v.kind().name()),
                        span: None,
                    });
                }
            },
            Acc::Percentile(xs, _, _) => match v {
                Value::Int(_) | Value::Float(_) => xs.push(v),
                other => {
                    return Err(QueryError::Type {
                        message: format!("percentile functions expect numbers, got {}", other.kind().name()),
                        span: None,
                    });
                }
            },
        }
        Ok(())
    }

    /// Records the percentile argument, which must lie in 0..=1.
    fn set_percentile(&mut self, p: &Value) -> QueryResult<()> {
        if let Acc::Percentile(_, slot, _) = self {
            let x = match p {
                Value::Int(i) => *i as f64,
                Value::Float(f) => *f,
                other => {
                    return Err(QueryError::Argument {
                        message: format!("the percentile must be a number between 0 and 1, got {other}"),
                        span: None,
                    });
                }
            };
            if !(0.0..=1.0).contains(&x) {
                return Err(QueryError::Argument {
                    message: format!("the percentile must be between 0 and 1, got {p}"),
                    span: None,
                });
            }
            *slot = x;
        }
        Ok(())
    }

    fn finish(self) -> QueryResult<Value> {
        use super::values::{Arith, arith};
        Ok(match self {
            Acc::Count(n) => Value::Int(n),
            Acc::Sum(s) => s.unwrap_or(Value::Int(0)),
            Acc::Avg(None, _) => Value::Null,
            Acc::Avg(Some(s), n) => arith(Arith::Div, s, Value::Int(n))?,
            Acc::Min(m) | Acc::Max(m) => m.unwrap_or(Value::Null),
            Acc::Collect(items) => Value::List(items),
            Acc::Spread(xs, sample) => {
                let n = xs.len() as f64;
                let denom = if sample { n - 1.0 } else { n };
                if xs.is_empty() || denom <= 0.0 {
                    Value::Float(0.0)
                } else {
                    let mean = xs.iter().sum::<f64>() / n;
                    let var = xs.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>() / denom;
                    Value::Float(var.sqrt())
                }
            }
            Acc::Percentile(mut xs, p, continuous) => {
                if xs.is_empty() {
                    return Ok(Value::Null);
                }
                xs.sort_by(Value::total_cmp);
                let n = xs.len();
                if continuous {
                    let pos = p * (n - 1) as f64;
                    let (lo, hi) = (pos.floor() as usize, pos.ceil() as usize);
                    let a = xs[lo].as_f64().unwrap_or(f64::NAN);
                    let b = xs[hi.min(n - 1)].as_f64().unwrap_or(f64::NAN);
                    Value::Float(a + (b - a) * (pos - lo as f64))
                } else {
                    let idx = ((p * n as f64).ceil() as usize).saturating_sub(1).min(n - 1);
                    xs.swap_remove(idx)
                }
            }
        })
    }
}

fn check_summable(name: &str, v: &Value) -> QueryResult<()> {
    match v {
        Value::Int(_) | Value::Float(_) | Value::Money(_) | Value::Percent(_) => Ok(()),
        other => Err(QueryError::Type {
            message: format!("{name}() expects numbers or money, got {}", other.kind().name()),
            span: None,
        }),
    }
}

/// Whether an aggregate takes `v`: nulls never count, and under DISTINCT (`seen`)
/// neither do values already taken.
fn counts(seen: Option<&mut DistinctSet>, v: &Value) -> bool {
    !v.is_null() && seen.is_none_or(|s| s.insert(v))
}

/// The values a DISTINCT aggregate has taken. Nodes and relationships are equal by
/// id alone (and never equal to other kinds), so they are kept as bare ids.
#[derive(Default)]
struct DistinctSet {
    nodes: FxHashSet<NodeId>,
    edges: FxHashSet<EdgeId>,
    other: FxHashSet<super::values::Key1>,
}

impl DistinctSet {
    /// Whether `v` is new (and remembers it).
    fn insert(&mut self, v: &Value) -> bool {
        match v {
            Value::Node(n) => self.nodes.insert(n.id),
            Value::Edge(e) => self.edges.insert(e.id),
            other => self.other.insert(super::values::Key1(other.clone())),
        }
    }
}

/// The groups of one aggregation, numbered in the order first seen. Each group's
/// key values live once, in the index; its aggregates' states sit side by side in
/// one vector (and its DISTINCT sets in another, only when an aggregate is DISTINCT),
/// so a new group costs no allocation of its own.
struct Groups<'p> {
    aggs: &'p [AggSpec],
    index: FxHashMap<Key, usize>,
    /// Key values of the row being grouped (reused while its group exists).
    probe: Vec<Value>,
    count: usize,
    accs: Vec<Acc>,
    seen: Vec<Option<DistinctSet>>,
    distinct: bool,
}

impl<'p> Groups<'p> {
    /// No groups yet; with no grouping keys, the single group exists from the start.
    fn new(aggs: &'p [AggSpec], grouped: bool) -> Self {
        let mut groups = Groups {
            aggs,
            index: FxHashMap::default(),
            probe: Vec::new(),
            count: 0,
            accs: Vec::new(),
            seen: Vec::new(),
            distinct: aggs.iter().any(|a| a.distinct),
        };
        if !grouped {
            groups.add();
        }
        groups
    }

    fn add(&mut self) -> usize {
        self.accs.extend(self.aggs.iter().map(|a| Acc::new(a.func)));
        if self.distinct {
            self.seen
                .extend(self.aggs.iter().map(|a| a.distinct.then(DistinctSet::default)));
        }
        self.count += 1;
        self.count - 1
    }

    /// The group of `row`'s key values, made when new (group 0 when nothing is grouped).
    fn of(&mut self, keys: &[(usize, CExpr)], ctx: &mut Ctx, row: &mut Row) -> QueryResult<usize> {
        if keys.is_empty() {
            return Ok(0);
        }
        let mut key = Key(std::mem::take(&mut self.probe));
        key.0.clear();
        for (_, e) in keys {
            key.0.push(eval(e, ctx, row)?);
        }
        if let Some(g) = self.index.get(&key) {
            self.probe = key.0;
            return Ok(*g);
        }
        let g = self.add();
        self.index.insert(key, g);
        Ok(g)
    }

    /// The state of aggregate `i` in group `g`, and its DISTINCT set if it has one.
    fn acc(&mut self, g: usize, i: usize) -> (&mut Acc, Option<&mut DistinctSet>) {
        let at = g * self.aggs.len() + i;
        (&mut self.accs[at], self.seen.get_mut(at).and_then(Option::as_mut))
    }

    /// Emits one row per group, in the order the groups were first seen.
    fn emit<'g>(
        self,
        id: usize,
        keys: &[(usize, CExpr)],
        width: usize,
        ctx: &mut Ctx<'g>,
        sink: &mut Sink<'_, 'g>,
    ) -> QueryResult<Flow> {
        let mut key_of: Vec<Vec<Value>> = vec![Vec::new(); self.count];
        for (k, g) in self.index {
            key_of[g] = k.0;
        }
        let n = self.aggs.len();
        let mut accs = self.accs.into_iter();
        // One row for every group: each fills the same slots, and the operators
        // above take what they keep.
        let mut out = vec![Value::Null; width];
        for key in key_of {
            for ((slot, _), v) in keys.iter().zip(key) {
                out[*slot] = v;
            }
            for (a, acc) in self.aggs.iter().zip(accs.by_ref().take(n)) {
                out[a.slot] = acc.finish()?;
            }
            if emit(id, ctx, &mut out, sink)? == Flow::Stop {
                return Ok(Flow::Stop);
            }
        }
        Ok(Flow::Go)
    }
}

/// `count(x)` or `count(DISTINCT x)` with no grouping directly over a `Reach` that
/// binds `x`: counts the reached nodes without building a row for each. `None` when the
/// plan has another shape (or under PROFILE, which shows the operators as planned).
fn reach_count<'g>(
    op: &Op,
    keys: &[(usize, CExpr)],
    aggs: &[AggSpec],
    ctx: &mut Ctx<'g>,
    row: &mut Row,
    sink: &mut Sink<'_, 'g>,
) -> QueryResult<Option<Flow>> {
    let ([agg], true, false) = (aggs, keys.is_empty(), ctx.profile) else {
        return Ok(None);
    };
    let (Some(CExpr::Slot(x)), AggFunc::Count, None) = (&agg.arg, agg.func, &agg.param) else {
        return Ok(None);
    };
    let Some(reach) = op.input.as_deref() else {
        return Ok(None);
    };
    if !matches!(&reach.kind, OpKind::Reach { to, into: false, .. } if to == x) {
        return Ok(None);
    }
    let mut count: i64 = 0;
    // One search yields each node once, but several input rows may reach the same node.
    let mut seen: FxHashSet<NodeId> = FxHashSet::default();
    let distinct = agg.distinct;
    let flow = varlen::reach_each(reach, ctx, row, &mut |ctx, _, n| {
        ctx.emitted(reach.id)?;
        if !distinct || seen.insert(n) {
            count += 1;
        }
        Ok(Flow::Go)
    })?;
    if flow == Flow::Stop {
        return Ok(Some(Flow::Stop));
    }
    let mut out = vec![Value::Null; row.len()];
    out[agg.slot] = Value::Int(count);
    emit(op.id, ctx, &mut out, sink).map(Some)
}

fn run_aggregate<'g>(
    op: &Op,
    keys: &[(usize, CExpr)],
    aggs: &[AggSpec],
    ctx: &mut Ctx<'g>,
    row: &mut Row,
    sink: &mut Sink<'_, 'g>,
) -> QueryResult<Flow> {
    if let Some(flow) = reach_count(op, keys, aggs, ctx, row, sink)? {
        return Ok(flow);
    }
    if let Some(flow) = expand_aggregate(op, keys, aggs, ctx, row, sink)? {
        return Ok(flow);
    }
    let width = row.len();
    let mut groups = Groups::new(aggs, !keys.is_empty());
    let flow = for_each_input(op, ctx, row, &mut |ctx, row| {
        ctx.tick()?;
        let g = groups.of(keys, ctx, row)?;
        for (i, a) in aggs.iter().enumerate() {
            let v = match (&a.arg, a.func) {
                (_, AggFunc::CountStar) | (None, _) => Value::Bool(true),
                (Some(e), _) => eval(e, ctx, row)?,
            };
            let (acc, seen) = groups.acc(g, i);
            if let Some(p) = &a.param {
                let pv = eval(p, ctx, row)?;
                acc.set_percentile(&pv)?;
            }
            if counts(seen, &v) {
                acc.add(v)?;
            }
        }
        Ok(Flow::Go)
    })?;
    if flow == Flow::Stop {
        return Ok(Flow::Stop);
    }
    groups.emit(op.id, keys, width, ctx, sink)
}

/// How [`expand_aggregate`] reads one aggregate's argument.
enum AggArg<'p> {
    /// `count(*)`: nothing to read.
    Star,
    /// A property of the relationship: read for all of a node's relationships at once.
    RelProp(&'p str),
    /// Anything else: evaluated on a row per relationship, as the plain path does.
    Row(&'p CExpr),
}

/// Whether `e` evaluates to the same value whenever the slots it reads hold the same
/// values, reads neither `rel` nor `to`, and runs no sub-plan: such a group key may
/// be evaluated once per input row of an `Expand` instead of once per relationship.
fn fixed_before_expand(e: &CExpr, rel: usize, to: usize) -> bool {
    use crate::plan::Func;
    let args_ok = |items: &[CExpr]| items.iter().all(|i| fixed_before_expand(i, rel, to));
    match e {
        CExpr::Const(_) => true,
        CExpr::Slot(s) => *s != rel && *s != to,
        CExpr::Prop(t, _) | CExpr::Not(t) | CExpr::Neg(t) | CExpr::IsNull(t, _) | CExpr::HasLabels(t, _) => {
            fixed_before_expand(t, rel, to)
        }
        CExpr::List(items) => args_ok(items),
        CExpr::Func(f, items) => *f != Func::Rand && args_ok(items),
        CExpr::Arith(_, a, b)
        | CExpr::Cmp(_, a, b)
        | CExpr::Str(_, a, b)
        | CExpr::And(a, b)
        | CExpr::Or(a, b)
        | CExpr::Xor(a, b) => fixed_before_expand(a, rel, to) && fixed_before_expand(b, rel, to),
        _ => false,
    }
}

/// Grouping directly over an `Expand` whose group keys read only what was bound
/// before it (`MATCH (f)-[r:FUNDS]->() RETURN f.name, sum(r.amount)`): the keys are
/// evaluated once per node walked from instead of once per relationship, and an
/// aggregate of a relationship property reads the values of all of that node's
/// relationships at once, lent rather than copied, without a row per relationship.
/// Results, their order and the row budget are those of the plain path. `None` when
/// the plan has another shape (or under PROFILE, which shows the operators as planned).
fn expand_aggregate<'g>(
    op: &Op,
    keys: &[(usize, CExpr)],
    aggs: &[AggSpec],
    ctx: &mut Ctx<'g>,
    row: &mut Row,
    sink: &mut Sink<'_, 'g>,
) -> QueryResult<Option<Flow>> {
    let Some(expand) = op.input.as_deref().filter(|_| !ctx.profile) else {
        return Ok(None);
    };
    let OpKind::Expand {
        from,
        rel,
        to,
        walk,
        into: false,
        unique,
    } = &expand.kind
    else {
        return Ok(None);
    };
    let (from, rel, to) = (*from, *rel, *to);
    if !keys.iter().all(|(_, e)| fixed_before_expand(e, rel, to)) {
        return Ok(None);
    }
    let mut args = Vec::with_capacity(aggs.len());
    for a in aggs {
        args.push(match (&a.arg, a.func, &a.param) {
            (_, _, Some(_)) => return Ok(None),
            (_, AggFunc::CountStar, _) | (None, _, _) => AggArg::Star,
            (Some(CExpr::Prop(t, key)), _, _) if matches!(**t, CExpr::Slot(s) if s == rel) => AggArg::RelProp(key),
            (Some(e), _, _) if e.has_subplan() => return Ok(None),
            (Some(e), _, _) => AggArg::Row(e),
        });
    }
    let with_rows = args.iter().any(|a| matches!(a, AggArg::Row(_)));
    // The relationship property read beside the adjacency, when the view allows it.
    let column = args.iter().find_map(|a| match a {
        AggArg::RelProp(k) => Some(*k),
        _ => None,
    });
    let mut vals: Vec<Value> = Vec::new();
    let mut kept: Vec<Value> = Vec::new();
    let types: Vec<&str> = walk.types.iter().map(String::as_str).collect();
    let width = row.len();
    let mut groups = Groups::new(aggs, !keys.is_empty());
    let mut buf = Vec::new();
    let mut edges: Vec<EdgeId> = Vec::new();
    // Per relationship kept: its (start, end) and the node reached, for row arguments.
    let mut ends: Vec<(NodeId, NodeId, NodeId)> = Vec::new();
    let flow = for_each_input(expand, ctx, row, &mut |ctx, row| {
        let Some(a) = slot_node(row, from) else {
            return Ok(Flow::Go);
        };
        let with_vals = match column {
            Some(key) => ctx.neighbors_with_property(a, walk.dir, &types, key, &mut buf, &mut vals)?,
            None => false,
        };
        if !with_vals {
            adjacency(ctx, a, walk.dir, &types, &mut buf)?;
        }
        edges.clear();
        ends.clear();
        kept.clear();
        for (i, x) in buf.iter().enumerate() {
            ctx.tick()?;
            if edge_taken(row, unique, x.edge) || !ctx.edge_visible(x.edge)? || !node_ok(ctx, x.other, &walk.to_labels)?
            {
                continue;
            }
            ctx.emitted(expand.id)?;
            edges.push(x.edge);
            if with_vals {
                kept.push(vals.get_mut(i).map(std::mem::take).unwrap_or(Value::Null));
            }
            if with_rows {
                let (s, e) = if x.outgoing { (a, x.other) } else { (x.other, a) };
                ends.push((s, e, x.other));
            }
        }
        if edges.is_empty() {
            return Ok(Flow::Go);
        }
        let g = groups.of(keys, ctx, row)?;
        for (i, arg) in args.iter().enumerate() {
            let (acc, mut seen) = groups.acc(g, i);
            match arg {
                AggArg::Star => {
                    if let Acc::Count(n) = acc {
                        *n += edges.len() as i64;
                    } else {
                        for _ in &edges {
                            acc.add_ref(&Value::Bool(true))?;
                        }
                    }
                }
                AggArg::RelProp(key) if with_vals && column == Some(*key) => {
                    for v in &kept {
                        if counts(seen.as_deref_mut(), v) {
                            acc.add_ref(v)?;
                        }
                    }
                }
                AggArg::RelProp(key) => {
                    let mut failed = None;
                    ctx.edge_props_each(&edges, key, &mut |_, v| {
                        if failed.is_none()
                            && counts(seen.as_deref_mut(), v)
                            && let Err(e) = acc.add_ref(v)
                        {
                            failed = Some(e);
                        }
                    })?;
                    if let Some(e) = failed {
                        return Err(e);
                    }
                }
                AggArg::Row(e) => {
                    for (edge, (s, en, reached)) in edges.iter().zip(&ends) {
                        row[rel] = edge_val(*edge, *s, *en);
                        row[to] = node_val(*reached);
                        let v = eval(e, ctx, row)?;
                        if counts(seen.as_deref_mut(), &v) {
                            acc.add(v)?;
                        }
                    }
                }
            }
        }
        Ok(Flow::Go)
    })?;
    if flow == Flow::Stop {
        return Ok(Some(Flow::Stop));
    }
    groups.emit(op.id, keys, width, ctx, sink).map(Some)
}
