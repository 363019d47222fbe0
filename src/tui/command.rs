//! The `:` command line: what it accepts, Tab completion and ↑/↓ history. Parsing and
//! completion are pure; `update` applies a parsed command.

use std::collections::BTreeSet;

use super::state::{Column, TextInput};
use crate::domain::{STATUS_WORDS, StatusSet};

/// The commands, with their argument syntax, for completion, errors and the help.
pub const COMMANDS: &[(&str, &str)] = &[
    ("region", "region NAME[,NAME…] | all — show these regions"),
    (
        "status",
        "status running|starting|pausing|stopped|failed|unknown|not-running|all[,…]",
    ),
    (
        "sort",
        "sort name|ip|project|region|kind|status|latency|checkpoint [asc|desc]",
    ),
    ("mark", "mark all|none — mark every writer shown, or none"),
    (
        "health",
        "health — regions by status and latency; Enter filters the table",
    ),
    ("help", "help — every key and command"),
    ("q", "q — quit (also quit)"),
];

/// How many commands the history keeps.
pub const HISTORY_LIMIT: usize = 100;

/// A command the operator ran.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConsoleCommand {
    /// Show these regions; empty means all.
    Region(BTreeSet<String>),
    Status(StatusSet),
    /// Sort by `column`; ascending unless `descending`.
    Sort {
        column: Column,
        descending: bool,
    },
    /// Mark every writer shown (`true`) or clear the marks.
    Mark(bool),
    /// Open the fleet health view.
    Health,
    Help,
    Quit,
}

/// The command line while open.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CommandLine {
    pub input: TextInput,
    /// Which history entry is shown while browsing with ↑/↓.
    pub history_at: Option<usize>,
    /// What was typed before browsing the history.
    pub draft: String,
    /// The candidates of the last Tab, when there were several.
    pub completion: Option<Completion>,
    /// Why the last Enter ran nothing.
    pub error: Option<String>,
}

/// Several ways to complete the word at `start`; `index` is the one shown (cycling with Tab).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Completion {
    pub start: usize,
    pub candidates: Vec<String>,
    pub index: Option<usize>,
}

fn unknown_command(word: &str) -> String {
    let names: Vec<&str> = COMMANDS.iter().map(|(name, _)| *name).collect();
    format!(
        "unknown command '{word}': use {} (Tab completes)",
        names.join(", ")
    )
}

fn usage(name: &str) -> String {
    let syntax = COMMANDS
        .iter()
        .find(|(n, _)| *n == name)
        .map_or(name, |(_, s)| *s);
    format!("usage: :{syntax}")
}

/// Parses a command line (without the `:`); `regions` are the deployment's.
pub fn parse(line: &str, regions: &[String]) -> Result<ConsoleCommand, String> {
    let mut words = line.split_whitespace();
    let Some(name) = words.next() else {
        return Err(unknown_command(""));
    };
    let args: Vec<&str> = words.collect();
    let name = name.to_ascii_lowercase();
    match name.as_str() {
        "region" | "regions" => {
            let joined = args.join(" ");
            parse_regions(&joined, regions)
        }
        "status" => {
            let words: Vec<&str> = args
                .iter()
                .flat_map(|arg| arg.split(','))
                .filter(|word| !word.trim().is_empty())
                .collect();
            let joined = words.join(",");
            if joined.trim().is_empty() {
                return Err(usage("status"));
            }
            joined
                .parse::<StatusSet>()
                .map(ConsoleCommand::Status)
                .map_err(|e| e.to_string())
        }
        "sort" => {
            let (Some(column), order) = (args.first(), args.get(1)) else {
                return Err(usage("sort"));
            };
            let column = Column::from_key(column).ok_or_else(|| {
                let keys: Vec<&str> = Column::ALL.iter().map(|c| c.key()).collect();
                format!("unknown column '{column}': use {}", keys.join(", "))
            })?;
            let descending = match order.map(|o| o.to_ascii_lowercase()) {
                None => false,
                Some(o) if o == "asc" => false,
                Some(o) if o == "desc" => true,
                Some(o) => return Err(format!("unknown order '{o}': use asc or desc")),
            };
            if args.len() > 2 {
                return Err(usage("sort"));
            }
            Ok(ConsoleCommand::Sort { column, descending })
        }
        "mark" => match args.as_slice() {
            [arg] if arg.eq_ignore_ascii_case("all") => Ok(ConsoleCommand::Mark(true)),
            [arg] if arg.eq_ignore_ascii_case("none") => Ok(ConsoleCommand::Mark(false)),
            _ => Err(usage("mark")),
        },
        "health" if args.is_empty() => Ok(ConsoleCommand::Health),
        "help" | "h" | "?" if args.is_empty() => Ok(ConsoleCommand::Help),
        "q" | "quit" | "q!" if args.is_empty() => Ok(ConsoleCommand::Quit),
        "health" | "help" | "h" | "?" | "q" | "quit" | "q!" => {
            Err(format!(":{name} takes no arguments"))
        }
        other => Err(unknown_command(other)),
    }
}

