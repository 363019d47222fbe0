//! The JSON OMS sends and expects, as its public documentation describes it.
//!
//! - Envelope and `ListProjects`: enterprise-oms-doc-en-10000000002913033 (OMS ≥ 4.1).
//! - `DescribeProjectComponents`: enterprise-oms-doc-en-10000000001792132.
//! - `ResetIncrStartTimestamp`: enterprise-oms-doc-en-10000000002913051 (OMS ≥ 4.3.0).
//! - CM answers: community-oms-en-10000000001080513 ("CLI-based O&M … Connector").
//!
//! Every type is lenient: unknown fields are ignored, missing or `null` fields take their
//! default, and numbers the docs do not pin down (counts, delays, timestamps) are accepted as
//! JSON numbers or as strings holding one.

use serde::{Deserialize, Deserializer, Serialize};
use serde_json::Value;

/// The envelope around every OpenAPI answer. `success: false` with `code`/`message`/`advice`
/// is a refusal, whatever the HTTP status.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Envelope<T> {
    #[serde(default)]
    pub success: Option<bool>,
    #[serde(default)]
    pub error_detail: Option<Value>,
    #[serde(default, deserialize_with = "lenient_string")]
    pub code: Option<String>,
    #[serde(default, deserialize_with = "lenient_string")]
    pub message: Option<String>,
    #[serde(default, deserialize_with = "lenient_string")]
    pub advice: Option<String>,
    #[serde(default, deserialize_with = "lenient_string")]
    pub request_id: Option<String>,
    #[serde(default, deserialize_with = "lenient_u64")]
    pub page_number: Option<u64>,
    #[serde(default, deserialize_with = "lenient_u64")]
    pub page_size: Option<u64>,
    /// Described as "the total number of pages" on the `ListProjects` page and as "of
    /// entries" on others; jwctl reads it as the number of projects (unconfirmed).
    #[serde(default, deserialize_with = "lenient_u64")]
    pub total_count: Option<u64>,
    /// Documented as a string such as `"27 ms"`.
    #[serde(default, deserialize_with = "lenient_string")]
    pub cost: Option<String>,
    #[serde(default = "none")]
    pub data: Option<T>,
}

fn none<T>() -> Option<T> {
    None
}

/// The body of `ListProjects`. `pageNumber` counts from 1; `pageSize` is at most 150.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ListProjectsRequest {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub search_key: Option<String>,
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub status: Vec<String>,
    pub page_number: u32,
    pub page_size: u32,
}

/// The largest `pageSize` `ListProjects` accepts.
pub const MAX_PAGE_SIZE: u32 = 150;

/// One project of `ListProjects` (only what jwctl uses).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ProjectItem {
    pub id: String,
    #[serde(default, deserialize_with = "null_default")]
    pub name: String,
    #[serde(default, deserialize_with = "null_default")]
    pub status: String,
    #[serde(rename = "type", default, deserialize_with = "null_default")]
    pub kind: String,
}

/// The body of `DescribeProjectComponents` and of `ResetIncrStartTimestamp`'s sibling calls
/// that take a project id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ProjectId {
    pub id: String,
}

/// `data` of `DescribeProjectComponents` (reverse and verify lists are not read).
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DescribeData {
    #[serde(default, deserialize_with = "null_default")]
    pub store_list: Vec<StoreItem>,
    #[serde(default, deserialize_with = "null_default")]
    pub incr_sync_components: Vec<ConnectorItem>,
    #[serde(default, deserialize_with = "null_default")]
    pub full_import_components: Vec<ConnectorItem>,
}

