//! config: the pii-redact configuration as written by the admin (unknown fields refused) and its checked form [`Settings`] (action per entity type). Errors name the field.

use crate::custom::{CustomSet, CustomTypes};
use crate::detect::Enabled;
use crate::entity::{EntityType, Match, COUNT};
use guardrail_sdk::config::{self as sdk_config, ConfigError, FromConfig, Value};
use guardrail_sdk::segment_cache::Limits as SegmentCacheLimits;

/// Largest accepted `max_body_bytes` (16 MiB): the whole body is held in the VM.
pub const MAX_BODY_LIMIT: usize = 16 * 1024 * 1024;

/// What to do with a found value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Replace with `[TYPE]`.
    Redact,
    /// Keep the last four letters/digits, `*` for the others, separators kept.
    Mask,
    /// Replace with `<TYPE_n>` (same value -> same placeholder within a request); the
    /// response gets the original back. (`pseudonymise` is accepted too.)
    Pseudonymize,
    /// Refuse the request (403 in the provider's error shape).
    Block,
    /// Do not look for this type.
    Off,
}

impl Action {
    pub fn name(self) -> &'static str {
        match self {
            Action::Redact => "redact",
            Action::Mask => "mask",
            Action::Pseudonymize => "pseudonymize",
            Action::Block => "block",
            Action::Off => "off",
        }
    }
}

impl FromConfig for Action {
    fn from_config(v: &Value<'_>) -> Result<Self, ConfigError> {
        v.one_of(&[
            ("redact", Action::Redact),
            ("mask", Action::Mask),
            ("pseudonymize", Action::Pseudonymize),
            ("pseudonymise", Action::Pseudonymize),
            ("block", Action::Block),
            ("off", Action::Off),
        ])
    }
}

/// Per-type actions (`{"EMAIL": "mask", ...}`, keys as `EntityType` names them); an absent type
/// uses `default_action`.
#[derive(Debug, Clone, Default)]
pub struct EntityActions(pub [Option<Action>; COUNT]);

/// The keys of `entities`: every `EntityType` name, in `EntityType::ALL` order.
const ENTITY_KEYS: [&str; COUNT] = [
    "SECRET",
    "CN_RESIDENT_ID",
    "IBAN",
    "IT_FISCAL_CODE",
    "ES_NIF",
    "FR_NIR",
    "FI_HETU",
    "KR_RRN",
    "UK_NINO",
    "BR_CPF",
    "NL_BSN",
    "PL_PESEL",
    "IN_AADHAAR",
    "DE_TAX_ID",
    "CREDIT_CARD",
    "US_SSN",
    "EMAIL",
    "IP_ADDRESS",
    "PHONE",
];

impl FromConfig for EntityActions {
    fn from_config(v: &Value<'_>) -> Result<Self, ConfigError> {
        let o = v.object(&ENTITY_KEYS)?;
        let mut actions = [None; COUNT];
        for t in EntityType::ALL {
            if let Some(slot) = actions.get_mut(t.index()) {
                *slot = o.optional(t.name())?;
            }
        }
        Ok(EntityActions(actions))
    }
}

/// What to do with a body that cannot be scanned (not JSON, not UTF-8, compressed).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OnUnparseable {
    /// Refuse it in the provider's error shape (the documented fail policy).
    Block,
    /// Let it through unscanned (logged as `unscanned`).
    Pass,
}

impl FromConfig for OnUnparseable {
    fn from_config(v: &Value<'_>) -> Result<Self, ConfigError> {
        v.one_of(&[
            ("block", OnUnparseable::Block),
            ("pass", OnUnparseable::Pass),
        ])
    }
}

#[derive(Debug, Clone)]
pub struct RawConfig {
    /// Shared secret of the chain's signed identity header; when set, the verdict log carries
    /// the caller's key id.
    pub identity_secret: Option<String>,
    pub entities: EntityActions,
    pub default_action: Action,
    pub scan_responses: bool,
    pub max_body_bytes: usize,
    pub on_unparseable: OnUnparseable,
    /// Add `x-guardrail-pii: <count>` (values found in the request) to the response.
    pub count_header: bool,
    /// Admin-defined types (word lists, patterns), compiled when read.
    pub custom_entities: CustomTypes,
    /// Per-segment findings remembered across requests (README "Segment cache").
    pub segment_cache: SegmentCacheLimits,
}

