//! Bearer-token authentication and role checks for every `/v1` route except health.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::auth_limit::{BURST, FailedAuthLimiter};
use super::error::ApiError;
use super::identities::Identities;
use crate::api::{ErrorCode, Role};
use axum::extract::{ConnectInfo, Request, State};
use axum::http::HeaderValue;
use axum::http::header::{AUTHORIZATION, RETRY_AFTER};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

const WHERE_TO_FIND: &str = "a token comes from the controller's token file (`token` in its \
data dir, or the file given to `jwctl serve --token-file`), or from `jwctl token add` when it \
runs with --tokens-file";

/// What a route needs: an identity of at least `role`.
#[derive(Debug, Clone)]
pub(crate) struct Gate {
    pub identities: Arc<Identities>,
    pub limiter: Arc<FailedAuthLimiter>,
    pub role: Role,
}

/// Middleware: passes the request on only with `Authorization: Bearer <token>` of an identity
/// whose role allows the route; the identity goes with the request (the audit's actor). A
/// peer that failed too often is refused (429) before its token is looked at. Failures are
/// logged with the peer address, never with what was presented.
pub(crate) async fn require_identity(
    State(gate): State<Gate>,
    mut request: Request,
    next: Next,
) -> Response {
    let peer = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(peer)| *peer);
    let now = Instant::now();
    if let Some(wait) = peer.and_then(|peer| gate.limiter.wait(peer.ip(), now)) {
        return rate_limited(wait);
    }
    let presented = request
        .headers()
        .get(AUTHORIZATION)
        .map(|value| bearer(value.as_bytes()));
    let identity = match presented {
        Some(Some(token)) => gate.identities.identify(token),
        _ => None,
    };
    let Some(identity) = identity else {
        let message = if presented.is_some() {
            format!("the bearer token was not accepted; {WHERE_TO_FIND}")
        } else {
            format!("a bearer token is required (Authorization: Bearer <token>); {WHERE_TO_FIND}")
        };
        let peer_text = peer.map_or_else(|| "unknown".to_string(), |p| p.to_string());
        tracing::warn!(peer = %peer_text, path = %request.uri().path(), "authentication failed");
        if let Some(peer) = peer
            && gate.limiter.failed(peer.ip(), now)
        {
            tracing::warn!(
                peer = %peer_text,
                "{BURST} failed authentications in a row: refusing this peer's requests for a while"
            );
        }
        return ApiError::new(ErrorCode::Unauthorized, message).into_response();
    };
    if !identity.role.allows(gate.role) {
        return ApiError::new(
            ErrorCode::Forbidden,
            format!(
                "{} {} needs the {} role; {} is a {}: ask for an identity with the {} role",
                request.method(),
                request.uri().path(),
                gate.role,
                identity.name,
                identity.role,
                gate.role
            ),
        )
        .into_response();
    }
    request.extensions_mut().insert(identity);
    next.run(request).await
}

/// 429 with the seconds to wait, whole and at least one, in `Retry-After`.
fn rate_limited(wait: Duration) -> Response {
    let seconds = wait.as_secs_f64().ceil().max(1.0) as u64;
    let mut response = ApiError::new(
        ErrorCode::RateLimited,
        format!(
            "too many failed authentications from this address; try again in {seconds} s \
             with a valid token"
        ),
    )
    .into_response();
    response
        .headers_mut()
        .insert(RETRY_AFTER, HeaderValue::from(seconds));
    response
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
