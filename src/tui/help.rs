//! The help screen's content, generated from the keymaps the console dispatches on and the
//! command table the command line parses with, so the help cannot drift from the console.

use super::command::COMMANDS;
use super::keymap::{self, MOUSE, TOO_SMALL};

/// One line of the help.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HelpLine {
    Section(&'static str),
    Entry { keys: String, what: String },
    Blank,
}

/// Width of the help box.
pub const WIDTH: u16 = 80;

/// Every mode's keys, then the mouse and the `:` commands. When read-only, starts and pauses
/// say they are off.
pub fn lines(read_only: bool) -> Vec<HelpLine> {
    let mut lines = Vec::new();
    for map in keymap::ALL {
        if map.title == TOO_SMALL.title {
            continue;
        }
        lines.push(HelpLine::Section(map.title));
        for binding in map.bindings {
            let what = if read_only && binding.mutates {
                format!("{} — off: read-only", binding.help)
            } else {
                binding.help.to_string()
            };
            lines.push(HelpLine::Entry {
                keys: binding.label.to_string(),
                what,
            });
        }
        lines.push(HelpLine::Blank);
    }
    lines.push(HelpLine::Section("Mouse"));
    for (what, does) in MOUSE {
        lines.push(HelpLine::Entry {
            keys: (*what).to_string(),
            what: (*does).to_string(),
        });
    }
    lines.push(HelpLine::Blank);
    lines.push(HelpLine::Section("Commands (: then Enter; Tab completes)"));
    for (name, syntax) in COMMANDS {
        lines.push(HelpLine::Entry {
            keys: format!(":{name}"),
            what: syntax.to_string(),
        });
    }
    lines
}

/// How many help lines fit in the help box at terminal `size` (the box leaves one line for
/// its footer and two for its border).
pub fn visible_lines(size: (u16, u16), total: usize) -> usize {
    let height = usize::from(size.1).min(total + 3);
    height.saturating_sub(3).max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_binding_and_command_is_in_the_help() {
        let lines = lines(false);
        let entries = lines
            .iter()
            .filter(|l| matches!(l, HelpLine::Entry { .. }))
            .count();
        let bindings: usize = keymap::ALL
            .iter()
            .filter(|m| m.title != TOO_SMALL.title)
            .map(|m| m.bindings.len())
            .sum();
        assert_eq!(entries, bindings + MOUSE.len() + COMMANDS.len());
        let read_only = super::lines(true);
        assert!(read_only.iter().any(|l| matches!(
            l,
            HelpLine::Entry { keys, what } if keys == "s" && what.ends_with("off: read-only")
        )));
    }
}
