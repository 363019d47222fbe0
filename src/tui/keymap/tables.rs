//! The bindings of every mode of the console, in the order the help lists them.

use crossterm::event::KeyCode;

use super::{Command, Key, Keymap, bind, ch, ctrl, key};

use Command as C;
use KeyCode as K;

const UP: &[Key] = &[key(K::Up), ch('k')];
const DOWN: &[Key] = &[key(K::Down), ch('j')];

/// The table.
pub const TABLE: Keymap = Keymap {
    title: "Table",
    bindings: &[
        bind(UP, "↑ k", C::Up, "move up").hint_as("↑↓", "move"),
        bind(DOWN, "↓ j", C::Down, "move down"),
        bind(&[key(K::PageUp)], "PgUp", C::PageUp, "a page up"),
        bind(&[key(K::PageDown)], "PgDn", C::PageDown, "a page down"),
        bind(&[ch('g'), key(K::Home)], "g Home", C::First, "first writer"),
        bind(&[ch('G'), key(K::End)], "G End", C::Last, "last writer"),
        bind(&[ch('/')], "/", C::Search, "search name, IP, project").hint("search"),
        bind(&[key(K::Esc)], "Esc", C::ClearSearch, "clear the search"),
        bind(&[ch('r')], "r", C::Regions, "region filter").hint("regions"),
        bind(
            &[ch('f')],
            "f",
            C::CycleStatus,
            "status: all, running, not running, failed",
        )
        .hint("status"),
        bind(&[ch('o')], "o", C::SortNext, "sort by the next column").hint("sort"),
        bind(&[ch('O')], "O", C::SortReverse, "reverse the order"),
        bind(
            &[ch('t')],
            "t",
            C::Trend,
            "latency trend column (15 min) on / off",
        ),
        bind(
            &[key(K::Enter)],
            "Enter",
            C::Detail,
            "details and audit log",
        )
        .hint("detail"),
        bind(&[ch('s')], "s", C::Start, "start (marked, else selected)")
            .hint("start")
            .mutating(),
        bind(&[ch('p')], "p", C::Pause, "pause (marked, else selected)")
            .hint("pause")
            .mutating(),
        bind(&[ch(' ')], "Space", C::Mark, "mark / unmark the writer").hint("mark"),
        bind(&[ch('*')], "*", C::MarkShown, "mark every writer shown"),
        bind(&[ch('u')], "u", C::ClearMarks, "clear all marks"),
        bind(&[ch(':')], ":", C::CommandLine, "command line").hint("command"),
        bind(
            &[ch('H')],
            "H",
            C::Health,
            "fleet health: regions by status and latency",
        )
        .hint("health"),
        bind(&[ch('y')], "y", C::Copy, "copy the writer id (OSC 52)"),
        bind(&[ch('R')], "R", C::Refresh, "reload the whole list now"),
        bind(&[ch('?')], "?", C::Help, "this help").hint("help"),
        bind(&[ch('q'), ctrl('c')], "q Ctrl-C", C::Quit, "quit").hint_as("q", "quit"),
    ],
};

/// The search box while typing.
pub const SEARCH: Keymap = Keymap {
    title: "Search box",
    bindings: &[
        bind(
            &[key(K::Enter)],
            "Enter",
            C::KeepSearch,
            "keep the filter, back",
        )
        .hint("keep"),
        bind(
            &[key(K::Esc)],
            "Esc",
            C::ClearSearch,
            "clear the search, back",
        )
        .hint("clear"),
        bind(&[key(K::Up)], "↑", C::Up, "move the selection").hint_as("↑↓", "move"),
        bind(&[key(K::Down)], "↓", C::Down, "move the selection"),
        bind(&[key(K::PageUp)], "PgUp", C::PageUp, "a page up"),
        bind(&[key(K::PageDown)], "PgDn", C::PageDown, "a page down"),
        bind(&[ctrl('c')], "Ctrl-C", C::Quit, "quit"),
    ],
};

