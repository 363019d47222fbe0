//! Which writers `jwctl start` and `jwctl pause` act on: WRITER arguments, or a selection
//! with the filters of `jwctl list`.

use crate::cli::args::SelectionArgs;
use crate::cli::context::Context;
use crate::cli::error::CliError;
use crate::cli::list::{fetch, selected};
use crate::cli::resolve::{resolve, shell_quote};
use crate::domain::Writer;

/// The writers a command names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Targets<'a> {
    /// Exactly one WRITER: the single-writer form, with one line of output.
    One(&'a str),
    /// Several distinct WRITERs, in the order given.
    Named(Vec<&'a str>),
    /// The writers the filters select.
    Selected(&'a SelectionArgs),
}

impl<'a> Targets<'a> {
    /// WRITERs or filters, never both and never neither. A WRITER given twice counts once.
    pub fn of(
        writers: &'a [String],
        selection: &'a SelectionArgs,
        command: &str,
    ) -> Result<Targets<'a>, CliError> {
        match (writers.is_empty(), selection.is_given()) {
            (false, true) => Err(CliError::Usage(format!(
                "give either WRITERs or --region/--status/--search, not both: jwctl {command} \
                 acts on the writers named, or on the writers the filters select"
            ))),
            (true, false) => Err(CliError::Usage(format!(
                "name the writers to {command}: give writer ids or names, or select writers \
                 with --region, --status and --search (jwctl list shows what they select)"
            ))),
            (true, true) => Ok(Targets::Selected(selection)),
            (false, false) => {
                let mut keys: Vec<&str> = Vec::with_capacity(writers.len());
                for key in writers {
                    if !keys.contains(&key.as_str()) {
                        keys.push(key);
                    }
                }
                match keys.as_slice() {
                    [one] => Ok(Targets::One(one)),
                    _ => Ok(Targets::Named(keys)),
                }
            }
        }
    }
}

/// Fetches the fleet once and finds the writers `keys` name, each once (a name and the id of
/// the same writer count once). Unknown or ambiguous WRITERs are one usage error listing each.
pub async fn fetch_named(ctx: &Context, keys: &[&str]) -> Result<Vec<Writer>, CliError> {
    let list = ctx
        .client
        .list_writers(None)
        .await
        .map_err(|e| ctx.error(e))?;
    let mut found: Vec<Writer> = Vec::with_capacity(keys.len());
    let mut problems = Vec::new();
    for key in keys {
        match resolve(&list.writers, key) {
            Ok(writer) if found.iter().any(|w| w.id == writer.id) => {}
            Ok(writer) => found.push(writer.clone()),
            Err(error) => problems.push(error.to_string()),
        }
    }
    if problems.is_empty() {
        Ok(found)
    } else {
        Err(CliError::Usage(problems.join("\n")))
    }
}

/// Fetches the fleet once and resolves WRITER in it.
pub async fn fetch_one(ctx: &Context, key: &str) -> Result<Writer, CliError> {
    let list = ctx
        .client
        .list_writers(None)
        .await
        .map_err(|e| ctx.error(e))?;
    resolve(&list.writers, key).cloned()
}

/// Fetches the writers `selection` selects, in `jwctl list`'s order; none is an error.
pub async fn fetch_selection(
    ctx: &Context,
    selection: &SelectionArgs,
) -> Result<Vec<Writer>, CliError> {
    let list = fetch(ctx, selection).await?;
    let selected: Vec<Writer> = selected(&list.writers, selection)
        .into_iter()
        .cloned()
        .collect();
    // A script that asked to act on a selection and got nothing done has not succeeded: an
    // empty selection is as likely a mistaken filter as a fleet already in shape, and the
    // script should hear about it (exit 1) rather than carry on as if writers had changed.
    // It is not a usage error: the same command succeeds once writers match.
    if selected.is_empty() {
        let filters = filters(selection);
        return Err(CliError::Failed(format!(
            "no writer matches {filters} (of {} writers); nothing was sent. `jwctl list \
             {filters}` shows what the filters select",
            list.writers.len()
        )));
    }
    Ok(selected)
}

/// The filters as they were given: `--region cn-hangzhou --status stopped,failed`.
pub fn filters(selection: &SelectionArgs) -> String {
    let mut words = Vec::new();
    if let Some(region) = &selection.region {
        words.push(format!("--region {}", shell_quote(region)));
    }
    if !selection.status.is_empty() {
        let statuses: Vec<String> = selection.status.iter().map(|set| set.words()).collect();
        words.push(format!("--status {}", statuses.join(",")));
    }
    if let Some(search) = &selection.search {
        words.push(format!("--search {}", shell_quote(search)));
    }
    words.join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{StatusSet, WriterStatus};

    fn selection() -> SelectionArgs {
        SelectionArgs {
            region: Some("cn-hangzhou".into()),
            search: Some("orders sync".into()),
            status: vec![
                StatusSet::of([WriterStatus::Stopped]),
                StatusSet::NOT_RUNNING,
            ],
        }
    }

    #[test]
    fn writers_or_filters_but_not_both_or_neither() {
        let none = SelectionArgs::default();
        let names = ["a".to_string(), "b".to_string(), "a".to_string()];
        assert_eq!(
            Targets::of(&names, &none, "pause"),
            Ok(Targets::Named(vec!["a", "b"]))
        );
        assert_eq!(
            Targets::of(&names[..1], &none, "pause"),
            Ok(Targets::One("a"))
        );
        let twice = ["a".to_string(), "a".to_string()];
        assert_eq!(Targets::of(&twice, &none, "pause"), Ok(Targets::One("a")));
        let filters = selection();
        assert_eq!(
            Targets::of(&[], &filters, "start"),
            Ok(Targets::Selected(&filters))
        );
        let both = Targets::of(&names, &filters, "start");
        assert!(
            matches!(&both, Err(CliError::Usage(m)) if m.contains("either WRITERs or")),
            "{both:?}"
        );
        let neither = Targets::of(&[], &none, "start");
        assert!(
            matches!(&neither, Err(CliError::Usage(m)) if m.starts_with("name the writers to start")),
            "{neither:?}"
        );
    }

    #[test]
    fn filters_read_back_as_typed() {
        assert_eq!(
            filters(&selection()),
            "--region cn-hangzhou --status stopped,not-running --search 'orders sync'"
        );
    }
}
