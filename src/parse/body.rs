//! Reads the API's JSON error body (SPEC §1): `{"type","code","param","message"}`,
//! flat or wrapped as `{"error": {...}}`, as an object or a string holding JSON;
//! or, as bulk endpoints answer a 202, an `errors` array of them (one per
//! failed item).
//!
//! [`from_text`] is on the hot path (a third of the lines of a busy API's log
//! are errors), so it reads the body in one pass with the JSON-lines scanner
//! (`json::Scanner`), borrowing the four strings from the text and skipping
//! everything else; what the scanner leaves (numbers among the four fields,
//! `errors` arrays, escaped keys, anything invalid) goes to a serde visitor
//! that does the same. Neither builds a `serde_json::Value`, and both give
//! exactly what [`from_value`] gives on the parsed `Value` (a property test
//! checks it): the last of duplicate keys wins, numbers and booleans become
//! their JSON text.

use super::json::Scanner;
use crate::event::{ApiError, Body};
use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, Visitor};
#[cfg(test)]
use serde_json::Value;
use std::borrow::Cow;
use std::fmt;

/// The visitor methods for the JSON value kinds a visitor does not read:
/// each consumes its value (arrays and objects are read through with
/// [`Skip`], so they are still checked) and returns `$value`. Shared by every
/// one-pass visitor of the JSON readers, which differ only in what they keep.
macro_rules! visit_others {
    ($de:lifetime, $value:expr; $($kind:ident),+ $(,)?) => {
        $($crate::parse::body::visit_others!(@ $kind, $de, $value);)+
    };
    (@ bool, $de:lifetime, $value:expr) => {
        fn visit_bool<E: serde::de::Error>(self, _: bool) -> Result<Self::Value, E> {
            Ok($value)
        }
    };
    (@ u64, $de:lifetime, $value:expr) => {
        fn visit_u64<E: serde::de::Error>(self, _: u64) -> Result<Self::Value, E> {
            Ok($value)
        }
    };
    (@ i64, $de:lifetime, $value:expr) => {
        fn visit_i64<E: serde::de::Error>(self, _: i64) -> Result<Self::Value, E> {
            Ok($value)
        }
    };
    (@ f64, $de:lifetime, $value:expr) => {
        fn visit_f64<E: serde::de::Error>(self, _: f64) -> Result<Self::Value, E> {
            Ok($value)
        }
    };
    (@ str, $de:lifetime, $value:expr) => {
        fn visit_str<E: serde::de::Error>(self, _: &str) -> Result<Self::Value, E> {
            Ok($value)
        }
    };
    (@ unit, $de:lifetime, $value:expr) => {
        fn visit_unit<E: serde::de::Error>(self) -> Result<Self::Value, E> {
            Ok($value)
        }
    };
    (@ seq, $de:lifetime, $value:expr) => {
        fn visit_seq<A: serde::de::SeqAccess<$de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
            while seq.next_element::<$crate::parse::body::Skip>()?.is_some() {}
            Ok($value)
        }
    };
    (@ map, $de:lifetime, $value:expr) => {
        fn visit_map<A: serde::de::MapAccess<$de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
            while map
                .next_entry::<$crate::parse::body::Skip, $crate::parse::body::Skip>()?
                .is_some()
            {}
            Ok($value)
        }
    };
}
pub(crate) use visit_others;

/// The body text a log field held. `strict` says the field is known to be the
/// response body (a JSON-lines `body` field): then any text that is not a JSON
/// error counts as unparsed. Otherwise (the last quoted extra field of an
/// access log, which may just as well be `$http_x_forwarded_for`) only text that
/// looks like a body — a JSON object or an HTML page — is taken as one.
pub(crate) fn from_text(text: &[u8], strict: bool) -> Body<'_> {
    let t = text.trim_ascii();
    if t.is_empty() || t == b"-" {
        return Body::Absent;
    }
    match t[0] {
        // One UTF-8 check of the whole body, so that serde_json does not
        // check each string again; invalid text goes the byte route, which
        // fails it where it fails.
        b'{' => match super::utf8(t) {
            Some(text) => scan_object(text)
                .unwrap_or_else(|| read_object(&mut serde_json::Deserializer::from_str(text))),
            None => read_object(&mut serde_json::Deserializer::from_slice(t)),
        },
        b'<' => Body::Unparsed,
        _ if strict => Body::Unparsed,
        _ => Body::Absent,
    }
}

