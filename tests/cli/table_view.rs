//! `faultline analyze --output table` fitted to the terminal width: long
//! paths, routes, error codes, params and messages (tests/data/wide, made by
//! make_fixtures.py) at `COLUMNS=80`.

use crate::*;
use serde_json::Value;

const DIR: &str = "wide/archived-api-gateway-logs-from-the-eu-west-production-cluster";
const FILE: &str = "wide/archived-api-gateway-logs-from-the-eu-west-production-cluster/api-gateway.eu-west-1.production.access.log";

fn table(args: &[&str], columns: &str) -> String {
    stdout_of(
        faultline()
            .args(["analyze", "-o", "table", "--no-progress"])
            .args(args)
            .env("COLUMNS", columns),
    )
}

/// Every string, key and number of a JSON report.
fn strings(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::String(s) => out.push(s.clone()),
        Value::Array(a) => a.iter().for_each(|v| strings(v, out)),
        Value::Object(o) => o.iter().for_each(|(k, v)| {
            out.push(k.clone());
            strings(v, out)
        }),
        other => out.push(other.to_string()),
    }
}

/// The words the view adds around the report's values (shared with the
/// renderer's unit tests).
fn view_words() -> impl Iterator<Item = &'static str> {
    include_str!("../data/view_words.txt")
        .lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
}

/// No line is wider than `width` characters, and every word of the view is
/// either cut with `…` or a whole word of the report (or of the view's own
/// text): nothing is broken inside a word or a number.
fn assert_fits(text: &str, width: usize, report: &Value) {
    for line in text.lines() {
        let n = line.chars().count();
        assert!(n <= width, "{n} > {width} characters: {line:?}\n{text}");
    }
    let mut words = Vec::new();
    strings(report, &mut words);
    // The view shows control characters as \xHH.
    let words: Vec<String> = words
        .iter()
        .map(|w| {
            w.chars()
                .map(|c| {
                    if c.is_control() {
                        format!("\\x{:02X}", c as u32)
                    } else {
                        c.to_string()
                    }
                })
                .collect()
        })
        .collect();
    for raw in text.split_whitespace() {
        if raw.contains('…') || view_words().any(|v| v == raw) {
            continue;
        }
        let word = raw.trim_matches(|c| "(),.;:".contains(c));
        let whole = |w: &str| {
            w.is_empty()
                || view_words().any(|v| v == w)
                || w.chars().all(|c| "0123456789:./%msh─".contains(c))
                // The file name of an input path.
                || words.iter().any(|r| r.rsplit('/').next() == Some(w))
                || words.iter().any(|r| {
                    r.split_whitespace()
                        .any(|x| x.trim_matches(|c| "(),.;:".contains(c)) == w)
                })
        };
        // The end of a period on its start's day: the time of a report time.
        let time_of_day = words.iter().any(|r| r.ends_with(&format!("T{word}")));
        // `file name:line` in the malformed table.
        let known = whole(word)
            || time_of_day
            || word.rsplit_once(':').is_some_and(|(name, line)| {
                whole(name) && line.bytes().all(|b| b.is_ascii_digit())
            });
        assert!(known, "{word:?} is not a whole word of the report\n{text}");
    }
    // Words of the report are never split: no line ends with the start of
    // one whose rest begins the next line.
    let lines: Vec<&str> = text.lines().collect();
    for pair in lines.windows(2) {
        let (Some(end), Some(next)) = (
            pair[0].split_whitespace().last(),
            pair[1].split_whitespace().next(),
        ) else {
            continue;
        };
        let joined = format!("{end}{next}");
        assert!(
            !words
                .iter()
                .any(|w| w.split_whitespace().any(|x| x == joined)),
            "{end:?} / {next:?} is one word split across lines\n{text}"
        );
    }
}

