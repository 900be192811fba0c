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
fn junk_request(rng: &mut Rng, ts: i64) -> Request {
    let mut r = request(rng, ts);
    // One draw at a time, in this order: the length, then the word.
    let len = 5 + rng.below(6);
    let a = word(rng, len);
    let len = 6 + rng.below(10);
    let b = word(rng, len);
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

/// `--lines N --out FILE [--json] [--high-cardinality]`: one large log, 20
/// requests a second.
fn write_large(lines: u64, out: &str, json: bool, junk: bool) -> std::io::Result<()> {
    let mut rng = Rng(0xb16_106);
    let mut w = std::io::BufWriter::with_capacity(1 << 20, fs::File::create(out)?);
    let outage_from = START + (lines as i64 / 20) * 4 / 5;
    for i in 0..lines {
        let ts = START + (i / 20) as i64;
        if junk && rng.below(5) != 0 {
            let r = junk_request(&mut rng, ts);
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
        return write_large(n, out, flag("--json"), flag("--high-cardinality"));
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
