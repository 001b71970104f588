//! Where a snapshot is read from: a file, read one section at a time so that opening a
//! database never holds the whole file in memory next to the structures decoded from it,
//! or bytes already in memory (tests, backups being verified).

use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};

pub trait Source {
    /// The total length in bytes.
    fn len(&self) -> u64;
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// Which file this is (device and inode, or volume and file index), where the OS says.
    fn identity(&self) -> Option<(u64, u64)> {
        None
    }
    /// Fills `buf` with the bytes at `offset` (the caller keeps within `len`).
    fn read_at(&mut self, offset: u64, buf: &mut [u8]) -> io::Result<()>;
    /// The whole file mapped read-only, where maps are used (`mapping.rs`); None otherwise.
    fn map(&self) -> Option<std::sync::Arc<super::mapping::Mapping>> {
        None
    }

    /// `len` bytes at `offset`, in a new buffer.
    fn read_vec(&mut self, offset: u64, len: usize) -> io::Result<Vec<u8>> {
        let mut buf = vec![0u8; len];
        self.read_at(offset, &mut buf)?;
        Ok(buf)
    }
}

pub struct SliceSource<'a>(pub &'a [u8]);

impl Source for SliceSource<'_> {
    fn len(&self) -> u64 {
        self.0.len() as u64
    }
    fn read_at(&mut self, offset: u64, buf: &mut [u8]) -> io::Result<()> {
        let start = usize::try_from(offset).map_err(|_| io::Error::from(io::ErrorKind::UnexpectedEof))?;
        let bytes = start.checked_add(buf.len()).and_then(|end| self.0.get(start..end));
        let bytes = bytes.ok_or_else(|| io::Error::from(io::ErrorKind::UnexpectedEof))?;
        buf.copy_from_slice(bytes);
        Ok(())
    }
}

pub struct FileSource {
    file: File,
    len: u64,
}

impl FileSource {
    pub fn new(file: File) -> io::Result<FileSource> {
        let len = file.metadata()?.len();
        Ok(FileSource { file, len })
    }
}

impl Source for FileSource {
    fn len(&self) -> u64 {
        self.len
    }
    fn identity(&self) -> Option<(u64, u64)> {
        super::os::file_identity(&self.file)
    }
    fn map(&self) -> Option<std::sync::Arc<super::mapping::Mapping>> {
        // A file that cannot be mapped is read instead.
        super::mapping::Mapping::of_file(&self.file).ok().flatten()
    }
    fn read_at(&mut self, offset: u64, buf: &mut [u8]) -> io::Result<()> {
        self.file.seek(SeekFrom::Start(offset))?;
        self.file.read_exact(buf)
    }
}
