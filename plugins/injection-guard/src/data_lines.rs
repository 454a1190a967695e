//! data_lines: inside data (tool results, retrieved documents) a line that reads as a task for
//! the assistant - an imperative opening with a task verb, or a standalone knowledge question -
//! is an instruction crossing the trust boundary. Marketing calls to action ("Click here",
//! "Tell us what you think") are excluded by their vocabulary.

use crate::lexicon::TASK_VERBS;

const QUESTION_OPENERS: &[&str] = &[
    "what", "whats", "who", "whom", "whose", "which", "when", "where", "why", "how", "can",
    "could", "would", "will", "is", "are", "do", "does", "did", "should", "shall", "may",
];
/// Words that mark a line as the data's own voice (sender speaking to the reader).
const DATA_VOICE: &[&str] = &[
    "we",
    "our",
    "us",
    "ours",
    "unsubscribe",
    "click",
    "http",
    "https",
    "www",
    "questions",
    "subscription",
    "account",
    "order",
    "receipt",
    "invoice",
    "password",
    "login",
    "sign",
];

/// Which kind of task line was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TaskLine {
    Imperative,
    Question,
}

fn words(line: &str) -> Vec<String> {
    line.split(|c: char| !(c.is_ascii_alphanumeric() || c == '\''))
        .filter(|w| !w.is_empty())
        .map(|w| w.replace('\'', "").to_ascii_lowercase())
        .collect()
}

/// Classify one line (already look-alike folded).
pub fn classify(line: &str) -> Option<TaskLine> {
    let trimmed = line.trim().trim_start_matches(|c: char| {
        c == '-' || c == '*' || c == '>' || c == '#' || c == '"' || c == '\'' || c.is_whitespace()
    });
    let w = words(trimmed);
    let first = w.first()?;
    if w.len() < 3 || w.len() > 60 {
        return None;
    }
    if w.iter().any(|x| DATA_VOICE.contains(&x.as_str())) {
        return None;
    }
    let starts_upper = trimmed.chars().next().is_some_and(|c| c.is_uppercase());
    if starts_upper && TASK_VERBS.contains(&first.as_str()) {
        // "Tell us"/"Give me a call" style: a verb followed by a pronoun object of the sender.
        return Some(TaskLine::Imperative);
    }
    let ends_q = trimmed.trim_end().ends_with('?');
    if starts_upper && ends_q && w.len() >= 4 && QUESTION_OPENERS.contains(&first.as_str()) {
        return Some(TaskLine::Question);
    }
    None
}

/// The task lines in `clean`, at most one of each kind reported.
pub fn task_lines(clean: &str) -> (bool, bool) {
    let (mut imp, mut q) = (false, false);
    for line in clean.lines().take(10_000) {
        match classify(line) {
            Some(TaskLine::Imperative) => imp = true,
            Some(TaskLine::Question) => q = true,
            None => {}
        }
        if imp && q {
            break;
        }
    }
    (imp, q)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table() {
        let cases = [
            (
                "Write a short story about a dragon.",
                Some(TaskLine::Imperative),
            ),
            (
                "  Explain how recursion works with an example.",
                Some(TaskLine::Imperative),
            ),
            ("What is the capital of Brazil?", Some(TaskLine::Question)),
            (
                "How do I solve quadratic equations?",
                Some(TaskLine::Question),
            ),
            ("Click here to unsubscribe", None),
            ("Tell us what you think about our product", None),
            ("Have questions?", None),
            ("Thanks for reading", None),
            ("write a poem", None), // lower-case continuation of a wrapped line
            ("Sign in to your account to see the order.", None),
            ("What's new?", None),
        ];
        for (line, want) in cases {
            assert_eq!(classify(line), want, "{line:?}");
        }
    }
}
