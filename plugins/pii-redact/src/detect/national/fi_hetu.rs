//! fi_hetu: Finnish personal identity code `DDMMYYCNNNX`: a real date, the century sign (`+`
//! 1800s; `-`, `Y`, `X`, `W`, `V`, `U` 1900s; `A`-`F` 2000s), an individual number and a
//! mod-31 check character. Evidence: shape, date and check alone; a near-miss is claimed only
//! with a context word (a digit-only one could be a phone number such as `030123-4567`; one
//! with a letter no other detector takes).

use super::{checksum, sig_num, Id, Layout};
use crate::entity::EntityType;

pub const ID: Id = Id {
    kind: EntityType::FiHetu,
    layouts: &[Layout {
        pattern: b"dddddd+ddda",
        alone: true,
        claims: false,
    }],
    context: &[
        "henkilötunnu",
        "henkilotunnu",
        "hetu",
        "sotu",
        "personbeteckning",
        "personal identity code",
        "kela",
    ],
    valid,
};

fn valid(sig: &[u8]) -> bool {
    let (Some(&sign), Some(&check)) = (sig.get(6), sig.get(10)) else {
        return false;
    };
    let century = match sign {
        b'+' => 1800,
        b'-' | b'U'..=b'Y' => 1900,
        b'A'..=b'F' => 2000,
        _ => return false,
    };
    let (Some(day), Some(month), Some(yy), Some(n)) = (
        sig_num(sig, 0, 2),
        sig_num(sig, 2, 4),
        sig_num(sig, 4, 6),
        sig_num(sig, 7, 10),
    ) else {
        return false;
    };
    let mut digits = [0u8; 9];
    for (d, &c) in digits
        .iter_mut()
        .zip(sig.iter().take(6).chain(sig.iter().skip(7).take(3)))
    {
        *d = c;
    }
    n >= 2 && checksum::is_date(century + yy, month, day) && checksum::hetu(&digits, check)
}

#[cfg(test)]
mod tests {
    use super::super::testing::{check_type, finds, near_miss, reported, Rng};
    use super::*;

    const CHARS: &[u8; 31] = b"0123456789ABCDEFHJKLMNPRSTUVWXY";

    fn make(r: &mut Rng, sign: char, century: u32) -> String {
        loop {
            let (d, m, y) = (
                1 + r.below(31) as u32,
                1 + r.below(12) as u32,
                r.below(100) as u32,
            );
            if !checksum::is_date(century + y, m, d) {
                continue;
            }
            let n = 2 + r.below(898);
            let num = format!("{d:02}{m:02}{y:02}{n:03}");
            let c = CHARS[(num.parse::<u64>().unwrap() % 31) as usize] as char;
            return format!("{}{sign}{}{c}", &num[..6], &num[6..]);
        }
    }

    #[test]
    fn generated() {
        let mut r = Rng(303);
        for (k, (sign, century)) in [
            ('-', 1900),
            ('A', 2000),
            ('+', 1800),
            ('Y', 1900),
            ('B', 2000),
        ]
        .into_iter()
        .cycle()
        .take(300)
        .enumerate()
        {
            let v = make(&mut r, sign, century);
            check_type(
                EntityType::FiHetu,
                std::slice::from_ref(&v),
                "Henkilötunnukseni on",
                true,
            );
            // Without context a near-miss is neither reported nor claimed.
            let near = near_miss(&v);
            let f = finds(EntityType::FiHetu, &format!("Transaction id {near} failed"));
            assert!(f.is_empty(), "{k}: {near}");
        }
    }

    #[test]
    fn look_alikes() {
        for text in [
            "ref 131052-308U", // wrong check
            "ref 321052-308T", // day 32
            "ref 131052Z308T", // no such sign
            "ref 131052-001T", // individual number 001
            "tel 030123-4567",
        ] {
            assert!(reported(EntityType::FiHetu, text).is_empty(), "{text}");
        }
        assert_eq!(
            reported(EntityType::FiHetu, "hetu 131052-308T."),
            vec!["131052-308T"]
        );
    }
}
