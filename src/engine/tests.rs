//! The engine against the reference: blocks parsed on many threads give
//! exactly what one thread reading line by line gives.

use super::*;
use crate::input::lines::{Line, LineReader};
use proptest::prelude::*;
use std::io::Write;

const CONFIG: AggConfig = AggConfig {
    bucket_us: 60_000_000,
    since: None,
    until: None,
    max_keys: crate::aggregate::DEFAULT_MAX_KEYS,
};

/// One line of a messy combined log, picked by `kind`.
fn line(kind: u8, n: u32) -> String {
    let ts = format!("25/Nov/2026:10:{:02}:{:02} +0000", (n * 7) % 60, n % 60);
    match kind % 9 {
        0 | 1 => {
            format!(r#"10.0.0.{n} - - [{ts}] "GET /v1/items/{n} HTTP/1.1" 200 12 "-" "ua""#)
        }
        2 => format!(
            r#"10.0.0.1 - - [{ts}] "POST /v1/charges HTTP/1.1" 500 9 "-" "ua" 0.1 "{{\"type\":\"api_error\",\"code\":\"c{}\",\"message\":\"m{n}\"}}""#,
            n % 3
        ),
        3 => format!(
            r#"2001:db8::1 - - [{ts}] "GET /x HTTP/1.1" 404 - "-" "ua"{}"#,
            "\r"
        ),
        4 => format!("garbage {n}"),
        5 => String::new(),
        6 => format!(
            r#"10.0.0.1 - - [{ts}] "GET /{} HTTP/1.1" 200 1 "-" "ua""#,
            "y".repeat(300)
        ),
        7 => format!(r#"10.0.0.1 - - [{ts}] "GET /cut HTTP/1.1" 5"#),
        _ => "   ".to_string(),
    }
}

/// A line as the reference reader hands it out, owned.
enum RefLine {
    Text(Vec<u8>),
    TooLong,
    Cut(Vec<u8>),
}

/// What one thread reading the file line by line with the reference
/// reader gives: the aggregate, the format and the non-blank lines.
fn reference(path: &std::path::Path, max_line: usize) -> (serde_json::Value, (Format, u64)) {
    let source = Source::File(path.to_path_buf());
    let opened = open(&source, Arc::new(AtomicU64::new(0))).unwrap();
    let mut reader = LineReader::with_max_len(opened.reader, max_line);
    let mut all: Vec<(u64, RefLine)> = Vec::new();
    while let Some(item) = reader.next_line() {
        all.push(match item.unwrap() {
            (n, Line::Text(t)) => (n, RefLine::Text(t.to_vec())),
            (n, Line::TooLong) => (n, RefLine::TooLong),
            (n, Line::Cut(t)) => (n, RefLine::Cut(t.to_vec())),
        });
    }
    let sample: Vec<&[u8]> = all
        .iter()
        .filter_map(|(_, l)| match l {
            RefLine::Text(t) if !t.trim_ascii().is_empty() => Some(t.as_slice()),
            _ => None,
        })
        .take(DETECT_SAMPLE)
        .collect();
    let format = crate::parse::detect_format(&ParseOptions::default(), &sample);
    let mut parser = LineParser::new(format, &ParseOptions::default());
    let mut agg = Aggregate::new(CONFIG);
    let mut lines = 0;
    for (n, line) in &all {
        match line {
            RefLine::Text(t) if t.trim_ascii().is_empty() => continue,
            RefLine::Text(t) if t.starts_with(b"#") && parser.directive(t) => continue,
            RefLine::Text(t) => match parser.parse(t) {
                Ok(ev) => agg.observe(&ev, 0, *n),
                Err(reason) => agg.observe_malformed(0, *n, reason, t),
            },
            RefLine::TooLong => agg.observe_malformed(0, *n, Malformed::TooLong, b""),
            RefLine::Cut(t) => agg.observe_malformed(0, *n, Malformed::CutByInputError, t),
        }
        lines += 1;
    }
    (serde_json::to_value(&agg).unwrap(), (format, lines))
}

fn parallel(
    path: &std::path::Path,
    threads: usize,
    blocks: Blocks,
) -> (serde_json::Value, (Format, u64)) {
    let sources = [Source::File(path.to_path_buf())];
    let (agg, outcomes) = aggregate(
        &sources,
        &ParseOptions::default(),
        CONFIG,
        threads,
        blocks,
        Arc::new(AtomicU64::new(0)),
    );
    let o = &outcomes[0];
    assert_eq!(o.error, None);
    (
        serde_json::to_value(&agg).unwrap(),
        (o.format.unwrap(), o.lines),
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]
    /// Any thread count and block size gives exactly what one thread
    /// reading line by line gives: every count, sample and example.
    #[test]
    fn blocks_on_many_threads_equal_one_reader(
        kinds in proptest::collection::vec(0u8..9, 0..250),
        final_newline: bool,
        gzip: bool,
        threads in 1usize..5,
        size in 1usize..400,
    ) {
        let mut text = kinds
            .iter()
            .enumerate()
            .map(|(i, k)| line(*k, i as u32))
            .collect::<Vec<_>>()
            .join("\n");
        if final_newline {
            text.push('\n');
        }
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("access.log");
        let bytes = if gzip {
            let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
            e.write_all(text.as_bytes()).unwrap();
            e.finish().unwrap()
        } else {
            text.into_bytes()
        };
        std::fs::write(&path, bytes).unwrap();
        let max_line = 200;
        let want = reference(&path, max_line);
        let got = parallel(&path, threads, Blocks { size, max_line });
        prop_assert_eq!(got, want);
    }
}

/// One line of an IIS log whose header changes, picked by `kind`: two
/// headers with other columns, lines for each, and lines of neither.
fn w3c_line(kind: u8, n: u32) -> String {
    let time = format!("2026-11-25 10:{:02}:{:02}", (n * 7) % 60, n % 60);
    match kind % 6 {
        0 => "#Fields: date time cs-method cs-uri-stem sc-status time-taken".into(),
        1 => "#Fields: date time sc-status cs-uri-stem".into(),
        2 => format!("{time} GET /v1/items/{n} {} {n}", 200 + (n % 4) * 100),
        3 => format!("{time} {} /v1/x", 500 + n % 4),
        4 => format!("#Date: {time}"),
        _ => format!("garbage {n}"),
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]
    /// A `#Fields` header holds for the lines after it, in later blocks and
    /// on other threads too, until the next one: blocks on many threads give
    /// what one reader following the headers gives.
    #[test]
    fn w3c_headers_hold_across_blocks(
        kinds in proptest::collection::vec(0u8..6, 0..200),
        threads in 1usize..5,
        size in 1usize..300,
    ) {
        let text = std::iter::once(w3c_line(0, 0))
            .chain(kinds.iter().enumerate().map(|(i, k)| w3c_line(*k, i as u32)))
            .collect::<Vec<_>>()
            .join("\n");
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("u_ex261125.log");
        std::fs::write(&path, text).unwrap();
        let max_line = 200;
        let want = reference(&path, max_line);
        prop_assert_eq!(want.1.0, Format::W3c);
        let got = parallel(&path, threads, Blocks { size, max_line });
        prop_assert_eq!(got, want);
    }
}

/// The time range at both edges, in every format's one place: 1990-01-01 is
/// in, the second before is not; one day after the clock is in, a second
/// more is not.
#[test]
fn times_outside_the_range_are_malformed() {
    let now = 1_795_608_000 * 1_000_000; // 2026-11-25T12:00:00Z
    let rules = LineRules {
        max_line: 1000,
        times: TimeRange::at(now),
    };
    let text = [
        r#"{"ts":"1989-12-31T23:59:59Z","status":500}"#,
        r#"{"ts":"1990-01-01T00:00:00Z","status":500}"#,
        r#"{"ts":"2026-11-26T12:00:00Z","status":500}"#,
        r#"{"ts":"2026-11-26T12:00:01Z","status":500}"#,
        r#"{"ts":9999999999,"status":500}"#, // 2286, as epoch seconds
    ]
    .join("\n");
    let mut parser = LineParser::new(Format::Json, &ParseOptions::default());
    let mut agg = Aggregate::new(CONFIG);
    let count = parse_chunk(
        Chunk::Lines(text.as_bytes()),
        0,
        0,
        &mut parser,
        &mut agg,
        &rules,
    );
    assert_eq!(
        count,
        ChunkCount {
            lines: 5,
            counted: 5
        }
    );
    assert_eq!((agg.requests, agg.malformed), (2, 3));
    let bad: Vec<(u64, Malformed)> = agg.samples.iter().map(|s| (s.line, s.reason)).collect();
    assert_eq!(
        bad,
        [
            (1, Malformed::TimeOutOfRange),
            (4, Malformed::TimeOutOfRange),
            (5, Malformed::TimeOutOfRange)
        ]
    );
    assert_eq!(agg.buckets.len(), 2, "no bucket from a time out of range");
}

/// A time-ordered log read by one worker in many small blocks: buckets are
/// handed over to the shared map as the minutes pass, and none is split, so
/// even the capped breakdowns (40 clients and user agents a minute, 16 kept)
/// are exactly what one aggregate reading line by line holds.
#[test]
fn handed_over_buckets_of_an_ordered_log_equal_one_reader() {
    let mut text = String::new();
    for minute in 0..6 {
        for n in 0..40 {
            let status = if n % 4 == 0 { 200 } else { 503 };
            text.push_str(&format!(
                "10.1.{minute}.{n} - - [25/Nov/2026:10:{minute:02}:{:02} +0000] \"GET /v1/items/it_{n} HTTP/1.1\" {status} 12 \"-\" \"agent-{n}\"\n",
                n % 60
            ));
        }
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ordered.log");
    std::fs::write(&path, text).unwrap();
    let want = reference(&path, 4096);
    // About two lines a block: a hand-over every 16 lines or so.
    let got = parallel(
        &path,
        1,
        Blocks {
            size: 200,
            max_line: 4096,
        },
    );
    assert_eq!(got, want);
    let capped = &want.0["buckets"];
    assert!(
        capped.to_string().contains("\"capped\":true"),
        "the test needs capped tables"
    );
}

/// What a hand-over moves: the buckets not counted in since the last one;
/// a bucket counted in again later is merged with its shared part at the end.
#[test]
fn a_hand_over_moves_only_cold_buckets() {
    let shared = Mutex::new(FastMap::default());
    let mut worker = Worker::new(Aggregate::new(CONFIG), &shared);
    let mut parser = LineParser::new(Format::Combined, &ParseOptions::default());
    let mut feed = |worker: &mut Worker<'_>, minute: u32, n: u64| {
        let line = format!(
            "10.0.0.1 - - [25/Nov/2026:10:{minute:02}:00 +0000] \"GET /x HTTP/1.1\" 500 1 \"-\" \"ua\""
        );
        let ev = parser.parse(line.as_bytes()).unwrap();
        worker.event(&ev, 0, n);
    };
    let chunks = |worker: &mut Worker<'_>| {
        for _ in 0..HAND_OVER_EVERY {
            worker.end_chunk(0, 0);
        }
    };
    let minute = |m: i64| 29_926_680 + m; // 2026-11-25T10:00Z in minutes
    feed(&mut worker, 0, 1);
    feed(&mut worker, 1, 2);
    chunks(&mut worker); // both counted in this period: both stay
    assert_eq!(worker.agg.buckets.len(), 2);
    feed(&mut worker, 1, 3);
    chunks(&mut worker); // minute 0 is cold now
    assert!(shared.lock().unwrap().contains_key(&minute(0)));
    assert_eq!(
        worker.agg.buckets.keys().copied().collect::<Vec<_>>(),
        [minute(1)]
    );
    feed(&mut worker, 0, 4); // minute 0 again, after its hand-over
    chunks(&mut worker);
    chunks(&mut worker);
    assert!(worker.agg.buckets.is_empty());
    let shared = shared.into_inner().unwrap();
    assert_eq!(shared[&minute(0)].errors_5xx, 2);
    assert_eq!(shared[&minute(0)].examples.len(), 2);
    assert_eq!(shared[&minute(1)].errors_5xx, 2);
    // Handed over frozen, and merged frozen: the breakdowns count both parts.
    let zero = &shared[&minute(0)].breakdowns;
    assert!(zero.is_frozen());
    assert_eq!(zero.tables().clients_5xx.get("10.0.0.1"), Some(&2));
    assert_eq!(zero.tables().agents_5xx.get("ua"), Some(&2));
}
