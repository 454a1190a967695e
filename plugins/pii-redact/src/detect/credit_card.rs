//! credit_card: 12-19 digits, optionally grouped by single spaces or dashes, with a known
//! issuer prefix (IIN) for that length and a valid Luhn check digit.

use super::chars::{at, before, is_alnum, is_digit, keyword_before, luhn_ok};
use super::skip::{next_digit, run_end_digits};
use crate::entity::Span;

/// Words that make a digit run a product/book code, not a card.
const VETO: &[&str] = &["isbn", "ean", "upc", "gtin", "imei"];

/// Words one of which must come before a 12-digit card (the shortest Maestro): twelve digits
/// with a Luhn-valid Maestro prefix are otherwise too common (ticket numbers, Aadhaar-shaped
/// references).
const SHORT_CARD_WORDS: &[&str] = &[
    "card", "carte", "karte", "tarjeta", "cartão", "cartao", "carta", "kaart", "karta", "kortti",
    "maestro", "debit", "débit", "kredit", "crédit", "credit", "pan", "cc",
];

/// Every card number in `text`.
///
/// A long run of groups (`4111 1111 1111 1112 4111 ...`) is walked once: when the groups from
/// one start hold more than 19 digits, every later group start of the same run but the last
/// sees the same groups to the same end (same separator), so it is refused from the count of
/// digits left: the scan jumps straight to the first later group start with at most 19 digits
/// left (or the last group) instead of visiting each group.
pub fn find(text: &str, out: &mut Vec<Span>) {
    let b = text.as_bytes();
    // (start of the run's last group, digits from the next group start to the run's end)
    let mut long_run: Option<(usize, usize)> = None;
    let mut i = 0;
    loop {
        i = next_digit(b, i);
        if i >= b.len() {
            break;
        }
        // `i` starts a digit run: the previous byte is not a digit.
        let run_end = run_end_digits(b, i + 1);
        // A lone run of fewer than 12 digits (no ` `/`-` and digit after it) is no card.
        let lone_short = run_end - i < 12
            && !(matches!(at(b, run_end), b' ' | b'-') && is_digit(at(b, run_end + 1)));
        let outcome = match long_run {
            Some((last, left)) if i < last && left > 19 => Outcome::NoCard,
            _ if lone_short => Outcome::NoCard,
            _ => candidate(b, i),
        };
        match outcome {
            Outcome::Card(end) => {
                out.push(Span { start: i, end });
                long_run = None;
                i = end;
                continue;
            }
            Outcome::TooLong => {
                let run = LongRun::from(b, i);
                if let Some((next, left)) = run.next {
                    long_run = Some((run.last, left));
                    i = next;
                    continue;
                }
                long_run = Some((run.last, run.digits.saturating_sub(run_end - i)));
            }
            Outcome::NoCard => {
                if let Some((_, left)) = long_run.as_mut() {
                    *left = left.saturating_sub(run_end - i);
                }
            }
        }
        // Never restart inside a digit run, nor at a run glued on by `.` (`999.888`): the
        // look-behind refuses it, and it lies past any long run's groups (joined by ` `/`-`).
        i = past_dotted(b, run_end);
    }
}

/// `j` (the end of a digit run), or the end of the runs glued to it by single `.`s.
fn past_dotted(b: &[u8], mut j: usize) -> usize {
    while at(b, j) == b'.' && is_digit(at(b, j + 1)) {
        j = run_end_digits(b, j + 2);
    }
    j
}

enum Outcome {
    Card(usize),
    NoCard,
    /// More than 19 digits in the groups from this start.
    TooLong,
}

/// The groups `candidate` walks from a start, without its digit limit.
struct LongRun {
    /// Start of the last group.
    last: usize,
    /// Digits in all the groups.
    digits: usize,
    /// The first later group start with at most 19 digits from it to the end, else the last
    /// group's start (when later than the start), with the digits from there to the end.
    next: Option<(usize, usize)>,
}

