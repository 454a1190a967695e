//! `Host::builder(path)...build()`: compiles (once per file, cached) and instantiates a plugin,
//! then runs Envoy's start-up sequence: `_initialize`, root `proxy_on_context_create`,
//! `proxy_on_vm_start`, `proxy_on_configure`.

use std::cell::RefCell;
use std::collections::HashMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::rc::Rc;
use std::sync::{Mutex, OnceLock};

use wasmtime::{Config, Engine, Module, Store};

use super::imports;
use super::profile::HostProfile;
use super::runtime::{describe, Called, Runtime};
use super::shared::SharedData;
use super::state::{HostState, LogLevel};
use super::Host;

/// Why a plugin could not be loaded or started.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HostError {
    /// The .wasm file could not be read.
    Io { path: PathBuf, reason: String },
    /// Not a valid wasm module (or wasmtime cannot compile it).
    Compile(String),
    /// A wasm module without a proxy-wasm ABI version export (Envoy: "Missing or unknown
    /// Proxy-Wasm ABI version").
    NotProxyWasm(String),
    /// Instantiation failed (e.g. a trap in the start function).
    Instantiate(String),
    /// A start-up callback trapped.
    Trap { callback: String, message: String },
    /// `proxy_on_vm_start` or `proxy_on_configure` returned false; the plugin's logs say why.
    Rejected { logs: Vec<(LogLevel, String)> },
    /// `respond_http_call` with a token that is not pending.
    UnknownHttpCall(u32),
}

impl fmt::Display for HostError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HostError::Io { path, reason } => write!(f, "cannot read {}: {reason}", path.display()),
            HostError::Compile(r) => write!(f, "invalid wasm module: {r}"),
            HostError::NotProxyWasm(r) => write!(f, "not a proxy-wasm plugin: {r}"),
            HostError::Instantiate(r) => write!(f, "instantiation failed: {r}"),
            HostError::Trap { callback, message } => write!(f, "{callback} trapped: {message}"),
            HostError::Rejected { logs } => {
                write!(f, "the plugin refused to start")?;
                for (level, line) in logs {
                    write!(f, "\n  [{level:?}] {line}")?;
                }
                Ok(())
            }
            HostError::UnknownHttpCall(t) => write!(f, "no pending http call with token {t}"),
        }
    }
}

impl std::error::Error for HostError {}

/// The proxy-wasm ABI versions this host speaks (exported by the plugin as a marker function).
const ABI_VERSIONS: [&str; 2] = ["proxy_abi_version_0_2_1", "proxy_abi_version_0_2_0"];

/// Two engines: unoptimised code compiles about twice as fast (what tests want); `optimized`
/// runs faster (wall-time benchmarks). Fuel counts wasm operators, so it is the same in both.
fn engine(optimized: bool) -> &'static Engine {
    static ENGINES: [OnceLock<Engine>; 2] = [OnceLock::new(), OnceLock::new()];
    ENGINES[usize::from(optimized)].get_or_init(|| {
        let mut cfg = Config::new();
        cfg.consume_fuel(true);
        cfg.cranelift_opt_level(if optimized {
            wasmtime::OptLevel::Speed
        } else {
            wasmtime::OptLevel::None
        });
        Engine::new(&cfg).unwrap_or_else(|e| panic!("wasmtime engine: {e}"))
    })
}

/// Compiled modules by engine and content, so the many `Host`s of a test file compile a
/// plugin once.
fn compile(bytes: &[u8], optimized: bool) -> Result<Module, HostError> {
    type Cache = HashMap<(bool, Vec<u8>), Module>;
    static CACHE: OnceLock<Mutex<Cache>> = OnceLock::new();
    let cache = CACHE.get_or_init(Default::default);
    // Compile under the lock: parallel tests of one file wait for one compilation instead of
    // all compiling the same plugin at once.
    let mut cache = cache.lock().unwrap_or_else(|e| e.into_inner());
    let key = (optimized, bytes.to_vec());
    if let Some(m) = cache.get(&key) {
        return Ok(m.clone());
    }
    let module =
        Module::new(engine(optimized), bytes).map_err(|e| HostError::Compile(describe(&e)))?;
    cache.insert(key, module.clone());
    Ok(module)
}

