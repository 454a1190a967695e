//! Which provider API a mock request speaks (from its path) and what the "user said" in it:
//! the last user text, exactly as received, which the mock echoes back.

use serde_json::Value;

/// The APIs the mock answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Api {
    OpenAiChat,
    OpenAiCompletions,
    OpenAiEmbeddings,
    OpenAiResponses,
    AnthropicMessages,
    /// `stream` is true for `:streamGenerateContent`.
    Gemini {
        stream: bool,
    },
}

impl Api {
    /// Maps a request path (query ignored) to an API. Accepts the OpenAI paths with or without
    /// `/v1`, Azure `/openai/deployments/{d}/...`, Anthropic `/v1/messages` and Gemini
    /// `/v1beta/models/{m}:generateContent|:streamGenerateContent`.
    pub fn for_path(path: &str) -> Option<Api> {
        let path = path.split('?').next().unwrap_or("");
        if let Some(rest) = path.rsplit_once(':').map(|(_, verb)| verb) {
            if path.contains("/models/") {
                return match rest {
                    "generateContent" => Some(Api::Gemini { stream: false }),
                    "streamGenerateContent" => Some(Api::Gemini { stream: true }),
                    _ => None,
                };
            }
        }
        let tail = path.trim_end_matches('/');
        let ends = |suffix: &str| tail.ends_with(suffix);
        if ends("/chat/completions") {
            Some(Api::OpenAiChat)
        } else if ends("/completions") {
            Some(Api::OpenAiCompletions)
        } else if ends("/embeddings") {
            Some(Api::OpenAiEmbeddings)
        } else if ends("/responses") {
            Some(Api::OpenAiResponses)
        } else if ends("/messages") {
            Some(Api::AnthropicMessages)
        } else {
            None
        }
    }

    pub fn is_anthropic(self) -> bool {
        self == Api::AnthropicMessages
    }
}

/// The model named in the request, or in a Gemini path.
pub fn model_of(api: Api, path: &str, body: &Value) -> String {
    if let Api::Gemini { .. } = api {
        let p = path.split('?').next().unwrap_or("");
        if let Some((_, after)) = p.split_once("/models/") {
            return after.split(':').next().unwrap_or("").to_string();
        }
    }
    body.get("model")
        .and_then(Value::as_str)
        .unwrap_or("mock-model")
        .to_string()
}

/// Whether the client asked for a streamed answer.
pub fn wants_stream(api: Api, body: &Value) -> bool {
    match api {
        Api::Gemini { stream } => stream,
        Api::OpenAiEmbeddings => false,
        _ => body.get("stream").and_then(Value::as_bool).unwrap_or(false),
    }
}

/// The last thing the user said, exactly as received (text parts joined with no separator).
/// Empty when there is none.
pub fn last_user_text(api: Api, body: &Value) -> String {
    match api {
        Api::OpenAiChat | Api::AnthropicMessages => {
            last_with_role(body.get("messages"), "role", "user")
                .map(|m| content_text(m.get("content")))
                .unwrap_or_default()
        }
        Api::OpenAiCompletions => last_string(body.get("prompt")),
        Api::OpenAiEmbeddings => last_string(body.get("input")),
        Api::OpenAiResponses => match body.get("input") {
            Some(Value::String(s)) => s.clone(),
            items => last_with_role(items, "role", "user")
                .map(|m| content_text(m.get("content")))
                .unwrap_or_default(),
        },
        Api::Gemini { .. } => body
            .get("contents")
            .and_then(Value::as_array)
            .and_then(|c| {
                c.iter().rev().find(|m| {
                    m.get("role")
                        .and_then(Value::as_str)
                        .is_none_or(|r| r == "user")
                })
            })
            .map(|m| content_text(m.get("parts")))
            .unwrap_or_default(),
    }
}

/// The system prompt as the model would read it (for `x-mock-reply: @system`, a model that
/// leaks its instructions): OpenAI system/developer messages, Anthropic `system`, Responses
/// `instructions`, Gemini `systemInstruction`; joined by blank lines.
pub fn system_text(api: Api, body: &Value) -> String {
    match api {
        Api::OpenAiChat => body
            .get("messages")
            .and_then(Value::as_array)
            .map(|list| {
                list.iter()
                    .filter(|m| {
                        matches!(
                            m.get("role").and_then(Value::as_str),
                            Some("system" | "developer")
                        )
                    })
                    .map(|m| content_text(m.get("content")))
                    .collect::<Vec<_>>()
                    .join("\n\n")
            })
            .unwrap_or_default(),
        Api::AnthropicMessages => content_text(body.get("system")),
        Api::OpenAiResponses => content_text(body.get("instructions")),
        Api::Gemini { .. } => content_text(
            body.get("systemInstruction")
                .or_else(|| body.get("system_instruction"))
                .and_then(|s| s.get("parts")),
        ),
        _ => String::new(),
    }
}

