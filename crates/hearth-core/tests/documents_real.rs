//! Summarize and translate end to end on the real default model (SmolLM2-135M). The
//! model is too small for good prose, so these tests check what Hearth guarantees
//! whatever the model writes: structure, references, coverage, progress, cancellation.

use crate::common;
use crate::support;

use hearth_core::documents::{
    Cancellation, Glossary, Language, SummaryLength, SummaryOptions, SummaryProgress, SummaryStyle,
    TranslateOptions, TranslateProgress, Translation, UnitKind,
};
use hearth_core::Hearth;
use hearth_docs::{Block, BlockKind, Document, Format, Limits};

fn hearth(dir: &std::path::Path) -> Hearth {
    common::hearth_on(dir, &support::smollm2(), 2048, 2)
}

/// Real prose with headings: the start of this project's architecture notes, read as
/// Markdown and given page numbers (four blocks a page) so page references can be checked.
/// Only the first blocks up to about 8,000 characters (some 2,000 tokens, eight parts of
/// 250) are kept: the notes grow every release and the test's cost must not grow with them.
fn paged_document() -> Document {
    const KEEP_CHARS: usize = 8_000;
    let text = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../ARCHITECTURE.md"
    ))
    .unwrap();
    let mut document =
        hearth_docs::read_bytes(&text, Format::Markdown, &Limits::default()).unwrap();
    let mut kept_chars = 0;
    document.blocks.retain(|block| {
        kept_chars += block.text.len();
        kept_chars <= KEEP_CHARS
    });
    for (i, block) in document.blocks.iter_mut().enumerate() {
        block.page = Some(i as u32 / 4 + 1);
    }
    document.pages = document.blocks.last().and_then(|b| b.page);
    document
}

#[test]
fn a_long_document_is_summarized_hierarchically_with_every_part_covered() {
    let dir = tempfile::tempdir().unwrap();
    let hearth = hearth(dir.path());
    let document = paged_document();
    let options = SummaryOptions {
        style: SummaryStyle::Bullets,
        length: SummaryLength::Short,
        // Small parts make several of a document of this size.
        max_part_tokens: Some(250),
        ..SummaryOptions::default()
    };
    let mut events = Vec::new();
    let summary = hearth
        .summarize(
            None,
            &document,
            &options,
            &mut |e| events.push(e),
            &Cancellation::new(),
        )
        .unwrap();

    let parts = summary.parts.len();
    assert!(parts >= 4, "expected several parts, got {parts}");
    assert!(summary.levels >= 2, "levels {}", summary.levels);
    // Coverage: the map took notes on every part, in order.
    assert_eq!(summary.part_notes.len(), parts);
    for (i, notes) in summary.part_notes.iter().enumerate() {
        assert!(
            !notes.is_empty(),
            "part {i} has no notes: {:?}",
            summary.warnings
        );
    }
    // Every point carries at least one valid reference, shown in the text.
    assert!(!summary.points.is_empty());
    for point in &summary.points {
        assert!(!point.parts.is_empty(), "{point:?}");
        assert!(point.parts.iter().all(|&p| p < parts));
        let label = summary.parts[point.parts[0]].label();
        assert!(
            label.starts_with("p. ") || label.starts_with("pp. "),
            "{label}"
        );
        assert!(
            summary.text.contains(&label),
            "{label} not in {}",
            summary.text
        );
    }
    // Pages of consecutive parts never go backwards and cover the document.
    let first = summary.parts.first().unwrap().first_page.unwrap();
    let last = summary.parts.last().unwrap().last_page.unwrap();
    assert_eq!((first, last), (1, document.pages.unwrap()));
    assert!(summary
        .parts
        .windows(2)
        .all(|w| w[0].last_page <= w[1].first_page));

    // Progress: the parts count first, then every map step, in order.
    assert_eq!(events[0], SummaryProgress::Chunked { parts });
    let map_steps: Vec<usize> = events
        .iter()
        .filter_map(|e| match e {
            SummaryProgress::Step {
                level: 1,
                done,
                total,
            } => {
                assert_eq!(*total, parts);
                Some(*done)
            }
            _ => None,
        })
        .collect();
    assert_eq!(map_steps, (1..=parts).collect::<Vec<_>>());
    assert_eq!(summary.steps, events.len() - 1);

    // Every step is in the audit log under the job's purpose.
    let audit = hearth.store().audit_records(None).unwrap();
    let summary_steps = audit
        .iter()
        .filter(|r| r.generation.purpose == hearth_store::AuditPurpose::DocumentSummary)
        .count();
    assert_eq!(summary_steps, summary.steps);
}

