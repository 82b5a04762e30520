//! One test per language construct: the parser builds the expected AST.

use lodestone_model::{Decimal, Money, PartialDate};
use lodestone_query::ast::*;
use lodestone_query::parse::{parse_script, parse_statement, to_text, without_spans};
use std::str::FromStr;

fn stmt(src: &str) -> Statement {
    match parse_statement(src) {
        Ok(s) => without_spans(&s),
        Err(e) => panic!("{}", e.render(src)),
    }
}

fn query(src: &str) -> Query {
    match stmt(src) {
        Statement::Query(q) => q,
        other => panic!("not a query: {other:?}"),
    }
}

fn clauses(src: &str) -> Vec<Clause> {
    query(src).first.clauses
}

/// The expression of `RETURN <src>`, spans zeroed.
fn ex(src: &str) -> Expr {
    items(&format!("RETURN {src}")).remove(0).expr
}

fn items(src: &str) -> Vec<ProjectionItem> {
    match clauses(src).pop() {
        Some(Clause::Return(p)) => p.items,
        other => panic!("no RETURN: {other:?}"),
    }
}

fn id(name: &str) -> Ident {
    Ident {
        name: name.into(),
        span: Span::default(),
    }
}

fn e(kind: ExprKind) -> Expr {
    Expr {
        kind,
        span: Span::default(),
    }
}

fn var(n: &str) -> Expr {
    e(ExprKind::Variable(n.into()))
}

fn int(i: i64) -> Expr {
    e(ExprKind::Literal(Literal::Int(i)))
}

fn lit(l: Literal) -> Expr {
    e(ExprKind::Literal(l))
}

fn bin(op: BinaryOp, l: Expr, r: Expr) -> Expr {
    e(ExprKind::Binary(op, Box::new(l), Box::new(r)))
}

fn un(op: UnaryOp, x: Expr) -> Expr {
    e(ExprKind::Unary(op, Box::new(x)))
}

fn prop(x: Expr, k: &str) -> Expr {
    e(ExprKind::Property(Box::new(x), id(k)))
}

fn first_part(src: &str) -> PatternPart {
    match clauses(src).remove(0) {
        Clause::Match { mut pattern, .. } | Clause::Create { mut pattern, .. } => pattern.remove(0),
        other => panic!("no pattern: {other:?}"),
    }
}

fn first_rel(src: &str) -> RelPattern {
    first_part(src).element.chain.remove(0).0
}

// ---------------------------------------------------------------- lexical

#[test]
fn keywords_are_case_insensitive() {
    assert_eq!(
        stmt("match (n:Person) where n.x = 1 return distinct n order by n.x desc skip 1 limit 2"),
        stmt("MATCH (n:Person) WHERE n.x = 1 RETURN DISTINCT n ORDER BY n.x DESC SKIP 1 LIMIT 2")
    );
    assert_eq!(ex("TRUE"), ex("true"));
    assert_eq!(ex("Null"), lit(Literal::Null));
}

#[test]
fn back_quoted_identifiers() {
    let part = first_part("MATCH (`my node`:`Odd Label` {`a``b`: 1}) RETURN `my node`");
    assert_eq!(part.element.start.var, Some(id("my node")));
    assert_eq!(part.element.start.labels, vec![id("Odd Label")]);
    let Some(Expr {
        kind: ExprKind::Map(entries),
        ..
    }) = part.element.start.props
    else {
        panic!("no map")
    };
    assert_eq!(entries[0].0, id("a`b"));
    // A reserved word is a variable only when back-quoted.
    assert_eq!(ex("`match`"), var("match"));
    assert!(parse_statement("RETURN match").is_err());
}

#[test]
fn comments_are_ignored() {
    let with = stmt("MATCH (n) // line comment\n/* block\ncomment */ RETURN /* inline */ n");
    assert_eq!(with, stmt("MATCH (n) RETURN n"));
}