/// A Store component: the change log an Incr-Sync connector reads.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StoreItem {
    #[serde(default, deserialize_with = "null_default")]
    pub name: String,
    #[serde(default, deserialize_with = "null_default")]
    pub ip: String,
    #[serde(default, deserialize_with = "null_default")]
    pub region: String,
    #[serde(default, deserialize_with = "null_default")]
    pub status: String,
    /// Seconds.
    #[serde(default, deserialize_with = "lenient_f64")]
    pub delay: Option<f64>,
    /// Epoch seconds.
    #[serde(default)]
    pub gmt: Option<WireTime>,
    #[serde(default, deserialize_with = "null_default")]
    pub error_details: Vec<Value>,
    /// Oldest change data held: a zone-less timestamp in the docs' examples; numbers accepted.
    #[serde(default)]
    pub begin_checkpoint: Option<WireTime>,
    /// Newest change data held, as `begin_checkpoint`.
    #[serde(default)]
    pub end_checkpoint: Option<WireTime>,
}

/// An Incr-Sync or Full-Import connector component.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ConnectorItem {
    /// `host-port:connector_v2:<project>-<sub-task>:<seq>`; also the CM `taskName`.
    #[serde(default, deserialize_with = "null_default")]
    pub name: String,
    #[serde(default, deserialize_with = "null_default")]
    pub identity: String,
    #[serde(default, deserialize_with = "null_default")]
    pub ip: String,
    #[serde(default, deserialize_with = "null_default")]
    pub region: String,
    /// RUNNING and EXCEPTION in the docs' examples; the full list is not documented.
    #[serde(default, deserialize_with = "null_default")]
    pub status: String,
    /// A zone-less timestamp such as `2023-07-13T09:19:53` in the docs' example.
    #[serde(default)]
    pub checkpoint: Option<WireTime>,
    /// Epoch seconds.
    #[serde(default)]
    pub checkpoint_sample_timestamp: Option<WireTime>,
    /// Seconds.
    #[serde(default, deserialize_with = "lenient_f64")]
    pub delay: Option<f64>,
    #[serde(default, deserialize_with = "null_default")]
    pub error_details: Vec<Value>,
    #[serde(default)]
    pub gmt_create: Option<WireTime>,
    #[serde(default)]
    pub gmt_modify: Option<WireTime>,
}

/// An instant as OMS writes it: epoch seconds (number or string of digits) or a zone-less
/// wall time. Which one a field uses is not always documented.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(untagged)]
pub enum WireTime {
    Int(i64),
    Float(f64),
    Text(String),
}

/// The body of `ResetIncrStartTimestamp`: `reverse: false` moves the forward Incr-Sync.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ResetIncrStartTimestampRequest {
    pub id: String,
    pub reverse: bool,
    /// Epoch seconds.
    pub start_timestamp: i64,
}

/// A cluster manager's answer to `/connector/task/v2/stop` and `/resume`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CmAnswer {
    #[serde(default, deserialize_with = "lenient_string")]
    pub err_code: Option<String>,
    #[serde(default, deserialize_with = "lenient_string")]
    pub err_msg: Option<String>,
    #[serde(default)]
    pub error_detail: Option<Value>,
    #[serde(default)]
    pub is_success: Option<bool>,
    /// The task name on success.
    #[serde(default)]
    pub result: Option<Value>,
    #[serde(default)]
    pub retryable: Option<bool>,
}

fn null_default<'de, D: Deserializer<'de>, T: Deserialize<'de> + Default>(
    d: D,
) -> Result<T, D::Error> {
    Ok(Option::<T>::deserialize(d)?.unwrap_or_default())
}

fn lenient_string<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    Ok(match Option::<Value>::deserialize(d)? {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(s),
        Some(other) => Some(other.to_string()),
    })
}

fn lenient_f64<'de, D: Deserializer<'de>>(d: D) -> Result<Option<f64>, D::Error> {
    Ok(match Option::<Value>::deserialize(d)? {
        Some(Value::Number(n)) => n.as_f64(),
        Some(Value::String(s)) => s.trim().parse().ok(),
        _ => None,
    })
}

fn lenient_u64<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u64>, D::Error> {
    Ok(match Option::<Value>::deserialize(d)? {
        Some(Value::Number(n)) => n.as_u64(),
        Some(Value::String(s)) => s.trim().parse().ok(),
        _ => None,
    })
}

