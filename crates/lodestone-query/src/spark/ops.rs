//! Operators: each becomes one common table expression over the one below it.

use super::expr::{SqlVal, Ty, lit_str, prop_key};
use super::{Catalog, ColumnKind, SparkQuery, SparkResult, unsupported};
use crate::plan::{AggFunc, AggSpec, CExpr, Func, Op, OpKind, PathStep, Walk};
use crate::translate::CompiledQuery;
use lodestone_model::{Direction, Value, normalize_name};
use std::collections::{BTreeMap, BTreeSet};

/// The longest variable-length pattern unrolled into joins.
pub const MAX_UNROLLED_HOPS: u64 = 6;
/// Slot numbers from here on hold the value of a pattern predicate in a filter.
const EXISTS_SLOTS: usize = 1 << 32;
/// The most breadth-first levels of a reachability or shortest-path search.
pub const MAX_SEARCH_DEPTH: u64 = 15;

/// A relation: a common table expression and the variables its columns hold.
#[derive(Debug, Clone)]
pub(crate) struct Rel {
    pub name: String,
    pub slots: BTreeMap<usize, Ty>,
    /// Sort columns (name, descending) when the rows are ordered.
    pub order: Option<Vec<(String, bool)>>,
    /// Relationship-list slots whose ids are not computed (shortest paths).
    pub no_ids: BTreeSet<usize>,
    /// Money slots holding a `sum`, which is the integer 0 over no values.
    pub zero_sums: BTreeSet<usize>,
}

/// Compiler state for one statement.
pub(crate) struct Builder<'a> {
    pub catalog: &'a Catalog,
    used: Option<BTreeSet<String>>,
    pub used_props: BTreeSet<String>,
    ctes: Vec<String>,
    slot_names: &'a [String],
    /// Whether paths and variable-length relationships carry their elements as structs.
    elements: bool,
    /// Whether elements carry their citations (a question's table reads them).
    cites: bool,
    /// Learned while compiling: the query reads path elements or returns whole elements.
    pub needs_elements: bool,
    /// Learned while compiling: the query reads citations (`UNWIND sources(x)`).
    pub needs_cites: bool,
    /// Learned while compiling: the query returns paths or relationship lists.
    pub returns_paths: bool,
    /// Learned while compiling: the query returns whole nodes, relationships or paths.
    pub returns_whole: bool,
    /// Slots bound to a lambda variable inside a quantifier.
    pub(crate) lambda: BTreeMap<usize, SqlVal>,
    pub(crate) lambdas: usize,
}

fn order_by(order: &[(String, bool)], alias: &str) -> String {
    let keys: Vec<String> = order
        .iter()
        .map(|(c, desc)| {
            let a = if alias.is_empty() {
                c.clone()
            } else {
                format!("{alias}.{c}")
            };
            if *desc {
                format!("{a} DESC NULLS FIRST")
            } else {
                format!("{a} ASC NULLS LAST")
            }
        })
        .collect();
    format!("ORDER BY {}", keys.join(", "))
}

fn edge_view(dir: Direction) -> &'static str {
    match dir {
        Direction::Outgoing => "edges_out",
        Direction::Incoming => "edges_in",
        Direction::Both => "edges_both",
    }
}

fn types_test(alias: &str, types: &[String]) -> Option<String> {
    if types.is_empty() {
        return None;
    }
    let lits: Vec<String> = types.iter().map(|t| lit_str(t)).collect();
    Some(format!("{alias}.type IN ({})", lits.join(", ")))
}

fn label_tests(alias: &str, labels: &[String]) -> Vec<String> {
    labels
        .iter()
        .map(|l| format!("array_contains({alias}.labels, {})", lit_str(l)))
        .collect()
}

fn where_clause(conds: &[String]) -> String {
    if conds.is_empty() {
        String::new()
    } else {
        format!(" WHERE {}", conds.join(" AND "))
    }
}

fn column_kind(ty: Ty, zero: bool) -> SparkResult<ColumnKind> {
    Ok(match ty {
        Ty::Null => ColumnKind::Null,
        Ty::Bool => ColumnKind::Bool,
        Ty::Int => ColumnKind::Int,
        Ty::Float => ColumnKind::Float,
        Ty::Str => ColumnKind::String,
        Ty::Date => ColumnKind::Date,
        Ty::Money if zero => ColumnKind::MoneyOrZero,
        Ty::Money => ColumnKind::Money,
        Ty::Percent => ColumnKind::Percent,
        Ty::Node => ColumnKind::Node,
        Ty::Rel => ColumnKind::Edge,
        Ty::RelList => ColumnKind::Edges,
        Ty::Path => ColumnKind::Path,
        Ty::Cite => return unsupported("returning a citation map (return its source, line and note)"),
    })
}

/// Refuses shortest paths whose ends are not both bound nodes, or with labels on the far end.
fn shortest_ends(rel: &Rel, from: usize, to: usize, walk: &Walk) -> SparkResult<()> {
    if !walk.to_labels.is_empty() {
        return unsupported("labels on the far end of a shortest path");
    }
    if rel.slots.get(&from) != Some(&Ty::Node) || rel.slots.get(&to) != Some(&Ty::Node) {
        return unsupported("a shortest path whose ends are not both bound nodes");
    }
    Ok(())
}

/// A SKIP or LIMIT count as Spark takes it (a 32-bit integer).
fn int_count(n: u64) -> SparkResult<i32> {
    match i32::try_from(n) {
        Ok(n) => Ok(n),
        Err(_) => unsupported(format!("SKIP or LIMIT of {n} (Spark takes at most {})", i32::MAX)),
    }
}

impl<'a> Builder<'a> {
    /// A builder; `used` limits the property columns carried (all when `None`, which
    /// `elements` makes paths carry their elements, `cites` their citations.
    pub(crate) fn new(
        catalog: &'a Catalog,
        used: Option<BTreeSet<String>>,
        slot_names: &'a [String],
        elements: bool,
        cites: bool,
    ) -> Self {
        Builder {
            catalog,
            used,
            used_props: BTreeSet::new(),
            ctes: Vec::new(),
            slot_names,
            elements,
            cites,
            needs_elements: false,
            needs_cites: false,
            returns_paths: false,
            returns_whole: false,
            lambda: BTreeMap::new(),
            lambdas: 0,
        }
    }

    pub(crate) fn slot_name(&self, slot: usize) -> String {
        match self.slot_names.get(slot) {
            Some(n) if !n.starts_with(' ') => n.clone(),
            _ => "an anonymous element".into(),
        }
    }

    /// Table columns of a node (`node`) or edge with their SQL types, as slots and
    /// path elements carry them: the used properties, and citations when asked for.
    fn elem_cols_typed(&self, node: bool) -> Vec<(String, String)> {
        self.table_cols(node, self.used.as_ref(), self.cites)
    }

    /// Table columns of a node (`node`) or edge with their SQL types: the properties
    /// in `used` (every one when `None`), and `cites` when asked for.
    fn table_cols(&self, node: bool, used: Option<&BTreeSet<String>>, cites: bool) -> Vec<(String, String)> {
        let (fixed, props): (&[(&str, &str)], _) = if node {
            (
                &[("id", "bigint"), ("labels", "array<string>")],
                &self.catalog.node_props,
            )
        } else {
            (
                &[
                    ("id", "bigint"),
                    ("type", "string"),
                    ("src", "bigint"),
                    ("dst", "bigint"),
                ],
                &self.catalog.edge_props,
            )
        };
        let mut cols: Vec<(String, String)> = fixed.iter().map(|(c, t)| (c.to_string(), t.to_string())).collect();
        if cites {
            cols.push(("cites".into(), super::catalog::CITES_TYPE.into()));
        }
        let mut sorted: Vec<(&String, &super::PropColumn)> = props.iter().collect();
        sorted.sort_by(|a, b| a.1.column.cmp(&b.1.column));
        for (key, c) in sorted {
            if let Some(used) = used
                && !used.contains(&prop_key(node, key))
            {
                continue;
            }
            for (suffix, ty) in c.ty.columns() {
                cols.push((format!("{}{suffix}", c.column), ty.to_string()));
            }
        }
        cols
    }

