//! The latency bands a fleet's running writers are counted in: where an operator looks for
//! writers to pause.

use std::fmt;

use super::WriterStatus;

/// A band of latency.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum LatencyBand {
    /// Under a second.
    Under1s,
    /// From 1 s to under 10 s.
    From1sTo10s,
    /// From 10 s to under 60 s.
    From10sTo60s,
    /// 60 s or more.
    From60s,
}

impl LatencyBand {
    /// Every band, lowest first.
    pub const ALL: [LatencyBand; 4] = [
        LatencyBand::Under1s,
        LatencyBand::From1sTo10s,
        LatencyBand::From10sTo60s,
        LatencyBand::From60s,
    ];

    /// The band of `latency_ms`.
    pub fn of(latency_ms: u64) -> LatencyBand {
        match latency_ms {
            0..1_000 => LatencyBand::Under1s,
            1_000..10_000 => LatencyBand::From1sTo10s,
            10_000..60_000 => LatencyBand::From10sTo60s,
            _ => LatencyBand::From60s,
        }
    }

    /// Its position in [`LatencyBand::ALL`].
    pub fn index(self) -> usize {
        self as usize
    }

    /// As the console writes it: `< 1s`, `1–10s`, `10–60s`, `≥ 60s`.
    pub fn label(self) -> &'static str {
        match self {
            LatencyBand::Under1s => "< 1s",
            LatencyBand::From1sTo10s => "1–10s",
            LatencyBand::From10sTo60s => "10–60s",
            LatencyBand::From60s => "≥ 60s",
        }
    }
}

impl fmt::Display for LatencyBand {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// Writers counted by status, and the running ones by latency band: a region's health, as
/// the controller's `GET /v1/fleet/health` and the console's health view count it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Tally {
    /// Per status, in [`WriterStatus::ALL`] order.
    pub statuses: [u64; WriterStatus::ALL.len()],
    /// Running writers per band, in [`LatencyBand::ALL`] order (one whose latency is not
    /// known is in none).
    pub bands: [u64; LatencyBand::ALL.len()],
}

impl Tally {
    /// Counts a writer in `status`, `latency_ms` behind.
    pub fn add(&mut self, status: WriterStatus, latency_ms: Option<u64>) {
        if let Some(count) = self.statuses.get_mut(status.index()) {
            *count += 1;
        }
        if status == WriterStatus::Running
            && let Some(ms) = latency_ms
            && let Some(count) = self.bands.get_mut(LatencyBand::of(ms).index())
        {
            *count += 1;
        }
    }

    /// Adds `other`'s counts to these.
    pub fn merge(&mut self, other: &Tally) {
        for (sum, n) in self.statuses.iter_mut().zip(other.statuses) {
            *sum += n;
        }
        for (sum, n) in self.bands.iter_mut().zip(other.bands) {
            *sum += n;
        }
    }

    /// The writers counted.
    pub fn total(&self) -> u64 {
        self.statuses.iter().sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bands_start_at_their_lower_bound() {
        let banded: Vec<LatencyBand> = [0, 999, 1_000, 9_999, 10_000, 59_999, 60_000, u64::MAX]
            .into_iter()
            .map(LatencyBand::of)
            .collect();
        use LatencyBand::*;
        assert_eq!(
            banded,
            [
                Under1s,
                Under1s,
                From1sTo10s,
                From1sTo10s,
                From10sTo60s,
                From10sTo60s,
                From60s,
                From60s
            ]
        );
        for (i, band) in LatencyBand::ALL.into_iter().enumerate() {
            assert_eq!(band.index(), i);
        }
    }

    #[test]
    fn a_tally_counts_every_writer_by_status_and_running_ones_by_band() {
        let mut tally = Tally::default();
        tally.add(WriterStatus::Running, Some(65_000));
        tally.add(WriterStatus::Running, None);
        tally.add(WriterStatus::Stopped, Some(65_000));
        let mut sum = Tally::default();
        sum.merge(&tally);
        sum.merge(&tally);
        assert_eq!(sum.total(), 6);
        assert_eq!(sum.statuses[WriterStatus::Running.index()], 4);
        assert_eq!(
            sum.bands,
            [0, 0, 0, 2],
            "a stopped writer's latency is in no band"
        );
    }
}
