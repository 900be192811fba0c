//! Writes `sample-logs/`: a small, deterministic, realistic API log set with
//! one persistent 5xx period that is still going at the end of the logs.
//!
//! `cargo run --example gen_samples` regenerates it byte for byte.
//!
//! `cargo run --release --example gen_samples -- --lines N --out FILE [--json] [--high-cardinality]`
//! instead writes one large log of N lines (combined, or JSON lines) with the
//! same traffic mix and an outage in its last fifth, for benchmarks. With
//! `--high-cardinality`, four lines in five are a scanner's and a bot's: every
//! path a new slug, every error code and message distinct; the API's own
//! traffic (the fifth left) keeps routes of 1 % to 6 % of all requests.
//! `--high-cardinality --junk-pool 5` writes its low-cardinality twin: the
//! same lines, with words drawn from 5. `--production` writes a log shaped
//! like a production API's instead (SPEC §8; `benches/production.sh`): ids in
//! about every error message, a few hundred routes plus slugs and scanner
//! probes, escapes, IPv6, 1 % malformed lines; nested objects and `\u`
//! escapes in JSON lines.
//!
//! - `nginx/api.log.2.gz`, `nginx/api.log.1`, `nginx/api.log`: a rotated set in
//!   nginx combined format with `$request_time` and the response body as extras;
//!   the oldest file was written with a +0100 offset.
//! - `gateway/gateway.jsonl`: JSON lines from an API gateway in front of the same API.

use std::fs;
use std::io::Write;

/// 2026-11-24T09:00:00Z
const START: i64 = 1_795_510_800;
const MINUTES: i64 = 120;
/// The persistent period: 10:35 to the end of the logs.
const OUTAGE_FROM: i64 = START + 95 * 60;
/// A three-minute blip that is not persistent.
const BLIP: std::ops::Range<i64> = (START + 50 * 60)..(START + 53 * 60);

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        // xorshift64*: deterministic across platforms.
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    fn pick<'a>(&mut self, xs: &[&'a str]) -> &'a str {
        xs[self.below(xs.len() as u64) as usize]
    }
    fn id(&mut self, prefix: &str) -> String {
        const ALNUM: &[u8] = b"abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ0123456789";
        let tail: String = (0..14)
            .map(|_| ALNUM[self.below(ALNUM.len() as u64) as usize] as char)
            .collect();
        format!("{prefix}_{tail}")
    }
}

struct Request {
    ts: i64,
    client: String,
    method: &'static str,
    path: String,
    status: u16,
    bytes: u64,
    secs: f64,
    ua: &'static str,
    body: Option<String>,
}

