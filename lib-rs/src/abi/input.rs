//! Turning the JSON of a write call into records, with errors that name the record.

use crate::error::{Error, Result};
use crate::json::Json;
use crate::record::{Record, Upsert};

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
pub fn upserts(json: &Json, vectors: &[f32], dimension: usize) -> Result<Vec<Upsert>> {
    let items = json.as_array().ok_or_else(|| Error::invalid("records must be an array"))?;
    if vectors.len() != items.len() * dimension {
        return Err(Error::new(
            crate::error::Code::DimensionMismatch,
            format!("{} vector values for {} records of dimension {dimension}", vectors.len(), items.len()),
        ));
    }
    let mut out = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let id = match item.get("id") {
            Some(Json::String(s)) => s.clone(),
            other => {
                return Err(Error::invalid(format!(
                    "record {i}: id must be a string, found {}",
                    other.map_or("nothing", |v| v.type_name())
                )))
            }
        };
        let namespace = match item.get("namespace") {
            None | Some(Json::Null) => String::new(),
            Some(Json::String(s)) => s.clone(),
            Some(other) => return Err(Error::invalid(format!("record {id:?}: namespace must be a string, found {}", other.type_name()))),
        };
        let metadata = match item.get("metadata") {
            None | Some(Json::Null) => Json::Object(Vec::new()),
            Some(m @ Json::Object(_)) => m.clone(),
            Some(other) => return Err(Error::invalid(format!("record {id:?}: metadata must be an object, found {}", other.type_name()))),
        };
        let mut sparse = Vec::new();
        if let Some(s) = item.get("sparse").filter(|s| !s.is_null()) {
            let fields = s.as_object().ok_or_else(|| Error::invalid(format!("record {id:?}: sparse must be an object of term weights")))?;
            for (term, w) in fields {
                let w = w.as_f64().filter(|w| w.is_finite()).ok_or_else(|| {
                    Error::invalid(format!("record {id:?}: sparse term {term:?} must have a finite number weight"))
                })?;
                sparse.push((term.clone(), w as f32));
            }
            sparse.sort_by(|a, b| a.0.cmp(&b.0));
        }
        let mut named = Vec::new();
        if let Some(v) = item.get("vectors").filter(|v| !v.is_null()) {
            let fields = v.as_object().ok_or_else(|| Error::invalid(format!("record {id:?}: vectors must be an object of named vectors")))?;
            for (name, values) in fields {
                if name.is_empty() {
                    return Err(Error::invalid(format!("record {id:?}: a named vector needs a non-empty name")));
                }
                named.push((name.clone(), f32_list(values, &format!("record {id:?}: named vector {name:?}"))?));
            }
            named.sort_by(|a, b| a.0.cmp(&b.0));
        }
        let vector = vectors[i * dimension..(i + 1) * dimension].to_vec();
        out.push(Upsert { namespace, record: Record { id, metadata, sparse, vectors: named }, vector });
    }
    Ok(out)
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
