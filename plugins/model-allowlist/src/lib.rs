//! model-allowlist: request-level policy on models, parameters and token caps, applied before
//! the prompt reaches the model. Pure logic lives in the sibling modules (natively tested);
//! this file is the `Plugin` impl the SDK's skeleton runs.

mod answer;
pub mod answer_tools;
pub mod config;
pub mod json_edit;
pub mod path_alias;
pub mod plan;
pub mod policy;
pub mod token_cap;
pub mod tool_policy;

#[cfg(test)]
mod plan_tests;

use config::Config;
use guardrail_sdk::host::{self, Stopwatch};
use guardrail_sdk::plugin::ResponseHead;
use guardrail_sdk::plugin::{Answer, Body, Chunk, Cx, NonJson, Outcome, Plugin, Refusal, Report};
use guardrail_sdk::verdict_log::{safe_token, Phase};
use guardrail_sdk::{ApiFormat, BodyError};
use plan::Deny;

pub struct ModelAllowlist(Config);

/// Per request: the path and the model it names (after aliasing); whether the answer is
/// followed for the tool policy, and its stream parser.
#[derive(Default)]
pub struct Req {
    path: String,
    path_model: Option<String>,
    follow: bool,
    stream: Option<Box<guardrail_sdk::sse::SseParser>>,
}

const FAILED: &str = "The gateway could not apply the model policy.";

impl Plugin for ModelAllowlist {
    const NAME: &'static str = "model-allowlist";
    const VERSION: &'static str = env!("CARGO_PKG_VERSION");
    type Request = Req;

    fn configure(raw: &[u8]) -> Result<Self, String> {
        Config::from_json(raw).map(ModelAllowlist)
    }

    fn max_body_bytes(&self) -> usize {
        self.0.max_body_bytes
    }

    fn identity_secret(&self) -> Option<&[u8]> {
        self.0.identity_secret.as_deref().map(str::as_bytes)
    }

    fn request_head(&self, cx: &mut Cx<'_, Req>) -> Outcome {
        let c = &self.0;
        cx.req.path = cx.head.path.clone();
        if c.require_identity && cx.head.identity.is_none() {
            let r = Refusal::new(403, "identity_required", "The caller is not identified.");
            return cx.block(r, "identity.missing");
        }
        match path_alias::apply(c, &cx.req.path) {
            Ok(None) => {}
            Ok(Some(found)) => {
                if let Some(new_path) = &found.new_path {
                    if !host::set_request_header(":path", new_path) {
                        let r = Refusal::new(500, "rewrite_failed", FAILED);
                        return cx.block(r, "path.rewrite_failed");
                    }
                }
                let id = cx.head.identity.as_ref();
                if let Err(refusal) = policy::check(c, &cx.req.path, id, &found.model) {
                    return refuse_model(cx, &found.model, refusal.rule());
                }
                cx.req.path_model = Some(found.model);
            }
            Err(err) => return cx.refuse(&err),
        }
        if cx.head.no_body {
            let post = cx.head.header(":method").as_deref() == Some("POST");
            if plan::names_model(cx.head.format) && cx.req.path_model.is_none() && post {
                let why = "the request has no body naming a model";
                return cx.refuse(&BodyError::bad_request("missing_model", why));
            }
            allow(cx, &[], &[], 0);
            return Outcome::Continue;
        }
        if let Err(err) = cx.head.json_body(NonJson::Refuse) {
            return cx.refuse(&err);
        }
        if tool_policy::active(c) && cx.head.format != ApiFormat::Unknown {
            // The answer may be followed for tool calls and MCP tool lists (`answer`): it must
            // come back readable.
            host::remove_request_header("accept-encoding");
            host::want_bodies(false, true);
        }
        // The body may be rewritten (alias, caps, stripped parameters): its length will change.
        host::remove_request_header("content-length");
        Outcome::Body
    }

