//! Unit tests of the mock upstream over real loopback HTTP.

use super::*;
use crate::http_client::{self, sse_events};
use serde_json::json;

fn post(
    up: &MockUpstream,
    path: &str,
    headers: &[(&str, &str)],
    body: &Value,
) -> http_client::Response {
    http_client::post(up.addr(), path, headers, body.to_string().as_bytes()).expect("mock answers")
}

fn chat(text: &str, stream: bool) -> Value {
    json!({"model": "gpt-4o-mini", "stream": stream,
           "messages": [{"role": "system", "content": "sys"}, {"role": "user", "content": text}]})
}

#[test]
fn chat_echoes_last_user_text_and_records_request() {
    let up = MockUpstream::start().expect("start");
    let r = post(
        &up,
        "/v1/chat/completions",
        &[("x-test", "1")],
        &chat("héllo \"there\"", false),
    );
    assert_eq!(r.status, 200, "{}", r.text());
    let v = r.json().expect("json");
    assert_eq!(v["choices"][0]["message"]["content"], "héllo \"there\"");
    assert_eq!(v["usage"]["completion_tokens"], 2);
    assert_eq!(v["model"], "gpt-4o-mini");
    let recs = up.requests();
    assert_eq!(recs.len(), 1);
    assert_eq!(recs[0].method, "POST");
    assert_eq!(recs[0].path, "/v1/chat/completions");
    assert_eq!(recs[0].header("X-Test"), Some("1"));
    assert_eq!(
        recs[0].json().expect("json")["messages"][1]["content"],
        "héllo \"there\""
    );
}

#[test]
fn mock_reply_header_overrides_and_accepts_json_escapes() {
    let up = MockUpstream::start().expect("start");
    let r = post(
        &up,
        "/v1/chat/completions",
        &[("x-mock-reply", "plain reply")],
        &chat("x", false),
    );
    assert_eq!(
        r.json().expect("json")["choices"][0]["message"]["content"],
        "plain reply"
    );
    let escaped = r#""line1\nl\u00e9ne2""#;
    let r = post(
        &up,
        "/v1/messages",
        &[("x-mock-reply", escaped)],
        &chat("x", false),
    );
    let v = r.json().expect("json");
    assert_eq!(v["content"][0]["text"], "line1\nléne2");
    assert_eq!(v["type"], "message");
}

#[test]
fn openai_stream_is_small_deltas_ending_with_done() {
    let up = MockUpstream::start().expect("start");
    let r = post(
        &up,
        "/v1/chat/completions",
        &[],
        &chat("streaming words", true),
    );
    assert_eq!(r.status, 200);
    assert_eq!(r.header("content-type"), Some("text/event-stream"));
    let events = sse_events(&r.text());
    assert_eq!(events.last().map(|e| e.1.as_str()), Some("[DONE]"));
    let deltas: Vec<String> = events
        .iter()
        .filter_map(|(_, d)| serde_json::from_str::<Value>(d).ok())
        .filter_map(|v| {
            v["choices"][0]["delta"]["content"]
                .as_str()
                .map(String::from)
        })
        .filter(|s| !s.is_empty())
        .collect();
    assert!(deltas
        .iter()
        .all(|d| d.chars().count() <= DEFAULT_DELTA_CHARS));
    assert!(
        deltas.contains(&"str".to_string()),
        "a delta splits a word: {deltas:?}"
    );
    assert_eq!(deltas.concat(), "streaming words");
}

#[test]
fn openai_stream_usage_chunk_only_when_asked() {
    let up = MockUpstream::start().expect("start");
    let mut body = chat("a b c", true);
    body["stream_options"] = json!({"include_usage": true});
    let events = sse_events(&post(&up, "/v1/chat/completions", &[], &body).text());
    let usage = events
        .iter()
        .filter_map(|(_, d)| serde_json::from_str::<Value>(d).ok())
        .find(|v| v.get("usage").is_some())
        .expect("usage chunk");
    assert_eq!(usage["usage"]["completion_tokens"], 3);
    let events = sse_events(&post(&up, "/v1/chat/completions", &[], &chat("a b c", true)).text());
    assert!(events.iter().all(|(_, d)| !d.contains("usage")));
}

#[test]
fn anthropic_stream_uses_named_events() {
    let up = MockUpstream::start().expect("start");
    let body = json!({"model": "claude", "stream": true, "max_tokens": 10,
                      "messages": [{"role": "user", "content": [{"type": "text", "text": "hi there"}]}]});
    let events = sse_events(&post(&up, "/v1/messages", &[], &body).text());
    let names: Vec<&str> = events.iter().filter_map(|e| e.0.as_deref()).collect();
    assert_eq!(names.first(), Some(&"message_start"));
    assert_eq!(names.last(), Some(&"message_stop"));
    let text: String = events
        .iter()
        .filter(|e| e.0.as_deref() == Some("content_block_delta"))
        .filter_map(|(_, d)| serde_json::from_str::<Value>(d).ok())
        .filter_map(|v| v["delta"]["text"].as_str().map(String::from))
        .collect();
    assert_eq!(text, "hi there");
}

