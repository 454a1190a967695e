//! plugin: the shape every guardrail plugin has, as one trait. A plugin parses its config once,
//! decides on the request head, decides on the whole request body, and may follow the answer;
//! the SDK's one proxy-wasm glue (`host::skeleton`, feature `host`) does everything around it:
//! buffering with the body limit, pausing, fail-closed refusals in the provider's error shape,
//! the verdict lines and metrics (from [`Report`]s), and the outgoing calls ([`Call`]).
//!
//! Pure: nothing here imports `proxy_wasm`. A plugin's `lib.rs` is an `impl Plugin` plus
//! `guardrail_sdk::main!(Type)`; its logic stays in pure modules.

use crate::body::{self, RequestBody};
use crate::buffer;
use crate::format::ApiFormat;
use crate::json;
use crate::verdict_log::{Phase, VerdictLog};
use crate::webhook::Webhook;
use crate::BodyError;

/// What the skeleton read from the request headers (readable only in that callback on Envoy;
/// other headers through [`RequestHead::header`], there too).
#[derive(Debug, Clone, Default)]
pub struct RequestHead {
    /// `:path`, query included.
    pub path: String,
    /// The API format the path names.
    pub format: ApiFormat,
    /// `x-request-id` when it looks like an id, else a generated one.
    pub request_id: String,
    /// The request has no body (end of stream with the headers).
    pub no_body: bool,
    /// The caller identity key-auth signed, verified with [`Plugin::identity_secret`].
    pub identity: Option<crate::identity::Identity>,
    /// Reads a request header (set by the skeleton; `None` natively and outside the headers
    /// callback).
    pub reader: Option<fn(&str) -> Option<String>>,
}

impl RequestHead {
    /// A request header (lossy UTF-8); only in `request_head`.
    pub fn header(&self, name: &str) -> Option<String> {
        self.reader.and_then(|read| read(name))
    }

    /// Whether the body is a JSON body to inspect, by the fail policy: no body -> `Ok(false)`;
    /// a content type that is not JSON -> `Ok(false)` with [`NonJson::Skip`], a 415 with
    /// [`NonJson::Refuse`]; a compressed body -> 415 (never scanned raw, never passed).
    pub fn json_body(&self, non_json: NonJson) -> Result<bool, BodyError> {
        if self.no_body {
            return Ok(false);
        }
        let content_type = self.header("content-type");
        if non_json == NonJson::Skip && !buffer::needs_scan(content_type.as_deref()) {
            return Ok(false);
        }
        buffer::check_content_encoding(self.header("content-encoding").as_deref())?;
        if !buffer::needs_scan(content_type.as_deref()) {
            return Err(BodyError::new(
                415,
                "unsupported_content_type",
                "the request body must be JSON",
            ));
        }
        Ok(true)
    }
}

/// What [`RequestHead::json_body`] does with a body whose content type is not JSON.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NonJson {
    /// Pass it uninspected (the plugin only reads JSON).
    Skip,
    /// Refuse it (415).
    Refuse,
}

/// The whole request body, with the SDK's parsed model on demand.
#[derive(Debug)]
pub struct Body<'a> {
    /// The bytes as they came.
    pub raw: &'a [u8],
    parsed: Option<Result<RequestBody, BodyError>>,
}

impl<'a> Body<'a> {
    /// The body `raw` (nothing parsed yet).
    pub fn new(raw: &'a [u8]) -> Self {
        Body { raw, parsed: None }
    }

    /// The provider request model (`body::parse_request` for the head's format, strict JSON
    /// with `limits`), parsed on first use.
    pub fn request(
        &mut self,
        format: ApiFormat,
        limits: &json::Limits,
    ) -> Result<&RequestBody, BodyError> {
        let raw = self.raw;
        let parsed = self
            .parsed
            .get_or_insert_with(|| body::parse_request(format, raw, limits));
        parsed.as_ref().map_err(Clone::clone)
    }
}

/// A refusal: the client gets `status` with the provider-shaped error `code`/`message` (and
/// `x-guardrail-code`), plus `headers`. The request never goes upstream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    /// HTTP status.
    pub status: u16,
    /// Stable machine code.
    pub code: String,
    /// Client-facing message (never request text).
    pub message: String,
    /// Extra response headers (`retry-after`, `www-authenticate`).
    pub headers: Vec<(String, String)>,
}