#[test]
fn a_short_document_is_one_step_and_key_point_quotes_are_verbatim() {
    let dir = tempfile::tempdir().unwrap();
    let hearth = hearth(dir.path());
    let text = "Lighthouses guide ships along dangerous coasts at night. The oldest known \
                lighthouse stood at Alexandria in Egypt and was one of the seven wonders of \
                the ancient world. Modern lighthouses use electric lamps and Fresnel lenses, \
                which focus the light into a beam visible for more than twenty miles. Many \
                lighthouses are now automated, and their keepers have left.";
    let mut document = Document::new(
        Format::Text,
        vec![Block::new(BlockKind::Paragraph, text, None)],
    );
    document.title = Some("Lighthouses".into());
    let options = SummaryOptions {
        style: SummaryStyle::KeyPoints,
        ..SummaryOptions::default()
    };
    let summary = hearth
        .summarize(None, &document, &options, &mut |_| {}, &Cancellation::new())
        .unwrap();
    assert_eq!(summary.levels, 1);
    assert_eq!(summary.steps, 1);
    assert_eq!(summary.parts.len(), 1);
    assert!(summary.part_notes.is_empty());
    assert!(summary.points.iter().all(|p| p.parts == vec![0]));
    let quotes: Vec<&String> = summary
        .points
        .iter()
        .filter_map(|p| p.quote.as_ref())
        .collect();
    // A check over no quotes would prove nothing: points that restate the text find a
    // sentence to quote (a point the model made up finds none and gets no quote).
    assert!(!summary.points.is_empty(), "{summary:?}");
    assert!(
        !quotes.is_empty(),
        "no point was given a quote: {summary:?}"
    );
    for quote in &quotes {
        let words = quote.trim_end_matches(" …");
        assert!(
            text.split_whitespace()
                .collect::<Vec<_>>()
                .join(" ")
                .contains(words),
            "not verbatim: {quote}"
        );
    }
}

#[test]
fn cancelling_a_summary_stops_it_with_cancelled() {
    let dir = tempfile::tempdir().unwrap();
    let hearth = hearth(dir.path());
    let document = paged_document();
    let cancel = Cancellation::new();
    let options = SummaryOptions {
        max_part_tokens: Some(200),
        ..SummaryOptions::default()
    };
    let mut steps = 0;
    let result = hearth.summarize(
        None,
        &document,
        &options,
        &mut |event| {
            if matches!(event, SummaryProgress::Step { .. }) {
                steps += 1;
                cancel.cancel();
            }
        },
        &cancel,
    );
    assert!(
        matches!(result, Err(hearth_core::CoreError::Cancelled)),
        "{result:?}"
    );
    assert_eq!(steps, 1, "no step may finish after the cancel");
}

const MARKDOWN: &str = "# Getting started\n\nInstall the package and run `hearth` to start the app.\n\n1. Open the app\n2. Pick a model\n   - small models are fast\n\n```sh\nhearth run \"hello\"\n```\n\n| Key | Action |\n|-----|--------|\n| q | Quit now |\n\nSee [the guide](https://example.org/guide) for more.\n";

