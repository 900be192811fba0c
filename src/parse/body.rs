//! Reads the API's JSON error body (SPEC §1): `{"type","code","param","message"}`,
//! flat or wrapped as `{"error": {...}}`, as an object or a string holding JSON.

use crate::event::{ApiError, Body};
use serde_json::Value;

/// The body text a log field held. `strict` says the field is known to be the
/// response body (a JSON-lines `body` field): then any text that is not a JSON
/// error counts as unparsed. Otherwise (the last quoted extra field of an
/// access log, which may just as well be `$http_x_forwarded_for`) only text that
/// looks like a body — a JSON object or an HTML page — is taken as one.
pub fn from_text(text: &[u8], strict: bool) -> Body {
    let t = text.trim_ascii();
    if t.is_empty() || t == b"-" {
        return Body::Absent;
    }
    match t[0] {
        b'{' => match serde_json::from_slice::<Value>(t) {
            Ok(v) => from_value(&v),
            Err(_) => Body::Unparsed,
        },
        b'<' => Body::Unparsed,
        _ if strict => Body::Unparsed,
        _ => Body::Absent,
    }
}

/// A body field already parsed as JSON: an object, or a string holding JSON.
pub fn from_value(v: &Value) -> Body {
    match v {
        Value::Null => Body::Absent,
        Value::String(s) => from_text(s.as_bytes(), true),
        Value::Object(map) => {
            let inner = match map.get("error") {
                Some(Value::Object(e)) => e,
                _ => map,
            };
            let error_type = scalar(inner.get("type"));
            let code = scalar(inner.get("code"));
            if error_type.is_none() && code.is_none() {
                return Body::Unparsed;
            }
            Body::Error(ApiError {
                error_type,
                code,
                param: scalar(inner.get("param")),
                message: scalar(inner.get("message")),
            })
        }
        _ => Body::Unparsed,
    }
}

/// A string, number or boolean as text; null, absent, arrays and objects as None.
fn scalar(v: Option<&Value>) -> Option<String> {
    match v? {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(t: Option<&str>, c: Option<&str>, p: Option<&str>, m: Option<&str>) -> Body {
        Body::Error(ApiError {
            error_type: t.map(str::to_owned),
            code: c.map(str::to_owned),
            param: p.map(str::to_owned),
            message: m.map(str::to_owned),
        })
    }

    #[test]
    fn flat_and_wrapped() {
        let flat = br#"{"type":"invalid_request","code":"parameter_missing","param":"address.line1","message":"Missing line1","extra":1}"#;
        let want = err(
            Some("invalid_request"),
            Some("parameter_missing"),
            Some("address.line1"),
            Some("Missing line1"),
        );
        assert_eq!(from_text(flat, false), want);
        let wrapped = br#"{"error":{"type":"invalid_request","code":"parameter_missing","param":"address.line1","message":"Missing line1"}}"#;
        assert_eq!(from_text(wrapped, false), want);
    }

    #[test]
    fn null_param_and_code_only() {
        assert_eq!(
            from_text(br#"{"code":"rate_limited","param":null}"#, false),
            err(None, Some("rate_limited"), None, None)
        );
        assert_eq!(
            from_text(br#"{"type":"api_error","code":500}"#, false),
            err(Some("api_error"), Some("500"), None, None)
        );
    }

    #[test]
    fn unparsed_bodies() {
        assert_eq!(from_text(br#"{"type":"api_er"#, false), Body::Unparsed);
        assert_eq!(
            from_text(b"<html>502 Bad Gateway</html>", false),
            Body::Unparsed
        );
        assert_eq!(from_text(br#"{"message":"oops"}"#, false), Body::Unparsed);
        assert_eq!(from_text(b"Bad Gateway", true), Body::Unparsed);
    }

    #[test]
    fn not_a_body() {
        assert_eq!(from_text(b"-", false), Body::Absent);
        assert_eq!(from_text(b"", true), Body::Absent);
        assert_eq!(from_text(b"10.0.0.1, 10.0.0.2", false), Body::Absent);
    }

    proptest::proptest! {
        #[test]
        fn no_bytes_make_it_panic(text in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..200), strict: bool) {
            let _ = from_text(&text, strict);
        }
    }

    #[test]
    fn string_holding_json() {
        let v = Value::String(r#"{"error":{"type":"rate_limit","code":"too_many"}}"#.into());
        assert_eq!(
            from_value(&v),
            err(Some("rate_limit"), Some("too_many"), None, None)
        );
    }
}
