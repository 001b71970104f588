//! Evaluates a plan against one record's metadata. This runs once per record in a scan, so
//! it only reads: no allocation, and no check the parser has already made.

use super::{Node, Op, Range};
use crate::json::Json;
use std::cmp::Ordering;

impl Node {
    pub(super) fn matches(&self, metadata: &Json) -> bool {
        match self {
            Node::All(nodes) => nodes.iter().all(|node| node.matches(metadata)),
            Node::Any(nodes) => nodes.iter().any(|node| node.matches(metadata)),
            Node::Not(node) => !node.matches(metadata),
            Node::Field { path, ops, .. } => {
                let value = path.resolve(metadata);
                ops.iter().all(|op| op.matches(value))
            }
        }
    }
}

impl Op {
    /// `value` is `None` when the field is missing: only `$ne`, `$nin`, `$exists: false` and
    /// negations can then be true, as in MongoDB.
    pub(super) fn matches(&self, value: Option<&Json>) -> bool {
        match self {
            Op::Eq(arg) => value.is_some_and(|v| deep_eq(v, arg)),
            Op::Ne(arg) => !value.is_some_and(|v| deep_eq(v, arg)),
            Op::Range(range, bound) => value.and_then(|v| compare(v, bound)).is_some_and(|ord| range.accepts(ord)),
            Op::In(items) => value.is_some_and(|v| items.iter().any(|item| deep_eq(v, item))),
            Op::Nin(items) => !value.is_some_and(|v| items.iter().any(|item| deep_eq(v, item))),
            Op::Contains(arg) => value.is_some_and(|v| contains(v, arg)),
            Op::Exists(expected) => value.is_some() == *expected,
            Op::Size(len) => value.and_then(size_of).is_some_and(|n| n == *len),
            Op::Not(ops) => !ops.iter().all(|op| op.matches(value)),
            Op::ElemMatchOps(ops) => value
                .and_then(Json::as_array)
                .is_some_and(|items| items.iter().any(|item| ops.iter().all(|op| op.matches(Some(item))))),
            Op::ElemMatchFilter(node) => value
                .and_then(Json::as_array)
                .is_some_and(|items| items.iter().any(|item| matches!(item, Json::Object(_)) && node.matches(item))),
        }
    }
}

impl Range {
    fn accepts(self, ord: Ordering) -> bool {
        match self {
            Range::Gt => ord.is_gt(),
            Range::Gte => ord.is_ge(),
            Range::Lt => ord.is_lt(),
            Range::Lte => ord.is_le(),
        }
    }
}

/// Orders only like with like; any other pairing has no order, so range operators are false.
fn compare(value: &Json, bound: &Json) -> Option<Ordering> {
    match (value, bound) {
        (Json::Number(a), Json::Number(b)) => a.partial_cmp(b),
        // Byte order of UTF-8 is code point order, the same in every binding.
        (Json::String(a), Json::String(b)) => Some(a.as_bytes().cmp(b.as_bytes())),
        _ => None,
    }
}

fn contains(value: &Json, arg: &Json) -> bool {
    match (value, arg) {
        (Json::String(haystack), Json::String(needle)) => haystack.contains(needle.as_str()),
        (Json::Array(items), _) => items.iter().any(|item| deep_eq(item, arg)),
        _ => false,
    }
}

/// Equality across types is always false; objects ignore key order. Recursion stops at the
/// shallower side, and the parser bounds the literal's nesting.
fn deep_eq(a: &Json, b: &Json) -> bool {
    match (a, b) {
        (Json::Null, Json::Null) => true,
        (Json::Bool(x), Json::Bool(y)) => x == y,
        (Json::Number(x), Json::Number(y)) => x == y,
        (Json::String(x), Json::String(y)) => x == y,
        (Json::Array(x), Json::Array(y)) => x.len() == y.len() && x.iter().zip(y).all(|(p, q)| deep_eq(p, q)),
        // Checking both directions keeps this right even for objects built in code with a
        // repeated key, which the JSON parser never produces.
        (Json::Object(x), Json::Object(y)) => {
            x.len() == y.len()
                && x.iter().all(|(key, value)| b.get(key).is_some_and(|other| deep_eq(value, other)))
                && y.iter().all(|(key, _)| a.get(key).is_some())
        }
        _ => false,
    }
}

