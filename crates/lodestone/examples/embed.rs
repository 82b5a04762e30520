//! Embedding Lodestone: open a database, load facts with citations, ask questions.
//!
//! Run with `cargo run -p lodestone --example embed [PATH]`; without a path the
//! database lives in memory.

use lodestone::{Database, Params, Value};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let db = match std::env::args().nth(1) {
        Some(path) => Database::open(path)?,
        None => Database::in_memory(),
    };

    let script = "
        CREATE EDGE KIND FUNDS FAMILY investment (role STRING, instrument STRING, amount MONEY);
        CREATE EDGE KIND DEVELOPS FAMILY operation;
        MERGE (c:Agency {name: 'Department of Commerce', aliases: ['DOC']})
          CITE c SOURCE 'example.txt' LINE 1 NOTE 'federal department named as the funder';
        MERGE (u:Company {name: 'USA Rare Earth', aliases: ['USAR']})
          CITE u SOURCE 'example.txt' LINE 2 NOTE 'the company receiving the money';
        MATCH (u:Company {name: 'USA Rare Earth'})
        CREATE (u)-[r:DEVELOPS]->(d:Deposit {name: 'Round Top'})
          CITE r, d SOURCE 'example.txt' LINE 3 NOTE 'the deposit the company develops';
        MATCH (c:Agency {name: 'Department of Commerce'}), (u:Company {name: 'USA Rare Earth'})
        CREATE (c)-[a:FUNDS {role: 'grantor', instrument: 'grant', amount: $277M}]->
               (g:Deal {kind: 'grant', status: 'proposed', date: @2026-01})-[b:FUNDS {role: 'grantee'}]->(u)
          CITE a, g, b SOURCE 'example.txt' LINE 4 NOTE 'a proposed federal grant';
    ";
    db.execute_script(script).map_err(|e| e.render())?;

    let answer = db.query("who funds USAR", &Params::new()).map_err(|e| e.render())?;
    println!("{}", answer.columns.join(" | "));
    for row in &answer.rows {
        let cells: Vec<String> = row.iter().map(Value::to_plain_string).collect();
        println!("{}", cells.join(" | "));
    }

    let params = Params::from([("min".to_string(), Value::Money("$100M".parse()?))]);
    let big = db.query(
        "MATCH (f)-[r:FUNDS]->(:Deal)-[:FUNDS]->(c) WHERE r.amount >= $min RETURN f.name, r.amount, sources(r)",
        &params,
    )?;
    for row in big.rows {
        println!("{row:?}");
    }
    Ok(())
}
