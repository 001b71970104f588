//! Turning the JSON of a write call into records, and of a commit into transaction
//! operations, with errors that name the record or the operation.

use crate::error::{Code, Error, Result};
use crate::json::{Json, Key};
use crate::multi_vector::{MultiVector, MAX_TOKENS};
use crate::record::{Record, Upsert};
use crate::txn::TxnOp;
use crate::text::Analyzer;
use std::borrow::Cow;

fn f32_list(v: &Json, what: &str) -> Result<Vec<f32>> {
    let items = v.as_array().ok_or_else(|| Error::invalid(format!("{what} must be an array of numbers")))?;
    items
        .iter()
        .enumerate()
        .map(|(i, x)| match x {
            Json::Number(n) if n.is_finite() && n.abs() <= f32::MAX as f64 => Ok(*n as f32),
            _ => Err(Error::invalid(format!("{what} has a non-finite or non-numeric value at index {i}"))),
        })
        .collect()
}

/// Reads `[{id, namespace?, metadata?, sparse?, text?, vectors?}, ...]`; the main vectors
/// arrive separately as one contiguous f32 array, `dimension` values per record. A record's
/// `text` is turned into its sparse terms by `analyzer` (the database's), all texts of the
/// batch at once and on every core (see `text::batch`).
pub fn upserts<'v>(json: Json, vectors: &'v [f32], dimension: usize, analyzer: &Analyzer) -> Result<Vec<Upsert<'v>>> {
    let Json::Array(items) = json else { return Err(Error::invalid("records must be an array")) };
    if vectors.len() != items.len() * dimension {
        return Err(Error::new(
            crate::error::Code::DimensionMismatch,
            format!("{} vector values for {} records of dimension {dimension}", vectors.len(), items.len()),
        ));
    }
    let mut out = Vec::with_capacity(items.len());
    // (record index, text) of the records whose terms the analyzer makes.
    let mut texts: Vec<(usize, String)> = Vec::new();
    // Items are taken apart, not cloned: a batch's metadata and terms move into the records.
    for (i, item) in items.into_iter().enumerate() {
        let mut fields = match item {
            Json::Object(fields) => fields,
            other => return Err(Error::invalid(format!("record {i}: must be an object, found {}", other.type_name()))),
        };
        let id = match take(&mut fields, "id") {
            Some(Json::String(s)) => s,
            other => {
                return Err(Error::invalid(format!(
                    "record {i}: id must be a string, found {}",
                    other.as_ref().map_or("nothing", |v| v.type_name())
                )))
            }
        };
        let namespace = match take(&mut fields, "namespace") {
            None | Some(Json::Null) => String::new(),
            Some(Json::String(s)) => s,
            Some(other) => return Err(Error::invalid(format!("record {id:?}: namespace must be a string, found {}", other.type_name()))),
        };
        let metadata = match take(&mut fields, "metadata") {
            None | Some(Json::Null) => Json::Object(Vec::new()),
            Some(m @ Json::Object(_)) => m,
            Some(other) => return Err(Error::invalid(format!("record {id:?}: metadata must be an object, found {}", other.type_name()))),
        };
        let mut sparse = Vec::new();
        let mut has_sparse = false;
        match take(&mut fields, "sparse") {
            None | Some(Json::Null) => {}
            Some(Json::Object(terms)) => {
                has_sparse = true;
                sparse.reserve(terms.len());
                for (term, w) in terms {
                    let w = w.as_f64().filter(|w| w.is_finite()).ok_or_else(|| {
                        Error::invalid(format!("record {id:?}: sparse term {term:?} must have a finite number weight"))
                    })?;
                    sparse.push((term, w as f32));
                }
                // sparseTerms returns its terms sorted: check before sorting.
                if !sparse.windows(2).all(|w| w[0].0 <= w[1].0) {
                    sparse.sort_unstable_by(|a, b| a.0.cmp(&b.0));
                }
            }
            Some(_) => return Err(Error::invalid(format!("record {id:?}: sparse must be an object of term weights"))),
        }
        match take(&mut fields, "text") {
            None | Some(Json::Null) => {}
            Some(Json::String(text)) if !has_sparse => texts.push((i, text)),
            Some(Json::String(_)) => {
                return Err(Error::invalid(format!("record {id:?}: give text or sparse, not both (text is analyzed into the sparse terms)")))
            }
            Some(other) => return Err(Error::invalid(format!("record {id:?}: text must be a string, found {}", other.type_name()))),
        }
        let mut named = Vec::new();
        match take(&mut fields, "vectors") {
            None | Some(Json::Null) => {}
            Some(Json::Object(spaces)) => {
                for (name, values) in spaces {
                    if name.is_empty() {
                        return Err(Error::invalid(format!("record {id:?}: a named vector needs a non-empty name")));
                    }
                    let v = f32_list(&values, &format!("record {id:?}: named vector {name:?}"))?;
                    named.push((String::from(name), v));
                }
                named.sort_by(|a, b| a.0.cmp(&b.0));
                named.shrink_to_fit();
            }
            Some(_) => return Err(Error::invalid(format!("record {id:?}: vectors must be an object of named vectors"))),
        }
        let expires_at = match take(&mut fields, "expiresAt") {
            None | Some(Json::Null) => None,
            Some(v) => Some(instant(&v).map_err(|e| Error::invalid(format!("record {id:?}: {e}")))?),
        };
        let multi = match take(&mut fields, "multiVectors") {
            None | Some(Json::Null) => Vec::new(),
            Some(v) => multi_vectors(v, &id)?,
        };
        let vector = Cow::Borrowed(&vectors[i * dimension..(i + 1) * dimension]);
        out.push(Upsert { namespace, record: Record { id, metadata, sparse, vectors: named }, vector, expires_at, multi });
    }
    if !texts.is_empty() {
        let refs: Vec<&str> = texts.iter().map(|(_, t)| t.as_str()).collect();
        let analyzed = crate::text::batch::term_frequencies_all(analyzer, &refs);
        for ((i, _), terms) in texts.iter().zip(analyzed) {
            // Sorted by term, as the records' sparse terms are kept.
            let sparse = &mut out[*i].record.sparse;
            *sparse = terms.into_iter().map(|(term, n)| (Key::from(term), n as f32)).collect();
            sparse.shrink_to_fit(); // the analyzer's list had room for every repeat; this one lives on
        }
    }
    Ok(out)
}

