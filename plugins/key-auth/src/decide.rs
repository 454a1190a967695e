//! decide: the whole request decision as pure functions the glue calls. `decide_head` runs on
//! the request headers (key, validity, provider scope, path model, token budget, rate limit,
//! header plan); `decide_body` checks the body's model when the key restricts models.

use crate::config::{CapabilityPolicy, LimitMode, Settings};
use crate::credential::{extract, Presented};
use crate::identity_cache::IdentityCache;
use crate::inject::{admit_plan, sign_identity, strip_plan, HeaderPlan};
use crate::key_store::{KeyEntry, Lookup};
use crate::query_keys::{scrub, QueryKeyAction};
use crate::rate_window::{self, BudgetDecision, CasStore, LimitError, RateDecision};
use crate::scope::{
    is_ambiguous_path, model_allowed, model_source, provider_allowed, provider_for, ModelSource,
};
use guardrail_sdk::buffer::{check_content_encoding, needs_scan};
use guardrail_sdk::json::{self, Json};
use guardrail_sdk::provider_error::default_message;
use guardrail_sdk::{ApiFormat, BodyError};

/// What the glue read from the request headers.
#[derive(Debug, Clone, Default)]
pub struct RequestHead {
    pub path: String,
    pub authority: String,
    pub format: Option<ApiFormat>,
    /// The request has no body (headers ended the stream).
    pub no_body: bool,
}

/// A refusal to send in the provider's error shape. `message` is generic: a 401 never says
/// whether the key was unknown, disabled or expired.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub status: u16,
    pub code: &'static str,
    pub message: &'static str,
    /// Rule id for the verdict log and metrics.
    pub rule: &'static str,
    pub retry_after: Option<u64>,
}

fn refuse(status: u16, code: &'static str, rule: &'static str) -> Refusal {
    Refusal {
        status,
        code,
        message: default_message(status),
        rule,
        retry_after: None,
    }
}

fn too_many(code: &'static str, rule: &'static str, retry_after: u64) -> Refusal {
    Refusal {
        retry_after: Some(retry_after.max(1)),
        ..refuse(429, code, rule)
    }
}

const KEY_IN_QUERY_MESSAGE: &str =
    "Send the API key in a header, not in the query string: the gateway does not forward it.";

const UNAVAILABLE_MESSAGE: &str = "The gateway cannot enforce this key's limits right now.";

/// Loggable facts about a decision (ids only).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Notes {
    pub key_index: Option<usize>,
    pub credential_label: String,
    pub source: String,
    pub provider: Option<String>,
    pub model: Option<String>,
    /// `Some(false)` when a key's validity window could not be checked (no clock).
    pub expiry_enforced: Option<bool>,
    /// `Some(false)` when its limits could not be enforced (no clock or shared data).
    pub limits_enforced: Option<bool>,
    pub rate_remaining: Option<u64>,
    pub budget_remaining: Option<u64>,
    /// Query parameters carrying a credential that were cut out of `:path`.
    pub query_keys_removed: usize,
    /// The key's limits are left to Envoy's global rate limiting (`limits: "global"`).
    pub limits_global: bool,
}

/// What happens to the request after its headers.
#[derive(Debug, Clone)]
pub enum HeadVerdict {
    Refuse {
        refusal: Refusal,
        plan: HeaderPlan,
        notes: Notes,
    },
    Admit {
        plan: HeaderPlan,
        /// Check the body's `model` (`Some(required)`) before letting the body through.
        body_model: Option<bool>,
        /// Charge the answer's usage to this key's budget.
        charge_budget: bool,
        notes: Notes,
    },
}

/// Missing capability: refuse (deny) or carry on without the check (allow).
fn missing(policy: CapabilityPolicy, rule: &'static str) -> Option<Refusal> {
    match policy {
        CapabilityPolicy::Deny => Some(Refusal {
            message: UNAVAILABLE_MESSAGE,
            ..refuse(503, "limits_unavailable", rule)
        }),
        CapabilityPolicy::Allow => None,
    }
}

