//! custom: admin-defined entity types (`custom_entities` in the configuration): word and
//! phrase lists (code names, customer names) and bounded `regex-lite` patterns, each type with
//! its own action. Everything is compiled once when the configuration is read; a pattern that
//! does not compile, or any limit exceeded, refuses the configuration naming the field.
//!
//! Words: one Aho-Corasick automaton over every type's words (ASCII case-insensitive), a
//! match kept only on word boundaries (the characters around it are not letters, digits or
//! `_`). Patterns: linear-time `regex-lite`; a pattern that starts with a literal (`JIRA-`,
//! `(?i)acct_`) runs only on texts that contain that literal.

use crate::config::Action;
use crate::entity::{EntityType, Match, COUNT};
use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};
use guardrail_sdk::config::{ConfigError, FromConfig, Value};

/// Most custom types per configuration.
pub const MAX_TYPES: usize = 32;
/// Most words/phrases over all types, and the longest one (bytes).
pub const MAX_WORDS: usize = 4096;
pub const MAX_WORD_BYTES: usize = 128;
/// Most patterns over all types, and the longest pattern (bytes).
pub const MAX_PATTERNS: usize = 32;
pub const MAX_PATTERN_BYTES: usize = 256;
/// Compiled-size and nesting limits of one pattern (`regex-lite`).
const REGEX_SIZE_LIMIT: usize = 256 * 1024;
const REGEX_NEST_LIMIT: u32 = 32;
/// Longest type name: `<NAME_4096>` must stay a placeholder the restorer recognises.
pub const MAX_NAME: usize = 24;

/// One pattern, compiled, with the literal every match starts with (if it has one).
#[derive(Debug, Clone)]
pub struct Pattern {
    regex: regex_lite::Regex,
    /// (literal, compare ASCII case-insensitively)
    prefilter: Option<(String, bool)>,
}

impl FromConfig for Pattern {
    fn from_config(v: &Value<'_>) -> Result<Self, ConfigError> {
        let src = v.str()?;
        if src.is_empty() || src.len() > MAX_PATTERN_BYTES {
            return Err(v.error(format!("must be 1 to {MAX_PATTERN_BYTES} bytes")));
        }
        let regex = regex_lite::RegexBuilder::new(src)
            .size_limit(REGEX_SIZE_LIMIT)
            .nest_limit(REGEX_NEST_LIMIT)
            .build()
            .map_err(|e| v.error(format!("does not compile: {e}")))?;
        if regex.is_match("") {
            return Err(v.error("matches the empty string"));
        }
        Ok(Pattern {
            regex,
            prefilter: leading_literal(src),
        })
    }
}

/// The literal a pattern's every match starts with: its leading run of plain characters
/// (after an optional `(?i)`), without a last one a quantifier makes optional; none when
/// shorter than 2 or when the pattern has an alternation or other flags.
pub fn leading_literal(src: &str) -> Option<(String, bool)> {
    let (rest, ci) = match src.strip_prefix("(?i)") {
        Some(r) => (r, true),
        None => (src, false),
    };
    if rest.starts_with("(?") || src.contains('|') {
        return None;
    }
    let plain = |c: char| {
        c.is_ascii_alphanumeric()
            || matches!(
                c,
                '-' | '_'
                    | ':'
                    | '#'
                    | '/'
                    | '@'
                    | '='
                    | ' '
                    | '!'
                    | '%'
                    | '&'
                    | ','
                    | ';'
                    | '<'
                    | '>'
                    | '\''
                    | '"'
            )
    };
    let mut lit: String = rest.chars().take_while(|&c| plain(c)).collect();
    let next = rest.chars().nth(lit.chars().count());
    if matches!(next, Some('*' | '?' | '{')) {
        lit.pop();
    }
    (lit.len() >= 2).then_some((lit, ci))
}

/// One custom type as configured.
#[derive(Debug, Clone)]
pub struct CustomType {
    pub name: String,
    pub action: Option<Action>,
    pub words: Vec<String>,
    pub patterns: Vec<Pattern>,
}

