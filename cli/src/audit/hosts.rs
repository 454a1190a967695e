//! hosts: what each gateway's proxy-wasm host does with each import, taken from its source
//! and docs (URLs and commits in docs/HOSTS.md). Only Envoy is verified here; the Kong and
//! APISIX rows restate their published source and are NOT run in this repository.

/// A gateway whose proxy-wasm host the audit knows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Host {
    Envoy,
    Kong,
    Apisix,
}

impl Host {
    pub const ALL: [Host; 3] = [Host::Envoy, Host::Kong, Host::Apisix];

    pub fn name(self) -> &'static str {
        match self {
            Host::Envoy => "envoy",
            Host::Kong => "kong",
            Host::Apisix => "apisix",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Host::Envoy => "Envoy 1.40 (proxy-wasm-cpp-host, V8) - verified here",
            Host::Kong => "Kong ngx_wasm_module - from its source, not run here",
            Host::Apisix => "APISIX wasm-nginx-module - from its source, not run here",
        }
    }
}

/// How a host answers one import.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Support {
    /// Linked and implemented.
    Full,
    /// Linked and implemented with a documented limit.
    Limited(&'static str),
    /// Linked, but answers with an error status / does nothing (the call must be optional).
    Refuses(&'static str),
    /// Linked, but calling it traps the VM (an outage if the plugin calls it).
    Traps(&'static str),
    /// Not linked: the host refuses to load the module.
    Absent,
}

const WASI_MODULES: [&str; 2] = ["wasi_snapshot_preview1", "wasi_unstable"];

/// proxy-wasm-cpp-host `include/proxy-wasm/exports.h`: FOR_ALL_HOST_FUNCTIONS and
/// FOR_ALL_HOST_FUNCTIONS_ABI_SPECIFIC (Envoy links every one of them, prefixed `proxy_`).
#[rustfmt::skip]
const ENVOY_PROXY: &[&str] = &[
    "log", "get_status", "set_property", "get_property", "send_local_response",
    "get_shared_data", "set_shared_data", "register_shared_queue", "resolve_shared_queue",
    "dequeue_shared_queue", "enqueue_shared_queue", "get_header_map_value",
    "add_header_map_value", "replace_header_map_value", "remove_header_map_value",
    "get_header_map_pairs", "set_header_map_pairs", "get_header_map_size", "get_buffer_status",
    "get_buffer_bytes", "set_buffer_bytes", "http_call", "grpc_call", "grpc_stream", "grpc_close",
    "grpc_cancel", "grpc_send", "set_tick_period_milliseconds", "get_current_time_nanoseconds",
    "define_metric", "increment_metric", "record_metric", "get_metric", "set_effective_context",
    "done", "call_foreign_function", "get_configuration", "continue_request", "continue_response",
    "clear_route_cache", "continue_stream", "close_stream", "get_log_level",
];

/// proxy-wasm-cpp-host FOR_ALL_WASI_FUNCTIONS (both `wasi_unstable` and `wasi_snapshot_preview1`).
#[rustfmt::skip]
const ENVOY_WASI: &[&str] = &[
    "fd_write", "fd_read", "fd_seek", "fd_close", "fd_fdstat_get", "fd_fdstat_set_flags",
    "fd_fdstat_set_rights", "environ_get", "environ_sizes_get", "args_get", "args_sizes_get",
    "clock_time_get", "clock_res_get", "fd_advise", "fd_allocate", "fd_datasync",
    "fd_filestat_set_size", "fd_filestat_set_times", "fd_pread", "fd_pwrite", "fd_readdir",
    "fd_renumber", "fd_sync", "fd_tell", "path_create_directory", "path_filestat_set_times",
    "path_link", "path_readlink", "path_remove_directory", "path_rename", "path_symlink",
    "path_unlink_file", "sock_accept", "sock_recv", "sock_send", "sock_shutdown", "random_get",
    "sched_yield", "poll_oneoff", "proc_exit", "path_open", "fd_prestat_get",
    "fd_prestat_dir_name", "path_filestat_get", "fd_filestat_get",
];

/// ngx_wasm_module `src/common/proxy_wasm/ngx_proxy_wasm_host.c`: implemented host functions.
#[rustfmt::skip]
const KONG_IMPLEMENTED: &[&str] = &[
    "log", "get_current_time_nanoseconds", "set_effective_context",
    "set_tick_period_milliseconds", "get_buffer", "get_buffer_bytes", "set_buffer",
    "set_buffer_bytes", "get_header_map_pairs", "get_header_map_value", "set_header_map_pairs",
    "add_header_map_value", "replace_header_map_value", "remove_header_map_value",
    "get_property", "set_property", "continue_stream", "continue_request", "send_http_response",
    "send_local_response", "dispatch_http_call", "http_call", "get_shared_data",
    "set_shared_data", "register_shared_queue", "dequeue_shared_queue", "enqueue_shared_queue",
    "define_metric", "get_metric", "record_metric", "increment_metric", "call_foreign_function",
    "get_configuration",
];

/// ngx_wasm_module: linked to `ngx_proxy_wasm_hfuncs_nop`, which returns NGX_WAVM_NYI, which
/// the VM turns into a trap ("host trap (function not yet implemented)").
#[rustfmt::skip]
const KONG_NYI: &[&str] = &[
    "get_log_level", "context_finalize", "done", "create_timer", "delete_timer",
    "get_map_values", "set_map_values", "resume_stream", "resume_downstream", "resume_upstream",
    "close_stream", "resume_http_stream", "continue_response", "dispatch_grpc_call", "grpc_call",
    "open_grpc_stream", "grpc_stream", "send_grpc_stream_message", "grpc_send",
    "cancel_grpc_call", "grpc_cancel", "close_grpc_call", "grpc_close", "get_status",
    "open_shared_kvstore", "get_shared_kvstore_key_values", "set_shared_kvstore_key_values",
    "add_shared_kvstore_key_values", "remove_shared_kvstore_key", "delete_shared_kvstore",
    "open_shared_queue", "dequeue_shared_queue_item", "enqueue_shared_queue_item",
    "delete_shared_queue", "resolve_shared_queue", "create_metric", "get_metric_value",
    "set_metric_value", "increment_metric_value", "delete_metric", "call_custom_function",
    "clear_route_cache",
];

/// ngx_wasm_module `src/wasm/wasi/ngx_wasi_preview1_host.c`: the WASI functions it provides.
#[rustfmt::skip]
const KONG_WASI: &[&str] = &[
    "args_get", "args_sizes_get", "clock_time_get", "environ_get", "environ_sizes_get",
    "fd_close", "fd_fdstat_get", "fd_fdstat_set_flags", "fd_prestat_get", "fd_prestat_dir_name",
    "fd_read", "fd_seek", "fd_write", "path_open", "proc_exit", "random_get", "sched_yield",
    "poll_oneoff",
];

/// wasm-nginx-module `src/http/ngx_http_wasm_api_def.h`: every host function it links.
#[rustfmt::skip]
const APISIX_LINKED: &[&str] = &[
    "set_effective_context", "get_property", "set_property", "log", "get_buffer_bytes",
    "set_buffer_bytes", "send_local_response", "send_http_response",
    "get_current_time_nanoseconds", "set_tick_period_milliseconds", "get_configuration",
    "get_header_map_pairs", "set_header_map_pairs", "get_header_map_value",
    "remove_header_map_value", "replace_header_map_value", "add_header_map_value",
    "get_shared_data", "set_shared_data", "register_shared_queue", "resolve_shared_queue",
    "dequeue_shared_queue", "enqueue_shared_queue", "continue_request", "continue_response",
    "clear_route_cache", "continue_stream", "close_stream", "http_call", "grpc_call",
    "grpc_stream", "grpc_send", "grpc_cancel", "grpc_close", "get_status", "done",
    "call_foreign_function", "define_metric", "increment_metric", "record_metric", "get_metric",
];

/// wasm-nginx-module `src/http/ngx_http_wasm_api.c`: functions whose body is
/// `return PROXY_RESULT_UNIMPLEMENTED;`.
#[rustfmt::skip]
const APISIX_UNIMPLEMENTED: &[&str] = &[
    "set_buffer_bytes", "get_current_time_nanoseconds", "set_tick_period_milliseconds",
    "set_header_map_pairs", "get_shared_data", "set_shared_data", "register_shared_queue",
    "resolve_shared_queue", "dequeue_shared_queue", "enqueue_shared_queue", "clear_route_cache",
    "grpc_call", "grpc_stream", "grpc_send", "grpc_cancel", "grpc_close", "get_status", "done",
    "call_foreign_function",
];

/// wasm-nginx-module: metric calls return OK without doing anything (no id is written).
const APISIX_METRICS_NOOP: &[&str] = &[
    "define_metric",
    "increment_metric",
    "record_metric",
    "get_metric",
];

/// How `host` answers the import `module.name`.
pub fn support(host: Host, module: &str, name: &str) -> Support {
    if WASI_MODULES.contains(&module) {
        return wasi_support(host, module, name);
    }
    if module != "env" {
        return Support::Absent;
    }
    let Some(short) = name.strip_prefix("proxy_") else {
        return Support::Absent;
    };
    match host {
        Host::Envoy => envoy(short),
        Host::Kong => kong(short),
        Host::Apisix => apisix(short),
    }
}

fn envoy(short: &str) -> Support {
    if ENVOY_PROXY.contains(&short) {
        Support::Full
    } else {
        Support::Absent
    }
}

fn kong(short: &str) -> Support {
    if matches!(short, "get_shared_data" | "set_shared_data") {
        return Support::Limited(
            "needs a shm_kv zone (Kong: nginx_wasm_shm_kv); without one the call traps",
        );
    }
    if short == "continue_stream" {
        return Support::Limited(
            "no resume in response phases (docs: \"Yielding not supported in response phases\")",
        );
    }
    if KONG_IMPLEMENTED.contains(&short) {
        Support::Full
    } else if KONG_NYI.contains(&short) {
        Support::Traps("NYI: calling it traps the VM")
    } else {
        Support::Absent
    }
}

fn apisix(short: &str) -> Support {
    if !APISIX_LINKED.contains(&short) {
        Support::Absent
    } else if APISIX_UNIMPLEMENTED.contains(&short) {
        Support::Refuses("returns PROXY_RESULT_UNIMPLEMENTED")
    } else if APISIX_METRICS_NOOP.contains(&short) {
        Support::Refuses("accepted and dropped: no metric is recorded")
    } else {
        Support::Full
    }
}

fn wasi_support(host: Host, module: &str, name: &str) -> Support {
    match host {
        Host::Envoy if ENVOY_WASI.contains(&name) => Support::Full,
        // wasmtime_linker_define_wasi: the full WASI preview1 of the wasmtime C API.
        Host::Apisix if module == "wasi_snapshot_preview1" => Support::Full,
        Host::Kong if KONG_WASI.contains(&name) => Support::Full,
        _ => Support::Absent,
    }
}

/// A group of imports that together make one host capability.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Capability {
    BodyRewrite,
    Clock,
    Tick,
    SharedData,
    SharedQueue,
    Metrics,
    HttpCall,
    Grpc,
    ResumeStream,
    CloseStream,
    HeaderMapReplaceAll,
    ForeignFunction,
    Done,
    Other,
}

impl Capability {
    pub fn of(name: &str) -> Capability {
        let short = name.strip_prefix("proxy_").unwrap_or(name);
        match short {
            "set_buffer_bytes" | "set_buffer" => Capability::BodyRewrite,
            "get_current_time_nanoseconds" => Capability::Clock,
            "set_tick_period_milliseconds" => Capability::Tick,
            "get_shared_data" | "set_shared_data" => Capability::SharedData,
            "register_shared_queue"
            | "resolve_shared_queue"
            | "dequeue_shared_queue"
            | "enqueue_shared_queue" => Capability::SharedQueue,
            "define_metric" | "increment_metric" | "record_metric" | "get_metric" => {
                Capability::Metrics
            }
            "http_call" | "dispatch_http_call" => Capability::HttpCall,
            "grpc_call" | "grpc_stream" | "grpc_send" | "grpc_cancel" | "grpc_close"
            | "get_status" => Capability::Grpc,
            "continue_stream" | "continue_request" | "continue_response" => {
                Capability::ResumeStream
            }
            "close_stream" => Capability::CloseStream,
            "set_header_map_pairs" => Capability::HeaderMapReplaceAll,
            "call_foreign_function" => Capability::ForeignFunction,
            "done" => Capability::Done,
            _ => Capability::Other,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Capability::BodyRewrite => "body rewrite",
            Capability::Clock => "clock",
            Capability::Tick => "tick",
            Capability::SharedData => "shared data",
            Capability::SharedQueue => "shared queues",
            Capability::Metrics => "metrics",
            Capability::HttpCall => "http calls",
            Capability::Grpc => "gRPC calls",
            Capability::ResumeStream => "resume a paused stream",
            Capability::CloseStream => "close stream",
            Capability::HeaderMapReplaceAll => "replace a whole header map",
            Capability::ForeignFunction => "foreign functions",
            Capability::Done => "proxy_done",
            Capability::Other => "other",
        }
    }
}

/// Capabilities that `guardrail_sdk::host` (raw ABI calls in sdk/src/host/abi.rs) and the
/// proxy-wasm 0.2.5 dispatcher call on every request. Body rewrite is called only by plugins
/// that rewrite (see `plugins::profile`). Every other proxy-wasm import of a guardrail plugin
/// comes from the proxy-wasm crate's trait default methods and is only called when the
/// plugin's own code calls that method.
pub const CALLED_BY_SDK: &[Capability] =
    &[Capability::Clock, Capability::Metrics, Capability::Other];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn envoy_links_every_abi_0_2_1_call_and_nothing_unknown() {
        assert_eq!(
            support(Host::Envoy, "env", "proxy_set_buffer_bytes"),
            Support::Full
        );
        assert_eq!(
            support(Host::Envoy, "env", "proxy_grpc_call"),
            Support::Full
        );
        assert_eq!(
            support(Host::Envoy, "env", "proxy_made_up"),
            Support::Absent
        );
        assert_eq!(support(Host::Envoy, "env", "memory"), Support::Absent);
        assert_eq!(
            support(Host::Envoy, "wasi_snapshot_preview1", "fd_write"),
            Support::Full
        );
        assert_eq!(
            support(Host::Envoy, "wasi_snapshot_preview1", "thread_spawn"),
            Support::Absent
        );
    }

    #[test]
    fn kong_nyi_traps_and_response_continue_is_limited() {
        assert!(matches!(
            support(Host::Kong, "env", "proxy_get_shared_data"),
            Support::Limited(_)
        ));
        assert_eq!(support(Host::Kong, "env", "proxy_log"), Support::Full);
        assert!(matches!(
            support(Host::Kong, "env", "proxy_close_stream"),
            Support::Traps(_)
        ));
        assert!(matches!(
            support(Host::Kong, "env", "proxy_grpc_call"),
            Support::Traps(_)
        ));
        assert!(matches!(
            support(Host::Kong, "env", "proxy_continue_stream"),
            Support::Limited(_)
        ));
        assert_eq!(
            support(Host::Kong, "env", "proxy_get_header_map_size"),
            Support::Absent
        );
        assert_eq!(
            support(Host::Kong, "wasi_snapshot_preview1", "random_get"),
            Support::Full
        );
        assert_eq!(
            support(Host::Kong, "wasi_snapshot_preview1", "fd_pread"),
            Support::Absent
        );
    }

    #[test]
    fn apisix_refuses_body_rewrite_clock_tick_and_shared_data() {
        for name in [
            "proxy_set_buffer_bytes",
            "proxy_get_current_time_nanoseconds",
            "proxy_set_tick_period_milliseconds",
            "proxy_get_shared_data",
            "proxy_set_shared_data",
            "proxy_define_metric",
        ] {
            assert!(
                matches!(support(Host::Apisix, "env", name), Support::Refuses(_)),
                "{name}"
            );
        }
        assert_eq!(
            support(Host::Apisix, "env", "proxy_get_buffer_bytes"),
            Support::Full
        );
        assert_eq!(
            support(Host::Apisix, "env", "proxy_get_log_level"),
            Support::Absent
        );
        assert_eq!(
            support(Host::Apisix, "wasi_snapshot_preview1", "fd_pread"),
            Support::Full
        );
    }

    #[test]
    fn capabilities_group_imports() {
        assert_eq!(
            Capability::of("proxy_set_buffer_bytes"),
            Capability::BodyRewrite
        );
        assert_eq!(Capability::of("proxy_grpc_close"), Capability::Grpc);
        assert_eq!(Capability::of("proxy_get_status"), Capability::Grpc);
        assert_eq!(Capability::of("proxy_log"), Capability::Other);
    }
}
