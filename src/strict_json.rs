//! A pass over JSON text that refuses what serde_json lets through by
//! default: a key given twice in one object (serde_json's `Map` keeps the
//! last one silently) and text after the top-level value. Scenario files
//! go through it before they are read into their types.

use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use std::collections::HashSet;
use std::fmt;

/// Where strict parsing refused the text.
#[derive(Debug)]
pub struct StrictError {
    /// The path of the object holding the problem (`methods[0]`), empty at the top.
    pub field: String,
    /// Line and column, when known.
    pub position: Option<(usize, usize)>,
    /// What is wrong.
    pub message: String,
}

/// Checks that `text` is one JSON value with no key repeated in any
/// object and nothing but white space after it.
pub fn check(text: &str) -> Result<(), StrictError> {
    let mut deserializer = serde_json::Deserializer::from_str(text);
    let walked: Result<Strict, _> = serde_path_to_error::deserialize(&mut deserializer);
    let finished = walked
        .map_err(|error| {
            let field = error.path().to_string();
            (field, error.into_inner())
        })
        .and_then(|_| deserializer.end().map_err(|e| (String::new(), e)));
    finished.map_err(|(field, error)| StrictError {
        field: if matches!(field.as_str(), "." | "?") {
            String::new()
        } else {
            field
        },
        position: (error.line() > 0).then(|| (error.line(), error.column())),
        message: describe(&error),
    })
}

/// serde_json's message without its " at line L column C" tail, and
/// "trailing characters" said plainly.
fn describe(error: &serde_json::Error) -> String {
    let text = error.to_string();
    let text = match text.rfind(" at line ") {
        Some(at) => &text[..at],
        None => &text,
    };
    if text == "trailing characters" {
        "text after the end of the JSON object; a file holds exactly one object".to_string()
    } else {
        text.to_string()
    }
}

/// Any JSON value, walked to refuse repeated keys.
struct Strict;

impl<'de> de::Deserialize<'de> for Strict {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(StrictVisitor)
    }
}

struct StrictVisitor;

impl<'de> Visitor<'de> for StrictVisitor {
    type Value = Strict;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_bool<E>(self, _: bool) -> Result<Strict, E> {
        Ok(Strict)
    }
    fn visit_i64<E>(self, _: i64) -> Result<Strict, E> {
        Ok(Strict)
    }
    fn visit_u64<E>(self, _: u64) -> Result<Strict, E> {
        Ok(Strict)
    }
    fn visit_f64<E>(self, _: f64) -> Result<Strict, E> {
        Ok(Strict)
    }
    fn visit_str<E>(self, _: &str) -> Result<Strict, E> {
        Ok(Strict)
    }
    fn visit_unit<E>(self) -> Result<Strict, E> {
        Ok(Strict)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Strict, A::Error> {
        while seq.next_element::<Strict>()?.is_some() {}
        Ok(Strict)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Strict, A::Error> {
        let mut seen = HashSet::new();
        while let Some(key) = map.next_key::<String>()? {
            let repeated = !seen.insert(key.clone());
            map.next_value_seed(StrictSeed {
                repeated: repeated.then_some(key),
            })?;
        }
        Ok(Strict)
    }
}

/// The value under one key; `repeated` holds the key when it was seen
/// before in the same object, and the value is then refused (from inside
/// it, so the error's path ends with the key).
struct StrictSeed {
    repeated: Option<String>,
}

impl<'de> DeserializeSeed<'de> for StrictSeed {
    type Value = Strict;
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Strict, D::Error> {
        match self.repeated {
            None => deserializer.deserialize_any(StrictVisitor),
            Some(key) => {
                deserializer.deserialize_ignored_any(IgnoredAny)?;
                Err(de::Error::custom(format!(
                    "duplicate key {key:?}: each key may appear once in an object"
                )))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_repeated_key_inside_a_method_entry_is_named_with_its_object() {
        let text = "{\"name\":\"a\",\"methods\": [\n{\"method\": \"direct\", \"method\": \"positioned\"}]}";
        let error = check(text).unwrap_err();
        assert!(
            error.message.contains("duplicate key \"method\""),
            "{error:?}"
        );
        assert_eq!(error.field, "methods[0].method");
        assert_eq!(error.position.map(|p| p.0), Some(2));
    }

    #[test]
    fn trailing_text_is_refused_and_white_space_is_not() {
        let error = check("{\"a\": 1}\n garbage here").unwrap_err();
        assert!(error.message.contains("text after the end"), "{error:?}");
        assert_eq!(error.position.map(|p| p.0), Some(2));
        check("{\"a\": 1, \"b\": {\"a\": 2}}\n\n").unwrap();
    }
}
