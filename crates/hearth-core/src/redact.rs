//! Personal data taken out of text before it goes to a remote provider, and put back
//! in the answer: email addresses, phone numbers, IBANs, card numbers, IP addresses,
//! and the names the user lists. Each distinct value becomes a placeholder such as
//! `[EMAIL_1]` (the same value, the same placeholder, across the whole conversation),
//! so the provider can still refer to it and Hearth restores it in what comes back.
//!
//! Detection errs toward precision where a false hit would garble ordinary text: card
//! numbers must pass the Luhn check, IBANs the ISO 13616 mod-97 check, IP addresses
//! must parse (an IPv6 address needs three groups, a digit, and no identifier around
//! it, so `std::vector` and `a::b::c` are code, not addresses), and phone numbers need
//! the shape of one (a leading `+`, `(` or `0`, or the North American 3-3-4 grouping)
//! so dates and amounts are left alone.
//!
//! Look-alike characters do not hide a value: detection runs on a folded copy of the
//! text (full-width forms such as `０３０` and `＠`, every script's decimal digits,
//! Unicode dashes and spaces become their ASCII forms) and the original span is what is
//! replaced. Listed names match in any case and across any run of whitespace.
//!
//! What comes back is restored in prose only: a placeholder inside a link target (a
//! URL, `[text](…)`, an image source, an HTML tag, a reference definition) stays a
//! placeholder, so a hostile provider cannot make the answer carry the user's data to
//! an address it chose (a link the user clicks or an image that loads by itself).

use std::collections::HashMap;
use std::net::{Ipv4Addr, Ipv6Addr};
use std::sync::LazyLock;

use regex::Regex;
use serde::{Deserialize, Serialize};

/// What kind of personal data a placeholder stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    Email,
    Iban,
    Card,
    Ip,
    Phone,
    Name,
}

impl Kind {
    /// The name in the audit log (`email`, `iban`...).
    pub fn name(self) -> &'static str {
        match self {
            Kind::Email => "email",
            Kind::Iban => "iban",
            Kind::Card => "card",
            Kind::Ip => "ip",
            Kind::Phone => "phone",
            Kind::Name => "name",
        }
    }

    fn label(self) -> &'static str {
        match self {
            Kind::Email => "EMAIL",
            Kind::Iban => "IBAN",
            Kind::Card => "CARD",
            Kind::Ip => "IP",
            Kind::Phone => "PHONE",
            Kind::Name => "NAME",
        }
    }
}

/// The placeholders given out in one conversation, and what each stands for.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Redactions {
    by_value: HashMap<(Kind, String), String>,
    by_placeholder: HashMap<String, String>,
    counts: HashMap<Kind, usize>,
}

impl Redactions {
    /// How many distinct values of each kind were taken out, for the audit log.
    pub fn counts(&self) -> Vec<(Kind, usize)> {
        let mut counts: Vec<(Kind, usize)> = self.counts.iter().map(|(k, n)| (*k, *n)).collect();
        counts.sort();
        counts
    }

    pub fn is_empty(&self) -> bool {
        self.by_placeholder.is_empty()
    }

    fn placeholder(&mut self, kind: Kind, value: &str) -> String {
        if let Some(existing) = self.by_value.get(&(kind, value.to_owned())) {
            return existing.clone();
        }
        let n = self.counts.entry(kind).or_default();
        *n += 1;
        let placeholder = format!("[{}_{}]", kind.label(), n);
        self.by_value
            .insert((kind, value.to_owned()), placeholder.clone());
        self.by_placeholder
            .insert(placeholder.clone(), value.to_owned());
        placeholder
    }

    /// `text` with every placeholder given out here replaced by its value; anything
    /// else in brackets is left as written, and so is a placeholder inside a link
    /// target (see [`LinkContext`]).
    pub fn restore(&self, text: &str) -> String {
        if self.is_empty() {
            return text.to_owned();
        }
        self.restore_in(text, &mut LinkContext::default())
    }

    /// Restores `text`, which follows what `context` has already seen.
    fn restore_in(&self, text: &str, context: &mut LinkContext) -> String {
        let mut out = String::with_capacity(text.len());
        let mut at = 0;
        for m in PLACEHOLDER.find_iter(text) {
            let before = &text[at..m.start()];
            context.feed(before);
            out.push_str(before);
            match self.by_placeholder.get(m.as_str()) {
                Some(value) if !context.in_link() => out.push_str(value),
                _ => out.push_str(m.as_str()),
            }
            context.feed(m.as_str());
            at = m.end();
        }
        context.feed(&text[at..]);
        out.push_str(&text[at..]);
        out
    }
}

/// Finds personal data; built once per request from the user's list of names.
#[derive(Debug, Clone)]
pub struct Redactor {
    names: Option<Regex>,
    /// Emails, phone numbers, IBANs, cards and IP addresses too, not only the names.
    builtin: bool,
}

impl Redactor {
    /// Every kind of personal data, and `names`: people or organisations to hide as
    /// well (whole words, as written).
    pub fn new(names: &[String]) -> Self {
        Self::with(names, true)
    }

