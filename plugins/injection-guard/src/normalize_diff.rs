//! normalize_diff: differential test of the normaliser against `normalize_reference` (its
//! char-by-char form before the fast paths) on every text of the shared eval data, their
//! decoded forms, and fuzz mutants full of obfuscation fragments: the output must be identical.

use crate::detector::builtin_specs;
use crate::matcher::Matcher;
use crate::normalize::{normalize, Normalized};
use crate::normalize_reference;
use guardrail_sdk::fuzz::{self, Rng};
use std::path::PathBuf;

/// What the normaliser's branches react to: invisibles, tags, look-alikes, styled letters,
/// accents, leetspeak, spacing, camelCase, apostrophes, hyphens, newlines, markup.
const EXTRA_TOKENS: &[&[u8]] = &[
    "\u{2019}".as_bytes(),
    "ß".as_bytes(),
    "İ".as_bytes(),
    b"a l l",
    b"systemPrompt",
    b"ABCdef",
    b"don't",
    b"i-nstruction",
    b"@ll $ystem rul3$ h!dd3n ",
    b"h-!-d",
    b"![x](",
    b"!",
    b"@",
    b"$",
    b"'",
    b"-",
    b".",
    b"\n",
    b"\t",
    b"  ",
    b" ",
    b"A",
    b"z",
    b"7",
];

/// The shared obfuscation fragments plus this test's own.
fn tokens() -> Vec<&'static [u8]> {
    crate::fuzz_tokens::OBFUSCATION
        .iter()
        .chain(EXTRA_TOKENS)
        .copied()
        .collect()
}

fn data_dir() -> PathBuf {
    if let Ok(p) = std::env::var("GUARDRAIL_SHARED") {
        return PathBuf::from(p);
    }
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/eval")
}

/// Every `text` of the shared eval files (missing data is a failure, never a skip).
fn eval_texts() -> Vec<String> {
    let mut out = Vec::new();
    for name in ["injection-dev.jsonl", "indirect-dev.jsonl", "pii-dev.jsonl"] {
        let path = data_dir().join(name);
        let raw = std::fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("eval data {} is missing: {e}", path.display()));
        for line in raw.lines().filter(|l| !l.trim().is_empty()) {
            let v: serde_json::Value = serde_json::from_str(line).unwrap();
            if let Some(t) = v["text"].as_str() {
                out.push(t.to_string());
            }
        }
    }
    out
}

fn same(a: &Normalized, b: &Normalized) -> bool {
    a.clean == b.clean
        && a.tag_text == b.tag_text
        && a.words == b.words
        && a.starts == b.starts
        && a.signals == b.signals
}

fn check(m: &Matcher, text: &str) {
    let got = normalize(text, m);
    let want = normalize_reference::normalize(text, m);
    assert!(
        same(&got, &want),
        "{text:?}\n got {:?} {:?} {:?}\nwant {:?} {:?} {:?}",
        got.words,
        got.starts,
        got.signals,
        want.words,
        want.starts,
        want.signals
    );
}

#[test]
fn normalize_equals_the_reference_on_eval_data_and_mutants() {
    let m = Matcher::new(&builtin_specs()).unwrap();
    let texts = eval_texts();
    assert!(texts.len() > 1000, "{} texts", texts.len());
    let mut compared = 0usize;
    for t in &texts {
        check(&m, t);
        // What the detector rescans: decoded payloads and rot13.
        for (_, inner) in crate::decode::decoded_runs(t) {
            check(&m, &inner);
            compared += 1;
        }
        check(&m, &crate::decode::rot13(t));
        compared += 2;
    }
    // Long runs of spaced-out letters (split into lexicon words as they are found) and the
    // bench's adversarial units, repeated.
    for unit in [
        "![",
        "i g n o r e a l l p r e v i o u s ",
        "s 0 u p a n d b r 3 a d ",
        "i.g.n.o.r.e.a.l.l.",
        "s\u{200b}o\u{200b}u\u{200b}p ",
        "h-!-d-d-3-n-",
        "x y z q ",
    ] {
        for n in [1, 7, 13, 40, 200] {
            check(&m, &unit.repeat(n));
            compared += 1;
        }
    }
    let mut rng = Rng::new(0x6e6f_726d_6469_6666);
    let rounds = fuzz::iters(40_000);
    let tokens = tokens();
    for i in 0..rounds {
        let seed = texts.get(i % texts.len()).map_or("", |s| s.as_str());
        // Short windows of a seed keep mutants dense in edits.
        let bytes = seed.as_bytes();
        let from = rng.below(bytes.len() + 1);
        let to = (from + 1 + rng.below(200)).min(bytes.len());
        let window = bytes.get(from..to).unwrap_or_default();
        let mutant = fuzz::mutate(&mut rng, window, &tokens);
        check(&m, &String::from_utf8_lossy(&mutant));
        // Texts made only of fragments (runs of spaced letters, leet, invisibles).
        let mut built = Vec::new();
        for _ in 0..rng.below(24) {
            if let Some(t) = rng.pick(&tokens) {
                built.extend_from_slice(t);
            }
        }
        check(&m, &String::from_utf8_lossy(&built));
        compared += 2;
    }
    eprintln!(
        "normalize_diff: {} eval texts + {compared} derived/mutated texts compared",
        texts.len()
    );
}
