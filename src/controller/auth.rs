//! Bearer-token authentication for every `/v1` route except health.

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::header::AUTHORIZATION;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use subtle::ConstantTimeEq;

use super::error::ApiError;
use crate::api::ErrorCode;

const WHERE_TO_FIND: &str = "the token is in the controller's token file (`token` in its data \
dir, or the file given to `jwctl serve --token-file`)";

/// The token requests must present.
#[derive(Clone)]
pub(crate) struct RequiredToken(pub Arc<str>);

impl std::fmt::Debug for RequiredToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("RequiredToken(<redacted>)")
    }
}

/// Middleware: passes the request on only with `Authorization: Bearer <token>`.
pub(crate) async fn require_token(
    State(required): State<RequiredToken>,
    request: Request,
    next: Next,
) -> Response {
    let presented = request
        .headers()
        .get(AUTHORIZATION)
        .map(|value| bearer(value.as_bytes()));
    match presented {
        Some(Some(token)) if bool::from(token.ct_eq(required.0.as_bytes())) => {
            next.run(request).await
        }
        Some(_) => ApiError::new(
            ErrorCode::Unauthorized,
            format!("the bearer token was not accepted; {WHERE_TO_FIND}"),
        )
        .into_response(),
        None => ApiError::new(
            ErrorCode::Unauthorized,
            format!("a bearer token is required (Authorization: Bearer <token>); {WHERE_TO_FIND}"),
        )
        .into_response(),
    }
}

/// The credentials of a `Bearer` authorization value (scheme case-insensitive).
fn bearer(value: &[u8]) -> Option<&[u8]> {
    let (scheme, rest) = value.split_at_checked(7)?;
    if !scheme.eq_ignore_ascii_case(b"bearer ") {
        return None;
    }
    Some(rest.trim_ascii())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bearer_credentials_are_extracted() {
        assert_eq!(bearer(b"Bearer abc"), Some(&b"abc"[..]));
        assert_eq!(bearer(b"bearer  abc "), Some(&b"abc"[..]));
        assert_eq!(bearer(b"Basic abc"), None);
        assert_eq!(bearer(b"Bear"), None);
    }
}
