//! Guest memory access for the imports: bounds-checked reads and writes of the exported
//! `memory`, and buffers handed to the guest through its own allocator
//! (`proxy_on_memory_allocate`, else `malloc`), as Envoy does.

use wasmtime::{Caller, Extern, Memory};

use super::abi::status;
use super::state::HostState;

/// Why an import did not complete: an ABI status for the guest, or a trap to propagate (the
/// guest's allocator trapped, or `proc_exit`).
pub(crate) enum Fail {
    Status(u32),
    Trap(wasmtime::Error),
}

impl From<wasmtime::Error> for Fail {
    fn from(e: wasmtime::Error) -> Fail {
        Fail::Trap(e)
    }
}

pub(crate) type AbiResult<T = ()> = Result<T, Fail>;

/// Shorthand for an early status return.
pub(crate) fn refuse<T>(code: u32) -> AbiResult<T> {
    Err(Fail::Status(code))
}

/// Turns an import's outcome into what the guest sees: a status code, or a trap.
pub(crate) fn finish(r: AbiResult) -> wasmtime::Result<i32> {
    match r {
        Ok(()) => Ok(status::OK as i32),
        Err(Fail::Status(s)) => Ok(s as i32),
        Err(Fail::Trap(e)) => Err(e),
    }
}

fn memory(caller: &mut Caller<'_, HostState>) -> AbiResult<Memory> {
    match caller.get_export("memory") {
        Some(Extern::Memory(m)) => Ok(m),
        _ => refuse(status::INVALID_MEMORY_ACCESS),
    }
}

/// Copies `len` bytes at `ptr` out of guest memory.
pub(crate) fn read(caller: &mut Caller<'_, HostState>, ptr: i32, len: i32) -> AbiResult<Vec<u8>> {
    let mem = memory(caller)?;
    let (start, len) = (ptr as u32 as usize, len as u32 as usize);
    let end = start.checked_add(len);
    match end.and_then(|end| mem.data(&*caller).get(start..end)) {
        Some(bytes) => Ok(bytes.to_vec()),
        None => refuse(status::INVALID_MEMORY_ACCESS),
    }
}

pub(crate) fn read_string(
    caller: &mut Caller<'_, HostState>,
    ptr: i32,
    len: i32,
) -> AbiResult<String> {
    Ok(String::from_utf8_lossy(&read(caller, ptr, len)?).into_owned())
}

/// Writes `bytes` at `ptr` in guest memory.
pub(crate) fn write(caller: &mut Caller<'_, HostState>, ptr: i32, bytes: &[u8]) -> AbiResult {
    let mem = memory(caller)?;
    let start = ptr as u32 as usize;
    let end = start.checked_add(bytes.len());
    match end.and_then(|end| mem.data_mut(&mut *caller).get_mut(start..end)) {
        Some(dst) => {
            dst.copy_from_slice(bytes);
            Ok(())
        }
        None => refuse(status::INVALID_MEMORY_ACCESS),
    }
}

pub(crate) fn write_u32(caller: &mut Caller<'_, HostState>, ptr: i32, v: u32) -> AbiResult {
    write(caller, ptr, &v.to_le_bytes())
}

pub(crate) fn write_u64(caller: &mut Caller<'_, HostState>, ptr: i32, v: u64) -> AbiResult {
    write(caller, ptr, &v.to_le_bytes())
}

/// Allocates `bytes.len()` bytes in the guest with its allocator, copies `bytes` there and
/// stores the pointer at `ret_ptr` and the size at `ret_size` (the `proxy_get_*` convention).
pub(crate) fn return_bytes(
    caller: &mut Caller<'_, HostState>,
    bytes: &[u8],
    ret_ptr: i32,
    ret_size: i32,
) -> AbiResult {
    let alloc = ["proxy_on_memory_allocate", "malloc"]
        .iter()
        .find_map(|name| caller.get_export(name).and_then(Extern::into_func));
    let Some(alloc) = alloc else {
        return refuse(status::INTERNAL_FAILURE);
    };
    let alloc = match alloc.typed::<i32, i32>(&*caller) {
        Ok(f) => f,
        Err(_) => return refuse(status::INTERNAL_FAILURE),
    };
    let ptr = alloc.call(&mut *caller, bytes.len() as i32)?;
    if ptr == 0 && !bytes.is_empty() {
        return refuse(status::INTERNAL_FAILURE);
    }
    write(caller, ptr, bytes)?;
    write_u32(caller, ret_ptr, ptr as u32)?;
    write_u32(caller, ret_size, bytes.len() as u32)
}
