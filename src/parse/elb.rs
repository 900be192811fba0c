//! AWS Classic Load Balancer access logs (`elb`):
//!
//! `time elb client:port backend:port request_time backend_time response_time
//! elb_status backend_status received sent "request" "user_agent" cipher protocol`
//!
//! The same rules as `alb`: `backend_status_code` is the upstream status,
//! the duration is the three processing times summed (none when any is
//! `-1`). TCP and SSL listeners log status `-` and a request of `"- - - "`:
//! those lines are connections, not requests, and are malformed with a
//! reason that says so.

use super::alb::duration_ms;
use super::words::{field, host_of, iso_utc, number, request, status, Words};
use super::Malformed;
use crate::event::Event;

/// Fields up to the user agent, the last one read.
const FIELDS: usize = 13;

/// Parses Classic Load Balancer access log lines.
#[derive(Debug, Default, Clone)]
pub(crate) struct ElbParser;

impl ElbParser {
    pub(crate) fn parse<'a>(&mut self, line: &'a [u8]) -> Result<Event<'a>, Malformed> {
        let (f, n) = Words::first::<FIELDS>(line)?;
        // The time opens the line; the client and backend are `ip:port`.
        let ts = Some(f[0].bytes())
            .filter(|t| t.first().is_some_and(u8::is_ascii_digit))
            .and_then(iso_utc)
            .ok_or(Malformed::ElbFields)?;
        if n < FIELDS || !f[2].bytes().contains(&b':') {
            return Err(Malformed::ElbFields);
        }
        let (Some(req), Some(ua)) = (f[11].quoted(), f[12].quoted()) else {
            return Err(Malformed::ElbFields);
        };
        let code = match f[7].bytes() {
            b"-" => return Err(Malformed::ElbTcp),
            s => status(s).ok_or(Malformed::ElbFields)?,
        };
        let mut ev = Event::new(ts, code);
        ev.upstream_status = status(f[8].bytes());
        ev.client = host_of(f[2].bytes());
        ev.bytes = number(f[10].bytes());
        ev.duration_ms = duration_ms([f[4].bytes(), f[5].bytes(), f[6].bytes()]);
        (ev.method, ev.path) = request(req);
        ev.user_agent = field(ua);
        Ok(ev)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_http_and_rejects_tcp_lines() {
        let http = br#"2019-10-14T12:00:20.694172Z filebeat-aws-elb-test 175.16.199.1:54106 10.0.1.185:80 0.000043 0.000785 0.000023 503 504 0 612 "GET http://18.194.223.56:80/x?y HTTP/1.1" "curl" - -"#;
        let ev = ElbParser.parse(http).unwrap();
        assert_eq!((ev.status, ev.upstream_status), (503, Some(504)));
        assert_eq!(ev.path.as_deref(), Some("/x"));
        assert_eq!(ev.client.as_deref(), Some("175.16.199.1"));
        let tcp = br#"2019-10-17T13:22:51.758784Z filebeat-aws-elb-test-elb 77.227.156.41:51600 10.0.0.47:80 0.000943 0.00001 0.000015 - - 134 859 "- - - " "-" - -"#;
        assert_eq!(ElbParser.parse(tcp), Err(Malformed::ElbTcp));
        let alb = br#"http 2018-07-02T22:23:00.186641Z app/x/5 1.2.3.4:1 5.6.7.8:80 0 0 0 200 200 1 1 "GET / HTTP/1.1" "c""#;
        assert_eq!(ElbParser.parse(alb), Err(Malformed::ElbFields));
    }
}
