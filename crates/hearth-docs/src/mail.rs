//! E-mail: one message (.eml) or a mailbox of them (.mbox, the Unix "From " format every
//! mail client exports). Each message is a heading with its subject, its sender,
//! recipients and date as a small table (so they stay structure a question can be
//! answered from: "what did Anna send in March?"), its text as paragraphs with quoted
//! replies (`> ...`) as quotes, and its attachments listed by name, type and size.
//!
//! `mail-parser` does MIME, encoded words and charsets; an HTML-only message is turned
//! into text by it. Attachments are not opened: a document attached to a mail is listed,
//! not read, so a hostile attachment cannot reach a reader through a harmless-looking
//! .eml.

use std::io::Cursor;

use mail_parser::mailbox::mbox::MessageIterator;
use mail_parser::{Address, Message, MessageParser, MimeHeaders};

use crate::builder::DocBuilder;
use crate::{BlockKind, DocError, Document, Format, Limits};

/// Reads a single message.
pub(crate) fn read_eml(bytes: &[u8], limits: &Limits) -> Result<Document, DocError> {
    let message = MessageParser::default()
        .parse(bytes)
        .filter(is_mail)
        .ok_or_else(|| DocError::corrupt("eml", "it has no e-mail headers"))?;
    let mut doc = DocBuilder::new(Format::Email, limits.max_text_bytes);
    doc.set_title(message.subject().map(str::to_string));
    write_message(&message, 1, &mut doc);
    doc.finish()
}

/// Reads every message of a mailbox, in the order they are stored.
pub(crate) fn read_mbox(bytes: &[u8], limits: &Limits) -> Result<Document, DocError> {
    if !bytes.starts_with(b"From ") {
        return Err(DocError::corrupt(
            "mbox",
            "it does not start with a \"From \" line",
        ));
    }
    let mut doc = DocBuilder::new(Format::Mbox, limits.max_text_bytes);
    let parser = MessageParser::default();
    let mut unreadable = 0;
    let mut messages = 0;
    for entry in MessageIterator::new(Cursor::new(bytes)) {
        if doc.is_full() {
            break;
        }
        let Ok(entry) = entry else {
            unreadable += 1;
            continue;
        };
        match parser.parse(entry.contents()).filter(is_mail) {
            Some(message) => {
                messages += 1;
                write_message(&message, 2, &mut doc);
            }
            None => unreadable += 1,
        }
    }
    if unreadable > 0 {
        doc.warn(format!(
            "{unreadable} message(s) in the mailbox could not be read and were skipped"
        ));
    }
    doc.set_title(Some(format!("Mailbox of {messages} message(s)")));
    doc.finish()
}

/// A message has at least one of the headers every mail program writes; anything parsed
/// without one is not mail.
fn is_mail(message: &Message<'_>) -> bool {
    message.from().is_some()
        || message.subject().is_some()
        || message.date().is_some()
        || message.to().is_some()
}

fn write_message(message: &Message<'_>, level: u8, doc: &mut DocBuilder) {
    let subject = message
        .subject()
        .filter(|s| !s.trim().is_empty())
        .unwrap_or("(no subject)");
    doc.push(BlockKind::Heading { level }, subject, None);

    let mut fields = Vec::new();
    for (name, address) in [
        ("From", message.from()),
        ("To", message.to()),
        ("Cc", message.cc()),
    ] {
        if let Some(list) = address.map(addresses).filter(|l| !l.is_empty()) {
            fields.push(format!("{name} | {}", list.replace('|', "\\|")));
        }
    }
    if let Some(date) = message.date() {
        fields.push(format!("Date | {}", date.to_rfc3339()));
    }
    if !fields.is_empty() {
        doc.push(BlockKind::Table, &fields.join("\n"), None);
    }

    for i in 0..message.text_body_count() {
        if let Some(text) = message.body_text(i) {
            push_body(&text, doc);
        }
    }

    let attachments: Vec<String> = message
        .attachments()
        .map(|part| {
            let name = part
                .attachment_name()
                .map(str::to_string)
                .or_else(|| {
                    part.message()
                        .map(|m| format!("forwarded message \"{}\"", m.subject().unwrap_or("")))
                })
                .unwrap_or_else(|| "unnamed".into());
            let kind = part
                .content_type()
                .map(|c| match c.subtype() {
                    Some(sub) => format!("{}/{sub}", c.ctype()),
                    None => c.ctype().to_string(),
                })
                .unwrap_or_else(|| "application/octet-stream".into());
            format!("{name} ({kind}, {})", size(part.len()))
        })
        .collect();
    if !attachments.is_empty() {
        doc.push(
            BlockKind::Paragraph,
            &format!("Attachments: {}", attachments.join("; ")),
            None,
        );
    }
}

/// "Anna Berg <anna@example.org>, bob@example.org"
fn addresses(address: &Address<'_>) -> String {
    address
        .iter()
        .map(|a| match (a.name(), a.address()) {
            (Some(name), Some(addr)) => format!("{name} <{addr}>"),
            (Some(name), None) => name.to_string(),
            (None, Some(addr)) => addr.to_string(),
            (None, None) => String::new(),
        })
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join(", ")
}

