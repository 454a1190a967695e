//! report: the readable table, the issue's targets (met / missed / not measured) and the
//! one-line JSON summary printed last and stored in the report.

use std::fmt::Write as _;

use serde_json::{json, Value};

fn config<'a>(report: &'a Value, key: &str) -> Option<&'a Value> {
    report
        .get("configs")?
        .as_array()?
        .iter()
        .find(|c| c.get("key").and_then(Value::as_str) == Some(key))
}

fn field(report: &Value, key: &str, f: &str) -> Value {
    config(report, key)
        .and_then(|c| c.get(f))
        .cloned()
        .unwrap_or(Value::Null)
}

/// The one-line summary (also the `summary` field of the report).
pub fn summary(report: &Value) -> Value {
    let sizes: serde_json::Map<String, Value> = report
        .get("sizes")
        .and_then(Value::as_object)
        .map(|m| {
            m.iter()
                .map(|(k, v)| (k.clone(), v.get("kib").cloned().unwrap_or(Value::Null)))
                .collect()
        })
        .unwrap_or_default();
    let plugin_ratios: serde_json::Map<String, Value> = report
        .get("configs")
        .and_then(Value::as_array)
        .map(|cs| {
            cs.iter()
                .filter_map(|c| {
                    let k = c.get("key")?.as_str()?;
                    Some((
                        k.to_string(),
                        c.get("rps_ratio").cloned().unwrap_or(Value::Null),
                    ))
                })
                .collect()
        })
        .unwrap_or_default();
    let chain_fuel = report
        .pointer("/fuel/request_4k")
        .and_then(Value::as_array)
        .and_then(|a| {
            a.iter()
                .find(|r| r.get("config").and_then(Value::as_str) == Some("chain"))
        })
        .and_then(|r| r.get("total"))
        .cloned()
        .unwrap_or(Value::Null);
    json!({
        "date_utc": report.get("date_utc"),
        "mode": report.get("mode"),
        "a_rps": field(report, "A", "rps"),
        "chain_rps": field(report, "chain", "rps"),
        "chain_rps_ratio": field(report, "chain", "rps_ratio"),
        "auth_model_rps_ratio": field(report, "auth+model", "rps_ratio"),
        "noop_rps_ratio": field(report, "N", "rps_ratio"),
        "chain_cpu_ratio": field(report, "chain", "cpu_ratio"),
        "auth_model_cpu_ratio": field(report, "auth+model", "cpu_ratio"),
        "noop_cpu_ratio": field(report, "N", "cpu_ratio"),
        "added_p50_us": field(report, "chain", "added_p50_us"),
        "added_p99_us": field(report, "chain", "added_p99_us"),
        "noop_added_p50_us": field(report, "N", "added_p50_us"),
        "chain_overloaded_at_half_load": field(report, "chain", "overloaded_at_half_load"),
        "chain_added_single_p50_us": field(report, "chain", "added_single_p50_us"),
        "chain_added_single_p99_us": field(report, "chain", "added_single_p99_us"),
        "rss_growth_mb": report.pointer("/rss/growth_mb").cloned().unwrap_or(Value::Null),
        "rss_requests": report.pointer("/rss/requests").cloned().unwrap_or(Value::Null),
        "adversarial_max_ratio": report.pointer("/adversarial/max_ratio").cloned().unwrap_or(Value::Null),
        "adversarial_max_added_ratio": report.pointer("/adversarial/max_added_ratio").cloned().unwrap_or(Value::Null),
        "adversarial_worst_plugin_fuel_ratio": worst_plugin_fuel_ratio(report).map_or(Value::Null, |w| w.1.into()),
        "adversarial_worst_plugin": worst_plugin_fuel_ratio(report).map_or(Value::Null, |w| w.0.into()),
        "chain_fuel_4k": chain_fuel,
        "v8_body_mb_s": report.get("v8_body_mb_s").cloned().unwrap_or(Value::Null),
        "chain_mb_s": v8_mb_s(report, "chain"),
        "injection_guard_mb_s": v8_mb_s(report, "injection-guard"),
        "pii_redact_mb_s": v8_mb_s(report, "pii-redact"),
        "added_cpu_us_4k": added_cpu_us(report),
        "scan_wasm_over_native": scan_ratios(report),
        "replay_ratio": replay_ratio(report, "chain"),
        "replay_ratios": replay_ratios(report),
        "rps_ratios": plugin_ratios,
        "sizes": sizes,
    })
}

