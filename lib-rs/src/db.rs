//! A database: namespaces of records, the write path (validate, log to the WAL, apply in
//! memory) and the life cycle (open with recovery, compact, close). Reads live in
//! `search/`.

mod compaction;
mod in_place;
mod undo;

use crate::error::{Code, Error, Result};
use crate::namespace::Namespace;
use crate::progress::{self, Phase, Tally};
use crate::record::{Upsert, WalOp};
use crate::storage::format::{self, SnapshotHeader, SnapshotIdentity, Unverified};
use crate::storage::lock::LockFile;
use crate::storage::os::{self, LockKind};
use crate::storage::recovery;
use crate::storage::wal::{SyncMode, Wal, WalBase};
use crate::storage::source::Source;
use crate::storage::vfs::{OsVfs, Vfs};
use crate::storage::files::{lock_snapshot_file, refuse_log_beside_other_name, remove_stale_temps, write_atomically};
use crate::storage::{show, DbPaths};
use crate::vector::hnsw::HnswParams;
use crate::vector::quantize::Quantizations;
use crate::vector::space::VectorSpace;
use crate::vector::Metric;
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

/// Longest id accepted, in bytes.
pub const MAX_ID_LEN: usize = 4096;
/// Largest dimension accepted.
pub const MAX_DIMENSION: usize = 65_536;
/// A transaction of at least this many operations hands its freed memory back afterwards.
const LARGE_TRANSACTION: usize = 1_000;

/// The WAL is folded into the snapshot automatically once it is larger than this and
/// larger than the snapshot itself, so a process that only writes stays bounded on disk
/// and each compaction's cost is amortised over at least as many bytes of writes.
pub const AUTO_COMPACT_MIN_WAL_BYTES: u64 = 64 << 20;

/// Below this many records a namespace is searched exactly (API.md's default).
pub const DEFAULT_ANN_THRESHOLD: usize = 128;

pub use crate::storage::files::write_file_durably;
pub use crate::validate::{check_finite, validate_id, validate_write_namespace};

#[derive(Debug, Clone)]
pub struct OpenOptions {
    pub dimension: Option<usize>,
    pub metric: Option<Metric>,
    pub read_only: bool,
    pub sync: SyncMode,
    /// Parameters for graphs built from now on (a stored graph keeps its own).
    pub hnsw: HnswParams,
    /// The default search effort; None = adaptive (grows with k).
    pub ef_search: Option<usize>,
    /// A namespace gets a graph once it holds more than this many records.
    pub ann_threshold: usize,
    /// The text analyzer the database is built with (its JSON form), fixed at creation and
    /// stored in the file, so `upsertText`/`searchText` use the same one on every open.
    pub analyzer: Option<String>,
    /// Which vector spaces keep quantized codes: stored at creation; on an existing file it
    /// must equal what is stored (a compaction converts).
    pub quantization: Option<Quantizations>,
}

impl Default for OpenOptions {
    fn default() -> Self {
        OpenOptions {
            dimension: None,
            metric: None,
            read_only: false,
            sync: SyncMode::Full,
            hnsw: HnswParams::default(),
            ef_search: None,
            ann_threshold: DEFAULT_ANN_THRESHOLD,
            analyzer: None,
            quantization: None,
        }
    }
}