/// The body object `de` holds, and nothing after it.
fn read_object<'de, R: serde_json::de::Read<'de>>(
    de: &mut serde_json::Deserializer<R>,
) -> Body<'de> {
    match Fields::seed(true)
        .deserialize(&mut *de)
        .and_then(|f| de.end().map(|()| f))
    {
        Ok(fields) => fields.into_body(),
        Err(_) => Body::Unparsed,
    }
}

/// The body object `text` holds, read in one pass by the JSON scanner, for
/// the shapes nearly every body has: the four fields as strings or null,
/// flat or in an `error` object. `None` leaves the text to serde, which
/// decides everything else: a number or boolean among the four fields
/// (serde's text of it), an `errors` member, an escaped key, anything the
/// scanner leaves to serde. No copy of the text, no allocation unless a
/// field holds escapes.
fn scan_object(text: &str) -> Option<Body<'_>> {
    let mut s = Scanner::new(text);
    let (own, wrapped) = scan_members(&mut s, true)?;
    s.ws();
    if !s.at_end() {
        return None;
    }
    // As `Fields::into_body`: the `error` object when the last `error` was one.
    let inner = match wrapped {
        Some(Some(inner)) => inner,
        _ => own,
    };
    Some(if inner.error_type.is_some() || inner.code.is_some() {
        Body::Error(inner)
    } else {
        Body::Unparsed
    })
}

/// The members of the object at the scanner: its four fields and, at the
/// top, what its last `error` member held (`Some(None)` when not an object).
type Members<'a> = (ApiError<'a>, Option<Option<ApiError<'a>>>);

fn scan_members<'a>(s: &mut Scanner<'a>, top: bool) -> Option<Members<'a>> {
    let mut own = ApiError::default();
    let mut wrapped = None;
    s.eat(b'{')?;
    s.ws();
    if s.eat(b'}').is_some() {
        return Some((own, wrapped));
    }
    loop {
        // The last of duplicate keys wins, as in `FieldsSeed`.
        match s.key()? {
            "type" => own.error_type = scan_scalar(s)?,
            "code" => own.code = scan_scalar(s)?,
            "param" => own.param = scan_scalar(s)?,
            "message" => own.message = scan_scalar(s)?,
            "error" if top => {
                wrapped = Some(if s.peek()? == b'{' {
                    Some(scan_members(s, false)?.0)
                } else {
                    s.skip()?;
                    None
                });
            }
            "errors" if top => return None,
            _ => s.skip()?,
        }
        s.ws();
        if s.eat(b',').is_none() {
            s.eat(b'}')?;
            return Some((own, wrapped));
        }
    }
}

/// A field's value as [`Scalar`] reads it, for strings, null, arrays and
/// objects; `None` (serde decides) for numbers and booleans.
fn scan_scalar<'a>(s: &mut Scanner<'a>) -> Option<Option<Cow<'a, str>>> {
    match s.peek()? {
        b'"' => s.string().map(Some),
        b'n' => s.literal(b"null").map(|()| None),
        b'{' | b'[' => s.skip().map(|()| None),
        _ => None,
    }
}

/// How many recent error bodies a parser remembers.
const RECENT_BODIES: usize = 8;

/// Lookups per verdict on whether remembering pays: with fewer than one hit
/// in [`MIN_HIT_SHARE`] of them, the next [`BYPASS`] bodies are read
/// without looking them up or remembering them.
const WINDOW: u32 = 256;
const MIN_HIT_SHARE: u32 = 8;
const BYPASS: u32 = 4096;

/// The last few error bodies a parser read, by their raw (still escaped)
/// text, and what each gave. An API answers most failures with a handful of
/// bodies, repeated line after line during an incident, and comparing bytes
/// is much cheaper than unescaping and reading JSON again.
///
/// Production bodies carry ids (`No such customer: 'cus_9aZ3kLp0'`) and
/// rarely repeat; there the comparisons and the copies into the entries
/// cost without paying, so while hits are rare the bodies are read straight
/// from the unescaped text. Either way a body reads the same.
#[derive(Debug, Clone, Default)]
pub(crate) struct RecentBodies {
    entries: Vec<(Vec<u8>, OwnedBody)>,
    /// The entry to replace next.
    next: usize,
    scratch: Vec<u8>,
    /// Lookups and hits in the current window.
    lookups: u32,
    hits: u32,
    /// Bodies left to read without the entries.
    bypass: u32,
}

