//! An analyzer: the tokenizer followed by an ordered list of steps, turning text into the
//! terms that sparse vectors and the inverted index are made of.
//!
//! Steps run in the order given, each on the output of the one before: `stopwords` before
//! `lowercase` only drops words already in lower case, `ngrams` before `stemmer` stems the
//! grams. An analyzer is plain data and serialises to JSON, so a database can remember the
//! one its terms were made with and analyze queries the same way:
//!
//! ```text
//! {"version":1,"steps":[{"type":"lowercase"},{"type":"stopwords","words":"en"},
//!   {"type":"stemmer","language":"english"},{"type":"ngrams","min":2,"max":3}]}
//! ```
//!
//! `"words"` is `"en"` (the built-in Snowball English list) or an array of strings.

use super::{stemmer, stopwords, tokenizer};
use crate::error::{Error, Result};
use crate::json::{self, Json};
use crate::hash::FastSet;

/// The version of the JSON form written by `to_json`; a higher one is refused.
pub const FORMAT_VERSION: u32 = 1;

/// The smallest `min` and largest `max` an `ngrams` step accepts.
pub const NGRAM_MIN: usize = 1;
pub const NGRAM_MAX: usize = 16;

/// A stop word list.
#[derive(Debug, Clone, PartialEq)]
pub enum Stopwords {
    /// The built-in Snowball English list, written `"en"`.
    English,
    /// A user's words, compared with tokens exactly as they are at that step.
    Custom(Vec<String>, FastSet<String>),
}

impl Stopwords {
    /// A custom list (apostrophes normalised as the tokenizer does).
    pub fn custom(words: Vec<String>) -> Stopwords {
        let set = stopwords::custom(&words);
        Stopwords::Custom(words, set)
    }

    fn contains(&self, term: &str) -> bool {
        match self {
            Stopwords::English => stopwords::english().contains(term),
            Stopwords::Custom(_, set) => set.contains(term),
        }
    }
}

/// A stemming algorithm.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stemmer {
    /// Snowball English (Porter2), written `"english"`.
    English,
}

impl Stemmer {
    fn name(self) -> &'static str {
        match self {
            Stemmer::English => "english",
        }
    }
}

/// One step of an analyzer.
#[derive(Debug, Clone, PartialEq)]
pub enum Step {
    /// Unicode lower case (`str::to_lowercase`: "ÉCOLE" becomes "école", "ΣΟΦΟΣ" "σοφος").
    Lowercase,
    /// Drops the tokens in a list.
    Stopwords(Stopwords),
    /// Replaces each token by its stem.
    Stemmer(Stemmer),
    /// Replaces each token by its character n-grams, `min..=max` characters long, grouped
    /// by length; a token shorter than `min` is kept whole so that no word is lost.
    Ngrams { min: usize, max: usize },
}

impl Step {
    fn apply(&self, tokens: Vec<String>) -> Vec<String> {
        match self {
            Step::Lowercase => tokens.into_iter().map(lowercase).collect(),
            Step::Stopwords(list) => tokens.into_iter().filter(|t| !list.contains(t)).collect(),
            Step::Stemmer(Stemmer::English) => tokens.into_iter().map(stem_cached).collect(),
            Step::Ngrams { min, max } => {
                let mut out = Vec::with_capacity(tokens.len() * (max - min + 1));
                for t in &tokens {
                    ngrams_into(t, *min, *max, &mut out);
                }
                out
            }
        }
    }

