//! `harness train`: rebuilds injection-guard's learned n-gram model
//! (`plugins/injection-guard/model/ngram.bin`) from the TRAIN half of the shared dev data
//! (`injection-dev.jsonl`; FNV-1a 64 of the line text even = train, the split of
//! `plugins/injection-guard/tests/dev_eval.rs`). Features are the plugin's own
//! (`injection_guard::ngram::for_each_feature` over the plugin's normaliser), so training and
//! inference cannot drift apart.
//!
//! Logistic regression on the feature vector `counts / (n + PRIOR_FEATURES)` (see `ngram`), L2-regularised, full-batch Adam with a fixed
//! number of steps from zero: no randomness, the same bytes on every run. The L2 strength and
//! the decision weight (`model.weight` in the plugin config) are picked by 5-fold
//! cross-validation inside the train half, on the combined rules + model decision at the user
//! threshold. The held-out half is only measured and printed, never used for a choice.

pub mod corpus;
pub mod suffix;

use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use injection_guard::config::{Config, ModelConfig};
use injection_guard::detector::Trust;
use injection_guard::ngram::{self, DIM};

pub struct Options {
    /// Directory holding `injection-dev.jsonl`.
    pub shared: PathBuf,
    /// Weights file to write.
    pub out: PathBuf,
}

/// L2 strengths tried by cross-validation.
pub const LAMBDAS: &[f64] = &[1e-6, 1e-7, 1e-8];
/// Decision weights (`model.weight`) tried by cross-validation.
pub const WEIGHTS: &[f32] = &[0.5, 0.6, 0.7, 0.75, 0.8, 0.85, 0.9, 1.0];
/// Highest cross-validated FPR a setting may have: half the target of 0.01, as a margin.
pub const MAX_CV_FPR: f64 = 0.005;
/// Folds inside the train half.
pub const FOLDS: u64 = 5;
/// Adam steps per fit.
pub const STEPS: usize = 200;
const LEARNING_RATE: f64 = 0.1;

/// FNV-1a 64 (the split hash of `dev_eval.rs`).
pub fn fnv(s: &str) -> u64 {
    s.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
    })
}

struct Doc {
    /// (bucket, count / n), buckets ascending.
    x: Vec<(u32, f64)>,
    y: f64,
    /// Rules-only score at user trust.
    rules: f32,
    /// 0..FOLDS inside the train half.
    fold: u64,
    train: bool,
    benign_source: bool,
    source: String,
    text: String,
}

/// Builds training documents with the plugin's own normaliser and features.
struct DocBuilder {
    detector: injection_guard::detector::Detector,
    counts: Vec<u32>,
    touched: Vec<u32>,
}

impl DocBuilder {
    fn new() -> Result<DocBuilder> {
        let config = Config {
            model: ModelConfig {
                enabled: false,
                ..ModelConfig::default()
            },
            ..Config::default()
        };
        Ok(DocBuilder {
            detector: config.detector().map_err(anyhow::Error::msg)?,
            counts: vec![0u32; DIM],
            touched: Vec::new(),
        })
    }

    fn doc(&mut self, text: String, injection: bool, source: String, train: bool) -> Doc {
        let n = self.detector.normalize(&text);
        let rules = self.detector.score(&n, Trust::User).score;
        self.touched.clear();
        let (counts, touched) = (&mut self.counts, &mut self.touched);
        let total = ngram::for_each_feature(&n.words, |b| {
            if let Some(c) = counts.get_mut(b) {
                if *c == 0 {
                    touched.push(b as u32);
                }
                *c += 1;
            }
        });
        touched.sort_unstable();
        let x = touched
            .iter()
            .map(|&b| {
                let c = std::mem::take(&mut counts[b as usize]);
                (b, f64::from(c) / ngram::evidence(total) as f64)
            })
            .collect();
        let h = fnv(&text);
        Doc {
            x,
            y: if injection { 1.0 } else { 0.0 },
            rules,
            fold: (h >> 1) % FOLDS,
            train,
            benign_source: !injection,
            source,
            text,
        }
    }
}

fn load(shared: &Path, builder: &mut DocBuilder) -> Result<Vec<Doc>> {
    let path = shared.join("injection-dev.jsonl");
    let raw =
        std::fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?;
    let mut docs = Vec::new();
    for (i, line) in raw.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let v: serde_json::Value =
            serde_json::from_str(line).with_context(|| format!("{}:{}", path.display(), i + 1))?;
        let text = v["text"]
            .as_str()
            .with_context(|| format!("{}:{}: no text", path.display(), i + 1))?
            .to_string();
        let label = v["label"].as_str().unwrap_or("");
        if label != "injection" && label != "benign" {
            bail!(
                "{}:{}: label must be injection|benign",
                path.display(),
                i + 1
            );
        }
        let train = fnv(&text).is_multiple_of(2);
        let source = v["source"].as_str().unwrap_or("?").to_string();
        docs.push(builder.doc(text, label == "injection", source, train));
    }
    Ok(docs)
}

