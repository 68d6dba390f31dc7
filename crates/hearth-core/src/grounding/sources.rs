//! What the sources state, indexed for the fact check: their numbers (digits and number
//! words) with the sentence each stands in, dates, words (for names), and their text
//! normalised for quotes and code.
//!
//! A number is looked up *in context*: it is found only in a source sentence that
//! shares a content word with the sentence checked. A long document has nearly every
//! small number somewhere ("12" in a section number, "8" in a man page's section), so
//! "all 12 examples" must be found beside "examples", not anywhere.

use std::collections::{BTreeSet, HashSet};
use std::sync::LazyLock;

use regex::Regex;

use super::facts::{self, collapse, number_words, quote_key, FactValue};

/// Digit runs of every form the fact reader knows, dates' parts included, so a year or a
/// day written alone in the checked text is found in a source's date.
static DIGITS: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"\d{1,3}(?:(?:,|\.|\x20|\u{202f}|\u{a0}|')\d{3})+(?:[.,]\d+)?\b|\d+(?:[.,]\d+)?")
        .expect("the digits pattern is valid")
});

static CONTENT_WORD: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\p{L}{4,}").expect("the word pattern is valid"));

/// Words too common to tie a number to its sentence.
const COMMON: &[&str] = &[
    "that",
    "this",
    "with",
    "from",
    "have",
    "there",
    "their",
    "they",
    "them",
    "then",
    "than",
    "which",
    "where",
    "when",
    "what",
    "will",
    "would",
    "should",
    "could",
    "about",
    "also",
    "into",
    "more",
    "most",
    "some",
    "such",
    "only",
    "other",
    "over",
    "each",
    "were",
    "been",
    "being",
    "these",
    "those",
    "your",
    "very",
    "much",
    "many",
    "after",
    "before",
    "while",
    "under",
    "between",
    "both",
    "does",
    "done",
    "made",
    "make",
    "like",
    "just",
    "used",
    "using",
    "uses",
    "first",
    "second",
    "third",
    "number",
    "total",
    "about",
    "around",
    "nearly",
    "almost",
    "roughly",
    "approximately",
    "percent",
    "document",
    "text",
    "summary",
    "says",
    "said",
    "states",
    "report",
    "reports",
];

/// The words that tie a sentence's numbers to it: lowercase, four letters or more, not
/// common, cut to their first five letters so inflections meet ("examples", "example").
pub(crate) fn content_words(text: &str) -> HashSet<String> {
    CONTENT_WORD
        .find_iter(text)
        .map(|w| w.as_str().to_lowercase())
        .filter(|w| !COMMON.contains(&w.as_str()))
        .map(|w| w.chars().take(5).collect())
        .collect()
}

pub(crate) struct SourceIndex {
    /// Every number with the source sentence it stands in, sorted by value, so a
    /// number is looked up by the range that rounds to it.
    numbers: Vec<(f64, usize)>,
    /// Each source sentence's content words.
    sentences: Vec<HashSet<String>>,
    dates: Vec<(Option<i32>, u8, Option<u8>)>,
    /// Words as names are compared (lowercase, no possessive), sorted for prefix search.
    words: BTreeSet<String>,
    /// The text as quotes are compared.
    quoted: String,
    /// The text as code is compared (case kept).
    plain: String,
}

impl SourceIndex {
    pub(crate) fn new(sources: &[&str]) -> Self {
        let mut index = SourceIndex {
            numbers: Vec::new(),
            sentences: Vec::new(),
            dates: Vec::new(),
            words: BTreeSet::new(),
            quoted: String::new(),
            plain: String::new(),
        };
        for source in sources {
            for (_, sentence) in super::sentences_of(source) {
                let id = index.sentences.len();
                index.sentences.push(content_words(sentence));
                for fact in facts::facts_with(sentence, false) {
                    match fact.value {
                        FactValue::Number { value, other, .. } => {
                            index.numbers.push((value, id));
                            if let Some((other, _)) = other {
                                index.numbers.push((other, id));
                            }
                        }
                        FactValue::Date { year, month, day } => {
                            index.dates.push((year, month, day))
                        }
                        _ => {}
                    }
                }
                for m in DIGITS.find_iter(sentence) {
                    if let Some(value) = plain_number(m.as_str()) {
                        index.numbers.push((value, id));
                    }
                }
                index
                    .numbers
                    .extend(number_words(sentence).into_iter().map(|n| (n, id)));
            }
            index.words.extend(facts::words(source));
            index.quoted.push_str(&quote_key(source));
            index.quoted.push('\n');
            index.plain.push_str(&collapse(source));
            index.plain.push('\n');
        }
        index.numbers.retain(|(n, _)| n.is_finite());
        index.numbers.sort_by(|a, b| a.0.total_cmp(&b.0));
        index
    }

