//! The async HTTP client of the controller's v1 API, used by the CLI and the TUI.
//!
//! Every call has a connect timeout and a whole-call budget: a read (GET) is retried with
//! backoff on transport failures and 502/503/504 only while its budget lasts, so a call never
//! takes longer than the budget its timeout message states. Mutations (POST) are never
//! retried automatically.

use std::time::Duration;

use tokio::time::Instant;

// The `bytes` crate's buffer, in which reqwest hands out a body's chunks (axum re-exports it).
use axum::body::Bytes;
use chrono::{DateTime, Utc};
use reqwest::header::{AUTHORIZATION, HeaderMap, HeaderValue, IF_MATCH};
use reqwest::{Method, Url};
use serde::de::DeserializeOwned;

use crate::api::{
    AuditEntry, AuditLog, AuditQuery, Deployment, FleetHealth, Health, HistorySeries, Identity,
    StartRequest, WriterHistory, WriterList,
};
use crate::domain::{HistoryWindow, Writer, format_utc, interning};
use crate::http_errors::root_cause;

mod error;
mod events;
mod list_decode;
mod list_split;

use list_decode::ListDecoder;

pub use error::ClientError;
use error::{api_error, refused_certificate};
pub use events::{EventStream, STREAM_IDLE_LIMIT, StreamEvent};

/// How to reach a controller. Its `Debug` output hides the token.
#[derive(Clone)]
pub struct ClientOptions {
    /// Base URL, e.g. `http://127.0.0.1:7465`.
    pub base_url: String,
    /// Bearer token for `/v1` routes.
    pub token: Option<String>,
    /// Limit on establishing a connection.
    pub connect_timeout: Duration,
    /// Limit on a whole call: every attempt, the pauses between them and the response body.
    pub request_timeout: Duration,
    /// How many times a failed GET is tried again (within `request_timeout`).
    pub get_retries: u32,
    /// PEM certificates trusted for `https://` besides the system's (a private CA).
    pub ca_cert: Option<Vec<u8>>,
}

impl ClientOptions {
    /// Options with the default timeouts and retries for `base_url`.
    pub fn new(base_url: impl Into<String>, token: Option<String>) -> Self {
        ClientOptions {
            base_url: base_url.into(),
            token,
            connect_timeout: Duration::from_secs(3),
            request_timeout: Duration::from_secs(15),
            get_retries: 2,
            ca_cert: None,
        }
    }
}

impl std::fmt::Debug for ClientOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientOptions")
            .field("base_url", &self.base_url)
            .field("token", &self.token.as_ref().map(|_| "<redacted>"))
            .field("connect_timeout", &self.connect_timeout)
            .field("request_timeout", &self.request_timeout)
            .field("get_retries", &self.get_retries)
            .field("ca_cert", &self.ca_cert.as_ref().map(Vec::len))
            .finish()
    }
}

/// The header that makes a POST safe to send again.
pub const IDEMPOTENCY_KEY: &str = "idempotency-key";

/// 16 random bytes, hex; from the clock when the system's random source fails (a key need
/// only be unique among one identity's requests of a day).
fn idempotency_key() -> String {
    crate::hex::random::<16>().unwrap_or_else(|_| {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        crate::hex::encode(&nanos.to_le_bytes())
    })
}

/// A cheap-to-clone handle on one controller.
#[derive(Debug, Clone)]
pub struct Client {
    http: reqwest::Client,
    base: Url,
    options: ClientOptions,
}

