//! stream: what a streamed answer says, event by event, per provider: the text deltas (which a
//! guardrail may rewrite), the token usage, and the end of the stream.

use std::ops::Range;

use crate::body::Usage;
use crate::json::{self, apply_splices, quote, Json, Node, Splice};
use crate::sse::{serialize, SseEvent};
use crate::ApiFormat;

/// One piece of model text inside an event. `channel` separates independent streams of text
/// (OpenAI choice index, Anthropic content block index; tool-call arguments get their own
/// channel `1_000_000 + n` so they are never glued to prose).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delta {
    /// Choice or block index; tool-call arguments are `1_000_000 + n`.
    pub channel: usize,
    /// The text piece.
    pub text: String,
    span: Range<usize>,
}

const TOOL_CHANNEL: usize = 1_000_000;

fn parse_data(ev: &SseEvent) -> Option<Node> {
    if ev.data.is_empty() || ev.data == "[DONE]" {
        return None;
    }
    json::parse(ev.data.as_bytes(), &json::Limits::default()).ok()
}

fn text_of(node: Option<&Node>, channel: usize, out: &mut Vec<Delta>) {
    if let Some(n) = node {
        if let Json::String(s) = &n.value {
            out.push(Delta {
                channel,
                text: s.clone(),
                span: n.span.clone(),
            });
        }
    }
}

fn items<'a>(node: &'a Node, key: &str) -> &'a [Node] {
    node.get(key).and_then(Node::as_array).unwrap_or(&[])
}

fn index_of(node: &Node, default: usize) -> usize {
    node.get("index")
        .and_then(Node::as_u64)
        .and_then(|i| usize::try_from(i).ok())
        .unwrap_or(default)
        .min(TOOL_CHANNEL - 1)
}

/// Every text delta in `ev` (empty for events that carry none, or whose data is not JSON).
pub fn deltas(format: ApiFormat, ev: &SseEvent) -> Vec<Delta> {
    let mut out = Vec::new();
    let Some(root) = parse_data(ev) else {
        return out;
    };
    match format {
        ApiFormat::OpenAiChat | ApiFormat::OpenAiCompletions => {
            for (i, choice) in items(&root, "choices").iter().enumerate() {
                let ch = index_of(choice, i);
                text_of(choice.get("text"), ch, &mut out);
                if let Some(d) = choice.get("delta") {
                    text_of(d.get("content"), ch, &mut out);
                    text_of(d.get("refusal"), ch, &mut out);
                    for (k, call) in items(d, "tool_calls").iter().enumerate() {
                        let args = call.get("function").and_then(|f| f.get("arguments"));
                        text_of(args, TOOL_CHANNEL + index_of(call, k), &mut out);
                    }
                }
            }
        }
        ApiFormat::AnthropicMessages => {
            if root.get("type").and_then(Node::as_str) == Some("content_block_delta") {
                let ch = index_of(&root, 0);
                if let Some(d) = root.get("delta") {
                    match d.get("type").and_then(Node::as_str) {
                        Some("text_delta") => text_of(d.get("text"), ch, &mut out),
                        Some("input_json_delta") => {
                            text_of(d.get("partial_json"), TOOL_CHANNEL + ch, &mut out)
                        }
                        _ => {}
                    }
                }
            }
        }
        ApiFormat::OpenAiResponses => {
            let ty = root.get("type").and_then(Node::as_str).unwrap_or("");
            let ch = root
                .get("output_index")
                .and_then(Node::as_u64)
                .and_then(|i| usize::try_from(i).ok())
                .unwrap_or(0)
                .min(TOOL_CHANNEL - 1);
            match ty {
                "response.output_text.delta" | "response.refusal.delta" => {
                    text_of(root.get("delta"), ch, &mut out)
                }
                "response.function_call_arguments.delta" => {
                    text_of(root.get("delta"), TOOL_CHANNEL + ch, &mut out)
                }
                _ => {}
            }
        }
        ApiFormat::GeminiGenerateContent => {
            for (i, cand) in items(&root, "candidates").iter().enumerate() {
                let ch = index_of(cand, i);
                if let Some(content) = cand.get("content") {
                    for part in items(content, "parts") {
                        text_of(part.get("text"), ch, &mut out);
                    }
                }
            }
        }
        // An MCP event is a whole JSON-RPC message, not a piece of a text: read it with
        // `body::parse_response(ApiFormat::Mcp, ev.data)`.
        ApiFormat::OpenAiEmbeddings | ApiFormat::Mcp | ApiFormat::Unknown => {}
    }
    out
}

