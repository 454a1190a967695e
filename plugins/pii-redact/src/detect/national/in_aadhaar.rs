//! in_aadhaar: Indian Aadhaar number, 12 digits (first 2-9) with a Verhoeff check digit,
//! compact or in groups of four. The check passes one time in ten: reported only with a
//! context word (`Aadhaar`, `आधार`, `UIDAI`, an `aadhaar` field name).

use super::{checksum, Id, Layout};
use crate::entity::EntityType;

pub const ID: Id = Id {
    kind: EntityType::InAadhaar,
    layouts: &[
        Layout {
            pattern: b"dddddddddddd",
            alone: false,
            claims: false,
        },
        Layout {
            pattern: b"dddd dddd dddd",
            alone: false,
            claims: false,
        },
        Layout {
            pattern: b"dddd-dddd-dddd",
            alone: false,
            claims: false,
        },
    ],
    context: &["aadhaar", "aadhar", "adhaar", "uidai", "आधार", "uid"],
    valid,
};

fn valid(sig: &[u8]) -> bool {
    matches!(sig.first(), Some(b'2'..=b'9')) && checksum::verhoeff(sig)
}

#[cfg(test)]
mod tests {
    use super::super::testing::{check_type, reported, Rng};
    use super::*;

    #[test]
    fn generated() {
        let mut r = Rng(808);
        for k in 0..300 {
            let body = format!("{}{}", 2 + r.below(8), r.digits(10));
            let c = (0..10)
                .map(|c| format!("{body}{c}"))
                .find(|v| checksum::verhoeff(v.as_bytes()))
                .unwrap();
            let forms = [
                c.clone(),
                format!("{} {} {}", &c[..4], &c[4..8], &c[8..]),
                format!("{}-{}-{}", &c[..4], &c[4..8], &c[8..]),
            ];
            check_type(
                EntityType::InAadhaar,
                &forms,
                ["My Aadhaar number is", "मेरा आधार नंबर", "aadhaar="][k % 3],
                false,
            );
        }
    }

    #[test]
    fn first_digit() {
        // 0/1 are never issued, whatever the check digit.
        let v = (0..10)
            .map(|c| format!("12345678901{c}"))
            .find(|v| checksum::verhoeff(v.as_bytes()))
            .unwrap();
        assert!(reported(EntityType::InAadhaar, &format!("Aadhaar {v}")).is_empty());
    }
}
