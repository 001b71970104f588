//! Read-only memory maps of a snapshot file, so its bulk sections (float32 vectors, codes,
//! the graphs' level 0, the id tables) are used in place: an open reads none of them, and
//! only the pages a search touches become resident.
//!
//! Maps exist on 64-bit little-endian unix (the file's byte order is the CPU's, so a slice
//! of the map is the vectors as they are). Elsewhere, and on Windows (where a mapped file
//! could not be replaced by a compaction's rename while a handle still used it), the
//! vectors are read into memory as before.
//!
//! A map stays valid for as long as a handle holds it: vectlite never changes a snapshot
//! file in place (a compaction writes a new file and renames it over the old one, whose
//! pages live on until the last map of them goes). A file truncated in place by another
//! program while it is mapped is outside what a map can survive (the process then faults
//! on the missing pages, as SQLite's memory-mapped I/O does); docs/durability.md says so.

use std::fs::File;
use std::io;
use std::sync::Arc;

/// A whole file mapped read-only, and the file, for reads that should not make the map's
/// pages resident (`read_at`).
pub struct Mapping {
    ptr: *const u8,
    len: usize,
    file: File,
}

// SAFETY: the map is read-only and never remapped; sharing a pointer to immutable bytes
// between threads is sound.
unsafe impl Send for Mapping {}
// SAFETY: as above.
unsafe impl Sync for Mapping {}

impl std::fmt::Debug for Mapping {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Mapping").field("len", &self.len).finish()
    }
}

impl Mapping {
    /// Maps all of `file`; Ok(None) where maps are not used (see the module comment) or
    /// the file is empty.
    pub fn of_file(file: &File) -> io::Result<Option<Arc<Mapping>>> {
        let len = usize::try_from(file.metadata()?.len()).map_err(|_| io::Error::other("file too large to map"))?;
        if len == 0 {
            return Ok(None);
        }
        let Some((ptr, len)) = imp::map(file, len)? else { return Ok(None) };
        match file.try_clone() {
            Ok(file) => Ok(Some(Arc::new(Mapping { ptr, len, file }))),
            Err(e) => {
                imp::unmap(ptr, len);
                Err(e)
            }
        }
    }

    /// Reads `buf.len()` bytes at `offset` through the file instead of the map: the bytes
    /// come from the OS page cache and the map's pages stay out of the process's resident set.
    pub fn read_at(&self, offset: usize, buf: &mut [u8]) -> io::Result<()> {
        imp::read_at(&self.file, offset as u64, buf)
    }

    pub fn bytes(&self) -> &[u8] {
        // SAFETY: `ptr` maps `len` readable bytes for as long as `self` lives (unmapped in
        // Drop only).
        unsafe { std::slice::from_raw_parts(self.ptr, self.len) }
    }

    /// `count` floats at byte `offset`, if they lie inside the map and are aligned.
    pub fn floats(&self, offset: usize, count: usize) -> Option<&[f32]> {
        self.slice::<f32>(offset, count)
    }

    /// `count` values of `T` at byte `offset`, if they lie inside the map and are aligned.
    fn slice<T: Plain>(&self, offset: usize, count: usize) -> Option<&[T]> {
        let end = offset.checked_add(count.checked_mul(std::mem::size_of::<T>())?)?;
        if end > self.len || !(self.ptr as usize + offset).is_multiple_of(std::mem::align_of::<T>()) {
            return None;
        }
        // SAFETY: the range is inside the map (checked) and aligned for T (checked); `Plain`
        // types accept any bit pattern; the bytes are little-endian like the CPU (maps are
        // only made on little-endian targets).
        Some(unsafe { std::slice::from_raw_parts(self.ptr.add(offset).cast::<T>(), count) })
    }

    /// Tells the kernel the pages are read at random (a graph walk, a rescore): no
    /// read-ahead, so a search makes resident only what it reads. Advisory.
    pub fn advise_random(&self) {
        imp::advise_random(self.ptr, self.len);
    }
}

/// Types any bytes are a valid value of (read in place from a little-endian file).
pub trait Plain: Copy + 'static {}
impl Plain for u8 {}
impl Plain for u32 {}
impl Plain for f32 {}
impl Plain for u64 {}

/// Values in place in a map, kept alive by it.
pub struct MappedSlice<T: Plain> {
    _map: Arc<Mapping>,
    ptr: *const T,
    len: usize,
}

// SAFETY: the values are read-only for the map's whole life, which `_map` extends to ours.
unsafe impl<T: Plain> Send for MappedSlice<T> {}
// SAFETY: as above.
unsafe impl<T: Plain> Sync for MappedSlice<T> {}

impl<T: Plain> MappedSlice<T> {
    /// `count` values at byte `offset` of `map`; None if they are not inside it, aligned.
    pub fn new(map: Arc<Mapping>, offset: usize, count: usize) -> Option<MappedSlice<T>> {
        let ptr = map.slice::<T>(offset, count)?.as_ptr();
        Some(MappedSlice { _map: map, ptr, len: count })
    }

