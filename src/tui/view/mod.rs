//! Drawing. `view` reads the state and draws a frame; it changes nothing and does no I/O.

mod dialogs;
mod popups;
mod table;
mod text;

use ratatui::Frame;
use ratatui::layout::{Alignment, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

use super::layout::{Areas, MIN_HEIGHT, MIN_WIDTH, layout};
use super::state::{ConnectionState, NoticeLevel, Popup, State};
use super::theme::Theme;
use crate::domain::{WriterStatus, format_duration_ms};

/// Draws the whole console for `state`.
pub fn view(state: &State, frame: &mut Frame) {
    let area = frame.area();
    let theme = Theme::new(state.settings.mono);
    let Some(areas) = layout(area, state.banner_visible()) else {
        too_small(frame, area, &theme);
        return;
    };
    title_line(state, frame, areas.title, &theme);
    if let Some(banner) = areas.banner {
        banner_line(state, frame, banner, &theme);
    }
    table::draw(state, frame, areas.table, &theme);
    status_line(state, frame, areas.status, &theme);
    keys_line(state, frame, areas.keys, &theme);
    match &state.popup {
        Some(Popup::Help) => popups::help(frame, area, &theme),
        Some(Popup::Detail(detail)) => popups::detail(state, detail, frame, area, &theme),
        Some(Popup::Regions(picker)) => popups::regions(state, picker, frame, area, &theme),
        Some(Popup::Start(dialog)) => dialogs::start(state, dialog, frame, area, &theme),
        Some(Popup::Pause(dialog)) => dialogs::pause(state, dialog, frame, area, &theme),
        None => search_cursor(state, frame, &areas),
    }
}

fn too_small(frame: &mut Frame, area: Rect, theme: &Theme) {
    let lines = vec![
        Line::styled("Terminal too small", theme.error()),
        Line::from(format!(
            "{}x{} here; jwctl needs at least {MIN_WIDTH}x{MIN_HEIGHT}.",
            area.width, area.height
        )),
        Line::from("Enlarge the window (or press q to quit)."),
    ];
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
    let mut spans = vec![Span::styled(" JDBCWriter ", theme.title())];
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
            spans.push(Span::styled(" Regions: ", theme.dim()));
            spans.push(Span::raw(regions));
            spans.push(Span::styled(" (r)", theme.dim()));
        } else if let Some(region) = deployment.regions.first() {
            spans.push(Span::styled(region.clone(), theme.key()));
        }
    }
    spans.push(Span::styled("  Status: ", theme.dim()));
    spans.push(Span::raw(state.filter.status.label()));
    spans.push(Span::styled(" (f)", theme.dim()));
    if state.query().is_some() && state.search.relevance {
        spans.push(Span::styled("  Order: ", theme.dim()));
        spans.push(Span::raw("best match"));
        spans.push(Span::styled(" (o sorts)", theme.dim()));
    }
    let search = search_box(state, theme);
    let used: usize = spans.iter().map(Span::width).sum();
    let search_width: usize = search.iter().map(Span::width).sum();
    let room = usize::from(area.width).saturating_sub(used + search_width);
    spans.push(Span::raw(" ".repeat(room.max(1))));
    spans.extend(search);
    frame.render_widget(Line::from(spans), area);
}

/// The search box at the right of the title line: `/ query` (underlined while editing).
fn search_box(state: &State, theme: &Theme) -> Vec<Span<'static>> {
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
        vec![
            Span::styled("Search: ", theme.dim()),
            Span::styled(value.clone(), theme.matched()),
            Span::styled(" (Esc clears) ", theme.dim()),
        ]
    }
}

/// Puts the terminal cursor in the search box while typing there.
fn search_cursor(state: &State, frame: &mut Frame, areas: &Areas) {
    if !state.search.editing {
        return;
    }
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
    let (mark, style) = match state.connection {
        ConnectionState::Connecting => ("◌ connecting", theme.warning()),
        ConnectionState::Connected => ("● connected", theme.ok()),
        ConnectionState::Failed { .. } => ("✖ disconnected", theme.error()),
    };
    spans.push(Span::styled(mark, style));
    spans.push(Span::styled(" · ", theme.dim()));
    spans.push(Span::raw(format!(
        "{}/{} shown",
        state.table.rows.len(),
        state.fleet.writers.len()
    )));
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
        let time = state.zone.format(at);
        let time = time
            .split_once(' ')
            .map_or(time.as_str(), |(_, t)| t)
            .to_string();
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

fn keys_line(state: &State, frame: &mut Frame, area: Rect, theme: &Theme) {
    if let Some(notice) = &state.notice {
        let style = match notice.level {
            NoticeLevel::Info => Style::new(),
            NoticeLevel::Success => theme.ok(),
            NoticeLevel::Warning => theme.warning(),
            NoticeLevel::Error => theme.error(),
        };
        frame.render_widget(Line::styled(format!(" {}", notice.text), style), area);
        return;
    }
    let hints: &[(&str, &str)] = match &state.popup {
        Some(Popup::Start(_) | Popup::Pause(_)) => &[
            ("Tab", "focus"),
            ("←→", "choose"),
            ("Enter", "activate"),
            ("Esc", "cancel"),
        ],
        Some(Popup::Regions(_)) => &[
            ("↑↓", "move"),
            ("Space", "tick"),
            ("Enter", "apply"),
            ("Esc", "cancel"),
        ],
        Some(Popup::Help | Popup::Detail(_)) => &[("↑↓", "scroll"), ("Esc", "close")],
        None if state.search.editing => &[
            ("type", "to filter"),
            ("Enter", "keep filter"),
            ("Esc", "clear"),
            ("↑↓", "move"),
        ],
        None => &[
            ("↑↓", "move"),
            ("/", "search"),
            ("r", "regions"),
            ("f", "status"),
            ("o", "sort"),
            ("Enter", "detail"),
            ("s", "start"),
            ("p", "pause"),
            ("?", "help"),
            ("q", "quit"),
        ],
    };
    let mut spans = vec![Span::raw(" ")];
    for (key, what) in hints {
        spans.push(Span::styled(*key, theme.key()));
        spans.push(Span::styled(format!(" {what}  "), theme.dim()));
    }
    frame.render_widget(Line::from(spans), area);
}
