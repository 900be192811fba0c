//! The load-balancer and proxy formats on real sample files
//! (tests/data/formats, sources in its SOURCES.md): each detected with no
//! flags, with exact counts.
//!
//! Every expected number below was counted apart from faultline, by the
//! Python snippet quoted above its cases, written from the format's own
//! documentation (they share `lines`, `tok` and a report of
//! `(status, time)` pairs):
//!
//! ```python
//! lines = lambda f: [l.rstrip('\r\n') for l in open(f, errors='replace') if l.strip()]
//! tok = re.compile(r'"(?:[^"\\]|\\.)*"|\S+')
//! ```

use crate::*;
use serde_json::{json, Value};

/// One sample file and what the snippet counted in it.
struct Case {
    file: &'static str,
    format: &'static str,
    requests: u64,
    malformed: u64,
    by_status: Value,
    first: &'static str,
    last: &'static str,
}

fn check(c: &Case) {
    let r = analyze(&[&format!("formats/{}", c.file)], 0);
    let s = &r["summary"];
    assert_eq!(s["inputs"][0]["format"], c.format, "{}", c.file);
    assert_eq!(
        counts(s),
        (c.requests + c.malformed, c.requests, c.malformed),
        "{}",
        c.file
    );
    assert_eq!(statuses(&r), c.by_status, "{}", c.file);
    assert_eq!(s["first_ts"], c.first, "{}", c.file);
    assert_eq!(s["last_ts"], c.last, "{}", c.file);
    // Forcing the format gives the same report.
    let forced = analyze(&["--format", c.format, &format!("formats/{}", c.file)], 0);
    assert_eq!(without_inputs(forced), without_inputs(r), "{}", c.file);
}

/// ```python
/// # AWS ALB docs: type time elb client:port target:port request_processing_time
/// # target_processing_time response_processing_time elb_status_code
/// # target_status_code received sent "request" "user_agent" ssl_cipher
/// # ssl_protocol target_group_arn "trace_id" ...; other records are not requests
/// for l in lines(f):
///     t = tok.findall(l)
///     if len(t) >= 18 and t[0] in ('http','https','h2','grpcs','ws','wss') \
///             and all(t[i][0] == '"' for i in (12, 13, 17)):
///         reqs.append((int(t[8]), t[1]))
///     else: bad += 1
/// ```
#[test]
fn alb() {
    for c in [
        // Real lines: two requests to failed or absent targets (`-1` times),
        // four NLB `tls` records, three connection-log lines.
        Case {
            file: "alb.log",
            format: "alb",
            requests: 3,
            malformed: 7,
            by_status: json!({"200": 2, "301": 1}),
            first: "2018-07-02T22:23:00.186641Z",
            last: "2025-05-01T11:24:32.748149Z",
        },
        // `"- - - "` request, 460, a line with the target field missing,
        // a line cut short, NLB and connection records mixed in.
        Case {
            file: "alb-odd.log",
            format: "alb",
            requests: 4,
            malformed: 4,
            by_status: json!({"400": 1, "460": 1, "502": 1, "503": 1}),
            first: "2023-03-01T10:00:01Z",
            last: "2023-03-01T10:00:04Z",
        },
    ] {
        check(&c);
    }
    let r = analyze(&["formats/alb-odd.log"], 0);
    assert_eq!(
        sample_reasons(&r),
        [
            (
                5,
                "alb: fields missing or out of place for an ALB access log line"
            ),
            (
                6,
                "alb: an NLB (tls) or connection-log record, not an HTTP request"
            ),
            (
                7,
                "alb: an NLB (tls) or connection-log record, not an HTTP request"
            ),
            (8, "quoted field never closes (line cut short?)"),
        ]
    );
}

/// ```python
/// # AWS Classic ELB docs: time elb client:port backend:port request_processing_time
/// # backend_processing_time response_processing_time elb_status_code
/// # backend_status_code received sent "request" "user_agent" ssl_cipher ssl_protocol;
/// # TCP listeners write '-' for the status
/// for l in lines(f):
///     t = tok.findall(l)
///     if len(t) >= 13 and re.match(r'\d{4}-', t[0]) and t[7] != '-': reqs.append((int(t[7]), t[0]))
///     else: bad += 1
/// ```
#[test]
fn elb() {
    check(&Case {
        file: "elb-http.log",
        format: "elb",
        requests: 5,
        malformed: 0,
        by_status: json!({"200": 5}),
        first: "2019-10-14T12:00:20.694172Z",
        last: "2019-10-14T12:01:50.831170Z",
    });
    // Only TCP listener lines: no request, but still read as ELB.
    let r = analyze(&["formats/elb-tcp.log"], 0);
    assert_eq!(r["summary"]["inputs"][0]["format"], "elb");
    assert_eq!(counts(&r["summary"]), (6, 0, 6));
    assert_eq!(
        sample_reasons(&r)[0],
        (
            1,
            "elb: a TCP/SSL listener line (status -), not an HTTP request"
        )
    );
}

