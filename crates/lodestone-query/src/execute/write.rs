//! The updating operators: CREATE, MERGE, SET, REMOVE, DELETE and CITE.

use super::eval::{eval, slot_node};
use super::ops::{Sink, emit, for_each_input, malformed, run_op};
use super::values::{edge_val, kind_name, node_val, path_from_edges};
use super::{Ctx, Flow, Row};
use crate::plan::{CExpr, CreateSpec, Op, OpKind, PathStep, RemoveOp, SetOp};
use crate::{QueryError, QueryResult};
use lodestone_model::{Citation, EdgeId, EdgeRecord, NodeId, NodeRecord, Props, Value};
use std::collections::BTreeSet;

fn type_error(message: String) -> QueryError {
    QueryError::Type { message, span: None }
}

/// Evaluates a property map for a write: nulls are dropped, elements rejected.
fn props_of(ctx: &mut Ctx, e: &Option<CExpr>, row: &mut Row) -> QueryResult<Props> {
    let Some(e) = e else {
        return Ok(Props::new());
    };
    let v = eval(e, ctx, row)?;
    to_props(v)
}

fn to_props(v: Value) -> QueryResult<Props> {
    match v {
        Value::Null => Ok(Props::new()),
        Value::Map(m) => {
            let mut out = Props::new();
            for (k, v) in m {
                if v.is_null() {
                    continue;
                }
                check_storable(&k, &v)?;
                out.insert(k, v);
            }
            Ok(out)
        }
        other => Err(type_error(format!(
            "expected a map of properties, got {}",
            kind_name(&other)
        ))),
    }
}

fn check_storable(key: &str, v: &Value) -> QueryResult<()> {
    if v.is_storable() {
        Ok(())
    } else {
        Err(type_error(format!("property `{key}` cannot hold a {}", kind_name(v))))
    }
}

/// Creates what `spec` describes for the current row and binds its slots.
pub(super) fn create(ctx: &mut Ctx, spec: &CreateSpec, row: &mut Row) -> QueryResult<()> {
    for n in &spec.nodes {
        let props = props_of(ctx, &n.props, row)?;
        let mut labels: Vec<String> = Vec::with_capacity(n.labels.len());
        for l in &n.labels {
            if !labels.contains(l) {
                labels.push(l.clone());
            }
        }
        ctx.counters.nodes_created += 1;
        ctx.counters.labels_added += labels.len() as u64;
        ctx.counters.properties_set += props.len() as u64;
        let id = ctx.write()?.create_node(NodeRecord {
            labels,
            props,
            citations: Vec::new(),
        })?;
        row[n.slot] = node_val(id);
    }
    for r in &spec.rels {
        let props = props_of(ctx, &r.props, row)?;
        let (Some(s), Some(e)) = (slot_node(row, r.start), slot_node(row, r.end)) else {
            return Err(QueryError::Argument {
                message: format!(
                    "cannot create a {} relationship with a missing (null) endpoint",
                    r.rel_type
                ),
                span: None,
            });
        };
        ctx.counters.relationships_created += 1;
        ctx.counters.properties_set += props.len() as u64;
        let id = ctx.write()?.create_edge(EdgeRecord {
            rel_type: r.rel_type.clone(),
            start: s,
            end: e,
            props,
            citations: Vec::new(),
        })?;
        row[r.slot] = edge_val(id, s, e);
    }
    for (slot, start, steps) in &spec.paths {
        row[*slot] = bind_path(row, *start, steps);
    }
    Ok(())
}

fn bind_path(row: &Row, start: usize, steps: &[PathStep]) -> Value {
    let Some(first) = slot_node(row, start) else {
        return Value::Null;
    };
    let mut edges = Vec::new();
    for s in steps {
        let (PathStep::Edge { rel, .. } | PathStep::Edges { rel, .. }) = s;
        match &row[*rel] {
            Value::Edge(e) => edges.push((**e).clone()),
            Value::List(items) => {
                for i in items {
                    if let Value::Edge(e) = i {
                        edges.push((**e).clone());
                    }
                }
            }
            _ => return Value::Null,
        }
    }
    Value::Path(Box::new(path_from_edges(first, &edges)))
}

