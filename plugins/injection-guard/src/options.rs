//! options: the optional sections of the configuration that reach beyond the request: the
//! review webhook, the remote classifier for the grey zone and the response-side canary, with
//! their defaults and validation (errors name the field).

use crate::leak_watch::fold;
use guardrail_sdk::webhook::Webhook;
use guardrail_sdk::write::decimal;

/// What happens when an outgoing call fails (timeout, reset, non-2xx, unreadable answer).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Fallback {
    /// Let the request go on as if the call had said nothing (fail open).
    #[default]
    Allow,
    /// Let it go on with the flag header and a `flag` verdict (classifier only).
    Flag,
    /// Refuse it with the block status (fail closed).
    Block,
}

/// `review`: where `review` verdicts are sent (docs/DEPLOYMENT.md "Review queue").
#[derive(Debug, Clone, PartialEq)]
pub struct Review {
    /// The receiver (default path `/review`, authority `guardrail-review`).
    pub webhook: Webhook,
    /// Hold the request until the receiver answers (it may answer `{"action":"block"}`);
    /// false (default): send and let the request go on at once.
    pub hold: bool,
    /// With `hold`: `allow` (default) or `block` when the receiver fails or times out.
    pub on_failure: Fallback,
    /// Also send the flagged text (default false: rule ids and SHA-256 hashes only).
    pub include_text: bool,
}

/// `classifier`: a remote model asked about segments in the grey zone.
#[derive(Debug, Clone, PartialEq)]
pub struct Classifier {
    /// The classifier service (default path `/classify`, authority `guardrail-classifier`).
    pub endpoint: Webhook,
    /// A segment whose rule score is at least this but under its trust level's threshold is
    /// sent to the classifier. Default 0.3.
    pub grey_low: f32,
    /// Classifier score from which the segment counts as an attack. Default 0.5.
    pub min_score: f32,
    /// Labels that mean "attack" in a `[{"label","score"}]` answer (case-insensitive).
    pub labels: Vec<String>,
    /// Most text bytes sent in one call; grey text beyond it is not sent and `on_failure`
    /// applies (never a silent truncation). Default 65536.
    pub max_text_bytes: usize,
    /// `allow` (default), `flag` or `block` when the call fails, times out or is too large.
    pub on_failure: Fallback,
}

pub const DEFAULT_GREY_LOW: f32 = 0.3;
pub const DEFAULT_MIN_SCORE: f32 = 0.5;
pub const DEFAULT_MAX_TEXT_BYTES: usize = 64 * 1024;
pub fn default_labels() -> Vec<String> {
    ["INJECTION", "JAILBREAK"].map(String::from).to_vec()
}

/// What a leak in the response does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LeakAction {
    /// Withhold the answer: an error in the provider's shape (non-streamed), or the stream
    /// cut with an error event at the event that completes the leak (streamed).
    #[default]
    Block,
    /// Deliver it; log a `flag` verdict on the response phase.
    Flag,
}

/// Shortest folded fragment accepted: shorter ones would match ordinary answers.
pub const MIN_FRAGMENT_CHARS: usize = 16;
const MAX_FRAGMENT_BYTES: usize = 1024;
const MAX_FRAGMENTS: usize = 64;

/// `canary`: system-prompt leak detection on the response path.
#[derive(Debug, Clone, PartialEq)]
pub struct Canary {
    /// Add a per-request canary line to the system prompt and watch for it. Default true.
    pub inject: bool,
    /// Secret pieces of the operator's system prompt to watch for, compared on letters and
    /// digits only (case, spacing and punctuation ignored); at least 16 of them each.
    pub fragments: Vec<String>,
    /// A run of this many consecutive words of the request's system prompt in the answer is a
    /// leak (`leak.prompt_echo`); a streamed answer is held back by that many words less one
    /// (`prompt_echo`). Default 8; 0 turns it off; else 4..=64.
    pub echo_words: usize,
    /// `block` (default) or `flag`.
    pub action: LeakAction,
    /// Largest non-streamed answer buffered to check; a bigger one is handled by `action`
    /// (block: 502; flag: delivered unchecked, logged). Default 1 MiB.
    pub max_response_bytes: usize,
}

pub const DEFAULT_MAX_RESPONSE_BYTES: usize = 1024 * 1024;

impl Review {
    pub fn validate(&self) -> Result<(), String> {
        self.webhook.validate("review.webhook")?;
        if self.on_failure == Fallback::Flag {
            return Err(
                "review.on_failure: must be allow or block (the item is already flagged)".into(),
            );
        }
        Ok(())
    }
}

