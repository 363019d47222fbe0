//! The deterministic demo fleet: the same N writers every time (fixed-seed PRNG), spread over
//! regions and migration projects of about five writers each, with realistic names, ids,
//! statuses, failures and a few slow writers.

use std::collections::HashSet;
use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};

use super::engine::DemoSeed;
use super::fleet::{Slot, StoreModel, WriterIdentity, WriterState};
use crate::domain::{Project, SharedStr, Writer, WriterKind, WriterStatus};

/// Regions in the order a demo deployment takes them.
pub const REGIONS: [&str; 26] = [
    "cn-hangzhou",
    "cn-shanghai",
    "cn-beijing",
    "cn-shenzhen",
    "cn-qingdao",
    "cn-zhangjiakou",
    "cn-chengdu",
    "cn-guangzhou",
    "cn-nanjing",
    "cn-wuhan",
    "cn-fuzhou",
    "cn-heyuan",
    "cn-huhehaote",
    "cn-wulanchabu",
    "cn-hongkong",
    "ap-southeast-1",
    "ap-southeast-3",
    "ap-southeast-5",
    "ap-southeast-6",
    "ap-southeast-7",
    "ap-northeast-1",
    "ap-northeast-2",
    "eu-central-1",
    "eu-west-1",
    "us-west-1",
    "us-east-1",
];

const DOMAINS: [&str; 24] = [
    "orders",
    "payment ledger",
    "inventory",
    "user profile",
    "logistics",
    "coupon",
    "risk control",
    "settlement",
    "member points",
    "order items",
    "billing",
    "product catalog",
    "reviews",
    "refunds",
    "warehouse",
    "shipment tracking",
    "customer service",
    "marketing",
    "loyalty",
    "trade",
    "accounts",
    "invoices",
    "reconciliation",
    "tpcc",
];

const PATHS: [&str; 6] = [
    "MySQL to OceanBase",
    "Oracle to OceanBase",
    "MySQL to OceanBase",
    "DB2 LUW to OceanBase",
    "OceanBase to MySQL",
    "PostgreSQL to OceanBase",
];

const FAILURES: [&str; 6] = [
    "java.sql.SQLException: Lock wait timeout exceeded; try restarting transaction",
    "com.mysql.cj.jdbc.exceptions.CommunicationsException: Communications link failure",
    "java.sql.SQLIntegrityConstraintViolationException: Duplicate entry '10086' for key 'PRIMARY'",
    "java.sql.SQLSyntaxErrorException: Table 'tpcc.order_line' doesn't exist",
    "java.sql.SQLException: ORA-00060: deadlock detected while waiting for resource",
    "java.sql.SQLTransientConnectionException: connection pool exhausted after 30000 ms",
];

const RETENTION_HOURS: [i64; 6] = [6, 12, 24, 48, 72, 168];

/// The demo fleet relative to `now`, as the engine serves it and the database stores it.
/// Regions, projects and stores are shared between the writers that have them.
pub(crate) fn demo_seed(writers: usize, regions: u8, now: DateTime<Utc>) -> DemoSeed {
    let (stores, slots) = demo_fleet(writers, regions, now);
    DemoSeed {
        stores: stores
            .iter()
            .map(|store| StoreModel::clone(store))
            .collect(),
        slots,
    }
}

