//! The few WASI preview1 imports a proxy-wasm plugin built for wasm32-wasip1 needs, by hand
//! (no wasmtime-wasi): stdout/stderr are captured, no environment or arguments, a
//! deterministic `random_get`, the host's controllable clock, `proc_exit` traps.

use wasmtime::{Caller, Linker};

use crate::host::abi::errno;
use crate::host::memory::{read, write, write_u32, write_u64, AbiResult, Fail};
use crate::host::state::HostState;

type C<'a> = Caller<'a, HostState>;
const M: &str = "wasi_snapshot_preview1";

fn errno_of(r: AbiResult) -> wasmtime::Result<i32> {
    match r {
        Ok(()) => Ok(errno::SUCCESS),
        Err(Fail::Status(_)) => Ok(errno::FAULT),
        Err(Fail::Trap(e)) => Err(e),
    }
}

pub(crate) fn link(l: &mut Linker<HostState>) -> wasmtime::Result<()> {
    l.func_wrap(
        M,
        "fd_write",
        |mut c: C, fd: i32, iovs: i32, n: i32, ret: i32| {
            if fd != 1 && fd != 2 {
                return Ok(errno::BADF);
            }
            errno_of(fd_write(&mut c, iovs, n, ret))
        },
    )?;
    l.func_wrap(M, "random_get", |mut c: C, buf: i32, len: i32| {
        let mut bytes = Vec::with_capacity(len as u32 as usize);
        while bytes.len() < len as u32 as usize {
            bytes.extend_from_slice(&c.data_mut().next_random().to_le_bytes());
        }
        bytes.truncate(len as u32 as usize);
        errno_of(write(&mut c, buf, &bytes))
    })?;
    l.func_wrap(
        M,
        "clock_time_get",
        |mut c: C, id: i32, _prec: i64, ret: i32| {
            if !(0..=3).contains(&id) {
                return Ok(errno::INVAL);
            }
            let t = c.data_mut().read_clock();
            errno_of(write_u64(&mut c, ret, t))
        },
    )?;
    l.func_wrap(M, "clock_res_get", |mut c: C, _id: i32, ret: i32| {
        errno_of(write_u64(&mut c, ret, 1))
    })?;
    for (get, sizes) in [
        ("environ_get", "environ_sizes_get"),
        ("args_get", "args_sizes_get"),
    ] {
        l.func_wrap(M, get, |_: C, _: i32, _: i32| errno::SUCCESS)?;
        l.func_wrap(M, sizes, |mut c: C, count: i32, size: i32| {
            errno_of(write_u32(&mut c, count, 0).and_then(|_| write_u32(&mut c, size, 0)))
        })?;
    }
    l.func_wrap(M, "proc_exit", |_: C, code: i32| -> wasmtime::Result<()> {
        Err(wasmtime::Error::msg(format!("proc_exit({code})")))
    })?;
    l.func_wrap(M, "sched_yield", |_: C| errno::SUCCESS)?;
    Ok(())
}

fn fd_write(c: &mut C, iovs: i32, n: i32, ret: i32) -> AbiResult {
    let mut total = 0u32;
    for i in 0..n.max(0) {
        let iov = read(c, iovs.wrapping_add(i * 8), 8)?;
        let ptr = i32::from_le_bytes([iov[0], iov[1], iov[2], iov[3]]);
        let len = i32::from_le_bytes([iov[4], iov[5], iov[6], iov[7]]);
        let data = read(c, ptr, len)?;
        total = total.wrapping_add(data.len() as u32);
        c.data_mut().stdio.extend_from_slice(&data);
    }
    write_u32(c, ret, total)
}
