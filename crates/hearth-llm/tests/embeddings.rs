//! Embeddings from the converted default embedding model (all-MiniLM-L6-v2) through
//! llama.cpp, checked against an independent implementation of the same model: a NumPy
//! forward pass over the original safetensors with Hugging Face's tokenizer
//! (tests/embeddings/bert_reference.py). Token ids must be identical and every vector's
//! cosine with the reference at least 0.99 on 50 varied sentences.

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};

#[allow(dead_code)] // gemma3 is not used here
mod support;

use hearth_llm::LlamaEmbedder;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn python() -> PathBuf {
    let python = std::env::var_os("HEARTH_TEST_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join(".venv-clients/bin/python"));
    assert!(
        python.is_file(),
        "{} is missing: run `scripts/fetch-test-clients.sh` (or set HEARTH_TEST_PYTHON)",
        python.display()
    );
    python
}

const SENTENCES: [&str; 50] = [
    "The quick brown fox jumps over the lazy dog.",
    "A private assistant runs entirely on your own laptop.",
    "How do I reset my password?",
    "The meeting has been moved to Thursday at 3 pm.",
    "Photosynthesis turns sunlight, water and carbon dioxide into sugar.",
    "She sells sea shells by the sea shore.",
    "Invoice #4521 is due on 2024-03-15 for $1,250.00.",
    "Café au lait in Zürich costs more than in Paris.",
    "naïve résumé façade coöperate",
    "I can't believe it's not butter!",
    "What's the difference between a list and a tuple in Python?",
    "fn main() { println!(\"hello\"); }",
    "The mitochondria is the powerhouse of the cell.",
    "Rain is expected over the weekend, with clearing skies on Monday.",
    "Please summarize the attached contract in three bullet points.",
    "The court ruled that the clause was unenforceable.",
    "Add two eggs, a cup of flour and a pinch of salt.",
    "GPUs accelerate matrix multiplication.",
    "Hello",
    "?",
    "e-mail: someone@example.com, phone +44 20 7946 0958",
    "The stock fell 3.5% after the earnings call.",
    "Translate this sentence into German, please.",
    "Quantum entanglement links the states of two particles.",
    "My cat knocked the glass off the table again.",
    "The library opens at nine and closes at five.",
    "Tokyo is the capital of Japan.",
    "東京は日本の首都です。",
    "Ein kleiner Hund läuft über die Straße.",
    "El perro corre por el parque.",
    "Le chat dort sur le canapé.",
    "UPPER CASE TEXT SHOULD MATCH LOWER CASE TEXT",
    "Multiple     spaces\tand\ttabs\nand newlines.",
    "Well-known, state-of-the-art, end-to-end systems.",
    "The year 1969 saw the first moon landing.",
    "Don't forget to back up your files before upgrading.",
    "A chain is only as strong as its weakest link.",
    "Which model is best for summarizing long documents?",
    "The patient reported mild headaches and fatigue.",
    "Interest rates rose for the third consecutive quarter.",
    "unbelievably uncharacteristically antidisestablishmentarianism",
    "The committee approved the budget without amendments.",
    "Bake at 180 degrees for 25 minutes.",
    "Who wrote Pride and Prejudice?",
    "Machine learning models can be biased by their training data.",
    "The river flooded the low fields after the storm.",
    "Search my notes for anything about the Lisbon trip.",
    "Solar panels lose efficiency as they heat up.",
    "Keep calm and carry on.",
    "This sentence is deliberately a little longer than the others, so that the model has \
     to attend across many more tokens, with commas, clauses and a few rarer words such \
     as ephemeral, labyrinthine and serendipitous.",
];

#[test]
fn converted_minilm_matches_an_independent_reference() {
    let dir = tempfile::tempdir().unwrap();
    let gguf = dir.path().join("all-MiniLM-L6-v2.gguf");
    hearth_models::convert_bert(&support::minilm_dir(), &gguf).unwrap();
    let embedder = LlamaEmbedder::load(&gguf, Some(2)).unwrap();
    assert_eq!(embedder.info().dimensions, 384);
    assert_eq!(embedder.info().architecture, "bert");

    let texts: Vec<String> = SENTENCES.iter().map(|s| s.to_string()).collect();
    let ours = embedder.embed(&texts).unwrap();
    assert_eq!(ours.len(), texts.len());

    let mut child = Command::new(python())
        .arg(root().join("tests/embeddings/bert_reference.py"))
        .arg(support::minilm_dir())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(serde_json::to_string(&texts).unwrap().as_bytes())
        .unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(output.status.success(), "the reference failed");
    let reference: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();

    let mut worst = (1.0f64, "");
    for (i, text) in texts.iter().enumerate() {
        let ids: Vec<u32> = serde_json::from_value(reference["ids"][i].clone()).unwrap();
        assert_eq!(
            embedder.tokenize(text).unwrap(),
            ids,
            "token ids of {text:?}"
        );
        let expected: Vec<f64> =
            serde_json::from_value(reference["embeddings"][i].clone()).unwrap();
        let got = &ours[i].vector;
        assert_eq!(got.len(), expected.len());
        let norm: f64 = got.iter().map(|v| (*v as f64).powi(2)).sum::<f64>().sqrt();
        assert!((norm - 1.0).abs() < 1e-4, "not normalized: {norm}");
        let cosine: f64 = got.iter().zip(&expected).map(|(a, b)| *a as f64 * b).sum();
        if cosine < worst.0 {
            worst = (cosine, SENTENCES[i]);
        }
    }
    eprintln!("lowest cosine {:.6} for {:?}", worst.0, worst.1);
    assert!(worst.0 >= 0.99, "cosine {:.4} for {:?}", worst.0, worst.1);

    // Similar sentences are closer than unrelated ones.
    let dot = |a: usize, b: usize| -> f32 {
        ours[a]
            .vector
            .iter()
            .zip(&ours[b].vector)
            .map(|(x, y)| x * y)
            .sum()
    };
    assert!(
        dot(26, 27) > dot(26, 24),
        "Tokyo EN/JA closer than Tokyo/cat"
    );
}

#[test]
fn long_texts_are_cut_to_the_model_context_and_batches_split() {
    let dir = tempfile::tempdir().unwrap();
    let gguf = dir.path().join("minilm.gguf");
    hearth_models::convert_bert(&support::minilm_dir(), &gguf).unwrap();
    let embedder = LlamaEmbedder::load(&gguf, Some(2)).unwrap();
    let long = "word ".repeat(2000);
    // 40 texts: more than one encode call holds.
    let mut texts = vec![long.clone()];
    texts.extend((0..39).map(|i| format!("short text number {i}")));
    let out = embedder.embed(&texts).unwrap();
    assert_eq!(out.len(), 40);
    assert!(out[0].truncated);
    assert_eq!(out[0].tokens, embedder.info().max_tokens);
    assert!(!out[1].truncated);
    // A text embeds the same alone as in a batch.
    let alone = embedder.embed(&texts[5..6]).unwrap();
    let cosine: f32 = alone[0]
        .vector
        .iter()
        .zip(&out[5].vector)
        .map(|(a, b)| a * b)
        .sum();
    assert!(cosine > 0.9999, "{cosine}");
}

/// Encoding with a chat model crashes llama.cpp; the header check refuses it first.
#[test]
fn a_chat_model_is_refused_as_an_embedding_model_before_llama_cpp_sees_it() {
    match LlamaEmbedder::load(&support::smollm2(), Some(2)) {
        Err(hearth_llm::LlmError::NotAnEmbeddingModel { reason, .. }) => {
            assert!(reason.contains("llama"), "{reason}")
        }
        Err(other) => panic!("expected NotAnEmbeddingModel, got {other}"),
        Ok(_) => panic!("a chat model loaded as an embedding model"),
    }
}
