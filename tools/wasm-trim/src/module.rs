//! module: reads the sections of a core WebAssembly module (version 1) without compiling it,
//! so it is instant on any module: imports, exports and custom sections by name.

/// One imported function (or other extern) of a module: `module.name`.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Import {
    pub module: String,
    pub name: String,
}

/// One export: its name, kind byte (0 function, 1 table, 2 memory, 3 global) and index.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Export {
    pub name: String,
    pub kind: u8,
    pub index: u32,
}

/// A section: its id and where its body lies in the module (`start..end`); `header` is where
/// its id byte is, so `header..end` is the whole section.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Section {
    pub id: u8,
    pub header: usize,
    pub start: usize,
    pub end: usize,
}

/// What a module says about itself.
#[derive(Clone, Debug, Default)]
pub struct ModuleFacts {
    pub imports: Vec<Import>,
    pub exports: Vec<String>,
    /// Custom sections: name and payload (after the name).
    pub custom: Vec<(String, Vec<u8>)>,
}

impl ModuleFacts {
    /// The payloads of every custom section called `name`, concatenated.
    pub fn custom_section(&self, name: &str) -> Option<Vec<u8>> {
        let mut found = None::<Vec<u8>>;
        for (n, payload) in &self.custom {
            if n == name {
                found
                    .get_or_insert_with(Vec::new)
                    .extend_from_slice(payload);
            }
        }
        found
    }
}

const MAGIC: &[u8; 4] = b"\0asm";
pub const SECTION_CUSTOM: u8 = 0;
pub const SECTION_IMPORT: u8 = 2;
pub const SECTION_EXPORT: u8 = 7;

/// Reads the import, export and custom sections.
pub fn read(bytes: &[u8]) -> Result<ModuleFacts, String> {
    let mut facts = ModuleFacts::default();
    for s in sections(bytes)? {
        let mut r = Reader::new(bytes.get(s.start..s.end).unwrap_or_default());
        match s.id {
            SECTION_IMPORT => facts.imports = read_imports(&mut r)?,
            SECTION_EXPORT => {
                facts.exports = read_exports(&mut r)?.into_iter().map(|e| e.name).collect()
            }
            SECTION_CUSTOM => {
                let name = r.name()?;
                facts.custom.push((name, r.rest().to_vec()));
            }
            _ => {}
        }
    }
    Ok(facts)
}

/// The module's sections in order; checks the magic, the version and every section's length.
pub fn sections(bytes: &[u8]) -> Result<Vec<Section>, String> {
    let mut r = Reader::new(bytes);
    if r.take(4)? != MAGIC {
        return Err("not a WebAssembly module (bad magic)".into());
    }
    let version = r.take(4)?;
    if version != [1, 0, 0, 0] {
        return Err(format!(
            "unsupported WebAssembly version {version:?} (a component?)"
        ));
    }
    let mut out = Vec::new();
    while !r.at_end() {
        let header = r.pos;
        let id = r.byte()?;
        let size = r.u32()? as usize;
        let start = r.pos;
        r.take(size)
            .map_err(|_| format!("section {id} runs past the end of the file"))?;
        out.push(Section {
            id,
            header,
            start,
            end: r.pos,
        });
    }
    Ok(out)
}

fn read_imports(s: &mut Reader<'_>) -> Result<Vec<Import>, String> {
    Ok(read_import_entries(s)?
        .into_iter()
        .map(|(i, _)| i)
        .collect())
}

/// The kind byte of each import (0 function, 1 table, 2 memory, 3 global, 4 tag), in order.
pub fn read_import_kinds(s: &mut Reader<'_>) -> Result<Vec<u8>, String> {
    Ok(read_import_entries(s)?
        .into_iter()
        .map(|(_, k)| k)
        .collect())
}

fn read_import_entries(s: &mut Reader<'_>) -> Result<Vec<(Import, u8)>, String> {
    let count = s.u32()?;
    let mut out = Vec::new();
    for _ in 0..count {
        let module = s.name()?;
        let name = s.name()?;
        let kind = s.byte()?;
        match kind {
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
            other => {
                return Err(format!(
                    "unknown import kind 0x{other:02x} for {module}.{name}"
                ))
            }
        }
        out.push((Import { module, name }, kind));
    }
    Ok(out)
}

/// The entries of an export section's body.
pub fn read_exports(s: &mut Reader<'_>) -> Result<Vec<Export>, String> {
    let count = s.u32()?;
    let mut out = Vec::new();
    for _ in 0..count {
        let name = s.name()?;
        let kind = s.byte()?;
        let index = s.u32()?;
        out.push(Export { name, kind, index });
    }
    Ok(out)
}

