//! envoy: starts a real Envoy (V8 Wasm runtime) with a chain of proxy-wasm filters in front
//! of an upstream, waits until it is ready, captures its logs, and stops it on Drop.

pub mod bootstrap;
pub mod gateway;
pub mod paths;
pub mod replica;
pub mod test_chain;

use std::fmt;
use std::fs::{self, File};
use std::io;
use std::net::{Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

pub use bootstrap::{Bootstrap, Filter, Routes};

use crate::http_client::{self, Response, StreamingResponse};
use crate::mock_upstream::MockUpstream;

/// Start-up budget: V8 compiles every plugin before the listener opens; generous because the
/// CI machine has 2 shared cores. Reaching it is an error, never a silent skip.
pub const START_TIMEOUT: Duration = Duration::from_secs(90);

/// Why Envoy could not be run.
#[derive(Debug)]
pub enum EnvoyError {
    /// The binary or a plugin file is missing; the text says how to get it.
    Missing(String),
    Io(String, io::Error),
    /// Envoy exited during start-up (e.g. a plugin refused its configuration). `log` is its
    /// whole log, so a test can assert the reason.
    Exited {
        status: String,
        log: String,
    },
    /// Not ready within [`START_TIMEOUT`].
    NotReady {
        log: String,
    },
}

impl fmt::Display for EnvoyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EnvoyError::Missing(m) => write!(f, "{m}"),
            EnvoyError::Io(what, e) => write!(f, "{what}: {e}"),
            EnvoyError::Exited { status, log } => {
                write!(
                    f,
                    "Envoy exited during start-up ({status}); its log ends:\n{}",
                    tail(log, 30)
                )
            }
            EnvoyError::NotReady { log } => write!(
                f,
                "Envoy was not ready within {}s; its log ends:\n{}",
                START_TIMEOUT.as_secs(),
                tail(log, 30)
            ),
        }
    }
}

impl std::error::Error for EnvoyError {}

fn tail(log: &str, lines: usize) -> String {
    let all: Vec<&str> = log.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}

fn io_err(what: impl Into<String>) -> impl FnOnce(io::Error) -> EnvoyError {
    let what = what.into();
    move |e| EnvoyError::Io(what, e)
}

/// Where Envoy's output goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Output {
    /// Log and access log into files in the run directory (readable through [`Envoy`]).
    Capture,
    /// Inherit the terminal (`guardrail serve`).
    Terminal,
}

/// Configures and starts an [`Envoy`].
pub struct EnvoyBuilder {
    upstream: Option<SocketAddr>,
    filters: Vec<Filter>,
    listen_port: u16,
    admin_port: u16,
    routes: Routes,
    strip_identity_header: bool,
    working_dir: Option<PathBuf>,
    output: Output,
    log_level: String,
    binary: Option<PathBuf>,
    /// A whole bootstrap to run instead of the rendered one (`replica::render`).
    config_yaml: Option<String>,
}

static INSTANCE: AtomicU32 = AtomicU32::new(0);

impl EnvoyBuilder {
    pub fn upstream(mut self, up: &MockUpstream) -> Self {
        self.upstream = Some(up.addr());
        self
    }

    pub fn upstream_addr(mut self, addr: SocketAddr) -> Self {
        self.upstream = Some(addr);
        self
    }

    /// Appends a filter; filters run in the order added.
    pub fn filter(mut self, f: Filter) -> Self {
        self.filters.push(f);
        self
    }

    /// Listener port (default 0: a free port chosen by Envoy, read back from admin).
    pub fn listen_port(mut self, port: u16) -> Self {
        self.listen_port = port;
        self
    }

    /// Admin port (default 0: free).
    pub fn admin_port(mut self, port: u16) -> Self {
        self.admin_port = port;
        self
    }

    pub fn routes(mut self, routes: Routes) -> Self {
        self.routes = routes;
        self
    }

    /// Keep `x-guardrail-identity` on upstream requests (tests that inspect it).
    pub fn keep_identity_header(mut self) -> Self {
        self.strip_identity_header = false;
        self
    }

