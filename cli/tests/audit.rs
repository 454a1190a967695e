//! `guardrail audit` on the real plugin modules (dist/hostcalls-test.wasm,
//! dist/model-allowlist.wasm) and on hand-built modules whose imports hit each rule; one real
//! Envoy start checks that an import outside the audit's Envoy list really stops Envoy.
//! Needs dist/*.wasm and Envoy: run `./build.sh test`.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::path::PathBuf;

use guardrail_cli::audit::{self, Capability, Host, Status};
use guardrail_harness::envoy::{paths, Envoy, EnvoyError, Filter};
use guardrail_harness::mock_upstream::MockUpstream;
use wasm_encoder::{
    CodeSection, EntityType, ExportKind, ExportSection, Function, FunctionSection, ImportSection,
    Instruction, MemorySection, MemoryType, Module, TypeSection, ValType,
};

fn dist(name: &str) -> PathBuf {
    let p = paths::dist_dir().join(format!("{name}.wasm"));
    assert!(
        p.is_file(),
        "{} is missing: run ./build.sh test",
        p.display()
    );
    p
}

/// A minimal valid proxy-wasm module: imports `(module, name)` functions of type `() -> i32`,
/// exports memory and the ABI marker `proxy_abi_version_0_2_1` (Envoy checks the marker before
/// it links imports).
fn module_importing(imports: &[(&str, &str)]) -> Vec<u8> {
    let mut types = TypeSection::new();
    types.ty().function([], [ValType::I32]);
    types.ty().function([], []);
    let mut import_section = ImportSection::new();
    for (m, n) in imports {
        import_section.import(m, n, EntityType::Function(0));
    }
    let mut funcs = FunctionSection::new();
    funcs.function(1);
    let mut memories = MemorySection::new();
    memories.memory(MemoryType {
        minimum: 2,
        maximum: None,
        memory64: false,
        shared: false,
        page_size_log2: None,
    });
    // The ABI marker and the lifecycle exports a host requires (Kong refuses a module without
    // them), all on the one defined function: the audit never runs it.
    let mut exports = ExportSection::new();
    for name in [
        "proxy_abi_version_0_2_1",
        "proxy_on_memory_allocate",
        "proxy_on_context_create",
        "proxy_on_vm_start",
        "proxy_on_configure",
    ] {
        exports.export(name, ExportKind::Func, imports.len() as u32);
    }
    exports.export("memory", ExportKind::Memory, 0);
    let mut code = CodeSection::new();
    let mut body = Function::new([]);
    body.instruction(&Instruction::End);
    code.function(&body);
    let mut module = Module::new();
    module
        .section(&types)
        .section(&import_section)
        .section(&funcs)
        .section(&memories)
        .section(&exports)
        .section(&code);
    module.finish()
}

fn temp_wasm(name: &str, bytes: &[u8]) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("guardrail-audit-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(format!("{name}.wasm"));
    std::fs::write(&path, bytes).unwrap();
    path
}

fn cli(files: &[&PathBuf]) -> u8 {
    let args = files
        .iter()
        .map(|p| p.display().to_string())
        .collect::<Vec<String>>();
    guardrail_cli::cmd::run("audit", args).unwrap()
}

#[test]
fn hostcalls_test_plugin_loads_everywhere_but_degrades_on_kong_and_apisix() {
    let path = dist("hostcalls-test");
    let r = audit::audit_file(&path).unwrap();
    assert!(r.imports.iter().any(|i| i.name == "proxy_set_buffer_bytes"));
    assert!(r.unprovided.is_empty(), "{:?}", r.unprovided);
    assert_eq!(r.host(Host::Envoy).unwrap().status, Status::Ok);
    let kong = r.host(Host::Kong).unwrap();
    assert_eq!(kong.status, Status::Degrades);
    assert!(kong.missing.is_empty());
    assert!(kong
        .degrades
        .iter()
        .any(|d| d.capability == Capability::Grpc));
    let apisix = r.host(Host::Apisix).unwrap();
    assert_eq!(apisix.status, Status::Degrades);
    for cap in [
        Capability::BodyRewrite,
        Capability::Clock,
        Capability::Tick,
        Capability::SharedData,
    ] {
        assert!(
            apisix.degrades.iter().any(|d| d.capability == cap),
            "{cap:?}"
        );
    }
    assert!(!r.fails());
    assert_eq!(cli(&[&path]), 0);
}

