//! normalize_reference: the normaliser as it was before its fast paths (a straightforward
//! char-by-char implementation), kept for tests only: the differential test in
//! `normalize_diff` checks that `normalize::normalize` gives exactly its output.

use crate::confusables::{fold, is_cjk, previous_word_native, word_dependent, word_folds, Fold};
use crate::normalize::{Normalized, Segmenter, Signals};

#[derive(Clone, Copy, PartialEq)]
enum Origin {
    Ascii,
    Foreign,
    Styled,
    Other,
}

/// A token of the tokenizer's output: a byte range of the shared token text.
struct Tok {
    start: usize,
    end: usize,
    /// Separator before this token: its single char, or None when longer/newline/absent.
    gap: Option<char>,
}

/// The tokens of one text: their texts live back to back in one string (no allocation per
/// token).
#[derive(Default)]
struct Toks {
    text: String,
    list: Vec<Tok>,
}

impl Toks {
    fn text(&self, t: &Tok) -> &str {
        self.text.get(t.start..t.end).unwrap_or("")
    }
}

/// The output word stream being written: `words`, `starts` and the repeat count.
struct Words {
    words: String,
    starts: Vec<usize>,
    /// Byte range in `words` of the previous token.
    prev: Option<(usize, usize)>,
    repeat: u32,
    max_repeat: u32,
}

impl Words {
    fn with_capacity(bytes: usize, tokens: usize) -> Words {
        let mut words = String::with_capacity(bytes);
        words.push(' ');
        Words {
            words,
            starts: Vec::with_capacity(tokens),
            prev: None,
            repeat: 0,
            max_repeat: 0,
        }
    }

    /// Append one token made of `parts` (concatenated).
    fn push(&mut self, parts: &[&str]) {
        let start = self.words.len();
        self.starts.push(start);
        for p in parts {
            self.words.push_str(p);
        }
        let end = self.words.len();
        let same = self.prev.is_some_and(|(ps, pe)| {
            pe - ps == end - start && self.words.get(ps..pe) == self.words.get(start..end)
        });
        self.repeat = if same { self.repeat + 1 } else { 1 };
        self.max_repeat = self.max_repeat.max(self.repeat);
        self.prev = Some((start, end));
        self.words.push(' ');
    }
}

fn leet(c: char) -> Option<char> {
    Some(match c {
        '0' => 'o',
        '1' => 'i',
        '3' => 'e',
        '4' => 'a',
        '5' => 's',
        '7' => 't',
        '8' => 'b',
        '9' => 'g',
        '6' => 'b',
        '@' => 'a',
        '$' => 's',
        '!' => 'i',
        _ => return None,
    })
}

/// Normalise `text`. Bounded: one pass over the characters plus one over the tokens.
pub fn normalize(text: &str, seg: &dyn Segmenter) -> Normalized {
    let mut signals = Signals::default();
    let mut tag_text = String::new();
    let mut clean = String::with_capacity(text.len());
    let mut chars: Vec<(char, Origin)> = Vec::with_capacity(text.len());
    let mut pending_invisible = false;
    let mut word: Option<(usize, bool)> = None;
    let mut at = 0usize;
    for c in text.chars() {
        at += c.len_utf8();
        if c.is_ascii() && !pending_invisible {
            // ASCII is kept as is (`fold` returns `Keep`).
            clean.push(c);
            chars.push((c, Origin::Ascii));
            continue;
        }
        let (out, origin) = match fold_in_word(c, at, text, &chars, &mut word) {
            Fold::Keep(k) => (
                k,
                if k.is_ascii() {
                    Origin::Ascii
                } else {
                    Origin::Other
                },
            ),
            Fold::Folded(f) => (f, origin_of(c)),
            Fold::Invisible => {
                signals.invisible += 1;
                pending_invisible = true;
                continue;
            }
            Fold::Tag(t) => {
                signals.tag_chars += 1;
                tag_text.push(t);
                continue;
            }
            Fold::Drop => continue,
        };
        if pending_invisible {
            let prev_alnum = chars.last().is_some_and(|(p, _)| p.is_alphanumeric());
            if prev_alnum && out.is_alphanumeric() {
                signals.invisible_in_word += 1;
            }
            pending_invisible = false;
        }
        if origin == Origin::Styled && out.is_ascii_alphabetic() {
            signals.styled_letters += 1;
        }
        clean.push(out);
        chars.push((out, origin));
    }
    let toks = tokenize(&chars, &mut signals);
    drop(chars);
    let mut out = Words::with_capacity(clean.len() + 2, toks.list.len());
    join_spaced(&toks, seg, &mut signals, &mut out);
    signals.max_repeat = out.max_repeat;
    Normalized {
        clean,
        tag_text,
        words: out.words,
        starts: out.starts,
        signals,
    }
}