/// Editing any text field (search, timestamp, command line).
pub const TEXT: Keymap = Keymap {
    title: "Text fields",
    bindings: &[
        bind(&[key(K::Left)], "←", C::CursorLeft, "cursor left"),
        bind(&[key(K::Right)], "→", C::CursorRight, "cursor right"),
        bind(
            &[key(K::Home), ctrl('a')],
            "Home Ctrl-A",
            C::CursorStart,
            "to the start",
        ),
        bind(
            &[key(K::End), ctrl('e')],
            "End Ctrl-E",
            C::CursorEnd,
            "to the end",
        ),
        bind(
            &[key(K::Backspace)],
            "Backspace",
            C::DeleteBack,
            "delete back",
        ),
        bind(
            &[key(K::Delete)],
            "Delete",
            C::DeleteForward,
            "delete forward",
        ),
        bind(
            &[ctrl('u')],
            "Ctrl-U",
            C::DeleteToStart,
            "delete to the start",
        ),
        bind(&[ctrl('k')], "Ctrl-K", C::DeleteToEnd, "delete to the end"),
        bind(&[ctrl('w')], "Ctrl-W", C::DeleteWord, "delete a word"),
    ],
};

/// The `:` command line.
pub const COMMAND_LINE: Keymap = Keymap {
    title: "Command line (:)",
    bindings: &[
        bind(&[key(K::Enter)], "Enter", C::Run, "run the command").hint("run"),
        bind(&[key(K::Tab)], "Tab", C::Complete, "complete; again: next").hint("complete"),
        bind(
            &[key(K::BackTab)],
            "Shift-Tab",
            C::CompleteBack,
            "previous completion",
        ),
        bind(&[key(K::Up)], "↑", C::HistoryBack, "older command").hint_as("↑↓", "history"),
        bind(&[key(K::Down)], "↓", C::HistoryForward, "newer command"),
        bind(&[key(K::Esc)], "Esc", C::Cancel, "close the command line").hint("close"),
        bind(&[ctrl('c')], "Ctrl-C", C::Quit, "quit"),
    ],
};

/// The detail view of one writer.
pub const DETAIL: Keymap = Keymap {
    title: "Detail view",
    bindings: &[
        bind(UP, "↑ k", C::Up, "scroll up").hint_as("↑↓", "scroll"),
        bind(DOWN, "↓ j", C::Down, "scroll down"),
        bind(&[key(K::PageUp)], "PgUp", C::PageUp, "a page up"),
        bind(&[key(K::PageDown)], "PgDn", C::PageDown, "a page down"),
        bind(&[ch('g'), key(K::Home)], "g Home", C::First, "to the top"),
        bind(
            &[ch('w')],
            "w",
            C::Window,
            "chart the last 15 minutes or 6 hours",
        )
        .hint("15m/6h"),
        bind(&[ch('s')], "s", C::Start, "start this writer")
            .hint("start")
            .mutating(),
        bind(&[ch('p')], "p", C::Pause, "pause this writer")
            .hint("pause")
            .mutating(),
        bind(&[ch('y')], "y", C::Copy, "copy the writer id (OSC 52)").hint("copy id"),
        bind(&[ch('R')], "R", C::Refresh, "reload the whole list now"),
        bind(&[ch('?')], "?", C::Help, "help"),
        bind(
            &[key(K::Esc), key(K::Enter), ch('q')],
            "Esc Enter q",
            C::Close,
            "back to the table",
        )
        .hint_as("Esc", "back"),
        bind(&[ctrl('c')], "Ctrl-C", C::Quit, "quit"),
    ],
};

