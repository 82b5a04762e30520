//! Round trip: parse(print(ast)) == ast (spans zeroed), for random ASTs and a fixed corpus.

use lodestone_model::{Decimal, Money, PartialDate};
use lodestone_query::ast::*;
use lodestone_query::parse::{parse_script, parse_statement, to_text, without_spans};
use proptest::prelude::*;

fn id(name: &str) -> Ident {
    Ident {
        name: name.to_string(),
        span: Span::default(),
    }
}

fn e(kind: ExprKind) -> Expr {
    Expr {
        kind,
        span: Span::default(),
    }
}

// ---------------------------------------------------------------- names

/// Names: mostly plain, sometimes reserved words or text that needs back-quotes.
fn name() -> impl Strategy<Value = String> {
    prop_oneof![
        8 => prop::sample::select(vec!["a", "b", "n", "m", "x", "name", "Company", "OWNS", "count", "any", "line"])
            .prop_map(String::from),
        2 => "[a-zA-Z_][a-zA-Z0-9_]{0,6}",
        1 => prop::sample::select(vec!["match", "END", "weird name", "a`b", "é", "1st", "", "USD", "shortestPath"])
            .prop_map(String::from),
    ]
}

fn ident() -> impl Strategy<Value = Ident> {
    name().prop_map(|n| id(&n))
}

fn idents(min: usize) -> impl Strategy<Value = Vec<Ident>> {
    prop::collection::vec(ident(), min..3)
}

// ---------------------------------------------------------------- literals

fn decimal() -> impl Strategy<Value = Decimal> {
    (0i64..10_000_000_000, 0u32..4).prop_map(|(m, s)| Decimal::new(m, s))
}

fn literal() -> impl Strategy<Value = Literal> {
    prop_oneof![
        Just(Literal::Null),
        any::<bool>().prop_map(Literal::Bool),
        any::<i64>().prop_map(Literal::Int),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(Literal::Float),
        (-1e6f64..1e6).prop_map(Literal::Float),
        any::<String>().prop_map(Literal::String),
        "[ -~]{0,8}".prop_map(Literal::String),
        (
            decimal(),
            prop::sample::select(vec!["USD", "EUR", "GBP", "ALL", "JPY"]),
            any::<bool>()
        )
            .prop_map(|(d, c, neg)| {
                let amount = if neg && !d.is_zero() { -d } else { d };
                Literal::Money(Money::new(amount, c).expect("currency"))
            }),
        (decimal(), any::<bool>()).prop_map(|(d, neg)| Literal::Percent(if neg && !d.is_zero() { -d } else { d })),
        (1000i32..9999, 0u8..13, 0u8..29).prop_map(|(y, m, d)| {
            let date = match (m, d) {
                (0, _) => PartialDate::year(y),
                (m, 0) => PartialDate::month(y, m).expect("month"),
                (m, d) => PartialDate::day(y, m, d).expect("day"),
            };
            Literal::Date(date)
        }),
    ]
}

fn param_name() -> impl Strategy<Value = String> {
    prop_oneof![name(), "[0-9]{1,3}"]
}

// ---------------------------------------------------------------- expressions

fn binary_op() -> impl Strategy<Value = BinaryOp> {
    prop::sample::select(vec![
        BinaryOp::Or,
        BinaryOp::Xor,
        BinaryOp::And,
        BinaryOp::Eq,
        BinaryOp::Ne,
        BinaryOp::Lt,
        BinaryOp::Le,
        BinaryOp::Gt,
        BinaryOp::Ge,
        BinaryOp::Add,
        BinaryOp::Sub,
        BinaryOp::Mul,
        BinaryOp::Div,
        BinaryOp::Mod,
        BinaryOp::Pow,
        BinaryOp::In,
        BinaryOp::StartsWith,
        BinaryOp::EndsWith,
        BinaryOp::Contains,
        BinaryOp::Regex,
    ])
}

