//! kr_rrn: Korean resident registration number `YYMMDD-GNNNNNC`: a real date whose century
//! the gender digit gives, and the weighted mod-11 check digit of numbers issued before
//! October 2020 (later numbers have no check digit and are not found). Evidence: the hyphen
//! form alone (a near-miss is claimed), 13 bare digits only with a context word.

use super::{checksum, sig_num, Id, Layout};
use crate::entity::EntityType;

pub const ID: Id = Id {
    kind: EntityType::KrRrn,
    layouts: &[
        Layout {
            pattern: b"dddddd-ddddddd",
            alone: true,
            claims: true,
        },
        Layout {
            pattern: b"ddddddddddddd",
            alone: false,
            claims: false,
        },
    ],
    context: &["주민등록번호", "주민번호", "rrn", "resident registration"],
    valid,
};

fn valid(sig: &[u8]) -> bool {
    let century = match sig.get(6) {
        Some(b'1' | b'2' | b'5' | b'6') => 1900,
        Some(b'3' | b'4' | b'7' | b'8') => 2000,
        Some(b'9' | b'0') => 1800,
        _ => return false,
    };
    let (Some(yy), Some(m), Some(d)) = (sig_num(sig, 0, 2), sig_num(sig, 2, 4), sig_num(sig, 4, 6))
    else {
        return false;
    };
    checksum::is_date(century + yy, m, d) && checksum::rrn(sig)
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
            let g = 1 + r.below(4) as u32;
            if !checksum::is_date(if g <= 2 { 1900 } else { 2000 } + y, m, d) {
                continue;
            }
            let body = format!("{y:02}{m:02}{d:02}{g}{}", r.digits(5));
            let w = [2, 3, 4, 5, 6, 7, 8, 9, 2, 3, 4, 5];
            let s: u32 = body
                .bytes()
                .zip(w)
                .map(|(c, w)| u32::from(c - b'0') * w)
                .sum();
            return format!("{}{}", body, (11 - s % 11) % 10);
        }
    }

    #[test]
    fn generated() {
        let mut r = Rng(404);
        for _ in 0..300 {
            let v = make(&mut r);
            let hyphen = format!("{}-{}", &v[..6], &v[6..]);
            check_type(EntityType::KrRrn, &[hyphen], "주민등록번호:", true);
            check_type(EntityType::KrRrn, &[v], "RRN", false);
        }
    }

    #[test]
    fn look_alikes() {
        for text in [
            "ref 901313-1234567",
            "ref 900101-5234567x",
            "call 010-1234-5678",
        ] {
            assert!(reported(EntityType::KrRrn, text).is_empty(), "{text}");
        }
    }
}
