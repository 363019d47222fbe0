//! The latency bands a fleet's running writers are counted in: where an operator looks for
//! writers to pause.

use std::fmt;

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
}
