//! dist/injection-guard.wasm with `canary` on, in the wasmtime host: the per-request canary
//! goes into the system prompt of every provider format, and an answer that repeats it (or a
//! configured system-prompt fragment) is withheld, non-streamed and streamed, with the answer
//! split at every byte offset; `flag` delivers and logs; a clean answer is untouched.
//! Needs dist/injection-guard.wasm: run `./build.sh test`.

use guardrail_harness::host::{start_dist, Host, HostProfile, HttpSession};
use serde_json::{json, Value};

const CHAT: &str = "/v1/chat/completions";
const SECRET: &str =
    "You are AcmeBot, the internal assistant of Acme Corp; discount code ZEBRA-42.";

fn host(profile: HostProfile, config: &str) -> Host {
    start_dist("injection-guard", profile, config)
}

fn chat_body() -> Vec<u8> {
    json!({"model": "gpt-4o-mini", "messages": [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "What is the capital of France?"}]})
    .to_string()
    .into_bytes()
}

/// Runs the request; returns the session (waiting for the answer) and what went upstream.
fn request(h: &Host, path: &str, body: &[u8]) -> (HttpSession, Vec<u8>) {
    let mut s = h.http();
    let len = body.len().to_string();
    s.request_headers(
        &[
            (":method", "POST"),
            (":path", path),
            (":authority", "gw"),
            ("content-type", "application/json"),
            ("content-length", &len),
            ("accept-encoding", "gzip"),
        ],
        false,
    );
    s.request_body(body, true);
    assert!(
        s.local_reply().is_none(),
        "request passes: {:?}",
        s.local_reply()
    );
    let out = s.request_body_out();
    let headers = s.request_headers_out();
    assert!(
        !headers.iter().any(|(k, _)| k == "accept-encoding"),
        "the answer must come back uncompressed"
    );
    (s, out)
}

/// The canary token in a forwarded body.
fn token_in(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    let at = text
        .find("<!-- gw")
        .expect("canary line in the forwarded body")
        + 5;
    text[at..at + 18].to_string()
}

fn completion(content: &str) -> Vec<u8> {
    json!({"id": "c1", "object": "chat.completion", "model": "gpt-4o-mini",
           "choices": [{"index": 0, "message": {"role": "assistant", "content": content},
                        "finish_reason": "stop"}]})
    .to_string()
    .into_bytes()
}

/// Sends `answer` in two pieces split at `cut` (0: one piece); returns what the client got.
fn respond(s: &mut HttpSession, ct: &str, answer: &[u8], cut: usize) -> Vec<u8> {
    s.response_headers(&[(":status", "200"), ("content-type", ct)], false);
    if cut == 0 || cut >= answer.len() {
        s.response_body(answer, true);
    } else {
        s.response_body(&answer[..cut], false);
        s.response_body(&answer[cut..], true);
    }
    s.response_body_out()
}

fn is_leak_error(out: &[u8]) -> bool {
    String::from_utf8_lossy(out).contains("system_prompt_leak")
}

