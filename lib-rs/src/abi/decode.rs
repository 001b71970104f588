//! Decoding the JSON arguments of calls into the core's typed options: open options, the
//! options of search, list and count, and the arguments of get and delete. The core never
//! sees this JSON, so it is tested with plain structs. Unknown option keys are refused, so
//! a misspelt option is an error instead of being silently ignored. A filter is read by
//! `FilterPlan::parse`, the filter module's own language; records and transaction
//! operations are read in `input.rs`.

use crate::db::{OpenOptions, DEFAULT_ANN_THRESHOLD, MAX_DIMENSION};
use crate::error::{Code, Error, Result};
use crate::filter::FilterPlan;
use crate::json::{self, Json};
use crate::search::options::{ListCursor, Fusion, ListOptions, MultiVectorQuery, NamespaceSelection, SearchOptions, MAX_COUNT_OPTION, MAX_EF_SEARCH};
use crate::storage::wal::SyncMode;
use crate::vector::hnsw::{HnswParams, MAX_M, MIN_M};
use crate::vector::quantize::Quantizations;
use crate::vector::Metric;

/// Parses a call's JSON argument; an empty one is the empty object (no options).
pub fn parse_args(bytes: &[u8], what: &str) -> Result<Json> {
    if bytes.is_empty() {
        return Ok(Json::Object(Vec::new()));
    }
    json::parse(bytes, what)
}

/// An optional integer option within `lo..=hi`.
fn opt_int_in(j: Option<&Json>, name: &str, lo: usize, hi: usize) -> Result<Option<usize>> {
    match j {
        None | Some(Json::Null) => Ok(None),
        Some(Json::Number(n)) if n.fract() == 0.0 && *n >= lo as f64 && *n <= hi as f64 => Ok(Some(*n as usize)),
        Some(other) => Err(Error::invalid(format!("{name} must be an integer from {lo} to {hi}, found {}", other.to_json()))),
    }
}

/// Reads `{ dimension?, metric?, readOnly?, sync?, hnsw?, annThreshold?, analyzer?, quantization? }`
/// (other keys, such as `lockTimeoutMs`, are TypeScript's).
pub fn open_options(j: &Json) -> Result<OpenOptions> {
    let dimension = opt_int_in(j.get("dimension"), "dimension", 1, MAX_DIMENSION)?;
    let metric = match j.get("metric") {
        None | Some(Json::Null) => None,
        Some(Json::String(s)) => Some(Metric::parse(s)?),
        Some(other) => return Err(Error::invalid(format!("metric must be a string, found {}", other.type_name()))),
    };
    let read_only = match j.get("readOnly") {
        None | Some(Json::Null) => false,
        Some(Json::Bool(b)) => *b,
        Some(other) => return Err(Error::invalid(format!("readOnly must be a boolean, found {}", other.type_name()))),
    };
    let sync = match j.get("sync").and_then(|s| s.as_str()) {
        None if j.get("sync").is_none_or(|s| s.is_null()) => SyncMode::Full,
        Some("full") => SyncMode::Full,
        Some("normal") => SyncMode::Normal,
        _ => return Err(Error::invalid("sync must be \"full\" or \"normal\"")),
    };
    let mut hnsw = HnswParams::default();
    let mut ef_search = None;
    match j.get("hnsw") {
        None | Some(Json::Null) => {}
        Some(h @ Json::Object(fields)) => {
            for (key, _) in fields {
                if !["m", "efConstruction", "efSearch"].contains(&key.as_str()) {
                    return Err(Error::invalid(format!("unknown hnsw option {key:?} (m, efConstruction, efSearch)")));
                }
            }
            hnsw.m = opt_int_in(h.get("m"), "hnsw.m", MIN_M, MAX_M)?.unwrap_or(hnsw.m);
            hnsw.ef_construction = opt_int_in(h.get("efConstruction"), "hnsw.efConstruction", 1, 65_536)?
                .unwrap_or(hnsw.ef_construction)
                .max(hnsw.m);
            ef_search = opt_int_in(h.get("efSearch"), "hnsw.efSearch", 1, MAX_EF_SEARCH)?;
        }
        Some(other) => return Err(Error::invalid(format!("hnsw must be an object, found {}", other.type_name()))),
    }
    let ann_threshold = opt_int_in(j.get("annThreshold"), "annThreshold", 0, u32::MAX as usize)?.unwrap_or(DEFAULT_ANN_THRESHOLD);
    // Checked and normalised here, so the stored form always parses.
    let analyzer = match j.get("analyzer") {
        None | Some(Json::Null) => None,
        Some(a) => Some(crate::text::Analyzer::from_json(a).map_err(|e| Error::invalid(format!("analyzer: {}", e.message)))?.to_json()),
    };
    let quantization = match j.get("quantization") {
        None | Some(Json::Null) => None,
        Some(q) => Some(Quantizations::from_json(q)?),
    };
    Ok(OpenOptions { dimension, metric, read_only, sync, hnsw, ef_search, ann_threshold, analyzer, quantization })
}

