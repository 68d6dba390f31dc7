//! A glossary: terms that must be translated a given way, and the check that the model
//! did so.

use serde::{Deserialize, Serialize};

use crate::error::{CoreError, Result};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GlossaryEntry {
    pub term: String,
    pub translation: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Glossary {
    pub entries: Vec<GlossaryEntry>,
}

impl Glossary {
    /// Parses one entry per line: `term = translation`, `term<TAB>translation` or
    /// `term,translation` (the first separator found in that order). Blank lines and
    /// lines starting with `#` are skipped.
    pub fn parse(text: &str) -> Result<Self> {
        let mut entries = Vec::new();
        for (number, line) in text.lines().enumerate() {
            let line = line.trim().trim_start_matches('\u{feff}');
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let split = ["=", "\t", ","].iter().find_map(|sep| line.split_once(sep));
            let Some((term, translation)) = split else {
                return Err(CoreError::InvalidGlossary {
                    line: number + 1,
                    reason: "expected `term = translation`".into(),
                });
            };
            let (term, translation) = (unquote(term), unquote(translation));
            if term.is_empty() || translation.is_empty() {
                return Err(CoreError::InvalidGlossary {
                    line: number + 1,
                    reason: "the term and its translation must both be there".into(),
                });
            }
            entries.push(GlossaryEntry { term, translation });
        }
        Ok(Self { entries })
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The entries whose term occurs in `text` as a whole word (any case).
    pub fn matching(&self, text: &str) -> Vec<&GlossaryEntry> {
        self.entries
            .iter()
            .filter(|e| contains_word(text, &e.term))
            .collect()
    }
}

impl GlossaryEntry {
    /// Whether `translation` uses this entry's required translation. Inside a compound
    /// or with an inflection ending counts ("Paket" in "Paketverwaltung", "Pakets",
    /// "Paketen"): German, Dutch and Swedish build words that way, and a whole-word rule
    /// flagged most correct translations in the evaluation. Translations shorter than four
    /// characters must stand as whole words, or they would be found inside anything.
    pub fn followed_in(&self, translation: &str) -> bool {
        if self.translation.chars().count() < 4 {
            return contains_word(translation, &self.translation);
        }
        translation
            .to_lowercase()
            .contains(&self.translation.to_lowercase())
    }
}

fn unquote(text: &str) -> String {
    text.trim().trim_matches('"').trim().to_owned()
}

/// Whether `needle` occurs in `haystack`, ignoring case, not inside a longer word.
pub(crate) fn contains_word(haystack: &str, needle: &str) -> bool {
    let haystack = haystack.to_lowercase();
    let needle = needle.to_lowercase();
    if needle.is_empty() {
        return false;
    }
    let is_word = |c: Option<char>| c.is_some_and(char::is_alphanumeric);
    haystack.match_indices(&needle).any(|(at, _)| {
        let before = haystack[..at].chars().next_back();
        let after = haystack[at + needle.len()..].chars().next();
        !is_word(before) && !is_word(after)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_three_separators_and_skips_comments() {
        let glossary = Glossary::parse(
            "# terms\nengine = Motor\nkernel\tKern\n\"data, stored\" = Daten\nbranch,Zweig\n",
        )
        .unwrap();
        let pairs: Vec<(&str, &str)> = glossary
            .entries
            .iter()
            .map(|e| (e.term.as_str(), e.translation.as_str()))
            .collect();
        assert_eq!(
            pairs,
            vec![
                ("engine", "Motor"),
                ("kernel", "Kern"),
                ("data, stored", "Daten"),
                ("branch", "Zweig")
            ]
        );
    }

    #[test]
    fn bad_lines_name_their_number() {
        let error = Glossary::parse("ok = gut\njust a term\n").unwrap_err();
        assert!(error.to_string().contains("line 2"), "{error}");
        assert!(Glossary::parse("= nothing").is_err());
    }

    #[test]
    fn required_translations_count_inside_compounds_and_with_endings() {
        let entry = |t: &str| GlossaryEntry {
            term: "x".into(),
            translation: t.into(),
        };
        assert!(entry("Paket").followed_in("die Paketverwaltungsschritte"));
        assert!(entry("Paket").followed_in("des Pakets und von Paketen"));
        assert!(!entry("Paket").followed_in("das Bündel"));
        // Short translations must stand alone.
        assert!(entry("Ei").followed_in("ein Ei"));
        assert!(!entry("Ei").followed_in("eine Reise"));
    }

    #[test]
    fn terms_match_whole_words_in_any_case() {
        let glossary = Glossary::parse("cat = Katze").unwrap();
        assert_eq!(glossary.matching("The Cat sat.").len(), 1);
        assert!(glossary.matching("concatenate").is_empty());
        assert!(contains_word("Die Katze", "katze"));
    }
}