#[test]
fn responses_and_completions_and_gemini_stream_text() {
    let up = MockUpstream::start().expect("start");
    let events = sse_events(
        &post(
            &up,
            "/v1/responses",
            &[],
            &json!({"model": "m", "input": "abcdefg", "stream": true}),
        )
        .text(),
    );
    let text: String = events
        .iter()
        .filter(|e| e.0.as_deref() == Some("response.output_text.delta"))
        .filter_map(|(_, d)| serde_json::from_str::<Value>(d).ok())
        .filter_map(|v| v["delta"].as_str().map(String::from))
        .collect();
    assert_eq!(text, "abcdefg");
    assert_eq!(
        events.last().and_then(|e| e.0.as_deref()),
        Some("response.completed")
    );

    let events = sse_events(
        &post(
            &up,
            "/v1/completions",
            &[],
            &json!({"model": "m", "prompt": "xyz1", "stream": true}),
        )
        .text(),
    );
    let text: String = events
        .iter()
        .filter_map(|(_, d)| serde_json::from_str::<Value>(d).ok())
        .filter_map(|v| v["choices"][0]["text"].as_str().map(String::from))
        .collect();
    assert_eq!(text, "xyz1");

    let g = json!({"contents": [{"role": "user", "parts": [{"text": "gemini text"}]}]});
    let events = sse_events(
        &post(
            &up,
            "/v1beta/models/gem:streamGenerateContent?alt=sse",
            &[],
            &g,
        )
        .text(),
    );
    let text: String = events
        .iter()
        .filter_map(|(_, d)| serde_json::from_str::<Value>(d).ok())
        .filter_map(|v| {
            v["candidates"][0]["content"]["parts"][0]["text"]
                .as_str()
                .map(String::from)
        })
        .collect();
    assert_eq!(text, "gemini text");
}

#[test]
fn embeddings_answer_one_vector_per_input() {
    let up = MockUpstream::start().expect("start");
    let r = post(
        &up,
        "/v1/embeddings",
        &[],
        &json!({"model": "e", "input": ["a", "b"]}),
    );
    assert_eq!(
        r.json().expect("json")["data"].as_array().map(Vec::len),
        Some(2)
    );
}

#[test]
fn bad_json_is_400_in_openai_shape_and_still_recorded() {
    let up = MockUpstream::start().expect("start");
    let r =
        http_client::post(up.addr(), "/v1/chat/completions", &[], b"{not json").expect("answer");
    assert_eq!(r.status, 400);
    assert_eq!(r.json().expect("json")["error"]["code"], "mock_bad_json");
    assert_eq!(up.requests().len(), 1);
    let r = http_client::post(up.addr(), "/v1/nothing", &[], b"{}").expect("answer");
    assert_eq!(r.status, 404);
}

#[test]
fn chunked_request_bodies_and_keep_alive_are_handled() {
    let up = MockUpstream::start().expect("start");
    let mut s = TcpStream::connect(up.addr()).expect("connect");
    let body = chat("chunked", false).to_string();
    let (a, b) = body.split_at(10);
    let mut wire_req =
        b"POST /v1/chat/completions HTTP/1.1\r\nhost: x\r\ntransfer-encoding: chunked\r\n\r\n"
            .to_vec();
    wire_req.extend(wire::encode_chunk(a.as_bytes()));
    wire_req.extend(wire::encode_chunk(b.as_bytes()));
    wire_req.extend(wire::encode_chunk(b""));
    // Two requests on one connection: the second proves keep-alive works.
    s.write_all(&wire_req).expect("write");
    s.write_all(&wire_req).expect("write");
    let mut reader = BufReader::new(s);
    for _ in 0..2 {
        let head = wire::read_head(&mut reader).expect("head").expect("some");
        assert!(head.start_line.contains("200"), "{}", head.start_line);
        let len = head.content_length().expect("len").expect("has length");
        let body = wire::read_exact_body(&mut reader, len).expect("body");
        let v: Value = serde_json::from_slice(&body).expect("json");
        assert_eq!(v["choices"][0]["message"]["content"], "chunked");
    }
    assert_eq!(up.request_count(), 2);
}

#[test]
fn forced_status_answers_in_provider_shape() {
    let up = MockUpstream::start().expect("start");
    let r = post(
        &up,
        "/v1/messages",
        &[("x-mock-status", "529")],
        &chat("x", false),
    );
    assert_eq!(r.status, 529);
    assert_eq!(r.json().expect("json")["type"], "error");
}

/// A request whose headers arrive and whose body never does (a proxy that sends the head and
/// then resets) is counted in `heads_seen`, not in `requests`; every accepted connection is
/// counted, a kept-alive one once.
#[test]
fn connections_and_started_requests_are_counted() {
    use std::io::Write as _;
    let up = MockUpstream::start().expect("start");
    assert_eq!((up.connections(), up.heads_seen()), (0, 0));
    let mut s = std::net::TcpStream::connect(up.addr()).expect("connect");
    s.write_all(b"POST /v1/chat/completions HTTP/1.1\r\nhost: x\r\ncontent-length: 50\r\n\r\n{")
        .expect("write");
    drop(s);
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    while up.heads_seen() < 1 && std::time::Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(10));
    }
    assert_eq!((up.connections(), up.heads_seen()), (1, 1));
    assert_eq!(
        up.request_count(),
        0,
        "an incomplete request is not recorded"
    );
    post(&up, "/v1/chat/completions", &[], &chat("hi", false));
    assert_eq!((up.connections(), up.heads_seen()), (2, 2));
    assert_eq!(up.request_count(), 1);
}
