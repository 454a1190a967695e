//! config: the plugin configuration (actions and thresholds per trust level, decoding bounds,
//! allow-listed rules, an optional admin rule pack), its defaults and validation.

use crate::detector::{Detector, Trust};
use crate::family::Family;
use crate::matcher::RuleSpec;
use crate::options::{Canary, Classifier, Review};
use crate::tool_poison;
use crate::tool_scan::{self, McpOptions};
use crate::trusted_callers::TrustedCaller;
use guardrail_sdk::write::decimal;
use std::collections::BTreeMap;

mod read;

/// What to do when a segment's score reaches its trust level's threshold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// 403 in the provider's error shape; the upstream never sees the request.
    Block,
    /// Pass, add the flag header (rule ids) for the upstream, log the verdict.
    Flag,
    /// Pass, add the flag header and the review header, log the verdict for human review.
    Review,
    /// Do not scan this trust level.
    Off,
}

impl Action {
    /// Strength order: off < flag < review < block.
    pub fn rank(self) -> u8 {
        match self {
            Action::Off => 0,
            Action::Flag => 1,
            Action::Review => 2,
            Action::Block => 3,
        }
    }
}

/// Action per trust level.
#[derive(Debug, Clone, PartialEq)]
pub struct Actions {
    pub trusted: Action,
    pub user: Action,
    pub model: Action,
    pub data: Action,
}

impl Default for Actions {
    fn default() -> Self {
        Actions {
            trusted: Action::Flag,
            user: Action::Block,
            model: Action::Flag,
            data: Action::Block,
        }
    }
}

/// Score threshold per trust level (0 < t <= 1).
#[derive(Debug, Clone, PartialEq)]
pub struct Thresholds {
    pub trusted: f32,
    pub user: f32,
    pub model: f32,
    pub data: f32,
}

impl Default for Thresholds {
    fn default() -> Self {
        Thresholds {
            trusted: 0.9,
            user: 0.7,
            model: 0.7,
            data: 0.5,
        }
    }
}

/// An admin-supplied rule (same shape as the built-in ones).
#[derive(Debug, Clone, PartialEq)]
pub struct ExtraRule {
    pub id: String,
    pub family: Family,
    /// Weight on user/model text (0..=1).
    pub weight: f32,
    /// Weight on data; defaults to `weight`.
    pub data_weight: Option<f32>,
    /// Words allowed between consecutive slots (default 0).
    pub gap: u8,
    /// Slots: each a list of alternative phrases (lowercase words, `*` suffix = prefix).
    pub slots: Vec<Vec<String>>,
}

/// The plugin configuration.
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    pub actions: Actions,
    pub thresholds: Thresholds,
    /// Scan system/developer text (default true: any key holder can write those roles).
    /// `false` trusts every system prompt (only where no client can write one).
    pub scan_trusted: bool,
    /// Callers and routes whose system prompt the admin vouches for (not scanned).
    pub trusted_system_prompt: Vec<TrustedCaller>,
    /// Callers and routes whose tool definitions (chat `tools`, MCP `tools/list`) the admin
    /// vouches for: then the operator's text (`tool_scan`), else data.
    pub trusted_tool_sources: Vec<TrustedCaller>,
    /// MCP routes (`tool_scan::McpOptions`).
    pub mcp: McpOptions,
    /// Secret shared with key-auth to verify `x-guardrail-identity`: the verified caller (key
    /// id, team, app) is named in verdict lines and review items and selects
    /// `trusted_system_prompt` entries and `app_allow_rules`.
    pub identity_secret: Option<String>,
    pub max_body_bytes: usize,
    /// Nesting depth for decoded payloads (base64 inside base64, ...), 0..=4.
    pub max_decode_depth: u8,
    /// Rule ids (or `family.*`) that never count.
    pub allow_rules: Vec<String>,
    /// Per-app exceptions: app -> rule ids (or `family.*`) that never count for requests of
    /// that app (the `app` of the identity key-auth signed, verified with `identity_secret`).
    /// Other apps, and requests without a verified identity, keep every rule.
    pub app_allow_rules: BTreeMap<String, Vec<String>>,
    /// Action per rule id (or `family.*`) when that rule fires in a segment at its threshold;
    /// the strongest action of the segment's rules wins (a rule without an entry takes its
    /// trust level's action), so added text can only escalate, never downgrade, a verdict.
    pub rule_actions: BTreeMap<String, Action>,
    /// Header set (value `1`) on requests passed for human review.
    pub review_header: String,
    /// Header carrying the rule ids on flagged/reviewed requests.
    pub flag_header: String,
    /// Status and code of a block.
    pub block_status: u16,
    pub block_code: String,
    /// Admin rule pack, added to the built-in rules.
    pub extra_rules: Vec<ExtraRule>,
    /// Send `review` verdicts to a receiver (README "Review webhook").
    pub review: Option<Review>,
    /// Ask a remote classifier about grey-zone segments (README "Remote classifier").
    pub classifier: Option<Classifier>,
    /// Watch answers for a per-request canary or system-prompt fragments (README "Canary").
    pub canary: Option<Canary>,
    /// The learned n-gram model next to the rules (README "Learned model").
    pub model: ModelConfig,
    /// Per-segment scan results remembered across requests (README "Segment cache").
    pub segment_cache: guardrail_sdk::segment_cache::Limits,
}

