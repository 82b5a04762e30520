//! The typed syntax tree the parser builds. Every node carries the byte span of
//! its source text so that later stages can point at it in errors.

use lodestone_model::{Decimal, Money, PartialDate};

/// A byte range `[start, end)` in the statement text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Span {
    /// First byte.
    pub start: usize,
    /// One past the last byte.
    pub end: usize,
}

impl Span {
    /// A span covering `start..end`.
    pub fn new(start: usize, end: usize) -> Self {
        Span { start, end }
    }

    /// The smallest span covering both.
    pub fn to(self, other: Span) -> Span {
        Span {
            start: self.start.min(other.start),
            end: self.end.max(other.end),
        }
    }
}

/// A name written in the query (variable, label, type, key), with where it was written.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Ident {
    /// The name, with back-quotes removed.
    pub name: String,
    /// Where it was written.
    pub span: Span,
}

/// One statement of a script.
#[derive(Debug, Clone, PartialEq)]
pub enum Statement {
    /// A read or write query, possibly a UNION of several.
    Query(Query),
    /// `EXPLAIN <statement>`: show the plan, do not run.
    Explain(Box<Statement>, Span),
    /// `PROFILE <statement>`: run and show the plan with rows and time per operator.
    Profile(Box<Statement>, Span),
    /// A schema or index statement.
    Schema(SchemaStatement),
    /// An analyst's question form (`who funds Round Top`).
    Question(Question),
}

/// A query: one part, or parts joined by UNION / UNION ALL.
#[derive(Debug, Clone, PartialEq)]
pub struct Query {
    /// `AS OF <date>`: evaluate reads against the validity intervals on that date.
    pub as_of: Option<Expr>,
    /// The first part.
    pub first: SingleQuery,
    /// Further parts; `true` for UNION ALL.
    pub unions: Vec<(bool, SingleQuery)>,
    /// The whole query.
    pub span: Span,
}

/// A sequence of clauses without UNION.
#[derive(Debug, Clone, PartialEq)]
pub struct SingleQuery {
    /// The clauses in order.
    pub clauses: Vec<Clause>,
    /// The whole part.
    pub span: Span,
}

/// One clause.
#[derive(Debug, Clone, PartialEq)]
pub enum Clause {
    /// `[OPTIONAL] MATCH pattern [WHERE expr]`.
    Match {
        /// Whether OPTIONAL.
        optional: bool,
        /// The comma-separated pattern parts.
        pattern: Vec<PatternPart>,
        /// The WHERE predicate.
        where_: Option<Expr>,
        /// The clause.
        span: Span,
    },
    /// `UNWIND expr AS var`.
    Unwind {
        /// The list.
        expr: Expr,
        /// The variable bound to each element.
        alias: Ident,
        /// The clause.
        span: Span,
    },
    /// `WITH ...`.
    With(Projection),
    /// `RETURN ...`.
    Return(Projection),
    /// `CREATE pattern`.
    Create {
        /// The pattern parts to create.
        pattern: Vec<PatternPart>,
        /// The clause.
        span: Span,
    },
    /// `MERGE part [ON CREATE SET ...] [ON MATCH SET ...]`.
    Merge {
        /// The single pattern part to match or create.
        part: PatternPart,
        /// Items set when created.
        on_create: Vec<SetItem>,
        /// Items set when matched.
        on_match: Vec<SetItem>,
        /// The clause.
        span: Span,
    },
    /// `SET item, ...`.
    Set {
        /// The items.
        items: Vec<SetItem>,
        /// The clause.
        span: Span,
    },
    /// `REMOVE item, ...`.
    Remove {
        /// The items.
        items: Vec<RemoveItem>,
        /// The clause.
        span: Span,
    },
    /// `[DETACH] DELETE expr, ...`.
    Delete {
        /// Whether DETACH.
        detach: bool,
        /// Expressions yielding nodes, relationships or paths.
        exprs: Vec<Expr>,
        /// The clause.
        span: Span,
    },
    /// `CITE var, ... SOURCE expr [LINE expr] [NOTE expr]`: add a citation to bound elements.
    Cite {
        /// Variables bound to nodes or relationships.
        targets: Vec<Ident>,
        /// The source document name.
        source: Expr,
        /// The line in the source.
        line: Option<Expr>,
        /// A short note in the project's own words.
        note: Option<Expr>,
        /// The clause.
        span: Span,
    },
}