enum Target {
    Node(NodeId),
    Edge(EdgeId),
}

fn target(v: &Value, what: &str) -> QueryResult<Option<Target>> {
    match v {
        Value::Null => Ok(None),
        Value::Node(n) => Ok(Some(Target::Node(n.id))),
        Value::Edge(e) => Ok(Some(Target::Edge(e.id))),
        other => Err(type_error(format!(
            "{what} expects a node or relationship, got {}",
            kind_name(other)
        ))),
    }
}

/// Reads, changes and writes back an element's properties.
fn update_props(ctx: &mut Ctx, t: &Target, f: &mut dyn FnMut(&mut Props) -> QueryResult<()>) -> QueryResult<()> {
    match t {
        Target::Node(id) => {
            let Some(rec) = ctx.node_record(*id)? else {
                return Ok(());
            };
            let mut rec = (*rec).clone();
            f(&mut rec.props)?;
            ctx.write()?.update_node(*id, rec)?;
            ctx.forget_node(*id);
        }
        Target::Edge(id) => {
            let Some(rec) = ctx.edge_record(*id)? else {
                return Ok(());
            };
            let mut rec = (*rec).clone();
            f(&mut rec.props)?;
            ctx.write()?.update_edge(*id, rec)?;
            ctx.forget_edge(*id);
        }
    }
    Ok(())
}

fn props_from_value(ctx: &mut Ctx, v: Value) -> QueryResult<Vec<(String, Value)>> {
    Ok(match v {
        Value::Node(n) => ctx
            .node_record(n.id)?
            .map(|r| r.props.clone().into_iter().collect())
            .unwrap_or_default(),
        Value::Edge(e) => ctx
            .edge_record(e.id)?
            .map(|r| r.props.clone().into_iter().collect())
            .unwrap_or_default(),
        Value::Map(m) => m.into_iter().collect(),
        Value::Null => Vec::new(),
        other => return Err(type_error(format!("SET expects a map, got {}", kind_name(&other)))),
    })
}

/// Applies SET items to the current row.
pub(super) fn apply_set(ctx: &mut Ctx, items: &[SetOp], row: &mut Row) -> QueryResult<()> {
    for item in items {
        match item {
            SetOp::Prop { target: t, key, value } => {
                let tv = eval(t, ctx, row)?;
                let v = eval(value, ctx, row)?;
                let Some(t) = target(&tv, "SET")? else {
                    continue;
                };
                check_storable(key, &v)?;
                update_props(ctx, &t, &mut |props| {
                    if v.is_null() {
                        props.remove(key);
                    } else {
                        props.insert(key.clone(), v.clone());
                    }
                    Ok(())
                })?;
                ctx.counters.properties_set += 1;
            }
            SetOp::Replace { target: t, value } | SetOp::Merge { target: t, value } => {
                let replace = matches!(item, SetOp::Replace { .. });
                let tv = eval(t, ctx, row)?;
                let v = eval(value, ctx, row)?;
                let Some(t) = target(&tv, "SET")? else {
                    continue;
                };
                let new = props_from_value(ctx, v)?;
                for (k, v) in &new {
                    check_storable(k, v)?;
                }
                let mut changed = 0u64;
                update_props(ctx, &t, &mut |props| {
                    if replace {
                        let keep: BTreeSet<&String> =
                            new.iter().filter(|(_, v)| !v.is_null()).map(|(k, _)| k).collect();
                        let before = props.len();
                        props.retain(|k, _| keep.contains(k));
                        changed += (before - props.len()) as u64;
                    }
                    for (k, v) in &new {
                        changed += 1;
                        if v.is_null() {
                            props.remove(k);
                        } else {
                            props.insert(k.clone(), v.clone());
                        }
                    }
                    Ok(())
                })?;
                ctx.counters.properties_set += changed;
            }
            SetOp::Labels { target: t, labels } => {
                let tv = eval(t, ctx, row)?;
                let id = match tv {
                    Value::Null => continue,
                    Value::Node(n) => n.id,
                    other => {
                        return Err(type_error(format!(
                            "SET of labels expects a node, got {}",
                            kind_name(&other)
                        )));
                    }
                };
                let Some(rec) = ctx.node_record(id)? else {
                    continue;
                };
                let mut rec = (*rec).clone();
                let mut added = 0;
                for l in labels {
                    if !rec.labels.contains(l) {
                        rec.labels.push(l.clone());
                        added += 1;
                    }
                }
                if added > 0 {
                    ctx.write()?.update_node(id, rec)?;
                    ctx.forget_node(id);
                    ctx.counters.labels_added += added;
                }
            }
        }
    }
    Ok(())
}

