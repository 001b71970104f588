//! Turns a filter's JSON into a plan. All validation happens here, once per query, so that
//! evaluation can trust the plan; every rejection names where in the filter it happened.

use super::path::FieldPath;
use super::{Node, Op, Range};
use crate::error::{Error, Result};
use crate::json::{Json, Key, MAX_DEPTH};
use std::fmt::{self, Write};

const FIELD_OPERATORS: &str = "$eq, $ne, $gt, $gte, $lt, $lte, $in, $nin, $contains, $exists, $size, $not, $elemMatch";

pub(super) fn parse_filter(filter: &Json) -> Result<Node> {
    filter_node(filter, &Loc { parent: None, part: Part::Root }, 0)
}

/// A place in the filter, as a chain of borrowed parts: nothing is formatted unless an
/// error is reported.
struct Loc<'a> {
    parent: Option<&'a Loc<'a>>,
    part: Part<'a>,
}

enum Part<'a> {
    Root,
    Key(&'a str),
    Index(usize),
}

impl<'a> Loc<'a> {
    fn key(&'a self, key: &'a str) -> Loc<'a> {
        Loc { parent: Some(self), part: Part::Key(key) }
    }

    fn index(&'a self, index: usize) -> Loc<'a> {
        Loc { parent: Some(self), part: Part::Index(index) }
    }

    fn error(&self, message: impl fmt::Display) -> Error {
        Error::filter(&self.to_string(), message)
    }
}

/// Renders as `$and[1].price.$gt`; the root alone, where there is no better name, as `(root)`.
impl fmt::Display for Loc<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut parts = Vec::new();
        let mut loc = Some(self);
        while let Some(here) = loc {
            parts.push(&here.part);
            loc = here.parent;
        }
        let mut out = String::new();
        for part in parts.iter().rev() {
            match part {
                Part::Root => {}
                Part::Key(key) => {
                    if !out.is_empty() {
                        out.push('.');
                    }
                    // An empty key would vanish from the message.
                    out.push_str(if key.is_empty() { "\"\"" } else { key });
                }
                Part::Index(i) => {
                    let _ = write!(out, "[{i}]");
                }
            }
        }
        f.write_str(if out.is_empty() { "(root)" } else { &out })
    }
}

/// The plan and the evaluator recurse on the filter's nesting; the JSON parser already
/// bounds it, but a filter built in code is not parsed, so the limit is enforced here too.
fn check_depth(loc: &Loc, depth: usize) -> Result<()> {
    if depth > MAX_DEPTH {
        Err(loc.error(format!("filter nested deeper than {MAX_DEPTH} levels")))
    } else {
        Ok(())
    }
}

fn filter_node(value: &Json, loc: &Loc, depth: usize) -> Result<Node> {
    check_depth(loc, depth)?;
    let Some(fields) = value.as_object() else {
        return Err(loc.error(format!("expected a filter object, found {}", value.type_name())));
    };
    let mut all = Vec::with_capacity(fields.len());
    for (key, arg) in fields {
        let here = loc.key(key);
        match key.as_str() {
            "$and" => {
                for node in filter_list("$and", arg, &here, depth)? {
                    push_conjunct(&mut all, node);
                }
            }
            "$or" => match filter_list("$or", arg, &here, depth)? {
                mut one if one.len() == 1 => push_conjunct(&mut all, one.remove(0)),
                any => all.push(Node::Any(any)),
            },
            "$not" => all.push(Node::Not(Box::new(filter_node(arg, &here, depth + 1)?))),
            "" => return Err(here.error("a field path must not be empty")),
            op if op.starts_with('$') => return Err(here.error(misplaced_top_level(op))),
            _ => all.push(Node::Field { path: FieldPath::new(key), ops: condition(arg, &here, depth + 1)?, column: None }),
        }
    }
    Ok(if all.len() == 1 { all.remove(0) } else { Node::All(all) })
}

/// Nested conjunctions are flattened, which saves a level per record and lets `{"$and":[{}]}`
/// count as the empty filter.
fn push_conjunct(all: &mut Vec<Node>, node: Node) {
    match node {
        Node::All(nodes) => all.extend(nodes),
        other => all.push(other),
    }
}

