//! Analyzing the texts of a whole write at once, on every core: a bulk import of documents
//! spends most of its time here, and the texts are independent of one another.

use super::Analyzer;
use std::sync::OnceLock;

/// Below this much text a batch is analyzed on the calling thread: starting a thread costs
/// about as much as analyzing a few kilobytes.
const PARALLEL_MIN_BYTES: usize = 64 << 10;

/// At most this many threads (the work is memory-light; more only adds start-up cost).
const MAX_THREADS: usize = 8;

/// The threads a large batch uses: the cores, read once (on Linux it reads cgroup files).
fn threads() -> usize {
    static THREADS: OnceLock<usize> = OnceLock::new();
    *THREADS.get_or_init(|| std::thread::available_parallelism().map_or(1, |n| n.get()).min(MAX_THREADS))
}

/// `analyzer.term_frequencies` of every text, in order.
pub fn term_frequencies_all(analyzer: &Analyzer, texts: &[&str]) -> Vec<Vec<(String, u32)>> {
    let bytes: usize = texts.iter().map(|t| t.len()).sum();
    let threads = if bytes < PARALLEL_MIN_BYTES { 1 } else { threads() };
    term_frequencies_on(analyzer, texts, threads)
}

fn analyze_chunk(analyzer: &Analyzer, chunk: &[&str]) -> Vec<Vec<(String, u32)>> {
    chunk.iter().map(|t| analyzer.term_frequencies(t)).collect()
}

/// `term_frequencies_all` on up to `threads` threads (the calling one included).
fn term_frequencies_on(analyzer: &Analyzer, texts: &[&str], threads: usize) -> Vec<Vec<(String, u32)>> {
    let threads = threads.min(texts.len());
    if threads <= 1 {
        return analyze_chunk(analyzer, texts);
    }
    // Contiguous chunks of about equal bytes, so that one thread does not get the long texts.
    let bytes: usize = texts.iter().map(|t| t.len()).sum();
    let per_thread = bytes.div_ceil(threads).max(1);
    let mut bounds = vec![0];
    let mut acc = 0;
    for (i, t) in texts.iter().enumerate() {
        acc += t.len();
        if acc >= per_thread * bounds.len() && bounds.len() < threads && i + 1 < texts.len() {
            bounds.push(i + 1);
        }
    }
    bounds.push(texts.len());
    let chunks: Vec<&[&str]> = bounds.windows(2).map(|w| &texts[w[0]..w[1]]).collect();
    std::thread::scope(|scope| {
        // Helpers take the other chunks; a chunk whose thread cannot start (a thread limit,
        // memory pressure) is analyzed here instead of failing the write.
        let others: Vec<_> = chunks[1..]
            .iter()
            .map(|chunk| {
                let helper = std::thread::Builder::new().name("vectlite-analyze".into());
                (chunk, helper.spawn_scoped(scope, move || analyze_chunk(analyzer, chunk)).ok())
            })
            .collect();
        let mut out = analyze_chunk(analyzer, chunks[0]);
        out.reserve(texts.len() - out.len());
        for (chunk, handle) in others {
            match handle {
                // A panic in a helper is raised again here, where the FFI boundary catches it.
                Some(h) => out.extend(h.join().unwrap_or_else(|p| std::panic::resume_unwind(p))),
                None => out.extend(analyze_chunk(analyzer, chunk)),
            }
        }
        out
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn corpus(n: usize) -> Vec<String> {
        let words = ["running", "runner", "ran", "databases", "vectors", "the", "and", "quickly", "Zürich", "naïve", "42", "caféine"];
        (0..n)
            .map(|i| (0..(20 + i % 50)).map(|j| words[(i * 7 + j * 3) % words.len()]).collect::<Vec<_>>().join(" "))
            .collect()
    }

    #[test]
    fn a_batch_analyzed_on_several_threads_equals_one_text_at_a_time() {
        let texts = corpus(3000);
        let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
        let analyzer = Analyzer::english();
        let one_by_one: Vec<_> = refs.iter().map(|t| analyzer.term_frequencies(t)).collect();
        // Whatever this machine's core count, 2, 3 and 8 threads are each exercised.
        for threads in [2, 3, 8] {
            assert_eq!(term_frequencies_on(&analyzer, &refs, threads), one_by_one, "{threads} threads");
        }
        assert!(refs.iter().map(|t| t.len()).sum::<usize>() >= PARALLEL_MIN_BYTES);
        assert_eq!(term_frequencies_all(&analyzer, &refs), one_by_one);
        // More threads than texts, and texts of very different lengths.
        let uneven = ["", "a long text about running databases and vectors", "x"];
        let expected: Vec<_> = uneven.iter().map(|t| analyzer.term_frequencies(t)).collect();
        assert_eq!(term_frequencies_on(&analyzer, &uneven, 8), expected);
    }

    #[test]
    fn small_and_empty_batches() {
        let analyzer = Analyzer::english();
        assert!(term_frequencies_all(&analyzer, &[]).is_empty());
        assert!(term_frequencies_on(&analyzer, &[], 4).is_empty());
        let one = term_frequencies_all(&analyzer, &["Running runners ran"]);
        assert_eq!(one, vec![vec![("ran".to_string(), 1), ("run".to_string(), 1), ("runner".to_string(), 1)]]);
    }
}
