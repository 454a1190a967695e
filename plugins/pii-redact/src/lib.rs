//! pii-redact: finds PII and secrets in LLM requests and responses and redacts, masks,
//! pseudonymises (restoring in the response) or blocks them per entity type. This file is the
//! thin proxy-wasm glue; all logic lives in the pure modules below.

pub mod config;
pub mod custom;
pub mod detect;
pub mod entity;
pub mod json_leaves;
pub mod pseudonym;
pub mod report;
pub mod request_scan;
pub mod response_scan;
pub mod stream_restore;
pub mod text_stream;
pub mod transform;

#[cfg(target_arch = "wasm32")]
mod glue {
    use crate::config::{OnUnparseable, Settings};
    use crate::pseudonym::Pseudonyms;
    use crate::report::{self, BLOCK_CODE, PLUGIN};
    use crate::request_scan::{scan_request, Report, RequestOutcome};
    use crate::response_scan::{rewrite_response, rewrite_text, ResponseReport};
    use crate::stream_restore::{StreamRewriter, MAX_EVENT_BYTES};
    use guardrail_sdk::buffer::{check_content_encoding, needs_scan, BodyCollector, BodyPolicy};
    use guardrail_sdk::format::format_for_path;
    use guardrail_sdk::host::{self, BodyStep, Level, Metrics, Stopwatch};
    use guardrail_sdk::provider_error::{body_error_body, style_for, ErrorStyle};
    use guardrail_sdk::response_plan::{plan, ResponsePlan};
    use guardrail_sdk::sse::error_event;
    use guardrail_sdk::verdict_log::Phase;
    use guardrail_sdk::{ApiFormat, BodyError};
    use proxy_wasm::traits::{Context, HttpContext, RootContext};
    use proxy_wasm::types::{Action, ContextType, LogLevel};
    use std::rc::Rc;

    proxy_wasm::main! {{
        proxy_wasm::set_log_level(LogLevel::Info);
        proxy_wasm::set_root_context(|_| Box::new(Root { settings: None }));
    }}

    // The callbacks below; build.sh drops the dispatcher's other exports (see the SDK's `callbacks`).
    guardrail_sdk::callbacks!(
        request_headers,
        request_body,
        request_trailers,
        response_headers,
        response_body,
        response_trailers
    );

    struct Root {
        settings: Option<Rc<Settings>>,
    }

    impl Context for Root {}

    impl RootContext for Root {
        fn on_configure(&mut self, _size: usize) -> bool {
            let raw = self.get_plugin_configuration().unwrap_or_default();
            match crate::config::parse(&raw) {
                Ok(s) => {
                    self.settings = Some(Rc::new(s));
                    true
                }
                Err(err) => {
                    host::log(Level::Critical, &format!("pii-redact: bad config: {err}"));
                    false
                }
            }
        }

        fn create_http_context(&self, _id: u32) -> Option<Box<dyn HttpContext>> {
            let settings = self.settings.clone()?;
            let policy = BodyPolicy {
                max_bytes: settings.max_body_bytes,
            };
            Some(Box::new(Http {
                settings,
                format: ApiFormat::Unknown,
                request_id: String::new(),
                key_id: None,
                scan_request: false,
                request_body: BodyCollector::new(policy),
                pseudonyms: Pseudonyms::new(),
                request_count: 0,
                answered: false,
                response: Response::Pass,
                response_body: BodyCollector::new(policy),
                metrics: Metrics::new(PLUGIN),
            }))
        }

        fn get_type(&self) -> Option<ContextType> {
            Some(ContextType::HttpContext)
        }
    }

    enum Response {
        Pass,
        Json,
        Text,
        Stream(Box<StreamRewriter>),
        /// Every body byte is replaced by this error body (sent at the end).
        Replace(Vec<u8>),
        /// Done or failed: drop what still comes.
        Drop,
    }

    struct Http {
        settings: Rc<Settings>,
        format: ApiFormat,
        request_id: String,
        key_id: Option<String>,
        scan_request: bool,
        request_body: BodyCollector,
        /// Per request only; never logged.
        pseudonyms: Pseudonyms,
        request_count: u64,
        /// The plugin answered itself (403/4xx): the answer is ours, not the model's.
        answered: bool,
        response: Response,
        response_body: BodyCollector,
        metrics: Metrics,
    }

    impl Context for Http {}

