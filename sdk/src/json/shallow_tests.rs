//! Tests of `parse_shallow` and the skipping reader: the same verdict and error as `parse` on
//! every document (nested, mutated, deep, duplicated), and nothing built below the top.

use super::*;

fn shallow(doc: &[u8]) -> Result<Node, JsonError> {
    parse_shallow(doc, &Limits::default(), &["meta"])
}

/// Nodes in a tree, `Skipped` ones counting one.
fn nodes(n: &Node) -> usize {
    1 + match &n.value {
        Json::Array(items) => items.iter().map(nodes).sum(),
        Json::Object(members) => members.iter().map(|(_, v)| nodes(v)).sum(),
        _ => 0,
    }
}

/// `parse_shallow` refuses exactly what `parse` refuses, with the same kind and offset, and
/// where both accept, the root members have the same keys and spans.
fn same_as_parse(doc: &[u8]) {
    let full = parse(doc, &Limits::default());
    let top = shallow(doc);
    match (&full, &top) {
        (Err(a), Err(b)) => assert_eq!(a, b, "{}", String::from_utf8_lossy(doc)),
        (Ok(a), Ok(b)) => {
            assert_eq!(a.span, b.span);
            let keys = |n: &Node| -> Vec<(String, Range<usize>)> {
                n.as_object()
                    .unwrap_or_default()
                    .iter()
                    .map(|(k, v)| (k.clone(), v.span.clone()))
                    .collect()
            };
            assert_eq!(keys(a), keys(b));
        }
        _ => panic!(
            "{}: parse {full:?} shallow {top:?}",
            String::from_utf8_lossy(doc)
        ),
    }
}

const DOCS: &[&str] = &[
    "",
    "   ",
    r#"{"a":1,"a":2}"#,
    r#"{"model":1,"mod\u0065l":2}"#,
    r#"{"x":{"k":1,"k":1}}"#,
    r#"{"x":{"k":1,"\u006b":1}}"#,
    r#"[{"x":{"k":1,"k":1}}]"#,
    r#"{"a":1}x"#,
    r#"{"a":"\ud800"}"#,
    r#"{"a":["\ud800\u0041"]}"#,
    r#"{"a":{"b":"\udc00"}}"#,
    r#"{"a":["\x"]}"#,
    r#"{"a":["\u12g4"]}"#,
    "{\"a\":[\"a\nb\"]}",
    r#"{"a":[01]}"#,
    r#"{"a":[1.]}"#,
    r#"{"a":[-]}"#,
    r#"{"a":[1e]}"#,
    r#"{"a":[+1]}"#,
    r#"{"a":[NaN]}"#,
    r#"{"a":[1,]}"#,
    r#"{"a":{"b":1,}}"#,
    r#"{"a":{'b':1}}"#,
    r#"{"a":[1"#,
    r#"{"a":{"b""#,
    r#"{"a":["abc"#,
    r#"{"a":[tru]}"#,
    r#"{"a":[trux]}"#,
    r#"{"a":[[[]],[[1,[]]],{}]}"#,
    r#"{"a":[[]]]}"#,
    r#"{"a":[[}]}"#,
    r#"{"a":{"b":[1,{"c":"d\"e","f":[true,false,null]}]},"b":"x"}"#,
    r#"{"meta":{"k":"v","n":1,"o":{"p":[1]},"e":{"q":1,"q":2}}}"#,
    r#"{"meta":{"k":"v","k":1}}"#,
    r#" { "a" : [ 1 , 2 ] , "b" : { "c" : [ ] } } "#,
    r#"{"a":{"\u0061":1,"a":2}}"#,
    r#"{"a":{"\u0062":{"\u0063":1,"c":2}}}"#,
    r#"{"a":{"\u0062":{"\u0063":1},"\u0063":1,"b":0}}"#,
    r#"{"a":[[{"k":[1,[2]],"j":[[],{}]}],[[]]],"b":[[{"k":1,"k":2}]]}"#,
    r#"{"a":[[{"k":[1,[2]]}]],"b":[{"x":[[[]]],"y":{"z":[]}}]}"#,
    r#"{"a":[[[1]]]]}"#,
    r#"{"a":[[[1]],}"#,
    r#"{"a":[{"k":1]}]}"#,
    r#"{"a":{"k":[1}}}"#,
];

#[test]
fn refuses_and_accepts_exactly_what_parse_does() {
    for doc in DOCS {
        same_as_parse(doc.as_bytes());
    }
    same_as_parse(b"{\"a\":[\"\xff\"]}");
    same_as_parse(b"{\"a\":[1,}\xff");
}

