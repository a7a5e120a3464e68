//! The scenario file as written on disk: permissive types that serde fills,
//! with unknown fields refused. [`super::validate`] turns this into a
//! [`super::Scenario`] or an error that names the field.

use serde::Deserialize;

/// One scenario file, field for field.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScenarioWire {
    pub name: String,
    #[serde(default)]
    pub about: String,
    pub operation: OperationName,
    pub sizes: Vec<SizeWire>,
    #[serde(default)]
    pub bench_sizes: Option<Vec<SizeWire>>,
    #[serde(default)]
    pub cache: CacheWire,
    #[serde(default)]
    pub samples: Option<u32>,
    #[serde(default)]
    pub seed: Option<u64>,
    pub methods: Vec<MethodWire>,
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

/// The operations a scenario can ask for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OperationName {
    SequentialRead,
    RandomRead,
    Slice,
    Overwrite,
    SequentialWrite,
    CopyOnWrite,
    ManyFiles,
}

/// `warm` or `cold`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CacheWire {
    #[default]
    Warm,
    Cold,
}

/// One entry of `methods`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MethodWire {
    pub method: MethodName,
    #[serde(default)]
    pub label: Option<String>,
    #[serde(default)]
    pub populate: Option<bool>,
    #[serde(default)]
    pub advice: Option<AdviceName>,
    #[serde(default)]
    pub capacity: Option<SizeWire>,
    #[serde(default)]
    pub piece: Option<SizeWire>,
    #[serde(default)]
    pub chunk: Option<SizeWire>,
}

/// The five ways of doing I/O.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MethodName {
    Mmap,
    Buffered,
    Unbuffered,
    Positioned,
    Whole,
}

/// `madvise` advice for a map.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AdviceName {
    Normal,
    Sequential,
    Random,
    Willneed,
    Hugepage,
}

/// A byte count as written: a whole number or a string such as `"4 KiB"`.
fn byte_count<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<u64, D::Error> {
    use serde::de::Error;

    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Raw {
        Bytes(u64),
        Text(String),
    }
    let raw = Raw::deserialize(deserializer).map_err(|_| {
        D::Error::custom("expected a byte count: a whole number, or a string like \"64 KiB\"")
    })?;
    match raw {
        Raw::Bytes(bytes) => Ok(bytes),
        Raw::Text(text) => crate::units::parse_size(&text).map_err(D::Error::custom),
    }
}

/// A size: a byte count of at least 1, checked while parsing so that the
/// error carries the field's path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SizeWire(pub u64);

impl<'de> Deserialize<'de> for SizeWire {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        match byte_count(deserializer)? {
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
        byte_count(deserializer).map(OffsetWire)
    }
}
