//! Background jobs, so that no call blocks the JavaScript event loop: long ones (large
//! writes, compaction, backup, opening a big file) each on a thread of their own, reads
//! (search, count, list, batches) on the shared read pool (`pool.rs`). An `_async` symbol
//! starts the work and returns a job id at once; it copies its small arguments, while jobs
//! with large buffers read them in place (TypeScript keeps them reachable until the job is
//! collected; see `Lent` in abi/mod.rs). A job's result is the same status, buffer and
//! scalar the synchronous call would have produced; `vl_job_poll` collects it.
//!
//! How TypeScript learns that a job finished: it opens one completion channel
//! (`vl_channel_open`) and watches each job on it (`vl_job_watch`). A finished job's id goes
//! into its channel's queue, from which `vl_channel_take` (never blocks) or `vl_channel_wait`
//! (blocks until an id is there) hand out every id at once, so one wake-up delivers all the
//! jobs that finished meanwhile. Bun passes a thread-safe callback, called when the queue
//! goes from empty to not empty; Deno calls `vl_channel_wait` as a nonblocking symbol on its
//! thread pool, Node through koffi's asynchronous call on libuv's.

use super::{panic_message, pool, Output};
use crate::error::{Code, Error, Result};
use crate::progress::{self, Control};
use std::collections::HashMap;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, OnceLock};

/// Status `vl_job_poll` returns while the job is still running.
pub const PENDING: i32 = -1;

/// Set in the scalar of a read's `_async` call when the read ran on the calling thread
/// (cheap, and nothing else running): the job is finished already, collect it at once.
pub const FINISHED_INLINE: u64 = 1 << 63;

/// Set in an id a channel hands out when it stands for progress of a job that still runs
/// (collect it with `vl_job_progress`), not for the job's end.
pub const PROGRESS: u64 = 1 << 62;

#[derive(Default)]
struct JobState {
    result: Option<Result<Output>>,
    /// The channel told when the job finishes.
    channel: Option<u64>,
}

#[derive(Default)]
struct Job {
    state: Mutex<JobState>,
    finished: Condvar,
    /// Its cancellation flag and progress (see progress.rs).
    control: Arc<Control>,
}

fn jobs() -> &'static Mutex<HashMap<u64, Arc<Job>>> {
    static JOBS: OnceLock<Mutex<HashMap<u64, Arc<Job>>>> = OnceLock::new();
    JOBS.get_or_init(|| Mutex::new(HashMap::new()))
}

static NEXT_JOB: AtomicU64 = AtomicU64::new(1);

fn new_job() -> (u64, Arc<Job>) {
    let id = NEXT_JOB.fetch_add(1, Ordering::Relaxed);
    let job = Arc::new(Job::default());
    jobs().lock().unwrap_or_else(|p| p.into_inner()).insert(id, job.clone());
    (id, job)
}

fn forget(id: u64) {
    jobs().lock().unwrap_or_else(|p| p.into_inner()).remove(&id);
}

/// Runs `work`, turning a panic into an `INTERNAL` error.
fn guarded(work: impl FnOnce() -> Result<Output>) -> Result<Output> {
    catch_unwind(AssertUnwindSafe(work))
        .unwrap_or_else(|p| Err(Error::new(Code::Internal, format!("internal error (a bug in vectlite): {}", panic_message(p)))))
}

/// Stores a job's result, wakes its waiters and tells its channel.
fn complete(id: u64, job: &Job, result: Result<Output>) {
    let channel = {
        let mut state = job.state.lock().unwrap_or_else(|p| p.into_inner());
        state.result = Some(result);
        state.channel.take()
    };
    job.finished.notify_all();
    if let Some(channel) = channel {
        channels::push(channel, id);
    }
}

