//! Keys as data. Each mode of the console has one table of bindings: `update` dispatches a key
//! through it, and the help screen and the hint line are generated from it, so what the
//! console does and what it says it does cannot drift apart.
//!
//! A key with Ctrl or Alt never runs the command of the plain key: bindings match the
//! modifiers exactly (Shift is part of the character itself: `G`, `*`, `?`).

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

mod tables;

pub use tables::*;

/// One key: a code and its exact modifiers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Key {
    pub code: KeyCode,
    pub modifiers: KeyModifiers,
}

const fn key(code: KeyCode) -> Key {
    Key {
        code,
        modifiers: KeyModifiers::NONE,
    }
}

const fn ch(c: char) -> Key {
    key(KeyCode::Char(c))
}

const fn ctrl(c: char) -> Key {
    Key {
        code: KeyCode::Char(c),
        modifiers: KeyModifiers::CONTROL,
    }
}

impl Key {
    /// Whether `event` is this key. Shift is ignored on characters (it is in the character)
    /// and on BackTab (which is Shift-Tab); every other modifier must match exactly.
    pub fn matches(&self, event: &KeyEvent) -> bool {
        let mut modifiers = event.modifiers;
        if matches!(event.code, KeyCode::Char(_) | KeyCode::BackTab) {
            modifiers.remove(KeyModifiers::SHIFT);
        }
        self.code == event.code && self.modifiers == modifiers
    }
}

/// Whether `event` carries Ctrl or Alt (such a key never types a character).
pub fn has_command_modifier(event: &KeyEvent) -> bool {
    event
        .modifiers
        .intersects(KeyModifiers::CONTROL | KeyModifiers::ALT)
}

/// What a key asks for. Each mode gives the commands its own meaning.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Command {
    Up,
    Down,
    PageUp,
    PageDown,
    First,
    Last,
    Search,
    ClearSearch,
    KeepSearch,
    Regions,
    CycleStatus,
    SortNext,
    SortReverse,
    Detail,
    Window,
    Trend,
    Health,
    Start,
    Pause,
    Mark,
    MarkShown,
    ClearMarks,
    CommandLine,
    Copy,
    Refresh,
    Help,
    Quit,
    Close,
    NextFocus,
    PrevFocus,
    Choose,
    Toggle,
    Activate,
    Cancel,
    Retry,
    Complete,
    CompleteBack,
    HistoryBack,
    HistoryForward,
    Run,
    CursorLeft,
    CursorRight,
    CursorStart,
    CursorEnd,
    DeleteBack,
    DeleteForward,
    DeleteToStart,
    DeleteToEnd,
    DeleteWord,
}

/// Keys, how the help writes them, what they do there, and the short hint for the bottom line.
#[derive(Debug)]
pub struct Binding {
    pub keys: &'static [Key],
    pub label: &'static str,
    pub command: Command,
    pub help: &'static str,
    /// (keys, what) on the bottom line, if the binding is hinted there.
    pub hint: Option<(&'static str, &'static str)>,
    /// A start or pause: not offered when the console is read-only.
    pub mutates: bool,
}

const fn bind(
    keys: &'static [Key],
    label: &'static str,
    command: Command,
    help: &'static str,
) -> Binding {
    Binding {
        keys,
        label,
        command,
        help,
        hint: None,
        mutates: false,
    }
}

impl Binding {
    const fn hint(mut self, what: &'static str) -> Binding {
        self.hint = Some((self.label, what));
        self
    }

    const fn hint_as(mut self, keys: &'static str, what: &'static str) -> Binding {
        self.hint = Some((keys, what));
        self
    }

    const fn mutating(mut self) -> Binding {
        self.mutates = true;
        self
    }
}

/// The bindings of one mode.
#[derive(Debug)]
pub struct Keymap {
    /// Section title in the help.
    pub title: &'static str,
    pub bindings: &'static [Binding],
}

impl Keymap {
    /// The command `event` runs in this mode, if any.
    pub fn command(&self, event: &KeyEvent) -> Option<Command> {
        self.bindings
            .iter()
            .find(|binding| binding.keys.iter().any(|key| key.matches(event)))
            .map(|binding| binding.command)
    }

    /// The bindings with a hint, for the bottom line (without mutations when read-only).
    pub fn hints(&self, read_only: bool) -> impl Iterator<Item = (&'static str, &'static str)> {
        self.bindings
            .iter()
            .filter(move |b| !(read_only && b.mutates))
            .filter_map(|b| b.hint)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(code: KeyCode, modifiers: KeyModifiers) -> KeyEvent {
        KeyEvent::new(code, modifiers)
    }

    #[test]
    fn ctrl_or_alt_never_runs_the_plain_keys_command() {
        for c in ['p', 'r', 's', 'q', 'f', 'o', 'u', 'y', 'g'] {
            for modifiers in [KeyModifiers::CONTROL, KeyModifiers::ALT] {
                let found = TABLE.command(&event(KeyCode::Char(c), modifiers));
                assert!(found.is_none(), "{modifiers:?}-{c} ran {found:?}");
            }
        }
        let ctrl_c = TABLE.command(&event(KeyCode::Char('c'), KeyModifiers::CONTROL));
        assert_eq!(ctrl_c, Some(Command::Quit));
    }

    #[test]
    fn shift_is_part_of_the_character() {
        let shifted = event(KeyCode::Char('G'), KeyModifiers::SHIFT);
        assert_eq!(TABLE.command(&shifted), Some(Command::Last));
        let back_tab = event(KeyCode::BackTab, KeyModifiers::SHIFT);
        assert_eq!(START.command(&back_tab), Some(Command::PrevFocus));
    }

    #[test]
    fn no_key_is_bound_twice_in_a_mode() {
        for map in ALL {
            let keys: Vec<&Key> = map.bindings.iter().flat_map(|b| b.keys).collect();
            for (at, key) in keys.iter().enumerate() {
                assert!(
                    !keys[at + 1..].contains(key),
                    "{}: {key:?} is bound twice",
                    map.title
                );
            }
        }
    }

    #[test]
    fn read_only_hides_mutations_from_the_hints() {
        let hints: Vec<&str> = TABLE.hints(true).map(|(_, what)| what).collect();
        assert!(!hints.contains(&"start") && !hints.contains(&"pause"));
        let all: Vec<&str> = TABLE.hints(false).map(|(_, what)| what).collect();
        assert!(all.contains(&"start") && all.contains(&"pause"));
    }
}
