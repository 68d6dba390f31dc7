//! The document tasks: summarizing and translating, on top of hearth-docs' reading.
//!
//! Everything here is model-agnostic logic over the [`hearth_llm::Engine`] trait; the
//! [`crate::Hearth`] facade picks the engine, records the audit trail and exposes one
//! call per task.

mod chunk;
mod consensus;
mod glossary;
pub(crate) mod language;
mod lost_sentences;
mod points;
mod render;
mod segment;
mod steps;
mod summarize;
mod summary;
mod translate;
mod translate_cleanup;
mod translate_prompt;
mod untranslated;

pub use chunk::{chunk_document, Chunk, SourceRef};
pub use glossary::{Glossary, GlossaryEntry};
pub use language::{detect, DetectedLanguage, Language};
pub use segment::{markdown_to_text, UnitKind};
pub use steps::Cancellation;
pub use summary::{
    GroundingCount, Summary, SummaryLength, SummaryOptions, SummaryPoint, SummaryProgress,
    SummaryStyle,
};
pub use translate::{
    AlignedUnit, GlossaryMiss, TranslateOptions, TranslateProgress, Translation, MAX_BEST_OF,
};
pub use untranslated::NotTranslated;

pub(crate) use steps::run_all;
pub(crate) use summarize::summarize;
pub(crate) use translate::translate;
