//! API errors: a code from [`ErrorCode`] and a message for the operator, always sent as
//! `{"error":{"code","message"}}`.

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::store::StoreError;
use crate::api::{ErrorBody, ErrorCode, ErrorDetail};
use crate::domain::Writer;

/// An error answer of the API.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ApiError {
    pub code: ErrorCode,
    pub message: String,
    /// The writer as it is now, sent with `version_mismatch`.
    pub writer: Option<Box<Writer>>,
}

impl ApiError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> ApiError {
        ApiError {
            code,
            message: message.into(),
            writer: None,
        }
    }

    /// 412: the writer is no longer at the version the client expected; `current` is how it
    /// is now, so the client can show the truth without asking again.
    pub fn version_mismatch(current: Writer, expected: u64) -> ApiError {
        ApiError {
            code: ErrorCode::VersionMismatch,
            message: format!(
                "{} changed since you looked: it is at version {} (status {}), not {expected}; \
                 reload it and decide again",
                current.name, current.version, current.status
            ),
            writer: Some(Box::new(current)),
        }
    }

    pub fn bad_request(message: impl Into<String>) -> ApiError {
        ApiError::new(ErrorCode::BadRequest, message)
    }

    pub fn writer_not_found(id: &str) -> ApiError {
        ApiError::new(
            ErrorCode::WriterNotFound,
            format!(
                "no writer with id '{}'; list the writers to find its id",
                clip(id, 200)
            ),
        )
    }

    /// A server-side failure: the details go to the log, the client gets a generic message.
    /// A failure of the state store while `context`: 503 `state_unavailable` when the
    /// database did not answer, else an internal error.
    pub fn store(context: &str, error: &StoreError) -> ApiError {
        if matches!(error, StoreError::Unavailable { .. }) {
            tracing::warn!("{context}: {error}");
            return ApiError::new(
                ErrorCode::StateUnavailable,
                format!(
                    "{context}: {error}; a start or pause may or may not have been saved: look \
                     at the writer before trying again"
                ),
            );
        }
        ApiError::internal(context, error)
    }

    pub fn internal(context: &str, error: &dyn std::fmt::Display) -> ApiError {
        tracing::error!("{context}: {error}");
        ApiError::new(
            ErrorCode::Internal,
            "the controller could not complete the request because of an internal error; \
             nothing was changed unless reported otherwise; see the controller's log",
        )
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.code.http_status())
            .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let unauthorized = self.code == ErrorCode::Unauthorized;
        let body = ErrorBody {
            error: ErrorDetail {
                code: self.code.as_str().to_string(),
                message: self.message,
                writer: self.writer,
            },
        };
        let mut response = (status, Json(body)).into_response();
        if unauthorized {
            response
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        response
    }
}

/// At most `max` characters of `text`, for echoing client input in messages.
pub(crate) fn clip(text: &str, max: usize) -> String {
    let mut clipped: String = text.chars().take(max).collect();
    if clipped.len() < text.len() {
        clipped.push('…');
    }
    clipped
}
