//! Plugin configuration parsing: strict JSON into a `deny_unknown_fields` struct, with errors
//! that name the field path (`rules[2].mode: unknown variant ...`) or the line and column.

use serde::de::DeserializeOwned;
use std::fmt;

/// Why a configuration was refused. `Display` is the text a root context logs at Critical.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    /// Field path like `rules[2].mode`; `None` for syntax errors (then `line`/`column` are set).
    pub path: Option<String>,
    pub line: usize,
    pub column: usize,
    /// serde's reason, e.g. "unknown field `mod`, expected one of `mode`, `rules`".
    pub reason: String,
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
pub fn parse<T: DeserializeOwned>(raw: &[u8]) -> Result<T, ConfigError> {
    let raw: &[u8] = if raw.iter().all(u8::is_ascii_whitespace) {
        b"{}"
    } else {
        raw
    };
    serde_json::from_slice(raw).map_err(|err| {
        use serde_json::error::Category;
        let path = match err.classify() {
            Category::Data => {
                // A missing field is noticed at the object's `}`, which serde_json peeked but
                // did not consume: the object is what to name, not its last value.
                let peeked = err.to_string().starts_with("missing field");
                Some(path_at(raw, err.line(), err.column(), peeked))
            }
            Category::Syntax | Category::Eof | Category::Io => None,
        };
        from_json_error(path, err)
    })
}

/// The field path (`rules[2].mode`) of the value that ends where serde_json stopped (line and
/// column, 1-based, in bytes; `peeked`: the error is about the container of that byte), found on the SDK's own span-keeping parse of the same text;
/// `(root)` when the error is about the document itself. Cheaper in code than wrapping every
/// deserializer to track the path (serde_path_to_error cost ~78 KiB per plugin `.wasm`).
fn path_at(raw: &[u8], line: usize, column: usize, peeked: bool) -> String {
    use crate::json::{self, Json, Node};
    let mut start_of_line = 0usize;
    for _ in 1..line {
        let rest = raw.get(start_of_line..).unwrap_or_default();
        match rest.iter().position(|b| *b == b'\n') {
            Some(i) => start_of_line += i + 1,
            None => break,
        }
    }
    // Columns are 1-based and name the next unread byte. The error is about the value that
    // holds that byte (serde_json peeked it) or, failing that, the value that ends just
    // before it (read whole); `peeked` errors name the container, never a value that ended.
    let next = (start_of_line + column).saturating_sub(1);
    let limits = json::Limits {
        max_bytes: raw.len().max(1),
        ..json::Limits::default()
    };
    let Ok(root) = json::parse(raw, &limits) else {
        return "(root)".to_string();
    };
    let pick = |values: &mut dyn Iterator<Item = &Node>| -> Option<usize> {
        let spans: Vec<std::ops::Range<usize>> = values.map(|n| n.span.clone()).collect();
        spans
            .iter()
            .position(|r| r.start <= next && next < r.end)
            .or_else(|| match peeked {
                true => None,
                false => spans.iter().position(|r| r.end == next),
            })
    };
    let mut path = String::new();
    let mut node: &Node = &root;
    loop {
        match &node.value {
            Json::Object(members) => match pick(&mut members.iter().map(|(_, v)| v)) {
                Some(i) => {
                    let (key, value) = &members[i];
                    if !path.is_empty() {
                        path.push('.');
                    }
                    path.push_str(key);
                    node = value;
                }
                None => break,
            },
            Json::Array(items) => match pick(&mut items.iter()) {
                Some(i) => {
                    path.push_str(&format!("[{i}]"));
                    node = &items[i];
                }
                None => break,
            },
            _ => break,
        }
    }
    if path.is_empty() {
        "(root)".to_string()
    } else {
        path
    }
}