impl RecentBodies {
    /// The body in `raw`: `unescape` appends its text to a buffer, which
    /// [`from_text`] then reads (with `strict`), unless `raw` was seen lately.
    pub(crate) fn read(
        &mut self,
        raw: &[u8],
        unescape: fn(&[u8], &mut Vec<u8>),
        strict: bool,
    ) -> Body<'_> {
        if self.bypass > 0 {
            self.bypass -= 1;
            self.scratch.clear();
            unescape(raw, &mut self.scratch);
            return from_text(&self.scratch, strict);
        }
        let found = self.entries.iter().position(|(r, _)| r == raw);
        self.lookups += 1;
        self.hits += u32::from(found.is_some());
        if self.lookups == WINDOW {
            if self.hits * MIN_HIT_SHARE < WINDOW {
                self.bypass = BYPASS;
            }
            (self.lookups, self.hits) = (0, 0);
        }
        let at = match found {
            Some(at) => at,
            None => {
                self.scratch.clear();
                unescape(raw, &mut self.scratch);
                let read = from_text(&self.scratch, strict);
                let at = self.next;
                self.next = (at + 1) % RECENT_BODIES;
                if at == self.entries.len() {
                    self.entries.push(Default::default());
                }
                let (kept_raw, kept) = &mut self.entries[at];
                kept.set(&read);
                kept_raw.clear();
                kept_raw.extend_from_slice(raw);
                at
            }
        };
        self.entries[at].1.as_body()
    }
}

/// A [`Body`] kept across lines, its strings reused when it is replaced.
#[derive(Debug, Clone, Default)]
pub(crate) struct OwnedBody {
    kind: OwnedKind,
    error_type: Option<String>,
    code: Option<String>,
    param: Option<String>,
    message: Option<String>,
    /// The items of an `errors` array (rare: bulk 202s).
    items: Vec<ApiError<'static>>,
}

#[derive(Debug, Clone, Copy, Default)]
enum OwnedKind {
    #[default]
    Absent,
    Unparsed,
    Error,
    Errors,
}

impl OwnedBody {
    pub(crate) fn set(&mut self, body: &Body<'_>) {
        match body {
            Body::Absent => self.kind = OwnedKind::Absent,
            Body::Unparsed => self.kind = OwnedKind::Unparsed,
            Body::Error(e) => {
                self.kind = OwnedKind::Error;
                reuse(&mut self.error_type, e.error_type.as_deref());
                reuse(&mut self.code, e.code.as_deref());
                reuse(&mut self.param, e.param.as_deref());
                reuse(&mut self.message, e.message.as_deref());
            }
            Body::Errors(items) => {
                self.kind = OwnedKind::Errors;
                self.items = items.iter().map(ApiError::to_static).collect();
            }
        }
    }

    pub(crate) fn as_body(&self) -> Body<'_> {
        fn view(s: &Option<String>) -> Option<Cow<'_, str>> {
            s.as_deref().map(Cow::Borrowed)
        }
        match self.kind {
            OwnedKind::Absent => Body::Absent,
            OwnedKind::Unparsed => Body::Unparsed,
            OwnedKind::Error => Body::Error(ApiError {
                error_type: view(&self.error_type),
                code: view(&self.code),
                param: view(&self.param),
                message: view(&self.message),
            }),
            OwnedKind::Errors => Body::Errors(self.items.iter().map(ApiError::borrowed).collect()),
        }
    }
}

/// Sets `slot` to `value`, reusing the string it holds.
pub(crate) fn reuse(slot: &mut Option<String>, value: Option<&str>) {
    match (slot.as_mut(), value) {
        (Some(buf), Some(v)) => {
            buf.clear();
            buf.push_str(v);
        }
        (None, Some(v)) => *slot = Some(v.to_owned()),
        (_, None) => *slot = None,
    }
}

