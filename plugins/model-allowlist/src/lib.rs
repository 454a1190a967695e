//! model-allowlist: request-level policy on models, parameters and token caps, applied before
//! the prompt reaches the model. Pure logic lives in the sibling modules (natively tested);
//! this file is the thin proxy-wasm glue: `main!`, root context, HTTP context.

pub mod config;
pub mod json_edit;
pub mod model_path;
pub mod path_alias;
pub mod plan;
pub mod policy;
pub mod token_cap;

#[cfg(test)]
mod plan_tests;

use std::rc::Rc;

use guardrail_sdk::buffer::{self, BodyCollector, BodyPolicy};
use guardrail_sdk::host::{self, BodyStep, Level, Metrics, Stopwatch};
use guardrail_sdk::identity::Identity;
use guardrail_sdk::provider_error::{style_for, ErrorStyle};
use guardrail_sdk::verdict_log::{safe_token, Phase, VerdictLog};
use guardrail_sdk::{format::format_for_path, ApiFormat, BodyError};
use proxy_wasm::traits::{Context, HttpContext, RootContext};
use proxy_wasm::types::{Action, ContextType, LogLevel};

use config::Config;
use plan::Deny;

const PLUGIN: &str = "model-allowlist";
const VERSION: &str = env!("CARGO_PKG_VERSION");

proxy_wasm::main! {{
    proxy_wasm::set_log_level(LogLevel::Info);
    proxy_wasm::set_root_context(|_| Box::new(Root { config: Rc::new(Config::default()) }));
}}

// The callbacks below; build.sh drops the dispatcher's other exports (see the SDK's `callbacks`).
guardrail_sdk::callbacks!(request_headers, request_body, request_trailers);

struct Root {
    config: Rc<Config>,
}

impl Context for Root {}

impl RootContext for Root {
    fn on_configure(&mut self, _size: usize) -> bool {
        let raw = self.get_plugin_configuration().unwrap_or_default();
        match Config::from_json(&raw) {
            Ok(config) => {
                self.config = Rc::new(config);
                true
            }
            Err(err) => {
                host::log(
                    Level::Critical,
                    &format!("{PLUGIN}: invalid configuration: {err}"),
                );
                false
            }
        }
    }

    fn create_http_context(&self, _id: u32) -> Option<Box<dyn HttpContext>> {
        Some(Box::new(Http {
            body: BodyCollector::new(BodyPolicy {
                max_bytes: self.config.max_body_bytes,
            }),
            config: self.config.clone(),
            format: ApiFormat::Unknown,
            path: String::new(),
            path_model: None,
            identity: None,
            request_id: String::new(),
            metrics: Metrics::new(PLUGIN),
        }))
    }

    fn get_type(&self) -> Option<ContextType> {
        Some(ContextType::HttpContext)
    }
}

struct Http {
    config: Rc<Config>,
    body: BodyCollector,
    format: ApiFormat,
    path: String,
    path_model: Option<String>,
    identity: Option<Identity>,
    request_id: String,
    metrics: Metrics,
}

impl Context for Http {}

impl HttpContext for Http {
    fn on_http_request_headers(&mut self, _n: usize, end_of_stream: bool) -> Action {
        // Envoy: request headers are readable only here, and Pause here would stop the body
        // callbacks (sdk/README.md "Host facts"): take everything now, return Continue.
        // APISIX delivers the body only when asked (`host::want_bodies`).
        host::want_bodies(true, false);
        self.path = host::request_header(":path").unwrap_or_default();
        self.format = format_for_path(&self.path);
        self.request_id = host::request_id(self);
        if let Some(secret) = &self.config.identity_secret {
            self.identity = host::verified_identity(secret.as_bytes()).map(|(id, _)| id);
        }
        if self.config.require_identity && self.identity.is_none() {
            return self.refuse(
                403,
                "identity_required",
                "The caller is not identified.",
                "identity.missing",
            );
        }
        match path_alias::apply(&self.config, &self.path) {
            Ok(None) => {}
            Ok(Some(found)) => {
                if let Some(new_path) = &found.new_path {
                    if !host::set_request_header(":path", new_path) {
                        return self.refuse(
                            500,
                            "rewrite_failed",
                            "The gateway could not apply the model policy.",
                            "path.rewrite_failed",
                        );
                    }
                }
                if let Err(refusal) = policy::check(
                    &self.config,
                    &self.path,
                    self.identity.as_ref(),
                    &found.model,
                ) {
                    return self.refuse_model(&found.model, refusal.rule());
                }
                self.path_model = Some(found.model);
            }
            Err(err) => return self.refuse_body(&err),
        }
        if end_of_stream {
            if plan::body_names_model(self.format)
                && host::request_header(":method").as_deref() == Some("POST")
            {
                let err = BodyError::bad_request(
                    "missing_model",
                    "the request has no body naming a model",
                );
                return self.refuse_body(&err);
            }
            self.log_allow(&[], 0);
            return Action::Continue;
        }
        if let Err(err) =
            buffer::check_content_encoding(host::request_header("content-encoding").as_deref())
        {
            return self.refuse_body(&err);
        }
        if !buffer::needs_scan(host::request_header("content-type").as_deref()) {
            let err = BodyError::new(
                415,
                "unsupported_content_type",
                "the request body must be JSON",
            );
            return self.refuse_body(&err);
        }
        // The body may be rewritten (alias, caps, stripped parameters): its length will change.
        host::remove_request_header("content-length");
        Action::Continue
    }

