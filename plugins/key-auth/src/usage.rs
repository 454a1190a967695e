//! usage: how many tokens an answer cost, read as the response streams past (never held):
//! `usage`/`usageMetadata` of a JSON answer, or the usage events of an SSE stream (OpenAI's
//! `include_usage` chunk, Anthropic `message_start` + `message_delta`, Responses
//! `response.completed`, Gemini `usageMetadata`). Providers report cumulative counts, so the
//! largest value per field wins. An answer without usage (an OpenAI stream without
//! `stream_options.include_usage`, an unparseable body) is charged an estimate of one token per
//! 4 bytes of request body plus 4 bytes of answer text (streamed deltas; the whole body when it
//! is not a stream), so skipping usage cannot bypass a budget.

use guardrail_sdk::body::Usage;
use guardrail_sdk::json::{self, Json, Node};
use guardrail_sdk::sse::SseParser;
use guardrail_sdk::stream::{deltas, stream_usage};
use guardrail_sdk::ApiFormat;

/// The answer's body type, from its content type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResponseKind {
    Json,
    Sse,
    Other,
}

pub fn response_kind(content_type: Option<&str>) -> ResponseKind {
    let ct = content_type.unwrap_or("").to_ascii_lowercase();
    let mime = ct.split(';').next().unwrap_or("").trim();
    if mime == "text/event-stream" {
        ResponseKind::Sse
    } else if guardrail_sdk::buffer::is_json_content_type(Some(mime)) {
        ResponseKind::Json
    } else {
        ResponseKind::Other
    }
}

/// Where the charged number came from (for the verdict log).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UsageSource {
    Reported,
    Estimated,
}

