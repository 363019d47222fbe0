//! Drawing. `view` reads the state and draws a frame; it changes nothing and does no I/O.

mod batch;
mod boxes;
mod chart;
mod detail;
mod dialogs;
mod health;
mod popups;
mod table;
mod text;

use ratatui::Frame;
use ratatui::layout::{Alignment, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

use super::command::COMMANDS;
use super::health::describe;
use super::keymap;
use super::layout::{Areas, MIN_HEIGHT, MIN_WIDTH, layout};
use super::state::{ConnectionState, Mode, NoticeLevel, Popup, State};
use super::theme::Theme;
use crate::api::DEFAULT_IDENTITY;
use crate::domain::{WriterStatus, format_bytes, format_duration_ms};
use text::fit_spans;

use table::MARK;

/// Draws the whole console for `state`.
pub fn view(state: &State, frame: &mut Frame) {
    let area = frame.area();
    let theme = Theme::new(state.settings.mono);
    let Some(areas) = layout(area, state.banner_visible()) else {
        too_small(state, frame, area, &theme);
        return;
    };
    title_line(state, frame, areas.title, &theme);
    if let Some(banner) = areas.banner {
        banner_line(state, frame, banner, &theme);
    }
    table::draw(state, frame, areas.table, &theme);
    status_line(state, frame, areas.status, &theme);
    match &state.command {
        Some(_) => command_line(state, frame, &areas, &theme),
        None => keys_line(state, frame, areas.keys, &theme),
    }
    if let Some(detail) = &state.detail {
        detail::draw(state, detail, frame, area, &theme);
    }
    match &state.popup {
        Some(Popup::Help(view)) => popups::help(state, view, frame, area, &theme),
        Some(Popup::Regions(picker)) => popups::regions(state, picker, frame, area, &theme),
        Some(Popup::Start(dialog)) => dialogs::start(state, dialog, frame, area, &theme),
        Some(Popup::Pause(dialog)) => dialogs::pause(state, dialog, frame, area, &theme),
        Some(Popup::Batch(batch)) => batch::draw(state, batch, frame, area, &theme),
        Some(Popup::Health(view)) => health::draw(state, view, frame, area, &theme),
        None => {}
    }
    if state.mode() == Mode::Search {
        search_cursor(state, frame, &areas);
    }
}

fn too_small(state: &State, frame: &mut Frame, area: Rect, theme: &Theme) {
    let mut lines = vec![
        Line::styled("Terminal too small", theme.error()),
        Line::from(format!(
            "{}x{} here; jwctl needs at least {MIN_WIDTH}x{MIN_HEIGHT}.",
            area.width, area.height
        )),
        Line::from("Enlarge the window; until then only q quits."),
    ];
    match state.ignored_keys {
        0 => {}
        1 => lines.push(Line::styled("1 key ignored.", theme.warning())),
        n => lines.push(Line::styled(format!("{n} keys ignored."), theme.warning())),
    }
    let top = area.height.saturating_sub(3) / 2;
    let rect = Rect::new(area.x, area.y + top, area.width, area.height - top);
    frame.render_widget(
        Paragraph::new(lines)
            .alignment(Alignment::Center)
            .wrap(Wrap { trim: true }),
        rect,
    );
}

fn title_line(state: &State, frame: &mut Frame, area: Rect, theme: &Theme) {
    // (span, whether it is a key hint that gives way on a narrow terminal)
    let mut spans = vec![(Span::styled(" JDBCWriter ", theme.title()), false)];
    if let Some(deployment) = &state.deployment {
        if deployment.multi_region {
            let regions = if state.filter.regions.is_empty() {
                "All regions".to_string()
            } else {
                state
                    .filter
                    .regions
                    .iter()
                    .map(String::as_str)
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            spans.push((Span::styled(" Regions: ", theme.dim()), false));
            spans.push((Span::raw(regions), false));
            spans.push((Span::styled(" (r)", theme.dim()), true));
        } else if let Some(region) = deployment.regions.first() {
            spans.push((Span::styled(region.clone(), theme.key()), false));
        }
    }
    spans.push((Span::styled("  Status: ", theme.dim()), false));
    spans.push((Span::raw(state.filter.status.to_string()), false));
    spans.push((Span::styled(" (f)", theme.dim()), true));
    if let Some(band) = state.filter.latency {
        spans.push((Span::styled("  Latency: ", theme.dim()), false));
        spans.push((Span::raw(band.label()), false));
    }
    if state.query().is_some() && state.search.relevance {
        spans.push((Span::styled("  Order: ", theme.dim()), false));
        spans.push((Span::raw("best match"), false));
        spans.push((Span::styled(" (o sorts)", theme.dim()), true));
    }
    let total = usize::from(area.width);
    let width = |spans: &[(Span, bool)]| spans.iter().map(|(s, _)| s.width()).sum::<usize>();
    let mut search = search_box(state, theme, false);
    let search_width = |search: &[Span]| search.iter().map(Span::width).sum::<usize>();
    if width(&spans) + search_width(&search) + 1 > total {
        spans.retain(|(_, hint)| !hint);
        search = search_box(state, theme, true);
    }
    // Still too wide: the search box keeps its place and the left part is cut.
    let left_room = total.saturating_sub(search_width(&search) + 1);
    let left = fit_spans(spans.into_iter().map(|(span, _)| span).collect(), left_room);
    let left_width: usize = left.iter().map(Span::width).sum();
    let room = total.saturating_sub(left_width + search_width(&search));
    let mut line = left;
    line.push(Span::raw(" ".repeat(room.max(1))));
    line.extend(search);
    frame.render_widget(Line::from(line), area);
}

/// The search box at the right of the title line: `/ query` (underlined while editing);
/// `compact` leaves out the hint on a narrow terminal.
fn search_box(state: &State, theme: &Theme, compact: bool) -> Vec<Span<'static>> {
    let value = &state.search.input.value;
    if state.search.editing {
        let pending = if state.search.pending { " …" } else { "" };
        vec![
            Span::styled("Search: ", theme.key()),
            Span::styled(format!("{value:<24}"), theme.focused()),
            Span::styled(format!("{pending} "), theme.dim()),
        ]
    } else if value.trim().is_empty() {
        vec![Span::styled("/ search ", theme.dim())]
    } else {
        let hint = if compact { " " } else { " (Esc clears) " };
        vec![
            Span::styled("Search: ", theme.dim()),
            Span::styled(value.clone(), theme.matched()),
            Span::styled(hint, theme.dim()),
        ]
    }
}

/// Puts the terminal cursor in the search box while typing there.
fn search_cursor(state: &State, frame: &mut Frame, areas: &Areas) {
    let value_width = state.search.input.value.chars().count().max(24);
    let pending = if state.search.pending { 2 } else { 0 };
    // "Search: " + value + pending + " " sits at the right edge of the title line.
    let box_start = usize::from(areas.title.width).saturating_sub(8 + value_width + pending + 1);
    let x = box_start + 8 + state.search.input.cursor;
    let x = u16::try_from(x)
        .unwrap_or(u16::MAX)
        .min(areas.title.width - 1);
    frame.set_cursor_position((areas.title.x + x, areas.title.y));
}

fn banner_line(state: &State, frame: &mut Frame, area: Rect, theme: &Theme) {
    let ConnectionState::Failed {
        error,
        attempts,
        retry_at,
    } = &state.connection
    else {
        return;
    };
    let retry_ms = u64::try_from((*retry_at - state.now).num_milliseconds()).unwrap_or(0);
    let data = match state.last_refresh {
        Some(at) => format!("data from {} is stale", state.zone.format(at)),
        None => "no data yet".to_string(),
    };
    let text = format!(
        " ⚠ Disconnected · retry in {} (attempt {attempts}) · {data} · {error} ",
        format_duration_ms(retry_ms.div_ceil(1000) * 1000)
    );
    frame.render_widget(Line::styled(text, theme.banner()), area);
}

fn status_line(state: &State, frame: &mut Frame, area: Rect, theme: &Theme) {
    let mut spans = Vec::new();
    if state.controller.demo {
        spans.push(Span::styled(" DEMO ", theme.focused()));
        spans.push(Span::raw(" "));
    }
    if state.settings.read_only {
        spans.push(Span::styled(" READ-ONLY ", theme.focused()));
        spans.push(Span::raw(" "));
    }
    let (mark, style) = match state.connection {
        ConnectionState::Connecting => ("◌ connecting", theme.warning()),
        ConnectionState::Connected => ("● connected", theme.ok()),
        ConnectionState::Failed { .. } => ("✖ disconnected", theme.error()),
    };
    spans.push(Span::styled(mark, style));
    // Named identities only: a controller's single token is always `default`, an operator.
    if let Some(identity) = state
        .identity
        .as_ref()
        .filter(|identity| identity.name != DEFAULT_IDENTITY)
    {
        spans.push(Span::styled(" as ", theme.dim()));
        spans.push(Span::raw(format!("{} ({})", identity.name, identity.role)));
    }
    backend_spans(state, &mut spans, theme);
    spans.push(Span::styled(" · ", theme.dim()));
    spans.push(Span::raw(format!(
        "{}/{} shown",
        state.table.rows.len(),
        state.fleet.writers.len()
    )));
    // A filter chosen in the health view is named, with how to leave it.
    if state.filter.from_health {
        spans.push(Span::styled(" · ", theme.dim()));
        spans.push(Span::styled(
            format!("filter: {} (Esc clears)", describe(&state.filter)),
            theme.warning(),
        ));
    }
    if let Some(bytes) = state.loading {
        spans.push(Span::styled(" · ", theme.dim()));
        spans.push(Span::styled(
            format!("loading {}", format_bytes(bytes)),
            theme.warning(),
        ));
    }
    if !state.marks.is_empty() {
        spans.push(Span::styled(" · ", theme.dim()));
        spans.push(Span::styled(
            format!("{} {} marked", MARK, state.marks.len()),
            theme.mark(),
        ));
    }
    for (status, count) in WriterStatus::ALL.iter().zip(state.table.status_counts) {
        if count > 0 {
            spans.push(Span::styled(" · ", theme.dim()));
            spans.push(Span::styled(
                format!("{count} {}", status.as_str()),
                theme.status(*status),
            ));
        }
    }
    if let Some(at) = state.last_refresh {
        let stale = matches!(state.connection, ConnectionState::Failed { .. });
        spans.push(Span::styled(" · refreshed ", theme.dim()));
        let time = state.zone.time_of_day(at);
        spans.push(Span::styled(
            time,
            if stale { theme.warning() } else { Style::new() },
        ));
    }
    spans.push(Span::styled(
        format!(" · {}", state.controller.url),
        theme.dim(),
    ));
    frame.render_widget(Line::from(spans), area);
}

/// For an OMS backend: `· OMS data 12s old`, whether the data is stale and how many projects
/// the last poll could not refresh (all of it fits 80 columns). Nothing for a simulated one.
fn backend_spans(state: &State, spans: &mut Vec<Span<'static>>, theme: &Theme) {
    let Some(freshness) = state.oms_freshness() else {
        return;
    };
    spans.push(Span::styled(" · ", theme.dim()));
    match freshness.age_ms {
        None => spans.push(Span::styled("OMS: no complete poll yet", theme.warning())),
        Some(age) => {
            let style = if freshness.stale_polls.is_some() {
                theme.warning()
            } else {
                Style::new()
            };
            spans.push(Span::raw("OMS "));
            spans.push(Span::styled(
                format!("data {} old", format_duration_ms(age)),
                style,
            ));
        }
    }
    if let Some(polls) = freshness.stale_polls {
        spans.push(Span::styled(" · ", theme.dim()));
        spans.push(Span::styled(
            format!("stale: {polls} polls missed"),
            theme.warning(),
        ));
    }
    if freshness.failed_projects > 0 {
        let n = freshness.failed_projects;
        let plural = if n == 1 { "" } else { "s" };
        spans.push(Span::styled(" · ", theme.dim()));
        spans.push(Span::styled(
            format!("{n} project{plural} not refreshed"),
            theme.warning(),
        ));
    }
}

fn keys_line(state: &State, frame: &mut Frame, area: Rect, theme: &Theme) {
    if let Some(notice) = &state.notice {
        let style = match notice.level {
            NoticeLevel::Info | NoticeLevel::Pending => Style::new(),
            NoticeLevel::Success => theme.ok(),
            NoticeLevel::Warning => theme.warning(),
            NoticeLevel::Error => theme.error(),
        };
        frame.render_widget(Line::styled(format!(" {}", notice.text), style), area);
        return;
    }
    let map = match state.mode() {
        Mode::TooSmall | Mode::Table => &keymap::TABLE,
        Mode::Search => &keymap::SEARCH,
        Mode::Command => &keymap::COMMAND_LINE,
        Mode::Detail => &keymap::DETAIL,
        Mode::Help => &keymap::HELP,
        Mode::Regions => &keymap::REGIONS,
        Mode::Health => &keymap::HEALTH,
        Mode::Start => &keymap::START,
        Mode::Pause => &keymap::PAUSE,
        Mode::BatchRunning => &keymap::BATCH_RUNNING,
        Mode::BatchResults => &keymap::BATCH_RESULTS,
    };
    let mut spans = vec![Span::raw(" ")];
    for (key, what) in map.hints(state.settings.read_only) {
        spans.push(Span::styled(key, theme.key()));
        spans.push(Span::styled(format!(" {what}  "), theme.dim()));
    }
    frame.render_widget(Line::from(spans), area);
}

/// The `:` command line on the bottom line; above it, on the status line, the completions
/// to choose from or why the last command ran nothing.
fn command_line(state: &State, frame: &mut Frame, areas: &Areas, theme: &Theme) {
    let Some(line) = &state.command else {
        return;
    };
    frame.render_widget(
        Line::from(vec![
            Span::styled(":", theme.key()),
            Span::raw(line.input.value.clone()),
        ]),
        areas.keys,
    );
    let x = u16::try_from(1 + line.input.cursor).unwrap_or(u16::MAX);
    frame.set_cursor_position((
        areas.keys.x + x.min(areas.keys.width.saturating_sub(1)),
        areas.keys.y,
    ));
    let above = if let Some(error) = &line.error {
        Line::styled(format!(" ✖ {error}"), theme.error())
    } else if let Some(completion) = &line.completion {
        let mut spans = vec![Span::styled(" Tab: ", theme.dim())];
        for (at, candidate) in completion.candidates.iter().enumerate() {
            let style = if completion.index == Some(at) {
                theme.focused()
            } else {
                Style::new()
            };
            spans.push(Span::styled(candidate.clone(), style));
            spans.push(Span::raw("  "));
        }
        Line::from(spans)
    } else {
        let names: String = COMMANDS
            .iter()
            .map(|(name, _)| format!(":{name}  "))
            .collect();
        Line::styled(
            format!(" {names}— Tab completes, ↑↓ history, Esc closes"),
            theme.dim(),
        )
    };
    frame.render_widget(ratatui::widgets::Clear, areas.status);
    frame.render_widget(above, areas.status);
}
