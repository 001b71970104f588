//! The OS calls std does not offer. Only `flock` is needed: std's `File::sync_all` is
//! `fsync`, and a directory is synced by opening it and calling `sync_all` on it.

use std::fs::File;
use std::io;
use std::path::Path;

#[cfg(unix)]
mod sys {
    use std::os::raw::c_int;
    pub const LOCK_SH: c_int = 1;
    pub const LOCK_EX: c_int = 2;
    pub const LOCK_NB: c_int = 4;
    pub const LOCK_UN: c_int = 8;
    extern "C" {
        pub fn flock(fd: c_int, operation: c_int) -> c_int;
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LockKind {
    Shared,
    Exclusive,
}

/// Tries once to take an advisory lock on `file`, without waiting.
/// Ok(false) means another open file description holds a conflicting lock.
#[cfg(unix)]
pub fn try_lock(file: &File, kind: LockKind) -> io::Result<bool> {
    use std::os::unix::io::AsRawFd;
    let op = match kind {
        LockKind::Shared => sys::LOCK_SH,
        LockKind::Exclusive => sys::LOCK_EX,
    } | sys::LOCK_NB;
    loop {
        // SAFETY: the fd belongs to `file`, which is open for the whole call; flock only
        // reads its integer arguments.
        let rc = unsafe { sys::flock(file.as_raw_fd(), op) };
        if rc == 0 {
            return Ok(true);
        }
        let err = io::Error::last_os_error();
        match err.kind() {
            io::ErrorKind::WouldBlock => return Ok(false),
            io::ErrorKind::Interrupted => continue,
            _ => return Err(err),
        }
    }
}

#[cfg(unix)]
pub fn unlock(file: &File) {
    use std::os::unix::io::AsRawFd;
    // SAFETY: as in try_lock. Closing the file releases the lock anyway; this is early release.
    unsafe {
        sys::flock(file.as_raw_fd(), sys::LOCK_UN);
    }
}

/// Without flock (non-unix targets, for now) locking always succeeds: the README says so.
#[cfg(not(unix))]
pub fn try_lock(_file: &File, _kind: LockKind) -> io::Result<bool> {
    Ok(true)
}

#[cfg(not(unix))]
pub fn unlock(_file: &File) {}

#[cfg(target_os = "linux")]
mod mm {
    use std::os::raw::{c_int, c_void};
    pub const MADV_HUGEPAGE: c_int = 14;
    extern "C" {
        pub fn madvise(addr: *mut c_void, len: usize, advice: c_int) -> c_int;
    }
}

/// Asks the kernel to back `[ptr, ptr + bytes)` with transparent huge pages where it can
/// (Linux, where THP is often in "madvise" mode). A scan or a graph search over a large
/// vector array then misses the TLB far less. Advisory: failure changes nothing.
pub fn advise_huge_pages(ptr: *const u8, bytes: usize) {
    #[cfg(target_os = "linux")]
    {
        const HUGE: usize = 2 << 20;
        let start = (ptr as usize).next_multiple_of(HUGE);
        let end = (ptr as usize + bytes) & !(HUGE - 1);
        if end > start {
            // SAFETY: [start, end) lies inside the caller's live allocation (rounded inwards
            // to 2 MiB boundaries); madvise(MADV_HUGEPAGE) only changes how pages are backed,
            // never their contents, and its result is ignored.
            unsafe {
                mm::madvise(start as *mut std::os::raw::c_void, end - start, mm::MADV_HUGEPAGE);
            }
        }
    }
    #[cfg(not(target_os = "linux"))]
    {
        let _ = (ptr, bytes);
    }
}

/// Lowers the calling thread's CPU priority (nice 10). Background jobs and the graph
/// builders they start (threads inherit it) then give way to the JavaScript thread when it
/// wakes up: on a 2-core machine two builder threads at equal priority kept the event loop
/// from running its timers for 60-80 ms at a time during a bulk ingest. With no other work
/// waiting for the CPU the job runs as fast as before. Linux only; failure changes nothing.
pub fn lower_thread_priority() {
    #[cfg(target_os = "linux")]
    {
        use std::os::raw::{c_int, c_uint};
        extern "C" {
            fn setpriority(which: c_int, who: c_uint, prio: c_int) -> c_int;
        }
        const PRIO_PROCESS: c_int = 0;
        // SAFETY: setpriority takes plain integers; on Linux `who = 0` names the calling
        // thread only (each thread has its own nice value).
        unsafe {
            setpriority(PRIO_PROCESS, 0, 10);
        }
    }
}

/// Makes a rename or a file creation in `dir` durable.
pub fn sync_dir(dir: &Path) -> io::Result<()> {
    #[cfg(unix)]
    {
        let dir = if dir.as_os_str().is_empty() { Path::new(".") } else { dir };
        File::open(dir)?.sync_all()
    }
    #[cfg(not(unix))]
    {
        let _ = dir;
        Ok(())
    }
}

/// Hands memory freed by a large write, open or compaction back to the OS. glibc keeps
/// freed blocks in per-thread arenas (background jobs and graph builders run on threads of
/// their own), so without this a process stays at its high-water mark and the next large
/// operation adds its peak on top. A no-op where the C library has no `malloc_trim`.
pub fn release_free_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        extern "C" {
            fn malloc_trim(pad: usize) -> std::os::raw::c_int;
        }
        // SAFETY: malloc_trim takes no pointers; it only returns free heap pages to the kernel.
        unsafe {
            malloc_trim(0);
        }
    }
}
