//! Colours and emphasis. Colour uses the 16 basic ANSI colours only, so it reads the same on
//! any terminal; the monochrome theme (NO_COLOR, `--theme mono`) uses bold, dim, reverse and
//! underline alone.

use ratatui::style::{Color, Modifier, Style};

use crate::domain::WriterStatus;

/// How severe a writer's latency is, by the configured thresholds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LatencyLevel {
    Normal,
    Warning,
    Critical,
}

impl LatencyLevel {
    /// The level of `latency_ms` given the warning and critical thresholds.
    pub fn of(latency_ms: Option<u64>, warn_ms: u64, critical_ms: u64) -> Self {
        match latency_ms {
            Some(ms) if ms >= critical_ms => LatencyLevel::Critical,
            Some(ms) if ms >= warn_ms => LatencyLevel::Warning,
            _ => LatencyLevel::Normal,
        }
    }
}

/// The console's styles.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Theme {
    mono: bool,
}

impl Theme {
    /// The colour theme, or the monochrome one.
    pub fn new(mono: bool) -> Self {
        Theme { mono }
    }

    fn pick(&self, colour: Style, mono: Style) -> Style {
        if self.mono { mono } else { colour }
    }

    /// The title "JDBCWriter".
    pub fn title(&self) -> Style {
        self.pick(
            Style::new().fg(Color::Cyan).add_modifier(Modifier::BOLD),
            Style::new().add_modifier(Modifier::BOLD),
        )
    }

    /// Secondary text: labels, hints.
    pub fn dim(&self) -> Style {
        self.pick(
            Style::new().fg(Color::DarkGray),
            Style::new().add_modifier(Modifier::DIM),
        )
    }

    /// Keys in hint lines.
    pub fn key(&self) -> Style {
        self.pick(
            Style::new().fg(Color::Yellow).add_modifier(Modifier::BOLD),
            Style::new().add_modifier(Modifier::BOLD),
        )
    }

    /// The table header.
    pub fn header(&self) -> Style {
        Style::new().add_modifier(Modifier::BOLD | Modifier::UNDERLINED)
    }

    /// The selected row.
    pub fn selected(&self) -> Style {
        self.pick(
            Style::new().bg(Color::Blue).fg(Color::White),
            Style::new().add_modifier(Modifier::REVERSED),
        )
    }

    /// The mark glyph of a marked writer.
    pub fn mark(&self) -> Style {
        self.pick(
            Style::new().fg(Color::Magenta).add_modifier(Modifier::BOLD),
            Style::new().add_modifier(Modifier::BOLD),
        )
    }

    /// A marked row (under the selection's style when it is also selected).
    pub fn marked(&self) -> Style {
        self.pick(
            Style::new().fg(Color::Magenta),
            Style::new().add_modifier(Modifier::BOLD),
        )
    }

    /// Characters that matched the search.
    pub fn matched(&self) -> Style {
        self.pick(
            Style::new()
                .fg(Color::Yellow)
                .add_modifier(Modifier::BOLD | Modifier::UNDERLINED),
            Style::new().add_modifier(Modifier::BOLD | Modifier::UNDERLINED),
        )
    }

    /// A writer status.
    pub fn status(&self, status: WriterStatus) -> Style {
        match status {
            WriterStatus::Running => self.pick(Style::new().fg(Color::Green), Style::new()),
            WriterStatus::Starting | WriterStatus::Pausing => self.pick(
                Style::new().fg(Color::Cyan).add_modifier(Modifier::ITALIC),
                Style::new().add_modifier(Modifier::ITALIC),
            ),
            WriterStatus::Stopped => self.pick(
                Style::new().fg(Color::Yellow),
                Style::new().add_modifier(Modifier::DIM),
            ),
            WriterStatus::Failed => self.pick(
                Style::new().fg(Color::Red).add_modifier(Modifier::BOLD),
                Style::new().add_modifier(Modifier::BOLD | Modifier::REVERSED),
            ),
            WriterStatus::Unknown => self.pick(
                Style::new()
                    .fg(Color::Magenta)
                    .add_modifier(Modifier::UNDERLINED),
                Style::new().add_modifier(Modifier::UNDERLINED),
            ),
        }
    }

    /// A latency value at `level`.
    pub fn latency(&self, level: LatencyLevel) -> Style {
        match level {
            LatencyLevel::Normal => Style::new(),
            LatencyLevel::Warning => self.pick(
                Style::new().fg(Color::Yellow),
                Style::new().add_modifier(Modifier::BOLD),
            ),
            LatencyLevel::Critical => self.pick(
                Style::new().fg(Color::Red).add_modifier(Modifier::BOLD),
                Style::new().add_modifier(Modifier::BOLD | Modifier::REVERSED),
            ),
        }
    }

    /// Good news (connected, success notices).
    pub fn ok(&self) -> Style {
        self.pick(Style::new().fg(Color::Green), Style::new())
    }

    /// Warnings (demo marker, stale data, warning notices).
    pub fn warning(&self) -> Style {
        self.pick(
            Style::new().fg(Color::Yellow).add_modifier(Modifier::BOLD),
            Style::new().add_modifier(Modifier::BOLD),
        )
    }

    /// Errors (validation, controller refusals).
    pub fn error(&self) -> Style {
        self.pick(
            Style::new().fg(Color::Red).add_modifier(Modifier::BOLD),
            Style::new().add_modifier(Modifier::BOLD),
        )
    }

    /// The connection-trouble banner.
    pub fn banner(&self) -> Style {
        self.pick(
            Style::new()
                .bg(Color::Red)
                .fg(Color::White)
                .add_modifier(Modifier::BOLD),
            Style::new().add_modifier(Modifier::REVERSED | Modifier::BOLD),
        )
    }

    /// A focused button or choice.
    pub fn focused(&self) -> Style {
        self.pick(
            Style::new()
                .bg(Color::Cyan)
                .fg(Color::Black)
                .add_modifier(Modifier::BOLD),
            Style::new().add_modifier(Modifier::REVERSED | Modifier::BOLD),
        )
    }

    /// The latency line of a chart.
    pub fn chart_line(&self) -> Style {
        self.pick(Style::new().fg(Color::Cyan), Style::new())
    }

    /// Popup borders.
    pub fn border(&self) -> Style {
        self.pick(Style::new().fg(Color::Cyan), Style::new())
    }
}
