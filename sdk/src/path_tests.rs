//! Tables for `path`: every shape, every action, encodings, and what is not a per-model URL.

use super::*;

fn model(path: &str) -> Result<Option<(String, PathShape)>, PathModelError> {
    model_from_path(path).map(|m| m.map(|m| (m.model, m.shape)))
}

#[test]
fn every_shape_names_its_model() {
    use PathShape::*;
    let table = [
        ("/openai/deployments/prod-gpt4o/chat/completions?api-version=2024-06-01", "prod-gpt4o", AzureDeployment),
        ("/openai/deployments/d1/embeddings", "d1", AzureDeployment),
        ("/openai/deployments/d1", "d1", AzureDeployment),
        ("/model/anthropic.claude-3-5-sonnet-20240620-v1%3A0/invoke", "anthropic.claude-3-5-sonnet-20240620-v1:0", Bedrock),
        ("/model/m1/converse", "m1", Bedrock),
        ("/model/m1/converse-stream", "m1", Bedrock),
        ("/model/m1/invoke-with-response-stream", "m1", Bedrock),
        ("/model/m1/count-tokens", "m1", Bedrock),
        ("/model/m1/other", "m1", Bedrock),
        ("/model/arn%3Aaws%3Abedrock%3Aus-east-1%3A1%3Ainference-profile%2Fx/invoke", "", Bedrock),
        ("/v1beta/models/gemini-1.5-pro:generateContent", "gemini-1.5-pro", Gemini),
        ("/v1beta/models/gemini-2.0-flash:streamGenerateContent?alt=sse", "gemini-2.0-flash", Gemini),
        ("/v1/models/gemini-pro:countTokens", "gemini-pro", Gemini),
        ("/v1beta/models/text-embedding-004:embedContent", "text-embedding-004", Gemini),
        ("/v1/projects/p/locations/us-central1/publishers/google/models/gemini-1.5-pro:generateContent", "gemini-1.5-pro", Vertex),
        ("/v1/projects/p/locations/l/publishers/anthropic/models/claude-3-5-sonnet@20240620:streamRawPredict", "claude-3-5-sonnet@20240620", Vertex),
    ];
    for (path, want, shape) in table {
        if want.is_empty() {
            // An ARN with an encoded `/` decodes to a model containing `/`: refused.
            assert_eq!(model(path), Err(PathModelError::Invalid), "{path}");
            continue;
        }
        assert_eq!(model(path), Ok(Some((want.to_string(), shape))), "{path}");
    }
}

#[test]
fn shapes_count_only_at_their_canonical_position() {
    for p in [
        "/v1/chat/completions",
        "/v1/messages",
        "/v1/responses",
        "/x/openai/deployments/d/chat/completions",
        "/api/model/m1/invoke",
        "/v1/chat/completions/openai/deployments/d",
        "/models/m:generateContent",
        "/v1/projects/p/locations/l/endpoints/e:predict",
        "openai/deployments/d/chat/completions",
        "",
        "/",
    ] {
        assert_eq!(model(p), Ok(None), "{p}");
    }
}

#[test]
fn span_points_at_the_raw_model() {
    for path in [
        "/model/a%3Ab/invoke",
        "/openai/deployments/a%3Ab/chat/completions",
        "/v1beta/models/a%3Ab:generateContent",
        "/v1/projects/p/locations/l/publishers/g/models/a%3Ab:generateContent",
    ] {
        let m = model_from_path(path).ok().flatten();
        assert_eq!(m.as_ref().map(|m| m.model.as_str()), Some("a:b"), "{path}");
        let raw = m.and_then(|m| path.get(m.span)).map(str::to_owned);
        assert_eq!(raw.as_deref(), Some("a%3Ab"), "{path}");
    }
}

#[test]
fn unreadable_models_fail_closed() {
    use PathModelError::*;
    for (path, want) in [
        ("/model/a%zz/invoke", BadEncoding),
        ("/model/a%ff/invoke", BadEncoding),
        ("/model/a%4/invoke", BadEncoding),
        ("/model//invoke", Empty),
        ("/model/", Empty),
        ("/openai/deployments//chat/completions", Empty),
        ("/v1beta/models/:generateContent", Empty),
        ("/model/a%2Fb/invoke", Invalid),
        ("/model/a%0Ab/invoke", Invalid),
        ("/openai/deployments/a%00/chat/completions", Invalid),
    ] {
        assert_eq!(model(path), Err(want), "{path}");
    }
}

#[test]
fn percent_decode_is_strict() {
    assert_eq!(percent_decode("a%41%2f").as_deref(), Some("aA/"));
    assert_eq!(percent_decode("a+b").as_deref(), Some("a+b"));
    assert_eq!(percent_decode("%C3%A9").as_deref(), Some("é"));
    for bad in ["%", "%4", "%zz", "%ff", "a%g0"] {
        assert_eq!(percent_decode(bad), None, "{bad}");
    }
}
