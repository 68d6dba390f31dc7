//! OCR accuracy against a digital PDF's own text layer: each page is rendered at 300 DPI
//! (as a scan of a clean print would be), read by Tesseract, and compared with the text
//! hearth-docs extracts from the same page. Prints the character error rate (edit
//! distance over the reference's characters, whitespace collapsed) and the share of the
//! reference's words OCR got exactly, per page and overall.
//!
//! With a text file as the last argument, that file is the reference for the (single)
//! page instead: a real scan and its transcription.
//!
//! cargo run --release -p hearth-ocr --example ocr_accuracy -- FILE.pdf LANGS FIRST LAST [REFERENCE.txt]

use std::time::Instant;

use hearth_ocr::recognize::Recognizer;
use hearth_ocr::render::PdfPages;

fn normalize(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let (file, langs, first, last, transcript) = match &args[..] {
        [_, file, langs, first, last] => (file, langs, first, last, None),
        [_, file, langs, first, last, reference] => (
            file,
            langs,
            first,
            last,
            Some(std::fs::read_to_string(reference).unwrap()),
        ),
        _ => {
            eprintln!("usage: ocr_accuracy FILE.pdf LANGS FIRST LAST [REFERENCE.txt]");
            std::process::exit(2);
        }
    };
    let (first, last): (u32, u32) = (first.parse().unwrap(), last.parse().unwrap());
    let bytes = std::fs::read(file).unwrap();
    let document = match transcript {
        Some(_) => None,
        None => Some(
            hearth_docs::read_bytes(&bytes, hearth_docs::Format::Pdf, &Default::default()).unwrap(),
        ),
    };
    let tessdata = hearth_ocr::languages::tessdata_dir().expect("no tessdata");
    let mut recognizer = Recognizer::new(&tessdata, langs).unwrap();
    let pdf = PdfPages::open(bytes).unwrap();
    let (mut edits, mut chars, mut words_ok, mut words) = (0usize, 0usize, 0usize, 0usize);
    let started = Instant::now();
    println!("| page | reference chars | CER | words exact | confidence |");
    println!("|---:|---:|---:|---:|---:|");
    for page in first..=last {
        let reference: String = match (&document, &transcript) {
            (Some(document), _) => document
                .blocks
                .iter()
                .filter(|b| b.page == Some(page))
                .map(|b| b.text.as_str())
                .collect::<Vec<_>>()
                .join(" "),
            (None, Some(text)) => text.clone(),
            (None, None) => unreachable!(),
        };
        let reference = normalize(&reference);
        let grey = pdf.render(page).unwrap();
        let read = recognizer
            .grey(page, &grey.pixels, grey.width, grey.height, grey.dpi)
            .unwrap();
        let ocr = normalize(&read.paragraphs.join(" "));
        let distance = strsim::levenshtein(&reference, &ocr);
        let n = reference.chars().count();
        let ocr_words: std::collections::HashMap<&str, usize> =
            ocr.split(' ').fold(Default::default(), |mut m, w| {
                *m.entry(w).or_default() += 1;
                m
            });
        let mut left = ocr_words.clone();
        let ref_words: Vec<&str> = reference.split(' ').collect();
        let exact = ref_words
            .iter()
            .filter(|w| match left.get_mut(*w) {
                Some(c) if *c > 0 => {
                    *c -= 1;
                    true
                }
                _ => false,
            })
            .count();
        println!(
            "| {page} | {n} | {:.2}% | {:.1}% | {} |",
            100.0 * distance as f64 / n.max(1) as f64,
            100.0 * exact as f64 / ref_words.len().max(1) as f64,
            read.confidence
        );
        edits += distance;
        chars += n;
        words_ok += exact;
        words += ref_words.len();
    }
    println!(
        "\nall {} pages: CER {:.2}%, words exact {:.1}%, {:.1} s per page (render and OCR, one thread)",
        last - first + 1,
        100.0 * edits as f64 / chars.max(1) as f64,
        100.0 * words_ok as f64 / words.max(1) as f64,
        started.elapsed().as_secs_f64() / f64::from(last - first + 1)
    );
}
