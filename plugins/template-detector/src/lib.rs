//! template-detector: the smallest complete guardrail plugin, for vendors to copy. The check is
//! a pure function in `detector.rs` (replace it); this file is the `Plugin` impl the SDK's
//! skeleton runs (buffering, limits, refusals, verdict line, metrics and review calls are the
//! SDK's).

pub mod config;
pub mod detector;

use config::Config;
use guardrail_sdk::plugin::{Body, Cx, NonJson, Outcome, Plugin, Refusal, Report};
use guardrail_sdk::verdict::Decision;
use guardrail_sdk::{host, json, review, verdict_log::Phase};

pub struct TemplateDetector(Config);

impl Plugin for TemplateDetector {
    const NAME: &'static str = "template-detector";
    const VERSION: &'static str = env!("CARGO_PKG_VERSION");
    type Request = ();

    fn configure(raw: &[u8]) -> Result<Self, String> {
        Config::from_json(raw)
            .map(TemplateDetector)
            .map_err(|e| e.to_string())
    }

    fn max_body_bytes(&self) -> usize {
        self.0.max_body_bytes
    }

    /// key-auth's secret: a verified identity names the key in lines and review items.
    fn identity_secret(&self) -> Option<&[u8]> {
        self.0.identity_secret.as_deref().map(str::as_bytes)
    }

    fn request_head(&self, cx: &mut Cx<'_, ()>) -> Outcome {
        match cx.head.json_body(NonJson::Refuse) {
            Ok(true) => Outcome::Body,
            Ok(false) => Outcome::Continue, // no body: nothing to scan
            Err(err) => cx.refuse(&err),
        }
    }

    fn request_body(&self, cx: &mut Cx<'_, ()>, body: &mut Body<'_>) -> Outcome {
        let watch = host::Stopwatch::start();
        let parsed = match body.request(cx.head.format, &json::Limits::default()) {
            Ok(parsed) => parsed,
            Err(err) => return cx.refuse(&err),
        };
        let verdict = detector::detect(&parsed.segments, &self.0);
        let us = watch.elapsed_us();
        let line = cx
            .line(Phase::Request)
            .verdict(&verdict)
            .timing("detect", us);
        cx.report(Report::new(line).hits(verdict.rules()).check_us(us));
        match (&verdict.decision, &self.0.review_webhook) {
            (Decision::Block { status, code }, _) => {
                Outcome::Refuse(Refusal::new(*status, code, "Blocked by gateway policy."))
            }
            (Decision::Flag, Some(hook)) => {
                let omit = review::Text::Omit;
                cx.review(hook, &verdict, &parsed.segments, omit, true) // held until answered
            }
            _ => Outcome::Continue,
        }
    }
}

guardrail_sdk::main!(TemplateDetector);
// The callbacks used; the others answer with the default, without entering the plugin
// (build.sh runs tools/wasm-trim; see the SDK's `callbacks`).
guardrail_sdk::callbacks!(
    request_headers,
    request_body,
    request_trailers,
    http_call_response
);
