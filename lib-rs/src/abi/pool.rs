//! The read pool: a fixed set of threads shared by every database of the process, on which
//! searches, counts and lists run, so that the JavaScript thread never waits for one and N
//! reads issued together use up to N cores. Threads start on demand up to the pool's size
//! (the machine's cores unless `vl_pool_size` set another) and stay, idle, until the
//! process ends or the size shrinks below them.
//!
//! A task never waits for another task: a batch is split into independent tasks when it is
//! submitted, so a pool full of batch parts cannot deadlock.

use std::collections::VecDeque;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::{Condvar, Mutex, OnceLock};

type Task = Box<dyn FnOnce() + Send>;

struct State {
    tasks: VecDeque<Task>,
    /// Threads alive.
    threads: usize,
    /// Threads waiting for a task.
    idle: usize,
    /// How many threads the pool may have.
    size: usize,
}

struct Pool {
    state: Mutex<State>,
    ready: Condvar,
}

/// The largest pool size accepted: beyond that, threads only cost memory.
pub const MAX_SIZE: usize = 1024;

fn default_size() -> usize {
    std::thread::available_parallelism().map(|n| n.get()).unwrap_or(2).min(MAX_SIZE)
}

fn pool() -> &'static Pool {
    static POOL: OnceLock<Pool> = OnceLock::new();
    POOL.get_or_init(|| Pool {
        state: Mutex::new(State { tasks: VecDeque::new(), threads: 0, idle: 0, size: default_size() }),
        ready: Condvar::new(),
    })
}

fn lock() -> std::sync::MutexGuard<'static, State> {
    pool().state.lock().unwrap_or_else(|p| p.into_inner())
}

/// Sets how many threads the pool may run (0: the machine's cores); returns the size now in
/// force. Threads beyond a smaller size exit once idle; a larger one starts threads as work
/// arrives.
pub fn set_size(threads: usize) -> usize {
    let size = if threads == 0 { default_size() } else { threads.min(MAX_SIZE) };
    lock().size = size;
    pool().ready.notify_all();
    size
}

/// The pool's size.
pub fn size() -> usize {
    lock().size
}

/// Whether the pool has nothing queued and no task running: a cheap read may then run on
/// the caller's thread without waiting behind, or slowing, anything.
pub fn quiet() -> bool {
    let s = lock();
    s.tasks.is_empty() && s.idle == s.threads
}

/// Queues `task` on the pool, starting a thread when none is idle and the size allows.
/// Returns false when no thread runs and none could be started (the task is then dropped,
/// unrun: the caller reports the failure).
pub fn submit(task: impl FnOnce() + Send + 'static) -> bool {
    let mut s = lock();
    s.tasks.push_back(Box::new(task));
    if s.idle > s.tasks.len() - 1 || s.threads >= s.size {
        drop(s);
        pool().ready.notify_one();
        return true;
    }
    s.threads += 1;
    drop(s);
    let started = std::thread::Builder::new().name("vectlite-read".into()).spawn(work);
    if started.is_err() {
        let mut s = lock();
        s.threads -= 1;
        if s.threads == 0 {
            // Nobody would ever run it.
            s.tasks.pop_back();
            return false;
        }
    }
    true
}

/// A pool thread: runs tasks until the pool shrinks below it.
fn work() {
    crate::storage::os::lower_thread_priority();
    let mut s = lock();
    loop {
        if s.threads > s.size {
            s.threads -= 1;
            return;
        }
        match s.tasks.pop_front() {
            Some(task) => {
                drop(s);
                // A task reports its own panics (see jobs.rs); this one only keeps the
                // thread alive should a task's panic escape anyway.
                let _ = catch_unwind(AssertUnwindSafe(task));
                s = lock();
            }
            None => {
                s.idle += 1;
                s = pool().ready.wait(s).unwrap_or_else(|p| p.into_inner());
                s.idle -= 1;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::{mpsc, Arc};

    #[test]
    fn runs_every_task_submitted_from_many_threads() {
        let done = Arc::new(AtomicUsize::new(0));
        let (tx, rx) = mpsc::channel();
        let submitters: Vec<_> = (0..4)
            .map(|_| {
                let done = done.clone();
                let tx = tx.clone();
                std::thread::spawn(move || {
                    for _ in 0..250 {
                        let done = done.clone();
                        let tx = tx.clone();
                        assert!(submit(move || {
                            done.fetch_add(1, Ordering::SeqCst);
                            let _ = tx.send(());
                        }));
                    }
                })
            })
            .collect();
        for s in submitters {
            s.join().unwrap();
        }
        for _ in 0..1000 {
            rx.recv_timeout(std::time::Duration::from_secs(30)).expect("a task never ran");
        }
        assert_eq!(done.load(Ordering::SeqCst), 1000);
    }

    #[test]
    fn tasks_run_in_parallel_up_to_the_size() {
        // Two tasks that each wait for the other can only finish when both run at once.
        if size() < 2 {
            return;
        }
        let barrier = Arc::new(std::sync::Barrier::new(2));
        let (tx, rx) = mpsc::channel();
        for _ in 0..2 {
            let barrier = barrier.clone();
            let tx = tx.clone();
            submit(move || {
                barrier.wait();
                let _ = tx.send(());
            });
        }
        for _ in 0..2 {
            rx.recv_timeout(std::time::Duration::from_secs(30)).expect("tasks did not run in parallel");
        }
    }

    #[test]
    fn a_panicking_task_leaves_the_pool_working() {
        submit(|| panic!("a task's bug"));
        let (tx, rx) = mpsc::channel();
        submit(move || {
            let _ = tx.send(7);
        });
        assert_eq!(rx.recv_timeout(std::time::Duration::from_secs(30)).unwrap(), 7);
    }
}