/// `fold(c)`, except that a non-Latin look-alike inside native text stays itself (see
/// `confusables::word_folds`); `at` is the byte offset after `c`, `word` caches the decision
/// for the rest of the word (its end offset and whether it folds).
fn fold_in_word(
    c: char,
    at: usize,
    text: &str,
    chars: &[(char, Origin)],
    word: &mut Option<(usize, bool)>,
) -> Fold {
    let f = fold(c);
    if !matches!(f, Fold::Folded(_)) || !word_dependent(c) {
        return f;
    }
    let folds = match *word {
        Some((end, d)) if at <= end => d,
        _ => {
            let before = chars
                .iter()
                .rev()
                .map(|p| p.0)
                .take_while(|p| p.is_alphanumeric());
            let prev = previous_word_native(chars.iter().rev().map(|p| p.0));
            let (d, len) = word_folds(before, text.get(at..).unwrap_or(""), prev);
            *word = Some((at + len, d));
            d
        }
    };
    if folds {
        f
    } else {
        Fold::Keep(c)
    }
}

fn origin_of(c: char) -> Origin {
    match c as u32 {
        0x370..=0x58F => Origin::Foreign,
        0x2100..=0x214F
        | 0x2400..=0x24FF
        | 0xFF00..=0xFFEF
        | 0x1D400..=0x1D7FF
        | 0x1F100..=0x1F1FF => Origin::Styled,
        _ => Origin::Other,
    }
}

fn is_word_char(c: char) -> bool {
    c.is_alphanumeric()
}

/// `@ $ !` stand for letters in leetspeak (`@ll`, `rul3$`, `h!dd3n`).
fn is_leet_symbol(c: char) -> bool {
    matches!(c, '@' | '$' | '!')
}

/// A leet symbol standing alone as one letter of a spaced-out word (`h-!-d`, `@ l l`,
/// `r.u.l.3.$`): no letter/digit touches it, and on one side the same one-character separator
/// continues the pattern (separator, letter, then that separator again or the word's end).
fn spaced_symbol(chars: &[(char, Origin)], i: usize) -> bool {
    let at = |k: Option<usize>| k.and_then(|k| chars.get(k)).map(|p| p.0);
    let letterish = |c: char| c.is_alphanumeric() || is_leet_symbol(c);
    let (prev, next) = (at(i.checked_sub(1)), at(i.checked_add(1)));
    if prev.is_some_and(char::is_alphanumeric) || next.is_some_and(char::is_alphanumeric) {
        return false;
    }
    let side = |sep: Option<char>, x: Option<char>, beyond: Option<char>| match (sep, x) {
        (Some(s), Some(x)) => {
            !s.is_alphanumeric()
                && !is_leet_symbol(s)
                && s != '\n'
                && letterish(x)
                && beyond.is_none_or(|b| b == s || !letterish(b))
        }
        _ => false,
    };
    side(prev, at(i.checked_sub(2)), at(i.checked_sub(3)))
        || side(next, at(i.checked_add(2)), at(i.checked_add(3)))
}

