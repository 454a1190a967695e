//! The proxy-wasm root and HTTP contexts of the hostcalls test plugin.

use std::rc::Rc;
use std::time::Duration;

use proxy_wasm::traits::{Context, HttpContext, RootContext};
use proxy_wasm::types::{Action, ContextType, LogLevel};

use crate::config::{self, Config, Mode};
use crate::price::{self, PriceMetrics};
use crate::raw;

const NAME: &str = "hostcalls-test";

proxy_wasm::main! {{
    proxy_wasm::set_root_context(|_| Box::new(Root { config: Rc::new(Config::default()), ticks: 0, metrics: None, price: None }));
}}

fn log(level: LogLevel, msg: &str) {
    let _ = proxy_wasm::hostcalls::log(level, msg);
}

/// Metric ids defined in `on_configure` (mode `metrics`).
#[derive(Clone, Copy)]
struct MetricIds {
    requests: u32,
    last_body: u32,
    body_bytes: u32,
}

struct Root {
    config: Rc<Config>,
    ticks: u64,
    metrics: Option<MetricIds>,
    price: Option<PriceMetrics>,
}

impl Context for Root {}

impl RootContext for Root {
    fn on_vm_start(&mut self, size: usize) -> bool {
        log(
            LogLevel::Info,
            &format!("{NAME}: vm started, vm configuration {size} bytes"),
        );
        true
    }

    fn on_configure(&mut self, _size: usize) -> bool {
        let raw_config = self.get_plugin_configuration().unwrap_or_default();
        let cfg = match config::parse(&raw_config) {
            Ok(c) => c,
            Err(e) => {
                log(
                    LogLevel::Critical,
                    &format!("{NAME}: invalid configuration: {e}"),
                );
                return false;
            }
        };
        match cfg.mode {
            Mode::Tick => {
                let s = raw::set_tick_period(cfg.tick_ms);
                log(
                    LogLevel::Info,
                    &format!("{NAME}: tick period {} ms: status {s}", cfg.tick_ms),
                );
            }
            Mode::Metrics => {
                let ids = (
                    raw::define_metric(raw::METRIC_COUNTER, "hostcalls_requests_total"),
                    raw::define_metric(raw::METRIC_GAUGE, "hostcalls_last_body_bytes"),
                    raw::define_metric(raw::METRIC_HISTOGRAM, "hostcalls_body_bytes"),
                );
                match ids {
                    (Ok(requests), Ok(last_body), Ok(body_bytes)) => {
                        self.metrics = Some(MetricIds {
                            requests,
                            last_body,
                            body_bytes,
                        })
                    }
                    (a, b, c) => log(
                        LogLevel::Warn,
                        &format!(
                            "{NAME}: metrics refused: {:?} {:?} {:?}",
                            a.err(),
                            b.err(),
                            c.err()
                        ),
                    ),
                }
            }
            Mode::Price => match price::define_metrics() {
                Ok(m) => self.price = Some(m),
                Err(s) => log(
                    LogLevel::Warn,
                    &format!("{NAME}: price metrics refused: status {s}"),
                ),
            },
            _ => {}
        }
        log(
            LogLevel::Info,
            &format!("{NAME}: configured, mode {:?}", cfg.mode),
        );
        self.config = Rc::new(cfg);
        true
    }

    fn on_tick(&mut self) {
        self.ticks += 1;
        let t = match raw::now_nanos() {
            Ok(t) => t.to_string(),
            Err(s) => format!("refused (status {s})"),
        };
        log(
            LogLevel::Info,
            &format!("{NAME}: tick {} time {t}", self.ticks),
        );
    }

    fn create_http_context(&self, _context_id: u32) -> Option<Box<dyn HttpContext>> {
        Some(Box::new(Http {
            config: Rc::clone(&self.config),
            metrics: self.metrics,
            price: self.price,
            echoed: Vec::new(),
        }))
    }

    fn get_type(&self) -> Option<ContextType> {
        Some(ContextType::HttpContext)
    }
}

