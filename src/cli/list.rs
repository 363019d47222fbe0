//! `jwctl list`: the writers, filtered by region, status and search query, as a table or JSON.

use serde::Serialize;

use crate::api::WriterList;
use crate::cli::args::{ListArgs, OutputFormat, SelectionArgs, status_set};
use crate::cli::context::Context;
use crate::cli::error::CliError;
use crate::cli::output;
use crate::cli::table;
use crate::domain::{StatusSet, Writer};
use crate::search::SearchIndex;

/// The JSON document `jwctl list --output json` prints: the shape of `GET /v1/writers`, with
/// only the selected writers.
#[derive(Debug, Serialize)]
struct JsonList<'a> {
    revision: u64,
    writers: &'a [&'a Writer],
}

/// The writers of `selection`'s region (all without one); an unknown region is an error.
pub async fn fetch(ctx: &Context, selection: &SelectionArgs) -> Result<WriterList, CliError> {
    let region = selection.region.as_deref();
    let list = ctx
        .client
        .list_writers(region)
        .await
        .map_err(|e| ctx.error(e))?;
    if let Some(region) = region
        && list.writers.is_empty()
    {
        check_region(ctx, region).await?;
    }
    Ok(list)
}

/// The writers of `writers` that `selection`'s statuses and search select (see [`select`]).
pub fn selected<'a>(writers: &'a [Writer], selection: &SelectionArgs) -> Vec<&'a Writer> {
    select(
        writers,
        status_set(&selection.status),
        selection.search.as_deref(),
    )
}

/// Runs `jwctl list`.
pub async fn run(ctx: &Context, args: &ListArgs) -> Result<(), CliError> {
    let region = args.selection.region.as_deref();
    let list = fetch(ctx, &args.selection).await?;
    let selected = selected(&list.writers, &args.selection);
    match args.output {
        OutputFormat::Json => {
            let document = JsonList {
                revision: list.revision,
                writers: &selected,
            };
            let mut text = serde_json::to_string_pretty(&document)
                .map_err(|e| CliError::Failed(format!("cannot encode the writers as JSON: {e}")))?;
            text.push('\n');
            output::stdout(&text)
        }
        OutputFormat::Table => {
            output::stdout(&table::render(&selected, &ctx.zone, ctx.colour))?;
            let place = region
                .map(|r| format!(" in region {r}"))
                .unwrap_or_default();
            output::stderr(&format!(
                "{} of {} writers{place}; checkpoints in {}",
                selected.len(),
                list.writers.len(),
                ctx.zone
            ));
            Ok(())
        }
    }
}

/// The writers in one of `statuses` that match `search`: in rank order when searching, else
/// in the controller's order.
pub fn select<'a>(
    writers: &'a [Writer],
    statuses: StatusSet,
    search: Option<&str>,
) -> Vec<&'a Writer> {
    let wanted = |w: &&Writer| statuses.contains(w.status);
    match search {
        Some(query) => SearchIndex::build(writers)
            .search(query)
            .iter()
            .filter_map(|hit| writers.get(hit.row))
            .filter(wanted)
            .collect(),
        None => writers.iter().filter(wanted).collect(),
    }
}

/// An empty region is either a region with no writers or a typo; say which.
async fn check_region(ctx: &Context, region: &str) -> Result<(), CliError> {
    let deployment = ctx.client.deployment().await.map_err(|e| ctx.error(e))?;
    if deployment.regions.iter().any(|r| r == region) {
        return Ok(());
    }
    Err(CliError::Usage(format!(
        "unknown region '{region}'; the controller's regions are: {}",
        deployment.regions.join(", ")
    )))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::resolve::tests::writer;
    use crate::domain::WriterStatus;

    fn fleet() -> Vec<Writer> {
        let mut stopped = writer(
            "id-2",
            "np_b-incr_trans-1-0",
            "cn-hangzhou",
            "Payments archive",
        );
        stopped.status = WriterStatus::Stopped;
        stopped.project.id = "np_b".into();
        vec![
            writer("id-1", "np_a-incr_trans-1-0", "cn-hangzhou", "Orders"),
            stopped,
            writer("id-3", "payments-mirror", "cn-hangzhou", "Other"),
        ]
    }

    fn names(selected: &[&Writer]) -> Vec<String> {
        selected.iter().map(|w| w.name.clone()).collect()
    }

    #[test]
    fn no_filter_keeps_the_controllers_order() {
        let writers = fleet();
        assert_eq!(
            names(&select(&writers, StatusSet::ALL, None)),
            [
                "np_a-incr_trans-1-0",
                "np_b-incr_trans-1-0",
                "payments-mirror"
            ]
        );
    }

    #[test]
    fn status_filter_then_search_in_rank_order() {
        let writers = fleet();
        // "payments" is a name prefix of id-3 and a fuzzy project match of id-2.
        assert_eq!(
            names(&select(&writers, StatusSet::ALL, Some("payments"))),
            ["payments-mirror", "np_b-incr_trans-1-0"]
        );
        assert_eq!(
            names(&select(
                &writers,
                StatusSet::of([WriterStatus::Stopped]),
                Some("payments")
            )),
            ["np_b-incr_trans-1-0"]
        );
        assert_eq!(
            names(&select(
                &writers,
                StatusSet::of([WriterStatus::Stopped, WriterStatus::Failed]),
                None
            )),
            ["np_b-incr_trans-1-0"]
        );
    }
}
