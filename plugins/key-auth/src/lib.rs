//! key-auth: virtual API keys for LLM traffic. Authenticates the client key (stored only as a
//! hash), scopes it (providers, models), limits it (requests per minute, tokens per window in
//! shared data), swaps it for the provider's key and passes a signed identity to the plugins
//! that follow. The logic lives in the pure modules below; this file is the `Plugin` impl the
//! SDK's skeleton runs.

pub mod config;
pub mod credential;
pub mod decide;
pub mod global;
pub mod host_store;
pub mod identity_cache;
pub mod inject;
pub mod key_store;
pub mod query_keys;
pub mod rate_window;
pub mod report;
pub mod scope;
pub mod usage;

use config::{CapabilityPolicy, LimitMode, Settings};
use decide::{decide_body, decide_head, BodyVerdict, HeadVerdict, Notes, Refusal};
use guardrail_sdk::host::{self, skeleton::now_unix, Level, Stopwatch};
use guardrail_sdk::plugin::{
    self, Answer, Body, Chunk, Cx, Failure, Outcome, Plugin, Report, ResponseHead,
};
use guardrail_sdk::BodyError;
use host_store::HostStore;
use identity_cache::IdentityCache;
use inject::HeaderPlan;
use rate_window::LimitError;
use report::Charged;
use std::cell::RefCell;
use usage::{response_kind, Metered, UsageMeter};

pub struct KeyAuth {
    settings: Settings,
    /// Signed identities of this config's keys, shared by the VM's requests.
    identities: RefCell<IdentityCache>,
}

/// Per request: what the head decided and what the body and the answer need.
#[derive(Default)]
pub struct Req {
    content_type: Option<String>,
    content_encoding: Option<String>,
    notes: Notes,
    /// `content-length` of the request (for the usage estimate), 0 when unknown.
    request_bytes: u64,
    body_model: Option<bool>,
    charge_budget: bool,
    meter: Option<UsageMeter>,
    /// The answer's usage, measured at its end (`limits: "global"`: published then).
    metered: Option<Metered>,
}

impl Plugin for KeyAuth {
    const NAME: &'static str = report::PLUGIN;
    const VERSION: &'static str = env!("CARGO_PKG_VERSION");
    type Request = Req;

    fn configure(raw: &[u8]) -> Result<Self, String> {
        let settings = config::load(raw).map_err(|e| e.to_string())?;
        capabilities(&settings)?;
        let identities = RefCell::new(IdentityCache::new());
        Ok(KeyAuth {
            settings,
            identities,
        })
    }

    fn max_body_bytes(&self) -> usize {
        self.settings.max_body_bytes
    }

    fn request_head(&self, cx: &mut Cx<'_, Req>) -> Outcome {
        host::want_bodies(true, true); // APISIX: the model check and usage accounting
        let watch = Stopwatch::start();
        let h = cx.head;
        cx.req.content_type = h.header("content-type");
        cx.req.content_encoding = h.header("content-encoding");
        let length = h
            .header("content-length")
            .and_then(|v| v.trim().parse().ok());
        cx.req.request_bytes = length.unwrap_or(0);
        let head = decide::RequestHead {
            path: h.path.clone(),
            authority: h.header(":authority").unwrap_or_default(),
            format: Some(h.format),
            no_body: h.no_body,
        };
        // One VM runs one callback at a time, so the cache is never borrowed here; if it
        // were, a fresh one signs without caching rather than trap.
        let mut fresh = IdentityCache::new();
        let mut shared = self.identities.try_borrow_mut().ok();
        let ids = shared.as_deref_mut().unwrap_or(&mut fresh);
        let (s, now) = (&self.settings, now_unix());
        let verdict = decide_head(s, &head, host::request_header, now, &mut HostStore, ids);
        match verdict {
            HeadVerdict::Refuse {
                refusal,
                plan,
                notes,
            } => {
                apply(&plan);
                cx.req.notes = notes;
                self.refuse(cx, &refusal, watch.elapsed_us())
            }
            HeadVerdict::Admit {
                plan,
                body_model,
                charge_budget,
                notes,
            } => {
                apply(&plan);
                cx.req.notes = notes;
                self.publish_identity(cx);
                cx.req.body_model = body_model;
                cx.req.charge_budget = charge_budget;
                if charge_budget {
                    // Usage is read from the answer: ask the upstream for a plain body.
                    host::remove_request_header("accept-encoding");
                }
                if body_model.is_none() {
                    self.log(cx, None, watch.elapsed_us());
                    return Outcome::Continue;
                }
                Outcome::Body
            }
        }
    }

