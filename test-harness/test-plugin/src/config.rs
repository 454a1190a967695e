//! Configuration of the hostcalls test plugin: a flat JSON object with known keys only.
//!
//! The crate depends on proxy-wasm alone, so this is a tiny hand-written parser for
//! `{"key": "string" | integer | true | false | null, ...}`. Errors name the field.

/// What the plugin does with each request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Continue in every callback; touch nothing.
    Pass,
    /// Copy every request header into the response as `x-echo-<name>`, add `x-hostcalls: seen` upstream.
    EchoHeaders,
    /// Local reply `status` with `body` (when `needle` is set: only if a request or response
    /// body contains it; on the response side Envoy then resets the stream).
    Block,
    /// Buffer each body to its end, replace `needle` by `replacement` in it.
    RewriteBody,
    /// Log every callback with its arguments, the clock and a few properties.
    Log,
    /// Call `upstream` from the request headers, resume or refuse on its answer.
    HttpCall,
    /// Count requests in shared data `key` with compare-and-swap, add `x-shared-count` upstream.
    SharedData,
    /// Ask for a tick every `tick_ms`; each tick logs its number and the clock.
    Tick,
    /// Define and update a counter, a gauge and a histogram per request.
    Metrics,
    /// Trap (wasm `unreachable`) in the request headers callback.
    Trap,
    /// Hold the response body to its end, then release it with `proxy_continue_stream`.
    ResumeResponse,
    /// Buffer the request body, then edit ranges of it with `proxy_set_buffer_bytes` (middle,
    /// at the end, beyond the end, at the start) and log the statuses and the result.
    EditRanges,
    /// Make one kind of host call (`call`) `repeat` times per request: `harness bench --price`
    /// divides the CPU it adds over the no-op plugin by `repeat` to price that call in Envoy.
    Price,
}

/// The host call that mode `price` repeats.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PriceCall {
    /// Nothing (the no-op, for a check of the method).
    Nothing,
    /// `proxy_get_header_map_value` of `user-agent`.
    HeaderGet,
    /// `proxy_replace_header_map_value` of `x-price`.
    HeaderSet,
    /// `proxy_remove_header_map_value` of an absent header.
    HeaderRemove,
    /// `proxy_get_header_map_pairs` of the request headers.
    HeadersAll,
    /// `proxy_get_shared_data` of `key`.
    SharedGet,
    /// `proxy_get_shared_data` + `proxy_set_shared_data` with its cas.
    SharedCas,
    /// `proxy_log` at Info of a ~300-byte line (Envoy writes it at log level info).
    LogInfo,
    /// `proxy_log` at Debug of the same line (Envoy drops it at log level info).
    LogDebug,
    /// `proxy_increment_metric` of a counter.
    Counter,
    /// `proxy_record_metric` of a histogram.
    Histogram,
    /// `proxy_get_current_time_nanoseconds`.
    Time,
    /// `proxy_get_property` of `request.path`.
    Property,
    /// Pause the request body to its end (Envoy buffers it), then read it `repeat` times.
    BufferBody,
}

impl PriceCall {
    pub const ALL: [(&'static str, PriceCall); 14] = [
        ("nothing", PriceCall::Nothing),
        ("header_get", PriceCall::HeaderGet),
        ("header_set", PriceCall::HeaderSet),
        ("header_remove", PriceCall::HeaderRemove),
        ("headers_all", PriceCall::HeadersAll),
        ("shared_get", PriceCall::SharedGet),
        ("shared_cas", PriceCall::SharedCas),
        ("log_info", PriceCall::LogInfo),
        ("log_debug", PriceCall::LogDebug),
        ("counter", PriceCall::Counter),
        ("histogram", PriceCall::Histogram),
        ("time", PriceCall::Time),
        ("property", PriceCall::Property),
        ("buffer_body", PriceCall::BufferBody),
    ];

    fn parse(s: &str) -> Option<PriceCall> {
        Self::ALL.iter().find(|(n, _)| *n == s).map(|(_, c)| *c)
    }
}

impl Mode {
    fn parse(s: &str) -> Option<Mode> {
        Some(match s {
            "pass" => Mode::Pass,
            "echo_headers" => Mode::EchoHeaders,
            "block" => Mode::Block,
            "rewrite_body" => Mode::RewriteBody,
            "log" => Mode::Log,
            "http_call" => Mode::HttpCall,
            "shared_data" => Mode::SharedData,
            "tick" => Mode::Tick,
            "metrics" => Mode::Metrics,
            "trap" => Mode::Trap,
            "resume_response" => Mode::ResumeResponse,
            "edit_ranges" => Mode::EditRanges,
            "price" => Mode::Price,
            _ => return None,
        })
    }
}

/// The parsed configuration with its defaults.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Config {
    pub mode: Mode,
    pub status: u32,
    pub body: String,
    pub needle: String,
    pub replacement: String,
    pub key: String,
    pub upstream: String,
    pub tick_ms: u32,
    pub call: PriceCall,
    pub repeat: u32,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            mode: Mode::Pass,
            status: 403,
            body: "blocked by hostcalls-test".to_string(),
            needle: String::new(),
            replacement: String::new(),
            key: "hostcalls_counter".to_string(),
            upstream: "mock".to_string(),
            tick_ms: 1000,
            call: PriceCall::Nothing,
            repeat: 1,
        }
    }
}

