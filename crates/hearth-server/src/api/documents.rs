//! Document jobs: read a file, summarize it, translate it. A file comes in the JSON body
//! as base64 with its name (the extension picks the reader), or as pasted text.
//!
//! Summaries and translations stream server-sent events: `started` (the job id, for
//! `POST /api/jobs/{id}/cancel`), `document` (what was read), `progress`, then `done`
//! or `error`. Closing the stream cancels the job.

use std::path::PathBuf;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use base64::Engine as _;
use hearth_core::documents::{
    Cancellation, Glossary, GlossaryEntry, Language, SummaryLength, SummaryOptions, SummaryStyle,
    TranslateOptions, MAX_BEST_OF,
};
use hearth_core::ocr::OcrProgress;
use hearth_core::Hearth;
use hearth_docs::{Document, Format};
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::ToSchema;

use crate::error::{ApiError, ApiResult};
use crate::events;
use crate::json::ValidJson;
use crate::state::AppState;

/// A document: a file (name and base64 bytes), a file on this computer by its path (what
/// the desktop app's open dialog and drag-and-drop give), or pasted text.
#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct Source {
    /// The file name; its extension picks the reader (.pdf, .docx, .epub, .odt, .rtf, .pptx, .xlsx, .ods, .csv, .eml, .mbox, .html, .md,
    /// .txt). Pasted text is read as Markdown when left out.
    pub name: Option<String>,
    /// Pasted text.
    pub text: Option<String>,
    /// The file's bytes, base64-encoded.
    pub data_base64: Option<String>,
    /// A document on the computer Hearth runs on, read from there: refused with
    /// `PATHS_DISABLED` unless the server was started with `--allow-paths` (the desktop
    /// app sends the paths its open dialog and drops gave). Only documents are read this
    /// way (the document formats Hearth reads, by name and content), never a file in
    /// Hearth's own folders.
    pub path: Option<String>,
}

impl Source {
    /// The bytes and the format, or a 400 naming the field at fault.
    fn bytes(&self) -> ApiResult<(Vec<u8>, Format)> {
        let format = match &self.name {
            Some(name) => {
                let extension = std::path::Path::new(name)
                    .extension()
                    .map(|e| e.to_string_lossy().into_owned())
                    .unwrap_or_default();
                hearth_docs::format_for_extension(&extension).ok_or_else(|| {
                    ApiError::invalid(
                        "name",
                        format!(
                            "Hearth cannot read `{name}`: use a {} file",
                            hearth_docs::READABLE
                        ),
                    )
                })?
            }
            None => Format::Markdown,
        };
        match (&self.text, &self.data_base64) {
            (Some(_), Some(_)) => Err(ApiError::invalid(
                "text",
                "send either `text` or `data_base64`, not both",
            )),
            (Some(text), None) => Ok((text.clone().into_bytes(), format)),
            (None, Some(data)) => {
                let bytes = base64::engine::general_purpose::STANDARD
                    .decode(data.trim())
                    .map_err(|e| {
                        ApiError::invalid("data_base64", format!("not valid base64: {e}"))
                    })?;
                Ok((bytes, format))
            }
            (None, None) => Err(ApiError::invalid(
                "text",
                "send the document as `text`, as `data_base64` with its `name`, or as a `path`",
            )),
        }
    }

    /// Whether the document comes as a path; a 400 when it also came as text or bytes.
    fn has_path(&self) -> ApiResult<bool> {
        match &self.path {
            Some(_) if self.text.is_some() || self.data_base64.is_some() => Err(ApiError::invalid(
                "path",
                "send either `path`, `text` or `data_base64`, not several",
            )),
            Some(_) => Ok(true),
            None => Ok(false),
        }
    }

    /// Refuses, before a stream starts, a source that cannot be read at all. A path is
    /// refused unless this server takes paths (and then unless it names a document);
    /// when taken, the path to read comes back.
    pub(crate) fn check(&self, state: &AppState) -> ApiResult<Option<PathBuf>> {
        match &self.path {
            Some(path) if self.has_path()? => state.path_input("path", path).map(Some),
            _ => self.bytes().map(|_| None),
        }
    }

