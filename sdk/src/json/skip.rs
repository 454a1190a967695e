//! skip: reads a value with every check `Parser::value` makes (same errors at the same offsets)
//! but builds nothing: no node, no decoded string, no allocation per value, no call per nested
//! value. Open arrays are a count per enclosing object, not a stack entry each, and runs of `[`
//! or `]` are counted a word at a time. Duplicate keys are found by comparing byte ranges of
//! the document (keys with escapes are decoded into one shared buffer) in one list shared by
//! every open object; an object with many keys moves them to a set.

use std::borrow::Cow;
use std::collections::BTreeSet;

use super::{special_byte_from, JsonError, JsonErrorKind, Parser};

/// Keys an object compares linearly before it moves them to a set.
const LINEAR_KEYS: usize = 16;

/// A key of an object being skipped, after unescaping: `raw[start..end]` when it had no escape,
/// else `Parser::decoded[start..end]`.
#[derive(Clone, Copy)]
pub(super) struct Key {
    start: usize,
    end: usize,
    decoded: bool,
}

/// An object `skip_value` is inside: its keys so far (`Parser::keys[base..]`, or `set` once
/// there are many), where its decoded keys start in `Parser::decoded`, and how many arrays
/// were open directly inside the enclosing object (or the skipped value) when it opened.
pub(super) struct Keys<'a> {
    base: usize,
    decoded: usize,
    arrays_outside: usize,
    set: Option<BTreeSet<Cow<'a, [u8]>>>,
}