impl FromConfig for CustomType {
    fn from_config(v: &Value<'_>) -> Result<Self, ConfigError> {
        let o = v.object(&["name", "words", "patterns", "action"])?;
        let name: String = o.required("name")?;
        let name_ok = name.len() >= 2
            && name.len() <= MAX_NAME
            && name.bytes().all(|c| c.is_ascii_uppercase() || c == b'_')
            && name.as_bytes().first().is_some_and(u8::is_ascii_uppercase)
            && name != "CUSTOM"
            && EntityType::from_name(&name).is_none();
        if !name_ok {
            let msg = format!(
                "must be 2 to {MAX_NAME} upper-case letters or `_`, starting with a letter, and not a built-in type name"
            );
            return Err(match o.get("name") {
                Some(field) => field.error(msg),
                None => v.error(msg),
            });
        }
        let words: Vec<String> = o.or_default("words")?;
        if let (Some(bad), Some(field)) = (
            words
                .iter()
                .position(|w| w.trim().is_empty() || w.len() > MAX_WORD_BYTES),
            o.get("words"),
        ) {
            let msg = format!("must be 1 to {MAX_WORD_BYTES} bytes, not blank");
            let err = field
                .items()?
                .nth(bad)
                .map(|item| item.error(msg.clone()))
                .unwrap_or_else(|| field.error(msg.clone()));
            return Err(err);
        }
        let patterns: Vec<Pattern> = o.or_default("patterns")?;
        if words.is_empty() && patterns.is_empty() {
            return Err(v.error("needs `words` or `patterns`"));
        }
        Ok(CustomType {
            name,
            action: o.optional("action")?,
            words,
            patterns,
        })
    }
}

/// The custom types list with its limits checked.
#[derive(Debug, Clone, Default)]
pub struct CustomTypes(pub Vec<CustomType>);

impl FromConfig for CustomTypes {
    fn from_config(v: &Value<'_>) -> Result<Self, ConfigError> {
        let types: Vec<CustomType> = Vec::from_config(v)?;
        if types.len() > MAX_TYPES {
            return Err(v.error(format!("at most {MAX_TYPES} custom types")));
        }
        for (i, t) in types.iter().enumerate() {
            if types.iter().take(i).any(|u| u.name == t.name) {
                return Err(v.error(format!("type `{}` is defined twice", t.name)));
            }
        }
        let words: usize = types.iter().map(|t| t.words.len()).sum();
        if words > MAX_WORDS {
            return Err(v.error(format!(
                "at most {MAX_WORDS} words over all custom types, got {words}"
            )));
        }
        let patterns: usize = types.iter().map(|t| t.patterns.len()).sum();
        if patterns > MAX_PATTERNS {
            return Err(v.error(format!(
                "at most {MAX_PATTERNS} patterns over all custom types, got {patterns}"
            )));
        }
        Ok(CustomTypes(types))
    }
}

/// The compiled matcher of every custom type that is not `off`.
#[derive(Debug, Clone, Default)]
pub struct CustomSet {
    names: Vec<String>,
    words: Option<AhoCorasick>,
    /// Type index of each word of `words`.
    word_owner: Vec<u8>,
    patterns: Vec<(Pattern, u8)>,
}

impl CustomSet {
    /// Compiles `types` (already checked by `CustomTypes`); `enabled(i)` says whether type
    /// `i` is scanned (its action is not `off`).
    pub fn build(
        types: &CustomTypes,
        enabled: impl Fn(usize) -> bool,
    ) -> Result<CustomSet, String> {
        let mut set = CustomSet {
            names: types.0.iter().map(|t| t.name.clone()).collect(),
            ..CustomSet::default()
        };
        let mut words: Vec<&str> = Vec::new();
        for (i, t) in types.0.iter().enumerate() {
            if !enabled(i) {
                continue;
            }
            let owner =
                u8::try_from(i).map_err(|_| "custom_entities: too many types".to_string())?;
            for w in &t.words {
                words.push(w.trim());
                set.word_owner.push(owner);
            }
            set.patterns
                .extend(t.patterns.iter().map(|p| (p.clone(), owner)));
        }
        if !words.is_empty() {
            let ac = AhoCorasickBuilder::new()
                .ascii_case_insensitive(true)
                .match_kind(MatchKind::Standard)
                .build(&words)
                .map_err(|e| format!("custom_entities: words: {e}"))?;
            set.words = Some(ac);
        }
        Ok(set)
    }

    pub fn is_empty(&self) -> bool {
        self.words.is_none() && self.patterns.is_empty()
    }

    /// The name of custom type `i`.
    pub fn name(&self, i: u8) -> Option<&str> {
        self.names.get(usize::from(i)).map(String::as_str)
    }

    /// How many types there are (their indexes are COUNT..COUNT + len).
    pub fn len(&self) -> usize {
        self.names.len()
    }

