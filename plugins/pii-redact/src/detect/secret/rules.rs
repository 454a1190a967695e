//! rules: the table of credential formats the secret scan knows, one row per literal that
//! starts (or anchors) a format. Every literal goes into the one Aho-Corasick prefilter; the
//! row's check runs only where its literal occurs. Written from the providers' documented
//! token shapes (prefix, alphabet, length).

/// Character sets of token bodies.
#[derive(Clone, Copy, Debug)]
pub enum Set {
    /// `[A-Za-z0-9]`
    Alnum,
    /// `[A-Z0-9]`
    Upper,
    /// `[A-Za-z0-9_-]`
    Url,
    /// `[A-Za-z0-9_]`
    Word,
    /// `[A-Za-z0-9-]`
    Dash,
    /// `[0-9a-f]`
    Hex,
    /// `[a-z0-9]`
    Lower,
    /// `[A-Za-z0-9+/=]`
    B64,
    /// `[A-Za-z0-9_=-]`
    UrlPad,
    /// `[A-Za-z0-9/_-]` (URL path segments)
    Path,
    /// `[a-z0-9$]` (Braintree's `production$merchant$key`)
    Dollar,
}

impl Set {
    pub fn has(self, c: u8) -> bool {
        match self {
            Set::Alnum => c.is_ascii_alphanumeric(),
            Set::Upper => c.is_ascii_uppercase() || c.is_ascii_digit(),
            Set::Url => c.is_ascii_alphanumeric() || c == b'_' || c == b'-',
            Set::Word => c.is_ascii_alphanumeric() || c == b'_',
            Set::Dash => c.is_ascii_alphanumeric() || c == b'-',
            Set::Hex => c.is_ascii_digit() || (b'a'..=b'f').contains(&c),
            Set::Lower => c.is_ascii_lowercase() || c.is_ascii_digit(),
            Set::B64 => c.is_ascii_alphanumeric() || c == b'+' || c == b'/' || c == b'=',
            Set::UrlPad => c.is_ascii_alphanumeric() || c == b'_' || c == b'-' || c == b'=',
            Set::Path => c.is_ascii_alphanumeric() || c == b'/' || c == b'_' || c == b'-',
            Set::Dollar => c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'$',
        }
    }
}

/// What follows (or surrounds) a literal.
#[derive(Clone, Copy, Debug)]
pub enum Check {
    /// The literal starts a token at a word start; the body is `min..=max` bytes of `set`
    /// and ends the token; `random`: the body must also look random (entropy, classes).
    Token {
        set: Set,
        min: usize,
        max: usize,
        random: bool,
    },
    /// Like `Token` but the literal may follow a `/` or `.` (URLs: `https://hooks...`).
    Url { set: Set, min: usize, max: usize },
    /// `name=value` inside a connection string: the value (`min..=max` bytes of `set`) is
    /// the secret.
    Assign { set: Set, min: usize, max: usize },
    /// A credential keyword (any case) and an assigned random-looking value;
    /// `password`: shorter, any printable value.
    Keyword { password: bool },
    /// `scheme://user:password@host`: the password.
    Uri,
    /// `eyJ<header>.eyJ<payload>.<signature>`
    Jwt,
    /// `-----BEGIN ... PRIVATE KEY-----` / `PGP PRIVATE KEY BLOCK` to its END line.
    Pem,
    /// A PuTTY private key file, through its `Private-MAC:` line.
    Putty,
    /// Azure SAS `sig=` value, when an `sv=` parameter comes before it.
    SasSig,
    /// Azure AD client secret `xxxNQ~...` (the literal is `Q~`, 4 bytes into the token).
    AzureClientSecret,
    /// Telegram bot token `123456789:AA...` (the literal is `:AA`, after the bot id).
    Telegram,
    /// SendGrid `SG.<22>.<43>`.
    SendGrid,
}

/// One row: provider (for the README and tests), literal, exact case or not, check.
pub struct Rule {
    pub provider: &'static str,
    pub literal: &'static str,
    pub exact: bool,
    pub check: Check,
}

const fn tok(
    provider: &'static str,
    literal: &'static str,
    set: Set,
    min: usize,
    max: usize,
) -> Rule {
    Rule {
        provider,
        literal,
        exact: true,
        check: Check::Token {
            set,
            min,
            max,
            random: false,
        },
    }
}

/// A token whose body must also look random (short or common-looking prefixes).
const fn rnd(
    provider: &'static str,
    literal: &'static str,
    set: Set,
    min: usize,
    max: usize,
) -> Rule {
    Rule {
        provider,
        literal,
        exact: true,
        check: Check::Token {
            set,
            min,
            max,
            random: true,
        },
    }
}

