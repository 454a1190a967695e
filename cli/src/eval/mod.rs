//! `harness eval`: runs one built plugin over a labelled JSON Lines file, each line through the
//! real `.wasm` as one request, and scores what the plugin did (see `injection` and `pii`).

pub mod diff;
pub mod injection;
pub mod pii;
pub mod requests;

use std::path::Path;

use anyhow::{bail, Context, Result};
use serde::Deserialize;

use guardrail_harness::host::{Exchange, Host, HostProfile};

/// One line of an eval file: injection lines carry `label`, PII lines carry `entities`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Line {
    text: String,
    #[serde(default)]
    label: Option<String>,
    #[serde(default)]
    role: Option<String>,
    #[serde(default)]
    source: Option<String>,
    #[serde(default)]
    entities: Option<Vec<LabelledEntity>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LabelledEntity {
    #[serde(rename = "type")]
    kind: String,
    start: usize,
    end: usize,
}

/// Which misses to list after the table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Show {
    None,
    FalsePositives,
    FalseNegatives,
}

pub struct Options<'a> {
    pub plugin: &'a Path,
    pub data: &'a Path,
    pub config: Option<Vec<u8>>,
    pub show: Show,
}

/// The verdict a request got, read from what the plugin did: a local reply, or a verdict log
/// line (`{"guardrail":..., "verdict": ...}`) naming flag/review/block.
struct RequestResult {
    local_status: Option<u16>,
    flagged: bool,
    forwarded_body: Vec<u8>,
    fuel: u64,
}

fn run_request(host: &Host, body: &[u8]) -> Result<RequestResult> {
    let headers = requests::chat_headers(body.len());
    let header_refs: Vec<(&str, &str)> = headers
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let out = host.exchange(&Exchange {
        request_headers: &header_refs,
        request_body: body,
        ..Exchange::default()
    });
    if let Some(trap) = &out.trap {
        bail!("the plugin trapped: {trap}");
    }
    Ok(RequestResult {
        local_status: out
            .local_reply
            .as_ref()
            .map(|r| u16::try_from(r.status).unwrap_or(u16::MAX)),
        flagged: out.logs.iter().any(|(_, l)| is_positive_verdict_line(l)),
        forwarded_body: out.request_body_out,
        fuel: out.total_fuel,
    })
}

/// A verdict log line that says the request was flagged, sent to review or blocked.
fn is_positive_verdict_line(line: &str) -> bool {
    let Some(start) = line.find('{') else {
        return false;
    };
    let Ok(v) = serde_json::from_str::<serde_json::Value>(&line[start..]) else {
        return false;
    };
    matches!(
        v.get("verdict").and_then(|x| x.as_str()),
        Some("flag" | "review" | "block")
    )
}

/// The value at the middle (or any percentile) of a list of fuel figures.
pub fn percentile(values: &[u64], pct: usize) -> u64 {
    if values.is_empty() {
        return 0;
    }
    let mut v = values.to_vec();
    v.sort_unstable();
    let idx = ((v.len() - 1) * pct.min(100)) / 100;
    v.get(idx).copied().unwrap_or(0)
}

/// Runs the eval; prints the table, the misses asked for, and as the last line the JSON summary.
pub fn run(opts: &Options) -> Result<()> {
    let mut builder = Host::builder(opts.plugin).profile(HostProfile::Envoy);
    if let Some(cfg) = &opts.config {
        builder = builder.plugin_config(cfg);
    }
    let host = builder
        .build()
        .with_context(|| format!("loading {}", opts.plugin.display()))?;
    let text = std::fs::read_to_string(opts.data)
        .with_context(|| format!("reading {}", opts.data.display()))?;
    let mut inj = injection::Report::default();
    let mut pii_report = pii::Report::default();
    let (mut inj_lines, mut pii_lines) = (0usize, 0usize);
    for (idx, raw) in text.lines().enumerate() {
        let line_no = idx + 1;
        if raw.trim().is_empty() {
            continue;
        }
        let line: Line = serde_json::from_str(raw)
            .with_context(|| format!("{}:{line_no}", opts.data.display()))?;
        let role = line.role.as_deref().unwrap_or("user");
        let body = requests::chat_request(&line.text, role);
        let r = run_request(&host, &body)?;
        if let Some(ents) = &line.entities {
            pii_lines += 1;
            let entities: Vec<pii::Entity> = ents
                .iter()
                .map(|e| pii::Entity {
                    kind: e.kind.clone(),
                    start: e.start,
                    end: e.end,
                })
                .collect();
            match r.local_status {
                Some(403) => pii_report.add_blocked(&entities, r.fuel),
                Some(_) => pii_report.add_error(line_no, &entities, r.fuel),
                None => {
                    let forwarded =
                        requests::last_message_text(&r.forwarded_body).with_context(|| {
                            format!("line {line_no}: the forwarded body is not a chat request")
                        })?;
                    let changes = diff::changed_regions(&line.text, &forwarded);
                    pii_report.add_forwarded(line_no, &line.text, &entities, &changes, r.fuel);
                }
            }
        } else {
            inj_lines += 1;
            let attack = match line.label.as_deref() {
                Some("injection") => true,
                Some("benign") => false,
                other => bail!("line {line_no}: label must be injection or benign, got {other:?}"),
            };
            let outcome = match r.local_status {
                Some(403) => injection::Outcome::Positive,
                Some(status) => injection::Outcome::Error(status),
                None if r.flagged => injection::Outcome::Positive,
                None => injection::Outcome::Negative,
            };
            inj.add(
                line_no,
                line.source.as_deref().unwrap_or("-"),
                attack,
                outcome,
                r.fuel,
            );
        }
    }
    if inj_lines > 0 && pii_lines > 0 {
        bail!(
            "{} mixes injection and PII lines; eval one kind per file",
            opts.data.display()
        );
    }
    if pii_lines > 0 {
        print!("{}", pii_report.table());
        if opts.show != Show::None {
            let list = if opts.show == Show::FalseNegatives {
                &pii_report.misses
            } else {
                &pii_report.false_positive_lines
            };
            for (n, kind) in list {
                println!("line {n}: {kind}");
            }
        }
        println!("{}", pii_report.summary());
    } else {
        print!("{}", inj.table());
        let list = match opts.show {
            Show::None => &Vec::new(),
            Show::FalsePositives => &inj.false_positives,
            Show::FalseNegatives => &inj.false_negatives,
        };
        for (n, src) in list {
            println!("line {n}: {src}");
        }
        println!("{}", inj.summary());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verdict_lines() {
        assert!(is_positive_verdict_line(
            r#"{"guardrail":"x","verdict":"flag"}"#
        ));
        assert!(is_positive_verdict_line(
            r#"wasm log: {"guardrail":"x","verdict":"block"}"#
        ));
        assert!(!is_positive_verdict_line(
            r#"{"guardrail":"x","verdict":"allow"}"#
        ));
        assert!(!is_positive_verdict_line("no json here"));
    }

    #[test]
    fn percentiles() {
        assert_eq!(percentile(&[], 50), 0);
        assert_eq!(percentile(&[5, 1, 3], 50), 3);
        assert_eq!(percentile(&[1, 2, 3, 4], 100), 4);
    }
}