fn apply_remove(ctx: &mut Ctx, items: &[RemoveOp], row: &mut Row) -> QueryResult<()> {
    for item in items {
        match item {
            RemoveOp::Prop { target: t, key } => {
                let tv = eval(t, ctx, row)?;
                let Some(t) = target(&tv, "REMOVE")? else {
                    continue;
                };
                let mut removed = false;
                update_props(ctx, &t, &mut |props| {
                    removed = props.remove(key).is_some();
                    Ok(())
                })?;
                if removed {
                    ctx.counters.properties_set += 1;
                }
            }
            RemoveOp::Labels { target: t, labels } => {
                let tv = eval(t, ctx, row)?;
                let id = match tv {
                    Value::Null => continue,
                    Value::Node(n) => n.id,
                    other => {
                        return Err(type_error(format!(
                            "REMOVE of labels expects a node, got {}",
                            kind_name(&other)
                        )));
                    }
                };
                let Some(rec) = ctx.node_record(id)? else {
                    continue;
                };
                let mut rec = (*rec).clone();
                let before = rec.labels.len();
                rec.labels.retain(|l| !labels.contains(l));
                let removed = (before - rec.labels.len()) as u64;
                if removed > 0 {
                    ctx.write()?.update_node(id, rec)?;
                    ctx.forget_node(id);
                    ctx.counters.labels_removed += removed;
                }
            }
        }
    }
    Ok(())
}

fn collect_deletes(v: Value, nodes: &mut Vec<NodeId>, edges: &mut Vec<EdgeId>) -> QueryResult<()> {
    match v {
        Value::Null => {}
        Value::Node(n) => nodes.push(n.id),
        Value::Edge(e) => edges.push(e.id),
        Value::Path(p) => {
            nodes.extend(p.nodes.iter().map(|n| n.id));
            edges.extend(p.edges.iter().map(|e| e.id));
        }
        Value::List(items) => {
            for i in items {
                collect_deletes(i, nodes, edges)?;
            }
        }
        other => {
            return Err(type_error(format!(
                "DELETE expects a node, relationship or path, got {}",
                kind_name(&other)
            )));
        }
    }
    Ok(())
}

fn cite_one(ctx: &mut Ctx, v: &Value, c: &Citation) -> QueryResult<()> {
    match v {
        Value::Null => {}
        Value::Node(n) => {
            if let Some(rec) = ctx.node_record(n.id)?
                && !rec.citations.contains(c)
            {
                let mut rec = (*rec).clone();
                rec.citations.push(c.clone());
                ctx.write()?.update_node(n.id, rec)?;
                ctx.forget_node(n.id);
            }
        }
        Value::Edge(e) => {
            if let Some(rec) = ctx.edge_record(e.id)?
                && !rec.citations.contains(c)
            {
                let mut rec = (*rec).clone();
                rec.citations.push(c.clone());
                ctx.write()?.update_edge(e.id, rec)?;
                ctx.forget_edge(e.id);
            }
        }
        Value::Path(p) => {
            for n in &p.nodes {
                cite_one(ctx, &Value::Node(Box::new(n.clone())), c)?;
            }
            for e in &p.edges {
                cite_one(ctx, &Value::Edge(Box::new(e.clone())), c)?;
            }
        }
        other => {
            return Err(type_error(format!(
                "CITE expects nodes or relationships, got {}",
                kind_name(other)
            )));
        }
    }
    Ok(())
}

