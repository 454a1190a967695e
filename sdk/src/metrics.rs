//! Metric names: Prometheus-style bases (`guardrail_requests_total`) with tags encoded as
//! `.key.value` pairs, so Envoy's tag extraction can turn them back into labels. Pure; the host
//! calls are in `host::Metrics`.
//!
//! Host facts: Envoy puts metrics defined by Wasm plugins in the `wasmcustom` stat namespace
//! (`/stats` shows `wasmcustom.<name>`, `/stats/prometheus` shows `<name>` without the
//! `envoy_` prefix; envoyproxy/envoy PR 17357 "stats: introduce CustomStatNamespaces").
//! Kong's ngx_wasm_module and APISIX may refuse `proxy_define_metric`; `host::Metrics` then
//! turns metrics off instead of failing the request.

/// Requests seen, tagged with `plugin` and `verdict`.
pub const REQUESTS_TOTAL: &str = "guardrail_requests_total";
/// Rule hits, tagged with `plugin` and `rule`.
pub const RULE_HITS_TOTAL: &str = "guardrail_rule_hits_total";
/// Time spent checking a body, in microseconds (histogram), tagged with `plugin`.
pub const CHECK_US: &str = "guardrail_check_us";

/// Fail-safe events, tagged with `plugin` and `mode`: `closed` = a request refused because it
/// could not be checked (body unreadable, too big or compressed; limits unavailable), `open` =
/// a request let through with a check skipped (a capability missing under an `allow` policy).
pub const FAILURES_TOTAL: &str = "guardrail_failures_total";

/// Longest tag value kept (rule ids and plugin names are short).
pub const MAX_TAG_VALUE: usize = 64;

/// What prefix a host shows before our names.
pub const ENVOY_STATS_PREFIX: &str = "wasmcustom.";

/// `base.key1.value1.key2.value2`, with every value reduced to `[a-z0-9_]` (other bytes become
/// `_`) so a value can never inject a separator or an extra tag.
pub fn name(base: &str, tags: &[(&str, &str)]) -> String {
    let mut out = String::with_capacity(base.len() + 32);
    out.push_str(base);
    for (key, value) in tags {
        out.push('.');
        out.push_str(&tag_value(key));
        out.push('.');
        out.push_str(&tag_value(value));
    }
    out
}

/// `value` as a safe tag: lowercase ASCII letters, digits and `_`, at most `MAX_TAG_VALUE`
/// bytes; empty becomes `none`.
pub fn tag_value(value: &str) -> String {
    let cleaned: String = value
        .chars()
        .take(MAX_TAG_VALUE)
        .map(|c| {
            let c = c.to_ascii_lowercase();
            if c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect();
    if cleaned.is_empty() {
        "none".to_string()
    } else {
        cleaned
    }
}

/// `guardrail_requests_total.plugin.<plugin>.verdict.<verdict>`
pub fn requests_total(plugin: &str, verdict: &str) -> String {
    name(REQUESTS_TOTAL, &[("plugin", plugin), ("verdict", verdict)])
}

/// `guardrail_rule_hits_total.plugin.<plugin>.rule.<rule>`
pub fn rule_hits_total(plugin: &str, rule: &str) -> String {
    name(RULE_HITS_TOTAL, &[("plugin", plugin), ("rule", rule)])
}

/// `guardrail_check_us.plugin.<plugin>`
pub fn check_us(plugin: &str) -> String {
    name(CHECK_US, &[("plugin", plugin)])
}

/// `guardrail_failures_total.plugin.<plugin>.mode.<closed|open>`
pub fn failures_total(plugin: &str, open: bool) -> String {
    let mode = if open { "open" } else { "closed" };
    name(FAILURES_TOTAL, &[("plugin", plugin), ("mode", mode)])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_carry_tags_in_order() {
        assert_eq!(
            requests_total("pii-redact", "block"),
            "guardrail_requests_total.plugin.pii_redact.verdict.block"
        );
        assert_eq!(
            rule_hits_total("injection-guard", "injection.ignore_previous"),
            "guardrail_rule_hits_total.plugin.injection_guard.rule.injection_ignore_previous"
        );
        assert_eq!(check_us("key-auth"), "guardrail_check_us.plugin.key_auth");
        assert_eq!(
            failures_total("key-auth", false),
            "guardrail_failures_total.plugin.key_auth.mode.closed"
        );
        assert_eq!(
            failures_total("pii-redact", true),
            "guardrail_failures_total.plugin.pii_redact.mode.open"
        );
    }

    #[test]
    fn values_cannot_inject_separators_or_tags() {
        let n = name("m", &[("rule", "a.verdict.allow x\ny")]);
        assert_eq!(n, "m.rule.a_verdict_allow_x_y");
        assert_eq!(n.matches('.').count(), 2);
        assert_eq!(tag_value(""), "none");
        assert_eq!(tag_value("Ünï"), "_n_");
        assert_eq!(tag_value(&"x".repeat(500)).len(), MAX_TAG_VALUE);
    }
}