impl<'a> Parser<'a> {
    /// Check the value at `pos` (nested `depth` deep, as in `value`) and move past it. A loop
    /// over the open containers (`open` in all, `arrays` of them arrays directly inside the
    /// innermost object, objects in `objects`), not a call per value.
    pub(super) fn skip_value(&mut self, depth: usize) -> Result<(), JsonError> {
        let floor = self.objects.len();
        let mut open = 0usize;
        let mut arrays = 0usize;
        'value: loop {
            // At a value; the whitespace before it is consumed.
            match self.peek() {
                None => return Err(self.err(JsonErrorKind::UnexpectedEnd)),
                Some(b'[') => {
                    // A run of `[` is counted, checked against the depth limit and opened at
                    // once; the error names the first `[` past the limit, as `value` does.
                    let run = self.run_of(b'[');
                    let room = self.max_depth.saturating_sub(depth + open);
                    if run > room {
                        self.pos += room;
                        return Err(self.err(JsonErrorKind::TooDeep));
                    }
                    self.pos += run;
                    open += run;
                    arrays += run;
                    self.skip_ws();
                    if self.peek() == Some(b']') {
                        self.pos += 1;
                        open -= 1;
                        arrays -= 1;
                    } else {
                        continue 'value;
                    }
                }
                Some(b'{') => {
                    self.enter(depth + 1 + open)?;
                    self.pos += 1;
                    self.skip_ws();
                    if self.peek() == Some(b'}') {
                        self.pos += 1;
                    } else {
                        open += 1;
                        self.objects.push(Keys {
                            base: self.keys.len(),
                            decoded: self.decoded.len(),
                            arrays_outside: arrays,
                            set: None,
                        });
                        arrays = 0;
                        self.member_key()?;
                        continue 'value;
                    }
                }
                Some(b'"') => self.skip_string()?,
                Some(b't') => self.expect_literal(b"true")?,
                Some(b'f') => self.expect_literal(b"false")?,
                Some(b'n') => self.expect_literal(b"null")?,
                Some(b'-' | b'0'..=b'9') => self.number_end()?,
                Some(_) => return Err(self.err(JsonErrorKind::UnexpectedByte)),
            }
            // After a complete value: close the containers it completes.
            loop {
                if open == 0 {
                    return Ok(());
                }
                self.skip_ws();
                let in_array = arrays > 0;
                match self.peek() {
                    Some(b',') => {
                        self.pos += 1;
                        if in_array {
                            self.skip_ws();
                        } else {
                            self.member_key()?;
                        }
                        continue 'value;
                    }
                    Some(b']') if in_array => {
                        // A run of `]` closes as many of the innermost arrays at once.
                        let closed = self.run_of(b']').min(arrays);
                        self.pos += closed;
                        open -= closed;
                        arrays -= closed;
                    }
                    Some(b'}') if !in_array => {
                        self.pos += 1;
                        open -= 1;
                        if self.objects.len() > floor {
                            if let Some(keys) = self.objects.pop() {
                                self.keys.truncate(keys.base);
                                self.decoded.truncate(keys.decoded);
                                arrays = keys.arrays_outside;
                            }
                        }
                    }
                    None => return Err(self.err(JsonErrorKind::UnexpectedEnd)),
                    Some(_) => return Err(self.err(JsonErrorKind::UnexpectedByte)),
                }
            }
        }
    }

    /// How many `byte`s follow in a row from `pos`, counted eight at a time.
    pub(super) fn run_of(&self, byte: u8) -> usize {
        let rest = self.raw.get(self.pos..).unwrap_or_default();
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

    /// In the innermost object, before a member: its key (refused when already seen), the
    /// colon and the whitespace up to its value.
    fn member_key(&mut self) -> Result<(), JsonError> {
        self.skip_ws();
        let key_at = self.pos;
        self.require(b'"')?;
        let key = self.key()?;
        let fresh = self.remember(key);
        if !fresh {
            return Err(JsonError::duplicate_key(key_at));
        }
        self.colon()?;
        Ok(())
    }

    /// A key at its opening quote: its range in the document when it has no escape,
    /// otherwise decoded by `string` (which then also makes every check on it) into `decoded`.
    fn key(&mut self) -> Result<Key, JsonError> {
        let start = self.pos + 1;
        let end = special_byte_from(self.raw, start);
        if self.raw.get(end) == Some(&b'"') {
            self.pos = end + 1;
            return Ok(Key {
                start,
                end,
                decoded: false,
            });
        }
        let text = self.string()?;
        let start = self.decoded.len();
        self.decoded.push_str(&text);
        Ok(Key {
            start,
            end: self.decoded.len(),
            decoded: true,
        })
    }

    /// The text of `key`.
    fn key_bytes(&self, key: Key) -> &[u8] {
        let from = if key.decoded {
            self.decoded.as_bytes()
        } else {
            self.raw
        };
        from.get(key.start..key.end).unwrap_or_default()
    }

    /// Adds `key` to the innermost object's keys; false when it was already there.
    fn remember(&mut self, key: Key) -> bool {
        let Some(object) = self.objects.last() else {
            return true;
        };
        let base = object.base;
        if object.set.is_none() && self.keys.len() == base {
            // The first key of an object: nothing to compare with.
            self.keys.push(key);
            return true;
        }
        let new = self.key_bytes(key);
        if let Some(set) = &object.set {
            if set.contains(new) {
                return false;
            }
        } else {
            let seen = self.keys.get(base..).unwrap_or_default();
            if seen
                .iter()
                .any(|&k| k.end - k.start == key.end - key.start && self.key_bytes(k) == new)
            {
                return false;
            }
            if seen.len() < LINEAR_KEYS {
                self.keys.push(key);
                return true;
            }
        }
        // A set: the keys so far move into it, and every later key goes there.
        let owned = |p: &Self, k: Key| -> Cow<'a, [u8]> {
            if k.decoded {
                Cow::Owned(p.key_bytes(k).to_vec())
            } else {
                Cow::Borrowed(p.raw.get(k.start..k.end).unwrap_or_default())
            }
        };
        let mut moved: Vec<Cow<'a, [u8]>> = Vec::new();
        if self.objects.last().is_some_and(|o| o.set.is_none()) {
            let old: Vec<Key> = self.keys.drain(base..).collect();
            moved = old.into_iter().map(|k| owned(self, k)).collect();
        }
        let added = owned(self, key);
        if let Some(object) = self.objects.last_mut() {
            let set = object.set.get_or_insert_with(BTreeSet::new);
            set.extend(moved);
            set.insert(added);
        }
        true
    }

    /// A string at its opening quote, checked as `string` checks it (escapes, surrogate
    /// pairs, control bytes; the document is valid UTF-8) without decoding it.
    fn skip_string(&mut self) -> Result<(), JsonError> {
        self.pos += 1; // '"'
        loop {
            self.pos = special_byte_from(self.raw, self.pos);
            match self.peek() {
                None => return Err(self.err(JsonErrorKind::UnexpectedEnd)),
                Some(b'"') => {
                    self.pos += 1;
                    return Ok(());
                }
                Some(b'\\') => {
                    self.pos += 1;
                    self.escape()?;
                }
                Some(_) => return Err(self.err(JsonErrorKind::ControlCharacter)),
            }
        }
    }
}
