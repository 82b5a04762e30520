//! `lode import`, `lode export` and `lode viz` end to end.

use assert_cmd::Command;
use predicates::prelude::*;
use serde_json::{Value as Json, json};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use tempfile::TempDir;

fn lode(home: &Path) -> Command {
    let mut cmd = Command::cargo_bin("lode").unwrap();
    cmd.env("LODESTONE_HOME", home)
        .env("NO_COLOR", "1")
        .env_remove("RUST_LOG")
        .current_dir(home);
    cmd
}

fn write(dir: &Path, name: &str, text: impl AsRef<[u8]>) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

fn query_json(home: &Path, db: &Path, q: &str) -> Json {
    let out = lode(home)
        .arg("--db")
        .arg(db)
        .args(["--format", "json", "query", q])
        .assert()
        .success();
    serde_json::from_slice(&out.get_output().stdout).unwrap()
}

/// The graph as comparable text, independent of ids: each node as its labels,
/// properties and citations; each relationship with its endpoints' descriptions.
fn canonical(home: &Path, db: &Path) -> Vec<String> {
    let out = lode(home)
        .arg("--db")
        .arg(db)
        .args(["export", "--to", "jsonl"])
        .assert()
        .success();
    let lines: Vec<Json> = String::from_utf8_lossy(&out.get_output().stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let mut nodes = BTreeMap::new();
    let mut result = Vec::new();
    for l in &lines {
        if l.get("labels").is_some() {
            let mut labels: Vec<String> = l["labels"]
                .as_array()
                .unwrap()
                .iter()
                .map(|s| s.as_str().unwrap().to_string())
                .collect();
            labels.sort();
            let text = format!(
                "{labels:?} {} {} {}",
                l["properties"],
                l.get("types").unwrap_or(&Json::Null),
                l.get("citations").unwrap_or(&Json::Null)
            );
            nodes.insert(l["id"].to_string(), text.clone());
            result.push(format!("node {text}"));
        }
    }
    for l in &lines {
        if l.get("start").is_some() {
            result.push(format!(
                "edge {} -{}-> {} {} {} {}",
                nodes[&l["start"].to_string()],
                l["type"],
                nodes[&l["end"].to_string()],
                l["properties"],
                l.get("types").unwrap_or(&Json::Null),
                l.get("citations").unwrap_or(&Json::Null)
            ));
        }
    }
    result.sort();
    result
}

const NODES: &str = "\
id:ID(Org),:LABEL,name,amount:money,share:percent,since:date,tags:string[],year:int,score:float,listed:boolean
1,Company,MP Materials,USD 1500000,15,2025-09,magnets;mining,2017,1.5,true
2,Company;Listed,\"Apple, Inc.\",$1.5M,15%,2026,,1976,,false
";
const SITES: &str = "\
site:ID(Site)|name|bounds:value
m|Mountain Pass|[1, 'two', @2025]
";
const FUNDS: &str = "\
:START_ID(Org),:END_ID(Org),:TYPE,amount:money
2,1,FUNDS,$500M
";

#[test]
fn imports_the_neo4j_admin_convention_with_domain_types() {
    let home = TempDir::new().unwrap();
    let h = home.path();
    let db = h.join("db");
    write(h, "orgs.csv", NODES);
    write(h, "sites.psv", SITES);
    write(h, "funds.csv", FUNDS);
    // One import reads one delimiter, so the `|`-separated sites come in a run of their own.
    lode(h)
        .arg("--db")
        .arg(&db)
        .args([
            "--format",
            "table",
            "import",
            "--delimiter",
            "|",
            "--nodes",
            "Deposit=sites.psv",
        ])
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "Imported 1 node and 0 relationships from 1 file",
        ));
    lode(h)
        .arg("--db")
        .arg(&db)
        .args([
            "--format",
            "json",
            "import",
            "--nodes",
            "orgs.csv",
            "--edges",
            "funds.csv",
        ])
        .assert()
        .success()
        .stdout(predicate::str::contains("\"nodes\":2").and(predicate::str::contains("\"relationships\":1")));
    let r = query_json(
        h,
        &db,
        "MATCH (c:Company) RETURN c.name AS name, labels(c) AS labels, c.id AS id, c.amount AS amount, c.share AS share, \
         c.since AS since, c.tags AS tags, c.year AS year, c.score AS score, c.listed AS listed ORDER BY name",
    );
    assert_eq!(
        r["rows"],
        json!([
            ["Apple, Inc.", ["Company", "Listed"], "2", {"amount": "1500000", "currency": "USD"}, {"percent": "15"}, "2026", null, 1976, null, false],
            ["MP Materials", ["Company"], "1", {"amount": "1500000", "currency": "USD"}, {"percent": "15"}, "2025-09", ["magnets", "mining"], 2017, 1.5, true]
        ])
    );
    let r = query_json(h, &db, "MATCH (a)-[f:FUNDS]->(b) RETURN a.name, f.amount, b.name");
    assert_eq!(
        r["rows"],
        json!([["Apple, Inc.", {"amount": "500000000", "currency": "USD"}, "MP Materials"]])
    );
    let r = query_json(h, &db, "MATCH (d:Deposit) RETURN d.site, d.bounds");
    assert_eq!(r["rows"], json!([["m", [1, "two", "2025"]]]));
}

