//! request: every text segment of a provider request body (OpenAI chat/completions/responses/
//! embeddings, Anthropic messages, Gemini generateContent), with its role and trust.

use std::ops::Range;

use super::mcp::{self, Rpc};
use super::segment::{field, index, items, role_of, Collector, Role, Segment, Trust};
use super::tools;
use crate::json::{self, Json, Node};
use crate::{ApiFormat, BodyError};

/// A parsed request body.
#[derive(Debug, Clone, PartialEq)]
pub struct RequestBody {
    /// The format the body was parsed as.
    pub format: ApiFormat,
    /// The document. The top-level members the format's model reads (`read_members`) are
    /// built in full, as are top-level strings, numbers, booleans and nulls; other top-level
    /// arrays and objects are `Json::Skipped` (checked as strictly, not built). `Unknown`
    /// bodies are built in full.
    pub root: Node,
    /// The `model` member and the span of its string literal (absent for Gemini: in the path).
    pub model: Option<(String, Range<usize>)>,
    /// `"stream": true`.
    pub stream: bool,
    /// Every text the model reads, in document order.
    pub segments: Vec<Segment>,
    /// MCP: the JSON-RPC messages (ids, methods, tool names); `None` for other formats.
    pub rpc: Option<Rpc>,
}

/// The top-level members a format's model reads (besides `model` and `stream`, which are
/// scalars): the only ones built in full. `None`: every member (`Unknown` reads all leaves).
fn read_members(format: ApiFormat) -> Option<&'static [&'static str]> {
    Some(match format {
        ApiFormat::OpenAiChat => &["tools", "messages"],
        ApiFormat::OpenAiCompletions => &["prompt", "suffix"],
        ApiFormat::OpenAiEmbeddings => &["input"],
        ApiFormat::OpenAiResponses => &["tools", "instructions", "input"],
        ApiFormat::AnthropicMessages => &["tools", "system", "messages"],
        ApiFormat::GeminiGenerateContent => &[
            "tools",
            "systemInstruction",
            "system_instruction",
            "contents",
        ],
        ApiFormat::Mcp | ApiFormat::Unknown => return None,
    })
}

/// Parse a request body of `format`. A body that is not a JSON object is refused (400). Only
/// the members the model reads are built (see `RequestBody::root`): a deep or wide tree in a
/// member no model reads (`metadata`, `response_format`) costs a strict check, not a tree.
pub fn parse_request(
    format: ApiFormat,
    raw: &[u8],
    limits: &json::Limits,
) -> Result<RequestBody, BodyError> {
    let root = match read_members(format) {
        Some(read) => json::parse_members(raw, limits, read)?,
        None => json::parse(raw, limits)?,
    };
    model_of(format, root)
}

/// The body model of a parsed document (`root` needs the members `read_members` names).
pub(super) fn model_of(format: ApiFormat, root: Node) -> Result<RequestBody, BodyError> {
    if format == ApiFormat::Mcp {
        let mut c = Collector::new();
        let rpc = mcp::walk(&root, mcp::Side::Request, &mut c)?;
        return Ok(RequestBody {
            format,
            root,
            model: None,
            stream: false,
            segments: c.segments,
            rpc: Some(rpc),
        });
    }
    if root.as_object().is_none() {
        return Err(BodyError::bad_request(
            "invalid_request",
            "request body must be a JSON object",
        ));
    }
    let model = root.get("model").and_then(|m| match &m.value {
        Json::String(s) => Some((s.clone(), m.span.clone())),
        _ => None,
    });
    let stream = root.get("stream").and_then(Node::as_bool) == Some(true);
    let mut c = Collector::new();
    match format {
        ApiFormat::OpenAiChat => openai_chat(&root, &mut c),
        ApiFormat::OpenAiCompletions => {
            c.string_or_strings(root.get("prompt"), Role::User, "prompt");
            c.string(root.get("suffix"), Role::User, Trust::User, "suffix");
        }
        ApiFormat::OpenAiEmbeddings => {
            c.string_or_strings(root.get("input"), Role::User, "input");
        }
        ApiFormat::OpenAiResponses => openai_responses(&root, &mut c),
        ApiFormat::AnthropicMessages => anthropic(&root, &mut c),
        ApiFormat::GeminiGenerateContent => gemini(&root, &mut c),
        ApiFormat::Unknown | ApiFormat::Mcp => c.leaves(Some(&root), Role::User, Trust::User, ""),
    }
    Ok(RequestBody {
        format,
        root,
        model,
        stream,
        segments: c.segments,
        rpc: None,
    })
}

