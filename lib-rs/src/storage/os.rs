//! The OS calls std does not offer (madvise, setpriority, malloc_trim: all advisory), and
//! the few places where unix and Windows differ. File locks are std's (`flock` on unix,
//! `LockFileEx` on Windows). A file's writes are made durable with `File::sync_data`
//! (`fdatasync`, in vfs.rs); a directory's entries, on unix, by opening the directory and
//! calling `sync_all` on it (elsewhere `sync_dir` has nothing to do).

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
/// way of a reader of the database. (On unix a writer also locks the `.vdb` itself, which
/// keeps a second writer out through a hard link; see `lock_snapshot_file` in db.rs.)
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
    use std::os::raw::{c_int, c_long, c_void};
    pub const MADV_HUGEPAGE: c_int = 14;
    pub const SC_PAGESIZE: c_int = 30;
    extern "C" {
        pub fn madvise(addr: *mut c_void, len: usize, advice: c_int) -> c_int;
        pub fn sysconf(name: c_int) -> c_long;
    }
}

/// Below this an array gains nothing from huge pages (and may share its pages with others).
#[cfg(target_os = "linux")]
const HUGE_PAGE_MIN_BYTES: usize = 4 << 20;

/// Asks the kernel to back the large array `[ptr, ptr + bytes)` with transparent huge pages
/// where it can (Linux, where THP is often in "madvise" mode). A scan or a graph search over
/// a large vector array then misses the TLB far less. Advisory: failure changes nothing.
///
/// The range is widened to whole pages, never narrowed. An allocation this large is a
/// mapping of its own (glibc's and musl's malloc both `mmap` it): advising all of it keeps it
/// one VMA, so the allocator's `realloc` can still grow it with `mremap`, moving the pages
/// instead of copying them. Advising only the 2 MiB-aligned middle split the mapping in
/// three, `mremap` then failed with EFAULT, and every doubling of a 100 MB vector array
/// copied it: a transient +100 MB at the peak of a 100,000 x 384 bulk build.
pub fn advise_huge_pages(ptr: *const u8, bytes: usize) {
    #[cfg(target_os = "linux")]
    {
        if bytes < HUGE_PAGE_MIN_BYTES {
            return;
        }
        // SAFETY: sysconf has no preconditions.
        let page = usize::try_from(unsafe { mm::sysconf(mm::SC_PAGESIZE) }).unwrap_or(0);
        if page == 0 || !page.is_power_of_two() {
            return;
        }
        let start = (ptr as usize) & !(page - 1);
        let end = (ptr as usize + bytes).next_multiple_of(page);
        // SAFETY: [start, end) is the caller's live allocation widened to the pages it lies
        // in, which are mapped; madvise(MADV_HUGEPAGE) only changes how pages are backed,
        // never their contents, and its result is ignored.
        unsafe {
            mm::madvise(start as *mut std::os::raw::c_void, end - start, mm::MADV_HUGEPAGE);
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

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;

    /// The mappings of /proc/self/maps that overlap `[start, end)`.
    fn mappings_overlapping(start: usize, end: usize) -> Vec<String> {
        let maps = std::fs::read_to_string("/proc/self/maps").unwrap();
        maps.lines()
            .filter(|line| {
                let range = line.split_whitespace().next().unwrap();
                let (lo, hi) = range.split_once('-').unwrap();
                let (lo, hi) = (usize::from_str_radix(lo, 16).unwrap(), usize::from_str_radix(hi, 16).unwrap());
                lo < end && start < hi
            })
            .map(str::to_string)
            .collect()
    }

    #[test]
    fn huge_page_advice_keeps_a_large_array_one_mapping_so_realloc_can_move_it() {
        // 48 MB: above glibc's largest mmap threshold (32 MB), so a mapping of its own.
        let mut v: Vec<f32> = Vec::with_capacity(12 << 20);
        v.resize(v.capacity(), 1.0);
        advise_huge_pages(v.as_ptr() as *const u8, v.capacity() * 4);
        let start = v.as_ptr() as usize;
        let found = mappings_overlapping(start, start + v.capacity() * 4);
        assert_eq!(found.len(), 1, "the advice split the array's mapping: {found:?}");
        // Doubling keeps the contents, and the grown array is still one mapping once advised.
        v.reserve(v.capacity());
        advise_huge_pages(v.as_ptr() as *const u8, v.capacity() * 4);
        assert!(v.iter().all(|&x| x == 1.0));
        let start = v.as_ptr() as usize;
        assert_eq!(mappings_overlapping(start, start + v.capacity() * 4).len(), 1);
    }
}