    /// Only the listed names, when the built-in kinds are turned off.
    pub fn names_only(names: &[String]) -> Self {
        Self::with(names, false)
    }

    fn with(names: &[String], builtin: bool) -> Self {
        // Names are matched in the folded text, in any case, with any whitespace between
        // their words ("ada  lovelace", "ADA\nLOVELACE").
        let mut names: Vec<Vec<String>> = names
            .iter()
            .map(|n| {
                fold(n)
                    .text
                    .split_whitespace()
                    .map(str::to_owned)
                    .collect::<Vec<_>>()
            })
            .filter(|words| !words.is_empty())
            .collect();
        // Longest first, so "Anna Maria Berg" wins over "Anna".
        names.sort_by_key(|words| std::cmp::Reverse(words.iter().map(String::len).sum::<usize>()));
        let names = (!names.is_empty()).then(|| {
            let word_char = |c: Option<char>| c.is_some_and(|c| c.is_alphanumeric() || c == '_');
            let alternatives: Vec<String> = names
                .iter()
                .map(|words| {
                    let joined = words
                        .iter()
                        .map(|w| regex::escape(w))
                        .collect::<Vec<_>>()
                        .join(r"\s+");
                    // Whole words: a boundary where the name starts or ends with a letter
                    // or digit ("Acme Inc." ends with a dot, which is its own boundary).
                    let first = words.first().and_then(|w| w.chars().next());
                    let last = words.last().and_then(|w| w.chars().next_back());
                    format!(
                        "{}{joined}{}",
                        if word_char(first) { r"\b" } else { "" },
                        if word_char(last) { r"\b" } else { "" }
                    )
                })
                .collect();
            Regex::new(&format!("(?i)(?:{})", alternatives.join("|")))
                .expect("escaped names always form a valid pattern")
        });
        Self { names, builtin }
    }

    /// `text` with its personal data replaced by placeholders recorded in `redactions`.
    pub fn redact(&self, text: &str, redactions: &mut Redactions) -> String {
        // Found in the folded text, replaced in the original: the placeholder stands for
        // the value exactly as the user wrote it.
        let folded = fold(text);
        let mut found: Vec<(usize, usize, Kind)> = Vec::new();
        if self.builtin {
            find_builtin(&folded.text, &mut found);
        }
        if let Some(names) = &self.names {
            for m in names.find_iter(&folded.text) {
                take(&mut found, m.start(), m.end(), Kind::Name);
            }
        }
        found.sort_by_key(|&(start, _, _)| start);
        let mut out = String::with_capacity(text.len());
        let mut at = 0;
        for (start, end, kind) in found {
            let (start, end) = (folded.origin[start], folded.origin[end]);
            out.push_str(&text[at..start]);
            out.push_str(&redactions.placeholder(kind, &text[start..end]));
            at = end;
        }
        out.push_str(&text[at..]);
        out
    }
}

/// Text with look-alike characters folded to ASCII, for detection only.
struct Folded {
    text: String,
    /// For each byte of `text`, and its end, the byte of the original it came from.
    /// A folded character is one byte standing for all of the original's; any other
    /// character is copied, so every match boundary maps back to a character boundary.
    origin: Vec<usize>,
}

fn fold(text: &str) -> Folded {
    let mut folded = String::with_capacity(text.len());
    let mut origin = Vec::with_capacity(text.len() + 1);
    for (at, c) in text.char_indices() {
        match fold_char(c) {
            Some(ascii) => {
                folded.push(ascii);
                origin.push(at);
            }
            None => {
                folded.push(c);
                origin.extend(at..at + c.len_utf8());
            }
        }
    }
    origin.push(text.len());
    Folded {
        text: folded,
        origin,
    }
}

/// The ASCII character `c` stands for, where it is a look-alike of one.
fn fold_char(c: char) -> Option<char> {
    let code = c as u32;
    match c {
        _ if c.is_ascii() => None,
        // Full-width ASCII: `０３０`, `＠`, `ＤＥ８９`.
        '\u{FF01}'..='\u{FF5E}' => char::from_u32(code - 0xFEE0),
        '\u{00A0}' | '\u{2000}'..='\u{200A}' | '\u{202F}' | '\u{205F}' | '\u{3000}' => Some(' '),
        '\u{2010}'..='\u{2015}' | '\u{2212}' | '\u{FE58}' | '\u{FE63}' => Some('-'),
        // Ideographic and half-width full stops, as IDN domains may be written.
        '\u{3002}' | '\u{FF61}' => Some('.'),
        _ if c.is_numeric() => decimal_value(c).and_then(|d| char::from_digit(d, 10)),
        _ => None,
    }
}

/// The value of a decimal digit of any script (Unicode category Nd). Unicode encodes
/// these in runs of ten from 0 to 9 (a stability guarantee), so the value is the
/// distance from the start of the run, modulo ten (some runs follow each other, as the
/// mathematical digits do).
fn decimal_value(c: char) -> Option<u32> {
    let is_digit = |c: char| {
        let mut buf = [0u8; 4];
        DECIMAL_DIGIT.is_match(c.encode_utf8(&mut buf))
    };
    if !is_digit(c) {
        return None;
    }
    let mut steps = 0;
    let mut code = c as u32;
    while let Some(previous) = code.checked_sub(1).and_then(char::from_u32) {
        if steps >= 100 || !is_digit(previous) {
            break;
        }
        steps += 1;
        code -= 1;
    }
    Some(steps % 10)
}

