//! The logical plan: a tree of operators that each push rows to the operator above.
//!
//! A row is a vector of slots; the translator assigns one slot per variable
//! (anonymous pattern elements included), so operators write only the slots of the
//! variables they bind and never copy a row to extend it.

mod explain;
pub(crate) mod pattern;

pub(crate) use explain::{render_expr, render_plan};

use crate::execute::values::Arith;
use lodestone_model::{Direction, Value};

/// Comparison operators.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CmpOp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

/// String predicates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum StrOp {
    StartsWith,
    EndsWith,
    Contains,
}

/// Quantifiers over a list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Quant {
    All,
    Any,
    None,
    Single,
}

/// Scalar functions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Func {
    Id,
    Labels,
    Type,
    Properties,
    Keys,
    Nodes,
    Relationships,
    Length,
    Size,
    StartNode,
    EndNode,
    Coalesce,
    ToString,
    ToInteger,
    ToFloat,
    ToBoolean,
    ToLower,
    ToUpper,
    Trim,
    LTrim,
    RTrim,
    Substring,
    Split,
    Replace,
    Reverse,
    Left,
    Right,
    Abs,
    Ceil,
    Floor,
    Round,
    Sign,
    Sqrt,
    Exp,
    Log,
    Log10,
    Pi,
    E,
    Rand,
    Range,
    Head,
    Last,
    Tail,
    Exists,
    Date,
    Money,
    Amount,
    Currency,
    Year,
    Month,
    Day,
    Percent,
    Sources,
    IsEmpty,
}

/// Aggregate functions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum AggFunc {
    Count,
    CountStar,
    Sum,
    Avg,
    Min,
    Max,
    Collect,
    StDev,
    StDevP,
    PercentileCont,
    PercentileDisc,
}

impl AggFunc {
    pub(crate) fn name(self) -> &'static str {
        match self {
            AggFunc::Count | AggFunc::CountStar => "count",
            AggFunc::Sum => "sum",
            AggFunc::Avg => "avg",
            AggFunc::Min => "min",
            AggFunc::Max => "max",
            AggFunc::Collect => "collect",
            AggFunc::StDev => "stDev",
            AggFunc::StDevP => "stDevP",
            AggFunc::PercentileCont => "percentileCont",
            AggFunc::PercentileDisc => "percentileDisc",
        }
    }
}

/// A compiled expression: variables resolved to slots, parameters to constants,
/// functions to [`Func`], aggregates to the slot their result lands in.
#[derive(Debug, Clone)]
pub(crate) enum CExpr {
    Const(Value),
    Slot(usize),
    Prop(Box<CExpr>, String),
    List(Vec<CExpr>),
    Map(Vec<(String, CExpr)>),
    Index(Box<CExpr>, Box<CExpr>),
    Slice(Box<CExpr>, Option<Box<CExpr>>, Option<Box<CExpr>>),
    Not(Box<CExpr>),
    Neg(Box<CExpr>),
    And(Box<CExpr>, Box<CExpr>),
    Or(Box<CExpr>, Box<CExpr>),
    Xor(Box<CExpr>, Box<CExpr>),
    Arith(Arith, Box<CExpr>, Box<CExpr>),
    Cmp(CmpOp, Box<CExpr>, Box<CExpr>),
    In(Box<CExpr>, Box<CExpr>),
    Str(StrOp, Box<CExpr>, Box<CExpr>),
    IsNull(Box<CExpr>, bool),
    HasLabels(Box<CExpr>, Vec<String>),
    Func(Func, Vec<CExpr>),
    Case {
        subject: Option<Box<CExpr>>,
        whens: Vec<(CExpr, CExpr)>,
        otherwise: Option<Box<CExpr>>,
    },
    ListComp {
        slot: usize,
        list: Box<CExpr>,
        filter: Option<Box<CExpr>>,
        map: Option<Box<CExpr>>,
    },
    Quant {
        q: Quant,
        slot: usize,
        list: Box<CExpr>,
        pred: Box<CExpr>,
    },
    Reduce {
        acc: usize,
        init: Box<CExpr>,
        slot: usize,
        list: Box<CExpr>,
        step: Box<CExpr>,
    },
    /// Whether the sub-plan yields at least one row.
    Exists(Box<Op>),
    /// Collects the expression over every row of the sub-plan.
    PatternComp(Box<Op>, Box<CExpr>),
    /// Whether an element's properties include every entry of a map (patterns with `$map`).
    PropsMatch(Box<CExpr>, Box<CExpr>),
}

