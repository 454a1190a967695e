//! Identity passing along the plugin chain: what key-auth signs, later plugins accept; what a
//! client forges or tampers with, they treat as no identity.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)] // a test

use guardrail_sdk::identity::{sign, verify, Identity, IdentityError};

const CHAIN_SECRET: &[u8] = b"demo-identity-secret-change-me";

fn team_key() -> Identity {
    Identity {
        key_id: "k_team1_prod".into(),
        team: "team1".into(),
        env: "prod".into(),
        app: "support-bot".into(),
        providers: vec!["openai".into(), "anthropic".into()],
        models: vec!["gpt-4o-mini".into(), "claude-3-5-*".into()],
    }
}

#[test]
fn later_plugins_accept_what_key_auth_signed() {
    let header = sign(&team_key(), CHAIN_SECRET, 1_700_000_000);
    let (id, issued) = verify(&header, CHAIN_SECRET).expect("valid");
    assert_eq!(id, team_key());
    assert_eq!(issued, 1_700_000_000);
}

#[test]
fn a_client_cannot_forge_or_widen_an_identity() {
    let mut wider = team_key();
    wider.models = vec!["*".into()];
    // Signed with a guessed secret.
    let forged = sign(&wider, b"guess", 1);
    assert_eq!(
        verify(&forged, CHAIN_SECRET),
        Err(IdentityError::BadSignature)
    );
    // A genuine signature moved onto a different payload.
    let genuine = sign(&team_key(), CHAIN_SECRET, 1);
    let (_, sig) = genuine.split_once('.').expect("two parts");
    let (payload, _) = forged.split_once('.').expect("two parts");
    assert_eq!(
        verify(&format!("{payload}.{sig}"), CHAIN_SECRET),
        Err(IdentityError::BadSignature)
    );
    // Every single-character change of a genuine header is refused.
    for i in 0..genuine.len() {
        let mut bytes = genuine.clone().into_bytes();
        bytes[i] = if bytes[i] == b'A' { b'B' } else { b'A' };
        let Ok(changed) = String::from_utf8(bytes) else {
            continue;
        };
        if changed == genuine {
            continue;
        }
        assert!(
            verify(&changed, CHAIN_SECRET).is_err(),
            "byte {i} change accepted"
        );
    }
}

#[test]
fn different_issue_times_give_different_headers() {
    assert_ne!(
        sign(&team_key(), CHAIN_SECRET, 1),
        sign(&team_key(), CHAIN_SECRET, 2)
    );
}
