//! The OpenAI-compatible API under `/v1`, for scripts and tools that speak it (the
//! `openai` packages, editors, LangChain). Errors use OpenAI's shape.

pub mod chat;
pub mod models;
pub mod types;

use axum::routing::{get, post};
use axum::Router;

use crate::state::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/v1/chat/completions", post(chat::chat_completions))
        .route("/v1/completions", post(chat::completions))
        .route("/v1/models", get(models::list))
        .route("/v1/models/{id}", get(models::get))
        .route("/v1/embeddings", post(models::embeddings))
        .layer(axum::extract::DefaultBodyLimit::max(crate::api::BODY_LIMIT))
}
