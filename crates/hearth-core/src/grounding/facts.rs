//! The checkable facts in a piece of text: numbers (with percentages, amounts and
//! multipliers such as "2.5 million"), dates, quoted strings, code spans and names. Each
//! is read into a normalised form, so "1,234" and "1 234", "17 %" and "17 percent",
//! "5 March 2024" and "March 5, 2024" compare equal.
//!
//! Only what a generated text can get wrong in a way a reader cannot see is taken: a
//! number written as a word in a summary ("three points") is the writer's count, not a
//! claim about the document, so only digits are facts in the text checked; the sources'
//! number words ("twelve") are read too, so a "12" written from them is found.

use std::ops::Range;
use std::sync::LazyLock;

use regex::Regex;
use serde::{Deserialize, Serialize};

/// What kind of fact a span of text states.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FactKind {
    Number,
    Percent,
    Date,
    Quote,
    Code,
    Name,
    /// The sentence as a whole, which the thorough check's similarity or judge found no
    /// support for (facts never have this kind).
    Statement,
    /// The sentence as a whole, which the thorough check's judge found the sources
    /// contradict.
    Contradiction,
}

/// One fact as written, where it is, and what it is compared by.
#[derive(Debug, Clone, PartialEq)]
pub struct Fact {
    pub kind: FactKind,
    /// Byte range in the text it was read from.
    pub span: Range<usize>,
    pub value: FactValue,
}

/// A fact's normalised form.
#[derive(Debug, Clone, PartialEq)]
pub enum FactValue {
    /// A number (a percentage's too; compared without its sign, since "10-12" and "10 to
    /// 12" are the same range), and the place value of its last digit as written: a
    /// source number rounded to that place must give it. "17%" stands for 17.3%, and
    /// "1.2 million" (a unit of 100,000) for 1,234,567, but "2020" never for 2024;
    /// "about 3,000" has a unit of 1,000.
    Number {
        value: f64,
        unit: f64,
        /// The other reading of a number whose one separator could be either kind
        /// ("1.234" is 1234 in German, "1,234" is 1.234 in French); either is found.
        other: Option<Reading>,
    },
    /// A date's parts as far as they were given (a month and year, or all three).
    Date {
        year: Option<i32>,
        month: u8,
        day: Option<u8>,
    },
    /// Quoted text or code, lowercased (quotes only) with whitespace collapsed.
    Text(String),
    /// A name's words, lowercased.
    Name(Vec<String>),
}

const MONTHS: [&str; 12] = [
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
];

static NUMBER: LazyLock<Regex> = LazyLock::new(|| {
    // Digits with thousands separators (",", a space, a thin or no-break space, "'") or a
    // decimal part, an optional multiplier word, and an optional percent sign or word.
    Regex::new(
        r"(?xi)
        (?P<approx>\b(?:about|around|approximately|roughly|nearly|almost|over|under|some|more\x20than|less\x20than|fewer\x20than)\s+|~\s?)?
        (?P<digits>\d{1,3}(?:(?:,|\.|\x20|\u{202f}|\u{a0}|')\d{3})+(?:[.,]\d+)?\b|\d+(?:[.,]\d+)?)
        (?:\s?(?P<mult>thousand|tausend|mille|millions?|millionen|millones|milliarden?|milliards?|billion|bn|trillion)\b)?
        (?P<percent>\s?(?:%|percent\b|per\x20cent\b|pct\b))?",
    )
    .expect("the number pattern is valid")
});

static DATE: LazyLock<Regex> = LazyLock::new(|| {
    let month = r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?";
    Regex::new(&format!(
        r"(?xi)
        \b(?P<iso>(?P<iy>\d{{4}})-(?P<im>\d{{2}})-(?P<id>\d{{2}}))\b
        | \b(?P<d1>\d{{1,2}})(?:st|nd|rd|th)?\s+(?:of\s+)?(?P<m1>{month})(?:,?\s+(?P<y1>\d{{4}}))?\b
        | \b(?P<m2>{month})\s+(?P<d2>\d{{1,2}})(?:st|nd|rd|th)?(?:,?\s+(?P<y2>\d{{4}}))?\b
        | \b(?P<m3>{month})\s+(?:of\s+)?(?P<y3>\d{{4}})\b"
    ))
    .expect("the date pattern is valid")
});

static QUOTE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#""(?P<a>[^"\n]{3,200})"|“(?P<b>[^”\n]{3,200})”|«\s?(?P<c>[^»\n]{3,200}?)\s?»|„(?P<d>[^“”\n]{3,200})[“”]"#)
        .expect("the quote pattern is valid")
});

static CODE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"`(?P<code>[^`\n]{1,200})`").expect("the code pattern is valid"));