fn leaf() -> impl Strategy<Value = Expr> {
    prop_oneof![
        4 => literal().prop_map(|l| e(ExprKind::Literal(l))),
        1 => param_name().prop_map(|p| e(ExprKind::Param(p))),
        4 => name().prop_map(|v| e(ExprKind::Variable(v))),
        1 => Just(e(ExprKind::CountStar)),
    ]
}

/// A map literal or a parameter, as node and relationship properties allow.
fn props(inner: BoxedStrategy<Expr>) -> impl Strategy<Value = Option<Expr>> {
    prop_oneof![
        2 => Just(None),
        1 => param_name().prop_map(|p| Some(e(ExprKind::Param(p)))),
        1 => prop::collection::vec((ident(), inner), 0..3).prop_map(|m| Some(e(ExprKind::Map(m)))),
    ]
}

fn node(inner: BoxedStrategy<Expr>) -> impl Strategy<Value = NodePattern> {
    (prop::option::of(ident()), idents(0), props(inner)).prop_map(|(var, labels, props)| NodePattern {
        var,
        labels,
        any_labels: Vec::new(),
        props,
        span: Span::default(),
    })
}

fn length() -> impl Strategy<Value = Option<Length>> {
    prop::option::of(
        (prop::option::of(0u64..20), prop::option::of(0u64..20)).prop_map(|(min, max)| Length { min, max }),
    )
}

fn rel(inner: BoxedStrategy<Expr>) -> impl Strategy<Value = RelPattern> {
    (
        prop::option::of(ident()),
        idents(0),
        prop::sample::select(vec![RelDirection::Left, RelDirection::Right, RelDirection::Either]),
        length(),
        props(inner),
    )
        .prop_map(|(var, types, direction, length, props)| RelPattern {
            var,
            types,
            direction,
            length,
            props,
            span: Span::default(),
        })
}

fn element(inner: BoxedStrategy<Expr>, min_chain: usize) -> impl Strategy<Value = PatternElement> {
    (
        node(inner.clone()),
        prop::collection::vec((rel(inner.clone()), node(inner)), min_chain..3),
    )
        .prop_map(|(start, chain)| PatternElement { start, chain })
}

fn pattern_part(inner: BoxedStrategy<Expr>) -> impl Strategy<Value = PatternPart> {
    (
        prop::option::of(ident()),
        prop::sample::select(vec![PathMode::All, PathMode::Shortest, PathMode::AllShortest]),
        element(inner, 0),
    )
        .prop_map(|(var, mode, element)| PatternPart {
            var,
            mode,
            element,
            span: Span::default(),
        })
}