    #[inline]
    pub fn as_slice(&self) -> &[T] {
        // SAFETY: checked inside the map and aligned by `new`; the map lives as long as we do.
        unsafe { std::slice::from_raw_parts(self.ptr, self.len) }
    }

    /// Reads values `at..at + out.len()` through the file (see `Mapping::read_at`).
    pub fn read_through_file(&self, at: usize, out: &mut [T]) -> io::Result<()> {
        if at + out.len() > self.len {
            return Err(io::Error::other("read past the mapped values"));
        }
        let size = std::mem::size_of::<T>();
        let offset = self.ptr as usize - self._map.ptr as usize + at * size;
        // SAFETY: `out` is `out.len() * size` initialised bytes that any bytes may overwrite
        // (`Plain`); the file's byte order is the CPU's (maps exist on little-endian only).
        let bytes = unsafe { std::slice::from_raw_parts_mut(out.as_mut_ptr().cast::<u8>(), std::mem::size_of_val(out)) };
        self._map.read_at(offset, bytes)
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Asks for these values' pages to be backed by huge pages (see
    /// `os::advise_huge_pages`): for the sections a graph walk reads at random, all of which
    /// a server makes resident anyway. A page-cache miss then reads the 2 MiB around it, and
    /// the walk's random reads miss the TLB far less (1M x 384 float32 from the map: 554 to
    /// 763 queries/s at efSearch 96). Not for what only a few reads touch (the float32
    /// vectors of a quantized space, read to rescore), which would become resident whole.
    pub fn advise_huge_pages(&self) {
        crate::storage::os::advise_huge_pages(self.ptr.cast::<u8>(), std::mem::size_of_val(self.as_slice()));
    }

    /// Takes these values' pages out of the process's page tables; the page cache keeps
    /// them. For a section copied into memory and no longer read through the map (a graph's
    /// level 0 once an insertion changes it): its pages stayed mapped and counted in the
    /// resident set beside the copy. A later read through the map faults them back in from
    /// the cache, with the same bytes. Only pages wholly inside the values are released.
    pub fn release_pages(&self) {
        imp::release_pages(self.ptr.cast::<u8>(), std::mem::size_of_val(self.as_slice()));
    }
}

impl<T: Plain> std::fmt::Debug for MappedSlice<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MappedSlice").field("len", &self.len).finish()
    }
}

impl<T: Plain> Clone for MappedSlice<T> {
    fn clone(&self) -> Self {
        MappedSlice { _map: self._map.clone(), ptr: self.ptr, len: self.len }
    }
}

impl Drop for Mapping {
    fn drop(&mut self) {
        imp::unmap(self.ptr, self.len);
    }
}

#[cfg(all(unix, target_pointer_width = "64", target_endian = "little"))]
mod imp {
    use std::fs::File;
    use std::io;
    use std::os::raw::{c_int, c_void};
    use std::os::unix::io::AsRawFd;

    // The same values on Linux and macOS.
    const PROT_READ: c_int = 1;
    const MAP_SHARED: c_int = 1;
    const MADV_RANDOM: c_int = 1;
    const MADV_DONTNEED: c_int = 4;

    extern "C" {
        fn mmap(addr: *mut c_void, len: usize, prot: c_int, flags: c_int, fd: c_int, offset: i64) -> *mut c_void;
        fn munmap(addr: *mut c_void, len: usize) -> c_int;
        fn madvise(addr: *mut c_void, len: usize, advice: c_int) -> c_int;
        fn sysconf(name: c_int) -> std::os::raw::c_long;
    }

    pub fn map(file: &File, len: usize) -> io::Result<Option<(*const u8, usize)>> {
        // SAFETY: a fresh read-only shared map of an open descriptor; the kernel picks the
        // address. The descriptor may be closed afterwards: the map keeps the file.
        let ptr = unsafe { mmap(std::ptr::null_mut(), len, PROT_READ, MAP_SHARED, file.as_raw_fd(), 0) };
        if ptr as usize == usize::MAX {
            return Err(io::Error::last_os_error());
        }
        Ok(Some((ptr as *const u8, len)))
    }

    pub fn read_at(file: &File, offset: u64, buf: &mut [u8]) -> io::Result<()> {
        use std::os::unix::fs::FileExt;
        file.read_exact_at(buf, offset)
    }

    pub fn unmap(ptr: *const u8, len: usize) {
        // SAFETY: exactly the range `map` returned, unmapped once (Drop).
        unsafe {
            munmap(ptr as *mut c_void, len);
        }
    }

    pub fn advise_random(ptr: *const u8, len: usize) {
        // SAFETY: advice on the map's own range; it changes how pages are read, never
        // their contents, and its result is ignored.
        unsafe {
            madvise(ptr as *mut c_void, len, MADV_RANDOM);
        }
    }

