//! The summarizer's recursion on the scripted fake, where the test controls exactly what
//! the "model" writes: a document far larger than the context goes through several
//! reduce levels, and every part still reaches the summary. The fake answers each step
//! with bullets copied from the words it was shown, condensing two parts into one
//! bullet, the way a faithful model would.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use hearth_core::documents::{
    Cancellation, SummaryLength, SummaryOptions, SummaryProgress, SummaryStyle,
};
use hearth_core::{Hearth, Isolation, OpenOptions, Paths};
use hearth_docs::{Block, BlockKind, Document, Format};
use hearth_llm::fake::FakeEngine;
use hearth_llm::{Prompt, StopReason};

const PARTS: usize = 12;

/// Words of the form `p{part}w{i}` in the prompt's user message, in order.
fn shown_words(prompt: &str) -> Vec<String> {
    prompt
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| {
            w.starts_with('p')
                && w.contains('w')
                && w[1..].chars().next().is_some_and(|c| c.is_ascii_digit())
        })
        .map(str::to_owned)
        .collect()
}

/// One bullet per two parts seen, six words each: the first six of a lone part, the
/// first three of each of a pair. Notes shrink level by level, as summaries do.
fn answer(prompt: &str) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut words_of: std::collections::HashMap<String, Vec<String>> = Default::default();
    for word in shown_words(prompt) {
        let part = word.split('w').next().unwrap().to_owned();
        if !parts.contains(&part) {
            parts.push(part.clone());
        }
        let words = words_of.entry(part).or_default();
        if words.len() < 6 && !words.contains(&word) {
            words.push(word);
        }
    }
    parts
        .chunks(2)
        .map(|pair| {
            let each = 6 / pair.len();
            let words: Vec<String> = pair
                .iter()
                .flat_map(|p| words_of[p].iter().take(each).cloned())
                .collect();
            format!("- {}", words.join(" "))
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn responder(fake: Arc<FakeEngine>, stop: Arc<AtomicBool>) -> std::thread::JoinHandle<usize> {
    std::thread::spawn(move || {
        let mut answered = 0;
        while !stop.load(Ordering::SeqCst) {
            let Some(mut stream) = fake.next_request(Duration::from_millis(50)) else {
                continue;
            };
            let Prompt::Text(prompt) = &stream.request.prompt else {
                panic!("text prompts only")
            };
            // Only what the user message holds: the system prompt has no such words.
            let text = answer(prompt);
            stream.push(&text);
            stream.finish(StopReason::EndOfGeneration);
            answered += 1;
        }
        answered
    })
}

#[test]
fn a_document_many_times_the_context_reaches_the_summary_through_several_levels() {
    let dir = tempfile::tempdir().unwrap();
    // The fake counts a byte as a token: 700 bytes of context leave about 300 for input.
    let fake = Arc::new(FakeEngine::new().with_context_length(700));
    let hearth = Hearth::open(OpenOptions {
        paths: Paths::under(dir.path()),
        isolation: Some(Isolation::Provided(fake.clone())),
    })
    .unwrap();
    let blocks = (0..PARTS)
        .map(|p| Block {
            kind: BlockKind::Paragraph,
            text: (0..10)
                .map(|w| format!("p{p}w{w}"))
                .collect::<Vec<_>>()
                .join(" "),
            page: Some(p as u32 + 1),
        })
        .collect();
    let mut document = Document::new(Format::Pdf, blocks);
    document.pages = Some(PARTS as u32);
    let stop = Arc::new(AtomicBool::new(false));
    let answering = responder(fake.clone(), stop.clone());
    let options = SummaryOptions {
        style: SummaryStyle::Bullets,
        length: SummaryLength::Short,
        max_part_tokens: Some(80),
        ..SummaryOptions::default()
    };
    let mut events = Vec::new();
    let result = hearth.summarize(
        None,
        &document,
        &options,
        &mut |e| events.push(e),
        &Cancellation::new(),
    );
    stop.store(true, Ordering::SeqCst);
    let answered = answering.join().unwrap();
    let summary = result.unwrap();

    assert_eq!(summary.parts.len(), PARTS);
    assert!(
        summary.levels >= 3,
        "expected reduce levels, got {}",
        summary.levels
    );
    assert_eq!(summary.steps, answered);
    // Every part was cited by the final points, having passed through every level.
    assert_eq!(summary.parts_cited, PARTS, "{summary:#?}");
    for point in &summary.points {
        // A bullet names the parts whose words it carries, and only those.
        let named: Vec<usize> = shown_words(&point.text)
            .iter()
            .map(|w| w[1..w.find('w').unwrap()].parse().unwrap())
            .collect::<std::collections::BTreeSet<_>>()
            .into_iter()
            .collect();
        assert_eq!(point.parts, named, "{point:?}");
    }
    // Progress reports each level's steps in order, levels rising.
    let levels: Vec<u32> = events
        .iter()
        .filter_map(|e| match e {
            SummaryProgress::Step { level, .. } => Some(*level),
            _ => None,
        })
        .collect();
    assert!(levels.windows(2).all(|w| w[0] <= w[1]), "{levels:?}");
    assert_eq!(levels.iter().filter(|&&l| l == 1).count(), PARTS);
    assert_eq!(*levels.last().unwrap(), summary.levels);
}
