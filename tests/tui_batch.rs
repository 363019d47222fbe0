//! Marks and batches: pure tests of `update` — marking, what the batch dialog plans, at most
//! eight requests in flight each with its own If-Match, partial failure, Esc midway, a
//! version mismatch on one writer, and retrying the failed ones.

#[path = "support/console.rs"]
mod console;

use std::collections::HashSet;

use chrono::Duration as Span;
use crossterm::event::KeyCode;

use console::*;
use jwctl::client::ClientError;
use jwctl::domain::{Writer, WriterKind, WriterStatus};
use jwctl::tui::action::Action;
use jwctl::tui::batch::{BatchDialog, BatchKind, BatchStage, MAX_IN_FLIGHT, Outcome};
use jwctl::tui::effect::{Effect, Operation, OperationKind, Origin};
use jwctl::tui::state::{Fleet, Popup, State};
use jwctl::tui::update::update;

fn batch(state: &State) -> &BatchDialog {
    match &state.popup {
        Some(Popup::Batch(batch)) => batch,
        other => panic!("expected a batch dialog, got {other:?}"),
    }
}

fn outcomes(state: &State) -> Vec<(String, Outcome)> {
    match &batch(state).stage {
        BatchStage::Running(run) | BatchStage::Results(run) => run
            .items
            .iter()
            .map(|i| (i.writer.name.clone(), i.outcome.clone()))
            .collect(),
        BatchStage::Confirm => panic!("still confirming"),
    }
}

/// A fleet of `n` writers and marks on those passing `pick`.
fn marked(n: usize, pick: impl Fn(&Writer) -> bool) -> (State, Vec<Writer>) {
    let mut state = loaded(writers(n));
    let chosen: Vec<Writer> = state
        .fleet
        .writers
        .iter()
        .filter(|w| pick(w))
        .cloned()
        .collect();
    for writer in &chosen {
        select_name(&mut state, &writer.name);
        press(&mut state, KeyCode::Char(' '));
    }
    assert_eq!(state.marks.len(), chosen.len());
    (state, chosen)
}

/// Opens the batch Pause dialog and confirms it; returns the first requests.
fn confirm_pause(state: &mut State) -> Vec<Operation> {
    press(state, KeyCode::Char('p'));
    assert_eq!(batch(state).kind, BatchKind::Pause);
    press(state, KeyCode::Tab);
    operations(&press(state, KeyCode::Enter))
}

#[test]
fn space_marks_star_marks_what_is_shown_and_u_clears() {
    let mut state = loaded(writers(30));
    press(&mut state, KeyCode::Char(' '));
    let first = state
        .selected_writer()
        .map(|w| w.id.clone())
        .unwrap_or_default();
    assert!(state.marks.contains(&first));
    press(&mut state, KeyCode::Char(' '));
    assert!(state.marks.is_empty(), "Space again unmarks");
    // `*` marks the writers the filters show: failed ones here.
    press(&mut state, KeyCode::Char('f'));
    press(&mut state, KeyCode::Char('f'));
    press(&mut state, KeyCode::Char('f'));
    let shown: HashSet<String> = state
        .table
        .rows
        .iter()
        .map(|&r| state.fleet.writers[r].id.clone())
        .collect();
    assert_eq!(shown.len(), 6);
    press(&mut state, KeyCode::Char('*'));
    assert_eq!(state.marks, shown);
    // Marks survive a sort, a search and a refresh, and drop writers that disappear.
    press(&mut state, KeyCode::Char('o'));
    press(&mut state, KeyCode::Char('/'));
    let request = last_search(&chars(&mut state, "np_p00"));
    update(&mut state, run_search(&request));
    press(&mut state, KeyCode::Esc);
    let gone = shown.iter().next().cloned().unwrap_or_default();
    let list: Vec<Writer> = writers(30).into_iter().filter(|w| w.id != gone).collect();
    update(&mut state, Action::FleetLoaded(Ok(Fleet::new(2, list))));
    assert_eq!(state.marks.len(), 5);
    assert!(!state.marks.contains(&gone));
    press(&mut state, KeyCode::Char('u'));
    assert!(state.marks.is_empty());
}

