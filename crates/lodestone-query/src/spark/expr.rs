//! Expressions: each compiles to one SQL expression per part of its statically known type.

use super::ops::{Builder, Rel};
use super::{SparkResult, unsupported};
use crate::execute::values::Arith;
use crate::plan::{CExpr, CmpOp, Func, Quant, StrOp};
use lodestone_model::Value;

/// The type of an expression, known before running.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Ty {
    Null,
    Bool,
    Int,
    Float,
    Str,
    Date,
    Money,
    Percent,
    Node,
    Rel,
    /// A list of relationships: ids (or NULL when unknown), length, the nodes between
    /// them and the relationships themselves as structs (NULL unless the query needs
    /// path elements).
    RelList,
    /// A path: its length, its nodes and its relationships as structs (NULL unless
    /// the query needs path elements).
    Path,
    /// One citation (an item of `sources(x)`): a struct of source, line and note.
    Cite,
}

impl Ty {
    /// How many SQL columns a value of this type spans.
    pub(crate) fn width(self) -> usize {
        match self {
            Ty::Date => 5,
            Ty::RelList => 4,
            Ty::Path => 3,
            Ty::Money => 2,
            _ => 1,
        }
    }

    pub(crate) fn describe(self) -> &'static str {
        match self {
            Ty::Null => "null",
            Ty::Bool => "a boolean",
            Ty::Int => "an integer",
            Ty::Float => "a float",
            Ty::Str => "a string",
            Ty::Date => "a date",
            Ty::Money => "money",
            Ty::Percent => "a percentage",
            Ty::Node => "a node",
            Ty::Rel => "a relationship",
            Ty::RelList => "a list of relationships",
            Ty::Path => "a path",
            Ty::Cite => "a citation map",
        }
    }

    fn is_num(self) -> bool {
        matches!(self, Ty::Int | Ty::Float)
    }

    /// Whether values are stored in the slot's own columns (not an element's).
    pub(crate) fn is_scalar(self) -> bool {
        !matches!(self, Ty::Node | Ty::Rel)
    }
}

/// A compiled expression: its type and one SQL expression per part.
#[derive(Debug, Clone)]
pub(crate) struct SqlVal {
    pub ty: Ty,
    pub parts: Vec<String>,
}

impl SqlVal {
    fn new(ty: Ty, parts: Vec<String>) -> SqlVal {
        SqlVal { ty, parts }
    }

    fn one(ty: Ty, sql: String) -> SqlVal {
        SqlVal { ty, parts: vec![sql] }
    }

    /// SQL that is null exactly when the value is.
    pub(crate) fn null_test(&self) -> &str {
        &self.parts[0]
    }
}

const NULL_BOOL: &str = "CAST(NULL AS BOOLEAN)";

/// A SQL string literal (Spark processes backslash escapes in literals).
pub(crate) fn lit_str(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('\'');
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\'' => out.push_str("\\'"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c => out.push(c),
        }
    }
    out.push('\'');
    out
}

fn lit_decimal(d: &lodestone_model::Decimal) -> String {
    format!("CAST('{d}' AS {})", super::DECIMAL_TYPE)
}

/// A constant value as SQL.
pub(crate) fn constant(v: &Value) -> SparkResult<SqlVal> {
    Ok(match v {
        Value::Null => SqlVal::one(Ty::Null, "NULL".into()),
        Value::Bool(b) => SqlVal::one(Ty::Bool, if *b { "TRUE" } else { "FALSE" }.into()),
        Value::Int(i) => SqlVal::one(Ty::Int, format!("CAST({i} AS BIGINT)")),
        Value::Float(f) if f.is_finite() => SqlVal::one(Ty::Float, format!("CAST('{f:e}' AS DOUBLE)")),
        Value::String(s) => SqlVal::one(Ty::Str, lit_str(s)),
        Value::Date(d) => {
            let (f, l) = (d.first_day(), d.last_day());
            SqlVal::new(
                Ty::Date,
                vec![
                    d.year_part().to_string(),
                    d.month_part().unwrap_or(0).to_string(),
                    d.day_part().unwrap_or(0).to_string(),
                    format!("DATE'{:04}-{:02}-{:02}'", f.0, f.1, f.2),
                    format!("DATE'{:04}-{:02}-{:02}'", l.0, l.1, l.2),
                ],
            )
        }
        Value::Money(m) => SqlVal::new(Ty::Money, vec![lit_decimal(&m.amount), lit_str(&m.currency)]),
        Value::Percent(p) => SqlVal::one(Ty::Percent, lit_decimal(p)),
        other => return unsupported(format!("the constant {other} ({})", other.kind().name())),
    })
}