/// The token being built: lowercased text, what it is made of, and its camelCase pieces.
/// Its buffers are reused from token to token.
#[derive(Default)]
struct Building {
    cur: String,
    has_letter: bool,
    has_leet: bool,
    ascii: bool,
    foreign: bool,
    /// Byte offsets in `cur` where a capitalised piece starts (`system|Prompt`).
    bounds: Vec<usize>,
    /// The pieces read as camelCase (`systemPrompt`), not as case mixing (`IgNoRe`, `ignORE`).
    camel: bool,
    piece_len: usize,
    piece_upper: usize,
    prev_upper: bool,
}

impl Building {
    /// camelCase: a first piece of >= 2 characters with at most a leading capital, then
    /// pieces of one capital and >= 2 non-capitals. Anything else is case mixing: one word.
    fn piece_ok(&self) -> bool {
        if self.bounds.is_empty() {
            self.piece_len >= 2 && self.piece_upper <= 1
        } else {
            self.piece_len >= 3 && self.piece_upper == 1
        }
    }

    /// What `push` does with a lowercase ASCII letter inside a token (`cur` not empty), without
    /// its case, camelCase and leetspeak checks: the tokenizer's path for most of prose.
    #[inline(always)]
    fn extend_lower(&mut self, c: char, origin: Origin) {
        self.piece_len += 1;
        self.prev_upper = false;
        self.has_letter = true;
        self.mark_origin(origin);
        self.cur.push(c);
    }

    fn push(&mut self, c: char, origin: Origin) {
        let upper = c.is_uppercase();
        if self.cur.is_empty() {
            self.bounds.clear();
            self.camel = true;
            self.piece_len = 0;
            self.piece_upper = 0;
        } else if upper && !self.prev_upper {
            if !self.piece_ok() {
                self.camel = false;
            }
            self.bounds.push(self.cur.len());
            self.piece_len = 0;
            self.piece_upper = 0;
        }
        self.piece_len += 1;
        if upper {
            self.piece_upper += 1;
        }
        self.prev_upper = upper;
        if c.is_alphabetic() {
            self.has_letter = true;
        } else if leet(c).is_some() {
            self.has_leet = true;
        }
        self.mark_origin(origin);
        if c.is_ascii() {
            self.cur.push(c.to_ascii_lowercase());
        } else {
            self.cur.extend(c.to_lowercase());
        }
    }

    #[inline(always)]
    fn mark_origin(&mut self, origin: Origin) {
        match origin {
            Origin::Ascii => self.ascii = true,
            Origin::Foreign => self.foreign = true,
            _ => {}
        }
    }

    /// Close the token (split at camelCase boundaries, leetspeak folded) into `toks`.
    fn finish(&mut self, gap: Option<char>, toks: &mut Toks, signals: &mut Signals) {
        if self.cur.is_empty() {
            return;
        }
        let fold_leet = self.has_leet && self.has_letter;
        if fold_leet {
            signals.leet_tokens += 1;
        }
        if self.ascii && self.foreign {
            signals.mixed_script_tokens += 1;
        }
        let text = self.cur.as_str();
        let split = !self.bounds.is_empty() && self.camel && self.piece_ok();
        if !split && !fold_leet {
            // One plain token (most of them): copied as is.
            let from = toks.text.len();
            toks.text.push_str(text);
            toks.list.push(Tok {
                start: from,
                end: toks.text.len(),
                gap,
            });
            self.reset();
            return;
        }
        let mut start = 0usize;
        let mut gap = gap;
        let ends = self.bounds.iter().copied().filter(|_| split);
        for end in ends.chain(std::iter::once(text.len())) {
            let piece = text.get(start..end).unwrap_or("");
            let from = toks.text.len();
            if fold_leet {
                toks.text
                    .extend(piece.chars().map(|c| leet(c).unwrap_or(c)));
            } else {
                toks.text.push_str(piece);
            }
            toks.list.push(Tok {
                start: from,
                end: toks.text.len(),
                gap,
            });
            gap = None;
            start = end;
        }
        self.reset();
    }