#[test]
fn mutated_documents_get_the_same_verdict_as_parse() {
    let base = br#"{"model":"m","messages":[{"role":"user","content":"h\u00e9 \"q\" \ud83d\ude00"},{"k":[1,-2.5e3,true,null,{}]}],"meta":{"a":[[]],"b":"c"},"n":1}"#;
    // The SDK's deterministic mutator (flips, JSON tokens, truncations, cut and repeated ranges).
    let mut rng = crate::fuzz::Rng::new(0x2545_f491_4f6c_dd1d);
    for _ in 0..crate::fuzz::iters(20_000) {
        let doc = crate::fuzz::mutate(&mut rng, base, crate::fuzz::JSON_TOKENS);
        same_as_parse(&doc);
    }
}

#[test]
fn depth_limit_is_exact_in_skipped_values() {
    for depth in [126, 127, 128, 129, 300] {
        for open in ["[", "{\"k\":", "[{\"k\":"] {
            let doc = format!("{{\"a\":{}1{}}}", open.repeat(depth), "]".repeat(depth));
            same_as_parse(doc.as_bytes());
            let closed = format!("{{\"a\":{}[]{}}}", "[".repeat(depth), "]".repeat(depth));
            same_as_parse(closed.as_bytes());
        }
    }
}

#[test]
fn many_keys_in_a_skipped_object_are_all_compared() {
    let mut members: Vec<String> = (0..200).map(|i| format!("\"k{i}\":{i}")).collect();
    let ok = format!("{{\"a\":{{{}}}}}", members.join(","));
    assert!(shallow(ok.as_bytes()).is_ok());
    members.push("\"k\\u0031\":0".into()); // "k1" again, escaped
    let dup = format!("{{\"a\":{{{}}}}}", members.join(","));
    same_as_parse(dup.as_bytes());
    assert_eq!(
        shallow(dup.as_bytes()).unwrap_err().kind,
        JsonErrorKind::DuplicateKey
    );
}

#[test]
fn only_the_top_and_expanded_members_are_built() {
    let doc = br#"{"model":"m","messages":[{"role":"user","content":"hi"}],"n":2,
        "meta":{"k":"v","n":1,"o":{"p":1}},"other":{"q":1}}"#;
    let root = shallow(doc).unwrap();
    assert_eq!(root.get("model").unwrap().as_str(), Some("m"));
    assert_eq!(root.get("n").unwrap().as_u64(), Some(2));
    let messages = root.get("messages").unwrap();
    assert_eq!(messages.value, Json::Skipped);
    assert_eq!(
        &doc[messages.span.clone()],
        br#"[{"role":"user","content":"hi"}]"#
    );
    let meta = root.get("meta").unwrap();
    assert_eq!(meta.get("k").unwrap().value, Json::Skipped);
    assert_eq!(meta.get("n").unwrap().as_u64(), Some(1));
    assert_eq!(meta.get("o").unwrap().value, Json::Skipped);
    assert_eq!(root.get("other").unwrap().value, Json::Skipped);
    assert_eq!(nodes(&root), 9);
}

/// The benchmark's adversarial shapes at ~1 MiB: accepted like `parse` accepts them, with a
/// tree of a handful of nodes whatever the body holds.
#[test]
fn one_mib_of_deep_arrays_or_small_objects_builds_a_handful_of_nodes() {
    let tree = format!("{}\"x\"{}", "[".repeat(100), "]".repeat(100));
    let deep = format!(
        "{{\"model\":\"m\",\"metadata\":{{\"tree\":[{}]}}}}",
        vec![tree; 5_000].join(",")
    );
    let message = r#"{"role":"user","content":"soup and bread"}"#;
    let many = format!(
        "{{\"model\":\"m\",\"messages\":[{}]}}",
        vec![message; 24_000].join(",")
    );
    for doc in [deep, many] {
        assert!(doc.len() > 1_000_000);
        let root = shallow(doc.as_bytes()).unwrap();
        assert_eq!(nodes(&root), 3);
        assert!(parse(doc.as_bytes(), &Limits::default()).is_ok());
    }
}

/// `run_of` counts a run a word at a time: the same count as byte by byte, for every length
/// and start around word boundaries.
#[test]
fn runs_of_brackets_are_counted_exactly() {
    for len in 0..40usize {
        for lead in 0..10usize {
            for tail in [&b""[..], b"]", b"x", b"[["] {
                let mut raw = vec![b' '; lead];
                raw.extend(std::iter::repeat_n(b'[', len));
                raw.extend_from_slice(tail);
                let mut p = Parser::new(&raw, "", &Limits::default());
                p.pos = lead;
                let naive = raw[lead..].iter().take_while(|&&b| b == b'[').count();
                assert_eq!(p.run_of(b'['), naive, "len {len} lead {lead} tail {tail:?}");
            }
        }
    }
}