struct Http {
    config: Rc<Config>,
    metrics: Option<MetricIds>,
    price: Option<PriceMetrics>,
    echoed: Vec<(String, String)>,
}

/// Which side of the exchange a body callback is on.
#[derive(Clone, Copy)]
enum Side {
    Request,
    Response,
}

impl Http {
    fn logs(&self) -> bool {
        self.config.mode == Mode::Log
    }

    /// Mode `log`: which maps and buffers this callback can read, as statuses.
    fn probe(&self, callback: &str) {
        if !self.logs() {
            return;
        }
        let (req, _) = raw::header_value_status(0, ":path");
        let (resp, _) = raw::header_value_status(2, ":status");
        let (req_body, req_n) = raw::buffer_status(raw::BUFFER_REQUEST_BODY);
        let (resp_body, resp_n) = raw::buffer_status(raw::BUFFER_RESPONSE_BODY);
        let add_req = raw::add_header_status(0, "x-probe", callback);
        let add_resp = raw::add_header_status(2, "x-probe", callback);
        log(
            LogLevel::Info,
            &format!(
                "{NAME}: probe {callback}: request :path {req}, response :status {resp}, \
                 request body {req_body}/{req_n}, response body {resp_body}/{resp_n}, \
                 add request header {add_req}, add response header {add_resp}"
            ),
        );
    }

    fn block(&self) -> Action {
        self.send_http_response(
            self.config.status,
            vec![("content-type", "text/plain"), ("x-hostcalls", "blocked")],
            Some(self.config.body.as_bytes()),
        );
        Action::Pause
    }

    fn body(&self, side: Side, size: usize) -> Vec<u8> {
        match side {
            Side::Request => self.get_http_request_body(0, size),
            Side::Response => self.get_http_response_body(0, size),
        }
        .unwrap_or_default()
    }

    /// The whole body is buffered (end of stream or trailers): block or rewrite it.
    fn on_whole_body(&self, side: Side, size: usize) -> Action {
        let cfg = &self.config;
        let body = self.body(side, size);
        match cfg.mode {
            Mode::Block if contains(&body, cfg.needle.as_bytes()) => self.block(),
            Mode::RewriteBody => {
                let new = replace(&body, cfg.needle.as_bytes(), cfg.replacement.as_bytes());
                let buffer = match side {
                    Side::Request => raw::BUFFER_REQUEST_BODY,
                    Side::Response => raw::BUFFER_RESPONSE_BODY,
                };
                let s = raw::set_buffer(buffer, 0, body.len(), &new);
                if s != raw::OK {
                    log(
                        LogLevel::Warn,
                        &format!("{NAME}: set_buffer_bytes refused: status {s}"),
                    );
                }
                Action::Continue
            }
            _ => Action::Continue,
        }
    }

    /// Body callback of either side: buffer to the end when the mode needs the whole body.
    fn on_body(&mut self, side: Side, size: usize, eos: bool) -> Action {
        let needs_whole = match self.config.mode {
            Mode::Block => !self.config.needle.is_empty(),
            Mode::RewriteBody => true,
            _ => false,
        };
        if !needs_whole {
            return Action::Continue;
        }
        if !eos {
            return Action::Pause;
        }
        self.on_whole_body(side, size)
    }

    /// Mode `edit_ranges`: how the host applies `proxy_set_buffer_bytes` ranges.
    fn edit_ranges(&self, size: usize, eos: bool) -> Action {
        if !eos {
            return Action::Pause;
        }
        let buf = raw::BUFFER_REQUEST_BODY;
        let mid = raw::set_buffer(buf, 1, 1, b"X");
        let end = raw::set_buffer(buf, size, 0, b"!");
        let far = raw::set_buffer(buf, size + 10, 0, b"?");
        let head = raw::set_buffer(buf, 0, 2, b"AB");
        let body = self.body(Side::Request, u32::MAX as usize);
        log(
            LogLevel::Info,
            &format!(
                "{NAME}: edit_ranges: middle {mid}, at end {end}, beyond end {far}, \
                 at start {head}, body {:?}",
                String::from_utf8_lossy(&body)
            ),
        );
        Action::Continue
    }