/// The body of WITH or RETURN.
#[derive(Debug, Clone, PartialEq)]
pub struct Projection {
    /// DISTINCT.
    pub distinct: bool,
    /// `*`: project every variable in scope (before `items`).
    pub star: bool,
    /// The items.
    pub items: Vec<ProjectionItem>,
    /// ORDER BY items.
    pub order_by: Vec<SortItem>,
    /// SKIP.
    pub skip: Option<Expr>,
    /// LIMIT.
    pub limit: Option<Expr>,
    /// WHERE (WITH only).
    pub where_: Option<Expr>,
    /// The clause.
    pub span: Span,
}

/// `expr [AS alias]`.
#[derive(Debug, Clone, PartialEq)]
pub struct ProjectionItem {
    /// The expression.
    pub expr: Expr,
    /// The alias, if given.
    pub alias: Option<Ident>,
    /// The expression's source text, used as the column name when there is no alias.
    pub text: String,
    /// The item.
    pub span: Span,
}

/// `expr [ASC|DESC]`.
#[derive(Debug, Clone, PartialEq)]
pub struct SortItem {
    /// The key.
    pub expr: Expr,
    /// Whether DESC.
    pub descending: bool,
}

/// One SET item.
#[derive(Debug, Clone, PartialEq)]
pub enum SetItem {
    /// `target.key = value` (target is any expression yielding an element).
    Property {
        /// The element expression.
        target: Expr,
        /// The key.
        key: Ident,
        /// The new value (null removes).
        value: Expr,
    },
    /// `var = map`: replace all properties.
    Replace {
        /// The element variable.
        var: Ident,
        /// A map, node or relationship.
        value: Expr,
    },
    /// `var += map`: merge properties.
    Merge {
        /// The element variable.
        var: Ident,
        /// A map, node or relationship.
        value: Expr,
    },
    /// `var:Label:...`.
    Labels {
        /// The node variable.
        var: Ident,
        /// Labels to add.
        labels: Vec<Ident>,
    },
}

/// One REMOVE item.
#[derive(Debug, Clone, PartialEq)]
pub enum RemoveItem {
    /// `target.key`.
    Property {
        /// The element expression.
        target: Expr,
        /// The key.
        key: Ident,
    },
    /// `var:Label:...`.
    Labels {
        /// The node variable.
        var: Ident,
        /// Labels to remove.
        labels: Vec<Ident>,
    },
}

/// How a pattern part matches paths.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PathMode {
    /// Every matching path.
    All,
    /// `shortestPath(...)`: one shortest path per pair of endpoints.
    Shortest,
    /// `allShortestPaths(...)`: every shortest path per pair of endpoints.
    AllShortest,
}

/// `[var =] [shortestPath(] element [)]`.
#[derive(Debug, Clone, PartialEq)]
pub struct PatternPart {
    /// Path variable.
    pub var: Option<Ident>,
    /// Path mode.
    pub mode: PathMode,
    /// The chain of nodes and relationships.
    pub element: PatternElement,
    /// The part.
    pub span: Span,
}

/// `(a)-[r]->(b)<-[s]-(c)...`.
#[derive(Debug, Clone, PartialEq)]
pub struct PatternElement {
    /// The first node.
    pub start: NodePattern,
    /// Each relationship with the node after it.
    pub chain: Vec<(RelPattern, NodePattern)>,
}

/// `(var:Label:Label {props})`.
#[derive(Debug, Clone, PartialEq)]
pub struct NodePattern {
    /// Variable.
    pub var: Option<Ident>,
    /// Labels, all required.
    pub labels: Vec<Ident>,
    /// `(n:A|B)`: labels of which the node must carry at least one; empty when the
    /// pattern has no label disjunction.
    pub any_labels: Vec<Ident>,
    /// A map literal or a parameter.
    pub props: Option<Expr>,
    /// The node pattern.
    pub span: Span,
}

/// Which way a relationship pattern points.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RelDirection {
    /// `-[]->`.
    Right,
    /// `<-[]-`.
    Left,
    /// `-[]-` (or `<-[]->`): either way.
    Either,
}

/// `*`, `*n`, `*m..n`, `*..n`, `*m..`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Length {
    /// Fewest hops (default 1).
    pub min: Option<u64>,
    /// Most hops (default: the engine's bound).
    pub max: Option<u64>,
}

