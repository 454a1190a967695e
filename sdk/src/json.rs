//! json: a strict JSON parser that keeps the byte span of every value, so plugins can rewrite
//! one string and leave every other byte of the body as the client sent it.
//!
//! Strict on purpose (parser-differential attacks): a body that two JSON parsers could read
//! differently is refused rather than guessed at. Duplicate keys (compared after unescaping,
//! so `"mod\u0065l"` duplicates `"model"`), lone surrogates, invalid UTF-8, trailing data and
//! nesting deeper than `Limits::max_depth` are errors. Recursion is bounded by `max_depth`.

use std::fmt;
use std::ops::Range;

mod build;
#[cfg(test)]
mod build_tests;
mod shallow;
#[cfg(test)]
mod shallow_tests;
mod skip;
pub mod utf8;
#[cfg(test)]
mod utf8_tests;

pub use shallow::{parse_members, parse_shallow};

/// Bounds applied while parsing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Deepest nesting of arrays/objects accepted (128: depth 129 is refused).
    pub max_depth: usize,
    /// Largest document accepted, in bytes.
    pub max_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_depth: 128,
            max_bytes: 1024 * 1024,
        }
    }
}

/// A JSON value. Numbers keep their source text (never re-formatted); objects keep source order.
#[derive(Debug, Clone, PartialEq)]
pub enum Json {
    /// `null`.
    Null,
    /// `true` / `false`.
    Bool(bool),
    /// A number, as its source text.
    Number(String),
    /// A string, unescaped.
    String(String),
    /// An array.
    Array(Vec<Node>),
    /// An object, members in source order.
    Object(Vec<(String, Node)>),
    /// A string, array or object that `parse_shallow` checked as strictly as `parse` does but
    /// did not build (its bytes are the node's span). `parse` never produces it.
    Skipped,
}

/// A value and the bytes it occupies in the raw document (strings: including the quotes).
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    /// The value.
    pub value: Json,
    /// Its bytes in the raw document.
    pub span: Range<usize>,
}

impl Node {
    /// The member `key` of an object (keys are unique: the parser refuses duplicates).
    pub fn get(&self, key: &str) -> Option<&Node> {
        self.as_object()?
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v)
    }
    /// The string, if this is one.
    pub fn as_str(&self) -> Option<&str> {
        match &self.value {
            Json::String(s) => Some(s),
            _ => None,
        }
    }
    /// The elements, if this is an array.
    pub fn as_array(&self) -> Option<&[Node]> {
        match &self.value {
            Json::Array(a) => Some(a),
            _ => None,
        }
    }
    /// The members, if this is an object.
    pub fn as_object(&self) -> Option<&[(String, Node)]> {
        match &self.value {
            Json::Object(o) => Some(o),
            _ => None,
        }
    }
    /// The boolean, if this is one.
    pub fn as_bool(&self) -> Option<bool> {
        match self.value {
            Json::Bool(b) => Some(b),
            _ => None,
        }
    }
    /// A non-negative integer written without fraction or exponent.
    pub fn as_u64(&self) -> Option<u64> {
        match &self.value {
            Json::Number(n) => n.parse().ok(),
            _ => None,
        }
    }
    /// The number as f64, if this is a number.
    pub fn as_f64(&self) -> Option<f64> {
        match &self.value {
            Json::Number(n) => n.parse().ok(),
            _ => None,
        }
    }
    /// `null`.
    pub fn is_null(&self) -> bool {
        matches!(self.value, Json::Null)
    }
}

/// What went wrong. Never carries document text (keys included): the message may reach a client.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JsonErrorKind {
    /// Over `Limits::max_bytes`.
    TooLarge,
    /// Not UTF-8.
    InvalidUtf8,
    /// No value at all.
    Empty,
    /// The document ends inside a value.
    UnexpectedEnd,
    /// A byte that cannot start or continue a value here.
    UnexpectedByte,
    /// Something after the value.
    TrailingData,
    /// Nested deeper than `Limits::max_depth`.
    TooDeep,
    /// An object names a key twice.
    DuplicateKey,
    /// A `\` escape JSON does not have.
    InvalidEscape,
    /// A `\u` escape of half a surrogate pair.
    LoneSurrogate,
    /// A raw control character inside a string.
    ControlCharacter,
    /// Not a JSON number.
    InvalidNumber,
}

