//! Asking the operator before a mutation: a y/N question on a terminal, `--yes` otherwise.

use std::io::{BufRead, IsTerminal, Write};

use crate::cli::error::CliError;

/// Gets consent to `verb` (`start`, `pause`) writers: `--yes` answers every question; on a
/// terminal the `questions` are asked in turn on stderr and answered on stdin, and consent
/// needs a yes to each; without a terminal and without `--yes` the command is refused, so a
/// script never mutates by accident.
pub fn confirm(verb: &str, questions: &[String], yes: bool) -> Result<(), CliError> {
    if yes {
        return Ok(());
    }
    let stdin = std::io::stdin();
    if !stdin.is_terminal() {
        return Err(CliError::Usage(format!(
            "refusing to {verb} without confirmation: stdin is not a terminal; pass --yes"
        )));
    }
    for question in questions {
        match ask(question, &mut stdin.lock(), &mut std::io::stderr().lock()) {
            Ok(true) => {}
            Ok(false) => {
                return Err(CliError::Failed(format!(
                    "did not {verb}: not confirmed; nothing was changed"
                )));
            }
            Err(e) => {
                return Err(CliError::Failed(format!(
                    "did not {verb}: cannot read the answer ({e}); nothing was changed"
                )));
            }
        }
    }
    Ok(())
}

/// Writes `question` and reads one line: `y` or `yes` (any case) is consent, anything else,
/// end of input included, is not.
pub fn ask(
    question: &str,
    input: &mut impl BufRead,
    prompt: &mut impl Write,
) -> std::io::Result<bool> {
    write!(prompt, "{question} [y/N] ")?;
    prompt.flush()?;
    let mut answer = String::new();
    input.read_line(&mut answer)?;
    let answer = answer.trim().to_ascii_lowercase();
    Ok(answer == "y" || answer == "yes")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(typed: &str) -> (bool, String) {
        let mut prompt = Vec::new();
        let consent = ask("Pause w?", &mut typed.as_bytes(), &mut prompt).unwrap_or(false);
        (consent, String::from_utf8_lossy(&prompt).into_owned())
    }

    #[test]
    fn only_y_or_yes_is_consent() {
        for typed in ["y\n", "YES\n", " yes \n", "y"] {
            assert!(answer(typed).0, "{typed:?}");
        }
        for typed in ["", "\n", "n\n", "no\n", "yep\n", "sure\n"] {
            assert!(!answer(typed).0, "{typed:?}");
        }
        assert_eq!(answer("y\n").1, "Pause w? [y/N] ");
    }

    #[test]
    fn yes_flag_needs_no_terminal() {
        let questions = ["Start w?".to_string(), "Skip it for good?".to_string()];
        assert_eq!(confirm("start", &questions, true), Ok(()));
    }
}
