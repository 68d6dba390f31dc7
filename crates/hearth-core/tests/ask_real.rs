//! Asking documents through the facade with the real models: all-MiniLM-L6-v2 (converted
//! on first use from the fetched sentence-transformers folder) and the default chat model.
//! The corpus is real files of every kind Hearth reads (an R manual PDF, a Debian
//! Reference chapter in HTML, a .docx, Markdown), a broken PDF, and short notes written
//! here so questions have one right answer.

use crate::support;

use crate::common;

use std::path::{Path, PathBuf};

use hearth_core::ask::{
    cited, AskOptions, AskReply, FileOutcome, IngestEvent, RetrievalMode, RetrievalOptions,
};
use hearth_core::documents::Cancellation;
use hearth_core::Hearth;
use hearth_llm::{ChatMessage, GenerationOptions};
use hearth_store::{AuditPurpose, FileStatus};

fn testdata(relative: &str) -> PathBuf {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../.testdata")
        .join(relative);
    assert!(
        path.exists(),
        "{} is missing: run scripts/fetch-test-docs.sh",
        path.display()
    );
    path
}

/// A Hearth home with the default chat model and the MiniLM folder in its models
/// folder, so the embedding model is converted on first use.
fn open(root: &Path) -> Hearth {
    let hearth = common::hearth_with_minilm(root, &support::minilm_dir());
    let chat = support::smollm2();
    hearth
        .update_config(|c| {
            c.default_model = Some(chat.to_string_lossy().into_owned());
            c.context_length = 4096;
            c.parallel = 1;
        })
        .unwrap();
    hearth
}

const NOTES: &[(&str, &str)] = &[
    (
        "notes/bread.md",
        "# Sourdough bread\n\nKnead the dough for ten minutes until it is smooth and elastic. \
         Let it rise overnight in the fridge.\n\n## Baking\n\nBake the loaf at 230 degrees \
         Celsius for forty minutes, with steam for the first fifteen.",
    ),
    (
        "notes/bees.md",
        "# Beekeeping\n\nA queen bee lays up to two thousand eggs a day in spring. Inspect the \
         hive every week from April to August and look for queen cells, which mean the colony \
         is about to swarm.",
    ),
    (
        "notes/bike.txt",
        "Fixing a flat bicycle tyre: remove the wheel, lever the tyre off the rim, find the \
         puncture by pumping the inner tube under water, then patch it and refit the tube.",
    ),
];