impl JsonErrorKind {
    /// Stable code, used as the `BodyError` code.
    pub fn code(self) -> &'static str {
        match self {
            JsonErrorKind::TooLarge => "body_too_large",
            JsonErrorKind::TooDeep => "too_deep",
            JsonErrorKind::DuplicateKey => "duplicate_key",
            JsonErrorKind::InvalidUtf8 => "invalid_utf8",
            _ => "invalid_json",
        }
    }
    fn describe(self) -> &'static str {
        match self {
            JsonErrorKind::TooLarge => "document larger than the limit",
            JsonErrorKind::InvalidUtf8 => "invalid UTF-8",
            JsonErrorKind::Empty => "empty document",
            JsonErrorKind::UnexpectedEnd => "unexpected end of document",
            JsonErrorKind::UnexpectedByte => "unexpected character",
            JsonErrorKind::TrailingData => "data after the JSON value",
            JsonErrorKind::TooDeep => "nesting deeper than the limit",
            JsonErrorKind::DuplicateKey => "duplicate object key",
            JsonErrorKind::InvalidEscape => "invalid escape sequence",
            JsonErrorKind::LoneSurrogate => "unpaired UTF-16 surrogate escape",
            JsonErrorKind::ControlCharacter => "unescaped control character in string",
            JsonErrorKind::InvalidNumber => "invalid number",
        }
    }
}

/// Why and where a document was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct JsonError {
    /// What is wrong.
    pub kind: JsonErrorKind,
    /// Byte offset in the raw document.
    pub offset: usize,
}

impl JsonError {
    /// A key already seen in its object, at the key's opening quote.
    fn duplicate_key(offset: usize) -> JsonError {
        JsonError {
            kind: JsonErrorKind::DuplicateKey,
            offset,
        }
    }
}

impl fmt::Display for JsonError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} at byte {}", self.kind.describe(), self.offset)
    }
}

impl std::error::Error for JsonError {}

impl From<JsonError> for crate::BodyError {
    fn from(e: JsonError) -> Self {
        let status = if e.kind == JsonErrorKind::TooLarge {
            413
        } else {
            400
        };
        crate::BodyError::new(status, e.kind.code(), e.to_string())
    }
}

/// Parse a whole document.
pub fn parse(raw: &[u8], limits: &Limits) -> Result<Node, JsonError> {
    let text = checked(raw, limits)?;
    let mut p = Parser::new(raw, text, limits);
    p.document(|p| p.value(0))
}

/// `raw` after the size and UTF-8 checks every parse starts with.
fn checked<'a>(raw: &'a [u8], limits: &Limits) -> Result<&'a str, JsonError> {
    if raw.len() > limits.max_bytes {
        return Err(JsonError {
            kind: JsonErrorKind::TooLarge,
            offset: limits.max_bytes,
        });
    }
    utf8::from_utf8(raw).map_err(|valid_up_to| JsonError {
        kind: JsonErrorKind::InvalidUtf8,
        offset: valid_up_to,
    })
}

struct Parser<'a> {
    raw: &'a [u8],
    /// The same bytes, validated once as UTF-8: string runs are sliced from it without a
    /// second validation (runs end at ASCII bytes, so they are always on char boundaries).
    text: &'a str,
    pos: usize,
    max_depth: usize,
    /// Keys of the skipped objects being read, innermost last (see `skip`): one buffer for the
    /// whole document instead of a set per object.
    keys: Vec<skip::Key>,
    /// The keys with escapes among them, decoded.
    decoded: String,
    /// The objects `skip` is inside, innermost last.
    objects: Vec<skip::Keys>,
    /// The keys of those among them with many keys, innermost last.
    sets: Vec<skip::KeySet>,
    /// The arrays and objects `build` is inside, innermost last, and the children they have
    /// so far (see `build`).
    open: Vec<build::Open>,
    items: Vec<Node>,
    members: Vec<(String, Node)>,
}