/// ```python
/// # W3C extended log format: '#Fields:' names the columns of the lines
/// # after it; '#' lines are directives. CloudFront: tabs; IIS: spaces,
/// # "quoted strings" allowed. CloudFront's sc-status 000: no response.
/// for l in lines(f):
///     if l.startswith('#'):
///         if l.startswith('#Fields:'): cols = l[8:].split()
///         continue
///     v = l.split('\t') if sep == 'tab' else re.findall(r'"[^"]*"|[^ ]+', l)
///     if cols is None or len(v) != len(cols): bad += 1; continue
///     r = dict(zip(cols, v))
///     if r['sc-status'] == '000' or not (100 <= int(r['sc-status']) <= 599): bad += 1; continue
///     d, t = (r['date'], r['time']) if 'date' in r else (r['date-local'], r['time-local'])
///     reqs.append((int(r['sc-status']), d + 'T' + t))
/// ```
#[test]
fn cloudfront_and_w3c() {
    for c in [
        // The 33-field header; a status 000 line and a truncated last line.
        Case {
            file: "cloudfront.log",
            format: "cloudfront",
            requests: 10,
            malformed: 2,
            by_status: json!({"200": 7, "502": 3}),
            first: "2019-12-04T21:02:31Z",
            last: "2022-11-15T08:43:04Z",
        },
        // The old 12-field header, then the 33-field one later in the file.
        Case {
            file: "cloudfront-header-change.log",
            format: "cloudfront",
            requests: 5,
            malformed: 0,
            by_status: json!({"200": 2, "304": 1, "502": 1, "503": 1}),
            first: "2010-11-01T12:00:01Z",
            last: "2019-12-13T22:36:27Z",
        },
        // Three header blocks with other columns each; its last two lines do
        // not have the columns of the header above them.
        Case {
            file: "iis.log",
            format: "w3c",
            requests: 3,
            malformed: 2,
            by_status: json!({"200": 3}),
            first: "2018-01-01T08:09:10Z",
            last: "2018-01-01T10:11:12Z",
        },
        Case {
            file: "iis-7.5.log",
            format: "w3c",
            requests: 4,
            malformed: 0,
            by_status: json!({"200": 3, "404": 1}),
            first: "2018-08-28T18:24:25Z",
            last: "2019-03-06T18:43:17Z",
        },
        Case {
            file: "w3c-httpapi.log",
            format: "w3c",
            requests: 1,
            malformed: 0,
            by_status: json!({"200": 1}),
            first: "2002-05-02T17:42:15Z",
            last: "2002-05-02T17:42:15Z",
        },
        // Advanced Logging: local date and time, quoted values, CRLF.
        Case {
            file: "iis-advanced-local.log",
            format: "w3c",
            requests: 3,
            malformed: 0,
            by_status: json!({"200": 1, "404": 1, "500": 1}),
            first: "2012-03-05T09:15:00.123Z",
            last: "2012-03-05T09:15:02.500Z",
        },
    ] {
        check(&c);
    }
    let r = analyze(&["formats/cloudfront.log"], 0);
    assert_eq!(
        sample_reasons(&r),
        [
            (10, "cloudfront: status 000 (the viewer went away)"),
            (
                14,
                "cloudfront: not as many fields as the #Fields header names (line cut short?)"
            ),
        ]
    );
}

