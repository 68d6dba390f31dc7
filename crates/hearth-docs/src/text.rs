//! Turning the bytes of a plain-text file (txt, md, html) into a string: the encoding is
//! taken from a byte-order mark, else UTF-8 when the bytes are valid UTF-8, else guessed
//! with chardetng (Firefox's detector: windows-1252, Shift_JIS, GBK, KOI8-R, ...).
//! Binary data that merely has a text extension is refused here rather than decoded into
//! pages of mojibake that would then be summarised.

use encoding_rs::{Encoding, UTF_16BE, UTF_16LE, UTF_8};

use crate::DocError;

/// Decoded text and the name of the encoding it was in.
#[derive(Debug)]
pub(crate) struct Decoded {
    pub text: String,
    pub encoding: &'static str,
}

/// Share of control characters (other than tab, newlines, form feed and escape) above
/// which a file is taken for binary. Real text has next to none; random bytes have about
/// one in nine.
const MAX_CONTROL_SHARE: f64 = 0.02;

/// How many bytes to look at when judging whether a file is binary.
const SNIFF_BYTES: usize = 64 * 1024;

/// Decodes `bytes`; `declared` is an encoding the container names (an HTML meta charset),
/// trusted only when there is no byte-order mark and the bytes are not valid UTF-8.
pub(crate) fn decode(
    bytes: &[u8],
    declared: Option<&'static Encoding>,
) -> Result<Decoded, DocError> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(DocError::Empty);
    }
    let encoding = detect(bytes, declared)?;
    // decode_with_bom_removal: a BOM for the detected encoding is dropped, and malformed
    // sequences become U+FFFD instead of failing the whole file.
    let (text, had_errors) = encoding.decode_with_bom_removal(bytes);
    let text = text.into_owned();
    if had_errors {
        tracing::debug!(encoding = encoding.name(), "text had malformed sequences");
    }
    check_is_text(&text)?;
    if text.trim().is_empty() {
        return Err(DocError::Empty);
    }
    Ok(Decoded {
        text,
        encoding: encoding.name(),
    })
}

fn detect(
    bytes: &[u8],
    declared: Option<&'static Encoding>,
) -> Result<&'static Encoding, DocError> {
    if let Some((encoding, _bom_len)) = Encoding::for_bom(bytes) {
        return Ok(encoding);
    }
    if std::str::from_utf8(bytes).is_ok() {
        return Ok(UTF_8);
    }
    if let Some(utf16) = utf16_without_bom(bytes) {
        return Ok(utf16);
    }
    let head = &bytes[..bytes.len().min(SNIFF_BYTES)];
    if head.contains(&0) {
        return Err(DocError::NotText {
            reason: "it contains NUL bytes".into(),
        });
    }
    if let Some(declared) = declared {
        // A page that declares UTF-8 but is not valid UTF-8 is more likely windows-1252
        // than anything else; otherwise believe the declaration.
        if declared != UTF_8 && declared != UTF_16LE && declared != UTF_16BE {
            return Ok(declared);
        }
    }
    let mut detector = chardetng::EncodingDetector::new(chardetng::Iso2022JpDetection::Deny);
    detector.feed(bytes, true);
    // No TLD hint; UTF-8 was ruled out above; ISO-2022-JP only matters for email.
    Ok(detector.guess(None, chardetng::Utf8Detection::Deny))
}

/// UTF-16 text without a BOM shows as a zero in every other byte for Latin scripts.
/// Require it on most of those bytes so binary files with some zeros are not taken for it.
fn utf16_without_bom(bytes: &[u8]) -> Option<&'static Encoding> {
    let head = &bytes[..bytes.len().min(SNIFF_BYTES) & !1];
    if head.len() < 4 {
        return None;
    }
    let pairs = head.len() / 2;
    let even_zeros = head.iter().step_by(2).filter(|&&b| b == 0).count();
    let odd_zeros = head.iter().skip(1).step_by(2).filter(|&&b| b == 0).count();
    let mostly = |n: usize| n * 10 >= pairs * 7;
    let rarely = |n: usize| n * 20 <= pairs;
    if mostly(odd_zeros) && rarely(even_zeros) {
        Some(UTF_16LE)
    } else if mostly(even_zeros) && rarely(odd_zeros) {
        Some(UTF_16BE)
    } else {
        None
    }
}

