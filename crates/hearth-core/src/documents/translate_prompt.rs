//! What the translator asks the model: the instructions for a piece, the stricter ones
//! for a retry after an answer that was not a translation, and the sampling.
//!
//! Every choice here was measured on the Debian Reference pairs (EVALUATION.md, "What
//! each change contributed"), one change at a time against a plain one-line prompt.

use hearth_llm::{ChatMessage, GenerationOptions};

use super::glossary::GlossaryEntry;
use super::language::Language;

/// The instructions for translating one piece.
pub(super) fn instructions(from: &Language, to: &Language, terms: &[&GlossaryEntry]) -> String {
    let mut system = format!(
        "You are a professional translator. Translate the text the user sends from {} into {}. \
         Keep the meaning, the tone, names, numbers, inline code and links. Translate every \
         sentence completely and faithfully: do not shorten, summarize or leave anything out. \
         Reply with the translation only, without notes or explanations.{}",
        from.name,
        to.name,
        register(to)
    );
    push_terms(&mut system, terms);
    system
}

/// The instructions for a second try after the model copied the text or answered in
/// the wrong language: the target language named in every sentence of them.
pub(super) fn strict_instructions(
    from: &Language,
    to: &Language,
    terms: &[&GlossaryEntry],
) -> String {
    let mut system = format!(
        "Translate the user's {from} text into {to}. Write every sentence in {to}; do not copy \
         the {from} text, do not answer it and do not comment on it. Keep names, numbers and \
         inline code as they are. Reply with the {to} translation only.{register}",
        from = from.name,
        to = to.name,
        register = register(to)
    );
    push_terms(&mut system, terms);
    system
}

/// The instructions written in the target language, where that was measured to help
/// (from English into French): a request that leads the model to other wording than the
/// English instructions do, one more candidate when several are asked for. Into French
/// it raised `--best-of 5` by 1.4 chrF; into German the same candidate in German
/// instructions lowered it, so there is none (EVALUATION.md, "What each change
/// contributed").
pub(super) fn native_instructions(
    from: &Language,
    to: &Language,
    terms: &[&GlossaryEntry],
) -> Option<String> {
    if from.code != "en" || to.code != "fr" {
        return None;
    }
    let mut system = "Tu es un traducteur professionnel. Traduis de l'anglais vers le français \
        le texte que l'utilisateur envoie. Conserve le sens, le ton, les noms, les nombres, le \
        code en ligne et les liens. Vouvoie le lecteur, comme un manuel, et emploie les termes \
        techniques usuels en français. Réponds uniquement par la traduction, sans notes ni \
        explications."
        .to_owned();
    push_terms(&mut system, terms);
    Some(system)
}

/// A worked example shown before the text, as an earlier exchange, where one is written
/// for the pair: it shows a small model the register, that code stays as it is, and that
/// the answer is the translation alone. English sources only; the example is the same
/// sentence in each language.
pub(super) fn example(from: &Language, to: &Language) -> Vec<ChatMessage> {
    const ENGLISH: &str = "To install the program, open a terminal and run `sudo apt install \
        hello`. If the command fails, check your network connection and try again.";
    let translated = match to.code.as_str() {
        "de" => {
            "Um das Programm zu installieren, öffnen Sie ein Terminal und führen Sie `sudo \
            apt install hello` aus. Wenn der Befehl fehlschlägt, überprüfen Sie Ihre \
            Netzwerkverbindung und versuchen Sie es erneut."
        }
        "fr" => {
            "Pour installer le programme, ouvrez un terminal et exécutez `sudo apt install \
            hello`. Si la commande échoue, vérifiez votre connexion réseau et réessayez."
        }
        "es" => {
            "Para instalar el programa, abra una terminal y ejecute `sudo apt install hello`. \
            Si el comando falla, compruebe su conexión de red y vuelva a intentarlo."
        }
        "it" => {
            "Per installare il programma, apra un terminale ed esegua `sudo apt install \
            hello`. Se il comando non riesce, controlli la connessione di rete e riprovi."
        }
        "nl" => {
            "Om het programma te installeren, opent u een terminal en voert u `sudo apt \
            install hello` uit. Als de opdracht mislukt, controleer dan uw netwerkverbinding en \
            probeer het opnieuw."
        }
        "pt" => {
            "Para instalar o programa, abra um terminal e execute `sudo apt install hello`. \
            Se o comando falhar, verifique a sua conexão de rede e tente novamente."
        }
        _ => return Vec::new(),
    };
    if from.code != "en" {
        return Vec::new();
    }
    vec![
        ChatMessage::user(ENGLISH),
        ChatMessage::assistant(translated),
    ]
}

