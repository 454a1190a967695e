//! skeleton: the one proxy-wasm glue every plugin runs (`guardrail_sdk::main!(Type)`): root
//! context (config parsed once, refused loudly), HTTP context driving a [`Plugin`]'s hooks.
//! It owns buffering (`BodyCollector` with the plugin's limit; trailers end a body), pausing,
//! fail-closed refusals in the provider's error shape, the verdict lines and metrics, the
//! outgoing calls and resuming a held request, and the answer's state machine (pass, buffer
//! whole, follow chunk by chunk, replace, drop).
//!
//! Host facts (sdk/README.md): request headers are readable only in their callback, so the
//! head is taken there; a local reply from a body callback ends the stream; a body callback
//! returning Pause keeps the chunks buffered (the next callback's size is the total). On Envoy
//! (`allow_on_headers_stop_iteration: true`) the headers are held while the body is collected
//! (`holds_headers_for_body`): nothing of a request goes upstream before its verdict.

use super::{
    call_answer, holds_headers_for_body, log, log_verdict, now_unix_nanos, on_request_body,
    on_request_trailers, on_response_body, on_response_trailers, post_json, read_response_body,
    replace_response_body, request_header, request_id, resume_request, send_error, send_error_body,
    send_replacement, verified_identity, want_bodies, BodyStep, Level, Metrics,
};
use crate::body::mcp;
use crate::buffer::{BodyCollector, BodyPolicy};
use crate::format::{format_for_path, ApiFormat};
use crate::plugin::{
    Answer, Body, Call, Chunk, Cx, Failure, Outcome, Plugin, Refusal, Reply, Reports, RequestHead,
    ResponseHead,
};
use crate::provider_error::style_for;
use proxy_wasm::traits::{Context, HttpContext, RootContext};
use proxy_wasm::types::{Action, ContextType};
use std::rc::Rc;

/// The root context of plugin `P`.
pub struct Root<P: Plugin> {
    plugin: Option<Rc<P>>,
    /// The host holds paused request headers while the body callbacks run (Envoy).
    hold_headers: bool,
}

impl<P: Plugin> Root<P> {
    /// Not configured yet (no HTTP context until `on_configure` accepted a config).
    pub fn new() -> Self {
        Root {
            plugin: None,
            hold_headers: false,
        }
    }
}

impl<P: Plugin> Default for Root<P> {
    fn default() -> Self {
        Self::new()
    }
}

impl<P: Plugin> Context for Root<P> {}

impl<P: Plugin> RootContext for Root<P> {
    fn on_configure(&mut self, _size: usize) -> bool {
        let raw = self.get_plugin_configuration().unwrap_or_default();
        match P::configure(&raw) {
            Ok(plugin) => {
                self.plugin = Some(Rc::new(plugin));
                self.hold_headers = holds_headers_for_body();
                true
            }
            Err(err) => {
                // Refusing the config makes the host refuse the plugin: never run half-configured.
                log(
                    Level::Critical,
                    &format!("{}: invalid configuration: {err}", P::NAME),
                );
                false
            }
        }
    }

    fn create_http_context(&self, _id: u32) -> Option<Box<dyn HttpContext>> {
        let plugin = self.plugin.clone()?;
        Some(Box::new(Http {
            req: P::Request::default(),
            plugin,
            head: RequestHead::default(),
            body: None,
            hold_headers: self.hold_headers,
            held: false,
            refused: false,
            answer: State::Pass,
        }))
    }

    fn get_type(&self) -> Option<ContextType> {
        Some(ContextType::HttpContext)
    }
}

/// The answer's state.
enum State {
    Pass,
    Whole(BodyCollector),
    Chunks,
    Replace(Vec<u8>),
    /// Done or withheld: whatever still comes is dropped.
    Drop,
}

/// One request of plugin `P`.
pub struct Http<P: Plugin> {
    plugin: Rc<P>,
    req: P::Request,
    head: RequestHead,
    /// Collecting the request body.
    body: Option<BodyCollector>,
    /// Pause the headers while the body is collected (the host still runs the body
    /// callbacks and sends the headers only with the verdict).
    hold_headers: bool,
    /// A held call is in flight: the request waits for it.
    held: bool,
    /// The plugin refused the request (the answer is its own).
    refused: bool,
    answer: State,
}

impl<P: Plugin> Http<P> {
    /// Write the hook's verdict lines and their metrics.
    fn flush(&self, reports: Reports) {
        let metrics = Metrics::new(P::NAME);
        for r in reports.0 {
            log_verdict(&r.line);
            if r.count {
                metrics.request(r.line.verdict_label());
            }
            for (rule, n) in &r.hits {
                metrics.rule_hit(rule, *n);
            }
            if let Some(us) = r.check_us {
                metrics.check_us(us);
            }
            match r.failure {
                Some(Failure::Closed) => metrics.fail_closed(),
                Some(Failure::Open) => metrics.fail_open(),
                None => {}
            }
        }
    }

    /// Act on a request-side outcome from inside a callback.
    fn act(&mut self, outcome: Outcome) -> Action {
        self.act_on(outcome, None)
    }

