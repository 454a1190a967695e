//! mcp_answer: what an MCP server answers is data - tool lists (descriptions, schemas), tool
//! results, resources, prompts, its own sampling requests - and is scanned under the data
//! policy before the client (and its model) reads it (`mcp.scan_answers`, default on). A JSON
//! answer is buffered whole; an SSE answer is followed event by event (each event is one
//! JSON-RPC message, passed on only once complete and judged). A withheld response becomes a
//! JSON-RPC error carrying its own id (the client's request id); a withheld server request or
//! notification is dropped (its id is the server's). The status line has left by then, so it
//! stays; nothing of the withheld message reaches the client. An answer that cannot be read
//! (not JSON-RPC, over `mcp.max_answer_bytes`, an event over the limit) is withheld too.
//! A plain-text answer (`text/*`) is no JSON-RPC message and passes.

use crate::config::Action as Mode;
use crate::policy::{self, Outcome};
use crate::tool_scan;
use crate::{InjectionGuard, C};
use guardrail_sdk::body::mcp::answer_error;
use guardrail_sdk::body::parse_response;
use guardrail_sdk::host::{self, Stopwatch};
use guardrail_sdk::json;
use guardrail_sdk::plugin::{Answer, Chunk, Report, ResponseHead};
use guardrail_sdk::provider_error::{error_body, ErrorStyle};
use guardrail_sdk::response_plan::{plan, ResponsePlan};
use guardrail_sdk::sse::{error_event, with_data, SseEvent, SseParser};
use guardrail_sdk::verdict_log::Phase;
use guardrail_sdk::BodyError;

/// Largest SSE event followed (bytes up to its blank line).
const MAX_EVENT_BYTES: usize = 1024 * 1024;
const WITHHELD: &str =
    "The MCP server's answer was withheld by the gateway's prompt-injection policy.";
const UNREADABLE: &str = "The MCP server's answer could not be checked by the gateway.";

/// The verdict on one server message.
enum Judged {
    /// Nothing reached a threshold (or the flag/review level: logged, passed).
    Pass(Option<Outcome>),
    /// Withheld by the policy.
    Withhold(Outcome),
    /// Not a JSON-RPC message the SDK reads.
    Unreadable(BodyError),
}

impl InjectionGuard {
    /// The answer's headers on an MCP route.
    pub(crate) fn mcp_head(&self, cx: C<'_, '_>, response: &ResponseHead) -> Answer {
        let mcp = &self.config.mcp;
        if !mcp.scan_answers || response.refused {
            return Answer::Pass;
        }
        let ct = host::response_header("content-type");
        let ce = host::response_header("content-encoding");
        match plan(true, response.no_body, ct.as_deref(), ce.as_deref()) {
            ResponsePlan::Pass | ResponsePlan::Text => Answer::Pass,
            ResponsePlan::Json => {
                host::want_bodies(false, true);
                host::remove_response_header("content-length");
                Answer::Whole {
                    max_bytes: mcp.max_answer_bytes,
                }
            }
            ResponsePlan::Stream => {
                cx.req.stream = Some(Box::new(SseParser::new(MAX_EVENT_BYTES)));
                host::want_bodies(false, true);
                host::remove_response_header("content-length");
                Answer::Chunks
            }
            ResponsePlan::Replace(err) => {
                self.log_mcp(cx, None, Some(&err), 0);
                Answer::Replace(host::replace_answer(ErrorStyle::JsonRpc, &err))
            }
        }
    }

    /// Judge one server message (a JSON answer or an SSE event's data).
    fn judge(&self, cx: C<'_, '_>, raw: &[u8]) -> Judged {
        let limits = json::Limits {
            max_bytes: self
                .config
                .mcp
                .max_answer_bytes
                .max(raw.len().min(MAX_EVENT_BYTES)),
            ..json::Limits::default()
        };
        let format = cx.head.format;
        let body = match parse_response(format, raw, &limits) {
            Ok(body) => body,
            Err(err) => return Judged::Unreadable(err),
        };
        let head = cx.head;
        let trusted = tool_scan::tools_trusted(&self.config, &head.path, head.identity.as_ref());
        let segments =
            tool_scan::scan_segments(&self.config, &body.segments, body.rpc.as_ref(), trusted);
        let mut outcome = policy::evaluate_cached(
            &self.config,
            &self.detector,
            &segments,
            cx.req.system_trusted,
            head.identity.as_ref().map(|id| id.app.as_str()),
            &|| 0,
            Some(&self.cache),
        );
        tool_scan::add_tool_findings(&self.config, &segments, &mut outcome);
        match outcome.action {
            Mode::Block => Judged::Withhold(outcome),
            Mode::Off => Judged::Pass(None),
            Mode::Flag | Mode::Review => Judged::Pass(Some(outcome)),
        }
    }