/// In-Envoy MB/s of one configuration's own work on the benign ~1 MiB body.
fn v8_mb_s(report: &Value, key: &str) -> Value {
    report
        .get("v8_body_mb_s")
        .and_then(|m| m.get(key))
        .cloned()
        .unwrap_or(Value::Null)
}

/// Envoy CPU per 4 KB request that a configuration adds over A (no filter), in µs.
fn added_cpu(report: &Value, c: &Value) -> Option<f64> {
    let cpu = |c: &Value| c.get("cpu_us_per_request").and_then(Value::as_f64);
    let a = config(report, "A").and_then(cpu)?;
    Some(((cpu(c)? - a) * 10.0).round() / 10.0)
}

/// Every configuration's [`added_cpu`] (A's is 0 and left out).
fn added_cpu_us(report: &Value) -> Value {
    let Some(cs) = report.get("configs").and_then(Value::as_array) else {
        return Value::Null;
    };
    cs.iter()
        .filter_map(|c| {
            let key = c.get("key")?.as_str()?;
            (key != "A").then(|| (key.to_string(), added_cpu(report, c).into()))
        })
        .collect::<serde_json::Map<_, _>>()
        .into()
}

/// The agent-history replay ratio of one configuration.
fn replay_ratio(report: &Value, key: &str) -> Value {
    report
        .pointer("/replay/configs")
        .and_then(Value::as_array)
        .and_then(|cs| {
            cs.iter()
                .find(|c| c.get("config").and_then(Value::as_str) == Some(key))
        })
        .and_then(|c| c.get("replay_ratio"))
        .cloned()
        .unwrap_or(Value::Null)
}

/// Every configuration's agent-history replay ratio (A's is not one).
fn replay_ratios(report: &Value) -> Value {
    let Some(cs) = report.pointer("/replay/configs").and_then(Value::as_array) else {
        return Value::Null;
    };
    cs.iter()
        .filter_map(|c| {
            let key = c.get("config")?.as_str()?;
            (key != "A").then(|| (key.to_string(), replay_ratio(report, key)))
        })
        .collect::<serde_json::Map<_, _>>()
        .into()
}

/// Per detector, its wasm / native scan throughput on the busiest text (the last one
/// scanned: the PII development texts when present, else prose).
fn scan_ratios(report: &Value) -> Value {
    let Some(rows) = report
        .pointer("/scan_throughput/rows")
        .and_then(Value::as_array)
    else {
        return Value::Null;
    };
    let mut out = serde_json::Map::new();
    for r in rows {
        if let (Some(d), Some(x)) = (
            r.get("detector").and_then(Value::as_str),
            r.get("wasm_over_native"),
        ) {
            out.insert(d.to_string(), x.clone());
        }
    }
    Value::Object(out)
}

/// The single plugin whose crafted 1 MiB body costs most in-VM fuel relative to its benign
/// 1 MiB body: `(config, ratio)`. The end-to-end figure goes through the chain, whose benign
/// cost is the detectors' full scan; alone, a cheap plugin such as model-allowlist can be
/// amplified far more (38.95x on deep JSON before its fix), so each plugin is held to 3x too.
fn worst_plugin_fuel_ratio(report: &Value) -> Option<(String, f64)> {
    report
        .pointer("/fuel/adversarial_1m")?
        .as_array()?
        .iter()
        .filter_map(|a| Some((a.get("config")?.as_str()?, a.get("max_ratio")?.as_f64()?)))
        .filter(|(config, _)| !matches!(*config, "N" | "chain" | "auth+model"))
        .max_by(|a, b| a.1.total_cmp(&b.1))
        .map(|(config, ratio)| (config.to_string(), ratio))
}

fn target(name: &str, goal: &str, value: Value, met: Option<bool>) -> Value {
    json!({"target": name, "goal": goal, "value": value,
           "status": match met { Some(true) => "met", Some(false) => "missed", None => "not measured" }})
}