/// What `$size` measures: a list's items, an object's keys (a key given twice counts once, as
/// the last one wins when read); nothing for other values.
fn size_of(value: &Json) -> Option<usize> {
    match value {
        Json::Array(items) => Some(items.len()),
        Json::Object(fields) => Some(fields.iter().enumerate().filter(|(i, (k, _))| !fields[i + 1..].iter().any(|(later, _)| later == k)).count()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::super::FilterPlan;
    use super::*;
    use crate::json;

    fn parse(text: &str) -> Json {
        json::parse(text.as_bytes(), "test").unwrap()
    }

    /// Checks one filter against metadata documents and the expected outcome of each.
    fn cases(filter: &str, table: &[(&str, bool)]) {
        let plan = FilterPlan::parse(&parse(filter)).unwrap();
        for (metadata, expected) in table {
            assert_eq!(plan.matches(&parse(metadata)), *expected, "filter {filter} on {metadata}");
        }
    }

    #[test]
    fn deep_equality_is_type_strict() {
        let eq = |a: &str, b: &str| deep_eq(&parse(a), &parse(b));
        assert!(eq("1", "1.0"));
        assert!(eq("-0", "0"));
        assert!(!eq("1", "\"1\""));
        assert!(!eq("0", "false"));
        assert!(!eq("null", "false"));
        assert!(eq("null", "null"));
        assert!(eq("[1,[2,{\"a\":3}]]", "[1.0,[2,{\"a\":3}]]"));
        assert!(!eq("[1,2]", "[2,1]"));
        assert!(!eq("[1,2]", "[1,2,3]"));
        assert!(!eq("[1]", "1"));
        assert!(eq(r#"{"a":1,"b":[2]}"#, r#"{"b":[2],"a":1}"#));
        assert!(!eq(r#"{"a":1}"#, r#"{"a":1,"b":2}"#));
        assert!(!eq(r#"{"a":1,"c":2}"#, r#"{"a":1,"b":2}"#));
        assert!(!eq(r#"{"a":1}"#, r#"{"a":"1"}"#));
        assert!(eq("{}", "{}"));
        assert!(!eq("{}", "[]"));
        let dup = Json::Object(vec![("a".into(), Json::Null), ("a".into(), Json::Null)]);
        assert!(!deep_eq(&dup, &parse(r#"{"a":null,"b":null}"#)));
        assert!(!deep_eq(&parse(r#"{"a":null,"b":null}"#), &dup));
    }

    #[test]
    fn eq_and_implicit_eq() {
        let table = [
            (r#"{"n":1}"#, true),
            (r#"{"n":1.0}"#, true),
            (r#"{"n":"1"}"#, false),
            (r#"{"n":[1]}"#, false),
            (r#"{"n":null}"#, false),
            ("{}", false),
        ];
        cases(r#"{"n":1}"#, &table);
        cases(r#"{"n":{"$eq":1}}"#, &table);
        cases(r#"{"n":null}"#, &[(r#"{"n":null}"#, true), ("{}", false), (r#"{"n":0}"#, false)]);
        cases(r#"{"s":"blog","b":true}"#, &[(r#"{"s":"blog","b":true}"#, true), (r#"{"s":"blog","b":1}"#, false)]);
    }

    #[test]
    fn eq_compares_arrays_and_objects_whole() {
        cases(
            r#"{"t":["a","b"]}"#,
            &[(r#"{"t":["a","b"]}"#, true), (r#"{"t":["b","a"]}"#, false), (r#"{"t":"a"}"#, false)],
        );
        cases(r#"{"t":{"$eq":"a"}}"#, &[(r#"{"t":["a"]}"#, false), (r#"{"t":"a"}"#, true)]);
        let by_literal = r#"{"loc":{"city":"Oslo","zip":1}}"#;
        let by_operator = r#"{"loc":{"$eq":{"zip":1,"city":"Oslo"}}}"#;
        for filter in [by_literal, by_operator] {
            cases(filter, &[(r#"{"loc":{"zip":1,"city":"Oslo"}}"#, true), (r#"{"loc":{"city":"Oslo"}}"#, false)]);
        }
        cases(r#"{"o":{}}"#, &[(r#"{"o":{}}"#, true), (r#"{"o":{"a":1}}"#, false), ("{}", false)]);
        // Under $eq, an object with '$' keys is just a value.
        cases(r#"{"o":{"$eq":{"$gt":1}}}"#, &[(r#"{"o":{"$gt":1}}"#, true), (r#"{"o":2}"#, false)]);
    }

    #[test]
    fn ne_is_true_for_missing_fields() {
        cases(
            r#"{"n":{"$ne":1}}"#,
            &[
                (r#"{"n":1}"#, false),
                (r#"{"n":1.0}"#, false),
                (r#"{"n":2}"#, true),
                (r#"{"n":"1"}"#, true),
                ("{}", true),
            ],
        );
        cases(r#"{"n":{"$ne":null}}"#, &[(r#"{"n":null}"#, false), (r#"{"n":0}"#, true), ("{}", true)]);
    }

    #[test]
    fn range_operators_on_numbers() {
        let meta = |n: &str| format!(r#"{{"p":{n}}}"#);
        let check = |filter: &str, expect: [bool; 3]| {
            let (low, mid, high) = (meta("4"), meta("5"), meta("6.5"));
            cases(filter, &[(&low, expect[0]), (&mid, expect[1]), (&high, expect[2])]);
        };
        check(r#"{"p":{"$gt":5}}"#, [false, false, true]);
        check(r#"{"p":{"$gte":5}}"#, [false, true, true]);
        check(r#"{"p":{"$lt":5}}"#, [true, false, false]);
        check(r#"{"p":{"$lte":5}}"#, [true, true, false]);
        check(r#"{"p":{"$gt":4,"$lt":6.5}}"#, [false, true, false]);
        check(r#"{"p":{"$gte":-1e3,"$lte":1e3}}"#, [true, true, true]);
    }

    #[test]
    fn range_operators_on_strings_use_code_points() {
        cases(
            r#"{"s":{"$gt":"b"}}"#,
            &[
                (r#"{"s":"c"}"#, true),
                (r#"{"s":"ba"}"#, true),
                (r#"{"s":"b"}"#, false),
                (r#"{"s":"B"}"#, false),
                (r#"{"s":"é"}"#, true),
            ],
        );
        cases(r#"{"s":{"$lte":"2024-06-01"}}"#, &[(r#"{"s":"2024-05-31"}"#, true), (r#"{"s":"2024-06-02"}"#, false)]);
        // U+FF5E sorts before U+1F600 by code point (and UTF-8 bytes), though not in UTF-16.
        cases(r#"{"s":{"$lt":"😀"}}"#, &[(r#"{"s":"～"}"#, true)]);
    }

    #[test]
    fn range_operators_never_cross_types() {
        let table = [
            (r#"{"p":"5"}"#, false),
            (r#"{"p":null}"#, false),
            (r#"{"p":true}"#, false),
            (r#"{"p":[10]}"#, false),
            (r#"{"p":{"v":10}}"#, false),
            ("{}", false),
        ];
        cases(r#"{"p":{"$gt":1}}"#, &table);
        cases(r#"{"p":{"$lt":"z"}}"#, &[(r#"{"p":5}"#, false), (r#"{"p":["a"]}"#, false), ("{}", false)]);
    }

    #[test]
    fn in_and_nin() {
        cases(
            r#"{"c":{"$in":["a",2,null,[1],{"k":1}]}}"#,
            &[
                (r#"{"c":"a"}"#, true),
                (r#"{"c":2.0}"#, true),
                (r#"{"c":null}"#, true),
                (r#"{"c":[1]}"#, true),
                (r#"{"c":{"k":1}}"#, true),
                (r#"{"c":"b"}"#, false),
                (r#"{"c":["a"]}"#, false),
                ("{}", false),
            ],
        );
        cases(r#"{"c":{"$in":[]}}"#, &[(r#"{"c":1}"#, false), ("{}", false)]);
        cases(
            r#"{"c":{"$nin":["a",2]}}"#,
            &[
                (r#"{"c":"a"}"#, false),
                (r#"{"c":2}"#, false),
                (r#"{"c":"b"}"#, true),
                (r#"{"c":["a"]}"#, true),
                ("{}", true),
            ],
        );
        cases(r#"{"c":{"$nin":[]}}"#, &[(r#"{"c":1}"#, true), ("{}", true)]);
    }

    #[test]
    fn contains_substrings_and_elements() {
        cases(
            r#"{"t":{"$contains":"ru"}}"#,
            &[
                (r#"{"t":"rust"}"#, true),
                (r#"{"t":"Rust"}"#, false),
                (r#"{"t":["ru","go"]}"#, true),
                (r#"{"t":["rust"]}"#, false),
                (r#"{"t":5}"#, false),
                (r#"{"t":{"ru":1}}"#, false),
                ("{}", false),
            ],
        );
        cases(r#"{"t":{"$contains":""}}"#, &[(r#"{"t":"x"}"#, true), (r#"{"t":[]}"#, false)]);
        cases(
            r#"{"t":{"$contains":1}}"#,
            &[(r#"{"t":[3,1.0]}"#, true), (r#"{"t":"1"}"#, false), (r#"{"t":1}"#, false)],
        );
        cases(r#"{"t":{"$contains":{"a":1}}}"#, &[(r#"{"t":[{"a":1}]}"#, true), (r#"{"t":[{"a":1,"b":2}]}"#, false)]);
    }

    #[test]
    fn exists_counts_null_as_present() {
        let table = [
            (r#"{"f":1}"#, true),
            (r#"{"f":null}"#, true),
            (r#"{"f":false}"#, true),
            ("{}", false),
            (r#"{"g":1}"#, false),
        ];
        cases(r#"{"f":{"$exists":true}}"#, &table);
        let inverse: Vec<_> = table.iter().map(|(m, e)| (*m, !e)).collect();
        cases(r#"{"f":{"$exists":false}}"#, &inverse);
        cases(
            r#"{"a.b":{"$exists":true}}"#,
            &[(r#"{"a":{"b":null}}"#, true), (r#"{"a":{}}"#, false), (r#"{"a":1}"#, false)],
        );
    }

    #[test]
    fn size_of_lists_and_objects() {
        cases(
            r#"{"t":{"$size":2}}"#,
            &[
                (r#"{"t":[1,2]}"#, true),
                (r#"{"t":[1]}"#, false),
                (r#"{"t":"ab"}"#, false),
                (r#"{"t":{"a":1,"b":2}}"#, true),
                (r#"{"t":{"a":1,"a":2}}"#, false),
                (r#"{"t":{"a":1,"b":2,"a":3}}"#, true),
                ("{}", false),
            ],
        );
        cases(r#"{"t":{"$size":0}}"#, &[(r#"{"t":[]}"#, true), (r#"{"t":{}}"#, true), (r#"{"t":""}"#, false), ("{}", false)]);
    }

    #[test]
    fn field_level_not() {
        cases(
            r#"{"p":{"$not":{"$gt":5}}}"#,
            &[(r#"{"p":3}"#, true), (r#"{"p":7}"#, false), (r#"{"p":"x"}"#, true), ("{}", true)],
        );
        // Negates the conjunction of the operators, not each one.
        cases(
            r#"{"p":{"$not":{"$gt":1,"$lt":5}}}"#,
            &[(r#"{"p":3}"#, false), (r#"{"p":0}"#, true), (r#"{"p":9}"#, true)],
        );
        cases(r#"{"p":{"$not":3}}"#, &[(r#"{"p":3}"#, false), (r#"{"p":4}"#, true), ("{}", true)]);
        cases(r#"{"p":{"$not":{"a":1}}}"#, &[(r#"{"p":{"a":1}}"#, false), (r#"{"p":{"a":2}}"#, true)]);
        cases(r#"{"p":{"$not":{"$exists":false}}}"#, &[(r#"{"p":null}"#, true), ("{}", false)]);
        cases(r#"{"p":{"$not":{"$not":{"$eq":1}}}}"#, &[(r#"{"p":1}"#, true), (r#"{"p":2}"#, false)]);
        cases(r#"{"p":{"$not":{"$gt":1},"$lt":10}}"#, &[(r#"{"p":0}"#, true), (r#"{"p":5}"#, false), ("{}", false)]);
    }

    #[test]
    fn elem_match_with_operators() {
        cases(
            r#"{"t":{"$elemMatch":{"$eq":"rust"}}}"#,
            &[
                (r#"{"t":["go","rust"]}"#, true),
                (r#"{"t":["go"]}"#, false),
                (r#"{"t":"rust"}"#, false),
                (r#"{"t":[]}"#, false),
                ("{}", false),
            ],
        );
        // One element must satisfy every operator.
        cases(r#"{"s":{"$elemMatch":{"$gt":2,"$lt":4}}}"#, &[(r#"{"s":[1,3]}"#, true), (r#"{"s":[1,5]}"#, false)]);
        cases(r#"{"s":{"$elemMatch":{"$size":1}}}"#, &[(r#"{"s":[[1,2],[3]]}"#, true), (r#"{"s":[[1,2]]}"#, false)]);
        cases(r#"{"s":{"$elemMatch":{"$ne":1}}}"#, &[(r#"{"s":[1,1]}"#, false), (r#"{"s":[1,2]}"#, true)]);
    }

    #[test]
    fn elem_match_with_a_sub_filter() {
        let authors = r#"{"authors":[{"name":"Bob","age":50},{"name":"Ann","age":25},"Ann",7]}"#;
        cases(r#"{"authors":{"$elemMatch":{"name":"Ann","age":{"$gt":30}}}}"#, &[(authors, false)]);
        cases(
            r#"{"authors":{"$elemMatch":{"name":"Bob","age":{"$gt":30}}}}"#,
            &[(authors, true), (r#"{"authors":{"name":"Bob","age":50}}"#, false)],
        );
        cases(r#"{"authors":{"$elemMatch":{"$or":[{"name":"Zed"},{"age":25}]}}}"#, &[(authors, true)]);
        cases(r#"{"authors":{"$elemMatch":{"$and":[{"name":"Ann"},{"age":50}]}}}"#, &[(authors, false)]);
        cases(
            r#"{"items":{"$elemMatch":{"spec.color":"red","tags":{"$contains":"new"}}}}"#,
            &[
                (r#"{"items":[{"spec":{"color":"red"},"tags":["new"]}]}"#, true),
                (r#"{"items":[{"spec":{"color":"red"}}]}"#, false),
            ],
        );
        // An empty sub-filter matches any object element, and only those.
        cases(r#"{"a":{"$elemMatch":{}}}"#, &[(r#"{"a":[1,{}]}"#, true), (r#"{"a":[1,2]}"#, false)]);
    }

    #[test]
    fn logical_operators() {
        let or = r#"{"$or":[{"a":1},{"b":{"$gt":5}}]}"#;
        cases(or, &[(r#"{"a":1}"#, true), (r#"{"b":6}"#, true), (r#"{"a":2,"b":5}"#, false), ("{}", false)]);
        let and = r#"{"$and":[{"a":{"$gte":1}},{"a":{"$lte":3}}]}"#;
        cases(and, &[(r#"{"a":1}"#, true), (r#"{"a":4}"#, false), ("{}", false)]);
        let not = r#"{"$not":{"a":1,"b":2}}"#;
        cases(not, &[(r#"{"a":1,"b":2}"#, false), (r#"{"a":1}"#, true), ("{}", true)]);
        let implicit = r#"{"a":1,"b":2,"$or":[{"c":3},{"d":4}]}"#;
        cases(
            implicit,
            &[(r#"{"a":1,"b":2,"d":4}"#, true), (r#"{"a":1,"b":2}"#, false), (r#"{"a":1,"c":3,"d":4}"#, false)],
        );
        let nested = r#"{"$or":[{"$and":[{"a":1},{"$not":{"b":2}}]},{"$or":[{"c":3}]}]}"#;
        cases(nested, &[(r#"{"a":1}"#, true), (r#"{"a":1,"b":2}"#, false), (r#"{"a":1,"b":2,"c":3}"#, true)]);
        cases(r#"{"$not":{}}"#, &[("{}", false), (r#"{"a":1}"#, false)]);
    }

    #[test]
    fn nested_paths_in_conditions() {
        let m = r#"{"author":{"name":"Ann","langs":["en","no"]},"a.b":1,"a":{"b":2}}"#;
        cases(r#"{"author.name":"Ann"}"#, &[(m, true)]);
        cases(r#"{"author.langs.1":"no"}"#, &[(m, true)]);
        cases(r#"{"author.langs":{"$contains":"en"}}"#, &[(m, true)]);
        cases(r#"{"a.b":1}"#, &[(m, true)]);
        cases(r#"{"author.missing":{"$exists":false},"author.name":{"$ne":"Bob"}}"#, &[(m, true)]);
        cases(r#"{"author.name.x":{"$ne":1}}"#, &[(m, true)]);
    }

    #[test]
    fn metadata_that_is_not_an_object() {
        for m in ["null", "5", "\"a\"", "[]"] {
            cases(r#"{"a":1}"#, &[(m, false)]);
            cases(r#"{"a":{"$exists":false}}"#, &[(m, true)]);
        }
    }
}
