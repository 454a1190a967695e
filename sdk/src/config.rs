//! Plugin configuration parsing: strict JSON (the SDK's own parser) read into typed values by
//! hand-written [`FromConfig`] impls, unknown fields refused, with errors that name the field
//! path (`rules[2].mode: must be one of: block, flag`) or the line and column.
//!
//! Not serde: configuration is read once at start-up, and serde + serde_json cost 33-57 KB of
//! every plugin `.wasm` (and pulled in float formatting).

mod read;
#[cfg(test)]
mod tests;

pub use read::{FromConfig, Object, Value};

use crate::json::{self, JsonError, JsonErrorKind};
use std::fmt;

/// Why a configuration was refused. `Display` is the text a root context logs at Critical.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    /// Field path like `rules[2].mode` (`(root)` for the document itself); `None` for syntax
    /// errors (then `line`/`column` are set).
    pub path: Option<String>,
    /// 1-based line of the error in the document (0 when unknown).
    pub line: usize,
    /// 1-based column of the error (0 when unknown).
    pub column: usize,
    /// Why, e.g. `unknown field "mod"; expected one of: mode, rules`.
    pub reason: String,
}

impl ConfigError {
    /// A refused value at `path` (a path of `""` is the document itself).
    pub fn at(path: &str, reason: impl Into<String>) -> ConfigError {
        let path = if path.is_empty() { "(root)" } else { path };
        ConfigError {
            path: Some(path.to_string()),
            line: 0,
            column: 0,
            reason: reason.into(),
        }
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.path {
            Some(path) => write!(f, "{path}: {}", self.reason),
            None => write!(
                f,
                "invalid JSON at line {} column {}: {}",
                self.line, self.column, self.reason
            ),
        }
    }
}

impl std::error::Error for ConfigError {}

/// Parse a plugin configuration. Empty or whitespace-only input means `{}` (all defaults),
/// because Envoy and Kong pass an empty configuration when none is given.
pub fn parse<T: FromConfig>(raw: &[u8]) -> Result<T, ConfigError> {
    if raw.iter().all(u8::is_ascii_whitespace) {
        return parse_document(b"{}");
    }
    parse_document(raw)
}

/// Parse one JSON document into `T`; empty input is a syntax error (for documents that are
/// not plugin configurations, such as the signed identity payload).
pub fn parse_document<T: FromConfig>(raw: &[u8]) -> Result<T, ConfigError> {
    let limits = json::Limits {
        max_bytes: raw.len(),
        ..json::Limits::default()
    };
    let root = json::parse(raw, &limits).map_err(|e| syntax_error(raw, e))?;
    T::from_config(&Value::root(&root))
}

/// A document the JSON parser refused, at its line and column (1-based, in bytes).
fn syntax_error(raw: &[u8], err: JsonError) -> ConfigError {
    let before = raw.get(..err.offset).unwrap_or(raw);
    let line = 1 + before.iter().filter(|b| **b == b'\n').count();
    let column = 1 + before.iter().rev().take_while(|b| **b != b'\n').count();
    // The parser's message ends in " at byte N"; the line and column replace it.
    let text = err.to_string();
    let mut reason = match text.rfind(" at byte ") {
        Some(cut) => text.get(..cut).unwrap_or(&text).to_string(),
        None => text,
    };
    if err.kind == JsonErrorKind::DuplicateKey {
        if let Some(key) = key_at(raw, err.offset) {
            reason = format!("duplicate key {key}");
        }
    }
    ConfigError {
        path: None,
        line,
        column,
        reason,
    }
}

/// The key literal (quotes included, as written) that starts at `offset`.
fn key_at(raw: &[u8], offset: usize) -> Option<&str> {
    let rest = raw.get(offset..)?;
    let mut escaped = false;
    let end = rest.iter().skip(1).position(|&b| {
        let closes = b == b'"' && !escaped;
        escaped = b == b'\\' && !escaped;
        closes
    })?;
    std::str::from_utf8(rest.get(..end + 2)?).ok()
}