#[test]
fn long_values_fit_80_columns_cut_with_an_ellipsis_never_inside_a_word() {
    let text = table(&[FILE], "80");
    let expected = r#"REVIEW  A persistent 5xx period ran from 2026-11-25T14:02:00Z to
        2026-11-25T14:08:00Z (6 min) and has ended: 36 of 60 requests failed
        with 5xx (60.0%), mostly 500 (6), 502 (6), 503 (6); worst routes: POST
        /v1/organizations/acme-international-holdings/billing-accounts/primary/…
        (36); top error:
        upstream_service_unavailable_while_rebalancing_partitions "The upstream
        invoice service did not answer within the deadline; retry with expo…"
        (36). Judged 121 requests in api-gateway.eu-west-1.production.access.log
        from 2026-11-25T14:00:00Z to 2026-11-25T14:11:54Z.

121 requests from 2026-11-25T14:00:00Z to 2026-11-25T14:11:54Z in 1 input(s)
2xx 72  3xx 0  4xx 13 (10.7%)  5xx 36 (29.8%)  malformed lines 2
unparsed bodies 0

Persistent 5xx periods
 start                 end        length  5xx/requests   statuses
────────────────────────────────────────────────────────────────────────────────
 2026-11-25T14:02:00Z  14:08:00Z  6m      36/60 (60.0%)  500:6 502:6 503:6 …
  What changed: error code
    upstream_service_unavailable_while_rebalancing_partitions 100% of 5xx (was
    0% of requests)
  First failure: 2026-11-25T14:02:00Z at
    api-gateway.eu-west-1.production.access.log line 22

By status
 status  title                  count  share
────────────────────────────────────────────
 200     OK                     72     59.5%
 500     Internal Server Error  6      5.0%
 502     Bad Gateway            6      5.0%
 503     Service Unavailable    6      5.0%
 504     Gateway Timeout        6      5.0%
 520     Unknown Origin Error   6      5.0%
 521     Web Server Is Down     6      5.0%
 400     Bad Request            4      3.3%
 405     Method Not Allowed     3      2.5%
 422     Unprocessable Content  3      2.5%
  … 1 more (--top N, or --output json for all)

Errors (from response bodies)
 count  statuses           type             code               param
────────────────────────────────────────────────────────────────────────────────
 36     500:6 502:6 …      api_error        upstream_service…  -
 12     400:3 405:3 …      invalid_request  parameter_invali…  items.0.price_da…

Routes (most 5xx first)
 method        route                                          requests  4xx  5xx
────────────────────────────────────────────────────────────────────────────────
 POST          /v1/organizations/acme-international-holding…  36        0    36
 POST          /v1/subscription_items                         12        12   0
 \x16\x03\x01  -                                              1         1    0
 GET           /v1/customers/{id}                             72        0    0

Malformed lines (first 2) in api-gateway.eu-west-1.production.access.log
 line  reason                                       text
────────────────────────────────────────────────────────────────────────────────
 41    no [timestamp]                               \x1B[31mALERT\x1B[0m …
 81    quoted field never closes (line cut short?)  198.51.100.7 - - [25/Nov/20…
"#;
    assert_eq!(text, expected, "\n{text}");
    assert_fits(&text, 80, &analyze(&[FILE], 0));
    // The JSON keeps every value whole, and the reason its level word.
    let r = analyze(&[FILE], 0);
    assert!(r["verdict"]["reason"]
        .as_str()
        .unwrap()
        .starts_with("Review: A persistent 5xx period"));
    assert_eq!(
        r["errors"][0]["code"],
        "upstream_service_unavailable_while_rebalancing_partitions"
    );
    assert_eq!(r["malformed_samples"][0]["source"], FILE);
}

#[test]
fn malformed_lines_of_several_inputs_show_file_names_and_whole_line_numbers() {
    let text = table(&["wide"], "80");
    let at = text.find("Malformed lines").expect("a malformed table");
    assert_eq!(
        &text[at..],
        "Malformed lines (first 3)
 where             reason                                       text
────────────────────────────────────────────────────────────────────────────────
 api-ga…s.log.1:2  no [timestamp]                               rotated …
 api-ga…ss.log:41  no [timestamp]                               \\x1B[31mALERT\\x…
 api-ga…ss.log:81  quoted field never closes (line cut short?)  198.51.100.7 - …
"
    );
    assert!(!text.contains(DIR), "no input path in the view:\n{text}");
    assert_fits(&text, 80, &analyze(&["wide"], 0));
    // Wide enough, the whole file names.
    let text = table(&["wide"], "200");
    assert!(text.contains(" api-gateway.eu-west-1.production.access.log.1:2 "));
    assert!(!text.contains(DIR));
}

#[test]
fn every_width_fits_on_the_fixtures_and_the_sample_logs() {
    let sample = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("sample-logs");
    let sample = sample.to_str().unwrap();
    for input in [FILE, "wide", "combined.log", "rotated", sample] {
        let report = analyze(&[input], 0);
        for width in [60, 72, 80, 100, 132, 200] {
            let text = table(&[input], &width.to_string());
            assert_fits(&text, width, &report);
            assert!(!text.contains('\u{1b}'), "control characters are escaped");
        }
    }
}
