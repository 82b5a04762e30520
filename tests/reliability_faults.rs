//! Fault injection: the engine runs on a storage wrapper (`reliability/faulty.rs`)
//! that fails chosen calls (opening a snapshot, starting a transaction, reading a
//! record or adjacency, writing, committing) with an injected I/O error or "disk
//! full". For every statement of a workload and every point where it touches the
//! store, the test fails that one call and checks: the statement reports a clear
//! error naming the I/O failure, the database is exactly as before the statement,
//! and it stays usable (the same statement then succeeds and leaves exactly the
//! state a fault-free run leaves). Also with random faults, with a full disk that
//! stays full, through `Database::write` and mid-script, over the in-memory and the
//! on-disk store (which is then reopened and checked).

mod reliability;

use lodestone::{Database, Error, NodeRecord, Params, Value};
use lodestone_store::{MemStore, SledStore, Storage};
use reliability::faulty::{Fault, Faults, FaultyStore, Policy, Site};
use reliability::workload::dump;
use reliability::{Rng, count_from_env};
use std::sync::Arc;

/// Statements of the workload: schema, creates, updates, merges, deletes, index
/// creation, citations, reads and a question.
const WORKLOAD: &[&str] = &[
    "CREATE NODE KIND Company (name STRING NOT NULL, v INTEGER)",
    "CREATE NODE KIND Item (i INTEGER, name STRING, even BOOLEAN)",
    "CREATE NODE KIND Even (i INTEGER, name STRING)",
    "CREATE (:Company {name: 'A', v: 1})-[:OWNS {share: 15%}]->(:Company {name: 'B', v: 2})",
    "MATCH (a:Company {name: 'A'}) SET a.v = a.v + 10 RETURN a.v",
    "MERGE (c:Company {name: 'C'}) ON CREATE SET c.v = 3 RETURN c.v",
    "MATCH (a {name: 'A'}), (c {name: 'C'}) CREATE (a)-[:SUPPLIES {since: @2024-05}]->(c)",
    "CREATE INDEX ON :Company(v)",
    "MATCH (n:Company) WHERE n.v > 2 RETURN n.name AS name ORDER BY name",
    "MATCH (n:Company {v: 3}) RETURN n.name",
    "who owns B",
    "UNWIND range(1, 12) AS i CREATE (:Item {i: i, name: 'item ' + toString(i)})",
    "MATCH (n:Item) WHERE n.i % 2 = 0 SET n.even = true",
    "MATCH (a {name: 'A'}) CITE a SOURCE 'doc.txt' LINE 3 NOTE 'stated'",
    "MATCH ()-[r:OWNS]->() DELETE r",
    "MATCH (n:Item) WHERE n.even REMOVE n.even SET n:Even",
    "MATCH (c {name: 'C'}) DETACH DELETE c",
    "MATCH (a)-[r]->(b) RETURN a.name, type(r), b.name",
    "MATCH (n) RETURN labels(n) AS l, count(*) AS c ORDER BY c, l",
];

/// The state before each statement and the output of each, from a fault-free run.
struct Reference {
    states: Vec<Vec<String>>,
    outputs: Vec<String>,
}

fn reference() -> Reference {
    let db = Database::in_memory();
    let mut states = vec![dump(&db)];
    let mut outputs = Vec::new();
    for s in WORKLOAD {
        let out = db
            .query(s, &Params::new())
            .unwrap_or_else(|e| panic!("{s}: {}", e.render()));
        outputs.push(format!("{:?} {:?}", out.columns, out.rows));
        states.push(dump(&db));
    }
    Reference { states, outputs }
}

enum Backend {
    Memory,
    /// A sled store in the directory; the directory outlives the store so it can be reopened.
    Disk(std::path::PathBuf),
}

impl Backend {
    fn store(&self) -> Arc<dyn Storage> {
        match self {
            Backend::Memory => Arc::new(MemStore::new()),
            Backend::Disk(dir) => Arc::new(SledStore::open(dir).expect("open sled")),
        }
    }
}

/// The checks after a statement failed under an injected fault.
fn assert_clean_failure(err: &Error, statement: &str, inner: &Database, before: &[String]) {
    let shown = err.render();
    assert!(
        shown.contains("injected") && shown.contains("I/O error"),
        "{statement}: the error does not say what failed: {shown}"
    );
    assert!(
        err.query_error().is_none_or(|q| !q.is_compile_time()),
        "{statement}: reported as a compile error"
    );
    assert_eq!(
        dump(inner),
        before,
        "{statement}: a failed statement changed the database"
    );
}