fn error_body(t: &str, code: &str, param: Option<&str>, msg: &str) -> String {
    let param = param.map_or("null".to_owned(), |p| format!("\"{p}\""));
    format!(r#"{{"error":{{"type":"{t}","code":"{code}","param":{param},"message":"{msg}"}}}}"#)
}

fn request(rng: &mut Rng, ts: i64) -> Request {
    let clients = [
        "203.0.113.7",
        "203.0.113.12",
        "198.51.100.23",
        "198.51.100.40",
        "2001:db8::5",
        "192.0.2.77",
    ];
    let uas = [
        "acme-sdk-python/4.2.0",
        "acme-sdk-node/12.1.0",
        "curl/8.5.0",
        "Mozilla/5.0 (Dashboard)",
    ];
    let mut r = Request {
        ts,
        client: rng.pick(&clients).to_owned(),
        method: "GET",
        path: String::new(),
        status: 200,
        bytes: 300 + rng.below(2000),
        secs: (20 + rng.below(180)) as f64 / 1000.0,
        ua: rng.pick(&uas),
        body: None,
    };
    match rng.below(10) {
        0..=2 => {
            r.method = "POST";
            r.path = "/v1/charges".into();
        }
        3 => r.path = format!("/v1/charges/{}", rng.id("ch")),
        4 | 5 => r.path = format!("/v1/customers/{}", rng.id("cus")),
        6 => {
            r.method = "POST";
            r.path = "/v1/customers".into();
        }
        7 => r.path = format!("/v1/products/{}", rng.id("prod")),
        8 => {
            r.method = "POST";
            r.path = "/v1/refunds".into();
        }
        _ => r.path = "/v1/balance".into(),
    }
    // Client errors, a steady few percent.
    let roll = rng.below(100);
    let (status, body) = match roll {
        0 | 1 if r.method == "POST" => (
            400,
            Some(error_body(
                "invalid_request",
                "parameter_missing",
                Some("address.line1"),
                "Missing required param: address.line1.",
            )),
        ),
        2 if r.method == "POST" => (
            400,
            Some(error_body(
                "invalid_request",
                "parameter_invalid_integer",
                Some("items.0.quantity"),
                "Invalid integer: items.0.quantity.",
            )),
        ),
        3 => (
            401,
            Some(error_body(
                "authentication",
                "api_key_expired",
                None,
                "The API key provided has expired.",
            )),
        ),
        4 => (
            403,
            Some(error_body(
                "authentication",
                "insufficient_permissions",
                None,
                "This account does not have permission to view the requested resource.",
            )),
        ),
        5 | 6 if r.method == "GET" => (
            404,
            Some(error_body(
                "invalid_request",
                "resource_missing",
                Some("id"),
                "No such object.",
            )),
        ),
        7 if r.method == "POST" => (
            409,
            Some(error_body(
                "idempotency_error",
                "idempotency_key_in_use",
                None,
                "Another request with this idempotency key is in progress.",
            )),
        ),
        8 => (
            429,
            Some(error_body(
                "rate_limit",
                "rate_limited",
                None,
                "Too many requests. Back off exponentially and retry.",
            )),
        ),
        _ => (200, None),
    };
    r.status = status;
    r.body = body;
    if r.status == 200 && r.method == "POST" {
        r.status = 201;
    }

    // Server errors: rare normally, a burst in the blip, persistent in the outage.
    let server_error_pct = if ts >= OUTAGE_FROM {
        if r.path == "/v1/charges" {
            70
        } else {
            15
        }
    } else if BLIP.contains(&ts) {
        40
    } else {
        1
    };
    if rng.below(100) < server_error_pct {
        r.secs = if ts >= OUTAGE_FROM {
            30.0 + rng.below(2000) as f64 / 1000.0
        } else {
            0.5
        };
        let (status, body) = match rng.below(10) {
            0..=5 => (
                503,
                Some(error_body(
                    "api_error",
                    "upstream_unavailable",
                    None,
                    "The payments backend is unavailable. Please retry later.",
                )),
            ),
            6 | 7 => (
                502,
                Some(
                    "<html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>"
                        .to_owned(),
                ),
            ),
            8 => (504, None),
            _ => (
                500,
                Some(error_body(
                    "api_error",
                    "internal_error",
                    None,
                    "An unexpected error occurred.",
                )),
            ),
        };
        r.status = status;
        r.body = body;
    }
    r
}

fn clf_time(ts: i64, offset_min: i64) -> String {
    let dt = chrono::DateTime::from_timestamp(ts + offset_min * 60, 0).expect("valid time");
    let sign = if offset_min < 0 { '-' } else { '+' };
    let off = offset_min.abs();
    format!(
        "{} {sign}{:02}{:02}",
        dt.format("%d/%b/%Y:%H:%M:%S"),
        off / 60,
        off % 60
    )
}

/// nginx's escaping of a quoted field: `"` and non-printables as `\xHH`.
fn nginx_escape(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'"' | b'\\' => format!("\\x{b:02X}"),
            0x20..=0x7e => (b as char).to_string(),
            _ => format!("\\x{b:02X}"),
        })
        .collect()
}

fn combined(r: &Request, offset_min: i64) -> String {
    let body = r.body.as_deref().map_or("-".to_owned(), nginx_escape);
    format!(
        "{} - - [{}] \"{} {} HTTP/1.1\" {} {} \"-\" \"{}\" {:.3} \"{}\"\n",
        r.client,
        clf_time(r.ts, offset_min),
        r.method,
        r.path,
        r.status,
        r.bytes,
        r.ua,
        r.secs,
        body
    )
}

/// One gateway line. A struct, not `json!`, so the key order (alphabetical,
/// as the committed samples have it) does not depend on whether some crate
/// turns on serde_json's `preserve_order`.
#[derive(serde::Serialize)]
struct GatewayLine<'a> {
    bytes: u64,
    client_ip: &'a str,
    duration_ms: f64,
    level: &'a str,
    method: &'a str,
    msg: &'a str,
    path: &'a str,
    response_body: Option<&'a str>,
    status: u16,
    time: String,
    user_agent: &'a str,
}

