use lodestone_query::parse::parse_script;
use std::time::Instant;
#[test]
fn speed() {
    let q = std::env::var("Q").unwrap_or("RETURN 1;".into()).repeat(20000);
    let t = Instant::now();
    let r = parse_script(&q);
    println!("{:?} in {:?}", r.map(|v| v.len()).map_err(|e| e.to_string()), t.elapsed());
}
