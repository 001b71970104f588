//! Stop word lists: words too common to help a search, dropped by an analyzer's
//! `stopwords` step.
//!
//! The built-in English list (`"en"`) is the Snowball project's English stop word list
//! (snowballstem.org, algorithms/english/stop.txt), without the entries its comments leave
//! out. It is in lower case with ASCII apostrophes, so it belongs after a `lowercase` step:
//! the tokenizer turns U+2019 into `'` already, and "The" only matches once lowercased.

use crate::hash::FastSet;
use std::sync::OnceLock;

/// The Snowball English stop words, in the list's own order.
pub const ENGLISH: &[&str] = &[
    // pronouns
    "i", "me", "my", "myself", "we", "our", "ours", "ourselves", "you", "your", "yours", "yourself", "yourselves", "he",
    "him", "his", "himself", "she", "her", "hers", "herself", "it", "its", "itself", "they", "them", "their", "theirs",
    "themselves", "what", "which", "who", "whom", "this", "that", "these", "those",
    // verb forms
    "am", "is", "are", "was", "were", "be", "been", "being", "have", "has", "had", "having", "do", "does", "did",
    "doing", "would", "should", "could", "ought",
    // compound forms
    "i'm", "you're", "he's", "she's", "it's", "we're", "they're", "i've", "you've", "we've", "they've", "i'd", "you'd",
    "he'd", "she'd", "we'd", "they'd", "i'll", "you'll", "he'll", "she'll", "we'll", "they'll", "isn't", "aren't",
    "wasn't", "weren't", "hasn't", "haven't", "hadn't", "doesn't", "don't", "didn't", "won't", "wouldn't", "shan't",
    "shouldn't", "can't", "cannot", "couldn't", "mustn't", "let's", "that's", "who's", "what's", "here's", "there's",
    "when's", "where's", "why's", "how's",
    // articles
    "a", "an", "the",
    // the rest
    "and", "but", "if", "or", "because", "as", "until", "while", "of", "at", "by", "for", "with", "about", "against",
    "between", "into", "through", "during", "before", "after", "above", "below", "to", "from", "up", "down", "in",
    "out", "on", "off", "over", "under", "again", "further", "then", "once", "here", "there", "when", "where", "why",
    "how", "all", "any", "both", "each", "few", "more", "most", "other", "some", "such", "no", "nor", "not", "only",
    "own", "same", "so", "than", "too", "very",
];

/// The English list as a set, built once.
pub fn english() -> &'static FastSet<String> {
    static SET: OnceLock<FastSet<String>> = OnceLock::new();
    SET.get_or_init(|| ENGLISH.iter().map(|w| w.to_string()).collect())
}

/// A user's list as a set, with apostrophes spelled as the tokenizer spells them.
pub fn custom<S: AsRef<str>>(words: &[S]) -> FastSet<String> {
    words.iter().map(|w| w.as_ref().replace('\u{2019}', "'")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn english_list() {
        assert_eq!(ENGLISH.len(), 174);
        assert_eq!(english().len(), ENGLISH.len(), "no duplicates");
        for w in ["the", "and", "don't", "ourselves", "very"] {
            assert!(english().contains(w), "{w}");
        }
        for w in ["The", "search", "us", "will", "can", "may"] {
            assert!(!english().contains(w), "{w}");
        }
    }

    #[test]
    fn custom_list_normalises_apostrophes() {
        let set = custom(&["o\u{2019}clock", "foo"]);
        assert!(set.contains("o'clock") && set.contains("foo"));
    }
}
