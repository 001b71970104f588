//! The read path: search (exact scan or HNSW graph, dense, keyword or hybrid), get, count and list.

pub mod cost;
pub mod dense;
pub mod hybrid;
pub mod late;
pub mod mmr;
pub mod named;
pub mod options;
pub mod plan;

use crate::db::{check_finite, Database};
use crate::error::{Code, Error, Result};
use crate::filter::{BoundFilter, FilterPlan};
use crate::namespace::Namespace;
use crate::record::RecordView;
use crate::vector::topk;
use options::{ListCursor, ListOptions, NamespaceSelection, SearchOptions};
use std::time::Instant;

/// One search result, borrowed from the database.
pub struct Hit<'a> {
    pub score: f32,
    pub namespace: &'a str,
    /// Read in place from its encoding, in memory or in the file.
    pub record: RecordView<'a>,
    pub vector: &'a [f32],
    pub explain: Option<Explain>,
    /// When the record expires (epoch milliseconds), if it was given a time to live.
    pub expires_at: Option<i64>,
    /// The record's multi-vectors (get and list; a search leaves them out): per space its
    /// name, dimension and vectors back to back.
    pub multi: Vec<(&'a str, usize, &'a [f32])>,
}

/// How a result's score was made (`explain: true`).
pub struct Explain {
    pub parts: hybrid::Parts,
    /// What the BM25 score is made of (its constants, and per query term tf, df, idf and
    /// share), when the query has sparse terms.
    pub bm25: Option<crate::sparse::index::Bm25Explain>,
    /// Each vector space's score, for a named or multi-vector query.
    pub vector_scores: Vec<(String, f32)>,
}

#[derive(Debug, Default, Clone)]
pub struct SearchStats {
    pub total_us: u64,
    pub dense_us: u64,
    pub sparse_us: u64,
    pub fusion_us: u64,
    /// Per query term: document frequency and idf.
    pub term_stats: Vec<(String, usize, f64)>,
    pub visited: usize,
    pub filtered: usize,
    /// Candidates ranked by codes and scored again with float32 vectors.
    pub rescored: usize,
    pub candidates: usize,
    /// Whether any namespace was searched through its HNSW graph.
    pub used_ann: bool,
    /// The plan of the last namespace searched (all of them when there is one).
    pub plan: plan::Plan,
}

/// Runs `f` with `plan` bound to the namespace's metadata columns and to its expiry as of
/// now: None when there is no filter and no record may be expired, so every search path
/// that honours a filter hides expired records too.
pub(crate) fn with_filter<R>(ns: &Namespace, plan: Option<&FilterPlan>, now: i64, f: impl FnOnce(Option<&BoundFilter>) -> R) -> R {
    let expiry = ns.expiry().any_due(now).then_some((ns.expiry(), now));
    if plan.is_none() && expiry.is_none() {
        return f(None);
    }
    let columns = plan.map(|p| ns.filter_columns(p)).unwrap_or_default();
    let bound = BoundFilter::new(plan, columns.iter().map(|c| c.as_ref()).collect(), expiry);
    f(Some(&bound))
}

/// The namespaces `sel` names, in name order (the map's), the order in which equal scores
/// from different namespaces are ranked. Every namespace's name is tested against `sel`.
pub(crate) fn selected<'a>(db: &'a Database, sel: &NamespaceSelection) -> Vec<(&'a String, &'a Namespace)> {
    match sel {
        // Looked up, not scanned: a query of one namespace costs the same among 100,000.
        NamespaceSelection::One(name) => db.namespaces.get_key_value(name).into_iter().collect(),
        NamespaceSelection::Many(names) => {
            let mut out: Vec<_> = names.iter().filter_map(|n| db.namespaces.get_key_value(n)).collect();
            // In name order, as a scan gives them, once each.
            out.sort_by(|a, b| a.0.cmp(b.0));
            out.dedup_by(|a, b| a.0 == b.0);
            out
        }
        NamespaceSelection::All => db.namespaces.iter().collect(),
    }
}

/// `CORRUPT` if a stored record of the namespaces `sel` names did not decode when read (it
/// read as absent): a read that met one reports it instead of answering without it.
pub fn intact(db: &Database, sel: &NamespaceSelection) -> Result<()> {
    match selected(db, sel).into_iter().find_map(|(_, ns)| ns.damage()) {
        Some(e) => Err(e),
        None => Ok(()),
    }
}

