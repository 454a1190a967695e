//! family: the attack families every rule and signal belongs to (the finding's category).

/// Attack family of a rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Family {
    /// "ignore previous instructions" and friends.
    Override,
    /// Persona/role-play jailbreaks (DAN, developer mode, "no restrictions").
    Jailbreak,
    /// System-prompt extraction.
    Extraction,
    /// Fake role delimiters and chat-template tokens.
    Delimiter,
    /// Data exfiltration (markdown images, "send the conversation to").
    Exfiltration,
    /// Encoded payloads (base64/hex/ROT13/URL-encoded instructions).
    Encoded,
    /// Obfuscation itself (invisible characters, homoglyph mixing, tag smuggling, padding).
    Obfuscation,
    /// Policy-evasion framing ("hypothetically", "for educational purposes").
    Evasion,
    /// An instruction addressed to the assistant inside data (tool results, documents).
    DataInstruction,
    /// A harmful request inside a framing device (fiction, role, urgency, research, forced
    /// opening): attacker-model role-play jailbreaks.
    Roleplay,
    /// Optimised adversarial token soup appended to a request (GCG-style suffixes).
    Suffix,
}

impl Family {
    /// Every family (the configuration names them by [`Family::name`]).
    pub const ALL: [Family; 11] = [
        Family::Override,
        Family::Jailbreak,
        Family::Extraction,
        Family::Delimiter,
        Family::Exfiltration,
        Family::Encoded,
        Family::Obfuscation,
        Family::Evasion,
        Family::DataInstruction,
        Family::Roleplay,
        Family::Suffix,
    ];

    /// Stable name (verdict log category, rule id prefix).
    pub fn name(self) -> &'static str {
        match self {
            Family::Override => "override",
            Family::Jailbreak => "jailbreak",
            Family::Extraction => "extraction",
            Family::Delimiter => "delimiter",
            Family::Exfiltration => "exfiltration",
            Family::Encoded => "encoded",
            Family::Obfuscation => "obfuscation",
            Family::Evasion => "evasion",
            Family::DataInstruction => "data_instruction",
            Family::Roleplay => "roleplay",
            Family::Suffix => "suffix",
        }
    }
}