    impl HttpContext for Http {
        fn on_http_request_headers(&mut self, _n: usize, end_of_stream: bool) -> Action {
            // Request headers are readable only here (Envoy): take everything now.
            // APISIX delivers bodies only when asked: without this, no scan would run there.
            host::want_bodies(true, true);
            self.format = format_for_path(&host::request_header(":path").unwrap_or_default());
            self.request_id = host::request_id(self);
            if let Some(secret) = &self.settings.identity_secret {
                self.key_id = host::verified_identity(secret).map(|(id, _)| id.key_id);
            }
            if self.settings.scan_responses {
                // So the upstream answers uncompressed and the answer can be rewritten.
                host::remove_request_header("accept-encoding");
            }
            let content_type = host::request_header("content-type");
            if end_of_stream || !needs_scan(content_type.as_deref()) {
                return Action::Continue;
            }
            if let Err(err) =
                check_content_encoding(host::request_header("content-encoding").as_deref())
            {
                return self.refuse_request(&err);
            }
            host::remove_request_header("content-length");
            self.scan_request = true;
            Action::Continue
        }

        fn on_http_request_body(&mut self, size: usize, end_of_stream: bool) -> Action {
            if !self.scan_request {
                return Action::Continue;
            }
            let step = host::on_request_body(&mut self.request_body, size, end_of_stream);
            self.request_step(step)
        }

        fn on_http_request_trailers(&mut self, _n: usize) -> Action {
            if !self.scan_request {
                return Action::Continue;
            }
            let step = host::on_request_trailers(&mut self.request_body);
            self.request_step(step)
        }

        fn on_http_response_headers(&mut self, _n: usize, end_of_stream: bool) -> Action {
            if self.answered {
                return Action::Continue;
            }
            if self.settings.count_header {
                host::set_response_header("x-guardrail-pii", &self.request_count.to_string());
            }
            let ct = host::response_header("content-type");
            let ce = host::response_header("content-encoding");
            self.response = match plan(
                self.settings.scan_responses,
                end_of_stream,
                ct.as_deref(),
                ce.as_deref(),
            ) {
                ResponsePlan::Pass => Response::Pass,
                ResponsePlan::Json => Response::Json,
                ResponsePlan::Text => Response::Text,
                ResponsePlan::Stream => {
                    Response::Stream(Box::new(StreamRewriter::new(self.format, MAX_EVENT_BYTES)))
                }
                ResponsePlan::Replace(err) => {
                    // The headers have not left yet: the client gets a provider-shaped error.
                    self.log_response_refusal(&err);
                    Response::Replace(host::replace_answer(self.style(), &err))
                }
            };
            if !matches!(self.response, Response::Pass) {
                host::remove_response_header("content-length");
            }
            Action::Continue
        }

        fn on_http_response_body(&mut self, size: usize, end_of_stream: bool) -> Action {
            match &mut self.response {
                Response::Pass => Action::Continue,
                Response::Drop => {
                    host::replace_response_body(size, b"");
                    Action::Continue
                }
                Response::Replace(body) => {
                    if host::send_replacement(body, size, end_of_stream) {
                        self.response = Response::Drop;
                    }
                    Action::Continue
                }
                Response::Stream(rw) => {
                    let chunk = host::read_response_body(size);
                    let settings = &self.settings;
                    let mut out = rw.push(&chunk, settings, &self.pseudonyms);
                    if end_of_stream {
                        out = out.and_then(|mut o| {
                            o.extend(rw.finish(settings, &self.pseudonyms)?);
                            Ok(o)
                        });
                    }
                    match out {
                        Ok(bytes) => {
                            host::replace_response_body(size, &bytes);
                            if end_of_stream {
                                let r = rw.report();
                                self.log_response(&r, true);
                                self.response = Response::Drop;
                            }
                        }
                        Err(err) => {
                            // An event over the limit or not UTF-8: end the text here.
                            let e = BodyError::new(
                                502,
                                "response_not_scannable",
                                format!("stream: {err}"),
                            );
                            host::replace_response_body(
                                size,
                                &error_event(&body_error_body(self.style(), &e)),
                            );
                            self.log_response_refusal(&e);
                            self.response = Response::Drop;
                        }
                    }
                    Action::Continue
                }
                Response::Json | Response::Text => {
                    let step = host::on_response_body(&mut self.response_body, size, end_of_stream);
                    self.response_step(step)
                }
            }
        }

        fn on_http_response_trailers(&mut self, _n: usize) -> Action {
            match self.response {
                Response::Json | Response::Text => {
                    let step = host::on_response_trailers(&mut self.response_body);
                    self.response_step(step)
                }
                _ => Action::Continue,
            }
        }
    }

    impl Http {
        fn style(&self) -> ErrorStyle {
            style_for(self.format)
        }

        fn key(&self) -> Option<&str> {
            self.key_id.as_deref()
        }

