//! HTTP-stream imports: header maps, body buffers, local replies, continue/close and
//! outgoing http calls. Which map or buffer a callback may touch follows Envoy (see
//! `Stream::map`); outside its phase a map answers as Envoy 1.40 does (probed).

use wasmtime::{Caller, Linker};

use crate::host::abi::{self, status, BufferType, MapType};
use crate::host::memory::{finish, read, read_string, refuse, return_bytes, write_u32, AbiResult};
use crate::host::state::{HostState, HttpCall, LocalReply, Phase, Stream};

type C<'a> = Caller<'a, HostState>;

pub(crate) fn link(l: &mut Linker<HostState>) -> wasmtime::Result<()> {
    l.func_wrap(
        "env",
        "proxy_get_header_map_pairs",
        |mut c: C, map: i32, ret: i32, ret_size: i32| finish(get_pairs(&mut c, map, ret, ret_size)),
    )?;
    l.func_wrap(
        "env",
        "proxy_set_header_map_pairs",
        |mut c: C, map: i32, p: i32, pl: i32| finish(set_pairs(&mut c, map, p, pl)),
    )?;
    l.func_wrap(
        "env",
        "proxy_get_header_map_size",
        |mut c: C, map: i32, ret: i32| {
            let size = match pairs_of(&mut c, map) {
                Ok(p) => abi::serialize_pairs(&p).len() as u32,
                Err(e) => return finish(Err(e)),
            };
            finish(write_u32(&mut c, ret, size))
        },
    )?;
    l.func_wrap(
        "env",
        "proxy_get_header_map_value",
        |mut c: C, map: i32, k: i32, kl: i32, ret: i32, ret_size: i32| {
            finish(get_value(&mut c, map, k, kl, ret, ret_size))
        },
    )?;
    l.func_wrap(
        "env",
        "proxy_add_header_map_value",
        |mut c: C, map: i32, k: i32, kl: i32, v: i32, vl: i32| {
            finish(edit(&mut c, map, k, kl, Some((v, vl)), Edit::Add))
        },
    )?;
    l.func_wrap(
        "env",
        "proxy_replace_header_map_value",
        |mut c: C, map: i32, k: i32, kl: i32, v: i32, vl: i32| {
            finish(edit(&mut c, map, k, kl, Some((v, vl)), Edit::Replace))
        },
    )?;
    l.func_wrap(
        "env",
        "proxy_remove_header_map_value",
        |mut c: C, map: i32, k: i32, kl: i32| finish(edit(&mut c, map, k, kl, None, Edit::Remove)),
    )?;
    l.func_wrap(
        "env",
        "proxy_get_buffer_bytes",
        |mut c: C, buf: i32, start: i32, max: i32, ret: i32, ret_size: i32| {
            finish(get_buffer(&mut c, buf, start, max, ret, ret_size))
        },
    )?;
    l.func_wrap(
        "env",
        "proxy_get_buffer_status",
        |mut c: C, buf: i32, ret_len: i32, ret_flags: i32| {
            let len = match buffer_of(&mut c, buf) {
                Ok(b) => b.len() as u32,
                Err(e) => return finish(Err(e)),
            };
            finish(write_u32(&mut c, ret_len, len).and_then(|_| write_u32(&mut c, ret_flags, 0)))
        },
    )?;
    l.func_wrap(
        "env",
        "proxy_set_buffer_bytes",
        |mut c: C, buf: i32, start: i32, size: i32, d: i32, dl: i32| {
            finish(set_buffer(&mut c, buf, start, size, d, dl))
        },
    )?;
    l.func_wrap(
        "env",
        "proxy_send_local_response",
        |mut c: C, code: i32, d: i32, dl: i32, b: i32, bl: i32, h: i32, hl: i32, _grpc: i32| {
            finish(local_response(&mut c, code, (d, dl), (b, bl), (h, hl)))
        },
    )?;
    l.func_wrap("env", "proxy_continue_stream", |mut c: C, which: i32| {
        finish(continue_stream(&mut c, which))
    })?;
    l.func_wrap("env", "proxy_close_stream", |mut c: C, _which: i32| {
        finish(match c.data_mut().stream() {
            Some(st) => {
                st.ended = true;
                st.reset = true;
                Ok(())
            }
            None => refuse(status::NOT_FOUND),
        })
    })?;
    l.func_wrap(
        "env",
        "proxy_http_call",
        |mut c: C,
         u: i32,
         ul: i32,
         h: i32,
         hl: i32,
         b: i32,
         bl: i32,
         t: i32,
         tl: i32,
         timeout: i32,
         ret: i32| {
            finish(http_call(
                &mut c,
                [(u, ul), (h, hl), (b, bl), (t, tl)],
                timeout,
                ret,
            ))
        },
    )?;
    Ok(())
}

fn map_type(map: i32) -> AbiResult<MapType> {
    MapType::from_abi(map).map_or_else(|| refuse(status::BAD_ARGUMENT), Ok)
}