static WORD: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"[\p{L}\p{M}][\p{L}\p{M}\p{Nd}'’\-]*").expect("the word pattern is valid")
});

/// Words that start a capitalised run without naming anything.
const NOT_NAMES: &[&str] = &[
    "i",
    "a",
    "an",
    "the",
    "this",
    "that",
    "these",
    "those",
    "it",
    "its",
    "he",
    "she",
    "they",
    "we",
    "you",
    "his",
    "her",
    "their",
    "our",
    "your",
    "my",
    "in",
    "on",
    "at",
    "of",
    "for",
    "to",
    "from",
    "by",
    "with",
    "and",
    "or",
    "but",
    "if",
    "as",
    "so",
    "not",
    "no",
    "yes",
    "there",
    "here",
    "what",
    "which",
    "who",
    "when",
    "where",
    "why",
    "how",
    "all",
    "some",
    "each",
    "every",
    "both",
    "one",
    "also",
    "however",
    "overall",
    "finally",
    "first",
    "second",
    "third",
    "then",
    "summary",
    "note",
    "notes",
    "conclusion",
    "introduction",
    "key",
    "points",
    "point",
    "source",
    "sources",
    "document",
    "text",
    "answer",
    "question",
    "mr",
    "mrs",
    "ms",
    "dr",
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
];

/// Whether a language capitalises every noun (German, Luxembourgish): then a lone
/// capitalised word is a noun far more often than a name, and only acronyms, CamelCase
/// words and runs of capitalised words are taken as names.
pub fn capitalises_nouns(text: &str) -> bool {
    whatlang::detect(text)
        .is_some_and(|info| matches!(info.lang(), whatlang::Lang::Deu) && info.confidence() > 0.5)
}

/// Every fact in `text`, in order of where it starts. Number facts inside a date are
/// left to the date. The name rule follows the text's language ([`capitalises_nouns`]).
pub fn facts(text: &str) -> Vec<Fact> {
    facts_with(text, capitalises_nouns(text))
}

