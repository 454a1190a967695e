//! server: one port for the plugins' webhook and the people reviewing.
//!
//! - `POST /review` (JSON only): a plugin's submission -> 201 {"id"}.
//! - Page: `GET /` (queue with filters), `GET /items/<id>`, `POST /items/<id>/decide` (form),
//!   `GET /rules` (summary per rule and proposed config changes), `/static/*`.
//! - JSON API: `GET /api/items`, `GET /api/items/<id>`, `POST /api/items/<id>/decision`,
//!   `GET /api/rules`, `GET /api/proposals`.
//!
//! Safety: every page and API answer checks the `Host` header against the names the server
//! answers to (defeats DNS rebinding: another site's script cannot read the page); every
//! decision needs the server's per-start CSRF token (in the page, never in a cookie) and, when
//! the browser sends `Origin`, the same origin. The webhook takes only
//! `content-type: application/json`, which a cross-site form cannot send.

use crate::http::{serve, Request, Response};
use crate::item::{Decision, Status, Submission};
use crate::page::{self, Facets, FilterForm};
use crate::proposal::{self, Proposal, Thresholds};
use crate::store::{now_unix, Facet, Filter, Store};
use anyhow::{Context, Result};
use serde_json::json;
use std::io::Read;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

/// Checks a plugin config text with the plugin's own parser.
pub type Validator = Arc<dyn Fn(&str) -> Result<(), String> + Send + Sync>;

/// A plugin config the server proposes changes to (read anew for each proposal).
#[derive(Clone)]
pub struct PluginConfig {
    pub plugin: String,
    pub path: PathBuf,
    pub validate: Validator,
}

/// Server options.
#[derive(Clone, Default)]
pub struct ServerOptions {
    /// Keep a submission's `text` (prompt capture). Off by default: text is dropped.
    pub capture_text: bool,
    /// Delete items older than this many days (at start, then hourly). None: keep all.
    pub retain_days: Option<u64>,
    pub plugin_configs: Vec<PluginConfig>,
    pub thresholds: Thresholds,
    /// Extra host names (`name` or `name:port`) the page answers to besides the bound address
    /// and `localhost`.
    pub allowed_hosts: Vec<String>,
}

struct State {
    store: Store,
    options: ServerOptions,
    csrf: String,
    hosts: Vec<String>,
}

/// A server running on background threads; dropping it stops it.
pub struct ReviewServer {
    addr: SocketAddr,
    stop: Arc<AtomicBool>,
    threads: Vec<JoinHandle<()>>,
}

fn random_token() -> Result<String> {
    let mut buf = [0u8; 16];
    std::fs::File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(&mut buf))
        .context("reading /dev/urandom for the CSRF token")?;
    Ok(buf.iter().map(|b| format!("{b:02x}")).collect())
}

impl ReviewServer {
    /// Binds `addr` (port 0 = a free port) and serves in the background.
    pub fn start(store: Store, addr: SocketAddr, options: ServerOptions) -> Result<ReviewServer> {
        let listener = TcpListener::bind(addr).with_context(|| format!("binding {addr}"))?;
        let addr = listener.local_addr()?;
        let mut hosts = vec![addr.to_string(), format!("localhost:{}", addr.port())];
        if addr.port() == 80 {
            hosts.extend([addr.ip().to_string(), "localhost".into()]);
        }
        hosts.extend(options.allowed_hosts.iter().cloned());
        if let Some(days) = options.retain_days {
            store.purge(now_unix().saturating_sub(days.saturating_mul(86_400)))?;
        }
        let state = Arc::new(State {
            store,
            csrf: random_token()?,
            options,
            hosts,
        });
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        let handler_state = state.clone();
        let mut threads = vec![std::thread::spawn(move || {
            if let Err(e) = serve(listener, flag, move |req| route(req, &handler_state)) {
                eprintln!("review server on {addr} stopped: {e}");
            }
        })];
        if let Some(days) = state.options.retain_days {
            let (flag, state) = (stop.clone(), state.clone());
            threads.push(std::thread::spawn(move || {
                let mut waited = 0u64;
                while !flag.load(Ordering::SeqCst) {
                    std::thread::sleep(Duration::from_secs(1));
                    waited += 1;
                    if waited >= 3600 {
                        waited = 0;
                        let _ = state
                            .store
                            .purge(now_unix().saturating_sub(days.saturating_mul(86_400)));
                    }
                }
            }));
        }
        Ok(ReviewServer {
            addr,
            stop,
            threads,
        })
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Blocks until the server stops (the CLI: until the process is ended).
    pub fn wait(mut self) {
        for t in self.threads.drain(..) {
            let _ = t.join();
        }
    }
}

impl Drop for ReviewServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect_timeout(&self.addr, Duration::from_secs(1)); // wake accept()
        for t in self.threads.drain(..) {
            let _ = t.join();
        }
    }
}

