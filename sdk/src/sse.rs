//! sse: incremental Server-Sent Events parser (WHATWG HTML "server-sent events" framing) that
//! gives the same events however the stream is split into chunks, plus `serialize`.
//!
//! Every byte of the stream lands in exactly one event's `raw` (comment-only blocks and stray
//! blank lines become events with no fields), so a proxy can forward unmodified events
//! byte-for-byte and the concatenation of all `raw`s is the stream.

use std::fmt;

/// One complete SSE event. `raw` holds the exact bytes it arrived as, terminator included, so
/// an unmodified event can be forwarded byte-for-byte.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SseEvent {
    /// `event:` field.
    pub event: Option<String>,
    /// The `data:` lines joined with `\n`, as the SSE spec says.
    pub data: String,
    /// `id:` field.
    pub id: Option<String>,
    /// The event's bytes as they came (up to and including its blank line).
    pub raw: Vec<u8>,
}

impl SseEvent {
    /// True for a block with no `event`, `data` or `id` field (comments, keep-alives, blank
    /// lines): nothing to inspect, just forward `raw`.
    pub fn is_fieldless(&self) -> bool {
        self.event.is_none() && self.id.is_none() && self.data.is_empty()
    }
}

/// Why a stream cannot be parsed. Messages never contain stream text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SseError {
    /// An event (bytes up to its blank line) grew past the parser's limit.
    EventTooLarge {
        /// The parser's limit in bytes.
        limit: usize,
    },
    /// A complete event is not valid UTF-8; `offset` is relative to the event's first byte.
    InvalidUtf8 {
        /// Offset of the first invalid byte.
        offset: usize,
    },
}

impl fmt::Display for SseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SseError::EventTooLarge { limit } => {
                write!(f, "server-sent event larger than {limit} bytes")
            }
            SseError::InvalidUtf8 { offset } => {
                write!(f, "server-sent event is not valid UTF-8 at byte {offset}")
            }
        }
    }
}

impl std::error::Error for SseError {}

/// Incremental parser. Feed chunks with `push`, end with `finish`. After an error the parser
/// stays failed (every later call returns the same error): the caller blocks the stream.
#[derive(Debug, Clone)]
pub struct SseParser {
    max_event_bytes: usize,
    /// Bytes of the event being assembled (everything after the last complete event).
    pending: Vec<u8>,
    /// Where the current (incomplete) line starts in `pending`.
    line_start: usize,
    /// Bytes before this offset hold no terminator of the current line.
    scan_from: usize,
    /// Whether no event has been emitted yet (a leading UTF-8 BOM is skipped, per the spec).
    at_stream_start: bool,
    failed: Option<SseError>,
}

impl SseParser {
    /// A parser refusing events over `max_event_bytes`.
    pub fn new(max_event_bytes: usize) -> Self {
        SseParser {
            max_event_bytes,
            pending: Vec::new(),
            line_start: 0,
            scan_from: 0,
            at_stream_start: true,
            failed: None,
        }
    }

    /// Add a chunk; returns the events it completed (possibly none).
    pub fn push(&mut self, chunk: &[u8]) -> Result<Vec<SseEvent>, SseError> {
        if let Some(err) = self.failed {
            return Err(err);
        }
        self.pending.extend_from_slice(chunk);
        let events = self.drain_complete(false);
        self.check(events)
    }

    /// End of stream: a last event without its blank line (and a trailing lone CR) is still an
    /// event, so nothing the upstream sent is dropped unscanned.
    pub fn finish(&mut self) -> Result<Vec<SseEvent>, SseError> {
        if let Some(err) = self.failed {
            return Err(err);
        }
        let mut events = self.drain_complete(true);
        if let Ok(list) = &mut events {
            if !self.pending.is_empty() {
                let raw = std::mem::take(&mut self.pending);
                self.line_start = 0;
                self.scan_from = 0;
                match self.parse_block(raw) {
                    Ok(ev) => list.push(ev),
                    Err(err) => events = Err(err),
                }
            }
        }
        self.check(events)
    }

    fn check(
        &mut self,
        events: Result<Vec<SseEvent>, SseError>,
    ) -> Result<Vec<SseEvent>, SseError> {
        let result = events.and_then(|events| {
            if self.pending.len() > self.max_event_bytes {
                Err(SseError::EventTooLarge {
                    limit: self.max_event_bytes,
                })
            } else {
                Ok(events)
            }
        });
        if let Err(err) = result {
            self.failed = Some(err);
            self.pending = Vec::new();
        }
        result
    }

    /// Emit every event whose blank line is in `pending`. A CR as the very last byte may be the
    /// first half of a CRLF, so it only ends a line at end of stream. Linear in the bytes
    /// pushed: scanning resumes at `scan_from`, and consumed events are drained once.
    fn drain_complete(&mut self, at_eof: bool) -> Result<Vec<SseEvent>, SseError> {
        let mut events = Vec::new();
        let mut event_start = 0;
        let mut result = Ok(());
        loop {
            let from = self.scan_from.max(self.line_start);
            let tail = self.pending.get(from..).unwrap_or(&[]);
            let Some((offset, term_len)) = next_terminator(tail, at_eof) else {
                // Nothing more; a trailing CR is looked at again with the next chunk.
                self.scan_from = self.pending.len() - usize::from(tail.last() == Some(&b'\r'));
                break;
            };
            let line_end = from + offset;
            let blank = line_end == self.line_start;
            self.line_start = line_end + term_len;
            self.scan_from = self.line_start;
            if blank {
                let raw = self
                    .pending
                    .get(event_start..self.line_start)
                    .unwrap_or(&[]);
                event_start = self.line_start;
                if raw.len() > self.max_event_bytes {
                    result = Err(SseError::EventTooLarge {
                        limit: self.max_event_bytes,
                    });
                    break;
                }
                match self.parse_block(raw.to_vec()) {
                    Ok(ev) => events.push(ev),
                    Err(err) => {
                        result = Err(err);
                        break;
                    }
                }
            }
        }
        self.pending.drain(..event_start.min(self.pending.len()));
        self.line_start -= event_start.min(self.line_start);
        self.scan_from -= event_start.min(self.scan_from);
        result.map(|()| events)
    }

