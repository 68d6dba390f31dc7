//! The thorough grounding check through the facade, with the real embedding model
//! (all-MiniLM-L6-v2, converted on first use) and a scripted judge: the fake engine
//! answers each judge prompt by what its statement says, so every layer's decision is
//! known. Each layer decides what it can (facts, then nothing close in the source, then
//! the judge's verdict), the judge sees only what the earlier layers left, with the
//! closest source sentences, is audited as the grounding check, and a layer that
//! cannot run leaves a warning and the earlier marks. A summary's points get the same.

use crate::support;

use crate::common;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use hearth_core::documents::{Cancellation, SummaryOptions, SummaryStyle};
use hearth_core::grounding::{FactKind, GroundingMode, GroundingReport, Layer, Support};
use hearth_core::{Hearth, Isolation, OpenOptions, Paths};
use hearth_docs::{Block, BlockKind, Document, Format};
use hearth_llm::fake::FakeEngine;
use hearth_llm::{Engine, Prompt, StopReason};
use hearth_store::AuditPurpose;

const SOURCE: &str = "The Golden Gate Bridge opened in 1937 after four years of \
    construction. Its main span is 1,280 metres long. The bridge is painted in a colour \
    called International Orange, chosen by the architect Irving Morrow. Ferries still \
    cross the bay every morning. The city does not charge a toll for people walking \
    across.";

/// One sentence per layer's decision, in order: supported by the judge, contradicted
/// by the judge, not in the source by the judge, a name the facts miss, and nothing
/// close in the source (no fact to check, no word shared).
const TEXT: &str = "The bridge opened in 1937. The bridge is not painted orange. \
    Walkers pay a toll to cross the bridge. Penguins are popular pets in Norway. \
    Kangaroos dance gracefully beneath moonlit skies.";

/// Opens Hearth with `fake` as every model, in thorough mode, with the MiniLM folder
/// in its models folder when `embeddings`.
fn open(root: &std::path::Path, fake: Arc<FakeEngine>, embeddings: bool) -> Hearth {
    std::env::set_var("HEARTH_KEYRING", "off");
    let paths = Paths::under(root);
    paths.create_all().unwrap();
    if embeddings {
        std::os::unix::fs::symlink(
            support::minilm_dir(),
            paths.models_dir().join("all-MiniLM-L6-v2"),
        )
        .unwrap();
    }
    let hearth = Hearth::open(OpenOptions {
        paths,
        isolation: Some(Isolation::Provided(fake)),
    })
    .unwrap();
    hearth
        .update_config(|c| c.grounding = GroundingMode::Thorough)
        .unwrap();
    hearth
}

/// The statement a judge prompt asks about.
fn statement(prompt: &str) -> Option<&str> {
    let start = prompt.find("Statement: ")? + "Statement: ".len();
    Some(prompt[start..].lines().next()?.trim())
}

/// Answers judge prompts as a judge would on SOURCE, by what the statement says;
/// summary prompts with `summary`; `garbled` answers every judge prompt with prose.
fn judge(
    fake: Arc<FakeEngine>,
    summary: &'static str,
    garbled: bool,
) -> (Arc<AtomicBool>, std::thread::JoinHandle<Vec<String>>) {
    let stop = Arc::new(AtomicBool::new(false));
    let stopping = stop.clone();
    let thread = std::thread::spawn(move || {
        let mut judged = Vec::new();
        while !stopping.load(Ordering::SeqCst) {
            let Some(mut stream) = fake.next_request(Duration::from_millis(20)) else {
                continue;
            };
            let Prompt::Text(prompt) = &stream.request.prompt else {
                panic!("text prompts only")
            };
            let answer = match statement(prompt) {
                None => summary.to_owned(),
                Some(_) if garbled => "I think it is probably fine.".to_owned(),
                Some(said) => {
                    assert!(
                        stream.request.options.json_schema.is_some(),
                        "the judge answers to a schema"
                    );
                    judged.push(said.to_owned());
                    let (verdict, reason) = if said.contains(" not ") {
                        ("contradicted", "Excerpt 1 says it is International Orange.")
                    } else if said.contains("toll") {
                        ("not_in_source", "No excerpt says walkers pay.")
                    } else {
                        ("supported", "Excerpt 1 says so.")
                    };
                    // The closest source sentences come with the statement; a sentence
                    // sharing no word with the source has none.
                    if said.starts_with("Kangaroos") {
                        assert!(prompt.contains("no excerpt"), "{prompt}");
                    } else {
                        assert!(prompt.contains("[1] "), "{prompt}");
                    }
                    format!(r#"{{"reason": "{reason}", "verdict": "{verdict}"}}"#)
                }
            };
            stream.push(&answer);
            stream.finish(StopReason::EndOfGeneration);
        }
        judged
    });
    (stop, thread)
}

/// TEXT checked against SOURCE with the scripted judge answering; the report and the
/// statements the judge was asked about.
fn check_judged(
    hearth: &Hearth,
    fake: &Arc<FakeEngine>,
    garbled: bool,
) -> (GroundingReport, Vec<String>) {
    let (stop, thread) = judge(fake.clone(), "", garbled);
    let report = hearth.check_against_documents(TEXT, &[SOURCE.to_owned()], None, None);
    stop.store(true, Ordering::SeqCst);
    (report, thread.join().unwrap())
}

fn sentence<'a>(
    report: &'a GroundingReport,
    starts: &str,
) -> &'a hearth_core::grounding::SentenceCheck {
    report
        .sentences
        .iter()
        .find(|s| s.text.starts_with(starts))
        .unwrap_or_else(|| panic!("no sentence starting {starts:?} in {report:#?}"))
}