/// The demo fleet's stores and writers (all at version 1), relative to `now`.
pub(crate) fn demo_fleet(
    writers: usize,
    regions: u8,
    now: DateTime<Utc>,
) -> (Vec<Arc<StoreModel>>, Vec<Slot>) {
    let mut rng = SplitMix64(0x6a77_6374_6c5f_6465);
    let regions: Vec<SharedStr> = (0..usize::from(regions.max(1)))
        .map(|i| match REGIONS.get(i) {
            Some(name) => SharedStr::from(*name),
            None => SharedStr::from(format!("region-{i}")),
        })
        .collect();
    let failures: Vec<SharedStr> = FAILURES.into_iter().map(SharedStr::from).collect();
    let mut stores = Vec::new();
    let mut fleet = Vec::with_capacity(writers);
    let mut project_ids = HashSet::new();
    while fleet.len() < writers {
        let project_id = loop {
            let id = format!("np_{}", rng.base36(8));
            if project_ids.insert(id.clone()) {
                break id;
            }
        };
        let project = Project {
            name: project_name(&mut rng).into(),
            id: project_id.as_str().into(),
        };
        let region_index = rng.below(regions.len() as u64) as usize;
        let region = regions[region_index].clone();
        let kind = if rng.chance(0.8) {
            WriterKind::Incremental
        } else {
            WriterKind::Full
        };
        let store = Arc::new(StoreModel {
            id: format!("store_{project_id}").into(),
            lag_ms: rng.below(3001) as i64,
            retention_ms: RETENTION_HOURS[rng.below(RETENTION_HOURS.len() as u64) as usize]
                * 3_600_000,
        });
        let size = (3 + rng.below(5) as usize).min(writers - fleet.len());
        for part in 1..=size {
            let server_ip = format!(
                "10.{}.{}.{}",
                18 + region_index,
                rng.below(8),
                2 + rng.below(250)
            );
            let trans = match kind {
                WriterKind::Incremental => "incr_trans",
                WriterKind::Full => "full_trans",
            };
            let name = format!("{project_id}-{trans}-{part}-0");
            let id = format!(
                "{server_ip}-9000:connector_v2:{name}:{:010}",
                fleet.len() + 1
            );
            let identity = WriterIdentity {
                id: id.into(),
                name: name.into(),
                server_ip: server_ip.into(),
                region: region.clone(),
                project: project.clone(),
                kind,
            };
            fleet.push(Slot {
                identity: Arc::new(identity),
                state: demo_state(&mut rng, &store, &failures, now),
                store: Arc::clone(&store),
            });
        }
        stores.push(store);
    }
    (stores, fleet)
}

/// The demo fleet's writers as the API shows them at `now`, sorted by name: the same
/// deterministic fleet `jwctl serve --demo-fleet N` seeds, for benchmarks and screenshots.
pub fn demo_writers(writers: usize, regions: u8, now: DateTime<Utc>) -> Vec<Writer> {
    let mut shown: Vec<Writer> = demo_seed(writers, regions, now)
        .slots
        .iter()
        .map(|slot| slot.view(now))
        .collect();
    shown.sort_by(|a, b| a.name.cmp(&b.name));
    shown
}

fn project_name(rng: &mut SplitMix64) -> String {
    let domain = DOMAINS[rng.below(DOMAINS.len() as u64) as usize];
    match rng.below(3) {
        0 => format!("{domain} sync"),
        _ => format!("{domain} {}", PATHS[rng.below(PATHS.len() as u64) as usize]),
    }
}

fn demo_state(
    rng: &mut SplitMix64,
    store: &StoreModel,
    failures: &[SharedStr],
    now: DateTime<Utc>,
) -> WriterState {
    let latest = now - Duration::milliseconds(store.lag_ms);
    let ms = Duration::milliseconds;
    let roll = rng.below(1000);
    let (status, checkpoint, rate, message) = if roll < 40 {
        let failure = failures.get(rng.below(failures.len() as u64) as usize);
        let behind = ms(300_000 + rng.below(3 * 3_600_000) as i64);
        (
            WriterStatus::Failed,
            latest - behind,
            fast_rate(rng),
            failure.cloned(),
        )
    } else if roll < 70 {
        // Stopped so long ago that the store no longer holds its checkpoint.
        let expired_by = ms(3_600_000 + rng.below(86_400_000) as i64);
        (
            WriterStatus::Stopped,
            now - ms(store.retention_ms) - expired_by,
            fast_rate(rng),
            None,
        )
    } else if roll < 140 {
        let behind = ms(60_000 + rng.below(2 * 3_600_000) as i64);
        (WriterStatus::Stopped, latest - behind, fast_rate(rng), None)
    } else if roll < 220 {
        // Slow: writes less than a second of data per second, so its latency grows.
        let behind = ms(30_000 + rng.below(1_800_000) as i64);
        let rate = 0.5 + rng.below(41) as f64 / 100.0;
        (WriterStatus::Running, latest - behind, rate, None)
    } else {
        let behind = ms(rng.below(2000) as i64);
        (WriterStatus::Running, latest - behind, fast_rate(rng), None)
    };
    WriterState {
        status,
        anchor_checkpoint: Some(checkpoint),
        anchor_time: now,
        rate,
        message,
        version: 1,
        updated_at: now - ms(rng.below(86_400_000) as i64),
    }
}