#[test]
fn without_marks_s_and_p_act_on_the_selected_writer() {
    let mut state = loaded(writers(30));
    let running = first_in(&state, WriterStatus::Running);
    select_name(&mut state, &running.name);
    press(&mut state, KeyCode::Char('p'));
    assert!(matches!(&state.popup, Some(Popup::Pause(d)) if d.writer.id == running.id));
}

#[test]
fn the_dialog_counts_what_will_happen_and_why_the_rules_refuse() {
    let mut list = writers(30);
    // One stopped incremental writer whose checkpoint left the store: refused without replay.
    let expired = list
        .iter_mut()
        .find(|w| w.status == WriterStatus::Stopped && w.kind == WriterKind::Incremental)
        .unwrap_or_else(|| panic!("stopped"));
    expired.checkpoint = Some(now() - Span::hours(30));
    let expired = expired.name.clone();
    let mut state = loaded(list);
    // Mark 2 running (no-ops for Start), the expired one, and 2 more stopped or failed.
    let picks: Vec<String> = state
        .fleet
        .writers
        .iter()
        .filter(|w| w.status == WriterStatus::Running)
        .take(2)
        .chain(
            state
                .fleet
                .writers
                .iter()
                .filter(|w| w.status.can_start() && w.name != expired && w.checkpoint.is_some())
                .take(2),
        )
        .map(|w| w.name.clone())
        .chain([expired.clone()])
        .collect();
    for name in &picks {
        select_name(&mut state, name);
        press(&mut state, KeyCode::Char(' '));
    }
    press(&mut state, KeyCode::Char('s'));
    let summary = batch(&state).summary();
    assert_eq!((summary.send, summary.no_op), (2, 2), "{summary:?}");
    assert_eq!(
        summary.refused,
        vec![(
            "checkpoint no longer in the store: start with replay".to_string(),
            1
        )]
    );
    // Start without replay: the two go out; the others are recorded, not sent.
    press(&mut state, KeyCode::Tab);
    press(&mut state, KeyCode::Tab);
    let sent = operations(&press(&mut state, KeyCode::Enter));
    assert_eq!(sent.len(), 2);
    assert!(
        sent.iter()
            .all(|o| o.kind == OperationKind::Start { replay_from: None })
    );
    let labels: Vec<&'static str> = outcomes(&state).iter().map(|(_, o)| o.label()).collect();
    assert_eq!(
        labels.iter().filter(|l| **l == "no-op").count(),
        2,
        "{labels:?}"
    );
    assert_eq!(labels.iter().filter(|l| **l == "not sent").count(), 1);
}

#[test]
fn at_most_eight_requests_are_in_flight_each_with_its_own_if_match() {
    let (mut state, chosen) = marked(60, |w| w.status == WriterStatus::Running);
    assert!(chosen.len() > MAX_IN_FLIGHT * 2);
    let mut in_flight = confirm_pause(&mut state);
    assert_eq!(in_flight.len(), MAX_IN_FLIGHT);
    let mut answered = 0;
    let mut seen = HashSet::new();
    while let Some(op) = in_flight.pop() {
        assert!(from_batch(&op));
        assert_eq!(op.kind, OperationKind::Pause);
        let writer = chosen
            .iter()
            .find(|w| w.id == op.id)
            .cloned()
            .unwrap_or_else(|| panic!("a marked writer"));
        assert_eq!(op.if_match, writer.version, "its own If-Match");
        assert!(seen.insert(op.id.clone()), "sent once");
        let next = operations(&update(&mut state, answer(&op, Ok(after(&op, writer)))));
        answered += 1;
        assert!(next.len() <= 1, "one answer frees one slot");
        in_flight.extend(next);
        assert!(in_flight.len() <= MAX_IN_FLIGHT);
    }
    assert_eq!(answered, chosen.len());
    assert!(matches!(batch(&state).stage, BatchStage::Results(_)));
    assert!(
        outcomes(&state)
            .iter()
            .all(|(_, o)| o == &Outcome::Done(WriterStatus::Pausing))
    );
    // The table shows them pausing at once.
    for writer in &chosen {
        assert_eq!(
            state.fleet.get(&writer.id).map(|w| w.status),
            Some(WriterStatus::Pausing)
        );
    }
}

