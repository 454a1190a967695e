//! pseudonym: the per-request map between found values and stable placeholders
//! (`<EMAIL_1>`): same value -> same placeholder. Lives in the HTTP context only; never logged.

use crate::entity::EntityType;
use std::collections::HashMap;

/// Most distinct values one request may pseudonymise; later ones are redacted instead.
pub const MAX_ENTRIES: usize = 4096;

#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Pseudonyms {
    by_value: HashMap<(EntityType, String), String>,
    by_placeholder: HashMap<String, String>,
    counters: HashMap<EntityType, u32>,
}

impl Pseudonyms {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn is_empty(&self) -> bool {
        self.by_placeholder.is_empty()
    }

    pub fn len(&self) -> usize {
        self.by_placeholder.len()
    }

    /// The placeholder for `value` of type `t`, minting `<TYPE_n>` the first time. `None`
    /// when the map is full (the caller redacts instead).
    pub fn placeholder_for(&mut self, t: EntityType, value: &str) -> Option<String> {
        self.placeholder_named(t, t.name(), value)
    }

    /// [`Pseudonyms::placeholder_for`] with the type's name given (a custom type's
    /// configured name: `<CODENAME_1>`).
    pub fn placeholder_named(&mut self, t: EntityType, name: &str, value: &str) -> Option<String> {
        let key = (t, value.to_string());
        if let Some(p) = self.by_value.get(&key) {
            return Some(p.clone());
        }
        if self.by_placeholder.len() >= MAX_ENTRIES {
            return None;
        }
        let counter = self.counters.entry(t).or_insert(0);
        *counter += 1;
        let p = format!("<{name}_{counter}>");
        self.by_placeholder.insert(p.clone(), value.to_string());
        self.by_value.insert(key, p.clone());
        Some(p)
    }

    /// The original value behind a placeholder (`<EMAIL_1>`), if this request minted it.
    pub fn original(&self, placeholder: &str) -> Option<&str> {
        self.by_placeholder.get(placeholder).map(String::as_str)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_value_same_placeholder_counters_per_type() {
        let mut p = Pseudonyms::new();
        assert!(p.is_empty());
        assert_eq!(
            p.placeholder_for(EntityType::Email, "a@b.com").unwrap(),
            "<EMAIL_1>"
        );
        assert_eq!(
            p.placeholder_for(EntityType::Email, "c@d.com").unwrap(),
            "<EMAIL_2>"
        );
        assert_eq!(
            p.placeholder_for(EntityType::Email, "a@b.com").unwrap(),
            "<EMAIL_1>"
        );
        assert_eq!(
            p.placeholder_for(EntityType::Phone, "555").unwrap(),
            "<PHONE_1>"
        );
        assert_eq!(p.original("<EMAIL_2>"), Some("c@d.com"));
        assert_eq!(p.original("<EMAIL_3>"), None);
        assert_eq!(p.len(), 3);
    }

    #[test]
    fn full_map_refuses_new_values() {
        let mut p = Pseudonyms::new();
        for i in 0..MAX_ENTRIES {
            assert!(p
                .placeholder_for(EntityType::Email, &format!("{i}@x.io"))
                .is_some());
        }
        assert!(p.placeholder_for(EntityType::Email, "new@x.io").is_none());
        assert!(p.placeholder_for(EntityType::Email, "0@x.io").is_some());
    }
}
