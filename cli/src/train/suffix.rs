//! Trains injection-guard's adversarial-suffix window model (`model/suffix.bin`, see
//! `injection_guard::suffix`). Positives: windows lying wholly inside generated suffixes
//! (training generator kinds only). Negatives: windows of ordinary and look-alike text
//! (the dev data's benign train half, the corpus's training hard negatives and look-alikes,
//! generated data blobs, and this repository's own documentation and source code). Logistic
//! regression on the window's mean feature counts, classes weighted equally, full-batch Adam
//! from zero (deterministic). Then the window threshold and the run length are chosen on the
//! TRAIN texts only: the smallest run and lowest threshold that fire on no benign training
//! text, the highest suffix catch rate. Last the disordered-run operating point (a run at a
//! lower threshold whose span holds unpaired brackets, stray backslashes, an odd quote) is
//! chosen the same way: no benign training text fires, the most training attacks that the
//! first two points miss are caught.

use guardrail_sdk::fuzz::Rng;
use injection_guard::suffix::{self, for_each_feature, Model, DIM, PER_POSITION, WINDOW};

/// Fewest disorder marks the disordered-run point may ask for (a truncated code line holds
/// two: an open bracket and an odd quote).
const MIN_DISORDER: u32 = 3;

/// A window as sparse features: (bucket, count / positions).
type Window = Vec<(u32, f64)>;

fn window_features(text: &[u8], start: usize, end: usize) -> Window {
    let mut counts: Vec<(u32, u32)> = Vec::with_capacity((end - start) * PER_POSITION);
    for_each_feature(text, |i, b| {
        if i >= start && i < end {
            counts.push((b as u32, 1));
        }
    });
    counts.sort_unstable_by_key(|c| c.0);
    let mut out: Window = Vec::new();
    let n = (end - start).max(1) as f64;
    for (b, _) in counts {
        match out.last_mut() {
            Some(last) if last.0 == b => last.1 += 1.0 / n,
            _ => out.push((b, 1.0 / n)),
        }
    }
    out
}

/// Training windows of a text (half-overlapping, at most `cap` per text).
fn windows_of(text: &str, cap: usize) -> Vec<Window> {
    let b = text.as_bytes();
    if b.len() < WINDOW / 2 {
        return Vec::new();
    }
    let mut out = Vec::new();
    let mut s = 0usize;
    loop {
        let e = (s + WINDOW).min(b.len());
        out.push(window_features(b, s, e));
        if e == b.len() || out.len() >= cap {
            break;
        }
        s += WINDOW / 2;
    }
    out
}

fn sigmoid(z: f64) -> f64 {
    1.0 / (1.0 + (-z).exp())
}

fn fit(pos: &[Window], neg: &[Window], steps: usize, lambda: f64) -> (f64, Vec<f64>) {
    let mut w = vec![0f64; DIM];
    let mut b = 0f64;
    let (mut m, mut v) = (vec![0f64; DIM + 1], vec![0f64; DIM + 1]);
    let mut g = vec![0f64; DIM + 1];
    let (b1, b2, eps, lr) = (0.9f64, 0.999f64, 1e-8f64, 0.05f64);
    let (wp, wn) = (0.5 / pos.len().max(1) as f64, 0.5 / neg.len().max(1) as f64);
    for t in 1..=steps {
        g.iter_mut().for_each(|x| *x = 0.0);
        for (set, y, cw) in [(pos, 1.0, wp), (neg, 0.0, wn)] {
            for d in set {
                let z = b + d.iter().map(|&(j, x)| w[j as usize] * x).sum::<f64>();
                let e = (sigmoid(z) - y) * cw;
                g[DIM] += e;
                for &(j, x) in d {
                    g[j as usize] += e * x;
                }
            }
        }
        for j in 0..DIM {
            g[j] += lambda * w[j];
        }
        let (c1, c2) = (1.0 - b1.powi(t as i32), 1.0 - b2.powi(t as i32));
        for j in 0..=DIM {
            m[j] = b1 * m[j] + (1.0 - b1) * g[j];
            v[j] = b2 * v[j] + (1.0 - b2) * g[j] * g[j];
            let step = lr * (m[j] / c1) / ((v[j] / c2).sqrt() + eps);
            if j == DIM {
                b -= step;
            } else {
                w[j] -= step;
            }
        }
    }
    (b, w)
}

