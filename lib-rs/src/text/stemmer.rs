//! The Snowball English stemmer ("Porter2"), written from the algorithm's published
//! definition (snowballstem.org, algorithms/english): the revision with the `gener`,
//! `commun` and `arsen` region exceptions, which is also what the `snowball-stemmers` npm
//! package implements; tests/text.test.ts checks agreement with it over the whole of a
//! 275,000-word English word list.
//!
//! Terms used below, as in the definition:
//! * vowels are a e i o u y; a `y` at the start of the word or after a vowel is a
//!   consonant, marked as `Y` while stemming and turned back at the end;
//! * R1 is the part of the word after the first non-vowel that follows a vowel (or after
//!   `gener`, `commun`, `arsen` at the start); R2 is the same taken within R1;
//! * a short syllable is a non-vowel, vowel, non-vowel other than w, x or Y at the end of
//!   the part considered, or a vowel then a non-vowel at the very start of the word;
//! * each step looks for the *longest* of its suffixes and, if that suffix's condition
//!   fails, does nothing (it does not fall back to a shorter suffix).
//!
//! Input is expected in lower case (an analyzer lowercases first); other characters are
//! treated as non-vowels, as the reference does. Words of one or two characters are
//! returned unchanged.

/// A `y` that acts as a consonant, while stemming.
const CONSONANT_Y: char = 'Y';

/// Stems one word with the Snowball English algorithm.
pub fn stem(word: &str) -> String {
    if let Some(special) = exceptional_form(word) {
        return special.to_string();
    }
    if word.chars().nth(2).is_none() {
        return word.to_string();
    }
    let mut w = Word::new(word);
    w.step_1a();
    if !is_invariant_after_1a(&w.chars) {
        w.step_1b();
        w.step_1c();
        w.step_2();
        w.step_3();
        w.step_4();
        w.step_5();
    }
    w.finish()
}

/// Words with a fixed stem (irregular forms, and -ly words the steps would mangle).
fn exceptional_form(word: &str) -> Option<&'static str> {
    Some(match word {
        "skis" => "ski",
        "skies" => "sky",
        "dying" => "die",
        "lying" => "lie",
        "tying" => "tie",
        "idly" => "idl",
        "gently" => "gentl",
        "ugly" => "ugli",
        "early" => "earli",
        "only" => "onli",
        "singly" => "singl",
        "sky" => "sky",
        "news" => "news",
        "howe" => "howe",
        "atlas" => "atlas",
        "cosmos" => "cosmos",
        "bias" => "bias",
        "andes" => "andes",
        _ => return None,
    })
}

/// Words left as they are once step 1a has run (their -ing/-ed is not a suffix).
fn is_invariant_after_1a(chars: &[char]) -> bool {
    const WORDS: [&str; 8] = ["inning", "outing", "canning", "herring", "earring", "proceed", "exceed", "succeed"];
    WORDS.iter().any(|w| w.chars().eq(chars.iter().copied()))
}

fn is_vowel(c: char) -> bool {
    matches!(c, 'a' | 'e' | 'i' | 'o' | 'u' | 'y')
}

/// The last letter of a short syllable may not be a vowel, w, x or a consonant `Y`.
fn ends_short_syllable_letter(c: char) -> bool {
    !is_vowel(c) && !matches!(c, 'w' | 'x' | CONSONANT_Y)
}

fn is_double(c: char) -> bool {
    matches!(c, 'b' | 'd' | 'f' | 'g' | 'm' | 'n' | 'p' | 'r' | 't')
}

fn is_valid_li_ending(c: char) -> bool {
    matches!(c, 'c' | 'd' | 'e' | 'g' | 'h' | 'k' | 'm' | 'n' | 'r' | 't')
}

/// A word while it is being stemmed, with its regions (as char offsets; they are fixed
/// before the steps run and, as in the definition, are not moved when the word shrinks).
struct Word {
    chars: Vec<char>,
    r1: usize,
    r2: usize,
    has_consonant_y: bool,
}