    /// Ready for the next token (the buffers keep their capacity).
    fn reset(&mut self) {
        self.cur.clear();
        self.has_letter = false;
        self.has_leet = false;
        self.ascii = false;
        self.foreign = false;
    }
}

fn tokenize(chars: &[(char, Origin)], signals: &mut Signals) -> Toks {
    let mut toks = Toks {
        text: String::with_capacity(chars.len()),
        list: Vec::with_capacity(chars.len() / 4 + 1),
    };
    let mut b = Building::default();
    let mut gap_len = 0usize;
    let mut gap_char: Option<char> = None;
    let mut gap_newline = false;
    let mut pending_gap: Option<char> = None;
    let mut i = 0usize;
    while let Some(&(c, origin)) = chars.get(i) {
        if c.is_ascii_lowercase() && !b.cur.is_empty() {
            // Most of prose: a lowercase ASCII letter inside a token is a word character that
            // only extends it (no gap to close, no leetspeak context to read).
            b.extend_lower(c, origin);
            i += 1;
            continue;
        }
        let next = chars.get(i + 1).map(|p| p.0);
        let prev = i.checked_sub(1).and_then(|j| chars.get(j)).map(|p| p.0);
        let word_char = is_word_char(c)
            || match c {
                // `@ll`, `p@55`, `$ystem`, `rul3$`
                '@' | '$' => {
                    let next_alnum = next.is_some_and(char::is_alphanumeric);
                    let prev_alnum = prev.is_some_and(char::is_alphanumeric);
                    next.is_some_and(|n| n.is_ascii_alphabetic())
                        || (prev_alnum && !b.cur.is_empty() && (next_alnum || c == '$'))
                }
                // `h!dd3n`, `!n5truct`, but never a trailing exclamation mark
                '!' => next.is_some_and(char::is_alphanumeric),
                _ => false,
            }
            || (is_leet_symbol(c) && spaced_symbol(chars, i));
        if word_char && is_cjk(c) {
            // One token per character (scripts without spaces).
            b.finish(pending_gap, &mut toks, signals);
            let gap = if gap_len == 1 && !gap_newline {
                gap_char
            } else {
                None
            };
            b.push(c, origin);
            b.finish(gap, &mut toks, signals);
            pending_gap = None;
            gap_len = 0;
            gap_char = None;
            gap_newline = false;
        } else if word_char {
            if b.cur.is_empty() {
                pending_gap = if gap_len == 1 && !gap_newline {
                    gap_char
                } else {
                    None
                };
                gap_len = 0;
                gap_char = None;
                gap_newline = false;
            }
            b.push(c, origin);
        } else if c == '\''
            && prev.is_some_and(char::is_alphabetic)
            && next.is_some_and(char::is_alphabetic)
        {
            // don't -> dont
        } else {
            b.finish(pending_gap, &mut toks, signals);
            gap_len += 1;
            gap_char = Some(c);
            if c == '\n' {
                gap_newline = true;
            }
        }
        i += 1;
    }
    b.finish(pending_gap, &mut toks, signals);
    toks
}

#[inline]
fn single(toks: &Toks, t: &Tok) -> Option<char> {
    if t.end.saturating_sub(t.start) > 4 {
        return None; // longer than any one char: the common case, decided without decoding
    }
    let mut it = toks.text(t).chars();
    let c = it.next()?;
    if it.next().is_some() {
        return None;
    }
    let c = leet(c).unwrap_or(c);
    c.is_ascii_alphabetic().then_some(c)
}

/// A 1-2 letter fragment hyphen-glued to a word ("i-nstruction", "terminatio-n") is one word.
fn hyphen_join(toks: &Toks, t: &Tok, n: Option<&Tok>) -> bool {
    let Some(n) = n else {
        return false;
    };
    if n.gap != Some('-') {
        return false;
    }
    let (t, n) = (toks.text(t), toks.text(n));
    let alpha = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_alphabetic());
    const COMMON: &[&str] = &[
        "of", "to", "in", "on", "at", "by", "up", "is", "it", "an", "as", "or", "be", "do", "go",
        "no", "so", "we", "me", "my", "he", "us", "if",
    ];
    let frag = |s: &str| s.len() <= 2 && !COMMON.contains(&s);
    let short = frag(t) || frag(n);
    short && alpha(t) && alpha(n)
}

