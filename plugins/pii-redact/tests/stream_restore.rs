//! stream_restore: streamed answers in every provider shape, split into chunks of every size
//! and with deltas cut inside values and placeholders: the client must read the same text as
//! the whole answer processed at once, with placeholders restored and model PII redacted.

use guardrail_sdk::sse::SseParser;
use guardrail_sdk::stream::deltas;
use guardrail_sdk::ApiFormat;
use pii_redact::config::{parse, Settings};
use pii_redact::entity::EntityType;
use pii_redact::pseudonym::Pseudonyms;
use pii_redact::stream_restore::{StreamRewriter, MAX_EVENT_BYTES};
use serde_json::{json, Value};

const ANSWER: &str = "Sure <EMAIL_1>! I'll cc ops@evil.example and call +1 (579) 383-4701. \
                      Your card 4111 1111 1111 1111 is on file; key AKIAOH77QAXTJMKV47PU. Bye <EMAIL_1>.";
const WANT: &str = "Sure jane@corp.example! I'll cc [EMAIL] and call [PHONE]. \
                    Your card **** **** **** 1111 is on file; key [SECRET]. Bye jane@corp.example.";

fn settings() -> Settings {
    parse(br#"{"entities":{"EMAIL":"pseudonymize","CREDIT_CARD":"mask","SECRET":"block"}}"#)
        .unwrap()
}

fn pseudonyms() -> Pseudonyms {
    let mut p = Pseudonyms::new();
    p.placeholder_for(EntityType::Email, "jane@corp.example");
    p
}

fn pieces(text: &str, n: usize) -> Vec<String> {
    let chars: Vec<char> = text.chars().collect();
    chars.chunks(n).map(|c| c.iter().collect()).collect()
}

fn ev(name: Option<&str>, data: &Value) -> String {
    match name {
        Some(n) => format!("event: {n}\ndata: {data}\n\n"),
        None => format!("data: {data}\n\n"),
    }
}

fn stream(format: ApiFormat, text: &str, delta: usize) -> Vec<u8> {
    let mut s = String::new();
    let parts = pieces(text, delta);
    match format {
        ApiFormat::OpenAiChat => {
            let chunk = |d: Value, f: Value| json!({"id":"c","object":"chat.completion.chunk","choices":[{"index":0,"delta":d,"finish_reason":f}]});
            s += &ev(
                None,
                &chunk(json!({"role":"assistant","content":""}), Value::Null),
            );
            for p in &parts {
                s += &ev(None, &chunk(json!({ "content": p }), Value::Null));
            }
            s += &ev(None, &chunk(json!({}), json!("stop")));
            s += "data: [DONE]\n\n";
        }
        ApiFormat::AnthropicMessages => {
            s += &ev(
                Some("message_start"),
                &json!({"type":"message_start","message":{"id":"m","content":[]}}),
            );
            s += &ev(
                Some("content_block_start"),
                &json!({"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}),
            );
            for (i, p) in parts.iter().enumerate() {
                if i == 3 {
                    s += &ev(Some("ping"), &json!({"type":"ping"}));
                }
                s += &ev(
                    Some("content_block_delta"),
                    &json!({"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":p}}),
                );
            }
            s += &ev(
                Some("content_block_stop"),
                &json!({"type":"content_block_stop","index":0}),
            );
            s += &ev(
                Some("message_delta"),
                &json!({"type":"message_delta","delta":{"stop_reason":"end_turn"}}),
            );
            s += &ev(Some("message_stop"), &json!({"type":"message_stop"}));
        }
        ApiFormat::OpenAiResponses => {
            let ids = |v: Value| {
                let mut o = json!({"item_id":"msg_1","output_index":0,"content_index":0});
                o.as_object_mut()
                    .unwrap()
                    .extend(v.as_object().unwrap().clone());
                o
            };
            for p in &parts {
                s += &ev(
                    Some("response.output_text.delta"),
                    &ids(json!({"type":"response.output_text.delta","delta":p})),
                );
            }
            s += &ev(
                Some("response.output_text.done"),
                &ids(json!({"type":"response.output_text.done","text":text})),
            );
            s += &ev(
                Some("response.completed"),
                &json!({"type":"response.completed","response":{"id":"resp_1","output":[{"type":"message","id":"msg_1","content":[{"type":"output_text","text":text}]}]}}),
            );
        }
        ApiFormat::GeminiGenerateContent => {
            let last = parts.len() - 1;
            for (i, p) in parts.iter().enumerate() {
                let mut c = json!({"content":{"role":"model","parts":[{"text":p}]},"index":0});
                if i == last {
                    c["finishReason"] = json!("STOP");
                }
                s += &ev(None, &json!({"candidates":[c]}));
            }
        }
        _ => unreachable!(),
    }
    s.into_bytes()
}

/// Run the rewriter over `raw` in chunks of `chunk` bytes; returns the forwarded bytes.
fn run(format: ApiFormat, raw: &[u8], chunk: usize) -> (Vec<u8>, StreamRewriter) {
    let (s, p) = (settings(), pseudonyms());
    let mut rw = StreamRewriter::new(format, MAX_EVENT_BYTES);
    let mut out = Vec::new();
    for c in raw.chunks(chunk) {
        out.extend(rw.push(c, &s, &p).unwrap());
    }
    out.extend(rw.finish(&s, &p).unwrap());
    (out, rw)
}

/// The delta text a client reads from forwarded bytes, and every event's data.
fn client_view(format: ApiFormat, out: &[u8]) -> (String, Vec<String>) {
    let mut parser = SseParser::new(MAX_EVENT_BYTES);
    let mut events = parser.push(out).unwrap();
    events.extend(parser.finish().unwrap());
    let text = events
        .iter()
        .flat_map(|e| deltas(format, e))
        .map(|d| d.text)
        .collect();
    (text, events.into_iter().map(|e| e.data).collect())
}

#[test]
fn every_format_every_delta_size_every_chunk_size() {
    for format in [
        ApiFormat::OpenAiChat,
        ApiFormat::AnthropicMessages,
        ApiFormat::OpenAiResponses,
        ApiFormat::GeminiGenerateContent,
    ] {
        for delta in [1, 2, 3, 5, 8, 13, 40, 500] {
            let raw = stream(format, ANSWER, delta);
            let chunks: Vec<usize> = if delta == 3 {
                (1..=raw.len().min(96)).collect()
            } else {
                vec![1, 7, 64, raw.len()]
            };
            for chunk in chunks {
                let (out, rw) = run(format, &raw, chunk);
                let (text, datas) = client_view(format, &out);
                assert_eq!(text, WANT, "{format:?} delta {delta} chunk {chunk}");
                let all = datas.join("\n");
                for leak in [
                    "ops@evil.example",
                    "<EMAIL_1>",
                    "4111 1111 1111 1111",
                    "AKIAOH77QAXTJMKV47PU",
                    "383-4701",
                ] {
                    assert!(
                        !all.contains(leak),
                        "{format:?} delta {delta} chunk {chunk}: {leak} leaked"
                    );
                }
                let r = rw.report();
                assert!(
                    r.restored >= 2 && r.counts.get(EntityType::Email) >= 1,
                    "{format:?}: {r:?}"
                );
            }
        }
    }
}

#[test]
fn structure_is_kept_and_held_text_lands_before_the_end_marker() {
    let raw = stream(ApiFormat::OpenAiChat, ANSWER, 4);
    let (out, _) = run(ApiFormat::OpenAiChat, &raw, 17);
    let (_, datas) = client_view(ApiFormat::OpenAiChat, &out);
    assert_eq!(datas.last().map(String::as_str), Some("[DONE]"));
    let finish = datas
        .iter()
        .position(|d| d.contains("\"finish_reason\":\"stop\""))
        .unwrap();
    let last_text = datas
        .iter()
        .rposition(|d| d.contains("\"content\":\"") && !d.contains("\"content\":\"\""))
        .unwrap();
    assert!(
        last_text < finish,
        "held-back text must precede the finish chunk"
    );

    let raw = stream(ApiFormat::AnthropicMessages, ANSWER, 4);
    let (out, _) = run(ApiFormat::AnthropicMessages, &raw, 9);
    let (_, datas) = client_view(ApiFormat::AnthropicMessages, &out);
    let stop = datas
        .iter()
        .position(|d| d.contains("content_block_stop"))
        .unwrap();
    let last_delta = datas
        .iter()
        .rposition(|d| d.contains("content_block_delta"))
        .unwrap();
    assert!(last_delta < stop);
    assert!(datas.iter().any(|d| d.contains("\"ping\"")));
}

#[test]
fn clean_stream_passes_byte_identical_when_not_split_mid_word() {
    let text = "Hello there, nothing sensitive here at all.";
    let raw = stream(ApiFormat::AnthropicMessages, text, 500);
    let (out, rw) = run(ApiFormat::AnthropicMessages, &raw, 1);
    assert_eq!(client_view(ApiFormat::AnthropicMessages, &out).0, text);
    assert_eq!(rw.report().total(), 0);
}

#[test]
fn an_oversized_event_is_an_error() {
    let (s, p) = (settings(), pseudonyms());
    let mut rw = StreamRewriter::new(ApiFormat::OpenAiChat, 64);
    let big = format!("data: {}\n\n", "x".repeat(200));
    assert!(rw.push(big.as_bytes(), &s, &p).is_err());
}