/// A copy of header map `map`, `None` when the current phase cannot see it.
fn visible_pairs(c: &mut C, map: MapType) -> Option<Vec<(String, String)>> {
    let s = c.data_mut();
    match map {
        MapType::HttpCallResponseHeaders => s.call_response.as_ref().map(|r| r.headers.clone()),
        MapType::HttpCallResponseTrailers => s.call_response.as_ref().map(|r| r.trailers.clone()),
        _ => s.stream().and_then(|st| st.map(map)).cloned(),
    }
}

/// Envoy 1.40 (probed): a map outside its phase answers BadArgument to value reads and edits.
fn pairs_of(c: &mut C, map: i32) -> AbiResult<Vec<(String, String)>> {
    let map = map_type(map)?;
    visible_pairs(c, map).map_or_else(|| refuse(status::BAD_ARGUMENT), Ok)
}

fn get_pairs(c: &mut C, map: i32, ret: i32, ret_size: i32) -> AbiResult {
    let map = map_type(map)?;
    match visible_pairs(c, map) {
        Some(pairs) => return_bytes(c, &abi::serialize_pairs(&pairs), ret, ret_size),
        // Envoy 1.40 (probed): outside its phase the pairs are Ok with no data at all.
        None => {
            write_u32(c, ret, 0)?;
            write_u32(c, ret_size, 0)
        }
    }
}

/// A map the current callback may edit. Envoy 1.40 (probed): in `proxy_on_log` the maps are
/// readable but edits answer BadArgument.
fn writable_map(s: &mut HostState, map: MapType) -> AbiResult<&mut Vec<(String, String)>> {
    let stream = s.stream().filter(|st| st.phase != Phase::Log);
    match stream.and_then(|st| st.map(map)) {
        Some(m) => Ok(m),
        None => refuse(status::BAD_ARGUMENT),
    }
}

fn set_pairs(c: &mut C, map: i32, p: i32, pl: i32) -> AbiResult {
    let map = map_type(map)?;
    let Some(pairs) = abi::deserialize_pairs(&read(c, p, pl)?) else {
        return refuse(status::BAD_ARGUMENT);
    };
    let m = writable_map(c.data_mut(), map)?;
    *m = pairs
        .into_iter()
        .map(|(k, v)| (k.to_ascii_lowercase(), v))
        .collect();
    Ok(())
}

fn get_value(c: &mut C, map: i32, k: i32, kl: i32, ret: i32, ret_size: i32) -> AbiResult {
    let key = read_string(c, k, kl)?;
    let pairs = pairs_of(c, map)?;
    match pairs
        .iter()
        .find(|(name, _)| name.eq_ignore_ascii_case(&key))
    {
        Some((_, v)) => {
            let v = v.clone();
            return_bytes(c, v.as_bytes(), ret, ret_size)
        }
        None => refuse(status::NOT_FOUND),
    }
}

enum Edit {
    Add,
    Replace,
    Remove,
}

fn edit(c: &mut C, map: i32, k: i32, kl: i32, value: Option<(i32, i32)>, how: Edit) -> AbiResult {
    let map = map_type(map)?;
    let key = read_string(c, k, kl)?.to_ascii_lowercase();
    let value = match value {
        Some((v, vl)) => read_string(c, v, vl)?,
        None => String::new(),
    };
    let m = writable_map(c.data_mut(), map)?;
    match how {
        Edit::Add => m.push((key, value)),
        Edit::Remove => m.retain(|(name, _)| *name != key),
        Edit::Replace => match m.iter().position(|(name, _)| *name == key) {
            Some(first) => {
                m[first].1 = value;
                let mut i = 0;
                m.retain(|(name, _)| {
                    i += 1;
                    i - 1 == first || *name != key
                });
            }
            None => m.push((key, value)),
        },
    }
    Ok(())
}

fn body_visible(st: &Stream, request: bool) -> bool {
    use Phase::*;
    let dir = if request { &st.request } else { &st.response };
    match st.phase {
        RequestBody | RequestTrailers => request,
        ResponseBody | ResponseTrailers => !request,
        HttpCallResponse => !dir.buffered.is_empty(),
        _ => false,
    }
}

/// A copy of the bytes of buffer `buf` as the current callback sees them.
fn buffer_of(c: &mut C, buf: i32) -> AbiResult<Vec<u8>> {
    let Some(buf) = BufferType::from_abi(buf) else {
        return refuse(status::BAD_ARGUMENT);
    };
    let s = c.data_mut();
    match buf {
        BufferType::VmConfiguration => Ok(s.vm_config.clone()),
        BufferType::PluginConfiguration => Ok(s.plugin_config.clone()),
        BufferType::HttpCallResponseBody => s
            .call_response
            .as_ref()
            .map_or_else(|| refuse(status::NOT_FOUND), |r| Ok(r.body.clone())),
        BufferType::RequestBody | BufferType::ResponseBody => {
            let request = buf == BufferType::RequestBody;
            match s.stream() {
                Some(st) if body_visible(st, request) => Ok(if request {
                    st.request.buffered.clone()
                } else {
                    st.response.buffered.clone()
                }),
                // Envoy 1.40 (probed): a body outside its callbacks reads as Ok and empty.
                Some(_) => Ok(Vec::new()),
                None => refuse(status::NOT_FOUND),
            }
        }
    }
}

