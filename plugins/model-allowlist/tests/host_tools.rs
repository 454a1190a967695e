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

const CONFIG: &str = r#"{"tools": {"deny": ["*delete*", "fs__write*", "shell*"],
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

/// The request offering `get_weather` on `path`, answered with `answer` (`ct`), every chunk size.
fn answered(
    h: &Host,
    path: &str,
    request: &Value,
    ct: &str,
    answer: &[u8],
    chunk: usize,
) -> Outcome {
    let headers = [
        (":method", "POST"),
        (":path", path),
        (":authority", "gw"),
        ("content-type", "application/json"),
        ("accept-encoding", "gzip"),
    ];
    let body = request.to_string();
    h.exchange(&Exchange {
        request_headers: &headers,
        request_body: body.as_bytes(),
        chunk,
        response_headers: &[(":status", "200"), ("content-type", ct)],
        response_body: answer,
        ..Exchange::default()
    })
}

fn offering(path: &str) -> Value {
    let weather =
        json!({"name": "get_weather", "description": "Weather.", "parameters": {"type": "object"}});
    match path {
        "/v1/messages" => json!({"model": "claude-3-5-haiku", "max_tokens": 9, "messages": [],
            "tools": [{"name": "get_weather", "input_schema": {"type": "object"}}]}),
        "/v1/responses" => json!({"model": "gpt-4o-mini", "input": "hi",
            "tools": [{"type": "function", "name": "get_weather"}, {"type": "web_search"}]}),
        p if p.starts_with("/v1beta/") => {
            json!({"contents": [], "tools": [{"functionDeclarations": [weather]}]})
        }
        _ => json!({"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "hi"}],
            "tools": [{"type": "function", "function": weather}]}),
    }
}

#[test]
fn a_non_streamed_call_of_a_denied_tool_is_withheld() {
    let h = host();
    let call = |name: &str| {
        json!({"id": "c1", "object": "chat.completion", "choices": [{"index": 0, "finish_reason": "tool_calls",
            "message": {"role": "assistant", "content": null, "tool_calls": [{"id": "t1", "type": "function",
            "function": {"name": name, "arguments": "{\"path\":\"/srv/secret-plans\"}"}}]}}]})
        .to_string()
    };
    let chat = "/v1/chat/completions";
    for chunk in [0, 1, 7, 64] {
        let ok = call("get_weather");
        let out = answered(
            &h,
            chat,
            &offering(chat),
            "application/json",
            ok.as_bytes(),
            chunk,
        );
        assert_eq!(
            String::from_utf8_lossy(&out.response_body_out),
            ok,
            "{chunk}"
        );
        let bad = call("delete_repo");
        let out = answered(
            &h,
            chat,
            &offering(chat),
            "application/json",
            bad.as_bytes(),
            chunk,
        );
        let v: Value = serde_json::from_slice(&out.response_body_out).unwrap();
        assert_eq!(v["error"]["code"], "tool_not_allowed", "{chunk}: {v}");
        assert!(!String::from_utf8_lossy(&out.response_body_out).contains("secret-plans"));
        let l = logs(&out);
        assert!(
            l.contains("\"phase\":\"response\"") && l.contains("\"tool\":\"delete_repo\""),
            "{l}"
        );
        assert!(!l.contains("secret-plans"), "{l}");
    }
}

/// SSE of `events` (JSON values) in the shape of `path`'s API.
fn sse(events: &[Value]) -> Vec<u8> {
    let mut out = String::new();
    for e in events {
        out += &format!("data: {e}\n\n");
    }
    out.into_bytes()
}

