//! The C ABI, and the wire layer: the only place where call arguments are decoded from
//! JSON and results encoded, so the core takes and returns typed values. The symbols are
//! grouped by resource: `database.rs` (a database handle: open, close, info, writes, reads,
//! commits and their `_async` forms), `maintenance.rs` (compact, snapshot, backup, restore,
//! drop), `text.rs` (sparse terms), `jobs.rs` (the background jobs and `vl_job_poll` /
//! `vl_job_wait`), and the library's own symbols here (`vl_abi_version`, `vl_version`,
//! `vl_buf_free`). `decode.rs` reads options and arguments, `input.rs` records and
//! transaction operations, `output.rs` writes result buffers, `handles.rs` is the registry.
//! Every symbol is thin: it checks its pointers and lengths, looks up its handle, runs the
//! work inside `catch_unwind`, and reports through an out array of three u64:
//! `[buffer pointer, buffer length, scalar]`.
//!
//! * Status: the return value, 0 for success, otherwise an `error::Code`. On failure the
//!   buffer holds the UTF-8 message. No thread-local "last error": Deno's nonblocking
//!   calls run on other threads, so the error must travel with the call.
//! * Buffers are owned by Rust and released with `vl_buf_free`; only buffers this library
//!   handed out (tracked in a set) are freed, so a bad or repeated free is ignored.
//! * Handles are integers from a registry, not pointers: a closed or forged handle is a
//!   `CLOSED` error, never a use-after-free. An in-flight call holds an `Arc`, so `close`
//!   racing a nonblocking search cannot free the database under it.

pub mod decode;
pub mod database;
pub mod file_locks;
pub mod handles;
pub mod input;
pub mod jobs;
pub mod maintenance;
pub mod output;
pub mod pool;
pub mod reads;
pub mod text;

use crate::error::{Code, Error, Result};
use std::collections::HashSet;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::{Mutex, OnceLock};

/// Bumped whenever a symbol's signature or a buffer layout changes.
pub const ABI_VERSION: u32 = 8;

/// What a successful call hands back.
pub enum Output {
    Unit,
    Scalar(u64),
    Bytes(Vec<u8>),
}

fn live_buffers() -> &'static Mutex<HashSet<usize>> {
    static SET: OnceLock<Mutex<HashSet<usize>>> = OnceLock::new();
    SET.get_or_init(|| Mutex::new(HashSet::new()))
}

/// Leaks `bytes` to the caller; returns (pointer, length).
pub(crate) fn hand_out(bytes: Vec<u8>) -> (u64, u64) {
    if bytes.is_empty() {
        return (0, 0);
    }
    let len = bytes.len();
    let ptr = Box::into_raw(bytes.into_boxed_slice()) as *mut u8 as usize;
    live_buffers().lock().unwrap_or_else(|p| p.into_inner()).insert(ptr);
    (ptr as u64, len as u64)
}

/// Frees a buffer from `hand_out`; anything else is ignored.
pub fn take_back(ptr: *mut u8, len: usize) {
    if ptr.is_null() || len == 0 {
        return;
    }
    let known = live_buffers().lock().unwrap_or_else(|p| p.into_inner()).remove(&(ptr as usize));
    if known {
        // SAFETY: `ptr` came from `hand_out` (it was in the set, and is now removed so it
        // cannot be freed twice), where it was a Box<[u8]> of exactly `len` bytes: the
        // caller passes back the length it was given.
        unsafe { drop(Box::from_raw(std::ptr::slice_from_raw_parts_mut(ptr, len))) };
    }
}

pub(crate) fn panic_message(payload: Box<dyn std::any::Any + Send>) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        s.to_string()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "unknown panic".to_string()
    }
}