/// Options that belong to later features: named here so the error says so plainly.
const NOT_YET: &[&str] = &[];

fn check_keys(j: &Json, allowed: &[&str], what: &str) -> Result<()> {
    let fields = j.as_object().ok_or_else(|| Error::invalid(format!("{what} options must be an object")))?;
    for (key, _) in fields {
        if NOT_YET.contains(&key.as_str()) {
            return Err(Error::invalid(format!("{what} option {key:?} is not supported by this version of vectlite yet")));
        }
        if !allowed.contains(&key.as_str()) {
            return Err(Error::invalid(format!("unknown {what} option {key:?}")));
        }
    }
    Ok(())
}

fn bool_opt(j: &Json, key: &str) -> Result<bool> {
    match j.get(key) {
        None | Some(Json::Null) => Ok(false),
        Some(Json::Bool(b)) => Ok(*b),
        Some(other) => Err(Error::invalid(format!("{key} must be a boolean, found {}", other.type_name()))),
    }
}

/// A non-negative integer option from `min` to `MAX_COUNT_OPTION`.
fn int_opt(j: &Json, key: &str, default: usize, min: usize) -> Result<usize> {
    int_in(j, key, default, min, MAX_COUNT_OPTION)
}

/// An integer option from `min` to `max`.
fn int_in(j: &Json, key: &str, default: usize, min: usize, max: usize) -> Result<usize> {
    Ok(opt_int_in(j.get(key), key, min, max)?.unwrap_or(default))
}

pub fn filter_opt(j: &Json) -> Result<Option<FilterPlan>> {
    match j.get("filter") {
        None | Some(Json::Null) => Ok(None),
        Some(f) => {
            let plan = FilterPlan::parse(f)?;
            Ok(if plan.is_empty() { None } else { Some(plan) })
        }
    }
}

fn namespace_name(v: &Json, key: &str) -> Result<String> {
    v.as_str().map(str::to_string).ok_or_else(|| Error::invalid(format!("{key} must be a string, found {}", v.type_name())))
}

/// Reads `namespace` (a name or "*") and `namespaces` (a list or "*"); default is "".
pub fn namespaces_opt(j: &Json) -> Result<NamespaceSelection> {
    let one = j.get("namespace").filter(|v| !v.is_null());
    let many = j.get("namespaces").filter(|v| !v.is_null());
    match (one, many) {
        (Some(_), Some(_)) => Err(Error::invalid("pass either namespace or namespaces, not both")),
        (Some(v), None) => {
            let name = namespace_name(v, "namespace")?;
            Ok(if name == "*" { NamespaceSelection::All } else { NamespaceSelection::One(name) })
        }
        (None, Some(Json::String(s))) if s == "*" => Ok(NamespaceSelection::All),
        (None, Some(Json::Array(items))) => {
            let names = items.iter().map(|v| namespace_name(v, "namespaces[]")).collect::<Result<Vec<_>>>()?;
            Ok(NamespaceSelection::Many(names))
        }
        (None, Some(_)) => Err(Error::invalid("namespaces must be a list of names or \"*\"")),
        (None, None) => Ok(NamespaceSelection::One(String::new())),
    }
}

/// A single namespace for writes (`""` by default).
pub fn single_namespace_opt(j: &Json) -> Result<String> {
    match j.get("namespace") {
        None | Some(Json::Null) => Ok(String::new()),
        Some(v) => namespace_name(v, "namespace"),
    }
}

/// Reads the options of `compact`: `{ quantization? }`.
pub fn compact_options(j: &Json) -> Result<Option<Quantizations>> {
    check_keys(j, &["quantization"], "compact")?;
    match j.get("quantization") {
        None | Some(Json::Null) => Ok(None),
        Some(q) => Ok(Some(Quantizations::from_json(q)?)),
    }
}

