//! Cleaning a model's answer into a translation: labels, wrapping quotes and chatter
//! removed, inline code and link targets the model altered put back, and the target
//! language's typography where small models write ASCII or keep the English (French: ’,
//! « », a space before : ; ! ?, and bytes as octets: Mo, Go; German: „…“).

/// Removes what models add around a translation: a "Translation:" label, wrapping
/// quotes the source did not have, and extra lines after a one-line source.
pub(super) fn clean_output(output: &str, source: &str) -> String {
    let mut text = output.trim();
    for label in [
        "Translation:",
        "Translated text:",
        "Here is the translation:",
    ] {
        // `get` rather than slicing: the output's first bytes may be part of a
        // multi-byte character.
        if text
            .get(..label.len())
            .is_some_and(|head| head.eq_ignore_ascii_case(label))
        {
            text = text[label.len()..].trim();
        }
    }
    if !source.contains('\n') {
        text = text
            .lines()
            .map(str::trim)
            .find(|l| !l.is_empty())
            .unwrap_or("");
    }
    for (open, close) in [('"', '"'), ('“', '”'), ('«', '»')] {
        if text.starts_with(open)
            && text.ends_with(close)
            && text.chars().count() > 1
            && !source.trim().starts_with(open)
        {
            text = text[open.len_utf8()..text.len() - close.len_utf8()].trim();
        }
    }
    without_stray_backtick(text, source)
}

/// Models copying a code span sometimes write one backtick too many (`` `-prune`` ``,
/// `` "`disk.img`"` ``): the rest of the answer then reads as code, the sentences in it
/// are not counted, and the unit would be marked incomplete. When the answer has an odd
/// number of backticks and the source an even one, the first backtick whose removal
/// leaves as many code spans as the source has, each one of the source's, is removed;
/// otherwise the answer stays as it is (and `restore_protected` reports the spans).
fn without_stray_backtick(text: &str, source: &str) -> String {
    let backticks = |t: &str| t.matches('`').count();
    if backticks(text) % 2 == 0 || backticks(source) % 2 == 1 {
        return text.to_owned();
    }
    let wanted: Vec<&str> = spans(source, "`", "`")
        .into_iter()
        .map(|(start, end)| &source[start..end])
        .collect();
    text.match_indices('`')
        .map(|(at, _)| format!("{}{}", &text[..at], &text[at + 1..]))
        .find(|candidate| {
            let found = spans(candidate, "`", "`");
            found.len() == wanted.len()
                && found
                    .into_iter()
                    .all(|(start, end)| wanted.contains(&&candidate[start..end]))
        })
        .unwrap_or_else(|| text.to_owned())
}

/// Puts back inline code spans and link targets the model altered, matching them in
/// order; warns when their number changed so they cannot be matched.
pub(super) fn restore_protected(
    source: &str,
    target: &str,
    warnings: &mut Vec<String>,
    unit: usize,
) -> String {
    let mut restored = target.to_owned();
    for (open, close) in [("`", "`"), ("](", ")")] {
        let wanted = spans(source, open, close);
        if wanted.is_empty() {
            continue;
        }
        let found = spans(&restored, open, close);
        if found.len() != wanted.len() {
            warnings.push(format!(
                "unit {}: the translation has {} {} where the source has {}; check it by hand",
                unit + 1,
                found.len(),
                if open == "`" { "code spans" } else { "links" },
                wanted.len()
            ));
            continue;
        }
        // Replace from the end so earlier byte ranges stay valid.
        for ((start, end), original) in found.into_iter().zip(wanted).rev() {
            restored.replace_range(start..end, &source[original.0..original.1]);
        }
    }
    restored
}

/// Byte ranges of the contents between `open` and `close`.
fn spans(text: &str, open: &str, close: &str) -> Vec<(usize, usize)> {
    let mut found = Vec::new();
    let mut from = 0;
    while let Some(start) = text[from..].find(open).map(|i| from + i + open.len()) {
        let Some(end) = text[start..].find(close).map(|i| start + i) else {
            break;
        };
        found.push((start, end));
        from = end + close.len();
    }
    found
}

/// The no-break space French puts inside guillemets and before : ; ! ?
const NO_BREAK: char = '\u{a0}';

/// Writes the target language's punctuation where models write ASCII or copy the
/// English: French gets its typographic apostrophe, « guillemets », a no-break space
/// before a high sign and octets for bytes; German its „quotation marks“ where the model
/// kept English “curly” ones (German manuals keep ASCII quotes, which stay). Other
/// languages are left as they are. Inline code and link targets are never touched.
pub(super) fn typography(text: &str, to: &super::language::Language) -> String {
    match to.code.as_str() {
        "fr" => french(text),
        "de" => german_quotes(text),
        _ => text.to_owned(),
    }
}

