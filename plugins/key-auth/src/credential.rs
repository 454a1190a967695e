//! credential: where the client key comes from. Reads the configured headers
//! (`Authorization: Bearer`, `x-api-key`, `api-key`, `x-goog-api-key`, ...) and, only when
//! enabled, one query parameter, which is then cut out of `:path`. A key sent in two places
//! with different values is refused (which one would a later hop believe?).

use crate::config::DEFAULT_KEY_SOURCES;

/// Longest key accepted; longer values are malformed (real keys are ~60 bytes).
pub const MAX_KEY_BYTES: usize = 256;

/// What the request presented.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Presented {
    /// No configured source carried a key.
    Missing,
    /// `source` is the header name or `query:<param>`.
    Key { value: String, source: String },
    /// A source carried something that cannot be a key (empty bearer, spaces, control or
    /// non-ASCII bytes, too long, bad percent-encoding).
    Malformed { source: String },
    /// Different keys in different sources.
    Ambiguous,
}

/// The presented key and, when the query parameter was present, `:path` without it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Extracted {
    pub presented: Presented,
    pub stripped_path: Option<String>,
}

/// Headers key-auth removes before the request goes upstream: the configured sources plus
/// every well-known client credential header, so no virtual key reaches a provider.
pub fn headers_to_strip(sources: &[String]) -> Vec<String> {
    let mut out: Vec<String> = sources.to_vec();
    for h in DEFAULT_KEY_SOURCES {
        if !out.iter().any(|s| s == h) {
            out.push(h.to_string());
        }
    }
    out
}

fn is_key_text(s: &str) -> bool {
    !s.is_empty() && s.len() <= MAX_KEY_BYTES && s.bytes().all(|b| b.is_ascii_graphic())
}

/// One header value as a key: `Ok(None)` when the header does not carry a key for us
/// (e.g. `Authorization: Basic ...`).
fn from_header(name: &str, value: &str) -> Result<Option<String>, ()> {
    let value = value.trim_matches([' ', '\t']);
    let token = if name == "authorization" {
        let Some((scheme, rest)) = value.split_once([' ', '\t']) else {
            // `Bearer` alone is a malformed bearer; any other lone word is not our scheme.
            return if value.eq_ignore_ascii_case("bearer") {
                Err(())
            } else {
                Ok(None)
            };
        };
        if !scheme.eq_ignore_ascii_case("bearer") {
            return Ok(None);
        }
        rest.trim_matches([' ', '\t'])
    } else {
        value
    };
    if is_key_text(token) {
        Ok(Some(token.to_string()))
    } else {
        Err(())
    }
}

/// Read the key from `sources` (via `header`) and, if `query_param` is set, from `path`.
pub fn extract(
    sources: &[String],
    header: impl Fn(&str) -> Option<String>,
    query_param: Option<&str>,
    path: &str,
) -> Extracted {
    let mut found: Vec<(String, String)> = Vec::new();
    let mut malformed: Option<String> = None;
    for name in sources {
        let Some(value) = header(name) else { continue };
        match from_header(name, &value) {
            Ok(Some(key)) => found.push((key, name.clone())),
            Ok(None) => {}
            Err(()) => {
                malformed.get_or_insert_with(|| name.clone());
            }
        }
    }
    let mut stripped_path = None;
    if let Some(param) = query_param {
        let source = format!("query:{param}");
        let (values, rest) = take_query_param(path, param);
        if !values.is_empty() {
            stripped_path = Some(rest);
        }
        for v in values {
            match percent_decode(&v).filter(|k| is_key_text(k)) {
                Some(key) => found.push((key, source.clone())),
                None => {
                    malformed.get_or_insert_with(|| source.clone());
                }
            }
        }
    }
    let presented = if let Some(source) = malformed {
        Presented::Malformed { source }
    } else {
        match found.split_first() {
            None => Presented::Missing,
            Some(((value, source), rest)) => {
                if rest.iter().all(|(v, _)| v == value) {
                    Presented::Key {
                        value: value.clone(),
                        source: source.clone(),
                    }
                } else {
                    Presented::Ambiguous
                }
            }
        }
    };
    Extracted {
        presented,
        stripped_path,
    }
}

/// Every raw value of `param` in `path`'s query, and the path without those pairs.
fn take_query_param(path: &str, param: &str) -> (Vec<String>, String) {
    let Some((base, query)) = path.split_once('?') else {
        return (Vec::new(), path.to_string());
    };
    let mut values = Vec::new();
    let mut kept: Vec<&str> = Vec::new();
    for pair in query.split('&') {
        let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
        // Compare the decoded name too: the provider decodes `%6Bey` to `key`.
        if name == param || percent_decode(name).is_some_and(|n| n == param) {
            values.push(value.to_string());
        } else if !pair.is_empty() {
            kept.push(pair);
        }
    }
    let rest = if kept.is_empty() {
        base.to_string()
    } else {
        format!("{base}?{}", kept.join("&"))
    };
    (values, rest)
}

/// Strict `%XX` decoding: the SDK's one decoder (`guardrail_sdk::path`).
pub use guardrail_sdk::path::percent_decode;

#[cfg(test)]
mod tests {
    use super::*;

    fn sources() -> Vec<String> {
        DEFAULT_KEY_SOURCES.iter().map(|s| s.to_string()).collect()
    }

    fn run(headers: &[(&str, &str)], query: Option<&str>, path: &str) -> Extracted {
        let hs: Vec<(String, String)> = headers
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        extract(
            &sources(),
            |n| hs.iter().find(|(k, _)| k == n).map(|(_, v)| v.clone()),
            query,
            path,
        )
    }

