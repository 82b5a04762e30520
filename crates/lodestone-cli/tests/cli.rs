//! The `lode` binary end to end: subcommands, formats, exit codes and error paths.

use assert_cmd::Command;
use predicates::prelude::*;
use serde_json::{Value as Json, json};
use std::path::Path;
use tempfile::TempDir;

/// A `lode` command whose home (default database, history) is `home`, without colours.
fn lode(home: &Path) -> Command {
    let mut cmd = Command::cargo_bin("lode").unwrap();
    cmd.env("LODESTONE_HOME", home)
        .env("NO_COLOR", "1")
        .env_remove("RUST_LOG")
        .current_dir(home);
    cmd
}

fn json_lines(bytes: &[u8]) -> Vec<Json> {
    String::from_utf8_lossy(bytes)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn write(dir: &Path, name: &str, text: &str) -> std::path::PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

#[test]
fn help_and_version_exit_zero() {
    let home = TempDir::new().unwrap();
    lode(home.path())
        .arg("--help")
        .assert()
        .success()
        .stdout(predicate::str::contains("import").and(predicate::str::contains("LODESTONE_HOME")));
    lode(home.path())
        .arg("--version")
        .assert()
        .success()
        .stdout(predicate::str::starts_with("lode "));
    lode(home.path())
        .args(["import", "--help"])
        .assert()
        .success()
        .stdout(predicate::str::contains(":START_ID"));
}

#[test]
fn usage_errors_exit_two() {
    let home = TempDir::new().unwrap();
    let h = home.path();
    for args in [
        vec!["frobnicate"],
        vec!["--memory", "query"],
        vec!["--no-such-flag", "info"],
        vec!["--memory", "--db", "x", "info"],
        vec!["--memory", "run", "missing.lq"],
        vec!["--memory", "--param", "1bad=2", "query", "RETURN 1"],
        vec!["--memory", "--param", "novalue", "query", "RETURN 1"],
        vec!["--memory", "--timeout", "-1", "query", "RETURN 1"],
        vec!["--memory", "viz", "RETURN 1", "-o", "picture.xyz"],
        vec!["--memory", "import"],
        vec!["--memory", "import", "--nodes", "missing.csv"],
        vec!["--memory", "import", "--delimiter", "ab", "--nodes", "x.csv"],
        vec!["--memory", "export", "--to", "csv"],
        vec!["--db", "nowhere", "--read-only", "info"],
    ] {
        let out = lode(h).args(&args).assert().code(2);
        let err = String::from_utf8_lossy(&out.get_output().stderr).to_string();
        assert!(!err.trim().is_empty(), "{args:?}: no message");
    }
    // A usage error never creates the default database.
    assert!(!h.join("default.db").exists());
}

#[test]
fn query_json_is_exactly_columns_and_rows() {
    let home = TempDir::new().unwrap();
    let out = lode(home.path())
        .args(["--memory", "--format", "json", "query"])
        .arg("UNWIND [1, 2] AS x RETURN x, x * 1.5 AS f, 'a' AS s, $277M AS m, @2025-09 AS d, 15% AS p, null AS n, [x, true] AS l, {k: x} AS mp ORDER BY x")
        .assert()
        .success();
    let lines = json_lines(&out.get_output().stdout);
    assert_eq!(lines.len(), 1);
    assert_eq!(
        lines[0],
        json!({
            "columns": ["x", "f", "s", "m", "d", "p", "n", "l", "mp"],
            "rows": [
                [1, 1.5, "a", {"amount": "277000000", "currency": "USD"}, "2025-09", {"percent": "15"}, null, [1, true], {"k": 1}],
                [2, 3.0, "a", {"amount": "277000000", "currency": "USD"}, "2025-09", {"percent": "15"}, null, [2, true], {"k": 2}],
            ]
        })
    );
}

#[test]
fn nodes_relationships_and_paths_have_their_json_shape() {
    let home = TempDir::new().unwrap();
    let script = write(
        home.path(),
        "shape.lq",
        "CREATE (:Company {name: 'A'})-[:OWNS {share: 15%}]->(:Deposit {name: 'B'});\n\
         MATCH p = (a:Company)-[r:OWNS]->(b) RETURN a, r, p;\n",
    );
    let out = lode(home.path())
        .args(["--memory", "--format", "json", "run"])
        .arg(&script)
        .assert()
        .success();
    let lines = json_lines(&out.get_output().stdout);
    assert_eq!(lines.len(), 2, "one object per statement");
    assert_eq!(lines[0], json!({"columns": [], "rows": []}));
    let row = &lines[1]["rows"][0];
    let a = &row[0];
    assert_eq!(a["labels"], json!(["Company"]));
    assert_eq!(a["properties"], json!({"name": "A"}));
    assert!(a["id"].is_u64());
    let r = &row[1];
    assert_eq!(r["type"], json!("OWNS"));
    assert_eq!(r["start"], a["id"]);
    assert_eq!(r["properties"], json!({"share": {"percent": "15"}}));
    let p = &row[2];
    assert_eq!(p["nodes"].as_array().unwrap().len(), 2);
    assert_eq!(p["relationships"][0]["id"], r["id"]);
    let keys: Vec<&String> = a.as_object().unwrap().keys().collect();
    assert_eq!(keys, ["id", "labels", "properties"]);
}

#[test]
fn csv_markdown_and_table_formats() {
    let home = TempDir::new().unwrap();
    let q = "UNWIND ['plain', 'with, comma', 'pipe|here'] AS s RETURN s, null AS n";
    lode(home.path())
        .args(["--memory", "--format", "csv", "query", q])
        .assert()
        .success()
        .stdout("s,n\nplain,\n\"with, comma\",\npipe|here,\n");
    lode(home.path())
        .args(["--memory", "--format", "markdown", "query", q])
        .assert()
        .success()
        .stdout("| s | n |\n| --- | --- |\n| plain | null |\n| with, comma | null |\n| pipe\\|here | null |\n");
    let out = lode(home.path())
        .args(["--memory", "--format", "table", "query", q])
        .assert()
        .success();
    let text = String::from_utf8_lossy(&out.get_output().stdout).to_string();
    assert!(text.contains("│ with, comma ┆"), "{text}");
    assert!(text.contains("3 rows"), "{text}");
    assert!(!text.contains('\x1b'), "no colours when not on a terminal: {text:?}");
}

#[test]
fn default_format_off_a_terminal_is_json() {
    let home = TempDir::new().unwrap();
    let out = lode(home.path())
        .args(["--memory", "query", "RETURN 1 AS one"])
        .assert()
        .success();
    assert_eq!(
        json_lines(&out.get_output().stdout),
        [json!({"columns": ["one"], "rows": [[1]]})]
    );
}

#[test]
fn query_errors_exit_one_with_line_column_and_caret() {
    let home = TempDir::new().unwrap();
    let out = lode(home.path())
        .args(["--memory", "query", "MATCH (n)\nRETURN m"])
        .assert()
        .code(1);
    let err = String::from_utf8_lossy(&out.get_output().stderr).to_string();
    assert!(err.starts_with("error: "), "{err}");
    assert!(err.contains("line 2, column 8"), "{err}");
    assert!(err.contains("2 | RETURN m") && err.contains('^'), "{err}");
    assert!(out.get_output().stdout.is_empty());
    let out = lode(home.path())
        .args(["--memory", "query", "MATCH (n RETURN n"])
        .assert()
        .code(1);
    let err = String::from_utf8_lossy(&out.get_output().stderr).to_string();
    assert!(err.contains("line 1, column") && err.contains('^'), "{err}");
    // A run-time error too.
    lode(home.path())
        .args(["--memory", "query", "RETURN 1 / 0"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("error"));
}

#[test]
fn parameters_reach_the_query() {
    let home = TempDir::new().unwrap();
    let out = lode(home.path())
        .args([
            "--memory",
            "--format",
            "json",
            "-p",
            "n=41",
            "--param",
            "name=Round Top",
            "--param",
            "amt=$1.5M",
        ])
        .args(["query", "RETURN $n + 1 AS n, $name AS name, $amt AS amt"])
        .assert()
        .success();
    assert_eq!(
        json_lines(&out.get_output().stdout),
        [
            json!({"columns": ["n", "name", "amt"], "rows": [[42, "Round Top", {"amount": "1500000", "currency": "USD"}]]})
        ]
    );
    lode(home.path())
        .args(["--memory", "query", "RETURN $missing"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("missing"));
}

#[test]
fn run_prints_one_json_object_per_statement() {
    let home = TempDir::new().unwrap();
    let a = write(home.path(), "a.lq", "CREATE (:T {v: 1});\nCREATE (:T {v: 2});\n");
    let b = write(
        home.path(),
        "b.lq",
        "// counts\nMATCH (t:T) RETURN count(t) AS n;\nMATCH (t:T) RETURN sum(t.v) AS s;",
    );
    let out = lode(home.path())
        .args(["--memory", "--format", "json", "run"])
        .arg(&a)
        .arg(&b)
        .assert()
        .success();
    let lines = json_lines(&out.get_output().stdout);
    assert_eq!(lines.len(), 4);
    assert_eq!(lines[2], json!({"columns": ["n"], "rows": [[2]]}));
    assert_eq!(lines[3], json!({"columns": ["s"], "rows": [[3]]}));
}

#[test]
fn a_failing_script_stops_and_keeps_what_committed() {
    let home = TempDir::new().unwrap();
    let db = home.path().join("db");
    let script = write(
        home.path(),
        "s.lq",
        "CREATE (:T {v: 1});\nCREATE (:T {v: 2});\nMATCH (t:T)\nRETURN t.v / 0;\nCREATE (:T {v: 3});\n",
    );
    let out = lode(home.path())
        .arg("--db")
        .arg(&db)
        .arg("run")
        .arg(&script)
        .assert()
        .code(1);
    let err = String::from_utf8_lossy(&out.get_output().stderr).to_string();
    assert!(err.contains("s.lq: statement 3:"), "{err}");
    // The error points into the failing statement (at the operator when the engine knows it).
    assert!(
        err.contains("line 3, column 1") || err.contains("line 4, column"),
        "{err}"
    );
    assert!(err.contains("2 statements before it were committed"), "{err}");
    assert!(err.contains("the rest of"), "{err}");
    let count = |home: &Path| {
        let out = lode(home)
            .arg("--db")
            .arg(&db)
            .args(["--format", "csv", "query", "MATCH (t:T) RETURN count(t) AS n"])
            .assert()
            .success();
        String::from_utf8_lossy(&out.get_output().stdout).to_string()
    };
    assert_eq!(count(home.path()), "n\n2\n");

    let out = lode(home.path())
        .arg("--db")
        .arg(&db)
        .arg("run")
        .arg("--continue")
        .arg(&script)
        .assert()
        .code(1);
    let err = String::from_utf8_lossy(&out.get_output().stderr).to_string();
    assert!(err.contains("--continue"), "{err}");
    assert_eq!(count(home.path()), "n\n5\n");
}

#[test]
fn a_script_that_does_not_parse_runs_nothing() {
    let home = TempDir::new().unwrap();
    let db = home.path().join("db");
    let script = write(
        home.path(),
        "bad.lq",
        "CREATE (:T);\nMATCH (n RETURN n;\nCREATE (:T);\n",
    );
    let out = lode(home.path())
        .arg("--db")
        .arg(&db)
        .arg("run")
        .arg(&script)
        .assert()
        .code(1);
    let err = String::from_utf8_lossy(&out.get_output().stderr).to_string();
    assert!(err.contains("bad.lq: statement 2:"), "{err}");
    assert!(err.contains("line 2, column"), "{err}");
    assert!(err.contains("no statement of"), "{err}");
    lode(home.path())
        .arg("--db")
        .arg(&db)
        .args(["--format", "csv", "query", "MATCH (t:T) RETURN count(t) AS n"])
        .assert()
        .stdout("n\n0\n");
}

#[test]
fn piped_input_runs_as_a_script() {
    let home = TempDir::new().unwrap();
    let out = lode(home.path())
        .args(["--memory"])
        .write_stdin("CREATE (:T {v: 1});\nMATCH (t:T) RETURN t.v AS v;\n")
        .assert()
        .success();
    let lines = json_lines(&out.get_output().stdout);
    assert_eq!(lines.last().unwrap(), &json!({"columns": ["v"], "rows": [[1]]}));
    let out = lode(home.path())
        .args(["--memory", "run", "-"])
        .write_stdin("RETURN 7 AS seven;")
        .assert()
        .success();
    assert_eq!(
        json_lines(&out.get_output().stdout),
        [json!({"columns": ["seven"], "rows": [[7]]})]
    );
    lode(home.path())
        .args(["--memory", "run", "-"])
        .write_stdin("RETURN 1;\nRETURN x;")
        .assert()
        .code(1)
        .stderr(predicate::str::contains("<stdin>: statement 2"));
}

#[test]
fn read_only_refuses_writes() {
    let home = TempDir::new().unwrap();
    let db = home.path().join("db");
    lode(home.path())
        .arg("--db")
        .arg(&db)
        .args(["query", "CREATE (:T {v: 1})"])
        .assert()
        .success();
    lode(home.path())
        .arg("--db")
        .arg(&db)
        .args(["--read-only", "query", "CREATE (:T {v: 2})"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("read-only"));
    lode(home.path())
        .arg("--db")
        .arg(&db)
        .args([
            "--read-only",
            "--format",
            "csv",
            "query",
            "MATCH (t:T) RETURN count(t) AS n",
        ])
        .assert()
        .success()
        .stdout("n\n1\n");
}

#[test]
fn info_and_check_report_the_store() {
    let home = TempDir::new().unwrap();
    let db = home.path().join("db");
    lode(home.path())
        .arg("--db")
        .arg(&db)
        .args([
            "query",
            "CREATE (:Company {name: 'A'})-[:OWNS]->(:Deposit {name: 'B'})<-[:OWNS]-(:Company {name: 'C'})",
        ])
        .assert()
        .success();
    let out = lode(home.path())
        .arg("--db")
        .arg(&db)
        .args(["--format", "json", "info"])
        .assert()
        .success();
    let info = &json_lines(&out.get_output().stdout)[0];
    assert_eq!(info["nodes"], json!(3));
    assert_eq!(info["relationships"], json!(2));
    assert_eq!(info["labels"], json!({"Company": 2, "Deposit": 1}));
    assert_eq!(info["types"], json!({"OWNS": 2}));
    assert!(info["format_version"].is_u64());
    assert!(info["size_on_disk"].as_u64().unwrap() > 0);
    lode(home.path())
        .arg("--db")
        .arg(&db)
        .args(["--format", "table", "info"])
        .assert()
        .success()
        .stdout(
            predicate::str::contains("format version:")
                .and(predicate::str::contains("size on disk:"))
                .and(predicate::str::contains("Company  2")),
        );
    lode(home.path())
        .arg("--db")
        .arg(&db)
        .args(["--format", "table", "check"])
        .assert()
        .success()
        .stdout(predicate::str::contains("ok: checked 3 nodes and 2 relationships"));
    let out = lode(home.path())
        .arg("--db")
        .arg(&db)
        .args(["--format", "json", "check"])
        .assert()
        .success();
    assert_eq!(
        json_lines(&out.get_output().stdout)[0],
        json!({"nodes": 3, "relationships": 2, "problems": []})
    );
}

#[test]
fn a_locked_database_is_an_error() {
    let home = TempDir::new().unwrap();
    let db = home.path().join("db");
    lode(home.path())
        .arg("--db")
        .arg(&db)
        .args(["query", "CREATE (:T)"])
        .assert()
        .success();
    // A shell holds the database open while a second process tries it.
    let mut shell = std::process::Command::new(env!("CARGO_BIN_EXE_lode"))
        .arg("--db")
        .arg(&db)
        .arg("run")
        .arg("-")
        .env("LODESTONE_HOME", home.path())
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(700));
    lode(home.path())
        .arg("--db")
        .arg(&db)
        .arg("info")
        .assert()
        .code(1)
        .stderr(predicate::str::contains("locked"));
    drop(shell.stdin.take());
    shell.wait().unwrap();
}

#[test]
fn verbose_logs_go_to_stderr() {
    let home = TempDir::new().unwrap();
    let out = lode(home.path())
        .args(["-v", "--memory", "query", "RETURN 1 AS x"])
        .assert()
        .success();
    let err = String::from_utf8_lossy(&out.get_output().stderr).to_string();
    assert!(err.contains("opened the database"), "{err}");
    assert_eq!(
        json_lines(&out.get_output().stdout),
        [json!({"columns": ["x"], "rows": [[1]]})]
    );
    let out = lode(home.path())
        .args(["--memory", "query", "RETURN 1 AS x"])
        .env("RUST_LOG", "info")
        .assert()
        .success();
    assert!(String::from_utf8_lossy(&out.get_output().stderr).contains("opened the database"));
    let out = lode(home.path())
        .args(["--memory", "query", "RETURN 1 AS x"])
        .assert()
        .success();
    assert!(out.get_output().stderr.is_empty());
}

#[test]
fn the_default_database_is_built_once_from_the_bundled_data() {
    let home = TempDir::new().unwrap();
    let elsewhere = TempDir::new().unwrap();
    let out = lode(home.path())
        .current_dir(elsewhere.path())
        .args(["--format", "json", "info"])
        .assert()
        .success();
    let info = &json_lines(&out.get_output().stdout)[0];
    let db = home.path().join("default.db");
    assert!(db.is_dir(), "built at $LODESTONE_HOME/default.db");
    assert!(info["path"].as_str().unwrap().ends_with("default.db"));
    let marker = std::fs::read_to_string(home.path().join("default.db.dataset")).unwrap();
    assert_eq!(marker.len(), 16, "a hash of the bundled data: {marker}");
    let bundled = std::fs::read_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data"))
        .map(|d| {
            d.filter_map(Result::ok)
                .any(|e| e.path().extension().is_some_and(|x| x == "lq"))
        })
        .unwrap_or(false);
    if bundled {
        assert!(info["nodes"].as_u64().unwrap() > 0, "{info}");
    }
    // A second run reuses it; a changed dataset marker rebuilds it.
    let nodes = info["nodes"].clone();
    lode(home.path())
        .args(["--format", "csv", "query", "CREATE (:Company {name: 'Extra Co'})"])
        .assert()
        .success();
    let out = lode(home.path()).args(["--format", "json", "info"]).assert().success();
    let after = &json_lines(&out.get_output().stdout)[0];
    assert_eq!(after["nodes"].as_u64().unwrap(), nodes.as_u64().unwrap() + 1);
    std::fs::write(home.path().join("default.db.dataset"), "0000000000000000").unwrap();
    let out = lode(home.path()).args(["--format", "json", "info"]).assert().success();
    assert_eq!(json_lines(&out.get_output().stdout)[0]["nodes"], nodes);
    assert_eq!(
        std::fs::read_to_string(home.path().join("default.db.dataset")).unwrap(),
        marker
    );
}

#[test]
fn without_lodestone_home_the_default_database_lives_under_xdg_data_home() {
    let xdg = TempDir::new().unwrap();
    let mut cmd = Command::cargo_bin("lode").unwrap();
    cmd.env_remove("LODESTONE_HOME")
        .env("XDG_DATA_HOME", xdg.path())
        .env("NO_COLOR", "1")
        .current_dir(xdg.path())
        .args(["--format", "json", "info"])
        .assert()
        .success();
    assert!(xdg.path().join("lodestone/default.db").is_dir());
}

#[test]
fn spark_exports_tables_with_citations_and_compiles_questions() {
    let home = TempDir::new().unwrap();
    let db = home.path().join("g.db");
    let script = write(
        home.path(),
        "g.lq",
        "CREATE (g:Government {name: 'Oklahoma'})-[:FUNDS {role: 'grantor'}]->(d:Deal {name: 'Grant', kind: 'grant'})-[:FUNDS {role: 'grantee'}]->(c:Company {name: 'USAR'});\n\
         MATCH (c:Company {name: 'USAR'}) CITE c SOURCE 'a.txt' LINE 3;\n",
    );
    lode(home.path())
        .arg("--db")
        .arg(&db)
        .arg("run")
        .arg(&script)
        .assert()
        .success();
    let tables = home.path().join("tables");
    let out = lode(home.path())
        .arg("--db")
        .arg(&db)
        .args(["spark", "--tables"])
        .arg(&tables)
        .args(["--sql", "who funds USAR"])
        .assert()
        .success();
    let sql = String::from_utf8_lossy(&out.get_output().stdout).to_string();
    assert!(sql.starts_with("WITH "), "{sql}");
    assert!(sql.contains("exists(") && sql.contains("to_json("), "{sql}");
    // The export wrote both tables and the schema; citations are a column.
    let nodes = std::fs::read_to_string(tables.join("nodes.jsonl")).unwrap();
    assert_eq!(nodes.lines().count(), 3);
    let usar = nodes.lines().find(|l| l.contains("USAR")).unwrap();
    let usar: Json = serde_json::from_str(usar).unwrap();
    assert_eq!(usar["cites"], json!([{"source": "a.txt", "line": 3, "note": null}]));
    assert_eq!(
        std::fs::read_to_string(tables.join("edges.jsonl"))
            .unwrap()
            .lines()
            .count(),
        2
    );
    let schema: Json = serde_json::from_str(&std::fs::read_to_string(tables.join("schema.json")).unwrap()).unwrap();
    assert_eq!(schema["version"], json!(2));
    // What cannot run on Spark fails with the construct named and a caret.
    lode(home.path())
        .arg("--db")
        .arg(&db)
        .args(["spark", "--tables"])
        .arg(&tables)
        .args(["--sql", "conflicts"])
        .assert()
        .failure()
        .stderr(predicate::str::contains("the question `conflicts`").and(predicate::str::contains("^")));
}
