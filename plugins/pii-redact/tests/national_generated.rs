//! national_generated: the whole scan (every type on) over generated sentences: valid
//! national identifiers in templates of their languages (context before, after, JSON fields,
//! punctuation variants) are found as their type; the same values with one check character
//! changed, in sentences about other numbers (orders, invoices, tickets, files), produce no
//! finding of any type (phone and card included). Values are computed here from the
//! published algorithms, independently of the plugin's code.

use pii_redact::detect::{scan, Enabled};
use pii_redact::entity::EntityType;

struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    fn digits(&mut self, n: usize) -> Vec<u32> {
        (0..n).map(|_| self.below(10) as u32).collect()
    }
}

fn s(d: &[u32]) -> String {
    d.iter().map(|x| char::from(b'0' + *x as u8)).collect()
}

fn leap(y: u32) -> bool {
    (y.is_multiple_of(4) && !y.is_multiple_of(100)) || y.is_multiple_of(400)
}

fn days(y: u32, m: u32) -> u32 {
    [
        31,
        if leap(y) { 29 } else { 28 },
        31,
        30,
        31,
        30,
        31,
        31,
        30,
        31,
        30,
        31,
    ][(m - 1) as usize]
}

/// (day, month, year) of a real date in `from..to`.
fn date(r: &mut Rng, from: u32, to: u32) -> (u32, u32, u32) {
    let y = from + r.below(u64::from(to - from)) as u32;
    let m = 1 + r.below(12) as u32;
    let d = 1 + r.below(u64::from(days(y, m))) as u32;
    (d, m, y)
}