    /// `act`, with the request body when it is at hand (an MCP refusal answers with its ids).
    fn act_on(&mut self, outcome: Outcome, raw: Option<&[u8]>) -> Action {
        match outcome {
            Outcome::Continue | Outcome::Body => Action::Continue,
            Outcome::Refuse(r) => self.refuse(&r, raw),
            Outcome::Call(call) => self.call(call),
        }
    }

    fn refuse(&mut self, r: &Refusal, raw: Option<&[u8]>) -> Action {
        self.refused = true;
        self.body = None;
        let extra: Vec<(&str, &str)> = r
            .headers
            .iter()
            .map(|(n, v)| (n.as_str(), v.as_str()))
            .collect();
        match (self.head.format, raw) {
            // MCP: a JSON-RPC error carrying the request's id(s), never a provider shape.
            (ApiFormat::Mcp, Some(raw)) => {
                let body = mcp::error_response(raw, r.status, &r.code, &r.message);
                send_error_body(r.status, &r.code, &body, &extra);
            }
            (format, _) => {
                send_error(style_for(format), r.status, &r.code, &r.message, &extra);
            }
        }
        Action::Pause // fail closed even if the host refused the local reply
    }

    fn call(&mut self, call: Call) -> Action {
        let sent = post_json(self, &call.webhook, call.defaults, &call.payload, P::NAME);
        if !call.hold {
            return Action::Continue;
        }
        if sent {
            self.held = true;
            return Action::Pause;
        }
        let mut reports = Reports::default();
        let next = self.plugin.clone().call_answer(
            &mut Cx::new::<P>(&mut self.req, &self.head, &mut reports),
            Reply::NotSent,
        );
        self.flush(reports);
        self.act(next)
    }

    fn body_step(&mut self, step: BodyStep) -> Action {
        let plugin = self.plugin.clone();
        let mut reports = Reports::default();
        let outcome = match step {
            BodyStep::Wait => return Action::Pause, // keep buffering until the whole body is in
            BodyStep::Refuse(err) => {
                self.body = None;
                plugin.body_refused(
                    &mut Cx::new::<P>(&mut self.req, &self.head, &mut reports),
                    &err,
                )
            }
            BodyStep::Ready(raw) => {
                self.body = None;
                let mut body = Body::new(&raw);
                let outcome = plugin.request_body(
                    &mut Cx::new::<P>(&mut self.req, &self.head, &mut reports),
                    &mut body,
                );
                self.flush(reports);
                return self.act_on(outcome, Some(&raw));
            }
        };
        self.flush(reports);
        self.act(outcome)
    }

    /// The whole answer, or its refusal. `held`: the bytes the host buffers so far.
    fn whole_step(&mut self, step: BodyStep, held: usize) -> Action {
        let plugin = self.plugin.clone();
        let mut reports = Reports::default();
        match step {
            BodyStep::Wait => return Action::Pause,
            BodyStep::Refuse(err) => {
                self.answer = State::Pass;
                if let Some(body) = plugin.response_refused(
                    &mut Cx::new::<P>(&mut self.req, &self.head, &mut reports),
                    err,
                ) {
                    replace_response_body(held, &body);
                    self.answer = State::Drop;
                }
            }
            BodyStep::Ready(raw) => {
                self.answer = State::Pass;
                if let Some(body) = plugin.response_whole(
                    &mut Cx::new::<P>(&mut self.req, &self.head, &mut reports),
                    &raw,
                ) {
                    if !replace_response_body(raw.len(), &body) {
                        log(
                            Level::Warn,
                            &format!(
                                "{}: the host refused to replace the answer; the verdict was logged, not applied",
                                P::NAME
                            ),
                        );
                    }
                }
            }
        }
        self.flush(reports);
        Action::Continue
    }
}

impl<P: Plugin> Context for Http<P> {
    fn on_http_call_response(&mut self, _token: u32, _headers: usize, size: usize, _t: usize) {
        if !self.held {
            return; // a call nobody waits for was answered
        }
        self.held = false;
        let answer = call_answer(size);
        let reply = Reply::Answer {
            status: answer.status,
            body: answer.body,
        };
        let mut reports = Reports::default();
        let next = self.plugin.clone().call_answer(
            &mut Cx::new::<P>(&mut self.req, &self.head, &mut reports),
            reply,
        );
        self.flush(reports);
        if self.act(next) == Action::Continue && !self.held {
            resume_request(P::NAME);
        }
    }
}

