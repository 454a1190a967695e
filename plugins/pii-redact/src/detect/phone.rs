//! phone: E.164 (`+CC ...`) and national formats with separators; 7-15 digits, optional
//! extension. Dates, ISBNs, versions, SKUs and bare digit runs without a phone context are
//! rejected.

use super::chars::{at, before, is_alnum, is_digit, keyword_before};
use super::skip::{next_digit_or, run_end_digits};
use crate::entity::Span;

/// Words that make a bare or loosely formatted digit run a phone number.
const CONTEXT: &[&str] = &[
    "phone",
    "tel",
    "mobile",
    "mobil",
    "cell",
    "call",
    "fax",
    "whatsapp",
    "sms",
    "text me",
    "ring",
    "dial",
    "contact",
    "reach",
    "unter",
    "erreich",
    "telefon",
    "téléphone",
    "portable",
    "handy",
    "celular",
    "cellulare",
    "電話",
    "电话",
    "手机",
    "携帯",
    "연락",
];

/// "Number" words: phone context only as a word of their own followed directly by the value
/// (`my number is 612 345 678`, `Mon numéro est le ...`), not when they name another number
/// (`numéro de dossier`, `numero di protocollo`, `factuurnummer`, `Tilausnumero`).
const NUMBER_WORDS: &[&str] = &["number", "numéro", "numero", "número", "nummer", "no."];

/// What may stand between a number word and the value.
const FILLER: &[&str] = &[
    "is", "was", "es", "est", "ist", "é", "è", "le", "la", "el", "o", "à", "at", "my", "me",
];

/// A number word ends less than 40 bytes before `start`, starts a word, and only filler
/// words and `:`/`=`/`-`/quotes stand between.
fn number_word_before(b: &[u8], start: usize) -> bool {
    let from = start.saturating_sub(40);
    let Some(hay) = b.get(from..start) else {
        return false;
    };
    NUMBER_WORDS.iter().any(|w| {
        let w = w.as_bytes();
        (0..hay.len().saturating_sub(w.len() - 1)).rev().any(|k| {
            let starts_word = k > 0 && !super::chars::is_wordish(at(hay, k - 1))
                || k == 0 && !super::chars::is_wordish(before(b, from));
            starts_word
                && hay
                    .get(k..k + w.len())
                    .is_some_and(|x| super::chars::eq_ci(x, w))
                && only_filler(hay.get(k + w.len()..).unwrap_or_default())
        })
    })
}

/// `gap` is filler words, spaces and `:`/`=`/`-`/quotes only.
fn only_filler(gap: &[u8]) -> bool {
    let text = String::from_utf8_lossy(gap).to_lowercase();
    text.split(|c: char| c.is_whitespace() || matches!(c, ':' | '=' | '-' | '"' | '\'' | '('))
        .filter(|t| !t.is_empty())
        .all(|t| FILLER.contains(&t))
}

/// Words that make a digit run something else (book/product ids).
const VETO: &[&str] = &[
    "isbn", "ean", "upc", "gtin", "sku", "order", "invoice", "version",
];

/// A list of at most 16 bytes without a heap allocation (a number has at most 16 groups: a
/// 16th group of one digit already exceeds 15 digits and ends the parse).
#[derive(Default, Clone, Copy)]
struct Few {
    items: [u8; 16],
    len: u8,
}

impl Few {
    fn push(&mut self, v: u8) {
        if let Some(slot) = self.items.get_mut(usize::from(self.len)) {
            *slot = v;
            self.len += 1;
        }
    }
    fn as_slice(&self) -> &[u8] {
        self.items.get(..usize::from(self.len)).unwrap_or_default()
    }
}

impl std::ops::Deref for Few {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        self.as_slice()
    }
}

#[derive(Default)]
struct Shape {
    lens: Few,   // digit count of each group (at most 15)
    parens: u16, // bit k: group k is inside parentheses
    seps: Few,   // separator byte between groups (' ', '-', '.', ')' for none)
    plus: bool,
    digits: usize,
    end: usize,
}

impl Shape {
    fn paren(&self, k: usize) -> bool {
        k < 16 && self.parens & (1 << k) != 0
    }
}

/// Every phone number in `text`.
pub fn find(text: &str, out: &mut Vec<Span>) {
    let b = text.as_bytes();
    let mut i = 0;
    let mut s = Shape::default();
    loop {
        // Only a digit, `+` or `(` can start a number.
        i = next_digit_or(b, i, b'+', b'(');
        if i >= b.len() {
            break;
        }
        let c = at(b, i);
        let starts = (c == b'+' && (is_digit(at(b, i + 1)) || at(b, i + 1) == b'('))
            || (c == b'(' && (is_digit(at(b, i + 1)) || at(b, i + 1) == b'+'))
            || is_digit(c);
        let mut resume = i;
        if starts && left_ok(b, i) {
            match parse(b, i, &mut s) {
                Parsed::Shape => {
                    let end = extension(b, s.end);
                    if accept(b, i, &s, end) {
                        out.push(Span { start: i, end });
                        i = end;
                        continue;
                    }
                }
                Parsed::Nothing => {}
                Parsed::Refused(digit) => resume = digit,
            }
        }
        i = skip_run(b, resume);
    }
}