const fn special(provider: &'static str, literal: &'static str, check: Check) -> Rule {
    Rule {
        provider,
        literal,
        exact: true,
        check,
    }
}

const fn kw(literal: &'static str, password: bool) -> Rule {
    Rule {
        provider: "keyword assignment",
        literal,
        exact: false,
        check: Check::Keyword { password },
    }
}

const fn uri(literal: &'static str) -> Rule {
    Rule {
        provider: "database URI",
        literal,
        exact: false,
        check: Check::Uri,
    }
}

pub const RULES: &[Rule] = &[
    // AI providers
    tok("Anthropic", "sk-ant-", Set::Url, 20, 400),
    tok("OpenAI", "sk-proj-", Set::Url, 20, 400),
    tok("OpenAI", "sk-svcacct-", Set::Url, 20, 400),
    tok("OpenAI", "sk-admin-", Set::Url, 20, 400),
    rnd("OpenAI (legacy), DeepSeek", "sk-", Set::Url, 20, 400),
    tok("Hugging Face", "hf_", Set::Alnum, 30, 64),
    tok("Hugging Face (org)", "api_org_", Set::Alnum, 30, 64),
    rnd("Replicate", "r8_", Set::Alnum, 30, 40),
    tok("Groq", "gsk_", Set::Alnum, 48, 56),
    tok("Perplexity", "pplx-", Set::Alnum, 40, 56),
    tok("xAI", "xai-", Set::Alnum, 60, 90),
    tok("Google AI / GCP API key", "AIza", Set::Url, 35, 35),
    // Cloud
    tok("GCP OAuth client secret", "GOCSPX-", Set::Url, 28, 28),
    tok("GCP OAuth access token", "ya29.", Set::Url, 30, 2048),
    tok("AWS access key id", "AKIA", Set::Upper, 16, 16),
    tok("AWS temporary key id", "ASIA", Set::Upper, 16, 16),
    tok("AWS group id", "AGPA", Set::Upper, 16, 16),
    tok("AWS user id", "AIDA", Set::Upper, 16, 16),
    tok("AWS role id", "AROA", Set::Upper, 16, 16),
    tok("AWS managed policy id", "ANPA", Set::Upper, 16, 16),
    tok("AWS managed policy version", "ANVA", Set::Upper, 16, 16),
    tok("AWS instance profile id", "AIPA", Set::Upper, 16, 16),
    tok("AWS bearer token (Bedrock)", "ABSK", Set::B64, 40, 400),
    tok("DigitalOcean personal token", "dop_v1_", Set::Hex, 64, 64),
    tok("DigitalOcean OAuth token", "doo_v1_", Set::Hex, 64, 64),
    tok("DigitalOcean refresh token", "dor_v1_", Set::Hex, 64, 64),
    tok("Heroku API key", "HRKU-", Set::Url, 20, 80),
    Rule {
        provider: "Azure storage connection string",
        literal: "AccountKey=",
        exact: false,
        check: Check::Assign {
            set: Set::B64,
            min: 86,
            max: 88,
        },
    },
    Rule {
        provider: "Azure Service Bus / Event Hubs",
        literal: "SharedAccessKey=",
        exact: false,
        check: Check::Assign {
            set: Set::B64,
            min: 43,
            max: 44,
        },
    },
    special("Azure SAS token", "sig=", Check::SasSig),
    special("Azure AD client secret", "Q~", Check::AzureClientSecret),
    // Code hosts
    tok("GitHub personal token", "ghp_", Set::Alnum, 30, 255),
    tok("GitHub OAuth token", "gho_", Set::Alnum, 30, 255),
    tok("GitHub app installation token", "ghs_", Set::Alnum, 30, 255),
    tok("GitHub app user token", "ghu_", Set::Alnum, 30, 255),
    tok("GitHub refresh token", "ghr_", Set::Alnum, 30, 255),
    tok(
        "GitHub fine-grained token",
        "github_pat_",
        Set::Word,
        22,
        255,
    ),
    tok("GitLab personal token", "glpat-", Set::Url, 20, 64),
    tok("GitLab deploy token", "gldt-", Set::Url, 20, 64),
    tok("GitLab runner token", "glrt-", Set::Url, 20, 64),
    tok("GitLab pipeline trigger", "glptt-", Set::Url, 20, 64),
    tok("GitLab CI job token", "glcbt-", Set::Url, 20, 64),
    tok("GitLab feed token", "glft-", Set::Url, 20, 64),
    tok("GitLab OAuth secret", "gloas-", Set::Url, 20, 80),
    tok("GitLab runner registration", "GR1348941", Set::Url, 20, 64),
    rnd("Bitbucket app password", "ATBB", Set::Alnum, 28, 64),
    rnd("Atlassian API token", "ATATT", Set::UrlPad, 50, 300),
    // Package registries
    tok("npm token", "npm_", Set::Alnum, 36, 36),
    tok("PyPI token", "pypi-AgE", Set::Url, 50, 400),
    rnd("crates.io token", "cio", Set::Alnum, 32, 32),
    rnd("NuGet API key", "oy2", Set::Lower, 43, 43),
    tok("RubyGems API key", "rubygems_", Set::Hex, 48, 48),
    // Payment
    tok("Stripe secret key", "sk_live_", Set::Alnum, 16, 200),
    tok("Stripe restricted key", "rk_live_", Set::Alnum, 16, 200),
    tok("Stripe test key", "sk_test_", Set::Alnum, 16, 200),
    tok(
        "Stripe restricted test key",
        "rk_test_",
        Set::Alnum,
        16,
        200,
    ),
    tok("Stripe webhook secret", "whsec_", Set::Alnum, 24, 200),
    tok("Square access token", "sq0atp-", Set::Url, 22, 22),
    tok("Square application secret", "sq0csp-", Set::Url, 43, 43),
    rnd("Square access token (EAAA)", "EAAA", Set::Url, 60, 60),
    tok(
        "PayPal Braintree access token",
        "access_token$production$",
        Set::Dollar,
        40,
        60,
    ),
    tok(
        "PayPal Braintree sandbox token",
        "access_token$sandbox$",
        Set::Dollar,
        40,
        60,
    ),
    // Messaging
    tok("Slack bot token", "xoxb-", Set::Dash, 10, 255),
    tok("Slack user token", "xoxp-", Set::Dash, 10, 255),
    tok("Slack app token", "xoxa-", Set::Dash, 10, 255),
    tok("Slack refresh token", "xoxr-", Set::Dash, 10, 255),
    tok("Slack legacy token", "xoxs-", Set::Dash, 10, 255),
    tok("Slack config token", "xoxe-", Set::Dash, 10, 255),
    Rule {
        provider: "Slack webhook",
        literal: "hooks.slack.com/services/",
        exact: true,
        check: Check::Url {
            set: Set::Path,
            min: 20,
            max: 120,
        },
    },
    Rule {
        provider: "Discord webhook",
        literal: "discord.com/api/webhooks/",
        exact: true,
        check: Check::Url {
            set: Set::Path,
            min: 60,
            max: 160,
        },
    },
    Rule {
        provider: "Discord webhook",
        literal: "discordapp.com/api/webhooks/",
        exact: true,
        check: Check::Url {
            set: Set::Path,
            min: 60,
            max: 160,
        },
    },
    special("Telegram bot token", ":AA", Check::Telegram),
    rnd("Twilio API key", "SK", Set::Hex, 32, 32),
    special("SendGrid API key", "SG.", Check::SendGrid),
    rnd("Mailgun API key", "key-", Set::Lower, 32, 32),
    // Observability
    tok("New Relic user key", "NRAK-", Set::Upper, 27, 27),
    tok("New Relic insights key", "NRII-", Set::Url, 20, 40),
    tok("New Relic browser key", "NRJS-", Set::Hex, 19, 19),
    tok("Sentry org token", "sntrys_", Set::UrlPad, 40, 400),
    tok("Sentry user token", "sntryu_", Set::Hex, 64, 64),
    // Private keys and signed tokens
    special("PEM / OpenSSH / PGP private key", "-----BEGIN ", Check::Pem),
    special("PuTTY private key", "PuTTY-User-Key-File-", Check::Putty),
    special("JWT", "eyJ", Check::Jwt),
    // Database URIs with passwords
    uri("postgres://"),
    uri("postgresql://"),
    uri("mysql://"),
    uri("mariadb://"),
    uri("mongodb://"),
    uri("mongodb+srv://"),
    uri("redis://"),
    uri("rediss://"),
    uri("amqp://"),
    uri("amqps://"),
    uri("mssql://"),
    // Generic assignments (.env, YAML, JSON, headers); also after `_` (`DB_PASSWORD=`)
    kw("api_key", false),
    kw("apikey", false),
    kw("api-key", false),
    kw("app_key", false),
    kw("access_key", false),
    kw("secret_key", false),
    kw("client_secret", false),
    kw("private_key", false),
    kw("secret", false),
    kw("access_token", false),
    kw("auth_token", false),
    kw("token", false),
    kw("bearer", false),
    kw("authorization", false),
    kw("password", true),
    kw("passwd", true),
    kw("pwd", true),
    kw("passphrase", true),
];