/// OpenAI content: a string, or parts (`text`/`input_text`); media parts carry no text.
fn openai_content(node: Option<&Node>, role: Role, trust: Trust, path: &str, c: &mut Collector) {
    let Some(n) = node else { return };
    match &n.value {
        Json::String(_) => c.string(Some(n), role, trust, path),
        Json::Array(parts) => {
            for (j, part) in parts.iter().enumerate() {
                let pp = index(path, j);
                match part.get("type").and_then(Node::as_str) {
                    Some("image_url" | "input_image" | "input_audio" | "image" | "file") => {}
                    Some("text" | "input_text" | "output_text" | "refusal") | None
                        if part.get("text").is_some() =>
                    {
                        c.string(part.get("text"), role, trust, &field(&pp, "text"))
                    }
                    _ => c.leaves(Some(part), role, trust, &pp),
                }
            }
        }
        _ => {}
    }
}

fn openai_chat(root: &Node, c: &mut Collector) {
    tools::tool_segments(ApiFormat::OpenAiChat, root, c);
    for (i, m) in items(root, "messages").iter().enumerate() {
        let p = index("messages", i);
        let role = role_of(m, Role::User);
        openai_content(
            m.get("content"),
            role,
            role.trust(),
            &field(&p, "content"),
            c,
        );
        c.string(m.get("refusal"), role, role.trust(), &field(&p, "refusal"));
        for (k, call) in items(m, "tool_calls").iter().enumerate() {
            let cp = field(&index(&field(&p, "tool_calls"), k), "function");
            let args = call.get("function").and_then(|f| f.get("arguments"));
            c.string(args, role, Trust::Model, &field(&cp, "arguments"));
        }
        if let Some(fc) = m.get("function_call") {
            c.string(
                fc.get("arguments"),
                role,
                Trust::Model,
                &field(&field(&p, "function_call"), "arguments"),
            );
        }
    }
}

fn openai_responses(root: &Node, c: &mut Collector) {
    tools::tool_segments(ApiFormat::OpenAiResponses, root, c);
    c.string(
        root.get("instructions"),
        Role::Developer,
        Trust::Trusted,
        "instructions",
    );
    let Some(input) = root.get("input") else {
        return;
    };
    match &input.value {
        Json::String(_) => c.string(Some(input), Role::User, Trust::User, "input"),
        Json::Array(list) => {
            for (i, item) in list.iter().enumerate() {
                let p = index("input", i);
                match item.get("type").and_then(Node::as_str) {
                    Some(
                        "function_call_output" | "computer_call_output" | "custom_tool_call_output",
                    ) => c.leaves(
                        item.get("output"),
                        Role::Tool,
                        Trust::Data,
                        &field(&p, "output"),
                    ),
                    Some("function_call" | "custom_tool_call") => {
                        c.string(
                            item.get("arguments"),
                            Role::Assistant,
                            Trust::Model,
                            &field(&p, "arguments"),
                        );
                        c.string(
                            item.get("input"),
                            Role::Assistant,
                            Trust::Model,
                            &field(&p, "input"),
                        );
                    }
                    Some("message") | None if item.get("content").is_some() => {
                        let role = role_of(item, Role::User);
                        openai_content(
                            item.get("content"),
                            role,
                            role.trust(),
                            &field(&p, "content"),
                            c,
                        )
                    }
                    Some("reasoning" | "item_reference") => {}
                    // An item type we do not model: every string is scanned as untrusted data.
                    _ => c.leaves(Some(item), Role::Tool, Trust::Data, &p),
                }
            }
        }
        _ => {}
    }
}

