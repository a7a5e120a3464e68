//! From the wire format to a [`Scenario`]: fills defaults, checks every field
//! against the operation and the sizes, and names the field when it refuses.

use super::wire::{self, ScenarioWire};
use super::*;
use crate::fill::CacheFill;
use crate::operation::{self, Fields, strip_position};
use crate::vocab::{MethodName, OperationKind, Peer};
use serde_json::{Map, Value};

/// Most samples a cell may ask for; more is almost surely a typo.
const MAX_SAMPLES: u32 = 10_000;

/// Parses and validates scenario JSON; `path` is only used in errors and
/// results. A list of thread counts gives the first count's scenario (see
/// [`from_json_all`]).
pub fn from_json(text: &str, path: &Path) -> Result<Scenario, ScenarioError> {
    let mut all = from_json_all(text, path)?;
    Ok(all.swap_remove(0))
}

/// Parses and validates scenario JSON into its scenarios: one, or with
/// `"threads": [1, 2, ...]` one per thread count, in the order listed,
/// each named `<name>-<N>-threads` (`-1-thread`), so that every
/// scenario's cells share one thread count and compare like with like.
pub fn from_json_all(text: &str, path: &Path) -> Result<Vec<Scenario>, ScenarioError> {
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
    let checker = Checker { file: path, text };
    match wire.operation_fields.get("threads") {
        Some(Value::Array(counts)) => checker.per_thread_count(&wire, counts),
        _ => Ok(vec![checker.scenario(wire)?]),
    }
}

struct Checker<'a> {
    file: &'a Path,
    /// The file's text, to find where a field stands.
    text: &'a str,
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

    /// One scenario per count of a `threads` list, each named for its count.
    fn per_thread_count(
        &self,
        wire: &ScenarioWire,
        counts: &[Value],
    ) -> Result<Vec<Scenario>, ScenarioError> {
        if counts.is_empty() {
            return Err(self.error_at("threads", "an empty list; give one count or several"));
        }
        let mut scenarios: Vec<Scenario> = Vec::with_capacity(counts.len());
        for (index, count) in counts.iter().enumerate() {
            if counts[..index].contains(count) {
                return Err(self.error_at("threads", format!("{count} is listed twice")));
            }
            let mut one = wire.clone();
            one.operation_fields
                .insert("threads".to_string(), count.clone());
            let mut scenario = self.scenario(one)?;
            let threads = scenario.operation.threads();
            let noun = if threads == 1 { "thread" } else { "threads" };
            scenario.name = format!("{}-{threads}-{noun}", scenario.name);
            scenarios.push(scenario);
        }
        Ok(scenarios)
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
        if wire.cache == Cache::Cold && operation.input_files() == 0 {
            return Err(self.error(
                "cache",
                format!(
                    "{:?} does not apply to {}: the file is created new, so nothing of it is cached",
                    Cache::Cold.name(),
                    operation.kind()
                ),
            ));
        }
        let cache_fill = self.cache_fill(&wire, &operation)?;
        let methods = self.methods(&wire, &operation)?;
        let scenario = Scenario {
            name: wire.name,
            about: wire.about,
            file: self.file.to_path_buf(),
            operation,
            sizes,
            bench_sizes,
            cache: wire.cache,
            cache_fill,
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
        let lists = [("sizes", sizes), ("bench_sizes", bench_sizes)];
        for (list, sizes) in lists {
            for (index, &size) in sizes.iter().enumerate() {
                operation.fits_size(size).map_err(|e| {
                    self.error(
                        e.field,
                        format!("{} ({list}[{index}] is {size} bytes)", e.message),
                    )
                })?;
            }
        }
        Ok(())
    }

    /// How the inputs enter the page cache: only for warm operations that
    /// read existing files (a cold operation evicts them first).
    fn cache_fill(
        &self,
        wire: &ScenarioWire,
        operation: &Operation,
    ) -> Result<CacheFill, ScenarioError> {
        let Some(fill) = wire.cache_fill else {
            return Ok(CacheFill::default());
        };
        if wire.cache == Cache::Cold {
            return Err(self.error(
                "cache_fill",
                "does not apply to a cold cache: the files are evicted before each operation, and the run records the layout each operation leaves",
            ));
        }
        if operation.input_files() == 0 {
            return Err(self.error(
                "cache_fill",
                format!(
                    "does not apply to {}: it creates its file, and the run records the layout each method leaves",
                    operation.kind()
                ),
            ));
        }
        fill.check()
            .map_err(|message| self.error("cache_fill", message))?;
        Ok(fill)
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

    /// The operation, read by its own kind from the fields it takes; a
    /// field no operation takes, or another operation's, is refused.
    fn operation(&self, wire: &ScenarioWire) -> Result<Operation, ScenarioError> {
        let kind = wire.operation;
        let takes = operation::fields(kind);
        if let Some(field) = wire
            .operation_fields
            .keys()
            .find(|key| !takes.contains(&key.as_str()))
        {
            let elsewhere = OperationKind::ALL
                .iter()
                .any(|&other| operation::fields(other).contains(&field.as_str()));
            return Err(if elsewhere {
                self.error_at(field, format!("does not apply to operation {kind}"))
            } else {
                let known: Vec<String> = wire::FIELDS
                    .iter()
                    .chain(takes)
                    .map(|f| format!("`{f}`"))
                    .collect();
                self.error_at(
                    field,
                    format!(
                        "unknown field `{field}`, expected one of {}",
                        known.join(", ")
                    ),
                )
            });
        }
        Operation::parse(kind, &Fields::new(&wire.operation_fields, kind.name()))
            .map_err(|e| self.error_at(e.field, e.message))
    }

    /// [`Checker::error`] with the line and column where the scenario's
    /// top-level `field` stands (the operation's fields are read after
    /// parsing, so the parser cannot tell).
    fn error_at(&self, field: &str, message: impl Into<String>) -> ScenarioError {
        ScenarioError {
            position: key_position(self.text, field),
            ..self.error(field, message)
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

/// Line and column (from 1) of the key `key` of the outermost object in
/// `text`, a JSON document that has parsed; `None` when it is not there.
fn key_position(text: &str, key: &str) -> Option<(usize, usize)> {
    let mut depth = 0usize;
    let mut chars = text.char_indices();
    while let Some((at, c)) = chars.next() {
        match c {
            '{' | '[' => depth += 1,
            '}' | ']' => depth = depth.saturating_sub(1),
            '"' => {
                let mut literal = String::new();
                let mut end = text.len();
                while let Some((i, c)) = chars.next() {
                    match c {
                        '\\' => {
                            chars.next();
                        }
                        '"' => {
                            end = i + 1;
                            break;
                        }
                        c => literal.push(c),
                    }
                }
                let is_key = text[end..].trim_start().starts_with(':');
                if depth == 1 && is_key && literal == key {
                    let before = &text[..at];
                    let line = before.matches('\n').count() + 1;
                    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
                    return Some((line, column));
                }
            }
            _ => {}
        }
    }
    None
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_operation_field_is_found_where_it_stands() {
        let text = "{\n  \"methods\": [{\"record\": 1}],\n  \"x\": \"a\\\"b\",\n  \"record\": 2\n}";
        assert_eq!(key_position(text, "record"), Some((4, 3)));
        assert_eq!(key_position(text, "b"), None);
        assert_eq!(key_position(text, "missing"), None);
    }
}
