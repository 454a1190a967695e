//! wasm_module: a tiny, bounds-checked reader of a WebAssembly binary's import and export
//! sections (all the audit needs; no compilation, so it is instant on any module).

use anyhow::{bail, Context, Result};

/// One imported function (or other extern) of a module: `module.name`.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Import {
    pub module: String,
    pub name: String,
}

/// What the audit reads from a module.
#[derive(Clone, Debug, Default)]
pub struct ModuleFacts {
    pub imports: Vec<Import>,
    pub exports: Vec<String>,
}

const MAGIC: &[u8; 4] = b"\0asm";
const SECTION_IMPORT: u8 = 2;
const SECTION_EXPORT: u8 = 7;

/// Reads the import and export sections of a core WebAssembly module (version 1).
pub fn read(bytes: &[u8]) -> Result<ModuleFacts> {
    let mut r = Reader { bytes, pos: 0 };
    if r.take(4)? != MAGIC {
        bail!("not a WebAssembly module (bad magic)");
    }
    let version = r.take(4)?;
    if version != [1, 0, 0, 0] {
        bail!("unsupported WebAssembly version {version:?} (a component?)");
    }
    let mut facts = ModuleFacts::default();
    while !r.at_end() {
        let id = r.byte()?;
        let size = r.u32()? as usize;
        let body = r
            .take(size)
            .context("section runs past the end of the file")?;
        let mut s = Reader {
            bytes: body,
            pos: 0,
        };
        match id {
            SECTION_IMPORT => facts.imports = read_imports(&mut s)?,
            SECTION_EXPORT => facts.exports = read_exports(&mut s)?,
            _ => {}
        }
    }
    Ok(facts)
}

fn read_imports(s: &mut Reader<'_>) -> Result<Vec<Import>> {
    let count = s.u32()?;
    let mut out = Vec::new();
    for _ in 0..count {
        let module = s.name()?;
        let name = s.name()?;
        match s.byte()? {
            0x00 => {
                s.u32()?; // function type index
            }
            0x01 => {
                s.byte()?; // table element type
                s.limits()?;
            }
            0x02 => s.limits()?,
            0x03 => {
                s.byte()?; // value type
                s.byte()?; // mutability
            }
            0x04 => {
                s.byte()?; // tag attribute
                s.u32()?;
            }
            other => bail!("unknown import kind 0x{other:02x} for {module}.{name}"),
        }
        out.push(Import { module, name });
    }
    Ok(out)
}

fn read_exports(s: &mut Reader<'_>) -> Result<Vec<String>> {
    let count = s.u32()?;
    let mut out = Vec::new();
    for _ in 0..count {
        let name = s.name()?;
        s.byte()?; // kind
        s.u32()?; // index
        out.push(name);
    }
    Ok(out)
}

struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn at_end(&self) -> bool {
        self.pos >= self.bytes.len()
    }

    fn byte(&mut self) -> Result<u8> {
        let b = *self
            .bytes
            .get(self.pos)
            .context("unexpected end of module")?;
        self.pos += 1;
        Ok(b)
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8]> {
        let end = self.pos.checked_add(n).context("length overflow")?;
        let out = self
            .bytes
            .get(self.pos..end)
            .context("unexpected end of module")?;
        self.pos = end;
        Ok(out)
    }

    /// Unsigned LEB128, at most 5 bytes.
    fn u32(&mut self) -> Result<u32> {
        let mut result: u32 = 0;
        for i in 0..5 {
            let b = self.byte()?;
            result |= u32::from(b & 0x7f) << (7 * i);
            if b & 0x80 == 0 {
                return Ok(result);
            }
        }
        bail!("LEB128 integer too long")
    }

    fn name(&mut self) -> Result<String> {
        let len = self.u32()? as usize;
        let raw = self.take(len)?;
        Ok(String::from_utf8_lossy(raw).into_owned())
    }

    fn limits(&mut self) -> Result<()> {
        let flags = self.byte()?;
        self.u32()?;
        if flags & 0x01 != 0 {
            self.u32()?;
        }
        Ok(())
    }
}

/// True when `needle` occurs anywhere in the module bytes (used to spot string constants such
/// as APISIX's `wasm_process_req_body` property name in a data segment).
pub fn contains_bytes(haystack: &[u8], needle: &[u8]) -> bool {
    !needle.is_empty() && haystack.windows(needle.len()).any(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn module(sections: &[(u8, Vec<u8>)]) -> Vec<u8> {
        let mut out = b"\0asm\x01\0\0\0".to_vec();
        for (id, body) in sections {
            out.push(*id);
            out.push(body.len() as u8);
            out.extend_from_slice(body);
        }
        out
    }

    #[test]
    fn reads_function_and_memory_imports_and_exports() {
        let mut imports = vec![2u8];
        imports.extend([3, b'e', b'n', b'v', 9]);
        imports.extend(b"proxy_log");
        imports.extend([0x00, 0x05]);
        imports.extend([3, b'e', b'n', b'v', 6]);
        imports.extend(b"memory");
        imports.extend([0x02, 0x01, 0x01, 0x10]);
        let mut exports = vec![1u8, 6];
        exports.extend(b"malloc");
        exports.extend([0x00, 0x02]);
        let facts = read(&module(&[(1, vec![0]), (2, imports), (7, exports)])).unwrap();
        assert_eq!(
            facts.imports,
            vec![
                Import {
                    module: "env".into(),
                    name: "proxy_log".into()
                },
                Import {
                    module: "env".into(),
                    name: "memory".into()
                },
            ]
        );
        assert_eq!(facts.exports, vec!["malloc".to_string()]);
    }

    #[test]
    fn refuses_garbage_and_truncation() {
        assert!(read(b"hello world").is_err());
        assert!(read(b"\0asm\x0d\0\x01\0").is_err());
        let mut truncated = module(&[(2, vec![1, 3, b'e', b'n', b'v'])]);
        truncated.truncate(truncated.len() - 1);
        assert!(read(&truncated).is_err());
        assert!(read(&module(&[(2, vec![1, 3, b'e', b'n', b'v', 1, b'x', 0x09])])).is_err());
    }

    #[test]
    fn finds_byte_strings() {
        assert!(contains_bytes(
            b"..wasm_process_req_body..",
            b"wasm_process_req_body"
        ));
        assert!(!contains_bytes(b"wasm_process", b"wasm_process_req_body"));
        assert!(!contains_bytes(b"abc", b""));
    }
}