    /// Table columns of a node (`node`) or edge, and the suffixes slot columns use.
    fn elem_cols(&self, node: bool) -> Vec<String> {
        self.elem_cols_typed(node).into_iter().map(|(c, _)| c).collect()
    }

    /// An element as a struct of its columns, read after `prefix` (`t.s3_`, `n.`, `x.`).
    fn elem_struct(&self, node: bool, prefix: &str) -> String {
        let fields: Vec<String> = self
            .elem_cols(node)
            .iter()
            .map(|c| format!("'{c}', {prefix}{c}"))
            .collect();
        format!("named_struct({})", fields.join(", "))
    }

    /// The SQL type of [`Builder::elem_struct`].
    fn elem_struct_type(&self, node: bool) -> String {
        let fields: Vec<String> = self
            .elem_cols_typed(node)
            .iter()
            .map(|(c, t)| format!("{c}:{t}"))
            .collect();
        format!("STRUCT<{}>", fields.join(", "))
    }

    /// A typed null array of element structs.
    fn null_array(&self, node: bool) -> String {
        format!("CAST(NULL AS ARRAY<{}>)", self.elem_struct_type(node))
    }

    /// An array of element structs, or a typed empty or null array.
    fn elem_array(&self, node: bool, items: &[String], reverse: bool) -> String {
        if !self.elements {
            return self.null_array(node);
        }
        if items.is_empty() {
            return format!("CAST(array() AS ARRAY<{}>)", self.elem_struct_type(node));
        }
        let arr = format!("array({})", items.join(", "));
        if reverse { format!("reverse({arr})") } else { arr }
    }

    /// An element as JSON text for the result, from `cols` read after `prefix`:
    /// exact decimals as strings, dates as their parts.
    fn elem_json_struct(cols: &[(String, String)], prefix: &str) -> String {
        let fields: Vec<String> = cols
            .iter()
            .filter(|(_, t)| t != "date")
            .map(|(c, t)| {
                if t == super::DECIMAL_TYPE {
                    format!("'{c}', CAST({prefix}{c} AS STRING)")
                } else {
                    format!("'{c}', {prefix}{c}")
                }
            })
            .collect();
        format!("named_struct({})", fields.join(", "))
    }

    /// The result column of a whole element, path or relationship list in `slot`.
    /// A node or relationship is read again from its table (`joins` gains the join),
    /// with every property and its citations; path elements carry what the query
    /// compiled them with.
    fn element_output(&self, slot: usize, ty: Ty, joins: &mut Vec<String>) -> String {
        let list = |node: bool, arr: String| {
            format!(
                "transform({arr}, x -> {})",
                Self::elem_json_struct(&self.elem_cols_typed(node), "x.")
            )
        };
        let (null_test, json) = match ty {
            Ty::Node | Ty::Rel => {
                let node = ty == Ty::Node;
                let j = format!("j{}", joins.len());
                let table = if node { "nodes" } else { "edges" };
                joins.push(format!(" LEFT JOIN {table} {j} ON {j}.id = t.s{slot}_id"));
                (
                    format!("t.s{slot}_id"),
                    Self::elem_json_struct(&self.table_cols(node, None, true), &format!("{j}.")),
                )
            }
            Ty::Path => (
                format!("t.s{slot}_1"),
                format!(
                    "named_struct('nodes', {}, 'edges', {})",
                    list(true, format!("t.s{slot}_1")),
                    list(false, format!("t.s{slot}_2"))
                ),
            ),
            _ => (format!("t.s{slot}_3"), list(false, format!("t.s{slot}_3"))),
        };
        format!("CASE WHEN {null_test} IS NULL THEN NULL ELSE to_json({json}) END")
    }

    /// The columns a slot of this type occupies.
    pub(crate) fn slot_cols(&self, slot: usize, ty: Ty) -> Vec<String> {
        match ty {
            Ty::Node | Ty::Rel => self
                .elem_cols(ty == Ty::Node)
                .into_iter()
                .map(|c| format!("s{slot}_{c}"))
                .collect(),
            _ => (0..ty.width()).map(|k| format!("s{slot}_{k}")).collect(),
        }
    }

    fn rel_cols(&self, rel: &Rel, with_order: bool) -> Vec<String> {
        let mut cols = vec!["_one".to_string()];
        for (s, ty) in &rel.slots {
            cols.extend(self.slot_cols(*s, *ty));
        }
        if with_order && let Some(order) = &rel.order {
            cols.extend(order.iter().map(|(c, _)| c.clone()));
        }
        cols
    }

    fn qualified(&self, rel: &Rel, alias: &str, with_order: bool) -> Vec<String> {
        self.rel_cols(rel, with_order)
            .into_iter()
            .map(|c| format!("{alias}.{c}"))
            .collect()
    }

    /// Element columns read from a table alias, renamed for a slot.
    fn elem_select(&self, alias: &str, slot: usize, node: bool) -> Vec<String> {
        self.elem_cols(node)
            .into_iter()
            .map(|c| format!("{alias}.{c} AS s{slot}_{c}"))
            .collect()
    }

    fn push(&mut self, sql: String) -> String {
        let name = format!("q{}", self.ctes.len());
        self.ctes.push(format!("{name} AS ({sql})"));
        name
    }

    fn derive(&self, rel: &Rel, name: String) -> Rel {
        Rel {
            name,
            slots: rel.slots.clone(),
            order: rel.order.clone(),
            no_ids: rel.no_ids.clone(),
            zero_sums: rel.zero_sums.clone(),
        }
    }

    fn start(&mut self) -> Rel {
        let name = self.push("SELECT 1 AS _one".into());
        Rel {
            name,
            slots: BTreeMap::new(),
            order: None,
            no_ids: BTreeSet::new(),
            zero_sums: BTreeSet::new(),
        }
    }