/// Generated data look-alikes: base64 and hex blobs, UUIDs, URLs, paths, numbers.
pub fn data_blobs(count: usize) -> Vec<String> {
    use base64::Engine;
    let mut rng = Rng::new(0xb10b_5eed);
    let words = [
        "api", "v2", "users", "search", "docs", "static", "img", "assets", "login", "report",
        "2024", "data", "files", "download", "index", "blog", "post", "page", "en", "release",
    ];
    let mut out = Vec::new();
    for k in 0..count {
        let bytes: Vec<u8> = (0..16 + rng.below(48))
            .map(|_| rng.next_u64() as u8)
            .collect();
        let mut w = || words.get(rng.below(words.len())).copied().unwrap_or("x");
        let text = match k % 6 {
            0 => format!(
                "Here is the token: {}",
                base64::engine::general_purpose::STANDARD.encode(&bytes)
            ),
            1 => format!(
                "commit {}",
                bytes.iter().map(|b| format!("{b:02x}")).collect::<String>()
            ),
            2 => format!(
                "Open https://{}.example.org/{}/{}/{}?id={}&lang={}&ref={} please",
                w(),
                w(),
                w(),
                w(),
                bytes.first().copied().unwrap_or(0),
                w(),
                w()
            ),
            3 => format!(
                "Copy /home/{}/{}/{}_{}.tar.gz to /mnt/{}/backup/",
                w(),
                w(),
                w(),
                w(),
                w()
            ),
            4 => format!(
                "ids: {}",
                bytes
                    .chunks(4)
                    .map(|c| c.iter().map(|b| format!("{b:02x}")).collect::<String>())
                    .collect::<Vec<_>>()
                    .join("-")
            ),
            _ => format!(
                "values = [{}]",
                bytes
                    .iter()
                    .map(|b| format!("{}.{}", b, b % 7))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        };
        out.push(text);
    }
    out
}

/// The suffix model's inputs.
pub struct Inputs<'a> {
    /// Generated suffixes of the training generator kinds (the suffix text alone).
    pub suffixes: &'a [String],
    /// Full training suffix attacks (request + suffix), for the run-length choice.
    pub attacks: &'a [String],
    /// Benign training texts.
    pub benign: &'a [String],
    /// Does each benign text name a harmful object or content (the detector's own reading)?
    pub benign_harm: &'a [bool],
}