/// A body field already parsed as JSON: an object, or a string holding JSON.
/// The reference the one-pass readers are tested against.
#[cfg(test)]
pub(crate) fn from_value(v: &Value) -> Body<'static> {
    match v {
        Value::Null => Body::Absent,
        Value::String(s) => from_text(s.as_bytes(), true).into_owned(),
        Value::Object(map) => {
            let inner = match map.get("error") {
                Some(Value::Object(e)) => e,
                _ => map,
            };
            let items: Vec<ApiError<'static>> = match map.get("errors") {
                Some(Value::Array(items)) => items
                    .iter()
                    .filter_map(|i| i.as_object().and_then(api_error))
                    .collect(),
                _ => Vec::new(),
            };
            if !items.is_empty() {
                return Body::Errors(items);
            }
            api_error(inner).map_or(Body::Unparsed, Body::Error)
        }
        _ => Body::Unparsed,
    }
}

/// The error an object holds, if it has a `type` or a `code`.
#[cfg(test)]
fn api_error(obj: &serde_json::Map<String, Value>) -> Option<ApiError<'static>> {
    let error_type = scalar(obj.get("type"));
    let code = scalar(obj.get("code"));
    (error_type.is_some() || code.is_some()).then(|| ApiError {
        error_type,
        code,
        param: scalar(obj.get("param")),
        message: scalar(obj.get("message")),
    })
}

/// A string, number or boolean as text; null, absent, arrays and objects as None.
#[cfg(test)]
fn scalar(v: Option<&Value>) -> Option<Cow<'static, str>> {
    match v? {
        Value::String(s) => Some(Cow::Owned(s.clone())),
        Value::Number(n) => Some(Cow::Owned(n.to_string())),
        Value::Bool(b) => Some(Cow::Owned(b.to_string())),
        _ => None,
    }
}

/// Reads an error body from an object already opened by a serde visitor.
pub(crate) fn object_body<'de, A: MapAccess<'de>>(map: A) -> Result<Body<'de>, A::Error> {
    FieldsSeed { top: true }
        .visit_map(map)
        .map(Fields::into_body)
}

/// The fields of one body object that matter. `error` is only read at the
/// top level: `Some(Some(_))` when it holds an object.
#[derive(Default)]
struct Fields<'a> {
    error_type: Option<Cow<'a, str>>,
    code: Option<Cow<'a, str>>,
    param: Option<Cow<'a, str>>,
    message: Option<Cow<'a, str>>,
    error: Option<Option<Box<Fields<'a>>>>,
    /// The top-level `errors` array's objects, when it is one.
    errors: Option<Vec<Fields<'a>>>,
}

impl<'a> Fields<'a> {
    fn seed(top: bool) -> FieldsSeed {
        FieldsSeed { top }
    }

    fn is_error(&self) -> bool {
        self.error_type.is_some() || self.code.is_some()
    }

    fn into_api(self) -> ApiError<'a> {
        ApiError {
            error_type: self.error_type,
            code: self.code,
            param: self.param,
            message: self.message,
        }
    }

    /// The errors of the `errors` array (one per failed item of a bulk
    /// request) when it holds any, else the error wrapped in `error`, else
    /// the flat one, else nothing an error body holds.
    fn into_body(mut self) -> Body<'a> {
        let items: Vec<ApiError<'a>> = self
            .errors
            .take()
            .into_iter()
            .flatten()
            .filter(Fields::is_error)
            .map(Fields::into_api)
            .collect();
        if !items.is_empty() {
            return Body::Errors(items);
        }
        let inner = match self.error.take() {
            Some(Some(inner)) => *inner,
            _ => self,
        };
        if inner.is_error() {
            Body::Error(inner.into_api())
        } else {
            Body::Unparsed
        }
    }
}

/// Reads an object into [`Fields`]; with `top`, also its `error` member.
struct FieldsSeed {
    top: bool,
}

impl<'de> DeserializeSeed<'de> for FieldsSeed {
    type Value = Fields<'de>;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for FieldsSeed {
    type Value = Fields<'de>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut fields = Fields::default();
        while let Some(key) = map.next_key::<Key>()? {
            match key {
                Key::Type => fields.error_type = map.next_value::<Scalar>()?.0,
                Key::Code => fields.code = map.next_value::<Scalar>()?.0,
                Key::Param => fields.param = map.next_value::<Scalar>()?.0,
                Key::Message => fields.message = map.next_value::<Scalar>()?.0,
                Key::Error if self.top => {
                    fields.error = Some(map.next_value::<MaybeObject>()?.0);
                }
                Key::Errors if self.top => {
                    fields.errors = map.next_value::<ErrorList>()?.0;
                }
                Key::Error | Key::Errors | Key::Other => {
                    map.next_value::<Skip>()?;
                }
            }
        }
        Ok(fields)
    }
}

