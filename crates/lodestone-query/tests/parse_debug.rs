use lodestone_query::parse::{parse_script, to_text, without_spans};

#[test]
fn debug() {
    let Ok(path) = std::env::var("QFILE") else { return };
    let all: Vec<String> = std::fs::read_to_string(path)
        .unwrap()
        .split("\n@@@@\n")
        .map(String::from)
        .collect();
    let mut bad = 0;
    for q in &all {
        match parse_script(q) {
            Ok(v) => {
                for (s, _) in v {
                    let t = to_text(&s);
                    match parse_script(&t) {
                        Ok(v2) if v2.len() == 1 && without_spans(&v2[0].0) == without_spans(&s) => {}
                        _ => println!("ROUNDTRIP FAIL {q}\n => {t}"),
                    }
                }
                if std::env::var("SHOWOK").is_ok() {
                    println!("OK: {q}");
                }
            }
            Err(e) => {
                bad += 1;
                println!("ERR: {}\n{}\n", q, e.render(q));
            }
        }
    }
    println!("{bad} of {} failed", all.len());
}