/// ```python
/// # HAProxy configuration manual 8.2.3 (HTTP log format):
/// # client:port [accept_date] frontend backend/server TR/Tw/Tc/Tr/Ta status bytes ... "request"
/// rx = re.compile(r'(?:(\S+):(\d+) )?\[([^\]]*)\] \S+ \S+(?: \S+)? [-+\d]+/[-+\d]+/[-+\d]+/[-+\d]+/[-+\d]+ (\d{3}) .*"([^"]*)"')
/// for l in lines(f):
///     m = rx.search(l)
///     if not m: bad += 1; continue
///     if m.group(3): t = dd/Mon/yyyy:HH:MM:SS.mmm of group 3, as UTC
///     else:  # empty accept date: the syslog header's time when it has a date
///         iso = re.match(r'(?:<\d+>1 )?(\d{4}-\d\d-\d\dT\S+)', l)
///         if not iso: bad += 1; continue
///         t = iso.group(1)
///     reqs.append((int(m.group(4)), t))
/// ```
#[test]
fn haproxy() {
    for c in [
        Case {
            file: "haproxy.log",
            format: "haproxy",
            requests: 10,
            malformed: 0,
            by_status: json!({"200": 5, "302": 1, "304": 1, "403": 1, "404": 2}),
            first: "2018-07-30T09:03:52.726Z",
            last: "2021-06-22T12:03:08.833Z",
        },
        // Startup messages and an SSL handshake failure among requests.
        Case {
            file: "haproxy-lnav.log",
            format: "haproxy",
            requests: 13,
            malformed: 4,
            by_status: json!({"200": 13}),
            first: "2019-02-25T16:19:48.143Z",
            last: "2019-02-25T16:20:12.331Z",
        },
        Case {
            file: "haproxy-badreq.log",
            format: "haproxy",
            requests: 1,
            malformed: 0,
            by_status: json!({"400": 1}),
            first: "2025-09-29T08:33:00.277Z",
            last: "2025-09-29T08:33:00.277Z",
        },
        Case {
            file: "haproxy-https.log",
            format: "haproxy",
            requests: 1,
            malformed: 0,
            by_status: json!({"200": 1}),
            first: "2009-02-06T12:14:14.655Z",
            last: "2009-02-06T12:14:14.655Z",
        },
        // IPv6 clients, empty accept dates, <BADREQ>, a TCP-mode line, a
        // format without the client (as haproxy-ingress logs).
        Case {
            file: "haproxy-odd.log",
            format: "haproxy",
            requests: 4,
            malformed: 2,
            by_status: json!({"200": 1, "400": 1, "503": 1, "504": 1}),
            first: "2023-03-01T10:00:00.120Z",
            last: "2023-03-01T10:00:05.042Z",
        },
    ] {
        check(&c);
    }
    let r = analyze(&["formats/haproxy-odd.log"], 0);
    assert_eq!(
        sample_reasons(&r),
        [
            (3, "haproxy: empty accept date and no dated syslog header"),
            (
                5,
                "haproxy: not an HTTP log line (TCP mode, or a message of the proxy)"
            ),
        ]
    );
}

/// ```python
/// # Envoy access logging docs: default format
/// # [START_TIME] "METHOD PATH PROTOCOL" RESPONSE_CODE RESPONSE_FLAGS ...;
/// # JSON: start_time, response_code; code 0: no response was sent
/// for l in lines(f):
///     if l.startswith('{'):
///         o = json.loads(l)
///         inner = o.get('log') or o.get('message')
///         if isinstance(inner, str): l = inner.strip()
///         else:
///             c = o.get('response_code')
///             if c and 100 <= c <= 599 and o.get('start_time'): reqs.append((c, o['start_time']))
///             else: bad += 1
///             continue
///     m = re.search(r'\[(\d{4}-[^\]]+)\] "[^"]*" (\d+) ', l)
///     if m and 100 <= int(m.group(2)) <= 599: reqs.append((int(m.group(2)), m.group(1)))
///     else: bad += 1
/// ```
#[test]
fn envoy() {
    for c in [
        // A TCP proxy line (`"- - -"`, code 0) and an HTTP one.
        Case {
            file: "envoy.log",
            format: "envoy",
            requests: 1,
            malformed: 1,
            by_status: json!({"200": 1}),
            first: "2019-02-12T18:37:42.921Z",
            last: "2019-02-12T18:37:42.921Z",
        },
        // The same line as a Kubernetes container log wraps it in JSON.
        Case {
            file: "envoy-container.log",
            format: "envoy",
            requests: 1,
            malformed: 0,
            by_status: json!({"200": 1}),
            first: "2019-02-12T18:37:42.921Z",
            last: "2019-02-12T18:37:42.921Z",
        },
        Case {
            file: "envoy-istio.jsonl",
            format: "envoy",
            requests: 2,
            malformed: 1,
            by_status: json!({"200": 1, "503": 1}),
            first: "2023-03-01T10:00:00.100Z",
            last: "2023-03-01T10:00:01.200Z",
        },
    ] {
        check(&c);
    }
}