impl CExpr {
    /// Calls `f` on every slot the expression reads (sub-plans excluded).
    pub(crate) fn visit_slots(&self, f: &mut dyn FnMut(usize)) {
        use CExpr::*;
        match self {
            Const(_) => {}
            Slot(s) => f(*s),
            Prop(e, _) | Not(e) | Neg(e) | IsNull(e, _) | HasLabels(e, _) => e.visit_slots(f),
            List(items) | Func(_, items) => items.iter().for_each(|e| e.visit_slots(f)),
            Map(items) => items.iter().for_each(|(_, e)| e.visit_slots(f)),
            Index(a, b)
            | And(a, b)
            | Or(a, b)
            | Xor(a, b)
            | Arith(_, a, b)
            | Cmp(_, a, b)
            | In(a, b)
            | Str(_, a, b) => {
                a.visit_slots(f);
                b.visit_slots(f);
            }
            PropsMatch(a, b) => {
                a.visit_slots(f);
                b.visit_slots(f);
            }
            Slice(a, b, c) => {
                a.visit_slots(f);
                if let Some(b) = b {
                    b.visit_slots(f);
                }
                if let Some(c) = c {
                    c.visit_slots(f);
                }
            }
            Case {
                subject,
                whens,
                otherwise,
            } => {
                if let Some(s) = subject {
                    s.visit_slots(f);
                }
                for (w, t) in whens {
                    w.visit_slots(f);
                    t.visit_slots(f);
                }
                if let Some(o) = otherwise {
                    o.visit_slots(f);
                }
            }
            ListComp { list, filter, map, .. } => {
                list.visit_slots(f);
                if let Some(x) = filter {
                    x.visit_slots(f);
                }
                if let Some(x) = map {
                    x.visit_slots(f);
                }
            }
            Quant { list, pred, .. } => {
                list.visit_slots(f);
                pred.visit_slots(f);
            }
            Reduce { init, list, step, .. } => {
                init.visit_slots(f);
                list.visit_slots(f);
                step.visit_slots(f);
            }
            Exists(_) => {}
            PatternComp(_, e) => e.visit_slots(f),
        }
    }

    /// Rewrites every sub-expression bottom-up with `f` (which returns `None` to keep it).
    pub(crate) fn rewrite(self, f: &mut dyn FnMut(&CExpr) -> Option<CExpr>) -> CExpr {
        if let Some(r) = f(&self) {
            return r;
        }
        use CExpr::*;
        let b = |e: Box<CExpr>, f: &mut dyn FnMut(&CExpr) -> Option<CExpr>| Box::new(e.rewrite(f));
        match self {
            Prop(e, k) => Prop(b(e, f), k),
            Not(e) => Not(b(e, f)),
            Neg(e) => Neg(b(e, f)),
            IsNull(e, n) => IsNull(b(e, f), n),
            HasLabels(e, l) => HasLabels(b(e, f), l),
            List(items) => List(items.into_iter().map(|e| e.rewrite(f)).collect()),
            Func(func, items) => Func(func, items.into_iter().map(|e| e.rewrite(f)).collect()),
            Map(items) => Map(items.into_iter().map(|(k, e)| (k, e.rewrite(f))).collect()),
            Index(x, y) => Index(b(x, f), b(y, f)),
            And(x, y) => And(b(x, f), b(y, f)),
            Or(x, y) => Or(b(x, f), b(y, f)),
            Xor(x, y) => Xor(b(x, f), b(y, f)),
            Arith(op, x, y) => Arith(op, b(x, f), b(y, f)),
            Cmp(op, x, y) => Cmp(op, b(x, f), b(y, f)),
            In(x, y) => In(b(x, f), b(y, f)),
            Str(op, x, y) => Str(op, b(x, f), b(y, f)),
            PropsMatch(x, y) => PropsMatch(b(x, f), b(y, f)),
            Slice(x, y, z) => Slice(b(x, f), y.map(|y| b(y, f)), z.map(|z| b(z, f))),
            Case {
                subject,
                whens,
                otherwise,
            } => Case {
                subject: subject.map(|s| b(s, f)),
                whens: whens.into_iter().map(|(w, t)| (w.rewrite(f), t.rewrite(f))).collect(),
                otherwise: otherwise.map(|o| b(o, f)),
            },
            ListComp {
                slot,
                list,
                filter,
                map,
            } => ListComp {
                slot,
                list: b(list, f),
                filter: filter.map(|x| b(x, f)),
                map: map.map(|x| b(x, f)),
            },
            Quant { q, slot, list, pred } => Quant {
                q,
                slot,
                list: b(list, f),
                pred: b(pred, f),
            },
            Reduce {
                acc,
                init,
                slot,
                list,
                step,
            } => Reduce {
                acc,
                init: b(init, f),
                slot,
                list: b(list, f),
                step: b(step, f),
            },
            PatternComp(op, e) => PatternComp(op, b(e, f)),
            other @ (Const(_) | Slot(_) | Exists(_)) => other,
        }
    }