/// Starts `work` on a new thread of lowered priority (long work must not slow the reads of
/// the process); returns the job id.
pub fn spawn(work: impl FnOnce() -> Result<Output> + Send + 'static) -> Result<Output> {
    let (id, job) = new_job();
    let spawned = std::thread::Builder::new().name("vectlite-job".into()).spawn(move || {
        crate::storage::os::lower_thread_priority();
        let result = guarded(|| progress::run_with(&job.control, work));
        complete(id, &job, result);
    });
    if let Err(e) = spawned {
        forget(id);
        return Err(Error::new(Code::Io, format!("cannot start a worker thread: {e}")));
    }
    Ok(Output::Scalar(id))
}

/// Starts a read on the read pool; or, when `cheap` and the pool is quiet, runs it here and
/// now (handing work to a thread costs more than a cheap read; see `INLINE_WORK` in
/// search/cost.rs), marking the id with `FINISHED_INLINE`.
pub fn read(cheap: bool, work: impl FnOnce() -> Result<Output> + Send + 'static) -> Result<Output> {
    let (id, job) = new_job();
    if cheap && pool::quiet() {
        complete(id, &job, guarded(work));
        return Ok(Output::Scalar(id | FINISHED_INLINE));
    }
    if !pool::submit(move || {
        let result = guarded(|| progress::run_with(&job.control, work));
        complete(id, &job, result)
    }) {
        forget(id);
        return Err(no_read_thread());
    }
    Ok(Output::Scalar(id))
}

/// The error of a read the pool could not take (its thread could not be started).
fn no_read_thread() -> Error {
    Error::new(Code::Io, "cannot start a read thread")
}

/// One part of a read split over the pool.
pub type Part<T> = Box<dyn FnOnce() -> Result<T> + Send>;

/// Starts `parts` on the read pool as one job: each part computes its share, and the job
/// finishes with `join` of all shares (in part order) when the last part is done. A part's
/// error fails the job (the first error in part order is reported).
pub fn read_parts<T: Send + 'static>(
    parts: Vec<Part<T>>,
    join: impl FnOnce(Vec<T>) -> Result<Output> + Send + 'static,
) -> Result<Output> {
    struct Gather<T, J> {
        shares: Vec<Option<Result<T>>>,
        left: usize,
        join: Option<J>,
    }
    let (id, job) = new_job();
    let n = parts.len();
    if n == 0 {
        complete(id, &job, guarded(|| join(Vec::new())));
        return Ok(Output::Scalar(id | FINISHED_INLINE));
    }
    let gather = Arc::new(Mutex::new(Gather { shares: (0..n).map(|_| None).collect(), left: n, join: Some(join) }));
    for (i, part) in parts.into_iter().enumerate() {
        let (mine, my_job) = (gather.clone(), job.clone());
        let submitted = pool::submit(move || {
            let share = catch_unwind(AssertUnwindSafe(|| progress::run_with(&my_job.control, part)))
                .unwrap_or_else(|p| Err(Error::new(Code::Internal, format!("internal error (a bug in vectlite): {}", panic_message(p)))));
            let mut g = mine.lock().unwrap_or_else(|p| p.into_inner());
            g.shares[i] = Some(share);
            g.left -= 1;
            if g.left > 0 {
                return;
            }
            let shares = std::mem::take(&mut g.shares);
            let join = g.join.take();
            drop(g);
            let result = guarded(|| {
                let shares: Result<Vec<T>> = shares.into_iter().map(|s| s.expect("every part stored its share")).collect();
                (join.expect("the last part joins once"))(shares?)
            });
            complete(id, &my_job, result);
        });
        if !submitted {
            // Parts already queued still run and finish the job; it is never reported
            // before they do, so record this part's failure in its place.
            let mut g = gather.lock().unwrap_or_else(|p| p.into_inner());
            g.shares[i] = Some(Err(no_read_thread()));
            g.left -= 1;
            if g.left == 0 {
                drop(g);
                complete(id, &job, Err(no_read_thread()));
            }
        }
    }
    Ok(Output::Scalar(id))
}