#[test]
fn a_streamed_call_of_a_denied_tool_ends_the_stream_before_its_arguments() {
    let h = host();
    let secret = "/srv/secret-plans";
    let cases: Vec<(&str, Vec<Value>)> = vec![
        (
            "/v1/chat/completions",
            vec![
                json!({"choices": [{"index": 0, "delta": {"role": "assistant", "content": "Let me tidy up."}}]}),
                json!({"choices": [{"index": 0, "delta": {"tool_calls": [{"index": 0, "id": "t", "type": "function", "function": {"name": "shell_exec", "arguments": ""}}]}}]}),
                json!({"choices": [{"index": 0, "delta": {"tool_calls": [{"index": 0, "function": {"arguments": format!("{{\"path\":\"{secret}\"}}")}}]}}]}),
            ],
        ),
        (
            "/v1/messages",
            vec![
                json!({"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": "Let me tidy up."}}),
                json!({"type": "content_block_start", "index": 1, "content_block": {"type": "tool_use", "id": "t", "name": "shell_exec", "input": {}}}),
                json!({"type": "content_block_delta", "index": 1, "delta": {"type": "input_json_delta", "partial_json": format!("{{\"path\":\"{secret}\"}}")}}),
            ],
        ),
        (
            "/v1/responses",
            vec![
                json!({"type": "response.output_text.delta", "output_index": 0, "delta": "Let me tidy up."}),
                json!({"type": "response.output_item.added", "output_index": 1, "item": {"type": "function_call", "name": "shell_exec", "arguments": ""}}),
                json!({"type": "response.function_call_arguments.delta", "output_index": 1, "delta": secret}),
            ],
        ),
        (
            "/v1beta/models/gemini-2.0-flash:streamGenerateContent?alt=sse",
            vec![
                json!({"candidates": [{"content": {"role": "model", "parts": [{"text": "Let me tidy up."}]}}]}),
                json!({"candidates": [{"content": {"role": "model", "parts": [{"functionCall": {"name": "shell_exec", "args": {"path": secret}}}]}}]}),
            ],
        ),
    ];
    for (path, events) in cases {
        let raw = sse(&events);
        // A clean stream (the call renamed to an allowed tool) passes byte-identical.
        let clean = String::from_utf8(raw.clone())
            .unwrap()
            .replace("shell_exec", "get_weather");
        for chunk in [0, 1, 5, 33] {
            let out = answered(
                &h,
                path,
                &offering(path),
                "text/event-stream",
                clean.as_bytes(),
                chunk,
            );
            assert_eq!(
                String::from_utf8_lossy(&out.response_body_out),
                clean,
                "{path} {chunk}"
            );
            let out = answered(&h, path, &offering(path), "text/event-stream", &raw, chunk);
            let text = String::from_utf8_lossy(&out.response_body_out).into_owned();
            assert!(text.contains("Let me tidy up."), "{path} {chunk}: {text}");
            // The provider's error shape (Anthropic and Gemini have no slot for the code).
            let said = text.contains("shell_exec`, which is not available");
            assert!(
                said && text.contains("event: error"),
                "{path} {chunk}: {text}"
            );
            assert!(!text.contains("secret-plans"), "{path} {chunk}: {text}");
            assert!(
                !text.contains("\"name\":\"shell_exec\""),
                "{path} {chunk}: the call's event is withheld"
            );
        }
    }
}

#[test]
fn an_mcp_tool_list_loses_the_denied_tools_json_and_sse() {
    let h = host();
    let list = |names: &[&str]| {
        let tools: Vec<Value> = names
            .iter()
            .map(|n| json!({"name": n, "description": "d", "inputSchema": {"type": "object"}}))
            .collect();
        json!({"jsonrpc": "2.0", "id": 7, "result": {"tools": tools}})
    };
    let ask = json!({"jsonrpc": "2.0", "id": 7, "method": "tools/list"});
    let full = list(&["read_file", "write_file", "delete_file"]).to_string();
    let want = list(&["read_file"]).to_string();
    for chunk in [0, 1, 9, 50] {
        let out = answered(
            &h,
            "/mcp/fs",
            &ask,
            "application/json",
            full.as_bytes(),
            chunk,
        );
        assert!(out.local_reply.is_none(), "{out:?}");
        assert_eq!(
            String::from_utf8_lossy(&out.response_body_out),
            want,
            "{chunk}"
        );
        let l = logs(&out);
        assert!(
            l.contains("tool.removed") && l.contains("\"tools_removed\":2"),
            "{l}"
        );
        let events = format!("event: message\nid: 1\ndata: {full}\n\n");
        let out = answered(
            &h,
            "/mcp/fs",
            &ask,
            "text/event-stream",
            events.as_bytes(),
            chunk,
        );
        let wanted = format!("event: message\ndata: {want}\nid: 1\n\n");
        let got = String::from_utf8_lossy(&out.response_body_out).into_owned();
        assert!(
            got.contains(&format!("data: {want}\n")),
            "{chunk}: {got} vs {wanted}"
        );
        assert!(
            !got.contains("delete_file") && !got.contains("write_file"),
            "{got}"
        );
    }
}
