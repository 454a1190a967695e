//! Tests of the building reader: the same tree or the same error (kind and offset) as the
//! recursive reader it replaced (copied here as `recursive`) on every document, and vectors
//! of exactly the size of their contents.

use std::collections::BTreeSet;

use super::*;

/// The recursive reader `parse` used before `build` (as it was, on the same `Parser`).
mod recursive {
    use super::*;

    pub fn parse(raw: &[u8], limits: &Limits) -> Result<Node, JsonError> {
        let text = checked(raw, limits)?;
        let mut p = Parser::new(raw, text, limits);
        p.document(|p| value(p, 0))
    }

    fn value(p: &mut Parser, depth: usize) -> Result<Node, JsonError> {
        let start = p.pos;
        let value = match p.peek() {
            None => return Err(p.err(JsonErrorKind::UnexpectedEnd)),
            Some(b'{') => object(p, depth + 1)?,
            Some(b'[') => array(p, depth + 1)?,
            Some(b'"') => Json::String(p.string()?),
            Some(b't') => {
                p.expect_literal(b"true")?;
                Json::Bool(true)
            }
            Some(b'f') => {
                p.expect_literal(b"false")?;
                Json::Bool(false)
            }
            Some(b'n') => {
                p.expect_literal(b"null")?;
                Json::Null
            }
            Some(b'-' | b'0'..=b'9') => Json::Number(p.number()?),
            Some(_) => return Err(p.err(JsonErrorKind::UnexpectedByte)),
        };
        Ok(Node {
            value,
            span: start..p.pos,
        })
    }

    fn object(p: &mut Parser, depth: usize) -> Result<Json, JsonError> {
        p.enter(depth)?;
        p.pos += 1;
        let mut members: Vec<(String, Node)> = Vec::new();
        let mut seen: BTreeSet<String> = BTreeSet::new();
        p.skip_ws();
        if p.peek() == Some(b'}') {
            p.pos += 1;
            return Ok(Json::Object(members));
        }
        loop {
            p.skip_ws();
            let key_at = p.pos;
            match p.peek() {
                Some(b'"') => {}
                None => return Err(p.err(JsonErrorKind::UnexpectedEnd)),
                Some(_) => return Err(p.err(JsonErrorKind::UnexpectedByte)),
            }
            let key = p.string()?;
            if !seen.insert(key.clone()) {
                return Err(JsonError {
                    kind: JsonErrorKind::DuplicateKey,
                    offset: key_at,
                });
            }
            p.skip_ws();
            match p.peek() {
                Some(b':') => p.pos += 1,
                None => return Err(p.err(JsonErrorKind::UnexpectedEnd)),
                Some(_) => return Err(p.err(JsonErrorKind::UnexpectedByte)),
            }
            p.skip_ws();
            let v = value(p, depth)?;
            members.push((key, v));
            p.skip_ws();
            match p.peek() {
                Some(b',') => p.pos += 1,
                Some(b'}') => {
                    p.pos += 1;
                    return Ok(Json::Object(members));
                }
                None => return Err(p.err(JsonErrorKind::UnexpectedEnd)),
                Some(_) => return Err(p.err(JsonErrorKind::UnexpectedByte)),
            }
        }
    }

    fn array(p: &mut Parser, depth: usize) -> Result<Json, JsonError> {
        p.enter(depth)?;
        p.pos += 1;
        let mut items = Vec::new();
        p.skip_ws();
        if p.peek() == Some(b']') {
            p.pos += 1;
            return Ok(Json::Array(items));
        }
        loop {
            p.skip_ws();
            items.push(value(p, depth)?);
            p.skip_ws();
            match p.peek() {
                Some(b',') => p.pos += 1,
                Some(b']') => {
                    p.pos += 1;
                    return Ok(Json::Array(items));
                }
                None => return Err(p.err(JsonErrorKind::UnexpectedEnd)),
                Some(_) => return Err(p.err(JsonErrorKind::UnexpectedByte)),
            }
        }
    }
}

fn same_as_recursive(doc: &[u8]) {
    for limits in [
        Limits::default(),
        Limits {
            max_depth: 3,
            max_bytes: usize::MAX,
        },
    ] {
        let old = recursive::parse(doc, &limits);
        let new = parse(doc, &limits);
        assert_eq!(old, new, "{}", String::from_utf8_lossy(doc));
    }
}

