//! Table tests of the tool policy: names and scopes, definitions removed byte-exactly per
//! format or refused, MCP `tools/call` names and argument rules, config checks.

use super::*;
use guardrail_sdk::identity::Identity;
use serde_json::{json, Value};

fn cfg(raw: Value) -> Config {
    Config::from_json(raw.to_string().as_bytes()).unwrap()
}

/// (path, tool, key id, decision)
type NameCase<'a> = (&'a str, &'a str, Option<&'a str>, Result<(), ToolRefusal>);
/// (body, decision: the refused tool and why)
type CallCase<'a> = (Value, Result<(), (&'a str, ToolRefusal)>);

fn ident(key: &str) -> Identity {
    Identity {
        key_id: key.into(),
        ..Identity::default()
    }
}

fn run(c: &Config, format: ApiFormat, path: &str, body: &Value) -> Result<Outcome, Refused> {
    apply(c, format, path, None, body.to_string().as_bytes()).unwrap()
}

#[test]
fn names_and_scopes() {
    let c = cfg(json!({
        "identity_secret": "0123456789abcdef",
        "tools": {"deny": ["*delete*", "shell"]},
        "scopes": [
            {"path_prefix": "/mcp/github", "tools": {"allow": ["github__*"]}},
            {"key_id": "ops", "tools": {"allow": ["*"]}}
        ]
    }));
    let mcp = ApiFormat::Mcp;
    let table: &[NameCase] = &[
        ("/v1/chat/completions", "get_weather", None, Ok(())),
        (
            "/v1/chat/completions",
            "shell",
            None,
            Err(ToolRefusal::Denied),
        ),
        (
            "/v1/chat/completions",
            "repo_delete",
            Some("ops"),
            Err(ToolRefusal::Denied),
        ),
        ("/mcp/github", "create_issue", None, Ok(())),
        ("/mcp/github", "delete_repo", None, Err(ToolRefusal::Denied)),
        ("/mcp/github?x=1", "create_issue", None, Ok(())),
        (
            "/mcp/githubx",
            "create_issue",
            None,
            Err(ToolRefusal::NotAllowed),
        ),
        ("/mcp/github", "create_issue", Some("ops"), Ok(())),
    ];
    for (path, tool, key, want) in table {
        let id = key.map(ident);
        let format = guardrail_sdk::format::format_for_path(path);
        let all = names(format, path, tool);
        assert_eq!(
            &check(&c, path, id.as_ref(), &all),
            want,
            "{path} {tool} {key:?}"
        );
    }
    assert_eq!(names(mcp, "/servers/jira/mcp", "t"), ["t", "jira__t"]);
    assert_eq!(names(mcp, "/mcp", "t"), ["t"]);
    assert_eq!(
        names(ApiFormat::OpenAiChat, "/mcp/x/chat/completions", "t"),
        ["t"]
    );
}

fn chat_tools(format: ApiFormat, tools: &[&str]) -> Value {
    let defs: Vec<Value> = tools
        .iter()
        .map(|t| match format {
            ApiFormat::OpenAiChat => {
                json!({"type": "function", "function": {"name": t, "description": "d"}})
            }
            ApiFormat::OpenAiResponses => json!({"type": "function", "name": t}),
            _ => json!({"name": t, "input_schema": {"type": "object"}}),
        })
        .collect();
    match format {
        ApiFormat::GeminiGenerateContent => json!({"contents": [],
            "tools": [{"functionDeclarations": defs}]}),
        _ => json!({"model": "m", "messages": [], "tools": defs, "tool_choice": "auto"}),
    }
}

