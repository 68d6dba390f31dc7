//! Personal data taken out of text before it goes to a remote provider, and put back
//! in the answer: email addresses, phone numbers, IBANs, card numbers, IP addresses,
//! and the names the user lists. Each distinct value becomes a placeholder such as
//! `[EMAIL_1]` (the same value, the same placeholder, across the whole conversation),
//! so the provider can still refer to it and Hearth restores it in what comes back.
//!
//! Detection errs toward precision where a false hit would garble ordinary text: card
//! numbers must pass the Luhn check, IBANs the ISO 13616 mod-97 check, IP addresses
//! must parse, and phone numbers need the shape of one (a leading `+`, `(` or `0`, or
//! the North American 3-3-4 grouping) so dates and amounts are left alone.

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
    /// else in brackets is left as written.
    pub fn restore(&self, text: &str) -> String {
        if self.is_empty() {
            return text.to_owned();
        }
        PLACEHOLDER
            .replace_all(text, |caps: &regex::Captures<'_>| {
                let found = &caps[0];
                self.by_placeholder
                    .get(found)
                    .cloned()
                    .unwrap_or_else(|| found.to_owned())
            })
            .into_owned()
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
        let mut names: Vec<&str> = names
            .iter()
            .map(|n| n.trim())
            .filter(|n| !n.is_empty())
            .collect();
        // Longest first, so "Anna Maria Berg" wins over "Anna".
        names.sort_by_key(|n| std::cmp::Reverse(n.len()));
        let names = (!names.is_empty()).then(|| {
            let alternatives: Vec<String> = names.iter().map(|n| regex::escape(n)).collect();
            Regex::new(&format!(r"\b(?:{})\b", alternatives.join("|")))
                .expect("escaped names always form a valid pattern")
        });
        Self { names, builtin }
    }

    /// `text` with its personal data replaced by placeholders recorded in `redactions`.
    pub fn redact(&self, text: &str, redactions: &mut Redactions) -> String {
        let mut found: Vec<(usize, usize, Kind)> = Vec::new();
        if self.builtin {
            find_builtin(text, &mut found);
        }
        if let Some(names) = &self.names {
            for m in names.find_iter(text) {
                take(&mut found, m.start(), m.end(), Kind::Name);
            }
        }
        found.sort_by_key(|&(start, _, _)| start);
        let mut out = String::with_capacity(text.len());
        let mut at = 0;
        for (start, end, kind) in found {
            out.push_str(&text[at..start]);
            out.push_str(&redactions.placeholder(kind, &text[start..end]));
            at = end;
        }
        out.push_str(&text[at..]);
        out
    }
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
        let candidate = m.as_str();
        if candidate.matches(':').count() >= 2 && candidate.parse::<Ipv6Addr>().is_ok() {
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
        if (7..=15).contains(&count(number)) {
            take(found, m.start(), m.start() + number.len(), Kind::Phone);
        }
    }
}

/// Records a find unless it overlaps an earlier (more specific) one.
fn take(found: &mut Vec<(usize, usize, Kind)>, start: usize, end: usize, kind: Kind) {
    if !found.iter().any(|&(s, e, _)| start < e && s < end) {
        found.push((start, end, kind));
    }
}

/// Restores placeholders in a stream of deltas: a delta that ends inside what may be
/// a placeholder (`…[EMAI`) is held back until the placeholder is complete.
#[derive(Debug, Default)]
pub struct StreamRestorer {
    pending: String,
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
        redactions.restore(&ready)
    }

    /// Whatever is still held back, at the end of the stream.
    pub fn finish(&mut self, redactions: &Redactions) -> String {
        let rest = std::mem::take(&mut self.pending);
        redactions.restore(&rest)
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
        r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*\.[A-Za-z]{2,}",
    )
});
static IBAN: LazyLock<Regex> = LazyLock::new(|| pattern(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9])+\b"));
static CARD: LazyLock<Regex> = LazyLock::new(|| pattern(r"\b\d(?:[ -]?\d){12,}\b"));
static IPV4: LazyLock<Regex> = LazyLock::new(|| pattern(r"\b\d{1,3}(?:\.\d{1,3}){3}\b"));
static IPV6: LazyLock<Regex> =
    LazyLock::new(|| pattern(r"(?i)(?:[0-9a-f]{0,4}:){2,7}[0-9a-f]{0,4}"));
static PHONE: LazyLock<Regex> = LazyLock::new(|| {
    pattern(
        r"(?:\+\d{1,3}[ .-]?(?:\(\d{1,4}\)[ .-]?)?\d{1,4}(?:[ .-]?\d{2,4}){1,4}|\(\d{2,5}\)[ .-]?\d{2,4}(?:[ .-]?\d{2,4}){1,3}|\b0[1-9]\d{0,3}(?:[ .-/]?\d{2,4}){2,4}|\b\d{3}[.-]\d{3}[.-]\d{4})\b",
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
    sum % 10 == 0
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
            for secret in ["4111 1111 1111 1111", "DE89 3704", "Anna Berg", "+49 30 1234 5678"] {
                prop_assert!(!sent.contains(secret), "{} left in {}", secret, sent);
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
    }
}
