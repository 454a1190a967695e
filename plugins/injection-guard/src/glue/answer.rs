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

use super::{Http, NAME};
use crate::leak_watch::Leak;
use crate::options::LeakAction;
use guardrail_sdk::body::parse_response;
use guardrail_sdk::buffer::{BodyCollector, BodyPolicy};
use guardrail_sdk::host::{self, BodyStep, Level};
use guardrail_sdk::provider_error::{body_error_body, error_body, style_for};
use guardrail_sdk::response_plan::{plan, ResponsePlan};
use guardrail_sdk::sse::{error_event, SseParser};
use guardrail_sdk::stream::deltas;
use guardrail_sdk::verdict_log::{Phase, VerdictLog};
use guardrail_sdk::{json, BodyError};
use proxy_wasm::types::Action;

/// Largest SSE event followed (bytes up to its blank line).
const MAX_EVENT_BYTES: usize = 256 * 1024;
const LEAK_CODE: &str = "system_prompt_leak";
const LEAK_MESSAGE: &str = "The response was withheld by the gateway's prompt-leak policy.";

pub(crate) enum Answer {
    /// Not watched (no canary, nothing to find, no body, binary, or already decided).
    Off,
    /// A non-streamed answer, checked whole at its end.
    Buffer(BodyCollector),
    /// A streamed answer, checked event by event.
    Stream(Box<SseParser>),
    /// Replace the whole body with this (sent with the last chunk).
    Replace(Vec<u8>),
    /// The answer was withheld: swallow whatever still comes.
    Drop,
}

impl Http {
    fn leak_action(&self) -> LeakAction {
        self.state
            .config
            .canary
            .as_ref()
            .map_or(LeakAction::Flag, |c| c.action)
    }

    pub(super) fn answer_headers(&mut self, end_of_stream: bool) -> Action {
        if self.watch.is_none() {
            return Action::Continue;
        }
        let ct = host::response_header("content-type");
        let ce = host::response_header("content-encoding");
        let block = self.leak_action() == LeakAction::Block;
        let max = self
            .state
            .config
            .canary
            .as_ref()
            .map_or(0, |c| c.max_response_bytes);
        match plan(true, end_of_stream, ct.as_deref(), ce.as_deref()) {
            ResponsePlan::Pass => Action::Continue,
            ResponsePlan::Json | ResponsePlan::Text => {
                self.answer = Answer::Buffer(BodyCollector::new(BodyPolicy { max_bytes: max }));
                host::want_bodies(false, true);
                if block {
                    // The body may be replaced by an error of another length.
                    host::remove_response_header("content-length");
                }
                Action::Continue
            }
            ResponsePlan::Stream => {
                self.answer = Answer::Stream(Box::new(SseParser::new(MAX_EVENT_BYTES)));
                host::want_bodies(false, true);
                host::remove_response_header("content-length");
                Action::Continue
            }
            ResponsePlan::Replace(err) => {
                // Compressed despite the stripped accept-encoding: cannot be checked. The
                // headers have not left yet, so the client gets a plain error.
                self.log_answer(None, Some(&err));
                if block {
                    self.answer =
                        Answer::Replace(host::replace_answer(style_for(self.format), &err));
                }
                Action::Continue
            }
        }
    }

    pub(super) fn answer_body(&mut self, size: usize, end_of_stream: bool) -> Action {
        match &mut self.answer {
            Answer::Off => Action::Continue,
            Answer::Drop => {
                host::replace_response_body(size, b"");
                Action::Continue
            }
            Answer::Replace(body) => {
                if host::send_replacement(body, size, end_of_stream) {
                    self.answer = Answer::Drop;
                }
                Action::Continue
            }
            Answer::Buffer(c) => {
                let step = host::on_response_body(c, size, end_of_stream);
                self.buffered(step, size) // Envoy: `size` is everything buffered so far
            }
            Answer::Stream(parser) => {
                let chunk = host::read_response_body(size);
                let mut events = parser.push(&chunk);
                if end_of_stream {
                    events = events.and_then(|mut e| {
                        e.extend(parser.finish()?);
                        Ok(e)
                    });
                }
                let events = match events {
                    Ok(events) => events,
                    Err(e) => {
                        let err =
                            BodyError::new(502, "response_not_scannable", format!("stream: {e}"));
                        return self.stream_failed(size, &err);
                    }
                };
                // Under `block` only complete events go on (as they came, `raw`): a token
                // split inside an event never reaches the client before the event is checked.
                let mut out = Vec::with_capacity(size);
                for ev in &events {
                    let watching = self.watch.as_ref().is_some_and(|w| w.found().is_none());
                    if watching {
                        let leak = deltas(self.format, ev)
                            .iter()
                            .find_map(|d| self.watch.as_mut().and_then(|w| w.push(&d.text)));
                        if let Some(leak) = leak {
                            self.log_answer(Some(leak), None);
                            if self.leak_action() == LeakAction::Block {
                                return self.end_stream(size, out);
                            }
                        }
                    }
                    out.extend_from_slice(&ev.raw);
                }
                if self.leak_action() == LeakAction::Block {
                    host::replace_response_body(size, &out);
                } // flag: nothing is withheld, the chunk goes on as it came
                if end_of_stream {
                    self.answer = Answer::Off;
                }
                Action::Continue
            }
        }
    }

