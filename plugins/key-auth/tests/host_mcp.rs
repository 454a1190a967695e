//! dist/key-auth.wasm on an MCP route in the wasmtime host: the gateway key is required as
//! on any route, an MCP request names no model (a key's model list does not refuse it), and
//! a refusal is a JSON-RPC error (id null: the key is checked before the body), never a
//! provider-shaped error. Needs dist/key-auth.wasm: run `./build.sh test`.
// A test fails by panicking: the house lints for plugin code do not apply here.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use guardrail_cli::cmd::keygen;
use guardrail_harness::host::{start_dist, Exchange, Host, HostProfile, Outcome};
use serde_json::{json, Value};

const KEY: &str = "grw_t_mcp_0123456789abcdef0123456789abcdef";

fn host() -> Host {
    let config = json!({
        "identity_secret": "host-test-identity-secret",
        "keys": [{"id": "agent", "credentials": [{"hash": keygen::digest(KEY, None)}],
                  "models": ["gpt-4o-mini"]}],
        "providers": [{"name": "openai", "kind": "openai", "api_key": "sk-host-openai"}]
    });
    start_dist("key-auth", HostProfile::Envoy, &config.to_string())
}

fn send(h: &Host, auth: Option<&str>, body: &[u8], chunk: usize) -> Outcome {
    let auth = auth.map(|k| format!("Bearer {k}"));
    let mut headers = vec![
        (":method", "POST"),
        (":path", "/mcp/github"),
        (":authority", "gw.test"),
        ("content-type", "application/json"),
    ];
    if let Some(a) = &auth {
        headers.push(("authorization", a.as_str()));
    }
    h.exchange(&Exchange {
        request_headers: &headers,
        request_body: body,
        chunk,
        response_headers: &[(":status", "200"), ("content-type", "application/json")],
        response_body: br#"{"jsonrpc":"2.0","id":1,"result":{"tools":[]}}"#,
        ..Exchange::default()
    })
}

#[test]
fn a_keyed_mcp_request_passes_and_a_refusal_is_json_rpc() {
    let h = host();
    let body = json!({"jsonrpc": "2.0", "id": 1, "method": "tools/list"}).to_string();
    for chunk in 0..=body.len() {
        let ok = send(&h, Some(KEY), body.as_bytes(), chunk);
        assert!(
            ok.trap.is_none() && ok.local_reply.is_none(),
            "{chunk}: {ok:?}"
        );
        assert_eq!(ok.request_body_out, body.as_bytes());
        assert!(ok
            .request_headers_out
            .iter()
            .any(|(k, _)| k == "x-guardrail-identity"));
    }
    for auth in [None, Some("grw_t_mcp_wrong0000000000000000000000000000")] {
        let out = send(&h, auth, body.as_bytes(), 0);
        let reply = out.local_reply.as_ref().expect("refused");
        assert_eq!(reply.status, 401);
        let v: Value = serde_json::from_slice(&reply.body).unwrap();
        assert_eq!(v["jsonrpc"], "2.0", "{v}");
        assert_eq!(v["id"], Value::Null);
        assert_eq!(v["error"]["code"], -32000);
        assert_eq!(v["error"]["data"]["status"], 401);
        assert!(v["error"].get("type").is_none());
    }
}
