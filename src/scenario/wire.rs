//! The scenario file as written on disk: permissive types that serde fills. [`super::validate`] turns this into a
//! [`super::Scenario`] or an error that names the field.

use crate::fill::CacheFill;
use crate::vocab::{Cache, OperationKind, Peer};
use serde::Deserialize;

/// The fields every scenario takes, whatever its operation, as spelled in
/// [`ScenarioWire`].
pub const FIELDS: &[&str] = &[
    "name",
    "about",
    "operation",
    "sizes",
    "bench_sizes",
    "cache",
    "cache_fill",
    "samples",
    "peers",
    "seed",
    "methods",
];

/// One scenario file, field for field. Fields that are neither these nor
/// the operation's are refused by [`super::validate`].
#[derive(Debug, Clone, Deserialize)]
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
    /// How the input files' pages enter the page cache (warm only).
    #[serde(default)]
    pub cache_fill: Option<CacheFill>,
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
    /// Everything else: the operation's own fields (`count`, `record`...),
    /// read by the operation (see [`crate::operation`]), and any field
    /// nobody takes.
    #[serde(flatten)]
    pub operation_fields: serde_json::Map<String, serde_json::Value>,
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