/// Skipping keeps no stack entry per open array and no copy per key: after 1 MiB of arrays
/// nested 100 deep, or of 24,000 small objects, the skip's buffers hold at most a handful of
/// entries (the stack of `[` had one entry per bracket before).
#[test]
fn skipping_stores_nothing_per_array_or_per_key() {
    let tree = format!("{}\"x\"{}", "[".repeat(100), "]".repeat(100));
    let deep = format!("[{}]", vec![tree; 5_000].join(","));
    let message = r#"{"role":"user","content":"soup and bread"}"#;
    let many = format!("[{}]", vec![message; 24_000].join(","));
    for (doc, objects, keys) in [(deep, 0, 0), (many, 4, 4)] {
        assert!(doc.len() > 1_000_000);
        let limits = Limits::default();
        let mut p = Parser::new(doc.as_bytes(), &doc, &limits);
        p.skip_value(0).unwrap();
        assert_eq!(p.pos, doc.len());
        assert!(p.objects.capacity() <= objects && p.objects.is_empty());
        assert!(p.keys.capacity() <= keys && p.keys.is_empty());
        assert_eq!(p.decoded.capacity(), 0);
    }
}

/// A value of sibling objects whose keys come from a small pool (so objects often repeat the
/// keys of the one before, in order or not, and often repeat a key), nested up to `depth`.
fn siblings(rng: &mut crate::fuzz::Rng, depth: usize, out: &mut String) {
    const KEYS: &[&str] = &[
        "a",
        "b",
        "\\u0061",
        "role",
        "content",
        "long_key_one",
        "long_key_two",
        "long_key_\\u006fne",
    ];
    let roll = rng.below(10);
    if depth == 0 || roll < 3 {
        out.push_str(["1", "\"s\"", "[]", "{}", "null"][rng.below(5)]);
    } else if roll < 5 {
        out.push('[');
        for i in 0..rng.below(4) {
            if i > 0 {
                out.push(',');
            }
            siblings(rng, depth - 1, out);
        }
        out.push(']');
    } else {
        out.push('{');
        for i in 0..1 + rng.below(4) {
            if i > 0 {
                out.push(',');
            }
            let key = KEYS[rng.below(KEYS.len())];
            out.push_str(&format!("\"{key}\":"));
            siblings(rng, depth - 1, out);
        }
        out.push('}');
    }
}

/// Arrays of objects built from few keys: every duplicate is found whether or not the object
/// before had the same keys (the skipper's template), with the offset `parse` gives.
#[test]
fn sibling_objects_with_shared_keys_get_the_same_verdict_as_parse() {
    let mut rng = crate::fuzz::Rng::new(0x0005_eed0_f0b1_ec75);
    let (mut ok, mut dup) = (0, 0);
    for _ in 0..crate::fuzz::iters(20_000) {
        let mut doc = String::from("{\"x\":[");
        for i in 0..1 + rng.below(6) {
            if i > 0 {
                doc.push(',');
            }
            siblings(&mut rng, 3, &mut doc);
        }
        doc.push_str("]}");
        same_as_parse(doc.as_bytes());
        match shallow(doc.as_bytes()) {
            Ok(_) => ok += 1,
            Err(e) if e.kind == JsonErrorKind::DuplicateKey => dup += 1,
            Err(e) => panic!("{doc}: {e}"),
        }
    }
    // Both verdicts are common, so both paths are exercised.
    assert!(ok > 1_000 && dup > 1_000, "ok {ok} dup {dup}");
    for doc in [
        r#"{"x":[{"a":1,"b":2},{"a":1,"a":2}]}"#,
        r#"{"x":[{"a":1,"b":2},{"a":1,"b":2,"a":3}]}"#,
        r#"{"x":[{"a":1,"b":2},{"\u0061":1,"a":2}]}"#,
        r#"{"x":[{"a":{"a":1},"a":2}]}"#,
        r#"{"x":[{"a":1,"b":2},{"a":{"a":1},"a":2}]}"#,
        r#"{"x":[{"long_key_one":1,"long_key_two":2},{"long_key_one":1,"long_key_one":2}]}"#,
        r#"{"x":[{"\u0061":1,"b":2},{"a":1,"\u0061":2}]}"#,
    ] {
        same_as_parse(doc.as_bytes());
        assert_eq!(
            shallow(doc.as_bytes()).unwrap_err().kind,
            JsonErrorKind::DuplicateKey,
            "{doc}"
        );
    }
    // A nested object's keys go where the template's were: not mistaken for its own.
    let nested = r#"{"x":[{"a":1,"b":2},{"a":{"b":1},"b":2},{"a":1,"b":2}]}"#;
    same_as_parse(nested.as_bytes());
    assert!(shallow(nested.as_bytes()).is_ok());
}
