//! template-detector: the smallest complete guardrail plugin, for vendors to copy. The check is
//! a pure function in `detector.rs` (replace it); this file is the thin proxy-wasm glue in the
//! SDK example order: `main!`, root context (config parsed once), HTTP context.

pub mod config;
pub mod detector;

use std::rc::Rc;

use guardrail_sdk::buffer::{self, BodyCollector, BodyPolicy};
use guardrail_sdk::host::{self, BodyStep, Level, Metrics, Stopwatch};
use guardrail_sdk::provider_error::style_for;
use guardrail_sdk::review;
use guardrail_sdk::verdict::Decision;
use guardrail_sdk::verdict_log::{Phase, VerdictLog};
use guardrail_sdk::{body, format::format_for_path, json, ApiFormat, BodyError};
use proxy_wasm::traits::{Context, HttpContext, RootContext};
use proxy_wasm::types::{Action, ContextType, LogLevel};

use config::Config;

const PLUGIN: &str = "template-detector";
const VERSION: &str = env!("CARGO_PKG_VERSION");

proxy_wasm::main! {{
    proxy_wasm::set_log_level(LogLevel::Info);
    proxy_wasm::set_root_context(|_| Box::new(Root { config: Rc::new(Config::default()) }));
}}

// The callbacks below; build.sh drops the dispatcher's other exports (see the SDK's `callbacks`).
guardrail_sdk::callbacks!(
    request_headers,
    request_body,
    request_trailers,
    http_call_response
);

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
                // Refusing the config makes Envoy refuse the plugin: never run half-configured.
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
            request_id: String::new(),
            metrics: Metrics::new(PLUGIN),
            scan: false,
            identity: None,
            review_pending: false,
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
    request_id: String,
    metrics: Metrics,
    /// The request has a body this plugin must scan.
    scan: bool,
    /// The verified identity header (key-auth): key id for logs, key/team/app for review items.
    identity: Option<guardrail_sdk::identity::Identity>,
    /// A review webhook call is in flight; the request waits for it.
    review_pending: bool,
}

impl Context for Http {
    fn on_http_call_response(
        &mut self,
        _token: u32,
        _headers: usize,
        _size: usize,
        _trailers: usize,
    ) {
        // Delivered or timed out: either way the flagged request goes on (flag never blocks).
        if self.review_pending {
            self.review_pending = false;
            host::resume_request(PLUGIN);
        }
    }
}

impl HttpContext for Http {
    fn on_http_request_headers(&mut self, _n: usize, end_of_stream: bool) -> Action {
        // Request headers are readable only here (Envoy): take what the body phase needs.
        self.format = format_for_path(&host::request_header(":path").unwrap_or_default());
        self.request_id = host::request_id(self);
        if let Some(secret) = &self.config.identity_secret {
            self.identity = host::verified_identity(secret.as_bytes()).map(|(id, _)| id);
        }
        if end_of_stream {
            return Action::Continue; // no body: nothing to scan
        }
        let encoding = host::request_header("content-encoding");
        if let Err(err) = buffer::check_content_encoding(encoding.as_deref()) {
            return self.refuse_body(&err); // compressed: never scanned raw, never passed
        }
        if !buffer::needs_scan(host::request_header("content-type").as_deref()) {
            let err = BodyError::new(
                415,
                "unsupported_content_type",
                "the request body must be JSON",
            );
            return self.refuse_body(&err);
        }
        self.scan = true;
        // APISIX delivers the body only when asked; the status is irrelevant elsewhere.
        host::want_bodies(true, false);
        Action::Continue // never Pause here: Envoy would then skip the body callbacks
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
        let step = host::on_request_trailers(&mut self.body); // trailers end a body too
        self.decide(step)
    }
}

impl Http {
    fn decide(&mut self, step: BodyStep) -> Action {
        let raw = match step {
            BodyStep::Wait => return Action::Pause, // keep buffering until the whole body is in
            BodyStep::Refuse(err) => return self.refuse_body(&err),
            BodyStep::Ready(raw) => raw,
        };
        self.scan = false;
        let watch = Stopwatch::start();
        let parsed = match body::parse_request(self.format, &raw, &json::Limits::default()) {
            Ok(parsed) => parsed,
            Err(err) => return self.refuse_body(&err),
        };
        let verdict = detector::detect(&parsed.segments, &self.config);
        let micros = watch.elapsed_us();
        let mut line = VerdictLog::new(PLUGIN, VERSION, &self.request_id, Phase::Request)
            .verdict(&verdict)
            .timing("detect", micros);
        if let Some(id) = &self.identity {
            line = line.key_id(&id.key_id);
        }
        host::log_verdict(&line);
        self.metrics.request(verdict.decision.name());
        self.metrics.check_us(micros);
        for rule in verdict.rules() {
            self.metrics.rule_hit(rule, 1);
        }
        if let Decision::Block { status, code } = &verdict.decision {
            host::send_error(
                style_for(self.format),
                *status,
                code,
                "Blocked by gateway policy.",
                &[],
            );
            return Action::Pause; // fail closed even if the host refused the local reply
        }
        if verdict.decision == Decision::Flag {
            return self.send_for_review(&verdict, &parsed.segments);
        }
        Action::Continue
    }

    /// Posts the review item (ids and hashes only) and holds the request until the receiver
    /// answers or the timeout passes; a refused call is logged and the request goes on.
    fn send_for_review(
        &mut self,
        verdict: &guardrail_sdk::verdict::Verdict,
        segments: &[body::Segment],
    ) -> Action {
        let Some(hook) = self.config.review_webhook.clone() else {
            return Action::Continue;
        };
        let payload = review::payload(
            &self.request_id,
            PLUGIN,
            verdict,
            segments,
            self.identity.as_ref(),
            review::Text::Omit,
        );
        let defaults = ("/review", "guardrail-review");
        if host::post_json(self, &hook, defaults, &payload, PLUGIN) {
            self.review_pending = true;
            return Action::Pause;
        }
        Action::Continue
    }

    fn refuse_body(&mut self, err: &BodyError) -> Action {
        self.scan = false;
        let line = VerdictLog::new(PLUGIN, VERSION, &self.request_id, Phase::Request)
            .verdict_name("block")
            .status(err.status)
            .rule(err.code);
        host::log_verdict(&line);
        self.metrics.request("block");
        host::send_body_error(style_for(self.format), err, &[]);
        Action::Pause
    }
}
