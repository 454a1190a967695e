//! tools: the tool (function) definitions a request offers the model - OpenAI chat
//! `tools[].function`, Responses and Anthropic `tools[]`, Gemini
//! `tools[].functionDeclarations[]` - and MCP `tools/list` results. A description is text the
//! model reads and follows, and it often comes from a third party (an MCP server, a plugin
//! catalogue): it is not automatically trusted. Its segments (the description and every
//! `description` inside its parameter schema) are `Role::Tool`/`Trust::Data`; a plugin raises
//! them for a source the admin marked trusted ([`is_tool_definition`] tells them apart).

use std::ops::Range;

use super::segment::{field, index, items, Collector, Role, Trust};
use crate::json::{Json, Node};
use crate::ApiFormat;

/// One tool definition of a request.
#[derive(Debug, Clone, PartialEq)]
pub struct ToolDef {
    /// The tool's name and the span of its string literal (absent: a built-in tool type).
    pub name: Option<(String, Range<usize>)>,
    /// The definition in the raw body (the array element: what removing it splices out).
    pub span: Range<usize>,
    /// Where it sits, e.g. `tools[2]` or `tools[0].functionDeclarations[1]`.
    pub path: String,
}

/// The definitions' parameter schemas, by format (`parameters`, Anthropic `input_schema`,
/// Gemini `parametersJsonSchema`, MCP `inputSchema`).
const SCHEMA_KEYS: &[&str] = &[
    "parameters",
    "input_schema",
    "parametersJsonSchema",
    "inputSchema",
];

/// Each definition of `root` (a request of `format`): (the definition element, the object
/// holding name/description/schema, its path).
fn each(format: ApiFormat, root: &Node, mut visit: impl FnMut(&Node, &Node, String)) {
    for (i, tool) in items(root, "tools").iter().enumerate() {
        let p = index("tools", i);
        match format {
            ApiFormat::GeminiGenerateContent => {
                for key in ["functionDeclarations", "function_declarations"] {
                    for (j, decl) in items(tool, key).iter().enumerate() {
                        visit(decl, decl, index(&field(&p, key), j));
                    }
                }
            }
            ApiFormat::OpenAiChat | ApiFormat::OpenAiResponses | ApiFormat::AnthropicMessages => {
                match tool.get("function") {
                    Some(f) => visit(tool, f, p),
                    None => visit(tool, tool, p),
                }
            }
            _ => {}
        }
    }
}

/// The tool definitions of a request of `format`.
pub fn tool_definitions(format: ApiFormat, root: &Node) -> Vec<ToolDef> {
    let mut out = Vec::new();
    each(format, root, |def, inner, path| {
        let name = inner.get("name").and_then(|n| match &n.value {
            Json::String(s) => Some((s.clone(), n.span.clone())),
            _ => None,
        });
        out.push(ToolDef {
            name,
            span: def.span.clone(),
            path,
        });
    });
    out
}

/// Collect the descriptions of `root`'s tool definitions as data segments.
pub(crate) fn tool_segments(format: ApiFormat, root: &Node, c: &mut Collector) {
    each(format, root, |def, inner, path| {
        let fp = if std::ptr::eq(def, inner) {
            path.clone()
        } else {
            field(&path, "function")
        };
        c.string(
            inner.get("description"),
            Role::Tool,
            Trust::Data,
            &field(&fp, "description"),
        );
        for key in SCHEMA_KEYS {
            schema_descriptions(inner.get(key), &field(&fp, key), c);
        }
    });
}

/// Every `description` string inside a JSON schema (property, item and nested descriptions).
fn schema_descriptions(node: Option<&Node>, path: &str, c: &mut Collector) {
    let Some(node) = node else { return };
    let mut stack: Vec<(&Node, String)> = vec![(node, path.to_string())];
    while let Some((n, p)) = stack.pop() {
        match &n.value {
            Json::Object(members) => {
                for (k, v) in members.iter().rev() {
                    let vp = field(&p, k);
                    match (k.as_str(), &v.value) {
                        ("description", Json::String(_)) => {
                            c.string(Some(v), Role::Tool, Trust::Data, &vp)
                        }
                        (_, Json::Object(_) | Json::Array(_)) => stack.push((v, vp)),
                        _ => {}
                    }
                }
            }
            Json::Array(list) => {
                for (i, item) in list.iter().enumerate().rev() {
                    stack.push((item, index(&p, i)));
                }
            }
            _ => {}
        }
    }
}