fn unknown_job(id: u64) -> Error {
    Error::invalid(format!("no job {id} (already collected, or never started)"))
}

fn job_of(id: u64) -> Option<Arc<Job>> {
    jobs().lock().unwrap_or_else(|p| p.into_inner()).get(&id).cloned()
}

/// Hands a finished job's result to the caller and forgets the job.
fn deliver(id: u64, result: Result<Output>, out: *mut u64) -> i32 {
    forget(id);
    super::deliver(result, out)
}

/// `PENDING` while job `id` runs; then its status, with its result written to `out`.
pub fn poll(id: u64, out: *mut u64) -> i32 {
    let Some(job) = job_of(id) else { return super::deliver(Err(unknown_job(id)), out) };
    let taken = job.state.lock().unwrap_or_else(|p| p.into_inner()).result.take();
    match taken {
        None => PENDING,
        Some(result) => deliver(id, result, out),
    }
}

/// Blocks until job `id` finishes; returns its status, with its result written to `out`.
pub fn wait(id: u64, out: *mut u64) -> i32 {
    let Some(job) = job_of(id) else { return super::deliver(Err(unknown_job(id)), out) };
    let mut state = job.state.lock().unwrap_or_else(|p| p.into_inner());
    loop {
        if let Some(result) = state.result.take() {
            drop(state);
            return deliver(id, result, out);
        }
        state = job.finished.wait(state).unwrap_or_else(|p| p.into_inner());
    }
}

/// Has job `id`'s id sent to `channel` when it finishes. Returns 1 (and sends nothing) when
/// it has finished already, so the caller collects it at once; 0 when it will be sent.
pub fn watch(id: u64, channel: u64) -> Result<Output> {
    channels::check(channel)?;
    let job = job_of(id).ok_or_else(|| unknown_job(id))?;
    let mut state = job.state.lock().unwrap_or_else(|p| p.into_inner());
    if state.result.is_some() {
        return Ok(Output::Scalar(1));
    }
    state.channel = Some(channel);
    drop(state);
    job.control.listen(Box::new(move || channels::push(channel, id | PROGRESS)));
    Ok(Output::Scalar(0))
}

/// Asks job `id` to stop at its next safe point (it then fails with `ABORTED`, unless it
/// was past the point where its work is kept). The scalar is 1 if the job was still running.
pub fn cancel(id: u64) -> Result<Output> {
    let job = job_of(id).ok_or_else(|| unknown_job(id))?;
    job.control.cancel();
    let running = job.state.lock().unwrap_or_else(|p| p.into_inner()).result.is_none();
    Ok(Output::Scalar(running as u64))
}

/// The progress job `id` reported since the last call, as JSON:
/// `[{"phase":"index","done":5,"total":10}, ...]` (`total` null when unknown).
pub fn take_progress(id: u64) -> Result<Output> {
    use crate::json::Json;
    let job = job_of(id).ok_or_else(|| unknown_job(id))?;
    let events = job.control.take_events();
    let events = events.into_iter().map(|e| {
        Json::Object(vec![
            ("phase".into(), Json::String(e.phase.name().into())),
            ("done".into(), Json::Number(e.done as f64)),
            ("total".into(), e.total.map_or(Json::Null, |t| Json::Number(t as f64))),
        ])
    });
    Ok(Output::Bytes(Json::Array(events.collect()).to_json().into_bytes()))
}

/// Completion channels: queues of finished job ids, one per loaded copy of the TypeScript
/// package (two copies in one process share this library, never a channel).
pub mod channels {
    use super::*;

    /// Called with the channel id when its queue goes from empty to not empty.
    pub type Callback = extern "C" fn(u64);

    struct Channel {
        ids: Mutex<Vec<u64>>,
        arrived: Condvar,
        callback: Option<Callback>,
    }

