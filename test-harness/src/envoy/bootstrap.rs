//! The one place that writes Envoy bootstrap YAML: listener, HTTP connection manager, the
//! chain of proxy-wasm filters, routes to the LLM upstream, admin, JSON access log. Used by
//! the test runner, `guardrail serve`, `guardrail demo` and `harness render-gateway`.
//!
//! Field names follow the Envoy 1.40 v3 API (envoy.extensions.filters.http.wasm.v3.Wasm,
//! PluginConfig.configuration as google.protobuf.StringValue, VmConfig.runtime
//! `envoy.wasm.runtime.v8` - the only Wasm runtime in the official build).

use std::fmt::Write as _;
use std::net::SocketAddr;
use std::path::PathBuf;

/// Internal identity header that must never reach a provider (see docs/ARCHITECTURE.md).
pub const IDENTITY_HEADER: &str = "x-guardrail-identity";

/// One proxy-wasm filter in the chain.
#[derive(Debug, Clone)]
pub struct Filter {
    pub name: String,
    pub wasm: PathBuf,
    /// The plugin configuration, passed verbatim (normally JSON).
    pub config: String,
    /// Envoy's `failure_policy` for a VM that fails or traps: `FAIL_CLOSED` (default, 503),
    /// `FAIL_OPEN` (the filter is skipped) or `FAIL_RELOAD` (a new VM, since Envoy 1.33).
    pub failure_policy: &'static str,
}

impl Filter {
    pub fn new(
        name: impl Into<String>,
        wasm: impl Into<PathBuf>,
        config: impl Into<String>,
    ) -> Filter {
        Filter {
            name: name.into(),
            wasm: wasm.into(),
            config: config.into(),
            failure_policy: "FAIL_CLOSED",
        }
    }

    /// The same filter with another Envoy `failure_policy`.
    pub fn failure_policy(mut self, policy: &'static str) -> Filter {
        self.failure_policy = policy;
        self
    }
}

/// Which paths are forwarded to the upstream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Routes {
    /// Every path (tests).
    Everything,
    /// Only LLM API paths; anything else gets a 404 in OpenAI's error shape (gateway).
    LlmApis,
}

/// Path prefixes of the LLM APIs the gateway forwards: OpenAI and Anthropic `/v1/...`,
/// Gemini `/v1beta/...`, Azure OpenAI `/openai/deployments/...`, MCP servers `/mcp/{server}`.
pub const LLM_PREFIXES: [&str; 4] = ["/v1/", "/v1beta/", "/openai/deployments/", "/mcp/"];

/// Everything needed to render a bootstrap.
#[derive(Debug, Clone)]
pub struct Bootstrap {
    /// Listener address; port 0 lets Envoy pick (the runner reads it back from admin).
    pub listen: SocketAddr,
    pub admin: SocketAddr,
    pub upstream: SocketAddr,
    pub filters: Vec<Filter>,
    pub routes: Routes,
    /// Route-level `request_headers_to_remove: [x-guardrail-identity]`.
    pub strip_identity_header: bool,
    /// Comment lines put at the top of the file.
    pub header_comment: Vec<String>,
    /// Add commented-out clusters for the real providers (the shipped gateway).
    pub provider_examples: bool,
}

fn q(s: &str) -> String {
    // A JSON string literal is a valid YAML double-quoted scalar.
    serde_json::Value::String(s.to_string()).to_string()
}

/// The plugin configuration as a YAML scalar at `indent`: a readable literal block when it is
/// pretty JSON (lines cannot break a block: JSON strings hold no raw newlines), otherwise a
/// double-quoted string (always safe, whatever the bytes).
fn config_scalar(config: &str, indent: usize) -> String {
    let trimmed = config.trim();
    let is_json = serde_json::from_str::<serde_json::Value>(trimmed).is_ok();
    if is_json && trimmed.contains('\n') && !trimmed.contains(['\t', '\r']) {
        let pad = " ".repeat(indent);
        let mut out = String::from("|\n");
        for line in trimmed.lines() {
            if line.trim().is_empty() {
                out.push('\n');
            } else {
                let _ = writeln!(out, "{pad}{}", line.trim_end());
            }
        }
        out.pop();
        out
    } else {
        q(trimmed)
    }
}

/// Unique VM ids: the plugin name, suffixed when a plugin appears twice.
fn vm_ids(filters: &[Filter]) -> Vec<String> {
    let mut ids: Vec<String> = Vec::new();
    for f in filters {
        let mut id = f.name.clone();
        let mut n = 2;
        while ids.contains(&id) {
            id = format!("{}-{n}", f.name);
            n += 1;
        }
        ids.push(id);
    }
    ids
}

