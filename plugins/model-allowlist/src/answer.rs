//! answer: the tool policy on the model's answer. A request that offered tools has its answer
//! followed (only then: a model calls only what it was offered, hosted tools included): a
//! non-streamed answer is buffered and a call of a disallowed tool replaces it with an error
//! in the provider's shape; a streamed answer goes on event by event, and the event that
//! starts a disallowed call (it names the tool before any argument delta) ends the stream with
//! an error event instead - nothing of that call's arguments is sent. The status line has
//! left by then, so it stays. An answer that cannot be read (not JSON, over the limit, an
//! event over 1 MiB, compressed) is withheld too (fail closed). On an MCP route a `tools/list`
//! answer (JSON or SSE) loses the tools the policy does not allow (`filter_tools_list`).

use crate::answer_tools::{called_in_answer, called_in_event};
use crate::tool_policy::{self, Refused};
use crate::{ModelAllowlist, Req};
use guardrail_sdk::host;
use guardrail_sdk::json::{self, Node};
use guardrail_sdk::plugin::{Answer, Chunk, Cx, Report, ResponseHead};
use guardrail_sdk::provider_error::{error_body, style_for};
use guardrail_sdk::response_plan::{plan, ResponsePlan};
use guardrail_sdk::sse::{error_event, with_data, SseEvent, SseParser};
use guardrail_sdk::verdict_log::{safe_token, Phase};
use guardrail_sdk::{ApiFormat, BodyError};

/// Largest SSE event followed.
const MAX_EVENT_BYTES: usize = 1024 * 1024;
const UNREADABLE: &str = "The answer could not be checked by the gateway's tool policy.";

impl ModelAllowlist {
    /// The answer's headers: follow it when the request offered tools.
    pub(crate) fn answer_head(&self, cx: &mut Cx<'_, Req>, response: &ResponseHead) -> Answer {
        if !cx.req.follow || response.refused {
            return Answer::Pass;
        }
        let ct = host::response_header("content-type");
        let ce = host::response_header("content-encoding");
        match plan(true, response.no_body, ct.as_deref(), ce.as_deref()) {
            ResponsePlan::Pass | ResponsePlan::Text => Answer::Pass,
            ResponsePlan::Json => {
                host::remove_response_header("content-length");
                Answer::Whole {
                    max_bytes: self.0.max_body_bytes,
                }
            }
            ResponsePlan::Stream => {
                cx.req.stream = Some(Box::new(SseParser::new(MAX_EVENT_BYTES)));
                host::remove_response_header("content-length");
                Answer::Chunks
            }
            ResponsePlan::Replace(err) => {
                unreadable_line(cx, &err);
                Answer::Replace(host::replace_answer(style_for(cx.head.format), &err))
            }
        }
    }

    /// The first disallowed call among `names`, if any.
    fn refused(&self, cx: &Cx<'_, Req>, names: Vec<String>) -> Option<Refused> {
        let (format, path) = (cx.head.format, &cx.req.path);
        let id = cx.head.identity.as_ref();
        names.into_iter().find_map(|tool| {
            let all = tool_policy::names(format, path, &tool);
            tool_policy::check(&self.0, path, id, &all)
                .err()
                .map(|why| Refused { tool, why })
        })
    }

    /// The error that replaces a withheld call, and its verdict line.
    fn withhold(&self, cx: &mut Cx<'_, Req>, refused: &Refused) -> Vec<u8> {
        let message = match safe_token(&refused.tool) {
            "<redacted>" => "The model called a tool that is not available.".to_string(),
            t => format!("The model called the tool `{t}`, which is not available."),
        };
        let line = cx
            .line(Phase::Response)
            .block(403)
            .rule(refused.why.rule())
            .extra_id("tool", &refused.tool);
        cx.report(Report::new(line).uncounted());
        error_body(style_for(cx.head.format), 403, "tool_not_allowed", &message)
    }

    /// The whole non-streamed answer.
    pub(crate) fn answer_whole(&self, cx: &mut Cx<'_, Req>, raw: &[u8]) -> Option<Vec<u8>> {
        let limits = json::Limits {
            max_bytes: self.0.max_body_bytes,
            ..json::Limits::default()
        };
        if cx.head.format == ApiFormat::Mcp {
            return self
                .mcp_list(cx, raw)
                .map_err(|e| self.answer_refused(cx, e))
                .unwrap_or_else(Some);
        }
        let root = match json::parse(raw, &limits) {
            Ok(root) => root,
            Err(e) => return Some(self.answer_refused(cx, BodyError::from(e))),
        };
        let names = called_in_answer(cx.head.format, &root);
        let refused = self.refused(cx, names)?;
        Some(self.withhold(cx, &refused))
    }

