//! pii-redact: finds PII and secrets in LLM requests and responses and redacts, masks,
//! pseudonymises (restoring in the response) or blocks them per entity type. This file is the
//! `Plugin` impl the SDK's skeleton runs; all logic lives in the pure modules below.

pub mod config;
pub mod custom;
pub mod detect;
pub mod entity;
pub mod json_leaves;
pub mod pseudonym;
pub mod report;
pub mod request_scan;
pub mod response_scan;
pub mod stream_restore;
pub mod text_stream;
pub mod transform;

use config::{OnUnparseable, Settings};
use guardrail_sdk::host::{self, Stopwatch};
use guardrail_sdk::plugin::{Answer, Body, Chunk, Cx, Outcome, Plugin, Refusal, Report};
use guardrail_sdk::plugin::{Failure, NonJson, ResponseHead};
use guardrail_sdk::provider_error::{body_error_body, style_for};
use guardrail_sdk::response_plan::{plan, ResponsePlan};
use guardrail_sdk::{sse::error_event, verdict_log::Phase, BodyError};
use pseudonym::Pseudonyms;
use report::BLOCK_CODE;
use request_scan::{scan_request_cached, RequestOutcome};
use response_scan::{rewrite_response, rewrite_text, ResponseReport};
use stream_restore::{StreamRewriter, MAX_EVENT_BYTES};

pub struct PiiRedact(Settings, request_scan::FindingsCache);

/// Per request; never logged.
#[derive(Default)]
pub struct Req {
    pseudonyms: Pseudonyms,
    request_count: u64,
    /// The answer is plain text (not the provider's JSON).
    text: bool,
    stream: Option<Box<StreamRewriter>>,
}

impl Plugin for PiiRedact {
    const NAME: &'static str = report::PLUGIN;
    const VERSION: &'static str = report::VERSION;
    type Request = Req;

    fn configure(raw: &[u8]) -> Result<Self, String> {
        let settings = config::parse(raw).map_err(|e| e.to_string())?;
        let cache = request_scan::findings_cache(raw, &settings);
        Ok(PiiRedact(settings, cache))
    }

    fn max_body_bytes(&self) -> usize {
        self.0.max_body_bytes
    }

    fn identity_secret(&self) -> Option<&[u8]> {
        self.0.identity_secret.as_deref()
    }

    fn request_head(&self, cx: &mut Cx<'_, Req>) -> Outcome {
        host::want_bodies(true, true); // APISIX delivers bodies only when asked
        if self.0.scan_responses {
            // So the upstream answers uncompressed and the answer can be rewritten.
            host::remove_request_header("accept-encoding");
        }
        match cx.head.json_body(NonJson::Skip) {
            Ok(false) => Outcome::Continue,
            Ok(true) => {
                host::remove_request_header("content-length");
                Outcome::Body
            }
            Err(err) => self.body_refused(cx, &err),
        }
    }

    fn request_body(&self, cx: &mut Cx<'_, Req>, body: &mut Body<'_>) -> Outcome {
        let watch = Stopwatch::start();
        let hits_before = self.1.stats().hits;
        let (format, pseudonyms) = (cx.head.format, &mut cx.req.pseudonyms);
        let outcome = scan_request_cached(format, body.raw, &self.0, pseudonyms, Some(&self.1));
        let us = watch.elapsed_us();
        let (rep, blocked) = match outcome {
            RequestOutcome::Invalid(err) => return self.unscannable(cx, &err, Some(us)),
            RequestOutcome::Clean => (Default::default(), None),
            RequestOutcome::Rewritten { body: new, report } => {
                if !host::replace_request_body(body.raw.len(), &new) {
                    let why = "the gateway could not rewrite the request";
                    return Outcome::Refuse(Refusal::new(500, "rewrite_failed", why));
                }
                (report, None)
            }
            RequestOutcome::Blocked { types, report } => (report, Some(types)),
        };
        cx.req.request_count = rep.total();
        let (id, key) = (&cx.head.request_id, cx.key_id());
        let mut line =
            report::request_line(&self.0, id, key, &rep, blocked.is_some()).timing("scan", us);
        if self.0.segment_cache.enabled {
            let s = self.1.stats();
            line = line
                .extra_number("cached", s.hits.saturating_sub(hits_before) as i64)
                .extra_number("cache_entries", s.entries as i64)
                .extra_number("cache_bytes", s.bytes as i64);
        }
        cx.report(Report {
            hits: report::rule_hits(&self.0, &rep.counts),
            ..Report::new(line).check_us(us)
        });
        let Some(types) = blocked else {
            return Outcome::Continue;
        };
        let names: Vec<&str> = types.iter().map(|&t| self.0.name(t)).collect();
        let msg = format!(
            "The request contains sensitive data that may not be sent: {}.",
            names.join(", ")
        );
        Outcome::Refuse(Refusal::new(403, BLOCK_CODE, msg))
    }

    fn body_refused(&self, cx: &mut Cx<'_, Req>, err: &BodyError) -> Outcome {
        self.unscannable(cx, err, None)
    }