/// Runs one call: catches panics, writes the out array, returns the status.
///
/// `out` is checked for null and alignment; that it points at three writable u64 is the
/// contract of every exported function that calls this (each is an `unsafe extern "C" fn`
/// documenting it), hence the allow.
#[allow(clippy::not_unsafe_ptr_arg_deref)]
pub fn run(out: *mut u64, f: impl FnOnce() -> Result<Output>) -> i32 {
    if out.is_null() || !(out as usize).is_multiple_of(std::mem::align_of::<u64>()) {
        return Code::InvalidArgument as i32;
    }
    let result = catch_unwind(AssertUnwindSafe(f))
        .unwrap_or_else(|p| Err(Error::new(Code::Internal, format!("internal error (a bug in vectlite): {}", panic_message(p)))));
    deliver(result, out)
}

/// Hands a call's result to the caller through `out` and returns its status.
pub(crate) fn deliver(result: Result<Output>, out: *mut u64) -> i32 {
    let (status, ptr, len, scalar) = match result {
        Ok(Output::Unit) => (0, 0, 0, 0),
        Ok(Output::Scalar(v)) => (0, 0, 0, v),
        Ok(Output::Bytes(b)) => {
            let (p, l) = hand_out(b);
            (0, p, l, 0)
        }
        Err(e) => {
            // The message and its context (file, offset, id) as one JSON object.
            let (p, l) = hand_out(e.to_json().into_bytes());
            (e.code as i32, p, l, 0)
        }
    };
    write_out(out, ptr, len, scalar);
    status
}

/// Writes `[ptr, len, scalar]` into the caller's out array (null or misaligned: skipped).
#[allow(clippy::not_unsafe_ptr_arg_deref)]
pub(crate) fn write_out(out: *mut u64, ptr: u64, len: u64, scalar: u64) {
    if out.is_null() || !(out as usize).is_multiple_of(std::mem::align_of::<u64>()) {
        return;
    }
    // SAFETY: `out` is non-null and aligned (checked above) and the caller passes an array
    // of three u64 that lives for the call (ffi/*.ts allocate a BigUint64Array(3)); this is
    // the contract of every exported function, each an `unsafe extern "C" fn`.
    unsafe {
        *out = ptr;
        *out.add(1) = len;
        *out.add(2) = scalar;
    }
}

/// Borrows `len` bytes at `ptr` for the call. Null with length 0 is the empty slice.
///
/// # Safety
/// A non-null `ptr` must point at `len` readable bytes that stay valid for the call.
pub unsafe fn bytes_arg<'a>(ptr: *const u8, len: usize, what: &str) -> Result<&'a [u8]> {
    if len == 0 {
        return Ok(&[]);
    }
    if ptr.is_null() || len > isize::MAX as usize {
        return Err(Error::invalid(format!("{what}: null pointer or impossible length")));
    }
    // SAFETY: checked non-null and length in range; validity is the caller's contract.
    Ok(unsafe { std::slice::from_raw_parts(ptr, len) })
}

/// Borrows `len` writable bytes at `ptr` (a Uint8Array the caller lends for the call).
///
/// # Safety
/// `ptr` must point to `len` writable bytes not otherwise referenced during the call.
pub unsafe fn bytes_arg_mut<'a>(ptr: *mut u8, len: usize, what: &str) -> Result<&'a mut [u8]> {
    if len == 0 {
        return Ok(&mut []);
    }
    if ptr.is_null() || len > isize::MAX as usize {
        return Err(Error::invalid(format!("{what}: null pointer or impossible length")));
    }
    // SAFETY: checked non-null and length in range; validity is the caller's contract.
    Ok(unsafe { std::slice::from_raw_parts_mut(ptr, len) })
}

/// Borrows `len` f32 values at `ptr` (a Float32Array, passed without a copy).
///
/// # Safety
/// As for `bytes_arg`, with `len * 4` bytes.
pub unsafe fn f32_arg<'a>(ptr: *const f32, len: usize, what: &str) -> Result<&'a [f32]> {
    if len == 0 {
        return Ok(&[]);
    }
    if ptr.is_null() || !(ptr as usize).is_multiple_of(4) || len > (isize::MAX as usize) / 4 {
        return Err(Error::invalid(format!("{what}: null or misaligned pointer, or impossible length")));
    }
    // SAFETY: non-null, aligned for f32, length in range; validity is the caller's contract.
    Ok(unsafe { std::slice::from_raw_parts(ptr, len) })
}