/// The learned n-gram model: its signal `model.ngram` weighs `weight * p` (p: the model's
/// probability, counted from 0.5 up) on user/model/trusted text and `data_weight * p` on data.
#[derive(Debug, Clone, PartialEq)]
pub struct ModelConfig {
    pub enabled: bool,
    pub weight: f32,
    pub data_weight: f32,
}

impl Default for ModelConfig {
    fn default() -> Self {
        ModelConfig {
            enabled: true,
            // Picked by `./build.sh train` (cross-validation inside the train half).
            weight: 0.75,
            data_weight: 0.0,
        }
    }
}

impl Default for Config {
    fn default() -> Self {
        Config {
            actions: Actions::default(),
            thresholds: Thresholds::default(),
            scan_trusted: true,
            trusted_system_prompt: Vec::new(),
            trusted_tool_sources: Vec::new(),
            mcp: McpOptions::default(),
            identity_secret: None,
            max_body_bytes: 1024 * 1024,
            max_decode_depth: 2,
            allow_rules: Vec::new(),
            app_allow_rules: BTreeMap::new(),
            rule_actions: BTreeMap::new(),
            review_header: "x-guardrail-review".into(),
            flag_header: "x-guardrail-injection".into(),
            block_status: 403,
            block_code: "prompt_injection".into(),
            extra_rules: Vec::new(),
            review: None,
            classifier: None,
            canary: None,
            model: ModelConfig::default(),
            segment_cache: Default::default(),
        }
    }
}