fn error(status: u16, msg: impl std::fmt::Display) -> Response {
    Response::json(status, &json!({"error": msg.to_string()}))
}

fn route(req: &Request, state: &State) -> Response {
    let parts: Vec<&str> = req.path.trim_matches('/').split('/').collect();
    if let ("POST", ["review"]) = (req.method.as_str(), parts.as_slice()) {
        return ingest(req, state);
    }
    // Everything else is for people (or their scripts) on this machine.
    let host_ok = req
        .header("host")
        .is_some_and(|h| state.hosts.iter().any(|a| a.eq_ignore_ascii_case(h)));
    if !host_ok {
        return error(
            403,
            "unknown Host: open the page by the address the server printed",
        );
    }
    let html = |status: u16, body: String| Response::html(status, body);
    match (req.method.as_str(), parts.as_slice()) {
        ("GET", [""]) => match list_page(req, state) {
            Ok(r) => r,
            Err(e) => html(400, page::message("Bad filter", &e, &state.csrf)),
        },
        ("GET", ["items", id]) => match id
            .parse::<u64>()
            .ok()
            .and_then(|id| state.store.get(id).ok().flatten())
        {
            Some(item) => {
                let filter = parse_filter(&req.query)
                    .map(|f| f.filter)
                    .unwrap_or_default();
                let neighbours = neighbours(state, &filter, item.id);
                let history = state.store.history(item.id).unwrap_or_default();
                html(
                    200,
                    page::detail(
                        &item,
                        &history,
                        neighbours,
                        &clean_query(&req.query),
                        &state.csrf,
                    ),
                )
            }
            None => html(
                404,
                page::message("Not found", "No such review item.", &state.csrf),
            ),
        },
        ("POST", ["items", id, "decide"]) => decide_form(req, state, id),
        ("GET", ["rules"]) => {
            let stats = state.store.rule_stats().unwrap_or_default();
            html(200, page::rules(&stats, &proposals(state), &state.csrf))
        }
        ("GET", ["static", "review.js"]) => Response::text(
            200,
            "text/javascript; charset=utf-8",
            include_str!("../assets/review.js"),
        ),
        ("GET", ["static", "review.css"]) => Response::text(
            200,
            "text/css; charset=utf-8",
            include_str!("../assets/review.css"),
        ),
        ("GET", ["api", "items"]) => match parse_filter(&req.query) {
            Ok(f) => match state.store.list(&f.filter) {
                Ok(items) => Response::json(200, &json!(items)),
                Err(e) => error(500, e),
            },
            Err(e) => error(400, e),
        },
        ("GET", ["api", "items", id]) => {
            match id
                .parse::<u64>()
                .ok()
                .and_then(|id| state.store.get(id).ok().flatten())
            {
                Some(item) => {
                    let history: Vec<_> = state
                    .store
                    .history(item.id)
                    .unwrap_or_default()
                    .into_iter()
                    .map(|(at, status, note)| json!({"at_unix": at, "status": status, "note": note}))
                    .collect();
                    Response::json(200, &json!({"item": item, "history": history}))
                }
                None => error(404, "no such review item"),
            }
        }
        ("POST", ["api", "items", id, "decision"]) => decide_api(req, state, id),
        ("GET", ["api", "rules"]) => match state.store.rule_stats() {
            Ok(stats) => {
                let rows: Vec<_> = stats
                    .iter()
                    .map(|s| {
                        let mut v = json!(s);
                        v["false_positive_rate"] = json!(s.false_positive_rate());
                        v
                    })
                    .collect();
                Response::json(200, &json!(rows))
            }
            Err(e) => error(500, e),
        },
        ("GET", ["api", "proposals"]) => {
            let out: Vec<_> = proposals(state)
                .into_iter()
                .map(|p| match p {
                    Ok(p) => json!(p),
                    Err(e) => json!({"error": e}),
                })
                .collect();
            Response::json(200, &json!(out))
        }
        ("GET", _) | ("POST", _) => error(404, "not a review endpoint"),
        _ => error(405, "method not allowed"),
    }
}

fn ingest(req: &Request, state: &State) -> Response {
    if req.content_type() != "application/json" {
        return error(415, "content-type must be application/json");
    }
    match Submission::parse(&req.body, state.options.capture_text) {
        Ok(sub) => match state.store.add(&sub) {
            Ok(id) => Response::json(201, &json!({"id": id})),
            Err(e) => error(500, format!("{e:#}")),
        },
        Err(reason) => error(400, reason),
    }
}

