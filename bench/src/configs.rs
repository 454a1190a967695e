//! configs: the Envoy configurations compared side by side. A = no wasm filter, N = one no-op
//! wasm filter (the hostcalls test plugin in `pass` mode: the floor for any wasm plugin), each
//! plugin alone with its example gateway config, key-auth + model-allowlist, and the full
//! chain in gateway order. A plugin whose `.wasm` or example config is missing is skipped with
//! a note (plugins are built in parallel).

use std::path::{Path, PathBuf};

use serde_json::Value;

use guardrail_harness::envoy::Filter;

/// Gateway order of the chain.
pub const CHAIN_ORDER: [&str; 4] = [
    "key-auth",
    "model-allowlist",
    "injection-guard",
    "pii-redact",
];

/// One configuration under test.
#[derive(Debug, Clone)]
pub struct BenchConfig {
    /// Short key used in tables, JSON and `--configs`: A, N, key-auth, ..., auth+model, chain.
    pub key: String,
    pub filters: Vec<Filter>,
}

/// What the discovery found.
pub struct Discovery {
    pub configs: Vec<BenchConfig>,
    /// Plugins available (wasm + config), in chain order, with their bench config text.
    pub plugins: Vec<(String, PathBuf, String)>,
    pub notes: Vec<String>,
}

/// The plugins with a per-VM segment cache (issue 22).
pub const CACHING: [&str; 2] = ["injection-guard", "pii-redact"];

/// What [`cache_off`] adds.
const CACHE_OFF: &str = r#"{"enabled":false}"#;

/// `config` with the segment cache off, unless the config sets `segment_cache` itself (or is
/// not a JSON object): the load phases send one body over and over, which the cache would
/// answer from the first request on; they measure scanning. The agent-history replay turns
/// it back on ([`cache_on`]).
pub fn cache_off(config: &str) -> String {
    let Ok(Value::Object(mut o)) = serde_json::from_str::<Value>(config) else {
        return config.to_string();
    };
    if o.contains_key("segment_cache") {
        return config.to_string();
    }
    let off: Value = serde_json::from_str(CACHE_OFF).unwrap_or_default();
    o.insert("segment_cache".into(), off);
    Value::Object(o).to_string()
}

/// `config` with the segment cache as the plugin defaults it (on) when it is exactly what
/// [`cache_off`] added; otherwise unchanged.
pub fn cache_on(config: &str) -> String {
    let Ok(Value::Object(mut o)) = serde_json::from_str::<Value>(config) else {
        return config.to_string();
    };
    let off: Value = serde_json::from_str(CACHE_OFF).unwrap_or_default();
    if o.get("segment_cache") != Some(&off) {
        return config.to_string();
    }
    o.remove("segment_cache");
    Value::Object(o).to_string()
}

/// The example config of `plugin`, adjusted for benchmarking where it must be: key-auth's
/// demo keys carry a 600/min rate limit and a token budget that a load test exhausts in
/// seconds (every later request would be a fast 429), so both are raised far out of reach;
/// the limiter still runs its shared-data compare-and-swap on every request.
pub fn bench_config_text(plugin: &str, example: &str) -> Result<String, String> {
    if CACHING.contains(&plugin) {
        return Ok(cache_off(example));
    }
    if plugin != "key-auth" {
        return Ok(example.to_string());
    }
    let mut v: Value =
        serde_json::from_str(example).map_err(|e| format!("key-auth example config: {e}"))?;
    if let Some(keys) = v.get_mut("keys").and_then(Value::as_array_mut) {
        for k in keys {
            if let Some(obj) = k.as_object_mut() {
                if obj.contains_key("rate_limit_per_minute") {
                    obj.insert(
                        "rate_limit_per_minute".into(),
                        Value::from(1_000_000_000_000u64),
                    );
                }
                if let Some(b) = obj.get_mut("token_budget").and_then(Value::as_object_mut) {
                    b.insert("tokens".into(), Value::from(1_000_000_000_000_000u64));
                }
            }
        }
    }
    Ok(v.to_string())
}

