//! The parser never panics, and whatever it accepts prints back to text that parses
//! to the same tree.

#![no_main]

use libfuzzer_sys::fuzz_target;
use lodestone_query::parse::{parse_script, to_text, without_spans};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(statements) = parse_script(text) else {
        return;
    };
    for (statement, span) in statements {
        assert!(
            span.start <= span.end && span.end <= text.len(),
            "span {span:?} outside the text"
        );
        let printed = to_text(&statement);
        let reparsed = match parse_script(&printed) {
            Ok(r) => r,
            Err(e) => panic!("printed text does not parse:\n{}", e.render(&printed)),
        };
        assert_eq!(reparsed.len(), 1, "printed text is not one statement: {printed}");
        assert_eq!(
            without_spans(&reparsed[0].0),
            without_spans(&statement),
            "round trip changed the tree: {printed}"
        );
    }
});
