//! `guardrail hosts`: the demo scenarios (`examples/demo/*.json`) through the real nginx-based
//! proxy-wasm hosts, Kong's ngx_wasm_module and APISIX's wasm-nginx-module, built by
//! `./build.sh hosts` (which sets the binaries' environment variables), and through Envoy for
//! the comparison. Where a host lacks a capability a scenario needs, `examples/hosts/<host>.json`
//! replaces that request's expectations with the degraded behaviour the plugin's README
//! promises (each with its reason); everything else must behave exactly as in Envoy.
//! Prints each request as `guardrail demo` does, then a scenario x host table (Markdown with
//! `--table FILE`), and exits 1 on any miss.

use std::collections::BTreeMap;
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};

use serde::Deserialize;

use super::demo::{self, scenario::Scenario, show::Style, Outcome};
use guardrail_harness::envoy::gateway;
use guardrail_harness::hosts::{self, Kind, NginxGateway};
use guardrail_harness::mock_upstream::MockUpstream;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Hosts to run (ngx_wasm_module, wasm-nginx-module, envoy); default: every nginx host whose
    /// binary is set (GUARDRAIL_NGX_WASM_NGINX, GUARDRAIL_WASM_NGINX_NGINX) and Envoy.
    #[arg(long = "host", value_name = "HOST")]
    pub hosts: Vec<String>,
    /// Also write the scenario x host results as a Markdown table to this file.
    #[arg(long, value_name = "FILE")]
    pub table: Option<PathBuf>,
    /// Run only the scenarios whose file name contains one of these.
    #[arg(value_name = "FILTER")]
    pub filters: Vec<String>,
}

/// One host's expectation overrides: `examples/hosts/<host>.json`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Overlay {
    pub host: String,
    /// Where the degraded behaviour is documented (plugin READMEs, docs/HOSTS.md).
    pub about: String,
    pub expect: Vec<Override>,
}

/// New expectations for one request of one scenario; they replace all of its `expect_*`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Override {
    pub scenario: String,
    pub request: String,
    /// Why the host answers differently; shown in the report and the table.
    pub why: String,
    #[serde(default)]
    pub expect_status: Option<u16>,
    #[serde(default)]
    pub expect_reset: bool,
    #[serde(default)]
    pub expect_body_contains: Vec<String>,
    #[serde(default)]
    pub expect_body_not_contains: Vec<String>,
    #[serde(default)]
    pub expect_upstream_contains: Vec<String>,
    #[serde(default)]
    pub expect_upstream_not_contains: Vec<String>,
    #[serde(default)]
    pub expect_upstream_untouched: bool,
}

pub fn load_overlay(root: &Path, host: &str) -> anyhow::Result<Option<Overlay>> {
    let path = root.join("examples/hosts").join(format!("{host}.json"));
    if !path.is_file() {
        return Ok(None);
    }
    let text = std::fs::read_to_string(&path)?;
    let o: Overlay =
        serde_json::from_str(&text).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
    if o.host != host {
        anyhow::bail!(
            "{}: host is {:?}, expected {host:?}",
            path.display(),
            o.host
        );
    }
    Ok(Some(o))
}

/// Applies `overlay` to `scenarios`; every override must name an existing request (a renamed
/// scenario must not silently drop a host's expectation). Returns request -> why.
pub fn apply(
    scenarios: &mut [(String, Scenario)],
    overlay: &Overlay,
) -> anyhow::Result<BTreeMap<(String, String), String>> {
    let mut whys = BTreeMap::new();
    for o in &overlay.expect {
        let req = scenarios
            .iter_mut()
            .filter(|(name, _)| *name == o.scenario)
            .flat_map(|(_, sc)| sc.requests.iter_mut())
            .find(|r| r.name == o.request)
            .ok_or_else(|| {
                anyhow::anyhow!(
                    "examples/hosts/{}.json: no request {:?} in scenario {:?}",
                    overlay.host,
                    o.request,
                    o.scenario
                )
            })?;
        req.expect_status = o.expect_status;
        req.expect_reset = o.expect_reset;
        req.expect_body_contains = o.expect_body_contains.clone();
        req.expect_body_not_contains = o.expect_body_not_contains.clone();
        req.expect_upstream_contains = o.expect_upstream_contains.clone();
        req.expect_upstream_not_contains = o.expect_upstream_not_contains.clone();
        req.expect_upstream_untouched = o.expect_upstream_untouched;
        whys.insert((o.scenario.clone(), o.request.clone()), o.why.clone());
    }
    Ok(whys)
}

/// The results of one host.
struct Column {
    label: String,
    outcomes: Vec<Outcome>,
    whys: BTreeMap<(String, String), String>,
}