/// A named variant of one plugin (`--variant NAME=PLUGIN:FILE`), measured side by side with the
/// rest: PLUGIN alone with the config in FILE (limits raised as for the example), or, when FILE
/// is a `.wasm`, that build of PLUGIN with its example config (to compare builds of one source).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Variant {
    pub name: String,
    pub plugin: String,
    pub file: PathBuf,
}

impl Variant {
    /// Parses `NAME=PLUGIN:FILE`.
    pub fn parse(spec: &str) -> Result<Variant, String> {
        let bad = || format!("--variant takes NAME=PLUGIN:FILE, not {spec:?}");
        let (name, rest) = spec.split_once('=').ok_or_else(bad)?;
        let (plugin, file) = rest.split_once(':').ok_or_else(bad)?;
        if name.is_empty() || file.is_empty() || !CHAIN_ORDER.contains(&plugin) {
            return Err(bad());
        }
        Ok(Variant {
            name: name.to_string(),
            plugin: plugin.to_string(),
            file: PathBuf::from(file),
        })
    }

    /// The configuration, or why it cannot be built.
    pub fn config(&self, root: &Path, dist: &Path) -> Result<BenchConfig, String> {
        let (wasm, config_file) = if self.file.extension().is_some_and(|e| e == "wasm") {
            let example = root.join(format!("examples/envoy/plugins/{}.json", self.plugin));
            (self.file.clone(), example)
        } else {
            (
                dist.join(format!("{}.wasm", self.plugin)),
                self.file.clone(),
            )
        };
        if !wasm.is_file() {
            return Err(format!("{} missing (./build.sh)", wasm.display()));
        }
        let text = std::fs::read_to_string(&config_file)
            .map_err(|e| format!("{}: {e}", config_file.display()))?;
        let cfg = bench_config_text(&self.plugin, &text)?;
        Ok(BenchConfig {
            key: self.name.clone(),
            filters: vec![Filter::new(self.plugin.clone(), wasm, cfg)],
        })
    }
}

