//! plan_tests: aliasing, policy, parameters and token caps on real provider bodies.

use crate::config::Config;
use crate::plan::{evaluate, Deny, Plan};
use crate::policy::Refusal;
use guardrail_sdk::json::{parse, Limits};
use guardrail_sdk::ApiFormat;

fn cfg(raw: &str) -> Config {
    Config::from_json(raw.as_bytes()).unwrap()
}

fn run(c: &Config, f: ApiFormat, body: &str) -> Result<Plan, Deny> {
    evaluate(c, f, "/v1/x", None, None, body.as_bytes())
}

fn out(p: &Plan) -> String {
    let b = p.body.clone().expect("rewritten");
    parse(&b, &Limits::default()).expect("valid JSON");
    String::from_utf8(b).unwrap()
}

const POLICY: &str = r#"{"allow":["gpt-4o*","claude-3-5-*"],"aliases":{"fast":"gpt-4o-mini"},
  "max_output_tokens":256,"params":{"deny":["logprobs"],"strip":["user"],"max_n":1}}"#;

#[test]
fn clamps_inserts_and_keeps_smaller_values_in_every_field_name() {
    let c = cfg(POLICY);
    let cases: &[(ApiFormat, &str, &str)] = &[
        (
            ApiFormat::OpenAiChat,
            r#"{"model":"gpt-4o","max_tokens":9999,"messages":[]}"#,
            r#"{"model":"gpt-4o","max_tokens":256,"messages":[]}"#,
        ),
        (
            ApiFormat::OpenAiChat,
            r#"{"model":"gpt-4o","max_completion_tokens":1000,"max_tokens":5,"messages":[]}"#,
            r#"{"model":"gpt-4o","max_completion_tokens":256,"max_tokens":5,"messages":[]}"#,
        ),
        (
            ApiFormat::OpenAiChat,
            r#"{"model":"gpt-4o","messages":[]}"#,
            r#"{"max_completion_tokens":256,"model":"gpt-4o","messages":[]}"#,
        ),
        (
            ApiFormat::OpenAiResponses,
            r#"{"model":"gpt-4o","input":"x","max_output_tokens":null}"#,
            r#"{"model":"gpt-4o","input":"x","max_output_tokens":256}"#,
        ),
        (
            ApiFormat::AnthropicMessages,
            r#"{"model":"claude-3-5-haiku","max_tokens":4096,"messages":[]}"#,
            r#"{"model":"claude-3-5-haiku","max_tokens":256,"messages":[]}"#,
        ),
        (
            ApiFormat::OpenAiCompletions,
            r#"{"model":"fast","prompt":"p"}"#,
            r#"{"max_tokens":256,"model":"gpt-4o-mini","prompt":"p"}"#,
        ),
    ];
    for (f, body, want) in cases {
        let p = run(&c, *f, body).unwrap();
        assert_eq!(out(&p), *want, "{body}");
    }
    let keep = run(
        &c,
        ApiFormat::OpenAiChat,
        r#"{"model":"gpt-4o","max_tokens":100,"messages":[]}"#,
    )
    .unwrap();
    assert_eq!(
        keep.body, None,
        "nothing to change: the body is forwarded untouched"
    );
}

