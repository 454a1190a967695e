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
    let mut de = serde_json::Deserializer::from_slice(raw);
    let value = serde_path_to_error::deserialize(&mut de).map_err(|err| {
        let path = err.path().to_string();
        from_json_error(Some(path), err.into_inner())
    })?;
    de.end().map_err(|err| from_json_error(None, err))?;
    Ok(value)
}

fn from_json_error(path: Option<String>, err: serde_json::Error) -> ConfigError {
    use serde_json::error::Category;
    let path = match err.classify() {
        Category::Data => match path.as_deref() {
            // serde_path_to_error spells the document root ".".
            Some(".") | Some("") | None => Some("(root)".to_string()),
            _ => path,
        },
        Category::Syntax | Category::Eof | Category::Io => None,
    };
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
}
