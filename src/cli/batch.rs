//! Several writers at once: plan each with the shared rules, tell and ask the operator once,
//! send the requests (at most [`IN_FLIGHT`] at a time, each with its own `If-Match` and
//! `Idempotency-Key`, sent a second time only when the controller could not be reached), and
//! report every writer's result.

use std::future::Future;

use chrono::{DateTime, Utc};
use futures_util::StreamExt;
use futures_util::stream;

use crate::cli::confirm::confirm;
use crate::cli::context::Context;
use crate::cli::error::CliError;
use crate::cli::output;
use crate::cli::plan::{Operation, Plan, Planned, SKIP_QUESTION, Spans, Step};
use crate::cli::report::{self, Outcome, Row, pause_detail, start_detail};
use crate::client::ClientError;
use crate::domain::Writer;

/// Most requests in flight at once.
pub const IN_FLIGHT: usize = 8;

/// Runs `operation` on `writers`: prints the result table on stdout and the summary on
/// stderr. Any writer refused or failed makes it an [`CliError::Incomplete`] (exit 1).
pub async fn run(
    ctx: &Context,
    operation: Operation,
    writers: Vec<Writer>,
    yes: bool,
    now: DateTime<Utc>,
) -> Result<(), CliError> {
    let plan = Plan::new(operation, writers, &ctx.zone, now);
    let sending = plan.sending();
    // Nothing to send needs no consent: no-ops and refusals change nothing.
    if !sending.is_empty() {
        let spans = Spans::of(operation, &sending);
        for line in spans.lines(&ctx.zone) {
            output::stderr(&line);
        }
        let mut questions = vec![plan.question(&ctx.zone, now)];
        if spans.skip_data() {
            questions.push(SKIP_QUESTION.into());
        }
        confirm(operation.verb(), &questions, yes)?;
    }
    let rows = bounded(&plan.writers, IN_FLIGHT, |planned| {
        row(ctx, operation, planned)
    })
    .await;
    output::stdout(&report::render(&rows, ctx.colour))?;
    let summary = report::summary(&rows, operation);
    if report::incomplete(&rows) {
        return Err(CliError::Incomplete(summary));
    }
    output::stderr(&summary);
    Ok(())
}

/// `f` of each of `items`, at most `limit` running at once, in the order of `items`.
pub async fn bounded<T, R, F, Fut>(items: impl IntoIterator<Item = T>, limit: usize, f: F) -> Vec<R>
where
    F: FnMut(T) -> Fut,
    Fut: Future<Output = R>,
{
    stream::iter(items)
        .map(f)
        .buffered(limit.max(1))
        .collect()
        .await
}

/// The row of one planned writer; only a writer the rules allow is sent for.
async fn row(ctx: &Context, operation: Operation, planned: &Planned) -> Row {
    let before = &planned.writer;
    let entry = |outcome, status, detail| Row {
        name: before.name.clone(),
        outcome,
        status,
        detail,
    };
    match &planned.step {
        Step::NoOp => entry(
            Outcome::NoOp,
            Some(before.status),
            format!("already {}", before.status),
        ),
        Step::Refused(reason) => entry(Outcome::Refused, Some(before.status), reason.clone()),
        Step::Send => match send(ctx, operation, before).await {
            // The controller found nothing to do after all.
            Ok(after) if after.version == before.version => entry(
                Outcome::NoOp,
                Some(after.status),
                format!("already {}", after.status),
            ),
            Ok(after) => entry(
                Outcome::Ok,
                Some(after.status),
                done_detail(ctx, operation, before, &after),
            ),
            Err(error) if is_version_mismatch(&error) => {
                let now = current(ctx, before, &error).await;
                entry(
                    Outcome::Failed,
                    now.as_ref().map(|w| w.status),
                    format!(
                        "changed since it was listed{}; check it and run the command again",
                        now_clause(now.as_ref())
                    ),
                )
            }
            // A refusal by the controller changed nothing; after a transport failure nobody
            // knows.
            Err(error) => entry(
                Outcome::Failed,
                matches!(error, ClientError::Api { .. }).then_some(before.status),
                ctx.error(error).to_string(),
            ),
        },
    }
}

fn done_detail(ctx: &Context, operation: Operation, before: &Writer, after: &Writer) -> String {
    match operation {
        Operation::Start { replay_from } => start_detail(before, replay_from, &ctx.zone),
        Operation::Pause => pause_detail(after, &ctx.zone),
    }
}

/// Sends `operation` for `writer` once, with its listed version as `If-Match`.
pub async fn send(
    ctx: &Context,
    operation: Operation,
    writer: &Writer,
) -> Result<Writer, ClientError> {
    match operation {
        Operation::Start { replay_from } => {
            ctx.client
                .start(&writer.id, replay_from, Some(writer.version))
                .await
        }
        Operation::Pause => ctx.client.pause(&writer.id, Some(writer.version)).await,
    }
}

/// Whether the controller refused because the writer changed since it was listed.
pub fn is_version_mismatch(error: &ClientError) -> bool {
    matches!(error, ClientError::Api { status: 412, .. })
        || error.code() == Some("version_mismatch")
}

/// The writer as the controller has it now: sent with the 412, else asked for (a GET).
pub async fn current(ctx: &Context, shown: &Writer, error: &ClientError) -> Option<Writer> {
    match error.current_writer() {
        Some(writer) => Some(writer.clone()),
        None => ctx.client.writer(&shown.id).await.ok(),
    }
}

/// ` (now pausing, version 5)`, or nothing when that is not known.
pub fn now_clause(now: Option<&Writer>) -> String {
    now.map(|w| format!(" (now {}, version {})", w.status, w.version))
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use std::cell::Cell;
    use std::time::Duration;

    use super::*;

    #[test]
    fn at_most_the_limit_runs_at_once_and_the_order_is_kept() {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build();
        let Ok(runtime) = runtime else {
            panic!("a runtime");
        };
        let running = Cell::new(0usize);
        let most = Cell::new(0usize);
        let results = runtime.block_on(bounded(0..50u64, IN_FLIGHT, |i| {
            let (running, most) = (&running, &most);
            async move {
                running.set(running.get() + 1);
                most.set(most.get().max(running.get()));
                // Later items finish first: the order of the results is still the input's.
                tokio::time::sleep(Duration::from_millis(50 - i)).await;
                running.set(running.get() - 1);
                i * 2
            }
        }));
        assert_eq!(results, (0..50).map(|i| i * 2).collect::<Vec<_>>());
        assert_eq!(most.get(), IN_FLIGHT);
    }

    #[test]
    fn a_moved_writer_is_described() {
        let mut w = crate::cli::resolve::tests::writer("id", "w", "cn-hangzhou", "Orders");
        w.status = crate::domain::WriterStatus::Pausing;
        w.version = 5;
        assert_eq!(now_clause(Some(&w)), " (now pausing, version 5)");
        assert_eq!(now_clause(None), "");
        let stale = ClientError::Api {
            status: 412,
            code: "version_mismatch".into(),
            message: "stale".into(),
            current: Some(Box::new(w)),
        };
        assert!(is_version_mismatch(&stale));
        assert_eq!(stale.current_writer().map(|w| w.version), Some(5));
    }
}
