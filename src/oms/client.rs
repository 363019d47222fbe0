//! An HTTP client for OMS's OpenAPI (`POST <oms>/api/v2?Action=<Name>`, JSON, HTTP Basic) and
//! for the cluster managers' connector O&M calls (`POST <cm>/connector/task/v2/…`).
//!
//! Every call has a whole-call budget ([`OmsConfig::timeout`]): connecting, sending and
//! reading the answer. Reads (`ListProjects`, `DescribeProjectComponents`) are tried once more
//! after a transport failure or a 5xx while the budget lasts; mutations (`ResetIncrStartTimestamp`,
//! CM stop/resume) are never retried, since OMS may have acted on a call whose answer was lost.
//!
//! HTTP Basic auth: no OMS documentation page states it; it is how OceanBase's own ODC calls a
//! self-hosted OMS (oceanbase/odc, `service/onlineschemachange/oms/client`). The CM pages show
//! no auth, so CM calls send none.

use std::time::Duration;

use reqwest::{StatusCode, Url};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;
use tokio::time::Instant;

use super::config::{OmsConfig, Secret};
use super::wire::{
    CmAnswer, DescribeData, Envelope, ListProjectsRequest, MAX_PAGE_SIZE, ProjectId, ProjectItem,
    ResetIncrStartTimestampRequest,
};
use crate::http_errors::{body_excerpt, root_cause};

/// The largest answer read from OMS or a CM (a page of 150 projects is far smaller).
const MAX_ANSWER_BYTES: usize = 64 << 20;

/// What can go wrong talking to OMS or a CM. Never contains the password.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OmsError {
    #[error("invalid OMS URL '{url}': {reason}; give one like http://10.0.0.5:8089")]
    InvalidUrl { url: String, reason: String },
    /// OMS answered `success: false` (or a CM `isSuccess: false`); its own words are kept.
    #[error("{}", refusal_text(action, code, message, advice))]
    Refused {
        action: String,
        code: String,
        message: String,
        advice: String,
    },
    #[error(
        "OMS refused jwctl's credentials for {action} (HTTP {status}); check --oms-user and the password file"
    )]
    Unauthorized { action: String, status: u16 },
    #[error(
        "OMS is unavailable for {action} ({detail}); check that OMS and its CM are running and that the configured URLs point at them"
    )]
    Unavailable { action: String, detail: String },
    #[error("OMS did not answer {action} within {}s; it may be overloaded: try again later", budget.as_secs_f32())]
    Timeout { action: String, budget: Duration },
    #[error(
        "OMS sent an answer to {action} that jwctl cannot read ({detail}); is it OMS 4.1 or later?"
    )]
    Decode { action: String, detail: String },
}

fn refusal_text(action: &str, code: &str, message: &str, advice: &str) -> String {
    let mut text = format!("OMS refused {action}");
    if !message.is_empty() {
        text.push_str(&format!(": {message}"));
    }
    if !code.is_empty() {
        text.push_str(&format!(" [{code}]"));
    }
    if !advice.is_empty() {
        text.push_str(&format!("; OMS advises: {advice}"));
    }
    text
}

impl OmsError {
    fn is_transient(&self) -> bool {
        matches!(self, OmsError::Unavailable { .. })
    }
}

/// One page of `ListProjects`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProjectPage {
    pub items: Vec<ProjectItem>,
    /// Projects in all pages, as OMS counts them.
    pub total_count: Option<u64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Retry {
    OnceOnTransport,
    Never,
}

/// A cheap-to-clone handle on one OMS (and any of its CMs). `Debug` hides the password.
#[derive(Debug, Clone)]
pub struct OmsClient {
    http: reqwest::Client,
    api: Url,
    user: String,
    password: Secret,
    budget: Duration,
}

impl OmsClient {
    /// A client for `config.url`; fails only on a malformed URL.
    pub fn new(config: &OmsConfig) -> Result<Self, OmsError> {
        let mut api = parse_base(&config.url)?;
        append_path(&mut api, &["api", "v2"]);
        let http = reqwest::Client::builder()
            .connect_timeout(config.timeout.min(Duration::from_secs(3)))
            .user_agent(concat!("jwctl/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| OmsError::InvalidUrl {
                url: config.url.clone(),
                reason: e.to_string(),
            })?;
        Ok(OmsClient {
            http,
            api,
            user: config.user.clone(),
            password: config.password.clone(),
            budget: config.timeout,
        })
    }

