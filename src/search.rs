//! The search box of the console page: writer name and server IP match as case-insensitive
//! substrings, migration project name and ID match fuzzily (nucleo's fzf-style matcher). Each field is
//! scored on its own; a name, IP or exact project-ID match always ranks above a fuzzy project
//! match, so the fuzzy matcher only runs for writers nothing else matched, once per distinct
//! project per query; haystacks are lowercased once when the index is built.

use std::cell::RefCell;
use std::collections::HashMap;

use memchr::memmem::Finder;
use nucleo_matcher::{Config, Matcher, Utf32Str};

use crate::domain::Writer;

/// Score of an exact name, IP or project-ID match.
const EXACT: i64 = 30_000;
/// Score of a name or IP that starts with the query.
const PREFIX: i64 = 20_000;
/// Score of a name or IP that contains the query.
const CONTAINS: i64 = 10_000;
/// How far into a name or IP a later match still ranks lower.
const CONTAINS_SPREAD: i64 = 1_000;
/// Best score of a fuzzy project match: below every substring match.
const FUZZY_MAX: i64 = CONTAINS - CONTAINS_SPREAD - 1;
/// Widest range of scores ranked by counting (else by comparison).
const COUNTING_RANGE: i64 = 1 << 16;

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

/// A writer's keys: its lowercased name and server IP, one after the other in
/// [`SearchIndex::text`] (one allocation for the fleet, not two a writer), and its project.
struct RowKeys {
    start: usize,
    name_end: usize,
    ip_end: usize,
    project: usize,
}

struct ProjectKeys {
    /// Position of the project's name in [`SearchIndex::project_names`].
    name: usize,
    id: String,
}