/// A caller's buffer that an async job reads on its own thread, without a copy: the
/// caller promises to keep it alive and unchanged until it has collected the job
/// (`ffi/native.ts` holds the arguments of every job in flight, and packs each large write
/// into a buffer of its own). Copying 15 MB here on the JavaScript thread cost up to 48 ms
/// of page faults, an event-loop stall, and a second copy of every batch in memory.
pub struct Lent<T> {
    ptr: *const T,
    len: usize,
}

// SAFETY: a Lent is only read, and only while the lender keeps the memory alive (above);
// T: Sync makes reading it from another thread sound.
unsafe impl<T: Sync> Send for Lent<T> {}
// SAFETY: as above: shared only for reading, e.g. by the parts of a batch.
unsafe impl<T: Sync> Sync for Lent<T> {}

impl<T> Lent<T> {
    /// Borrows an argument already checked by `bytes_arg` / `f32_arg`.
    pub fn new(checked: &[T]) -> Lent<T> {
        Lent { ptr: checked.as_ptr(), len: checked.len() }
    }

    /// # Safety
    /// The lender's promise holds: the memory is alive and unchanged.
    pub unsafe fn get(&self) -> &[T] {
        if self.len == 0 {
            return &[];
        }
        // SAFETY: pointer and length were checked when lent; liveness is the lender's promise.
        unsafe { std::slice::from_raw_parts(self.ptr, self.len) }
    }
}

/// UTF-8 text argument.
///
/// # Safety
/// As for `bytes_arg`.
pub unsafe fn str_arg<'a>(ptr: *const u8, len: usize, what: &str) -> Result<&'a str> {
    // SAFETY: forwarded contract.
    let b = unsafe { bytes_arg(ptr, len, what)? };
    std::str::from_utf8(b).map_err(|_| Error::invalid(format!("{what} is not valid UTF-8")))
}

/// The ABI version; `ffi/native.ts` refuses a library whose version differs from its own.
#[no_mangle]
pub extern "C" fn vl_abi_version() -> u32 {
    ABI_VERSION
}

/// Frees a buffer returned through an out array.
///
/// # Safety
/// `ptr`/`len` should be a pair this library returned; anything else is ignored.
#[no_mangle]
pub unsafe extern "C" fn vl_buf_free(ptr: *mut u8, len: usize) {
    let _ = std::panic::catch_unwind(|| take_back(ptr, len));
}

/// The crate version, as a buffer.
///
/// # Safety
/// `out` must point at three writable u64.
#[no_mangle]
pub unsafe extern "C" fn vl_version(out: *mut u64) -> i32 {
    run(out, || Ok(Output::Bytes(env!("CARGO_PKG_VERSION").as_bytes().to_vec())))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The unwinder works on every target the suite runs on (on musl it is gcc's, linked in
    /// by scripts/build-targets.sh): a panic inside a call comes back as an Internal error.
    #[test]
    fn a_panic_inside_a_call_becomes_an_internal_error() {
        let mut out = [0u64; 3];
        let status = run(out.as_mut_ptr(), || -> Result<Output> { panic!("boom {}", 42) });
        assert_eq!(status, Code::Internal as i32);
        // SAFETY: `run` handed out these bytes (the error as JSON) through `out`.
        let message = unsafe { std::slice::from_raw_parts(out[0] as *const u8, out[1] as usize) };
        assert_eq!(std::str::from_utf8(message).unwrap(), r#"{"message":"internal error (a bug in vectlite): boom 42"}"#);
        take_back(out[0] as *mut u8, out[1] as usize);
    }
}