/// The keys that matter, recognised without allocating (escaped keys too).
enum Key {
    Type,
    Code,
    Param,
    Message,
    Error,
    Errors,
    Other,
}

impl<'de> de::Deserialize<'de> for Key {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct KeyVisitor;
        impl Visitor<'_> for KeyVisitor {
            type Value = Key;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a key")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Key, E> {
                Ok(match v {
                    "type" => Key::Type,
                    "code" => Key::Code,
                    "param" => Key::Param,
                    "message" => Key::Message,
                    "error" => Key::Error,
                    "errors" => Key::Errors,
                    _ => Key::Other,
                })
            }
        }
        d.deserialize_str(KeyVisitor)
    }
}

/// A member value as text: strings borrowed when unescaped, numbers and
/// booleans as `serde_json::Value` would print them; anything else None.
struct Scalar<'a>(Option<Cow<'a, str>>);

impl<'de> de::Deserialize<'de> for Scalar<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct ScalarVisitor;
        impl<'de> Visitor<'de> for ScalarVisitor {
            type Value = Scalar<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("any JSON value")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(Scalar(Some(Cow::Borrowed(v))))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(Scalar(Some(Cow::Owned(v.to_owned()))))
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<Self::Value, E> {
                Ok(Scalar(Some(Cow::Owned(v.to_string()))))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
                Ok(Scalar(Some(Cow::Owned(
                    serde_json::Number::from(v).to_string(),
                ))))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
                Ok(Scalar(Some(Cow::Owned(
                    serde_json::Number::from(v).to_string(),
                ))))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
                // As Value does: a float JSON cannot hold (overflow) is null.
                Ok(Scalar(
                    serde_json::Number::from_f64(v).map(|n| Cow::Owned(n.to_string())),
                ))
            }
            visit_others!('de, Scalar(None); unit, seq, map);
        }
        d.deserialize_any(ScalarVisitor)
    }
}

/// A value read and dropped. Unlike serde's `IgnoredAny` it reads numbers
/// as `Value` does, so a number out of range fails here as it fails there.
pub(crate) struct Skip;

impl<'de> de::Deserialize<'de> for Skip {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct SkipVisitor;
        impl<'de> Visitor<'de> for SkipVisitor {
            type Value = Skip;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("any JSON value")
            }
            visit_others!('de, Skip; bool, u64, i64, f64, str, unit, seq, map);
        }
        d.deserialize_any(SkipVisitor)
    }
}

/// The top-level `errors` member: the objects of it when it is an array
/// (other elements are skipped), None when it is not an array.
struct ErrorList<'a>(Option<Vec<Fields<'a>>>);

impl<'de> de::Deserialize<'de> for ErrorList<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct ErrorListVisitor;
        impl<'de> Visitor<'de> for ErrorListVisitor {
            type Value = ErrorList<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("any JSON value")
            }
            fn visit_seq<A: de::SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                let mut items = Vec::new();
                while let Some(MaybeObject(item)) = seq.next_element::<MaybeObject>()? {
                    items.extend(item.map(|f| *f));
                }
                Ok(ErrorList(Some(items)))
            }
            visit_others!('de, ErrorList(None); bool, u64, i64, f64, str, unit, map);
        }
        d.deserialize_any(ErrorListVisitor)
    }
}

/// The top-level `error` member: its fields when it is an object.
struct MaybeObject<'a>(Option<Box<Fields<'a>>>);

