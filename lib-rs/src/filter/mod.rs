//! The metadata filter language: MongoDB-style queries over a record's JSON metadata.
//!
//! A filter is parsed once per query into a [`FilterPlan`], then evaluated against every
//! record a scan visits. Parsing does all the checking and all the allocation, so that
//! [`FilterPlan::matches`] only reads.
//!
//! # Shape
//!
//! A filter is a JSON object. Each top-level key is either a logical operator or a field
//! path, and several keys must all hold (an implicit `$and`). `{}` matches every record.
//!
//! ```text
//! { "source": "blog",
//!   "year": { "$gte": 2020, "$lt": 2025 },
//!   "$or": [ { "tags": { "$contains": "rust" } }, { "author.name": "Ann" } ] }
//! ```
//!
//! - `$and`, `$or`: a non-empty array of filters; all (any) of them must match.
//! - `$not`: one filter, negated.
//!
//! A field's condition is either an operator object (every key starts with `$`; all its
//! operators must hold) or any other value, which means `$eq` of that value. So
//! `{ "loc": { "city": "Oslo" } }` compares the whole object. An object mixing `$` keys with
//! plain keys is rejected; wrap it in `{ "$eq": ... }` to compare it literally.
//!
//! # Field operators
//!
//! | operator           | argument         | true when                                                 |
//! |--------------------|------------------|-----------------------------------------------------------|
//! | `$eq`              | any value        | the field deep-equals it                                  |
//! | `$ne`              | any value        | the field is missing or not equal                         |
//! | `$gt` `$gte`       | number or string | number vs number, or string vs string (by code point)     |
//! | `$lt` `$lte`       | number or string | likewise                                                  |
//! | `$in`              | array            | the field deep-equals one of the items                    |
//! | `$nin`             | array            | the field is missing or equals none of the items          |
//! | `$contains`        | any value        | a string field has it as a substring, or an array field   |
//! |                    |                  | has an element equal to it                                |
//! | `$exists`          | boolean          | the field is present (even as `null`), or absent          |
//! | `$size`            | integer >= 0     | the field is an array of that length                      |
//! | `$not`             | operator object  | the operators do not all hold (`$not` of a value is `$ne`)|
//! | `$elemMatch`       | operator object  | some element of the array field satisfies all operators   |
//! | `$elemMatch`       | filter           | some object element of the array field matches the filter |
//!
//! `$elemMatch` reads its argument as operators when every key starts with `$` and none is
//! `$and` or `$or`; otherwise as a filter, with the full language including dot paths.
//!
//! Equality is strict about types: `1` equals `1.0` but not `"1"`, and an array field is
//! never equal to a scalar (that is what `$contains` is for). Arrays compare element by
//! element in order; objects compare as key sets, ignoring key order. A comparison between
//! mismatched types is simply false, never an error. Apart from `$ne`, `$nin` and
//! `$exists: false`, every operator is false on a missing field, so negating it is true.
//!
//! # Field paths
//!
//! `"author.name"` reaches into nested objects and `"tags.0"` into arrays. A key that itself
//! contains dots wins over nesting: the whole remaining path is tried as one key first, then
//! each prefix that names an object or array, left to right. Arrays of objects are not
//! traversed implicitly; use `$elemMatch`.
//!
//! # Errors
//!
//! Anything malformed (an unknown operator such as `$regex`, an argument of the wrong type,
//! an empty `$or`, an empty field path) is an `INVALID_FILTER` error whose message names the
//! place, e.g. `invalid filter at $and[1].price.$gtt: unknown operator $gtt`.

use crate::error::Result;
use crate::json::Json;

mod columns;
mod eval;
mod parse;
mod path;

pub use columns::{BoundFilter, Column};
use path::FieldPath;

/// A parsed filter, ready to test records against.
#[derive(Debug)]
pub struct FilterPlan {
    root: Node,
    /// The paths of the record-level fields, in the order `Node::Field::column` numbers them.
    column_paths: Vec<String>,
}

impl FilterPlan {
    /// Parses a filter once per query. An empty object `{}` matches everything.
    pub fn parse(filter: &Json) -> Result<FilterPlan> {
        let mut root = parse::parse_filter(filter)?;
        let mut column_paths = Vec::new();
        number_fields(&mut root, &mut column_paths);
        Ok(FilterPlan { root, column_paths })
    }

    /// The field paths a column cache can serve (fields of `$elemMatch` sub-filters, which
    /// test list elements rather than the record, are not among them).
    pub fn column_paths(&self) -> &[String] {
        &self.column_paths
    }

