//! Background jobs, so that long calls (large writes, compaction, backup, opening a big file)
//! never block the JavaScript event loop. An `_async` symbol starts the work on a Rust
//! thread and returns a job id at once; it copies its small arguments, while the write and
//! commit jobs read their large buffers in place (TypeScript keeps them reachable until the
//! job is collected; see `Lent` in abi/mod.rs). TypeScript collects the result with
//! `vl_job_poll` (Bun, from a timer) or `vl_job_wait` (Deno, as a nonblocking symbol on
//! Deno's own thread pool; Node, through koffi's asynchronous call on libuv's pool). A job's result is the same status, buffer and scalar
//! the synchronous call would have produced.

use super::{panic_message, Output};
use crate::error::{Code, Error, Result};
use std::collections::HashMap;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, OnceLock};

/// Status `vl_job_poll` returns while the job is still running.
pub const PENDING: i32 = -1;

type Slot = Arc<(Mutex<Option<Result<Output>>>, Condvar)>;

fn jobs() -> &'static Mutex<HashMap<u64, Slot>> {
    static JOBS: OnceLock<Mutex<HashMap<u64, Slot>>> = OnceLock::new();
    JOBS.get_or_init(|| Mutex::new(HashMap::new()))
}

static NEXT_JOB: AtomicU64 = AtomicU64::new(1);

/// Starts `work` on a new thread; returns the job id.
pub fn spawn(work: impl FnOnce() -> Result<Output> + Send + 'static) -> Result<Output> {
    let id = NEXT_JOB.fetch_add(1, Ordering::Relaxed);
    let slot: Slot = Arc::new((Mutex::new(None), Condvar::new()));
    jobs().lock().unwrap_or_else(|p| p.into_inner()).insert(id, slot.clone());
    let spawned = std::thread::Builder::new().name("vectlite-job".into()).spawn(move || {
        crate::storage::os::lower_thread_priority();
        let result = catch_unwind(AssertUnwindSafe(work)).unwrap_or_else(|p| {
            Err(Error::new(Code::Internal, format!("internal error (a bug in vectlite): {}", panic_message(p))))
        });
        let (lock, ready) = &*slot;
        *lock.lock().unwrap_or_else(|p| p.into_inner()) = Some(result);
        ready.notify_all();
    });
    if let Err(e) = spawned {
        jobs().lock().unwrap_or_else(|p| p.into_inner()).remove(&id);
        return Err(Error::new(Code::Io, format!("cannot start a worker thread: {e}")));
    }
    Ok(Output::Scalar(id))
}

fn unknown_job(id: u64) -> Error {
    Error::invalid(format!("no job {id} (already collected, or never started)"))
}

/// Hands a finished job's result to the caller and forgets the job.
fn deliver(id: u64, result: Result<Output>, out: *mut u64) -> i32 {
    jobs().lock().unwrap_or_else(|p| p.into_inner()).remove(&id);
    finish(result, out)
}

fn finish(result: Result<Output>, out: *mut u64) -> i32 {
    super::deliver(result, out)
}

fn slot_of(id: u64) -> Option<Slot> {
    jobs().lock().unwrap_or_else(|p| p.into_inner()).get(&id).cloned()
}

/// `PENDING` while job `id` runs; then its status, with its result written to `out`.
pub fn poll(id: u64, out: *mut u64) -> i32 {
    let Some(slot) = slot_of(id) else { return finish(Err(unknown_job(id)), out) };
    let taken = slot.0.lock().unwrap_or_else(|p| p.into_inner()).take();
    match taken {
        None => PENDING,
        Some(result) => deliver(id, result, out),
    }
}

/// Blocks until job `id` finishes; returns its status, with its result written to `out`.
pub fn wait(id: u64, out: *mut u64) -> i32 {
    let Some(slot) = slot_of(id) else { return finish(Err(unknown_job(id)), out) };
    let (lock, ready) = &*slot;
    let mut guard = lock.lock().unwrap_or_else(|p| p.into_inner());
    loop {
        if let Some(result) = guard.take() {
            drop(guard);
            return deliver(id, result, out);
        }
        guard = ready.wait(guard).unwrap_or_else(|p| p.into_inner());
    }
}

/// -1 while the job runs; then its status, with its result in `out`.
///
/// # Safety
/// `out` must point at three writable u64.
#[no_mangle]
pub unsafe extern "C" fn vl_job_poll(job: u64, out: *mut u64) -> i32 {
    std::panic::catch_unwind(|| poll(job, out)).unwrap_or(crate::error::Code::Internal as i32)
}

/// Blocks until the job finishes; its status, with its result in `out`. Deno calls this as
/// a nonblocking symbol, so the wait happens on Deno's thread pool.
///
/// # Safety
/// `out` must point at three writable u64.
#[no_mangle]
pub unsafe extern "C" fn vl_job_wait(job: u64, out: *mut u64) -> i32 {
    std::panic::catch_unwind(|| wait(job, out)).unwrap_or(crate::error::Code::Internal as i32)
}
