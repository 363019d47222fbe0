//! `jwctl audit`: the controller's audit log across writers, as a table or as JSON.

use chrono::Utc;
use serde::Serialize;

use crate::api::{AuditAction, AuditEntry, AuditQuery};
use crate::cli::args::{AuditArgs, OutputFormat};
use crate::cli::context::Context;
use crate::cli::error::CliError;
use crate::cli::output;
use crate::cli::resolve::resolve;
use crate::cli::table::{Cell, align};
use crate::domain::{Zone, parse_timestamp};

const HEADERS: [&str; 6] = ["TIME", "ACTOR", "ACTION", "RESULT", "WRITER", "DETAIL"];

#[derive(Serialize)]
struct JsonLog<'a> {
    entries: &'a [AuditEntry],
}

/// Runs `jwctl audit`.
pub async fn run(ctx: &Context, args: &AuditArgs) -> Result<(), CliError> {
    let since = args
        .since
        .as_deref()
        .map(|ts| parse_timestamp(ts, Utc::now(), &ctx.zone))
        .transpose()?;
    let writer = match &args.writer {
        Some(key) => Some(writer_id(ctx, key).await?),
        None => None,
    };
    let query = AuditQuery {
        writer,
        actor: args.actor.clone(),
        since,
        limit: args.limit,
    };
    let entries = ctx
        .client
        .audit_log(&query)
        .await
        .map_err(|e| ctx.error(e))?;
    match args.output {
        OutputFormat::Json => {
            let mut text = serde_json::to_string_pretty(&JsonLog { entries: &entries })
                .map_err(|e| CliError::Failed(format!("cannot encode the audit as JSON: {e}")))?;
            text.push('\n');
            output::stdout(&text)
        }
        OutputFormat::Table => {
            let rows: Vec<[Cell; 6]> = entries.iter().map(|e| cells(e, &ctx.zone)).collect();
            output::stdout(&align(HEADERS, &rows, &[]))?;
            let plural = if entries.len() == 1 {
                "entry"
            } else {
                "entries"
            };
            output::stderr(&format!(
                "{} {plural}, newest first; times in {}",
                entries.len(),
                ctx.zone
            ));
            Ok(())
        }
    }
}

/// The id of the writer `key` names: an id the controller has, else a unique name.
async fn writer_id(ctx: &Context, key: &str) -> Result<String, CliError> {
    match ctx.client.writer(key).await {
        Ok(writer) => Ok(writer.id),
        Err(error) if error.code() == Some("writer_not_found") => {
            let list = ctx
                .client
                .list_writers(None)
                .await
                .map_err(|e| ctx.error(e))?;
            resolve(&list.writers, key).map(|w| w.id.clone())
        }
        Err(error) => Err(ctx.error(error)),
    }
}

fn cells(entry: &AuditEntry, zone: &Zone) -> [Cell; 6] {
    let action = match entry.action {
        AuditAction::Start if entry.replay_from.is_some() => "replay",
        AuditAction::Start => "start",
        AuditAction::Pause => "pause",
    };
    let detail = match (&entry.replay_from, &entry.message) {
        (Some(from), Some(message)) => format!("from {}; {message}", zone.format(*from)),
        (Some(from), None) => format!("from {}", zone.format(*from)),
        (None, Some(message)) => message.clone(),
        (None, None) => String::new(),
    };
    [
        Cell::plain(zone.format(entry.at)),
        Cell::plain(entry.actor.clone()),
        Cell::plain(action),
        Cell::plain(entry.result.clone()),
        Cell::plain(entry.writer_id.clone()),
        Cell::plain(detail),
    ]
}
