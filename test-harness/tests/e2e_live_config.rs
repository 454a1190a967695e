//! End-to-end: keys and policies change on a live Envoy without a restart and without a
//! dropped request. key-auth's filter configuration comes through ECDS (extension config
//! discovery) from a file Envoy watches (`path_config_source`); the test replaces that file
//! (write, then atomic rename, as a config-management tool would) while a bounded loop of
//! requests runs on loopback. Every request of the loop must be answered 200; the new key
//! works once Envoy has loaded the new file, a removed key stops working. Needs Envoy and
//! dist/key-auth.wasm: run `./build.sh test`.

use std::fs;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use guardrail_harness::envoy::Envoy;
use guardrail_harness::host::dist_path;
use guardrail_harness::http_client;
use guardrail_harness::mock_upstream::MockUpstream;
use guardrail_sdk::hash;
use serde_json::json;

const OLD: &str = "grw_live_old_0123456789abcdef0123456789abcdef";
const NEW: &str = "grw_live_new_fedcba9876543210fedcba9876543210";
const CHAT: &str = "/v1/chat/completions";
/// The request loop stops after this many requests or this long, whichever comes first.
const MAX_REQUESTS: usize = 2000;
const MAX_LOOP: Duration = Duration::from_secs(60);

fn digest(key: &str) -> String {
    format!("sha256:{}", hash::hex(&hash::sha256(key.as_bytes())))
}

fn key_auth_config(keys: &[(&str, &str)]) -> String {
    let keys: Vec<_> = keys
        .iter()
        .map(|(id, key)| json!({"id": id, "credentials": [{"hash": digest(key)}]}))
        .collect();
    json!({"keys": keys, "providers": [{"name": "openai", "kind": "openai", "api_key": "sk-live"}]})
        .to_string()
}

/// The ECDS resource file: key-auth's Wasm filter with `config`.
fn ecds_file(config: &str, wasm: &Path) -> String {
    let quoted = serde_json::Value::String(config.to_string()).to_string();
    format!(
        "resources:
- \"@type\": type.googleapis.com/envoy.config.core.v3.TypedExtensionConfig
  name: guardrail.key-auth
  typed_config:
    \"@type\": type.googleapis.com/envoy.extensions.filters.http.wasm.v3.Wasm
    config:
      name: key-auth
      root_id: key-auth
      failure_policy: FAIL_CLOSED
      configuration:
        \"@type\": type.googleapis.com/google.protobuf.StringValue
        value: {quoted}
      vm_config:
        vm_id: key-auth
        runtime: envoy.wasm.runtime.v8
        code: {{local: {{filename: {wasm}}}}}
",
        wasm = serde_json::Value::String(wasm.display().to_string())
    )
}

/// Replace the watched file the way a config tool should: write aside, rename over.
fn publish(dir: &Path, content: &str) {
    let tmp = dir.join("key-auth.yaml.tmp");
    fs::write(&tmp, content).expect("write");
    fs::rename(&tmp, dir.join("key-auth.yaml")).expect("rename");
}