    /// Compiles every part of a query and the final projection.
    pub(crate) fn query(&mut self, compiled: &CompiledQuery) -> SparkResult<SparkQuery> {
        let mut parts = Vec::new();
        for part in &compiled.parts {
            if part.columns.is_empty() {
                return unsupported("a statement without RETURN");
            }
            let rel = self.op(&part.root, None)?;
            let mut tys = Vec::new();
            for slot in &part.slots {
                let Some(ty) = rel.slots.get(slot).copied() else {
                    return unsupported(format!("the result column `{}`", self.slot_name(*slot)));
                };
                tys.push((ty, column_kind(ty, rel.zero_sums.contains(slot))?));
                if !ty.is_scalar() || matches!(ty, Ty::RelList | Ty::Path) {
                    self.returns_whole = true;
                }
                if matches!(ty, Ty::RelList | Ty::Path) {
                    self.returns_paths = true;
                    self.needs_elements = true;
                    if rel.no_ids.contains(slot) {
                        return unsupported(format!(
                            "returning the shortest path `{}` (return its length instead)",
                            self.slot_name(*slot)
                        ));
                    }
                }
            }
            parts.push((rel, tys));
        }
        // A column's kind is the one its parts agree on; a part where it is null fills nulls.
        let mut kinds: Vec<ColumnKind> = vec![ColumnKind::Null; compiled.parts[0].slots.len()];
        for (_, tys) in &parts {
            if tys.len() != kinds.len() {
                return unsupported("UNION of parts with different numbers of columns");
            }
            for (k, (_, kind)) in kinds.iter_mut().zip(tys) {
                match (*k, *kind) {
                    (_, ColumnKind::Null) => {}
                    (ColumnKind::Null, new) => *k = new,
                    (a, b) if a == b => {}
                    (ColumnKind::Money, ColumnKind::MoneyOrZero) | (ColumnKind::MoneyOrZero, ColumnKind::Money) => {
                        *k = ColumnKind::MoneyOrZero
                    }
                    _ => return unsupported("UNION of parts whose columns have different types"),
                }
            }
        }
        let mut selects = Vec::new();
        let mut ordered = false;
        for ((rel, tys), part) in parts.iter().zip(&compiled.parts) {
            let mut cols = Vec::new();
            let mut joins = Vec::new();
            let mut i = 0;
            for ((slot, (ty, kind)), want) in part.slots.iter().zip(tys).zip(&kinds) {
                if *kind == ColumnKind::Null {
                    for _ in 0..want.width() {
                        cols.push(format!("NULL AS c{i}"));
                        i += 1;
                    }
                    continue;
                }
                if kind.is_element() {
                    cols.push(format!("{} AS c{i}", self.element_output(*slot, *ty, &mut joins)));
                    i += 1;
                    continue;
                }
                for c in self.slot_cols(*slot, *ty) {
                    cols.push(format!("t.{c} AS c{i}"));
                    i += 1;
                }
            }
            let mut sql = format!("SELECT {} FROM {} t{}", cols.join(", "), rel.name, joins.concat());
            if compiled.parts.len() == 1
                && let Some(order) = &rel.order
            {
                sql.push(' ');
                sql.push_str(&order_by(order, "t"));
                ordered = true;
            }
            selects.push(sql);
        }
        let body = if compiled.parts.len() == 1 {
            selects.concat()
        } else {
            let glue = if compiled.union_distinct {
                " UNION "
            } else {
                " UNION ALL "
            };
            selects
                .iter()
                .map(|s| format!("SELECT * FROM ({s})"))
                .collect::<Vec<_>>()
                .join(glue)
        };
        let sql = format!("WITH {}\n{body}", self.ctes.join(",\n"));
        Ok(SparkQuery {
            sql,
            columns: compiled.parts[0].columns.clone(),
            kinds,
            ordered,
            catalog: self.catalog.clone(),
            question: None,
        })
    }

    /// Compiles an operator; `base` is the relation its `Start` leaf stands for.
    fn op(&mut self, op: &Op, base: Option<&Rel>) -> SparkResult<Rel> {
        let input = match &op.input {
            Some(i) => Some(self.op(i, base)?),
            None => None,
        };
        let get = |input: Option<Rel>| -> SparkResult<Rel> {
            match input {
                Some(r) => Ok(r),
                None => unsupported("an operator without input"),
            }
        };
        match &op.kind {
            OpKind::Start => match (input, base) {
                (Some(r), _) => Ok(r),
                (None, Some(b)) => Ok(b.clone()),
                (None, None) => Ok(self.start()),
            },
            OpKind::AllNodes { slot, labels } => {
                let rel = get(input)?;
                self.scan(&rel, *slot, label_tests("n", labels))
            }
            OpKind::LabelScan { slot, label, labels } => {
                let rel = get(input)?;
                let mut all = vec![label.clone()];
                all.extend(labels.iter().cloned());
                self.scan(&rel, *slot, label_tests("n", &all))
            }
            OpKind::LabelUnionScan { slot, any, labels } => {
                let rel = get(input)?;
                let mut conds = label_tests("n", labels);
                let lits: Vec<String> = any.iter().map(|l| lit_str(l)).collect();
                conds.push(if lits.is_empty() {
                    "FALSE".into()
                } else {
                    format!("arrays_overlap(n.labels, array({}))", lits.join(", "))
                });
                self.scan(&rel, *slot, conds)
            }
            OpKind::NameSeek { slot, value, labels } => {
                let rel = get(input)?;
                let names: Vec<String> = match value {
                    CExpr::Const(Value::String(s)) => vec![normalize_name(s)],
                    CExpr::Const(Value::List(items)) => {
                        items.iter().filter_map(|v| v.as_str().map(normalize_name)).collect()
                    }
                    _ => return unsupported("a name lookup by a value that is not constant"),
                };
                let mut conds = label_tests("n", labels);
                if names.is_empty() {
                    conds.push("FALSE".into());
                } else {
                    let lits: Vec<String> = names.iter().map(|n| lit_str(n)).collect();
                    conds.push(format!("arrays_overlap(n.names, array({}))", lits.join(", ")));
                }
                self.scan(&rel, *slot, conds)
            }
            OpKind::PropSeek {
                slot,
                label,
                key,
                value,
                labels,
            } => {
                let rel = get(input)?;
                let v = self.expr(value, &rel, "t")?;
                let node = SqlVal {
                    ty: Ty::Node,
                    parts: vec!["n.id".into(), "n.".into()],
                };
                let p = self.prop(&node, key, true)?;
                let eq = super::expr::compare(crate::plan::CmpOp::Eq, &p, &v)?;
                let mut all = vec![label.clone()];
                all.extend(labels.iter().cloned());
                let mut conds = label_tests("n", &all);
                conds.push(eq.parts[0].clone());
                self.scan(&rel, *slot, conds)
            }
            OpKind::IdSeek { slot, value, labels } => {
                let rel = get(input)?;
                let ids: Vec<i64> = match value {
                    CExpr::Const(Value::Int(i)) => vec![*i],
                    CExpr::Const(Value::List(items)) => items
                        .iter()
                        .filter_map(|v| match v {
                            Value::Int(i) => Some(*i),
                            _ => None,
                        })
                        .collect(),
                    CExpr::Const(_) => Vec::new(),
                    _ => return unsupported("a lookup by an id that is not constant"),
                };
                let mut conds = label_tests("n", labels);
                if ids.is_empty() {
                    conds.push("FALSE".into());
                } else {
                    let lits: Vec<String> = ids.iter().map(|i| i.to_string()).collect();
                    conds.push(format!("n.id IN ({})", lits.join(", ")));
                }
                self.scan(&rel, *slot, conds)
            }
            OpKind::Expand {
                from,
                rel: r,
                to,
                walk,
                into,
                unique,
            } => {
                let rel = get(input)?;
                self.expand(&rel, *from, *r, *to, walk, *into, unique)
            }
            OpKind::VarExpand {
                from,
                rel: r,
                to,
                walk,
                min,
                max,
                into,
                unique,
                reverse,
            } => {
                let rel = get(input)?;
                self.var_expand(&rel, (*from, *r, *to), walk, (*min, *max), *into, unique, *reverse)
            }
            OpKind::Reach {
                from,
                to,
                walk,
                min,
                max,
                into,
            } => {
                let rel = get(input)?;
                self.reach(&rel, *from, *to, walk, *min, *max, *into)
            }
            OpKind::Shortest {
                from,
                to,
                rel: r,
                path,
                walk,
                min,
                max,
                all,
            } => {
                let rel = get(input)?;
                if *all {
                    return self.all_shortest(&rel, (*from, *r, *to), *path, walk, (*min, *max));
                }
                self.shortest(&rel, *from, *to, *r, *path, walk, *min, *max)
            }
            OpKind::Filter { pred } => {
                let input = get(input)?;
                // Each pattern predicate becomes a boolean column computed beforehand.
                let mut plans = Vec::new();
                let base = EXISTS_SLOTS + self.ctes.len() * 64;
                let pred = if pred.has_subplan() {
                    pred.clone().rewrite(&mut |e| match e {
                        CExpr::Exists(plan) => {
                            plans.push((base + plans.len(), plan.clone()));
                            Some(CExpr::Slot(base + plans.len() - 1))
                        }
                        _ => None,
                    })
                } else {
                    pred.clone()
                };
                let mut rel = input.clone();
                for (slot, plan) in &plans {
                    rel = self.exists_column(&rel, plan, *slot)?;
                }
                let p = self.expr(&pred, &rel, "t")?;
                let cond = match p.ty {
                    Ty::Bool => p.parts[0].clone(),
                    Ty::Null => "FALSE".into(),
                    other => return unsupported(format!("a WHERE condition that is {}", other.describe())),
                };
                let cols = self.qualified(&input, "t", true);
                let name = self.push(format!("SELECT {} FROM {} t WHERE {cond}", cols.join(", "), rel.name));
                Ok(self.derive(&input, name))
            }
            OpKind::BindPath { slot, start, steps } => {
                let rel = get(input)?;
                self.bind_path(&rel, *slot, *start, steps)
            }
            OpKind::Optional { sub, nulls: _ } => {
                let rel = get(input)?;
                self.optional(&rel, sub)
            }
            OpKind::Project { items } => {
                let rel = get(input)?;
                self.project(&rel, items)
            }
            OpKind::Aggregate { keys, aggs } => {
                let rel = get(input)?;
                self.aggregate(&rel, keys, aggs)
            }
            OpKind::Distinct { slots } => {
                let rel = get(input)?;
                if rel.order.is_some() {
                    return unsupported("DISTINCT after ORDER BY");
                }
                let mut out = self.derive(&rel, String::new());
                out.slots.retain(|s, _| slots.contains(s));
                out.name = self.push(self.distinct_rows(&out, &rel.name));
                Ok(out)
            }
            OpKind::Sort { keys } => {
                let rel = get(input)?;
                self.sort(&rel, keys, None)
            }
            OpKind::TopK { keys, skip, limit } => {
                let rel = get(input)?;
                self.sort(&rel, keys, Some((*skip, *limit)))
            }
            OpKind::Skip { count } => {
                let rel = get(input)?;
                self.slice(&rel, Some(*count), None)
            }
            OpKind::Limit { count } => {
                let rel = get(input)?;
                self.slice(&rel, None, Some(*count))
            }
            OpKind::Eager => get(input),
            OpKind::Unwind { expr, slot } => {
                let rel = get(input)?;
                self.unwind(&rel, expr, *slot)
            }
            OpKind::Create { .. }
            | OpKind::Merge { .. }
            | OpKind::Set { .. }
            | OpKind::Remove { .. }
            | OpKind::Delete { .. }
            | OpKind::Cite { .. } => unsupported("writing clauses"),
            OpKind::BoundRel { .. } => unsupported("a pattern over a relationship bound earlier"),
            #[allow(unreachable_patterns)]
            other => {
                let text = format!("{other:?}");
                let name = text.split([' ', '{', '(']).next().unwrap_or("?").to_string();
                unsupported(format!("the plan operator {name}"))
            }
        }
    }