impl Refusal {
    /// A refusal without extra headers.
    pub fn new(status: u16, code: &str, message: impl Into<String>) -> Self {
        Refusal {
            status,
            code: code.to_string(),
            message: message.into(),
            headers: Vec::new(),
        }
    }

    /// With one more response header.
    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.to_string(), value.to_string()));
        self
    }
}

impl From<&BodyError> for Refusal {
    fn from(err: &BodyError) -> Self {
        Refusal::new(err.status, err.code, err.message.clone())
    }
}

/// An outgoing HTTP call (classifier, review webhook).
#[derive(Debug, Clone)]
pub struct Call {
    /// Where to.
    pub webhook: Webhook,
    /// Default `:path` and `:authority` when the webhook names none.
    pub defaults: (&'static str, &'static str),
    /// The JSON body.
    pub payload: Vec<u8>,
    /// Hold the request until the answer ([`Plugin::call_answer`]); else post and go on.
    pub hold: bool,
}

impl Call {
    /// A review item for `webhook` (default path `/review`, authority `guardrail-review`).
    pub fn review(webhook: &Webhook, payload: Vec<u8>, hold: bool) -> Self {
        Call {
            webhook: webhook.clone(),
            defaults: ("/review", "guardrail-review"),
            payload,
            hold,
        }
    }
}

/// What happens to the request next: the one typed outcome of every request-side hook.
#[derive(Debug, Clone)]
pub enum Outcome {
    /// The request goes on (after the body verdict: upstream).
    Continue,
    /// From `request_head` only: buffer the whole body (up to `max_body_bytes`, trailers end
    /// it) and call `request_body`. Elsewhere it means `Continue`.
    Body,
    /// Answer the client with this error; the request never goes upstream.
    Refuse(Refusal),
    /// Post a call: held (`hold`) until [`Plugin::call_answer`] decides, or posted and then
    /// `Continue`.
    Call(Call),
}

impl From<&BodyError> for Outcome {
    fn from(err: &BodyError) -> Self {
        Outcome::Refuse(Refusal::from(err))
    }
}

/// How a held call ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reply {
    /// The host refused to dispatch it.
    NotSent,
    /// It was answered (`status: None`: it failed or timed out).
    Answer {
        /// The answer's status.
        status: Option<u16>,
        /// The answer's body.
        body: Vec<u8>,
    },
}

impl Reply {
    /// A 2xx answer.
    pub fn ok(&self) -> bool {
        matches!(self, Reply::Answer { status: Some(s), .. } if (200..300).contains(s))
    }

    /// The answer's body (empty when not answered).
    pub fn body(&self) -> &[u8] {
        match self {
            Reply::Answer { body, .. } => body,
            Reply::NotSent => &[],
        }
    }
}

/// One verdict line, and what it counts in the metrics. The skeleton writes the line and the
/// metrics; the line's verdict name is the `guardrail_requests_total` verdict.
#[derive(Debug, Clone)]
pub struct Report {
    /// The line.
    pub line: VerdictLog,
    /// Count it in `guardrail_requests_total` (under the line's verdict).
    pub count: bool,
    /// `guardrail_rule_hits_total` increments.
    pub hits: Vec<(String, u64)>,
    /// A `guardrail_check_us` sample.
    pub check_us: Option<u64>,
    /// A `guardrail_failures_total` increment: a check that could not run.
    pub failure: Option<Failure>,
}

/// How a request whose check could not run was treated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Failure {
    /// Refused (fail closed).
    Closed,
    /// Let through with the check skipped (fail open, by the admin's policy).
    Open,
}

impl Report {
    /// A counted line with no rule hits.
    pub fn new(line: VerdictLog) -> Self {
        Report {
            line,
            count: true,
            hits: Vec::new(),
            check_us: None,
            failure: None,
        }
    }

    /// Counted as a check that could not run, treated as `failure`.
    pub fn failure(mut self, failure: Failure) -> Self {
        self.failure = Some(failure);
        self
    }