/// Reads the options of `search`.
pub fn search_options(j: &Json) -> Result<SearchOptions> {
    check_keys(
        j,
        &[
            "k", "filter", "namespace", "namespaces", "includeVectors", "exact", "efSearch", "sparse", "fusion",
            "denseWeight", "sparseWeight", "rrfK", "explain", "vectorName", "vectors", "vectorWeights", "mmrLambda",
            "fetchK", "rescore", "truncateDim", "multiVector",
        ],
        "search",
    )?;
    let k = int_opt(j, "k", 10, 1)?;
    let exact = bool_opt(j, "exact")?;
    let ef_search = match int_in(j, "efSearch", 0, 1, MAX_EF_SEARCH)? {
        0 => None,
        ef => Some(ef),
    };
    let rescore = opt_int_in(j.get("rescore"), "rescore", 1, crate::vector::quantize::MAX_RESCORE)?;
    // Checked against the database's dimension by the search.
    let truncate_dim = opt_int_in(j.get("truncateDim"), "truncateDim", 1, crate::db::MAX_DIMENSION)?;
    let mmr_lambda = match j.get("mmrLambda") {
        None | Some(Json::Null) => None,
        Some(Json::Number(l)) if (0.0..=1.0).contains(l) => Some(*l as f32),
        Some(other) => return Err(Error::invalid(format!("mmrLambda must be a number from 0 to 1, found {}", other.to_json()))),
    };
    let fetch_k = int_opt(j, "fetchK", 4 * k, k)?;
    let vector_name = match j.get("vectorName") {
        None | Some(Json::Null) => None,
        Some(Json::String(s)) if !s.is_empty() => Some(s.clone()),
        Some(other) => return Err(Error::invalid(format!("vectorName must be a non-empty string, found {}", other.to_json()))),
    };
    let vectors = named_vectors_opt(j)?;
    if vector_name.is_some() && !vectors.is_empty() {
        return Err(Error::invalid("pass either vectorName or vectors, not both"));
    }
    Ok(SearchOptions {
        k,
        vector_name,
        vectors,
        vector_weights: weights_opt(j)?,
        mmr_lambda,
        fetch_k,
        sparse: sparse_opt(j)?,
        fusion: fusion_opt(j)?,
        explain: bool_opt(j, "explain")?,
        exact,
        ef_search,
        rescore,
        truncate_dim,
        filter: filter_opt(j)?,
        namespaces: namespaces_opt(j)?,
        include_vectors: bool_opt(j, "includeVectors")?,
        multi_vector: multi_vector_opt(j)?,
        now: crate::expiry::now_ms(),
    })
}

/// Reads `multiVector: { name, query: [[numbers], ...], candidates? }`.
fn multi_vector_opt(j: &Json) -> Result<Option<MultiVectorQuery>> {
    let Some(m) = j.get("multiVector").filter(|v| !v.is_null()) else { return Ok(None) };
    check_keys(m, &["name", "query", "candidates"], "multiVector")?;
    let name = match m.get("name") {
        Some(Json::String(s)) if !s.is_empty() => s.clone(),
        other => return Err(Error::invalid(format!("multiVector.name must be a non-empty string, found {}", other.map_or("nothing".into(), Json::to_json)))),
    };
    let items = m.get("query").and_then(Json::as_array).ok_or_else(|| Error::invalid("multiVector.query must be an array of vectors"))?;
    let mut values = Vec::new();
    let mut dim = 0;
    for (i, v) in items.iter().enumerate() {
        let xs = v.as_array().ok_or_else(|| Error::invalid(format!("multiVector.query[{i}] must be an array of numbers")))?;
        if i == 0 {
            dim = xs.len();
        } else if xs.len() != dim {
            return Err(Error::new(Code::DimensionMismatch, format!("multiVector.query[{i}] has {} values, multiVector.query[0] {dim}", xs.len())));
        }
        for x in xs {
            match x.as_f64() {
                Some(x) if x.is_finite() => values.push(x as f32),
                _ => return Err(Error::invalid(format!("multiVector.query[{i}] has a non-finite or non-numeric value"))),
            }
        }
    }
    if dim == 0 {
        return Err(Error::invalid("multiVector.query must hold at least one non-empty vector"));
    }
    let candidates = opt_int_in(m.get("candidates"), "multiVector.candidates", 1, MAX_COUNT_OPTION)?;
    Ok(Some(MultiVectorQuery { name, dim, values, candidates }))
}

/// Reads `vectors: { name: [numbers] }`.
fn named_vectors_opt(j: &Json) -> Result<Vec<(String, Vec<f32>)>> {
    let Some(v) = j.get("vectors").filter(|v| !v.is_null()) else { return Ok(Vec::new()) };
    let fields = v.as_object().ok_or_else(|| Error::invalid("vectors must be an object of named query vectors"))?;
    let mut out = Vec::with_capacity(fields.len());
    for (name, values) in fields {
        let items = values.as_array().ok_or_else(|| Error::invalid(format!("vectors.{name} must be an array of numbers")))?;
        let mut q = Vec::with_capacity(items.len());
        for (i, x) in items.iter().enumerate() {
            match x.as_f64() {
                Some(x) if x.is_finite() => q.push(x as f32),
                _ => return Err(Error::invalid(format!("vectors.{name} has a non-finite or non-numeric value at index {i}"))),
            }
        }
        out.push((String::from(name), q));
    }
    Ok(out)
}