fn json_line(r: &Request) -> String {
    let line = GatewayLine {
        bytes: r.bytes,
        client_ip: &r.client,
        duration_ms: (r.secs * 1000.0).round(),
        level: "info",
        method: r.method,
        msg: "request",
        path: &r.path,
        response_body: r.body.as_deref(),
        status: r.status,
        time: chrono::DateTime::from_timestamp(r.ts, 0)
            .expect("valid time")
            .to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        user_agent: r.ua,
    };
    let mut out = serde_json::to_string(&line).expect("a struct of plain values serializes");
    out.push('\n');
    out
}

/// Lower-case letters only, so route templating keeps it as it is.
fn word(rng: &mut Rng, len: u64) -> String {
    (0..len)
        .map(|_| char::from(b'a' + rng.below(26) as u8))
        .collect()
}

/// A request no route of the API has: a scanner probing for files, or a bot
/// crawling slugs. Its path and its error are new every time.
///
/// With `pool` > 0 the words come from that many (a low-cardinality twin of
/// the same size and shape, to tell what cardinality costs from what parsing
/// longer lines costs).
fn junk_request(rng: &mut Rng, ts: i64, pool: u64) -> Request {
    let mut r = request(rng, ts);
    let (len_a, len_b) = (5 + rng.below(6), 6 + rng.below(10));
    let word = |rng: &mut Rng, len: u64| {
        if pool == 0 {
            word(rng, len)
        } else {
            let n = rng.below(pool);
            word(&mut Rng(0x9e37_79b9 ^ ((n + 1) * 0x1000_0001)), len)
        }
    };
    let (a, b) = (word(rng, len_a), word(rng, len_b));
    r.path = match rng.below(4) {
        0 => format!("/wp-content/plugins/{a}/{b}.php"),
        1 => format!("/.{a}/{b}"),
        _ => format!("/blog/{a}-{b}-{}", word(rng, 4)),
    };
    r.method = if rng.below(10) == 0 { "POST" } else { "GET" };
    let request_id = rng.id("req");
    let (status, t) = match rng.below(20) {
        0 => (500, "api_error"),
        1 => (403, "permission_error"),
        _ => (404, "invalid_request"),
    };
    r.status = status;
    r.body = Some(error_body(
        t,
        &format!("route_{}", word(rng, 10)),
        None,
        &format!("No route {} (request {request_id})", r.path),
    ));
    r
}

/// The API's resources: with their sub-resources and the two versions, a few
/// hundred route templates.
const RESOURCES: &[(&str, &str)] = &[
    ("accounts", "acct"),
    ("balance_transactions", "txn"),
    ("charges", "ch"),
    ("checkout/sessions", "cs"),
    ("coupons", "co"),
    ("credit_notes", "cn"),
    ("customers", "cus"),
    ("disputes", "dp"),
    ("events", "evt"),
    ("files", "file"),
    ("invoiceitems", "ii"),
    ("invoices", "in"),
    ("mandates", "mandate"),
    ("payment_intents", "pi"),
    ("payment_links", "plink"),
    ("payment_methods", "pm"),
    ("payouts", "po"),
    ("plans", "plan"),
    ("prices", "price"),
    ("products", "prod"),
    ("promotion_codes", "promo"),
    ("quotes", "qt"),
    ("refunds", "re"),
    ("reviews", "prv"),
    ("setup_intents", "seti"),
    ("shipping_rates", "shr"),
    ("sources", "src"),
    ("subscription_items", "si"),
    ("subscriptions", "sub"),
    ("tax_rates", "txr"),
    ("tokens", "tok"),
    ("topups", "tu"),
    ("transfers", "tr"),
    ("webhook_endpoints", "we"),
    ("terminal/readers", "tmr"),
    ("issuing/cards", "ic"),
    ("radar/value_lists", "rsl"),
    ("reporting/report_runs", "frr"),
    ("billing_portal/sessions", "bps"),
    ("identity/verification_sessions", "vs"),
];
const SUBS: &[&str] = &["lines", "refunds", "capture", "confirm", "cancel", "items"];

