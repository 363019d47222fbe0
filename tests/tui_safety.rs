//! Never act on the wrong writer: pure tests of `update` for the selection during a search,
//! the inert too-small screen, modifier keys, forward replays, full-migration writers and
//! read-only consoles.

#[path = "support/console.rs"]
mod console;

use chrono::Duration as Span;
use crossterm::event::{KeyCode, KeyModifiers, MouseButton, MouseEvent, MouseEventKind};

use console::*;
use jwctl::api::{Identity, Role};
use jwctl::domain::{ReplaySpan, Writer, WriterKind, WriterStatus};
use jwctl::tui::action::Action;
use jwctl::tui::effect::{Effect, OperationKind};
use jwctl::tui::start_check::StartCheck;
use jwctl::tui::start_form::StartFocus;
use jwctl::tui::state::{Popup, State};
use jwctl::tui::update::update;

fn start_dialog(state: &State) -> &jwctl::tui::dialogs::StartDialog {
    match &state.popup {
        Some(Popup::Start(dialog)) => dialog,
        other => panic!("expected the Start dialog, got {other:?}"),
    }
}

// ---------------------------------------------------------------------------------------
// A1: the selection while searching

#[test]
fn while_typing_the_selection_is_the_best_match_at_the_top() {
    let mut state = loaded(writers(100));
    // A writer far down the list that the query will match, but not best.
    select_name(&mut state, "np_p016-incr_trans-050");
    assert!(state.table.offset > 0);
    press(&mut state, KeyCode::Char('/'));
    let request = last_search(&chars(&mut state, "np_p01"));
    assert_eq!(state.table.offset, 0, "the list shows the top while typing");
    update(&mut state, run_search(&request));
    let shown = names(&state);
    assert!(shown.len() >= 30, "{shown:?}");
    assert_ne!(shown[0], "np_p016-incr_trans-050");
    assert_eq!(state.table.selected, 0, "the best match is selected");
    assert_eq!(state.table.offset, 0);
    assert_eq!(selected_name(&state), Some(shown[0].clone()));

    // Enter keeps the filter; what is highlighted is the best match, visible at the top.
    press(&mut state, KeyCode::Enter);
    assert_eq!(selected_name(&state), Some(shown[0].clone()));
    assert_eq!((state.table.selected, state.table.offset), (0, 0));
    let target = state
        .selected_writer()
        .cloned()
        .unwrap_or_else(|| panic!("selected"));
    press(&mut state, KeyCode::Enter);
    assert_eq!(
        state.detail.as_ref().map(|d| d.writer_id.clone()),
        Some(target.id),
        "keys act on what is highlighted"
    );
}

#[test]
fn enter_before_the_hits_arrive_still_selects_the_best_match() {
    let mut state = loaded(writers(100));
    press(&mut state, KeyCode::End);
    press(&mut state, KeyCode::Char('/'));
    let request = last_search(&chars(&mut state, "np_p02"));
    press(&mut state, KeyCode::Enter);
    update(&mut state, run_search(&request));
    assert_eq!((state.table.selected, state.table.offset), (0, 0));
    assert_eq!(selected_name(&state), Some(names(&state)[0].clone()));
    // From now on the selection is the operator's: a refresh keeps it on its writer.
    press(&mut state, KeyCode::Down);
    press(&mut state, KeyCode::Down);
    let chosen = selected_name(&state);
    let effects = update(
        &mut state,
        Action::FleetLoaded(Ok(jwctl::tui::state::Fleet::new(2, writers(100)))),
    );
    let again = search_request(&effects);
    update(&mut state, run_search(&again));
    assert_eq!(selected_name(&state), chosen);
    assert_eq!(state.table.selected, 2);
}

