//! The scenario file as written on disk: permissive types that serde fills,
//! with unknown fields refused. [`super::validate`] turns this into a
//! [`super::Scenario`] or an error that names the field.

use crate::vocab::{Cache, OperationKind, Peer};
use serde::Deserialize;

/// One scenario file, field for field.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScenarioWire {
    pub name: String,
    #[serde(default)]
    pub about: String,
    pub operation: OperationKind,
    pub sizes: Vec<SizeWire>,
    #[serde(default)]
    pub bench_sizes: Option<Vec<SizeWire>>,
    #[serde(default)]
    pub cache: Cache,
    #[serde(default)]
    pub samples: Option<u32>,
    /// Tools run beside mmap-lab on the same files (`["fio"]`).
    #[serde(default)]
    pub peers: Vec<Peer>,
    #[serde(default)]
    pub seed: Option<u64>,
    /// Each entry is read by [`super::validate`]: `method`, `label`, and the
    /// options of that method (see [`crate::method::MethodKind`]).
    pub methods: Vec<serde_json::Map<String, serde_json::Value>>,
    #[serde(default)]
    pub count: Option<u64>,
    #[serde(default)]
    pub record: Option<SizeWire>,
    #[serde(default)]
    pub range: Option<[OffsetWire; 2]>,
    #[serde(default)]
    pub offset: Option<OffsetWire>,
    #[serde(default)]
    pub len: Option<SizeWire>,
    #[serde(default)]
    pub sync: Option<bool>,
    #[serde(default)]
    pub files: Option<u64>,
}

/// A size: a byte count of at least 1, checked while parsing so that the
/// error carries the field's path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SizeWire(pub u64);

impl<'de> Deserialize<'de> for SizeWire {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        match crate::units::deserialize_byte_count(deserializer)? {
            0 => Err(serde::de::Error::custom(
                "a size must be at least 1 byte, not 0",
            )),
            bytes => Ok(SizeWire(bytes)),
        }
    }
}

/// A position in a file: a byte count that may be 0.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OffsetWire(pub u64);

impl<'de> Deserialize<'de> for OffsetWire {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        crate::units::deserialize_byte_count(deserializer).map(OffsetWire)
    }
}
