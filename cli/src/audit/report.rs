//! report: per plugin, per host verdict (OK / degrades / missing) and its text rendering.

use super::hosts::{support, Capability, Host, Support};
use super::plugins::{generic_effect, PluginProfile};
use std::collections::BTreeMap;
use std::fmt::Write as _;
use wasm_trim::{Import, ModuleFacts};

/// The verdict for one plugin on one host.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    Ok,
    Degrades,
    Missing,
}

impl Status {
    pub fn name(self) -> &'static str {
        match self {
            Status::Ok => "OK",
            Status::Degrades => "degrades",
            Status::Missing => "missing",
        }
    }
}

/// A capability the plugin calls that the host refuses, stubs or limits.
#[derive(Clone, Debug)]
pub struct Degrade {
    pub capability: Capability,
    pub imports: Vec<(String, Support)>,
    pub effect: String,
}

/// One host's view of one plugin.
#[derive(Clone, Debug)]
pub struct HostReport {
    pub host: Host,
    pub status: Status,
    /// Imports the host does not link: it refuses to load the module.
    pub missing: Vec<String>,
    pub degrades: Vec<Degrade>,
    /// Callback-level limits (no import shows them), with `true` when they degrade the plugin.
    pub notes: Vec<(bool, String)>,
    /// Imports the host stubs that the plugin only imports (proxy-wasm trait defaults).
    pub linked_only: Vec<String>,
}

/// The audit of one module.
#[derive(Clone, Debug)]
pub struct PluginReport {
    pub file: String,
    pub stem: String,
    pub imports: Vec<Import>,
    pub hosts: Vec<HostReport>,
    /// Imports that no known host links.
    pub unprovided: Vec<String>,
}

impl PluginReport {
    /// True when the plugin cannot load on Envoy or imports something no host provides.
    pub fn fails(&self) -> bool {
        !self.unprovided.is_empty()
            || self
                .host(Host::Envoy)
                .is_some_and(|h| h.status == Status::Missing)
    }

    pub fn host(&self, host: Host) -> Option<&HostReport> {
        self.hosts.iter().find(|h| h.host == host)
    }
}

const REQ_BODY_PROPERTY: &[u8] = b"wasm_process_req_body";
const RESP_BODY_PROPERTY: &[u8] = b"wasm_process_resp_body";

/// Builds the report of a module from its facts, raw bytes and the plugin profile.
pub fn build(
    file: &str,
    stem: &str,
    facts: &ModuleFacts,
    raw: &[u8],
    profile: &PluginProfile,
) -> PluginReport {
    let hosts: Vec<HostReport> = Host::ALL
        .iter()
        .map(|&host| host_report(host, facts, raw, profile))
        .collect();
    let unprovided = facts
        .imports
        .iter()
        .filter(|i| {
            Host::ALL
                .iter()
                .all(|&h| support(h, &i.module, &i.name) == Support::Absent)
        })
        .map(qualified)
        .collect();
    PluginReport {
        file: file.to_string(),
        stem: stem.to_string(),
        imports: facts.imports.clone(),
        hosts,
        unprovided,
    }
}

fn qualified(i: &Import) -> String {
    format!("{}.{}", i.module, i.name)
}

fn host_report(host: Host, facts: &ModuleFacts, raw: &[u8], profile: &PluginProfile) -> HostReport {
    let mut missing = Vec::new();
    let mut linked_only = Vec::new();
    let mut by_cap: BTreeMap<Capability, Vec<(String, Support)>> = BTreeMap::new();
    for import in &facts.imports {
        let s = support(host, &import.module, &import.name);
        match s {
            Support::Full => {}
            Support::Absent => missing.push(qualified(import)),
            Support::Limited(_) | Support::Refuses(_) | Support::Traps(_) => {
                let cap = Capability::of(&import.name);
                if profile.uses(cap) {
                    by_cap
                        .entry(cap)
                        .or_default()
                        .push((import.name.clone(), s));
                } else {
                    linked_only.push(import.name.clone());
                }
            }
        }
    }
    let degrades: Vec<Degrade> = by_cap
        .into_iter()
        .map(|(capability, imports)| Degrade {
            capability,
            imports,
            effect: profile
                .effect(host, capability)
                .unwrap_or_else(|| generic_effect(capability))
                .to_string(),
        })
        .collect();
    missing.extend(
        required_exports(host)
            .iter()
            .filter(|name| !exports(facts, name))
            .map(|name| format!("export {name}")),
    );
    let notes = callback_notes(host, facts, raw, profile);
    let status = if !missing.is_empty() {
        Status::Missing
    } else if !degrades.is_empty() || notes.iter().any(|(degrading, _)| *degrading) {
        Status::Degrades
    } else {
        Status::Ok
    };
    HostReport {
        host,
        status,
        missing,
        degrades,
        notes,
        linked_only,
    }
}

