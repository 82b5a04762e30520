//! The in-memory backend against the shared behaviour suite.

mod common;

use lodestone_store::MemStore;

#[test]
fn mem_basic_reads() {
    common::basic_reads(&MemStore::new());
}

#[test]
fn mem_updates_and_failures() {
    common::updates_and_failures(&MemStore::new());
}

#[test]
fn mem_snapshots_and_values() {
    let s = MemStore::new();
    common::snapshots(&s);
    common::values_round_trip(&s);
}

#[test]
fn mem_readers_never_see_half_commits() {
    common::readers_never_see_half_commits(&MemStore::new());
}

#[test]
fn mem_new_index_over_committed_and_changed_nodes() {
    common::new_index_over_committed_and_changed_nodes(&MemStore::new());
}

#[test]
fn mem_overlay_indexes_follow_changes() {
    common::overlay_indexes_follow_changes(&MemStore::new());
}
