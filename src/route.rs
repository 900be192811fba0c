//! Route templating: `/v1/customers/cus_8KdJ2x/cards/42` → `/v1/customers/{id}/cards/{id}`,
//! so that requests to the same endpoint group together.

/// Writes the route of `path` into `out` (cleared first). Reusing `out`
/// keeps the hot path free of allocations.
#[cfg(any(test, feature = "query"))]
pub(crate) fn template_into(path: &str, out: &mut String) {
    out.clear();
    template_append(path, out);
}

/// Appends the route of `path` to `out`.
pub(crate) fn template_append(path: &str, out: &mut String) {
    let mut rest = path;
    loop {
        // Cutting at an ASCII '/' always falls on a char boundary.
        // Segments are short: a plain loop beats memchr's setup.
        let (segment, next) = match rest.bytes().position(|c| c == b'/') {
            Some(i) => (&rest[..i], Some(&rest[i + 1..])),
            None => (rest, None),
        };
        if is_id(segment) {
            out.push_str("{id}");
        } else {
            out.push_str(segment);
        }
        match next {
            Some(n) => {
                out.push('/');
                rest = n;
            }
            None => break,
        }
    }
}

/// The route of `path` as a new string.
#[cfg(test)]
pub(crate) fn template(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    template_into(path, &mut out);
    out
}

/// All digits, a UUID, a long hex string, or a prefixed id such as `prod_8KdJ2x`.
fn is_id(s: &str) -> bool {
    if s.is_empty() {
        return false;
    }
    let b = s.as_bytes();
    if b.iter().all(u8::is_ascii_digit) {
        return true;
    }
    if is_uuid(b) {
        return true;
    }
    // Long hex: object ids, hashes. Needs a digit so that words like
    // "deadbeefcafe" in a path are rare false positives rather than common ones.
    if b.len() >= 16 && b.iter().all(u8::is_ascii_hexdigit) && b.iter().any(u8::is_ascii_digit) {
        return true;
    }
    is_prefixed_id(b)
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

    proptest::proptest! {
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
