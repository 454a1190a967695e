//! Which characters of an original text did not reach the upstream: an alignment of the
//! original with the forwarded text that resynchronises on runs of equal characters, so a
//! placeholder that happens to share a character with the value it replaced is not "kept".

/// A region of the original text (char indices, half-open) that was replaced, with what
/// replaced it in the forwarded text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    pub start: usize,
    pub end: usize,
    pub replacement: String,
}

/// Characters that must match in a row to count as "back in sync" after a change.
const RESYNC: usize = 6;
/// The longest region either side may skip before we give up aligning (texts in the eval
/// files are short; a longer change is reported as one change to the end).
const MAX_SKIP: usize = 2048;

/// Aligns `original` with `forwarded` and returns the changed regions of `original`.
pub fn changed_regions(original: &str, forwarded: &str) -> Vec<Change> {
    let a: Vec<char> = original.chars().collect();
    let b: Vec<char> = forwarded.chars().collect();
    let (mut i, mut j) = (0usize, 0usize);
    let mut changes = Vec::new();
    while i < a.len() || j < b.len() {
        if i < a.len() && j < b.len() && a[i] == b[j] {
            i += 1;
            j += 1;
            continue;
        }
        let (di, dj) = resync(&a[i..], &b[j..]);
        changes.push(Change {
            start: i,
            end: i + di,
            replacement: b[j..j + dj].iter().collect(),
        });
        i += di;
        j += dj;
    }
    changes
}

/// The smallest (skip in a + skip in b) after which both sides agree for `RESYNC` characters
/// (or both run out together).
fn resync(a: &[char], b: &[char]) -> (usize, usize) {
    let max_a = a.len().min(MAX_SKIP);
    let max_b = b.len().min(MAX_SKIP);
    for total in 1..=(max_a + max_b) {
        let lo = total.saturating_sub(max_b);
        for di in lo..=total.min(max_a) {
            let dj = total - di;
            if in_sync(&a[di..], &b[dj..]) {
                return (di, dj);
            }
        }
    }
    (a.len(), b.len())
}

fn in_sync(a: &[char], b: &[char]) -> bool {
    if a.is_empty() || b.is_empty() {
        return a.is_empty() && b.is_empty();
    }
    let k = RESYNC.min(a.len()).min(b.len());
    // Near the end a shorter run is enough only if it reaches the end of both texts.
    if k < RESYNC && a.len() != b.len() {
        return false;
    }
    a[..k] == b[..k]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identical_texts_have_no_changes() {
        assert!(changed_regions("hello world", "hello world").is_empty());
    }

    #[test]
    fn a_placeholder_replacing_a_value_is_one_change() {
        let orig = "mail me at ann@example.com today please";
        let fwd = "mail me at <EMAIL_1> today please";
        let c = changed_regions(orig, fwd);
        assert_eq!(c.len(), 1, "{c:?}");
        let start = orig.find("ann@").unwrap_or(0);
        assert_eq!(
            (c[0].start, c[0].end),
            (start, start + "ann@example.com".len())
        );
        assert_eq!(c[0].replacement, "<EMAIL_1>");
    }

    #[test]
    fn placeholder_sharing_digits_with_the_value_still_covers_it() {
        let orig = "call +1 555 010 1234 now, thanks a lot";
        let fwd = "call <PHONE_1> now, thanks a lot";
        let c = changed_regions(orig, fwd);
        assert_eq!(c.len(), 1, "{c:?}");
        assert_eq!(c[0].end - c[0].start, "+1 555 010 1234".len());
    }

    #[test]
    fn two_changes_and_a_change_at_the_end() {
        let orig = "a 4111 1111 1111 1111 b and my ssn 123-45-6789";
        let fwd = "a [CREDIT_CARD] b and my ssn [US_SSN]";
        let c = changed_regions(orig, fwd);
        assert_eq!(c.len(), 2, "{c:?}");
        assert_eq!(c[1].end, orig.chars().count());
    }

    #[test]
    fn masking_keeps_the_tail_unchanged() {
        let orig = "card 4111111111111111 expires soon, ok";
        let fwd = "card ************1111 expires soon, ok";
        let c = changed_regions(orig, fwd);
        assert_eq!(c.len(), 1, "{c:?}");
        assert_eq!(c[0].end - c[0].start, 12);
    }
}