fn parse_regions(text: &str, regions: &[String]) -> Result<ConsoleCommand, String> {
    let names: Vec<&str> = text
        .split(',')
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .collect();
    if names.is_empty() {
        return Err(usage("region"));
    }
    if names.iter().any(|n| n.eq_ignore_ascii_case("all")) {
        return Ok(ConsoleCommand::Region(BTreeSet::new()));
    }
    let mut chosen = BTreeSet::new();
    for name in names {
        let found = regions.iter().find(|r| r.eq_ignore_ascii_case(name));
        match found {
            Some(region) => {
                chosen.insert(region.clone());
            }
            None => {
                return Err(format!(
                    "unknown region '{name}': the regions are {}, or all",
                    regions.join(", ")
                ));
            }
        }
    }
    if chosen.len() == regions.len() {
        chosen.clear();
    }
    Ok(ConsoleCommand::Region(chosen))
}

/// Where the word being completed starts in `line`, and the words that complete it.
pub fn candidates(line: &str, regions: &[String]) -> (usize, Vec<String>) {
    let Some(space) = line.find(char::is_whitespace) else {
        let names = COMMANDS.iter().map(|(name, _)| (*name).to_string());
        return (0, matching(names, line));
    };
    let command = line[..space].to_ascii_lowercase();
    let rest = &line[space..];
    let args_start = space + (rest.len() - rest.trim_start().len());
    let args = &line[args_start..];
    match command.as_str() {
        "region" | "regions" => {
            let start = args_start + args.rfind(',').map_or(0, |at| at + 1);
            let word = line[start..].trim_start();
            let start = line.len() - word.len();
            let mut values: Vec<String> = regions.to_vec();
            values.push("all".into());
            (start, matching(values.into_iter(), word))
        }
        "status" => {
            let start = args_start + args.rfind(',').map_or(0, |at| at + 1);
            let word = line[start..].trim_start();
            let start = line.len() - word.len();
            let words = STATUS_WORDS.iter().map(|w| (*w).to_string());
            (start, matching(words, word))
        }
        "sort" => {
            let word_start = args
                .rfind(char::is_whitespace)
                .map_or(args_start, |at| args_start + at + 1);
            let word = &line[word_start..];
            let before = args[..word_start - args_start].split_whitespace().count();
            let values: Vec<String> = if before == 0 {
                Column::ALL.iter().map(|c| c.key().to_string()).collect()
            } else if before == 1 {
                vec!["asc".into(), "desc".into()]
            } else {
                Vec::new()
            };
            (word_start, matching(values.into_iter(), word))
        }
        "mark" => {
            let values = ["all", "none"].iter().map(|w| (*w).to_string());
            (args_start, matching(values, args))
        }
        _ => (line.len(), Vec::new()),
    }
}

fn matching(values: impl Iterator<Item = String>, prefix: &str) -> Vec<String> {
    let prefix = prefix.to_ascii_lowercase();
    values
        .filter(|v| v.to_ascii_lowercase().starts_with(&prefix))
        .collect()
}

fn common_prefix(words: &[String]) -> String {
    let Some(first) = words.first() else {
        return String::new();
    };
    let mut end = first.len();
    for word in &words[1..] {
        end = end.min(
            first
                .char_indices()
                .zip(word.chars())
                .take_while(|((_, a), b)| a == b)
                .last()
                .map_or(0, |((at, a), _)| at + a.len_utf8()),
        );
    }
    first[..end].to_string()
}

impl CommandLine {
    /// Tab (`forward`) or Shift-Tab: completes the word at the cursor's end; with several
    /// candidates, completes their common part, then cycles through them.
    pub fn complete(&mut self, regions: &[String], forward: bool) {
        if let Some(completion) = &mut self.completion {
            let count = completion.candidates.len();
            let index = match (completion.index, forward) {
                (None, true) => 0,
                (None, false) => count.saturating_sub(1),
                (Some(i), true) => (i + 1) % count,
                (Some(i), false) => (i + count - 1) % count,
            };
            completion.index = Some(index);
            let start = completion.start;
            if let Some(word) = completion.candidates.get(index) {
                let line = format!("{}{word}", &self.input.value[..start]);
                self.input.set(line);
            }
            return;
        }
        let line = self.input.value.clone();
        let (start, found) = candidates(&line, regions);
        match found.as_slice() {
            [] => self.error = Some(format!("nothing completes '{}'", &line[start..])),
            [only] => {
                let command = !line[..start].contains(char::is_whitespace) && start == 0;
                let suffix = if command && !matches!(only.as_str(), "help" | "q") {
                    " "
                } else {
                    ""
                };
                self.input.set(format!("{}{only}{suffix}", &line[..start]));
            }
            several => {
                let common = common_prefix(several);
                if common.len() > line.len() - start {
                    self.input.set(format!("{}{common}", &line[..start]));
                }
                self.completion = Some(Completion {
                    start,
                    candidates: several.to_vec(),
                    index: None,
                });
            }
        }
    }