impl<P: Plugin> HttpContext for Http<P> {
    fn on_http_request_headers(&mut self, _n: usize, end_of_stream: bool) -> Action {
        // Request headers are readable only here (Envoy): the head is taken now.
        let path = request_header(":path").unwrap_or_default();
        self.head = RequestHead {
            format: format_for_path(&path),
            path,
            request_id: request_id(self),
            no_body: end_of_stream,
            reader: Some(request_header),
            identity: None,
        };
        let plugin = self.plugin.clone();
        if let Some(secret) = plugin.identity_secret() {
            self.head.identity = verified_identity(secret).map(|(id, _)| id);
        }
        let mut reports = Reports::default();
        let outcome =
            plugin.request_head(&mut Cx::new::<P>(&mut self.req, &self.head, &mut reports));
        self.head.reader = None; // headers are not readable after this callback
        self.flush(reports);
        if let Outcome::Body = outcome {
            want_bodies(true, false); // APISIX delivers the body only when asked
            self.body = Some(BodyCollector::new(BodyPolicy {
                max_bytes: plugin.max_body_bytes(),
            }));
            // Envoy with `allow_on_headers_stop_iteration`: the headers wait for the verdict
            // (no upstream connection, no header byte before it) and the body callbacks still
            // run. Elsewhere (nginx hosts read the body before connecting upstream; Envoy
            // would skip the body callbacks without the option) the headers continue.
            // (A request without a body has no body callback to release it: it continues.)
            return match self.hold_headers && !end_of_stream {
                true => Action::Pause,
                false => Action::Continue,
            };
        }
        self.act(outcome)
    }

    fn on_http_request_body(&mut self, size: usize, end_of_stream: bool) -> Action {
        if self.held {
            // A held call from the headers: the body waits with them (Envoy runs the body
            // callbacks while the headers are held; continuing here would send both).
            return Action::Pause;
        }
        let Some(c) = self.body.as_mut() else {
            return Action::Continue;
        };
        let step = on_request_body(c, size, end_of_stream);
        self.body_step(step)
    }

    fn on_http_request_trailers(&mut self, _n: usize) -> Action {
        if self.held {
            return Action::Pause;
        }
        let Some(c) = self.body.as_mut() else {
            return Action::Continue;
        };
        let step = on_request_trailers(c); // trailers end a body too
        self.body_step(step)
    }

    fn on_http_response_headers(&mut self, _n: usize, end_of_stream: bool) -> Action {
        let response = ResponseHead {
            no_body: end_of_stream,
            refused: self.refused,
        };
        let plugin = self.plugin.clone();
        let mut reports = Reports::default();
        let answer = plugin.response_head(
            &mut Cx::new::<P>(&mut self.req, &self.head, &mut reports),
            &response,
        );
        self.flush(reports);
        self.answer = match answer {
            Answer::Pass => State::Pass,
            Answer::Whole { max_bytes } => {
                State::Whole(BodyCollector::new(BodyPolicy { max_bytes }))
            }
            Answer::Chunks => State::Chunks,
            Answer::Replace(body) => State::Replace(body),
        };
        Action::Continue
    }

    fn on_http_response_body(&mut self, size: usize, end_of_stream: bool) -> Action {
        match &mut self.answer {
            State::Pass => Action::Continue,
            State::Drop => {
                replace_response_body(size, b"");
                Action::Continue
            }
            State::Replace(body) => {
                if send_replacement(body, size, end_of_stream) {
                    self.answer = State::Drop;
                }
                Action::Continue
            }
            State::Whole(c) => {
                let step = on_response_body(c, size, end_of_stream);
                self.whole_step(step, size) // Envoy: `size` is everything buffered so far
            }
            State::Chunks => {
                let chunk = read_response_body(size);
                let plugin = self.plugin.clone();
                let mut reports = Reports::default();
                let next = plugin.response_chunk(
                    &mut Cx::new::<P>(&mut self.req, &self.head, &mut reports),
                    &chunk,
                    end_of_stream,
                );
                self.flush(reports);
                match next {
                    Chunk::Keep => {}
                    Chunk::Replace(bytes) => {
                        replace_response_body(size, &bytes);
                    }
                    Chunk::End(bytes) => {
                        replace_response_body(size, &bytes);
                        self.answer = State::Drop;
                    }
                    Chunk::Stop => self.answer = State::Pass,
                }
                Action::Continue
            }
        }
    }

    fn on_http_response_trailers(&mut self, _n: usize) -> Action {
        match &mut self.answer {
            State::Whole(c) => {
                let step = on_response_trailers(c);
                let held = c.size();
                self.whole_step(step, held)
            }
            _ => Action::Continue,
        }
    }

    fn on_log(&mut self) {
        let plugin = self.plugin.clone();
        let mut reports = Reports::default();
        plugin.done(&mut Cx::new::<P>(&mut self.req, &self.head, &mut reports));
        self.flush(reports);
    }
}

/// Unix seconds where the host has a clock (for hooks that need it).
pub fn now_unix() -> Option<u64> {
    now_unix_nanos().map(|n| n / 1_000_000_000)
}

/// Declares plugin `$plugin` (a type implementing `guardrail_sdk::plugin::Plugin`) as this
/// module's proxy-wasm plugin: `main!` with the SDK skeleton as root context. Pair it with
/// `guardrail_sdk::callbacks!(...)` naming the callbacks the plugin uses.
#[macro_export]
macro_rules! main {
    ($plugin:ty) => {
        #[cfg(target_arch = "wasm32")]
        proxy_wasm::main! {{
            proxy_wasm::set_log_level(proxy_wasm::types::LogLevel::Info);
            proxy_wasm::set_root_context(|_| {
                Box::new($crate::host::skeleton::Root::<$plugin>::new())
            });
        }}
    };
}