/// A JSON value as far as this configuration needs one.
#[derive(Debug, PartialEq)]
enum Value {
    Str(String),
    Int(u64),
    Bool,
    Null,
}

/// Parses the plugin configuration; empty input means `{}`.
pub fn parse(raw: &[u8]) -> Result<Config, String> {
    let mut cfg = Config::default();
    if raw.iter().all(u8::is_ascii_whitespace) {
        return Ok(cfg);
    }
    let mut p = Parser { s: raw, i: 0 };
    for (key, value) in p.object()? {
        let want_str = |v: Value| match v {
            Value::Str(s) => Ok(s),
            _ => Err(format!("{key}: expected a string")),
        };
        let want_u32 = |v: Value| match v {
            Value::Int(n) => u32::try_from(n).map_err(|_| format!("{key}: out of range")),
            _ => Err(format!("{key}: expected an integer")),
        };
        match key.as_str() {
            "mode" => {
                let m = want_str(value)?;
                cfg.mode = Mode::parse(&m).ok_or_else(|| format!("mode: unknown variant `{m}`"))?;
            }
            "status" => cfg.status = want_u32(value)?,
            "body" => cfg.body = want_str(value)?,
            "needle" => cfg.needle = want_str(value)?,
            "replacement" => cfg.replacement = want_str(value)?,
            "key" => cfg.key = want_str(value)?,
            "upstream" => cfg.upstream = want_str(value)?,
            "tick_ms" => cfg.tick_ms = want_u32(value)?,
            "call" => {
                let c = want_str(value)?;
                cfg.call =
                    PriceCall::parse(&c).ok_or_else(|| format!("call: unknown variant `{c}`"))?;
            }
            "repeat" => cfg.repeat = want_u32(value)?,
            other => return Err(format!("unknown field `{other}`")),
        }
    }
    if !(200..=599).contains(&cfg.status) {
        return Err("status: must be 200..=599".to_string());
    }
    if !(1..=10_000).contains(&cfg.repeat) {
        return Err("repeat: must be 1..=10000".to_string());
    }
    Ok(cfg)
}

struct Parser<'a> {
    s: &'a [u8],
    i: usize,
}

