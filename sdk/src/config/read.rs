//! read: typed values out of a parsed configuration tree. Each value knows its field path, so
//! every error names it (`keys[1].credentials[0].hash: expected a string, found a number`).

use super::ConfigError;
use crate::json::{Json, Node};
use std::collections::BTreeMap;

/// A type read from a configuration value (the hand-written counterpart of serde's
/// `Deserialize`): structs through [`Value::object`], string enums through [`Value::one_of`].
pub trait FromConfig: Sized {
    /// Read `value`; an error names the field path and the reason.
    fn from_config(value: &Value<'_>) -> Result<Self, ConfigError>;
}

/// One value of the configuration and where it is (`""` for the document itself).
pub struct Value<'a> {
    node: &'a Node,
    path: String,
}

impl<'a> Value<'a> {
    /// The document itself.
    pub fn root(node: &'a Node) -> Value<'a> {
        Value {
            node,
            path: String::new(),
        }
    }

    /// The field path, e.g. `rules[2].mode` (empty for the document itself).
    pub fn path(&self) -> &str {
        &self.path
    }

    /// An error about this value.
    pub fn error(&self, reason: impl Into<String>) -> ConfigError {
        ConfigError::at(&self.path, reason)
    }

    fn expected(&self, what: &str) -> ConfigError {
        let found = match &self.node.value {
            Json::Null => "null",
            Json::Bool(_) => "a boolean",
            Json::Number(_) => "a number",
            Json::String(_) => "a string",
            Json::Array(_) => "an array",
            Json::Object(_) | Json::Skipped => "an object",
        };
        self.error(format!("expected {what}, found {found}"))
    }

    /// JSON `null`.
    pub fn is_null(&self) -> bool {
        self.node.is_null()
    }

    /// A string, else an error naming the field.
    pub fn str(&self) -> Result<&'a str, ConfigError> {
        self.node.as_str().ok_or_else(|| self.expected("a string"))
    }

    /// A boolean, else an error naming the field.
    pub fn bool(&self) -> Result<bool, ConfigError> {
        self.node
            .as_bool()
            .ok_or_else(|| self.expected("a boolean"))
    }

    /// A whole number in `min..=max`, written without fraction or exponent (a negative number
    /// is out of range).
    pub fn integer(&self, min: u64, max: u64) -> Result<u64, ConfigError> {
        let Json::Number(text) = &self.node.value else {
            return Err(self.expected("an integer"));
        };
        match text.parse::<u64>() {
            Ok(n) if (min..=max).contains(&n) => Ok(n),
            _ if min == 0 && max == u64::MAX => Err(self.error("must be a non-negative integer")),
            _ => Err(self.error(format!("must be an integer in {min}..={max}"))),
        }
    }

    /// A number (integer, fraction or exponent).
    pub fn number(&self) -> Result<f64, ConfigError> {
        self.node.as_f64().ok_or_else(|| self.expected("a number"))
    }

    /// A string that must be one of `choices` (a string enum such as `"block" | "flag"`).
    pub fn one_of<T: Copy>(&self, choices: &[(&str, T)]) -> Result<T, ConfigError> {
        let text = self.str()?;
        match choices.iter().find(|(name, _)| *name == text) {
            Some((_, v)) => Ok(*v),
            None => Err(self.error(format!(
                "{} must be one of: {}",
                crate::json::quote(text),
                joined(choices.iter().map(|(name, _)| *name))
            ))),
        }
    }

    /// The items of an array, each with its path (`name[i]`).
    pub fn items(&self) -> Result<impl Iterator<Item = Value<'a>> + '_, ConfigError> {
        let items = self
            .node
            .as_array()
            .ok_or_else(|| self.expected("an array"))?;
        Ok(items.iter().enumerate().map(|(i, node)| Value {
            node,
            path: format!("{}[{i}]", self.path),
        }))
    }

    /// The members of an object whose keys are data (a map), each with its path.
    pub fn entries(&self) -> Result<impl Iterator<Item = (&'a str, Value<'a>)> + '_, ConfigError> {
        let members = self.members()?;
        Ok(members
            .iter()
            .map(|(key, node)| (key.as_str(), self.child(key, node))))
    }

    /// An object with the fields `known` (any other key is refused, like serde's
    /// `deny_unknown_fields`).
    pub fn object(&self, known: &'static [&'static str]) -> Result<Object<'a>, ConfigError> {
        let members = self.members()?;
        if let Some((key, _)) = members.iter().find(|(k, _)| !known.contains(&k.as_str())) {
            return Err(self.error(format!(
                "unknown field {}; expected one of: {}",
                crate::json::quote(key),
                joined(known.iter().copied())
            )));
        }
        Ok(Object {
            members,
            known,
            path: self.path.clone(),
        })
    }

    fn members(&self) -> Result<&'a [(String, Node)], ConfigError> {
        self.node
            .as_object()
            .ok_or_else(|| self.expected("an object"))
    }

    fn child(&self, key: &str, node: &'a Node) -> Value<'a> {
        Value {
            node,
            path: member_path(&self.path, key),
        }
    }
}

