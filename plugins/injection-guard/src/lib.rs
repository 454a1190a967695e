//! injection-guard: prompt-injection and jailbreak detection by trust boundary. The pure
//! modules hold all logic (tested natively); this file is the `Plugin` impl the SDK's skeleton
//! runs: scan the request body's segments, block (provider-shaped 403), flag or review, ask a
//! remote classifier about the grey zone (`request`, `calls`), and watch the answer for a
//! canary (`answer`).

mod answer;
pub mod answer_watch;
mod ascii_lower;
pub mod callout;
mod calls;
pub mod canary;
pub mod config;
pub mod confusables;
pub mod context;
pub mod data_lines;
pub mod decode;
pub mod detector;
pub mod family;
pub mod framing;
pub mod fuzz_tokens;
pub mod leak_watch;
pub mod lexicon;
pub mod lexicon_i18n;
pub mod markup;
pub mod matcher;
mod mcp_answer;
pub mod ngram;
pub mod normalize;
#[cfg(test)]
mod normalize_diff;
#[cfg(test)]
mod normalize_reference;
pub mod options;
pub mod policy;
pub mod prompt_echo;
mod request;
pub mod suffix;
pub mod tool_poison;
pub mod tool_scan;
pub mod trusted_callers;

use answer_watch::AnswerWatch;
use config::Config;
use detector::Detector;
use guardrail_sdk::plugin::ResponseHead;
use guardrail_sdk::plugin::{Answer, Body, Chunk, Cx, NonJson, Outcome, Plugin, Reply};
use guardrail_sdk::segment_cache::SegmentCache;
use guardrail_sdk::{host, ApiFormat, BodyError};

pub(crate) const NAME: &str = "injection-guard";

/// The configuration and what is built from it once.
pub struct InjectionGuard {
    config: Config,
    detector: Detector,
    /// `canary.fragments`, folded once.
    fragments: Vec<Vec<u8>>,
    /// Segment scans of earlier requests (an agent resends its whole history each turn).
    cache: SegmentCache<detector::Scan>,
}

/// Per request.
#[derive(Default)]
pub struct Req {
    /// Flag/review header values to also show the client on the response.
    flag: Option<(String, bool)>,
    /// An outgoing call the request waits for.
    pending: Option<calls::Pending>,
    /// What the answer is watched for (canary token, fragments, the system prompt's own
    /// words); `None`: not watched.
    watch: Option<AnswerWatch>,
    /// The admin vouches for this request's system prompt (`trusted_system_prompt`).
    system_trusted: bool,
    /// The streamed answer's parser.
    stream: Option<Box<guardrail_sdk::sse::SseParser>>,
}

type C<'a, 'b> = &'a mut Cx<'b, Req>;

impl Plugin for InjectionGuard {
    const NAME: &'static str = NAME;
    const VERSION: &'static str = env!("CARGO_PKG_VERSION");
    type Request = Req;

    fn configure(raw: &[u8]) -> Result<Self, String> {
        let build = |config: Config| {
            let detector = config.detector()?;
            let canary = config.canary.as_ref();
            let fragments = canary.map(|k| k.folded_fragments()).unwrap_or_default();
            let scope: [&[u8]; 3] = [NAME.as_bytes(), Self::VERSION.as_bytes(), raw];
            let cache = SegmentCache::new(&scope, config.segment_cache, detector::Scan::heap_bytes);
            Ok(InjectionGuard {
                config,
                detector,
                fragments,
                cache,
            })
        };
        Config::from_json(raw)
            .and_then(build)
            .map_err(|e| e.to_string())
    }

    fn max_body_bytes(&self) -> usize {
        self.config.max_body_bytes
    }

    /// key-auth's secret: the skeleton verifies the caller's identity (verdict lines, review
    /// items, `trusted_system_prompt`, `app_allow_rules`).
    fn identity_secret(&self) -> Option<&[u8]> {
        self.config.identity_secret.as_deref().map(str::as_bytes)
    }

    fn request_head(&self, cx: C<'_, '_>) -> Outcome {
        cx.req.system_trusted = trusted_callers::system_prompt_trusted(
            self.config.scan_trusted,
            &self.config.trusted_system_prompt,
            &cx.head.path,
            cx.head.identity.as_ref(),
        );
        let canary = self.config.canary.as_ref();
        let mcp_answers = cx.head.format == ApiFormat::Mcp && self.config.mcp.scan_answers;
        if canary.is_some() || mcp_answers {
            // The answer must arrive readable (uncompressed) to be checked (a leak, or an MCP
            // server's data).
            host::remove_request_header("accept-encoding");
        }
        match cx.head.json_body(NonJson::Skip) {
            Ok(false) => {
                if mcp_answers {
                    // A GET on an MCP route opens the server's stream: its answer is data too.
                    host::want_bodies(false, true);
                }
                Outcome::Continue
            }
            Ok(true) => {
                if canary.is_some_and(|c| c.inject) {
                    // The body may grow by the canary line (Envoy does not fix the length).
                    host::remove_request_header("content-length");
                }
                host::want_bodies(false, canary.is_some() || mcp_answers); // APISIX: the answer too
                Outcome::Body
            }
            Err(err) => cx.refuse(&err),
        }
    }

    fn request_body(&self, cx: C<'_, '_>, body: &mut Body<'_>) -> Outcome {
        self.decide(cx, body)
    }

    fn call_answer(&self, cx: C<'_, '_>, reply: Reply) -> Outcome {
        self.on_call_answer(cx, reply)
    }

    fn response_head(&self, cx: C<'_, '_>, response: &ResponseHead) -> Answer {
        if let Some((rules, review)) = &cx.req.flag {
            host::set_response_header(&self.config.flag_header, rules);
            if *review {
                host::set_response_header(&self.config.review_header, "1");
            }
        }
        if cx.head.format == ApiFormat::Mcp {
            return self.mcp_head(cx, response);
        }
        self.answer_head(cx, response.no_body)
    }

    fn response_whole(&self, cx: C<'_, '_>, raw: &[u8]) -> Option<Vec<u8>> {
        self.answer_whole(cx, raw)
    }

    fn response_refused(&self, cx: C<'_, '_>, err: BodyError) -> Option<Vec<u8>> {
        self.answer_refused(cx, err)
    }

    fn response_chunk(&self, cx: C<'_, '_>, chunk: &[u8], end: bool) -> Chunk {
        self.answer_chunk(cx, chunk, end)
    }
}

guardrail_sdk::main!(InjectionGuard);
// The callbacks used; the others answer with the default, without entering the plugin
// (build.sh runs tools/wasm-trim; see the SDK's `callbacks`).
guardrail_sdk::callbacks!(
    request_headers,
    request_body,
    request_trailers,
    response_headers,
    response_body,
    response_trailers,
    http_call_response
);
