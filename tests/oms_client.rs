//! `jwctl::oms` against a stand-in OMS built from OMS's public documentation (see
//! `support/oms_standin.rs`): mapping, paging, faults, CM calls and the retry policy.

#[path = "support/oms_standin.rs"]
mod oms_standin;

use std::time::{Duration, Instant};

use chrono::DateTime;
use jwctl::domain::{WriterKind, WriterStatus, Zone};
use jwctl::oms::{OmsClient, OmsError, OmsStatus, Secret, poll_fleet};
use oms_standin::{NOW, OmsStandin, PASSWORD, USER};
use serde_json::json;

const BUDGET: Duration = Duration::from_secs(5);

fn client(standin: &OmsStandin) -> OmsClient {
    OmsClient::new(&standin.config(BUDGET)).expect("valid stand-in URL")
}

/// The CM of `region`, found the way a backend would: through the configuration.
fn cm(standin: &OmsStandin, region: &str) -> String {
    let config = standin.config(BUDGET);
    config.cm_url(region).expect("a CM per region").to_string()
}

fn zone(name: &str) -> Zone {
    name.parse().expect("a known zone")
}

#[tokio::test]
async fn a_small_fleet_maps_statuses_regions_stores_and_checkpoints() {
    let standin = OmsStandin::start(10, &["hz", "sh"]).await;
    let projects = standin.projects();
    let odd = &projects[4].incr[0].name;
    assert!(standin.edit_component(odd, |c| c.status = "MONITORING".into()));

    let config = standin.config(BUDGET);
    let poll = poll_fleet(&client(&standin), &config).await.expect("poll");
    assert_eq!((poll.projects, poll.writers.len()), (10, 20));
    assert!(poll.failed.is_empty(), "{:?}", poll.failed);

    let by_id = |id: &str| {
        poll.writers
            .iter()
            .find(|w| w.writer.id == id)
            .expect("every component is a writer")
    };
    let unknown = by_id(odd);
    assert_eq!(unknown.status, OmsStatus::Unknown("MONITORING".into()));
    assert_eq!(unknown.writer.status, WriterStatus::Unknown);
    assert_eq!(unknown.writer.backend_status.as_deref(), Some("MONITORING"));

    let stopped = by_id(&projects[3].incr[0].name);
    assert_eq!(stopped.status, OmsStatus::Known(WriterStatus::Stopped));
    let failed = by_id(&projects[6].full[0].name);
    assert_eq!(failed.writer.status, WriterStatus::Failed);
    assert_eq!(
        failed.writer.message.as_deref(),
        Some("Table orders_2024 not found in the target")
    );

    let incr = by_id(&projects[1].incr[0].name);
    let project = &projects[1];
    assert_eq!(incr.writer.kind, WriterKind::Incremental);
    assert_eq!(incr.writer.region, "sh");
    assert_eq!(incr.writer.name, format!("{}-incr_trans-1-0", project.id));
    assert_eq!(
        (
            incr.writer.project.id.as_str(),
            incr.writer.project.name.as_str()
        ),
        (project.id.as_str(), project.name.as_str())
    );
    assert_eq!(incr.writer.server_ip, project.incr[0].ip);
    assert_eq!(incr.writer.store.id, project.store);
    assert_eq!(
        incr.writer.store.earliest,
        DateTime::from_timestamp(NOW - 4 * 3_600, 0).expect("valid")
    );
    assert_eq!(
        incr.writer.store.latest,
        DateTime::from_timestamp(NOW, 0).expect("valid")
    );
    assert_eq!(incr.writer.checkpoint, DateTime::from_timestamp(NOW - 3, 0));
    assert_eq!(incr.writer.latency_ms, Some(2_000));

    let full = by_id(&project.full[0].name);
    assert_eq!(full.writer.kind, WriterKind::Full);
    assert_eq!(
        full.writer.checkpoint,
        DateTime::from_timestamp(NOW - 3_600, 0)
    );

    // Zone-less text moves with the OMS zone; epoch seconds do not.
    let mut shanghai = config.clone();
    shanghai.zone = zone("+08:00");
    let poll = poll_fleet(&client(&standin), &shanghai)
        .await
        .expect("poll");
    let find = |id: &str| {
        poll.writers
            .iter()
            .find(|w| w.writer.id == id)
            .expect("writer")
    };
    assert_eq!(
        find(&project.full[0].name).writer.checkpoint,
        DateTime::from_timestamp(NOW - 3_600 - 8 * 3_600, 0)
    );
    assert_eq!(
        find(&project.incr[0].name).writer.checkpoint,
        DateTime::from_timestamp(NOW - 3, 0)
    );
}