/// Exports without which a host refuses the module. Kong: ngx_wasm_module's filter load
/// (`ngx_proxy_wasm.c`) fails on a missing allocator or one of context create, vm start and
/// plugin start (`proxy_on_configure` in ABI 0.2.1). Envoy's proxy-wasm-cpp-host and APISIX
/// treat the callbacks as optional, but without an allocator no data reaches the module.
/// `wasm-trim` always keeps all of these.
fn required_exports(host: Host) -> &'static [&'static str] {
    match host {
        Host::Kong => &[
            "proxy_on_memory_allocate",
            "proxy_on_context_create",
            "proxy_on_vm_start",
            "proxy_on_configure",
        ],
        Host::Envoy | Host::Apisix => &["proxy_on_memory_allocate"],
    }
}

/// True when `needle` occurs anywhere in the module bytes (used to spot string constants such
/// as APISIX's `wasm_process_req_body` property name in a data segment).
fn contains_bytes(haystack: &[u8], needle: &[u8]) -> bool {
    !needle.is_empty() && haystack.windows(needle.len()).any(|w| w == needle)
}

fn exports(facts: &ModuleFacts, name: &str) -> bool {
    facts.exports.iter().any(|e| e == name)
}

/// Host limits on callbacks, which the import list cannot show.
fn callback_notes(
    host: Host,
    facts: &ModuleFacts,
    raw: &[u8],
    profile: &PluginProfile,
) -> Vec<(bool, String)> {
    let mut notes = Vec::new();
    match host {
        Host::Envoy => {}
        Host::Kong => {
            if profile.body.response_held && exports(facts, "proxy_on_response_body") {
                notes.push((
                    true,
                    "response body: Pause in on_http_response_body buffers up to \
                     wasm_response_body_buffers (default 4 x 4096 bytes) once; a larger answer \
                     arrives in parts and a second Pause is ignored - raise the directive above \
                     the plugin's max body size"
                        .to_string(),
                ));
            }
            if exports(facts, "proxy_on_request_trailers") {
                notes.push((
                    false,
                    "on_http_request_trailers is NYI: bodies end with end_of_stream instead \
                     (no gRPC, no request trailers)"
                        .to_string(),
                ));
            }
        }
        Host::Apisix => {
            if profile.body.request
                && exports(facts, "proxy_on_request_body")
                && !contains_bytes(raw, REQ_BODY_PROPERTY)
            {
                notes.push((
                    true,
                    "request body: APISIX calls on_http_request_body only after the plugin sets \
                     property wasm_process_req_body in the headers callback; this module never \
                     names it, so its body checks do not run there (fail-OPEN)"
                        .to_string(),
                ));
            }
            if profile.body.response
                && exports(facts, "proxy_on_response_body")
                && !contains_bytes(raw, RESP_BODY_PROPERTY)
            {
                notes.push((
                    true,
                    "response body: on_http_response_body runs only after the plugin sets \
                     property wasm_process_resp_body; this module never names it, so response \
                     checks do not run there"
                        .to_string(),
                ));
            }
        }
    }
    notes
}

fn support_text(s: &Support) -> &'static str {
    match s {
        Support::Full => "ok",
        Support::Limited(why) | Support::Refuses(why) | Support::Traps(why) => why,
        Support::Absent => "not linked",
    }
}

