//! The OS calls std does not offer (madvise, setpriority, malloc_trim: all advisory), and
//! the few places where unix and Windows differ. File locks are std's (`flock` on unix,
//! `LockFileEx` on Windows), `File::sync_all` is `fsync`, and a directory is synced by
//! opening it and calling `sync_all` on it.

use std::fs::File;
use std::io;
use std::path::Path;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LockKind {
    Shared,
    Exclusive,
}

/// Tries once to take an advisory lock on `file`, without waiting.
/// Ok(false) means another open file (description or handle) holds a conflicting lock.
/// std's file locks are `flock` on unix and `LockFileEx` over the whole file on Windows; the
/// lock file is a file of its own, so Windows' mandatory byte-range locks never stand in the
/// way of a reader of the database.
pub fn try_lock(file: &File, kind: LockKind) -> io::Result<bool> {
    let attempt = match kind {
        LockKind::Shared => file.try_lock_shared(),
        LockKind::Exclusive => file.try_lock(),
    };
    match attempt {
        Ok(()) => Ok(true),
        Err(std::fs::TryLockError::WouldBlock) => Ok(false),
        Err(std::fs::TryLockError::Error(e)) => Err(e),
    }
}

/// Releases the lock early (closing the file releases it anyway).
pub fn unlock(file: &File) {
    let _ = file.unlock();
}

/// Which file an open file is: (device, inode) on unix, (volume serial number, file index)
/// on Windows. A reader compares it with `path_identity` to tell whether a compaction renamed
/// a new file into place since it opened its own. None where the OS does not say.
pub fn file_identity(file: &File) -> Option<(u64, u64)> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        file.metadata().ok().map(|m| (m.dev(), m.ino()))
    }
    #[cfg(windows)]
    {
        windows_identity(file)
    }
    #[cfg(not(any(unix, windows)))]
    {
        let _ = file;
        None
    }
}

/// The identity of the file a path names now.
pub fn path_identity(path: &Path) -> Option<(u64, u64)> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        std::fs::metadata(path).ok().map(|m| (m.dev(), m.ino()))
    }
    #[cfg(not(unix))]
    {
        File::open(path).ok().and_then(|f| file_identity(&f))
    }
}

#[cfg(windows)]
fn windows_identity(file: &File) -> Option<(u64, u64)> {
    use std::os::windows::io::AsRawHandle;
    // BY_HANDLE_FILE_INFORMATION is thirteen DWORDs: attributes, three FILETIMEs (two each),
    // volume serial number (7), size high and low, link count, file index high (11) and low (12).
    #[link(name = "kernel32")]
    extern "system" {
        fn GetFileInformationByHandle(handle: *mut std::ffi::c_void, info: *mut [u32; 13]) -> i32;
    }
    let mut info = [0u32; 13];
    // SAFETY: the handle belongs to `file`, open for the whole call; `info` is a writable
    // buffer of exactly the structure's size (52 bytes, DWORD-aligned).
    let ok = unsafe { GetFileInformationByHandle(file.as_raw_handle(), &mut info) };
    (ok != 0).then(|| (info[7] as u64, ((info[11] as u64) << 32) | info[12] as u64))
}

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
