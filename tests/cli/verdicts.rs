//! Verdicts a support engineer can trust: the sparse rule (a quiet service
//! that is down), `no_data` when nothing was judged, directories that hold
//! more than logs, and 202 partial failures.

use crate::*;
use serde_json::{json, Value};

fn incidents(r: &Value) -> Vec<(String, String, u64, u64, u64)> {
    r["incidents"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            (
                i["start"].as_str().unwrap().to_owned(),
                i["end"].as_str().unwrap().to_owned(),
                i["errors_5xx"].as_u64().unwrap(),
                i["requests"].as_u64().unwrap(),
                i["bad_buckets"].as_u64().unwrap(),
            )
        })
        .collect()
}

/// A Heroku app with a few requests a minute, every one `H10 App crashed`
/// from 22:43 to 22:47: no minute holds 5 errors, yet the service was down.
#[test]
fn a_quiet_service_that_is_down_is_a_persistent_period() {
    let r = analyze(&["heroku-quiet-down.log"], 0);
    assert_eq!(counts(&r["summary"]), (21, 18, 3));
    assert_eq!(
        incidents(&r),
        [(
            "2026-11-20T22:43:00Z".into(),
            "2026-11-20T22:48:00Z".into(),
            10,
            10,
            5
        )]
    );
    assert_eq!(r["verdict"]["level"], "review");
    assert_eq!(r["settings"]["min_ratio_sparse"], json!(0.5));

    let off = analyze(&["heroku-quiet-down.log", "--min-ratio-sparse", "off"], 0);
    assert_eq!(incidents(&off), []);
    assert_eq!(off["verdict"]["level"], "ok");
    assert_eq!(off["settings"]["min_ratio_sparse"], Value::Null);
}
