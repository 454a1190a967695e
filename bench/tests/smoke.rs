//! Smoke test of `harness bench --quick`: one short run through the real CLI (real Envoy, the
//! bench upstream, the wasmtime host) whose report must be well-formed: the table, then the
//! one-line JSON summary as the last line, and the same report written to `--out`. It checks
//! shapes and that requests passed, never how fast anything was: no timed assertions.
//! Needs Envoy and dist/*.wasm: run `./build.sh test`.

use std::process::Command;

use serde_json::Value;

#[test]
fn quick_bench_prints_a_table_and_a_json_summary_last() {
    let out = std::env::temp_dir().join(format!("bench-smoke-{}.json", std::process::id()));
    let run = Command::new(env!("CARGO_BIN_EXE_guardrail-bench"))
        .args([
            "--quick",
            "--configs",
            "N,chain",
            "--rss-requests",
            "300",
            "--out",
        ])
        .arg(&out)
        .output()
        .expect("run guardrail-bench");
    let stdout = String::from_utf8_lossy(&run.stdout);
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(
        run.status.success(),
        "harness bench --quick failed (run ./build.sh test to get Envoy and dist/*.wasm):\n{stderr}\n{stdout}"
    );

    // The table comes first, the JSON summary is the very last line.
    assert!(stdout.contains("config"), "no table:\n{stdout}");
    assert!(
        stdout.contains("targets (issue 8)"),
        "no targets:\n{stdout}"
    );
    let last = stdout.lines().last().expect("output");
    let summary: Value = serde_json::from_str(last).expect("last line is JSON");
    for key in [
        "chain_rps_ratio",
        "auth_model_rps_ratio",
        "noop_rps_ratio",
        "added_p50_us",
        "added_p99_us",
        "rss_growth_mb",
        "sizes",
    ] {
        assert!(summary.get(key).is_some(), "summary lacks {key}: {last}");
    }
    assert_eq!(summary["mode"], "quick");
    // The no-op filter passes requests: its ratio is a number, not a failure.
    assert!(summary["noop_rps_ratio"].is_number(), "{last}");
    assert!(summary["sizes"]["hostcalls-test"].is_number(), "{last}");

    // The file holds the whole report with the same summary.
    let report: Value =
        serde_json::from_slice(&std::fs::read(&out).expect("report file")).expect("report JSON");
    assert_eq!(report["summary"], summary);
    let configs = report["configs"].as_array().expect("configs");
    assert_eq!(configs[0]["key"], "A");
    assert!(configs.iter().any(|c| c["key"] == "N"));
    for c in configs {
        let key = c["key"].as_str().unwrap_or("?");
        // Every configuration was measured; A and N must pass the request (200).
        assert!(c["rps"].as_f64().is_some_and(|r| r > 0.0), "{key}: {c}");
        if key == "A" || key == "N" {
            assert_eq!(c["probe_status"], 200, "{key}: {c}");
            assert_eq!(c["ok"], true, "{key}: {c}");
        }
        assert!(c["sizes"]["1m"].is_object(), "{key}: {c}");
    }
    // Every detector's scanner ran in wasm and natively (tools/scan-bench, built by
    // ./build.sh test), with the same findings in both.
    let rows = report["scan_throughput"]["rows"]
        .as_array()
        .unwrap_or_else(|| panic!("no scan throughput: {}", report["notes"]));
    for detector in ["pii-redact:all", "pii-redact:SECRET", "injection-guard"] {
        for text in ["prose", "pii-dev"] {
            let row = rows
                .iter()
                .find(|r| r["detector"] == detector && r["text"] == text)
                .unwrap_or_else(|| panic!("no {detector} on {text}: {rows:?}"));
            for k in ["wasm_mb_s", "native_mb_s"] {
                assert!(row[k].as_f64().is_some_and(|x| x > 0.0), "{row}");
            }
        }
    }
    let notes = report["notes"].as_array().expect("notes");
    assert!(
        !notes
            .iter()
            .any(|n| n.as_str().is_some_and(|n| n.starts_with("scan throughput"))),
        "{notes:?}"
    );
    assert!(
        report["rss"]["requests"].as_u64().is_some_and(|n| n > 0),
        "{}",
        report["rss"]
    );
    let adv = report["adversarial"]["bodies"]
        .as_array()
        .expect("adversarial bodies");
    assert!(adv.len() >= 5, "{}", report["adversarial"]);
    assert_eq!(adv[0]["name"], "benign");
    let fuel = report["fuel"]["request_4k"].as_array().expect("fuel");
    let noop = fuel.iter().find(|f| f["config"] == "N").expect("fuel of N");
    assert!(noop["total"].as_u64().is_some_and(|f| f > 0), "{noop}");
    let targets = report["targets"].as_array().expect("targets");
    assert!(targets.len() >= 6);
    for t in targets {
        assert!(
            ["met", "missed", "not measured"].contains(&t["status"].as_str().unwrap_or("")),
            "{t}"
        );
    }
    let _ = std::fs::remove_file(&out);
}
