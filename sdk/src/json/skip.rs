//! skip: reads a value with every check `Parser::value` makes (same errors at the same offsets)
//! but builds nothing: no node, no decoded string, no allocation per value, no call per nested
//! value. One loop over the bytes with the position in a local: strings are scanned a word at a
//! time, open arrays are a count per enclosing object (not a stack entry each) and runs of `[`
//! or `]` are counted a word at a time. Duplicate keys are found by comparing byte ranges of
//! the document (keys with escapes are decoded into one shared buffer) in one list shared by
//! every open object; an object with many keys moves them to a set. Escapes and numbers, rare
//! in the bodies this skips, go through the builder's own readers.

use std::collections::BTreeSet;

use super::{special_byte_from, special_mask, JsonError, JsonErrorKind, Parser};
use crate::swar::word;

/// Keys an object compares linearly before it moves them to a set.
const LINEAR_KEYS: usize = 16;

/// A key of an object being skipped, after unescaping: `raw[start..end]` when it had no escape,
/// else `Parser::decoded[start..end]`; `head` is its first eight bytes (fewer for a shorter
/// key, zero-padded), so most keys differ from each other without a byte comparison and two
/// keys of at most eight bytes are equal exactly when their lengths and heads are.
#[derive(Clone, Copy)]
pub(super) struct Key {
    start: usize,
    end: usize,
    head: u64,
    decoded: bool,
}

/// An object enclosing the innermost one `skip_value` is in (`outer`), where the innermost
/// object's decoded keys start in `Parser::decoded`, and how many arrays were open directly
/// inside `outer` when the innermost object opened.
#[derive(Clone, Copy)]
pub(super) struct Keys {
    outer: Object,
    decoded: usize,
    arrays_outside: usize,
}

/// The keys of an open object: `Parser::keys[base..base + n]`, or the last of `Parser::sets`
/// (`set`, and then `n` is 0).
///
/// Objects side by side mostly have the same keys in the same order (the messages of a
/// conversation), so a closed object's keys stay in `Parser::keys` as a template (`Template`)
/// for an object opening at the same `base`: `keys[base + n..stale_end]` are the rest of
/// that template. While every key so far equalled the template's key at its index, a key
/// equal to the next template key is new to the object without a comparison (the template's
/// keys are pairwise different: they passed this check in their own object) and is not
/// stored again. The first key that differs ends the template for the object.
#[derive(Clone, Copy)]
pub(super) struct Object {
    base: usize,
    n: usize,
    stale_end: usize,
    set: bool,
}

/// The keys of the object closed last, `Parser::keys[base..end]`, while no key has been
/// stored since.
#[derive(Clone, Copy)]
struct Template {
    base: usize,
    end: usize,
}

/// The keys of the open objects with more than `LINEAR_KEYS` keys, innermost last.
pub(super) type KeySet = BTreeSet<String>;

/// `i` moved past the JSON whitespace there.
#[inline(always)]
fn ws(raw: &[u8], mut i: usize) -> usize {
    while let Some(b' ' | b'\t' | b'\n' | b'\r') = raw.get(i) {
        i += 1;
    }
    i
}

/// An error of `kind` at byte `offset`.
fn error(kind: JsonErrorKind, offset: usize) -> JsonError {
    JsonError { kind, offset }
}

/// The error for a byte that is not the one expected at `i`: the end, or an unexpected byte.
fn unexpected(raw: &[u8], i: usize) -> JsonError {
    let kind = if i < raw.len() {
        JsonErrorKind::UnexpectedByte
    } else {
        JsonErrorKind::UnexpectedEnd
    };
    error(kind, i)
}

impl<'a> Parser<'a> {
    /// Check the value at `pos` (nested `depth` deep, as in `value`) and move past it. A loop
    /// over the open containers (`open` in all, `arrays` of them arrays directly inside the
    /// innermost object, the enclosing objects in `objects`), not a call per value.
    pub(super) fn skip_value(&mut self, depth: usize) -> Result<(), JsonError> {
        let (objects, keys, sets) = (self.objects.len(), self.keys.len(), self.sets.len());
        let decoded = self.decoded.len();
        let skipped = self.skim(depth);
        if skipped.is_err() {
            self.objects.truncate(objects);
            self.keys.truncate(keys);
            self.sets.truncate(sets);
            self.decoded.truncate(decoded);
        }
        skipped
    }

