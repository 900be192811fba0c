//! AWS Application Load Balancer access logs (`alb`):
//!
//! `type time elb client:port target:port request_time target_time response_time
//! elb_status target_status received sent "request" "user_agent" cipher protocol
//! target_group_arn "trace_id" ...` — and more fields, added over the years,
//! which are not read.
//!
//! The status is `elb_status_code`; `target_status_code` is the upstream
//! status (`-` when no target answered). The duration is the sum of the three
//! processing times, none when any is `-1` (the target failed or was never
//! reached). The trace id (`Root=1-...`) is the request id.
//!
//! The same bucket can hold Network Load Balancer (`tls 2.0 ...`) records and
//! ALB connection-log lines: they are not requests, and are malformed with a
//! reason that says so rather than a generic one.

use super::words::{decimal, field, host_of, iso_utc, number, request, status, Words};
use super::Malformed;
use crate::event::Event;

/// The request types an ALB writes in its first field.
const TYPES: [&[u8]; 6] = [b"http", b"https", b"h2", b"grpcs", b"ws", b"wss"];

/// Fields up to and including `trace_id`, the last one read.
const FIELDS: usize = 18;

/// Parses ALB access log lines.
#[derive(Debug, Default, Clone)]
pub(crate) struct AlbParser;

impl AlbParser {
    pub(crate) fn parse<'a>(&mut self, line: &'a [u8]) -> Result<Event<'a>, Malformed> {
        let (f, n) = Words::first::<FIELDS>(line)?;
        let kind = f[0].bytes();
        if !TYPES.contains(&kind) {
            // NLB records start with `tls`; connection logs with their time,
            // the client address and its port as a word of its own (a
            // Classic ELB line has `ip:port` there).
            let connection = kind.first().is_some_and(u8::is_ascii_digit)
                && n > 2
                && number(f[2].bytes()).is_some();
            return Err(if kind == b"tls" || connection {
                Malformed::AlbOtherRecord
            } else {
                Malformed::AlbFields
            });
        }
        if n < FIELDS {
            return Err(Malformed::AlbFields);
        }
        let (Some(req), Some(ua), Some(trace)) = (f[12].quoted(), f[13].quoted(), f[17].quoted())
        else {
            return Err(Malformed::AlbFields);
        };
        let ts = iso_utc(f[1].bytes()).ok_or(Malformed::BadTime)?;
        let code = status(f[8].bytes()).ok_or(Malformed::AlbFields)?;
        let mut ev = Event::new(ts, code);
        ev.upstream_status = status(f[9].bytes());
        ev.client = host_of(f[3].bytes());
        ev.bytes = number(f[11].bytes());
        ev.duration_ms = duration_ms([f[5].bytes(), f[6].bytes(), f[7].bytes()]);
        (ev.method, ev.path) = request(req);
        ev.user_agent = field(ua);
        ev.request_id = field(trace);
        Ok(ev)
    }
}

/// The sum of processing times in seconds, as milliseconds; none when any
/// is `-1` (ALB and ELB write it for a target that failed or was never reached).
pub(crate) fn duration_ms(parts: [&[u8]; 3]) -> Option<f64> {
    let mut sum = 0.0;
    for p in parts {
        let s = decimal(p)?;
        if s < 0.0 {
            return None;
        }
        sum += s;
    }
    Some(sum * 1000.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    const LINE: &[u8] = br#"http 2018-07-02T22:23:00.186641Z app/my-loadbalancer/50dc6c495c0c9188 192.168.131.39:2817 10.0.0.1:80 0.000 0.001 0.000 200 200 34 366 "GET http://www.example.com:80/ HTTP/1.1" "curl/7.46.0" - - arn:aws:elasticloadbalancing:us-east-2:123456789012:targetgroup/my-targets/73e2d6bc24d8a067 "Root=1-58337262-36d228ad5d99923122bbe354" "-" "-" 0 2018-07-02T22:22:48.364000Z "forward,redirect" "-" "-" "10.0.0.1:80" "200" "-" "-""#;

    #[test]
    fn reads_an_alb_line() {
        let ev = AlbParser.parse(LINE).unwrap();
        assert_eq!(ev.status, 200);
        assert_eq!(ev.upstream_status, Some(200));
        assert_eq!(ev.ts, 1_530_570_180_186_641);
        assert_eq!(ev.method.as_deref(), Some("GET"));
        assert_eq!(ev.path.as_deref(), Some("/"));
        assert_eq!(ev.client.as_deref(), Some("192.168.131.39"));
        assert_eq!(ev.bytes, Some(366));
        assert_eq!(ev.duration_ms, Some(1.0));
        assert_eq!(
            ev.request_id.as_deref(),
            Some("Root=1-58337262-36d228ad5d99923122bbe354")
        );
    }

    #[test]
    fn failed_targets_and_odd_records() {
        let failed = br#"http 2022-05-12T06:41:29.051646Z app/a/3011821a43ee0c5e 67.43.156.20:41542 - -1 -1 -1 502 - 233 390 "- - - " "-" - - - "-" "-" "-" 0 2022-05-12T06:41:29.051000Z "forward""#;
        let ev = AlbParser.parse(failed).unwrap();
        assert_eq!(
            (ev.status, ev.upstream_status, ev.duration_ms),
            (502, None, None)
        );
        assert_eq!((ev.method, ev.path, ev.request_id), (None, None, None));
        let nlb = b"tls 2.0 2018-12-20T02:59:40 net/my-network-loadbalancer/c6e77e28c25b2234 g3d4b5e8bb8464cd 192.168.131.39:2817 10.0.0.1:80 5 2 98 246 -";
        assert_eq!(AlbParser.parse(nlb), Err(Malformed::AlbOtherRecord));
        let conn = b"2024-11-29T13:45:24.599544Z 172.31.43.26 58206 80 - - - \"-\" - - - TID_16132ed0b4112148";
        assert_eq!(AlbParser.parse(conn), Err(Malformed::AlbOtherRecord));
        // One field (the target) missing: the request is no longer where it belongs.
        let missing = br#"http 2018-07-02T22:23:00.186641Z app/my-loadbalancer/50dc6c495c0c9188 192.168.131.39:2817 0.000 0.001 0.000 200 200 34 366 "GET http://www.example.com:80/ HTTP/1.1" "curl/7.46.0" - - arn "Root=1-5" "-""#;
        assert_eq!(AlbParser.parse(missing), Err(Malformed::AlbFields));
    }
}
