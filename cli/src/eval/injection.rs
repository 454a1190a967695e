//! Scoring for labelled injection lines: a block or a flag is a positive; a table per
//! `source` and a one-line JSON summary.

use std::collections::BTreeMap;

use serde_json::json;

use super::percentile;

/// What the plugin did with one line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Positive,
    Negative,
    /// The plugin refused the request as malformed (a 400/413/415): neither verdict, reported.
    Error(u16),
}

#[derive(Debug, Default, Clone, Copy)]
pub struct Counts {
    pub tp: u64,
    pub fp: u64,
    pub tn: u64,
    pub fn_: u64,
    pub errors: u64,
}

impl Counts {
    fn add(&mut self, attack: bool, outcome: Outcome) {
        match (attack, outcome) {
            (_, Outcome::Error(_)) => self.errors += 1,
            (true, Outcome::Positive) => self.tp += 1,
            (true, Outcome::Negative) => self.fn_ += 1,
            (false, Outcome::Positive) => self.fp += 1,
            (false, Outcome::Negative) => self.tn += 1,
        }
    }
    pub fn tpr(&self) -> f64 {
        ratio(self.tp, self.tp + self.fn_)
    }
    pub fn fpr(&self) -> f64 {
        ratio(self.fp, self.fp + self.tn)
    }
}

fn ratio(a: u64, b: u64) -> f64 {
    if b == 0 {
        0.0
    } else {
        a as f64 / b as f64
    }
}

/// Accumulates lines; `miss` keeps the (line number, label, source) of misses for `--show`.
#[derive(Default)]
pub struct Report {
    pub total: Counts,
    pub by_source: BTreeMap<String, Counts>,
    pub fuel: Vec<u64>,
    pub false_positives: Vec<(usize, String)>,
    pub false_negatives: Vec<(usize, String)>,
}

impl Report {
    pub fn add(&mut self, line_no: usize, source: &str, attack: bool, outcome: Outcome, fuel: u64) {
        self.total.add(attack, outcome);
        self.by_source
            .entry(source.to_string())
            .or_default()
            .add(attack, outcome);
        self.fuel.push(fuel);
        match (attack, outcome) {
            (false, Outcome::Positive) => self.false_positives.push((line_no, source.to_string())),
            (true, Outcome::Negative) => self.false_negatives.push((line_no, source.to_string())),
            _ => {}
        }
    }

    pub fn table(&self) -> String {
        let mut out = format!(
            "{:<40} {:>6} {:>6} {:>6} {:>6} {:>6} {:>7} {:>7}\n",
            "source", "tp", "fn", "tn", "fp", "err", "tpr", "fpr"
        );
        let all = "ALL".to_string();
        let rows = self
            .by_source
            .iter()
            .chain(std::iter::once((&all, &self.total)));
        for (src, c) in rows {
            out.push_str(&format!(
                "{:<40} {:>6} {:>6} {:>6} {:>6} {:>6} {:>7.3} {:>7.3}\n",
                src,
                c.tp,
                c.fn_,
                c.tn,
                c.fp,
                c.errors,
                c.tpr(),
                c.fpr()
            ));
        }
        out
    }

    pub fn summary(&self) -> serde_json::Value {
        let c = &self.total;
        json!({
            "n": c.tp + c.fp + c.tn + c.fn_ + c.errors,
            "tp": c.tp, "fp": c.fp, "tn": c.tn, "fn": c.fn_, "errors": c.errors,
            "tpr": round3(c.tpr()), "fpr": round3(c.fpr()),
            "fuel_p50": percentile(&self.fuel, 50),
        })
    }
}

pub fn round3(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_and_rates() {
        let mut r = Report::default();
        r.add(1, "a", true, Outcome::Positive, 10);
        r.add(2, "a", true, Outcome::Negative, 20);
        r.add(3, "b", false, Outcome::Negative, 30);
        r.add(4, "b", false, Outcome::Positive, 40);
        r.add(5, "b", false, Outcome::Error(400), 50);
        let s = r.summary();
        assert_eq!(s["tp"], 1);
        assert_eq!(s["fn"], 1);
        assert_eq!(s["tn"], 1);
        assert_eq!(s["fp"], 1);
        assert_eq!(s["errors"], 1);
        assert_eq!(s["n"], 5);
        assert_eq!(s["tpr"], 0.5);
        assert_eq!(s["fpr"], 0.5);
        assert_eq!(s["fuel_p50"], 30);
        assert_eq!(r.false_positives, vec![(4, "b".to_string())]);
        assert!(r.table().contains("ALL"));
    }
}
