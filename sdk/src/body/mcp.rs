//! mcp: MCP (Model Context Protocol, streamable HTTP transport) messages as segments. A POST
//! body, a JSON answer, or one SSE event's data is one JSON-RPC 2.0 message or a batch (a
//! non-empty array) of them; anything else on an MCP route is refused (400, fail closed).
//!
//! What the client sends: `tools/call` arguments (the model wrote them: `Trust::Model`),
//! `prompts/get` and `completion/complete` arguments (`Trust::User`), and its answers to the
//! server's requests (a `sampling/createMessage` result: `Trust::Model`; an elicitation
//! result: `Trust::User`). What the server sends - `tools/list` (tool names, descriptions,
//! input/output schemas), `tools/call` results (`content[]`, `structuredContent`),
//! `resources/read` and `prompts/get` results, its own requests (`sampling/createMessage`
//! messages and system prompt, `elicitation/create`), notifications and errors - is
//! `Role::Tool`/`Trust::Data`: a plugin raises it for a server the admin marked trusted.
//! A method this module does not read field by field: every string leaf under `params` (or
//! `result`) is a segment and the message is not `known`, so a plugin may let such messages
//! pass by config. Binary payloads (`blob`, base64 `data`) are never text.
//!
//! Refusals on an MCP route are JSON-RPC error responses carrying the request's `id` (one per
//! request of a batch), sent with the guardrail's HTTP status: [`error_response`].

use std::ops::Range;

use super::all_strings::is_binary_payload;
use super::segment::{field, index, Collector, Role, Trust};
use crate::json::{self, Json, Node};
use crate::write::{key, push_u64, string};
use crate::BodyError;

/// Which way a message travels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    /// Client to server (the POST body).
    Request,
    /// Server to client (the JSON answer or an SSE event).
    Answer,
}

/// What a JSON-RPC message is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RpcKind {
    /// A method call with an `id`.
    Request,
    /// A method call without an `id`.
    Notification,
    /// A `result` for an `id`.
    Result,
    /// An `error` for an `id`.
    Error,
}

/// One JSON-RPC message of a body.
#[derive(Debug, Clone, PartialEq)]
pub struct RpcMessage {
    /// Request, notification, result or error.
    pub kind: RpcKind,
    /// The method (requests and notifications).
    pub method: Option<String>,
    /// The raw bytes of the `id` value (absent for notifications).
    pub id: Option<Range<usize>>,
    /// Read field by field (a known method or result shape); false: every string was taken.
    pub known: bool,
    /// Its segments: indexes into the body's segment list.
    pub segments: Range<usize>,
    /// `tools/call`: the tool's name and the span of its string literal.
    pub tool: Option<(String, Range<usize>)>,
}

/// The JSON-RPC structure of an MCP body.
#[derive(Debug, Clone, PartialEq)]
pub struct Rpc {
    /// The body is an array of messages.
    pub batch: bool,
    /// Its messages, in order.
    pub messages: Vec<RpcMessage>,
}

impl Rpc {
    /// The message a segment (by index) belongs to.
    pub fn message_of(&self, segment: usize) -> Option<&RpcMessage> {
        self.messages.iter().find(|m| m.segments.contains(&segment))
    }
}

/// Methods whose parameters carry no text a model reads (client to server).
const QUIET_REQUESTS: &[&str] = &[
    "initialize",
    "ping",
    "tools/list",
    "prompts/list",
    "resources/list",
    "resources/templates/list",
    "resources/read",
    "resources/subscribe",
    "resources/unsubscribe",
    "logging/setLevel",
    "notifications/initialized",
    "notifications/roots/list_changed",
    "notifications/cancelled",
    "notifications/progress",
];

/// Server-sent methods read as data field by field (the rest: every string, not `known`).
const KNOWN_SERVER_METHODS: &[&str] = &[
    "sampling/createMessage",
    "elicitation/create",
    "roots/list",
    "ping",
    "notifications/message",
    "notifications/progress",
    "notifications/cancelled",
    "notifications/tools/list_changed",
    "notifications/prompts/list_changed",
    "notifications/resources/list_changed",
    "notifications/resources/updated",
];

fn invalid(message: String) -> BodyError {
    BodyError::bad_request("invalid_request", message)
}

/// Collect the segments of an MCP document (`root`) travelling `side`.
pub(crate) fn walk(root: &Node, side: Side, c: &mut Collector) -> Result<Rpc, BodyError> {
    match &root.value {
        Json::Object(_) => Ok(Rpc {
            batch: false,
            messages: vec![message(root, side, "", c)?],
        }),
        Json::Array(items) if !items.is_empty() => {
            let mut messages = Vec::with_capacity(items.len());
            for (i, item) in items.iter().enumerate() {
                messages.push(message(item, side, &index("", i), c)?);
            }
            Ok(Rpc {
                batch: true,
                messages,
            })
        }
        _ => Err(invalid(
            "an MCP body must be a JSON-RPC message or a non-empty batch".into(),
        )),
    }
}

