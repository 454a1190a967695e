//! tool_call: the mock's answer when `x-mock-tool-call: {"name": .., "arguments": {..}}` asks
//! for one: the model calls that tool instead of writing text - OpenAI chat (`tool_calls`,
//! streamed as a first chunk naming it and argument chunks after) and Anthropic (`tool_use`,
//! streamed as `content_block_start` then `input_json_delta`s). Other APIs answer text.

use serde_json::{json, Value};

use super::provider::Api;
use super::reply::pieces;

/// The requested call: (name, arguments as a JSON object), from the header's value.
pub fn requested(header: &str) -> Option<(String, Value)> {
    let v: Value = serde_json::from_str(header).ok()?;
    let name = v.get("name")?.as_str()?.to_string();
    Some((name, v.get("arguments").cloned().unwrap_or(json!({}))))
}

/// The complete answer calling `name` (`None`: this API answers text).
pub fn complete(api: Api, model: &str, name: &str, args: &Value) -> Option<Value> {
    match api {
        Api::OpenAiChat => Some(json!({
            "id": "chatcmpl-mock", "object": "chat.completion", "created": 0, "model": model,
            "choices": [{"index": 0, "finish_reason": "tool_calls", "message": {
                "role": "assistant", "content": null, "tool_calls": [{"id": "call_mock",
                "type": "function", "function": {"name": name, "arguments": args.to_string()}}]}}]})),
        Api::AnthropicMessages => Some(json!({
            "id": "msg_mock", "type": "message", "role": "assistant", "model": model,
            "content": [{"type": "tool_use", "id": "toolu_mock", "name": name, "input": args}],
            "stop_reason": "tool_use", "stop_sequence": null,
            "usage": {"input_tokens": 1, "output_tokens": 1}})),
        _ => None,
    }
}

fn event(name: Option<&str>, data: &Value) -> Vec<u8> {
    let head = name.map(|n| format!("event: {n}\n")).unwrap_or_default();
    format!("{head}data: {data}\n\n").into_bytes()
}

/// The streamed answer calling `name`, arguments in `delta`-character pieces.
pub fn events(
    api: Api,
    model: &str,
    name: &str,
    args: &Value,
    delta: usize,
) -> Option<Vec<Vec<u8>>> {
    let parts = pieces(&args.to_string(), delta);
    let mut out = Vec::new();
    match api {
        Api::OpenAiChat => {
            let chunk = |delta: Value, finish: Value| {
                json!({"id": "chatcmpl-mock", "object": "chat.completion.chunk", "created": 0,
                       "model": model, "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]})
            };
            out.push(event(None, &chunk(json!({"role": "assistant", "content": null, "tool_calls": [
                {"index": 0, "id": "call_mock", "type": "function", "function": {"name": name, "arguments": ""}}]}), Value::Null)));
            for p in &parts {
                out.push(event(
                    None,
                    &chunk(
                        json!({"tool_calls": [{"index": 0, "function": {"arguments": p}}]}),
                        Value::Null,
                    ),
                ));
            }
            out.push(event(None, &chunk(json!({}), json!("tool_calls"))));
            out.push(b"data: [DONE]\n\n".to_vec());
        }
        Api::AnthropicMessages => {
            out.push(event(Some("message_start"), &json!({"type": "message_start", "message": {
                "id": "msg_mock", "type": "message", "role": "assistant", "model": model, "content": [],
                "stop_reason": null, "stop_sequence": null, "usage": {"input_tokens": 1, "output_tokens": 1}}})));
            out.push(event(Some("content_block_start"), &json!({"type": "content_block_start", "index": 0,
                "content_block": {"type": "tool_use", "id": "toolu_mock", "name": name, "input": {}}})));
            for p in &parts {
                out.push(event(
                    Some("content_block_delta"),
                    &json!({"type": "content_block_delta", "index": 0,
                    "delta": {"type": "input_json_delta", "partial_json": p}}),
                ));
            }
            out.push(event(
                Some("content_block_stop"),
                &json!({"type": "content_block_stop", "index": 0}),
            ));
            out.push(event(Some("message_delta"), &json!({"type": "message_delta",
                "delta": {"stop_reason": "tool_use", "stop_sequence": null}, "usage": {"output_tokens": 1}})));
            out.push(event(
                Some("message_stop"),
                &json!({"type": "message_stop"}),
            ));
        }
        _ => return None,
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn calls_in_both_shapes() {
        let (name, args) = requested(r#"{"name":"rm","arguments":{"p":"/x"}}"#).unwrap();
        assert_eq!(name, "rm");
        let c = complete(Api::OpenAiChat, "m", &name, &args).unwrap();
        assert_eq!(
            c["choices"][0]["message"]["tool_calls"][0]["function"]["arguments"],
            "{\"p\":\"/x\"}"
        );
        let evs = events(Api::AnthropicMessages, "m", &name, &args, 3).unwrap();
        let text: String = evs
            .iter()
            .map(|e| String::from_utf8_lossy(e).into_owned())
            .collect();
        assert!(text.contains("\"name\":\"rm\"") && text.contains("input_json_delta"));
        assert!(complete(Api::OpenAiCompletions, "m", "x", &args).is_none());
        assert!(requested("not json").is_none());
    }
}
