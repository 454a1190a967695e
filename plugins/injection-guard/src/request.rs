//! request: the request body's verdict: parse, scan every segment, then block, flag, review,
//! or ask the classifier; add the canary line to a request that goes on; one verdict log line.

use crate::answer_watch::{self, AnswerWatch};
use crate::canary;
use crate::config::Action as Mode;
use crate::leak_watch::LeakWatch;
use crate::policy;
use crate::tool_scan;
use crate::{InjectionGuard, C, NAME};
use guardrail_sdk::body::{RequestBody, Segment};
use guardrail_sdk::host::{self, Stopwatch};
use guardrail_sdk::json;
use guardrail_sdk::plugin::{Body, Outcome, Refusal, Report};
use guardrail_sdk::verdict::{Finding, Verdict};
use guardrail_sdk::verdict_log::Phase;

thread_local! {
    /// The host refused a body rewrite once already (logged then).
    static REWRITE_REFUSED: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

const BLOCK_MESSAGE: &str = "The request was blocked by the gateway's prompt-injection policy.";

/// What the request's verdict line reports, kept until the verdict is final.
#[derive(Debug, Clone)]
pub(crate) struct Ruling {
    pub verdict: Verdict,
    pub action: Mode,
    pub max_score: f32,
    pub scanned: usize,
    pub cached: usize,
    pub timings: Vec<(&'static str, u64)>,
}

impl InjectionGuard {
    pub(crate) fn decide(&self, cx: C<'_, '_>, body: &mut Body<'_>) -> Outcome {
        let watch = Stopwatch::start();
        let limits = json::Limits {
            max_bytes: self.config.max_body_bytes,
            ..json::Limits::default()
        };
        let raw = body.raw;
        let parsed = match body.request(cx.head.format, &limits) {
            Ok(parsed) => parsed,
            Err(err) => return cx.refuse(&err),
        };
        let parse_us = watch.elapsed_us();
        let clock = || watch.elapsed_us();
        // Tool definitions are data unless their source is trusted; MCP unknown methods per
        // config (`tool_scan`).
        let head = cx.head;
        let trusted = tool_scan::tools_trusted(&self.config, &head.path, head.identity.as_ref());
        let rpc = parsed.rpc.as_ref();
        let segments = tool_scan::scan_segments(&self.config, &parsed.segments, rpc, trusted);
        let system_trusted = cx.req.system_trusted;
        let app = head.identity.as_ref().map(|id| id.app.as_str());
        let cache = Some(&self.cache);
        let mut outcome = policy::evaluate_cached(
            &self.config,
            &self.detector,
            &segments,
            system_trusted,
            app,
            &clock,
            cache,
        );
        tool_scan::add_tool_findings(&self.config, &segments, &mut outcome);
        let report = Ruling {
            verdict: outcome.verdict,
            action: outcome.action,
            max_score: outcome.max_score,
            scanned: outcome.scanned,
            cached: outcome.cached,
            timings: vec![
                ("parse", parse_us),
                ("normalize", outcome.normalize_us),
                ("scan", outcome.scan_us),
            ],
        };
        if report.action != Mode::Block {
            self.add_canary(cx, parsed, raw);
        }
        if report.action == Mode::Off && !outcome.grey.is_empty() {
            return self.ask_classifier(cx, &segments, outcome.grey, report);
        }
        self.settle(cx, report, &segments)
    }

    /// Act on a final request verdict (the log line is written here, or by the held review).
    pub(crate) fn settle(&self, cx: C<'_, '_>, report: Ruling, segments: &[Segment]) -> Outcome {
        let config = &self.config;
        match report.action {
            Mode::Block => {
                self.log_report(cx, &report);
                self.refusal()
            }
            Mode::Flag | Mode::Review => {
                let rules = policy::header_value(&report.verdict);
                let review = report.action == Mode::Review;
                host::set_request_header(&config.flag_header, &rules);
                if review {
                    host::set_request_header(&config.review_header, "1");
                }
                cx.req.flag = Some((rules, review));
                if review && config.review.is_some() {
                    return self.send_review(cx, report, segments);
                }
                self.log_report(cx, &report);
                Outcome::Continue
            }
            Mode::Off => {
                self.log_report(cx, &report);
                Outcome::Continue
            }
        }
    }

    /// Block a request that already went through `settle` once (a held call said so).
    pub(crate) fn block_now(&self, cx: C<'_, '_>, mut report: Ruling, rule: &str) -> Outcome {
        let config = &self.config;
        report.action = Mode::Block;
        let mut findings = report.verdict.findings.clone();
        findings.push(Finding::new(rule, "callout", 1.0, None));
        report.verdict = Verdict::block(config.block_status, &config.block_code, findings);
        self.log_report(cx, &report);
        self.refusal()
    }

    /// The block answer in the provider's error shape.
    fn refusal(&self) -> Outcome {
        let config = &self.config;
        Outcome::Refuse(Refusal::new(
            config.block_status,
            &config.block_code,
            BLOCK_MESSAGE,
        ))
    }

    pub(crate) fn log_report(&self, cx: C<'_, '_>, r: &Ruling) {
        let mut line = cx
            .line(Phase::Request)
            .verdict(&r.verdict)
            .score(r.max_score)
            .extra_number("scanned", r.scanned as i64)
            .extra_number("cached", r.cached as i64);
        if self.config.segment_cache.enabled {
            let s = self.cache.stats();
            line = line
                .extra_number("cache_entries", s.entries as i64)
                .extra_number("cache_bytes", s.bytes as i64);
        }
        for (step, us) in &r.timings {
            line = line.timing(step, *us);
        }
        if let Some(watch) = &cx.req.watch {
            line = line.extra_flag("canary", !watch.is_idle());
        }
        if r.action == Mode::Review {
            line = line.verdict_name("review");
        }
        let us = r.timings.iter().map(|(_, us)| us).sum();
        cx.report(Report::new(line).hits(r.verdict.rules()).check_us(us));
    }

    /// With `canary` on: put this request's canary line into its system prompt (where the
    /// format has one and the host lets the body be rewritten) and watch the answer for it,
    /// for the configured fragments and for runs of the system prompt's own words.
    fn add_canary(&self, cx: C<'_, '_>, parsed: &RequestBody, raw: &[u8]) {
        let Some(cfg) = &self.config.canary else {
            return;
        };
        let mut token = None;
        if cfg.inject {
            let t = canary::token(&host::random_16(cx.head.request_id.as_bytes()));
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
                            host::Level::Warn,
                            &format!(
                                "{NAME}: canary not added (the host refused the body rewrite); \
                                 leaks of configured fragments are still logged"
                            ),
                        );
                    }
                }
            }
        }
        let leaks = LeakWatch::new(token.as_deref(), &self.fragments);
        let runs = answer_watch::prompt_runs(&parsed.segments, cfg.echo_words);
        let block = cfg.action == crate::options::LeakAction::Block;
        let watch = AnswerWatch::new(cx.head.format, block, leaks, runs);
        if !watch.is_idle() {
            cx.req.watch = Some(watch);
        }
    }
}