/// `-[var:TYPE|TYPE *len {props}]->`.
#[derive(Debug, Clone, PartialEq)]
pub struct RelPattern {
    /// Variable.
    pub var: Option<Ident>,
    /// Allowed types; empty means any.
    pub types: Vec<Ident>,
    /// Direction.
    pub direction: RelDirection,
    /// Variable length, if any.
    pub length: Option<Length>,
    /// A map literal or a parameter.
    pub props: Option<Expr>,
    /// The relationship pattern.
    pub span: Span,
}

/// An expression with its span.
#[derive(Debug, Clone, PartialEq)]
pub struct Expr {
    /// What it is.
    pub kind: ExprKind,
    /// Where it was written.
    pub span: Span,
}

/// A literal value.
#[derive(Debug, Clone, PartialEq)]
pub enum Literal {
    /// `null`.
    Null,
    /// `true` / `false`.
    Bool(bool),
    /// An integer (decimal, `0x` hex or `0o` octal).
    Int(i64),
    /// A float.
    Float(f64),
    /// A string.
    String(String),
    /// `$277M`, `USD 18M`.
    Money(Money),
    /// `15%`.
    Percent(Decimal),
    /// `@2025-09`.
    Date(PartialDate),
}

/// Unary operators.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnaryOp {
    /// `NOT`.
    Not,
    /// `-`.
    Neg,
    /// `+`.
    Plus,
}

/// Binary operators.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BinaryOp {
    /// `OR`.
    Or,
    /// `XOR`.
    Xor,
    /// `AND`.
    And,
    /// `=`.
    Eq,
    /// `<>`.
    Ne,
    /// `<`.
    Lt,
    /// `<=`.
    Le,
    /// `>`.
    Gt,
    /// `>=`.
    Ge,
    /// `+`.
    Add,
    /// `-`.
    Sub,
    /// `*`.
    Mul,
    /// `/`.
    Div,
    /// `%`.
    Mod,
    /// `^`.
    Pow,
    /// `IN`.
    In,
    /// `STARTS WITH`.
    StartsWith,
    /// `ENDS WITH`.
    EndsWith,
    /// `CONTAINS`.
    Contains,
    /// `=~`.
    Regex,
}

/// Quantifiers `all / any / none / single (x IN list WHERE pred)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Quantifier {
    /// `all`.
    All,
    /// `any`.
    Any,
    /// `none`.
    None,
    /// `single`.
    Single,
}

/// Expression forms.
#[derive(Debug, Clone, PartialEq)]
pub enum ExprKind {
    /// A literal.
    Literal(Literal),
    /// `$name` (or `$0`).
    Param(String),
    /// A variable.
    Variable(String),
    /// `expr.key`.
    Property(Box<Expr>, Ident),
    /// `[a, b]`.
    List(Vec<Expr>),
    /// `{k: v}`.
    Map(Vec<(Ident, Expr)>),
    /// `list[i]` or `map[key]`.
    Index(Box<Expr>, Box<Expr>),
    /// `list[a..b]`.
    Slice(Box<Expr>, Option<Box<Expr>>, Option<Box<Expr>>),
    /// A unary operation.
    Unary(UnaryOp, Box<Expr>),
    /// A binary operation. Chained comparisons `a < b < c` are expanded by the parser to `a < b AND b < c`.
    Binary(BinaryOp, Box<Expr>, Box<Expr>),
    /// `expr IS NULL` (`false`) or `expr IS NOT NULL` (`true`).
    IsNull(Box<Expr>, bool),
    /// `expr:Label:Label`.
    HasLabels(Box<Expr>, Vec<Ident>),
    /// `name(args)` or `name(DISTINCT args)`; `name` as written (namespaces joined by `.`).
    Call {
        /// Function name as written.
        name: Ident,
        /// DISTINCT (aggregates only).
        distinct: bool,
        /// Arguments.
        args: Vec<Expr>,
    },
    /// `count(*)`.
    CountStar,
    /// `CASE [subject] WHEN .. THEN .. [ELSE ..] END`.
    Case {
        /// The simple form's subject.
        subject: Option<Box<Expr>>,
        /// WHEN / THEN pairs.
        whens: Vec<(Expr, Expr)>,
        /// ELSE.
        otherwise: Option<Box<Expr>>,
    },
    /// `[x IN list WHERE pred | map]`.
    ListComprehension {
        /// The element variable.
        var: Ident,
        /// The list.
        list: Box<Expr>,
        /// WHERE.
        filter: Option<Box<Expr>>,
        /// `| expr`.
        map: Option<Box<Expr>>,
    },
    /// `[p = (a)-->(b) WHERE pred | expr]`.
    PatternComprehension {
        /// The pattern (with optional path variable).
        pattern: Box<PatternPart>,
        /// WHERE.
        filter: Option<Box<Expr>>,
        /// The collected expression.
        map: Box<Expr>,
    },
    /// A pattern used as a predicate: `(a)-[:KNOWS]->()`; also `exists((a)-->())`.
    Pattern(Box<PatternElement>),
    /// `all/any/none/single(x IN list WHERE pred)`.
    Quantified {
        /// Which quantifier.
        quantifier: Quantifier,
        /// The element variable.
        var: Ident,
        /// The list.
        list: Box<Expr>,
        /// The predicate.
        predicate: Box<Expr>,
    },
    /// `reduce(acc = init, x IN list | expr)`.
    Reduce {
        /// Accumulator.
        acc: Ident,
        /// Its start value.
        init: Box<Expr>,
        /// Element variable.
        var: Ident,
        /// The list.
        list: Box<Expr>,
        /// The step.
        step: Box<Expr>,
    },
}