/// German opens a quotation low and closes it high („…“). Models translating an English
/// “…” often keep it, or close a low opening with the English ” („…”); each such pair in
/// the prose becomes „…“. An opening mark with no closing one is left alone, so a
/// quotation split across units is never half changed.
fn german_quotes(text: &str) -> String {
    let mut chars: Vec<char> = text.chars().collect();
    let protected = protected_chars(&chars);
    let mut open: Option<usize> = None;
    for i in 0..chars.len() {
        if protected[i] {
            continue;
        }
        match (chars[i], open) {
            ('“' | '„', None) => open = Some(i),
            ('”' | '“', Some(start)) => {
                chars[start] = '„';
                chars[i] = '“';
                open = None;
            }
            _ => {}
        }
    }
    chars.into_iter().collect()
}

fn french(text: &str) -> String {
    let text = &french_byte_units(text);
    let chars: Vec<char> = text.chars().collect();
    let protected = protected_chars(&chars);
    let prose = |i: usize| !protected[i];
    // Quotes are paired only when their number in the prose is even.
    let quotes = (0..chars.len())
        .filter(|&i| prose(i) && chars[i] == '"')
        .count();
    let pair_quotes = quotes % 2 == 0;
    let mut out = String::with_capacity(text.len() + 16);
    let mut quote_open = false;
    for (i, &c) in chars.iter().enumerate() {
        if !prose(i) {
            out.push(c);
            continue;
        }
        let before = i.checked_sub(1).map(|j| chars[j]);
        let after = chars.get(i + 1).copied();
        match c {
            '\'' if before.is_some_and(char::is_alphabetic)
                && after.is_some_and(char::is_alphabetic) =>
            {
                out.push('’')
            }
            '"' if pair_quotes => {
                if quote_open {
                    while out.ends_with(' ') {
                        out.pop();
                    }
                    out.push(NO_BREAK);
                    out.push('»');
                } else {
                    out.push('«');
                    out.push(NO_BREAK);
                }
                quote_open = !quote_open;
            }
            ' ' if out.ends_with(NO_BREAK) => {}
            ';' | ':' | '!' | '?'
                if before
                    .is_some_and(|b| b.is_alphanumeric() || matches!(b, ')' | '»' | '`' | ' '))
                    && after.is_none_or(char::is_whitespace) =>
            {
                while out.ends_with(' ') {
                    out.pop();
                }
                if !out.ends_with(NO_BREAK) {
                    out.push(NO_BREAK);
                }
                out.push(c);
            }
            _ => out.push(c),
        }
    }
    out
}

/// French writes bytes as octets: "990 MB" is "990 Mo", "4 GiB" "4 Gio", with a no-break
/// space after the number. Only a unit that follows a number in the prose changes, so a
/// name such as "MB" alone, a command or a path stays as it is.
fn french_byte_units(text: &str) -> String {
    static UNIT: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
        regex::Regex::new(r"(\d)[ \u{a0}]?([kKMGT])(i?)B\b").expect("a valid pattern")
    });
    let chars: Vec<char> = text.chars().collect();
    let protected = protected_chars(&chars);
    // Character index of each byte offset, to ask whether a match is in code.
    let char_at = |byte: usize| text[..byte].chars().count();
    let mut out = String::with_capacity(text.len());
    let mut last = 0;
    for found in UNIT.captures_iter(text) {
        let whole = found.get(0).expect("the whole match");
        if protected[char_at(whole.start())] {
            continue;
        }
        // A kilobyte is a "ko", a kibibyte a "Kio".
        let binary = &found[3] == "i";
        let prefix = match &found[2] {
            "k" | "K" if binary => "K",
            "k" | "K" => "k",
            other => other,
        };
        out.push_str(&text[last..whole.start()]);
        out.push_str(&found[1]);
        out.push(NO_BREAK);
        out.push_str(prefix);
        out.push_str(&found[3]);
        out.push('o');
        last = whole.end();
    }
    out.push_str(&text[last..]);
    out
}