impl Word {
    fn new(word: &str) -> Word {
        let mut chars: Vec<char> = word.chars().collect();
        if chars.first() == Some(&'\'') {
            chars.remove(0);
        }
        let mut has_consonant_y = false;
        for i in 0..chars.len() {
            if chars[i] == 'y' && (i == 0 || is_vowel(chars[i - 1])) {
                chars[i] = CONSONANT_Y;
                has_consonant_y = true;
            }
        }
        let r1 = ["gener", "commun", "arsen"]
            .iter()
            .find(|p| chars.len() >= p.len() && p.chars().eq(chars[..p.len()].iter().copied()))
            .map_or_else(|| region_after(&chars, 0), |p| p.len());
        let r2 = region_after(&chars, r1);
        Word { chars, r1, r2, has_consonant_y }
    }

    fn finish(self) -> String {
        let y = if self.has_consonant_y { 'y' } else { CONSONANT_Y };
        self.chars.into_iter().map(|c| if c == CONSONANT_Y { y } else { c }).collect()
    }

    fn len(&self) -> usize {
        self.chars.len()
    }

    fn ends_with(&self, suffix: &str) -> bool {
        let n = suffix.chars().count();
        n <= self.len() && suffix.chars().eq(self.chars[self.len() - n..].iter().copied())
    }