/// Next start position: past the digit run at `i` (never start inside one), else `i + 1`;
/// then past every digit run glued to it by one of ` -.:,/` (`left_ok` refuses their starts:
/// `4111 1111 ...`, `999.888.777`).
fn skip_run(b: &[u8], i: usize) -> usize {
    if !is_digit(at(b, i)) {
        return i + 1;
    }
    skip_glued(b, run_end_digits(b, i + 1))
}

/// Past every digit run glued to the end `j` of a digit run by one of ` -.:,/`.
fn skip_glued(b: &[u8], mut j: usize) -> usize {
    while matches!(at(b, j), b' ' | b'-' | b'.' | b':' | b',' | b'/') && is_digit(at(b, j + 1)) {
        j = run_end_digits(b, j + 2);
    }
    j
}

fn left_ok(b: &[u8], i: usize) -> bool {
    let p = before(b, i);
    if is_alnum(p)
        || matches!(
            p,
            b'_' | b'+' | b'#' | b'@' | b'/' | b'\\' | b'=' | b'$' | b'%'
        )
    {
        return false;
    }
    // `3519 0107 ...`: a longer digit group sequence started earlier and was rejected.
    if p == b' ' && is_digit(before(b, i - 1)) {
        return false;
    }
    // `AB-1234`, `v1.2`, `12:30` continue something else.
    if matches!(p, b'-' | b'.' | b':' | b',') && is_alnum(before(b, i - 1)) {
        return false;
    }
    true
}

/// What `parse` read at a start.
enum Parsed {
    /// The groups are in the shape, for `accept`.
    Shape,
    /// No number starts here.
    Nothing,
    /// No number starts here (too few or too many digits, or a dot-separated run that
    /// `accept` would refuse), and the groups read from the start are digits glued by single
    /// ` -./`: the value is a digit of the last group read, on `skip_run`'s chain from the
    /// start, so the scan resumes from there instead of walking the groups again.
    Refused(usize),
}

/// Reads the groups at `start` into `s` (reused across starts: no copy of a shape per
/// candidate).
fn parse(b: &[u8], start: usize, s: &mut Shape) -> Parsed {
    s.lens.len = 0;
    s.seps.len = 0;
    s.parens = 0;
    s.plus = false;
    s.digits = 0;
    s.end = start;
    let mut j = start;
    if at(b, j) == b'+' {
        s.plus = true;
        j += 1;
    }
    loop {
        let paren = at(b, j) == b'(';
        if paren {
            j += 1;
        }
        let gs = j;
        while is_digit(at(b, j)) {
            j += 1;
        }
        let n = j - gs;
        if n == 0 {
            return Parsed::Nothing;
        }
        if paren {
            if at(b, j) != b')' {
                return Parsed::Nothing;
            }
            j += 1;
        }
        if paren && s.lens.len() < 16 {
            s.parens |= 1 << s.lens.len();
        }
        s.lens.push(u8::try_from(n).unwrap_or(u8::MAX));
        s.digits += n;
        s.end = j;
        if s.digits > 15 {
            return refused(s, j);
        }
        // Separator: one of ' ', '-', '.', or ") " / ")-" (handled by the paren), or none
        // after a closing parenthesis.
        let c = at(b, j);
        if matches!(c, b' ' | b'-' | b'.' | b'/') {
            let d = at(b, j + 1);
            if is_digit(d) || (d == b'(' && c != b'.') {
                if c == b'.' && unanchored_dots(b, start, s, j) {
                    return Parsed::Refused(j + 1);
                }
                s.seps.push(c);
                j += 1;
                continue;
            }
            // " - " style is not supported; stop here.
            break;
        }
        if paren && (is_digit(c) || c == b'(') {
            s.seps.push(b')');
            continue;
        }
        if c == b'(' && is_digit(at(b, j + 1)) && s.plus && s.lens.len() == 1 {
            // `+49(0)30...`
            s.seps.push(b')');
            continue;
        }
        break;
    }
    if s.digits < 7 {
        return refused(s, j);
    }
    Parsed::Shape
}

/// No number: resume from the last digit before `j` (the end of a digit group) when every
/// group so far is plain digits (no `+`, no parentheses), else from the start.
fn refused(s: &Shape, j: usize) -> Parsed {
    if s.plus || s.parens != 0 {
        return Parsed::Nothing;
    }
    Parsed::Refused(j.saturating_sub(1))
}

