//! tool_policy: which tools a caller may offer the model and call, per route and key (the same
//! scopes as the model lists). Names are matched as sent and, on an MCP route `/mcp/{server}`,
//! also as `{server}__{tool}` (so one policy can name tools of several servers). Every matching
//! scope's `tools.deny` applies (deny beats allow); the `tools.allow` of the most specific
//! matching scope that has one decides. In a chat request a disallowed definition is removed
//! (its array rebuilt from the kept elements' bytes, everything else byte-identical) or the
//! request refused (`tools.on_definition: block`); a request left with no definition in an
//! array is refused (an empty `tools` is invalid for the providers). On an MCP route a
//! `tools/call` of a disallowed tool, or one whose arguments break an argument rule (glob
//! lists on a JSON path of `arguments`), is refused. Refusals name the tool and the rule,
//! never an argument value. Pure.

use std::ops::Range;

use crate::config::{Config, Scope};
use guardrail_sdk::body::{parse_request, tool_definitions};
use guardrail_sdk::config::{ConfigError, FromConfig, Value};
use guardrail_sdk::format::mcp_server;
use guardrail_sdk::glob;
use guardrail_sdk::identity::Identity;
use guardrail_sdk::json::{self, Json, Node, Splice};
use guardrail_sdk::{ApiFormat, BodyError};

/// Allow/deny globs over tool names.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ToolLists {
    pub allow: Vec<String>,
    pub deny: Vec<String>,
}

/// What happens to a disallowed tool definition in a chat request.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum OnDefinition {
    /// Removed from the request (the rest byte-identical).
    #[default]
    Remove,
    /// The request is refused.
    Block,
}

/// A rule on one argument of a tool call (MCP `tools/call`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ArgRule {
    /// Tool name glob.
    pub tool: String,
    /// Path into `arguments`: `a.b`, `items[0].url`.
    pub path: String,
    /// The value (a string, or a number/bool as written) must match one of these (if any).
    pub allow: Vec<String>,
    /// ... and none of these.
    pub deny: Vec<String>,
}

/// The global `tools` section.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ToolPolicy {
    pub lists: ToolLists,
    pub on_definition: OnDefinition,
    pub arguments: Vec<ArgRule>,
}

/// Longest argument path accepted in the config, and most rules.
const MAX_PATH: usize = 256;
const MAX_RULES: usize = 64;

impl FromConfig for ToolLists {
    fn from_config(v: &Value<'_>) -> Result<Self, ConfigError> {
        let o = v.object(&["allow", "deny"])?;
        Ok(ToolLists {
            allow: o.or_default("allow")?,
            deny: o.or_default("deny")?,
        })
    }
}

impl FromConfig for OnDefinition {
    fn from_config(v: &Value<'_>) -> Result<Self, ConfigError> {
        v.one_of(&[
            ("remove", OnDefinition::Remove),
            ("block", OnDefinition::Block),
        ])
    }
}

impl FromConfig for ArgRule {
    fn from_config(v: &Value<'_>) -> Result<Self, ConfigError> {
        let o = v.object(&["tool", "path", "allow", "deny"])?;
        Ok(ArgRule {
            tool: o.required("tool")?,
            path: o.required("path")?,
            allow: o.or_default("allow")?,
            deny: o.or_default("deny")?,
        })
    }
}

impl FromConfig for ToolPolicy {
    fn from_config(v: &Value<'_>) -> Result<Self, ConfigError> {
        let o = v.object(&["allow", "deny", "on_definition", "arguments"])?;
        Ok(ToolPolicy {
            lists: ToolLists {
                allow: o.or_default("allow")?,
                deny: o.or_default("deny")?,
            },
            on_definition: o.or_default("on_definition")?,
            arguments: o.or_default("arguments")?,
        })
    }
}

impl ToolPolicy {
    /// Check what the types cannot (the error names the field).
    pub fn validate(&self) -> Result<(), String> {
        if self.arguments.len() > MAX_RULES {
            return Err(format!("tools.arguments: at most {MAX_RULES} rules"));
        }
        for (i, r) in self.arguments.iter().enumerate() {
            if r.allow.is_empty() && r.deny.is_empty() {
                return Err(format!("tools.arguments[{i}]: needs allow or deny"));
            }
            if r.path.is_empty() || r.path.len() > MAX_PATH || steps(&r.path).is_none() {
                return Err(format!(
                    "tools.arguments[{i}].path: not a path like a.b[0].c"
                ));
            }
        }
        Ok(())
    }
}

