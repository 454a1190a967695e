//! What the demo scenarios need from a running gateway, whichever proxy it is: where to send a
//! request, which log carries the plugins' lines and how to read them, and when a request is
//! completely logged. Envoy and the nginx hosts implement it, so `guardrail demo` and
//! `guardrail hosts` run the same scenario files through the same code.

use std::io;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use super::nginx::{self, Nginx};
use crate::envoy::{self, Envoy, PluginLine};
use crate::http_client::StreamingResponse;

pub trait Gateway {
    /// The proxy's name in reports ("Envoy 1.40", "ngx_wasm_module", ...).
    fn label(&self) -> String;
    fn addr(&self) -> SocketAddr;
    fn send(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: Option<&[u8]>,
    ) -> io::Result<StreamingResponse>;
    /// The log file plugins' proxy_log lines go to.
    fn log_path(&self) -> PathBuf;
    /// The plugin lines in a stretch of that log.
    fn plugin_entries(&self, log: &str) -> Vec<PluginLine>;
    /// Waits until `request_id` is completely logged (every plugin callback ran); false on
    /// timeout.
    fn wait_logged(&self, request_id: &str, timeout: Duration) -> bool;
}

impl Gateway for Envoy {
    fn label(&self) -> String {
        "Envoy 1.40".into()
    }
    fn addr(&self) -> SocketAddr {
        Envoy::addr(self)
    }
    fn send(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: Option<&[u8]>,
    ) -> io::Result<StreamingResponse> {
        Envoy::send(self, method, path, headers, body)
    }
    fn log_path(&self) -> PathBuf {
        Envoy::log_path(self)
    }
    fn plugin_entries(&self, log: &str) -> Vec<PluginLine> {
        envoy::plugin_entries(log)
    }
    fn wait_logged(&self, request_id: &str, timeout: Duration) -> bool {
        self.wait_for_access_log(request_id, timeout).is_some()
    }
}

/// An nginx host with the name it is reported under.
pub struct NginxGateway {
    pub nginx: Nginx,
    pub label: String,
}

impl Gateway for NginxGateway {
    fn label(&self) -> String {
        self.label.clone()
    }
    fn addr(&self) -> SocketAddr {
        self.nginx.addr()
    }
    fn send(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: Option<&[u8]>,
    ) -> io::Result<StreamingResponse> {
        self.nginx.send(method, path, headers, body)
    }
    fn log_path(&self) -> PathBuf {
        self.nginx.log_path()
    }
    fn plugin_entries(&self, log: &str) -> Vec<PluginLine> {
        nginx::plugin_entries(log)
    }
    fn wait_logged(&self, request_id: &str, timeout: Duration) -> bool {
        self.nginx.wait_for_access_log(request_id, timeout)
    }
}
