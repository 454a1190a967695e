//! stub: replaces the bodies of functions nothing can call any more (the callbacks `trim`
//! dropped from the exports) with `unreachable`, so their code leaves the module.
//!
//! Function indices stay as they are (no relinking): a stub is the 3-byte body
//! `0 locals; unreachable; end`, valid for any signature because `unreachable` makes the
//! operand stack polymorphic (WebAssembly core spec 1.0, 3.3.5). A function is stubbed only
//! when no kept export, start function, table element, global initialiser or other function
//! body refers to it. Bodies are searched for `call`, `return_call` and `ref.func` followed by
//! the index, minimally or 5-byte padded (the two LEB128 forms wasm-ld writes); the search is
//! bytewise, so an immediate or constant that happens to look like such a reference keeps
//! the function: a false match costs bytes, never correctness.

use crate::module::{leb128, sections, Reader, Section, SECTION_EXPORT, SECTION_IMPORT};

const SECTION_GLOBAL: u8 = 6;
const SECTION_START: u8 = 8;
const SECTION_ELEMENT: u8 = 9;
const SECTION_CODE: u8 = 10;

const OP_CALL: u8 = 0x10;
const OP_RETURN_CALL: u8 = 0x12;
const OP_REF_FUNC: u8 = 0xd2;

/// The body every stubbed function gets: no locals, `unreachable`, `end`.
pub const STUB_BODY: [u8; 3] = [0x00, 0x00, 0x0b];

/// The result of [`stub_unreferenced`].
#[derive(Debug)]
pub struct Stubbed {
    pub bytes: Vec<u8>,
    /// Function indices whose bodies became stubs.
    pub functions: Vec<u32>,
    /// Code bytes saved (old body sizes minus the stubs').
    pub saved_bytes: usize,
}

/// Stubs each of `candidates` (function indices) that nothing in `bytes` refers to. Returns
/// the module unchanged when it has element segments in a form this reader does not parse
/// (expression lists), rather than guess.
pub fn stub_unreferenced(bytes: &[u8], candidates: &[u32]) -> Result<Stubbed, String> {
    let unchanged = |bytes: &[u8]| Stubbed {
        bytes: bytes.to_vec(),
        functions: Vec::new(),
        saved_bytes: 0,
    };
    let all = sections(bytes)?;
    let body_of = |id: u8| -> Option<(Section, &[u8])> {
        let s = all.iter().find(|s| s.id == id).copied()?;
        Some((s, bytes.get(s.start..s.end).unwrap_or_default()))
    };
    let imported = match body_of(SECTION_IMPORT) {
        Some((_, body)) => imported_functions(body)?,
        None => 0,
    };
    let Some((code, code_body)) = body_of(SECTION_CODE) else {
        return Ok(unchanged(bytes));
    };
    let bodies = function_bodies(code_body)?;
    // Candidates that are defined here (not imports) and not already stubs.
    let mut stub: Vec<u32> = candidates
        .iter()
        .copied()
        .filter(|&f| {
            f.checked_sub(imported)
                .and_then(|i| bodies.get(i as usize))
                .is_some_and(|r| code_body.get(r.clone()) != Some(&STUB_BODY[..]))
        })
        .collect();
    stub.sort_unstable();
    stub.dedup();

    // Referenced outside the code section: kept exports, the start function, table elements,
    // global initialisers.
    let mut fixed_refs: Vec<u32> = Vec::new();
    if let Some((_, body)) = body_of(SECTION_EXPORT) {
        let exports = crate::module::read_exports(&mut Reader::new(body))?;
        fixed_refs.extend(exports.iter().filter(|e| e.kind == 0).map(|e| e.index));
    }
    if let Some((_, body)) = body_of(SECTION_START) {
        fixed_refs.push(Reader::new(body).u32()?);
    }
    if let Some((_, body)) = body_of(SECTION_ELEMENT) {
        match element_functions(body)? {
            Some(funcs) => fixed_refs.extend(funcs),
            None => return Ok(unchanged(bytes)),
        }
    }
    stub.retain(|f| !fixed_refs.contains(f));
    let globals = body_of(SECTION_GLOBAL).map(|(_, b)| b).unwrap_or_default();
    stub.retain(|&f| !mentions(globals, OP_REF_FUNC, f));

    // A body that is kept keeps what it calls; repeat until nothing changes (a stubbed
    // function's own calls do not count).
    loop {
        let before = stub.len();
        let is_stubbed = |i: usize| stub.contains(&(imported + i as u32));
        let kept: Vec<&[u8]> = (0..bodies.len())
            .filter(|&i| !is_stubbed(i))
            .map(|i| code_body.get(bodies[i].clone()).unwrap_or_default())
            .collect();
        let referenced = |f: u32| {
            kept.iter().any(|b| {
                [OP_CALL, OP_RETURN_CALL, OP_REF_FUNC]
                    .iter()
                    .any(|&op| mentions(b, op, f))
            })
        };
        stub.retain(|&f| !referenced(f));
        if stub.len() == before {
            break;
        }
    }
    if stub.is_empty() {
        return Ok(unchanged(bytes));
    }

    let mut new_code = leb128(bodies.len() as u32);
    let mut saved = 0;
    for (i, range) in bodies.iter().enumerate() {
        if stub.contains(&(imported + i as u32)) {
            saved += range.len().saturating_sub(STUB_BODY.len());
            new_code.extend(leb128(STUB_BODY.len() as u32));
            new_code.extend_from_slice(&STUB_BODY);
        } else {
            let body = code_body.get(range.clone()).unwrap_or_default();
            new_code.extend(leb128(body.len() as u32));
            new_code.extend_from_slice(body);
        }
    }
    let mut out = Vec::with_capacity(bytes.len());
    out.extend_from_slice(bytes.get(..code.header).unwrap_or_default());
    out.push(SECTION_CODE);
    out.extend(leb128(new_code.len() as u32));
    out.extend(new_code);
    out.extend_from_slice(bytes.get(code.end..).unwrap_or_default());
    Ok(Stubbed {
        bytes: out,
        functions: stub,
        saved_bytes: saved,
    })
}