/// Does the config say anything about tools?
pub fn active(config: &Config) -> bool {
    let t = &config.tools;
    !t.lists.allow.is_empty()
        || !t.lists.deny.is_empty()
        || !t.arguments.is_empty()
        || config
            .scopes
            .iter()
            .any(|s| !s.tools.allow.is_empty() || !s.tools.deny.is_empty())
}

/// The rule a rewrite that removed definitions names.
pub const REMOVED_RULE: &str = "tool.removed";

/// Why a tool is refused (the verdict log's rule id).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ToolRefusal {
    Denied,
    NotAllowed,
    Argument,
    NothingLeft,
}

impl ToolRefusal {
    pub fn rule(self) -> &'static str {
        match self {
            ToolRefusal::Denied => "tool.denied",
            ToolRefusal::NotAllowed => "tool.not_allowed",
            ToolRefusal::Argument => "tool.argument",
            ToolRefusal::NothingLeft => "tool.none_left",
        }
    }
}

/// The names a tool goes by on `path`: as sent, and `{server}__{name}` on `/mcp/{server}`.
pub fn names(format: ApiFormat, path: &str, name: &str) -> Vec<String> {
    let mut out = vec![name.to_string()];
    if format == ApiFormat::Mcp {
        if let Some(server) = mcp_server(path) {
            out.push(format!("{server}__{name}"));
        }
    }
    out
}

fn any(globs: &[String], names: &[String]) -> bool {
    globs
        .iter()
        .any(|g| names.iter().any(|n| glob::matches(g, n)))
}

fn applies(scope: &Scope, path: &str, id: Option<&Identity>) -> bool {
    crate::policy::scope_applies(scope, path, id)
}

/// Is a tool going by `names` allowed on `path` for `id`?
pub fn check(
    config: &Config,
    path: &str,
    id: Option<&Identity>,
    names: &[String],
) -> Result<(), ToolRefusal> {
    let path = path.split('?').next().unwrap_or("");
    let matching = || {
        std::iter::once((&config.tools.lists, 0)).chain(
            config
                .scopes
                .iter()
                .filter(|s| applies(s, path, id))
                .map(|s| (&s.tools, s.specificity())),
        )
    };
    if matching().any(|(l, _)| any(&l.deny, names)) {
        return Err(ToolRefusal::Denied);
    }
    let top = matching()
        .filter(|(l, _)| !l.allow.is_empty())
        .map(|(_, sp)| sp)
        .max();
    if let Some(top) = top {
        let ok = matching()
            .filter(|(l, sp)| !l.allow.is_empty() && *sp == top)
            .all(|(l, _)| any(&l.allow, names));
        if !ok {
            return Err(ToolRefusal::NotAllowed);
        }
    }
    Ok(())
}

/// One step of an argument path.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Step {
    Key(String),
    Index(usize),
}

/// `a.b[0].c` as steps; `None` when malformed.
fn steps(path: &str) -> Option<Vec<Step>> {
    let mut out = Vec::new();
    for part in path.split('.') {
        let (key, rest) = match part.find('[') {
            Some(i) => (part.get(..i)?, part.get(i..)?),
            None => (part, ""),
        };
        if (key.is_empty() && (out.is_empty() || rest.is_empty())) || key.contains(']') {
            return None;
        }
        if !key.is_empty() {
            out.push(Step::Key(key.to_string()));
        }
        let mut rest = rest;
        while let Some(r) = rest.strip_prefix('[') {
            let end = r.find(']')?;
            out.push(Step::Index(r.get(..end)?.parse().ok()?));
            rest = r.get(end + 1..)?;
        }
        if !rest.is_empty() {
            return None;
        }
    }
    Some(out)
}

