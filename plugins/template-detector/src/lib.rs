//! template-detector: the smallest complete guardrail plugin, for vendors to copy. The check is
//! a pure function in `detector.rs` (replace it); this file is the `Plugin` impl the SDK's
//! skeleton runs (buffering, limits, refusals, verdict line, metrics and review calls are the
//! SDK's).

pub mod config;
pub mod detector;

use config::Config;
use guardrail_sdk::plugin::{Body, Call, Cx, NonJson, Outcome, Plugin, Refusal, Report};
use guardrail_sdk::verdict::Decision;
use guardrail_sdk::{host, json, review, verdict_log::Phase};

pub struct TemplateDetector(Config);

/// Per request: the key id of a verified identity (key-auth), for logs and review items.
type Key = Option<String>;

impl Plugin for TemplateDetector {
    const NAME: &'static str = "template-detector";
    const VERSION: &'static str = env!("CARGO_PKG_VERSION");
    type Request = Key;

    fn configure(raw: &[u8]) -> Result<Self, String> {
        Config::from_json(raw)
            .map(TemplateDetector)
            .map_err(|e| e.to_string())
    }

    fn new_request(&self) -> Key {
        None
    }

    fn max_body_bytes(&self) -> usize {
        self.0.max_body_bytes
    }

    fn request_head(&self, cx: &mut Cx<'_, Key>) -> Outcome {
        if let Some(secret) = &self.0.identity_secret {
            *cx.req = host::verified_identity(secret.as_bytes()).map(|(id, _)| id.key_id);
        }
        match cx.head.json_body(NonJson::Refuse) {
            Ok(true) => Outcome::Body,
            Ok(false) => Outcome::Continue, // no body: nothing to scan
            Err(err) => cx.refuse(&err),
        }
    }

    fn request_body(&self, cx: &mut Cx<'_, Key>, body: &mut Body<'_>) -> Outcome {
        let watch = host::Stopwatch::start();
        let parsed = match body.request(cx.head.format, &json::Limits::default()) {
            Ok(parsed) => parsed,
            Err(err) => return cx.refuse(&err),
        };
        let verdict = detector::detect(&parsed.segments, &self.0);
        let us = watch.elapsed_us();
        let mut line = cx
            .line(Phase::Request)
            .verdict(&verdict)
            .timing("detect", us);
        if let Some(key) = cx.req.as_deref() {
            line = line.key_id(key);
        }
        cx.report(Report::new(line).hits(verdict.rules()).check_us(us));
        match (&verdict.decision, &self.0.review_webhook) {
            (Decision::Block { status, code }, _) => {
                Outcome::Refuse(Refusal::new(*status, code, "Blocked by gateway policy."))
            }
            (Decision::Flag, Some(hook)) => {
                let (id, key, omit) = (&cx.head.request_id, cx.req.as_deref(), review::Text::Omit);
                let item = review::payload(id, Self::NAME, &verdict, &parsed.segments, key, omit);
                Outcome::Call(Call::review(hook, item, true)) // held until the receiver answers
            }
            _ => Outcome::Continue,
        }
    }
}

guardrail_sdk::main!(TemplateDetector);
// The callbacks used; build.sh drops the other exports (see the SDK's `callbacks`).
guardrail_sdk::callbacks!(
    request_headers,
    request_body,
    request_trailers,
    http_call_response
);