fn last_with_role<'a>(list: Option<&'a Value>, key: &str, role: &str) -> Option<&'a Value> {
    list?
        .as_array()?
        .iter()
        .rev()
        .find(|m| m.get(key).and_then(Value::as_str) == Some(role))
}

/// A content that is a string, or a list of parts/blocks with `text` fields.
fn content_text(content: Option<&Value>) -> String {
    match content {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Array(parts)) => parts
            .iter()
            .filter_map(|p| p.get("text").and_then(Value::as_str))
            .collect(),
        _ => String::new(),
    }
}

/// A string, or the last string of an array of strings.
fn last_string(v: Option<&Value>) -> String {
    match v {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Array(a)) => a
            .iter()
            .rev()
            .find_map(Value::as_str)
            .unwrap_or("")
            .to_string(),
        _ => String::new(),
    }
}

/// The mock's token count: whitespace-separated words, at least 1 for non-empty text.
pub fn count_tokens(text: &str) -> u64 {
    let words = text.split_whitespace().count() as u64;
    if words == 0 && !text.is_empty() {
        1
    } else {
        words
    }
}

/// All user-visible input text, for the prompt token count.
pub fn prompt_tokens(body: &Value) -> u64 {
    fn walk(v: &Value, n: &mut u64) {
        match v {
            Value::String(s) => *n += count_tokens(s),
            Value::Array(a) => a.iter().for_each(|x| walk(x, n)),
            Value::Object(o) => o
                .iter()
                .filter(|(k, _)| !matches!(k.as_str(), "model" | "role" | "type"))
                .for_each(|(_, x)| walk(x, n)),
            _ => {}
        }
    }
    let mut n = 0;
    walk(body, &mut n);
    n
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn paths_map_to_apis() {
        assert_eq!(
            Api::for_path("/v1/chat/completions?x=1"),
            Some(Api::OpenAiChat)
        );
        assert_eq!(
            Api::for_path("/openai/deployments/gpt4/chat/completions?api-version=2024-02-01"),
            Some(Api::OpenAiChat)
        );
        assert_eq!(
            Api::for_path("/v1/completions"),
            Some(Api::OpenAiCompletions)
        );
        assert_eq!(Api::for_path("/v1/embeddings"), Some(Api::OpenAiEmbeddings));
        assert_eq!(Api::for_path("/v1/responses"), Some(Api::OpenAiResponses));
        assert_eq!(Api::for_path("/v1/messages"), Some(Api::AnthropicMessages));
        assert_eq!(
            Api::for_path("/v1beta/models/gemini-2.0-flash:streamGenerateContent?alt=sse"),
            Some(Api::Gemini { stream: true })
        );
        assert_eq!(Api::for_path("/v1/models/x:countTokens"), None);
        assert_eq!(Api::for_path("/v1/other"), None);
    }

    #[test]
    fn last_user_text_per_format() {
        let chat = json!({"messages":[{"role":"user","content":"first"},{"role":"assistant","content":"a"},
            {"role":"user","content":[{"type":"text","text":"sec"},{"type":"text","text":"ond"}]}]});
        assert_eq!(last_user_text(Api::OpenAiChat, &chat), "second");
        assert_eq!(
            last_user_text(Api::OpenAiCompletions, &json!({"prompt":["a","b"]})),
            "b"
        );
        assert_eq!(
            last_user_text(Api::OpenAiResponses, &json!({"input":"hi"})),
            "hi"
        );
        let resp =
            json!({"input":[{"role":"user","content":[{"type":"input_text","text":"x y"}]}]});
        assert_eq!(last_user_text(Api::OpenAiResponses, &resp), "x y");
        let gem = json!({"contents":[{"parts":[{"text":"g"}]}]});
        assert_eq!(last_user_text(Api::Gemini { stream: false }, &gem), "g");
        assert_eq!(
            model_of(
                Api::Gemini { stream: false },
                "/v1beta/models/gm:generateContent",
                &gem
            ),
            "gm"
        );
    }

    #[test]
    fn token_counts_are_word_counts() {
        assert_eq!(count_tokens("a bb  ccc"), 3);
        assert_eq!(count_tokens(" "), 1);
        assert_eq!(count_tokens(""), 0);
        assert_eq!(
            prompt_tokens(&json!({"model":"m","messages":[{"role":"user","content":"a b"}]})),
            2
        );
    }
}
