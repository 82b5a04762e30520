//! Real data that no one here wrote: the LDBC SNB Interactive sample (../shared/ldbc),
//! imported with the documented mapping in tests/ldbc/, then the short reads IS1-IS7.
//!
//! The expected rows were derived independently from the CSV files (a small script
//! that joins them by hand, see tests/ldbc/README.md), not from this engine's output.

use assert_cmd::Command;
use serde_json::{Value as Json, json};
use std::path::{Path, PathBuf};
use tempfile::TempDir;

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn ldbc_dir() -> PathBuf {
    std::env::var_os("LODESTONE_LDBC_DIR").map_or_else(|| workspace_root().join("../shared/ldbc"), PathBuf::from)
}

fn lode(home: &Path, db: &Path) -> Command {
    let mut cmd = Command::cargo_bin("lode").unwrap();
    cmd.env("LODESTONE_HOME", home)
        .env("NO_COLOR", "1")
        .env_remove("RUST_LOG")
        .arg("--db")
        .arg(db);
    cmd
}

/// The import arguments of tests/ldbc/import.args with `{here}` and `{data}` filled in.
fn import_args(data: &Path) -> Vec<String> {
    let here = workspace_root().join("tests/ldbc");
    let text = std::fs::read_to_string(here.join("import.args")).unwrap();
    text.lines()
        .map(str::trim_end)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(|l| {
            l.replace("{here}", &here.display().to_string())
                .replace("{data}", &data.display().to_string())
        })
        .collect()
}

/// The `:param name: value` lines of a query file's header comment.
fn header_params(text: &str) -> Vec<String> {
    text.lines()
        .filter_map(|l| l.trim().strip_prefix(":param "))
        .filter_map(|p| p.split_once(':').map(|(n, v)| format!("{}={}", n.trim(), v.trim())))
        .collect()
}