fn from_json_error(path: Option<String>, err: serde_json::Error) -> ConfigError {
    // serde_json appends " at line L column C" to its message; keep only the reason.
    let text = err.to_string();
    let reason = match text.rfind(" at line ") {
        Some(cut) => text.get(..cut).unwrap_or(&text).to_string(),
        None => text,
    };
    ConfigError {
        path,
        line: err.line(),
        column: err.column(),
        reason,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Deserialize, PartialEq)]
    #[serde(rename_all = "snake_case")]
    enum Mode {
        Block,
        Flag,
    }

    #[derive(Debug, Deserialize, PartialEq)]
    #[serde(deny_unknown_fields)]
    struct Rule {
        name: String,
        mode: Mode,
    }

    #[derive(Debug, Deserialize, PartialEq, Default)]
    #[serde(deny_unknown_fields, default)]
    struct Config {
        max_bytes: u64,
        rules: Vec<Rule>,
    }

    #[test]
    fn empty_and_whitespace_mean_defaults() {
        for raw in [&b""[..], b"   ", b"\n\t\r\n "] {
            assert_eq!(parse::<Config>(raw), Ok(Config::default()));
        }
    }

    #[test]
    fn valid_config_parses() {
        let cfg: Config =
            parse(br#"{"max_bytes": 10, "rules": [{"name": "a", "mode": "flag"}]}"#).unwrap();
        assert_eq!(cfg.max_bytes, 10);
        assert_eq!(cfg.rules[0].mode, Mode::Flag);
    }

    #[test]
    fn bad_variant_names_the_path() {
        let raw = br#"{"rules": [{"name":"a","mode":"block"},{"name":"b","mode":"flag"},
                     {"name":"c","mode":"shout"}]}"#;
        let err = parse::<Config>(raw).unwrap_err();
        assert_eq!(err.path.as_deref(), Some("rules[2].mode"));
        let text = err.to_string();
        assert!(
            text.starts_with("rules[2].mode: unknown variant `shout`"),
            "{text}"
        );
        assert!(!text.contains(" at line "), "{text}");
    }

    #[test]
    fn unknown_field_is_named() {
        let err = parse::<Config>(br#"{"max_byte": 1}"#).unwrap_err();
        assert!(
            err.to_string().contains("unknown field `max_byte`"),
            "{err}"
        );
        let err = parse::<Config>(br#"{"rules": [{"name":"a","mode":"flag","x":1}]}"#).unwrap_err();
        assert!(err.to_string().starts_with("rules[0]"), "{err}");
    }

    #[test]
    fn wrong_type_names_the_field() {
        let err = parse::<Config>(br#"{"max_bytes": "big"}"#).unwrap_err();
        assert_eq!(err.path.as_deref(), Some("max_bytes"));
        assert!(err.reason.contains("invalid type"), "{err}");
    }

    #[test]
    fn syntax_errors_give_line_and_column() {
        let err = parse::<Config>(b"{\n  \"max_bytes\": 1,\n}").unwrap_err();
        assert_eq!(err.path, None);
        assert_eq!(err.line, 3);
        assert!(
            err.to_string().starts_with("invalid JSON at line 3 column"),
            "{err}"
        );
        let err = parse::<Config>(b"{} trailing").unwrap_err();
        assert_eq!(err.path, None);
        let err = parse::<Config>(b"{\"rules\": [").unwrap_err();
        assert_eq!(err.path, None);
        let err = parse::<Config>(&[0xff, 0xfe]).unwrap_err();
        assert_eq!(err.path, None);
    }

    #[test]
    fn root_of_wrong_type_is_named() {
        let err = parse::<Config>(b"\"text\"").unwrap_err();
        assert_eq!(err.path.as_deref(), Some("(root)"));
    }

    #[derive(Debug, Deserialize, PartialEq)]
    #[serde(deny_unknown_fields)]
    struct Hook {
        cluster: String,
        #[serde(default)]
        timeout_ms: u64,
    }

    #[derive(Debug, Deserialize, PartialEq)]
    #[serde(deny_unknown_fields)]
    struct Outer {
        review: Option<Inner>,
    }

    #[derive(Debug, Deserialize, PartialEq)]
    #[serde(deny_unknown_fields)]
    struct Inner {
        webhook: Hook,
        #[serde(default)]
        hold: bool,
    }

    #[test]
    fn nested_paths_over_several_lines() {
        let raw = b"{\n  \"review\": {\n    \"webhook\": {\"cluster\": \"r\",\n      \"timeout_ms\": \"soon\"}\n  }\n}";
        let err = parse::<Outer>(raw).unwrap_err();
        assert_eq!(
            err.path.as_deref(),
            Some("review.webhook.timeout_ms"),
            "{err}"
        );
        let err = parse::<Outer>(br#"{"review": {"webhook": {"timeout_ms": 5}}}"#).unwrap_err();
        assert_eq!(err.path.as_deref(), Some("review.webhook"), "{err}");
        assert!(err.reason.contains("missing field `cluster`"), "{err}");
        let err =
            parse::<Outer>(br#"{"review": {"webhook": {"cluster": "r"}, "hold": 3}}"#).unwrap_err();
        assert_eq!(err.path.as_deref(), Some("review.hold"), "{err}");
        let err =
            parse::<Outer>(br#"{"review": {"webhook": {"cluster": "r", "url": 1}}}"#).unwrap_err();
        assert_eq!(err.path.as_deref(), Some("review.webhook"), "{err}");
        assert!(err.reason.contains("unknown field `url`"), "{err}");
    }
}