    /// Whether the expression contains a sub-plan.
    pub(crate) fn has_subplan(&self) -> bool {
        use CExpr::*;
        match self {
            Exists(_) | PatternComp(..) => true,
            Const(_) | Slot(_) => false,
            Prop(e, _) | Not(e) | Neg(e) | IsNull(e, _) | HasLabels(e, _) => e.has_subplan(),
            List(items) | Func(_, items) => items.iter().any(CExpr::has_subplan),
            Map(items) => items.iter().any(|(_, e)| e.has_subplan()),
            Index(a, b)
            | And(a, b)
            | Or(a, b)
            | Xor(a, b)
            | Arith(_, a, b)
            | Cmp(_, a, b)
            | In(a, b)
            | Str(_, a, b)
            | PropsMatch(a, b) => a.has_subplan() || b.has_subplan(),
            Slice(a, b, c) => {
                a.has_subplan()
                    || b.as_ref().is_some_and(|x| x.has_subplan())
                    || c.as_ref().is_some_and(|x| x.has_subplan())
            }
            Case {
                subject,
                whens,
                otherwise,
            } => {
                subject.as_ref().is_some_and(|x| x.has_subplan())
                    || whens.iter().any(|(w, t)| w.has_subplan() || t.has_subplan())
                    || otherwise.as_ref().is_some_and(|x| x.has_subplan())
            }
            ListComp { list, filter, map, .. } => {
                list.has_subplan()
                    || filter.as_ref().is_some_and(|x| x.has_subplan())
                    || map.as_ref().is_some_and(|x| x.has_subplan())
            }
            Quant { list, pred, .. } => list.has_subplan() || pred.has_subplan(),
            Reduce { init, list, step, .. } => init.has_subplan() || list.has_subplan() || step.has_subplan(),
        }
    }
}

/// One aggregate computed by [`OpKind::Aggregate`].
#[derive(Debug, Clone)]
pub(crate) struct AggSpec {
    pub slot: usize,
    pub func: AggFunc,
    pub arg: Option<CExpr>,
    /// The second argument (the percentile of `percentileCont` / `percentileDisc`).
    pub param: Option<CExpr>,
    pub distinct: bool,
}

/// One step of a path after its first node.
#[derive(Debug, Clone, Copy)]
pub(crate) enum PathStep {
    /// A single relationship (slot) and the node slot it leads to.
    Edge { rel: usize, to: usize },
    /// A variable-length relationship (slot holding a list) and the node slot it leads to.
    Edges { rel: usize, to: usize },
}

/// A node a CREATE or MERGE makes.
#[derive(Debug, Clone)]
pub(crate) struct CreateNode {
    pub slot: usize,
    pub labels: Vec<String>,
    pub props: Option<CExpr>,
}

/// A relationship a CREATE or MERGE makes.
#[derive(Debug, Clone)]
pub(crate) struct CreateRel {
    pub slot: usize,
    pub rel_type: String,
    pub start: usize,
    pub end: usize,
    pub props: Option<CExpr>,
}

/// What a CREATE clause (or the create half of a MERGE) makes per row.
#[derive(Debug, Clone, Default)]
pub(crate) struct CreateSpec {
    pub nodes: Vec<CreateNode>,
    pub rels: Vec<CreateRel>,
    pub paths: Vec<(usize, usize, Vec<PathStep>)>,
}

/// A compiled SET item.
#[derive(Debug, Clone)]
pub(crate) enum SetOp {
    Prop { target: CExpr, key: String, value: CExpr },
    Replace { target: CExpr, value: CExpr },
    Merge { target: CExpr, value: CExpr },
    Labels { target: CExpr, labels: Vec<String> },
}

/// A compiled REMOVE item.
#[derive(Debug, Clone)]
pub(crate) enum RemoveOp {
    Prop { target: CExpr, key: String },
    Labels { target: CExpr, labels: Vec<String> },
}

/// Parameters of a relationship walk shared by the expanding operators.
#[derive(Debug, Clone)]
pub(crate) struct Walk {
    /// Direction seen from the node walked from.
    pub dir: Direction,
    /// Allowed types; empty for any.
    pub types: Vec<String>,
    /// Labels the reached node must carry.
    pub to_labels: Vec<String>,
    /// A property map every walked relationship must match (variable-length only).
    pub edge_props: Option<CExpr>,
}

/// An operator with its id (for profiling) and input.
#[derive(Debug, Clone)]
pub(crate) struct Op {
    pub id: usize,
    pub input: Option<Box<Op>>,
    pub kind: OpKind,
}