fn expr() -> impl Strategy<Value = Expr> {
    leaf().prop_recursive(5, 48, 4, |inner| {
        let b = inner.clone().prop_map(Box::new);
        prop_oneof![
            (inner.clone(), ident()).prop_map(|(t, k)| e(ExprKind::Property(Box::new(t), k))),
            prop::collection::vec(inner.clone(), 0..4).prop_map(|v| e(ExprKind::List(v))),
            prop::collection::vec((ident(), inner.clone()), 0..3).prop_map(|m| e(ExprKind::Map(m))),
            (b.clone(), b.clone()).prop_map(|(a, i)| e(ExprKind::Index(a, i))),
            (b.clone(), prop::option::of(b.clone()), prop::option::of(b.clone()))
                .prop_map(|(a, f, t)| e(ExprKind::Slice(a, f, t))),
            (
                prop::sample::select(vec![UnaryOp::Not, UnaryOp::Neg, UnaryOp::Plus]),
                b.clone()
            )
                .prop_map(|(op, x)| e(ExprKind::Unary(op, x))),
            (binary_op(), b.clone(), b.clone()).prop_map(|(op, l, r)| e(ExprKind::Binary(op, l, r))),
            (binary_op(), b.clone(), b.clone()).prop_map(|(op, l, r)| e(ExprKind::Binary(op, l, r))),
            (b.clone(), any::<bool>()).prop_map(|(x, not)| e(ExprKind::IsNull(x, not))),
            (b.clone(), idents(1)).prop_map(|(x, l)| e(ExprKind::HasLabels(x, l))),
            (
                prop::sample::select(vec![
                    "toLower",
                    "count",
                    "date.truncate",
                    "coalesce",
                    "sources",
                    "exists",
                    "any"
                ]),
                any::<bool>(),
                prop::collection::vec(inner.clone(), 0..3)
            )
                .prop_filter("exists(pattern) reads as the pattern itself", |(n, _, args)| {
                    !(*n == "exists" && args.len() == 1 && matches!(args[0].kind, ExprKind::Pattern(_)))
                })
                .prop_map(|(n, distinct, args)| e(ExprKind::Call {
                    name: id(n),
                    // The grammar has no `f(DISTINCT)` without arguments.
                    distinct: distinct && !args.is_empty(),
                    args
                })),
            (
                prop::option::of(b.clone()),
                prop::collection::vec((inner.clone(), inner.clone()), 1..3),
                prop::option::of(b.clone())
            )
                .prop_map(|(subject, whens, otherwise)| e(ExprKind::Case {
                    subject,
                    whens,
                    otherwise
                })),
            (
                ident(),
                b.clone(),
                prop::option::of(b.clone()),
                prop::option::of(b.clone())
            )
                .prop_map(|(var, list, filter, map)| e(ExprKind::ListComprehension {
                    var,
                    list,
                    filter,
                    map
                })),
            (
                prop::option::of(ident()),
                element(inner.clone(), 1),
                prop::option::of(b.clone()),
                b.clone()
            )
                .prop_map(|(var, element, filter, map)| e(ExprKind::PatternComprehension {
                    pattern: Box::new(PatternPart {
                        var,
                        mode: PathMode::All,
                        element,
                        span: Span::default(),
                    }),
                    filter,
                    map
                })),
            element(inner.clone(), 1).prop_map(|el| e(ExprKind::Pattern(Box::new(el)))),
            (
                prop::sample::select(vec![
                    Quantifier::All,
                    Quantifier::Any,
                    Quantifier::None,
                    Quantifier::Single
                ]),
                ident(),
                b.clone(),
                b.clone()
            )
                .prop_map(|(quantifier, var, list, predicate)| e(ExprKind::Quantified {
                    quantifier,
                    var,
                    list,
                    predicate
                })),
            (ident(), b.clone(), ident(), b.clone(), b.clone()).prop_map(|(acc, init, var, list, step)| e(
                ExprKind::Reduce {
                    acc,
                    init,
                    var,
                    list,
                    step
                }
            )),
        ]
    })
}

// ---------------------------------------------------------------- clauses

fn bexpr() -> BoxedStrategy<Expr> {
    expr().boxed()
}

fn set_item() -> impl Strategy<Value = SetItem> {
    prop_oneof![
        (bexpr(), ident(), bexpr()).prop_map(|(target, key, value)| SetItem::Property { target, key, value }),
        (ident(), bexpr()).prop_map(|(var, value)| SetItem::Replace { var, value }),
        (ident(), bexpr()).prop_map(|(var, value)| SetItem::Merge { var, value }),
        (ident(), idents(1)).prop_map(|(var, labels)| SetItem::Labels { var, labels }),
    ]
}

fn remove_item() -> impl Strategy<Value = RemoveItem> {
    prop_oneof![
        (bexpr(), ident()).prop_map(|(target, key)| RemoveItem::Property { target, key }),
        (ident(), idents(1)).prop_map(|(var, labels)| RemoveItem::Labels { var, labels }),
    ]
}

