//! query_keys: credentials in the query string. A client (or a library copying a Gemini
//! example) may put a key in `?key=`, `?api_key=`, `?access_token=`...; the provider reads it
//! there, logs the URL, and would receive a credential the gateway never issued to it. Such
//! parameters are cut out of `:path` (default) or the request is refused (400), whatever their
//! spelling: names are compared percent-decoded (repeatedly: `%256Bey`), `+` as a space,
//! trimmed, ASCII case-folded, without `-` `_` `.` and spaces and without a `[...]` suffix, so
//! `KEY`, `%6Bey`, `Api-Key`, `apiKey`, `api_key[]` and `access%5Ftoken` all count. A pair is
//! also cut when its value is the key the client presented, under any name. Pure.

/// Parameter names that carry a credential in every provider's convention (Gemini `key`,
/// OAuth `access_token`, the `api_key`/`api-key` spellings); the configured `key_sources`, the
/// `query_param` and `query_key_names` are added to them.
pub const DEFAULT_QUERY_KEY_NAMES: [&str; 5] =
    ["key", "api_key", "api-key", "access_token", "token"];

/// How often a name is percent-decoded at most (`%25` nests).
const MAX_DECODE_ROUNDS: usize = 4;

/// What to do with a credential found in the query.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum QueryKeyAction {
    /// Remove the parameter from `:path` and let the request go on.
    #[default]
    Strip,
    /// Refuse the request (400 `key_in_query`).
    Refuse,
}

/// The folded names to look for.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct QueryKeyNames {
    folded: Vec<String>,
}

impl QueryKeyNames {
    /// The default names plus every `extra` name (header sources, the admin's own names).
    pub fn new<'a>(extra: impl IntoIterator<Item = &'a str>) -> QueryKeyNames {
        let mut folded: Vec<String> = Vec::new();
        for name in DEFAULT_QUERY_KEY_NAMES.into_iter().chain(extra) {
            let f = fold_name(name);
            if !f.is_empty() && !folded.contains(&f) {
                folded.push(f);
            }
        }
        QueryKeyNames { folded }
    }

    /// Does the raw (still encoded) parameter name name a credential?
    pub fn matches(&self, raw_name: &str) -> bool {
        let f = fold_name(&decode_fully(raw_name));
        self.folded.contains(&f)
    }
}

