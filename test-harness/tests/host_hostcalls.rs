//! The wasmtime proxy-wasm host (`guardrail_harness::host`) on the real hostcalls test plugin
//! (`dist/hostcalls-test.wasm`, run ./build.sh first): pass-through, bodies split into chunks
//! of every size, local replies, body rewrites, refused configs, shared data across hosts,
//! http calls, ticks, metrics, traps, the Kong/APISIX refusals, fuel, and stubbed imports
//! (hand-made modules).

use guardrail_harness::host::{
    dist_path, Action, Exchange, Host, HostError, HostProfile, LogLevel, SharedData,
};
use hostcalls_test_plugin::config::PriceCall;

const REQ: &[(&str, &str)] = &[
    (":method", "POST"),
    (":path", "/v1/chat/completions"),
    (":authority", "gw"),
    ("content-type", "application/json"),
];
const RESP: &[(&str, &str)] = &[(":status", "200"), ("content-type", "application/json")];
const BODY: &[u8] = br#"{"messages":[{"content":"my secret plan"}]}"#;

fn host(config: &str) -> Host {
    host_as(HostProfile::Envoy, config)
}

fn host_as(profile: HostProfile, config: &str) -> Host {
    Host::builder(dist_path("hostcalls-test"))
        .profile(profile)
        .plugin_config(config)
        .build()
        .unwrap_or_else(|e| panic!("{config}: {e}"))
}

fn logged(host: &Host, needle: &str) -> bool {
    host.logs().iter().any(|(_, l)| l.contains(needle))
}

fn header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

fn exchange(chunk: usize) -> Exchange<'static> {
    Exchange {
        request_headers: REQ,
        request_body: BODY,
        chunk,
        response_headers: RESP,
        response_body: b"the answer: secret",
        ..Default::default()
    }
}

#[test]
fn pass_through_is_intact_for_every_profile_and_chunk_size() {
    for profile in [HostProfile::Envoy, HostProfile::Kong, HostProfile::Apisix] {
        for config in ["", "{}", r#"{"mode":"pass"}"#] {
            let h = host_as(profile, config);
            for chunk in 0..=BODY.len() {
                let out = h.exchange(&exchange(chunk));
                assert!(out.passed(), "{profile:?} {config} chunk {chunk}: {out:?}");
                assert_eq!(out.request_body_out, BODY);
                assert_eq!(out.request_headers_out.len(), REQ.len());
                assert_eq!(out.response_body_out, b"the answer: secret");
                assert_eq!(header(&out.response_headers_out, ":status"), Some("200"));
                let body_calls = out
                    .actions
                    .iter()
                    .filter(|(n, _)| n == "request_body")
                    .count();
                let want = if chunk == 0 {
                    1
                } else {
                    BODY.len().div_ceil(chunk)
                };
                assert_eq!(body_calls, want, "chunk {chunk}");
            }
        }
    }
}