fn projection(with: bool) -> impl Strategy<Value = Projection> {
    (
        any::<bool>(),
        any::<bool>(),
        prop::collection::vec((bexpr(), prop::option::of(ident())), 0..3),
        prop::collection::vec((bexpr(), any::<bool>()), 0..2),
        prop::option::of(bexpr()),
        prop::option::of(bexpr()),
        prop::option::of(bexpr()),
    )
        .prop_map(move |(distinct, star, items, order, skip, limit, where_)| {
            let star = star || items.is_empty();
            Projection {
                distinct,
                star,
                items: items
                    .into_iter()
                    .map(|(expr, alias)| ProjectionItem {
                        expr,
                        alias,
                        text: String::new(),
                        span: Span::default(),
                    })
                    .collect(),
                order_by: order
                    .into_iter()
                    .map(|(expr, descending)| SortItem { expr, descending })
                    .collect(),
                skip,
                limit,
                where_: if with { where_ } else { None },
                span: Span::default(),
            }
        })
}

fn reading_clause() -> impl Strategy<Value = Clause> {
    let s = Span::default();
    prop_oneof![
        (
            any::<bool>(),
            prop::collection::vec(pattern_part(bexpr()), 1..3),
            prop::option::of(bexpr())
        )
            .prop_map(move |(optional, pattern, where_)| Clause::Match {
                optional,
                pattern,
                where_,
                span: s
            }),
        (bexpr(), ident()).prop_map(move |(expr, alias)| Clause::Unwind { expr, alias, span: s }),
        projection(true).prop_map(Clause::With),
    ]
}

fn updating_clause() -> impl Strategy<Value = Clause> {
    let s = Span::default();
    prop_oneof![
        prop::collection::vec(pattern_part(bexpr()), 1..3).prop_map(move |pattern| Clause::Create { pattern, span: s }),
        (
            pattern_part(bexpr()),
            prop::collection::vec(set_item(), 0..2),
            prop::collection::vec(set_item(), 0..2)
        )
            .prop_map(move |(part, on_create, on_match)| Clause::Merge {
                part,
                on_create,
                on_match,
                span: s
            }),
        prop::collection::vec(set_item(), 1..3).prop_map(move |items| Clause::Set { items, span: s }),
        prop::collection::vec(remove_item(), 1..3).prop_map(move |items| Clause::Remove { items, span: s }),
        (any::<bool>(), prop::collection::vec(bexpr(), 1..3)).prop_map(move |(detach, exprs)| Clause::Delete {
            detach,
            exprs,
            span: s
        }),
        (idents(1), bexpr(), prop::option::of(bexpr()), prop::option::of(bexpr())).prop_map(
            move |(targets, source, line, note)| Clause::Cite {
                targets,
                source,
                line,
                note,
                span: s
            }
        ),
    ]
}

fn single_query() -> impl Strategy<Value = SingleQuery> {
    (
        prop::collection::vec(prop_oneof![reading_clause(), updating_clause()], 0..3),
        prop_oneof![
            projection(false).prop_map(|p| vec![Clause::Return(p)]),
            updating_clause().prop_map(|c| vec![c]),
        ],
    )
        .prop_map(|(mut clauses, last)| {
            clauses.extend(last);
            SingleQuery {
                clauses,
                span: Span::default(),
            }
        })
}

fn query() -> impl Strategy<Value = Statement> {
    (
        prop::option::of(bexpr()),
        single_query(),
        any::<bool>(),
        prop::collection::vec(single_query(), 0..2),
    )
        .prop_map(|(as_of, first, all, parts)| {
            let unions = parts.into_iter().map(|p| (all, p)).collect();
            Statement::Query(Query {
                as_of,
                first,
                unions,
                span: Span::default(),
            })
        })
}

// ---------------------------------------------------------------- schema and questions

fn prop_def() -> impl Strategy<Value = PropertyDef> {
    (
        ident(),
        prop::sample::select(vec![
            "STRING",
            "INTEGER",
            "FLOAT",
            "BOOLEAN",
            "DATE",
            "MONEY",
            "PERCENT",
            "QUANTITY",
            "MAP",
            "LIST",
            "LIST<STRING>",
            "LIST<INTEGER>",
        ]),
        any::<bool>(),
    )
        .prop_map(|(name, ty, required)| PropertyDef {
            name,
            ty: id(ty),
            required,
        })
}