impl Classifier {
    pub fn validate(&self, lowest_threshold: f32) -> Result<(), String> {
        self.endpoint.validate("classifier.endpoint")?;
        if !(self.grey_low > 0.0 && self.grey_low < lowest_threshold) {
            return Err(format!(
                "classifier.grey_low: must be in (0, {}) (below the lowest threshold), got {}",
                decimal(f64::from(lowest_threshold)),
                decimal(f64::from(self.grey_low))
            ));
        }
        if !(self.min_score > 0.0 && self.min_score <= 1.0) {
            return Err(format!(
                "classifier.min_score: must be in (0, 1], got {}",
                decimal(f64::from(self.min_score))
            ));
        }
        if self.labels.is_empty() || self.labels.iter().any(|l| l.trim().is_empty()) {
            return Err("classifier.labels: must be non-empty names".into());
        }
        if self.max_text_bytes == 0 || self.max_text_bytes > 1024 * 1024 {
            return Err("classifier.max_text_bytes: must be 1..=1048576".into());
        }
        Ok(())
    }
}

impl Canary {
    pub fn validate(&self) -> Result<(), String> {
        if !self.inject && self.fragments.is_empty() {
            return Err("canary: nothing to watch (inject is false and fragments is empty)".into());
        }
        if self.fragments.len() > MAX_FRAGMENTS {
            return Err(format!("canary.fragments: at most {MAX_FRAGMENTS}"));
        }
        for (i, f) in self.fragments.iter().enumerate() {
            let folded = fold(f).len();
            if folded < MIN_FRAGMENT_CHARS || f.len() > MAX_FRAGMENT_BYTES {
                return Err(format!(
                    "canary.fragments[{i}]: needs {MIN_FRAGMENT_CHARS}..={MAX_FRAGMENT_BYTES} bytes of letters and digits, has {folded}"
                ));
            }
        }
        let (lo, hi) = (
            crate::prompt_echo::MIN_ECHO_WORDS,
            crate::prompt_echo::MAX_ECHO_WORDS,
        );
        if self.echo_words != 0 && !(lo..=hi).contains(&self.echo_words) {
            return Err(format!("canary.echo_words: must be 0 (off) or {lo}..={hi}"));
        }
        if self.max_response_bytes == 0 || self.max_response_bytes > 64 * 1024 * 1024 {
            return Err("canary.max_response_bytes: must be 1..=67108864".into());
        }
        Ok(())
    }

    /// The fragments, folded for `LeakWatch`.
    pub fn folded_fragments(&self) -> Vec<Vec<u8>> {
        self.fragments.iter().map(|f| fold(f)).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use guardrail_sdk::config::parse;

    #[test]
    fn defaults() {
        let r: Review = parse(br#"{"webhook":{"cluster":"review"}}"#).unwrap();
        assert!(!r.hold && !r.include_text && r.on_failure == Fallback::Allow);
        r.validate().unwrap();
        let c: Classifier = parse(br#"{"endpoint":{"cluster":"pg"}}"#).unwrap();
        assert_eq!((c.grey_low, c.min_score), (0.3, 0.5));
        c.validate(0.5).unwrap();
        let k: Canary = parse(b"{}").unwrap();
        assert!(k.inject && k.action == LeakAction::Block);
        k.validate().unwrap();
    }

    #[test]
    fn errors_name_the_field() {
        let r: Review = parse(br#"{"webhook":{"cluster":"r"},"on_failure":"flag"}"#).unwrap();
        assert!(r.validate().unwrap_err().starts_with("review.on_failure"));
        let r: Review = parse(br#"{"webhook":{"cluster":"r","timeout_ms":0}}"#).unwrap();
        assert!(r
            .validate()
            .unwrap_err()
            .starts_with("review.webhook.timeout_ms"));
        let c: Classifier = parse(br#"{"endpoint":{"cluster":"c"},"grey_low":0.6}"#).unwrap();
        assert!(c
            .validate(0.5)
            .unwrap_err()
            .starts_with("classifier.grey_low"));
        let c: Classifier = parse(br#"{"endpoint":{"cluster":"c"},"labels":[]}"#).unwrap();
        assert!(c
            .validate(0.5)
            .unwrap_err()
            .starts_with("classifier.labels"));
        let k: Canary = parse(br#"{"fragments":["too short"]}"#).unwrap();
        assert!(k.validate().unwrap_err().starts_with("canary.fragments[0]"));
        let k: Canary = parse(br#"{"inject":false}"#).unwrap();
        assert!(k.validate().unwrap_err().starts_with("canary:"));
        assert!(parse::<Canary>(br#"{"injects":true}"#).is_err());
    }
}
