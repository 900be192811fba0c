//! Tests of export internals.
use super::*;

#[test]
fn run_ids_name_files_apart() {
    assert_eq!(
        final_name("date=2026-11-24/hour=09/00000000.parquet", "r1"),
        "date=2026-11-24/hour=09/r1-00000000.parquet"
    );
}
