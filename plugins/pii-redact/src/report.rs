//! report: verdict log lines (counts per type, segment paths, never values) and the verdict
//! for each phase, built from the pure pipelines' results.

use crate::entity::{EntityType, COUNT};
use crate::request_scan::Report;
use crate::response_scan::ResponseReport;
use guardrail_sdk::verdict::{Finding, Verdict};
use guardrail_sdk::verdict_log::{Phase, VerdictLog};

pub const PLUGIN: &str = "pii-redact";
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
/// Error code of a blocked request (and `x-guardrail-code`).
pub const BLOCK_CODE: &str = "pii_blocked";

fn findings(counts: &[u64; COUNT]) -> Vec<Finding> {
    EntityType::ALL
        .into_iter()
        .filter(|t| counts.get(t.index()).is_some_and(|&n| n > 0))
        .map(|t| Finding::new(t.rule(), "pii", 1.0, None))
        .collect()
}

fn with_counts(mut line: VerdictLog, counts: &[u64; COUNT]) -> VerdictLog {
    for t in EntityType::ALL {
        if let Some(&n) = counts.get(t.index()).filter(|&&n| n > 0) {
            line = line.count(t.name(), n);
        }
    }
    line
}

/// The request-phase verdict: allow (nothing found), redact, or block.
pub fn request_verdict(report: &Report, blocked: bool) -> (Verdict, &'static str) {
    let f = findings(&report.counts);
    if blocked {
        (Verdict::block(403, BLOCK_CODE, f), "block")
    } else if f.is_empty() {
        (Verdict::allow(), "allow")
    } else {
        (Verdict::rewrite(f), "redact")
    }
}

pub fn request_line(
    request_id: &str,
    key_id: Option<&str>,
    report: &Report,
    blocked: bool,
) -> VerdictLog {
    let (verdict, name) = request_verdict(report, blocked);
    let mut line = VerdictLog::new(PLUGIN, VERSION, request_id, Phase::Request)
        .verdict(&verdict)
        .verdict_name(name);
    for s in &report.segments {
        line = line.segment(s);
    }
    if let Some(k) = key_id.filter(|k| !k.is_empty()) {
        line = line.key_id(k);
    }
    with_counts(line, &report.counts)
}

/// A body that could not be scanned: `block` with its status and code, or `unscanned` when the
/// config lets it through.
pub fn refused_line(
    request_id: &str,
    key_id: Option<&str>,
    phase: Phase,
    status: u16,
    code: &str,
    passed: bool,
) -> VerdictLog {
    let mut line = VerdictLog::new(PLUGIN, VERSION, request_id, phase).rule(code);
    line = if passed {
        line.verdict_name("unscanned")
    } else {
        line.verdict_name("block").status(status)
    };
    if let Some(k) = key_id.filter(|k| !k.is_empty()) {
        line = line.key_id(k);
    }
    line
}

pub fn response_line(
    request_id: &str,
    key_id: Option<&str>,
    report: &ResponseReport,
    streamed: bool,
) -> VerdictLog {
    let f = findings(&report.counts);
    let redacted = !f.is_empty();
    let verdict = if redacted {
        Verdict::rewrite(f)
    } else {
        Verdict::allow()
    };
    let name = if redacted {
        "redact"
    } else if report.restored > 0 {
        "restore"
    } else {
        "allow"
    };
    let mut line = VerdictLog::new(PLUGIN, VERSION, request_id, Phase::Response)
        .verdict(&verdict)
        .verdict_name(name)
        .extra_number(
            "restored",
            i64::try_from(report.restored).unwrap_or(i64::MAX),
        )
        .extra_flag("streamed", streamed);
    if let Some(k) = key_id.filter(|k| !k.is_empty()) {
        line = line.key_id(k);
    }
    with_counts(line, &report.counts)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;

    fn json(line: &VerdictLog) -> Value {
        serde_json::from_str(&line.to_json_line()).unwrap()
    }

    #[test]
    fn request_lines_carry_counts_and_paths_never_values() {
        let mut r = Report::default();
        r.counts[EntityType::Email.index()] = 2;
        r.segments.push("messages[1].content".into());
        let v = json(&request_line("req-1", Some("k_team1"), &r, false));
        assert_eq!(v["guardrail"], "pii-redact");
        assert_eq!(v["verdict"], "redact");
        assert_eq!(v["rules"][0], "pii.email");
        assert_eq!(v["counts"]["EMAIL"], 2);
        assert_eq!(v["segments"][0], "messages[1].content");
        assert_eq!(v["key_id"], "k_team1");
        let v = json(&request_line("req-1", None, &r, true));
        assert_eq!(
            (v["verdict"].as_str(), v["status"].as_u64()),
            (Some("block"), Some(403))
        );
        let v = json(&request_line("req-1", None, &Report::default(), false));
        assert_eq!(v["verdict"], "allow");
    }

    #[test]
    fn response_and_refused_lines() {
        let mut r = ResponseReport {
            restored: 2,
            ..Default::default()
        };
        let v = json(&response_line("r", None, &r, true));
        assert_eq!(
            (
                v["verdict"].as_str(),
                v["restored"].as_i64(),
                v["streamed"].as_bool()
            ),
            (Some("restore"), Some(2), Some(true))
        );
        r.counts[EntityType::Secret.index()] = 1;
        let v = json(&response_line("r", None, &r, false));
        assert_eq!(v["verdict"], "redact");
        assert_eq!(v["counts"]["SECRET"], 1);
        let v = json(&refused_line(
            "r",
            None,
            Phase::Request,
            415,
            "unsupported_encoding",
            false,
        ));
        assert_eq!(
            (v["verdict"].as_str(), v["status"].as_u64()),
            (Some("block"), Some(415))
        );
        let v = json(&refused_line(
            "r",
            None,
            Phase::Request,
            400,
            "invalid_json",
            true,
        ));
        assert_eq!(v["verdict"], "unscanned");
    }
}