fn run_is(home: &Path, db: &Path, n: u32) -> Json {
    let file = ldbc_dir().join(format!("queries/interactive-short-{n}.cypher"));
    let text = std::fs::read_to_string(&file).unwrap();
    let params = header_params(&text);
    assert!(!params.is_empty(), "IS{n} names its parameters");
    let mut cmd = lode(home, db);
    for p in &params {
        cmd.arg("--param").arg(p);
    }
    let out = cmd.args(["--format", "json", "query"]).arg(&text).output().unwrap();
    assert!(
        out.status.success(),
        "IS{n} failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let result: Json = serde_json::from_slice(&out.stdout).unwrap();
    result
}

#[test]
fn ldbc_snb_short_reads() {
    let ldbc = ldbc_dir();
    if !ldbc.join("data").is_dir() || !ldbc.join("queries").is_dir() {
        println!("skipped: no LDBC data at {} (set LODESTONE_LDBC_DIR)", ldbc.display());
        return;
    }
    let home = TempDir::new().unwrap();
    let db = home.path().join("ldbc.db");
    let out = lode(home.path(), &db)
        .args(["--format", "json", "import"])
        .args(import_args(&ldbc.join("data")))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "import failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let summary: Json = serde_json::from_slice(&out.stdout).unwrap();
    // Row counts of the CSV files, less their header lines.
    assert_eq!(summary["nodes"], json!(34_735), "{summary}");
    assert_eq!(summary["relationships"], json!(70_842), "{summary}");
    let labels = workspace_root().join("tests/ldbc/labels.lq");
    let out = lode(home.path(), &db).arg("run").arg(&labels).output().unwrap();
    assert!(
        out.status.success(),
        "labels.lq failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let is1 = run_is(home.path(), &db, 1);
    assert_eq!(
        is1["columns"],
        json!([
            "firstName",
            "lastName",
            "birthday",
            "locationIP",
            "browserUsed",
            "cityId",
            "gender",
            "creationDate"
        ])
    );
    assert_eq!(
        is1["rows"],
        json!([[
            "Roberto",
            "Diaz",
            334540800000_i64,
            "186.64.7.5",
            "Firefox",
            972,
            "female",
            1289593509287_i64
        ]])
    );

    let is2 = run_is(home.path(), &db, 2);
    assert_eq!(
        is2["columns"],
        json!([
            "messageId",
            "messageContent",
            "messageCreationDate",
            "postId",
            "personId",
            "personFirstName",
            "personLastName"
        ])
    );
    assert_eq!(
        is2["rows"],
        json!([[
            343597391201_i64,
            "duh",
            1290564038366_i64,
            343597391200_i64,
            8796093022444_i64,
            "Angel",
            "Alonso"
        ]])
    );

    let is3 = run_is(home.path(), &db, 3);
    assert_eq!(
        is3["columns"],
        json!(["personId", "firstName", "lastName", "friendshipCreationDate"])
    );
    assert_eq!(
        is3["rows"],
        json!([
            [8796093022363_i64, "Bacary", "Diop", 1290662762558_i64],
            [6597069766756_i64, "Nicolas", "Diaz", 1290644978776_i64],
            [8796093022452_i64, "Patricia", "Alvarez", 1290635190854_i64],
            [10995116277937_i64, "Carlos", "Alvarez", 1290560261044_i64],
            [150, "Alfonso", "Alvarez", 1290331787873_i64],
            [8796093022248_i64, "Celso", "Oliveira", 1290329106386_i64],
            [8796093022232_i64, "Jie", "Yang", 1290306155255_i64],
            [2199023255699_i64, "Priyanka", "Singh", 1290164588891_i64],
            [6597069766746_i64, "Cam", "Loan", 1290112822743_i64],
            [6597069766786_i64, "Miguel", "Rodriguez", 1289988282455_i64],
            [6597069766660_i64, "Bryn", "Davies", 1289946290285_i64],
            [8796093022300_i64, "Abdoulaye Khouma", "Dia", 1289745605902_i64],
            [2199023255693_i64, "Yang", "Li", 1289604182354_i64]
        ])
    );

    let is4 = run_is(home.path(), &db, 4);
    assert_eq!(is4["columns"], json!(["messageCreationDate", "messageContent"]));
    assert_eq!(is4["rows"], json!([[1281112159702_i64, "photo206158431836.jpg"]]));

    let is5 = run_is(home.path(), &db, 5);
    assert_eq!(is5["columns"], json!(["personId", "firstName", "lastName"]));
    assert_eq!(is5["rows"], json!([[2199023255753_i64, "Anna", "Kofler"]]));

    let is6 = run_is(home.path(), &db, 6);
    assert_eq!(
        is6["columns"],
        json!([
            "forumId",
            "forumTitle",
            "moderatorId",
            "moderatorFirstName",
            "moderatorLastName"
        ])
    );
    assert_eq!(
        is6["rows"],
        json!([[
            206158430401_i64,
            "Album 3 of Anna Kofler",
            2199023255753_i64,
            "Anna",
            "Kofler"
        ]])
    );

    let is7 = run_is(home.path(), &db, 7);
    assert_eq!(
        is7["columns"],
        json!([
            "commentId",
            "commentContent",
            "commentCreationDate",
            "replyAuthorId",
            "replyAuthorFirstName",
            "replyAuthorLastName",
            "replyAuthorKnowsOriginalMessageAuthor"
        ])
    );
    // Neither reply author knows the original author, so `r` is null in both rows. The
    // query's simple `CASE r WHEN null THEN false ELSE true END` compares with `=`, and
    // null never equals null, so the ELSE branch answers true (see tests/ldbc/README.md).
    assert_eq!(
        is7["rows"],
        json!([
            [
                206158432801_i64,
                "About Hold Me, Thrill Me, Kiss Me, Kill Me,  UK Singles Chart, number sixteen on the B",
                1280943448510_i64,
                94,
                "K.",
                "Sen",
                true
            ],
            [
                206158432796_i64,
                "About Israel,  state in Eretz-Israel, to be known as the StAbout I Put a Spell on You,  c",
                1280915247972_i64,
                2199023255615_i64,
                "Fritz",
                "Engel",
                true
            ]
        ])
    );
}