    fn count_shared(&self) -> Result<u64, u32> {
        let key = &self.config.key;
        for _ in 0..16 {
            let (value, cas) = raw::get_shared(key)?;
            let n = std::str::from_utf8(&value)
                .ok()
                .and_then(|s| s.parse::<u64>().ok())
                .unwrap_or(0)
                + 1;
            match raw::set_shared(key, n.to_string().as_bytes(), cas) {
                raw::OK => return Ok(n),
                raw::CAS_MISMATCH => {
                    log(
                        LogLevel::Info,
                        &format!("{NAME}: shared data cas mismatch, retrying"),
                    );
                }
                s => return Err(s),
            }
        }
        Err(raw::CAS_MISMATCH)
    }
}

impl Context for Http {
    fn on_http_call_response(
        &mut self,
        token: u32,
        headers: usize,
        body_size: usize,
        _trailers: usize,
    ) {
        let status = self
            .get_http_call_response_header(":status")
            .unwrap_or_default();
        let body = self
            .get_http_call_response_body(0, body_size)
            .unwrap_or_default();
        log(
            LogLevel::Info,
            &format!("{NAME}: http call {token} answered {status} ({headers} headers, {body_size} bytes)"),
        );
        if status == "200" {
            self.add_http_request_header("x-http-call-status", &status);
            self.add_http_request_header("x-http-call-body", &String::from_utf8_lossy(&body));
            self.resume_http_request();
        } else {
            self.block();
        }
    }
}

impl HttpContext for Http {
    fn on_http_request_headers(&mut self, n: usize, eos: bool) -> Action {
        self.probe("request_headers");
        if self.logs() {
            log(
                LogLevel::Info,
                &format!("{NAME}: request_headers n={n} eos={eos}"),
            );
            let t = match raw::now_nanos() {
                Ok(t) => t.to_string(),
                Err(s) => format!("refused (status {s})"),
            };
            let path = match raw::get_property(&["request", "path"]) {
                Ok(p) => String::from_utf8_lossy(&p).into_owned(),
                Err(s) => format!("refused (status {s})"),
            };
            log(
                LogLevel::Info,
                &format!("{NAME}: time {t} request.path {path}"),
            );
        }
        match self.config.mode {
            Mode::Price => return price::on_request_headers(&self.config, self.price),
            Mode::Trap => core::arch::wasm32::unreachable(),
            Mode::Block if self.config.needle.is_empty() => return self.block(),
            Mode::EchoHeaders => {
                self.echoed = self.get_http_request_headers();
                self.add_http_request_header("x-hostcalls", "seen");
            }
            Mode::RewriteBody => {
                self.set_http_request_header("content-length", None);
                self.set_http_request_header("accept-encoding", None);
            }
            Mode::HttpCall => {
                let upstream = self.config.upstream.clone();
                let call = self.dispatch_http_call(
                    &upstream,
                    vec![
                        (":method", "POST"),
                        (":path", "/check"),
                        (":authority", &upstream),
                    ],
                    Some(b"check"),
                    vec![],
                    Duration::from_secs(5),
                );
                return match call {
                    Ok(token) => {
                        log(
                            LogLevel::Info,
                            &format!("{NAME}: http call {token} dispatched"),
                        );
                        Action::Pause
                    }
                    Err(s) => {
                        log(LogLevel::Warn, &format!("{NAME}: http call refused: {s:?}"));
                        self.block()
                    }
                };
            }
            Mode::SharedData => match self.count_shared() {
                Ok(n) => self.add_http_request_header("x-shared-count", &n.to_string()),
                Err(s) => log(
                    LogLevel::Warn,
                    &format!("{NAME}: shared data refused: status {s}"),
                ),
            },
            Mode::Metrics => {
                if let Some(m) = self.metrics {
                    let s = raw::increment_metric(m.requests, 1);
                    if s != raw::OK {
                        log(
                            LogLevel::Warn,
                            &format!("{NAME}: increment_metric: status {s}"),
                        );
                    }
                }
            }
            _ => {}
        }
        Action::Continue
    }