fn sigmoid(z: f64) -> f64 {
    1.0 / (1.0 + (-z).exp())
}

/// Mean log-loss + lambda/2 |w|^2, full-batch Adam from zero.
fn fit(docs: &[&Doc], lambda: f64) -> (f64, Vec<f64>) {
    let n = docs.len().max(1) as f64;
    let pos = docs.iter().filter(|d| d.y > 0.5).count() as f64;
    let mut b = ((pos + 1.0) / (n - pos + 1.0)).ln();
    let mut w = vec![0f64; DIM];
    let (mut m, mut v) = (vec![0f64; DIM + 1], vec![0f64; DIM + 1]);
    let mut g = vec![0f64; DIM + 1];
    let (b1, b2, eps) = (0.9f64, 0.999f64, 1e-8f64);
    for t in 1..=STEPS {
        g.iter_mut().for_each(|x| *x = 0.0);
        for d in docs {
            let z = b + d.x.iter().map(|&(j, x)| w[j as usize] * x).sum::<f64>();
            let e = (sigmoid(z) - d.y) / n;
            g[DIM] += e;
            for &(j, x) in &d.x {
                g[j as usize] += e * x;
            }
        }
        for j in 0..DIM {
            g[j] += lambda * w[j];
        }
        let (c1, c2) = (1.0 - b1.powi(t as i32), 1.0 - b2.powi(t as i32));
        for j in 0..=DIM {
            m[j] = b1 * m[j] + (1.0 - b1) * g[j];
            v[j] = b2 * v[j] + (1.0 - b2) * g[j] * g[j];
            let step = LEARNING_RATE * (m[j] / c1) / ((v[j] / c2).sqrt() + eps);
            if j == DIM {
                b -= step;
            } else {
                w[j] -= step;
            }
        }
    }
    (b, w)
}

fn predict(b: f64, w: &[f64], d: &Doc) -> f64 {
    sigmoid(b + d.x.iter().map(|&(j, x)| w[j as usize] * x).sum::<f64>())
}

/// The plugin's combination: noisy-or of the rules' score and `weight * p` (p >= 0.5).
fn combined(rules: f32, p: f32, weight: f32) -> f32 {
    let m = if p >= injection_guard::detector::MODEL_MIN_P {
        weight * p
    } else {
        0.0
    };
    1.0 - (1.0 - rules) * (1.0 - m)
}

#[derive(Default, Clone, Copy)]
struct Counts {
    tp: u32,
    pos: u32,
    fp: u32,
    neg: u32,
}

impl Counts {
    fn add(&mut self, injection: bool, detected: bool) {
        if injection {
            self.pos += 1;
            self.tp += u32::from(detected);
        } else {
            self.neg += 1;
            self.fp += u32::from(detected);
        }
    }
    fn tpr(&self) -> f64 {
        f64::from(self.tp) / f64::from(self.pos.max(1))
    }
    fn fpr(&self) -> f64 {
        f64::from(self.fp) / f64::from(self.neg.max(1))
    }
}