/// A body as paragraphs (split at blank lines), quoted lines as quotes.
fn push_body(text: &str, doc: &mut DocBuilder) {
    let mut paragraph: Vec<&str> = Vec::new();
    let mut quote: Vec<String> = Vec::new();
    let flush = |paragraph: &mut Vec<&str>, quote: &mut Vec<String>, doc: &mut DocBuilder| {
        if !paragraph.is_empty() {
            doc.push(BlockKind::Paragraph, &paragraph.join(" "), None);
            paragraph.clear();
        }
        if !quote.is_empty() {
            doc.push(BlockKind::Quote, &quote.join("\n"), None);
            quote.clear();
        }
    };
    for line in text.lines() {
        let trimmed = line.trim_end();
        if let Some(quoted) = trimmed.strip_prefix('>') {
            if !paragraph.is_empty() {
                flush(&mut paragraph, &mut Vec::new(), doc);
            }
            quote.push(quoted.trim_start_matches(['>', ' ']).to_string());
        } else if trimmed.trim().is_empty() {
            flush(&mut paragraph, &mut quote, doc);
        } else {
            if !quote.is_empty() {
                flush(&mut Vec::new(), &mut quote, doc);
            }
            paragraph.push(trimmed);
        }
    }
    flush(&mut paragraph, &mut quote, doc);
}

fn size(bytes: usize) -> String {
    match bytes {
        b if b >= 1 << 20 => format!("{:.1} MB", b as f64 / (1u64 << 20) as f64),
        b if b >= 1 << 10 => format!("{} KB", b.div_ceil(1 << 10)),
        b => format!("{b} bytes"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MAIL: &str = "From: =?UTF-8?Q?Anna_B=C3=A9rg?= <anna@example.org>\r\n\
To: bob@example.org, Carol <carol@example.org>\r\n\
Subject: =?ISO-8859-1?Q?Caf=E9?= budget\r\n\
Date: Fri, 1 Mar 2024 14:30:00 +0100\r\n\
MIME-Version: 1.0\r\n\
Content-Type: multipart/mixed; boundary=\"b\"\r\n\
\r\n\
--b\r\n\
Content-Type: text/plain; charset=utf-8\r\n\
\r\n\
Hi Bob,\r\n\
the rent is 1200\r\n\
this month.\r\n\
\r\n\
> Did you pay?\r\n\
> > Twice?\r\n\
Yes.\r\n\
--b\r\n\
Content-Type: application/pdf; name=\"invoice.pdf\"\r\n\
Content-Disposition: attachment; filename=\"invoice.pdf\"\r\n\
Content-Transfer-Encoding: base64\r\n\
\r\n\
JVBERi0xLjQK\r\n\
--b--\r\n";

    #[test]
    fn a_message_with_its_fields_quotes_and_attachment() {
        let doc = read_eml(MAIL.as_bytes(), &Limits::default()).unwrap();
        assert_eq!(doc.title.as_deref(), Some("Café budget"));
        let got: Vec<(BlockKind, &str)> = doc
            .blocks
            .iter()
            .map(|b| (b.kind, b.text.as_str()))
            .collect();
        assert_eq!(got[0], (BlockKind::Heading { level: 1 }, "Café budget"));
        assert_eq!(
            got[1],
            (
                BlockKind::Table,
                "From | Anna Bérg <anna@example.org>\nTo | bob@example.org, Carol <carol@example.org>\nDate | 2024-03-01T14:30:00+01:00"
            )
        );
        assert_eq!(
            got[2],
            (BlockKind::Paragraph, "Hi Bob, the rent is 1200 this month.")
        );
        assert_eq!(got[3], (BlockKind::Quote, "Did you pay?\nTwice?"));
        assert_eq!(got[4], (BlockKind::Paragraph, "Yes."));
        assert_eq!(
            got[5],
            (
                BlockKind::Paragraph,
                "Attachments: invoice.pdf (application/pdf, 9 bytes)"
            )
        );
    }

    #[test]
    fn a_mailbox_is_one_section_per_message() {
        let mbox = format!(
            "From anna@example.org Fri Mar  1 14:30:00 2024\n{}\nFrom bob@example.org Sat Mar  2 09:00:00 2024\nFrom: bob@example.org\nSubject: Re: rent\n\nPaid.\n",
            MAIL.replace("\r\n", "\n")
        );
        let doc = read_mbox(mbox.as_bytes(), &Limits::default()).unwrap();
        let headings: Vec<&str> = doc
            .blocks
            .iter()
            .filter(|b| matches!(b.kind, BlockKind::Heading { level: 2 }))
            .map(|b| b.text.as_str())
            .collect();
        assert_eq!(headings, ["Café budget", "Re: rent"]);
        assert_eq!(doc.title.as_deref(), Some("Mailbox of 2 message(s)"));
        assert!(read_mbox(b"Subject: x\n\nno From line", &Limits::default()).is_err());
    }

    #[test]
    fn not_mail_is_an_error() {
        assert!(read_eml(b"\x00\x01\x02 binary", &Limits::default()).is_err());
    }
}
