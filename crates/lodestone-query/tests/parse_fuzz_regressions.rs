//! Inputs the fuzzer (fuzz/, target `parse`) found; each once broke the parser.
//! The property for all of them: no panic, and an accepted statement prints back
//! to text that parses to the same tree.

use lodestone_query::parse::{parse_script, to_text, without_spans};

fn check(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(statements) = parse_script(text) else {
        return;
    };
    for (statement, span) in statements {
        assert!(span.end <= text.len());
        let printed = to_text(&statement);
        let reparsed = parse_script(&printed).unwrap_or_else(|e| panic!("{}", e.render(&printed)));
        assert_eq!(reparsed.len(), 1, "{printed}");
        assert_eq!(without_spans(&reparsed[0].0), without_spans(&statement), "{printed}");
    }
}

/// A non-breaking space (two bytes) before the verb of `what does X ...` was sliced inside.
#[test]
fn wide_whitespace_before_question_verb() {
    check(b"what does \0\0Nt do`\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\xc2\xa0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0");
    let all = parse_script("what does Apple\u{a0}fund").unwrap();
    assert_eq!(all.len(), 1);
}
