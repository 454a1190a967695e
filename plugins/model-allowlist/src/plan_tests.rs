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

/// How a client may spell `model`: case and ASCII-whitespace variants (same model, decided
/// the same), and variants carrying an invisible, control or look-alike character (refused 400).
pub(crate) fn spellings(model: &str) -> (Vec<String>, Vec<String>) {
    let alternating: String = model
        .chars()
        .enumerate()
        .map(|(i, c)| {
            if i % 2 == 1 {
                c.to_ascii_uppercase()
            } else {
                c
            }
        })
        .collect();
    let same = vec![
        model.to_string(),
        model.to_ascii_uppercase(),
        alternating,
        format!(" {model}"),
        format!("{model} "),
        format!("\t{}\n", model.to_ascii_uppercase()),
        format!("\r\n {model} \r\n"),
    ];
    let mid = model.len() / 2;
    let (a, b) = model.split_at(mid);
    let mut refused = Vec::new();
    for inv in [
        '\u{200b}',
        '\u{200c}',
        '\u{200d}',
        '\u{2060}',
        '\u{feff}',
        '\u{ad}',
        '\u{202e}',
        '\u{2066}',
        '\u{200e}',
        '\u{e0041}',
        '\u{e007f}',
        '\u{180e}',
        '\u{0}',
        '\u{1b}',
        '\u{7f}',
        '\u{85}',
        '\u{a0}',
        '\u{3000}',
    ] {
        refused.push(format!("{a}{inv}{b}"));
        refused.push(format!("{inv}{model}"));
        refused.push(format!("{model}{inv}"));
    }
    // Look-alikes and width/case-folding variants that a Unicode-aware provider could map back.
    refused.push(model.replace('o', "\u{43e}")); // Cyrillic o
    refused.push(model.replace('e', "\u{435}")); // Cyrillic e
    refused.push(
        model
            .chars()
            .map(|c| match c {
                'a'..='z' => char::from_u32(c as u32 - 'a' as u32 + 0xFF41).unwrap_or(c),
                _ => c,
            })
            .collect(),
    ); // fullwidth
    refused.retain(|s| s != model);
    (same, refused)
}

