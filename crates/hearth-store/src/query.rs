//! Turns what a person typed into a search box into FTS5 query expressions that can never
//! be a syntax error.
//!
//! The rules, meant to match what people expect from a search box:
//! - terms are separated by spaces and all must match (AND); `"two words"` is a phrase;
//! - `term*` matches words starting with `term`, and so does the last term, so results
//!   appear while typing (`cat` finds "category");
//! - everything else is literal: FTS5 operators (`AND`, `OR`, `NEAR`, `-`, `^`, `:`,
//!   parentheses) are just words or punctuation, because every term is quoted;
//! - terms in scripts written without spaces (Chinese, Japanese, Korean, Thai, ...) are
//!   matched as substrings through the trigram index, since the word index sees a whole
//!   sentence of them as one token. Substrings shorter than three characters are too short
//!   for trigrams and go to the one-character index (`unspaced.rs`).

/// Terms after the first this many are ignored, which bounds the cost of a query.
pub const MAX_TERMS: usize = 32;

/// A search, split by index.
#[derive(Debug, Default, PartialEq)]
pub(crate) struct ParsedQuery {
    /// For the unicode61 word index.
    pub words: Option<String>,
    /// For the trigram index.
    pub substrings: Option<String>,
    /// No-space-script terms of one or two characters, for the one-character index.
    pub short: Vec<String>,
}

impl ParsedQuery {
    pub fn is_empty(&self) -> bool {
        self.words.is_none() && self.substrings.is_none() && self.short.is_empty()
    }
}

struct Term {
    text: String,
    prefix: bool,
    phrase: bool,
}

pub(crate) fn parse(input: &str) -> ParsedQuery {
    let mut terms = split_terms(input);
    terms.truncate(MAX_TERMS);
    if let Some(last) = terms.last_mut() {
        // Search as you type: the last word is probably unfinished.
        if !last.phrase {
            last.prefix = true;
        }
    }
    let mut words = Vec::new();
    let mut substrings = Vec::new();
    let mut short = Vec::new();
    for term in terms {
        if term.text.chars().any(is_unspaced_script) {
            if term.text.chars().count() >= 3 {
                substrings.push(quote(&term.text));
            } else {
                short.push(term.text);
            }
        } else {
            let mut expr = quote(&term.text);
            if term.prefix {
                expr.push('*');
            }
            words.push(expr);
        }
    }
    let join = |parts: Vec<String>| (!parts.is_empty()).then(|| parts.join(" "));
    ParsedQuery {
        words: join(words),
        substrings: join(substrings),
        short,
    }
}

fn split_terms(input: &str) -> Vec<Term> {
    let mut terms = Vec::new();
    let mut chars = input.chars().peekable();
    while let Some(&c) = chars.peek() {
        if c.is_whitespace() {
            chars.next();
            continue;
        }
        let (raw, phrase) = if c == '"' {
            chars.next();
            let mut raw = String::new();
            for c in chars.by_ref() {
                if c == '"' {
                    break;
                }
                raw.push(c);
            }
            (raw, true)
        } else {
            let mut raw = String::new();
            while let Some(&c) = chars.peek() {
                if c.is_whitespace() {
                    break;
                }
                raw.push(c);
                chars.next();
            }
            (raw, false)
        };
        let prefix = !phrase && raw.ends_with('*');
        let raw = if phrase {
            raw.as_str()
        } else {
            raw.trim_end_matches('*')
        };
        let text: String = raw
            .chars()
            .map(|c| if c.is_control() { ' ' } else { c })
            .collect();
        let text = text.trim().to_owned();
        // A term with no letter or digit has no tokens; FTS5 would match nothing with it.
        if text.chars().any(char::is_alphanumeric) {
            terms.push(Term {
                text,
                prefix,
                phrase,
            });
        }
    }
    terms
}

/// An FTS5 string: inside double quotes everything is literal, and `"` is doubled.
fn quote(text: &str) -> String {
    format!("\"{}\"", text.replace('"', "\"\""))
}

/// Scripts normally written without spaces between words.
pub(crate) fn is_unspaced_script(c: char) -> bool {
    matches!(c as u32,
        0x0E00..=0x0EFF     // Thai, Lao
        | 0x1000..=0x109F   // Myanmar
        | 0x1780..=0x17FF   // Khmer
        | 0x1100..=0x11FF   // Hangul Jamo
        | 0x2E80..=0x2FDF   // CJK radicals
        | 0x3040..=0x30FF   // Hiragana, Katakana
        | 0x3100..=0x31FF   // Bopomofo, Hangul compatibility, Katakana extensions
        | 0x3400..=0x4DBF   // CJK extension A
        | 0x4E00..=0x9FFF   // CJK unified ideographs
        | 0xAC00..=0xD7AF   // Hangul syllables
        | 0xF900..=0xFAFF   // CJK compatibility ideographs
        | 0xFF66..=0xFF9F   // half-width Katakana
        | 0x20000..=0x3134F // CJK extensions B-G
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_are_quoted_and_the_last_one_is_a_prefix() {
        let q = parse("hello wor");
        assert_eq!(q.words.as_deref(), Some(r#""hello" "wor"*"#));
        assert_eq!(q.substrings, None);
    }

    #[test]
    fn explicit_prefix_phrases_and_operators_stay_literal() {
        let q = parse(r#"cat* "new york" AND OR NOT NEAR( col:x -y ^z"#);
        assert_eq!(
            q.words.as_deref(),
            Some(r#""cat"* "new york" "AND" "OR" "NOT" "NEAR(" "col:x" "-y" "^z"*"#)
        );
        // `"a""b` is the phrase "a" and then an unfinished phrase "b".
        assert_eq!(parse(r#""a""b"#).words.as_deref(), Some(r#""a" "b""#));
        // An unfinished phrase runs to the end and is not a prefix.
        assert_eq!(parse(r#"say "hi"#).words.as_deref(), Some(r#""say" "hi""#));
    }

    #[test]
    fn embedded_quotes_are_doubled() {
        assert_eq!(parse(r#"don"t"#).words.as_deref(), Some(r#""don""t"*"#));
    }

    #[test]
    fn punctuation_only_terms_are_dropped() {
        assert!(parse(r#"*** " " ( ) - ""#).is_empty());
        assert!(parse("").is_empty());
        assert_eq!(parse("a -").words.as_deref(), Some(r#""a"*"#));
    }

    #[test]
    fn unspaced_scripts_go_to_substring_search() {
        let q = parse("日本語 東京 rust");
        assert_eq!(q.substrings.as_deref(), Some(r#""日本語""#));
        assert_eq!(q.short, ["東京"]);
        assert_eq!(q.words.as_deref(), Some(r#""rust"*"#));
        // Cyrillic and Greek have spaces: the word index handles them.
        assert_eq!(parse("привет").words.as_deref(), Some(r#""привет"*"#));
        assert_eq!(parse("καλημέρα").substrings, None);
    }

    #[test]
    fn terms_are_capped() {
        let many = (0..100)
            .map(|i| format!("w{i}"))
            .collect::<Vec<_>>()
            .join(" ");
        let q = parse(&many);
        assert_eq!(
            q.words.unwrap_or_default().matches('"').count(),
            2 * MAX_TERMS
        );
    }
}