/// Finds the plugins and builds the list of configurations. `overrides` replace a plugin's
/// example config file (used as given, no adjustment).
pub fn discover(root: &Path, dist: &Path, overrides: &[(String, PathBuf)]) -> Discovery {
    let mut notes = Vec::new();
    let mut plugins = Vec::new();
    for p in CHAIN_ORDER {
        let wasm = dist.join(format!("{p}.wasm"));
        let custom = overrides.iter().find(|(name, _)| name == p).map(|(_, f)| f);
        let example = custom
            .cloned()
            .unwrap_or_else(|| root.join(format!("examples/envoy/plugins/{p}.json")));
        if !wasm.is_file() {
            notes.push(format!(
                "{p}: skipped, {} missing (./build.sh)",
                wasm.display()
            ));
            continue;
        }
        let Ok(text) = std::fs::read_to_string(&example) else {
            notes.push(format!(
                "{p}: skipped, its example config {} is missing",
                example.display()
            ));
            continue;
        };
        if custom.is_some() {
            notes.push(format!(
                "{p}: config from {} (not the example)",
                example.display()
            ));
            plugins.push((p.to_string(), wasm, text));
            continue;
        }
        match bench_config_text(p, &text) {
            Ok(cfg) => plugins.push((p.to_string(), wasm, cfg)),
            Err(e) => notes.push(format!("{p}: skipped, {e}")),
        }
    }
    let mut configs = vec![BenchConfig {
        key: "A".into(),
        filters: Vec::new(),
    }];
    let noop = dist.join("hostcalls-test.wasm");
    if noop.is_file() {
        configs.push(BenchConfig {
            key: "N".into(),
            filters: vec![Filter::new("noop", noop, r#"{"mode":"pass"}"#)],
        });
    } else {
        notes.push(format!(
            "N (no-op wasm): skipped, {} missing (./build.sh)",
            noop.display()
        ));
    }
    let filter = |(name, wasm, cfg): &(String, PathBuf, String)| {
        Filter::new(name.clone(), wasm.clone(), cfg.clone())
    };
    for p in &plugins {
        configs.push(BenchConfig {
            key: p.0.clone(),
            filters: vec![filter(p)],
        });
    }
    let auth_model: Vec<Filter> = plugins
        .iter()
        .filter(|p| p.0 == "key-auth" || p.0 == "model-allowlist")
        .map(filter)
        .collect();
    if auth_model.len() == 2 {
        configs.push(BenchConfig {
            key: "auth+model".into(),
            filters: auth_model,
        });
    }
    if plugins.len() >= 2 {
        configs.push(BenchConfig {
            key: "chain".into(),
            filters: plugins.iter().map(filter).collect(),
        });
        if plugins.len() < CHAIN_ORDER.len() {
            let names: Vec<&str> = plugins.iter().map(|p| p.0.as_str()).collect();
            notes.push(format!(
                "chain: only the plugins present ({}), not all four",
                names.join(", ")
            ));
        }
    }
    Discovery {
        configs,
        plugins,
        notes,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_auth_limits_are_raised_not_removed() {
        let ex = r#"{"keys":[{"id":"a","rate_limit_per_minute":600,"token_budget":{"tokens":5,"window_seconds":3600}},{"id":"b"}]}"#;
        let v: Value = serde_json::from_str(&bench_config_text("key-auth", ex).unwrap()).unwrap();
        assert_eq!(v["keys"][0]["rate_limit_per_minute"], 1_000_000_000_000u64);
        assert_eq!(
            v["keys"][0]["token_budget"]["tokens"],
            1_000_000_000_000_000u64
        );
        assert_eq!(v["keys"][0]["token_budget"]["window_seconds"], 3600);
        assert!(v["keys"][1].get("rate_limit_per_minute").is_none());
        assert_eq!(bench_config_text("model-allowlist", "{ }").unwrap(), "{ }");
    }

    #[test]
    fn variants_name_a_known_plugin_and_a_file() {
        let v = Variant::parse("ka-nolimits=key-auth:/tmp/ka.json").unwrap();
        assert_eq!(
            (v.name.as_str(), v.plugin.as_str()),
            ("ka-nolimits", "key-auth")
        );
        assert_eq!(v.file, PathBuf::from("/tmp/ka.json"));
        for bad in [
            "x",
            "x=key-auth",
            "x=nope:/f",
            "=key-auth:/f",
            "x=key-auth:",
        ] {
            assert!(Variant::parse(bad).is_err(), "{bad}");
        }
        let missing = Variant::parse("v=key-auth:/nonexistent/ka.json").unwrap();
        assert!(missing
            .config(Path::new("/nonexistent"), Path::new("/nonexistent"))
            .is_err());
    }

    #[test]
    fn a_wasm_variant_runs_that_module_with_the_example_config() {
        let dir = std::env::temp_dir().join(format!("variant-wasm-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("examples/envoy/plugins")).unwrap();
        let ex = r#"{"keys":[{"id":"a","rate_limit_per_minute":600}]}"#;
        std::fs::write(dir.join("examples/envoy/plugins/key-auth.json"), ex).unwrap();
        let module = dir.join("key-auth-oz.wasm");
        std::fs::write(&module, b"\0asm").unwrap();
        let v = Variant::parse(&format!("oz=key-auth:{}", module.display())).unwrap();
        let cfg = v.config(&dir, Path::new("/nonexistent")).unwrap();
        assert_eq!(cfg.key, "oz");
        assert_eq!(cfg.filters.len(), 1);
        assert_eq!(cfg.filters[0].wasm, module);
        assert!(cfg.filters[0].config.contains("1000000000000"));
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn caching_plugins_are_measured_cache_off_and_replayed_cache_on() {
        for p in CACHING {
            let off = bench_config_text(p, r#"{"threshold":1}"#).unwrap();
            let v: Value = serde_json::from_str(&off).unwrap();
            assert_eq!(v["segment_cache"]["enabled"], false, "{p}");
            let on: Value = serde_json::from_str(&cache_on(&off)).unwrap();
            assert_eq!(on, serde_json::json!({"threshold": 1}));
            // A config that sets the cache itself is used as given, in both phases.
            let own = r#"{"segment_cache":{"max_entries":8}}"#;
            assert_eq!(bench_config_text(p, own).unwrap(), own);
            assert_eq!(cache_on(own), own);
        }
    }
}