    fn write_json(&self, out: &mut String) {
        match self {
            Step::Lowercase => out.push_str("{\"type\":\"lowercase\"}"),
            Step::Stopwords(Stopwords::English) => out.push_str("{\"type\":\"stopwords\",\"words\":\"en\"}"),
            Step::Stopwords(Stopwords::Custom(words, _)) => {
                out.push_str("{\"type\":\"stopwords\",\"words\":[");
                for (i, w) in words.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    json::write_string(w, out);
                }
                out.push_str("]}");
            }
            Step::Stemmer(s) => {
                out.push_str("{\"type\":\"stemmer\",\"language\":");
                json::write_string(s.name(), out);
                out.push('}');
            }
            Step::Ngrams { min, max } => out.push_str(&format!("{{\"type\":\"ngrams\",\"min\":{min},\"max\":{max}}}")),
        }
    }

    fn from_json(j: &Json, index: usize) -> Result<Step> {
        let at = format!("analyzer step {index}");
        let fields = j.as_object().ok_or_else(|| Error::invalid(format!("{at} must be an object, found {}", j.type_name())))?;
        let kind = match j.get("type") {
            Some(Json::String(s)) => s.as_str(),
            other => return Err(Error::invalid(format!("{at}: \"type\" must be a string, found {}", other.map_or("nothing", Json::type_name)))),
        };
        let allowed: &[&str] = match kind {
            "lowercase" => &["type"],
            "stopwords" => &["type", "words"],
            "stemmer" => &["type", "language"],
            "ngrams" => &["type", "min", "max"],
            _ => {
                return Err(Error::invalid(format!(
                    "{at}: unknown step type {kind:?}; expected \"lowercase\", \"stopwords\", \"stemmer\" or \"ngrams\""
                )))
            }
        };
        if let Some((key, _)) = fields.iter().find(|(k, _)| !allowed.contains(&k.as_str())) {
            return Err(Error::invalid(format!("{at} ({kind}): unknown field {key:?}")));
        }
        Ok(match kind {
            "lowercase" => Step::Lowercase,
            "stopwords" => Step::Stopwords(stopwords_from_json(j.get("words"), &at)?),
            "stemmer" => match j.get("language") {
                Some(Json::String(s)) if s == "english" => Step::Stemmer(Stemmer::English),
                other => {
                    let found = other.map_or_else(|| "nothing".to_string(), Json::to_json);
                    return Err(Error::invalid(format!("{at} (stemmer): \"language\" must be \"english\", found {found}")));
                }
            },
            _ => {
                let min = ngram_bound(j.get("min"), "min", &at)?;
                let max = ngram_bound(j.get("max"), "max", &at)?;
                if min > max {
                    return Err(Error::invalid(format!("{at} (ngrams): min ({min}) is greater than max ({max})")));
                }
                Step::Ngrams { min, max }
            }
        })
    }
}

fn stopwords_from_json(words: Option<&Json>, at: &str) -> Result<Stopwords> {
    match words {
        Some(Json::String(s)) if s == "en" => Ok(Stopwords::English),
        Some(Json::Array(items)) => {
            let words = items
                .iter()
                .enumerate()
                .map(|(i, w)| {
                    w.as_str().map(str::to_string).ok_or_else(|| {
                        Error::invalid(format!("{at} (stopwords): words[{i}] must be a string, found {}", w.type_name()))
                    })
                })
                .collect::<Result<Vec<_>>>()?;
            Ok(Stopwords::custom(words))
        }
        other => {
            let found = other.map_or_else(|| "nothing".to_string(), Json::to_json);
            Err(Error::invalid(format!("{at} (stopwords): \"words\" must be \"en\" or an array of strings, found {found}")))
        }
    }
}

fn ngram_bound(v: Option<&Json>, name: &str, at: &str) -> Result<usize> {
    match v {
        Some(Json::Number(n)) if n.fract() == 0.0 && (NGRAM_MIN as f64..=NGRAM_MAX as f64).contains(n) => Ok(*n as usize),
        other => {
            let found = other.map_or_else(|| "nothing".to_string(), Json::to_json);
            Err(Error::invalid(format!(
                "{at} (ngrams): {name} must be an integer from {NGRAM_MIN} to {NGRAM_MAX}, found {found}"
            )))
        }
    }
}

/// Appends the n-grams of `token`, shortest first; the token itself when shorter than `min`.
fn ngrams_into(token: &str, min: usize, max: usize, out: &mut Vec<String>) {
    let chars: Vec<char> = token.chars().collect();
    if chars.len() < min {
        out.push(token.to_string());
        return;
    }
    for n in min..=max.min(chars.len()) {
        out.extend(chars.windows(n).map(|w| w.iter().collect::<String>()));
    }
}

/// Lowercases in place when the token is ASCII (most tokens), else through Unicode's rules.
fn lowercase(mut token: String) -> String {
    if token.is_ascii() {
        token.make_ascii_lowercase();
        token
    } else {
        token.to_lowercase()
    }
}