#[test]
fn a_batchs_answers_show_at_once_and_recount_the_table_once_a_tick() {
    let (mut state, chosen) = marked(60, |w| w.status == WriterStatus::Running);
    let running = status_index(WriterStatus::Running);
    let pausing = status_index(WriterStatus::Pausing);
    let counts_before = state.table.status_counts;
    let mut in_flight = confirm_pause(&mut state);
    while let Some(op) = in_flight.pop() {
        let writer = chosen.iter().find(|w| w.id == op.id).cloned();
        let writer = writer.unwrap_or_else(|| panic!("a marked writer"));
        in_flight.extend(operations(&update(
            &mut state,
            answer(&op, Ok(after(&op, writer))),
        )));
    }
    // Every row shows its writer as answered, and the counts wait for the tick.
    assert!(state.table.outdated);
    assert_eq!(state.table.status_counts, counts_before);
    update(&mut state, Action::Tick);
    assert!(!state.table.outdated);
    assert_eq!(
        state.table.status_counts[running],
        counts_before[running] - chosen.len()
    );
    assert_eq!(
        state.table.status_counts[pausing],
        counts_before[pausing] + chosen.len()
    );
}

fn status_index(status: WriterStatus) -> usize {
    WriterStatus::ALL
        .iter()
        .position(|s| *s == status)
        .unwrap_or_else(|| panic!("{status:?} is in WriterStatus::ALL"))
}

#[test]
fn partial_failure_a_412_on_one_writer_and_retrying_the_failed_ones() {
    let (mut state, chosen) = marked(30, |w| w.status == WriterStatus::Running);
    let sent = confirm_pause(&mut state);
    assert_eq!(sent.len(), MAX_IN_FLIGHT.min(chosen.len()));
    let mut pending = sent;
    let mut index = 0;
    while let Some(op) = pending.pop() {
        let writer = chosen
            .iter()
            .find(|w| w.id == op.id)
            .cloned()
            .unwrap_or_else(|| panic!("marked"));
        let result = match index {
            0 => {
                // Someone else paused it meanwhile: the controller's record says so.
                let mut current = writer.clone();
                current.status = WriterStatus::Stopped;
                current.version += 2;
                Err(mismatch(current))
            }
            1 => Err(ClientError::Timeout {
                url: "http://127.0.0.1:7465".into(),
                timeout: std::time::Duration::from_secs(10),
            }),
            2 => Err(api_error(409, "invalid_state", "it is pausing; wait")),
            _ => Ok(after(&op, writer)),
        };
        index += 1;
        pending.extend(operations(&update(&mut state, answer(&op, result))));
    }
    let results = outcomes(&state);
    let count = |label: &str| results.iter().filter(|(_, o)| o.label() == label).count();
    assert_eq!(count("ok"), chosen.len() - 3);
    assert_eq!((count("refused"), count("failed")), (2, 1));
    let refused: Vec<&Outcome> = results
        .iter()
        .map(|(_, o)| o)
        .filter(|o| matches!(o, Outcome::Refused(m) if m.starts_with("changed by someone else")))
        .collect();
    assert_eq!(refused.len(), 1, "{results:?}");
    assert!(
        matches!(refused[0], Outcome::Refused(m) if m.contains("now stopped")),
        "{refused:?}"
    );
    // `r`: the three failed writers, as they are now, back in the dialog.
    let failed: HashSet<String> = batch(&state).failed_ids().into_iter().collect();
    assert_eq!(failed.len(), 3);
    press(&mut state, KeyCode::Char('r'));
    let retry = batch(&state);
    assert_eq!(retry.stage, BatchStage::Confirm);
    assert_eq!(
        retry
            .writers
            .iter()
            .map(|w| w.id.clone())
            .collect::<HashSet<_>>(),
        failed
    );
    // The one someone else stopped is a no-op now; the two others go out again with the
    // version the fleet has now.
    let summary = retry.summary();
    assert_eq!((summary.send, summary.no_op), (2, 1));
    press(&mut state, KeyCode::Tab);
    let again = operations(&press(&mut state, KeyCode::Enter));
    assert_eq!(again.len(), 2);
    for op in &again {
        let current = state.fleet.get(&op.id).map(|w| w.version);
        assert_eq!(Some(op.if_match), current);
    }
}