fn check_is_text(text: &str) -> Result<(), DocError> {
    let mut total = 0usize;
    let mut suspicious = 0usize;
    for c in text.chars().take(SNIFF_BYTES) {
        total += 1;
        if c == '\0' {
            return Err(DocError::NotText {
                reason: "it contains NUL characters".into(),
            });
        }
        let control = c.is_control() && !matches!(c, '\t' | '\n' | '\r' | '\x0c' | '\x1b');
        if control || c == char::REPLACEMENT_CHARACTER {
            suspicious += 1;
        }
    }
    if total > 0 && suspicious as f64 > total as f64 * MAX_CONTROL_SHARE {
        return Err(DocError::NotText {
            reason: format!(
                "{suspicious} of its first {total} characters are control codes or undecodable"
            ),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utf8_is_taken_as_is() {
        let d = decode("naïve café".as_bytes(), None).unwrap();
        assert_eq!(d.encoding, "UTF-8");
        assert_eq!(d.text, "naïve café");
    }

    #[test]
    fn utf8_bom_is_removed() {
        let d = decode(b"\xEF\xBB\xBFhello", None).unwrap();
        assert_eq!(d.encoding, "UTF-8");
        assert_eq!(d.text, "hello");
    }

    #[test]
    fn utf16_with_and_without_bom() {
        let s = "Grüße aus Köln, ça va?";
        let le: Vec<u8> = s.encode_utf16().flat_map(u16::to_le_bytes).collect();
        let be: Vec<u8> = s.encode_utf16().flat_map(u16::to_be_bytes).collect();
        for (bytes, name) in [
            ([&[0xFF, 0xFE][..], &le].concat(), "UTF-16LE"),
            ([&[0xFE, 0xFF][..], &be].concat(), "UTF-16BE"),
            (le.clone(), "UTF-16LE"),
            (be.clone(), "UTF-16BE"),
        ] {
            let d = decode(&bytes, None).unwrap();
            assert_eq!((d.text.as_str(), d.encoding), (s, name));
        }
    }

    #[test]
    fn latin1_is_detected_as_windows_1252() {
        let (bytes, _, _) = encoding_rs::WINDOWS_1252
            .encode("Le cœur a ses raisons que la raison ne connaît point. Café, crème, über.");
        let d = decode(&bytes, None).unwrap();
        assert_eq!(d.encoding, "windows-1252");
        assert!(
            d.text.contains("cœur") && d.text.contains("connaît"),
            "{}",
            d.text
        );
    }

    #[test]
    fn declared_charset_wins_over_guessing() {
        let (bytes, _, _) = encoding_rs::KOI8_R.encode("Привет, мир");
        let d = decode(&bytes, Some(encoding_rs::KOI8_R)).unwrap();
        assert_eq!(d.text, "Привет, мир");
    }

    #[test]
    fn binary_is_not_text() {
        // A deterministic stand-in for random bytes: an LCG.
        let mut x: u32 = 12345;
        let junk: Vec<u8> = (0..4096)
            .map(|_| {
                x = x.wrapping_mul(1_103_515_245).wrapping_add(12345);
                (x >> 16) as u8
            })
            .collect();
        assert!(matches!(decode(&junk, None), Err(DocError::NotText { .. })));
        let no_nul: Vec<u8> = junk.iter().map(|&b| b.max(1)).collect();
        assert!(matches!(
            decode(&no_nul, None),
            Err(DocError::NotText { .. })
        ));
    }

    #[test]
    fn whitespace_only_is_empty() {
        assert!(matches!(decode(b"", None), Err(DocError::Empty)));
        assert!(matches!(decode(b" \n\t\r\n ", None), Err(DocError::Empty)));
        assert!(matches!(
            decode(b"\xEF\xBB\xBF  \n", None),
            Err(DocError::Empty)
        ));
    }
}
