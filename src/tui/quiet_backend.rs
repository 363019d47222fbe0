//! A backend wrapper that sends nothing when a frame changes nothing. ratatui diffs cells,
//! but every `draw` still resets colours and re-sends the cursor's visibility and position;
//! over SSH an idle console would trickle bytes every tick. This drops draws with no changed
//! cell and cursor commands that repeat the cursor's known state.

use ratatui::backend::{Backend, ClearType, WindowSize};
use ratatui::buffer::Cell;
use ratatui::layout::{Position, Size};

/// Wraps `B`, forwarding only output that changes the screen.
#[derive(Debug)]
pub struct QuietBackend<B> {
    inner: B,
    /// Whether the cursor is visible, once known.
    visible: Option<bool>,
    /// Where the cursor is, once known.
    position: Option<Position>,
}

impl<B> QuietBackend<B> {
    /// Wraps `inner`; the cursor's state is unknown until first set.
    pub fn new(inner: B) -> Self {
        QuietBackend {
            inner,
            visible: None,
            position: None,
        }
    }
}

impl<B: Backend> Backend for QuietBackend<B> {
    type Error = B::Error;

    fn draw<'a, I>(&mut self, content: I) -> Result<(), Self::Error>
    where
        I: Iterator<Item = (u16, u16, &'a Cell)>,
    {
        let mut content = content.peekable();
        if content.peek().is_none() {
            return Ok(());
        }
        // Drawing moves the cursor.
        self.position = None;
        self.inner.draw(content)
    }

    fn append_lines(&mut self, n: u16) -> Result<(), Self::Error> {
        self.position = None;
        self.inner.append_lines(n)
    }

    fn hide_cursor(&mut self) -> Result<(), Self::Error> {
        if self.visible == Some(false) {
            return Ok(());
        }
        self.visible = Some(false);
        self.inner.hide_cursor()
    }

    fn show_cursor(&mut self) -> Result<(), Self::Error> {
        if self.visible == Some(true) {
            return Ok(());
        }
        self.visible = Some(true);
        self.inner.show_cursor()
    }

    fn get_cursor_position(&mut self) -> Result<Position, Self::Error> {
        self.inner.get_cursor_position()
    }

    fn set_cursor_position<P: Into<Position>>(&mut self, position: P) -> Result<(), Self::Error> {
        let position = position.into();
        if self.position == Some(position) {
            return Ok(());
        }
        self.position = Some(position);
        self.inner.set_cursor_position(position)
    }

    fn clear(&mut self) -> Result<(), Self::Error> {
        self.inner.clear()
    }

    fn clear_region(&mut self, clear_type: ClearType) -> Result<(), Self::Error> {
        self.inner.clear_region(clear_type)
    }

    fn size(&self) -> Result<Size, Self::Error> {
        self.inner.size()
    }

    fn window_size(&mut self) -> Result<WindowSize, Self::Error> {
        self.inner.window_size()
    }

    fn flush(&mut self) -> Result<(), Self::Error> {
        self.inner.flush()
    }
}

#[cfg(test)]
mod tests {
    use std::io::Write;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    use ratatui::backend::CrosstermBackend;
    use ratatui::layout::Rect;
    use ratatui::text::Line;
    use ratatui::{Terminal, TerminalOptions, Viewport};

    use super::*;

    /// Counts the bytes written to it.
    #[derive(Clone, Default)]
    struct Wire(Arc<AtomicUsize>);

    impl Write for Wire {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.fetch_add(buf.len(), Ordering::SeqCst);
            Ok(buf.len())
        }

        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    /// Draws `text` (and the cursor at `cursor`) and says how many bytes went out.
    fn frame(
        terminal: &mut Terminal<QuietBackend<CrosstermBackend<Wire>>>,
        wire: &Wire,
        text: &str,
        cursor: Option<(u16, u16)>,
    ) -> usize {
        let before = wire.0.load(Ordering::SeqCst);
        let drawn = terminal.draw(|f| {
            f.render_widget(Line::raw(text.to_string()), f.area());
            if let Some(at) = cursor {
                f.set_cursor_position(at);
            }
        });
        assert!(drawn.is_ok());
        wire.0.load(Ordering::SeqCst) - before
    }

    #[test]
    fn an_unchanged_frame_sends_nothing() {
        let wire = Wire::default();
        let backend = QuietBackend::new(CrosstermBackend::new(wire.clone()));
        let options = TerminalOptions {
            viewport: Viewport::Fixed(Rect::new(0, 0, 20, 2)),
        };
        let Ok(mut terminal) = Terminal::with_options(backend, options) else {
            panic!("terminal");
        };
        let mut frame = |text, cursor| frame(&mut terminal, &wire, text, cursor);
        assert!(frame("hello", None) > 0);
        assert_eq!(frame("hello", None), 0, "same frame, no cursor");
        assert!(frame("hello", Some((3, 1))) > 0, "cursor shown");
        assert_eq!(frame("hello", Some((3, 1))), 0, "same cursor");
        assert!(frame("help!", Some((3, 1))) > 0, "changed cells");
        assert!(frame("help!", None) > 0, "cursor hidden");
        assert_eq!(frame("help!", None), 0);
    }
}