#[tokio::test]
async fn paging_goes_past_150_projects() {
    let standin = OmsStandin::start(320, &["hz"]).await;
    let projects = client(&standin).list_all_projects().await.expect("list");
    assert_eq!(projects.len(), 320);
    let ids: std::collections::HashSet<_> = projects.iter().map(|p| p.id.clone()).collect();
    assert_eq!(ids.len(), 320, "no project twice");
    let pages: Vec<_> = standin
        .calls_to("ListProjects")
        .iter()
        .map(|c| c.body.clone())
        .collect();
    assert_eq!(
        pages,
        [1, 2, 3].map(|n| json!({"pageNumber": n, "pageSize": 150}))
    );
}

#[tokio::test]
async fn one_failing_describe_does_not_stop_the_poll() {
    let standin = OmsStandin::start(6, &["hz"]).await;
    let broken = standin.projects()[2].id.clone();
    standin.refuse(
        "DescribeProjectComponents",
        Some(&broken),
        "GHANA-OPERAT0042",
        "project is being released",
        "Wait until it is released.",
    );
    let poll = poll_fleet(&client(&standin), &standin.config(BUDGET))
        .await
        .expect("poll");
    assert_eq!(poll.writers.len(), 10);
    assert_eq!(poll.failed.len(), 1);
    assert_eq!(poll.failed[0].0, broken);
    assert!(
        poll.failed[0].1.contains("GHANA-OPERAT0042"),
        "{}",
        poll.failed[0].1
    );
    assert_eq!(standin.calls_to("DescribeProjectComponents").len(), 6);
}

#[tokio::test]
async fn wrong_credentials_are_unauthorized_and_the_password_is_never_shown() {
    let standin = OmsStandin::start(1, &["hz"]).await;
    let mut config = standin.config(BUDGET);
    config.password = Secret::new("not-the-password");
    let err = OmsClient::new(&config)
        .expect("client")
        .list_projects_page(1)
        .await
        .err();
    assert!(
        matches!(err, Some(OmsError::Unauthorized { status: 401, .. })),
        "{err:?}"
    );
    let text = err.map(|e| e.to_string()).unwrap_or_default();
    assert!(
        text.contains("--oms-user") && text.contains("password file"),
        "{text}"
    );
    assert!(
        !text.contains("not-the-password") && !format!("{config:?}").contains("not-the-password")
    );
    assert_eq!(
        standin.calls_to("ListProjects").len(),
        1,
        "a 401 is not retried"
    );
    assert!(!USER.is_empty() && !PASSWORD.is_empty());
}

#[tokio::test]
async fn success_false_is_refused_with_omss_words() {
    let standin = OmsStandin::start(2, &["hz"]).await;
    standin.refuse(
        "ListProjects",
        None,
        "PARAM_ERROR",
        "pageSize too large",
        "Use at most 150.",
    );
    let err = client(&standin).list_projects_page(1).await.err();
    assert_eq!(
        err,
        Some(OmsError::Refused {
            action: "ListProjects".into(),
            code: "PARAM_ERROR".into(),
            message: "pageSize too large".into(),
            advice: "Use at most 150.".into(),
        })
    );
}