/// ```python
/// # Cloud Logging LogEntry: httpRequest.status, timestamp
/// for l in lines(f):
///     o = json.loads(l); s = o.get('httpRequest', {}).get('status')
///     if s and o.get('timestamp'): reqs.append((s, o['timestamp']))
///     else: bad += 1
/// ```
#[test]
fn gcp_lb() {
    check(&Case {
        file: "gcp_lb.jsonl",
        format: "gcp_lb",
        requests: 3,
        malformed: 0,
        by_status: json!({"304": 3}),
        first: "2020-06-08T23:41:30.078651Z",
        last: "2020-06-08T23:41:30.078651Z",
    });
}

/// ```python
/// # Apache mod_log_config: vhost_combined is
/// # %v:%p %h %l %u %t "%r" %>s %O "%{Referer}i" "%{User-Agent}i"
/// for l in lines(f):
///     m = re.match(r'[^ :]+:\d+ \S+ \S+ \S+ \[(\d\d)/(\w+)/(\d{4}):(\d\d:\d\d:\d\d) ([+-]\d{4})\] "[^"]*" (\d{3}) ', l)
///     if not m: bad += 1; continue
///     reqs.append((int(m.group(6)), the time in UTC))
/// ```
#[test]
fn vhost_combined() {
    check(&Case {
        file: "vhost_combined.log",
        format: "vhost_combined",
        requests: 3,
        malformed: 0,
        by_status: json!({"200": 1, "301": 1, "502": 1}),
        first: "2023-03-01T09:00:00Z",
        last: "2023-03-01T09:00:02Z",
    });
}

/// A directory as an S3 bucket of a mixed estate holds it: ALB logs
/// gzipped as AWS delivers them, an nginx log, Envoy JSON. Each file gets
/// its own format, and the gzipped ALB file counts as the plain one.
#[test]
fn a_mixed_directory_gets_each_file_right() {
    let dir = tempfile::tempdir().unwrap();
    let alb = std::fs::read(data().join("formats/alb.log")).unwrap();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    std::io::Write::write_all(&mut gz, &alb).unwrap();
    let name = "123456789012_elasticloadbalancing_us-east-2_app.my-loadbalancer.50dc6c495c0c9188_20180702T2220Z_192.168.131.39_2et2e1mx.log.gz";
    std::fs::write(dir.path().join(name), gz.finish().unwrap()).unwrap();
    std::fs::copy(data().join("combined.log"), dir.path().join("nginx.log")).unwrap();
    std::fs::copy(
        data().join("formats/envoy-istio.jsonl"),
        dir.path().join("istio.jsonl"),
    )
    .unwrap();
    let r = analyze(&[dir.path().to_str().unwrap()], 0);
    let mut got: Vec<(String, String, String)> = r["summary"]["inputs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            let path = i["path"].as_str().unwrap();
            let file = path.rsplit('/').next().unwrap().to_owned();
            let f = |k: &str| i[k].as_str().unwrap().to_owned();
            (file, f("format"), f("compression"))
        })
        .collect();
    got.sort();
    let own = |a: &str, b: &str, c: &str| (a.to_owned(), b.to_owned(), c.to_owned());
    assert_eq!(
        got,
        [
            own(name, "alb", "gzip"),
            own("istio.jsonl", "envoy", "none"),
            own("nginx.log", "combined", "none"),
        ]
    );
    // alb.log 3 + 7, combined.log 11 + 3, envoy-istio.jsonl 2 + 1.
    assert_eq!(counts(&r["summary"]), (27, 16, 11));
}

/// A format forced on a file of another is a file of malformed lines whose
/// reason names the forced format.
#[test]
fn a_forced_format_names_itself_in_the_reasons() {
    for (format, file, reason) in [
        (
            "alb",
            "formats/elb-http.log",
            "alb: fields missing or out of place for an ALB access log line",
        ),
        (
            "w3c",
            "formats/alb.log",
            "w3c: no #Fields header before this line",
        ),
        (
            "envoy",
            "formats/haproxy.log",
            "envoy: fields missing or out of place for an Envoy access log line",
        ),
        (
            "gcp_lb",
            "formats/envoy-istio.jsonl",
            "gcp_lb: no httpRequest.status or timestamp",
        ),
        (
            "vhost_combined",
            "common.log",
            "vhost_combined: no host:port before the client",
        ),
    ] {
        let r = analyze(&["--format", format, file], 0);
        assert_eq!(r["summary"]["requests"], 0, "{format} on {file}");
        assert_eq!(sample_reasons(&r)[0].1, reason, "{format} on {file}");
    }
}

