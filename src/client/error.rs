//! What can go wrong talking to the controller, and how an answer or a transport failure
//! becomes one of those errors.

use std::time::Duration;

use reqwest::StatusCode;

use crate::api::ErrorBody;
use crate::domain::Writer;
use crate::http_errors::body_excerpt;

/// What can go wrong talking to the controller.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ClientError {
    #[error("invalid controller URL '{url}': {reason}; give one like http://127.0.0.1:7465")]
    InvalidUrl { url: String, reason: String },
    #[error("the CA certificate is not usable ({reason}); give a PEM file with --ca-cert")]
    BadCaCert { reason: String },
    #[error(
        "cannot reach the controller at {url} ({detail}); check that it is running and that --controller points at it"
    )]
    Unreachable { url: String, detail: String },
    #[error("the controller at {url} did not answer within {}s; try again", timeout.as_secs_f32())]
    Timeout { url: String, timeout: Duration },
    #[error(
        "the controller at {url} presented a certificate this machine does not trust ({detail}); \
         give the CA that signed it with --ca-cert (or ca_cert in the config)"
    )]
    Untrusted { url: String, detail: String },
    /// The controller refused the request; `code` and `message` are its own. With
    /// `version_mismatch`, `current` is the writer as the controller has it now.
    #[error("{message}")]
    Api {
        status: u16,
        code: String,
        message: String,
        current: Option<Box<Writer>>,
    },
    #[error(
        "the controller at {url} sent a response jwctl cannot read ({detail}); is it a jwctl controller of a matching version?"
    )]
    Decode { url: String, detail: String },
}

impl ClientError {
    /// The controller's error code, for errors the controller sent.
    pub fn code(&self) -> Option<&str> {
        match self {
            ClientError::Api { code, .. } => Some(code),
            _ => None,
        }
    }

    /// The writer as the controller has it now, sent with a version mismatch.
    pub fn current_writer(&self) -> Option<&Writer> {
        match self {
            ClientError::Api { current, .. } => current.as_deref(),
            _ => None,
        }
    }

    /// Whether the request may be tried again unchanged (transport trouble, overload).
    pub(super) fn is_transient(&self) -> bool {
        match self {
            ClientError::Unreachable { .. } | ClientError::Timeout { .. } => true,
            ClientError::Api { status, .. } => matches!(status, 502..=504),
            ClientError::InvalidUrl { .. }
            | ClientError::BadCaCert { .. }
            | ClientError::Untrusted { .. }
            | ClientError::Decode { .. } => false,
        }
    }
}

/// Whether `error` comes from the TLS layer refusing the controller's certificate.
pub(super) fn refused_certificate(error: &(dyn std::error::Error + 'static)) -> bool {
    let mut cause = Some(error);
    while let Some(error) = cause {
        if let Some(rustls::Error::InvalidCertificate(_)) = error.downcast_ref::<rustls::Error>() {
            return true;
        }
        // An I/O error's `source` skips the error it wraps: look inside it instead.
        cause = match error.downcast_ref::<std::io::Error>() {
            Some(io) => io
                .get_ref()
                .map(|inner| inner as &(dyn std::error::Error + 'static)),
            None => error.source(),
        };
    }
    false
}

/// The controller's error answer, or a description of an answer that is not one.
pub(super) fn api_error(status: StatusCode, body: &[u8]) -> ClientError {
    match serde_json::from_slice::<ErrorBody>(body) {
        Ok(ErrorBody { error }) => ClientError::Api {
            status: status.as_u16(),
            code: error.code,
            message: error.message,
            current: error.writer,
        },
        Err(_) => ClientError::Api {
            status: status.as_u16(),
            code: format!("http_{}", status.as_u16()),
            message: format!(
                "the controller answered {status} without an error description: {}",
                body_excerpt(body)
            ),
            current: None,
        },
    }
}