    /// `ListProjects` page `page` (from 1), 150 projects a page.
    pub async fn list_projects_page(&self, page: u32) -> Result<ProjectPage, OmsError> {
        let body = ListProjectsRequest {
            search_key: None,
            kind: None,
            status: Vec::new(),
            page_number: page.max(1),
            page_size: MAX_PAGE_SIZE,
        };
        let envelope: Envelope<Vec<ProjectItem>> = self
            .action("ListProjects", &body, Retry::OnceOnTransport)
            .await?;
        Ok(ProjectPage {
            items: envelope.data.unwrap_or_default(),
            total_count: envelope.total_count,
        })
    }

    /// Every project: pages through `ListProjects` until `totalCount` projects arrived (or a
    /// page comes back short when OMS gives no count).
    pub async fn list_all_projects(&self) -> Result<Vec<ProjectItem>, OmsError> {
        let mut projects = Vec::new();
        for page in 1.. {
            let ProjectPage { items, total_count } = self.list_projects_page(page).await?;
            let got = items.len();
            projects.extend(items);
            let done = got == 0
                || match total_count {
                    Some(total) => projects.len() as u64 >= total,
                    None => got < MAX_PAGE_SIZE as usize,
                };
            if done {
                break;
            }
        }
        Ok(projects)
    }

    /// `DescribeProjectComponents` of project `id`.
    pub async fn describe_project_components(&self, id: &str) -> Result<DescribeData, OmsError> {
        let body = ProjectId { id: id.to_string() };
        let envelope: Envelope<DescribeData> = self
            .action("DescribeProjectComponents", &body, Retry::OnceOnTransport)
            .await?;
        Ok(envelope.data.unwrap_or_default())
    }

    /// `ResetIncrStartTimestamp` (OMS ≥ 4.3.0): moves project `project_id`'s forward
    /// incremental synchronization start to `epoch_secs`. Returns OMS's O&M ticket id, if any.
    /// Never retried.
    pub async fn reset_incr_start_timestamp(
        &self,
        project_id: &str,
        epoch_secs: i64,
    ) -> Result<Option<String>, OmsError> {
        let body = ResetIncrStartTimestampRequest {
            id: project_id.to_string(),
            reverse: false,
            start_timestamp: epoch_secs,
        };
        let envelope: Envelope<Value> = self
            .action("ResetIncrStartTimestamp", &body, Retry::Never)
            .await?;
        Ok(envelope.data.and_then(|ticket| match ticket {
            Value::Null => None,
            Value::String(s) => Some(s),
            other => Some(other.to_string()),
        }))
    }

    /// CM `stop` of the connector named `task_name`. Never retried.
    pub async fn cm_stop(&self, cm_url: &str, task_name: &str) -> Result<(), OmsError> {
        self.cm("stop", cm_url, task_name, false).await
    }

    /// CM `resume` of the connector named `task_name`; `pull_back` sends `pullBackFlag=true`
    /// (the Incr-Sync pull-back case, after a reset). Never retried.
    pub async fn cm_resume(
        &self,
        cm_url: &str,
        task_name: &str,
        pull_back: bool,
    ) -> Result<(), OmsError> {
        self.cm("resume", cm_url, task_name, pull_back).await
    }

    async fn action<B: Serialize, T: DeserializeOwned>(
        &self,
        action: &str,
        body: &B,
        retry: Retry,
    ) -> Result<Envelope<T>, OmsError> {
        let mut url = self.api.clone();
        url.query_pairs_mut().append_pair("Action", action);
        let request = || {
            self.http
                .post(url.clone())
                .basic_auth(&self.user, Some(self.password.expose()))
                .json(body)
        };
        let (status, bytes) = self.send(action, request, retry).await?;
        read_envelope(action, status, &bytes)
    }

    async fn cm(
        &self,
        verb: &str,
        cm_url: &str,
        task_name: &str,
        pull_back: bool,
    ) -> Result<(), OmsError> {
        let action = format!("CM {verb} of {task_name}");
        let mut url = parse_base(cm_url)?;
        append_path(&mut url, &["connector", "task", "v2", verb]);
        url.query_pairs_mut().append_pair("taskName", task_name);
        if pull_back {
            url.query_pairs_mut().append_pair("pullBackFlag", "true");
        }
        let (status, bytes) = self
            .send(&action, || self.http.post(url.clone()), Retry::Never)
            .await?;
        read_cm_answer(&action, status, &bytes)
    }

