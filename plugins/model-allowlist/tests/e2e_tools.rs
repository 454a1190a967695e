//! End-to-end: dist/model-allowlist.wasm's tool policy in real Envoy (V8) in front of the mock
//! upstream, on a chat route with tools: a denied definition never reaches the model, and a
//! model calling a denied tool - non-streamed or streamed, OpenAI and Anthropic - has that call
//! withheld before any of its arguments reach the client; an allowed call passes unchanged;
//! an MCP call breaking an argument rule is refused with a JSON-RPC error and the id.
//! Needs Envoy and dist/model-allowlist.wasm: run `./build.sh test`.
// A test fails by panicking: the house lints for plugin code do not apply here.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use guardrail_harness::envoy::Envoy;
use guardrail_harness::mock_upstream::MockUpstream;
use serde_json::{json, Value};

const CONFIG: &str = r#"{"tools": {"deny": ["*delete*"],
  "arguments": [{"tool": "*", "path": "path", "deny": ["/etc/*"]}]}}"#;

/// Streamed arguments in one delta, so the test can look for them whole.
const WHOLE: (&str, &str) = ("x-mock-delta-chars", "1000");

fn chat(stream: bool) -> Vec<u8> {
    let f = |n: &str| json!({"type": "function", "function": {"name": n, "parameters": {"type": "object"}}});
    json!({"model": "gpt-4o-mini", "stream": stream, "messages": [{"role": "user", "content": "tidy up"}],
           "tools": [f("list_repos"), f("delete_repo")]})
    .to_string()
    .into_bytes()
}

fn anthropic(stream: bool) -> Vec<u8> {
    json!({"model": "claude-3-5-haiku", "max_tokens": 50, "stream": stream,
           "messages": [{"role": "user", "content": "tidy up"}],
           "tools": [{"name": "list_repos", "input_schema": {"type": "object"}}]})
    .to_string()
    .into_bytes()
}

#[test]
fn tool_policy_on_a_chat_route_through_envoy() {
    let up = MockUpstream::start().expect("mock");
    let envoy = Envoy::with_plugin(&up, "model-allowlist", CONFIG);
    let secret = "/srv/secret-plans";
    let call = |name: &str| json!({"name": name, "arguments": {"path": secret}}).to_string();

    // The denied definition never reaches the model.
    let r = envoy
        .post("/v1/chat/completions", &[], &chat(false))
        .expect("response");
    assert_eq!(r.status, 200, "{}", r.text());
    let sent = String::from_utf8(up.requests().last().unwrap().body.clone()).unwrap();
    assert!(
        sent.contains("list_repos") && !sent.contains("delete_repo"),
        "{sent}"
    );

    for (path, body) in [
        ("/v1/chat/completions", chat(false)),
        ("/v1/chat/completions", chat(true)),
        ("/v1/messages", anthropic(false)),
        ("/v1/messages", anthropic(true)),
    ] {
        // An allowed call passes as the model wrote it.
        let ok = call("list_repos");
        let r = envoy
            .post(path, &[("x-mock-tool-call", &ok), WHOLE], &body)
            .expect("response");
        assert_eq!(r.status, 200);
        assert!(
            r.text().contains("list_repos") && r.text().contains("secret-plans"),
            "{path}: {}",
            r.text()
        );
        // A call of a denied tool (a model may call what it was not offered): withheld.
        let bad = call("delete_repo");
        let r = envoy
            .post(path, &[("x-mock-tool-call", &bad), WHOLE], &body)
            .expect("response");
        let text = r.text();
        assert!(
            text.contains("`delete_repo`, which is not available"),
            "{path}: {text}"
        );
        assert!(
            !text.contains("secret-plans"),
            "{path}: nothing of the arguments: {text}"
        );
    }

    // MCP: an argument rule refuses the call with the request's id, before the server.
    let before = up.requests().len();
    let mcp = json!({"jsonrpc": "2.0", "id": "r9", "method": "tools/call",
                     "params": {"name": "read_file", "arguments": {"path": "/etc/shadow"}}});
    let r = envoy
        .post("/mcp/fs", &[], mcp.to_string().as_bytes())
        .expect("response");
    assert_eq!(r.status, 403);
    let v: Value = r.json().unwrap();
    assert_eq!(v["id"], "r9");
    assert_eq!(r.header("x-guardrail-code"), Some("tool_not_allowed"));
    assert_eq!(up.requests().len(), before);
    let verdicts = envoy.verdicts();
    let line = verdicts
        .iter()
        .rev()
        .find(|v| v["rules"].to_string().contains("tool.argument"))
        .unwrap();
    assert_eq!(line["tool"], "read_file");
    assert!(!line.to_string().contains("shadow"));
}
