//! calls: the two outgoing calls that can hold a request: the remote classifier for grey-zone
//! segments and the review webhook (`hold`). Each has an explicit failure policy; a host that
//! refuses to dispatch counts as a failed call.

use super::request::Report;
use super::{Http, NAME};
use crate::callout::{self, ReviewAnswer};
use crate::config::Action as Mode;
use crate::options::Fallback;
use crate::policy::{self, Grey, Remote};
use guardrail_sdk::body::Segment;
use guardrail_sdk::host::{self, Stopwatch};
use guardrail_sdk::review;
use proxy_wasm::types::Action;

/// A call the request waits for, with what settling it needs.
pub(crate) enum Pending {
    Classifier {
        grey: Vec<Grey>,
        /// The grey segments (for a review item after an attack answer).
        segments: Vec<Segment>,
        report: Report,
        started: Stopwatch,
    },
    Review {
        report: Report,
        started: Stopwatch,
    },
}

impl Http {
    /// Ask the classifier about the grey segments; the request waits for the answer.
    pub(super) fn ask_classifier(
        &mut self,
        segments: &[Segment],
        grey: Vec<Grey>,
        report: Report,
    ) -> Action {
        let state = self.state.clone();
        let Some(cfg) = &state.config.classifier else {
            return self.settle(report, segments);
        };
        let grey_segments: Vec<Segment> = grey
            .iter()
            .filter_map(|g| segments.get(g.index).cloned())
            .collect();
        let texts: Vec<&str> = grey_segments.iter().map(|s| s.text.as_str()).collect();
        let size: usize = texts.iter().map(|t| t.len()).sum();
        let started = Stopwatch::start();
        if size <= cfg.max_text_bytes {
            let body = callout::classifier_request(&self.request_id, &texts);
            let defaults = ("/classify", "guardrail-classifier");
            if host::post_json(self, &cfg.endpoint, defaults, &body, NAME) {
                self.pending = Some(Pending::Classifier {
                    grey,
                    segments: grey_segments,
                    report,
                    started,
                });
                return Action::Pause;
            }
        }
        self.classified(grey, &grey_segments, report, Remote::Failed, started)
    }

    /// Settle the request from the classifier's answer (or its failure).
    fn classified(
        &mut self,
        grey: Vec<Grey>,
        segments: &[Segment],
        mut report: Report,
        remote: Remote,
        started: Stopwatch,
    ) -> Action {
        let (action, verdict) = policy::after_classifier(&self.state.config, &grey, remote);
        report.action = action;
        report.verdict = verdict;
        report.timings.push(("classifier", started.elapsed_us()));
        self.settle(report, segments)
    }

    /// Send the review item; with `hold` the request waits for the receiver's answer.
    pub(super) fn send_review(&mut self, report: Report, segments: &[Segment]) -> Action {
        let state = self.state.clone();
        let Some(cfg) = &state.config.review else {
            self.log_report(&report);
            return Action::Continue;
        };
        let text = if cfg.include_text {
            review::Text::Include
        } else {
            review::Text::Omit
        };
        let payload = review::payload(
            &self.request_id,
            NAME,
            &report.verdict,
            segments,
            None,
            text,
        );
        let defaults = ("/review", "guardrail-review");
        let sent = host::post_json(self, &cfg.webhook, defaults, &payload, NAME);
        match (sent, cfg.hold) {
            (true, true) => {
                self.pending = Some(Pending::Review {
                    report,
                    started: Stopwatch::start(),
                });
                Action::Pause
            }
            (false, true) if cfg.on_failure == Fallback::Block => {
                self.block_now(report, "review.unavailable");
                Action::Pause
            }
            _ => {
                // Not held: the item goes out and the request goes on (Envoy cancels a call
                // still in flight when the stream ends; `hold` guarantees delivery).
                self.log_report(&report);
                Action::Continue
            }
        }
    }

    /// `on_http_call_response`: settle the call the request waits for.
    pub(super) fn on_call_answer(&mut self, body_size: usize) {
        let Some(pending) = self.pending.take() else {
            return; // a non-held review item was delivered: nothing waits for it
        };
        let answer = host::call_answer(body_size);
        let next = match pending {
            Pending::Classifier {
                grey,
                segments,
                report,
                started,
            } => {
                let state = self.state.clone();
                let remote = match (answer.ok(), &state.config.classifier) {
                    (true, Some(c)) => match callout::classifier_score(&answer.body, &c.labels) {
                        Some(s) if s >= c.min_score => Remote::Attack(s),
                        Some(_) => Remote::Clean,
                        None => Remote::Failed,
                    },
                    _ => Remote::Failed,
                };
                self.classified(grey, &segments, report, remote, started)
            }
            Pending::Review {
                mut report,
                started,
            } => {
                report.timings.push(("review", started.elapsed_us()));
                let on_failure = self.state.config.review.as_ref().map(|r| r.on_failure);
                let blocked = match answer.ok() {
                    true => callout::review_answer(&answer.body) == ReviewAnswer::Block,
                    false => on_failure == Some(Fallback::Block),
                };
                if blocked {
                    let rule = if answer.ok() {
                        "review.denied"
                    } else {
                        "review.unavailable"
                    };
                    self.block_now(report, rule);
                    Action::Pause
                } else {
                    report.action = Mode::Review;
                    self.log_report(&report);
                    Action::Continue
                }
            }
        };
        if next == Action::Continue {
            host::resume_request(NAME);
        }
    }
}
