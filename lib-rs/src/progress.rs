//! Progress and cancellation of long work (compaction, index builds, snapshots, backups,
//! restores, batches of searches). A job runs its work with a [`Control`] installed for the
//! thread (`run_with`); code deep inside (a graph build, the snapshot writer) reports where
//! it is with [`report`] and stops at its next safe point once the job was cancelled, without
//! each function on the way taking a parameter for it. Work that runs outside a job (tests, a
//! synchronous call) has no control installed: reports go nowhere and nothing is cancelled.
//!
//! A cancelled job stops only where its state is whole (a graph with part of its waiting
//! vectors inserted, the rest scored exactly; a temporary file not yet renamed), and the
//! operation undoes what it must so that an aborted call leaves the database as if it had
//! not been issued (see each operation).

use crate::error::{Code, Error, Result};
use std::cell::RefCell;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

/// The phases an operation goes through, as TypeScript's `onProgress` names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// Checksums verified before anything is copied (bytes).
    Verify,
    /// Vectors inserted into HNSW graphs (vectors).
    Index,
    /// A new file written (bytes).
    Write,
}

impl Phase {
    pub fn name(self) -> &'static str {
        match self {
            Phase::Verify => "verify",
            Phase::Index => "index",
            Phase::Write => "write",
        }
    }
}

/// Where an operation is: `done` of `total` units of its phase (`total` unknown: None).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Event {
    pub phase: Phase,
    pub done: u64,
    pub total: Option<u64>,
}

type Listener = Box<dyn Fn() + Send + Sync>;

/// How long a followed job waits for its caller to have seen its last progress before it
/// goes on regardless (a caller whose event loop is blocked slows a job, never stops it).
const FOLLOW_WAIT: Duration = Duration::from_secs(5);

#[derive(Default)]
struct Events {
    /// Reported and not taken yet. At most one per phase change: a report in the same phase
    /// as the last one not taken replaces it.
    list: Vec<Event>,
    /// Taken and not acknowledged yet (the caller acknowledges with a take that finds none).
    handed: bool,
    /// Whether the caller follows the job (it took progress at least once): then each report
    /// and each `check` first waits until the caller has seen the previous report, so a
    /// caller that aborts from its progress callback stops the job before its next step.
    followed: bool,
}

/// One job's cancellation flag and the progress it reported and nobody collected yet.
#[derive(Default)]
pub struct Control {
    cancelled: AtomicBool,
    events: Mutex<Events>,
    seen: Condvar,
    /// Told when events go from none to some.
    listener: Mutex<Option<Listener>>,
}

impl Control {
    pub fn cancel(&self) {
        self.cancelled.store(true, Ordering::Relaxed);
        let _events = self.events.lock().unwrap_or_else(|p| p.into_inner());
        self.seen.notify_all();
    }

    pub fn is_cancelled(&self) -> bool {
        self.cancelled.load(Ordering::Relaxed)
    }

    /// Waits (see `Events::followed`) until the caller has seen every report.
    fn wait_until_seen(&self) {
        let events = self.events.lock().unwrap_or_else(|p| p.into_inner());
        if !events.followed {
            return;
        }
        let _ = self
            .seen
            .wait_timeout_while(events, FOLLOW_WAIT, |e| (!e.list.is_empty() || e.handed) && !self.is_cancelled())
            .unwrap_or_else(|p| p.into_inner());
    }

    /// Queues `event`; the listener hears of it only when the job is followed (nobody takes
    /// the progress of other jobs: telling would only wake the caller for nothing).
    fn push(&self, event: Event) {
        self.wait_until_seen();
        let tell = {
            let mut events = self.events.lock().unwrap_or_else(|p| p.into_inner());
            let first = match events.list.last_mut() {
                Some(last) if last.phase == event.phase => {
                    *last = event;
                    false
                }
                _ => {
                    events.list.push(event);
                    events.list.len() == 1
                }
            };
            first && events.followed
        };
        if tell {
            self.tell();
        }
    }

    fn tell(&self) {
        if let Some(listener) = &*self.listener.lock().unwrap_or_else(|p| p.into_inner()) {
            listener();
        }
    }

    /// The events reported since the last take, oldest first; a take that finds none
    /// acknowledges those handed out before. The first take makes the job followed.
    pub fn take_events(&self) -> Vec<Event> {
        let mut events = self.events.lock().unwrap_or_else(|p| p.into_inner());
        events.followed = true;
        let list = std::mem::take(&mut events.list);
        events.handed = !list.is_empty();
        self.seen.notify_all();
        list
    }

