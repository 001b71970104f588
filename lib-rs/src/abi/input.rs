//! Turning the JSON of a write call into records, with errors that name the record.

use crate::error::{Error, Result};
use crate::json::Json;
use crate::record::{Record, Upsert};
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

/// Reads `[{id, namespace?, metadata?, sparse?, vectors?}, ...]`; the main vectors arrive
/// separately as one contiguous f32 array, `dimension` values per record.
pub fn upserts(json: Json, vectors: &[f32], dimension: usize) -> Result<Vec<Upsert<'_>>> {
    let Json::Array(items) = json else { return Err(Error::invalid("records must be an array")) };
    if vectors.len() != items.len() * dimension {
        return Err(Error::new(
            crate::error::Code::DimensionMismatch,
            format!("{} vector values for {} records of dimension {dimension}", vectors.len(), items.len()),
        ));
    }
    let mut out = Vec::with_capacity(items.len());
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
        match take(&mut fields, "sparse") {
            None | Some(Json::Null) => {}
            Some(Json::Object(terms)) => {
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
        let mut named = Vec::new();
        match take(&mut fields, "vectors") {
            None | Some(Json::Null) => {}
            Some(Json::Object(spaces)) => {
                for (name, values) in spaces {
                    if name.is_empty() {
                        return Err(Error::invalid(format!("record {id:?}: a named vector needs a non-empty name")));
                    }
                    let v = f32_list(&values, &format!("record {id:?}: named vector {name:?}"))?;
                    named.push((name, v));
                }
                named.sort_by(|a, b| a.0.cmp(&b.0));
            }
            Some(_) => return Err(Error::invalid(format!("record {id:?}: vectors must be an object of named vectors"))),
        }
        let vector = Cow::Borrowed(&vectors[i * dimension..(i + 1) * dimension]);
        out.push(Upsert { namespace, record: Record { id, metadata, sparse, vectors: named }, vector });
    }
    Ok(out)
}

/// Moves the value of `key` out of an object's fields (the last one, as `Json::get` reads).
fn take(fields: &mut [(String, Json)], key: &str) -> Option<Json> {
    fields.iter_mut().rev().find(|(k, _)| k == key).map(|(_, v)| std::mem::replace(v, Json::Null))
}

/// Reads a list of string ids.
pub fn ids(json: Option<&Json>) -> Result<Vec<String>> {
    let items = json.and_then(|j| j.as_array()).ok_or_else(|| Error::invalid("ids must be an array of strings"))?;
    items
        .iter()
        .enumerate()
        .map(|(i, v)| v.as_str().map(str::to_string).ok_or_else(|| Error::invalid(format!("ids[{i}] must be a string, found {}", v.type_name()))))
        .collect()
}
