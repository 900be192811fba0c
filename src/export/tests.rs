//! Tests of export internals.
use super::*;

#[test]
fn run_ids_name_files_apart() {
    assert_eq!(
        final_name("date=2026-11-24/hour=09/00000000.parquet", "r1"),
        "date=2026-11-24/hour=09/r1-00000000.parquet"
    );
}

/// A run of one source record read from `source`.
fn run_of(id: &str, source: &Source) -> RunRecord {
    let print = Fingerprint::of(source, &[]).unwrap();
    RunRecord {
        id: id.to_owned(),
        finished: String::new(),
        faultline: String::new(),
        rows: 1,
        files: vec![format!("date=2026-11-25/hour=10/{id}-00000000.parquet")],
        sources: vec![SourceRecord {
            name: source.display_name(),
            content: print.content,
            bytes: print.bytes,
            lines: print.lines,
            from_line: 0,
        }],
    }
}

/// After a lost race, a run is re-planned against the manifest that won:
/// it goes on when the other run read other content; it stops when the
/// other run read the same content, even if the file has changed since
/// (copied, then truncated and rewritten), or a prefix of the file now.
#[test]
fn a_run_that_lost_the_race_is_planned_again() {
    let dir = tempfile::tempdir().unwrap();
    let (ours, other) = (dir.path().join("ours.log"), dir.path().join("other.log"));
    std::fs::write(&ours, "a\nb\n").unwrap();
    std::fs::write(&other, "x\ny\n").unwrap();
    let (ours, other) = (Source::File(ours), Source::File(other));
    let run = run_of("ours", &ours);
    let sources = [ours.clone()];
    let reread = Reread {
        sources: &sources,
        from_lines: &[0],
    };
    let won = |r: RunRecord| Manifest {
        runs: vec![r],
        ..Manifest::default()
    };

    let other_logs = won(run_of("theirs", &other));
    assert_eq!(planned_otherwise(&other_logs, &run, &reread).unwrap(), None);

    let same_log = won(run_of("theirs", &ours));
    let name = ours.display_name();
    assert_eq!(
        planned_otherwise(&same_log, &run, &reread).unwrap(),
        Some(name.clone())
    );
    // The file was rewritten since: what this run read is what counts.
    std::fs::write(ours.path().unwrap(), "new\n").unwrap();
    assert_eq!(
        planned_otherwise(&same_log, &run, &reread).unwrap(),
        Some(name.clone())
    );

    // The other run read the first line only; this run read two. Read
    // again, the file starts with what the other run holds.
    std::fs::write(ours.path().unwrap(), "a\n").unwrap();
    let first_line = won(run_of("theirs", &ours));
    std::fs::write(ours.path().unwrap(), "a\nb\n").unwrap();
    assert_eq!(
        planned_otherwise(&first_line, &run, &reread).unwrap(),
        Some(name)
    );
}