/// The body of `format` naming `model` (`None`: the format names it in the path).
fn body_naming(format: ApiFormat, model: &str) -> String {
    let m = guardrail_sdk::json::quote(model);
    match format {
        ApiFormat::OpenAiChat => {
            format!(r#"{{"model":{m},"messages":[{{"role":"user","content":"hi"}}]}}"#)
        }
        ApiFormat::OpenAiCompletions => format!(r#"{{"model":{m},"prompt":"hi"}}"#),
        ApiFormat::OpenAiResponses => format!(r#"{{"model":{m},"input":"hi"}}"#),
        ApiFormat::OpenAiEmbeddings => format!(r#"{{"model":{m},"input":"hi"}}"#),
        ApiFormat::AnthropicMessages => format!(
            r#"{{"model":{m},"max_tokens":5,"messages":[{{"role":"user","content":"hi"}}]}}"#
        ),
        _ => format!(r#"{{"model":{m}}}"#),
    }
}

fn percent_encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'-' | b'.' | b'_' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// What the plugin decides for `model` spelled in `format`'s place (body or path).
fn decide(c: &Config, format: ApiFormat, model: &str) -> Result<(), u16> {
    let path_of = |m: &str| match format {
        ApiFormat::GeminiGenerateContent => Some(format!(
            "/v1beta/models/{}:generateContent",
            percent_encode(m)
        )),
        ApiFormat::Unknown => Some(format!(
            "/openai/deployments/{}/chat/completions",
            percent_encode(m)
        )),
        _ => None,
    };
    match path_of(model) {
        Some(path) => {
            let found = crate::path_alias::apply(c, &path).map_err(|e| e.status)?;
            let found = found.expect("a path model");
            crate::policy::check(c, &path, None, &found.model).map_err(|_| 403)
        }
        None => match run(c, format, &body_naming(format, model)) {
            Ok(_) => Ok(()),
            Err(Deny::Body(e)) => Err(e.status),
            Err(Deny::Model { .. }) => Err(403),
        },
    }
}

/// Generated (issue 20 item 2): every format (body and path) × every spelling of a denied and
/// an allowed model. Case and whitespace variants get the plain name's answer; invisible,
/// control and look-alike characters get a 400, never a pass.
#[test]
fn generated_every_format_by_model_spelling() {
    let c = cfg(
        r#"{"allow":["gpt-4o*","gemini-*","prod-*"],"deny":["*-REALTIME*","gemini-*-exp*","prod-*-internal"]}"#,
    );
    let formats_and_models = [
        (
            ApiFormat::OpenAiChat,
            "gpt-4o-realtime-preview",
            "gpt-4o-mini",
        ),
        (
            ApiFormat::OpenAiCompletions,
            "gpt-4o-realtime-preview",
            "gpt-4o-mini",
        ),
        (
            ApiFormat::OpenAiResponses,
            "gpt-4o-realtime-preview",
            "gpt-4o-mini",
        ),
        (
            ApiFormat::OpenAiEmbeddings,
            "gpt-4o-realtime-preview",
            "gpt-4o-mini",
        ),
        (
            ApiFormat::AnthropicMessages,
            "gpt-4o-realtime-preview",
            "gpt-4o-mini",
        ),
        (
            ApiFormat::GeminiGenerateContent,
            "gemini-2.0-flash-exp",
            "gemini-2.0-flash",
        ),
        // `Unknown` stands for an Azure deployment path here.
        (ApiFormat::Unknown, "prod-gpt4o-internal", "prod-gpt4o"),
    ];
    let mut n = 0;
    for (format, denied, allowed) in formats_and_models {
        assert_eq!(decide(&c, format, denied), Err(403), "{format:?} {denied}");
        assert_eq!(decide(&c, format, allowed), Ok(()), "{format:?} {allowed}");
        for (model, want) in [(denied, Err(403)), (allowed, Ok(()))] {
            let (same, refused) = spellings(model);
            for s in same {
                // A path never carries a control character (SDK `path`: 400); padding there
                // is refused, in a body it is trimmed.
                let in_path = matches!(
                    format,
                    ApiFormat::GeminiGenerateContent | ApiFormat::Unknown
                );
                let want = if in_path && s.chars().any(char::is_control) {
                    Err(400)
                } else {
                    want
                };
                assert_eq!(decide(&c, format, &s), want, "{format:?} {s:?}");
                n += 1;
            }
            for s in refused {
                assert_eq!(decide(&c, format, &s), Err(400), "{format:?} {s:?}");
                n += 1;
            }
        }
    }
    assert!(n > 7 * 2 * 50, "{n}");
}

#[test]
fn aliases_match_the_canonical_form_and_are_checked() {
    let c = cfg(r#"{"aliases":{"Fast":"gpt-4o-mini"},"deny":["gpt-4o-mini"]}"#);
    for asked in ["fast", "FAST", " fast "] {
        match run(
            &c,
            ApiFormat::OpenAiChat,
            &body_naming(ApiFormat::OpenAiChat, asked),
        ) {
            Err(Deny::Model { model, .. }) => assert_eq!(model, "gpt-4o-mini"),
            other => panic!("{asked}: {other:?}"),
        }
    }
    for bad in [
        r#"{"aliases":{"fast":"gpt","FAST":"gpt2"}}"#,
        r#"{"aliases":{"fast":"Slow","slow":"gpt"}}"#,
        r#"{"aliases":{"fa\u200bst":"gpt"}}"#,
        r#"{"aliases":{"fast":"gpt\u200b"}}"#,
    ] {
        assert!(Config::from_json(bad.as_bytes()).is_err(), "{bad}");
    }
}
