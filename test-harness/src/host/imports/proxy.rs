//! Root-level proxy-wasm imports: logging, clock, tick, properties, shared data and queues,
//! metrics, context switching and the odd ones (`proxy_done`, foreign functions).

use wasmtime::{Caller, Linker};

use crate::host::abi::{self, status};
use crate::host::memory::{
    finish, read, read_string, refuse, return_bytes, write_u32, write_u64, AbiResult,
};
use crate::host::state::{HostState, LogLevel, Metric};

type C<'a> = Caller<'a, HostState>;

pub(crate) fn link(l: &mut Linker<HostState>) -> wasmtime::Result<()> {
    l.func_wrap(
        "env",
        "proxy_log",
        |mut c: C, level: i32, ptr: i32, len: i32| finish(log(&mut c, level, ptr, len)),
    )?;
    l.func_wrap("env", "proxy_get_log_level", |mut c: C, ret: i32| {
        let level = c.data().log_level.to_abi() as u32;
        finish(write_u32(&mut c, ret, level))
    })?;
    l.func_wrap(
        "env",
        "proxy_get_current_time_nanoseconds",
        |mut c: C, ret: i32| {
            if !c.data().profile.has_clock() {
                return finish(refuse(status::UNIMPLEMENTED));
            }
            let t = c.data_mut().read_clock();
            finish(write_u64(&mut c, ret, t))
        },
    )?;
    l.func_wrap(
        "env",
        "proxy_set_tick_period_milliseconds",
        |mut c: C, ms: i32| {
            if !c.data().profile.has_tick() {
                return finish(refuse(status::UNIMPLEMENTED));
            }
            c.data_mut().tick_period_ms = ms as u32;
            finish(Ok(()))
        },
    )?;
    l.func_wrap(
        "env",
        "proxy_get_property",
        |mut c: C, p: i32, pl: i32, ret: i32, ret_size: i32| {
            finish(get_property(&mut c, p, pl, ret, ret_size))
        },
    )?;
    l.func_wrap(
        "env",
        "proxy_set_property",
        |mut c: C, p: i32, pl: i32, v: i32, vl: i32| finish(set_property(&mut c, p, pl, v, vl)),
    )?;
    l.func_wrap(
        "env",
        "proxy_get_shared_data",
        |mut c: C, k: i32, kl: i32, ret: i32, ret_size: i32, ret_cas: i32| {
            finish(get_shared(&mut c, k, kl, ret, ret_size, ret_cas))
        },
    )?;
    l.func_wrap(
        "env",
        "proxy_set_shared_data",
        |mut c: C, k: i32, kl: i32, v: i32, vl: i32, cas: i32| {
            finish(set_shared(&mut c, k, kl, v, vl, cas))
        },
    )?;
    // Shared queues are not simulated: every host call answers Unimplemented.
    l.func_wrap(
        "env",
        "proxy_register_shared_queue",
        |_: C, _: i32, _: i32, _: i32| status::UNIMPLEMENTED as i32,
    )?;
    l.func_wrap(
        "env",
        "proxy_resolve_shared_queue",
        |_: C, _: i32, _: i32, _: i32, _: i32, _: i32| status::UNIMPLEMENTED as i32,
    )?;
    l.func_wrap(
        "env",
        "proxy_enqueue_shared_queue",
        |_: C, _: i32, _: i32, _: i32| status::UNIMPLEMENTED as i32,
    )?;
    l.func_wrap(
        "env",
        "proxy_dequeue_shared_queue",
        |_: C, _: i32, _: i32, _: i32| status::UNIMPLEMENTED as i32,
    )?;
    l.func_wrap(
        "env",
        "proxy_define_metric",
        |mut c: C, kind: i32, n: i32, nl: i32, ret: i32| {
            finish(define_metric(&mut c, kind, n, nl, ret))
        },
    )?;
    l.func_wrap(
        "env",
        "proxy_increment_metric",
        |mut c: C, id: i32, by: i64| finish(update_metric(&mut c, id, Update::Increment(by))),
    )?;
    l.func_wrap("env", "proxy_record_metric", |mut c: C, id: i32, v: i64| {
        finish(update_metric(&mut c, id, Update::Record(v as u64)))
    })?;
    l.func_wrap("env", "proxy_get_metric", |mut c: C, id: i32, ret: i32| {
        let value = c.data().metrics.get(id as u32 as usize).map(|m| m.value);
        match value {
            Some(v) => finish(write_u64(&mut c, ret, v as u64)),
            None => finish(refuse(status::NOT_FOUND)),
        }
    })?;
    l.func_wrap("env", "proxy_set_effective_context", |mut c: C, id: i32| {
        let id = id as u32;
        let s = c.data_mut();
        if id == s.root_id || s.streams.contains_key(&id) {
            s.current = id;
            status::OK as i32
        } else {
            status::BAD_ARGUMENT as i32
        }
    })?;
    l.func_wrap("env", "proxy_done", |_: C| status::OK as i32)?;
    l.func_wrap(
        "env",
        "proxy_call_foreign_function",
        |_: C, _: i32, _: i32, _: i32, _: i32, _: i32, _: i32| status::NOT_FOUND as i32,
    )?;
    Ok(())
}

