//! `extern "C"` symbols of the text pipeline: a text's sparse terms under an analyzer.
//! Same conventions as `database.rs`.

use super::{bytes_arg, bytes_arg_mut, run, str_arg, Output};
use crate::error::Result;
use crate::text::Analyzer;
use std::cell::RefCell;
use std::sync::OnceLock;

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
    with_analyzer(analyzer, |a| Ok(Output::Bytes(a.term_frequencies_json(text).into_bytes())))
}

/// `vl_sparse_terms`, written into the caller's buffer `dst` of `dst_cap` bytes instead of a
/// buffer of ours, and with the analyzer parsed once per thread: indexing a corpus calls
/// this once per document, and handing out, copying and freeing a buffer each time cost
/// as much as the analysis. The scalar result is the JSON's length in bytes; when it is
/// more than `dst_cap` nothing is written and the caller calls again with a larger buffer.
///
/// # Safety
/// Pointer/length pairs must describe readable memory, `dst`/`dst_cap` writable memory;
/// `out` three writable u64.
#[no_mangle]
pub unsafe extern "C" fn vl_sparse_terms_into(
    analyzer: *const u8,
    analyzer_len: usize,
    text: *const u8,
    text_len: usize,
    dst: *mut u8,
    dst_cap: usize,
    out: *mut u64,
) -> i32 {
    run(out, || {
        // SAFETY: forwarded caller contract.
        let analyzer = unsafe { bytes_arg(analyzer, analyzer_len, "analyzer")? };
        // SAFETY: forwarded caller contract.
        let text = unsafe { str_arg(text, text_len, "text")? };
        // SAFETY: forwarded caller contract.
        let dst = unsafe { bytes_arg_mut(dst, dst_cap, "dst")? };
        with_analyzer(analyzer, |a| {
            JSON_OUT.with(|json| {
                let mut json = json.borrow_mut();
                json.clear();
                a.write_term_frequencies_json(text, &mut json);
                if json.len() <= dst.len() {
                    dst[..json.len()].copy_from_slice(json.as_bytes());
                }
                Ok(Output::Scalar(json.len() as u64))
            })
        })
    })
}

thread_local! {
    /// The last analyzer parsed on this thread, with its JSON form: a corpus is analyzed
    /// with one analyzer, so parsing (a custom stop list can be long) happens once.
    static LAST_ANALYZER: RefCell<Option<(Vec<u8>, Analyzer)>> = const { RefCell::new(None) };
    /// The JSON being written by `vl_sparse_terms_into`, reused from call to call.
    static JSON_OUT: RefCell<String> = const { RefCell::new(String::new()) };
}

/// Runs `f` with the analyzer whose JSON form is `json` (empty: the default analyzer).
fn with_analyzer<T>(json: &[u8], f: impl FnOnce(&Analyzer) -> Result<T>) -> Result<T> {
    if json.is_empty() {
        static ENGLISH: OnceLock<Analyzer> = OnceLock::new();
        return f(ENGLISH.get_or_init(Analyzer::english));
    }
    LAST_ANALYZER.with(|last| {
        let mut last = last.borrow_mut();
        if last.as_ref().is_none_or(|(bytes, _)| bytes.as_slice() != json) {
            *last = Some((json.to_vec(), Analyzer::parse(json)?));
        }
        let (_, analyzer) = last.as_ref().expect("set just above");
        f(analyzer)
    })
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

    /// Calls `vl_sparse_terms_into` with a buffer of `cap` bytes: (status, scalar, buffer).
    fn call_into(analyzer: &str, text: &str, cap: usize) -> (i32, u64, Vec<u8>) {
        let mut out = [0u64; 3];
        let mut dst = vec![0xAAu8; cap];
        // SAFETY: every slice lives for the call; `out` is three u64.
        let status = unsafe {
            vl_sparse_terms_into(analyzer.as_ptr(), analyzer.len(), text.as_ptr(), text.len(), dst.as_mut_ptr(), cap, out.as_mut_ptr())
        };
        if status != 0 {
            super::super::take_back(out[0] as *mut u8, out[1] as usize);
        }
        (status, out[2], dst)
    }

    #[test]
    fn terms_into_the_callers_buffer_or_the_size_it_needs() {
        let want = "{\"cat\":2,\"dog\":1}";
        let (status, size, dst) = call_into("", "Cats and dogs, cats!", 64);
        assert_eq!((status, size as usize), (0, want.len()));
        assert_eq!(&dst[..want.len()], want.as_bytes());
        // Too small: the size, and the buffer untouched.
        let (status, size, dst) = call_into("", "Cats and dogs, cats!", 4);
        assert_eq!((status, size as usize), (0, want.len()));
        assert!(dst.iter().all(|&b| b == 0xAA));
        // The cached analyzer follows the configuration it is given, call by call.
        let keep_case = "{\"steps\":[]}";
        assert_eq!(&call_into(keep_case, "A a", 64).2[..13], b"{\"A\":1,\"a\":1}");
        assert_eq!(&call_into("{\"steps\":[{\"type\":\"lowercase\"}]}", "A a", 64).2[..7], b"{\"a\":2}");
        assert_eq!(&call_into(keep_case, "A a", 64).2[..13], b"{\"A\":1,\"a\":1}");
        let (status, _, _) = call_into("{\"steps\":[{\"type\":\"ngrams\",\"min\":0,\"max\":1}]}", "x", 64);
        assert_eq!(status, Code::InvalidArgument as i32);
        // A null buffer with capacity 0 only asks for the size.
        let mut out = [0u64; 3];
        // SAFETY: the text lives for the call; a null `dst` of capacity 0 is allowed.
        let status = unsafe { vl_sparse_terms_into(std::ptr::null(), 0, "dog".as_ptr(), 3, std::ptr::null_mut(), 0, out.as_mut_ptr()) };
        assert_eq!((status, out[2]), (0, 9));
    }

    #[test]
    fn bad_analyzer_is_invalid_argument() {
        let (status, message) = call("{\"steps\":[{\"type\":\"ngrams\",\"min\":0,\"max\":1}]}", "x");
        assert_eq!(status, Code::InvalidArgument as i32);
        assert!(message.contains("min"), "{message}");
    }
}