/// The value at `path` under `node`, as text (strings unescaped, other scalars as written).
fn value_at<'a>(node: &'a Node, raw: &'a [u8], path: &str) -> Option<std::borrow::Cow<'a, str>> {
    let mut n = node;
    for step in steps(path)? {
        n = match step {
            Step::Key(k) => n.get(&k)?,
            Step::Index(i) => n.as_array()?.get(i)?,
        };
    }
    match &n.value {
        Json::String(s) => Some(std::borrow::Cow::Borrowed(s.as_str())),
        Json::Number(_) | Json::Bool(_) => {
            let text = raw.get(n.span.clone())?;
            Some(String::from_utf8_lossy(text))
        }
        _ => None,
    }
}

/// Do the `arguments` of a call to a tool going by `names` keep every argument rule?
pub fn arguments_ok(config: &Config, names: &[String], arguments: &Node, raw: &[u8]) -> bool {
    config
        .tools
        .arguments
        .iter()
        .filter(|r| names.iter().any(|n| glob::matches(&r.tool, n)))
        .all(|r| match value_at(arguments, raw, &r.path) {
            None => true, // absent: nothing to judge (the tool's schema requires it or not)
            Some(v) => {
                let v = [v.into_owned()];
                !any(&r.deny, &v) && (r.allow.is_empty() || any(&r.allow, &v))
            }
        })
}

/// What the tool policy did to a request.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Outcome {
    /// The body with disallowed definitions removed (`None`: unchanged).
    pub body: Option<Vec<u8>>,
    /// Names of the removed definitions.
    pub removed: Vec<String>,
    /// The request offers tools (after removal): its answer may call them.
    pub offered: bool,
}

/// A refusal: the tool's name and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refused {
    pub tool: String,
    pub why: ToolRefusal,
}

/// Apply the tool policy to a request body of `format` on `path` for `id`.
pub fn apply(
    config: &Config,
    format: ApiFormat,
    path: &str,
    id: Option<&Identity>,
    raw: &[u8],
) -> Result<Result<Outcome, Refused>, BodyError> {
    let limits = json::Limits {
        max_bytes: config.max_body_bytes,
        ..json::Limits::default()
    };
    if format != ApiFormat::Mcp {
        // Only `tools` is built: the messages are checked, never built, here.
        let root = json::parse_members(raw, &limits, &["tools"]).map_err(BodyError::from)?;
        return definitions(config, format, path, id, raw, &root);
    }
    let body = parse_request(format, raw, &limits)?;
    if let Some(rpc) = &body.rpc {
        for (i, m) in rpc.messages.iter().enumerate() {
            let Some((name, _)) = &m.tool else { continue };
            let all = names(format, path, name);
            if let Err(why) = check(config, path, id, &all) {
                return Ok(Err(Refused {
                    tool: name.clone(),
                    why,
                }));
            }
            let args = message_arguments(&body.root, rpc.batch.then_some(i));
            if let Some(args) = args {
                if !arguments_ok(config, &all, args, raw) {
                    let why = ToolRefusal::Argument;
                    return Ok(Err(Refused {
                        tool: name.clone(),
                        why,
                    }));
                }
            }
        }
        // A tools/list answer is filtered (`filter_tools_list`): follow it.
        let lists = rpc
            .messages
            .iter()
            .any(|m| m.method.as_deref() == Some("tools/list"));
        return Ok(Ok(Outcome {
            offered: lists,
            ..Outcome::default()
        }));
    }
    Ok(Ok(Outcome::default()))
}

/// A filtered tool list: the new bytes and the removed tools' names.
pub type Filtered = (Vec<u8>, Vec<String>);

