//! sse: the parser gives identical events however a stream is split, and handles every line
//! ending, field form, split UTF-8 character, size limit and final-event case.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)] // a test

use guardrail_sdk::sse::{serialize, SseError, SseEvent, SseParser};

const MAX: usize = 1024;

/// Streams covering the framing rules; each is parsed whole and split every possible way.
const STREAMS: &[&[u8]] = &[
    b"data: {\"choices\":[{\"delta\":{\"content\":\"Hi\"}}]}\n\ndata: [DONE]\n\n",
    b"event: message_start\ndata: {\"type\":\"message_start\"}\n\nevent: ping\ndata: {}\n\n",
    b"event: x\r\ndata: a\r\ndata: b\r\n\r\n",
    b"data: a\rdata: b\r\r",
    b"data: a\r\ndata: b\ndata: c\r\r\n: comment\n\n",
    b": only a comment\n\ndata:x\ndata\nid: 7\nretry: 100\nfoo: bar\nevent:\n\n",
    b"data:  two spaces\nid: a\0b\n\n",
    "data: h\u{e9}llo \u{1f600} \u{4e16}\u{754c}\n\ndata: \u{1f600}\n\n".as_bytes(),
    b"data: last without blank line",
    b"data: a\r",
    "\u{feff}data: bom\n\n".as_bytes(),
    b"\n\n\ndata: x\n\n\n",
    b"",
];

fn parse_chunks(chunks: &[&[u8]]) -> Result<Vec<SseEvent>, SseError> {
    let mut parser = SseParser::new(MAX);
    let mut events = Vec::new();
    for chunk in chunks {
        events.extend(parser.push(chunk)?);
    }
    events.extend(parser.finish()?);
    Ok(events)
}

fn whole(stream: &[u8]) -> Vec<SseEvent> {
    parse_chunks(&[stream]).unwrap()
}

#[test]
fn every_single_split_gives_the_same_events() {
    for stream in STREAMS {
        let want = whole(stream);
        for i in 0..=stream.len() {
            let got = parse_chunks(&[&stream[..i], &stream[i..]]).unwrap();
            assert_eq!(
                got,
                want,
                "stream {:?} split at {i}",
                String::from_utf8_lossy(stream)
            );
        }
    }
}

#[test]
fn every_double_split_gives_the_same_events() {
    for stream in STREAMS {
        let want = whole(stream);
        for i in 0..=stream.len() {
            for j in i..=stream.len() {
                let got = parse_chunks(&[&stream[..i], &stream[i..j], &stream[j..]]).unwrap();
                assert_eq!(got, want, "split at {i},{j}");
            }
        }
    }
}

#[test]
fn one_byte_chunks_give_the_same_events() {
    for stream in STREAMS {
        let chunks: Vec<&[u8]> = stream.chunks(1).collect();
        assert_eq!(parse_chunks(&chunks).unwrap(), whole(stream));
    }
}

#[test]
fn raw_bytes_cover_the_whole_stream() {
    for stream in STREAMS {
        let joined: Vec<u8> = whole(stream).into_iter().flat_map(|e| e.raw).collect();
        assert_eq!(joined, *stream);
    }
}

fn ev(
    event: Option<&str>,
    data: &str,
    id: Option<&str>,
) -> (Option<String>, String, Option<String>) {
    (event.map(Into::into), data.into(), id.map(Into::into))
}

fn fields(stream: &[u8]) -> Vec<(Option<String>, String, Option<String>)> {
    whole(stream)
        .into_iter()
        .map(|e| (e.event, e.data, e.id))
        .collect()
}

#[test]
fn fields_follow_the_spec() {
    assert_eq!(
        fields(STREAMS[0]),
        vec![
            ev(
                None,
                "{\"choices\":[{\"delta\":{\"content\":\"Hi\"}}]}",
                None
            ),
            ev(None, "[DONE]", None)
        ]
    );
    assert_eq!(
        fields(STREAMS[1]),
        vec![
            ev(Some("message_start"), "{\"type\":\"message_start\"}", None),
            ev(Some("ping"), "{}", None)
        ]
    );
    // CRLF, then CR-only line endings; multi-line data joined with \n.
    assert_eq!(fields(STREAMS[2]), vec![ev(Some("x"), "a\nb", None)]);
    assert_eq!(fields(STREAMS[3]), vec![ev(None, "a\nb", None)]);
    // Mixed endings: "c\r" then "\r\n" is an empty line (CR LF is one terminator).
    assert_eq!(
        fields(STREAMS[4]),
        vec![ev(None, "a\nb\nc", None), ev(None, "", None)]
    );
    // Comment-only block; `data:x` without space; bare `data` adds an empty line; retry and
    // unknown fields ignored; empty `event:` means no type.
    assert_eq!(
        fields(STREAMS[5]),
        vec![ev(None, "", None), ev(None, "x\n", Some("7"))]
    );
    // Only one leading space is removed; an id containing NUL is ignored.
    assert_eq!(fields(STREAMS[6]), vec![ev(None, " two spaces", None)]);
    assert_eq!(
        fields(STREAMS[7]),
        vec![
            ev(None, "h\u{e9}llo \u{1f600} \u{4e16}\u{754c}", None),
            ev(None, "\u{1f600}", None)
        ]
    );
    // finish() emits a final event without its blank line, also after a lone CR.
    assert_eq!(
        fields(STREAMS[8]),
        vec![ev(None, "last without blank line", None)]
    );
    assert_eq!(fields(STREAMS[9]), vec![ev(None, "a", None)]);
    // A leading BOM is skipped but kept in raw.
    assert_eq!(fields(STREAMS[10]), vec![ev(None, "bom", None)]);
    assert!(whole(STREAMS[10])[0].raw.starts_with("\u{feff}".as_bytes()));
    // Stray blank lines are field-less events (their bytes are forwarded too).
    let blanks = whole(STREAMS[11]);
    assert_eq!(blanks.len(), 5);
    assert_eq!(blanks.iter().filter(|e| e.is_fieldless()).count(), 4);
    assert!(whole(STREAMS[12]).is_empty());
}

