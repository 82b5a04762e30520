use lodestone_query::parse::{parse_script, to_text, without_spans};

#[test]
fn debug() {
    let src = std::env::var("Q").unwrap_or_default();
    match parse_script(&src) {
        Ok(v) => for (s, sp) in v {
            let t = to_text(&s);
            println!("{sp:?} {:?}\n  => {t}", &src[sp.start..sp.end]);
            if std::env::var("AST").is_ok() { println!("{:#?}", without_spans(&s)); }
            match parse_script(&t) {
                Ok(v2) => { let same = v2.len() == 1 && without_spans(&v2[0].0) == without_spans(&s); println!("  round trip: {same}"); }
                Err(e) => println!("  REPARSE ERROR {}", e.render(&t)),
            }
        },
        Err(e) => println!("{}", e.render(&src)),
    }
}