fn bootstrap(upstream: u16, dir: &Path) -> String {
    let file = serde_json::Value::String(dir.join("key-auth.yaml").display().to_string());
    let watched = serde_json::Value::String(dir.display().to_string());
    format!(
        "node: {{id: guardrail-live, cluster: guardrail}}   # ECDS needs a node identity
admin:
  address: {{socket_address: {{address: 127.0.0.1, port_value: 0}}}}
static_resources:
  listeners:
  - name: gateway
    address: {{socket_address: {{address: 127.0.0.1, port_value: 0}}}}
    filter_chains:
    - filters:
      - name: envoy.filters.network.http_connection_manager
        typed_config:
          \"@type\": type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager
          stat_prefix: gateway
          route_config:
            virtual_hosts:
            - name: llm
              domains: [\"*\"]
              routes:
              - match: {{prefix: \"/\"}}
                route: {{cluster: llm_upstream}}
          http_filters:
          - name: guardrail.key-auth
            config_discovery:
              config_source:
                path_config_source:
                  path: {file}
                  watched_directory: {{path: {watched}}}
              type_urls: [\"type.googleapis.com/envoy.extensions.filters.http.wasm.v3.Wasm\"]
          - name: envoy.filters.http.router
            typed_config:
              \"@type\": type.googleapis.com/envoy.extensions.filters.http.router.v3.Router
  clusters:
  - name: llm_upstream
    type: STATIC
    load_assignment:
      cluster_name: llm_upstream
      endpoints: [{{lb_endpoints: [{{endpoint: {{address: {{socket_address: {{address: 127.0.0.1, port_value: {upstream}}}}}}}}}]}}]
"
    )
}

fn status(envoy: &Envoy, key: &str) -> u16 {
    let auth = format!("Bearer {key}");
    let body = br#"{"model":"gpt-4o-mini","messages":[{"role":"user","content":"hi"}]}"#;
    envoy
        .post(CHAT, &[("authorization", auth.as_str())], body)
        .map_or(0, |r| r.status)
}

/// Polls until `key` gets `want` (Envoy loads the file asynchronously).
fn wait_status(envoy: &Envoy, key: &str, want: u16) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while status(envoy, key) != want {
        assert!(Instant::now() < deadline, "{key} never got {want}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// A bounded request loop on loopback with `key`, until stopped: the statuses it got.
fn request_loop(envoy: &Envoy, key: &str) -> (Arc<AtomicBool>, std::thread::JoinHandle<Vec<u16>>) {
    let addr = envoy.addr();
    let stop = Arc::new(AtomicBool::new(false));
    let flag = Arc::clone(&stop);
    let auth = format!("Bearer {key}");
    let handle = std::thread::spawn(move || {
        let started = Instant::now();
        let body = br#"{"model":"gpt-4o-mini","messages":[{"role":"user","content":"hi"}]}"#;
        let mut statuses = Vec::new();
        while !flag.load(Ordering::SeqCst)
            && statuses.len() < MAX_REQUESTS
            && started.elapsed() < MAX_LOOP
        {
            let s = http_client::post(addr, CHAT, &[("authorization", auth.as_str())], body)
                .map_or(0, |r| r.status);
            statuses.push(s);
        }
        statuses
    });
    (stop, handle)
}

fn finish(stop: Arc<AtomicBool>, handle: std::thread::JoinHandle<Vec<u16>>) -> Vec<u16> {
    // Let the loop run on the new configuration for a moment too.
    std::thread::sleep(Duration::from_millis(300));
    stop.store(true, Ordering::SeqCst);
    handle.join().expect("request loop")
}

#[test]
fn keys_change_on_a_live_envoy_without_a_dropped_request() {
    let upstream = MockUpstream::start().expect("mock upstream");
    let dir = std::env::temp_dir().join(format!("guardrail-ecds-{}", std::process::id()));
    fs::create_dir_all(&dir).expect("dir");
    let wasm = dist_path("key-auth");
    publish(&dir, &ecds_file(&key_auth_config(&[("old", OLD)]), &wasm));
    let envoy = Envoy::builder()
        .config_yaml(bootstrap(upstream.port(), &dir))
        .start()
        .unwrap_or_else(|e| panic!("Envoy with ECDS did not start: {e}"));
    assert_eq!(status(&envoy, OLD), 200);
    assert_eq!(status(&envoy, NEW), 401);

    // Change 1, while the old key is in use: add a key.
    let (stop, handle) = request_loop(&envoy, OLD);
    std::thread::sleep(Duration::from_millis(200));
    publish(
        &dir,
        &ecds_file(&key_auth_config(&[("old", OLD), ("new", NEW)]), &wasm),
    );
    wait_status(&envoy, NEW, 200);
    let during = finish(stop, handle);
    assert!(during.len() >= 5, "the loop hardly ran: {}", during.len());
    assert!(
        during.iter().all(|s| *s == 200),
        "dropped or refused: {during:?}"
    );

    // Change 2, while the new key is in use: remove the old one.
    let (stop, handle) = request_loop(&envoy, NEW);
    std::thread::sleep(Duration::from_millis(200));
    publish(&dir, &ecds_file(&key_auth_config(&[("new", NEW)]), &wasm));
    wait_status(&envoy, OLD, 401);
    let during = finish(stop, handle);
    assert!(
        during.iter().all(|s| *s == 200),
        "dropped or refused: {during:?}"
    );

    // A broken file is refused and the last good configuration stays.
    publish(&dir, &ecds_file("{\"keys\": 7}", &wasm));
    std::thread::sleep(Duration::from_millis(1500));
    assert_eq!(status(&envoy, NEW), 200);
    assert_eq!(status(&envoy, OLD), 401);
    let stats = envoy
        .admin_get("/stats?filter=extension_config_discovery")
        .expect("stats")
        .text();
    // The first load and two changes applied; the broken one rejected.
    assert!(stats.contains("update_success: 3"), "{stats}");
    assert!(stats.contains("update_rejected: 1"), "{stats}");
    assert_eq!(
        upstream
            .requests()
            .iter()
            .filter(|r| r.header("authorization") == Some("Bearer sk-live"))
            .count(),
        upstream.request_count()
    );
    let _ = fs::remove_dir_all(&dir);
}