/// Writers that keep up write 5x to 40x faster than real time.
fn fast_rate(rng: &mut SplitMix64) -> f64 {
    5.0 + rng.below(36) as f64
}

/// splitmix64: tiny, fast, and the same sequence everywhere.
struct SplitMix64(u64);

impl SplitMix64 {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (`n > 0`; modulo bias is irrelevant here).
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }

    fn chance(&mut self, p: f64) -> bool {
        ((self.next() >> 11) as f64 / (1u64 << 53) as f64) < p
    }

    fn base36(&mut self, len: usize) -> String {
        const DIGITS: &[u8; 36] = b"0123456789abcdefghijklmnopqrstuvwxyz";
        (0..len)
            .map(|_| char::from(DIGITS[self.below(36) as usize]))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 24, 10, 0, 0)
            .single()
            .unwrap_or_default()
    }

    #[test]
    fn the_demo_fleet_is_deterministic_and_well_formed() {
        let shown =
            |slots: &[Slot]| -> Vec<Writer> { slots.iter().map(|s| s.view(now())).collect() };
        let (stores, slots) = demo_fleet(1000, 3, now());
        let (stores_again, slots_again) = demo_fleet(1000, 3, now());
        assert_eq!(stores, stores_again);
        assert_eq!(shown(&slots), shown(&slots_again));
        assert_eq!(slots.len(), 1000);
        let writers: Vec<(&WriterIdentity, &WriterState)> =
            slots.iter().map(|s| (&*s.identity, &s.state)).collect();
        let names: HashSet<_> = writers.iter().map(|(w, _)| &*w.name).collect();
        assert_eq!(names.len(), 1000, "names are unique");
        let regions: HashSet<_> = writers.iter().map(|(w, _)| w.region.as_str()).collect();
        assert_eq!(regions.len(), 3);
        let projects: HashSet<_> = writers.iter().map(|(w, _)| &w.project.id).collect();
        let per_project = 1000.0 / projects.len() as f64;
        assert!((4.0..=6.0).contains(&per_project), "{per_project}");
        let count = |status| writers.iter().filter(|(_, s)| s.status == status).count();
        assert!((20..=70).contains(&count(WriterStatus::Failed)));
        assert!(count(WriterStatus::Stopped) > 50);
        assert!(count(WriterStatus::Running) > 700);
        assert!(writers.iter().any(|(_, s)| s.rate < 1.0));
        assert!(writers.iter().any(|(w, _)| w.kind == WriterKind::Full));
        let (first, _) = &writers[0];
        assert!(first.id.ends_with(&format!("{}:0000000001", first.name)));
        assert!(first.project.id.starts_with("np_") && first.project.id.len() == 11);
        assert!(
            slots
                .iter()
                .all(|s| stores.iter().any(|st| Arc::ptr_eq(st, &s.store)))
        );
    }

    #[test]
    fn one_region_means_a_single_region_fleet() {
        let (_, slots) = demo_fleet(50, 1, now());
        assert!(slots.iter().all(|s| s.identity.region == "cn-hangzhou"));
    }
}