    /// What replaces a withheld message: errors for the responses it carries (empty: dropped).
    fn replacement(&self, raw: &[u8], status: u16, code: &str, message: &str) -> Vec<u8> {
        answer_error(raw, status, code, message).unwrap_or_default()
    }

    /// The whole JSON answer: replaced when withheld.
    pub(crate) fn mcp_whole(&self, cx: C<'_, '_>, raw: &[u8]) -> Option<Vec<u8>> {
        let watch = Stopwatch::start();
        let config = &self.config;
        match self.judge(cx, raw) {
            Judged::Pass(flagged) => {
                if let Some(outcome) = flagged {
                    self.log_mcp(cx, Some(&outcome), None, watch.elapsed_us());
                }
                None
            }
            Judged::Withhold(outcome) => {
                self.log_mcp(cx, Some(&outcome), None, watch.elapsed_us());
                let (status, code) = (config.block_status, config.block_code.as_str());
                let body = self.replacement(raw, status, code, WITHHELD);
                Some(match body.is_empty() {
                    true => error_body(ErrorStyle::JsonRpc, status, code, WITHHELD),
                    false => body,
                })
            }
            Judged::Unreadable(err) => {
                let err = BodyError::new(502, "response_not_scannable", err.message);
                self.log_mcp(cx, None, Some(&err), watch.elapsed_us());
                Some(error_body(ErrorStyle::JsonRpc, 502, err.code, UNREADABLE))
            }
        }
    }

    /// The answer was over `mcp.max_answer_bytes`: withheld.
    pub(crate) fn mcp_refused(&self, cx: C<'_, '_>, mut err: BodyError) -> Option<Vec<u8>> {
        err.status = 502;
        err.code = "response_not_scannable";
        self.log_mcp(cx, None, Some(&err), 0);
        Some(error_body(ErrorStyle::JsonRpc, 502, err.code, UNREADABLE))
    }

    /// One chunk of an SSE answer: complete events go on as they came, judged one by one.
    pub(crate) fn mcp_chunk(&self, cx: C<'_, '_>, chunk: &[u8], end: bool) -> Chunk {
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
                self.log_mcp(cx, None, Some(&err), 0);
                let body = error_body(ErrorStyle::JsonRpc, 502, err.code, UNREADABLE);
                return Chunk::End(error_event(&body));
            }
        };
        let mut out = Vec::new();
        for ev in events {
            self.mcp_event(cx, ev, &mut out);
        }
        match end {
            true => Chunk::End(out),
            false => Chunk::Replace(out),
        }
    }

    /// Judge one event and write what goes on in its place.
    fn mcp_event(&self, cx: C<'_, '_>, ev: SseEvent, out: &mut Vec<u8>) {
        if ev.data.trim().is_empty() {
            out.extend_from_slice(&ev.raw); // priming / keep-alive events carry no message
            return;
        }
        let watch = Stopwatch::start();
        let config = &self.config;
        let data = ev.data.as_bytes();
        let (status, code, message) = match self.judge(cx, data) {
            Judged::Pass(flagged) => {
                if let Some(outcome) = flagged {
                    self.log_mcp(cx, Some(&outcome), None, watch.elapsed_us());
                }
                out.extend_from_slice(&ev.raw);
                return;
            }
            Judged::Withhold(outcome) => {
                self.log_mcp(cx, Some(&outcome), None, watch.elapsed_us());
                (config.block_status, config.block_code.as_str(), WITHHELD)
            }
            Judged::Unreadable(err) => {
                let err = BodyError::new(502, "response_not_scannable", err.message);
                self.log_mcp(cx, None, Some(&err), watch.elapsed_us());
                (502, "response_not_scannable", UNREADABLE)
            }
        };
        let body = self.replacement(data, status, code, message);
        if body.is_empty() {
            return; // a server request or notification: dropped
        }
        if let Ok(data) = String::from_utf8(body) {
            out.extend_from_slice(&with_data(ev, data));
        }
    }

    /// The response-phase verdict line of an MCP answer (rules, segment paths; never text).
    fn log_mcp(&self, cx: C<'_, '_>, outcome: Option<&Outcome>, err: Option<&BodyError>, us: u64) {
        let mut line = cx.line(Phase::Response).extra_flag("mcp", true);
        let mut hits = Vec::new();
        if let Some(o) = outcome {
            line = line
                .verdict(&o.verdict)
                .score(o.max_score)
                .extra_number("scanned", o.scanned as i64)
                .timing("scan", us);
            if o.action == Mode::Review {
                line = line.verdict_name("review");
            }
            hits = o.verdict.rules().into_iter().map(String::from).collect();
        }
        if let Some(err) = err {
            line = line.block(err.status).rule(err.code);
            hits.push(err.code.to_string());
        }
        let report = Report::new(line).uncounted();
        cx.report(report.hits(hits.iter().map(String::as_str)));
    }
}
