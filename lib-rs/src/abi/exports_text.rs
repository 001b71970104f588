//! `extern "C"` symbols of the text pipeline. Same conventions as `exports.rs`.

use super::{bytes_arg, run, str_arg, Output};
use crate::error::Result;
use crate::text::Analyzer;

/// The term frequencies of `text` under an analyzer, as the JSON object `{term: count}`
/// (terms sorted). `analyzer` is the analyzer's JSON form (`text::analyzer`); empty means
/// the default analyzer. A bad analyzer is `INVALID_ARGUMENT`.
///
/// # Safety
/// Pointer/length pairs must describe readable memory; `out` three writable u64.
#[no_mangle]
pub unsafe extern "C" fn vl_sparse_terms(
    analyzer: *const u8,
    analyzer_len: usize,
    text: *const u8,
    text_len: usize,
    out: *mut u64,
) -> i32 {
    run(out, || {
        // SAFETY: forwarded caller contract.
        let analyzer = unsafe { bytes_arg(analyzer, analyzer_len, "analyzer")? };
        // SAFETY: forwarded caller contract.
        let text = unsafe { str_arg(text, text_len, "text")? };
        sparse_terms(analyzer, text)
    })
}

pub(crate) fn sparse_terms(analyzer: &[u8], text: &str) -> Result<Output> {
    let analyzer = Analyzer::parse(analyzer)?;
    Ok(Output::Bytes(analyzer.term_frequencies_json(text).into_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Code;

    fn call(analyzer: &str, text: &str) -> (i32, String) {
        let mut out = [0u64; 3];
        // SAFETY: both slices live for the call; `out` is three u64.
        let status = unsafe { vl_sparse_terms(analyzer.as_ptr(), analyzer.len(), text.as_ptr(), text.len(), out.as_mut_ptr()) };
        let (ptr, len) = (out[0] as *mut u8, out[1] as usize);
        // SAFETY: a buffer handed out by `run`, copied before it is freed.
        let body = if len == 0 { String::new() } else { String::from_utf8(unsafe { std::slice::from_raw_parts(ptr, len) }.to_vec()).unwrap() };
        super::super::take_back(ptr, len);
        (status, body)
    }

    #[test]
    fn default_and_custom_analyzers() {
        assert_eq!(call("", "Cats and dogs, cats!"), (0, "{\"cat\":2,\"dog\":1}".to_string()));
        assert_eq!(call("{\"steps\":[]}", "A a"), (0, "{\"A\":1,\"a\":1}".to_string()));
        assert_eq!(call("", ""), (0, "{}".to_string()));
    }

    #[test]
    fn bad_analyzer_is_invalid_argument() {
        let (status, message) = call("{\"steps\":[{\"type\":\"ngrams\",\"min\":0,\"max\":1}]}", "x");
        assert_eq!(status, Code::InvalidArgument as i32);
        assert!(message.contains("min"), "{message}");
    }
}
