//! Scoring for labelled PII lines: an entity is caught when its characters no longer reach the
//! upstream (a blocked request catches all of its entities); a changed region that overlaps no
//! labelled entity is a false positive, typed by the placeholder that replaced it.

use std::collections::BTreeMap;

use serde_json::json;

use super::diff::Change;
use super::injection::round3;
use super::percentile;

/// A labelled entity, in character offsets of the line's text.
#[derive(Debug, Clone)]
pub struct Entity {
    pub kind: String,
    pub start: usize,
    pub end: usize,
}

/// How many trailing characters may stay visible for an entity to still count as caught
/// (masking keeps the last four by design).
const MASK_TAIL: usize = 4;

#[derive(Debug, Default, Clone, Copy)]
pub struct TypeCounts {
    pub entities: u64,
    pub caught: u64,
    pub false_positives: u64,
}

#[derive(Default)]
pub struct Report {
    pub lines: u64,
    pub blocked: u64,
    pub errors: u64,
    pub by_type: BTreeMap<String, TypeCounts>,
    pub fuel: Vec<u64>,
    pub misses: Vec<(usize, String)>,
    pub false_positive_lines: Vec<(usize, String)>,
}

impl Report {
    /// A line the plugin refused as malformed: its entities count as missed (nothing was
    /// measured), and it is reported.
    pub fn add_error(&mut self, line_no: usize, entities: &[Entity], fuel: u64) {
        self.lines += 1;
        self.errors += 1;
        self.fuel.push(fuel);
        for e in entities {
            self.by_type.entry(e.kind.clone()).or_default().entities += 1;
            self.misses.push((line_no, e.kind.clone()));
        }
    }

    pub fn add_blocked(&mut self, entities: &[Entity], fuel: u64) {
        self.lines += 1;
        self.blocked += 1;
        self.fuel.push(fuel);
        for e in entities {
            let t = self.by_type.entry(e.kind.clone()).or_default();
            t.entities += 1;
            t.caught += 1;
        }
    }

    pub fn add_forwarded(
        &mut self,
        line_no: usize,
        text: &str,
        entities: &[Entity],
        changes: &[Change],
        fuel: u64,
    ) {
        let text: Vec<char> = text.chars().collect();
        self.lines += 1;
        self.fuel.push(fuel);
        for e in entities {
            let t = self.by_type.entry(e.kind.clone()).or_default();
            t.entities += 1;
            if caught(e, changes, &text) {
                t.caught += 1;
            } else {
                self.misses.push((line_no, e.kind.clone()));
            }
        }
        for c in changes {
            let overlaps = entities
                .iter()
                .any(|e| c.start < e.end && e.start < c.end.max(c.start + 1));
            if !overlaps {
                let kind = kind_of_placeholder(&c.replacement);
                self.by_type
                    .entry(kind.clone())
                    .or_default()
                    .false_positives += 1;
                self.false_positive_lines.push((line_no, kind));
            }
        }
    }

    pub fn table(&self) -> String {
        let mut out = format!(
            "{:<16} {:>8} {:>8} {:>6} {:>8} {:>9}\n",
            "type", "entities", "caught", "fp", "recall", "precision"
        );
        for (k, t) in &self.by_type {
            out.push_str(&format!(
                "{:<16} {:>8} {:>8} {:>6} {:>8.3} {:>9.3}\n",
                k,
                t.entities,
                t.caught,
                t.false_positives,
                recall(t),
                precision(t)
            ));
        }
        out
    }

    pub fn summary(&self) -> serde_json::Value {
        let mut all = TypeCounts::default();
        let mut recall_by_type = serde_json::Map::new();
        let mut precision_by_type = serde_json::Map::new();
        for (k, t) in &self.by_type {
            all.entities += t.entities;
            all.caught += t.caught;
            all.false_positives += t.false_positives;
            if t.entities > 0 {
                recall_by_type.insert(k.clone(), json!(round3(recall(t))));
            }
            precision_by_type.insert(k.clone(), json!(round3(precision(t))));
        }
        json!({
            "n": self.lines,
            "recall": round3(recall(&all)),
            "precision": round3(precision(&all)),
            "recall_by_type": recall_by_type,
            "precision_by_type": precision_by_type,
            "blocked": self.blocked,
            "errors": self.errors,
            "fuel_p50": percentile(&self.fuel, 50),
        })
    }
}

fn recall(t: &TypeCounts) -> f64 {
    if t.entities == 0 {
        0.0
    } else {
        t.caught as f64 / t.entities as f64
    }
}

fn precision(t: &TypeCounts) -> f64 {
    let flagged = t.caught + t.false_positives;
    if flagged == 0 {
        1.0
    } else {
        t.caught as f64 / flagged as f64
    }
}