#[test]
fn model_allowlist_is_ok_on_envoy_and_kong_and_says_what_apisix_loses() {
    let path = dist("model-allowlist");
    let r = audit::audit_file(&path).unwrap();
    assert_eq!(r.host(Host::Envoy).unwrap().status, Status::Ok);
    assert_eq!(r.host(Host::Kong).unwrap().status, Status::Ok);
    let apisix = r.host(Host::Apisix).unwrap();
    assert_eq!(apisix.status, Status::Degrades);
    let rewrite = apisix
        .degrades
        .iter()
        .find(|d| d.capability == Capability::BodyRewrite)
        .expect("body rewrite degrades on APISIX");
    assert!(rewrite.effect.contains("aliases"), "{}", rewrite.effect);
    // The plugin asks APISIX for the body (guardrail_sdk::host::want_bodies), so no
    // fail-open note (a module that never names the property gets one: audit/report.rs).
    assert!(!apisix
        .notes
        .iter()
        .any(|(degrading, n)| *degrading && n.contains("wasm_process_req_body")));
    let text = audit::report::render(&r);
    assert!(text.contains("apisix  degrades"), "{text}");
    let json = audit::report::to_json(&r);
    assert_eq!(json["hosts"]["envoy"]["status"], "OK");
    assert_eq!(json["hosts"]["apisix"]["status"], "degrades");
    assert_eq!(json["fails"], false);
    assert_eq!(cli(&[&path, &dist("hostcalls-test")]), 0);
}

#[test]
fn an_import_no_host_provides_fails_the_audit() {
    let path = temp_wasm(
        "made-up",
        &module_importing(&[("env", "proxy_log"), ("env", "proxy_made_up_call")]),
    );
    let r = audit::audit_file(&path).unwrap();
    assert_eq!(r.unprovided, vec!["env.proxy_made_up_call".to_string()]);
    assert!(r.fails());
    for h in &r.hosts {
        assert_eq!(h.status, Status::Missing, "{:?}", h.host);
    }
    assert_eq!(cli(&[&path]), 1);
}

#[test]
fn an_import_envoy_lacks_fails_even_when_kong_has_it() {
    // proxy_dispatch_http_call is the next ABI's name; ngx_wasm_module links it, Envoy does not.
    let path = temp_wasm(
        "next-abi",
        &module_importing(&[("env", "proxy_dispatch_http_call")]),
    );
    let r = audit::audit_file(&path).unwrap();
    assert!(r.unprovided.is_empty());
    assert_eq!(r.host(Host::Envoy).unwrap().status, Status::Missing);
    assert_eq!(r.host(Host::Kong).unwrap().status, Status::Ok);
    assert!(r.fails());
    assert_eq!(cli(&[&path]), 1);
}

#[test]
fn an_import_only_apisix_lacks_is_reported_but_passes() {
    // Envoy and Kong link proxy_get_log_level (Kong as a trapping NYI); APISIX does not.
    let path = temp_wasm(
        "log-level",
        &module_importing(&[
            ("env", "proxy_get_log_level"),
            ("wasi_snapshot_preview1", "fd_write"),
        ]),
    );
    let r = audit::audit_file(&path).unwrap();
    assert_eq!(r.host(Host::Envoy).unwrap().status, Status::Ok);
    assert_eq!(r.host(Host::Apisix).unwrap().status, Status::Missing);
    assert_eq!(
        r.host(Host::Apisix).unwrap().missing,
        vec!["env.proxy_get_log_level".to_string()]
    );
    assert!(!r.fails());
    assert_eq!(cli(&[&path]), 0);
}

#[test]
fn garbage_and_usage_errors_are_reported() {
    let path = temp_wasm("garbage", b"definitely not wasm");
    assert!(audit::audit_file(&path).is_err());
    assert_eq!(
        guardrail_cli::cmd::run("audit", Vec::<String>::new()).unwrap(),
        2
    );
    assert_eq!(guardrail_cli::cmd::run("audit", ["--bogus"]).unwrap(), 2);
}

