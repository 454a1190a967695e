//! The example gateway's key-auth config (examples/envoy/plugins/key-auth.json) loads, holds
//! only digests, and accepts the demo keys the demo scenarios send.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)] // a test

use key_auth::config::load;
use key_auth::key_store::Lookup;

const SHIPPED: &str = include_str!("../../../examples/envoy/plugins/key-auth.json");

#[test]
fn shipped_config_accepts_the_demo_keys_and_stores_no_plaintext() {
    let settings = load(SHIPPED.as_bytes()).expect("shipped config is valid");
    for (key, id) in [
        ("grw_demo_alpha_7f3a9c1e5b2d4068", "demo-alpha"),
        (
            "grw_demo_beta_8248d870a116ea11a8f8e6af6bcaa1c2",
            "demo-beta",
        ),
    ] {
        assert!(!SHIPPED.contains(key), "plaintext key in the config");
        match settings.store.lookup(key, Some(1_800_000_000)) {
            Lookup::Accepted(a) => assert_eq!(a.key.id, id),
            Lookup::Rejected { why, .. } => panic!("{key}: {why:?}"),
        }
    }
    assert!(matches!(
        settings
            .store
            .lookup("grw_demo_alpha_0000000000000000", None),
        Lookup::Rejected { .. }
    ));
    assert!(settings.identity_secret.as_deref() == Some(&b"demo-identity-secret-change-me"[..]));
}