#[test]
fn once_the_operator_moves_the_selection_it_stays_theirs() {
    let mut state = loaded(writers(100));
    press(&mut state, KeyCode::Char('/'));
    let request = last_search(&chars(&mut state, "np_p0"));
    update(&mut state, run_search(&request));
    press(&mut state, KeyCode::Down);
    press(&mut state, KeyCode::Down);
    let chosen = selected_name(&state);
    assert_eq!(chosen.as_deref(), Some("np_p000-incr_trans-002"));
    // Typing on narrows the hits; the chosen writer is still one of them and stays selected.
    let request = last_search(&chars(&mut state, "00"));
    update(&mut state, run_search(&request));
    assert_eq!(names(&state).len(), 3);
    assert_eq!(selected_name(&state), chosen);
    assert_eq!(state.table.selected, 2);
    // A query that drops it: back to the best match once there are hits again.
    let request = last_search(&chars(&mut state, "x"));
    update(&mut state, run_search(&request));
    assert!(state.table.rows.is_empty());
    let request = last_search(&press(&mut state, KeyCode::Backspace));
    update(&mut state, run_search(&request));
    assert_eq!((state.table.selected, state.table.offset), (0, 0));
    assert_eq!(selected_name(&state), Some(names(&state)[0].clone()));
}

// ---------------------------------------------------------------------------------------
// A2: too small is inert

#[test]
fn below_the_smallest_size_only_quit_keys_act() {
    let mut state = loaded(writers(30));
    let running = first_in(&state, WriterStatus::Running);
    select_name(&mut state, &running.name);
    update(&mut state, Action::Resize(40, 12));
    for code in [
        KeyCode::Char('p'),
        KeyCode::Tab,
        KeyCode::Enter,
        KeyCode::Left,
        KeyCode::Enter,
        KeyCode::Char('s'),
        KeyCode::Char('?'),
        KeyCode::Char('/'),
        KeyCode::Char(':'),
        KeyCode::Char(' '),
        KeyCode::Char('*'),
        KeyCode::Char('r'),
        KeyCode::Char('y'),
        KeyCode::Char('j'),
    ] {
        let effects = without_saves(press(&mut state, code));
        assert!(effects.is_empty(), "{code:?} acted: {effects:?}");
    }
    let click = MouseEvent {
        kind: MouseEventKind::Down(MouseButton::Left),
        column: 5,
        row: 5,
        modifiers: KeyModifiers::NONE,
    };
    assert!(update(&mut state, Action::Mouse(click)).is_empty());
    assert!(state.popup.is_none(), "no dialog opened: {:?}", state.popup);
    assert!(state.detail.is_none() && state.command.is_none());
    assert!(!state.search.editing && state.marks.is_empty());
    assert_eq!(selected_name(&state), Some(running.name.clone()));
    // A dialog opened at full size does nothing while the terminal is too small.
    update(&mut state, Action::Resize(100, 30));
    press(&mut state, KeyCode::Char('p'));
    update(&mut state, Action::Resize(40, 12));
    for code in [KeyCode::Left, KeyCode::Enter, KeyCode::Esc] {
        assert!(without_saves(press(&mut state, code)).is_empty());
    }
    assert!(matches!(state.popup, Some(Popup::Pause(_))), "still open");
    // Quitting works.
    assert!(matches!(
        press(&mut state, KeyCode::Char('q')).as_slice(),
        [Effect::Quit]
    ));
}

// ---------------------------------------------------------------------------------------
// A3: modifiers

#[test]
fn ctrl_and_alt_keys_never_run_the_plain_keys_command() {
    let mut state = loaded(writers(30));
    let running = first_in(&state, WriterStatus::Running);
    select_name(&mut state, &running.name);
    for (c, modifiers) in [
        ('p', KeyModifiers::CONTROL),
        ('r', KeyModifiers::CONTROL),
        ('s', KeyModifiers::ALT),
        ('q', KeyModifiers::CONTROL),
        ('p', KeyModifiers::ALT),
        ('f', KeyModifiers::CONTROL),
        ('o', KeyModifiers::ALT),
        (' ', KeyModifiers::CONTROL),
        ('/', KeyModifiers::ALT),
        ('g', KeyModifiers::CONTROL),
    ] {
        let before = (state.filter.clone(), state.sort, state.table.selected);
        let effects = key_with(&mut state, KeyCode::Char(c), modifiers);
        assert!(effects.is_empty(), "{modifiers:?}-{c} acted: {effects:?}");
        assert!(
            state.popup.is_none(),
            "{modifiers:?}-{c} opened {:?}",
            state.popup
        );
        assert!(!state.quit && !state.search.editing && state.marks.is_empty());
        assert_eq!(
            before,
            (state.filter.clone(), state.sort, state.table.selected)
        );
    }
    // Typing in the search box: Alt-x types nothing.
    press(&mut state, KeyCode::Char('/'));
    key_with(&mut state, KeyCode::Char('x'), KeyModifiers::ALT);
    assert_eq!(state.search.input.value, "");
    // The documented exception: Ctrl-C quits.
    let effects = key_with(&mut state, KeyCode::Char('c'), KeyModifiers::CONTROL);
    assert!(matches!(effects.as_slice(), [Effect::Quit]));
}