/// The candidate pool each side of a hybrid search contributes before fusion.
pub fn fusion_pool(k: usize) -> usize {
    (4 * k).max(50)
}

pub fn search<'a>(db: &'a Database, query: Option<&[f32]>, opts: &SearchOptions) -> Result<(Vec<Hit<'a>>, SearchStats)> {
    let started = Instant::now();
    let mut stats = SearchStats::default();
    let multi = opts.vector_name.is_some() || !opts.vectors.is_empty();
    if opts.multi_vector.is_some() && (query.is_some() || multi || opts.truncate_dim.is_some()) {
        return Err(Error::invalid(
            "multiVector replaces the query vector: pass null as the query, and no vectorName, vectors or truncateDim",
        ));
    }
    let late_query = opts.multi_vector.as_ref().map(|q| late::prepare(db, q)).transpose()?;
    let spaces = if multi { named::spaces(db, query, opts)? } else { Vec::new() };
    if let (Some(q), false) = (query, multi) {
        if q.len() != db.dimension {
            return Err(Error::new(
                Code::DimensionMismatch,
                format!("query has {} values, the database has dimension {}", q.len(), db.dimension),
            ));
        }
        check_finite(q, "query vector")?;
    }
    if let Some(d) = opts.truncate_dim {
        if multi || query.is_none() {
            return Err(Error::invalid("truncateDim shortens the main query vector: it needs one, and takes no vectorName or vectors"));
        }
        if d > db.dimension {
            return Err(Error::invalid(format!("truncateDim must be from 1 to the dimension ({}), found {d}", db.dimension)));
        }
    }
    let has_dense = query.is_some() || multi || late_query.is_some();
    if !has_dense && opts.sparse.is_none() {
        return Err(Error::invalid("a search needs a query vector, sparse terms, or both"));
    }
    // No search returns more records than the namespaces hold, so k and fetchK are clamped
    // to that before anything is sized by them (`k: 1e9` must not allocate 1e9 slots).
    let records = selected(db, &opts.namespaces).iter().map(|(_, ns)| ns.len()).sum::<usize>().max(1);
    let k = opts.k.min(records);
    // How many fused results to produce: k, or MMR's pool to choose k from.
    let want = if opts.mmr_lambda.is_some() { opts.fetch_k.min(records).max(k) } else { k };
    let pool = if has_dense && opts.sparse.is_some() { fusion_pool(want).clamp(want, records) } else { want };

    let dense_found = match query {
        _ if late_query.is_some() => late_query.as_ref().map_or_else(Vec::new, |l| late::candidates(db, l, pool, opts, &mut stats)),
        _ if multi => named::candidates(db, &spaces, pool, opts, &mut stats),
        Some(q) => dense::candidates(db, q, pool, opts, &mut stats),
        None => Vec::new(),
    };
    stats.dense_us = started.elapsed().as_micros() as u64;
    let sparse_started = Instant::now();
    let sparse_found = match &opts.sparse {
        Some(terms) => hybrid::sparse_candidates(db, terms, pool, opts),
        None => Vec::new(),
    };
    stats.sparse_us = sparse_started.elapsed().as_micros() as u64;
    let fusion_started = Instant::now();
    let ranked = |list: Vec<topk::Candidate<'a>>, dense: bool| -> Vec<(topk::Candidate<'a>, hybrid::Parts)> {
        list.into_iter()
            .enumerate()
            .map(|(i, c)| {
                let p = if dense {
                    hybrid::Parts { dense_score: Some(c.score), dense_rank: Some(i + 1), ..Default::default() }
                } else {
                    hybrid::Parts { sparse_score: Some(c.score), sparse_rank: Some(i + 1), ..Default::default() }
                };
                (c, p)
            })
            .collect()
    };
    let fused = match (has_dense, opts.sparse.is_some()) {
        (true, true) => hybrid::fuse(&dense_found, &sparse_found, want, opts.fusion),
        (true, false) => ranked(dense_found, true),
        _ => ranked(sparse_found, false),
    };
    let chosen: Vec<(topk::Candidate<'a>, hybrid::Parts)> = match opts.mmr_lambda {
        Some(lambda) => {
            let measure = match (query, multi, opts.sparse.is_some()) {
                // A prefix search's scores are not the full vectors' similarity: normalised.
                (Some(q), false, false) if opts.truncate_dim.is_none() => mmr::Relevance::Similarity(q),
                _ => mmr::Relevance::NormalisedScore,
            };
            // Diversity between multi-vector candidates: the cosine of their mean vectors.
            mmr::select(db, fused, k, lambda, measure, late_query.as_ref().map(|l| l.name))
            .into_iter()
            .map(|(c, mut p, penalty)| {
                p.mmr_penalty = Some(penalty);
                (c, p)
            })
            .collect()
        }
        None => fused,
    };
    stats.fusion_us = fusion_started.elapsed().as_micros() as u64;
    let hits: Vec<Hit<'a>> = chosen
        .into_iter()
        .filter_map(|(c, parts)| {
            let explain = opts.explain.then(|| explain_of(db, &c, parts, &spaces, opts));
            hit(db, c.namespace, c.slot, c.score, explain)
        })
        .collect();
    if let Some(terms) = &opts.sparse {
        stats.term_stats = term_stats(db, terms, opts);
    }
    stats.total_us = started.elapsed().as_micros() as u64;
    stats.candidates = hits.len();
    intact(db, &opts.namespaces)?;
    Ok((hits, stats))
}

