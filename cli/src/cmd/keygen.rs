//! `guardrail keygen`: mint a key-auth virtual key (`grw_<env>_<id>_<32 hex random>`, 128 bits
//! from the OS random source) and print it once with the config snippet that stores only its
//! digest: `hmac-sha256:<hex>` of the key under the pepper, or `sha256:<hex>` without one.
//! `--key <existing>` hashes a key you already have (e.g. the demo key) instead of minting one.

use std::io::Read;

use guardrail_sdk::hash;

/// Random bytes in a new key (128 bits).
pub const RANDOM_BYTES: usize = 16;

/// The stored form of `key`; identical to what key-auth computes for a presented key.
pub fn digest(key: &str, pepper: Option<&[u8]>) -> String {
    match pepper {
        Some(p) => format!(
            "hmac-sha256:{}",
            hash::hex(&hash::hmac_sha256(p, key.as_bytes()))
        ),
        None => format!("sha256:{}", hash::hex(&hash::sha256(key.as_bytes()))),
    }
}

/// `grw_<env>_<id>_<random hex>` with `random` from the caller.
pub fn format_key(env: &str, id: &str, random: &[u8]) -> String {
    format!("grw_{env}_{id}_{}", hash::hex(random))
}

/// A new key from `/dev/urandom`.
pub fn new_key(env: &str, id: &str) -> anyhow::Result<String> {
    let mut random = [0u8; RANDOM_BYTES];
    std::fs::File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(&mut random))
        .map_err(|e| anyhow::anyhow!("cannot read /dev/urandom: {e}"))?;
    Ok(format_key(env, id, &random))
}

/// The `keys[]` entry for key-auth's config.
pub fn snippet(id: &str, env: &str, team: &str, app: &str, label: &str, digest: &str) -> String {
    let mut cred = serde_json::json!({ "hash": digest });
    if !label.is_empty() {
        cred["label"] = label.into();
    }
    let mut entry = serde_json::json!({ "id": id, "credentials": [cred] });
    for (k, v) in [("team", team), ("env", env), ("app", app)] {
        if !v.is_empty() {
            entry[k] = v.into();
        }
    }
    serde_json::to_string_pretty(&entry).unwrap_or_default()
}

fn is_part(s: &str) -> bool {
    !s.is_empty() && s.len() <= 32 && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
}

/// `guardrail keygen`: exactly one pepper source is required.
#[derive(Debug, clap::Args)]
#[command(group(clap::ArgGroup::new("pepper_source").required(true).args(["pepper", "pepper_env", "no_pepper"])))]
pub struct Args {
    /// The key's id, 1-32 of [A-Za-z0-9-] (part of the key).
    #[arg(long)]
    pub id: String,
    /// Environment label, 1-32 of [A-Za-z0-9-] (part of the key).
    #[arg(long, default_value = "dev")]
    pub env: String,
    /// Team recorded in the key's entry.
    #[arg(long, default_value = "")]
    pub team: String,
    /// Application recorded in the key's entry.
    #[arg(long, default_value = "")]
    pub app: String,
    /// Label of the credential (e.g. its rotation, `2026-q4`).
    #[arg(long, default_value = "")]
    pub label: String,
    /// The pepper: the same value as key-auth's `pepper`, at least 16 bytes.
    #[arg(long)]
    pub pepper: Option<String>,
    /// Read the pepper from this environment variable.
    #[arg(long, value_name = "VAR")]
    pub pepper_env: Option<String>,
    /// Store plain SHA-256 digests (a config without `pepper`).
    #[arg(long)]
    pub no_pepper: bool,
    /// Hash this existing key (e.g. the demo key) instead of minting one.
    #[arg(long, value_name = "KEY")]
    pub key: Option<String>,
}

pub fn run(args: Args) -> anyhow::Result<u8> {
    let Args {
        id,
        env,
        team,
        app,
        label,
        pepper,
        pepper_env,
        no_pepper: _, // clap's group: exactly one of --pepper, --pepper-env, --no-pepper
        key: existing,
    } = args;
    let pepper = match (pepper, pepper_env) {
        (Some(p), _) => Some(p),
        (None, Some(var)) => Some(
            std::env::var(&var)
                .map_err(|_| anyhow::anyhow!("environment variable {var} is not set"))?,
        ),
        (None, None) => None,
    };
    for (name, v) in [("--id", &id), ("--env", &env)] {
        if !is_part(v) {
            anyhow::bail!("{name} must be 1-32 characters of [A-Za-z0-9-] (it is part of the key)");
        }
    }
    if pepper.as_ref().is_some_and(|p| p.len() < 16) {
        anyhow::bail!("the pepper must be at least 16 bytes (key-auth refuses shorter ones)");
    }
    let key = match existing {
        Some(k) => k,
        None => new_key(&env, &id)?,
    };
    let d = digest(&key, pepper.as_deref().map(str::as_bytes));
    let text = format!(
        "key:  {key}\nhash: {d}\n# Give the key to the client once; store only the entry below in key-auth's `keys`:\n{}\n",
        snippet(&id, &env, &team, &app, &label, &d)
    );
    // A closed stdout (`| head -1`) is not an error worth a panic.
    let _ = std::io::Write::write_all(&mut std::io::stdout(), text.as_bytes());
    Ok(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digests_match_known_vectors() {
        assert_eq!(
            digest("abc", None),
            "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_eq!(
            digest("what do ya want for nothing?", Some(b"Jefe")),
            "hmac-sha256:5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    #[test]
    fn new_keys_have_the_format_and_differ() {
        let a = new_key("prod", "k1").unwrap();
        let b = new_key("prod", "k1").unwrap();
        assert_ne!(a, b);
        let rand = a.strip_prefix("grw_prod_k1_").unwrap();
        assert_eq!(rand.len(), 2 * RANDOM_BYTES);
        assert!(rand.bytes().all(|c| c.is_ascii_hexdigit()));
        assert_eq!(
            format_key("demo", "alpha", &[0x7f, 0x3a]),
            "grw_demo_alpha_7f3a"
        );
    }

    #[test]
    fn snippet_is_a_key_entry() {
        let s = snippet("k1", "prod", "t", "", "2026-q4", "sha256:00");
        let v: serde_json::Value = serde_json::from_str(&s).unwrap();
        assert_eq!(v["id"], "k1");
        assert_eq!(v["env"], "prod");
        assert_eq!(v["credentials"][0]["hash"], "sha256:00");
        assert_eq!(v["credentials"][0]["label"], "2026-q4");
        assert!(v.get("app").is_none());
    }

    #[test]
    fn bad_arguments_are_refused() {
        let run = |a: &[&str]| crate::cmd::run("keygen", a);
        // Usage errors (clap, exit 2): no --id, no pepper source, two sources, unknown option.
        assert_eq!(run(&["--env", "x"]).unwrap(), 2);
        assert_eq!(run(&["--id", "a"]).unwrap(), 2);
        assert_eq!(
            run(&["--id", "a", "--no-pepper", "--pepper-env", "P"]).unwrap(),
            2
        );
        assert_eq!(run(&["--id", "a", "--bogus"]).unwrap(), 2);
        // Bad values: an error (exit 1).
        assert!(run(&["--id", "a_b", "--no-pepper"]).is_err());
        assert!(run(&["--id", "a", "--pepper", "short"]).is_err());
        assert!(run(&["--id", "a", "--pepper-env", "GUARDRAIL_KEYGEN_TEST_UNSET"]).is_err());
        assert_eq!(run(&["--id", "a", "--no-pepper"]).unwrap(), 0);
    }
}
