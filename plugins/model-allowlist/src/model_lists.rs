//! Checks one model against one scope's allow and deny glob lists (deny beats allow).

use guardrail_sdk::glob;

/// One scope's lists. An empty `allow` means "no allow restriction at this scope".
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ModelLists {
    pub allow: Vec<String>,
    pub deny: Vec<String>,
}

impl ModelLists {
    /// True when the model is permitted by this scope: not denied, and allowed (or no allow list).
    pub fn permits(&self, model: &str) -> bool {
        if self.deny.iter().any(|p| glob::matches(p, model)) {
            return false;
        }
        self.allow.is_empty() || self.allow.iter().any(|p| glob::matches(p, model))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lists(allow: &[&str], deny: &[&str]) -> ModelLists {
        ModelLists {
            allow: allow.iter().map(|s| s.to_string()).collect(),
            deny: deny.iter().map(|s| s.to_string()).collect(),
        }
    }

    #[test]
    fn deny_beats_allow_and_globs_match() {
        let demo = lists(&["gpt-4o*", "claude-3-5-*"], &["gpt-4o-realtime*"]);
        let cases = [
            ("gpt-4o", true),
            ("gpt-4o-mini", true),
            ("claude-3-5-sonnet-20241022", true),
            ("gpt-4o-realtime-preview", false),
            ("gpt-3.5-turbo", false),
            ("claude-3-opus", false),
            ("", false),
        ];
        for (model, want) in cases {
            assert_eq!(demo.permits(model), want, "{model}");
        }
    }

    #[test]
    fn empty_allow_only_applies_deny() {
        let only_deny = lists(&[], &["o1*"]);
        assert!(only_deny.permits("gpt-4o"));
        assert!(!only_deny.permits("o1-preview"));
    }
}
