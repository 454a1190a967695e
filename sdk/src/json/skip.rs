//! skip: reads a value with every check `Parser::value` makes (same errors at the same offsets)
//! but builds nothing: no node, no decoded string, no allocation per value, no call per nested
//! value. Duplicate keys are found by comparing keys borrowed from the document (decoded only
//! when they hold escapes) in one buffer shared by every open object; an object with many keys
//! moves them to a set.

use std::borrow::Cow;
use std::collections::BTreeSet;

use super::{special_byte_from, JsonError, JsonErrorKind, Parser};

/// Keys an object compares linearly before it moves them to a set.
const LINEAR_KEYS: usize = 16;

/// An array or object `skip_value` is inside (one byte: deep arrays push one per `[`).
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Open {
    Array,
    Object,
}

/// The keys so far of an object `skip_value` is inside: `Parser::keys[base..]`, or `set`
/// once there are many.
pub(super) struct Keys<'a> {
    base: usize,
    set: Option<BTreeSet<Cow<'a, str>>>,
}

impl<'a> Parser<'a> {
    /// Check the value at `pos` (nested `depth` deep, as in `value`) and move past it. A loop
    /// over an explicit stack of open containers (`frames`), not a call per value.
    pub(super) fn skip_value(&mut self, depth: usize) -> Result<(), JsonError> {
        let floor = self.frames.len();
        'value: loop {
            // At a value; the whitespace before it is consumed.
            match self.peek() {
                None => return Err(self.err(JsonErrorKind::UnexpectedEnd)),
                Some(b'[') => {
                    // A run of `[` is counted, checked against the depth limit and pushed at
                    // once; the error names the first `[` past the limit, as `value` does.
                    let run = self.run_of(b'[');
                    let room = self
                        .max_depth
                        .saturating_sub(depth + self.frames.len() - floor);
                    if run > room {
                        self.pos += room;
                        return Err(self.err(JsonErrorKind::TooDeep));
                    }
                    self.pos += run;
                    let open = self.frames.len() + run - 1;
                    self.frames.resize(open, Open::Array);
                    self.skip_ws();
                    if self.peek() == Some(b']') {
                        self.pos += 1;
                    } else {
                        self.frames.push(Open::Array);
                        continue 'value;
                    }
                }
                Some(b'{') => {
                    self.enter(depth + 1 + self.frames.len() - floor)?;
                    self.pos += 1;
                    self.skip_ws();
                    if self.peek() == Some(b'}') {
                        self.pos += 1;
                    } else {
                        self.frames.push(Open::Object);
                        let base = self.keys.len();
                        self.objects.push(Keys { base, set: None });
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
                if self.frames.len() <= floor {
                    return Ok(());
                }
                self.skip_ws();
                let in_array = self.frames.last() == Some(&Open::Array);
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
                        // A run of `]` closes the arrays on top of the stack at once.
                        let run = self.run_of(b']');
                        let open = self.frames.len() - floor;
                        let closed = self
                            .frames
                            .iter()
                            .rev()
                            .take(run.min(open))
                            .take_while(|&&f| f == Open::Array)
                            .count();
                        self.pos += closed;
                        self.frames.truncate(self.frames.len() - closed);
                    }
                    Some(b'}') if !in_array => {
                        self.pos += 1;
                        self.frames.pop();
                        if let Some(keys) = self.objects.pop() {
                            self.keys.truncate(keys.base);
                        }
                    }
                    None => return Err(self.err(JsonErrorKind::UnexpectedEnd)),
                    Some(_) => return Err(self.err(JsonErrorKind::UnexpectedByte)),
                }
            }
        }
    }

    /// How many `byte`s follow in a row from `pos`.
    fn run_of(&self, byte: u8) -> usize {
        let rest = self.raw.get(self.pos..).unwrap_or_default();
        rest.iter().take_while(|&&b| b == byte).count()
    }

    /// In the innermost object, before a member: its key (refused when already seen), the
    /// colon and the whitespace up to its value.
    fn member_key(&mut self) -> Result<(), JsonError> {
        self.skip_ws();
        let key_at = self.pos;
        match self.peek() {
            Some(b'"') => {}
            None => return Err(self.err(JsonErrorKind::UnexpectedEnd)),
            Some(_) => return Err(self.err(JsonErrorKind::UnexpectedByte)),
        }
        let key = self.key()?;
        let fresh = match self.objects.last_mut() {
            Some(Keys { set: Some(set), .. }) => set.insert(key),
            Some(Keys { base, set }) => {
                let seen = self.keys.get(*base..).unwrap_or_default();
                if seen.contains(&key) {
                    false
                } else if seen.len() < LINEAR_KEYS {
                    self.keys.push(key);
                    true
                } else {
                    let mut moved: BTreeSet<Cow<'a, str>> = self.keys.drain(*base..).collect();
                    moved.insert(key);
                    *set = Some(moved);
                    true
                }
            }
            None => true,
        };
        if !fresh {
            return Err(JsonError {
                kind: JsonErrorKind::DuplicateKey,
                offset: key_at,
            });
        }
        self.skip_ws();
        match self.peek() {
            Some(b':') => self.pos += 1,
            None => return Err(self.err(JsonErrorKind::UnexpectedEnd)),
            Some(_) => return Err(self.err(JsonErrorKind::UnexpectedByte)),
        }
        self.skip_ws();
        Ok(())
    }

    /// A key at its opening quote: borrowed from the document when it has no escape,
    /// otherwise decoded by `string` (which then also makes every check on it).
    fn key(&mut self) -> Result<Cow<'a, str>, JsonError> {
        let start = self.pos + 1;
        let end = special_byte_from(self.raw, start);
        if self.raw.get(end) == Some(&b'"') {
            if let Some(plain) = self.text.get(start..end) {
                self.pos = end + 1;
                return Ok(Cow::Borrowed(plain));
            }
        }
        self.string().map(Cow::Owned)
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