    pub fn release_pages(ptr: *const u8, len: usize) {
        // _SC_PAGESIZE differs between systems; elsewhere nothing is released.
        let name: c_int = if cfg!(target_os = "linux") {
            30
        } else if cfg!(target_os = "macos") {
            29
        } else {
            return;
        };
        // SAFETY: sysconf has no preconditions.
        let page = usize::try_from(unsafe { sysconf(name) }).unwrap_or(0);
        if page == 0 || !page.is_power_of_two() {
            return;
        }
        let start = (ptr as usize).next_multiple_of(page);
        let end = (ptr as usize + len) & !(page - 1);
        if end <= start {
            return;
        }
        // SAFETY: [start, end) lies inside a live read-only shared map of a file. DONTNEED
        // on such a map drops page-table entries only: nothing was written through it, and
        // the next read maps the same page-cache page again.
        unsafe {
            madvise(start as *mut c_void, end - start, MADV_DONTNEED);
        }
    }
}

#[cfg(not(all(unix, target_pointer_width = "64", target_endian = "little")))]
mod imp {
    use std::fs::File;
    use std::io;

    pub fn map(_file: &File, _len: usize) -> io::Result<Option<(*const u8, usize)>> {
        Ok(None)
    }
    pub fn read_at(_file: &File, _offset: u64, _buf: &mut [u8]) -> io::Result<()> {
        Err(io::Error::other("no maps on this target"))
    }
    pub fn unmap(_ptr: *const u8, _len: usize) {}
    pub fn advise_random(_ptr: *const u8, _len: usize) {}
    pub fn release_pages(_ptr: *const u8, _len: usize) {}
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn maps_a_file_and_hands_out_aligned_floats_inside_it_only() {
        let path = std::env::temp_dir().join(format!("vl-map-{}", std::process::id()));
        let mut f = File::create(&path).unwrap();
        let floats: Vec<u8> = [1.5f32, -2.0, 3.25].iter().flat_map(|x| x.to_le_bytes()).collect();
        f.write_all(&floats).unwrap();
        drop(f);
        let file = File::open(&path).unwrap();
        let Some(map) = Mapping::of_file(&file).unwrap() else {
            return; // a target without maps
        };
        drop(file);
        // The file goes; the map keeps its pages.
        std::fs::remove_file(&path).unwrap();
        assert_eq!(map.floats(0, 3), Some(&[1.5f32, -2.0, 3.25][..]));
        assert_eq!(map.floats(4, 2), Some(&[-2.0f32, 3.25][..]));
        assert_eq!(map.floats(4, 3), None, "past the end");
        assert_eq!(map.floats(2, 1), None, "misaligned");
        assert_eq!(map.floats(usize::MAX - 2, 1), None);
        map.advise_random();
        assert_eq!(map.bytes().len(), 12);
    }

    /// Resident kilobytes of the mappings of `path` in this process (/proc/self/smaps).
    #[cfg(target_os = "linux")]
    fn resident_kb_of(path: &std::path::Path) -> u64 {
        let smaps = std::fs::read_to_string("/proc/self/smaps").unwrap();
        let name = path.to_str().unwrap();
        let mut inside = false;
        let mut kb = 0;
        for line in smaps.lines() {
            // A mapping's header is "start-end perms offset dev inode [path]"; its fields follow.
            let fields: Vec<&str> = line.split_whitespace().collect();
            if fields.len() >= 5 && fields[0].contains('-') && fields[0].chars().all(|c| c.is_ascii_hexdigit() || c == '-') {
                inside = fields.last() == Some(&name);
            } else if inside && fields.first() == Some(&"Rss:") {
                kb += fields[1].parse::<u64>().unwrap();
            }
        }
        kb
    }

    #[test]
    #[cfg(target_os = "linux")]
    fn released_pages_leave_the_resident_set_and_read_back_the_same() {
        let path = std::env::temp_dir().join(format!("vl-release-{}", std::process::id()));
        let words: Vec<u32> = (0..1u32 << 20).map(|i| i.wrapping_mul(2_654_435_761)).collect();
        let bytes: Vec<u8> = words.iter().flat_map(|w| w.to_le_bytes()).collect();
        std::fs::write(&path, &bytes).unwrap();
        let file = File::open(&path).unwrap();
        let map = Mapping::of_file(&file).unwrap().unwrap();
        let slice = MappedSlice::<u32>::new(map, 0, words.len()).unwrap();
        let sum = |s: &[u32]| s.iter().fold(0u32, |a, &w| a.wrapping_add(w));
        let expected = sum(&words);
        assert_eq!(sum(slice.as_slice()), expected);
        let before = resident_kb_of(&path);
        assert!(before >= 4000, "all 4 MiB were read through the map: {before} kB resident");
        slice.release_pages();
        let after = resident_kb_of(&path);
        assert!(after < 100, "{after} kB still resident after the release");
        assert_eq!(sum(slice.as_slice()), expected, "read again through the map");
        drop(slice);
        std::fs::remove_file(&path).unwrap();
    }
}
