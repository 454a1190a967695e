//! Tests of configuration parsing: defaults, types, ranges, enums, unknown and missing fields,
//! nested paths, duplicate keys and syntax errors.

use super::*;

#[derive(Debug, Clone, Copy, PartialEq)]
enum Mode {
    Block,
    Flag,
    Review,
}

impl FromConfig for Mode {
    fn from_config(v: &Value<'_>) -> Result<Self, ConfigError> {
        v.one_of(&[
            ("block", Mode::Block),
            ("flag", Mode::Flag),
            ("review", Mode::Review),
        ])
    }
}

#[derive(Debug, PartialEq)]
struct Rule {
    name: String,
    mode: Mode,
    weight: f32,
}

impl FromConfig for Rule {
    fn from_config(v: &Value<'_>) -> Result<Self, ConfigError> {
        let o = v.object(&["name", "mode", "weight"])?;
        Ok(Rule {
            name: o.required("name")?,
            mode: o.required("mode")?,
            weight: o.or("weight", 1.0)?,
        })
    }
}

#[derive(Debug, PartialEq, Default)]
struct Config {
    max_bytes: u64,
    depth: u8,
    enabled: bool,
    secret: Option<String>,
    rules: Vec<Rule>,
    aliases: std::collections::BTreeMap<String, String>,
}

impl FromConfig for Config {
    fn from_config(v: &Value<'_>) -> Result<Self, ConfigError> {
        let o = v.object(&[
            "max_bytes",
            "depth",
            "enabled",
            "secret",
            "rules",
            "aliases",
        ])?;
        let depth = match o.get("depth") {
            Some(d) => d.integer(0, 4)? as u8,
            None => 0,
        };
        Ok(Config {
            max_bytes: o.or_default("max_bytes")?,
            depth,
            enabled: o.or_default("enabled")?,
            secret: o.optional("secret")?,
            rules: o.or_default("rules")?,
            aliases: o.or_default("aliases")?,
        })
    }
}

fn err(raw: &str) -> ConfigError {
    match parse::<Config>(raw.as_bytes()) {
        Ok(c) => panic!("{raw} parsed: {c:?}"),
        Err(e) => e,
    }
}

#[test]
fn empty_and_whitespace_mean_defaults() {
    for raw in [&b""[..], b"   ", b"\n\t\r\n ", b"{}"] {
        assert_eq!(parse::<Config>(raw), Ok(Config::default()));
    }
}

#[test]
fn valid_config_parses() {
    let cfg: Config = parse(
        br#"{"max_bytes": 10, "depth": 4, "enabled": true, "secret": null,
             "rules": [{"name": "a", "mode": "flag", "weight": 0.25}, {"name": "b", "mode": "review"}],
             "aliases": {"x": "y"}}"#,
    )
    .unwrap();
    assert_eq!((cfg.max_bytes, cfg.depth, cfg.enabled), (10, 4, true));
    assert_eq!(cfg.secret, None);
    assert_eq!(cfg.rules[0].mode, Mode::Flag);
    assert_eq!(cfg.rules[0].weight, 0.25);
    assert_eq!(cfg.rules[1].weight, 1.0);
    assert_eq!(cfg.aliases.get("x").map(String::as_str), Some("y"));
}

#[test]
fn enum_typo_names_the_path_and_the_choices() {
    let e = err(
        r#"{"rules": [{"name":"a","mode":"block"},{"name":"b","mode":"flag"},
                     {"name":"c","mode":"shout"}]}"#,
    );
    assert_eq!(e.path.as_deref(), Some("rules[2].mode"));
    assert_eq!(
        e.to_string(),
        r#"rules[2].mode: "shout" must be one of: block, flag, review"#
    );
}