/// [`facts`] with the language's noun capitals already known: a summary's points are
/// too short to tell their language, the whole summary is not.
pub fn facts_with(text: &str, nouns_capitalised: bool) -> Vec<Fact> {
    let mut found = Vec::new();
    let mut taken: Vec<Range<usize>> = Vec::new();
    for m in CODE.captures_iter(text) {
        let whole = m.get(0).expect("a match has a whole");
        found.push(Fact {
            kind: FactKind::Code,
            span: whole.range(),
            value: FactValue::Text(collapse(&m["code"])),
        });
        taken.push(whole.range());
    }
    for m in QUOTE.captures_iter(text) {
        let whole = m.get(0).expect("a match has a whole");
        if overlaps(&taken, &whole.range()) {
            continue;
        }
        let inner = ["a", "b", "c", "d"]
            .iter()
            .find_map(|g| m.name(g))
            .map_or("", |g| g.as_str());
        // A quote of one short word is emphasis more often than a citation.
        if inner.split_whitespace().count() < 2 {
            continue;
        }
        found.push(Fact {
            kind: FactKind::Quote,
            span: whole.range(),
            value: FactValue::Text(quote_key(inner)),
        });
        taken.push(whole.range());
    }
    for m in DATE.captures_iter(text) {
        let whole = m.get(0).expect("a match has a whole");
        if overlaps(&taken, &whole.range()) {
            continue;
        }
        if let Some(value) = date_value(&m) {
            found.push(Fact {
                kind: FactKind::Date,
                span: whole.range(),
                value,
            });
            taken.push(whole.range());
        }
    }
    for m in NUMBER.captures_iter(text) {
        let whole = m.get(0).expect("a match has a whole");
        let digits = m.name("digits").expect("a number has digits").range();
        if overlaps(&taken, &whole.range()) || after_letter(text, digits.start) {
            continue;
        }
        let Some((value, unit, other)) = number_value(&m) else {
            continue;
        };
        let percent = m.name("percent").is_some();
        // The span is the number's own, without the word "about" before it.
        let start = m.name("digits").map_or(whole.start(), |d| d.start());
        found.push(Fact {
            kind: if percent {
                FactKind::Percent
            } else {
                FactKind::Number
            },
            span: start..whole.end(),
            value: FactValue::Number { value, unit, other },
        });
        taken.push(whole.range());
    }
    found.extend(names(text, &taken, nouns_capitalised));
    found.sort_by_key(|f| f.span.start);
    found
}

/// Numbers written as words in a source ("twelve", "forty"), so a digit written from
/// one is found. Compound forms ("forty-two") are read as their parts' sum.
pub fn number_words(text: &str) -> Vec<f64> {
    const UNITS: [&str; 20] = [
        "zero",
        "one",
        "two",
        "three",
        "four",
        "five",
        "six",
        "seven",
        "eight",
        "nine",
        "ten",
        "eleven",
        "twelve",
        "thirteen",
        "fourteen",
        "fifteen",
        "sixteen",
        "seventeen",
        "eighteen",
        "nineteen",
    ];
    const TENS: [&str; 8] = [
        "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety",
    ];
    let mut values: Vec<f64> = Vec::new();
    let words: Vec<String> = WORD
        .find_iter(text)
        .map(|w| w.as_str().to_lowercase())
        .collect();
    for (at, lower) in words.iter().enumerate() {
        let mut total = 0.0;
        let mut any = false;
        for part in lower.split('-') {
            if let Some(n) = UNITS.iter().position(|u| *u == part) {
                total += n as f64;
                any = true;
            } else if let Some(n) = TENS.iter().position(|t| *t == part) {
                total += (n as f64 + 2.0) * 10.0;
                any = true;
            } else if part == "hundred" {
                total = total.max(1.0) * 100.0;
                any = true;
            } else if part == "dozen" {
                total = total.max(1.0) * 12.0;
                any = true;
            } else {
                any = false;
                break;
            }
        }
        if any {
            values.push(total);
            // "twelve million" is 12,000,000 as well as twelve.
            let factor = match words.get(at + 1).map(String::as_str) {
                Some("thousand") => 1e3,
                Some("million") => 1e6,
                Some("billion") => 1e9,
                _ => 0.0,
            };
            if factor > 0.0 {
                values.push(total * factor);
            }
        }
    }
    values
}

fn overlaps(taken: &[Range<usize>], span: &Range<usize>) -> bool {
    taken
        .iter()
        .any(|t| t.start < span.end && span.start < t.end)
}

/// Digits right after a letter ("A4", "mp3") are part of a word, not a number.
fn after_letter(text: &str, start: usize) -> bool {
    text[..start]
        .chars()
        .next_back()
        .is_some_and(|c| c.is_alphabetic() || c == '_')
}

/// A number's value and the place value of its last written digit.
type Reading = (f64, f64);

