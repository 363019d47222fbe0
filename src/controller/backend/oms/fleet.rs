//! The writers as OMS described them, kept in memory by every replica, and how the change
//! feed sees one.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono::{DateTime, Utc};

use crate::controller::backend::WriterView;
use crate::controller::store::OmsProject;
use crate::domain::{SharedStr, Writer, WriterStatus};
use crate::oms::MappedWriter;

/// The writers as OMS last described them.
#[derive(Debug, Default)]
pub(super) struct OmsFleet {
    /// The last writers seen of each project (kept when a describe fails).
    by_project: BTreeMap<String, Vec<Writer>>,
    /// Projects whose last describe failed, and why.
    pub failed: BTreeMap<String, String>,
    /// Every writer, by name, and their positions by id.
    pub writers: Vec<Writer>,
    index: HashMap<String, usize>,
    pub regions: Vec<String>,
    pub last_poll: Option<DateTime<Utc>>,
    /// How many times projects were taken in outside a poll (described after an operation
    /// here, or stored by another replica).
    described_alone: u64,
    /// The projects taken in outside a poll since the last poll was, with the count then: a
    /// poll that began before must not put back what it saw of them.
    fresher_than_poll: HashMap<String, u64>,
}

impl OmsFleet {
    /// Where the fleet stands before a poll: give it to [`OmsFleet::update_polled`].
    pub(super) fn poll_begins(&self) -> u64 {
        self.described_alone
    }

    /// Takes in what a poll that began at `began` (from [`OmsFleet::poll_begins`]) described,
    /// except the projects taken in one at a time since: those are fresher.
    pub(super) fn update_polled(
        &mut self,
        mut described: BTreeMap<String, Vec<Writer>>,
        mut failed: Vec<(String, String)>,
        began: u64,
    ) {
        let fresher = std::mem::take(&mut self.fresher_than_poll);
        let stale = |project: &String| fresher.get(project).is_some_and(|&at| at > began);
        described.retain(|project, _| !stale(project));
        failed.retain(|(project, _)| !stale(project));
        self.take(described, failed);
    }

    /// Takes in the writers of `projects` (described now) and the projects that failed,
    /// fresher than any poll under way; the others keep what was seen of them.
    pub(super) fn update(
        &mut self,
        described: BTreeMap<String, Vec<Writer>>,
        failed: Vec<(String, String)>,
    ) {
        self.described_alone += 1;
        for project in described
            .keys()
            .chain(failed.iter().map(|(project, _)| project))
        {
            self.fresher_than_poll
                .insert(project.clone(), self.described_alone);
        }
        self.take(described, failed);
    }

    fn take(&mut self, described: BTreeMap<String, Vec<Writer>>, failed: Vec<(String, String)>) {
        for (project, writers) in described {
            self.failed.remove(&project);
            self.by_project.insert(project, writers);
        }
        for (project, error) in failed {
            self.failed.insert(project, error);
        }
        let mut writers: Vec<Writer> = self
            .by_project
            .iter()
            .flat_map(|(project, writers)| {
                let stale = self.failed.get(project);
                writers.iter().cloned().map(move |mut writer| {
                    if let Some(error) = stale {
                        // OMS's own message stays; the note comes first.
                        let note = format!(
                            "shown as last seen: OMS could not describe project {project} in \
                             the last poll ({error})"
                        );
                        writer.message = Some(match writer.message.take() {
                            Some(oms) => format!("{note}; {oms}").into(),
                            None => note.into(),
                        });
                    }
                    writer
                })
            })
            .collect();
        writers.sort_by(|a, b| a.name.cmp(&b.name).then_with(|| a.id.cmp(&b.id)));
        self.index = writers
            .iter()
            .enumerate()
            .map(|(at, w)| (w.id.clone(), at))
            .collect();
        let regions: BTreeSet<String> = writers
            .iter()
            .map(|w| w.region.to_string())
            .filter(|r| !r.is_empty())
            .collect();
        self.regions = regions.into_iter().collect();
        self.writers = writers;
    }

    /// Every project there are writers of.
    pub(super) fn project_ids(&self) -> Vec<String> {
        self.by_project.keys().cloned().collect()
    }

    /// `projects` as the other replicas take them in: each one's writers as last seen, and
    /// why its last describe failed.
    pub(super) fn shared<'a>(
        &self,
        projects: impl IntoIterator<Item = &'a str>,
    ) -> Vec<OmsProject> {
        projects
            .into_iter()
            .filter_map(|id| {
                let writers = self.by_project.get(id)?;
                Some(OmsProject {
                    id: id.to_string(),
                    writers: serde_json::to_vec(writers).ok()?,
                    failed: self.failed.get(id).cloned(),
                    revision: 0,
                })
            })
            .collect()
    }

    /// Takes in `projects` as another replica shared them; one that cannot be read is left
    /// as it was, and logged.
    pub(super) fn take_in(&mut self, projects: &[OmsProject]) {
        let mut described = BTreeMap::new();
        let mut failed = Vec::new();
        for project in projects {
            match serde_json::from_slice::<Vec<Writer>>(&project.writers) {
                Ok(writers) => {
                    described.insert(project.id.clone(), writers);
                    if let Some(error) = &project.failed {
                        failed.push((project.id.clone(), error.clone()));
                    }
                }
                Err(error) => tracing::warn!(
                    project = %project.id, %error,
                    "the writers another replica stored for a project cannot be read; kept as \
                     they were"
                ),
            }
        }
        self.update(described, failed);
    }

    pub(super) fn get(&self, id: &str) -> Option<&Writer> {
        self.index.get(id).and_then(|&at| self.writers.get(at))
    }
}

/// Groups mapped writers by project.
pub(super) fn by_project(mapped: Vec<MappedWriter>) -> BTreeMap<String, Vec<Writer>> {
    let mut grouped: BTreeMap<String, Vec<Writer>> = BTreeMap::new();
    for m in mapped {
        grouped
            .entry(m.writer.project.id.to_string())
            .or_default()
            .push(m.writer);
    }
    grouped
}

/// An OMS writer as the change feed sees it.
pub(super) struct OmsView<'a>(pub &'a Writer);

impl WriterView for OmsView<'_> {
    fn id(&self) -> &str {
        &self.0.id
    }

    fn region(&self) -> &SharedStr {
        &self.0.region
    }

    /// The version (a hash of every field but progress) mixed with the message, which also
    /// carries the note on projects the last poll could not describe.
    fn stamp(&self) -> u64 {
        use std::hash::{Hash, Hasher};
        let mut hasher = std::collections::hash_map::DefaultHasher::new();
        self.0.version.hash(&mut hasher);
        self.0.message.hash(&mut hasher);
        hasher.finish()
    }

    fn status(&self) -> WriterStatus {
        self.0.status
    }

    fn checkpoint(&self) -> Option<DateTime<Utc>> {
        self.0.checkpoint
    }

    fn latency_ms(&self) -> Option<u64> {
        self.0.latency_ms
    }

    fn writer(&self) -> Writer {
        self.0.clone()
    }
}