    fn skim(&mut self, depth: usize) -> Result<(), JsonError> {
        let raw = self.raw;
        let max_depth = self.max_depth;
        let floor = self.objects.len();
        let mut i = self.pos;
        let mut open = 0usize;
        let mut arrays = 0usize;
        // The innermost object's keys (none outside every object).
        let first = self.keys.len();
        let mut object = Object {
            base: first,
            n: 0,
            stale_end: first,
            set: false,
        };
        let mut template: Option<Template> = None;
        // The frame of the innermost open object, kept out of `objects`.
        let mut last: Option<Keys> = None;
        'value: loop {
            // At a value; the whitespace before it is consumed.
            match raw.get(i) {
                None => return Err(error(JsonErrorKind::UnexpectedEnd, i)),
                Some(b'"') => i = self.skim_string(i)?,
                Some(b'[') => {
                    // A run of `[` is counted, checked against the depth limit and opened at
                    // once; the error names the first `[` past the limit, as `value` does.
                    let run = run_of(raw, i, b'[');
                    let room = max_depth.saturating_sub(depth + open);
                    if run > room {
                        return Err(error(JsonErrorKind::TooDeep, i + room));
                    }
                    i = ws(raw, i + run);
                    open += run;
                    arrays += run;
                    if raw.get(i) != Some(&b']') {
                        continue 'value;
                    }
                    i += 1;
                    open -= 1;
                    arrays -= 1;
                }
                Some(b'{') => {
                    if depth + 1 + open > max_depth {
                        return Err(error(JsonErrorKind::TooDeep, i));
                    }
                    i = ws(raw, i + 1);
                    if raw.get(i) == Some(&b'}') {
                        i += 1;
                    } else {
                        open += 1;
                        // The new object's keys go after the enclosing one's, over the rest
                        // of its template.
                        let base = object.base + object.n;
                        object.stale_end = object.stale_end.min(base);
                        // The innermost frame waits in `last`; the stack holds the others.
                        if let Some(frame) = last.take() {
                            self.objects.push(frame);
                        }
                        last = Some(Keys {
                            outer: object,
                            decoded: self.decoded.len(),
                            arrays_outside: arrays,
                        });
                        arrays = 0;
                        let stale_end = match template {
                            Some(t) if t.base == base => t.end,
                            _ => base,
                        };
                        object = Object {
                            base,
                            n: 0,
                            stale_end,
                            set: false,
                        };
                        i = self.skim_key(i, &mut object, &mut template)?;
                        continue 'value;
                    }
                }
                Some(b't') => i = literal(raw, i, b"true")?,
                Some(b'f') => i = literal(raw, i, b"false")?,
                Some(b'n') => i = literal(raw, i, b"null")?,
                Some(b'-' | b'0'..=b'9') => {
                    self.pos = i;
                    self.number_end()?;
                    i = self.pos;
                }
                Some(_) => return Err(error(JsonErrorKind::UnexpectedByte, i)),
            }
            // After a complete value: close the containers it completes.
            loop {
                if open == 0 {
                    self.keys.truncate(first);
                    self.pos = i;
                    return Ok(());
                }
                i = ws(raw, i);
                match raw.get(i) {
                    Some(b',') if arrays > 0 => {
                        i = ws(raw, i + 1);
                        continue 'value;
                    }
                    Some(b',') => {
                        i = self.skim_key(i + 1, &mut object, &mut template)?;
                        continue 'value;
                    }
                    Some(b']') if arrays > 0 => {
                        // A run of `]` closes as many of the innermost arrays at once.
                        let closed = run_of(raw, i, b']').min(arrays);
                        i += closed;
                        open -= closed;
                        arrays -= closed;
                    }
                    Some(b'}') if arrays == 0 => {
                        i += 1;
                        open -= 1;
                        template = if object.set {
                            self.sets.pop();
                            None
                        } else {
                            Some(Template {
                                base: object.base,
                                end: object.base + object.n,
                            })
                        };
                        // The frame `{` pushed in this loop (`open` counts it).
                        let frame = match last.take() {
                            Some(frame) => Some(frame),
                            None if self.objects.len() > floor => self.objects.pop(),
                            None => None,
                        };
                        if let Some(keys) = frame {
                            if self.decoded.len() > keys.decoded {
                                self.decoded.truncate(keys.decoded);
                            }
                            arrays = keys.arrays_outside;
                            object = keys.outer;
                        }
                    }
                    _ => return Err(unexpected(raw, i)),
                }
            }
        }
    }

    /// In the innermost object (whose keys `object` holds), before a member (`at`, whitespace
    /// not consumed): its key (refused when already seen), the colon and the whitespace up to
    /// its value, whose position it returns.
    #[inline(always)]
    fn skim_key(
        &mut self,
        at: usize,
        object: &mut Object,
        template: &mut Option<Template>,
    ) -> Result<usize, JsonError> {
        let raw = self.raw;
        let key_at = ws(raw, at);
        if raw.get(key_at) != Some(&b'"') {
            return Err(unexpected(raw, key_at));
        }
        let start = key_at + 1;
        let after = match self.template_key(raw, start, object) {
            Some(after) => after,
            None => self.new_key(raw, key_at, object, template)?,
        };
        // Compact JSON: the colon right after the key, the value right after it.
        if let Some([b':', v]) = raw.get(after..after + 2) {
            if *v > b' ' {
                return Ok(after + 1);
            }
        }
        let colon = ws(raw, after);
        if raw.get(colon) != Some(&b':') {
            return Err(unexpected(raw, colon));
        }
        Ok(ws(raw, colon + 1))
    }

    /// The key at `start` (after its quote) when it is the next key of the innermost object's
    /// template, written the same way (no escape): counted, and the position after its closing
    /// quote. The template's key has no quote, backslash or control byte (it was read without
    /// escapes), so equal bytes followed by a quote are that key, whole.
    #[inline(always)]
    fn template_key(&self, raw: &[u8], start: usize, object: &mut Object) -> Option<usize> {
        let at = object.base + object.n;
        if object.set || at >= object.stale_end {
            return None;
        }
        let t = *self.keys.get(at)?;
        let len = t.end - t.start;
        if t.decoded || raw.get(start + len) != Some(&b'"') {
            return None;
        }
        let same = if len <= 8 {
            word(raw, start)? & low_bytes(len) == t.head
        } else {
            raw.get(start..start + len)? == raw.get(t.start..t.end)?
        };
        if !same {
            return None;
        }
        object.n += 1;
        Some(start + len + 1)
    }

    /// The key at `key_at` (its quote), read and checked (refused when already seen) and added
    /// to the innermost object's keys: the position after its closing quote.
    #[inline(always)]
    fn new_key(
        &mut self,
        raw: &'a [u8],
        key_at: usize,
        object: &mut Object,
        template: &mut Option<Template>,
    ) -> Result<usize, JsonError> {
        let start = key_at + 1;
        // Most keys end within the word after the quote: that word is also their head.
        let (end, head) = match word(raw, start) {
            Some(w) => match special_mask(w) {
                0 => (special_byte_from(raw, start + 8), w),
                m => {
                    let len = (m.trailing_zeros() / 8) as usize;
                    (start + len, w & low_bytes(len))
                }
            },
            None => {
                let end = special_byte_from(raw, start);
                (end, head_of(raw, start, end))
            }
        };
        let (key, after) = if raw.get(end) == Some(&b'"') {
            let key = Key {
                start,
                end,
                head,
                decoded: false,
            };
            (key, end + 1)
        } else {
            // An escape, a control byte or the end: `string` makes every check and decodes.
            self.pos = key_at;
            let text = self.string()?;
            let start = self.decoded.len();
            self.decoded.push_str(&text);
            let key = Key {
                start,
                end: self.decoded.len(),
                head: head_of(text.as_bytes(), 0, text.len()),
                decoded: true,
            };
            (key, self.pos)
        };
        if !self.remember(object, template, key) {
            return Err(JsonError::duplicate_key(key_at));
        }
        Ok(after)
    }

    /// The string at `at` (its opening quote), checked as `string` checks it (escapes,
    /// surrogate pairs, control bytes; the document is valid UTF-8) without decoding it: the
    /// position after its closing quote.
    #[inline(always)]
    fn skim_string(&mut self, at: usize) -> Result<usize, JsonError> {
        let raw = self.raw;
        let mut i = at + 1;
        loop {
            // Eight bytes per step, inline (most strings in a body of many values are short);
            // the last few bytes of the document byte by byte.
            match word(raw, i) {
                Some(w) => match special_mask(w) {
                    0 => {
                        i += 8;
                        continue;
                    }
                    m => i += (m.trailing_zeros() / 8) as usize,
                },
                None => i = special_byte_from(raw, i),
            }
            match raw.get(i) {
                Some(b'"') => return Ok(i + 1),
                Some(b'\\') => {
                    self.pos = i + 1;
                    self.escape()?;
                    i = self.pos;
                }
                None => return Err(error(JsonErrorKind::UnexpectedEnd, i)),
                Some(_) => return Err(error(JsonErrorKind::ControlCharacter, i)),
            }
        }
    }

    /// How many `byte`s follow in a row from `pos`, counted eight at a time.
    #[cfg(test)]
    pub(super) fn run_of(&self, byte: u8) -> usize {
        run_of(self.raw, self.pos, byte)
    }

    /// Adds `key` to the keys of `object`, the innermost object; false when it was already
    /// there. Storing a key ends `template`.
    #[inline(always)]
    fn remember(&mut self, object: &mut Object, template: &mut Option<Template>, key: Key) -> bool {
        let (raw, decoded) = (self.raw, self.decoded.as_str());
        if object.set {
            let new = key_str(self.text, decoded, key);
            return match self.sets.last_mut() {
                Some(set) if set.contains(new) => false,
                Some(set) => {
                    set.insert(new.to_owned());
                    true
                }
                None => true,
            };
        }
        let at = object.base + object.n;
        let len = key.end - key.start;
        if at < object.stale_end {
            // The template's key at this index (never a decoded one: `decoded` has changed
            // since its object closed).
            if let Some(&t) = self.keys.get(at) {
                if !t.decoded
                    && t.head == key.head
                    && t.end - t.start == len
                    && (len <= 8 || text(raw, decoded, t) == text(raw, decoded, key))
                {
                    object.n += 1;
                    return true;
                }
            }
            object.stale_end = at;
        }
        *template = None;
        let seen = self.keys.get(object.base..at).unwrap_or_default();
        for &k in seen {
            if k.head == key.head
                && k.end - k.start == len
                && (len <= 8 || text(raw, decoded, k) == text(raw, decoded, key))
            {
                return false;
            }
        }
        if object.n < LINEAR_KEYS {
            self.keys.truncate(at);
            self.keys.push(key);
            object.n += 1;
            return true;
        }
        self.spill_to_set(object.base, at, key);
        object.set = true;
        object.n = 0;
        object.stale_end = object.base;
        true
    }

    /// The innermost object's keys (`keys[base..end]`) and `key` move into a set, where every
    /// later key of the object goes.
    #[cold]
    fn spill_to_set(&mut self, base: usize, end: usize, key: Key) {
        let (text, decoded) = (self.text, &self.decoded);
        // One insert each (`collect` would sort first: a sort in every plugin for 17 keys).
        let mut set = KeySet::new();
        for &k in self.keys.get(base..end).unwrap_or_default() {
            set.insert(key_str(text, decoded, k).to_owned());
        }
        set.insert(key_str(text, decoded, key).to_owned());
        self.keys.truncate(base);
        self.sets.push(set);
    }
}