    /// The longest of `suffixes` the word ends with, and where it starts.
    fn longest<'a>(&self, suffixes: &[&'a str]) -> Option<(&'a str, usize)> {
        suffixes
            .iter()
            .filter(|s| self.ends_with(s))
            .max_by_key(|s| s.len())
            .map(|s| (*s, self.len() - s.chars().count()))
    }

    /// The char just before offset `at`, if any.
    fn before(&self, at: usize) -> Option<char> {
        at.checked_sub(1).map(|i| self.chars[i])
    }

    fn has_vowel_before(&self, at: usize) -> bool {
        self.chars[..at].iter().any(|&c| is_vowel(c))
    }

    /// Replaces everything from `at` on with `with`.
    fn replace_from(&mut self, at: usize, with: &str) {
        self.chars.truncate(at);
        self.chars.extend(with.chars());
    }

    /// Whether the part of the word before `end` ends in a short syllable.
    fn short_syllable_before(&self, end: usize) -> bool {
        let c = &self.chars;
        match end {
            2 => is_vowel(c[0]) && !is_vowel(c[1]),
            n if n >= 3 => !is_vowel(c[n - 3]) && is_vowel(c[n - 2]) && ends_short_syllable_letter(c[n - 1]),
            _ => false,
        }
    }

    /// Possessive apostrophes, then plural and third-person -s.
    fn step_1a(&mut self) {
        if let Some((_, at)) = self.longest(&["'", "'s", "'s'"]) {
            self.chars.truncate(at);
        }
        match self.longest(&["sses", "ied", "ies", "s", "us", "ss"]) {
            Some(("sses", at)) => self.replace_from(at, "ss"),
            // "ties" -> "tie" but "cries" -> "cri": keep the e when one letter precedes.
            Some(("ied" | "ies", at)) => self.replace_from(at, if at >= 2 { "i" } else { "ie" }),
            // "gaps" -> "gap", but not "gas": a vowel must come before the letter before s.
            Some(("s", at)) if at >= 1 && self.has_vowel_before(at - 1) => self.chars.truncate(at),
            _ => {}
        }
    }

    /// -eed, -ed, -ing and their -ly forms.
    fn step_1b(&mut self) {
        match self.longest(&["eed", "eedly", "ed", "edly", "ing", "ingly"]) {
            Some(("eed" | "eedly", at)) if at >= self.r1 => self.replace_from(at, "ee"),
            // Outside R1 the word keeps its -eed: never read as -ed ("feed", "bleed").
            Some(("eed" | "eedly", _)) => {}
            Some((_, at)) if self.has_vowel_before(at) => {
                self.chars.truncate(at);
                self.tidy_after_1b();
            }
            _ => {}
        }
    }

    /// After removing -ed or -ing: "luxuriat" -> "luxuriate", "hopp" -> "hop", "hop" -> "hope".
    fn tidy_after_1b(&mut self) {
        if self.ends_with("at") || self.ends_with("bl") || self.ends_with("iz") {
            self.chars.push('e');
        } else if self.len() >= 2 && self.chars[self.len() - 1] == self.chars[self.len() - 2] && is_double(self.chars[self.len() - 1]) {
            self.chars.pop();
        } else if self.len() == self.r1 && self.short_syllable_before(self.len()) {
            // A short word: R1 is empty and it ends in a short syllable.
            self.chars.push('e');
        }
    }

    /// A final y after a consonant (not the first letter) becomes i: "cry" -> "cri".
    fn step_1c(&mut self) {
        let n = self.len();
        if n >= 3 && matches!(self.chars[n - 1], 'y' | CONSONANT_Y) && !is_vowel(self.chars[n - 2]) {
            self.chars[n - 1] = 'i';
        }
    }

    /// Derivational suffixes in R1 mapped to shorter ones.
    fn step_2(&mut self) {
        const SUFFIXES: &[&str] = &[
            "tional", "enci", "anci", "abli", "entli", "izer", "ization", "ational", "ation", "ator", "alism", "aliti",
            "alli", "fulness", "ousli", "ousness", "iveness", "iviti", "biliti", "bli", "ogi", "fulli", "lessli", "li",
        ];
        let Some((suffix, at)) = self.longest(SUFFIXES) else { return };
        if at < self.r1 {
            return;
        }
        let with = match suffix {
            "tional" => "tion",
            "enci" => "ence",
            "anci" => "ance",
            "abli" => "able",
            "entli" => "ent",
            "izer" | "ization" => "ize",
            "ational" | "ation" | "ator" => "ate",
            "alism" | "aliti" | "alli" => "al",
            "fulness" | "fulli" => "ful",
            "ousli" | "ousness" => "ous",
            "iveness" | "iviti" => "ive",
            "biliti" | "bli" => "ble",
            "lessli" => "less",
            "ogi" if self.before(at) == Some('l') => "og",
            "li" if self.before(at).is_some_and(is_valid_li_ending) => "",
            _ => return,
        };
        self.replace_from(at, with);
    }

    /// More derivational suffixes in R1 (-ative only in R2).
    fn step_3(&mut self) {
        const SUFFIXES: &[&str] = &["tional", "ational", "alize", "icate", "iciti", "ical", "ful", "ness", "ative"];
        let Some((suffix, at)) = self.longest(SUFFIXES) else { return };
        if at < self.r1 {
            return;
        }
        let with = match suffix {
            "tional" => "tion",
            "ational" => "ate",
            "alize" => "al",
            "icate" | "iciti" | "ical" => "ic",
            "ful" | "ness" => "",
            "ative" if at >= self.r2 => "",
            _ => return,
        };
        self.replace_from(at, with);
    }

    /// Suffixes removed when in R2 (-ion only after s or t).
    fn step_4(&mut self) {
        const SUFFIXES: &[&str] = &[
            "al", "ance", "ence", "er", "ic", "able", "ible", "ant", "ement", "ment", "ent", "ism", "ate", "iti", "ous", "ive",
            "ize", "ion",
        ];
        let Some((suffix, at)) = self.longest(SUFFIXES) else { return };
        if at < self.r2 {
            return;
        }
        if suffix != "ion" || matches!(self.before(at), Some('s' | 't')) {
            self.chars.truncate(at);
        }
    }

    /// A final e (in R2, or in R1 after a syllable that is not short) and a double l in R2.
    fn step_5(&mut self) {
        let Some((suffix, at)) = self.longest(&["e", "l"]) else { return };
        let remove = match suffix {
            "e" => at >= self.r2 || (at >= self.r1 && !self.short_syllable_before(at)),
            _ => at >= self.r2 && self.before(at) == Some('l'),
        };
        if remove {
            self.chars.truncate(at);
        }
    }
}

/// Where the region after the first vowel-then-non-vowel at or after `from` starts.
fn region_after(chars: &[char], from: usize) -> usize {
    let mut i = from;
    while i < chars.len() && !is_vowel(chars[i]) {
        i += 1;
    }
    while i < chars.len() && is_vowel(chars[i]) {
        i += 1;
    }
    (i + 1).min(chars.len())
}

#[cfg(test)]
mod tests {
    use super::stem;