pub fn decide_head(
    settings: &Settings,
    head: &RequestHead,
    header: impl Fn(&str) -> Option<String>,
    now: Option<u64>,
    store: &mut dyn CasStore,
    identities: &mut IdentityCache,
) -> HeadVerdict {
    let mut notes = Notes::default();
    let deny = |refusal: Refusal, notes: Notes| HeadVerdict::Refuse {
        refusal,
        plan: strip_plan(&settings.key_sources),
        notes,
    };
    let extracted = extract(
        &settings.key_sources,
        header,
        settings.query_param.as_deref(),
        &head.path,
    );
    let presented = match extracted.presented {
        Presented::Missing => {
            return deny(
                refuse(401, "missing_api_key", "key_auth.missing_key"),
                notes,
            )
        }
        Presented::Malformed { source } => {
            notes.source = source;
            return deny(
                refuse(401, "invalid_api_key", "key_auth.malformed_key"),
                notes,
            );
        }
        Presented::Ambiguous => {
            return deny(
                refuse(401, "invalid_api_key", "key_auth.ambiguous_key"),
                notes,
            )
        }
        Presented::Key { value, source } => {
            notes.source = source;
            value
        }
    };
    let auth = match settings.store.lookup(&presented, now) {
        Lookup::Accepted(a) => a,
        Lookup::Rejected { why, key_id } => {
            notes.key_index =
                key_id.and_then(|id| settings.store.keys().iter().position(|k| k.id == id));
            return deny(refuse(401, "invalid_api_key", why.rule()), notes);
        }
    };
    let key: &KeyEntry = auth.key;
    notes.key_index = settings.store.keys().iter().position(|k| k.id == key.id);
    notes.credential_label = auth.credential.label.clone();
    if auth.time_unchecked {
        notes.expiry_enforced = Some(false);
        if let Some(r) = missing(settings.on_missing_capability, "key_auth.no_clock") {
            return deny(r, notes);
        }
    }

    // A credential in another query parameter never goes on (README "Keys in the query").
    let mut stripped_path = extracted.stripped_path;
    let path_now = stripped_path.as_deref().unwrap_or(&head.path);
    if let Some(scrubbed) = scrub(path_now, &settings.query_key_names, Some(&presented)) {
        notes.query_keys_removed = scrubbed.removed;
        if settings.query_keys == QueryKeyAction::Refuse {
            return deny(
                Refusal {
                    message: KEY_IN_QUERY_MESSAGE,
                    ..refuse(400, "key_in_query", "key_auth.key_in_query")
                },
                notes,
            );
        }
        stripped_path = Some(scrubbed.path);
    }

    if is_ambiguous_path(&head.path) {
        return deny(
            refuse(400, "invalid_path", "key_auth.ambiguous_path"),
            notes,
        );
    }
    let format = head.format.unwrap_or(ApiFormat::Unknown);
    let provider = provider_for(&settings.providers, format, &head.path, &head.authority);
    notes.provider = provider.map(|p| p.name.clone());
    if !provider_allowed(key, provider) {
        return deny(
            refuse(403, "provider_not_allowed", "key_auth.provider_not_allowed"),
            notes,
        );
    }

    let mut body_model = None;
    if !key.models.is_empty() {
        match model_source(format, &head.path) {
            ModelSource::Path(m) => {
                let ok = model_allowed(key, &m);
                notes.model = Some(m);
                let Ok(ok) = ok else {
                    return deny(
                        refuse(400, "invalid_model", "key_auth.invalid_model"),
                        notes,
                    );
                };
                if !ok {
                    return deny(
                        refuse(403, "model_not_allowed", "key_auth.model_not_allowed"),
                        notes,
                    );
                }
            }
            ModelSource::Invalid => {
                return deny(
                    refuse(400, "invalid_model", "key_auth.invalid_model"),
                    notes,
                )
            }
            ModelSource::Body { required } => {
                if !head.no_body {
                    body_model = Some(required);
                }
            }
        }
    }

    // Limits: budget first (read only), then the rate counter (which counts this request).
    let has_limits = key.token_budget.is_some() || key.rate_limit_per_minute.is_some();
    let mut charge_budget = false;
    if has_limits && settings.limits == LimitMode::Global {
        // Counted by Envoy's rate-limit filter from the published key id and tokens (global.rs).
        notes.limits_global = true;
        charge_budget = key.token_budget.is_some();
    } else if has_limits {
        match now {
            None => {
                notes.limits_enforced = Some(false);
                if let Some(r) = missing(settings.on_missing_capability, "key_auth.no_clock") {
                    return deny(r, notes);
                }
            }
            Some(now) => match limits(key, now, store, &mut notes) {
                Ok(()) => {
                    notes.limits_enforced = Some(true);
                    charge_budget = key.token_budget.is_some();
                }
                Err(LimitOutcome::Refused(r)) => return deny(r, notes),
                Err(LimitOutcome::Unavailable) => {
                    notes.limits_enforced = Some(false);
                    if let Some(r) =
                        missing(settings.on_missing_capability, "key_auth.no_shared_data")
                    {
                        return deny(r, notes);
                    }
                }
            },
        }
    }

    let signed_identity = settings.identity_secret.as_deref().map(|secret| {
        let sign = || sign_identity(key, secret, now);
        match notes.key_index {
            Some(index) => identities.signed(index, now.unwrap_or(0), sign),
            None => sign(),
        }
    });
    let plan = admit_plan(
        &settings.key_sources,
        provider,
        signed_identity,
        stripped_path,
    );
    HeadVerdict::Admit {
        plan,
        body_model,
        charge_budget,
        notes,
    }
}