fn log(c: &mut C, level: i32, ptr: i32, len: i32) -> AbiResult {
    let Some(level) = LogLevel::from_abi(level) else {
        return refuse(status::BAD_ARGUMENT);
    };
    let msg = read_string(c, ptr, len)?;
    c.data_mut().logs.push((level, msg));
    Ok(())
}

/// Property lookup: the current stream's own properties, then derived request/response
/// facts, then the host-wide ones given to the builder.
fn get_property(c: &mut C, p: i32, pl: i32, ret: i32, ret_size: i32) -> AbiResult {
    let path = abi::property_path(&read(c, p, pl)?);
    let s = c.data_mut();
    let value = s
        .stream()
        .and_then(|st| {
            st.properties
                .get(&path)
                .cloned()
                .or_else(|| derived(st, &path))
        })
        .or_else(|| s.properties.get(&path).cloned());
    match value {
        Some(v) => return_bytes(c, &v, ret, ret_size),
        None => refuse(status::NOT_FOUND),
    }
}

/// Envoy attributes the harness can answer from the stream's own headers.
fn derived(st: &crate::host::state::Stream, path: &str) -> Option<Vec<u8>> {
    let header = |map: &[(String, String)], name: &str| {
        map.iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_bytes().to_vec())
    };
    let req = &st.request.headers;
    match path {
        "request.path" => header(req, ":path"),
        "request.method" => header(req, ":method"),
        "request.host" => header(req, ":authority"),
        "request.scheme" => header(req, ":scheme"),
        "request.id" => header(req, "x-request-id"),
        "response.code" => header(&st.response.headers, ":status")
            .and_then(|v| String::from_utf8(v).ok()?.parse::<u64>().ok())
            .map(|n| n.to_le_bytes().to_vec()),
        _ => None,
    }
}

fn set_property(c: &mut C, p: i32, pl: i32, v: i32, vl: i32) -> AbiResult {
    let path = abi::property_path(&read(c, p, pl)?);
    let value = read(c, v, vl)?;
    let s = c.data_mut();
    match s.stream() {
        Some(st) => st.properties.insert(path, value),
        None => s.properties.insert(path, value),
    };
    Ok(())
}

fn get_shared(c: &mut C, k: i32, kl: i32, ret: i32, ret_size: i32, ret_cas: i32) -> AbiResult {
    if !c.data().profile.has_shared_data() {
        return refuse(status::UNIMPLEMENTED);
    }
    let key = read_string(c, k, kl)?;
    match c.data().shared.get(&key) {
        Some((value, cas)) => {
            return_bytes(c, &value, ret, ret_size)?;
            write_u32(c, ret_cas, cas)
        }
        None => refuse(status::NOT_FOUND),
    }
}

fn set_shared(c: &mut C, k: i32, kl: i32, v: i32, vl: i32, cas: i32) -> AbiResult {
    if !c.data().profile.has_shared_data() {
        return refuse(status::UNIMPLEMENTED);
    }
    let key = read_string(c, k, kl)?;
    let value = read(c, v, vl)?;
    match c.data().shared.set(&key, &value, cas as u32) {
        status::OK => Ok(()),
        s => refuse(s),
    }
}

fn define_metric(c: &mut C, kind: i32, n: i32, nl: i32, ret: i32) -> AbiResult {
    if !matches!(
        kind,
        abi::METRIC_COUNTER | abi::METRIC_GAUGE | abi::METRIC_HISTOGRAM
    ) {
        return refuse(status::BAD_ARGUMENT);
    }
    let name = read_string(c, n, nl)?;
    let metrics = &mut c.data_mut().metrics;
    // Envoy: defining the same name again returns the same metric.
    let id = match metrics
        .iter()
        .position(|m| m.name == name && m.kind == kind)
    {
        Some(i) => i,
        None => {
            metrics.push(Metric {
                name,
                kind,
                value: 0,
                samples: Vec::new(),
            });
            metrics.len() - 1
        }
    };
    write_u32(c, ret, id as u32)
}

enum Update {
    Increment(i64),
    Record(u64),
}

/// Envoy: increment works on counters and gauges; record sets a gauge, adds to a counter and
/// records a histogram sample (the harness keeps samples; the value is their count).
fn update_metric(c: &mut C, id: i32, update: Update) -> AbiResult {
    let Some(m) = c.data_mut().metrics.get_mut(id as u32 as usize) else {
        return refuse(status::NOT_FOUND);
    };
    match (m.kind, update) {
        (abi::METRIC_HISTOGRAM, Update::Increment(_)) => return refuse(status::BAD_ARGUMENT),
        (abi::METRIC_COUNTER, Update::Increment(by)) if by < 0 => {
            return refuse(status::BAD_ARGUMENT)
        }
        (_, Update::Increment(by)) => m.value = m.value.saturating_add(by),
        (abi::METRIC_GAUGE, Update::Record(v)) => m.value = v as i64,
        (abi::METRIC_COUNTER, Update::Record(v)) => m.value = m.value.saturating_add(v as i64),
        (_, Update::Record(v)) => {
            m.samples.push(v);
            m.value = m.samples.len() as i64;
        }
    }
    Ok(())
}
