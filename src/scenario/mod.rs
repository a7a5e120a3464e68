//! Scenario files: what to measure. [`load`] reads and validates one file;
//! [`load_all`] a list of them, refusing duplicates. Every error names the
//! file and the field (see docs/scenario-format.md).

mod validate;
mod wire;

use crate::units::ExactSize;
use std::fmt;
use std::path::{Path, PathBuf};

pub use validate::from_json;

/// Samples per cell when a scenario does not say.
pub const DEFAULT_SAMPLES: u32 = 10;
/// Seed when a scenario does not say.
pub const DEFAULT_SEED: u64 = 42;
/// `BufReader`/`BufWriter` capacity when a method does not say (std's default).
pub const DEFAULT_CAPACITY: u64 = 8 * 1024;
/// Bytes the program asks a `BufReader`/`BufWriter` for per call, when not said.
pub const DEFAULT_PIECE: u64 = 512;
/// Bytes per `read`/`write` call for unbuffered and positioned methods, when not said.
pub const DEFAULT_CHUNK: u64 = 64 * 1024;

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
    /// Timed operations per cell.
    pub samples: u32,
    /// Seed for file contents and random offsets.
    pub seed: u64,
    /// The methods to compare, with unique labels.
    pub methods: Vec<MethodSpec>,
}

/// What one timed operation does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operation {
    /// Consume every byte, front to back.
    SequentialRead,
    /// `count` records of `record` bytes at record-aligned offsets drawn from the seed.
    RandomRead {
        /// Records per operation.
        count: u64,
        /// Bytes per record.
        record: u64,
    },
    /// Read the bytes `[start, end)`.
    Slice {
        /// First byte.
        start: u64,
        /// One past the last byte.
        end: u64,
    },
    /// Write `len` bytes at `offset` into an existing file, in place.
    Overwrite {
        /// Where the write starts.
        offset: u64,
        /// Bytes written.
        len: u64,
        /// Wait for the disk (msync / fdatasync) before returning.
        sync: bool,
    },
    /// Create the file from nothing and fill it.
    SequentialWrite {
        /// Wait for the disk before returning.
        sync: bool,
    },
    /// Change `len` bytes at `offset` in a private copy, then consume the whole copy;
    /// the file must stay unchanged.
    CopyOnWrite {
        /// Where the change starts.
        offset: u64,
        /// Bytes changed.
        len: u64,
    },
    /// Read `files` files of the scenario's size each.
    ManyFiles {
        /// Number of files.
        files: u64,
    },
}

impl Operation {
    /// The name used in scenario files and results.
    pub fn name(&self) -> &'static str {
        match self {
            Operation::SequentialRead => "sequential_read",
            Operation::RandomRead { .. } => "random_read",
            Operation::Slice { .. } => "slice",
            Operation::Overwrite { .. } => "overwrite",
            Operation::SequentialWrite { .. } => "sequential_write",
            Operation::CopyOnWrite { .. } => "copy_on_write",
            Operation::ManyFiles { .. } => "many_files",
        }
    }

    /// True when the operation changes a file on disk.
    pub fn writes(&self) -> bool {
        matches!(
            self,
            Operation::Overwrite { .. } | Operation::SequentialWrite { .. }
        )
    }

    /// Payload bytes one operation moves for a file of `size` bytes.
    pub fn payload_bytes(&self, size: u64) -> u64 {
        match *self {
            Operation::SequentialRead
            | Operation::SequentialWrite { .. }
            | Operation::CopyOnWrite { .. } => size,
            Operation::RandomRead { count, record } => count * record,
            Operation::Slice { start, end } => end - start,
            Operation::Overwrite { len, .. } => len,
            Operation::ManyFiles { files } => files * size,
        }
    }

    /// Files of `size` bytes that the operation needs generated before it runs.
    pub fn input_files(&self) -> u64 {
        match *self {
            Operation::SequentialWrite { .. } => 0,
            Operation::ManyFiles { files } => files,
            _ => 1,
        }
    }

    /// The operation's own parameters as a JSON object, for results.json.
    pub fn params_json(&self) -> serde_json::Value {
        use serde_json::json;
        match *self {
            Operation::SequentialRead => json!({}),
            Operation::RandomRead { count, record } => json!({"count": count, "record": record}),
            Operation::Slice { start, end } => json!({"range": [start, end]}),
            Operation::Overwrite { offset, len, sync } => {
                json!({"offset": offset, "len": len, "sync": sync})
            }
            Operation::SequentialWrite { sync } => json!({"sync": sync}),
            Operation::CopyOnWrite { offset, len } => json!({"offset": offset, "len": len}),
            Operation::ManyFiles { files } => json!({"files": files}),
        }
    }
}

/// The page cache state before each timed operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cache {
    /// The file's pages are in memory (it was just written or read).
    Warm,
    /// The file's pages were evicted (fsync, then posix_fadvise DONTNEED).
    Cold,
}