fn filter_list(op: &str, arg: &Json, loc: &Loc, depth: usize) -> Result<Vec<Node>> {
    let expected = "a non-empty array of filter objects";
    let Some(items) = arg.as_array() else {
        return Err(loc.error(format!("{op} expects {expected}, found {}", arg.type_name())));
    };
    if items.is_empty() {
        return Err(loc.error(format!("{op} expects {expected}, found an empty array")));
    }
    items.iter().enumerate().map(|(i, item)| filter_node(item, &loc.index(i), depth + 1)).collect()
}

fn misplaced_top_level(op: &str) -> String {
    if is_field_operator(op) {
        format!(
            "{op} applies to a field, as in {{\"price\": {{\"{op}\": ...}}}}; \
             only $and, $or and $not combine whole filters"
        )
    } else {
        format!("unknown operator {op} (a filter's keys are field paths or $and, $or, $not)")
    }
}

fn is_field_operator(op: &str) -> bool {
    FIELD_OPERATORS.split(", ").any(|known| known == op)
}

/// How an object given as a field's condition is read.
enum Shape<'a> {
    Operators(&'a [(Key, Json)]),
    Literal,
    Mixed { operator: &'a str, field: &'a str },
}

/// `{}` is a literal (equality with an empty object, as in MongoDB), not an empty operator set.
fn shape(value: &Json) -> Shape<'_> {
    let Some(fields) = value.as_object() else {
        return Shape::Literal;
    };
    let operator = fields.iter().find(|(key, _)| key.starts_with('$'));
    let field = fields.iter().find(|(key, _)| !key.starts_with('$'));
    match (operator, field) {
        (Some(_), None) => Shape::Operators(fields),
        (Some((operator, _)), Some((field, _))) => Shape::Mixed { operator, field },
        (None, _) => Shape::Literal,
    }
}

fn mixed_error(loc: &Loc, operator: &str, field: &str) -> Error {
    loc.error(format!(
        "an operator object cannot also have plain keys (found {operator} and {field}); \
         to compare against such an object, wrap it in {{\"$eq\": ...}}"
    ))
}

fn condition(arg: &Json, loc: &Loc, depth: usize) -> Result<Vec<Op>> {
    match shape(arg) {
        Shape::Operators(fields) => operators(fields, loc, depth),
        Shape::Literal => Ok(vec![Op::Eq(literal(arg, loc)?)]),
        Shape::Mixed { operator, field } => Err(mixed_error(loc, operator, field)),
    }
}

fn operators(fields: &[(Key, Json)], loc: &Loc, depth: usize) -> Result<Vec<Op>> {
    check_depth(loc, depth)?;
    fields.iter().map(|(name, arg)| operator(name, arg, &loc.key(name), depth)).collect()
}

fn operator(name: &str, arg: &Json, loc: &Loc, depth: usize) -> Result<Op> {
    Ok(match name {
        "$eq" => Op::Eq(literal(arg, loc)?),
        "$ne" => Op::Ne(literal(arg, loc)?),
        "$gt" => range(Range::Gt, name, arg, loc)?,
        "$gte" => range(Range::Gte, name, arg, loc)?,
        "$lt" => range(Range::Lt, name, arg, loc)?,
        "$lte" => range(Range::Lte, name, arg, loc)?,
        "$in" => Op::In(list(name, arg, loc)?),
        "$nin" => Op::Nin(list(name, arg, loc)?),
        "$contains" => Op::Contains(literal(arg, loc)?),
        "$exists" => Op::Exists(arg.as_bool().ok_or_else(|| loc.error(expects(name, "a boolean", arg)))?),
        "$size" => Op::Size(size(arg).ok_or_else(|| loc.error(expects(name, "a non-negative integer", arg)))?),
        "$not" => match shape(arg) {
            Shape::Operators(fields) => Op::Not(operators(fields, loc, depth + 1)?),
            Shape::Literal => Op::Ne(literal(arg, loc)?),
            Shape::Mixed { operator, field } => return Err(mixed_error(loc, operator, field)),
        },
        "$elemMatch" => elem_match(arg, loc, depth)?,
        "$and" | "$or" => {
            return Err(loc.error(format!(
                "{name} combines whole filters and belongs at a filter's top level, not inside a field's condition"
            )))
        }
        _ => return Err(loc.error(format!("unknown operator {name} (field operators are {FIELD_OPERATORS})"))),
    })
}