/// Reads `vectorWeights: { name: weight }`.
fn weights_opt(j: &Json) -> Result<Vec<(String, f32)>> {
    let Some(v) = j.get("vectorWeights").filter(|v| !v.is_null()) else { return Ok(Vec::new()) };
    let fields = v.as_object().ok_or_else(|| Error::invalid("vectorWeights must be an object of numbers"))?;
    fields
        .iter()
        .map(|(name, w)| match w.as_f64() {
            Some(w) if w.is_finite() => Ok((String::from(name), w as f32)),
            _ => Err(Error::invalid(format!("vectorWeights.{name} must be a finite number"))),
        })
        .collect()
}

/// Reads `sparse: { term: weight }` (finite, non-negative weights).
fn sparse_opt(j: &Json) -> Result<Option<Vec<(String, f32)>>> {
    let Some(v) = j.get("sparse").filter(|v| !v.is_null()) else { return Ok(None) };
    let fields = v.as_object().ok_or_else(|| Error::invalid("sparse must be an object of term weights"))?;
    let mut terms = Vec::with_capacity(fields.len());
    for (term, w) in fields {
        match w.as_f64() {
            Some(w) if w.is_finite() && w >= 0.0 => terms.push((String::from(term), w as f32)),
            _ => return Err(Error::invalid(format!("sparse term {term:?} needs a finite, non-negative weight"))),
        }
    }
    Ok(Some(terms))
}

fn number_opt(j: &Json, key: &str, default: f64) -> Result<f64> {
    match j.get(key) {
        None | Some(Json::Null) => Ok(default),
        Some(Json::Number(n)) if n.is_finite() && *n >= 0.0 => Ok(*n),
        Some(other) => Err(Error::invalid(format!("{key} must be a non-negative number, found {}", other.to_json()))),
    }
}

/// Reads `fusion` ("linear" with denseWeight/sparseWeight, or "rrf" with rrfK).
fn fusion_opt(j: &Json) -> Result<Fusion> {
    match j.get("fusion").and_then(|f| f.as_str()) {
        None if j.get("fusion").is_none_or(|f| f.is_null()) => {}
        Some("linear") => {}
        Some("rrf") => {
            let k = number_opt(j, "rrfK", 60.0)?;
            return Ok(Fusion::Rrf { k: k as f32 });
        }
        _ => return Err(Error::invalid("fusion must be \"linear\" or \"rrf\"")),
    }
    Ok(Fusion::Linear {
        dense_weight: number_opt(j, "denseWeight", 1.0)? as f32,
        sparse_weight: number_opt(j, "sparseWeight", 1.0)? as f32,
    })
}

/// Reads the options of `list`.
pub fn list_options(j: &Json) -> Result<ListOptions> {
    check_keys(j, &["filter", "namespace", "namespaces", "limit", "offset", "includeVectors", "after"], "list")?;
    let opts = ListOptions {
        filter: filter_opt(j)?,
        namespaces: namespaces_opt(j)?,
        limit: int_opt(j, "limit", 0, 0)?,
        offset: int_opt(j, "offset", 0, 0)?,
        include_vectors: bool_opt(j, "includeVectors")?,
        after: match j.get("after") {
            None | Some(Json::Null) => None,
            Some(c) => Some(list_cursor(c)?),
        },
    };
    if opts.after.is_some() && opts.offset > 0 {
        return Err(Error::invalid("list: give after (a cursor) or offset, not both"));
    }
    Ok(opts)
}

/// A list cursor as TypeScript sends it: `[namespace, layout (decimal text), slot, id]`.
fn list_cursor(c: &Json) -> Result<ListCursor> {
    let bad = || Error::invalid("after is not a list cursor (pass the cursor of an earlier page unchanged)");
    match c.as_array() {
        Some([Json::String(namespace), Json::String(layout), Json::Number(slot), Json::String(id)])
            if slot.fract() == 0.0 && (0.0..=u32::MAX as f64).contains(slot) =>
        {
            Ok(ListCursor { namespace: namespace.clone(), layout: layout.parse().map_err(|_| bad())?, slot: *slot as u32, id: id.clone() })
        }
        _ => Err(bad()),
    }
}

