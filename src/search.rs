//! The search box of the console page: writer name and server IP match as case-insensitive
//! substrings, migration project name and ID match fuzzily (SkimMatcherV2). Each field is
//! scored on its own; each distinct project is scored once per query, however many writers it
//! has; haystacks are lowercased once when the index is built.

use std::collections::HashMap;

use fuzzy_matcher::FuzzyMatcher;
use fuzzy_matcher::skim::SkimMatcherV2;

use crate::domain::Writer;

/// Score of an exact name, IP or project-ID match.
const EXACT: i64 = 30_000;
/// Score of a name or IP that starts with the query.
const PREFIX: i64 = 20_000;
/// Score of a name or IP that contains the query.
const CONTAINS: i64 = 10_000;

/// From this many rows on, a search is split over several threads.
const PARALLEL_MIN_ROWS: usize = 20_000;
/// Most threads one search uses.
const MAX_THREADS: usize = 4;

/// A writer that matched, and how well (higher is better).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SearchHit {
    /// Index of the writer in the slice the index was built from.
    pub row: usize,
    pub score: i64,
}

/// Matched character positions (char indices) per field of one writer, for highlighting.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Highlights {
    pub name: Vec<usize>,
    pub server_ip: Vec<usize>,
    pub project_name: Vec<usize>,
    pub project_id: Vec<usize>,
}

struct RowKeys {
    name: String,
    server_ip: String,
    project: usize,
}

struct ProjectKeys {
    name: String,
    id: String,
}

/// Lowercased search keys of a fleet, built once per fleet snapshot.
pub struct SearchIndex {
    rows: Vec<RowKeys>,
    projects: Vec<ProjectKeys>,
    matcher: SkimMatcherV2,
}

impl std::fmt::Debug for SearchIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SearchIndex")
            .field("rows", &self.rows.len())
            .field("projects", &self.projects.len())
            .finish()
    }
}

impl SearchIndex {
    /// Indexes `writers`; hits refer to positions in this slice.
    pub fn build(writers: &[Writer]) -> Self {
        let mut project_index: HashMap<(&str, &str), usize> = HashMap::new();
        let mut projects = Vec::new();
        let rows = writers
            .iter()
            .map(|w| {
                let key = (w.project.id.as_str(), w.project.name.as_str());
                let project = *project_index.entry(key).or_insert_with(|| {
                    projects.push(ProjectKeys {
                        name: w.project.name.to_lowercase(),
                        id: w.project.id.to_lowercase(),
                    });
                    projects.len() - 1
                });
                RowKeys {
                    name: w.name.to_lowercase(),
                    server_ip: w.server_ip.to_lowercase(),
                    project,
                }
            })
            .collect();
        SearchIndex {
            rows,
            projects,
            matcher: SkimMatcherV2::default().respect_case(),
        }
    }

    /// Every writer matching `query`, best first (ties in index order). An empty query
    /// matches every writer with score 0.
    pub fn search(&self, query: &str) -> Vec<SearchHit> {
        let rows: Vec<usize> = (0..self.rows.len()).collect();
        self.search_rows(query, &rows)
    }

    /// Like [`SearchIndex::search`] but only among `candidates`: when a query only grows, the
    /// hits of the shorter query are the only rows that can still match.
    pub fn search_within(&self, query: &str, candidates: &[SearchHit]) -> Vec<SearchHit> {
        let rows: Vec<usize> = candidates.iter().map(|hit| hit.row).collect();
        self.search_rows(query, &rows)
    }

    /// The hits among `rows`, best first; large searches are split over the machine's cores
    /// (scoped threads).
    pub fn search_rows(&self, query: &str, rows: &[usize]) -> Vec<SearchHit> {
        let needle = query.trim().to_lowercase();
        if needle.is_empty() {
            return rows
                .iter()
                .map(|&row| SearchHit { row, score: 0 })
                .collect();
        }
        let threads = if rows.len() >= PARALLEL_MIN_ROWS {
            std::thread::available_parallelism().map_or(1, |n| n.get().min(MAX_THREADS))
        } else {
            1
        };
        let mut hits = if threads > 1 {
            let chunk = rows.len().div_ceil(threads);
            let mut parts = rows.chunks(chunk);
            let first = parts.next().unwrap_or_default();
            std::thread::scope(|scope| {
                let helpers: Vec<_> = parts
                    .map(|part| scope.spawn(|| self.score_rows(&needle, part)))
                    .collect();
                let mut hits = self.score_rows(&needle, first);
                for helper in helpers {
                    match helper.join() {
                        Ok(part) => hits.extend(part),
                        Err(panic) => std::panic::resume_unwind(panic),
                    }
                }
                hits
            })
        } else {
            self.score_rows(&needle, rows)
        };
        // Rows are unique, so the order is total and an unstable sort gives the same result.
        hits.sort_unstable_by(|a, b| b.score.cmp(&a.score).then(a.row.cmp(&b.row)));
        hits
    }