/// The issue's targets against this run.
pub fn targets(report: &Value) -> Value {
    let num = |v: &Value| v.as_f64();
    let chain = field(report, "chain", "rps_ratio");
    let am = field(report, "auth+model", "rps_ratio");
    let p50 = field(report, "chain", "added_p50_us");
    let p99 = field(report, "chain", "added_p99_us");
    let adv = report
        .pointer("/adversarial/max_added_ratio")
        .cloned()
        .unwrap_or(Value::Null);
    let rss = report
        .pointer("/rss/growth_mb")
        .cloned()
        .unwrap_or(Value::Null);
    let mut out = vec![
        target(
            "full chain rps / no filter",
            ">= 0.80",
            chain.clone(),
            num(&chain).map(|x| x >= 0.80),
        ),
        target(
            "key-auth + model-allowlist rps / no filter",
            ">= 0.90",
            am.clone(),
            num(&am).map(|x| x >= 0.90),
        ),
        target(
            "chain added p50 at half load (us)",
            "<= 150",
            p50.clone(),
            num(&p50).map(|x| x <= 150.0),
        ),
        target(
            "chain added p99 at half load (us)",
            "<= 500",
            p99.clone(),
            num(&p99).map(|x| x <= 500.0),
        ),
        target(
            "adversarial / benign 1 MiB, time added over A",
            "<= 3",
            adv.clone(),
            num(&adv).map(|x| x <= 3.0),
        ),
        {
            let worst = worst_plugin_fuel_ratio(report);
            target(
                &format!(
                    "adversarial / benign 1 MiB, in-VM fuel, worst plugin alone ({})",
                    worst.as_ref().map_or("-", |w| w.0.as_str())
                ),
                "<= 3",
                worst.as_ref().map_or(Value::Null, |w| w.1.into()),
                worst.map(|w| w.1 <= 3.0),
            )
        },
        {
            let r = replay_ratio(report, "chain");
            target(
                "agent-history replay, 30 requests / final alone (chain, time added over A)",
                "<= 2",
                r.clone(),
                num(&r).map(|x| x <= 2.0),
            )
        },
        // RSS "~ 0": allow a few MiB of allocator noise.
        target(
            "Envoy RSS growth over the run (MiB)",
            "~ 0 (<= 5)",
            rss.clone(),
            num(&rss).map(|x| x <= 5.0),
        ),
    ];
    if let Some(sizes) = report.get("sizes").and_then(Value::as_object) {
        for (name, s) in sizes {
            let Some(t) = s.get("target_kib").and_then(Value::as_u64) else {
                continue;
            };
            let kib = s.get("kib").cloned().unwrap_or(Value::Null);
            out.push(target(
                &format!("{name}.wasm size (KiB)"),
                &format!("<= {t}"),
                kib.clone(),
                num(&kib).map(|k| k <= t as f64),
            ));
        }
    }
    Value::Array(out)
}

fn cell(v: Option<&Value>) -> String {
    match v {
        None | Some(Value::Null) => "-".into(),
        Some(Value::Number(n)) => n.to_string(),
        Some(Value::String(s)) => s.clone(),
        Some(other) => other.to_string(),
    }
}

