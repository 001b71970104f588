//! A small JSON value with a strict parser and a compact writer.
//!
//! Metadata, filters and options cross the C ABI as UTF-8 JSON. Objects keep their key
//! order (a user reads back the metadata they wrote). Nesting is limited so that hostile
//! input cannot overflow the stack.

use crate::error::{Error, Result};
pub use crate::json_key::Key;

/// How deep arrays and objects may nest. Deeper input is rejected, never a stack overflow.
pub const MAX_DEPTH: usize = 64;

#[derive(Debug, Clone, PartialEq)]
pub enum Json {
    Null,
    Bool(bool),
    Number(f64),
    String(String),
    Array(Vec<Json>),
    Object(Vec<(Key, Json)>),
}

impl Json {
    /// The value under `key` when this is an object (the last one if a key repeats).
    pub fn get(&self, key: &str) -> Option<&Json> {
        match self {
            Json::Object(fields) => fields.iter().rev().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Json::String(s) => Some(s),
            _ => None,
        }
    }
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            Json::Number(n) => Some(*n),
            _ => None,
        }
    }
    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Json::Bool(b) => Some(*b),
            _ => None,
        }
    }
    pub fn as_array(&self) -> Option<&[Json]> {
        match self {
            Json::Array(items) => Some(items),
            _ => None,
        }
    }
    pub fn as_object(&self) -> Option<&[(Key, Json)]> {
        match self {
            Json::Object(fields) => Some(fields),
            _ => None,
        }
    }
    pub fn is_null(&self) -> bool {
        matches!(self, Json::Null)
    }
    /// A short name of the value's type, for error messages.
    pub fn type_name(&self) -> &'static str {
        match self {
            Json::Null => "null",
            Json::Bool(_) => "boolean",
            Json::Number(_) => "number",
            Json::String(_) => "string",
            Json::Array(_) => "array",
            Json::Object(_) => "object",
        }
    }

    /// Compact JSON text.
    pub fn to_json(&self) -> String {
        let mut out = String::new();
        self.write_to(&mut out);
        out
    }

    pub fn write_to(&self, out: &mut String) {
        match self {
            Json::Null => out.push_str("null"),
            Json::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            Json::Number(n) => write_number(*n, out),
            Json::String(s) => write_string(s, out),
            Json::Array(items) => {
                out.push('[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    item.write_to(out);
                }
                out.push(']');
            }
            Json::Object(fields) => {
                out.push('{');
                for (i, (key, value)) in fields.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    write_string(key, out);
                    out.push(':');
                    value.write_to(out);
                }
                out.push('}');
            }
        }
    }
}

pub fn write_number(n: f64, out: &mut String) {
    use std::fmt::Write;
    if n.is_finite() {
        // Rust's Display gives the shortest text that reads back as the same f64.
        let _ = write!(out, "{n}");
    } else {
        out.push_str("null");
    }
}

pub fn write_string(s: &str, out: &mut String) {
    use std::fmt::Write;
    out.reserve(s.len() + 2);
    out.push('"');
    // Copies the runs between bytes that need an escape in one go (search results carry
    // whole paragraphs of metadata text: a char at a time was a sixth of a keyword query),
    // and finds them eight bytes at a time. Every escaped byte is ASCII, so each run ends
    // on a char boundary.
    let bytes = s.as_bytes();
    let mut run = 0;
    let mut i = 0;
    while i < bytes.len() {
        if let Some(chunk) = bytes.get(i..i + 8) {
            let word = u64::from_le_bytes(chunk.try_into().unwrap_or([0; 8]));
            if !any_byte_needs_escape(word) {
                i += 8;
                continue;
            }
        }
        let b = bytes[i];
        let escape = match b {
            b'"' => "\\\"",
            b'\\' => "\\\\",
            b'\n' => "\\n",
            b'\r' => "\\r",
            b'\t' => "\\t",
            0..=0x1f => "",
            _ => {
                i += 1;
                continue;
            }
        };
        out.push_str(&s[run..i]);
        if escape.is_empty() {
            let _ = write!(out, "\\u{:04x}", b);
        } else {
            out.push_str(escape);
        }
        i += 1;
        run = i;
    }
    out.push_str(&s[run..]);
    out.push('"');
}