#[test]
fn real_envoy_refuses_a_module_importing_what_the_audit_says_envoy_lacks() {
    let path = temp_wasm(
        "envoy-lacks",
        &module_importing(&[("env", "proxy_dispatch_http_call")]),
    );
    assert_eq!(
        audit::audit_file(&path)
            .unwrap()
            .host(Host::Envoy)
            .unwrap()
            .status,
        Status::Missing
    );
    let up = MockUpstream::start().expect("mock");
    match Envoy::builder()
        .upstream(&up)
        .filter(Filter::new("envoy-lacks", path, "{}"))
        .start()
    {
        Err(EnvoyError::Exited { log, .. }) => assert!(
            log.contains("missing import") && log.contains("proxy_dispatch_http_call"),
            "Envoy exited for another reason:\n{log}"
        ),
        Err(other) => panic!("Envoy did not exit on the missing import: {other}"),
        Ok(_) => panic!("Envoy loaded a module importing env.proxy_dispatch_http_call"),
    }
}

/// The plugin configs of the example gateway, by plugin name (only those that exist).
fn envoy_example_configs() -> Vec<(String, serde_json::Value)> {
    let dir = paths::repo_root().join("examples/envoy/plugins");
    let mut out = Vec::new();
    for plugin in [
        "key-auth",
        "model-allowlist",
        "injection-guard",
        "pii-redact",
    ] {
        let path = dir.join(format!("{plugin}.json"));
        if let Ok(text) = std::fs::read_to_string(&path) {
            out.push((plugin.to_string(), serde_json::from_str(&text).unwrap()));
        }
    }
    out
}

#[test]
fn istio_kong_and_apisix_examples_carry_the_example_gateway_plugin_configs() {
    let root = paths::repo_root();
    let configs = envoy_example_configs();
    assert!(
        !configs.is_empty(),
        "no examples/envoy/plugins/*.json found"
    );
    let stale = "out of date: run python3 examples/istio/render.py";
    let kong = std::fs::read_to_string(root.join("examples/kong/kong.yml")).unwrap();
    let apisix = std::fs::read_to_string(root.join("examples/apisix/apisix.yaml")).unwrap();
    for (plugin, config) in &configs {
        let manifest =
            std::fs::read_to_string(root.join(format!("examples/istio/{plugin}.yaml"))).unwrap();
        assert!(manifest.contains("failStrategy: FAIL_CLOSE"), "{plugin}");
        let (_, rest) = manifest
            .split_once("  pluginConfig:\n")
            .unwrap_or_else(|| panic!("{plugin}.yaml has no pluginConfig"));
        let in_manifest: serde_json::Value = serde_json::from_str(rest)
            .unwrap_or_else(|e| panic!("{plugin}.yaml pluginConfig is not JSON ({e}): {stale}"));
        assert_eq!(&in_manifest, config, "istio/{plugin}.yaml {stale}");
        // Kong and APISIX carry the config as one compact JSON string (keys sorted).
        let compact = serde_json::to_string(config).unwrap();
        assert!(
            kong.contains(&format!("config: '{compact}'")),
            "kong.yml {plugin}: {stale}"
        );
        assert!(
            apisix.contains(&format!("conf: '{compact}'")),
            "apisix.yaml {plugin}: {stale}"
        );
    }
}

#[test]
fn shipped_plugins_are_trimmed_and_keep_every_http_callback_export() {
    // build.sh trims every plugin with tools/wasm-trim; this fails if a module in dist/ was
    // copied without that step, or lost an HTTP callback export: ngx_wasm_module calls them
    // without checking they exist (a missing proxy_on_response_headers crashed nginx).
    for plugin in [
        "key-auth",
        "model-allowlist",
        "injection-guard",
        "pii-redact",
        "template-detector",
    ] {
        let raw = std::fs::read(dist(plugin)).unwrap();
        let declared = wasm_trim::trim::declared(&raw).unwrap();
        assert!(declared.iter().any(|d| d == "request_headers"), "{plugin}");
        let exports = wasm_trim::read(&raw).unwrap().exports;
        for cb in [
            "request_headers",
            "request_body",
            "request_trailers",
            "response_headers",
            "response_body",
            "response_trailers",
            "log",
            "done",
        ] {
            let name = format!("proxy_on_{cb}");
            assert!(exports.contains(&name), "{plugin} lacks {name}");
        }
        // Trimming it again changes nothing: it went through build.sh's step.
        let again = wasm_trim::trim(&raw).unwrap();
        assert!(again.bytes == raw, "{plugin} was not trimmed");
        assert!(!again.answered.is_empty(), "{plugin}");
    }
}
