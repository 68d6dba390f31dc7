//! Asking documents: collections of files read into passages (ingestion), found again
//! by meaning and by words (retrieval), and answered from with citations (answers).
//!
//! - [`ingest`]: files and folders → hearth-docs → structure-aware, overlapping passages
//!   → vectors from an embedding model → the store (passages, word index, sqlite-vec).
//! - [`retrieve`]: vector and BM25 rankings fused by reciprocal rank fusion, with each
//!   passage's similarity to the question deciding what is relevant at all.
//! - [`watch`]: the folders of watched collections, kept indexed while Hearth runs.
//! - [`answer`]: numbered passages in the prompt within the context budget, citations
//!   read back from the answer, and "nothing found" without asking a model.

pub mod answer;
mod collections;
mod embedding;
pub mod ingest;
pub mod retrieve;
pub mod split;
pub mod watch;

pub use answer::{cited, label, AskOptions, AskReply, Attribution, Source, MATCH_SIMILARITY};
pub use ingest::{FailedFile, FileOutcome, IngestEvent, IngestReport};
pub use retrieve::{RetrievalMode, RetrievalOptions, RetrievedPassage, DEFAULT_MIN_SIMILARITY};
pub use watch::{CollectionWatcher, WatchEvent, WatchStatus};
