//! Telling whether a model's answer is really a translation: small or English-only
//! models often hand the source back, paraphrase it in the source language, or answer
//! in a third language. Each unit's answer is checked here; the translator retries a
//! failed unit once with a stricter prompt and then marks it, so copied text is never
//! passed off as a translation.
//!
//! The judgement is deliberately conservative: only prose is judged (inline code, link
//! targets, numbers and URLs are taken out, since they stay the same in any language),
//! units with too few words to tell are never flagged, and the language test asks
//! whatlang only "is this more like the source language or the target language" (an
//! allowlist of the two), which is reliable on a sentence where open detection over 60
//! languages is not. A third language is reported only when open detection is sure.
//! An answer in the right language can still be no translation: a tiny model writes
//! fluent-looking text about something else. Three signs of that are checked, each far
//! outside what real translations do: under half the source's words, the same four
//! words three times over where the source has no such repeat, and none of the source's
//! names, numbers and code kept when it has two or more.

use serde::{Deserialize, Serialize};
use whatlang::{Detector, Lang};

use super::language::Language;

/// Why an answer does not count as a translation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum NotTranslated {
    /// The answer is the source text again, or nearly.
    Copied,
    /// The model wrote nothing.
    Empty,
    /// The answer is much shorter than the source: most of it is missing.
    Incomplete,
    /// The answer repeats the same words over and over (a model stuck in a loop).
    Repeating,
    /// The answer has none of the source's names, numbers and code: it is about
    /// something else.
    FactsLost,
    /// The model writes English only: whatever it wrote in `language` is not a
    /// translation to rely on (SmolLM2 writes fluent-looking words about something else).
    Untrained { language: Language },
    /// The answer is written in another language than the one asked for.
    WrongLanguage { language: Language },
}

impl NotTranslated {
    /// A short phrase for a person: "copied the English text", "answered in English".
    pub fn describe(&self, from: &Language) -> String {
        match self {
            NotTranslated::Copied => format!("copied the {} text", from.name),
            NotTranslated::Empty => "wrote nothing".to_owned(),
            NotTranslated::Incomplete => "left out most of the text".to_owned(),
            NotTranslated::Repeating => "repeated itself instead of translating".to_owned(),
            NotTranslated::FactsLost => {
                "wrote something without the text's names, numbers and code".to_owned()
            }
            NotTranslated::Untrained { language } => {
                format!("is not trained to write {}", language.name)
            }
            NotTranslated::WrongLanguage { language } => format!("answered in {}", language.name),
        }
    }
}

/// Fewest words of prose a unit needs before its answer is judged at all.
const MIN_WORDS: usize = 4;
/// Letters of prose the language test needs; shorter answers are judged as copies only.
const MIN_LETTERS_FOR_LANGUAGE: usize = 24;
/// Share of the answer's words found in the source above which it is a copy. A real
/// translation of technical prose keeps names and terms, well under half its words.
const COPY_SHARE: f64 = 0.8;

/// Checks one unit's answer. `None` when it is a translation or when there is too
/// little prose to tell.
pub(crate) fn check(
    source: &str,
    answer: &str,
    from: &Language,
    to: &Language,
) -> Option<NotTranslated> {
    if from.code == to.code {
        return None;
    }
    let source_words = prose_words(source);
    if source_words.len() < MIN_WORDS {
        return None;
    }
    let answer_words = prose_words(answer);
    if is_copy(&source_words, &answer_words) {
        return Some(NotTranslated::Copied);
    }
    wrong_language(&answer_words, from, to)
        .or_else(|| unfaithful(source, answer, &source_words, &answer_words))
}

/// The answer's language when it is not the one asked for.
fn wrong_language(
    answer_words: &[String],
    from: &Language,
    to: &Language,
) -> Option<NotTranslated> {
    let answer_prose = answer_words.join(" ");
    if answer_prose.chars().filter(|c| c.is_alphabetic()).count() < MIN_LETTERS_FOR_LANGUAGE {
        return None;
    }
    let (source_lang, target_lang) = (from.whatlang()?, to.whatlang()?);
    // Between the two languages at stake: is the answer still in the source's?
    let between = Detector::with_allowlist(vec![source_lang, target_lang]);
    if let Some(info) = between.detect(&answer_prose) {
        if info.lang() == source_lang && info.is_reliable() {
            return Some(NotTranslated::WrongLanguage {
                language: from.clone(),
            });
        }
    }
    // A third language (a Chinese answer to a request for German): only when sure.
    let open = whatlang::detect(&answer_prose)?;
    let third = open.lang() != target_lang
        && open.lang() != source_lang
        && open.is_reliable()
        && open.confidence() > 0.9
        && different_script(open.lang(), target_lang);
    third.then(|| NotTranslated::WrongLanguage {
        language: Language::from_lang(open.lang()),
    })
}

/// Fewest words of prose a unit needs before its answer's length is judged.
const MIN_WORDS_FOR_LENGTH: usize = 8;
/// Shortest answer, as a share of the source's words. Translations between European
/// languages run 0.8 to 1.4 times the source's words.
const MIN_LENGTH_SHARE: f64 = 0.5;

