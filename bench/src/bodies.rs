//! bodies: the request bodies the benchmark sends. OpenAI chat requests the whole demo chain
//! allows (model gpt-4o-mini, benign prose without PII or instructions), padded to an exact
//! size, plus 1 MiB bodies crafted against the detectors (long runs of trigger characters,
//! near-miss patterns, deep-but-allowed JSON, many messages) next to a benign 1 MiB body.

use serde_json::json;

/// "1 MiB" bodies are this many bytes: just under the plugins' default 1 MiB body limit so
/// the benign and the adversarial bodies are both scanned rather than refused with 413.
pub const ONE_MIB_BODY: usize = 1024 * 1024 - 1024;

/// Innocuous words: no PII shapes, no digits, no instruction-like vocabulary.
const WORDS: &[&str] = &[
    "garden",
    "tomato",
    "autumn",
    "river",
    "bread",
    "recipe",
    "gentle",
    "walk",
    "morning",
    "coffee",
    "market",
    "basket",
    "yellow",
    "window",
    "quiet",
    "village",
    "orchard",
    "apple",
    "harvest",
    "season",
    "warm",
    "soup",
    "onion",
    "garlic",
    "slowly",
    "simmer",
    "friendly",
    "neighbour",
    "bicycle",
    "meadow",
    "cloud",
    "travel",
    "museum",
    "painting",
    "library",
    "story",
    "chapter",
    "mountain",
    "lake",
    "picnic",
    "blanket",
    "summer",
    "evening",
    "candle",
    "kitchen",
    "table",
    "chair",
    "pottery",
    "clay",
    "wooden",
    "spoon",
    "honey",
    "lemon",
];

/// Deterministic benign prose of exactly `len` bytes (ASCII).
pub fn prose(len: usize) -> String {
    let mut out = String::with_capacity(len + 16);
    let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut words_in_sentence = 0;
    while out.len() < len {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        let w = WORDS[(seed % WORDS.len() as u64) as usize];
        if words_in_sentence == 0 {
            let mut c = w.chars();
            if let Some(first) = c.next() {
                out.push(first.to_ascii_uppercase());
                out.push_str(c.as_str());
            }
        } else {
            out.push_str(w);
        }
        words_in_sentence += 1;
        if words_in_sentence >= 9 + (seed % 6) as usize {
            out.push_str(". ");
            words_in_sentence = 0;
        } else {
            out.push(' ');
        }
    }
    out.truncate(len);
    out
}

/// A chat request whose user message is `content`.
fn chat_with(content: &str) -> Vec<u8> {
    json!({
        "model": "gpt-4o-mini",
        "messages": [
            {"role": "system", "content": "You are a helpful cooking assistant."},
            {"role": "user", "content": content}
        ]
    })
    .to_string()
    .into_bytes()
}

/// Overhead of the chat envelope around the user content.
fn envelope_len() -> usize {
    chat_with("").len()
}

/// A benign OpenAI chat request of exactly `total` bytes.
pub fn benign_chat(total: usize) -> Vec<u8> {
    chat_with(&prose(total.saturating_sub(envelope_len())))
}

/// A chat request with `unit` repeated (JSON-escaped) in the user message, padded with prose
/// to exactly `total` bytes.
fn repeated(unit: &str, total: usize) -> Vec<u8> {
    let room = total.saturating_sub(envelope_len());
    let escaped_unit = json!(unit).to_string();
    let per = escaped_unit.len().saturating_sub(2).max(1);
    let n = room / per;
    let mut content = unit.repeat(n);
    // Pad with prose (plain ASCII: one byte each) or trim so the body is exactly `total`.
    loop {
        let len = chat_with(&content).len();
        if len < total {
            content.push_str(&prose(total - len));
        } else if len > total {
            content.pop();
        } else {
            return chat_with(&content);
        }
    }
}

/// Many small user/assistant messages, each benign.
fn many_messages(total: usize) -> Vec<u8> {
    let mut msgs =
        vec![json!({"role": "system", "content": "You are a helpful cooking assistant."})];
    let mut len = envelope_len();
    let mut i = 0usize;
    while len + 64 < total {
        let role = if i.is_multiple_of(2) {
            "user"
        } else {
            "assistant"
        };
        let m = json!({"role": role, "content": "soup and bread"});
        len += m.to_string().len() + 1;
        msgs.push(m);
        i += 1;
    }
    msgs.push(json!({"role": "user", "content": "thanks"}));
    pad_to(
        json!({"model": "gpt-4o-mini", "messages": msgs}).to_string(),
        total,
    )
}