/// The human-readable table.
pub fn table(report: &Value) -> String {
    let mut t = String::new();
    let _ = writeln!(
        t,
        "guardrail-wasm bench ({} run, {} UTC, {} cores, {})",
        cell(report.get("mode")),
        cell(report.get("date_utc")),
        cell(report.pointer("/machine/cores")),
        cell(report.pointer("/machine/envoy")),
    );
    let _ = writeln!(
        t,
        "4 KB chat: {} interleaved rounds x {} ms, {} connections; latency open loop at {} rps (half of A; ! = the config saturates below that rate, so its latency is queueing); +1c = added latency with one connection, one request at a time; cpu us = Envoy CPU per request, cpu r = A's over this one (the rps ratio CPU cost implies)\n",
        cell(report.pointer("/method/rounds")),
        cell(report.pointer("/method/duration_ms")),
        cell(report.pointer("/method/connections")),
        cell(report.pointer("/method/latency_rate_rps")),
    );
    let _ = writeln!(
        t,
        "{:<16} {:>6} {:>9} {:>7} {:>7} {:>6} {:>7} {:>9} {:>9} {:>9} {:>9} {:>8} {:>8} {:>7} {:>9} {:>7} {:>9} {:>7}",
        "config", "ok", "rps", "ratio", "cpu us", "cpu r", "+us 4k", "p50us", "p99us", "+p50us", "+p99us", "+1c p50", "+1c p99", "errors", "64k rps", "64k r", "1m rps/st", "1m MB/s"
    );
    if let Some(cs) = report.get("configs").and_then(Value::as_array) {
        for c in cs {
            let one_m = c.pointer("/sizes/1m");
            let one_m_cell = match one_m {
                Some(s) if s.get("ok").and_then(Value::as_bool) == Some(false) => {
                    let st = s
                        .get("statuses")
                        .and_then(Value::as_object)
                        .and_then(|m| m.iter().max_by_key(|(_, n)| n.as_u64().unwrap_or(0)))
                        .map(|(k, _)| k.clone())
                        .unwrap_or_default();
                    format!("fail {st}")
                }
                Some(s) => cell(s.get("rps")),
                None => "-".into(),
            };
            let _ = writeln!(
                t,
                "{:<16} {:>6} {:>9} {:>7} {:>7} {:>6} {:>7} {:>9} {:>9} {:>9} {:>9} {:>8} {:>8} {:>7} {:>9} {:>7} {:>9} {:>7}",
                cell(c.get("key")),
                if c.get("ok").and_then(Value::as_bool) == Some(true) { "yes".to_string() } else { format!("NO {}", cell(c.get("probe_status"))) },
                cell(c.get("rps")),
                cell(c.get("rps_ratio")),
                cell(c.get("cpu_us_per_request")),
                cell(c.get("cpu_ratio")),
                added_cpu(report, c).map_or("-".into(), |x| format!("{x:.1}")),
                cell(c.get("p50_us")),
                cell(c.get("p99_us")),
                cell(c.get("added_p50_us")),
                if c.get("overloaded_at_half_load").and_then(Value::as_bool) == Some(true) {
                    format!("{}!", cell(c.get("added_p99_us")))
                } else {
                    cell(c.get("added_p99_us"))
                },
                cell(c.get("added_single_p50_us")),
                cell(c.get("added_single_p99_us")),
                cell(c.get("errors")),
                cell(c.pointer("/sizes/64k/rps")),
                cell(c.pointer("/sizes/64k/ratio")),
                one_m_cell,
                c.get("key")
                    .and_then(Value::as_str)
                    .map_or("-".into(), |k| cell(Some(&v8_mb_s(report, k)))),
            );
        }
    }
    if let Some(adv) = report.get("adversarial").filter(|v| !v.is_null()) {
        let _ = writeln!(
            t,
            "\nadversarial ~1 MiB bodies through {} (median ms per request; no filter; ratio to benign: end-to-end, added over A):",
            cell(adv.get("config"))
        );
        if let Some(bs) = adv.get("bodies").and_then(Value::as_array) {
            for b in bs {
                let _ = writeln!(
                    t,
                    "  {:<18} {:>9} ms  A {:>8} ms  x{:<6} added x{:<6} statuses {}  ({})",
                    cell(b.get("name")),
                    cell(b.get("median_ms")),
                    cell(b.get("no_filter_ms")),
                    cell(b.get("ratio_to_benign")),
                    cell(b.get("added_ratio_to_benign")),
                    b.get("statuses").map(Value::to_string).unwrap_or_default(),
                    cell(b.get("target")),
                );
            }
        }
    }
    if let Some(r) = report.get("replay").filter(|v| !v.is_null()) {
        let _ = writeln!(
            t,
            "\nagent-history replay: {} requests of one session (the last {} bytes, {} bytes in all) vs its final request alone (cold), ms; ratio = added over A, target <= 2:",
            cell(r.get("turns")),
            cell(r.get("final_bytes")),
            cell(r.get("replay_bytes")),
        );
        for c in r
            .get("configs")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let _ = writeln!(
                t,
                "  {:<16} replay {:>9} ms (+{:>8})  final {:>7} ms (+{:>7})  ratio {:<6} statuses {}",
                cell(c.get("config")),
                cell(c.get("replay_ms")),
                cell(c.get("replay_added_ms")),
                cell(c.get("final_ms")),
                cell(c.get("final_added_ms")),
                cell(c.get("replay_ratio")),
                c.get("statuses").map(Value::to_string).unwrap_or_default(),
            );
        }
    }
    if let Some(v) = report.get("v8_body_mb_s").filter(|v| v.is_object()) {
        let _ = writeln!(
            t,
            "\nin-Envoy (V8) throughput on the benign ~1 MiB body, MB/s of time added over A: {v}"
        );
    }
    if let Some(rss) = report.get("rss").filter(|v| !v.is_null()) {
        let _ = writeln!(
            t,
            "\nEnvoy RSS ({}): {} MiB -> {} MiB after {} requests (growth {} MiB, errors {})",
            cell(rss.get("config")),
            cell(rss.get("before_mb")),
            cell(rss.get("after_mb")),
            cell(rss.get("requests")),
            cell(rss.get("growth_mb")),
            cell(rss.get("errors")),
        );
    }
    if let Some(f) = report.pointer("/fuel/request_4k").and_then(Value::as_array) {
        let _ = writeln!(t, "\nin-VM fuel per 4 KB request (wasmtime host):");
        for r in f {
            let cbs = r
                .get("per_callback")
                .and_then(Value::as_object)
                .map(|m| {
                    m.iter()
                        .map(|(k, v)| format!("{k}={v}"))
                        .collect::<Vec<_>>()
                        .join(" ")
                })
                .unwrap_or_default();
            let _ = writeln!(
                t,
                "  {:<16} {:>12}  {}{}",
                cell(r.get("config")),
                cell(r.get("total")),
                cbs,
                match r.get("local_reply") {
                    Some(Value::Number(n)) => format!("  (local reply {n})"),
                    _ => String::new(),
                }
            );
        }
    }
    if let Some(a) = report
        .pointer("/fuel/adversarial_1m")
        .and_then(Value::as_array)
    {
        let _ = writeln!(
            t,
            "\nin-VM fuel, adversarial ~1 MiB / benign ~1 MiB (request phase):"
        );
        for r in a {
            let parts = r
                .get("bodies")
                .and_then(Value::as_array)
                .map(|bs| {
                    bs.iter()
                        .skip(1)
                        .map(|b| {
                            format!("{}={}", cell(b.get("name")), cell(b.get("ratio_to_benign")))
                        })
                        .collect::<Vec<_>>()
                        .join(" ")
                })
                .unwrap_or_default();
            let _ = writeln!(
                t,
                "  {:<16} max x{:<6} {}",
                cell(r.get("config")),
                cell(r.get("max_ratio")),
                parts
            );
        }
        if let Some(b) = report
            .pointer("/fuel/pii_redact_per_detector")
            .and_then(Value::as_object)
        {
            let parts: Vec<String> = b
                .iter()
                .map(|(k, v)| {
                    format!(
                        "{k}={}/{}",
                        cell(v.get("fuel_4k")),
                        cell(v.get("fuel_per_byte_1m"))
                    )
                })
                .collect();
            let _ = writeln!(
                t,
                "  pii-redact by detector (request fuel 4 KB / fuel per byte ~1 MiB): {}",
                parts.join(" ")
            );
        }
        let _ = writeln!(
            t,
            "  request phase MB/s in wasm (wasmtime, fuel on; each detector alone, wasm and native: below): {}",
            report
                .pointer("/fuel/scan_mb_s_wasm")
                .map(Value::to_string)
                .unwrap_or_default(),
        );
    }
    if let Some(rows) = report
        .pointer("/scan_throughput/rows")
        .and_then(Value::as_array)
    {
        let _ = writeln!(
            t,
            "\nscan throughput, each detector alone (MB/s; wasm = wasmtime, native = release build):"
        );
        let _ = writeln!(
            t,
            "  {:<8} {:<26} {:>10} {:>10} {:>8}",
            "text", "detector", "wasm", "native", "w/n"
        );
        for r in rows {
            let _ = writeln!(
                t,
                "  {:<8} {:<26} {:>10} {:>10} {:>8}",
                r.get("text").and_then(Value::as_str).unwrap_or("?"),
                r.get("detector").and_then(Value::as_str).unwrap_or("?"),
                cell(r.get("wasm_mb_s")),
                cell(r.get("native_mb_s")),
                cell(r.get("wasm_over_native")),
            );
        }
    }
    if let Some(s) = report.get("sizes").and_then(Value::as_object) {
        let parts: Vec<String> = s
            .iter()
            .map(|(k, v)| format!("{k} {} KiB", cell(v.get("kib"))))
            .collect();
        let _ = writeln!(t, "\nwasm sizes: {}", parts.join(", "));
    }
    if let Some(ps) = report
        .pointer("/host_call_prices/calls")
        .and_then(Value::as_array)
    {
        let _ = writeln!(
            t,
            "\nhost call prices (Envoy CPU over N per request / repeat):"
        );
        for p in ps {
            let _ = writeln!(
                t,
                "  {:<14} x{:<5} +{:>8} µs/req  {:>7} µs/call",
                cell(p.get("call")),
                cell(p.get("repeat")),
                cell(p.get("added_cpu_us")),
                cell(p.get("us_per_call")),
            );
        }
    }
    if let Some(ts) = report.get("targets").and_then(Value::as_array) {
        let _ = writeln!(t, "\ntargets (issue 8):");
        for x in ts {
            let _ = writeln!(
                t,
                "  {:<8} {:<46} {:<12} value {}",
                cell(x.get("status")),
                cell(x.get("target")),
                cell(x.get("goal")),
                cell(x.get("value")),
            );
        }
    }
    if let Some(ns) = report.get("notes").and_then(Value::as_array) {
        if !ns.is_empty() {
            let _ = writeln!(t, "\nnotes:");
            for n in ns {
                let _ = writeln!(t, "  - {}", cell(Some(n)));
            }
        }
    }
    t
}

