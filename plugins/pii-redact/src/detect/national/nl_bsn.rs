//! nl_bsn: Dutch citizen service number (BSN), 9 digits passing the 11-test (also written
//! `1234.56.782`). A random 9-digit number passes one time in eleven, so a BSN is reported
//! only with a context word (`BSN`, `burgerservicenummer`, `sofinummer`, a `bsn` field name).

use super::{checksum, Id, Layout};
use crate::entity::EntityType;

pub const ID: Id = Id {
    kind: EntityType::NlBsn,
    layouts: &[
        Layout {
            pattern: b"ddddddddd",
            alone: false,
            claims: false,
        },
        Layout {
            pattern: b"dddd.dd.ddd",
            alone: false,
            claims: false,
        },
        Layout {
            pattern: b"dddd dd ddd",
            alone: false,
            claims: false,
        },
        Layout {
            pattern: b"ddd-ddd-ddd",
            alone: false,
            claims: false,
        },
    ],
    context: &[
        "bsn",
        "burgerservicenummer",
        "burgerservice",
        "sofinummer",
        "sofi-nummer",
        "sofinr",
        "citizen service number",
    ],
    valid: checksum::bsn,
};

#[cfg(test)]
mod tests {
    use super::super::testing::{check_type, Rng};
    use super::*;

    #[test]
    fn generated() {
        let mut r = Rng(606);
        let mut n = 0;
        while n < 300 {
            let body = r.digits(8);
            let s: u32 = body
                .bytes()
                .zip((2..=9).rev())
                .map(|(c, w)| u32::from(c - b'0') * w)
                .sum();
            let c = s % 11;
            if c > 9 || s == 0 {
                continue;
            }
            let v = format!("{body}{c}");
            let forms = [
                v.clone(),
                format!("{}.{}.{}", &v[..4], &v[4..6], &v[6..]),
                format!("{}-{}-{}", &v[..3], &v[3..6], &v[6..]),
            ];
            let ctx = ["Mijn BSN is", "burgerservicenummer:", "{\"bsn\": \""][n % 3];
            check_type(EntityType::NlBsn, &forms, ctx, false);
            n += 1;
        }
    }
}