#[test]
fn events_arrive_as_soon_as_complete() {
    let mut parser = SseParser::new(MAX);
    assert!(parser.push(b"data: a\n").unwrap().is_empty());
    assert_eq!(parser.push(b"\ndata: b").unwrap().len(), 1);
    // A CR at the end of a chunk may be half of CRLF: not yet an empty line.
    assert!(parser.push(b"\n\r").unwrap().is_empty());
    let got = parser.push(b"\n").unwrap();
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].raw, b"data: b\n\r\n");
    assert!(parser.finish().unwrap().is_empty());
}

#[test]
fn utf8_split_across_chunks_is_kept_until_complete() {
    let stream = "data: \u{1f600}\n\n".as_bytes();
    let mut parser = SseParser::new(MAX);
    // The four bytes of the emoji arrive one at a time.
    for (i, byte) in stream.iter().enumerate() {
        let got = parser.push(std::slice::from_ref(byte)).unwrap();
        if i + 1 < stream.len() {
            assert!(got.is_empty());
        } else {
            assert_eq!(got[0].data, "\u{1f600}");
        }
    }
}

#[test]
fn invalid_utf8_in_a_complete_event_is_an_error_at_every_split() {
    for stream in [
        &b"data: ok\n\ndata: \xff\xfe\n\n"[..],
        b"data: \xe2\x82\n\n",
        b"data: \xc3",
    ] {
        for i in 0..=stream.len() {
            let got = parse_chunks(&[&stream[..i], &stream[i..]]);
            assert!(
                matches!(got, Err(SseError::InvalidUtf8 { .. })),
                "split {i}: {got:?}"
            );
        }
    }
}

#[test]
fn oversize_event_is_an_error_at_every_split_and_sticks() {
    let limit = 16;
    let stream = b"data: 0123456789abcdef\n\n";
    for i in 0..=stream.len() {
        let mut parser = SseParser::new(limit);
        let first = parser.push(&stream[..i]);
        let result = first
            .and_then(|_| parser.push(&stream[i..]))
            .and_then(|_| parser.finish());
        assert_eq!(result, Err(SseError::EventTooLarge { limit }), "split {i}");
        assert_eq!(
            parser.push(b"data: x\n\n"),
            Err(SseError::EventTooLarge { limit })
        );
    }
    // An endless line with no terminator fails once past the limit instead of growing.
    let mut parser = SseParser::new(limit);
    let mut failed_at = None;
    for n in 0..100 {
        if parser.push(b"x").is_err() {
            failed_at = Some(n);
            break;
        }
    }
    assert_eq!(failed_at, Some(limit));
}

#[test]
fn many_small_events_never_hit_the_limit() {
    let mut parser = SseParser::new(32);
    let mut count = 0;
    for _ in 0..1000 {
        count += parser.push(b"data: {\"x\":1}\n\n").unwrap().len();
    }
    assert_eq!(count, 1000);
}

#[test]
fn serialize_round_trips_fields() {
    let cases = [
        SseEvent {
            event: None,
            data: "[DONE]".into(),
            id: None,
            raw: vec![],
        },
        SseEvent {
            event: Some("content_block_delta".into()),
            data: "{}".into(),
            id: Some("9".into()),
            raw: vec![],
        },
        SseEvent {
            event: None,
            data: "a\nb\n".into(),
            id: None,
            raw: vec![],
        },
        SseEvent {
            event: None,
            data: String::new(),
            id: None,
            raw: vec![],
        },
        SseEvent {
            event: None,
            data: "\n".into(),
            id: None,
            raw: vec![],
        },
    ];
    for case in cases {
        let bytes = serialize(&case);
        let back = whole(&bytes);
        assert_eq!(back.len(), 1, "{:?}", String::from_utf8_lossy(&bytes));
        assert_eq!(
            (
                back[0].event.clone(),
                back[0].data.clone(),
                back[0].id.clone()
            ),
            (case.event.clone(), case.data.clone(), case.id.clone())
        );
        assert_eq!(back[0].raw, bytes);
    }
    let plain = SseEvent {
        event: Some("ping".into()),
        data: "{}".into(),
        id: None,
        raw: vec![],
    };
    assert_eq!(serialize(&plain), b"event: ping\ndata: {}\n\n");
}

#[test]
fn serialize_cannot_inject_lines_through_event_or_id() {
    let evil = SseEvent {
        event: Some("x\n\ndata: injected".into()),
        data: "ok".into(),
        id: Some("1\rdata: more".into()),
        raw: vec![],
    };
    let back = whole(&serialize(&evil));
    assert_eq!(back.len(), 1);
    assert_eq!(back[0].data, "ok");
}