#[derive(Debug, Default)]
struct Tally {
    runs: u64,
    failures: u64,
    swallowed: u64,
}

/// For every statement and every store call it makes, fails that one call.
fn every_fault_point(backend: Backend, fault: Fault, sticky: bool) -> Tally {
    let reference = reference();
    let inner = backend.store();
    let faults = Arc::new(Faults::default());
    let db = Database::from_storage(Arc::new(FaultyStore::new(inner.clone(), faults.clone())));
    let plain = Database::from_storage(inner.clone());
    let mut tally = Tally::default();
    for (i, s) in WORKLOAD.iter().enumerate() {
        for n in 0.. {
            faults.set(Policy::Nth { n, sticky }, &Site::ALL, fault, 0);
            let result = db.query(s, &Params::new());
            let injected = faults.injected();
            faults.off();
            tally.runs += 1;
            match result {
                Err(e) => {
                    assert!(injected > 0, "{s}: failed without an injected fault: {}", e.render());
                    tally.failures += 1;
                    assert_clean_failure(&e, s, &plain, &reference.states[i]);
                    // Still usable: a read runs.
                    let count = plain
                        .query("MATCH (n) RETURN count(n)", &Params::new())
                        .expect("read after failure");
                    assert_eq!(count.rows.len(), 1);
                }
                Ok(out) => {
                    // Either no fault hit this statement (it has fewer calls than n), or
                    // the engine did not need the failed call's answer; both must give the
                    // fault-free result.
                    tally.swallowed += u64::from(injected > 0);
                    assert_eq!(
                        format!("{:?} {:?}", out.columns, out.rows),
                        reference.outputs[i],
                        "{s}: wrong output (faults injected: {injected})"
                    );
                    assert_eq!(dump(&plain), reference.states[i + 1], "{s}: wrong state after success");
                    if injected == 0 {
                        break;
                    }
                    panic!("{s}: an injected fault at call {n} was swallowed; the statement succeeded");
                }
            }
        }
    }
    let report = plain.check().expect("check");
    assert!(report.problems.is_empty(), "{:?}", report.problems);
    tally
}

#[test]
fn every_single_fault_point_in_memory() {
    for fault in [Fault::Io, Fault::DiskFull] {
        let t = every_fault_point(Backend::Memory, fault, false);
        println!("memory, {fault:?}: {t:?}");
        assert!(t.failures > 100, "too few fault points exercised: {t:?}");
    }
}

#[test]
fn every_single_fault_point_on_disk_then_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().to_path_buf();
    let t = every_fault_point(Backend::Disk(path.clone()), Fault::Io, false);
    println!("disk, Io: {t:?}");
    assert!(t.failures > 100, "too few fault points exercised: {t:?}");
    // The disk holds exactly the fault-free final state.
    let expected = reference().states.pop().unwrap();
    let db = Database::open(&path).expect("reopen");
    assert_eq!(dump(&db), expected);
    assert!(db.check().unwrap().problems.is_empty());
}

#[test]
fn a_full_disk_that_stays_full_fails_every_later_write_cleanly() {
    let dir = tempfile::tempdir().unwrap();
    for backend in [Backend::Memory, Backend::Disk(dir.path().to_path_buf())] {
        let t = every_fault_point(backend, Fault::DiskFull, true);
        println!("sticky disk full: {t:?}");
        assert!(t.failures > 100);
    }
}

/// Random faults at a given rate over many rounds of the workload; each failed
/// statement is retried until it goes through.
#[test]
fn random_faults_over_many_rounds() {
    let rounds = count_from_env("LODESTONE_FAULT_ROUNDS", 40, 25);
    let seed = reliability::seed("random faults");
    let mut rng = Rng::new(seed);
    let reference = reference();
    let mut failures = 0u64;
    for round in 0..rounds {
        let dir = tempfile::tempdir().unwrap();
        let backend = if round % 4 == 0 {
            Backend::Disk(dir.path().to_path_buf())
        } else {
            Backend::Memory
        };
        let inner = backend.store();
        let faults = Arc::new(Faults::default());
        let db = Database::from_storage(Arc::new(FaultyStore::new(inner.clone(), faults.clone())));
        let plain = Database::from_storage(inner.clone());
        let per_mille = 5 + rng.below(60);
        let fault = if rng.chance(50) { Fault::Io } else { Fault::DiskFull };
        for (i, s) in WORKLOAD.iter().enumerate() {
            let mut tries = 0;
            loop {
                tries += 1;
                // After many tries the faults go quiet, so every statement lands eventually.
                let rate = if tries > 30 { 0 } else { per_mille };
                faults.set(Policy::Random { per_mille: rate }, &Site::ALL, fault, rng.next_u64());
                match db.query(s, &Params::new()) {
                    Ok(out) => {
                        assert_eq!(format!("{:?} {:?}", out.columns, out.rows), reference.outputs[i], "{s}");
                        assert_eq!(dump(&plain), reference.states[i + 1], "{s}");
                        break;
                    }
                    Err(e) => {
                        failures += 1;
                        faults.off();
                        assert_clean_failure(&e, s, &plain, &reference.states[i]);
                    }
                }
            }
        }
        assert!(plain.check().unwrap().problems.is_empty());
    }
    println!("random faults: {rounds} rounds, {failures} failed statements, all clean");
    assert!(failures > 0, "no fault was ever injected");
}