/// A mask of the low `len` bytes of a word (all of them from eight on).
#[inline(always)]
fn low_bytes(len: usize) -> u64 {
    if len >= 8 {
        u64::MAX
    } else {
        (1u64 << (8 * len)) - 1
    }
}

/// The first eight bytes of `bytes[start..end]` as a little-endian word, zero-padded when it
/// is shorter: the word at `start`, masked (bytewise only near the end of `bytes`).
#[inline(always)]
fn head_of(bytes: &[u8], start: usize, end: usize) -> u64 {
    let len = end.saturating_sub(start);
    let keep = low_bytes(len);
    if let Some(word) = word(bytes, start) {
        return word & keep;
    }
    let mut word = [0u8; 8];
    for (w, &b) in word
        .iter_mut()
        .zip(bytes.get(start..end).unwrap_or_default())
    {
        *w = b;
    }
    u64::from_le_bytes(word)
}

/// The text of `key`.
#[inline(always)]
fn text<'s>(raw: &'s [u8], decoded: &'s str, key: Key) -> &'s [u8] {
    let from = if key.decoded { decoded.as_bytes() } else { raw };
    from.get(key.start..key.end).unwrap_or_default()
}

/// The text of `key` for a set (the same type as `build`'s sets: one BTreeSet in a plugin). A key
/// without escapes ends at its quote, an ASCII byte, so its range is on char boundaries.
fn key_str<'s>(text: &'s str, decoded: &'s str, key: Key) -> &'s str {
    let from = if key.decoded { decoded } else { text };
    debug_assert!(from.get(key.start..key.end).is_some());
    from.get(key.start..key.end).unwrap_or_default()
}

/// `lit` at `i` (whose first byte matched): the position after it, or the error `value`
/// gives there (a wrong byte, or the end before the literal is complete).
#[inline(always)]
fn literal(raw: &[u8], i: usize, lit: &[u8]) -> Result<usize, JsonError> {
    let end = i + lit.len();
    match raw.get(i..end) {
        Some(s) if s == lit => Ok(end),
        Some(_) => Err(error(JsonErrorKind::UnexpectedByte, i)),
        None => Err(error(JsonErrorKind::UnexpectedEnd, i)),
    }
}

/// How many `byte`s follow in a row from `at`, counted eight at a time.
fn run_of(raw: &[u8], at: usize, byte: u8) -> usize {
    let rest = raw.get(at..).unwrap_or_default();
    let all = u64::from_le_bytes([byte; 8]);
    let mut n = 0usize;
    while let Some(word) = rest.get(n..).and_then(<[u8]>::first_chunk::<8>) {
        let diff = u64::from_le_bytes(*word) ^ all;
        if diff != 0 {
            return n + (diff.trailing_zeros() / 8) as usize;
        }
        n += 8;
    }
    n + rest
        .get(n..)
        .unwrap_or_default()
        .iter()
        .take_while(|&&b| b == byte)
        .count()
}