    /// Whether a source number, rounded to `unit`, gives `value` (one in the half-unit
    /// either side of it, found by binary search), in a source sentence that shares a
    /// word with `context` when a context is given.
    pub(crate) fn has_number(
        &self,
        value: f64,
        unit: f64,
        context: Option<&HashSet<String>>,
    ) -> bool {
        let slack = unit * 1e-6;
        let (low, high) = (value - unit / 2.0 - slack, value + unit / 2.0 + slack);
        let from = self.numbers.partition_point(|&(n, _)| n < low);
        self.numbers[from..]
            .iter()
            .take_while(|&&(n, _)| n <= high)
            .any(|&(_, sentence)| {
                context.is_none_or(|words| {
                    words.is_empty() || !self.sentences[sentence].is_disjoint(words)
                })
            })
    }

    /// Whether a source date agrees on every part `date` gives; a year a source date
    /// leaves out may stand anywhere in the sources.
    pub(crate) fn has_date(&self, year: Option<i32>, month: u8, day: Option<u8>) -> bool {
        self.dates.iter().any(|&(y, m, d)| {
            m == month
                && (day.is_none() || d == day)
                && match (year, y) {
                    (None, _) => true,
                    (Some(wanted), Some(found)) => wanted == found,
                    (Some(wanted), None) => self.has_number(f64::from(wanted), 1.0, None),
                }
        })
    }

    /// Which of `keys` (quotes, as [`quote_key`] makes them) the sources contain: one
    /// pass over the sources for all of them, however many the text has.
    pub(crate) fn quotes_found(&self, keys: &[&str]) -> Vec<bool> {
        contained(&self.quoted, keys)
    }

    /// Which code spans the sources contain, as written.
    pub(crate) fn codes_found(&self, codes: &[&str]) -> Vec<bool> {
        contained(&self.plain, codes)
    }

    /// Whether a source has the word, or an inflection of it ("Deutschlands" for
    /// "Deutschland", "Smiths" for "Smith"): a shared start of at least four letters
    /// that leaves at most three letters over on either side.
    pub(crate) fn has_word(&self, word: &str) -> bool {
        if self.words.contains(word) {
            return true;
        }
        let chars: Vec<char> = word.chars().collect();
        if chars.len() < 4 {
            return false;
        }
        let stem: String = chars[..4].iter().collect();
        self.words
            .range(stem.clone()..)
            .take_while(|w| w.starts_with(&stem))
            .any(|w| {
                let common = w
                    .chars()
                    .zip(word.chars())
                    .take_while(|(a, b)| a == b)
                    .count();
                common >= 4 && w.chars().count() - common <= 3 && chars.len() - common <= 3
            })
    }
}

/// Which of `needles` occur in `haystack`, in one Aho-Corasick pass.
fn contained(haystack: &str, needles: &[&str]) -> Vec<bool> {
    let mut found = vec![false; needles.len()];
    if needles.is_empty() {
        return found;
    }
    let Ok(searcher) = aho_corasick::AhoCorasick::new(needles) else {
        return found;
    };
    for hit in searcher.find_overlapping_iter(haystack) {
        found[hit.pattern().as_usize()] = true;
    }
    found
}

/// A digit run as a number, read as the fact reader reads one.
fn plain_number(text: &str) -> Option<f64> {
    let facts = facts::facts_with(text, false);
    match facts.first().map(|f| &f.value) {
        Some(FactValue::Number { value, .. }) => Some(*value),
        _ => None,
    }
}
