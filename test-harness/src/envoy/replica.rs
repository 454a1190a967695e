//! replica: `examples/envoy/replica.yaml` (one of several gateway replicas: global rate limits
//! through the rate-limit service, every verdict in the access log and on the trace span) made
//! runnable by a test or the bench: its fixed ports replaced by the run's, and key-auth's
//! configuration optionally replaced by the test's own. The shipped file itself is what runs.

use std::fs;

use super::paths;

/// The example, relative to the repository root.
pub const EXAMPLE: &str = "examples/envoy/replica.yaml";

/// The example's fixed ports, in the order of [`Ports`]' fields.
const FIXED: [(&str, u16); 5] = [
    ("listen", 10000),
    ("admin", 9901),
    ("upstream", 18080),
    ("rls", 8081),
    ("otlp", 4317),
];

/// The ports of one run (0 for listen/admin: Envoy picks, the runner reads them back).
#[derive(Debug, Clone, Copy, Default)]
pub struct Ports {
    pub listen: u16,
    pub admin: u16,
    pub upstream: u16,
    pub rls: u16,
    pub otlp: u16,
}

/// The shipped example's text.
pub fn example() -> Result<String, String> {
    let path = paths::repo_root().join(EXAMPLE);
    fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))
}

/// `example` with `ports`, and with `key_auth_config` (JSON text) as key-auth's configuration
/// when given. Every fixed port must appear exactly once, so a changed example fails loudly.
pub fn render(
    example: &str,
    ports: &Ports,
    key_auth_config: Option<&str>,
) -> Result<String, String> {
    let mut out = example.to_string();
    let wanted = [
        ports.listen,
        ports.admin,
        ports.upstream,
        ports.rls,
        ports.otlp,
    ];
    for ((what, fixed), port) in FIXED.iter().zip(wanted) {
        let needle = format!("port_value: {fixed}}}");
        if out.matches(&needle).count() != 1 {
            return Err(format!(
                "{EXAMPLE}: the {what} port {fixed} is not there exactly once"
            ));
        }
        out = out.replace(&needle, &format!("port_value: {port}}}"));
    }
    if let Some(config) = key_auth_config {
        let (start, end) = config_span(&out, "key-auth")
            .ok_or_else(|| format!("{EXAMPLE}: no key-auth configuration"))?;
        let quoted = serde_json::Value::String(config.to_string()).to_string();
        out.replace_range(start..end, &quoted);
    }
    Ok(out)
}

/// Byte range of the quoted configuration of `plugin` (the `value:` after `name: <plugin>`).
fn config_span(yaml: &str, plugin: &str) -> Option<(usize, usize)> {
    let name = format!("\n                name: {plugin}\n");
    let at = yaml.find(&name)?;
    let rest = yaml.get(at..)?;
    let value = rest.find("value: ")? + at + "value: ".len();
    let end = yaml.get(value..)?.find('\n')? + value;
    Some((value, end))
}

/// The configuration (JSON text) the example gives `plugin`.
pub fn plugin_config(yaml: &str, plugin: &str) -> Option<String> {
    let (start, end) = config_span(yaml, plugin)?;
    serde_json::from_str::<String>(yaml.get(start..end)?).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ports_and_key_auth_config_are_replaced() {
        let yaml = example().expect("example");
        let ports = Ports {
            listen: 1,
            admin: 2,
            upstream: 3,
            rls: 4,
            otlp: 5,
        };
        let out = render(&yaml, &ports, Some(r#"{"keys":[]}"#)).expect("render");
        for p in 1..=5 {
            assert_eq!(out.matches(&format!("port_value: {p}}}")).count(), 1);
        }
        assert_eq!(
            plugin_config(&out, "key-auth").as_deref(),
            Some(r#"{"keys":[]}"#)
        );
        assert_eq!(
            plugin_config(&out, "model-allowlist"),
            plugin_config(&yaml, "model-allowlist")
        );
        // A second rendering finds nothing to replace: the example must have its fixed ports.
        assert!(render(&out, &ports, None).is_err());
    }
}
