//! An operation's fields in a scenario file (`count`, `record`, `range`...),
//! read by the operation itself; every refusal names the field.

use serde::Deserialize;
use serde_json::{Map, Value};

/// A field of an operation that cannot be used, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    /// The field's name in the scenario file.
    pub field: &'static str,
    /// What is wrong, in plain words.
    pub message: String,
}

impl FieldError {
    /// `field` is refused for `message`.
    pub fn new(field: &'static str, message: impl Into<String>) -> FieldError {
        FieldError {
            field,
            message: message.into(),
        }
    }
}

/// The fields of one scenario that belong to its operation, with the
/// operation's name for messages.
pub struct Fields<'a> {
    values: &'a Map<String, Value>,
    operation: &'static str,
}

impl<'a> Fields<'a> {
    /// Reads `values` for the operation named `operation`.
    pub fn new(values: &'a Map<String, Value>, operation: &'static str) -> Fields<'a> {
        Fields { values, operation }
    }

    /// Parses `field` with `read`, or `None` when it is absent.
    fn read<T>(
        &self,
        field: &'static str,
        read: impl FnOnce(&'a Value) -> Result<T, serde_json::Error>,
    ) -> Result<Option<T>, FieldError> {
        match self.values.get(field) {
            None => Ok(None),
            Some(value) => read(value)
                .map(Some)
                .map_err(|e| FieldError::new(field, strip_position(&e.to_string()))),
        }
    }

    /// A size of at least one byte (`4096`, `"4 KiB"`), or `None`.
    pub fn size(&self, field: &'static str) -> Result<Option<u64>, FieldError> {
        match self.offset(field)? {
            Some(0) => Err(FieldError::new(
                field,
                "a size must be at least 1 byte, not 0",
            )),
            other => Ok(other),
        }
    }

    /// A position in a file, which may be 0, or `None`.
    pub fn offset(&self, field: &'static str) -> Result<Option<u64>, FieldError> {
        self.read(field, crate::units::deserialize_byte_count)
    }

    /// `[start, end)` as two positions, or `None`.
    pub fn range(&self, field: &'static str) -> Result<Option<(u64, u64)>, FieldError> {
        self.read(field, |value| {
            let [start, end] = <[ByteCount; 2]>::deserialize(value)?;
            Ok((start.0, end.0))
        })
    }

    /// A whole number of at least 1, or `None`.
    pub fn count(&self, field: &'static str) -> Result<Option<u64>, FieldError> {
        match self.read(field, u64::deserialize)? {
            Some(0) => Err(FieldError::new(field, "must be at least 1")),
            other => Ok(other),
        }
    }

    /// `true` or `false`, or `None`.
    pub fn flag(&self, field: &'static str) -> Result<Option<bool>, FieldError> {
        self.read(field, bool::deserialize)
    }

    /// `value`, or the error that `field` is required for this operation.
    pub fn required<T>(&self, field: &'static str, value: Option<T>) -> Result<T, FieldError> {
        value.ok_or_else(|| {
            FieldError::new(
                field,
                format!("is required for operation {}", self.operation),
            )
        })
    }
}

/// A byte count that may be 0, as a positional element.
struct ByteCount(u64);

impl<'de> Deserialize<'de> for ByteCount {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        crate::units::deserialize_byte_count(deserializer).map(ByteCount)
    }
}

/// serde_json appends " at line L column C"; errors print positions themselves.
pub fn strip_position(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(at) => message[..at].to_string(),
        None => message.to_string(),
    }
}