    fn request_body(&self, cx: &mut Cx<'_, Req>, body: &mut Body<'_>) -> Outcome {
        let watch = Stopwatch::start();
        let keys = self.settings.store.keys();
        let (Some(required), Some(key)) = (
            cx.req.body_model.take(),
            cx.req.notes.key_index.and_then(|i| keys.get(i)),
        ) else {
            return Outcome::Continue;
        };
        let (ct, ce) = (
            cx.req.content_type.as_deref(),
            cx.req.content_encoding.as_deref(),
        );
        let max = self.settings.max_body_bytes;
        match decide_body(key, required, ct, ce, body.raw, max) {
            BodyVerdict::Allow { model } => {
                cx.req.notes.model = model;
                self.log(cx, None, watch.elapsed_us());
                Outcome::Continue
            }
            BodyVerdict::Refuse { refusal, model } => {
                cx.req.notes.model = model;
                self.refuse(cx, &refusal, watch.elapsed_us())
            }
            BodyVerdict::BadBody(err) => self.body_refused(cx, &err),
        }
    }

    fn body_refused(&self, cx: &mut Cx<'_, Req>, err: &BodyError) -> Outcome {
        let rule = "key_auth.body_unchecked";
        let r = Refusal {
            status: err.status,
            code: err.code,
            message: "",
            rule,
            retry_after: None,
        };
        self.log(cx, Some(&r), 0);
        Outcome::from(err)
    }

    fn response_head(&self, cx: &mut Cx<'_, Req>, response: &ResponseHead) -> Answer {
        let ok = host::response_header(":status").is_some_and(|s| s.starts_with('2'));
        if !cx.req.charge_budget || !ok {
            return Answer::Pass;
        }
        let kind = response_kind(host::response_header("content-type").as_deref());
        let (format, max) = (cx.head.format, self.settings.max_body_bytes);
        cx.req.meter = Some(UsageMeter::new(format, kind, max, cx.req.request_bytes));
        if response.no_body {
            answer_ended(cx);
        }
        Answer::Chunks
    }

    fn response_chunk(&self, cx: &mut Cx<'_, Req>, chunk: &[u8], end: bool) -> Chunk {
        if let Some(meter) = cx.req.meter.as_mut() {
            meter.push(chunk); // watched as it passes; never held
            if end {
                answer_ended(cx);
            }
        }
        Chunk::Keep
    }

    fn done(&self, cx: &mut Cx<'_, Req>) {
        // An answer cut off mid-stream is measured here (what was seen).
        let finished = cx.req.meter.take().map(|mut m| m.finish());
        let Some(metered) = cx.req.metered.or(finished) else {
            return;
        };
        let index = cx.req.notes.key_index;
        let key = index.and_then(|i| self.settings.store.keys().get(i));
        let charged = match (cx.req.notes.limits_global, key, now_unix()) {
            (true, _, _) => Charged::Global,
            (false, Some(key), Some(now)) => key
                .token_budget
                .and_then(|budget| {
                    rate_window::charge(&mut HostStore, &key.id, budget, now, metered.tokens).ok()
                })
                .map_or(Charged::Failed, Charged::Local),
            _ => Charged::Failed,
        };
        let id = &cx.head.request_id;
        let line = report::usage_line(id, &self.settings, index, metered, charged);
        cx.report(Report::new(line).uncounted());
    }
}