#[test]
fn one_import_with_id_spaces_and_header_files() {
    let home = TempDir::new().unwrap();
    let h = home.path();
    let db = h.join("db");
    // A header file, then data files that carry their own (different) header line.
    write(h, "person_header.csv", "pid:ID(Person)|name|born:int\n");
    write(h, "people.csv", "id|firstName|birthday\n1|Ada|1815\n2|Alan|1912\n");
    write(h, "more_people.csv", "id|firstName|birthday\n3|Grace|1906\n");
    write(h, "knows_header.csv", ":START_ID(Person)|:END_ID(Person)|since:int\n");
    write(h, "knows.csv", "Person.id|Person.id|since\n1|2|1950\n2|3|1960\n");
    lode(h)
        .arg("--db")
        .arg(&db)
        .args([
            "import",
            "--delimiter",
            "|",
            "--id-type",
            "integer",
            "--skip-data-headers",
        ])
        .args(["--nodes", "Person=person_header.csv,people.csv,more_people.csv"])
        .args(["--edges", "KNOWS=knows_header.csv,knows.csv"])
        .assert()
        .success();
    let r = query_json(
        h,
        &db,
        "MATCH (a:Person)-[k:KNOWS]->(b) RETURN a.pid, a.name, k.since, b.name ORDER BY a.pid",
    );
    assert_eq!(r["rows"], json!([[1, "Ada", 1950, "Alan"], [2, "Alan", 1960, "Grace"]]));
}

