//! Hearth's model library where it meets the file system and the network: downloading
//! GGUF files from a Hugging Face hub (resumable, retried, verified), finding the models
//! other apps already keep (Hugging Face cache, LM Studio, Ollama, Jan), and the built-in
//! catalog of models worth offering.
//!
//! [`convert`] turns a sentence-transformers BERT folder into a GGUF embedding model.
//!
//! Pure Rust and independent of llama.cpp: only the converter reads weights. Everything
//! is blocking; async front ends call it from `spawn_blocking`. The only network access
//! is [`HubClient::download`], [`HubClient::file_metadata`] and [`HubClient::probe`], all
//! on explicit request.

pub mod catalog;
pub mod convert;
pub mod display_name;
pub mod download;
pub mod error;
pub mod hub;
pub mod scan;

pub use catalog::{Catalog, CatalogEntry, ModelKind};
pub use convert::{convert_bert, ConvertError, Converted, Pooling};
pub use display_name::display_name;
pub use download::{download, DownloadProgress, Downloaded};
pub use error::ModelsError;
pub use hub::{file_name_problem, DownloadRequest, FileMetadata, HubClient, RetryPolicy};
pub use scan::{scan, FoundModel, ScanReport, ScanRoots, Skipped, SourceApp};