#[test]
fn strings_take_both_quotes_and_escapes() {
    assert_eq!(ex(r#"'a\'b'"#), lit(Literal::String("a'b".into())));
    assert_eq!(ex(r#""a\"b""#), lit(Literal::String("a\"b".into())));
    assert_eq!(
        ex(r#"'\\ \n \t \r \b \f \u00e9 \U0001F600 "'"#),
        lit(Literal::String("\\ \n \t \r \u{8} \u{c} é 😀 \"".into()))
    );
    assert_eq!(ex("\"it's\""), lit(Literal::String("it's".into())));
}

// ---------------------------------------------------------------- literals

#[test]
fn integer_literals() {
    assert_eq!(ex("42"), int(42));
    assert_eq!(ex("0x1F"), int(31));
    assert_eq!(ex("0o17"), int(15));
    assert_eq!(ex("9223372036854775807"), int(i64::MAX));
    assert_eq!(ex("-9223372036854775808"), int(i64::MIN));
    assert_eq!(ex("-0x8000000000000000"), int(i64::MIN));
    assert_eq!(ex("-1"), int(-1));
    // A minus before a parenthesized number stays an operator.
    assert_eq!(ex("-(1)"), un(UnaryOp::Neg, int(1)));
}

#[test]
fn float_literals() {
    assert_eq!(ex("1.5"), lit(Literal::Float(1.5)));
    assert_eq!(ex("1e3"), lit(Literal::Float(1000.0)));
    assert_eq!(ex("1E-2"), lit(Literal::Float(0.01)));
    assert_eq!(ex(".5"), lit(Literal::Float(0.5)));
    assert_eq!(ex("-.5e1"), lit(Literal::Float(-5.0)));
}

#[test]
fn other_literals() {
    assert_eq!(ex("null"), lit(Literal::Null));
    assert_eq!(ex("false"), lit(Literal::Bool(false)));
    assert_eq!(
        ex("[1, 'a', [ ]]"),
        e(ExprKind::List(vec![
            int(1),
            lit(Literal::String("a".into())),
            e(ExprKind::List(vec![]))
        ]))
    );
    assert_eq!(
        ex("{a: 1, `b c`: null}"),
        e(ExprKind::Map(vec![(id("a"), int(1)), (id("b c"), lit(Literal::Null))]))
    );
    assert_eq!(ex("{}"), e(ExprKind::Map(vec![])));
}

#[test]
fn money_literals() {
    let money = |s: &str| lit(Literal::Money(Money::from_str(s).unwrap()));
    assert_eq!(ex("$277M"), money("USD 277000000"));
    assert_eq!(ex("$1.3B"), money("USD 1300000000"));
    assert_eq!(ex("$12,500"), money("USD 12500"));
    assert_eq!(ex("USD 18M"), money("USD 18000000"));
    assert_eq!(ex("EUR 4B"), money("EUR 4000000000"));
    assert_eq!(ex("$2.5bn"), money("USD 2500000000"));
    assert_eq!(
        ex("-$5M"),
        lit(Literal::Money(Money::new(Decimal::from(-5_000_000), "USD").unwrap()))
    );
}

#[test]
fn dollar_with_letters_or_bare_digits_is_a_parameter() {
    assert_eq!(ex("$name"), e(ExprKind::Param("name".into())));
    assert_eq!(ex("$0"), e(ExprKind::Param("0".into())));
    assert_eq!(ex("$`odd name`"), e(ExprKind::Param("odd name".into())));
}

#[test]
fn percent_and_modulo() {
    assert_eq!(ex("15%"), lit(Literal::Percent(Decimal::from(15))));
    assert_eq!(ex("16.1%"), lit(Literal::Percent(Decimal::from_str("16.1").unwrap())));
    assert_eq!(ex("a % b"), bin(BinaryOp::Mod, var("a"), var("b")));
    assert_eq!(ex("15 % 4"), bin(BinaryOp::Mod, int(15), int(4)));
}

#[test]
fn date_literals() {
    assert_eq!(ex("@2026"), lit(Literal::Date(PartialDate::year(2026))));
    assert_eq!(ex("@2025-09"), lit(Literal::Date(PartialDate::month(2025, 9).unwrap())));
    assert_eq!(
        ex("@2026-01-30"),
        lit(Literal::Date(PartialDate::day(2026, 1, 30).unwrap()))
    );
    assert_eq!(
        ex("date('2025-09')"),
        e(ExprKind::Call {
            name: id("date"),
            distinct: false,
            args: vec![lit(Literal::String("2025-09".into()))]
        })
    );
}

// ---------------------------------------------------------------- operators

#[test]
fn boolean_precedence() {
    // OR < XOR < AND < NOT
    assert_eq!(
        ex("a OR b XOR c AND NOT d"),
        bin(
            BinaryOp::Or,
            var("a"),
            bin(
                BinaryOp::Xor,
                var("b"),
                bin(BinaryOp::And, var("c"), un(UnaryOp::Not, var("d")))
            )
        )
    );
    // NOT < comparison
    assert_eq!(ex("NOT a = b"), un(UnaryOp::Not, bin(BinaryOp::Eq, var("a"), var("b"))));
    assert_eq!(
        ex("NOT a AND b"),
        bin(BinaryOp::And, un(UnaryOp::Not, var("a")), var("b"))
    );
}

#[test]
fn comparison_and_predicate_precedence() {
    // Predicates bind tighter than comparisons, looser than + and -.
    assert_eq!(
        ex("a = b IS NULL"),
        bin(BinaryOp::Eq, var("a"), e(ExprKind::IsNull(Box::new(var("b")), false)))
    );
    assert_eq!(
        ex("[1] + 2 IN [3] + 4"),
        bin(
            BinaryOp::In,
            bin(BinaryOp::Add, e(ExprKind::List(vec![int(1)])), int(2)),
            bin(BinaryOp::Add, e(ExprKind::List(vec![int(3)])), int(4))
        )
    );
    assert_eq!(
        ex("NOT x IN l"),
        un(UnaryOp::Not, bin(BinaryOp::In, var("x"), var("l")))
    );
    assert_eq!(
        ex("s STARTS WITH 'a' OR s ENDS WITH 'b' OR s CONTAINS 'c' OR s =~ 'd'"),
        bin(
            BinaryOp::Or,
            bin(
                BinaryOp::Or,
                bin(
                    BinaryOp::Or,
                    bin(BinaryOp::StartsWith, var("s"), lit(Literal::String("a".into()))),
                    bin(BinaryOp::EndsWith, var("s"), lit(Literal::String("b".into())))
                ),
                bin(BinaryOp::Contains, var("s"), lit(Literal::String("c".into())))
            ),
            bin(BinaryOp::Regex, var("s"), lit(Literal::String("d".into())))
        )
    );
    assert_eq!(ex("x IS NOT NULL"), e(ExprKind::IsNull(Box::new(var("x")), true)));
}

#[test]
fn chained_comparisons_expand_to_and() {
    assert_eq!(
        ex("a < b <= c"),
        bin(
            BinaryOp::And,
            bin(BinaryOp::Lt, var("a"), var("b")),
            bin(BinaryOp::Le, var("b"), var("c"))
        )
    );
    assert_eq!(
        ex("a = b <> c > d"),
        bin(
            BinaryOp::And,
            bin(
                BinaryOp::And,
                bin(BinaryOp::Eq, var("a"), var("b")),
                bin(BinaryOp::Ne, var("b"), var("c"))
            ),
            bin(BinaryOp::Gt, var("c"), var("d"))
        )
    );
    // Parentheses stop the chain.
    assert_eq!(
        ex("(a < b) < c"),
        bin(BinaryOp::Lt, bin(BinaryOp::Lt, var("a"), var("b")), var("c"))
    );
}

#[test]
fn arithmetic_precedence() {
    assert_eq!(
        ex("1 + 2 * 3 ^ 2 - 4 / 2 % 3"),
        bin(
            BinaryOp::Sub,
            bin(
                BinaryOp::Add,
                int(1),
                bin(BinaryOp::Mul, int(2), bin(BinaryOp::Pow, int(3), int(2)))
            ),
            bin(BinaryOp::Mod, bin(BinaryOp::Div, int(4), int(2)), int(3))
        )
    );
    // Unary minus binds tighter than `^`; `^` is left-associative.
    assert_eq!(ex("-3 ^ 2"), bin(BinaryOp::Pow, int(-3), int(2)));
    assert_eq!(ex("-x ^ 2"), bin(BinaryOp::Pow, un(UnaryOp::Neg, var("x")), int(2)));
    assert_eq!(
        ex("2 ^ 3 ^ 2"),
        bin(BinaryOp::Pow, bin(BinaryOp::Pow, int(2), int(3)), int(2))
    );
    assert_eq!(
        ex("1 - 2 - 3"),
        bin(BinaryOp::Sub, bin(BinaryOp::Sub, int(1), int(2)), int(3))
    );
    assert_eq!(ex("1 - -2"), bin(BinaryOp::Sub, int(1), int(-2)));
    assert_eq!(ex("+x"), un(UnaryOp::Plus, var("x")));
    // Postfix binds tighter than unary minus.
    assert_eq!(ex("-n.x"), un(UnaryOp::Neg, prop(var("n"), "x")));
}

#[test]
fn postfix_operators() {
    assert_eq!(ex("n.a.b"), prop(prop(var("n"), "a"), "b"));
    assert_eq!(ex("l[0]"), e(ExprKind::Index(Box::new(var("l")), Box::new(int(0)))));
    assert_eq!(
        ex("l[1..2]"),
        e(ExprKind::Slice(
            Box::new(var("l")),
            Some(Box::new(int(1))),
            Some(Box::new(int(2)))
        ))
    );
    assert_eq!(
        ex("l[..2]"),
        e(ExprKind::Slice(Box::new(var("l")), None, Some(Box::new(int(2)))))
    );
    assert_eq!(
        ex("l[1..]"),
        e(ExprKind::Slice(Box::new(var("l")), Some(Box::new(int(1))), None))
    );
    assert_eq!(
        ex("n:A:B"),
        e(ExprKind::HasLabels(Box::new(var("n")), vec![id("A"), id("B")]))
    );
    assert_eq!(ex("(n).x"), prop(var("n"), "x"));
    assert_eq!(
        ex("m['k'].x"),
        prop(
            e(ExprKind::Index(
                Box::new(var("m")),
                Box::new(lit(Literal::String("k".into())))
            )),
            "x"
        )
    );
}

// ---------------------------------------------------------------- calls and special forms

#[test]
fn function_calls() {
    assert_eq!(
        ex("toLower(n.name)"),
        e(ExprKind::Call {
            name: id("toLower"),
            distinct: false,
            args: vec![prop(var("n"), "name")]
        })
    );
    assert_eq!(
        ex("date.truncate('month', d)"),
        e(ExprKind::Call {
            name: id("date.truncate"),
            distinct: false,
            args: vec![lit(Literal::String("month".into())), var("d")]
        })
    );
    assert_eq!(
        ex("count(DISTINCT b)"),
        e(ExprKind::Call {
            name: id("count"),
            distinct: true,
            args: vec![var("b")]
        })
    );
    assert_eq!(ex("count(*)"), e(ExprKind::CountStar));
    assert_eq!(ex("COUNT ( * )"), e(ExprKind::CountStar));
    assert_eq!(
        ex("exists(n.p)"),
        e(ExprKind::Call {
            name: id("exists"),
            distinct: false,
            args: vec![prop(var("n"), "p")]
        })
    );
    assert!(matches!(ex("exists((a)-->(b))").kind, ExprKind::Pattern(_)));
    assert_eq!(
        ex("f()"),
        e(ExprKind::Call {
            name: id("f"),
            distinct: false,
            args: vec![]
        })
    );
}

#[test]
fn case_expressions() {
    assert_eq!(
        ex("CASE x WHEN 1 THEN 'a' WHEN 2 THEN 'b' ELSE 'c' END"),
        e(ExprKind::Case {
            subject: Some(Box::new(var("x"))),
            whens: vec![
                (int(1), lit(Literal::String("a".into()))),
                (int(2), lit(Literal::String("b".into())))
            ],
            otherwise: Some(Box::new(lit(Literal::String("c".into()))))
        })
    );
    assert_eq!(
        ex("CASE WHEN x > 1 THEN 1 END"),
        e(ExprKind::Case {
            subject: None,
            whens: vec![(bin(BinaryOp::Gt, var("x"), int(1)), int(1))],
            otherwise: None
        })
    );
}

#[test]
fn list_comprehensions() {
    assert_eq!(
        ex("[x IN l WHERE x > 1 | x * 2]"),
        e(ExprKind::ListComprehension {
            var: id("x"),
            list: Box::new(var("l")),
            filter: Some(Box::new(bin(BinaryOp::Gt, var("x"), int(1)))),
            map: Some(Box::new(bin(BinaryOp::Mul, var("x"), int(2))))
        })
    );
    assert_eq!(
        ex("[x IN l]"),
        e(ExprKind::ListComprehension {
            var: id("x"),
            list: Box::new(var("l")),
            filter: None,
            map: None
        })
    );
    assert_eq!(
        ex("[x IN l | x.name]"),
        e(ExprKind::ListComprehension {
            var: id("x"),
            list: Box::new(var("l")),
            filter: None,
            map: Some(Box::new(prop(var("x"), "name")))
        })
    );
    // Parenthesized, or with more items, it is a list of booleans.
    assert_eq!(
        ex("[(x IN l)]"),
        e(ExprKind::List(vec![bin(BinaryOp::In, var("x"), var("l"))]))
    );
    assert_eq!(
        ex("[x IN l, 2]"),
        e(ExprKind::List(vec![bin(BinaryOp::In, var("x"), var("l")), int(2)]))
    );
}

#[test]
fn pattern_comprehensions_and_predicates() {
    let ExprKind::PatternComprehension { pattern, filter, map } = ex("[p = (a)-[:R]->(b:B) WHERE b.x | b.name]").kind
    else {
        panic!("not a pattern comprehension")
    };
    assert_eq!(pattern.var, Some(id("p")));
    assert_eq!(pattern.element.chain.len(), 1);
    assert_eq!(filter.map(|f| *f), Some(prop(var("b"), "x")));
    assert_eq!(*map, prop(var("b"), "name"));

    let Clause::Match { where_: Some(w), .. } =
        clauses("MATCH (a) WHERE (a)-[:KNOWS]->() AND NOT (a)<--() RETURN a").remove(0)
    else {
        panic!("no WHERE")
    };
    let ExprKind::Binary(BinaryOp::And, l, r) = w.kind else {
        panic!("not AND")
    };
    assert!(matches!(l.kind, ExprKind::Pattern(ref el) if el.chain[0].0.types == vec![id("KNOWS")]));
    assert!(matches!(r.kind, ExprKind::Unary(UnaryOp::Not, ref p) if matches!(p.kind, ExprKind::Pattern(_))));
    // A parenthesized variable alone is an expression, not a pattern.
    assert_eq!(ex("(a)"), var("a"));
}

#[test]
fn quantifiers_and_reduce() {
    for (word, q) in [
        ("all", Quantifier::All),
        ("ANY", Quantifier::Any),
        ("none", Quantifier::None),
        ("single", Quantifier::Single),
    ] {
        assert_eq!(
            ex(&format!("{word}(x IN l WHERE x > 0)")),
            e(ExprKind::Quantified {
                quantifier: q,
                var: id("x"),
                list: Box::new(var("l")),
                predicate: Box::new(bin(BinaryOp::Gt, var("x"), int(0)))
            })
        );
    }
    assert_eq!(
        ex("reduce(s = 0, x IN l | s + x)"),
        e(ExprKind::Reduce {
            acc: id("s"),
            init: Box::new(int(0)),
            var: id("x"),
            list: Box::new(var("l")),
            step: Box::new(bin(BinaryOp::Add, var("s"), var("x")))
        })
    );
}

// ---------------------------------------------------------------- patterns

#[test]
fn node_patterns() {
    let n = first_part("MATCH (a:Company:Listed {name: 'A'}) RETURN a")
        .element
        .start;
    assert_eq!(n.var, Some(id("a")));
    assert_eq!(n.labels, vec![id("Company"), id("Listed")]);
    assert!(matches!(
        n.props,
        Some(Expr {
            kind: ExprKind::Map(_),
            ..
        })
    ));
    let n = first_part("MATCH (a $props) RETURN a").element.start;
    assert_eq!(n.props, Some(e(ExprKind::Param("props".into()))));
    let n = first_part("MATCH () RETURN 1").element.start;
    assert_eq!((n.var, n.labels.len(), n.props), (None, 0, None));
}

#[test]
fn relationship_directions() {
    for (text, dir) in [
        ("(a)-->(b)", RelDirection::Right),
        ("(a)<--(b)", RelDirection::Left),
        ("(a)--(b)", RelDirection::Either),
        ("(a)-[r]->(b)", RelDirection::Right),
        ("(a)<-[r]-(b)", RelDirection::Left),
        ("(a)-[r]-(b)", RelDirection::Either),
        ("(a)<-[r]->(b)", RelDirection::Either),
        ("(a) - [r] -> (b)", RelDirection::Right),
    ] {
        assert_eq!(first_rel(&format!("MATCH {text} RETURN a")).direction, dir, "{text}");
    }
}

#[test]
fn relationship_types_and_properties() {
    let r = first_rel("MATCH (a)-[r:A|B {w: 1}]->(b) RETURN r");
    assert_eq!(r.var, Some(id("r")));
    assert_eq!(r.types, vec![id("A"), id("B")]);
    assert!(r.props.is_some());
    assert_eq!(
        first_rel("MATCH (a)-[:A|:B]->(b) RETURN a").types,
        vec![id("A"), id("B")]
    );
}

#[test]
fn variable_length() {
    for (text, min, max) in [
        ("*", None, None),
        ("*3", Some(3), Some(3)),
        ("*1..3", Some(1), Some(3)),
        ("*..3", None, Some(3)),
        ("*2..", Some(2), None),
        ("*0..0", Some(0), Some(0)),
    ] {
        let r = first_rel(&format!("MATCH (a)-[:OWNS{text}]->(b) RETURN a"));
        assert_eq!(r.length, Some(Length { min, max }), "{text}");
    }
    assert_eq!(first_rel("MATCH (a)-[:OWNS]->(b) RETURN a").length, None);
    assert_eq!(
        first_rel("MATCH (a)-[r*2 {x: 1}]->(b) RETURN a").length,
        Some(Length {
            min: Some(2),
            max: Some(2)
        })
    );
}

#[test]
fn path_variables_and_shortest_paths() {
    let p = first_part("MATCH p = (a)-->(b) RETURN p");
    assert_eq!((p.var, p.mode), (Some(id("p")), PathMode::All));
    let p = first_part("MATCH p = shortestPath((a)-[*..6]-(b)) RETURN p");
    assert_eq!((p.var, p.mode), (Some(id("p")), PathMode::Shortest));
    let p = first_part("MATCH allShortestPaths((a)-[*]-(b)) RETURN 1");
    assert_eq!(p.mode, PathMode::AllShortest);
    let Clause::Match { pattern, .. } = clauses("MATCH (a), p = (b)-->(c), (d)<--(e) RETURN 1").remove(0) else {
        panic!()
    };
    assert_eq!(pattern.len(), 3);
}

// ---------------------------------------------------------------- clauses

#[test]
fn match_and_optional_match() {
    let cs = clauses("MATCH (a) OPTIONAL MATCH (a)-->(b) WHERE b.x RETURN b");
    assert!(matches!(
        cs[0],
        Clause::Match {
            optional: false,
            where_: None,
            ..
        }
    ));
    assert!(matches!(
        cs[1],
        Clause::Match {
            optional: true,
            where_: Some(_),
            ..
        }
    ));
}

#[test]
fn with_and_return() {
    let cs = clauses(
        "MATCH (n) WITH DISTINCT n.x AS x, count(*) AS c ORDER BY c DESC, x ASC SKIP 1 LIMIT 2 WHERE c > 1 RETURN *, x",
    );
    let Clause::With(w) = &cs[1] else { panic!() };
    assert!(w.distinct && !w.star);
    assert_eq!(w.items.len(), 2);
    assert_eq!(w.items[0].alias, Some(id("x")));
    assert_eq!(w.order_by.len(), 2);
    assert!(w.order_by[0].descending && !w.order_by[1].descending);
    assert_eq!(w.skip, Some(int(1)));
    assert_eq!(w.limit, Some(int(2)));
    assert!(w.where_.is_some());
    let Clause::Return(r) = &cs[2] else { panic!() };
    assert!(r.star && r.items.len() == 1 && !r.distinct);
    let Clause::With(w) = &clauses("WITH * RETURN 1")[0] else {
        panic!()
    };
    assert!(w.star && w.items.is_empty());
}

#[test]
fn order_directions() {
    for (word, desc) in [
        ("ASC", false),
        ("ascending", false),
        ("DESC", true),
        ("Descending", true),
        ("", false),
    ] {
        let Clause::Return(r) = clauses(&format!("RETURN 1 AS x ORDER BY x {word}")).remove(0) else {
            panic!()
        };
        assert_eq!(r.order_by[0].descending, desc, "{word}");
    }
}

#[test]
fn unwind_and_union() {
    let q = query("UNWIND [1, 2] AS x RETURN x UNION ALL RETURN 3 AS x UNION ALL RETURN 4 AS x");
    assert!(matches!(&q.first.clauses[0], Clause::Unwind { alias, .. } if alias.name == "x"));
    assert_eq!(q.unions.len(), 2);
    assert!(q.unions.iter().all(|(all, _)| *all));
    let q = query("RETURN 1 AS x UNION RETURN 2 AS x");
    assert_eq!(q.unions.len(), 1);
    assert!(!q.unions[0].0);
}

#[test]
fn create_and_merge() {
    let cs = clauses("CREATE (a:A {x: 1})-[:R]->(b), (c)");
    assert!(matches!(&cs[0], Clause::Create { pattern, .. } if pattern.len() == 2));
    let cs = clauses(
        "MERGE (c:Company {name: 'L'}) ON CREATE SET c.created = 1 ON MATCH SET c.seen = 2, c:Seen ON CREATE SET c += {a: 1}",
    );
    let Clause::Merge {
        on_create, on_match, ..
    } = &cs[0]
    else {
        panic!()
    };
    assert_eq!(on_create.len(), 2);
    assert_eq!(on_match.len(), 2);
}

#[test]
fn set_items() {
    let Clause::Set { items, .. } =
        clauses("MATCH (n) SET n.x = 1, n = {a: 1}, n += {b: 2}, n:L:M, (n).y = 2, n.a.b = 3").remove(1)
    else {
        panic!()
    };
    assert_eq!(
        items[0],
        SetItem::Property {
            target: var("n"),
            key: id("x"),
            value: int(1)
        }
    );
    assert!(matches!(&items[1], SetItem::Replace { var, .. } if var.name == "n"));
    assert!(matches!(&items[2], SetItem::Merge { var, .. } if var.name == "n"));
    assert_eq!(
        items[3],
        SetItem::Labels {
            var: id("n"),
            labels: vec![id("L"), id("M")]
        }
    );
    assert!(matches!(&items[4], SetItem::Property { target, key, .. } if *target == var("n") && key.name == "y"));
    assert!(
        matches!(&items[5], SetItem::Property { target, key, .. } if *target == prop(var("n"), "a") && key.name == "b")
    );
}

#[test]
fn remove_and_delete() {
    let cs = clauses("MATCH (n) REMOVE n.x, n:L DELETE n DETACH DELETE n, m");
    let Clause::Remove { items, .. } = &cs[1] else { panic!() };
    assert_eq!(
        items[0],
        RemoveItem::Property {
            target: var("n"),
            key: id("x")
        }
    );
    assert_eq!(
        items[1],
        RemoveItem::Labels {
            var: id("n"),
            labels: vec![id("L")]
        }
    );
    assert!(matches!(&cs[2], Clause::Delete { detach: false, exprs, .. } if exprs.len() == 1));
    assert!(matches!(&cs[3], Clause::Delete { detach: true, exprs, .. } if exprs.len() == 2));
}

#[test]
fn cite_clause() {
    let cs = clauses("MATCH (a), (d) CITE a, d SOURCE 'doc.txt' LINE 12 NOTE 'own words' CITE a SOURCE 'x'");
    assert_eq!(
        cs[1],
        Clause::Cite {
            targets: vec![id("a"), id("d")],
            source: lit(Literal::String("doc.txt".into())),
            line: Some(int(12)),
            note: Some(lit(Literal::String("own words".into()))),
            span: Span::default()
        }
    );
    assert!(matches!(
        &cs[2],
        Clause::Cite {
            line: None,
            note: None,
            ..
        }
    ));
}

#[test]
fn as_of_explain_profile() {
    let q = query("AS OF @2025-08 MATCH (n) RETURN n");
    assert_eq!(q.as_of, Some(lit(Literal::Date(PartialDate::month(2025, 8).unwrap()))));
    assert!(
        matches!(stmt("EXPLAIN MATCH (n) RETURN n"), Statement::Explain(inner, _) if matches!(*inner, Statement::Query(_)))
    );
    assert!(matches!(stmt("profile RETURN 1"), Statement::Profile(..)));
}

#[test]
fn projection_text_is_the_source_text() {
    let its = items("MATCH (n) RETURN n.name, count(*), n.x  +  1 AS y, toLower( n.name ) /* c */");
    let texts: Vec<&str> = its.iter().map(|i| i.text.as_str()).collect();
    // `without_spans` reprints text; read the raw parse instead.
    assert_eq!(texts.len(), 4);
    let Statement::Query(q) =
        parse_statement("MATCH (n) RETURN n.name, count(*), n.x  +  1 AS y, toLower( n.name ) /* c */").unwrap()
    else {
        panic!()
    };
    let Some(Clause::Return(r)) = q.first.clauses.last() else {
        panic!()
    };
    let raw: Vec<&str> = r.items.iter().map(|i| i.text.as_str()).collect();
    assert_eq!(raw, vec!["n.name", "count(*)", "n.x  +  1", "toLower( n.name )"]);
}

// ---------------------------------------------------------------- schema

#[test]
fn schema_statements() {
    let Statement::Schema(SchemaStatement::CreateNodeKind { label, props, .. }) =
        stmt("CREATE NODE KIND Company (name STRING NOT NULL, ticker string, aliases LIST<STRING>)")
    else {
        panic!()
    };
    assert_eq!(label, id("Company"));
    assert_eq!(
        props,
        vec![
            PropertyDef {
                name: id("name"),
                ty: id("STRING"),
                required: true
            },
            PropertyDef {
                name: id("ticker"),
                ty: id("STRING"),
                required: false
            },
            PropertyDef {
                name: id("aliases"),
                ty: id("LIST<STRING>"),
                required: false
            },
        ]
    );
    let Statement::Schema(SchemaStatement::CreateEdgeKind {
        rel_type,
        family,
        from,
        to,
        props,
        ..
    }) = stmt("CREATE EDGE KIND OWNS FAMILY ownership FROM Company|Government TO Company|Deposit (share PERCENT)")
    else {
        panic!()
    };
    assert_eq!(rel_type, id("OWNS"));
    assert_eq!(family, Some(id("ownership")));
    assert_eq!(from, vec![id("Company"), id("Government")]);
    assert_eq!(to, vec![id("Company"), id("Deposit")]);
    assert_eq!(props.len(), 1);
    assert!(matches!(
        stmt("CREATE EDGE KIND SUPPLIES FAMILY offtake"),
        Statement::Schema(SchemaStatement::CreateEdgeKind { from, to, props, .. }) if from.is_empty() && to.is_empty() && props.is_empty()
    ));
    assert!(matches!(
        stmt("DROP NODE KIND X"),
        Statement::Schema(SchemaStatement::DropKind { edge: false, .. })
    ));
    assert!(matches!(
        stmt("drop edge kind Y"),
        Statement::Schema(SchemaStatement::DropKind { edge: true, .. })
    ));
    assert_eq!(
        stmt("CREATE INDEX ON :Person(id)"),
        Statement::Schema(SchemaStatement::CreateIndex {
            label: id("Person"),
            key: id("id"),
            span: Span::default()
        })
    );
    assert_eq!(
        stmt("SHOW SCHEMA"),
        Statement::Schema(SchemaStatement::ShowSchema(Span::default()))
    );
    // A path variable named `node` is still a pattern.
    assert!(matches!(stmt("CREATE node = (a)-[:R]->(b)"), Statement::Query(_)));
}

// ---------------------------------------------------------------- questions

fn q(src: &str) -> Question {
    match stmt(src) {
        Statement::Question(q) => q,
        other => panic!("not a question: {other:?}"),
    }
}

fn entity(text: &str) -> Option<EntityRef> {
    Some(EntityRef {
        text: text.into(),
        span: Span::default(),
    })
}

#[test]
fn question_forms() {
    for (src, kind, subject) in [
        ("who funds Round Top", QuestionKind::WhoFunds, "Round Top"),
        ("who owns \"MP Materials\"", QuestionKind::WhoOwns, "MP Materials"),
        (
            "WHO SUPPLIES General Motors",
            QuestionKind::WhoSupplies,
            "General Motors",
        ),
        ("who buys from Lynas", QuestionKind::WhoBuysFrom, "Lynas"),
        ("partners of USA Rare Earth", QuestionKind::PartnersOf, "USA Rare Earth"),
        (
            "what does Department of Defense fund",
            QuestionKind::WhatFunds,
            "Department of Defense",
        ),
        ("what does Apple own", QuestionKind::WhatOwns, "Apple"),
        ("what does 'MP' supply", QuestionKind::WhatSupplies, "MP"),
        ("what does MP operate", QuestionKind::WhatOperates, "MP"),
        ("what does MP develop", QuestionKind::WhatOperates, "MP"),
        ("sources of MP Materials", QuestionKind::Sources, "MP Materials"),
        ("conflicts about Lynas", QuestionKind::Conflicts, "Lynas"),
    ] {
        let got = q(src);
        assert_eq!(
            (got.kind, got.subject, got.object, got.as_of),
            (kind, entity(subject), None, None),
            "{src}"
        );
    }
    let c = q("conflicts");
    assert_eq!((c.kind, c.subject), (QuestionKind::Conflicts, None));
}

#[test]
fn path_questions_split_at_the_last_to() {
    let p = q("path from Apple to Mountain Pass");
    assert_eq!((p.subject, p.object), (entity("Apple"), entity("Mountain Pass")));
    let p = q("path from Port to Port to Mine");
    assert_eq!((p.subject, p.object), (entity("Port to Port"), entity("Mine")));
    let p = q("path from Apple to 'Rock to Mine'");
    assert_eq!((p.subject, p.object), (entity("Apple"), entity("Rock to Mine")));
    let p = q("path from \"A to B\" to C");
    assert_eq!((p.subject, p.object), (entity("A to B"), entity("C")));
}

#[test]
fn questions_take_as_of_and_explain() {
    let got = q("who funds Round Top as of @2025-08");
    assert_eq!(got.subject, entity("Round Top"));
    assert_eq!(got.as_of, PartialDate::month(2025, 8));
    let got = q("path from A to B AS OF @2026");
    assert_eq!(got.object, entity("B"));
    assert_eq!(got.as_of, Some(PartialDate::year(2026)));
    // Inside quotes `as of` is part of the name.
    assert_eq!(q("who funds 'X as of @2025'").subject, entity("X as of @2025"));
    match stmt("EXPLAIN who owns X") {
        Statement::Explain(inner, _) => assert!(matches!(*inner, Statement::Question(_))),
        other => panic!("{other:?}"),
    }
}

#[test]
fn questions_end_at_line_end_or_semicolon() {
    let all = parse_script("who funds Round Top\nwho owns X; MATCH (n)\nRETURN n;\nconflicts").unwrap();
    assert_eq!(all.len(), 4);
    assert!(matches!(&all[0].0, Statement::Question(q) if q.subject.as_ref().unwrap().text == "Round Top"));
    assert!(matches!(&all[1].0, Statement::Question(q) if q.subject.as_ref().unwrap().text == "X"));
    assert!(matches!(&all[2].0, Statement::Query(_)));
    assert!(matches!(&all[3].0, Statement::Question(q) if q.kind == QuestionKind::Conflicts));
}

// ---------------------------------------------------------------- spans and scripts

#[test]
fn spans_are_byte_offsets_into_the_script() {
    let src = "RETURN 'é';\n  MATCH (n:Person) RETURN n.name AS name";
    let all = parse_script(src).unwrap();
    assert_eq!(&src[all[0].1.start..all[0].1.end], "RETURN 'é'");
    assert_eq!(
        &src[all[1].1.start..all[1].1.end],
        "MATCH (n:Person) RETURN n.name AS name"
    );
    let Statement::Query(q) = &all[1].0 else { panic!() };
    let Clause::Match { pattern, span, .. } = &q.first.clauses[0] else {
        panic!()
    };
    assert_eq!(&src[span.start..span.end], "MATCH (n:Person)");
    let label = &pattern[0].element.start.labels[0];
    assert_eq!(&src[label.span.start..label.span.end], "Person");
    let Clause::Return(r) = &q.first.clauses[1] else {
        panic!()
    };
    let item = &r.items[0];
    assert_eq!(&src[item.expr.span.start..item.expr.span.end], "n.name");
    assert_eq!(&src[item.span.start..item.span.end], "n.name AS name");
}

#[test]
fn spans_of_operators_cover_their_operands() {
    let src = "RETURN (1 + 2) * x.y , -5";
    let Statement::Query(q) = parse_statement(src).unwrap() else {
        panic!()
    };
    let Clause::Return(r) = &q.first.clauses[0] else {
        panic!()
    };
    let s = r.items[0].expr.span;
    assert_eq!(&src[s.start..s.end], "(1 + 2) * x.y");
    let s = r.items[1].expr.span;
    assert_eq!(&src[s.start..s.end], "-5");
}

#[test]
fn scripts_split_on_semicolons() {
    let all = parse_script("CREATE (:A); ; MATCH (a:A) RETURN a;\n// done\n").unwrap();
    assert_eq!(all.len(), 2);
    assert!(parse_script("  /* nothing */ ; ").unwrap().is_empty());
    assert!(parse_statement("RETURN 1;").is_ok());
    assert!(parse_statement("RETURN 1; RETURN 2").is_err());
    assert!(parse_statement("").is_err());
}

#[test]
fn printing_is_readable() {
    let s = parse_statement(
        "match (a:Company)-[r:OWNS*1..3]->(b) where r.share >= 15% return a.name, count(distinct b) as n",
    )
    .unwrap();
    assert_eq!(
        to_text(&s),
        "MATCH (a:Company)-[r:OWNS*1..3]->(b) WHERE r.share >= 15% RETURN a.name, count(DISTINCT b) AS n"
    );
}
