//! The one error type of the core. Each variant's code is stable: it crosses the C ABI
//! as an integer and becomes `VectLiteError.code` in TypeScript (see `ffi/symbols.ts`).

use std::fmt;

/// Stable error codes. The integers are part of the ABI: never renumber them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(i32)]
pub enum Code {
    InvalidArgument = 1,
    DimensionMismatch = 2,
    DuplicateId = 3,
    NotFound = 4,
    InvalidFilter = 5,
    ReadOnly = 6,
    Locked = 7,
    Closed = 8,
    Corrupt = 9,
    Io = 10,
    AbiMismatch = 11,
    Transaction = 12,
    /// A caught panic: a bug in vectlite, never the caller's fault.
    Internal = 13,
}

impl Code {
    pub fn name(self) -> &'static str {
        match self {
            Code::InvalidArgument => "INVALID_ARGUMENT",
            Code::DimensionMismatch => "DIMENSION_MISMATCH",
            Code::DuplicateId => "DUPLICATE_ID",
            Code::NotFound => "NOT_FOUND",
            Code::InvalidFilter => "INVALID_FILTER",
            Code::ReadOnly => "READ_ONLY",
            Code::Locked => "LOCKED",
            Code::Closed => "CLOSED",
            Code::Corrupt => "CORRUPT",
            Code::Io => "IO",
            Code::AbiMismatch => "ABI_MISMATCH",
            Code::Transaction => "TRANSACTION",
            Code::Internal => "INTERNAL",
        }
    }
}

/// An error with its code and a message that says what was wrong and where.
#[derive(Debug, Clone, PartialEq)]
pub struct Error {
    pub code: Code,
    pub message: String,
}

pub type Result<T> = std::result::Result<T, Error>;

impl Error {
    pub fn new(code: Code, message: impl Into<String>) -> Self {
        Error { code, message: message.into() }
    }
    pub fn invalid(message: impl Into<String>) -> Self {
        Error::new(Code::InvalidArgument, message)
    }
    pub fn filter(path: &str, message: impl fmt::Display) -> Self {
        Error::new(Code::InvalidFilter, format!("invalid filter at {path}: {message}"))
    }
    pub fn corrupt(file: &str, offset: u64, message: impl fmt::Display) -> Self {
        Error::new(Code::Corrupt, format!("{file}: corrupt at offset {offset}: {message}"))
    }
    /// An I/O failure, naming the operation and the file.
    pub fn io(what: &str, path: &str, err: std::io::Error) -> Self {
        Error::new(Code::Io, format!("{what} {path}: {err}"))
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code.name(), self.message)
    }
}

impl std::error::Error for Error {}