pub struct Database {
    paths: DbPaths,
    pub dimension: usize,
    pub metric: Metric,
    pub read_only: bool,
    pub namespaces: BTreeMap<String, Namespace>,
    /// Dimension of each named vector space, fixed on first use.
    pub named_dims: BTreeMap<String, usize>,
    /// The dimension of each multi-vector space, fixed by its first write.
    pub multi_dims: BTreeMap<String, usize>,
    /// The analyzer stored in the file (JSON), or None for the default English one.
    pub analyzer: Option<String>,
    /// `analyzer`, parsed once: it turns the `text` of written records into their terms.
    text_analyzer: Arc<crate::text::Analyzer>,
    /// Which vector spaces keep quantized codes (stored in the file).
    pub quantization: Quantizations,
    /// A large section of the file used in place whose checksum the open left to `check`
    /// (verified, at the latest, before anything is written from it).
    unverified: std::sync::Mutex<Vec<Unverified>>,
    wal: Option<Wal>,
    /// Where the .vdb, WAL and temp file live: the OS, or a simulated disk in tests.
    fs: Arc<dyn Vfs>,
    /// The writer's lock (None for a read-only handle).
    _lock: Option<LockFile>,
    /// The writer's lock on the snapshot file itself, so that a second path to the same
    /// file (a hard link) cannot open a second writer either. Taken again on each new file
    /// a compaction renames into place.
    file_lock: Option<LockFile>,
    pub hnsw: HnswParams,
    pub ef_search: Option<usize>,
    pub ann_threshold: usize,
    /// Graphs built from scratch since open (a graph loaded from the file is not counted).
    pub index_builds: usize,
    /// Vectors wait for the background catch-up (catch_up.rs): commits leave the graphs to it.
    pub catching_up: bool,
    /// Upserts in the WAL (not in the snapshot): what the next open must insert into graphs.
    upserts_since_snapshot: usize,
    /// Graphs loaded from the snapshot at open.
    pub indexes_loaded: usize,
    /// Last WAL sequence inside the snapshot file.
    snapshot_seq: u64,
    /// The snapshot file's database and snapshot ids (zero for format version 1).
    identity: SnapshotIdentity,
    snapshot_len: u64,
    next_seq: u64,
    /// While a bulk ingest that may be aborted runs: how to undo its writes (undo.rs).
    undo: Option<undo::UndoLog>,
    /// Where int8 spaces keep the vectors written since the snapshot (storage/spill.rs):
    /// the database's directory, for a writer on the OS's file system; else None (memory).
    pub spill_dir: Option<Arc<Path>>,
}

impl Database {
    /// The analyzer that turns a written record's `text` into its sparse terms.
    pub fn text_analyzer(&self) -> Arc<crate::text::Analyzer> {
        self.text_analyzer.clone()
    }

    /// Opens or creates the database at `path`.
    pub fn open(path: &Path, opts: OpenOptions) -> Result<Database> {
        Database::open_in(Arc::new(OsVfs), path, opts)
    }

    /// Opens or creates the database at `path` on the file system `fs`.
    pub fn open_in(fs: Arc<dyn Vfs>, path: &Path, opts: OpenOptions) -> Result<Database> {
        if path.as_os_str().is_empty() {
            return Err(Error::invalid("path is empty"));
        }
        // Every path to one file (a symbolic link, a relative path, `..`) names the same log,
        // lock and temporary files: they are derived from the file's real path.
        let real = crate::storage::real_path(path)?;
        refuse_log_beside_other_name(path, &real)?;
        let path = real.as_path();
        let shown = show(path);
        if path.is_dir() {
            return Err(Error::new(Code::Io, format!("{shown} is a directory, not a database file")));
        }
        let paths = DbPaths::new(path);
        let exists = fs.exists(path);
        if !exists && opts.read_only {
            return Err(Error::new(Code::NotFound, format!("{shown} does not exist (a read-only handle cannot create it)")));
        }
        if !exists && opts.dimension.is_none() {
            return Err(Error::invalid(format!("{shown} does not exist: pass `dimension` to create it")));
        }
        if !exists {
            if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
                if !parent.is_dir() {
                    return Err(Error::new(Code::Io, format!("cannot create {shown}: directory {} does not exist", show(parent))));
                }
            }
        }
        // One writer at a time; readers take no lock: they read a consistent state beside it.
        let lock = if opts.read_only { None } else { Some(LockFile::acquire(&paths.lock, LockKind::Exclusive)?) };
        if lock.is_some() {
            remove_stale_temps(&*fs, &paths);
        }

