//! Editing a single-line [`TextInput`] with the usual keys.

use crossterm::event::{KeyCode, KeyEvent};

use super::keymap::{Command, TEXT, has_command_modifier};
use super::state::TextInput;

/// What a key did to a text field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Edit {
    /// The text changed.
    Changed,
    /// Only the cursor moved.
    Moved,
    /// The key is not an editing key; the caller may use it.
    Ignored,
}

impl TextInput {
    /// A field holding `value` with the cursor at its end.
    pub fn with_value(value: impl Into<String>) -> Self {
        let value = value.into();
        let cursor = value.chars().count();
        TextInput { value, cursor }
    }

    /// Empties the field.
    pub fn clear(&mut self) {
        self.value.clear();
        self.cursor = 0;
    }

    /// Replaces the text and puts the cursor at its end.
    pub fn set(&mut self, value: impl Into<String>) {
        *self = TextInput::with_value(value);
    }

    /// Applies an editing key of [`TEXT`], or types a character (never one with Ctrl or Alt).
    pub fn handle_key(&mut self, key: KeyEvent) -> Edit {
        let len = self.value.chars().count();
        self.cursor = self.cursor.min(len);
        match TEXT.command(&key) {
            Some(Command::CursorLeft) => self.move_to(self.cursor.saturating_sub(1)),
            Some(Command::CursorRight) => self.move_to((self.cursor + 1).min(len)),
            Some(Command::CursorStart) => self.move_to(0),
            Some(Command::CursorEnd) => self.move_to(len),
            Some(Command::DeleteBack) if self.cursor > 0 => {
                self.delete(self.cursor - 1, self.cursor)
            }
            Some(Command::DeleteForward) if self.cursor < len => {
                self.delete(self.cursor, self.cursor + 1)
            }
            Some(Command::DeleteBack | Command::DeleteForward) => Edit::Moved,
            Some(Command::DeleteToStart) => self.delete(0, self.cursor),
            Some(Command::DeleteToEnd) => self.delete(self.cursor, len),
            Some(Command::DeleteWord) => {
                let chars: Vec<char> = self.value.chars().collect();
                let mut start = self.cursor;
                while start > 0 && chars[start - 1].is_whitespace() {
                    start -= 1;
                }
                while start > 0 && !chars[start - 1].is_whitespace() {
                    start -= 1;
                }
                self.delete(start, self.cursor)
            }
            Some(_) => Edit::Ignored,
            None => match key.code {
                KeyCode::Char(c) if !has_command_modifier(&key) && !c.is_control() => {
                    let at = self.byte_at(self.cursor);
                    self.value.insert(at, c);
                    self.cursor += 1;
                    Edit::Changed
                }
                _ => Edit::Ignored,
            },
        }
    }

    fn move_to(&mut self, cursor: usize) -> Edit {
        self.cursor = cursor;
        Edit::Moved
    }

    /// Deletes chars `from..to` and leaves the cursor at `from`.
    fn delete(&mut self, from: usize, to: usize) -> Edit {
        if from >= to {
            return Edit::Moved;
        }
        let (start, end) = (self.byte_at(from), self.byte_at(to));
        self.value.replace_range(start..end, "");
        self.cursor = from;
        Edit::Changed
    }

    fn byte_at(&self, chars: usize) -> usize {
        self.value
            .char_indices()
            .nth(chars)
            .map_or(self.value.len(), |(at, _)| at)
    }
}

#[cfg(test)]
mod tests {
    use crossterm::event::KeyModifiers;

    use super::*;

    fn key(code: KeyCode) -> KeyEvent {
        KeyEvent::new(code, KeyModifiers::NONE)
    }

    fn ctrl(c: char) -> KeyEvent {
        KeyEvent::new(KeyCode::Char(c), KeyModifiers::CONTROL)
    }

    #[test]
    fn typing_inserts_at_the_cursor_and_handles_multibyte_text() {
        let mut input = TextInput::with_value("ac");
        assert_eq!(input.handle_key(key(KeyCode::Left)), Edit::Moved);
        assert_eq!(input.handle_key(key(KeyCode::Char('é'))), Edit::Changed);
        assert_eq!(input.value, "aéc");
        assert_eq!(input.cursor, 2);
        assert_eq!(input.handle_key(key(KeyCode::Backspace)), Edit::Changed);
        assert_eq!(input.value, "ac");
        input.handle_key(key(KeyCode::Home));
        assert_eq!(input.handle_key(key(KeyCode::Delete)), Edit::Changed);
        assert_eq!(input.value, "c");
        assert_eq!(input.handle_key(key(KeyCode::Backspace)), Edit::Moved);
    }

    #[test]
    fn control_keys_edit_words_and_lines() {
        let mut input = TextInput::with_value("2026-11-24 10:30");
        assert_eq!(input.handle_key(ctrl('w')), Edit::Changed);
        assert_eq!(input.value, "2026-11-24 ");
        input.handle_key(ctrl('a'));
        assert_eq!(input.handle_key(ctrl('k')), Edit::Changed);
        assert_eq!(input.value, "");
        assert_eq!(input.handle_key(ctrl('x')), Edit::Ignored);
        assert_eq!(input.handle_key(key(KeyCode::Enter)), Edit::Ignored);
        let alt_p = KeyEvent::new(KeyCode::Char('p'), KeyModifiers::ALT);
        assert_eq!(
            input.handle_key(alt_p),
            Edit::Ignored,
            "Alt-p types nothing"
        );
    }
}
