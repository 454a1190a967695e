//! hosts: the example gateway's chain run in the two nginx-based proxy-wasm hosts, built from
//! their public sources by `./build.sh hosts` (scripts/hosts.sh):
//! - Kong's Wasm engine, ngx_wasm_module (Kong/ngx_wasm_module) in plain nginx;
//! - APISIX's, wasm-nginx-module (api7/wasm-nginx-module) in nginx with lua-nginx-module,
//!   driven by a Lua loader that calls it as APISIX's `apisix/wasm.lua` does.
//!
//! Binaries and Lua paths come from the environment (`GUARDRAIL_NGX_WASM_NGINX`,
//! `GUARDRAIL_WASM_NGINX_NGINX`, `GUARDRAIL_WASM_NGINX_LUA_PATH`), set by the build script;
//! nothing here fetches or builds anything.

pub mod conf;
pub mod gateway;
pub mod nginx;

use std::net::{Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};

use crate::envoy::gateway as envoy_gateway;
use conf::{LuaPaths, Plugin, Site};
pub use gateway::{Gateway, NginxGateway};
pub use nginx::Nginx;

/// The nginx-based hosts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Kong's engine: Kong/ngx_wasm_module.
    NgxWasm,
    /// APISIX's engine: api7/wasm-nginx-module under lua-nginx-module.
    WasmNginx,
}

impl Kind {
    pub const ALL: [Kind; 2] = [Kind::NgxWasm, Kind::WasmNginx];

    /// The name used in reports, overlay files and docs/HOSTS.md.
    pub fn name(self) -> &'static str {
        match self {
            Kind::NgxWasm => "ngx_wasm_module",
            Kind::WasmNginx => "wasm-nginx-module",
        }
    }

    /// The environment variable naming the nginx binary built with this host.
    pub fn binary_var(self) -> &'static str {
        match self {
            Kind::NgxWasm => "GUARDRAIL_NGX_WASM_NGINX",
            Kind::WasmNginx => "GUARDRAIL_WASM_NGINX_NGINX",
        }
    }

    pub fn from_name(name: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.name() == name)
    }
}

/// Directories of the Lua libraries the APISIX flavour needs (`lib/` of lua-resty-core,
/// lua-resty-lrucache, lua-resty-http, wasm-nginx-module), `:`-separated.
pub const LUA_PATH_VAR: &str = "GUARDRAIL_WASM_NGINX_LUA_PATH";

/// The binary for `kind` from its environment variable, when set and present.
pub fn binary(kind: Kind) -> Option<PathBuf> {
    let p = PathBuf::from(std::env::var_os(kind.binary_var()).filter(|v| !v.is_empty())?);
    p.is_file().then_some(p)
}

/// The example gateway's plugins (chain order, configs from `examples/envoy/plugins/`), their
/// `.wasm` in `dist` (absolute: nginx runs from its own run directory).
pub fn chain(root: &Path, dist: &Path) -> anyhow::Result<Vec<Plugin>> {
    let mut out = Vec::new();
    for f in envoy_gateway::filters(root)? {
        let wasm = dist.join(format!("{}.wasm", f.name));
        if !wasm.is_file() {
            anyhow::bail!(
                "{} not found; run ./build.sh to build dist/*.wasm",
                wasm.display()
            );
        }
        out.push(Plugin {
            name: f.name,
            wasm,
            config: f.config,
        });
    }
    Ok(out)
}

/// Starts `kind`'s nginx (`binary`) with `plugins` in front of `upstream` on a free loopback
/// port.
pub fn start(
    kind: Kind,
    binary: &Path,
    plugins: &[Plugin],
    upstream: SocketAddr,
) -> anyhow::Result<Nginx> {
    let dir = nginx::run_dir(kind.name())?;
    let listen = SocketAddr::from((Ipv4Addr::LOCALHOST, nginx::free_port()?));
    let site = Site {
        dir: dir.clone(),
        listen,
        upstream,
    };
    let text = match kind {
        Kind::NgxWasm => conf::ngx_wasm_module(&site, plugins),
        Kind::WasmNginx => {
            let lua_dir = dir.join("lua");
            std::fs::write(
                lua_dir.join("guardrail_apisix.lua"),
                include_str!("apisix_loader.lua"),
            )?;
            let libs: Vec<PathBuf> = std::env::var(LUA_PATH_VAR)
                .unwrap_or_default()
                .split(':')
                .filter(|s| !s.is_empty())
                .map(PathBuf::from)
                .collect();
            if libs.is_empty() {
                anyhow::bail!("{LUA_PATH_VAR} is not set (the Lua libraries wasm-nginx-module needs); ./build.sh hosts sets it");
            }
            conf::wasm_nginx_module(
                &site,
                plugins,
                &LuaPaths {
                    loader_dir: lua_dir,
                    libs,
                },
            )
        }
    };
    Nginx::start(binary, &dir, &text, listen)
}
