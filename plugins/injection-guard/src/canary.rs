//! canary: a per-request canary line added to the request's system prompt, so a response that
//! repeats the system prompt (leakage, goal hijack) can be recognised on the way back.
//! Pure: the glue supplies the random bytes and sends the rewritten body.

use guardrail_sdk::body::RequestBody;
use guardrail_sdk::json::{apply_splices, quote, Node, Splice};
use guardrail_sdk::{ApiFormat, BodyError};

/// The token: `gw` and 16 hex digits (64 random bits), e.g. `gw3f9c0a17b2d4e681`.
pub fn token(random: &[u8; 16]) -> String {
    let mut out = String::with_capacity(18);
    out.push_str("gw");
    for b in &random[..8] {
        out.push_str(&format!("{b:02x}"));
    }
    out
}

/// The line the system prompt gets: an HTML comment, which models echo verbatim when they
/// reproduce their instructions and do not otherwise act on.
pub fn line(token: &str) -> String {
    format!("<!-- {token} -->")
}

/// Where the line went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Placement {
    /// Appended to the existing system prompt.
    Appended,
    /// A new system prompt (message, field or part) holding only the line.
    Added,
}

fn rewrite_failed(e: impl std::fmt::Display) -> BodyError {
    BodyError::new(500, "rewrite_failed", format!("canary: {e}"))
}

/// A splice appending `item` (JSON text) as the last element of the array `node`.
fn append_item(node: &Node, item: &str) -> Option<Splice> {
    let items = node.as_array()?;
    let at = node.span.end.checked_sub(1)?; // before `]`
    let with = if items.is_empty() {
        item.to_string()
    } else {
        format!(",{item}")
    };
    Some(Splice {
        span: at..at,
        with: with.into_bytes(),
    })
}

/// A splice adding `"key":value,` as the first member of the object `root`.
fn first_member(root: &Node, key: &str, value: &str) -> Option<Splice> {
    let members = root.as_object()?;
    let at = root.span.start + 1; // after `{`
    let sep = if members.is_empty() { "" } else { "," };
    Some(Splice {
        span: at..at,
        with: format!("{}:{value}{sep}", quote(key)).into_bytes(),
    })
}

/// A splice replacing the string `node` with its text, a blank line and `line`.
fn append_text(node: &Node, line: &str) -> Option<Splice> {
    let text = node.as_str()?;
    let joined = if text.is_empty() {
        line.to_string()
    } else {
        format!("{text}\n\n{line}")
    };
    Some(Splice {
        span: node.span.clone(),
        with: quote(&joined).into_bytes(),
    })
}

fn text_part(line: &str) -> String {
    format!("{{\"type\":\"text\",\"text\":{}}}", quote(line))
}

/// The splice for `format`, or `None` where the format has no system prompt (completions,
/// embeddings, unknown) or its shape is not one this code writes into.
fn plan(format: ApiFormat, root: &Node, line: &str) -> Option<(Splice, Placement)> {
    match format {
        ApiFormat::OpenAiChat => {
            let messages = root.get("messages")?;
            let first = messages.as_array()?.first();
            let system = first.filter(|m| {
                matches!(
                    m.get("role").and_then(Node::as_str),
                    Some("system" | "developer")
                )
            });
            match system.and_then(|m| m.get("content")) {
                Some(c) if c.as_str().is_some() => {
                    Some((append_text(c, line)?, Placement::Appended))
                }
                Some(c) => Some((append_item(c, &text_part(line))?, Placement::Appended)),
                None => {
                    let msg = format!("{{\"role\":\"system\",\"content\":{}}}", quote(line));
                    let at = messages.span.start + 1;
                    let sep = if first.is_some() { "," } else { "" };
                    let with = format!("{msg}{sep}").into_bytes();
                    Some((Splice { span: at..at, with }, Placement::Added))
                }
            }
        }
        ApiFormat::AnthropicMessages => match root.get("system") {
            Some(s) if s.as_str().is_some() => Some((append_text(s, line)?, Placement::Appended)),
            Some(s) if s.as_array().is_some() => {
                Some((append_item(s, &text_part(line))?, Placement::Appended))
            }
            Some(_) => None,
            None => Some((
                first_member(root, "system", &quote(line))?,
                Placement::Added,
            )),
        },
        ApiFormat::OpenAiResponses => match root.get("instructions") {
            Some(s) if s.as_str().is_some() => Some((append_text(s, line)?, Placement::Appended)),
            Some(s) if s.is_null() => Some((
                Splice {
                    span: s.span.clone(),
                    with: quote(line).into_bytes(),
                },
                Placement::Added,
            )),
            Some(_) => None,
            None => Some((
                first_member(root, "instructions", &quote(line))?,
                Placement::Added,
            )),
        },
        ApiFormat::GeminiGenerateContent => {
            let part = format!("{{\"text\":{}}}", quote(line));
            let existing = root
                .get("systemInstruction")
                .or_else(|| root.get("system_instruction"));
            match existing {
                Some(si) => Some((append_item(si.get("parts")?, &part)?, Placement::Appended)),
                None => {
                    let value = format!("{{\"parts\":[{part}]}}");
                    Some((
                        first_member(root, "systemInstruction", &value)?,
                        Placement::Added,
                    ))
                }
            }
        }
        _ => None,
    }
}

