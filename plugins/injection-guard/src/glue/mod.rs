//! glue: the proxy-wasm side of injection-guard (wasm32 only), in the SDK example order:
//! `main!`, root context (config parsed once, refused loudly), HTTP context. The request
//! verdict is in `request`, the outgoing calls (classifier, review) in `calls`, the canary
//! watch on the answer in `answer`.

mod answer;
mod calls;
mod request;

use crate::config::Config;
use crate::detector::Detector;
use crate::leak_watch::LeakWatch;
use guardrail_sdk::buffer::{self, BodyCollector, BodyPolicy};
use guardrail_sdk::host::{self, Level, Metrics};
use guardrail_sdk::provider_error::style_for;
use guardrail_sdk::{body, ApiFormat};
use proxy_wasm::traits::{Context, HttpContext, RootContext};
use proxy_wasm::types::{Action, ContextType, LogLevel};
use std::rc::Rc;

pub(crate) const NAME: &str = "injection-guard";

proxy_wasm::main! {{
    proxy_wasm::set_log_level(LogLevel::Info);
    proxy_wasm::set_root_context(|_| Box::new(Root { state: None }));
}}

// The callbacks below; build.sh drops the dispatcher's other exports (see the SDK's `callbacks`).
guardrail_sdk::callbacks!(
    request_headers,
    request_body,
    request_trailers,
    response_headers,
    response_body,
    response_trailers,
    http_call_response
);

pub(crate) struct State {
    pub config: Config,
    pub detector: Detector,
    pub metrics: Metrics,
    /// `canary.fragments`, folded once.
    pub fragments: Vec<Vec<u8>>,
}

struct Root {
    state: Option<Rc<State>>,
}

impl Context for Root {}

impl RootContext for Root {
    fn on_configure(&mut self, _size: usize) -> bool {
        let raw = self.get_plugin_configuration().unwrap_or_default();
        let built = Config::from_json(&raw).and_then(|c| {
            let detector = c.detector()?;
            let fragments = c
                .canary
                .as_ref()
                .map(|k| k.folded_fragments())
                .unwrap_or_default();
            Ok(State {
                config: c,
                detector,
                metrics: Metrics::new(NAME),
                fragments,
            })
        });
        match built {
            Ok(state) => {
                self.state = Some(Rc::new(state));
                true
            }
            Err(err) => {
                host::log(Level::Critical, &format!("{NAME}: bad config: {err}"));
                false
            }
        }
    }

    fn create_http_context(&self, _id: u32) -> Option<Box<dyn HttpContext>> {
        let state = self.state.clone()?;
        let max = state.config.max_body_bytes;
        Some(Box::new(Http {
            state,
            format: ApiFormat::Unknown,
            request_id: String::new(),
            scan: false,
            body: BodyCollector::new(BodyPolicy { max_bytes: max }),
            flag: None,
            pending: None,
            watch: None,
            answer: answer::Answer::Off,
        }))
    }

    fn get_type(&self) -> Option<ContextType> {
        Some(ContextType::HttpContext)
    }
}

pub(crate) struct Http {
    state: Rc<State>,
    format: ApiFormat,
    request_id: String,
    scan: bool,
    body: BodyCollector,
    /// Flag/review header values to also show the client on the response.
    flag: Option<(String, bool)>,
    /// An outgoing call the request waits for.
    pending: Option<calls::Pending>,
    /// What the answer is watched for (canary token, fragments); `None`: not watched.
    watch: Option<LeakWatch>,
    answer: answer::Answer,
}

impl Context for Http {
    fn on_http_call_response(&mut self, _token: u32, _headers: usize, size: usize, _t: usize) {
        self.on_call_answer(size);
    }
}

impl HttpContext for Http {
    fn on_http_request_headers(&mut self, _n: usize, end_of_stream: bool) -> Action {
        // Headers are readable only here (Envoy): take what the body phase needs now.
        let path = host::request_header(":path").unwrap_or_default();
        self.format = body::format_for_path(&path);
        self.request_id = host::request_id(self);
        let content_type = host::request_header("content-type");
        self.scan = !end_of_stream && buffer::needs_scan(content_type.as_deref());
        let canary = self.state.config.canary.as_ref();
        let watching = canary.is_some();
        if watching {
            // The answer must arrive readable (uncompressed) to be checked for a leak.
            host::remove_request_header("accept-encoding");
        }
        if self.scan && canary.is_some_and(|c| c.inject) {
            // The body may grow by the canary line (Envoy does not fix the length).
            host::remove_request_header("content-length");
        }
        if self.scan {
            // APISIX delivers the bodies only when asked; elsewhere this is a no-op.
            host::want_bodies(true, watching);
            if let Err(err) =
                buffer::check_content_encoding(host::request_header("content-encoding").as_deref())
            {
                self.log_refusal(err.status, err.code);
                host::send_body_error(style_for(self.format), &err, &[]);
                return Action::Pause;
            }
        }
        Action::Continue // never Pause here: the body callbacks would not run (Envoy)
    }

    fn on_http_request_body(&mut self, size: usize, end_of_stream: bool) -> Action {
        if !self.scan {
            return Action::Continue;
        }
        let step = host::on_request_body(&mut self.body, size, end_of_stream);
        self.decide(step)
    }

    fn on_http_request_trailers(&mut self, _n: usize) -> Action {
        if !self.scan {
            return Action::Continue;
        }
        let step = host::on_request_trailers(&mut self.body); // trailers end the body
        self.decide(step)
    }

    fn on_http_response_headers(&mut self, _n: usize, end_of_stream: bool) -> Action {
        if let Some((rules, review)) = &self.flag {
            host::set_response_header(&self.state.config.flag_header, rules);
            if *review {
                host::set_response_header(&self.state.config.review_header, "1");
            }
        }
        self.answer_headers(end_of_stream)
    }

    fn on_http_response_body(&mut self, size: usize, end_of_stream: bool) -> Action {
        self.answer_body(size, end_of_stream)
    }

    fn on_http_response_trailers(&mut self, _n: usize) -> Action {
        self.answer_trailers()
    }
}