/// Emails, IBANs, cards, IP addresses and phone numbers in `text`, most specific first
/// (an email's digits are not a phone number).
fn find_builtin(text: &str, found: &mut Vec<(usize, usize, Kind)>) {
    for m in EMAIL.find_iter(text) {
        take(found, m.start(), m.end(), Kind::Email);
    }
    // A run of groups may hold more than one number, or more than the number (a year
    // after an IBAN, a quantity after a card): the runs of whole groups that pass the
    // check are the numbers.
    for m in IBAN.find_iter(text) {
        for (start, end) in checked_runs(text, m.start(), m.end(), iban_checks) {
            take(found, start, end, Kind::Iban);
        }
    }
    for m in CARD.find_iter(text) {
        for (start, end) in checked_runs(text, m.start(), m.end(), luhn_checks) {
            take(found, start, end, Kind::Card);
        }
    }
    for m in IPV4.find_iter(text) {
        // Part of a longer dotted number (a version such as 1.2.3.4.5) is not one.
        let before = text[..m.start()].chars().next_back();
        let after = text[m.end()..].chars().next();
        let dotted = |c: Option<char>| c.is_some_and(|c| c == '.' || c.is_ascii_alphanumeric());
        if !dotted(before) && !dotted(after) && m.as_str().parse::<Ipv4Addr>().is_ok() {
            take(found, m.start(), m.end(), Kind::Ip);
        }
    }
    for m in IPV6.find_iter(text) {
        if ipv6_checks(text, m.start(), m.end()) {
            take(found, m.start(), m.end(), Kind::Ip);
        }
    }
    for m in PHONE.find_iter(text) {
        // A phone number written right before a card or an IBAN ends where it begins.
        let end = found
            .iter()
            .filter(|&&(s, _, _)| s > m.start() && s < m.end())
            .map(|&(s, _, _)| s)
            .min()
            .unwrap_or(m.end());
        let separators = [' ', '.', '-', '/'];
        let mut number = text[m.start()..end].trim_end_matches(separators);
        let count = |n: &str| n.chars().filter(char::is_ascii_digit).count();
        // Too many digits: a number (a year, a quantity) written right after it.
        while count(number) > 15 {
            match number.rfind(separators) {
                Some(cut) => number = number[..cut].trim_end_matches(separators),
                None => break,
            }
        }
        if (7..=15).contains(&count(number)) && !DATE.is_match(number) {
            take(found, m.start(), m.start() + number.len(), Kind::Phone);
        }
    }
}

/// Whether `text[start..end]` is an IPv6 address rather than code: it parses, has at
/// least three groups and a decimal digit (so `::1`, `a::b` and `dead::beef` are left),
/// and is not part of a longer identifier path (`std::vector`, `x::1::y`).
fn ipv6_checks(text: &str, start: usize, end: usize) -> bool {
    let candidate = &text[start..end];
    let before = text[..start].chars().next_back();
    let after = text[end..].chars().next();
    let joined = |c: Option<char>, extra: &[char]| {
        c.is_some_and(|c| c.is_alphanumeric() || c == '_' || extra.contains(&c))
    };
    let groups = candidate.split(':').filter(|g| !g.is_empty()).count();
    !joined(before, &[':', '.'])
        && !joined(after, &[':'])
        && groups >= 3
        && candidate.bytes().any(|b| b.is_ascii_digit())
        && candidate.parse::<Ipv6Addr>().is_ok()
}

/// Records a find unless it overlaps an earlier (more specific) one.
fn take(found: &mut Vec<(usize, usize, Kind)>, start: usize, end: usize, kind: Kind) {
    if !found.iter().any(|&(s, e, _)| start < e && s < end) {
        found.push((start, end, kind));
    }
}

/// Restores placeholders in a stream of deltas: a delta that ends inside what may be
/// a placeholder (`…[EMAI`) is held back until the placeholder is complete. What was
/// shown before decides whether a placeholder is inside a link target, as in
/// [`Redactions::restore`].
#[derive(Debug, Default)]
pub struct StreamRestorer {
    pending: String,
    context: LinkContext,
}

/// No placeholder is longer than this (`[PHONE_99999]`); a longer bracket is text.
const LONGEST_PLACEHOLDER: usize = 16;

impl StreamRestorer {
    /// The text of `delta` that can be shown now, restored.
    pub fn push(&mut self, delta: &str, redactions: &Redactions) -> String {
        self.pending.push_str(delta);
        let hold_from = match self.pending.rfind('[') {
            Some(open)
                if !self.pending[open..].contains(']')
                    && self.pending.len() - open < LONGEST_PLACEHOLDER =>
            {
                open
            }
            _ => self.pending.len(),
        };
        let ready: String = self.pending.drain(..hold_from).collect();
        redactions.restore_in(&ready, &mut self.context)
    }

