//! The tokenizer: splits text into words, the first step of every analyzer.
//!
//! A word is a maximal run of letters and digits of any script (`char::is_alphanumeric`,
//! which is Unicode's Alphabetic and Numeric properties), so "café", "naïve", "Straße",
//! "Москва", "東京" and "٣٤" each stay whole. Everything else separates words: spaces,
//! punctuation, symbols, emoji. Three refinements, after Unicode's word-boundary rules
//! (UAX #29) but much smaller:
//!
//! * Combining marks that are not themselves Alphabetic (U+0301 in a decomposed "café",
//!   Indic viramas, Thai tone marks, zero-width joiners) extend the word they follow, so a
//!   word is whole whatever its normalisation form. A mark with no word before it is dropped.
//! * An apostrophe between two letters joins them ("don't", "o'neill", "dog's"), so the
//!   stop word list's contractions and the stemmer's possessive rule see whole words. The
//!   typographic apostrophe U+2019 is read as U+0027, so both spellings give one term.
//! * A full stop or comma between two digits joins them ("3.14", "1,000", "2.0.1").
//!
//! Scripts written without spaces (Chinese, Japanese, Thai) come out as one token per run of
//! letters; an analyzer with an `ngrams` step makes such text searchable by its parts.
//! Nothing here changes case: that is the analyzer's `lowercase` step, so that the order of
//! steps is the user's choice.

/// The apostrophe every accepted apostrophe spelling becomes inside a token.
pub const APOSTROPHE: char = '\'';

/// Splits `text` into tokens, in order of appearance (repeats included).
pub fn tokenize(text: &str) -> Vec<String> {
    let mut tokens = Vec::with_capacity(text.len() / 6);
    let mut current = String::new();
    let mut prev = '\0';
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c.is_alphanumeric() {
            current.push(c);
        } else if !current.is_empty() {
            if is_extending_mark(c) {
                current.push(c);
            } else if let Some(joiner) = joiner(prev, c, chars.peek().copied()) {
                current.push(joiner);
            } else {
                tokens.push(std::mem::replace(&mut current, String::with_capacity(16)));
            }
        }
        prev = c;
    }
    if !current.is_empty() {
        tokens.push(current);
    }
    tokens
}

/// The character `c` stands for inside a token, when it joins `prev` and `next` into one.
fn joiner(prev: char, c: char, next: Option<char>) -> Option<char> {
    let next = next?;
    match c {
        '\'' | '\u{2019}' if is_letter(prev) && next.is_alphabetic() => Some(APOSTROPHE),
        '.' | ',' if prev.is_numeric() && next.is_numeric() => Some(c),
        _ => None,
    }
}

/// A letter, or a mark that is part of one (the character before an apostrophe).
fn is_letter(c: char) -> bool {
    c.is_alphabetic() || is_extending_mark(c)
}