/// How to address the reader: documents address their reader formally, and a small
/// model left to itself switches between "du" and "Sie" from one paragraph to the next.
fn register(to: &Language) -> String {
    let formal = match to.code.as_str() {
        "de" => Some("\"Sie\""),
        "fr" => Some("\"vous\""),
        "es" => Some("\"usted\""),
        "it" => Some("\"Lei\""),
        "nl" => Some("\"u\""),
        "pl" => Some("\"Pan/Pani\""),
        "ru" | "uk" => Some("\"Вы\""),
        _ => None,
    };
    match formal {
        Some(word) => format!(
            " Address the reader formally ({word}), as a manual does, and use the usual \
             technical terms of {}.",
            to.name
        ),
        None => String::new(),
    }
}

fn push_terms(system: &mut String, terms: &[&GlossaryEntry]) {
    if terms.is_empty() {
        return;
    }
    system.push_str("\nAlways translate these terms exactly as given:");
    for entry in terms {
        system.push_str(&format!("\n{} -> {}", entry.term, entry.translation));
    }
}

/// Sampling for one piece of `source_tokens` tokens. Greedy and without a repeat
/// penalty: a translation repeats the source's names and terms, and a penalty pushes
/// the model to paraphrase them.
pub(super) fn step_options(source_tokens: usize) -> GenerationOptions {
    GenerationOptions {
        // Other languages take more tokens than English for the same words.
        max_tokens: Some((source_tokens * 2 + 32) as u32),
        // A piece is one paragraph at most; a blank line means the model moved on to
        // chatter or repetition.
        stop: vec!["\n\n".to_owned()],
        temperature: 0.0,
        seed: Some(0),
        repeat_penalty: 1.0,
        ..GenerationOptions::default()
    }
}

/// A sampled candidate's options (`seed` from 1): the greedy options with the
/// temperature the candidate comparison was measured with (0.7, top-p 0.95).
pub(super) fn sampled(greedy: &GenerationOptions, seed: u32) -> GenerationOptions {
    GenerationOptions {
        temperature: 0.7,
        top_p: 0.95,
        seed: Some(seed),
        ..greedy.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lang(code: &str) -> Language {
        Language::parse(code).unwrap()
    }

    #[test]
    fn the_worked_example_is_there_for_english_into_the_languages_it_is_written_for() {
        for code in ["de", "fr", "es", "it", "nl", "pt"] {
            let example = example(&lang("en"), &lang(code));
            assert_eq!(example.len(), 2, "{code}");
            // The code span stays exactly as in the English.
            let answer = &example[1].content;
            assert!(
                answer.contains("`sudo apt install hello`"),
                "{code}: {answer}"
            );
        }
        assert!(example(&lang("en"), &lang("ja")).is_empty());
        assert!(example(&lang("de"), &lang("fr")).is_empty());
    }

    #[test]
    fn the_instructions_name_both_languages_the_register_and_the_terms() {
        let glossary = super::super::glossary::Glossary::parse("package = Paket").unwrap();
        let terms = glossary.matching("Install the package.");
        let text = instructions(&lang("en"), &lang("de"), &terms);
        assert!(text.contains("from English into German"), "{text}");
        assert!(text.contains("formally (\"Sie\")"), "{text}");
        assert!(text.ends_with("package -> Paket"), "{text}");
        let strict = strict_instructions(&lang("en"), &lang("ja"), &[]);
        assert!(
            strict.contains("Write every sentence in Japanese"),
            "{strict}"
        );
        assert!(!strict.contains("formally"), "{strict}");
    }

    #[test]
    fn instructions_in_the_target_language_exist_where_they_helped() {
        let fr = native_instructions(&lang("en"), &lang("fr"), &[]).unwrap();
        assert!(
            fr.contains("vers le français") && fr.contains("Vouvoie"),
            "{fr}"
        );
        // Measured worse into German; never from another source language.
        assert_eq!(native_instructions(&lang("en"), &lang("de"), &[]), None);
        assert_eq!(native_instructions(&lang("en"), &lang("ja"), &[]), None);
        assert_eq!(native_instructions(&lang("de"), &lang("fr"), &[]), None);
    }
}