/// How many function bodies of the module are stubs.
pub fn stub_count(bytes: &[u8]) -> Result<usize, String> {
    let Some(code) = sections(bytes)?.into_iter().find(|s| s.id == SECTION_CODE) else {
        return Ok(0);
    };
    let body = bytes.get(code.start..code.end).unwrap_or_default();
    Ok(function_bodies(body)?
        .into_iter()
        .filter(|r| body.get(r.clone()) == Some(&STUB_BODY[..]))
        .count())
}

/// Whether `haystack` holds `op` followed by `index` as minimal or 5-byte-padded LEB128.
fn mentions(haystack: &[u8], op: u8, index: u32) -> bool {
    let mut minimal = vec![op];
    minimal.extend(leb128(index));
    let mut padded = vec![op];
    padded.extend(padded_leb128(index));
    let has = |needle: &[u8]| haystack.windows(needle.len()).any(|w| w == needle);
    has(&minimal) || has(&padded)
}

/// `n` as 5-byte LEB128 (the width of a relocatable index in wasm-ld's output).
fn padded_leb128(n: u32) -> [u8; 5] {
    let mut out = [0u8; 5];
    for (i, b) in out.iter_mut().enumerate() {
        let low = ((n >> (7 * i)) & 0x7f) as u8;
        *b = if i < 4 { low | 0x80 } else { low };
    }
    out
}

/// How many of the imports are functions (they come first in the function index space).
fn imported_functions(body: &[u8]) -> Result<u32, String> {
    Ok(crate::module::read_import_kinds(&mut Reader::new(body))?
        .iter()
        .filter(|&&k| k == 0x00)
        .count() as u32)
}

/// Where each function body lies in the code section's body (after its size prefix).
fn function_bodies(body: &[u8]) -> Result<Vec<std::ops::Range<usize>>, String> {
    let mut r = Reader::new(body);
    let count = r.u32()?;
    let mut out = Vec::new();
    for _ in 0..count {
        let size = r.u32()? as usize;
        let start = r.position();
        r.take(size)
            .map_err(|_| "a function body runs past the code section".to_string())?;
        out.push(start..r.position());
    }
    Ok(out)
}