/// A `.` at `j` after the groups in `s` dooms the number: without a `+`, a trunk 0 or
/// parentheses (none can come later: a group in parentheses needs a separator other than
/// `.`), dots are accepted only in the 3.3.4 shape, and the text from here cannot end it.
fn unanchored_dots(b: &[u8], start: usize, s: &Shape, j: usize) -> bool {
    if s.plus || s.parens != 0 || at(b, start) == b'0' {
        return false;
    }
    let digits = |from: usize, n: usize| (from..from + n).all(|k| is_digit(at(b, k)));
    match s.lens.as_slice() {
        [3] => {
            !(digits(j + 1, 3) && at(b, j + 4) == b'.' && digits(j + 5, 4))
                || is_digit(at(b, j + 9))
        }
        [3, 3] => !digits(j + 1, 4) || is_digit(at(b, j + 5)),
        _ => true,
    }
}

fn accept(b: &[u8], start: usize, s: &Shape, end: usize) -> bool {
    if !(7..=15).contains(&s.digits) {
        return false;
    }
    // The run must really end here: no letter/digit glued on, no `.5`, `-7`, `/2024`.
    let next = at(b, end);
    if is_alnum(next) || next == b'_' || next == b'@' {
        return false;
    }
    if matches!(next, b'.' | b'-' | b'/' | b':' | b',') && is_digit(at(b, end + 1)) {
        return false;
    }
    if next == b'/' || next == b'%' {
        return false;
    }
    // Computed only where needed: the keyword look-ups are the costly part (the veto is
    // checked last, only for a number that would otherwise be accepted).
    let veto = || keyword_before(b, start, 16, VETO);
    let context = || keyword_before(b, start, 40, CONTEXT) || number_word_before(b, start);
    let lens = &s.lens;
    let any_paren = s.parens != 0;
    // Dates: 2024-01-31, 31.01.2024, 2024.01.31.
    if !s.plus && !any_paren && lens.len() == 3 {
        let date = matches!(lens.as_slice(), [4, 1..=2, 1..=2] | [1..=2, 1..=2, 4]);
        if date {
            return false;
        }
    }
    let first_digit = at(b, start + usize::from(at(b, start) == b'('));
    // A slash only once, after an area code with a trunk 0 (`0732/91465186`): never dates.
    if s.seps.contains(&b'/') {
        let slashes = s.seps.iter().filter(|&&c| c == b'/').count();
        if slashes > 1 || first_digit != b'0' || lens.iter().any(|&n| n < 3) {
            return false;
        }
    }
    // Dots (`0407.029.313`, `+61.8.6155.7379`, `555.123.4567`) only as the only separator and
    // only with a `+`, a trunk 0, parentheses or the 3.3.4 shape: never versions, prices, IPs.
    if s.seps.contains(&b'.') {
        let only_dots = s.seps.iter().all(|&c| c == b'.' || c == b')');
        let anchored = s.plus || first_digit == b'0' || any_paren || lens.as_slice() == [3, 3, 4];
        if !only_dots || !anchored {
            return false;
        }
    }
    // Single-digit groups: the `+C` country code and the area digit right after it, a leading
    // trunk/country `1`/`8` (`1-858-...`, `8 762 ...`), in parentheses, or once space-separated
    // (FR mobile `06 ...`). Never dash-separated elsewhere (ISBN `978-0-...`).
    let mut loose_singles = 0;
    for (k, &n) in lens.iter().enumerate() {
        if n != 1 || s.paren(k) || (s.plus && k <= 1) {
            continue;
        }
        if k == 0 {
            let trunk =
                matches!(first_digit, b'1' | b'8') && matches!(s.seps.first(), Some(b' ' | b'-'));
            if !trunk {
                return false;
            }
            continue;
        }
        let sep_before = k.checked_sub(1).and_then(|p| s.seps.get(p)).copied();
        match sep_before {
            Some(b')') => {}
            Some(b' ') => loose_singles += 1,
            _ => return false,
        }
    }
    if loose_singles > 1 {
        return false;
    }
    if lens.last().is_some_and(|&n| n < 2) {
        return false;
    }
    if s.plus {
        // E.164: the `+` makes it a phone number whatever the grouping (`+44117 4960357`).
        return !veto();
    }
    let single_group = lens.len() == 1;
    if single_group {
        // Bare digits: a phone only with a phone word before it (or a national trunk 0).
        return (8..=12).contains(&s.digits) && context() && !veto();
    }
    let nanp = matches!(lens.as_slice(), [3, 3, 4] | [1, 3, 3, 4]);
    (any_paren || (first_digit == b'0' && lens.len() > 2) || nanp || context()) && !veto()
}