enum Source {
    Path(PathBuf),
    Bytes(Vec<u8>),
}

/// Configures and starts a `Host` (see `Host::builder`).
pub struct HostBuilder {
    source: Source,
    profile: HostProfile,
    plugin_config: Vec<u8>,
    vm_config: Vec<u8>,
    time_unix_nanos: Option<u64>,
    clock_step_nanos: u64,
    shared: Option<SharedData>,
    properties: Vec<(String, Vec<u8>)>,
    log_level: LogLevel,
    optimized: bool,
    headers_stop_iteration: Option<bool>,
}

impl HostBuilder {
    pub(crate) fn from_path(path: &Path) -> HostBuilder {
        HostBuilder::new(Source::Path(path.to_path_buf()))
    }

    pub(crate) fn from_bytes(bytes: Vec<u8>) -> HostBuilder {
        HostBuilder::new(Source::Bytes(bytes))
    }

    fn new(source: Source) -> HostBuilder {
        HostBuilder {
            source,
            profile: HostProfile::Envoy,
            headers_stop_iteration: None,
            plugin_config: Vec::new(),
            vm_config: Vec::new(),
            time_unix_nanos: None,
            clock_step_nanos: 0,
            shared: None,
            properties: Vec::new(),
            log_level: LogLevel::Info,
            optimized: false,
        }
    }

    pub fn profile(mut self, profile: HostProfile) -> Self {
        self.profile = profile;
        self
    }

    /// Bytes `proxy_on_configure` reads as the plugin configuration.
    pub fn plugin_config(mut self, config: impl AsRef<[u8]>) -> Self {
        self.plugin_config = config.as_ref().to_vec();
        self
    }

    /// Bytes `proxy_on_vm_start` reads as the VM configuration.
    pub fn vm_config(mut self, config: impl AsRef<[u8]>) -> Self {
        self.vm_config = config.as_ref().to_vec();
        self
    }

    /// The clock seen by `proxy_get_current_time_nanoseconds` and WASI `clock_time_get`.
    pub fn time_unix_nanos(mut self, t: u64) -> Self {
        self.time_unix_nanos = Some(t);
        self
    }

    /// Moves the clock on by `step` after every read, so timings a plugin measures with the
    /// clock (e.g. `timings_us`) are non-zero and deterministic. Default 0: a frozen clock.
    pub fn clock_step_nanos(mut self, step: u64) -> Self {
        self.clock_step_nanos = step;
        self
    }

    /// Share data (and CAS) with other hosts built with a clone of `shared`.
    pub fn shared_data(mut self, shared: SharedData) -> Self {
        self.shared = Some(shared);
        self
    }

    /// A host-wide property (`proxy_get_property`), path segments joined with dots, e.g.
    /// `"plugin_name"` or `"node.metadata.region"`.
    pub fn property(mut self, path: &str, value: impl AsRef<[u8]>) -> Self {
        self.properties
            .push((path.to_string(), value.as_ref().to_vec()));
        self
    }

    /// What `proxy_get_log_level` answers (default Info, like Envoy). Every `proxy_log` line is
    /// recorded whatever its level.
    pub fn log_level(mut self, level: LogLevel) -> Self {
        self.log_level = level;
        self
    }

    /// Compile with Cranelift optimisations (slower to load, faster to run: wall-time
    /// benchmarks). Default off: tests load faster. Fuel is the same either way.
    pub fn optimized(mut self, on: bool) -> Self {
        self.optimized = on;
        self
    }