#[test]
fn a_failing_write_inside_database_write_rolls_back() {
    for site in [Site::Write, Site::Commit, Site::Read, Site::Begin] {
        let inner: Arc<dyn Storage> = Arc::new(MemStore::new());
        let faults = Arc::new(Faults::default());
        let db = Database::from_storage(Arc::new(FaultyStore::new(inner.clone(), faults.clone())));
        let plain = Database::from_storage(inner);
        plain.execute_script("CREATE (:Keep {name: 'kept'})").unwrap();
        let before = dump(&plain);
        // The third call at `site` fails (the first for Begin and Commit).
        let n = if matches!(site, Site::Write | Site::Read) { 2 } else { 0 };
        faults.set(Policy::Nth { n, sticky: false }, &[site], Fault::DiskFull, 0);
        let result = db.write(|tx| {
            for i in 0..5 {
                let id = tx.create_node(NodeRecord {
                    labels: vec!["New".into()],
                    ..NodeRecord::default()
                })?;
                let mut rec = tx.node(id)?.expect("created node reads back");
                rec.props.insert("i".into(), Value::Int(i));
                tx.update_node(id, rec)?;
            }
            Ok(())
        });
        let err = result.expect_err("the injected fault surfaces");
        assert!(err.to_string().contains("disk full"), "{site:?}: {err}");
        assert_eq!(dump(&plain), before, "{site:?}: partial transaction visible");
        faults.off();
        db.execute_script("CREATE (:After)").expect("usable after the failure");
    }
}

#[test]
fn a_fault_mid_script_keeps_earlier_statements_and_reports_the_count() {
    let inner: Arc<dyn Storage> = Arc::new(MemStore::new());
    let faults = Arc::new(Faults::default());
    let db = Database::from_storage(Arc::new(FaultyStore::new(inner.clone(), faults.clone())));
    let plain = Database::from_storage(inner);
    // Begin calls: statement 1, 2, 3 ... ; the third begin fails.
    faults.set(Policy::Nth { n: 2, sticky: false }, &[Site::Begin], Fault::Io, 0);
    let err = db
        .execute_script("CREATE (:S {n: 1}); CREATE (:S {n: 2}); CREATE (:S {n: 3}); CREATE (:S {n: 4});")
        .expect_err("the third statement fails");
    match &err {
        Error::Query {
            statement, committed, ..
        } => assert_eq!((*statement, *committed), (3, 2)),
        other => panic!("expected a statement error, got {other:?}"),
    }
    assert!(err.render().contains("injected"));
    let rows = plain
        .query("MATCH (s:S) RETURN s.n ORDER BY s.n", &Params::new())
        .unwrap()
        .rows;
    assert_eq!(rows, vec![vec![Value::Int(1)], vec![Value::Int(2)]]);
}

#[test]
fn admin_calls_report_injected_faults() {
    let faults = Arc::new(Faults::default());
    let db = Database::from_storage(Arc::new(FaultyStore::new(Arc::new(MemStore::new()), faults.clone())));
    faults.set(
        Policy::Nth { n: 0, sticky: true },
        &[Site::Admin, Site::Snapshot],
        Fault::Io,
        0,
    );
    for (what, result) in [
        ("check", db.check().map(|_| ())),
        ("info", db.info().map(|_| ())),
        ("flush", db.flush()),
        ("stats", db.stats().map(|_| ())),
        ("read", db.read().map(|_| ())),
    ] {
        let err = result.expect_err(what);
        assert!(err.to_string().contains("injected"), "{what}: {err}");
    }
    faults.off();
    assert!(db.check().unwrap().problems.is_empty());
}