    fn response_head(&self, cx: &mut Cx<'_, Req>, response: &ResponseHead) -> Answer {
        if response.refused {
            return Answer::Pass; // the answer is ours, not the model's
        }
        if self.0.count_header {
            host::set_response_header("x-guardrail-pii", &cx.req.request_count.to_string());
        }
        let ct = host::response_header("content-type");
        let ce = host::response_header("content-encoding");
        let max_bytes = self.0.max_body_bytes;
        let answer = match plan(
            self.0.scan_responses,
            response.no_body,
            ct.as_deref(),
            ce.as_deref(),
        ) {
            ResponsePlan::Pass => return Answer::Pass,
            ResponsePlan::Json => Answer::Whole { max_bytes },
            ResponsePlan::Text => {
                cx.req.text = true;
                Answer::Whole { max_bytes }
            }
            ResponsePlan::Stream => {
                let format = cx.head.format;
                cx.req.stream = Some(Box::new(StreamRewriter::new(format, MAX_EVENT_BYTES)));
                Answer::Chunks
            }
            ResponsePlan::Replace(err) => {
                // The headers have not left yet: the client gets a provider-shaped error.
                refused_answer(cx, &err);
                Answer::Replace(host::replace_answer(style_for(cx.head.format), &err))
            }
        };
        host::remove_response_header("content-length");
        answer
    }

    fn response_whole(&self, cx: &mut Cx<'_, Req>, raw: &[u8]) -> Option<Vec<u8>> {
        let mut rep = ResponseReport::default();
        let (s, p) = (&self.0, &cx.req.pseudonyms);
        let result = match (cx.req.text, std::str::from_utf8(raw)) {
            (true, Ok(text)) => Ok(rewrite_text(text, s, p, &mut rep).map(String::into_bytes)),
            (true, Err(_)) => {
                let why = "the answer is not UTF-8 text";
                Err(BodyError::new(502, "response_not_scannable", why))
            }
            (false, _) => rewrite_response(cx.head.format, raw, s, p).map(|(b, r)| {
                rep = r;
                b
            }),
        };
        match result {
            Ok(body) => {
                answered(&self.0, cx, &rep, false);
                body
            }
            Err(err) => {
                // The status line already left: the body becomes the provider's error shape.
                self.response_refused(cx, BodyError { status: 502, ..err })
            }
        }
    }

    fn response_refused(&self, cx: &mut Cx<'_, Req>, err: BodyError) -> Option<Vec<u8>> {
        refused_answer(cx, &err);
        Some(body_error_body(style_for(cx.head.format), &err))
    }

    fn response_chunk(&self, cx: &mut Cx<'_, Req>, chunk: &[u8], end: bool) -> Chunk {
        let Some(rw) = cx.req.stream.as_mut() else {
            return Chunk::Stop;
        };
        let (s, p) = (&self.0, &cx.req.pseudonyms);
        let mut out = rw.push(chunk, s, p);
        if end {
            out = out.and_then(|mut o| {
                o.extend(rw.finish(s, p)?);
                Ok(o)
            });
        }
        let report = rw.report();
        match out {
            Ok(bytes) if end => {
                answered(&self.0, cx, &report, true);
                Chunk::End(bytes)
            }
            Ok(bytes) => Chunk::Replace(bytes),
            Err(e) => {
                // An event over the limit or not UTF-8: end the text here.
                let err = BodyError::new(502, "response_not_scannable", format!("stream: {e}"));
                refused_answer(cx, &err);
                Chunk::End(error_event(&body_error_body(
                    style_for(cx.head.format),
                    &err,
                )))
            }
        }
    }
}

impl PiiRedact {
    /// A request body that cannot be scanned: refused, or passed unscanned by the policy.
    fn unscannable(&self, cx: &mut Cx<'_, Req>, err: &BodyError, us: Option<u64>) -> Outcome {
        let pass = self.0.on_unparseable == OnUnparseable::Pass;
        let (id, key) = (&cx.head.request_id, cx.key_id());
        let line = report::refused_line(id, key, Phase::Request, err.status, err.code, pass);
        let failure = if pass { Failure::Open } else { Failure::Closed };
        cx.report(Report {
            check_us: us,
            ..Report::new(line).failure(failure)
        });
        match pass {
            true => Outcome::Continue,
            false => Outcome::from(err),
        }
    }
}

fn answered(s: &Settings, cx: &mut Cx<'_, Req>, rep: &ResponseReport, streamed: bool) {
    let (id, key) = (&cx.head.request_id, cx.key_id());
    let line = report::response_line(s, id, key, rep, streamed);
    cx.report(Report {
        hits: report::rule_hits(s, &rep.counts),
        ..Report::new(line).uncounted()
    });
}

fn refused_answer(cx: &mut Cx<'_, Req>, err: &BodyError) {
    let (id, key) = (&cx.head.request_id, cx.key_id());
    let line = report::refused_line(id, key, Phase::Response, err.status, err.code, false);
    cx.report(Report::new(line).uncounted());
}

guardrail_sdk::main!(PiiRedact);
// The callbacks used; the others answer with the default, without entering the plugin
// (build.sh runs tools/wasm-trim; see the SDK's `callbacks`).
guardrail_sdk::callbacks!(
    request_headers,
    request_body,
    request_trailers,
    response_headers,
    response_body,
    response_trailers
);