    /// Envoy's `allow_on_headers_stop_iteration` (wasm PluginConfig): with it, a headers
    /// callback returning Pause holds the headers and the body callbacks still run (the
    /// headers go on with the body once a body callback continues); without it Envoy stops
    /// all iteration and runs no body callback until the stream is continued. Default: on for
    /// the Envoy profile (the shipped configs set it), off for Kong and APISIX.
    pub fn headers_stop_iteration(mut self, on: bool) -> Self {
        self.headers_stop_iteration = Some(on);
        self
    }

    pub fn build(self) -> Result<Host, HostError> {
        let bytes = match &self.source {
            Source::Path(p) => std::fs::read(p).map_err(|e| HostError::Io {
                path: p.clone(),
                reason: e.to_string(),
            })?,
            Source::Bytes(b) => b.clone(),
        };
        let module = compile(&bytes, self.optimized)?;
        if !ABI_VERSIONS.iter().any(|v| module.get_export(v).is_some()) {
            return Err(HostError::NotProxyWasm(
                "Missing or unknown Proxy-Wasm ABI version (no proxy_abi_version_0_2_1 export)"
                    .to_string(),
            ));
        }
        let shared = self.shared.unwrap_or_default();
        let mut state = HostState::new(self.profile, shared);
        state.plugin_config = self.plugin_config;
        state.vm_config = self.vm_config;
        state.log_level = self.log_level;
        state.clock_step_nanos = self.clock_step_nanos;
        let envoy = self.profile == HostProfile::Envoy;
        state.headers_stop_iteration = self.headers_stop_iteration.unwrap_or(envoy);
        if let Some(t) = self.time_unix_nanos {
            state.time_unix_nanos = t;
        }
        // Envoy's plugin name is the filter's name; the runner names filters after the file.
        let name = match &self.source {
            Source::Path(p) => p.file_stem().map(|s| s.to_string_lossy().into_owned()),
            Source::Bytes(_) => None,
        };
        let name = name.unwrap_or_else(|| "plugin".to_string());
        state
            .properties
            .insert("plugin_name".into(), name.into_bytes());
        state.properties.insert("plugin_root_id".into(), Vec::new());
        state.properties.insert("plugin_vm_id".into(), Vec::new());
        if envoy {
            // Envoy answers `xds.node` (the bootstrap's node, serialized; empty here).
            state.properties.insert("xds.node".into(), Vec::new());
        }
        for (k, v) in self.properties {
            state.properties.insert(k, v);
        }
        let mut store = Store::new(engine(self.optimized), state);
        let _ = store.set_fuel(super::runtime::FUEL_PER_CALLBACK);
        let (linker, stubbed) = imports::linker(&mut store, &module)
            .map_err(|e| HostError::Instantiate(describe(&e)))?;
        store.data_mut().stubbed_imports = stubbed;
        let instance = linker
            .instantiate(&mut store, &module)
            .map_err(|e| HostError::Instantiate(describe(&e)))?;
        let mut rt = Runtime {
            store,
            instance,
            next_context: 2,
            queued: HashMap::new(),
        };
        let root = rt.state().root_id as i32;
        let start = if module.get_export("_initialize").is_some() {
            "_initialize"
        } else {
            "_start"
        };
        let vm_len = rt.state().vm_config.len() as i32;
        let cfg_len = rt.state().plugin_config.len() as i32;
        let steps: [(&str, Vec<i32>); 4] = [
            (start, vec![]),
            ("proxy_on_context_create", vec![root, 0]),
            ("proxy_on_vm_start", vec![root, vm_len]),
            ("proxy_on_configure", vec![root, cfg_len]),
        ];
        for (name, args) in steps {
            match rt.call(name, root as u32, &args) {
                Called::Trapped(message) => {
                    return Err(HostError::Trap {
                        callback: name.to_string(),
                        message,
                    })
                }
                Called::Returned(Some(0))
                    if name.starts_with("proxy_on_") && name != "proxy_on_context_create" =>
                {
                    return Err(HostError::Rejected {
                        logs: rt.state().logs.clone(),
                    })
                }
                _ => {}
            }
        }
        Ok(Host {
            rt: Rc::new(RefCell::new(rt)),
        })
    }
}