/// A record's `multiVectors: { name: [[numbers], ...] }`, sorted by name. Every vector of a
/// space has the length of its first; the database's dimension of the space is checked with
/// the other dimensions (`validate.rs`).
fn multi_vectors(v: Json, id: &str) -> Result<Vec<MultiVector>> {
    let Json::Object(spaces) = v else {
        return Err(Error::invalid(format!("record {id:?}: multiVectors must be an object of named vector lists")));
    };
    let mut out = Vec::with_capacity(spaces.len());
    for (name, list) in spaces {
        let what = format!("record {id:?}: multi-vector space {name:?}");
        if name.is_empty() {
            return Err(Error::invalid(format!("record {id:?}: a multi-vector space needs a non-empty name")));
        }
        let Json::Array(items) = list else { return Err(Error::invalid(format!("{what} must be an array of vectors"))) };
        if items.is_empty() || items.len() > MAX_TOKENS {
            return Err(Error::invalid(format!("{what} must hold 1 to {MAX_TOKENS} vectors, found {}", items.len())));
        }
        let mut values = Vec::new();
        let mut dim = 0;
        for (j, item) in items.iter().enumerate() {
            let v = f32_list(item, &format!("{what}, vector {j}"))?;
            if j == 0 {
                dim = v.len();
                values.reserve(dim * items.len());
            } else if v.len() != dim {
                return Err(Error::new(Code::DimensionMismatch, format!("{what}: vector {j} has {} values, vector 0 has {dim}", v.len())));
            }
            values.extend_from_slice(&v);
        }
        if dim == 0 {
            return Err(Error::invalid(format!("{what}: its vectors are empty")));
        }
        out.push(MultiVector { name: String::from(name), dim, values });
    }
    out.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(out)
}

/// An expiry instant: an integer number of epoch milliseconds a JavaScript `Date` can hold
/// from 1970 on.
fn instant(v: &Json) -> std::result::Result<i64, String> {
    match v.as_f64() {
        Some(ms) if ms.fract() == 0.0 && (0.0..=crate::expiry::MAX_INSTANT as f64).contains(&ms) => Ok(ms as i64),
        _ => Err(format!("expiresAt must be an integer from 0 to {} (epoch milliseconds)", crate::expiry::MAX_INSTANT)),
    }
}