pub(super) fn run<'g>(op: &Op, ctx: &mut Ctx<'g>, row: &mut Row, sink: &mut Sink<'_, 'g>) -> QueryResult<Flow> {
    match &op.kind {
        OpKind::Create { .. } => op_create(op, ctx, row, sink),
        OpKind::Merge { .. } => op_merge(op, ctx, row, sink),
        OpKind::Set { .. } => op_set(op, ctx, row, sink),
        OpKind::Remove { .. } => op_remove(op, ctx, row, sink),
        OpKind::Delete { .. } => op_delete(op, ctx, row, sink),
        OpKind::Cite { .. } => op_cite(op, ctx, row, sink),
        _ => Err(QueryError::Unsupported {
            what: "malformed plan".into(),
            span: None,
        }),
    }
}

/// Runs one `Create` operator.
#[inline(never)]
fn op_create<'g>(op: &Op, ctx: &mut Ctx<'g>, row: &mut Row, sink: &mut Sink<'_, 'g>) -> QueryResult<Flow> {
    let id = op.id;
    match &op.kind {
        OpKind::Create { specs } => for_each_input(op, ctx, row, &mut |ctx, row| {
            for spec in specs {
                create(ctx, spec, row)?;
            }
            emit(id, ctx, row, sink)
        }),
        _ => Err(malformed()),
    }
}

/// Runs one `Merge` operator.
#[inline(never)]
fn op_merge<'g>(op: &Op, ctx: &mut Ctx<'g>, row: &mut Row, sink: &mut Sink<'_, 'g>) -> QueryResult<Flow> {
    let id = op.id;
    match &op.kind {
        OpKind::Merge {
            sub,
            bind,
            spec,
            on_create,
            on_match,
            null_checks,
        } => for_each_input(op, ctx, row, &mut |ctx, row| {
            let mut found: Vec<Vec<Value>> = Vec::new();
            run_op(sub, ctx, row, &mut |_, r| {
                found.push(bind.iter().map(|s| r[*s].clone()).collect());
                Ok(Flow::Go)
            })?;
            if found.is_empty() {
                for (key, e) in null_checks {
                    if eval(e, ctx, row)?.is_null() {
                        return Err(QueryError::Argument {
                            message: format!("cannot MERGE with a null value for property `{key}`"),
                            span: None,
                        });
                    }
                }
                create(ctx, spec, row)?;
                apply_set(ctx, on_create, row)?;
                return emit(id, ctx, row, sink);
            }
            for values in found {
                for (s, v) in bind.iter().zip(values) {
                    row[*s] = v;
                }
                apply_set(ctx, on_match, row)?;
                if emit(id, ctx, row, sink)? == Flow::Stop {
                    return Ok(Flow::Stop);
                }
            }
            Ok(Flow::Go)
        }),
        _ => Err(malformed()),
    }
}

/// Runs one `Set` operator.
#[inline(never)]
fn op_set<'g>(op: &Op, ctx: &mut Ctx<'g>, row: &mut Row, sink: &mut Sink<'_, 'g>) -> QueryResult<Flow> {
    let id = op.id;
    match &op.kind {
        OpKind::Set { items } => for_each_input(op, ctx, row, &mut |ctx, row| {
            apply_set(ctx, items, row)?;
            emit(id, ctx, row, sink)
        }),
        _ => Err(malformed()),
    }
}

/// Runs one `Remove` operator.
#[inline(never)]
fn op_remove<'g>(op: &Op, ctx: &mut Ctx<'g>, row: &mut Row, sink: &mut Sink<'_, 'g>) -> QueryResult<Flow> {
    let id = op.id;
    match &op.kind {
        OpKind::Remove { items } => for_each_input(op, ctx, row, &mut |ctx, row| {
            apply_remove(ctx, items, row)?;
            emit(id, ctx, row, sink)
        }),
        _ => Err(malformed()),
    }
}