fn get_buffer(c: &mut C, buf: i32, start: i32, max: i32, ret: i32, ret_size: i32) -> AbiResult {
    let bytes = buffer_of(c, buf)?;
    let start = start as u32 as usize;
    let end = start.saturating_add(max as u32 as usize).min(bytes.len());
    let slice = bytes.get(start..end).unwrap_or_default();
    if slice.is_empty() {
        // Envoy (proxy-wasm-cpp-host): nothing to copy -> Ok, no allocation.
        write_u32(c, ret, 0)?;
        return write_u32(c, ret_size, 0);
    }
    return_bytes(c, slice, ret, ret_size)
}

fn set_buffer(c: &mut C, buf: i32, start: i32, size: i32, d: i32, dl: i32) -> AbiResult {
    if !c.data().profile.can_set_body() {
        return refuse(status::UNIMPLEMENTED);
    }
    let request = match BufferType::from_abi(buf) {
        Some(BufferType::RequestBody) => true,
        Some(BufferType::ResponseBody) => false,
        _ => return refuse(status::BAD_ARGUMENT),
    };
    let data = read(c, d, dl)?;
    let Some(st) = c.data_mut().stream() else {
        return refuse(status::NOT_FOUND);
    };
    if !body_visible(st, request) {
        return refuse(status::NOT_FOUND);
    }
    let body = if request {
        &mut st.request.buffered
    } else {
        &mut st.response.buffered
    };
    // Envoy 1.40 (probed, `Buffer::copyFrom`): start 0 drops `size` bytes from the front and
    // prepends the data; a start at or beyond the end appends; anything else is BadArgument.
    let start = start as u32 as usize;
    if start == 0 {
        let drop = (size as u32 as usize).min(body.len());
        body.splice(0..drop, data);
    } else if start >= body.len() {
        body.extend_from_slice(&data);
    } else {
        return refuse(status::BAD_ARGUMENT);
    }
    Ok(())
}

fn local_response(
    c: &mut C,
    code: i32,
    details: (i32, i32),
    body: (i32, i32),
    headers: (i32, i32),
) -> AbiResult {
    let details = read_string(c, details.0, details.1)?;
    let body = read(c, body.0, body.1)?;
    let Some(headers) = abi::deserialize_pairs(&read(c, headers.0, headers.1)?) else {
        return refuse(status::BAD_ARGUMENT);
    };
    let Some(st) = c.data_mut().stream() else {
        return refuse(status::NOT_FOUND);
    };
    if st.local_reply.is_none() {
        // Envoy: once the response headers went downstream, a local reply resets the stream.
        st.reset = st.response.headers_released;
        st.local_reply = Some(LocalReply {
            status: code as u32,
            headers,
            body,
            details,
        });
    }
    st.ended = true;
    Ok(())
}

fn continue_stream(c: &mut C, which: i32) -> AbiResult {
    let profile = c.data().profile;
    let Some(st) = c.data_mut().stream() else {
        return refuse(status::NOT_FOUND);
    };
    match which {
        abi::STREAM_REQUEST => st.request.release(),
        abi::STREAM_RESPONSE if profile.can_continue_response() => st.response.release(),
        abi::STREAM_RESPONSE => return refuse(status::UNIMPLEMENTED),
        _ => return refuse(status::BAD_ARGUMENT),
    }
    st.continued = true;
    Ok(())
}

fn http_call(c: &mut C, parts: [(i32, i32); 4], timeout: i32, ret: i32) -> AbiResult {
    let [u, h, b, t] = parts;
    let upstream = read_string(c, u.0, u.1)?;
    let headers = abi::deserialize_pairs(&read(c, h.0, h.1)?);
    let body = read(c, b.0, b.1)?;
    let trailers = abi::deserialize_pairs(&read(c, t.0, t.1)?);
    let (Some(headers), Some(trailers)) = (headers, trailers) else {
        return refuse(status::BAD_ARGUMENT);
    };
    // Envoy refuses a call without an upstream or without :method, :path and :authority.
    let has = |name: &str| headers.iter().any(|(k, v)| k == name && !v.is_empty());
    if upstream.is_empty() || !(has(":method") && has(":path") && has(":authority")) {
        return refuse(status::BAD_ARGUMENT);
    }
    let s = c.data_mut();
    let token = s.next_token;
    s.next_token += 1;
    let context_id = s.current;
    s.pending_calls.push(HttpCall {
        token,
        upstream,
        headers,
        body,
        trailers,
        timeout_ms: timeout as u32,
        context_id,
    });
    write_u32(c, ret, token)
}