    /// ↑ (`back`) or ↓ through `history`.
    pub fn browse(&mut self, history: &[String], back: bool) {
        self.completion = None;
        let at = match (self.history_at, back) {
            (None, true) if !history.is_empty() => {
                self.draft = self.input.value.clone();
                Some(history.len() - 1)
            }
            (None, _) => return,
            (Some(at), true) => Some(at.saturating_sub(1)),
            (Some(at), false) if at + 1 < history.len() => Some(at + 1),
            (Some(_), false) => None,
        };
        self.history_at = at;
        let text = at
            .and_then(|at| history.get(at).cloned())
            .unwrap_or_else(|| self.draft.clone());
        self.input.set(text);
    }
}

/// `history` with `line` appended (an immediate repeat is kept once), at most
/// [`HISTORY_LIMIT`] entries.
pub fn remember(history: &mut Vec<String>, line: &str) {
    let line = line.trim();
    if line.is_empty() || history.last().is_some_and(|last| last == line) {
        return;
    }
    history.push(line.to_string());
    let excess = history.len().saturating_sub(HISTORY_LIMIT);
    history.drain(..excess);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::WriterStatus;

    fn regions() -> Vec<String> {
        ["cn-beijing", "cn-hangzhou", "cn-shanghai"]
            .iter()
            .map(|r| r.to_string())
            .collect()
    }

    #[test]
    fn commands_parse_and_mistakes_say_what_is_accepted() {
        let r = regions();
        let mut hangzhou = BTreeSet::new();
        hangzhou.insert("cn-hangzhou".to_string());
        assert_eq!(
            parse("region CN-Hangzhou", &r),
            Ok(ConsoleCommand::Region(hangzhou))
        );
        assert_eq!(
            parse("region all", &r),
            Ok(ConsoleCommand::Region(BTreeSet::new()))
        );
        assert_eq!(
            parse("status stopped,failed", &r),
            Ok(ConsoleCommand::Status(StatusSet::of([
                WriterStatus::Stopped,
                WriterStatus::Failed
            ])))
        );
        assert_eq!(
            parse("sort latency desc", &r),
            Ok(ConsoleCommand::Sort {
                column: Column::Latency,
                descending: true
            })
        );
        assert_eq!(
            parse("status running, pausing", &r),
            Ok(ConsoleCommand::Status(StatusSet::of([
                WriterStatus::Running,
                WriterStatus::Pausing
            ])))
        );
        assert_eq!(parse("mark none", &r), Ok(ConsoleCommand::Mark(false)));
        assert_eq!(parse("q", &r), Ok(ConsoleCommand::Quit));
        for (line, says) in [
            (
                "regoin x",
                "use region, status, sort, mark, health, help, q",
            ),
            (
                "region mars",
                "the regions are cn-beijing, cn-hangzhou, cn-shanghai",
            ),
            ("status paused", "not-running"),
            ("sort colour", "use name, ip, project"),
            ("sort name up", "use asc or desc"),
            ("mark some", "usage: :mark all|none"),
            ("status", "usage: :status"),
        ] {
            let error = parse(line, &r).err().unwrap_or_default();
            assert!(error.contains(says), "{line}: {error}");
        }
    }

    #[test]
    fn tab_completes_commands_then_values_and_cycles() {
        let r = regions();
        let mut line = CommandLine::default();
        line.input.set("st");
        line.complete(&r, true);
        assert_eq!(line.input.value, "status ");
        line.input.set("region cn-");
        line.complete(&r, true);
        assert_eq!(line.input.value, "region cn-");
        let shown = line.completion.as_ref().map(|c| c.candidates.clone());
        assert_eq!(shown, Some(r.clone()));
        line.complete(&r, true);
        assert_eq!(line.input.value, "region cn-beijing");
        line.complete(&r, true);
        assert_eq!(line.input.value, "region cn-hangzhou");
        line.complete(&r, false);
        assert_eq!(line.input.value, "region cn-beijing");

        let mut line = CommandLine::default();
        line.input.set("status running,st");
        line.complete(&r, true);
        assert_eq!(line.input.value, "status running,st");
        let shown = line.completion.as_ref().map(|c| c.candidates.clone());
        assert_eq!(shown, Some(vec!["starting".into(), "stopped".into()]));

        let mut line = CommandLine::default();
        line.input.set("sort latency d");
        line.complete(&r, true);
        assert_eq!(line.input.value, "sort latency desc");

        let mut line = CommandLine::default();
        line.input.set("xyz");
        line.complete(&r, true);
        assert!(line.error.is_some());
    }

    #[test]
    fn history_browses_back_and_returns_to_the_draft() {
        let history = vec!["status failed".to_string(), "sort latency desc".to_string()];
        let mut line = CommandLine::default();
        line.input.set("reg");
        line.browse(&history, true);
        assert_eq!(line.input.value, "sort latency desc");
        line.browse(&history, true);
        line.browse(&history, true);
        assert_eq!(line.input.value, "status failed");
        line.browse(&history, false);
        line.browse(&history, false);
        assert_eq!(line.input.value, "reg");
        let mut kept = Vec::new();
        for entry in ["a", "a", " b "] {
            remember(&mut kept, entry);
        }
        assert_eq!(kept, ["a", "b"]);
    }
}