/// Every letter and digit of the entity is inside a changed region, except at most
/// `MASK_TAIL` trailing ones (separators such as the spaces of a masked card carry nothing).
/// `text` is the original line as chars; an entity outside it counts as missed.
fn caught(e: &Entity, changes: &[Change], text: &[char]) -> bool {
    let Some(chars) = text.get(e.start..e.end) else {
        return false;
    };
    let signal: Vec<usize> = (e.start..e.end)
        .zip(chars)
        .filter(|(_, ch)| ch.is_alphanumeric())
        .map(|(i, _)| i)
        .collect();
    let keep = MASK_TAIL.min(signal.len().saturating_sub(1));
    let must = &signal[..signal.len() - keep];
    !must.is_empty()
        && must
            .iter()
            .all(|i| changes.iter().any(|c| c.start <= *i && *i < c.end))
}

/// The labelled type a placeholder names (`[EMAIL]`, `<PHONE_1>`, `[CREDIT_CARD]`...), or
/// `OTHER` when it names none we know.
pub fn kind_of_placeholder(replacement: &str) -> String {
    let r = replacement.to_ascii_uppercase();
    let table: [(&[&str], &str); 8] = [
        (&["EMAIL", "MAIL"], "EMAIL"),
        (&["PHONE", "TEL"], "PHONE"),
        (&["CARD", "PAN"], "CREDIT_CARD"),
        (&["IBAN"], "IBAN"),
        (&["SSN"], "US_SSN"),
        (&["CN_", "RESIDENT", "PRC"], "CN_RESIDENT_ID"),
        (&["IPV", "IP_", "[IP]", "<IP"], "IP_ADDRESS"),
        (&["SECRET", "KEY", "TOKEN", "JWT", "PASSWORD"], "SECRET"),
    ];
    for (needles, kind) in table {
        if needles.iter().any(|n| r.contains(n)) {
            return kind.to_string();
        }
    }
    "OTHER".to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn e(kind: &str, start: usize, end: usize) -> Entity {
        Entity {
            kind: kind.into(),
            start,
            end,
        }
    }
    fn c(start: usize, end: usize, r: &str) -> Change {
        Change {
            start,
            end,
            replacement: r.into(),
        }
    }

    #[test]
    fn caught_missed_and_false_positive() {
        let mut r = Report::default();
        let ents = [e("EMAIL", 10, 25), e("PHONE", 30, 45)];
        let changes = [c(10, 25, "<EMAIL_1>"), c(50, 60, "[CREDIT_CARD]")];
        r.add_forwarded(1, &"x".repeat(70), &ents, &changes, 100);
        let s = r.summary();
        assert_eq!(s["recall_by_type"]["EMAIL"], 1.0);
        assert_eq!(s["recall_by_type"]["PHONE"], 0.0);
        assert_eq!(s["precision_by_type"]["CREDIT_CARD"], 0.0);
        assert_eq!(s["recall"], 0.5);
        assert_eq!(r.misses, vec![(1, "PHONE".to_string())]);
    }

    #[test]
    fn masked_tail_still_counts_but_a_partial_redaction_does_not() {
        let digits: Vec<char> = "4111111111111111".chars().collect();
        let ent = [e("CREDIT_CARD", 0, 16)];
        assert!(caught(&ent[0], &[c(0, 12, "************")], &digits));
        assert!(!caught(&ent[0], &[c(0, 8, "********")], &digits));
        // A mask that keeps the separators still hides every digit but the last four.
        let spaced: Vec<char> = "4111 1111 1111 1111".chars().collect();
        let ent = e("CREDIT_CARD", 0, 19);
        let masked = [c(0, 4, "****"), c(5, 9, "****"), c(10, 14, "****")];
        assert!(caught(&ent, &masked, &spaced));
        assert!(!caught(&ent, &masked[..2], &spaced));
    }

    #[test]
    fn blocked_lines_catch_everything() {
        let mut r = Report::default();
        r.add_blocked(&[e("SECRET", 0, 20)], 5);
        assert_eq!(r.summary()["recall"], 1.0);
        assert_eq!(r.summary()["blocked"], 1);
    }

    #[test]
    fn placeholders_map_to_types() {
        assert_eq!(kind_of_placeholder("<EMAIL_1>"), "EMAIL");
        assert_eq!(kind_of_placeholder("[CREDIT_CARD]"), "CREDIT_CARD");
        assert_eq!(kind_of_placeholder("[US_SSN]"), "US_SSN");
        assert_eq!(kind_of_placeholder("<IP_ADDRESS_2>"), "IP_ADDRESS");
        assert_eq!(kind_of_placeholder("[CN_RESIDENT_ID]"), "CN_RESIDENT_ID");
        assert_eq!(kind_of_placeholder("[REDACTED]"), "OTHER");
    }
}