    fn scan(&mut self, rel: &Rel, slot: usize, conds: Vec<String>) -> SparkResult<Rel> {
        if rel.slots.contains_key(&slot) {
            return unsupported("a node scan of a bound variable");
        }
        let mut cols = self.qualified(rel, "t", true);
        cols.extend(self.elem_select("n", slot, true));
        let name = self.push(format!(
            "SELECT {} FROM {} t CROSS JOIN nodes n{}",
            cols.join(", "),
            rel.name,
            where_clause(&conds)
        ));
        let mut out = self.derive(rel, name);
        out.slots.insert(slot, Ty::Node);
        Ok(out)
    }

    /// Conditions keeping edge `alias` distinct from the relationships already bound in `unique`.
    fn unique_tests(&self, rel: &Rel, alias: &str, unique: &[usize]) -> SparkResult<Vec<String>> {
        let mut conds = Vec::new();
        for u in unique {
            match rel.slots.get(u) {
                Some(Ty::Rel) => conds.push(format!("(t.s{u}_id IS NULL OR {alias}.id <> t.s{u}_id)")),
                Some(Ty::RelList) if !rel.no_ids.contains(u) => {
                    conds.push(format!("coalesce(NOT array_contains(t.s{u}_0, {alias}.id), TRUE)"))
                }
                Some(Ty::Null) | None => {}
                Some(_) => return unsupported("relationship uniqueness against a shortest path"),
            }
        }
        Ok(conds)
    }

    #[allow(clippy::too_many_arguments)]
    fn expand(
        &mut self,
        rel: &Rel,
        from: usize,
        r: usize,
        to: usize,
        walk: &Walk,
        into: bool,
        unique: &[usize],
    ) -> SparkResult<Rel> {
        if walk.edge_props.is_some() {
            return unsupported("a relationship property map in a pattern");
        }
        if rel.slots.get(&from) != Some(&Ty::Node) {
            return unsupported("a pattern starting at a variable that is not a node");
        }
        let mut cols = self.qualified(rel, "t", true);
        cols.extend(self.elem_select("e", r, false));
        let mut sql = format!(
            "{} t JOIN {} e ON e.efrom = t.s{from}_id",
            rel.name,
            edge_view(walk.dir)
        );
        let mut conds = Vec::new();
        if into {
            conds.push(format!("e.eto = t.s{to}_id"));
        } else {
            cols.extend(self.elem_select("m", to, true));
            sql.push_str(" JOIN nodes m ON m.id = e.eto");
            conds.extend(label_tests("m", &walk.to_labels));
        }
        conds.extend(types_test("e", &walk.types));
        conds.extend(self.unique_tests(rel, "e", unique)?);
        let name = self.push(format!("SELECT {} FROM {sql}{}", cols.join(", "), where_clause(&conds)));
        let mut out = self.derive(rel, name);
        out.slots.insert(r, Ty::Rel);
        if !into {
            out.slots.insert(to, Ty::Node);
        }
        Ok(out)
    }

    #[allow(clippy::too_many_arguments)]
    fn var_expand(
        &mut self,
        rel: &Rel,
        (from, r, to): (usize, usize, usize),
        walk: &Walk,
        (min, max): (u64, u64),
        into: bool,
        unique: &[usize],
        reverse: bool,
    ) -> SparkResult<Rel> {
        if walk.edge_props.is_some() {
            return unsupported("a relationship property map in a variable-length pattern");
        }
        if max > MAX_UNROLLED_HOPS {
            return unsupported(format!(
                "a variable-length pattern of up to {max} hops (at most {MAX_UNROLLED_HOPS} are unrolled; give an upper bound such as *1..3)"
            ));
        }
        let view = edge_view(walk.dir);
        let base_cols = self.qualified(rel, "t", true);
        let mut branches = Vec::new();
        for k in min..=max {
            let mut cols = base_cols.clone();
            let ids: Vec<String> = (1..=k).map(|i| format!("e{i}.id")).collect();
            let arr = if ids.is_empty() {
                "CAST(array() AS ARRAY<BIGINT>)".to_string()
            } else if reverse {
                format!("reverse(array({}))", ids.join(", "))
            } else {
                format!("array({})", ids.join(", "))
            };
            cols.push(format!("{arr} AS s{r}_0"));
            cols.push(format!("CAST({k} AS BIGINT) AS s{r}_1"));
            // The nodes between the hops and the hops themselves, in the pattern's order.
            let inner: Vec<String> = (1..k).map(|i| self.elem_struct(true, &format!("v{i}."))).collect();
            let hops: Vec<String> = (1..=k).map(|i| self.elem_struct(false, &format!("e{i}."))).collect();
            cols.push(format!("{} AS s{r}_2", self.elem_array(true, &inner, reverse)));
            cols.push(format!("{} AS s{r}_3", self.elem_array(false, &hops, reverse)));
            let mut sql = format!("{} t", rel.name);
            let mut conds = Vec::new();
            let mut prev = format!("t.s{from}_id");
            for i in 1..=k {
                if i > 1 && self.elements {
                    sql.push_str(&format!(" JOIN nodes v{j} ON v{j}.id = {prev}", j = i - 1));
                }
                sql.push_str(&format!(" JOIN {view} e{i} ON e{i}.efrom = {prev}"));
                prev = format!("e{i}.eto");
                conds.extend(types_test(&format!("e{i}"), &walk.types));
                for j in 1..i {
                    conds.push(format!("e{i}.id <> e{j}.id"));
                }
                conds.extend(self.unique_tests(rel, &format!("e{i}"), unique)?);
            }
            if k == 0 {
                conds.push(format!("t.s{from}_id IS NOT NULL"));
            }
            if into {
                conds.push(format!("{prev} = t.s{to}_id"));
            } else {
                cols.extend(self.elem_select("m", to, true));
                sql.push_str(&format!(" JOIN nodes m ON m.id = {prev}"));
                conds.extend(label_tests("m", &walk.to_labels));
            }
            branches.push(format!("SELECT {} FROM {sql}{}", cols.join(", "), where_clause(&conds)));
        }
        if branches.is_empty() {
            return unsupported("a variable-length pattern whose minimum exceeds its maximum");
        }
        let name = self.push(branches.join(" UNION ALL "));
        let mut out = self.derive(rel, name);
        out.slots.insert(r, Ty::RelList);
        if !into {
            out.slots.insert(to, Ty::Node);
        }
        Ok(out)
    }