impl Default for RawConfig {
    fn default() -> Self {
        RawConfig {
            identity_secret: None,
            entities: EntityActions::default(),
            default_action: Action::Redact,
            scan_responses: true,
            max_body_bytes: guardrail_sdk::buffer::DEFAULT_MAX_BYTES,
            on_unparseable: OnUnparseable::Block,
            count_header: false,
            custom_entities: CustomTypes::default(),
            segment_cache: SegmentCacheLimits::default(),
        }
    }
}

impl FromConfig for RawConfig {
    fn from_config(v: &Value<'_>) -> Result<Self, ConfigError> {
        let o = v.object(&[
            "identity_secret",
            "entities",
            "default_action",
            "scan_responses",
            "max_body_bytes",
            "on_unparseable",
            "count_header",
            "custom_entities",
            "segment_cache",
        ])?;
        let d = RawConfig::default();
        Ok(RawConfig {
            identity_secret: o.optional("identity_secret")?,
            entities: o.or_default("entities")?,
            default_action: o.or("default_action", d.default_action)?,
            scan_responses: o.or("scan_responses", d.scan_responses)?,
            max_body_bytes: o.or("max_body_bytes", d.max_body_bytes)?,
            on_unparseable: o.or("on_unparseable", d.on_unparseable)?,
            count_header: o.or("count_header", d.count_header)?,
            custom_entities: o.or_default("custom_entities")?,
            segment_cache: o.or_default("segment_cache")?,
        })
    }
}

/// The checked configuration the request path uses.
#[derive(Debug, Clone)]
pub struct Settings {
    pub actions: [Action; COUNT],
    pub identity_secret: Option<Vec<u8>>,
    pub scan_responses: bool,
    pub max_body_bytes: usize,
    pub on_unparseable: OnUnparseable,
    pub count_header: bool,
    /// Action of each custom type (`EntityType::Custom(i)`).
    pub custom_actions: Vec<Action>,
    /// The compiled custom matcher (types whose action is `off` left out).
    pub custom: CustomSet,
    pub segment_cache: SegmentCacheLimits,
}

impl Default for Settings {
    fn default() -> Self {
        // The default configuration always validates.
        Settings::from_raw(RawConfig::default()).unwrap_or(Settings {
            actions: [Action::Redact; COUNT],
            identity_secret: None,
            scan_responses: true,
            max_body_bytes: guardrail_sdk::buffer::DEFAULT_MAX_BYTES,
            on_unparseable: OnUnparseable::Block,
            count_header: false,
            custom_actions: Vec::new(),
            custom: CustomSet::default(),
            segment_cache: SegmentCacheLimits::default(),
        })
    }
}

/// A refused configuration: the field and why. `Display` is what the root context logs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadConfig(pub String);

impl std::fmt::Display for BadConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl From<ConfigError> for BadConfig {
    fn from(e: ConfigError) -> Self {
        BadConfig(e.to_string())
    }
}

/// Parse and validate the plugin configuration bytes.
pub fn parse(raw: &[u8]) -> Result<Settings, BadConfig> {
    let cfg: RawConfig = sdk_config::parse(raw)?;
    Settings::from_raw(cfg)
}

impl Settings {
    pub fn from_raw(cfg: RawConfig) -> Result<Settings, BadConfig> {
        if cfg.max_body_bytes == 0 || cfg.max_body_bytes > MAX_BODY_LIMIT {
            return Err(BadConfig(format!(
                "max_body_bytes: must be between 1 and {MAX_BODY_LIMIT}, got {}",
                cfg.max_body_bytes
            )));
        }
        let identity_secret = match cfg.identity_secret {
            Some(s) if s.len() < 16 => {
                return Err(BadConfig(
                    "identity_secret: must be at least 16 bytes".into(),
                ));
            }
            Some(s) => Some(s.into_bytes()),
            None => None,
        };
        let actions = cfg.entities.0.map(|a| a.unwrap_or(cfg.default_action));
        let custom_actions: Vec<Action> = cfg
            .custom_entities
            .0
            .iter()
            .map(|t| t.action.unwrap_or(cfg.default_action))
            .collect();
        let custom = CustomSet::build(&cfg.custom_entities, |i| {
            custom_actions.get(i).is_some_and(|&a| a != Action::Off)
        })
        .map_err(BadConfig)?;
        Ok(Settings {
            actions,
            identity_secret,
            scan_responses: cfg.scan_responses,
            max_body_bytes: cfg.max_body_bytes,
            on_unparseable: cfg.on_unparseable,
            count_header: cfg.count_header,
            custom_actions,
            custom,
            segment_cache: cfg.segment_cache,
        })
    }

