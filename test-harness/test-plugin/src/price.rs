//! Mode `price`: one kind of host call, `repeat` times per request, so that `harness bench
//! --price` can put a price in microseconds on each host call in real Envoy (the CPU a
//! configuration adds over the no-op plugin, divided by `repeat`).

use proxy_wasm::hostcalls;
use proxy_wasm::types::{Action, LogLevel, MapType};

use crate::config::{Config, PriceCall};
use crate::raw;

/// About as long as a plugin's verdict line.
const LINE: &str = "{\"plugin\":\"hostcalls-test\",\"version\":\"0.1.0\",\"request_id\":\"6f1c2a9e-0d4b-4c8e-9a57-3b2f1e8d7c60\",\"verdict\":\"allow\",\"rules\":[],\"scores\":{},\"segment\":null,\"timings_us\":{\"parse\":12,\"check\":34},\"key_id\":\"demo-alpha\",\"note\":\"price of one proxy_log call\"}";

/// Metric ids for the `counter` and `histogram` calls, defined once in `on_configure`.
#[derive(Clone, Copy, Debug)]
pub struct PriceMetrics {
    pub counter: u32,
    pub histogram: u32,
}

/// Defines the metrics the `counter` and `histogram` calls update.
pub fn define_metrics() -> Result<PriceMetrics, u32> {
    Ok(PriceMetrics {
        counter: raw::define_metric(raw::METRIC_COUNTER, "hostcalls_price_total")?,
        histogram: raw::define_metric(raw::METRIC_HISTOGRAM, "hostcalls_price_us")?,
    })
}

/// The request headers callback: every call but `buffer_body` happens here.
pub fn on_request_headers(cfg: &Config, metrics: Option<PriceMetrics>) -> Action {
    for i in 0..cfg.repeat {
        call_once(cfg, metrics, i);
    }
    Action::Continue
}

/// The request body callback: `buffer_body` pauses to the end, then reads the body.
pub fn on_request_body(cfg: &Config, eos: bool) -> Action {
    if cfg.call != PriceCall::BufferBody {
        return Action::Continue;
    }
    if !eos {
        return Action::Pause;
    }
    for _ in 0..cfg.repeat {
        let _ = raw::buffer_status(raw::BUFFER_REQUEST_BODY);
    }
    Action::Continue
}

fn call_once(cfg: &Config, metrics: Option<PriceMetrics>, i: u32) {
    let headers = MapType::HttpRequestHeaders;
    match cfg.call {
        PriceCall::Nothing | PriceCall::BufferBody => {}
        PriceCall::HeaderGet => {
            let _ = raw::header_value_status(0, "user-agent");
        }
        PriceCall::HeaderSet => {
            let _ = hostcalls::set_map_value(headers, "x-price", Some("1"));
        }
        PriceCall::HeaderRemove => {
            let _ = hostcalls::set_map_value(headers, "x-price-absent", None);
        }
        PriceCall::HeadersAll => {
            let _ = raw::header_pairs_status(0);
        }
        PriceCall::SharedGet => {
            let _ = raw::get_shared(&cfg.key);
        }
        PriceCall::SharedCas => {
            if let Ok((_, cas)) = raw::get_shared(&cfg.key) {
                let _ = raw::set_shared(&cfg.key, &i.to_le_bytes(), cas);
            }
        }
        PriceCall::LogInfo => {
            let _ = hostcalls::log(LogLevel::Info, LINE);
        }
        PriceCall::LogDebug => {
            let _ = hostcalls::log(LogLevel::Debug, LINE);
        }
        PriceCall::Counter => {
            if let Some(m) = metrics {
                let _ = raw::increment_metric(m.counter, 1);
            }
        }
        PriceCall::Histogram => {
            if let Some(m) = metrics {
                let _ = raw::record_metric(m.histogram, u64::from(i));
            }
        }
        PriceCall::Time => {
            let _ = raw::now_nanos();
        }
        PriceCall::Property => {
            let _ = raw::get_property(&["request", "path"]);
        }
    }
}