/// The sentence starting `starts`: its support, the layer that decided it, and its first
/// finding's kind and reason.
fn marked(
    report: &GroundingReport,
    starts: &str,
) -> (Support, Option<Layer>, Option<(FactKind, String)>) {
    let s = sentence(report, starts);
    let first = s.findings.first().map(|f| (f.kind, f.reason.clone()));
    (s.support, s.decided_by, first)
}

fn grounding_audits(hearth: &Hearth, count: usize) -> usize {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let found = hearth
            .store()
            .audit_records(None)
            .unwrap()
            .iter()
            .filter(|r| r.purpose == AuditPurpose::GroundingCheck)
            .count();
        if found >= count || Instant::now() > deadline {
            return found;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn each_layer_decides_what_it_can_and_the_judge_sees_only_the_rest() {
    let dir = tempfile::tempdir().unwrap();
    let fake = Arc::new(FakeEngine::new());
    let hearth = open(dir.path(), fake.clone(), true);
    let (report, judged) = check_judged(&hearth, &fake, false);

    assert_eq!(
        report.layers,
        [Layer::Facts, Layer::Similarity, Layer::Judge]
    );
    assert!(report.warnings.is_empty(), "{:?}", report.warnings);
    assert_eq!(report.judge.as_deref(), Some(fake.info().name.as_str()));
    // The facts and the similarity settled two sentences; the judge read the other three.
    assert_eq!(judged.len(), 3, "{judged:?}");
    assert!(judged
        .iter()
        .all(|s| !s.contains("Norway") && !s.contains("Kangaroos")));

    let opened = sentence(&report, "The bridge opened");
    assert_eq!(opened.support, Support::Supported);
    assert_eq!(opened.decided_by, Some(Layer::Judge));
    assert!(opened.similarity.unwrap() > 0.45, "{opened:?}");
    assert!(opened.evidence[0].contains("1937"), "{opened:?}");

    let painted = sentence(&report, "The bridge is not painted");
    assert_eq!(painted.support, Support::Contradicted);
    assert_eq!(painted.findings[0].kind, FactKind::Contradiction);
    assert!(
        painted.findings[0].reason.contains("International Orange"),
        "the judge's reason is kept: {painted:?}"
    );
    assert!(painted
        .evidence
        .iter()
        .any(|e| e.contains("International Orange")));

    let toll = marked(&report, "Walkers pay");
    assert_eq!((toll.0, toll.1), (Support::NotFound, Some(Layer::Judge)));
    assert_eq!(toll.2.unwrap().0, FactKind::Statement);
    assert_eq!(
        marked(&report, "Penguins"),
        (
            Support::NotFound,
            Some(Layer::Facts),
            Some((FactKind::Name, "the document never mentions Norway".into()))
        )
    );
    assert_eq!(
        marked(&report, "Kangaroos"),
        (
            Support::NotFound,
            Some(Layer::Similarity),
            Some((
                FactKind::Statement,
                "nothing in the document is close to this".into()
            ))
        )
    );

    assert_eq!((report.not_found, report.contradicted), (4, 1));
    assert_eq!(
        report.summary,
        "4 of 5 sentences not found in the document (1 contradicted)"
    );
    // Each judgement is in the audit log as the grounding check.
    assert_eq!(grounding_audits(&hearth, 3), 3);

    // Fast, as asked, runs no model at all.
    let fast =
        hearth.check_against_documents(TEXT, &[SOURCE.to_owned()], Some(GroundingMode::Fast), None);
    assert_eq!(fast.layers, [Layer::Facts]);
    assert_eq!(fast.not_found, 1);
    assert_eq!(fake.received().len(), 3, "no judge in fast mode");
}

#[test]
fn a_layer_that_cannot_run_says_why_and_leaves_the_earlier_marks() {
    // No embedding model installed: the judge still runs, on words shared.
    let dir = tempfile::tempdir().unwrap();
    let fake = Arc::new(FakeEngine::new());
    let hearth = open(dir.path(), fake.clone(), false);
    let (report, judged) = check_judged(&hearth, &fake, false);
    assert_eq!(report.layers, [Layer::Facts, Layer::Judge]);
    assert!(
        report.warnings[0].contains("similarity check did not run")
            && report.warnings[0].contains("fetch-models.sh minilm"),
        "{:?}",
        report.warnings
    );
    assert_eq!(
        judged.len(),
        4,
        "all but the fact-flagged sentence: {judged:?}"
    );
    assert_eq!(
        sentence(&report, "The bridge is not").support,
        Support::Contradicted
    );

    // A judge that does not answer in JSON: the facts' marks stand, and a warning says so.
    let dir = tempfile::tempdir().unwrap();
    let fake = Arc::new(FakeEngine::new());
    let hearth = open(dir.path(), fake.clone(), true);
    let (report, _) = check_judged(&hearth, &fake, true);
    assert!(
        report
            .warnings
            .iter()
            .any(|w| w.contains("3 sentences was not the JSON")),
        "{:?}",
        report.warnings
    );
    assert_eq!(
        sentence(&report, "The bridge opened").support,
        Support::Supported
    );
    assert_eq!(
        sentence(&report, "The bridge opened").decided_by,
        Some(Layer::Facts)
    );
    assert_eq!(sentence(&report, "Walkers pay").support, Support::Unchecked);
    assert_eq!(
        report.not_found, 2,
        "Norway by facts, kangaroos by similarity"
    );

    // A remote judge while Hearth is offline: refused before any connection.
    hearth
        .update_config(|c| {
            c.offline = true;
            c.providers.push(common::loopback_provider("cloud"));
        })
        .unwrap();
    let report = hearth.check_against_documents(TEXT, &[SOURCE.to_owned()], None, Some("cloud:m"));
    assert!(
        report
            .warnings
            .iter()
            .any(|w| w.starts_with("the judge did not run") && w.contains("offline")),
        "{:?}",
        report.warnings
    );
    assert_eq!(report.layers, [Layer::Facts, Layer::Similarity]);
}

#[test]
fn a_summary_in_thorough_mode_marks_points_the_judge_or_similarity_flag() {
    let dir = tempfile::tempdir().unwrap();
    let fake = Arc::new(FakeEngine::new());
    let hearth = open(dir.path(), fake.clone(), true);
    let (stop, thread) = judge(
        fake.clone(),
        "- The bridge opened in 1937.\n- Kangaroos dance gracefully beneath moonlit skies.\n- The bridge is not painted orange.",
        false,
    );
    let document = Document::new(
        Format::Markdown,
        vec![Block::new(BlockKind::Paragraph, SOURCE, None)],
    );
    let options = SummaryOptions {
        style: SummaryStyle::Bullets,
        ..SummaryOptions::default()
    };
    let summary = hearth
        .summarize(None, &document, &options, &mut |_| {}, &Cancellation::new())
        .unwrap();
    stop.store(true, Ordering::SeqCst);
    let judged = thread.join().unwrap();
    assert_eq!(judged.len(), 2, "{judged:?}");
    let points: Vec<(&str, Vec<FactKind>)> = summary
        .points
        .iter()
        .map(|p| {
            (
                p.text.as_str(),
                p.unsupported.iter().map(|f| f.kind).collect(),
            )
        })
        .collect();
    assert_eq!(
        points,
        [
            ("The bridge opened in 1937.", vec![]),
            (
                "Kangaroos dance gracefully beneath moonlit skies.",
                vec![FactKind::Statement]
            ),
            (
                "The bridge is not painted orange.",
                vec![FactKind::Contradiction]
            ),
        ]
    );
    let count = summary.grounding.unwrap();
    assert_eq!((count.not_found, count.contradicted), (2, 1));
    assert_eq!(
        count.summary,
        "2 of 3 points not found in the document (1 contradicted)"
    );
    assert_eq!(
        count.layers,
        [Layer::Facts, Layer::Similarity, Layer::Judge]
    );
    assert!(summary.warnings.is_empty(), "{:?}", summary.warnings);
}