    /// Breadth-first expansion from every distinct start of `rel`, one join per level.
    /// Level `k` holds every (`src`, `node`) pair reached so far with its least distance
    /// `d`; it is computed from level `k - 1` alone (each row stays, and rows at
    /// distance `k - 1`, the frontier, also step along one edge), so the SQL grows
    /// linearly with the depth and each level is bounded by the nodes reached per
    /// start. The result has one (`src`, `node`, `k`) row per node reached in
    /// `first..=max` hops, with the least such `k`; with `first` 1 the expansion starts
    /// at the starts' neighbours, so a start reached again through a cycle counts.
    fn search(&mut self, rel: &Rel, from: usize, walk: &Walk, first: u64, max: u64) -> SparkResult<String> {
        if walk.edge_props.is_some() {
            return unsupported("a relationship property map in a variable-length pattern");
        }
        if max > MAX_SEARCH_DEPTH {
            return unsupported(format!(
                "a search of up to {max} hops (at most {MAX_SEARCH_DEPTH}; give an upper bound)"
            ));
        }
        if first > max {
            return unsupported("a variable-length pattern whose minimum exceeds its maximum");
        }
        let view = edge_view(walk.dir);
        let types = types_test("e", &walk.types)
            .map(|t| format!(" WHERE {t}"))
            .unwrap_or_default();
        let starts = self.push(format!(
            "SELECT DISTINCT t.s{from}_id AS src FROM {} t WHERE t.s{from}_id IS NOT NULL",
            rel.name
        ));
        let mut level = if first == 0 {
            self.push(format!("SELECT src, src AS node, CAST(0 AS BIGINT) AS k FROM {starts}"))
        } else {
            self.push(format!(
                "SELECT s.src, e.eto AS node, CAST(1 AS BIGINT) AS k FROM {starts} s JOIN {view} e ON e.efrom = s.src{types} GROUP BY s.src, e.eto"
            ))
        };
        if max > first {
            // Each edge as a step, and each node as a step that stays in place.
            let steps = self.push(format!(
                "SELECT e.efrom, e.eto, 1 AS step FROM {view} e{types} UNION ALL SELECT id AS efrom, id AS eto, 0 AS step FROM nodes"
            ));
            for k in first + 1..=max {
                level = self.push(format!(
                    "SELECT f.src, x.eto AS node, min(CASE WHEN x.step = 0 THEN f.k ELSE CAST({k} AS BIGINT) END) AS k \
                     FROM {level} f JOIN {steps} x ON x.efrom = f.node AND (x.step = 0 OR f.k = {prev}) GROUP BY f.src, x.eto",
                    prev = k - 1
                ));
            }
        }
        Ok(level)
    }

    #[allow(clippy::too_many_arguments)]
    fn reach(
        &mut self,
        rel: &Rel,
        from: usize,
        to: usize,
        walk: &Walk,
        min: u64,
        max: u64,
        into: bool,
    ) -> SparkResult<Rel> {
        if min > 1 {
            return unsupported("a reachability search with a minimum above 1");
        }
        let found = self.search(rel, from, walk, min, max)?;
        let mut cols = self.qualified(rel, "t", true);
        let mut sql = format!("{} t JOIN {found} r ON r.src = t.s{from}_id", rel.name);
        let mut conds = Vec::new();
        if into {
            conds.push(format!("r.node = t.s{to}_id"));
        } else {
            cols.extend(self.elem_select("m", to, true));
            sql.push_str(" JOIN nodes m ON m.id = r.node");
            conds.extend(label_tests("m", &walk.to_labels));
        }
        let name = self.push(format!("SELECT {} FROM {sql}{}", cols.join(", "), where_clause(&conds)));
        let mut out = self.derive(rel, name);
        if !into {
            out.slots.insert(to, Ty::Node);
        }
        Ok(out)
    }

    #[allow(clippy::too_many_arguments)]
    fn shortest(
        &mut self,
        rel: &Rel,
        from: usize,
        to: usize,
        r: usize,
        path: Option<usize>,
        walk: &Walk,
        min: u64,
        max: u64,
    ) -> SparkResult<Rel> {
        if min > 1 {
            return unsupported("a shortest path with a minimum length above 1");
        }
        shortest_ends(rel, from, to, walk)?;
        let found = self.search(rel, from, walk, min, max)?;
        let mut cols = self.qualified(rel, "t", true);
        cols.push(format!("CAST(NULL AS ARRAY<BIGINT>) AS s{r}_0"));
        cols.push(format!("r.k AS s{r}_1"));
        let (no_nodes, no_edges) = (self.null_array(true), self.null_array(false));
        cols.push(format!("{no_nodes} AS s{r}_2"));
        cols.push(format!("{no_edges} AS s{r}_3"));
        if let Some(p) = path {
            cols.push(format!("r.k AS s{p}_0"));
            cols.push(format!("{no_nodes} AS s{p}_1"));
            cols.push(format!("{no_edges} AS s{p}_2"));
        }
        // From a node to itself with at least one hop: the engine finds no path.
        let mut conds = vec![format!("r.node = t.s{to}_id")];
        if min == 1 {
            conds.push(format!("t.s{from}_id <> t.s{to}_id"));
        }
        let name = self.push(format!(
            "SELECT {} FROM {} t JOIN {found} r ON r.src = t.s{from}_id{}",
            cols.join(", "),
            rel.name,
            where_clause(&conds)
        ));
        let mut out = self.derive(rel, name);
        out.slots.insert(r, Ty::RelList);
        out.no_ids.insert(r);
        if let Some(p) = path {
            out.slots.insert(p, Ty::Path);
            out.no_ids.insert(p);
        }
        Ok(out)
    }

