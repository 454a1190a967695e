//! nginx.conf for the two nginx-based proxy-wasm hosts, rendered from the same chain and
//! plugin configs as the Envoy example gateway (`examples/envoy/plugins/<plugin>.json`):
//! - Kong's engine, ngx_wasm_module: a `wasm {}` block loading each module, `proxy_wasm` per
//!   filter, `shm_kv *` for shared data and response buffers large enough for a whole answer
//!   (the settings `examples/kong/README.md` gives Kong);
//! - APISIX's, wasm-nginx-module: `wasm_vm wasmtime` plus the Lua loader
//!   (`apisix_loader.lua`) that calls the module's `resty.proxy-wasm` API in the phases
//!   APISIX's `apisix/wasm.lua` uses.
//!
//! Both listen on 127.0.0.1 only, forward only the LLM API paths (anything else: the same
//! 404 as Envoy's gateway) and drop `x-guardrail-identity` before the upstream.

use std::fmt::Write as _;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use crate::envoy::bootstrap::{IDENTITY_HEADER, LLM_PREFIXES};

/// The 404 Envoy's example gateway answers for a path that is not an LLM API.
pub const NOT_FOUND_BODY: &str = r#"{"error":{"message":"no such API on this gateway","type":"invalid_request_error","param":null,"code":"not_found"}}"#;

/// One plugin of the chain: its name, its `.wasm` (absolute) and its config text.
#[derive(Debug, Clone)]
pub struct Plugin {
    pub name: String,
    pub wasm: PathBuf,
    pub config: String,
}

/// Where the APISIX flavour finds its Lua: the loader directory and the Lua libraries
/// (`lib/` of lua-resty-core, lua-resty-lrucache, lua-resty-http and wasm-nginx-module).
#[derive(Debug, Clone)]
pub struct LuaPaths {
    pub loader_dir: PathBuf,
    pub libs: Vec<PathBuf>,
}

/// Everything a conf needs besides the plugins.
#[derive(Debug, Clone)]
pub struct Site {
    /// The run directory (nginx `-p` prefix): logs, pid, temp files.
    pub dir: PathBuf,
    pub listen: SocketAddr,
    pub upstream: SocketAddr,
}

