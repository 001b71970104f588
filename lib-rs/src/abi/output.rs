//! Result buffers, decoded by `src/codec.ts` in one pass:
//!
//! ```text
//! u32 row count   u32 flags (1 = scores, 2 = vectors)   u32 dimension   u32 JSON length
//! f32 score per row                      (if flag 1)
//! f32 vector per row, dimension each     (if flag 2)
//! JSON {"rows":[[id, namespace, metadata, sparse|null, named vectors|null, explain? | expiresAt?, multi-vectors?], ...], "stats": {...}?}
//!      (multi-vectors, with vectors, of get and list: {name: [[values], ...]}, expiresAt null before them if none)
//! ```
//!
//! Scores and vectors are binary (exact f32, no text round trip); everything else is one
//! JSON document, so TypeScript makes a single `JSON.parse` call per result set. Also the
//! JSON of `vl_info` (`info_json`).

use crate::codec::Writer;
use crate::db::Database;
use crate::json::{write_number, write_string};
use crate::search::{Explain, Hit, SearchStats};

pub const FLAG_SCORES: u32 = 1;
pub const FLAG_VECTORS: u32 = 2;

fn write_row(hit: &Hit, include_vectors: bool, search: bool, out: &mut String) {
    out.push('[');
    write_string(hit.record.id, out);
    out.push(',');
    write_string(hit.namespace, out);
    out.push(',');
    out.push_str(hit.record.metadata);
    out.push(',');
    // Search results do not carry sparse terms (SearchResult has none): `stats` is Some.
    if hit.record.sparse.is_empty() || search {
        out.push_str("null");
    } else {
        out.push('{');
        for (i, (term, w)) in hit.record.sparse.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            write_string(term, out);
            out.push(':');
            write_number(*w as f64, out);
        }
        out.push('}');
    }
    out.push(',');
    let named = include_vectors && !hit.record.vectors.is_empty();
    if named {
        out.push('{');
        for (i, (name, v)) in hit.record.vectors.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            write_string(name, out);
            out.push_str(":[");
            for (j, x) in v.iter().enumerate() {
                if j > 0 {
                    out.push(',');
                }
                write_number(*x as f64, out);
            }
            out.push(']');
        }
        out.push('}');
    } else {
        out.push_str("null");
    }
    if let Some(e) = &hit.explain {
        out.push(',');
        write_explain(e, out);
    }
    // A stored record (get, list) given a time to live: when it expires, epoch ms.
    let multi = include_vectors && !search && !hit.multi.is_empty();
    match (search, hit.expires_at) {
        (false, Some(at)) => {
            out.push(',');
            write_number(at as f64, out);
        }
        _ if multi => out.push_str(",null"),
        _ => {}
    }
    // Then its multi-vectors: {name: [[values], ...]}.
    if multi {
        out.push_str(",{");
        for (i, (name, dim, values)) in hit.multi.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            write_string(name, out);
            out.push_str(":[");
            for (j, v) in values.chunks_exact(*dim).enumerate() {
                out.push_str(if j > 0 { ",[" } else { "[" });
                for (k, x) in v.iter().enumerate() {
                    if k > 0 {
                        out.push(',');
                    }
                    write_number(*x as f64, out);
                }
                out.push(']');
            }
            out.push(']');
        }
        out.push('}');
    }
    out.push(']');
}

fn opt_num(name: &str, v: Option<f64>, out: &mut String) {
    if let Some(v) = v {
        out.push_str(",\"");
        out.push_str(name);
        out.push_str("\":");
        write_number(v, out);
    }
}