/// Now as `YYYY-MM-DDTHH:MM:SSZ` (UTC, from the system clock; no date crate needed).
pub fn utc_now() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    format_utc(secs)
}

fn format_utc(secs: u64) -> String {
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    // Civil-from-days (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_utc_dates() {
        assert_eq!(format_utc(0), "1970-01-01T00:00:00Z");
        assert_eq!(format_utc(1_764_059_293), "2025-11-25T08:28:13Z");
    }

    #[test]
    fn summary_and_targets_read_the_report() {
        let r = json!({"configs": [{"key": "A", "rps": 100.0, "rps_ratio": 1.0, "cpu_us_per_request": 60.0},
                                    {"key": "chain", "rps_ratio": 0.85, "added_p50_us": 90, "added_p99_us": 600,
                                     "cpu_us_per_request": 460.25}],
                       "v8_body_mb_s": {"chain": 41.5, "pii-redact": 160.2},
                       "replay": {"configs": [{"config": "chain", "replay_ratio": 1.8}]},
                       "sizes": {"key-auth": {"kib": 120.0, "target_kib": 150}},
                       "fuel": {"adversarial_1m": [{"config": "N", "max_ratio": 9.0},
                                                   {"config": "model-allowlist", "max_ratio": 3.5},
                                                   {"config": "pii-redact", "max_ratio": 1.2},
                                                   {"config": "chain", "max_ratio": 5.0}]}});
        let s = summary(&r);
        assert_eq!(s["chain_rps_ratio"], 0.85);
        assert_eq!(s["auth_model_rps_ratio"], Value::Null);
        assert_eq!(s["sizes"]["key-auth"], 120.0);
        assert_eq!(s["chain_mb_s"], 41.5);
        assert_eq!(s["pii_redact_mb_s"], 160.2);
        assert_eq!(s["injection_guard_mb_s"], Value::Null);
        assert_eq!(s["replay_ratio"], 1.8);
        assert_eq!(s["added_cpu_us_4k"], json!({"chain": 400.3}));
        let t = targets(&r);
        let status = |name: &str| {
            t.as_array()
                .unwrap()
                .iter()
                .find(|x| x["target"].as_str().unwrap().starts_with(name))
                .unwrap()["status"]
                .clone()
        };
        assert_eq!(status("full chain"), "met");
        assert_eq!(status("chain added p99"), "missed");
        assert_eq!(status("key-auth + model"), "not measured");
        assert_eq!(status("key-auth.wasm"), "met");
        assert_eq!(status("adversarial / benign 1 MiB, in-VM fuel"), "missed");
        assert_eq!(s["adversarial_worst_plugin"], "model-allowlist");
        assert_eq!(s["adversarial_worst_plugin_fuel_ratio"], 3.5);
        let t = table(&r);
        let row = t.lines().find(|l| l.starts_with("chain")).unwrap();
        assert!(row.contains(" 400.3 ") && row.ends_with(" 41.5"), "{row}");
    }
}