/// The number's value, the place value of its last written digit, and its other
/// reading when its separator is ambiguous.
fn number_value(m: &regex::Captures) -> Option<(f64, f64, Option<Reading>)> {
    let digits = m.name("digits")?.as_str();
    let (integer, fraction) = split_decimal(digits);
    let other = ambiguous(digits);
    let plain: String = integer.chars().filter(char::is_ascii_digit).collect();
    let fraction: String = fraction.chars().filter(char::is_ascii_digit).collect();
    let mut value: f64 = if fraction.is_empty() {
        plain.parse().ok()?
    } else {
        format!("{plain}.{fraction}").parse().ok()?
    };
    let mut unit = 10f64.powi(-(fraction.len() as i32));
    if m.name("approx").is_some() && fraction.is_empty() {
        // "about 3,000": the zeros are rounding, not digits.
        let zeros = plain.len() - plain.trim_end_matches('0').len();
        if zeros < plain.len() {
            unit = 10f64.powi(zeros as i32);
        }
    }
    if let Some(mult) = m.name("mult") {
        let factor = match mult.as_str().to_lowercase().as_str() {
            "thousand" | "tausend" | "mille" => 1e3,
            "million" | "millions" | "millionen" | "millones" => 1e6,
            "billion" | "bn" | "milliard" | "milliards" | "milliarde" | "milliarden" => 1e9,
            _ => 1e12,
        };
        value *= factor;
        unit *= factor;
        return Some((value, unit, other.map(|(o, u)| (o * factor, u * factor))));
    }
    Some((value, unit, other))
}

/// Where the integer part ends and the decimals start. With both "." and "," the last
/// is the decimal mark ("1,234.5", "1.234,5"); one kind used more than once groups
/// thousands ("1.234.567"); a single one before exactly three digits groups too when it
/// is a comma ("1,234", English) and is a decimal point when it is a dot ("1.234"), the
/// other reading kept by [`ambiguous`]; anything else is a decimal mark ("3,5").
fn split_decimal(digits: &str) -> (&str, &str) {
    let last = digits.rfind(['.', ',']);
    let Some(at) = last else {
        return (digits, "");
    };
    let mark = digits[at..].chars().next().expect("a separator is there");
    let other_kind = if mark == '.' { ',' } else { '.' };
    if digits.contains(other_kind) {
        return (&digits[..at], &digits[at + 1..]);
    }
    let count = digits.matches(mark).count();
    let after = &digits[at + 1..];
    let grouped = count > 1 || (mark == ',' && after.len() == 3);
    if grouped {
        (digits, "")
    } else {
        (&digits[..at], after)
    }
}

/// The other value (and unit) of a number with a single separator before three digits:
/// "1,234" may be 1.234 and "1.234" may be 1234.
fn ambiguous(digits: &str) -> Option<Reading> {
    let at = digits.find(['.', ','])?;
    if digits[at + 1..].contains(['.', ',']) || digits.len() - at - 1 != 3 {
        return None;
    }
    let integer = &digits[..at];
    let after = &digits[at + 1..];
    if digits[at..].starts_with(',') {
        format!("{integer}.{after}")
            .parse()
            .ok()
            .map(|v| (v, 0.001))
    } else {
        format!("{integer}{after}").parse().ok().map(|v| (v, 1.0))
    }
}