/// The whole folder of samples, walked as a directory with no flags: every
/// file is read in its own format, and none is skipped as "not a log"
/// (even `elb-tcp.log`, which holds no request).
#[test]
fn every_sample_file_is_detected_in_a_directory_walk() {
    let r = analyze(&["formats/"], 0);
    let got: Vec<(String, String)> = r["summary"]["inputs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            let file = i["path"].as_str().unwrap().rsplit('/').next().unwrap();
            (file.to_owned(), i["format"].as_str().unwrap().to_owned())
        })
        .collect();
    let want = [
        ("alb-odd.log", "alb"),
        ("alb.log", "alb"),
        ("cloudfront-header-change.log", "cloudfront"),
        ("cloudfront.log", "cloudfront"),
        ("elb-http.log", "elb"),
        ("elb-tcp.log", "elb"),
        ("envoy-container.log", "envoy"),
        ("envoy-istio.jsonl", "envoy"),
        ("envoy.log", "envoy"),
        ("gcp_lb.jsonl", "gcp_lb"),
        ("haproxy-badreq.log", "haproxy"),
        ("haproxy-https.log", "haproxy"),
        ("haproxy-lnav.log", "haproxy"),
        ("haproxy-odd.log", "haproxy"),
        ("haproxy.log", "haproxy"),
        ("iis-7.5.log", "w3c"),
        ("iis-advanced-local.log", "w3c"),
        ("iis.log", "w3c"),
        ("vhost_combined.log", "vhost_combined"),
        ("w3c-httpapi.log", "w3c"),
    ];
    let mut got_sorted = got.clone();
    got_sorted.sort();
    let want: Vec<(String, String)> = want
        .iter()
        .map(|(f, k)| ((*f).to_owned(), (*k).to_owned()))
        .collect();
    assert_eq!(got_sorted, want);
    // count.py and SOURCES.md are skipped as not logs, and named.
    let skipped: Vec<&str> = r["summary"]["skipped"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["path"].as_str().unwrap().rsplit('/').next().unwrap())
        .collect();
    assert_eq!(skipped, ["SOURCES.md", "count.py"]);
}

/// The README's example lines of the format table are real: each whole
/// one (the ALB, CloudFront and Cloud Logging ones are cut with `…`) is one
/// request, detected as its row's format with no flags.
#[test]
fn the_readme_format_examples_parse_as_their_format() {
    let readme =
        std::fs::read_to_string(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md"))
            .unwrap();
    let table = readme
        .split("#### Load balancers and proxies")
        .nth(1)
        .expect("the README's table of load-balancer formats");
    let dir = tempfile::tempdir().unwrap();
    let mut checked = Vec::new();
    let rows = table
        .lines()
        .skip_while(|l| !l.starts_with('|'))
        .take_while(|l| l.starts_with('|'))
        .filter(|l| l.starts_with("| `"));
    for row in rows {
        let cells: Vec<&str> = row.split(" | ").collect();
        let format = cells[0]
            .trim_start_matches("| `")
            .split('`')
            .next()
            .unwrap();
        // The code spans of the example cell: the line, then (for W3C) its header.
        let spans: Vec<&str> = cells[1].split('`').skip(1).step_by(2).collect();
        let (line, header) = (spans[0], spans.get(1));
        if line.contains('…') {
            continue;
        }
        let text = match (format, header) {
            ("w3c", Some(h)) => format!("{h}\n{line}\n"),
            _ => format!("{line}\n"),
        };
        let path = dir.path().join(format!("{format}.log"));
        std::fs::write(&path, text).unwrap();
        let r = analyze(&[path.to_str().unwrap()], 0);
        assert_eq!(r["summary"]["inputs"][0]["format"], format, "{row}");
        assert_eq!(counts(&r["summary"]), (1, 1, 0), "{row}");
        checked.push(format);
    }
    assert_eq!(
        checked,
        ["elb", "w3c", "haproxy", "envoy", "vhost_combined"]
    );
}
