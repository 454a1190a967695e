//! fuel: the in-VM cost of a request, measured in the harness's wasmtime host
//! (`guardrail_harness::host`), which counts wasm fuel (~instructions) per callback. Fuel is
//! deterministic, so it separates a plugin's own work from Envoy and machine noise. The chain is
//! run plugin after plugin, each seeing the headers and body the previous one sent upstream.
//! Wall time of the request phase in wasmtime (with fuel metering on) gives an in-wasm scan
//! throughput.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Instant;

use guardrail_harness::host::{Exchange, Host};

/// The host clock: a fixed, plausible time so rate windows and identity timestamps work.
const NOW_NANOS: u64 = 1_764_000_000_000_000_000;

/// A plugin to load: name, wasm path, configuration text.
pub type PluginSpec = (String, PathBuf, String);

/// Fuel of one request through one plugin (or a chain).
#[derive(Debug, Clone, Default)]
pub struct FuelRun {
    /// Callback name -> fuel (summed over chunks and over the plugins of a chain).
    pub per_callback: BTreeMap<String, u64>,
    pub total: u64,
    /// Status of a local reply, when a plugin answered instead of the upstream.
    pub local_reply: Option<u16>,
    pub trap: Option<String>,
    /// Wall time of the request phase in wasmtime, microseconds (median of a few).
    pub request_us: f64,
}

/// Loaded plugins, one host each.
pub struct Loaded {
    hosts: Vec<(String, Host)>,
}

impl Loaded {
    pub fn load(specs: &[PluginSpec]) -> Result<Loaded, String> {
        let mut hosts = Vec::new();
        for (name, path, cfg) in specs {
            let host = Host::builder(path)
                .plugin_config(cfg.as_bytes())
                .time_unix_nanos(NOW_NANOS)
                .build()
                .map_err(|e| format!("{name}: {e:?}"))?;
            hosts.push((name.clone(), host));
        }
        Ok(Loaded { hosts })
    }

    /// Runs one request (and, when it passes, the response) through every plugin in order.
    pub fn run(
        &self,
        request_headers: &[(&str, &str)],
        body: &[u8],
        response_headers: &[(&str, &str)],
        response_body: &[u8],
    ) -> FuelRun {
        let mut out = FuelRun::default();
        let mut headers: Vec<(String, String)> = request_headers
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let mut body = body.to_vec();
        for (_, host) in &self.hosts {
            let hs: Vec<(&str, &str)> = headers
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_str()))
                .collect();
            let o = host.exchange(&Exchange {
                request_headers: &hs,
                request_body: &body,
                response_headers,
                response_body,
                ..Exchange::default()
            });
            for (cb, f) in &o.fuel {
                *out.per_callback.entry(cb.clone()).or_default() += f;
            }
            out.total += o.total_fuel;
            if let Some(r) = &o.local_reply {
                out.local_reply = Some(r.status as u16);
                return out;
            }
            if let Some(t) = o.trap {
                out.trap = Some(t);
                return out;
            }
            headers = o.request_headers_out;
            body = o.request_body_out;
        }
        out
    }

    /// Request phase only (no response): fuel and wall time, median time of `reps` runs.
    pub fn request_phase(
        &self,
        request_headers: &[(&str, &str)],
        body: &[u8],
        reps: usize,
    ) -> FuelRun {
        let mut times = Vec::new();
        let mut last = FuelRun::default();
        for _ in 0..reps.max(1) {
            let mut run = FuelRun::default();
            let mut headers: Vec<(String, String)> = request_headers
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect();
            let mut cur = body.to_vec();
            let t = Instant::now();
            for (_, host) in &self.hosts {
                let hs: Vec<(&str, &str)> = headers
                    .iter()
                    .map(|(k, v)| (k.as_str(), v.as_str()))
                    .collect();
                let o = host.exchange(&Exchange {
                    request_headers: &hs,
                    request_body: &cur,
                    ..Exchange::default()
                });
                for (cb, f) in &o.fuel {
                    *run.per_callback.entry(cb.clone()).or_default() += f;
                }
                run.total += o.total_fuel;
                if let Some(r) = &o.local_reply {
                    run.local_reply = Some(r.status as u16);
                    break;
                }
                if let Some(t) = o.trap {
                    run.trap = Some(t);
                    break;
                }
                headers = o.request_headers_out;
                cur = o.request_body_out;
            }
            times.push(t.elapsed().as_secs_f64() * 1e6);
            last = run;
        }
        times.sort_by(f64::total_cmp);
        last.request_us = times.get(times.len() / 2).copied().unwrap_or(0.0);
        last
    }
}
