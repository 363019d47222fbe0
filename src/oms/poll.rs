//! One poll of the whole fleet: every project, then each project's components with bounded
//! concurrency. A project whose describe fails is reported, not fatal.

use std::time::{Duration, Instant};

use futures_util::stream::{self, StreamExt};

use super::client::{OmsClient, OmsError};
use super::config::OmsConfig;
use super::mapping::{MappedWriter, writers_of};

/// What one poll found.
#[derive(Debug, Clone)]
pub struct PollResult {
    /// Every writer of every project described.
    pub writers: Vec<MappedWriter>,
    /// Projects whose `DescribeProjectComponents` failed: (project id, error message).
    pub failed: Vec<(String, String)>,
    /// How many projects `ListProjects` returned.
    pub projects: usize,
    /// How long the poll took.
    pub took: Duration,
}

/// Lists all projects and describes each, `config.concurrency` at a time (at least one).
/// Fails only when the project list cannot be read.
pub async fn poll_fleet(client: &OmsClient, config: &OmsConfig) -> Result<PollResult, OmsError> {
    let started = Instant::now();
    let projects = client.list_all_projects().await?;
    let count = projects.len();
    let described: Vec<_> = stream::iter(projects)
        .map(|project| async move {
            let components = client.describe_project_components(&project.id).await;
            (project, components)
        })
        .buffer_unordered(config.concurrency.max(1))
        .collect()
        .await;
    let mut writers = Vec::new();
    let mut failed = Vec::new();
    for (project, components) in described {
        match components {
            Ok(components) => writers.extend(writers_of(&project, &components, &config.zone)),
            Err(e) => failed.push((project.id, e.to_string())),
        }
    }
    writers.sort_by(|a, b| a.writer.id.cmp(&b.writer.id));
    failed.sort();
    Ok(PollResult {
        writers,
        failed,
        projects: count,
        took: started.elapsed(),
    })
}
