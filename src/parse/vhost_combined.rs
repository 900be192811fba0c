//! Apache's `vhost_combined` (`%v:%p %h %l %u %t "%r" %>s %O "%{Referer}i"
//! "%{User-Agent}i"`): the virtual host and port, then a combined line.
//!
//! The combined parser already reads such a line (SPEC §2 lets a vhost
//! stand before the client); this format names it, and insists on the
//! prefix, so that a file of them is reported as what it is.

use super::clf::{ClfParser, Flavor};
use super::Malformed;
use crate::event::Event;

/// Parses `vhost:port` followed by a combined (or common) line.
#[derive(Debug, Clone)]
pub(crate) struct VhostParser {
    clf: ClfParser,
}

impl VhostParser {
    pub(crate) fn new(details: bool) -> Self {
        VhostParser {
            clf: ClfParser::with_details(details),
        }
    }

    pub(crate) fn parse<'a>(&'a mut self, line: &'a [u8]) -> Result<Event<'a>, Malformed> {
        let rest = vhost_prefix(line).ok_or(Malformed::VhostNoPrefix)?;
        self.clf.parse_event(rest, &mut Flavor::Common)
    }
}

/// The line after `host:port `, when it starts with one and the four words
/// `host:port client ident user` stand before the `[`.
fn vhost_prefix(line: &[u8]) -> Option<&[u8]> {
    let space = memchr::memchr(b' ', line)?;
    let (host, port) = line[..space].split_at(memchr::memrchr(b':', &line[..space])?);
    let port = &port[1..];
    if host.is_empty()
        || host.contains(&b':')
        || host.contains(&b'[')
        || port.is_empty()
        || !port.iter().all(u8::is_ascii_digit)
    {
        return None;
    }
    let rest = &line[space + 1..];
    let open = memchr::memchr(b'[', rest)?;
    let words = rest[..open]
        .split(|b| *b == b' ')
        .filter(|w| !w.is_empty())
        .count();
    (words == 3).then_some(rest)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn needs_the_vhost() {
        let mut p = VhostParser::new(true);
        let line = br#"www.example.com:443 192.0.2.7 - - [10/Oct/2023:13:55:36 +0000] "GET /api/v1/items?id=3 HTTP/1.1" 502 120 "-" "curl/8.0""#;
        let ev = p.parse(line).unwrap();
        assert_eq!((ev.status, ev.client.as_deref()), (502, Some("192.0.2.7")));
        assert_eq!(ev.path.as_deref(), Some("/api/v1/items"));
        let plain = br#"192.0.2.7 - - [10/Oct/2023:13:55:36 +0000] "GET / HTTP/1.1" 200 1 "-" "c""#;
        assert_eq!(p.parse(plain), Err(Malformed::VhostNoPrefix));
        let v6 = br#"::1 - - [10/Oct/2023:13:55:36 +0000] "GET / HTTP/1.1" 200 1 "-" "c""#;
        assert_eq!(p.parse(v6), Err(Malformed::VhostNoPrefix));
    }
}