fn cmp_sym(op: CmpOp) -> &'static str {
    match op {
        CmpOp::Eq => "=",
        CmpOp::Ne => "<>",
        CmpOp::Lt => "<",
        CmpOp::Le => "<=",
        CmpOp::Gt => ">",
        CmpOp::Ge => ">=",
        #[allow(unreachable_patterns)]
        _ => "?",
    }
}

/// What an ordering comparison answers when the left side is less, equal or greater.
fn outcome(op: CmpOp) -> [&'static str; 3] {
    match op {
        CmpOp::Eq => ["FALSE", "TRUE", "FALSE"],
        CmpOp::Ne => ["TRUE", "FALSE", "TRUE"],
        CmpOp::Lt => ["TRUE", "FALSE", "FALSE"],
        CmpOp::Le => ["TRUE", "TRUE", "FALSE"],
        CmpOp::Gt => ["FALSE", "FALSE", "TRUE"],
        CmpOp::Ge => ["FALSE", "TRUE", "TRUE"],
        #[allow(unreachable_patterns)]
        _ => ["NULL", "NULL", "NULL"],
    }
}

/// The comparison `a op b` with the engine's semantics.
pub(crate) fn compare(op: CmpOp, a: &SqlVal, b: &SqlVal) -> SparkResult<SqlVal> {
    if cmp_sym(op) == "?" {
        return unsupported("this comparison operator");
    }
    let eq_like = matches!(op, CmpOp::Eq | CmpOp::Ne);
    let either_null = format!("({} IS NULL OR {} IS NULL)", a.null_test(), b.null_test());
    let sql = match (a.ty, b.ty) {
        (Ty::Null, _) | (_, Ty::Null) => NULL_BOOL.to_string(),
        (x, y) if (x.is_num() && y.is_num()) || (x == y && matches!(x, Ty::Str | Ty::Bool | Ty::Percent)) => {
            format!("({} {} {})", a.parts[0], cmp_sym(op), b.parts[0])
        }
        (Ty::Date, Ty::Date) => {
            let (x, y) = (&a.parts, &b.parts);
            let same = format!("({} = {} AND {} = {} AND {} = {})", x[0], y[0], x[1], y[1], x[2], y[2]);
            let [lt, eq, gt] = outcome(op);
            if eq_like {
                format!("(CASE WHEN {either_null} THEN NULL WHEN {same} THEN {eq} ELSE {lt} END)")
            } else {
                format!(
                    "(CASE WHEN {either_null} THEN NULL WHEN {same} THEN {eq} WHEN {} < {} THEN {lt} WHEN {} > {} THEN {gt} ELSE NULL END)",
                    x[4], y[3], x[3], y[4]
                )
            }
        }
        (Ty::Money, Ty::Money) => {
            let (x, y) = (&a.parts, &b.parts);
            if eq_like {
                let [_, eq, ne] = outcome(op);
                format!(
                    "(CASE WHEN {either_null} THEN NULL WHEN {} = {} AND {} = {} THEN {eq} ELSE {ne} END)",
                    x[1], y[1], x[0], y[0]
                )
            } else {
                format!(
                    "(CASE WHEN {either_null} THEN NULL WHEN {} <> {} THEN raise_error(concat('cannot compare money in ', {}, ' and ', {})) ELSE {} {} {} END)",
                    x[1],
                    y[1],
                    x[1],
                    y[1],
                    x[0],
                    cmp_sym(op),
                    y[0]
                )
            }
        }
        (Ty::Node, Ty::Node) | (Ty::Rel, Ty::Rel) if eq_like => {
            format!("({} {} {})", a.parts[0], cmp_sym(op), b.parts[0])
        }
        (Ty::RelList | Ty::Path | Ty::Cite, _) | (_, Ty::RelList | Ty::Path | Ty::Cite) => {
            return unsupported(format!("comparing {} with {}", a.ty.describe(), b.ty.describe()));
        }
        // Values of different kinds are never equal and have no order.
        _ if eq_like => {
            let [_, _, ne] = outcome(op);
            format!("(CASE WHEN {either_null} THEN NULL ELSE {ne} END)")
        }
        _ => NULL_BOOL.to_string(),
    };
    Ok(SqlVal::one(Ty::Bool, sql))
}