#[tokio::test]
async fn a_slow_oms_times_out_within_the_budget_it_states() {
    let standin = OmsStandin::start(1, &["hz"]).await;
    standin.set_delay(Duration::from_secs(5));
    let budget = Duration::from_millis(300);
    let client = OmsClient::new(&standin.config(budget)).expect("client");
    let started = Instant::now();
    let err = client.describe_project_components("np_x").await.err();
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(
        err,
        Some(OmsError::Timeout {
            action: "DescribeProjectComponents".into(),
            budget
        })
    );
    let text = err.map(|e| e.to_string()).unwrap_or_default();
    assert!(text.contains("0.3s"), "{text}");
}

#[tokio::test]
async fn dropped_connections_are_unavailable_reads_retry_once_mutations_never() {
    let standin = OmsStandin::start(1, &["hz"]).await;
    let project = standin.projects()[0].id.clone();
    standin.drop_connections(true);
    let client = client(&standin);
    let err = client.describe_project_components(&project).await.err();
    assert!(matches!(err, Some(OmsError::Unavailable { .. })), "{err:?}");
    assert_eq!(standin.dropped(), 2, "a read is tried twice");
    let err = client
        .reset_incr_start_timestamp(&project, NOW - 60)
        .await
        .err();
    assert!(matches!(err, Some(OmsError::Unavailable { .. })), "{err:?}");
    assert_eq!(standin.dropped(), 3, "a mutation is tried once");
    standin.drop_connections(false);
    assert!(client.describe_project_components(&project).await.is_ok());
}

#[tokio::test]
async fn after_a_500_reads_are_retried_once_and_mutations_are_not() {
    let standin = OmsStandin::start(1, &["hz"]).await;
    let project = standin.projects()[0].clone();
    let task = project.incr[0].name.clone();
    let client = client(&standin);
    for target in [
        "DescribeProjectComponents",
        "ResetIncrStartTimestamp",
        "stop",
        "resume",
    ] {
        standin.fail_with_500(target);
    }
    let describe = client.describe_project_components(&project.id).await;
    let reset = client
        .reset_incr_start_timestamp(&project.id, NOW - 60)
        .await;
    let stop = client.cm_stop(&cm(&standin, "hz"), &task).await;
    let resume = client.cm_resume(&cm(&standin, "hz"), &task, true).await;
    for result in [describe.err(), reset.err(), stop.err(), resume.err()] {
        assert!(
            matches!(result, Some(OmsError::Unavailable { .. })),
            "{result:?}"
        );
    }
    let counts = [
        "DescribeProjectComponents",
        "ResetIncrStartTimestamp",
        "stop",
        "resume",
    ]
    .map(|target| standin.calls_to(target).len());
    assert_eq!(counts, [2, 1, 1, 1]);
}

#[tokio::test]
async fn cm_stop_and_resume_go_to_the_writers_region() {
    let standin = OmsStandin::start(4, &["hz", "sh"]).await;
    let project = standin.projects()[1].clone();
    let task = project.incr[0].name.clone();
    assert_eq!(project.region, "sh");
    let client = client(&standin);

    client
        .cm_stop(&cm(&standin, "sh"), &task)
        .await
        .expect("stop");
    assert_eq!(
        standin.component(&task).map(|c| c.status),
        Some("STOPPED".into())
    );
    client
        .cm_resume(&cm(&standin, "sh"), &task, false)
        .await
        .expect("resume");
    assert_eq!(
        standin.component(&task).map(|c| c.status),
        Some("RUNNING".into())
    );

    let wrong = client.cm_stop(&cm(&standin, "hz"), &task).await.err();
    assert!(
        matches!(&wrong, Some(OmsError::Refused { code, .. }) if code == "TASK_NOT_FOUND"),
        "{wrong:?}"
    );

    let calls: Vec<_> = standin
        .calls()
        .into_iter()
        .map(|c| (c.target, c.region, c.query.into_iter().collect::<Vec<_>>()))
        .collect();
    let task_only = vec![("taskName".to_string(), task.clone())];
    assert_eq!(
        calls,
        [
            (
                "stop".to_string(),
                Some("sh".to_string()),
                task_only.clone()
            ),
            (
                "resume".to_string(),
                Some("sh".to_string()),
                task_only.clone()
            ),
            ("stop".to_string(), Some("hz".to_string()), task_only),
        ]
    );
}

