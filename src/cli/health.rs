//! `jwctl health`: per region, writers by status and running writers by latency band.

use crate::api::{FleetHealth, RegionHealth};
use crate::cli::args::{HealthArgs, OutputFormat};
use crate::cli::context::Context;
use crate::cli::error::CliError;
use crate::cli::output;
use crate::cli::table::{Cell, align};
use crate::domain::WriterStatus;

const HEADERS: [&str; 11] = [
    "REGION", "RUNNING", "STARTING", "PAUSING", "STOPPED", "FAILED", "UNKNOWN", "<1s", "1-10s",
    "10-60s", ">=60s",
];

/// Runs `jwctl health`.
pub async fn run(ctx: &Context, args: &HealthArgs) -> Result<(), CliError> {
    let health = ctx.client.fleet_health().await.map_err(|e| ctx.error(e))?;
    match args.output {
        OutputFormat::Json => {
            let mut text = serde_json::to_string_pretty(&health)
                .map_err(|e| CliError::Failed(format!("cannot encode the health as JSON: {e}")))?;
            text.push('\n');
            output::stdout(&text)
        }
        OutputFormat::Table => output::stdout(&render(&health)),
    }
}

/// The table: a line per region, counts right-aligned.
pub fn render(health: &FleetHealth) -> String {
    let rows: Vec<[Cell; 11]> = health.regions.iter().map(cells).collect();
    let counts: Vec<usize> = (1..HEADERS.len()).collect();
    align(HEADERS, &rows, &counts)
}

fn cells(region: &RegionHealth) -> [Cell; 11] {
    let status = |status: WriterStatus| {
        let count = region.statuses.get(status.as_str()).copied().unwrap_or(0);
        Cell::plain(count.to_string())
    };
    let bands = region.latency_bands;
    [
        Cell::plain(region.region.clone()),
        status(WriterStatus::Running),
        status(WriterStatus::Starting),
        status(WriterStatus::Pausing),
        status(WriterStatus::Stopped),
        status(WriterStatus::Failed),
        status(WriterStatus::Unknown),
        Cell::plain(bands.lt_1s.to_string()),
        Cell::plain(bands.from_1s_to_10s.to_string()),
        Cell::plain(bands.from_10s_to_60s.to_string()),
        Cell::plain(bands.ge_60s.to_string()),
    ]
}
