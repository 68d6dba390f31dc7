//! Request bodies and query strings that say exactly what is wrong: a body that does
//! not fit its type is a 400 naming the field by its path (`messages[1].content`), an
//! oversized body a 413 that gives the limit.

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::StatusCode;
use serde::de::DeserializeOwned;

use crate::error::ApiError;

/// A JSON body, deserialized with the failing field's path in the error.
pub struct ValidJson<T>(pub T);

impl<S, T> FromRequest<S> for ValidJson<T>
where
    S: Send + Sync,
    T: DeserializeOwned,
{
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        let bytes = Bytes::from_request(request, state)
            .await
            .map_err(body_error)?;
        parse_json(&bytes).map(ValidJson)
    }
}

/// Parses JSON text into `T`, naming the field at fault.
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(ApiError::invalid(
            "body",
            "the request body is empty; send a JSON object",
        ));
    }
    let mut deserializer = serde_json::Deserializer::from_slice(bytes);
    let value = serde_path_to_error::deserialize(&mut deserializer).map_err(|error| {
        let path = error.path().to_string();
        let inner = error.into_inner();
        let at_root = path == "." || path.is_empty();
        if inner.is_syntax() || inner.is_eof() {
            return ApiError::invalid(
                "body",
                format!("the request body is not valid JSON: {inner}"),
            );
        }
        // serde reports a missing field at its parent; name the field itself.
        let text = inner.to_string();
        if let Some(missing) = text
            .strip_prefix("missing field `")
            .and_then(|rest| rest.split('`').next())
        {
            let field = if at_root {
                missing.to_owned()
            } else {
                format!("{path}.{missing}")
            };
            return ApiError::invalid(field.clone(), format!("`{field}` is required"));
        }
        let field = if at_root { "body".to_owned() } else { path };
        ApiError::invalid(field.clone(), format!("`{field}`: {inner}"))
    })?;
    deserializer
        .end()
        .map_err(|e| ApiError::invalid("body", format!("unexpected data after the JSON: {e}")))?;
    Ok(value)
}

/// Parses `T`, which flattens `F` into itself. serde loses the path inside flattened
/// fields, so when `T` fails without naming a field, `F` alone is tried to name it.
pub fn parse_json_flattened<T: DeserializeOwned, F: DeserializeOwned>(
    bytes: &[u8],
) -> Result<T, ApiError> {
    parse_json::<T>(bytes).map_err(|error| {
        if error.field.as_deref() != Some("body") {
            return error;
        }
        match parse_json::<F>(bytes) {
            Err(precise) if precise.field.as_deref() != Some("body") => precise,
            _ => error,
        }
    })
}

/// A JSON body like [`ValidJson`] whose type flattens `F`.
pub struct FlatJson<T, F>(pub T, pub std::marker::PhantomData<F>);

impl<S, T, F> FromRequest<S> for FlatJson<T, F>
where
    S: Send + Sync,
    T: DeserializeOwned,
    F: DeserializeOwned,
{
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        let bytes = Bytes::from_request(request, state)
            .await
            .map_err(body_error)?;
        parse_json_flattened::<T, F>(&bytes).map(|value| FlatJson(value, std::marker::PhantomData))
    }
}

fn body_error(rejection: BytesRejection) -> ApiError {
    if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
        return ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "BODY_TOO_LARGE",
            "the request body is larger than this endpoint accepts; send less text, or a smaller file",
        );
    }
    ApiError::invalid(
        "body",
        format!("could not read the request body: {rejection}"),
    )
}

/// A query string whose bad parameter is named in the error.
pub struct ValidQuery<T>(pub T);

impl<S, T> FromRequestParts<S> for ValidQuery<T>
where
    S: Send + Sync,
    T: DeserializeOwned,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        axum::extract::Query::<T>::try_from_uri(&parts.uri)
            .map(|query| ValidQuery(query.0))
            .map_err(|rejection| {
                ApiError::invalid(
                    "query",
                    format!("the query string is not valid: {}", rejection.body_text()),
                )
            })
    }
}