fn schema() -> impl Strategy<Value = Statement> {
    let s = Span::default();
    prop_oneof![
        (ident(), prop::collection::vec(prop_def(), 0..3))
            .prop_map(move |(label, props)| SchemaStatement::CreateNodeKind { label, props, span: s }),
        (
            ident(),
            prop::option::of(
                prop::sample::select(vec!["investment", "ownership", "offtake", "place", "Supply"]).prop_map(id)
            ),
            idents(0),
            idents(0),
            prop::collection::vec(prop_def(), 0..3)
        )
            .prop_map(
                move |(rel_type, family, from, to, props)| SchemaStatement::CreateEdgeKind {
                    rel_type,
                    family,
                    from,
                    to,
                    props,
                    span: s
                }
            ),
        (any::<bool>(), ident()).prop_map(move |(edge, name)| SchemaStatement::DropKind { edge, name, span: s }),
        (ident(), ident()).prop_map(move |(label, key)| SchemaStatement::CreateIndex { label, key, span: s }),
        Just(SchemaStatement::ShowSchema(s)),
    ]
    .prop_map(Statement::Schema)
}

fn entity() -> impl Strategy<Value = EntityRef> {
    prop_oneof![
        any::<String>(),
        "[A-Za-z ]{0,12}",
        Just("Rock to Mine as of @2025".to_string())
    ]
    .prop_map(|text| EntityRef {
        text,
        span: Span::default(),
    })
}

fn question() -> impl Strategy<Value = Statement> {
    (
        prop::sample::select(vec![
            QuestionKind::WhoFunds,
            QuestionKind::WhoOwns,
            QuestionKind::WhoSupplies,
            QuestionKind::WhoBuysFrom,
            QuestionKind::PartnersOf,
            QuestionKind::WhatFunds,
            QuestionKind::WhatOwns,
            QuestionKind::WhatSupplies,
            QuestionKind::WhatOperates,
            QuestionKind::Path,
            QuestionKind::Conflicts,
            QuestionKind::Sources,
        ]),
        entity(),
        entity(),
        any::<bool>(),
        prop::option::of((2000i32..2030, 1u8..13).prop_map(|(y, m)| PartialDate::month(y, m).expect("month"))),
    )
        .prop_map(|(kind, subject, object, with_subject, as_of)| {
            let (subject, object) = match kind {
                QuestionKind::Path => (Some(subject), Some(object)),
                QuestionKind::Conflicts => (with_subject.then_some(subject), None),
                _ => (Some(subject), None),
            };
            Statement::Question(Question {
                kind,
                subject,
                object,
                as_of,
                span: Span::default(),
            })
        })
}

fn statement() -> impl Strategy<Value = Statement> {
    let base = prop_oneof![6 => query(), 1 => schema(), 1 => question()];
    (base, prop::collection::vec(any::<bool>(), 0..2)).prop_map(|(mut s, prefixes)| {
        for explain in prefixes {
            s = if explain {
                Statement::Explain(Box::new(s), Span::default())
            } else {
                Statement::Profile(Box::new(s), Span::default())
            };
        }
        s
    })
}

// ---------------------------------------------------------------- properties

fn round_trip(stmt: &Statement) -> Result<(), TestCaseError> {
    let text = to_text(stmt);
    let parsed = parse_statement(&text)
        .map_err(|err| TestCaseError::fail(format!("printed text does not parse:\n{}", err.render(&text))))?;
    let expected = without_spans(stmt);
    let got = without_spans(&parsed);
    prop_assert_eq!(got, expected, "text: {}", text);
    // Printing is stable: the reparsed tree prints the same text.
    prop_assert_eq!(to_text(&parsed), text);
    Ok(())
}

