//! A batch script with parameters gives the same results through the library facade
//! as through `lode run --param`.

use assert_cmd::Command;
use lodestone::{Database, ExecOptions, Params, literal, output_to_json};
use serde_json::Value as Json;
use tempfile::TempDir;

const SCRIPT: &str = "\
CREATE (:Company {name: $company, founded: $year})-[:DEVELOPS {since: $since}]->(:Deposit {name: $site});
MATCH (c:Company)-[d:DEVELOPS]->(s:Deposit {name: $site})
RETURN c.name AS company, c.founded AS founded, d.since AS since, s.name AS site, $grant AS grant;
";

const PARAMS: [&str; 5] = [
    "company=USA Rare Earth",
    "year=2019",
    "since=@2021-03",
    "site='Round Top'",
    "grant=$277M",
];

#[test]
fn a_script_with_parameters_answers_the_same_from_rust_and_from_the_cli() {
    let home = TempDir::new().unwrap();
    let file = home.path().join("batch.lq");
    std::fs::write(&file, SCRIPT).unwrap();

    let mut cmd = Command::cargo_bin("lode").unwrap();
    cmd.env("LODESTONE_HOME", home.path())
        .env("NO_COLOR", "1")
        .args(["--memory", "--format", "json"]);
    for p in PARAMS {
        cmd.arg("--param").arg(p);
    }
    let out = cmd.arg("run").arg(&file).assert().success();
    let from_cli: Vec<Json> = String::from_utf8_lossy(&out.get_output().stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();

    let db = Database::in_memory();
    let params: Params = PARAMS.iter().map(|p| literal::parse_param(p).unwrap()).collect();
    let outputs = db
        .execute_script_with(
            SCRIPT,
            &ExecOptions {
                params,
                ..ExecOptions::default()
            },
        )
        .unwrap();
    // The CLI shows no rows for a statement without columns (a write without RETURN).
    let from_library: Vec<Json> = outputs
        .iter()
        .map(|o| {
            if o.columns.is_empty() {
                serde_json::json!({"columns": [], "rows": []})
            } else {
                output_to_json(o)
            }
        })
        .collect();

    assert_eq!(from_cli, from_library);
    assert_eq!(from_cli.len(), 2);
    assert_eq!(
        from_cli[1]["rows"][0],
        serde_json::json!(["USA Rare Earth", 2019, "2021-03", "Round Top", {"amount": "277000000", "currency": "USD"}])
    );
}