    pub fn action(&self, t: EntityType) -> Action {
        match t {
            EntityType::Custom(i) => self.custom_actions.get(usize::from(i)).copied(),
            t => self.actions.get(t.index()).copied(),
        }
        .unwrap_or(Action::Redact)
    }

    /// The type's name in placeholders, logs and config (a custom type's configured name).
    pub fn name(&self, t: EntityType) -> &str {
        match t {
            EntityType::Custom(i) => self.custom.name(i).unwrap_or("CUSTOM"),
            t => t.name(),
        }
    }

    /// Rule id in verdicts and metrics (`pii.email`; `pii.custom.codename` for a custom type).
    pub fn rule(&self, t: EntityType) -> String {
        match t {
            EntityType::Custom(_) => format!("pii.custom.{}", self.name(t).to_ascii_lowercase()),
            t => t.rule().to_string(),
        }
    }

    /// Every type this configuration knows: the built-in ones, then the custom ones.
    pub fn kinds(&self) -> impl Iterator<Item = EntityType> + '_ {
        let custom =
            (0..self.custom.len()).filter_map(|i| u8::try_from(i).ok().map(EntityType::Custom));
        EntityType::ALL.into_iter().chain(custom)
    }

    /// All values to act on in `text`: custom types first (the admin's own definitions win an
    /// overlap), then the built-in detectors.
    pub fn scan(&self, text: &str) -> Vec<Match> {
        let custom = if self.custom.is_empty() {
            Vec::new()
        } else {
            self.custom.find(text)
        };
        crate::detect::scan_with(text, &self.enabled(), custom)
    }

    /// Types to scan for (every type whose action is not `off`).
    pub fn enabled(&self) -> Enabled {
        let mut e = Enabled([false; COUNT]);
        for t in EntityType::ALL {
            if let Some(slot) = e.0.get_mut(t.index()) {
                *slot = self.action(t) != Action::Off;
            }
        }
        e
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_config_redacts_everything() {
        let s = parse(b"").unwrap();
        assert!(EntityType::ALL
            .iter()
            .all(|&t| s.action(t) == Action::Redact));
        assert!(s.enabled().0.iter().all(|&b| b));
        assert!(s.scan_responses);
        assert_eq!(s.on_unparseable, OnUnparseable::Block);
        assert!(!s.count_header);
    }

    #[test]
    fn per_type_actions_override_the_default() {
        let s = parse(
            br#"{"entities": {"EMAIL": "pseudonymize", "CREDIT_CARD": "mask", "SECRET": "block", "IP_ADDRESS": "off"},
                 "default_action": "redact", "scan_responses": false, "max_body_bytes": 2048,
                 "on_unparseable": "pass", "count_header": true, "identity_secret": "0123456789abcdef"}"#,
        )
        .unwrap();
        assert_eq!(s.action(EntityType::Email), Action::Pseudonymize);
        assert_eq!(s.action(EntityType::CreditCard), Action::Mask);
        assert_eq!(s.action(EntityType::Secret), Action::Block);
        assert_eq!(s.action(EntityType::Phone), Action::Redact);
        assert!(!s.enabled().has(EntityType::IpAddress));
        assert_eq!(s.max_body_bytes, 2048);
        assert!(!s.scan_responses && s.count_header);
        assert_eq!(s.on_unparseable, OnUnparseable::Pass);
        assert!(parse(br#"{"entities":{"EMAIL":"pseudonymise"}}"#).is_ok());
    }

    #[test]
    fn entity_keys_are_the_type_names() {
        let names = EntityType::ALL.map(EntityType::name);
        assert_eq!(names, ENTITY_KEYS);
    }

    #[test]
    fn bad_configs_name_the_field() {
        for (raw, field) in [
            (&br#"{"entities": {"EMAILS": "redact"}}"#[..], "EMAILS"),
            (br#"{"entities": {"EMAIL": "hide"}}"#, "entities.EMAIL"),
            (br#"{"default_action": "nuke"}"#, "default_action"),
            (br#"{"max_body_bytes": 0}"#, "max_body_bytes"),
            (br#"{"max_body_bytes": 999999999}"#, "max_body_bytes"),
            (br#"{"identity_secret": "short"}"#, "identity_secret"),
            (br#"{"on_unparseable": "ignore"}"#, "on_unparseable"),
            (br#"{"scan_response": true}"#, "scan_response"),
            (br#"{"entities": "#, "line"),
        ] {
            let err = parse(raw).unwrap_err().to_string();
            assert!(err.contains(field), "{err} should name {field}");
        }
    }
}