/// Runs a property on a thread with a large stack: the nested strategies that build
/// whole statements recurse deeply while generating and shrinking.
fn check<S: Strategy + 'static>(cases: u32, make: fn() -> S, test: fn(&S::Value) -> Result<(), TestCaseError>) {
    let worker = std::thread::Builder::new()
        .stack_size(256 << 20)
        .spawn(move || {
            // PROPTEST_CASES overrides the count for longer runs.
            let cases = std::env::var("PROPTEST_CASES")
                .ok()
                .and_then(|c| c.parse().ok())
                .unwrap_or(cases);
            let config = ProptestConfig {
                cases,
                failure_persistence: None,
                ..ProptestConfig::default()
            };
            let mut runner = proptest::test_runner::TestRunner::new(config);
            runner.run(&make(), |v| test(&v)).map_err(|e| e.to_string())
        })
        .expect("spawn");
    if let Err(message) = worker.join().expect("property thread") {
        panic!("{message}");
    }
}

fn return_of(x: Expr) -> Statement {
    Statement::Query(Query {
        as_of: None,
        first: SingleQuery {
            clauses: vec![Clause::Return(Projection {
                distinct: false,
                star: false,
                items: vec![ProjectionItem {
                    expr: x,
                    alias: None,
                    text: String::new(),
                    span: Span::default(),
                }],
                order_by: vec![],
                skip: None,
                limit: None,
                where_: None,
                span: Span::default(),
            })],
            span: Span::default(),
        },
        unions: vec![],
        span: Span::default(),
    })
}

#[test]
fn random_statements_round_trip() {
    check(300, statement, round_trip);
}

#[test]
fn random_expressions_round_trip() {
    check(1000, expr, |x| round_trip(&return_of(x.clone())));
}

// ---------------------------------------------------------------- fixed corpus