/// A schema or index statement.
#[derive(Debug, Clone, PartialEq)]
pub enum SchemaStatement {
    /// `CREATE NODE KIND Label (prop TYPE [NOT NULL], ...)`.
    CreateNodeKind {
        /// The label.
        label: Ident,
        /// Declared properties.
        props: Vec<PropertyDef>,
        /// The statement.
        span: Span,
    },
    /// `CREATE EDGE KIND TYPE [FAMILY f] [FROM A|B] [TO C|D] [(prop TYPE, ...)]`.
    CreateEdgeKind {
        /// The relationship type.
        rel_type: Ident,
        /// The family.
        family: Option<Ident>,
        /// Allowed start labels.
        from: Vec<Ident>,
        /// Allowed end labels.
        to: Vec<Ident>,
        /// Declared properties.
        props: Vec<PropertyDef>,
        /// The statement.
        span: Span,
    },
    /// `DROP NODE KIND Label` / `DROP EDGE KIND TYPE`.
    DropKind {
        /// Whether an edge kind.
        edge: bool,
        /// The label or type.
        name: Ident,
        /// The statement.
        span: Span,
    },
    /// `CREATE INDEX ON :Label(key)`.
    CreateIndex {
        /// The label.
        label: Ident,
        /// The property key.
        key: Ident,
        /// The statement.
        span: Span,
    },
    /// `SHOW SCHEMA`.
    ShowSchema(Span),
}

/// `name TYPE [NOT NULL]` in a kind declaration; TYPE may be `LIST<T>`.
#[derive(Debug, Clone, PartialEq)]
pub struct PropertyDef {
    /// The key.
    pub name: Ident,
    /// The type name as written (`STRING`, `MONEY`, `LIST<STRING>` ...).
    pub ty: Ident,
    /// Whether required.
    pub required: bool,
}

/// The question forms.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QuestionKind {
    /// `who funds X`.
    WhoFunds,
    /// `who owns X`.
    WhoOwns,
    /// `who supplies X`.
    WhoSupplies,
    /// `who buys from X`.
    WhoBuysFrom,
    /// `partners of X`.
    PartnersOf,
    /// `what does X fund`.
    WhatFunds,
    /// `what does X own`.
    WhatOwns,
    /// `what does X supply`.
    WhatSupplies,
    /// `what does X operate` (also develop, produce).
    WhatOperates,
    /// `path from X to Y`.
    Path,
    /// `conflicts [about X]`.
    Conflicts,
    /// `sources of X`.
    Sources,
}

/// An entity named in a question: quoted, or bare to the end of its slot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EntityRef {
    /// The name as written, quotes removed.
    pub text: String,
    /// Where it was written.
    pub span: Span,
}

/// An analyst's question.
#[derive(Debug, Clone, PartialEq)]
pub struct Question {
    /// Which form.
    pub kind: QuestionKind,
    /// The entity asked about (absent only for bare `conflicts`).
    pub subject: Option<EntityRef>,
    /// The second entity (`path from X to Y`).
    pub object: Option<EntityRef>,
    /// `as of <date>`.
    pub as_of: Option<PartialDate>,
    /// The question.
    pub span: Span,
}