fn corpus(root: &Path) -> PathBuf {
    let docs = root.join("docs");
    for (name, text) in NOTES {
        let path = docs.join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
    for (from, to) in [
        ("r-doc-pdf/R-data.pdf", "manuals/R-data.pdf"),
        (
            "debian-reference/ch01.en.html",
            "manuals/debian-tutorial.html",
        ),
        ("mammoth/tables.docx", "office/tables.docx"),
        ("markdown/mammoth-README.md", "office/mammoth-README.md"),
        ("pdf-parse/03-invalid.pdf", "broken/invalid.pdf"),
        ("mammoth/empty.docx", "broken/empty.docx"),
    ] {
        let target = docs.join(to);
        std::fs::create_dir_all(target.parent().unwrap()).unwrap();
        std::fs::copy(testdata(from), target).unwrap();
    }
    // Hidden folders (version control, app caches) are not documents.
    std::fs::create_dir_all(docs.join(".git")).unwrap();
    std::fs::write(docs.join(".git/notes.md"), "# Hidden\n\nNever indexed.").unwrap();
    docs
}

fn top_files(hearth: &Hearth, question: &str, mode: RetrievalMode, k: usize) -> Vec<String> {
    let options = RetrievalOptions {
        limit: k,
        mode,
        ..RetrievalOptions::default()
    };
    hearth
        .retrieve(question, &options)
        .unwrap()
        .into_iter()
        .map(|p| {
            Path::new(&p.passage.path)
                .file_name()
                .unwrap()
                .to_string_lossy()
                .into_owned()
        })
        .collect()
}

#[test]
fn documents_are_ingested_incrementally_retrieved_and_answered_with_citations() {
    let dir = tempfile::tempdir().unwrap();
    let hearth = open(dir.path());
    let docs = corpus(dir.path());
    let cancel = Cancellation::new();

    // First ingestion: everything read but the broken PDF and the empty .docx, which
    // are reported.
    let mut events = Vec::new();
    let report = hearth
        .add_to_collection(
            "Library",
            std::slice::from_ref(&docs),
            &mut |e| events.push(e),
            &cancel,
        )
        .unwrap();
    assert_eq!(report.added, 7, "{report:#?}");
    assert_eq!(report.failed.len(), 2, "{report:#?}");
    assert!(report.failed[0].path.ends_with("broken/empty.docx"));
    assert!(report.failed[0].error.contains("no text"), "{report:#?}");
    assert!(report.failed[1].path.ends_with("broken/invalid.pdf"));
    assert!(!report.failed[1].error.is_empty());
    assert!(
        report.pages > 10,
        "the R manual's pages count: {}",
        report.pages
    );
    assert!(report.passages > 100, "{} passages", report.passages);
    assert!(
        matches!(events[0], IngestEvent::Scanned { files: 9 }),
        "{:?}",
        events[0]
    );
    assert!(events
        .iter()
        .any(|e| matches!(e, IngestEvent::Embedding { .. })));
    let files = hearth.collection_files("Library").unwrap();
    assert_eq!(files.len(), 9);
    assert!(!files.iter().any(|f| f.path.contains(".git")));
    let pdf = files
        .iter()
        .find(|f| f.path.ends_with("R-data.pdf"))
        .unwrap();
    assert_eq!(pdf.status, FileStatus::Indexed);
    assert!(pdf.pages.unwrap_or(0) > 10);
    let collection = hearth.collection("library").unwrap();
    assert_eq!(collection.embedding_model, "all-MiniLM-L6-v2");
    assert_eq!(collection.dimensions, 384);

    // Nothing changed: nothing is read again.
    let again = hearth
        .reindex_collection("Library", &mut |_| {}, &cancel)
        .unwrap();
    assert_eq!(
        (again.added, again.updated, again.unchanged),
        (0, 0, 7),
        "{again:#?}"
    );
    assert_eq!(again.passages, 0);
    assert_eq!(
        again.failed.len(),
        2,
        "failed files are tried again and reported again"
    );

    // One file changed, one deleted: only those are touched.
    std::fs::write(
        docs.join("notes/bike.txt"),
        "Adjusting bicycle brakes: tighten the cable at the barrel adjuster until the pads \
         grip the rim a few millimetres after the lever starts to move.",
    )
    .unwrap();
    std::fs::remove_file(docs.join("notes/bees.md")).unwrap();
    let mut events = Vec::new();
    let third = hearth
        .reindex_collection("Library", &mut |e| events.push(e), &cancel)
        .unwrap();
    assert_eq!(
        (third.added, third.updated, third.unchanged, third.removed),
        (0, 1, 5, 1),
        "{third:#?}"
    );
    assert!(events.iter().any(|e| matches!(
        e,
        IngestEvent::File { path, outcome: FileOutcome::Updated, .. } if path.ends_with("bike.txt")
    )));
    assert!(top_files(&hearth, "queen bee eggs hive", RetrievalMode::Keyword, 5).is_empty());

    // A small labelled set: each question's answer is in one file.
    let labelled = [
        ("How long should I knead the sourdough?", "bread.md"),
        ("At what temperature do I bake the loaf?", "bread.md"),
        ("How do I adjust my bike's brakes?", "bike.txt"),
        (
            "How can I read a spreadsheet or CSV file into R?",
            "R-data.pdf",
        ),
        (
            "How do I convert a .docx document to HTML with mammoth?",
            "mammoth-README.md",
        ),
        (
            "What is the Midnight Commander file manager?",
            "debian-tutorial.html",
        ),
    ];
    for (question, file) in labelled {
        for mode in [RetrievalMode::Hybrid, RetrievalMode::Vector] {
            let top = top_files(&hearth, question, mode, 3);
            assert!(
                top.iter().any(|f| f == file),
                "{question} ({mode:?}): {top:?}"
            );
        }
    }
    // A rare exact word is what BM25 is for.
    let top = top_files(&hearth, "barrel adjuster", RetrievalMode::Keyword, 1);
    assert_eq!(top, ["bike.txt"]);

    // A cited answer on the default model.
    let options = AskOptions {
        generation: GenerationOptions {
            max_tokens: Some(80),
            ..GenerationOptions::greedy()
        },
        ..AskOptions::default()
    };
    let reply = hearth
        .ask_documents(
            "At what temperature should I bake the sourdough loaf?",
            &options,
        )
        .unwrap();
    let AskReply::Answering {
        sources,
        generation,
        query,
    } = reply
    else {
        panic!("expected an answer");
    };
    assert_eq!(
        query,
        "At what temperature should I bake the sourdough loaf?"
    );
    assert!(
        sources[0].retrieved.passage.path.ends_with("bread.md"),
        "{:?}",
        sources[0]
    );
    assert_eq!(sources[0].number, 1);
    assert!(
        sources[0].label.starts_with("bread.md"),
        "{}",
        sources[0].label
    );
    assert!(sources
        .iter()
        .all(|s| s.retrieved.similarity.unwrap() >= 0.25));
    let completion = generation.wait().unwrap();
    assert!(!completion.text.trim().is_empty());
    let numbers = cited(&completion.text, sources.len());
    let matched = hearth.attribute(&completion.text, &sources).unwrap();
    println!(
        "answer: {}\ncited: {numbers:?}\nmatched: {matched:?}",
        completion.text
    );
    // Greedy decoding gives the same answer every run; it restates the bread passage,
    // so Hearth matches a sentence of it to source 1 even when the model cites nothing.
    assert!(
        numbers.contains(&1) || matched.iter().any(|m| m.source == 1),
        "the answer is traced to the bread passage: {:?} / {matched:?}",
        completion.text
    );
    for m in &matched {
        let sentence = &completion.text[m.start..m.end];
        assert!(!sentence.trim().is_empty() && m.similarity >= hearth_core::ask::MATCH_SIMILARITY);
    }
    assert!(
        completion.prompt_tokens > 60,
        "the passages were in the prompt: {} tokens",
        completion.prompt_tokens
    );

    // Nothing relevant: no model is asked, and the reply says so.
    let audited = hearth.store().audit_records(None).unwrap().len();
    let reply = hearth
        .ask_documents("Who won the football world cup in 1998?", &options)
        .unwrap();
    match reply {
        AskReply::NothingRelevant { message, .. } => {
            assert!(message.contains("found nothing"), "{message}");
            assert!(message.contains("Library"), "{message}");
        }
        AskReply::Answering { sources, .. } => {
            panic!("expected nothing relevant, got {sources:#?}")
        }
    }
    assert_eq!(
        hearth.store().audit_records(None).unwrap().len(),
        audited,
        "no model was asked"
    );

    // A follow-up is rewritten by the model (audited as such) before retrieval.
    let follow_up = AskOptions {
        history: vec![
            ChatMessage::user("How long should I knead sourdough bread?"),
            ChatMessage::assistant("Knead the dough for ten minutes [1]."),
        ],
        ..options.clone()
    };
    let reply = hearth
        .ask_documents("And how long does it bake?", &follow_up)
        .unwrap();
    let query = match &reply {
        AskReply::Answering { query, .. } | AskReply::NothingRelevant { query, .. } => {
            query.clone()
        }
    };
    assert!(!query.trim().is_empty());
    let purposes: Vec<AuditPurpose> = hearth
        .store()
        .audit_records(None)
        .unwrap()
        .iter()
        .map(|r| r.generation.purpose)
        .collect();
    assert!(
        purposes.contains(&AuditPurpose::QueryRewrite),
        "{purposes:?}"
    );
    assert!(
        purposes.contains(&AuditPurpose::DocumentAnswer),
        "{purposes:?}"
    );
    drop(reply);

    // Removing a folder takes its files out; deleting the collection takes the rest.
    let removed = hearth.remove_from_collection("Library", &docs).unwrap();
    assert_eq!(removed, 8);
    hearth.delete_collection("Library").unwrap();
    assert!(hearth.collections().unwrap().is_empty());
    assert!(matches!(
        hearth.ask_documents("anything", &options),
        Err(hearth_core::CoreError::NoCollections)
    ));
}

#[test]
fn a_loaded_embedding_model_is_counted_in_the_memory_the_models_hold() {
    let dir = tempfile::tempdir().unwrap();
    let hearth = open(dir.path());
    assert_eq!(hearth.loaded_models().unwrap().embedding_bytes, 0);
    hearth.embedder(None).unwrap();
    let loaded = hearth.loaded_models().unwrap();
    // MiniLM's weights, converted to GGUF: tens of megabytes.
    assert!(
        (10 << 20..200 << 20).contains(&loaded.embedding_bytes),
        "{loaded:?}"
    );
    assert_eq!(loaded.used_bytes, loaded.embedding_bytes, "{loaded:?}");
    hearth.unload_models();
    assert_eq!(hearth.loaded_models().unwrap().embedding_bytes, 0);
}

#[test]
fn a_missing_embedding_model_says_how_to_get_one() {
    let dir = tempfile::tempdir().unwrap();
    let hearth = common::hearth_in(dir.path());
    let notes = dir.path().join("a.md");
    std::fs::write(&notes, "# A\n\ntext").unwrap();
    let error = hearth
        .add_to_collection("Docs", &[notes], &mut |_| {}, &Cancellation::new())
        .unwrap_err();
    assert_eq!(error.code(), "NO_EMBEDDING_MODEL");
    assert!(
        error.to_string().contains("hearth models convert"),
        "{error}"
    );
    let missing = hearth
        .add_to_collection(
            "Docs",
            &[dir.path().join("nope")],
            &mut |_| {},
            &Cancellation::new(),
        )
        .unwrap_err();
    assert_eq!(missing.code(), "SOURCE_NOT_FOUND");
    assert!(
        hearth.collections().unwrap().is_empty(),
        "nothing was created"
    );
}

fn turn(hearth: &Hearth, id: &hearth_store::ConversationId, text: &str) -> hearth_store::Message {
    let options = GenerationOptions {
        max_tokens: Some(48),
        ..GenerationOptions::greedy()
    };
    let turn = hearth.send_message(id, text, options).unwrap();
    let answer = turn.stream(|_| {}).unwrap();
    assert_eq!(
        answer.state,
        hearth_store::MessageState::Done,
        "{:?}",
        answer.error
    );
    answer
}

fn answers_audited(hearth: &Hearth, purpose: AuditPurpose) -> usize {
    hearth
        .store()
        .audit_records(None)
        .unwrap()
        .iter()
        .filter(|r| r.generation.purpose == purpose)
        .count()
}

#[test]
fn a_conversation_attached_to_a_collection_answers_from_it_and_keeps_its_sources() {
    let dir = tempfile::tempdir().unwrap();
    let hearth = open(dir.path());
    let docs = dir.path().join("notes");
    std::fs::create_dir_all(&docs).unwrap();
    for (name, text) in &NOTES[..2] {
        std::fs::write(docs.join(Path::new(name).file_name().unwrap()), text).unwrap();
    }
    hearth
        .add_to_collection("Kitchen", &[docs], &mut |_| {}, &Cancellation::new())
        .unwrap();
    let conversation = hearth.new_conversation(None, None).unwrap();
    let attached = hearth
        .attach_collection(&conversation.id, Some("kitchen"))
        .unwrap();
    assert_eq!(
        hearth_core::chat::attached_collection(&attached).as_deref(),
        Some("Kitchen")
    );

    let answer = turn(
        &hearth,
        &conversation.id,
        "At what temperature should I bake the sourdough loaf?",
    );
    let sources = hearth.store().message_sources(&conversation.id).unwrap();
    let (id, list) = sources
        .iter()
        .find(|(id, _)| *id == answer.id)
        .expect("sources stored");
    assert_eq!(*id, answer.id);
    assert_eq!(list[0]["number"], 1);
    assert!(
        list[0]["label"].as_str().unwrap().starts_with("bread.md"),
        "{list}"
    );
    let prompt_tokens = hearth
        .store()
        .audit_records(None)
        .unwrap()
        .iter()
        .rev()
        .find(|r| r.generation.purpose == AuditPurpose::Answer)
        .and_then(|r| r.generation.prompt_tokens)
        .unwrap();
    assert!(
        prompt_tokens > 100,
        "the passages were in the prompt: {prompt_tokens}"
    );
    // The view checks the answer against its passages: every sentence marked, and any
    // flagged one says what the passages lack.
    let view = hearth.conversation_view(&conversation.id).unwrap();
    let report = &view.grounding[answer.id.as_str()];
    assert!(!report.sentences.is_empty(), "{report:#?}");
    for sentence in report.flagged() {
        assert!(
            sentence
                .findings
                .iter()
                .all(|f| f.reason.starts_with("the passages ")),
            "{report:#?}"
        );
    }

    // A follow-up is rewritten before retrieval.
    let rewrites = answers_audited(&hearth, AuditPurpose::QueryRewrite);
    turn(&hearth, &conversation.id, "And how long should I knead it?");
    assert_eq!(
        answers_audited(&hearth, AuditPurpose::QueryRewrite),
        rewrites + 1
    );

    // Small talk first, then the documents: SmolLM2's rewrite of the question echoes
    // its own greeting, and the question as asked still finds the passage.
    let chatty = hearth.new_conversation(None, None).unwrap();
    turn(&hearth, &chatty.id, "Hello");
    hearth
        .attach_collection(&chatty.id, Some("Kitchen"))
        .unwrap();
    let answer = turn(
        &hearth,
        &chatty.id,
        "At what temperature should I bake the sourdough loaf?",
    );
    let sources = hearth.store().message_sources(&chatty.id).unwrap();
    let (_, list) = sources
        .iter()
        .find(|(id, _)| *id == answer.id)
        .expect("sources stored");
    assert!(
        list.as_array()
            .unwrap()
            .iter()
            .any(|s| s["label"].as_str().unwrap_or("").starts_with("bread.md")),
        "{list}"
    );

    // Nothing relevant: the stored answer says so and no model wrote it.
    let answers = answers_audited(&hearth, AuditPurpose::Answer);
    let nothing = turn(
        &hearth,
        &conversation.id,
        "Who won the football world cup in 1998?",
    );
    assert!(
        nothing.content.contains("found nothing"),
        "{}",
        nothing.content
    );
    assert!(nothing.content.contains("Kitchen"));
    assert_eq!(answers_audited(&hearth, AuditPurpose::Answer), answers);

    // Detached, it is a plain chat again.
    let detached = hearth.attach_collection(&conversation.id, None).unwrap();
    assert_eq!(hearth_core::chat::attached_collection(&detached), None);
    let plain = turn(&hearth, &conversation.id, "Thanks!");
    let sources = hearth.store().message_sources(&conversation.id).unwrap();
    assert!(!sources.iter().any(|(id, _)| *id == plain.id));
    assert!(matches!(
        hearth.attach_collection(&conversation.id, Some("no such collection")),
        Err(hearth_core::CoreError::Store(
            hearth_store::StoreError::NotFound { .. }
        ))
    ));
}