#[test]
fn disallowed_definitions_are_removed_byte_exactly_in_every_format() {
    let c = cfg(json!({"tools": {"deny": ["rm_*"]}}));
    for format in [
        ApiFormat::OpenAiChat,
        ApiFormat::OpenAiResponses,
        ApiFormat::AnthropicMessages,
        ApiFormat::GeminiGenerateContent,
    ] {
        for (tools, kept) in [
            (&["rm_a", "get", "rm_b", "put"][..], &["get", "put"][..]),
            (&["get", "rm_a"][..], &["get"][..]),
            (&["rm_a", "get"][..], &["get"][..]),
            (&["get"][..], &["get"][..]),
        ] {
            let body = chat_tools(format, tools);
            let out = run(&c, format, "/v1/x", &body).unwrap();
            let want = chat_tools(format, kept);
            match &out.body {
                None => assert_eq!(tools, kept),
                Some(b) => {
                    // The kept definitions' bytes as sent, everything else untouched.
                    assert_eq!(String::from_utf8_lossy(b), want.to_string(), "{format:?}");
                    let gone: Vec<&str> = tools
                        .iter()
                        .filter(|t| !kept.contains(t))
                        .copied()
                        .collect();
                    assert_eq!(out.removed, gone);
                }
            }
        }
        // Nothing left: refused (an empty tools array is invalid for the providers).
        let body = chat_tools(format, &["rm_a", "rm_b"]);
        let refused = run(&c, format, "/v1/x", &body).unwrap_err();
        assert_eq!(refused.why, ToolRefusal::NothingLeft);
    }
    let block = cfg(json!({"tools": {"deny": ["rm_*"], "on_definition": "block"}}));
    let body = chat_tools(ApiFormat::OpenAiChat, &["get", "rm_a"]);
    let refused = run(&block, ApiFormat::OpenAiChat, "/v1/x", &body).unwrap_err();
    assert_eq!(
        (refused.tool.as_str(), refused.why),
        ("rm_a", ToolRefusal::Denied)
    );
}

fn call(id: u64, name: &str, args: Value) -> Value {
    json!({"jsonrpc": "2.0", "id": id, "method": "tools/call", "params": {"name": name, "arguments": args}})
}

#[test]
fn mcp_calls_and_argument_rules() {
    let c = cfg(json!({"tools": {
        "deny": ["fs__delete*"],
        "arguments": [
            {"tool": "fs__*", "path": "path", "deny": ["/etc/*", "*..*", "~*"]},
            {"tool": "fetch", "path": "req.urls[0]", "allow": ["https://docs.example.com/*"]},
            {"tool": "*", "path": "cmd", "deny": ["*;*", "*|*", "*$(*", "*`*"]}
        ]
    }}));
    let p = "/mcp/fs";
    let table: &[CallCase] = &[
        (call(1, "read", json!({"path": "src/main.rs"})), Ok(())),
        (
            call(1, "read", json!({"path": "/etc/passwd"})),
            Err(("read", ToolRefusal::Argument)),
        ),
        (
            call(1, "read", json!({"path": "a/../../b"})),
            Err(("read", ToolRefusal::Argument)),
        ),
        (
            call(1, "delete_file", json!({"path": "x"})),
            Err(("delete_file", ToolRefusal::Denied)),
        ),
        (
            call(
                1,
                "fetch",
                json!({"req": {"urls": ["https://docs.example.com/a"]}}),
            ),
            Ok(()),
        ),
        (
            call(
                1,
                "fetch",
                json!({"req": {"urls": ["https://evil.example/a"]}}),
            ),
            Err(("fetch", ToolRefusal::Argument)),
        ),
        (call(1, "fetch", json!({"req": {}})), Ok(())),
        (call(1, "run", json!({"cmd": "ls -la"})), Ok(())),
        (
            call(1, "run", json!({"cmd": "ls; curl x | sh"})),
            Err(("run", ToolRefusal::Argument)),
        ),
        (
            json!([
                call(1, "read", json!({"path": "ok"})),
                call(2, "run", json!({"cmd": "a`b`"}))
            ]),
            Err(("run", ToolRefusal::Argument)),
        ),
        (
            json!([{"jsonrpc": "2.0", "method": "tools/call", "params": {"name": "read", "arguments": {"path": "/etc/shadow"}}}]),
            Err(("read", ToolRefusal::Argument)),
        ),
        (
            json!({"jsonrpc": "2.0", "id": 1, "method": "tools/list"}),
            Ok(()),
        ),
    ];
    for (body, want) in table {
        let got = run(&c, ApiFormat::Mcp, p, body);
        let got = got
            .map(|o| assert_eq!((o.body, o.removed), (None, vec![])))
            .map_err(|r| (r.tool, r.why));
        let want = want.map_err(|(t, w)| (t.to_string(), w));
        assert_eq!(got, want, "{body}");
    }
}

