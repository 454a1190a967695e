//! history: a realistic coding-agent conversation, generated deterministically, as the 30
//! requests an agent sends: each carries the system prompt and every earlier turn (user
//! message, the assistant's tool calls, tool results of a few KB each, the assistant's
//! answer), growing to ~300 KB. Every string depends on a session number, so one session's
//! segments never repeat another's (a replay is measured from a cold segment cache).

use serde_json::{json, Value};

/// Requests (turns) of one agent session.
pub const TURNS: usize = 30;

/// Identifier parts of the generated code, listings and logs: no PII shapes, no
/// instruction-like vocabulary.
const WORDS: &[&str] = &[
    "garden", "tomato", "autumn", "river", "bread", "recipe", "basket", "window", "village",
    "orchard", "apple", "harvest", "season", "soup", "onion", "garlic", "meadow", "cloud",
    "museum", "library", "story", "chapter", "mountain", "lake", "picnic", "blanket", "candle",
    "kitchen", "table", "pottery", "clay", "spoon", "honey", "lemon", "ledger", "parcel",
    "lantern", "harbour", "ferry", "pebble",
];

/// Deterministic word stream (xorshift64).
struct Words(u64);

impl Words {
    fn new(session: u32, turn: usize, part: usize) -> Words {
        let seed = 0x9e37_79b9_7f4a_7c15u64
            ^ (u64::from(session) << 40)
            ^ ((turn as u64) << 20)
            ^ (part as u64);
        Words(seed | 1)
    }

    fn next(&mut self) -> &'static str {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        WORDS[(self.0 % WORDS.len() as u64) as usize]
    }

    fn small(&mut self, below: u64) -> u64 {
        self.next();
        self.0 % below.max(1)
    }
}

fn system_prompt(session: u32) -> String {
    let mut s = format!(
        "You are a coding assistant working in the workspace ws-{session} of a Rust project. \
         You can read files, search the tree and run the test suite with the tools given. \
         Keep answers short, show the smallest change that solves the task, and explain \
         which tests cover it.\n"
    );
    let mut w = Words::new(session, 0, 99);
    for _ in 0..12 {
        s.push_str(&format!(
            "The {} module keeps its {} records in the {} table; the {} crate owns the {} types.\n",
            w.next(),
            w.next(),
            w.next(),
            w.next(),
            w.next()
        ));
    }
    s
}

fn user_message(session: u32, turn: usize) -> String {
    let mut w = Words::new(session, turn, 1);
    format!(
        "In ws-{session}, the {a} report shows the {b} totals twice when the {c} list is empty. \
         Could you look at src/{a}/{b}.rs and the {c} tests and find out why? This is step \
         {turn} of the {d} clean-up.",
        a = w.next(),
        b = w.next(),
        c = w.next(),
        d = w.next(),
    )
}

/// A Rust source listing of about `len` bytes (the read_file tool's result).
fn source_listing(session: u32, turn: usize, len: usize) -> String {
    let mut w = Words::new(session, turn, 2);
    let mut s = format!("// ws-{session} src/{}/{}.rs\n", w.next(), w.next());
    s.push_str("use std::collections::BTreeMap;\n\n");
    while s.len() < len {
        let (a, b, c, d) = (w.next(), w.next(), w.next(), w.next());
        let n = w.small(90) + 2;
        s.push_str(&format!(
            "pub struct {A}{B} {{\n    pub {c}: Vec<{A}>,\n    pub {d}_count: usize,\n}}\n\n\
             impl {A}{B} {{\n    pub fn {c}_{d}(&self, limit: usize) -> BTreeMap<String, usize> {{\n        \
             let mut out = BTreeMap::new();\n        for item in self.{c}.iter().take(limit.min({n})) {{\n            \
             *out.entry(item.name.clone()).or_insert(0) += self.{d}_count;\n        }}\n        out\n    }}\n}}\n\n",
            A = capitalise(a),
            B = capitalise(b),
        ));
    }
    s.truncate(len);
    s
}

/// Test-runner output of about `len` bytes (the run_tests tool's result).
fn test_log(session: u32, turn: usize, len: usize) -> String {
    let mut w = Words::new(session, turn, 3);
    let mut s = format!("running the {} suite in ws-{session}\n", w.next());
    while s.len() < len {
        let (a, b, c) = (w.next(), w.next(), w.next());
        let status = if w.small(17) == 0 { "FAILED" } else { "ok" };
        s.push_str(&format!(
            "test {a}::tests::{b}_keeps_{c}_in_order ... {status}\n"
        ));
    }
    s.push_str("test result: FAILED. 1 failed; many passed; finished in under a second\n");
    s.truncate(len);
    s
}