    /// Whatever is still held back, at the end of the stream.
    pub fn finish(&mut self, redactions: &Redactions) -> String {
        let rest = std::mem::take(&mut self.pending);
        redactions.restore_in(&rest, &mut self.context)
    }
}

/// Schemes and prefixes that make a run of non-space text a link (`//` covers every
/// `scheme://` and protocol-relative `//host`); compared lowercased.
const LINK_MARKERS: [&str; 10] = [
    "//",
    "www.",
    "mailto:",
    "tel:",
    "sms:",
    "data:",
    "javascript:",
    "file:",
    "callto:",
    "xmpp:",
];

/// Whether the text seen so far leaves the next character inside a link target, read
/// one character at a time so a stream costs linear time: a run of non-space text with
/// a URL in it (`https://x/?e=`, `www.`, `mailto:`), a Markdown link or image
/// destination (after `](` until its `)`, or `>` for `](<…>`), an HTML tag or autolink
/// (after `<` and a letter, until `>`), or a reference definition's `<…>` target
/// (`[1]: <…>`; a bare target is one run of text, a URL if it leaves the app). A new
/// line ends every state: none of these spans lines in Markdown (a tag may, but its
/// URL attributes are caught as URLs).
#[derive(Debug, Default)]
struct LinkContext {
    previous: Option<char>,
    /// The last few characters of the current run of non-space text, lowercased.
    run_tail: String,
    run_is_link: bool,
    /// Inside `](…)`: the parentheses opened since, or the `<` form.
    destination: Option<Destination>,
    in_tag: bool,
    line: LineStart,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Destination {
    Parens(u32),
    Angle,
    /// Just after `](`: the next character says which.
    Opening,
}

/// How the current line started, to spot a reference definition `[label]: <target>`.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
enum LineStart {
    #[default]
    Indent,
    Label,
    LabelClosed,
    Colon,
    AngleTarget,
    Other,
}

impl LinkContext {
    fn in_link(&self) -> bool {
        self.run_is_link
            || self.destination.is_some()
            || self.in_tag
            || self.line == LineStart::AngleTarget
    }

    fn feed(&mut self, text: &str) {
        for c in text.chars() {
            self.step(c);
        }
    }