    /// Every shortest path between two bound nodes: a breadth-first search finds
    /// their distance and each node's least distance from the start; the paths are
    /// then the joins of that many hops whose `i`-th node lies at distance `i`.
    fn all_shortest(
        &mut self,
        rel: &Rel,
        (from, r, to): (usize, usize, usize),
        path: Option<usize>,
        walk: &Walk,
        (min, max): (u64, u64),
    ) -> SparkResult<Rel> {
        if min != 1 {
            return unsupported("allShortestPaths with a minimum length other than 1");
        }
        shortest_ends(rel, from, to, walk)?;
        if max > MAX_UNROLLED_HOPS {
            return unsupported(format!(
                "allShortestPaths of up to {max} hops (at most {MAX_UNROLLED_HOPS}; give an upper bound such as *..4)"
            ));
        }
        let found = self.search(rel, from, walk, min, max)?;
        let view = edge_view(walk.dir);
        let base_cols = self.qualified(rel, "t", true);
        let start = format!("array({})", self.elem_struct(true, &format!("t.s{from}_")));
        let end = format!("array({})", self.elem_struct(true, &format!("t.s{to}_")));
        let mut branches = Vec::new();
        for k in 1..=max {
            let mut sql = format!(
                "{} t JOIN {found} r ON r.src = t.s{from}_id AND r.node = t.s{to}_id AND r.k = {k}",
                rel.name
            );
            // From a node to itself with at least one hop: the engine finds no path.
            let mut conds = vec![format!("t.s{from}_id <> t.s{to}_id")];
            let mut prev = format!("t.s{from}_id");
            for i in 1..=k {
                sql.push_str(&format!(" JOIN {view} e{i} ON e{i}.efrom = {prev}"));
                conds.extend(types_test(&format!("e{i}"), &walk.types));
                prev = format!("e{i}.eto");
                if i < k {
                    sql.push_str(&format!(
                        " JOIN {found} f{i} ON f{i}.src = t.s{from}_id AND f{i}.node = {prev} AND f{i}.k = {i}"
                    ));
                    if self.elements {
                        sql.push_str(&format!(" JOIN nodes v{i} ON v{i}.id = {prev}"));
                    }
                }
            }
            conds.push(format!("{prev} = t.s{to}_id"));
            let ids: Vec<String> = (1..=k).map(|i| format!("e{i}.id")).collect();
            let inner: Vec<String> = (1..k).map(|i| self.elem_struct(true, &format!("v{i}."))).collect();
            let hops: Vec<String> = (1..=k).map(|i| self.elem_struct(false, &format!("e{i}."))).collect();
            let inner = self.elem_array(true, &inner, false);
            let hops = self.elem_array(false, &hops, false);
            let mut cols = base_cols.clone();
            cols.push(format!("array({}) AS s{r}_0", ids.join(", ")));
            cols.push(format!("CAST({k} AS BIGINT) AS s{r}_1"));
            cols.push(format!("{inner} AS s{r}_2"));
            cols.push(format!("{hops} AS s{r}_3"));
            if let Some(p) = path {
                cols.push(format!("CAST({k} AS BIGINT) AS s{p}_0"));
                if self.elements {
                    cols.push(format!("concat({start}, {inner}, {end}) AS s{p}_1"));
                } else {
                    cols.push(format!("{} AS s{p}_1", self.elem_array(true, &[], false)));
                }
                cols.push(format!("{hops} AS s{p}_2"));
            }
            branches.push(format!("SELECT {} FROM {sql}{}", cols.join(", "), where_clause(&conds)));
        }
        if branches.is_empty() {
            return unsupported("a shortest path whose minimum exceeds its maximum");
        }
        let name = self.push(branches.join(" UNION ALL "));
        let mut out = self.derive(rel, name);
        out.slots.insert(r, Ty::RelList);
        if let Some(p) = path {
            out.slots.insert(p, Ty::Path);
        }
        Ok(out)
    }

    /// UNWIND of `sources(x)` for a node or relationship `x`: a row per distinct
    /// citation, in the element's order. Other lists are refused.
    fn unwind(&mut self, rel: &Rel, e: &CExpr, slot: usize) -> SparkResult<Rel> {
        let CExpr::Func(Func::Sources, args) = e else {
            return unsupported("UNWIND of a list other than sources(x)");
        };
        let Some(CExpr::Slot(x)) = args.first() else {
            return unsupported("UNWIND of sources() of an expression");
        };
        if !matches!(rel.slots.get(x), Some(Ty::Node | Ty::Rel)) {
            return unsupported("UNWIND of sources() of a value that is not a node or relationship");
        }
        self.needs_cites = true;
        if !self.cites {
            // The first pass only learns that citations are needed.
            let mut out = self.derive(rel, rel.name.clone());
            out.slots.insert(slot, Ty::Cite);
            return Ok(out);
        }
        let mut cols = self.qualified(rel, "t", false);
        cols.push(format!("c AS s{slot}_0"));
        let name = self.push(format!(
            "SELECT {} FROM {} t LATERAL VIEW explode(array_distinct(t.s{x}_cites)) u AS c",
            cols.join(", "),
            rel.name
        ));
        let mut out = self.derive(rel, name);
        // Rows of one element follow its citations' order, which an ORDER BY before does not fix.
        out.order = None;
        out.slots.insert(slot, Ty::Cite);
        Ok(out)
    }

    /// A path from its first node and its steps: its length, and its nodes and
    /// relationships as structs when the query reads them.
    fn bind_path(&mut self, rel: &Rel, slot: usize, start: usize, steps: &[PathStep]) -> SparkResult<Rel> {
        let mut lens = Vec::new();
        let mut nulls = vec![format!("t.s{start}_id IS NULL")];
        let mut nodes = vec![format!("array({})", self.elem_struct(true, &format!("t.s{start}_")))];
        let mut edges = Vec::new();
        let mut no_elements = false;
        for step in steps {
            let (PathStep::Edge { rel: r, to } | PathStep::Edges { rel: r, to }) = *step;
            if rel.slots.get(&to) != Some(&Ty::Node) {
                return unsupported("a path whose nodes are not all bound");
            }
            match step {
                PathStep::Edge { .. } => {
                    lens.push("1".to_string());
                    nulls.push(format!("t.s{r}_id IS NULL"));
                    edges.push(format!("array({})", self.elem_struct(false, &format!("t.s{r}_"))));
                }
                PathStep::Edges { .. } => {
                    lens.push(format!("t.s{r}_1"));
                    nulls.push(format!("t.s{r}_1 IS NULL"));
                    nodes.push(format!("t.s{r}_2"));
                    edges.push(format!("t.s{r}_3"));
                    no_elements |= rel.no_ids.contains(&r);
                }
            }
            let to_node = format!("array({})", self.elem_struct(true, &format!("t.s{to}_")));
            match step {
                // A zero-length step stays on its node.
                PathStep::Edges { .. } => nodes.push(format!(
                    "CASE WHEN t.s{r}_1 = 0 THEN {} ELSE {to_node} END",
                    self.elem_array(true, &[], false)
                )),
                PathStep::Edge { .. } => nodes.push(to_node),
            }
        }
        let len = if lens.is_empty() {
            "0".to_string()
        } else {
            lens.join(" + ")
        };
        let nulls = nulls.join(" OR ");
        let mut cols = self.qualified(rel, "t", true);
        cols.push(format!(
            "CAST(CASE WHEN {nulls} THEN NULL ELSE {len} END AS BIGINT) AS s{slot}_0"
        ));
        if self.elements && !no_elements {
            let edges = if edges.is_empty() {
                self.elem_array(false, &[], false)
            } else {
                format!("concat({})", edges.join(", "))
            };
            cols.push(format!(
                "CASE WHEN {nulls} THEN NULL ELSE concat({}) END AS s{slot}_1",
                nodes.join(", ")
            ));
            cols.push(format!("CASE WHEN {nulls} THEN NULL ELSE {edges} END AS s{slot}_2"));
        } else {
            cols.push(format!("{} AS s{slot}_1", self.null_array(true)));
            cols.push(format!("{} AS s{slot}_2", self.null_array(false)));
        }
        let name = self.push(format!("SELECT {} FROM {} t", cols.join(", "), rel.name));
        let mut out = self.derive(rel, name);
        out.slots.insert(slot, Ty::Path);
        if no_elements {
            out.no_ids.insert(slot);
        }
        Ok(out)
    }