/// An answer that does not say what the source says (see the module's notes).
fn unfaithful(
    source: &str,
    answer: &str,
    source_words: &[String],
    answer_words: &[String],
) -> Option<NotTranslated> {
    if source_words.len() >= MIN_WORDS_FOR_LENGTH
        && (answer_words.len() as f64) < MIN_LENGTH_SHARE * source_words.len() as f64
    {
        return Some(NotTranslated::Incomplete);
    }
    if repeats(answer_words) > repeats(source_words).max(2) {
        return Some(NotTranslated::Repeating);
    }
    let (kept, of) = crate::grounding::facts_kept(source, answer);
    if of >= 2 && kept == 0 {
        return Some(NotTranslated::FactsLost);
    }
    None
}

/// How often the most frequent run of four words occurs.
fn repeats(words: &[String]) -> usize {
    let mut counts: std::collections::HashMap<&[String], usize> = std::collections::HashMap::new();
    for run in words.windows(4) {
        *counts.entry(run).or_default() += 1;
    }
    counts.into_values().max().unwrap_or(0)
}

/// Lowercased words of prose: inline code, link targets, URLs and numbers removed.
fn prose_words(text: &str) -> Vec<String> {
    let mut prose = String::with_capacity(text.len());
    let mut in_code = false;
    let mut rest = text;
    while let Some(c) = rest.chars().next() {
        if c == '`' {
            in_code = !in_code;
        } else if !in_code && rest.starts_with("](") {
            // A link target: skip to its closing parenthesis.
            match rest.find(')') {
                Some(end) => {
                    prose.push(' ');
                    rest = &rest[end + 1..];
                    continue;
                }
                None => break,
            }
        } else if !in_code {
            prose.push(c);
        } else {
            prose.push(' ');
        }
        rest = &rest[c.len_utf8()..];
    }
    prose
        .split_whitespace()
        .filter(|w| !w.contains("://") && !w.starts_with("www."))
        .map(|w| {
            w.trim_matches(|c: char| !c.is_alphanumeric())
                .to_lowercase()
        })
        .filter(|w| w.chars().any(char::is_alphabetic))
        .collect()
}

/// Most of the answer's words are the source's, and it is about as long.
fn is_copy(source: &[String], answer: &[String]) -> bool {
    if answer.is_empty() {
        return false;
    }
    let mut pool: std::collections::HashMap<&str, usize> = std::collections::HashMap::new();
    for word in source {
        *pool.entry(word.as_str()).or_default() += 1;
    }
    let mut shared = 0;
    for word in answer {
        if let Some(count) = pool.get_mut(word.as_str()).filter(|c| **c > 0) {
            *count -= 1;
            shared += 1;
        }
    }
    let share = shared as f64 / answer.len() as f64;
    share >= COPY_SHARE && answer.len() * 2 >= source.len()
}

/// Whether two languages are written in different scripts (Latin vs Han), where open
/// detection cannot mistake one for the other.
fn different_script(a: Lang, b: Lang) -> bool {
    let script = |lang: Lang| {
        SCRIPTS
            .iter()
            .find(|(l, _)| *l == lang)
            .map_or("Latin", |(_, s)| *s)
    };
    script(a) != script(b)
}

/// Languages whose script is not Latin (whatlang's languages; the rest are Latin).
const SCRIPTS: &[(Lang, &str)] = &[
    (Lang::Cmn, "Han"),
    (Lang::Jpn, "Japanese"),
    (Lang::Kor, "Hangul"),
    (Lang::Rus, "Cyrillic"),
    (Lang::Ukr, "Cyrillic"),
    (Lang::Bel, "Cyrillic"),
    (Lang::Bul, "Cyrillic"),
    (Lang::Srp, "Cyrillic"),
    (Lang::Mkd, "Cyrillic"),
    (Lang::Ara, "Arabic"),
    (Lang::Pes, "Arabic"),
    (Lang::Urd, "Arabic"),
    (Lang::Heb, "Hebrew"),
    (Lang::Yid, "Hebrew"),
    (Lang::Ell, "Greek"),
    (Lang::Hin, "Devanagari"),
    (Lang::Mar, "Devanagari"),
    (Lang::Nep, "Devanagari"),
    (Lang::Tha, "Thai"),
    (Lang::Kat, "Georgian"),
    (Lang::Hye, "Armenian"),
];

#[cfg(test)]
mod tests {
    use super::*;

    fn lang(code: &str) -> Language {
        Language::parse(code).unwrap()
    }

    const SOURCE: &str = "Upon starting the system, you are presented with the character based \
        login screen if you did not install any GUI environment such as `GNOME` or KDE.";

    #[test]
    fn a_real_translation_passes() {
        let german = "Nach dem Starten des Systems sehen Sie einen textbasierten \
            Anmeldebildschirm, wenn Sie keine grafische Oberfläche wie `GNOME` oder KDE \
            installiert haben.";
        assert_eq!(check(SOURCE, german, &lang("en"), &lang("de")), None);
        let french = "Au démarrage du système, un écran de connexion en mode texte vous est \
            présenté si vous n'avez installé aucun environnement graphique comme `GNOME` ou KDE.";
        assert_eq!(check(SOURCE, french, &lang("en"), &lang("fr")), None);
    }

