//! The help each command prints, and the console refusing to run without a terminal.

use std::process::Output;

#[path = "support/cli_fixture.rs"]
mod cli_fixture;
use cli_fixture::*;

fn run(args: &[&str]) -> Output {
    let sandbox = tempfile::tempdir().expect("sandbox");
    sandboxed(sandbox.path())
        .args(args)
        .output()
        .expect("jwctl runs")
}

fn help(args: &[&str]) -> String {
    let output = run(args);
    assert_exit(&output, 0);
    stdout(&output)
}

#[test]
fn each_command_shows_only_its_options() {
    let serve = help(&["serve", "--help"]);
    assert!(serve.contains("--listen"), "{serve}");
    assert!(!serve.contains("--controller"), "{serve}");
    let pause = help(&["pause", "--help"]);
    assert!(
        pause.contains("--region") && pause.contains("--read-only"),
        "{pause}"
    );
    assert!(!pause.contains("--tz"), "{pause}");
    let start = help(&["start", "--help"]);
    assert!(
        start.contains("--tz") && start.contains("--replay-from"),
        "{start}"
    );
}

#[test]
fn list_help_names_every_status() {
    let list = help(&["list", "--help"]);
    for status in [
        "running",
        "starting",
        "pausing",
        "stopped",
        "failed",
        "not-running",
    ] {
        assert!(list.contains(&format!("- {status}")), "{status}: {list}");
    }
}

#[test]
fn the_main_help_ends_with_examples() {
    let main = help(&["--help"]);
    let (_, examples) = main
        .rsplit_once("Examples:\n")
        .expect("an Examples section");
    let lines: Vec<&str> = examples.lines().collect();
    assert!(lines.len() >= 5, "{main}");
    assert!(
        lines.iter().all(|line| line.starts_with("  jwctl")),
        "{main}"
    );
    assert!(
        examples.contains("jwctl start --region cn-hangzhou --status stopped --yes"),
        "{main}"
    );
}

#[test]
fn the_console_without_a_terminal_points_at_the_scripting_commands() {
    // stdin and stdout are pipes.
    let output = run(&[]);
    assert_exit(&output, 2);
    let message = stderr(&output);
    assert!(message.contains("needs a terminal"), "{message}");
    assert!(message.contains("`jwctl list`"), "{message}");
    assert!(!message.contains('\x1b'), "{message}");
    assert!(output.stdout.is_empty(), "{}", stdout(&output));
}
