//! dev_eval: TPR/FPR of the default detector on the shared dev data, per source, on a
//! deterministic split (FNV-1a hash of the line text: even = "train", the half rules were
//! tuned on; odd = "held-out", only measured). Missing data is a failure, never a skip.
//! `IG_EVAL_SHOW=1 cargo test -p injection-guard --test dev_eval -- --nocapture` prints the
//! train-half misses and false positives (rule ids and the first characters) for tuning.
//! The learned model (`model.ngram`) was trained on the same train half only (`./build.sh
//! train`); each table also prints the rules-only figures (model disabled) for comparison.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)] // a test

use injection_guard::config::{Config, ModelConfig};
use injection_guard::detector::Trust;
use std::collections::BTreeMap;
use std::path::PathBuf;

fn data_dir() -> PathBuf {
    if let Ok(p) = std::env::var("GUARDRAIL_SHARED") {
        return PathBuf::from(p);
    }
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/eval")
}

fn fnv(s: &str) -> u64 {
    s.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
    })
}

struct Row {
    text: String,
    injection: bool,
    source: String,
}

fn load(name: &str) -> Vec<Row> {
    let path = data_dir().join(name);
    let raw = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "dev data {} is missing ({e}); set GUARDRAIL_SHARED to the shared eval dir",
            path.display()
        )
    });
    raw.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).expect("jsonl line");
            Row {
                text: v["text"].as_str().expect("text").to_string(),
                injection: v["label"].as_str() == Some("injection"),
                source: v["source"].as_str().unwrap_or("?").to_string(),
            }
        })
        .collect()
}

#[derive(Default, Clone, Copy)]
struct Counts {
    tp: u32,
    fn_: u32,
    fp: u32,
    tn: u32,
}

impl Counts {
    fn tpr(&self) -> f64 {
        f64::from(self.tp) / f64::from((self.tp + self.fn_).max(1))
    }
    fn fpr(&self) -> f64 {
        f64::from(self.fp) / f64::from((self.fp + self.tn).max(1))
    }
    fn add(&mut self, injection: bool, detected: bool) {
        match (injection, detected) {
            (true, true) => self.tp += 1,
            (true, false) => self.fn_ += 1,
            (false, true) => self.fp += 1,
            (false, false) => self.tn += 1,
        }
    }
}

/// (overall train, overall held-out)
fn evaluate(file: &str, trust: Trust) -> (Counts, Counts) {
    let config = Config::default();
    let detector = config.detector().expect("default config compiles");
    let threshold = config.threshold(trust);
    let rules_only = Config {
        model: ModelConfig {
            enabled: false,
            ..ModelConfig::default()
        },
        ..Config::default()
    }
    .detector()
    .expect("rules-only config compiles");
    let (mut r_train, mut r_held) = (Counts::default(), Counts::default());
    let rows = load(file);
    let show = std::env::var("IG_EVAL_SHOW").is_ok();
    let mut per: BTreeMap<(String, &str), Counts> = BTreeMap::new();
    let (mut train, mut held) = (Counts::default(), Counts::default());
    for row in &rows {
        let scan = detector.scan(&row.text, trust);
        let detected = scan.score >= threshold;
        let is_train = fnv(&row.text).is_multiple_of(2);
        let r_detected = rules_only.scan(&row.text, trust).score >= threshold;
        if is_train {
            r_train.add(row.injection, r_detected);
        } else {
            r_held.add(row.injection, r_detected);
        }
        let half = if is_train { "train" } else { "held-out" };
        per.entry((row.source.clone(), half))
            .or_default()
            .add(row.injection, detected);
        if is_train {
            train.add(row.injection, detected);
            if show && detected != row.injection {
                let rules: Vec<&str> = scan.hits.iter().map(|h| h.rule.as_str()).collect();
                let head: String = row
                    .text
                    .chars()
                    .take(160)
                    .collect::<String>()
                    .replace('\n', " ");
                println!(
                    "{} {:.2} {:?} | {}",
                    if row.injection { "MISS" } else { "FP  " },
                    scan.score,
                    rules,
                    head
                );
            }
        } else {
            held.add(row.injection, detected);
        }
    }
    println!("== {file} (threshold {threshold})");
    for ((source, half), c) in &per {
        println!(
            "{source:40} {half:8} TPR {:.3} ({}/{}) FPR {:.3} ({}/{})",
            c.tpr(),
            c.tp,
            c.tp + c.fn_,
            c.fpr(),
            c.fp,
            c.fp + c.tn
        );
    }
    for (label, name, c) in [
        ("ALL", "train", train),
        ("ALL", "held-out", held),
        ("ALL (rules only, model off)", "train", r_train),
        ("ALL (rules only, model off)", "held-out", r_held),
    ] {
        println!("{label:40} {name:8} TPR {:.3} FPR {:.3}", c.tpr(), c.fpr());
    }
    (train, held)
}

#[test]
fn direct_injection_dev() {
    let (_train, held) = evaluate("injection-dev.jsonl", Trust::User);
    assert!(
        held.tpr() >= TPR_FLOOR_DIRECT,
        "held-out TPR {:.3} < {TPR_FLOOR_DIRECT}",
        held.tpr()
    );
    assert!(
        held.fpr() <= FPR_CEIL_DIRECT,
        "held-out FPR {:.3} > {FPR_CEIL_DIRECT}",
        held.fpr()
    );
}

#[test]
fn indirect_injection_dev() {
    let (_train, held) = evaluate("indirect-dev.jsonl", Trust::Data);
    assert!(
        held.tpr() >= TPR_FLOOR_INDIRECT,
        "held-out TPR {:.3} < {TPR_FLOOR_INDIRECT}",
        held.tpr()
    );
    assert!(
        held.fpr() <= FPR_CEIL_INDIRECT,
        "held-out FPR {:.3} > {FPR_CEIL_INDIRECT}",
        held.fpr()
    );
}

// Floors: measured held-out figures minus a margin (see README "Measured").
const TPR_FLOOR_DIRECT: f64 = 0.85;
const FPR_CEIL_DIRECT: f64 = 0.02;
const TPR_FLOOR_INDIRECT: f64 = 0.85;
const FPR_CEIL_INDIRECT: f64 = 0.05;

/// Benign score distribution on the train half (tuning aid, prints only).
#[test]
fn benign_score_tail() {
    if std::env::var("IG_EVAL_SHOW").is_err() {
        return;
    }
    let config = Config::default();
    let detector = config.detector().expect("default config compiles");
    for row in load("injection-dev.jsonl") {
        if row.injection || !fnv(&row.text).is_multiple_of(2) {
            continue;
        }
        let scan = detector.scan(&row.text, Trust::User);
        if scan.score >= 0.3 {
            let rules: Vec<&str> = scan.hits.iter().map(|h| h.rule.as_str()).collect();
            let head: String = row
                .text
                .chars()
                .take(120)
                .collect::<String>()
                .replace('\n', " ");
            println!(
                "BENIGN {:.2} {:?} {} | {head}",
                scan.score, rules, row.source
            );
        }
    }
}
