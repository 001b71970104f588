//! Reading query options from the JSON that crosses the ABI. Unknown keys are refused, so
//! a misspelt option is an error instead of being silently ignored.

use crate::error::{Error, Result};
use crate::filter::FilterPlan;
use crate::json::Json;

/// Which namespaces a read covers.
#[derive(Debug, Clone, PartialEq)]
pub enum NamespaceSelection {
    One(String),
    Many(Vec<String>),
    All,
}

impl NamespaceSelection {
    pub fn matches(&self, name: &str) -> bool {
        match self {
            NamespaceSelection::One(n) => n == name,
            NamespaceSelection::Many(list) => list.iter().any(|n| n == name),
            NamespaceSelection::All => true,
        }
    }
}

/// How the dense and sparse sides are combined.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Fusion {
    Linear { dense_weight: f32, sparse_weight: f32 },
    Rrf { k: f32 },
}

pub struct SearchOptions {
    pub k: usize,
    /// Sparse query terms (keyword search; hybrid with a query vector).
    pub sparse: Option<Vec<(String, f32)>>,
    pub fusion: Fusion,
    /// Attach an explanation to each result.
    pub explain: bool,
    /// Search this named vector space with the query vector.
    pub vector_name: Option<String>,
    /// A multi-vector query: a query vector per named space.
    pub vectors: Vec<(String, Vec<f32>)>,
    /// Weights of the spaces of a multi-vector query ("" is the main vector); default 1.
    pub vector_weights: Vec<(String, f32)>,
    /// MMR diversification: 1 = pure relevance, 0 = pure diversity.
    pub mmr_lambda: Option<f32>,
    /// Candidates MMR chooses from (default 4k).
    pub fetch_k: usize,
    /// Force an exact scan.
    pub exact: bool,
    /// HNSW search effort for this query.
    pub ef_search: Option<usize>,
    pub filter: Option<FilterPlan>,
    pub namespaces: NamespaceSelection,
    pub include_vectors: bool,
}

pub struct ListOptions {
    pub filter: Option<FilterPlan>,
    pub namespaces: NamespaceSelection,
    pub limit: usize,
    pub offset: usize,
    pub include_vectors: bool,
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

/// The largest `k`, `fetchK`, `limit` and `offset` accepted: a namespace holds at most this
/// many records (slots are u32). Searches clamp k and fetchK to the records there are.
pub const MAX_COUNT_OPTION: usize = u32::MAX as usize;
/// The largest `efSearch` accepted (the same bound as the open option `hnsw.efSearch`).
pub const MAX_EF_SEARCH: usize = 65_536;

/// A non-negative integer option from `min` to `MAX_COUNT_OPTION`.
pub fn int_opt(j: &Json, key: &str, default: usize, min: usize) -> Result<usize> {
    int_in(j, key, default, min, MAX_COUNT_OPTION)
}

/// An integer option from `min` to `max`.
fn int_in(j: &Json, key: &str, default: usize, min: usize, max: usize) -> Result<usize> {
    match j.get(key) {
        None | Some(Json::Null) => Ok(default),
        Some(Json::Number(n)) if n.fract() == 0.0 && *n >= min as f64 && *n <= max as f64 => Ok(*n as usize),
        Some(other) => Err(Error::invalid(format!("{key} must be an integer from {min} to {max}, found {}", other.to_json()))),
    }
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

impl SearchOptions {
    pub fn from_json(j: &Json) -> Result<SearchOptions> {
        check_keys(
            j,
            &[
                "k", "filter", "namespace", "namespaces", "includeVectors", "exact", "efSearch", "sparse", "fusion",
                "denseWeight", "sparseWeight", "rrfK", "explain", "vectorName", "vectors", "vectorWeights", "mmrLambda",
                "fetchK",
            ],
            "search",
        )?;
        let k = int_opt(j, "k", 10, 1)?;
        let exact = bool_opt(j, "exact")?;
        let ef_search = match int_in(j, "efSearch", 0, 1, MAX_EF_SEARCH)? {
            0 => None,
            ef => Some(ef),
        };
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
            filter: filter_opt(j)?,
            namespaces: namespaces_opt(j)?,
            include_vectors: bool_opt(j, "includeVectors")?,
        })
    }
}

impl SearchOptions {
    /// The weight of a space in a multi-vector query (1 unless `vectorWeights` says).
    pub fn weight_of(&self, name: &str) -> f32 {
        self.vector_weights.iter().find(|(n, _)| n == name).map_or(1.0, |(_, w)| *w)
    }
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

impl ListOptions {
    pub fn from_json(j: &Json) -> Result<ListOptions> {
        check_keys(j, &["filter", "namespace", "namespaces", "limit", "offset", "includeVectors"], "list")?;
        Ok(ListOptions {
            filter: filter_opt(j)?,
            namespaces: namespaces_opt(j)?,
            limit: int_opt(j, "limit", 0, 0)?,
            offset: int_opt(j, "offset", 0, 0)?,
            include_vectors: bool_opt(j, "includeVectors")?,
        })
    }
}

/// Options of `count`: `{ namespace?, namespaces?, filter? }`.
pub fn count_options(j: &Json) -> Result<(NamespaceSelection, Option<FilterPlan>)> {
    check_keys(j, &["filter", "namespace", "namespaces"], "count")?;
    Ok((namespaces_opt(j)?, filter_opt(j)?))
}
