//! key-auth: virtual API keys for LLM traffic. Authenticates the client key (stored only as a
//! hash), scopes it (providers, models), limits it (requests per minute, tokens per window in
//! shared data), swaps it for the provider's key and passes a signed identity to the plugins
//! that follow. The logic lives in the pure modules below; `glue` (wasm only) is the thin
//! proxy-wasm layer: root context (config parsed once, capabilities probed), HTTP context.

pub mod config;
pub mod credential;
pub mod decide;
pub mod global;
pub mod host_store;
pub mod identity_cache;
pub mod inject;
pub mod key_store;
pub mod rate_window;
pub mod report;
pub mod scope;
pub mod usage;

// Natively (cargo test) a type implementing `HttpContext` cannot link (proxy-wasm's default
// methods pull in every host import), so the glue is compiled for wasm only.
#[cfg(target_arch = "wasm32")]
mod glue {
    use crate::config::{CapabilityPolicy, LimitMode, Settings};
    use crate::decide::{
        decide_body, decide_head, BodyVerdict, HeadVerdict, Notes, Refusal, RequestHead,
    };
    use crate::host_store::HostStore;
    use crate::identity_cache::IdentityCache;
    use crate::inject::HeaderPlan;
    use crate::rate_window::{self, LimitError};
    use crate::report::{self, Charged, PLUGIN};
    use crate::usage::{response_kind, Metered, UsageMeter};
    use guardrail_sdk::buffer::{BodyCollector, BodyPolicy};
    use guardrail_sdk::format::format_for_path;
    use guardrail_sdk::host::{self, BodyStep, Level, Metrics, Stopwatch};
    use guardrail_sdk::provider_error::{style_for, ErrorStyle};
    use guardrail_sdk::verdict_log::VerdictLog;
    use guardrail_sdk::ApiFormat;
    use proxy_wasm::traits::{Context, HttpContext, RootContext};
    use proxy_wasm::types::{Action, ContextType, LogLevel};
    use std::cell::RefCell;
    use std::rc::Rc;

    proxy_wasm::main! {{
        proxy_wasm::set_log_level(LogLevel::Info);
        proxy_wasm::set_root_context(|_| Box::new(Root { settings: None, identities: Rc::default() }));
    }}

    // The callbacks below; build.sh drops the dispatcher's other exports (see the SDK's `callbacks`).
    guardrail_sdk::callbacks!(
        request_headers,
        request_body,
        request_trailers,
        response_headers,
        response_body,
        log
    );

    struct Root {
        settings: Option<Rc<Settings>>,
        /// Signed identities of this config's keys, shared by the VM's HTTP contexts.
        identities: Rc<RefCell<IdentityCache>>,
    }

    impl Context for Root {}

    impl RootContext for Root {
        fn on_configure(&mut self, _size: usize) -> bool {
            let raw = self.get_plugin_configuration().unwrap_or_default();
            let settings = match crate::config::load(&raw) {
                Ok(s) => s,
                Err(err) => {
                    host::log(Level::Critical, &format!("key-auth: bad config: {err}"));
                    return false;
                }
            };
            if !capabilities_ok(&settings) {
                return false;
            }
            self.settings = Some(Rc::new(settings));
            self.identities = Rc::default(); // indexes belong to the config just loaded
            true
        }

        fn create_http_context(&self, _id: u32) -> Option<Box<dyn HttpContext>> {
            let settings = self.settings.clone()?;
            let policy = BodyPolicy {
                max_bytes: settings.max_body_bytes,
            };
            Some(Box::new(Http {
                settings,
                identities: Rc::clone(&self.identities),
                request_id: String::new(),
                format: ApiFormat::Unknown,
                content_type: None,
                content_encoding: None,
                notes: Notes::default(),
                request_bytes: 0,
                body_model: None,
                charge_budget: false,
                body: BodyCollector::new(policy),
                meter: None,
                metered: None,
                metrics: Metrics::new(PLUGIN),
            }))
        }

        fn get_type(&self) -> Option<ContextType> {
            Some(ContextType::HttpContext)
        }
    }

    /// Probe the clock and shared data (creating the limit entries); refuse to start when keys
    /// need what the host lacks and the policy is deny, else warn once.
    fn capabilities_ok(settings: &Settings) -> bool {
        let mut lacking: Vec<&str> = Vec::new();
        if settings.needs_clock() && host::now_unix_nanos().is_none() {
            lacking.push("a clock (validity windows, limits)");
        }
        let mut store = HostStore;
        let local = settings.limits == LimitMode::Local;
        for key in settings.store.keys().iter().filter(|_| local) {
            let rate = key.rate_limit_per_minute.is_some();
            if !rate && key.token_budget.is_none() {
                continue;
            }
            if let Err(LimitError::Unavailable(status)) =
                rate_window::precreate(&mut store, &key.id, rate, key.token_budget)
            {
                host::log(
                    Level::Warn,
                    &format!("key-auth: shared data refused (status {status})"),
                );
                lacking.push("shared data (limits)");
                break;
            }
        }
        if lacking.is_empty() {
            return true;
        }
        let what = lacking.join(" and ");
        match settings.on_missing_capability {
            CapabilityPolicy::Deny => {
                host::log(
                    Level::Critical,
                    &format!("key-auth: on_missing_capability: deny, and the host lacks {what}: refusing to start"),
                );
                false
            }
            CapabilityPolicy::Allow => {
                host::log(
                    Level::Warn,
                    &format!("key-auth: the host lacks {what}: keys are authenticated but those checks are NOT enforced (on_missing_capability: allow)"),
                );
                true
            }
        }
    }