/// A string as an nginx single-quoted token: `\` and `'` escaped, so the parser hands the
/// plugin exactly the bytes of the config (nginx turns `\n` in a quoted string into a newline,
/// which would break a JSON escape).
pub fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('\'');
    for c in s.chars() {
        if c == '\\' || c == '\'' {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('\'');
    out
}

/// A Lua long-bracket string literal that cannot be closed by its content.
pub fn lua_long_string(s: &str) -> String {
    let mut level = 0;
    loop {
        let close = format!("]{}]", "=".repeat(level));
        if !s.contains(&close) {
            let eq = "=".repeat(level);
            // A leading newline right after `[[` is dropped by Lua: add one so it never eats
            // the content's own.
            return format!("[{eq}[\n{s}]{eq}]");
        }
        level += 1;
    }
}

fn head(dir: &Path) -> String {
    format!(
        "# Rendered by guardrail_harness::hosts::conf for one run; loopback only.\n\
         daemon off;\n\
         master_process on;\n\
         worker_processes 1;\n\
         pid {dir}/nginx.pid;\n\
         error_log {dir}/error.log info;\n\
         events {{ worker_connections 256; }}\n",
        dir = dir.display()
    )
}

/// The `http {}` lines both flavours share: temp paths in the run dir, an access log that
/// names the request id (the runner waits for it), the upstream.
fn http_common(site: &Site) -> String {
    let d = site.dir.display();
    format!(
        "    client_body_temp_path {d}/tmp/client_body;\n\
         \x20   proxy_temp_path {d}/tmp/proxy;\n\
         \x20   fastcgi_temp_path {d}/tmp/fastcgi;\n\
         \x20   uwsgi_temp_path {d}/tmp/uwsgi;\n\
         \x20   scgi_temp_path {d}/tmp/scgi;\n\
         \x20   log_format guardrail escape=json '{{\"request_id\":\"$http_x_request_id\",\"status\":$status,\"path\":\"$uri\"}}';\n\
         \x20   access_log {d}/access.log guardrail;\n\
         \x20   client_max_body_size 8m;\n\
         \x20   client_body_buffer_size 2m;\n\
         \x20   upstream llm_upstream {{ server {up}; }}\n",
        up = site.upstream
    )
}

/// The proxying lines of the LLM location (after the flavour's own filter lines).
fn proxy_lines() -> String {
    format!(
        "            proxy_http_version 1.1;\n\
         \x20           proxy_buffering off;\n\
         \x20           proxy_read_timeout 300s;\n\
         \x20           proxy_set_header {IDENTITY_HEADER} \"\";\n\
         \x20           proxy_pass http://llm_upstream;\n"
    )
}

/// `location ~ ^/(v1/|v1beta/|openai/deployments/)`: the prefixes of Envoy's gateway routes.
fn llm_location_regex() -> String {
    let alts: Vec<String> = LLM_PREFIXES
        .iter()
        .map(|p| p.trim_start_matches('/').to_string())
        .collect();
    format!("^/({})", alts.join("|"))
}

fn not_found_location() -> String {
    format!(
        "        location / {{\n\
         \x20           default_type application/json;\n\
         \x20           return 404 {};\n\
         \x20       }}\n",
        quote(NOT_FOUND_BODY)
    )
}

/// Kong's engine: ngx_wasm_module.
pub fn ngx_wasm_module(site: &Site, plugins: &[Plugin]) -> String {
    let mut out = head(&site.dir);
    out.push_str("wasm {\n");
    for p in plugins {
        let _ = writeln!(out, "    module {} {};", p.name, p.wasm.display());
    }
    // Kong's `nginx_wasm_shm_kv = 16m` (examples/kong/README.md): the default `*` namespace
    // that proxy_get/set_shared_data use.
    out.push_str("    shm_kv * 16m;\n}\n");
    out.push_str("http {\n");
    out.push_str(&http_common(site));
    // Kong's `nginx_http_wasm_response_body_buffers` (examples/kong/README.md): a whole
    // answer up to pii-redact's max_body_bytes is buffered for the response checks.
    out.push_str("    wasm_response_body_buffers 8 1m;\n");
    let _ = writeln!(out, "    server {{\n        listen {};", site.listen);
    let _ = writeln!(out, "        location ~ {} {{", llm_location_regex());
    for p in plugins {
        let _ = writeln!(
            out,
            "            proxy_wasm {} {};",
            p.name,
            quote(&p.config)
        );
    }
    out.push_str(&proxy_lines());
    out.push_str("        }\n");
    out.push_str(&not_found_location());
    out.push_str("    }\n}\n");
    out
}

/// APISIX's engine: wasm-nginx-module driven from Lua as APISIX drives it.
pub fn wasm_nginx_module(site: &Site, plugins: &[Plugin], lua: &LuaPaths) -> String {
    let mut out = head(&site.dir);
    out.push_str("http {\n");
    out.push_str(&http_common(site));
    out.push_str("    wasm_vm wasmtime;\n");
    let mut path = format!("{}/?.lua;", lua.loader_dir.display());
    for l in &lua.libs {
        let _ = write!(path, "{}/?.lua;", l.display());
    }
    let _ = writeln!(out, "    lua_package_path {};", quote(&format!("{path};")));
    // APISIX loads its plugins in init_worker (plugin.load); the modules are compiled there.
    out.push_str("    init_worker_by_lua_block {\n        require(\"guardrail_apisix\").init({\n");
    for p in plugins {
        let _ = writeln!(
            out,
            "            {{ name = {}, file = {}, conf = {} }},",
            lua_long_string(&p.name),
            lua_long_string(&p.wasm.display().to_string()),
            lua_long_string(&p.config)
        );
    }
    out.push_str("        })\n    }\n");
    let _ = writeln!(out, "    server {{\n        listen {};", site.listen);
    let _ = writeln!(out, "        location ~ {} {{", llm_location_regex());
    // APISIX's ngx_tpl.lua declares both variables; a plugin sets them through
    // proxy_set_property to ask for the body callbacks.
    out.push_str(
        "            set $wasm_process_req_body '';\n\
         \x20           set $wasm_process_resp_body '';\n\
         \x20           access_by_lua_block { require(\"guardrail_apisix\").access() }\n\
         \x20           header_filter_by_lua_block { require(\"guardrail_apisix\").header_filter() }\n\
         \x20           body_filter_by_lua_block { require(\"guardrail_apisix\").body_filter() }\n",
    );
    out.push_str(&proxy_lines());
    out.push_str("        }\n");
    out.push_str(&not_found_location());
    out.push_str("    }\n}\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn site() -> Site {
        Site {
            dir: PathBuf::from("/run/x"),
            listen: "127.0.0.1:18000".parse().expect("addr"),
            upstream: "127.0.0.1:18080".parse().expect("addr"),
        }
    }

    fn plugins() -> Vec<Plugin> {
        vec![
            Plugin {
                name: "key-auth".into(),
                wasm: PathBuf::from("/d/key-auth.wasm"),
                config: r#"{"a":"it's \n"}"#.into(),
            },
            Plugin {
                name: "pii-redact".into(),
                wasm: PathBuf::from("/d/pii-redact.wasm"),
                config: "{}".into(),
            },
        ]
    }

    #[test]
    fn quote_escapes_what_nginx_would_rewrite() {
        assert_eq!(quote(r#"{"a":"it's \n"}"#), r#"'{"a":"it\'s \\n"}'"#);
        assert_eq!(quote(""), "''");
    }

    #[test]
    fn lua_long_strings_cannot_be_closed_by_their_content() {
        assert_eq!(lua_long_string("ab"), "[[\nab]]");
        assert_eq!(lua_long_string("x]]y"), "[=[\nx]]y]=]");
        assert_eq!(lua_long_string("]]]=]"), "[==[\n]]]=]]==]");
    }

    #[test]
    fn ngx_wasm_module_conf_chains_every_plugin_on_loopback() {
        let c = ngx_wasm_module(&site(), &plugins());
        assert!(c.contains("module key-auth /d/key-auth.wasm;"), "{c}");
        assert!(c.contains("shm_kv * 16m;"), "{c}");
        assert!(c.contains("wasm_response_body_buffers 8 1m;"), "{c}");
        let ka = c.find("proxy_wasm key-auth").expect("key-auth filter");
        let pii = c.find("proxy_wasm pii-redact '{}';").expect("pii filter");
        assert!(ka < pii, "chain order");
        assert!(
            c.contains(r#"proxy_wasm key-auth '{"a":"it\'s \\n"}';"#),
            "{c}"
        );
        assert!(c.contains("listen 127.0.0.1:18000;"));
        assert!(c.contains("server 127.0.0.1:18080;"));
        assert!(c.contains("proxy_set_header x-guardrail-identity \"\";"));
        assert!(
            // The same API prefixes as Envoy's gateway routes, MCP included.
            c.contains("location ~ ^/(v1/|v1beta/|openai/deployments/|mcp/) {"),
            "{c}"
        );
        assert!(c.contains("return 404 '{\"error\""));
        assert_eq!(c.matches('{').count(), c.matches('}').count(), "{c}");
    }

    #[test]
    fn wasm_nginx_module_conf_loads_plugins_through_the_lua_loader() {
        let lua = LuaPaths {
            loader_dir: PathBuf::from("/run/x/lua"),
            libs: vec![PathBuf::from("/src/core/lib")],
        };
        let c = wasm_nginx_module(&site(), &plugins(), &lua);
        assert!(c.contains("wasm_vm wasmtime;"));
        assert!(
            c.contains("lua_package_path '/run/x/lua/?.lua;/src/core/lib/?.lua;;';"),
            "{c}"
        );
        assert!(c.contains("{ name = [[\nkey-auth]], file = [[\n/d/key-auth.wasm]], conf = [[\n{\"a\":\"it's \\n\"}]] },"), "{c}");
        assert!(c.contains("set $wasm_process_req_body '';"));
        assert!(c.contains("body_filter_by_lua_block"));
        assert!(
            !c.contains("proxy_wasm "),
            "no ngx_wasm_module directive: {c}"
        );
    }
}
