//! Editing a single-line [`TextInput`] with the usual keys.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

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

    /// Applies an editing key: characters, Backspace, Delete, ← →, Home, End, Ctrl-A/E/U/K/W.
    pub fn handle_key(&mut self, key: KeyEvent) -> Edit {
        let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
        let len = self.value.chars().count();
        self.cursor = self.cursor.min(len);
        match key.code {
            KeyCode::Char('a') if ctrl => self.move_to(0),
            KeyCode::Char('e') if ctrl => self.move_to(len),
            KeyCode::Char('u') if ctrl => self.delete(0, self.cursor),
            KeyCode::Char('k') if ctrl => self.delete(self.cursor, len),
            KeyCode::Char('w') if ctrl => {
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
            KeyCode::Char(_) if ctrl || key.modifiers.contains(KeyModifiers::ALT) => Edit::Ignored,
            KeyCode::Char(c) if !c.is_control() => {
                let at = self.byte_at(self.cursor);
                self.value.insert(at, c);
                self.cursor += 1;
                Edit::Changed
            }
            KeyCode::Backspace if self.cursor > 0 => self.delete(self.cursor - 1, self.cursor),
            KeyCode::Delete if self.cursor < len => self.delete(self.cursor, self.cursor + 1),
            KeyCode::Backspace | KeyCode::Delete => Edit::Moved,
            KeyCode::Left => self.move_to(self.cursor.saturating_sub(1)),
            KeyCode::Right => self.move_to((self.cursor + 1).min(len)),
            KeyCode::Home => self.move_to(0),
            KeyCode::End => self.move_to(len),
            _ => Edit::Ignored,
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
    }
}