    /// The hits among `rows` for a lowercased, non-empty `needle`, unsorted. Each project is
    /// scored once.
    fn score_rows(&self, needle: &str, rows: &[usize]) -> Vec<SearchHit> {
        let mut project_scores: Vec<Option<Option<i64>>> = vec![None; self.projects.len()];
        rows.iter()
            .filter_map(|&row| {
                let keys = self.rows.get(row)?;
                let project = *project_scores
                    .get_mut(keys.project)?
                    .get_or_insert_with(|| self.score_project(keys.project, needle));
                let score = [
                    substring_score(&keys.name, needle),
                    substring_score(&keys.server_ip, needle),
                    project,
                ]
                .into_iter()
                .flatten()
                .max()?;
                Some(SearchHit { row, score })
            })
            .collect()
    }

    fn score_project(&self, project: usize, needle: &str) -> Option<i64> {
        let keys = self.projects.get(project)?;
        if keys.id == needle {
            return Some(EXACT);
        }
        [&keys.name, &keys.id]
            .into_iter()
            .filter(|haystack| is_subsequence(haystack, needle))
            .filter_map(|haystack| self.matcher.fuzzy_match(haystack, needle))
            .max()
    }

    /// Which characters of writer `row` match `query`, per field.
    pub fn highlights(&self, row: usize, query: &str) -> Highlights {
        let needle = query.trim().to_lowercase();
        let (Some(keys), false) = (self.rows.get(row), needle.is_empty()) else {
            return Highlights::default();
        };
        let fuzzy = |haystack: &str| {
            self.matcher
                .fuzzy_indices(haystack, &needle)
                .map(|(_, positions)| positions)
                .unwrap_or_default()
        };
        let (project_name, project_id) = self
            .projects
            .get(keys.project)
            .map(|p| (fuzzy(&p.name), fuzzy(&p.id)))
            .unwrap_or_default();
        Highlights {
            name: substring_positions(&keys.name, &needle),
            server_ip: substring_positions(&keys.server_ip, &needle),
            project_name,
            project_id,
        }
    }
}

fn substring_score(haystack: &str, needle: &str) -> Option<i64> {
    let at = find(haystack, needle)?;
    Some(if haystack.len() == needle.len() {
        EXACT
    } else if at == 0 {
        PREFIX
    } else {
        // Earlier matches rank a little higher.
        CONTAINS - i64::try_from(at).unwrap_or(i64::MAX).min(1000)
    })
}

/// `haystack.find(needle)` for the short keys of the index: scanning for the needle's first
/// byte and comparing beats setting up `str::find`'s searcher on every one of 100k rows.
/// Matches land on char boundaries because a UTF-8 needle never starts with a continuation
/// byte.
fn find(haystack: &str, needle: &str) -> Option<usize> {
    let (hay, pattern) = (haystack.as_bytes(), needle.as_bytes());
    let Some((&first, rest)) = pattern.split_first() else {
        return Some(0);
    };
    let last_start = hay.len().checked_sub(pattern.len())?;
    let mut from = 0;
    while from <= last_start {
        let at = from + hay[from..=last_start].iter().position(|&b| b == first)?;
        if hay[at + 1..at + pattern.len()] == *rest {
            return Some(at);
        }
        from = at + 1;
    }
    None
}

fn substring_positions(haystack: &str, needle: &str) -> Vec<usize> {
    match haystack.find(needle) {
        Some(at) => {
            let start = haystack[..at].chars().count();
            (start..start + needle.chars().count()).collect()
        }
        None => Vec::new(),
    }
}

/// Cheap pre-check before the scorer: SkimMatcherV2 only matches subsequences.
fn is_subsequence(haystack: &str, needle: &str) -> bool {
    let mut wanted = needle.chars().peekable();
    for c in haystack.chars() {
        match wanted.peek() {
            Some(&w) if w == c => {
                wanted.next();
            }
            Some(_) => {}
            None => break,
        }
    }
    wanted.peek().is_none()
}

#[cfg(test)]
mod tests {
    use chrono::{TimeZone, Utc};

    use super::*;
    use crate::domain::{Project, Store, WriterKind, WriterStatus};

    fn writer(name: &str, ip: &str, project_id: &str, project_name: &str) -> Writer {
        let at = Utc
            .with_ymd_and_hms(2026, 11, 24, 10, 0, 0)
            .single()
            .unwrap_or_default();
        Writer {
            id: format!("{ip}-9000:connector_v2:{name}:0000000001"),
            name: name.into(),
            server_ip: ip.into(),
            region: "cn-hangzhou".into(),
            project: Project {
                id: project_id.into(),
                name: project_name.into(),
            },
            kind: WriterKind::Incremental,
            status: WriterStatus::Running,
            checkpoint: Some(at),
            latency_ms: Some(0),
            store: Store {
                id: "s".into(),
                earliest: at,
                latest: at,
            },
            message: None,
            version: 1,
            updated_at: at,
            backend_status: None,
        }
    }

