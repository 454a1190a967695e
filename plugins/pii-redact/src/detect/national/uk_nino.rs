//! uk_nino: UK National Insurance number `AB123456C` (also `AB 12 34 56 C`): two prefix
//! letters (first not D, F, I, Q, U, V; second not D, F, I, O, Q, U, V; not BG, GB, KN, NK,
//! NT, TN, ZZ), six digits, suffix A-D. No check digit: evidence is the shape and the prefix
//! rules alone (upper case only).

use super::{Id, Layout};
use crate::entity::EntityType;

pub const ID: Id = Id {
    kind: EntityType::UkNino,
    layouts: &[
        Layout {
            pattern: b"LLddddddL",
            alone: true,
            claims: false,
        },
        Layout {
            pattern: b"LL dd dd dd L",
            alone: true,
            claims: false,
        },
        Layout {
            pattern: b"LL dddddd L",
            alone: true,
            claims: false,
        },
    ],
    context: &["national insurance", "nino", "ni number", "ni no"],
    valid,
};

fn valid(sig: &[u8]) -> bool {
    let (Some(&a), Some(&b), Some(&s)) = (sig.first(), sig.get(1), sig.get(8)) else {
        return false;
    };
    !matches!(a, b'D' | b'F' | b'I' | b'Q' | b'U' | b'V')
        && !matches!(b, b'D' | b'F' | b'I' | b'O' | b'Q' | b'U' | b'V')
        && !matches!(
            &[a, b],
            b"BG" | b"GB" | b"KN" | b"NK" | b"NT" | b"TN" | b"ZZ"
        )
        && matches!(s, b'A'..=b'D')
}

#[cfg(test)]
mod tests {
    use super::super::testing::reported;
    use super::*;

    #[test]
    fn shapes_and_prefix_rules() {
        for v in ["AB123456C", "AB 12 34 56 C", "JG 103759 A", "CE123456D"] {
            assert_eq!(
                reported(EntityType::UkNino, &format!("NI {v}.")),
                vec![v],
                "{v}"
            );
        }
        for text in [
            "ref QQ123456C", // Q first
            "ref AO123456C", // O second
            "ref GB123456A", // excluded pair
            "ref AB123456E", // suffix
            "ref AB1234567C",
            "ref XAB123456C",
            "ref ab123456c",
        ] {
            assert!(reported(EntityType::UkNino, text).is_empty(), "{text}");
        }
    }
}
