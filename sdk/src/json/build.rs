//! build: the value reader `parse` uses. One loop over an explicit stack of open arrays and
//! objects (no call per nested value); the children of every open container wait in two
//! buffers shared by the whole document and move into an exactly-sized `Vec` when it closes
//! (no growth, no allocation for an empty one). Duplicate keys are found by comparing with the
//! members already read (a set only for an object with many keys). Every check, error kind and
//! offset is the one the recursive reader made (`build_tests` compares them).

use std::collections::BTreeSet;

use super::{Json, JsonError, JsonErrorKind, Node, Parser};

/// Keys an object compares linearly before it moves them to a set.
const LINEAR_KEYS: usize = 16;

/// An array or object being read: where it starts, where its children start in
/// `Parser::items` / `Parser::members`, and for an object the key of the member being read.
pub(super) struct Open {
    start: usize,
    base: usize,
    object: bool,
    key: String,
    /// The keys of an object with more than `LINEAR_KEYS` members.
    set: Option<BTreeSet<String>>,
}

impl Parser<'_> {
    /// The value at `pos` (nested `depth` deep: its own arrays and objects are at `depth + 1`),
    /// built, and `pos` moved past it. The whitespace before it is consumed.
    pub(super) fn value(&mut self, depth: usize) -> Result<Node, JsonError> {
        let floor = self.open.len();
        let (items, members) = (self.items.len(), self.members.len());
        let built = self.build(depth, floor);
        if built.is_err() {
            self.open.truncate(floor);
            self.items.truncate(items);
            self.members.truncate(members);
        }
        built
    }

    fn build(&mut self, depth: usize, floor: usize) -> Result<Node, JsonError> {
        'value: loop {
            // At a value; the whitespace before it is consumed.
            let start = self.pos;
            let value = match self.peek() {
                None => return Err(self.err(JsonErrorKind::UnexpectedEnd)),
                Some(b @ (b'[' | b'{')) => {
                    let object = b == b'{';
                    self.enter(depth + 1 + (self.open.len() - floor))?;
                    self.pos += 1;
                    self.skip_ws();
                    let close = if object { b'}' } else { b']' };
                    if self.peek() == Some(close) {
                        self.pos += 1;
                        if object {
                            Json::Object(Vec::new())
                        } else {
                            Json::Array(Vec::new())
                        }
                    } else {
                        let base = if object {
                            self.members.len()
                        } else {
                            self.items.len()
                        };
                        self.open.push(Open {
                            start,
                            base,
                            object,
                            key: String::new(),
                            set: None,
                        });
                        if object {
                            self.member_key_built()?;
                        } else {
                            self.skip_ws();
                        }
                        continue 'value;
                    }
                }
                Some(b'"') => Json::String(self.string()?),
                Some(b't') => {
                    self.expect_literal(b"true")?;
                    Json::Bool(true)
                }
                Some(b'f') => {
                    self.expect_literal(b"false")?;
                    Json::Bool(false)
                }
                Some(b'n') => {
                    self.expect_literal(b"null")?;
                    Json::Null
                }
                Some(b'-' | b'0'..=b'9') => Json::Number(self.number()?),
                Some(_) => return Err(self.err(JsonErrorKind::UnexpectedByte)),
            };
            let mut node = Node {
                value,
                span: start..self.pos,
            };
            // A complete value: hand it to the innermost open container, then close the
            // containers it completes.
            loop {
                if self.open.len() <= floor {
                    return Ok(node);
                }
                let Some(open) = self.open.last_mut() else {
                    return Ok(node);
                };
                let object = open.object;
                if object {
                    let key = std::mem::take(&mut open.key);
                    self.members.push((key, node));
                } else {
                    self.items.push(node);
                }
                self.skip_ws();
                match self.peek() {
                    Some(b',') => {
                        self.pos += 1;
                        if object {
                            self.member_key_built()?;
                        } else {
                            self.skip_ws();
                        }
                        continue 'value;
                    }
                    Some(b']') if !object => {
                        self.pos += 1;
                        let Some(open) = self.open.pop() else {
                            return Err(self.err(JsonErrorKind::UnexpectedByte));
                        };
                        let items = self.items.split_off(open.base.min(self.items.len()));
                        node = Node {
                            value: Json::Array(items),
                            span: open.start..self.pos,
                        };
                    }
                    Some(b'}') if object => {
                        self.pos += 1;
                        let Some(open) = self.open.pop() else {
                            return Err(self.err(JsonErrorKind::UnexpectedByte));
                        };
                        let members = self.members.split_off(open.base.min(self.members.len()));
                        node = Node {
                            value: Json::Object(members),
                            span: open.start..self.pos,
                        };
                    }
                    None => return Err(self.err(JsonErrorKind::UnexpectedEnd)),
                    Some(_) => return Err(self.err(JsonErrorKind::UnexpectedByte)),
                }
            }
        }
    }

    /// In the innermost open object, before a member: its key (refused when already seen),
    /// the colon and the whitespace up to its value. The key waits in the object's `Open`.
    fn member_key_built(&mut self) -> Result<(), JsonError> {
        self.skip_ws();
        let key_at = self.pos;
        self.require(b'"')?;
        let key = self.string()?;
        let Some(open) = self.open.last_mut() else {
            return Err(self.err(JsonErrorKind::UnexpectedByte));
        };
        let seen = self.members.get(open.base..).unwrap_or_default();
        if !fresh_key(seen, &mut open.set, &key) {
            return Err(JsonError::duplicate_key(key_at));
        }
        open.key = key;
        self.colon()?;
        Ok(())
    }
}

/// Whether `key` is not among the keys of an object so far: its members `seen` (compared
/// directly while there are few) or, past `LINEAR_KEYS`, `set`, which then also records it.
pub(super) fn fresh_key(
    seen: &[(String, Node)],
    set: &mut Option<BTreeSet<String>>,
    key: &str,
) -> bool {
    if let Some(set) = set {
        return set.insert(key.to_owned());
    }
    if seen.iter().any(|(k, _)| k == key) {
        return false;
    }
    if seen.len() >= LINEAR_KEYS {
        *set = Some(key_set(seen, key));
    }
    true
}

/// The keys so far plus `key`, inserted one by one: `collect` would instantiate a stable sort
/// for this one call. Cold: only objects past `LINEAR_KEYS` keys get here.
#[cold]
#[inline(never)]
fn key_set(seen: &[(String, Node)], key: &str) -> BTreeSet<String> {
    let mut all = BTreeSet::new();
    for (k, _) in seen {
        all.insert(k.clone());
    }
    all.insert(key.to_owned());
    all
}
