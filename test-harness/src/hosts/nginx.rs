//! A real nginx built with a proxy-wasm module: writes the conf into a fresh run directory,
//! starts the binary (master + one worker, in the foreground), waits until it accepts
//! connections on its loopback port, sends requests, reads its logs, and stops it on Drop
//! (`nginx -s stop`, then a kill if the master is still there).

use std::fs;
use std::io;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use crate::envoy::PluginLine;
use crate::http_client::{self, StreamingResponse};

/// Start-up budget: the master compiles every module once for a check and the worker again.
pub const START_TIMEOUT: Duration = Duration::from_secs(120);

static INSTANCE: AtomicU32 = AtomicU32::new(0);

/// A free loopback port (bound and released; nginx binds it right after).
pub fn free_port() -> io::Result<u16> {
    Ok(TcpListener::bind(("127.0.0.1", 0))?.local_addr()?.port())
}

/// A fresh run directory under the temp dir, with the temp-file subdirectories nginx needs.
pub fn run_dir(label: &str) -> io::Result<PathBuf> {
    let seq = INSTANCE.fetch_add(1, Ordering::SeqCst);
    let dir = std::env::temp_dir().join(format!("guardrail-{label}-{}-{seq}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    for sub in ["logs", "tmp", "lua"] {
        fs::create_dir_all(dir.join(sub))?;
    }
    Ok(dir)
}

/// A running nginx. Dropping it stops the server and removes its run directory (kept when
/// `GUARDRAIL_KEEP_ENVOY_DIR` is set, like Envoy's, so `./build.sh test` can audit the logs).
pub struct Nginx {
    binary: PathBuf,
    child: Child,
    dir: PathBuf,
    listen: SocketAddr,
    stopped: bool,
}

impl Nginx {
    /// Starts `binary` with `conf` (already rendered for `dir` and `listen`); an error with the
    /// error log when it exits or does not listen within [`START_TIMEOUT`].
    pub fn start(
        binary: &Path,
        dir: &Path,
        conf: &str,
        listen: SocketAddr,
    ) -> anyhow::Result<Nginx> {
        let conf_path = dir.join("nginx.conf");
        fs::write(&conf_path, conf)?;
        let stderr = fs::File::create(dir.join("stderr.log"))?;
        let child = Command::new(binary)
            .arg("-p")
            .arg(dir)
            .arg("-c")
            .arg(&conf_path)
            .arg("-e")
            .arg(dir.join("error.log"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(stderr)
            .spawn()
            .map_err(|e| anyhow::anyhow!("cannot start {}: {e}", binary.display()))?;
        let mut nginx = Nginx {
            binary: binary.to_path_buf(),
            child,
            dir: dir.to_path_buf(),
            listen,
            stopped: false,
        };
        let deadline = Instant::now() + START_TIMEOUT;
        loop {
            if let Some(status) = nginx.child.try_wait()? {
                nginx.stopped = true;
                anyhow::bail!(
                    "nginx exited at start ({status}):\n{}{}",
                    nginx.read("stderr.log"),
                    nginx.log()
                );
            }
            if TcpStream::connect_timeout(&listen, Duration::from_millis(200)).is_ok() {
                return Ok(nginx);
            }
            if Instant::now() > deadline {
                anyhow::bail!("nginx did not listen on {listen}:\n{}", nginx.log());
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    pub fn addr(&self) -> SocketAddr {
        self.listen
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn read(&self, name: &str) -> String {
        fs::read(self.dir.join(name))
            .map(|b| String::from_utf8_lossy(&b).into_owned())
            .unwrap_or_default()
    }

    /// The error log (plugin lines included) so far.
    pub fn log(&self) -> String {
        self.read("error.log")
    }

    pub fn log_path(&self) -> PathBuf {
        self.dir.join("error.log")
    }

    pub fn send(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: Option<&[u8]>,
    ) -> io::Result<StreamingResponse> {
        http_client::send(self.listen, method, path, headers, body)
    }

    /// Waits until the access log has the line of `request_id` (nginx writes it in the log
    /// phase, after every filter callback); false on timeout.
    pub fn wait_for_access_log(&self, request_id: &str, timeout: Duration) -> bool {
        let needle = format!("\"request_id\":\"{request_id}\"");
        let deadline = Instant::now() + timeout;
        loop {
            if self.read("access.log").contains(&needle) {
                return true;
            }
            if Instant::now() > deadline {
                return false;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Plugin lines of the error log; see [`plugin_entries`].
    pub fn plugin_entries(&self) -> Vec<PluginLine> {
        plugin_entries(&self.log())
    }

    pub fn stop(&mut self) {
        if self.stopped {
            return;
        }
        let _ = Command::new(&self.binary)
            .arg("-p")
            .arg(&self.dir)
            .arg("-c")
            .arg(self.dir.join("nginx.conf"))
            .args(["-s", "stop"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                self.stopped = true;
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
        self.stopped = true;
    }
}

impl Drop for Nginx {
    fn drop(&mut self) {
        self.stop();
        if std::env::var_os("GUARDRAIL_KEEP_ENVOY_DIR").is_none() {
            let _ = fs::remove_dir_all(&self.dir);
        }
    }
}

/// nginx's level word in `YYYY/MM/DD HH:MM:SS [level] pid#tid: ...`.
fn level_of(line: &str) -> Option<&str> {
    let open = line.find(" [")?;
    let rest = line.get(open + 2..)?;
    rest.split_once(']').map(|(l, _)| l)
}

/// What a plugin logged, out of nginx's error log. Both modules hand proxy_log text to
/// `ngx_log_error`, which prefixes it and appends the request context:
/// - ngx_wasm_module: `... [info] 1#0: *3 [wasm] <message> <context>` where the context is
///   `, client: ..., server: ..., request: "...", ...` or ` while ...`;
/// - wasm-nginx-module: `... [info] 1#0: *3 <message>, client: ..., request: "..."`.
///
/// A verdict line is a JSON object and is cut exactly at its end; other messages are cut
/// before `, client: ` / ` while `. The plugin name is the verdict's `guardrail` field, else
/// the filter name ngx_wasm_module adds (`filter "key-auth"`), else "".
pub fn plugin_entries(log: &str) -> Vec<PluginLine> {
    log.lines()
        .filter_map(|l| {
            let level = level_of(l)?.to_string();
            let (_, after) = l.split_once(": *")?;
            let msg = after.split_once(' ').map_or("", |(_, m)| m);
            let msg = msg.strip_prefix("[wasm] ").unwrap_or(msg);
            if let Some(at) = msg.find("{\"guardrail\"") {
                let json = msg.get(at..)?;
                let mut it =
                    serde_json::Deserializer::from_str(json).into_iter::<serde_json::Value>();
                let v = it.next()?.ok()?;
                let end = at + it.byte_offset();
                let plugin = v
                    .get("guardrail")
                    .and_then(serde_json::Value::as_str)
                    .unwrap_or("")
                    .to_string();
                return Some(PluginLine {
                    plugin,
                    level,
                    message: msg.get(at..end)?.to_string(),
                });
            }
            if !is_plugin_message(msg) {
                return None;
            }
            let cut = [", client: ", " while ", ", context: "]
                .iter()
                .filter_map(|m| msg.find(m))
                .min()
                .unwrap_or(msg.len());
            let text = msg.get(..cut)?.to_string();
            let plugin = text
                .split_once("filter \"")
                .and_then(|(_, r)| r.split_once('"'))
                .map(|(n, _)| n.to_string())
                .unwrap_or_default();
            Some(PluginLine {
                plugin,
                level,
                message: text,
            })
        })
        .collect()
}

/// Lines that come from a plugin rather than from nginx itself: ngx_wasm_module tags its
/// lines `[wasm]`; wasm-nginx-module logs plugin text bare, so anything mentioning a
/// guardrail config error or verdict counts.
fn is_plugin_message(msg: &str) -> bool {
    msg.contains("guardrail") || msg.contains("config") || msg.contains("[proxy-wasm]")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verdict_lines_are_cut_at_the_end_of_their_json() {
        let log = "2026/12/03 15:40:00 [info] 7#0: *3 [wasm] {\"guardrail\":\"pii-redact\",\"verdict\":\"redact\"} while sending to client, client: 127.0.0.1, server: , request: \"POST /v1/chat/completions HTTP/1.1\"\n\
                   2026/12/03 15:40:00 [info] 7#0: *4 {\"guardrail\":\"key-auth\",\"verdict\":\"block\",\"note\":\"a, client: b\"}, client: 127.0.0.1, server: , request: \"POST /v1/x HTTP/1.1\"\n\
                   2026/12/03 15:40:01 [notice] 7#0: start worker processes\n";
        let e = plugin_entries(log);
        assert_eq!(e.len(), 2, "{e:?}");
        assert_eq!(e[0].plugin, "pii-redact");
        assert_eq!(e[0].level, "info");
        assert_eq!(
            e[0].message,
            "{\"guardrail\":\"pii-redact\",\"verdict\":\"redact\"}"
        );
        assert_eq!(e[1].plugin, "key-auth");
        assert!(
            e[1].message.ends_with("\"a, client: b\"}"),
            "{}",
            e[1].message
        );
    }

    #[test]
    fn other_plugin_messages_lose_nginx_context() {
        let log = "2026/12/03 15:40:00 [crit] 7#0: *1 [wasm] config: keys[0]: missing field \"id\" while executing request, client: 127.0.0.1\n";
        let e = plugin_entries(log);
        assert_eq!(e.len(), 1);
        assert_eq!(e[0].level, "crit");
        assert_eq!(e[0].message, "config: keys[0]: missing field \"id\"");
    }
}