    /// Columns of `rel` holding arrays of structs (citations, path elements). Spark's
    /// generated code for hashing and comparing them grows past its heap, so they
    /// are grouped and joined on as JSON text.
    fn nested_cols(&self, rel: &Rel) -> BTreeSet<String> {
        let mut out = BTreeSet::new();
        for (s, ty) in &rel.slots {
            match ty {
                Ty::Node | Ty::Rel if self.cites => {
                    out.insert(format!("s{s}_cites"));
                }
                Ty::RelList => {
                    out.insert(format!("s{s}_2"));
                    out.insert(format!("s{s}_3"));
                }
                Ty::Path => {
                    out.insert(format!("s{s}_1"));
                    out.insert(format!("s{s}_2"));
                }
                _ => {}
            }
        }
        out
    }

    /// The columns of `rel` read after `alias`, as grouping and join keys: nested
    /// columns as JSON text (see [`Builder::nested_cols`]).
    fn row_keys(&self, rel: &Rel, alias: &str) -> Vec<String> {
        let nested = self.nested_cols(rel);
        self.rel_cols(rel, false)
            .into_iter()
            .map(|c| {
                if nested.contains(&c) {
                    format!("to_json({alias}.{c})")
                } else {
                    format!("{alias}.{c}")
                }
            })
            .collect()
    }

    /// The distinct rows of the slots of `rel`, read from the relation `from`.
    fn distinct_rows(&self, rel: &Rel, from: &str) -> String {
        let nested = self.nested_cols(rel);
        let cols = self.rel_cols(rel, false);
        if nested.is_empty() {
            let cols: Vec<String> = cols.iter().map(|c| format!("t.{c}")).collect();
            return format!("SELECT DISTINCT {} FROM {from} t", cols.join(", "));
        }
        let select: Vec<String> = cols
            .iter()
            .map(|c| {
                if nested.contains(c) {
                    format!("first(t.{c}) AS {c}")
                } else {
                    format!("t.{c}")
                }
            })
            .collect();
        format!(
            "SELECT {} FROM {from} t GROUP BY {}",
            select.join(", "),
            self.row_keys(rel, "t").join(", ")
        )
    }

    /// Runs `plan` once per distinct row of `rel`: the distinct rows and the plan's rows.
    fn per_distinct_row(&mut self, rel: &Rel, plan: &Op) -> SparkResult<(Rel, Rel)> {
        let mut distinct = self.derive(rel, String::new());
        distinct.order = None;
        distinct.name = self.push(self.distinct_rows(&distinct, &rel.name));
        let matched = self.op(plan, Some(&distinct))?;
        Ok((distinct, matched))
    }

    /// `rel` with a boolean column in `slot`: whether the pattern predicate's sub-plan
    /// matches for the row. The sub-plan runs once per distinct row.
    fn exists_column(&mut self, rel: &Rel, plan: &Op, slot: usize) -> SparkResult<Rel> {
        let (distinct, matched) = self.per_distinct_row(rel, plan)?;
        let group = self.row_keys(&distinct, "m");
        let keys: Vec<String> = group.iter().enumerate().map(|(i, k)| format!("{k} AS k{i}")).collect();
        let hits = self.push(format!(
            "SELECT {}, TRUE AS _hit FROM {} m GROUP BY {}",
            keys.join(", "),
            matched.name,
            group.join(", ")
        ));
        let on: Vec<String> = self
            .row_keys(&distinct, "l")
            .iter()
            .enumerate()
            .map(|(i, k)| format!("{k} <=> h.k{i}"))
            .collect();
        let mut out_cols = self.qualified(rel, "l", true);
        out_cols.push(format!("coalesce(h._hit, FALSE) AS s{slot}_0"));
        let name = self.push(format!(
            "SELECT {} FROM {} l LEFT JOIN {hits} h ON {}",
            out_cols.join(", "),
            rel.name,
            on.join(" AND ")
        ));
        let mut out = self.derive(rel, name);
        out.slots.insert(slot, Ty::Bool);
        Ok(out)
    }

    fn optional(&mut self, rel: &Rel, sub: &Op) -> SparkResult<Rel> {
        // The sub-plan runs once per distinct input row; its rows join back on every column.
        let (distinct, matched) = self.per_distinct_row(rel, sub)?;
        let on: Vec<String> = self
            .row_keys(&distinct, "l")
            .iter()
            .zip(self.row_keys(&distinct, "r"))
            .map(|(l, r)| format!("{l} <=> {r}"))
            .collect();
        let mut cols = self.qualified(rel, "l", true);
        let mut out = self.derive(rel, String::new());
        for (s, ty) in &matched.slots {
            if !rel.slots.contains_key(s) {
                cols.extend(self.slot_cols(*s, *ty).into_iter().map(|c| format!("r.{c}")));
                out.slots.insert(*s, *ty);
            }
        }
        out.no_ids.extend(matched.no_ids.iter().copied());
        out.zero_sums.extend(matched.zero_sums.iter().copied());
        out.name = self.push(format!(
            "SELECT {} FROM {} l LEFT JOIN {} r ON {}",
            cols.join(", "),
            rel.name,
            matched.name,
            on.join(" AND ")
        ));
        Ok(out)
    }

    fn project(&mut self, rel: &Rel, items: &[(usize, CExpr)]) -> SparkResult<Rel> {
        let mut out = self.derive(rel, String::new());
        let mut new_cols = Vec::new();
        for (slot, e) in items {
            if let CExpr::Slot(src) = e
                && rel.zero_sums.contains(src)
            {
                out.zero_sums.insert(*slot);
            } else {
                out.zero_sums.remove(slot);
            }
            let v = if let CExpr::Slot(src) = e
                && rel.zero_sums.contains(src)
            {
                let parts = self
                    .slot_cols(*src, Ty::Money)
                    .into_iter()
                    .map(|c| format!("t.{c}"))
                    .collect();
                SqlVal { ty: Ty::Money, parts }
            } else {
                self.expr(e, rel, "t")?
            };
            match v.ty {
                Ty::Node | Ty::Rel => {
                    let prefix = v.parts[1].clone();
                    for c in self.elem_cols(v.ty == Ty::Node) {
                        new_cols.push(format!("{prefix}{c} AS s{slot}_{c}"));
                    }
                }
                Ty::RelList => {
                    if let CExpr::Slot(src) = e
                        && rel.no_ids.contains(src)
                    {
                        out.no_ids.insert(*slot);
                    }
                    for (k, p) in v.parts.iter().enumerate() {
                        new_cols.push(format!("{p} AS s{slot}_{k}"));
                    }
                }
                _ => {
                    for (k, p) in v.parts.iter().enumerate() {
                        new_cols.push(format!("{p} AS s{slot}_{k}"));
                    }
                }
            }
            out.slots.insert(*slot, v.ty);
        }
        // Columns of reassigned slots are replaced, not duplicated.
        let mut keep = self.derive(rel, String::new());
        for (slot, _) in items {
            keep.slots.remove(slot);
        }
        let mut cols = self.qualified(&keep, "t", true);
        cols.extend(new_cols);
        out.name = self.push(format!("SELECT {} FROM {} t", cols.join(", "), rel.name));
        Ok(out)
    }