    /// The answer could not be buffered or read: withheld.
    pub(crate) fn answer_refused(&self, cx: &mut Cx<'_, Req>, err: BodyError) -> Vec<u8> {
        let err = BodyError::new(502, "response_not_scannable", err.message);
        unreadable_line(cx, &err);
        error_body(style_for(cx.head.format), 502, err.code, UNREADABLE)
    }

    /// One chunk of a streamed answer: complete events go on as they came until one starts
    /// a disallowed call.
    pub(crate) fn answer_chunk(&self, cx: &mut Cx<'_, Req>, chunk: &[u8], end: bool) -> Chunk {
        let format = cx.head.format;
        let Some(parser) = cx.req.stream.as_mut() else {
            return Chunk::Stop;
        };
        let mut events = parser.push(chunk);
        if end {
            events = events.and_then(|mut e| {
                e.extend(parser.finish()?);
                Ok(e)
            });
        }
        let events = match events {
            Ok(events) => events,
            Err(e) => {
                let err = BodyError::new(502, "response_not_scannable", format!("stream: {e}"));
                unreadable_line(cx, &err);
                let body = error_body(style_for(format), 502, err.code, UNREADABLE);
                return Chunk::End(error_event(&body));
            }
        };
        let mut out = Vec::new();
        for ev in events {
            if format == ApiFormat::Mcp {
                self.mcp_event(cx, ev, &mut out);
                continue;
            }
            let limits = json::Limits {
                max_bytes: MAX_EVENT_BYTES,
                ..json::Limits::default()
            };
            // Events that are not JSON (`[DONE]`, comments) start no call.
            let names = json::parse(ev.data.as_bytes(), &limits)
                .map(|root: Node| called_in_event(format, &root))
                .unwrap_or_default();
            if let Some(refused) = self.refused(cx, names) {
                let body = self.withhold(cx, &refused);
                out.extend_from_slice(&error_event(&body));
                return Chunk::End(out);
            }
            out.extend_from_slice(&ev.raw);
        }
        match end {
            true => Chunk::End(out),
            false => Chunk::Replace(out),
        }
    }
}

impl ModelAllowlist {
    /// An MCP answer with the disallowed tools taken out of its tool lists (`None`: as sent).
    fn mcp_list(&self, cx: &mut Cx<'_, Req>, raw: &[u8]) -> Result<Option<Vec<u8>>, BodyError> {
        let id = cx.head.identity.as_ref();
        let Some((out, removed)) = tool_policy::filter_tools_list(&self.0, &cx.req.path, id, raw)?
        else {
            return Ok(None);
        };
        let first = removed.first().map(String::as_str).unwrap_or("");
        let line = cx
            .line(Phase::Response)
            .verdict_name("rewrite")
            .rule(tool_policy::REMOVED_RULE)
            .extra_id("tool", first)
            .extra_number("tools_removed", removed.len() as i64);
        cx.report(Report::new(line).uncounted());
        Ok(Some(out))
    }

    /// One MCP SSE event: its tool lists filtered; an unreadable message is withheld.
    fn mcp_event(&self, cx: &mut Cx<'_, Req>, ev: SseEvent, out: &mut Vec<u8>) {
        if ev.data.trim().is_empty() {
            out.extend_from_slice(&ev.raw);
            return;
        }
        let data = match self.mcp_list(cx, ev.data.as_bytes()) {
            Ok(None) => {
                out.extend_from_slice(&ev.raw);
                return;
            }
            Ok(Some(data)) => data,
            Err(e) => self.answer_refused(cx, e),
        };
        if let Ok(data) = String::from_utf8(data) {
            out.extend_from_slice(&with_data(ev, data));
        }
    }
}

fn unreadable_line(cx: &mut Cx<'_, Req>, err: &BodyError) {
    let line = cx.line(Phase::Response).block(err.status).rule(err.code);
    cx.report(Report::new(line).uncounted());
}