impl LongRun {
    fn from(b: &[u8], start: usize) -> LongRun {
        let mut sep: Option<u8> = None;
        let mut j = start;
        let mut digits = 0;
        loop {
            let gs = j;
            j = run_end_digits(b, j);
            digits += j - gs;
            let c = at(b, j);
            if (c == b' ' || c == b'-') && is_digit(at(b, j + 1)) && sep.is_none_or(|s| s == c) {
                sep = Some(c);
                j += 1;
                continue;
            }
            return LongRun {
                last: gs,
                digits,
                next: Self::first_short_tail(b, start, gs, j),
            };
        }
    }

    /// Walks back from the run's end (`end`, last group at `last`) over the groups after
    /// `start` while at most 19 digits are behind them; one separator byte between groups.
    fn first_short_tail(b: &[u8], start: usize, last: usize, end: usize) -> Option<(usize, usize)> {
        if last <= start {
            return None;
        }
        let mut found = (last, end - last);
        let mut after = end - last; // digits from group `g` to the end
        let mut g = last;
        while after <= 19 {
            found = (g, after);
            // The previous group ends right before the separator at `g - 1`.
            let prev_end = g - 1;
            let mut ps = prev_end;
            while ps > start && is_digit(at(b, ps - 1)) {
                ps -= 1;
            }
            if ps <= start {
                break;
            }
            after += prev_end - ps;
            g = ps;
        }
        Some(found)
    }
}

fn candidate(b: &[u8], start: usize) -> Outcome {
    let p = before(b, start);
    if is_alnum(p)
        || p == b'_'
        || p == b'.'
        || ((p == b'-' || p == b',') && is_alnum(before(b, start - 1)))
    {
        return Outcome::NoCard;
    }
    match groups(b, start) {
        Ok(Some(end)) => Outcome::Card(end),
        Ok(None) => Outcome::NoCard,
        Err(TooLong) => Outcome::TooLong,
    }
}

struct TooLong;

/// The card whose digits start at `start` (look-behind already checked).
fn groups(b: &[u8], start: usize) -> Result<Option<usize>, TooLong> {
    let mut digits = [0u8; 19];
    let mut n = 0usize;
    let mut n_groups = 0usize;
    let mut odd_group = false;
    let mut sep: Option<u8> = None;
    let mut j = start;
    loop {
        let gs = j;
        while let Some(&c) = b.get(j).filter(|c| c.is_ascii_digit()) {
            match digits.get_mut(n) {
                Some(slot) => *slot = c,
                None => return Err(TooLong),
            }
            n += 1;
            j += 1;
        }
        n_groups += 1;
        odd_group |= !(3..=6).contains(&(j - gs));
        let c = at(b, j);
        if (c == b' ' || c == b'-') && is_digit(at(b, j + 1)) && sep.is_none_or(|s| s == c) {
            sep = Some(c);
            j += 1;
            continue;
        }
        break;
    }
    let next = at(b, j);
    if is_alnum(next)
        || next == b'_'
        || (matches!(next, b'.' | b',' | b'-' | b'/') && is_digit(at(b, j + 1)))
    {
        return Ok(None);
    }
    if n_groups > 1 && odd_group {
        return Ok(None);
    }
    let digits = digits.get(..n).unwrap_or_default();
    if !(12..=19).contains(&digits.len()) || !iin_ok(digits) || !luhn_ok(digits) {
        return Ok(None);
    }
    if keyword_before(b, start, 16, VETO) {
        return Ok(None);
    }
    if digits.len() == 12 && !keyword_before(b, start, 32, SHORT_CARD_WORDS) {
        return Ok(None);
    }
    Ok(Some(j))
}

fn prefix(d: &[u8], n: usize) -> u32 {
    d.iter().take(n).fold(0u32, |acc, &c| {
        acc * 10 + u32::from(c.wrapping_sub(b'0') % 10)
    })
}