fn boolish(v: &SqlVal, what: &str) -> SparkResult<String> {
    match v.ty {
        Ty::Bool => Ok(v.parts[0].clone()),
        Ty::Null => Ok(NULL_BOOL.into()),
        other => unsupported(format!(
            "{what} over {} (only booleans are translated)",
            other.describe()
        )),
    }
}

impl Builder<'_> {
    /// Compiles an expression over the columns of `rel` (qualified by `alias`).
    pub(crate) fn expr(&mut self, e: &CExpr, rel: &Rel, alias: &str) -> SparkResult<SqlVal> {
        Ok(match e {
            CExpr::Const(v) => constant(v)?,
            CExpr::Slot(s) if self.lambda.contains_key(s) => self.lambda[s].clone(),
            CExpr::Slot(s) => {
                let Some(ty) = rel.slots.get(s).copied() else {
                    return unsupported(format!("a reference to `{}` here", self.slot_name(*s)));
                };
                let parts = match ty {
                    Ty::Node | Ty::Rel => vec![format!("{alias}.s{s}_id")],
                    _ => self
                        .slot_cols(*s, ty)
                        .into_iter()
                        .map(|c| format!("{alias}.{c}"))
                        .collect(),
                };
                let mut v = SqlVal::new(ty, parts);
                if matches!(ty, Ty::Node | Ty::Rel) {
                    // The element's prefix, for property access.
                    v.parts.push(format!("{alias}.s{s}_"));
                }
                v
            }
            CExpr::Prop(base, key) => {
                let b = self.expr(base, rel, alias)?;
                match b.ty {
                    Ty::Null => SqlVal::one(Ty::Null, "NULL".into()),
                    Ty::Node | Ty::Rel => self.prop(&b, key, b.ty == Ty::Node)?,
                    Ty::Cite => match key.as_str() {
                        "source" | "note" => SqlVal::one(Ty::Str, format!("{}.{key}", b.parts[0])),
                        "line" => SqlVal::one(Ty::Int, format!("CAST({}.line AS BIGINT)", b.parts[0])),
                        _ => SqlVal::one(Ty::Null, "NULL".into()),
                    },
                    other => return unsupported(format!("property access `.{key}` on {}", other.describe())),
                }
            }
            CExpr::Not(x) => {
                let v = self.expr(x, rel, alias)?;
                SqlVal::one(Ty::Bool, format!("(NOT {})", boolish(&v, "NOT")?))
            }
            CExpr::And(x, y) | CExpr::Or(x, y) | CExpr::Xor(x, y) => {
                let op = match e {
                    CExpr::And(..) => "AND",
                    CExpr::Or(..) => "OR",
                    _ => "<>",
                };
                let a = self.expr(x, rel, alias)?;
                let b = self.expr(y, rel, alias)?;
                SqlVal::one(
                    Ty::Bool,
                    format!(
                        "({} {op} {})",
                        boolish(&a, "a boolean operator")?,
                        boolish(&b, "a boolean operator")?
                    ),
                )
            }
            CExpr::Cmp(op, x, y) => {
                let a = self.expr(x, rel, alias)?;
                let b = self.expr(y, rel, alias)?;
                compare(*op, &a, &b)?
            }
            CExpr::IsNull(x, not) => {
                let v = self.expr(x, rel, alias)?;
                let test = if *not { "IS NOT NULL" } else { "IS NULL" };
                SqlVal::one(Ty::Bool, format!("({} {test})", v.null_test()))
            }
            CExpr::HasLabels(x, labels) => {
                let v = self.expr(x, rel, alias)?;
                match v.ty {
                    Ty::Null => SqlVal::one(Ty::Bool, NULL_BOOL.into()),
                    Ty::Node => {
                        let prefix = &v.parts[1];
                        let tests: Vec<String> = labels
                            .iter()
                            .map(|l| format!("array_contains({prefix}labels, {})", lit_str(l)))
                            .collect();
                        SqlVal::one(Ty::Bool, format!("({})", tests.join(" AND ")))
                    }
                    other => return unsupported(format!("a label test on {}", other.describe())),
                }
            }
            CExpr::Str(op, x, y) => {
                let a = self.expr(x, rel, alias)?;
                let b = self.expr(y, rel, alias)?;
                if a.ty == Ty::Str && b.ty == Ty::Str {
                    let f = match op {
                        StrOp::StartsWith => "startswith",
                        StrOp::EndsWith => "endswith",
                        StrOp::Contains => "contains",
                        #[allow(unreachable_patterns)]
                        _ => return unsupported("this string operator"),
                    };
                    SqlVal::one(Ty::Bool, format!("{f}({}, {})", a.parts[0], b.parts[0]))
                } else {
                    SqlVal::one(Ty::Bool, NULL_BOOL.into())
                }
            }
            CExpr::In(x, list) => self.in_list(x, list, rel, alias)?,
            CExpr::Neg(x) => {
                let v = self.expr(x, rel, alias)?;
                match v.ty {
                    Ty::Null => v,
                    Ty::Int | Ty::Float => SqlVal::one(v.ty, format!("(- {})", v.parts[0])),
                    other => return unsupported(format!("negating {}", other.describe())),
                }
            }
            CExpr::Arith(op, x, y) => {
                let a = self.expr(x, rel, alias)?;
                let b = self.expr(y, rel, alias)?;
                arith(*op, &a, &b)?
            }
            CExpr::Func(f, args) => self.func(*f, args, rel, alias)?,
            CExpr::Case {
                subject,
                whens,
                otherwise,
            } => self.case(subject.as_deref(), whens, otherwise.as_deref(), rel, alias)?,
            CExpr::List(_) | CExpr::Map(_) => return unsupported("list and map values"),
            CExpr::Index(..) | CExpr::Slice(..) => return unsupported("list indexing and slicing"),
            CExpr::Quant { q, slot, list, pred } => self.quantifier(*q, *slot, list, pred, rel, alias)?,
            CExpr::ListComp { .. } | CExpr::Reduce { .. } => {
                return unsupported("list comprehensions and reduce");
            }
            CExpr::Exists(_) | CExpr::PatternComp(..) => return unsupported("pattern predicates and comprehensions"),
            CExpr::PropsMatch(..) => return unsupported("a property map given as a parameter in a pattern"),
            #[allow(unreachable_patterns)]
            _ => return unsupported("this expression"),
        })
    }

    /// `all`, `any` and `none` over the nodes or relationships of a path, or over a
    /// variable-length relationship list, as Spark's `forall` and `exists`, whose
    /// null logic is the engine's (true wins for `exists`, false for `forall`, else null).
    fn quantifier(
        &mut self,
        q: Quant,
        slot: usize,
        list: &CExpr,
        pred: &CExpr,
        rel: &Rel,
        alias: &str,
    ) -> SparkResult<SqlVal> {
        let (node, arr, owner) = match list {
            CExpr::Func(f @ (Func::Nodes | Func::Relationships), args) if args.len() == 1 => {
                let v = self.expr(&args[0], rel, alias)?;
                match v.ty {
                    Ty::Null => return Ok(SqlVal::one(Ty::Null, NULL_BOOL.into())),
                    Ty::Path if *f == Func::Nodes => (true, v.parts[1].clone(), &args[0]),
                    Ty::Path => (false, v.parts[2].clone(), &args[0]),
                    other => {
                        return unsupported(format!("{}() of {}", crate::translate::func_name(*f), other.describe()));
                    }
                }
            }
            CExpr::Slot(s) if rel.slots.get(s) == Some(&Ty::RelList) => {
                let v = self.expr(list, rel, alias)?;
                (false, v.parts[3].clone(), list)
            }
            _ => {
                return unsupported(
                    "a quantifier over a list other than nodes(p), relationships(p) or a variable-length relationship",
                );
            }
        };
        if let CExpr::Slot(s) = owner
            && rel.no_ids.contains(s)
        {
            return unsupported("a quantifier over the elements of a shortest path");
        }
        self.needs_elements = true;
        let var = format!("lv{}", self.lambdas);
        self.lambdas += 1;
        let ty = if node { Ty::Node } else { Ty::Rel };
        self.lambda
            .insert(slot, SqlVal::new(ty, vec![format!("{var}.id"), format!("{var}.")]));
        let p = self.expr(pred, rel, alias);
        self.lambda.remove(&slot);
        let p = boolish(&p?, "a quantifier's condition")?;
        Ok(SqlVal::one(
            Ty::Bool,
            match q {
                Quant::All => format!("forall({arr}, {var} -> {p})"),
                Quant::Any => format!("exists({arr}, {var} -> {p})"),
                Quant::None => format!("(NOT exists({arr}, {var} -> {p}))"),
                Quant::Single => return unsupported("single() (its null logic has no Spark counterpart)"),
            },
        ))
    }

    pub(crate) fn prop(&mut self, base: &SqlVal, key: &str, node: bool) -> SparkResult<SqlVal> {
        let props = if node {
            &self.catalog.node_props
        } else {
            &self.catalog.edge_props
        };
        let Some(col) = props.get(key) else {
            // No element has the key: always null.
            return Ok(SqlVal::one(Ty::Null, "NULL".into()));
        };
        let ty = match col.ty {
            super::PropType::Bool => Ty::Bool,
            super::PropType::Int => Ty::Int,
            super::PropType::Float => Ty::Float,
            super::PropType::String => Ty::Str,
            super::PropType::Date => Ty::Date,
            super::PropType::Money => Ty::Money,
            super::PropType::Percent => Ty::Percent,
            super::PropType::Unsupported => {
                return unsupported(format!(
                    "the property `{key}`, whose values are lists, maps or of several types"
                ));
            }
        };
        self.used_props.insert(prop_key(node, key));
        let prefix = &base.parts[1];
        let parts = col
            .ty
            .columns()
            .iter()
            .map(|(suffix, _)| format!("{prefix}{}{suffix}", col.column))
            .collect();
        Ok(SqlVal::new(ty, parts))
    }

    fn in_list(&mut self, x: &CExpr, list: &CExpr, rel: &Rel, alias: &str) -> SparkResult<SqlVal> {
        let v = self.expr(x, rel, alias)?;
        let items: Vec<Value> = match list {
            CExpr::Const(Value::List(items)) => items.clone(),
            CExpr::Const(Value::Null) => return Ok(SqlVal::one(Ty::Bool, NULL_BOOL.into())),
            CExpr::List(items) => {
                let mut out = Vec::new();
                for i in items {
                    match i {
                        CExpr::Const(c) => out.push(c.clone()),
                        _ => return unsupported("IN over a list that is not constant"),
                    }
                }
                out
            }
            _ => return unsupported("IN over a list that is not constant"),
        };
        if !matches!(v.ty, Ty::Int | Ty::Str | Ty::Bool | Ty::Null) {
            return unsupported(format!("IN on {}", v.ty.describe()));
        }
        let mut sql = Vec::new();
        for item in &items {
            let c = constant(item).or_else(|_| unsupported("IN over a list holding lists or maps"))?;
            let same = c.ty == v.ty || c.ty == Ty::Null;
            if same {
                sql.push(c.parts[0].clone());
            } else if v.ty == Ty::Int && c.ty == Ty::Float {
                return unsupported("IN mixing integers and floats");
            }
        }
        if sql.is_empty() {
            return Ok(SqlVal::one(
                Ty::Bool,
                if items.is_empty() {
                    "FALSE".into()
                } else {
                    format!("(CASE WHEN {} IS NULL THEN NULL ELSE FALSE END)", v.parts[0])
                },
            ));
        }
        Ok(SqlVal::one(
            Ty::Bool,
            format!("({} IN ({}))", v.parts[0], sql.join(", ")),
        ))
    }

    fn func(&mut self, f: Func, args: &[CExpr], rel: &Rel, alias: &str) -> SparkResult<SqlVal> {
        let mut vals = Vec::with_capacity(args.len());
        for a in args {
            vals.push(self.expr(a, rel, alias)?);
        }
        let name = crate::translate::func_name(f);
        let Some(a0) = vals.first() else {
            return unsupported(format!("the function {name}()"));
        };
        if a0.ty == Ty::Null && f != Func::Coalesce {
            return Ok(SqlVal::one(Ty::Null, "NULL".into()));
        }
        let p = a0.parts[0].clone();
        Ok(match (f, a0.ty) {
            (Func::Id, Ty::Node | Ty::Rel) => SqlVal::one(Ty::Int, p),
            (Func::Type, Ty::Rel) => SqlVal::one(Ty::Str, format!("{}type", a0.parts[1])),
            (Func::Length, Ty::Path) => SqlVal::one(Ty::Int, p),
            (Func::Size | Func::Length, Ty::RelList) => SqlVal::one(Ty::Int, a0.parts[1].clone()),
            (Func::Size, Ty::Str) => SqlVal::one(Ty::Int, format!("CAST(char_length({p}) AS BIGINT)")),
            (Func::ToLower, Ty::Str) => SqlVal::one(Ty::Str, format!("lower({p})")),
            (Func::ToUpper, Ty::Str) => SqlVal::one(Ty::Str, format!("upper({p})")),
            (Func::Abs, Ty::Int | Ty::Float) => SqlVal::one(a0.ty, format!("abs({p})")),
            (Func::Year, Ty::Date) => SqlVal::one(Ty::Int, format!("CAST({p} AS BIGINT)")),
            (Func::Month, Ty::Date) => SqlVal::one(Ty::Int, format!("CAST(nullif({}, 0) AS BIGINT)", a0.parts[1])),
            (Func::Day, Ty::Date) => SqlVal::one(Ty::Int, format!("CAST(nullif({}, 0) AS BIGINT)", a0.parts[2])),
            (Func::Currency, Ty::Money) => SqlVal::one(Ty::Str, a0.parts[1].clone()),
            (Func::Coalesce, _) => {
                let tys: Vec<Ty> = vals.iter().map(|v| v.ty).filter(|t| *t != Ty::Null).collect();
                let Some(ty) = tys.first().copied() else {
                    return Ok(SqlVal::one(Ty::Null, "NULL".into()));
                };
                if tys.iter().any(|t| *t != ty) || !ty.is_scalar() || matches!(ty, Ty::RelList | Ty::Path) {
                    return unsupported("coalesce() over values of different types");
                }
                let live: Vec<&SqlVal> = vals.iter().filter(|v| v.ty != Ty::Null).collect();
                let parts = (0..ty.width())
                    .map(|k| {
                        let whens: Vec<String> = live
                            .iter()
                            .map(|v| format!("WHEN {} IS NOT NULL THEN {}", v.parts[0], v.parts[k]))
                            .collect();
                        format!("(CASE {} END)", whens.join(" "))
                    })
                    .collect();
                SqlVal::new(ty, parts)
            }
            (_, ty) => return unsupported(format!("the function {name}() on {}", ty.describe())),
        })
    }

    fn case(
        &mut self,
        subject: Option<&CExpr>,
        whens: &[(CExpr, CExpr)],
        otherwise: Option<&CExpr>,
        rel: &Rel,
        alias: &str,
    ) -> SparkResult<SqlVal> {
        let subj = match subject {
            Some(s) => Some(self.expr(s, rel, alias)?),
            None => None,
        };
        let mut conds = Vec::new();
        let mut results = Vec::new();
        for (w, t) in whens {
            let c = self.expr(w, rel, alias)?;
            let cond = match &subj {
                Some(s) => compare(CmpOp::Eq, s, &c)?.parts[0].clone(),
                None => boolish(&c, "CASE WHEN")?,
            };
            conds.push(cond);
            results.push(self.expr(t, rel, alias)?);
        }
        let other = match otherwise {
            Some(o) => self.expr(o, rel, alias)?,
            None => SqlVal::one(Ty::Null, "NULL".into()),
        };
        results.push(other);
        let tys: Vec<Ty> = results.iter().map(|v| v.ty).filter(|t| *t != Ty::Null).collect();
        let Some(ty) = tys.first().copied() else {
            return Ok(SqlVal::one(Ty::Null, "NULL".into()));
        };
        if tys.iter().any(|t| *t != ty) || !ty.is_scalar() || matches!(ty, Ty::RelList | Ty::Path) {
            return unsupported("CASE whose branches have different types");
        }
        let part = |v: &SqlVal, k: usize| {
            if v.ty == Ty::Null {
                "NULL".to_string()
            } else {
                v.parts[k].clone()
            }
        };
        let last = results.len() - 1;
        let parts = (0..ty.width())
            .map(|k| {
                let arms: Vec<String> = conds
                    .iter()
                    .zip(&results)
                    .map(|(c, r)| format!("WHEN {c} THEN {}", part(r, k)))
                    .collect();
                format!("(CASE {} ELSE {} END)", arms.join(" "), part(&results[last], k))
            })
            .collect();
        Ok(SqlVal::new(ty, parts))
    }
}