fn explain_of(db: &Database, c: &topk::Candidate, parts: hybrid::Parts, spaces: &[named::SpaceQuery], opts: &SearchOptions) -> Explain {
    let bm25 = opts.sparse.as_deref().and_then(|t| bm25_explain(db, c.namespace, c.slot, t));
    let ns = db.namespaces.get(c.namespace);
    let vector_scores = match ns {
        Some(ns) if !spaces.is_empty() && ns.is_live(c.slot) => named::score_record(db, ns, c.slot, spaces).1,
        _ => Vec::new(),
    };
    Explain { parts, bm25, vector_scores }
}

fn hit<'a>(db: &'a Database, namespace: &'a str, slot: u32, score: f32, explain: Option<Explain>) -> Option<Hit<'a>> {
    let ns = db.namespaces.get(namespace)?;
    Some(Hit { score, namespace, record: ns.record_view(slot)?, vector: ns.vector(slot), explain, expires_at: ns.expiry().get(slot), multi: Vec::new() })
}

fn bm25_explain(db: &Database, namespace: &str, slot: u32, query: &[(String, f32)]) -> Option<crate::sparse::index::Bm25Explain> {
    let ns = db.namespaces.get(namespace)?;
    let r = ns.record_terms(slot)?;
    Some(ns.sparse().explain(slot, query, &r.sparse))
}

/// Document frequency and idf of each query term over the searched namespaces.
fn term_stats(db: &Database, terms: &[(String, f32)], opts: &SearchOptions) -> Vec<(String, usize, f64)> {
    let spaces = selected(db, &opts.namespaces);
    let docs: usize = spaces.iter().map(|(_, ns)| ns.sparse().docs()).sum();
    terms
        .iter()
        .map(|(t, _)| {
            let df: usize = spaces.iter().map(|(_, ns)| ns.sparse().df(t)).sum();
            (t.clone(), df, crate::sparse::idf(docs, df))
        })
        .collect()
}

/// The multi-vectors of the record at `slot`, borrowed.
fn multi_of(ns: &Namespace, slot: u32) -> Vec<(&str, usize, &[f32])> {
    ns.multi_spaces().iter().filter_map(|(name, space)| Some((name.as_str(), space.dim(), space.get(slot)?))).collect()
}

pub fn get<'a>(db: &'a Database, namespace: &str, id: &str) -> Option<Hit<'a>> {
    let (name, ns) = db.namespaces.get_key_value(namespace)?;
    let slot = ns.visible_slot(id, crate::expiry::now_ms())?;
    Some(Hit { score: 0.0, namespace: name, record: ns.record_view(slot)?, vector: ns.vector(slot), explain: None, expires_at: ns.expiry().get(slot), multi: multi_of(ns, slot) })
}