/// The run of single letters starting at `toks[i]`, separated by one repeated separator
/// character, written into `run` (cleared first): (index after the run, separator).
fn run_at(toks: &Toks, i: usize, run: &mut String) -> (usize, Option<char>) {
    run.clear();
    let mut j = i + 1;
    let mut sep: Option<char> = None;
    if let Some(first) = toks.list.get(i).and_then(|t| single(toks, t)) {
        run.push(first);
        while let Some(n) = toks.list.get(j) {
            let (Some(c), Some(g)) = (single(toks, n), n.gap) else {
                break;
            };
            if sep.is_some_and(|s| s != g) {
                break;
            }
            sep = Some(g);
            run.push(c);
            j += 1;
        }
    }
    (j, sep)
}

/// Longest letter run kept whole when word boundaries are visible around it.
const MAX_SPACED_WORD: usize = 24;

/// Push the words of a joined run. A run made entirely of lexicon words is split into them
/// (`ignoreallprevious`). Otherwise a run whose neighbours are separated differently from its
/// letters (`t.h.e p.r.i.o.r`, `i g n o r e   a l l`) is one word and stays whole; a longer
/// one (`i g n o r e a l l`, word boundaries lost) is split into the lexicon words it contains,
/// the letters between them kept as tokens so gaps between rule words keep their length.
fn push_run(out: &mut Words, run: &str, one_word: bool, seg: &dyn Segmenter) {
    // Slices of `run`: no allocation per word (a run of 100k spaced letters is 100k words).
    let mut parts: Vec<&str> = Vec::new();
    let mut covered = true;
    let mut pos = 0usize;
    for w in seg.segment(run) {
        let Some(word) = run.get(w.clone()).filter(|_| w.start >= pos) else {
            continue;
        };
        if w.start > pos {
            covered = false;
            if let Some(stretch) = run.get(pos..w.start) {
                parts.push(stretch);
            }
        }
        pos = w.end;
        parts.push(word);
    }
    if let Some(rest) = run.get(pos..).filter(|r| !r.is_empty()) {
        covered = false;
        parts.push(rest);
    }
    if (one_word && !covered && run.len() <= MAX_SPACED_WORD) || parts.is_empty() {
        out.push(&[run]);
    } else {
        for p in parts {
            out.push(&[p]);
        }
    }
}

/// Join runs of single letters separated by one repeated separator char: >= 3 letters, or 2
/// (`m e`, `t.o`) next to another joined run.
fn join_spaced(toks: &Toks, seg: &dyn Segmenter, signals: &mut Signals, out: &mut Words) {
    let mut run = String::new();
    let mut ahead = String::new();
    let mut i = 0usize;
    let mut prev_run = false;
    while let Some(t) = toks.list.get(i) {
        let (j, sep) = run_at(toks, i, &mut run);
        let accept = run.len() >= 3
            || (run.len() == 2
                && (prev_run || {
                    run_at(toks, j, &mut ahead);
                    ahead.len() >= 2
                }));
        if accept {
            signals.spaced_runs += 1;
            let before_same = i > 0 && t.gap == sep;
            let after_same = toks.list.get(j).is_some_and(|n| n.gap == sep);
            let one_word = !before_same && !after_same && (i > 0 || j < toks.list.len());
            push_run(out, &run, one_word, seg);
            prev_run = true;
            i = j;
            continue;
        }
        prev_run = false;
        let next = toks.list.get(i + 1);
        if hyphen_join(toks, t, next) {
            let n = next.map_or("", |n| toks.text(n));
            out.push(&[toks.text(t), n]);
            i += 2;
        } else {
            out.push(&[toks.text(t)]);
            i += 1;
        }
    }
}
