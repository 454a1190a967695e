//! plugins: what each known guardrail plugin does with a capability its host lacks (from the
//! plugins' code and READMEs). Unknown plugins get conservative defaults and generic text.

use super::hosts::{Capability, Host};

/// How a plugin uses bodies: decides which host callback limits matter to it.
#[derive(Clone, Copy, Debug)]
pub struct BodyUse {
    /// Reads the request body.
    pub request: bool,
    /// Reads the response body.
    pub response: bool,
    /// Holds the response body (Pause) until it is complete, to rewrite it.
    pub response_held: bool,
}

/// What the audit knows about one plugin.
#[derive(Clone, Copy, Debug)]
pub struct PluginProfile {
    /// Capabilities the plugin's own code calls besides those of `guardrail_sdk::host`.
    pub extra_used: &'static [Capability],
    pub body: BodyUse,
    /// (host, capability, what the plugin does there).
    pub effects: &'static [(Host, Capability, &'static str)],
}

const ALL_CAPABILITIES: &[Capability] = &[
    Capability::BodyRewrite,
    Capability::Clock,
    Capability::Tick,
    Capability::SharedData,
    Capability::SharedQueue,
    Capability::Metrics,
    Capability::HttpCall,
    Capability::Grpc,
    Capability::ResumeStream,
    Capability::CloseStream,
    Capability::HeaderMapReplaceAll,
    Capability::ForeignFunction,
    Capability::Done,
    Capability::Other,
];

const APISIX_METRICS: (Host, Capability, &str) = (
    Host::Apisix,
    Capability::Metrics,
    "metric calls are accepted and dropped: no guardrail_* metrics; the verdict log still works",
);
const APISIX_CLOCK: (Host, Capability, &str) = (
    Host::Apisix,
    Capability::Clock,
    "no clock: timings_us read 0 and generated request ids carry no time",
);

/// The profile of the plugin whose file stem is `stem` (`key-auth` for dist/key-auth.wasm).
pub fn profile(stem: &str) -> PluginProfile {
    match stem {
        "key-auth" => PluginProfile {
            extra_used: &[Capability::SharedData],
            // Usage is read from answers as they pass (token budgets); never held.
            body: BodyUse { request: true, response: true, response_held: false },
            effects: &[
                (
                    Host::Apisix,
                    Capability::SharedData,
                    "rate limits and token budgets cannot be counted: with on_missing_capability \
                     \"deny\" (default) the plugin refuses its config (route not served); with \
                     \"allow\" keys are still authenticated but limits are NOT enforced",
                ),
                (
                    Host::Apisix,
                    Capability::Clock,
                    "no clock: rate windows and token budgets cannot be timed (same \
                     on_missing_capability rule); identity is signed without a useful issue time",
                ),
                (
                    Host::Kong,
                    Capability::SharedData,
                    "set nginx_wasm_shm_kv (a `shm_kv *` zone) in kong.conf: without it the \
                     first rate-limit/budget read traps and requests through the filter fail \
                     with 500",
                ),
                APISIX_METRICS,
            ],
        },
        "model-allowlist" => PluginProfile {
            extra_used: &[Capability::BodyRewrite],
            body: BodyUse { request: true, response: false, response_held: false },
            effects: &[
                (
                    Host::Apisix,
                    Capability::BodyRewrite,
                    "aliases, token caps and parameter strip cannot be applied: replace_request_body \
                     fails and the request is refused with 500 (fail closed); use allow/deny only",
                ),
                APISIX_CLOCK,
                APISIX_METRICS,
            ],
        },
        "injection-guard" => PluginProfile {
            extra_used: &[],
            body: BodyUse { request: true, response: false, response_held: false },
            effects: &[APISIX_CLOCK, APISIX_METRICS],
        },
        "pii-redact" => PluginProfile {
            extra_used: &[Capability::BodyRewrite],
            body: BodyUse { request: true, response: true, response_held: true },
            effects: &[
                (
                    Host::Apisix,
                    Capability::BodyRewrite,
                    "PII cannot be pseudonymised: a request with PII is refused with 500 \
                     rewrite_failed (fail closed) and responses cannot be restored; clean \
                     requests pass",
                ),
                APISIX_CLOCK,
                APISIX_METRICS,
            ],
        },
        "template-detector" => PluginProfile {
            // Flag verdicts go to the review webhook with proxy_http_call; it sets APISIX's
            // wasm_process_req_body property (guardrail_sdk::host::want_bodies).
            extra_used: &[Capability::HttpCall],
            body: BodyUse { request: true, response: false, response_held: false },
            effects: &[APISIX_CLOCK, APISIX_METRICS],
        },
        "hostcalls-test" => PluginProfile {
            extra_used: ALL_CAPABILITIES,
            body: BodyUse { request: true, response: true, response_held: true },
            effects: &[],
        },
        // Unknown plugin: assume it rewrites and reads both bodies (conservative).
        _ => PluginProfile {
            extra_used: &[Capability::BodyRewrite],
            body: BodyUse { request: true, response: true, response_held: true },
            effects: &[],
        },
    }
}

impl PluginProfile {
    /// True when the plugin calls this capability at run time.
    pub fn uses(&self, cap: Capability) -> bool {
        super::hosts::CALLED_BY_SDK.contains(&cap) || self.extra_used.contains(&cap)
    }

    /// What the plugin does on `host` without `cap` (None: no plugin-specific text).
    pub fn effect(&self, host: Host, cap: Capability) -> Option<&'static str> {
        self.effects
            .iter()
            .find(|(h, c, _)| *h == host && *c == cap)
            .map(|(_, _, text)| *text)
    }
}

/// What any plugin loses when a host lacks `cap` (used when there is no plugin-specific text).
pub fn generic_effect(cap: Capability) -> &'static str {
    match cap {
        Capability::BodyRewrite => {
            "bodies cannot be rewritten: a plugin must refuse (fail closed) where it would rewrite"
        }
        Capability::Clock => "no clock: timings read 0; anything time-based must be optional",
        Capability::Tick => "no tick: background work (expiry, flushing) never runs",
        Capability::SharedData => {
            "no shared data: per-worker state only; counters across workers are impossible"
        }
        Capability::SharedQueue => "no shared queues",
        Capability::Metrics => "metrics are not recorded",
        Capability::HttpCall => "no outbound http calls (review webhook not sent)",
        Capability::Grpc => "no gRPC calls",
        Capability::ResumeStream => "a paused stream cannot be resumed in that phase",
        Capability::CloseStream => "streams cannot be closed from the plugin",
        Capability::HeaderMapReplaceAll => {
            "a whole header map cannot be replaced (single-header calls still work)"
        }
        Capability::ForeignFunction => "no foreign functions",
        Capability::Done => "proxy_done unavailable",
        Capability::Other => "see docs/HOSTS.md",
    }
}