/// The function indices of every element segment, or `None` when a segment lists
/// expressions (flags 4-7), which this reader does not evaluate.
fn element_functions(body: &[u8]) -> Result<Option<Vec<u32>>, String> {
    let mut r = Reader::new(body);
    let count = r.u32()?;
    let mut out = Vec::new();
    for _ in 0..count {
        let flags = r.u32()?;
        match flags {
            0 => r.skip_const_expr()?,
            1 | 3 => {
                r.take(1)?; // elemkind
            }
            2 => {
                r.u32()?; // table index
                r.skip_const_expr()?;
                r.take(1)?; // elemkind
            }
            _ => return Ok(None),
        }
        let n = r.u32()?;
        for _ in 0..n {
            out.push(r.u32()?);
        }
    }
    Ok(Some(out))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::module::test_module;

    /// A body with no locals that runs `code` then `end`.
    fn body(code: &[u8]) -> Vec<u8> {
        let mut b = vec![0x00];
        b.extend_from_slice(code);
        b.push(0x0b);
        b
    }

    fn code_section(bodies: &[Vec<u8>]) -> Vec<u8> {
        let mut out = leb128(bodies.len() as u32);
        for b in bodies {
            out.extend(leb128(b.len() as u32));
            out.extend_from_slice(b);
        }
        out
    }

    /// One imported function (index 0), then functions 1..=4: 1 is exported (when `export`),
    /// 2 is in the table (`elements`), 3 is called by 1 with a padded index, 4 is referenced
    /// by nothing.
    fn module_with(export: bool, elements: Vec<u8>) -> Vec<u8> {
        let mut imports = vec![1u8, 3];
        imports.extend(b"env");
        imports.push(3);
        imports.extend(b"log");
        imports.extend([0x00, 0x00]);
        let mut call3 = vec![OP_CALL];
        call3.extend(padded_leb128(3));
        let bodies = vec![
            body(&call3),
            body(&[0x01, 0x01, 0x01]),
            body(&[0x01]),
            body(&[0x41, 0x2a, 0x1a, 0x01, 0x01]),
        ];
        let mut secs = vec![
            (1, vec![1, 0x60, 0, 0]),
            (2, imports),
            (3, vec![4, 0, 0, 0, 0]),
        ];
        if export {
            secs.push((7, vec![1u8, 1, b'f', 0x00, 1]));
        }
        secs.push((9, elements));
        secs.push((10, code_section(&bodies)));
        test_module(&secs)
    }

    /// One active segment (flags 0, offset `i32.const 1`) holding function 2.
    fn table_of_2() -> Vec<u8> {
        vec![1u8, 0x00, 0x41, 0x01, 0x0b, 1, 2]
    }

    fn code_bodies(module: &[u8]) -> Vec<Vec<u8>> {
        let code = sections(module)
            .unwrap()
            .into_iter()
            .find(|s| s.id == SECTION_CODE)
            .unwrap();
        let body = &module[code.start..code.end];
        function_bodies(body)
            .unwrap()
            .into_iter()
            .map(|r| body[r].to_vec())
            .collect()
    }

    #[test]
    fn stubs_only_what_nothing_refers_to() {
        let m = module_with(true, table_of_2());
        let s = stub_unreferenced(&m, &[1, 2, 3, 4, 0, 99]).unwrap();
        assert_eq!(s.functions, vec![4]);
        assert_eq!(s.saved_bytes, 7 - 3);
        let (before, after) = (code_bodies(&m), code_bodies(&s.bytes));
        assert_eq!(after[3], STUB_BODY);
        assert_eq!((stub_count(&m), stub_count(&s.bytes)), (Ok(0), Ok(1)));
        assert_eq!(after[..3], before[..3]);
        assert_eq!(s.bytes.len(), m.len() - 4);
        // Nothing to do the second time.
        let again = stub_unreferenced(&s.bytes, &[4]).unwrap();
        assert!(again.functions.is_empty());
        assert_eq!(again.bytes, s.bytes);
    }

    #[test]
    fn a_function_called_only_by_a_stubbed_one_is_stubbed_too() {
        // Function 1 is no longer exported: it and function 3 (which only 1 calls) go.
        let s = stub_unreferenced(&module_with(false, table_of_2()), &[1, 3]).unwrap();
        assert_eq!(s.functions, vec![1, 3]);
        // But not while 1 is exported and calls 3.
        let s = stub_unreferenced(&module_with(true, table_of_2()), &[3]).unwrap();
        assert!(s.functions.is_empty());
    }

    #[test]
    fn leaves_modules_with_expression_element_segments_alone() {
        // Flags 4: offset expression, then a vector of `ref.func 4` expressions.
        let elements = vec![1u8, 0x04, 0x41, 0x01, 0x0b, 1, OP_REF_FUNC, 4, 0x0b];
        let m = module_with(true, elements);
        let s = stub_unreferenced(&m, &[4]).unwrap();
        assert!(s.functions.is_empty());
        assert_eq!(s.bytes, m);
    }

    #[test]
    fn padded_leb128_reads_back() {
        for n in [0u32, 3, 127, 128, 70_000, u32::MAX] {
            let enc = padded_leb128(n);
            let mut r = Reader::new(&enc);
            assert_eq!(r.u32().unwrap(), n);
        }
    }
}