#[test]
fn unknown_field_is_named_with_the_known_ones() {
    let e = err(r#"{"max_byte": 1}"#);
    assert_eq!(e.path.as_deref(), Some("(root)"));
    assert_eq!(
        e.reason,
        r#"unknown field "max_byte"; expected one of: max_bytes, depth, enabled, secret, rules, aliases"#
    );
    let e = err(r#"{"rules": [{"name":"a","mode":"flag","wieght":1}]}"#);
    assert_eq!(e.path.as_deref(), Some("rules[0]"));
    assert!(
        e.reason
            .starts_with(r#"unknown field "wieght"; expected one of: name, mode, weight"#),
        "{e}"
    );
}

#[test]
fn wrong_type_names_the_field() {
    let e = err(r#"{"max_bytes": "big"}"#);
    assert_eq!(
        e.to_string(),
        "max_bytes: expected an integer, found a string"
    );
    let e = err(r#"{"enabled": 1}"#);
    assert_eq!(e.to_string(), "enabled: expected a boolean, found a number");
    let e = err(r#"{"rules": {}}"#);
    assert_eq!(e.to_string(), "rules: expected an array, found an object");
    let e = err(r#"{"rules": [{"name": null, "mode": "flag"}]}"#);
    assert_eq!(
        e.to_string(),
        "rules[0].name: expected a string, found null"
    );
    let e = err(r#"{"aliases": {"a": 1}}"#);
    assert_eq!(
        e.to_string(),
        "aliases.a: expected a string, found a number"
    );
    let e = err(r#"{"rules": [{"name": "a", "mode": "flag", "weight": "x"}]}"#);
    assert_eq!(
        e.to_string(),
        "rules[0].weight: expected a number, found a string"
    );
}

#[test]
fn missing_required_field_names_its_object() {
    let e = err(r#"{"rules": [{"name": "a", "mode": "flag"}, {"name": "b"}]}"#);
    assert_eq!(e.to_string(), r#"rules[1]: missing field "mode""#);
}

#[test]
fn integers_are_range_checked() {
    for raw in [
        r#"{"depth": 5}"#,
        r#"{"depth": -1}"#,
        r#"{"depth": 1.5}"#,
        r#"{"depth": 1e2}"#,
    ] {
        assert_eq!(
            err(raw).to_string(),
            "depth: must be an integer in 0..=4",
            "{raw}"
        );
    }
    let e = err(r#"{"max_bytes": 18446744073709551616}"#);
    assert_eq!(e.to_string(), "max_bytes: must be a non-negative integer");
    let e = err(r#"{"max_bytes": -3}"#);
    assert_eq!(e.path.as_deref(), Some("max_bytes"));
    #[derive(Debug)]
    struct Small(u8);
    impl FromConfig for Small {
        fn from_config(v: &Value<'_>) -> Result<Self, ConfigError> {
            Ok(Small(u8::from_config(v)?))
        }
    }
    assert_eq!(parse::<Small>(b"255").unwrap().0, 255);
    assert_eq!(
        parse::<Small>(b"256").unwrap_err().to_string(),
        "(root): must be an integer in 0..=255"
    );
}

#[test]
fn null_is_none_for_optional_fields_only() {
    assert_eq!(
        parse::<Config>(br#"{"secret": null}"#).unwrap().secret,
        None
    );
    assert_eq!(
        err(r#"{"max_bytes": null}"#).to_string(),
        "max_bytes: expected an integer, found null"
    );
}

#[test]
fn duplicate_keys_are_refused_with_the_key() {
    let e = err("{\"depth\": 1,\n \"depth\": 2}");
    assert_eq!(e.path, None);
    assert_eq!(
        e.to_string(),
        r#"invalid JSON at line 2 column 2: duplicate key "depth""#
    );
    let e = err(r#"{"rules": [{"name": "a", "mode": "flag", "name": "b"}]}"#);
    assert!(e.reason.contains(r#"duplicate key "name""#), "{e}");
}

#[test]
fn syntax_errors_give_line_and_column() {
    let e = err("{\n  \"max_bytes\": 1,\n}");
    assert_eq!(e.path, None);
    assert_eq!((e.line, e.column), (3, 1));
    assert!(
        e.to_string().starts_with("invalid JSON at line 3 column 1"),
        "{e}"
    );
    for raw in [&b"{} trailing"[..], b"{\"rules\": [", &[0xff, 0xfe]] {
        let e = parse::<Config>(raw).unwrap_err();
        assert_eq!(e.path, None, "{e}");
    }
}

#[test]
fn root_of_wrong_type_is_named() {
    let e = err("\"text\"");
    assert_eq!(e.to_string(), "(root): expected an object, found a string");
    let e = err("[]");
    assert_eq!(e.path.as_deref(), Some("(root)"));
}

#[derive(Debug, PartialEq)]
struct Hook {
    cluster: String,
    timeout_ms: u64,
}

impl FromConfig for Hook {
    fn from_config(v: &Value<'_>) -> Result<Self, ConfigError> {
        let o = v.object(&["cluster", "timeout_ms"])?;
        Ok(Hook {
            cluster: o.required("cluster")?,
            timeout_ms: o.or_default("timeout_ms")?,
        })
    }
}

#[derive(Debug, PartialEq)]
struct Outer {
    review: Option<Inner>,
}

impl FromConfig for Outer {
    fn from_config(v: &Value<'_>) -> Result<Self, ConfigError> {
        let o = v.object(&["review"])?;
        Ok(Outer {
            review: o.optional("review")?,
        })
    }
}

#[derive(Debug, PartialEq)]
struct Inner {
    webhook: Hook,
    hold: bool,
}

impl FromConfig for Inner {
    fn from_config(v: &Value<'_>) -> Result<Self, ConfigError> {
        let o = v.object(&["webhook", "hold"])?;
        Ok(Inner {
            webhook: o.required("webhook")?,
            hold: o.or_default("hold")?,
        })
    }
}

#[test]
fn nested_paths_over_several_lines() {
    let raw = b"{\n  \"review\": {\n    \"webhook\": {\"cluster\": \"r\",\n      \"timeout_ms\": \"soon\"}\n  }\n}";
    let e = parse::<Outer>(raw).unwrap_err();
    assert_eq!(e.path.as_deref(), Some("review.webhook.timeout_ms"), "{e}");
    let e = parse::<Outer>(br#"{"review": {"webhook": {"timeout_ms": 5}}}"#).unwrap_err();
    assert_eq!(e.path.as_deref(), Some("review.webhook"), "{e}");
    assert_eq!(e.reason, r#"missing field "cluster""#);
    let e = parse::<Outer>(br#"{"review": {"webhook": {"cluster": "r"}, "hold": 3}}"#).unwrap_err();
    assert_eq!(e.path.as_deref(), Some("review.hold"), "{e}");
    let e = parse::<Outer>(br#"{"review": {"webhook": {"cluster": "r", "url": 1}}}"#).unwrap_err();
    assert_eq!(e.path.as_deref(), Some("review.webhook"), "{e}");
    assert!(e.reason.starts_with(r#"unknown field "url""#), "{e}");
    let ok = parse::<Outer>(br#"{"review": {"webhook": {"cluster": "r"}}}"#).unwrap();
    assert_eq!(ok.review.map(|r| r.webhook.timeout_ms), Some(0));
}

#[test]
fn floats_read_and_narrow() {
    #[derive(Debug)]
    struct F(f32);
    impl FromConfig for F {
        fn from_config(v: &Value<'_>) -> Result<Self, ConfigError> {
            Ok(F(f32::from_config(v)?))
        }
    }
    assert_eq!(parse::<F>(b"0.7").unwrap().0, 0.7f32);
    assert_eq!(parse::<F>(b"1").unwrap().0, 1.0);
    assert_eq!(parse::<F>(b"-2.5e-1").unwrap().0, -0.25);
    assert!(parse::<F>(b"1e300").is_err());
}