    pub(super) fn answer_trailers(&mut self) -> Action {
        match &mut self.answer {
            Answer::Buffer(c) => {
                let step = host::on_response_trailers(c);
                let held = c.size();
                self.buffered(step, held)
            }
            _ => Action::Continue,
        }
    }

    /// The whole non-streamed answer (or its refusal).
    /// `held`: the bytes the host buffered so far (what a replacement replaces).
    fn buffered(&mut self, step: BodyStep, held: usize) -> Action {
        let block = self.leak_action() == LeakAction::Block;
        let style = style_for(self.format);
        let raw = match step {
            BodyStep::Wait => return Action::Pause, // Envoy keeps buffering the chunks
            BodyStep::Refuse(mut err) => {
                err.status = 502;
                err.code = "response_not_scannable";
                self.log_answer(None, Some(&err));
                self.answer = Answer::Off;
                if block {
                    host::replace_response_body(held, &body_error_body(style, &err));
                    self.answer = Answer::Drop;
                }
                return Action::Continue;
            }
            BodyStep::Ready(raw) => raw,
        };
        self.answer = Answer::Off;
        let leak = self.watch.as_mut().and_then(|w| {
            match parse_response(self.format, &raw, &json::Limits::default()) {
                Ok(parsed) => parsed.segments.iter().find_map(|s| w.push(&s.text)),
                // Not the provider's JSON (an error page, plain text): look at it as text.
                Err(_) => w.push(&String::from_utf8_lossy(&raw)),
            }
        });
        if let Some(leak) = leak {
            self.log_answer(Some(leak), None);
            if block {
                let status = self.state.config.block_status;
                let body = error_body(style, status, LEAK_CODE, LEAK_MESSAGE);
                if !host::replace_response_body(held, &body) {
                    cannot_withhold();
                }
            }
        }
        Action::Continue
    }

    /// A leak completed inside this chunk: `before` (the chunk's events before it) goes on,
    /// then an error event ends the stream.
    fn end_stream(&mut self, size: usize, before: Vec<u8>) -> Action {
        let style = style_for(self.format);
        let status = self.state.config.block_status;
        let mut out = before;
        out.extend_from_slice(&error_event(&error_body(
            style,
            status,
            LEAK_CODE,
            LEAK_MESSAGE,
        )));
        host::replace_response_body(size, &out);
        self.answer = Answer::Drop;
        Action::Continue
    }

    fn stream_failed(&mut self, size: usize, err: &BodyError) -> Action {
        self.log_answer(None, Some(err));
        if self.leak_action() == LeakAction::Flag {
            self.answer = Answer::Off;
            return Action::Continue;
        }
        let body = body_error_body(style_for(self.format), err);
        host::replace_response_body(size, &error_event(&body));
        self.answer = Answer::Drop;
        Action::Continue
    }

    /// The response-phase verdict line: a leak (block or flag) or an answer not checked.
    fn log_answer(&self, leak: Option<Leak>, err: Option<&BodyError>) {
        let block = self.leak_action() == LeakAction::Block;
        let verdict = if block { "block" } else { "flag" };
        let mut line = VerdictLog::new(
            NAME,
            env!("CARGO_PKG_VERSION"),
            &self.request_id,
            Phase::Response,
        )
        .verdict_name(verdict);
        if let Some(leak) = leak {
            line = line.rule(leak.rule());
            self.state.metrics.rule_hit(leak.rule(), 1);
        }
        if let Some(err) = err {
            line = line.rule(err.code).status(err.status);
        }
        host::log_verdict(&line);
        self.state.metrics.request(verdict);
    }
}

/// APISIX cannot rewrite bodies: the verdict line is all a leak gets there.
fn cannot_withhold() {
    host::log(
        Level::Warn,
        &format!(
            "{NAME}: the host refused to replace the answer; the leak was logged, not withheld"
        ),
    );
}
