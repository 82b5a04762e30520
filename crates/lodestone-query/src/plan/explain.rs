//! Plans and expressions as text, for EXPLAIN and PROFILE.

use super::{AggFunc, CExpr, CmpOp, Op, OpKind, Quant, RemoveOp, SetOp, StrOp, Walk};
use crate::execute::OpStats;
use crate::execute::values::Arith;
use crate::translate::func_name;
use lodestone_model::Direction;

fn name(names: Option<&[String]>, slot: usize) -> String {
    match names {
        Some(n) => n.get(slot).map_or_else(|| format!("#{slot}"), |s| s.trim().to_string()),
        None => format!("#{slot}"),
    }
}

/// An expression as text; with `names`, slots show as variable names, else as `#n`
/// (a canonical form used to recognise equal expressions).
pub(crate) fn render_expr(e: &CExpr, names: Option<&[String]>) -> String {
    let r = |x: &CExpr| render_expr(x, names);
    match e {
        CExpr::Const(v) => v.to_string(),
        CExpr::Slot(s) => name(names, *s),
        CExpr::Prop(t, k) => format!("{}.{k}", r(t)),
        CExpr::List(items) => format!("[{}]", items.iter().map(r).collect::<Vec<_>>().join(", ")),
        CExpr::Map(items) => format!(
            "{{{}}}",
            items
                .iter()
                .map(|(k, v)| format!("{k}: {}", r(v)))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        CExpr::Index(a, b) => format!("{}[{}]", r(a), r(b)),
        CExpr::Slice(a, b, c) => format!(
            "{}[{}..{}]",
            r(a),
            b.as_ref().map(|x| r(x)).unwrap_or_default(),
            c.as_ref().map(|x| r(x)).unwrap_or_default()
        ),
        CExpr::Not(x) => format!("NOT ({})", r(x)),
        CExpr::Neg(x) => format!("-({})", r(x)),
        CExpr::And(a, b) => format!("{} AND {}", r(a), r(b)),
        CExpr::Or(a, b) => format!("({} OR {})", r(a), r(b)),
        CExpr::Xor(a, b) => format!("({} XOR {})", r(a), r(b)),
        CExpr::Arith(op, a, b) => {
            let s = match op {
                Arith::Add => "+",
                Arith::Sub => "-",
                Arith::Mul => "*",
                Arith::Div => "/",
                Arith::Mod => "%",
                Arith::Pow => "^",
            };
            format!("({} {s} {})", r(a), r(b))
        }
        CExpr::Cmp(op, a, b) => {
            let s = match op {
                CmpOp::Eq => "=",
                CmpOp::Ne => "<>",
                CmpOp::Lt => "<",
                CmpOp::Le => "<=",
                CmpOp::Gt => ">",
                CmpOp::Ge => ">=",
            };
            format!("{} {s} {}", r(a), r(b))
        }
        CExpr::In(a, b) => format!("{} IN {}", r(a), r(b)),
        CExpr::Str(op, a, b) => {
            let s = match op {
                StrOp::StartsWith => "STARTS WITH",
                StrOp::EndsWith => "ENDS WITH",
                StrOp::Contains => "CONTAINS",
            };
            format!("{} {s} {}", r(a), r(b))
        }
        CExpr::IsNull(x, not) => format!("{} IS {}NULL", r(x), if *not { "NOT " } else { "" }),
        CExpr::HasLabels(x, labels) => format!("{}:{}", r(x), labels.join(":")),
        CExpr::Func(f, args) => format!(
            "{}({})",
            func_name(*f),
            args.iter().map(r).collect::<Vec<_>>().join(", ")
        ),
        CExpr::Case {
            subject,
            whens,
            otherwise,
        } => {
            let mut s = String::from("CASE");
            if let Some(x) = subject {
                s.push(' ');
                s.push_str(&r(x));
            }
            for (w, t) in whens {
                s.push_str(&format!(" WHEN {} THEN {}", r(w), r(t)));
            }
            if let Some(o) = otherwise {
                s.push_str(&format!(" ELSE {}", r(o)));
            }
            s.push_str(" END");
            s
        }
        CExpr::ListComp {
            slot,
            list,
            filter,
            map,
        } => {
            let mut s = format!("[{} IN {}", name(names, *slot), r(list));
            if let Some(f) = filter {
                s.push_str(&format!(" WHERE {}", r(f)));
            }
            if let Some(m) = map {
                s.push_str(&format!(" | {}", r(m)));
            }
            s.push(']');
            s
        }
        CExpr::Quant { q, slot, list, pred } => {
            let qn = match q {
                Quant::All => "all",
                Quant::Any => "any",
                Quant::None => "none",
                Quant::Single => "single",
            };
            format!("{qn}({} IN {} WHERE {})", name(names, *slot), r(list), r(pred))
        }
        CExpr::Reduce {
            acc,
            init,
            slot,
            list,
            step,
        } => format!(
            "reduce({} = {}, {} IN {} | {})",
            name(names, *acc),
            r(init),
            name(names, *slot),
            r(list),
            r(step)
        ),
        CExpr::Exists(_) => "exists(pattern)".into(),
        CExpr::PatternComp(_, m) => format!("[pattern | {}]", r(m)),
        CExpr::PropsMatch(t, m) => format!("{} matches {}", r(t), r(m)),
    }
}

fn arrow(walk_dir: Direction, inner: &str) -> String {
    match walk_dir {
        Direction::Outgoing => format!("-[{inner}]->"),
        Direction::Incoming => format!("<-[{inner}]-"),
        Direction::Both => format!("-[{inner}]-"),
    }
}

fn rel_text(names: &[String], rel: Option<usize>, walk: &Walk, len: Option<(u64, u64)>) -> String {
    let mut inner = String::new();
    if let Some(r) = rel {
        let n = name(Some(names), r);
        if !n.starts_with("anon_") {
            inner.push_str(&n);
        }
    }
    if !walk.types.is_empty() {
        inner.push(':');
        inner.push_str(&walk.types.join("|"));
    }
    if let Some((min, max)) = len {
        inner.push_str(&format!("*{min}..{max}"));
    }
    arrow(walk.dir, &inner)
}

fn node_text(names: &[String], slot: usize, labels: &[String]) -> String {
    let n = name(Some(names), slot);
    let n = if n.starts_with("anon_") { String::new() } else { n };
    if labels.is_empty() {
        format!("({n})")
    } else {
        format!("({n}:{})", labels.join(":"))
    }
}

fn describe(op: &Op, names: &[String]) -> String {
    let ex = |e: &CExpr| render_expr(e, Some(names));
    match &op.kind {
        OpKind::Start => "Argument".into(),
        OpKind::AllNodes { slot, labels } => format!("AllNodesScan {}", node_text(names, *slot, labels)),
        OpKind::LabelScan { slot, label, labels } => {
            let mut all = vec![label.clone()];
            all.extend(labels.iter().cloned());
            format!("NodeByLabelScan {}", node_text(names, *slot, &all))
        }
        OpKind::LabelUnionScan { slot, any, labels } => {
            let n = node_text(names, *slot, labels);
            let head = n.strip_suffix(')').unwrap_or(&n);
            format!("NodeByLabelUnionScan {head}:{})", any.join("|"))
        }
        OpKind::NameSeek { slot, value, labels } => {
            format!(
                "NodeByNameSeek {} name = {}",
                node_text(names, *slot, labels),
                ex(value)
            )
        }
        OpKind::PropSeek {
            slot,
            label,
            key,
            value,
            labels,
        } => {
            let mut all = vec![label.clone()];
            all.extend(labels.iter().cloned());
            format!("NodeIndexSeek {} {key} = {}", node_text(names, *slot, &all), ex(value))
        }
        OpKind::IdSeek { slot, value, labels } => {
            format!("NodeByIdSeek {} id = {}", node_text(names, *slot, labels), ex(value))
        }
        OpKind::Expand {
            from,
            rel,
            to,
            walk,
            into,
            ..
        } => format!(
            "{} ({}){}{}",
            if *into { "ExpandInto" } else { "Expand" },
            name(Some(names), *from),
            rel_text(names, Some(*rel), walk, None),
            node_text(names, *to, &walk.to_labels)
        ),
        OpKind::BoundRel { rel, left, right, .. } => format!(
            "BoundRelationship ({})-[{}]-({})",
            name(Some(names), *left),
            name(Some(names), *rel),
            name(Some(names), *right)
        ),
        OpKind::VarExpand {
            from,
            rel,
            to,
            walk,
            min,
            max,
            into,
            ..
        } => format!(
            "VarLengthExpand{} ({}){}{}",
            if *into { "Into" } else { "" },
            name(Some(names), *from),
            rel_text(names, Some(*rel), walk, Some((*min, *max))),
            node_text(names, *to, &walk.to_labels)
        ),
        OpKind::Reach {
            from,
            to,
            walk,
            min,
            max,
            into,
        } => format!(
            "BreadthFirstReach{} ({}){}{}",
            if *into { "Into" } else { "" },
            name(Some(names), *from),
            rel_text(names, None, walk, Some((*min, *max))),
            node_text(names, *to, &walk.to_labels)
        ),
        OpKind::Shortest {
            from,
            to,
            rel,
            walk,
            min,
            max,
            all,
            ..
        } => format!(
            "{} ({}){}({})",
            if *all { "AllShortestPaths" } else { "ShortestPath" },
            name(Some(names), *from),
            rel_text(names, Some(*rel), walk, Some((*min, *max))),
            name(Some(names), *to)
        ),
        OpKind::Filter { pred } => format!("Filter {}", ex(pred)),
        OpKind::BindPath { slot, .. } => format!("BindPath {}", name(Some(names), *slot)),
        OpKind::Optional { nulls, .. } => format!(
            "Optional ({})",
            nulls
                .iter()
                .map(|s| name(Some(names), *s))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        OpKind::Project { items } => format!(
            "Project {}",
            items
                .iter()
                .map(|(s, e)| format!("{} = {}", name(Some(names), *s), ex(e)))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        OpKind::Aggregate { keys, aggs } => {
            let mut parts: Vec<String> = keys
                .iter()
                .map(|(s, e)| format!("{} = {}", name(Some(names), *s), ex(e)))
                .collect();
            for a in aggs {
                let arg = match (&a.arg, a.func) {
                    (_, AggFunc::CountStar) | (None, _) => "*".to_string(),
                    (Some(e), _) => ex(e),
                };
                parts.push(format!(
                    "{} = {}({}{arg})",
                    name(Some(names), a.slot),
                    a.func.name(),
                    if a.distinct { "DISTINCT " } else { "" }
                ));
            }
            format!("Aggregate {}", parts.join(", "))
        }
        OpKind::Distinct { slots } => format!(
            "Distinct {}",
            slots
                .iter()
                .map(|s| name(Some(names), *s))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        OpKind::Sort { keys } => format!("Sort {}", sort_text(keys, names)),
        OpKind::TopK { keys, skip, limit } => {
            let mut s = format!("Top {limit} by {}", sort_text(keys, names));
            if *skip > 0 {
                s.push_str(&format!(" after {skip}"));
            }
            s
        }
        OpKind::Skip { count } => format!("Skip {count}"),
        OpKind::Limit { count } => format!("Limit {count}"),
        OpKind::Unwind { expr, slot } => format!("Unwind {} AS {}", ex(expr), name(Some(names), *slot)),
        OpKind::Eager => "Eager".into(),
        OpKind::Create { specs } => format!(
            "Create {} node(s), {} relationship(s)",
            specs.iter().map(|s| s.nodes.len()).sum::<usize>(),
            specs.iter().map(|s| s.rels.len()).sum::<usize>()
        ),
        OpKind::Merge { bind, .. } => format!(
            "Merge ({})",
            bind.iter()
                .map(|s| name(Some(names), *s))
                .filter(|n| !n.starts_with("anon_"))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        OpKind::Set { items } => format!(
            "Set {}",
            items
                .iter()
                .map(|i| match i {
                    SetOp::Prop { target, key, value } => format!("{}.{key} = {}", ex(target), ex(value)),
                    SetOp::Replace { target, value } => format!("{} = {}", ex(target), ex(value)),
                    SetOp::Merge { target, value } => format!("{} += {}", ex(target), ex(value)),
                    SetOp::Labels { target, labels } => format!("{}:{}", ex(target), labels.join(":")),
                })
                .collect::<Vec<_>>()
                .join(", ")
        ),
        OpKind::Remove { items } => format!(
            "Remove {}",
            items
                .iter()
                .map(|i| match i {
                    RemoveOp::Prop { target, key } => format!("{}.{key}", ex(target)),
                    RemoveOp::Labels { target, labels } => format!("{}:{}", ex(target), labels.join(":")),
                })
                .collect::<Vec<_>>()
                .join(", ")
        ),
        OpKind::Delete { exprs, detach } => format!(
            "{}Delete {}",
            if *detach { "Detach" } else { "" },
            exprs.iter().map(ex).collect::<Vec<_>>().join(", ")
        ),
        OpKind::Cite { targets, .. } => format!(
            "Cite {}",
            targets
                .iter()
                .map(|s| name(Some(names), *s))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

fn sort_text(keys: &[(CExpr, bool)], names: &[String]) -> String {
    keys.iter()
        .map(|(e, d)| format!("{}{}", render_expr(e, Some(names)), if *d { " DESC" } else { "" }))
        .collect::<Vec<_>>()
        .join(", ")
}

fn render_into(
    op: &Op,
    names: &[String],
    stats: Option<&[OpStats]>,
    depth: usize,
    prefix: &str,
    out: &mut Vec<String>,
) {
    let mut cur = Some(op);
    let mut depth = depth;
    while let Some(o) = cur {
        // A pipeline's leaf is implicit at the top level.
        if matches!(o.kind, OpKind::Start) && prefix.is_empty() && o.input.is_none() {
            break;
        }
        let mut line = format!("{prefix}{}{}", "  ".repeat(depth), describe(o, names));
        if let Some(st) = stats.and_then(|s| s.get(o.id)) {
            line.push_str(&format!(
                "  (rows={}, time={:.3} ms)",
                st.rows,
                st.time.as_secs_f64() * 1000.0
            ));
        }
        out.push(line);
        match &o.kind {
            OpKind::Optional { sub, .. } | OpKind::Merge { sub, .. } => {
                let p = format!("{prefix}{}| ", "  ".repeat(depth + 1));
                render_into(sub, names, stats, 0, &p, out);
            }
            _ => {}
        }
        cur = o.input.as_deref();
        depth += 1;
    }
}

/// The plan as an indented operator tree, the last operator first; with `stats`,
/// each line ends with rows and time.
pub(crate) fn render_plan(op: &Op, names: &[String], stats: Option<&[OpStats]>) -> Vec<String> {
    let mut out = Vec::new();
    render_into(op, names, stats, 0, "", &mut out);
    out
}
