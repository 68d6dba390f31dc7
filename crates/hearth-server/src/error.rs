//! Errors on the wire. Every failure is an [`ApiError`]: an HTTP status, a stable code,
//! a message that says what to do, and the request field at fault when there is one.
//!
//! The app's `/api` answers `{ "code", "message", "details" }`; the OpenAI-compatible
//! `/v1` answers OpenAI's `{ "error": { "message", "type", "param", "code" } }`, because
//! its clients (the `openai` packages, LangChain, editors) read only that shape. An
//! error is rendered in the app's shape and tagged; [`openai_shape`] re-renders tagged
//! errors on `/v1`, so extractors and middleware need not know which API they serve.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use hearth_core::{CoreError, ErrorKind};
use serde::Serialize;
use serde_json::json;
use utoipa::ToSchema;

#[derive(Debug, Clone, PartialEq)]
pub struct ApiError {
    pub status: StatusCode,
    /// SCREAMING_SNAKE_CASE, stable across versions.
    pub code: String,
    pub message: String,
    /// The request field at fault (`messages[0].role`), for validation errors.
    pub field: Option<String>,
}

/// The app API's error body.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    /// Stable, machine-readable: `INVALID_REQUEST`, `UNKNOWN_MODEL`, `UNAUTHORIZED`...
    pub code: String,
    /// What went wrong and what to do about it.
    pub message: String,
    /// `{ "field": "messages[0].role" }` for validation errors, else null.
    #[schema(value_type = Option<Object>)]
    pub details: Option<serde_json::Value>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &str, message: impl Into<String>) -> Self {
        Self {
            status,
            code: code.to_owned(),
            message: message.into(),
            field: None,
        }
    }

    /// A 400 naming the field that is wrong.
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: Some(field.into()),
            ..Self::new(StatusCode::BAD_REQUEST, "INVALID_REQUEST", message)
        }
    }

    pub fn not_found(what: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, "NOT_FOUND", what)
    }

    pub fn internal(message: impl Into<String>) -> Self {
        Self::new(StatusCode::INTERNAL_SERVER_ERROR, "INTERNAL", message)
    }

    /// The OpenAI `type` for this status, as their API reports it.
    fn openai_type(&self) -> &'static str {
        match self.status {
            StatusCode::UNAUTHORIZED => "authentication_error",
            StatusCode::FORBIDDEN => "permission_error",
            StatusCode::NOT_FOUND => "not_found_error",
            StatusCode::TOO_MANY_REQUESTS => "rate_limit_error",
            s if s.is_server_error() => "server_error",
            _ => "invalid_request_error",
        }
    }

    pub fn openai_body(&self) -> serde_json::Value {
        json!({
            "error": {
                "message": self.message,
                "type": self.openai_type(),
                "param": self.field,
                "code": self.code.to_ascii_lowercase(),
            }
        })
    }

    pub fn app_body(&self) -> ErrorBody {
        ErrorBody {
            code: self.code.clone(),
            message: self.message.clone(),
            details: self.field.as_ref().map(|field| json!({ "field": field })),
        }
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} ({})", self.message, self.code)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut response = (self.status, Json(self.app_body())).into_response();
        response.extensions_mut().insert(self);
        response
    }
}

/// Re-renders an error made by any layer in OpenAI's shape (a `map_response` layer on
/// `/v1`).
pub async fn openai_shape(response: Response) -> Response {
    let Some(error) = response.extensions().get::<ApiError>().cloned() else {
        return response;
    };
    // Status and headers (WWW-Authenticate...) stay; only the body changes shape.
    let (mut parts, _) = response.into_parts();
    parts.headers.remove(axum::http::header::CONTENT_LENGTH);
    parts.headers.insert(
        axum::http::header::CONTENT_TYPE,
        axum::http::HeaderValue::from_static("application/json"),
    );
    Response::from_parts(
        parts,
        axum::body::Body::from(error.openai_body().to_string()),
    )
}

impl From<CoreError> for ApiError {
    fn from(error: CoreError) -> Self {
        use hearth_store::StoreError;
        let code = error.code();
        let status = status_for(error.kind());
        let code = match &error {
            CoreError::Store(StoreError::NotFound { .. }) => "NOT_FOUND",
            CoreError::Store(StoreError::AlreadyExists { .. } | StoreError::NameTaken { .. }) => {
                "CONFLICT"
            }
            CoreError::Store(StoreError::Invalid { .. } | StoreError::InvalidImport { .. }) => {
                "INVALID_REQUEST"
            }
            _ => code,
        };
        if status.is_server_error() {
            tracing::error!(code, "{error}");
        }
        ApiError::new(status, code, error.to_string())
    }
}

/// The one place an error's kind becomes an HTTP status.
pub fn status_for(kind: ErrorKind) -> StatusCode {
    match kind {
        ErrorKind::Invalid
        | ErrorKind::TooLarge
        | ErrorKind::ModelUnusable
        | ErrorKind::Cancelled => StatusCode::BAD_REQUEST,
        ErrorKind::NotFound | ErrorKind::ModelNotFound => StatusCode::NOT_FOUND,
        ErrorKind::Conflict => StatusCode::CONFLICT,
        // Hearth's own folders are never read as documents, whoever asks.
        ErrorKind::Forbidden => StatusCode::FORBIDDEN,
        // Not this request's fault, and it may work later: no model set up yet,
        // offline mode (this service chose not to go out), memory held by answers.
        ErrorKind::NoModel | ErrorKind::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
        ErrorKind::RateLimited => StatusCode::TOO_MANY_REQUESTS,
        // The remote provider's answer, not ours.
        ErrorKind::Remote => StatusCode::BAD_GATEWAY,
        ErrorKind::LoadFailed | ErrorKind::Internal => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

impl From<hearth_llm::LlmError> for ApiError {
    fn from(error: hearth_llm::LlmError) -> Self {
        CoreError::from(error).into()
    }
}

impl From<hearth_store::StoreError> for ApiError {
    fn from(error: hearth_store::StoreError) -> Self {
        CoreError::from(error).into()
    }
}

impl From<tokio::task::JoinError> for ApiError {
    fn from(error: tokio::task::JoinError) -> Self {
        ApiError::internal(format!("a background task failed: {error}"))
    }
}

pub type ApiResult<T> = Result<T, ApiError>;

/// Checks sampling options, naming the field at fault as `{prefix}{name}`
/// (`temperature`, `options.top_p`, `sampling.max_tokens`...).
pub fn check_options(options: &hearth_llm::GenerationOptions, prefix: &str) -> ApiResult<()> {
    const FIELDS: [&str; 7] = [
        "temperature",
        "top_p",
        "top_k",
        "min_p",
        "repeat_penalty",
        "max_tokens",
        "stop",
    ];
    options.validate().map_err(|e| {
        let message = e.to_string();
        let field = FIELDS
            .into_iter()
            .find(|f| message.contains(f))
            .map(|f| format!("{prefix}{f}"))
            .unwrap_or_else(|| prefix.trim_end_matches('.').to_owned());
        ApiError::invalid(
            if field.is_empty() {
                "body".into()
            } else {
                field
            },
            message,
        )
    })
}