    /// Reads the document: from `file` (what [`Self::check`] returned) or from the text
    /// or bytes in the request; never from `path` itself, which is read only once checked.
    pub(crate) fn read(
        &self,
        file: Option<&std::path::Path>,
        hearth: &Hearth,
    ) -> ApiResult<Document> {
        self.read_with(file, hearth, &mut |_| {}, &Cancellation::new())
    }

    /// [`Self::read`], telling `progress` of each scanned page OCR reads.
    pub(crate) fn read_with(
        &self,
        file: Option<&std::path::Path>,
        hearth: &Hearth,
        progress: &mut dyn FnMut(OcrProgress),
        cancel: &Cancellation,
    ) -> ApiResult<Document> {
        if let Some(path) = file {
            return Ok(hearth.read_document_with(path, progress, cancel)?);
        }
        let (bytes, format) = self.bytes()?;
        Ok(hearth.read_document_bytes_with(&bytes, format, progress, cancel)?)
    }
}

/// What was read from a document.
#[derive(Debug, Serialize, ToSchema)]
pub struct DocumentView {
    pub title: Option<String>,
    pub format: String,
    pub pages: Option<u32>,
    pub characters: usize,
    /// The document's structure as Markdown.
    pub markdown: String,
    pub warnings: Vec<String>,
}

fn view(document: &Document) -> DocumentView {
    DocumentView {
        title: document.title.clone(),
        format: serde_json::to_value(document.format)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default(),
        pages: document.pages,
        characters: document.text_len(),
        markdown: document.to_markdown(),
        warnings: document.warnings.clone(),
    }
}

#[utoipa::path(post, path = "/api/documents/read", tag = "documents", request_body = Source,
    responses((status = 200, body = DocumentView), (status = 400, description = "The file cannot be read; `code` says why (DOCUMENT_ENCRYPTED, DOCUMENT_BOMB, NOT_TEXT...)")),
    security(("bearer" = [])))]
pub async fn read(
    State(state): State<AppState>,
    ValidJson(source): ValidJson<Source>,
) -> ApiResult<Json<DocumentView>> {
    let file = source.check(&state)?;
    let hearth = state.hearth.clone();
    let document =
        crate::pool::spawn_blocking(move || source.read(file.as_deref(), &hearth)).await??;
    Ok(Json(view(&document)))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SummarizeBody {
    #[serde(flatten)]
    pub source: Source,
    /// paragraph, bullets, detailed, tldr or key_points.
    #[serde(default)]
    pub style: Option<String>,
    /// short, medium, long, or a number of words.
    #[serde(default)]
    #[schema(value_type = Option<Object>)]
    pub length: Option<serde_json::Value>,
    /// The summary's language (name or code); the document's own when left out.
    #[serde(default)]
    pub language: Option<String>,
    /// A model id; the default model when left out.
    #[serde(default)]
    pub model: Option<String>,
}

fn summary_options(body: &SummarizeBody) -> ApiResult<SummaryOptions> {
    let style = match body.style.as_deref() {
        None => SummaryStyle::default(),
        Some(name) => SummaryStyle::ALL
            .into_iter()
            .find(|s| s.as_str() == name.replace('-', "_"))
            .ok_or_else(|| {
                ApiError::invalid(
                    "style",
                    format!("unknown style `{name}`; use paragraph, bullets, detailed, tldr or key_points"),
                )
            })?,
    };
    let length = match &body.length {
        None | Some(serde_json::Value::Null) => SummaryLength::default(),
        Some(serde_json::Value::Number(n)) => match n.as_u64() {
            Some(words) if (10..=5000).contains(&words) => SummaryLength::Words(words as u32),
            _ => {
                return Err(ApiError::invalid(
                    "length",
                    "a length in words must be between 10 and 5000",
                ))
            }
        },
        Some(serde_json::Value::String(s)) => match s.as_str() {
            "short" => SummaryLength::Short,
            "medium" => SummaryLength::Medium,
            "long" => SummaryLength::Long,
            other => match other.parse::<u32>() {
                Ok(words) if (10..=5000).contains(&words) => SummaryLength::Words(words),
                _ => {
                    return Err(ApiError::invalid(
                        "length",
                        format!(
                        "unknown length `{other}`; use short, medium, long or a number of words"
                    ),
                    ))
                }
            },
        },
        Some(_) => {
            return Err(ApiError::invalid(
                "length",
                "use short, medium, long or a number of words",
            ))
        }
    };
    let language = match body.language.as_deref().filter(|l| !l.trim().is_empty()) {
        Some(name) => {
            Some(Language::parse(name).map_err(|e| ApiError::invalid("language", e.to_string()))?)
        }
        None => None,
    };
    Ok(SummaryOptions {
        style,
        length,
        language,
        ..SummaryOptions::default()
    })
}

#[utoipa::path(post, path = "/api/summarize", tag = "documents", request_body = SummarizeBody,
    responses((status = 200, description = "Server-sent events: started {job_id}, progress {stage: reading, page, done, total} for each scanned page read by OCR, document, progress {stage, ...}, done {summary} or error", content_type = "text/event-stream")),
    security(("bearer" = [])))]