/// "found number" alone would not explain why `-1` or `2.5` is refused, so numbers show.
fn expects(op: &str, expected: &str, found: &Json) -> String {
    match found {
        Json::Number(n) => format!("{op} expects {expected}, found {n}"),
        other => format!("{op} expects {expected}, found {}", other.type_name()),
    }
}

fn range(range: Range, name: &str, arg: &Json, loc: &Loc) -> Result<Op> {
    match arg {
        Json::Number(_) | Json::String(_) => Ok(Op::Range(range, arg.clone())),
        _ => Err(loc.error(expects(name, "a number or a string", arg))),
    }
}

fn list(name: &str, arg: &Json, loc: &Loc) -> Result<Vec<Json>> {
    let Some(items) = arg.as_array() else {
        return Err(loc.error(expects(name, "an array", arg)));
    };
    items.iter().enumerate().map(|(i, item)| literal(item, &loc.index(i))).collect()
}

fn size(arg: &Json) -> Option<usize> {
    // Beyond 2^53 an f64 no longer holds every integer, and no array is that long anyway.
    const MAX_EXACT: f64 = 9_007_199_254_740_991.0;
    let n = arg.as_f64()?;
    (n >= 0.0 && n.fract() == 0.0 && n <= MAX_EXACT).then_some(n as usize)
}

/// Operators apply to the elements themselves (`{"$gt": 3}`); anything else, including a
/// top-level `$and`/`$or`, is a filter over object elements.
fn elem_match(arg: &Json, loc: &Loc, depth: usize) -> Result<Op> {
    let Some(fields) = arg.as_object() else {
        return Err(loc.error(expects("$elemMatch", "an object (operators or a filter)", arg)));
    };
    let logical = fields.iter().any(|(key, _)| key == "$and" || key == "$or");
    if !logical && matches!(shape(arg), Shape::Operators(_)) {
        Ok(Op::ElemMatchOps(operators(fields, loc, depth + 1)?))
    } else {
        Ok(Op::ElemMatchFilter(Box::new(filter_node(arg, loc, depth + 1)?)))
    }
}

/// Equality recurses on the literal, so its nesting is bounded like the filter's.
fn literal(value: &Json, loc: &Loc) -> Result<Json> {
    if nested_deeper_than(value, MAX_DEPTH) {
        Err(loc.error(format!("value nested deeper than {MAX_DEPTH} levels")))
    } else {
        Ok(value.clone())
    }
}

