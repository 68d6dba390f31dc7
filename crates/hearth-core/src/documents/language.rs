//! Languages by name or code, and detecting the language of a text.
//!
//! Detection is whatlang's (trigram statistics, no model file); the table below adds the
//! two-letter ISO 639-1 codes people type (`de`, `pt-BR`) to whatlang's three-letter ones.

use serde::{Deserialize, Serialize};
use whatlang::Lang;

use crate::error::{CoreError, Result};

/// A language Hearth can name in a prompt.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Language {
    /// ISO 639-1 where the language has one ("de"), else ISO 639-3.
    pub code: String,
    /// English name, as the model is told ("German").
    pub name: String,
}

/// A detected language and how sure the detector is (0 to 1).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DetectedLanguage {
    pub language: Language,
    pub confidence: f64,
    /// whatlang's own judgement that the text was long and clear enough.
    pub reliable: bool,
}

/// ISO 639-3 (whatlang) to ISO 639-1 for the languages that have a two-letter code.
const TWO_LETTER: &[(&str, &str)] = &[
    ("epo", "eo"),
    ("eng", "en"),
    ("rus", "ru"),
    ("cmn", "zh"),
    ("spa", "es"),
    ("por", "pt"),
    ("ita", "it"),
    ("ben", "bn"),
    ("fra", "fr"),
    ("deu", "de"),
    ("ukr", "uk"),
    ("kat", "ka"),
    ("ara", "ar"),
    ("hin", "hi"),
    ("jpn", "ja"),
    ("heb", "he"),
    ("yid", "yi"),
    ("pol", "pl"),
    ("amh", "am"),
    ("jav", "jv"),
    ("kor", "ko"),
    ("nob", "nb"),
    ("dan", "da"),
    ("swe", "sv"),
    ("fin", "fi"),
    ("tur", "tr"),
    ("nld", "nl"),
    ("hun", "hu"),
    ("ces", "cs"),
    ("ell", "el"),
    ("bul", "bg"),
    ("bel", "be"),
    ("mar", "mr"),
    ("kan", "kn"),
    ("ron", "ro"),
    ("slv", "sl"),
    ("hrv", "hr"),
    ("srp", "sr"),
    ("mkd", "mk"),
    ("lit", "lt"),
    ("lav", "lv"),
    ("est", "et"),
    ("tam", "ta"),
    ("vie", "vi"),
    ("urd", "ur"),
    ("tha", "th"),
    ("guj", "gu"),
    ("uzb", "uz"),
    ("pan", "pa"),
    ("aze", "az"),
    ("ind", "id"),
    ("tel", "te"),
    ("pes", "fa"),
    ("mal", "ml"),
    ("ori", "or"),
    ("mya", "my"),
    ("nep", "ne"),
    ("sin", "si"),
    ("khm", "km"),
    ("tuk", "tk"),
    ("aka", "ak"),
    ("zul", "zu"),
    ("sna", "sn"),
    ("afr", "af"),
    ("lat", "la"),
    ("slk", "sk"),
    ("cat", "ca"),
    ("tgl", "tl"),
    ("hye", "hy"),
];

/// Names people use that are not whatlang's English name.
const ALIASES: &[(&str, &str)] = &[
    ("chinese", "cmn"),
    ("mandarin", "cmn"),
    ("zh-cn", "cmn"),
    ("zh-tw", "cmn"),
    ("zh-hans", "cmn"),
    ("zh-hant", "cmn"),
    ("persian", "pes"),
    ("farsi", "pes"),
    ("norwegian", "nob"),
    ("no", "nob"),
    ("filipino", "tgl"),
    ("pt-br", "por"),
    ("pt-pt", "por"),
    ("en-us", "eng"),
    ("en-gb", "eng"),
    ("es-419", "spa"),
];

impl Language {
    pub(crate) fn from_lang(lang: Lang) -> Self {
        let three = lang.code();
        let code = TWO_LETTER
            .iter()
            .find(|(long, _)| *long == three)
            .map_or(three, |(_, short)| short);
        let name = match lang {
            // whatlang calls it "Mandarin"; users and models say Chinese.
            Lang::Cmn => "Chinese",
            Lang::Pes => "Persian",
            Lang::Nob => "Norwegian",
            other => other.eng_name(),
        };
        Self {
            code: code.to_owned(),
            name: name.to_owned(),
        }
    }