/// Words repeat: a per-thread memo of stems makes most stemmer calls a hash lookup.
/// Bounded (cleared when full) so a stream of unique tokens cannot grow it without limit.
fn stem_cached(word: String) -> String {
    const MAX_ENTRIES: usize = 1 << 16;
    thread_local! {
        static MEMO: std::cell::RefCell<PooledMemo> = std::cell::RefCell::new(PooledMemo::take());
    }
    MEMO.with(|memo| {
        let memo = &mut memo.borrow_mut().0;
        if let Some(s) = memo.get(word.as_str()) {
            // Reuse the token's buffer for the stem: no allocation on a hit.
            let mut out = word;
            out.clear();
            out.push_str(s);
            return out;
        }
        let s = stemmer::stem(&word);
        if memo.len() >= MAX_ENTRIES {
            memo.clear();
        }
        memo.insert(word, s.clone());
        s
    })
}

type StemMemo = crate::hash::FastMap<String, String>;

/// Memos of threads that have ended, for the next threads to start warm: every write job
/// runs on a new thread, and a cold memo made the first thousand documents of each batch
/// stem every word again.
static SPARE_MEMOS: std::sync::Mutex<Vec<StemMemo>> = std::sync::Mutex::new(Vec::new());

/// How many spare memos are kept: one per core of a small machine. Each holds at most
/// 64 Ki entries (a few MB of English words), so a process that has indexed text keeps
/// at most this many, besides the memo of each live thread that has stemmed.
const SPARE_MEMOS_KEPT: usize = 2;

/// A thread's stem memo: taken from the spares when the thread first stems, given back
/// when the thread ends.
struct PooledMemo(StemMemo);

impl PooledMemo {
    fn take() -> PooledMemo {
        let spare = SPARE_MEMOS.lock().unwrap_or_else(|p| p.into_inner()).pop();
        PooledMemo(spare.unwrap_or_default())
    }
}

impl Drop for PooledMemo {
    fn drop(&mut self) {
        let mut spares = SPARE_MEMOS.lock().unwrap_or_else(|p| p.into_inner());
        if spares.len() < SPARE_MEMOS_KEPT {
            spares.push(std::mem::take(&mut self.0));
        }
    }
}

/// The tokenizer and an ordered list of steps.
#[derive(Debug, Clone, PartialEq)]
pub struct Analyzer {
    pub steps: Vec<Step>,
}

impl Default for Analyzer {
    /// The default analyzer, as `Analyzer::english`.
    fn default() -> Self {
        Analyzer::english()
    }
}

impl Analyzer {
    /// An analyzer of the given steps (none: the tokenizer alone).
    pub fn new(steps: Vec<Step>) -> Analyzer {
        Analyzer { steps }
    }

    /// The default analyzer (`sparseTerms(text)`, and text a database indexes without one of
    /// its own): tokenize, lowercase, drop English stop words, Snowball English stemmer.
    /// Lowercase comes first because the stop list and the stemmer expect lower case; stop
    /// words go before stemming because the list holds surface forms ("having", "does"),
    /// and a stem could collide with one (the stem of "doe" is "doe", of "does" "doe").
    /// No n-grams: they multiply the terms of English text for little gain in BM25.
    pub fn english() -> Analyzer {
        Analyzer::new(vec![Step::Lowercase, Step::Stopwords(Stopwords::English), Step::Stemmer(Stemmer::English)])
    }

    /// Reads an analyzer's JSON text; empty input is the default analyzer.
    pub fn parse(bytes: &[u8]) -> Result<Analyzer> {
        if bytes.is_empty() {
            return Ok(Analyzer::english());
        }
        Analyzer::from_json(&json::parse(bytes, "analyzer")?)
    }