fn valid_header(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 64
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

impl Config {
    /// Parse the plugin configuration and check what the types alone cannot (what `on_configure`
    /// does before it builds the detector).
    pub fn from_json(raw: &[u8]) -> Result<Config, String> {
        let c: Config = guardrail_sdk::config::parse(raw).map_err(|e| e.to_string())?;
        c.validate()?;
        Ok(c)
    }

    /// Check every field; the error names the field.
    pub fn validate(&self) -> Result<(), String> {
        let t = &self.thresholds;
        for (name, v) in [
            ("trusted", t.trusted),
            ("user", t.user),
            ("model", t.model),
            ("data", t.data),
        ] {
            if !(v > 0.0 && v <= 1.0) {
                return Err(format!(
                    "thresholds.{name}: must be in (0, 1], got {}",
                    decimal(f64::from(v))
                ));
            }
        }
        if self.max_body_bytes == 0 || self.max_body_bytes > 64 * 1024 * 1024 {
            return Err("max_body_bytes: must be 1..=67108864".into());
        }
        if self.max_decode_depth > 4 {
            return Err("max_decode_depth: must be 0..=4".into());
        }
        if !valid_header(&self.review_header) {
            return Err("review_header: must be a lowercase header name".into());
        }
        if !valid_header(&self.flag_header) {
            return Err("flag_header: must be a lowercase header name".into());
        }
        if !(400..=599).contains(&self.block_status) {
            return Err("block_status: must be 400..=599".into());
        }
        if self.block_code.is_empty()
            || !self
                .block_code
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_')
        {
            return Err("block_code: must be [A-Za-z0-9_]+".into());
        }
        for (i, r) in self.extra_rules.iter().enumerate() {
            if r.id.is_empty()
                || !r
                    .id
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
            {
                return Err(format!("extra_rules[{i}].id: must be [A-Za-z0-9._-]+"));
            }
            let dw = r.data_weight.unwrap_or(r.weight);
            if !(0.0..=1.0).contains(&r.weight) || !(0.0..=1.0).contains(&dw) {
                return Err(format!("extra_rules[{i}].weight: must be in [0, 1]"));
            }
        }
        for (name, v) in [
            ("weight", self.model.weight),
            ("data_weight", self.model.data_weight),
        ] {
            if !(0.0..=1.0).contains(&v) {
                return Err(format!(
                    "model.{name}: must be in [0, 1], got {}",
                    decimal(f64::from(v))
                ));
            }
        }
        if matches!(&self.identity_secret, Some(s) if s.len() < 16) {
            return Err("identity_secret: must be at least 16 bytes".into());
        }
        for (i, t) in self.trusted_system_prompt.iter().enumerate() {
            if t.is_empty() {
                return Err(format!(
                    "trusted_system_prompt[{i}]: needs path_prefix, key_id, team, env or app"
                ));
            }
            if t.needs_identity() && self.identity_secret.is_none() {
                return Err(format!(
                    "trusted_system_prompt[{i}]: selects on the caller's identity but identity_secret is not set"
                ));
            }
        }
        tool_scan::validate_sources(&self.trusted_tool_sources, self.identity_secret.is_some())?;
        self.mcp.validate()?;
        if let Some(r) = &self.review {
            r.validate()?;
        }
        if let Some(c) = &self.classifier {
            let t = &self.thresholds;
            c.validate(t.user.min(t.model).min(t.data).min(t.trusted))?;
        }
        if let Some(c) = &self.canary {
            c.validate()?;
        }
        let detector = self.detector()?;
        for (i, id) in self.allow_rules.iter().enumerate() {
            if !detector.knows_rule(id) && !tool_poison::knows_rule(id) {
                return Err(format!("allow_rules[{i}]: unknown rule id {id:?}"));
            }
        }
        if !self.app_allow_rules.is_empty() && self.identity_secret.is_none() {
            return Err(
                "app_allow_rules: needs identity_secret (the app comes from the verified identity)"
                    .into(),
            );
        }
        for (app, rules) in &self.app_allow_rules {
            if app.is_empty() {
                return Err("app_allow_rules: an app name must not be empty".into());
            }
            for (i, id) in rules.iter().enumerate() {
                if !detector.knows_rule(id) {
                    return Err(format!(
                        "app_allow_rules.{app}[{i}]: unknown rule id {id:?}"
                    ));
                }
            }
        }
        for (id, action) in &self.rule_actions {
            if !detector.knows_rule(id) {
                return Err(format!("rule_actions.{id}: unknown rule id"));
            }
            if *action == Action::Off {
                return Err(format!(
                    "rule_actions.{id}: must be block, flag or review (use allow_rules to switch a rule off)"
                ));
            }
        }
        Ok(())
    }

    /// The admin rule pack as matcher specs.
    pub fn extra_specs(&self) -> Vec<RuleSpec> {
        self.extra_rules
            .iter()
            .map(|r| RuleSpec {
                id: r.id.clone(),
                family: r.family,
                user: r.weight,
                data: r.data_weight.unwrap_or(r.weight),
                gap: usize::from(r.gap),
                slots: r.slots.clone(),
            })
            .collect()
    }

    /// Compile the detector for this configuration.
    pub fn detector(&self) -> Result<Detector, String> {
        Detector::new(
            &self.extra_specs(),
            &self.allow_rules,
            self.max_decode_depth,
        )
        .map(|d| match self.model.enabled {
            true => d.with_model(self.model.weight, self.model.data_weight),
            false => d,
        })
        .map_err(|e| format!("extra_rules: {}", e.0))
    }

    /// The exceptions of a request's verified app (`app_allow_rules`); none without one.
    pub fn app_exceptions(&self, app: Option<&str>) -> &[String] {
        app.and_then(|a| self.app_allow_rules.get(a))
            .map(Vec::as_slice)
            .unwrap_or_default()
    }

    /// Threshold of a trust level.
    pub fn threshold(&self, trust: Trust) -> f32 {
        match trust {
            Trust::Trusted => self.thresholds.trusted,
            Trust::User => self.thresholds.user,
            Trust::Model => self.thresholds.model,
            Trust::Data => self.thresholds.data,
        }
    }

    /// Action for a segment of `trust` at its threshold with these rules firing: the
    /// strongest of each rule's `rule_actions` entry (or the trust level's action).
    pub fn segment_action<'a>(&self, trust: Trust, rules: impl Iterator<Item = &'a str>) -> Action {
        let base = self.action(trust);
        if self.rule_actions.is_empty() {
            return base;
        }
        let mut best = None;
        for rule in rules {
            let own = self
                .rule_actions
                .iter()
                .filter(|(pattern, _)| crate::detector::rule_matches(pattern, rule))
                .map(|(_, a)| *a)
                .max_by_key(|a| a.rank())
                .unwrap_or(base);
            if best.is_none_or(|b: Action| own.rank() > b.rank()) {
                best = Some(own);
            }
        }
        best.unwrap_or(base)
    }

    /// Action for a segment of `trust` in a request whose system prompt is (or is not)
    /// vouched for (`trusted_callers::system_prompt_trusted`).
    pub fn action_for(&self, trust: Trust, system_trusted: bool) -> Action {
        match trust {
            Trust::Trusted if system_trusted => Action::Off,
            _ => self.action(trust),
        }
    }

    /// Action of a trust level (`Off` for trusted text with `scan_trusted: false`).
    pub fn action(&self, trust: Trust) -> Action {
        match trust {
            Trust::Trusted if !self.scan_trusted => Action::Off,
            Trust::Trusted => self.actions.trusted,
            Trust::User => self.actions.user,
            Trust::Model => self.actions.model,
            Trust::Data => self.actions.data,
        }
    }
}