/// The help screen.
pub const HELP: Keymap = Keymap {
    title: "Help",
    bindings: &[
        bind(UP, "↑ k", C::Up, "scroll up").hint_as("↑↓", "scroll"),
        bind(DOWN, "↓ j", C::Down, "scroll down"),
        bind(&[key(K::PageUp)], "PgUp", C::PageUp, "a page up"),
        bind(&[key(K::PageDown)], "PgDn", C::PageDown, "a page down"),
        bind(&[ch('g'), key(K::Home)], "g Home", C::First, "to the top"),
        bind(&[ch('G'), key(K::End)], "G End", C::Last, "to the end"),
        bind(
            &[key(K::Esc), ch('?'), ch('q'), key(K::Enter)],
            "Esc ? q",
            C::Close,
            "close the help",
        )
        .hint_as("Esc", "close"),
        bind(&[ctrl('c')], "Ctrl-C", C::Quit, "quit"),
    ],
};

/// The region picker.
pub const REGIONS: Keymap = Keymap {
    title: "Region picker",
    bindings: &[
        bind(
            &[key(K::Up), ch('k'), key(K::BackTab)],
            "↑ k",
            C::Up,
            "move up",
        )
        .hint_as("↑↓", "move"),
        bind(
            &[key(K::Down), ch('j'), key(K::Tab)],
            "↓ j",
            C::Down,
            "move down",
        ),
        bind(&[ch('g'), key(K::Home)], "g Home", C::First, "to the top"),
        bind(&[ch('G'), key(K::End)], "G End", C::Last, "to the end"),
        bind(
            &[ch(' ')],
            "Space",
            C::Toggle,
            "tick a region (on All: untick all)",
        )
        .hint("tick"),
        bind(
            &[key(K::Enter)],
            "Enter",
            C::Activate,
            "apply (nothing ticked: the one under the cursor)",
        )
        .hint("apply"),
        bind(&[key(K::Esc)], "Esc", C::Cancel, "cancel").hint("cancel"),
        bind(&[ctrl('c')], "Ctrl-C", C::Quit, "quit"),
    ],
};

/// The fleet health view.
pub const HEALTH: Keymap = Keymap {
    title: "Health view",
    bindings: &[
        bind(UP, "↑ k", C::Up, "previous region").hint_as("↑↓", "region"),
        bind(DOWN, "↓ j", C::Down, "next region"),
        bind(
            &[key(K::Left), ch('h'), key(K::BackTab)],
            "← h",
            C::PrevFocus,
            "previous status or band",
        )
        .hint_as("←→", "status/band"),
        bind(
            &[key(K::Right), ch('l'), key(K::Tab)],
            "→ l",
            C::NextFocus,
            "next status or band",
        ),
        bind(
            &[key(K::Enter)],
            "Enter",
            C::Activate,
            "show these writers in the table (Esc there clears it)",
        )
        .hint("filter"),
        bind(
            &[key(K::Esc), ch('q'), ch('H')],
            "Esc q H",
            C::Close,
            "close",
        )
        .hint_as("Esc", "close"),
        bind(&[ctrl('c')], "Ctrl-C", C::Quit, "quit"),
    ],
};

/// The Start dialog, for one writer or the marked ones.
pub const START: Keymap = Keymap {
    title: "Start dialog",
    bindings: &[
        bind(
            &[key(K::Tab), key(K::Down)],
            "Tab ↓",
            C::NextFocus,
            "next field or button",
        )
        .hint_as("Tab", "focus"),
        bind(
            &[key(K::BackTab), key(K::Up)],
            "Shift-Tab ↑",
            C::PrevFocus,
            "previous field or button",
        ),
        bind(
            &[key(K::Left), key(K::Right)],
            "← →",
            C::Choose,
            "No / Yes to replay, or the other button",
        )
        .hint("choose"),
        bind(&[ch(' ')], "Space", C::Toggle, "choose No or Yes"),
        bind(&[key(K::Enter)], "Enter", C::Activate, "activate the focus").hint("activate"),
        bind(
            &[key(K::PageUp)],
            "PgUp",
            C::PageUp,
            "scroll the writers (marked)",
        ),
        bind(
            &[key(K::PageDown)],
            "PgDn",
            C::PageDown,
            "scroll the writers (marked)",
        ),
        bind(
            &[key(K::Esc)],
            "Esc",
            C::Cancel,
            "cancel (when asked to skip data: back)",
        )
        .hint("cancel"),
        bind(&[ctrl('c')], "Ctrl-C", C::Quit, "quit"),
    ],
};