    /// Not counted in `guardrail_requests_total`.
    pub fn uncounted(mut self) -> Self {
        self.count = false;
        self
    }

    /// Add `n` hits of `rule`.
    pub fn hit(mut self, rule: &str, n: u64) -> Self {
        self.hits.push((rule.to_string(), n));
        self
    }

    /// One hit of each of `rules`.
    pub fn hits<'r>(mut self, rules: impl IntoIterator<Item = &'r str>) -> Self {
        self.hits
            .extend(rules.into_iter().map(|rule| (rule.to_string(), 1)));
        self
    }

    /// With a check duration.
    pub fn check_us(mut self, micros: u64) -> Self {
        self.check_us = Some(micros);
        self
    }
}

/// What a hook works with: the plugin's per-request state, the request head, and the verdict
/// lines it writes (the skeleton logs them, with their metrics, after the hook).
#[derive(Debug)]
pub struct Cx<'a, R> {
    /// The plugin's per-request state.
    pub req: &'a mut R,
    /// The request head (taken in the headers callback).
    pub head: &'a RequestHead,
    /// Verdict lines written so far by this hook.
    pub reports: &'a mut Reports,
    name: &'static str,
    version: &'static str,
}

impl<'a, R> Cx<'a, R> {
    /// The context of one hook of plugin `P`.
    pub fn new<P: Plugin<Request = R>>(
        req: &'a mut R,
        head: &'a RequestHead,
        reports: &'a mut Reports,
    ) -> Self {
        Cx {
            req,
            head,
            reports,
            name: P::NAME,
            version: P::VERSION,
        }
    }

    /// A verdict line for this plugin and request (verdict `allow` until told otherwise), with
    /// the verified caller's key id.
    pub fn line(&self, phase: Phase) -> VerdictLog {
        let line = VerdictLog::new(self.name, self.version, &self.head.request_id, phase);
        match self.key_id() {
            Some(key) => line.key_id(key),
            None => line,
        }
    }

    /// The verified caller's key id.
    pub fn key_id(&self) -> Option<&str> {
        self.head.identity.as_ref().map(|id| id.key_id.as_str())
    }

    /// Write `report`.
    pub fn report(&mut self, report: Report) {
        self.reports.push(report);
    }

    /// The standard refusal line: verdict `block`, the status, the code as the rule.
    pub fn refusal_line(&self, phase: Phase, status: u16, code: &str) -> Report {
        Report::new(self.line(phase).block(status).rule(code))
    }

    /// Send a review item (`review::payload`: ids, rules, paths and hashes, the verified
    /// caller's key id / team / app; the text only with `review::Text::Include`) to `hook`,
    /// held until it answers when `hold`.
    pub fn review(
        &self,
        hook: &Webhook,
        verdict: &crate::verdict::Verdict,
        segments: &[crate::body::Segment],
        text: crate::review::Text,
        hold: bool,
    ) -> Outcome {
        let (id, who) = (&self.head.request_id, self.head.identity.as_ref());
        let payload = crate::review::payload(id, self.name, verdict, segments, who, text);
        Outcome::Call(Call::review(hook, payload, hold))
    }

    /// The standard refusal of a request body that cannot be inspected: the refusal line
    /// (counted as failed closed), then `err` in the provider's shape.
    pub fn refuse(&mut self, err: &BodyError) -> Outcome {
        let line = self.refusal_line(Phase::Request, err.status, err.code);
        self.report(line.failure(Failure::Closed));
        Outcome::from(err)
    }

    /// A policy refusal of the request: the refusal line naming `rule`, then `refusal`.
    pub fn block(&mut self, refusal: Refusal, rule: &str) -> Outcome {
        let line = self.line(Phase::Request).block(refusal.status).rule(rule);
        self.report(Report::new(line));
        Outcome::Refuse(refusal)
    }
}

/// The verdict lines a hook wrote, in order; the skeleton writes them after the hook.
#[derive(Debug, Default)]
pub struct Reports(pub Vec<Report>);

impl Reports {
    /// Add one.
    pub fn push(&mut self, report: Report) {
        self.0.push(report);
    }
}