/// An MCP server's answer (a JSON body or one SSE event's data) with the disallowed tools
/// taken out of every `tools/list` result (`result.tools`, the kept entries' bytes as sent);
/// `None` when nothing is removed. The removed names come with it.
pub fn filter_tools_list(
    config: &Config,
    path: &str,
    id: Option<&Identity>,
    raw: &[u8],
) -> Result<Option<Filtered>, BodyError> {
    let limits = json::Limits {
        max_bytes: config.max_body_bytes.max(raw.len()),
        ..json::Limits::default()
    };
    let root = json::parse(raw, &limits).map_err(BodyError::from)?;
    let messages: Vec<&Node> = match &root.value {
        Json::Array(items) => items.iter().collect(),
        _ => vec![&root],
    };
    let mut removed = Vec::new();
    let mut splices = Vec::new();
    for m in messages {
        let Some(tools) = m.get("result").and_then(|r| r.get("tools")) else {
            continue;
        };
        let items = tools.as_array().unwrap_or(&[]);
        let mut kept: Vec<&[u8]> = Vec::with_capacity(items.len());
        let before = removed.len();
        for t in items {
            let name = t.get("name").and_then(Node::as_str).unwrap_or("");
            let all = names(ApiFormat::Mcp, path, name);
            match check(config, path, id, &all) {
                Ok(()) => kept.extend(raw.get(t.span.clone())),
                Err(_) => removed.push(name.to_string()),
            }
        }
        if removed.len() > before {
            splices.push(array_of(tools, &kept));
        }
    }
    if splices.is_empty() {
        return Ok(None);
    }
    let out = json::apply_splices(raw, splices).map_err(BodyError::from)?;
    Ok(Some((out, removed)))
}

/// The chat formats' tool definitions under the policy: removed, or the request refused.
fn definitions(
    config: &Config,
    format: ApiFormat,
    path: &str,
    id: Option<&Identity>,
    raw: &[u8],
    root: &Node,
) -> Result<Result<Outcome, Refused>, BodyError> {
    let mut removed = Vec::new();
    let mut drop: Vec<Range<usize>> = Vec::new();
    let defs = tool_definitions(format, root);
    // Built-in (hosted) tools have no name and stay: the answer may still call them.
    let offered = !defs.is_empty();
    for def in defs {
        let Some((name, _)) = &def.name else { continue };
        if let Err(why) = check(config, path, id, &names(format, path, name)) {
            if config.tools.on_definition == OnDefinition::Block {
                return Ok(Err(Refused {
                    tool: name.clone(),
                    why,
                }));
            }
            removed.push(name.clone());
            drop.push(def.span.clone());
        }
    }
    if drop.is_empty() {
        return Ok(Ok(Outcome {
            offered,
            ..Outcome::default()
        }));
    }
    // Rebuild each array that lost an element from the bytes of the elements it keeps.
    let mut splices = Vec::new();
    for array in arrays(format, root) {
        let items = array.as_array().unwrap_or(&[]);
        if !items.iter().any(|n| drop.contains(&n.span)) {
            continue;
        }
        let kept: Vec<&[u8]> = items
            .iter()
            .filter(|n| !drop.contains(&n.span))
            .filter_map(|n| raw.get(n.span.clone()))
            .collect();
        if kept.is_empty() {
            let tool = removed.first().cloned().unwrap_or_default();
            let why = ToolRefusal::NothingLeft;
            return Ok(Err(Refused { tool, why }));
        }
        splices.push(array_of(array, &kept));
    }
    let out = json::apply_splices(raw, splices).map_err(BodyError::from)?;
    Ok(Ok(Outcome {
        body: Some(out),
        removed,
        offered,
    }))
}

/// The splice that replaces `array` by an array of the `kept` elements' bytes.
fn array_of(array: &Node, kept: &[&[u8]]) -> Splice {
    let mut with = b"[".to_vec();
    with.extend_from_slice(&kept.join(&b","[..]));
    with.push(b']');
    Splice {
        span: array.span.clone(),
        with,
    }
}

/// The arrays holding tool definitions (`tools`, Gemini's `functionDeclarations`).
fn arrays(format: ApiFormat, root: &Node) -> Vec<&Node> {
    let Some(tools) = root.get("tools") else {
        return Vec::new();
    };
    if format != ApiFormat::GeminiGenerateContent {
        return vec![tools];
    }
    let mut out = Vec::new();
    for t in tools.as_array().unwrap_or(&[]) {
        for key in ["functionDeclarations", "function_declarations"] {
            out.extend(t.get(key));
        }
    }
    out
}

/// The `params.arguments` of an MCP message (`index`: its place in a batch).
fn message_arguments(root: &Node, index: Option<usize>) -> Option<&Node> {
    let msg = match index {
        None => root,
        Some(i) => root.as_array()?.get(i)?,
    };
    msg.get("params")?.get("arguments")
}

#[cfg(test)]
#[path = "tool_policy_tests.rs"]
mod tests;
