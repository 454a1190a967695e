//! stream_restore: the streamed-answer state machine. Takes response body chunks, parses SSE,
//! runs each text channel through a [`TextStream`] (hold back what could still be a match or
//! a placeholder, redact, restore), and returns the bytes to forward. Text held back is
//! flushed before the event that ends its channel (finish reason, block stop, `[DONE]`) and at
//! the end of the body. Events without text deltas get their string fields rewritten whole.

use crate::config::Settings;
use crate::json_leaves::rewrite_leaves;
use crate::pseudonym::Pseudonyms;
use crate::request_scan::limits;
use crate::response_scan::{rewrite_text, ResponseReport};
use crate::text_stream::TextStream;
use guardrail_sdk::json::{self, Json, Node};
use guardrail_sdk::sse::{SseError, SseEvent, SseParser};
use guardrail_sdk::stream::{deltas, is_done, with_deltas};
use guardrail_sdk::ApiFormat;
use std::collections::BTreeMap;

/// Largest single SSE event accepted (an over-limit event fails closed).
pub const MAX_EVENT_BYTES: usize = 1024 * 1024;

#[derive(Default)]
struct Channel {
    text: TextStream,
    /// Last event that carried this channel's text, and the delta's index in it: the shape
    /// used to emit held-back text.
    template: Option<(SseEvent, usize)>,
}

pub struct StreamRewriter {
    format: ApiFormat,
    parser: SseParser,
    channels: BTreeMap<usize, Channel>,
    /// Findings in events rewritten whole.
    whole: ResponseReport,
    /// Events seen (for the verdict log).
    pub events: u64,
}

impl StreamRewriter {
    pub fn new(format: ApiFormat, max_event_bytes: usize) -> Self {
        StreamRewriter {
            format,
            parser: SseParser::new(max_event_bytes),
            channels: BTreeMap::new(),
            whole: ResponseReport::default(),
            events: 0,
        }
    }

    /// Values redacted and placeholders restored so far.
    pub fn report(&self) -> ResponseReport {
        let mut r = self.whole.clone();
        for ch in self.channels.values() {
            r.counts.merge(&ch.text.counts);
            r.restored += ch.text.restored;
        }
        r
    }

    /// One body chunk in, the bytes to forward out (possibly empty while an event is partial).
    pub fn push(
        &mut self,
        chunk: &[u8],
        settings: &Settings,
        pseudonyms: &Pseudonyms,
    ) -> Result<Vec<u8>, SseError> {
        let events = self.parser.push(chunk)?;
        let mut out = Vec::new();
        for ev in events {
            self.on_event(ev, settings, pseudonyms, &mut out);
        }
        Ok(out)
    }

    /// End of the body: the last partial event and every held-back text.
    pub fn finish(
        &mut self,
        settings: &Settings,
        pseudonyms: &Pseudonyms,
    ) -> Result<Vec<u8>, SseError> {
        let events = self.parser.finish()?;
        let mut out = Vec::new();
        for ev in events {
            self.on_event(ev, settings, pseudonyms, &mut out);
        }
        self.flush_all(settings, pseudonyms, &mut out);
        Ok(out)
    }

    fn on_event(
        &mut self,
        ev: SseEvent,
        settings: &Settings,
        pseudonyms: &Pseudonyms,
        out: &mut Vec<u8>,
    ) {
        self.events += 1;
        let ds = deltas(self.format, &ev);
        let last = is_final(&ev);
        if ds.is_empty() {
            if last {
                self.flush_all(settings, pseudonyms, out);
            }
            self.emit_whole(ev, settings, pseudonyms, out);
            return;
        }
        let mut new_text = Vec::with_capacity(ds.len());
        for (i, d) in ds.iter().enumerate() {
            let ch = self.channels.entry(d.channel).or_default();
            let mut text = ch.text.push(&d.text, settings, pseudonyms);
            if last {
                text.push_str(&ch.text.finish(settings, pseudonyms));
            }
            ch.template = Some((ev.clone(), i));
            new_text.push((i, text));
        }
        if let Some(rewritten) = with_deltas(self.format, &ev, &new_text) {
            out.extend_from_slice(&rewritten.raw);
        }
        // No rewrite possible (cannot happen for an event we parsed): drop it, never leak it.
    }

    /// A non-delta event: its prose fields (Responses `*.done`, `response.completed`, ...)
    /// redacted and restored whole; anything else forwarded as is.
    fn emit_whole(
        &mut self,
        ev: SseEvent,
        settings: &Settings,
        pseudonyms: &Pseudonyms,
        out: &mut Vec<u8>,
    ) {
        let data = ev.data.trim_start();
        if !data.starts_with('{') {
            out.extend_from_slice(&ev.raw);
            return;
        }
        let whole = &mut self.whole;
        let rewritten = rewrite_leaves(ev.data.as_bytes(), &limits(settings.max_body_bytes), |t| {
            rewrite_text(t, settings, pseudonyms, whole)
        });
        match rewritten
            .ok()
            .flatten()
            .and_then(|d| String::from_utf8(d).ok())
        {
            Some(data) => {
                let mut new = SseEvent {
                    event: ev.event.clone(),
                    data,
                    id: ev.id.clone(),
                    raw: Vec::new(),
                };
                new.raw = guardrail_sdk::sse::serialize(&new);
                out.extend_from_slice(&new.raw);
            }
            None => out.extend_from_slice(&ev.raw),
        }
    }

    fn flush_all(&mut self, settings: &Settings, pseudonyms: &Pseudonyms, out: &mut Vec<u8>) {
        for ch in self.channels.values_mut() {
            let text = ch.text.finish(settings, pseudonyms);
            if text.is_empty() {
                continue;
            }
            if let Some((template, i)) = &ch.template {
                if let Some(ev) = with_deltas(self.format, template, &[(*i, text)]) {
                    out.extend_from_slice(&ev.raw);
                }
            }
        }
    }
}

/// The event ends a text channel: `[DONE]`/`message_stop`, an OpenAI `finish_reason`, an
/// Anthropic `content_block_stop`/`message_delta`, a Responses `*.done`, a Gemini `finishReason`.
fn is_final(ev: &SseEvent) -> bool {
    if is_done(ev) {
        return true;
    }
    if let Some(name) = ev.event.as_deref() {
        if matches!(name, "content_block_stop" | "message_delta") || name.ends_with(".done") {
            return true;
        }
    }
    let Ok(root) = json::parse(ev.data.as_bytes(), &json::Limits::default()) else {
        return false;
    };
    if let Some(t) = root.get("type").and_then(Node::as_str) {
        if matches!(t, "content_block_stop" | "message_delta") || t.ends_with(".done") {
            return true;
        }
    }
    let has_string = |list: &str, key: &str| {
        root.get(list)
            .and_then(Node::as_array)
            .is_some_and(|items| {
                items
                    .iter()
                    .any(|c| matches!(c.get(key).map(|n| &n.value), Some(Json::String(_))))
            })
    };
    has_string("choices", "finish_reason") || has_string("candidates", "finishReason")
}
