//! The key map, as the help popup and the key-hint line show it. `update` implements it.

/// (keys, what they do) for the table.
pub const TABLE_KEYS: &[(&str, &str)] = &[
    ("↑ ↓  k j", "move the selection"),
    ("PgUp PgDn", "move a page"),
    ("g G", "first / last writer"),
    ("/", "search name, IP, project"),
    ("Esc", "clear the search"),
    ("r", "region filter"),
    ("f", "all / running / not running"),
    ("o  O", "sort column / reverse"),
    ("Enter", "details and audit log"),
    ("s", "start (optional replay)"),
    ("p", "pause"),
    ("?", "this help"),
    ("q  Ctrl-C", "quit"),
];

/// (keys, what they do) in the search box.
pub const SEARCH_KEYS: &[(&str, &str)] = &[
    ("type", "filter, best match first"),
    ("Enter", "keep the filter, back"),
    ("Esc", "clear the search, back"),
    ("↑ ↓", "move the selection"),
];

/// (keys, what they do) in dialogs and pickers.
pub const DIALOG_KEYS: &[(&str, &str)] = &[
    ("Tab ↑ ↓", "move the focus"),
    ("← →", "No / Yes, buttons"),
    ("Enter", "activate the focus"),
    ("Space", "tick a region"),
    ("Esc", "cancel"),
];

/// Mouse use.
pub const MOUSE_KEYS: &[(&str, &str)] =
    &[("click", "select a writer"), ("wheel", "scroll the table")];
