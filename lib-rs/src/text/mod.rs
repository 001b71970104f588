//! The text pipeline: how text becomes the terms of sparse vectors and of the inverted
//! index. It lives in Rust so that indexing and querying tokenize identically, whichever
//! runtime calls.
//!
//! * `tokenizer`: words are runs of letters and digits of any script (accented words whole).
//! * `analyzer`: the tokenizer then ordered steps (lowercase, stop words, stemmer, n-grams),
//!   serialisable as JSON so a database can remember the analyzer it was built with.
//! * `stemmer`: the Snowball English (Porter2) stemmer.
//! * `stopwords`: the Snowball English stop word list.
//! * `batch`: the texts of a whole write analyzed at once, on every core.
//!
//! The default analyzer (`Analyzer::english`, used by `sparseTerms(text)`) is: tokenize,
//! lowercase, English stop words, English stemmer. `Analyzer::term_frequencies` gives raw
//! counts; BM25 weighting happens in the index.

pub mod analyzer;
pub mod batch;
pub mod stemmer;
pub mod stopwords;
pub mod tokenizer;

pub use analyzer::{Analyzer, Step, Stemmer, Stopwords};
pub use stemmer::stem;
pub use tokenizer::tokenize;