    /// Sends `request` within the budget, once more for reads after a transient failure.
    async fn send(
        &self,
        action: &str,
        request: impl Fn() -> reqwest::RequestBuilder,
        retry: Retry,
    ) -> Result<(StatusCode, Vec<u8>), OmsError> {
        let deadline = Instant::now() + self.budget;
        let timeout = || OmsError::Timeout {
            action: action.to_string(),
            budget: self.budget,
        };
        let mut retried = retry == Retry::Never;
        loop {
            let attempt = request();
            let answer = tokio::time::timeout_at(deadline, async {
                let mut response = attempt
                    .send()
                    .await
                    .map_err(|e| transport_error(action, &e))?;
                let status = response.status();
                let mut bytes = Vec::new();
                while let Some(chunk) = response
                    .chunk()
                    .await
                    .map_err(|e| transport_error(action, &e))?
                {
                    if bytes.len() + chunk.len() > MAX_ANSWER_BYTES {
                        return Err(OmsError::Unavailable {
                            action: action.to_string(),
                            detail: format!(
                                "the answer is larger than {} MiB; is the URL OMS's?",
                                MAX_ANSWER_BYTES >> 20
                            ),
                        });
                    }
                    bytes.extend_from_slice(&chunk);
                }
                Ok((status, bytes))
            })
            .await
            .map_err(|_| timeout())?;
            let answer = answer.and_then(|(status, bytes)| {
                if status.is_server_error() {
                    Err(OmsError::Unavailable {
                        action: action.to_string(),
                        detail: format!("HTTP {status}: {}", body_excerpt(&bytes)),
                    })
                } else {
                    Ok((status, bytes))
                }
            });
            match answer {
                Err(e) if e.is_transient() && !retried => {
                    retried = true;
                    let pause = Duration::from_millis(100);
                    if Instant::now() + pause >= deadline {
                        return Err(e);
                    }
                    tokio::time::sleep(pause).await;
                }
                other => return other,
            }
        }
    }
}

fn parse_base(url: &str) -> Result<Url, OmsError> {
    let invalid = |reason: String| OmsError::InvalidUrl {
        url: without_credentials(url),
        reason,
    };
    let parsed = Url::parse(url).map_err(|e| invalid(e.to_string()))?;
    if !matches!(parsed.scheme(), "http" | "https") || parsed.cannot_be_a_base() {
        return Err(invalid("the scheme must be http or https".into()));
    }
    if !parsed.username().is_empty() || parsed.password().is_some() {
        return Err(invalid(
            "put no credentials in the URL; use the user and password file settings".into(),
        ));
    }
    Ok(parsed)
}

/// `url` with anything between `://` and the last `@` of its authority replaced, for messages.
fn without_credentials(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_string();
    };
    let authority_end = rest.find('/').unwrap_or(rest.len());
    match rest[..authority_end].rfind('@') {
        Some(at) => format!("{scheme}://…@{}", &rest[at + 1..]),
        None => url.to_string(),
    }
}

fn append_path(url: &mut Url, segments: &[&str]) {
    if let Ok(mut path) = url.path_segments_mut() {
        path.pop_if_empty().extend(segments);
    }
}

fn transport_error(action: &str, error: &reqwest::Error) -> OmsError {
    OmsError::Unavailable {
        action: action.to_string(),
        detail: root_cause(error),
    }
}

fn unauthorized(action: &str, status: StatusCode) -> Option<OmsError> {
    matches!(status, StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN).then(|| {
        OmsError::Unauthorized {
            action: action.to_string(),
            status: status.as_u16(),
        }
    })
}

/// The envelope, a refusal (`success: false`, whatever the HTTP status) or the error the HTTP
/// status means.
fn read_envelope<T: DeserializeOwned>(
    action: &str,
    status: StatusCode,
    bytes: &[u8],
) -> Result<Envelope<T>, OmsError> {
    if let Some(e) = unauthorized(action, status) {
        return Err(e);
    }
    let decode = |detail: String| OmsError::Decode {
        action: action.to_string(),
        detail,
    };
    let envelope = match serde_json::from_slice::<Envelope<Value>>(bytes) {
        Ok(envelope) => envelope,
        Err(_) if !status.is_success() => {
            return Err(OmsError::Unavailable {
                action: action.to_string(),
                detail: format!("HTTP {status}: {}", body_excerpt(bytes)),
            });
        }
        Err(e) => return Err(decode(e.to_string())),
    };
    if envelope.success == Some(false) || !status.is_success() {
        return Err(OmsError::Refused {
            action: action.to_string(),
            code: envelope
                .code
                .unwrap_or_else(|| format!("HTTP_{}", status.as_u16())),
            message: envelope.message.unwrap_or_default(),
            advice: envelope.advice.unwrap_or_default(),
        });
    }
    let data = match envelope.data {
        None | Some(Value::Null) => None,
        Some(value) => Some(serde_json::from_value(value).map_err(|e| decode(e.to_string()))?),
    };
    Ok(Envelope {
        success: envelope.success,
        error_detail: envelope.error_detail,
        code: envelope.code,
        message: envelope.message,
        advice: envelope.advice,
        request_id: envelope.request_id,
        page_number: envelope.page_number,
        page_size: envelope.page_size,
        total_count: envelope.total_count,
        cost: envelope.cost,
        data,
    })
}