/// `x123`, ` x123`, `ext. 123`, `ext123` right after the number.
fn extension(b: &[u8], end: usize) -> usize {
    let mut j = end;
    if at(b, j) == b' ' && matches!(at(b, j + 1), b'x' | b'e') {
        j += 1;
    }
    let k = if at(b, j) == b'x' {
        j + 1
    } else if b
        .get(j..j + 3)
        .is_some_and(|w| w.eq_ignore_ascii_case(b"ext"))
    {
        let mut k = j + 3;
        if at(b, k) == b'.' {
            k += 1;
        }
        if at(b, k) == b' ' {
            k += 1;
        }
        k
    } else {
        return end;
    };
    let mut e = k;
    while is_digit(at(b, e)) && e - k < 6 {
        e += 1;
    }
    if e == k || is_alnum(at(b, e)) {
        return end;
    }
    e
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spans(text: &str) -> Vec<&str> {
        crate::detect::spans_of(find, text)
    }

    #[test]
    fn positives() {
        let cases: &[(&str, &str)] = &[
            ("my phone is +1 (579) 383-4701.", "+1 (579) 383-4701"),
            ("unter +34 820 00 33 07.", "+34 820 00 33 07"),
            ("mobile +49(0) 049403269.", "+49(0) 049403269"),
            ("mobile +49(0)3939 538913.", "+49(0)3939 538913"),
            ("phone is 070-4330-1467.", "070-4330-1467"),
            ("mobile 0146267304.", "0146267304"),
            ("Call me at 7865817785 or", "7865817785"),
            ("est le 05 67 55 97 10 et", "05 67 55 97 10"),
            ("at +33 (0)3 90 44 91 33 or", "+33 (0)3 90 44 91 33"),
            ("at 555.123.4567x1234 or", "555.123.4567x1234"),
            ("call 212-555-0187 ext. 42 now", "212-555-0187 ext. 42"),
            ("at +910160240465 or", "+910160240465"),
            ("at (0151) 1234567 or", "(0151) 1234567"),
            ("at +33 6 12 34 56 78", "+33 6 12 34 56 78"),
            ("Tel: 020 7946 0958", "020 7946 0958"),
            ("at +1-541-754-3010x123 or", "+1-541-754-3010x123"),
            ("at +44117 4960357 or", "+44117 4960357"),
            ("mobile +3177-5355721.", "+3177-5355721"),
            ("phone 0407.029.313.", "0407.029.313"),
            ("phone (03).8235.7416.", "(03).8235.7416"),
            ("phone +61.8.6155.7379.", "+61.8.6155.7379"),
            ("phone +61-3-4124-1876.", "+61-3-4124-1876"),
            ("phone 1-858-073-0215.", "1-858-073-0215"),
            ("my phone is 8 762 205 1901.", "8 762 205 1901"),
            ("my phone is 68251422.", "68251422"),
            ("Mon numéro est le 350917804 et", "350917804"),
            ("my number: 612 345 678.", "612 345 678"),
            ("Nummer ist 0301234567", "0301234567"),
            ("Tel. 0732/91465186.", "0732/91465186"),
        ];
        for (text, want) in cases {
            assert_eq!(spans(text), vec![*want], "{text}");
        }
    }

    #[test]
    fn hard_negatives() {
        for text in [
            "shipped on 1980-09-20; ok",
            "on 20.09.1980 we",
            "bumps serde to 4.1.6.",
            "src=94.42.160.65 status",
            "Our SKU format is AB-0528-8789-0431; is it",
            "ISBN 978-0-7710-7069-3 and EAN 8743835953371 are",
            "The reference 4729792622439332 failed",
            "Order ORD-007728 shipped",
            "HTTP 503 after 643 ms",
            "request id bf40c460-b6b7-4d9c-9ec7-71f16b892b17 returned",
            "tracking number 1ZAD35L9M26MI0YHZ0.",
            "ID 320102198602021490, x",
            "in 2023 2024 2025 sales",
            "1 2 3 4 5 6 7 8",
            "total 123456789 rows",
            "PR #8326 which",
            "My SSN is 555-79-7263, ok",
            "v1.2.3.4567890",
            "12:30:45",
            "card 3519 0107 6722 1648 exp",
            "costs 1.234.567 EUR",
            "on 01.02.2024 at",
            "1.2.3456789",
            "id 12345678 here",
            "978-0-14-260505-9",
            "due 12/31/2024 ok",
            "ratio 0123/45/678",
            "Votre numéro de dossier est le 87062577355.",
            "Il numero di protocollo è 697524314, conservalo.",
            "Het factuurnummer is 194352679.",
            "Tilausnumero 953167205 on vahvistettu.",
            "Votre numéro de dossier est le 8257 6123 4132.",
            "the number of rows is 123456789",
        ] {
            let got = spans(text);
            assert!(got.is_empty(), "{text}: {got:?}");
        }
    }
}