/// Unsigned LEB128 encoding of `n`.
pub fn leb128(mut n: u32) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let low = (n & 0x7f) as u8;
        n >>= 7;
        if n == 0 {
            out.push(low);
            return out;
        }
        out.push(low | 0x80);
    }
}

/// A cursor over bytes whose every read is bounds-checked.
pub struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    pub fn new(bytes: &'a [u8]) -> Reader<'a> {
        Reader { bytes, pos: 0 }
    }

    /// How many bytes have been read.
    pub fn position(&self) -> usize {
        self.pos
    }

    fn at_end(&self) -> bool {
        self.pos >= self.bytes.len()
    }

    fn rest(&self) -> &'a [u8] {
        self.bytes.get(self.pos..).unwrap_or_default()
    }

    fn byte(&mut self) -> Result<u8, String> {
        let b = *self.bytes.get(self.pos).ok_or("unexpected end of module")?;
        self.pos += 1;
        Ok(b)
    }

    pub fn take(&mut self, n: usize) -> Result<&'a [u8], String> {
        let end = self.pos.checked_add(n).ok_or("length overflow")?;
        let out = self
            .bytes
            .get(self.pos..end)
            .ok_or("unexpected end of module")?;
        self.pos = end;
        Ok(out)
    }

    /// Unsigned LEB128, at most 5 bytes.
    pub fn u32(&mut self) -> Result<u32, String> {
        let mut result: u32 = 0;
        for i in 0..5 {
            let b = self.byte()?;
            result |= u32::from(b & 0x7f) << (7 * i);
            if b & 0x80 == 0 {
                return Ok(result);
            }
        }
        Err("LEB128 integer too long".into())
    }

    /// A constant expression as element segments and globals hold: `i32.const`, `i64.const`,
    /// `global.get`, `ref.null` or `ref.func`, then `end`.
    pub fn skip_const_expr(&mut self) -> Result<(), String> {
        loop {
            match self.byte()? {
                0x0b => return Ok(()),
                0x41 | 0x42 => self.skip_leb()?,
                0x23 | 0xd2 => {
                    self.u32()?;
                }
                0xd0 => {
                    self.byte()?;
                }
                op => return Err(format!("unsupported constant expression opcode 0x{op:02x}")),
            }
        }
    }

    /// A signed or unsigned LEB128 of up to 10 bytes, value not needed.
    fn skip_leb(&mut self) -> Result<(), String> {
        for _ in 0..10 {
            if self.byte()? & 0x80 == 0 {
                return Ok(());
            }
        }
        Err("LEB128 integer too long".into())
    }

    fn name(&mut self) -> Result<String, String> {
        let len = self.u32()? as usize;
        let raw = self.take(len)?;
        Ok(String::from_utf8_lossy(raw).into_owned())
    }

    fn limits(&mut self) -> Result<(), String> {
        let flags = self.byte()?;
        self.u32()?;
        if flags & 0x01 != 0 {
            self.u32()?;
        }
        Ok(())
    }
}

/// A module built from `(section id, body)` pairs, for tests.
#[cfg(test)]
pub(crate) fn test_module(sections: &[(u8, Vec<u8>)]) -> Vec<u8> {
    let mut out = b"\0asm\x01\0\0\0".to_vec();
    for (id, body) in sections {
        out.push(*id);
        out.extend(leb128(body.len() as u32));
        out.extend_from_slice(body);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_function_and_memory_imports_exports_and_custom_sections() {
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
        let mut custom = vec![4u8];
        custom.extend(b"notex");
        let facts = read(&test_module(&[
            (1, vec![0]),
            (2, imports),
            (7, exports),
            (0, custom.clone()),
            (0, custom),
        ]))
        .unwrap();
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
        assert_eq!(facts.custom_section("note").unwrap(), b"xx");
        assert_eq!(facts.custom_section("other"), None);
    }

    #[test]
    fn refuses_garbage_and_truncation() {
        assert!(read(b"hello world").is_err());
        assert!(read(b"\0asm\x0d\0\x01\0").is_err());
        let mut truncated = test_module(&[(2, vec![1, 3, b'e', b'n', b'v'])]);
        truncated.truncate(truncated.len() - 1);
        assert!(read(&truncated).is_err());
        assert!(read(&test_module(&[(
            2,
            vec![1, 3, b'e', b'n', b'v', 1, b'x', 0x09]
        )]))
        .is_err());
    }

    #[test]
    fn leb128_round_trips() {
        for n in [0u32, 1, 127, 128, 300, 16_384, u32::MAX] {
            let enc = leb128(n);
            let mut r = Reader::new(&enc);
            assert_eq!(r.u32().unwrap(), n);
            assert!(r.at_end());
        }
    }
}