pub async fn summarize(
    State(state): State<AppState>,
    ValidJson(body): ValidJson<SummarizeBody>,
) -> ApiResult<Response> {
    let options = summary_options(&body)?;
    // Refuse a request that cannot be read before the stream starts, so the client gets
    // a plain 400 for a bad field.
    let file = body.source.check(&state)?;
    let (sender, receiver) = events::channel();
    let cancel = Cancellation::new();
    let job_id = format!("summary-{}", uuid::Uuid::new_v4().simple());
    let token = cancel.clone();
    let job = state.jobs.register(job_id.clone(), move || token.cancel());
    sender.send("started", json!({ "job_id": job_id }));
    let hearth = state.hearth.clone();
    crate::pool::spawn_blocking(move || {
        let reading = sender.clone();
        let result = body
            .source
            .read_with(
                file.as_deref(),
                &hearth,
                &mut |p| reading.send("progress", reading_progress(p)),
                &cancel,
            )
            .and_then(|document| {
                sender.send("document", view(&document));
                let progress = sender.clone();
                hearth
                    .summarize(
                        body.model.as_deref(),
                        &document,
                        &options,
                        &mut |p| progress.send("progress", &p),
                        &cancel,
                    )
                    .map_err(ApiError::from)
            });
        match result {
            Ok(summary) => sender.send("done", json!({ "summary": summary })),
            Err(error) => sender.error(&error),
        }
    });
    Ok(events::respond(receiver, Some(job)).into_response())
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct GlossaryItem {
    pub term: String,
    pub translation: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TranslateBody {
    #[serde(flatten)]
    pub source: Source,
    /// The target language, by English name or ISO code.
    pub to: String,
    /// The source language; detected when left out.
    #[serde(default)]
    pub from: Option<String>,
    /// Required translations of terms; checked in the output.
    #[serde(default)]
    pub glossary: Vec<GlossaryItem>,
    #[serde(default)]
    pub model: Option<String>,
    /// Candidate translations per paragraph, 1 to 8 (default 1): more keeps the one
    /// the candidates agree on most, better and that many times slower.
    #[serde(default)]
    pub best_of: Option<usize>,
}

#[utoipa::path(post, path = "/api/translate", tag = "documents", request_body = TranslateBody,
    responses((status = 200, description = "Server-sent events: started {job_id}, progress {stage: reading, page, done, total} for each scanned page read by OCR, progress {done, total}, done {translation} (with `units` aligned side by side) or error", content_type = "text/event-stream")),
    security(("bearer" = [])))]
