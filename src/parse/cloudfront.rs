//! CloudFront standard logs (`cloudfront`), a W3C extended format read by
//! the engine of [`super::w3c`]: tab-separated columns named by `#Fields`
//! (CloudFront's list grew from 12 fields to 33 over the years, and a file
//! says which it holds), `date` + `time` in UTC, `time-taken` in seconds,
//! `x-edge-request-id` as the request id. Status `000` means the viewer
//! went away before a response: malformed, as Caddy's status 0 is.
//! `cs(User-Agent)` stays URL-encoded (`Mozilla/5.0%20(...)`) as CloudFront
//! writes it: decoding it would cost an allocation per line.

use super::w3c::{Flavor, W3cParser};

/// A parser of CloudFront standard logs.
pub(crate) fn parser() -> W3cParser {
    W3cParser::new(Flavor::Cloudfront)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::Malformed;

    #[test]
    fn cloudfront_zero_status_and_resume() {
        let mut p = parser();
        let header: &[u8] = b"#Fields: date time x-edge-location sc-bytes c-ip cs-method cs(Host) cs-uri-stem sc-status cs(Referer) cs(User-Agent) cs-uri-query";
        p.resume(Some(header));
        let ok = b"2014-05-23\t01:13:11\tFRA2\t182\t192.0.2.10\tGET\td111111abcdef8.cloudfront.net\t/view/my/file.html\t200\twww.displaymyfiles.com\tMozilla/4.0\t-";
        let ev = p.parse(ok).unwrap();
        assert_eq!((ev.status, ev.bytes), (200, Some(182)));
        let gone = b"2014-05-23\t01:13:11\tFRA2\t182\t192.0.2.10\tGET\td1.cloudfront.net\t/\t000\t-\tMozilla/4.0\t-";
        assert_eq!(p.parse(gone), Err(Malformed::CloudfrontNoResponse));
        p.resume(None);
        assert_eq!(p.parse(ok), Err(Malformed::CloudfrontNoHeader));
    }
}
