//! Glob matching for admin patterns like `gpt-4o*` or `claude-3-?-sonnet`: `*` is any run of
//! characters (possibly empty), `?` exactly one character, everything else literal and
//! case-sensitive. No backtracking: the pattern is cut at `*` into literal segments that are
//! placed leftmost-first, so `*a*a*a*b` against a long `aaaa…` costs O(text), never exponential.

/// Does `text` match `pattern` as a whole?
pub fn matches(pattern: &str, text: &str) -> bool {
    matches_counting(pattern, text, false).0
}

/// `matches` with ASCII letters compared case-insensitively (model names: `model_name`).
pub fn matches_ignore_ascii_case(pattern: &str, text: &str) -> bool {
    matches_counting(pattern, text, true).0
}

/// `matches` plus the number of character comparisons made (for cost tests).
fn matches_counting(pattern: &str, text: &str, fold: bool) -> (bool, u64) {
    let lower = |c: char| if fold { c.to_ascii_lowercase() } else { c };
    let text: Vec<char> = text.chars().map(lower).collect();
    let pattern: Vec<char> = pattern.chars().map(lower).collect();
    let mut cost = 0u64;
    let segments: Vec<&[char]> = pattern.split(|c| *c == '*').collect();
    let (first, rest) = match segments.split_first() {
        Some(split) => split,
        None => return (text.is_empty(), cost),
    };
    let Some((last, middle)) = rest.split_last() else {
        // No `*`: the single segment must cover the whole text.
        let ok = first.len() == text.len() && fits(first, &text, &mut cost);
        return (ok, cost);
    };
    if first.len() + last.len() > text.len() {
        return (false, cost);
    }
    let end = text.len() - last.len();
    if !fits(first, &text, &mut cost) || !fits(last, text.get(end..).unwrap_or(&[]), &mut cost) {
        return (false, cost);
    }
    // Leftmost placement of each middle segment is optimal: any later placement leaves less
    // room for the segments after it.
    let mut pos = first.len();
    for segment in middle {
        match find(segment, text.get(pos..end).unwrap_or(&[]), &mut cost) {
            Some(at) => pos += at + segment.len(),
            None => return (false, cost),
        }
    }
    (true, cost)
}

/// Does `segment` (literals and `?`) match the start of `text`?
fn fits(segment: &[char], text: &[char], cost: &mut u64) -> bool {
    if segment.len() > text.len() {
        return false;
    }
    segment.iter().zip(text).all(|(p, t)| {
        *cost += 1;
        *p == '?' || p == t
    })
}

/// Leftmost offset in `text` where `segment` fits.
fn find(segment: &[char], text: &[char], cost: &mut u64) -> Option<usize> {
    if segment.len() > text.len() {
        return None;
    }
    (0..=text.len() - segment.len()).find(|&at| fits(segment, text.get(at..).unwrap_or(&[]), cost))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table() {
        let cases = [
            ("", "", true),
            ("", "a", false),
            ("*", "", true),
            ("*", "anything at all", true),
            ("**", "x", true),
            ("?", "", false),
            ("?", "é", true),
            ("??", "é", false),
            ("gpt-4o", "gpt-4o", true),
            ("gpt-4o", "gpt-4o-mini", false),
            ("gpt-4o*", "gpt-4o-mini", true),
            ("gpt-4o*", "gpt-4", false),
            ("GPT-4o*", "gpt-4o", false),
            ("*-mini", "gpt-4o-mini", true),
            ("*-mini", "gpt-4o-mini-2024", false),
            ("claude-3-?-sonnet*", "claude-3-5-sonnet-20241022", true),
            ("claude-3-?-sonnet*", "claude-3-55-sonnet", false),
            ("a*b*c", "abc", true),
            ("a*b*c", "axxbyyc", true),
            ("a*b*c", "acb", false),
            ("a*b*c", "abcb", false),
            ("*a*", "bab", true),
            ("*ab*ab*", "abab", true),
            ("*ab*ab*", "aba", false),
            ("a*a", "a", false),
            ("*?*", "", false),
            ("*?*", "x", true),
            ("models/*", "models/gemini-1.5-pro", true),
        ];
        for (pattern, text, want) in cases {
            assert_eq!(matches(pattern, text), want, "{pattern:?} vs {text:?}");
        }
    }

    #[test]
    fn ignoring_ascii_case() {
        assert!(matches_ignore_ascii_case("GPT-4o*", "gpt-4O-mini"));
        assert!(matches_ignore_ascii_case("*-realtime*", "X-REALTIME-Y"));
        assert!(!matches_ignore_ascii_case("gpt-4o", "gpt-4o-mini"));
        // Only ASCII folds: a non-ASCII letter is compared as is.
        assert!(!matches_ignore_ascii_case("\u{c9}", "\u{e9}"));
    }

    #[test]
    fn adversarial_patterns_cost_linear_work() {
        let text = "a".repeat(10_000);
        for pattern in [
            "*a*a*a*a*b",
            "*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*ac",
            "a*a*a*a*a*a*a*?b",
        ] {
            let (ok, cost) = matches_counting(pattern, &text, false);
            assert!(!ok, "{pattern}");
            let bound = 2 * (text.len() + pattern.len()) as u64;
            assert!(cost <= bound, "{pattern}: {cost} comparisons > {bound}");
        }
        let (ok, cost) = matches_counting("*a*a*a*a*a", &text, false);
        assert!(ok);
        assert!(cost <= 20, "{cost}");
    }

    #[test]
    fn worst_case_is_bounded_by_text_times_pattern() {
        // A long segment that almost matches everywhere: O(text x segment), no blow-up.
        let text = "a".repeat(2_000);
        let pattern = format!("*{}b*", "a".repeat(20));
        let (ok, cost) = matches_counting(&pattern, &text, false);
        assert!(!ok);
        assert!(cost <= (text.len() * pattern.len()) as u64, "{cost}");
    }
}
