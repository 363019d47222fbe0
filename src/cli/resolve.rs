//! WRITER arguments: a writer id, or a name that only one writer has.

use std::fmt::Write as _;

use crate::cli::error::CliError;
use crate::cli::suggest::closest_names;
use crate::domain::Writer;
use crate::search::SearchIndex;

/// How many close matches an unknown WRITER error suggests.
const SUGGESTIONS: usize = 5;

/// Finds the writer `key` names: an exact id first, else an exact name. An unknown key or a
/// name several writers share is a usage error that lists candidates.
pub fn resolve<'a>(writers: &'a [Writer], key: &str) -> Result<&'a Writer, CliError> {
    if key.trim().is_empty() {
        return Err(CliError::Usage(
            "no writer given; pass a writer id or name (jwctl list shows them)".into(),
        ));
    }
    if let Some(writer) = writers.iter().find(|w| w.id == key) {
        return Ok(writer);
    }
    let named: Vec<&Writer> = writers.iter().filter(|w| w.name == key).collect();
    match named.as_slice() {
        [writer] => Ok(writer),
        [] => Err(not_found(writers, key)),
        several => Err(ambiguous(key, several)),
    }
}

fn ambiguous(key: &str, writers: &[&Writer]) -> CliError {
    let mut message = format!(
        "{} writers are named '{key}'; give the id of the one you mean:",
        writers.len()
    );
    for writer in writers {
        let _ = write!(
            message,
            "\n  {}  region {}, {}",
            writer.id, writer.region, writer.status
        );
    }
    CliError::Usage(message)
}

fn not_found(writers: &[Writer], key: &str) -> CliError {
    let mut message = format!(
        "no writer with id or name '{key}'; `jwctl list --search {}` finds writers by part of \
         their name, server IP, or project name or ID",
        shell_quote(key)
    );
    let closest = closest(writers, key);
    if !closest.is_empty() {
        message.push_str("\nclosest matches:");
        for writer in closest {
            let _ = write!(
                message,
                "\n  {}  ({}, {}, {})",
                writer.name, writer.server_ip, writer.region, writer.status
            );
        }
    }
    CliError::Usage(message)
}

/// At most [`SUGGESTIONS`] writers `key` may have meant: names a few typing mistakes away
/// first (they are near misses of the whole key), then search hits, best first, each once.
fn closest<'a>(writers: &'a [Writer], key: &str) -> Vec<&'a Writer> {
    let mut rows = closest_names(writers, key, SUGGESTIONS);
    let hits = SearchIndex::build(writers).search(key);
    for hit in hits {
        if rows.len() >= SUGGESTIONS {
            break;
        }
        if !rows.contains(&hit.row) {
            rows.push(hit.row);
        }
    }
    rows.into_iter()
        .filter_map(|row| writers.get(row))
        .collect()
}