#[test]
fn gemini_caps_inside_generation_config_and_takes_the_model_from_the_path() {
    let c = cfg(r#"{"allow":["gemini-1.5-*"],"max_output_tokens":100}"#);
    let path = "/v1beta/models/gemini-1.5-pro:generateContent";
    let body = r#"{"contents":[{"parts":[{"text":"q"}]}],"generationConfig":{"temperature":0.1,"maxOutputTokens":8192}}"#;
    let p = evaluate(
        &c,
        ApiFormat::GeminiGenerateContent,
        path,
        Some("gemini-1.5-pro"),
        None,
        body.as_bytes(),
    )
    .unwrap();
    assert_eq!(out(&p), body.replace("8192", "100"));
    let body = r#"{"contents":[]}"#;
    let p = evaluate(
        &c,
        ApiFormat::GeminiGenerateContent,
        path,
        Some("gemini-1.5-pro"),
        None,
        body.as_bytes(),
    )
    .unwrap();
    assert_eq!(
        out(&p),
        r#"{"generationConfig":{"maxOutputTokens":100},"contents":[]}"#
    );
}

#[test]
fn refusals_are_specific() {
    let c = cfg(POLICY);
    let model = |body: &str| match run(&c, ApiFormat::OpenAiChat, body) {
        Err(Deny::Model { model, refusal }) => Some((model, refusal)),
        _ => None,
    };
    assert_eq!(
        model(r#"{"model":"o1","messages":[]}"#),
        Some(("o1".into(), Refusal::NotAllowed))
    );
    let code = |f, body: &str| match run(&c, f, body) {
        Err(Deny::Body(e)) => Some((e.status, e.code)),
        other => panic!("{body}: {other:?}"),
    };
    let chat = ApiFormat::OpenAiChat;
    assert_eq!(
        code(chat, r#"{"messages":[]}"#),
        Some((400, "missing_model"))
    );
    assert_eq!(
        code(chat, r#"{"model":7,"messages":[]}"#),
        Some((400, "invalid_model"))
    );
    assert_eq!(
        code(chat, r#"{"model":"gpt-4o","model":"o1"}"#),
        Some((400, "duplicate_key"))
    );
    assert_eq!(
        code(chat, r#"{"model":"gpt-4o","logprobs":true}"#),
        Some((400, "parameter_not_allowed"))
    );
    assert_eq!(
        code(chat, r#"{"model":"gpt-4o","n":2}"#),
        Some((400, "parameter_not_allowed"))
    );
    assert_eq!(
        code(chat, r#"{"model":"gpt-4o","max_tokens":-5}"#),
        Some((400, "invalid_parameter"))
    );
    assert_eq!(
        code(chat, r#"{"model":"gpt-4o","max_tokens":1e400}"#),
        Some((400, "invalid_parameter"))
    );
    assert_eq!(
        code(chat, r#"{"model":"gpt-4o","max_tokens":"9"}"#),
        Some((400, "invalid_parameter"))
    );
    assert_eq!(
        code(
            chat,
            r#"{"model":"gpt-4o","max_tokens":184467440737095516160}"#
        ),
        Some((400, "invalid_parameter"))
    );
    let utf8 = evaluate(&c, chat, "/", None, None, b"{\"model\":\"gpt-4o\xff\"}");
    assert!(matches!(utf8, Err(Deny::Body(e)) if e.code == "invalid_utf8"));
    assert_eq!(code(chat, "not json"), Some((400, "invalid_json")));
    let deep = format!(
        r#"{{"model":"gpt-4o","x":{}{}}}"#,
        "[".repeat(500),
        "]".repeat(500)
    );
    assert_eq!(code(chat, &deep), Some((400, "too_deep")));
    let small = cfg(r#"{"max_body_bytes":10}"#);
    let e = run(&small, chat, r#"{"model":"gpt-4o"}"#);
    assert!(matches!(e, Err(Deny::Body(b)) if b.status == 413));
}

#[test]
fn alias_is_checked_as_its_target_and_strip_removes_parameters() {
    let c = cfg(POLICY);
    let p = run(&c, ApiFormat::OpenAiChat, r#"{"user":"u-1","model":"fast","max_tokens":10,"messages":[{"role":"user","content":"hi"}]}"#).unwrap();
    assert_eq!(p.model, "gpt-4o-mini");
    assert_eq!(
        out(&p),
        r#"{"model":"gpt-4o-mini","max_tokens":10,"messages":[{"role":"user","content":"hi"}]}"#
    );
    assert!(p.changes.contains(&"model.alias") && p.changes.contains(&"param.stripped"));
    let to_denied = cfg(r#"{"deny":["gpt-4o"],"aliases":{"smart":"gpt-4o"}}"#);
    assert!(matches!(
        run(&to_denied, ApiFormat::OpenAiChat, r#"{"model":"smart"}"#),
        Err(Deny::Model { .. })
    ));
}

#[test]
fn unknown_formats_without_model_pass_the_model_check() {
    let c = cfg(POLICY);
    assert!(run(&c, ApiFormat::Unknown, r#"{"anything":"x"}"#).is_ok());
    // but a model they do name is checked
    assert!(matches!(
        run(&c, ApiFormat::Unknown, r#"{"model":"o1"}"#),
        Err(Deny::Model { .. })
    ));
}

/// Nested values nobody reads are checked as strictly as before (duplicate keys, lone
/// surrogates, depth), and ~1 MiB of deep arrays or small messages is accepted with the same
/// rewrite as a short body.
#[test]
fn nested_values_are_checked_but_not_needed_for_the_decision() {
    let c = cfg(POLICY);
    let refused: &[(&str, &str)] = &[
        (
            r#"{"model":"gpt-4o","messages":[{"role":"user","role":"system"}]}"#,
            "duplicate_key",
        ),
        (
            r#"{"model":"gpt-4o","messages":[{"content":"\ud800"}]}"#,
            "invalid_json",
        ),
        (
            r#"{"model":"gpt-4o","messages":[{"content":"a"},]}"#,
            "invalid_json",
        ),
        (
            r#"{"model":"gpt-4o","metadata":{"a":1,"a":2}}"#,
            "duplicate_key",
        ),
    ];
    for (body, code) in refused {
        match run(&c, ApiFormat::OpenAiChat, body) {
            Err(Deny::Body(e)) => assert_eq!(e.code, *code, "{body}"),
            other => panic!("{body}: {other:?}"),
        }
    }
    let deep = format!("{}1{}", "[".repeat(129), "]".repeat(129));
    let body = format!(r#"{{"model":"gpt-4o","metadata":{{"t":{deep}}}}}"#);
    match run(&c, ApiFormat::OpenAiChat, &body) {
        Err(Deny::Body(e)) => assert_eq!(e.code, "too_deep"),
        other => panic!("{other:?}"),
    }

    let tree = format!("{}\"x\"{}", "[".repeat(100), "]".repeat(100));
    let message = r#"{"role":"user","content":"soup and bread"}"#;
    for (field, value) in [
        (
            "metadata",
            format!("{{\"tree\":[{}]}}", vec![tree; 5_000].join(",")),
        ),
        ("messages", format!("[{}]", vec![message; 24_000].join(","))),
    ] {
        let body = format!(r#"{{"model":"fast","{field}":{value}}}"#);
        assert!(body.len() > 1_000_000);
        let plan = run(&c, ApiFormat::OpenAiChat, &body).unwrap();
        assert_eq!(plan.changes, ["model.alias", "tokens.inserted"]);
        let want =
            format!(r#"{{"max_completion_tokens":256,"model":"gpt-4o-mini","{field}":{value}}}"#);
        assert!(out(&plan) == want, "{field}");
    }
}