/// The answer is complete: measure its usage; with global limits, publish the tokens for the
/// rate-limit filter's end-of-stream descriptor.
fn answer_ended(cx: &mut Cx<'_, Req>) {
    let Some(mut meter) = cx.req.meter.take() else {
        return;
    };
    let metered = meter.finish();
    if cx.req.notes.limits_global {
        host::publish(global::TOKENS, &metered.tokens.to_string());
    }
    cx.req.metered = Some(metered);
}

impl KeyAuth {
    fn log(&self, cx: &mut Cx<'_, Req>, refusal: Option<&Refusal>, us: u64) {
        let (id, n) = (&cx.head.request_id, &cx.req.notes);
        let line = report::request_line(id, &self.settings, n, refusal, us);
        let mut report = Report::new(line).hits(refusal.map(|r| r.rule)).check_us(us);
        report.failure = match refusal {
            // Could not check: refused.
            Some(r) if r.status == 503 || r.rule == "key_auth.body_unchecked" => {
                Some(Failure::Closed)
            }
            Some(_) => None,
            // A check skipped (on_missing_capability: allow).
            None if n.limits_enforced == Some(false) || n.expiry_enforced == Some(false) => {
                Some(Failure::Open)
            }
            None => None,
        };
        cx.report(report);
    }

    /// The key's ids as properties, for the access log and global rate-limit descriptors.
    fn publish_identity(&self, cx: &Cx<'_, Req>) {
        let index = cx.req.notes.key_index;
        let key = index.and_then(|i| self.settings.store.keys().get(i));
        for (name, value) in key.map(global::identity_properties).unwrap_or_default() {
            host::publish(name, value);
        }
    }

    fn refuse(&self, cx: &mut Cx<'_, Req>, r: &Refusal, us: u64) -> Outcome {
        self.log(cx, Some(r), us);
        let mut out = plugin::Refusal::new(r.status, r.code, r.message);
        if let Some(secs) = r.retry_after {
            out = out.header("retry-after", &secs.to_string());
        }
        if r.status == 401 {
            // RFC 6750: say which scheme the gateway expects.
            out = out.header("www-authenticate", "Bearer realm=\"llm-gateway\"");
        }
        Outcome::Refuse(out)
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

/// Probe the clock and shared data (creating the limit entries); refuse to start when keys
/// need what the host lacks and the policy is deny, else warn once.
fn capabilities(settings: &Settings) -> Result<(), String> {
    let mut lacking: Vec<&str> = Vec::new();
    if settings.needs_clock() && host::now_unix_nanos().is_none() {
        lacking.push("a clock (validity windows, limits)");
    }
    let local = settings.limits == LimitMode::Local;
    for key in settings.store.keys().iter().filter(|_| local) {
        let rate = key.rate_limit_per_minute.is_some();
        if !rate && key.token_budget.is_none() {
            continue;
        }
        let made = rate_window::precreate(&mut HostStore, &key.id, rate, key.token_budget);
        if let Err(LimitError::Unavailable(status)) = made {
            let msg = format!("key-auth: shared data refused (status {status})");
            host::log(Level::Warn, &msg);
            lacking.push("shared data (limits)");
            break;
        }
    }
    if lacking.is_empty() {
        return Ok(());
    }
    let what = lacking.join(" and ");
    match settings.on_missing_capability {
        CapabilityPolicy::Deny => Err(format!(
            "on_missing_capability: deny, and the host lacks {what}: refusing to start"
        )),
        CapabilityPolicy::Allow => {
            host::log(Level::Warn, &format!("key-auth: the host lacks {what}: keys are authenticated but those checks are NOT enforced (on_missing_capability: allow)"));
            Ok(())
        }
    }
}

guardrail_sdk::main!(KeyAuth);
// The callbacks used; the others answer with the default, without entering the plugin
// (build.sh runs tools/wasm-trim; see the SDK's `callbacks`).
guardrail_sdk::callbacks!(
    request_headers,
    request_body,
    request_trailers,
    response_headers,
    response_body,
    log
);