/// A decision may be taken only by this server's page: the token it embeds, and (when the
/// browser says where the request comes from) the same origin.
fn same_origin(req: &Request, state: &State, token: Option<&str>) -> Result<(), &'static str> {
    let token_ok = token.is_some_and(|t| constant_time_eq(t.as_bytes(), state.csrf.as_bytes()));
    if !token_ok {
        return Err("missing or wrong CSRF token: reload the page");
    }
    if let Some(origin) = req.header("origin") {
        let host = origin.strip_prefix("http://").unwrap_or("");
        if !state.hosts.iter().any(|a| a.eq_ignore_ascii_case(host)) {
            return Err("cross-origin decision refused");
        }
    }
    Ok(())
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

fn decide_form(req: &Request, state: &State, id: &str) -> Response {
    if req.content_type() != "application/x-www-form-urlencoded" {
        return error(415, "a decision is a form post");
    }
    let form: Vec<(String, String)> = form_urlencoded::parse(&req.body).into_owned().collect();
    let field = |k: &str| form.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
    if let Err(e) = same_origin(req, state, field("csrf")) {
        return Response::html(403, page::message("Refused", e, &state.csrf));
    }
    let Some(id) = id.parse::<u64>().ok() else {
        return Response::html(
            404,
            page::message("Not found", "No such review item.", &state.csrf),
        );
    };
    let Some(decision) = field("decision").and_then(Decision::parse) else {
        return Response::html(
            400,
            page::message(
                "Bad decision",
                "decision: attack or false_positive",
                &state.csrf,
            ),
        );
    };
    let back = clean_query(field("back").unwrap_or(""));
    let filter = parse_filter(&back).map(|f| f.filter).unwrap_or_default();
    // Where to go next: the item after this one (else before it) in the list as it was.
    let (newer, older) = neighbours(state, &filter, id);
    let next = older.or(newer);
    if let Err(e) = state.store.decide(id, decision, field("note")) {
        return Response::html(
            400,
            page::message("Not decided", &format!("{e:#}"), &state.csrf),
        );
    }
    let q = if back.is_empty() {
        String::new()
    } else {
        format!("?{back}")
    };
    match (field("to"), next) {
        (Some("list"), Some(next)) => {
            let sep = if q.is_empty() { "?" } else { "&" };
            Response::redirect(format!("/{q}{sep}sel={next}"))
        }
        (Some("list"), None) | (_, None) => Response::redirect(format!("/{q}")),
        (_, Some(next)) => Response::redirect(format!("/items/{next}{q}")),
    }
}

fn decide_api(req: &Request, state: &State, id: &str) -> Response {
    if let Err(e) = same_origin(req, state, req.header("x-csrf-token")) {
        return error(403, e);
    }
    if req.content_type() != "application/json" {
        return error(415, "content-type must be application/json");
    }
    let Ok(id) = id.parse::<u64>() else {
        return error(404, "no such review item");
    };
    let body: serde_json::Value = match serde_json::from_slice(&req.body) {
        Ok(v) => v,
        Err(e) => return error(400, format!("invalid JSON: {e}")),
    };
    let Some(decision) = body
        .get("decision")
        .and_then(|d| d.as_str())
        .and_then(Decision::parse)
    else {
        return error(400, "decision: attack or false_positive");
    };
    let note = body.get("note").and_then(|n| n.as_str());
    match state.store.decide(id, decision, note) {
        Ok(item) => Response::json(200, &json!(item)),
        Err(e) if e.to_string().starts_with("no review item") => error(404, e),
        Err(e) => error(400, format!("{e:#}")),
    }
}

fn list_page(req: &Request, state: &State) -> Result<Response, String> {
    let form = parse_filter(&req.query)?;
    let items = state
        .store
        .list(&form.filter)
        .map_err(|e| format!("{e:#}"))?;
    let facets = Facets {
        rules: state.store.distinct(Facet::Rule).unwrap_or_default(),
        teams: state.store.distinct(Facet::Team).unwrap_or_default(),
        apps: state.store.distinct(Facet::App).unwrap_or_default(),
    };
    let selected = query_pairs(&req.query)
        .into_iter()
        .find(|(k, _)| k == "sel")
        .and_then(|(_, v)| v.parse().ok());
    Ok(Response::html(
        200,
        page::list(&items, &form, &facets, selected, &state.csrf),
    ))
}

/// The items before and after `id` in the filtered list (newer, older).
fn neighbours(state: &State, filter: &Filter, id: u64) -> (Option<u64>, Option<u64>) {
    let ids: Vec<u64> = state
        .store
        .list(filter)
        .unwrap_or_default()
        .iter()
        .map(|i| i.id)
        .collect();
    match ids.iter().position(|&i| i == id) {
        Some(pos) => (
            pos.checked_sub(1).and_then(|p| ids.get(p).copied()),
            ids.get(pos + 1).copied(),
        ),
        None => (None, ids.first().copied()),
    }
}

