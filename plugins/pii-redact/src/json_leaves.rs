//! json_leaves: rewrite the string values of any JSON document (object keys and id-like
//! fields untouched) by splicing, so every other byte stays as sent. Iterative walk: the
//! parser already bounds the depth.

use guardrail_sdk::json::{self, apply_splices, quote, Json, Node, Splice};

/// Fields that carry ids and enums, never prose.
const SKIP_KEYS: &[&str] = &[
    "id",
    "type",
    "object",
    "model",
    "role",
    "event",
    "finish_reason",
    "stop_reason",
    "status",
    "system_fingerprint",
    "created",
    "index",
    "name",
    "call_id",
    "item_id",
    "response_id",
    "signature",
    "finishReason",
];

/// New document with `f` applied to every prose string leaf; `Ok(None)` when nothing changed.
pub fn rewrite_leaves(
    raw: &[u8],
    limits: &json::Limits,
    mut f: impl FnMut(&str) -> Option<String>,
) -> Result<Option<Vec<u8>>, json::JsonError> {
    let root = json::parse(raw, limits)?;
    let mut splices = Vec::new();
    let mut stack: Vec<&Node> = vec![&root];
    while let Some(node) = stack.pop() {
        match &node.value {
            Json::String(s) => {
                if let Some(new) = f(s) {
                    splices.push(Splice {
                        span: node.span.clone(),
                        with: quote(&new).into_bytes(),
                    });
                }
            }
            Json::Array(items) => stack.extend(items.iter()),
            Json::Object(fields) => stack.extend(
                fields
                    .iter()
                    .filter(|(k, _)| !SKIP_KEYS.contains(&k.as_str()) && !k.ends_with("_id"))
                    .map(|(_, v)| v),
            ),
            _ => {}
        }
    }
    if splices.is_empty() {
        return Ok(None);
    }
    Ok(apply_splices(raw, splices).ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rewrites_values_not_keys_or_ids() {
        let raw = br#"{"id":"x@y.io","type":"x@y.io","text":"x@y.io","nested":[{"x@y.io":"x@y.io","n":1}]}"#;
        let out = rewrite_leaves(raw, &json::Limits::default(), |s| {
            s.contains('@').then(|| "[EMAIL]".to_string())
        })
        .unwrap()
        .unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            r#"{"id":"x@y.io","type":"x@y.io","text":"[EMAIL]","nested":[{"x@y.io":"[EMAIL]","n":1}]}"#
        );
        assert_eq!(
            rewrite_leaves(b"{}", &json::Limits::default(), |_| None).unwrap(),
            None
        );
        assert!(rewrite_leaves(b"{", &json::Limits::default(), |_| None).is_err());
    }
}
