//! Near misses of an unknown WRITER: the writer names within a few typing mistakes of it.

use crate::domain::Writer;

/// Keys longer than this get no edit-distance suggestions (the work grows with the length).
const MAX_KEY_CHARS: usize = 128;

/// The writers whose names are closest to `key` by edit distance (case-insensitive), best
/// first (ties in fleet order), at most `limit`. Only names within about one mistake per four
/// characters count, so an unrelated name is never suggested. Each name costs at most
/// `key length × (key length + allowance)` steps, and one that cannot come close is given up
/// early, so a fleet of 100,000 writers takes a fraction of a second on this error path.
pub fn closest_names(writers: &[Writer], key: &str, limit: usize) -> Vec<usize> {
    let key: Vec<char> = key.trim().to_lowercase().chars().collect();
    if key.is_empty() || key.len() > MAX_KEY_CHARS {
        return Vec::new();
    }
    let allowed = (key.len() / 4).max(1);
    let mut scratch = Scratch::default();
    let mut near: Vec<(usize, usize)> = writers
        .iter()
        .enumerate()
        .filter_map(|(row, writer)| {
            scratch
                .distance(&key, &writer.name, allowed)
                .map(|distance| (distance, row))
        })
        .collect();
    near.sort_unstable();
    near.into_iter().take(limit).map(|(_, row)| row).collect()
}

/// Buffers reused from one name to the next.
#[derive(Default)]
struct Scratch {
    name: Vec<char>,
    previous: Vec<usize>,
    current: Vec<usize>,
}

impl Scratch {
    /// The Levenshtein distance between `key` (lowercased) and `name`, if it is at most
    /// `allowed`.
    fn distance(&mut self, key: &[char], name: &str, allowed: usize) -> Option<usize> {
        self.name.clear();
        self.name.extend(name.chars().flat_map(char::to_lowercase));
        let name = &self.name;
        if name.len().abs_diff(key.len()) > allowed {
            return None;
        }
        self.previous.clear();
        self.previous.extend(0..=name.len());
        for (i, &k) in key.iter().enumerate() {
            self.current.clear();
            self.current.push(i + 1);
            let mut best = i + 1;
            for (j, &n) in name.iter().enumerate() {
                let substitute = self.previous[j] + usize::from(k != n);
                let delete = self.previous[j + 1] + 1;
                let insert = self.current[j] + 1;
                let cell = substitute.min(delete).min(insert);
                best = best.min(cell);
                self.current.push(cell);
            }
            // Every path to the end goes through this row: past the allowance, give up.
            if best > allowed {
                return None;
            }
            std::mem::swap(&mut self.previous, &mut self.current);
        }
        self.previous.last().copied().filter(|&d| d <= allowed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::resolve::tests::writer;

    fn fleet(names: &[&str]) -> Vec<Writer> {
        names
            .iter()
            .enumerate()
            .map(|(i, name)| writer(&format!("id-{i}"), name, "cn-hangzhou", "Orders"))
            .collect()
    }

    fn suggest(writers: &[Writer], key: &str) -> Vec<String> {
        closest_names(writers, key, 5)
            .into_iter()
            .map(|row| writers[row].name.clone())
            .collect()
    }

    #[test]
    fn a_writer_that_does_not_exist_suggests_its_project_siblings_best_first() {
        let writers = fleet(&[
            "np_zz8kq2p1-incr_trans-1-0",
            "np_6f5dljs4-incr_trans-2-0",
            "np_6f5dljs4-incr_trans-1-0",
            "np_6f5dljs4-full_trans-1-0",
            "np_9ax01mmb-incr_trans-9-0",
        ]);
        assert_eq!(
            suggest(&writers, "np_6f5dljs4-incr_trans-9-0"),
            [
                "np_6f5dljs4-incr_trans-2-0",
                "np_6f5dljs4-incr_trans-1-0",
                "np_6f5dljs4-full_trans-1-0"
            ]
        );
        // A typo in the project id, and upper case, still find the writer.
        assert_eq!(
            suggest(&writers, "NP_6F5DLJS4-INCR_TRANS-1-O")[0],
            "np_6f5dljs4-incr_trans-1-0"
        );
        assert_eq!(
            suggest(&writers, "np_6f5djls4-incr_trans-2-0")[0],
            "np_6f5dljs4-incr_trans-2-0"
        );
    }

    #[test]
    fn unrelated_long_and_empty_keys_suggest_nothing() {
        let writers = fleet(&["orders-1", "twin"]);
        assert!(suggest(&writers, "payments-archive").is_empty());
        assert!(suggest(&writers, "").is_empty());
        assert!(suggest(&writers, &"x".repeat(10_000)).is_empty());
        assert_eq!(suggest(&writers, "orders-2"), ["orders-1"]);
        assert_eq!(suggest(&writers, "twn"), ["twin"]);
    }

    #[test]
    fn distances_are_levenshtein() {
        let mut scratch = Scratch::default();
        let key: Vec<char> = "kitten".chars().collect();
        assert_eq!(scratch.distance(&key, "sitting", 3), Some(3));
        assert_eq!(scratch.distance(&key, "sitting", 2), None);
        assert_eq!(scratch.distance(&key, "KITTEN", 1), Some(0));
        assert_eq!(scratch.distance(&key, "kitte", 1), Some(1));
    }

    proptest::proptest! {
        #[test]
        fn within_the_allowance_the_distance_is_symmetric(
            a in "[a-c]{0,8}",
            b in "[a-c]{0,8}",
        ) {
            let mut scratch = Scratch::default();
            let ka: Vec<char> = a.chars().collect();
            let kb: Vec<char> = b.chars().collect();
            proptest::prop_assert_eq!(
                scratch.distance(&ka, &b, 16),
                scratch.distance(&kb, &a, 16)
            );
        }
    }
}
