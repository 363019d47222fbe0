//! The key map, as the help popup and the key-hint line show it. `update` implements it.

/// (keys, what they do) for the table.
pub const TABLE_KEYS: &[(&str, &str)] = &[
    ("↑ ↓ / k j", "move the selection"),
    ("PgUp PgDn", "move a page"),
    ("g G / Home End", "first / last writer"),
    ("/", "search: name or server IP, project name or ID (fuzzy)"),
    ("Esc", "clear the search"),
    ("r", "region filter (multi-region deployments)"),
    ("f", "status filter: all / running / not running"),
    ("o / O", "sort by the next column / reverse the order"),
    (
        "Enter",
        "details and recent operations of the selected writer",
    ),
    ("s", "start the selected writer (optionally replaying data)"),
    ("p", "pause the selected writer"),
    ("?", "this help"),
    ("q / Ctrl-C", "quit"),
];

/// (keys, what they do) in the search box.
pub const SEARCH_KEYS: &[(&str, &str)] = &[
    ("type", "filter as you type"),
    ("Enter", "back to the table, keeping the filter"),
    ("Esc", "clear the search and go back to the table"),
    ("↑ ↓", "move the selection while searching"),
];

/// (keys, what they do) in dialogs and pickers.
pub const DIALOG_KEYS: &[(&str, &str)] = &[
    ("Tab / Shift-Tab / ↑ ↓", "move the focus"),
    ("← →", "choose No / Yes, or between buttons"),
    ("Enter", "activate the focused button"),
    ("Space", "tick a region in the region picker"),
    ("Esc", "cancel"),
];

/// Mouse use.
pub const MOUSE_KEYS: &[(&str, &str)] =
    &[("click", "select a writer"), ("wheel", "scroll the table")];