    #[test]
    fn a_copy_of_the_source_is_caught_even_with_small_changes() {
        assert_eq!(
            check(SOURCE, SOURCE, &lang("en"), &lang("de")),
            Some(NotTranslated::Copied)
        );
        let nearly = SOURCE.replace("Upon starting", "When starting");
        assert_eq!(
            check(SOURCE, &nearly, &lang("en"), &lang("de")),
            Some(NotTranslated::Copied)
        );
    }

    #[test]
    fn an_answer_in_the_source_language_is_caught() {
        let chatter = "Sure! This sentence explains that a text login screen appears when \
            no graphical desktop has been installed on the computer.";
        assert_eq!(
            check(SOURCE, chatter, &lang("en"), &lang("de")),
            Some(NotTranslated::WrongLanguage {
                language: lang("en")
            })
        );
    }

    #[test]
    fn an_answer_in_a_third_language_is_caught() {
        let chinese = "启动系统时，如果您没有安装任何图形环境，例如 GNOME 或 KDE，您将看到基于字符的登录屏幕。";
        assert_eq!(
            check(SOURCE, chinese, &lang("en"), &lang("de")),
            Some(NotTranslated::WrongLanguage {
                language: lang("zh")
            })
        );
    }

    #[test]
    fn fluent_text_that_is_not_the_source_is_caught() {
        // What SmolLM2-135M writes when asked for German: German words, another text.
        let (en, de) = (lang("en"), lang("de"));
        let shorter = "Ich bin ein kompromat, das ist eine kombinier.";
        assert_eq!(
            check(SOURCE, shorter, &en, &de),
            Some(NotTranslated::Incomplete)
        );
        let looping = "Die Funkkommission der Midnight Commander ist eine neue Auswahl, die \
            Funkkommission der Midnight Commander ist eine neue Auswahl, die Funkkommission \
            der Midnight Commander ist eine neue Auswahl.";
        assert_eq!(
            check(SOURCE, looping, &en, &de),
            Some(NotTranslated::Repeating)
        );
        let elsewhere = "Ich bin die Auswahl für das System, die die Auswahl von \
            Windows-Systemen für die Konferenzen der Benutzer ausgeben.";
        assert_eq!(
            check(SOURCE, elsewhere, &en, &de),
            Some(NotTranslated::FactsLost)
        );
    }

    #[test]
    fn one_fact_said_many_times_and_rendered_in_words_is_no_alarm() {
        // From the evaluation: "ID" four times, translated as "identité".
        let source = "Setting set user ID on an executable file allows a user to execute \
            the executable file with the owner ID of the file (for example root). Similarly, \
            setting set group ID on an executable file allows a user to execute the \
            executable file with the group ID of the file (for example root).";
        let french = "En activant les droits d’exécution utilisateur sur un fichier \
            exécutable, vous permettez à un utilisateur de l’exécuter avec l’identité de \
            l’utilisateur du fichier (par exemple, root). De même, en activant les droits \
            d’exécution de groupe sur un fichier exécutable, vous permettez à un utilisateur \
            de l’exécuter avec l’identité du groupe du fichier (par exemple, root).";
        let (en, fr) = (
            Language::parse("en").unwrap(),
            Language::parse("fr").unwrap(),
        );
        assert_eq!(check(source, french, &en, &fr), None);
    }

    #[test]
    fn an_acronym_after_an_elided_article_counts_as_kept() {
        // From the evaluation: "l'ID" keeps the source's "ID".
        let source = "Setting set user ID on an executable file allows a user to execute \
            it with the owner ID of the file.";
        let french = "Activer l'ID utilisateur sur un fichier exécutable permet de \
            l’exécuter avec l'ID du propriétaire du fichier.";
        assert_eq!(check(source, french, &lang("en"), &lang("fr")), None);
    }

    #[test]
    fn short_units_names_and_code_are_not_judged() {
        // Too few words to tell: a heading or a product name stays as it is.
        for unit in ["GNOME Shell", "Debian GNU/Linux", "`apt-get install hello`"] {
            assert_eq!(check(unit, unit, &lang("en"), &lang("de")), None, "{unit}");
        }
        // Translating into the language the text is already in is the caller's warning.
        assert_eq!(check(SOURCE, SOURCE, &lang("en"), &lang("en")), None);
    }

    #[test]
    fn a_translation_full_of_kept_terms_is_not_a_copy() {
        let source = "Run `apt-get update` and `apt-get upgrade` to update the Debian \
            packages on the system from the configured APT repositories.";
        let german = "Führen Sie `apt-get update` und `apt-get upgrade` aus, um die \
            Debian-Pakete des Systems aus den konfigurierten APT-Repositorys zu aktualisieren.";
        assert_eq!(check(source, german, &lang("en"), &lang("de")), None);
    }
}