pub fn count(db: &Database, sel: &NamespaceSelection, filter: Option<&FilterPlan>) -> usize {
    let now = crate::expiry::now_ms();
    selected(db, sel)
        .into_iter()
        .map(|(_, ns)| match filter {
            None => ns.len() - ns.expiry().due_count(now),
            Some(plan) => with_filter(ns, Some(plan), now, |f| ns.slots().filter(|&s| f.is_none_or(|f| ns.passes(f, s))).count()),
        })
        .sum()
}

/// A page of `list`: its records, and the position of the last one when more may follow
/// (the page stopped at its limit), for the next page's `after`.
pub struct Listed<'a> {
    pub hits: Vec<Hit<'a>>,
    pub next: Option<ListCursor>,
}

/// Records in namespace order, then storage order (insertion order, with the places of
/// deleted records reused), after `offset` or after the cursor `after`, at most `limit`
/// (0 = all).
pub fn list<'a>(db: &'a Database, opts: &ListOptions) -> Result<Listed<'a>> {
    let limit = if opts.limit == 0 { usize::MAX } else { opts.limit };
    let mut hits = Vec::new();
    let mut last: Option<(&str, &Namespace, u32)> = None;
    let mut skipped = 0;
    let now = crate::expiry::now_ms();
    for (name, ns) in selected(db, &opts.namespaces) {
        let start = match &opts.after {
            None => 0,
            Some(after) => match name.as_str().cmp(after.namespace.as_str()) {
                std::cmp::Ordering::Less => continue,
                std::cmp::Ordering::Greater => 0,
                std::cmp::Ordering::Equal => resume(ns, after)?,
            },
        };
        let expiry = ns.expiry().any_due(now).then_some((ns.expiry(), now));
        let columns = opts.filter.as_ref().map(|p| ns.filter_columns(p)).unwrap_or_default();
        let bound = (opts.filter.is_some() || expiry.is_some()).then(|| BoundFilter::new(opts.filter.as_ref(), columns.iter().map(|c| c.as_ref()).collect(), expiry));
        for slot in ns.slots_from(start) {
            if hits.len() >= limit {
                let next = last.map(|(name, ns, slot)| cursor_at(name, ns, slot));
                intact(db, &opts.namespaces)?;
                return Ok(Listed { hits, next });
            }
            if bound.as_ref().is_some_and(|b| !ns.passes(b, slot)) {
                continue;
            }
            if skipped < opts.offset {
                skipped += 1;
                continue;
            }
            let Some(record) = ns.record_view(slot) else { continue };
            let multi = if opts.include_vectors { multi_of(ns, slot) } else { Vec::new() };
            hits.push(Hit { score: 0.0, namespace: name, record, vector: ns.vector(slot), explain: None, expires_at: ns.expiry().get(slot), multi });
            last = Some((name, ns, slot));
        }
    }
    intact(db, &opts.namespaces)?;
    Ok(Listed { hits, next: None })
}

fn cursor_at(name: &str, ns: &Namespace, slot: u32) -> ListCursor {
    let id = ns.id_of(slot).map(str::to_string).unwrap_or_default();
    ListCursor { namespace: name.to_string(), layout: ns.layout().id, slot, id }
}

/// The first slot after the cursor's record, in the namespace's numbering now: exact while the
/// namespace remembers the cursor's numbering (`layout::HISTORY` compactions); otherwise after
/// the cursor's record found by its id.
fn resume(ns: &Namespace, after: &ListCursor) -> Result<u32> {
    if let Some(start) = ns.layout().resume_after(after.layout, after.slot) {
        return Ok(start);
    }
    match ns.slot_of(&after.id) {
        Some(slot) => Ok(slot + 1),
        None => Err(Error::invalid(format!(
            "the list cursor's place is lost: its record {:?} is gone and the namespace was compacted many times since (or the cursor is from another handle); list again from the start",
            after.id
        ))),
    }
}

/// Ids matching `filter` in one namespace (for deleteByFilter).
pub fn matching_ids(db: &Database, namespace: &str, filter: Option<&FilterPlan>) -> Vec<String> {
    match db.namespaces.get(namespace) {
        None => Vec::new(),
        Some(ns) => with_filter(ns, filter, crate::expiry::now_ms(), |f| {
            ns.slots().filter(|&s| f.is_none_or(|f| ns.passes(f, s))).filter_map(|s| ns.id_of(s).map(str::to_string)).collect()
        }),
    }
}
