//! model_name: the one canonical form of a model name that every allow/deny decision is made
//! on (model-allowlist's lists and scopes, key-auth's per-key `models`, body and path alike).
//! Providers and proxies treat many model ids case-insensitively and some trim them, so the
//! canonical form is the name trimmed of ASCII whitespace and ASCII case-folded; a glob matches
//! it ignoring ASCII case. A name that could read differently to a person, this gateway and the
//! provider is refused (400 `invalid_model`) instead of guessed at: control characters,
//! invisible or format characters (zero-width, bidi, tag characters, soft hyphen, BOM) and, so
//! no look-alike or width/case-folding variant (`ＲＥＡＬＴＩＭＥ`, Kelvin sign, long s) slips past
//! a deny glob, any character outside printable ASCII.
//! What goes upstream is the name as sent: only the decision uses the canonical form.

use crate::body_error::BodyError;

/// Why a model name is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ModelNameError {
    /// Empty after trimming.
    Empty,
    /// A C0/C1 control character or DEL (`char` index into the name as sent).
    Control {
        /// Character index in the name as sent.
        at: usize,
        /// The code point.
        code: u32,
    },
    /// An invisible or format character: zero-width, bidi control, tag, soft hyphen, BOM, ...
    Invisible {
        /// Character index in the name as sent.
        at: usize,
        /// The code point.
        code: u32,
    },
    /// Any other character outside printable ASCII (look-alikes, width and case variants).
    NotAscii {
        /// Character index in the name as sent.
        at: usize,
        /// The code point.
        code: u32,
    },
}

impl std::fmt::Display for ModelNameError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ModelNameError::Empty => write!(f, "the model name is empty"),
            ModelNameError::Control { at, code } => {
                write!(f, "the model name has a control character (U+{code:04X} at character {at})")
            }
            ModelNameError::Invisible { at, code } => write!(
                f,
                "the model name has an invisible character (U+{code:04X} at character {at})"
            ),
            ModelNameError::NotAscii { at, code } => write!(
                f,
                "the model name has a character outside printable ASCII (U+{code:04X} at character {at})"
            ),
        }
    }
}

impl ModelNameError {
    /// The 400 answer for a refused model name (the message names the code point, never text).
    pub fn to_body_error(self) -> BodyError {
        BodyError::bad_request("invalid_model", self.to_string())
    }
}

impl From<ModelNameError> for BodyError {
    fn from(e: ModelNameError) -> BodyError {
        e.to_body_error()
    }
}

/// Unicode's invisible and format characters (general category Cf and the other
/// default-ignorables): what renders as nothing or reorders text.
fn is_invisible(c: char) -> bool {
    matches!(c as u32,
        0x00AD                  // soft hyphen
        | 0x034F                // combining grapheme joiner
        | 0x061C                // arabic letter mark
        | 0x115F | 0x1160       // hangul fillers
        | 0x17B4 | 0x17B5
        | 0x180B..=0x180F       // mongolian variation selectors, vowel separator
        | 0x200B..=0x200F       // zero-width space/joiners, LRM, RLM
        | 0x202A..=0x202E       // bidi embeddings and overrides
        | 0x2060..=0x206F       // word joiner, invisible operators, bidi isolates
        | 0x3164                // hangul filler
        | 0xFE00..=0xFE0F       // variation selectors
        | 0xFEFF                // BOM / zero-width no-break space
        | 0xFFA0
        | 0xFFF0..=0xFFFB       // interlinear annotations
        | 0x1BCA0..=0x1BCA3
        | 0x1D173..=0x1D17A
        | 0xE0000..=0xE0FFF     // tag characters, variation selectors supplement
    )
}

/// The canonical form of `raw`: trimmed of ASCII whitespace (space, tab, CR, LF, FF), ASCII
/// lower-case; an error for names that are empty or carry anything but printable ASCII inside
/// (spaces inside are kept; a tab inside is a control character).
pub fn canonical(raw: &str) -> Result<String, ModelNameError> {
    let lead = raw.len()
        - raw
            .trim_start_matches(|c: char| c.is_ascii_whitespace())
            .len();
    let trimmed = raw.trim_matches(|c: char| c.is_ascii_whitespace());
    let skipped = raw.get(..lead).map_or(0, |s| s.chars().count());
    for (i, c) in trimmed.chars().enumerate() {
        let at = skipped + i;
        let code = c as u32;
        if c.is_control() {
            return Err(ModelNameError::Control { at, code });
        }
        if is_invisible(c) {
            return Err(ModelNameError::Invisible { at, code });
        }
        if !c.is_ascii() {
            return Err(ModelNameError::NotAscii { at, code });
        }
    }
    if trimmed.is_empty() {
        return Err(ModelNameError::Empty);
    }
    Ok(trimmed.to_ascii_lowercase())
}

/// Does the admin's glob `pattern` match the canonical name `model`? The pattern is compared
/// trimmed and ignoring ASCII case, so `GPT-4o*` and `gpt-4o*` mean the same.
pub fn glob_matches(pattern: &str, model: &str) -> bool {
    crate::glob::matches_ignore_ascii_case(
        pattern.trim_matches(|c: char| c.is_ascii_whitespace()),
        model,
    )
}