/// Text of OMS `errorDetails` items: strings as they are; objects by their first message-like
/// field (the item shape is not documented for components), else as JSON.
pub fn error_text(item: &Value) -> String {
    match item {
        Value::String(s) => s.clone(),
        Value::Object(map) => ["message", "errorMsg", "errMsg", "msg", "reason"]
            .iter()
            .find_map(|key| map.get(*key).and_then(Value::as_str))
            .map_or_else(|| item.to_string(), str::to_string),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_documented_describe_answer_decodes() {
        let json = r#"{"success":true,"errorDetail":null,"code":null,"message":null,
            "advice":null,"requestId":"a7b5","pageNumber":null,"pageSize":null,
            "totalCount":null,"cost":"27 ms","data":{
              "storeList":[{"name":"10.0.0.1-7145:OB_MYSQL_np_4w3a8kz1:0000000097","ip":"10.0.0.1",
                "region":"hz","delay":"3","gmt":1689240000,"status":"RUNNING",
                "errorDetails":[],"beginCheckpoint":"2023-07-13T08:00:00",
                "endCheckpoint":"2023-07-13T09:20:00","extra":1}],
              "incrSyncComponents":[{"name":"10.0.0.12-9000:connector_v2:np_4w3a8kz1-incr_trans-1-0:0000000001",
                "ip":"10.0.0.12","region":"hz","status":"EXCEPTION","checkpoint":"2023-07-13T09:19:53",
                "checkpointSampleTimestamp":"1689239993","delay":2.5,"errorDetails":["boom",{"message":"bang"}],
                "subtopics":["a"],"gmtModify":null}],
              "fullImportComponents":null}}"#;
        let envelope: Envelope<DescribeData> =
            serde_json::from_str(json).expect("documented shape decodes");
        assert_eq!(envelope.success, Some(true));
        assert_eq!(envelope.cost.as_deref(), Some("27 ms"));
        let data = envelope.data.expect("data");
        assert_eq!(data.store_list[0].delay, Some(3.0));
        assert_eq!(
            data.store_list[0].begin_checkpoint,
            Some(WireTime::Text("2023-07-13T08:00:00".into()))
        );
        let incr = &data.incr_sync_components[0];
        assert_eq!(incr.delay, Some(2.5));
        assert_eq!(
            incr.checkpoint_sample_timestamp,
            Some(WireTime::Text("1689239993".into()))
        );
        let errors: Vec<String> = incr.error_details.iter().map(error_text).collect();
        assert_eq!(errors, ["boom", "bang"]);
        assert!(data.full_import_components.is_empty());
    }

    #[test]
    fn a_refusal_keeps_code_message_and_advice() {
        let json = r#"{"success":false,"code":"GHANA-OPERAT0001","message":"no","advice":"wait",
            "totalCount":"7","data":null}"#;
        let envelope: Envelope<Vec<ProjectItem>> = serde_json::from_str(json).expect("decodes");
        assert_eq!(envelope.success, Some(false));
        assert_eq!(envelope.code.as_deref(), Some("GHANA-OPERAT0001"));
        assert_eq!(envelope.advice.as_deref(), Some("wait"));
        assert_eq!(envelope.total_count, Some(7));
        assert!(envelope.data.is_none());
    }

    #[test]
    fn requests_are_lower_camel_case() {
        let reset = ResetIncrStartTimestampRequest {
            id: "np_1".into(),
            reverse: false,
            start_timestamp: 1_689_239_993,
        };
        assert_eq!(
            serde_json::to_value(&reset).ok(),
            Some(serde_json::json!({"id":"np_1","reverse":false,"startTimestamp":1_689_239_993}))
        );
        let list = ListProjectsRequest {
            search_key: None,
            kind: None,
            status: Vec::new(),
            page_number: 2,
            page_size: MAX_PAGE_SIZE,
        };
        assert_eq!(
            serde_json::to_value(&list).ok(),
            Some(serde_json::json!({"pageNumber":2,"pageSize":150}))
        );
    }
}