/// The text of the first delta in `ev`.
pub fn delta_text(format: ApiFormat, ev: &SseEvent) -> Option<String> {
    deltas(format, ev).into_iter().next().map(|d| d.text)
}

/// `ev` with the given deltas (index into `deltas(format, ev)`) replaced; everything else in the
/// event's JSON stays byte-identical. `None` if an index is out of range or the data is not JSON.
pub fn with_deltas(
    format: ApiFormat,
    ev: &SseEvent,
    new_text: &[(usize, String)],
) -> Option<SseEvent> {
    let found = deltas(format, ev);
    let mut splices = Vec::with_capacity(new_text.len());
    for (i, text) in new_text {
        let d = found.get(*i)?;
        splices.push(Splice {
            span: d.span.clone(),
            with: quote(text).into_bytes(),
        });
    }
    let data = apply_splices(ev.data.as_bytes(), splices).ok()?;
    let mut out = SseEvent {
        event: ev.event.clone(),
        data: String::from_utf8(data).ok()?,
        id: ev.id.clone(),
        raw: Vec::new(),
    };
    out.raw = serialize(&out);
    Some(out)
}

/// `ev` with its first delta's text replaced.
pub fn with_delta_text(format: ApiFormat, ev: &SseEvent, text: &str) -> Option<SseEvent> {
    with_deltas(format, ev, &[(0, text.to_string())])
}

/// Token usage reported in `ev`: OpenAI's final chunk (`stream_options.include_usage`),
/// Anthropic `message_start` (input) and `message_delta` (output), Responses
/// `response.completed`, Gemini `usageMetadata`. Anthropic splits usage over two events
/// (`message_start` input, `message_delta` output) and `message_delta` counts are cumulative:
/// keep the largest value per field across events, never add them.
pub fn stream_usage(format: ApiFormat, ev: &SseEvent) -> Option<Usage> {
    let root = parse_data(ev)?;
    let node = match format {
        ApiFormat::AnthropicMessages => match root.get("type").and_then(Node::as_str) {
            Some("message_start") => root.get("message")?.get("usage")?,
            Some("message_delta") => root.get("usage")?,
            _ => return None,
        },
        ApiFormat::OpenAiResponses => root.get("response")?.get("usage")?,
        ApiFormat::GeminiGenerateContent => root.get("usageMetadata")?,
        _ => root.get("usage")?,
    };
    Usage::from_node(node)
}