#[test]
fn same_tree_or_error_as_the_recursive_reader() {
    let docs: &[&str] = &[
        "",
        " 1 ",
        "[]",
        "{}",
        " [ [ ] , { } , [ 1 , { \"a\" : [ ] } ] ] ",
        r#"{"a":1,"a":2}"#,
        r#"{"model":1,"mod\u0065l":2}"#,
        r#"[{"x":{"k":1,"k":1}}]"#,
        r#"{"a":{"b":{"c":{"d":1}}}}"#,
        r#"[[[[1]]]]"#,
        r#"[[[[1]]],"#,
        r#"{"a":[1,]}"#,
        r#"{"a":{"b":1,}}"#,
        r#"{"a" 1}"#,
        r#"{"a":1 "b":2}"#,
        r#"{"a":[1}"#,
        r#"{"a":{"b":1]}"#,
        r#"{1:2}"#,
        r#"{"#,
        r#"{"a""#,
        r#"{"a":"#,
        r#"["#,
        r#"[1,"#,
        r#"{"a":"\ud800"}"#,
        "[\"a\u{1}\"]",
        r#"[-01]"#,
        r#"[tru]"#,
        r#"{"a":[]}x"#,
    ];
    for doc in docs {
        same_as_recursive(doc.as_bytes());
    }
    for depth in [2, 3, 4, 127, 128, 129, 300] {
        for open in ["[", "{\"k\":", "[{\"k\":"] {
            let doc = format!("{}1{}", open.repeat(depth), "]".repeat(depth));
            same_as_recursive(doc.as_bytes());
        }
    }
    // Many keys: the set past LINEAR_KEYS, duplicates before and after it moves there.
    for n in [3, 15, 16, 17, 40] {
        let keys: Vec<String> = (0..n).map(|i| format!("\"k{i}\":{i}")).collect();
        same_as_recursive(format!("{{{}}}", keys.join(",")).as_bytes());
        for dup in [0, n / 2, n - 1] {
            let doc = format!("{{{},\"\\u006b{dup}\":0}}", keys.join(","));
            same_as_recursive(doc.as_bytes());
            let doc = format!("[{{{},\"k{dup}\":0}}]", keys.join(","));
            same_as_recursive(doc.as_bytes());
        }
    }
}

#[test]
fn mutated_documents_get_the_same_tree_or_error() {
    let bases: &[&[u8]] = &[
        br#"{"model":"m","messages":[{"role":"user","content":"h\u00e9 \"q\" \ud83d\ude00"},{"k":[1,-2.5e3,true,null,{}]}],"meta":{"a":[[]],"b":"c"},"n":1}"#,
        br#"[[["x"]],[[{"a":[{"b":{"c":[]}}],"d":{}}]],{"e":[1,[2,[3]]]}]"#,
        br#" { "a" : [ 1 , 2 ] , "b" : { "c" : [ ] , "d" : "\n" } } "#,
    ];
    // The SDK's deterministic mutator (flips, JSON tokens, truncations, cut and repeated ranges).
    let mut rng = crate::fuzz::Rng::new(0x9e37_79b9_7f4a_7c15);
    for round in 0..crate::fuzz::iters(30_000) {
        let doc = crate::fuzz::mutate(
            &mut rng,
            bases[round % bases.len()],
            crate::fuzz::JSON_TOKENS,
        );
        same_as_recursive(&doc);
    }
}

/// Every array and object vector of the tree.
fn capacities(n: &Node, out: &mut Vec<(usize, usize)>) {
    match &n.value {
        Json::Array(items) => {
            out.push((items.len(), items.capacity()));
            items.iter().for_each(|i| capacities(i, out));
        }
        Json::Object(members) => {
            out.push((members.len(), members.capacity()));
            members.iter().for_each(|(_, v)| capacities(v, out));
        }
        _ => {}
    }
}

/// The recursive reader grew a vector per container (4 slots for one child, 8 for five);
/// `build` allocates each exactly once, at its size, and nothing for an empty one.
#[test]
fn containers_are_allocated_at_their_exact_size() {
    let tree = format!("{}\"x\"{}", "[".repeat(100), "]".repeat(100));
    let doc = format!(
        r#"{{"model":"m","messages":[{{"role":"user","content":"a"}},{{}},[]],"tree":[{},{}],"five":[1,2,3,4,5]}}"#,
        tree, tree
    );
    let root = parse(doc.as_bytes(), &Limits::default()).unwrap();
    let mut all = Vec::new();
    capacities(&root, &mut all);
    assert_eq!(all.len(), 1 + 1 + 3 + 1 + 200 + 1);
    for (len, cap) in all {
        assert_eq!(len, cap);
    }
}

/// No call per nested value: a document at the depth limit is read on a small stack.
/// Native only: wasm32-wasip1 has no threads (`./build.sh test` also runs these tests as wasm).
#[cfg(not(target_arch = "wasm32"))]
#[test]
fn deep_documents_do_not_need_a_deep_stack() {
    let limits = Limits {
        max_depth: 100_000,
        max_bytes: usize::MAX,
    };
    let doc = format!("{}1{}", "[{\"k\":".repeat(50_000), "}]".repeat(50_000));
    let handle = std::thread::Builder::new()
        .stack_size(256 * 1024)
        .spawn(move || {
            // Dropping is recursive (the derived Drop of `Node`): the tree is leaked here,
            // the test is about reading.
            parse(doc.as_bytes(), &limits).map(|n| {
                let end = n.span.end;
                std::mem::forget(n);
                end
            })
        })
        .unwrap();
    assert!(handle.join().unwrap().is_ok());
}
