//! Syntax errors: where they point and what they say.

use lodestone_query::QueryError;
use lodestone_query::ast::Span;
use lodestone_query::parse::parse_script;

/// The error for `src`, its message and its rendering.
fn err(src: &str) -> (String, Span, String) {
    match parse_script(src) {
        Ok(v) => panic!("parsed: {src}\n{v:?}"),
        Err(e @ QueryError::Syntax { .. }) => {
            let span = e.span().expect("span");
            (e.to_string(), span, e.render(src))
        }
        Err(other) => panic!("not a syntax error: {other:?}"),
    }
}

fn assert_msg(src: &str, parts: &[&str]) {
    let (msg, _, shown) = err(src);
    for p in parts {
        assert!(msg.contains(p), "message for {src:?} lacks {p:?}:\n{shown}");
    }
    // No grammar rule names leak into messages.
    for raw in [
        "node_pattern",
        "EOI",
        "infix_op",
        "projection_item",
        "postfix",
        "_expr",
        "Rule::",
    ] {
        assert!(!msg.contains(raw), "raw rule name {raw:?} in {msg:?}");
    }
}

#[test]
fn renders_line_column_and_caret() {
    let src = "MATCH (n:Person)\nWHERE n.age >\nRETURN n";
    let (msg, _, shown) = err(src);
    assert!(msg.contains("expected an expression"), "{shown}");
    assert!(msg.contains("found `RETURN`"), "{shown}");
    assert!(shown.contains("line 3, column 1"), "{shown}");
    assert!(shown.ends_with("3 | RETURN n\n  | ^^^^^^"), "{shown}");
}

#[test]
fn missing_closing_parenthesis() {
    let src = "MATCH (n RETURN n";
    let (msg, span, shown) = err(src);
    assert!(msg.contains("`)`"), "{shown}");
    assert!(msg.contains("found `RETURN`"), "{shown}");
    assert_eq!(&src[span.start..span.end], "RETURN");
    assert!(shown.contains("line 1, column 10"), "{shown}");
}

#[test]
fn expected_words() {
    assert_msg("MATCH (n:) RETURN n", &["expected a label name", "found `)`"]);
    assert_msg("MATCH (n)-[:]->(m) RETURN n", &["expected a relationship type"]);
    assert_msg(
        "RETURN 1 +",
        &["expected an expression", "found the end of the statement"],
    );
    assert_msg(
        "UNWIND [1] AS RETURN 1",
        &["expected a variable name", "found `RETURN`"],
    );
    assert_msg(
        "foo bar",
        &["expected a clause such as MATCH, RETURN or CREATE", "found `foo`"],
    );
    assert_msg("RETURN [1, 2", &["`]`", "found the end of the statement"]);
    assert_msg("RETURN {a 1}", &["expected `:`"]);
    assert_msg("MATCH (n) RETURN n ORDER n", &["expected `BY`"]);
    assert_msg(
        "MATCH (n) WHERE RETURN n",
        &["expected an expression", "found `RETURN`"],
    );
    assert_msg("RETURN count(*", &["expected `)`"]);
    assert_msg("MATCH (n) DETACH n", &["DELETE"]);
    assert_msg("MERGE (a) ON CREATE a.x = 1", &["SET"]);
    assert_msg(
        "MATCH (n) RETRUN n",
        &["a clause such as MATCH, RETURN or CREATE", "found `RETRUN`"],
    );
    assert_msg("RETURN CASE WHEN 1 THEN 2", &["`END`"]);
}

#[test]
fn literal_errors() {
    assert_msg("RETURN 9223372036854775808", &["integer literal is too large"]);
    assert_msg("RETURN -9223372036854775809", &["integer literal is too large"]);
    assert_msg("RETURN 0x8000000000000000", &["integer literal is too large"]);
    assert_msg("RETURN 0o1000000000000000000000", &["integer literal is too large"]);
    assert_msg("RETURN 0x", &["invalid number literal `0x`"]);
    assert_msg("RETURN 9223372h54775808", &["invalid number literal"]);
    assert_msg("RETURN 1.34E999", &["float literal is too large"]);
    assert_msg("RETURN '\\uH'", &["invalid unicode escape"]);
    assert_msg("RETURN 'a\\qb'", &["unknown escape `\\q`"]);
    assert_msg("RETURN @2025-13", &["invalid date `@2025-13`"]);
    assert_msg(
        "MATCH (a)-[*99999999999999999999]->(b) RETURN a",
        &["integer literal is too large"],
    );
}

#[test]
fn unterminated_strings_and_comments() {
    let src = "MATCH (n) WHERE n.name = 'abc RETURN n";
    let (msg, span, shown) = err(src);
    assert!(msg.contains("unterminated string"), "{shown}");
    assert_eq!(span.start, src.find('\'').unwrap());
    assert_msg("RETURN \"abc", &["unterminated string"]);
    assert_msg("RETURN 1 /* open", &["unterminated comment"]);
    assert_msg("RETURN `name", &["unterminated quoted name"]);
    assert_msg("who owns 'MP", &["unterminated string"]);
}

#[test]
fn clause_order_errors() {
    assert_msg(
        "RETURN 1 MATCH (n) RETURN n",
        &["RETURN must be the last clause", "MATCH follows it"],
    );
    assert_msg("MATCH (n)", &["cannot end with MATCH"]);
    assert_msg("MATCH (n) WITH n", &["cannot end with WITH"]);
    assert_msg(
        "RETURN 1 AS a UNION RETURN 2 AS a UNION ALL RETURN 3 AS a",
        &["cannot be mixed"],
    );
}

#[test]
fn schema_errors() {
    assert_msg("CREATE NODE KIND X (a FOO)", &["unknown property type `FOO`"]);
    assert_msg("CREATE NODE KIND X (a LIST<LIST>)", &["list of lists"]);
    assert_msg("CREATE EDGE KIND X FAMILY bogus", &["unknown family `bogus`"]);
}

#[test]
fn special_form_errors() {
    assert_msg("RETURN any(x IN [1])", &["needs a condition"]);
    assert_msg("RETURN [x + 1 WHERE x > 0]", &["`variable IN list`"]);
    assert_msg("MATCH (n) SET n[0] = 1", &["expected a property"]);
}

#[test]
fn question_errors() {
    assert_msg("who knows X", &["unknown question after `who`", "who funds X"]);
    assert_msg("what does X eat", &["expected `fund`, `own`, `supply` or `operate`"]);
    assert_msg("path from A", &["expected `to`"]);
    assert_msg("who funds", &["expected a name after `who funds`"]);
    assert_msg("who buys Lynas", &["expected `from` after `who buys`"]);
    assert_msg("who funds X as of @2025-13", &["invalid date"]);
    assert_msg("who funds 'X' Y", &["unexpected text after the quoted name"]);
}

#[test]
fn errors_in_later_statements_point_into_the_script() {
    let src = "RETURN 1;\nRETURN 2;\nMATCH (n RETURN n;";
    let (_, span, shown) = err(src);
    assert_eq!(&src[span.start..span.end], "RETURN");
    assert!(shown.contains("line 3, column 10"), "{shown}");
}

#[test]
fn error_at_end_of_text_renders() {
    let src = "MATCH (n)-[r:OWNS";
    let (msg, span, shown) = err(src);
    assert!(msg.contains("found the end of the statement"), "{shown}");
    assert_eq!(span.start, src.len());
    assert!(shown.contains("line 1, column 18"), "{shown}");
}