impl<'a> Parser<'a> {
    fn new(raw: &'a [u8], text: &'a str, limits: &Limits) -> Self {
        Parser {
            raw,
            text,
            pos: 0,
            max_depth: limits.max_depth,
            keys: Vec::new(),
            decoded: String::new(),
            objects: Vec::new(),
            sets: Vec::new(),
            open: Vec::new(),
            items: Vec::new(),
            members: Vec::new(),
        }
    }

    /// The one value `root` reads, with the whitespace around it and nothing after it.
    fn document(
        &mut self,
        root: impl FnOnce(&mut Self) -> Result<Node, JsonError>,
    ) -> Result<Node, JsonError> {
        self.skip_ws();
        if self.pos >= self.raw.len() {
            return Err(self.err(JsonErrorKind::Empty));
        }
        let node = root(self)?;
        self.skip_ws();
        if self.pos != self.raw.len() {
            return Err(self.err(JsonErrorKind::TrailingData));
        }
        Ok(node)
    }

    fn err(&self, kind: JsonErrorKind) -> JsonError {
        JsonError {
            kind,
            offset: self.pos,
        }
    }

    /// After a key: whitespace, the `:`, whitespace up to the value.
    fn colon(&mut self) -> Result<(), JsonError> {
        self.skip_ws();
        self.require(b':')?;
        self.pos += 1;
        self.skip_ws();
        Ok(())
    }

    /// The next byte must be `b`: otherwise an error at the current offset (end or wrong byte).
    fn require(&self, b: u8) -> Result<(), JsonError> {
        match self.peek() {
            Some(c) if c == b => Ok(()),
            None => Err(self.err(JsonErrorKind::UnexpectedEnd)),
            Some(_) => Err(self.err(JsonErrorKind::UnexpectedByte)),
        }
    }

    fn peek(&self) -> Option<u8> {
        self.raw.get(self.pos).copied()
    }

    fn skip_ws(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.peek() {
            self.pos += 1;
        }
    }

    fn expect_literal(&mut self, lit: &[u8]) -> Result<(), JsonError> {
        let end = self.pos + lit.len();
        match self.raw.get(self.pos..end) {
            Some(s) if s == lit => {
                self.pos = end;
                Ok(())
            }
            Some(_) => Err(self.err(JsonErrorKind::UnexpectedByte)),
            None => Err(self.err(JsonErrorKind::UnexpectedEnd)),
        }
    }

    fn enter(&self, depth: usize) -> Result<(), JsonError> {
        if depth > self.max_depth {
            Err(self.err(JsonErrorKind::TooDeep))
        } else {
            Ok(())
        }
    }