#[test]
fn body_callbacks_see_all_buffered_bytes_and_end_of_stream_once() {
    let h = host(r#"{"mode":"log"}"#);
    for chunk in 1..=BODY.len() {
        h.clear_logs();
        let out = h.exchange(&exchange(chunk));
        assert!(out.passed());
        let sizes: Vec<String> = h
            .logs()
            .iter()
            .filter_map(|(_, l)| l.strip_prefix("hostcalls-test: request_body "))
            .map(String::from)
            .collect();
        // Continue releases each chunk, so every callback sees just its own chunk.
        let want: Vec<String> = BODY
            .chunks(chunk)
            .enumerate()
            .map(|(i, c)| {
                format!(
                    "size={} eos={}",
                    c.len(),
                    i == BODY.len().div_ceil(chunk) - 1
                )
            })
            .collect();
        assert_eq!(sizes, want, "chunk {chunk}");
    }
}

#[test]
fn rewrite_sees_the_whole_body_at_every_chunk_size() {
    let h = host(r#"{"mode":"rewrite_body","needle":"secret","replacement":"[redacted]"}"#);
    for chunk in 0..=BODY.len() {
        let out = h.exchange(&exchange(chunk));
        assert_eq!(
            String::from_utf8_lossy(&out.request_body_out),
            r#"{"messages":[{"content":"my [redacted] plan"}]}"#,
            "chunk {chunk}"
        );
        assert_eq!(
            out.response_body_out, b"the answer: [redacted]",
            "chunk {chunk}"
        );
        assert_eq!(header(&out.request_headers_out, "content-length"), None);
        // Pause on every chunk but the last, Continue at the end.
        let body_actions: Vec<Action> = out
            .actions
            .iter()
            .filter(|(n, _)| n == "request_body")
            .map(|(_, a)| *a)
            .collect();
        assert_eq!(body_actions.last(), Some(&Action::Continue));
        assert!(body_actions[..body_actions.len() - 1]
            .iter()
            .all(|a| *a == Action::Pause));
    }
}

#[test]
fn rewrite_at_trailers_when_the_body_has_no_end_of_stream() {
    let h = host(r#"{"mode":"rewrite_body","needle":"plan","replacement":"PLAN"}"#);
    for chunk in [1, 5, 0] {
        let out = h.exchange(&Exchange {
            trailers: &[("x-checksum", "1")],
            ..exchange(chunk)
        });
        assert!(
            String::from_utf8_lossy(&out.request_body_out).contains("my secret PLAN"),
            "chunk {chunk}: {out:?}"
        );
        assert_eq!(
            out.actions.last().map(|(n, _)| n.as_str()),
            Some("response_body")
        );
    }
}

#[test]
fn local_reply_from_headers_ends_the_stream() {
    let h = host(r#"{"mode":"block","status":451,"body":"nope"}"#);
    let out = h.exchange(&exchange(3));
    let reply = out.local_reply.expect("local reply");
    assert_eq!(reply.status, 451);
    assert_eq!(reply.body, b"nope");
    assert_eq!(header(&reply.headers, "x-hostcalls"), Some("blocked"));
    assert_eq!(
        out.actions,
        vec![("request_headers".to_string(), Action::Pause)]
    );
    assert!(out.request_headers_out.is_empty() && out.request_body_out.is_empty());
    assert!(!out.responded && !out.reset);

    // Callbacks after the reply are not run.
    let mut s = h.http();
    s.request_headers(REQ, false);
    assert_eq!(s.request_body(b"x", true), Action::Ended);
    assert_eq!(s.response_headers(RESP, true), Action::Ended);
}

#[test]
fn block_on_body_content_at_every_chunk_size() {
    let h = host(r#"{"mode":"block","needle":"secret"}"#);
    for chunk in 0..=BODY.len() {
        let out = h.exchange(&exchange(chunk));
        assert_eq!(
            out.local_reply.map(|r| r.status),
            Some(403),
            "chunk {chunk}"
        );
        assert!(out.request_body_out.is_empty(), "no byte went upstream");
        let clean = h.exchange(&Exchange {
            request_body: b"nothing to see here",
            response_body: b"all clear",
            ..exchange(chunk)
        });
        assert!(clean.local_reply.is_none());
        assert_eq!(clean.request_body_out, b"nothing to see here");
        assert_eq!(clean.response_body_out, b"all clear");
    }
}

#[test]
fn a_local_reply_after_the_response_headers_resets_the_stream() {
    let h = host(r#"{"mode":"block","needle":"secret"}"#);
    for chunk in [0, 1, 4] {
        let out = h.exchange(&Exchange {
            request_body: b"harmless",
            ..exchange(chunk)
        });
        assert!(out.responded);
        assert_eq!(out.local_reply.map(|r| r.status), Some(403));
        assert!(out.reset, "Envoy resets: the 200 headers already went out");
        assert_eq!(header(&out.response_headers_out, ":status"), Some("200"));
        assert!(out.response_body_out.is_empty(), "no body byte leaked");
    }
}

#[test]
fn refused_configurations_name_the_field() {
    let cases = [
        (r#"{"bogus": 1}"#, "unknown field `bogus`"),
        (r#"{"mode": "fly"}"#, "mode: unknown variant `fly`"),
        (r#"{"status": 99}"#, "status: must be 200..=599"),
        ("not json", "invalid JSON"),
    ];
    for (config, want) in cases {
        let err = Host::builder(dist_path("hostcalls-test"))
            .plugin_config(config)
            .build()
            .err()
            .unwrap_or_else(|| panic!("{config} must be refused"));
        let HostError::Rejected { logs } = &err else {
            panic!("{config}: expected Rejected, got {err}");
        };
        assert!(
            logs.iter()
                .any(|(level, l)| *level == LogLevel::Critical && l.contains(want)),
            "{config}: {logs:?}"
        );
        assert!(err.to_string().contains(want), "{err}");
    }
}

#[test]
fn echo_headers_adds_request_and_response_headers() {
    let h = host(r#"{"mode":"echo_headers"}"#);
    let out = h.exchange(&exchange(0));
    assert_eq!(
        header(&out.request_headers_out, "x-hostcalls"),
        Some("seen")
    );
    assert_eq!(
        header(&out.response_headers_out, "x-echo-path"),
        Some("/v1/chat/completions")
    );
    assert_eq!(
        header(&out.response_headers_out, "x-echo-content-type"),
        Some("application/json")
    );
}

#[test]
fn request_headers_are_unreadable_outside_their_callback_like_envoy() {
    let h = host(r#"{"mode":"log"}"#);
    h.exchange(&exchange(0));
    // Envoy 1.40 (probed with this plugin): value read -> BadArgument (2), pairs -> Ok, empty.
    assert!(
        logged(&h, ":path in body callback: status 2"),
        "{:?}",
        h.logs()
    );
    assert!(logged(
        &h,
        "request header pairs in body callback: status 0, 0 bytes"
    ));
    assert!(logged(&h, "request.path /v1/chat/completions"));
}

#[test]
fn shared_data_counts_across_hosts_with_cas() {
    let shared = SharedData::new();
    let workers: Vec<Host> = (0..2)
        .map(|_| {
            Host::builder(dist_path("hostcalls-test"))
                .plugin_config(r#"{"mode":"shared_data","key":"n"}"#)
                .shared_data(shared.clone())
                .build()
                .unwrap()
        })
        .collect();
    for i in 1..=6 {
        let out = workers[i % 2].exchange(&exchange(0));
        assert_eq!(
            header(&out.request_headers_out, "x-shared-count"),
            Some(i.to_string().as_str())
        );
    }
    assert_eq!(shared.snapshot(), vec![("n".to_string(), b"6".to_vec())]);
    // A stale compare-and-swap is refused (what the plugin retries on).
    let (_, cas) = shared.get("n").unwrap();
    assert_eq!(shared.set("n", b"7", cas), 0);
    assert_eq!(shared.set("n", b"8", cas), 8, "CasMismatch");
}

#[test]
fn http_call_round_trip() {
    // Envoy without `allow_on_headers_stop_iteration`: held headers hold the body callbacks
    // too (with it, the body callbacks run and this plugin must pause them itself).
    let h = Host::builder(dist_path("hostcalls-test"))
        .plugin_config(r#"{"mode":"http_call","upstream":"authz"}"#)
        .headers_stop_iteration(false)
        .build()
        .expect("plugin starts");
    let mut s = h.http();
    assert_eq!(s.request_headers(REQ, false), Action::Pause);
    assert_eq!(
        s.request_body(BODY, true),
        Action::Pause,
        "held headers queue the body"
    );
    assert!(s.request_headers_out().is_empty() && s.request_body_out().is_empty());
    let calls = h.pending_http_calls();
    assert_eq!(calls.len(), 1);
    let call = &calls[0];
    assert_eq!(call.upstream, "authz");
    assert_eq!(call.body, b"check");
    assert_eq!(call.timeout_ms, 5000);
    assert!(call.headers.contains(&(":path".into(), "/check".into())));
    assert_eq!(call.context_id, s.id());

    h.respond_http_call(call.token, 200, &[("x-a", "1")], b"ok")
        .unwrap();
    assert!(s.continued());
    assert_eq!(
        header(&s.request_headers_out(), "x-http-call-status"),
        Some("200")
    );
    assert_eq!(
        header(&s.request_headers_out(), "x-http-call-body"),
        Some("ok")
    );
    assert_eq!(
        s.request_body_out(),
        BODY,
        "queued body delivered after the continue"
    );
    assert!(h.pending_http_calls().is_empty());
    assert!(logged(&h, "answered 200 (2 headers, 2 bytes)"));
    assert!(matches!(
        h.respond_http_call(call.token, 200, &[], b""),
        Err(HostError::UnknownHttpCall(_))
    ));

    // A refusal from the callout becomes a local reply.
    let mut s = h.http();
    s.request_headers(REQ, true);
    let token = h.pending_http_calls()[0].token;
    h.respond_http_call(token, 503, &[], b"").unwrap();
    assert_eq!(s.local_reply().map(|r| r.status), Some(403));
    assert!(!s.continued() && s.request_headers_out().is_empty());
}

#[test]
fn tick_advances_the_clock_and_runs_on_tick() {
    let h = Host::builder(dist_path("hostcalls-test"))
        .plugin_config(r#"{"mode":"tick","tick_ms":250}"#)
        .time_unix_nanos(1_000_000_000)
        .build()
        .unwrap();
    assert_eq!(h.tick_period_ms(), 250);
    assert!(h.tick() && h.tick());
    assert!(logged(&h, "tick 1 time 1250000000"));
    assert!(logged(&h, "tick 2 time 1500000000"));
    h.set_time_unix_nanos(7);
    assert!(h.tick());
    assert!(logged(&h, "tick 3 time 250000007"));
    assert!(!host(r#"{"mode":"pass"}"#).tick(), "no period, no tick");

    // A stepping clock moves on after every read.
    let h = Host::builder(dist_path("hostcalls-test"))
        .plugin_config(r#"{"mode":"tick","tick_ms":1}"#)
        .time_unix_nanos(0)
        .clock_step_nanos(5)
        .build()
        .unwrap();
    assert!(h.tick() && h.tick());
    assert!(logged(&h, "tick 1 time 1000000"), "{:?}", h.logs());
    assert!(logged(&h, "tick 2 time 2000005"), "{:?}", h.logs());
    assert_eq!(h.time_unix_nanos(), 2_000_010);
}

#[test]
fn metrics_are_defined_and_updated() {
    let h = host(r#"{"mode":"metrics"}"#);
    for body in [&b"abc"[..], b"hello", b"x"] {
        h.exchange(&Exchange {
            request_body: body,
            ..exchange(0)
        });
    }
    let m = h.metrics();
    assert_eq!(m.get("hostcalls_requests_total"), Some(&3));
    assert_eq!(m.get("hostcalls_last_body_bytes"), Some(&1));
    assert_eq!(h.histogram("hostcalls_body_bytes"), vec![3, 5, 1]);
}

#[test]
fn apisix_refusals_are_statuses_not_traps() {
    let cases = [
        (
            r#"{"mode":"rewrite_body","needle":"secret"}"#,
            "set_buffer_bytes refused: status 12",
        ),
        (
            r#"{"mode":"shared_data"}"#,
            "shared data refused: status 12",
        ),
        (r#"{"mode":"log"}"#, "time refused (status 12)"),
        (r#"{"mode":"tick"}"#, "tick period 1000 ms: status 12"),
    ];
    for (config, want) in cases {
        let h = host_as(HostProfile::Apisix, config);
        let out = h.exchange(&exchange(4));
        assert!(out.trap.is_none(), "{config}");
        assert!(logged(&h, want), "{config}: {:?}", h.logs());
        assert_eq!(out.request_body_out, BODY, "{config}: body unchanged");
        assert!(!h.tick());
        // The same configuration works under Envoy.
        let e = host_as(HostProfile::Envoy, config);
        e.exchange(&exchange(4));
        assert!(!logged(&e, "status 12"), "{config}: {:?}", e.logs());
    }
}

#[test]
fn kong_does_not_deliver_request_trailers_or_continue_responses() {
    let h = host_as(HostProfile::Kong, r#"{"mode":"log"}"#);
    let out = h.exchange(&Exchange {
        trailers: &[("x-t", "1")],
        ..exchange(0)
    });
    assert!(!logged(&h, "request_trailers"), "{:?}", h.logs());
    assert!(logged(&h, "request_body size=0 eos=true"));
    assert_eq!(out.request_body_out, BODY);

    let envoy = host(r#"{"mode":"log"}"#);
    envoy.exchange(&Exchange {
        trailers: &[("x-t", "1")],
        ..exchange(0)
    });
    assert!(logged(&envoy, "request_trailers n=1"));

    for (profile, status, released) in [
        (HostProfile::Envoy, "status 0", true),
        (HostProfile::Kong, "status 12", false),
    ] {
        let h = host_as(profile, r#"{"mode":"resume_response"}"#);
        let out = h.exchange(&exchange(5));
        assert!(
            logged(&h, &format!("continue response: {status}")),
            "{profile:?}"
        );
        assert_eq!(out.response_body_out.is_empty(), !released, "{profile:?}");
        assert_eq!(out.continued, released);
    }
}

#[test]
fn a_trap_fails_the_stream_closed_and_the_vm_stays_failed() {
    let h = host(r#"{"mode":"trap"}"#);
    let out = h.exchange(&exchange(0));
    assert_eq!(
        out.actions,
        vec![("request_headers".to_string(), Action::Trapped)]
    );
    let trap = out.trap.expect("trap recorded");
    assert!(trap.contains("unreachable"), "{trap}");
    assert_eq!(out.local_reply.map(|r| r.status), Some(503));
    assert!(h.failed().is_some());
    let mut s = h.http();
    assert_eq!(s.request_headers(REQ, true), Action::Trapped);
    assert_eq!(s.local_reply().map(|r| r.status), Some(503));

    let kong = host_as(HostProfile::Kong, r#"{"mode":"trap"}"#);
    let out = kong.exchange(&exchange(0));
    assert!(out.trap.is_some() && out.local_reply.is_none());
}

#[test]
fn fuel_is_metered_per_callback_and_deterministic() {
    let h = host("{}");
    let a = h.exchange(&exchange(0));
    let b = h.exchange(&exchange(0));
    assert!(a.total_fuel > 0);
    assert!(a.fuel.iter().all(|(_, f)| *f > 0), "{:?}", a.fuel);
    let names: Vec<&str> = a.fuel.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(
        names,
        [
            "context_create",
            "request_headers",
            "request_body",
            "response_headers",
            "response_body",
            "log",
            "done",
            "delete"
        ]
    );
    // Deterministic: a fresh host costs the same; in steady state every exchange costs the
    // same (the first one pays for allocator and map growth).
    assert_eq!(host("{}").exchange(&exchange(0)).total_fuel, a.total_fuel);
    assert!(b.total_fuel <= a.total_fuel);
    assert_eq!(
        h.exchange(&exchange(0)).total_fuel,
        b.total_fuel,
        "steady state"
    );
    let small = h.exchange(&Exchange {
        request_body: b"{}",
        ..exchange(1)
    });
    let split = h.exchange(&exchange(1));
    assert!(
        split.total_fuel > small.total_fuel,
        "more callbacks cost more"
    );
    println!(
        "fuel: pass-through exchange first {} steady {} ({:?}); 1-byte chunks {}",
        a.total_fuel, b.total_fuel, b.fuel, split.total_fuel
    );
    assert!(h
        .root_fuel()
        .iter()
        .any(|(n, f)| n == "configure" && *f > 0));
}

#[test]
fn sdk_grpc_imports_are_stubbed_and_load_fine() {
    let h = host("{}");
    let stubbed = h.stubbed_imports();
    assert!(
        stubbed.contains(&"env::proxy_grpc_call".to_string()),
        "{stubbed:?}"
    );
    assert!(h.stub_calls().is_empty());
}

/// Minimal wasm binary encoder for hand-made test modules.
mod wasm {
    fn leb(mut n: usize, out: &mut Vec<u8>) {
        loop {
            let b = (n & 0x7f) as u8;
            n >>= 7;
            if n == 0 {
                out.push(b);
                return;
            }
            out.push(b | 0x80);
        }
    }

    fn vec(items: &[Vec<u8>]) -> Vec<u8> {
        let mut out = Vec::new();
        leb(items.len(), &mut out);
        for i in items {
            out.extend_from_slice(i);
        }
        out
    }

    fn name(s: &str) -> Vec<u8> {
        let mut out = Vec::new();
        leb(s.len(), &mut out);
        out.extend_from_slice(s.as_bytes());
        out
    }

    fn section(id: u8, body: Vec<u8>, out: &mut Vec<u8>) {
        out.push(id);
        leb(body.len(), out);
        out.extend(body);
    }

    /// Imports `env.proxy_no_such_call: (i32)->i32` and `env.proxy_log: ()->()` (wrong
    /// signature); `proxy_on_configure` calls both and returns `configure_result`.
    pub fn module(abi_export: bool, configure_result: u8) -> Vec<u8> {
        let mut m = b"\0asm\x01\0\0\0".to_vec();
        let types = vec![
            vec![0x60, 1, 0x7f, 1, 0x7f],
            vec![0x60, 0, 0],
            vec![0x60, 2, 0x7f, 0x7f, 1, 0x7f],
        ];
        section(1, vec(&types), &mut m);
        let imports = vec![
            [name("env"), name("proxy_no_such_call"), vec![0, 0]].concat(),
            [name("env"), name("proxy_log"), vec![0, 1]].concat(),
        ];
        section(2, vec(&imports), &mut m);
        section(3, vec(&[vec![1], vec![2]]), &mut m);
        section(5, vec(&[vec![0, 1]]), &mut m);
        let mut exports = vec![
            [name("proxy_on_configure"), vec![0, 3]].concat(),
            [name("memory"), vec![2, 0]].concat(),
        ];
        if abi_export {
            exports.push([name("proxy_abi_version_0_2_1"), vec![0, 2]].concat());
        }
        section(7, vec(&exports), &mut m);
        let body = |code: Vec<u8>| {
            let mut f = vec![0];
            f.extend(code);
            let mut out = Vec::new();
            leb(f.len(), &mut out);
            out.extend(f);
            out
        };
        let configure = vec![
            0x41,
            7,
            0x10,
            0,
            0x1a,
            0x10,
            1,
            0x41,
            configure_result,
            0x0b,
        ];
        section(10, vec(&[body(vec![0x0b]), body(configure)]), &mut m);
        m
    }
}

#[test]
fn unknown_and_mistyped_imports_are_stubbed_and_recorded() {
    let h = Host::builder_from_bytes(wasm::module(true, 1))
        .build()
        .unwrap();
    assert_eq!(
        h.stubbed_imports(),
        ["env::proxy_no_such_call", "env::proxy_log"]
    );
    assert_eq!(
        h.stub_calls(),
        ["env::proxy_no_such_call", "env::proxy_log"]
    );
    // proxy_on_context_create / vm_start are absent: skipped, not an error.
    let out = h.exchange(&exchange(0));
    assert!(out.passed(), "{out:?}");
}

#[test]
fn load_failures_say_why() {
    let rejected = Host::builder_from_bytes(wasm::module(true, 0)).build();
    assert!(matches!(rejected, Err(HostError::Rejected { .. })));
    let no_abi = Host::builder_from_bytes(wasm::module(false, 1)).build();
    assert!(
        matches!(&no_abi, Err(HostError::NotProxyWasm(m)) if m.contains("Missing or unknown Proxy-Wasm ABI version")),
        "{:?}",
        no_abi.err()
    );
    let garbage = Host::builder_from_bytes(b"placeholder".to_vec()).build();
    assert!(matches!(garbage, Err(HostError::Compile(_))));
    let missing = Host::builder("/nonexistent/plugin.wasm").build();
    assert!(matches!(&missing, Err(HostError::Io { path, .. }) if path.ends_with("plugin.wasm")));
}

#[test]
fn a_stale_content_length_after_a_body_edit_is_flagged() {
    let with_length = |len: usize| {
        let mut h: Vec<(&str, String)> = REQ.iter().map(|(k, v)| (*k, v.to_string())).collect();
        h.push(("content-length", len.to_string()));
        h
    };
    let cases = [
        // (config, content-length sent, flagged)
        (r#"{"mode":"pass"}"#, BODY.len(), false),
        (r#"{"mode":"pass"}"#, BODY.len() + 1, true),
        // rewrite_body removes content-length in the headers callback: fine.
        (
            r#"{"mode":"rewrite_body","needle":"secret","replacement":"[redacted]"}"#,
            BODY.len(),
            false,
        ),
        // edit_ranges grows the body and keeps content-length: Envoy would truncate it.
        (r#"{"mode":"edit_ranges"}"#, BODY.len(), true),
    ];
    for (config, len, flagged) in cases {
        let h = host(config);
        let headers = with_length(len);
        let headers: Vec<(&str, &str)> = headers.iter().map(|(k, v)| (*k, v.as_str())).collect();
        for chunk in [0, 1, 7] {
            let out = h.exchange(&Exchange {
                request_headers: &headers,
                ..exchange(chunk)
            });
            assert_eq!(
                out.request_framing_error.is_some(),
                flagged,
                "{config} content-length {len} chunk {chunk}: {:?}",
                out.request_framing_error
            );
            if flagged {
                assert!(!out.passed(), "a framing error is not a pass");
            }
        }
    }
}

#[test]
fn price_mode_makes_its_call_repeat_times_and_changes_nothing_else() {
    // `guardrail-bench --price` divides Envoy CPU by `repeat`: the call must really repeat
    // (fuel grows with it) and the request must pass unchanged (but for `header_set`).
    let calls = PriceCall::ALL.map(|(name, _)| name);
    for call in calls {
        let fuel = |repeat: u32| {
            let h = host(&format!(
                r#"{{"mode":"price","call":"{call}","repeat":{repeat}}}"#
            ));
            let mut total = 0;
            for chunk in [0, 7] {
                let out = h.exchange(&exchange(chunk));
                assert!(out.trap.is_none(), "{call}: {:?}", out.trap);
                assert_eq!(out.request_body_out, BODY, "{call}");
                assert_eq!(
                    header(&out.request_headers_out, "x-price").is_some(),
                    call == "header_set",
                    "{call}"
                );
                total = out.total_fuel;
            }
            total
        };
        let (once, many) = (fuel(1), fuel(20));
        // Each real call costs at least its import's argument setup; `nothing` only loops.
        let per_call = (many - once) / 19;
        if call == "nothing" {
            assert!(per_call <= 16, "nothing: {per_call} fuel per repeat");
        } else {
            assert!(per_call > 16, "{call}: fuel x1 {once}, x20 {many}");
        }
    }
}
