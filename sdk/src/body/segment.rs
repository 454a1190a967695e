//! segment: the unit every guardrail scans - one JSON string the model reads, with its role,
//! its trust level and a loggable path - and the helpers the format walkers share.

use std::ops::Range;

use crate::json::{Json, Node};

/// Who wrote a piece of text, as the provider API labels it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Role {
    /// `system`.
    System,
    /// `developer`.
    Developer,
    /// `user` (also unknown roles).
    User,
    /// `assistant` / `model`.
    Assistant,
    /// `tool` / `function` results.
    Tool,
}

impl Role {
    /// Role from an API's role string. Unknown roles are treated as the user (untrusted).
    pub fn from_api(role: &str) -> Role {
        match role {
            "system" => Role::System,
            "developer" => Role::Developer,
            "assistant" | "model" => Role::Assistant,
            "tool" | "function" | "ipython" => Role::Tool,
            _ => Role::User,
        }
    }

    /// The trust level of text written under this role.
    pub fn trust(self) -> Trust {
        match self {
            Role::System | Role::Developer => Trust::Trusted,
            Role::User => Trust::User,
            Role::Assistant => Trust::Model,
            Role::Tool => Trust::Data,
        }
    }

    /// Stable lowercase name for logs.
    pub fn name(self) -> &'static str {
        match self {
            Role::System => "system",
            Role::Developer => "developer",
            Role::User => "user",
            Role::Assistant => "assistant",
            Role::Tool => "tool",
        }
    }
}

/// The trust boundary a segment sits behind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Trust {
    /// System and developer instructions (the operator's own text).
    Trusted,
    /// What the end user typed.
    User,
    /// Assistant history and tool-call arguments the model produced.
    Model,
    /// Tool results, function outputs, retrieved documents: nobody vouches for them.
    Data,
}

impl Trust {
    /// Stable lowercase name for logs.
    pub fn name(self) -> &'static str {
        match self {
            Trust::Trusted => "trusted",
            Trust::User => "user",
            Trust::Model => "model",
            Trust::Data => "data",
        }
    }
}

/// One string the model reads.
#[derive(Debug, Clone, PartialEq)]
pub struct Segment {
    /// Who wrote it.
    pub role: Role,
    /// How far it is trusted (from the role and the field).
    pub trust: Trust,
    /// The unescaped text.
    pub text: String,
    /// The JSON string literal in the raw body, quotes included (what a rewrite replaces).
    pub span: Range<usize>,
    /// Where it sits, e.g. `messages[2].content[0].text`: safe to log (no body text).
    pub path: String,
}

/// Collects segments while a walker descends the document.
pub(crate) struct Collector {
    pub segments: Vec<Segment>,
}

impl Collector {
    pub fn new() -> Self {
        Collector {
            segments: Vec::new(),
        }
    }

    /// Adds `node` if it is a string.
    pub fn string(&mut self, node: Option<&Node>, role: Role, trust: Trust, path: &str) {
        if let Some(n) = node {
            if let Json::String(s) = &n.value {
                self.segments.push(Segment {
                    role,
                    trust,
                    text: s.clone(),
                    span: n.span.clone(),
                    path: path.to_string(),
                });
            }
        }
    }

    /// Adds every string leaf under `node` (object keys are not text the model is asked to
    /// follow, values are). Depth is bounded by the parser's limit.
    pub fn leaves(&mut self, node: Option<&Node>, role: Role, trust: Trust, path: &str) {
        let Some(n) = node else { return };
        match &n.value {
            Json::String(_) => self.string(Some(n), role, trust, path),
            Json::Array(items) => {
                for (i, item) in items.iter().enumerate() {
                    self.leaves(Some(item), role, trust, &index(path, i));
                }
            }
            Json::Object(members) => {
                for (k, v) in members {
                    self.leaves(Some(v), role, trust, &field(path, k));
                }
            }
            _ => {}
        }
    }

    /// A string, or an array of strings (prompt/input fields): other element types (token
    /// arrays) are not text.
    pub fn string_or_strings(&mut self, node: Option<&Node>, role: Role, path: &str) {
        let Some(n) = node else { return };
        match &n.value {
            Json::String(_) => self.string(Some(n), role, role.trust(), path),
            Json::Array(items) => {
                for (i, item) in items.iter().enumerate() {
                    self.string(Some(item), role, role.trust(), &index(path, i));
                }
            }
            _ => {}
        }
    }
}

/// `path.key` (or `key` at the root).
pub(crate) fn field(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_string()
    } else {
        format!("{path}.{key}")
    }
}

/// `path[i]`.
pub(crate) fn index(path: &str, i: usize) -> String {
    format!("{path}[{i}]")
}

/// The items of an array member (empty when absent or not an array).
pub(crate) fn items<'a>(node: &'a Node, key: &str) -> &'a [Node] {
    node.get(key).and_then(Node::as_array).unwrap_or(&[])
}

/// The role string of a message object, mapped.
pub(crate) fn role_of(message: &Node, default: Role) -> Role {
    message
        .get("role")
        .and_then(Node::as_str)
        .map(Role::from_api)
        .unwrap_or(default)
}