/// One generated value per type: (type, written value).
fn value(t: EntityType, r: &mut Rng) -> String {
    match t {
        EntityType::NlBsn => loop {
            let d = r.digits(8);
            let sum: u32 = d.iter().zip((2..=9).rev()).map(|(a, w)| a * w).sum();
            if sum % 11 < 10 && sum > 0 {
                let v = format!("{}{}", s(&d), sum % 11);
                return match r.below(3) {
                    0 => format!("{}.{}.{}", &v[..4], &v[4..6], &v[6..]),
                    _ => v,
                };
            }
        },
        EntityType::BrCpf => loop {
            let mut d = r.digits(9);
            for n in [9u32, 10] {
                let sum: u32 = d
                    .iter()
                    .enumerate()
                    .map(|(i, x)| x * (n + 1 - i as u32))
                    .sum();
                d.push(if sum % 11 < 2 { 0 } else { 11 - sum % 11 });
            }
            if d.iter().any(|&x| x != d[0]) {
                let v = s(&d);
                return format!("{}.{}.{}-{}", &v[..3], &v[3..6], &v[6..9], &v[9..]);
            }
        },
        EntityType::PlPesel => {
            let (d, m, y) = date(r, 1930, 2020);
            let mm = if y >= 2000 { m + 20 } else { m };
            let mut v: Vec<u32> = format!("{:02}{mm:02}{d:02}", y % 100)
                .bytes()
                .map(|c| u32::from(c - b'0'))
                .collect();
            v.extend(r.digits(4));
            let sum: u32 = v
                .iter()
                .zip([1, 3, 7, 9, 1, 3, 7, 9, 1, 3])
                .map(|(a, w)| a * w)
                .sum();
            v.push((10 - sum % 10) % 10);
            s(&v)
        }
        EntityType::FiHetu => {
            let (d, m, y) = date(r, 1940, 2020);
            let sign = if y >= 2000 { 'A' } else { '-' };
            let n = 2 + r.below(898);
            let num: u64 = format!("{d:02}{m:02}{:02}{n:03}", y % 100).parse().unwrap();
            let c = b"0123456789ABCDEFHJKLMNPRSTUVWXY"[(num % 31) as usize] as char;
            format!("{d:02}{m:02}{:02}{sign}{n:03}{c}", y % 100)
        }
        EntityType::EsNif => {
            let n = r.below(100_000_000);
            let c = b"TRWAGMYFPDXBNJZSQVHLCKE"[(n % 23) as usize] as char;
            format!("{n:08}{c}")
        }
        EntityType::FrNir => {
            let body = format!(
                "{}{:02}{:02}{:02}{}",
                1 + r.below(2),
                r.below(100),
                1 + r.below(12),
                1 + r.below(95),
                s(&r.digits(6))
            );
            let n: u64 = body.parse().unwrap();
            let v = format!("{body}{:02}", 97 - n % 97);
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
        EntityType::InAadhaar => {
            // Verhoeff from the dihedral group D5, written out.
            let mul = |a: u32, b: u32| -> u32 {
                let (ra, fa, rb, fb) = (a % 5, a >= 5, b % 5, b >= 5);
                (if fa { (ra + 5 - rb) % 5 } else { (ra + rb) % 5 }) + if fa != fb { 5 } else { 0 }
            };
            let p1 = [1u32, 5, 7, 6, 2, 8, 3, 0, 9, 4];
            let perm = |i: usize, v: u32| (0..i % 8).fold(v, |x, _| p1[x as usize]);
            let check = |v: &[u32]| {
                v.iter()
                    .rev()
                    .enumerate()
                    .fold(0, |c, (i, &d)| mul(c, perm(i, d)))
                    == 0
            };
            let mut d = vec![2 + r.below(8) as u32];
            d.extend(r.digits(10));
            let c = (0..10)
                .find(|&c| check(&[d.clone(), vec![c]].concat()))
                .unwrap();
            d.push(c);
            let v = s(&d);
            format!("{} {} {}", &v[..4], &v[4..8], &v[8..])
        }
        _ => unreachable!(),
    }
}

/// `v` with its last letter/digit replaced by the next one of its class.
fn near_miss(v: &str) -> String {
    let mut b = v.as_bytes().to_vec();
    if let Some(c) = b.iter_mut().rev().find(|c| c.is_ascii_alphanumeric()) {
        *c = match *c {
            b'9' => b'0',
            b'Z' => b'A',
            x => x + 1,
        };
    }
    String::from_utf8(b).unwrap()
}

const TYPES: [(EntityType, &[&str]); 7] = [
    (
        EntityType::NlBsn,
        &[
            "Mijn BSN is {}, klopt dat?",
            "{\"naam\": \"Jansen\", \"bsn\": \"{}\"}",
            "Burgerservicenummer: {}.",
            "Het nummer {} is mijn BSN.",
        ],
    ),
    (
        EntityType::BrCpf,
        &[
            "Meu CPF é {}, obrigado.",
            "Cliente Souza, CPF {}, pedido aprovado.",
            "{\"cpf\": \"{}\"}",
        ],
    ),
    (
        EntityType::PlPesel,
        &[
            "Mój PESEL to {}.",
            "PESEL pacjenta: {}; adres Kraków.",
            "Numer {} to mój PESEL.",
        ],
    ),
    (
        EntityType::FiHetu,
        &[
            "Henkilötunnukseni on {}.",
            "Hetu: {}",
            "Kela needs the form for {} today.",
        ],
    ),
    (
        EntityType::EsNif,
        &[
            "Mi DNI es {} y vivo en Madrid.",
            "García;{};2.350,00",
            "NIF del cliente: {}.",
        ],
    ),
    (
        EntityType::FrNir,
        &[
            "Mon numéro de sécurité sociale est le {}.",
            "NIR : {} ; ville Lyon",
            "Numéro INSEE {}.",
        ],
    ),
    (
        EntityType::InAadhaar,
        &[
            "My Aadhaar number is {}.",
            "मेरा आधार नंबर {} है।",
            "KYC: aadhaar={}, pan=pending",
        ],
    ),
];

/// Sentences about other numbers: a near-miss there is nothing at all.
const OTHER_NUMBERS: &[&str] = &[
    "Votre numéro de dossier est le {}.",
    "Il numero di protocollo è {}, conservalo.",
    "Het factuurnummer is {}.",
    "Numer zamówienia: {}.",
    "Tilausnumero {} on vahvistettu.",
    "La referencia del pedido es {}.",
    "O código do boleto é {}.",
    "The ticket {} was closed yesterday.",
    "Order {} shipped on 2024-05-17.",
    "Transaction id {} failed, retry later.",
    "Ihre Bestellnummer lautet {}.",
    "Reference number {} is attached.",
];

fn found(text: &str) -> Vec<(EntityType, String)> {
    scan(text, &Enabled::all())
        .into_iter()
        .map(|m| (m.kind, text[m.start..m.end].to_string()))
        .collect()
}

#[test]
fn valid_values_in_their_templates_are_found_as_their_type() {
    let mut r = Rng(2026);
    for (t, templates) in TYPES {
        for k in 0..200 {
            let v = value(t, &mut r);
            let text = templates[k % templates.len()].replace("{}", &v);
            assert_eq!(found(&text), vec![(t, v.clone())], "{text}");
        }
    }
}

#[test]
fn near_misses_in_other_number_sentences_are_nothing() {
    let mut r = Rng(7);
    for (t, _) in TYPES {
        for k in 0..200 {
            let v = near_miss(&value(t, &mut r));
            let text = OTHER_NUMBERS[k % OTHER_NUMBERS.len()].replace("{}", &v);
            let got = found(&text);
            assert!(got.is_empty(), "{t:?} near-miss in {text:?}: {got:?}");
            // Compact forms too (spaces and punctuation removed).
            let compact: String = v.chars().filter(|c| c.is_ascii_alphanumeric()).collect();
            let text = OTHER_NUMBERS[(k + 5) % OTHER_NUMBERS.len()].replace("{}", &compact);
            let got = found(&text);
            assert!(
                got.is_empty(),
                "{t:?} compact near-miss in {text:?}: {got:?}"
            );
        }
    }
}
