//! json_edit: byte splices that remove a member from, or insert one into, a JSON object while
//! every other byte of the body stays as the client sent it.

use std::ops::Range;

use guardrail_sdk::json::{Json, Node, Splice};

fn skip_ws(raw: &[u8], mut at: usize) -> usize {
    while let Some(b' ' | b'\t' | b'\n' | b'\r') = raw.get(at) {
        at += 1;
    }
    at
}

/// The bytes to delete so that member `key` disappears from `obj` (its key, value and one
/// adjacent comma). `None` when absent or `obj` is not an object.
pub fn member_removal(raw: &[u8], obj: &Node, key: &str) -> Option<Range<usize>> {
    let Json::Object(members) = &obj.value else {
        return None;
    };
    let i = members.iter().position(|(k, _)| k == key)?;
    let value_end = members.get(i)?.1.span.end;
    if i > 0 {
        // From the end of the previous value: removes the comma before this member.
        let prev_end = members.get(i - 1)?.1.span.end;
        return Some(prev_end..value_end);
    }
    let start = obj.span.start + 1;
    if members.len() == 1 {
        return Some(start..obj.span.end.saturating_sub(1));
    }
    // First of several: up to the next member's key (past the comma that follows this value).
    let after = skip_ws(raw, value_end);
    if raw.get(after) != Some(&b',') {
        return None;
    }
    Some(start..skip_ws(raw, after + 1))
}

/// A splice that inserts `"key":<value_json>` as the first member of `obj`.
pub fn member_insertion(obj: &Node, key: &str, value_json: &str) -> Option<Splice> {
    let Json::Object(members) = &obj.value else {
        return None;
    };
    let at = obj.span.start + 1;
    let sep = if members.is_empty() { "" } else { "," };
    let text = format!("{}:{value_json}{sep}", guardrail_sdk::json::quote(key));
    Some(Splice {
        span: at..at,
        with: text.into_bytes(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use guardrail_sdk::json::{apply_splices, parse, Limits};

    fn remove(doc: &str, key: &str) -> String {
        let root = parse(doc.as_bytes(), &Limits::default()).unwrap();
        let r = member_removal(doc.as_bytes(), &root, key).unwrap();
        let out = apply_splices(
            doc.as_bytes(),
            vec![Splice {
                span: r,
                with: vec![],
            }],
        )
        .unwrap();
        let s = String::from_utf8(out).unwrap();
        parse(s.as_bytes(), &Limits::default()).expect("still valid JSON");
        s
    }

    #[test]
    fn removal_keeps_valid_json_in_every_position() {
        assert_eq!(remove(r#"{"a":1,"b":2,"c":3}"#, "a"), r#"{"b":2,"c":3}"#);
        assert_eq!(remove(r#"{"a":1,"b":2,"c":3}"#, "b"), r#"{"a":1,"c":3}"#);
        assert_eq!(remove(r#"{"a":1,"b":2,"c":3}"#, "c"), r#"{"a":1,"b":2}"#);
        assert_eq!(remove(r#"{ "a" : [1,{"x":2}] }"#, "a"), "{}");
        assert_eq!(
            remove("{\n \"a\": 1 ,\n \"b\": {\"c\":\"}\"}\n}", "a"),
            "{\"b\": {\"c\":\"}\"}\n}"
        );
        let root = parse(br#"{"a":1}"#, &Limits::default()).unwrap();
        assert!(member_removal(br#"{"a":1}"#, &root, "zz").is_none());
    }

    #[test]
    fn insertion_into_empty_and_full_objects() {
        for (doc, want) in [("{}", r#"{"m":5}"#), (r#"{"a":1}"#, r#"{"m":5,"a":1}"#)] {
            let root = parse(doc.as_bytes(), &Limits::default()).unwrap();
            let s = member_insertion(&root, "m", "5").unwrap();
            assert_eq!(
                apply_splices(doc.as_bytes(), vec![s]).unwrap(),
                want.as_bytes()
            );
        }
    }
}
