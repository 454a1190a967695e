//! Counters and a histogram through `proxy_define_metric`, tolerant of hosts that refuse
//! metrics (Kong ngx_wasm_module, APISIX): a refused definition turns that metric off, once,
//! with one Warn log, and requests carry on.

use super::abi;
use super::respond::{log, Level};
use crate::metrics;
use std::cell::RefCell;
use std::collections::BTreeMap;

thread_local! {
    // One Wasm VM is single-threaded; ids are per VM. `None` = the host refused this name.
    static IDS: RefCell<BTreeMap<String, Option<u32>>> = const { RefCell::new(BTreeMap::new()) };
}

/// Metric helper for one plugin. Cheap to create; ids are cached per VM.
#[derive(Debug, Clone, Copy)]
pub struct Metrics {
    plugin: &'static str,
}

impl Metrics {
    pub fn new(plugin: &'static str) -> Self {
        Metrics { plugin }
    }

    /// `guardrail_requests_total{plugin, verdict}` += 1.
    pub fn request(&self, verdict: &str) {
        increment(&metrics::requests_total(self.plugin, verdict), 1);
    }

    /// `guardrail_rule_hits_total{plugin, rule}` += n.
    pub fn rule_hit(&self, rule: &str, n: u64) {
        let n = i64::try_from(n).unwrap_or(i64::MAX);
        increment(&metrics::rule_hits_total(self.plugin, rule), n);
    }

    /// `guardrail_failures_total{plugin, mode="closed"}` += 1: a request refused because it
    /// could not be checked.
    pub fn fail_closed(&self) {
        increment(&metrics::failures_total(self.plugin, false), 1);
    }

    /// `guardrail_failures_total{plugin, mode="open"}` += 1: a request let through with a check
    /// skipped.
    pub fn fail_open(&self) {
        increment(&metrics::failures_total(self.plugin, true), 1);
    }

    /// Record a check duration in the `guardrail_check_us{plugin}` histogram.
    pub fn check_us(&self, micros: u64) {
        if let Some(id) = id_for(&metrics::check_us(self.plugin), abi::METRIC_HISTOGRAM) {
            let _ = abi::record_metric(id, micros);
        }
    }
}

fn increment(name: &str, by: i64) {
    if let Some(id) = id_for(name, abi::METRIC_COUNTER) {
        let _ = abi::increment_metric(id, by);
    }
}

fn id_for(name: &str, kind: u32) -> Option<u32> {
    IDS.with(|ids| {
        let mut ids = ids.try_borrow_mut().ok()?;
        if let Some(known) = ids.get(name) {
            return *known;
        }
        let id = match abi::define_metric(kind, name) {
            Ok(id) => Some(id),
            Err(status) => {
                log(
                    Level::Warn,
                    &format!("guardrail: host refused metric {name} (status {status}); it is off"),
                );
                None
            }
        };
        ids.insert(name.to_string(), id);
        id
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refused_metrics_are_remembered_and_harmless() {
        // Natively the host refuses every call.
        let m = Metrics::new("test-plugin");
        m.request("allow");
        m.request("allow");
        m.rule_hit("pii.email", u64::MAX);
        m.check_us(10);
        IDS.with(|ids| {
            let ids = ids.borrow();
            assert_eq!(
                ids.get("guardrail_requests_total.plugin.test_plugin.verdict.allow"),
                Some(&None)
            );
            assert_eq!(ids.len(), 3);
        });
    }
}
