//! dist/model-allowlist.wasm's tool policy in the wasmtime host, at every chunk size: a
//! disallowed tool definition is removed from a chat request (the rest byte-identical) in
//! every format, an MCP `tools/call` of a denied tool or with an argument breaking a rule is
//! refused with a JSON-RPC error carrying the request's id, an MCP batch (no model, an array)
//! passes, and the verdict line names the tool and the rule, never an argument value.
//! Needs dist/model-allowlist.wasm: run `./build.sh test`.
// A test fails by panicking: the house lints for plugin code do not apply here.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use guardrail_harness::host::{start_dist, Exchange, Host, HostProfile, Outcome};
use serde_json::{json, Value};

const CONFIG: &str = r#"{"tools": {"deny": ["*delete*", "fs__write*"],
  "arguments": [{"tool": "fs__*", "path": "path", "deny": ["/etc/*", "*..*"]}]}}"#;

fn host() -> Host {
    start_dist("model-allowlist", HostProfile::Envoy, CONFIG)
}

fn run(h: &Host, path: &str, body: &[u8], chunk: usize) -> Outcome {
    let headers = [
        (":method", "POST"),
        (":path", path),
        (":authority", "gw"),
        ("content-type", "application/json"),
    ];
    h.exchange(&Exchange {
        request_headers: &headers,
        request_body: body,
        chunk,
        response_headers: &[(":status", "200"), ("content-type", "application/json")],
        response_body: b"{}",
        ..Exchange::default()
    })
}

fn logs(o: &Outcome) -> String {
    o.logs
        .iter()
        .map(|l| l.1.clone())
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn a_denied_definition_is_removed_in_every_format() {
    let h = host();
    let f = |name: &str| json!({"type": "function", "function": {"name": name, "description": "d", "parameters": {"type": "object"}}});
    let a =
        |name: &str| json!({"name": name, "description": "d", "input_schema": {"type": "object"}});
    let cases = [
        (
            "/v1/chat/completions",
            json!({"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "hi"}], "tools": [f("get_weather"), f("delete_repo")]}),
            json!({"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "hi"}], "tools": [f("get_weather")]}),
        ),
        (
            "/v1/messages",
            json!({"model": "claude-3-5-haiku", "max_tokens": 9, "messages": [], "tools": [a("delete_repo"), a("search")]}),
            json!({"model": "claude-3-5-haiku", "max_tokens": 9, "messages": [], "tools": [a("search")]}),
        ),
        (
            "/v1beta/models/gemini-2.0-flash:generateContent",
            json!({"contents": [], "tools": [{"functionDeclarations": [{"name": "search"}, {"name": "delete_all"}]}]}),
            json!({"contents": [], "tools": [{"functionDeclarations": [{"name": "search"}]}]}),
        ),
        (
            "/v1/responses",
            json!({"model": "gpt-4o-mini", "input": "hi", "tools": [{"type": "function", "name": "delete_x"}, {"type": "web_search"}]}),
            json!({"model": "gpt-4o-mini", "input": "hi", "tools": [{"type": "web_search"}]}),
        ),
    ];
    for (path, body, want) in cases {
        let raw = body.to_string();
        for chunk in 0..=raw.len() {
            let out = run(&h, path, raw.as_bytes(), chunk);
            assert!(
                out.trap.is_none() && out.local_reply.is_none(),
                "{path} {chunk}: {out:?}"
            );
            assert_eq!(
                String::from_utf8_lossy(&out.request_body_out),
                want.to_string(),
                "{path} {chunk}"
            );
            let l = logs(&out);
            assert!(
                l.contains("\"verdict\":\"rewrite\"") && l.contains("tool.removed"),
                "{l}"
            );
            assert!(l.contains("\"tool\":\"delete_"), "{l}");
        }
    }
}

#[test]
fn mcp_calls_are_refused_with_the_request_id() {
    let h = host();
    let call = |id: Value, name: &str, path: &str| {
        json!({"jsonrpc": "2.0", "id": id, "method": "tools/call",
               "params": {"name": name, "arguments": {"path": path}}})
        .to_string()
    };
    let cases = [
        (
            call(json!(4), "write_file", "notes.txt"),
            json!(4),
            "tool.denied",
            "write_file",
        ),
        (
            call(json!("c-5"), "read_file", "/etc/shadow"),
            json!("c-5"),
            "tool.argument",
            "read_file",
        ),
    ];
    for (raw, id, rule, tool) in cases {
        for chunk in 0..=raw.len() {
            let out = run(&h, "/mcp/fs", raw.as_bytes(), chunk);
            let reply = out
                .local_reply
                .as_ref()
                .unwrap_or_else(|| panic!("{raw} {chunk}: passed"));
            assert_eq!(reply.status, 403);
            let v: Value = serde_json::from_slice(&reply.body).unwrap();
            assert_eq!(v["id"], id, "{raw}");
            assert_eq!(v["error"]["data"]["code"], "tool_not_allowed");
            let l = logs(&out);
            assert!(
                l.contains(rule) && l.contains(&format!("\"tool\":\"{tool}\"")),
                "{l}"
            );
            assert!(
                !l.contains("shadow") && !String::from_utf8_lossy(&reply.body).contains("shadow")
            );
            assert!(out.request_body_out.is_empty());
        }
    }
}

#[test]
fn mcp_bodies_pass_without_a_model() {
    let h = host();
    let raw = json!([
        {"jsonrpc": "2.0", "id": 1, "method": "tools/list"},
        {"jsonrpc": "2.0", "id": 2, "method": "tools/call", "params": {"name": "read_file", "arguments": {"path": "src/lib.rs"}}}
    ])
    .to_string();
    for chunk in 0..=raw.len() {
        let out = run(&h, "/mcp/fs", raw.as_bytes(), chunk);
        assert!(
            out.trap.is_none() && out.local_reply.is_none(),
            "{chunk}: {out:?}"
        );
        assert_eq!(out.request_body_out, raw.as_bytes());
    }
    // With no tool policy at all an MCP batch passes too (no model, not an object).
    let plain = start_dist(
        "model-allowlist",
        HostProfile::Envoy,
        r#"{"allow": ["gpt-4o*"]}"#,
    );
    let out = run(&plain, "/mcp", raw.as_bytes(), 0);
    assert!(out.local_reply.is_none(), "{out:?}");
}
