//! From the wire format to a [`Scenario`]: fills defaults, checks every field
//! against the operation and the sizes, and names the field when it refuses.

use super::wire::{
    AdviceName, CacheWire, MethodName, MethodWire, OperationName, ScenarioWire, SizeWire,
};
use super::*;

/// Most samples a cell may ask for; more is almost surely a typo.
const MAX_SAMPLES: u32 = 10_000;

/// Parses and validates scenario JSON; `path` is only used in errors and results.
pub fn from_json(text: &str, path: &Path) -> Result<Scenario, ScenarioError> {
    let first = text.trim_start().chars().next();
    if first != Some('{') {
        return Err(ScenarioError {
            file: path.to_path_buf(),
            field: None,
            position: None,
            message: match first {
                None => "the file is empty; a scenario is one JSON object: {\"name\": ..., \"operation\": ..., ...}".to_string(),
                Some(_) => "a scenario is one JSON object: {\"name\": ..., \"operation\": ..., ...}".to_string(),
            },
        });
    }
    let deserializer = &mut serde_json::Deserializer::from_str(text);
    let wire: ScenarioWire = serde_path_to_error::deserialize(deserializer).map_err(|error| {
        let field = error.path().to_string();
        let inner = error.into_inner();
        let position = (inner.line() > 0).then(|| (inner.line(), inner.column()));
        ScenarioError {
            file: path.to_path_buf(),
            field: (!matches!(field.as_str(), "." | "?" | "")).then_some(field),
            position,
            message: strip_position(&inner.to_string()),
        }
    })?;
    Checker { file: path }.scenario(wire)
}

/// serde_json appends " at line L column C"; the error prints those itself.
fn strip_position(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(at) => message[..at].to_string(),
        None => message.to_string(),
    }
}

struct Checker<'a> {
    file: &'a Path,
}

