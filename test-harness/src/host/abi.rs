//! proxy-wasm ABI 0.2.1 numbers (statuses, map/buffer/stream types, actions) and the header-map
//! wire format, plus the WASI errno values the hand-written WASI imports return.

/// `WasmResult` status codes returned by every `proxy_*` host call.
pub mod status {
    pub const OK: u32 = 0;
    pub const NOT_FOUND: u32 = 1;
    pub const BAD_ARGUMENT: u32 = 2;
    pub const INVALID_MEMORY_ACCESS: u32 = 6;
    pub const CAS_MISMATCH: u32 = 8;
    pub const INTERNAL_FAILURE: u32 = 10;
    /// What a host answers for a call it does not support (APISIX/Kong refusals, stubs).
    pub const UNIMPLEMENTED: u32 = 12;
}

/// WASI preview1 errno values.
pub mod errno {
    pub const SUCCESS: i32 = 0;
    pub const BADF: i32 = 8;
    pub const FAULT: i32 = 21;
    pub const INVAL: i32 = 28;
    pub const NOSYS: i32 = 52;
}

/// `WasmHeaderMapType`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MapType {
    RequestHeaders,
    RequestTrailers,
    ResponseHeaders,
    ResponseTrailers,
    HttpCallResponseHeaders,
    HttpCallResponseTrailers,
}

impl MapType {
    pub fn from_abi(v: i32) -> Option<MapType> {
        Some(match v {
            0 => MapType::RequestHeaders,
            1 => MapType::RequestTrailers,
            2 => MapType::ResponseHeaders,
            3 => MapType::ResponseTrailers,
            6 => MapType::HttpCallResponseHeaders,
            7 => MapType::HttpCallResponseTrailers,
            _ => return None,
        })
    }
}

/// `WasmBufferType`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BufferType {
    RequestBody,
    ResponseBody,
    HttpCallResponseBody,
    VmConfiguration,
    PluginConfiguration,
}

impl BufferType {
    pub fn from_abi(v: i32) -> Option<BufferType> {
        Some(match v {
            0 => BufferType::RequestBody,
            1 => BufferType::ResponseBody,
            4 => BufferType::HttpCallResponseBody,
            6 => BufferType::VmConfiguration,
            7 => BufferType::PluginConfiguration,
            _ => return None,
        })
    }
}

/// `WasmStreamType` of `proxy_continue_stream` / `proxy_close_stream`.
pub const STREAM_REQUEST: i32 = 0;
pub const STREAM_RESPONSE: i32 = 1;

/// `MetricType`.
pub const METRIC_COUNTER: i32 = 0;
pub const METRIC_GAUGE: i32 = 1;
pub const METRIC_HISTOGRAM: i32 = 2;

/// Serialises header pairs: `u32 count`, `count x (u32 key_len, u32 value_len)`, then every key
/// and value followed by a NUL byte (all little-endian).
pub fn serialize_pairs(pairs: &[(String, String)]) -> Vec<u8> {
    let mut out = Vec::new();
    out.extend_from_slice(&(pairs.len() as u32).to_le_bytes());
    for (k, v) in pairs {
        out.extend_from_slice(&(k.len() as u32).to_le_bytes());
        out.extend_from_slice(&(v.len() as u32).to_le_bytes());
    }
    for (k, v) in pairs {
        out.extend_from_slice(k.as_bytes());
        out.push(0);
        out.extend_from_slice(v.as_bytes());
        out.push(0);
    }
    out
}

/// Parses the wire format of [`serialize_pairs`]; `None` when it is malformed. Non-UTF-8 bytes
/// are replaced (lossy), as the harness keeps headers as strings.
pub fn deserialize_pairs(data: &[u8]) -> Option<Vec<(String, String)>> {
    if data.is_empty() {
        return Some(Vec::new());
    }
    let u32_at = |at: usize| -> Option<usize> {
        let b = data.get(at..at.checked_add(4)?)?;
        Some(u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as usize)
    };
    let n = u32_at(0)?;
    let mut sizes = Vec::new();
    for i in 0..n {
        let at = 4 + i.checked_mul(8)?;
        sizes.push((u32_at(at)?, u32_at(at + 4)?));
    }
    let mut pos = 4usize.checked_add(n.checked_mul(8)?)?;
    let mut take = |len: usize| -> Option<String> {
        let s = data.get(pos..pos.checked_add(len)?)?;
        pos = pos.checked_add(len)?.checked_add(1)?;
        Some(String::from_utf8_lossy(s).into_owned())
    };
    let mut out = Vec::with_capacity(sizes.len());
    for (kl, vl) in sizes {
        let k = take(kl)?;
        let v = take(vl)?;
        out.push((k, v));
    }
    Some(out)
}

/// Splits a `proxy_get_property` path (segments separated by NUL) into segments.
pub fn property_path(raw: &[u8]) -> String {
    let text = String::from_utf8_lossy(raw);
    let segs: Vec<&str> = text.split('\0').filter(|s| !s.is_empty()).collect();
    segs.join(".")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pairs_round_trip() {
        let cases: Vec<Vec<(String, String)>> = vec![
            vec![],
            vec![(":path".into(), "/v1".into())],
            vec![
                ("a".into(), "".into()),
                ("".into(), "b".into()),
                ("x-é".into(), "ü".into()),
            ],
        ];
        for pairs in cases {
            assert_eq!(deserialize_pairs(&serialize_pairs(&pairs)), Some(pairs));
        }
    }

    #[test]
    fn malformed_pairs_are_none() {
        let good = serialize_pairs(&[("k".into(), "v".into())]);
        for cut in 1..good.len() - 1 {
            assert_eq!(deserialize_pairs(&good[..cut]), None, "cut at {cut}");
        }
        assert_eq!(deserialize_pairs(&[0xff, 0xff, 0xff, 0xff]), None);
    }

    #[test]
    fn property_paths_join_with_dots() {
        assert_eq!(property_path(b"request\0path\0"), "request.path");
        assert_eq!(property_path(b"plugin_name"), "plugin_name");
    }
}