/// Issuer prefix and length table (Visa, Mastercard, Amex, Discover, JCB, Diners, UnionPay,
/// Maestro, Mir, RuPay).
fn iin_ok(d: &[u8]) -> bool {
    let len = d.len();
    let p1 = prefix(d, 1);
    let p2 = prefix(d, 2);
    let p3 = prefix(d, 3);
    let p4 = prefix(d, 4);
    let p6 = prefix(d, 6);
    let visa = p1 == 4 && matches!(len, 13 | 16 | 19);
    let mastercard = ((51..=55).contains(&p2) || (2221..=2720).contains(&p4)) && len == 16;
    let amex = (p2 == 34 || p2 == 37) && len == 15;
    let discover =
        (p4 == 6011 || (644..=649).contains(&p3) || p2 == 65 || (622126..=622925).contains(&p6))
            && (16..=19).contains(&len);
    // JCB: 35xx (issued 3528-3589; generators use all of 35) and the legacy 15-digit 2131/1800.
    let jcb = (p2 == 35 && (16..=19).contains(&len)) || (matches!(p4, 2131 | 1800) && len == 15);
    let diners =
        ((300..=305).contains(&p3) || p2 == 36 || p2 == 38 || p2 == 39) && (14..=19).contains(&len);
    let unionpay = p2 == 62 && (16..=19).contains(&len);
    let maestro = (matches!(
        p4,
        604 | 5018 | 5020 | 5038 | 5893 | 6304 | 6390 | 6759 | 6761 | 6762 | 6763
    ) || (56..=69).contains(&p2)
        || p2 == 50)
        && (12..=19).contains(&len);
    let mir = (2200..=2204).contains(&p4) && (16..=19).contains(&len);
    let rupay = (p2 == 81 || p2 == 82 || p3 == 508) && len == 16;
    visa || mastercard || amex || discover || jcb || diners || unionpay || maestro || mir || rupay
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spans(text: &str) -> Vec<&str> {
        crate::detect::spans_of(find, text)
    }

    #[test]
    fn positives() {
        for (text, want) in [
            ("card 4111 1111 1111 1111 exp", "4111 1111 1111 1111"),
            ("card 4111-1111-1111-1111.", "4111-1111-1111-1111"),
            ("card 4111111111111111,", "4111111111111111"),
            ("amex 378282246310005 ok", "378282246310005"),
            ("amex 3782 822463 10005 ok", "3782 822463 10005"),
            ("mc 5555555555554444", "5555555555554444"),
            ("mc2 2223003122003222", "2223003122003222"),
            ("disc 6011111111111117", "6011111111111117"),
            ("jcb 3530111333300000", "3530111333300000"),
            ("jcb15 213100000000001", "213100000000001"),
            ("diners 30569309025904", "30569309025904"),
            ("maestro 6759649826438453", "6759649826438453"),
            ("maestro12 639044603814", "639044603814"),
            ("maestro12 060483355081", "060483355081"),
            ("visa13 4222222222222", "4222222222222"),
        ] {
            assert_eq!(spans(text), vec![want], "{text}");
        }
    }

    #[test]
    fn hard_negatives() {
        for text in [
            "The reference 4729792622439332 failed",      // Luhn invalid
            "card 4111 1111 1111 1112",                   // Luhn invalid
            "The ticket 576481766490 was closed",         // 12 digits without a card word
            "id 1234567812345670",                        // Luhn ok, no issuer 1
            "Our SKU format is AB-0528-8789-0431; is it", // glued to a word, no IIN
            "EAN 4006381333931 listed",                   // product code
            "ISBN 978-0-7710-7069-3",                     // groups too short
            "phone 4111111111111111111111",               // too long
            "v4111111111111111",                          // glued
            "4111111111111111.5",                         // decimal
            "4111 1111-1111 1111",                        // mixed separators
            "ID 320102198602021490, x",
        ] {
            let got = spans(text);
            assert!(got.is_empty(), "{text}: {got:?}");
        }
    }
}