// ---------------------------------------------------------------------------------------
// A4: a forward replay says what it skips and asks twice

fn stopped_with_checkpoint(state: &mut State) -> Writer {
    let target = state
        .fleet
        .writers
        .iter()
        .find(|w| {
            w.status == WriterStatus::Stopped
                && w.kind == WriterKind::Incremental
                && w.checkpoint.is_some()
        })
        .cloned()
        .unwrap_or_else(|| panic!("a stopped incremental writer with a checkpoint"));
    select_name(state, &target.name);
    target
}

fn type_replay(state: &mut State, timestamp: &str) {
    press(state, KeyCode::Char('s'));
    press(state, KeyCode::Right);
    press(state, KeyCode::Tab);
    chars(state, timestamp);
}

#[test]
fn a_forward_replay_states_the_skipped_span_and_needs_a_second_confirmation() {
    let mut state = loaded(writers(30));
    let target = stopped_with_checkpoint(&mut state);
    let checkpoint = target.checkpoint.unwrap_or_default();
    type_replay(&mut state, "now");
    let check = start_dialog(&state).check(state.now, &state.zone);
    let StartCheck::Parsed { span, .. } = check else {
        panic!("{check:?}");
    };
    assert_eq!(
        span,
        ReplaySpan::Skips {
            from: checkpoint,
            to: now()
        }
    );
    // Enter does not send: it asks again, with the focus on Back.
    assert!(without_saves(press(&mut state, KeyCode::Enter)).is_empty());
    let form = &start_dialog(&state).form;
    assert!(form.confirming_skip);
    assert_eq!(form.focus, StartFocus::Back);
    // Back returns to the form; Esc in the question too, without closing the dialog.
    assert!(without_saves(press(&mut state, KeyCode::Enter)).is_empty());
    assert!(!start_dialog(&state).form.confirming_skip);
    press(&mut state, KeyCode::Enter);
    press(&mut state, KeyCode::Esc);
    assert!(!start_dialog(&state).form.confirming_skip);
    // The explicit second confirmation sends it.
    press(&mut state, KeyCode::Enter);
    press(&mut state, KeyCode::Left);
    assert_eq!(start_dialog(&state).form.focus, StartFocus::ConfirmSkip);
    let sent = operation(&press(&mut state, KeyCode::Enter));
    assert_eq!(sent, start_of(&target.id, Some(now()), target.version));
}

#[test]
fn a_backward_replay_states_what_is_written_again_and_sends_at_once() {
    let mut state = loaded(writers(30));
    let target = stopped_with_checkpoint(&mut state);
    type_replay(&mut state, "-2h");
    let check = start_dialog(&state).check(state.now, &state.zone);
    assert!(
        matches!(
            check,
            StartCheck::Parsed {
                span: ReplaySpan::Rewrites { .. },
                problem: None,
                ..
            }
        ),
        "{check:?}"
    );
    let sent = operation(&press(&mut state, KeyCode::Enter));
    assert_eq!(
        sent.kind,
        OperationKind::Start {
            replay_from: Some(now() - Span::hours(2))
        }
    );
    assert_eq!(sent.id, target.id);
}

// ---------------------------------------------------------------------------------------
// A5: no dead ends for full-migration writers