/// The key under which a read property is remembered between the two passes.
pub(crate) fn prop_key(node: bool, key: &str) -> String {
    format!("{}{key}", if node { "n:" } else { "e:" })
}

fn arith(op: Arith, a: &SqlVal, b: &SqlVal) -> SparkResult<SqlVal> {
    if a.ty == Ty::Null || b.ty == Ty::Null {
        return Ok(SqlVal::one(Ty::Null, "NULL".into()));
    }
    let sym = match op {
        Arith::Add => "+",
        Arith::Sub => "-",
        Arith::Mul => "*",
        Arith::Div | Arith::Mod | Arith::Pow => {
            return unsupported("division, modulo and powers (Spark's zero and overflow rules differ)");
        }
        #[allow(unreachable_patterns)]
        _ => return unsupported("this arithmetic operator"),
    };
    let (x, y) = (&a.parts[0], &b.parts[0]);
    Ok(match (a.ty, b.ty) {
        // ANSI mode makes integer overflow an error, as in the engine.
        (Ty::Int, Ty::Int) => SqlVal::one(Ty::Int, format!("({x} {sym} {y})")),
        (ta, tb) if ta.is_num() && tb.is_num() => {
            SqlVal::one(Ty::Float, format!("(CAST({x} AS DOUBLE) {sym} CAST({y} AS DOUBLE))"))
        }
        (Ty::Str, Ty::Str) if op == Arith::Add => SqlVal::one(Ty::Str, format!("concat({x}, {y})")),
        (ta, tb) => {
            return unsupported(format!("arithmetic on {} and {}", ta.describe(), tb.describe()));
        }
    })
}
