//! proposal: decisions back into policy. From the decided items of a plugin, propose changes
//! to that plugin's JSON config and show them as a unified diff an admin applies by hand:
//! - a rule whose decided flags are mostly false positives and never a confirmed attack is
//!   switched off (`allow_rules += [rule]`);
//! - a rule that is mostly false positives in one app but has caught attacks elsewhere gets a
//!   per-app exception (`app_allow_rules.<app> += [rule]`);
//! - a rule whose flags were all confirmed attacks is promoted from flag to block
//!   (`rule_actions.<rule> = "block"`).
//!
//! Nothing is applied: every change is checked with the plugin's own config parser (the
//! `validate` callback) and a change the plugin refuses is reported with its error, not put
//! into the diff. Pure: no store, no I/O.

use crate::store::RuleStats;
use serde::Serialize;
use serde_json::{Map, Value};

/// When a rule's decisions are strong enough to propose a change.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Thresholds {
    /// Decided items (attack + false positive) a rule needs before anything is proposed.
    pub min_decisions: u64,
    /// False-positive rate at or above which an exception is proposed.
    pub false_positive_rate: f64,
}

impl Default for Thresholds {
    fn default() -> Self {
        Thresholds {
            min_decisions: 3,
            false_positive_rate: 0.5,
        }
    }
}

/// One proposed change.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Change {
    /// Switch a rule off everywhere: `allow_rules += [rule]`.
    AllowRule { rule: String },
    /// Switch a rule off for one app: `app_allow_rules.<app> += [rule]`.
    AppAllowRule { rule: String, app: String },
    /// Flag to block: `rule_actions.<rule> = "block"`.
    Block { rule: String },
}

impl Change {
    pub fn rule(&self) -> &str {
        match self {
            Change::AllowRule { rule }
            | Change::AppAllowRule { rule, .. }
            | Change::Block { rule } => rule,
        }
    }

    /// One line for a person.
    pub fn describe(&self) -> String {
        match self {
            Change::AllowRule { rule } => format!("switch off {rule} (allow_rules)"),
            Change::AppAllowRule { rule, app } => {
                format!("switch off {rule} for app {app} (app_allow_rules.{app})")
            }
            Change::Block { rule } => format!("block on {rule} (rule_actions.{rule} = block)"),
        }
    }

    /// Applies the change to a config object; false when it is already in effect.
    fn apply(&self, config: &mut Map<String, Value>) -> bool {
        match self {
            Change::AllowRule { rule } => push_rule(config, "allow_rules", rule),
            Change::AppAllowRule { rule, app } => {
                let apps = config
                    .entry("app_allow_rules")
                    .or_insert_with(|| Value::Object(Map::new()));
                match apps.as_object_mut() {
                    Some(apps) => push_rule(apps, app, rule),
                    None => false,
                }
            }
            Change::Block { rule } => {
                let actions = config
                    .entry("rule_actions")
                    .or_insert_with(|| Value::Object(Map::new()));
                match actions.as_object_mut() {
                    Some(actions) if actions.get(rule).and_then(Value::as_str) != Some("block") => {
                        actions.insert(rule.clone(), Value::String("block".into()));
                        true
                    }
                    _ => false,
                }
            }
        }
    }
}

fn push_rule(obj: &mut Map<String, Value>, key: &str, rule: &str) -> bool {
    let list = obj.entry(key).or_insert_with(|| Value::Array(Vec::new()));
    match list.as_array_mut() {
        Some(list)
            if !list
                .iter()
                .any(|p| p.as_str().is_some_and(|p| covers(p, rule))) =>
        {
            list.push(Value::String(rule.to_string()));
            true
        }
        _ => false,
    }
}

/// Whether an allow-list entry (a rule id or `family.*`) already covers `rule`.
pub fn covers(pattern: &str, rule: &str) -> bool {
    match pattern.strip_suffix(".*") {
        Some(prefix) => rule
            .strip_prefix(prefix)
            .is_some_and(|r| r.starts_with('.')),
        None => pattern == rule,
    }
}

/// A proposed change with the evidence behind it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Proposed {
    pub change: Change,
    pub reason: String,
    /// The plugin's config parser refused the config with this change (not in the diff).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refused: Option<String>,
}

