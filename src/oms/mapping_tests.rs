use serde_json::json;

use super::*;

fn utc() -> Zone {
    "UTC".parse().unwrap_or_default()
}

fn at(text: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(text)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

fn project() -> ProjectItem {
    ProjectItem {
        id: "np_4w3a8kz1".into(),
        name: "orders".into(),
        status: "RUNNING".into(),
        kind: "SYNC".into(),
    }
}

fn data(value: serde_json::Value) -> DescribeData {
    serde_json::from_value(value).unwrap_or_default()
}

fn sample() -> DescribeData {
    data(json!({
        "storeList": [
            {"name": "store-hz", "region": "hz", "beginCheckpoint": "2026-11-24T06:00:00",
             "endCheckpoint": "2026-11-24T10:00:00"},
            {"name": "store-sh", "region": "sh", "beginCheckpoint": 1_795_500_000,
             "endCheckpoint": "1795516200"}
        ],
        "incrSyncComponents": [
            {"name": "10.0.0.12-9000:connector_v2:np_4w3a8kz1-incr_trans-1-0:0000000001",
             "ip": "10.0.0.12", "region": "sh", "status": "running",
             "checkpoint": "2026-11-24T09:00:00", "checkpointSampleTimestamp": 1_795_510_000,
             "delay": 2.5, "gmtModify": "2026-11-24T09:59:00"}
        ],
        "fullImportComponents": [
            {"name": "full-import-7", "ip": "10.0.0.13", "status": "EXCEPTION",
             "checkpoint": "2026-11-24T08:00:00", "errorDetails": ["disk full", {"message": "retry later"}]},
            {"name": "", "status": "RUNNING"}
        ]
    }))
}

#[test]
fn statuses_map_case_insensitively_and_unknown_words_are_kept() {
    use WriterStatus::*;
    for (word, status) in [
        ("RUNNING", Running),
        ("init", Starting),
        ("Resuming", Starting),
        ("STOPPING", Pausing),
        ("SUSPENDING", Pausing),
        ("SUSPEND", Stopped),
        ("paused", Stopped),
        ("EXCEPTION", Failed),
        ("error", Failed),
    ] {
        assert_eq!(map_status(word), OmsStatus::Known(status), "{word}");
    }
    for word in ["MONITORING", "UNKNOWN", "FINISHED", ""] {
        assert_eq!(map_status(word), OmsStatus::Unknown(word.into()));
    }
}

#[test]
fn names_keep_the_sub_task_of_the_documented_shape_only() {
    assert_eq!(
        subtask_name("10.0.0.12-9000:connector_v2:np_4w3a8kz1-incr_trans-1-0:0000000001"),
        "np_4w3a8kz1-incr_trans-1-0"
    );
    for other in [
        "full-import-7",
        "a:connector_v2:b",
        "a:other:b:c",
        ":connector_v2:b:c",
    ] {
        assert_eq!(subtask_name(other), other);
    }
}

#[test]
fn one_writer_per_named_component_with_region_store_and_checkpoint() {
    let writers = writers_of(&project(), &sample(), &utc());
    assert_eq!(writers.len(), 2);
    let incr = &writers[0].writer;
    assert_eq!(incr.name, "np_4w3a8kz1-incr_trans-1-0");
    assert_eq!(incr.kind, WriterKind::Incremental);
    assert_eq!(incr.status, WriterStatus::Running);
    assert_eq!(
        (incr.region.as_str(), incr.store.id.as_str()),
        ("sh", "store-sh")
    );
    assert_eq!(incr.checkpoint, DateTime::from_timestamp(1_795_510_000, 0));
    assert_eq!(
        incr.store.latest,
        DateTime::from_timestamp(1_795_516_200, 0).unwrap_or_default()
    );
    assert_eq!(incr.latency_ms, Some(2_500));
    assert_eq!(Some(incr.updated_at), at("2026-11-24T09:59:00Z"));
    assert_eq!(incr.project.name, "orders");

    let full = &writers[1];
    assert_eq!(full.status, OmsStatus::Known(WriterStatus::Failed));
    assert_eq!(full.writer.name, "full-import-7");
    assert_eq!(
        full.writer.region, "hz",
        "no region of its own: the first store's"
    );
    assert_eq!(full.writer.checkpoint, at("2026-11-24T08:00:00Z"));
    assert_eq!(Some(full.writer.store.earliest), at("2026-11-24T06:00:00Z"));
    assert_eq!(
        full.writer.message.as_deref(),
        Some("disk full; retry later")
    );
}

#[test]
fn zone_less_times_are_read_in_the_oms_zone() {
    let shanghai: Zone = "Asia/Shanghai".parse().unwrap_or_default();
    let writers = writers_of(&project(), &sample(), &shanghai);
    assert_eq!(writers[1].writer.checkpoint, at("2026-11-24T00:00:00Z"));
    assert_eq!(
        wire_time(&WireTime::Text("2026-11-24 08:00:00.5".into()), &shanghai),
        at("2026-11-24T00:00:00.5Z")
    );
    assert_eq!(
        wire_time(&WireTime::Int(1_795_516_200_000), &utc()),
        at("2026-11-24T10:30:00Z")
    );
    for nothing in [
        WireTime::Int(0),
        WireTime::Text("soon".into()),
        WireTime::Float(-1.0),
    ] {
        assert_eq!(wire_time(&nothing, &utc()), None);
    }
}

#[test]
fn unknown_statuses_are_kept_as_oms_says_them() {
    let described = data(json!({"incrSyncComponents": [{"name": "x", "status": "MONITORING"}]}));
    let writers = writers_of(&project(), &described, &utc());
    assert_eq!(writers[0].status, OmsStatus::Unknown("MONITORING".into()));
    assert_eq!(writers[0].writer.status, WriterStatus::Unknown);
    assert_eq!(
        writers[0].writer.backend_status.as_deref(),
        Some("MONITORING")
    );
    assert_eq!(writers[0].writer.store.id, "", "no store: empty id");
}

#[test]
fn versions_ignore_what_moves_while_running_and_see_changes_of_state() {
    let version = |status: &str, checkpoint: i64, delay: f64, end: &str| {
        let described = data(json!({
            "storeList": [{"name": "s", "beginCheckpoint": "2026-11-24T06:00:00", "endCheckpoint": end}],
            "incrSyncComponents": [{"name": "c", "status": status,
                "checkpointSampleTimestamp": checkpoint, "delay": delay}]
        }));
        writers_of(&project(), &described, &utc())[0].writer.version
    };
    let base = version("RUNNING", 1_795_510_000, 1.0, "2026-11-24T10:00:00");
    assert_eq!(
        base,
        version("RUNNING", 1_795_510_060, 4.0, "2026-11-24T10:01:00")
    );
    assert_ne!(
        base,
        version("STOPPED", 1_795_510_000, 1.0, "2026-11-24T10:00:00")
    );
    let stopped = version("STOPPED", 1_795_510_000, 1.0, "2026-11-24T10:00:00");
    assert_ne!(
        stopped,
        version("STOPPED", 1_795_500_000, 1.0, "2026-11-24T10:00:00")
    );
    assert_eq!(
        base,
        version("running", 1_795_510_000, 1.0, "2026-11-24T10:00:00")
    );
}

#[test]
fn the_hash_is_fnv1a_64() {
    let hash = |bytes: &[u8]| {
        let mut h = Fnv1a::new();
        h.write(bytes);
        h.0
    };
    assert_eq!(hash(b""), 0xcbf2_9ce4_8422_2325);
    assert_eq!(hash(b"a"), 0xaf63_dc4c_8601_ec8c);
}
