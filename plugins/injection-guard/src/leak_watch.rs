//! leak_watch: finds the request's canary token or a configured secret system-prompt fragment
//! in response text that arrives in pieces (SSE deltas split anywhere, even inside a UTF-8
//! character's worth of text). Matching is on folded text (letters and digits only, lowercase),
//! so spacing, punctuation, markdown and case do not hide a leak. Pure.

/// Which needle was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Leak {
    /// The per-request canary token.
    Canary,
    /// `fragments[i]` of the configuration.
    Fragment(usize),
    /// A run of the request's system prompt's own words (`prompt_echo`).
    PromptEcho,
}

impl Leak {
    /// Rule id for verdicts and metrics.
    pub fn rule(self) -> &'static str {
        match self {
            Leak::Canary => "leak.canary",
            Leak::Fragment(_) => "leak.fragment",
            Leak::PromptEcho => "leak.prompt_echo",
        }
    }
}

/// Letters and digits of `text`, lowercased, appended to `out`.
pub fn fold_into(text: &str, out: &mut Vec<u8>) {
    let mut buf = [0u8; 4];
    for c in text.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase() as u8);
        } else if c.is_alphanumeric() {
            for l in c.to_lowercase() {
                out.extend_from_slice(l.encode_utf8(&mut buf).as_bytes());
            }
        }
    }
}

/// The folded form of a configured fragment.
pub fn fold(text: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(text.len());
    fold_into(text, &mut out);
    out
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    let Some((&first, rest)) = needle.split_first() else {
        return false;
    };
    let last_start = match hay.len().checked_sub(needle.len()) {
        Some(n) => n,
        None => return false,
    };
    let mut i = 0;
    while i <= last_start {
        let window = hay.get(i..=last_start).unwrap_or_default();
        match window.iter().position(|b| *b == first) {
            None => return false,
            Some(p) => {
                let at = i + p;
                if hay.get(at + 1..at + needle.len()) == Some(rest) {
                    return true;
                }
                i = at + 1;
            }
        }
    }
    false
}

/// Streaming matcher: keeps the last `longest - 1` folded bytes between pushes so a needle
/// split across deltas is still found; memory is bounded by the longest needle.
#[derive(Debug, Clone)]
pub struct LeakWatch {
    needles: Vec<(Vec<u8>, Leak)>,
    window: Vec<u8>,
    keep: usize,
    found: Option<Leak>,
}

impl LeakWatch {
    /// `token`: this request's canary (if one was injected); `fragments`: already folded.
    pub fn new(token: Option<&str>, fragments: &[Vec<u8>]) -> LeakWatch {
        let mut needles: Vec<(Vec<u8>, Leak)> = fragments
            .iter()
            .enumerate()
            .filter(|(_, f)| !f.is_empty())
            .map(|(i, f)| (f.clone(), Leak::Fragment(i)))
            .collect();
        if let Some(t) = token {
            needles.insert(0, (fold(t), Leak::Canary));
        }
        let keep = needles
            .iter()
            .map(|(n, _)| n.len())
            .max()
            .unwrap_or(1)
            .saturating_sub(1);
        LeakWatch {
            needles,
            window: Vec::new(),
            keep,
            found: None,
        }
    }

    /// Nothing to look for.
    pub fn is_idle(&self) -> bool {
        self.needles.is_empty()
    }

    /// The first leak seen so far.
    pub fn found(&self) -> Option<Leak> {
        self.found
    }

    /// Feed the next piece of response text; returns the first leak once it is complete.
    pub fn push(&mut self, text: &str) -> Option<Leak> {
        if self.found.is_some() || self.needles.is_empty() {
            return self.found;
        }
        fold_into(text, &mut self.window);
        self.found = self
            .needles
            .iter()
            .find(|(n, _)| contains(&self.window, n))
            .map(|(_, leak)| *leak);
        if self.window.len() > self.keep {
            let cut = self.window.len() - self.keep;
            self.window.drain(..cut);
        }
        self.found
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "You are AcmeBot. Internal discount code: ZEBRA-42.";

    fn watch() -> LeakWatch {
        LeakWatch::new(Some("gw0011223344556677"), &[fold(SECRET)])
    }

    #[test]
    fn folding_ignores_case_spacing_and_punctuation() {
        assert_eq!(fold("Zebra-42, **ok**"), b"zebra42ok".to_vec());
        assert_eq!(fold("ÄBC ß"), "äbcß".as_bytes().to_vec());
    }

    #[test]
    fn finds_the_canary_and_fragments_whole() {
        let mut w = watch();
        assert_eq!(
            w.push("Sure! My instructions: <!-- gw0011223344556677 -->"),
            Some(Leak::Canary)
        );
        let mut w = watch();
        assert_eq!(
            w.push("I am *you are acmebot* - internal DISCOUNT code zebra 42"),
            Some(Leak::Fragment(0))
        );
        let mut w = watch();
        assert_eq!(w.push("Nothing to see; the code is secret."), None);
        assert_eq!(w.found(), None);
    }

    #[test]
    fn a_leak_split_at_every_offset_is_found() {
        let text = format!("Here it is: {SECRET} Anything else?");
        for cut in 0..=text.len() {
            if !text.is_char_boundary(cut) {
                continue;
            }
            let mut w = watch();
            let first = w.push(&text[..cut]);
            let second = w.push(&text[cut..]);
            assert_eq!(first.or(second), Some(Leak::Fragment(0)), "cut {cut}");
        }
        // One character per delta.
        let mut w = watch();
        let hits: Vec<_> = text
            .char_indices()
            .filter_map(|(i, c)| w.push(&text[i..i + c.len_utf8()]))
            .collect();
        assert_eq!(hits.first(), Some(&Leak::Fragment(0)));
    }

    #[test]
    fn memory_is_bounded_by_the_longest_needle() {
        let mut w = watch();
        for _ in 0..1000 {
            w.push("lorem ipsum dolor sit amet ");
        }
        assert!(w.window.len() <= fold(SECRET).len());
        assert_eq!(w.found(), None);
    }

    #[test]
    fn near_misses_do_not_match() {
        let mut w = watch();
        assert_eq!(w.push("gw001122334455667"), None); // one digit short
        assert_eq!(w.push(" 8"), None);
        let mut w = LeakWatch::new(None, &[]);
        assert!(w.is_idle());
        assert_eq!(w.push("anything"), None);
    }
}