impl<'de> de::Deserialize<'de> for MaybeObject<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct MaybeObjectVisitor;
        impl<'de> Visitor<'de> for MaybeObjectVisitor {
            type Value = MaybeObject<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("any JSON value")
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
                Ok(MaybeObject(Some(Box::new(
                    FieldsSeed { top: false }.visit_map(map)?,
                ))))
            }
            visit_others!('de, MaybeObject(None); bool, u64, i64, f64, str, unit, seq);
        }
        d.deserialize_any(MaybeObjectVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err<'a>(
        t: Option<&'a str>,
        c: Option<&'a str>,
        p: Option<&str>,
        m: Option<&str>,
    ) -> Body<'a> {
        Body::Error(ApiError {
            error_type: t.map(|s| Cow::Owned(s.to_owned())),
            code: c.map(|s| Cow::Owned(s.to_owned())),
            param: p.map(|s| Cow::Owned(s.to_owned())),
            message: m.map(|s| Cow::Owned(s.to_owned())),
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
    fn an_errors_array_gives_each_item() {
        let bulk = br#"{"data":[{"id":1}],"errors":[{"type":"invalid_request","code":"parameter_invalid_integer","param":"items.3.quantity","message":"Invalid integer"},7,{"message":"no code"},{"code":"c2"}]}"#;
        let Body::Errors(items) = from_text(bulk, true) else {
            panic!("not an errors array")
        };
        let codes: Vec<_> = items.iter().map(|e| e.code.as_deref()).collect();
        assert_eq!(codes, [Some("parameter_invalid_integer"), Some("c2")]);
        assert_eq!(items[0].param.as_deref(), Some("items.3.quantity"));
        // The array's items win over a flat or wrapped error (a bulk 202 may
        // sum them up in one); an empty array is no error.
        let both = br#"{"code":"partial_failure","errors":[{"code":"item"}]}"#;
        let Body::Errors(items) = from_text(both, true) else {
            panic!("the items")
        };
        assert_eq!(items[0].code.as_deref(), Some("item"));
        assert_eq!(from_text(br#"{"errors":[]}"#, true), Body::Unparsed);
        assert_eq!(from_text(br#"{"errors":"none"}"#, true), Body::Unparsed);
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

    /// JSON text built from pieces that matter to the reader: the four
    /// fields, `error` wrappers, duplicates, escapes, numbers, nesting.
    fn json_object() -> impl proptest::strategy::Strategy<Value = String> {
        use proptest::prelude::*;
        let key = prop_oneof![
            Just("type"),
            Just("code"),
            Just("param"),
            Just("message"),
            Just("error"),
            Just("other"),
            Just("typ\\u0065"),
            Just("err\\u006fr"),
            Just("errors"),
        ];
        let scalar = prop_oneof![
            Just("null".to_string()),
            Just("true".to_string()),
            Just("12".to_string()),
            Just("-3".to_string()),
            Just("1.5e3".to_string()),
            Just("1e400".to_string()),
            Just("-2.5E+3".to_string()),
            Just("0e-0".to_string()),
            Just("1E-400".to_string()),
            Just("[1e5,-1E400]".to_string()),
            Just("18446744073709551616".to_string()),
            Just("[1,{\"a\":2}]".to_string()),
            Just("[{\"code\":\"c\",\"param\":\"items.0.q\"},1,{\"type\":\"t\"}]".to_string()),
            "[a-z_. ]{0,8}".prop_map(|s| format!("\"{s}\"")),
            Just("\"esc\\\"aped\\u00e9\"".to_string()),
        ];
        let member = (key.clone(), scalar.clone()).prop_map(|(k, v)| format!("\"{k}\":{v}"));
        let inner = proptest::collection::vec(member.clone(), 0..5)
            .prop_map(|m| format!("{{{}}}", m.join(",")));
        let value = prop_oneof![scalar, inner];
        let top_member = (key, value).prop_map(|(k, v)| format!("\"{k}\":{v}"));
        proptest::collection::vec(top_member, 0..6).prop_map(|m| format!("{{{}}}", m.join(",")))
    }

    proptest::proptest! {
        /// The borrowing reader gives what the `Value` route gives.
        #[test]
        fn borrowing_reader_agrees_with_value(text in json_object(), cut in 0usize..100) {
            for t in [text.as_str(), &text[..text.len().min(cut)]] {
                let via_value = match serde_json::from_str::<Value>(t) {
                    Ok(v @ Value::Object(_)) => from_value(&v),
                    _ if t.trim().is_empty() => Body::Absent,
                    _ => Body::Unparsed,
                };
                proptest::prop_assert_eq!(from_text(t.as_bytes(), true), via_value, "{}", t);
            }
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