/// Does any of `patterns` match the canonical name `model`?
pub fn any_matches(patterns: &[String], model: &str) -> bool {
    patterns.iter().any(|p| glob_matches(p, model))
}

/// Do two names (as sent) have the same canonical form? Unreadable names equal nothing.
pub fn same(a: &str, b: &str) -> bool {
    matches!((canonical(a), canonical(b)), (Ok(x), Ok(y)) if x == y)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonical_form_table() {
        let ok = [
            ("gpt-4o-mini", "gpt-4o-mini"),
            ("GPT-4o-Mini", "gpt-4o-mini"),
            ("  gpt-4o-REALTIME-preview\t", "gpt-4o-realtime-preview"),
            ("\n claude-3-5-sonnet \r", "claude-3-5-sonnet"),
            ("ft:gpt-4o-mini:acme:x:AbC", "ft:gpt-4o-mini:acme:x:abc"),
            ("models/gemini-1.5-pro", "models/gemini-1.5-pro"),
            ("anthropic.claude-v2:1", "anthropic.claude-v2:1"),
            ("my model", "my model"),
        ];
        for (raw, want) in ok {
            assert_eq!(canonical(raw).as_deref(), Ok(want), "{raw:?}");
        }
        type Want = fn(ModelNameError) -> bool;
        let bad: [(&str, Want); 14] = [
            ("", |e| e == ModelNameError::Empty),
            ("   ", |e| e == ModelNameError::Empty),
            ("gpt\u{0}4o", |e| {
                matches!(e, ModelNameError::Control { at: 3, code: 0 })
            }),
            ("gpt-4o\u{7f}", |e| {
                matches!(e, ModelNameError::Control { .. })
            }),
            ("gpt-4o\u{85}", |e| {
                matches!(e, ModelNameError::Control { .. })
            }),
            ("gpt-4o-real\u{200b}time", |e| {
                matches!(e, ModelNameError::Invisible { code: 0x200b, .. })
            }),
            ("gpt-4o-real\u{200d}time", |e| {
                matches!(e, ModelNameError::Invisible { .. })
            }),
            ("\u{feff}gpt-4o", |e| {
                matches!(e, ModelNameError::Invisible { at: 0, .. })
            }),
            ("gpt-4o-\u{202e}emitlaer", |e| {
                matches!(e, ModelNameError::Invisible { .. })
            }),
            ("gpt-4o-\u{2066}x", |e| {
                matches!(e, ModelNameError::Invisible { .. })
            }),
            ("gpt-4o\u{e0072}\u{e0074}", |e| {
                matches!(e, ModelNameError::Invisible { .. })
            }),
            ("gpt-4o-real\u{ad}time", |e| {
                matches!(e, ModelNameError::Invisible { .. })
            }),
            ("gpt-4o-ＲＥＡＬＴＩＭＥ", |e| {
                matches!(e, ModelNameError::NotAscii { .. })
            }),
            ("gpt-4о", |e| {
                matches!(e, ModelNameError::NotAscii { code: 0x43e, .. })
            }),
        ];
        for (raw, want) in bad {
            let got = canonical(raw);
            assert!(got.as_ref().is_err_and(|e| want(*e)), "{raw:?}: {got:?}");
        }
        // Non-ASCII whitespace is not trimmed: it is refused.
        assert!(canonical("\u{a0}gpt-4o").is_err());
        assert!(canonical("gpt-4o\u{3000}").is_err());
        assert!(canonical("gpt\t4o").is_err());
        assert_eq!(
            canonical(" \tgpt\u{200b}"),
            Err(ModelNameError::Invisible {
                at: 5,
                code: 0x200b
            })
        );
        // Kelvin sign and long s fold to ASCII under Unicode case rules: refused.
        assert!(canonical("\u{212a}imi").is_err());
        assert!(canonical("\u{17f}onnet").is_err());
    }

    #[test]
    fn globs_match_the_canonical_form_ignoring_case() {
        let m = |p: &str, raw: &str| canonical(raw).is_ok_and(|c| glob_matches(p, &c));
        assert!(m("*-realtime*", "gpt-4o-REALTIME-preview"));
        assert!(m("*-REALTIME*", "gpt-4o-realtime-preview"));
        assert!(m(" gpt-4o-mini ", " GPT-4O-MINI"));
        assert!(m("claude-3-?-sonnet*", "Claude-3-5-Sonnet-20241022"));
        assert!(!m("gpt-4o", "gpt-4o-mini"));
        assert!(same("GPT-4o", " gpt-4o"));
        assert!(!same("gpt-4o\u{200b}", "gpt-4o"));
    }

    #[test]
    fn errors_become_a_400_naming_the_code_point_only() {
        let e = canonical("gpt\u{200b}4o").unwrap_err().to_body_error();
        assert_eq!((e.status, e.code), (400, "invalid_model"));
        assert!(e.message.contains("U+200B"), "{}", e.message);
        assert!(!e.message.contains("gpt"), "{}", e.message);
    }
}
