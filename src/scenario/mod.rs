//! Scenario files: what to measure. [`load`] reads and validates one file;
//! [`load_all`] a list of them, refusing duplicates. Every error names the
//! file and the field (see docs/scenario-format.md).

mod validate;
mod wire;

use crate::fill::CacheFill;
use crate::method::MethodKind;
use crate::operation::Operation;
use crate::vocab::{Cache, Peer};
use std::fmt;
use std::path::{Path, PathBuf};

pub use validate::{from_json, from_json_all};

/// Samples per cell when a scenario does not say.
pub const DEFAULT_SAMPLES: u32 = 10;
/// Seed when a scenario does not say.
pub const DEFAULT_SEED: u64 = 42;

/// A validated scenario, ready to run.
#[derive(Debug, Clone, PartialEq)]
pub struct Scenario {
    /// Unique name.
    pub name: String,
    /// One line saying what it measures.
    pub about: String,
    /// The file it was read from.
    pub file: PathBuf,
    /// What each operation does.
    pub operation: Operation,
    /// File sizes to measure, in bytes, in the order given.
    pub sizes: Vec<u64>,
    /// Sizes `cargo bench` uses (defaults to `sizes`).
    pub bench_sizes: Vec<u64>,
    /// Warm or cold page cache before each operation.
    pub cache: Cache,
    /// How the input files' pages entered the page cache.
    pub cache_fill: CacheFill,
    /// Timed operations per cell.
    pub samples: u32,
    /// Seed for file contents and random offsets.
    pub seed: u64,
    /// The methods to compare, with unique labels.
    pub methods: Vec<MethodSpec>,
    /// Tools to run beside mmap-lab on the same files (none unless asked).
    pub peers: Vec<Peer>,
}

/// A method with its label.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MethodSpec {
    /// What it does.
    pub kind: MethodKind,
    /// How results and reports name it; unique within a scenario.
    pub label: String,
}

/// A scenario file that cannot be used, with where and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScenarioError {
    /// The file.
    pub file: PathBuf,
    /// The field's path (`methods[2].chunk`), when the problem has one.
    pub field: Option<String>,
    /// Line and column, when the JSON parser knows them.
    pub position: Option<(usize, usize)>,
    /// What is wrong, in plain words.
    pub message: String,
}

impl fmt::Display for ScenarioError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file.display())?;
        if let Some((line, column)) = self.position {
            write!(f, ":{line}:{column}")?;
        }
        if let Some(field) = &self.field {
            write!(f, ": field `{field}`")?;
        }
        write!(f, ": {}", self.message)
    }
}

impl std::error::Error for ScenarioError {}

/// Reads and validates one scenario file (with a list of thread counts,
/// the first count's scenario; see [`load_each`]).
pub fn load(path: &Path) -> Result<Scenario, ScenarioError> {
    let mut all = load_each(path)?;
    Ok(all.swap_remove(0))
}

/// Reads and validates one scenario file into its scenarios: one, or one
/// per thread count when `threads` is a list ([`from_json_all`]).
pub fn load_each(path: &Path) -> Result<Vec<Scenario>, ScenarioError> {
    let limit = crate::bounded_read::MAX_SCENARIO_FILE;
    let text =
        crate::bounded_read::read_text(path, limit, "scenario").map_err(|e| ScenarioError {
            file: path.to_path_buf(),
            field: None,
            position: None,
            message: format!("cannot read the file: {e}"),
        })?;
    from_json_all(&text, path)
}

/// Reads and validates several files; refuses two scenarios with the same name.
pub fn load_all(paths: &[PathBuf]) -> Result<Vec<Scenario>, ScenarioError> {
    let mut scenarios: Vec<Scenario> = Vec::new();
    for path in paths {
        for scenario in load_each(path)? {
            if let Some(first) = scenarios.iter().find(|s| s.name == scenario.name) {
                return Err(ScenarioError {
                    file: path.clone(),
                    field: Some("name".to_string()),
                    position: None,
                    message: format!(
                        "{:?} is already the name of the scenario in {}; names must be unique",
                        scenario.name,
                        first.file.display()
                    ),
                });
            }
            scenarios.push(scenario);
        }
    }
    Ok(scenarios)
}

/// The `*.json` files directly inside `dir`, sorted by name (subfolders such as
/// `classroom/` and `large/` are opt-in and not included).
pub fn files_in(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_file() && path.extension().is_some_and(|e| e == "json") {
            files.push(path);
        }
    }
    files.sort();
    Ok(files)
}