impl Checker<'_> {
    fn error(&self, field: impl Into<String>, message: impl Into<String>) -> ScenarioError {
        ScenarioError {
            file: self.file.to_path_buf(),
            field: Some(field.into()),
            position: None,
            message: message.into(),
        }
    }

    fn scenario(&self, wire: ScenarioWire) -> Result<Scenario, ScenarioError> {
        if wire.name.trim().is_empty() {
            return Err(self.error("name", "must not be empty"));
        }
        if !wire
            .name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        {
            return Err(self.error(
                "name",
                format!(
                    "{:?} may hold only letters, digits, '-' and '_' (it names files and charts)",
                    wire.name
                ),
            ));
        }
        if wire.sizes.is_empty() {
            return Err(self.error("sizes", "list at least one file size"));
        }
        let sizes: Vec<u64> = wire.sizes.iter().map(|s| s.0).collect();
        let bench_sizes = match &wire.bench_sizes {
            Some(list) if list.is_empty() => {
                return Err(self.error(
                    "bench_sizes",
                    "list at least one size, or leave the field out",
                ));
            }
            Some(list) => list.iter().map(|s| s.0).collect(),
            None => sizes.clone(),
        };
        let samples = wire.samples.unwrap_or(DEFAULT_SAMPLES);
        if samples == 0 || samples > MAX_SAMPLES {
            return Err(self.error(
                "samples",
                format!("must be between 1 and {MAX_SAMPLES}, not {samples}"),
            ));
        }
        let operation = self.operation(&wire)?;
        let all_sizes: Vec<(&str, usize, u64)> = sizes
            .iter()
            .enumerate()
            .map(|(i, &s)| ("sizes", i, s))
            .chain(
                bench_sizes
                    .iter()
                    .enumerate()
                    .map(|(i, &s)| ("bench_sizes", i, s)),
            )
            .collect();
        for &(list, index, size) in &all_sizes {
            self.operation_fits_size(&operation, size)
                .map_err(|(field, message)| {
                    self.error(
                        field,
                        format!("{message} ({list}[{index}] is {size} bytes)"),
                    )
                })?;
        }
        let cache = match wire.cache {
            CacheWire::Warm => Cache::Warm,
            CacheWire::Cold if matches!(operation, Operation::SequentialWrite { .. }) => {
                return Err(self.error(
                    "cache",
                    "\"cold\" does not apply to sequential_write: the file is created new, so nothing of it is cached",
                ));
            }
            CacheWire::Cold => Cache::Cold,
        };
        if wire.methods.is_empty() {
            return Err(self.error("methods", "list at least one method"));
        }
        let mut methods: Vec<MethodSpec> = Vec::new();
        for (index, method) in wire.methods.iter().enumerate() {
            let spec = self.method(method, index, &operation)?;
            if methods.iter().any(|m| m.label == spec.label) {
                return Err(self.error(
                    format!("methods[{index}]"),
                    format!(
                        "the label {:?} is used twice; give one of them a \"label\"",
                        spec.label
                    ),
                ));
            }
            methods.push(spec);
        }
        Ok(Scenario {
            name: wire.name,
            about: wire.about,
            file: self.file.to_path_buf(),
            operation,
            sizes,
            bench_sizes,
            cache,
            samples,
            seed: wire.seed.unwrap_or(DEFAULT_SEED),
            methods,
        })
    }

    fn operation(&self, wire: &ScenarioWire) -> Result<Operation, ScenarioError> {
        let op = wire.operation;
        let op_name = operation_name(op);
        // Which optional operation fields this operation takes.
        let takes = |field: &str| -> bool {
            matches!(
                (op, field),
                (OperationName::RandomRead, "count" | "record")
                    | (OperationName::Slice, "range")
                    | (OperationName::Overwrite, "offset" | "len" | "sync")
                    | (OperationName::SequentialWrite, "sync")
                    | (OperationName::CopyOnWrite, "offset" | "len")
                    | (OperationName::ManyFiles, "files")
            )
        };
        let present = [
            ("count", wire.count.is_some()),
            ("record", wire.record.is_some()),
            ("range", wire.range.is_some()),
            ("offset", wire.offset.is_some()),
            ("len", wire.len.is_some()),
            ("sync", wire.sync.is_some()),
            ("files", wire.files.is_some()),
        ];
        for (field, is_present) in present {
            if is_present && !takes(field) {
                return Err(self.error(field, format!("does not apply to operation {op_name}")));
            }
        }
        let required = |value: Option<SizeWire>, field: &str| {
            value
                .map(|s| s.0)
                .ok_or_else(|| self.error(field, format!("is required for operation {op_name}")))
        };
        let positive = |value: Option<u64>, field: &str| match value {
            None => Err(self.error(field, format!("is required for operation {op_name}"))),
            Some(0) => Err(self.error(field, "must be at least 1")),
            Some(n) => Ok(n),
        };
        Ok(match op {
            OperationName::SequentialRead => Operation::SequentialRead,
            OperationName::RandomRead => Operation::RandomRead {
                count: positive(wire.count, "count")?,
                record: required(wire.record, "record")?,
            },
            OperationName::Slice => {
                let [start, end] = wire.range.ok_or_else(|| {
                    self.error("range", "is required for operation slice: [start, end)")
                })?;
                let (start, end) = (start.0, end.0);
                if start >= end {
                    return Err(self.error(
                        "range",
                        format!(
                            "start ({start}) must be below end ({end}): the range is [start, end)"
                        ),
                    ));
                }
                Operation::Slice { start, end }
            }
            OperationName::Overwrite => Operation::Overwrite {
                offset: wire.offset.map_or(0, |s| s.0),
                len: required(wire.len, "len")?,
                sync: wire.sync.unwrap_or(false),
            },
            OperationName::SequentialWrite => Operation::SequentialWrite {
                sync: wire.sync.unwrap_or(false),
            },
            OperationName::CopyOnWrite => Operation::CopyOnWrite {
                offset: wire.offset.map_or(0, |s| s.0),
                len: required(wire.len, "len")?,
            },
            OperationName::ManyFiles => Operation::ManyFiles {
                files: positive(wire.files, "files")?,
            },
        })
    }

    /// Checks that the operation's ranges fit inside a file of `size` bytes.
    fn operation_fits_size(
        &self,
        operation: &Operation,
        size: u64,
    ) -> Result<(), (&'static str, String)> {
        match *operation {
            Operation::RandomRead { record, .. } if record > size => Err((
                "record",
                format!("a record of {record} bytes is larger than the file"),
            )),
            Operation::Slice { end, .. } if end > size => Err((
                "range",
                format!("the range ends at byte {end}, past the end of the file"),
            )),
            Operation::Overwrite { offset, len, .. } | Operation::CopyOnWrite { offset, len }
                if offset.saturating_add(len) > size =>
            {
                Err((
                    "len",
                    format!("offset {offset} + len {len} runs past the end of the file"),
                ))
            }
            _ => Ok(()),
        }
    }

    fn method(
        &self,
        wire: &MethodWire,
        index: usize,
        operation: &Operation,
    ) -> Result<MethodSpec, ScenarioError> {
        let at = |field: &str| format!("methods[{index}].{field}");
        let method_name = method_name(wire.method);
        let allowed: &[&str] = match wire.method {
            MethodName::Mmap => &["populate", "advice"],
            MethodName::Buffered => &["capacity", "piece"],
            MethodName::Unbuffered | MethodName::Positioned => &["chunk"],
            MethodName::Whole => &[],
        };
        let present = [
            ("populate", wire.populate.is_some()),
            ("advice", wire.advice.is_some()),
            ("capacity", wire.capacity.is_some()),
            ("piece", wire.piece.is_some()),
            ("chunk", wire.chunk.is_some()),
        ];
        for (field, is_present) in present {
            if is_present && !allowed.contains(&field) {
                return Err(self.error(
                    at(field),
                    format!(
                        "does not apply to method {method_name} (it takes: {})",
                        list_or_none(allowed)
                    ),
                ));
            }
        }
        let kind = match wire.method {
            MethodName::Mmap => MethodKind::Mmap {
                populate: wire.populate.unwrap_or(false),
                advice: wire.advice.map(advice),
            },
            MethodName::Buffered => MethodKind::Buffered {
                capacity: wire.capacity.map_or(DEFAULT_CAPACITY, |s| s.0),
                piece: wire.piece.map_or(DEFAULT_PIECE, |s| s.0),
            },
            MethodName::Unbuffered => MethodKind::Unbuffered {
                chunk: wire.chunk.map_or(DEFAULT_CHUNK, |s| s.0),
            },
            MethodName::Positioned => MethodKind::Positioned {
                chunk: wire.chunk.map_or(DEFAULT_CHUNK, |s| s.0),
            },
            MethodName::Whole => MethodKind::Whole,
        };
        if !kind.fits(operation) {
            return Err(self.error(
                at("method"),
                format!(
                    "{method_name} does not fit operation {}: a private copy needs a map (mmap) or the whole file in memory (whole)",
                    operation.name()
                ),
            ));
        }
        let label = match &wire.label {
            Some(label) if label.trim().is_empty() => {
                return Err(self.error(at("label"), "must not be empty"));
            }
            Some(label) => label.clone(),
            None => kind.default_label(),
        };
        Ok(MethodSpec { kind, label })
    }
}

fn list_or_none(fields: &[&str]) -> String {
    if fields.is_empty() {
        "no options".to_string()
    } else {
        fields.join(", ")
    }
}

fn operation_name(op: OperationName) -> &'static str {
    match op {
        OperationName::SequentialRead => "sequential_read",
        OperationName::RandomRead => "random_read",
        OperationName::Slice => "slice",
        OperationName::Overwrite => "overwrite",
        OperationName::SequentialWrite => "sequential_write",
        OperationName::CopyOnWrite => "copy_on_write",
        OperationName::ManyFiles => "many_files",
    }
}

fn method_name(method: MethodName) -> &'static str {
    match method {
        MethodName::Mmap => "mmap",
        MethodName::Buffered => "buffered",
        MethodName::Unbuffered => "unbuffered",
        MethodName::Positioned => "positioned",
        MethodName::Whole => "whole",
    }
}

fn advice(name: AdviceName) -> Advice {
    match name {
        AdviceName::Normal => Advice::Normal,
        AdviceName::Sequential => Advice::Sequential,
        AdviceName::Random => Advice::Random,
        AdviceName::Willneed => Advice::WillNeed,
        AdviceName::Hugepage => Advice::HugePage,
    }
}