    fn on_http_request_body(&mut self, size: usize, eos: bool) -> Action {
        if self.config.mode == Mode::Price {
            return price::on_request_body(&self.config, eos);
        }
        self.probe("request_body");
        if self.logs() {
            log(
                LogLevel::Info,
                &format!("{NAME}: request_body size={size} eos={eos}"),
            );
            let (s, path) = raw::header_value_status(0, ":path");
            let path = format!("status {s}, {:?}", String::from_utf8_lossy(&path));
            log(
                LogLevel::Info,
                &format!("{NAME}: :path in body callback: {path}"),
            );
            let (s, n) = raw::header_pairs_status(0);
            log(
                LogLevel::Info,
                &format!("{NAME}: request header pairs in body callback: status {s}, {n} bytes"),
            );
        }
        if let (Mode::Metrics, Some(m), true) = (self.config.mode, self.metrics, eos) {
            raw::record_metric(m.last_body, size as u64);
            raw::record_metric(m.body_bytes, size as u64);
        }
        if self.config.mode == Mode::EditRanges {
            return self.edit_ranges(size, eos);
        }
        self.on_body(Side::Request, size, eos)
    }

    fn on_http_request_trailers(&mut self, n: usize) -> Action {
        self.probe("request_trailers");
        if self.logs() {
            log(LogLevel::Info, &format!("{NAME}: request_trailers n={n}"));
        }
        self.on_whole_body(Side::Request, usize::MAX)
    }

    fn on_http_response_headers(&mut self, n: usize, eos: bool) -> Action {
        self.probe("response_headers");
        if self.logs() {
            log(
                LogLevel::Info,
                &format!("{NAME}: response_headers n={n} eos={eos}"),
            );
        }
        match self.config.mode {
            Mode::EchoHeaders => {
                for (name, value) in std::mem::take(&mut self.echoed) {
                    let name = format!("x-echo-{}", name.trim_start_matches(':'));
                    self.add_http_response_header(&name, &value);
                }
            }
            Mode::RewriteBody => self.set_http_response_header("content-length", None),
            _ => {}
        }
        Action::Continue
    }

    fn on_http_response_body(&mut self, size: usize, eos: bool) -> Action {
        self.probe("response_body");
        if self.logs() {
            log(
                LogLevel::Info,
                &format!("{NAME}: response_body size={size} eos={eos}"),
            );
        }
        if self.config.mode == Mode::ResumeResponse {
            if eos {
                let s = raw::continue_response();
                log(
                    LogLevel::Info,
                    &format!("{NAME}: continue response: status {s}"),
                );
            }
            return Action::Pause;
        }
        self.on_body(Side::Response, size, eos)
    }

    fn on_http_response_trailers(&mut self, n: usize) -> Action {
        self.probe("response_trailers");
        if self.logs() {
            log(LogLevel::Info, &format!("{NAME}: response_trailers n={n}"));
        }
        self.on_whole_body(Side::Response, usize::MAX)
    }

    fn on_log(&mut self) {
        self.probe("log");
        if self.logs() {
            log(LogLevel::Info, &format!("{NAME}: log"));
        }
    }
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    needle.is_empty() || hay.windows(needle.len()).any(|w| w == needle)
}

/// `hay` with every `needle` replaced; an empty needle replaces the whole body.
fn replace(hay: &[u8], needle: &[u8], with: &[u8]) -> Vec<u8> {
    if needle.is_empty() {
        return with.to_vec();
    }
    let mut out = Vec::with_capacity(hay.len());
    let mut i = 0;
    while i < hay.len() {
        if hay.get(i..i + needle.len()) == Some(needle) {
            out.extend_from_slice(with);
            i += needle.len();
        } else {
            out.extend(hay.get(i));
            i += 1;
        }
    }
    out
}