        // Under the lock: create the file if it is (still) missing, then load it.
        if !opts.read_only && !fs.exists(path) {
            let metric = opts.metric.unwrap_or(Metric::Cosine);
            let dimension = opts.dimension.unwrap_or(1) as u32;
            let identity = SnapshotIdentity::new_database();
            let quantization = opts.quantization.clone().unwrap_or_else(Quantizations::for_new_database);
            let header = SnapshotHeader { dimension, metric, last_seq: 0, analyzer: opts.analyzer.clone(), quantization, identity };
            let bytes = format::encode(&header, &BTreeMap::new(), &BTreeMap::new());
            // A WAL left behind by an earlier database of the same name must not replay
            // (it could not: it names another database; but it would stop the open).
            fs.remove(&paths.wal).map_err(|e| Error::io("cannot remove stale WAL", &show(&paths.wal), e))?;
            write_atomically(&*fs, &paths, &bytes)?;
        }
        // Before anything is read or written: a writer through another path to this file
        // must find it taken.
        let file_lock = if opts.read_only { None } else { lock_snapshot_file(&*fs, path)? };
        let mut attempts = 0;
        let mut db = loop {
            let (source, loaded) = Database::load(fs.clone(), path, &paths, &opts);
            // A reader can race the writer's compaction, which renames a new .vdb into place
            // and then empties the WAL: if the file was replaced while the snapshot and the
            // WAL were read, they may not belong together, so read both again. (The WAL is
            // emptied only after the rename, so an unchanged file means a matching WAL.) The
            // file read stays open until this check: closed, its inode number could be reused
            // by the next compaction's file and pass for the same file.
            let identity = source.as_ref().and_then(|s| s.identity());
            let replaced = opts.read_only && identity.is_some() && fs.identity(path) != identity;
            drop(source);
            if replaced && attempts < 100 {
                attempts += 1;
                continue;
            }
            break loaded?;
        };
        db._lock = lock;
        // A version 1 file was compacted at open: the new file is locked already.
        if db.file_lock.is_none() {
            db.file_lock = file_lock;
        }
        // Records replayed from the WAL join the loaded graphs now if few (see catch_up.rs).
        db.catching_up = db.settle_indexes_at_open();
        db.advise_walked_pages();
        os::release_free_memory();
        Ok(db)
    }

    /// Reads the snapshot and replays the WAL. Also returns the .vdb it read, still open, so
    /// a reader can tell whether a compaction replaced it meanwhile.
    fn load(fs: Arc<dyn Vfs>, path: &Path, paths: &DbPaths, opts: &OpenOptions) -> (Option<Box<dyn Source>>, Result<Database>) {
        let mut opened = None;
        let result = Database::load_into(fs, path, paths, opts, &mut opened);
        (opened, result)
    }

    fn load_into(fs: Arc<dyn Vfs>, path: &Path, paths: &DbPaths, opts: &OpenOptions, opened: &mut Option<Box<dyn Source>>) -> Result<Database> {
        let shown = show(path);
        let source = match fs.open_source(path) {
            Ok(Some(src)) => src,
            Ok(None) => return Err(Error::new(Code::Io, format!("{shown} vanished while opening"))),
            Err(e) => return Err(Error::io("cannot read", &shown, e)),
        };
        let snapshot_len = source.len();
        let snap = format::read(&mut **opened.insert(source), &shown)?;
        let dimension = snap.header.dimension as usize;
        if let Some(d) = opts.dimension {
            if d != dimension {
                return Err(Error::new(
                    Code::DimensionMismatch,
                    format!("{shown} has dimension {dimension}, but dimension {d} was requested"),
                ));
            }
        }
        if let Some(m) = opts.metric {
            if m != snap.header.metric {
                return Err(Error::invalid(format!(
                    "{shown} uses metric {:?}, but {:?} was requested (the metric is fixed at creation)",
                    snap.header.metric.name(),
                    m.name()
                )));
            }
        }
        if let Some(wanted) = &opts.analyzer {
            // A database without a stored analyzer uses the default English one.
            let stored = snap.header.analyzer.clone().unwrap_or_else(|| crate::text::Analyzer::english().to_json());
            if *wanted != stored {
                return Err(Error::invalid(format!(
                    "{shown} was built with analyzer {stored}, but {wanted} was requested (the analyzer is fixed at creation)"
                )));
            }
        }
        if let Some(wanted) = &opts.quantization {
            if *wanted != snap.header.quantization {
                return Err(Error::invalid(format!(
                    "{shown} keeps quantization {}, but {} was requested (compact({{ quantization }}) converts a database)",
                    snap.header.quantization.to_json(),
                    wanted.to_json()
                )));
            }
        }
        // The snapshot reader has already refused a stored analyzer that does not parse.
        let text_analyzer = Arc::new(match &snap.header.analyzer {
            None => crate::text::Analyzer::english(),
            Some(stored) => crate::text::Analyzer::parse(stored.as_bytes())
                .map_err(|e| Error::new(Code::Corrupt, format!("{shown}: the stored analyzer: {}", e.message)))?,
        });
        let fs_is_real = fs.is_real();
        let mut db = Database {
            quantization: snap.header.quantization.clone(),
            unverified: std::sync::Mutex::new(snap.unverified),
            analyzer: snap.header.analyzer.clone(),
            text_analyzer,
            paths: paths.clone(),
            dimension,
            metric: snap.header.metric,
            read_only: opts.read_only,
            namespaces: BTreeMap::new(),
            named_dims: snap.named_dims,
            multi_dims: BTreeMap::new(),
            wal: None,
            fs,
            _lock: None,
            file_lock: None,
            snapshot_seq: snap.header.last_seq,
            identity: snap.header.identity,
            snapshot_len,
            next_seq: snap.header.last_seq + 1,
            hnsw: opts.hnsw,
            ef_search: opts.ef_search,
            ann_threshold: opts.ann_threshold,
            index_builds: 0,
            catching_up: false,
            undo: None,
            indexes_loaded: 0,
            upserts_since_snapshot: 0,
            spill_dir: spill_dir_of(fs_is_real, opts.read_only, path),
        };
        for loaded in snap.namespaces {
            let main = VectorSpace::load(dimension, loaded.vectors, loaded.inv_norms, loaded.codes);
            let mut ns = Namespace::load(dimension, loaded.records, main, loaded.sparse, loaded.ids, !db.named_dims.is_empty())?;
            ns.restore_expiry(&loaded.expiry);
            for (name, space) in &loaded.multi {
                db.multi_dims.insert(name.clone(), space.dim());
            }
            ns.restore_multi(loaded.multi);
            // Before the graphs are adopted: a quantized space learns its codes then.
            ns.apply_quantization(&db.quantization, db.spill_dir.as_ref());
            if let Some(graph) = loaded.index {
                ns.set_index("", graph);
                db.indexes_loaded += 1;
            }
            for (space, graph) in loaded.named_indexes {
                ns.set_index(&space, graph);
                db.indexes_loaded += 1;
            }
            db.namespaces.insert(loaded.name, ns);
        }
        db.replay_wal(opts.sync)?;
        Ok(db)
    }

    /// Verifies what the open left unverified (the checksum of a large section used in
    /// place); returns the bytes verified (0 when everything was verified at open).
    pub fn check(&self) -> Result<u64> {
        let mut pending = self.unverified.lock().unwrap_or_else(|e| e.into_inner());
        let mut tally = Tally::new(Phase::Verify, Some(pending.iter().map(|s| s.len).sum()));
        let mut verified = 0;
        while let Some(section) = pending.last() {
            section.verify(&show(&self.paths.main))?;
            verified += section.len;
            let len = section.len;
            pending.pop();
            if !tally.add(len) {
                return Err(progress::aborted("verifying"));
            }
        }
        // Every stored record decodes (once per handle: the bytes never change).
        for ns in self.namespaces.values() {
            ns.verify_records()?;
        }
        Ok(verified)
    }

    /// Brings every graph (main and named, in every namespace) up to date with the records,
    /// building a graph for a vector space that holds more than `ann_threshold` vectors.
    /// Inside a job, reports its progress and stops early (vectors left waiting, scored
    /// exactly) once the job was cancelled.
    pub fn update_indexes(&mut self) {
        let mut tally = Tally::new(Phase::Index, Some(self.index_backlog() as u64));
        for ns in self.namespaces.values_mut() {
            if progress::cancelled() {
                return;
            }
            ns.apply_quantization(&self.quantization, self.spill_dir.as_ref());
            self.index_builds += ns.update_indexes(self.hnsw, self.metric, self.ann_threshold, &mut tally);
        }
    }

    /// Drops tombstones and renumbers slots densely in every namespace (graphs repaired,
    /// not rebuilt), so the snapshot can store the graphs as they are. Does nothing more
    /// once the current job was cancelled.
    /// `CORRUPT` (a namespace left as it was) if a stored record does not decode.
    pub fn compact_memory(&mut self) -> Result<()> {
        self.update_indexes();
        if progress::cancelled() {
            return Ok(());
        }
        let (metric, now) = (self.metric, crate::expiry::now_ms());
        for ns in self.namespaces.values_mut() {
            if ns.has_dead_slots() || ns.expiry().any_due(now) {
                *ns = ns.compacted(metric, now)?;
            }
        }
        self.namespaces.retain(|_, ns| !ns.is_empty());
        Ok(())
    }

    fn replay_wal(&mut self, sync: SyncMode) -> Result<()> {
        let wal_shown = show(&self.paths.wal);
        let main_shown = show(&self.paths.main);
        let wal_bytes = self.fs.read(&self.paths.wal).map_err(|e| Error::io("cannot read", &wal_shown, e))?;
        let beside = recovery::Beside { file: &main_shown, identity: self.identity, seq: self.snapshot_seq };
        let recovered = match wal_bytes {
            Some(bytes) => recovery::read_wal(&bytes, &wal_shown, &beside)?,
            None => recovery::Recovered { last_seq: self.snapshot_seq, ..Default::default() },
        };
        for txn in recovered.transactions {
            for op in txn {
                self.validate_replayed(&op, &wal_shown)?;
                self.upserts_since_snapshot += matches!(op, WalOp::Upsert(_)) as usize;
                self.apply(op);
            }
        }
        self.next_seq = recovered.last_seq + 1;
        if self.read_only {
            return Ok(());
        }
        let mut valid_len = recovered.valid_len;
        if self.identity.is_legacy() {
            // A file of format version 1 names no snapshot for its log to continue: a writer
            // folds the log into a snapshot of the current format at once, and starts the log
            // afresh, so from here on every log names its snapshot. If that compaction fails
            // (a full disk), the database opens as it is and the next compaction upgrades it;
            // a log holding nothing past the snapshot is started afresh all the same, so the
            // next frame never follows older ones out of sequence.
            if self.compact().is_ok() || recovered.transactions_replayed == 0 {
                valid_len = 0;
            }
        }
        self.wal = Some(Wal::open(&*self.fs, &self.paths.wal, valid_len, self.wal_base(), sync)?);
        Ok(())
    }

    /// What a log started now continues: the current snapshot.
    fn wal_base(&self) -> WalBase {
        WalBase { database: self.identity.database, snapshot: self.identity.snapshot, seq: self.snapshot_seq }
    }

    /// A frame that passed its checksum but does not fit this database is damage.
    fn validate_replayed(&mut self, op: &WalOp, file: &str) -> Result<()> {
        if let WalOp::SetMultiVectors { id, spaces, .. } = op {
            for s in spaces {
                let dim = *self.multi_dims.entry(s.name.clone()).or_insert(s.dim);
                if dim != s.dim {
                    return Err(Error::corrupt(file, 0, format!("multi-vectors {:?} of {id:?} have dimension {}, the space {dim}", s.name, s.dim)));
                }
            }
        }
        if let WalOp::Upsert(u) = op {
            if u.vector.len() != self.dimension {
                return Err(Error::corrupt(file, 0, format!("record {:?} has dimension {}", u.record.id, u.vector.len())));
            }
            for (name, v) in &u.record.vectors {
                let dim = *self.named_dims.entry(name.clone()).or_insert(v.len());
                if dim != v.len() {
                    return Err(Error::corrupt(file, 0, format!("named vector {name:?} of {:?} has dimension {}", u.record.id, v.len())));
                }
            }
        }
        Ok(())
    }

    pub fn path(&self) -> &Path {
        &self.paths.main
    }

    /// The database's files (derived from its real path).
    pub fn paths(&self) -> &DbPaths {
        &self.paths
    }

    fn writable(&self) -> Result<()> {
        if self.read_only {
            return Err(Error::new(Code::ReadOnly, format!("{} was opened read-only", show(&self.paths.main))));
        }
        Ok(())
    }

    /// Logs `ops` as one transaction, then applies them. Nothing is applied if logging fails.
    pub fn commit(&mut self, ops: Vec<WalOp>) -> Result<()> {
        self.commit_with(ops, false)
    }

    fn commit_with(&mut self, ops: Vec<WalOp>, defer_index: bool) -> Result<()> {
        self.writable()?;
        if ops.is_empty() {
            return Ok(());
        }
        let ops = with_extra_ops(ops);
        self.refuse_damaged_targets(&ops)?;
        let wal = self.wal.as_mut().ok_or_else(|| Error::new(Code::Internal, "no WAL on a writable handle"))?;
        self.next_seq = wal.append_transaction(&ops, self.next_seq)?;
        self.record_undo(&ops);
        let large = ops.len() >= LARGE_TRANSACTION;
        self.upserts_since_snapshot += ops.iter().filter(|op| matches!(op, WalOp::Upsert(_))).count();
        for op in ops {
            self.apply(op);
        }
        if !defer_index && !self.catching_up {
            self.update_indexes();
        }
        // The commit is durable and applied: a failed automatic compaction (a full disk)
        // must not report it as failed. The WAL keeps everything; the next commit retries.
        let _ = self.maybe_auto_compact();
        if large {
            os::release_free_memory();
        }
        Ok(())
    }

    /// `CORRUPT` before anything is logged when an operation needs the stored record it
    /// targets and that record does not decode: a metadata merge (it merges into the old
    /// metadata), and any operation of a transaction (its rollback restores the old record).
    /// Replacing or deleting such a record outside a transaction is allowed: it repairs it.
    fn refuse_damaged_targets(&self, ops: &[WalOp]) -> Result<()> {
        for op in ops {
            let (namespace, id, needs_old) = match op {
                WalOp::Upsert(u) => (&u.namespace, &u.record.id, false),
                WalOp::UpdateMetadata { namespace, id, .. } => (namespace, id, true),
                WalOp::Delete { namespace, id } | WalOp::SetExpiry { namespace, id, .. } | WalOp::SetMultiVectors { namespace, id, .. } => (namespace, id, false),
            };
            if !needs_old && self.undo.is_none() {
                continue;
            }
            let Some(ns) = self.namespaces.get(namespace) else { continue };
            if let Some(slot) = ns.slot_of(id) {
                if ns.record(slot).is_none() {
                    return Err(ns.damage().unwrap_or_else(|| Error::new(Code::Internal, format!("record {id:?} is listed but not stored"))));
                }
            }
        }
        Ok(())
    }

    fn apply(&mut self, op: WalOp) {
        match op {
            WalOp::Upsert(Upsert { namespace, record, vector, expires_at, .. }) => {
                for (name, v) in &record.vectors {
                    self.named_dims.entry(name.clone()).or_insert(v.len());
                }
                let dim = self.dimension;
                self.namespaces.entry(namespace).or_insert_with(|| Namespace::new(dim)).upsert_until(record, &vector, expires_at);
            }
            WalOp::Delete { namespace, id } => {
                if let Some(ns) = self.namespaces.get_mut(&namespace) {
                    ns.delete(&id);
                    if ns.is_empty() {
                        self.namespaces.remove(&namespace);
                    }
                }
            }
            WalOp::UpdateMetadata { namespace, id, patch } => {
                if let Some(ns) = self.namespaces.get_mut(&namespace) {
                    ns.update_metadata(&id, patch);
                }
            }
            WalOp::SetExpiry { namespace, id, at } => {
                if let Some(ns) = self.namespaces.get_mut(&namespace) {
                    ns.set_expiry(&id, at);
                }
            }
            WalOp::SetMultiVectors { namespace, id, spaces } => {
                for s in &spaces {
                    self.multi_dims.entry(s.name.clone()).or_insert(s.dim);
                }
                if let Some(ns) = self.namespaces.get_mut(&namespace) {
                    ns.set_multi(&id, &spaces);
                }
            }
        }
    }

    fn maybe_auto_compact(&mut self) -> Result<()> {
        let wal_len = self.wal.as_ref().map_or(0, |w| w.len());
        if wal_len > AUTO_COMPACT_MIN_WAL_BYTES && wal_len > self.snapshot_len {
            self.compact()?;
        }
        Ok(())
    }

    /// Inserts or replaces records as one transaction; `insert_only` refuses existing ids
    /// (all or nothing).
    pub fn upsert_many(&mut self, items: Vec<Upsert>, insert_only: bool) -> Result<usize> {
        self.upsert_many_with(items, insert_only, false)
    }

    /// `upsert_many`; with `defer_index` the HNSW graphs are not brought up to date (a bulk
    /// ingest does that once, at its end, with `update_indexes`); searches meanwhile score
    /// the records that are not in a graph yet exactly, so none is missed.
    pub fn upsert_many_with(&mut self, items: Vec<Upsert>, insert_only: bool, defer_index: bool) -> Result<usize> {
        self.writable()?;
        self.validate_upserts(&items, insert_only)?;
        let n = items.len();
        self.commit_with(items.into_iter().map(WalOp::Upsert).collect(), defer_index)?;
        Ok(n)
    }

    /// Deletes the ids that exist; returns how many did.
    pub fn delete_many(&mut self, namespace: &str, ids: &[String]) -> Result<usize> {
        validate_write_namespace(namespace)?;
        self.delete_in(&[(namespace.to_string(), ids.to_vec())])
    }

    /// Deletes, in one transaction, the ids of each (namespace, ids) group that exist;
    /// returns how many did (an expired record is deleted too, but was gone already).
    pub fn delete_in(&mut self, groups: &[(String, Vec<String>)]) -> Result<usize> {
        self.writable()?;
        let now = crate::expiry::now_ms();
        let mut ops: Vec<WalOp> = Vec::new();
        let mut visible = 0;
        for (namespace, ids) in groups {
            let Some(ns) = self.namespaces.get(namespace) else { continue };
            let mut unique = std::collections::HashSet::new();
            for id in ids {
                let Some(slot) = ns.slot_of(id) else { continue };
                if unique.insert(id.as_str()) {
                    visible += usize::from(!ns.expiry().is_due(slot, now));
                    ops.push(WalOp::Delete { namespace: namespace.clone(), id: id.clone() });
                }
            }
        }
        self.commit(ops)?;
        Ok(visible)
    }

    /// Makes pending writes durable (with `sync: "normal"` they may not be yet).
    /// Closing: the WAL is synced; and when the next open would spend longer inserting the
    /// WAL's records into HNSW graphs than a compaction takes now (inserting costs about 50
    /// times more per record than writing one into the snapshot), the database is compacted
    /// first, as SQLite checkpoints its WAL when the last connection closes. A failed
    /// compaction loses nothing: the WAL still holds every write.
    pub fn close(&mut self) -> Result<()> {
        if self.should_compact_on_close() {
            let _ = self.compact();
        }
        self.sync()
    }

    fn should_compact_on_close(&self) -> bool {
        let has_graph = self.namespaces.values().any(|ns| ns.vectors().graph().is_some() || ns.named_spaces().values().any(|s| s.vectors().graph().is_some()));
        !self.read_only && has_graph && self.upserts_since_snapshot > 0 && self.upserts_since_snapshot * 50 >= self.total_records()
    }

    pub fn sync(&mut self) -> Result<()> {
        match self.wal.as_mut() {
            Some(wal) => wal.sync(),
            None => Ok(()),
        }
    }

    /// Bytes in the WAL (0 for a read-only handle).
    pub fn wal_len(&self) -> u64 {
        self.wal.as_ref().map_or(0, |w| w.len())
    }

    /// Records stored, expired or not.
    pub fn total_records(&self) -> usize {
        self.namespaces.values().map(|ns| ns.len()).sum()
    }
}