    /// Calls `listener` whenever events of the followed job wait to be taken (at once if
    /// some do already).
    pub fn listen(&self, listener: Listener) {
        *self.listener.lock().unwrap_or_else(|p| p.into_inner()) = Some(listener);
        let events = self.events.lock().unwrap_or_else(|p| p.into_inner());
        let waiting = events.followed && !events.list.is_empty();
        drop(events);
        if waiting {
            self.tell();
        }
    }
}

thread_local! {
    static CURRENT: RefCell<Option<Arc<Control>>> = const { RefCell::new(None) };
}

/// Runs `work` with `control` as this thread's current control.
pub fn run_with<T>(control: &Arc<Control>, work: impl FnOnce() -> T) -> T {
    struct Restore(Option<Arc<Control>>);
    impl Drop for Restore {
        fn drop(&mut self) {
            let previous = self.0.take();
            CURRENT.with(|c| *c.borrow_mut() = previous);
        }
    }
    let _restore = Restore(CURRENT.with(|c| c.borrow_mut().replace(control.clone())));
    work()
}

/// Reports progress to the current job, if any; false once the job was cancelled (the caller
/// stops at its next safe point).
pub fn report(phase: Phase, done: u64, total: Option<u64>) -> bool {
    CURRENT.with(|c| match &*c.borrow() {
        Some(control) => {
            control.push(Event { phase, done, total });
            !control.is_cancelled()
        }
        None => true,
    })
}

/// Whether the current job was cancelled.
pub fn cancelled() -> bool {
    CURRENT.with(|c| c.borrow().as_ref().is_some_and(|control| control.is_cancelled()))
}

/// Whether the current job was cancelled, once its caller has seen every report: the check
/// before a point of return, so that an abort in answer to the last report is in time.
fn cancelled_when_seen() -> bool {
    CURRENT.with(|c| {
        c.borrow().as_ref().is_some_and(|control| {
            control.wait_until_seen();
            control.is_cancelled()
        })
    })
}

/// The error of a cancelled `what`.
pub fn aborted(what: &str) -> Error {
    Error::new(Code::Aborted, format!("{what} was aborted"))
}

/// `Err(ABORTED)` once the current job was cancelled (checked after its caller has seen
/// every report).
pub fn check(what: &str) -> Result<()> {
    if cancelled_when_seen() {
        Err(aborted(what))
    } else {
        Ok(())
    }
}

/// The units of one phase done so far, reported as they are added.
#[derive(Debug)]
pub struct Tally {
    phase: Phase,
    done: u64,
    total: Option<u64>,
}

impl Tally {
    pub fn new(phase: Phase, total: Option<u64>) -> Tally {
        Tally { phase, done: 0, total }
    }

    /// Adds `n` units done and reports; false once the job was cancelled.
    pub fn add(&mut self, n: u64) -> bool {
        self.done += n;
        report(self.phase, self.done, self.total)
    }

    pub fn total(&self) -> Option<u64> {
        self.total
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reports_coalesce_per_phase_and_cancellation_is_seen_only_inside_the_job() {
        let control = Arc::new(Control::default());
        let told = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let t = told.clone();
        control.listen(Box::new(move || {
            t.fetch_add(1, Ordering::Relaxed);
        }));
        run_with(&control, || {
            assert!(report(Phase::Index, 1, Some(10)));
            assert!(report(Phase::Index, 5, Some(10)));
            assert!(report(Phase::Write, 100, None));
            control.cancel();
            assert!(!report(Phase::Write, 200, None));
            assert!(check("compact").is_err());
        });
        assert!(!cancelled() && check("x").is_ok(), "outside the job nothing is cancelled");
        let events = control.take_events();
        assert_eq!(
            events,
            vec![Event { phase: Phase::Index, done: 5, total: Some(10) }, Event { phase: Phase::Write, done: 200, total: None }]
        );
        assert_eq!(told.load(Ordering::Relaxed), 0, "nobody follows the job: nobody is told");
        // Followed (a take), the job tells when the first event waits, once.
        run_with(&control, || {
            assert!(control.take_events().is_empty());
            report(Phase::Index, 1, Some(2));
        });
        assert_eq!(told.load(Ordering::Relaxed), 1);
        assert_eq!(check_in(&control), Code::Aborted);
    }

    fn check_in(control: &Arc<Control>) -> Code {
        run_with(control, || check("backup").unwrap_err().code)
    }
}
