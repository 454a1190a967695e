//! Tests that building only the members a format reads changes nothing the model sees: every
//! body (of every format, mutated) gets the same verdict, error, model, stream flag and
//! segments as the model of a full `json::parse`, and the read members the same tree.

use super::request::model_of;
use super::*;
use crate::json::{self, Json, Limits, Node};

const FORMATS: &[ApiFormat] = &[
    ApiFormat::OpenAiChat,
    ApiFormat::OpenAiCompletions,
    ApiFormat::OpenAiEmbeddings,
    ApiFormat::OpenAiResponses,
    ApiFormat::AnthropicMessages,
    ApiFormat::GeminiGenerateContent,
    ApiFormat::Mcp,
    ApiFormat::Unknown,
];

/// Bodies that reach every reader of every format, next to members no model reads.
const BODIES: &[&str] = &[
    r#"{"model":"gpt-4o","stream":true,"metadata":{"tree":[[["x"]],{"k":"v"}]},
      "tools":[{"type":"function","function":{"name":"f","description":"looks up"}},{"description":"d"}],
      "messages":[{"role":"system","content":"be nice"},
        {"role":"user","content":[{"type":"text","text":"hi"},{"type":"image_url","image_url":{"url":"u"}},[["deep"]]]},
        {"role":"assistant","content":null,"refusal":"no","tool_calls":[{"function":{"arguments":"{}"}}],
         "function_call":{"arguments":"a"}}],"response_format":{"type":"json_schema","schema":{"a":["b"]}}}"#,
    r#"{"model":"m","prompt":["a",[1,2],"b"],"suffix":"s","logit_bias":{"1":2},"input":["e",{"x":"y"}]}"#,
    r#"{"model":"m","instructions":"sys","text":{"format":{"type":"text"}},"input":[
      {"role":"user","content":[{"type":"input_text","text":"q"}]},
      {"type":"function_call","arguments":"{}","input":"i"},
      {"type":"function_call_output","output":{"o":["tool"]}},
      {"type":"reasoning","summary":["s"]},{"type":"new_kind","payload":{"deep":"x"}}]}"#,
    r#"{"model":"claude","system":[{"type":"text","text":"sys"}],"metadata":{"user_id":"u"},
      "messages":[{"role":"assistant","content":[{"type":"tool_use","input":{"q":"x"}}]},
        {"role":"user","content":[{"type":"tool_result","content":[{"type":"text","text":"r"}]},
          {"type":"document","source":{"type":"text","data":"doc"}},
          {"type":"document","source":{"type":"content","content":"c"}},{"type":"other","v":"w"}]}]}"#,
    r#"{"systemInstruction":{"parts":[{"text":"sys"}]},"system_instruction":{"parts":[{"text":"s2"}]},
      "generationConfig":{"stopSequences":["x"]},"safetySettings":[{"category":"c"}],
      "contents":[{"role":"user","parts":[{"text":"q"}]},
        {"role":"model","parts":[{"functionCall":{"args":{"a":"b"}}}]},
        {"role":"function","parts":[{"functionResponse":{"response":{"r":"out"}}}]}]}"#,
    r#"[{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"t","arguments":{"a":["b"]}}},
      {"jsonrpc":"2.0","id":2,"result":{"role":"assistant","content":{"type":"text","text":"x"}}}]"#,
    r#"["not","an","object"]"#,
    r#""text""#,
    r#"{"model":1,"stream":"yes","messages":{"not":"a list"},"tools":"none","system":7}"#,
];

/// The read members of `a` (built in full) equal those of `b`; every member has the same key
/// and span.
fn same_read_members(format: ApiFormat, built: &Node, full: &Node) {
    assert_eq!(built.span, full.span);
    let (Some(b), Some(f)) = (built.as_object(), full.as_object()) else {
        assert_eq!(built, full);
        return;
    };
    assert_eq!(b.len(), f.len());
    for ((bk, bv), (fk, fv)) in b.iter().zip(f) {
        assert_eq!((bk, &bv.span), (fk, &fv.span));
        let skipped = bv.value == Json::Skipped;
        assert!(!skipped || matches!(fv.value, Json::Array(_) | Json::Object(_)));
        if !skipped {
            assert_eq!(bv, fv, "{format:?} {bk}");
        }
    }
}

/// `parse_request` and the model of a full parse agree on `doc` in `format`.
fn same_as_full_parse(format: ApiFormat, doc: &[u8]) {
    let limits = Limits::default();
    let got = parse_request(format, doc, &limits);
    let full = json::parse(doc, &limits)
        .map_err(BodyError::from)
        .and_then(|root| model_of(format, root));
    match (&got, &full) {
        (Ok(g), Ok(f)) => {
            assert_eq!(
                (&g.format, &g.model, g.stream, &g.segments),
                (&f.format, &f.model, f.stream, &f.segments)
            );
            same_read_members(format, &g.root, &f.root);
        }
        (Err(g), Err(f)) => assert_eq!(g, f, "{format:?} {}", String::from_utf8_lossy(doc)),
        _ => panic!(
            "{format:?} {}: {got:?} vs {full:?}",
            String::from_utf8_lossy(doc)
        ),
    }
}

#[test]
fn every_format_sees_what_a_full_parse_shows_it() {
    for body in BODIES {
        for &format in FORMATS {
            same_as_full_parse(format, body.as_bytes());
        }
    }
}

#[test]
fn mutated_bodies_get_the_same_model_and_errors_as_a_full_parse() {
    let mut rng = crate::fuzz::Rng::new(0x9e37_79b9_7f4a_7c15);
    for _ in 0..crate::fuzz::iters(4_000) {
        let Some(seed) = rng.pick(BODIES) else { return };
        let doc = crate::fuzz::mutate(&mut rng, seed.as_bytes(), crate::fuzz::JSON_TOKENS);
        for &format in FORMATS {
            same_as_full_parse(format, &doc);
        }
    }
}

#[test]
fn a_deep_tree_in_an_unread_member_is_checked_not_built() {
    let tree = format!("{}\"x\"{}", "[".repeat(100), "]".repeat(100));
    let doc = format!(
        r#"{{"model":"m","messages":[{{"role":"user","content":"hi"}}],"metadata":{{"tree":[{}]}}}}"#,
        vec![tree; 50].join(",")
    );
    let b = parse_request(ApiFormat::OpenAiChat, doc.as_bytes(), &Limits::default()).unwrap();
    assert_eq!(
        b.root.get("metadata").map(|m| &m.value),
        Some(&Json::Skipped)
    );
    assert_eq!(b.segments.len(), 1);
    same_as_full_parse(ApiFormat::OpenAiChat, doc.as_bytes());
    // Too deep or malformed there is refused exactly as before.
    for bad in [
        doc.replace("\"x\"", "\"x\",]"),
        doc.replacen(&"[".repeat(100), &"[".repeat(130), 1),
        doc.replacen("\"tree\"", "\"tree\":1,\"tree\"", 1),
    ] {
        assert!(parse_request(ApiFormat::OpenAiChat, bad.as_bytes(), &Limits::default()).is_err());
        same_as_full_parse(ApiFormat::OpenAiChat, bad.as_bytes());
    }
}
