//! it_fiscal_code: Italian codice fiscale, 16 upper-case characters: 6 letters (surname,
//! name), year, month letter, day (+40 for women), a cadastral code (letter + 3 digits), and a
//! check letter. Omocodia: any of the 7 digits may be replaced by `LMNPQRSTUV` (0-9), so a
//! code is found from its leading upper-case letters, not from digits. Evidence: structure
//! and check letter alone.

use super::super::chars::{at, before, is_alnum};
use super::super::skip::next_upper;
use super::{checksum, left_ok, right_ok, Found};
use crate::entity::{EntityType, Span};

/// Month letters A (January) ... T (December).
const MONTHS: &[u8; 12] = b"ABCDEHLMPRST";
/// Omocodic letters standing for 0-9.
const OMOCODIC: &[u8; 10] = b"LMNPQRSTUV";
/// Positions that hold a digit or its omocodic letter.
const DIGIT_POSITIONS: [usize; 7] = [6, 7, 9, 10, 12, 13, 14];

/// Every fiscal code in `b`, as reported finds (a near-miss is a 16-letter word no other
/// detector takes).
pub fn find(b: &[u8], out: &mut Vec<Found>) {
    let mut i = 0;
    loop {
        i = next_upper(b, i);
        if i >= b.len() {
            break;
        }
        // A token of upper-case letters and digits, starting a word.
        let mut e = i;
        while matches!(at(b, e), b'A'..=b'Z' | b'0'..=b'9') {
            e += 1;
        }
        if e - i == 16 && !is_alnum(before(b, i)) && left_ok(b, i) && right_ok(b, e) {
            if let Some(code) = b.get(i..e).filter(|c| valid(c)) {
                out.push(Found {
                    kind: EntityType::ItFiscalCode,
                    span: Span {
                        start: i,
                        end: i + code.len(),
                    },
                    report: true,
                });
            }
        }
        // Past this token (and any lower-case rest of its word).
        while is_alnum(at(b, e)) {
            e += 1;
        }
        i = e.max(i + 1);
    }
}

/// The digit a position holds (a digit or its omocodic letter).
fn digit_at(code: &[u8], k: usize) -> Option<u32> {
    let c = *code.get(k)?;
    if c.is_ascii_digit() {
        return Some(u32::from(c - b'0'));
    }
    OMOCODIC
        .iter()
        .position(|&o| o == c)
        .and_then(|p| u32::try_from(p).ok())
}

pub fn valid(code: &[u8]) -> bool {
    if code.len() != 16 || !code.iter().take(6).all(u8::is_ascii_uppercase) {
        return false;
    }
    if DIGIT_POSITIONS.iter().any(|&k| digit_at(code, k).is_none()) {
        return false;
    }
    let month = code.get(8).and_then(|c| MONTHS.iter().position(|m| m == c));
    let day = digit_at(code, 9)
        .zip(digit_at(code, 10))
        .map(|(a, b)| a * 10 + b);
    let day_ok = day.is_some_and(|d| (1..=31).contains(&d) || (41..=71).contains(&d));
    month.is_some()
        && day_ok
        && code.get(11).is_some_and(u8::is_ascii_uppercase)
        && checksum::fiscal_code(code)
}

#[cfg(test)]
mod tests {
    use super::super::testing::{near_miss, reported, Rng};
    use super::*;

    fn check_letter(body: &str) -> char {
        for c in b'A'..=b'Z' {
            let code = format!("{body}{}", c as char);
            if checksum::fiscal_code(code.as_bytes()) {
                return c as char;
            }
        }
        unreachable!()
    }

    fn make(r: &mut Rng, omocodic: usize) -> String {
        let letters = b"BCDFGHLMNPRSTVZAEIOUX";
        let mut s: Vec<u8> = (0..6)
            .map(|_| letters[r.below(letters.len() as u64) as usize])
            .collect();
        s.extend(r.digits(2).bytes());
        s.push(MONTHS[r.below(12) as usize]);
        let day = 1 + r.below(28) + if r.below(2) == 0 { 40 } else { 0 };
        s.extend(format!("{day:02}").bytes());
        s.push(b'A' + r.below(26) as u8);
        s.extend(r.digits(3).bytes());
        // Omocodia replaces digits from the right.
        for &k in DIGIT_POSITIONS.iter().rev().take(omocodic) {
            s[k] = OMOCODIC[usize::from(s[k] - b'0')];
        }
        let body = String::from_utf8(s).unwrap();
        format!("{body}{}", check_letter(&body))
    }

    #[test]
    fn generated_with_omocodia() {
        let mut r = Rng(111);
        for k in 0..400 {
            let v = make(&mut r, k % 8);
            for ctx in ["Il mio codice fiscale è", "Cliente Rossi, C.F.", "Ref"] {
                let text = format!("{ctx} {v}, ok");
                assert_eq!(
                    reported(EntityType::ItFiscalCode, &text),
                    vec![v.clone()],
                    "{text}"
                );
            }
            let near = near_miss(&v);
            assert!(
                reported(EntityType::ItFiscalCode, &format!("C.F. {near}")).is_empty(),
                "{near}"
            );
        }
    }

    #[test]
    fn look_alikes() {
        for text in [
            "RSSMRA85T10A562T",  // wrong check
            "RSSMRA85Z10A562S",  // month Z
            "RSSMRA85T35A562S",  // day 35
            "XRSSMRA85T10A562S", // 17 characters
            "rssmra85t10a562s",  // lower case
            "INTERNATIONALIZATION",
            "ABCDEFGHIJKLMNOP",
        ] {
            assert!(
                reported(EntityType::ItFiscalCode, text).is_empty(),
                "{text}"
            );
        }
        assert_eq!(
            reported(EntityType::ItFiscalCode, "CF RSSMRA85T10A562S."),
            vec!["RSSMRA85T10A562S"]
        );
    }
}