    fn fleet() -> Vec<Writer> {
        vec![
            writer(
                "np_4w3a8kz1-incr_trans-1-0",
                "10.18.3.122",
                "np_4w3a8kz1",
                "Orders MySQL to OB",
            ),
            writer(
                "np_77bq2m0c-incr_trans-1-0",
                "10.18.3.45",
                "np_77bq2m0c",
                "Payments archive",
            ),
            writer(
                "np_x1-full_trans-1-0",
                "192.168.0.7",
                "np_x1",
                "Inventory sync",
            ),
        ]
    }

    #[test]
    fn name_and_ip_match_as_case_insensitive_substrings() {
        let index = SearchIndex::build(&fleet());
        let rows = |q: &str| index.search(q).iter().map(|h| h.row).collect::<Vec<_>>();
        assert_eq!(rows("FULL_TRANS"), vec![2]);
        assert_eq!(rows("10.18.3.45"), vec![1]);
        assert_eq!(rows("10.18.3"), vec![0, 1]);
    }

    #[test]
    fn project_name_and_id_match_fuzzily() {
        let index = SearchIndex::build(&fleet());
        let rows = |q: &str| index.search(q).iter().map(|h| h.row).collect::<Vec<_>>();
        assert_eq!(rows("pymnts"), vec![1]);
        assert_eq!(rows("ordrs ob"), vec![0]);
        assert_eq!(rows("np_77bq"), vec![1]);
        assert!(rows("zzzz").is_empty());
    }

    #[test]
    fn fields_are_not_glued_together() {
        // "inventory" + "192" would match a string built from all fields; it must not.
        let index = SearchIndex::build(&fleet());
        assert!(index.search("inventory192").is_empty());
    }

    #[test]
    fn exact_and_substring_matches_rank_above_fuzzy() {
        let mut writers = fleet();
        writers.push(writer("orders-writer", "10.0.0.9", "np_q", "Unrelated"));
        let index = SearchIndex::build(&writers);
        let hits = index.search("orders");
        assert_eq!(hits.first().map(|h| h.row), Some(3));
        assert_eq!(hits.get(1).map(|h| h.row), Some(0));
    }

    #[test]
    fn narrowing_within_previous_hits_gives_the_same_result() {
        let index = SearchIndex::build(&fleet());
        let broad = index.search("np");
        for q in ["np_4", "np_x1", "np_7"] {
            assert_eq!(index.search_within(q, &broad), index.search(q), "{q}");
        }
    }

    #[test]
    fn empty_query_matches_everything_and_highlights_nothing() {
        let index = SearchIndex::build(&fleet());
        assert_eq!(index.search("  ").len(), 3);
        assert_eq!(index.highlights(0, ""), Highlights::default());
    }

    #[test]
    fn a_search_split_over_threads_equals_one_on_a_single_thread() {
        let writers: Vec<Writer> = (0..PARALLEL_MIN_ROWS + 1000)
            .map(|i| {
                let project = i / 5;
                writer(
                    &format!("np_{project:05}-incr_trans-{}-0", i % 5),
                    &format!("10.{}.{}.{}", i / 65_536, i / 256 % 256, i % 256),
                    &format!("np_{project:05}"),
                    ["Orders MySQL", "Payments archive", "Ledger sync"][project % 3],
                )
            })
            .collect();
        let index = SearchIndex::build(&writers);
        let rows: Vec<usize> = (0..writers.len()).collect();
        for query in ["l", "ledg", "10.0.1", "np_0012", "trans-3"] {
            let mut single = index.score_rows(query, &rows);
            single.sort_unstable_by(|a, b| b.score.cmp(&a.score).then(a.row.cmp(&b.row)));
            assert!(!single.is_empty(), "{query}");
            assert_eq!(index.search(query), single, "{query}");
        }
    }

    #[test]
    fn find_agrees_with_str_find() {
        let cases = [
            ("np_4w3a8kz1-incr_trans-1-0", "incr"),
            ("np_4w3a8kz1-incr_trans-1-0", "1-0"),
            ("aaab", "aab"),
            ("10.18.3.122", "10.18.3.122"),
            ("10.18.3.122", "10.18.3.1222"),
            ("zürich-ä", "ä"),
            ("zürich-ä", "rich"),
            ("", "a"),
            ("abc", "d"),
            ("abc", ""),
        ];
        for (haystack, needle) in cases {
            assert_eq!(
                find(haystack, needle),
                haystack.find(needle),
                "{haystack} {needle}"
            );
        }
    }

    #[test]
    fn highlights_mark_matched_characters() {
        let index = SearchIndex::build(&fleet());
        let marks = index.highlights(1, "3.45");
        assert_eq!(marks.server_ip, vec![6, 7, 8, 9]);
        let marks = index.highlights(1, "pay");
        assert_eq!(marks.project_name, vec![0, 1, 2]);
        assert!(marks.name.is_empty());
    }
}