const CORPUS: &[&str] = &[
    "MATCH (g:Agency)-[f:FUNDS]->(d:Deal)-[:FUNDS]->(c:Company {name: \"USA Rare Earth\"})
     WHERE f.amount >= $100M AND d.status <> \"terminated\"
     RETURN g.name AS funder, f.amount, d.kind ORDER BY f.amount DESC LIMIT 10",
    "MATCH (a:Company)-[:OWNS*1..3]->(b) RETURN a.name, count(DISTINCT b)",
    "MATCH p = shortestPath((a {name: \"Apple\"})-[*..6]-(b {name: \"Mountain Pass\"})) RETURN p",
    "MATCH p = allShortestPaths((a)-[:X|:Y*2..]->(b)) RETURN nodes(p)",
    "OPTIONAL MATCH (a)<-[r:R]-(b), (c) WHERE a.x IS NULL OR b.y IS NOT NULL RETURN a, r, b",
    "MATCH (n) WITH DISTINCT n.x AS x, count(*) AS c ORDER BY c DESC, x SKIP 2 LIMIT 5 WHERE c > 1 RETURN *",
    "UNWIND [1, 2, 3] AS x WITH x WHERE x % 2 = 1 RETURN collect(x) AS odd",
    "MATCH (a) RETURN a UNION ALL MATCH (b) RETURN b AS a UNION ALL MATCH (c) RETURN c AS a",
    "CREATE (a:Company:Listed {name: 'MP Materials', ticker: 'MP'})-[:OWNS {share: 15%}]->(d:Deposit $props)",
    "MERGE (c:Company {name: 'Lynas'}) ON CREATE SET c.created = @2025-09-01 ON MATCH SET c.seen = coalesce(c.seen, 0) + 1",
    "MATCH (n:Company) SET n.x = 1, n += {y: 2}, n:Checked, (n).z = [1, 2][0] REMOVE n.old, n:Stale",
    "MATCH (n) DETACH DELETE n",
    "MATCH (a)-[r]->(b) DELETE r, a",
    "MATCH (a:Company {name: 'A'}), (d:Deal) CITE a, d SOURCE 'seeds/one.txt' LINE 12 NOTE 'reported funding' RETURN sources(a)",
    "AS OF @2025-08 MATCH (g)-[:FUNDS]->(d:Deal) RETURN d",
    "EXPLAIN MATCH (n) RETURN n",
    "PROFILE MATCH (n)-->(m) RETURN count(*)",
    "RETURN CASE n.kind WHEN 'a' THEN 1 WHEN 'b' THEN 2 ELSE 3 END, CASE WHEN x > 1 THEN 'big' END",
    "RETURN [x IN range(1, 10) WHERE x % 2 = 0 | x ^ 2], [x IN l], [x IN l | x.name], [(x IN l)]",
    "MATCH (a) RETURN [(a)-[:OWNS]->(b) WHERE b.big | b.name], [p = (a)-->() | length(p)]",
    "MATCH (a) WHERE (a)-[:KNOWS]->() AND NOT (a)<--(:Bot) AND exists((a)--()) RETURN a",
    "RETURN all(x IN l WHERE x > 0), any(x IN l WHERE x), none(x IN l WHERE x = 1), single(x IN l WHERE x)",
    "RETURN reduce(acc = 0, x IN [1, 2, 3] | acc + x) AS total",
    "RETURN 0x1F, 0o17, -0x8000000000000000, 9223372036854775807, -9223372036854775808, 1e3, .5, -.5e-3",
    "RETURN 'a\\nb\\t\\'c\\\\', \"d\\\"e\", '\\u00e9\\U0001F600'",
    "RETURN $277M, $1.3B, $12,500, USD 18M, EUR 4B, ALL 2K, 15%, 16.1%, @2026, @2025-09, @2026-01-30",
    "RETURN $name, $0, $`odd name`, n.`weird key`, `a b`.c",
    "RETURN 1 < 2 <= 3 = 3 <> 4, a =~ 'x.*', s STARTS WITH 'a' AND s ENDS WITH 'z' OR s CONTAINS 'm' XOR true",
    "RETURN -3 ^ 2, 2 ^ -1, - -5, -(5), -n.x, +1, NOT NOT true, (1 + 2) * 3, 1 + 2 * 3, [1] + 2 IN [3] + 4",
    "RETURN l[1..2], l[..2], l[1..], l[-1], m['key'], n:Person:Company",
    "RETURN date.truncate('month', d), count(*), toLower(n.name), exists(n.prop)",
    "CREATE NODE KIND Company (name STRING NOT NULL, ticker STRING, aliases LIST<STRING>)",
    "CREATE EDGE KIND OWNS FAMILY ownership FROM Company|Government TO Company|Deposit (share PERCENT)",
    "DROP NODE KIND Company",
    "DROP EDGE KIND OWNS",
    "CREATE INDEX ON :Person(id)",
    "SHOW SCHEMA",
    "who funds Round Top",
    "who owns \"MP Materials\" as of @2025-08",
    "path from Apple to 'Rock to Mine'",
    "what does Department of Defense fund",
    "EXPLAIN who supplies General Motors",
    "conflicts about Lynas",
    "match (n:person) where n.age > 30 return n.name order by n.age descending limit 3",
];

#[test]
fn corpus_round_trips() {
    for src in CORPUS {
        let first = match parse_statement(src) {
            Ok(s) => s,
            Err(err) => panic!("corpus entry does not parse:\n{}", err.render(src)),
        };
        let text = to_text(&first);
        let second = match parse_statement(&text) {
            Ok(s) => s,
            Err(err) => panic!("printed corpus entry does not parse:\n{src}\n{}", err.render(&text)),
        };
        assert_eq!(without_spans(&first), without_spans(&second), "{src}\n=> {text}");
        assert_eq!(to_text(&second), text, "printing is not stable for {src}");
    }
}

#[test]
fn corpus_as_one_script() {
    let mut script = String::new();
    for src in CORPUS {
        script.push_str(src);
        script.push_str(";\n");
    }
    let all = parse_script(&script).expect("script parses");
    assert_eq!(all.len(), CORPUS.len());
    for ((_, span), src) in all.iter().zip(CORPUS) {
        assert_eq!(&script[span.start..span.end], *src);
    }
}
