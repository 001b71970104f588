//! Analyzing the texts of a whole write at once, on every core: a bulk import of documents
//! spends most of its time here, and the texts are independent of one another.

use super::Analyzer;

/// Below this much text a batch is analyzed on the calling thread: starting a thread costs
/// about as much as analyzing a few kilobytes.
const PARALLEL_MIN_BYTES: usize = 64 << 10;

/// At most this many threads (the work is memory-light; more only adds start-up cost).
const MAX_THREADS: usize = 8;

/// `analyzer.term_frequencies` of every text, in order.
pub fn term_frequencies_all(analyzer: &Analyzer, texts: &[&str]) -> Vec<Vec<(String, u32)>> {
    let bytes: usize = texts.iter().map(|t| t.len()).sum();
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get()).min(MAX_THREADS).min(texts.len());
    if threads <= 1 || bytes < PARALLEL_MIN_BYTES {
        return texts.iter().map(|t| analyzer.term_frequencies(t)).collect();
    }
    // Contiguous chunks of about equal bytes, so that one thread does not get the long texts.
    let mut bounds = vec![0];
    let per_thread = bytes.div_ceil(threads);
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
        // The calling thread takes the first chunk itself.
        let others: Vec<_> = chunks[1..]
            .iter()
            .map(|chunk| scope.spawn(move || chunk.iter().map(|t| analyzer.term_frequencies(t)).collect::<Vec<_>>()))
            .collect();
        let mut out: Vec<Vec<(String, u32)>> = chunks[0].iter().map(|t| analyzer.term_frequencies(t)).collect();
        out.reserve(texts.len() - out.len());
        for handle in others {
            // A panic in a helper is re-raised here, where the FFI boundary catches it.
            out.extend(handle.join().unwrap_or_else(|p| std::panic::resume_unwind(p)));
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
    fn a_large_batch_analyzed_on_several_threads_equals_one_text_at_a_time() {
        let texts = corpus(3000);
        let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
        assert!(refs.iter().map(|t| t.len()).sum::<usize>() >= PARALLEL_MIN_BYTES, "the test must take the parallel path");
        let analyzer = Analyzer::english();
        let all = term_frequencies_all(&analyzer, &refs);
        assert_eq!(all.len(), texts.len());
        for (text, terms) in refs.iter().zip(&all) {
            assert_eq!(terms, &analyzer.term_frequencies(text), "{text}");
        }
    }

    #[test]
    fn small_and_empty_batches() {
        let analyzer = Analyzer::english();
        assert!(term_frequencies_all(&analyzer, &[]).is_empty());
        let one = term_frequencies_all(&analyzer, &["Running runners ran"]);
        assert_eq!(one, vec![vec![("ran".to_string(), 1), ("run".to_string(), 1), ("runner".to_string(), 1)]]);
    }
}
