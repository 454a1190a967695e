//! plan: everything the plugin decides about one request body, as a pure function: which model
//! (after aliases), whether policy allows it, parameter policy, token caps, and the rewritten
//! body (byte splices; untouched bytes stay as sent).

use guardrail_sdk::identity::Identity;
use guardrail_sdk::json::{self, apply_splices, quote, Json, Node, Splice};
use guardrail_sdk::{model_name, ApiFormat, BodyError};

use crate::config::Config;
use crate::json_edit::{member_insertion, member_removal};
use crate::policy::{self, Refusal};
use crate::token_cap::{clamp, CapAction, CapError};

/// The request may go on; `body` is set when it was rewritten.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    pub model: String,
    pub body: Option<Vec<u8>>,
    /// What was changed, as rule ids for the verdict log (`alias`, `tokens.clamped`, ...).
    pub changes: Vec<&'static str>,
}

/// The request is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Deny {
    /// 400/413 with the body error (malformed, missing model, parameter policy).
    Body(BodyError),
    /// 403: the model is not available to this caller.
    Model { model: String, refusal: Refusal },
}

impl From<BodyError> for Deny {
    fn from(e: BodyError) -> Self {
        Deny::Body(e)
    }
}

/// The model after aliasing (aliases match on the canonical form: `FAST` and ` fast` are the
/// alias `fast`).
pub fn resolve_alias<'a>(config: &'a Config, model: &'a str) -> &'a str {
    config
        .aliases
        .iter()
        .find(|(alias, _)| model_name::same(alias, model))
        .map(|(_, target)| target.as_str())
        .unwrap_or(model)
}

/// Formats whose requests must name a model, in the body or (Gemini, Azure, Vertex) in the
/// path (`guardrail_sdk::path`): as key-auth reads them, so both plugins refuse alike.
pub fn names_model(format: ApiFormat) -> bool {
    format.names_model()
}

/// Top-level objects whose members are read: `metadata` (required keys) and
/// `generationConfig` (Gemini's token cap).
const EXPANDED: &[&str] = &["metadata", "generationConfig"];

/// Decide for a complete request body. `path_model` is the (already aliased and checked)
/// model from the URL for Gemini/Azure/Bedrock.
pub fn evaluate(
    config: &Config,
    format: ApiFormat,
    path: &str,
    path_model: Option<&str>,
    id: Option<&Identity>,
    raw: &[u8],
) -> Result<Plan, Deny> {
    let limits = json::Limits {
        max_bytes: config.max_body_bytes,
        ..json::Limits::default()
    };
    // Only top-level fields (and the members of `EXPANDED`) matter here: the strict parse
    // (duplicate keys, UTF-8, depth) that builds nothing below them, so a body of many messages
    // or deep arrays costs about what one long string costs.
    let root = &json::parse_shallow(raw, &limits, EXPANDED).map_err(BodyError::from)?;
    if root.as_object().is_none() {
        return Err(BodyError::bad_request(
            "invalid_request",
            "request body must be a JSON object",
        )
        .into());
    }
    let mut splices = Vec::new();
    let mut changes = Vec::new();

    let model = match (root.get("model"), path_model) {
        (Some(node), _) => {
            let Json::String(asked) = &node.value else {
                return Err(bad("invalid_model", "`model` must be a string").into());
            };
            // Control, invisible and non-ASCII characters: 400, never matched or forwarded.
            model_name::canonical(asked).map_err(BodyError::from)?;
            let target = resolve_alias(config, asked);
            if target != asked {
                splices.push(Splice {
                    span: node.span.clone(),
                    with: quote(target).into_bytes(),
                });
                changes.push("model.alias");
            }
            target.to_string()
        }
        (None, Some(m)) => m.to_string(),
        (None, None) if names_model(format) => {
            return Err(bad("missing_model", "the request does not name a model").into())
        }
        (None, None) => String::new(),
    };
    if !model.is_empty() || names_model(format) {
        policy::check(config, path, id, &model).map_err(|refusal| Deny::Model {
            model: model.clone(),
            refusal,
        })?;
    }
    params(config, raw, root, &mut splices, &mut changes)?;
    if let Some(cap) = config.max_output_tokens {
        token_cap(
            format,
            root,
            cap,
            &config.params.strip,
            &mut splices,
            &mut changes,
        )?;
    }
    let body = if splices.is_empty() {
        None
    } else {
        Some(apply_splices(raw, splices).map_err(BodyError::from)?)
    };
    Ok(Plan {
        model,
        body,
        changes,
    })
}