/// The operations to log for `ops`: an upsert with an expiry or multi-vectors is followed
/// by the `SetExpiry` and `SetMultiVectors` that give them (the upsert's own layout carries
/// neither), so a replay sets them all. The multi-vectors move into their operation.
fn with_extra_ops(ops: Vec<WalOp>) -> Vec<WalOp> {
    if !ops.iter().any(|op| matches!(op, WalOp::Upsert(u) if u.expires_at.is_some() || !u.multi.is_empty())) {
        return ops;
    }
    let mut out = Vec::with_capacity(ops.len() * 2);
    for mut op in ops {
        let (mut expiry, mut multi) = (None, None);
        if let WalOp::Upsert(u) = &mut op {
            expiry = u.expires_at.map(|at| WalOp::SetExpiry { namespace: u.namespace.clone(), id: u.record.id.clone(), at: Some(at) });
            if !u.multi.is_empty() {
                multi = Some(WalOp::SetMultiVectors { namespace: u.namespace.clone(), id: u.record.id.clone(), spaces: std::mem::take(&mut u.multi) });
            }
        }
        out.push(op);
        out.extend(expiry);
        out.extend(multi);
    }
    out
}

/// The directory a writer's spill files go in: the database's own (same file system, never
/// a RAM-backed temp directory), only on the OS's file system.
fn spill_dir_of(fs_is_real: bool, read_only: bool, path: &Path) -> Option<Arc<Path>> {
    if !fs_is_real || read_only {
        return None;
    }
    let dir = path.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
    Some(Arc::from(dir))
}