/// The operators.
#[derive(Debug, Clone)]
pub(crate) enum OpKind {
    /// Emits the row it is given once: the leaf of every pipeline.
    Start,
    /// Every node, with label checks.
    AllNodes { slot: usize, labels: Vec<String> },
    /// Nodes carrying `label`, with checks for further labels.
    LabelScan {
        slot: usize,
        label: String,
        labels: Vec<String>,
    },
    /// Nodes whose name or alias normalizes like the value (a string or list of strings).
    NameSeek {
        slot: usize,
        value: CExpr,
        labels: Vec<String>,
    },
    /// Nodes carrying at least one label of `any` (each node once, by ascending id),
    /// with checks for further labels.
    LabelUnionScan {
        slot: usize,
        any: Vec<String>,
        labels: Vec<String>,
    },
    /// Nodes found through a property index.
    PropSeek {
        slot: usize,
        label: String,
        key: String,
        value: CExpr,
        labels: Vec<String>,
    },
    /// A node by id.
    IdSeek {
        slot: usize,
        value: CExpr,
        labels: Vec<String>,
    },
    /// One hop from a bound node; `into` when the far node is bound too.
    Expand {
        from: usize,
        rel: usize,
        to: usize,
        walk: Walk,
        into: bool,
        unique: Vec<usize>,
    },
    /// A relationship (or list of relationships) bound earlier: check it and bind or check its ends.
    BoundRel {
        rel: usize,
        left: usize,
        right: usize,
        left_bound: bool,
        right_bound: bool,
        dir: Direction,
        types: Vec<String>,
        left_labels: Vec<String>,
        right_labels: Vec<String>,
        /// For a variable-length pattern: the slot holds a list walked in order, of this many hops.
        hops: Option<(u64, u64)>,
    },
    /// Every trail of `min..=max` hops; the rel slot gets the list of relationships.
    VarExpand {
        from: usize,
        rel: usize,
        to: usize,
        walk: Walk,
        min: u64,
        max: u64,
        into: bool,
        unique: Vec<usize>,
        reverse: bool,
    },
    /// Distinct nodes reachable in `min..=max` hops (min 0 or 1), by breadth-first search.
    Reach {
        from: usize,
        to: usize,
        walk: Walk,
        min: u64,
        max: u64,
        into: bool,
    },
    /// Shortest path(s) between two bound nodes by bidirectional breadth-first search.
    Shortest {
        from: usize,
        to: usize,
        rel: usize,
        path: Option<usize>,
        walk: Walk,
        min: u64,
        max: u64,
        all: bool,
    },
    /// Keeps rows where the predicate is true.
    Filter { pred: CExpr },
    /// Builds a path value from its slots.
    BindPath {
        slot: usize,
        start: usize,
        steps: Vec<PathStep>,
    },
    /// Runs `sub` per row; when it yields nothing, emits the row once with `nulls` set to null.
    Optional { sub: Box<Op>, nulls: Vec<usize> },
    /// Computes expressions into slots.
    Project { items: Vec<(usize, CExpr)> },
    /// Groups by keys and computes aggregates.
    Aggregate {
        keys: Vec<(usize, CExpr)>,
        aggs: Vec<AggSpec>,
    },
    /// Drops rows whose slots repeat an earlier row's.
    Distinct { slots: Vec<usize> },
    /// Sorts all rows.
    Sort { keys: Vec<(CExpr, bool)> },
    /// Keeps the first `skip + limit` rows in sort order, then skips.
    TopK {
        keys: Vec<(CExpr, bool)>,
        skip: u64,
        limit: u64,
    },
    /// Drops the first rows.
    Skip { count: u64 },
    /// Stops after some rows.
    Limit { count: u64 },
    /// One row per list element.
    Unwind { expr: CExpr, slot: usize },
    /// Reads every input row before emitting any (separates reads from writes).
    Eager,
    /// CREATE: consecutive clauses' specs, applied in order per row.
    Create { specs: Vec<CreateSpec> },
    /// MERGE: match `sub`, else create.
    Merge {
        sub: Box<Op>,
        bind: Vec<usize>,
        spec: CreateSpec,
        on_create: Vec<SetOp>,
        on_match: Vec<SetOp>,
        null_checks: Vec<(String, CExpr)>,
    },
    /// SET.
    Set { items: Vec<SetOp> },
    /// REMOVE.
    Remove { items: Vec<RemoveOp> },
    /// [DETACH] DELETE.
    Delete { exprs: Vec<CExpr>, detach: bool },
    /// CITE.
    Cite {
        targets: Vec<usize>,
        source: CExpr,
        line: Option<CExpr>,
        note: Option<CExpr>,
    },
}
