//! The document tasks on the facade: reading a file, summarizing it, translating it.
//! Each runs its model steps through the audited engine, so the audit log records every
//! part of a job under the job's purpose.

use std::path::Path;

use hearth_docs::{Document, Format, Limits};
use hearth_store::AuditPurpose;

use crate::access::DocumentGuard;
use crate::audit::AuditContext;
use crate::documents::{
    self, Cancellation, Summary, SummaryOptions, SummaryProgress, TranslateOptions,
    TranslateProgress, Translation,
};
use crate::error::Result;
use crate::hearth::Hearth;
use crate::ocr::OcrProgress;

impl Hearth {
    /// Reads a document with the default limits against hostile files; never one in
    /// Hearth's own folders or one shaped like a secret (see [`crate::access`]). Scanned
    /// pages and images are read with OCR ([`crate::ocr`]).
    pub fn read_document(&self, path: &Path) -> Result<Document> {
        self.read_document_with(path, &mut |_| {}, &Cancellation::new())
    }

    /// [`Self::read_document`], hearing of each page OCR reads and stopping on `cancel`.
    pub fn read_document_with(
        &self,
        path: &Path,
        progress: &mut dyn FnMut(OcrProgress),
        cancel: &Cancellation,
    ) -> Result<Document> {
        let limits = Limits::default();
        let (resolved, bytes) = self.document_guard().read_bytes(path, &limits)?;
        let read = hearth_docs::read_named_bytes(&resolved, &bytes, &limits);
        self.complete_with_ocr(read, &bytes, progress, cancel)
    }

    /// What keeps document paths out of Hearth's folders and away from secrets.
    pub fn document_guard(&self) -> DocumentGuard {
        DocumentGuard::new(self.paths())
    }

    /// Reads a document held in memory (pasted text, a file sent to the server), with
    /// OCR for scanned pages and images.
    pub fn read_document_bytes(&self, bytes: &[u8], format: Format) -> Result<Document> {
        self.read_document_bytes_with(bytes, format, &mut |_| {}, &Cancellation::new())
    }

    /// [`Self::read_document_bytes`], hearing of each page OCR reads and stopping on
    /// `cancel`.
    pub fn read_document_bytes_with(
        &self,
        bytes: &[u8],
        format: Format,
        progress: &mut dyn FnMut(OcrProgress),
        cancel: &Cancellation,
    ) -> Result<Document> {
        let read = hearth_docs::read_bytes(bytes, format, &Limits::default());
        self.complete_with_ocr(read, bytes, progress, cancel)
    }

    /// The text of a file to translate and whether it is Markdown: .txt and .md files
    /// exactly as written (line breaks and all), other formats as Markdown rebuilt
    /// from their structure, scanned pages read with OCR (each page told to `progress`;
    /// `cancel` stops it).
    pub fn read_for_translation(
        &self,
        path: &Path,
        progress: &mut dyn FnMut(OcrProgress),
        cancel: &Cancellation,
    ) -> Result<TranslationSource> {
        let extension = path
            .extension()
            .map(|e| e.to_string_lossy().to_lowercase())
            .unwrap_or_default();
        let markdown = !matches!(extension.as_str(), "txt" | "text" | "");
        if matches!(extension.as_str(), "txt" | "text" | "md" | "markdown" | "") {
            let decoded = self.document_guard().read_text(path, &Limits::default())?;
            return Ok(TranslationSource {
                text: decoded.text,
                markdown,
                warnings: Vec::new(),
            });
        }
        let document = self.read_document_with(path, progress, cancel)?;
        Ok(TranslationSource {
            text: document.to_markdown(),
            markdown: true,
            warnings: document.warnings,
        })
    }

    /// Summarizes `document` with a model (the default when `None`). `progress` hears of
    /// every finished step; `cancel` stops the job between and inside steps.
    pub fn summarize(
        &self,
        model: Option<&str>,
        document: &Document,
        options: &SummaryOptions,
        progress: &mut dyn FnMut(SummaryProgress),
        cancel: &Cancellation,
    ) -> Result<Summary> {
        let engine = self.audited_engine(
            model,
            AuditContext::new(AuditPurpose::DocumentSummary, None),
        )?;
        let mut summary =
            documents::summarize(engine.as_ref(), document, options, progress, cancel)?;
        if self.config().grounding != crate::grounding::GroundingMode::Off {
            let text = document.to_markdown();
            crate::grounding::ground_summary(&mut summary, &text);
            self.check_summary_deeper(&mut summary, &text, model, cancel);
        }
        Ok(summary)
    }

    /// Translates text (Markdown when `options.markdown`), keeping its structure.
    pub fn translate(
        &self,
        model: Option<&str>,
        text: &str,
        options: &TranslateOptions,
        progress: &mut dyn FnMut(TranslateProgress),
        cancel: &Cancellation,
    ) -> Result<Translation> {
        let engine =
            self.audited_engine(model, AuditContext::new(AuditPurpose::Translation, None))?;
        let cannot_write = self.cannot_write(&engine.info(), &options.to)?;
        let mut translation = documents::translate(
            engine.as_ref(),
            text,
            options,
            cannot_write,
            progress,
            cancel,
        )?;
        if self.config().grounding != crate::grounding::GroundingMode::Off {
            crate::grounding::ground_translation(&mut translation);
        }
        if translation.not_translated > 0 {
            translation.advice = Some(self.translation_advice(&engine.info(), &options.to)?);
        }
        Ok(translation)
    }
}

/// Text ready to translate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TranslationSource {
    pub text: String,
    /// Read it as Markdown (code blocks, headings and tables kept out of the model).
    pub markdown: bool,
    /// What the reader skipped or could not read.
    pub warnings: Vec<String>,
}