    fn step(&mut self, c: char) {
        if c == '\n' || c == '\r' {
            *self = LinkContext {
                previous: Some(c),
                ..LinkContext::default()
            };
            return;
        }
        self.line = match (self.line, c) {
            (LineStart::Indent, ' ' | '\t') => LineStart::Indent,
            (LineStart::Indent, '[') => LineStart::Label,
            (LineStart::Label, ']') => LineStart::LabelClosed,
            (LineStart::Label, _) => LineStart::Label,
            (LineStart::LabelClosed, ':') => LineStart::Colon,
            (LineStart::Colon, ' ' | '\t') => LineStart::Colon,
            (LineStart::Colon, '<') => LineStart::AngleTarget,
            (LineStart::AngleTarget, '>') => LineStart::Other,
            (LineStart::AngleTarget, _) => LineStart::AngleTarget,
            _ => LineStart::Other,
        };
        if c.is_whitespace() {
            self.run_tail.clear();
            self.run_is_link = false;
        } else {
            self.run_tail.extend(c.to_lowercase());
            let excess = self.run_tail.chars().count().saturating_sub(16);
            if excess > 0 {
                let cut = self
                    .run_tail
                    .char_indices()
                    .nth(excess)
                    .map_or(0, |(i, _)| i);
                self.run_tail.drain(..cut);
            }
            if LINK_MARKERS.iter().any(|m| self.run_tail.ends_with(m)) {
                self.run_is_link = true;
            }
        }
        self.destination = match (self.destination, c) {
            (Some(Destination::Opening), '<') => Some(Destination::Angle),
            (Some(Destination::Opening), ')') => None,
            (Some(Destination::Opening), '(') => Some(Destination::Parens(1)),
            (Some(Destination::Opening), _) => Some(Destination::Parens(0)),
            (Some(Destination::Angle), '>') => None,
            (Some(Destination::Parens(0)), ')') => None,
            (Some(Destination::Parens(n)), ')') => Some(Destination::Parens(n - 1)),
            (Some(Destination::Parens(n)), '(') => Some(Destination::Parens(n + 1)),
            (None, '(') if self.previous == Some(']') => Some(Destination::Opening),
            (state, _) => state,
        };
        if self.in_tag {
            self.in_tag = c != '>';
        } else if self.previous == Some('<') && (c.is_ascii_alphabetic() || c == '/' || c == '!') {
            self.in_tag = true;
        }
        self.previous = Some(c);
    }
}

/// The built-in patterns, compiled on first use.
fn pattern(source: &str) -> Regex {
    Regex::new(source).expect("the built-in patterns are valid")
}

static PLACEHOLDER: LazyLock<Regex> =
    LazyLock::new(|| pattern(r"\[(?:EMAIL|IBAN|CARD|IP|PHONE|NAME)_\d{1,6}\]"));
static EMAIL: LazyLock<Regex> = LazyLock::new(|| {
    pattern(
        // Any script's letters, marks and digits (RFC 6531 addresses, IDN domains such as
        // `例子.广告`), and punycode top-level domains (`xn--fiqs8s`).
        r"[\p{L}\p{M}\p{N}.!#$%&'*+/=?^_`{|}~-]+@[\p{L}\p{M}\p{N}](?:[\p{L}\p{M}\p{N}-]*[\p{L}\p{M}\p{N}])?(?:\.[\p{L}\p{M}\p{N}](?:[\p{L}\p{M}\p{N}-]*[\p{L}\p{M}\p{N}])?)*\.(?:xn--[A-Za-z0-9-]+|[\p{L}\p{M}]{2,})",
    )
});
static IBAN: LazyLock<Regex> = LazyLock::new(|| pattern(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9])+\b"));
static CARD: LazyLock<Regex> = LazyLock::new(|| pattern(r"\b\d(?:[ -]?\d){12,}\b"));
static IPV4: LazyLock<Regex> = LazyLock::new(|| pattern(r"\b\d{1,3}(?:\.\d{1,3}){3}\b"));
static IPV6: LazyLock<Regex> =
    LazyLock::new(|| pattern(r"(?i)(?:[0-9a-f]{0,4}:){2,7}[0-9a-f]{0,4}"));
/// A date written like a phone number (`01.02.2024`, `01-02-2024`): day, month, year.
static DATE: LazyLock<Regex> =
    LazyLock::new(|| pattern(r"^\d{1,2}([./-])\d{1,2}([./-])(?:\d{2}|\d{4})$"));
static DECIMAL_DIGIT: LazyLock<Regex> = LazyLock::new(|| pattern(r"^\p{Nd}$"));
static PHONE: LazyLock<Regex> = LazyLock::new(|| {
    pattern(
        r"(?:\+\d{1,3}[ .-]?(?:\(\d{1,4}\)[ .-]?)?\d{1,4}(?:[ .-]?\d{2,4}){1,4}|\(\d{2,5}\)[ .-]?\d{2,4}(?:[ .-]?\d{2,4}){1,3}|\b0[1-9]\d{0,3}(?:[ ./-]?\d{2,4}){2,4}|\b\d{3}[.-]\d{3}[.-]\d{4})\b",
    )
});

/// The numbers inside `text[start..end]`: runs of whole groups (split at spaces and
/// dashes) that pass `check`, longest first from the left, none overlapping.
fn checked_runs(
    text: &str,
    start: usize,
    end: usize,
    check: fn(&str) -> bool,
) -> Vec<(usize, usize)> {
    let mut groups: Vec<(usize, usize)> = Vec::new();
    let mut group_start = None;
    for (i, c) in text[start..end].char_indices() {
        let at = start + i;
        if c == ' ' || c == '-' {
            if let Some(s) = group_start.take() {
                groups.push((s, at));
            }
        } else if group_start.is_none() {
            group_start = Some(at);
        }
    }
    if let Some(s) = group_start {
        groups.push((s, end));
    }
    let mut runs = Vec::new();
    let mut first = 0;
    while first < groups.len() {
        let found = (first..groups.len())
            .rev()
            .find(|&last| check(&text[groups[first].0..groups[last].1]));
        match found {
            Some(last) => {
                runs.push((groups[first].0, groups[last].1));
                first = last + 1;
            }
            None => first += 1,
        }
    }
    runs
}

/// ISO 13616: move the first four characters to the end, letters to numbers, mod 97 = 1.
fn iban_checks(candidate: &str) -> bool {
    let compact: String = candidate.chars().filter(|c| !c.is_whitespace()).collect();
    let shaped = compact.len() >= 4
        && compact[..2].chars().all(|c| c.is_ascii_uppercase())
        && compact[2..4].chars().all(|c| c.is_ascii_digit())
        && compact
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit());
    if !shaped || !(15..=34).contains(&compact.len()) {
        return false;
    }
    let rearranged = compact[4..].chars().chain(compact[..4].chars());
    let mut remainder: u32 = 0;
    for c in rearranged {
        let value = match c.to_digit(36) {
            Some(v) => v,
            None => return false,
        };
        for digit in value.to_string().chars() {
            remainder = (remainder * 10 + digit.to_digit(10).unwrap_or(0)) % 97;
        }
    }
    remainder == 1
}

