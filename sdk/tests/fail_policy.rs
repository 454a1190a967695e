//! The decided fail policy, end to end over the pure SDK: every body a guardrail cannot scan
//! (compressed, oversize, trailers-terminated but oversize) becomes a provider-shaped 4xx, and
//! nothing in the answer echoes the request.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)] // a test

use guardrail_sdk::buffer::{
    check_content_encoding, needs_scan, BodyCollector, BodyPolicy, Collect,
};
use guardrail_sdk::provider_error::{body_error_body, style_for, ErrorStyle};
use guardrail_sdk::ApiFormat;
use serde_json::Value;

fn json(bytes: &[u8]) -> Value {
    serde_json::from_slice(bytes).expect("error bodies are JSON")
}

#[test]
fn compressed_bodies_get_415_in_each_providers_shape() {
    let err = check_content_encoding(Some("gzip")).unwrap_err();
    let openai = json(&body_error_body(style_for(ApiFormat::OpenAiChat), &err));
    assert_eq!(openai["error"]["code"], "unsupported_content_encoding");
    let anthropic = json(&body_error_body(
        style_for(ApiFormat::AnthropicMessages),
        &err,
    ));
    assert_eq!(anthropic["type"], "error");
    assert_eq!(anthropic["error"]["type"], "invalid_request_error");
    let gemini = json(&body_error_body(
        style_for(ApiFormat::GeminiGenerateContent),
        &err,
    ));
    assert_eq!(gemini["error"]["code"], 415);
    assert_eq!(gemini["error"]["status"], "INVALID_ARGUMENT");
}

#[test]
fn oversize_bodies_get_413_whether_they_end_by_eos_or_trailers() {
    for end_with_trailers in [false, true] {
        let mut c = BodyCollector::new(BodyPolicy { max_bytes: 1000 });
        let mut last = Collect::NeedMore;
        for total in (100..=1200).step_by(100) {
            last = c.on_body(total, false);
            if last != Collect::NeedMore {
                break;
            }
        }
        if end_with_trailers {
            last = c.on_trailers();
        } else {
            last = match last {
                Collect::NeedMore => c.on_body(1200, true),
                decided => decided,
            };
        }
        assert_eq!(last, Collect::TooLarge);
        let body = json(&body_error_body(
            ErrorStyle::Anthropic,
            &c.too_large_error(),
        ));
        assert_eq!(body["error"]["type"], "request_too_large");
    }
}

#[test]
fn a_trailers_terminated_body_is_complete_not_skipped() {
    // The HTTP/2 trailer bypass: no body callback ever says end_of_stream.
    let mut c = BodyCollector::new(BodyPolicy::default());
    assert_eq!(c.on_body(512, false), Collect::NeedMore);
    assert_eq!(c.on_trailers(), Collect::Complete);
    assert_eq!(c.size(), 512);
}

#[test]
fn scan_rule_follows_the_contract() {
    assert!(needs_scan(None));
    assert!(needs_scan(Some("application/json; charset=utf-8")));
    assert!(!needs_scan(Some("text/plain")));
}