/// Is the segment at `path` part of a tool definition: a chat request's `tools[..]`, or an
/// MCP `tools/list` result (`result.tools[..]`, in a batch `[i].result.tools[..]`)?
pub fn is_tool_definition(path: &str) -> bool {
    let rest = match path.strip_prefix('[') {
        Some(rest) => match rest.split_once("].") {
            Some((n, tail)) if n.bytes().all(|b| b.is_ascii_digit()) => tail,
            _ => return false,
        },
        None => path,
    };
    rest.starts_with("tools[") || rest.starts_with("result.tools[")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::body::{parse_request, parse_response, Segment};
    use crate::json::Limits;

    fn segs(format: ApiFormat, raw: &str) -> Vec<Segment> {
        parse_request(format, raw.as_bytes(), &Limits::default())
            .unwrap()
            .segments
    }

    #[test]
    fn descriptions_are_data_in_every_format() {
        let table: &[(ApiFormat, &str, &[&str])] = &[
            (
                ApiFormat::OpenAiChat,
                r#"{"model":"m","messages":[],"tools":[{"type":"function","function":{"name":"f","description":"d1",
                   "parameters":{"type":"object","properties":{"p":{"type":"string","description":"d2"},"q":{"type":"array","items":{"description":"d3"}}}}}}]}"#,
                &[
                    "tools[0].function.description",
                    "tools[0].function.parameters.properties.p.description",
                    "tools[0].function.parameters.properties.q.items.description",
                ],
            ),
            (
                ApiFormat::OpenAiResponses,
                r#"{"model":"m","input":"x","tools":[{"type":"function","name":"f","description":"d1","parameters":{"properties":{"a":{"description":"d2"}}}},{"type":"web_search"}]}"#,
                &[
                    "tools[0].description",
                    "tools[0].parameters.properties.a.description",
                ],
            ),
            (
                ApiFormat::AnthropicMessages,
                r#"{"model":"m","messages":[],"tools":[{"name":"f","description":"d1","input_schema":{"properties":{"a":{"description":"d2"}}}}]}"#,
                &[
                    "tools[0].description",
                    "tools[0].input_schema.properties.a.description",
                ],
            ),
            (
                ApiFormat::GeminiGenerateContent,
                r#"{"contents":[],"tools":[{"functionDeclarations":[{"name":"f","description":"d1","parameters":{"properties":{"a":{"description":"d2"}}}},{"name":"g","description":"d3"}]},{"function_declarations":[{"name":"h","description":"d4"}]}]}"#,
                &[
                    "tools[0].functionDeclarations[0].description",
                    "tools[0].functionDeclarations[0].parameters.properties.a.description",
                    "tools[0].functionDeclarations[1].description",
                    "tools[1].function_declarations[0].description",
                ],
            ),
        ];
        for (format, raw, want) in table {
            let s = segs(*format, raw);
            let tools: Vec<&Segment> = s.iter().filter(|s| is_tool_definition(&s.path)).collect();
            let paths: Vec<&str> = tools.iter().map(|s| s.path.as_str()).collect();
            assert_eq!(&paths, want, "{format:?}");
            assert!(tools
                .iter()
                .all(|s| s.trust == Trust::Data && s.role == Role::Tool));
        }
    }

    #[test]
    fn definitions_name_each_tool_with_its_span() {
        let raw = r#"{"model":"m","messages":[],"tools":[{"type":"function","function":{"name":"get_weather"}},{"type":"function","function":{"name":"rm"}}]}"#;
        let body =
            parse_request(ApiFormat::OpenAiChat, raw.as_bytes(), &Limits::default()).unwrap();
        let defs = tool_definitions(ApiFormat::OpenAiChat, &body.root);
        let names: Vec<&str> = defs
            .iter()
            .map(|d| d.name.as_ref().unwrap().0.as_str())
            .collect();
        assert_eq!(names, ["get_weather", "rm"]);
        assert!(raw[defs[1].span.clone()].starts_with("{\"type\""));
        assert_eq!(defs[1].path, "tools[1]");
        let raw =
            r#"{"contents":[],"tools":[{"functionDeclarations":[{"name":"a"},{"name":"b"}]}]}"#;
        let body = parse_request(
            ApiFormat::GeminiGenerateContent,
            raw.as_bytes(),
            &Limits::default(),
        )
        .unwrap();
        let defs = tool_definitions(ApiFormat::GeminiGenerateContent, &body.root);
        assert_eq!(defs[1].path, "tools[0].functionDeclarations[1]");
        assert_eq!(&raw[defs[1].span.clone()], r#"{"name":"b"}"#);
    }

    #[test]
    fn tool_paths() {
        for (path, want) in [
            ("tools[0].description", true),
            (
                "tools[3].function.parameters.properties.a.description",
                true,
            ),
            ("result.tools[1].description", true),
            (
                "[2].result.tools[0].inputSchema.properties.a.description",
                true,
            ),
            ("messages[0].content", false),
            ("params.arguments.tools[0]", false),
            ("[x].result.tools[0]", false),
            ("result.content[0].text", false),
        ] {
            assert_eq!(is_tool_definition(path), want, "{path}");
        }
        // MCP tools/list descriptions sit on such paths.
        let raw =
            br#"{"jsonrpc":"2.0","id":1,"result":{"tools":[{"name":"a","description":"d"}]}}"#;
        let b = parse_response(ApiFormat::Mcp, raw, &Limits::default()).unwrap();
        assert!(b.segments.iter().all(|s| is_tool_definition(&s.path)));
    }
}