    fn key(v: &str, s: &str) -> Presented {
        Presented::Key {
            value: v.into(),
            source: s.into(),
        }
    }

    fn malformed(s: &str) -> Presented {
        Presented::Malformed { source: s.into() }
    }

    #[test]
    fn each_header_source() {
        let too_long = "k".repeat(MAX_KEY_BYTES + 1);
        let table: Vec<(Vec<(&str, &str)>, Presented)> = vec![
            (
                vec![("authorization", "Bearer grw_a")],
                key("grw_a", "authorization"),
            ),
            (
                vec![("authorization", "bearer   grw_a  ")],
                key("grw_a", "authorization"),
            ),
            (
                vec![("authorization", "BEARER\tgrw_a")],
                key("grw_a", "authorization"),
            ),
            (vec![("x-api-key", "grw_b")], key("grw_b", "x-api-key")),
            (vec![("api-key", " grw_c ")], key("grw_c", "api-key")),
            (
                vec![("x-goog-api-key", "grw_d")],
                key("grw_d", "x-goog-api-key"),
            ),
            (vec![], Presented::Missing),
            (
                vec![("authorization", "Basic dXNlcjpwYXNz")],
                Presented::Missing,
            ),
            (vec![("authorization", "Token")], Presented::Missing),
            (
                vec![("authorization", "Bearer")],
                malformed("authorization"),
            ),
            (
                vec![("authorization", "Bearer ")],
                malformed("authorization"),
            ),
            (
                vec![("authorization", "Bearer a b")],
                malformed("authorization"),
            ),
            (vec![("x-api-key", "")], malformed("x-api-key")),
            (vec![("x-api-key", "caf\u{e9}")], malformed("x-api-key")),
            (vec![("x-api-key", "a\u{fffd}b")], malformed("x-api-key")),
            (vec![("x-api-key", "a\u{1}b")], malformed("x-api-key")),
            (vec![("x-api-key", &too_long)], malformed("x-api-key")),
            // Same key twice is fine, two different keys are not.
            (
                vec![("authorization", "Bearer k"), ("x-api-key", "k")],
                key("k", "authorization"),
            ),
            (
                vec![("authorization", "Bearer k"), ("x-api-key", "j")],
                Presented::Ambiguous,
            ),
            // A malformed source spoils the request even next to a good one.
            (
                vec![("authorization", "Bearer k"), ("x-api-key", "a b")],
                malformed("x-api-key"),
            ),
        ];
        for (headers, want) in table {
            assert_eq!(run(&headers, None, "/v1/x").presented, want, "{headers:?}");
        }
        let at_limit = "k".repeat(MAX_KEY_BYTES);
        assert_eq!(
            run(&[("x-api-key", &at_limit)], None, "/").presented,
            key(&at_limit, "x-api-key")
        );
    }

    #[test]
    fn only_configured_headers_are_read() {
        let only = vec!["x-api-key".to_string()];
        let got = extract(
            &only,
            |n| (n == "authorization").then(|| "Bearer k".to_string()),
            None,
            "/",
        );
        assert_eq!(got.presented, Presented::Missing);
    }

    #[test]
    fn query_param_only_when_enabled_and_then_stripped() {
        let path = "/v1beta/models/g:generateContent?alt=sse&key=grw_q&x=1";
        let off = run(&[], None, path);
        assert_eq!(off.presented, Presented::Missing);
        assert_eq!(off.stripped_path, None);

        let on = run(&[], Some("key"), path);
        assert_eq!(on.presented, key("grw_q", "query:key"));
        assert_eq!(
            on.stripped_path.as_deref(),
            Some("/v1beta/models/g:generateContent?alt=sse&x=1")
        );
        let only = run(&[], Some("key"), "/p?key=grw%5Fq");
        assert_eq!(only.presented, key("grw_q", "query:key"));
        assert_eq!(only.stripped_path.as_deref(), Some("/p"));

        assert_eq!(
            run(&[], Some("key"), "/p?key=a&key=b").presented,
            Presented::Ambiguous
        );
        assert_eq!(
            run(&[], Some("key"), "/p?key=%zz").presented,
            malformed("query:key")
        );
        assert_eq!(
            run(&[], Some("key"), "/p?key=").presented,
            malformed("query:key")
        );
        assert_eq!(
            run(&[], Some("key"), "/p?keys=a").presented,
            Presented::Missing
        );
        let encoded = run(&[], Some("key"), "/p?%6Bey=grw_q&a=1");
        assert_eq!(encoded.presented, key("grw_q", "query:key"));
        assert_eq!(encoded.stripped_path.as_deref(), Some("/p?a=1"));
        assert_eq!(
            run(&[("x-api-key", "k")], Some("key"), "/p?key=k").presented,
            key("k", "x-api-key")
        );
    }

    #[test]
    fn strip_list_covers_every_well_known_header() {
        let list = headers_to_strip(&["x-custom-key".to_string()]);
        for h in [
            "x-custom-key",
            "authorization",
            "x-api-key",
            "api-key",
            "x-goog-api-key",
        ] {
            assert!(list.iter().any(|s| s == h), "{h}");
        }
        assert_eq!(headers_to_strip(&sources()).len(), 4);
    }

    #[test]
    fn percent_decoding_is_strict() {
        assert_eq!(percent_decode("a%41%2f").as_deref(), Some("aA/"));
        assert_eq!(percent_decode("a+b").as_deref(), Some("a+b"));
        for bad in ["%", "%4", "%g0", "%ff"] {
            assert_eq!(percent_decode(bad), None, "{bad}");
        }
    }
}