#[test]
fn a_markdown_translation_keeps_the_structure() {
    let dir = tempfile::tempdir().unwrap();
    let hearth = hearth(dir.path());
    let options = TranslateOptions {
        glossary: Glossary::parse("app = Anwendung").unwrap(),
        ..TranslateOptions::new(Language::parse("German").unwrap())
    };
    let (translation, progress) = translate(&hearth, MARKDOWN, &options);
    assert_eq!(translation.from.code, "en");
    assert!(translation.detected.is_some());
    let text = &translation.text;
    // The code block, the table rule, the numbering and the heading mark are untouched.
    assert!(
        text.contains("```sh\nhearth run \"hello\"\n```\n"),
        "{text}"
    );
    assert!(text.contains("\n|-----|--------|\n"), "{text}");
    assert!(text.starts_with("# "), "{text}");
    assert!(
        text.contains("\n1. ") && text.contains("\n2. ") && text.contains("\n   - "),
        "{text}"
    );
    assert_eq!(text.lines().count(), MARKDOWN.lines().count(), "{text}");
    // The link target survives whatever the model did to the link text.
    assert!(
        text.contains("(https://example.org/guide)")
            || translation.warnings.iter().any(|w| w.contains("links")),
        "{text}"
    );
    // One unit per piece of prose, aligned with its source.
    let kinds: Vec<UnitKind> = translation.units.iter().map(|u| u.kind).collect();
    assert_eq!(
        kinds,
        vec![
            UnitKind::Heading,
            UnitKind::Paragraph,
            UnitKind::ListItem,
            UnitKind::ListItem,
            UnitKind::ListItem,
            UnitKind::TableCell,
            UnitKind::TableCell,
            UnitKind::TableCell,
            UnitKind::TableCell,
            UnitKind::Paragraph,
        ]
    );
    assert_eq!(translation.units[0].source, "Getting started");
    assert!(translation.units.iter().all(|u| !u.target.is_empty()));
    // The glossary check agrees with the text: a miss is reported exactly when the
    // required word is absent from that unit's translation.
    for (i, unit) in translation.units.iter().enumerate() {
        let applies = unit
            .source
            .split_whitespace()
            .any(|w| w.trim_matches(|c: char| !c.is_alphanumeric()) == "app");
        let followed = unit.target.to_lowercase().contains("anwendung");
        let reported = translation.glossary_misses.iter().any(|m| m.unit == i);
        assert_eq!(reported, applies && !followed, "unit {i}: {unit:?}");
    }
    // SmolLM2 writes English only: every unit is marked as not translated, and none is
    // asked again (a stricter prompt cannot teach it German).
    assert_eq!(translation.not_translated, translation.units.len());
    assert_eq!(progress.last().map(|p| (p.done, p.total)), Some((10, 10)));
}

/// Three paragraphs of a manual, long enough for the language check to judge.
const MANUAL: &str = "Upon starting the system, you are presented with the character based \
login screen if you did not install any graphical environment such as GNOME or KDE.\n\n\
Every file and directory is named by a path that lists the directories leading to it. \
The root directory is written as a single slash and cannot be renamed.\n\n\
Midnight Commander takes care of all file operations through its menu, requiring minimal \
user effort. Just press F1 to get the help screen.\n";

/// SmolLM2 is an English model: asked for German it answers in English, hands the text
/// back or writes German-looking words about something else. Every unit is marked as not
/// translated, and the advice names a multilingual model instead.
#[test]
fn an_english_only_model_asked_for_german_has_every_unit_flagged_with_advice() {
    let dir = tempfile::tempdir().unwrap();
    let hearth = hearth(dir.path());
    let options = TranslateOptions {
        from: Some(Language::parse("en").unwrap()),
        // One sequence at a time: the same answers on every run.
        parallel: Some(1),
        ..TranslateOptions::new(Language::parse("de").unwrap())
    };
    let (translation, progress) = translate(&hearth, MANUAL, &options);
    assert_eq!(translation.units.len(), 3);
    for unit in &translation.units {
        assert!(unit.not_translated.is_some(), "not flagged: {unit:?}");
    }
    assert_eq!(translation.not_translated, 3);
    assert!(
        translation
            .warnings
            .iter()
            .any(|w| w.starts_with("3 of 3 unit(s) are not translated into German")),
        "{:?}",
        translation.warnings
    );
    // No unit is asked again: the model cannot write German whatever it is told.
    assert_eq!(progress.last().map(|p| (p.done, p.total)), Some((3, 3)));
    let advice = translation.advice.expect("advice");
    assert!(
        advice.message.contains("SmolLM2") && advice.message.contains("German"),
        "{advice:?}"
    );
    // Nothing multilingual is in this library, so a catalog model to download.
    let pull = advice.pull.expect("a catalog model to pull");
    assert!(
        hearth_models::catalog::lookup(&pull).unwrap().multilingual == Some(true),
        "{pull}"
    );
}

/// Translates `text` with the default model; the progress reports beside the result.
fn translate(
    hearth: &Hearth,
    text: &str,
    options: &TranslateOptions,
) -> (Translation, Vec<TranslateProgress>) {
    let mut progress = Vec::new();
    let translation = hearth
        .translate(
            None,
            text,
            options,
            &mut |p| progress.push(p),
            &Cancellation::new(),
        )
        .unwrap();
    (translation, progress)
}