    /// Evaluates the plan against one record's metadata (a Json::Object normally).
    pub fn matches(&self, metadata: &Json) -> bool {
        self.root.matches(metadata)
    }

    /// True when the plan is the empty filter (matches everything).
    pub fn is_empty(&self) -> bool {
        matches!(&self.root, Node::All(nodes) if nodes.is_empty())
    }
}

/// A filter: something that holds or not for a whole record (or a `$elemMatch` element).
#[derive(Debug)]
enum Node {
    All(Vec<Node>),
    Any(Vec<Node>),
    Not(Box<Node>),
    /// The path is resolved once and every operator tested on the same value.
    Field {
        path: FieldPath,
        ops: Vec<Op>,
        /// Index into `FilterPlan::column_paths` (None inside `$elemMatch` sub-filters).
        column: Option<usize>,
    },
}

/// Numbers the record-level fields; a path used twice shares its column.
fn number_fields(node: &mut Node, paths: &mut Vec<String>) {
    match node {
        Node::All(nodes) | Node::Any(nodes) => nodes.iter_mut().for_each(|n| number_fields(n, paths)),
        Node::Not(inner) => number_fields(inner, paths),
        Node::Field { path, column, .. } => {
            let text = path.text();
            let i = paths.iter().position(|p| p == text).unwrap_or_else(|| {
                paths.push(text.to_string());
                paths.len() - 1
            });
            *column = Some(i);
        }
    }
}

/// A condition on one value that may be missing (`None`), because some operators
/// (`$ne`, `$nin`, `$exists`) are true precisely when it is.
#[derive(Debug)]
enum Op {
    Eq(Json),
    Ne(Json),
    Range(Range, Json),
    In(Vec<Json>),
    Nin(Vec<Json>),
    Contains(Json),
    Exists(bool),
    Size(usize),
    Not(Vec<Op>),
    ElemMatchOps(Vec<Op>),
    ElemMatchFilter(Box<Node>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Range {
    Gt,
    Gte,
    Lt,
    Lte,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Code;
    use crate::json;

    fn plan(text: &str) -> Result<FilterPlan> {
        FilterPlan::parse(&json::parse(text.as_bytes(), "filter").unwrap())
    }

    fn meta(text: &str) -> Json {
        json::parse(text.as_bytes(), "metadata").unwrap()
    }

    #[test]
    fn empty_filter_matches_everything() {
        let p = plan("{}").unwrap();
        assert!(p.is_empty());
        for m in ["{}", r#"{"a":1}"#, "null", "[1]"] {
            assert!(p.matches(&meta(m)), "{m}");
        }
        // Conjunctions of nothing are flattened away, so they are empty too.
        assert!(plan(r#"{"$and":[{},{"$and":[{}]}]}"#).unwrap().is_empty());
        assert!(!plan(r#"{"a":1}"#).unwrap().is_empty());
        assert!(plan(r#"{"$or":[{}]}"#).unwrap().is_empty());
        assert!(!plan(r#"{"$not":{}}"#).unwrap().is_empty());
    }

    #[test]
    fn documented_example_works() {
        let p = plan(
            r#"{ "source": "blog",
                 "year": { "$gte": 2020, "$lt": 2025 },
                 "$or": [ { "tags": { "$contains": "rust" } }, { "author.name": "Ann" } ] }"#,
        )
        .unwrap();
        assert!(p.matches(&meta(r#"{"source":"blog","year":2021,"tags":["go","rust"]}"#)));
        assert!(p.matches(&meta(r#"{"source":"blog","year":2024,"author":{"name":"Ann"}}"#)));
        assert!(!p.matches(&meta(r#"{"source":"blog","year":2025,"tags":["rust"]}"#)));
        assert!(!p.matches(&meta(r#"{"source":"news","year":2021,"tags":["rust"]}"#)));
        assert!(!p.matches(&meta(r#"{"source":"blog","year":2021,"tags":["go"]}"#)));
    }

    #[test]
    fn errors_are_invalid_filter_with_a_location() {
        let err = plan(r#"{"$and":[{"a":1},{"price":{"$gtt":1}}]}"#).unwrap_err();
        assert_eq!(err.code, Code::InvalidFilter);
        assert!(
            err.message.starts_with("invalid filter at $and[1].price.$gtt: unknown operator $gtt"),
            "{}",
            err.message
        );
    }

    #[test]
    fn plan_can_be_shared_across_threads() {
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<FilterPlan>();
    }
}