/// The Luhn check every payment card number passes, on a number that starts the way
/// the card networks' do (2 to 6: Mastercard, Amex, Visa, Discover...), so a run of
/// zeros is not a card.
fn luhn_checks(candidate: &str) -> bool {
    if candidate
        .chars()
        .any(|c| !(c.is_ascii_digit() || c == ' ' || c == '-'))
    {
        return false;
    }
    let digits: Vec<u32> = candidate.chars().filter_map(|c| c.to_digit(10)).collect();
    if !(13..=19).contains(&digits.len()) || !(2..=6).contains(&digits[0]) {
        return false;
    }
    let sum: u32 = digits
        .iter()
        .rev()
        .enumerate()
        .map(|(i, &d)| {
            if i % 2 == 1 {
                let doubled = d * 2;
                if doubled > 9 {
                    doubled - 9
                } else {
                    doubled
                }
            } else {
                d
            }
        })
        .sum();
    sum.is_multiple_of(10)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn redact(text: &str, names: &[&str]) -> (String, Redactions) {
        let names: Vec<String> = names.iter().map(|n| n.to_string()).collect();
        let mut redactions = Redactions::default();
        (
            Redactor::new(&names).redact(text, &mut redactions),
            redactions,
        )
    }

    #[test]
    fn each_kind_is_found_and_replaced() {
        let text = "Write to anna.berg@example.co.uk or call +44 20 7946 0958 / (030) 1234567 / 555-867-5309. \
                    Pay DE89 3704 0044 0532 0130 00 with card 4111 1111 1111 1111. \
                    Server 192.168.1.20 and 2001:db8::8a2e:370:7334. Anna Berg signed for Acme GmbH.";
        let (out, redactions) = redact(text, &["Anna Berg", "Acme GmbH"]);
        expect_test::expect![[r#"Write to [EMAIL_1] or call [PHONE_1] / [PHONE_2] / [PHONE_3]. Pay [IBAN_1] with card [CARD_1]. Server [IP_1] and [IP_2]. [NAME_1] signed for [NAME_2]."#]]
        .assert_eq(&out);
        assert_eq!(redactions.restore(&out), text);
    }

    #[test]
    fn ordinary_numbers_dates_and_brackets_are_left_alone() {
        let text = "On 2024-11-29 we sold 1,250 units for 3999.99 EUR (order 12345678, ref [A1]). \
                    Version 1.2.3.4.5 and card-like 4111 1111 1111 1112 fail their checks; so does GB00 0000 0000 0000 00.";
        let (out, redactions) = redact(text, &[]);
        assert_eq!(out, text, "found {:?}", redactions.counts());
        assert!(redactions.is_empty());
    }

    #[test]
    fn the_same_value_gets_the_same_placeholder_across_messages() {
        let redactor = Redactor::new(&[]);
        let mut redactions = Redactions::default();
        let first = redactor.redact("mail a@b.io", &mut redactions);
        let second = redactor.redact("again a@b.io, also c@d.io", &mut redactions);
        assert_eq!(first, "mail [EMAIL_1]");
        assert_eq!(second, "again [EMAIL_1], also [EMAIL_2]");
        assert_eq!(redactions.counts(), vec![(Kind::Email, 2)]);
    }

    #[test]
    fn a_placeholder_split_across_deltas_is_restored_whole() {
        let (_, redactions) = redact("x@y.org", &[]);
        let mut restorer = StreamRestorer::default();
        let mut shown = String::new();
        for delta in [
            "Send it to [EM",
            "AIL",
            "_1",
            "] today [not a placeholder",
            "].",
        ] {
            shown.push_str(&restorer.push(delta, &redactions));
        }
        shown.push_str(&restorer.finish(&redactions));
        assert_eq!(shown, "Send it to x@y.org today [not a placeholder].");
    }

    /// Input, names listed, and what is sent: each row is a value today's detection
    /// missed or garbled before issue 19.
    #[test]
    fn redaction_table() {
        let cases: &[(&str, &[&str], &str)] = &[
            // Phone numbers with hyphens, spaces, brackets and dots.
            ("call 030-1234-5678 now", &[], "call [PHONE_1] now"),
            ("ring 06-12-34-56-78.", &[], "ring [PHONE_1]."),
            ("call 030 1234 5678 now", &[], "call [PHONE_1] now"),
            ("call +49 (30) 1234-5678 now", &[], "call [PHONE_1] now"),
            ("ring 06.12.34.56.78 tonight", &[], "ring [PHONE_1] tonight"),
            // Dates keep their shape.
            (
                "due 01.02.2024 or 01-02-2024",
                &[],
                "due 01.02.2024 or 01-02-2024",
            ),
            // Full-width digits and look-alike dashes; the original span is replaced.
            (
                "call ０３０-１２３４-５６７８ now",
                &[],
                "call [PHONE_1] now",
            ),
            ("call 030‐1234‐5678 now", &[], "call [PHONE_1] now"),
            (
                "card ４１１１ １１１１ １１１１ １１１１ ok",
                &[],
                "card [CARD_1] ok",
            ),
            (
                "iban ＤＥ８９ ３７０４ ００４４ ０５３２ ０１３０ ００ ok",
                &[],
                "iban [IBAN_1] ok",
            ),
            ("call ٠٣٠-١٢٣٤-٥٦٧٨ now", &[], "call [PHONE_1] now"),
            (
                "mail ａｎｎａ＠ｅｘａｍｐｌｅ．ｃｏｍ now",
                &[],
                "mail [EMAIL_1] now",
            ),
            // Non-ASCII addresses and IDN domains.
            ("write josé@example.com today", &[], "write [EMAIL_1] today"),
            ("write 用户@例子.广告 today", &[], "write [EMAIL_1] today"),
            (
                "write anna@bücher.de or bob@xn--bcher-kva.xn--p1ai",
                &[],
                "write [EMAIL_1] or [EMAIL_2]",
            ),
            // Names in another case, or split by a line break or several spaces.
            ("ada lovelace wrote", &["Ada Lovelace"], "[NAME_1] wrote"),
            ("ADA LOVELACE wrote", &["Ada Lovelace"], "[NAME_1] wrote"),
            ("Ada\nLovelace wrote", &["Ada Lovelace"], "[NAME_1] wrote"),
            ("Ada   Lovelace wrote", &["Ada  Lovelace"], "[NAME_1] wrote"),
            (
                "Ａｄａ Ｌｏｖｅｌａｃｅ wrote",
                &["Ada Lovelace"],
                "[NAME_1] wrote",
            ),
            (
                "Adam Lovelaces wrote",
                &["Ada Lovelace"],
                "Adam Lovelaces wrote",
            ),
            (
                "signed Acme Inc. today",
                &["Acme Inc."],
                "signed [NAME_1] today",
            ),
            // Code is not an IPv6 address; a real address still is.
            ("use std::vector<int> v;", &[], "use std::vector<int> v;"),
            (
                "call foo::bar::baz() and ::add(1)",
                &[],
                "call foo::bar::baz() and ::add(1)",
            ),
            (
                "x = a::b; y = ::1; dead::beef::cafe",
                &[],
                "x = a::b; y = ::1; dead::beef::cafe",
            ),
            (
                "Type::abc::def and x::1::y",
                &[],
                "Type::abc::def and x::1::y",
            ),
            ("host 2001:db8::8a2e:370:7334 up", &[], "host [IP_1] up"),
            (
                "host fe80::1ff:fe23:4567:890a%eth0",
                &[],
                "host [IP_1]%eth0",
            ),
            (
                "host 2001:0db8:0000:0000:0000:ff00:0042:8329.",
                &[],
                "host [IP_1].",
            ),
        ];
        for (input, names, expected) in cases {
            let (out, redactions) = redact(input, names);
            assert_eq!(&out, expected, "for {input:?}");
            assert_eq!(redactions.restore(&out), *input, "restoring {input:?}");
        }
    }

    /// What the model writes around a placeholder, and what the user is shown: the value
    /// in prose, the placeholder itself wherever it would end up in a link target.
    #[test]
    fn a_placeholder_in_a_link_target_is_not_restored() {
        let (_, redactions) = redact("anna@x.org", &[]);
        let cases: &[(&str, &str)] = &[
            ("Mail [EMAIL_1] today.", "Mail anna@x.org today."),
            ("(see [EMAIL_1])", "(see anna@x.org)"),
            ("Email: [EMAIL_1]", "Email: anna@x.org"),
            ("[[EMAIL_1]](#top)", "[anna@x.org](#top)"),
            ("https://x/?e=[EMAIL_1]", "https://x/?e=[EMAIL_1]"),
            (
                "Go to https://evil.example/log?d=[EMAIL_1]&x=1 now, [EMAIL_1]",
                "Go to https://evil.example/log?d=[EMAIL_1]&x=1 now, anna@x.org",
            ),
            ("[click](mailto:[EMAIL_1])", "[click](mailto:[EMAIL_1])"),
            (
                "[click here](https://e.example/a(b)?q=[EMAIL_1])",
                "[click here](https://e.example/a(b)?q=[EMAIL_1])",
            ),
            (
                "[a](<https://e.example/ x [EMAIL_1]>) then [EMAIL_1]",
                "[a](<https://e.example/ x [EMAIL_1]>) then anna@x.org",
            ),
            (
                "![logo](https://e.example/p.png?[EMAIL_1])",
                "![logo](https://e.example/p.png?[EMAIL_1])",
            ),
            (
                "[a](/local/[EMAIL_1]) and [EMAIL_1]",
                "[a](/local/[EMAIL_1]) and anna@x.org",
            ),
            (
                "<img src=\"https://e.example/?q= [EMAIL_1]\">",
                "<img src=\"https://e.example/?q= [EMAIL_1]\">",
            ),
            ("<mailto:[EMAIL_1]>", "<mailto:[EMAIL_1]>"),
            ("www.e.example/[EMAIL_1]", "www.e.example/[EMAIL_1]"),
            ("src=//e.example/[EMAIL_1]", "src=//e.example/[EMAIL_1]"),
            (
                "  [1]: <https://e.example/ [EMAIL_1]>\nThen [EMAIL_1]",
                "  [1]: <https://e.example/ [EMAIL_1]>\nThen anna@x.org",
            ),
            ("MAILTO:[EMAIL_1]", "MAILTO:[EMAIL_1]"),
            (
                "[EMAIL_1]: that is [EMAIL_1]",
                "anna@x.org: that is anna@x.org",
            ),
            (
                "a<b and [EMAIL_1]\nc [EMAIL_1]",
                "a<b and [EMAIL_1]\nc anna@x.org",
            ),
        ];
        for (answer, shown) in cases {
            assert_eq!(&redactions.restore(answer), shown, "for {answer:?}");
            // The same, streamed one character at a time.
            let mut restorer = StreamRestorer::default();
            let mut streamed = String::new();
            for c in answer.chars() {
                streamed.push_str(&restorer.push(&c.to_string(), &redactions));
            }
            streamed.push_str(&restorer.finish(&redactions));
            assert_eq!(&streamed, shown, "streaming {answer:?}");
        }
    }

    /// Text made of ordinary words mixed with personal data of every kind.
    fn pieces() -> impl Strategy<Value = String> {
        prop_oneof![
            "[a-z]{1,8}( [a-z]{1,8}){0,3}",
            "[a-z]{1,6}\\.[a-z]{1,6}@[a-z]{2,8}\\.(com|org|de)",
            Just("+49 30 1234 5678".to_owned()),
            Just("4111 1111 1111 1111".to_owned()),
            Just("DE89 3704 0044 0532 0130 00".to_owned()),
            (0u8..=255, 0u8..=255).prop_map(|(a, b)| format!("10.{a}.{b}.7")),
            Just("Anna Berg".to_owned()),
            "[0-9]{1,4}",
            Just("[NOTE]".to_owned()),
            Just("(see [NOTE])".to_owned()),
            // Two numbers with only a space between are one run of digits to anyone, so
            // the new shapes come with words around them.
            Just("call 030-1234-5678 now".to_owned()),
            Just("or 06-12-34-56-78 then".to_owned()),
            Just("at ０３０-１２３４-５６７８ please".to_owned()),
            Just("josé@example.com".to_owned()),
            Just("用户@例子.广告".to_owned()),
            Just("anna  berg".to_owned()),
            Just("ANNA\nBERG".to_owned()),
            Just("std::vector".to_owned()),
        ]
    }

    /// Whatever a link target is made of before the placeholder.
    fn link_openings() -> impl Strategy<Value = String> {
        prop_oneof![
            "(https?|ftp)://[a-z]{1,8}\\.[a-z]{2,3}/[a-z?=&/]{0,10}",
            "\\[[a-z ]{0,8}\\]\\((mailto:|https://[a-z]{1,5}\\.io/\\?q=|/)?",
            "!\\[[a-z ]{0,8}\\]\\(https://[a-z]{1,5}\\.io/[a-z]{0,5}",
            "<(img|a) (src|href)=\"https://[a-z]{1,5}\\.io/\\?q= ?",
            "www\\.[a-z]{1,8}\\.com/",
            "(mailto|MAILTO|tel|data):",
        ]
    }

    proptest! {
        /// Redacting and restoring gives back the text exactly, none of the personal
        /// data is left in what would be sent, and streaming in any cut restores the same.
        #[test]
        fn redaction_round_trips(parts in prop::collection::vec(pieces(), 1..12), cuts in prop::collection::vec(1usize..9, 1..20)) {
            let text = parts.join(" ");
            let (sent, redactions) = redact(&text, &["Anna Berg"]);
            prop_assert_eq!(redactions.restore(&sent), text.clone());
            for secret in [
                "4111 1111 1111 1111", "DE89 3704", "Anna Berg", "+49 30 1234 5678",
                "1234-5678", "12-34-56-78", "１２３４", "anna  berg", "ANNA\nBERG",
            ] {
                prop_assert!(!sent.contains(secret), "{} left in {}", secret, sent);
            }
            if text.contains("std::vector") {
                prop_assert!(sent.contains("std::vector"), "code garbled in {}", sent);
            }
            prop_assert!(!sent.contains('@'), "an email left in {}", sent);
            let mut restorer = StreamRestorer::default();
            let mut shown = String::new();
            let mut rest = sent.as_str();
            for cut in cuts.iter().cycle() {
                if rest.is_empty() { break; }
                let mut at = (*cut).min(rest.len());
                while !rest.is_char_boundary(at) { at += 1; }
                shown.push_str(&restorer.push(&rest[..at], &redactions));
                rest = &rest[at..];
            }
            shown.push_str(&restorer.finish(&redactions));
            prop_assert_eq!(shown, text);
        }

        /// However the model builds a link around a placeholder and however the stream
        /// is cut, the value never lands in the link; in the prose after it, it does.
        #[test]
        fn no_placeholder_is_restored_inside_a_link(
            prose in "[a-z]{1,8}( [a-z]{1,8}){0,3}",
            opening in link_openings(),
            tail in "[a-z&=/]{0,6}",
            cuts in prop::collection::vec(1usize..7, 1..20),
        ) {
            let (_, redactions) = redact("anna.berg@example.org", &[]);
            let answer = format!("{prose} {opening}[EMAIL_1]{tail})>\"\nSo: [EMAIL_1]");
            let shown = redactions.restore(&answer);
            let (link, after) = shown.split_once('\n').unwrap_or((&shown, ""));
            prop_assert!(!link.contains("anna.berg"), "restored into a link: {}", shown);
            prop_assert!(after.contains("anna.berg@example.org"), "not restored in prose: {}", shown);
            let mut restorer = StreamRestorer::default();
            let mut streamed = String::new();
            let mut rest = answer.as_str();
            for cut in cuts.iter().cycle() {
                if rest.is_empty() { break; }
                let mut at = (*cut).min(rest.len());
                while !rest.is_char_boundary(at) { at += 1; }
                streamed.push_str(&restorer.push(&rest[..at], &redactions));
                rest = &rest[at..];
            }
            streamed.push_str(&restorer.finish(&redactions));
            prop_assert_eq!(streamed, shown);
        }
    }
}