#[test]
fn the_canary_goes_into_every_formats_system_prompt() {
    let h = host(HostProfile::Envoy, r#"{"canary": {}}"#);
    let cases = [
        (CHAT, chat_body()),
        (
            CHAT,
            json!({"model": "m", "messages": [{"role": "user", "content": "hi"}]})
                .to_string()
                .into_bytes(),
        ),
        (
            "/v1/messages",
            json!({"model": "m", "max_tokens": 9, "system": "Be brief.",
            "messages": [{"role": "user", "content": "hi"}]})
            .to_string()
            .into_bytes(),
        ),
        (
            "/v1/responses",
            json!({"model": "m", "input": "hi"})
                .to_string()
                .into_bytes(),
        ),
        (
            "/v1beta/models/gemini-2.0-flash:generateContent",
            json!({"contents": [{"role": "user", "parts": [{"text": "hi"}]}]})
                .to_string()
                .into_bytes(),
        ),
    ];
    let mut seen = Vec::new();
    for (path, body) in cases {
        let (mut s, out) = request(&h, path, &body);
        let v: Value = serde_json::from_slice(&out).expect("still JSON");
        let token = token_in(&out);
        assert!(token.starts_with("gw") && token[2..].bytes().all(|b| b.is_ascii_hexdigit()));
        assert!(!seen.contains(&token), "a new canary per request");
        seen.push(token);
        assert!(v.is_object());
        s.finish();
    }
}

#[test]
fn a_non_streamed_leak_is_withheld_at_every_split() {
    let h = host(HostProfile::Envoy, r#"{"canary": {}}"#);
    let (_, probe) = request(&h, CHAT, &chat_body());
    let _ = token_in(&probe);
    for cut in 0..completion("x").len() + 120 {
        let (mut s, out) = request(&h, CHAT, &chat_body());
        let token = token_in(&out);
        let leak = completion(&format!("My instructions: Be brief. <!-- {token} -->"));
        let got = respond(&mut s, "application/json", &leak, cut.min(leak.len()));
        assert!(
            is_leak_error(&got),
            "cut {cut}: {}",
            String::from_utf8_lossy(&got)
        );
        assert!(!String::from_utf8_lossy(&got).contains(&token), "cut {cut}");
        let v: Value = serde_json::from_slice(&got).expect("the error is JSON");
        assert_eq!(v["error"]["code"], "system_prompt_leak");
        s.finish();
    }
    let (mut s, _) = request(&h, CHAT, &chat_body());
    let clean = completion("Paris.");
    assert_eq!(
        respond(&mut s, "application/json", &clean, 7),
        clean,
        "clean answer untouched"
    );
}

fn sse(deltas: &[&str]) -> Vec<u8> {
    let mut out = String::new();
    for d in deltas {
        let ev = json!({"id": "c1", "object": "chat.completion.chunk",
                        "choices": [{"index": 0, "delta": {"content": d}}]});
        out.push_str(&format!("data: {ev}\n\n"));
    }
    out.push_str("data: [DONE]\n\n");
    out.into_bytes()
}

/// A stream whose deltas spell out the canary across two events.
fn leaking_stream(token: &str) -> (Vec<u8>, String) {
    let (a, b) = token.split_at(9);
    let deltas = [
        "Sure. ",
        "My instructions end with <!-- ",
        a,
        b,
        " -->",
        " Anything else?",
    ];
    (sse(&deltas), b.to_string())
}

#[test]
fn a_streamed_leak_is_cut_at_every_split() {
    let h = host(HostProfile::Envoy, r#"{"canary": {}}"#);
    let (mut s, out) = request(&h, CHAT, &chat_body());
    let (stream, _) = leaking_stream(&token_in(&out));
    // Whole stream in one piece, then split at every byte offset.
    let got = respond(&mut s, "text/event-stream", &stream, 0);
    assert!(is_leak_error(&got));
    for cut in 1..stream.len() {
        let (mut s, out) = request(&h, CHAT, &chat_body());
        let (stream, b) = leaking_stream(&token_in(&out));
        let got = respond(
            &mut s,
            "text/event-stream",
            &stream,
            cut.min(stream.len() - 1),
        );
        let text = String::from_utf8_lossy(&got);
        assert!(is_leak_error(&got), "cut {cut}: {text}");
        assert!(
            !text.contains(&b),
            "the event completing the canary never leaves (cut {cut})"
        );
        assert!(
            !text.contains("Anything else"),
            "nothing after the leak (cut {cut})"
        );
        assert!(
            text.contains("Sure. "),
            "what came before is delivered (cut {cut})"
        );
        s.finish();
    }
    let (mut s, _) = request(&h, CHAT, &chat_body());
    let clean = sse(&["Par", "is", "."]);
    let got = respond(&mut s, "text/event-stream", &clean, 40);
    assert_eq!(got, clean, "a clean stream is delivered as sent");
}

#[test]
fn configured_fragments_are_found_despite_spacing_and_case() {
    let config = json!({"canary": {"inject": false, "fragments": [SECRET]}}).to_string();
    let h = host(HostProfile::Envoy, &config);
    let anthropic = json!({"model": "claude", "max_tokens": 9, "system": SECRET,
        "messages": [{"role": "user", "content": "What is the capital of France?"}]})
    .to_string()
    .into_bytes();
    let reworded =
        "sure: YOU ARE ACMEBOT - the internal assistant of ACME corp. Discount code: zebra 42!";
    let answer = json!({"id": "m1", "type": "message", "role": "assistant",
        "content": [{"type": "text", "text": reworded}]})
    .to_string()
    .into_bytes();
    for cut in 0..answer.len() {
        let (mut s, out) = request(&h, "/v1/messages", &anthropic);
        assert_eq!(out, anthropic, "inject=false leaves the request as sent");
        let got = respond(&mut s, "application/json", &answer, cut);
        let v: Value = serde_json::from_slice(&got).expect("error JSON");
        assert_eq!(v["type"], "error", "Anthropic error shape, cut {cut}");
        s.finish();
    }
}

#[test]
fn flag_delivers_and_logs_the_leak() {
    let h = host(HostProfile::Envoy, r#"{"canary": {"action": "flag"}}"#);
    let (mut s, out) = request(&h, CHAT, &chat_body());
    let token = token_in(&out);
    let leak = completion(&format!("<!-- {token} -->"));
    h.clear_logs();
    assert_eq!(respond(&mut s, "application/json", &leak, 5), leak);
    let (mut s, out) = request(&h, CHAT, &chat_body());
    let token = token_in(&out);
    let stream = sse(&["<!-- ", &token, " -->"]);
    assert_eq!(respond(&mut s, "text/event-stream", &stream, 11), stream);
    let logs: Vec<String> = h.logs().into_iter().map(|(_, l)| l).collect();
    let leaks: Vec<&String> = logs.iter().filter(|l| l.contains("leak.canary")).collect();
    assert_eq!(leaks.len(), 2, "{logs:#?}");
    assert!(leaks
        .iter()
        .all(|l| l.contains("\"phase\":\"response\"") && l.contains("\"verdict\":\"flag\"")));
    assert!(
        !logs.iter().any(|l| l.contains(&token)),
        "the token itself is never logged"
    );
}

#[test]
fn hosts_that_cannot_rewrite_still_watch_fragments() {
    // APISIX's wasm host cannot rewrite bodies: no canary goes in, nothing can be withheld,
    // but the request passes and a fragment leak still gets its response-phase verdict line.
    let config = json!({"canary": {"fragments": [SECRET]}}).to_string();
    let h = host(HostProfile::Apisix, &config);
    let mut s = h.http();
    let body = chat_body();
    s.request_headers(
        &[
            (":method", "POST"),
            (":path", CHAT),
            ("content-type", "application/json"),
        ],
        false,
    );
    s.request_body(&body, true);
    assert!(
        s.local_reply().is_none(),
        "the request is not refused: {:?}",
        s.local_reply()
    );
    assert!(s.trap().is_none());
    h.clear_logs();
    let leak = completion(&format!("Sure: {SECRET}"));
    respond(&mut s, "application/json", &leak, 9);
    assert!(s.trap().is_none());
    let logs: Vec<String> = h.logs().into_iter().map(|(_, l)| l).collect();
    assert!(
        logs.iter()
            .any(|l| l.contains("leak.fragment") && l.contains("\"phase\":\"response\"")),
        "{logs:#?}"
    );
}

#[test]
fn a_compressed_answer_cannot_be_checked_and_is_replaced() {
    let h = host(HostProfile::Envoy, r#"{"canary": {}}"#);
    let (mut s, _) = request(&h, CHAT, &chat_body());
    s.response_headers(
        &[
            (":status", "200"),
            ("content-type", "application/json"),
            ("content-encoding", "gzip"),
            ("content-length", "4"),
        ],
        false,
    );
    s.response_body(b"\x1f\x8b\x08\x00", true);
    let headers = s.response_headers_out();
    let get = |k: &str| {
        headers
            .iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.as_str())
    };
    assert_eq!(get(":status"), Some("502"));
    assert_eq!(get("x-guardrail-code"), Some("response_not_scannable"));
    assert_eq!(get("content-encoding"), None);
    assert_eq!(get("content-length"), None);
    let v: Value = serde_json::from_slice(&s.response_body_out()).expect("error JSON");
    assert_eq!(v["error"]["code"], "response_not_scannable");
}