/// Combining marks (and the zero-width joiners) that are not Alphabetic but belong to the
/// letter before them. std has no General_Category table, so this lists the blocks of
/// nonspacing marks in common use; marks that are Alphabetic (most Indic vowel signs,
/// Hebrew and Arabic points) are already word characters.
fn is_extending_mark(c: char) -> bool {
    const RANGES: &[(u32, u32)] = &[
        (0x0300, 0x036F), // combining diacritical marks (decomposed Latin, Greek, Cyrillic)
        (0x0483, 0x0489), // Cyrillic
        (0x0591, 0x05C7), // Hebrew cantillation and points
        (0x0610, 0x061A), // Arabic
        (0x064B, 0x065F),
        (0x0670, 0x0670),
        (0x06D6, 0x06ED),
        (0x0900, 0x0903), // Devanagari and the Indic scripts after it: signs, nukta, virama
        (0x093A, 0x094F),
        (0x0951, 0x0957),
        (0x0962, 0x0963),
        (0x0981, 0x0983),
        (0x09BC, 0x09D7),
        (0x0A01, 0x0A03),
        (0x0A3C, 0x0A51),
        (0x0A70, 0x0A71),
        (0x0A81, 0x0A83),
        (0x0ABC, 0x0ACD),
        (0x0B01, 0x0B03),
        (0x0B3C, 0x0B57),
        (0x0B82, 0x0B82),
        (0x0BBE, 0x0BD7),
        (0x0C00, 0x0C04),
        (0x0C3C, 0x0C56),
        (0x0C81, 0x0C83),
        (0x0CBC, 0x0CD6),
        (0x0D00, 0x0D03),
        (0x0D3B, 0x0D57),
        (0x0D81, 0x0D83),
        (0x0DCA, 0x0DDF),
        (0x0E31, 0x0E31), // Thai vowel signs and tone marks
        (0x0E34, 0x0E3A),
        (0x0E47, 0x0E4E),
        (0x0EB1, 0x0EB1), // Lao
        (0x0EB4, 0x0EBC),
        (0x0EC8, 0x0ECE),
        (0x0F18, 0x0F19), // Tibetan
        (0x0F35, 0x0F39),
        (0x0F71, 0x0F84),
        (0x0F86, 0x0F87),
        (0x0F8D, 0x0FBC),
        (0x102B, 0x103E), // Myanmar
        (0x1AB0, 0x1AFF), // combining diacritical marks extended
        (0x1DC0, 0x1DFF), // combining diacritical marks supplement
        (0x200C, 0x200D), // zero-width non-joiner and joiner
        (0x20D0, 0x20FF), // combining marks for symbols
        (0x302A, 0x302F), // CJK tone marks
        (0x3099, 0x309A), // kana voicing marks
        (0xFE00, 0xFE0F), // variation selectors
        (0xFE20, 0xFE2F), // combining half marks
    ];
    let cp = c as u32;
    cp >= 0x0300 && RANGES.iter().any(|&(lo, hi)| (lo..=hi).contains(&cp))
}

#[cfg(test)]
mod tests {
    use super::tokenize;

    fn toks(text: &str) -> Vec<String> {
        tokenize(text)
    }

    #[test]
    fn splits_on_spaces_and_punctuation() {
        assert_eq!(toks("Hello, world! How-to: a_b (x/y)"), ["Hello", "world", "How", "to", "a", "b", "x", "y"]);
        assert!(toks("  \t\n ,.;!? ").is_empty());
        assert!(toks("").is_empty());
    }

    #[test]
    fn keeps_letters_and_digits_of_any_script() {
        assert_eq!(toks("café naïve Straße"), ["café", "naïve", "Straße"]);
        assert_eq!(toks("Москва — город"), ["Москва", "город"]);
        assert_eq!(toks("東京タワー、日本"), ["東京タワー", "日本"]);
        assert_eq!(toks("مرحبا بالعالم"), ["مرحبا", "بالعالم"]);
        assert_eq!(toks("नमस्ते दुनिया"), ["नमस्ते", "दुनिया"]);
        assert_eq!(toks("٣٤ and ४२"), ["٣٤", "and", "४२"]);
        assert_eq!(toks("emoji 🙂 split"), ["emoji", "split"]);
    }

    #[test]
    fn decomposed_accents_stay_in_the_word() {
        assert_eq!(toks("cafe\u{301} ok"), ["cafe\u{301}", "ok"]);
        assert_eq!(toks("\u{301}lone"), ["lone"]);
    }

    #[test]
    fn numbers() {
        assert_eq!(toks("pi is 3.14, not 3,14. Version 2.0.1; 1,000 users"), [
            "pi", "is", "3.14", "not", "3,14", "Version", "2.0.1", "1,000", "users"
        ]);
        assert_eq!(toks("x86_64 and 42nd"), ["x86", "64", "and", "42nd"]);
        assert_eq!(toks("end. 5."), ["end", "5"]);
    }

    #[test]
    fn apostrophes_between_letters() {
        assert_eq!(toks("don't O\u{2019}Neill's 'quoted' dogs' rock'n'roll"), [
            "don't", "O'Neill's", "quoted", "dogs", "rock'n'roll"
        ]);
        assert_eq!(toks("it'5 ''"), ["it", "5"]);
    }
}