    /// An object at `depth` whose member values `member` reads (given the key).
    fn object_with(
        &mut self,
        depth: usize,
        mut member: impl FnMut(&mut Self, &str) -> Result<Node, JsonError>,
    ) -> Result<Json, JsonError> {
        self.enter(depth)?;
        self.pos += 1; // '{'
        let mut members: Vec<(String, Node)> = Vec::new();
        let mut set = None;
        self.skip_ws();
        if self.peek() == Some(b'}') {
            self.pos += 1;
            return Ok(Json::Object(members));
        }
        loop {
            self.skip_ws();
            let key_at = self.pos;
            self.require(b'"')?;
            let key = self.string()?;
            if !build::fresh_key(&members, &mut set, &key) {
                return Err(JsonError::duplicate_key(key_at));
            }
            self.colon()?;
            let v = member(self, &key)?;
            members.push((key, v));
            self.skip_ws();
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(b'}') => {
                    self.pos += 1;
                    return Ok(Json::Object(members));
                }
                None => return Err(self.err(JsonErrorKind::UnexpectedEnd)),
                Some(_) => return Err(self.err(JsonErrorKind::UnexpectedByte)),
            }
        }
    }

    /// An array at `depth` whose items `item` reads.
    fn array_with(
        &mut self,
        depth: usize,
        mut item: impl FnMut(&mut Self) -> Result<Node, JsonError>,
    ) -> Result<Json, JsonError> {
        self.enter(depth)?;
        self.pos += 1; // '['
        let mut items = Vec::new();
        self.skip_ws();
        if self.peek() == Some(b']') {
            self.pos += 1;
            return Ok(Json::Array(items));
        }
        loop {
            self.skip_ws();
            items.push(item(self)?);
            self.skip_ws();
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(b']') => {
                    self.pos += 1;
                    return Ok(Json::Array(items));
                }
                None => return Err(self.err(JsonErrorKind::UnexpectedEnd)),
                Some(_) => return Err(self.err(JsonErrorKind::UnexpectedByte)),
            }
        }
    }

    fn hex4(&mut self) -> Result<u32, JsonError> {
        let digits = self
            .raw
            .get(self.pos..self.pos + 4)
            .ok_or_else(|| self.err(JsonErrorKind::UnexpectedEnd))?;
        let mut v = 0u32;
        for &d in digits {
            let n = (d as char)
                .to_digit(16)
                .ok_or_else(|| self.err(JsonErrorKind::InvalidEscape))?;
            v = v * 16 + n;
        }
        self.pos += 4;
        Ok(v)
    }

    /// A string literal starting at the opening quote; returns the unescaped text.
    fn string(&mut self) -> Result<String, JsonError> {
        self.pos += 1; // '"'
        let mut out = String::new();
        loop {
            // Copy the run of plain bytes at once (the document is valid UTF-8, and the run
            // stops only at ASCII bytes, so it is a valid str slice).
            let run_start = self.pos;
            self.pos = special_byte_from(self.raw, self.pos);
            match self.text.get(run_start..self.pos) {
                Some(run) => out.push_str(run),
                None => {
                    return Err(JsonError {
                        kind: JsonErrorKind::InvalidUtf8,
                        offset: run_start,
                    })
                }
            }
            match self.peek() {
                None => return Err(self.err(JsonErrorKind::UnexpectedEnd)),
                Some(b'"') => {
                    self.pos += 1;
                    return Ok(out);
                }
                Some(b'\\') => {
                    self.pos += 1;
                    out.push(self.escape()?);
                }
                Some(_) => return Err(self.err(JsonErrorKind::ControlCharacter)),
            }
        }
    }

    /// The character of the escape whose backslash was just read.
    fn escape(&mut self) -> Result<char, JsonError> {
        let at = self.pos - 1;
        let c = self
            .peek()
            .ok_or_else(|| self.err(JsonErrorKind::UnexpectedEnd))?;
        self.pos += 1;
        let ch = match c {
            b'"' => '"',
            b'\\' => '\\',
            b'/' => '/',
            b'b' => '\u{8}',
            b'f' => '\u{c}',
            b'n' => '\n',
            b'r' => '\r',
            b't' => '\t',
            b'u' => {
                let hi = self.hex4()?;
                let lone = JsonError {
                    kind: JsonErrorKind::LoneSurrogate,
                    offset: at,
                };
                let code = if (0xD800..0xDC00).contains(&hi) {
                    if self.raw.get(self.pos..self.pos + 2) != Some(b"\\u") {
                        return Err(lone);
                    }
                    self.pos += 2;
                    let lo = self.hex4()?;
                    if !(0xDC00..0xE000).contains(&lo) {
                        return Err(lone);
                    }
                    0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00)
                } else if (0xDC00..0xE000).contains(&hi) {
                    return Err(lone);
                } else {
                    hi
                };
                char::from_u32(code).ok_or(lone)?
            }
            _ => {
                return Err(JsonError {
                    kind: JsonErrorKind::InvalidEscape,
                    offset: at,
                })
            }
        };
        Ok(ch)
    }

    fn digits(&mut self) -> usize {
        let start = self.pos;
        while let Some(b'0'..=b'9') = self.peek() {
            self.pos += 1;
        }
        self.pos - start
    }

    fn number(&mut self) -> Result<String, JsonError> {
        let start = self.pos;
        self.number_end()?;
        let text = self.raw.get(start..self.pos).unwrap_or_default();
        Ok(String::from_utf8_lossy(text).into_owned())
    }

    /// Check the number at `pos` and move past it.
    fn number_end(&mut self) -> Result<(), JsonError> {
        let bad = |p: &Self| JsonError {
            kind: JsonErrorKind::InvalidNumber,
            offset: p.pos,
        };
        if self.peek() == Some(b'-') {
            self.pos += 1;
        }
        match self.peek() {
            Some(b'0') => {
                self.pos += 1;
                if let Some(b'0'..=b'9') = self.peek() {
                    return Err(bad(self));
                }
            }
            Some(b'1'..=b'9') => {
                self.digits();
            }
            _ => return Err(bad(self)),
        }
        if self.peek() == Some(b'.') {
            self.pos += 1;
            if self.digits() == 0 {
                return Err(bad(self));
            }
        }
        if let Some(b'e' | b'E') = self.peek() {
            self.pos += 1;
            if let Some(b'+' | b'-') = self.peek() {
                self.pos += 1;
            }
            if self.digits() == 0 {
                return Err(bad(self));
            }
        }
        Ok(())
    }
}