        fn refuse_request(&mut self, err: &BodyError) -> Action {
            let pass = self.settings.on_unparseable == OnUnparseable::Pass;
            host::log_verdict(&report::refused_line(
                &self.request_id,
                self.key(),
                Phase::Request,
                err.status,
                err.code,
                pass,
            ));
            self.metrics
                .request(if pass { "unscanned" } else { "block" });
            if pass {
                self.metrics.fail_open(); // on_unparseable: pass
            } else {
                self.metrics.fail_closed();
            }
            if pass {
                self.scan_request = false;
                return Action::Continue;
            }
            host::send_body_error(self.style(), err, &[]);
            self.answered = true;
            Action::Pause
        }

        fn request_step(&mut self, step: BodyStep) -> Action {
            let raw = match step {
                BodyStep::Wait => return Action::Pause,
                BodyStep::Refuse(err) => return self.refuse_request(&err),
                BodyStep::Ready(raw) => raw,
            };
            self.scan_request = false;
            let watch = Stopwatch::start();
            let outcome = scan_request(self.format, &raw, &self.settings, &mut self.pseudonyms);
            let micros = watch.elapsed_us();
            self.metrics.check_us(micros);
            let (rep, blocked): (Report, Option<Vec<crate::entity::EntityType>>) = match outcome {
                RequestOutcome::Invalid(err) => return self.refuse_request(&err),
                RequestOutcome::Clean => (Report::default(), None),
                RequestOutcome::Rewritten { body, report } => {
                    if !host::replace_request_body(raw.len(), &body) {
                        let err = BodyError::new(
                            500,
                            "rewrite_failed",
                            "the gateway could not rewrite the request",
                        );
                        host::send_body_error(self.style(), &err, &[]);
                        self.answered = true;
                        return Action::Pause;
                    }
                    (report, None)
                }
                RequestOutcome::Blocked { types, report } => (report, Some(types)),
            };
            self.request_count = rep.total();
            let settings = &self.settings;
            let line = report::request_line(
                settings,
                &self.request_id,
                self.key(),
                &rep,
                blocked.is_some(),
            )
            .timing("scan", micros);
            host::log_verdict(&line);
            for (rule, n) in report::rule_hits(settings, &rep.counts) {
                self.metrics.rule_hit(&rule, n);
            }
            let (_, name) = report::request_verdict(settings, &rep, blocked.is_some());
            self.metrics.request(name);
            if let Some(types) = blocked {
                let names: Vec<&str> = types.iter().map(|&t| settings.name(t)).collect();
                let msg = format!(
                    "The request contains sensitive data that may not be sent: {}.",
                    names.join(", ")
                );
                host::send_error(self.style(), 403, BLOCK_CODE, &msg, &[]);
                self.answered = true;
                return Action::Pause;
            }
            Action::Continue
        }

        fn response_step(&mut self, step: BodyStep) -> Action {
            let raw = match step {
                BodyStep::Wait => return Action::Pause,
                BodyStep::Refuse(err) => {
                    let size = self.response_body.size();
                    host::replace_response_body(size, &body_error_body(self.style(), &err));
                    self.log_response_refusal(&err);
                    self.response = Response::Drop;
                    return Action::Continue;
                }
                BodyStep::Ready(raw) => raw,
            };
            let mut rep = ResponseReport::default();
            let result = if matches!(self.response, Response::Text) {
                match std::str::from_utf8(&raw) {
                    Ok(text) => Ok(
                        rewrite_text(text, &self.settings, &self.pseudonyms, &mut rep)
                            .map(String::into_bytes),
                    ),
                    Err(_) => Err(BodyError::new(
                        502,
                        "response_not_scannable",
                        "the answer is not UTF-8 text",
                    )),
                }
            } else {
                rewrite_response(self.format, &raw, &self.settings, &self.pseudonyms).map(
                    |(b, r)| {
                        rep = r;
                        b
                    },
                )
            };
            match result {
                Ok(Some(body)) => {
                    host::replace_response_body(raw.len(), &body);
                    self.log_response(&rep, false);
                }
                Ok(None) => self.log_response(&rep, false),
                Err(mut err) => {
                    // The status line already left: the body becomes the provider's error shape.
                    err.status = 502;
                    host::replace_response_body(raw.len(), &body_error_body(self.style(), &err));
                    self.log_response_refusal(&err);
                }
            }
            self.response = Response::Drop;
            Action::Continue
        }

        fn log_response(&self, rep: &ResponseReport, streamed: bool) {
            host::log_verdict(&report::response_line(
                &self.settings,
                &self.request_id,
                self.key(),
                rep,
                streamed,
            ));
            for (rule, n) in report::rule_hits(&self.settings, &rep.counts) {
                self.metrics.rule_hit(&rule, n);
            }
        }

        fn log_response_refusal(&self, err: &BodyError) {
            host::log_verdict(&report::refused_line(
                &self.request_id,
                self.key(),
                Phase::Response,
                err.status,
                err.code,
                false,
            ));
        }
    }
}