    /// Every custom value in `text`: sorted by start, non-overlapping (the earliest, then the
    /// longest wins).
    pub fn find(&self, text: &str) -> Vec<Match> {
        let mut all: Vec<Match> = Vec::new();
        if let Some(ac) = &self.words {
            for m in ac.find_overlapping_iter(text) {
                let (s, e) = (m.start(), m.end());
                if let Some(&owner) = self.word_owner.get(m.pattern().as_usize()) {
                    if on_word_boundaries(text, s, e) {
                        all.push(Match {
                            kind: EntityType::Custom(owner),
                            start: s,
                            end: e,
                        });
                    }
                }
            }
        }
        for (p, owner) in &self.patterns {
            if let Some((lit, ci)) = &p.prefilter {
                let present = if *ci {
                    contains_ci(text, lit)
                } else {
                    text.contains(lit.as_str())
                };
                if !present {
                    continue;
                }
            }
            for m in p.regex.find_iter(text) {
                if m.end() > m.start() {
                    all.push(Match {
                        kind: EntityType::Custom(*owner),
                        start: m.start(),
                        end: m.end(),
                    });
                }
            }
        }
        all.sort_by_key(|m| (m.start, std::cmp::Reverse(m.end)));
        let mut out: Vec<Match> = Vec::with_capacity(all.len());
        for m in all {
            if out.last().is_none_or(|l| m.start >= l.end) {
                out.push(m);
            }
        }
        out
    }
}

/// Index of custom type `i` among all types (after the built-in ones).
pub fn index_of(i: u8) -> usize {
    COUNT + usize::from(i)
}

fn is_word_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// The characters before `s` and at `e` are not word characters.
fn on_word_boundaries(text: &str, s: usize, e: usize) -> bool {
    let before = text.get(..s).and_then(|t| t.chars().next_back());
    let after = text.get(e..).and_then(|t| t.chars().next());
    text.is_char_boundary(s)
        && text.is_char_boundary(e)
        && !before.is_some_and(is_word_char)
        && !after.is_some_and(is_word_char)
}

fn contains_ci(hay: &str, needle: &str) -> bool {
    let (h, n) = (hay.as_bytes(), needle.as_bytes());
    !n.is_empty() && h.windows(n.len()).any(|w| w.eq_ignore_ascii_case(n))
}

#[cfg(test)]
mod tests {
    use super::*;
    use guardrail_sdk::config as sdk_config;

    fn types(json: &str) -> Result<CustomTypes, String> {
        sdk_config::parse::<Wrap>(json.as_bytes())
            .map(|w| w.0)
            .map_err(|e| e.to_string())
    }

    /// `{"custom_entities": [...]}` as the plugin config reads it.
    struct Wrap(CustomTypes);
    impl FromConfig for Wrap {
        fn from_config(v: &Value<'_>) -> Result<Self, ConfigError> {
            let o = v.object(&["custom_entities"])?;
            Ok(Wrap(o.or_default("custom_entities")?))
        }
    }

    fn set(json: &str) -> CustomSet {
        CustomSet::build(&types(json).unwrap(), |_| true).unwrap()
    }

    fn found(s: &CustomSet, text: &str) -> Vec<(u8, String)> {
        s.find(text)
            .into_iter()
            .map(|m| match m.kind {
                EntityType::Custom(i) => (i, text[m.start..m.end].to_string()),
                _ => unreachable!(),
            })
            .collect()
    }

    #[test]
    fn words_are_case_insensitive_and_word_bounded() {
        let s = set(
            r#"{"custom_entities":[{"name":"CODENAME","words":["Bluebird","Project Falcon"]},{"name":"CUSTOMER","words":["Acme Corp","Falcon"]}]}"#,
        );
        assert_eq!(
            found(
                &s,
                "bluebird and PROJECT FALCON, Acme Corp; Falconry, xBluebird, Falcon."
            ),
            vec![
                (0, "bluebird".into()),
                (0, "PROJECT FALCON".into()),
                (1, "Acme Corp".into()),
                (1, "Falcon".into())
            ]
        );
        assert!(found(&s, "bluebirds flock").is_empty());
        assert_eq!(
            found(&s, "über Bluebird_x Bluebird"),
            vec![(0, "Bluebird".into())]
        );
        assert_eq!(
            found(&s, "éBluebird Bluebird"),
            vec![(0, "Bluebird".into())]
        );
    }

    #[test]
    fn patterns_run_with_their_prefilter() {
        let s = set(
            r#"{"custom_entities":[{"name":"TICKET","patterns":["JIRA-[0-9]{3,6}","(?i)acct_[a-z0-9]{8}"]}]}"#,
        );
        assert_eq!(
            found(&s, "see JIRA-1234 and ACCT_ab12cd34."),
            vec![(0, "JIRA-1234".into()), (0, "ACCT_ab12cd34".into())]
        );
        assert!(found(&s, "jira-1234 JIRA-12").is_empty());
        let p = &s.patterns;
        assert_eq!(p[0].0.prefilter, Some(("JIRA-".into(), false)));
        assert_eq!(p[1].0.prefilter, Some(("acct_".into(), true)));
    }

