//! `GET /v1/deployment` names the controller processes serving the state: with SQLite, this
//! one process, leading since it started.

mod common;

use std::time::Duration;

use chrono::Duration as Span;
use common::Options;

fn options() -> Options {
    Options {
        demo_fleet: Some(10),
        regions: 1,
        transition: Duration::ZERO,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_one_replica_is_this_process_and_leads_since_it_started() {
    let controller = common::controller(options()).await;
    let deployment = controller.client().deployment().await.unwrap();
    let [replica] = deployment.replicas.as_slice() else {
        panic!("not one replica: {:?}", deployment.replicas);
    };
    assert!(replica.leader);
    assert_eq!(replica.pid, std::process::id());
    assert_eq!(
        format!("http://{}", replica.listen),
        controller.handle.url().trim_end_matches('/')
    );
    assert_eq!(replica.id.len(), 16, "{}", replica.id);
    assert!(replica.id.bytes().all(|b| b.is_ascii_hexdigit()));
    assert!(!replica.host.is_empty());
    assert_eq!(replica.started, common::t0());
    assert_eq!(replica.leader_since, Some(replica.started));
    assert_eq!(replica.last_seen, common::t0());

    controller.clock.advance(Span::seconds(30));
    let later = controller.client().deployment().await.unwrap();
    assert_eq!(
        later.replicas[0].last_seen,
        common::t0() + Span::seconds(30)
    );
    assert_eq!(later.replicas[0].started, common::t0());

    let first_id = replica.id.clone();
    let restarted = controller.restart(options()).await;
    let after = restarted.client().deployment().await.unwrap();
    assert_eq!(after.replicas.len(), 1);
    assert_ne!(after.replicas[0].id, first_id, "a new process, a new id");
}