impl Parser<'_> {
    fn err(&self, what: &str) -> String {
        format!("invalid JSON at byte {}: {what}", self.i)
    }

    fn ws(&mut self) {
        while self.s.get(self.i).is_some_and(u8::is_ascii_whitespace) {
            self.i += 1;
        }
    }

    fn eat(&mut self, c: u8) -> bool {
        self.ws();
        if self.s.get(self.i) == Some(&c) {
            self.i += 1;
            true
        } else {
            false
        }
    }

    fn object(&mut self) -> Result<Vec<(String, Value)>, String> {
        if !self.eat(b'{') {
            return Err(self.err("expected an object"));
        }
        let mut out = Vec::new();
        if !self.eat(b'}') {
            loop {
                self.ws();
                let key = self.string()?;
                if !self.eat(b':') {
                    return Err(self.err("expected `:`"));
                }
                let value = self.value()?;
                if out.iter().any(|(k, _)| *k == key) {
                    return Err(format!("duplicate field `{key}`"));
                }
                out.push((key, value));
                if self.eat(b'}') {
                    break;
                }
                if !self.eat(b',') {
                    return Err(self.err("expected `,` or `}`"));
                }
            }
        }
        self.ws();
        if self.i != self.s.len() {
            return Err(self.err("trailing characters"));
        }
        Ok(out)
    }

    fn value(&mut self) -> Result<Value, String> {
        self.ws();
        let rest = self.s.get(self.i..).unwrap_or_default();
        for (word, v) in [
            ("true", Value::Bool),
            ("false", Value::Bool),
            ("null", Value::Null),
        ] {
            if rest.starts_with(word.as_bytes()) {
                self.i += word.len();
                return Ok(v);
            }
        }
        match rest.first() {
            Some(b'"') => self.string().map(Value::Str),
            Some(c) if c.is_ascii_digit() => {
                let mut n: u64 = 0;
                while let Some(d) = self.s.get(self.i).filter(|c| c.is_ascii_digit()) {
                    n = n
                        .checked_mul(10)
                        .and_then(|n| n.checked_add(u64::from(d - b'0')))
                        .ok_or_else(|| self.err("number too large"))?;
                    self.i += 1;
                }
                Ok(Value::Int(n))
            }
            _ => Err(self.err("expected a string, a non-negative integer, a bool or null")),
        }
    }

    fn string(&mut self) -> Result<String, String> {
        if self.s.get(self.i) != Some(&b'"') {
            return Err(self.err("expected a string"));
        }
        self.i += 1;
        let mut out = Vec::new();
        loop {
            let Some(&c) = self.s.get(self.i) else {
                return Err(self.err("unterminated string"));
            };
            self.i += 1;
            match c {
                b'"' => break,
                b'\\' => {
                    let e = self.s.get(self.i).copied();
                    self.i += 1;
                    out.push(match e {
                        Some(b'"') => b'"',
                        Some(b'\\') => b'\\',
                        Some(b'/') => b'/',
                        Some(b'n') => b'\n',
                        Some(b't') => b'\t',
                        Some(b'r') => b'\r',
                        _ => return Err(self.err("unsupported escape")),
                    });
                }
                c if c < 0x20 => return Err(self.err("control character in string")),
                c => out.push(c),
            }
        }
        String::from_utf8(out).map_err(|_| self.err("invalid UTF-8"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_known_fields_and_defaults() {
        assert_eq!(parse(b"").unwrap(), Config::default());
        assert_eq!(parse(b" {} ").unwrap(), Config::default());
        let c =
            parse(br#"{"mode":"block","status":451,"body":"no \"way\"","needle":"x","tick_ms":5}"#)
                .unwrap();
        assert_eq!(c.mode, Mode::Block);
        assert_eq!(c.status, 451);
        assert_eq!(c.body, "no \"way\"");
        assert_eq!(c.tick_ms, 5);
        let p = parse(br#"{"mode":"price","call":"shared_cas","repeat":20}"#).unwrap();
        assert_eq!(
            (p.mode, p.call, p.repeat),
            (Mode::Price, PriceCall::SharedCas, 20)
        );
        for (name, call) in PriceCall::ALL {
            let raw = format!(r#"{{"mode":"price","call":"{name}"}}"#);
            assert_eq!(parse(raw.as_bytes()).unwrap().call, call);
        }
    }

    #[test]
    fn errors_name_the_field() {
        let cases: &[(&[u8], &str)] = &[
            (br#"{"bogus": 1}"#, "unknown field `bogus`"),
            (br#"{"mode": "fly"}"#, "mode: unknown variant `fly`"),
            (br#"{"status": "x"}"#, "status: expected an integer"),
            (br#"{"status": 99}"#, "status: must be 200..=599"),
            (br#"{"tick_ms": 99999999999}"#, "tick_ms: out of range"),
            (br#"{"call": "dance"}"#, "call: unknown variant `dance`"),
            (br#"{"repeat": 0}"#, "repeat: must be 1..=10000"),
            (br#"{"mode":"pass","mode":"log"}"#, "duplicate field `mode`"),
            (br#"{"mode": "pass""#, "invalid JSON"),
            (br#"[1]"#, "invalid JSON"),
            (br#"{} x"#, "trailing characters"),
            (br#"{"a\q": 1}"#, "unsupported escape"),
        ];
        for (raw, want) in cases {
            let e = parse(raw).unwrap_err();
            assert!(e.contains(want), "{e} should contain {want}");
        }
    }
}