    #[test]
    fn leading_literals() {
        for (src, want) in [
            ("JIRA-[0-9]+", Some(("JIRA-", false))),
            ("(?i)acct_\\d+", Some(("acct_", true))),
            ("ABC?D", Some(("AB", false))),
            ("A[0-9]", None),
            ("[A-Z]{3}-\\d+", None),
            ("foo|bar", None),
            ("(?s)abc", None),
            ("ab*", None),
        ] {
            assert_eq!(
                leading_literal(src),
                want.map(|(l, c)| (l.to_string(), c)),
                "{src}"
            );
        }
    }

    #[test]
    fn bad_configs_name_the_field() {
        let many_patterns = format!(
            r#"{{"custom_entities":[{{"name":"MANY","patterns":[{}]}}]}}"#,
            (0..=MAX_PATTERNS)
                .map(|i| format!("\"P{i}-x\""))
                .collect::<Vec<_>>()
                .join(",")
        );
        let many_types = format!(
            r#"{{"custom_entities":[{}]}}"#,
            (0..=MAX_TYPES)
                .map(|i| {
                    let (a, b) = (
                        char::from(b'A' + (i / 26) as u8),
                        char::from(b'A' + (i % 26) as u8),
                    );
                    format!(r#"{{"name":"T_{a}{b}","words":["w"]}}"#)
                })
                .collect::<Vec<_>>()
                .join(",")
        );
        let long = format!(
            r#"{{"custom_entities":[{{"name":"LONG","patterns":["{}"]}}]}}"#,
            "a".repeat(MAX_PATTERN_BYTES + 1)
        );
        let huge = r#"{"custom_entities":[{"name":"HUGE","patterns":["(?:[a-z]{1000}){1000}"]}]}"#;
        for (raw, field) in [
            (r#"{"custom_entities":[{"name":"TICKET","patterns":["JIRA-[0-9"]}]}"#.to_string(), "custom_entities[0].patterns[0]"),
            (r#"{"custom_entities":[{"name":"T","words":["a"]},{"name":"OK","patterns":["ok","(x"]}]}"#.into(), "custom_entities[0].name"),
            (r#"{"custom_entities":[{"name":"OK","patterns":["ok","(x"]}]}"#.into(), "custom_entities[0].patterns[1]"),
            (r#"{"custom_entities":[{"name":"EMAIL","words":["a"]}]}"#.into(), "custom_entities[0].name"),
            (r#"{"custom_entities":[{"name":"lower","words":["a"]}]}"#.into(), "custom_entities[0].name"),
            (r#"{"custom_entities":[{"name":"NUM1","words":["a"]}]}"#.into(), "custom_entities[0].name"),
            (r#"{"custom_entities":[{"name":"EMPTY"}]}"#.into(), "custom_entities[0]"),
            (r#"{"custom_entities":[{"name":"BLANK","words":["ok"," "]}]}"#.into(), "custom_entities[0].words[1]"),
            (r#"{"custom_entities":[{"name":"EMPTYRE","patterns":["x*"]}]}"#.into(), "custom_entities[0].patterns[0]"),
            (r#"{"custom_entities":[{"name":"ACT","words":["a"],"action":"nuke"}]}"#.into(), "custom_entities[0].action"),
            (r#"{"custom_entities":[{"name":"EXTRA","words":["a"],"regex":"x"}]}"#.into(), "regex"),
            (r#"{"custom_entities":[{"name":"DUP","words":["a"]},{"name":"DUP","words":["b"]}]}"#.into(), "defined twice"),
            (many_patterns, "at most 32 patterns"),
            (many_types, "at most 32 custom types"),
            (long, "custom_entities[0].patterns[0]"),
            (huge.into(), "custom_entities[0].patterns[0]"),
        ] {
            let err = types(&raw).unwrap_err();
            assert!(err.contains(field), "{raw}: {err} should name {field}");
        }
    }

    #[test]
    fn off_types_are_not_compiled() {
        let t = types(r#"{"custom_entities":[{"name":"AA","words":["alpha"]},{"name":"BB","patterns":["beta[0-9]"]}]}"#).unwrap();
        let s = CustomSet::build(&t, |i| i == 1).unwrap();
        assert_eq!(found(&s, "alpha beta7"), vec![(1, "beta7".into())]);
        assert_eq!(s.name(0), Some("AA"));
    }
}
