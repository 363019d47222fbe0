//! `jwctl start` and `jwctl pause`: resolve the writer, explain what will happen, get
//! consent, send once with `If-Match`, and report the controller's answer.

use chrono::{DateTime, Utc};

use crate::cli::args::{PauseArgs, StartArgs};
use crate::cli::confirm::confirm;
use crate::cli::context::Context;
use crate::cli::error::CliError;
use crate::cli::output;
use crate::cli::resolve::resolve;
use crate::client::ClientError;
use crate::domain::{
    PausePlan, StartPlan, Writer, Zone, format_ago, format_duration_ms, parse_timestamp,
    plan_pause, plan_start,
};

/// Runs `jwctl start`: prints one line on success.
pub async fn start(ctx: &Context, args: &StartArgs) -> Result<(), CliError> {
    ctx.check_writable("start")?;
    let now = Utc::now();
    let replay_from = args
        .replay_from
        .as_deref()
        .map(|ts| parse_timestamp(ts, now, &ctx.zone))
        .transpose()?;
    let writer = fetch(ctx, one_writer(&args.writers)?).await?;
    let needs_consent = match plan_start(&writer, replay_from, now) {
        Ok(StartPlan::AlreadyRunning) => false,
        Ok(StartPlan::Start { .. }) => true,
        Err(violation) => {
            output::stderr(&format!(
                "warning: {violation}\n(the controller decides; it will most likely refuse)"
            ));
            true
        }
    };
    if needs_consent {
        confirm(
            "start",
            &start_question(&writer, replay_from, &ctx.zone, now),
            args.yes,
        )?;
    }
    let after = ctx
        .client
        .start(&writer.id, replay_from, Some(writer.version))
        .await;
    let after = match after {
        Ok(after) => after,
        Err(e) => return Err(refusal(ctx, &writer, e).await),
    };
    output::stdout(&format!(
        "{}\n",
        start_outcome(&writer, &after, replay_from, &ctx.zone)
    ))
}

/// Runs `jwctl pause`: prints one line on success.
pub async fn pause(ctx: &Context, args: &PauseArgs) -> Result<(), CliError> {
    ctx.check_writable("pause")?;
    let now = Utc::now();
    let writer = fetch(ctx, one_writer(&args.writers)?).await?;
    match plan_pause(&writer) {
        Ok(PausePlan::Pause) => {
            confirm("pause", &pause_question(&writer, &ctx.zone, now), args.yes)?;
        }
        Ok(PausePlan::AlreadyStopped) => {}
        Err(violation) => {
            output::stderr(&format!("warning: {violation}"));
            confirm("pause", &pause_question(&writer, &ctx.zone, now), args.yes)?;
        }
    }
    let after = match ctx.client.pause(&writer.id, Some(writer.version)).await {
        Ok(after) => after,
        Err(e) => return Err(refusal(ctx, &writer, e).await),
    };
    output::stdout(&format!("{}\n", pause_outcome(&writer, &after, &ctx.zone)))
}

fn one_writer(writers: &[String]) -> Result<&str, CliError> {
    match writers {
        [writer] => Ok(writer),
        _ => Err(CliError::Usage("name exactly one WRITER".into())),
    }
}

/// Fetches the fleet once and resolves WRITER in it.
async fn fetch(ctx: &Context, key: &str) -> Result<Writer, CliError> {
    let list = ctx
        .client
        .list_writers(None)
        .await
        .map_err(|e| ctx.error(e))?;
    resolve(&list.writers, key).cloned()
}

/// The error for a refused POST; a version mismatch says what the writer is now.
async fn refusal(ctx: &Context, shown: &Writer, error: ClientError) -> CliError {
    let stale = matches!(&error, ClientError::Api { status: 412, .. })
        || error.code() == Some("version_mismatch");
    if !stale {
        return ctx.error(error);
    }
    let now = match ctx.client.writer(&shown.id).await {
        Ok(current) => format!(" (now {}, version {})", current.status, current.version),
        Err(_) => String::new(),
    };
    CliError::Failed(format!(
        "{} changed since it was shown{now}; check it and run the command again",
        shown.name
    ))
}

/// `2026-11-24 10:30:00 (Asia/Shanghai, 2h 00m ago)`.
fn wall_time(at: DateTime<Utc>, zone: &Zone, now: DateTime<Utc>) -> String {
    format!("{} ({zone}, {})", zone.format(at), format_ago(at, now))
}

fn place(writer: &Writer) -> String {
    format!("{} ({}, {})", writer.name, writer.server_ip, writer.region)
}

fn state_line(writer: &Writer) -> String {
    let mut line = format!("{} is {}", writer.name, writer.status);
    if let Some(latency) = writer.latency_ms {
        line.push_str(&format!(
            ", {} behind its store",
            format_duration_ms(latency)
        ));
    }
    if let Some(message) = &writer.message {
        line.push_str(&format!("; last error: {message}"));
    }
    line.push('.');
    line
}

/// What `jwctl start` asks before starting `writer`.
pub fn start_question(
    writer: &Writer,
    replay_from: Option<DateTime<Utc>>,
    zone: &Zone,
    now: DateTime<Utc>,
) -> String {
    let state = state_line(writer);
    match (replay_from, writer.checkpoint) {
        (Some(at), _) => format!(
            "{state}\nIts checkpoint is first reset to the replay timestamp, so the destination \
             receives the incremental data generated since then.\nStart {}, replaying data from \
             {}?",
            place(writer),
            wall_time(at, zone, now)
        ),
        (None, Some(checkpoint)) => format!(
            "{state}\nStart {}, resuming from its checkpoint {}?",
            place(writer),
            wall_time(checkpoint, zone, now)
        ),
        (None, None) => format!(
            "{state}\nStart {}? It has no checkpoint yet.",
            place(writer)
        ),
    }
}