/// The Pause confirmation, for one writer or the marked ones.
pub const PAUSE: Keymap = Keymap {
    title: "Pause dialog",
    bindings: &[
        bind(
            &[
                key(K::Tab),
                key(K::BackTab),
                key(K::Left),
                key(K::Right),
                key(K::Up),
                key(K::Down),
            ],
            "Tab ← →",
            C::NextFocus,
            "switch between OK and Cancel",
        )
        .hint("switch"),
        bind(&[key(K::Enter)], "Enter", C::Activate, "activate the focus").hint("activate"),
        bind(
            &[key(K::PageUp)],
            "PgUp",
            C::PageUp,
            "scroll the writers (marked)",
        ),
        bind(
            &[key(K::PageDown)],
            "PgDn",
            C::PageDown,
            "scroll the writers (marked)",
        ),
        bind(&[key(K::Esc)], "Esc", C::Cancel, "cancel").hint("cancel"),
        bind(&[ctrl('c')], "Ctrl-C", C::Quit, "quit"),
    ],
};

/// A batch while its requests go out.
pub const BATCH_RUNNING: Keymap = Keymap {
    title: "Batch in progress",
    bindings: &[
        bind(UP, "↑ k", C::Up, "scroll the writers").hint_as("↑↓", "scroll"),
        bind(DOWN, "↓ j", C::Down, "scroll the writers"),
        bind(&[key(K::PageUp)], "PgUp", C::PageUp, "a page up"),
        bind(&[key(K::PageDown)], "PgDn", C::PageDown, "a page down"),
        bind(&[key(K::Esc)], "Esc", C::Cancel, "stop sending the rest").hint("stop"),
        bind(&[ctrl('c')], "Ctrl-C", C::Quit, "quit"),
    ],
};

/// A batch's results.
pub const BATCH_RESULTS: Keymap = Keymap {
    title: "Batch results",
    bindings: &[
        bind(UP, "↑ k", C::Up, "scroll the writers").hint_as("↑↓", "scroll"),
        bind(DOWN, "↓ j", C::Down, "scroll the writers"),
        bind(&[key(K::PageUp)], "PgUp", C::PageUp, "a page up"),
        bind(&[key(K::PageDown)], "PgDn", C::PageDown, "a page down"),
        bind(&[ch('r')], "r", C::Retry, "retry the failed writers")
            .hint("retry failed")
            .mutating(),
        bind(
            &[key(K::Esc), key(K::Enter), ch('q')],
            "Esc Enter q",
            C::Close,
            "close",
        )
        .hint_as("Esc", "close"),
        bind(&[ctrl('c')], "Ctrl-C", C::Quit, "quit"),
    ],
};

/// Below the smallest size the console draws: only quitting acts.
pub const TOO_SMALL: Keymap = Keymap {
    title: "Terminal too small",
    bindings: &[bind(&[ch('q'), ctrl('c')], "q Ctrl-C", C::Quit, "quit")],
};

/// Every mode's keys, in the order the help lists them.
pub const ALL: [&Keymap; 13] = [
    &TABLE,
    &SEARCH,
    &COMMAND_LINE,
    &DETAIL,
    &REGIONS,
    &HEALTH,
    &START,
    &PAUSE,
    &BATCH_RUNNING,
    &BATCH_RESULTS,
    &TEXT,
    &HELP,
    &TOO_SMALL,
];

/// Mouse use, for the help.
pub const MOUSE: &[(&str, &str)] = &[
    ("click", "select a writer"),
    ("click header", "sort by it; again: reverse"),
    ("wheel", "scroll the table or the view"),
];