impl UsageSource {
    pub fn name(self) -> &'static str {
        match self {
            UsageSource::Reported => "reported",
            UsageSource::Estimated => "estimated",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Metered {
    pub tokens: u64,
    pub source: UsageSource,
}

/// Watches an answer's body chunks and works out its token usage at the end.
#[derive(Debug)]
pub struct UsageMeter {
    format: ApiFormat,
    kind: ResponseKind,
    max_bytes: usize,
    json: Vec<u8>,
    sse: SseParser,
    best: Option<Usage>,
    request_bytes: u64,
    bytes: u64,
    text_bytes: u64,
    broken: bool,
}

fn merge(best: Option<Usage>, u: Usage) -> Usage {
    match best {
        None => Usage {
            total_tokens: u
                .total_tokens
                .max(u.input_tokens.saturating_add(u.output_tokens)),
            ..u
        },
        Some(b) => {
            let input_tokens = b.input_tokens.max(u.input_tokens);
            let output_tokens = b.output_tokens.max(u.output_tokens);
            Usage {
                input_tokens,
                output_tokens,
                total_tokens: b
                    .total_tokens
                    .max(u.total_tokens)
                    .max(input_tokens.saturating_add(output_tokens)),
            }
        }
    }
}

/// Usage in a JSON answer (an object, or Gemini's array of chunks).
/// The top-level members of a JSON answer that carry usage (OpenAI and Anthropic, Gemini).
const USAGE_MEMBERS: &[&str] = &["usage", "usageMetadata"];

fn json_usage(root: &Node) -> Option<Usage> {
    match &root.value {
        Json::Array(items) => items
            .iter()
            .filter_map(json_usage)
            .fold(None, |best, u| Some(merge(best, u))),
        Json::Object(_) => root
            .get("usage")
            .or_else(|| root.get("usageMetadata"))
            .and_then(Usage::from_node)
            .map(|u| merge(None, u)),
        _ => None,
    }
}

impl UsageMeter {
    /// `request_bytes`: the request body size when known (for the estimate), else 0.
    pub fn new(
        format: ApiFormat,
        kind: ResponseKind,
        max_bytes: usize,
        request_bytes: u64,
    ) -> UsageMeter {
        UsageMeter {
            format,
            kind,
            max_bytes,
            json: Vec::new(),
            sse: SseParser::new(max_bytes),
            best: None,
            request_bytes,
            bytes: 0,
            text_bytes: 0,
            broken: false,
        }
    }

    /// Feed the next body chunk.
    pub fn push(&mut self, chunk: &[u8]) {
        self.bytes = self.bytes.saturating_add(chunk.len() as u64);
        if self.broken {
            return;
        }
        match self.kind {
            ResponseKind::Json => {
                if self.json.len().saturating_add(chunk.len()) > self.max_bytes {
                    self.broken = true;
                    self.json = Vec::new();
                } else {
                    self.json.extend_from_slice(chunk);
                }
            }
            ResponseKind::Sse => match self.sse.push(chunk) {
                Ok(events) => self.observe(events),
                Err(_) => self.broken = true,
            },
            ResponseKind::Other => self.broken = true,
        }
    }

    fn observe(&mut self, events: Vec<guardrail_sdk::sse::SseEvent>) {
        for ev in events {
            if let Some(u) = stream_usage(self.format, &ev) {
                self.best = Some(merge(self.best, u));
            }
            for d in deltas(self.format, &ev) {
                self.text_bytes = self.text_bytes.saturating_add(d.text.len() as u64);
            }
        }
    }

    /// The tokens to charge once the answer is over.
    pub fn finish(&mut self) -> Metered {
        if !self.broken {
            match self.kind {
                ResponseKind::Json => {
                    let limits = json::Limits {
                        max_bytes: self.max_bytes,
                        ..json::Limits::default()
                    };
                    // Only the usage members are built; the answer text and choices are
                    // checked as strictly but not allocated (the same verdict as `parse`).
                    if let Some(u) = json::parse_members(&self.json, &limits, USAGE_MEMBERS)
                        .ok()
                        .as_ref()
                        .and_then(json_usage)
                    {
                        self.best = Some(merge(self.best, u));
                    }
                }
                ResponseKind::Sse => match self.sse.finish() {
                    Ok(events) => self.observe(events),
                    Err(_) => self.broken = true,
                },
                ResponseKind::Other => {}
            }
        }
        match self.best {
            Some(u) => Metered {
                tokens: u.total_tokens,
                source: UsageSource::Reported,
            },
            None => {
                // A stream that parsed: its delta text; anything else: all its bytes.
                let answer = if self.kind == ResponseKind::Sse && !self.broken {
                    self.text_bytes
                } else {
                    self.bytes
                };
                Metered {
                    tokens: self
                        .request_bytes
                        .div_ceil(4)
                        .saturating_add(answer.div_ceil(4)),
                    source: UsageSource::Estimated,
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn meter(format: ApiFormat, kind: ResponseKind, body: &[u8], chunk: usize) -> Metered {
        let mut m = UsageMeter::new(format, kind, 1 << 20, 0);
        for c in body.chunks(chunk.max(1)) {
            m.push(c);
        }
        m.finish()
    }

    fn every_split(format: ApiFormat, kind: ResponseKind, body: &[u8]) -> Metered {
        let whole = meter(format, kind, body, body.len());
        for chunk in 1..body.len().min(64) {
            assert_eq!(meter(format, kind, body, chunk), whole, "chunk {chunk}");
        }
        whole
    }

    fn reported(tokens: u64) -> Metered {
        Metered {
            tokens,
            source: UsageSource::Reported,
        }
    }

    #[test]
    fn content_types() {
        assert_eq!(
            response_kind(Some("application/json; charset=utf-8")),
            ResponseKind::Json
        );
        assert_eq!(
            response_kind(Some("text/event-stream;charset=UTF-8")),
            ResponseKind::Sse
        );
        assert_eq!(response_kind(Some("text/plain")), ResponseKind::Other);
        assert_eq!(response_kind(None), ResponseKind::Other);
    }

    #[test]
    fn json_answers_of_each_provider() {
        let table: [(ApiFormat, &str, u64); 5] = [
            (
                ApiFormat::OpenAiChat,
                r#"{"choices":[],"usage":{"prompt_tokens":9,"completion_tokens":3,"total_tokens":12}}"#,
                12,
            ),
            (
                ApiFormat::OpenAiResponses,
                r#"{"output":[],"usage":{"input_tokens":5,"output_tokens":2,"total_tokens":7}}"#,
                7,
            ),
            (
                ApiFormat::AnthropicMessages,
                r#"{"content":[],"usage":{"input_tokens":10,"output_tokens":4}}"#,
                14,
            ),
            (
                ApiFormat::GeminiGenerateContent,
                r#"{"candidates":[],"usageMetadata":{"promptTokenCount":3,"candidatesTokenCount":2,"totalTokenCount":5}}"#,
                5,
            ),
            (
                ApiFormat::GeminiGenerateContent,
                r#"[{"usageMetadata":{"promptTokenCount":3,"candidatesTokenCount":1}},{"usageMetadata":{"promptTokenCount":3,"candidatesTokenCount":6,"totalTokenCount":9}}]"#,
                9,
            ),
        ];
        for (format, body, want) in table {
            assert_eq!(
                every_split(format, ResponseKind::Json, body.as_bytes()),
                reported(want),
                "{body}"
            );
        }
    }

    #[test]
    fn sse_streams_of_each_provider() {
        let openai = "data: {\"choices\":[{\"delta\":{\"content\":\"hi\"}}]}\n\n\
            data: {\"choices\":[],\"usage\":{\"prompt_tokens\":8,\"completion_tokens\":2,\"total_tokens\":10}}\n\n\
            data: [DONE]\n\n";
        assert_eq!(
            every_split(ApiFormat::OpenAiChat, ResponseKind::Sse, openai.as_bytes()),
            reported(10)
        );
        let anthropic = "event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"usage\":{\"input_tokens\":20,\"output_tokens\":1}}}\n\n\
            event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"delta\":{\"type\":\"text_delta\",\"text\":\"x\"}}\n\n\
            event: message_delta\ndata: {\"type\":\"message_delta\",\"usage\":{\"output_tokens\":15}}\n\n\
            event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n";
        // input 20 (message_start) + output 15 (cumulative in message_delta), not 20 + 1 + 15.
        assert_eq!(
            every_split(
                ApiFormat::AnthropicMessages,
                ResponseKind::Sse,
                anthropic.as_bytes()
            ),
            reported(35)
        );
        let gemini = "data: {\"candidates\":[],\"usageMetadata\":{\"promptTokenCount\":4,\"candidatesTokenCount\":1,\"totalTokenCount\":5}}\r\n\r\n\
            data: {\"candidates\":[],\"usageMetadata\":{\"promptTokenCount\":4,\"candidatesTokenCount\":7,\"totalTokenCount\":11}}\r\n\r\n";
        assert_eq!(
            every_split(
                ApiFormat::GeminiGenerateContent,
                ResponseKind::Sse,
                gemini.as_bytes()
            ),
            reported(11)
        );
    }

    #[test]
    fn missing_usage_is_estimated_from_bytes() {
        let stream = "data: {\"choices\":[{\"delta\":{\"content\":\"hello there\"}}]}\n\n\
            data: {\"choices\":[{\"delta\":{\"content\":\" friend\"}}]}\n\ndata: [DONE]\n\n";
        let got = every_split(ApiFormat::OpenAiChat, ResponseKind::Sse, stream.as_bytes());
        // "hello there friend" = 18 bytes of text -> 5 tokens.
        assert_eq!(
            got,
            Metered {
                tokens: 5,
                source: UsageSource::Estimated
            }
        );
        let mut with_request =
            UsageMeter::new(ApiFormat::OpenAiChat, ResponseKind::Sse, 1 << 20, 40);
        with_request.push(stream.as_bytes());
        assert_eq!(with_request.finish().tokens, 10 + 5);
        let broken = meter(ApiFormat::OpenAiChat, ResponseKind::Json, b"{\"usage\":", 3);
        assert_eq!(broken.source, UsageSource::Estimated);
        assert_eq!(broken.tokens, 3);
        let other = meter(ApiFormat::OpenAiChat, ResponseKind::Other, b"12345678", 8);
        assert_eq!(
            other,
            Metered {
                tokens: 2,
                source: UsageSource::Estimated
            }
        );
        let empty = meter(ApiFormat::OpenAiChat, ResponseKind::Json, b"", 1);
        assert_eq!(empty.tokens, 0);
    }

    #[test]
    fn oversize_json_is_estimated_not_buffered() {
        let mut m = UsageMeter::new(ApiFormat::OpenAiChat, ResponseKind::Json, 16, 0);
        m.push(b"{\"usage\":{\"total_tokens\":1}}");
        assert_eq!(m.finish().source, UsageSource::Estimated);
    }
}