/// The path of member `key` of the object at `parent`.
fn member_path(parent: &str, key: &str) -> String {
    match parent.is_empty() {
        true => key.to_string(),
        false => format!("{parent}.{key}"),
    }
}

fn joined<'s>(names: impl Iterator<Item = &'s str>) -> String {
    names.collect::<Vec<_>>().join(", ")
}

/// An object whose keys were checked against its known fields; read each field once.
pub struct Object<'a> {
    members: &'a [(String, Node)],
    known: &'static [&'static str],
    path: String,
}

impl<'a> Object<'a> {
    /// The field `key`, if present (a `null` counts as present).
    pub fn get(&self, key: &str) -> Option<Value<'a>> {
        debug_assert!(self.known.contains(&key), "{key} is not a known field");
        let (_, node) = self.members.iter().find(|(k, _)| k == key)?;
        Some(Value {
            node,
            path: member_path(&self.path, key),
        })
    }

    /// A field that must be present.
    pub fn required<T: FromConfig>(&self, key: &str) -> Result<T, ConfigError> {
        match self.get(key) {
            Some(v) => T::from_config(&v),
            None => Err(ConfigError::at(
                &self.path,
                format!("missing field {}", crate::json::quote(key)),
            )),
        }
    }

    /// A field that may be left out (or `null`).
    pub fn optional<T: FromConfig>(&self, key: &str) -> Result<Option<T>, ConfigError> {
        match self.get(key) {
            Some(v) if !v.is_null() => T::from_config(&v).map(Some),
            _ => Ok(None),
        }
    }

    /// A field that takes `default` when left out.
    pub fn or<T: FromConfig>(&self, key: &str, default: T) -> Result<T, ConfigError> {
        match self.get(key) {
            Some(v) => T::from_config(&v),
            None => Ok(default),
        }
    }

    /// A field that takes its type's default when left out.
    pub fn or_default<T: FromConfig + Default>(&self, key: &str) -> Result<T, ConfigError> {
        self.or(key, T::default())
    }
}

impl FromConfig for String {
    fn from_config(value: &Value<'_>) -> Result<Self, ConfigError> {
        value.str().map(str::to_string)
    }
}

impl FromConfig for bool {
    fn from_config(value: &Value<'_>) -> Result<Self, ConfigError> {
        value.bool()
    }
}

macro_rules! unsigned {
    ($($t:ty),*) => {$(
        impl FromConfig for $t {
            fn from_config(value: &Value<'_>) -> Result<Self, ConfigError> {
                let n = value.integer(0, <$t>::MAX as u64)?;
                <$t>::try_from(n).map_err(|_| value.error("integer out of range"))
            }
        }
    )*};
}
unsigned!(u8, u16, u32, u64, usize);

impl FromConfig for f64 {
    fn from_config(value: &Value<'_>) -> Result<Self, ConfigError> {
        value.number()
    }
}

impl FromConfig for f32 {
    fn from_config(value: &Value<'_>) -> Result<Self, ConfigError> {
        let n = value.number()?;
        let narrow = n as f32;
        if n.is_finite() && !narrow.is_finite() {
            return Err(value.error("number out of range"));
        }
        Ok(narrow)
    }
}

impl<T: FromConfig> FromConfig for Vec<T> {
    fn from_config(value: &Value<'_>) -> Result<Self, ConfigError> {
        value.items()?.map(|v| T::from_config(&v)).collect()
    }
}

/// `null` is `None` (as with serde).
impl<T: FromConfig> FromConfig for Option<T> {
    fn from_config(value: &Value<'_>) -> Result<Self, ConfigError> {
        match value.is_null() {
            true => Ok(None),
            false => T::from_config(value).map(Some),
        }
    }
}

impl<T: FromConfig> FromConfig for BTreeMap<String, T> {
    fn from_config(value: &Value<'_>) -> Result<Self, ConfigError> {
        // Inserting one by one (a repeated key keeps its last value, as `collect` does) avoids
        // the stable sort `BTreeMap::from_iter` instantiates for each value type.
        let mut map = BTreeMap::new();
        for (key, v) in value.entries()? {
            map.insert(key.to_string(), T::from_config(&v)?);
        }
        Ok(map)
    }
}
