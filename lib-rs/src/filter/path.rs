//! Dot-path resolution: finds the value a field path such as `"author.name"` or `"tags.0"`
//! names inside a record's metadata.
//!
//! Keys may themselves contain dots (metadata is user data), so a path is not simply split
//! and walked: at each object the whole remaining path is tried as one key first, then each
//! prefix that names an object or array, left to right, backtracking on failure. The path is
//! split once at parse time so that resolving it allocates nothing.

use crate::json::{Json, MAX_DEPTH};

/// A field path with its dot positions and array indices worked out in advance.
#[derive(Debug, Clone)]
pub(super) struct FieldPath {
    text: Box<str>,
    segments: Box<[Segment]>,
}

/// One dot-separated piece of the path, as a byte range of the text.
#[derive(Debug, Clone, Copy)]
struct Segment {
    start: usize,
    end: usize,
    /// Set when the piece can index an array, so evaluation never parses digits.
    index: Option<usize>,
}

impl FieldPath {
    pub(super) fn new(text: &str) -> FieldPath {
        let mut segments = Vec::new();
        let mut start = 0;
        // '.' is ASCII, so every split point is a char boundary.
        for (i, byte) in text.bytes().enumerate() {
            if byte == b'.' {
                segments.push(Segment { start, end: i, index: array_index(&text[start..i]) });
                start = i + 1;
            }
        }
        segments.push(Segment { start, end: text.len(), index: array_index(&text[start..]) });
        FieldPath { text: text.into(), segments: segments.into_boxed_slice() }
    }

    /// The path as written.
    pub(super) fn text(&self) -> &str {
        &self.text
    }

    /// The value the path names in `root`, or `None` when nothing is there.
    pub(super) fn resolve<'a>(&self, root: &'a Json) -> Option<&'a Json> {
        self.resolve_from(root, 0, 0)
    }

    /// Resolves the segments from `first` on inside `value`. `depth` counts the levels
    /// descended; each step goes one level down the metadata, so parsed metadata bounds
    /// the recursion, and the guard bounds it for metadata built any other way.
    fn resolve_from<'a>(&self, value: &'a Json, first: usize, depth: usize) -> Option<&'a Json> {
        if depth > MAX_DEPTH {
            return None;
        }
        let last = self.segments.len() - 1;
        match value {
            Json::Object(_) => {
                let start = self.segments[first].start;
                if let Some(found) = value.get(&self.text[start..]) {
                    return Some(found);
                }
                (first..last).find_map(|split| {
                    let key = &self.text[start..self.segments[split].end];
                    match value.get(key) {
                        Some(child @ (Json::Object(_) | Json::Array(_))) => {
                            self.resolve_from(child, split + 1, depth + 1)
                        }
                        _ => None,
                    }
                })
            }
            Json::Array(items) => {
                let item = items.get(self.segments[first].index?)?;
                if first == last {
                    Some(item)
                } else {
                    self.resolve_from(item, first + 1, depth + 1)
                }
            }
            _ => None,
        }
    }
}