/// The index of the first `"`, `\\` or control byte (< 0x20) at or after `from`, or
/// `raw.len()`. Strings are most of an LLM request, so this scans eight bytes per step (SWAR:
/// the classic has-zero-byte / has-less-than bit tricks on a u64); bytes >= 0x80 (UTF-8
/// continuation and lead bytes) never match. The lowest flagged byte is always a true match.
fn special_byte_from(raw: &[u8], from: usize) -> usize {
    crate::swar::next(raw, from, special_mask, |b| {
        b == b'"' || b == b'\\' || b < 0x20
    })
}

/// The high bit of every byte of `w` (eight document bytes, the first lowest) that
/// `special_byte_from` stops at; the lowest one set is always a true match.
#[inline(always)]
fn special_mask(w: u64) -> u64 {
    use crate::swar::{HI, LO};
    let has_zero = |v: u64| v.wrapping_sub(LO) & !v & HI;
    has_zero(w ^ (LO * u64::from(b'"')))
        | has_zero(w ^ (LO * u64::from(b'\\')))
        | (w.wrapping_sub(LO * 0x20) & !w & HI)
}

/// `s` as a JSON string literal (with quotes); non-ASCII is kept as UTF-8.
pub fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 || c == '\u{2028}' || c == '\u{2029}' => {
                out.push_str(&format!("\\u{:04x}", c as u32));
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Replace `span` of the raw document with `with`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Splice {
    /// The bytes replaced.
    pub span: Range<usize>,
    /// What replaces them.
    pub with: Vec<u8>,
}

/// Splices that cannot be applied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SpliceError {
    /// A span past the end of the document.
    OutOfBounds(Range<usize>),
    /// Two spans overlap.
    Overlap(Range<usize>),
}

impl fmt::Display for SpliceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SpliceError::OutOfBounds(r) => write!(f, "splice {r:?} outside the document"),
            SpliceError::Overlap(r) => write!(f, "splice {r:?} overlaps another"),
        }
    }
}

impl std::error::Error for SpliceError {}

impl From<SpliceError> for crate::BodyError {
    fn from(e: SpliceError) -> Self {
        crate::BodyError::new(500, "rewrite_failed", e.to_string())
    }
}

