//! The mock's answers in each provider's own shapes: a complete JSON body, or the SSE events
//! of a streamed answer with the text split into small deltas (inside words too).

use serde_json::{json, Value};

use super::provider::{count_tokens, Api};

/// What to answer with.
pub struct Answer<'a> {
    pub api: Api,
    pub model: &'a str,
    pub text: &'a str,
    pub prompt_tokens: u64,
    /// Embeddings: one vector per input.
    pub inputs: usize,
    /// OpenAI chat: `stream_options.include_usage` was set.
    pub include_usage: bool,
}

impl Answer<'_> {
    fn output_tokens(&self) -> u64 {
        count_tokens(self.text)
    }
}

/// The complete (non-streamed) JSON body.
pub fn complete_body(a: &Answer) -> Value {
    let (p, c) = (a.prompt_tokens, a.output_tokens());
    match a.api {
        Api::OpenAiChat => json!({
            "id": "chatcmpl-mock", "object": "chat.completion", "created": 0, "model": a.model,
            "choices": [{"index": 0, "message": {"role": "assistant", "content": a.text},
                         "finish_reason": "stop"}],
            "usage": {"prompt_tokens": p, "completion_tokens": c, "total_tokens": p + c}}),
        Api::OpenAiCompletions => json!({
            "id": "cmpl-mock", "object": "text_completion", "created": 0, "model": a.model,
            "choices": [{"index": 0, "text": a.text, "finish_reason": "stop"}],
            "usage": {"prompt_tokens": p, "completion_tokens": c, "total_tokens": p + c}}),
        Api::OpenAiEmbeddings => {
            let data: Vec<Value> = (0..a.inputs.max(1))
                .map(|i| json!({"object": "embedding", "index": i, "embedding": [0.0, 0.5, 1.0]}))
                .collect();
            json!({"object": "list", "data": data, "model": a.model,
                   "usage": {"prompt_tokens": p, "total_tokens": p}})
        }
        Api::OpenAiResponses => json!({
            "id": "resp_mock", "object": "response", "created_at": 0, "status": "completed",
            "model": a.model, "output": [responses_message(a.text, "completed")],
            "usage": {"input_tokens": p, "output_tokens": c, "total_tokens": p + c}}),
        Api::AnthropicMessages => json!({
            "id": "msg_mock", "type": "message", "role": "assistant", "model": a.model,
            "content": [{"type": "text", "text": a.text}], "stop_reason": "end_turn",
            "stop_sequence": null, "usage": {"input_tokens": p, "output_tokens": c}}),
        Api::Gemini { .. } => gemini_chunk(a.text, Some("STOP"), Some((p, c)), a.model),
    }
}

fn responses_message(text: &str, status: &str) -> Value {
    json!({"type": "message", "id": "msg_mock", "role": "assistant", "status": status,
           "content": [{"type": "output_text", "text": text, "annotations": []}]})
}

fn gemini_chunk(text: &str, finish: Option<&str>, usage: Option<(u64, u64)>, model: &str) -> Value {
    let mut cand = json!({"content": {"role": "model", "parts": [{"text": text}]}, "index": 0});
    if let (Some(f), Some(obj)) = (finish, cand.as_object_mut()) {
        obj.insert("finishReason".into(), json!(f));
    }
    let mut v = json!({"candidates": [cand], "modelVersion": model});
    if let (Some((p, c)), Some(obj)) = (usage, v.as_object_mut()) {
        obj.insert(
            "usageMetadata".into(),
            json!({"promptTokenCount": p, "candidatesTokenCount": c, "totalTokenCount": p + c}),
        );
    }
    v
}

/// Splits text into pieces of `n` characters (never inside a UTF-8 sequence).
pub fn pieces(text: &str, n: usize) -> Vec<String> {
    let chars: Vec<char> = text.chars().collect();
    chars.chunks(n.max(1)).map(|c| c.iter().collect()).collect()
}

/// One SSE event on the wire.
fn event(name: Option<&str>, data: &Value) -> Vec<u8> {
    let mut out = String::new();
    if let Some(n) = name {
        out.push_str(&format!("event: {n}\n"));
    }
    out.push_str(&format!("data: {data}\n\n"));
    out.into_bytes()
}

