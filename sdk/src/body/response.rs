//! response: the text segments of a non-streamed provider answer (what the user will read)
//! and the token usage it reports. MCP answers: `mcp` (everything a server sends is data).

use super::mcp::{self, Rpc};
use super::segment::{field, index, items, Collector, Role, Segment, Trust};
use crate::json::{self, Node};
use crate::{ApiFormat, BodyError};

/// Token usage as the provider reported it, normalised across formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Usage {
    /// Prompt tokens.
    pub input_tokens: u64,
    /// Completion tokens.
    pub output_tokens: u64,
    /// Both (the provider's total, or their sum).
    pub total_tokens: u64,
}

impl Usage {
    /// Usage from a provider `usage` object (OpenAI `prompt_tokens`/`completion_tokens`,
    /// Responses and Anthropic `input_tokens`/`output_tokens`, Gemini `usageMetadata`).
    /// `None` when no count is present.
    pub fn from_node(node: &Node) -> Option<Usage> {
        let first = |keys: &[&str]| keys.iter().find_map(|k| node.get(k).and_then(Node::as_u64));
        let input = first(&["prompt_tokens", "input_tokens", "promptTokenCount"]);
        let output = first(&["completion_tokens", "output_tokens", "candidatesTokenCount"]);
        let total = first(&["total_tokens", "totalTokenCount"]);
        if input.is_none() && output.is_none() && total.is_none() {
            return None;
        }
        let (i, o) = (input.unwrap_or(0), output.unwrap_or(0));
        Some(Usage {
            input_tokens: i,
            output_tokens: o,
            total_tokens: total.unwrap_or(i.saturating_add(o)),
        })
    }
}

/// A parsed non-streamed answer.
#[derive(Debug, Clone, PartialEq)]
pub struct ResponseBody {
    /// The parsed answer.
    pub root: Node,
    /// Every text of the answer.
    pub segments: Vec<Segment>,
    /// The usage the answer reports, if any.
    pub usage: Option<Usage>,
    /// MCP: the JSON-RPC messages of the answer; `None` for other formats.
    pub rpc: Option<Rpc>,
}

/// Parse an answer of `format`. Every segment is `Role::Assistant`, `Trust::Model`.
pub fn parse_response(
    format: ApiFormat,
    raw: &[u8],
    limits: &json::Limits,
) -> Result<ResponseBody, BodyError> {
    let root = json::parse(raw, limits)?;
    let mut c = Collector::new();
    if format == ApiFormat::Mcp {
        let rpc = mcp::walk(&root, mcp::Side::Answer, &mut c)?;
        return Ok(ResponseBody {
            root,
            segments: c.segments,
            usage: None,
            rpc: Some(rpc),
        });
    }
    let (a, m) = (Role::Assistant, Trust::Model);
    let usage_key = if format == ApiFormat::GeminiGenerateContent {
        "usageMetadata"
    } else {
        "usage"
    };
    match format {
        ApiFormat::OpenAiChat | ApiFormat::OpenAiCompletions => {
            for (i, choice) in items(&root, "choices").iter().enumerate() {
                let p = index("choices", i);
                c.string(choice.get("text"), a, m, &field(&p, "text"));
                if let Some(msg) = choice.get("message") {
                    let mp = field(&p, "message");
                    c.leaves(msg.get("content"), a, m, &field(&mp, "content"));
                    c.string(msg.get("refusal"), a, m, &field(&mp, "refusal"));
                    for (k, call) in items(msg, "tool_calls").iter().enumerate() {
                        let cp = field(&index(&field(&mp, "tool_calls"), k), "function");
                        let args = call.get("function").and_then(|f| f.get("arguments"));
                        c.string(args, a, m, &field(&cp, "arguments"));
                    }
                }
            }
        }
        ApiFormat::OpenAiResponses => {
            for (i, item) in items(&root, "output").iter().enumerate() {
                let p = index("output", i);
                for (j, part) in items(item, "content").iter().enumerate() {
                    let pp = index(&field(&p, "content"), j);
                    c.string(part.get("text"), a, m, &field(&pp, "text"));
                    c.string(part.get("refusal"), a, m, &field(&pp, "refusal"));
                }
                c.string(item.get("arguments"), a, m, &field(&p, "arguments"));
            }
        }
        ApiFormat::AnthropicMessages => {
            for (i, block) in items(&root, "content").iter().enumerate() {
                let p = index("content", i);
                c.string(block.get("text"), a, m, &field(&p, "text"));
                c.leaves(block.get("input"), a, m, &field(&p, "input"));
            }
        }
        ApiFormat::GeminiGenerateContent => {
            for (i, cand) in items(&root, "candidates").iter().enumerate() {
                let p = field(&index("candidates", i), "content");
                if let Some(content) = cand.get("content") {
                    for (j, part) in items(content, "parts").iter().enumerate() {
                        let pp = index(&field(&p, "parts"), j);
                        c.string(part.get("text"), a, m, &field(&pp, "text"));
                        if let Some(call) = part.get("functionCall") {
                            c.leaves(call.get("args"), a, m, &field(&pp, "functionCall.args"));
                        }
                    }
                }
            }
        }
        ApiFormat::OpenAiEmbeddings | ApiFormat::Mcp => {}
        ApiFormat::Unknown => c.leaves(Some(&root), a, m, ""),
    }
    let usage = root.get(usage_key).and_then(Usage::from_node);
    Ok(ResponseBody {
        root,
        segments: c.segments,
        usage,
        rpc: None,
    })
}
