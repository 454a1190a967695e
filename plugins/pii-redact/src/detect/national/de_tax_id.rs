//! de_tax_id: German tax identification number (Steuer-IdNr), 11 digits: the first not 0, in
//! the first ten one digit appears twice or three times (never three in a row) and some digit
//! not at all, then an ISO 7064 MOD 11,10 check digit. Reported only with a context word
//! (`Steuer-ID`, `Identifikationsnummer`, `IdNr`, `tax id`).

use super::{checksum, Id, Layout};
use crate::entity::EntityType;

pub const ID: Id = Id {
    kind: EntityType::DeTaxId,
    layouts: &[
        Layout {
            pattern: b"ddddddddddd",
            alone: false,
            claims: false,
        },
        Layout {
            pattern: b"dd ddd ddd ddd",
            alone: false,
            claims: false,
        },
    ],
    context: &[
        "steuer-id",
        "steuerid",
        "steuer-identifikationsnummer",
        "steueridentifikationsnummer",
        "identifikationsnummer",
        "idnr",
        "tax id",
        "tax-id",
        "tin",
    ],
    valid,
};

fn valid(sig: &[u8]) -> bool {
    let Some(body) = sig.get(..10) else {
        return false;
    };
    if sig.first() == Some(&b'0') {
        return false;
    }
    let mut counts = [0u8; 10];
    for &c in body {
        if let Some(n) = counts.get_mut(usize::from(c.wrapping_sub(b'0'))) {
            *n += 1;
        }
    }
    let repeated: Vec<u8> = counts.iter().copied().filter(|&n| n > 1).collect();
    let triple_in_row = body
        .windows(3)
        .any(|w| w.iter().all(|&c| Some(&c) == w.first()));
    matches!(repeated.as_slice(), [2] | [3]) && !triple_in_row && checksum::iso7064_mod11_10(sig)
}

#[cfg(test)]
mod tests {
    use super::super::testing::{check_type, reported, Rng};
    use super::*;

    #[test]
    fn published_and_generated() {
        for v in ["86095742719", "47036892816", "65929970489", "57549285017"] {
            assert_eq!(
                reported(EntityType::DeTaxId, &format!("Steuer-ID: {v}")),
                vec![v]
            );
        }
        let mut r = Rng(909);
        let mut n = 0;
        while n < 300 {
            let body = format!("{}{}", 1 + r.below(9), r.digits(9));
            let Some(v) = (0..10)
                .map(|c| format!("{body}{c}"))
                .find(|v| valid(v.as_bytes()))
            else {
                continue;
            };
            let spaced = format!("{} {} {} {}", &v[..2], &v[2..5], &v[5..8], &v[8..]);
            check_type(
                EntityType::DeTaxId,
                &[v, spaced],
                "Meine Steuer-IdNr lautet",
                false,
            );
            n += 1;
        }
    }

    #[test]
    fn digit_rules() {
        assert!(!valid(b"12345678903"), "no repeated digit");
        assert!(!valid(b"11123456789"), "three in a row");
        assert!(!valid(b"06095742719"), "leading 0");
    }
}
