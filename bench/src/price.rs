//! price: what one host call costs in real Envoy. `harness bench --price CALL[:REPEAT],...`
//! adds a configuration per call: the hostcalls test plugin in mode `price`, making that call
//! REPEAT times per request. The price is the Envoy CPU per request it adds over N (the same
//! plugin doing nothing), divided by REPEAT. CPU per request is the steadiest figure on a
//! shared machine; a price below the noise of N (a few µs) reads as ~0.

use std::path::Path;

use serde_json::{json, Value};

use super::configs::BenchConfig;
use guardrail_harness::envoy::Filter;

/// The calls the test plugin knows (its `config::PriceCall` names).
pub const CALLS: [&str; 14] = [
    "nothing",
    "header_get",
    "header_set",
    "header_remove",
    "headers_all",
    "shared_get",
    "shared_cas",
    "log_info",
    "log_debug",
    "counter",
    "histogram",
    "time",
    "property",
    "buffer_body",
];

/// Prefix of the configuration keys this module adds.
pub const PREFIX: &str = "price:";

/// One call to price.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PriceSpec {
    pub call: String,
    pub repeat: u32,
}

impl PriceSpec {
    pub fn key(&self) -> String {
        format!("{PREFIX}{}x{}", self.call, self.repeat)
    }
}

/// Parses `CALL[:REPEAT],...`; `all` means every call with a repeat of 10.
pub fn parse(spec: &str) -> Result<Vec<PriceSpec>, String> {
    let mut out = Vec::new();
    for part in spec.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        if part == "all" {
            out.extend(CALLS.iter().map(|c| PriceSpec {
                call: c.to_string(),
                repeat: 10,
            }));
            continue;
        }
        let (call, repeat) = match part.split_once(':') {
            Some((c, r)) => (
                c,
                r.parse::<u32>()
                    .ok()
                    .filter(|n| (1..=10_000).contains(n))
                    .ok_or_else(|| format!("--price {part}: REPEAT must be 1..=10000"))?,
            ),
            None => (part, 10),
        };
        if !CALLS.contains(&call) {
            return Err(format!(
                "--price: unknown call {call:?} (known: {})",
                CALLS.join(", ")
            ));
        }
        out.push(PriceSpec {
            call: call.to_string(),
            repeat,
        });
    }
    Ok(out)
}

/// The configurations for `specs` (the hostcalls test plugin at `noop`).
pub fn configs(specs: &[PriceSpec], noop: &Path) -> Vec<BenchConfig> {
    specs
        .iter()
        .map(|s| BenchConfig {
            key: s.key(),
            filters: vec![Filter::new(
                "price",
                noop.to_path_buf(),
                format!(
                    r#"{{"mode":"price","call":"{}","repeat":{},"key":"price_counter"}}"#,
                    s.call, s.repeat
                ),
            )],
        })
        .collect()
}

/// µs per call of every `price:` configuration of a report, from `cpu_us_per_request`.
pub fn prices(configs: &[Value]) -> Value {
    let cpu = |c: &Value| c.get("cpu_us_per_request").and_then(Value::as_f64);
    let Some(n_cpu) = configs
        .iter()
        .find(|c| c.get("key").and_then(Value::as_str) == Some("N"))
        .and_then(cpu)
    else {
        return Value::Null;
    };
    let rows: Vec<Value> = configs
        .iter()
        .filter_map(|c| {
            let key = c.get("key")?.as_str()?;
            let (call, repeat) = key.strip_prefix(PREFIX)?.rsplit_once('x')?;
            let repeat: f64 = repeat.parse().ok()?;
            let added = cpu(c)? - n_cpu;
            Some(json!({
                "call": call,
                "repeat": repeat,
                "added_cpu_us": (added * 10.0).round() / 10.0,
                "us_per_call": (added / repeat * 100.0).round() / 100.0,
            }))
        })
        .collect();
    json!({ "n_cpu_us_per_request": n_cpu, "calls": rows })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn specs_parse_with_defaults_and_errors() {
        let s = parse("log_info:5, shared_cas").unwrap();
        assert_eq!(s[0].key(), "price:log_infox5");
        assert_eq!(s[1].repeat, 10);
        assert_eq!(parse("all").unwrap().len(), CALLS.len());
        assert!(parse("fly").unwrap_err().contains("unknown call"));
        assert!(parse("time:0").unwrap_err().contains("1..=10000"));
    }

    #[test]
    fn prices_are_added_cpu_over_n_per_call() {
        let configs = vec![
            json!({"key": "A", "cpu_us_per_request": 100.0}),
            json!({"key": "N", "cpu_us_per_request": 120.0}),
            json!({"key": "price:shared_casx10", "cpu_us_per_request": 170.0}),
        ];
        let p = prices(&configs);
        assert_eq!(p["calls"][0]["call"], "shared_cas");
        assert_eq!(p["calls"][0]["us_per_call"], 5.0);
        assert_eq!(prices(&configs[..1]), Value::Null);
    }
}
