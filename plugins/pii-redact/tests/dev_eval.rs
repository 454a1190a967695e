//! dev_eval: runs the pure detectors over the labelled dev sets (`pii-dev.jsonl`,
//! `pii-national-dev.jsonl`) and asserts per-type precision/recall floors (span overlap, same
//! type; a type without a floor must not be predicted at all on that set). The data must be
//! present: `$GUARDRAIL_SHARED/eval/<file>`, else `<workspace>/../shared/eval/<file>`.
//! Set `PII_EVAL_VERBOSE=1` to print misses and false alarms.

use pii_redact::detect::{scan, Enabled};
use pii_redact::entity::EntityType;
use std::path::PathBuf;

/// Floors: measured figures minus a margin (see README "Measured").
const FLOORS: &[(&str, f64, f64)] = &[
    // (type, precision floor, recall floor)
    ("EMAIL", 0.97, 0.97),
    ("PHONE", 0.93, 0.90),
    ("CREDIT_CARD", 0.95, 0.95),
    ("IBAN", 0.95, 0.95),
    ("US_SSN", 0.95, 0.95),
    ("IP_ADDRESS", 0.95, 0.95),
    ("CN_RESIDENT_ID", 0.95, 0.95),
    ("SECRET", 0.95, 0.93),
];

/// Floors of the national identifiers set: the bar (recall 0.95 per type, precision
/// 0.95); its near-miss lines must produce no finding of any type (`near_misses_reported`).
const NATIONAL_FLOORS: &[(&str, f64, f64)] = &[
    ("IT_FISCAL_CODE", 0.95, 0.95),
    ("ES_NIF", 0.95, 0.95),
    ("FR_NIR", 0.95, 0.95),
    ("NL_BSN", 0.95, 0.95),
    ("BR_CPF", 0.95, 0.95),
    ("PL_PESEL", 0.95, 0.95),
    ("FI_HETU", 0.95, 0.95),
    ("IN_AADHAAR", 0.95, 0.95),
];

fn data_path(file: &str) -> PathBuf {
    if let Ok(shared) = std::env::var("GUARDRAIL_SHARED") {
        let shared = PathBuf::from(shared);
        for p in [shared.join("eval").join(file), shared.join(file)] {
            if p.exists() {
                return p;
            }
        }
    }
    let root = std::env::var("GUARDRAIL_ROOT")
        .map(PathBuf::from)
        .unwrap_or_else(|_| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../.."));
    root.join("../shared/eval").join(file)
}

/// Byte offset -> char offset in `text`.
fn char_off(text: &str, byte: usize) -> usize {
    text.get(..byte).map(|s| s.chars().count()).unwrap_or(0)
}

#[derive(Default, Clone, Copy)]
struct Tally {
    gold: usize,
    found: usize,
    pred: usize,
    correct: usize,
}

#[test]
fn dev_set_precision_recall_floors() {
    let near = evaluate("pii-dev.jsonl", FLOORS);
    assert_eq!(near, 0, "clean lines with findings");
}

#[test]
fn national_dev_set_floors_and_no_near_miss() {
    let near = evaluate("pii-national-dev.jsonl", NATIONAL_FLOORS);
    assert_eq!(near, 0, "near-miss lines with a finding");
}

/// Scores `file` against `floors`; returns how many lines without entities had a finding.
fn evaluate(file: &str, floors: &[(&str, f64, f64)]) -> usize {
    let path = data_path(file);
    let raw = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "pii dev data missing at {} ({e}); set GUARDRAIL_SHARED",
            path.display()
        )
    });
    let verbose = std::env::var("PII_EVAL_VERBOSE").is_ok();
    let mut tally = [Tally::default(); pii_redact::entity::COUNT];
    let mut lines = 0;
    let mut clean_with_findings = 0;
    for line in raw.lines().filter(|l| !l.trim().is_empty()) {
        lines += 1;
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        let text = v["text"].as_str().unwrap();
        let gold: Vec<(EntityType, usize, usize)> = v["entities"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| {
                let t = EntityType::from_name(e["type"].as_str().unwrap()).unwrap();
                (
                    t,
                    e["start"].as_u64().unwrap() as usize,
                    e["end"].as_u64().unwrap() as usize,
                )
            })
            .collect();
        let pred: Vec<(EntityType, usize, usize)> = scan(text, &Enabled::all())
            .into_iter()
            .map(|m| (m.kind, char_off(text, m.start), char_off(text, m.end)))
            .collect();
        if gold.is_empty() && !pred.is_empty() {
            clean_with_findings += 1;
        }
        let overlaps = |a: &(EntityType, usize, usize), b: &(EntityType, usize, usize)| {
            a.0 == b.0 && a.1 < b.2 && b.1 < a.2
        };
        for g in &gold {
            let t = &mut tally[g.0.index()];
            t.gold += 1;
            if pred.iter().any(|p| overlaps(p, g)) {
                t.found += 1;
            } else if verbose {
                let s: String = text.chars().skip(g.1).take(g.2 - g.1).collect();
                println!("MISS {:?} {s:?} in {text:?}", g.0);
            }
        }
        for p in &pred {
            let t = &mut tally[p.0.index()];
            t.pred += 1;
            if gold.iter().any(|g| overlaps(p, g)) {
                t.correct += 1;
            } else if verbose {
                let s: String = text.chars().skip(p.1).take(p.2 - p.1).collect();
                println!("FALSE {:?} {s:?} in {text:?}", p.0);
            }
        }
    }
    assert!(lines >= 100, "dev set too small: {lines} lines");
    let mut failures = Vec::new();
    println!(
        "{:<16} {:>5} {:>5} {:>9} {:>7}",
        "type", "gold", "pred", "precision", "recall"
    );
    for t in EntityType::ALL {
        let c = tally[t.index()];
        let precision = if c.pred == 0 {
            1.0
        } else {
            c.correct as f64 / c.pred as f64
        };
        let recall = if c.gold == 0 {
            1.0
        } else {
            c.found as f64 / c.gold as f64
        };
        println!(
            "{:<16} {:>5} {:>5} {:>9.3} {:>7.3}",
            t.name(),
            c.gold,
            c.pred,
            precision,
            recall
        );
        let (p_floor, r_floor) = floors
            .iter()
            .find(|f| f.0 == t.name())
            .map_or((1.0, 0.0), |f| (f.1, f.2));
        if precision < p_floor || recall < r_floor {
            failures.push(format!("{}: precision {precision:.3} (floor {p_floor}), recall {recall:.3} (floor {r_floor})", t.name()));
        }
    }
    println!("clean lines with a finding: {clean_with_findings}");
    assert!(failures.is_empty(), "below floors: {failures:#?}");
    clean_with_findings
}