/// Moves the value of `key` out of an object's fields (the last one, as `Json::get` reads).
fn take(fields: &mut [(Key, Json)], key: &str) -> Option<Json> {
    fields.iter_mut().rev().find(|(k, _)| k == key).map(|(_, v)| std::mem::replace(v, Json::Null))
}

/// Reads `[{op: "upsert"|"insert"|"delete"|"updateMetadata"|"setExpiry", ...}]`; upserts take their main
/// vectors, in order, from `vectors` (`dimension` values each).
pub fn transaction_ops<'a>(json: &Json, vectors: &'a [f32], dimension: usize, analyzer: &Analyzer) -> Result<Vec<TxnOp<'a>>> {
    let items = json.as_array().ok_or_else(|| Error::invalid("transaction operations must be an array"))?;
    let kind = |op: &Json| op.get("op").and_then(|o| o.as_str()).map(str::to_owned);
    if let Some(i) = items.iter().position(|op| !matches!(kind(op).as_deref(), Some("upsert" | "insert" | "delete" | "updateMetadata" | "setExpiry"))) {
        return Err(Error::invalid(format!(
            "operation {i}: op must be \"upsert\", \"insert\", \"delete\", \"updateMetadata\" or \"setExpiry\""
        )));
    }
    let is_write = |op: &&Json| matches!(kind(op).as_deref(), Some("upsert" | "insert"));
    let writes: Vec<Json> = items.iter().filter(is_write).cloned().collect();
    let mut upserts = upserts(Json::Array(writes), vectors, dimension, analyzer)?.into_iter();
    let mut out = Vec::with_capacity(items.len());
    for (i, op) in items.iter().enumerate() {
        match op.get("op").and_then(|o| o.as_str()) {
            Some(kind @ ("upsert" | "insert")) => {
                let item = upserts.next().ok_or_else(|| Error::new(Code::Internal, "operation count mismatch"))?;
                out.push(TxnOp::Upsert { item, insert_only: kind == "insert" });
            }
            Some(kind @ ("delete" | "updateMetadata" | "setExpiry")) => {
                let id = op.get("id").and_then(|v| v.as_str()).ok_or_else(|| Error::invalid(format!("operation {i}: id must be a string")))?;
                crate::db::validate_id(id)?;
                let namespace = super::decode::single_namespace_opt(op)?;
                crate::db::validate_write_namespace(&namespace)?;
                let id = id.to_string();
                out.push(match kind {
                    "delete" => TxnOp::Delete { namespace, id },
                    "setExpiry" => match op.get("expiresAt") {
                        None | Some(Json::Null) => TxnOp::SetExpiry { namespace, id, at: None },
                        Some(v) => {
                            let at = instant(v).map_err(|e| Error::invalid(format!("operation {i}: {e}")).with_id(&id))?;
                            TxnOp::SetExpiry { namespace, id, at: Some(at) }
                        }
                    },
                    _ => match op.get("patch") {
                        Some(patch @ Json::Object(_)) => TxnOp::UpdateMetadata { namespace, id, patch: patch.clone() },
                        _ => return Err(Error::invalid(format!("operation {i}: patch must be an object")).with_id(&id)),
                    },
                });
            }
            _ => return Err(Error::new(Code::Internal, format!("operation {i}: unchecked kind"))),
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &str) -> Json {
        crate::json::parse(s.as_bytes(), "test").unwrap()
    }

    #[test]
    fn a_records_text_becomes_its_sparse_terms_under_the_given_analyzer() {
        let english = Analyzer::english();
        let json = parse(r#"[{"id":"a","text":"The runners were running"},{"id":"b","sparse":{"x":2}},{"id":"c","text":""}]"#);
        let items = upserts(json, &[0.0; 6], 2, &english).unwrap();
        assert_eq!(items[0].record.sparse, vec![("run".into(), 1.0), ("runner".into(), 1.0)]);
        assert_eq!(items[1].record.sparse, vec![("x".into(), 2.0)]);
        assert!(items[2].record.sparse.is_empty());
        // Another analyzer (no stemmer, no stop words) gives other terms.
        let plain = Analyzer::new(vec![crate::text::Step::Lowercase]);
        let items = upserts(parse(r#"[{"id":"a","text":"The runners"}]"#), &[0.0; 2], 2, &plain).unwrap();
        assert_eq!(items[0].record.sparse, vec![("runners".into(), 1.0), ("the".into(), 1.0)]);
    }

    #[test]
    fn text_with_sparse_or_not_a_string_is_refused_naming_the_record() {
        let english = Analyzer::english();
        let both = upserts(parse(r#"[{"id":"a","text":"hi","sparse":{}}]"#), &[0.0; 2], 2, &english).unwrap_err();
        assert!(both.message.contains("record \"a\"") && both.message.contains("text or sparse"), "{}", both.message);
        let number = upserts(parse(r#"[{"id":"b","text":7}]"#), &[0.0; 2], 2, &english).unwrap_err();
        assert!(number.message.contains("record \"b\": text must be a string"), "{}", number.message);
    }

    #[test]
    fn transaction_operations_take_their_vectors_in_order() {
        let english = Analyzer::english();
        let json = parse(r#"[{"op":"upsert","id":"a"},{"op":"delete","id":"b","namespace":"n"},{"op":"insert","id":"c"}]"#);
        let ops = transaction_ops(&json, &[1.0, 2.0, 3.0, 4.0], 2, &english).unwrap();
        assert!(matches!(&ops[0], TxnOp::Upsert { item, insert_only: false } if item.record.id == "a" && item.vector[..] == [1.0, 2.0]));
        assert_eq!(ops[1], TxnOp::Delete { namespace: "n".into(), id: "b".into() });
        assert!(matches!(&ops[2], TxnOp::Upsert { item, insert_only: true } if item.record.id == "c" && item.vector[..] == [3.0, 4.0]));
        let err = transaction_ops(&parse(r#"[{"op":"move","id":"a"}]"#), &[0.0, 0.0], 2, &english).unwrap_err();
        assert_eq!(err.message, "operation 0: op must be \"upsert\", \"insert\", \"delete\", \"updateMetadata\" or \"setExpiry\"");
        let ops = transaction_ops(&parse(r#"[{"op":"setExpiry","id":"a","expiresAt":5},{"op":"setExpiry","id":"b","expiresAt":null}]"#), &[], 2, &english).unwrap();
        assert_eq!(ops[0], TxnOp::SetExpiry { namespace: String::new(), id: "a".into(), at: Some(5) });
        assert_eq!(ops[1], TxnOp::SetExpiry { namespace: String::new(), id: "b".into(), at: None });
        for bad in ["-1", "1.5", "\"5\"", "9e15"] {
            let json = parse(&format!(r#"[{{"op":"setExpiry","id":"a","expiresAt":{bad}}}]"#));
            let err = transaction_ops(&json, &[], 2, &english).unwrap_err();
            assert!(err.message.contains("operation 0: expiresAt must be an integer"), "{bad}: {}", err.message);
            let err = upserts(parse(&format!(r#"[{{"id":"r","expiresAt":{bad}}}]"#)), &[0.0; 2], 2, &english).unwrap_err();
            assert!(err.message.contains("record \"r\": expiresAt must be an integer"), "{bad}: {}", err.message);
        }
        let ops = transaction_ops(&parse(r#"[{"op":"updateMetadata","id":"a","patch":{"k":1}},{"op":"upsert","id":"b"}]"#), &[5.0, 6.0], 2, &english).unwrap();
        assert!(matches!(&ops[0], TxnOp::UpdateMetadata { id, patch, .. } if id == "a" && patch.to_json() == r#"{"k":1}"#));
        assert!(matches!(&ops[1], TxnOp::Upsert { item, .. } if item.vector[..] == [5.0, 6.0]), "an update takes no vector");
        for bad in [r#"[{"op":"updateMetadata","id":"a"}]"#, r#"[{"op":"updateMetadata","id":"a","patch":[1]}]"#] {
            let err = transaction_ops(&parse(bad), &[], 2, &english).unwrap_err();
            assert!(err.message.contains("patch must be an object"), "{}", err.message);
        }
    }
}
