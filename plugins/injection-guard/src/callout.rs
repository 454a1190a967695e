//! callout: the wire format of the two outgoing calls. The remote classifier gets
//! `{"request_id","texts":[...]}` and may answer `{"score":s}`, `{"scores":[...]}`, or a
//! Hugging Face text-classification list (`[{"label","score"}]`, or one list per text);
//! a held review gets `{"action":"block"}` (or `"decision":"deny"`) to refuse, anything
//! else that is 2xx lets the request go on. Pure.

use guardrail_sdk::json::{self, quote, Json, Node};

/// Body of a classifier call.
pub fn classifier_request(request_id: &str, texts: &[&str]) -> Vec<u8> {
    let list: Vec<String> = texts.iter().map(|t| quote(t)).collect();
    format!(
        "{{\"request_id\":{},\"texts\":[{}]}}",
        quote(request_id),
        list.join(",")
    )
    .into_bytes()
}

fn number(n: &Node) -> Option<f32> {
    let v = n.as_f64()? as f32;
    (0.0..=1.0).contains(&v).then_some(v)
}

/// Highest "attack" score of a `[{"label","score"}]` list (labels compared case-insensitively).
fn label_list(items: &[Node], labels: &[String]) -> Option<f32> {
    let mut best: Option<f32> = None;
    for item in items {
        let (Some(label), Some(score)) = (
            item.get("label").and_then(Node::as_str),
            item.get("score").and_then(number),
        ) else {
            return None;
        };
        if labels.iter().any(|l| l.eq_ignore_ascii_case(label)) {
            best = Some(best.map_or(score, |b: f32| b.max(score)));
        } else {
            best = Some(best.unwrap_or(0.0));
        }
    }
    best
}

/// The highest attack score in a classifier answer; `None` when the answer is unreadable
/// (then the configured failure policy applies).
pub fn classifier_score(raw: &[u8], labels: &[String]) -> Option<f32> {
    let root = json::parse(raw, &json::Limits::default()).ok()?;
    if let Some(s) = root.get("score") {
        return number(s);
    }
    if let Some(list) = root.get("scores").and_then(Node::as_array) {
        let scores: Option<Vec<f32>> = list.iter().map(number).collect();
        return scores?.into_iter().reduce(f32::max);
    }
    let items = root.as_array()?;
    match items.first().map(|n| &n.value) {
        Some(Json::Array(_)) => {
            let per_text: Option<Vec<f32>> = items
                .iter()
                .map(|inner| label_list(inner.as_array()?, labels))
                .collect();
            per_text?.into_iter().reduce(f32::max)
        }
        Some(_) => label_list(items, labels),
        None => None,
    }
}

/// What a held review's receiver decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReviewAnswer {
    Allow,
    Block,
}

/// A 2xx review answer: block only when it says so.
pub fn review_answer(raw: &[u8]) -> ReviewAnswer {
    let Ok(root) = json::parse(raw, &json::Limits::default()) else {
        return ReviewAnswer::Allow;
    };
    let said = |key: &str| {
        root.get(key)
            .and_then(Node::as_str)
            .map(str::to_ascii_lowercase)
    };
    match (said("action").as_deref(), said("decision").as_deref()) {
        (Some("block" | "deny"), _) | (_, Some("block" | "deny")) => ReviewAnswer::Block,
        _ => ReviewAnswer::Allow,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels() -> Vec<String> {
        vec!["INJECTION".into(), "JAILBREAK".into()]
    }

    #[test]
    fn request_quotes_every_text() {
        let raw = classifier_request("r-1", &["a \"b\"", "c\nd"]);
        let v = json::parse(&raw, &json::Limits::default()).unwrap();
        let texts = v.get("texts").and_then(Node::as_array).unwrap();
        assert_eq!(texts[0].as_str(), Some("a \"b\""));
        assert_eq!(texts[1].as_str(), Some("c\nd"));
    }

    #[test]
    fn every_answer_shape() {
        let l = labels();
        assert_eq!(classifier_score(br#"{"score":0.9}"#, &l), Some(0.9));
        assert_eq!(classifier_score(br#"{"scores":[0.1,0.7]}"#, &l), Some(0.7));
        assert_eq!(
            classifier_score(
                br#"[{"label":"BENIGN","score":0.2},{"label":"injection","score":0.8}]"#,
                &l
            ),
            Some(0.8)
        );
        assert_eq!(
            classifier_score(
                br#"[[{"label":"BENIGN","score":0.99}],[{"label":"JAILBREAK","score":0.6}]]"#,
                &l
            ),
            Some(0.6)
        );
        assert_eq!(
            classifier_score(br#"[{"label":"BENIGN","score":0.99}]"#, &l),
            Some(0.0)
        );
    }

    #[test]
    fn unreadable_answers_are_none() {
        let l = labels();
        for raw in [
            &b"not json"[..],
            br#"{"score":"high"}"#,
            br#"{"score":1.5}"#,
            br#"{"scores":[]}"#,
            br#"{"scores":[0.2,"x"]}"#,
            br#"[]"#,
            br#"[{"label":"INJECTION"}]"#,
            br#"{"other":1}"#,
        ] {
            assert_eq!(
                classifier_score(raw, &l),
                None,
                "{}",
                String::from_utf8_lossy(raw)
            );
        }
    }

    #[test]
    fn review_answers() {
        assert_eq!(review_answer(br#"{"id":7}"#), ReviewAnswer::Allow);
        assert_eq!(review_answer(b""), ReviewAnswer::Allow);
        assert_eq!(review_answer(br#"{"action":"block"}"#), ReviewAnswer::Block);
        assert_eq!(
            review_answer(br#"{"decision":"DENY"}"#),
            ReviewAnswer::Block
        );
        assert_eq!(
            review_answer(br#"{"decision":"allow"}"#),
            ReviewAnswer::Allow
        );
    }
}