    /// whatlang's language, for detecting it in a text.
    pub(crate) fn whatlang(&self) -> Option<Lang> {
        lookup(&self.code)
    }

    /// Finds a language by English name ("German"), native name ("Deutsch"), ISO 639-1
    /// ("de", "pt-BR") or ISO 639-3 ("deu"); case does not matter.
    pub fn parse(text: &str) -> Result<Self> {
        let wanted = text.trim().to_lowercase().replace('_', "-");
        // "de-AT" and similar: the region does not change the language.
        let found = lookup(&wanted).or_else(|| {
            let (base, _region) = wanted.split_once('-')?;
            lookup(base)
        });
        match found {
            Some(lang) => Ok(Self::from_lang(lang)),
            None => Err(CoreError::UnknownLanguage {
                name: text.trim().to_owned(),
            }),
        }
    }
}

/// The ISO 639-3 code (as whatlang and Tesseract name languages) of a language given
/// the ways [`Language::parse`] accepts ("de_DE", "German", "deu").
pub fn iso639_3(text: &str) -> Option<&'static str> {
    let wanted = text.trim().to_lowercase().replace('_', "-");
    lookup(&wanted)
        .or_else(|| lookup(wanted.split_once('-')?.0))
        .map(|lang| lang.code())
}

fn lookup(wanted: &str) -> Option<Lang> {
    let three_letter = ALIASES
        .iter()
        .find(|(alias, _)| *alias == wanted)
        .map(|(_, long)| *long)
        .or_else(|| {
            TWO_LETTER
                .iter()
                .find(|(_, short)| *short == wanted)
                .map(|(long, _)| *long)
        })
        .unwrap_or(wanted);
    Lang::from_code(three_letter).or_else(|| {
        Lang::all().iter().copied().find(|lang| {
            lang.eng_name().eq_ignore_ascii_case(wanted) || lang.name().to_lowercase() == wanted
        })
    })
}

/// Detects the language of `text`, or `None` when there is too little text to tell.
pub fn detect(text: &str) -> Option<DetectedLanguage> {
    // A few thousand characters decide it; more only costs time.
    let sample: String = text.chars().take(4000).collect();
    let info = whatlang::detect(&sample)?;
    Some(DetectedLanguage {
        language: Language::from_lang(info.lang()),
        confidence: info.confidence(),
        reliable: info.is_reliable(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_codes_find_the_same_language() {
        for spelling in [
            "German", "german", "Deutsch", "de", "DE", "deu", "de-AT", "de_CH",
        ] {
            let language = Language::parse(spelling).unwrap();
            assert_eq!(language.code, "de", "{spelling}");
            assert_eq!(language.name, "German", "{spelling}");
        }
        assert_eq!(Language::parse("zh-CN").unwrap().name, "Chinese");
        assert_eq!(Language::parse("chinese").unwrap().code, "zh");
        assert_eq!(Language::parse("pt-BR").unwrap().name, "Portuguese");
        assert_eq!(Language::parse("fr").unwrap().name, "French");
    }

    #[test]
    fn unknown_languages_are_refused_with_the_name() {
        let error = Language::parse("Klingon").unwrap_err();
        assert!(error.to_string().contains("Klingon"), "{error}");
        assert!(Language::parse("").is_err());
    }

    #[test]
    fn detects_common_languages() {
        let cases = [
            ("The quick brown fox jumps over the lazy dog while the farmer watches from the porch.", "en"),
            ("Der schnelle braune Fuchs springt über den faulen Hund, während der Bauer zusieht.", "de"),
            ("Le renard brun rapide saute par-dessus le chien paresseux pendant que le fermier regarde.", "fr"),
            ("El rápido zorro marrón salta sobre el perro perezoso mientras el granjero mira.", "es"),
            ("素早い茶色の狐が怠け者の犬を飛び越え、農夫がそれを見ている。", "ja"),
        ];
        for (text, code) in cases {
            assert_eq!(detect(text).unwrap().language.code, code, "{text}");
        }
        assert!(detect("").is_none());
    }
}
