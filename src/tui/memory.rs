//! The view the console restores on its next start — regions, status filter, sort and the
//! last search, per controller — and the command history, in `$XDG_STATE_HOME/jwctl/view.json`.
//! A file that cannot be read is logged and ignored: it only ever costs the operator their
//! last view, never the start.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::state::{Column, Filter, Sort, State};
use crate::domain::{StatusSet, WriterStatus};

/// File name inside the state dir.
pub const FILE_NAME: &str = "view.json";
/// The key the embedded demo's view is kept under (its URL changes on every start).
pub const DEMO_KEY: &str = "demo";

/// The part of the console's state that is remembered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ViewMemory {
    /// Which controller it belongs to (URL, or [`DEMO_KEY`]).
    #[serde(skip)]
    pub controller: String,
    #[serde(default)]
    pub regions: BTreeSet<String>,
    #[serde(default)]
    pub statuses: Vec<WriterStatus>,
    #[serde(default)]
    pub sort: String,
    #[serde(default)]
    pub descending: bool,
    #[serde(default)]
    pub search: String,
    /// Whether the search ranks by relevance (else the sort orders the hits).
    #[serde(default)]
    pub relevance: bool,
    /// The command history (shared by every controller).
    #[serde(skip)]
    pub history: Vec<String>,
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct MemoryFile {
    #[serde(default)]
    views: BTreeMap<String, ViewMemory>,
    #[serde(default)]
    history: Vec<String>,
}

impl ViewMemory {
    /// What `state` would remember.
    pub fn of(state: &State) -> ViewMemory {
        // A filter chosen in the health view is for now (Esc clears it): not remembered.
        let filter = if state.filter.from_health {
            Filter::default()
        } else {
            state.filter.clone()
        };
        ViewMemory {
            controller: if state.controller.demo {
                DEMO_KEY.to_string()
            } else {
                state.controller.url.clone()
            },
            regions: filter.regions,
            statuses: filter.status.statuses().collect(),
            sort: state.sort.column.key().to_string(),
            descending: state.sort.descending,
            search: state.search.input.value.trim().to_string(),
            relevance: state.search.relevance,
            history: state.history.clone(),
        }
    }

    /// Puts the remembered view into a fresh `state` (regions are checked against the
    /// deployment once it is known; the search runs once the writers are in).
    pub fn restore(self, state: &mut State) {
        state.filter.regions = self.regions;
        if !self.statuses.is_empty() {
            state.filter.status = StatusSet::of(self.statuses);
        }
        if let Some(column) = Column::from_key(&self.sort) {
            state.sort = Sort {
                column,
                descending: self.descending,
            };
        }
        state.search.input.set(self.search);
        state.search.relevance = self.relevance;
        state.history = self.history;
    }
}

/// The file in `dir`.
pub fn path_in(dir: &Path) -> PathBuf {
    dir.join(FILE_NAME)
}

fn read(path: &Path) -> MemoryFile {
    match std::fs::read(path) {
        Ok(bytes) => serde_json::from_slice(&bytes).unwrap_or_else(|error| {
            tracing::warn!(path = %path.display(), %error, "ignoring an unreadable view file");
            MemoryFile::default()
        }),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => MemoryFile::default(),
        Err(error) => {
            tracing::warn!(path = %path.display(), %error, "cannot read the view file");
            MemoryFile::default()
        }
    }
}

/// The view remembered for `controller` (with the history), if any.
pub fn load(path: &Path, controller: &str) -> Option<ViewMemory> {
    let mut file = read(path);
    let mut view = file.views.remove(controller)?;
    view.controller = controller.to_string();
    view.history = file.history;
    Some(view)
}

/// The command history alone (for a fresh start that still keeps the history).
pub fn history(path: &Path) -> Vec<String> {
    read(path).history
}

/// Saves `view` for its controller, keeping the other controllers' views; written to a
/// temporary file and renamed, so a crash never leaves half a file.
pub fn save(path: &Path, view: &ViewMemory) -> std::io::Result<()> {
    let mut file = read(path);
    file.history = view.history.clone();
    file.views.insert(view.controller.clone(), view.clone());
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let text = serde_json::to_vec_pretty(&file).map_err(std::io::Error::other)?;
    let temp = path.with_extension("json.tmp");
    std::fs::write(&temp, text)?;
    std::fs::rename(&temp, path)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn view(controller: &str, search: &str) -> ViewMemory {
        ViewMemory {
            controller: controller.into(),
            regions: ["cn-hangzhou".to_string()].into_iter().collect(),
            statuses: vec![WriterStatus::Failed],
            sort: "latency".into(),
            descending: true,
            search: search.into(),
            relevance: false,
            history: vec!["sort latency desc".into()],
        }
    }

    #[test]
    fn views_are_kept_per_controller() {
        let dir = tempfile::tempdir().ok();
        let Some(dir) = dir else {
            panic!("temp dir");
        };
        let path = path_in(dir.path());
        assert_eq!(load(&path, "http://a:1"), None);
        assert!(save(&path, &view("http://a:1", "orders")).is_ok());
        assert!(save(&path, &view(DEMO_KEY, "ledger")).is_ok());
        assert_eq!(
            load(&path, "http://a:1"),
            Some(view("http://a:1", "orders"))
        );
        assert_eq!(
            load(&path, DEMO_KEY).map(|v| v.search),
            Some("ledger".into())
        );
        assert_eq!(history(&path), ["sort latency desc"]);
    }

    #[test]
    fn a_broken_file_is_ignored() {
        let dir = tempfile::tempdir().ok();
        let Some(dir) = dir else {
            panic!("temp dir");
        };
        let path = path_in(dir.path());
        assert!(std::fs::write(&path, "{not json").is_ok());
        assert_eq!(load(&path, "http://a:1"), None);
        assert!(save(&path, &view("http://a:1", "x")).is_ok());
        assert!(load(&path, "http://a:1").is_some());
    }
}