#[tokio::test]
async fn replay_is_a_reset_then_a_pull_back_resume() {
    let standin = OmsStandin::start(2, &["hz"]).await;
    let project = standin.projects()[0].clone();
    let task = project.incr[0].name.clone();
    let client = client(&standin);
    let at = NOW - 1_800;

    client
        .cm_stop(&cm(&standin, "hz"), &task)
        .await
        .expect("stop");
    let ticket = client
        .reset_incr_start_timestamp(&project.id, at)
        .await
        .expect("reset");
    assert_eq!(ticket.as_deref(), Some("ticket_1"));
    client
        .cm_resume(&cm(&standin, "hz"), &task, true)
        .await
        .expect("resume");

    let reset = standin.calls_to("ResetIncrStartTimestamp");
    assert_eq!(reset.len(), 1);
    assert_eq!(
        reset[0].body,
        json!({"id": project.id, "reverse": false, "startTimestamp": at})
    );
    let resume = standin.calls_to("resume");
    assert_eq!(
        resume[0].query.get("pullBackFlag").map(String::as_str),
        Some("true")
    );

    let described = client
        .describe_project_components(&project.id)
        .await
        .expect("describe");
    let writers = jwctl::oms::writers_of(&standin_project_item(&project), &described, &zone("UTC"));
    let incr = writers
        .iter()
        .find(|w| w.writer.id == task)
        .expect("incr writer");
    assert_eq!(incr.writer.status, WriterStatus::Running);
    assert_eq!(incr.writer.checkpoint, DateTime::from_timestamp(at, 0));
}

fn standin_project_item(project: &oms_standin::Project) -> jwctl::oms::wire::ProjectItem {
    jwctl::oms::wire::ProjectItem {
        id: project.id.clone(),
        name: project.name.clone(),
        status: "RUNNING".into(),
        kind: "SYNC".into(),
    }
}

/// A measurement, not a limit: one poll of 1,000 projects (2,000 writers) against the
/// stand-in, printed for `--nocapture`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_projects_poll() {
    let standin = OmsStandin::start(1_000, &["hz", "sh", "sz"]).await;
    let poll = poll_fleet(&client(&standin), &standin.config(BUDGET))
        .await
        .expect("poll");
    assert_eq!(
        (poll.projects, poll.writers.len(), poll.failed.len()),
        (1_000, 2_000, 0)
    );
    assert_eq!(standin.calls_to("ListProjects").len(), 7);
    println!("poll of 1,000 projects took {:?}", poll.took);
}

/// Something at the OMS URL that answers without end (not the stand-in: a raw HTTP answer
/// streamed until the client hangs up). The client stops reading and says so.
#[tokio::test]
async fn an_endless_answer_is_cut_off_and_said() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let address = listener.local_addr().expect("address");
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut request = [0_u8; 4096];
                let _ = socket.read(&mut request).await;
                let head = "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n\
                            transfer-encoding: chunked\r\n\r\n";
                if socket.write_all(head.as_bytes()).await.is_err() {
                    return;
                }
                let chunk = format!("100000\r\n{}\r\n", " ".repeat(0x10_0000));
                while socket.write_all(chunk.as_bytes()).await.is_ok() {}
            });
        }
    });
    let standin = OmsStandin::start(1, &["hz"]).await;
    let mut config = standin.config(Duration::from_secs(60));
    config.url = format!("http://{address}");
    let client = OmsClient::new(&config).expect("client");
    let err = client.describe_project_components("np_x").await.err();
    let text = err.map(|e| e.to_string()).unwrap_or_default();
    assert!(text.contains("larger than 64 MiB"), "{text}");
}
