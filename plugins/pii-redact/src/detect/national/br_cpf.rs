//! br_cpf: Brazilian CPF, 9 digits and two mod-11 check digits. Evidence: the punctuated
//! form `123.456.789-09` (or `123456789-09`) alone, its near-misses claimed; 11 bare digits
//! only with a context word.

use super::{checksum, Id, Layout};
use crate::entity::EntityType;

pub const ID: Id = Id {
    kind: EntityType::BrCpf,
    layouts: &[
        Layout {
            pattern: b"ddd.ddd.ddd-dd",
            alone: true,
            claims: true,
        },
        Layout {
            pattern: b"ddddddddd-dd",
            alone: true,
            claims: true,
        },
        Layout {
            pattern: b"ddd.ddd.ddd/dd",
            alone: true,
            claims: true,
        },
        Layout {
            pattern: b"ddd ddd ddd dd",
            alone: false,
            claims: false,
        },
        Layout {
            pattern: b"ddddddddddd",
            alone: false,
            claims: false,
        },
    ],
    context: &["cpf", "cadastro de pessoa", "contribuinte"],
    valid: checksum::cpf,
};

#[cfg(test)]
mod tests {
    use super::super::testing::{check_type, reported, Rng};
    use super::*;

    fn make(r: &mut Rng) -> String {
        let mut d: Vec<u32> = r.digits(9).bytes().map(|c| u32::from(c - b'0')).collect();
        for n in [9u32, 10] {
            let s: u32 = d
                .iter()
                .enumerate()
                .map(|(i, &x)| x * (n + 1 - i as u32))
                .sum();
            d.push(if s % 11 < 2 { 0 } else { 11 - s % 11 });
        }
        d.iter().map(|x| char::from(b'0' + *x as u8)).collect()
    }

    #[test]
    fn generated() {
        let mut r = Rng(505);
        for _ in 0..300 {
            let v = make(&mut r);
            let punct = format!("{}.{}.{}-{}", &v[..3], &v[3..6], &v[6..9], &v[9..]);
            check_type(
                EntityType::BrCpf,
                &[punct, format!("{}-{}", &v[..9], &v[9..])],
                "Meu CPF é",
                true,
            );
            check_type(
                EntityType::BrCpf,
                &[
                    v.clone(),
                    format!("{} {} {} {}", &v[..3], &v[3..6], &v[6..9], &v[9..]),
                ],
                "\"cpf\": \"",
                false,
            );
        }
    }

    #[test]
    fn look_alikes() {
        for text in [
            "boleto 111.111.111-11",
            "ref 529.982.247-2",
            "v 529.982.247-25.1",
        ] {
            assert!(reported(EntityType::BrCpf, text).is_empty(), "{text}");
        }
    }
}