fn date_value(m: &regex::Captures) -> Option<FactValue> {
    let month = |name: &str| {
        let lower = name.trim_end_matches('.').to_lowercase();
        MONTHS
            .iter()
            .position(|full| full.starts_with(&lower[..lower.len().min(3)]))
            .map(|i| i as u8 + 1)
    };
    let number = |g: Option<regex::Match>| g.and_then(|g| g.as_str().parse::<i32>().ok());
    if m.name("iso").is_some() {
        let month = number(m.name("im"))?;
        let day = number(m.name("id"))?;
        if !(1..=12).contains(&month) || !(1..=31).contains(&day) {
            return None;
        }
        return Some(FactValue::Date {
            year: number(m.name("iy")),
            month: month as u8,
            day: Some(day as u8),
        });
    }
    let (m_name, day, year) = if let Some(name) = m.name("m1") {
        (name, number(m.name("d1")), number(m.name("y1")))
    } else if let Some(name) = m.name("m2") {
        (name, number(m.name("d2")), number(m.name("y2")))
    } else {
        (m.name("m3")?, None, number(m.name("y3")))
    };
    // Month names are capitalised: "you may 2 times" has none, "May 2" is a date.
    if !m_name.as_str().starts_with(char::is_uppercase) {
        return None;
    }
    // A month needs a day or a year beside it, which the pattern asks for.
    let day = match day {
        Some(d) if (1..=31).contains(&d) => Some(d as u8),
        Some(_) => return None,
        None => None,
    };
    Some(FactValue::Date {
        year,
        month: month(m_name.as_str())?,
        day,
    })
}

/// Runs of capitalised words that are not a sentence's first word (unless the run is
/// longer than one word), acronyms, and CamelCase words.
fn names(text: &str, taken: &[Range<usize>], nouns_capitalised: bool) -> Vec<Fact> {
    let mut found = Vec::new();
    let mut run: Vec<(Range<usize>, String)> = Vec::new();
    let mut run_starts_sentence = false;
    let mut sentence_start = true;
    let mut last_end = 0;
    let mut flush = |run: &mut Vec<(Range<usize>, String)>, starts_sentence: bool| {
        let mut words: Vec<(Range<usize>, String)> = std::mem::take(run);
        // A sentence's first word is capitalised by the sentence: the name, if any, is
        // the rest ("Yesterday Maria Schmidt" is Maria Schmidt; "Berlin is big" names
        // nothing that can be told from a capital).
        if starts_sentence && !is_acronym_or_camel(&words[0].1) {
            words.remove(0);
        }
        while words
            .first()
            .is_some_and(|(_, w)| not_a_name(w) && !is_acronym_or_camel(w))
        {
            words.remove(0);
        }
        if words.is_empty() {
            return;
        }
        // "die Regierung": a German noun, not a name.
        if nouns_capitalised && words.len() == 1 && !is_acronym_or_camel(&words[0].1) {
            return;
        }
        let span = words[0].0.start..words[words.len() - 1].0.end;
        found.push(Fact {
            kind: FactKind::Name,
            span,
            value: FactValue::Name(words.iter().map(|(_, w)| name_key(w)).collect()),
        });
    };
    for word in WORD.find_iter(text) {
        let between = &text[last_end..word.start()];
        let breaks_sentence = between.contains([
            '.', '!', '?', ':', ';', '\n', '#', '*', '-', '•', '(', ')', '"', '“', '”',
        ]) || last_end == 0;
        if breaks_sentence || !between.trim().is_empty() {
            if !run.is_empty() {
                flush(&mut run, run_starts_sentence);
            }
            if breaks_sentence
                && (between.contains(['.', '!', '?', '\n', '#', '*', '•', ':']) || last_end == 0)
            {
                sentence_start = true;
            }
        }
        let w = word.as_str();
        let capitalised = w.chars().next().is_some_and(char::is_uppercase);
        if capitalised && !overlaps(taken, &word.range()) {
            if run.is_empty() {
                run_starts_sentence = sentence_start;
            }
            run.push((word.range(), w.to_owned()));
        } else if !run.is_empty() {
            flush(&mut run, run_starts_sentence);
        }
        sentence_start = false;
        last_end = word.end();
    }
    if !run.is_empty() {
        flush(&mut run, run_starts_sentence);
    }
    found
}

/// A capitalised word that names nothing: "The", "However", and contractions of such
/// words ("I'm", "I've", "It's").
fn not_a_name(word: &str) -> bool {
    let lower = word.to_lowercase().replace('’', "'");
    let base = lower.split('\'').next().unwrap_or(&lower);
    NOT_NAMES.contains(&base)
}