/// Runs one `Delete` operator.
#[inline(never)]
fn op_delete<'g>(op: &Op, ctx: &mut Ctx<'g>, row: &mut Row, sink: &mut Sink<'_, 'g>) -> QueryResult<Flow> {
    let id = op.id;
    match &op.kind {
        OpKind::Delete { exprs, detach } => {
            // Relationships go before nodes, so a clause may delete a node with its relationships.
            let mut rows: Vec<Row> = Vec::new();
            let mut nodes = Vec::new();
            let mut edges = Vec::new();
            let flow = for_each_input(op, ctx, row, &mut |ctx, row| {
                for e in exprs {
                    let v = eval(e, ctx, row)?;
                    collect_deletes(v, &mut nodes, &mut edges)?;
                }
                rows.push(row.clone());
                Ok(Flow::Go)
            })?;
            edges.sort_unstable();
            edges.dedup();
            for e in edges {
                if let Some((t, _, _)) = ctx.read().edge_ends(e)? {
                    ctx.deleted_edges.insert(e, t);
                    ctx.write()?.delete_edge(e)?;
                    ctx.forget_edge(e);
                    ctx.counters.relationships_deleted += 1;
                }
            }
            let mut seen = BTreeSet::new();
            for n in nodes {
                if !seen.insert(n) || !ctx.read().has_node(n) {
                    continue;
                }
                if *detach {
                    let mut attached = Vec::new();
                    ctx.read().expand(n, lodestone_model::Direction::Both, &[], &mut |a| {
                        attached.push(a.edge);
                        std::ops::ControlFlow::Continue(())
                    })?;
                    ctx.counters.relationships_deleted += attached.len() as u64;
                    for e in attached {
                        if let Some((t, _, _)) = ctx.read().edge_ends(e)? {
                            ctx.deleted_edges.insert(e, t);
                        }
                        ctx.forget_edge(e);
                    }
                }
                ctx.write()?.delete_node(n, *detach)?;
                ctx.forget_node(n);
                ctx.deleted_nodes.insert(n);
                ctx.counters.nodes_deleted += 1;
            }
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

/// Runs one `Cite` operator.
#[inline(never)]
fn op_cite<'g>(op: &Op, ctx: &mut Ctx<'g>, row: &mut Row, sink: &mut Sink<'_, 'g>) -> QueryResult<Flow> {
    let id = op.id;
    match &op.kind {
        OpKind::Cite {
            targets,
            source,
            line,
            note,
        } => for_each_input(op, ctx, row, &mut |ctx, row| {
            let src = match eval(source, ctx, row)? {
                Value::String(s) => s,
                other => {
                    return Err(type_error(format!(
                        "CITE SOURCE expects a string, got {}",
                        kind_name(&other)
                    )));
                }
            };
            let line = match line {
                None => None,
                Some(e) => match eval(e, ctx, row)? {
                    Value::Null => None,
                    Value::Int(i) => Some(u32::try_from(i).map_err(|_| QueryError::Argument {
                        message: format!("CITE LINE must be a positive line number, got {i}"),
                        span: None,
                    })?),
                    other => {
                        return Err(type_error(format!(
                            "CITE LINE expects an integer, got {}",
                            kind_name(&other)
                        )));
                    }
                },
            };
            let note = match note {
                None => None,
                Some(e) => match eval(e, ctx, row)? {
                    Value::Null => None,
                    Value::String(s) => Some(s),
                    other => {
                        return Err(type_error(format!(
                            "CITE NOTE expects a string, got {}",
                            kind_name(&other)
                        )));
                    }
                },
            };
            let c = Citation {
                source: src,
                line,
                note,
            };
            for t in targets {
                let v = row[*t].clone();
                cite_one(ctx, &v, &c)?;
            }
            emit(id, ctx, row, sink)
        }),
        _ => Err(malformed()),
    }
}

/// Builds the property map a value holds, for callers outside this module.
#[allow(dead_code)]
pub(crate) fn value_props(v: Value) -> QueryResult<Props> {
    to_props(v)
}