    fn request_body(&self, cx: &mut Cx<'_, Req>, body: &mut Body<'_>) -> Outcome {
        let clock = Stopwatch::start();
        let (r, format) = (&*cx.req, cx.head.format);
        let id = cx.head.identity.as_ref();
        // Tools first: a removed definition is gone before the rest of the policy edits.
        let mut filtered = None;
        let mut removed = Vec::new();
        let mut follow = false;
        if tool_policy::active(&self.0) {
            match tool_policy::apply(&self.0, format, &r.path, id, body.raw) {
                Ok(Ok(out)) => {
                    follow = out.offered;
                    (filtered, removed) = (out.body, out.removed);
                }
                Ok(Err(refused)) => return refuse_tool(cx, &refused),
                Err(err) => return cx.refuse(&err),
            }
        }
        let path_model = r.path_model.clone();
        cx.req.follow = follow;
        let r = &*cx.req;
        if format == ApiFormat::Mcp {
            // JSON-RPC: no model, no provider parameters; the tool policy was all there is.
            allow(cx, &[], &removed, clock.elapsed_us());
            return Outcome::Continue;
        }
        let raw = filtered.as_deref().unwrap_or(body.raw);
        let result = plan::evaluate(&self.0, format, &r.path, path_model.as_deref(), id, raw);
        let micros = clock.elapsed_us();
        match result {
            Ok(plan) => {
                if let Some(new_body) = plan.body.as_ref().or(filtered.as_ref()) {
                    if !host::replace_request_body(body.raw.len(), new_body) {
                        let r = Refusal::new(500, "rewrite_failed", FAILED);
                        return cx.block(r, "body.rewrite_failed");
                    }
                }
                allow(cx, &plan.changes, &removed, micros);
                Outcome::Continue
            }
            Err(Deny::Body(err)) => cx.refuse(&err),
            Err(Deny::Model { model, refusal }) => refuse_model(cx, &model, refusal.rule()),
        }
    }

    fn body_refused(&self, cx: &mut Cx<'_, Req>, err: &BodyError) -> Outcome {
        cx.refuse(err)
    }

    fn response_head(&self, cx: &mut Cx<'_, Req>, response: &ResponseHead) -> Answer {
        self.answer_head(cx, response)
    }

    fn response_whole(&self, cx: &mut Cx<'_, Req>, raw: &[u8]) -> Option<Vec<u8>> {
        self.answer_whole(cx, raw)
    }

    fn response_refused(&self, cx: &mut Cx<'_, Req>, err: BodyError) -> Option<Vec<u8>> {
        Some(self.answer_refused(cx, err))
    }

    fn response_chunk(&self, cx: &mut Cx<'_, Req>, chunk: &[u8], end: bool) -> Chunk {
        self.answer_chunk(cx, chunk, end)
    }
}

fn allow(cx: &mut Cx<'_, Req>, changes: &[&'static str], removed: &[String], micros: u64) {
    let verdict = if changes.is_empty() && removed.is_empty() {
        "allow"
    } else {
        "rewrite"
    };
    let mut l = cx
        .line(Phase::Request)
        .verdict_name(verdict)
        .timing("evaluate", micros);
    for c in changes {
        l = l.rule(c);
    }
    if let Some(first) = removed.first() {
        // The tool names (ids, never arguments); the count when there are several.
        l = l
            .rule(tool_policy::REMOVED_RULE)
            .extra_id("tool", first)
            .extra_number("tools_removed", removed.len() as i64);
    }
    cx.report(Report::new(l).check_us(micros));
}

/// A refused tool: the verdict line names the tool (an id, `<redacted>` otherwise) and rule.
fn refuse_tool(cx: &mut Cx<'_, Req>, refused: &tool_policy::Refused) -> Outcome {
    let message = match safe_token(&refused.tool) {
        "<redacted>" => "The requested tool is not available.".to_string(),
        t => format!("The tool `{t}` is not available."),
    };
    let rule = refused.why.rule();
    let r = Refusal::new(403, "tool_not_allowed", message);
    let line = cx
        .line(Phase::Request)
        .block(r.status)
        .rule(rule)
        .extra_id("tool", &refused.tool);
    cx.report(Report::new(line));
    Outcome::Refuse(r)
}

fn refuse_model(cx: &mut Cx<'_, Req>, model: &str, rule: &str) -> Outcome {
    // The client's own model name is echoed only when it is a plain identifier; the policy
    // (lists, scopes) is never described.
    let message = match safe_token(model) {
        "<redacted>" => "The requested model is not available.".to_string(),
        m => format!("The model `{m}` is not available."),
    };
    cx.block(Refusal::new(403, "model_not_allowed", message), rule)
}

guardrail_sdk::main!(ModelAllowlist);
// The callbacks used; the others answer with the default, without entering the plugin
// (build.sh runs tools/wasm-trim; see the SDK's `callbacks`).
guardrail_sdk::callbacks!(
    request_headers,
    request_body,
    request_trailers,
    response_headers,
    response_body,
    response_trailers
);
