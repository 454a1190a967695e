//! pl_pesel: Polish PESEL, 11 digits: birth date (the month carries the century: +80 1800s,
//! +0 1900s, +20 2000s, +40 2100s, +60 2200s), serial, and the 1-3-7-9 weighted mod-10 check
//! digit. The check passes one time in ten: reported only with a context word (`PESEL`).

use super::{checksum, sig_num, Id, Layout};
use crate::entity::EntityType;

pub const ID: Id = Id {
    kind: EntityType::PlPesel,
    layouts: &[Layout {
        pattern: b"ddddddddddd",
        alone: false,
        claims: false,
    }],
    context: &["pesel"],
    valid,
};

fn valid(sig: &[u8]) -> bool {
    let (Some(yy), Some(mm), Some(dd)) =
        (sig_num(sig, 0, 2), sig_num(sig, 2, 4), sig_num(sig, 4, 6))
    else {
        return false;
    };
    let (century, month) = match mm {
        81..=92 => (1800, mm - 80),
        1..=12 => (1900, mm),
        21..=32 => (2000, mm - 20),
        41..=52 => (2100, mm - 40),
        61..=72 => (2200, mm - 60),
        _ => return false,
    };
    checksum::is_date(century + yy, month, dd) && checksum::pesel(sig)
}

#[cfg(test)]
mod tests {
    use super::super::testing::{check_type, reported, Rng};
    use super::*;

    fn make(r: &mut Rng) -> String {
        loop {
            let (y, m, d) = (
                r.below(100) as u32,
                1 + r.below(12) as u32,
                1 + r.below(31) as u32,
            );
            let (c, off) = [(1900, 0), (2000, 20), (1800, 80)][r.below(3) as usize];
            if !checksum::is_date(c + y, m, d) {
                continue;
            }
            let body = format!("{y:02}{:02}{d:02}{}", m + off, r.digits(4));
            let s: u32 = body
                .bytes()
                .zip([1, 3, 7, 9, 1, 3, 7, 9, 1, 3])
                .map(|(c, w)| u32::from(c - b'0') * w)
                .sum();
            return format!("{body}{}", (10 - s % 10) % 10);
        }
    }

    #[test]
    fn generated() {
        let mut r = Rng(707);
        for k in 0..300 {
            let v = make(&mut r);
            check_type(
                EntityType::PlPesel,
                &[v],
                ["Mój PESEL to", "Sprawdź wniosek: Kowalski, PESEL", "pesel="][k % 3],
                false,
            );
        }
    }

    #[test]
    fn bad_dates() {
        assert!(reported(EntityType::PlPesel, "PESEL 44133101350").is_empty()); // month 13
        assert!(reported(EntityType::PlPesel, "PESEL 44023001357").is_empty()); // 30 February
        assert_eq!(
            reported(EntityType::PlPesel, "PESEL 44051401359"),
            vec!["44051401359"]
        );
    }
}
