//! The handle registry: integers that name open databases. A handle is looked up on every
//! call, so a stale, closed or made-up number is an error instead of undefined behaviour.

use crate::db::Database;
use crate::error::{Code, Error, Result};
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock, RwLock};

/// The high bits tag what kind of object a handle names.
const DB_TAG: u64 = 0x5644_0000_0000_0000; // "VD"

/// An open database. `None` once closed: calls that still hold the Arc see `CLOSED`.
pub type DbCell = RwLock<Option<Database>>;

fn registry() -> &'static Mutex<HashMap<u64, Arc<DbCell>>> {
    static REG: OnceLock<Mutex<HashMap<u64, Arc<DbCell>>>> = OnceLock::new();
    REG.get_or_init(|| Mutex::new(HashMap::new()))
}

static NEXT: AtomicU64 = AtomicU64::new(1);

pub fn register(db: Database) -> u64 {
    let handle = DB_TAG | NEXT.fetch_add(1, Ordering::Relaxed);
    registry().lock().unwrap_or_else(|p| p.into_inner()).insert(handle, Arc::new(RwLock::new(Some(db))));
    handle
}

fn closed() -> Error {
    Error::new(Code::Closed, "the database is closed")
}

pub fn lookup(handle: u64) -> Result<Arc<DbCell>> {
    registry().lock().unwrap_or_else(|p| p.into_inner()).get(&handle).cloned().ok_or_else(closed)
}

/// Removes the handle and returns the database it named (to be closed by the caller).
pub fn unregister(handle: u64) -> Result<Option<Database>> {
    let cell = registry().lock().unwrap_or_else(|p| p.into_inner()).remove(&handle).ok_or_else(closed)?;
    let mut guard = cell.write().unwrap_or_else(|p| p.into_inner());
    Ok(guard.take())
}

/// Runs `f` with shared access.
pub fn with_db<T>(handle: u64, f: impl FnOnce(&Database) -> Result<T>) -> Result<T> {
    let cell = lookup(handle)?;
    let guard = cell.read().unwrap_or_else(|p| p.into_inner());
    f(guard.as_ref().ok_or_else(closed)?)
}

/// Runs `f` with exclusive access.
pub fn with_db_mut<T>(handle: u64, f: impl FnOnce(&mut Database) -> Result<T>) -> Result<T> {
    let cell = lookup(handle)?;
    let mut guard = cell.write().unwrap_or_else(|p| p.into_inner());
    f(guard.as_mut().ok_or_else(closed)?)
}