/// The comparison form of a decoded name: up to a `[`, ASCII lower-case, without `-`, `_`,
/// `.`, whitespace and control characters (`%00key` is `key` to a lenient server).
pub fn fold_name(decoded: &str) -> String {
    let head = decoded.split('[').next().unwrap_or("");
    head.chars()
        .filter(|c| !matches!(c, '-' | '_' | '.') && !c.is_whitespace() && !c.is_control())
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

/// Form-decoding (`+` is a space, `%XX` bytes) repeated until nothing changes; a bad escape
/// stays as it is (lenient: this only decides what to remove).
fn decode_fully(raw: &str) -> String {
    let mut cur = raw.replace('+', " ");
    for _ in 0..MAX_DECODE_ROUNDS {
        let next = decode_once(&cur);
        if next == cur {
            break;
        }
        cur = next;
    }
    cur
}

fn decode_once(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        let escape = match (bytes.get(i + 1), bytes.get(i + 2)) {
            (Some(h), Some(l)) if b == b'%' => hex(*h).zip(hex(*l)),
            _ => None,
        };
        match escape {
            Some((h, l)) => {
                out.push((h << 4) | l);
                i += 3;
            }
            None => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn hex(c: u8) -> Option<u8> {
    (c as char).to_digit(16).and_then(|d| u8::try_from(d).ok())
}

/// `:path` without the credential parameters, and how many pairs were removed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scrubbed {
    pub path: String,
    pub removed: usize,
}

/// Does this `name=value` pair (or a `;`-separated piece of it, which some servers split on)
/// carry a credential?
fn is_credential(pair: &str, names: &QueryKeyNames, presented: Option<&str>) -> bool {
    pair.split(';').any(|piece| {
        let (name, value) = piece.split_once('=').unwrap_or((piece, ""));
        names.matches(name)
            || presented.is_some_and(|k| !k.is_empty() && decode_fully(value).trim() == k)
    })
}

/// Remove every query pair that carries a credential (`None` when there is none). The other
/// pairs keep their bytes and order.
pub fn scrub(path: &str, names: &QueryKeyNames, presented: Option<&str>) -> Option<Scrubbed> {
    let (base, query) = path.split_once('?')?;
    let mut removed = 0;
    let mut kept: Vec<&str> = Vec::new();
    for pair in query.split('&') {
        if is_credential(pair, names, presented) {
            removed += 1;
        } else {
            kept.push(pair);
        }
    }
    if removed == 0 {
        return None;
    }
    let path = if kept.iter().all(|p| p.is_empty()) {
        base.to_string()
    } else {
        format!("{base}?{}", kept.join("&"))
    };
    Some(Scrubbed { path, removed })
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "grw_demo_alpha_7f3a9c1e5b2d4068";

    fn names() -> QueryKeyNames {
        QueryKeyNames::new(["authorization", "x-api-key", "api-key", "x-goog-api-key"])
    }

    fn run(path: &str) -> Option<(String, usize)> {
        scrub(path, &names(), Some(KEY)).map(|s| (s.path, s.removed))
    }

    #[test]
    fn table() {
        let cases: &[(&str, Option<(&str, usize)>)] = &[
            ("/v1/chat/completions", None),
            ("/v1/chat/completions?", None),
            ("/v1/x?a=1&b=2", None),
            ("/v1/x?keys=1&monkey=2&keyword=3", None),
            ("/v1/x?key=abc", Some(("/v1/x", 1))),
            ("/v1/x?a=1&key=abc&b=2", Some(("/v1/x?a=1&b=2", 1))),
            ("/v1/x?KEY=abc", Some(("/v1/x", 1))),
            ("/v1/x?Key=abc&kEy=def", Some(("/v1/x", 2))),
            ("/v1/x?%6Bey=abc", Some(("/v1/x", 1))),
            ("/v1/x?%6b%65%79=abc", Some(("/v1/x", 1))),
            ("/v1/x?%256Bey=abc", Some(("/v1/x", 1))),
            ("/v1/x?key+=abc", Some(("/v1/x", 1))),
            ("/v1/x?+key=abc", Some(("/v1/x", 1))),
            ("/v1/x?key%20=abc", Some(("/v1/x", 1))),
            ("/v1/x?%00key=abc", Some(("/v1/x", 1))),
            ("/v1/x?k%00ey%09=abc", Some(("/v1/x", 1))),
            ("/v1/x?key[]=abc", Some(("/v1/x", 1))),
            ("/v1/x?key%5B0%5D=abc", Some(("/v1/x", 1))),
            ("/v1/x?key", Some(("/v1/x", 1))),
            ("/v1/x?key=", Some(("/v1/x", 1))),
            ("/v1/x?api_key=a", Some(("/v1/x", 1))),
            ("/v1/x?api-key=a", Some(("/v1/x", 1))),
            ("/v1/x?apiKey=a", Some(("/v1/x", 1))),
            ("/v1/x?API.KEY=a", Some(("/v1/x", 1))),
            ("/v1/x?access_token=a", Some(("/v1/x", 1))),
            ("/v1/x?accessToken=a", Some(("/v1/x", 1))),
            ("/v1/x?access%5Ftoken=a", Some(("/v1/x", 1))),
            ("/v1/x?token=a", Some(("/v1/x", 1))),
            ("/v1/x?x-goog-api-key=a", Some(("/v1/x", 1))),
            ("/v1/x?X_Goog_Api_Key=a", Some(("/v1/x", 1))),
            ("/v1/x?x-api-key=a", Some(("/v1/x", 1))),
            ("/v1/x?authorization=Bearer+a", Some(("/v1/x", 1))),
            // `;` as a separator inside one `&` pair: the whole pair goes.
            ("/v1/x?a=1;key=abc&b=2", Some(("/v1/x?b=2", 1))),
            // The presented key under any name.
            (
                "/v1/x?alt=sse&q=grw_demo_alpha_7f3a9c1e5b2d4068",
                Some(("/v1/x?alt=sse", 1)),
            ),
            (
                "/v1/x?q=grw%5Fdemo%5Falpha%5F7f3a9c1e5b2d4068&z=1",
                Some(("/v1/x?z=1", 1)),
            ),
            (
                "/v1beta/models/gemini-2.0-flash:streamGenerateContent?alt=sse&key=AIzaSy",
                Some((
                    "/v1beta/models/gemini-2.0-flash:streamGenerateContent?alt=sse",
                    1,
                )),
            ),
            (
                "/openai/deployments/d/chat/completions?api-version=2024-06-01&api-key=k",
                Some((
                    "/openai/deployments/d/chat/completions?api-version=2024-06-01",
                    1,
                )),
            ),
        ];
        for (path, want) in cases {
            let want = want.map(|(p, n)| (p.to_string(), n));
            assert_eq!(run(path), want, "{path}");
        }
    }

    #[test]
    fn admin_names_are_folded_like_the_request() {
        let n = QueryKeyNames::new(["My-Secret"]);
        assert!(n.matches("my_secret"));
        assert!(n.matches("MYSECRET"));
        assert!(n.matches("%6Dy-secret"));
        assert!(!n.matches("my-secrets"));
        // Names that fold to nothing are ignored, never match everything.
        let n = QueryKeyNames::new(["--", "key"]);
        assert!(!n.matches(""));
        assert!(!n.matches("-"));
        assert!(n.matches("key"));
    }

    #[test]
    fn bad_escapes_and_non_utf8_do_not_panic_and_still_match_plain_names() {
        for p in [
            "/x?%=1",
            "/x?%zz=1",
            "/x?%ff%fe=1",
            "/x?a=%",
            "/x?&&&",
            "/x?=&=",
        ] {
            assert_eq!(run(p), None, "{p}");
        }
        assert_eq!(run("/x?%zz=1&key=2"), Some(("/x?%zz=1".to_string(), 1)));
        assert_eq!(run("/x?&key=2&"), Some(("/x".to_string(), 1)));
    }
}