/// Anthropic content: a string or blocks.
fn anthropic_content(node: Option<&Node>, role: Role, trust: Trust, path: &str, c: &mut Collector) {
    let Some(n) = node else { return };
    match &n.value {
        Json::String(_) => c.string(Some(n), role, trust, path),
        Json::Array(blocks) => {
            for (j, b) in blocks.iter().enumerate() {
                let bp = index(path, j);
                match b.get("type").and_then(Node::as_str) {
                    Some("text") => c.string(b.get("text"), role, trust, &field(&bp, "text")),
                    Some("tool_use" | "server_tool_use") => {
                        c.leaves(b.get("input"), role, Trust::Model, &field(&bp, "input"))
                    }
                    Some("tool_result" | "web_search_tool_result") => anthropic_content(
                        b.get("content"),
                        Role::Tool,
                        Trust::Data,
                        &field(&bp, "content"),
                        c,
                    ),
                    Some("document") => {
                        let src = b.get("source");
                        if src.and_then(|s| s.get("type")).and_then(Node::as_str) == Some("text") {
                            let sp = field(&field(&bp, "source"), "data");
                            c.string(
                                src.and_then(|s| s.get("data")),
                                Role::Tool,
                                Trust::Data,
                                &sp,
                            );
                        } else {
                            anthropic_content(
                                src.and_then(|s| s.get("content")),
                                Role::Tool,
                                Trust::Data,
                                &field(&field(&bp, "source"), "content"),
                                c,
                            );
                        }
                    }
                    Some("image" | "thinking" | "redacted_thinking") => {}
                    _ => c.leaves(Some(b), role, trust, &bp),
                }
            }
        }
        _ => {}
    }
}

fn anthropic(root: &Node, c: &mut Collector) {
    tools::tool_segments(ApiFormat::AnthropicMessages, root, c);
    anthropic_content(
        root.get("system"),
        Role::System,
        Trust::Trusted,
        "system",
        c,
    );
    for (i, m) in items(root, "messages").iter().enumerate() {
        let p = index("messages", i);
        let role = role_of(m, Role::User);
        anthropic_content(
            m.get("content"),
            role,
            role.trust(),
            &field(&p, "content"),
            c,
        );
    }
}

/// Gemini parts of one content object.
fn gemini_parts(content: &Node, role: Role, path: &str, c: &mut Collector) {
    for (j, part) in items(content, "parts").iter().enumerate() {
        let pp = index(&field(path, "parts"), j);
        if part.get("text").is_some() {
            c.string(part.get("text"), role, role.trust(), &field(&pp, "text"));
        } else if let Some(call) = part.get("functionCall") {
            c.leaves(
                call.get("args"),
                role,
                Trust::Model,
                &field(&field(&pp, "functionCall"), "args"),
            );
        } else if let Some(resp) = part.get("functionResponse") {
            let rp = field(&field(&pp, "functionResponse"), "response");
            c.leaves(resp.get("response"), Role::Tool, Trust::Data, &rp);
        }
    }
}

fn gemini(root: &Node, c: &mut Collector) {
    tools::tool_segments(ApiFormat::GeminiGenerateContent, root, c);
    for key in ["systemInstruction", "system_instruction"] {
        if let Some(sys) = root.get(key) {
            gemini_parts(sys, Role::System, key, c);
        }
    }
    for (i, content) in items(root, "contents").iter().enumerate() {
        let p = index("contents", i);
        let role = role_of(content, Role::User);
        gemini_parts(content, role, &p, c);
    }
}