/// Apply splices (any order; sorted here). Bytes outside every span are copied unchanged.
pub fn apply_splices(raw: &[u8], mut splices: Vec<Splice>) -> Result<Vec<u8>, SpliceError> {
    splices.sort_by_key(|s| (s.span.start, s.span.end));
    let extra: usize = splices.iter().map(|s| s.with.len()).sum();
    let mut out = Vec::with_capacity(raw.len() + extra);
    let mut at = 0usize;
    for s in splices {
        if s.span.start > s.span.end || s.span.end > raw.len() {
            return Err(SpliceError::OutOfBounds(s.span));
        }
        if s.span.start < at {
            return Err(SpliceError::Overlap(s.span));
        }
        out.extend_from_slice(raw.get(at..s.span.start).unwrap_or_default());
        out.extend_from_slice(&s.with);
        at = s.span.end;
    }
    out.extend_from_slice(raw.get(at..).unwrap_or_default());
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> Result<Node, JsonError> {
        parse(s.as_bytes(), &Limits::default())
    }

    #[test]
    fn values_and_spans() {
        let doc = r#" {"a": [1, -2.5e3, true, null], "b": "x\"y", "c": {}} "#;
        let n = p(doc).unwrap();
        assert_eq!(&doc[n.span.clone()], &doc[1..doc.len() - 1]);
        let a = n.get("a").unwrap().as_array().unwrap();
        assert_eq!(a[0].as_u64(), Some(1));
        assert_eq!(a[1].value, Json::Number("-2.5e3".into()));
        assert_eq!(a[1].as_f64(), Some(-2500.0));
        assert_eq!(a[2].as_bool(), Some(true));
        assert!(a[3].is_null());
        let b = n.get("b").unwrap();
        assert_eq!(b.as_str(), Some("x\"y"));
        assert_eq!(&doc[b.span.clone()], r#""x\"y""#);
        assert!(n.get("c").unwrap().as_object().unwrap().is_empty());
        assert!(n.get("zz").is_none());
    }

    #[test]
    fn escapes_decode_including_surrogate_pairs() {
        let n = p(r#""\u00e9\ud83d\ude00\n\t\/\b\f\r\\""#).unwrap();
        assert_eq!(n.as_str(), Some("é😀\n\t/\u{8}\u{c}\r\\"));
    }

    #[test]
    fn refusals_name_the_kind_and_offset() {
        let table: &[(&str, JsonErrorKind)] = &[
            ("", JsonErrorKind::Empty),
            ("   ", JsonErrorKind::Empty),
            (r#"{"a":1,"a":2}"#, JsonErrorKind::DuplicateKey),
            (r#"{"model":1,"mod\u0065l":2}"#, JsonErrorKind::DuplicateKey),
            (r#"[{"x":{"k":1,"k":1}}]"#, JsonErrorKind::DuplicateKey),
            (r#"{"a":1}x"#, JsonErrorKind::TrailingData),
            (r#"{"a":1} {}"#, JsonErrorKind::TrailingData),
            (r#""\ud800""#, JsonErrorKind::LoneSurrogate),
            (r#""\ud800\u0041""#, JsonErrorKind::LoneSurrogate),
            (r#""\udc00""#, JsonErrorKind::LoneSurrogate),
            (r#""\x""#, JsonErrorKind::InvalidEscape),
            (r#""\u12g4""#, JsonErrorKind::InvalidEscape),
            ("\"a\nb\"", JsonErrorKind::ControlCharacter),
            ("01", JsonErrorKind::InvalidNumber),
            ("1.", JsonErrorKind::InvalidNumber),
            ("-", JsonErrorKind::InvalidNumber),
            ("1e", JsonErrorKind::InvalidNumber),
            ("+1", JsonErrorKind::UnexpectedByte),
            ("NaN", JsonErrorKind::UnexpectedByte),
            ("[1,]", JsonErrorKind::UnexpectedByte),
            (r#"{"a":1,}"#, JsonErrorKind::UnexpectedByte),
            ("{'a':1}", JsonErrorKind::UnexpectedByte),
            ("[1", JsonErrorKind::UnexpectedEnd),
            (r#"{"a""#, JsonErrorKind::UnexpectedEnd),
            (r#""abc"#, JsonErrorKind::UnexpectedEnd),
            ("tru", JsonErrorKind::UnexpectedEnd),
            ("trux", JsonErrorKind::UnexpectedByte),
        ];
        for (doc, kind) in table {
            let e = p(doc).expect_err(doc);
            assert_eq!(e.kind, *kind, "{doc}: {e}");
        }
        let e = p(r#"{"a":1,"a":2}"#).unwrap_err();
        assert_eq!(e.offset, 7);
        assert_eq!(e.to_string(), "duplicate object key at byte 7");
    }

    #[test]
    fn invalid_utf8_is_refused_with_its_offset() {
        let e = parse(b"{\"a\":\"\xff\"}", &Limits::default()).unwrap_err();
        assert_eq!(e.kind, JsonErrorKind::InvalidUtf8);
        assert_eq!(e.offset, 6);
    }

    #[test]
    fn depth_limit_is_exact_and_does_not_recurse_unbounded() {
        let limits = Limits::default();
        let ok = format!("{}{}", "[".repeat(128), "]".repeat(128));
        assert!(parse(ok.as_bytes(), &limits).is_ok());
        let deep = format!("{}{}", "[".repeat(129), "]".repeat(129));
        assert_eq!(
            parse(deep.as_bytes(), &limits).unwrap_err().kind,
            JsonErrorKind::TooDeep
        );
        // A hostile depth far beyond the limit stops at the limit.
        let hostile = "[{\"a\":".repeat(100_000);
        let big = Limits {
            max_depth: 128,
            max_bytes: usize::MAX,
        };
        assert_eq!(
            parse(hostile.as_bytes(), &big).unwrap_err().kind,
            JsonErrorKind::TooDeep
        );
    }

    #[test]
    fn size_limit_maps_to_413() {
        let l = Limits {
            max_depth: 8,
            max_bytes: 4,
        };
        let e = parse(b"[1,2,3]", &l).unwrap_err();
        assert_eq!(e.kind, JsonErrorKind::TooLarge);
        let be: crate::BodyError = e.into();
        assert_eq!((be.status, be.code), (413, "body_too_large"));
        let be: crate::BodyError = p("{,}").unwrap_err().into();
        assert_eq!((be.status, be.code), (400, "invalid_json"));
    }

    #[test]
    fn error_messages_never_echo_document_text() {
        let secret = "sk-live-supersecret";
        for doc in [
            format!(r#"{{"{secret}":1,"{secret}":2}}"#),
            format!(r#"{{"a":"{secret}"#),
            format!(r#"{{"a":"{secret}\q"}}"#),
        ] {
            let e = p(&doc).unwrap_err();
            assert!(!e.to_string().contains(secret), "{e}");
        }
    }

    #[test]
    fn special_byte_scan_matches_a_bytewise_scan_everywhere() {
        let naive = |raw: &[u8], from: usize| {
            (from..raw.len())
                .find(|&i| matches!(raw[i], b'"' | b'\\' | 0..=0x1f))
                .unwrap_or(raw.len())
        };
        let mut bytes: Vec<u8> = Vec::new();
        for i in 0..600u32 {
            // plain ASCII, UTF-8 bytes, and every special byte at varied offsets
            bytes.push(match i % 37 {
                0 => b'"',
                5 => b'\\',
                11 => (i % 32) as u8,
                17 => 0xc3,
                18 => 0xa9,
                23 => 0x7f,
                29 => 0x21,
                _ => b'a' + (i % 26) as u8,
            });
        }
        for from in 0..bytes.len() {
            assert_eq!(
                special_byte_from(&bytes, from),
                naive(&bytes, from),
                "from {from}"
            );
        }
        for b in 0u8..=255 {
            let v = [b'x', b'x', b'x', b, b'x', b'x', b'x', b'x', b'x'];
            assert_eq!(special_byte_from(&v, 0), naive(&v, 0), "byte {b:#x}");
        }
    }

    #[test]
    fn quote_round_trips_through_parse() {
        for s in [
            "",
            "plain",
            "q\"b\\s/",
            "ctl\u{1}\u{1f}\n\r\t",
            "é 😀 \u{2028}",
        ] {
            let q = quote(s);
            assert_eq!(p(&q).unwrap().as_str(), Some(s), "{q}");
        }
        assert_eq!(quote("a\"b"), r#""a\"b""#);
    }

    #[test]
    fn splices_keep_everything_else_byte_identical() {
        let raw = br#"{ "a" : "one",  "b":"two" }"#;
        let n = parse(raw, &Limits::default()).unwrap();
        let a = n.get("a").unwrap().span.clone();
        let b = n.get("b").unwrap().span.clone();
        let out = apply_splices(
            raw,
            vec![
                Splice {
                    span: b,
                    with: quote("2").into_bytes(),
                },
                Splice {
                    span: a.clone(),
                    with: quote("uno").into_bytes(),
                },
            ],
        )
        .unwrap();
        assert_eq!(out, br#"{ "a" : "uno",  "b":"2" }"#);
        let overlap = apply_splices(
            raw,
            vec![
                Splice {
                    span: 0..5,
                    with: vec![],
                },
                Splice {
                    span: 3..6,
                    with: vec![],
                },
            ],
        );
        assert!(matches!(overlap, Err(SpliceError::Overlap(_))));
        let oob = apply_splices(
            raw,
            vec![Splice {
                span: 0..999,
                with: vec![],
            }],
        );
        assert!(matches!(oob, Err(SpliceError::OutOfBounds(_))));
    }
}