/// Options of `count`: `{ namespace?, namespaces?, filter? }`.
pub fn count_options(j: &Json) -> Result<(NamespaceSelection, Option<FilterPlan>)> {
    check_keys(j, &["filter", "namespace", "namespaces"], "count")?;
    Ok((namespaces_opt(j)?, filter_opt(j)?))
}

/// The arguments of `delete`: `{namespace?, ids}`.
pub fn delete_args(j: &Json) -> Result<(String, Vec<String>)> {
    Ok((single_namespace_opt(j)?, ids(j.get("ids"))?))
}

/// The arguments of `deleteByFilter`: `{namespace?|namespaces?, filter}`, the namespace
/// "*" meaning every one (as in reads). The filter is required; `{}` matches everything
/// and comes back as `None`.
pub fn delete_by_filter_args(j: &Json) -> Result<(NamespaceSelection, Option<FilterPlan>)> {
    let selection = namespaces_opt(j)?;
    if j.get("filter").is_none_or(|f| f.is_null()) {
        return Err(Error::invalid("deleteByFilter needs a filter (use {} to delete everything)"));
    }
    Ok((selection, filter_opt(j)?))
}

/// The arguments of `get`.
pub struct GetArgs {
    pub namespace: String,
    pub id: String,
    pub include_vectors: bool,
}

/// Reads `{namespace?, id, includeVectors?}`.
pub fn get_args(j: &Json) -> Result<GetArgs> {
    let namespace = single_namespace_opt(j)?;
    let id = j.get("id").and_then(|v| v.as_str()).ok_or_else(|| Error::invalid("id must be a string"))?;
    let include_vectors = j.get("includeVectors").and_then(|v| v.as_bool()).unwrap_or(false);
    Ok(GetArgs { namespace, id: id.to_string(), include_vectors })
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

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &str) -> Json {
        parse_args(s.as_bytes(), "test").unwrap()
    }

    /// The message of an error the decoder must return.
    fn refused<T>(r: Result<T>) -> String {
        match r {
            Ok(_) => panic!("accepted"),
            Err(e) => e.message,
        }
    }

    #[test]
    fn no_options_decode_to_the_typed_defaults() {
        let s = search_options(&parse("")).unwrap();
        let d = SearchOptions::default();
        assert_eq!((s.k, s.fetch_k, s.fusion, &s.namespaces, s.exact, s.ef_search), (d.k, d.fetch_k, d.fusion, &d.namespaces, d.exact, d.ef_search));
        let l = list_options(&parse("{}")).unwrap();
        let d = ListOptions::default();
        assert_eq!((l.limit, l.offset, &l.namespaces, l.include_vectors), (d.limit, d.offset, &d.namespaces, d.include_vectors));
        let o = open_options(&parse("{}")).unwrap();
        assert_eq!((o.dimension, o.read_only, o.ann_threshold, o.ef_search), (None, false, DEFAULT_ANN_THRESHOLD, None));
    }

    #[test]
    fn options_are_read_and_bounds_and_unknown_keys_refused() {
        let s = search_options(&parse(r#"{"k":3,"namespaces":["a","b"],"fusion":"rrf","rrfK":10,"filter":{}}"#)).unwrap();
        assert_eq!((s.k, s.fetch_k, s.fusion), (3, 12, Fusion::Rrf { k: 10.0 }));
        assert_eq!(s.namespaces, NamespaceSelection::Many(vec!["a".into(), "b".into()]));
        assert!(s.filter.is_none(), "the empty filter matches everything");
        let err = refused(search_options(&parse(r#"{"kk":3}"#)));
        assert_eq!(err, "unknown search option \"kk\"");
        let err = refused(search_options(&parse(r#"{"k":0}"#)));
        assert!(err.starts_with("k must be an integer from 1 to"), "{}", err);
        let err = refused(count_options(&parse(r#"{"namespace":"a","namespaces":"*"}"#)));
        assert_eq!(err, "pass either namespace or namespaces, not both");
        let err = refused(open_options(&parse(r#"{"hnsw":{"m":1000}}"#)));
        assert!(err.starts_with("hnsw.m must be an integer from"), "{}", err);
        let err = refused(delete_by_filter_args(&parse(r#"{"namespace":"*"}"#)));
        assert!(err.starts_with("deleteByFilter needs a filter"), "{}", err);
        let get = get_args(&parse(r#"{"id":"x","namespace":"n"}"#)).unwrap();
        assert_eq!((get.namespace.as_str(), get.id.as_str(), get.include_vectors), ("n", "x", false));
    }
}