    /// Directory Envoy runs in (relative wasm paths resolve against it).
    pub fn working_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.working_dir = Some(dir.into());
        self
    }

    pub fn output(mut self, output: Output) -> Self {
        self.output = output;
        self
    }

    pub fn log_level(mut self, level: &str) -> Self {
        self.log_level = level.to_string();
        self
    }

    pub fn binary(mut self, path: impl Into<PathBuf>) -> Self {
        self.binary = Some(path.into());
        self
    }

    /// Run this bootstrap as it is (upstream, filters and routes given here are ignored).
    pub fn config_yaml(mut self, yaml: String) -> Self {
        self.config_yaml = Some(yaml);
        self
    }

    /// The bootstrap this builder would run.
    pub fn bootstrap(&self) -> Result<Bootstrap, EnvoyError> {
        let upstream = self
            .upstream
            .ok_or_else(|| EnvoyError::Missing("no upstream given to the Envoy builder".into()))?;
        Ok(Bootstrap {
            listen: SocketAddr::from((Ipv4Addr::LOCALHOST, self.listen_port)),
            admin: SocketAddr::from((Ipv4Addr::LOCALHOST, self.admin_port)),
            upstream,
            filters: self.filters.clone(),
            routes: self.routes,
            strip_identity_header: self.strip_identity_header,
            header_comment: vec!["Generated by guardrail_harness::envoy for one run.".into()],
            provider_examples: false,
        })
    }

    /// Writes the bootstrap, starts Envoy and waits until it serves.
    pub fn start(self) -> Result<Envoy, EnvoyError> {
        let binary = match &self.binary {
            Some(b) => b.clone(),
            None => paths::envoy_binary()?,
        };
        let workdir = self.working_dir.clone().unwrap_or_else(paths::repo_root);
        for f in &self.filters {
            let p = workdir.join(&f.wasm);
            if !p.is_file() {
                return Err(EnvoyError::Missing(format!(
                    "plugin {} not found at {}; run ./build.sh test (or ./build.sh) to build dist/*.wasm",
                    f.name,
                    p.display()
                )));
            }
        }
        let yaml = match self.config_yaml.clone() {
            Some(yaml) => yaml,
            None => bootstrap::render(&self.bootstrap()?),
        };
        let seq = INSTANCE.fetch_add(1, Ordering::SeqCst);
        let dir =
            std::env::temp_dir().join(format!("guardrail-envoy-{}-{seq}", std::process::id()));
        fs::create_dir_all(&dir).map_err(io_err(format!("create {}", dir.display())))?;
        let config = dir.join("envoy.yaml");
        fs::write(&config, yaml).map_err(io_err("write envoy.yaml"))?;
        let admin_file = dir.join("admin-address.txt");
        let mut cmd = Command::new(&binary);
        cmd.current_dir(&workdir)
            .arg("-c")
            .arg(&config)
            .args(["--concurrency", "1", "--log-level", &self.log_level])
            // Unique per instance, and hot restart off, so parallel tests never share the
            // hot-restart shared memory / domain socket.
            .args(["--base-id", &base_id(seq).to_string()])
            .arg("--disable-hot-restart")
            .args(["--file-flush-interval-msec", "100"])
            .arg("--admin-address-path")
            .arg(&admin_file)
            .stdin(Stdio::null());
        if self.output == Output::Capture {
            let log = File::create(dir.join("envoy.log")).map_err(io_err("create envoy.log"))?;
            let access =
                File::create(dir.join("access.log")).map_err(io_err("create access.log"))?;
            cmd.stdout(access).stderr(log);
        }
        let child = cmd
            .spawn()
            .map_err(io_err(format!("start {}", binary.display())))?;
        let mut envoy = Envoy {
            child,
            dir,
            listen: SocketAddr::from((Ipv4Addr::LOCALHOST, 0)),
            admin: SocketAddr::from((Ipv4Addr::LOCALHOST, 0)),
            stopped: false,
        };
        envoy.wait_ready(&admin_file)?;
        Ok(envoy)
    }
}

/// A base id no other running instance of this or a parallel test process uses.
fn base_id(seq: u32) -> u32 {
    (std::process::id() % 40_000) * 100 + seq % 100 + 1_000
}