#[test]
fn bad_rows_are_reported_with_file_and_line_and_nothing_is_imported() {
    let home = TempDir::new().unwrap();
    let h = home.path();
    let db = h.join("db");
    write(h, "good.csv", "id:ID,name\n1,A\n");
    write(
        h,
        "bad.csv",
        "id:ID,name,year:int\n2,B,2020\n3,C,twenty\n4,D\n5,E,1,extra\n2,F,3\n",
    );
    write(h, "utf.csv", b"id:ID,name\n6,\xff\xfe\n".as_slice());
    write(h, "edges.csv", ":START_ID,:END_ID,:TYPE\n1,99,KNOWS\n1,2,\n");
    let out = lode(h)
        .arg("--db")
        .arg(&db)
        .args([
            "import",
            "--nodes",
            "good.csv",
            "--nodes",
            "bad.csv",
            "--nodes",
            "utf.csv",
            "--edges",
            "edges.csv",
        ])
        .assert()
        .code(1);
    let err = String::from_utf8_lossy(&out.get_output().stderr).to_string();
    for expected in [
        "nothing was imported",
        "bad.csv:3: column `year`: `twenty` is not an integer",
        "bad.csv:4: expected 3 columns, found 2",
        "bad.csv:5: expected 3 columns, found 4",
        "bad.csv:6: duplicate id `2`",
        "utf.csv:2: column `name`: invalid UTF-8",
        "edges.csv:2: missing endpoint: no node with id `99` (:END_ID)",
        "edges.csv:3: no relationship type",
    ] {
        assert!(err.contains(expected), "missing `{expected}` in:\n{err}");
    }
    assert_eq!(
        query_json(h, &db, "MATCH (n) RETURN count(n) AS n")["rows"],
        json!([[0]])
    );

    // With --skip-bad the good rows go in and the bad ones are listed.
    let out = lode(h)
        .arg("--db")
        .arg(&db)
        .args(["--format", "json", "import", "--skip-bad"])
        .args([
            "--nodes",
            "good.csv",
            "--nodes",
            "bad.csv",
            "--nodes",
            "utf.csv",
            "--edges",
            "edges.csv",
        ])
        .assert()
        .success();
    let summary: Json = serde_json::from_slice(&out.get_output().stdout).unwrap();
    assert_eq!(
        (summary["nodes"].clone(), summary["skipped"].clone()),
        (json!(2), json!(7))
    );
    assert!(String::from_utf8_lossy(&out.get_output().stderr).contains("Skipped 7 bad rows"));

    // A broken header is an error before any row.
    write(h, "badheader.csv", "id:ID,x:point\n1,2\n");
    lode(h)
        .arg("--db")
        .arg(&db)
        .args(["import", "--nodes", "badheader.csv"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("badheader.csv:1: unknown type `point`"));
}

#[test]
fn a_new_database_imports_in_batches_and_a_failed_batched_import_leaves_nothing() {
    let home = TempDir::new().unwrap();
    let h = home.path();
    let mut nodes = String::from("id:ID,:LABEL,name,n:int\n");
    let mut edges = String::from(":START_ID,:END_ID,:TYPE,w:int\n");
    for i in 0..40 {
        nodes.push_str(&format!("{i},{},node {i},{i}\n", if i % 3 == 0 { "A" } else { "B;C" }));
        if i > 0 {
            // Each node links to its predecessor and to the first node: most edges
            // reach back into batches committed before theirs.
            edges.push_str(&format!("{i},{},NEXT,{i}\n", i - 1));
            edges.push_str(&format!("{i},0,ROOT,{i}\n"));
        }
    }
    write(h, "nodes.csv", &nodes);
    write(h, "edges.csv", &edges);
    write(h, "schema.json", r#"{"indexes": [["A", "n"], ["C", "n"]]}"#);
    let import = |db: &Path, extra: &[&str]| {
        lode(h)
            .arg("--db")
            .arg(db)
            .args(["import", "--nodes", "nodes.csv", "--edges", "edges.csv"])
            .args(["--schema", "schema.json"])
            .args(extra)
            .assert()
    };
    let (batched, whole) = (h.join("batched"), h.join("whole"));
    import(&batched, &["--batch-rows", "7"]).success();
    import(&whole, &[]).success();
    assert_eq!(canonical(h, &batched), canonical(h, &whole));
    assert!(!batched.join("BULK").exists());
    let r = query_json(
        h,
        &batched,
        "MATCH (b)-[r:ROOT]->(:A {name: 'node 0'}) RETURN count(b) AS n, sum(r.w) AS w",
    );
    assert_eq!(r["rows"], json!([[39, 780]]));
    // The indexes, filled after the batches, answer seeks.
    let seek = "MATCH (x:C {n: 35}) RETURN x.name AS name";
    let plan = query_json(h, &batched, &format!("EXPLAIN {seek}"));
    assert!(plan.to_string().contains("NodeIndexSeek"), "{plan}");
    assert_eq!(query_json(h, &batched, seek)["rows"], json!([["node 35"]]));
    lode(h).arg("--db").arg(&batched).arg("check").assert().success();

    // A bad row after several batches have committed: nothing stays.
    write(h, "late-bad.csv", ":START_ID,:END_ID,:TYPE\n1,2,LATE\n3,99,LATE\n");
    let failed = h.join("failed");
    // Nodes, then a bad relationship row: the import fails after its node batches.
    let failing = |db: &Path, batch_rows: &str| {
        let out = lode(h)
            .arg("--db")
            .arg(db)
            .args(["import", "--batch-rows", batch_rows])
            .args(["--nodes", "nodes.csv", "--edges", "late-bad.csv"])
            .assert()
            .code(1);
        String::from_utf8_lossy(&out.get_output().stderr).to_string()
    };
    let err = failing(&failed, "5");
    assert!(
        err.contains("nothing was imported") && err.contains("late-bad.csv:3"),
        "{err}"
    );
    assert_eq!(
        query_json(h, &failed, "MATCH (n) RETURN count(n) AS n")["rows"],
        json!([[0]])
    );
    assert!(!failed.join("BULK").exists());
    // The emptied database takes the import again.
    import(&failed, &["--batch-rows", "5"]).success();
    assert_eq!(canonical(h, &failed), canonical(h, &whole));

    // Into a database that holds data the import is one transaction, and a failure
    // leaves that data as it was.
    assert!(failing(&whole, "1").contains("nothing was imported"));
    assert_eq!(canonical(h, &whole), canonical(h, &batched));
}

fn seed_rich_graph(home: &Path, db: &Path) {
    let script = write(
        home,
        "rich.lq",
        "CREATE (:Company {name: 'MP Materials', aliases: ['MP'], founded: 2017, score: 0.1, listed: true, \
                 cap: $9.5B, since: @2025-09, share: 15.5%, empty: '', mixed: [1, 'a', @2026], nested: {k: [1.5, 2]}})\n\
           -[:OWNS {share: 100%, valid_from: @2017}]->(:Deposit {name: 'Mountain Pass', note: 'line1\\nline2, \"quoted\"'});\n\
         MATCH (c:Company {name: 'MP Materials'}) CREATE (c)<-[f:FUNDS {amount: $400M, role: 'investor'}]-(g:Agency:Government {name: 'Department of Defense'})\n\
           CITE f, g SOURCE 'seed.txt' LINE 12 NOTE 'a stake, it\\'s said' CITE f SOURCE 'other.txt';\n\
         CREATE (:Lonely);\n\
         CREATE (a:Loop {name: 'self'})-[:SAME]->(a);\n",
    );
    lode(home).arg("--db").arg(db).arg("run").arg(script).assert().success();
}

#[test]
fn csv_export_then_import_gives_the_same_graph() {
    let home = TempDir::new().unwrap();
    let h = home.path();
    let (db, copy) = (h.join("db"), h.join("copy"));
    seed_rich_graph(h, &db);
    let out_dir = h.join("export");
    lode(h)
        .arg("--db")
        .arg(&db)
        .args(["export", "--to", "csv", "-o"])
        .arg(&out_dir)
        .assert()
        .success()
        .stderr(predicate::str::contains("Exported 5 nodes and 3 relationships"));
    let files: Vec<String> = std::fs::read_dir(&out_dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(
        files
            .iter()
            .any(|f| f.starts_with("nodes-") && f.ends_with("Company.csv")),
        "{files:?}"
    );
    assert!(
        files
            .iter()
            .any(|f| f.starts_with("edges-") && f.ends_with("FUNDS.csv")),
        "{files:?}"
    );
    lode(h)
        .arg("--db")
        .arg(&copy)
        .arg("import")
        .arg(&out_dir)
        .assert()
        .success();
    let (a, b) = (canonical(h, &db), canonical(h, &copy));
    assert_eq!(a.len(), 8);
    assert_eq!(a, b);
    // The same files also import with explicit --nodes / --edges.
    let copy2 = h.join("copy2");
    let mut cmd = lode(h);
    cmd.arg("--db").arg(&copy2).arg("import");
    for f in &files {
        let flag = if f.starts_with("nodes-") {
            "--nodes"
        } else if f.starts_with("edges-") {
            "--edges"
        } else {
            continue;
        };
        cmd.arg(flag).arg(out_dir.join(f));
    }
    cmd.assert().success();
    assert_eq!(canonical(h, &copy2), a);
}

#[test]
fn jsonl_export_then_import_gives_the_same_graph() {
    let home = TempDir::new().unwrap();
    let h = home.path();
    let (db, copy) = (h.join("db"), h.join("copy"));
    seed_rich_graph(h, &db);
    let file = h.join("graph.jsonl");
    lode(h)
        .arg("--db")
        .arg(&db)
        .arg("export")
        .arg("-o")
        .arg(&file)
        .assert()
        .success();
    let text = std::fs::read_to_string(&file).unwrap();
    assert_eq!(text.lines().count(), 8);
    let first: Json = serde_json::from_str(text.lines().next().unwrap()).unwrap();
    assert!(first.get("labels").is_some() && first.get("properties").is_some());
    lode(h)
        .arg("--db")
        .arg(&copy)
        .arg("import")
        .arg(&file)
        .assert()
        .success();
    assert_eq!(canonical(h, &db), canonical(h, &copy));
    // Citations survive.
    let r = query_json(h, &copy, "MATCH ()-[f:FUNDS]->() RETURN size(sources(f)) AS n");
    assert_eq!(r["rows"], json!([[2]]));
    // Broken lines are bad rows with their line numbers.
    write(
        h,
        "broken.jsonl",
        "{\"id\": 1, \"labels\": [\"A\"]}\nnot json\n{\"type\": \"R\", \"start\": 1, \"end\": 7}\n",
    );
    let out = lode(h)
        .arg("--db")
        .arg(h.join("x"))
        .args(["import", "broken.jsonl"])
        .assert()
        .code(1);
    let err = String::from_utf8_lossy(&out.get_output().stderr).to_string();
    assert!(err.contains("broken.jsonl:2: not JSON"), "{err}");
    assert!(err.contains("broken.jsonl:3: missing endpoint"), "{err}");
}

#[test]
fn graphml_export_is_well_formed() {
    let home = TempDir::new().unwrap();
    let h = home.path();
    let db = h.join("db");
    seed_rich_graph(h, &db);
    let out = lode(h)
        .arg("--db")
        .arg(&db)
        .args(["export", "--to", "graphml"])
        .assert()
        .success();
    let xml = String::from_utf8_lossy(&out.get_output().stdout).to_string();
    assert!(
        xml.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<graphml"),
        "{xml}"
    );
    assert_eq!(xml.matches("<node ").count(), 5);
    assert_eq!(xml.matches("<edge ").count(), 3);
    assert!(xml.contains("attr.name=\"founded\" attr.type=\"long\""), "{xml}");
    assert!(xml.contains("line1\nline2, &quot;quoted&quot;"), "{xml}");
    assert!(xml.trim_end().ends_with("</graphml>"));
    assert_eq!(xml.matches("<data").count(), xml.matches("</data>").count());
    let file = h.join("g.graphml");
    lode(h)
        .arg("--db")
        .arg(&db)
        .arg("export")
        .arg("-o")
        .arg(&file)
        .assert()
        .success();
    assert_eq!(std::fs::read_to_string(file).unwrap(), xml);
}

#[test]
fn viz_writes_dot_and_falls_back_without_graphviz() {
    let home = TempDir::new().unwrap();
    let h = home.path();
    let db = h.join("db");
    seed_rich_graph(h, &db);
    let q = "MATCH p = (g:Agency)-[:FUNDS]->(c)-[:OWNS]->(d) RETURN p";
    lode(h)
        .arg("--db")
        .arg(&db)
        .args(["viz", q, "-o", "answer.dot"])
        .assert()
        .success();
    let dot = std::fs::read_to_string(h.join("answer.dot")).unwrap();
    assert!(dot.starts_with("digraph answer {"), "{dot}");
    assert_eq!(dot.matches("fillcolor").count(), 3, "{dot}");
    assert!(dot.contains("FUNDS\\nUSD 400M") && dot.contains("OWNS\\n100%"), "{dot}");
    // Without Graphviz the picture is written as DOT, with a hint.
    lode(h)
        .arg("--db")
        .arg(&db)
        .env("LODESTONE_DOT", h.join("no-such-dot"))
        .args(["viz", q, "-o", "pic.svg"])
        .assert()
        .success()
        .stderr(predicate::str::contains("install Graphviz").or(predicate::str::contains("Install Graphviz")));
    assert!(h.join("pic.dot").is_file() && !h.join("pic.svg").exists());
    // With Graphviz installed, an SVG.
    if std::process::Command::new("dot").arg("-V").output().is_ok() {
        lode(h)
            .arg("--db")
            .arg(&db)
            .args(["viz", q, "-o", "pic2.svg"])
            .assert()
            .success();
        assert!(std::fs::read_to_string(h.join("pic2.svg")).unwrap().contains("<svg"));
    } else {
        println!("Graphviz not installed: SVG rendering not exercised");
    }
    // Names in a text answer stand for their nodes.
    lode(h)
        .arg("--db")
        .arg(&db)
        .args([
            "viz",
            "MATCH (n) WHERE n.name IN ['MP Materials', 'Mountain Pass'] RETURN n.name",
            "-o",
            "names.dot",
        ])
        .assert()
        .success();
    assert!(std::fs::read_to_string(h.join("names.dot")).unwrap().contains("OWNS"));
    lode(h)
        .arg("--db")
        .arg(&db)
        .args(["viz", "RETURN 1 AS one", "-o", "none.dot"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("no nodes or relationships"));
}
