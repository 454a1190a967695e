//! sse: incremental Server-Sent Events parser (being written; the event type is fixed here
//! because `stream` builds on it).

/// One complete SSE event. `raw` holds the exact bytes it arrived as, terminator included, so
/// an unmodified event can be forwarded byte-for-byte.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SseEvent {
    pub event: Option<String>,
    /// The `data:` lines joined with `\n`, as the SSE spec says.
    pub data: String,
    pub id: Option<String>,
    pub raw: Vec<u8>,
}