/// What `jwctl pause` asks before pausing `writer`.
pub fn pause_question(writer: &Writer, zone: &Zone, now: DateTime<Utc>) -> String {
    let checkpoint = writer
        .checkpoint
        .map(|at| format!("its checkpoint {} is kept", wall_time(at, zone, now)))
        .unwrap_or_else(|| "it has no checkpoint yet".into());
    format!(
        "{}\nA paused writer stops writing to the destination until it is started again; \
         {checkpoint}.\nPause {}?",
        state_line(writer),
        place(writer)
    )
}

/// The line `jwctl start` prints for the controller's answer `after`.
pub fn start_outcome(
    before: &Writer,
    after: &Writer,
    replay_from: Option<DateTime<Utc>>,
    zone: &Zone,
) -> String {
    if after.version == before.version {
        return format!("{} is already {}", after.name, after.status);
    }
    let from = match (replay_from, before.checkpoint) {
        (Some(at), _) => format!("replaying from {} {zone}", zone.format(at)),
        (None, Some(at)) => format!("resuming from checkpoint {} {zone}", zone.format(at)),
        (None, None) => "no checkpoint yet".into(),
    };
    format!("Started {}: {} ({from})", after.name, after.status)
}

/// The line `jwctl pause` prints for the controller's answer `after`.
pub fn pause_outcome(before: &Writer, after: &Writer, zone: &Zone) -> String {
    if after.version == before.version {
        return format!("{} is already {}", after.name, after.status);
    }
    let kept = after
        .checkpoint
        .map(|at| format!("checkpoint {} {zone} kept", zone.format(at)))
        .unwrap_or_else(|| "no checkpoint".into());
    format!("Paused {}: {} ({kept})", after.name, after.status)
}

#[cfg(test)]
mod tests {
    use chrono::Duration;

    use super::*;
    use crate::cli::resolve::tests::writer;
    use crate::domain::WriterStatus;

    fn shanghai() -> Zone {
        "Asia/Shanghai".parse().unwrap_or_default()
    }

    fn stopped() -> Writer {
        let mut w = writer(
            "id-1",
            "np_4w3a8kz1-incr_trans-1-0",
            "cn-hangzhou",
            "Orders",
        );
        w.status = WriterStatus::Stopped;
        w.latency_ms = Some(300_000);
        w
    }

    #[test]
    fn the_start_question_names_the_writer_and_the_replay_time() {
        let w = stopped();
        let now = w.updated_at + Duration::minutes(5);
        let replay = now - Duration::hours(2);
        let question = start_question(&w, Some(replay), &shanghai(), now);
        assert!(
            question.ends_with(
                "Start np_4w3a8kz1-incr_trans-1-0 (10.18.3.122, cn-hangzhou), replaying data \
                 from 2026-11-24 16:05:00 (Asia/Shanghai, 2h 00m ago)?"
            ),
            "{question}"
        );
        assert!(question.starts_with("np_4w3a8kz1-incr_trans-1-0 is stopped, 5m 00s behind"));
        let resume = start_question(&w, None, &shanghai(), now);
        assert!(
            resume.ends_with(
                "resuming from its checkpoint 2026-11-24 18:00:00 (Asia/Shanghai, 5m 00s ago)?"
            ),
            "{resume}"
        );
    }

    #[test]
    fn the_pause_question_says_the_checkpoint_is_kept() {
        let mut w = stopped();
        w.status = WriterStatus::Running;
        let question = pause_question(&w, &shanghai(), w.updated_at);
        assert!(question.contains("stops writing to the destination until it is started again"));
        assert!(
            question.contains("its checkpoint 2026-11-24 18:00:00 (Asia/Shanghai, 0s ago) is kept")
        );
        assert!(question.ends_with("Pause np_4w3a8kz1-incr_trans-1-0 (10.18.3.122, cn-hangzhou)?"));
    }

    #[test]
    fn outcomes_tell_a_change_from_a_no_op() {
        let before = stopped();
        let mut after = before.clone();
        after.status = WriterStatus::Starting;
        after.version += 1;
        let replay = before.updated_at - Duration::hours(1);
        assert_eq!(
            start_outcome(&before, &after, Some(replay), &shanghai()),
            "Started np_4w3a8kz1-incr_trans-1-0: starting (replaying from 2026-11-24 17:00:00 Asia/Shanghai)"
        );
        assert_eq!(
            start_outcome(&after, &after, None, &shanghai()),
            "np_4w3a8kz1-incr_trans-1-0 is already starting"
        );
        let mut paused = after.clone();
        paused.status = WriterStatus::Pausing;
        paused.version += 1;
        assert_eq!(
            pause_outcome(&after, &paused, &shanghai()),
            "Paused np_4w3a8kz1-incr_trans-1-0: pausing (checkpoint 2026-11-24 18:00:00 Asia/Shanghai kept)"
        );
        assert_eq!(
            pause_outcome(&before, &before, &shanghai()),
            "np_4w3a8kz1-incr_trans-1-0 is already stopped"
        );
    }
}