/// Whether any byte of `word` is below 0x20, a '"' or a '\\' (the bytes a JSON string
/// escapes). Bit tricks on eight bytes at once: `(x - 0x01..) & !x & 0x80..` is non-zero
/// exactly when some byte of x is 0, and `(x - n·0x01..) & !x & 0x80..` when some byte is
/// below n (for n <= 128).
#[inline]
fn any_byte_needs_escape(word: u64) -> bool {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGHS: u64 = 0x8080_8080_8080_8080;
    let below = |x: u64, n: u64| x.wrapping_sub(ONES * n) & !x & HIGHS;
    let quote = word ^ (ONES * b'"' as u64);
    let backslash = word ^ (ONES * b'\\' as u64);
    (below(word, 0x20) | below(quote, 1) | below(backslash, 1)) != 0
}

/// Parses one JSON document. `what` names the input in error messages ("metadata", "filter").
pub fn parse(text: &[u8], what: &str) -> Result<Json> {
    run(text, what, true)
}

/// Checks that `text` is one JSON document `parse` would take, building nothing: stored
/// metadata handed on as it is (a read's result) is checked this way instead of parsed and
/// written again. Text that passes is valid UTF-8.
pub fn check(text: &[u8], what: &str) -> Result<()> {
    run(text, what, false).map(|_| ())
}

fn run(text: &[u8], what: &str, build: bool) -> Result<Json> {
    let mut parser = Parser { bytes: text, pos: 0, what, build, fields: Vec::new(), items: Vec::new() };
    parser.skip_ws();
    let value = parser.value(0)?;
    parser.skip_ws();
    if parser.pos != parser.bytes.len() {
        return Err(parser.error("unexpected text after the JSON value"));
    }
    Ok(value)
}

struct Parser<'a> {
    bytes: &'a [u8],
    pos: usize,
    what: &'a str,
    /// False when only checking: strings, arrays and objects come back empty, unbuilt.
    build: bool,
    /// The fields of the objects being parsed, innermost last: a closed object takes its
    /// own off the end into a Vec of exactly their number. Growing each object's Vec and
    /// shrinking it at the end instead left a freed tail behind every object that lives on
    /// (a record's metadata), and those small holes, never reused, were 13 MB of heap
    /// after 100,000 records.
    fields: Vec<(Key, Json)>,
    /// The same for the items of the arrays being parsed.
    items: Vec<Json>,
}

impl<'a> Parser<'a> {
    fn error(&self, message: &str) -> Error {
        Error::invalid(format!("{} is not valid JSON at byte {}: {message}", self.what, self.pos))
    }

    fn skip_ws(&mut self) {
        while let Some(&b) = self.bytes.get(self.pos) {
            if b == b' ' || b == b'\n' || b == b'\r' || b == b'\t' {
                self.pos += 1;
            } else {
                break;
            }
        }
    }

    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    fn expect_literal(&mut self, literal: &str, value: Json) -> Result<Json> {
        if self.bytes[self.pos..].starts_with(literal.as_bytes()) {
            self.pos += literal.len();
            Ok(value)
        } else {
            Err(self.error("unknown literal"))
        }
    }

    fn value(&mut self, depth: usize) -> Result<Json> {
        if depth > MAX_DEPTH {
            return Err(self.error(&format!("nested deeper than {MAX_DEPTH} levels")));
        }
        match self.peek() {
            None => Err(self.error("unexpected end")),
            Some(b'n') => self.expect_literal("null", Json::Null),
            Some(b't') => self.expect_literal("true", Json::Bool(true)),
            Some(b'f') => self.expect_literal("false", Json::Bool(false)),
            Some(b'"') => Ok(Json::String(self.string()?)),
            Some(b'[') => self.array(depth),
            Some(b'{') => self.object(depth),
            Some(b'-' | b'0'..=b'9') => self.number(),
            Some(_) => Err(self.error("unexpected character")),
        }
    }