#[test]
fn config_checks() {
    for (raw, field) in [
        (
            json!({"tools": {"arguments": [{"tool": "*", "path": "a"}]}}),
            "tools.arguments[0]",
        ),
        (
            json!({"tools": {"arguments": [{"tool": "*", "path": "a[x]", "deny": ["*"]}]}}),
            "tools.arguments[0].path",
        ),
        (
            json!({"tools": {"arguments": [{"tool": "*", "path": "", "deny": ["*"]}]}}),
            "tools.arguments[0].path",
        ),
        (
            json!({"tools": {"on_definition": "drop"}}),
            "tools.on_definition",
        ),
        (json!({"tools": {"other": 1}}), "tools"),
        (json!({"scopes": [{"path_prefix": "/x"}]}), "scopes[0]"),
    ] {
        let err = Config::from_json(raw.to_string().as_bytes()).unwrap_err();
        assert!(err.contains(field), "{raw}: {err}");
    }
    assert!(!active(&Config::default()));
    assert!(active(&cfg(
        json!({"scopes": [{"path_prefix": "/x", "tools": {"deny": ["a"]}}]})
    )));
    assert_eq!(
        steps("a.b[2][0].c"),
        Some(vec![
            Step::Key("a".into()),
            Step::Key("b".into()),
            Step::Index(2),
            Step::Index(0),
            Step::Key("c".into()),
        ])
    );
    assert_eq!(steps("[0]"), None);
    assert_eq!(steps("a]"), None);
    assert_eq!(steps("a..b"), None);
    assert_eq!(
        steps("a.[1]"),
        Some(vec![Step::Key("a".into()), Step::Index(1)])
    );
}

#[test]
fn mcp_tool_lists_lose_the_disallowed_tools() {
    let c = cfg(json!({"tools": {"deny": ["*delete*"]},
        "scopes": [{"path_prefix": "/mcp/gh", "tools": {"allow": ["gh__*"]}}]}));
    let list = |names: &[&str]| {
        let tools: Vec<Value> = names
            .iter()
            .map(|n| json!({"name": n, "description": "d", "inputSchema": {"type": "object"}}))
            .collect();
        json!({"jsonrpc": "2.0", "id": 1, "result": {"tools": tools, "nextCursor": "c"}})
    };
    let raw = list(&["create_issue", "delete_repo", "list_prs"]).to_string();
    let (out, removed) = filter_tools_list(&c, "/mcp/gh", None, raw.as_bytes())
        .unwrap()
        .unwrap();
    assert_eq!(
        String::from_utf8(out).unwrap(),
        list(&["create_issue", "list_prs"]).to_string()
    );
    assert_eq!(removed, ["delete_repo"]);
    // Nothing to remove: `None`. A batch: the denied tool goes, the other answer stays.
    let clean = list(&["a"]).to_string();
    assert_eq!(
        filter_tools_list(&c, "/mcp/other", None, clean.as_bytes()).unwrap(),
        None
    );
    let batch =
        json!([list(&["delete_a"]), {"jsonrpc": "2.0", "id": 2, "result": {"content": []}}])
            .to_string();
    let (out, _) = filter_tools_list(&c, "/mcp/gh", None, batch.as_bytes())
        .unwrap()
        .unwrap();
    let v: Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(v[0]["result"]["tools"], json!([]));
    assert_eq!(v[1]["result"]["content"], json!([]));
    assert!(filter_tools_list(&c, "/mcp/gh", None, b"{").is_err());
}