    /// Reads the JSON form (see the module docs). Unknown fields and steps are errors, so a
    /// typo cannot silently change how text is indexed.
    pub fn from_json(j: &Json) -> Result<Analyzer> {
        let fields = j.as_object().ok_or_else(|| Error::invalid(format!("analyzer must be an object, found {}", j.type_name())))?;
        if let Some((key, _)) = fields.iter().find(|(k, _)| k != "version" && k != "steps") {
            return Err(Error::invalid(format!("analyzer: unknown field {key:?}; expected \"version\" and \"steps\"")));
        }
        match j.get("version") {
            None => {}
            Some(Json::Number(v)) if *v == FORMAT_VERSION as f64 => {}
            Some(Json::Number(v)) if v.fract() == 0.0 && *v > FORMAT_VERSION as f64 => {
                return Err(Error::invalid(format!(
                    "analyzer format version {v} is newer than this vectlite understands ({FORMAT_VERSION})"
                )))
            }
            Some(other) => return Err(Error::invalid(format!("analyzer: \"version\" must be {FORMAT_VERSION}, found {}", other.to_json()))),
        }
        let steps = match j.get("steps") {
            Some(Json::Array(items)) => items.iter().enumerate().map(|(i, s)| Step::from_json(s, i)).collect::<Result<Vec<_>>>()?,
            None => Vec::new(),
            Some(other) => return Err(Error::invalid(format!("analyzer: \"steps\" must be an array, found {}", other.type_name()))),
        };
        Ok(Analyzer::new(steps))
    }