    fn aggregate(&mut self, rel: &Rel, keys: &[(usize, CExpr)], aggs: &[AggSpec]) -> SparkResult<Rel> {
        let mut out = Rel {
            name: String::new(),
            slots: BTreeMap::new(),
            order: None,
            no_ids: BTreeSet::new(),
            zero_sums: BTreeSet::new(),
        };
        let mut cols = vec!["1 AS _one".to_string()];
        let mut group = Vec::new();
        for (slot, e) in keys {
            let v = self.expr(e, rel, "t")?;
            match v.ty {
                Ty::Node | Ty::Rel => {
                    let prefix = v.parts[1].clone();
                    for c in self.elem_cols(v.ty == Ty::Node) {
                        if c == "cites" {
                            // Determined by the id; grouping on it would hash nested structs.
                            cols.push(format!("first({prefix}{c}) AS s{slot}_{c}"));
                        } else {
                            cols.push(format!("{prefix}{c} AS s{slot}_{c}"));
                            group.push(format!("{prefix}{c}"));
                        }
                    }
                }
                Ty::RelList | Ty::Path => return unsupported(format!("grouping by {}", v.ty.describe())),
                _ => {
                    if let CExpr::Slot(src) = e
                        && rel.zero_sums.contains(src)
                    {
                        return unsupported("grouping by a sum of money");
                    }
                    for (k, p) in v.parts.iter().enumerate() {
                        cols.push(format!("{p} AS s{slot}_{k}"));
                        group.push(p.clone());
                    }
                }
            }
            out.slots.insert(*slot, v.ty);
        }
        for spec in aggs {
            let (ty, parts) = self.agg(spec, rel)?;
            if spec.func == AggFunc::Sum && ty == Ty::Money {
                out.zero_sums.insert(spec.slot);
            }
            for (k, p) in parts.iter().enumerate() {
                cols.push(format!("{p} AS s{}_{k}", spec.slot));
            }
            out.slots.insert(spec.slot, ty);
        }
        let group_by = if group.is_empty() {
            String::new()
        } else {
            format!(" GROUP BY {}", group.join(", "))
        };
        out.name = self.push(format!("SELECT {} FROM {} t{group_by}", cols.join(", "), rel.name));
        Ok(out)
    }

    fn agg(&mut self, spec: &AggSpec, rel: &Rel) -> SparkResult<(Ty, Vec<String>)> {
        let name = spec.func.name();
        if spec.func == AggFunc::CountStar {
            return Ok((Ty::Int, vec!["count(*)".into()]));
        }
        let Some(arg) = &spec.arg else {
            return unsupported(format!("{name}() without an argument"));
        };
        if let CExpr::Slot(src) = arg
            && rel.zero_sums.contains(src)
        {
            return unsupported(format!("{name}() over a sum of money"));
        }
        let v = self.expr(arg, rel, "t")?;
        let d = if spec.distinct { "DISTINCT " } else { "" };
        let x = &v.parts[0];
        Ok(match (spec.func, v.ty) {
            (AggFunc::Count, Ty::Null) => (Ty::Int, vec!["CAST(0 AS BIGINT)".into()]),
            (AggFunc::Count, Ty::Node | Ty::Rel) => (Ty::Int, vec![format!("count({d}{x})")]),
            (AggFunc::Count, Ty::RelList | Ty::Path) => {
                return unsupported(format!("count() over {}", v.ty.describe()));
            }
            (AggFunc::Count, _) => (Ty::Int, vec![format!("count({d}{})", v.parts.join(", "))]),
            (AggFunc::Sum, Ty::Null) => (Ty::Int, vec!["CAST(0 AS BIGINT)".into()]),
            (AggFunc::Sum, Ty::Int) => (Ty::Int, vec![format!("coalesce(sum({d}{x}), CAST(0 AS BIGINT))")]),
            (AggFunc::Sum, Ty::Money) => {
                let cur = &v.parts[1];
                (
                    Ty::Money,
                    vec![
                        format!("sum({d}{x})"),
                        format!(
                            "CASE WHEN count(DISTINCT {cur}) > 1 THEN raise_error('cannot add money in different currencies') ELSE max({cur}) END"
                        ),
                    ],
                )
            }
            (AggFunc::Avg, Ty::Null) | (AggFunc::Min | AggFunc::Max, Ty::Null) => (Ty::Null, vec!["NULL".into()]),
            (AggFunc::Avg, Ty::Int) => (Ty::Float, vec![format!("avg({d}{x})")]),
            (AggFunc::Min | AggFunc::Max, Ty::Int | Ty::Float | Ty::Str | Ty::Bool | Ty::Percent) => {
                (v.ty, vec![format!("{name}({x})")])
            }
            (f, ty) => {
                let why = match f {
                    AggFunc::Sum | AggFunc::Avg if ty == Ty::Float => " (a float sum depends on the order of addition)",
                    AggFunc::Collect | AggFunc::PercentileCont | AggFunc::PercentileDisc => {
                        " (the result depends on row order)"
                    }
                    _ => "",
                };
                return unsupported(format!("{}() over {}{why}", f.name(), ty.describe()));
            }
        })
    }

    /// SQL sort components of a key, in the engine's total order.
    fn sort_parts(&mut self, e: &CExpr, rel: &Rel) -> SparkResult<Vec<String>> {
        if let CExpr::Slot(src) = e
            && rel.zero_sums.contains(src)
        {
            let c = self.slot_cols(*src, Ty::Money);
            // The integer 0 of an empty sum sorts with numbers, before money.
            let zero_first = lodestone_model::Money::new(lodestone_model::Decimal::ZERO, "USD")
                .map(|m| Value::Int(0).total_cmp(&Value::Money(m)).is_lt())
                .unwrap_or(false);
            let (ri, rm) = if zero_first { (0, 1) } else { (1, 0) };
            return Ok(vec![
                format!("CASE WHEN t.{} IS NULL THEN {ri} ELSE {rm} END", c[0]),
                format!("t.{}", c[1]),
                format!("t.{}", c[0]),
            ]);
        }
        let v = self.expr(e, rel, "t")?;
        Ok(match v.ty {
            Ty::Null => Vec::new(),
            Ty::Bool | Ty::Int | Ty::Float | Ty::Str | Ty::Percent | Ty::Node | Ty::Rel | Ty::Path => {
                vec![v.parts[0].clone()]
            }
            Ty::Date => v.parts[0..3].to_vec(),
            Ty::Money => vec![v.parts[1].clone(), v.parts[0].clone()],
            Ty::RelList | Ty::Cite => return unsupported(format!("ORDER BY {}", v.ty.describe())),
        })
    }

    fn sort(&mut self, rel: &Rel, keys: &[(CExpr, bool)], slice: Option<(u64, u64)>) -> SparkResult<Rel> {
        let mut base = self.derive(rel, String::new());
        base.order = None;
        let mut cols = self.qualified(&base, "t", false);
        let mut order = Vec::new();
        let tag = self.ctes.len();
        for (e, desc) in keys {
            for p in self.sort_parts(e, rel)? {
                let c = format!("_o{tag}_{}", order.len());
                cols.push(format!("{p} AS {c}"));
                order.push((c, *desc));
            }
        }
        let mut sql = format!("SELECT {} FROM {} t", cols.join(", "), rel.name);
        if let Some((skip, limit)) = slice {
            if !order.is_empty() {
                let inner = self.push(sql);
                sql = format!("SELECT * FROM {inner} {}", order_by(&order, ""));
            }
            sql.push_str(&format!(" LIMIT {}", int_count(limit)?));
            if skip > 0 {
                sql.push_str(&format!(" OFFSET {}", int_count(skip)?));
            }
            if order.is_empty() {
                return unsupported("SKIP/LIMIT with ORDER BY a constant (the rows kept depend on scan order)");
            }
        }
        base.order = Some(order);
        base.name = self.push(sql);
        Ok(base)
    }

    fn slice(&mut self, rel: &Rel, skip: Option<u64>, limit: Option<u64>) -> SparkResult<Rel> {
        let Some(order) = rel.order.clone().filter(|o| !o.is_empty()) else {
            return unsupported("SKIP or LIMIT without ORDER BY (which rows are kept depends on scan order)");
        };
        let cols = self.qualified(rel, "t", true);
        let mut sql = format!(
            "SELECT {} FROM {} t {}",
            cols.join(", "),
            rel.name,
            order_by(&order, "t")
        );
        match (skip, limit) {
            (_, Some(l)) => sql.push_str(&format!(" LIMIT {}", int_count(l)?)),
            (Some(s), None) => sql.push_str(&format!(" OFFSET {}", int_count(s)?)),
            (None, None) => {}
        }
        let name = self.push(sql);
        Ok(self.derive(rel, name))
    }
}