/// `{denseScore?, sparseScore?, denseRank?, sparseRank?, termScores?}`; TypeScript adds `fusion`.
fn write_explain(e: &Explain, out: &mut String) {
    out.push_str("{\"_\":0");
    opt_num("denseScore", e.parts.dense_score.map(f64::from), out);
    opt_num("sparseScore", e.parts.sparse_score.map(f64::from), out);
    opt_num("denseRank", e.parts.dense_rank.map(|r| r as f64), out);
    opt_num("sparseRank", e.parts.sparse_rank.map(|r| r as f64), out);
    opt_num("mmrPenalty", e.parts.mmr_penalty.map(f64::from), out);
    if !e.vector_scores.is_empty() {
        out.push_str(",\"vectorScores\":{");
        for (i, (name, s)) in e.vector_scores.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            write_string(name, out);
            out.push(':');
            write_number(*s as f64, out);
        }
        out.push('}');
    }
    if let Some(bm25) = e.bm25.as_ref().filter(|b| !b.terms.is_empty()) {
        out.push_str(",\"termScores\":{");
        for (i, t) in bm25.terms.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            write_string(&t.term, out);
            out.push(':');
            write_number(t.score as f64, out);
        }
        // Every constant of the formula, so the score can be recomputed by hand.
        out.push_str("},\"bm25\":{\"k1\":");
        write_number(crate::sparse::K1, out);
        out.push_str(",\"b\":");
        write_number(crate::sparse::B, out);
        out.push_str(",\"docs\":");
        write_number(bm25.docs as f64, out);
        out.push_str(",\"avgLength\":");
        write_number(bm25.avg_len, out);
        out.push_str(",\"length\":");
        write_number(bm25.len, out);
        out.push_str(",\"terms\":{");
        for (i, t) in bm25.terms.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            write_string(&t.term, out);
            out.push_str(":{\"queryWeight\":");
            write_number(t.query_weight as f64, out);
            out.push_str(",\"tf\":");
            write_number(t.tf, out);
            out.push_str(",\"df\":");
            write_number(t.df as f64, out);
            out.push_str(",\"idf\":");
            write_number(t.idf, out);
            out.push_str(",\"score\":");
            write_number(t.score as f64, out);
            out.push('}');
        }
        out.push_str("}}");
    }
    out.push('}');
}

/// A space's quantized codes: their kind, the bytes they hold in memory, how many are in
/// place in the file's map, and the kernel that scores them on this CPU; null when the
/// space keeps none (yet).
fn codes_json(codes: Option<&crate::vector::quantize::Codes>) -> String {
    use crate::vector::quantize::{kernels, Quantization};
    match codes {
        None => "null".to_string(),
        Some(c) => {
            let kernel = if c.kind() == Quantization::Binary { kernels::hamming_kernel().1 } else { kernels::dot_u8_i16_kernel().1 };
            format!("{{\"kind\":\"{}\",\"bytes\":{},\"mapped\":{},\"kernel\":\"{}\"}}", c.kind().name(), c.memory_bytes(), c.mapped_slots(), kernel)
        }
    }
}

fn stats_json(s: &SearchStats) -> String {
    let mut out = format!(
        "{{\"totalUs\":{},\"denseUs\":{},\"sparseUs\":{},\"fusionUs\":{},\"visited\":{},\"filtered\":{},\"rescored\":{},\"candidates\":{},\"usedAnn\":{},\"plan\":\"{}\"",
        s.total_us,
        s.dense_us,
        s.sparse_us,
        s.fusion_us,
        s.visited,
        s.filtered,
        s.rescored,
        s.candidates,
        s.used_ann,
        s.plan.name()
    );
    if !s.term_stats.is_empty() {
        out.push_str(",\"termStats\":{");
        for (i, (term, df, idf)) in s.term_stats.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            write_string(term, &mut out);
            out.push_str(&format!(":{{\"df\":{df},\"idf\":"));
            write_number(*idf, &mut out);
            out.push('}');
        }
        out.push('}');
    }
    out.push('}');
    out
}

/// Encodes rows (with scores when `stats` is given, i.e. for a search).
pub fn encode_rows(hits: &[Hit], include_vectors: bool, dimension: usize, stats: Option<&SearchStats>) -> Vec<u8> {
    let mut json = String::with_capacity(64 + hits.len() * 96);
    json.push_str("{\"rows\":[");
    for (i, hit) in hits.iter().enumerate() {
        if i > 0 {
            json.push(',');
        }
        write_row(hit, include_vectors, stats.is_some(), &mut json);
    }
    json.push(']');
    if let Some(s) = stats {
        json.push_str(",\"stats\":");
        json.push_str(&stats_json(s));
    }
    json.push('}');

    let flags = if stats.is_some() { FLAG_SCORES } else { 0 } | if include_vectors { FLAG_VECTORS } else { 0 };
    let vec_bytes = if include_vectors { hits.len() * dimension * 4 } else { 0 };
    let mut w = Writer::with_capacity(16 + hits.len() * 4 + vec_bytes + json.len());
    w.u32(hits.len() as u32);
    w.u32(flags);
    w.u32(dimension as u32);
    w.u32(json.len() as u32);
    if stats.is_some() {
        for hit in hits {
            w.f32(hit.score);
        }
    }
    if include_vectors {
        for hit in hits {
            w.f32s(hit.vector);
        }
    }
    w.buf.extend_from_slice(json.as_bytes());
    w.buf
}