enum LimitOutcome {
    Refused(Refusal),
    Unavailable,
}

fn limits(
    key: &KeyEntry,
    now: u64,
    store: &mut dyn CasStore,
    notes: &mut Notes,
) -> Result<(), LimitOutcome> {
    let on_error = |e: LimitError| match e {
        LimitError::Unavailable(_) => LimitOutcome::Unavailable,
        // Heavy contention on one key means it is sending a lot: ask it to slow down.
        LimitError::Contention => {
            LimitOutcome::Refused(too_many("rate_limited", "key_auth.rate_contention", 1))
        }
    };
    let rate = key.rate_limit_per_minute;
    let admission = rate_window::admit_request(store, &key.id, rate, key.token_budget, now)
        .map_err(on_error)?;
    match admission.budget {
        Some(BudgetDecision::Allowed { remaining }) => notes.budget_remaining = Some(remaining),
        Some(BudgetDecision::Exhausted { retry_after }) => {
            notes.budget_remaining = Some(0);
            return Err(LimitOutcome::Refused(too_many(
                "token_budget_exhausted",
                "key_auth.token_budget_exhausted",
                retry_after,
            )));
        }
        None => {}
    }
    match (rate, admission.rate) {
        (None, _) => {}
        (Some(_), RateDecision::Allowed { remaining }) => notes.rate_remaining = Some(remaining),
        (Some(_), RateDecision::Limited { retry_after }) => {
            notes.rate_remaining = Some(0);
            return Err(LimitOutcome::Refused(too_many(
                "rate_limited",
                "key_auth.rate_limited",
                retry_after,
            )));
        }
    }
    Ok(())
}

/// The body step's outcome.
#[derive(Debug, Clone, PartialEq)]
pub enum BodyVerdict {
    Allow {
        model: Option<String>,
    },
    Refuse {
        refusal: Refusal,
        model: Option<String>,
    },
    /// The body cannot be checked (fail closed: 400/413/415 in the provider's shape).
    BadBody(BodyError),
}

/// Check the body's `model` against `key`'s globs.
pub fn decide_body(
    key: &KeyEntry,
    required: bool,
    content_type: Option<&str>,
    content_encoding: Option<&str>,
    raw: &[u8],
    max_bytes: usize,
) -> BodyVerdict {
    if let Err(e) = check_content_encoding(content_encoding) {
        return BodyVerdict::BadBody(e);
    }
    if !needs_scan(content_type) {
        return BodyVerdict::BadBody(BodyError::new(
            415,
            "unsupported_content_type",
            "the request body must be JSON for this key",
        ));
    }
    let limits = json::Limits {
        max_bytes,
        ..json::Limits::default()
    };
    let root = match json::parse(raw, &limits) {
        Ok(root) => root,
        Err(e) => return BodyVerdict::BadBody(e.into()),
    };
    if root.as_object().is_none() {
        return BodyVerdict::BadBody(BodyError::bad_request(
            "invalid_request",
            "request body must be a JSON object",
        ));
    }
    match root.get("model").map(|n| &n.value) {
        Some(Json::String(m)) => {
            let model = Some(m.clone());
            match model_allowed(key, m) {
                Ok(true) => BodyVerdict::Allow { model },
                Ok(false) => BodyVerdict::Refuse {
                    refusal: refuse(403, "model_not_allowed", "key_auth.model_not_allowed"),
                    model,
                },
                Err(e) => BodyVerdict::BadBody(e.into()),
            }
        }
        Some(_) => BodyVerdict::BadBody(BodyError::bad_request(
            "invalid_model",
            "`model` must be a string",
        )),
        None if required => BodyVerdict::Refuse {
            refusal: refuse(403, "model_not_allowed", "key_auth.model_missing"),
            model: None,
        },
        None => BodyVerdict::Allow { model: None },
    }
}

#[cfg(test)]
mod tests;