fn proposals(state: &State) -> Vec<Result<Proposal, String>> {
    let (Ok(rules), Ok(per_app)) = (state.store.rule_stats(), state.store.rule_app_stats()) else {
        return vec![Err("reading the store failed".into())];
    };
    state
        .options
        .plugin_configs
        .iter()
        .map(|pc| {
            let text = std::fs::read_to_string(&pc.path)
                .map_err(|e| format!("{}: {e}", pc.path.display()))?;
            let mine = |s: &[crate::store::RuleStats]| -> Vec<_> {
                s.iter()
                    .filter(|r| r.plugin == pc.plugin)
                    .cloned()
                    .collect()
            };
            let changes =
                proposal::changes(&mine(&rules), &mine(&per_app), state.options.thresholds);
            proposal::propose(&pc.plugin, &text, changes, pc.validate.as_ref())
        })
        .collect()
}

fn query_pairs(query: &str) -> Vec<(String, String)> {
    form_urlencoded::parse(query.as_bytes())
        .into_owned()
        .collect()
}

/// The filter part of a query string, re-encoded (drops `sel` and anything unknown).
fn clean_query(query: &str) -> String {
    let mut out = form_urlencoded::Serializer::new(String::new());
    for (k, v) in query_pairs(query) {
        if FILTER_KEYS.contains(&k.as_str()) && !v.is_empty() {
            out.append_pair(&k, &v);
        }
    }
    out.finish()
}

const FILTER_KEYS: &[&str] = &[
    "rule", "team", "app", "plugin", "status", "hours", "since", "until", "limit",
];

/// Reads the list filter from a query string; the error names the parameter.
pub fn parse_filter(query: &str) -> Result<FilterForm, String> {
    let mut form = FilterForm {
        filter: Filter {
            status: Some(Status::Open),
            ..Filter::default()
        },
        hours: String::new(),
        query: clean_query(query),
    };
    let f = &mut form.filter;
    for (k, v) in query_pairs(query) {
        let text = (!v.is_empty()).then(|| v.clone());
        let number = |name: &str| -> Result<Option<u64>, String> {
            match &text {
                None => Ok(None),
                Some(t) => t
                    .parse()
                    .map(Some)
                    .map_err(|_| format!("{name}: a whole number")),
            }
        };
        match k.as_str() {
            "rule" => f.rule = text,
            "team" => f.team = text,
            "app" => f.app = text,
            "plugin" => f.plugin = text,
            "status" => {
                f.status = match v.as_str() {
                    "all" => None,
                    s => Some(
                        Status::parse(s).ok_or("status: open, attack, false_positive or all")?,
                    ),
                }
            }
            "hours" => {
                if let Some(h) = number("hours")? {
                    f.since = Some(now_unix().saturating_sub(h.saturating_mul(3600)));
                    form.hours = h.to_string();
                }
            }
            "since" => f.since = number("since")?,
            "until" => f.until = number("until")?,
            "limit" => {
                f.limit = number("limit")?.map_or(0, |n| usize::try_from(n).unwrap_or(usize::MAX))
            }
            _ => {}
        }
    }
    Ok(form)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters_parse_from_the_query() {
        let f = parse_filter("").unwrap().filter;
        assert_eq!(f.status, Some(Status::Open)); // the queue shows open items by default
        let f = parse_filter(
            "rule=inj.override&team=t&app=a%2Fb&status=all&since=5&until=9&limit=3&x=1",
        )
        .unwrap();
        assert_eq!(
            f.filter,
            Filter {
                rule: Some("inj.override".into()),
                team: Some("t".into()),
                app: Some("a/b".into()),
                plugin: None,
                status: None,
                since: Some(5),
                until: Some(9),
                limit: 3,
            }
        );
        assert!(!f.query.contains("x=1"));
        let f = parse_filter("hours=24&status=false_positive").unwrap();
        assert!(f.filter.since.is_some_and(|s| s + 24 * 3600 >= now_unix()));
        assert_eq!(f.filter.status, Some(Status::FalsePositive));
        for (q, field) in [
            ("status=maybe", "status"),
            ("since=x", "since"),
            ("hours=-1", "hours"),
        ] {
            assert!(parse_filter(q).unwrap_err().starts_with(field), "{q}");
        }
    }

    #[test]
    fn tokens_compare_whole() {
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"ab"));
        assert_eq!(random_token().unwrap().len(), 32);
        assert_ne!(random_token().unwrap(), random_token().unwrap());
    }
}
