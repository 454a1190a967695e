//! checksum: the check-digit algorithms of the national identifiers, on their significant
//! characters (separators removed). Each returns `false` on a byte it does not expect, never
//! panics, and is tested against a second, straightforward implementation and published
//! example numbers (tests below).

/// Digit value of an ASCII digit.
fn digit(c: u8) -> Option<u32> {
    c.is_ascii_digit().then(|| u32::from(c - b'0'))
}

/// All bytes ASCII digits, `n` of them.
fn digits<const N: usize>(s: &[u8]) -> Option<[u32; N]> {
    let mut out = [0u32; N];
    if s.len() != N {
        return None;
    }
    for (o, &c) in out.iter_mut().zip(s) {
        *o = digit(c)?;
    }
    Some(out)
}

/// Weighted sum of digits.
fn weighted(d: &[u32], w: &[u32]) -> u32 {
    d.iter().zip(w).map(|(a, b)| a * b).sum()
}

/// Dutch BSN "11-test": 9 digits, 9·d1 + 8·d2 + ... + 2·d8 − d9 ≡ 0 (mod 11); not all zeros.
pub fn bsn(s: &[u8]) -> bool {
    let Some(d) = digits::<9>(s) else {
        return false;
    };
    let sum = weighted(&d[..8], &[9, 8, 7, 6, 5, 4, 3, 2]);
    sum > 0 && (sum + 11 * 9 - d[8]).is_multiple_of(11)
}

/// Brazilian CPF: 11 digits, two mod-11 check digits; numbers of one repeated digit are not
/// issued (they pass the arithmetic).
pub fn cpf(s: &[u8]) -> bool {
    let Some(d) = digits::<11>(s) else {
        return false;
    };
    if d.iter().all(|&x| x == d[0]) {
        return false;
    }
    let check = |n: usize| {
        let w: Vec<u32> = (2..=(n as u32 + 1)).rev().collect();
        (weighted(&d[..n], &w) * 10) % 11 % 10
    };
    check(9) == d[9] && check(10) == d[10]
}

/// Polish PESEL: 11 digits, weights 1,3,7,9 repeated, check = (10 − sum mod 10) mod 10.
pub fn pesel(s: &[u8]) -> bool {
    let Some(d) = digits::<11>(s) else {
        return false;
    };
    let sum = weighted(&d[..10], &[1, 3, 7, 9, 1, 3, 7, 9, 1, 3]);
    (10 - sum % 10) % 10 == d[10]
}

