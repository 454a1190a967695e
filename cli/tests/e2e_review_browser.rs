//! The review page as a security reviewer uses it, in headless Chromium: the queue is fed by
//! real flagged requests through Envoy (key-auth -> injection-guard `review` ->
//! template-detector, `guardrail_cli::cmd::demo::review`), then the reviewer filters by rule, team, app,
//! status and time, decides with the keyboard on the list (j/k, a) and on the detail view
//! (enter, f, with a note), and reads the per-rule summary and the proposed config diff, which
//! injection-guard's own parser accepts. Screenshots of the list, detail and rules views go to
//! target/review-screenshots/ (and to docs/ with GUARDRAIL_UPDATE_SCREENSHOTS=1).
//! Needs Envoy, dist/*.wasm, chromium and chromedriver: run `./build.sh test`.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use guardrail_cli::cmd::demo::review::{self, Flagged, LEAKS, OVERRIDES, TERMS};
use guardrail_harness::envoy::paths;
use guardrail_harness::http_client;
use guardrail_harness::webdriver::Browser;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::net::SocketAddr;
use std::path::PathBuf;

fn api(addr: SocketAddr, path: &str) -> Value {
    let r = http_client::get(addr, path, &[("host", &addr.to_string())]).unwrap();
    assert_eq!(r.status, 200, "{path}: {}", r.text());
    r.json().unwrap()
}

fn screenshot_dirs() -> Vec<PathBuf> {
    let root = paths::repo_root();
    let mut dirs = vec![root.join("target/review-screenshots")];
    if std::env::var_os("GUARDRAIL_UPDATE_SCREENSHOTS").is_some() {
        dirs.push(root.join("docs"));
    }
    for d in &dirs {
        std::fs::create_dir_all(d).unwrap();
    }
    dirs
}

fn shoot(browser: &Browser, name: &str) {
    for dir in screenshot_dirs() {
        browser.screenshot(&dir.join(name)).unwrap();
    }
}

/// Rules of the items of `requests`, by request id (every request must have been flagged).
fn rules_of(items: &BTreeMap<String, Value>, requests: &[Flagged]) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for f in requests {
        let item = items
            .get(f.request_id)
            .unwrap_or_else(|| panic!("{} was not flagged: {:?}", f.request_id, f.text));
        for r in item["submission"]["rules"].as_array().unwrap() {
            out.insert(r.as_str().unwrap().to_string());
        }
    }
    out
}