    fn all() -> &'static Mutex<HashMap<u64, Arc<Channel>>> {
        static ALL: OnceLock<Mutex<HashMap<u64, Arc<Channel>>>> = OnceLock::new();
        ALL.get_or_init(|| Mutex::new(HashMap::new()))
    }

    static NEXT: AtomicU64 = AtomicU64::new(1);

    fn get(channel: u64) -> Result<Arc<Channel>> {
        all()
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(&channel)
            .cloned()
            .ok_or_else(|| Error::invalid(format!("no completion channel {channel}")))
    }

    pub fn check(channel: u64) -> Result<()> {
        get(channel).map(|_| ())
    }

    pub fn open(callback: Option<Callback>) -> u64 {
        let id = NEXT.fetch_add(1, Ordering::Relaxed);
        let channel = Arc::new(Channel { ids: Mutex::new(Vec::new()), arrived: Condvar::new(), callback });
        all().lock().unwrap_or_else(|p| p.into_inner()).insert(id, channel);
        id
    }

    pub(super) fn push(channel: u64, job: u64) {
        let Ok(ch) = get(channel) else { return };
        let first = {
            let mut ids = ch.ids.lock().unwrap_or_else(|p| p.into_inner());
            ids.push(job);
            ids.len() == 1
        };
        ch.arrived.notify_all();
        if first {
            if let Some(callback) = ch.callback {
                callback(channel);
            }
        }
    }

    fn encode(ids: Vec<u64>) -> Output {
        if ids.is_empty() {
            return Output::Unit;
        }
        Output::Bytes(ids.iter().flat_map(|id| id.to_le_bytes()).collect())
    }

    /// Every id in the queue (u64 little-endian), now; none is not an error.
    pub fn take(channel: u64) -> Result<Output> {
        let ch = get(channel)?;
        let ids = std::mem::take(&mut *ch.ids.lock().unwrap_or_else(|p| p.into_inner()));
        Ok(encode(ids))
    }

    /// Every id in the queue, once there is at least one.
    pub fn wait(channel: u64) -> Result<Output> {
        let ch = get(channel)?;
        let mut ids = ch.ids.lock().unwrap_or_else(|p| p.into_inner());
        while ids.is_empty() {
            ids = ch.arrived.wait(ids).unwrap_or_else(|p| p.into_inner());
        }
        Ok(encode(std::mem::take(&mut *ids)))
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

/// Blocks until the job finishes; its status, with its result in `out`.
///
/// # Safety
/// `out` must point at three writable u64.
#[no_mangle]
pub unsafe extern "C" fn vl_job_wait(job: u64, out: *mut u64) -> i32 {
    std::panic::catch_unwind(|| wait(job, out)).unwrap_or(crate::error::Code::Internal as i32)
}

/// Asks a job to stop (see `cancel`); the scalar is 1 if it was still running.
///
/// # Safety
/// `out` must point at three writable u64.
#[no_mangle]
pub unsafe extern "C" fn vl_job_cancel(job: u64, out: *mut u64) -> i32 {
    super::run(out, || cancel(job))
}

/// The progress a job reported since the last call (see `take_progress`). A watched job's
/// channel hands out its id with `PROGRESS` set whenever new progress waits.
///
/// # Safety
/// `out` must point at three writable u64.
#[no_mangle]
pub unsafe extern "C" fn vl_job_progress(job: u64, out: *mut u64) -> i32 {
    super::run(out, || take_progress(job))
}

/// Opens a completion channel; its id is the scalar. `callback` is 0, or the address of an
/// `extern "C" fn(u64)` that may be called from any thread, with the channel id, whenever the
/// channel's queue goes from empty to not empty; it must stay callable while the process runs.
///
/// # Safety
/// A non-zero `callback` must be such a function; `out` three writable u64.
#[no_mangle]
pub unsafe extern "C" fn vl_channel_open(callback: u64, out: *mut u64) -> i32 {
    super::run(out, || {
        let callback = if callback == 0 {
            None
        } else {
            // SAFETY: the caller passes the address of a function of this signature.
            Some(unsafe { std::mem::transmute::<usize, channels::Callback>(callback as usize) })
        };
        Ok(Output::Scalar(channels::open(callback)))
    })
}

/// Sends job `job`'s id to `channel` when it finishes; the scalar is 1 when it has finished
/// already (then nothing is sent: collect it now).
///
/// # Safety
/// `out` must point at three writable u64.
#[no_mangle]
pub unsafe extern "C" fn vl_job_watch(job: u64, channel: u64, out: *mut u64) -> i32 {
    super::run(out, || watch(job, channel))
}

/// The ids of the jobs that finished since the last take, as u64 little-endian (an empty
/// buffer when none did). Never blocks.
///
/// # Safety
/// `out` must point at three writable u64.
#[no_mangle]
pub unsafe extern "C" fn vl_channel_take(channel: u64, out: *mut u64) -> i32 {
    super::run(out, || channels::take(channel))
}

/// As `vl_channel_take`, but blocks until at least one id is there. Deno and Node call it
/// off the JavaScript thread.
///
/// # Safety
/// `out` must point at three writable u64.
#[no_mangle]
pub unsafe extern "C" fn vl_channel_wait(channel: u64, out: *mut u64) -> i32 {
    super::run(out, || channels::wait(channel))
}

/// Sets the read pool's size (0: the machine's cores); the scalar is the size in force.
///
/// # Safety
/// `out` must point at three writable u64.
#[no_mangle]
pub unsafe extern "C" fn vl_pool_size(threads: u32, out: *mut u64) -> i32 {
    super::run(out, || {
        if threads as usize > pool::MAX_SIZE {
            return Err(Error::invalid(format!("read threads {threads}: at most {}", pool::MAX_SIZE)));
        }
        Ok(Output::Scalar(pool::set_size(threads as usize) as u64))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scalar(o: Result<Output>) -> u64 {
        match o {
            Ok(Output::Scalar(v)) => v,
            _ => panic!("expected a scalar"),
        }
    }

    #[test]
    fn a_watched_job_reaches_its_channel_and_is_collected_once() {
        let channel = channels::open(None);
        let id = scalar(read(false, || Ok(Output::Scalar(42))));
        assert_eq!(id & FINISHED_INLINE, 0);
        if scalar(watch(id, channel)) == 0 {
            let ids = match channels::wait(channel).unwrap() {
                Output::Bytes(b) => b.chunks(8).map(|c| u64::from_le_bytes(c.try_into().unwrap())).collect::<Vec<_>>(),
                _ => panic!("no ids"),
            };
            assert_eq!(ids, vec![id]);
        }
        let mut out = [0u64; 3];
        assert_eq!(poll(id, out.as_mut_ptr()), 0);
        assert_eq!(out[2], 42);
        assert_ne!(poll(id, out.as_mut_ptr()), 0, "a job is collected once");
    }

    #[test]
    fn parts_join_in_order_and_an_error_fails_the_job() {
        let parts: Vec<Part<u64>> = (0..8u64).map(|i| Box::new(move || Ok(i)) as _).collect();
        let id = scalar(read_parts(parts, |shares| Ok(Output::Scalar(shares.iter().enumerate().map(|(i, s)| (i as u64 + 1) * s).sum()))));
        let mut out = [0u64; 3];
        assert_eq!(wait(id & !FINISHED_INLINE, out.as_mut_ptr()), 0);
        assert_eq!(out[2], (0..8u64).map(|i| (i + 1) * i).sum::<u64>());
        let parts: Vec<Part<u64>> =
            vec![Box::new(|| Ok(1)), Box::new(|| Err(Error::invalid("part 1 failed"))), Box::new(|| panic!("part 2"))];
        let id = scalar(read_parts(parts, |_| Ok(Output::Unit)));
        let status = wait(id, out.as_mut_ptr());
        assert_eq!(status, Code::InvalidArgument as i32);
        super::super::take_back(out[0] as *mut u8, out[1] as usize);
    }
}
