//! README.md documents every key of every mode and every `:` command, as the keymap and the
//! command table the console runs on define them.

use jwctl::tui::command::COMMANDS;
use jwctl::tui::keymap::{ALL, MOUSE};

fn readme() -> String {
    std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).expect("README")
}

#[test]
fn the_readme_documents_every_key_and_command() {
    let readme = readme();
    for map in ALL {
        for binding in map.bindings {
            assert!(
                readme.contains(&format!("`{}`", binding.label)),
                "README does not document `{}` ({}: {})",
                binding.label,
                map.title,
                binding.help
            );
        }
    }
    for (name, _) in COMMANDS {
        assert!(
            readme.contains(&format!("`:{name}")),
            "README does not document :{name}"
        );
    }
    for (what, _) in MOUSE {
        let word = what.split_whitespace().next().unwrap_or(what);
        assert!(
            readme.contains(word),
            "README does not document the mouse: {what}"
        );
    }
}