fn nested_deeper_than(value: &Json, levels: usize) -> bool {
    match value {
        Json::Array(items) => levels == 0 || items.iter().any(|item| nested_deeper_than(item, levels - 1)),
        Json::Object(fields) => levels == 0 || fields.iter().any(|(_, item)| nested_deeper_than(item, levels - 1)),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Code;
    use crate::json;

    fn parse(text: &str) -> Result<Node> {
        parse_filter(&json::parse(text.as_bytes(), "filter").unwrap())
    }

    /// Each filter must be rejected with a message starting "invalid filter at " + expected.
    fn assert_errors(table: &[(&str, &str)]) {
        for (text, expected) in table {
            match parse(text) {
                Ok(node) => panic!("{text} was accepted as {node:?}"),
                Err(err) => {
                    assert_eq!(err.code, Code::InvalidFilter, "{text}");
                    let expected = format!("invalid filter at {expected}");
                    assert!(err.message.starts_with(&expected), "{text}\n  got:  {}\n  want: {expected}", err.message);
                }
            }
        }
    }

    #[test]
    fn accepts_every_operator() {
        let filter = r#"{"a":{"$eq":1,"$ne":2,"$gt":0,"$gte":"a","$lt":9,"$lte":"z","$in":[1],"$nin":[],
            "$contains":"x","$exists":true,"$size":0,"$not":{"$eq":3},"$elemMatch":{"$gt":1}},
            "b":{"$elemMatch":{"c":1}},"$and":[{"d":1}],"$or":[{"e":1},{"f":1}],"$not":{"g":1}}"#;
        let Node::All(nodes) = parse(filter).unwrap() else { panic!("expected a conjunction") };
        assert_eq!(nodes.len(), 5);
        let Node::Field { ops, .. } = &nodes[0] else { panic!("expected a field") };
        assert_eq!(ops.len(), 13);
        assert!(matches!(ops[2], Op::Range(Range::Gt, _)));
        assert!(matches!(ops[11], Op::Not(_)));
        assert!(matches!(ops[12], Op::ElemMatchOps(_)));
        assert!(matches!(&nodes[1], Node::Field { ops, .. } if matches!(ops[0], Op::ElemMatchFilter(_))));
        assert!(matches!(nodes[2], Node::Field { .. }), "a single $and item is inlined");
        assert!(matches!(nodes[3], Node::Any(_)));
        assert!(matches!(nodes[4], Node::Not(_)));
    }

    #[test]
    fn reads_plain_values_as_equality() {
        for literal in ["1", "\"x\"", "null", "true", "[1,{\"$gt\":1}]", "{}", "{\"a\":{\"$gt\":1}}"] {
            let node = parse(&format!(r#"{{"f":{literal}}}"#)).unwrap();
            let eq = matches!(&node, Node::Field { ops, .. } if ops.len() == 1 && matches!(ops[0], Op::Eq(_)));
            assert!(eq, "{literal}");
        }
        let node = parse(r#"{"f":{"$not":5}}"#).unwrap();
        assert!(matches!(&node, Node::Field { ops, .. } if matches!(ops[0], Op::Ne(_))));
        let node = parse(r#"{"f":{"$size":3.0}}"#).unwrap();
        assert!(matches!(&node, Node::Field { ops, .. } if matches!(ops[0], Op::Size(3))));
    }

    #[test]
    fn rejects_malformed_filters_and_logic() {
        assert_errors(&[
            ("[]", "(root): expected a filter object, found array"),
            ("null", "(root): expected a filter object, found null"),
            (r#"{"$not":true}"#, "$not: expected a filter object, found boolean"),
            (r#"{"a":{"$elemMatch":{"$or":[5]}}}"#, "a.$elemMatch.$or[0]: expected a filter object, found number"),
            (r#"{"$and":{}}"#, "$and: $and expects a non-empty array of filter objects, found object"),
            (r#"{"$or":[]}"#, "$or: $or expects a non-empty array of filter objects, found an empty array"),
            (r#"{"$and":[]}"#, "$and: $and expects a non-empty array"),
            (r#"{"$or":[{},"x"]}"#, "$or[1]: expected a filter object, found string"),
            (r#"{"a":{"$and":[{}]}}"#, "a.$and: $and combines whole filters"),
            (r#"{"a":{"$or":[{}]}}"#, "a.$or: $or combines whole filters"),
            (r#"{"":1}"#, r#""": a field path must not be empty"#),
            (r#"{"$or":[{"":1}]}"#, r#"$or[0]."": a field path must not be empty"#),
            (r#"{"a":{"$elemMatch":{"":1}}}"#, r#"a.$elemMatch."": a field path"#),
        ]);
    }

    #[test]
    fn rejects_unknown_operators_naming_the_path() {
        assert_errors(&[
            (
                r#"{"$and":[{"a":1},{"price":{"$gtt":1}}]}"#,
                "$and[1].price.$gtt: unknown operator $gtt (field operators are $eq,",
            ),
            (r#"{"t":{"$regex":"^a"}}"#, "t.$regex: unknown operator $regex"),
            (r#"{"$foo":1}"#, "$foo: unknown operator $foo"),
            (r#"{"$nor":[{}]}"#, "$nor: unknown operator $nor"),
            (r#"{"$gt":1}"#, "$gt: $gt applies to a field"),
            (r#"{"a":{"$not":{"$foo":1}}}"#, "a.$not.$foo: unknown operator $foo"),
            (r#"{"a":{"$elemMatch":{"b":{"$bad":1}}}}"#, "a.$elemMatch.b.$bad: unknown operator"),
            (r#"{"$not":{"$or":[{"x":{"$y":1}}]}}"#, "$not.$or[0].x.$y: unknown operator $y"),
        ]);
    }

    #[test]
    fn rejects_mixed_operator_objects() {
        assert_errors(&[
            (r#"{"a":{"$gt":1,"b":2}}"#, "a: an operator object cannot also have plain keys (found $gt and b)"),
            (r#"{"a":{"b":2,"$gt":1}}"#, "a: an operator object cannot also have plain keys (found $gt and b)"),
            (r#"{"a":{"$not":{"$gt":1,"b":2}}}"#, "a.$not: an operator object cannot"),
            // Inside $elemMatch a mix is a sub-filter, where the operator is then misplaced.
            (r#"{"a":{"$elemMatch":{"$gt":1,"b":2}}}"#, "a.$elemMatch.$gt: $gt applies to a field"),
        ]);
    }

    #[test]
    fn rejects_bad_operator_arguments() {
        assert_errors(&[
            (r#"{"author.name":{"$in":5}}"#, "author.name.$in: $in expects an array, found 5"),
            (r#"{"a":{"$nin":"x"}}"#, "a.$nin: $nin expects an array, found string"),
            (r#"{"a":{"$gt":true}}"#, "a.$gt: $gt expects a number or a string, found boolean"),
            (r#"{"a":{"$gte":null}}"#, "a.$gte: $gte expects a number or a string, found null"),
            (r#"{"a":{"$lt":[1]}}"#, "a.$lt: $lt expects a number or a string, found array"),
            (r#"{"a":{"$lte":{}}}"#, "a.$lte: $lte expects a number or a string, found object"),
            (r#"{"a":{"$exists":1}}"#, "a.$exists: $exists expects a boolean, found 1"),
            (r#"{"a":{"$exists":"yes"}}"#, "a.$exists: $exists expects a boolean, found string"),
            (r#"{"a":{"$size":-1}}"#, "a.$size: $size expects a non-negative integer, found -1"),
            (r#"{"a":{"$size":1.5}}"#, "a.$size: $size expects a non-negative integer, found 1.5"),
            (r#"{"a":{"$size":"2"}}"#, "a.$size: $size expects a non-negative integer, found string"),
            (r#"{"a":{"$size":1e300}}"#, "a.$size: $size expects a non-negative integer"),
            (
                r#"{"a":{"$elemMatch":[1]}}"#,
                "a.$elemMatch: $elemMatch expects an object (operators or a filter), found array",
            ),
            (r#"{"a":{"$elemMatch":"x"}}"#, "a.$elemMatch: $elemMatch expects an object"),
        ]);
    }

    /// Wraps `inner` in `levels` one-key objects.
    fn nest(key: &str, levels: usize, inner: &str) -> String {
        format!("{{\"{key}\":").repeat(levels) + inner + &"}".repeat(levels)
    }

    #[test]
    fn accepts_the_deepest_filters_the_json_parser_allows() {
        let deepest = [
            nest("$not", MAX_DEPTH, "{}"),
            format!(r#"{{"a":{}}}"#, nest("$not", MAX_DEPTH - 2, r#"{"$eq":1}"#)),
            format!(r#"{{"a":{{"$in":{}}}}}"#, "[".repeat(MAX_DEPTH - 1) + &"]".repeat(MAX_DEPTH - 1)),
            nest("$not", MAX_DEPTH / 2 - 1, &nest("a", MAX_DEPTH / 2 + 1, "1")),
        ];
        for text in deepest {
            assert!(parse(&text).is_ok(), "{text}");
            let too_deep = format!(r#"{{"$not":{text}}}"#);
            assert!(json::parse(too_deep.as_bytes(), "filter").is_err(), "{too_deep}");
        }
    }

    #[test]
    fn bounds_nesting_of_filters_built_in_code() {
        let deeper =
            |leaf, key: &str| (0..MAX_DEPTH * 3).fold(leaf, |inner, _| Json::Object(vec![(key.into(), inner)]));
        let too_deep = format!("filter nested deeper than {MAX_DEPTH} levels");
        let filters =
            [deeper(Json::Object(vec![]), "$not"), Json::Object(vec![("a".into(), deeper(Json::Null, "$not"))])];
        for filter in filters {
            let err = parse_filter(&filter).unwrap_err();
            assert!(err.message.ends_with(&too_deep), "{}", err.message);
        }
        let value = (0..MAX_DEPTH * 3).fold(Json::Null, |inner, _| Json::Array(vec![inner]));
        let err = parse_filter(&Json::Object(vec![("a".into(), value)])).unwrap_err();
        assert_eq!(err.message, format!("invalid filter at a: value nested deeper than {MAX_DEPTH} levels"));
    }
}