/// "NASA", "iPhone", "McDonald": a word whose capitals are not only its first letter.
fn is_acronym_or_camel(word: &str) -> bool {
    let letters: Vec<char> = word.chars().filter(|c| c.is_alphabetic()).collect();
    let upper = letters.iter().filter(|c| c.is_uppercase()).count();
    (letters.len() >= 2 && upper == letters.len()) || (upper >= 2 && upper < letters.len())
}

/// A name's word as compared: lowercased, without a possessive.
pub fn name_key(word: &str) -> String {
    let lower = word.to_lowercase().replace('’', "'");
    lower
        .strip_suffix("'s")
        .or_else(|| lower.strip_suffix('\''))
        .unwrap_or(&lower)
        .to_owned()
}

/// Quoted text as compared: lowercased, typographic quotes and apostrophes made plain,
/// whitespace collapsed, trailing punctuation dropped (a quote often ends with the
/// sentence's own).
pub fn quote_key(text: &str) -> String {
    let plain: String = text
        .chars()
        .map(|c| match c {
            '’' | '‘' => '\'',
            '“' | '”' | '„' | '«' | '»' => '"',
            c => c,
        })
        .collect();
    collapse(&plain.to_lowercase())
        .trim_end_matches(['.', ',', ';', ':', '!', '?'])
        .to_owned()
}

/// Whitespace runs made one space.
pub fn collapse(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Every word of `text`, as names are compared; a hyphenated word also gives its parts
/// ("NASA-Budget": "nasa-budget", "nasa", "budget").
pub fn words(text: &str) -> impl Iterator<Item = String> + '_ {
    WORD.find_iter(text).flat_map(|w| {
        let whole = name_key(w.as_str());
        let parts: Vec<String> = if whole.contains('-') {
            whole
                .split('-')
                .filter(|p| !p.is_empty())
                .map(str::to_owned)
                .collect()
        } else {
            Vec::new()
        };
        std::iter::once(whole).chain(parts)
    })
}

static ACRONYM: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\b\p{Lu}[\p{Lu}\d]+\b").expect("the acronym pattern is valid"));

