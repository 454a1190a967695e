//! dist/pii-redact.wasm on an MCP route (streamable HTTP) in the wasmtime host, at every
//! chunk size: PII in `tools/call` arguments is pseudonymised upstream (a batch too) and
//! restored in the server's answer, JSON and SSE, while PII the server wrote is redacted; a
//! blocked value is refused with a JSON-RPC error carrying the request's id.
//! Needs dist/pii-redact.wasm: run `./build.sh test`.
// A test fails by panicking: the house lints for plugin code do not apply here.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use guardrail_harness::host::{start_dist, Exchange, Host, HostProfile, Outcome};
use serde_json::{json, Value};

const CONFIG: &str =
    r#"{"entities":{"EMAIL":"pseudonymize","SECRET":"block"},"default_action":"redact"}"#;

fn host() -> Host {
    start_dist("pii-redact", HostProfile::Envoy, CONFIG)
}

fn run(h: &Host, body: &[u8], chunk: usize, ct: &str, answer: &[u8]) -> Outcome {
    let len = body.len().to_string();
    let headers = [
        (":method", "POST"),
        (":path", "/mcp"),
        (":authority", "gw"),
        ("content-type", "application/json"),
        ("content-length", len.as_str()),
    ];
    h.exchange(&Exchange {
        request_headers: &headers,
        request_body: body,
        chunk,
        response_headers: &[(":status", "200"), ("content-type", ct)],
        response_body: answer,
        ..Exchange::default()
    })
}

fn call(id: Value, to: &str) -> Value {
    json!({"jsonrpc": "2.0", "id": id, "method": "tools/call",
           "params": {"name": "send_mail", "arguments": {"to": to, "subject": "hi"}}})
}

fn result(id: Value, text: &str) -> Value {
    json!({"jsonrpc": "2.0", "id": id, "result": {"content": [{"type": "text", "text": text}]}})
}

#[test]
fn tool_arguments_are_pseudonymised_and_restored_in_json_answers() {
    let h = host();
    let req = call(json!(1), "jane@corp.example").to_string();
    let want_up = call(json!(1), "<EMAIL_1>").to_string();
    let answer = result(json!(1), "Sent to <EMAIL_1>; copy to ops@evil.example").to_string();
    let want = result(json!(1), "Sent to jane@corp.example; copy to [EMAIL]").to_string();
    for chunk in 0..=req.len() {
        let out = run(
            &h,
            req.as_bytes(),
            chunk,
            "application/json",
            answer.as_bytes(),
        );
        assert!(
            out.trap.is_none() && out.local_reply.is_none(),
            "{chunk}: {out:?}"
        );
        assert_eq!(
            String::from_utf8_lossy(&out.request_body_out),
            want_up,
            "{chunk}"
        );
        assert_eq!(
            String::from_utf8_lossy(&out.response_body_out),
            want,
            "{chunk}"
        );
        let logs: String = out.logs.iter().map(|l| l.1.clone()).collect();
        assert!(!logs.contains("jane@"), "values are never logged");
    }
}

#[test]
fn sse_answers_and_batches() {
    let h = host();
    let req = json!([
        call(json!(1), "jane@corp.example"),
        call(json!(2), "bob@corp.example")
    ])
    .to_string();
    let want_up = json!([call(json!(1), "<EMAIL_1>"), call(json!(2), "<EMAIL_2>")]).to_string();
    let ev = |v: Value| format!("event: message\ndata: {v}\n\n");
    let answer = ev(result(json!(1), "Sent to <EMAIL_1>"))
        + &ev(result(json!(2), "Sent to <EMAIL_2>, cc x@evil.example"));
    let want = ev(result(json!(1), "Sent to jane@corp.example"))
        + &ev(result(json!(2), "Sent to bob@corp.example, cc [EMAIL]"));
    for chunk in 0..=req.len() {
        let out = run(
            &h,
            req.as_bytes(),
            chunk,
            "text/event-stream",
            answer.as_bytes(),
        );
        assert!(
            out.trap.is_none() && out.local_reply.is_none(),
            "{chunk}: {out:?}"
        );
        assert_eq!(
            String::from_utf8_lossy(&out.request_body_out),
            want_up,
            "{chunk}"
        );
        assert_eq!(
            String::from_utf8_lossy(&out.response_body_out),
            want,
            "{chunk}"
        );
    }
}

#[test]
fn a_blocked_value_is_refused_with_the_request_id() {
    let h = host();
    let req = json!({"jsonrpc": "2.0", "id": "call-9", "method": "tools/call",
        "params": {"name": "deploy", "arguments": {"token": "ghp_0123456789abcdefghijABCDEFGHIJ012345"}}})
    .to_string();
    for chunk in 0..=req.len() {
        let out = run(&h, req.as_bytes(), chunk, "application/json", b"{}");
        let reply = out
            .local_reply
            .as_ref()
            .unwrap_or_else(|| panic!("{chunk}: not refused"));
        let v: Value = serde_json::from_slice(&reply.body).unwrap();
        assert_eq!(v["jsonrpc"], "2.0");
        assert_eq!(v["id"], "call-9", "{chunk}");
        assert_eq!(v["error"]["data"]["status"], reply.status);
        assert!(out.request_body_out.is_empty());
        assert!(!String::from_utf8_lossy(&reply.body).contains("ghp_"));
    }
}
