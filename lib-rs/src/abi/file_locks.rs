//! Advisory locks on files other than a database's own, held for TypeScript: a tool that
//! reads another program's files (the Python package's `.vdb`, say) takes that program's
//! shared lock so its writer cannot replace them mid-read. Handles are registry integers,
//! like database handles: a stale or made-up number is `CLOSED`, never undefined behaviour.

use super::{run, str_arg, Output};
use crate::error::{Code, Error, Result};
use crate::storage::lock::LockFile;
use crate::storage::os::LockKind;
use std::collections::HashMap;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, OnceLock};

/// The high bits tag what kind of object a handle names ("LK": a file lock).
const LOCK_TAG: u64 = 0x4C4B_0000_0000_0000;

fn registry() -> &'static Mutex<HashMap<u64, LockFile>> {
    static REG: OnceLock<Mutex<HashMap<u64, LockFile>>> = OnceLock::new();
    REG.get_or_init(|| Mutex::new(HashMap::new()))
}

static NEXT: AtomicU64 = AtomicU64::new(1);

/// Takes a shared lock on `path` (created empty if missing), without waiting: `LOCKED`
/// while another process holds it exclusively.
pub fn lock_shared(path: &Path) -> Result<u64> {
    let lock = LockFile::acquire(path, LockKind::Shared)?;
    let handle = LOCK_TAG | NEXT.fetch_add(1, Ordering::Relaxed);
    registry().lock().unwrap_or_else(|p| p.into_inner()).insert(handle, lock);
    Ok(handle)
}

/// Releases a lock taken by `lock_shared`; `CLOSED` if the handle names none.
pub fn unlock(handle: u64) -> Result<()> {
    let lock = registry().lock().unwrap_or_else(|p| p.into_inner()).remove(&handle);
    match lock {
        Some(lock) => {
            drop(lock);
            Ok(())
        }
        None => Err(Error::new(Code::Closed, "the file lock was released already")),
    }
}

/// Takes a shared advisory lock on the file at `path`; the scalar is its handle.
///
/// # Safety
/// The pointer/length pair must describe readable memory; `out` three writable u64.
#[no_mangle]
pub unsafe extern "C" fn vl_lock_shared(path: *const u8, path_len: usize, out: *mut u64) -> i32 {
    run(out, || {
        // SAFETY: forwarded caller contract.
        let path = unsafe { str_arg(path, path_len, "path")? };
        if path.contains('\0') {
            return Err(Error::invalid("path contains a NUL character"));
        }
        Ok(Output::Scalar(lock_shared(Path::new(path))?))
    })
}

/// Releases a lock taken by `vl_lock_shared`.
///
/// # Safety
/// `out` must point at three writable u64.
#[no_mangle]
pub unsafe extern "C" fn vl_unlock(handle: u64, out: *mut u64) -> i32 {
    run(out, || unlock(handle).map(|_| Output::Unit))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_shared_lock_keeps_a_writer_out_until_released() {
        let dir = std::env::temp_dir().join(format!("vl-file-lock-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("other.vdb.lock");
        let first = lock_shared(&path).unwrap();
        let second = lock_shared(&path).unwrap();
        assert_eq!(LockFile::acquire(&path, LockKind::Exclusive).err().unwrap().code, Code::Locked);
        unlock(first).unwrap();
        assert_eq!(LockFile::acquire(&path, LockKind::Exclusive).err().unwrap().code, Code::Locked);
        unlock(second).unwrap();
        assert!(LockFile::acquire(&path, LockKind::Exclusive).is_ok());
        assert_eq!(unlock(second).unwrap_err().code, Code::Closed);
        assert_eq!(unlock(12345).unwrap_err().code, Code::Closed);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