pub fn run(opts: &Options) -> Result<()> {
    let threshold = Config::default().threshold(Trust::User);
    let mut builder = DocBuilder::new()?;
    let docs = load(&opts.shared, &mut builder)?;
    let dev_benign_train: Vec<String> = docs
        .iter()
        .filter(|d| d.train && d.y < 0.5)
        .map(|d| d.text.clone())
        .collect();
    let model_dir = opts
        .out
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."));
    let items = own_corpus(&model_dir, &dev_benign_train)?;
    // The generated corpus's training part joins the n-gram model's training data (the
    // suffix family is the window model's job; its lines carry no n-gram signal).
    // The n-gram model stays trained on the dev data's train half only: trained on the
    // generated corpus too, its cross-validated FPR rose above the target (the generated
    // attacks share framing words with benign role-play), and the generated families have
    // their own detectors (framing, suffix windows, multilingual rules).
    let _ = &items;
    let train: Vec<&Doc> = docs.iter().filter(|d| d.train).collect();
    let held: Vec<&Doc> = docs.iter().filter(|d| !d.train).collect();
    println!(
        "train half {} lines ({} injection), held-out half {} lines; {DIM} buckets, {STEPS} Adam steps",
        train.len(),
        train.iter().filter(|d| d.y > 0.5).count(),
        held.len()
    );
    // Out-of-fold probabilities for every lambda.
    let mut best: Option<(f64, f32, Counts)> = None;
    println!("cross-validation inside the train half ({FOLDS} folds), combined with the rules at threshold {threshold}:");
    for &lambda in LAMBDAS {
        let mut oof = vec![0f32; train.len()];
        for fold in 0..FOLDS {
            let fit_docs: Vec<&Doc> = train.iter().copied().filter(|d| d.fold != fold).collect();
            let (b, w) = fit(&fit_docs, lambda);
            for (i, d) in train.iter().enumerate() {
                if d.fold == fold {
                    oof[i] = predict(b, &w, d) as f32;
                }
            }
        }
        let mut alone = Counts::default();
        for (d, &p) in train.iter().zip(&oof) {
            alone.add(d.y > 0.5, p >= 0.5);
        }
        println!(
            "  lambda {lambda:e}: model alone (p >= 0.5) TPR {:.3} FPR {:.3}",
            alone.tpr(),
            alone.fpr()
        );
        for &weight in WEIGHTS {
            let mut c = Counts::default();
            for (d, &p) in train.iter().zip(&oof) {
                c.add(d.y > 0.5, combined(d.rules, p, weight) >= threshold);
            }
            println!(
                "    weight {weight:.2}: TPR {:.3} ({}/{}) FPR {:.3} ({}/{})",
                c.tpr(),
                c.tp,
                c.pos,
                c.fpr(),
                c.fp,
                c.neg
            );
            // Cross-validated FPR at most half the target (0.01); then the highest TPR; ties
            // keep the earlier choice
            // (the grid runs from the strongest L2 down, so at equal TPR the more regularised fit and
            // the smaller weight win).
            let ok = c.fpr() <= MAX_CV_FPR;
            let better = match &best {
                None => ok,
                Some((_, _, bc)) => ok && c.tp > bc.tp,
            };
            if better {
                best = Some((lambda, weight, c));
            }
        }
    }
    let Some((lambda, weight, cv)) = best else {
        bail!("no setting with a cross-validated FPR <= {MAX_CV_FPR}");
    };
    println!(
        "chosen: lambda {lambda:e}, model.weight {weight:.2} (cross-validated TPR {:.3}, FPR {:.3})",
        cv.tpr(),
        cv.fpr()
    );
    let (b, w) = fit(&train, lambda);
    let wf: Vec<f32> = w.iter().map(|&x| x as f32).collect();
    let bytes = ngram::encode(b as f32, &wf);
    let model = ngram::Model::parse(&bytes).context("encoded weights do not parse")?;
    if let Some(dir) = opts.out.parent() {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    std::fs::write(&opts.out, &bytes).with_context(|| format!("writing {}", opts.out.display()))?;
    println!("wrote {} ({} bytes)", opts.out.display(), bytes.len());
    // Measured only: the shipped (quantised) model on both halves.
    let detector = Config {
        model: ModelConfig {
            enabled: false,
            ..ModelConfig::default()
        },
        ..Config::default()
    }
    .detector()
    .map_err(anyhow::Error::msg)?;
    for (name, set) in [("train", &train), ("held-out", &held)] {
        let (mut rules, mut alone, mut both) =
            (Counts::default(), Counts::default(), Counts::default());
        for d in set.iter() {
            let p = model.probability(&detector.normalize(&d.text).words);
            let inj = d.y > 0.5;
            rules.add(inj, d.rules >= threshold);
            alone.add(inj, p >= 0.5);
            both.add(inj, combined(d.rules, p, weight) >= threshold);
            if name == "held-out" && d.benign_source && combined(d.rules, p, weight) >= threshold {
                println!("  held-out FP ({}, p {p:.2})", d.source);
            }
        }
        println!(
            "{name:8}: rules TPR {:.3} FPR {:.3} | model alone TPR {:.3} FPR {:.3} | rules + model TPR {:.3} FPR {:.3}",
            rules.tpr(),
            rules.fpr(),
            alone.tpr(),
            alone.fpr(),
            both.tpr(),
            both.fpr()
        );
    }
    Ok(())
}

/// The tokenizer vocabulary the suffix generator draws from: every cl100k token that decodes
/// to valid UTF-8 on its own.
fn vocabulary() -> Result<Vec<String>> {
    let bpe = tiktoken_rs::cl100k_base().map_err(|e| anyhow::anyhow!("cl100k: {e}"))?;
    let mut out = Vec::new();
    for id in 0..100_256u32 {
        if let Ok(s) = bpe.decode(&[id]) {
            if !s.is_empty() && !s.contains('\u{fffd}') && !s.chars().any(char::is_control) {
                out.push(s);
            }
        }
    }
    Ok(out)
}

/// ASCII letter -> every character whose UTS #39 skeleton is that letter.
fn confusable_table() -> Vec<(char, Vec<char>)> {
    let mut table: Vec<(char, Vec<char>)> = ('a'..='z')
        .chain('A'..='Z')
        .map(|c| (c, Vec::new()))
        .collect();
    for u in 0x80u32..0x2_0000 {
        let Some(c) = char::from_u32(u) else { continue };
        if let Some(a) = injection_guard::confusables::uts39_ascii(c) {
            if let Some((_, v)) = table.iter_mut().find(|(k, _)| *k == a) {
                v.push(c);
            }
        }
    }
    table
}

/// This repository's own prose and code (benign look-alikes for the suffix model).
fn repo_texts(root: &Path) -> Vec<String> {
    let mut out = Vec::new();
    let dirs = [
        "docs",
        "sdk/src",
        "sdk/src/config",
        "tools/scan-bench/src",
        "plugins/pii-redact/src",
        "plugins/key-auth/src",
    ];
    for d in dirs {
        let Ok(rd) = std::fs::read_dir(root.join(d)) else {
            continue;
        };
        let mut paths: Vec<PathBuf> = rd.filter_map(|e| e.ok().map(|e| e.path())).collect();
        paths.sort();
        for p in paths {
            let ext = p.extension().and_then(|e| e.to_str()).unwrap_or("");
            if ext != "md" && ext != "rs" {
                continue;
            }
            if let Ok(t) = std::fs::read_to_string(&p) {
                // Paragraph-sized chunks, like prompts.
                for chunk in t.split("\n\n").filter(|c| c.len() >= 40) {
                    out.push(chunk.chars().take(1500).collect());
                }
            }
        }
    }
    out
}

/// Generate the corpus, write it (train and held-out JSON Lines under `model/corpus/`), and
/// train the suffix model (`model/suffix.bin`).
fn own_corpus(model_dir: &Path, dev_benign_train: &[String]) -> Result<Vec<corpus::Item>> {
    let vocab = vocabulary()?;
    let table = confusable_table();
    let items = corpus::generate(&vocab, &table);
    let dir = model_dir.join("corpus");
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    for (name, held) in [("train.jsonl", false), ("heldout.jsonl", true)] {
        let mut text = String::new();
        for it in items.iter().filter(|i| i.heldout == held) {
            let mut v = serde_json::json!({
                "text": it.text,
                "label": if it.injection { "injection" } else { "benign" },
                "source": it.family,
            });
            if it.tool {
                v["role"] = serde_json::json!("tool");
            }
            text.push_str(&v.to_string());
            text.push('\n');
        }
        let path = dir.join(name);
        std::fs::write(&path, text).with_context(|| format!("writing {}", path.display()))?;
    }
    let mut fam: std::collections::BTreeMap<&str, (usize, usize)> = Default::default();
    for it in &items {
        let e = fam.entry(it.family).or_default();
        if it.heldout {
            e.1 += 1;
        } else {
            e.0 += 1;
        }
    }
    for (f, (tr, he)) in &fam {
        println!("corpus {f:14} train {tr:5} held-out {he:5}");
    }
    // Suffix model: training generator kinds only, a separate seed from the corpus lines.
    let mut rng = guardrail_sdk::fuzz::Rng::new(0x5u64 << 40 | 0xf1f);
    let mut sfx = Vec::new();
    for (k, _) in corpus::suffixes::KINDS
        .iter()
        .enumerate()
        .filter(|(k, _)| !corpus::held(*k))
    {
        for _ in 0..500 {
            sfx.push(corpus::suffixes::suffix(&mut rng, &vocab, k));
        }
    }
    let attacks: Vec<String> = items
        .iter()
        .filter(|i| i.family == "suffix" && !i.heldout)
        .map(|i| i.text.clone())
        .collect();
    let root = model_dir.join("../../..");
    let mut benign: Vec<String> = dev_benign_train.to_vec();
    benign.extend(
        items
            .iter()
            .filter(|i| !i.injection && !i.heldout)
            .map(|i| i.text.clone()),
    );
    benign.extend(suffix::data_blobs(600));
    benign.extend(repo_texts(&root));
    let det = Config::default().detector().map_err(anyhow::Error::msg)?;
    let framing = injection_guard::framing::Framing::new().context("framing automaton")?;
    let benign_harm: Vec<bool> = benign
        .iter()
        .map(|t| framing.find(&det.normalize(t)).harm)
        .collect();
    let bytes = suffix::train(&suffix::Inputs {
        suffixes: &sfx,
        attacks: &attacks,
        benign: &benign,
        benign_harm: &benign_harm,
    });
    let path = model_dir.join("suffix.bin");
    std::fs::write(&path, &bytes).with_context(|| format!("writing {}", path.display()))?;
    println!("wrote {} ({} bytes)", path.display(), bytes.len());
    Ok(items)
}