/// The SSE events of a streamed answer, each a complete `event:`/`data:` block.
pub fn stream_events(a: &Answer, delta_chars: usize) -> Vec<Vec<u8>> {
    let (p, c) = (a.prompt_tokens, a.output_tokens());
    let parts = pieces(a.text, delta_chars);
    let mut out = Vec::new();
    match a.api {
        Api::OpenAiChat => {
            let chunk = |delta: Value, finish: Value| {
                json!({"id": "chatcmpl-mock", "object": "chat.completion.chunk", "created": 0,
                       "model": a.model, "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]})
            };
            out.push(event(
                None,
                &chunk(json!({"role": "assistant", "content": ""}), Value::Null),
            ));
            for t in &parts {
                out.push(event(None, &chunk(json!({"content": t}), Value::Null)));
            }
            out.push(event(None, &chunk(json!({}), json!("stop"))));
            if a.include_usage {
                out.push(event(
                    None,
                    &json!({"id": "chatcmpl-mock", "object": "chat.completion.chunk",
                    "created": 0, "model": a.model, "choices": [],
                    "usage": {"prompt_tokens": p, "completion_tokens": c, "total_tokens": p + c}}),
                ));
            }
            out.push(b"data: [DONE]\n\n".to_vec());
        }
        Api::OpenAiCompletions => {
            let chunk = |t: &str, finish: Value| {
                json!({"id": "cmpl-mock", "object": "text_completion", "created": 0, "model": a.model,
                       "choices": [{"index": 0, "text": t, "finish_reason": finish}]})
            };
            for t in &parts {
                out.push(event(None, &chunk(t, Value::Null)));
            }
            out.push(event(None, &chunk("", json!("stop"))));
            out.push(b"data: [DONE]\n\n".to_vec());
        }
        Api::OpenAiEmbeddings => out.push(event(None, &complete_body(a))),
        Api::OpenAiResponses => {
            let mut seq = 0u64;
            let mut ev = |name: &str, mut data: Value| {
                if let Some(o) = data.as_object_mut() {
                    o.insert("type".into(), json!(name));
                    o.insert("sequence_number".into(), json!(seq));
                }
                seq += 1;
                event(Some(name), &data)
            };
            let resp = |status: &str, output: Value, usage: Value| {
                json!({"id": "resp_mock", "object": "response", "created_at": 0, "status": status,
                       "model": a.model, "output": output, "usage": usage})
            };
            let ids = json!({"item_id": "msg_mock", "output_index": 0, "content_index": 0});
            let with = |extra: Value| {
                let mut v = ids.clone();
                if let (Some(o), Some(e)) = (v.as_object_mut(), extra.as_object()) {
                    o.extend(e.clone());
                }
                v
            };
            out.push(ev(
                "response.created",
                json!({"response": resp("in_progress", json!([]), Value::Null)}),
            ));
            out.push(ev(
                "response.output_item.added",
                json!({"output_index": 0, "item": responses_message("", "in_progress")}),
            ));
            out.push(ev(
                "response.content_part.added",
                with(json!({"part": {"type": "output_text", "text": "", "annotations": []}})),
            ));
            for t in &parts {
                out.push(ev("response.output_text.delta", with(json!({"delta": t}))));
            }
            out.push(ev(
                "response.output_text.done",
                with(json!({"text": a.text})),
            ));
            out.push(ev(
                "response.content_part.done",
                with(json!({"part": {"type": "output_text", "text": a.text, "annotations": []}})),
            ));
            out.push(ev(
                "response.output_item.done",
                json!({"output_index": 0, "item": responses_message(a.text, "completed")}),
            ));
            out.push(ev(
                "response.completed",
                json!({"response": resp("completed",
                json!([responses_message(a.text, "completed")]),
                json!({"input_tokens": p, "output_tokens": c, "total_tokens": p + c}))}),
            ));
        }
        Api::AnthropicMessages => {
            out.push(event(
                Some("message_start"),
                &json!({"type": "message_start", "message": {
                "id": "msg_mock", "type": "message", "role": "assistant", "model": a.model,
                "content": [], "stop_reason": null, "stop_sequence": null,
                "usage": {"input_tokens": p, "output_tokens": 1}}}),
            ));
            out.push(event(
                Some("content_block_start"),
                &json!({"type": "content_block_start",
                "index": 0, "content_block": {"type": "text", "text": ""}}),
            ));
            out.push(event(Some("ping"), &json!({"type": "ping"})));
            for t in &parts {
                out.push(event(
                    Some("content_block_delta"),
                    &json!({"type": "content_block_delta",
                    "index": 0, "delta": {"type": "text_delta", "text": t}}),
                ));
            }
            out.push(event(
                Some("content_block_stop"),
                &json!({"type": "content_block_stop", "index": 0}),
            ));
            out.push(event(
                Some("message_delta"),
                &json!({"type": "message_delta",
                "delta": {"stop_reason": "end_turn", "stop_sequence": null},
                "usage": {"output_tokens": c}}),
            ));
            out.push(event(
                Some("message_stop"),
                &json!({"type": "message_stop"}),
            ));
        }
        Api::Gemini { .. } => {
            let last = parts.len().saturating_sub(1);
            for (i, t) in parts.iter().enumerate() {
                let fin = (i == last).then_some("STOP");
                let usage = (i == last).then_some((p, c));
                out.push(event(None, &gemini_chunk(t, fin, usage, a.model)));
            }
            if parts.is_empty() {
                out.push(event(
                    None,
                    &gemini_chunk("", Some("STOP"), Some((p, c)), a.model),
                ));
            }
        }
    }
    out
}

/// An error body in the provider's shape (Anthropic or OpenAI; Gemini uses Google's).
pub fn error_body(api: Option<Api>, status: u16, code: &str, message: &str) -> Value {
    match api {
        Some(Api::AnthropicMessages) => json!({"type": "error",
            "error": {"type": "invalid_request_error", "message": message}}),
        Some(Api::Gemini { .. }) => json!({"error": {"code": status, "message": message,
            "status": "INVALID_ARGUMENT"}}),
        _ => json!({"error": {"message": message, "type": "invalid_request_error",
            "param": null, "code": code}}),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pieces_split_inside_words_and_keep_utf8() {
        assert_eq!(pieces("hello wörld", 3), vec!["hel", "lo ", "wör", "ld"]);
        assert!(pieces("", 3).is_empty());
    }
}