/// What the skeleton does with the answer (from `response_head`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    /// Not followed.
    Pass,
    /// Buffer it whole (up to `max_bytes`), then `response_whole`.
    Whole {
        /// The buffering limit; over it, `response_refused`.
        max_bytes: usize,
    },
    /// Each chunk to `response_chunk` as it passes.
    Chunks,
    /// Replace the whole body with this (headers already rewritten): sent with the last chunk.
    Replace(Vec<u8>),
}

/// What happens to one chunk of a followed answer (`response_chunk`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Chunk {
    /// The chunk goes on as it came.
    Keep,
    /// The chunk is replaced by these bytes.
    Replace(Vec<u8>),
    /// The chunk is replaced by these bytes and the rest of the answer is dropped.
    End(Vec<u8>),
    /// The chunk goes on as it came and the rest is no longer followed.
    Stop,
}

/// What the skeleton knows when the answer's headers arrive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ResponseHead {
    /// The answer has no body.
    pub no_body: bool,
    /// The answer is this plugin's own refusal (not the provider's).
    pub refused: bool,
}

/// A guardrail plugin. `Request` is its per-request state; every hook gets a [`Cx`] (state, head,
/// verdict lines). The defaults do nothing (pass), so a plugin implements only its phases.
pub trait Plugin: Sized + 'static {
    /// Name in logs and metrics, e.g. `template-detector`.
    const NAME: &'static str;
    /// Version in the verdict line (`env!("CARGO_PKG_VERSION")`).
    const VERSION: &'static str;
    /// Per-request state (a new request starts from `Default`).
    type Request: Default;

    /// Parse the plugin configuration (once, in `on_configure`); an error refuses to start,
    /// logged at Critical as `<name>: invalid configuration: <error>`.
    fn configure(raw: &[u8]) -> Result<Self, String>;

    /// The request body limit (over it: 413).
    fn max_body_bytes(&self) -> usize;

    /// The secret shared with key-auth: the skeleton then verifies `x-guardrail-identity`
    /// into [`RequestHead::identity`] (unsigned or forged: none).
    fn identity_secret(&self) -> Option<&[u8]> {
        None
    }

    /// Decide on the request head: `Body` to see the whole body.
    fn request_head(&self, cx: &mut Cx<'_, Self::Request>) -> Outcome;

    /// Decide on the whole request body.
    fn request_body(&self, _cx: &mut Cx<'_, Self::Request>, _body: &mut Body<'_>) -> Outcome {
        Outcome::Continue
    }

    /// The body could not be collected (413 over the limit, 500 unreadable): refuse by
    /// default, with the standard refusal line.
    fn body_refused(&self, cx: &mut Cx<'_, Self::Request>, err: &BodyError) -> Outcome {
        cx.refuse(err)
    }

    /// A held [`Call`] ended.
    fn call_answer(&self, _cx: &mut Cx<'_, Self::Request>, _reply: Reply) -> Outcome {
        Outcome::Continue
    }

    /// The answer's headers (rewrite them with `host::set_response_header`).
    fn response_head(&self, _cx: &mut Cx<'_, Self::Request>, _response: &ResponseHead) -> Answer {
        Answer::Pass
    }

    /// The whole buffered answer (`Answer::Whole`): `Some(bytes)` replaces it.
    fn response_whole(&self, _cx: &mut Cx<'_, Self::Request>, _raw: &[u8]) -> Option<Vec<u8>> {
        None
    }

    /// The answer could not be buffered (`err`): `Some(bytes)` replaces what is held and
    /// drops the rest; `None` lets it go on unfollowed.
    fn response_refused(
        &self,
        _cx: &mut Cx<'_, Self::Request>,
        _err: BodyError,
    ) -> Option<Vec<u8>> {
        None
    }

    /// One chunk of a followed answer (`Answer::Chunks`).
    fn response_chunk(
        &self,
        _cx: &mut Cx<'_, Self::Request>,
        _chunk: &[u8],
        _end_of_stream: bool,
    ) -> Chunk {
        Chunk::Stop
    }

    /// The exchange is over (access-log time).
    fn done(&self, _cx: &mut Cx<'_, Self::Request>) {}
}
