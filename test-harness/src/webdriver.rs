//! webdriver: drives Debian's headless Chromium through chromedriver with the W3C WebDriver
//! protocol (JSON over HTTP on loopback), for the review page's browser test. Blocking and
//! small on purpose: the harness's HTTP client carries it, so the test adds no async runtime
//! to the build.
//!
//! Chromium runs with the flags a closed network needs (no background networking, component
//! updates or sync) and a fresh profile directory per session.

use crate::http_client;
use anyhow::{anyhow, bail, Context, Result};
use base64::Engine as _;
use serde_json::{json, Value};
use std::net::{SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The W3C name of an element reference in JSON.
const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

/// Where Debian puts the browser and its driver (`scripts/ensure-test-tools.sh` installs them).
pub const CHROMIUM: &str = "/usr/bin/chromium";
pub const CHROMEDRIVER: &str = "/usr/bin/chromedriver";

/// A running chromedriver with one browser session; dropping it ends both.
pub struct Browser {
    driver: Child,
    addr: SocketAddr,
    session: String,
    profile: PathBuf,
}

fn free_port() -> Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

impl Browser {
    /// Starts chromedriver and a headless Chromium of `width` x `height` pixels.
    pub fn start(width: u32, height: u32) -> Result<Browser> {
        for bin in [CHROMIUM, CHROMEDRIVER] {
            if !Path::new(bin).is_file() {
                bail!("{bin} is missing: run ./build.sh test (scripts/ensure-test-tools.sh installs chromium and chromium-driver)");
            }
        }
        let port = free_port()?;
        let driver = Command::new(CHROMEDRIVER)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .context("starting chromedriver")?;
        let addr: SocketAddr = ([127, 0, 0, 1], port).into();
        let profile =
            std::env::temp_dir().join(format!("guardrail-chromium-{}-{port}", std::process::id()));
        let _ = std::fs::remove_dir_all(&profile);
        std::fs::create_dir_all(&profile)?;
        let mut browser = Browser {
            driver,
            addr,
            session: String::new(),
            profile,
        };
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let ready = http_client::get(addr, "/status", &[])
                .ok()
                .and_then(|r| r.json().ok())
                .is_some_and(|v| v["value"]["ready"] == true);
            if ready {
                break;
            }
            if Instant::now() > deadline {
                bail!("chromedriver did not become ready on {addr}");
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        let args = json!([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-quic",
            "--no-first-run",
            format!("--user-data-dir={}", browser.profile.display()),
            format!("--window-size={width},{height}"),
        ]);
        let caps = json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {"binary": CHROMIUM, "args": args}
        }}});
        let v = browser.call("POST", "/session", Some(caps))?;
        browser.session = v["sessionId"]
            .as_str()
            .ok_or_else(|| anyhow!("no session id in {v}"))?
            .to_string();
        Ok(browser)
    }

    /// One WebDriver command; returns its `value` or the driver's error.
    fn call(&self, method: &str, path: &str, body: Option<Value>) -> Result<Value> {
        let body = body.map(|b| b.to_string());
        let headers = [("content-type", "application/json")];
        let r = http_client::request(
            self.addr,
            method,
            path,
            &headers,
            body.as_deref().map(str::as_bytes),
        )
        .with_context(|| format!("WebDriver {method} {path}"))?;
        let v: Value = r
            .json()
            .with_context(|| format!("WebDriver {method} {path}: {}", r.text()))?;
        if r.status != 200 {
            bail!(
                "WebDriver {method} {path}: {} {}",
                v["value"]["error"],
                v["value"]["message"]
            );
        }
        Ok(v["value"].clone())
    }

    fn session_call(&self, method: &str, path: &str, body: Option<Value>) -> Result<Value> {
        self.call(method, &format!("/session/{}{path}", self.session), body)
    }

    pub fn goto(&self, url: &str) -> Result<()> {
        self.session_call("POST", "/url", Some(json!({ "url": url })))
            .map(|_| ())
    }

    pub fn url(&self) -> Result<String> {
        Ok(self
            .session_call("GET", "/url", None)?
            .as_str()
            .unwrap_or_default()
            .to_string())
    }

    /// The first element matching a CSS selector.
    pub fn find(&self, css: &str) -> Result<Element<'_>> {
        let v = self.session_call(
            "POST",
            "/element",
            Some(json!({"using": "css selector", "value": css})),
        )?;
        let id = v[ELEMENT]
            .as_str()
            .ok_or_else(|| anyhow!("no element for {css}: {v}"))?;
        Ok(Element {
            browser: self,
            id: id.to_string(),
        })
    }

    /// How many elements match a CSS selector.
    pub fn count(&self, css: &str) -> Result<usize> {
        let v = self.session_call(
            "POST",
            "/elements",
            Some(json!({"using": "css selector", "value": css})),
        )?;
        Ok(v.as_array().map_or(0, Vec::len))
    }

    /// Presses keys (WebDriver key values: `\u{E007}` is Enter) on the focused page.
    pub fn keys(&self, keys: &str) -> Result<()> {
        let mut actions = Vec::new();
        for c in keys.chars() {
            actions.push(json!({"type": "keyDown", "value": c.to_string()}));
            actions.push(json!({"type": "keyUp", "value": c.to_string()}));
        }
        self.session_call(
            "POST",
            "/actions",
            Some(json!({"actions": [{"type": "key", "id": "keyboard", "actions": actions}]})),
        )?;
        Ok(())
    }

    /// Runs a script in the page and returns its result.
    pub fn script(&self, script: &str) -> Result<Value> {
        self.session_call(
            "POST",
            "/execute/sync",
            Some(json!({"script": script, "args": []})),
        )
    }

    /// Waits until `check` holds (page loads and navigation are asynchronous).
    pub fn wait_for(&self, what: &str, check: impl Fn(&Browser) -> Result<bool>) -> Result<()> {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if check(self).unwrap_or(false) {
                return Ok(());
            }
            if Instant::now() > deadline {
                let text = self
                    .script("return document.body ? document.body.innerText : ''")
                    .unwrap_or_default();
                let text: String = text
                    .as_str()
                    .unwrap_or_default()
                    .chars()
                    .take(600)
                    .collect();
                bail!("timed out waiting for {what} (at {}): {text}", self.url()?);
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// A PNG of the viewport.
    pub fn screenshot(&self, path: &Path) -> Result<()> {
        let v = self.session_call("GET", "/screenshot", None)?;
        let png = base64::engine::general_purpose::STANDARD
            .decode(v.as_str().unwrap_or_default())
            .context("screenshot is not base64")?;
        std::fs::write(path, png).with_context(|| format!("writing {}", path.display()))
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        if !self.session.is_empty() {
            let _ = self.session_call("DELETE", "", None);
        }
        let _ = self.driver.kill();
        let _ = self.driver.wait();
        let _ = std::fs::remove_dir_all(&self.profile);
    }
}

/// An element of the current page.
pub struct Element<'a> {
    browser: &'a Browser,
    id: String,
}

impl Element<'_> {
    fn call(&self, method: &str, what: &str, body: Option<Value>) -> Result<Value> {
        self.browser
            .session_call(method, &format!("/element/{}{what}", self.id), body)
    }

    pub fn click(&self) -> Result<()> {
        self.call("POST", "/click", Some(json!({}))).map(|_| ())
    }

    pub fn text(&self) -> Result<String> {
        Ok(self
            .call("GET", "/text", None)?
            .as_str()
            .unwrap_or_default()
            .to_string())
    }

    pub fn type_text(&self, text: &str) -> Result<()> {
        self.call("POST", "/value", Some(json!({ "text": text })))
            .map(|_| ())
    }

    pub fn attribute(&self, name: &str) -> Result<Option<String>> {
        Ok(self
            .call("GET", &format!("/attribute/{name}"), None)?
            .as_str()
            .map(str::to_string))
    }
}
