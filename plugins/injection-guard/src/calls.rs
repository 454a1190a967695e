//! calls: the two outgoing calls that can hold a request: the remote classifier for grey-zone
//! segments and the review webhook (`hold`). Each has an explicit failure policy; a host that
//! refuses to dispatch counts as a failed call.

use crate::callout::{self, ReviewAnswer};
use crate::config::Action as Mode;
use crate::options::Fallback;
use crate::policy::{self, Grey, Remote};
use crate::request::Ruling;
use crate::{InjectionGuard, C};
use guardrail_sdk::body::Segment;
use guardrail_sdk::host::Stopwatch;
use guardrail_sdk::plugin::{Call, Outcome, Reply};
use guardrail_sdk::review;

/// A call the request waits for, with what settling it needs.
pub(crate) enum Pending {
    Classifier {
        grey: Vec<Grey>,
        /// The grey segments (for a review item after an attack answer).
        segments: Vec<Segment>,
        ruling: Ruling,
        started: Stopwatch,
    },
    Review {
        ruling: Ruling,
        started: Stopwatch,
    },
}

impl InjectionGuard {
    /// Ask the classifier about the grey segments; the request waits for the answer.
    pub(crate) fn ask_classifier(
        &self,
        cx: C<'_, '_>,
        segments: &[Segment],
        grey: Vec<Grey>,
        ruling: Ruling,
    ) -> Outcome {
        let Some(cfg) = &self.config.classifier else {
            return self.settle(cx, ruling, segments);
        };
        let grey_segments: Vec<Segment> = grey
            .iter()
            .filter_map(|g| segments.get(g.index).cloned())
            .collect();
        let texts: Vec<&str> = grey_segments.iter().map(|s| s.text.as_str()).collect();
        let size: usize = texts.iter().map(|t| t.len()).sum();
        let started = Stopwatch::start();
        if size > cfg.max_text_bytes {
            return self.classified(cx, grey, &grey_segments, ruling, Remote::Failed, started);
        }
        let payload = callout::classifier_request(&cx.head.request_id, &texts);
        cx.req.pending = Some(Pending::Classifier {
            grey,
            segments: grey_segments,
            ruling,
            started,
        });
        Outcome::Call(Call {
            webhook: cfg.endpoint.clone(),
            defaults: ("/classify", "guardrail-classifier"),
            payload,
            hold: true,
        })
    }

    /// Settle the request from the classifier's answer (or its failure).
    fn classified(
        &self,
        cx: C<'_, '_>,
        grey: Vec<Grey>,
        segments: &[Segment],
        mut ruling: Ruling,
        remote: Remote,
        started: Stopwatch,
    ) -> Outcome {
        let (action, verdict) = policy::after_classifier(&self.config, &grey, remote);
        ruling.action = action;
        ruling.verdict = verdict;
        ruling.timings.push(("classifier", started.elapsed_us()));
        self.settle(cx, ruling, segments)
    }

    /// Send the review item; with `hold` the request waits for the receiver's answer.
    pub(crate) fn send_review(
        &self,
        cx: C<'_, '_>,
        ruling: Ruling,
        segments: &[Segment],
    ) -> Outcome {
        let Some(cfg) = &self.config.review else {
            self.log_report(cx, &ruling);
            return Outcome::Continue;
        };
        let text = match cfg.include_text {
            true => review::Text::Include,
            false => review::Text::Omit,
        };
        let call = cx.review(&cfg.webhook, &ruling.verdict, segments, text, cfg.hold);
        if cfg.hold {
            let started = Stopwatch::start();
            cx.req.pending = Some(Pending::Review { ruling, started });
        } else {
            // Not held: the item goes out and the request goes on (Envoy cancels a call still
            // in flight when the stream ends; `hold` guarantees delivery).
            self.log_report(cx, &ruling);
        }
        call
    }

    /// A held call ended: settle the request that waits for it.
    pub(crate) fn on_call_answer(&self, cx: C<'_, '_>, reply: Reply) -> Outcome {
        let Some(pending) = cx.req.pending.take() else {
            return Outcome::Continue;
        };
        match pending {
            Pending::Classifier {
                grey,
                segments,
                ruling,
                started,
            } => {
                let remote = match (reply.ok(), &self.config.classifier) {
                    (true, Some(c)) => match callout::classifier_score(reply.body(), &c.labels) {
                        Some(s) if s >= c.min_score => Remote::Attack(s),
                        Some(_) => Remote::Clean,
                        None => Remote::Failed,
                    },
                    _ => Remote::Failed,
                };
                self.classified(cx, grey, &segments, ruling, remote, started)
            }
            Pending::Review {
                mut ruling,
                started,
            } => {
                let on_failure = self.config.review.as_ref().map(|r| r.on_failure);
                let fail_block = on_failure == Some(Fallback::Block);
                if reply == Reply::NotSent {
                    // Never dispatched: the failure policy decides, nothing was waited for.
                    return match fail_block {
                        true => self.block_now(cx, ruling, "review.unavailable"),
                        false => {
                            self.log_report(cx, &ruling);
                            Outcome::Continue
                        }
                    };
                }
                ruling.timings.push(("review", started.elapsed_us()));
                let blocked = match reply.ok() {
                    true => callout::review_answer(reply.body()) == ReviewAnswer::Block,
                    false => fail_block,
                };
                if blocked {
                    let rule = match reply.ok() {
                        true => "review.denied",
                        false => "review.unavailable",
                    };
                    return self.block_now(cx, ruling, rule);
                }
                ruling.action = Mode::Review;
                self.log_report(cx, &ruling);
                Outcome::Continue
            }
        }
    }
}
