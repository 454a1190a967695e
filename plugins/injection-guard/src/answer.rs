//! answer: the canary watch on the response. A non-streamed answer is buffered and checked
//! whole; a streamed one is followed event by event. A leak under `block` replaces what is
//! left of the answer with an error in the provider's shape.
//!
//! Host facts: Envoy sends the response headers downstream as soon as the headers callback
//! continues, and a wasm filter that pauses there gets no body callbacks until it is resumed
//! (the harness models both; checked against Envoy by host_vs_envoy.rs). So the status of an
//! answer cannot follow from its body: a withheld non-streamed answer keeps its status and gets
//! the error as its body, a stream ends with an SSE error event. Kong's ngx_wasm_module cannot
//! resume a paused response phase (docs/HOSTS.md), so nothing here pauses the headers.
//! MCP answers are scanned as data instead (`mcp_answer`).

use crate::leak_watch::Leak;
use crate::options::LeakAction;
use crate::{InjectionGuard, C};
use guardrail_sdk::host;
use guardrail_sdk::plugin::{Answer, Chunk, Report};
use guardrail_sdk::provider_error::{body_error_body, error_body, style_for};
use guardrail_sdk::response_plan::{plan, ResponsePlan};
use guardrail_sdk::sse::{error_event, SseParser};
use guardrail_sdk::verdict_log::Phase;
use guardrail_sdk::{ApiFormat, BodyError};

/// Largest SSE event followed (bytes up to its blank line).
const MAX_EVENT_BYTES: usize = 256 * 1024;
const LEAK_CODE: &str = "system_prompt_leak";
const LEAK_MESSAGE: &str = "The response was withheld by the gateway's prompt-leak policy.";

impl InjectionGuard {
    fn block_leaks(&self) -> bool {
        let canary = self.config.canary.as_ref();
        canary.map_or(LeakAction::Flag, |c| c.action) == LeakAction::Block
    }

    pub(crate) fn answer_head(&self, cx: C<'_, '_>, end_of_stream: bool) -> Answer {
        if cx.req.watch.is_none() {
            return Answer::Pass;
        }
        let ct = host::response_header("content-type");
        let ce = host::response_header("content-encoding");
        let block = self.block_leaks();
        let canary = self.config.canary.as_ref();
        let max_bytes = canary.map_or(0, |c| c.max_response_bytes);
        match plan(true, end_of_stream, ct.as_deref(), ce.as_deref()) {
            ResponsePlan::Pass => Answer::Pass,
            ResponsePlan::Json | ResponsePlan::Text => {
                host::want_bodies(false, true);
                if block {
                    // The body may be replaced by an error of another length.
                    host::remove_response_header("content-length");
                }
                Answer::Whole { max_bytes }
            }
            ResponsePlan::Stream => {
                cx.req.stream = Some(Box::new(SseParser::new(MAX_EVENT_BYTES)));
                host::want_bodies(false, true);
                host::remove_response_header("content-length");
                Answer::Chunks
            }
            ResponsePlan::Replace(err) => {
                // Compressed despite the stripped accept-encoding: cannot be checked. The
                // headers have not left yet, so the client gets a plain error.
                self.log_answer(cx, None, Some(&err));
                match block {
                    true => Answer::Replace(host::replace_answer(style_for(cx.head.format), &err)),
                    false => Answer::Pass,
                }
            }
        }
    }

    /// The whole non-streamed answer: an error body replaces it on a leak under `block`.
    pub(crate) fn answer_whole(&self, cx: C<'_, '_>, raw: &[u8]) -> Option<Vec<u8>> {
        if cx.head.format == ApiFormat::Mcp {
            return self.mcp_whole(cx, raw);
        }
        let format = cx.head.format;
        let leak = cx.req.watch.as_mut().and_then(|w| w.whole(raw))?;
        self.log_answer(cx, Some(leak), None);
        let status = self.config.block_status;
        let style = style_for(format);
        self.block_leaks()
            .then(|| error_body(style, status, LEAK_CODE, LEAK_MESSAGE))
    }

    /// The answer could not be buffered: withheld under `block`, else it goes on unchecked.
    pub(crate) fn answer_refused(&self, cx: C<'_, '_>, mut err: BodyError) -> Option<Vec<u8>> {
        if cx.head.format == ApiFormat::Mcp {
            return self.mcp_refused(cx, err);
        }
        err.status = 502;
        err.code = "response_not_scannable";
        self.log_answer(cx, None, Some(&err));
        let style = style_for(cx.head.format);
        self.block_leaks().then(|| body_error_body(style, &err))
    }

    /// One chunk of a streamed answer. Under `block` only complete events go on (as they
    /// came, `raw`), and with the prompt-echo watch only once `echo_words - 1` more words
    /// followed them: a leak ends the stream with an error event and drops what is held.
    pub(crate) fn answer_chunk(&self, cx: C<'_, '_>, chunk: &[u8], end: bool) -> Chunk {
        if cx.head.format == ApiFormat::Mcp {
            return self.mcp_chunk(cx, chunk, end);
        }
        let block = self.block_leaks();
        let style = style_for(cx.head.format);
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
                self.log_answer(cx, None, Some(&err));
                return match block {
                    true => Chunk::End(error_event(&body_error_body(style, &err))),
                    false => Chunk::Stop,
                };
            }
        };
        // Under `block` only complete events go on (as they came), held back by the
        // prompt-echo window (`answer_watch`): a leak never reaches the client.
        let Some(watch) = cx.req.watch.as_mut() else {
            return Chunk::Stop;
        };
        let step = watch.stream(&events, end);
        let out = step.out;
        if let Some(leak) = step.leak {
            self.log_answer(cx, Some(leak), None);
            if block {
                let status = self.config.block_status;
                let body = error_body(style, status, LEAK_CODE, LEAK_MESSAGE);
                let mut out = out;
                out.extend_from_slice(&error_event(&body));
                return Chunk::End(out);
            }
        }
        match (block, end) {
            (true, true) => Chunk::End(out),
            (true, false) => Chunk::Replace(out),
            (false, true) => Chunk::Stop,
            (false, false) => Chunk::Keep, // flag: nothing is withheld
        }
    }

    /// The response-phase verdict line: a leak (block or flag) or an answer not checked.
    fn log_answer(&self, cx: C<'_, '_>, leak: Option<Leak>, err: Option<&BodyError>) {
        let verdict = if self.block_leaks() { "block" } else { "flag" };
        let mut line = cx.line(Phase::Response).verdict_name(verdict);
        let mut report_hits = Vec::new();
        if let Some(leak) = leak {
            line = line.rule(leak.rule());
            report_hits.push(leak.rule());
        }
        if let Some(err) = err {
            line = line.rule(err.code).status(err.status);
        }
        cx.report(Report::new(line).hits(report_hits));
    }
}
