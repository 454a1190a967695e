//! The review server over real sockets: the webhook under parallel posts and with the server
//! killed (SIGKILL) mid-write, the page's Host/CSRF/origin checks, deciding by form and by
//! API, escaping of captured text, and proposals checked by a plugin's parser.

use guardrail_review::proposal::Thresholds;
use guardrail_review::server::{PluginConfig, ReviewServer, ServerOptions};
use guardrail_review::{Filter, Status, Store};
use serde_json::{json, Value};
use std::collections::BTreeSet;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

fn temp_dir(name: &str) -> PathBuf {
    let dir =
        std::env::temp_dir().join(format!("guardrail-review-it-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

struct Answer {
    status: u16,
    head: String,
    body: String,
}

impl Answer {
    fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or(Value::Null)
    }
    fn header(&self, name: &str) -> Option<String> {
        self.head.lines().find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.eq_ignore_ascii_case(name).then(|| v.trim().to_string())
        })
    }
}

/// One HTTP/1.1 request on its own connection, closed after the answer.
fn send(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> std::io::Result<Answer> {
    let mut s = TcpStream::connect(addr)?;
    s.set_read_timeout(Some(Duration::from_secs(20)))?;
    let mut head = format!(
        "{method} {path} HTTP/1.1\r\nconnection: close\r\ncontent-length: {}\r\n",
        body.len()
    );
    if !headers.iter().any(|(k, _)| k.eq_ignore_ascii_case("host")) {
        head.push_str(&format!("host: {addr}\r\n"));
    }
    for (k, v) in headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str("\r\n");
    s.write_all(head.as_bytes())?;
    s.write_all(body)?;
    let mut raw = Vec::new();
    s.read_to_end(&mut raw)?;
    let text = String::from_utf8_lossy(&raw).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .ok_or_else(|| std::io::Error::other(format!("no status line: {head:?}")))?;
    Ok(Answer {
        status,
        head: head.to_string(),
        body: body.to_string(),
    })
}

fn post_json(addr: SocketAddr, path: &str, body: &Value) -> std::io::Result<Answer> {
    send(
        addr,
        "POST",
        path,
        &[("content-type", "application/json")],
        body.to_string().as_bytes(),
    )
}

fn submission(request_id: &str, rule: &str, app: &str) -> Value {
    json!({
        "request_id": request_id, "plugin": "injection-guard", "verdict": "flag",
        "rules": [rule], "score": 0.82, "segments": ["messages[1].content"],
        "key_id": "k-1", "team": "payments", "app": app,
        "evidence": ["ab".repeat(32)]
    })
}

fn csrf_of(page: &str) -> String {
    let start = page.find("name=\"csrf\" content=\"").unwrap() + "name=\"csrf\" content=\"".len();
    page[start..].split('"').next().unwrap().to_string()
}

#[test]
fn parallel_posts_from_several_gateways_are_all_stored() {
    let dir = temp_dir("parallel");
    let db = dir.join("review.sqlite");
    let server = ReviewServer::start(
        Store::open(&db).unwrap(),
        "127.0.0.1:0".parse().unwrap(),
        ServerOptions::default(),
    )
    .unwrap();
    let addr = server.addr();
    let (gateways, each) = (8, 40);
    let handles: Vec<_> = (0..gateways)
        .map(|g| {
            std::thread::spawn(move || {
                (0..each)
                    .map(|i| {
                        let r = post_json(
                            addr,
                            "/review",
                            &submission(&format!("gw{g}-{i}"), "inj.override", "chat"),
                        )
                        .unwrap();
                        assert_eq!(r.status, 201, "{}", r.body);
                        r.json()["id"].as_u64().unwrap()
                    })
                    .collect::<Vec<u64>>()
            })
        })
        .collect();
    let ids: BTreeSet<u64> = handles
        .into_iter()
        .flat_map(|h| h.join().unwrap())
        .collect();
    assert_eq!(ids.len(), gateways * each, "every post got its own id");
    drop(server);
    let store = Store::open(&db).unwrap();
    let items = store
        .list(&Filter {
            limit: 10_000,
            ..Filter::default()
        })
        .unwrap();
    assert_eq!(items.len(), gateways * each);
    let stored: BTreeSet<u64> = items.iter().map(|i| i.id).collect();
    assert_eq!(stored, ids);
    assert_eq!(store.integrity_check().unwrap(), "ok");
}

/// The body limit is the server's, not the client's word: a body over 256 KiB is refused
/// (413) whether it is sent with a Content-Length or chunked, a Content-Length too large to
/// allocate is refused without reading it, and the server answers as before afterwards.
#[test]
fn oversized_bodies_are_refused_and_the_server_goes_on() {
    let dir = temp_dir("oversized");
    let server = ReviewServer::start(
        Store::open(dir.join("review.sqlite")).unwrap(),
        "127.0.0.1:0".parse().unwrap(),
        ServerOptions::default(),
    )
    .unwrap();
    let addr = server.addr();
    let mut big = submission("big", "inj.override", "chat");
    big["segments"] = json!(["x".repeat(300 * 1024)]);
    let r = post_json(addr, "/review", &big).unwrap();
    assert_eq!(r.status, 413, "{}", r.body);

    let body = big.to_string();
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    let head = format!(
        "POST /review HTTP/1.1\r\nhost: {addr}\r\nconnection: close\r\n\
         content-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n"
    );
    s.write_all(head.as_bytes()).unwrap();
    for chunk in body.as_bytes().chunks(16 * 1024) {
        if s.write_all(format!("{:x}\r\n", chunk.len()).as_bytes())
            .is_err()
            || s.write_all(chunk).is_err()
            || s.write_all(b"\r\n").is_err()
        {
            break; // the server answered and closed early
        }
    }
    let mut raw = Vec::new();
    let _ = s.read_to_end(&mut raw);
    let text = String::from_utf8_lossy(&raw);
    assert!(text.starts_with("HTTP/1.1 413"), "{text}");

    // A declared length of 1 TB, and no body: refused at once.
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    let head = format!(
        "POST /review HTTP/1.1\r\nhost: {addr}\r\nconnection: close\r\n\
         content-type: application/json\r\ncontent-length: 1000000000000\r\n\r\n"
    );
    s.write_all(head.as_bytes()).unwrap();
    let mut raw = Vec::new();
    let _ = s.read_to_end(&mut raw);
    let text = String::from_utf8_lossy(&raw);
    assert!(text.starts_with("HTTP/1.1 413"), "{text}");

    let r = post_json(
        addr,
        "/review",
        &submission("small", "inj.override", "chat"),
    )
    .unwrap();
    assert_eq!(r.status, 201, "{}", r.body);
}

/// Not a test on its own: the receiver process `a_killed_receiver_loses_no_acknowledged_item`
/// starts and kills (run with --ignored by that test only).
#[test]
#[ignore = "child process of a_killed_receiver_loses_no_acknowledged_item"]
fn receiver_child_process() {
    let db = std::env::var("REVIEW_CHILD_DB").expect("REVIEW_CHILD_DB");
    let port_file = std::env::var("REVIEW_CHILD_PORT_FILE").expect("REVIEW_CHILD_PORT_FILE");
    let server = ReviewServer::start(
        Store::open(db).unwrap(),
        "127.0.0.1:0".parse().unwrap(),
        ServerOptions::default(),
    )
    .unwrap();
    std::fs::write(format!("{port_file}.tmp"), server.addr().to_string()).unwrap();
    std::fs::rename(format!("{port_file}.tmp"), &port_file).unwrap();
    server.wait();
}

// The caller kills and waits for the child it gets back; a child that never starts is killed
// and waited for here.
#[allow(clippy::zombie_processes)]
fn start_child(db: &std::path::Path, dir: &std::path::Path) -> (Child, SocketAddr) {
    let port_file = dir.join("port");
    let _ = std::fs::remove_file(&port_file);
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args([
            "--ignored",
            "--exact",
            "receiver_child_process",
            "--nocapture",
            "--test-threads=1",
        ])
        .env("REVIEW_CHILD_DB", db)
        .env("REVIEW_CHILD_PORT_FILE", &port_file)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Ok(text) = std::fs::read_to_string(&port_file) {
            if let Ok(addr) = text.trim().parse() {
                return (child, addr);
            }
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("the receiver child did not start");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn a_killed_receiver_loses_no_acknowledged_item() {
    let dir = temp_dir("killed");
    let db = dir.join("review.sqlite");
    let (mut child, addr) = start_child(&db, &dir);
    // Four gateways post as fast as they can; the receiver is killed while they do.
    let acked = Arc::new(std::sync::Mutex::new(Vec::<(u64, String)>::new()));
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let posters: Vec<_> = (0..4)
        .map(|g| {
            let (acked, stop) = (acked.clone(), stop.clone());
            std::thread::spawn(move || {
                let mut i = 0;
                while !stop.load(std::sync::atomic::Ordering::SeqCst) && i < 5_000 {
                    let rid = format!("gw{g}-{i}");
                    i += 1;
                    match post_json(addr, "/review", &submission(&rid, "inj.override", "chat")) {
                        Ok(r) if r.status == 201 => {
                            acked
                                .lock()
                                .unwrap()
                                .push((r.json()["id"].as_u64().unwrap(), rid));
                        }
                        _ => {} // refused or cut off by the kill: not acknowledged
                    }
                }
            })
        })
        .collect();
    let deadline = Instant::now() + Duration::from_secs(60);
    while acked.lock().unwrap().len() < 200 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(5));
    }
    child.kill().unwrap(); // SIGKILL, mid-stream
    child.wait().unwrap();
    stop.store(true, std::sync::atomic::Ordering::SeqCst);
    for p in posters {
        p.join().unwrap();
    }
    let acked = acked.lock().unwrap().clone();
    assert!(
        acked.len() >= 200,
        "only {} posts were acknowledged before the kill",
        acked.len()
    );

    let store = Store::open(&db).unwrap();
    assert_eq!(store.integrity_check().unwrap(), "ok");
    for (id, rid) in &acked {
        let item = store
            .get(*id)
            .unwrap()
            .unwrap_or_else(|| panic!("acknowledged item {id} ({rid}) was lost"));
        assert_eq!(&item.submission.request_id, rid);
        assert_eq!(item.submission.rules, vec!["inj.override".to_string()]);
    }
    drop(store);
    // A restarted receiver goes on with the same store.
    let (mut child, addr) = start_child(&db, &dir);
    let r = post_json(
        addr,
        "/review",
        &submission("after-restart", "inj.override", "chat"),
    )
    .unwrap();
    assert_eq!(r.status, 201);
    child.kill().unwrap();
    child.wait().unwrap();
}

fn validator_refusing(field: &'static str) -> guardrail_review::Validator {
    Arc::new(move |text: &str| {
        let v: Value = serde_json::from_str(text).map_err(|e| e.to_string())?;
        match v.get(field) {
            Some(_) => Err(format!("unknown field {field}")),
            None => Ok(()),
        }
    })
}

#[test]
fn the_page_decides_only_with_its_token_and_host() {
    let dir = temp_dir("page");
    let config = dir.join("injection-guard.json");
    std::fs::write(&config, r#"{"actions": {"user": "review"}}"#).unwrap();
    let options = ServerOptions {
        capture_text: true,
        plugin_configs: vec![PluginConfig {
            plugin: "injection-guard".into(),
            path: config,
            validate: validator_refusing("app_allow_rules"),
        }],
        thresholds: Thresholds {
            min_decisions: 2,
            false_positive_rate: 0.5,
        },
        ..ServerOptions::default()
    };
    let server = ReviewServer::start(
        Store::open(dir.join("r.sqlite")).unwrap(),
        "127.0.0.1:0".parse().unwrap(),
        options,
    )
    .unwrap();
    let addr = server.addr();
    let mut hostile = submission("r-0", "inj.override", "chat");
    hostile["text"] = json!("</pre><script>alert(1)</script>");
    assert_eq!(post_json(addr, "/review", &hostile).unwrap().status, 201);
    for i in 1..=3 {
        assert_eq!(
            post_json(
                addr,
                "/review",
                &submission(&format!("r-{i}"), "inj.noisy", "batch")
            )
            .unwrap()
            .status,
            201
        );
    }
    // The webhook takes JSON only (a cross-site form cannot send it).
    let form = send(
        addr,
        "POST",
        "/review",
        &[("content-type", "text/plain")],
        hostile.to_string().as_bytes(),
    )
    .unwrap();
    assert_eq!(form.status, 415);

    // The page answers only to its own names (DNS rebinding).
    assert_eq!(
        send(addr, "GET", "/", &[("host", "evil.example")], b"")
            .unwrap()
            .status,
        403
    );
    let page = send(addr, "GET", "/", &[], b"").unwrap();
    assert_eq!(page.status, 200);
    assert!(page
        .header("content-security-policy")
        .unwrap()
        .contains("script-src 'self'"));
    assert_eq!(page.header("x-frame-options").as_deref(), Some("DENY"));
    let local = send(
        addr,
        "GET",
        "/",
        &[("host", &format!("localhost:{}", addr.port()))],
        b"",
    )
    .unwrap();
    assert_eq!(local.status, 200);
    let csrf = csrf_of(&page.body);
    assert_eq!(csrf.len(), 32);

    let detail = send(addr, "GET", "/items/1", &[], b"").unwrap();
    assert_eq!(detail.status, 200);
    assert!(
        !detail.body.contains("<script>alert"),
        "captured text reached the page unescaped"
    );
    assert!(detail
        .body
        .contains("&lt;/pre&gt;&lt;script&gt;alert(1)&lt;/script&gt;"));

    let form_ct = ("content-type", "application/x-www-form-urlencoded");
    let decide = |body: &str, extra: &[(&str, &str)]| {
        let mut h = vec![form_ct];
        h.extend_from_slice(extra);
        send(addr, "POST", "/items/1/decide", &h, body.as_bytes()).unwrap()
    };
    assert_eq!(decide("decision=attack", &[]).status, 403, "no token");
    assert_eq!(
        decide("decision=attack&csrf=00000000000000000000000000000000", &[]).status,
        403
    );
    let origin = format!("http://{addr}");
    let body = format!("decision=attack&note=seen+before&csrf={csrf}&back=status%3Dall");
    assert_eq!(
        decide(&body, &[("origin", "http://evil.example")]).status,
        403,
        "cross-origin"
    );
    let r = decide(&body, &[("origin", &origin)]);
    assert_eq!(r.status, 303, "{}", r.body);
    assert!(
        r.header("location").unwrap().starts_with("/items/"),
        "{:?}",
        r.header("location")
    );
    let item = send(addr, "GET", "/api/items/1", &[], b"").unwrap().json();
    assert_eq!(item["item"]["status"], "attack");
    assert_eq!(item["item"]["note"], "seen before");
    assert_eq!(item["history"].as_array().unwrap().len(), 1);

    // The JSON API: the token goes in a header.
    let api = |id: u64, token: &str, decision: &str| {
        send(
            addr,
            "POST",
            &format!("/api/items/{id}/decision"),
            &[
                ("content-type", "application/json"),
                ("x-csrf-token", token),
            ],
            json!({"decision": decision, "note": "benign batch job"})
                .to_string()
                .as_bytes(),
        )
        .unwrap()
    };
    assert_eq!(api(2, "wrong", "false_positive").status, 403);
    for id in 2..=4 {
        let r = api(id, &csrf, "false_positive");
        assert_eq!(r.status, 200, "{}", r.body);
        assert_eq!(r.json()["status"], "false_positive");
    }
    assert_eq!(api(99, &csrf, "attack").status, 404);
    assert_eq!(api(2, &csrf, "maybe").status, 400);

    let list = send(
        addr,
        "GET",
        "/api/items?status=false_positive&app=batch",
        &[],
        b"",
    )
    .unwrap()
    .json();
    assert_eq!(list.as_array().unwrap().len(), 3);
    assert_eq!(
        send(addr, "GET", "/api/items?status=bogus", &[], b"")
            .unwrap()
            .status,
        400
    );
    let open = send(addr, "GET", "/", &[], b"").unwrap();
    assert!(
        open.body.contains("0 item(s)"),
        "the default queue shows open items only"
    );

    let rules = send(addr, "GET", "/api/rules", &[], b"").unwrap().json();
    let noisy = rules
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["rule"] == "inj.noisy")
        .unwrap();
    assert_eq!(
        (
            noisy["false_positive"].as_u64(),
            noisy["false_positive_rate"].as_f64()
        ),
        (Some(3), Some(1.0))
    );
    let proposals = send(addr, "GET", "/api/proposals", &[], b"")
        .unwrap()
        .json();
    let diff = proposals[0]["diff"].as_str().unwrap();
    assert!(
        diff.contains("+  \"allow_rules\": [") && diff.contains("+    \"inj.noisy\""),
        "{diff}"
    );
    let page = send(addr, "GET", "/rules", &[], b"").unwrap();
    assert!(page.body.contains("switch off inj.noisy"), "{}", page.body);

    assert_eq!(
        send(addr, "GET", "/items/77", &[], b"").unwrap().status,
        404
    );
    assert_eq!(send(addr, "DELETE", "/", &[], b"").unwrap().status, 405);
    assert_eq!(
        send(addr, "GET", "/static/review.js", &[], b"")
            .unwrap()
            .status,
        200
    );
    drop(server);
    let store = Store::open(dir.join("r.sqlite")).unwrap();
    assert_eq!(
        store
            .list(&Filter {
                status: Some(Status::Attack),
                ..Filter::default()
            })
            .unwrap()
            .len(),
        1
    );
}

#[test]
fn retention_purges_old_items_at_start() {
    let dir = temp_dir("retention");
    let db = dir.join("r.sqlite");
    let store = Store::open(&db).unwrap();
    let sub: guardrail_review::Submission =
        serde_json::from_value(submission("old", "inj.override", "chat")).unwrap();
    store.add_at(&sub, 1_000).unwrap();
    store.add(&sub).unwrap();
    let options = ServerOptions {
        retain_days: Some(30),
        ..ServerOptions::default()
    };
    let server = ReviewServer::start(store, "127.0.0.1:0".parse().unwrap(), options).unwrap();
    let items = send(server.addr(), "GET", "/api/items?status=all", &[], b"")
        .unwrap()
        .json();
    assert_eq!(items.as_array().unwrap().len(), 1);
}