/// Which characters are inside an inline code span (backticks included) or a link
/// target (`](…)`).
fn protected_chars(chars: &[char]) -> Vec<bool> {
    let mut protected = vec![false; chars.len()];
    let mut i = 0;
    while i < chars.len() {
        let end = match chars[i] {
            '`' => chars[i + 1..]
                .iter()
                .position(|c| *c == '`')
                .map(|j| i + 1 + j),
            ']' if chars.get(i + 1) == Some(&'(') => chars[i + 2..]
                .iter()
                .position(|c| *c == ')')
                .map(|j| i + 2 + j),
            _ => None,
        };
        match end {
            Some(end) => {
                protected[i..=end].iter_mut().for_each(|p| *p = true);
                i = end + 1;
            }
            None => i += 1,
        }
    }
    protected
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn model_chatter_around_a_translation_is_removed() {
        assert_eq!(
            clean_output(
                "Translation: \"Hallo Welt\"\nI hope this helps!",
                "Hello world"
            ),
            "Hallo Welt"
        );
        assert_eq!(clean_output("«Bonjour»", "\"Hello\""), "Bonjour");
        // Multi-byte characters where a label would end.
        assert_eq!(
            clean_output("Öffnungszeiten für alle", "Opening hours"),
            "Öffnungszeiten für alle"
        );
        assert_eq!(
            clean_output("営業時間のお知らせです", "Opening hours"),
            "営業時間のお知らせです"
        );
        assert_eq!(
            clean_output("Zeile eins\nZeile zwei", "line one\nline two"),
            "Zeile eins\nZeile zwei"
        );
    }

    #[test]
    fn a_backtick_too_many_is_removed_only_where_the_code_spans_then_match_the_source() {
        // Seen from Qwen2.5-Coder-1.5B on the evaluation's paragraphs.
        assert_eq!(
            clean_output(
                "\"`-prune`` toujours retourne TRUE.",
                "\"`-prune`\" always returns TRUE."
            ),
            "\"`-prune` toujours retourne TRUE."
        );
        assert_eq!(
            clean_output(
                "Für \"`disk.img`\"` ist die Dateigröße 5.0 GiB. Das ist möglich.",
                "For \"`disk.img`\", its file size is 5.0 GiB. This is possible."
            ),
            "Für \"`disk.img`\" ist die Dateigröße 5.0 GiB. Das ist möglich."
        );
        // No removal makes the spans the source's: left for restore_protected to report.
        let unmatched = "Führen Sie `ls -l aus, dann `pwd`.";
        assert_eq!(
            clean_output(unmatched, "Run `ls -l`, then `pwd`."),
            unmatched
        );
        // An even count, or a source with an odd one, is not touched.
        assert_eq!(clean_output("`a` und `b`", "`a` and `b`"), "`a` und `b`");
        assert_eq!(clean_output("Ein ` Zeichen", "A ` sign"), "Ein ` Zeichen");
    }

    #[test]
    fn french_gets_its_typography_and_code_stays_as_it_is() {
        let french = super::super::language::Language::parse("fr").unwrap();
        let text = "Si vous voulez l'utiliser, tapez \"`sudo -H aptitude`\" : voir [l'aide](https://ex.org/l'aide?x=1). Prêt? Lancez `echo 'a'`.";
        assert_eq!(
            typography(text, &french),
            "Si vous voulez l’utiliser, tapez «\u{a0}`sudo -H aptitude`\u{a0}»\u{a0}: voir [l’aide](https://ex.org/l'aide?x=1). Prêt\u{a0}? Lancez `echo 'a'`."
        );
        // Bytes are octets after a number in the prose, never in code or on their own.
        assert_eq!(
            typography("dmesg dit 990 MB, free 320MB et 4 GiB; 2 kB, 8 KiB. `du -h 5MB` MB", &french),
            "dmesg dit 990\u{a0}Mo, free 320\u{a0}Mo et 4\u{a0}Gio\u{a0}; 2\u{a0}ko, 8\u{a0}Kio. `du -h 5MB` MB"
        );
        // Times, addresses and an odd number of quotes are left alone.
        assert_eq!(
            typography("À 10:30 sur https://ex.org, dit \"oui", &french),
            "À 10:30 sur https://ex.org, dit \"oui"
        );
    }

    #[test]
    fn german_gets_its_quotation_marks_and_keeps_ascii_ones() {
        let german = super::super::language::Language::parse("de").unwrap();
        // ASCII quotes and colons stay: German manuals keep them.
        assert_eq!(
            typography("Er sagt \"ja\": gut.", &german),
            "Er sagt \"ja\": gut."
        );
        // English “…” kept by the model, and a low opening closed the English way.
        assert_eq!(
            typography(
                "Siehe Abschnitt 1.5.3, “Die Variable `$PATH`”, und „Pakete”.",
                &german
            ),
            "Siehe Abschnitt 1.5.3, „Die Variable `$PATH`“, und „Pakete“."
        );
        // Already German, inside code, or with no closing mark: left as it is.
        for text in [
            "Lesen Sie „Die Auflösung des Rechnernamens“.",
            "Führen Sie `echo “a”` aus.",
            "Er sagte: “Das Paket",
        ] {
            assert_eq!(typography(text, &german), text);
        }
        // Other languages keep what the model wrote.
        let dutch = super::super::language::Language::parse("nl").unwrap();
        assert_eq!(typography("Zie “PATH”.", &dutch), "Zie “PATH”.");
    }

    #[test]
    fn changed_code_and_links_are_put_back() {
        let mut warnings = Vec::new();
        let source = "Run `hearth run` and read [the guide](https://example.org/guide).";
        let target =
            "Führe `hearth laufen` aus und lies [die Anleitung](https://beispiel.org/anleitung).";
        assert_eq!(
            restore_protected(source, target, &mut warnings, 0),
            "Führe `hearth run` aus und lies [die Anleitung](https://example.org/guide)."
        );
        assert!(warnings.is_empty());
        let dropped = restore_protected(source, "Führe hearth aus.", &mut warnings, 0);
        assert_eq!(dropped, "Führe hearth aus.");
        assert_eq!(warnings.len(), 2, "{warnings:?}");
    }
}
