//! answer_tools: the tool calls a model makes in its answer, by format, so the tool policy can
//! withhold a disallowed one: non-streamed (OpenAI chat `choices[].message.tool_calls[]`,
//! Anthropic `content[]` `tool_use`, Responses `output[]` `function_call`, Gemini
//! `parts[].functionCall`) and streamed - where a call is named in the event that starts it
//! (OpenAI chat's first `delta.tool_calls[]` chunk, Anthropic `content_block_start`, Responses
//! `response.output_item.added`, Gemini's `functionCall` part), before any of its argument
//! deltas: withholding from that event on sends nothing of its arguments. Pure.

use guardrail_sdk::json::{Json, Node};
use guardrail_sdk::ApiFormat;

fn items<'a>(node: &'a Node, key: &str) -> &'a [Node] {
    node.get(key).and_then(Node::as_array).unwrap_or(&[])
}

fn name_of(node: Option<&Node>, out: &mut Vec<String>) {
    if let Some(Json::String(s)) = node.map(|n| &n.value) {
        out.push(s.clone());
    }
}

/// Gemini `candidates[].content.parts[].functionCall.name` (answers and stream chunks alike).
fn gemini_calls(root: &Node, out: &mut Vec<String>) {
    for cand in items(root, "candidates") {
        if let Some(content) = cand.get("content") {
            for part in items(content, "parts") {
                name_of(part.get("functionCall").and_then(|c| c.get("name")), out);
            }
        }
    }
}

/// The names of the tools a non-streamed answer of `format` calls.
pub fn called_in_answer(format: ApiFormat, root: &Node) -> Vec<String> {
    let mut out = Vec::new();
    match format {
        ApiFormat::OpenAiChat => {
            for choice in items(root, "choices") {
                if let Some(msg) = choice.get("message") {
                    for call in items(msg, "tool_calls") {
                        name_of(call.get("function").and_then(|f| f.get("name")), &mut out);
                    }
                    name_of(
                        msg.get("function_call").and_then(|f| f.get("name")),
                        &mut out,
                    );
                }
            }
        }
        ApiFormat::AnthropicMessages => {
            for block in items(root, "content") {
                if block.get("input").is_some() {
                    name_of(block.get("name"), &mut out);
                }
            }
        }
        ApiFormat::OpenAiResponses => {
            for item in items(root, "output") {
                if item.get("arguments").is_some() || item.get("input").is_some() {
                    name_of(item.get("name"), &mut out);
                }
            }
        }
        ApiFormat::GeminiGenerateContent => gemini_calls(root, &mut out),
        _ => {}
    }
    out
}

/// The names of the tool calls a streamed event (its data's JSON) of `format` starts.
pub fn called_in_event(format: ApiFormat, root: &Node) -> Vec<String> {
    let mut out = Vec::new();
    let ty = root.get("type").and_then(Node::as_str);
    match format {
        ApiFormat::OpenAiChat => {
            for choice in items(root, "choices") {
                if let Some(delta) = choice.get("delta") {
                    for call in items(delta, "tool_calls") {
                        name_of(call.get("function").and_then(|f| f.get("name")), &mut out);
                    }
                    name_of(
                        delta.get("function_call").and_then(|f| f.get("name")),
                        &mut out,
                    );
                }
            }
        }
        ApiFormat::AnthropicMessages if ty == Some("content_block_start") => {
            let block = root.get("content_block");
            if block.and_then(|b| b.get("input")).is_some() {
                name_of(block.and_then(|b| b.get("name")), &mut out);
            }
        }
        ApiFormat::OpenAiResponses if ty == Some("response.output_item.added") => {
            name_of(root.get("item").and_then(|i| i.get("name")), &mut out);
        }
        ApiFormat::GeminiGenerateContent => gemini_calls(root, &mut out),
        _ => {}
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use guardrail_sdk::json::{parse, Limits};

    fn doc(v: serde_json::Value) -> Node {
        parse(v.to_string().as_bytes(), &Limits::default()).unwrap()
    }

    #[test]
    fn answers_name_their_calls() {
        use serde_json::json;
        let table = [
            (
                ApiFormat::OpenAiChat,
                json!({"choices": [{"message": {"role": "assistant", "content": null,
                "tool_calls": [{"id": "c", "type": "function", "function": {"name": "delete_repo", "arguments": "{}"}}]}}]}),
                vec!["delete_repo"],
            ),
            (
                ApiFormat::OpenAiChat,
                json!({"choices": [{"message": {"role": "assistant", "content": "hi"}}]}),
                vec![],
            ),
            (
                ApiFormat::AnthropicMessages,
                json!({"content": [{"type": "text", "text": "x"},
                {"type": "tool_use", "id": "t", "name": "shell", "input": {"cmd": "ls"}}]}),
                vec!["shell"],
            ),
            (
                ApiFormat::OpenAiResponses,
                json!({"output": [{"type": "message", "content": []},
                {"type": "function_call", "name": "rm", "arguments": "{}", "call_id": "c"}]}),
                vec!["rm"],
            ),
            (
                ApiFormat::GeminiGenerateContent,
                json!({"candidates": [{"content": {"parts": [
                {"functionCall": {"name": "delete_all", "args": {}}}]}}]}),
                vec!["delete_all"],
            ),
        ];
        for (format, v, want) in table {
            assert_eq!(
                called_in_answer(format, &doc(v.clone())),
                want,
                "{format:?} {v}"
            );
        }
    }

    #[test]
    fn stream_events_name_a_call_where_it_starts() {
        use serde_json::json;
        let table = [
            (
                ApiFormat::OpenAiChat,
                json!({"choices": [{"index": 0, "delta": {"tool_calls": [
                {"index": 0, "id": "c", "type": "function", "function": {"name": "shell", "arguments": ""}}]}}]}),
                vec!["shell"],
            ),
            (
                ApiFormat::OpenAiChat,
                json!({"choices": [{"index": 0, "delta": {"tool_calls": [
                {"index": 0, "function": {"arguments": "{\"cmd\""}}]}}]}),
                vec![],
            ),
            (
                ApiFormat::AnthropicMessages,
                json!({"type": "content_block_start", "index": 1,
                "content_block": {"type": "tool_use", "id": "t", "name": "shell", "input": {}}}),
                vec!["shell"],
            ),
            (
                ApiFormat::AnthropicMessages,
                json!({"type": "content_block_delta", "index": 1,
                "delta": {"type": "input_json_delta", "partial_json": "{\"cmd\""}}),
                vec![],
            ),
            (
                ApiFormat::OpenAiResponses,
                json!({"type": "response.output_item.added", "output_index": 1,
                "item": {"type": "function_call", "name": "rm", "arguments": ""}}),
                vec!["rm"],
            ),
            (
                ApiFormat::OpenAiResponses,
                json!({"type": "response.function_call_arguments.delta", "delta": "{"}),
                vec![],
            ),
            (
                ApiFormat::GeminiGenerateContent,
                json!({"candidates": [{"content": {"parts": [
                {"functionCall": {"name": "rm", "args": {"p": "/"}}}]}}]}),
                vec!["rm"],
            ),
        ];
        for (format, v, want) in table {
            assert_eq!(
                called_in_event(format, &doc(v.clone())),
                want,
                "{format:?} {v}"
            );
        }
    }
}
