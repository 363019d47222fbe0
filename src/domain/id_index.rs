//! Where each writer of a fleet is, by id, in 12 bytes a writer: the ids' hashes in order,
//! each with its position; the fleet's writers hold the ids themselves, and a lookup checks
//! the id it lands on (a map of cloned ids cost 100 bytes a writer, a map of shared ids 50
//! at a million). The console's fleet, the controller's and its change feed use it.

use std::hash::{BuildHasher, BuildHasherDefault, DefaultHasher};

use crate::domain::Writer;

/// Something a fleet holds by id.
pub trait Identified {
    /// Its id, unique in its fleet.
    fn id(&self) -> &str;
}

impl Identified for Writer {
    fn id(&self) -> &str {
        &self.id
    }
}

/// Positions of writers by id (see the module documentation).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IdIndex {
    /// (hash of the id, position), sorted.
    entries: Vec<(u64, u32)>,
}

fn hash(id: &str) -> u64 {
    BuildHasherDefault::<DefaultHasher>::default().hash_one(id)
}

impl IdIndex {
    /// Indexes `writers` by id.
    pub fn build<T: Identified>(writers: &[T]) -> Self {
        let mut entries: Vec<(u64, u32)> = writers
            .iter()
            .enumerate()
            .filter_map(|(row, w)| Some((hash(w.id()), u32::try_from(row).ok()?)))
            .collect();
        entries.sort_unstable();
        IdIndex { entries }
    }

    /// The position of writer `id` in `writers` (the slice this index was built from).
    pub fn get<T: Identified>(&self, writers: &[T], id: &str) -> Option<usize> {
        let wanted = hash(id);
        let from = self.entries.partition_point(|&(h, _)| h < wanted);
        self.entries
            .get(from..)?
            .iter()
            .take_while(|&&(h, _)| h == wanted)
            .map(|&(_, row)| row as usize)
            .find(|&row| writers.get(row).is_some_and(|w| w.id() == id))
    }

    /// Whether two of `writers` (the slice this index was built from) have the same id.
    pub fn has_duplicates<T: Identified>(&self, writers: &[T]) -> bool {
        let id = |row: u32| writers.get(row as usize).map(T::id);
        self.entries
            .chunk_by(|a, b| a.0 == b.0)
            .filter(|same_hash| same_hash.len() > 1)
            .any(|same_hash| {
                let mut ids: Vec<Option<&str>> = same_hash.iter().map(|&(_, r)| id(r)).collect();
                ids.sort_unstable();
                ids.windows(2).any(|pair| pair[0] == pair[1])
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_writer_is_found_at_its_position_and_others_are_not() {
        let writers = crate::controller::demo_writers(500, 3, chrono::Utc::now());
        let index = IdIndex::build(&writers);
        for (row, w) in writers.iter().enumerate() {
            assert_eq!(index.get(&writers, &w.id), Some(row));
        }
        assert_eq!(index.get(&writers, "no such writer"), None);
        assert_eq!(index.get(&writers, ""), None);
        let first = writers.first().map(|w| w.id.as_str()).unwrap_or_default();
        assert_eq!(IdIndex::default().get(&writers, first), None);
    }

    #[test]
    fn duplicates_are_told_from_distinct_ids() {
        let mut writers = crate::controller::demo_writers(500, 3, chrono::Utc::now());
        assert!(!IdIndex::build(&writers).has_duplicates(&writers));
        let mut twin = writers[7].clone();
        twin.name = "a twin".into();
        writers.push(twin);
        assert!(IdIndex::build(&writers).has_duplicates(&writers));
    }
}
