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
    /// The caller cancelled the call (an AbortSignal); nothing of it was kept.
    Aborted = 14,
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
            Code::Aborted => "ABORTED",
        }
    }
}

/// An error with its code and a message that says what was wrong and where.
#[derive(Debug, Clone, PartialEq)]
pub struct Error {
    pub code: Code,
    pub message: String,
    /// Where, as data: the file, the offset in it, the record id the message names. It
    /// crosses the ABI with the message, so callers need not parse messages.
    pub context: Option<Box<Context>>,
}

/// The places an error names, each if it has one.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Context {
    pub path: Option<String>,
    pub offset: Option<u64>,
    pub id: Option<String>,
}

pub type Result<T> = std::result::Result<T, Error>;

impl Error {
    pub fn new(code: Code, message: impl Into<String>) -> Self {
        Error { code, message: message.into(), context: None }
    }
    fn context_mut(&mut self) -> &mut Context {
        self.context.get_or_insert_with(Default::default)
    }
    /// The same error, naming the file it is about.
    pub fn with_path(mut self, path: &str) -> Self {
        self.context_mut().path = Some(path.to_string());
        self
    }
    /// The same error, naming the record it is about.
    pub fn with_id(mut self, id: &str) -> Self {
        self.context_mut().id = Some(id.to_string());
        self
    }
    /// The message and the context as one JSON object (what crosses the ABI).
    pub fn to_json(&self) -> String {
        use crate::json::Json;
        let mut fields = vec![("message".into(), Json::String(self.message.clone()))];
        if let Some(c) = &self.context {
            if let Some(p) = &c.path {
                fields.push(("path".into(), Json::String(p.clone())));
            }
            if let Some(o) = c.offset {
                fields.push(("offset".into(), Json::Number(o as f64)));
            }
            if let Some(id) = &c.id {
                fields.push(("id".into(), Json::String(id.clone())));
            }
        }
        Json::Object(fields).to_json()
    }
    pub fn invalid(message: impl Into<String>) -> Self {
        Error::new(Code::InvalidArgument, message)
    }
    pub fn filter(path: &str, message: impl fmt::Display) -> Self {
        Error::new(Code::InvalidFilter, format!("invalid filter at {path}: {message}"))
    }
    pub fn corrupt(file: &str, offset: u64, message: impl fmt::Display) -> Self {
        let mut e = Error::new(Code::Corrupt, format!("{file}: corrupt at offset {offset}: {message}")).with_path(file);
        e.context_mut().offset = Some(offset);
        e
    }
    /// An I/O failure, naming the operation and the file.
    pub fn io(what: &str, path: &str, err: std::io::Error) -> Self {
        Error::new(Code::Io, format!("{what} {path}: {err}")).with_path(path)
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code.name(), self.message)
    }
}

impl std::error::Error for Error {}