/// What scanners probe for: the path of each, with slugs and probes added.
const PROBES: &[&str] = &[
    "/wp-login.php",
    "/wp-admin/admin-ajax.php",
    "/.env",
    "/.git/config",
    "/phpmyadmin/index.php",
    "/cgi-bin/luci/;stok=/locale",
    "/vendor/phpunit/phpunit/src/Util/PHP/eval-stdin.php",
    "/actuator/health",
    "/server-status",
    "/.aws/credentials",
    "/boaform/admin/formLogin",
    "/solr/admin/info/system",
    "/HNAP1/",
    "/owa/auth/logon.aspx",
    "/console/login/LoginForm.jsp",
];

/// Text escaped as nginx's `escape=json` writes a variable: `"` and `\` as
/// `\"` and `\\`, control bytes as `\u00XX`, the rest (UTF-8 too) as is.
fn json_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out
}

/// A JSON string literal of `s`: `\"` for quotes, and (with `ascii_escapes`)
/// non-ASCII written as `\uXXXX` escapes (surrogate pairs beyond the BMP).
fn json_str(ascii_escapes: bool, s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c if !c.is_ascii() && ascii_escapes => {
                let mut units = [0u16; 2];
                for u in c.encode_utf16(&mut units) {
                    out.push_str(&format!("\\u{u:04x}"));
                }
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// One request of the production-shaped log, and the body text it answered
/// with (already JSON for error bodies, HTML for a gateway's 502).
struct ProdRequest {
    ts: i64,
    client: String,
    method: &'static str,
    target: String,
    status: u16,
    bytes: u64,
    ms: u64,
    ua: String,
    request_id: String,
    body: Option<String>,
    /// The body as a JSON value for JSON lines (an object, or a string for HTML).
    body_json: Option<String>,
}

fn prod_client(rng: &mut Rng) -> String {
    match rng.below(10) {
        0..=5 => format!(
            "{}.{}.{}.{}",
            [203, 198, 192, 100, 52, 34][rng.below(6) as usize],
            rng.below(256),
            rng.below(256),
            1 + rng.below(254)
        ),
        6..=8 => format!(
            "2001:db8:{:x}:{:x}::{:x}",
            rng.below(0x10000),
            rng.below(0x100),
            1 + rng.below(0xffff)
        ),
        _ => format!(
            "2a02:c7c:{:x}:{:x}:{:x}:{:x}:{:x}:{:x}",
            rng.below(0x10000),
            rng.below(0x10000),
            rng.below(0x10000),
            rng.below(0x10000),
            rng.below(0x10000),
            rng.below(0x10000)
        ),
    }
}

fn prod_ua(rng: &mut Rng) -> String {
    match rng.below(12) {
        0..=3 => format!("acme-sdk-python/4.{}.{}", rng.below(9), rng.below(20)),
        4..=6 => format!("acme-sdk-node/12.{}.{} (node v20.{})", rng.below(9), rng.below(20), rng.below(12)),
        7 => format!("curl/8.{}.0", rng.below(8)),
        8 => "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36".to_owned(),
        9 => "Go-http-client/1.1".to_owned(),
        // Quotes in a user agent: nginx writes them as \x22.
        10 => format!("Mozilla/5.0 (compatible; \"scanner\"; +http://example.com/{})", word(rng, 6)),
        _ => format!("acme-sdk-ruby/9.{}.0 (Bündler; \u{1F680})", rng.below(9)),
    }
}

/// An error body; `seed` draws its shape (wrapped or flat, extra members,
/// `\u` escapes).
fn prod_error(seed: u64, t: &str, code: &str, param: Option<&str>, msg: &str) -> String {
    let rng = &mut Rng(seed | 1);
    let param = param.map_or("null".to_owned(), |p| json_str(rng.below(2) == 0, p));
    let mut extra = String::new();
    if rng.below(3) == 0 {
        // What real APIs add: a doc link, a request log url, nested detail.
        extra = format!(
            ",\"doc_url\":\"https://docs.example.com/error-codes/{code}\",\"detail\":{{\"retryable\":{},\"attempts\":[1,2,{}],\"ratio\":{}e-3}}",
            rng.below(2) == 0,
            rng.below(5),
            rng.below(1000)
        );
    }
    let inner = format!(
        "{{\"type\":{},\"code\":{},\"param\":{param},\"message\":{}{extra}}}",
        json_str(rng.below(2) == 0, t),
        json_str(rng.below(2) == 0, code),
        json_str(rng.below(2) == 0, msg)
    );
    if rng.below(8) == 0 {
        inner
    } else {
        format!("{{\"error\":{inner}}}")
    }
}

fn prod_request(rng: &mut Rng, ts: i64, outage: bool) -> ProdRequest {
    let (res, prefix) = RESOURCES[rng.below(RESOURCES.len() as u64) as usize];
    let version = if rng.below(6) == 0 { "v2" } else { "v1" };
    let id = rng.id(prefix);
    let mut method = "GET";
    let target = match rng.below(100) {
        0..=24 => {
            if rng.below(2) == 0 {
                method = "POST";
            }
            if method == "GET" && rng.below(2) == 0 {
                format!(
                    "/{version}/{res}?limit={}&starting_after={}",
                    1 + rng.below(100),
                    rng.id(prefix)
                )
            } else {
                format!("/{version}/{res}")
            }
        }
        25..=64 => {
            method = ["GET", "GET", "POST", "DELETE"][rng.below(4) as usize];
            format!("/{version}/{res}/{id}")
        }
        65..=84 => {
            method = if rng.below(3) == 0 { "GET" } else { "POST" };
            format!(
                "/{version}/{res}/{id}/{}",
                SUBS[rng.below(SUBS.len() as u64) as usize]
            )
        }
        85..=91 => {
            let (a, c) = (3 + rng.below(6), 2 + rng.below(8));
            format!("/docs/{}-{}-{}", word(rng, a), word(rng, 4), word(rng, c))
        }
        92..=94 => format!(
            "/blog/{}/{}-{}",
            2020 + rng.below(7),
            word(rng, 5),
            word(rng, 7)
        ),
        _ => {
            let probe = PROBES[rng.below(PROBES.len() as u64) as usize];
            match rng.below(3) {
                0 => format!("{probe}?id={}", word(rng, 8)),
                // A probe with quotes in it (nginx writes them as \x22).
                1 => format!("{probe}?q=\"{}\"%20OR%201=1", word(rng, 5)),
                _ => probe.to_owned(),
            }
        }
    };
    let mut r = ProdRequest {
        ts,
        client: prod_client(rng),
        method,
        target,
        status: if method == "POST" { 201 } else { 200 },
        bytes: 200 + rng.below(5000),
        ms: 5 + rng.below(400),
        ua: prod_ua(rng),
        request_id: rng.id("req"),
        body: None,
        body_json: None,
    };
    let scanner = r.target.starts_with("/wp") || PROBES.iter().any(|p| r.target.starts_with(p));
    let other = RESOURCES[rng.below(RESOURCES.len() as u64) as usize];
    let n = rng.below(25);
    let roll = rng.below(100);
    let (status, body) = if scanner {
        (
            404,
            Some(prod_error(
                rng.next(),
                "invalid_request_error",
                "route_not_found",
                None,
                &format!(
                    "Unrecognized request URL ({} {}). Please see https://docs.example.com/",
                    r.method, r.target
                ),
            )),
        )
    } else if roll < 30 || (outage && roll < 55) {
        let five = outage && roll >= 20 || roll < 3;
        if five {
            let rid = r.request_id.clone();
            match rng.below(10) {
                0..=5 => (503, Some(prod_error(rng.next(), "api_error", "upstream_unavailable", None,
                    &format!("The payments backend is unavailable (upstream {}:{} timed out after {} ms); request {rid}",
                        ["ledger", "risk", "fx"][rng.below(3) as usize], 8000 + rng.below(100), 30000 + rng.below(2000))))),
                6 | 7 => (502, Some(format!("<html><head><title>502 Bad Gateway</title></head><body><center>nginx/1.{}.{}</center></body></html>", 18 + rng.below(10), rng.below(3)))),
                8 => (504, None),
                _ => (500, Some(prod_error(rng.next(), "api_error", "internal_error", None,
                    &format!("An unexpected error occurred while processing {res} {id}; request {rid}")))),
            }
        } else {
            match rng.below(14) {
                0..=2 => (404, Some(prod_error(rng.next(), "invalid_request_error", "resource_missing", Some("id"),
                    &format!("No such {}: '{}'", res.trim_end_matches('s'), rng.id(prefix))))),
                3 | 4 => (400, Some(prod_error(rng.next(), "invalid_request_error", "parameter_invalid_integer",
                    Some(&format!("items.{n}.quantity")), &format!("Invalid integer: items.{n}.quantity")))),
                5 => (400, Some(prod_error(rng.next(), "invalid_request_error", "parameter_missing",
                    Some(&format!("{}.address.line1", other.0.replace('/', "_"))),
                    &format!("Missing required param: {}.address.line1.", other.0.replace('/', "_"))))),
                6 => (400, Some(prod_error(rng.next(), "invalid_request_error", "parameter_invalid_string",
                    Some("currency"), &format!("Invalid currency: \"{}\". Must be one of \"usd\", \"eur\" or \"gbp\" (got {} bytes).", word(rng, 3), rng.below(40))))),
                7 => (402, Some(prod_error(rng.next(), "card_error", ["card_declined", "expired_card", "incorrect_cvc", "insufficient_funds"][rng.below(4) as usize], None,
                    &format!("Your card was declined (charge {}, decline code {}).", rng.id("ch"), word(rng, 9))))),
                8 => (401, Some(prod_error(rng.next(), "authentication_error", "api_key_invalid", None,
                    &format!("Invalid API Key provided: sk_live_{}****{}", word(rng, 4), rng.id("k"))))),
                9 => (403, Some(prod_error(rng.next(), "permission_error", "insufficient_permissions", None,
                    &format!("The key rk_live_…{} does not have the permission {}:{} for account {}.", word(rng, 4), res, ["read", "write"][rng.below(2) as usize], rng.id("acct"))))),
                10 => (409, Some(prod_error(rng.next(), "idempotency_error", "idempotency_key_in_use", None,
                    &format!("Another request with idempotency key '{}' is in progress.", rng.id("idk"))))),
                11 => (422, Some(prod_error(rng.next(), "invalid_request_error", "parameter_unknown", Some(&word(rng, 8)),
                    &format!("Unknown parameter: {}. Did you mean {}? — Paramètre inconnu « {} »", word(rng, 8), word(rng, 8), word(rng, 5))))),
                12 => (429, Some(prod_error(rng.next(), "rate_limit_error", "rate_limited", None,
                    &format!("Too many requests for account {} ({} in the last second); retry after {} ms", rng.id("acct"), 100 + rng.below(200), rng.below(2000))))),
                _ => (404, Some(prod_error(rng.next(), "invalid_request_error", "resource_missing", Some(other.1),
                    &format!("No such {}: '{}'; a similar object exists in test mode, but a live mode key was used", other.0, rng.id(other.1))))),
            }
        }
    } else {
        (r.status, None)
    };
    r.status = status;
    if status >= 500 {
        r.ms = 1000 + rng.below(30000);
    }
    r.body_json = body.as_ref().map(|b| {
        if b.starts_with('<') {
            json_str(rng.below(2) == 0, b)
        } else {
            b.clone()
        }
    });
    r.body = body;
    r
}

/// One production-shaped combined line: `\x22` escapes (nginx's default) in
/// the request and user agent; the body logged with `escape=json` (`\"`) one
/// time in three, with nginx's default `\xHH` otherwise.
fn prod_combined(rng: &mut Rng, r: &ProdRequest) -> String {
    let body = match &r.body {
        None => "-".to_owned(),
        Some(b) if rng.below(3) == 0 => json_escape(b),
        Some(b) => nginx_escape(b),
    };
    format!(
        "{} - - [{}] \"{} {} HTTP/{}\" {} {} \"{}\" \"{}\" {}.{:03} \"{}\"\n",
        r.client,
        clf_time(r.ts, 0),
        r.method,
        nginx_escape(&r.target),
        if rng.below(4) == 0 { "2.0" } else { "1.1" },
        r.status,
        r.bytes,
        if rng.below(5) == 0 {
            "https://dashboard.example.com/"
        } else {
            "-"
        },
        nginx_escape(&r.ua),
        r.ms / 1000,
        r.ms % 1000,
        body
    )
}

/// One production-shaped JSON line: nested objects (trace, request headers,
/// labels), the body as an object (or a string for HTML), `\u` escapes.
fn prod_json(rng: &mut Rng, r: &ProdRequest) -> String {
    let time = chrono::DateTime::from_timestamp(r.ts, 0)
        .expect("valid time")
        .to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    let body = r.body_json.as_deref().unwrap_or("null");
    format!(
        "{{\"time\":\"{time}\",\"level\":\"{}\",\"msg\":\"request completed\",\"trace\":{{\"id\":\"{:016x}{:016x}\",\"span\":\"{:016x}\",\"sampled\":{}}},\"request_id\":\"{}\",\"client_ip\":{},\"method\":\"{}\",\"path\":{},\"request\":{{\"headers\":{{\"accept\":[\"application/json\"],\"x-forwarded-proto\":\"https\",\"content-length\":{}}},\"tls\":{{\"version\":\"1.3\",\"resumed\":{}}}}},\"status\":{},\"bytes\":{},\"duration_ms\":{}.{},\"user_agent\":{},\"labels\":{{\"region\":\"{}\",\"pod\":\"api-{}\",\"owner\":{}}},\"response_body\":{body}}}\n",
        if r.status >= 500 { "error" } else { "info" },
        rng.next(), rng.next(), rng.next(), rng.below(2) == 0,
        r.request_id,
        json_str(rng.below(2) == 0, &r.client),
        r.method,
        json_str(rng.below(2) == 0, &r.target),
        rng.below(4000),
        rng.below(2) == 0,
        r.status,
        r.bytes,
        r.ms, rng.below(10),
        json_str(rng.below(2) == 0, &r.ua),
        ["eu-west-1", "us-east-1", "ap-south-1"][rng.below(3) as usize],
        word(rng, 5),
        json_str(rng.below(2) == 0, ["Zoë Ångström", "team-payments", "José Müller"][rng.below(3) as usize]),
    )
}

/// A line that is no request: what real logs hold now and then (1 %).
fn prod_malformed(rng: &mut Rng, r: &ProdRequest, json: bool) -> String {
    let whole = if json {
        prod_json(rng, r)
    } else {
        prod_combined(rng, r)
    };
    match rng.below(4) {
        // Cut short (a disk filled up, a writer died mid-line).
        0 | 1 => {
            let mut cut = 10 + rng.below(whole.len() as u64 / 2) as usize;
            while !whole.is_char_boundary(cut) {
                cut -= 1;
            }
            format!("{}\n", &whole[..cut])
        }
        2 if json => format!("panic: runtime error: index out of range [{}] with length {}\n", rng.below(9), rng.below(9)),
        2 => format!("{} - - [{}] \"\\x16\\x03\\x01\\x02\\x00\\x01\\x00\\x01\\xFC\\x03\\x03\" 400 157 \"-\" \"-\" 0.000 \"-\"\n", r.client, clf_time(r.ts, 0)),
        _ => format!("{}/{:02}/{:02} 12:00:00 [error] 31#31: *{} upstream prematurely closed connection while reading response header from upstream, client: {}\n",
            2026, 11, 24, rng.below(1_000_000), r.client),
    }
}

/// `--production`: a log shaped like a production API's (SPEC §8): ids in
/// about every error message (bodies rarely repeat), a few hundred routes
/// plus slugs and scanner probes, `\x22` and `\"` escapes, IPv6 clients,
/// 1 % malformed lines, about 30 % errors; an outage in the last fifth. JSON
/// lines carry nested objects and `\u` escapes.
fn write_production(lines: u64, out: &str, json: bool, pace: Pace) -> std::io::Result<()> {
    let mut rng = Rng(0x9a0d_5eed);
    let mut w = std::io::BufWriter::with_capacity(1 << 20, fs::File::create(out)?);
    let Pace { start, per_second } = pace;
    let outage_from = start + (lines / per_second) as i64 * 4 / 5;
    for i in 0..lines {
        let ts = start + (i / per_second) as i64;
        let r = prod_request(&mut rng, ts, ts >= outage_from);
        let line = if rng.below(100) == 0 {
            prod_malformed(&mut rng, &r, json)
        } else if json {
            prod_json(&mut rng, &r)
        } else {
            prod_combined(&mut rng, &r)
        };
        w.write_all(line.as_bytes())?;
    }
    w.flush()
}

/// When a large log starts (epoch seconds), and how many requests a second.
struct Pace {
    start: i64,
    per_second: u64,
}

/// `--lines N --out FILE [--json] [--high-cardinality] [--start EPOCH]
/// [--per-second N]`: one large log, 20 requests a second from 2026-11-24
/// unless told otherwise.
fn write_large(
    lines: u64,
    out: &str,
    json: bool,
    junk: Option<u64>,
    pace: Pace,
) -> std::io::Result<()> {
    let mut rng = Rng(0xb16_106);
    let mut w = std::io::BufWriter::with_capacity(1 << 20, fs::File::create(out)?);
    let Pace { start, per_second } = pace;
    let outage_from = start + (lines / per_second) as i64 * 4 / 5;
    for i in 0..lines {
        let ts = start + (i / per_second) as i64;
        if let Some(pool) = junk.filter(|_| rng.below(5) != 0) {
            let r = junk_request(&mut rng, ts, pool);
            let line = if json { json_line(&r) } else { combined(&r, 0) };
            w.write_all(line.as_bytes())?;
            continue;
        }
        let mut r = request(&mut rng, ts);
        // Shift the sample's outage window to the end of this log.
        if ts >= outage_from && rng.below(100) < 30 {
            r.status = 503;
            r.body = Some(error_body(
                "api_error",
                "upstream_unavailable",
                None,
                "The payments backend is unavailable. Please retry later.",
            ));
        }
        let line = if json { json_line(&r) } else { combined(&r, 0) };
        w.write_all(line.as_bytes())?;
    }
    w.flush()
}

fn main() -> std::io::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    if let (Some(n), Some(out)) = (
        args.iter()
            .position(|a| a == "--lines")
            .and_then(|i| args.get(i + 1)),
        args.iter()
            .position(|a| a == "--out")
            .and_then(|i| args.get(i + 1)),
    ) {
        let n: u64 = n
            .parse()
            .map_err(|_| std::io::Error::other("--lines wants a number"))?;
        let flag = |name: &str| args.iter().any(|a| a == name);
        let value = |name: &str| {
            args.iter()
                .position(|a| a == name)
                .and_then(|i| args.get(i + 1))
                .and_then(|v| v.parse::<u64>().ok())
        };
        let pool = value("--junk-pool");
        let pace = Pace {
            start: value("--start").map_or(START, |s| s as i64),
            per_second: value("--per-second").unwrap_or(20).max(1),
        };
        if flag("--production") {
            return write_production(n, out, flag("--json"), pace);
        }
        let junk = if flag("--high-cardinality") {
            Some(pool.unwrap_or(0))
        } else {
            None
        };
        return write_large(n, out, flag("--json"), junk, pace);
    }
    let mut rng = Rng(0x5eed_f00d);
    let mut nginx: [Vec<String>; 3] = Default::default();
    let mut gateway = Vec::new();
    for minute in 0..MINUTES {
        for _ in 0..(14 + rng.below(6)) {
            let ts = START + minute * 60 + rng.below(60) as i64;
            let r = request(&mut rng, ts);
            let file = (minute * 3 / MINUTES) as usize;
            // The oldest file was written before the servers moved to UTC.
            let offset = if file == 0 { 60 } else { 0 };
            nginx[file].push(combined(&r, offset));
        }
        for _ in 0..(6 + rng.below(4)) {
            let ts = START + minute * 60 + rng.below(60) as i64;
            gateway.push(json_line(&request(&mut rng, ts)));
        }
    }
    // The odd lines real logs have: a TLS handshake sent to the HTTP port, and
    // a line cut short when a disk filled up.
    nginx[1].insert(40, format!("198.51.100.99 - - [{}] \"\\x16\\x03\\x01\\x00\\xF1\" 400 157 \"-\" \"-\" 0.000 \"-\"\n", clf_time(START + 2460, 0)));
    nginx[2].insert(
        10,
        format!(
            "203.0.113.7 - - [{}] \"GET /v1/balance HTTP/1.1\" 200 512 \"-\" \"acme-sdk-py",
            clf_time(START + 4830, 0)
        ),
    );
    nginx[2][10].push('\n');

    fs::create_dir_all("sample-logs/nginx")?;
    fs::create_dir_all("sample-logs/gateway")?;
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    gz.write_all(nginx[0].concat().as_bytes())?;
    fs::write("sample-logs/nginx/api.log.2.gz", gz.finish()?)?;
    fs::write("sample-logs/nginx/api.log.1", nginx[1].concat())?;
    fs::write("sample-logs/nginx/api.log", nginx[2].concat())?;
    fs::write("sample-logs/gateway/gateway.jsonl", gateway.concat())?;
    Ok(())
}
