//! `jwctl start` and `jwctl pause`: find the writers, check them against the shared rules,
//! explain what will happen, get consent, send once with `If-Match`, and report the
//! controller's answer. One WRITER gets one line of output; several WRITERs or a selection
//! go through [`crate::cli::batch`] and get a result table.

use chrono::{DateTime, Utc};

use crate::cli::args::{PauseArgs, StartArgs};
use crate::cli::batch::{self, current, is_version_mismatch, now_clause, send};
use crate::cli::confirm::confirm;
use crate::cli::context::Context;
use crate::cli::error::CliError;
use crate::cli::output;
use crate::cli::plan::{Operation, SKIP_QUESTION, Spans, Step, step};
use crate::cli::report::{pause_detail, start_detail};
use crate::cli::targets::{Targets, fetch_named, fetch_one, fetch_selection};
use crate::client::ClientError;
use crate::domain::{
    Writer, Zone, format_ago, format_duration_ms, localize_times, parse_timestamp,
};

/// Runs `jwctl start`.
pub async fn start(ctx: &Context, args: &StartArgs) -> Result<(), CliError> {
    ctx.check_writable("start")?;
    let targets = Targets::of(&args.writers, &args.selection, "start")?;
    let now = Utc::now();
    let replay_from = args
        .replay_from
        .as_deref()
        .map(|ts| parse_timestamp(ts, now, &ctx.zone))
        .transpose()?;
    act(
        ctx,
        Operation::Start { replay_from },
        &targets,
        args.yes,
        now,
    )
    .await
}

/// Runs `jwctl pause`.
pub async fn pause(ctx: &Context, args: &PauseArgs) -> Result<(), CliError> {
    ctx.check_writable("pause")?;
    let targets = Targets::of(&args.writers, &args.selection, "pause")?;
    act(ctx, Operation::Pause, &targets, args.yes, Utc::now()).await
}

async fn act(
    ctx: &Context,
    operation: Operation,
    targets: &Targets<'_>,
    yes: bool,
    now: DateTime<Utc>,
) -> Result<(), CliError> {
    let writers = match targets {
        Targets::One(key) => {
            return one(ctx, operation, &fetch_one(ctx, key).await?, yes, now).await;
        }
        Targets::Named(keys) => fetch_named(ctx, keys).await?,
        Targets::Selected(selection) => fetch_selection(ctx, selection).await?,
    };
    batch::run(ctx, operation, writers, yes, now).await
}

/// One writer: a no-op or a refusal by the rules sends nothing; otherwise the operator
/// confirms (twice when a replay skips change data) and one line tells the result.
async fn one(
    ctx: &Context,
    operation: Operation,
    writer: &Writer,
    yes: bool,
    now: DateTime<Utc>,
) -> Result<(), CliError> {
    match step(operation, writer, &ctx.zone, now) {
        Step::NoOp => {
            return output::stdout(&format!("{} is already {}\n", writer.name, writer.status));
        }
        Step::Refused(reason) => {
            return Err(CliError::Failed(format!("{reason}; nothing was sent")));
        }
        Step::Send => {}
    }
    let spans = Spans::of(operation, &[writer]);
    for line in spans.lines(&ctx.zone) {
        output::stderr(&line);
    }
    let mut questions = vec![match operation {
        Operation::Start { replay_from } => start_question(writer, replay_from, &ctx.zone, now),
        Operation::Pause => pause_question(writer, &ctx.zone, now),
    }];
    if spans.skip_data() {
        questions.push(SKIP_QUESTION.into());
    }
    confirm(operation.verb(), &questions, yes)?;
    let after = match send(ctx, operation, writer).await {
        Ok(after) => after,
        Err(e) => return Err(refusal(ctx, writer, e).await),
    };
    let line = match operation {
        Operation::Start { replay_from } => start_outcome(writer, &after, replay_from, &ctx.zone),
        Operation::Pause => pause_outcome(writer, &after, &ctx.zone),
    };
    output::stdout(&format!("{line}\n"))
}

/// The error for a refused POST; a version mismatch says what the writer is now.
async fn refusal(ctx: &Context, shown: &Writer, error: ClientError) -> CliError {
    if !is_version_mismatch(&error) {
        return ctx.error(error);
    }
    let now = current(ctx, shown, &error).await;
    CliError::Failed(format!(
        "{} changed since it was shown{}; check it and run the command again",
        shown.name,
        now_clause(now.as_ref())
    ))
}

/// `2026-11-24 10:30:00 (Asia/Shanghai, 2h 00m ago)`.
fn wall_time(at: DateTime<Utc>, zone: &Zone, now: DateTime<Utc>) -> String {
    format!("{} ({zone}, {})", zone.format(at), format_ago(at, now))
}

fn place(writer: &Writer) -> String {
    format!("{} ({}, {})", writer.name, writer.server_ip, writer.region)
}

fn state_line(writer: &Writer, zone: &Zone) -> String {
    let mut line = format!("{} is {}", writer.name, writer.status);
    if let Some(latency) = writer.latency_ms {
        line.push_str(&format!(
            ", {} behind its store",
            format_duration_ms(latency)
        ));
    }
    if let Some(message) = &writer.message {
        line.push_str(&format!("; last error: {}", localize_times(message, zone)));
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
    let state = state_line(writer, zone);
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
        state_line(writer, zone),
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
    format!(
        "Started {}: {} ({})",
        after.name,
        after.status,
        start_detail(before, replay_from, zone)
    )
}

/// The line `jwctl pause` prints for the controller's answer `after`.
pub fn pause_outcome(before: &Writer, after: &Writer, zone: &Zone) -> String {
    if after.version == before.version {
        return format!("{} is already {}", after.name, after.status);
    }
    format!(
        "Paused {}: {} ({})",
        after.name,
        after.status,
        pause_detail(after, zone)
    )
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