fn bad(code: &'static str, message: impl Into<String>) -> BodyError {
    BodyError::bad_request(code, message)
}

fn params(
    config: &Config,
    raw: &[u8],
    root: &Node,
    splices: &mut Vec<Splice>,
    changes: &mut Vec<&'static str>,
) -> Result<(), BodyError> {
    let p = &config.params;
    for name in &p.deny {
        if root.get(name).is_some_and(|v| !v.is_null()) {
            return Err(bad(
                "parameter_not_allowed",
                format!("parameter `{name}` is not allowed on this route"),
            ));
        }
    }
    if let (Some(max), Some(n)) = (p.max_n, root.get("n")) {
        match n.as_u64() {
            Some(v) if v <= max => {}
            _ => {
                return Err(bad(
                    "parameter_not_allowed",
                    format!("`n` must be an integer <= {max}"),
                ))
            }
        }
    }
    if p.allow_stream == Some(false) && root.get("stream").and_then(Node::as_bool) == Some(true) {
        return Err(bad(
            "parameter_not_allowed",
            "streaming is not allowed on this route",
        ));
    }
    if !p.required_metadata.is_empty() {
        let meta = root.get("metadata");
        for key in &p.required_metadata {
            if meta.and_then(|m| m.get(key)).is_none() {
                return Err(bad(
                    "missing_metadata",
                    format!("`metadata.{key}` is required"),
                ));
            }
        }
    }
    for name in &p.strip {
        if let Some(span) = member_removal(raw, root, name) {
            splices.push(Splice {
                span,
                with: Vec::new(),
            });
            changes.push("param.stripped");
        }
    }
    Ok(())
}

/// (object holding the fields, field names to clamp, field to insert, whether to create the
/// holder object under `root` when absent).
fn token_fields(format: ApiFormat) -> Option<(Option<&'static str>, &'static [&'static str])> {
    match format {
        ApiFormat::OpenAiChat => Some((None, &["max_completion_tokens", "max_tokens"])),
        ApiFormat::OpenAiCompletions | ApiFormat::AnthropicMessages => {
            Some((None, &["max_tokens"]))
        }
        ApiFormat::OpenAiResponses => Some((None, &["max_output_tokens"])),
        ApiFormat::GeminiGenerateContent => Some((Some("generationConfig"), &["maxOutputTokens"])),
        ApiFormat::OpenAiEmbeddings | ApiFormat::Mcp | ApiFormat::Unknown => None,
    }
}

fn token_cap(
    format: ApiFormat,
    root: &Node,
    cap: u64,
    stripped: &[String],
    splices: &mut Vec<Splice>,
    changes: &mut Vec<&'static str>,
) -> Result<(), BodyError> {
    let Some((holder_key, fields)) = token_fields(format) else {
        return Ok(());
    };
    let holder = match holder_key {
        None => Some(root),
        Some(k) => match root.get(k) {
            Some(h) if h.as_object().is_some() => Some(h),
            Some(_) => return Err(bad("invalid_request", format!("`{k}` must be an object"))),
            None => None,
        },
    };
    let primary = fields.first().copied().unwrap_or("max_tokens");
    let Some(holder) = holder else {
        // Gemini without generationConfig: add the whole object.
        if let Some(k) = holder_key {
            let value = format!("{{{}:{cap}}}", quote(primary));
            splices.extend(member_insertion(root, k, &value));
            changes.push("tokens.inserted");
        }
        return Ok(());
    };
    let mut present = false;
    for field in fields.iter().copied() {
        if holder_key.is_none() && stripped.iter().any(|s| s == field) {
            continue;
        }
        let Some(node) = holder.get(field) else {
            continue;
        };
        present = true;
        let action = match &node.value {
            Json::Null => CapAction::Replace(cap),
            Json::Number(n) => clamp(Some(n), cap).map_err(|e| cap_error(field, e))?,
            _ => return Err(cap_error(field, CapError::NotANonNegativeInteger)),
        };
        if let CapAction::Replace(v) = action {
            splices.push(Splice {
                span: node.span.clone(),
                with: v.to_string().into_bytes(),
            });
            changes.push("tokens.clamped");
        }
    }
    if !present {
        splices.extend(member_insertion(holder, primary, &cap.to_string()));
        changes.push("tokens.inserted");
    }
    Ok(())
}

fn cap_error(field: &str, e: CapError) -> BodyError {
    let why = match e {
        CapError::NotANonNegativeInteger => "must be a non-negative integer",
        CapError::TooLarge => "is too large",
    };
    bad("invalid_parameter", format!("`{field}` {why}"))
}
