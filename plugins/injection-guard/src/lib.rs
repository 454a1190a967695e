//! injection-guard: prompt-injection and jailbreak detection by trust boundary. The pure
//! modules hold all logic (tested natively); this file is only the proxy-wasm glue: parse the
//! config once, take path/content-type/request id in the headers callback, buffer the body,
//! scan its segments and block (provider-shaped 403), flag or mark for review.

pub mod config;
pub mod confusables;
pub mod data_lines;
pub mod decode;
pub mod detector;
pub mod family;
pub mod lexicon;
pub mod markup;
pub mod matcher;
pub mod normalize;
pub mod policy;

#[cfg(target_arch = "wasm32")]
mod glue {
    use crate::config::{Action as Mode, Config};
    use crate::detector::Detector;
    use crate::policy::{self, Outcome};
    use guardrail_sdk::buffer::{self, BodyCollector, BodyPolicy};
    use guardrail_sdk::host::{self, BodyStep, Level, Metrics, Stopwatch};
    use guardrail_sdk::provider_error::style_for;
    use guardrail_sdk::verdict_log::{Phase, VerdictLog};
    use guardrail_sdk::{body, config, json, ApiFormat};
    use proxy_wasm::traits::{Context, HttpContext, RootContext};
    use proxy_wasm::types::{Action, ContextType, LogLevel};
    use std::rc::Rc;

    const NAME: &str = "injection-guard";
    const BLOCK_MESSAGE: &str = "The request was blocked by the gateway's prompt-injection policy.";

    proxy_wasm::main! {{
        proxy_wasm::set_log_level(LogLevel::Info);
        proxy_wasm::set_root_context(|_| Box::new(Root { state: None }));
    }}

    struct State {
        config: Config,
        detector: Detector,
        metrics: Metrics,
    }

    struct Root {
        state: Option<Rc<State>>,
    }

    impl Context for Root {}

    impl RootContext for Root {
        fn on_configure(&mut self, _size: usize) -> bool {
            let raw = self.get_plugin_configuration().unwrap_or_default();
            let parsed = config::parse::<Config>(&raw).map_err(|e| e.to_string());
            let built = parsed.and_then(|c| {
                c.validate()?;
                let detector = c.detector()?;
                Ok(State {
                    config: c,
                    detector,
                    metrics: Metrics::new(NAME),
                })
            });
            match built {
                Ok(state) => {
                    self.state = Some(Rc::new(state));
                    true
                }
                Err(err) => {
                    host::log(Level::Critical, &format!("{NAME}: bad config: {err}"));
                    false
                }
            }
        }

        fn create_http_context(&self, _id: u32) -> Option<Box<dyn HttpContext>> {
            let state = self.state.clone()?;
            let max = state.config.max_body_bytes;
            Some(Box::new(Http {
                state,
                format: ApiFormat::Unknown,
                request_id: String::new(),
                scan: false,
                body: BodyCollector::new(BodyPolicy { max_bytes: max }),
                flag: None,
            }))
        }

        fn get_type(&self) -> Option<ContextType> {
            Some(ContextType::HttpContext)
        }
    }

    struct Http {
        state: Rc<State>,
        format: ApiFormat,
        request_id: String,
        scan: bool,
        body: BodyCollector,
        /// Flag/review header values to also show the client on the response.
        flag: Option<(String, bool)>,
    }

    impl Context for Http {}

    impl HttpContext for Http {
        fn on_http_request_headers(&mut self, _n: usize, end_of_stream: bool) -> Action {
            // Headers are readable only here (Envoy): take what the body phase needs now.
            let path = host::request_header(":path").unwrap_or_default();
            self.format = body::format_for_path(&path);
            self.request_id = host::request_id(self);
            let content_type = host::request_header("content-type");
            self.scan = !end_of_stream && buffer::needs_scan(content_type.as_deref());
            if self.scan {
                // APISIX delivers the body only when asked; elsewhere this is a no-op.
                host::want_bodies(true, false);
                if let Err(err) = buffer::check_content_encoding(
                    host::request_header("content-encoding").as_deref(),
                ) {
                    self.log_refusal(err.status, err.code);
                    host::send_body_error(style_for(self.format), &err, &[]);
                    return Action::Pause;
                }
            }
            Action::Continue // never Pause here: the body callbacks would not run (Envoy)
        }