/// Acronyms ("EU", "NASA", "COVID"): names a translation keeps as they are.
pub(crate) fn acronyms(text: &str) -> Vec<Fact> {
    ACRONYM
        .find_iter(text)
        .filter(|m| m.as_str().chars().any(char::is_alphabetic))
        .map(|m| Fact {
            kind: FactKind::Name,
            span: m.range(),
            value: FactValue::Name(vec![m.as_str().to_lowercase()]),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(text: &str) -> Vec<(FactKind, &str)> {
        facts(text)
            .into_iter()
            .map(|f| (f.kind, &text[f.span]))
            .collect()
    }

    fn number(text: &str) -> (f64, f64) {
        match &facts(text)
            .into_iter()
            .find(|f| matches!(f.kind, FactKind::Number | FactKind::Percent))
            .unwrap()
            .value
        {
            FactValue::Number { value, unit, .. } => (*value, *unit),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn numbers_are_read_with_separators_multipliers_and_percentages() {
        assert_eq!(number("exactly 1,234,567 people"), (1_234_567.0, 1.0));
        assert_eq!(number("then 1 234 people"), (1234.0, 1.0));
        assert_eq!(number("about 3,000 people"), (3000.0, 1000.0));
        assert_eq!(number("2.5 million users"), (2_500_000.0, 100_000.0));
        assert_eq!(number("3,5 litres"), (3.5, 0.1));
        assert_eq!(number("then 1.234.567,5 Euro"), (1_234_567.5, 0.1));
        assert_eq!(number("then 1,234.5 euros"), (1234.5, 0.1));
        assert_eq!(number("then 1.234 Euro"), (1.234, 0.001));
        assert_eq!(number("a ratio of 4.56789 or so").0, 4.56789);
        assert_eq!(number("a loss of -40"), (40.0, 1.0));
        assert_eq!(number("then 0.05 of it"), (0.05, 0.01));
        assert_eq!(
            kinds("Sales rose 17 % and 4 percent; then 12%."),
            [
                (FactKind::Percent, "17 %"),
                (FactKind::Percent, "4 percent"),
                (FactKind::Percent, "12%"),
            ]
        );
    }

    #[test]
    fn a_single_separator_before_three_digits_is_read_both_ways() {
        let other = |text: &str| match &facts(text)[0].value {
            FactValue::Number { other, .. } => other.map(|(value, _)| value),
            value => panic!("{value:?}"),
        };
        assert_eq!(other("1.234"), Some(1234.0));
        assert_eq!(other("1,234"), Some(1.234));
        assert_eq!(other("1,234,567"), None);
        assert_eq!(other("3,5"), None);
    }

    #[test]
    fn dates_are_read_in_their_usual_forms_and_their_numbers_are_not_counted_twice() {
        let dates: Vec<FactValue> = [
            "On 5 March 2024 it",
            "On March 5, 2024 it",
            "on 2024-03-05.",
        ]
        .iter()
        .map(|t| {
            facts(t)
                .into_iter()
                .find(|f| f.kind == FactKind::Date)
                .unwrap()
                .value
        })
        .collect();
        let expected = FactValue::Date {
            year: Some(2024),
            month: 3,
            day: Some(5),
        };
        assert_eq!(dates, [expected.clone(), expected.clone(), expected]);
        assert_eq!(kinds("in June 2021 only"), [(FactKind::Date, "June 2021")]);
        assert_eq!(kinds("you may 2 times"), [(FactKind::Number, "2")]);
    }

    #[test]
    fn quotes_code_and_names_are_found_and_sentence_starts_are_not_names() {
        assert_eq!(
            kinds("The report says “costs fell sharply” and runs `make check` daily."),
            [
                (FactKind::Quote, "“costs fell sharply”"),
                (FactKind::Code, "`make check`")
            ]
        );
        assert_eq!(
            kinds("Yesterday Maria Schmidt met the NASA team in Berlin. Overall it went well."),
            [
                (FactKind::Name, "Maria Schmidt"),
                (FactKind::Name, "NASA"),
                (FactKind::Name, "Berlin")
            ]
        );
        assert_eq!(kinds("Berlin is big."), []);
        assert_eq!(kinds("New York is big."), [(FactKind::Name, "York")]);
        assert_eq!(kinds("We met Anna."), [(FactKind::Name, "Anna")]);
        assert_eq!(kinds("And I'm sure I’ve seen it."), []);
        // German capitalises nouns: a lone one is not a name; acronyms and runs still are.
        assert_eq!(
            kinds("Die Regierung plant neue Gesetze für die Europäische Zentralbank und die EU."),
            [
                (FactKind::Name, "Europäische Zentralbank"),
                (FactKind::Name, "EU")
            ]
        );
    }

    #[test]
    fn digits_in_words_are_not_numbers_and_number_words_count_in_sources() {
        // "A4" is a name of its own, checked as one; neither is a number.
        assert_eq!(
            kinds("Use an A4 sheet and mp3 files."),
            [(FactKind::Name, "A4")]
        );
        assert_eq!(
            number_words("twelve apples, forty-two pears, a dozen eggs and two million ants"),
            [12.0, 42.0, 12.0, 2.0, 2e6]
        );
    }

    #[test]
    fn names_and_quotes_compare_without_possessives_case_or_typography() {
        assert_eq!(name_key("Germany’s"), "germany");
        assert_eq!(quote_key("  Costs   fell, sharply."), "costs fell, sharply");
        assert_eq!(quote_key("it’s “fine”"), "it's \"fine\"");
    }
}