#[test]
fn a_reviewer_filters_decides_and_gets_a_config_proposal_in_the_browser() {
    let dist = paths::dist_dir();
    let dir = std::env::temp_dir().join(format!("guardrail-review-browser-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let stack = review::start(&paths::repo_root(), &dir, ([127, 0, 0, 1], 0).into(), &dist)
        .unwrap_or_else(|e| panic!("review stack did not start (run ./build.sh test): {e:#}"));
    let total = stack.send_all().unwrap();
    let addr = stack.server.addr();
    let base = format!("http://{addr}");

    // What the plugins sent, read back through the API.
    let listed = api(addr, "/api/items?status=all&limit=1000");
    let items: BTreeMap<String, Value> = listed
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            (
                i["submission"]["request_id"].as_str().unwrap().to_string(),
                i.clone(),
            )
        })
        .collect();
    assert_eq!(
        total,
        OVERRIDES.len() + LEAKS.len() + TERMS.len(),
        "{items:#?}"
    );
    let overrides = rules_of(&items, OVERRIDES);
    let leaks = rules_of(&items, LEAKS);
    rules_of(&items, TERMS);
    // Items per rule: the test decides on the rules most items share.
    let items_with = |rule: &str| {
        items
            .values()
            .filter(|i| {
                i["submission"]["rules"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|r| r == rule)
            })
            .count()
    };
    let mut only_overrides: Vec<&String> = overrides.difference(&leaks).collect();
    let mut only_leaks: Vec<&String> = leaks.difference(&overrides).collect();
    only_overrides.sort_by_key(|r| std::cmp::Reverse(items_with(r)));
    only_leaks.sort_by_key(|r| std::cmp::Reverse(items_with(r)));
    assert!(
        !only_overrides.is_empty() && !only_leaks.is_empty(),
        "the two sets of demo prompts must fire different rules: {overrides:?} vs {leaks:?}"
    );
    // Both plugins send the identity key-auth verified (key id, team, app), never the text.
    for f in OVERRIDES.iter().chain(LEAKS).chain(TERMS) {
        let s = &items[f.request_id]["submission"];
        let plugin = match TERMS.iter().any(|t| t.request_id == f.request_id) {
            true => "template-detector",
            false => "injection-guard",
        };
        assert_eq!(s["plugin"], plugin, "{s}");
        let (key, app) = match f.key {
            review::KEY_BETA => ("demo-beta", "demo-batch"),
            _ => ("demo-alpha", "demo-chat"),
        };
        assert_eq!(
            (&s["key_id"], &s["team"], &s["app"]),
            (&key.into(), &"demo".into(), &app.into()),
            "key-auth's identity reached the item: {s}"
        );
        assert!(
            s.get("text").is_none(),
            "no prompt text without capture: {s}"
        );
    }

    let browser = Browser::start(1400, 900).unwrap();
    let rows = "#items tbody tr";
    let count_is = |css: &'static str, n: usize| {
        move |b: &Browser| -> anyhow::Result<bool> { Ok(b.count(css)? == n) }
    };

    // The whole queue.
    browser.goto(&format!("{base}/?status=all")).unwrap();
    browser
        .wait_for("the full queue", count_is(rows, total))
        .unwrap();

    // Filter by a rule only the system-prompt leaks fire (the menu applies on change).
    let leak_rule = only_leaks[0];
    browser
        .find(&format!("#f-rule option[value=\"{leak_rule}\"]"))
        .unwrap()
        .click()
        .unwrap();
    let with_rule = items_with(leak_rule);
    assert!(with_rule >= 2, "leak items of {leak_rule}: {with_rule}");
    browser
        .wait_for("the rule filter", count_is(rows, with_rule))
        .unwrap();
    assert!(browser.url().unwrap().contains("rule="));

    // Decide every leak as an attack from the list: `a` decides the selected row and selects
    // the next one.
    for done in 1..=with_rule {
        browser.keys("a").unwrap();
        browser
            .wait_for("the attack decision", |b| {
                Ok(b.count(".status.attack")? == done)
            })
            .unwrap();
    }
    // j/k move the selection.
    browser.keys("kkj").unwrap();
    let selected = browser.count("#items tbody tr.sel").unwrap();
    assert_eq!(selected, 1);

    // Filter by team (every demo key is team demo) and by app.
    browser.goto(&format!("{base}/?status=all")).unwrap();
    browser
        .wait_for("the full queue", count_is(rows, total))
        .unwrap();
    browser
        .find("#f-team option[value=\"demo\"]")
        .unwrap()
        .click()
        .unwrap();
    browser
        .wait_for("the team filter", count_is(rows, total))
        .unwrap();
    let table = browser.find("#items").unwrap().text().unwrap();
    assert!(
        table.contains("demo-alpha / demo / demo-chat")
            && table.contains("demo-beta / demo / demo-batch"),
        "{table}"
    );
    browser
        .find("#f-app option[value=\"demo-batch\"]")
        .unwrap()
        .click()
        .unwrap();
    browser
        .wait_for("the app filter", count_is(rows, 1))
        .unwrap();

    // Open items of an override rule: enter opens the first, f decides it a false positive
    // (with a note on the first) and moves on to the next.
    let override_rule = only_overrides[0];
    browser
        .goto(&format!("{base}/?status=open&rule={override_rule}"))
        .unwrap();
    let open_overrides = browser.count(rows).unwrap();
    assert!(
        open_overrides >= 2,
        "override items of {override_rule}: {open_overrides}"
    );
    browser.keys("\u{E007}").unwrap(); // Enter
    browser
        .wait_for("the detail view", |b| Ok(b.url()?.contains("/items/")))
        .unwrap();
    let detail = browser.find("main").unwrap().text().unwrap();
    assert!(
        detail.contains(override_rule.as_str()) && detail.contains("No prompt text stored"),
        "{detail}"
    );
    shoot(&browser, "review-detail.png");
    browser
        .find("#note")
        .unwrap()
        .type_text("internal red-team exercise, not an attack")
        .unwrap();
    browser.script("document.activeElement.blur()").unwrap();
    for _ in 0..open_overrides {
        let before = browser.url().unwrap();
        browser.keys("f").unwrap();
        browser
            .wait_for("the false-positive decision", |b| Ok(b.url()? != before))
            .unwrap();
    }
    let fp = api(addr, "/api/items?status=false_positive");
    assert_eq!(fp.as_array().unwrap().len(), open_overrides);
    let noted = fp
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| i["note"] == "internal red-team exercise, not an attack")
        .count();
    assert_eq!(noted, 1, "{fp:#}");

    // Status and time filters.
    browser
        .goto(&format!("{base}/?status=false_positive"))
        .unwrap();
    browser
        .wait_for("the status filter", count_is(rows, open_overrides))
        .unwrap();
    browser.goto(&format!("{base}/?status=all")).unwrap();
    browser
        .find("#f-hours option[value=\"1\"]")
        .unwrap()
        .click()
        .unwrap();
    browser
        .wait_for("the time filter", |b| {
            Ok(b.url()?.contains("hours=1") && b.count(rows)? == total)
        })
        .unwrap();
    browser
        .goto(&format!("{base}/?status=all&until=1"))
        .unwrap();
    browser
        .wait_for("nothing before 1970", count_is(rows, 0))
        .unwrap();
    browser.goto(&format!("{base}/?status=all")).unwrap();
    browser
        .wait_for("the full queue", count_is(rows, total))
        .unwrap();
    shoot(&browser, "review-list.png");

    // The summary per rule and the proposal.
    browser.goto(&format!("{base}/rules")).unwrap();
    let summary = browser.find("#rules").unwrap().text().unwrap();
    assert!(
        summary.contains(override_rule.as_str()) && summary.contains("100%"),
        "{summary}"
    );
    let diff = browser.find("#diff").unwrap().text().unwrap();
    assert!(diff.contains("\"allow_rules\""), "{diff}");
    assert!(
        diff.contains(&format!("+    \"{override_rule}\"")),
        "{diff}"
    );
    assert!(
        diff.contains(&format!("\"{leak_rule}\": \"block\"")),
        "{diff}"
    );
    shoot(&browser, "review-rules.png");

    // What the page proposes is what the plugin accepts, and nothing was applied.
    let proposals = api(addr, "/api/proposals");
    let p = &proposals[0];
    assert_eq!(p["plugin"], "injection-guard");
    injection_guard::config::Config::from_json(p["config_after"].as_str().unwrap().as_bytes())
        .unwrap();
    let running = std::fs::read_to_string(&stack.injection_guard_config).unwrap();
    assert!(
        !running.contains("allow_rules"),
        "the config was changed: {running}"
    );
}
