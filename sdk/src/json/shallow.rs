//! shallow: `parse_shallow`, the strict parse for a plugin that reads a few top-level fields.
//! Every byte is checked as `parse` checks it (same errors at the same offsets), but nested
//! strings, arrays and objects are skipped instead of built, so a body of many small or deeply
//! nested values costs about what one long string costs.

use super::{checked, Json, JsonError, Limits, Node, Parser};

/// Parse a whole document as strictly as `parse`, building only its top: the root value and,
/// when it is an object or array, its members' keys and values, except that a member (or item)
/// that is an array or object is `Json::Skipped` unless it is a root member whose key is in
/// `expand`; such a member is built the same way one level further (its strings, arrays and
/// objects are `Json::Skipped`). Numbers, booleans and nulls are always built; strings are
/// built at the root's own level only.
pub fn parse_shallow(raw: &[u8], limits: &Limits, expand: &[&str]) -> Result<Node, JsonError> {
    let text = checked(raw, limits)?;
    let mut p = Parser::new(raw, text, limits);
    p.document(|p| match p.peek() {
        Some(b'{') => p.container(0, |p, key, depth| {
            let nested = matches!(p.peek(), Some(b'{' | b'['));
            if nested && expand.contains(&key) {
                p.container(depth, |p, _, depth| p.leaf(depth))
            } else {
                p.member(depth)
            }
        }),
        Some(b'[') => p.container(0, |p, _, depth| p.member(depth)),
        _ => p.value(0),
    })
}

/// Parse a whole document as strictly as `parse` (same errors at the same offsets). When the
/// root is an object, its members whose keys are in `read` are built in full, exactly as
/// `parse` builds them; its other members are built unless they are arrays or objects, which
/// are `Json::Skipped` (checked, not built: a tree nobody reads is neither allocated nor freed).
/// Any other root is built in full.
pub fn parse_members(raw: &[u8], limits: &Limits, read: &[&str]) -> Result<Node, JsonError> {
    let text = checked(raw, limits)?;
    let mut p = Parser::new(raw, text, limits);
    p.document(|p| match p.peek() {
        Some(b'{') => p.container(0, |p, key, depth| {
            if read.contains(&key) {
                p.value(depth)
            } else {
                p.member(depth)
            }
        }),
        _ => p.value(0),
    })
}

impl Parser<'_> {
    /// The array or object at `pos` (below `depth`; `pos` is at `{` or `[`), its values read
    /// by `read(key, depth)` (the key is "" for array items).
    fn container(
        &mut self,
        depth: usize,
        mut read: impl FnMut(&mut Self, &str, usize) -> Result<Node, JsonError>,
    ) -> Result<Node, JsonError> {
        let start = self.pos;
        let inner = depth + 1;
        let value = if self.peek() == Some(b'{') {
            self.object_with(inner, |p, key| read(p, key, inner))?
        } else {
            self.array_with(inner, |p| read(p, "", inner))?
        };
        Ok(Node {
            value,
            span: start..self.pos,
        })
    }

    /// A member of the top level: built unless it is an array or object.
    fn member(&mut self, depth: usize) -> Result<Node, JsonError> {
        match self.peek() {
            Some(b'{' | b'[') => self.skipped(depth),
            _ => self.value(depth),
        }
    }

    /// A member one level further down: built unless it is a string, array or object.
    fn leaf(&mut self, depth: usize) -> Result<Node, JsonError> {
        match self.peek() {
            Some(b'{' | b'[' | b'"') => self.skipped(depth),
            _ => self.value(depth),
        }
    }

    fn skipped(&mut self, depth: usize) -> Result<Node, JsonError> {
        let start = self.pos;
        self.skip_value(depth)?;
        Ok(Node {
            value: Json::Skipped,
            span: start..self.pos,
        })
    }
}
