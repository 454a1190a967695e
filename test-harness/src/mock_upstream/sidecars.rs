//! sidecars: the two services a guardrail plugin may call out to, mocked on the same port so
//! Envoy's one upstream cluster reaches them: a review receiver (`POST /review` -> 201
//! `{"id":n}`) and a prompt classifier (`POST /classify` with `{"texts":[...]}` -> `{"scores"}`,
//! 0.99 for a text containing the word "suspicious", else 0.02).

use serde_json::{json, Value};
use std::sync::atomic::{AtomicUsize, Ordering};

static REVIEW_IDS: AtomicUsize = AtomicUsize::new(0);

/// The answer for `path` if it is a sidecar route: (status, body).
pub fn answer(path: &str, body: &[u8]) -> Option<(u16, Value)> {
    match path.split('?').next().unwrap_or("") {
        "/review" => {
            let id = REVIEW_IDS.fetch_add(1, Ordering::Relaxed) + 1;
            Some((201, json!({"id": id})))
        }
        "/classify" => {
            let Ok(v) = serde_json::from_slice::<Value>(body) else {
                return Some((400, json!({"error": "body must be JSON"})));
            };
            let Some(texts) = v.get("texts").and_then(Value::as_array) else {
                return Some((400, json!({"error": "texts: missing"})));
            };
            let scores: Vec<f64> = texts
                .iter()
                .map(|t| {
                    let text = t.as_str().unwrap_or("").to_ascii_lowercase();
                    if text.contains("suspicious") {
                        0.99
                    } else {
                        0.02
                    }
                })
                .collect();
            Some((200, json!({"scores": scores})))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes() {
        let (status, v) = answer("/review", b"{}").unwrap();
        assert_eq!(status, 201);
        assert!(v["id"].as_u64().is_some_and(|id| id >= 1));
        let (status, v) = answer("/classify", br#"{"texts":["a SUSPICIOUS b","fine"]}"#).unwrap();
        assert_eq!((status, v), (200, json!({"scores": [0.99, 0.02]})));
        assert_eq!(answer("/classify", b"x").map(|a| a.0), Some(400));
        assert_eq!(answer("/v1/chat/completions", b""), None);
    }
}