fn read_cm_answer(action: &str, status: StatusCode, bytes: &[u8]) -> Result<(), OmsError> {
    if let Some(e) = unauthorized(action, status) {
        return Err(e);
    }
    let answer: CmAnswer = match serde_json::from_slice(bytes) {
        Ok(answer) => answer,
        Err(_) if !status.is_success() => {
            return Err(OmsError::Unavailable {
                action: action.to_string(),
                detail: format!("HTTP {status}: {}", body_excerpt(bytes)),
            });
        }
        Err(e) => {
            return Err(OmsError::Decode {
                action: action.to_string(),
                detail: e.to_string(),
            });
        }
    };
    match answer.is_success {
        Some(true) if status.is_success() => Ok(()),
        None if status.is_success() => Err(OmsError::Decode {
            action: action.to_string(),
            detail: "the answer has no isSuccess".into(),
        }),
        _ => Err(OmsError::Refused {
            action: action.to_string(),
            code: answer
                .err_code
                .unwrap_or_else(|| format!("HTTP_{}", status.as_u16())),
            message: answer.err_msg.unwrap_or_default(),
            advice: match answer.retryable {
                Some(true) => "the CM says the call may be tried again".into(),
                _ => String::new(),
            },
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refusals_keep_omss_words_and_http_status_is_not_the_signal() {
        let body =
            br#"{"success":false,"code":"PARAM_ERROR","message":"bad id","advice":"check it"}"#;
        for status in [StatusCode::OK, StatusCode::BAD_REQUEST] {
            let err = read_envelope::<Value>("DescribeProjectComponents", status, body).err();
            assert_eq!(
                err.as_ref().map(ToString::to_string).as_deref(),
                Some(
                    "OMS refused DescribeProjectComponents: bad id [PARAM_ERROR]; OMS advises: check it"
                )
            );
        }
        let ok = read_envelope::<Vec<ProjectItem>>(
            "ListProjects",
            StatusCode::OK,
            br#"{"success":true,"totalCount":1,"data":[{"id":"np_1","name":null}]}"#,
        );
        assert_eq!(ok.map(|e| e.data.unwrap_or_default().len()), Ok(1));
    }

    #[test]
    fn statuses_without_an_envelope_say_what_happened() {
        let unauthorized = read_envelope::<Value>("ListProjects", StatusCode::UNAUTHORIZED, b"");
        assert!(matches!(
            unauthorized,
            Err(OmsError::Unauthorized { status: 401, .. })
        ));
        let not_found = read_envelope::<Value>("ListProjects", StatusCode::NOT_FOUND, b"<html>");
        assert!(matches!(not_found, Err(OmsError::Unavailable { .. })));
        let garbage = read_envelope::<Value>("ListProjects", StatusCode::OK, b"<html>");
        assert!(matches!(garbage, Err(OmsError::Decode { .. })));
    }

    #[test]
    fn cm_answers_are_read_by_is_success() {
        let ok = br#"{"errCode":null,"errMsg":null,"errorDetail":null,"isSuccess":true,"result":"t","retryable":null}"#;
        assert_eq!(read_cm_answer("CM stop", StatusCode::OK, ok), Ok(()));
        let refused = br#"{"errCode":"E1","errMsg":"not now","isSuccess":false,"retryable":true}"#;
        assert!(matches!(
            read_cm_answer("CM stop", StatusCode::OK, refused),
            Err(OmsError::Refused { code, message, .. }) if code == "E1" && message == "not now"
        ));
    }

    #[test]
    fn the_password_stays_out_of_debug_and_urls_carry_no_credentials() {
        let config = OmsConfig::new("http://127.0.0.1:1/", "admin", Secret::new("s3cret"));
        let client = OmsClient::new(&config).map(|c| format!("{c:?}"));
        assert!(client.is_ok_and(|text| !text.contains("s3cret")));
        let with_creds = OmsConfig::new("http://admin:s3cret@oms/", "admin", Secret::new("x"));
        let err = OmsClient::new(&with_creds).err().map(|e| e.to_string());
        assert!(
            err.is_some_and(|text| text.contains("no credentials") && !text.contains("s3cret"))
        );
    }
}