fn answer(session: u32, turn: usize) -> String {
    let mut w = Words::new(session, turn, 4);
    format!(
        "The {a} totals are added once in {b}_{c} and again by the caller in the {d} report \
         when the list is empty, because the early return skips the reset. Moving the reset \
         before the loop fixes it; the failing {e} test covers the empty case and passes with \
         the change. Workspace ws-{session}, step {turn}.",
        a = w.next(),
        b = w.next(),
        c = w.next(),
        d = w.next(),
        e = w.next(),
    )
}

fn capitalise(w: &str) -> String {
    let mut c = w.chars();
    c.next()
        .map(|f| f.to_ascii_uppercase().to_string() + c.as_str())
        .unwrap_or_default()
}

/// The messages of turn `turn`: user, assistant tool calls, two tool results, and (when
/// `finished`) the assistant's answer.
fn turn_messages(session: u32, turn: usize, finished: bool) -> Vec<Value> {
    let id = |k: usize| format!("call_ws{session}_{turn}_{k}");
    let mut w = Words::new(session, turn, 5);
    let path = format!("src/{}/{}.rs", w.next(), w.next());
    let mut m = vec![
        json!({"role": "user", "content": user_message(session, turn)}),
        json!({"role": "assistant", "content": null, "tool_calls": [
            {"id": id(0), "type": "function", "function": {"name": "read_file",
                "arguments": json!({"path": path, "workspace": format!("ws-{session}")}).to_string()}},
            {"id": id(1), "type": "function", "function": {"name": "run_tests",
                "arguments": json!({"filter": w.next(), "workspace": format!("ws-{session}")}).to_string()}}
        ]}),
        json!({"role": "tool", "tool_call_id": id(0), "content": source_listing(session, turn, 5200)}),
        json!({"role": "tool", "tool_call_id": id(1), "content": test_log(session, turn, 3600)}),
    ];
    if finished {
        m.push(json!({"role": "assistant", "content": answer(session, turn)}));
    }
    m
}

/// The [`TURNS`] request bodies of agent session `session`: request `k` (0-based) carries the
/// system prompt, turns `0..k` complete and turn `k` up to its tool results (the request
/// that asks the model for turn `k`'s answer).
pub fn agent_session(session: u32) -> Vec<Vec<u8>> {
    let mut done: Vec<Value> = vec![json!({"role": "system", "content": system_prompt(session)})];
    let mut out = Vec::with_capacity(TURNS);
    for turn in 0..TURNS {
        let mut messages = done.clone();
        messages.extend(turn_messages(session, turn, false));
        let body = json!({
            "model": "gpt-4o-mini",
            "messages": messages,
            "tools": [
                {"type": "function", "function": {"name": "read_file", "description": "Read a file of the workspace",
                    "parameters": {"type": "object", "properties": {"path": {"type": "string"}, "workspace": {"type": "string"}}}}},
                {"type": "function", "function": {"name": "run_tests", "description": "Run the tests matching a filter",
                    "parameters": {"type": "object", "properties": {"filter": {"type": "string"}, "workspace": {"type": "string"}}}}}
            ]
        });
        out.push(body.to_string().into_bytes());
        done.extend(turn_messages(session, turn, true));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_session_grows_to_about_300_kb_and_each_request_extends_the_last() {
        let s = agent_session(1);
        assert_eq!(s.len(), TURNS);
        let last = s.last().unwrap().len();
        assert!((250_000..=350_000).contains(&last), "{last}");
        for pair in s.windows(2) {
            let a: Value = serde_json::from_slice(&pair[0]).unwrap();
            let b: Value = serde_json::from_slice(&pair[1]).unwrap();
            let (a, b) = (
                a["messages"].as_array().unwrap(),
                b["messages"].as_array().unwrap(),
            );
            // Every earlier message is resent unchanged, except the last turn gains its answer.
            assert_eq!(b.len(), a.len() + 5);
            assert_eq!(a[..], b[..a.len()]);
        }
        assert_eq!(agent_session(1), s, "deterministic");
    }

    #[test]
    fn sessions_share_no_message_text() {
        let texts = |session| -> Vec<String> {
            let v: Value = serde_json::from_slice(agent_session(session).last().unwrap()).unwrap();
            v["messages"]
                .as_array()
                .unwrap()
                .iter()
                .map(|m| m.to_string())
                .collect()
        };
        let (a, b) = (texts(1), texts(2));
        assert!(a.iter().all(|m| !b.contains(m)));
    }
}