    fn on_http_request_body(&mut self, size: usize, end_of_stream: bool) -> Action {
        let step = host::on_request_body(&mut self.body, size, end_of_stream);
        self.decide(step)
    }

    fn on_http_request_trailers(&mut self, _n: usize) -> Action {
        let step = host::on_request_trailers(&mut self.body);
        self.decide(step)
    }
}

impl Http {
    fn style(&self) -> ErrorStyle {
        style_for(self.format)
    }

    fn decide(&mut self, step: BodyStep) -> Action {
        let raw = match step {
            BodyStep::Wait => return Action::Pause,
            BodyStep::Refuse(err) => return self.refuse_body(&err),
            BodyStep::Ready(raw) => raw,
        };
        let clock = Stopwatch::start();
        let result = plan::evaluate(
            &self.config,
            self.format,
            &self.path,
            self.path_model.as_deref(),
            self.identity.as_ref(),
            &raw,
        );
        let micros = clock.elapsed_us();
        match result {
            Ok(plan) => {
                if let Some(new_body) = &plan.body {
                    if !host::replace_request_body(raw.len(), new_body) {
                        return self.refuse(
                            500,
                            "rewrite_failed",
                            "The gateway could not apply the model policy.",
                            "body.rewrite_failed",
                        );
                    }
                }
                self.log_allow(&plan.changes, micros);
                Action::Continue
            }
            Err(Deny::Body(err)) => self.refuse_body(&err),
            Err(Deny::Model { model, refusal }) => self.refuse_model(&model, refusal.rule()),
        }
    }

    fn log_line(&self, verdict: &'static str) -> VerdictLog {
        let mut line = VerdictLog::new(PLUGIN, VERSION, &self.request_id, Phase::Request)
            .verdict_name(verdict);
        if let Some(id) = &self.identity {
            line = line.key_id(&id.key_id);
        }
        line
    }

    fn log_allow(&self, changes: &[&'static str], micros: u64) {
        let verdict = if changes.is_empty() {
            "allow"
        } else {
            "rewrite"
        };
        let mut line = self.log_line(verdict).timing("evaluate", micros);
        for c in changes {
            line = line.rule(c);
        }
        host::log_verdict(&line);
        self.metrics.request(verdict);
        self.metrics.check_us(micros);
    }

    fn refuse(&self, status: u16, code: &str, message: &str, rule: &str) -> Action {
        host::log_verdict(&self.log_line("block").status(status).rule(rule));
        self.metrics.request("block");
        host::send_error(self.style(), status, code, message, &[]);
        Action::Pause
    }

    fn refuse_body(&self, err: &BodyError) -> Action {
        host::log_verdict(&self.log_line("block").status(err.status).rule(err.code));
        self.metrics.request("block");
        self.metrics.fail_closed();
        host::send_body_error(self.style(), err, &[]);
        Action::Pause
    }

    fn refuse_model(&self, model: &str, rule: &str) -> Action {
        // The client's own model name is echoed only when it is a plain identifier; the
        // policy (lists, scopes) is never described.
        let message = match safe_token(model) {
            "<redacted>" => "The requested model is not available.".to_string(),
            m => format!("The model `{m}` is not available."),
        };
        self.refuse(403, "model_not_allowed", &message, rule)
    }
}
