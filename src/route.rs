//! Route templating: `/v1/customers/cus_8KdJ2x/cards/42` → `/v1/customers/{id}/cards/{id}`,
//! so that requests to the same endpoint group together.

/// Writes the route of `path` into `out` (cleared first). Reusing `out`
/// keeps the hot path free of allocations.
#[cfg(any(test, feature = "query"))]
pub(crate) fn template_into(path: &str, out: &mut String) {
    out.clear();
    template_append(path, out);
}

/// Appends the route of `path` to `out`. The text between ids is copied in
/// one piece (most segments are words): a copy per segment was a good part
/// of a line's cost.
pub(crate) fn template_append(path: &str, out: &mut String) {
    let b = path.as_bytes();
    // `path[copied..start]` is still to copy; `start` is the current segment's.
    let (mut copied, mut start) = (0, 0);
    loop {
        // One pass finds the segment's end and ORs its byte classes.
        let mut end = start;
        let mut classes = 0;
        while let Some(&c) = b.get(end) {
            let class = CLASSES[usize::from(c)];
            if class == SLASH {
                break;
            }
            classes |= class;
            end += 1;
        }
        // Cutting at an ASCII '/' always falls on a char boundary.
        if is_id(&b[start..end], classes) {
            out.push_str(&path[copied..start]);
            out.push_str("{id}");
            copied = end;
        }
        if end == b.len() {
            break;
        }
        start = end + 1;
    }
    out.push_str(&path[copied..]);
}

/// The route of `path` as a new string.
#[cfg(test)]
pub(crate) fn template(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    template_into(path, &mut out);
    out
}

/// Byte classes for [`is_id`]: a segment's classes ORed together say in
/// one pass whether it is all digits or all hex, and whether it may be a
/// prefixed id.
const DIGIT: u8 = 1;
const HEX_LETTER: u8 = 2;
const OTHER_LETTER: u8 = 4;
const UNDERSCORE: u8 = 8;
const OTHER: u8 = 16;
/// The segment separator, in a class of its own (never ORed into a segment's).
const SLASH: u8 = 32;
const CLASSES: [u8; 256] = {
    let mut t = [OTHER; 256];
    let mut c = 0;
    while c < 256 {
        let b = c as u8;
        t[c] = match b {
            b'0'..=b'9' => DIGIT,
            b'a'..=b'f' | b'A'..=b'F' => HEX_LETTER,
            b'g'..=b'z' | b'G'..=b'Z' => OTHER_LETTER,
            b'_' => UNDERSCORE,
            b'/' => SLASH,
            _ => OTHER,
        };
        c += 1;
    }
    t
};

/// All digits, a UUID, a long hex string, or a prefixed id such as
/// `prod_8KdJ2x`. `classes` is the OR of the segment's [`CLASSES`].
fn is_id(b: &[u8], classes: u8) -> bool {
    if b.is_empty() {
        return false;
    }
    if classes == DIGIT {
        return true;
    }
    if is_uuid(b) {
        return true;
    }
    // Long hex: object ids, hashes. Needs a digit so that words like
    // "deadbeefcafe" in a path are rare false positives rather than common ones.
    if b.len() >= 16 && classes & !(DIGIT | HEX_LETTER) == 0 && classes & DIGIT != 0 {
        return true;
    }
    classes & UNDERSCORE != 0 && is_prefixed_id(b)
}

fn is_uuid(b: &[u8]) -> bool {
    b.len() == 36
        && b.iter().enumerate().all(|(i, c)| match i {
            8 | 13 | 18 | 23 => *c == b'-',
            _ => c.is_ascii_hexdigit(),
        })
}

/// `prefix_rest`: a short lower-case prefix, then at least 6 alphanumerics
/// holding a digit or an upper-case letter (so `payment_methods` stays a word).
fn is_prefixed_id(b: &[u8]) -> bool {
    let Some(us) = b.iter().position(|c| *c == b'_') else {
        return false;
    };
    let (prefix, rest) = (&b[..us], &b[us + 1..]);
    (1..=12).contains(&prefix.len())
        && prefix.iter().all(u8::is_ascii_lowercase)
        && rest.len() >= 6
        && rest.iter().all(u8::is_ascii_alphanumeric)
        && rest
            .iter()
            .any(|c| c.is_ascii_digit() || c.is_ascii_uppercase())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_templated() {
        assert_eq!(template("/v1/customers/42"), "/v1/customers/{id}");
        assert_eq!(
            template("/v1/orders/123e4567-e89b-12d3-a456-426614174000/items"),
            "/v1/orders/{id}/items"
        );
        assert_eq!(template("/v1/blobs/5f2b9c0e8a1d4e7f9b3c"), "/v1/blobs/{id}");
        assert_eq!(template("/v1/products/prod_8KdJ2x"), "/v1/products/{id}");
        assert_eq!(
            template("/v1/customers/cus_9aZ3kLp0/cards/card_1Mx2"),
            "/v1/customers/{id}/cards/card_1Mx2"
        );
    }

    /// The reference reading of an id: each rule checked on its own.
    fn is_id_reference(b: &[u8]) -> bool {
        !b.is_empty()
            && (b.iter().all(u8::is_ascii_digit)
                || is_uuid(b)
                || (b.len() >= 16
                    && b.iter().all(u8::is_ascii_hexdigit)
                    && b.iter().any(u8::is_ascii_digit))
                || is_prefixed_id(b))
    }

    /// The reference templating: segment by segment.
    fn template_reference(path: &str) -> String {
        path.split('/')
            .map(|s| {
                if is_id_reference(s.as_bytes()) {
                    "{id}"
                } else {
                    s
                }
            })
            .collect::<Vec<_>>()
            .join("/")
    }

    proptest::proptest! {
        #[test]
        fn one_pass_agrees_with_the_rules(path in "(/([0-9a-fA-F-]{0,40}|[a-z]{1,4}_[a-zA-Z0-9_]{0,10}|[ -~]{0,12}|\\PC{0,4})){0,6}") {
            proptest::prop_assert_eq!(template(&path), template_reference(&path));
        }

        #[test]
        fn templating_keeps_the_segment_count(path in "(/[a-zA-Z0-9_.-]{0,20}){0,6}") {
            let route = template(&path);
            proptest::prop_assert_eq!(route.split('/').count(), path.split('/').count());
            proptest::prop_assert_eq!(template(&route), route.clone());
        }
    }

    #[test]
    fn words_are_kept() {
        assert_eq!(template("/v1/payment_methods"), "/v1/payment_methods");
        assert_eq!(template("/v1/sts-70/x.gif"), "/v1/sts-70/x.gif");
        assert_eq!(template("/v2/"), "/v2/");
        assert_eq!(template("/"), "/");
        assert_eq!(template(""), "");
        assert_eq!(template("/api/deadbeef"), "/api/deadbeef");
    }
}
