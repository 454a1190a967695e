//! fr_nir: French NIR / INSEE number: sex, year, month, department (Corsica `2A`/`2B`),
//! commune, order, then a key = 97 − (number mod 97); compact or in its printed groups
//! `1 23 45 67 890 123 45`. Evidence: shape, month/department structure and the 1-in-97 key
//! alone; a near-miss in the printed groups is claimed (no phone is written that way).

use super::{checksum, sig_num, Id, Layout};
use crate::entity::EntityType;

pub const ID: Id = Id {
    kind: EntityType::FrNir,
    layouts: &[
        Layout {
            pattern: b"ddddddadddddddd",
            alone: true,
            claims: false,
        },
        Layout {
            pattern: b"d dd dd da ddd ddd dd",
            alone: true,
            claims: true,
        },
        Layout {
            pattern: b"ddddddadddddd dd",
            alone: true,
            claims: false,
        },
    ],
    context: &[
        "nir",
        "insee",
        "sécurité sociale",
        "securite sociale",
        "sécu",
        "secu",
        "carte vitale",
        "numéro de sécurité",
        "n° ss",
        "ssn",
    ],
    valid,
};

fn valid(sig: &[u8]) -> bool {
    let sex_ok = matches!(sig.first(), Some(b'1' | b'2' | b'3' | b'4' | b'7' | b'8'));
    let month_ok = sig_num(sig, 3, 5)
        .is_some_and(|m| (1..=12).contains(&m) || (20..=42).contains(&m) || (50..=99).contains(&m));
    let dept_ok = match (sig.get(5), sig.get(6)) {
        (Some(b'2'), Some(b'A' | b'B')) => true,
        _ => sig_num(sig, 5, 7).is_some_and(|d| d >= 1),
    };
    sex_ok && month_ok && dept_ok && checksum::nir(sig)
}

#[cfg(test)]
mod tests {
    use super::super::testing::{check_type, reported, Rng};
    use super::*;

    /// A valid NIR from random parts, the key computed as a decimal string mod 97.
    fn make(r: &mut Rng, corsica: Option<&str>) -> String {
        let sex = ["1", "2"][r.below(2) as usize];
        let month = format!("{:02}", 1 + r.below(12));
        let dept = corsica.map_or(format!("{:02}", 1 + r.below(95)), str::to_string);
        let body = format!("{sex}{}{month}{dept}{}", r.digits(2), r.digits(6));
        let n = body.replace("2A", "19").replace("2B", "18");
        let rem = n
            .bytes()
            .fold(0u64, |a, c| (a * 10 + u64::from(c - b'0')) % 97);
        format!("{body}{:02}", 97 - rem)
    }

    fn spaced(v: &str) -> String {
        format!(
            "{} {} {} {} {} {} {}",
            &v[..1],
            &v[1..3],
            &v[3..5],
            &v[5..7],
            &v[7..10],
            &v[10..13],
            &v[13..]
        )
    }

    #[test]
    fn generated() {
        let mut r = Rng(202);
        for k in 0..300 {
            let corsica = match k % 5 {
                1 => Some("2A"),
                2 => Some("2B"),
                _ => None,
            };
            let v = make(&mut r, corsica);
            let variants = [v.clone(), spaced(&v), format!("{} {}", &v[..13], &v[13..])];
            check_type(
                EntityType::FrNir,
                &variants,
                "Mon numéro de sécurité sociale est le",
                true,
            );
            // The printed groups claim a near-miss even without context.
            let near = super::super::testing::near_miss(&spaced(&v));
            let f =
                super::super::testing::finds(EntityType::FrNir, &format!("Order {near} shipped"));
            assert_eq!(f, vec![(near.clone(), false)]);
        }
    }

    #[test]
    fn look_alikes() {
        for text in [
            "ref 555081416802538",  // sex 5
            "ref 255131416802538",  // month 13
            "ref 2550814168025389", // 16 digits
            "ref 2 55 08 14 168 025 3",
        ] {
            assert!(reported(EntityType::FrNir, text).is_empty(), "{text}");
        }
        assert_eq!(
            reported(EntityType::FrNir, "NIR: 2 55 08 14 168 025 38;"),
            vec!["2 55 08 14 168 025 38"]
        );
    }
}