/// The provider's end-of-answer marker: OpenAI `[DONE]`, Anthropic `message_stop`, Responses
/// `response.completed`/`failed`/`incomplete`.
pub fn is_done(ev: &SseEvent) -> bool {
    if ev.data.trim() == "[DONE]" {
        return true;
    }
    let names = [
        "message_stop",
        "response.completed",
        "response.failed",
        "response.incomplete",
    ];
    if ev.event.as_deref().is_some_and(|e| names.contains(&e)) {
        return true;
    }
    parse_data(ev)
        .and_then(|r| {
            r.get("type")
                .and_then(Node::as_str)
                .map(|t| names.contains(&t))
        })
        .unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(event: Option<&str>, data: &str) -> SseEvent {
        SseEvent {
            event: event.map(str::to_string),
            data: data.to_string(),
            id: None,
            raw: Vec::new(),
        }
    }

    #[test]
    fn deltas_per_provider() {
        let table: &[(ApiFormat, &str, &[&str])] = &[
            (
                ApiFormat::OpenAiChat,
                r#"{"choices":[{"index":0,"delta":{"content":"Hel"}}]}"#,
                &["Hel"],
            ),
            (
                ApiFormat::OpenAiChat,
                r#"{"choices":[{"index":0,"delta":{"role":"assistant"}}]}"#,
                &[],
            ),
            (
                ApiFormat::OpenAiChat,
                r#"{"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"{\"a"}}]}}]}"#,
                &["{\"a"],
            ),
            (
                ApiFormat::OpenAiCompletions,
                r#"{"choices":[{"text":"tok","index":0}]}"#,
                &["tok"],
            ),
            (
                ApiFormat::AnthropicMessages,
                r#"{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Hi"}}"#,
                &["Hi"],
            ),
            (
                ApiFormat::AnthropicMessages,
                r#"{"type":"message_start","message":{"usage":{"input_tokens":3}}}"#,
                &[],
            ),
            (
                ApiFormat::OpenAiResponses,
                r#"{"type":"response.output_text.delta","output_index":0,"delta":"yo"}"#,
                &["yo"],
            ),
            (
                ApiFormat::GeminiGenerateContent,
                r#"{"candidates":[{"content":{"parts":[{"text":"ge"},{"text":"m"}]}}]}"#,
                &["ge", "m"],
            ),
            (ApiFormat::OpenAiChat, "[DONE]", &[]),
            (ApiFormat::OpenAiChat, "not json", &[]),
        ];
        for (format, data, want) in table {
            let got: Vec<String> = deltas(*format, &ev(None, data))
                .into_iter()
                .map(|d| d.text)
                .collect();
            assert_eq!(&got, want, "{format:?} {data}");
        }
    }

    #[test]
    fn channels_separate_choices_and_tool_arguments() {
        let e = ev(
            None,
            r#"{"choices":[{"index":1,"delta":{"content":"b","tool_calls":[{"index":2,"function":{"arguments":"x"}}]}}]}"#,
        );
        let d = deltas(ApiFormat::OpenAiChat, &e);
        assert_eq!(d[0].channel, 1);
        assert_eq!(d[1].channel, TOOL_CHANNEL + 2);
    }

    #[test]
    fn rewriting_a_delta_keeps_the_event_otherwise_identical() {
        let data = r#"{"id":"c1","choices":[{"index":0,"delta":{"content":"mail a@b.co"},"finish_reason":null}]}"#;
        let e = SseEvent {
            event: None,
            data: data.into(),
            id: Some("7".into()),
            raw: vec![],
        };
        let out = with_delta_text(ApiFormat::OpenAiChat, &e, "mail \"[EMAIL]\"").unwrap();
        assert_eq!(
            out.data,
            data.replace("mail a@b.co", "mail \\\"[EMAIL]\\\"")
        );
        assert_eq!(out.id.as_deref(), Some("7"));
        assert_eq!(out.raw, serialize(&out));
        assert_eq!(
            delta_text(ApiFormat::OpenAiChat, &out).as_deref(),
            Some("mail \"[EMAIL]\"")
        );
        assert!(with_deltas(ApiFormat::OpenAiChat, &e, &[(3, "x".into())]).is_none());
    }

    #[test]
    fn usage_and_done_per_provider() {
        let u = |f, e: &SseEvent| stream_usage(f, e);
        let openai = ev(
            None,
            r#"{"choices":[],"usage":{"prompt_tokens":4,"completion_tokens":6,"total_tokens":10}}"#,
        );
        assert_eq!(
            u(ApiFormat::OpenAiChat, &openai).map(|x| x.total_tokens),
            Some(10)
        );
        let start = ev(
            Some("message_start"),
            r#"{"type":"message_start","message":{"usage":{"input_tokens":12,"output_tokens":1}}}"#,
        );
        assert_eq!(
            u(ApiFormat::AnthropicMessages, &start).map(|x| x.input_tokens),
            Some(12)
        );
        let delta = ev(
            Some("message_delta"),
            r#"{"type":"message_delta","delta":{"stop_reason":"end_turn"},"usage":{"output_tokens":15}}"#,
        );
        assert_eq!(
            u(ApiFormat::AnthropicMessages, &delta).map(|x| x.output_tokens),
            Some(15)
        );
        let done = ev(
            None,
            r#"{"type":"response.completed","response":{"usage":{"input_tokens":1,"output_tokens":2,"total_tokens":3}}}"#,
        );
        assert_eq!(
            u(ApiFormat::OpenAiResponses, &done).map(|x| x.total_tokens),
            Some(3)
        );
        assert!(is_done(&done));
        assert!(is_done(&ev(None, "[DONE]")));
        assert!(is_done(&ev(
            Some("message_stop"),
            r#"{"type":"message_stop"}"#
        )));
        assert!(!is_done(&openai));
        assert!(u(ApiFormat::OpenAiChat, &ev(None, r#"{"choices":[]}"#)).is_none());
    }
}