fn addr_yaml(a: SocketAddr) -> String {
    format!(
        "{{socket_address: {{address: {}, port_value: {}}}}}",
        a.ip(),
        a.port()
    )
}

/// Access log fields: ids, status and sizes only - no headers, no query (a Gemini `?key=`
/// must not be logged), no bodies.
const ACCESS_LOG_FORMAT: &[(&str, &str)] = &[
    ("time", "%START_TIME%"),
    ("request_id", "%REQ(X-REQUEST-ID)%"),
    ("method", "%REQ(:METHOD)%"),
    ("path", "%PATH(NQ)%"),
    ("status", "%RESPONSE_CODE%"),
    ("details", "%RESPONSE_CODE_DETAILS%"),
    ("flags", "%RESPONSE_FLAGS%"),
    ("upstream", "%UPSTREAM_HOST%"),
    ("bytes_in", "%BYTES_RECEIVED%"),
    ("bytes_out", "%BYTES_SENT%"),
    ("duration_ms", "%DURATION%"),
];

fn route_entries(b: &Bootstrap) -> String {
    let mut out = String::new();
    let strip = if b.strip_identity_header {
        format!("\n                request_headers_to_remove: [{IDENTITY_HEADER}]")
    } else {
        String::new()
    };
    let prefixes: Vec<&str> = match b.routes {
        Routes::Everything => vec!["/"],
        Routes::LlmApis => LLM_PREFIXES.to_vec(),
    };
    for p in prefixes {
        let _ = write!(
            out,
            "\n              - match: {{prefix: {}}}\
             \n                route: {{cluster: llm_upstream, timeout: 300s}}{strip}",
            q(p)
        );
    }
    if b.routes == Routes::LlmApis {
        let body = r#"{"error":{"message":"no such API on this gateway","type":"invalid_request_error","param":null,"code":"not_found"}}"#;
        let _ = write!(
            out,
            "\n              - match: {{prefix: \"/\"}}\
             \n                direct_response: {{status: 404, body: {{inline_string: {}}}}}\
             \n                response_headers_to_add:\
             \n                - header: {{key: content-type, value: application/json}}",
            q(body)
        );
    }
    out
}

fn wasm_filters(b: &Bootstrap) -> String {
    let mut out = String::new();
    for (f, vm_id) in b.filters.iter().zip(vm_ids(&b.filters)) {
        let _ = write!(
            out,
            "
          - name: envoy.filters.http.wasm
            typed_config:
              \"@type\": type.googleapis.com/envoy.extensions.filters.http.wasm.v3.Wasm
              config:
                name: {name}
                root_id: {name}
                # FAIL_CLOSED: a VM that fails or traps answers 503, never passes unchecked.
                failure_policy: {policy}
                # The plugins hold the request headers until the body verdict (Pause =
                # StopIteration): no upstream connection or header byte before it.
                allow_on_headers_stop_iteration: true
                configuration:
                  \"@type\": type.googleapis.com/google.protobuf.StringValue
                  value: {config}
                vm_config:
                  vm_id: {vm}
                  runtime: envoy.wasm.runtime.v8
                  code: {{local: {{filename: {file}}}}}",
            name = q(&f.name),
            policy = f.failure_policy,
            vm = q(&vm_id),
            config = config_scalar(&f.config, 20),
            file = q(&f.wasm.to_string_lossy()),
        );
    }
    out
}

const PROVIDER_EXAMPLES: &str = "
  # To send traffic to a real provider, replace llm_upstream's endpoint with one of these and
  # point the routes at it (TLS to the provider, SNI set):
  # - name: openai
  #   type: LOGICAL_DNS
  #   dns_lookup_family: V4_PREFERRED
  #   connect_timeout: 5s
  #   load_assignment:
  #     cluster_name: openai
  #     endpoints: [{lb_endpoints: [{endpoint: {address: {socket_address: {address: api.openai.com, port_value: 443}}}}]}]
  #   transport_socket:
  #     name: envoy.transport_sockets.tls
  #     typed_config:
  #       \"@type\": type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext
  #       sni: api.openai.com
  # (api.anthropic.com: the same with its host name; add host_rewrite_literal on the route.)";

