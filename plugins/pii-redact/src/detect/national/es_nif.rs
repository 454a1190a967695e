//! es_nif: Spanish DNI (8 digits + control letter) and NIE (X/Y/Z + 7 digits + letter); the
//! letter is the number mod 23. Evidence: the shape and letter alone (a random letter passes
//! one time in 23, and the digits-then-letter shape is rare outside these numbers).

use super::{checksum, Id, Layout};
use crate::entity::EntityType;

pub const ID: Id = Id {
    kind: EntityType::EsNif,
    layouts: &[
        Layout {
            pattern: b"ddddddddL",
            alone: true,
            claims: false,
        },
        Layout {
            pattern: b"dddddddd-L",
            alone: true,
            claims: false,
        },
        Layout {
            pattern: b"dddddddd L",
            alone: false,
            claims: false,
        },
        Layout {
            pattern: b"dd.ddd.ddd-L",
            alone: true,
            claims: false,
        },
        Layout {
            pattern: b"LdddddddL",
            alone: true,
            claims: false,
        },
        Layout {
            pattern: b"L-ddddddd-L",
            alone: true,
            claims: false,
        },
        Layout {
            pattern: b"Lddddddd-L",
            alone: true,
            claims: false,
        },
    ],
    context: &[
        "dni",
        "nie",
        "nif",
        "documento nacional",
        "número de identidad",
        "numero de identidad",
        "identificación fiscal",
        "identificacion fiscal",
    ],
    valid,
};

/// 9 significant characters: a digit or X/Y/Z, 7 digits, the control letter.
fn valid(sig: &[u8]) -> bool {
    matches!(sig.first(), Some(b'0'..=b'9' | b'X' | b'Y' | b'Z')) && checksum::nif(sig)
}

#[cfg(test)]
mod tests {
    use super::super::testing::{check_type, reported, Rng};
    use super::*;

    fn letter(n: u64) -> char {
        b"TRWAGMYFPDXBNJZSQVHLCKE"[(n % 23) as usize] as char
    }

    #[test]
    fn generated_dni_and_nie() {
        let mut r = Rng(101);
        for k in 0..300 {
            let d = r.digits(8);
            let n: u64 = d.parse().unwrap();
            let dni = format!("{d}{}", letter(n));
            let lead = ["X", "Y", "Z"][k % 3];
            let body = &d[..7];
            let nie_n: u64 = format!("{}{body}", k % 3).parse().unwrap();
            let nie = format!("{lead}{body}{}", letter(nie_n));
            let variants = [
                dni.clone(),
                format!("{d}-{}", letter(n)),
                format!("{}.{}.{}-{}", &d[..2], &d[2..5], &d[5..], letter(n)),
                nie.clone(),
                format!("{lead}-{body}-{}", letter(nie_n)),
            ];
            check_type(EntityType::EsNif, &variants, "Mi DNI es", true);
            // Spaced letter: only with a context word.
            let spaced = format!("{d} {}", letter(n));
            assert_eq!(
                reported(EntityType::EsNif, &format!("NIF: {spaced}.")),
                vec![spaced.clone()]
            );
            assert!(reported(EntityType::EsNif, &format!("x {spaced}.")).is_empty());
        }
    }

    #[test]
    fn look_alikes() {
        for text in [
            "Order A1234567B shipped", // NIE letter not X/Y/Z
            "ref 123456789Z",          // 9 digits
            "code 12345678ZZ",         // glued letter
            "DNI 12345678z",           // lower-case letter
            "tracking 1Z12345678Z0",
        ] {
            assert!(reported(EntityType::EsNif, text).is_empty(), "{text}");
        }
    }
}