impl Cache {
    /// `warm` or `cold`.
    pub fn name(&self) -> &'static str {
        match self {
            Cache::Warm => "warm",
            Cache::Cold => "cold",
        }
    }
}

/// `madvise` advice given to a map right after it is made.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Advice {
    /// MADV_NORMAL.
    Normal,
    /// MADV_SEQUENTIAL: read ahead aggressively, drop pages behind.
    Sequential,
    /// MADV_RANDOM: no read-ahead.
    Random,
    /// MADV_WILLNEED: start reading the whole range now.
    WillNeed,
    /// MADV_HUGEPAGE: ask for transparent huge pages.
    HugePage,
}

impl Advice {
    /// The name used in scenario files.
    pub fn name(&self) -> &'static str {
        match self {
            Advice::Normal => "normal",
            Advice::Sequential => "sequential",
            Advice::Random => "random",
            Advice::WillNeed => "willneed",
            Advice::HugePage => "hugepage",
        }
    }
}

/// One way of doing I/O, with its options.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MethodKind {
    /// A memory map (memmap2).
    Mmap {
        /// MAP_POPULATE: fault every page in when mapping.
        populate: bool,
        /// madvise given after mapping, if any.
        advice: Option<Advice>,
    },
    /// `BufReader`/`BufWriter` with `capacity`, asked for `piece` bytes per call.
    Buffered {
        /// The buffer's size.
        capacity: u64,
        /// Bytes the program reads or writes per call.
        piece: u64,
    },
    /// `File::read`/`write` in `chunk`-byte calls.
    Unbuffered {
        /// Bytes per call.
        chunk: u64,
    },
    /// `read_at`/`write_at` (pread/pwrite) in `chunk`-byte calls.
    Positioned {
        /// Bytes per call.
        chunk: u64,
    },
    /// `fs::read`/`fs::write`: the whole file in one go.
    Whole,
}

impl MethodKind {
    /// The method's name: mmap, buffered, unbuffered, positioned or whole.
    pub fn name(&self) -> &'static str {
        match self {
            MethodKind::Mmap { .. } => "mmap",
            MethodKind::Buffered { .. } => "buffered",
            MethodKind::Unbuffered { .. } => "unbuffered",
            MethodKind::Positioned { .. } => "positioned",
            MethodKind::Whole => "whole",
        }
    }

    /// The label used when the scenario gives none, e.g. `unbuffered 4 KiB`.
    pub fn default_label(&self) -> String {
        match *self {
            MethodKind::Mmap { populate, advice } => {
                let mut label = "mmap".to_string();
                if populate {
                    label.push_str(" populate");
                }
                if let Some(advice) = advice {
                    label.push_str(&format!(" advice={}", advice.name()));
                }
                label
            }
            MethodKind::Buffered { capacity, piece } => {
                if piece == DEFAULT_PIECE {
                    format!("buffered {}", ExactSize(capacity))
                } else {
                    format!("buffered {} by {}", ExactSize(capacity), ExactSize(piece))
                }
            }
            MethodKind::Unbuffered { chunk } => format!("unbuffered {}", ExactSize(chunk)),
            MethodKind::Positioned { chunk } => format!("positioned {}", ExactSize(chunk)),
            MethodKind::Whole => "whole".to_string(),
        }
    }

    /// The options as a JSON object, for results.json.
    pub fn params_json(&self) -> serde_json::Value {
        use serde_json::json;
        match *self {
            MethodKind::Mmap { populate, advice } => {
                json!({"populate": populate, "advice": advice.map(|a| a.name())})
            }
            MethodKind::Buffered { capacity, piece } => {
                json!({"capacity": capacity, "piece": piece})
            }
            MethodKind::Unbuffered { chunk } | MethodKind::Positioned { chunk } => {
                json!({"chunk": chunk})
            }
            MethodKind::Whole => json!({}),
        }
    }

    /// Whether this method can carry out `operation` (copy-on-write needs a
    /// private writable view: a map, or the whole file read into memory).
    pub fn fits(&self, operation: &Operation) -> bool {
        match operation {
            Operation::CopyOnWrite { .. } => {
                matches!(self, MethodKind::Mmap { .. } | MethodKind::Whole)
            }
            _ => true,
        }
    }
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

/// Reads and validates one scenario file.
pub fn load(path: &Path) -> Result<Scenario, ScenarioError> {
    let text = std::fs::read_to_string(path).map_err(|e| ScenarioError {
        file: path.to_path_buf(),
        field: None,
        position: None,
        message: format!("cannot read the file: {e}"),
    })?;
    from_json(&text, path)
}

/// Reads and validates several files; refuses two scenarios with the same name.
pub fn load_all(paths: &[PathBuf]) -> Result<Vec<Scenario>, ScenarioError> {
    let mut scenarios: Vec<Scenario> = Vec::new();
    for path in paths {
        let scenario = load(path)?;
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
