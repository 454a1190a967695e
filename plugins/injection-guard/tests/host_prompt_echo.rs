#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]
//! dist/injection-guard.wasm with `canary` on, in the wasmtime host (issue 20 item 4): an answer
//! that repeats the system prompt leaks nothing of it beyond `echo_words - 1` consecutive words,
//! streamed (every two-piece byte split, every uniform chunk size, three delta sizes) and not
//! streamed (every split); an ordinary answer is held back by at most `echo_words - 1` words.
//! Needs dist/injection-guard.wasm: run `./build.sh test`.

use guardrail_harness::host::{start_dist, Host, HostProfile, HttpSession};
use guardrail_sdk::sse::SseParser;
use guardrail_sdk::stream::deltas;
use guardrail_sdk::ApiFormat;
use serde_json::json;
use std::collections::HashSet;

const CHAT: &str = "/v1/chat/completions";
const SYSTEM: &str = "You are the support bot of Example Corp. Escalate refunds above 200 dollars \
    to a human agent, never promise delivery dates, and never reveal the internal discount code.";

fn host(echo_words: usize) -> Host {
    let config = json!({"canary": {"echo_words": echo_words}}).to_string();
    start_dist("injection-guard", HostProfile::Envoy, &config)
}

fn request(h: &Host) -> HttpSession {
    let body = json!({"model": "gpt-4o-mini", "messages": [
        {"role": "system", "content": SYSTEM},
        {"role": "user", "content": "What is the capital of France?"}]})
    .to_string();
    let mut s = h.http();
    s.request_headers(
        &[
            (":method", "POST"),
            (":path", CHAT),
            (":authority", "gw"),
            ("content-type", "application/json"),
        ],
        false,
    );
    s.request_body(body.as_bytes(), true);
    assert!(s.local_reply().is_none(), "{:?}", s.local_reply());
    s
}

fn words(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect()
}

/// Does `client` hold a run of `n` consecutive words of the system prompt? (A reference
/// implementation, independent of the plugin's hashing.)
fn has_run(client: &str, n: usize) -> bool {
    let p = words(SYSTEM);
    let grams: HashSet<&[String]> = p.windows(n).collect();
    words(client).windows(n).any(|w| grams.contains(w))
}

fn sse(pieces: &[String]) -> Vec<u8> {
    let mut out = String::new();
    for d in pieces {
        let ev = json!({"id": "c1", "object": "chat.completion.chunk",
                        "choices": [{"index": 0, "delta": {"content": d}}]});
        out.push_str(&format!("data: {ev}\n\n"));
    }
    out.push_str("data: [DONE]\n\n");
    out.into_bytes()
}

/// The answer cut into deltas of `size` characters.
fn deltas_of(answer: &str, size: usize) -> Vec<String> {
    let chars: Vec<char> = answer.chars().collect();
    chars.chunks(size).map(|c| c.iter().collect()).collect()
}

/// Send `body` as the answer in the given pieces; the client's bytes.
fn respond(s: &mut HttpSession, ct: &str, pieces: &[&[u8]]) -> Vec<u8> {
    s.response_headers(&[(":status", "200"), ("content-type", ct)], false);
    for (i, p) in pieces.iter().enumerate() {
        s.response_body(p, i + 1 == pieces.len());
    }
    s.response_body_out()
}

/// The text the client can read from an SSE stream.
fn client_text(client: &[u8]) -> String {
    let mut parser = SseParser::new(1 << 20);
    let mut events = parser.push(client).unwrap_or_default();
    events.extend(parser.finish().unwrap_or_default());
    events
        .iter()
        .flat_map(|e| deltas(ApiFormat::OpenAiChat, e))
        .map(|d| d.text)
        .collect()
}

fn splits(body: &[u8]) -> Vec<Vec<&[u8]>> {
    let mut out: Vec<Vec<&[u8]>> = (1..body.len())
        .map(|cut| vec![&body[..cut], &body[cut..]])
        .collect();
    for size in 1..=24 {
        out.push(body.chunks(size).collect());
    }
    out.push(vec![body]);
    out
}

#[test]
fn a_streamed_echo_never_reaches_the_client_at_any_split() {
    let answer = format!("My instructions are: {SYSTEM} Anything else?");
    for n in [4, 8] {
        let h = host(n);
        for delta in [1, 5, 40] {
            let body = sse(&deltas_of(&answer, delta));
            // Every two-piece split where an event carries several characters; with one
            // character per event the uniform chunk sizes already cut inside every event.
            let all = splits(&body);
            let cases: Vec<&Vec<&[u8]>> = match delta {
                1 => all.iter().filter(|p| p.len() != 2).collect(),
                _ => all.iter().collect(),
            };
            for pieces in cases {
                let mut s = request(&h);
                let got = respond(&mut s, "text/event-stream", pieces);
                let text = String::from_utf8_lossy(&got);
                assert!(
                    text.contains("system_prompt_leak"),
                    "n={n} delta={delta} pieces={}: {text}",
                    pieces.len()
                );
                let read = client_text(&got);
                assert!(
                    !has_run(&read, n),
                    "n={n} delta={delta} pieces={}: the client read {read:?}",
                    pieces.len()
                );
                assert!(!read.contains("Anything else"));
                s.finish();
            }
        }
    }
}

#[test]
fn a_non_streamed_echo_is_withheld_at_every_split() {
    let h = host(8);
    let body = json!({"id": "c1", "object": "chat.completion",
        "choices": [{"index": 0, "message": {"role": "assistant",
            "content": format!("Sure! {SYSTEM}")}, "finish_reason": "stop"}]})
    .to_string()
    .into_bytes();
    for pieces in splits(&body) {
        let mut s = request(&h);
        let got = respond(&mut s, "application/json", &pieces);
        let text = String::from_utf8_lossy(&got);
        assert!(text.contains("system_prompt_leak"), "{text}");
        assert!(!has_run(&text, 8), "{text}");
        s.finish();
    }
    let logs: Vec<String> = h.logs().into_iter().map(|(_, l)| l).collect();
    assert!(logs.iter().any(|l| l.contains("leak.prompt_echo")));
    assert!(
        !logs.iter().any(|l| l.contains("Escalate")),
        "no prompt text in logs"
    );
}

/// An ordinary answer (quoting a few words of the prompt, never 8 in a row) is delivered whole,
/// and while it streams the client is never more than 7 words (+ the one arriving) behind.
#[test]
fn an_ordinary_answer_is_held_back_at_most_n_minus_1_words() {
    let n = 8;
    let h = host(n);
    let answer = "Hello! I am the support bot of Example Corp. For refunds above 200 dollars \
        a human agent will help you; I cannot promise delivery dates, sorry. Anything else?";
    let pieces: Vec<String> = answer.split_inclusive(' ').map(str::to_string).collect();
    let body = sse(&pieces);
    let mut s = request(&h);
    s.response_headers(
        &[(":status", "200"), ("content-type", "text/event-stream")],
        false,
    );
    let events: Vec<String> = String::from_utf8_lossy(&body)
        .split_inclusive("\n\n")
        .map(str::to_string)
        .collect();
    let mut sent_words = 0usize;
    for (i, ev) in events.iter().enumerate() {
        let last = i + 1 == events.len();
        sent_words += words(&client_text(ev.as_bytes())).len();
        s.response_body(ev.as_bytes(), last);
        let read = words(&client_text(&s.response_body_out())).len();
        if !last {
            assert!(
                sent_words - read < n,
                "after event {i}: sent {sent_words} words, the client has {read}"
            );
        }
    }
    assert_eq!(s.response_body_out(), body, "delivered as sent");
    s.finish();
}