/// Lowercased search keys of a fleet, built once per fleet snapshot.
pub struct SearchIndex {
    rows: Vec<RowKeys>,
    /// The rows' lowercased names and IPs.
    text: String,
    projects: Vec<ProjectKeys>,
    /// Distinct project names: projects often share one, and each is matched once.
    project_names: Vec<String>,
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
        let mut name_index: HashMap<&str, usize> = HashMap::new();
        let mut projects = Vec::new();
        let mut project_names = Vec::new();
        let mut text = String::new();
        let rows = writers
            .iter()
            .map(|w| {
                let key = (w.project.id.as_str(), w.project.name.as_str());
                let project = *project_index.entry(key).or_insert_with(|| {
                    let name = *name_index
                        .entry(w.project.name.as_str())
                        .or_insert_with(|| {
                            project_names.push(w.project.name.to_lowercase());
                            project_names.len() - 1
                        });
                    projects.push(ProjectKeys {
                        name,
                        id: w.project.id.to_lowercase(),
                    });
                    projects.len() - 1
                });
                let start = text.len();
                text.extend(w.name.chars().flat_map(char::to_lowercase));
                let name_end = text.len();
                text.extend(w.server_ip.chars().flat_map(char::to_lowercase));
                RowKeys {
                    start,
                    name_end,
                    ip_end: text.len(),
                    project,
                }
            })
            .collect();
        // Grown by doubling: up to half of it would otherwise stay reserved for good.
        text.shrink_to_fit();
        SearchIndex {
            rows,
            text,
            projects,
            project_names,
        }
    }

    /// Every writer matching `query`, best first (ties in index order). An empty query
    /// matches every writer with score 0.
    pub fn search(&self, query: &str) -> Vec<SearchHit> {
        let rows: Vec<usize> = (0..self.rows.len()).collect();
        self.search_sorted_rows(query, &rows)
    }

    /// Like [`SearchIndex::search`] but only among `candidates`: when a query only grows, the
    /// hits of the shorter query are the only rows that can still match.
    pub fn search_within(&self, query: &str, candidates: &[SearchHit]) -> Vec<SearchHit> {
        let mut candidate = vec![false; self.rows.len()];
        for hit in candidates {
            if let Some(slot) = candidate.get_mut(hit.row) {
                *slot = true;
            }
        }
        let rows: Vec<usize> = (0..self.rows.len()).filter(|&row| candidate[row]).collect();
        self.search_sorted_rows(query, &rows)
    }

    /// The hits among `rows`, best first; large searches are split over the machine's cores
    /// (scoped threads).
    pub fn search_rows(&self, query: &str, rows: &[usize]) -> Vec<SearchHit> {
        if rows.is_sorted() {
            return self.search_sorted_rows(query, rows);
        }
        let mut sorted = rows.to_vec();
        sorted.sort_unstable();
        self.search_sorted_rows(query, &sorted)
    }

    /// [`SearchIndex::search_rows`] for `rows` in ascending order.
    fn search_sorted_rows(&self, query: &str, rows: &[usize]) -> Vec<SearchHit> {
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
        let hits = if threads > 1 {
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
        best_first(hits)
    }

    /// The hits among `rows` for a lowercased, non-empty `needle`, in the order of `rows`. A
    /// project (and a project name) is matched fuzzily at most once, and only for a writer
    /// nothing else matched.
    fn score_rows(&self, needle: &str, rows: &[usize]) -> Vec<SearchHit> {
        let mut fuzzy_scores: Vec<Option<Option<i64>>> = vec![None; self.projects.len()];
        let mut name_scores: Vec<Option<Option<u16>>> = vec![None; self.project_names.len()];
        let finder = Finder::new(needle);
        rows.iter()
            .filter_map(|&row| {
                let keys = self.rows.get(row)?;
                let project = self.projects.get(keys.project)?;
                let direct = [
                    substring_score(self.name(keys), &finder),
                    substring_score(self.server_ip(keys), &finder),
                    (project.id == needle).then_some(EXACT),
                ]
                .into_iter()
                .flatten()
                .max();
                let score = match direct {
                    Some(score) => score,
                    None => {
                        (*fuzzy_scores.get_mut(keys.project)?.get_or_insert_with(|| {
                            self.fuzzy_project_score(project, needle, &mut name_scores)
                        }))?
                    }
                };
                Some(SearchHit { row, score })
            })
            .collect()
    }

    /// The best fuzzy score of `needle` in the project's name or ID, kept below every
    /// substring score; `name_scores` keeps the names' scores for the projects sharing them.
    fn fuzzy_project_score(
        &self,
        project: &ProjectKeys,
        needle: &str,
        name_scores: &mut [Option<Option<u16>>],
    ) -> Option<i64> {
        let name = match name_scores.get_mut(project.name) {
            Some(memo) => *memo.get_or_insert_with(|| {
                let name = self.project_names.get(project.name)?;
                fuzzy_match(name, needle, None)
            }),
            None => None,
        };
        name.max(fuzzy_match(&project.id, needle, None))
            .map(|score| i64::from(score).min(FUZZY_MAX))
    }

    fn name(&self, keys: &RowKeys) -> &str {
        self.text.get(keys.start..keys.name_end).unwrap_or_default()
    }

    fn server_ip(&self, keys: &RowKeys) -> &str {
        self.text
            .get(keys.name_end..keys.ip_end)
            .unwrap_or_default()
    }

    /// Which characters of writer `row` match `query`, per field.
    pub fn highlights(&self, row: usize, query: &str) -> Highlights {
        let needle = query.trim().to_lowercase();
        let (Some(keys), false) = (self.rows.get(row), needle.is_empty()) else {
            return Highlights::default();
        };
        let fuzzy = |haystack: &str| {
            let mut positions = Vec::new();
            match fuzzy_match(haystack, &needle, Some(&mut positions)) {
                Some(_) => positions,
                None => Vec::new(),
            }
        };
        let (project_name, project_id) = self
            .projects
            .get(keys.project)
            .map(|p| {
                let name = self.project_names.get(p.name).map_or("", String::as_str);
                (fuzzy(name), fuzzy(&p.id))
            })
            .unwrap_or_default();
        Highlights {
            name: substring_positions(self.name(keys), &needle),
            server_ip: substring_positions(self.server_ip(keys), &needle),
            project_name,
            project_id,
        }
    }
}

/// The score of a name or IP that contains the needle `finder` looks for.
fn substring_score(haystack: &str, finder: &Finder) -> Option<i64> {
    let at = finder.find(haystack.as_bytes())?;
    Some(if haystack.len() == finder.needle().len() {
        EXACT
    } else if at == 0 {
        PREFIX
    } else {
        // Earlier matches rank a little higher.
        CONTAINS - i64::try_from(at).unwrap_or(i64::MAX).min(CONTAINS_SPREAD)
    })
}