/// What the tool proposes for one plugin.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Proposal {
    pub plugin: String,
    pub changes: Vec<Proposed>,
    /// Unified diff of the config (pretty-printed, keys sorted) before and after the accepted
    /// changes; empty when nothing is accepted.
    pub diff: String,
    /// The whole config after the accepted changes.
    pub config_after: String,
}

/// Which changes the decisions support, most evidence first. `rules` is the per-rule summary,
/// `per_app` the same per app (both from the store), for one plugin.
pub fn changes(rules: &[RuleStats], per_app: &[RuleStats], t: Thresholds) -> Vec<(Change, String)> {
    let mut out = Vec::new();
    for r in rules {
        let decided = r.attack + r.false_positive;
        let pct = |x: f64| format!("{:.0}%", x * 100.0);
        match r.false_positive_rate() {
            Some(rate)
                if decided >= t.min_decisions && rate >= t.false_positive_rate && r.attack == 0 =>
            {
                out.push((
                    Change::AllowRule {
                        rule: r.rule.clone(),
                    },
                    format!(
                        "{} of {decided} decided flags were false positives ({}), none an attack",
                        r.false_positive,
                        pct(rate)
                    ),
                ));
            }
            Some(_) if decided >= t.min_decisions && r.false_positive == 0 => {
                out.push((
                    Change::Block {
                        rule: r.rule.clone(),
                    },
                    format!("all {decided} decided flags were confirmed attacks"),
                ));
            }
            _ => {
                // Caught attacks somewhere but noisy: exceptions only where it is noisy.
                for a in per_app
                    .iter()
                    .filter(|a| a.rule == r.rule && a.plugin == r.plugin)
                {
                    let app_decided = a.attack + a.false_positive;
                    if let (Some(app), Some(rate)) = (&a.app, a.false_positive_rate()) {
                        if app_decided >= t.min_decisions && rate >= t.false_positive_rate {
                            out.push((
                                Change::AppAllowRule {
                                    rule: r.rule.clone(),
                                    app: app.clone(),
                                },
                                format!(
                                    "in app {app}: {} of {app_decided} decided flags were false positives ({}); {} attacks confirmed across apps",
                                    a.false_positive,
                                    pct(rate),
                                    r.attack
                                ),
                            ));
                        }
                    }
                }
            }
        }
    }
    out
}

/// Applies `changes` to the plugin's `config` (its JSON text) one at a time, keeping each the
/// plugin's parser (`validate`) accepts, and diffs the result.
pub fn propose(
    plugin: &str,
    config: &str,
    changes: Vec<(Change, String)>,
    validate: &dyn Fn(&str) -> Result<(), String>,
) -> Result<Proposal, String> {
    let original: Value =
        serde_json::from_str(config).map_err(|e| format!("{plugin} config: not JSON: {e}"))?;
    let Value::Object(mut current) = original.clone() else {
        return Err(format!("{plugin} config: must be a JSON object"));
    };
    let mut out = Vec::new();
    for (change, reason) in changes {
        let mut next = current.clone();
        if !change.apply(&mut next) {
            continue; // already in effect
        }
        let text = pretty(&Value::Object(next.clone()));
        let refused = validate(&text).err();
        if refused.is_none() {
            current = next;
        }
        out.push(Proposed {
            change,
            reason,
            refused,
        });
    }
    let before = pretty(&original);
    let after = pretty(&Value::Object(current));
    let diff = if before == after {
        String::new()
    } else {
        similar::TextDiff::from_lines(&before, &after)
            .unified_diff()
            .context_radius(3)
            .header(
                &format!("{plugin}.json"),
                &format!("{plugin}.json (proposed)"),
            )
            .to_string()
    };
    Ok(Proposal {
        plugin: plugin.to_string(),
        changes: out,
        diff,
        config_after: after,
    })
}