        fn on_http_request_body(&mut self, size: usize, end_of_stream: bool) -> Action {
            if !self.scan {
                return Action::Continue;
            }
            let step = host::on_request_body(&mut self.body, size, end_of_stream);
            self.decide(step)
        }

        fn on_http_request_trailers(&mut self, _n: usize) -> Action {
            if !self.scan {
                return Action::Continue;
            }
            let step = host::on_request_trailers(&mut self.body); // trailers end the body
            self.decide(step)
        }

        fn on_http_response_headers(&mut self, _n: usize, _end_of_stream: bool) -> Action {
            if let Some((rules, review)) = &self.flag {
                host::set_response_header(&self.state.config.flag_header, rules);
                if *review {
                    host::set_response_header(&self.state.config.review_header, "1");
                }
            }
            Action::Continue
        }
    }

    impl Http {
        fn log_refusal(&self, status: u16, code: &str) {
            let line = VerdictLog::new(
                NAME,
                env!("CARGO_PKG_VERSION"),
                &self.request_id,
                Phase::Request,
            )
            .verdict_name("block")
            .status(status)
            .rule(code);
            host::log_verdict(&line);
            self.state.metrics.request("block");
        }

        fn decide(&mut self, step: BodyStep) -> Action {
            let style = style_for(self.format);
            let raw = match step {
                BodyStep::Wait => return Action::Pause,
                BodyStep::Refuse(err) => {
                    self.log_refusal(err.status, err.code);
                    host::send_body_error(style, &err, &[]);
                    return Action::Pause;
                }
                BodyStep::Ready(raw) => raw,
            };
            self.scan = false;
            let state = self.state.clone();
            let watch = Stopwatch::start();
            let limits = json::Limits {
                max_bytes: state.config.max_body_bytes,
                ..json::Limits::default()
            };
            let parsed = match body::parse_request(self.format, &raw, &limits) {
                Ok(parsed) => parsed,
                Err(err) => {
                    self.log_refusal(err.status, err.code);
                    host::send_body_error(style, &err, &[]);
                    return Action::Pause;
                }
            };
            let parse_us = watch.elapsed_us();
            let clock = || watch.elapsed_us();
            let outcome =
                policy::evaluate(&state.config, &state.detector, &parsed.segments, &clock);
            self.report(&outcome, parse_us, watch.elapsed_us());
            match outcome.action {
                Mode::Block => {
                    let code = &state.config.block_code;
                    host::send_error(style, state.config.block_status, code, BLOCK_MESSAGE, &[]);
                    Action::Pause
                }
                Mode::Flag | Mode::Review => {
                    let rules = policy::header_value(&outcome.verdict);
                    let review = outcome.action == Mode::Review;
                    host::set_request_header(&state.config.flag_header, &rules);
                    if review {
                        host::set_request_header(&state.config.review_header, "1");
                    }
                    self.flag = Some((rules, review));
                    Action::Continue
                }
                Mode::Off => Action::Continue,
            }
        }

        fn report(&self, outcome: &Outcome, parse_us: u64, total_us: u64) {
            let mut line = VerdictLog::new(
                NAME,
                env!("CARGO_PKG_VERSION"),
                &self.request_id,
                Phase::Request,
            )
            .verdict(&outcome.verdict)
            .score(outcome.max_score)
            .timing("parse", parse_us)
            .timing("normalize", outcome.normalize_us)
            .timing("scan", outcome.scan_us)
            .extra_number("segments", outcome.scanned as i64);
            if outcome.action == Mode::Review {
                line = line.verdict_name("review");
            }
            host::log_verdict(&line);
            let m = &self.state.metrics;
            m.request(if outcome.action == Mode::Review {
                "review"
            } else {
                outcome.verdict.decision.name()
            });
            for rule in outcome.verdict.rules() {
                m.rule_hit(rule, 1);
            }
            m.check_us(total_us);
        }
    }
}