/// The plugins' metrics carry their tags in the name (`sdk/src/metrics.rs`); these extractors
/// turn them back into labels, so `/stats/prometheus` shows
/// `guardrail_requests_total{plugin="injection_guard",verdict="block"}` (what
/// `examples/grafana/` queries). Envoy matches each regex against the full stat name: the first
/// group is cut from the name, the second is the label's value.
const STATS_TAGS: &str = r"stats_config:
  stats_tags:
  - tag_name: plugin
    regex: '^wasmcustom\.guardrail_[a-z_]+(\.plugin\.([a-z0-9_]+))'
  - tag_name: verdict
    regex: '^wasmcustom\.guardrail_requests_total\.plugin\.[a-z0-9_]+(\.verdict\.([a-z0-9_]+))$'
  - tag_name: rule
    regex: '^wasmcustom\.guardrail_rule_hits_total\.plugin\.[a-z0-9_]+(\.rule\.([a-z0-9_]+))$'";

/// Renders the bootstrap YAML.
pub fn render(b: &Bootstrap) -> String {
    let mut out = String::new();
    for line in &b.header_comment {
        let _ = writeln!(out, "# {line}");
    }
    let log_fields: Vec<String> = ACCESS_LOG_FORMAT
        .iter()
        .map(|(k, v)| format!("\n                  {k}: {}", q(v)))
        .collect();
    let _ = write!(
        out,
        "admin:
  address: {admin}
{STATS_TAGS}
static_resources:
  listeners:
  - name: gateway
    address: {listen}
    # Envoy answers a plain-text 413 itself when a body a filter buffers outgrows this limit
    # (default 1 MiB). Keeping it above the plugins' own max_body_bytes (1 MiB default) means
    # the plugin refuses first, in the provider's JSON error shape.
    per_connection_buffer_limit_bytes: 4194304
    filter_chains:
    - filters:
      - name: envoy.filters.network.http_connection_manager
        typed_config:
          \"@type\": type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager
          stat_prefix: gateway
          codec_type: AUTO
          # HTTP/1.1 request trailers reach the filters (as HTTP/2 trailers always do), so the
          # e2e tests can prove a body ended by trailers is still scanned.
          http_protocol_options: {{enable_trailers: true}}
          access_log:
          - name: envoy.access_loggers.stdout
            typed_config:
              \"@type\": type.googleapis.com/envoy.extensions.access_loggers.stream.v3.StdoutAccessLog
              log_format:
                json_format:{log_fields}
          route_config:
            name: llm_routes
            virtual_hosts:
            - name: llm
              domains: [\"*\"]
              routes:{routes}
          http_filters:{filters}
          - name: envoy.filters.http.router
            typed_config:
              \"@type\": type.googleapis.com/envoy.extensions.filters.http.router.v3.Router
              # No x-envoy-* headers towards the provider.
              suppress_envoy_headers: true
  clusters:
  - name: llm_upstream
    type: STATIC
    connect_timeout: 5s
    per_connection_buffer_limit_bytes: 4194304
    load_assignment:
      cluster_name: llm_upstream
      endpoints: [{{lb_endpoints: [{{endpoint: {{address: {upstream}}}}}]}}]{examples}
",
        admin = addr_yaml(b.admin),
        listen = addr_yaml(b.listen),
        log_fields = log_fields.concat(),
        routes = route_entries(b),
        filters = wasm_filters(b),
        upstream = addr_yaml(b.upstream),
        examples = if b.provider_examples { PROVIDER_EXAMPLES } else { "" },
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(config: &str) -> Bootstrap {
        Bootstrap {
            listen: "127.0.0.1:10000".parse().expect("addr"),
            admin: "127.0.0.1:9901".parse().expect("addr"),
            upstream: "127.0.0.1:18080".parse().expect("addr"),
            filters: vec![
                Filter::new("a", "dist/a.wasm", config),
                Filter::new("a", "dist/a.wasm", "{}"),
            ],
            routes: Routes::LlmApis,
            strip_identity_header: true,
            header_comment: vec!["hello".into()],
            provider_examples: true,
        }
    }

    #[test]
    fn pretty_json_config_becomes_a_literal_block() {
        let y = render(&sample("{\n  \"k\": \"v\"\n}\n"));
        assert!(y.contains("value: |\n                    {\n                      \"k\": \"v\"\n                    }\n"), "{y}");
        assert!(y.starts_with("# hello\nadmin:"));
        assert!(y.contains("vm_id: \"a-2\""));
        assert!(y.contains("request_headers_to_remove: [x-guardrail-identity]"));
        assert!(y.contains("runtime: envoy.wasm.runtime.v8"));
    }

    #[test]
    fn anything_else_is_double_quoted() {
        let y = render(&sample("not json: \"x\"\n  # y"));
        assert!(y.contains(r#"value: "not json: \"x\"\n  # y""#), "{y}");
    }
}