fn pretty(v: &Value) -> String {
    let mut s = serde_json::to_string_pretty(v).unwrap_or_default();
    s.push('\n');
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stats(rule: &str, app: Option<&str>, attack: u64, fp: u64, open: u64) -> RuleStats {
        RuleStats {
            plugin: "injection-guard".into(),
            rule: rule.into(),
            app: app.map(Into::into),
            flagged: attack + fp + open,
            open,
            attack,
            false_positive: fp,
        }
    }

    fn accept_all(_: &str) -> Result<(), String> {
        Ok(())
    }

    #[test]
    fn decisions_pick_the_change() {
        let t = Thresholds::default();
        let rules = [
            stats("noisy", None, 0, 4, 1), // never an attack: off everywhere
            stats("sharp", None, 5, 0, 0), // only attacks: block
            stats("mixed", None, 3, 3, 0), // attacks in one app, noise in another
            stats("few", None, 0, 2, 9),   // too few decisions
            stats("undecided", None, 0, 0, 7),
            stats("mostly", None, 4, 1, 0), // caught attacks, little noise: nothing
        ];
        let per_app = [
            stats("mixed", Some("batch"), 0, 3, 0),
            stats("mixed", Some("chat"), 3, 0, 0),
            stats("mostly", Some("chat"), 4, 1, 0),
        ];
        let got: Vec<Change> = changes(&rules, &per_app, t)
            .into_iter()
            .map(|(c, _)| c)
            .collect();
        assert_eq!(
            got,
            vec![
                Change::AllowRule {
                    rule: "noisy".into()
                },
                Change::Block {
                    rule: "sharp".into()
                },
                Change::AppAllowRule {
                    rule: "mixed".into(),
                    app: "batch".into()
                },
            ]
        );
    }

    #[test]
    fn diff_shows_the_changes_and_skips_what_is_in_effect() {
        let config = r#"{"actions": {"user": "flag"}, "allow_rules": ["enc.*"], "rule_actions": {"b": "block"}}"#;
        let changes = vec![
            (Change::AllowRule { rule: "a".into() }, "r".to_string()),
            (
                Change::AllowRule {
                    rule: "enc.base64".into(),
                },
                "r".to_string(),
            ), // covered by enc.*
            (Change::Block { rule: "b".into() }, "r".to_string()), // already blocks
            (Change::Block { rule: "c".into() }, "r".to_string()),
        ];
        let p = propose("injection-guard", config, changes, &accept_all).unwrap();
        assert_eq!(p.changes.len(), 2, "{:?}", p.changes);
        assert!(p.diff.contains("+    \"a\""), "{}", p.diff);
        assert!(p.diff.contains("+    \"c\": \"block\""), "{}", p.diff);
        assert!(p.diff.starts_with("--- injection-guard.json"), "{}", p.diff);
        let after: Value = serde_json::from_str(&p.config_after).unwrap();
        assert_eq!(after["allow_rules"], serde_json::json!(["enc.*", "a"]));
        assert_eq!(after["actions"]["user"], "flag");
    }

    #[test]
    fn a_change_the_plugin_refuses_is_reported_not_diffed() {
        let refuse_apps = |text: &str| -> Result<(), String> {
            match text.contains("app_allow_rules") {
                true => Err("unknown field app_allow_rules".into()),
                false => Ok(()),
            }
        };
        let changes = vec![
            (
                Change::AppAllowRule {
                    rule: "x".into(),
                    app: "batch".into(),
                },
                "r".to_string(),
            ),
            (Change::Block { rule: "y".into() }, "r".to_string()),
        ];
        let p = propose("injection-guard", "{}", changes, &refuse_apps).unwrap();
        assert_eq!(
            p.changes[0].refused.as_deref(),
            Some("unknown field app_allow_rules")
        );
        assert_eq!(p.changes[1].refused, None);
        assert!(!p.diff.contains("app_allow_rules") && p.diff.contains("\"y\": \"block\""));
        assert!(propose("p", "[1]", vec![], &accept_all).is_err());
        assert!(propose("p", "{", vec![], &accept_all).is_err());
        assert_eq!(propose("p", "{}", vec![], &accept_all).unwrap().diff, "");
    }

    #[test]
    fn covers_matches_family_patterns() {
        for (pattern, rule, want) in [
            ("a.b", "a.b", true),
            ("a.*", "a.b", true),
            ("a.*", "ab.c", false),
            ("a.*", "a", false),
            ("a.b", "a.bc", false),
        ] {
            assert_eq!(covers(pattern, rule), want, "{pattern} {rule}");
        }
    }
}