/// A running Envoy. Dropping it kills the process and removes its run directory.
pub struct Envoy {
    child: Child,
    dir: PathBuf,
    listen: SocketAddr,
    admin: SocketAddr,
    stopped: bool,
}

impl Envoy {
    pub fn builder() -> EnvoyBuilder {
        EnvoyBuilder {
            upstream: None,
            filters: Vec::new(),
            listen_port: 0,
            admin_port: 0,
            routes: Routes::Everything,
            strip_identity_header: true,
            working_dir: None,
            output: Output::Capture,
            log_level: "info".into(),
            binary: None,
            config_yaml: None,
        }
    }

    fn wait_ready(&mut self, admin_file: &Path) -> Result<(), EnvoyError> {
        let deadline = Instant::now() + START_TIMEOUT;
        loop {
            if let Some(status) = self.child.try_wait().map_err(io_err("wait for Envoy"))? {
                self.stopped = true;
                return Err(EnvoyError::Exited {
                    status: describe(status),
                    log: self.log(),
                });
            }
            if let Some(admin) = read_admin_address(admin_file) {
                self.admin = admin;
                if let Some(listen) = self.ready_listener() {
                    self.listen = listen;
                    return Ok(());
                }
            }
            if Instant::now() > deadline {
                return Err(EnvoyError::NotReady { log: self.log() });
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// The gateway listener's bound address once admin says the server is LIVE.
    fn ready_listener(&self) -> Option<SocketAddr> {
        let ready = http_client::get(self.admin, "/ready", &[]).ok()?;
        if ready.status != 200 {
            return None;
        }
        let listeners = http_client::get(self.admin, "/listeners?format=json", &[]).ok()?;
        let v = listeners.json().ok()?;
        let sock = v.pointer("/listener_statuses/0/local_address/socket_address")?;
        let ip = sock.get("address")?.as_str()?.parse().ok()?;
        let port = u16::try_from(sock.get("port_value")?.as_u64()?).ok()?;
        Some(SocketAddr::new(ip, port))
    }

    /// The gateway listener.
    pub fn addr(&self) -> SocketAddr {
        self.listen
    }

    pub fn port(&self) -> u16 {
        self.listen.port()
    }

    pub fn admin_addr(&self) -> SocketAddr {
        self.admin
    }

    /// Envoy with the one plugin `dist/<name>.wasm` (configured with `config`) in front of `up`.
    /// For tests: panics with the reason (missing `.wasm` names `./build.sh`, a refused config
    /// carries Envoy's log).
    pub fn with_plugin(up: &MockUpstream, name: &str, config: &str) -> Envoy {
        Envoy::builder()
            .upstream(up)
            .filter(Filter::new(name, crate::host::dist_path(name), config))
            .start()
            .unwrap_or_else(|e| {
                panic!("Envoy with {name} did not start (run ./build.sh test): {e}")
            })
    }

    /// The Envoy process id (for RSS readings in soak tests and the benchmark).
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// The run directory (envoy.yaml, envoy.log, access.log).
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    pub fn request(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: Option<&[u8]>,
    ) -> io::Result<Response> {
        http_client::request(self.listen, method, path, headers, body)
    }

    /// POST (content-type application/json unless given).
    pub fn post(&self, path: &str, headers: &[(&str, &str)], body: &[u8]) -> io::Result<Response> {
        http_client::post(self.listen, path, headers, body)
    }

    pub fn get(&self, path: &str, headers: &[(&str, &str)]) -> io::Result<Response> {
        http_client::get(self.listen, path, headers)
    }

    /// Sends a request and returns as soon as the response head arrives (read SSE as it comes).
    pub fn send(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: Option<&[u8]>,
    ) -> io::Result<StreamingResponse> {
        http_client::send(self.listen, method, path, headers, body)
    }

    /// POSTs a body split into `chunks` (chunked transfer, a short pause between chunks) so the
    /// plugins see several request-body callbacks; reads the whole response.
    pub fn post_chunked(
        &self,
        path: &str,
        headers: &[(&str, &str)],
        chunks: &[&[u8]],
    ) -> io::Result<Response> {
        let mut all: Vec<(&str, &str)> = headers.to_vec();
        if !headers
            .iter()
            .any(|(k, _)| k.eq_ignore_ascii_case("content-type"))
        {
            all.push(("content-type", "application/json"));
        }
        http_client::send_chunked(
            self.listen,
            "POST",
            path,
            &all,
            chunks,
            Duration::from_millis(20),
        )?
        .into_response()
    }

    pub fn admin_get(&self, path: &str) -> io::Result<Response> {
        http_client::get(self.admin, path, &[])
    }

    /// Envoy's whole application log so far (plugin logs included).
    pub fn log(&self) -> String {
        fs::read(self.dir.join("envoy.log"))
            .map(|b| String::from_utf8_lossy(&b).into_owned())
            .unwrap_or_default()
    }

    /// Envoy's application log file.
    pub fn log_path(&self) -> PathBuf {
        self.dir.join("envoy.log")
    }

    /// The JSON access log file.
    pub fn access_log_path(&self) -> PathBuf {
        self.dir.join("access.log")
    }

    /// Lines a plugin logged through proxy_log (Envoy prefixes them with `wasm log`).
    pub fn plugin_log_lines(&self) -> Vec<String> {
        plugin_lines(&self.log())
    }

    /// The verdict log objects (`{"guardrail": ...}`) plugins logged so far.
    pub fn verdicts(&self) -> Vec<serde_json::Value> {
        verdicts_in(&self.log())
    }

    /// Waits until the log contains `needle` (logs are written asynchronously); false when it
    /// did not appear within `timeout`.
    pub fn wait_for_log(&self, needle: &str, timeout: Duration) -> bool {
        let deadline = Instant::now() + timeout;
        loop {
            if self.log().contains(needle) {
                return true;
            }
            if Instant::now() > deadline {
                return false;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// The JSON access log entries so far.
    pub fn access_log(&self) -> Vec<serde_json::Value> {
        fs::read_to_string(self.dir.join("access.log"))
            .unwrap_or_default()
            .lines()
            .filter_map(|l| serde_json::from_str(l).ok())
            .collect()
    }

    /// Waits until the access log has the entry of `request_id` (Envoy writes it when the
    /// stream ends, after every plugin callback, and flushes every 100 ms); None on timeout.
    pub fn wait_for_access_log(
        &self,
        request_id: &str,
        timeout: Duration,
    ) -> Option<serde_json::Value> {
        let deadline = Instant::now() + timeout;
        loop {
            let found = self.access_log().into_iter().find(|e| {
                e.get("request_id").and_then(serde_json::Value::as_str) == Some(request_id)
            });
            if found.is_some() || Instant::now() > deadline {
                return found;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Waits for the process to exit by itself (`guardrail serve`).
    pub fn wait(&mut self) -> io::Result<ExitStatus> {
        let s = self.child.wait();
        self.stopped = true;
        s
    }

    /// Non-blocking: the exit status if Envoy has exited.
    pub fn try_wait(&mut self) -> io::Result<Option<ExitStatus>> {
        let s = self.child.try_wait()?;
        if s.is_some() {
            self.stopped = true;
        }
        Ok(s)
    }

    /// Stops Envoy now (SIGKILL: nothing to drain in tests) and waits for it.
    pub fn stop(&mut self) {
        if !self.stopped {
            let _ = self.child.kill();
            let _ = self.child.wait();
            self.stopped = true;
        }
    }
}

impl Drop for Envoy {
    fn drop(&mut self) {
        self.stop();
        if std::env::var_os("GUARDRAIL_KEEP_ENVOY_DIR").is_none() {
            let _ = fs::remove_dir_all(&self.dir);
        }
    }
}

fn describe(status: ExitStatus) -> String {
    match status.code() {
        Some(c) => format!("exit code {c}"),
        None => "killed by a signal".into(),
    }
}

fn read_admin_address(file: &Path) -> Option<SocketAddr> {
    fs::read_to_string(file).ok()?.trim().parse().ok()
}

/// One line a plugin logged through proxy_log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PluginLine {
    /// The plugin (filter config `name`).
    pub plugin: String,
    /// Envoy's level word: trace, debug, info, warning, error, critical.
    pub level: String,
    pub message: String,
}

/// Plugin log lines in an Envoy log. Envoy writes them as
/// `[time][thread][level][wasm] [source] wasm log <plugin> <root_id> [<vm_id>]: <message>`.
pub fn plugin_entries(log: &str) -> Vec<PluginLine> {
    log.lines()
        .filter_map(|l| {
            let (prefix, rest) = l.split_once(" wasm log ")?;
            let level = prefix
                .split(']')
                .nth(2)
                .unwrap_or("")
                .trim_start_matches('[');
            let (names, message) = rest.split_once(": ")?;
            Some(PluginLine {
                plugin: names.split(' ').next().unwrap_or("").to_string(),
                level: level.to_string(),
                message: message.to_string(),
            })
        })
        .collect()
}

/// The messages of the plugin log lines in an Envoy log.
pub fn plugin_lines(log: &str) -> Vec<String> {
    plugin_entries(log).into_iter().map(|p| p.message).collect()
}

/// The verdict objects among plugin log lines.
pub fn verdicts_in(log: &str) -> Vec<serde_json::Value> {
    plugin_lines(log)
        .iter()
        .filter_map(|m| serde_json::from_str::<serde_json::Value>(m).ok())
        .filter(|v| v.get("guardrail").is_some())
        .collect()
}

/// Follows a growing log file: each call returns the complete lines added since the last.
pub struct LogTail {
    path: PathBuf,
    offset: usize,
}

impl LogTail {
    /// Starts at the current end of the file (only lines written from now on are returned).
    pub fn from_end(path: impl Into<PathBuf>) -> LogTail {
        let path = path.into();
        let offset = fs::metadata(&path).map_or(0, |m| m.len() as usize);
        LogTail { path, offset }
    }

    pub fn new_lines(&mut self) -> Vec<String> {
        let Ok(bytes) = fs::read(&self.path) else {
            return Vec::new();
        };
        let Some(fresh) = bytes.get(self.offset..) else {
            // The file shrank (rotated): start over.
            self.offset = 0;
            return Vec::new();
        };
        // Only complete lines; a partly written one is read next time.
        let Some(end) = fresh.iter().rposition(|&b| b == b'\n') else {
            return Vec::new();
        };
        self.offset += end + 1;
        String::from_utf8_lossy(fresh.get(..end).unwrap_or(&[]))
            .lines()
            .map(str::to_string)
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plugin_entries_parse_envoy_wasm_log_lines() {
        let log = "[2026-11-25 04:31:27.982][10931][info][wasm] [source/extensions/common/wasm/context.cc:1151] wasm log pii-redact pii-redact pii-redact: {\"guardrail\":\"pii-redact\"}\n\
                   [2026-11-25 04:31:28.735][10935][error][wasm] [source/x.cc:1] wasm log key-auth key-auth: config: field `keys`: missing\n\
                   [2026-11-25 04:31:28.736][10935][critical][wasm] [source/y.cc:2] Plugin key-auth failed to load\n";
        let e = plugin_entries(log);
        assert_eq!(e.len(), 2);
        assert_eq!(e[0].plugin, "pii-redact");
        assert_eq!(e[0].level, "info");
        assert_eq!(e[1].level, "error");
        assert_eq!(e[1].message, "config: field `keys`: missing");
        assert_eq!(verdicts_in(log).len(), 1);
    }

    #[test]
    fn log_tail_returns_only_new_complete_lines() {
        let path = std::env::temp_dir().join(format!("logtail-{}", std::process::id()));
        fs::write(&path, "old\n").expect("write");
        let mut t = LogTail::from_end(&path);
        assert!(t.new_lines().is_empty());
        fs::write(&path, "old\nnew 1\npart").expect("write");
        assert_eq!(t.new_lines(), ["new 1"]);
        fs::write(&path, "old\nnew 1\npartial done\n").expect("write");
        assert_eq!(t.new_lines(), ["partial done"]);
        let _ = fs::remove_file(&path);
    }
}