pub async fn translate(
    State(state): State<AppState>,
    ValidJson(body): ValidJson<TranslateBody>,
) -> ApiResult<Response> {
    let to = Language::parse(&body.to).map_err(|e| ApiError::invalid("to", e.to_string()))?;
    let best_of = body.best_of.unwrap_or(1);
    if !(1..=MAX_BEST_OF).contains(&best_of) {
        return Err(ApiError::invalid(
            "best_of",
            format!("give 1 to {MAX_BEST_OF} candidates per paragraph"),
        ));
    }
    let from = match body.from.as_deref().filter(|f| !f.trim().is_empty()) {
        Some(name) => {
            Some(Language::parse(name).map_err(|e| ApiError::invalid("from", e.to_string()))?)
        }
        None => None,
    };
    let mut glossary = Glossary::default();
    for (i, item) in body.glossary.iter().enumerate() {
        if item.term.trim().is_empty() || item.translation.trim().is_empty() {
            return Err(ApiError::invalid(
                format!("glossary[{i}]"),
                "a glossary entry needs both a term and its translation",
            ));
        }
        glossary.entries.push(GlossaryEntry {
            term: item.term.trim().to_owned(),
            translation: item.translation.trim().to_owned(),
        });
    }
    let file = body.source.check(&state)?;
    let (bytes, format) = match file {
        Some(_) => (Vec::new(), Format::Text),
        None => body.source.bytes()?,
    };
    let (sender, receiver) = events::channel();
    let cancel = Cancellation::new();
    let job_id = format!("translation-{}", uuid::Uuid::new_v4().simple());
    let token = cancel.clone();
    let job = state.jobs.register(job_id.clone(), move || token.cancel());
    sender.send("started", json!({ "job_id": job_id }));
    let hearth = state.hearth.clone();
    crate::pool::spawn_blocking(move || {
        // Text and Markdown are translated exactly as written; other formats as the
        // Markdown rebuilt from their structure.
        let reading = sender.clone();
        let mut read_progress = |p| reading.send("progress", reading_progress(p));
        let source = match (file, format) {
            (Some(path), _) => hearth
                .read_for_translation(&path, &mut read_progress, &cancel)
                .map(|s| (s.text, s.markdown, s.warnings))
                .map_err(ApiError::from),
            (None, Format::Text | Format::Markdown) => String::from_utf8(bytes)
                .map(|text| (text, format == Format::Markdown, Vec::new()))
                .map_err(|_| ApiError::invalid("text", "the text is not UTF-8")),
            (None, _) => hearth
                .read_document_bytes_with(&bytes, format, &mut read_progress, &cancel)
                .map(|d| (d.to_markdown(), true, d.warnings))
                .map_err(ApiError::from),
        };
        let result = source.and_then(|(text, markdown, warnings)| {
            let options = TranslateOptions {
                from,
                glossary,
                markdown,
                best_of,
                ..TranslateOptions::new(to)
            };
            let progress = sender.clone();
            hearth
                .translate(
                    body.model.as_deref(),
                    &text,
                    &options,
                    &mut |p| progress.send("progress", &p),
                    &cancel,
                )
                .map(|mut translation| {
                    translation.warnings.splice(0..0, warnings);
                    translation
                })
                .map_err(ApiError::from)
        });
        match result {
            Ok(translation) => sender.send("done", json!({ "translation": translation })),
            Err(error) => sender.error(&error),
        }
    });
    Ok(events::respond(receiver, Some(job)).into_response())
}

#[utoipa::path(post, path = "/api/jobs/{id}/cancel", tag = "documents",
    params(("id" = String, Path, description = "A job id from a `started` event, or an answer's id")),
    responses((status = 202, description = "Cancelling; the job's stream ends with its final event"), (status = 404, description = "No running job has that id")),
    security(("bearer" = [])))]
pub async fn cancel(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    if state.jobs.cancel(&id) {
        Ok(StatusCode::ACCEPTED)
    } else {
        Err(ApiError::not_found(format!(
            "no running job {id}; it may have finished already"
        )))
    }
}

/// A scanned page read by OCR, as a `progress` event of a summary or translation job:
/// `{"stage": "reading", "page", "done", "total"}`, before the job's own progress.
fn reading_progress(p: OcrProgress) -> serde_json::Value {
    json!({ "stage": "reading", "page": p.page, "done": p.done, "total": p.total })
}
