//! request: the request body's verdict: parse, scan every segment, then block, flag, review,
//! or ask the classifier; add the canary line to a request that goes on; one verdict log line.

use super::{Http, NAME};
use crate::canary;
use crate::config::Action as Mode;
use crate::leak_watch::LeakWatch;
use crate::policy;
use guardrail_sdk::body::{self, RequestBody, Segment};
use guardrail_sdk::host::{self, BodyStep, Stopwatch};
use guardrail_sdk::json;
use guardrail_sdk::provider_error::style_for;
use guardrail_sdk::verdict::{Finding, Verdict};
use guardrail_sdk::verdict_log::{Phase, VerdictLog};
use proxy_wasm::types::Action;

thread_local! {
    /// The host refused a body rewrite once already (logged then).
    static REWRITE_REFUSED: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

const BLOCK_MESSAGE: &str = "The request was blocked by the gateway's prompt-injection policy.";

/// What the request's verdict line reports, kept until the verdict is final.
#[derive(Debug, Clone)]
pub(crate) struct Report {
    pub verdict: Verdict,
    pub action: Mode,
    pub max_score: f32,
    pub scanned: usize,
    pub timings: Vec<(&'static str, u64)>,
}

impl Http {
    pub(super) fn log_refusal(&self, status: u16, code: &str) {
        let line = VerdictLog::new(
            NAME,
            env!("CARGO_PKG_VERSION"),
            &self.request_id,
            Phase::Request,
        )
        .verdict_name("block")
        .status(status)
        .rule(code);
        host::log_verdict(&line);
        self.state.metrics.request("block");
        self.state.metrics.fail_closed(); // the body could not be scanned: refused
    }

    pub(super) fn decide(&mut self, step: BodyStep) -> Action {
        let style = style_for(self.format);
        let raw = match step {
            BodyStep::Wait => return Action::Pause,
            BodyStep::Refuse(err) => {
                self.log_refusal(err.status, err.code);
                host::send_body_error(style, &err, &[]);
                return Action::Pause;
            }
            BodyStep::Ready(raw) => raw,
        };
        self.scan = false;
        let state = self.state.clone();
        let watch = Stopwatch::start();
        let limits = json::Limits {
            max_bytes: state.config.max_body_bytes,
            ..json::Limits::default()
        };
        let parsed = match body::parse_request(self.format, &raw, &limits) {
            Ok(parsed) => parsed,
            Err(err) => {
                self.log_refusal(err.status, err.code);
                host::send_body_error(style, &err, &[]);
                return Action::Pause;
            }
        };
        let parse_us = watch.elapsed_us();
        let clock = || watch.elapsed_us();
        let outcome = policy::evaluate(&state.config, &state.detector, &parsed.segments, &clock);
        let report = Report {
            verdict: outcome.verdict,
            action: outcome.action,
            max_score: outcome.max_score,
            scanned: outcome.scanned,
            timings: vec![
                ("parse", parse_us),
                ("normalize", outcome.normalize_us),
                ("scan", outcome.scan_us),
            ],
        };
        if report.action != Mode::Block {
            self.add_canary(&parsed, &raw);
        }
        if report.action == Mode::Off && !outcome.grey.is_empty() {
            return self.ask_classifier(&parsed.segments, outcome.grey, report);
        }
        self.settle(report, &parsed.segments)
    }

    /// Act on a final request verdict (the log line is written here, or by the held review).
    pub(super) fn settle(&mut self, report: Report, segments: &[Segment]) -> Action {
        let config = &self.state.config;
        match report.action {
            Mode::Block => {
                self.log_report(&report);
                self.refuse();
                Action::Pause // fail closed even if the host refused the local reply
            }
            Mode::Flag | Mode::Review => {
                let rules = policy::header_value(&report.verdict);
                let review = report.action == Mode::Review;
                host::set_request_header(&config.flag_header, &rules);
                if review {
                    host::set_request_header(&config.review_header, "1");
                }
                self.flag = Some((rules, review));
                if review && config.review.is_some() {
                    return self.send_review(report, segments);
                }
                self.log_report(&report);
                Action::Continue
            }
            Mode::Off => {
                self.log_report(&report);
                Action::Continue
            }
        }
    }

    /// Block a request that already went through `settle` once (a held call said so).
    pub(super) fn block_now(&mut self, mut report: Report, rule: &str) {
        let config = &self.state.config;
        report.action = Mode::Block;
        let mut findings = report.verdict.findings.clone();
        findings.push(Finding::new(rule, "callout", 1.0, None));
        report.verdict = Verdict::block(config.block_status, &config.block_code, findings);
        self.log_report(&report);
        self.refuse();
    }

    /// The block answer in the provider's error shape.
    fn refuse(&self) {
        let config = &self.state.config;
        let style = style_for(self.format);
        host::send_error(
            style,
            config.block_status,
            &config.block_code,
            BLOCK_MESSAGE,
            &[],
        );
    }

    pub(super) fn log_report(&self, r: &Report) {
        let mut line = VerdictLog::new(
            NAME,
            env!("CARGO_PKG_VERSION"),
            &self.request_id,
            Phase::Request,
        )
        .verdict(&r.verdict)
        .score(r.max_score)
        .extra_number("scanned", r.scanned as i64);
        for (step, us) in &r.timings {
            line = line.timing(step, *us);
        }
        if let Some(watch) = &self.watch {
            line = line.extra_flag("canary", !watch.is_idle());
        }
        if r.action == Mode::Review {
            line = line.verdict_name("review");
        }
        host::log_verdict(&line);
        let m = &self.state.metrics;
        m.request(if r.action == Mode::Review {
            "review"
        } else {
            r.verdict.decision.name()
        });
        for rule in r.verdict.rules() {
            m.rule_hit(rule, 1);
        }
        m.check_us(r.timings.iter().map(|(_, us)| us).sum());
    }

    /// With `canary` on: put this request's canary line into its system prompt (where the
    /// format has one and the host lets the body be rewritten) and watch the answer for it
    /// and for the configured fragments.
    fn add_canary(&mut self, parsed: &RequestBody, raw: &[u8]) {
        let Some(cfg) = &self.state.config.canary else {
            return;
        };
        let mut token = None;
        if cfg.inject {
            let t = canary::token(&host::random_16(self.request_id.as_bytes()));
            match canary::inject(parsed, raw, &canary::line(&t)) {
                Ok(Some((body, _))) if host::replace_request_body(raw.len(), &body) => {
                    token = Some(t);
                }
                Ok(None) => {} // no system prompt in this format: fragments only
                Ok(Some(_)) | Err(_) => {
                    // APISIX cannot rewrite bodies: the fragments are still watched. Said once
                    // per VM, not per request.
                    if !REWRITE_REFUSED.with(|w| w.replace(true)) {
                        host::log(
                            guardrail_sdk::host::Level::Warn,
                            &format!(
                                "{NAME}: canary not added (the host refused the body rewrite); \
                                 leaks of configured fragments are still logged"
                            ),
                        );
                    }
                }
            }
        }
        let watch = LeakWatch::new(token.as_deref(), &self.state.fragments);
        if !watch.is_idle() {
            self.watch = Some(watch);
        }
    }
}