/// `text` as one shell word: unchanged when it is safe, else single-quoted.
pub fn shell_quote(text: &str) -> String {
    let safe = !text.is_empty()
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_.:/@%+=,".contains(c));
    if safe {
        text.to_string()
    } else {
        format!("'{}'", text.replace('\'', r"'\''"))
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use chrono::{TimeZone, Utc};

    use super::*;
    use crate::domain::{Project, Store, WriterKind, WriterStatus};

    pub(crate) fn writer(id: &str, name: &str, region: &str, project: &str) -> Writer {
        let at = Utc
            .with_ymd_and_hms(2026, 11, 24, 10, 0, 0)
            .single()
            .unwrap_or_default();
        Writer {
            id: id.into(),
            name: name.into(),
            server_ip: "10.18.3.122".into(),
            region: region.into(),
            project: Project {
                id: "np_4w3a8kz1".into(),
                name: project.into(),
            },
            kind: WriterKind::Incremental,
            status: WriterStatus::Running,
            checkpoint: Some(at),
            latency_ms: Some(1_500),
            store: Store {
                id: "store_1".into(),
                earliest: at - chrono::Duration::hours(24),
                latest: at,
            },
            message: None,
            version: 3,
            updated_at: at,
            backend_status: None,
        }
    }

    fn fleet() -> Vec<Writer> {
        vec![
            writer("id-1", "orders-1", "cn-hangzhou", "Orders"),
            writer("id-2", "orders-2", "cn-hangzhou", "Orders"),
            writer("id-3", "twin", "cn-hangzhou", "Payments"),
            writer("id-4", "twin", "cn-shanghai", "Payments"),
            // A name that is another writer's id: the id wins.
            writer("id-5", "id-1", "cn-shanghai", "Payments"),
        ]
    }

    #[test]
    fn ids_win_over_names() {
        let writers = fleet();
        assert_eq!(
            resolve(&writers, "id-1").map(|w| &w.name),
            Ok(&writers[0].name)
        );
        assert_eq!(
            resolve(&writers, "orders-2").map(|w| &w.id),
            Ok(&writers[1].id)
        );
    }

    #[test]
    fn shared_names_list_the_candidates() {
        let err = resolve(&fleet(), "twin").err();
        let Some(CliError::Usage(message)) = err else {
            panic!("{err:?}");
        };
        assert!(message.contains("2 writers are named 'twin'"), "{message}");
        assert!(
            message.contains("id-3  region cn-hangzhou, running"),
            "{message}"
        );
        assert!(
            message.contains("id-4  region cn-shanghai, running"),
            "{message}"
        );
    }

    #[test]
    fn unknown_writers_suggest_close_matches() {
        let err = resolve(&fleet(), "orders").err();
        let Some(CliError::Usage(message)) = err else {
            panic!("{err:?}");
        };
        assert!(
            message.contains("no writer with id or name 'orders'"),
            "{message}"
        );
        assert!(message.contains("jwctl list --search orders"), "{message}");
        assert!(message.contains("orders-1  (10.18.3.122"), "{message}");
        assert!(message.contains("orders-2  ("), "{message}");
        let err = resolve(&fleet(), "zzz qq").err();
        let Some(CliError::Usage(message)) = err else {
            panic!("{err:?}");
        };
        assert!(message.contains("--search 'zzz qq'"), "{message}");
        assert!(!message.contains("closest"), "{message}");
    }

    #[test]
    fn near_misses_come_first_then_search_hits_at_most_five() {
        let mut writers: Vec<Writer> = (1..=6)
            .map(|i| {
                writer(
                    &format!("id-{i}"),
                    &format!("np_6f5dljs4-incr_trans-{i}-0"),
                    "cn-hangzhou",
                    "Orders",
                )
            })
            .collect();
        writers.push(writer(
            "id-7",
            "np_6f5dljs4-incr_trans-9-9",
            "cn-hangzhou",
            "Orders",
        ));
        let err = resolve(&writers, "np_6f5dljs4-incr_trans-9-0").err();
        let Some(CliError::Usage(message)) = err else {
            panic!("{err:?}");
        };
        let suggested: Vec<&str> = message
            .lines()
            .skip_while(|line| *line != "closest matches:")
            .skip(1)
            .filter_map(|line| line.split_whitespace().next())
            .collect();
        assert_eq!(
            suggested,
            [
                "np_6f5dljs4-incr_trans-1-0",
                "np_6f5dljs4-incr_trans-2-0",
                "np_6f5dljs4-incr_trans-3-0",
                "np_6f5dljs4-incr_trans-4-0",
                "np_6f5dljs4-incr_trans-5-0",
            ],
            "{message}"
        );
        // Nothing close by name: the search hits of a project id.
        let err = resolve(&writers, "np_6f5dljs4").err();
        let Some(CliError::Usage(message)) = err else {
            panic!("{err:?}");
        };
        assert_eq!(
            message.lines().filter(|l| l.starts_with("  np_")).count(),
            5
        );
    }

    #[test]
    fn empty_keys_are_usage_errors() {
        assert!(matches!(resolve(&fleet(), " "), Err(CliError::Usage(_))));
    }

    proptest::proptest! {
        #[test]
        fn any_key_resolves_or_explains(key in proptest::prelude::any::<String>()) {
            match resolve(&fleet(), &key) {
                Ok(writer) => proptest::prop_assert!(writer.id == key || writer.name == key),
                Err(error) => proptest::prop_assert!(matches!(error, CliError::Usage(_))),
            }
        }
    }

    #[test]
    fn shell_quoting() {
        assert_eq!(shell_quote("np_4w3a8kz1"), "np_4w3a8kz1");
        assert_eq!(shell_quote("it's"), r"'it'\''s'");
        assert_eq!(shell_quote(""), "''");
    }
}
