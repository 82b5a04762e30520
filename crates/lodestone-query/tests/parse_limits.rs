//! Hostile input: deep nesting and long operator chains give errors, never a stack overflow.
//! These run on the test harness's ordinary (small) thread stack on purpose.

use lodestone_query::ast::Statement;
use lodestone_query::parse::{MAX_EXPR_DEPTH, parse_script, parse_statement, to_text, without_spans};

fn syntax_message(src: &str) -> String {
    match parse_script(src) {
        Ok(_) => panic!("accepted: {}", &src[..src.len().min(80)]),
        Err(e) => {
            assert!(e.is_compile_time(), "{e}");
            e.to_string()
        }
    }
}

#[test]
fn ten_thousand_nested_brackets_are_rejected() {
    for (open, close) in [("(", ")"), ("[", "]"), ("{a:", "}")] {
        let src = format!("RETURN {}1{}", open.repeat(10_000), close.repeat(10_000));
        let msg = syntax_message(&src);
        assert!(msg.contains("nested too deeply"), "{msg}");
    }
    let src = format!("MATCH (n {}) RETURN n", "{a: [".repeat(5_000));
    assert!(syntax_message(&src).contains("nested too deeply"));
    let src = format!(
        "RETURN {}1{}",
        "CASE WHEN true THEN ".repeat(10_000),
        " END".repeat(10_000)
    );
    assert!(syntax_message(&src).contains("nested too deeply"));
    // Unbalanced openers alone.
    assert!(syntax_message(&"(".repeat(100_000)).contains("nested too deeply"));
}

#[test]
fn ten_thousand_term_chains_are_rejected_without_overflow() {
    for (prefix, unit) in [
        ("RETURN 1", "+1"),
        ("RETURN 1", " * 1"),
        ("RETURN true", " AND true"),
        ("RETURN true", " OR false"),
        ("RETURN 1", " < 2"),
        ("RETURN 1", " IN [1]"),
        ("RETURN a", ".b"),
        ("RETURN a", "[0]"),
        ("RETURN a", " IS NULL"),
    ] {
        // The sum is the case from the issue; the others only need to pass the depth limit.
        let n = if unit == "+1" { 10_000 } else { 1_000 };
        let src = format!("{prefix}{}", unit.repeat(n));
        let msg = syntax_message(&src);
        assert!(msg.contains("nested too deeply"), "{prefix}{unit}: {msg}");
    }
    for prefix in ["NOT ", "- "] {
        let src = format!("RETURN {}1", prefix.repeat(10_000));
        assert!(syntax_message(&src).contains("nested too deeply"));
    }
}

#[test]
fn moderate_nesting_is_fine() {
    // The openCypher TCK nests lists 40 deep.
    let src = format!("RETURN {}{} AS literal", "[".repeat(40), "]".repeat(40));
    let s = parse_statement(&src).unwrap();
    assert_eq!(
        without_spans(&parse_statement(&to_text(&s)).unwrap()),
        without_spans(&s)
    );
    let src = format!("RETURN {}1{}", "(1 + ".repeat(40), ")".repeat(40));
    assert!(parse_statement(&src).is_ok());
}

#[test]
fn chains_just_under_the_limit_parse_and_print() {
    let terms = (MAX_EXPR_DEPTH - 2) as usize;
    let src = format!("RETURN 1{}", "+1".repeat(terms));
    let s = parse_statement(&src).unwrap();
    let text = to_text(&s);
    assert_eq!(without_spans(&parse_statement(&text).unwrap()), without_spans(&s));
    drop(s);
}

#[test]
fn too_many_prefixes_are_rejected() {
    let src = format!("{}RETURN 1", "EXPLAIN ".repeat(10_000));
    assert!(syntax_message(&src).contains("too many EXPLAIN"));
}

#[test]
fn backtracking_traps_end_with_an_error() {
    // Each level is first tried as a pattern, then re-read as a list; the work is bounded.
    let src = format!("RETURN {}1{}", "[(a {k: ".repeat(40), "})-->(b)]".repeat(40));
    assert!(parse_script(&src).is_err());
    let src = format!("RETURN {}1{}", "any(x IN ".repeat(40), ", 1)".repeat(40));
    assert!(parse_script(&src).is_err());
}

#[test]
fn many_statements_and_wide_statements_parse() {
    let script = "CREATE (:N {v: 1});\n".repeat(500);
    assert_eq!(parse_script(&script).unwrap().len(), 500);
    let wide = format!(
        "CREATE {}",
        (0..500)
            .map(|i| format!("(:N {{id: {i}}})"))
            .collect::<Vec<_>>()
            .join(", ")
    );
    assert!(matches!(parse_statement(&wide).unwrap(), Statement::Query(_)));
}