impl Client {
    /// Builds a client; fails only on a malformed URL or token.
    pub fn new(options: ClientOptions) -> Result<Self, ClientError> {
        let invalid = |reason: String| ClientError::InvalidUrl {
            url: options.base_url.clone(),
            reason,
        };
        let base = Url::parse(&options.base_url).map_err(|e| invalid(e.to_string()))?;
        if !matches!(base.scheme(), "http" | "https") || base.cannot_be_a_base() {
            return Err(invalid("the scheme must be http or https".into()));
        }
        let mut headers = HeaderMap::new();
        if let Some(token) = &options.token {
            let mut value =
                HeaderValue::from_str(&format!("Bearer {}", token.trim())).map_err(|_| {
                    ClientError::InvalidUrl {
                        url: options.base_url.clone(),
                        reason: "the token contains characters not allowed in an HTTP header"
                            .into(),
                    }
                })?;
            value.set_sensitive(true);
            headers.insert(AUTHORIZATION, value);
        }
        // Compression pays on a network; on loopback it only costs both ends CPU.
        let loopback = base.host_str().is_some_and(|host| {
            host == "localhost"
                || host
                    .trim_matches(['[', ']'])
                    .parse::<std::net::IpAddr>()
                    .is_ok_and(|ip| ip.is_loopback())
        });
        let mut builder = reqwest::Client::builder();
        if let Some(pem) = &options.ca_cert {
            let certs =
                reqwest::Certificate::from_pem_bundle(pem).map_err(|e| ClientError::BadCaCert {
                    reason: e.to_string(),
                })?;
            if certs.is_empty() {
                return Err(ClientError::BadCaCert {
                    reason: "it holds no PEM certificate".into(),
                });
            }
            for cert in certs {
                builder = builder.add_root_certificate(cert);
            }
        }
        let http = builder
            .gzip(!loopback)
            .default_headers(headers)
            .connect_timeout(options.connect_timeout)
            .user_agent(concat!("jwctl/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| invalid(e.to_string()))?;
        Ok(Client {
            http,
            base,
            options,
        })
    }

    /// The controller's base URL as given.
    pub fn base_url(&self) -> &str {
        &self.options.base_url
    }

    /// `GET /v1/health` (needs no token).
    pub async fn health(&self) -> Result<Health, ClientError> {
        self.get(&["v1", "health"], &[]).await
    }

    /// `GET /v1/whoami`: the identity the token authenticates, and its role.
    pub async fn whoami(&self) -> Result<Identity, ClientError> {
        self.get(&["v1", "whoami"], &[]).await
    }

    /// `GET /v1/fleet/health`.
    pub async fn fleet_health(&self) -> Result<FleetHealth, ClientError> {
        self.get(&["v1", "fleet", "health"], &[]).await
    }

    /// `GET /v1/writers/{id}/history?window=W`: one writer's points and events.
    pub async fn writer_history(
        &self,
        id: &str,
        window: HistoryWindow,
    ) -> Result<WriterHistory, ClientError> {
        self.get(
            &["v1", "writers", id, "history"],
            &[("window", window.as_str())],
        )
        .await
    }

    /// `GET /v1/history?window=W&ids=…`: the latency series of up to
    /// [`crate::api::HISTORY_MAX_IDS`] writers.
    pub async fn history(
        &self,
        ids: &[&str],
        window: HistoryWindow,
    ) -> Result<HistorySeries, ClientError> {
        let ids = ids.join(",");
        self.get(
            &["v1", "history"],
            &[("window", window.as_str()), ("ids", ids.as_str())],
        )
        .await
    }

    /// `GET /v1/deployment`.
    pub async fn deployment(&self) -> Result<Deployment, ClientError> {
        self.get(&["v1", "deployment"], &[]).await
    }

    /// `GET /v1/writers[?region=R]`.
    pub async fn list_writers(&self, region: Option<&str>) -> Result<WriterList, ClientError> {
        let query: Vec<(&str, &str)> = region.map(|r| ("region", r)).into_iter().collect();
        self.writer_list(&query, &mut |_| {}).await
    }

    /// `GET /v1/writers`, calling `progress` with the bytes received so far as they arrive (a
    /// large fleet takes a while). The writers are decoded on a blocking thread as they
    /// arrive, so the caller's thread stays responsive.
    pub async fn list_writers_with_progress(
        &self,
        progress: &mut (dyn FnMut(u64) + Send),
    ) -> Result<WriterList, ClientError> {
        self.writer_list(&[], progress).await
    }

    /// `GET /v1/writers` with `query`, decoded while it arrives.
    async fn writer_list(
        &self,
        query: &[(&str, &str)],
        progress: &mut (dyn FnMut(u64) + Send),
    ) -> Result<WriterList, ClientError> {
        let mut decoder = ListDecoder::default();
        self.get_with(&["v1", "writers"], query, progress, &mut decoder)
            .await?;
        decoder
            .finish()
            .await
            .map_err(|detail| ClientError::Decode {
                url: self.options.base_url.clone(),
                detail,
            })
    }

    /// `GET /v1/writers/{id}`.
    pub async fn writer(&self, id: &str) -> Result<Writer, ClientError> {
        self.get(&["v1", "writers", id], &[]).await
    }

    /// `GET /v1/writers/{id}/audit`: the newest `limit` entries, newest first.
    pub async fn audit(&self, id: &str, limit: u32) -> Result<Vec<AuditEntry>, ClientError> {
        let limit = limit.to_string();
        let log: AuditLog = self
            .get(
                &["v1", "writers", id, "audit"],
                &[("limit", limit.as_str())],
            )
            .await?;
        Ok(log.entries)
    }

    /// `GET /v1/audit`: the newest entries across writers that `query` admits, newest first.
    pub async fn audit_log(&self, query: &AuditQuery) -> Result<Vec<AuditEntry>, ClientError> {
        let limit = query.limit.to_string();
        let since = query.since.map(format_utc);
        let mut params = vec![("limit", limit.as_str())];
        if let Some(writer) = &query.writer {
            params.push(("writer", writer));
        }
        if let Some(actor) = &query.actor {
            params.push(("actor", actor));
        }
        if let Some(since) = &since {
            params.push(("since", since));
        }
        let log: AuditLog = self.get(&["v1", "audit"], &params).await?;
        Ok(log.entries)
    }

    /// `POST /v1/writers/{id}/start`, replaying from `replay_from` when given. With
    /// `if_match`, the controller refuses (412) if the writer's version moved on.
    pub async fn start(
        &self,
        id: &str,
        replay_from: Option<DateTime<Utc>>,
        if_match: Option<u64>,
    ) -> Result<Writer, ClientError> {
        let body = StartRequest {
            replay_from: replay_from.map(format_utc),
        };
        self.post(&["v1", "writers", id, "start"], Some(&body), if_match)
            .await
    }

    /// `POST /v1/writers/{id}/pause`, with the same `if_match` guard as [`Client::start`].
    pub async fn pause(&self, id: &str, if_match: Option<u64>) -> Result<Writer, ClientError> {
        self.post::<StartRequest, _>(&["v1", "writers", id, "pause"], None, if_match)
            .await
    }

    fn url(&self, segments: &[&str]) -> Result<Url, ClientError> {
        let mut url = self.base.clone();
        url.path_segments_mut()
            .map_err(|()| ClientError::InvalidUrl {
                url: self.options.base_url.clone(),
                reason: "it cannot have a path".into(),
            })?
            .pop_if_empty()
            .extend(segments);
        Ok(url)
    }

    async fn get<T: DeserializeOwned>(
        &self,
        segments: &[&str],
        query: &[(&str, &str)],
    ) -> Result<T, ClientError> {
        let mut body = Vec::new();
        self.get_with(segments, query, &mut |_| {}, &mut body)
            .await?;
        self.decode(&body)
    }

    /// A GET's body into `sink`, retried as [`Client::get`] says, reporting the bytes received
    /// so far.
    async fn get_with(
        &self,
        segments: &[&str],
        query: &[(&str, &str)],
        progress: &mut (dyn FnMut(u64) + Send),
        sink: &mut dyn BodySink,
    ) -> Result<(), ClientError> {
        let mut url = self.url(segments)?;
        if !query.is_empty() {
            url.query_pairs_mut().extend_pairs(query);
        }
        let deadline = Instant::now() + self.options.request_timeout;
        let mut attempt = 0;
        loop {
            let remaining = deadline.saturating_duration_since(Instant::now());
            if remaining.is_zero() {
                return Err(self.timeout());
            }
            let request = self
                .http
                .request(Method::GET, url.clone())
                .timeout(remaining);
            match self.receive(request, progress, sink).await {
                Err(e) if e.is_transient() && attempt < self.options.get_retries => {
                    attempt += 1;
                    let pause = Duration::from_millis(150 * 2u64.pow(attempt));
                    if Instant::now() + pause >= deadline {
                        return Err(e);
                    }
                    tokio::time::sleep(pause).await;
                }
                other => return other,
            }
        }
    }

    /// A POST with an `Idempotency-Key` of its own: when the controller could not be reached
    /// (the request may or may not have arrived), it is sent once more with the same key,
    /// within what is left of the budget, and the controller acts at most once.
    async fn post<B: serde::Serialize, T: DeserializeOwned>(
        &self,
        segments: &[&str],
        body: Option<&B>,
        if_match: Option<u64>,
    ) -> Result<T, ClientError> {
        let key = idempotency_key();
        let started = std::time::Instant::now();
        let request = |budget: Duration| -> Result<reqwest::RequestBuilder, ClientError> {
            let mut request = self
                .http
                .request(Method::POST, self.url(segments)?)
                .timeout(budget)
                .header(IDEMPOTENCY_KEY, &key);
            if let Some(body) = body {
                request = request.json(body);
            }
            if let Some(version) = if_match {
                request = request.header(IF_MATCH, version.to_string());
            }
            Ok(request)
        };
        match self.send(request(self.options.request_timeout)?).await {
            Err(ClientError::Unreachable { .. })
                if started.elapsed() < self.options.request_timeout =>
            {
                let left = self
                    .options
                    .request_timeout
                    .saturating_sub(started.elapsed());
                self.send(request(left)?).await
            }
            other => other,
        }
    }

    async fn send<T: DeserializeOwned>(
        &self,
        request: reqwest::RequestBuilder,
    ) -> Result<T, ClientError> {
        let mut body = Vec::new();
        self.receive(request, &mut |_| {}, &mut body).await?;
        self.decode(&body)
    }

    /// The body of a successful answer into `sink`, chunk by chunk as it arrives (`progress`
    /// hears the bytes so far; reading stops early when the sink wants no more); an error
    /// answer as the controller's error.
    async fn receive(
        &self,
        request: reqwest::RequestBuilder,
        progress: &mut (dyn FnMut(u64) + Send),
        sink: &mut dyn BodySink,
    ) -> Result<(), ClientError> {
        let mut response = request.send().await.map_err(|e| self.transport_error(e))?;
        let status = response.status();
        let mut error_body = Vec::new();
        if status.is_success() {
            sink.restart(response.content_length());
        }
        let mut received = 0;
        while let Some(chunk) = response
            .chunk()
            .await
            .map_err(|e| self.transport_error(e))?
        {
            received += chunk.len() as u64;
            progress(received);
            if !status.is_success() {
                error_body.extend_from_slice(&chunk);
            } else if !sink.push(chunk) {
                break;
            }
        }
        if status.is_success() {
            Ok(())
        } else {
            Err(api_error(status, &error_body))
        }
    }

    /// A successful answer's JSON. Text many writers share (region, project, store,
    /// message) is held once per distinct value.
    fn decode<T: DeserializeOwned>(&self, bytes: &[u8]) -> Result<T, ClientError> {
        interning(|| serde_json::from_slice(bytes)).map_err(|e| ClientError::Decode {
            url: self.options.base_url.clone(),
            detail: e.to_string(),
        })
    }

    /// The call's budget ran out.
    fn timeout(&self) -> ClientError {
        ClientError::Timeout {
            url: self.options.base_url.clone(),
            timeout: self.options.request_timeout,
        }
    }

    fn transport_error(&self, error: reqwest::Error) -> ClientError {
        let url = self.options.base_url.clone();
        if error.is_timeout() {
            return self.timeout();
        }
        let detail = root_cause(&error);
        if refused_certificate(&error) {
            return ClientError::Untrusted { url, detail };
        }
        ClientError::Unreachable { url, detail }
    }
}

/// Where the body of a successful answer goes, chunk by chunk as it arrives.
trait BodySink: Send {
    /// A successful answer begins (of `length` bytes, when the controller said): forget what
    /// an earlier attempt delivered.
    fn restart(&mut self, length: Option<u64>);

    /// The next chunk; `false` when the sink wants no more (it failed, and says why when it
    /// is finished).
    fn push(&mut self, chunk: Bytes) -> bool;
}

impl BodySink for Vec<u8> {
    fn restart(&mut self, length: Option<u64>) {
        self.clear();
        self.reserve(length.unwrap_or(0).min(1 << 26) as usize);
    }

    fn push(&mut self, chunk: Bytes) -> bool {
        self.extend_from_slice(&chunk);
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_output_never_shows_the_token() {
        let options = ClientOptions::new("http://127.0.0.1:7465", Some("s3cr3t-token".into()));
        let client = Client::new(options.clone());
        assert!(!format!("{options:?}").contains("s3cr3t"));
        assert!(!format!("{client:?}").contains("s3cr3t"));
    }

    #[test]
    fn writer_ids_are_one_path_segment() {
        let client = Client::new(ClientOptions::new("http://127.0.0.1:7465/base/", None));
        let Ok(client) = client else {
            panic!("valid URL");
        };
        let url = client.url(&[
            "v1",
            "writers",
            "10.0.0.1-9000:connector_v2:a/b c:01",
            "start",
        ]);
        assert_eq!(
            url.map(|u| u.to_string()).ok(),
            Some("http://127.0.0.1:7465/base/v1/writers/10.0.0.1-9000:connector_v2:a%2Fb%20c:01/start".into())
        );
    }

    #[test]
    fn bad_urls_are_refused_with_an_example() {
        for url in ["not a url", "ftp://host", "mailto:ops@example.com"] {
            let err = Client::new(ClientOptions::new(url, None)).err();
            let message = err.map(|e| e.to_string()).unwrap_or_default();
            assert!(
                message.contains("http://127.0.0.1:7465"),
                "{url}: {message}"
            );
        }
    }
}