    /// Decode and interpret one block of lines (its raw bytes, terminators included).
    fn parse_block(&mut self, raw: Vec<u8>) -> Result<SseEvent, SseError> {
        let text = std::str::from_utf8(&raw).map_err(|e| SseError::InvalidUtf8 {
            offset: e.valid_up_to(),
        })?;
        let mut body = text;
        if self.at_stream_start {
            body = body.strip_prefix('\u{feff}').unwrap_or(body);
            self.at_stream_start = false;
        }
        let mut event = None;
        let mut id = None;
        let mut data: Option<String> = None;
        for line in lines(body) {
            if line.is_empty() || line.starts_with(':') {
                continue;
            }
            let (field, value) = match line.split_once(':') {
                Some((field, value)) => (field, value.strip_prefix(' ').unwrap_or(value)),
                None => (line, ""),
            };
            match field {
                "event" => event = (!value.is_empty()).then(|| value.to_string()),
                "data" => {
                    let buf = data.get_or_insert_with(String::new);
                    buf.push_str(value);
                    buf.push('\n');
                }
                // The spec ignores an id containing NUL.
                "id" if !value.contains('\0') => id = Some(value.to_string()),
                // `retry` only tunes client reconnection; unknown fields are ignored (spec).
                _ => {}
            }
        }
        let mut data = data.unwrap_or_default();
        if data.ends_with('\n') {
            data.pop();
        }
        Ok(SseEvent {
            event,
            data,
            id,
            raw,
        })
    }
}

/// Offset of the next line terminator (`\n`, `\r\n` or `\r`) and its length, or `None` when
/// no complete line is buffered.
fn next_terminator(bytes: &[u8], at_eof: bool) -> Option<(usize, usize)> {
    let pos = bytes.iter().position(|&b| b == b'\n' || b == b'\r')?;
    if bytes.get(pos) == Some(&b'\n') {
        return Some((pos, 1));
    }
    match bytes.get(pos + 1) {
        Some(b'\n') => Some((pos, 2)),
        Some(_) => Some((pos, 1)),
        None if at_eof => Some((pos, 1)),
        None => None,
    }
}

/// The lines of a decoded block, terminators removed (any of CRLF, LF, CR).
fn lines(text: &str) -> impl Iterator<Item = &str> {
    let mut rest = text;
    std::iter::from_fn(move || {
        if rest.is_empty() {
            return None;
        }
        let (line_len, term_len) =
            next_terminator(rest.as_bytes(), true).unwrap_or((rest.len(), 0));
        let line = rest.get(..line_len).unwrap_or("");
        rest = rest.get(line_len + term_len..).unwrap_or("");
        Some(line)
    })
}

/// An `error` event whose data is `json` (a provider-shaped error body): how a gateway ends a
/// stream whose headers already left.
pub fn error_event(json: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(json.len() + 22);
    out.extend_from_slice(b"event: error\ndata: ");
    out.extend_from_slice(json);
    out.extend_from_slice(b"\n\n");
    out
}

/// The wire form of `ev` with its data replaced by `data` (event name and id kept): how a
/// guardrail rewrites or withholds one whole-message event (MCP).
pub fn with_data(ev: SseEvent, data: String) -> Vec<u8> {
    serialize(&SseEvent {
        data,
        raw: Vec::new(),
        ..ev
    })
}

/// The wire form of `ev` built from its fields (not `raw`): `event:`, `id:`, one `data:` line
/// per data line, then a blank line; LF line endings. CR/LF inside `event`/`id` are dropped so
/// a field can never start a new line.
pub fn serialize(ev: &SseEvent) -> Vec<u8> {
    let mut out = Vec::with_capacity(ev.data.len() + 32);
    if let Some(event) = &ev.event {
        out.extend_from_slice(b"event: ");
        out.extend(event.bytes().filter(|b| *b != b'\r' && *b != b'\n'));
        out.push(b'\n');
    }
    if let Some(id) = &ev.id {
        out.extend_from_slice(b"id: ");
        out.extend(id.bytes().filter(|b| *b != b'\r' && *b != b'\n'));
        out.push(b'\n');
    }
    let mut data_lines: Vec<&str> = lines(&ev.data).collect();
    if data_lines.is_empty() || ev.data.ends_with(['\n', '\r']) {
        data_lines.push("");
    }
    for line in data_lines {
        out.extend_from_slice(b"data: ");
        out.extend_from_slice(line.as_bytes());
        out.push(b'\n');
    }
    out.push(b'\n');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_event_is_one_parseable_event() {
        let raw = error_event(br#"{"error":{"code":"x"}}"#);
        let mut p = SseParser::new(1024);
        let evs = p.push(&raw).unwrap();
        assert_eq!(evs.len(), 1);
        assert_eq!(evs[0].event.as_deref(), Some("error"));
        assert_eq!(evs[0].data, r#"{"error":{"code":"x"}}"#);
    }

    #[test]
    fn with_data_keeps_the_event_name_and_id() {
        let mut p = SseParser::new(1024);
        let ev = p
            .push(b"event: message\nid: 7\ndata: {\"a\":1}\n\n")
            .unwrap()
            .remove(0);
        let out = with_data(ev, "{\"b\":2}".into());
        assert_eq!(out, b"event: message\nid: 7\ndata: {\"b\":2}\n\n");
    }
}
