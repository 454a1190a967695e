//! module: what a core WebAssembly module imports, exports and carries in custom sections,
//! read with wasmparser without compiling it, so it is instant on any module.

use wasmparser::{Encoding, Parser, Payload};

/// One imported function (or other extern) of a module: `module.name`.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Import {
    pub module: String,
    pub name: String,
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

pub(crate) fn parse_error(e: wasmparser::BinaryReaderError) -> String {
    format!("not a valid WebAssembly module: {e}")
}

/// Reads the import, export and custom sections of a core module (a component is refused).
pub fn read(bytes: &[u8]) -> Result<ModuleFacts, String> {
    let mut facts = ModuleFacts::default();
    for payload in Parser::new(0).parse_all(bytes) {
        match payload.map_err(parse_error)? {
            Payload::Version {
                encoding: Encoding::Component,
                ..
            } => return Err("a WebAssembly component, not a core module".into()),
            Payload::ImportSection(r) => {
                for import in r.into_imports() {
                    let import = import.map_err(parse_error)?;
                    facts.imports.push(Import {
                        module: import.module.to_string(),
                        name: import.name.to_string(),
                    });
                }
            }
            Payload::ExportSection(r) => {
                for export in r {
                    facts
                        .exports
                        .push(export.map_err(parse_error)?.name.to_string());
                }
            }
            Payload::CustomSection(c) => {
                facts.custom.push((c.name().to_string(), c.data().to_vec()))
            }
            _ => {}
        }
    }
    Ok(facts)
}

#[cfg(test)]
mod tests {
    use super::*;
    use wasm_encoder::{
        CodeSection, CustomSection, EntityType, ExportKind, ExportSection, Function,
        FunctionSection, ImportSection, Instruction, MemorySection, MemoryType, Module,
        TypeSection,
    };

    #[test]
    fn reads_function_and_memory_imports_exports_and_custom_sections() {
        let mut m = Module::new();
        let mut types = TypeSection::new();
        types.ty().function([], []);
        m.section(&types);
        let mut imports = ImportSection::new();
        imports.import("env", "proxy_log", EntityType::Function(0));
        let memory = MemoryType {
            minimum: 1,
            maximum: None,
            memory64: false,
            shared: false,
            page_size_log2: None,
        };
        imports.import("env", "mem", EntityType::Memory(memory));
        m.section(&imports);
        let mut funcs = FunctionSection::new();
        funcs.function(0);
        m.section(&funcs);
        let mut memories = MemorySection::new();
        memories.memory(memory);
        m.section(&memories);
        let mut exports = ExportSection::new();
        exports.export("run", ExportKind::Func, 1);
        exports.export("memory", ExportKind::Memory, 1);
        m.section(&exports);
        let mut code = CodeSection::new();
        let mut f = Function::new([]);
        f.instruction(&Instruction::End);
        code.function(&f);
        m.section(&code);
        for part in ["a ", "b"] {
            m.section(&CustomSection {
                name: "x".into(),
                data: part.as_bytes().into(),
            });
        }
        let facts = read(&m.finish()).unwrap();
        assert_eq!(
            facts.imports,
            [("env", "proxy_log"), ("env", "mem")].map(|(m, n)| Import {
                module: m.into(),
                name: n.into()
            })
        );
        assert_eq!(facts.exports, ["run", "memory"]);
        assert_eq!(facts.custom_section("x").unwrap(), b"a b");
        assert!(facts.custom_section("y").is_none());
    }

    #[test]
    fn refuses_garbage_and_truncation() {
        assert!(read(b"not wasm").is_err());
        assert!(read(b"\0asm\x01\0\0\0\x07\x05\x01").is_err());
        assert!(read(b"\0asm\x0d\0\x01\0").is_err()); // a component
    }
}