    struct Http {
        settings: Rc<Settings>,
        identities: Rc<RefCell<IdentityCache>>,
        request_id: String,
        format: ApiFormat,
        content_type: Option<String>,
        content_encoding: Option<String>,
        notes: Notes,
        /// `content-length` of the request (for the usage estimate), 0 when unknown.
        request_bytes: u64,
        body_model: Option<bool>,
        charge_budget: bool,
        body: BodyCollector,
        meter: Option<UsageMeter>,
        /// The answer's usage, measured at its end (`limits: "global"`: published then).
        metered: Option<Metered>,
        metrics: Metrics,
    }

    impl Context for Http {}

    impl HttpContext for Http {
        fn on_http_request_headers(&mut self, _n: usize, end_of_stream: bool) -> Action {
            // Headers are readable only here (Envoy): take everything now.
            // APISIX delivers bodies only when asked (the model check, usage accounting).
            host::want_bodies(true, true);
            let watch = Stopwatch::start();
            let path = host::request_header(":path").unwrap_or_default();
            self.format = format_for_path(&path);
            self.request_id = host::request_id(self);
            self.content_type = host::request_header("content-type");
            self.content_encoding = host::request_header("content-encoding");
            self.request_bytes = host::request_header("content-length")
                .and_then(|v| v.trim().parse().ok())
                .unwrap_or(0);
            let head = RequestHead {
                path,
                authority: host::request_header(":authority").unwrap_or_default(),
                format: Some(self.format),
                no_body: end_of_stream,
            };
            let now = host::now_unix(self);
            // One VM runs one callback at a time, so the cache is never borrowed here; if it
            // were, a fresh one signs without caching rather than trap.
            let mut fresh = IdentityCache::new();
            let mut shared = self.identities.try_borrow_mut().ok();
            let identities = shared.as_deref_mut().unwrap_or(&mut fresh);
            let verdict = decide_head(
                &self.settings,
                &head,
                host::request_header,
                now,
                &mut HostStore,
                identities,
            );
            drop(shared);
            match verdict {
                HeadVerdict::Refuse {
                    refusal,
                    plan,
                    notes,
                } => {
                    apply(&plan);
                    self.notes = notes;
                    self.refuse(&refusal, watch.elapsed_us())
                }
                HeadVerdict::Admit {
                    plan,
                    body_model,
                    charge_budget,
                    notes,
                } => {
                    apply(&plan);
                    self.notes = notes;
                    self.publish_identity();
                    self.body_model = body_model;
                    self.charge_budget = charge_budget;
                    if charge_budget {
                        // Usage is read from the answer: ask the upstream for a plain body.
                        host::remove_request_header("accept-encoding");
                    }
                    if body_model.is_none() {
                        self.log_request(None, watch.elapsed_us());
                    }
                    Action::Continue
                }
            }
        }

        fn on_http_request_body(&mut self, size: usize, end_of_stream: bool) -> Action {
            if self.body_model.is_none() {
                return Action::Continue;
            }
            let step = host::on_request_body(&mut self.body, size, end_of_stream);
            self.check_body(step)
        }

        fn on_http_request_trailers(&mut self, _n: usize) -> Action {
            if self.body_model.is_none() {
                return Action::Continue;
            }
            let step = host::on_request_trailers(&mut self.body); // trailers end the body
            self.check_body(step)
        }

        fn on_http_response_headers(&mut self, _n: usize, end_of_stream: bool) -> Action {
            if self.charge_budget {
                let ok = host::response_header(":status").is_some_and(|s| s.starts_with('2'));
                if ok {
                    let kind = response_kind(host::response_header("content-type").as_deref());
                    self.meter = Some(UsageMeter::new(
                        self.format,
                        kind,
                        self.settings.max_body_bytes,
                        self.request_bytes,
                    ));
                    if end_of_stream {
                        self.answer_ended();
                    }
                }
            }
            Action::Continue
        }

        fn on_http_response_body(&mut self, size: usize, end_of_stream: bool) -> Action {
            // Watch the chunks as they pass; never hold the answer.
            if let Some(meter) = self.meter.as_mut() {
                meter.push(&host::read_response_body(size));
                if end_of_stream {
                    self.answer_ended();
                }
            }
            Action::Continue
        }