/// Train; returns the weights file.
pub fn train(inp: &Inputs) -> Vec<u8> {
    let pos: Vec<Window> = inp.suffixes.iter().flat_map(|s| windows_of(s, 8)).collect();
    let neg: Vec<Window> = inp.benign.iter().flat_map(|s| windows_of(s, 24)).collect();
    println!(
        "suffix model: {} suffix windows, {} benign windows ({} benign texts)",
        pos.len(),
        neg.len(),
        inp.benign.len()
    );
    let (b, w) = fit(&pos, &neg, 150, 1e-6);
    let wf: Vec<f32> = w.iter().map(|&x| x as f32).collect();
    // Threshold and run: first encode with a placeholder, then scan the training texts.
    let probe = suffix::encode(b as f32, (0.5, 1), (0.5, 1), (0.999, 99, 99, 0), &wf);
    let Some(model) = Model::parse(&probe) else {
        return probe;
    };
    let benign_runs: Vec<Vec<f32>> = inp
        .benign
        .iter()
        .map(|t| model.window_probabilities(t))
        .collect();
    let attack_runs: Vec<Vec<f32>> = inp
        .attacks
        .iter()
        .map(|t| model.window_probabilities(t))
        .collect();
    let longest = |ps: &[f32], th: f32| {
        let (mut best, mut run) = (0u32, 0u32);
        for &p in ps {
            if p >= th {
                run += 1;
                best = best.max(run);
            } else {
                run = 0;
            }
        }
        best
    };
    // Two operating points, each the one catching the most training suffix attacks while no
    // benign training text fires, and at most one in 500 comes within one window of firing:
    // one for every segment, one for segments that name a harmful object or content (judged
    // only on the benign texts that do; at least two windows and p >= 0.8 as a floor).
    let choose = |benign: &[&Vec<f32>], runs: std::ops::RangeInclusive<u32>, floor: f32| {
        let mut best: Option<(f32, u32, usize)> = None;
        for min_run in runs {
            for k in 0..48 {
                let th = floor + (0.999 - floor) * k as f32 / 47.0;
                let fp = benign
                    .iter()
                    .filter(|ps| longest(ps, th) >= min_run)
                    .count();
                let near = benign
                    .iter()
                    .filter(|ps| longest(ps, th) + 1 >= min_run)
                    .count();
                let tp = attack_runs
                    .iter()
                    .filter(|ps| longest(ps, th) >= min_run)
                    .count();
                if fp == 0
                    && near * 500 <= benign.len().max(500)
                    && best.is_none_or(|(_, _, b)| tp > b)
                {
                    best = Some((th, min_run, tp));
                }
            }
        }
        best.unwrap_or((0.999, 6, 0))
    };
    let all: Vec<&Vec<f32>> = benign_runs.iter().collect();
    let harmful: Vec<&Vec<f32>> = benign_runs
        .iter()
        .zip(inp.benign_harm)
        .filter(|(_, h)| **h)
        .map(|(r, _)| r)
        .collect();
    let (th, run, tp) = choose(&all, 2..=5, 0.5);
    let (hth, hrun, htp) = choose(&harmful, 2..=5, 0.8);
    println!(
        "suffix model: any segment: window p >= {th:.3} for {run} windows ({tp}/{} training suffix attacks); naming a harm: p >= {hth:.3} for {hrun} ({htp}/{}); 0 of {} benign training texts ({} naming a harm) fire",
        inp.attacks.len(),
        inp.attacks.len(),
        inp.benign.len(),
        harmful.len()
    );
    // The disordered-run point: the benign texts' disorder at each (threshold, run), then the
    // lowest disorder count that no benign training text reaches (and at most one in 500 comes
    // within one mark of), the most training attacks caught with the first point.
    let bytes_of = |t: &String| t.as_bytes().to_vec();
    let benign_bytes: Vec<Vec<u8>> = inp.benign.iter().map(bytes_of).collect();
    let attack_bytes: Vec<Vec<u8>> = inp.attacks.iter().map(bytes_of).collect();
    let mut soup: (f32, u32, u32, u32, usize) = (0.999, 99, 99, 0, 0);
    for (soup_run, pad) in (1..=4u32).flat_map(|r| [0u32, 8, 16, 24].map(|p| (r, p))) {
        for k in 0..24 {
            let sth = 0.2 + 0.79 * k as f32 / 23.0;
            let mut bd: Vec<u32> = benign_bytes
                .iter()
                .zip(&benign_runs)
                .map(|(b, ps)| suffix::soup_disorder(b, ps, (sth, soup_run, pad)))
                .collect();
            bd.sort_unstable();
            // The lowest count no benign text reaches while at most one in 500 reaches one
            // less; at least MIN_DISORDER.
            let reach = |m: u32| bd.iter().filter(|&&d| d >= m).count();
            let mut min_d = MIN_DISORDER;
            while reach(min_d) > 0 || reach(min_d - 1) * 500 > bd.len().max(500) {
                min_d += 1;
            }
            let tp = attack_bytes
                .iter()
                .zip(&attack_runs)
                .filter(|(b, ps)| {
                    longest(ps, th) >= run
                        || suffix::soup_disorder(b, ps, (sth, soup_run, pad)) >= min_d
                })
                .count();
            // Ties: the higher window threshold (the narrower reading).
            if tp > soup.4 || (tp == soup.4 && sth > soup.0) {
                soup = (sth, soup_run, min_d, pad, tp);
            }
        }
    }
    println!(
        "suffix model: disordered run: p >= {:.3} for {} windows with >= {} marks, read {} bytes wider ({}/{} training suffix attacks with the first point)",
        soup.0,
        soup.1,
        soup.2,
        soup.3,
        soup.4,
        inp.attacks.len()
    );
    if std::env::var_os("IG_TRAIN_SHOW").is_some() {
        for (t, (b, ps)) in inp.benign.iter().zip(benign_bytes.iter().zip(&benign_runs)) {
            let d = suffix::soup_disorder(b, ps, (soup.0, soup.1, soup.3));
            if longest(ps, th) + 1 >= run || (d > 0 && d + 1 >= soup.2) {
                let head: String = t.chars().take(160).collect();
                println!(
                    "  near: run {} disorder {d} | {}",
                    longest(ps, th),
                    head.replace('\n', " ")
                );
            }
        }
    }
    suffix::encode(
        b as f32,
        (th, run),
        (hth, hrun),
        (soup.0, soup.1, soup.2, soup.3),
        &wf,
    )
}
