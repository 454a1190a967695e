//! global: what key-auth hands to Envoy for global rate limiting (`limits: "global"`) and to
//! its access log: the verified key's ids as properties (`proxy_set_property`; Envoy keeps them
//! as filter state `wasm.guardrail.key_id`, `.team`, `.app`), and at the end of a budgeted
//! answer its token count (`wasm.guardrail.tokens`). The route's `rate_limits` read them with
//! CEL descriptors (`filter_state['wasm.guardrail.key_id']`), so nothing travels in a request
//! header and nothing can reach the provider. Ids only: never the key, never text.

use crate::key_store::KeyEntry;

/// The verified key id.
pub const KEY_ID: &str = "guardrail.key_id";
/// The key's team and app (published when not empty).
pub const TEAM: &str = "guardrail.team";
pub const APP: &str = "guardrail.app";
/// The answer's token count (decimal), published when the answer ends.
pub const TOKENS: &str = "guardrail.tokens";

/// The identity properties of an admitted request's key: `(property, value)`.
pub fn identity_properties(key: &KeyEntry) -> Vec<(&'static str, &str)> {
    let mut out = vec![(KEY_ID, key.id.as_str())];
    for (name, value) in [(TEAM, &key.team), (APP, &key.app)] {
        if !value.is_empty() {
            out.push((name, value.as_str()));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::key_store::Validity;

    fn key(team: &str, app: &str) -> KeyEntry {
        KeyEntry {
            id: "k1".into(),
            team: team.into(),
            env: "prod".into(),
            app: app.into(),
            credentials: vec![],
            validity: Validity::default(),
            disabled: false,
            providers: vec![],
            models: vec![],
            rate_limit_per_minute: Some(3),
            token_budget: None,
        }
    }

    #[test]
    fn ids_are_published_and_empty_ones_left_out() {
        assert_eq!(
            identity_properties(&key("finance", "invoices")),
            vec![
                ("guardrail.key_id", "k1"),
                ("guardrail.team", "finance"),
                ("guardrail.app", "invoices")
            ]
        );
        assert_eq!(
            identity_properties(&key("", "chat")),
            vec![("guardrail.key_id", "k1"), ("guardrail.app", "chat")]
        );
    }
}