#[test]
fn a_full_writer_with_an_old_checkpoint_starts_without_replay() {
    let mut list = writers(30);
    let target = list
        .iter_mut()
        .find(|w| w.kind == WriterKind::Full && w.status.can_start())
        .unwrap_or_else(|| panic!("a startable full writer"));
    target.checkpoint = Some(now() - Span::days(7));
    let target = target.clone();
    let mut state = loaded(list);
    select_name(&mut state, &target.name);
    press(&mut state, KeyCode::Char('s'));
    assert_eq!(
        start_dialog(&state).check(state.now, &state.zone),
        StartCheck::NoReplay { problem: None },
        "the checkpoint rule is for incremental writers only"
    );
    press(&mut state, KeyCode::Enter);
    let sent = operation(&press(&mut state, KeyCode::Enter));
    assert_eq!(sent, start_of(&target.id, None, target.version));
}

// ---------------------------------------------------------------------------------------
// Read-only

#[test]
fn a_read_only_console_offers_and_sends_no_mutation() {
    let mut state = loaded(writers(30));
    state.settings.read_only = true;
    let stopped = stopped_with_checkpoint(&mut state);
    for code in [KeyCode::Char('s'), KeyCode::Char('p')] {
        assert!(without_saves(press(&mut state, code)).is_empty());
        assert!(state.popup.is_none());
        let notice = state.notice.clone().map(|n| n.text).unwrap_or_default();
        assert!(notice.starts_with("READ-ONLY"), "{notice}");
    }
    // Not with marks, not from the detail view either.
    press(&mut state, KeyCode::Char(' '));
    press(&mut state, KeyCode::Char('p'));
    assert!(state.popup.is_none());
    press(&mut state, KeyCode::Enter);
    assert_eq!(
        state.detail.as_ref().map(|d| d.writer_id.clone()),
        Some(stopped.id)
    );
    press(&mut state, KeyCode::Char('s'));
    assert!(state.popup.is_none());
}

#[test]
fn a_viewers_console_turns_read_only_and_says_who_and_why() {
    let mut state = loaded(writers(30));
    let viewer = Identity {
        name: "vera".into(),
        role: Role::Viewer,
    };
    update(&mut state, Action::IdentityLoaded(Ok(viewer.clone())));
    assert!(state.settings.read_only);
    assert_eq!(state.identity, Some(viewer));
    stopped_with_checkpoint(&mut state);
    assert!(without_saves(press(&mut state, KeyCode::Char('s'))).is_empty());
    assert!(state.popup.is_none());
    let notice = state.notice.clone().map(|n| n.text).unwrap_or_default();
    assert!(
        notice.contains("vera is a viewer") && notice.contains("operator role"),
        "{notice}"
    );
    // An operator's console stays as configured; an unanswered whoami changes nothing.
    let mut state = loaded(writers(30));
    let operator = Identity {
        name: "otto".into(),
        role: Role::Operator,
    };
    update(&mut state, Action::IdentityLoaded(Ok(operator)));
    assert!(!state.settings.read_only);
    update(
        &mut state,
        Action::IdentityLoaded(Err(api_error(404, "not_found", "no such route"))),
    );
    assert!(!state.settings.read_only);
}

#[test]
fn a_status_jwctl_does_not_know_is_shown_as_reported_and_neither_started_nor_paused() {
    let mut list = writers(30);
    let odd = list
        .iter_mut()
        .find(|w| w.status == WriterStatus::Running)
        .unwrap_or_else(|| panic!("running"));
    odd.status = WriterStatus::Unknown;
    odd.backend_status = Some("MONITORING".into());
    let name = odd.name.clone();
    let mut state = loaded(list);
    select_name(&mut state, &name);
    for key in ['s', 'p'] {
        assert!(without_saves(press(&mut state, KeyCode::Char(key))).is_empty());
        assert!(state.popup.is_none(), "{key} opened {:?}", state.popup);
        let notice = state.notice.clone().map(|n| n.text).unwrap_or_default();
        assert!(notice.contains("'MONITORING'"), "{notice}");
    }
    // In a batch it is refused by the rules, never sent.
    press(&mut state, KeyCode::Char(' '));
    press(&mut state, KeyCode::Char('p'));
    let Some(Popup::Batch(batch)) = &state.popup else {
        panic!("a batch dialog");
    };
    assert_eq!(batch.summary().send, 0);
    assert_eq!(batch.summary().refused.len(), 1);
}