/// Only canonical decimal integers index arrays: `"01"`, `"+1"` and `"-1"` do not.
fn array_index(segment: &str) -> Option<usize> {
    let digits = !segment.is_empty() && segment.bytes().all(|b| b.is_ascii_digit());
    if digits && (segment == "0" || !segment.starts_with('0')) {
        segment.parse().ok()
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json;

    fn resolve(path: &str, metadata: &str) -> Option<Json> {
        let metadata = json::parse(metadata.as_bytes(), "metadata").unwrap();
        FieldPath::new(path).resolve(&metadata).cloned()
    }

    fn num(n: f64) -> Option<Json> {
        Some(Json::Number(n))
    }

    #[test]
    fn resolves_top_level_keys() {
        assert_eq!(resolve("a", r#"{"a":1}"#), num(1.0));
        assert_eq!(resolve("a", r#"{"a":null}"#), Some(Json::Null));
        assert_eq!(resolve("b", r#"{"a":1}"#), None);
        assert_eq!(resolve("a", "{}"), None);
    }

    #[test]
    fn walks_nested_objects() {
        let m = r#"{"author":{"name":"Ann","address":{"city":"Oslo"}}}"#;
        assert_eq!(resolve("author.name", m), Some(Json::String("Ann".into())));
        assert_eq!(resolve("author.address.city", m), Some(Json::String("Oslo".into())));
        assert_eq!(resolve("author.age", m), None);
        assert_eq!(resolve("author.name.first", m), None);
        assert_eq!(resolve("editor.name", m), None);
    }

    #[test]
    fn prefers_the_literal_dotted_key() {
        assert_eq!(resolve("a.b", r#"{"a.b":1,"a":{"b":2}}"#), num(1.0));
        assert_eq!(resolve("a.b", r#"{"a":{"b":2},"a.b":1}"#), num(1.0));
        assert_eq!(resolve("x.a.b", r#"{"x":{"a.b":3,"a":{"b":4}}}"#), num(3.0));
    }

    #[test]
    fn tries_prefixes_left_to_right_and_backtracks() {
        // "a" is an object but holds no "b.c" path; "a.b" does.
        assert_eq!(resolve("a.b.c", r#"{"a":{"x":1},"a.b":{"c":2}}"#), num(2.0));
        // Both work: the shorter prefix comes first.
        assert_eq!(resolve("a.b.c", r#"{"a":{"b.c":1},"a.b":{"c":2}}"#), num(1.0));
        // A prefix naming a scalar is skipped.
        assert_eq!(resolve("a.b.c", r#"{"a":5,"a.b":{"c":2}}"#), num(2.0));
    }

    #[test]
    fn indexes_arrays_with_numeric_segments() {
        let m = r#"{"tags":["x","y"],"items":[{"name":"p"},{"name":"q"}],"grid":[[1,2],[3,4]]}"#;
        assert_eq!(resolve("tags.0", m), Some(Json::String("x".into())));
        assert_eq!(resolve("tags.1", m), Some(Json::String("y".into())));
        assert_eq!(resolve("tags.2", m), None);
        assert_eq!(resolve("items.1.name", m), Some(Json::String("q".into())));
        assert_eq!(resolve("grid.1.0", m), num(3.0));
        assert_eq!(resolve("tags", m).and_then(|v| v.as_array().map(<[Json]>::len)), Some(2));
    }

    #[test]
    fn rejects_non_canonical_indices() {
        let m = r#"{"tags":["x","y"]}"#;
        for path in ["tags.01", "tags.-1", "tags.+1", "tags.", "tags.1e0", "tags.99999999999999999999999"] {
            assert_eq!(resolve(path, m), None, "{path}");
        }
        assert_eq!(array_index("0"), Some(0));
        assert_eq!(array_index("10"), Some(10));
        assert_eq!(array_index("00"), None);
        assert_eq!(array_index(""), None);
    }

    #[test]
    fn numeric_segments_are_plain_keys_in_objects() {
        assert_eq!(resolve("a.0", r#"{"a":{"0":7}}"#), num(7.0));
    }

    #[test]
    fn does_not_traverse_arrays_of_objects() {
        assert_eq!(resolve("items.name", r#"{"items":[{"name":"p"}]}"#), None);
    }

    #[test]
    fn edge_segments_are_literal_keys() {
        assert_eq!(resolve("a.", r#"{"a.":1}"#), num(1.0));
        assert_eq!(resolve(".a", r#"{"":{"a":2}}"#), num(2.0));
        assert_eq!(resolve("a..b", r#"{"a":{"":{"b":3}}}"#), num(3.0));
    }

    #[test]
    fn scalars_and_non_objects_hold_nothing() {
        assert_eq!(resolve("a", "5"), None);
        assert_eq!(resolve("a", "null"), None);
        assert_eq!(resolve("0", "[9]"), num(9.0));
    }

    #[test]
    fn stops_descending_past_the_depth_limit() {
        // Built by hand, since the JSON parser would refuse it.
        let mut deep = Json::Number(1.0);
        for _ in 0..MAX_DEPTH + 10 {
            deep = Json::Object(vec![("a".into(), deep)]);
        }
        let long = vec!["a"; MAX_DEPTH + 10].join(".");
        assert_eq!(FieldPath::new(&long).resolve(&deep), None);
        let short = ["a"; 5].join(".");
        assert!(FieldPath::new(&short).resolve(&deep).is_some());
    }
}