fn message(m: &Node, side: Side, path: &str, c: &mut Collector) -> Result<RpcMessage, BodyError> {
    let at = if path.is_empty() { "the body" } else { path };
    if m.as_object().is_none() || m.get("jsonrpc").and_then(Node::as_str) != Some("2.0") {
        return Err(invalid(format!(
            "{at} is not a JSON-RPC 2.0 message (\"jsonrpc\": \"2.0\")"
        )));
    }
    let id = m.get("id").map(|n| n.span.clone());
    let start = c.segments.len();
    let mut tool = None;
    let (kind, method, known) = if let Some(method) = m.get("method") {
        let Some(method) = method.as_str() else {
            return Err(invalid(format!("{at}: method must be a string")));
        };
        let kind = match id {
            Some(_) => RpcKind::Request,
            None => RpcKind::Notification,
        };
        let params = m.get("params");
        let pp = field(path, "params");
        let known = match side {
            Side::Request => {
                if method == "tools/call" {
                    tool = params
                        .and_then(|p| p.get("name"))
                        .and_then(|n| match &n.value {
                            Json::String(s) => Some((s.clone(), n.span.clone())),
                            _ => None,
                        });
                }
                client_method(method, params, &pp, c)
            }
            Side::Answer => {
                leaves(params, Role::Tool, Trust::Data, &pp, c);
                KNOWN_SERVER_METHODS.contains(&method)
            }
        };
        (kind, Some(method.to_string()), known)
    } else if let Some(result) = m.get("result") {
        let rp = field(path, "result");
        let known = match side {
            Side::Request => client_result(result, &rp, c),
            Side::Answer => {
                leaves(Some(result), Role::Tool, Trust::Data, &rp, c);
                [
                    "tools",
                    "content",
                    "contents",
                    "messages",
                    "resources",
                    "prompts",
                ]
                .iter()
                .any(|k| result.get(k).is_some())
            }
        };
        (RpcKind::Result, None, known)
    } else if let Some(error) = m.get("error") {
        let (role, trust) = match side {
            Side::Request => (Role::User, Trust::User),
            Side::Answer => (Role::Tool, Trust::Data),
        };
        leaves(Some(error), role, trust, &field(path, "error"), c);
        (RpcKind::Error, None, true)
    } else {
        return Err(invalid(format!("{at} has no method, result or error")));
    };
    Ok(RpcMessage {
        kind,
        method,
        id,
        known,
        segments: start..c.segments.len(),
        tool,
    })
}

/// A client request's text; whether the method is read field by field.
fn client_method(method: &str, params: Option<&Node>, pp: &str, c: &mut Collector) -> bool {
    let p = |key: &str| params.and_then(|n| n.get(key));
    match method {
        "tools/call" => {
            leaves(
                p("arguments"),
                Role::Assistant,
                Trust::Model,
                &field(pp, "arguments"),
                c,
            );
            true
        }
        "prompts/get" => {
            leaves(
                p("arguments"),
                Role::User,
                Trust::User,
                &field(pp, "arguments"),
                c,
            );
            true
        }
        "completion/complete" => {
            leaves(
                p("argument"),
                Role::User,
                Trust::User,
                &field(pp, "argument"),
                c,
            );
            leaves(
                p("context"),
                Role::User,
                Trust::User,
                &field(pp, "context"),
                c,
            );
            true
        }
        m if QUIET_REQUESTS.contains(&m) => true,
        _ => {
            leaves(params, Role::User, Trust::User, pp, c);
            false
        }
    }
}

/// A client's answer to a server request (`sampling/createMessage`, `elicitation/create`,
/// `roots/list`); whether its shape is known.
fn client_result(result: &Node, rp: &str, c: &mut Collector) -> bool {
    let content = result.get("content");
    let cp = field(rp, "content");
    if result.get("role").is_some() && content.is_some() {
        // The client's model answered the server's sampling request.
        leaves(content, Role::Assistant, Trust::Model, &cp, c);
        true
    } else if result.get("action").is_some() {
        // Elicitation: what the user entered.
        leaves(content, Role::User, Trust::User, &cp, c);
        true
    } else if result.get("roots").is_some() {
        leaves(
            result.get("roots"),
            Role::User,
            Trust::User,
            &field(rp, "roots"),
            c,
        );
        true
    } else {
        leaves(Some(result), Role::User, Trust::User, rp, c);
        result.as_object().is_some_and(<[_]>::is_empty)
    }
}

/// Every string leaf under `node`, except binary payloads (`blob`, base64 `data`) and the
/// `type`/`mimeType` tags (never text). Iterative; the parser bounds the depth.
fn leaves(node: Option<&Node>, role: Role, trust: Trust, path: &str, c: &mut Collector) {
    let Some(node) = node else { return };
    let mut stack: Vec<(&Node, String)> = vec![(node, path.to_string())];
    while let Some((n, p)) = stack.pop() {
        match &n.value {
            Json::String(s) if !is_binary_payload(s) => c.string(Some(n), role, trust, &p),
            Json::Array(items) => {
                for (i, item) in items.iter().enumerate().rev() {
                    stack.push((item, index(&p, i)));
                }
            }
            Json::Object(members) => {
                for (k, v) in members.iter().rev() {
                    if !matches!(k.as_str(), "blob" | "type" | "mimeType") {
                        stack.push((v, field(&p, k)));
                    }
                }
            }
            _ => {}
        }
    }
}