    fn check(pairs: &[(&str, &str)]) {
        for (word, expected) in pairs {
            assert_eq!(stem(word), *expected, "stem({word:?})");
        }
    }

    #[test]
    fn examples_from_the_definition() {
        check(&[
            ("consign", "consign"),
            ("consigned", "consign"),
            ("consigning", "consign"),
            ("consignment", "consign"),
            ("consist", "consist"),
            ("consisted", "consist"),
            ("consistency", "consist"),
            ("consistent", "consist"),
            ("consistently", "consist"),
            ("consisting", "consist"),
            ("consists", "consist"),
            ("consolation", "consol"),
            ("consolations", "consol"),
            ("consolatory", "consolatori"),
            ("console", "consol"),
            ("consoled", "consol"),
            ("consoles", "consol"),
            ("consolidate", "consolid"),
            ("consolidated", "consolid"),
            ("consolidating", "consolid"),
            ("consoling", "consol"),
            ("consolingly", "consol"),
            ("consols", "consol"),
            ("consonant", "conson"),
            ("consort", "consort"),
            ("consorted", "consort"),
            ("consorting", "consort"),
            ("conspicuous", "conspicu"),
            ("conspicuously", "conspicu"),
            ("conspiracy", "conspiraci"),
            ("conspirator", "conspir"),
            ("conspirators", "conspir"),
            ("conspire", "conspir"),
            ("conspired", "conspir"),
            ("conspiring", "conspir"),
            ("constable", "constabl"),
            ("constables", "constabl"),
            ("constance", "constanc"),
            ("constancy", "constanc"),
            ("constant", "constant"),
            ("knack", "knack"),
            ("knackeries", "knackeri"),
            ("knacks", "knack"),
            ("knag", "knag"),
            ("knave", "knave"),
            ("knaves", "knave"),
            ("knavish", "knavish"),
            ("kneaded", "knead"),
            ("kneading", "knead"),
            ("knee", "knee"),
            ("kneel", "kneel"),
            ("kneeled", "kneel"),
            ("kneeling", "kneel"),
            ("kneels", "kneel"),
            ("knees", "knee"),
            ("knell", "knell"),
            ("knelt", "knelt"),
            ("knew", "knew"),
            ("knick", "knick"),
            ("knif", "knif"),
            ("knife", "knife"),
            ("knight", "knight"),
            ("knightly", "knight"),
            ("knights", "knight"),
            ("knit", "knit"),
            ("knits", "knit"),
            ("knitted", "knit"),
            ("knitting", "knit"),
            ("knives", "knive"),
            ("knob", "knob"),
            ("knobs", "knob"),
            ("knock", "knock"),
            ("knocked", "knock"),
            ("knocker", "knocker"),
            ("knockers", "knocker"),
            ("knocking", "knock"),
            ("knocks", "knock"),
            ("knopp", "knopp"),
            ("knot", "knot"),
            ("knots", "knot"),
        ]);
    }

    #[test]
    fn step_rules() {
        check(&[
            ("ties", "tie"),
            ("cries", "cri"),
            ("gas", "gas"),
            ("gaps", "gap"),
            ("kiwis", "kiwi"),
            ("caresses", "caress"),
            ("dog's", "dog"),
            ("dogs'", "dog"),
            ("'tis", "tis"),
            ("hoped", "hope"),
            ("hopping", "hop"),
            ("luxuriated", "luxuri"),
            ("feed", "feed"),
            ("agreed", "agre"),
            ("cry", "cri"),
            ("by", "by"),
            ("say", "say"),
            ("sayings", "say"),
            ("youth", "youth"),
            ("generously", "generous"),
            ("communism", "communism"),
            ("arsenal", "arsenal"),
            ("skies", "sky"),
            ("dying", "die"),
            ("news", "news"),
            ("innings", "inning"),
            ("proceeding", "proceed"),
            ("succeeded", "succeed"),
            ("geology", "geolog"),
            ("controlled", "control"),
            ("owed", "owe"),
            ("a", "a"),
            ("ab", "ab"),
        ]);
    }

    #[test]
    fn other_characters_are_non_vowels() {
        check(&[("café", "café"), ("naïve", "naïv"), ("abc123", "abc123"), ("", "")]);
    }
}