/// `hits` (in ascending row order) best first, ties in row order. Scores span a narrow range,
/// so they are ranked by counting, in time linear in the hits; a comparison sort is the
/// fallback for a wider range.
fn best_first(mut hits: Vec<SearchHit>) -> Vec<SearchHit> {
    let (Some(low), Some(high)) = (
        hits.iter().map(|h| h.score).min(),
        hits.iter().map(|h| h.score).max(),
    ) else {
        return hits;
    };
    let Some(range) = high
        .checked_sub(low)
        .filter(|range| *range < COUNTING_RANGE)
        .and_then(|range| usize::try_from(range).ok())
    else {
        hits.sort_by_key(|hit| std::cmp::Reverse(hit.score));
        return hits;
    };
    // Bucket of a score: 0 for the best.
    let bucket = |score: i64| usize::try_from(high - score).unwrap_or(range);
    let mut starts = vec![0usize; range + 2];
    for hit in &hits {
        starts[bucket(hit.score) + 1] += 1;
    }
    for at in 1..starts.len() {
        starts[at] += starts[at - 1];
    }
    let mut ranked = vec![SearchHit { row: 0, score: 0 }; hits.len()];
    for hit in hits {
        let slot = &mut starts[bucket(hit.score)];
        ranked[*slot] = hit;
        *slot += 1;
    }
    ranked
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

thread_local! {
    /// The fuzzy matcher's scratch space, one per thread (it is too large to allocate per
    /// match).
    static MATCHER: RefCell<Matcher> = RefCell::new(Matcher::new(Config::DEFAULT));
}

/// The fuzzy score of lowercased `needle` in lowercased `haystack`, if all its characters
/// appear there in order; with `positions`, the matched char indices are put there.
fn fuzzy_match(haystack: &str, needle: &str, positions: Option<&mut Vec<usize>>) -> Option<u16> {
    let (mut hay_chars, mut needle_chars) = (Vec::new(), Vec::new());
    let haystack = Utf32Str::new(haystack, &mut hay_chars);
    let needle = Utf32Str::new(needle, &mut needle_chars);
    MATCHER.with_borrow_mut(|matcher| match positions {
        None => matcher.fuzzy_match(haystack, needle),
        Some(positions) => {
            let mut indices = Vec::new();
            let score = matcher.fuzzy_indices(haystack, needle, &mut indices)?;
            positions.extend(indices.iter().filter_map(|&at| usize::try_from(at).ok()));
            Some(score)
        }
    })
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
    fn projects_sharing_a_name_all_match_it_and_highlight_it() {
        let mut writers = fleet();
        writers.push(writer("w-9", "10.0.0.9", "np_other", "Payments archive"));
        let index = SearchIndex::build(&writers);
        let mut rows: Vec<usize> = index.search("pymnts").iter().map(|h| h.row).collect();
        rows.sort_unstable();
        assert_eq!(rows, vec![1, 3]);
        assert_eq!(index.highlights(3, "pay").project_name, vec![0, 1, 2]);
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
    fn ranking_by_counting_agrees_with_a_comparison_sort() {
        let scores = [
            EXACT, 3, PREFIX, -40, 9_950, 3, EXACT, 120, 9_000, PREFIX, -40,
        ];
        let hits: Vec<SearchHit> = scores
            .iter()
            .enumerate()
            .map(|(row, &score)| SearchHit { row, score })
            .collect();
        let mut expected = hits.clone();
        expected.sort_by(|a, b| b.score.cmp(&a.score).then(a.row.cmp(&b.row)));
        assert_eq!(best_first(hits.clone()), expected);
        // Too wide a range for counting: the comparison sort gives the same order.
        let mut wide = hits;
        wide.push(SearchHit {
            row: 11,
            score: -COUNTING_RANGE,
        });
        expected.push(SearchHit {
            row: 11,
            score: -COUNTING_RANGE,
        });
        assert_eq!(best_first(wide), expected);
        assert!(best_first(Vec::new()).is_empty());
    }

    #[test]
    fn rows_in_any_order_give_hits_with_ties_in_row_order() {
        let index = SearchIndex::build(&fleet());
        assert_eq!(index.search_rows("np", &[2, 0, 1]), index.search("np"));
        let broad = index.search("n");
        assert_eq!(index.search_within("np", &broad), index.search("np"));
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