/// Human-readable report of one plugin.
pub fn render(report: &PluginReport) -> String {
    let mut out = String::new();
    let proxy = report
        .imports
        .iter()
        .filter(|i| i.name.starts_with("proxy_"))
        .count();
    let _ = writeln!(
        out,
        "{}: {} imports ({} proxy-wasm)",
        report.file,
        report.imports.len(),
        proxy
    );
    for h in &report.hosts {
        let _ = writeln!(
            out,
            "  {:<7} {:<9} {}",
            h.host.name(),
            h.status.name(),
            h.host.label()
        );
        for m in &h.missing {
            let _ = writeln!(
                out,
                "      missing: {m} (the host refuses to load the module)"
            );
        }
        for d in &h.degrades {
            let calls: Vec<String> = d
                .imports
                .iter()
                .map(|(name, s)| format!("{name}: {}", support_text(s)))
                .collect();
            let _ = writeln!(
                out,
                "      - {} [{}]",
                d.capability.name(),
                calls.join("; ")
            );
            let _ = writeln!(out, "        -> {}", d.effect);
        }
        for (degrading, note) in &h.notes {
            let mark = if *degrading { "-" } else { "i" };
            let _ = writeln!(out, "      {mark} {note}");
        }
        if !h.linked_only.is_empty() {
            let _ = writeln!(
                out,
                "      i imported but never called by guardrail_sdk (proxy-wasm trait defaults), stubbed here: {}",
                h.linked_only.join(", ")
            );
        }
    }
    if !report.unprovided.is_empty() {
        let _ = writeln!(out, "  NO host provides: {}", report.unprovided.join(", "));
    }
    out
}

/// Machine-readable report of one plugin (`harness audit --json`, one object per line).
pub fn to_json(report: &PluginReport) -> serde_json::Value {
    let hosts: serde_json::Map<String, serde_json::Value> = report
        .hosts
        .iter()
        .map(|h| {
            let degrades: Vec<serde_json::Value> = h
                .degrades
                .iter()
                .map(|d| {
                    serde_json::json!({
                        "capability": d.capability.name(),
                        "imports": d.imports.iter().map(|(n, _)| n.as_str()).collect::<Vec<_>>(),
                        "effect": d.effect,
                    })
                })
                .collect();
            let notes: Vec<&str> = h.notes.iter().map(|(_, n)| n.as_str()).collect();
            let value = serde_json::json!({
                "status": h.status.name(),
                "missing": h.missing,
                "degrades": degrades,
                "notes": notes,
                "linked_only": h.linked_only,
            });
            (h.host.name().to_string(), value)
        })
        .collect();
    serde_json::json!({
        "file": report.file,
        "plugin": report.stem,
        "imports": report.imports.len(),
        "fails": report.fails(),
        "unprovided": report.unprovided,
        "hosts": hosts,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_byte_strings() {
        assert!(contains_bytes(
            b"..wasm_process_req_body..",
            b"wasm_process_req_body"
        ));
        assert!(!contains_bytes(b"wasm_process", b"wasm_process_req_body"));
        assert!(!contains_bytes(b"abc", b""));
    }

    #[test]
    fn kong_refuses_a_module_without_its_lifecycle_exports() {
        let mut facts = ModuleFacts {
            exports: vec![
                "proxy_on_memory_allocate".into(),
                "proxy_on_context_create".into(),
                "proxy_on_configure".into(),
            ],
            ..ModuleFacts::default()
        };
        let profile = crate::audit::plugins::profile("model-allowlist");
        let kong = host_report(Host::Kong, &facts, b"", &profile);
        assert_eq!(kong.status, Status::Missing);
        assert_eq!(kong.missing, vec!["export proxy_on_vm_start"]);
        assert_eq!(
            host_report(Host::Envoy, &facts, b"", &profile).status,
            Status::Ok
        );
        facts.exports.push("proxy_on_vm_start".into());
        assert!(host_report(Host::Kong, &facts, b"", &profile)
            .missing
            .is_empty());
    }
}