/// Verhoeff (Aadhaar): the dihedral-group check over all digits including the check digit.
pub fn verhoeff(s: &[u8]) -> bool {
    const D: [[u8; 10]; 10] = [
        [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
        [1, 2, 3, 4, 0, 6, 7, 8, 9, 5],
        [2, 3, 4, 0, 1, 7, 8, 9, 5, 6],
        [3, 4, 0, 1, 2, 8, 9, 5, 6, 7],
        [4, 0, 1, 2, 3, 9, 5, 6, 7, 8],
        [5, 9, 8, 7, 6, 0, 4, 3, 2, 1],
        [6, 5, 9, 8, 7, 1, 0, 4, 3, 2],
        [7, 6, 5, 9, 8, 2, 1, 0, 4, 3],
        [8, 7, 6, 5, 9, 3, 2, 1, 0, 4],
        [9, 8, 7, 6, 5, 4, 3, 2, 1, 0],
    ];
    const P: [[u8; 10]; 8] = [
        [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
        [1, 5, 7, 6, 2, 8, 3, 0, 9, 4],
        [5, 8, 0, 3, 7, 9, 6, 1, 4, 2],
        [8, 9, 1, 6, 0, 4, 3, 5, 2, 7],
        [9, 4, 5, 3, 1, 2, 6, 8, 7, 0],
        [4, 2, 8, 6, 5, 7, 3, 9, 0, 1],
        [2, 7, 9, 3, 8, 0, 6, 4, 1, 5],
        [7, 0, 4, 6, 9, 1, 3, 2, 5, 8],
    ];
    if s.is_empty() {
        return false;
    }
    let mut c = 0u8;
    for (i, &ch) in s.iter().rev().enumerate() {
        let Some(v) = digit(ch) else {
            return false;
        };
        let p = P
            .get(i % 8)
            .and_then(|row| row.get(v as usize))
            .copied()
            .unwrap_or(0);
        c = D
            .get(usize::from(c))
            .and_then(|row| row.get(usize::from(p)))
            .copied()
            .unwrap_or(0);
    }
    c == 0
}

/// ISO 7064 MOD 11,10 (German Steuer-IdNr): the last digit checks the ones before.
pub fn iso7064_mod11_10(s: &[u8]) -> bool {
    let Some((&last, body)) = s.split_last() else {
        return false;
    };
    let Some(check) = digit(last) else {
        return false;
    };
    let mut product = 10u32;
    for &c in body {
        let Some(v) = digit(c) else {
            return false;
        };
        let mut sum = (v + product) % 10;
        if sum == 0 {
            sum = 10;
        }
        product = (2 * sum) % 11;
    }
    (11 - product) % 10 == check
}

/// Korean RRN: 13 digits, weights 2..9,2..5, check = (11 − sum mod 11) mod 10.
pub fn rrn(s: &[u8]) -> bool {
    let Some(d) = digits::<13>(s) else {
        return false;
    };
    let sum = weighted(&d[..12], &[2, 3, 4, 5, 6, 7, 8, 9, 2, 3, 4, 5]);
    (11 - sum % 11) % 10 == d[12]
}

/// French NIR key: 13 characters (digits; the department may be `2A`/`2B`, counted as 19/18)
/// then a 2-digit key = 97 − (number mod 97).
pub fn nir(s: &[u8]) -> bool {
    if s.len() != 15 {
        return false;
    }
    let mut n: u64 = 0;
    for (i, &c) in s.iter().take(13).enumerate() {
        let v = match (i, c) {
            (6, b'A') => 9,
            (6, b'B') => 8,
            _ => match digit(c) {
                Some(v) => u64::from(v),
                None => return false,
            },
        };
        n = n * 10 + v;
    }
    // `2A` -> 19 and `2B` -> 18: the `2` before the letter counts as `1`.
    if matches!(s.get(6), Some(b'A' | b'B')) {
        if s.get(5) != Some(&b'2') {
            return false;
        }
        n -= 10_000_000;
    }
    let (Some(k1), Some(k2)) = (
        s.get(13).and_then(|&c| digit(c)),
        s.get(14).and_then(|&c| digit(c)),
    ) else {
        return false;
    };
    u64::from(k1 * 10 + k2) == 97 - n % 97
}

/// Spanish DNI/NIE control letter: the number (NIE: X/Y/Z as 0/1/2) mod 23 indexes
/// `TRWAGMYFPDXBNJZSQVHLCKE`. `s` is 9 characters.
pub fn nif(s: &[u8]) -> bool {
    const LETTERS: &[u8; 23] = b"TRWAGMYFPDXBNJZSQVHLCKE";
    let (Some(&first), Some(&letter)) = (s.first(), s.last()) else {
        return false;
    };
    if s.len() != 9 {
        return false;
    }
    let lead = match first {
        b'X' => 0,
        b'Y' => 1,
        b'Z' => 2,
        c => match digit(c) {
            Some(v) => v,
            None => return false,
        },
    };
    let mut n = lead;
    for &c in s.get(1..8).unwrap_or_default() {
        let Some(v) = digit(c) else {
            return false;
        };
        n = n * 10 + v;
    }
    LETTERS.get((n % 23) as usize) == Some(&letter)
}

/// Finnish HETU check character: DDMMYYNNN (9 digits, sign removed) mod 31 indexes
/// `0123456789ABCDEFHJKLMNPRSTUVWXY`.
pub fn hetu(digits9: &[u8], check: u8) -> bool {
    const CHARS: &[u8; 31] = b"0123456789ABCDEFHJKLMNPRSTUVWXY";
    let Some(d) = digits::<9>(digits9) else {
        return false;
    };
    let n = d.iter().fold(0u32, |a, &v| a * 10 + v);
    CHARS.get((n % 31) as usize) == Some(&check)
}

/// Italian codice fiscale check letter (position 16) over the first 15 characters: odd
/// positions (1st, 3rd, ...) through the odd table, even positions by their value.
pub fn fiscal_code(s: &[u8]) -> bool {
    const ODD: [u32; 26] = [
        1, 0, 5, 7, 9, 13, 15, 17, 19, 21, 2, 4, 18, 20, 11, 3, 6, 8, 12, 14, 16, 10, 22, 25, 24,
        23,
    ];
    if s.len() != 16 {
        return false;
    }
    let mut sum = 0u32;
    for (i, &c) in s.iter().take(15).enumerate() {
        // A digit counts as the letter of the same rank (0 = A) in both tables.
        let v = match c {
            b'0'..=b'9' => u32::from(c - b'0'),
            b'A'..=b'Z' => u32::from(c - b'A'),
            _ => return false,
        };
        sum += if i % 2 == 0 {
            ODD.get(v as usize).copied().unwrap_or(0)
        } else {
            v
        };
    }
    s.get(15) == Some(&(b'A' + (sum % 26) as u8))
}

/// Days in `month` of `year` (0 for a month out of range).
pub fn days_in_month(year: u32, month: u32) -> u32 {
    let leap = (year.is_multiple_of(4) && !year.is_multiple_of(100)) || year.is_multiple_of(400);
    match month {
        2 if leap => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        _ => 0,
    }
}

/// A real calendar date.
pub fn is_date(year: u32, month: u32, day: u32) -> bool {
    day >= 1 && day <= days_in_month(year, month)
}

/// Number from ASCII digits (`None` on any other byte).
pub fn num(s: &[u8]) -> Option<u32> {
    s.iter()
        .try_fold(0u32, |a, &c| digit(c).map(|v| a * 10 + v))
}

#[cfg(test)]
mod tests {
    //! Each algorithm against published valid numbers, and against a second implementation
    //! written from the specification in the plainest way (big-integer arithmetic through
    //! strings, no tables shared with the code above) over pseudo-random bodies: for every body
    //! exactly the check digits the reference computes are accepted.
    use super::*;

    /// xorshift64*: deterministic pseudo-random digits for the property tests.
    struct Rng(u64);
    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
        }
        fn digits(&mut self, n: usize) -> String {
            (0..n)
                .map(|_| char::from(b'0' + (self.next() % 10) as u8))
                .collect()
        }
    }

    fn ds(s: &str) -> Vec<u64> {
        s.bytes().map(|c| u64::from(c - b'0')).collect()
    }

    /// Every completion `body + tail` for tails of `n` digits that `f` accepts.
    fn accepted(body: &str, n: u32, f: fn(&[u8]) -> bool) -> Vec<String> {
        (0..10u32.pow(n))
            .map(|t| format!("{body}{t:0width$}", width = n as usize))
            .filter(|s| f(s.as_bytes()))
            .collect()
    }

    #[test]
    fn bsn_against_reference() {
        for ok in ["111222333", "123456782", "010000008"] {
            assert!(bsn(ok.as_bytes()), "{ok}");
        }
        assert!(!bsn(b"123456789") && !bsn(b"000000000") && !bsn(b"12345678"));
        let mut r = Rng(7);
        for _ in 0..2000 {
            let body = r.digits(8);
            let d = ds(&body);
            let s: u64 = (0..8).map(|i| d[i] * (9 - i as u64)).sum();
            let want: Vec<String> = (0..10)
                .filter(|&c| s > 0 && (s as i64 - c as i64).rem_euclid(11) == 0)
                .map(|c| format!("{body}{c}"))
                .collect();
            assert_eq!(accepted(&body, 1, bsn), want, "{body}");
        }
    }

    #[test]
    fn cpf_against_reference() {
        for ok in ["52998224725", "11144477735", "39053344705"] {
            assert!(cpf(ok.as_bytes()), "{ok}");
        }
        assert!(!cpf(b"11111111111") && !cpf(b"52998224724"));
        let mut r = Rng(11);
        for _ in 0..500 {
            let body = r.digits(9);
            let d = ds(&body);
            let dv = |d: &[u64]| {
                let n = d.len() as u64;
                let s: u64 = d
                    .iter()
                    .enumerate()
                    .map(|(i, &x)| x * (n + 1 - i as u64))
                    .sum();
                let r = s % 11;
                if r < 2 {
                    0
                } else {
                    11 - r
                }
            };
            let d1 = dv(&d);
            let mut d2v = d.clone();
            d2v.push(d1);
            let d2 = dv(&d2v);
            let want = format!("{body}{d1}{d2}");
            let want = if want.bytes().all(|c| c == want.as_bytes()[0]) {
                vec![]
            } else {
                vec![want]
            };
            assert_eq!(accepted(&body, 2, cpf), want, "{body}");
        }
    }

    #[test]
    fn pesel_against_reference() {
        for ok in ["44051401359", "02070803628", "83010411457"] {
            assert!(pesel(ok.as_bytes()), "{ok}");
        }
        let mut r = Rng(13);
        for _ in 0..2000 {
            let body = r.digits(10);
            let d = ds(&body);
            let w = [1, 3, 7, 9, 1, 3, 7, 9, 1, 3];
            let s: u64 = (0..10).map(|i| (d[i] * w[i]) % 10).sum();
            let c = (10 - s % 10) % 10;
            assert_eq!(accepted(&body, 1, pesel), vec![format!("{body}{c}")]);
        }
    }

    /// Verhoeff reference: the permutation and multiplication computed from the dihedral
    /// group D5 definition instead of tables.
    fn verhoeff_ref(s: &str) -> bool {
        // D5 element k: rotation r^(k mod 5), reflected when k >= 5.
        let mul = |a: u64, b: u64| -> u64 {
            let (ra, fa) = (a % 5, a >= 5);
            let (rb, fb) = (b % 5, b >= 5);
            let r = if fa { (ra + 5 - rb) % 5 } else { (ra + rb) % 5 };
            r + if fa != fb { 5 } else { 0 }
        };
        // The permutation (0)(1 5 8 9 4 2 7 0)... as published: p(1) = 1 5 7 6 2 8 3 0 9 4.
        let p1 = [1u64, 5, 7, 6, 2, 8, 3, 0, 9, 4];
        let perm = |i: usize, v: u64| (0..i % 8).fold(v, |x, _| p1[x as usize]);
        let c = s
            .bytes()
            .rev()
            .enumerate()
            .fold(0u64, |c, (i, ch)| mul(c, perm(i, u64::from(ch - b'0'))));
        c == 0
    }

    #[test]
    fn verhoeff_against_reference() {
        for ok in ["2363", "236", "499012345678"] {
            assert_eq!(verhoeff(ok.as_bytes()), verhoeff_ref(ok), "{ok}");
        }
        assert!(verhoeff(b"2363") && !verhoeff(b"2364") && !verhoeff(b"") && !verhoeff(b"23a3"));
        let mut r = Rng(17);
        for _ in 0..2000 {
            let body = r.digits(11);
            let got = accepted(&body, 1, verhoeff);
            assert_eq!(got.len(), 1, "{body}: one check digit");
            assert!(verhoeff_ref(&got[0]), "{}", got[0]);
        }
    }

    #[test]
    fn iso7064_against_reference() {
        // Published examples of the Steuer-IdNr.
        for ok in ["86095742719", "47036892816", "65929970489", "57549285017"] {
            assert!(iso7064_mod11_10(ok.as_bytes()), "{ok}");
        }
        let mut r = Rng(19);
        for _ in 0..2000 {
            let body = r.digits(10);
            let mut p = 10u64;
            for x in ds(&body) {
                let s = (x + p) % 10;
                let s = if s == 0 { 10 } else { s };
                p = s * 2 % 11;
            }
            let c = if 11 - p == 10 { 0 } else { 11 - p };
            assert_eq!(
                accepted(&body, 1, iso7064_mod11_10),
                vec![format!("{body}{c}")]
            );
        }
    }

    #[test]
    fn rrn_against_reference() {
        let mut r = Rng(23);
        for _ in 0..2000 {
            let body = r.digits(12);
            let d = ds(&body);
            let w = [2, 3, 4, 5, 6, 7, 8, 9, 2, 3, 4, 5];
            let s: u64 = (0..12).map(|i| d[i] * w[i]).sum();
            let c = (11 - s % 11) % 10;
            assert_eq!(accepted(&body, 1, rrn), vec![format!("{body}{c}")]);
        }
    }

    /// NIR reference: the 13-character number as a decimal string reduced mod 97 digit by digit.
    fn nir_key(number13: &str) -> u64 {
        let n = number13.replace("2A", "19").replace("2B", "18");
        97 - n
            .bytes()
            .fold(0u64, |a, c| (a * 10 + u64::from(c - b'0')) % 97)
    }

    #[test]
    fn nir_against_reference() {
        // The INSEE's published example 2 55 08 14 168 025 38.
        assert!(nir(b"255081416802538"));
        assert!(!nir(b"255081416802539") && !nir(b"25508141680253") && !nir(b"2550814168025AB"));
        assert!(!nir(b"1550819A68025AB"), "a letter outside the department");
        let mut r = Rng(29);
        for k in 0..1000 {
            let mut body = r.digits(13);
            if k % 3 == 1 {
                body.replace_range(5..7, if k % 2 == 0 { "2A" } else { "2B" });
            }
            let want = format!("{body}{:02}", nir_key(&body));
            assert_eq!(accepted(&body, 2, nir), vec![want], "{body}");
        }
    }

    #[test]
    fn nif_against_reference() {
        for ok in [
            "12345678Z",
            "00000000T",
            "X1234567L",
            "Y0000000Z",
            "Z7654321H",
        ] {
            assert!(nif(ok.as_bytes()), "{ok}");
        }
        let letters = "TRWAGMYFPDXBNJZSQVHLCKE";
        let mut r = Rng(31);
        for k in 0..2000 {
            let mut body = r.digits(8);
            let lead = ["X", "Y", "Z"][k % 3];
            if k % 2 == 1 {
                body.replace_range(0..1, lead);
            }
            let n: u64 = body
                .replace('X', "0")
                .replace('Y', "1")
                .replace('Z', "2")
                .parse()
                .unwrap();
            let want = letters.as_bytes()[(n % 23) as usize] as char;
            for c in b'A'..=b'Z' {
                let s = format!("{body}{}", c as char);
                assert_eq!(nif(s.as_bytes()), c as char == want, "{s}");
            }
        }
    }

    #[test]
    fn hetu_against_reference() {
        assert!(hetu(b"131052308", b'T')); // 131052-308T, the published example
        let chars = "0123456789ABCDEFHJKLMNPRSTUVWXY";
        let mut r = Rng(37);
        for _ in 0..2000 {
            let body = r.digits(9);
            let want = chars.as_bytes()[(body.parse::<u64>().unwrap() % 31) as usize];
            for c in (b'0'..=b'9').chain(b'A'..=b'Z') {
                assert_eq!(hetu(body.as_bytes(), c), c == want, "{body}{}", c as char);
            }
        }
    }

    #[test]
    fn fiscal_code_against_reference() {
        // Published examples (Agenzia delle Entrate style): RSSMRA85T10A562S, and omocodic
        // variants, whose check letter is recomputed over the substituted characters.
        for ok in ["RSSMRA85T10A562S", "MRTMTT91D08F205J", "RSSMRA85T10A56NH"] {
            assert!(fiscal_code(ok.as_bytes()), "{ok}");
        }
        // Reference: the odd table written out as a map from characters.
        let odd = |c: char| -> u64 {
            let t = "BAKPLCQDREVOSFTGUHMINJWZYX";
            let i = if c.is_ascii_digit() {
                (c as u8 - b'0') as usize
            } else {
                (c as u8 - b'A') as usize
            };
            // Rank of the character's value in `t` gives its odd weight: B=0, A=1, K=2, ...
            t.find((b'A' + i as u8) as char).unwrap() as u64
        };
        let even = |c: char| -> u64 {
            if c.is_ascii_digit() {
                u64::from(c as u8 - b'0')
            } else {
                u64::from(c as u8 - b'A')
            }
        };
        let mut r = Rng(41);
        let alnum = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
        for _ in 0..2000 {
            let body: String = (0..15)
                .map(|_| alnum[(r.next() % alnum.len() as u64) as usize] as char)
                .collect();
            let s: u64 = body
                .chars()
                .enumerate()
                .map(|(i, c)| if i % 2 == 0 { odd(c) } else { even(c) })
                .sum();
            let want = (b'A' + (s % 26) as u8) as char;
            for c in b'A'..=b'Z' {
                let code = format!("{body}{}", c as char);
                assert_eq!(fiscal_code(code.as_bytes()), c as char == want, "{code}");
            }
        }
    }

    #[test]
    fn dates() {
        assert!(is_date(2000, 2, 29) && !is_date(1900, 2, 29) && !is_date(2023, 4, 31));
        assert!(!is_date(2023, 13, 1) && !is_date(2023, 1, 0));
        assert_eq!(num(b"0815"), Some(815));
        assert_eq!(num(b"08a"), None);
    }
}