    /// The JSON form, read back by `from_json`.
    pub fn to_json(&self) -> String {
        let mut out = format!("{{\"version\":{FORMAT_VERSION},\"steps\":[");
        for (i, step) in self.steps.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            step.write_json(&mut out);
        }
        out.push_str("]}");
        out
    }

    /// The terms of `text`, in order, repeats included.
    pub fn terms(&self, text: &str) -> Vec<String> {
        let mut tokens = tokenizer::tokenize(text);
        for step in &self.steps {
            tokens = step.apply(tokens);
        }
        tokens.retain(|t| !t.is_empty());
        tokens
    }

    /// How often each term occurs in `text`, sorted by term.
    pub fn term_frequencies(&self, text: &str) -> Vec<(String, u32)> {
        // Sort, then count runs: cheaper than a map for the few dozen terms of a document.
        let mut terms = self.terms(text);
        terms.sort_unstable();
        let mut out: Vec<(String, u32)> = Vec::with_capacity(terms.len());
        for term in terms {
            match out.last_mut() {
                Some((last, n)) if *last == term => *n += 1,
                _ => out.push((term, 1)),
            }
        }
        out
    }

    /// `term_frequencies` as a JSON object `{term: count}`.
    pub fn term_frequencies_json(&self, text: &str) -> String {
        let mut out = String::new();
        self.write_term_frequencies_json(text, &mut out);
        out
    }

    /// `term_frequencies_json`, appended to `out`.
    pub fn write_term_frequencies_json(&self, text: &str, out: &mut String) {
        use std::fmt::Write;
        out.push('{');
        for (i, (term, n)) in self.term_frequencies(text).iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            json::write_string(term, out);
            out.push(':');
            let _ = write!(out, "{n}"); // writing into a String cannot fail
        }
        out.push('}');
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn terms(a: &Analyzer, text: &str) -> Vec<String> {
        a.terms(text)
    }

    #[test]
    fn default_analyzer() {
        let a = Analyzer::english();
        assert_eq!(terms(&a, "How to authenticate users with SSO"), ["authent", "user", "sso"]);
        assert_eq!(
            a.term_frequencies("The runner runs; runners running!"),
            [("run".to_string(), 2), ("runner".to_string(), 2)]
        );
        assert_eq!(a.term_frequencies_json("Don't panic, DON'T"), "{\"panic\":1}");
        assert_eq!(a.term_frequencies_json(""), "{}");
    }

    #[test]
    fn no_steps_is_the_tokenizer() {
        assert_eq!(terms(&Analyzer::new(vec![]), "The Cats"), ["The", "Cats"]);
    }

    #[test]
    fn order_of_steps_matters() {
        let stop_then_lower = Analyzer::new(vec![Step::Stopwords(Stopwords::English), Step::Lowercase]);
        let lower_then_stop = Analyzer::new(vec![Step::Lowercase, Step::Stopwords(Stopwords::English)]);
        assert_eq!(terms(&stop_then_lower, "The cat"), ["the", "cat"]);
        assert_eq!(terms(&lower_then_stop, "The cat"), ["cat"]);
        let stem_then_grams = Analyzer::new(vec![Step::Stemmer(Stemmer::English), Step::Ngrams { min: 3, max: 3 }]);
        let grams_then_stem = Analyzer::new(vec![Step::Ngrams { min: 3, max: 3 }, Step::Stemmer(Stemmer::English)]);
        assert_eq!(terms(&stem_then_grams, "cats"), ["cat"]);
        assert_eq!(terms(&grams_then_stem, "cats"), ["cat", "at"]);
    }

    #[test]
    fn ngrams() {
        let a = Analyzer::new(vec![Step::Ngrams { min: 2, max: 3 }]);
        assert_eq!(terms(&a, "abcd a"), ["ab", "bc", "cd", "abc", "bcd", "a"]);
        assert_eq!(terms(&a, "日本語"), ["日本", "本語", "日本語"]);
        let one = Analyzer::new(vec![Step::Ngrams { min: 1, max: 1 }]);
        assert_eq!(one.term_frequencies("aba"), [("a".to_string(), 2), ("b".to_string(), 1)]);
    }

    #[test]
    fn custom_stopwords() {
        let a = Analyzer::new(vec![Step::Stopwords(Stopwords::custom(vec!["foo".into(), "Bar".into()]))]);
        assert_eq!(terms(&a, "foo Foo bar Bar baz"), ["Foo", "bar", "baz"]);
    }

    #[test]
    fn json_round_trip() {
        let a = Analyzer::new(vec![
            Step::Lowercase,
            Step::Stopwords(Stopwords::English),
            Step::Stopwords(Stopwords::custom(vec!["x\"y".into(), "é".into()])),
            Step::Stemmer(Stemmer::English),
            Step::Ngrams { min: 2, max: 3 },
        ]);
        let text = a.to_json();
        assert_eq!(Analyzer::parse(text.as_bytes()).unwrap(), a);
        assert_eq!(
            Analyzer::english().to_json(),
            r#"{"version":1,"steps":[{"type":"lowercase"},{"type":"stopwords","words":"en"},{"type":"stemmer","language":"english"}]}"#
        );
        assert_eq!(Analyzer::parse(b"").unwrap(), Analyzer::english());
        assert_eq!(Analyzer::parse(b"{}").unwrap(), Analyzer::new(vec![]));
    }

    #[test]
    fn bad_configurations() {
        let bad = [
            ("[]", "must be an object"),
            ("{\"steps\":{}}", "must be an array"),
            ("{\"version\":2,\"steps\":[]}", "newer"),
            ("{\"version\":\"1\"}", "version"),
            ("{\"stepz\":[]}", "unknown field"),
            ("{\"steps\":[1]}", "step 0 must be an object"),
            ("{\"steps\":[{}]}", "\"type\" must be a string"),
            ("{\"steps\":[{\"type\":\"upper\"}]}", "unknown step type"),
            ("{\"steps\":[{\"type\":\"lowercase\",\"x\":1}]}", "unknown field \"x\""),
            ("{\"steps\":[{\"type\":\"stopwords\",\"words\":\"fr\"}]}", "\"en\" or an array"),
            ("{\"steps\":[{\"type\":\"stopwords\",\"words\":[1]}]}", "words[0]"),
            ("{\"steps\":[{\"type\":\"stemmer\",\"language\":\"porter\"}]}", "english"),
            ("{\"steps\":[{\"type\":\"ngrams\",\"min\":0,\"max\":2}]}", "min must be an integer"),
            ("{\"steps\":[{\"type\":\"ngrams\",\"min\":1.5,\"max\":2}]}", "min must be an integer"),
            ("{\"steps\":[{\"type\":\"ngrams\",\"min\":1,\"max\":17}]}", "max must be an integer"),
            ("{\"steps\":[{\"type\":\"ngrams\",\"min\":3,\"max\":2}]}", "greater than max"),
            ("{\"steps\":[{\"type\":\"ngrams\",\"min\":3}]}", "found nothing"),
            ("{\"steps\":", "not valid JSON"),
        ];
        for (text, expect) in bad {
            let err = Analyzer::parse(text.as_bytes()).unwrap_err();
            assert_eq!(err.code, crate::error::Code::InvalidArgument, "{text}");
            assert!(err.message.contains(expect), "{text}: {}", err.message);
        }
    }
}