        fn on_log(&mut self) {
            // An answer cut off mid-stream is measured here (what was seen).
            let Some(metered) = self
                .metered
                .or_else(|| self.meter.take().map(|mut m| m.finish()))
            else {
                return;
            };
            let key = self
                .notes
                .key_index
                .and_then(|i| self.settings.store.keys().get(i));
            let charged = if self.notes.limits_global {
                Charged::Global
            } else {
                match (key, host::now_unix(self)) {
                    (Some(key), Some(now)) => key
                        .token_budget
                        .and_then(|budget| {
                            rate_window::charge(
                                &mut HostStore,
                                &key.id,
                                budget,
                                now,
                                metered.tokens,
                            )
                            .ok()
                        })
                        .map_or(Charged::Failed, Charged::Local),
                    _ => Charged::Failed,
                }
            };
            host::log_verdict(&report::usage_line(
                &self.request_id,
                &self.settings,
                self.notes.key_index,
                metered,
                charged,
            ));
        }
    }

    fn apply(plan: &HeaderPlan) {
        for name in &plan.remove {
            host::remove_request_header(name);
        }
        for (name, value) in &plan.set {
            host::set_request_header(name, value);
        }
    }

    impl Http {
        /// The key's ids as properties, for the access log and global rate-limit descriptors.
        fn publish_identity(&self) {
            let key = self
                .notes
                .key_index
                .and_then(|i| self.settings.store.keys().get(i));
            for (name, value) in key
                .map(crate::global::identity_properties)
                .unwrap_or_default()
            {
                host::publish(name, value);
            }
        }

        /// The answer is complete: measure its usage; with global limits, publish the tokens
        /// for the rate-limit filter's end-of-stream descriptor.
        fn answer_ended(&mut self) {
            let Some(mut meter) = self.meter.take() else {
                return;
            };
            let metered = meter.finish();
            if self.notes.limits_global {
                host::publish(crate::global::TOKENS, &metered.tokens.to_string());
            }
            self.metered = Some(metered);
        }

        fn style(&self) -> ErrorStyle {
            style_for(self.format)
        }

        fn log_request(&self, refusal: Option<&Refusal>, us: u64) {
            let line: VerdictLog =
                report::request_line(&self.request_id, &self.settings, &self.notes, refusal, us);
            host::log_verdict(&line);
            match refusal {
                Some(r) => {
                    self.metrics.request("block");
                    self.metrics.rule_hit(r.rule, 1);
                    if r.status == 503 || r.rule == "key_auth.body_unchecked" {
                        self.metrics.fail_closed(); // could not check: refused
                    }
                }
                None => {
                    self.metrics.request("allow");
                    let n = &self.notes;
                    if n.limits_enforced == Some(false) || n.expiry_enforced == Some(false) {
                        self.metrics.fail_open(); // a check skipped (on_missing_capability: allow)
                    }
                }
            }
            self.metrics.check_us(us);
        }

        fn refuse(&self, r: &Refusal, us: u64) -> Action {
            self.log_request(Some(r), us);
            let retry = r.retry_after.map(|s| s.to_string());
            let mut extra: Vec<(&str, &str)> = retry
                .as_deref()
                .map(|v| ("retry-after", v))
                .into_iter()
                .collect();
            if r.status == 401 {
                // RFC 6750: say which scheme the gateway expects.
                extra.push(("www-authenticate", "Bearer realm=\"llm-gateway\""));
            }
            host::send_error(self.style(), r.status, r.code, r.message, &extra);
            Action::Pause
        }

        fn check_body(&mut self, step: BodyStep) -> Action {
            let watch = Stopwatch::start();
            let raw = match step {
                BodyStep::Wait => return Action::Pause,
                BodyStep::Ready(raw) => raw,
                BodyStep::Refuse(err) => return self.body_error(&err, watch.elapsed_us()),
            };
            let Some(required) = self.body_model.take() else {
                return Action::Continue;
            };
            let Some(key) = self
                .notes
                .key_index
                .and_then(|i| self.settings.store.keys().get(i))
            else {
                return Action::Continue;
            };
            let verdict = decide_body(
                key,
                required,
                self.content_type.as_deref(),
                self.content_encoding.as_deref(),
                &raw,
                self.settings.max_body_bytes,
            );
            match verdict {
                BodyVerdict::Allow { model } => {
                    self.notes.model = model;
                    self.log_request(None, watch.elapsed_us());
                    Action::Continue
                }
                BodyVerdict::Refuse { refusal, model } => {
                    self.notes.model = model;
                    self.refuse(&refusal, watch.elapsed_us())
                }
                BodyVerdict::BadBody(err) => self.body_error(&err, watch.elapsed_us()),
            }
        }

        fn body_error(&self, err: &guardrail_sdk::BodyError, us: u64) -> Action {
            let r = Refusal {
                status: err.status,
                code: err.code,
                message: "",
                rule: "key_auth.body_unchecked",
                retry_after: None,
            };
            self.log_request(Some(&r), us);
            host::send_body_error(self.style(), err, &[]);
            Action::Pause
        }
    }
}