/// What `db.stats()` reports: sizes, and per namespace its records and index state.
pub(crate) fn info_json(db: &Database) -> String {
    let mut s = String::from("{\"path\":");
    write_string(&db.path().display().to_string(), &mut s);
    s.push_str(&format!(
        ",\"dimension\":{},\"metric\":\"{}\",\"readOnly\":{},\"records\":{},\"walBytes\":{},\"indexBuilds\":{},\"indexesLoaded\":{}",
        db.dimension,
        db.metric.name(),
        db.read_only,
        db.total_records(),
        db.wal_len(),
        db.index_builds,
        db.indexes_loaded
    ));
    // The stored analyzer's JSON form, or null for the default English analyzer.
    s.push_str(&format!(",\"analyzer\":{}", db.analyzer.as_deref().unwrap_or("null")));
    s.push_str(&format!(",\"quantization\":{}", db.quantization.to_json()));
    // The files on disk now (derived from the real path, so callers need not know the layout).
    s.push_str(",\"files\":{");
    for (i, (key, path)) in [("vdb", &db.paths().main), ("wal", &db.paths().wal)].into_iter().enumerate() {
        if i > 0 {
            s.push(',');
        }
        s.push_str(&format!("\"{key}\":{{\"path\":"));
        write_string(&path.display().to_string(), &mut s);
        match std::fs::metadata(path) {
            Ok(m) => s.push_str(&format!(",\"bytes\":{}}}", m.len())),
            Err(_) => s.push_str(",\"bytes\":null}"),
        }
    }
    s.push('}');
    s.push_str(",\"namespaces\":{");
    for (i, (name, ns)) in db.namespaces.iter().enumerate() {
        if i > 0 {
            s.push(',');
        }
        write_string(name, &mut s);
        s.push(':');
        let index_json = |g: Option<&crate::vector::hnsw::HnswGraph>| match g {
            Some(g) => format!("{{\"nodes\":{},\"live\":{},\"bytes\":{},\"mapped\":{}}}", g.len(), g.live_len(), g.memory_bytes(), g.is_mapped()),
            None => "null".to_string(),
        };
        let main = ns.vectors();
        s.push_str(&format!(
            "{{\"records\":{},\"deadSlots\":{},\"recordsInPlace\":{},\"vectors\":{{\"mapped\":{},\"memoryBytes\":{}}},\"index\":{},\"codes\":{},\"named\":{{",
            ns.len(),
            ns.dead_slots(),
            ns.records_in_place(),
            main.mapped_slots(),
            main.vector_memory_bytes(),
            index_json(main.graph()),
            codes_json(main.codes())
        ));
        for (j, (space, named)) in ns.named_spaces().iter().enumerate() {
            if j > 0 {
                s.push(',');
            }
            write_string(space, &mut s);
            s.push_str(&format!(
                ":{{\"vectors\":{},\"dimension\":{},\"deadSlots\":{},\"index\":{},\"codes\":{}}}",
                named.len(),
                named.vectors().dimension(),
                named.vectors().dead_slots(),
                index_json(named.vectors().graph()),
                codes_json(named.vectors().codes())
            ));
        }
        s.push('}');
        let multi: Vec<_> = ns.multi_spaces().iter().filter(|(_, m)| !m.is_empty()).collect();
        if !multi.is_empty() {
            s.push_str(",\"multiVectors\":{");
            for (j, (space, m)) in multi.into_iter().enumerate() {
                if j > 0 {
                    s.push(',');
                }
                write_string(space, &mut s);
                s.push_str(&format!(":{{\"records\":{},\"tokens\":{},\"dimension\":{}}}", m.len(), m.token_count(), m.dim()));
            }
            s.push('}');
        }
        s.push('}');
    }
    s.push_str("}}");
    s
}