#[test]
fn esc_midway_stops_sending_the_rest() {
    let (mut state, chosen) = marked(60, |w| w.status == WriterStatus::Running);
    let first = confirm_pause(&mut state);
    assert_eq!(first.len(), MAX_IN_FLIGHT);
    // One answer, one more request; then Esc.
    let op = &first[0];
    let writer = chosen
        .iter()
        .find(|w| w.id == op.id)
        .cloned()
        .unwrap_or_else(|| panic!());
    let next = operations(&update(&mut state, answer(op, Ok(after(op, writer)))));
    assert_eq!(next.len(), 1);
    press(&mut state, KeyCode::Esc);
    assert!(
        matches!(batch(&state).stage, BatchStage::Running(_)),
        "waits for those in flight"
    );
    let mut in_flight: Vec<Operation> = first[1..].iter().cloned().chain(next).collect();
    assert_eq!(in_flight.len(), MAX_IN_FLIGHT);
    while let Some(op) = in_flight.pop() {
        let writer = chosen
            .iter()
            .find(|w| w.id == op.id)
            .cloned()
            .unwrap_or_else(|| panic!());
        let more = operations(&update(&mut state, answer(&op, Ok(after(&op, writer)))));
        assert!(more.is_empty(), "nothing more is sent after Esc");
    }
    let results = outcomes(&state);
    assert!(matches!(batch(&state).stage, BatchStage::Results(_)));
    let ok = results.iter().filter(|(_, o)| o.label() == "ok").count();
    let not_sent = results
        .iter()
        .filter(|(_, o)| o.label() == "not sent")
        .count();
    assert_eq!(ok, MAX_IN_FLIGHT + 1);
    assert_eq!(not_sent, chosen.len() - ok);
    // Their writers are untouched.
    let untouched = results
        .iter()
        .filter(|(_, o)| o.label() == "not sent")
        .all(|(name, _)| {
            state
                .fleet
                .writers
                .iter()
                .any(|w| &w.name == name && w.status == WriterStatus::Running)
        });
    assert!(untouched);
    press(&mut state, KeyCode::Esc);
    assert!(state.popup.is_none());
}

#[test]
fn a_batch_start_with_a_forward_replay_asks_a_second_time() {
    let (mut state, chosen) = marked(30, |w| {
        w.status.can_start() && w.kind == WriterKind::Incremental && w.checkpoint.is_some()
    });
    assert!(chosen.len() >= 2);
    press(&mut state, KeyCode::Char('s'));
    press(&mut state, KeyCode::Right);
    press(&mut state, KeyCode::Tab);
    chars(&mut state, "now");
    let summary = batch(&state).summary();
    assert_eq!(summary.skipping, chosen.len());
    assert!(summary.longest_skip_ms > 0);
    assert!(operations(&press(&mut state, KeyCode::Enter)).is_empty());
    assert!(batch(&state).form.confirming_skip);
    press(&mut state, KeyCode::Left);
    let sent = operations(&press(&mut state, KeyCode::Enter));
    assert_eq!(sent.len(), chosen.len().min(MAX_IN_FLIGHT));
    assert!(sent.iter().all(|o| {
        o.kind
            == OperationKind::Start {
                replay_from: Some(now()),
            }
            && matches!(o.origin, Origin::Batch { .. })
    }));
}

#[test]
fn answers_of_a_closed_batch_are_ignored_and_refreshes_replan_it() {
    let (mut state, chosen) = marked(30, |w| w.status == WriterStatus::Running);
    press(&mut state, KeyCode::Char('p'));
    // While confirming, a refresh shows one of them stopped: it becomes a no-op.
    let mut list = writers(30);
    if let Some(w) = list.iter_mut().find(|w| w.id == chosen[0].id) {
        w.status = WriterStatus::Stopped;
        w.version += 1;
    }
    update(&mut state, Action::FleetLoaded(Ok(Fleet::new(2, list))));
    assert_eq!(batch(&state).summary().no_op, 1);
    press(&mut state, KeyCode::Esc);
    assert!(state.popup.is_none());
    let stray = Operation {
        id: chosen[1].id.clone(),
        kind: OperationKind::Pause,
        if_match: chosen[1].version,
        origin: Origin::Batch { batch: 1, item: 0 },
    };
    let effects = update(
        &mut state,
        answer(&stray, Ok(after(&stray, chosen[1].clone()))),
    );
    assert!(effects.iter().all(|e| !matches!(e, Effect::Operate(_))));
}
