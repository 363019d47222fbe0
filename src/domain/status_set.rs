//! A set of writer statuses: what the console's status filter, its `:status` command and the
//! CLI's `--status` select.

use std::fmt;
use std::str::FromStr;

use super::writer::WriterStatus;

/// Some of the five statuses. Empty sets are never built by parsing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct StatusSet(u8);

impl Default for StatusSet {
    fn default() -> Self {
        StatusSet::ALL
    }
}

/// The words `StatusSet::from_str` accepts, for messages and completion.
pub const STATUS_WORDS: [&str; 8] = [
    "running",
    "starting",
    "pausing",
    "stopped",
    "failed",
    "unknown",
    "not-running",
    "all",
];

impl StatusSet {
    /// Every status.
    pub const ALL: StatusSet = StatusSet(0b11_1111);
    /// Running only.
    pub const RUNNING: StatusSet = StatusSet(1 << 0);
    /// Everything but running ("not running" on the console page).
    pub const NOT_RUNNING: StatusSet = StatusSet(0b11_1110);
    /// Failed only.
    pub const FAILED: StatusSet = StatusSet(1 << 4);

    fn bit(status: WriterStatus) -> u8 {
        let at = WriterStatus::ALL
            .iter()
            .position(|&s| s == status)
            .unwrap_or(0);
        1 << at
    }

    /// The set of `statuses`.
    pub fn of(statuses: impl IntoIterator<Item = WriterStatus>) -> StatusSet {
        StatusSet(statuses.into_iter().fold(0, |bits, s| bits | Self::bit(s)))
    }

    /// Whether `status` is in the set.
    pub fn contains(self, status: WriterStatus) -> bool {
        self.0 & Self::bit(status) != 0
    }

    /// Whether every status is in the set.
    pub fn is_all(self) -> bool {
        self == StatusSet::ALL
    }

    /// Whether no status is in the set.
    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// The statuses in the set, in `WriterStatus::ALL` order.
    pub fn statuses(self) -> impl Iterator<Item = WriterStatus> {
        WriterStatus::ALL
            .into_iter()
            .filter(move |&s| self.contains(s))
    }

    /// The next quick filter `f` gives: all → running → not running → failed → all. Any
    /// other set goes back to all.
    pub fn cycle(self) -> StatusSet {
        match self {
            StatusSet::ALL => StatusSet::RUNNING,
            StatusSet::RUNNING => StatusSet::NOT_RUNNING,
            StatusSet::NOT_RUNNING => StatusSet::FAILED,
            _ => StatusSet::ALL,
        }
    }
}

impl StatusSet {
    /// The set as `from_str` reads it back: `all`, `not-running` or `stopped,failed`.
    pub fn words(self) -> String {
        match self {
            StatusSet::ALL => "all".into(),
            StatusSet::NOT_RUNNING => "not-running".into(),
            set => set
                .statuses()
                .map(WriterStatus::as_str)
                .collect::<Vec<_>>()
                .join(","),
        }
    }
}

/// `all`, `not running`, or the statuses joined by commas (`stopped, failed`).
impl fmt::Display for StatusSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            StatusSet::ALL => f.write_str("all"),
            StatusSet::NOT_RUNNING => f.write_str("not running"),
            set => {
                let names: Vec<&str> = set.statuses().map(WriterStatus::as_str).collect();
                f.write_str(&names.join(", "))
            }
        }
    }
}

/// A status list that could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown status '{0}': use {words}, comma-separated", words = STATUS_WORDS.join(", "))]
pub struct UnknownStatusWord(pub String);

/// Comma-separated statuses, `not-running` (also `not running`) and `all`; case and spaces
/// around the commas do not matter.
impl FromStr for StatusSet {
    type Err = UnknownStatusWord;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let mut set = StatusSet(0);
        for word in s.split(',') {
            let word = word.trim().to_ascii_lowercase();
            let part = match word.as_str() {
                "all" => StatusSet::ALL,
                "not-running" | "not running" | "notrunning" => StatusSet::NOT_RUNNING,
                other => other
                    .parse::<WriterStatus>()
                    .map(|status| StatusSet::of([status]))
                    .map_err(|_| UnknownStatusWord(word.clone()))?,
            };
            set = StatusSet(set.0 | part.0);
        }
        if set.is_empty() {
            return Err(UnknownStatusWord(s.trim().to_string()));
        }
        Ok(set)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_combine_and_name_themselves() {
        assert_eq!("all".parse(), Ok(StatusSet::ALL));
        for words in ["all", "not-running", "stopped,failed", "unknown"] {
            assert_eq!(
                words.parse::<StatusSet>().map(StatusSet::words).as_deref(),
                Ok(words)
            );
        }
        assert_eq!(" Not-Running ".parse(), Ok(StatusSet::NOT_RUNNING));
        let set: Result<StatusSet, _> = "stopped, failed".parse();
        assert_eq!(
            set,
            Ok(StatusSet::of([WriterStatus::Stopped, WriterStatus::Failed]))
        );
        assert_eq!(set.map(|s| s.to_string()), Ok("stopped, failed".into()));
        assert_eq!(StatusSet::NOT_RUNNING.to_string(), "not running");
        assert_eq!(
            "running,starting,pausing,stopped,failed,unknown".parse(),
            Ok(StatusSet::ALL)
        );
    }

    #[test]
    fn unknown_words_list_the_accepted_ones() {
        for bad in ["paused", "", "running,,", "run"] {
            let err = bad.parse::<StatusSet>().err().map(|e| e.to_string());
            let message = err.unwrap_or_default();
            assert!(message.contains("not-running"), "{bad}: {message}");
        }
    }

    #[test]
    fn the_quick_filter_cycles_through_four_sets() {
        let mut set = StatusSet::ALL;
        let mut seen = Vec::new();
        for _ in 0..4 {
            set = set.cycle();
            seen.push(set.to_string());
        }
        assert_eq!(seen, ["running", "not running", "failed", "all"]);
        assert!(StatusSet::NOT_RUNNING.contains(WriterStatus::Failed));
        assert!(!StatusSet::NOT_RUNNING.contains(WriterStatus::Running));
    }
}