    fn array(&mut self, depth: usize) -> Result<Json> {
        self.pos += 1;
        self.skip_ws();
        if self.peek() == Some(b']') {
            self.pos += 1;
            return Ok(Json::Array(Vec::new()));
        }
        let base = self.items.len();
        loop {
            self.skip_ws();
            let item = self.value(depth + 1)?;
            if self.build {
                self.items.push(item);
            }
            self.skip_ws();
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(b']') => {
                    self.pos += 1;
                    return Ok(Json::Array(self.items.drain(base..).collect()));
                }
                _ => return Err(self.error("expected ',' or ']'")),
            }
        }
    }

    fn object(&mut self, depth: usize) -> Result<Json> {
        self.pos += 1;
        self.skip_ws();
        if self.peek() == Some(b'}') {
            self.pos += 1;
            return Ok(Json::Object(Vec::new()));
        }
        let base = self.fields.len();
        loop {
            self.skip_ws();
            if self.peek() != Some(b'"') {
                return Err(self.error("expected a string key"));
            }
            let key = self.string()?;
            self.skip_ws();
            if self.peek() != Some(b':') {
                return Err(self.error("expected ':'"));
            }
            self.pos += 1;
            self.skip_ws();
            let value = self.value(depth + 1)?;
            // A repeated key replaces the earlier one, as JSON.parse does.
            if self.build {
                match self.fields[base..].iter_mut().find(|(k, _)| *k == key) {
                    Some(slot) => slot.1 = value,
                    None => self.fields.push((key.into(), value)),
                }
            }
            self.skip_ws();
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(b'}') => {
                    self.pos += 1;
                    return Ok(Json::Object(self.fields.drain(base..).collect()));
                }
                _ => return Err(self.error("expected ',' or '}'")),
            }
        }
    }

    fn number(&mut self) -> Result<Json> {
        let start = self.pos;
        if self.peek() == Some(b'-') {
            self.pos += 1;
        }
        let digits_start = self.pos;
        while matches!(self.peek(), Some(b'0'..=b'9')) {
            self.pos += 1;
        }
        if self.pos == digits_start {
            return Err(self.error("expected digits"));
        }
        if self.bytes[digits_start] == b'0' && self.pos - digits_start > 1 {
            return Err(self.error("leading zero"));
        }
        if self.peek() == Some(b'.') {
            self.pos += 1;
            let frac = self.pos;
            while matches!(self.peek(), Some(b'0'..=b'9')) {
                self.pos += 1;
            }
            if self.pos == frac {
                return Err(self.error("expected digits after '.'"));
            }
        }
        if matches!(self.peek(), Some(b'e' | b'E')) {
            self.pos += 1;
            if matches!(self.peek(), Some(b'+' | b'-')) {
                self.pos += 1;
            }
            let exp = self.pos;
            while matches!(self.peek(), Some(b'0'..=b'9')) {
                self.pos += 1;
            }
            if self.pos == exp {
                return Err(self.error("expected exponent digits"));
            }
        }
        // The scanned bytes are ASCII digits and signs, so this is valid UTF-8.
        let text = std::str::from_utf8(&self.bytes[start..self.pos]).unwrap_or("");
        let n: f64 = text.parse().map_err(|_| self.error("bad number"))?;
        if !n.is_finite() {
            return Err(self.error("number out of range"));
        }
        Ok(Json::Number(n))
    }

    fn hex4(&mut self) -> Result<u32> {
        let end = self.pos + 4;
        if end > self.bytes.len() {
            return Err(self.error("short \\u escape"));
        }
        // Four hex digits exactly: `from_str_radix` alone would also take a sign ("\u+041"),
        // which JSON.parse refuses, and checked stored text is handed to it as it is.
        let digits = &self.bytes[self.pos..end];
        if !digits.iter().all(u8::is_ascii_hexdigit) {
            return Err(self.error("bad \\u escape"));
        }
        let v = digits.iter().fold(0, |v, &d| (v << 4) | (d as char).to_digit(16).unwrap_or(0));
        self.pos = end;
        Ok(v)
    }

    fn string(&mut self) -> Result<String> {
        self.pos += 1; // opening quote
        let mut out = String::new();
        loop {
            let start = self.pos;
            while let Some(b) = self.peek() {
                if b == b'"' || b == b'\\' || b < 0x20 {
                    break;
                }
                self.pos += 1;
            }
            let chunk = std::str::from_utf8(&self.bytes[start..self.pos]).map_err(|_| self.error("invalid UTF-8"))?;
            if self.build {
                out.push_str(chunk);
            }
            match self.peek() {
                None => return Err(self.error("unterminated string")),
                Some(b'"') => {
                    self.pos += 1;
                    return Ok(out);
                }
                Some(b'\\') => {
                    self.pos += 1;
                    let esc = self.peek().ok_or_else(|| self.error("unterminated escape"))?;
                    self.pos += 1;
                    let c = match esc {
                        b'"' => '"',
                        b'\\' => '\\',
                        b'/' => '/',
                        b'b' => '\u{8}',
                        b'f' => '\u{c}',
                        b'n' => '\n',
                        b'r' => '\r',
                        b't' => '\t',
                        b'u' => self.unicode_escape()?,
                        _ => return Err(self.error("unknown escape")),
                    };
                    if self.build {
                        out.push(c);
                    }
                }
                Some(_) => return Err(self.error("control character in string")),
            }
        }
    }

    fn unicode_escape(&mut self) -> Result<char> {
        let at = self.pos;
        let first = self.hex4()?;
        if (0xD800..0xDC00).contains(&first) && self.bytes[self.pos..].starts_with(b"\\u") {
            let save = self.pos;
            self.pos += 2;
            let second = self.hex4()?;
            if (0xDC00..0xE000).contains(&second) {
                let c = 0x10000 + ((first - 0xD800) << 10) + (second - 0xDC00);
                return char::from_u32(c).ok_or_else(|| self.error("bad \\u escape"));
            }
            self.pos = save;
        }
        // A lone surrogate (JSON.stringify writes one for a string that is not well-formed
        // UTF-16) is refused: stored as U+FFFD it would come back changed, and two ids that
        // differ only there would become one.
        char::from_u32(first).ok_or_else(|| {
            self.pos = at;
            self.error(&format!("lone UTF-16 surrogate \\u{first:04x} in a string (not well-formed Unicode)"))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_nested_values() {
        let text = r#"{"a":1,"b":[true,false,null],"c":{"d":"x\"y\\z\n"},"e":-1.5e-7}"#;
        let v = parse(text.as_bytes(), "t").unwrap();
        assert_eq!(parse(v.to_json().as_bytes(), "t").unwrap(), v);
        assert_eq!(v.get("a"), Some(&Json::Number(1.0)));
    }

    #[test]
    fn check_takes_exactly_what_parse_takes() {
        let inputs = [
            r#"{"a":1,"b":[true,false,null],"c":{"d":"x\"y\\z\n"},"e":-1.5e-7}"#,
            r#" {"a":{"a":[{}]},"a":2} "#,
            r#""\ud83d\ude00 \u00e9""#,
            r#""\ud800""#,
            "\"\u{7}\"",
            "\"caf\u{e9}\"",
            "1e999",
            "-0.5E+3",
            "",
            "{",
            "[1,]",
            "{\"a\" 1}",
            "01",
            "1.",
            "nul",
            "\"abc",
            "[1] x",
            "{1:2}",
            "\"\\x\"",
        ];
        for text in inputs {
            assert_eq!(check(text.as_bytes(), "t").is_ok(), parse(text.as_bytes(), "t").is_ok(), "{text:?}");
        }
        let deep = format!("{}{}", "[".repeat(MAX_DEPTH + 2), "]".repeat(MAX_DEPTH + 2));
        assert!(check(deep.as_bytes(), "t").is_err() && parse(deep.as_bytes(), "t").is_err());
        // Bytes that are not UTF-8 inside a string.
        assert!(check(b"\"\xff\"", "t").is_err() && parse(b"\"\xff\"", "t").is_err());
        assert!(check(b"{\"k\":\"v\"}", "t").is_ok());
        // JSON.parse refuses these, so must both (checked stored text is handed to it as it is).
        for refused in [r#""\u+041""#, r#""\u-041""#, r#""\u 041""#, r#""\u00e""#] {
            assert!(check(refused.as_bytes(), "t").is_err() && parse(refused.as_bytes(), "t").is_err(), "{refused}");
        }
        assert_eq!(parse(br#""\u0041\u00E9\u00e9""#, "t").unwrap(), Json::String("A\u{e9}\u{e9}".into()));
    }

    #[test]
    fn rejects_malformed_input() {
        for bad in ["", "{", "[1,]", "{\"a\" 1}", "01", "1.", "nul", "\"abc", "[1] x", "{1:2}"] {
            assert!(parse(bad.as_bytes(), "t").is_err(), "{bad}");
        }
    }

    #[test]
    fn limits_depth() {
        let deep = "[".repeat(MAX_DEPTH + 5) + &"]".repeat(MAX_DEPTH + 5);
        assert!(parse(deep.as_bytes(), "t").is_err());
    }

    #[test]
    fn decodes_unicode_escapes() {
        let v = parse(br#""\u00e9\ud83d\ude00""#, "t").unwrap();
        assert_eq!(v.as_str(), Some("é😀"));
    }

    #[test]
    fn refuses_lone_surrogates_instead_of_changing_them() {
        for text in [r#""\ud800""#, r#""\udc00""#, r#""a\ud800b""#, r#""\ud800\u0041""#, r#"{"\udfff": 1}"#, r#""\ude00\ud83d""#] {
            let err = parse(text.as_bytes(), "t").unwrap_err();
            assert!(err.message.contains("lone UTF-16 surrogate"), "{text}: {}", err.message);
        }
    }

    #[test]
    fn writes_integers_without_fraction() {
        assert_eq!(Json::Number(3.0).to_json(), "3");
        assert_eq!(Json::Number(0.1).to_json(), "0.1");
    }

    #[test]
    fn objects_and_arrays_hold_exactly_their_items_and_repeated_keys_keep_the_last() {
        let v = parse(br#"{"a":[1,2,3],"b":{"c":{"d":[[],{}]}},"a":[4],"e":[{"x":1,"x":2}]}"#, "t").unwrap();
        fn exact(v: &Json) {
            match v {
                Json::Array(items) => {
                    assert_eq!(items.capacity(), items.len());
                    items.iter().for_each(exact);
                }
                Json::Object(fields) => {
                    assert_eq!(fields.capacity(), fields.len());
                    fields.iter().for_each(|(_, v)| exact(v));
                }
                _ => {}
            }
        }
        exact(&v);
        assert_eq!(v.to_json(), r#"{"a":[4],"b":{"c":{"d":[[],{}]}},"e":[{"x":2}]}"#);
    }

    #[test]
    fn strings_are_escaped_as_a_char_by_char_escaper_does_and_read_back() {
        fn reference(s: &str) -> String {
            let mut out = String::from("\"");
            for c in s.chars() {
                match c {
                    '"' => out.push_str("\\\""),
                    '\\' => out.push_str("\\\\"),
                    '\n' => out.push_str("\\n"),
                    '\r' => out.push_str("\\r"),
                    '\t' => out.push_str("\\t"),
                    c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
                    c => out.push(c),
                }
            }
            out.push('"');
            out
        }
        let every_ascii: String = (0u8..0x80).map(char::from).collect();
        // Each special byte at every offset of an eight-byte word, amid multi-byte chars.
        let mut placed = Vec::new();
        for special in ['"', '\\', '\n', '\u{1f}', '\u{0}', ' ', '~', '\u{7f}'] {
            for at in 0..17 {
                let mut t: String = "abcdéfghijklmnopqrstu".chars().take(at).collect();
                t.push(special);
                t.push_str("xyz 😀 tail of the string");
                placed.push(t);
            }
        }
        let cases = ["", "plain", "\"", "\\", "a\"b\\c\nd", "é\n😀\t名前\u{1}", "\u{7f}\u{80}\u{ffff}", every_ascii.as_str(), "ends with é"];
        for case in cases.iter().copied().chain(placed.iter().map(|t| t.as_str())) {
            let mut out = String::new();
            write_string(case, &mut out);
            assert_eq!(out, reference(case), "{case:?}");
            assert_eq!(parse(out.as_bytes(), "t").unwrap().as_str(), Some(case));
        }
    }

    /// The bounds src/codec.ts checks metadata against (METADATA_LEVELS = 62): metadata sits
    /// two levels down in the records array the FFI write parses.
    #[test]
    fn a_records_array_takes_metadata_62_levels_deep_and_an_empty_63rd() {
        let records = |levels: usize, innermost: &str| {
            let metadata = "{\"a\":".repeat(levels - 1) + innermost + &"}".repeat(levels - 1);
            format!("[{{\"id\":\"x\",\"metadata\":{metadata}}}]")
        };
        assert!(parse(records(62, "{\"leaf\":1}").as_bytes(), "t").is_ok());
        assert!(parse(records(63, "{}").as_bytes(), "t").is_ok());
        assert!(parse(records(63, "[]").as_bytes(), "t").is_ok());
        assert!(parse(records(63, "{\"leaf\":1}").as_bytes(), "t").is_err());
        assert!(parse(records(63, "[1]").as_bytes(), "t").is_err());
    }

    #[test]
    fn the_eight_byte_escape_test_agrees_with_a_byte_by_byte_one() {
        let bytewise = |w: u64| w.to_le_bytes().iter().any(|&b| b < 0x20 || b == b'"' || b == b'\\');
        let mut words = Vec::new();
        // Every byte value at every position, amid plain letters and amid high bytes.
        for fill in [0x61u8, 0xc3, 0x80, 0xff, 0x21, 0x5d] {
            for at in 0..8 {
                for b in 0..=255u8 {
                    let mut w = [fill; 8];
                    w[at] = b;
                    words.push(u64::from_le_bytes(w));
                }
            }
        }
        let mut x = 0x9e37_79b9_7f4a_7c15u64;
        for _ in 0..200_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            words.push(x);
        }
        for w in words {
            assert_eq!(any_byte_needs_escape(w), bytewise(w), "{w:#018x}");
        }
    }
}
