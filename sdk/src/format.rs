//! Which provider API a request speaks, decided from its path (query ignored).

/// The request/response body formats the SDK models.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum ApiFormat {
    /// OpenAI `/v1/chat/completions` (and Azure's).
    OpenAiChat,
    /// OpenAI legacy `/v1/completions`.
    OpenAiCompletions,
    /// OpenAI `/v1/responses`.
    OpenAiResponses,
    /// OpenAI `/v1/embeddings`.
    OpenAiEmbeddings,
    /// Anthropic `/v1/messages`.
    AnthropicMessages,
    /// Gemini `:generateContent` / `:streamGenerateContent`.
    GeminiGenerateContent,
    /// MCP (Model Context Protocol) over streamable HTTP: JSON-RPC 2.0 messages (or batches)
    /// in POST bodies, answers as JSON or SSE (`body::mcp`). Paths whose last segment is
    /// `mcp`, or `/mcp/{server}` (the segment before the last).
    Mcp,
    /// A path we do not model: bodies are still scanned (every string leaf), never skipped.
    #[default]
    Unknown,
}

impl ApiFormat {
    /// Stable name for logs and config.
    pub fn name(self) -> &'static str {
        match self {
            ApiFormat::OpenAiChat => "openai.chat",
            ApiFormat::OpenAiCompletions => "openai.completions",
            ApiFormat::OpenAiResponses => "openai.responses",
            ApiFormat::OpenAiEmbeddings => "openai.embeddings",
            ApiFormat::AnthropicMessages => "anthropic.messages",
            ApiFormat::GeminiGenerateContent => "gemini.generate_content",
            ApiFormat::Mcp => "mcp",
            ApiFormat::Unknown => "unknown",
        }
    }

    /// Does a request of this format have to name a model (in the body or the path)? The
    /// provider formats do; MCP and unknown APIs do not. key-auth and model-allowlist both
    /// read it here, so they refuse alike.
    pub fn names_model(self) -> bool {
        !matches!(self, ApiFormat::Mcp | ApiFormat::Unknown)
    }
}

/// The MCP server a path names: `{server}` of `/mcp/{server}` or of `/{server}/mcp` (query
/// ignored); `None` for `/mcp` alone or a path that is no MCP endpoint. Tool policies qualify
/// tool names with it (`{server}__{tool}`).
pub fn mcp_server(path: &str) -> Option<&str> {
    let path = path.split(['?', '#']).next().unwrap_or("");
    let path = path.trim_end_matches('/');
    let mut segments = path.rsplit('/');
    let last = segments.next().unwrap_or("");
    let before = segments.next().unwrap_or("");
    let server = match (before, last) {
        ("mcp", server) => server,
        (server, "mcp") => server,
        _ => return None,
    };
    (!server.is_empty() && server != "mcp").then_some(server)
}

/// Is `path` (query stripped, no trailing `/`) an MCP endpoint: last segment `mcp`, or
/// `/mcp/{server}`?
fn is_mcp_path(path: &str) -> bool {
    let mut segments = path.rsplit('/');
    let last = segments.next().unwrap_or("");
    let before = segments.next().unwrap_or("");
    last == "mcp" || (before == "mcp" && !last.is_empty())
}

/// Decide the format from the `:path` header. OpenAI paths match with or without `/v1`, and
/// Azure's `/openai/deployments/{d}/...` form; Gemini's `/v1beta/models/{m}:generateContent`
/// and `:streamGenerateContent`; Anthropic's `/v1/messages`.
pub fn format_for_path(path: &str) -> ApiFormat {
    let path = path.split(['?', '#']).next().unwrap_or("");
    let path = path.trim_end_matches('/');
    if is_mcp_path(path) {
        return ApiFormat::Mcp;
    }
    if let Some((_, method)) = path.rsplit_once(':') {
        if (method == "generateContent" || method == "streamGenerateContent")
            && path.contains("/models/")
        {
            return ApiFormat::GeminiGenerateContent;
        }
    }
    let tail = |suffix: &str| path == suffix || path.ends_with(&format!("/{suffix}"));
    if tail("chat/completions") {
        ApiFormat::OpenAiChat
    } else if tail("completions") {
        ApiFormat::OpenAiCompletions
    } else if tail("responses") {
        ApiFormat::OpenAiResponses
    } else if tail("embeddings") {
        ApiFormat::OpenAiEmbeddings
    } else if tail("messages") {
        ApiFormat::AnthropicMessages
    } else {
        ApiFormat::Unknown
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mcp_servers_by_path() {
        for (path, want) in [
            ("/mcp/github", Some("github")),
            ("/mcp/github/?x=1", Some("github")),
            ("/servers/jira/mcp", Some("jira")),
            ("/mcp", None),
            ("/mcp/mcp", None),
            ("/v1/chat/completions", None),
        ] {
            assert_eq!(mcp_server(path), want, "{path}");
        }
    }

    #[test]
    fn paths_map_to_formats() {
        let table = [
            ("/v1/chat/completions", ApiFormat::OpenAiChat),
            ("/v1/chat/completions?x=1", ApiFormat::OpenAiChat),
            (
                "/openai/deployments/gpt4/chat/completions?api-version=2024-06-01",
                ApiFormat::OpenAiChat,
            ),
            ("/v1/completions", ApiFormat::OpenAiCompletions),
            ("/v1/responses", ApiFormat::OpenAiResponses),
            ("/v1/embeddings", ApiFormat::OpenAiEmbeddings),
            ("/v1/messages", ApiFormat::AnthropicMessages),
            (
                "/v1beta/models/gemini-1.5-pro:generateContent",
                ApiFormat::GeminiGenerateContent,
            ),
            (
                "/v1beta/models/gemini-1.5-pro:streamGenerateContent?alt=sse",
                ApiFormat::GeminiGenerateContent,
            ),
            ("/mcp", ApiFormat::Mcp),
            ("/mcp/", ApiFormat::Mcp),
            ("/mcp?session=1", ApiFormat::Mcp),
            ("/mcp/github", ApiFormat::Mcp),
            ("/mcp/messages", ApiFormat::Mcp),
            ("/servers/github/mcp", ApiFormat::Mcp),
            ("/mcp/github/tools", ApiFormat::Unknown),
            ("/v1/mcpx", ApiFormat::Unknown),
            ("/model/anthropic.claude-v2/invoke", ApiFormat::Unknown),
            ("/healthz", ApiFormat::Unknown),
            ("", ApiFormat::Unknown),
        ];
        for (path, want) in table {
            assert_eq!(format_for_path(path), want, "{path}");
        }
    }
}