/// Deep-but-allowed JSON: many sibling arrays nested 100 deep (the SDK limit is 128) in a
/// field the API tolerates (`metadata`), next to a short benign conversation.
fn deep_json(total: usize) -> Vec<u8> {
    let depth = 100;
    let one = format!("{}\"x\"{}", "[".repeat(depth), "]".repeat(depth));
    let head = r#"{"model":"gpt-4o-mini","messages":[{"role":"user","content":"soup and bread"}],"metadata":{"tree":["#;
    let tail = "]}}";
    let mut s = String::with_capacity(total);
    s.push_str(head);
    let mut first = true;
    while s.len() + one.len() + 1 + tail.len() <= total {
        if !first {
            s.push(',');
        }
        s.push_str(&one);
        first = false;
    }
    s.push_str(tail);
    pad_to(s, total)
}

/// Pads a JSON object text with a trailing benign `"user"` field so it is exactly `total`
/// bytes (when it is shorter).
fn pad_to(json_text: String, total: usize) -> Vec<u8> {
    let Some(stripped) = json_text.strip_suffix('}') else {
        return json_text.into_bytes();
    };
    let field = ",\"user\":\"\"}";
    let room = total.saturating_sub(stripped.len() + field.len());
    if room == 0 {
        return json_text.into_bytes();
    }
    format!("{stripped},\"user\":\"{}\"}}", prose(room)).into_bytes()
}

/// A named body for the adversarial comparison.
pub struct NamedBody {
    pub name: &'static str,
    /// What it attacks.
    pub target: &'static str,
    pub body: Vec<u8>,
}

/// The benign 1 MiB body and the adversarial ones, all exactly `size` bytes.
pub fn adversarial_set(size: usize) -> Vec<NamedBody> {
    let nb = |name, target, body| NamedBody { name, target, body };
    vec![
        nb("benign", "-", benign_chat(size)),
        nb("at_run", "pii email scanner", repeated("@", size)),
        nb(
            "near_miss_email",
            "pii email scanner",
            repeated("name.surname@host-without-dot ", size),
        ),
        nb(
            "digit_run",
            "pii card/phone/ssn/id scanners",
            repeated("7", size),
        ),
        nb(
            "near_miss_card",
            "pii card (Luhn) scanner",
            repeated("4111 1111 1111 1112 ", size),
        ),
        nb(
            "near_miss_iban_ip",
            "pii iban/ip scanners",
            repeated("DE00 1234 ABCD 999.888.777.666 ", size),
        ),
        nb(
            "invisible_run",
            "injection normaliser",
            repeated("s\u{200b}o\u{200b}u\u{200b}p ", size),
        ),
        nb(
            "spaced_letters",
            "injection spacing/leet normaliser",
            repeated("s 0 u p a n d b r 3 a d ", size),
        ),
        nb(
            "base64_blob",
            "injection decoders",
            repeated("c291cCBhbmQgYnJlYWQgYW5kIGhvbmV5", size),
        ),
        nb(
            "image_openers",
            "injection markup (markdown image) scanner",
            repeated("![", size),
        ),
        nb("deep_json", "JSON parser depth", deep_json(size)),
        nb("many_messages", "body model segments", many_messages(size)),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bodies_have_the_exact_size_and_parse() {
        for size in [4096, 65536] {
            let b = benign_chat(size);
            assert_eq!(b.len(), size);
            serde_json::from_slice::<serde_json::Value>(&b).unwrap();
        }
        for nb in adversarial_set(200_000) {
            assert_eq!(nb.body.len(), 200_000, "{}", nb.name);
            let v: serde_json::Value = serde_json::from_slice(&nb.body).unwrap();
            assert_eq!(v["model"], "gpt-4o-mini", "{}", nb.name);
        }
    }

    #[test]
    fn prose_has_no_digits_or_at_signs() {
        let p = prose(10_000);
        assert!(!p.bytes().any(|b| b.is_ascii_digit() || b == b'@'));
    }
}