/// The request body with `line` in its system prompt; `Ok(None)` where the format has no
/// place for it (the glue then watches only the configured fragments).
pub fn inject(
    body: &RequestBody,
    raw: &[u8],
    line: &str,
) -> Result<Option<(Vec<u8>, Placement)>, BodyError> {
    let Some((splice, placement)) = plan(body.format, &body.root, line) else {
        return Ok(None);
    };
    let out = apply_splices(raw, vec![splice]).map_err(rewrite_failed)?;
    Ok(Some((out, placement)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use guardrail_sdk::body::{parse_request, Trust};
    use guardrail_sdk::json::Limits;

    const LINE: &str = "<!-- gw0011223344556677 -->";

    fn injected(format: ApiFormat, raw: &str) -> Option<(String, Placement)> {
        let body = parse_request(format, raw.as_bytes(), &Limits::default()).unwrap();
        let (out, placement) = inject(&body, raw.as_bytes(), LINE).unwrap()?;
        let out = String::from_utf8(out).unwrap();
        // Still valid, still the same format, and the system prompt now ends with the line.
        let again = parse_request(format, out.as_bytes(), &Limits::default()).unwrap();
        let system: Vec<&str> = again
            .segments
            .iter()
            .filter(|s| s.trust == Trust::Trusted)
            .map(|s| s.text.as_str())
            .collect();
        assert!(
            system.iter().any(|t| t.ends_with(LINE)),
            "{format:?}: {system:?} in {out}"
        );
        Some((out, placement))
    }

    #[test]
    fn token_is_gw_and_16_hex() {
        let t = token(&[0xab; 16]);
        assert_eq!(t, "gwabababababababab");
        assert_eq!(line(&t), "<!-- gwabababababababab -->");
    }

    #[test]
    fn openai_chat_appends_or_adds() {
        let (out, p) = injected(
            ApiFormat::OpenAiChat,
            r#"{"model":"m","messages":[{"role":"system","content":"Be brief."},{"role":"user","content":"hi"}]}"#,
        )
        .unwrap();
        assert_eq!(p, Placement::Appended);
        assert!(out.contains(r#""content":"Be brief.\n\n<!-- gw0011223344556677 -->""#));
        let (out, p) = injected(
            ApiFormat::OpenAiChat,
            r#"{"model":"m","messages":[{"role":"user","content":"hi"}]}"#,
        )
        .unwrap();
        assert_eq!(p, Placement::Added);
        assert!(out.starts_with(
            r#"{"model":"m","messages":[{"role":"system","content":"<!-- gw0011223344556677 -->"},{"role":"user""#
        ));
        let (_, p) = injected(
            ApiFormat::OpenAiChat,
            r#"{"model":"m","messages":[{"role":"developer","content":[{"type":"text","text":"Rules"}]},{"role":"user","content":"hi"}]}"#,
        )
        .unwrap();
        assert_eq!(p, Placement::Appended);
    }

    #[test]
    fn anthropic_string_blocks_and_absent() {
        for raw in [
            r#"{"model":"m","system":"Be brief.","messages":[{"role":"user","content":"hi"}]}"#,
            r#"{"model":"m","system":[{"type":"text","text":"Be brief."}],"messages":[{"role":"user","content":"hi"}]}"#,
            r#"{"model":"m","messages":[{"role":"user","content":"hi"}]}"#,
        ] {
            injected(ApiFormat::AnthropicMessages, raw).unwrap();
        }
    }

    #[test]
    fn responses_and_gemini() {
        for raw in [
            r#"{"model":"m","input":"hi"}"#,
            r#"{"model":"m","instructions":"Be brief.","input":"hi"}"#,
            r#"{"model":"m","instructions":null,"input":"hi"}"#,
        ] {
            injected(ApiFormat::OpenAiResponses, raw).unwrap();
        }
        for raw in [
            r#"{"contents":[{"role":"user","parts":[{"text":"hi"}]}]}"#,
            r#"{"systemInstruction":{"parts":[{"text":"Be brief."}]},"contents":[{"role":"user","parts":[{"text":"hi"}]}]}"#,
        ] {
            injected(ApiFormat::GeminiGenerateContent, raw).unwrap();
        }
    }

    #[test]
    fn formats_without_a_system_prompt_are_left_alone() {
        let raw = r#"{"model":"m","prompt":"hi"}"#;
        let body = parse_request(
            ApiFormat::OpenAiCompletions,
            raw.as_bytes(),
            &Limits::default(),
        )
        .unwrap();
        assert_eq!(inject(&body, raw.as_bytes(), LINE).unwrap(), None);
    }

    #[test]
    fn only_the_splice_changes() {
        let raw = "{ \"model\" : \"m\",\n \"messages\" : [ {\"role\":\"user\",\"content\":\"hi\"} ] , \"temperature\": 0.50 }";
        let (out, _) = injected(ApiFormat::OpenAiChat, raw).unwrap();
        assert!(out.ends_with(r#"{"role":"user","content":"hi"} ] , "temperature": 0.50 }"#));
        assert!(out.starts_with("{ \"model\" : \"m\",\n \"messages\" : [{\"role\":\"system\""));
    }
}
