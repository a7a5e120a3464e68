//! From the wire format to a [`Scenario`]: fills defaults, checks every field
//! against the operation and the sizes, and names the field when it refuses.

use super::wire::{ScenarioWire, SizeWire};
use super::*;
use crate::vocab::{MethodName, Peer};
use serde_json::{Map, Value};

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
    crate::strict_json::check(text).map_err(|e| ScenarioError {
        file: path.to_path_buf(),
        field: (!e.field.is_empty()).then_some(e.field),
        position: e.position,
        message: e.message,
    })?;
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
        let (sizes, bench_sizes) = self.sizes(&wire)?;
        let samples = wire.samples.unwrap_or(DEFAULT_SAMPLES);
        if samples == 0 || samples > MAX_SAMPLES {
            return Err(self.error(
                "samples",
                format!("must be between 1 and {MAX_SAMPLES}, not {samples}"),
            ));
        }
        let operation = self.operation(&wire)?;
        self.operation_fits_sizes(&operation, &sizes, &bench_sizes)?;
        if wire.cache == Cache::Cold && operation.kind() == OperationKind::SequentialWrite {
            return Err(self.error(
                "cache",
                format!(
                    "{:?} does not apply to {}: the file is created new, so nothing of it is cached",
                    Cache::Cold.name(),
                    OperationKind::SequentialWrite
                ),
            ));
        }
        let methods = self.methods(&wire, &operation)?;
        let scenario = Scenario {
            name: wire.name,
            about: wire.about,
            file: self.file.to_path_buf(),
            operation,
            sizes,
            bench_sizes,
            cache: wire.cache,
            samples,
            seed: wire.seed.unwrap_or(DEFAULT_SEED),
            methods,
            peers: dedup(wire.peers),
        };
        crate::limits::check(&scenario)
            .and_then(|()| crate::user_text::check_scenario(&scenario))
            .map_err(|(field, message)| self.error(field, message))?;
        Ok(scenario)
    }

    /// `sizes` and `bench_sizes` (which defaults to `sizes`).
    fn sizes(&self, wire: &ScenarioWire) -> Result<(Vec<u64>, Vec<u64>), ScenarioError> {
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
        Ok((sizes, bench_sizes))
    }

    /// Checks the operation's ranges against every size of both lists.
    fn operation_fits_sizes(
        &self,
        operation: &Operation,
        sizes: &[u64],
        bench_sizes: &[u64],
    ) -> Result<(), ScenarioError> {
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
            self.operation_fits_size(operation, size)
                .map_err(|(field, message)| {
                    self.error(
                        field,
                        format!("{message} ({list}[{index}] is {size} bytes)"),
                    )
                })?;
        }
        Ok(())
    }

    /// Every method entry, with labels unique.
    fn methods(
        &self,
        wire: &ScenarioWire,
        operation: &Operation,
    ) -> Result<Vec<MethodSpec>, ScenarioError> {
        if wire.methods.is_empty() {
            return Err(self.error("methods", "list at least one method"));
        }
        let mut methods: Vec<MethodSpec> = Vec::new();
        for (index, method) in wire.methods.iter().enumerate() {
            let spec = self.method(method, index, operation)?;
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
        Ok(methods)
    }

    fn operation(&self, wire: &ScenarioWire) -> Result<Operation, ScenarioError> {
        let op = wire.operation;
        let op_name = op.name();
        let takes = |field: &str| op.fields().contains(&field);
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
            OperationKind::SequentialRead => Operation::SequentialRead,
            OperationKind::RandomRead => Operation::RandomRead {
                count: positive(wire.count, "count")?,
                record: required(wire.record, "record")?,
            },
            OperationKind::Slice => {
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
            OperationKind::Overwrite => Operation::Overwrite {
                offset: wire.offset.map_or(0, |s| s.0),
                len: required(wire.len, "len")?,
                sync: wire.sync.unwrap_or(false),
            },
            OperationKind::SequentialWrite => Operation::SequentialWrite {
                sync: wire.sync.unwrap_or(false),
            },
            OperationKind::CopyOnWrite => Operation::CopyOnWrite {
                offset: wire.offset.map_or(0, |s| s.0),
                len: required(wire.len, "len")?,
            },
            OperationKind::ManyFiles => Operation::ManyFiles {
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
        wire: &Map<String, Value>,
        index: usize,
        operation: &Operation,
    ) -> Result<MethodSpec, ScenarioError> {
        let at = |field: &str| format!("methods[{index}].{field}");
        let name = self.method_name(wire, index)?;
        let label = match wire.get("label") {
            None => None,
            Some(Value::String(label)) if label.trim().is_empty() => {
                return Err(self.error(at("label"), "must not be empty"));
            }
            Some(Value::String(label)) => Some(label.clone()),
            Some(other) => {
                return Err(self.error(at("label"), format!("must be a string, not {other}")));
            }
        };
        let options: Map<String, Value> = wire
            .iter()
            .filter(|(key, _)| !matches!(key.as_str(), "method" | "label"))
            .map(|(key, value)| (key.clone(), value.clone()))
            .collect();
        let takes = MethodKind::option_names(name);
        if let Some(field) = options.keys().find(|key| !takes.contains(key)) {
            return Err(self.error(
                at(field),
                format!(
                    "does not apply to method {name} (it takes: {})",
                    list_or_none(&takes)
                ),
            ));
        }
        let kind = MethodKind::from_options(name, Value::Object(options)).map_err(|error| {
            let field = error.path().to_string();
            self.error(at(&field), strip_position(&error.into_inner().to_string()))
        })?;
        kind.io()
            .check()
            .map_err(|(field, message)| self.error(at(field), message))?;
        kind.fits(operation).map_err(|misfit| {
            if misfit.of_operation {
                self.error(
                    misfit.field,
                    format!("{} (for methods[{index}], {name})", misfit.message),
                )
            } else {
                self.error(
                    at(misfit.field),
                    format!(
                        "{name} does not fit operation {}: {}",
                        operation.kind(),
                        misfit.message
                    ),
                )
            }
        })?;
        let label = label.unwrap_or_else(|| kind.default_label());
        Ok(MethodSpec { kind, label })
    }

    /// The `method` field of a method entry.
    fn method_name(
        &self,
        wire: &Map<String, Value>,
        index: usize,
    ) -> Result<MethodName, ScenarioError> {
        let field = format!("methods[{index}].method");
        let known = || {
            MethodName::ALL
                .iter()
                .map(|m| m.name())
                .collect::<Vec<_>>()
                .join(", ")
        };
        let value = wire
            .get("method")
            .ok_or_else(|| self.error(&field, format!("is required: one of {}", known())))?;
        serde_json::from_value(value.clone()).map_err(|_| {
            self.error(
                &field,
                format!("unknown method {value}: use one of {}", known()),
            )
        })
    }
}

/// The peers in the order first given, each once.
fn dedup(peers: Vec<Peer>) -> Vec<Peer> {
    let mut out = Vec::new();
    for peer in peers {
        if !out.contains(&peer) {
            out.push(peer);
        }
    }
    out
}

fn list_or_none(fields: &[String]) -> String {
    if fields.is_empty() {
        "no options".to_string()
    } else {
        fields.join(", ")
    }
}