/// The JSON-RPC error code for a guardrail refusal: -32700 for a body that is not JSON,
/// -32600 for one that is not a valid request, -32000 (server error) for every policy
/// refusal; `error.data` carries the HTTP status and the guardrail's code.
pub fn error_code(status: u16, code: &str) -> i64 {
    match (status, code) {
        (400, "invalid_json" | "invalid_utf8" | "duplicate_key" | "too_deep") => -32700,
        (400, "invalid_request") => -32600,
        _ => -32000,
    }
}

/// The ids to answer a refused body `raw` (travelling `side`) with. A client body: one per
/// request (a message with a method and an id). A server answer: one per response (a
/// `result`/`error` with an id); a server's own requests and notifications get none (their
/// ids are the server's, not the client's). `(batch, ids)`; a single message's id is `[id]`
/// (`None`: null); a body with no such message, or not JSON: `(false, [])`.
fn answer_ids(raw: &[u8], side: Side) -> (bool, Vec<Option<String>>) {
    let limits = json::Limits {
        max_bytes: raw.len().max(1),
        ..json::Limits::default()
    };
    let Ok(root) = json::parse(raw, &limits) else {
        return (false, Vec::new());
    };
    let id_of = |m: &Node| -> Option<Option<String>> {
        let id = m.get("id")?;
        match side {
            Side::Request => m.get("method").map(|_| ())?,
            Side::Answer if m.get("method").is_some() => return None,
            Side::Answer => m.get("result").or_else(|| m.get("error")).map(|_| ())?,
        }
        let text = raw.get(id.span.clone())?;
        // Ids are strings or numbers (JSON-RPC); anything else answers as null.
        match id.value {
            Json::String(_) | Json::Number(_) => {
                Some(Some(String::from_utf8_lossy(text).into_owned()))
            }
            _ => Some(None),
        }
    };
    match &root.value {
        Json::Array(items) => (true, items.iter().filter_map(id_of).collect()),
        _ => (false, id_of(&root).into_iter().collect()),
    }
}

/// `ids` as JSON-RPC error responses: an array for a batch, else the one object.
fn errors_for(
    batch: bool,
    ids: &[Option<String>],
    status: u16,
    code: &str,
    message: &str,
) -> Vec<u8> {
    let mut out = String::with_capacity(160 * ids.len() + 2);
    if batch {
        out.push('[');
    }
    for (i, id) in ids.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        error_object(&mut out, id.as_deref(), status, code, message);
    }
    if batch {
        out.push(']');
    }
    out.into_bytes()
}

/// The refusal of the MCP request body `raw`: a JSON-RPC error response with the request's
/// `id`, or (a batch) an array with one per request; one error with `id: null` when no id
/// can be told (not JSON, only notifications). `message` is the guardrail's fixed text,
/// never body text.
pub fn error_response(raw: &[u8], status: u16, code: &str, message: &str) -> Vec<u8> {
    match answer_ids(raw, Side::Request) {
        (batch, ids) if !ids.is_empty() => errors_for(batch, &ids, status, code, message),
        _ => errors_for(false, &[None], status, code, message),
    }
}

/// What replaces a withheld server message `raw` (a JSON answer or one SSE event's data): a
/// JSON-RPC error for each response it carries, with that response's id (the client's own
/// request id). `None` when it carries no response (a server request or notification, or not
/// JSON): it is dropped, nothing replaces it.
pub fn answer_error(raw: &[u8], status: u16, code: &str, message: &str) -> Option<Vec<u8>> {
    let (batch, ids) = answer_ids(raw, Side::Answer);
    (!ids.is_empty()).then(|| errors_for(batch, &ids, status, code, message))
}

/// One JSON-RPC error object (`id` is raw JSON: a number or a string literal; `None`: null).
pub(crate) fn error_object(
    out: &mut String,
    id: Option<&str>,
    status: u16,
    code: &str,
    message: &str,
) {
    out.push_str("{\"jsonrpc\":\"2.0\",\"id\":");
    out.push_str(id.unwrap_or("null"));
    out.push_str(",\"error\":{\"code\":");
    let rpc = error_code(status, code);
    out.push('-');
    push_u64(out, rpc.unsigned_abs());
    key(out, "message");
    string(out, message);
    out.push_str(",\"data\":{");
    key(out, "status");
    push_u64(out, u64::from(status));
    key(out, "code");
    string(out, code);
    out.push_str("}}}");
}

#[cfg(test)]
#[path = "mcp_tests.rs"]
mod tests;