pub fn run(args: Args) -> anyhow::Result<u8> {
    let root = gateway::cli_root();
    let mut stdout = std::io::stdout();
    let style = Style::new(stdout.is_terminal());
    let wanted: Vec<String> = if args.hosts.is_empty() {
        let mut v: Vec<String> = Kind::ALL
            .into_iter()
            .filter(|k| hosts::binary(*k).is_some())
            .map(|k| k.name().to_string())
            .collect();
        v.push("envoy".into());
        v
    } else {
        args.hosts.clone()
    };
    let dist = guardrail_harness::envoy::paths::dist_dir();
    let plugins = hosts::chain(&root, &dist)?;
    let chain: Vec<String> = plugins.iter().map(|p| p.name.clone()).collect();
    let mut columns = Vec::new();
    for host in &wanted {
        let mut scenarios = demo::load_scenarios(&root, &args.filters)?;
        let whys = match load_overlay(&root, host)? {
            Some(o) => apply(&mut scenarios, &o)?,
            None => BTreeMap::new(),
        };
        let up = MockUpstream::start()?;
        let (label, outcomes) = if host == "envoy" {
            let stack = gateway::start_stack(&root, 0, 0, 0)?;
            let o = demo::run_scenarios(
                &stack.envoy,
                &stack.upstream,
                &stack.chain,
                &scenarios,
                &mut stdout,
                &style,
            );
            ("Envoy 1.40".to_string(), o)
        } else {
            let kind = Kind::from_name(host).ok_or_else(|| {
                anyhow::anyhow!(
                    "unknown host {host:?}; one of ngx_wasm_module, wasm-nginx-module, envoy"
                )
            })?;
            let bin = hosts::binary(kind).ok_or_else(|| {
                anyhow::anyhow!(
                    "{} is not set or not a file: run ./build.sh hosts",
                    kind.binary_var()
                )
            })?;
            let nginx = hosts::start(kind, &bin, &plugins, up.addr())?;
            let gw = NginxGateway {
                nginx,
                label: kind.name().to_string(),
            };
            let o = demo::run_scenarios(&gw, &up, &chain, &scenarios, &mut stdout, &style);
            (kind.name().to_string(), o)
        };
        columns.push(Column {
            label,
            outcomes,
            whys,
        });
    }
    let table = render_table(&columns);
    let _ = writeln!(stdout, "\n{table}");
    if let Some(path) = &args.table {
        std::fs::write(path, &table)?;
    }
    let failed = columns
        .iter()
        .any(|c| c.outcomes.iter().any(|o| !o.misses.is_empty()));
    Ok(u8::from(failed))
}

/// scenario / request x host: `pass`, `pass (degraded: why)`, `FAIL: misses`, `skipped`.
fn render_table(columns: &[Column]) -> String {
    let mut out = String::from("| scenario | request |");
    for c in columns {
        out.push_str(&format!(" {} |", c.label));
    }
    out.push_str("\n|---|---|");
    out.push_str(&"---|".repeat(columns.len()));
    out.push('\n');
    let Some(first) = columns.first() else {
        return out;
    };
    for (i, o) in first.outcomes.iter().enumerate() {
        out.push_str(&format!("| {} | {} |", o.scenario, o.request));
        for c in columns {
            let cell = match c.outcomes.get(i) {
                None => "-".to_string(),
                Some(r) if r.skipped => "skipped".into(),
                Some(r) if r.misses.is_empty() => {
                    match c.whys.get(&(r.scenario.clone(), r.request.clone())) {
                        Some(w) => format!("degraded as documented: {w}"),
                        None => "pass".into(),
                    }
                }
                Some(r) => format!("**FAIL**: {}", r.misses.join("; ")),
            };
            out.push_str(&format!(" {} |", cell.replace('|', "\\|")));
        }
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use guardrail_harness::envoy::paths::repo_root;

    #[test]
    fn every_shipped_overlay_names_an_existing_request_with_a_reason() {
        let root = repo_root();
        for kind in Kind::ALL {
            let Some(o) = load_overlay(&root, kind.name()).expect("overlay parses") else {
                continue;
            };
            let mut scenarios = demo::load_scenarios(&root, &[]).expect("scenarios");
            let whys = apply(&mut scenarios, &o).expect("every override names a request");
            assert_eq!(
                whys.len(),
                o.expect.len(),
                "{}: a request overridden twice",
                kind.name()
            );
            assert!(
                whys.values().all(|w| w.len() > 20),
                "{}: give each override its reason",
                kind.name()
            );
        }
    }

    #[test]
    fn an_override_of_a_missing_request_is_an_error_naming_it() {
        let mut scenarios = demo::load_scenarios(&repo_root(), &[]).expect("scenarios");
        let o: Overlay = serde_json::from_str(
            r#"{"host":"x","about":"a","expect":[{"scenario":"10-key-auth","request":"nope","why":"w"}]}"#,
        )
        .expect("overlay");
        let err = apply(&mut scenarios, &o).expect_err("missing").to_string();
        assert!(
            err.contains("\"nope\"") && err.contains("10-key-auth"),
            "{err}"
        );
    }

    #[test]
    fn overrides_replace_every_expectation_of_the_request() {
        let mut scenarios =
            demo::load_scenarios(&repo_root(), &["10-key-auth".to_string()]).expect("scenarios");
        let name = scenarios[0].1.requests[0].name.clone();
        let o = Overlay {
            host: "x".into(),
            about: "a".into(),
            expect: vec![Override {
                scenario: "10-key-auth".into(),
                request: name,
                why: "because".into(),
                expect_status: Some(503),
                expect_reset: false,
                expect_body_contains: vec![],
                expect_body_not_contains: vec![],
                expect_upstream_contains: vec![],
                expect_upstream_not_contains: vec![],
                expect_upstream_untouched: false,
            }],
        };
        apply(&mut scenarios, &o).expect("apply");
        let r = &scenarios[0].1.requests[0];
        assert_eq!(r.expect_status, Some(503));
        assert!(r.expect_body_contains.is_empty());
    }
}
