//! How the demo prints things: one-line previews, streamed-answer summaries, verdict lines,
//! and colours only when stdout is a terminal.

use serde_json::Value;

use guardrail_harness::http_client::sse_events;

pub struct Style {
    color: bool,
}

impl Style {
    /// Colours only when writing to a terminal.
    pub fn new(color: bool) -> Style {
        Style { color }
    }

    fn paint(&self, code: &str, text: &str) -> String {
        if self.color {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_string()
        }
    }

    pub fn bold(&self, t: &str) -> String {
        self.paint("1", t)
    }
    pub fn dim(&self, t: &str) -> String {
        self.paint("2", t)
    }
    pub fn green(&self, t: &str) -> String {
        self.paint("32", t)
    }
    pub fn red(&self, t: &str) -> String {
        self.paint("31", t)
    }
    pub fn yellow(&self, t: &str) -> String {
        self.paint("33", t)
    }
    pub fn cyan(&self, t: &str) -> String {
        self.paint("36", t)
    }
}

/// One line, at most `max` characters, newlines shown as `⏎`.
pub fn preview(text: &str, max: usize) -> String {
    let flat: String = text
        .chars()
        .map(|c| if c == '\n' { '⏎' } else { c })
        .collect();
    if flat.chars().count() <= max {
        return flat;
    }
    let cut: String = flat.chars().take(max).collect();
    format!("{cut}…")
}

/// The text a streamed event carries, for the usual provider shapes (display only).
fn event_text(data: &Value) -> Option<&str> {
    let paths = [
        "/choices/0/delta/content",
        "/choices/0/text",
        "/delta/text",
        "/candidates/0/content/parts/0/text",
    ];
    if data.get("type").and_then(Value::as_str) == Some("response.output_text.delta") {
        return data.get("delta").and_then(Value::as_str);
    }
    paths
        .iter()
        .find_map(|p| data.pointer(p).and_then(Value::as_str))
}

/// A streamed body summarised: event count and the text the deltas spell.
pub fn sse_summary(body: &str) -> String {
    let events = sse_events(body);
    let text: String = events
        .iter()
        .filter_map(|(_, d)| serde_json::from_str::<Value>(d).ok())
        .filter_map(|v| event_text(&v).map(str::to_string))
        .collect();
    format!("SSE, {} events, text: {:?}", events.len(), text)
}

/// A verdict object as `plugin/phase: verdict status rules key=value...`.
pub fn verdict_line(v: &Value) -> String {
    let s = |k: &str| v.get(k).and_then(Value::as_str).unwrap_or("?").to_string();
    let mut out = format!("{}/{}: {}", s("guardrail"), s("phase"), s("verdict"));
    if let Some(status) = v.get("status").filter(|x| !x.is_null()) {
        out.push_str(&format!(" status={status}"));
    }
    if let Some(obj) = v.as_object() {
        for (k, val) in obj {
            if matches!(
                k.as_str(),
                "guardrail" | "phase" | "verdict" | "status" | "v" | "request_id" | "timings_us"
            ) {
                continue;
            }
            let empty = val.is_null() || val.as_array().is_some_and(Vec::is_empty);
            if !empty {
                out.push_str(&format!(" {k}={val}"));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn previews_are_one_line_and_bounded() {
        assert_eq!(preview("a\nb", 10), "a⏎b");
        assert_eq!(preview("abcdef", 3), "abc…");
    }

    #[test]
    fn sse_summary_spells_the_streamed_text() {
        let body = "data: {\"choices\":[{\"delta\":{\"content\":\"he\"}}]}\n\ndata: {\"choices\":[{\"delta\":{\"content\":\"y\"}}]}\n\ndata: [DONE]\n\n";
        assert_eq!(sse_summary(body), "SSE, 3 events, text: \"hey\"");
    }

    #[test]
    fn verdict_line_skips_ids_and_empties() {
        let v = json!({"guardrail":"pii-redact","v":"0.1.0","request_id":"r","phase":"request",
                       "verdict":"redact","status":null,"rules":["pii.email"],"segments":[],"counts":{"EMAIL":1}});
        assert_eq!(
            verdict_line(&v),
            r#"pii-redact/request: redact counts={"EMAIL":1} rules=["pii.email"]"#
        );
    }
}
