//! What a check decided about one request or response, and the evidence (rule ids and segment
//! paths only, never the matched text).

/// The outcome of a check.
#[derive(Debug, Clone, PartialEq)]
pub enum Decision {
    /// Nothing found.
    Allow,
    /// Something found; the request goes on and the finding is logged.
    Flag,
    /// Refused with `status` (provider-shaped error body) and a stable machine `code`.
    Block {
        /// HTTP status of the refusal.
        status: u16,
        /// Stable machine code.
        code: String,
    },
    /// The body was rewritten (e.g. PII redacted) and goes on.
    Rewrite,
}

impl Decision {
    /// Stable lowercase name for the verdict log's `verdict` field.
    pub fn name(&self) -> &'static str {
        match self {
            Decision::Allow => "allow",
            Decision::Flag => "flag",
            Decision::Block { .. } => "block",
            Decision::Rewrite => "rewrite",
        }
    }

    /// The HTTP status when blocking.
    pub fn status(&self) -> Option<u16> {
        match self {
            Decision::Block { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// How strong a decision is, so several checks combine to the strongest.
    fn severity(&self) -> u8 {
        match self {
            Decision::Allow => 0,
            Decision::Flag => 1,
            Decision::Rewrite => 2,
            Decision::Block { .. } => 3,
        }
    }
}

/// One rule that fired.
#[derive(Debug, Clone, PartialEq)]
pub struct Finding {
    /// Rule id, e.g. `pii.email` or `injection.ignore_previous`.
    pub rule: String,
    /// Coarse class, e.g. `pii`, `injection`, `policy`.
    pub category: String,
    /// 0.0..=1.0 confidence.
    pub score: f32,
    /// The segment path (`messages[1].content`) where it fired, if any. Never the text.
    pub segment: Option<String>,
}

impl Finding {
    /// A finding of `rule` in `category` with `score`, at `segment` (a path).
    pub fn new(rule: &str, category: &str, score: f32, segment: Option<&str>) -> Self {
        Finding {
            rule: rule.to_string(),
            category: category.to_string(),
            score,
            segment: segment.map(str::to_string),
        }
    }
}

/// A decision with its findings.
#[derive(Debug, Clone, PartialEq)]
pub struct Verdict {
    /// What was decided.
    pub decision: Decision,
    /// Why.
    pub findings: Vec<Finding>,
}

impl Verdict {
    /// Nothing found.
    pub fn allow() -> Self {
        Verdict {
            decision: Decision::Allow,
            findings: Vec::new(),
        }
    }

    /// Flag when there are findings, else allow.
    pub fn flag_if_any(findings: Vec<Finding>) -> Self {
        let decision = if findings.is_empty() {
            Decision::Allow
        } else {
            Decision::Flag
        };
        Verdict { decision, findings }
    }

    /// The body was rewritten because of `findings`.
    pub fn rewrite(findings: Vec<Finding>) -> Self {
        Verdict {
            decision: Decision::Rewrite,
            findings,
        }
    }

    /// Refused with `status`/`code` because of `findings`.
    pub fn block(status: u16, code: &str, findings: Vec<Finding>) -> Self {
        Verdict {
            decision: Decision::Block {
                status,
                code: code.to_string(),
            },
            findings,
        }
    }

    /// Highest finding score (0.0 when none).
    pub fn score(&self) -> f32 {
        self.findings
            .iter()
            .map(|f| f.score)
            .filter(|s| s.is_finite())
            .fold(0.0, f32::max)
    }

    /// Distinct rule ids in first-seen order.
    pub fn rules(&self) -> Vec<&str> {
        let mut out: Vec<&str> = Vec::new();
        for f in &self.findings {
            if !out.contains(&f.rule.as_str()) {
                out.push(&f.rule);
            }
        }
        out
    }

    /// Distinct segment paths in first-seen order.
    pub fn segments(&self) -> Vec<&str> {
        let mut out: Vec<&str> = Vec::new();
        for path in self.findings.iter().filter_map(|f| f.segment.as_deref()) {
            if !out.contains(&path) {
                out.push(path);
            }
        }
        out
    }

    /// Combine with another check's verdict: the stronger decision wins (the first of two
    /// blocks is kept), findings are concatenated.
    pub fn merge(mut self, other: Verdict) -> Verdict {
        if other.decision.severity() > self.decision.severity() {
            self.decision = other.decision;
        }
        self.findings.extend(other.findings);
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    impl Finding {
        fn with_category(mut self, category: &str) -> Self {
            self.category = category.into();
            self
        }
    }

    fn finding(rule: &str, score: f32, segment: Option<&str>) -> Finding {
        Finding {
            rule: rule.into(),
            category: "test".into(),
            score,
            segment: segment.map(Into::into),
        }
    }

    #[test]
    fn names_and_status() {
        assert_eq!(Decision::Allow.name(), "allow");
        assert_eq!(Decision::Flag.name(), "flag");
        assert_eq!(Decision::Rewrite.name(), "rewrite");
        let block = Decision::Block {
            status: 403,
            code: "x".into(),
        };
        assert_eq!(block.name(), "block");
        assert_eq!(block.status(), Some(403));
        assert_eq!(Decision::Flag.status(), None);
    }

    #[test]
    fn score_rules_segments_summarise_findings() {
        let v = Verdict {
            decision: Decision::Flag,
            findings: vec![
                finding("a", 0.5, Some("messages[0].content")),
                finding("b", f32::NAN, None),
                finding("a", 0.9, Some("messages[1].content")),
                finding("c", 0.1, Some("messages[0].content")),
            ],
        };
        assert_eq!(v.score(), 0.9);
        assert_eq!(v.rules(), vec!["a", "b", "c"]);
        assert_eq!(
            v.segments(),
            vec!["messages[0].content", "messages[1].content"]
        );
        assert_eq!(Verdict::allow().score(), 0.0);
    }

    #[test]
    fn constructors() {
        let f = Finding::new("pii.email", "pii", 1.0, Some("messages[0].content"));
        assert_eq!(
            f,
            finding("pii.email", 1.0, Some("messages[0].content")).with_category("pii")
        );
        assert_eq!(Verdict::flag_if_any(vec![]).decision, Decision::Allow);
        assert_eq!(
            Verdict::flag_if_any(vec![f.clone()]).decision,
            Decision::Flag
        );
        assert_eq!(Verdict::rewrite(vec![f]).decision.name(), "rewrite");
    }

    #[test]
    fn merge_keeps_the_strongest_decision() {
        let flag = Verdict {
            decision: Decision::Flag,
            findings: vec![finding("f", 0.2, None)],
        };
        let block = Verdict::block(400, "first", vec![finding("b", 1.0, None)]);
        let merged = flag.clone().merge(block.clone());
        assert_eq!(merged.decision.name(), "block");
        assert_eq!(merged.findings.len(), 2);
        let merged = block
            .clone()
            .merge(Verdict::block(403, "second", vec![]))
            .merge(flag);
        assert_eq!(merged.decision.status(), Some(400));
        assert_eq!(
            Verdict::allow().merge(Verdict::allow()).decision.name(),
            "allow"
        );
    }
}
